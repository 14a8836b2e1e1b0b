/*
 * test_compat.c - the JSON Schema compatibility checker (schema/compat.c): every rule of
 * docs/schema.md in each direction it can break, with the JSON pointer it reports, the
 * changes each mode accepts, and the checker's limits (references, recursion, budget).
 *
 * Each case is an old and a new schema text. "BACKWARD" means every instance valid under
 * the old one must be valid under the new one; "FORWARD" the reverse.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema/registry.h"

/* Checks new against old under mode; returns the report. */
static struct sl_compat_report check(const char *old, const char *new_, enum sl_compat mode)
{
	struct sl_compat_report rep;
	struct sl_err err = {0};
	memset(&rep, 0, sizeof(rep));
	int rc = sl_compat_check_text(old, strlen(old), new_, strlen(new_), mode, 7, &rep, &err);
	if (rc < 0)
		fail_msg("check failed: %s", err.msg);
	assert_int_equal((size_t)rc, rep.total);
	return rep;
}

static void dump(const struct sl_compat_report *rep)
{
	for (size_t i = 0; i < rep->n; i++) {
		char line[800];
		sl_compat_violation_line(&rep->v[i], line, sizeof(line));
		print_message("  %s %s\n", rep->v[i].direction, line);
	}
}

/* The change passes under mode. */
static void ok(const char *old, const char *new_, enum sl_compat mode)
{
	struct sl_compat_report rep = check(old, new_, mode);
	if (rep.total) {
		dump(&rep);
		fail_msg("expected %s-compatible:\n  old %s\n  new %s", sl_compat_name(mode), old,
			 new_);
	}
}

/* The change fails under mode, and the first violation is rule at pointer. */
static void bad(const char *old, const char *new_, enum sl_compat mode, const char *rule,
		const char *pointer)
{
	struct sl_compat_report rep = check(old, new_, mode);
	if (rep.total == 0)
		fail_msg("expected %s to refuse (%s):\n  old %s\n  new %s", sl_compat_name(mode),
			 rule, old, new_);
	if (strcmp(rep.v[0].rule, rule) != 0 || strcmp(rep.v[0].pointer, pointer) != 0) {
		dump(&rep);
		fail_msg("expected %s at '%s', got %s at '%s'", rule, pointer, rep.v[0].rule,
			 rep.v[0].pointer);
	}
	assert_int_equal(rep.v[0].against, 7);
	assert_true(strlen(rep.v[0].reason) > 10);
	assert_null(strchr(rep.v[0].reason, '\n'));
}

#define BW SL_COMPAT_BACKWARD
#define FW SL_COMPAT_FORWARD
#define FULL SL_COMPAT_FULL

/* ---- types ------------------------------------------------------------------------- */

static void test_type_narrowed_and_widened(void **state)
{
	(void)state;
	const char *s = "{\"type\":\"string\"}", *sn = "{\"type\":[\"string\",\"null\"]}";
	ok(s, sn, BW); /* widening: old data still valid */
	bad(s, sn, FW, "type-widened", "/type");
	bad(sn, s, BW, "type-narrowed", "/type");
	ok(sn, s, FW);
	bad(s, sn, FULL, "type-widened", "/type");
	/* integer is a subset of number */
	const char *i = "{\"type\":\"integer\"}", *n = "{\"type\":\"number\"}";
	ok(i, n, BW);
	bad(n, i, BW, "type-narrowed", "/type");
	bad(i, n, FW, "type-widened", "/type");
	/* no type at all accepts every type */
	bad("{}", s, BW, "type-narrowed", "/type");
	ok("true", "{}", FULL);
	/* nested: the pointer is the new schema's */
	bad("{\"properties\":{\"a\":{\"type\":\"number\"}}}",
	    "{\"properties\":{\"a\":{\"type\":\"integer\"}}}", BW, "type-narrowed",
	    "/properties/a/type");
}

static void test_false_schema(void **state)
{
	(void)state;
	bad("{\"properties\":{\"a\":{}}}", "{\"properties\":{\"a\":false}}", BW, "value-forbidden",
	    "/properties/a");
	bad("{\"properties\":{\"a\":false}}", "{\"properties\":{\"a\":{}}}", FW, "value-allowed",
	    "/properties/a");
	ok("{\"properties\":{\"a\":false}}", "{\"properties\":{\"a\":{}}}", BW);
	ok("false", "{\"type\":\"string\"}", BW);
	bad("true", "false", BW, "value-forbidden", "");
}

/* ---- enum and const ------------------------------------------------------------------ */

static void test_enum_values(void **state)
{
	(void)state;
	const char *ab = "{\"enum\":[\"a\",\"b\"]}", *abc = "{\"enum\":[\"a\",\"b\",\"c\"]}";
	ok(ab, abc, BW);
	bad(abc, ab, BW, "enum-value-removed", "/enum");
	bad(ab, abc, FW, "enum-value-added", "/enum");
	ok(abc, ab, FW);
	/* numbers compare by value: 1 and 1.0 are the same value */
	ok("{\"enum\":[1,2]}", "{\"enum\":[2.0,1.0,3]}", BW);
	/* const is a one-value enum */
	ok("{\"const\":\"a\"}", ab, BW);
	bad(ab, "{\"const\":\"a\"}", BW, "enum-value-removed", "/const");
	/* values the old type excluded never occurred */
	ok("{\"type\":\"string\",\"enum\":[\"a\",1]}", "{\"enum\":[\"a\"]}", BW);
	/* booleans are a finite domain */
	ok("{\"type\":\"boolean\"}", "{\"enum\":[true,false]}", BW);
	bad("{\"type\":[\"boolean\",\"null\"]}", "{\"enum\":[true,false]}", BW,
	    "enum-value-removed", "/enum");
}

static void test_enum_added_and_removed(void **state)
{
	(void)state;
	const char *s = "{\"type\":\"string\"}", *e = "{\"type\":\"string\",\"enum\":[\"a\"]}";
	bad(s, e, BW, "enum-added", "/enum");
	ok(e, s, BW);
	bad(e, s, FW, "enum-removed", "/enum");
	/* an enum also settles the types it admits */
	ok("{\"enum\":[1,2]}", "{\"type\":\"integer\"}", BW);
	bad("{\"enum\":[1,2.5]}", "{\"type\":\"integer\"}", BW, "type-narrowed", "/type");
}

/* ---- objects --------------------------------------------------------------------------- */

#define OPEN_A "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}}}"
#define OPEN_AB                                                                             \
	"{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"},"                 \
	"\"b\":{\"type\":\"integer\"}}}"
#define CLOSED_A                                                                            \
	"{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}},"                \
	"\"additionalProperties\":false}"
#define CLOSED_AB                                                                           \
	"{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"},"                 \
	"\"b\":{\"type\":\"integer\"}},\"additionalProperties\":false}"

static void test_required(void **state)
{
	(void)state;
	const char *opt = OPEN_AB;
	const char *req = "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"},"
			  "\"b\":{\"type\":\"integer\"}},\"required\":[\"b\"]}";
	bad(opt, req, BW, "required-added", "/required");
	ok(opt, req, FW);
	bad(req, opt, FW, "required-removed", "/required");
	ok(req, opt, BW);
	/* the reason names the property */
	struct sl_compat_report rep = check(opt, req, BW);
	assert_non_null(strstr(rep.v[0].reason, "\"b\""));
	assert_string_equal(rep.v[0].direction, "BACKWARD");
}

static void test_optional_property_closed_model(void **state)
{
	(void)state;
	/* closed content model: adding an optional property is BACKWARD-compatible (old
	 * data never has it) and FORWARD-incompatible (old readers refuse it) */
	ok(CLOSED_A, CLOSED_AB, BW);
	bad(CLOSED_A, CLOSED_AB, FW, "property-added-closed", "/properties/b");
	/* removing a property under a closed model is the reverse */
	bad(CLOSED_AB, CLOSED_A, BW, "property-removed-closed", "/additionalProperties");
	ok(CLOSED_AB, CLOSED_A, FW);
	bad(CLOSED_A, CLOSED_AB, FULL, "property-added-closed", "/properties/b");
}

static void test_optional_property_open_model(void **state)
{
	(void)state;
	/* open content model: old data may already hold "b" with any value */
	bad(OPEN_A, OPEN_AB, BW, "property-added-open", "/properties/b");
	ok(OPEN_A, OPEN_AB, FW);
	bad(OPEN_AB, OPEN_A, FW, "property-removed-open", "/properties/b");
	ok(OPEN_AB, OPEN_A, BW);
	/* a property that accepts anything can be added under any mode */
	ok(OPEN_A,
	   "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"},"
	   "\"b\":{\"description\":\"free text\"}}}",
	   FULL);
	/* additionalProperties as a schema decides what old data holds in "b" */
	const char *old_typed = "{\"properties\":{\"a\":{}},\"additionalProperties\":"
				"{\"type\":\"integer\"}}";
	ok(old_typed, "{\"properties\":{\"a\":{},\"b\":{\"type\":\"number\"}},"
		      "\"additionalProperties\":{\"type\":\"integer\"}}",
	   BW);
	bad(old_typed,
	    "{\"properties\":{\"a\":{},\"b\":{\"type\":\"string\"}},"
	    "\"additionalProperties\":{\"type\":\"integer\"}}",
	    BW, "type-narrowed", "/properties/b/type");
}

static void test_content_model_closed_and_opened(void **state)
{
	(void)state;
	bad(OPEN_A, CLOSED_A, BW, "content-model-closed", "/additionalProperties");
	ok(OPEN_A, CLOSED_A, FW);
	bad(CLOSED_A, OPEN_A, FW, "content-model-opened", "/additionalProperties");
	ok(CLOSED_A, OPEN_A, BW);
}

static void test_property_schema_recursion(void **state)
{
	(void)state;
	const char *o = "{\"properties\":{\"addr\":{\"type\":\"object\",\"properties\":"
			"{\"zip\":{\"type\":\"string\",\"maxLength\":10}}}}}";
	const char *n = "{\"properties\":{\"addr\":{\"type\":\"object\",\"properties\":"
			"{\"zip\":{\"type\":\"string\",\"maxLength\":5}}}}}";
	bad(o, n, BW, "bound-tightened", "/properties/addr/properties/zip/maxLength");
	bad(n, o, FW, "bound-loosened", "/properties/addr/properties/zip/maxLength");
	ok(n, o, BW);
}

/* ---- bounds ------------------------------------------------------------------------ */

static void test_numeric_bounds(void **state)
{
	(void)state;
	const char *a = "{\"type\":\"number\",\"minimum\":0,\"maximum\":100}";
	const char *b = "{\"type\":\"number\",\"minimum\":10,\"maximum\":100}";
	bad(a, b, BW, "bound-tightened", "/minimum");
	ok(b, a, BW);
	bad(b, a, FW, "bound-loosened", "/minimum");
	bad("{\"type\":\"number\"}", a, BW, "bound-tightened", "/minimum");
	ok(a, "{\"type\":\"number\"}", BW);
	bad("{\"maximum\":10}", "{\"maximum\":9.5}", BW, "bound-tightened", "/maximum");
	/* exclusive and inclusive bounds */
	ok("{\"exclusiveMinimum\":5}", "{\"minimum\":5}", BW);
	bad("{\"minimum\":5}", "{\"exclusiveMinimum\":5}", BW, "bound-tightened",
	    "/exclusiveMinimum");
	ok("{\"minimum\":6}", "{\"exclusiveMinimum\":5}", BW);
	/* for integers, > 4 is >= 5 */
	ok("{\"type\":\"integer\",\"exclusiveMinimum\":4}", "{\"type\":\"integer\",\"minimum\":5}",
	   BW);
	bad("{\"type\":\"number\",\"exclusiveMinimum\":4}", "{\"type\":\"number\",\"minimum\":5}",
	    BW, "bound-tightened", "/minimum");
	/* numeric bounds do not apply to strings */
	ok("{\"type\":\"string\"}", "{\"type\":\"string\",\"minimum\":3}", BW);
	/* multipleOf */
	ok("{\"multipleOf\":4}", "{\"multipleOf\":2}", BW);
	bad("{\"multipleOf\":2}", "{\"multipleOf\":4}", BW, "bound-tightened", "/multipleOf");
	ok("{\"type\":\"integer\"}", "{\"type\":\"integer\",\"multipleOf\":1}", BW);
	ok("{\"multipleOf\":0.5}", "{\"multipleOf\":0.25}", BW);
	/* enum values are checked one by one */
	ok("{\"enum\":[3,4]}", "{\"minimum\":3}", BW);
	bad("{\"enum\":[2,4]}", "{\"minimum\":3}", BW, "bound-tightened", "/minimum");
}

static void test_length_and_size_bounds(void **state)
{
	(void)state;
	bad("{\"type\":\"string\"}", "{\"type\":\"string\",\"minLength\":1}", BW,
	    "bound-tightened", "/minLength");
	ok("{\"type\":\"string\",\"minLength\":2}", "{\"type\":\"string\",\"minLength\":1}", BW);
	bad("{\"type\":\"string\",\"minLength\":2}", "{\"type\":\"string\",\"minLength\":1}", FW,
	    "bound-loosened", "/minLength");
	/* lengths count characters: "é" is one */
	ok("{\"enum\":[\"\\u00e9\"]}", "{\"maxLength\":1}", BW);
	bad("{\"type\":\"array\",\"maxItems\":5}", "{\"type\":\"array\",\"maxItems\":3}", BW,
	    "bound-tightened", "/maxItems");
	bad("{\"type\":\"array\"}", "{\"type\":\"array\",\"uniqueItems\":true}", BW,
	    "bound-tightened", "/uniqueItems");
	ok("{\"type\":\"array\",\"uniqueItems\":true}", "{\"type\":\"array\"}", BW);
	bad("{\"type\":\"object\"}", "{\"type\":\"object\",\"maxProperties\":3}", BW,
	    "bound-tightened", "/maxProperties");
	/* a closed tuple bounds the length */
	ok("{\"prefixItems\":[{},{}],\"items\":false}", "{\"maxItems\":2}", BW);
}

/* ---- arrays -------------------------------------------------------------------------- */

static void test_items(void **state)
{
	(void)state;
	const char *i = "{\"type\":\"array\",\"items\":{\"type\":\"integer\"}}";
	const char *n = "{\"type\":\"array\",\"items\":{\"type\":\"number\"}}";
	ok(i, n, BW);
	bad(n, i, BW, "type-narrowed", "/items/type");
	bad(i, n, FW, "type-widened", "/items/type");
	/* tuples against a uniform item schema */
	bad("{\"prefixItems\":[{\"type\":\"string\"}]}",
	    "{\"prefixItems\":[{\"type\":\"string\"}],\"items\":{\"type\":\"string\"}}", BW,
	    "type-narrowed", "/items/type");
	ok("{\"prefixItems\":[{\"type\":\"string\"}],\"items\":false}",
	   "{\"items\":{\"type\":\"string\"}}", BW);
	/* draft-07 array form of items */
	ok("{\"$schema\":\"http://json-schema.org/draft-07/schema#\",\"items\":[{\"type\":"
	   "\"integer\"}],\"additionalItems\":false}",
	   "{\"$schema\":\"http://json-schema.org/draft-07/schema#\",\"items\":{\"type\":"
	   "\"number\"}}",
	   BW);
}

/* ---- strings --------------------------------------------------------------------------- */

static void test_format(void **state)
{
	(void)state;
	const char *s = "{\"type\":\"string\"}";
	bad(s, "{\"type\":\"string\",\"format\":\"email\"}", BW, "format-added", "/format");
	bad("{\"type\":\"string\",\"format\":\"email\"}", s, FW, "format-removed", "/format");
	ok("{\"type\":\"string\",\"format\":\"email\"}", s, BW);
	bad("{\"format\":\"uuid\"}", "{\"format\":\"email\"}", BW, "format-changed", "/format");
	/* a format the validator does not assert is an annotation */
	ok(s, "{\"type\":\"string\",\"format\":\"x-my-own\"}", FULL);
}

static void test_pattern_is_unprovable(void **state)
{
	(void)state;
	bad("{\"type\":\"string\"}", "{\"type\":\"string\",\"pattern\":\"^a\"}", BW,
	    "unprovable-change", "/pattern");
	bad("{\"pattern\":\"^a\"}", "{\"pattern\":\"^(a|b)\"}", BW, "unprovable-change",
	    "/pattern");
	ok("{\"pattern\":\"^a\"}", "{\"pattern\":\"^a\",\"description\":\"x\"}", FULL);
	ok("{\"pattern\":\"^a\"}", "{}", BW);
}

/* ---- combinators and references ------------------------------------------------------ */

static void test_anyof(void **state)
{
	(void)state;
	const char *two = "{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"null\"}]}";
	const char *three = "{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"null\"},"
			    "{\"type\":\"integer\"}]}";
	ok(two, three, BW);
	bad(three, two, BW, "unprovable-change", "/anyOf");
	ok("{\"type\":\"string\"}", two, BW);
	/* a union of old branches, each within the new type set */
	ok(two, "{\"type\":[\"string\",\"null\"]}", BW);
	bad(three, "{\"type\":[\"string\",\"null\"]}", BW, "type-narrowed", "/type");
}

static void test_oneof_not_if_unprovable(void **state)
{
	(void)state;
	bad("{\"oneOf\":[{\"type\":\"string\"}]}",
	    "{\"oneOf\":[{\"type\":\"string\"},{\"type\":\"null\"}]}", BW, "unprovable-change",
	    "/oneOf");
	bad("{}", "{\"not\":{\"type\":\"null\"}}", BW, "unprovable-change", "/not");
	bad("{}", "{\"if\":{\"type\":\"string\"},\"then\":{\"minLength\":1}}", BW,
	    "unprovable-change", "/if");
	ok("{\"not\":{\"type\":\"null\"},\"title\":\"a\"}", "{\"not\":{\"type\":\"null\"}}", FULL);
	/* an allOf of the new version is checked member by member */
	ok("{\"type\":\"integer\",\"minimum\":1}",
	   "{\"allOf\":[{\"type\":\"number\"},{\"minimum\":0}]}", BW);
	bad("{\"type\":\"integer\"}", "{\"allOf\":[{\"type\":\"number\"},{\"minimum\":0}]}", BW,
	    "bound-tightened", "/allOf/1/minimum");
	/* an allOf of the old version is evidence */
	ok("{\"allOf\":[{\"type\":\"string\"},{\"maxLength\":3}]}",
	   "{\"type\":\"string\",\"maxLength\":5}", BW);
}

static void test_local_refs(void **state)
{
	(void)state;
	const char *o = "{\"$defs\":{\"zip\":{\"type\":\"string\",\"maxLength\":10}},"
			"\"properties\":{\"z\":{\"$ref\":\"#/$defs/zip\"}}}";
	const char *n = "{\"$defs\":{\"zip\":{\"type\":\"string\",\"maxLength\":5}},"
			"\"properties\":{\"z\":{\"$ref\":\"#/$defs/zip\"}}}";
	/* the same $ref text in both versions, but the target changed */
	bad(o, n, BW, "bound-tightened", "/$defs/zip/maxLength");
	ok(n, o, BW);
	/* inlined on one side */
	ok(o, "{\"properties\":{\"z\":{\"type\":\"string\"}}}", BW);
	/* anchors */
	ok("{\"$defs\":{\"x\":{\"$anchor\":\"x\",\"type\":\"integer\"}},\"items\":{\"$ref\":\"#x\"}}",
	   "{\"items\":{\"type\":\"number\"}}", BW);
	/* recursive schemas terminate (coinduction) */
	const char *tree = "{\"type\":\"object\",\"properties\":{\"kids\":{\"type\":\"array\","
			   "\"items\":{\"$ref\":\"#\"}},\"v\":{\"type\":\"integer\"}}}";
	const char *tree2 = "{\"type\":\"object\",\"properties\":{\"kids\":{\"type\":\"array\","
			    "\"items\":{\"$ref\":\"#\"}},\"v\":{\"type\":\"number\"}}}";
	ok(tree, tree2, BW);
	bad(tree2, tree, BW, "type-narrowed", "/properties/v/type");
	bad(tree, tree2, FW, "type-widened", "/properties/v/type");
}

static void test_external_refs(void **state)
{
	(void)state;
	const char *a1 = "{\"properties\":{\"a\":{\"$ref\":\"sluice:address/1\"}}}";
	const char *a2 = "{\"properties\":{\"a\":{\"$ref\":\"sluice:address/2\"}}}";
	ok(a1, a1, FULL);
	bad(a1, a2, BW, "unprovable-change", "/properties/a/$ref");
	bad(a1, "{\"properties\":{\"a\":{\"type\":\"object\"}}}", BW, "unprovable-change",
	    "/properties/a");
	bad("{\"properties\":{\"a\":{\"type\":\"object\"}}}", a1, BW, "unprovable-change",
	    "/properties/a/$ref");
	/* dropping the reference accepts more */
	ok(a1, "{\"properties\":{\"a\":{}}}", BW);
	/* regression: a reference's control characters reached the one-line reason */
	bad("{\"properties\":{\"a\":{}}}", "{\"properties\":{\"a\":{\"$ref\":\"sluice:a\\n/1\"}}}", BW,
	    "unprovable-change", "/properties/a/$ref");
	bad("{\"items\":{\"$ref\":\"#/$defs/x\\n\"},\"$defs\":{\"x\\n\":{}}}",
	    "{\"items\":{\"$ref\":\"#/$defs/x\\n\"},\"$defs\":{\"x\\n\":{\"type\":\"null\"}}}", BW,
	    "type-narrowed", "/$defs/x\\u000a/type");
}

static void test_unchanged_and_annotations(void **state)
{
	(void)state;
	const char *s = "{\"type\":\"object\",\"title\":\"Order\",\"properties\":{\"id\":"
			"{\"type\":\"integer\",\"description\":\"key\"}},\"required\":[\"id\"]}";
	ok(s, s, FULL);
	ok(s,
	   "{\"type\":\"object\",\"title\":\"Order v2\",\"properties\":{\"id\":"
	   "{\"type\":\"integer\",\"description\":\"the key\",\"examples\":[1]}},"
	   "\"required\":[\"id\"],\"$comment\":\"x\"}",
	   FULL);
	/* NONE and DISABLED check nothing */
	ok("{\"type\":\"string\"}", "{\"type\":\"integer\"}", SL_COMPAT_NONE);
	ok("{\"type\":\"string\"}", "{\"type\":\"integer\"}", SL_COMPAT_DISABLED);
	/* the _ALL modes are the same check (the registry runs it against every version) */
	bad("{\"type\":\"number\"}", "{\"type\":\"integer\"}", SL_COMPAT_BACKWARD_ALL,
	    "type-narrowed", "/type");
	bad("{\"type\":\"integer\"}", "{\"type\":\"number\"}", SL_COMPAT_FORWARD_ALL,
	    "type-widened", "/type");
	bad("{\"type\":\"integer\"}", "{\"type\":\"number\"}", SL_COMPAT_FULL_ALL,
	    "type-widened", "/type");
}

static void test_full_reports_both_directions(void **state)
{
	(void)state;
	struct sl_compat_report rep = check("{\"type\":\"string\",\"maxLength\":5}",
					    "{\"type\":[\"string\",\"null\"],\"maxLength\":3}",
					    FULL);
	assert_int_equal(rep.total, 2);
	assert_string_equal(rep.v[0].direction, "BACKWARD");
	assert_string_equal(rep.v[0].rule, "bound-tightened");
	assert_string_equal(rep.v[1].direction, "FORWARD");
	assert_string_equal(rep.v[1].rule, "type-widened");
}

static void test_many_violations_are_counted(void **state)
{
	(void)state;
	char old[8192] = "{\"type\":\"object\",\"properties\":{", nw[8192];
	strcpy(nw, "{\"type\":\"object\",\"required\":[");
	for (int i = 0; i < 40; i++) {
		char p[64];
		snprintf(p, sizeof(p), "%s\"p%d\":{}", i ? "," : "", i);
		strcat(old, p);
		snprintf(p, sizeof(p), "%s\"p%d\"", i ? "," : "", i);
		strcat(nw, p);
	}
	strcat(old, "}}");
	strcat(nw, "]}");
	struct sl_compat_report rep = check(old, nw, BW);
	assert_int_equal(rep.total, 40);
	assert_int_equal(rep.n, SL_COMPAT_REPORT_MAX);
}

/* A schema built to make the prover explode stops with a violation, not a hang. */
static void test_budget(void **state)
{
	(void)state;
	size_t cap = 1 << 20, at = 0;
	char *a = malloc(cap), *b = malloc(cap);
	/* 20 nested levels of anyOf with 4 branches: naive search is 4^20 */
	for (int i = 0; i < 20; i++)
		at += (size_t)snprintf(a + at, cap - at,
				       "{\"anyOf\":[{\"type\":\"null\"},{\"type\":\"string\"},"
				       "{\"type\":\"boolean\"},{\"properties\":{\"x\":");
	at += (size_t)snprintf(a + at, cap - at, "{}");
	for (int i = 0; i < 20; i++)
		at += (size_t)snprintf(a + at, cap - at, "}}]}");
	memcpy(b, a, at + 1);
	/* differ in the innermost schema only */
	char *inner = strstr(b, "\"x\":{}");
	memcpy(inner, "\"x\":[]", 6);
	struct sl_compat_report rep;
	memset(&rep, 0, sizeof(rep));
	/* b is not a valid schema at the innermost place: the checker must still end */
	sl_compat_check_text(a, strlen(a), b, strlen(b), FULL, 1, &rep, NULL);
	assert_true(rep.total >= 1);
	assert_non_null(strstr(rep.v[0].reason, "too complex"));
	for (size_t i = 0; i < rep.n; i++)
		assert_string_equal(rep.v[i].rule, "unprovable-change");
	free(a);
	free(b);
}

/* Regression: names were compared as C strings, so "a\u0000b" matched "a". */
static void test_names_with_nul_bytes(void **state)
{
	(void)state;
	bad("{\"required\":[\"a\"]}", "{\"required\":[\"a\\u0000b\"]}", BW, "required-added",
	    "/required");
	bad("{\"properties\":{\"a\":{\"type\":\"string\"}},\"additionalProperties\":false}",
	    "{\"properties\":{\"a\\u0000x\":{\"type\":\"string\"}},\"additionalProperties\":false}",
	    BW, "property-removed-closed", "/additionalProperties");
	bad("{\"properties\":{\"a\":{\"type\":\"string\"},\"a\\u0000x\":{\"type\":\"integer\"}}}",
	    "{\"properties\":{\"a\\u0000x\":{\"type\":\"string\"},\"a\":{\"type\":\"string\"}}}",
	    BW, "type-narrowed", "/properties/a\\u0000x/type");
	ok("{\"enum\":[{\"a\\u0000b\":1}]}", "{\"enum\":[{\"a\\u0000b\":1.0}]}", FULL);
	bad("{\"enum\":[{\"a\\u0000b\":1}]}", "{\"enum\":[{\"a\":1}]}", BW, "enum-value-removed",
	    "/enum");
}

static void test_malformed_texts(void **state)
{
	(void)state;
	struct sl_compat_report rep;
	struct sl_err err = {0};
	memset(&rep, 0, sizeof(rep));
	assert_int_equal(sl_compat_check_text("{", 1, "{}", 2, BW, 1, &rep, &err), SL_EINVAL);
	assert_non_null(strstr(err.msg, "old schema"));
	assert_int_equal(sl_compat_check_text("{}", 2, "[1]", 3, BW, 1, &rep, &err), SL_EINVAL);
	assert_non_null(strstr(err.msg, "new schema"));
	/* non-schema values where schemas belong do not crash the checker */
	ok("{\"properties\":{\"a\":3}}", "{\"properties\":{\"a\":{}}}", BW);
	bad("{}", "{\"properties\":{\"a\":3}}", BW, "unprovable-change", "/properties/a");
	bad("{}", "{\"type\":7}", BW, "unprovable-change", "/type");
	bad("{}", "{\"minimum\":\"3\"}", BW, "unprovable-change", "/minimum");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_type_narrowed_and_widened),
		cmocka_unit_test(test_false_schema),
		cmocka_unit_test(test_enum_values),
		cmocka_unit_test(test_enum_added_and_removed),
		cmocka_unit_test(test_required),
		cmocka_unit_test(test_optional_property_closed_model),
		cmocka_unit_test(test_optional_property_open_model),
		cmocka_unit_test(test_content_model_closed_and_opened),
		cmocka_unit_test(test_property_schema_recursion),
		cmocka_unit_test(test_numeric_bounds),
		cmocka_unit_test(test_length_and_size_bounds),
		cmocka_unit_test(test_items),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_pattern_is_unprovable),
		cmocka_unit_test(test_anyof),
		cmocka_unit_test(test_oneof_not_if_unprovable),
		cmocka_unit_test(test_local_refs),
		cmocka_unit_test(test_external_refs),
		cmocka_unit_test(test_unchanged_and_annotations),
		cmocka_unit_test(test_full_reports_both_directions),
		cmocka_unit_test(test_many_violations_are_counted),
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_names_with_nul_bytes),
		cmocka_unit_test(test_malformed_texts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
