/*
 * test_merge.c - joining types (types/merge.h): every rule of the lattice, nullability,
 * nested structs, lists and maps, a struct turning into a map, conflicts both ways, the
 * add_only policy, the changes (kinds, JSON-pointer paths, texts, the cap), and the
 * algebra the crawler relies on (idempotence, commutativity, absorption) over random
 * types; a 100,000-field merge and a tree deeper than the bound.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "types/merge.h"
#include "type_gen.h"
#include "util/utf8.h"

static struct sl_type *parse(const char *text)
{
	struct sl_err err = {0};
	struct sl_type *t = sl_type_parse(text, strlen(text), &err);
	if (!t)
		fail_msg("cannot parse %s: %s", text, err.msg);
	return t;
}

static char *text_of(const struct sl_type *t)
{
	struct sl_buf b;
	sl_buf_init(&b, 0);
	assert_int_equal(sl_type_format(t, &b), 0);
	char *s = strdup(b.data);
	sl_buf_release(&b);
	return s;
}

/* Merges the two texts; returns the result's text (malloc'd). */
static char *merge_text(const char *a, const char *b, const struct sl_merge_opts *o,
			struct sl_type_changes *ch)
{
	struct sl_err err = {0};
	struct sl_type *ta = parse(a), *tb = parse(b);
	struct sl_type *r = sl_type_merge(ta, tb, o, ch, &err);
	if (!r)
		fail_msg("merge of %s and %s failed: %s", a, b, err.msg);
	char *s = text_of(r);
	sl_type_free(r);
	sl_type_free(ta);
	sl_type_free(tb);
	return s;
}

/* ---- the lattice, one pair at a time ------------------------------------------------- */

struct rule {
	const char *a, *b, *want;
	int change; /* an enum sl_change_kind, or -1: no change */
};

static void check_rules(const struct rule *rules, size_t n, const struct sl_merge_opts *o)
{
	for (size_t i = 0; i < n; i++) {
		const struct rule *r = &rules[i];
		struct sl_type_changes ch = {0};
		char *got = merge_text(r->a, r->b, o, &ch);
		if (strcmp(got, r->want) != 0)
			fail_msg("%s + %s: got %s, want %s", r->a, r->b, got, r->want);
		if (r->change < 0 && ch.n != 0)
			fail_msg("%s + %s: want no change, got %s", r->a, r->b,
				 sl_change_kind_name(ch.v[0].kind));
		if (r->change >= 0) {
			if (ch.n != 1)
				fail_msg("%s + %s: want one change, got %zu", r->a, r->b, ch.n);
			if ((int)ch.v[0].kind != r->change)
				fail_msg("%s + %s: got change %s", r->a, r->b,
					 sl_change_kind_name(ch.v[0].kind));
			assert_string_equal(ch.v[0].path, "");
			assert_string_equal(ch.v[0].from, r->a);
			/* to: the merged type, but b's for a conflict */
			assert_string_equal(ch.v[0].to,
					    r->change == SL_CHANGE_CONFLICT ? r->b : r->want);
			assert_true(ch.v[0].applied);
		}
		sl_type_changes_release(&ch);
		free(got);
		/* the other way round gives the same type */
		got = merge_text(r->b, r->a, o, NULL);
		if (strcmp(got, r->want) != 0)
			fail_msg("%s + %s: got %s, want %s", r->b, r->a, got, r->want);
		free(got);
	}
}

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define W SL_CHANGE_WIDENED
#define C SL_CHANGE_CONFLICT

static void test_numbers(void **state)
{
	static const struct rule rules[] = {
		{"int64", "int64", "int64", -1},
		{"int8", "int16", "int16", W},
		{"int32", "int64", "int64", W},
		{"int8", "int64", "int64", W},
		{"int64", "double", "double", W},
		{"int8", "double", "double", W},
		{"float", "float", "float", -1},
		{"float", "double", "double", W},
		{"float", "int32", "double", W},
		{"double", "double", "double", -1},
		/* unsigned + signed: the smallest signed int that holds both, else double */
		{"uint8", "uint32", "uint32", W},
		{"uint8", "int8", "int16", W},
		{"uint16", "int32", "int32", W},
		{"uint32", "int32", "int64", W},
		{"uint32", "int64", "int64", W},
		{"uint64", "int64", "double", W},
		{"uint64", "int8", "double", W},
		{"uint64", "uint64", "uint64", -1},
		/* decimals: the whole digits and the scale of both */
		{"decimal(10,2)", "decimal(10,2)", "decimal(10,2)", -1},
		{"decimal(10,2)", "decimal(5,4)", "decimal(12,4)", W},
		{"decimal(10,2)", "int32", "decimal(12,2)", W},
		{"decimal(4,1)", "int8", "decimal(4,1)", -1},
		{"decimal(3,1)", "uint8", "decimal(4,1)", W},
		{"decimal(38,10)", "int64", "decimal(38,10)", -1},
		{"decimal(38,30)", "int64", "double", W},
		{"decimal(38,0)", "decimal(38,38)", "double", W},
		{"decimal(10,2)", "double", "double", W},
		{"decimal(10,2)", "float", "double", W},
	};
	(void)state;
	check_rules(rules, N(rules), NULL);
}

static void test_strings_and_times(void **state)
{
	static const struct rule rules[] = {
		{"string", "string", "string", -1},
		{"enum", "enum", "enum", -1},
		{"enum", "string", "string", W},
		{"uuid", "string", "string", W},
		{"date", "string", "string", W},
		{"timestamp(us)", "string", "string", W},
		{"time(us)", "string", "string", W},
		{"date", "timestamp(us)", "string", W},
		{"uuid", "date", "string", W},
		{"uuid", "enum", "string", W},
		{"date", "date", "date", -1},
		{"timestamp(ms)", "timestamp(us)", "timestamp(us)", W},
		{"timestamp(us)", "timestamp(us)", "timestamp(us)", -1},
		{"time(ms)", "time(us)", "time(us)", W},
		{"time(ms)", "timestamp(ms)", "string", W},
		{"boolean", "boolean", "boolean", -1},
		{"binary", "binary", "binary", -1},
		{"binary(16)", "binary(16)", "binary(16)", -1},
		{"binary(16)", "binary", "binary", W},
		{"binary(16)", "binary(8)", "binary", W},
		{"uuid", "uuid", "uuid", -1},
		/* json holds any value: the top */
		{"json", "json", "json", -1},
		{"json", "int64", "json", -1},
		{"int64", "json", "json", W},
		{"struct<a:int64>", "json", "json", W},
		{"list<int64>", "json", "json", W},
	};
	(void)state;
	check_rules(rules, N(rules), NULL);
}

static void test_conflicts(void **state)
{
	static const struct rule to_string[] = {
		{"boolean", "int64", "string", C},
		{"int64", "string", "string", C},
		{"double", "uuid", "string", C},
		{"enum", "int64", "string", C},
		{"binary", "string", "string", C},
		{"int64", "struct<a:int64>", "string", C},
		{"struct<a:int64>", "int64", "string", C},
		{"list<int64>", "struct<a:int64>", "string", C},
		{"list<int64>", "map<string,int64>", "string", C},
		{"map<string,int64>", "boolean", "string", C},
		{"date", "boolean", "string", C},
		/* a string already holds anything's JSON text: nothing changes */
		{"string", "int64", "string", -1},
		{"string", "struct<a:int64>", "string", -1},
	};
	static const struct rule to_json[] = {
		{"int64", "string", "json", C},
		{"string", "int64", "json", C},
		{"struct<a:int64>", "list<int64>", "json", C},
		{"boolean", "double", "json", C},
	};
	struct sl_merge_opts o;
	(void)state;
	sl_merge_opts_default(&o);
	assert_int_equal(o.conflict_kind, SL_T_STRING);
	assert_int_equal(o.max_struct_fields, 1000);
	assert_false(o.add_only);
	check_rules(to_string, N(to_string), &o);
	o.conflict_kind = SL_T_JSON;
	check_rules(to_json, N(to_json), &o);
}

/* ---- nullability and nesting --------------------------------------------------------- */

static void expect_change(const struct sl_type_changes *ch, size_t i, enum sl_change_kind kind,
			  const char *path, const char *from, const char *to, bool applied)
{
	if (i >= ch->n)
		fail_msg("change %zu missing (%zu changes)", i, ch->n);
	const struct sl_type_change *c = &ch->v[i];
	if (c->kind != kind || strcmp(c->path, path) != 0 || strcmp(c->from, from) != 0 ||
	    strcmp(c->to, to) != 0 || c->applied != applied)
		fail_msg("change %zu: got %s %s [%s] -> [%s] %s; want %s %s [%s] -> [%s] %s", i,
			 sl_change_kind_name(c->kind), c->path, c->from, c->to,
			 c->applied ? "applied" : "seen", sl_change_kind_name(kind), path, from,
			 to, applied ? "applied" : "seen");
}

static void test_nullability(void **state)
{
	struct sl_type_changes ch = {0};
	char *got;
	(void)state;

	got = merge_text("int64 not null", "int64", NULL, &ch);
	assert_string_equal(got, "int64");
	assert_int_equal(ch.n, 1);
	expect_change(&ch, 0, SL_CHANGE_NULLABLE, "", "int64 not null", "int64", true);
	sl_type_changes_release(&ch);
	free(got);

	got = merge_text("int64", "int64 not null", NULL, &ch);
	assert_string_equal(got, "int64");
	assert_int_equal(ch.n, 0);
	free(got);

	got = merge_text("int64 not null", "int64 not null", NULL, &ch);
	assert_string_equal(got, "int64 not null");
	assert_int_equal(ch.n, 0);
	free(got);

	/* a type and its nullability can change together: two changes */
	got = merge_text("int64 not null", "double", NULL, &ch);
	assert_string_equal(got, "double");
	assert_int_equal(ch.n, 2);
	expect_change(&ch, 0, SL_CHANGE_NULLABLE, "", "int64 not null", "int64", true);
	expect_change(&ch, 1, SL_CHANGE_WIDENED, "", "int64 not null", "double", true);
	sl_type_changes_release(&ch);
	free(got);

	/* a field on one side only is null in the other side's records */
	got = merge_text("struct<a:int64 not null,b:string not null> not null",
			 "struct<a:int64 not null,c:date not null> not null", NULL, &ch);
	assert_string_equal(got, "struct<a:int64 not null,b:string,c:date> not null");
	assert_int_equal(ch.n, 2);
	expect_change(&ch, 0, SL_CHANGE_NULLABLE, "/b", "string not null", "string", true);
	expect_change(&ch, 1, SL_CHANGE_ADDED, "/c", "", "date not null", true);
	sl_type_changes_release(&ch);
	free(got);

	/* a list's elements and a map's values keep their own nullability */
	got = merge_text("list<int64 not null> not null", "list<int64> not null", NULL, &ch);
	assert_string_equal(got, "list<int64> not null");
	assert_int_equal(ch.n, 1);
	expect_change(&ch, 0, SL_CHANGE_NULLABLE, "/*", "int64 not null", "int64", true);
	sl_type_changes_release(&ch);
	free(got);
}

static void test_nested(void **state)
{
	struct sl_type_changes ch = {0};
	char *got;
	(void)state;

	got = merge_text("struct<id:int64 not null,p:struct<n:int32 not null,"
			 "tags:list<int64 not null>>,m:map<string,int32>> not null",
			 "struct<id:int64 not null,p:struct<n:double not null,"
			 "tags:list<string not null>,x:boolean>,m:map<string,int64>,"
			 "l:list<struct<v:int8>>> not null",
			 NULL, &ch);
	assert_string_equal(got, "struct<id:int64 not null,p:struct<n:double not null,"
				 "tags:list<string not null>,x:boolean>,m:map<string,int64>,"
				 "l:list<struct<v:int8>>> not null");
	assert_int_equal(ch.n, 5);
	/* in path order: a's fields first, each node before its children, then b's new ones */
	expect_change(&ch, 0, SL_CHANGE_WIDENED, "/p/n", "int32 not null", "double not null",
		      true);
	expect_change(&ch, 1, SL_CHANGE_CONFLICT, "/p/tags/*", "int64 not null",
		      "string not null", true);
	expect_change(&ch, 2, SL_CHANGE_ADDED, "/p/x", "", "boolean", true);
	expect_change(&ch, 3, SL_CHANGE_WIDENED, "/m/*", "int32", "int64", true);
	expect_change(&ch, 4, SL_CHANGE_ADDED, "/l", "", "list<struct<v:int8>>", true);
	sl_type_changes_release(&ch);
	free(got);

	/* fields inside lists of structs are merged too */
	got = merge_text("struct<l:list<struct<v:int32 not null> not null>> not null",
			 "struct<l:list<struct<v:int64 not null,w:string> not null>> not null",
			 NULL, &ch);
	assert_string_equal(got, "struct<l:list<struct<v:int64 not null,w:string> not null>> "
				 "not null");
	assert_int_equal(ch.n, 2);
	expect_change(&ch, 0, SL_CHANGE_WIDENED, "/l/*/v", "int32 not null", "int64 not null",
		      true);
	expect_change(&ch, 1, SL_CHANGE_ADDED, "/l/*/w", "", "string", true);
	sl_type_changes_release(&ch);
	free(got);

	/* map keys join too; a key change is reported at the map */
	got = merge_text("map<int32,string>", "map<int64,string>", NULL, &ch);
	assert_string_equal(got, "map<int64,string>");
	assert_int_equal(ch.n, 1);
	expect_change(&ch, 0, SL_CHANGE_WIDENED, "", "map<int32,string>", "map<int64,string>",
		      true);
	sl_type_changes_release(&ch);
	free(got);
}

static void test_struct_to_map(void **state)
{
	struct sl_merge_opts o;
	struct sl_type_changes ch = {0};
	char *got;
	(void)state;

	sl_merge_opts_default(&o);
	o.max_struct_fields = 3;
	/* the union at the limit stays a struct */
	got = merge_text("struct<c:struct<a:int64,b:int64>>", "struct<c:struct<b:int64,c:int64>>",
			 &o, &ch);
	assert_string_equal(got, "struct<c:struct<a:int64,b:int64,c:int64>>");
	sl_type_changes_release(&ch);
	free(got);
	/* one past it is a map disguised as a struct */
	got = merge_text("struct<id:int64 not null,c:struct<a:int64,b:int64 not null> not null> "
			 "not null",
			 "struct<id:int64 not null,c:struct<c:double,d:int64> not null> not null",
			 &o, &ch);
	assert_string_equal(got, "struct<id:int64 not null,c:map<string,double> not null> "
				 "not null");
	assert_int_equal(ch.n, 1);
	expect_change(&ch, 0, SL_CHANGE_TO_MAP, "/c", "struct<a:int64,b:int64 not null> not null",
		      "map<string,double> not null", true);
	sl_type_changes_release(&ch);
	free(got);
	got = merge_text("struct<c:struct<c:double,d:int64> not null>",
			 "struct<c:struct<a:int64,b:int64 not null> not null>", &o, NULL);
	assert_string_equal(got, "struct<c:map<string,double> not null>");
	free(got);

	/* each side's values are joined first, then the two: the same both ways, though
	 * the join is not associative here (uint32 + int8 is int64: 19 digits, not 10) */
	got = merge_text("struct<a:uint32,b:int8>", "struct<c:decimal(5,2),d:decimal(5,2)>", &o,
			 NULL);
	assert_string_equal(got, "map<string,decimal(21,2)>");
	free(got);
	got = merge_text("struct<c:decimal(5,2),d:decimal(5,2)>", "struct<a:uint32,b:int8>", &o,
			 NULL);
	assert_string_equal(got, "map<string,decimal(21,2)>");
	free(got);

	/* map + struct: a map with the values joined, both ways */
	got = merge_text("map<string,int64>", "struct<x:double,y:int32>", &o, &ch);
	assert_string_equal(got, "map<string,double>");
	assert_int_equal(ch.n, 1);
	expect_change(&ch, 0, SL_CHANGE_WIDENED, "/*", "int64", "double", true);
	sl_type_changes_release(&ch);
	free(got);
	got = merge_text("struct<x:double,y:int32>", "map<string,int64>", &o, &ch);
	assert_string_equal(got, "map<string,double>");
	assert_int_equal(ch.n, 1);
	expect_change(&ch, 0, SL_CHANGE_TO_MAP, "", "struct<x:double,y:int32>",
		      "map<string,double>", true);
	sl_type_changes_release(&ch);
	free(got);
	/* the map already holds the struct's values: nothing changes */
	got = merge_text("map<string,double>", "struct<x:int64>", &o, &ch);
	assert_string_equal(got, "map<string,double>");
	assert_int_equal(ch.n, 0);
	free(got);
	got = merge_text("map<string,double>", "struct<>", &o, &ch);
	assert_string_equal(got, "map<string,double>");
	assert_int_equal(ch.n, 0);
	free(got);
}

static void test_add_only(void **state)
{
	struct sl_merge_opts o;
	struct sl_type_changes ch = {0};
	char *got;
	(void)state;

	sl_merge_opts_default(&o);
	o.add_only = true;
	got = merge_text("struct<a:int64 not null,b:string not null,c:struct<x:int32>,"
			 "e:enum> not null",
			 "struct<a:double not null,c:struct<x:int32,y:boolean>,e:int64,"
			 "d:date not null> not null",
			 &o, &ch);
	/* a's types stay; only the fields are added */
	assert_string_equal(got, "struct<a:int64 not null,b:string not null,"
				 "c:struct<x:int32,y:boolean>,e:enum,d:date> not null");
	assert_int_equal(ch.n, 5);
	expect_change(&ch, 0, SL_CHANGE_WIDENED, "/a", "int64 not null", "double not null", false);
	expect_change(&ch, 1, SL_CHANGE_NULLABLE, "/b", "string not null", "string", false);
	expect_change(&ch, 2, SL_CHANGE_ADDED, "/c/y", "", "boolean", true);
	expect_change(&ch, 3, SL_CHANGE_CONFLICT, "/e", "enum", "int64", false);
	expect_change(&ch, 4, SL_CHANGE_ADDED, "/d", "", "date not null", true);
	sl_type_changes_release(&ch);
	free(got);

	/* nullability of a node too */
	got = merge_text("int64 not null", "int64", &o, &ch);
	assert_string_equal(got, "int64 not null");
	expect_change(&ch, 0, SL_CHANGE_NULLABLE, "", "int64 not null", "int64", false);
	sl_type_changes_release(&ch);
	free(got);

	/* a struct that would become a map stays the struct it was */
	o.max_struct_fields = 2;
	got = merge_text("struct<m:struct<a:int64,b:int64>>", "struct<m:struct<c:int64>>", &o,
			 &ch);
	assert_string_equal(got, "struct<m:struct<a:int64,b:int64>>");
	assert_int_equal(ch.n, 1);
	expect_change(&ch, 0, SL_CHANGE_TO_MAP, "/m", "struct<a:int64,b:int64>",
		      "map<string,int64>", false);
	sl_type_changes_release(&ch);
	free(got);
}

/* ---- the changes themselves --------------------------------------------------------- */

static void test_paths_and_texts(void **state)
{
	struct sl_type_changes ch = {0};
	char *got;
	(void)state;

	/* RFC 6901: '~' is ~0, '/' is ~1; "*" steps into list elements and map values */
	got = merge_text("struct<\"a/b\":struct<\"m~n\":int32>,l:list<map<string,"
			 "struct<\"~/\":int8>>>>",
			 "struct<\"a/b\":struct<\"m~n\":int64>,l:list<map<string,"
			 "struct<\"~/\":int16>>>>",
			 NULL, &ch);
	free(got);
	assert_int_equal(ch.n, 2);
	assert_string_equal(ch.v[0].path, "/a~1b/m~0n");
	assert_string_equal(ch.v[1].path, "/l/*/*/~0~1");
	sl_type_changes_release(&ch);

	/* long texts are cut at 63 bytes, never inside a UTF-8 character */
	const char *e36 = "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"
			  "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"
			  "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"
			  "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"
			  "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9";
	char a[1024], b[1024], full[512];
	snprintf(full, sizeof(full), "struct<\"%s\":int64> not null", e36);
	snprintf(a, sizeof(a), "struct<s:%s>", full);
	snprintf(b, sizeof(b), "struct<s:struct<\"%s\":int64>,x:int8>", e36);
	got = merge_text(a, b, NULL, &ch);
	free(got);
	assert_int_equal(ch.n, 2);
	assert_int_equal(ch.v[0].kind, SL_CHANGE_NULLABLE);
	assert_string_equal(ch.v[0].path, "/s");
	size_t n = strlen(ch.v[0].from);
	assert_true(n <= 63 && n >= 62);
	assert_true(sl_utf8_valid(ch.v[0].from, n, NULL));
	assert_int_equal(strncmp(ch.v[0].from, full, n), 0);
	assert_int_equal(strncmp(ch.v[0].to, full, strlen(ch.v[0].to)), 0);
	expect_change(&ch, 1, SL_CHANGE_ADDED, "/x", "", "int8", true);
	sl_type_changes_release(&ch);

	assert_string_equal(sl_change_kind_name(SL_CHANGE_ADDED), "column_added");
	assert_string_equal(sl_change_kind_name(SL_CHANGE_NULLABLE), "nullable");
	assert_string_equal(sl_change_kind_name(SL_CHANGE_WIDENED), "type_widened");
	assert_string_equal(sl_change_kind_name(SL_CHANGE_CONFLICT), "type_conflict");
	assert_string_equal(sl_change_kind_name(SL_CHANGE_TO_MAP), "map_detected");
	sl_type_changes_release(NULL);
}

static void test_nothing_yet(void **state)
{
	struct sl_type_changes ch = {0};
	struct sl_err err = {0};
	struct sl_type *b = parse("struct<a:int64 not null> not null");
	(void)state;

	/* a NULL a: the table has no type yet, the result is b's, with no change */
	struct sl_type *r = sl_type_merge(NULL, b, NULL, &ch, &err);
	assert_non_null(r);
	assert_true(sl_type_equal(r, b));
	assert_int_equal(ch.n, 0);
	sl_type_free(r);
	assert_null(sl_type_merge(NULL, NULL, NULL, &ch, &err));
	assert_int_equal(err.code, SL_EINVAL);
	sl_type_free(b);
}

/* ---- the algebra over random types --------------------------------------------------- */

/* Equal but for the order of struct fields. */
static bool equal_unordered(const struct sl_type *a, const struct sl_type *b)
{
	if (!a || !b)
		return a == b;
	if (a->kind != b->kind || a->nullable != b->nullable)
		return false;
	switch (a->kind) {
	case SL_T_STRUCT:
		if (a->n_fields != b->n_fields)
			return false;
		for (size_t i = 0; i < a->n_fields; i++) {
			const struct sl_field *f = sl_type_field(b, a->fields[i].name);
			if (!f || !equal_unordered(a->fields[i].type, f->type))
				return false;
		}
		return true;
	case SL_T_LIST:
		return equal_unordered(a->elem, b->elem);
	case SL_T_MAP:
		return equal_unordered(a->key, b->key) && equal_unordered(a->elem, b->elem);
	default:
		return sl_type_equal(a, b);
	}
}

/* Two random types that share some shape: b is a's twin with random mutations, so that
 * the pairs reach deep into each other rather than conflicting at the root. */
static struct sl_type *mutate(struct tg_rng *r, const struct sl_type *a, int depth)
{
	if (tg_below(r, 6) == 0)
		return tg_type(r, depth, true);
	struct sl_type *t = sl_type_new(a->kind, tg_below(r, 2));
	t->bits = a->bits;
	t->is_unsigned = a->is_unsigned;
	t->precision = a->precision;
	t->scale = a->scale;
	t->unit = a->unit;
	t->is_enum = a->is_enum;
	t->fixed_len = a->fixed_len;
	for (size_t i = 0; i < a->n_fields; i++)
		if (tg_below(r, 4) != 0)
			sl_type_add_field(t, a->fields[i].name,
					  mutate(r, a->fields[i].type, depth - 1), NULL);
	if (a->kind == SL_T_STRUCT && tg_below(r, 3) == 0)
		sl_type_add_field(t, "new_field", tg_type(r, depth - 1, true), NULL);
	if (a->elem)
		t->elem = mutate(r, a->elem, depth - 1);
	if (a->key) {
		t->key = mutate(r, a->key, depth - 1);
		t->key->nullable = false;
	}
	return t;
}

static void test_algebra(void **state)
{
	struct tg_rng r = {20261125};
	struct sl_merge_opts o;
	(void)state;

	size_t seen[SL_CHANGE_TO_MAP + 1] = {0};

	sl_merge_opts_default(&o);
	o.max_struct_fields = 4; /* type_gen's structs have up to 4 fields, mutate adds
				  * one: some become maps */
	for (int i = 0; i < 3000; i++) {
		struct sl_type_changes ch = {0};
		struct sl_err err = {0};
		struct sl_type *a = tg_struct(&r, 4, true);
		struct sl_type *b = mutate(&r, a, 4);
		o.conflict_kind = i % 2 ? SL_T_STRING : SL_T_JSON;

		/* idempotence: merge(a, a) is a, with no change */
		struct sl_type *aa = sl_type_merge(a, a, &o, &ch, &err);
		assert_non_null(aa);
		if (!sl_type_equal(aa, a) || ch.n != 0) {
			char *ta = text_of(a), *taa = text_of(aa);
			fail_msg("round %d: merge(a, a) = %s, a = %s, %zu changes", i, taa, ta,
				 ch.n);
		}
		/* commutativity up to field order */
		struct sl_type *ab = sl_type_merge(a, b, &o, &ch, &err);
		struct sl_type *ba = sl_type_merge(b, a, &o, NULL, &err);
		assert_non_null(ab);
		assert_non_null(ba);
		if (!equal_unordered(ab, ba)) {
			char *ta = text_of(a), *tb = text_of(b), *tab = text_of(ab),
			     *tba = text_of(ba);
			fail_msg("round %d:\n a  %s\n b  %s\n ab %s\n ba %s", i, ta, tb, tab, tba);
		}
		/* a change list exactly when the type changed */
		assert_int_equal(ch.n + ch.dropped == 0, sl_type_equal(ab, a));
		for (size_t k = 0; k < ch.n; k++)
			seen[ch.v[k].kind]++;
		sl_type_changes_release(&ch);
		/* absorption: the join already holds b, and a; merging them again changes
		 * nothing (the crawler merging an object's type a second time) */
		struct sl_type *abb = sl_type_merge(ab, b, &o, &ch, &err);
		assert_non_null(abb);
		if (!sl_type_equal(abb, ab) || ch.n != 0) {
			char *tb = text_of(b), *tab = text_of(ab), *tabb = text_of(abb);
			fail_msg("round %d:\n b   %s\n ab  %s\n abb %s\n %zu changes, first %s %s",
				 i, tb, tab, tabb, ch.n,
				 ch.n ? sl_change_kind_name(ch.v[0].kind) : "-",
				 ch.n ? ch.v[0].path : "-");
		}
		sl_type_free(abb);
		abb = sl_type_merge(ab, a, &o, &ch, &err);
		assert_non_null(abb);
		assert_true(sl_type_equal(abb, ab));
		assert_int_equal(ch.n, 0);
		/* add_only never changes a's existing types, and its result still merges
		 * with a to itself */
		o.add_only = true;
		struct sl_type *ao = sl_type_merge(a, b, &o, NULL, &err);
		o.add_only = false;
		assert_non_null(ao);
		for (size_t k = 0; k < a->n_fields; k++) {
			const struct sl_field *f = sl_type_field(ao, a->fields[k].name);
			assert_non_null(f);
			assert_int_equal(f->type->kind, a->fields[k].type->kind);
			assert_int_equal(f->type->nullable, a->fields[k].type->nullable);
		}
		sl_type_free(ao);
		sl_type_free(abb);
		sl_type_free(aa);
		sl_type_free(ab);
		sl_type_free(ba);
		sl_type_free(a);
		sl_type_free(b);
		sl_type_changes_release(&ch);
	}
	/* the pairs reached every kind of change, many times */
	for (int k = SL_CHANGE_ADDED; k <= SL_CHANGE_TO_MAP; k++)
		if (seen[k] < 100 || getenv("SHOW_SEEN"))
			print_message("%zu changes of kind %s\n", seen[k],
				      sl_change_kind_name((enum sl_change_kind)k));
	for (int k = SL_CHANGE_ADDED; k <= SL_CHANGE_TO_MAP; k++)
		assert_true(seen[k] >= 100);
}

/* ---- size and depth ------------------------------------------------------------------ */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_wide(void **state)
{
	enum { WIDE = 100000 };
	struct sl_type *a = sl_type_new(SL_T_STRUCT, false), *b = sl_type_new(SL_T_STRUCT, false);
	struct sl_merge_opts o;
	struct sl_type_changes ch = {0};
	struct sl_err err = {0};
	char name[32];
	(void)state;

	/* a: f0 .. f99999 int64; b: f50000 .. f149999, the shared half as double */
	for (int i = 0; i < WIDE; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		assert_int_equal(sl_type_add_field(a, name, sl_type_new(SL_T_INT, false), NULL), 0);
		snprintf(name, sizeof(name), "f%d", i + WIDE / 2);
		assert_int_equal(sl_type_add_field(b, name, sl_type_new(SL_T_DOUBLE, false), NULL),
				 0);
	}
	sl_merge_opts_default(&o);
	o.max_struct_fields = 1000000;
	ch.max = 100;
	double t0 = now_s();
	struct sl_type *r = sl_type_merge(a, b, &o, &ch, &err);
	double t1 = now_s();
	assert_non_null(r);
	assert_int_equal(r->n_fields, WIDE + WIDE / 2);
	assert_string_equal(r->fields[0].name, "f0");
	assert_int_equal(r->fields[0].type->kind, SL_T_INT);
	assert_true(r->fields[0].type->nullable);
	assert_int_equal(sl_type_field(r, "f60000")->type->kind, SL_T_DOUBLE);
	assert_false(sl_type_field(r, "f60000")->type->nullable);
	assert_string_equal(r->fields[WIDE].name, "f100000");
	/* 50,000 nullable, 50,000 widened, 50,000 added: 100 kept */
	assert_int_equal(ch.n, 100);
	assert_int_equal(ch.dropped, 3 * (WIDE / 2) - 100);
	assert_string_equal(ch.v[0].path, "/f0");
	sl_type_changes_release(&ch);
	/* linear, not quadratic: a quadratic merge takes minutes here */
	if (t1 - t0 > 10.0)
		fail_msg("a 100,000-field merge took %.1f s", t1 - t0);

	/* and the same again changes nothing */
	struct sl_type *rr = sl_type_merge(r, b, &o, &ch, &err);
	assert_non_null(rr);
	assert_true(sl_type_equal(rr, r));
	assert_int_equal(ch.n + ch.dropped, 0);
	sl_type_free(rr);

	/* past max_struct_fields: a map, and only one change */
	o.max_struct_fields = 1000;
	rr = sl_type_merge(a, b, &o, &ch, &err);
	assert_non_null(rr);
	char *t = text_of(rr);
	assert_string_equal(t, "map<string,double not null> not null");
	free(t);
	assert_int_equal(ch.n, 1);
	assert_int_equal(ch.v[0].kind, SL_CHANGE_TO_MAP);
	assert_true(strncmp(ch.v[0].from, "struct<f0:int64 not null,f1:", 28) == 0);
	sl_type_changes_release(&ch);
	sl_type_free(rr);
	sl_type_free(r);
	sl_type_free(a);
	sl_type_free(b);
}

static struct sl_type *chain(int levels)
{
	struct sl_type *t = sl_type_new(SL_T_INT, true);
	for (int i = 1; i < levels; i++) {
		struct sl_type *l = sl_type_new(i % 2 ? SL_T_LIST : SL_T_STRUCT, true);
		if (l->kind == SL_T_LIST)
			l->elem = t;
		else
			sl_type_add_field(l, "x", t, NULL);
		t = l;
	}
	return t;
}

static void test_deep(void **state)
{
	struct sl_type_changes ch = {0};
	struct sl_err err = {0};
	(void)state;

	/* SL_TYPE_MAX_DEPTH levels are fine (the text form's bound) */
	struct sl_type *ok = chain(SL_TYPE_MAX_DEPTH), *deep = chain(SL_TYPE_MAX_DEPTH + 1);
	struct sl_type *r = sl_type_merge(ok, ok, NULL, &ch, &err);
	assert_non_null(r);
	assert_true(sl_type_equal(r, ok));
	sl_type_free(r);
	/* one more is refused, on either side, before any recursion */
	assert_null(sl_type_merge(deep, ok, NULL, &ch, &err));
	assert_int_equal(err.code, SL_ELIMIT);
	assert_non_null(strstr(err.msg, "deeper"));
	assert_null(sl_type_merge(ok, deep, NULL, &ch, &err));
	assert_int_equal(err.code, SL_ELIMIT);
	assert_null(sl_type_merge(NULL, deep, NULL, &ch, &err));
	assert_int_equal(err.code, SL_ELIMIT);
	assert_int_equal(ch.n, 0);
	/* a list without its element is refused, not followed */
	struct sl_type *bad = sl_type_new(SL_T_LIST, true);
	assert_null(sl_type_merge(bad, ok, NULL, &ch, &err));
	assert_int_equal(err.code, SL_EINVAL);
	sl_type_free(bad);
	sl_type_free(ok);
	sl_type_free(deep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_strings_and_times),
		cmocka_unit_test(test_conflicts),
		cmocka_unit_test(test_nullability),
		cmocka_unit_test(test_nested),
		cmocka_unit_test(test_struct_to_map),
		cmocka_unit_test(test_add_only),
		cmocka_unit_test(test_paths_and_texts),
		cmocka_unit_test(test_nothing_yet),
		cmocka_unit_test(test_algebra),
		cmocka_unit_test(test_wide),
		cmocka_unit_test(test_deep),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
