/*
 * test_schema.c - the validator's own promises, beyond the Test Suite: bad schemas are
 * refused with what and where; bad records get a reason with pointer, keyword and
 * offset; schema bombs, regex bombs and deep records are bounded; remote references go
 * only to the resolver; the silent and the reporting pass agree.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json/json.h"
#include "schema/schema.h"
#include "util/buf.h"

static struct sl_schema *compile_ok(const char *text)
{
	struct sl_schema *s = NULL;
	struct sl_err err = {0};
	int rc = sl_schema_compile(text, strlen(text), NULL, &s, &err);
	if (rc != 0)
		fail_msg("schema refused: %s", err.msg);
	return s;
}

/* The message of a refused schema (static buffer). */
static const char *refused(const char *text)
{
	static struct sl_err err;
	struct sl_schema *s = NULL;
	memset(&err, 0, sizeof(err));
	int rc = sl_schema_compile(text, strlen(text), NULL, &s, &err);
	if (rc == 0)
		fail_msg("schema accepted: %s", text);
	assert_null(s);
	assert_true(err.msg[0] != '\0');
	return err.msg;
}

/* Validates one record; returns the verdict and copies the first reason to *e. */
static int check(const struct sl_schema *s, const char *rec, struct sl_schema_error *e)
{
	struct sl_json_parser *p = sl_json_parser_new(NULL);
	struct sl_json_doc doc;
	struct sl_json_error je;
	if (sl_json_parse(p, rec, strlen(rec), &doc, &je) != 0)
		fail_msg("record does not parse: %s", je.msg);
	struct sl_validator *v = sl_validator_new(s);
	assert_non_null(v);
	struct sl_schema_error errs[4];
	size_t n = 99;
	int silent = sl_validate(v, &doc, NULL, 0, NULL);
	int rc = sl_validate(v, &doc, errs, 4, &n);
	assert_int_equal(silent, rc); /* the fast and the reporting pass agree */
	if (rc == 1)
		assert_int_equal(n, 0);
	if (rc == 0) {
		assert_true(n >= 1);
		if (e)
			*e = errs[0];
	}
	sl_validator_free(v);
	sl_json_parser_free(p);
	return rc;
}

static void test_bad_schemas_refused_with_place(void **state)
{
	(void)state;
	assert_non_null(strstr(refused("{\"type\": \"object\","), "line 1"));
	assert_non_null(strstr(refused("[1, 2]"), "object or a boolean"));
	assert_non_null(strstr(refused("{\"properties\": {\"a\": {\"minimum\": \"3\"}}}"),
			       "/properties/a"));
	assert_non_null(strstr(refused("{\"type\": \"strnig\"}"), "unknown type \"strnig\""));
	assert_non_null(strstr(refused("{\"minLength\": -1}"), "non-negative integer"));
	assert_non_null(strstr(refused("{\"multipleOf\": 0}"), "greater than 0"));
	assert_non_null(strstr(refused("{\"required\": [1]}"), "not a string"));
	assert_non_null(strstr(refused("{\"pattern\": \"(unclosed\"}"), "invalid regular expression"));
	assert_non_null(strstr(refused("{\"patternProperties\": {\"[z-a]\": true}}"),
			       "/patternProperties/[z-a]"));
	assert_non_null(strstr(refused("{\"$ref\": \"#/$defs/missing\"}"), "points at nothing"));
	assert_non_null(strstr(refused("{\"$ref\": \"other.json\"}"), "not in this schema"));
	assert_non_null(strstr(refused("{\"$ref\": \"#nowhere\"}"), "no anchor"));
	assert_non_null(strstr(refused("{\"$schema\": \"http://json-schema.org/draft-04/schema#\"}"),
			       "unsupported $schema"));
	/* cycles that never consume input */
	assert_non_null(strstr(refused("{\"$ref\": \"#\"}"), "cycle"));
	assert_non_null(strstr(refused("{\"$defs\": {\"a\": {\"$ref\": \"#/$defs/b\"}, "
				       "\"b\": {\"anyOf\": [{\"$ref\": \"#/$defs/a\"}]}}, "
				       "\"$ref\": \"#/$defs/a\"}"),
			       "cycle"));
	/* a cycle through a descending keyword is fine: a tree */
	struct sl_schema *s = compile_ok("{\"type\": \"object\","
					 " \"properties\": {\"kids\": {\"items\": {\"$ref\": \"#\"}}}}");
	assert_int_equal(check(s, "{\"kids\": [{\"kids\": []}]}", NULL), 1);
	assert_int_equal(check(s, "{\"kids\": [{\"kids\": [3]}]}", NULL), 0);
	sl_schema_free(s);
}

static void test_reasons_say_where(void **state)
{
	(void)state;
	struct sl_schema *s = compile_ok(
		"{\"type\": \"object\", \"required\": [\"id\"], \"additionalProperties\": false,"
		" \"properties\": {\"id\": {\"type\": \"integer\"},"
		" \"tags\": {\"items\": {\"enum\": [\"a\", \"b\"]}},"
		" \"ts\": {\"format\": \"date-time\"}, \"a/b~c\": {\"maximum\": 3}}}");
	struct sl_schema_error e;
	assert_int_equal(check(s, "{\"tags\": []}", &e), 0);
	assert_string_equal(e.keyword, "required");
	assert_string_equal(e.pointer, "");
	assert_non_null(strstr(e.msg, "\"id\""));

	const char *rec = "{\"id\": 1, \"tags\": [\"a\", \"zz\"]}";
	assert_int_equal(check(s, rec, &e), 0);
	assert_string_equal(e.keyword, "enum");
	assert_string_equal(e.pointer, "/tags/1");
	assert_int_equal(e.offset, strstr(rec, "\"zz\"") - rec);
	assert_string_equal(e.schema_path, "/properties/tags/items/enum");

	assert_int_equal(check(s, "{\"id\": 1, \"a/b~c\": 4}", &e), 0);
	assert_string_equal(e.pointer, "/a~1b~0c");
	assert_string_equal(e.keyword, "maximum");

	assert_int_equal(check(s, "{\"id\": 1, \"extra\": true}", &e), 0);
	assert_string_equal(e.keyword, "additionalProperties");
	assert_string_equal(e.pointer, "/extra");

	assert_int_equal(check(s, "{\"id\": 1, \"ts\": \"2026-02-30T00:00:00Z\"}", &e), 0);
	assert_string_equal(e.keyword, "format");

	assert_int_equal(check(s, "{\"id\": 1.5}", &e), 0);
	assert_string_equal(e.keyword, "type");
	assert_non_null(strstr(e.msg, "integer"));
	assert_int_equal(check(s, "{\"id\": 2.0}", NULL), 1); /* 2.0 is an integer */
	sl_schema_free(s);
}

static void test_hostile_records_get_reasons(void **state)
{
	(void)state;
	struct sl_schema *s = compile_ok(
		"{\"properties\": {\"n\": {\"maximum\": 9223372036854775807},"
		" \"s\": {\"maxLength\": 10}, \"d\": {\"type\": \"object\"}}}");
	struct sl_schema_error e;
	/* a number beyond int64 and beyond the maximum */
	assert_int_equal(check(s, "{\"n\": 92233720368547758070}", &e), 0);
	assert_string_equal(e.keyword, "maximum");
	/* a huge string */
	size_t big = 4 << 20;
	char *rec = malloc(big + 32);
	assert_non_null(rec);
	memcpy(rec, "{\"s\": \"", 7);
	memset(rec + 7, 'x', big);
	strcpy(rec + 7 + big, "\"}");
	assert_int_equal(check(s, rec, &e), 0);
	assert_string_equal(e.keyword, "maxLength");
	free(rec);
	/* duplicate keys */
	assert_int_equal(check(s, "{\"s\": \"a\", \"s\": \"b\"}", &e), 0);
	assert_string_equal(e.keyword, "$json");
	assert_non_null(strstr(e.msg, "duplicate key \"s\""));
	/* deep nesting up to the parser's limit is validated without trouble */
	struct sl_buf b;
	sl_buf_init(&b, 0);
	sl_buf_puts(&b, "{\"d\":");
	for (int k = 0; k < 500; k++)
		sl_buf_puts(&b, "[");
	for (int k = 0; k < 500; k++)
		sl_buf_puts(&b, "]");
	sl_buf_puts(&b, "}");
	sl_buf_append(&b, "", 1);
	assert_int_equal(check(s, b.data, &e), 0);
	assert_string_equal(e.keyword, "type");
	sl_buf_release(&b);
	sl_schema_free(s);
}

static void test_bombs_are_bounded(void **state)
{
	(void)state;
	/* 40 levels, each an anyOf of two references to the level below, the bottom always
	 * failing: 2^40 evaluations without a budget, a few hundred bytes of schema */
	struct sl_buf b;
	sl_buf_init(&b, 0);
	sl_buf_puts(&b, "{\"$defs\": {\"l0\": {\"minLength\": 1000}");
	for (int k = 1; k <= 40; k++)
		sl_buf_printf(&b, ", \"l%d\": {\"anyOf\": [{\"$ref\": \"#/$defs/l%d\"},"
				  " {\"$ref\": \"#/$defs/l%d\"}]}", k, k - 1, k - 1);
	sl_buf_puts(&b, "}, \"$ref\": \"#/$defs/l40\"}");
	sl_buf_append(&b, "", 1);
	struct sl_schema *s = compile_ok(b.data);
	sl_buf_release(&b);
	struct sl_schema_error e;
	assert_int_equal(check(s, "\"short\"", &e), 0);
	assert_string_equal(e.keyword, "$limit");
	sl_schema_free(s);

	/* catastrophic backtracking */
	s = compile_ok("{\"pattern\": \"^(a+)+$\"}");
	char rec[80];
	memset(rec, 'a', sizeof(rec));
	rec[0] = '"';
	memcpy(rec + sizeof(rec) - 4, "!\"", 3);
	assert_int_equal(check(s, rec, &e), 0);
	assert_string_equal(e.keyword, "$limit");
	sl_schema_free(s);
}

struct fake_registry {
	int calls;
};

static int load(void *ctx, const char *uri, char **text, size_t *len, struct sl_err *err)
{
	struct fake_registry *r = ctx;
	r->calls++;
	if (strcmp(uri, "sluice:ids/1") != 0) {
		sl_err_set(err, SL_ENOENT, "unknown");
		return SL_ENOENT;
	}
	*text = strdup("{\"$defs\": {\"id\": {\"type\": \"string\", \"format\": \"uuid\"}}}");
	*len = strlen(*text);
	return 0;
}

static void test_remote_refs_only_through_resolver(void **state)
{
	(void)state;
	struct fake_registry reg = {0};
	struct sl_schema_resolver res = {load, &reg};
	struct sl_schema_opts opts = {.resolver = &res};
	const char *text = "{\"properties\": {\"id\": {\"$ref\": \"sluice:ids/1#/$defs/id\"}}}";
	struct sl_schema *s = NULL;
	struct sl_err err = {0};
	assert_int_equal(sl_schema_compile(text, strlen(text), &opts, &s, &err), 0);
	assert_int_equal(reg.calls, 1);
	assert_int_equal(check(s, "{\"id\": \"96625d5c-ef90-4366-bed2-3a96de1940b3\"}", NULL), 1);
	assert_int_equal(check(s, "{\"id\": \"nope\"}", NULL), 0);
	sl_schema_free(s);
	text = "{\"$ref\": \"https://example.com/x.json\"}";
	assert_int_not_equal(sl_schema_compile(text, strlen(text), &opts, &s, &err), 0);
	assert_non_null(strstr(err.msg, "https://example.com/x.json"));
	assert_int_equal(reg.calls, 2);
}

static void test_draft7_by_schema_keyword(void **state)
{
	(void)state;
	/* draft-07: array-form items and additionalItems; $ref siblings ignored */
	struct sl_schema *s = compile_ok("{\"$schema\": \"http://json-schema.org/draft-07/schema#\","
					 " \"items\": [{\"type\": \"integer\"}], \"additionalItems\": false}");
	assert_int_equal(sl_schema_draft(s), SL_DRAFT_7);
	assert_int_equal(check(s, "[1]", NULL), 1);
	assert_int_equal(check(s, "[1, 2]", NULL), 0);
	sl_schema_free(s);
	s = compile_ok("{\"prefixItems\": [{\"type\": \"integer\"}], \"items\": false}");
	assert_int_equal(sl_schema_draft(s), SL_DRAFT_2020_12);
	assert_int_equal(check(s, "[1]", NULL), 1);
	assert_int_equal(check(s, "[1, 2]", NULL), 0);
	sl_schema_free(s);
}

static void test_formats_annotate_option(void **state)
{
	(void)state;
	const char *text = "{\"format\": \"email\"}";
	struct sl_schema_opts opts = {.formats_annotate = true};
	struct sl_schema *s = NULL;
	struct sl_err err;
	assert_int_equal(sl_schema_compile(text, strlen(text), &opts, &s, &err), 0);
	assert_int_equal(check(s, "\"not an email\"", NULL), 1);
	sl_schema_free(s);
	s = compile_ok(text);
	assert_int_equal(check(s, "\"not an email\"", NULL), 0);
	assert_int_equal(check(s, "\"a@example.com\"", NULL), 1);
	sl_schema_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_schemas_refused_with_place),
		cmocka_unit_test(test_reasons_say_where),
		cmocka_unit_test(test_hostile_records_get_reasons),
		cmocka_unit_test(test_bombs_are_bounded),
		cmocka_unit_test(test_remote_refs_only_through_resolver),
		cmocka_unit_test(test_draft7_by_schema_keyword),
		cmocka_unit_test(test_formats_annotate_option),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
