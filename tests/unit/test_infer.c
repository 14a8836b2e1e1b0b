/*
 * test_infer.c - type inference from JSON records (types/infer.h): each rung of the
 * lattice, nullability from nulls and from absent members, conflicts reported with both
 * kinds and the record, the map disguised as a struct, the depth cap and the path cap.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/json.h"
#include "types/infer.h"

/* Infers from NDJSON-ish lines; returns the row type's text form (malloc'd) or NULL
 * with err filled. */
static char *infer_lines(const char *const *lines, size_t n,
			 const struct sl_infer_opts *opts, struct sl_infer **keep,
			 struct sl_err *err)
{
	struct sl_json_parser *p = sl_json_parser_new(NULL);
	struct sl_infer *inf = sl_infer_new(opts);
	struct sl_type *t = NULL;
	struct sl_buf b;
	char *out = NULL;

	assert_non_null(p);
	assert_non_null(inf);
	sl_buf_init(&b, 1 << 20);
	for (size_t i = 0; i < n; i++) {
		struct sl_json_doc doc;
		struct sl_json_error e;

		assert_int_equal(sl_json_parse(p, lines[i], strlen(lines[i]), &doc, &e), 0);
		if (sl_infer_add(inf, &doc, err) < 0)
			goto done;
	}
	t = sl_infer_row_type(inf, err);
	if (t) {
		assert_int_equal(sl_type_format(t, &b), 0);
		out = strdup(b.data);
	}
done:
	sl_type_free(t);
	sl_buf_release(&b);
	sl_json_parser_free(p);
	if (keep)
		*keep = inf;
	else
		sl_infer_free(inf);
	return out;
}

static void expect_type(const char *const *lines, size_t n, const char *want)
{
	struct sl_err err = {0};
	char *got = infer_lines(lines, n, NULL, NULL, &err);

	if (!got)
		fail_msg("inference failed: %s", err.msg);
	if (strcmp(got, want) != 0)
		fail_msg("got  %s\nwant %s", got, want);
	free(got);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_scalars(void **state)
{
	const char *const l[] = {
		"{\"b\":true,\"i\":1,\"d\":1.5,\"s\":\"x\",\"ts\":\"2026-11-25T10:00:00Z\","
		"\"dt\":\"2026-11-25\",\"u\":\"0f8fad5b-d9cb-469f-a165-70867728950e\"}",
	};
	(void)state;
	expect_type(l, N(l), "struct<b:boolean not null,i:int64 not null,d:double not null,"
			     "s:string not null,ts:timestamp(us) not null,dt:date not null,"
			     "u:uuid not null> not null");
}

static void test_widening_and_nulls(void **state)
{
	const char *const l[] = {
		"{\"n\":1,\"x\":null,\"ts\":\"2026-11-25T10:00:00Z\",\"a\":1}",
		"{\"n\":2.5,\"x\":null,\"ts\":\"2026-11-25\"}",
		"{\"n\":null,\"x\":null,\"ts\":\"2026-11-25T10:00:00+01:00\",\"a\":2}",
	};
	(void)state;
	/* int + double -> double; a date among date-times -> string; a member absent from
	 * one record -> nullable; always null -> json */
	expect_type(l, N(l), "struct<n:double,x:json,ts:string not null,a:int64> not null");
}

static void test_nested(void **state)
{
	const char *const l[] = {
		"{\"p\":{\"id\":1,\"tags\":[\"a\",\"b\"]},\"l\":[[1],[]]}",
		"{\"p\":{\"id\":2,\"tags\":[],\"extra\":true},\"l\":[]}",
		"{\"p\":null,\"l\":[[null]]}",
	};
	(void)state;
	expect_type(l, N(l), "struct<p:struct<id:int64 not null,tags:list<string not null> not "
			     "null,extra:boolean>,l:list<list<int64> not null> not null> not null");
}

static void test_conflict_reported(void **state)
{
	const char *const l[] = {
		"{\"v\":1}",
		"{\"v\":2}",
		"{\"v\":\"three\"}",
		"{\"v\":{\"four\":4}}",
	};
	struct sl_err err = {0};
	struct sl_infer *inf;
	const struct sl_infer_conflict *c;
	size_t n;
	char *got;

	(void)state;
	got = infer_lines(l, N(l), NULL, &inf, &err);
	assert_non_null(got);
	assert_string_equal(got, "struct<v:json not null> not null");
	c = sl_infer_conflicts(inf, &n);
	assert_int_equal(n, 1); /* one entry per path, at the first conflict */
	assert_string_equal(c[0].path, "/v");
	assert_string_equal(c[0].a, "int64");
	assert_string_equal(c[0].b, "string");
	assert_int_equal(c[0].record, 2);
	assert_int_equal(sl_infer_records(inf), 4);
	free(got);
	sl_infer_free(inf);
}

/* The crawler asks for string where `convert --infer` keeps json: only the conflict's
 * type changes; a value never seen and a value nested too deep stay json. */
static void test_conflict_kind(void **state)
{
	const char *const l[] = {
		"{\"v\":1,\"n\":null,\"d\":{\"x\":{\"y\":1}},\"l\":[1,\"a\",[2]]}",
		"{\"v\":\"two\",\"n\":null,\"d\":{\"x\":{\"y\":2}},\"l\":[]}",
	};
	struct sl_infer_opts o;
	struct sl_err err = {0};
	char *got;

	(void)state;
	sl_infer_opts_default(&o);
	assert_int_equal(o.conflict_kind, SL_T_JSON);
	o.max_depth = 2;
	got = infer_lines(l, N(l), &o, NULL, &err);
	assert_non_null(got);
	assert_string_equal(got, "struct<v:json not null,n:json,d:struct<x:json not null> not null,"
				 "l:list<json not null> not null> not null");
	free(got);

	o.conflict_kind = SL_T_STRING;
	got = infer_lines(l, N(l), &o, NULL, &err);
	assert_non_null(got);
	assert_string_equal(got, "struct<v:string not null,n:json,d:struct<x:json not null> not "
				 "null,l:list<string not null> not null> not null");
	free(got);
}

/* omit_unknown (the crawler): members that never held a value (only null, only empty
 * arrays, at any depth) are left out rather than typed json, which would absorb every
 * type a later object brings. */
static void test_omit_unknown(void **state)
{
	const char *const l[] = {
		"{\"id\":1,\"n\":null,\"e\":[],\"ee\":[[]],\"s\":{\"m\":null,\"k\":true}}",
		"{\"id\":2,\"n\":null,\"e\":[],\"l\":[1]}",
	};
	struct sl_infer_opts o;
	struct sl_err err = {0};
	char *got;

	(void)state;
	sl_infer_opts_default(&o);
	assert_false(o.omit_unknown);
	o.omit_unknown = true;
	got = infer_lines(l, N(l), &o, NULL, &err);
	assert_non_null(got);
	assert_string_equal(got, "struct<id:int64 not null,s:struct<k:boolean not null>,"
				 "l:list<int64 not null>> not null");
	free(got);
}

/* Regression: past 16 members an object family gets a hash index, and members added
 * after it was built (until it doubles) were not put in it, so a later record's member
 * of that name was added again: "duplicate field name" on the game telemetry. */
static void test_members_added_after_the_index_are_found(void **state)
{
	char rec[3][512];
	const char *l[3];
	size_t at = 0;
	char *got;
	struct sl_err err = {0};

	(void)state;
	/* 17 members make the index; then 3 more one record later; then one of those */
	at = (size_t)snprintf(rec[0], sizeof(rec[0]), "{");
	for (int i = 0; i < 17; i++)
		at += (size_t)snprintf(rec[0] + at, sizeof(rec[0]) - at, "%s\"m%d\":%d",
				       i ? "," : "", i, i);
	snprintf(rec[0] + at, sizeof(rec[0]) - at, "}");
	snprintf(rec[1], sizeof(rec[1]), "{\"late1\":1,\"late2\":2,\"reason\":\"x\"}");
	snprintf(rec[2], sizeof(rec[2]), "{\"reason\":\"y\",\"m3\":3}");
	for (int i = 0; i < 3; i++)
		l[i] = rec[i];
	got = infer_lines(l, 3, NULL, NULL, &err);
	assert_non_null(got);
	assert_non_null(strstr(got, "reason:string"));
	assert_null(strstr(strstr(got, "reason:") + 1, "reason:"));
	free(got);
}

/* A conflict's path is made from the record's tape when it is noted: nested members,
 * list elements (a later element of the same array), map values and escaped names. */
static void test_conflict_paths(void **state)
{
	const char *const l[] = {
		"{\"id\":1,\"a\":{\"b/c\":[{\"x\":1},{\"x\":2}]},\"m\":{\"k0\":1,\"k1\":1}}",
		"{\"id\":2,\"a\":{\"b/c\":[{\"x\":3},{\"y\":0,\"x\":\"four\"}]}}",
		"{\"id\":3,\"m\":{\"k2\":1,\"k3\":1,\"k4\":true},\"t~\":[[1],[[2]]]}",
	};
	struct sl_infer_opts o;
	struct sl_err err = {0};
	struct sl_infer *inf;
	const struct sl_infer_conflict *c;
	size_t n;
	char *got;

	(void)state;
	sl_infer_opts_default(&o);
	o.max_struct_fields = 4; /* m is a map by record 3 */
	got = infer_lines(l, N(l), &o, &inf, &err);
	assert_non_null(got);
	c = sl_infer_conflicts(inf, &n);
	assert_int_equal(n, 3);
	assert_string_equal(c[0].path, "/a/b~1c/*/x");
	assert_int_equal(c[0].record, 1);
	assert_string_equal(c[1].path, "/m/*");
	assert_string_equal(c[2].path, "/t~0/*/*");
	free(got);
	sl_infer_free(inf);
}

static void test_map_disguised_as_struct(void **state)
{
	struct sl_infer_opts o;
	struct sl_err err = {0};
	char rec[4][128];
	const char *l[4];
	char *got;

	(void)state;
	sl_infer_opts_default(&o);
	o.max_struct_fields = 5;
	for (int i = 0; i < 4; i++) {
		snprintf(rec[i], sizeof(rec[i]),
			 "{\"id\":%d,\"counts\":{\"k%d\":%d,\"k%d\":%d.5}}", i, 2 * i, i,
			 2 * i + 1, i);
		l[i] = rec[i];
	}
	got = infer_lines(l, 4, &o, NULL, &err);
	assert_non_null(got);
	assert_string_equal(got, "struct<id:int64 not null,counts:map<string,double not null> not null> "
				 "not null");
	free(got);
}

static void test_refusals_and_caps(void **state)
{
	const char *const arr[] = {"[1,2]"};
	const char *const empty_name[] = {"{\"\":1}"};
	const char *const deep[] = {"{\"a\":{\"b\":{\"c\":{\"d\":1}}}}"};
	struct sl_infer_opts o;
	struct sl_err err = {0};
	char *got;

	(void)state;
	assert_null(infer_lines(arr, 1, NULL, NULL, &err));
	assert_int_equal(err.code, SL_EINVAL);
	assert_non_null(strstr(err.msg, "JSON object"));
	assert_null(infer_lines(empty_name, 1, NULL, NULL, &err));
	assert_int_equal(err.code, SL_EINVAL);

	sl_infer_opts_default(&o);
	o.max_depth = 2;
	got = infer_lines(deep, 1, &o, NULL, &err);
	assert_non_null(got);
	assert_string_equal(got, "struct<a:struct<b:json not null> not null> not null");
	free(got);

	sl_infer_opts_default(&o);
	o.max_paths = 3;
	assert_null(infer_lines(deep, 1, &o, NULL, &err));
	assert_int_equal(err.code, SL_ELIMIT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_widening_and_nulls),
		cmocka_unit_test(test_nested),
		cmocka_unit_test(test_conflict_reported),
		cmocka_unit_test(test_conflict_kind),
		cmocka_unit_test(test_omit_unknown),
		cmocka_unit_test(test_members_added_after_the_index_are_found),
		cmocka_unit_test(test_conflict_paths),
		cmocka_unit_test(test_map_disguised_as_struct),
		cmocka_unit_test(test_refusals_and_caps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
