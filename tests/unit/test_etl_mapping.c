/*
 * test_etl_mapping.c - the mapping transform (etl/mapping.c) through real runs: raw
 * objects put and crawled, a job with a mapping run, the curated rows read back from the
 * Parquet files and compared whole. Numbered as transform.h's promises:
 *   1. every record is written, refused with its reason (dead letter), or filtered out;
 *   2. the output row type is the mapping's (select order, renames, casts, derived
 *      types), and the files hold exactly it;
 *   4. a mapping that does not fit the source fails the run before it reads, saying what
 *      and where.
 */
#include "etl_fixture.h"

#include "catalog/catalog.h"

/* Records with a struct, a list, strings, numbers and a timestamp. */
static const char *const people =
	"{\"id\":1,\"ts\":\"2026-01-05T10:00:00Z\",\"user\":{\"id\":7,\"name\":\"Ann\","
	"\"tags\":[\"a\"]},\"amount\":12.5,\"qty\":\"3\",\"country\":\"DE\"}\n"
	"{\"id\":2,\"ts\":\"2026-01-05T23:30:00-02:00\",\"user\":{\"id\":8,\"name\":\"Bo\","
	"\"tags\":[]},\"amount\":200,\"qty\":\"10\",\"country\":\"fr\"}\n"
	"{\"id\":3,\"ts\":\"2026-01-06T01:00:00Z\",\"user\":null,\"amount\":null,"
	"\"qty\":\"x\",\"country\":\"De\"}\n"
	"{\"id\":4,\"ts\":\"2026-01-06T02:00:00Z\",\"amount\":5,\"country\":\"US\"}\n";

static struct sl_job_conf *mapped(struct fx *fx, const char *name, const char *mapping,
				  const char *partition_by)
{
	struct sl_job_conf *j = job_add(&fx->lake->cfg, name, "people", name, partition_by);
	snprintf(j->mapping, sizeof(j->mapping), "%s", mapping);
	return j;
}

static void land(struct fx *fx)
{
	raw_put(fx, "people/a.ndjson", people);
	crawl(fx);
}

static char *schema_of(struct fx *fx, const char *table)
{
	struct sl_cat_table t;
	struct sl_err err = {0};
	memset(&t, 0, sizeof(t));
	if (fx->m->ops->catalog_table_get(fx->m->state, "curated", table, &t, &err) != 0)
		fail_msg("table %s: %s", table, err.msg);
	char *s = strdup(t.schema);
	sl_cat_table_release(&t);
	return s;
}

/* select (a struct's member included), rename, native cast, drop: rows copied. */
static void test_select_rename_cast_drop(void **state)
{
	struct fx *fx = *state;
	land(fx);
	mapped(fx, "m1",
	       "{\"select\":[\"id\",\"user.id\",\"user\",\"amount\",\"country\",\"ts\"],"
	       "\"drop\":[\"ts\",\"user.tags\"],"
	       "\"rename\":{\"user.id\":\"uid\",\"country\":\"cc\"},"
	       "\"cast\":{\"amount\":\"decimal(10,2)\",\"id\":\"int32\"}}",
	       "");
	struct sl_etl_result r = run_ok(fx, "m1");
	assert_int_equal(r.rows_in, 4);
	assert_int_equal(r.rows_out, 4);
	assert_int_equal(r.rows_rejected, 0);
	char *schema = schema_of(fx, "m1");
	assert_string_equal(schema, "struct<id:int32,uid:int64,user:struct<id:int64 not null,"
				    "name:string not null>,"
				    "amount:decimal(10,2),cc:string> not null");
	free(schema);
	char *rows = table_json(fx, "m1");
	assert_string_equal(rows,
			    "{\"id\":1,\"uid\":7,\"user\":{\"id\":7,\"name\":\"Ann\"},"
			    "\"amount\":12.50,\"cc\":\"DE\"}\n"
			    "{\"id\":2,\"uid\":8,\"user\":{\"id\":8,\"name\":\"Bo\"},"
			    "\"amount\":200.00,\"cc\":\"fr\"}\n"
			    "{\"id\":3,\"uid\":null,\"user\":null,\"amount\":null,\"cc\":\"De\"}\n"
			    "{\"id\":4,\"uid\":null,\"user\":null,\"amount\":5.00,\"cc\":\"US\"}\n");
	free(rows);
}

/* derive (new columns, one in the place of a source column) and filter. */
static void test_derive_filter(void **state)
{
	struct fx *fx = *state;
	land(fx);
	mapped(fx, "m2",
	       "{\"select\":[\"id\",\"country\",\"amount\"],"
	       "\"derive\":{\"country\":\"upper(country)\",\"day\":\"date(ts)\","
	       "\"cents\":\"cast(amount * 100 as int64)\",\"big\":\"amount > 100\"},"
	       "\"filter\":\"lower(country) in ('de', 'fr') and id < 3\"}",
	       "");
	struct sl_etl_result r = run_ok(fx, "m2");
	assert_int_equal(r.rows_in, 4);
	assert_int_equal(r.rows_out, 2); /* 3 and 4 filtered out, not refused */
	assert_int_equal(r.rows_rejected, 0);
	char *schema = schema_of(fx, "m2");
	assert_string_equal(schema, "struct<id:int64,country:string,amount:double,day:date,"
				    "cents:int64,big:boolean> not null");
	free(schema);
	char *rows = table_json(fx, "m2");
	assert_string_equal(rows,
			    "{\"id\":1,\"country\":\"DE\",\"amount\":12.5,\"day\":\"2026-01-05\","
			    "\"cents\":1250,\"big\":false}\n"
			    "{\"id\":2,\"country\":\"FR\",\"amount\":200,\"day\":\"2026-01-06\","
			    "\"cents\":20000,\"big\":true}\n");
	free(rows);
}

/* A cast the writer cannot make is evaluated: a value that does not convert refuses its
 * record with the reason; the others are written. */
static void test_cast_refuses(void **state)
{
	struct fx *fx = *state;
	land(fx);
	mapped(fx, "m3", "{\"select\":[\"id\",\"qty\"],\"cast\":{\"qty\":\"int64\"}}", "");
	struct sl_etl_result r = run_ok(fx, "m3");
	assert_int_equal(r.rows_out, 3);
	assert_int_equal(r.rows_rejected, 1);
	char *dl = read_object(fx, "deadletter", r.deadletter);
	assert_non_null(strstr(dl, "\"line\":3"));
	assert_non_null(strstr(dl, "cast qty: "));
	assert_non_null(strstr(dl, "int64"));
	free(dl);
	char *rows = table_json(fx, "m3");
	assert_string_equal(rows, "{\"id\":1,\"qty\":3}\n{\"id\":2,\"qty\":10}\n"
				  "{\"id\":4,\"qty\":null}\n");
	free(rows);
}

/* A derived column as a partition column: in the folders, not in the files. */
static void test_partition_by_derived(void **state)
{
	struct fx *fx = *state;
	land(fx);
	mapped(fx, "m4",
	       "{\"select\":[\"id\"],\"derive\":{\"cc\":\"lower(country)\",\"day\":\"date(ts)\"}}",
	       "day,cc");
	struct sl_etl_result r = run_ok(fx, "m4");
	assert_int_equal(r.rows_out, 4);
	assert_int_equal(r.files, 4);
	char *schema = schema_of(fx, "m4");
	assert_string_equal(schema, "struct<id:int64> not null");
	free(schema);
	struct sl_object o;
	assert_int_equal(fx->m->ops->object_get(fx->m->state, "curated",
						"m4/day=2026-01-06/cc=de/part-r1-002.parquet", &o,
						NULL), 0);
}

/* Every way a mapping can fail to fit the source fails the run before it reads. */
static void test_bad_mappings(void **state)
{
	static const struct {
		const char *mapping, *partition_by, *msg;
	} cases[] = {
		{"{\"select\":[\"id\",\"nope\"]}", "", "mapping.select: no column 'nope'"},
		{"{\"select\":[\"id\",\"user.nope\"]}", "", "mapping.select: "},
		{"{\"select\":[\"id\",\"a..b\"]}", "", "is not a column path"},
		{"{\"select\":[\"id\",\"id\"]}", "", "'id' is selected twice"},
		{"{\"drop\":[\"nope\"]}", "", "mapping.drop: 'nope' is no selected column"},
		{"{\"select\":[\"id\"],\"rename\":{\"ts\":\"t\"}}", "", "rename: 'ts' is no selected"},
		{"{\"cast\":{\"id\":\"int65\"}}", "", "mapping.cast.id: 'int65' is not a type"},
		{"{\"cast\":{\"user\":\"int64\"}}", "", "mapping.cast.user: "},
		{"{\"derive\":{\"x\":\"amount +\"}}", "", "mapping.derive.x: at "},
		{"{\"derive\":{\"x\":\"amout * 2\"}}", "", "no column 'amout'"},
		{"{\"filter\":\"amount + 1\"}", "", "mapping.filter: the expression is double, not "
						  "a boolean"},
		{"{\"select\":[\"id\",\"country\"],\"rename\":{\"country\":\"id\"}}", "",
		 "output column 'id': two columns have this name"},
		{"{\"select\":[\"id\"],\"drop\":[\"id\"]}", "", "the mapping leaves no column"},
		{"{\"select\":[\"id\"]}", "country", "partition_by column country is not a column"},
	};
	struct fx *fx = *state;
	land(fx);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char name[32];
		struct sl_err err = {0};
		struct sl_etl_result r;
		snprintf(name, sizeof(name), "bad%zu", i);
		mapped(fx, name, cases[i].mapping, cases[i].partition_by);
		int rc = sl_etl_run_job(fx->lake, name, NULL, &r, &err);
		if (rc != SL_ECONFIG || !strstr(err.msg, cases[i].msg))
			fail_msg("case %zu (%s): rc %d, '%s' lacks '%s'", i, cases[i].mapping, rc,
				 err.msg, cases[i].msg);
		assert_non_null(strstr(err.msg, name));
		assert_int_equal(run_get(fx, name, 1).rows_in, 0);
		assert_int_equal(bookmark(fx, name).seq, 0);
	}
}

/* Records that do not fit the source schema (the crawler's types can be wider than a
 * record, or a record can be odd), and expression failures, are refused one by one. */
static void test_odd_records(void **state)
{
	struct fx *fx = *state;
	raw_put(fx, "people/a.ndjson",
		"{\"id\":1,\"amount\":10,\"country\":\"DE\"}\n"
		"{\"id\":2,\"amount\":0,\"country\":\"DE\"}\n"
		"{\"id\":3,\"amount\":5,\"country\":\"DE\",\"id\":4}\n"
		"{\"id\":5,\"amount\":2,\"country\":\"DE\"}\n");
	crawl(fx);
	mapped(fx, "m5", "{\"select\":[\"id\"],\"derive\":{\"inv\":\"100 / cast(amount as int64)\"}}",
	       "");
	struct sl_etl_result r = run_ok(fx, "m5");
	assert_int_equal(r.rows_in, 4);
	assert_int_equal(r.rows_out, 2);
	assert_int_equal(r.rows_rejected, 2);
	char *dl = read_object(fx, "deadletter", r.deadletter);
	assert_non_null(strstr(dl, "derive inv: division by zero"));
	assert_non_null(strstr(dl, "duplicate key in the record"));
	free(dl);
	char *rows = table_json(fx, "m5");
	assert_string_equal(rows, "{\"id\":1,\"inv\":10}\n{\"id\":5,\"inv\":50}\n");
	free(rows);
}

/* With no select, every source column in the schema's order, as the default transform
 * writes them: the same rows. */
static void test_same_as_default(void **state)
{
	struct fx *fx = *state;
	land(fx);
	job_add(&fx->lake->cfg, "plain", "people", "plain", "");
	mapped(fx, "m6", "{\"drop\":[\"qty\"]}", "");
	run_ok(fx, "plain");
	run_ok(fx, "m6");
	char *a = table_json(fx, "plain"), *b = table_json(fx, "m6");
	/* plain has qty too: take it out of each line */
	char *p = a, *q = a;
	while (*p) {
		if (strncmp(p, ",\"qty\":", 7) == 0) {
			p += 7;
			if (*p == '"')
				p = strchr(p + 1, '"') + 1;
			else
				p += 4; /* null */
			continue;
		}
		*q++ = *p++;
	}
	*q = '\0';
	assert_string_equal(a, b);
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_select_rename_cast_drop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_derive_filter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cast_refuses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partition_by_derived, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_mappings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_odd_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_as_default, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
