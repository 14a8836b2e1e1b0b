/*
 * test_registry.c - the schema registry over a real lake: canonical form and
 * fingerprints, subject names, modes, immutable dense numbering, identical schemas
 * returning their version, metadata, DISABLED and the compatibility modes (latest vs
 * all versions), the sluice: resolver, and registration racing in several processes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "lake/lake.h"
#include "schema/registry.h"
#include "util/buf.h"

/* ---- canonical form ------------------------------------------------------------------ */

static char *canon(const char *text, int *rc_out, struct sl_err *err)
{
	struct sl_buf b;
	sl_buf_init(&b, 0);
	int rc = sl_schema_canonical(text, strlen(text), &b, err);
	if (rc_out)
		*rc_out = rc;
	if (rc) {
		sl_buf_release(&b);
		return NULL;
	}
	char *s = strdup(b.data ? b.data : "");
	sl_buf_release(&b);
	return s;
}

static void expect_canon(const char *in, const char *want)
{
	struct sl_err err = {0};
	char *got = canon(in, NULL, &err);
	if (!got)
		fail_msg("canonical(%s) failed: %s", in, err.msg);
	assert_string_equal(got, want);
	/* a fixed point */
	char *again = canon(got, NULL, &err);
	assert_non_null(again);
	assert_string_equal(again, got);
	free(again);
	free(got);
}

static void test_canonical_form(void **state)
{
	(void)state;
	expect_canon("{ \"b\" : 1,\n\t\"a\": [true, null, \"x\\u0041\\/\"] }",
		     "{\"a\":[true,null,\"xA/\"],\"b\":1}");
	/* keys sorted by UTF-8 bytes: "" < "B" < "a" < "aa" < "b" < "é" */
	expect_canon("{\"\\u00e9\":0,\"b\":0,\"aa\":0,\"a\":0,\"B\":0,\"\":0}",
		     "{\"\":0,\"B\":0,\"a\":0,\"aa\":0,\"b\":0,\"\xc3\xa9\":0}");
	/* numbers exactly as written */
	expect_canon("{\"m\":1.0E+2,\"n\":-0,\"o\":12345678901234567890123,\"p\":1.50}",
		     "{\"m\":1.0E+2,\"n\":-0,\"o\":12345678901234567890123,\"p\":1.50}");
	/* minimal escapes: only '"', '\\' and control characters */
	expect_canon("{\"s\":\"\\u0000\\u001f\\n\\b\\f\\r\\t\\\"\\\\\\u007f\\u2028\\u00e9\"}",
		     "{\"s\":\"\\u0000\\u001f\\n\\b\\f\\r\\t\\\"\\\\\x7f\xe2\x80\xa8\xc3\xa9\"}");
	expect_canon(" true ", "true");
	expect_canon("\xef\xbb\xbf{\"a\":1}", "{\"a\":1}"); /* a byte order mark is skipped */
	expect_canon("false", "false");
	expect_canon("{\"a\":{\"z\":[],\"y\":{}}}", "{\"a\":{\"y\":{},\"z\":[]}}");
}

static void test_fingerprint_ignores_layout(void **state)
{
	(void)state;
	char f1[SL_CHECKSUM_MAX], f2[SL_CHECKSUM_MAX], f3[SL_CHECKSUM_MAX];
	char *a = canon("{\"type\":\"object\",\"required\":[\"id\"]}", NULL, NULL);
	char *b = canon("{\n  \"required\" : [ \"\\u0069d\" ],\n  \"type\" : \"object\"\n}\n", NULL,
			NULL);
	char *c = canon("{\"type\":\"object\",\"required\":[\"id\",\"x\"]}", NULL, NULL);
	sl_schema_fingerprint(a, strlen(a), f1);
	sl_schema_fingerprint(b, strlen(b), f2);
	sl_schema_fingerprint(c, strlen(c), f3);
	assert_string_equal(f1, f2);
	assert_string_not_equal(f1, f3);
	assert_int_equal(strlen(f1), 7 + 64);
	assert_memory_equal(f1, "sha256:", 7);
	free(a);
	free(b);
	free(c);
}

static void expect_refused(const char *text, size_t len, int code, const char *needle)
{
	struct sl_buf b;
	struct sl_err err = {0};
	sl_buf_init(&b, 0);
	int rc = sl_schema_canonical(text, len, &b, &err);
	sl_buf_release(&b);
	if (rc != code || !strstr(err.msg, needle))
		fail_msg("expected %d with '%s', got %d: %s", code, needle, rc, err.msg);
}

static void test_canonical_refusals(void **state)
{
	(void)state;
	expect_refused("{\"a\":", 5, SL_EINVAL, "line 1, column");
	expect_refused("{\"a\":1,}", 8, SL_EINVAL, "invalid JSON");
	expect_refused("", 0, SL_EINVAL, "invalid JSON");
	expect_refused("[1]", 3, SL_EINVAL, "not an array");
	expect_refused("\"s\"", 3, SL_EINVAL, "not a string");
	expect_refused("3", 1, SL_EINVAL, "not a number");
	expect_refused("null", 4, SL_EINVAL, "not null");
	expect_refused("{\"properties\":{\"a\":{},\"a\":{}}}", 30, SL_EINVAL,
		       "duplicate key at /properties/a");
	expect_refused("{\"a\":[{\"x~/\":1,\"x~/\":2}]}", 25, SL_EINVAL,
		       "duplicate key at /a/0/x~0~1");
	/* nesting */
	char deep[1024];
	size_t n = 0;
	for (int i = 0; i < SL_SCHEMA_DEPTH_MAX + 1; i++)
		deep[n++] = '[';
	for (int i = 0; i < SL_SCHEMA_DEPTH_MAX + 1; i++)
		deep[n++] = ']';
	deep[0] = '{';
	memcpy(deep + 1, "\"a\":", 4);
	expect_refused(deep, n, SL_EINVAL, "invalid JSON");
	/* size: one byte over the limit, without reading it */
	expect_refused("{}", SL_SCHEMA_TEXT_MAX + 1, SL_ELIMIT, "4 MiB");
}

/* ---- names and modes ------------------------------------------------------------------ */

static void test_subject_names(void **state)
{
	(void)state;
	char long_ok[129], long_bad[130];
	memset(long_ok, 'a', 128);
	long_ok[128] = '\0';
	memset(long_bad, 'b', 129);
	long_bad[129] = '\0';
	const char *good[] = {"orders", "a", "A.b_c-9", "..x", long_ok};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(sl_subject_check(good[i], NULL), 0);
	const char *bad[] = {"", "../x", "a/b", "a b", "\x01x", "caf\xc3\xa9", ".", "..",
			     "x\n", "a:b", "%2e", long_bad};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sl_err err = {0};
		assert_int_equal(sl_subject_check(bad[i], &err), SL_EINVAL);
		assert_true(strlen(err.msg) > 0);
		assert_null(strchr(err.msg, '\n'));
		assert_null(strchr(err.msg, '\x01'));
	}
	assert_int_equal(sl_subject_check(NULL, NULL), SL_EINVAL);
}

static void test_compat_names(void **state)
{
	(void)state;
	const char *names[] = {"NONE", "DISABLED", "BACKWARD", "BACKWARD_ALL", "FORWARD",
			       "FORWARD_ALL", "FULL", "FULL_ALL"};
	for (int i = 0; i < 8; i++) {
		enum sl_compat c;
		assert_int_equal(sl_compat_parse(names[i], &c), 0);
		assert_int_equal((int)c, i);
		assert_string_equal(sl_compat_name(c), names[i]);
	}
	enum sl_compat c;
	assert_int_equal(sl_compat_parse("full_all", &c), 0);
	assert_int_equal(c, SL_COMPAT_FULL_ALL);
	assert_int_equal(sl_compat_parse("BACKWARDS", &c), SL_EINVAL);
	assert_int_equal(sl_compat_parse("", &c), SL_EINVAL);
	assert_int_equal(sl_compat_parse(NULL, &c), SL_EINVAL);
}

/* ---- the registry in a lake ------------------------------------------------------------ */

struct fx {
	char *dir;
	struct sl_lake *lake;
	struct sl_meta *m;
};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	fx->lake = th_lake_new("registry", &fx->dir);
	fx->m = &fx->lake->meta;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	sl_lake_close(fx->lake);
	th_rmtree_free(fx->dir);
	free(fx);
	return 0;
}

/* Registers text; returns the result (the return code in *rc). */
static struct sl_registry_result reg(struct sl_meta *m, const char *subject, const char *text,
				     const struct sl_registry_opts *o, int *rc,
				     struct sl_err *err)
{
	struct sl_registry_result res;
	*rc = sl_registry_register(m, subject, text, strlen(text), o, &res, err);
	return res;
}

static int64_t reg_ok(struct sl_meta *m, const char *subject, const char *text,
		      const struct sl_registry_opts *o)
{
	int rc;
	struct sl_err err = {0};
	struct sl_registry_result res = reg(m, subject, text, o, &rc, &err);
	if (rc)
		fail_msg("register %s %s: %s", subject, text, err.msg);
	return res.version;
}

static void test_versions_are_immutable_and_dense(void **state)
{
	struct fx *fx = *state;
	struct sl_registry_opts none = {.compat_given = true, .compat = SL_COMPAT_NONE};
	struct sl_err err = {0};
	assert_int_equal(reg_ok(fx->m, "orders", "{\"type\":\"object\"}", &none), 1);
	assert_int_equal(reg_ok(fx->m, "orders", "{\"type\":\"string\"}", NULL), 2);
	/* the same schema, written differently: the same version */
	int rc;
	struct sl_registry_result r =
		reg(fx->m, "orders", "{ \"type\" : \"object\" }\n", NULL, &rc, &err);
	assert_int_equal(rc, 0);
	assert_int_equal(r.outcome, SL_REG_EXISTING);
	assert_int_equal(r.version, 1);
	assert_int_equal(reg_ok(fx->m, "orders", "{\"type\":\"integer\"}", NULL), 3);
	/* another subject numbers from 1 */
	assert_int_equal(reg_ok(fx->m, "clicks", "{\"type\":\"object\"}", NULL), 1);

	struct sl_schema_version v;
	assert_int_equal(sl_registry_get(fx->m, "orders", 2, &v, &err), 0);
	assert_string_equal(v.text, "{\"type\":\"string\"}");
	assert_int_equal(v.len, strlen(v.text));
	assert_int_equal(v.version, 2);
	assert_string_equal(v.subject, "orders");
	assert_true(v.created_ms > 0);
	char fp[SL_CHECKSUM_MAX];
	sl_schema_fingerprint(v.text, v.len, fp);
	assert_string_equal(v.fingerprint, fp);
	sl_schema_version_release(&v);
	assert_int_equal(sl_registry_get(fx->m, "orders", 0, &v, &err), 0);
	assert_int_equal(v.version, 3);
	sl_schema_version_release(&v);

	struct sl_schema_subject s;
	assert_int_equal(sl_registry_subject(fx->m, "orders", &s, &err), 0);
	assert_int_equal(s.latest, 3);
	assert_int_equal(s.compat, SL_COMPAT_NONE);
	assert_int_equal(sl_registry_subject(fx->m, "clicks", &s, &err), 0);
	assert_int_equal(s.compat, SL_COMPAT_BACKWARD); /* the default */
}

static void test_unknown_subject_and_version(void **state)
{
	struct fx *fx = *state;
	struct sl_schema_version v;
	struct sl_err err = {0};
	assert_int_equal(sl_registry_get(fx->m, "nope", 1, &v, &err), SL_ENOENT);
	assert_non_null(strstr(err.msg, "nope"));
	reg_ok(fx->m, "orders", "{}", NULL);
	assert_int_equal(sl_registry_get(fx->m, "orders", 2, &v, &err), SL_ENOENT);
	assert_non_null(strstr(err.msg, "no version 2"));
	assert_int_equal(sl_registry_get(fx->m, "orders", INT64_MAX, &v, &err), SL_ENOENT);
	assert_int_equal(sl_registry_get(fx->m, "orders", -1, &v, &err), SL_EINVAL);
	assert_int_equal(sl_registry_get(fx->m, "../orders", 1, &v, &err), SL_EINVAL);
	/* a subject made by setting its mode has no versions yet */
	assert_int_equal(sl_registry_set_compat(fx->m, "empty", SL_COMPAT_FULL, &err), 0);
	assert_int_equal(sl_registry_get(fx->m, "empty", 0, &v, &err), SL_ENOENT);
	assert_non_null(strstr(err.msg, "no versions"));
}

static void test_malformed_schemas_are_refused(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	int rc;
	const char *bad[] = {"{", "[]", "42", "{\"a\":1,\"a\":2}"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sl_registry_result r = reg(fx->m, "orders", bad[i], NULL, &rc, &err);
		assert_int_equal(rc, SL_EINVAL);
		assert_int_equal(r.outcome, SL_REG_MALFORMED);
	}
	struct sl_schema_subject s;
	assert_int_equal(sl_registry_subject(fx->m, "orders", &s, &err), SL_ENOENT);
}

/* Needs the real validator (sl_schema_compile): the compiler's refusals. */
static void test_compiler_refusals(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	int rc;
	const char *bad[] = {
		"{\"type\":\"string\",\"pattern\":\"(\"}",             /* invalid regex */
		"{\"minimum\":\"3\"}",                                 /* wrong kind */
		"{\"$ref\":\"#/$defs/missing\"}",                      /* unresolvable */
		"{\"$defs\":{\"a\":{\"$ref\":\"#/$defs/a\"}},\"$ref\":\"#/$defs/a\"}", /* cycle */
		"{\"$ref\":\"sluice:nosuch/1\"}",                      /* unknown subject */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sl_registry_result r = reg(fx->m, "orders", bad[i], NULL, &rc, &err);
		if (rc != SL_EINVAL || r.outcome != SL_REG_MALFORMED)
			fail_msg("%s was not refused as malformed (rc %d)", bad[i], rc);
		assert_true(strlen(err.msg) > 0);
	}
	/* a reference to a registered version compiles */
	reg_ok(fx->m, "address", "{\"type\":\"object\"}", NULL);
	reg_ok(fx->m, "orders", "{\"properties\":{\"a\":{\"$ref\":\"sluice:address/1\"}}}", NULL);
}

static int collect_kv(void *ctx, const char *k, const char *v)
{
	char *all = ctx;
	strcat(all, k);
	strcat(all, "=");
	strcat(all, v);
	strcat(all, ";");
	return 0;
}

static void test_metadata(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	struct sl_schema_kv kv[] = {{"owner", "data-team"}, {"ticket", "ING-42"}};
	struct sl_registry_opts o = {.meta = kv, .n_meta = 2};
	assert_int_equal(reg_ok(fx->m, "orders", "{}", &o), 1);
	/* again, with one more pair: added to the same version */
	struct sl_schema_kv kv2[] = {{"owner", "data-team"}, {"reviewed", "yes"}};
	struct sl_registry_opts o2 = {.meta = kv2, .n_meta = 2};
	assert_int_equal(reg_ok(fx->m, "orders", "{}", &o2), 1);
	/* a different value for a key: refused, nothing changes */
	struct sl_schema_kv kv3[] = {{"owner", "someone-else"}, {"new", "x"}};
	struct sl_registry_opts o3 = {.meta = kv3, .n_meta = 2};
	int rc;
	reg(fx->m, "orders", "{}", &o3, &rc, &err);
	assert_int_equal(rc, SL_EEXIST);
	assert_non_null(strstr(err.msg, "owner"));

	char all[512] = "";
	assert_int_equal(sl_registry_metadata(fx->m, "orders", 1, collect_kv, all, &err), 0);
	assert_string_equal(all, "owner=data-team;reviewed=yes;ticket=ING-42;");
}

static void test_metadata_listed(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	struct sl_schema_kv kv[] = {{"owner", "data-team"}, {"a", "caf\xc3\xa9 = ok"}};
	struct sl_registry_opts o = {.meta = kv, .n_meta = 2};
	assert_int_equal(reg_ok(fx->m, "orders", "{}", &o), 1);
	char all[512] = "";
	assert_int_equal(sl_registry_metadata(fx->m, "orders", 1, collect_kv, all, &err), 0);
	assert_string_equal(all, "a=caf\xc3\xa9 = ok;owner=data-team;");
}

static void test_metadata_limits(void **state)
{
	struct fx *fx = *state;
	char long_key[200], long_val[300];
	memset(long_key, 'k', sizeof(long_key) - 1);
	long_key[sizeof(long_key) - 1] = '\0';
	memset(long_val, 'v', sizeof(long_val) - 1);
	long_val[sizeof(long_val) - 1] = '\0';
	struct sl_schema_kv bad[][1] = {{{"", "v"}},	  {{"k", ""}},	    {{"a=b", "v"}},
					 {{"k\n", "v"}},  {{"k", "v\x01"}}, {{long_key, "v"}},
					 {{"k", long_val}}, {{"\xff", "v"}}};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sl_err err = {0};
		assert_int_equal(sl_registry_meta_check(bad[i], 1, &err), SL_EINVAL);
		assert_null(strchr(err.msg, '\n'));
		struct sl_registry_opts o = {.meta = bad[i], .n_meta = 1};
		int rc;
		reg(fx->m, "orders", "{}", &o, &rc, &err);
		assert_int_equal(rc, SL_EINVAL);
	}
	struct sl_schema_kv dup[] = {{"k", "1"}, {"k", "2"}};
	assert_int_equal(sl_registry_meta_check(dup, 2, NULL), SL_EINVAL);
	struct sl_schema_kv many[11];
	char keys[11][8];
	for (int i = 0; i < 11; i++) {
		snprintf(keys[i], sizeof(keys[i]), "k%d", i);
		many[i] = (struct sl_schema_kv){keys[i], "v"};
	}
	assert_int_equal(sl_registry_meta_check(many, 10, NULL), 0);
	assert_int_equal(sl_registry_meta_check(many, 11, NULL), SL_EINVAL);
	/* ten per version in all, also when added by a second registration */
	struct sl_registry_opts o1 = {.meta = many, .n_meta = 6};
	struct sl_registry_opts o2 = {.meta = many + 5, .n_meta = 6};
	reg_ok(fx->m, "orders", "{}", &o1);
	int rc;
	struct sl_err err = {0};
	reg(fx->m, "orders", "{}", &o2, &rc, &err);
	assert_int_equal(rc, SL_ELIMIT);
	assert_non_null(strstr(err.msg, "10"));
}

static void test_disabled_refuses_new_versions(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	int rc;
	reg_ok(fx->m, "orders", "{\"type\":\"object\"}", NULL);
	assert_int_equal(sl_registry_set_compat(fx->m, "orders", SL_COMPAT_DISABLED, &err), 0);
	struct sl_registry_result r = reg(fx->m, "orders", "{}", NULL, &rc, &err);
	assert_int_equal(rc, SL_EINVAL);
	assert_int_equal(r.outcome, SL_REG_DISABLED);
	assert_non_null(strstr(err.msg, "DISABLED"));
	/* the existing version is still the answer for an identical schema */
	r = reg(fx->m, "orders", "{\"type\" : \"object\"}", NULL, &rc, &err);
	assert_int_equal(rc, 0);
	assert_int_equal(r.outcome, SL_REG_EXISTING);
	/* a new subject created DISABLED gets no version at all */
	struct sl_registry_opts d = {.compat_given = true, .compat = SL_COMPAT_DISABLED};
	r = reg(fx->m, "frozen", "{}", &d, &rc, &err);
	assert_int_equal(r.outcome, SL_REG_DISABLED);
	struct sl_schema_subject s;
	assert_int_equal(sl_registry_subject(fx->m, "frozen", &s, &err), SL_ENOENT);
}

static void test_mode_given_for_existing_subject(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	int rc;
	reg_ok(fx->m, "orders", "{}", NULL); /* BACKWARD by default */
	struct sl_registry_opts full = {.compat_given = true, .compat = SL_COMPAT_FULL};
	struct sl_registry_result r = reg(fx->m, "orders", "{\"title\":\"x\"}", &full, &rc, &err);
	assert_int_equal(rc, SL_EINVAL);
	assert_int_equal(r.outcome, SL_REG_MODE_CONFLICT);
	struct sl_registry_opts same = {.compat_given = true, .compat = SL_COMPAT_BACKWARD};
	r = reg(fx->m, "orders", "{\"title\":\"x\"}", &same, &rc, &err);
	assert_int_equal(rc, 0);
	assert_int_equal(r.version, 2);
}

static void test_backward_refuses_with_the_rule(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	int rc;
	reg_ok(fx->m, "orders",
	       "{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"integer\"}},"
	       "\"additionalProperties\":false}",
	       NULL);
	/* an optional property under the closed model: compatible */
	assert_int_equal(reg_ok(fx->m, "orders",
				"{\"type\":\"object\",\"properties\":{\"id\":{\"type\":"
				"\"integer\"},\"note\":{\"type\":\"string\"}},"
				"\"additionalProperties\":false}",
				NULL),
			 2);
	/* a required property: refused, and nothing is stored */
	struct sl_registry_result r =
		reg(fx->m, "orders",
		    "{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"integer\"},"
		    "\"note\":{\"type\":\"string\"}},\"required\":[\"note\"],"
		    "\"additionalProperties\":false}",
		    NULL, &rc, &err);
	assert_int_equal(rc, SL_EINVAL);
	assert_int_equal(r.outcome, SL_REG_INCOMPATIBLE);
	assert_int_equal(r.compat, SL_COMPAT_BACKWARD);
	assert_int_equal(r.report.total, 1);
	assert_string_equal(r.report.v[0].rule, "required-added");
	assert_int_equal(r.report.v[0].against, 2);
	assert_non_null(strstr(err.msg, "required-added at /required"));
	assert_non_null(strstr(err.msg, "version 2"));
	struct sl_schema_subject s;
	assert_int_equal(sl_registry_subject(fx->m, "orders", &s, &err), 0);
	assert_int_equal(s.latest, 2);
	/* the dry run says the same without writing */
	struct sl_registry_opts dry = {.dry_run = true};
	r = reg(fx->m, "orders", "{\"type\":\"object\"}", &dry, &rc, &err);
	assert_int_equal(r.outcome, SL_REG_NEW);
	assert_int_equal(r.version, 3);
	assert_int_equal(sl_registry_subject(fx->m, "orders", &s, &err), 0);
	assert_int_equal(s.latest, 2);
}

static void test_all_modes_check_every_version(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	struct sl_registry_opts none = {.compat_given = true, .compat = SL_COMPAT_NONE};
	int rc;
	reg_ok(fx->m, "s", "{\"type\":\"string\"}", &none);
	reg_ok(fx->m, "s", "{\"type\":\"integer\"}", NULL); /* NONE: anything goes */
	const char *next = "{\"type\":[\"integer\",\"null\"]}";
	/* BACKWARD looks at version 2 only: fine */
	assert_int_equal(sl_registry_set_compat(fx->m, "s", SL_COMPAT_BACKWARD, &err), 0);
	struct sl_registry_opts dry = {.dry_run = true};
	struct sl_registry_result r = reg(fx->m, "s", next, &dry, &rc, &err);
	assert_int_equal(rc, 0);
	assert_int_equal(r.outcome, SL_REG_NEW);
	/* BACKWARD_ALL also at version 1, whose strings the new one refuses */
	assert_int_equal(sl_registry_set_compat(fx->m, "s", SL_COMPAT_BACKWARD_ALL, &err), 0);
	r = reg(fx->m, "s", next, &dry, &rc, &err);
	assert_int_equal(r.outcome, SL_REG_INCOMPATIBLE);
	assert_int_equal(r.report.v[0].against, 1);
	assert_string_equal(r.report.v[0].rule, "type-narrowed");
	/* FORWARD: the new one widens integer with null: refused against version 2 */
	assert_int_equal(sl_registry_set_compat(fx->m, "s", SL_COMPAT_FORWARD, &err), 0);
	r = reg(fx->m, "s", next, &dry, &rc, &err);
	assert_int_equal(r.outcome, SL_REG_INCOMPATIBLE);
	assert_string_equal(r.report.v[0].rule, "type-widened");
	assert_int_equal(r.report.v[0].against, 2);
	/* FULL_ALL reports both directions and both versions */
	assert_int_equal(sl_registry_set_compat(fx->m, "s", SL_COMPAT_FULL_ALL, &err), 0);
	r = reg(fx->m, "s", next, &dry, &rc, &err);
	assert_int_equal(r.outcome, SL_REG_INCOMPATIBLE);
	assert_true(r.report.total >= 3);
}

static int count_versions(void *ctx, const struct sl_schema_version *v)
{
	int64_t *n = ctx;
	assert_null(v->text);
	assert_int_equal(v->version, n[0] + 1); /* in order, dense */
	n[0]++;
	return 0;
}

static int list_subject(void *ctx, const struct sl_schema_subject *s)
{
	char *all = ctx;
	char line[200];
	snprintf(line, sizeof(line), "%s:%s:%lld;", s->name, sl_compat_name(s->compat),
		 (long long)s->latest);
	strcat(all, line);
	return 0;
}

static void test_listing(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	struct sl_registry_opts none = {.compat_given = true, .compat = SL_COMPAT_NONE};
	for (int i = 0; i < 300; i++) {
		char text[64];
		snprintf(text, sizeof(text), "{\"maximum\":%d}", i);
		reg_ok(fx->m, "many", text, &none);
	}
	reg_ok(fx->m, "b", "{}", NULL);
	assert_int_equal(sl_registry_set_compat(fx->m, "a", SL_COMPAT_FULL, &err), 0);
	assert_int_equal(sl_registry_set_default_compat(fx->m, SL_COMPAT_FORWARD, &err), 0);
	reg_ok(fx->m, "c", "{}", NULL);
	enum sl_compat d;
	assert_int_equal(sl_registry_default_compat(fx->m, &d, &err), 0);
	assert_int_equal(d, SL_COMPAT_FORWARD);
	char all[1024] = "";
	assert_int_equal(sl_registry_list(fx->m, list_subject, all, &err), 0);
	assert_string_equal(all, "a:FULL:0;b:BACKWARD:1;c:FORWARD:1;many:NONE:300;");
	int64_t n = 0;
	assert_int_equal(sl_registry_versions(fx->m, "many", count_versions, &n, &err), 0);
	assert_int_equal(n, 300);
	assert_int_equal(sl_registry_versions(fx->m, "nope", count_versions, &n, &err), SL_ENOENT);
}

static void test_resolver(void **state)
{
	struct fx *fx = *state;
	struct sl_schema_resolver res;
	struct sl_err err = {0};
	char *text = NULL;
	size_t len = 0;
	reg_ok(fx->m, "address", "{\"type\":\"object\"}", NULL);
	reg_ok(fx->m, "address", "{\"type\":\"object\",\"title\":\"v2\"}", NULL);
	sl_registry_resolver(fx->m, &res);
	assert_int_equal(res.load(res.ctx, "sluice:address/1", &text, &len, &err), 0);
	assert_string_equal(text, "{\"type\":\"object\"}");
	assert_int_equal(len, strlen(text));
	free(text);
	assert_int_equal(res.load(res.ctx, "sluice:address/latest", &text, &len, &err), 0);
	assert_non_null(strstr(text, "v2"));
	free(text);
	const char *bad[] = {"sluice:address/3",   "sluice:address/0", "sluice:address/-1",
			     "sluice:address/x",   "sluice:nope/1",    "sluice:../1",
			     "sluice:address",	   "https://example.com/s.json",
			     "sluice:address/1x",  "sluice:/1"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		text = NULL;
		int rc = res.load(res.ctx, bad[i], &text, &len, &err);
		if (rc != SL_ENOENT)
			fail_msg("%s: expected SL_ENOENT, got %d", bad[i], rc);
		assert_null(text);
		assert_true(strlen(err.msg) > 0);
	}
}

/* What the stages call: the latest (or a given) version, compiled with sluice: refs. */
static void test_registry_compile(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	struct sl_schema *schema = NULL;
	int64_t got = 0;
	reg_ok(fx->m, "address", "{\"type\":\"object\",\"required\":[\"city\"]}", NULL);
	reg_ok(fx->m, "orders", "{\"properties\":{\"to\":{\"$ref\":\"sluice:address/1\"}}}", NULL);
	reg_ok(fx->m, "orders",
	       "{\"properties\":{\"to\":{\"$ref\":\"sluice:address/1\"},\"n\":{}}}", NULL);
	assert_int_equal(sl_registry_compile(fx->m, "orders", 0, &schema, &got, &err), 0);
	assert_int_equal(got, 2);
	struct sl_validator *v = sl_validator_new(schema);
	struct sl_json_parser *p = sl_json_parser_new(NULL);
	struct sl_json_doc doc;
	struct sl_json_error je;
	struct sl_schema_error errs[4];
	size_t n = 0;
	const char *good = "{\"to\":{\"city\":\"x\"}}", *bad = "{\"to\":{}}";
	assert_int_equal(sl_json_parse(p, good, strlen(good), &doc, &je), 0);
	assert_int_equal(sl_validate(v, &doc, errs, 4, &n), 1);
	assert_int_equal(sl_json_parse(p, bad, strlen(bad), &doc, &je), 0);
	assert_int_equal(sl_validate(v, &doc, errs, 4, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(errs[0].pointer, "/to");
	assert_string_equal(errs[0].keyword, "required");
	sl_json_parser_free(p);
	sl_validator_free(v);
	sl_schema_free(schema);
	assert_int_equal(sl_registry_compile(fx->m, "orders", 1, &schema, &got, &err), 0);
	assert_int_equal(got, 1);
	sl_schema_free(schema);
	assert_int_equal(sl_registry_compile(fx->m, "orders", 3, &schema, &got, &err), SL_ENOENT);
	assert_int_equal(sl_registry_compile(fx->m, "nope", 0, &schema, &got, &err), SL_ENOENT);
}

/* Several processes register into one subject at once: numbering stays 1..N without gaps
 * or duplicates, and an identical schema gets one version that everyone is told. */
static void test_concurrent_registration(void **state)
{
	struct fx *fx = *state;
	enum { PROCS = 4, EACH = 8 };
	struct sl_err err = {0};
	assert_int_equal(sl_registry_set_compat(fx->m, "race", SL_COMPAT_NONE, &err), 0);
	int fds[PROCS][2];
	pid_t pids[PROCS];
	for (int p = 0; p < PROCS; p++) {
		assert_int_equal(pipe(fds[p]), 0);
		pids[p] = fork();
		assert_true(pids[p] >= 0);
		if (pids[p] == 0) {
			struct sl_lake *lake;
			close(fds[p][0]);
			if (sl_lake_open(fx->dir, &lake, &err) != 0)
				_exit(10);
			int64_t shared = -1;
			for (int i = 0; i < EACH; i++) {
				char text[128];
				struct sl_registry_result r;
				snprintf(text, sizeof(text), "{\"title\":\"p%d-%d\"}", p, i);
				if (sl_registry_register(&lake->meta, "race", text, strlen(text), NULL,
							 &r, &err) != 0 ||
				    r.outcome != SL_REG_NEW)
					_exit(11);
				const char *same = "{\"title\":\"shared\"}";
				if (sl_registry_register(&lake->meta, "race", same, strlen(same),
							 NULL, &r, &err) != 0)
					_exit(12);
				if (shared >= 0 && r.version != shared)
					_exit(13);
				shared = r.version;
			}
			if (write(fds[p][1], &shared, sizeof(shared)) != sizeof(shared))
				_exit(14);
			sl_lake_close(lake);
			_exit(0);
		}
		close(fds[p][1]);
	}
	int64_t shared = -1;
	for (int p = 0; p < PROCS; p++) {
		int status;
		int64_t v = 0;
		assert_int_equal(waitpid(pids[p], &status, 0), pids[p]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
		assert_int_equal(read(fds[p][0], &v, sizeof(v)), sizeof(v));
		close(fds[p][0]);
		if (shared >= 0)
			assert_int_equal(v, shared);
		shared = v;
	}
	struct sl_schema_subject s;
	assert_int_equal(sl_registry_subject(fx->m, "race", &s, &err), 0);
	assert_int_equal(s.latest, PROCS * EACH + 1);
	int64_t n = 0;
	assert_int_equal(sl_registry_versions(fx->m, "race", count_versions, &n, &err), 0);
	assert_int_equal(n, PROCS * EACH + 1);
	/* every version's text is distinct */
	for (int64_t a = 1; a <= n; a++) {
		struct sl_schema_version va;
		assert_int_equal(sl_registry_get(fx->m, "race", a, &va, &err), 0);
		for (int64_t b = a + 1; b <= n; b++) {
			struct sl_schema_version vb;
			assert_int_equal(sl_registry_get(fx->m, "race", b, &vb, &err), 0);
			assert_string_not_equal(va.fingerprint, vb.fingerprint);
			sl_schema_version_release(&vb);
		}
		sl_schema_version_release(&va);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_canonical_form),
		cmocka_unit_test(test_fingerprint_ignores_layout),
		cmocka_unit_test(test_canonical_refusals),
		cmocka_unit_test(test_subject_names),
		cmocka_unit_test(test_compat_names),
		cmocka_unit_test_setup_teardown(test_versions_are_immutable_and_dense, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unknown_subject_and_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_schemas_are_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_compiler_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_metadata, setup, teardown),
		cmocka_unit_test_setup_teardown(test_metadata_listed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_metadata_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disabled_refuses_new_versions, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mode_given_for_existing_subject, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_backward_refuses_with_the_rule, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_all_modes_check_every_version, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_listing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resolver, setup, teardown),
		cmocka_unit_test_setup_teardown(test_registry_compile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_registration, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
