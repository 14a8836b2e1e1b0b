/*
 * test_etl_sql.c - the SQL transform (etl/sql.c, transform.h's promises) on scratch
 * lakes, raw objects put and crawled, jobs run through the run engine (etl/run.h) and
 * the curated table read back from its Parquet files:
 *   projection, WHERE and expressions; GROUP BY per run (a second run aggregates its own
 *   records only); json_extract and json_each on struct and list columns, JSON results
 *   kept as JSON; the hidden columns _object, _line, _record and the source's partition
 *   keys; partition_by on an output column and dt from an output ts; the output type
 *   stable across runs (merged with the target's, a column of nulls added when it gets
 *   a value); rows the writer refuses in the dead letter, and on_error fail;
 *   hostile statements, each refused at open with its message (nothing read, the
 *   bookmark kept), and endless ones stopped by their budget; a run killed in the middle
 *   of the transform leaves no spool behind.
 * Then the transform alone, through its ops with an environment of the test's own: the
 * values of every column kind and the row type given by open; SQLite's temporary files
 * made in the environment's tmp_dir and unlinked at once.
 */
#include "etl_fixture.h"

#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <sys/wait.h>

#include "etl/transform.h"
#include "types/types.h"
#include "util/clock.h"

/* etl.jobs.NAME with a SQL transform, every setting given. */
static struct sl_job_conf *job_sql(struct fx *fx, const char *name, const char *source,
				   const char *target, const char *partition_by, const char *sql)
{
	struct sl_job_conf *j = job_add(&fx->lake->cfg, name, source, target, partition_by);
	snprintf(j->sql, sizeof(j->sql), "%s", sql);
	return j;
}

/* A run that must fail with code; its message in err. */
static void run_fails(struct fx *fx, const char *job, int code, struct sl_err *err)
{
	struct sl_etl_result res;
	int rc = sl_etl_run_job(fx->lake, job, NULL, &res, err);
	if (rc != code)
		fail_msg("run %s: %d (%s), expected %d", job, rc, err->msg, code);
	assert_false(res.committed);
}

static int64_t bookmark_seq(struct fx *fx, const char *job)
{
	return bookmark(fx, job).seq;
}

/* The target table's catalog row (released by the caller). */
static struct sl_cat_table table_get(struct fx *fx, const char *table)
{
	struct sl_cat_table t;
	struct sl_err err = {0};
	memset(&t, 0, sizeof(t));
	if (fx->m->ops->catalog_table_get(fx->m->state, "curated", table, &t, &err) != 0)
		fail_msg("table %s: %s", table, err.msg);
	return t;
}

/* ---- what the curated table holds --------------------------------------------------- */

#define MAX_ROWS 4096
#define MAX_FILES 64

struct rows {
	struct sl_json_node *r[MAX_ROWS];
	char part[MAX_ROWS][128]; /* the file's partition */
	size_t n;
	char keys[MAX_FILES][SL_KEY_MAX + 1];
	size_t n_files;
};

static int file_one(void *ctx, const struct sl_cat_file *f)
{
	struct rows *t = ctx;
	if (strcmp(f->state, SL_CAT_FILE_ACTIVE) != 0)
		return 0;
	assert_true(t->n_files < MAX_FILES);
	snprintf(t->keys[t->n_files++], SL_KEY_MAX + 1, "%s", f->key);
	return 0;
}

/* Every row of curated.table's active files, as JSON trees (rows_free). */
static struct rows *rows_read(struct fx *fx, const char *table)
{
	struct rows *t = calloc(1, sizeof(*t));
	struct sl_err err = {0};
	int rc = fx->m->ops->catalog_file_list(fx->m->state, "curated", table, NULL, true,
					       file_one, t, &err);
	if (rc == SL_ENOENT)
		return t;
	if (rc != 0)
		fail_msg("files of %s: %s", table, err.msg);
	for (size_t i = 0; i < t->n_files; i++) {
		struct sl_object obj;
		struct sl_pq_read_opts po;
		struct sl_pq_reader *pr = NULL;
		struct sl_pq_rows *rs = NULL;
		struct sl_buf b;
		int fd, got;
		if (sl_store_open_fd(&fx->lake->store, "curated", t->keys[i], &fd, &obj, &err) != 0)
			fail_msg("open %s: %s", t->keys[i], err.msg);
		sl_pq_read_opts_default(&po);
		if (sl_pq_reader_open(fd, t->keys[i], &po, &pr, &err) != 0)
			fail_msg("read %s: %s", t->keys[i], err.msg);
		assert_int_equal(sl_pq_rows_open(pr, NULL, 0, NULL, 0, &rs, &err), 0);
		sl_buf_init(&b, 0);
		const char *slash = strchr(t->keys[i], '/');
		const char *last = strrchr(t->keys[i], '/');
		while ((got = sl_pq_rows_next(rs, &b, &err)) == 1) {
			struct sl_json_error e;
			assert_true(t->n < MAX_ROWS);
			t->r[t->n] = sl_json_tree_parse(b.data, b.len, NULL, &e);
			assert_non_null(t->r[t->n]);
			snprintf(t->part[t->n], sizeof(t->part[0]), "%.*s",
				 last > slash ? (int)(last - slash - 1) : 0, slash + 1);
			t->n++;
			sl_buf_reset(&b);
		}
		assert_int_equal(got, 0);
		sl_buf_release(&b);
		sl_pq_rows_close(rs);
		sl_pq_reader_close(pr);
		close(fd);
	}
	return t;
}

static void rows_free(struct rows *t)
{
	for (size_t i = 0; i < t->n; i++)
		sl_json_tree_free(t->r[i]);
	free(t);
}

/* The row whose member `key` is the integer v (exactly one). */
static const struct sl_json_node *row_with(const struct rows *t, const char *key, int64_t v,
					   size_t *at)
{
	const struct sl_json_node *found = NULL;
	for (size_t i = 0; i < t->n; i++) {
		const struct sl_json_node *k = sl_json_get(t->r[i], key);
		if (k && k->type == SL_JSON_INT && k->u.i == v) {
			if (found)
				fail_msg("two rows with %s = %" PRId64, key, v);
			found = t->r[i];
			if (at)
				*at = i;
		}
	}
	if (!found)
		fail_msg("no row with %s = %" PRId64, key, v);
	return found;
}

static const char *str_of(const struct sl_json_node *row, const char *key)
{
	const struct sl_json_node *n = sl_json_get(row, key);
	if (!n || n->type != SL_JSON_STRING)
		fail_msg("member %s is not a string", key);
	return n->u.str.s;
}

static int64_t int_of(const struct sl_json_node *row, const char *key)
{
	const struct sl_json_node *n = sl_json_get(row, key);
	if (!n || n->type != SL_JSON_INT)
		fail_msg("member %s is not an integer", key);
	return n->u.i;
}

static double num_of(const struct sl_json_node *row, const char *key)
{
	const struct sl_json_node *n = sl_json_get(row, key);
	if (n && n->type == SL_JSON_INT)
		return (double)n->u.i;
	if (!n || n->type != SL_JSON_DOUBLE)
		fail_msg("member %s is not a number", key);
	return n->u.d;
}

static bool is_null(const struct sl_json_node *row, const char *key)
{
	const struct sl_json_node *n = sl_json_get(row, key);
	return !n || n->type == SL_JSON_NULL;
}

/* Files left in the lake's temporary folder. */
static int tmp_files(struct fx *fx)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/.sluice/tmp", fx->dir);
	return th_count_files(path);
}

static const char EVENTS1[] =
	"{\"id\":1,\"ts\":\"2026-01-01T10:00:00Z\",\"v\":\"a\",\"amount\":10.5,\"ok\":true,"
	"\"attrs\":{\"country\":\"DE\",\"n\":3},\"tags\":[\"x\",\"y\"]}\n"
	"{\"id\":2,\"ts\":\"2026-01-01T11:00:00Z\",\"v\":\"b\",\"amount\":20.0,\"ok\":false,"
	"\"attrs\":{\"country\":\"FR\",\"n\":4},\"tags\":[]}\n"
	"{\"id\":3,\"ts\":\"2026-01-02T10:00:00Z\",\"v\":\"a\",\"amount\":-1.25,\"ok\":true,"
	"\"attrs\":{\"country\":\"DE\",\"n\":5},\"tags\":[\"z\"]}\n"
	"{\"id\":4,\"ts\":\"2026-01-02T12:00:00Z\",\"v\":\"c\",\"amount\":0.5,\"ok\":false,"
	"\"attrs\":{\"country\":\"IT\",\"n\":6},\"tags\":[\"x\"]}\n";

/* ---- projection, WHERE, expressions ------------------------------------------------------ */

static void test_projection(void **state)
{
	struct fx *fx = *state;
	raw_put(fx, "events/a.ndjson", EVENTS1);
	crawl(fx);
	job_sql(fx, "p", "events", "events_p", "",
		"SELECT id, upper(v) AS v_up, amount * 2 AS twice, ok, ts, "
		"  id || '-' || v AS label, amount > 1 AS big\n"
		"FROM source WHERE amount > 0 -- the refunds stay out\n");
	struct sl_etl_result r = run_ok(fx, "p");
	assert_int_equal(r.rows_in, 4);
	assert_int_equal(r.rows_out, 3);
	assert_int_equal(r.rows_rejected, 0);
	assert_int_equal(r.files, 1);

	struct rows *t = rows_read(fx, "events_p");
	assert_int_equal(t->n, 3);
	const struct sl_json_node *row = row_with(t, "id", 1, NULL);
	assert_string_equal(str_of(row, "v_up"), "A");
	assert_true(num_of(row, "twice") == 21.0);
	assert_int_equal(sl_json_get(row, "ok")->type, SL_JSON_TRUE);
	assert_string_equal(str_of(row, "ts"), "2026-01-01T10:00:00.000000Z");
	assert_string_equal(str_of(row, "label"), "1-a");
	assert_int_equal(int_of(row, "big"), 1);
	row = row_with(t, "id", 4, NULL);
	assert_int_equal(sl_json_get(row, "ok")->type, SL_JSON_FALSE);
	assert_int_equal(int_of(row, "big"), 0);
	for (size_t i = 0; i < t->n; i++)
		assert_true(int_of(t->r[i], "id") != 3);
	rows_free(t);

	/* plain columns keep their catalog types (timestamps stay timestamps, booleans
	 * booleans), computed ones are inferred; no partitions by default */
	struct sl_cat_table ct = table_get(fx, "events_p");
	assert_string_equal(ct.schema, "struct<id:int64,v_up:string,twice:double,ok:boolean,"
					"ts:timestamp(us),label:string,big:int64> not null");
	assert_string_equal(ct.partition_keys, "");
	assert_int_equal(ct.version, 1);
	sl_cat_table_release(&ct);
	assert_int_equal(tmp_files(fx), 0);
}

/* SELECT * is the source's columns as they are (not the hidden ones), with their types. */
static void test_select_star(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	raw_put(fx, "events/a.ndjson", EVENTS1);
	crawl(fx);
	job_sql(fx, "all", "events", "events_all", "", "SELECT * FROM source");
	struct sl_etl_result r = run_ok(fx, "all");
	assert_int_equal(r.rows_out, 4);
	struct sl_cat_table src, dst = table_get(fx, "events_all");
	memset(&src, 0, sizeof(src));
	assert_int_equal(fx->m->ops->catalog_table_get(fx->m->state, "raw", "events", &src, &err),
			 0);
	/* the same columns and types, made nullable */
	struct sl_type *a = sl_type_parse(src.schema, strlen(src.schema), &err);
	struct sl_type *b = sl_type_parse(dst.schema, strlen(dst.schema), &err);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(a->n_fields, b->n_fields);
	for (size_t i = 0; i < a->n_fields; i++) {
		assert_string_equal(a->fields[i].name, b->fields[i].name);
		a->fields[i].type->nullable = true;
		assert_true(sl_type_equal(a->fields[i].type, b->fields[i].type));
	}
	assert_null(strstr(dst.schema, "_object"));
	sl_type_free(a);
	sl_type_free(b);
	sl_cat_table_release(&src);
	sl_cat_table_release(&dst);
	struct rows *t = rows_read(fx, "events_all");
	const struct sl_json_node *row = row_with(t, "id", 1, NULL);
	assert_string_equal(str_of(sl_json_get(row, "attrs"), "country"), "DE");
	assert_int_equal(sl_json_get(row, "tags")->u.c.n, 2);
	assert_true(num_of(row, "amount") == 10.5);
	rows_free(t);
}

/* ---- aggregates are per run ----------------------------------------------------------- */

static void test_group_by_per_run(void **state)
{
	struct fx *fx = *state;
	raw_put(fx, "events/a.ndjson", EVENTS1);
	crawl(fx);
	job_sql(fx, "agg", "events", "events_agg", "",
		"SELECT v, count(*) AS n, sum(amount) AS total, min(_line) AS first_line\n"
		"FROM source GROUP BY v ORDER BY v");
	struct sl_etl_result r = run_ok(fx, "agg");
	assert_int_equal(r.rows_in, 4);
	assert_int_equal(r.rows_out, 3);
	raw_put(fx, "events/b.ndjson",
		"{\"id\":5,\"ts\":\"2026-01-03T10:00:00Z\",\"v\":\"a\",\"amount\":1.0,\"ok\":true,"
		"\"attrs\":{\"country\":\"DE\",\"n\":3},\"tags\":[]}\n");
	crawl(fx);
	r = run_ok(fx, "agg");
	assert_int_equal(r.rows_in, 1);
	assert_int_equal(r.rows_out, 1);
	/* a run with nothing new runs nothing: no row of count 0 */
	r = run_ok(fx, "agg");
	assert_int_equal(r.rows_in, 0);
	assert_int_equal(r.rows_out, 0);
	assert_int_equal(r.files, 0);

	struct rows *t = rows_read(fx, "events_agg");
	assert_int_equal(t->n, 4);
	int a_rows = 0;
	for (size_t i = 0; i < t->n; i++) {
		const struct sl_json_node *row = t->r[i];
		const char *v = str_of(row, "v");
		if (strcmp(v, "a") == 0 && int_of(row, "n") == 2) {
			assert_true(num_of(row, "total") == 9.25);
			assert_int_equal(int_of(row, "first_line"), 1);
			a_rows++;
		} else if (strcmp(v, "a") == 0) {
			/* run 2's own aggregate: its one record */
			assert_int_equal(int_of(row, "n"), 1);
			assert_true(num_of(row, "total") == 1.0);
			a_rows++;
		} else if (strcmp(v, "b") == 0) {
			assert_int_equal(int_of(row, "n"), 1);
		} else {
			assert_string_equal(v, "c");
			assert_int_equal(int_of(row, "first_line"), 4);
		}
	}
	assert_int_equal(a_rows, 2);
	rows_free(t);
}

/* ---- JSON: struct and list columns ---------------------------------------------------- */

static void test_json_columns(void **state)
{
	struct fx *fx = *state;
	raw_put(fx, "events/a.ndjson", EVENTS1);
	crawl(fx);
	job_sql(fx, "js", "events", "events_js", "",
		"SELECT id, json_extract(attrs, '$.country') AS country,\n"
		"  attrs -> '$.n' AS n, json_array_length(tags) AS n_tags,\n"
		"  (SELECT group_concat(value, '+') FROM json_each(tags)) AS tag_list,\n"
		"  json_object('id', id, 'tags', json(tags)) AS doc, attrs, tags\n"
		"FROM source");
	struct sl_etl_result r = run_ok(fx, "js");
	assert_int_equal(r.rows_out, 4);
	struct rows *t = rows_read(fx, "events_js");
	const struct sl_json_node *row = row_with(t, "id", 1, NULL);
	assert_string_equal(str_of(row, "country"), "DE");
	assert_string_equal(str_of(row, "tag_list"), "x+y");
	assert_int_equal(int_of(row, "n_tags"), 2);
	/* json_object's result is JSON, not a string holding it */
	const struct sl_json_node *doc = sl_json_get(row, "doc");
	assert_int_equal(doc->type, SL_JSON_OBJECT);
	assert_int_equal(int_of(doc, "id"), 1);
	assert_int_equal(sl_json_get(doc, "tags")->u.c.n, 2);
	assert_int_equal(sl_json_get(row, "attrs")->type, SL_JSON_OBJECT);
	assert_int_equal(int_of(sl_json_get(row, "attrs"), "n"), 3);
	assert_int_equal(sl_json_get(row, "tags")->type, SL_JSON_ARRAY);
	row = row_with(t, "id", 2, NULL);
	assert_true(is_null(row, "tag_list"));
	rows_free(t);

	/* a sort drops SQLite's JSON mark: a struct of source passed through stays a
	 * struct, and json() in an outer SELECT marks a computed one again */
	job_sql(fx, "sorted", "events", "events_sorted", "",
		"SELECT id, attrs, tags, json(doc) AS doc FROM (\n"
		"  SELECT id, attrs, tags, json_object('id', id) AS doc FROM source ORDER BY id)");
	run_ok(fx, "sorted");
	t = rows_read(fx, "events_sorted");
	row = row_with(t, "id", 3, NULL);
	assert_int_equal(sl_json_get(row, "attrs")->type, SL_JSON_OBJECT);
	assert_string_equal(str_of(sl_json_get(row, "attrs"), "country"), "DE");
	assert_int_equal(sl_json_get(row, "tags")->type, SL_JSON_ARRAY);
	assert_int_equal(int_of(sl_json_get(row, "doc"), "id"), 3);
	rows_free(t);
	struct sl_cat_table ct = table_get(fx, "events_js");
	assert_non_null(strstr(ct.schema, "attrs:struct<country:string"));
	assert_non_null(strstr(ct.schema, "tags:list<string"));
	assert_non_null(strstr(ct.schema, "doc:struct<id:int64"));
	assert_non_null(strstr(ct.schema, "n:int64"));
	sl_cat_table_release(&ct);

	/* json_each as a table: one row per element */
	job_sql(fx, "each", "events", "events_tags", "",
		"SELECT s.id, j.value AS tag, j.key AS pos\n"
		"FROM source AS s, json_each(s.tags) AS j");
	r = run_ok(fx, "each");
	assert_int_equal(r.rows_in, 4);
	assert_int_equal(r.rows_out, 4); /* x, y; none; z; x */
	t = rows_read(fx, "events_tags");
	int xs = 0;
	for (size_t i = 0; i < t->n; i++)
		xs += strcmp(str_of(t->r[i], "tag"), "x") == 0;
	assert_int_equal(xs, 2);
	rows_free(t);
}

/* ---- hidden columns and the source's partitions ------------------------------------------- */

static void test_hidden_and_partitions(void **state)
{
	struct fx *fx = *state;
	raw_put(fx, "clicks/dt=2026-01-01/country=DE/a.ndjson",
		"{\"id\":1,\"ts\":\"2026-01-01T10:00:00Z\",\"Id\":\"upper\"}\n"
		"{\"id\":2,\"ts\":\"2026-01-01T11:00:00Z\"}\n");
	raw_put(fx, "clicks/dt=2026-01-02/country=a%2Fb/b.ndjson",
		"\n{\"id\":3,\"ts\":\"2026-01-02T10:00:00Z\"}\n");
	crawl(fx);
	job_sql(fx, "h", "clicks", "clicks_h", "",
		"SELECT id, _object AS obj, _line AS line, dt, country,\n"
		"  json_extract(_record, '$.Id') AS upper_id FROM source");
	struct sl_etl_result r = run_ok(fx, "h");
	assert_int_equal(r.rows_out, 3);
	struct rows *t = rows_read(fx, "clicks_h");
	const struct sl_json_node *row = row_with(t, "id", 2, NULL);
	assert_string_equal(str_of(row, "obj"), "clicks/dt=2026-01-01/country=DE/a.ndjson");
	assert_int_equal(int_of(row, "line"), 2);
	assert_string_equal(str_of(row, "dt"), "2026-01-01");
	assert_string_equal(str_of(row, "country"), "DE");
	assert_true(is_null(row, "upper_id"));
	/* "Id" differs from "id" in case only: SQL cannot name it, _record has it */
	assert_string_equal(str_of(row_with(t, "id", 1, NULL), "upper_id"), "upper");
	row = row_with(t, "id", 3, NULL);
	assert_int_equal(int_of(row, "line"), 2);
	assert_string_equal(str_of(row, "country"), "a/b"); /* Hive's escape undone */
	rows_free(t);
	struct sl_cat_table ct = table_get(fx, "clicks_h");
	assert_non_null(strstr(ct.schema, "obj:string,line:int64,dt:string,country:string"));
	sl_cat_table_release(&ct);

	/* SELECT * has none of them */
	job_sql(fx, "star", "clicks", "clicks_star", "", "SELECT * FROM source");
	run_ok(fx, "star");
	ct = table_get(fx, "clicks_star");
	assert_null(strstr(ct.schema, "_line"));
	assert_null(strstr(ct.schema, "country"));
	sl_cat_table_release(&ct);
}

/* ---- partition_by on output columns ----------------------------------------------------- */

static void test_partition_by(void **state)
{
	struct fx *fx = *state;
	raw_put(fx, "events/a.ndjson", EVENTS1);
	crawl(fx);
	job_sql(fx, "byc", "events", "events_byc", "country",
		"SELECT id, attrs ->> '$.country' AS country, amount FROM source");
	struct sl_etl_result r = run_ok(fx, "byc");
	assert_int_equal(r.rows_out, 4);
	assert_int_equal(r.files, 3);
	struct rows *t = rows_read(fx, "events_byc");
	size_t at;
	row_with(t, "id", 3, &at);
	assert_string_equal(t->part[at], "country=DE");
	row_with(t, "id", 4, &at);
	assert_string_equal(t->part[at], "country=IT");
	/* the partition column is in the folders, not in the files */
	assert_null(sl_json_get(t->r[at], "country"));
	rows_free(t);
	struct sl_cat_table ct = table_get(fx, "events_byc");
	assert_string_equal(ct.partition_keys, "country");
	assert_string_equal(ct.schema, "struct<id:int64,amount:double> not null");
	sl_cat_table_release(&ct);

	/* dt from the output's ts */
	job_sql(fx, "byd", "events", "events_byd", "dt", "SELECT id, ts FROM source");
	r = run_ok(fx, "byd");
	assert_int_equal(r.files, 2);
	t = rows_read(fx, "events_byd");
	row_with(t, "id", 3, &at);
	assert_string_equal(t->part[at], "dt=2026-01-02");
	rows_free(t);
}

/* ---- types stable across runs ------------------------------------------------------------- */

static void test_types_stable(void **state)
{
	struct fx *fx = *state;
	const char *sql = "SELECT id, amount + 0 AS score,\n"
			  "  CASE WHEN id = 1 THEN 'none' ELSE substr(ts, 1, 10) END AS day,\n"
			  "  json_extract(_record, '$.extra') AS extra\n"
			  "FROM source";
	raw_put(fx, "events/a.ndjson",
		"{\"id\":1,\"ts\":\"2026-01-01T10:00:00Z\",\"amount\":1.5}\n"
		"{\"id\":2,\"ts\":\"2026-01-02T10:00:00Z\",\"amount\":2.25}\n");
	crawl(fx);
	job_sql(fx, "st", "events", "events_st", "", sql);
	run_ok(fx, "st");
	struct sl_cat_table ct = table_get(fx, "events_st");
	/* score: doubles; day: a string and dates; extra: only nulls, left out */
	assert_string_equal(ct.schema, "struct<id:int64,score:double,day:string> not null");
	assert_int_equal(ct.version, 1);
	sl_cat_table_release(&ct);

	/* run 2's data is narrower (integers, dates only): the table keeps its types */
	raw_put(fx, "events/b.ndjson",
		"{\"id\":3,\"ts\":\"2026-01-03T10:00:00Z\",\"amount\":3}\n");
	crawl(fx);
	run_ok(fx, "st");
	ct = table_get(fx, "events_st");
	assert_string_equal(ct.schema, "struct<id:int64,score:double,day:string> not null");
	assert_int_equal(ct.version, 1);
	sl_cat_table_release(&ct);

	/* run 3 gives extra a value: the column is added, a new version */
	raw_put(fx, "events/c.ndjson",
		"{\"id\":4,\"ts\":\"2026-01-04T10:00:00Z\",\"amount\":4.5,\"extra\":true}\n");
	crawl(fx);
	run_ok(fx, "st");
	ct = table_get(fx, "events_st");
	assert_string_equal(ct.schema,
			    "struct<id:int64,score:double,day:string,extra:int64> not null");
	assert_int_equal(ct.version, 2);
	sl_cat_table_release(&ct);
	struct rows *t = rows_read(fx, "events_st");
	assert_int_equal(t->n, 4);
	const struct sl_json_node *row = row_with(t, "id", 3, NULL);
	assert_true(num_of(row, "score") == 3.0);
	assert_string_equal(str_of(row, "day"), "2026-01-03");
	assert_int_equal(int_of(row_with(t, "id", 4, NULL), "extra"), 1);
	assert_true(is_null(row_with(t, "id", 1, NULL), "extra"));
	rows_free(t);

	/* a statement whose every column held only nulls still has columns: strings */
	job_sql(fx, "nulls", "events", "events_nulls", "",
		"SELECT json_extract(_record, '$.missing') AS missing FROM source");
	assert_int_equal(run_ok(fx, "nulls").rows_out, 4);
	ct = table_get(fx, "events_nulls");
	assert_string_equal(ct.schema, "struct<missing:string> not null");
	sl_cat_table_release(&ct);
}

/* ---- refused rows --------------------------------------------------------------------- */

/* The crawler typed id from the first record only: "two" does not fit, and the writer
 * refuses the output row. */
static void put_bad(struct fx *fx)
{
	fx->lake->cfg.crawl.sample_bytes = 1;
	raw_put(fx, "events/a.ndjson",
		"{\"id\":1,\"v\":\"a\"}\n"
		"{\"id\":\"two\",\"v\":\"b\"}\n"
		"{\"id\":3,\"v\":\"c\"}\n");
	crawl(fx);
}

static void test_refused_rows(void **state)
{
	struct fx *fx = *state;
	put_bad(fx);
	job_sql(fx, "dl", "events", "events_dl", "", "SELECT id, v FROM source");
	struct sl_etl_result r = run_ok(fx, "dl");
	assert_int_equal(r.rows_in, 3);
	assert_int_equal(r.rows_out, 2);
	assert_int_equal(r.rows_rejected, 1);
	assert_string_equal(r.deadletter, "etl/dl/run-1.ndjson");
	char *text = read_object(fx, "deadletter", r.deadletter);
	struct sl_json_error e;
	struct sl_json_node *l = sl_json_tree_parse(text, strlen(text), NULL, &e);
	assert_non_null(l);
	assert_non_null(strstr(str_of(l, "error"), "expected int64"));
	/* the output row, which may come from many records */
	const struct sl_json_node *rec = sl_json_get(l, "record");
	assert_string_equal(str_of(rec, "id"), "two");
	assert_string_equal(str_of(rec, "v"), "b");
	sl_json_tree_free(l);
	free(text);
	struct rows *t = rows_read(fx, "events_dl");
	assert_int_equal(t->n, 2);
	rows_free(t);
}

static void test_on_error_fail(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	put_bad(fx);
	struct sl_job_conf *j = job_sql(fx, "strict", "events", "events_strict", "",
					"SELECT id, v FROM source");
	snprintf(j->on_error, sizeof(j->on_error), "fail");
	run_fails(fx, "strict", SL_EINVAL, &err);
	assert_non_null(strstr(err.msg, "expected int64"));
	assert_non_null(strstr(err.msg, "(on_error: fail)"));
	assert_string_equal(run_get(fx, "strict", 1).state, SL_RUN_FAILED);
	assert_int_equal(bookmark_seq(fx, "strict"), 0);
	struct rows *t = rows_read(fx, "events_strict");
	assert_int_equal(t->n, 0);
	rows_free(t);
	assert_int_equal(tmp_files(fx), 0);
}

/* ---- hostile statements --------------------------------------------------------------- */

/* The job's statement is refused in open: SL_ECONFIG naming the job, with want in the
 * message; nothing read, the bookmark where it was. */
static void refused(struct fx *fx, const char *sql, const char *want)
{
	static int n;
	char job[32];
	struct sl_err err = {0};
	snprintf(job, sizeof(job), "bad%d", ++n);
	fx->lake->cfg.etl.n_jobs = 0;
	job_sql(fx, job, "events", "events_bad", "", sql);
	struct sl_etl_result res;
	int rc = sl_etl_run_job(fx->lake, job, NULL, &res, &err);
	if (rc != SL_ECONFIG || !strstr(err.msg, want) || !strstr(err.msg, job))
		fail_msg("%s: %d '%s', expected SL_ECONFIG with '%s'", sql, rc, err.msg, want);
	struct sl_etl_run run = run_get(fx, job, 1);
	assert_string_equal(run.state, SL_RUN_FAILED);
	assert_int_equal(run.rows_in, 0);
	assert_int_equal(bookmark_seq(fx, job), 0);
}

static void test_hostile_sql(void **state)
{
	struct fx *fx = *state;
	raw_put(fx, "events/a.ndjson", EVENTS1);
	crawl(fx);
	/* bad SQL, found before any record is read */
	refused(fx, "SELECT id, amout FROM source", "no such column: amout");
	refused(fx, "SELECT \"amout\" AS a FROM source", "no such column: amout");
	refused(fx, "SELEKT 1", "syntax error");
	refused(fx, "-- nothing but a comment", "no statement");
	refused(fx, "SELECT id FROM source WHERE v = ?", "too many SQL variables");
	/* one statement */
	refused(fx, "SELECT 1 AS a; SELECT 2 AS b", "one statement only");
	refused(fx, "SELECT id FROM source; DROP TABLE source", "one statement only");
	/* read only, source only */
	refused(fx, "ATTACH DATABASE 'x.db' AS x", "not authorized: ATTACH");
	refused(fx, "DETACH DATABASE main", "not authorized");
	refused(fx, "PRAGMA table_info(source)", "not authorized: PRAGMA table_info");
	refused(fx, "PRAGMA temp_store = MEMORY", "not authorized: PRAGMA temp_store");
	refused(fx, "SELECT * FROM pragma_table_info('source')",
		"not authorized: a virtual table other than source");
	refused(fx, "SELECT name FROM sqlite_master",
		"not authorized: reading table sqlite_master");
	refused(fx, "SELECT * FROM sqlite_temp_master", "not authorized");
	refused(fx, "SELECT * FROM dbstat", "not authorized: a virtual table other than");
	refused(fx, "SELECT load_extension('libx') AS x",
		"not authorized: calling a function: load_extension");
	refused(fx, "CREATE TABLE t(a)", "not authorized");
	refused(fx, "CREATE TEMP VIEW v AS SELECT 1", "not authorized");
	refused(fx, "INSERT INTO source(id) VALUES (1)", "source");
	refused(fx, "DELETE FROM source", "source");
	refused(fx, "BEGIN", "not authorized");
	refused(fx, "VACUUM", "not a SELECT");
	refused(fx, "EXPLAIN SELECT id FROM source", "not a SELECT");
	refused(fx, "WITH c(x) AS (SELECT 1) SELECT x FROM c, sqlite_master",
		"reading table sqlite_master");
	/* limits */
	char deep[1024];
	int o = snprintf(deep, sizeof(deep), "SELECT 1");
	for (int i = 0; i < 150; i++)
		o += snprintf(deep + o, sizeof(deep) - (size_t)o, "+1");
	snprintf(deep + o, sizeof(deep) - (size_t)o, " AS a");
	refused(fx, deep, "too large (maximum depth 100)");
	/* result column names */
	refused(fx, "SELECT count(*) FROM source", "e.g. count(*) AS count");
	refused(fx, "SELECT id AS \"User-Id\" FROM source", "AS user_id");
	refused(fx, "SELECT id AS ID FROM source", "AS id");
	refused(fx, "SELECT id, id FROM source", "result columns 1 and 2 are both named id");
	/* partition_by that the output has not */
	fx->lake->cfg.etl.n_jobs = 0;
	job_sql(fx, "nopart", "events", "events_np", "country", "SELECT id FROM source");
	struct sl_err err = {0};
	run_fails(fx, "nopart", SL_ECONFIG, &err);
	assert_non_null(strstr(err.msg, "partition_by column country is not a column"));
	assert_int_equal(run_get(fx, "nopart", 1).rows_in, 0);
	/* a CTE of one's own may be read, recursive or not */
	fx->lake->cfg.etl.n_jobs = 0;
	job_sql(fx, "cte", "events", "events_cte", "",
		"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3),\n"
		"  s AS (SELECT id FROM source)\n"
		"SELECT s.id, n.i FROM s, n;;  /* blank after */");
	assert_int_equal(run_ok(fx, "cte").rows_out, 12);
	assert_int_equal(tmp_files(fx), 0);
}

/* Endless statements are stopped by their budget: the run fails, nothing committed. */
static void test_budget(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	raw_put(fx, "events/a.ndjson", EVENTS1);
	crawl(fx);
	job_sql(fx, "loop", "events", "events_loop", "",
		"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c)\n"
		"SELECT count(*) AS n FROM c");
	run_fails(fx, "loop", SL_ELIMIT, &err);
	assert_non_null(strstr(err.msg, "job loop: sql: the statement was stopped after"));
	assert_non_null(strstr(err.msg, "budget for 4 records"));
	struct sl_etl_run run = run_get(fx, "loop", 1);
	assert_string_equal(run.state, SL_RUN_FAILED);
	assert_non_null(strstr(run.error, "budget"));
	assert_int_equal(bookmark_seq(fx, "loop"), 0);

	/* one that gives rows without end */
	job_sql(fx, "rows", "events", "events_rows", "",
		"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c)\n"
		"SELECT x FROM c");
	run_fails(fx, "rows", SL_ELIMIT, &err);
	assert_non_null(strstr(err.msg, "gave more than 1004000 rows"));
	struct rows *t = rows_read(fx, "events_rows");
	assert_int_equal(t->n, 0);
	rows_free(t);
	assert_int_equal(tmp_files(fx), 0);

	/* an error while it runs fails the run with SQLite's message */
	job_sql(fx, "bad_json", "events", "events_bj", "",
		"SELECT id, json_extract(v, '$.a') AS a FROM source");
	run_fails(fx, "bad_json", SL_EINVAL, &err);
	assert_non_null(strstr(err.msg, "job bad_json: sql: malformed JSON"));
}

/* ---- kills ------------------------------------------------------------------------------ */

#define CRASH_LEASE_MS 1000
#define CRASH_SQL "SELECT id, v, ts FROM source ORDER BY v DESC, id"
#define CRASH_SQL2 "SELECT v, count(*) AS n FROM source GROUP BY v"

static void crash_jobs(struct fx *fx)
{
	job_sql(fx, "known", "events", "events_k", "", CRASH_SQL);
	job_sql(fx, "inferred", "events", "events_i", "", CRASH_SQL2);
}

static int crash_child(const char *dir, const char *job)
{
	struct sl_err err = {0};
	struct sl_lake *lake = th_crash_child_open(dir, "sql_emit:100");
	if (!lake)
		return 2;
	struct fx fx = {.lake = lake, .m = &lake->meta};
	crash_jobs(&fx);
	lake->cfg.etl.lease_ms = CRASH_LEASE_MS;
	int rc = sl_etl_run_job(lake, job, NULL, NULL, &err);
	fprintf(stderr, "child: sql_emit was not reached (%d: %s)\n", rc, err.msg);
	sl_lake_close(lake);
	return 3;
}

static void crash_at(struct fx *fx, const char *job)
{
	th_crash_child_run(fx->dir, job);
}

/* Killed while the statement runs (rows emitted as they come: its sort is open) and
 * while the spooled result rows are emitted: no file is left in the lake's temporary
 * folder, and the next run does it all. */
static void test_kill_leaves_no_spool(void **state)
{
	struct fx *fx = *state;
	crash_jobs(fx);
	raw_put(fx, "events/a.ndjson", EVENTS1);
	crawl(fx);
	assert_int_equal(tmp_files(fx), 0);
	crash_at(fx, "known");
	assert_int_equal(tmp_files(fx), 0);
	crash_at(fx, "inferred");
	assert_int_equal(tmp_files(fx), 0);
	sl_sleep_ms(CRASH_LEASE_MS + 100);
	assert_int_equal(run_ok(fx, "known").rows_out, 4);
	assert_int_equal(run_ok(fx, "inferred").rows_out, 3);
	assert_string_equal(run_get(fx, "known", 1).state, SL_RUN_FAILED);
	assert_int_equal(tmp_files(fx), 0);
}

/* ---- the transform alone ------------------------------------------------------------------ */

struct dx {
	struct sl_buf out;          /* the emitted rows, one a line */
	int64_t emitted, refused, progress;
	char why[256];
	const char *tmp_dir;
	int tmp_fds, named_fds;     /* seen at the first emit (dx_look) */
	bool look;
};

/* Counts the descriptors of this process open on files in tmp_dir: deleted ones and
 * ones that still have a name. */
static void fds_in(const char *dir, int *deleted, int *named)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	size_t n = strlen(dir);
	*deleted = *named = 0;
	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		char path[300], link[PATH_MAX + 16];
		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		ssize_t k = readlink(path, link, sizeof(link) - 1);
		if (k <= 0)
			continue;
		link[k] = '\0';
		if (strncmp(link, dir, n) != 0 || link[n] != '/')
			continue;
		if (strstr(link, " (deleted)"))
			(*deleted)++;
		else
			(*named)++;
	}
	closedir(d);
}

static int dx_emit(void *ctx, const struct sl_etl_rec *src, const struct sl_json_doc *row,
		   struct sl_err *err)
{
	struct dx *d = ctx;
	(void)err;
	assert_null(src);
	if (d->look && d->emitted == 0)
		fds_in(d->tmp_dir, &d->tmp_fds, &d->named_fds);
	d->emitted++;
	assert_int_equal(sl_buf_append(&d->out, row->text, row->len), 0);
	assert_int_equal(sl_buf_puts(&d->out, "\n"), 0);
	return 0;
}

static int dx_refuse(void *ctx, const struct sl_etl_rec *src, const char *why,
		     struct sl_err *err)
{
	struct dx *d = ctx;
	(void)src;
	(void)err;
	d->refused++;
	snprintf(d->why, sizeof(d->why), "%s", why);
	return 0;
}

static void dx_progress(void *ctx)
{
	((struct dx *)ctx)->progress++;
}

/* Runs the SQL transform over records (NDJSON text) of row type src_type; *row gets the
 * output row type (from open or finish). 0 or the error of the call that failed. */
static int xform_run(const char *src_type, const char *part_keys, const char *sql,
		     const char *records, const char *tmp_dir, struct dx *d, char **row_text,
		     bool *row_at_open, struct sl_err *err)
{
	struct sl_job_conf conf;
	struct sl_json_limits lim;
	struct sl_type *src = sl_type_parse(src_type, strlen(src_type), err), *row = NULL;
	struct sl_json_parser *p = NULL;
	struct sl_object obj;
	void *st = NULL;
	int rc;
	assert_non_null(src);
	memset(&conf, 0, sizeof(conf));
	snprintf(conf.name, sizeof(conf.name), "direct");
	snprintf(conf.sql, sizeof(conf.sql), "%s", sql);
	memset(&obj, 0, sizeof(obj));
	snprintf(obj.zone, sizeof(obj.zone), "raw");
	snprintf(obj.key, sizeof(obj.key), "t/a.ndjson");
	sl_json_limits_default(&lim);
	sl_buf_init(&d->out, 0);
	d->tmp_dir = tmp_dir;
	struct sl_etl_xform_env env = {
		.job = "direct", .conf = &conf, .src_row = src, .src_part_keys = part_keys,
		.lim = &lim, .tmp_dir = tmp_dir, .ctx = d, .emit = dx_emit,
		.refuse = dx_refuse, .progress = dx_progress};
	const struct sl_etl_xform_ops *ops = sl_etl_xform_for(&conf);
	assert_ptr_equal(ops, &sl_etl_xform_sql);
	if ((rc = ops->open(&env, &st, &row, err)) != 0)
		goto done;
	*row_at_open = row != NULL;
	p = sl_json_parser_new(&lim);
	int64_t line = 1;
	for (const char *s = records; *s; line++) {
		size_t n = strcspn(s, "\n");
		struct sl_json_doc doc;
		struct sl_json_error e;
		assert_int_equal(sl_json_parse(p, s, n, &doc, &e), 0);
		struct sl_etl_rec rec = {.obj = &obj, .part = "dt=2026-01-01", .line = line,
					 .doc = &doc};
		if ((rc = ops->record(st, &rec, err)) != 0)
			goto done;
		s += n + (s[n] == '\n');
	}
	struct sl_type *late = NULL;
	rc = ops->finish(st, row ? &late : &row, err);
	sl_type_free(late);
done:
	if (row) {
		struct sl_buf b;
		sl_buf_init(&b, 0);
		sl_type_format(row, &b);
		*row_text = b.data;
	}
	if (st)
		ops->free(st);
	sl_type_free(row);
	sl_type_free(src);
	sl_json_parser_free(p);
	return rc;
}

/* Every kind of column through SELECT *: the row type is the source's (given by open),
 * and each value goes back to the JSON its type wants. */
static void test_values_direct(void **state)
{
	(void)state;
	char *dir = th_tmpdir("etlsql-direct");
	struct dx d;
	struct sl_err err = {0};
	char *row = NULL;
	bool at_open = false;
	memset(&d, 0, sizeof(d));
	const char *type = "struct<id:int32,price:decimal(10,2),ok:boolean,ts:timestamp(us),"
			   "day:date,attrs:struct<a:int64>,tags:list<string>,j:json,"
			   "big:uint64,f:float,m:map<string,int64>,s:string>";
	const char *recs =
		"{\"id\":1,\"price\":12.30,\"ok\":true,\"ts\":\"2026-01-01T10:00:00+01:00\","
		"\"day\":\"2026-01-01\",\"attrs\":{\"a\":5},\"tags\":[\"x\"],\"j\":\"text\","
		"\"big\":18446744073709551615,\"f\":0.5,\"m\":{\"k\":1},\"s\":\"\\u00e9\\n\"}\n"
		"{\"id\":2,\"price\":\"7.05\",\"ok\":false,\"j\":{\"deep\":[1,{\"x\":null}]},"
		"\"big\":7,\"s\":null}\n";
	int rc = xform_run(type, "dt", "SELECT * FROM source ORDER BY id", recs, dir, &d, &row,
			   &at_open, &err);
	if (rc)
		fail_msg("%s", err.msg);
	assert_true(at_open);
	assert_string_equal(row, "struct<id:int32,price:decimal(10,2),ok:boolean,ts:timestamp(us),"
				 "day:date,attrs:struct<a:int64>,tags:list<string>,j:json,"
				 "big:uint64,f:float,m:map<string,int64>,s:string> not null");
	assert_int_equal(d.emitted, 2);
	assert_int_equal(d.refused, 0);
	char *nl = strchr(d.out.data, '\n');
	*nl = '\0';
	assert_string_equal(d.out.data,
			    "{\"id\":1,\"price\":12.30,\"ok\":true,"
			    "\"ts\":\"2026-01-01T10:00:00+01:00\","
			    "\"day\":\"2026-01-01\",\"attrs\":{\"a\":5},\"tags\":[\"x\"],"
			    "\"j\":\"text\",\"big\":18446744073709551615,\"f\":0.5,\"m\":{\"k\":1},"
			    "\"s\":\"\u00e9\\n\"}");
	/* a numeric string stays one (the writer reads decimals from strings too) */
	assert_string_equal(nl + 1,
			    "{\"id\":2,\"price\":\"7.05\",\"ok\":false,\"ts\":null,\"day\":null,"
			    "\"attrs\":null,\"tags\":null,\"j\":{\"deep\":[1,{\"x\":null}]},"
			    "\"big\":7,\"f\":null,\"m\":null,\"s\":null}\n");
	free(row);
	sl_buf_release(&d.out);

	/* SQLite's view of them: affinities and values */
	memset(&d, 0, sizeof(d));
	row = NULL;
	rc = xform_run(type, "dt",
		       "SELECT typeof(id) AS t_id, typeof(price) AS t_price, typeof(ok) AS t_ok,\n"
		       "  typeof(ts) AS t_ts, typeof(attrs) AS t_attrs, attrs ->> '$.a' AS a,\n"
		       "  price > 10 AS dear, ok AND 1 AS okb, dt, _line AS line, _object AS obj\n"
		       "FROM source WHERE id = 1",
		       recs, dir, &d, &row, &at_open, &err);
	if (rc)
		fail_msg("%s", err.msg);
	assert_false(at_open);
	assert_string_equal(d.out.data,
			    "{\"t_id\":\"integer\",\"t_price\":\"real\",\"t_ok\":\"integer\","
			    "\"t_ts\":\"text\",\"t_attrs\":\"text\",\"a\":5,\"dear\":1,\"okb\":1,"
			    "\"dt\":\"2026-01-01\",\"line\":1,\"obj\":\"t/a.ndjson\"}\n");
	assert_string_equal(row, "struct<t_id:string,t_price:string,t_ok:string,t_ts:string,"
				 "t_attrs:string,a:int64,dear:int64,okb:int64,dt:string,"
				 "line:int64,obj:string> not null");
	free(row);
	sl_buf_release(&d.out);
	th_rmtree_free(dir);
}

/* SQLite's temporary files (a sort that spills) are made in tmp_dir and unlinked at
 * once, as the spool is; nothing has a name there while the statement runs. */
static void test_temp_files_direct(void **state)
{
	(void)state;
	char *dir = th_tmpdir("etlsql-temp");
	struct dx d;
	struct sl_err err = {0};
	char *row = NULL;
	bool at_open = false;
	struct sl_buf recs;
	memset(&d, 0, sizeof(d));
	d.look = true;
	sl_buf_init(&recs, 0);
	/* about 24 MiB to sort, three times the page cache */
	char pad[601];
	memset(pad, 'p', 600);
	pad[600] = '\0';
	for (int i = 0; i < 40000; i++)
		assert_int_equal(sl_buf_printf(&recs, "{\"id\":%d,\"v\":\"%08d%s\"}\n", i,
					       (i * 7919) % 40000, pad), 0);
	int rc = xform_run("struct<id:int64,v:string>", "", "SELECT id, v FROM source ORDER BY v",
			   recs.data, dir, &d, &row, &at_open, &err);
	if (rc)
		fail_msg("%s", err.msg);
	assert_int_equal(d.emitted, 40000);
	assert_true(d.progress > 0);
	/* the spool and at least one file of the sort's, all without names */
	assert_true(d.tmp_fds >= 2);
	assert_int_equal(d.named_fds, 0);
	assert_int_equal(th_count_files(dir), 0);
	/* sorted */
	assert_non_null(strstr(d.out.data, "{\"id\":0,\"v\":\"00000000p"));
	assert_true(strncmp(d.out.data, "{\"id\":0,", 8) == 0);
	free(row);
	sl_buf_release(&d.out);
	sl_buf_release(&recs);
	th_rmtree_free(dir);
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "--crash-child") == 0)
		return crash_child(argv[2], argv[3]);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_projection, setup, teardown),
		cmocka_unit_test_setup_teardown(test_select_star, setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_by_per_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_columns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hidden_and_partitions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partition_by, setup, teardown),
		cmocka_unit_test_setup_teardown(test_types_stable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_on_error_fail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_sql, setup, teardown),
		cmocka_unit_test_setup_teardown(test_budget, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kill_leaves_no_spool, setup, teardown),
		cmocka_unit_test(test_values_direct),
		cmocka_unit_test(test_temp_files_direct),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
