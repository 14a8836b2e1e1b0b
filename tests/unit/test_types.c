/*
 * test_types.c - the type tree (types/types.h): the text form round trips exactly for
 * every kind (hand-picked and randomised types), is canonical, refuses bad text with the
 * byte offset, caps nesting; fields are unique UTF-8 names found in O(1) in wide
 * structs; clone and equal agree; the JSON form and the short names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "types/types.h"
#include "util/buf.h"

#include "type_gen.h"

static char *fmt(const struct sl_type *t)
{
	struct sl_buf b;
	sl_buf_init(&b, 0);
	assert_int_equal(sl_type_format(t, &b), 0);
	return b.data;
}

static struct sl_type *parse_ok(const char *text)
{
	struct sl_err err = {0};
	struct sl_type *t = sl_type_parse(text, strlen(text), &err);
	if (!t)
		fail_msg("refused \"%s\": %s", text, err.msg);
	return t;
}

/* text parses, prints back as canon, and canon parses to an equal type */
static void check_canon(const char *text, const char *canon)
{
	struct sl_type *t = parse_ok(text);
	char *s = fmt(t);
	assert_string_equal(s, canon);
	struct sl_type *t2 = parse_ok(s);
	assert_true(sl_type_equal(t, t2));
	struct sl_type *c = sl_type_clone(t);
	assert_true(sl_type_equal(t, c));
	free(s);
	sl_type_free(t);
	sl_type_free(t2);
	sl_type_free(c);
}

static void test_text_every_kind(void **state)
{
	(void)state;
	static const char *const same[] = {
		"boolean", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
		"uint64", "float", "double", "decimal(1,0)", "decimal(38,38)", "decimal(10,2)",
		"string", "enum", "binary", "binary(1)", "binary(16)", "binary(2147483647)",
		"date", "time(ms)", "time(us)", "time(ns)", "timestamp(ms)", "timestamp(us)",
		"timestamp(ns)", "uuid", "json", "struct<>", "struct<a:int64>",
		"list<string not null> not null", "map<string,json>", "map<int32,list<uuid>>",
		"int64 not null", "enum not null",
		"struct<id:int64 not null,tags:list<string>,ts:timestamp(us),price:decimal(10,2),"
		"attrs:map<string,json>,kind:enum,raw:binary(16),n:uint16>",
	};
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++)
		check_canon(same[i], same[i]);
	/* whitespace between tokens; a key's "not null" is implied */
	check_canon(" struct < a : int64  not\tnull , b:list< int8 >\n> ",
		    "struct<a:int64 not null,b:list<int8>>");
	check_canon("map<string not null, int32>", "map<string,int32>");
	check_canon("decimal( 4 , 2 )", "decimal(4,2)");
	/* names that need quotes, escapes and UTF-8 */
	check_canon("struct<\"a b\":int32,\"x.y\":int8,\"1st\":json,_ok9:date>",
		    "struct<\"a b\":int32,\"x.y\":int8,\"1st\":json,_ok9:date>");
	check_canon("struct<\"q\\\"uote\\\\\":int32>", "struct<\"q\\\"uote\\\\\":int32>");
	check_canon("struct<\"tab\\there\\n\":int32>", "struct<\"tab\\there\\n\":int32>");
	check_canon("struct<\"\\u00e9t\\u00E9\":int32>", "struct<\"\xC3\xA9t\xC3\xA9\":int32>");
	check_canon("struct<\"\\ud83d\\ude00\":int32,\"\\/\":int8>",
		    "struct<\"\xF0\x9F\x98\x80\":int32,\"/\":int8>");
	check_canon("struct<\"\\u0001\":int32>", "struct<\"\\u0001\":int32>");
	/* keywords are fine as names */
	check_canon("struct<struct:struct<not:int8>,null:map<int8,int8>>",
		    "struct<struct:struct<not:int8>,null:map<int8,int8>>");

	struct sl_type *t = parse_ok("uint32");
	assert_int_equal(t->kind, SL_T_INT);
	assert_int_equal(t->bits, 32);
	assert_true(t->is_unsigned);
	assert_true(t->nullable);
	sl_type_free(t);
	t = parse_ok("map<binary(4),enum not null> not null");
	assert_int_equal(t->kind, SL_T_MAP);
	assert_false(t->nullable);
	assert_false(t->key->nullable);
	assert_int_equal(t->key->fixed_len, 4);
	assert_true(t->elem->is_enum);
	assert_false(t->elem->nullable);
	sl_type_free(t);
}

struct bad {
	const char *text;
	int code;
	const char *msg; /* a part of the message */
};

static void test_text_errors(void **state)
{
	(void)state;
	static const struct bad cases[] = {
		{"", SL_EINVAL, "at byte 0: expected a type name"},
		{"int", SL_EINVAL, "at byte 0: unknown type name"},
		{"Int64", SL_EINVAL, "at byte 0: unknown type name"},
		{"int64 nul", SL_EINVAL, "at byte 6: unexpected text"},
		{"int64 not", SL_EINVAL, "at byte 9: expected 'null' after 'not'"},
		{"int64 x", SL_EINVAL, "at byte 6: unexpected text after the type"},
		{"decimal(0,0)", SL_EINVAL, "at byte 8: the precision must be between 1 and 38"},
		{"decimal(39,0)", SL_EINVAL, "at byte 8: the precision must be between 1 and 38"},
		{"decimal(5,6)", SL_EINVAL, "at byte 10: the scale must be between 0 and 5"},
		{"decimal(99999999999999999999999,1)", SL_EINVAL, "the precision must be"},
		{"decimal", SL_EINVAL, "at byte 7: expected '(' after decimal"},
		{"decimal(5)", SL_EINVAL, "at byte 9: expected ',' after the precision"},
		{"decimal(5,2", SL_EINVAL, "at byte 11: expected ')' after the scale"},
		{"binary(0)", SL_EINVAL, "at byte 7: the length of a fixed binary must be between 1"},
		{"binary(2147483648)", SL_EINVAL, "the length of a fixed binary must be"},
		{"binary()", SL_EINVAL, "at byte 7: the length"},
		{"time", SL_EINVAL, "at byte 4: expected '(' and a unit"},
		{"time(s)", SL_EINVAL, "at byte 5: expected a unit: ms, us or ns"},
		{"timestamp(us", SL_EINVAL, "at byte 12: expected ')' after the unit"},
		{"struct", SL_EINVAL, "at byte 6: expected '<' after struct"},
		{"struct<a int64>", SL_EINVAL, "at byte 9: expected ':' after the field name"},
		{"struct<a:int64", SL_EINVAL, "at byte 14: expected ',' or '>' in a struct"},
		{"struct<a:int64,>", SL_EINVAL, "at byte 15: expected a field name"},
		{"struct<a:int64,a:int8>", SL_EINVAL, "at byte 15: duplicate field name \"a\""},
		{"struct<\"\":int8>", SL_EINVAL, "at byte 7: empty field name"},
		{"struct<\"a:int8>", SL_EINVAL, "at byte 7: unterminated quoted name"},
		{"struct<\"a\\x\":int8>", SL_EINVAL, "at byte 9: unknown escape"},
		{"struct<\"a\\u12\":int8>", SL_EINVAL, "at byte 9: \\u needs four hex digits"},
		{"struct<\"\\u0000\":int8>", SL_EINVAL, "at byte 8: a name cannot hold U+0000"},
		{"struct<\"\\ud800\":int8>", SL_EINVAL, "lone high surrogate"},
		{"struct<\"\\udc00\":int8>", SL_EINVAL, "lone low surrogate"},
		{"struct<\"\xff\":int8>", SL_EINVAL, "at byte 8: invalid UTF-8"},
		{"struct<\"a\nb\":int8>", SL_EINVAL, "at byte 9: control character"},
		{"struct<1a:int8>", SL_EINVAL, "at byte 7: expected a field name"},
		{"list<>", SL_EINVAL, "at byte 5: expected a type name"},
		{"list<int8", SL_EINVAL, "at byte 9: expected '>' after the list's element type"},
		{"map<int8>", SL_EINVAL, "at byte 8: expected ',' after the map's key type"},
		{"map<int8,int8", SL_EINVAL, "at byte 13: expected '>' after the map's value"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sl_err err = {0};
		struct sl_type *t = sl_type_parse(cases[i].text, strlen(cases[i].text), &err);
		if (t)
			fail_msg("accepted \"%s\"", cases[i].text);
		if (err.code != cases[i].code || !strstr(err.msg, cases[i].msg))
			fail_msg("\"%s\": got %d \"%s\", want %d \"%s\"", cases[i].text, err.code,
				 err.msg, cases[i].code, cases[i].msg);
	}
	/* a NUL byte inside the text is not the end of it */
	struct sl_err err = {0};
	assert_null(sl_type_parse("int8\0", 5, &err));
	assert_non_null(strstr(err.msg, "at byte 4: unexpected text"));
	/* without an err */
	assert_null(sl_type_parse("bogus", 5, NULL));
}

/* list<list<...<int8>...>> nested n deep */
static char *nested_lists(int n)
{
	struct sl_buf b;
	sl_buf_init(&b, 0);
	for (int i = 0; i < n - 1; i++)
		assert_int_equal(sl_buf_puts(&b, "list<"), 0);
	assert_int_equal(sl_buf_puts(&b, "int8"), 0);
	for (int i = 0; i < n - 1; i++)
		assert_int_equal(sl_buf_puts(&b, ">"), 0);
	return b.data;
}

static void test_text_depth_cap(void **state)
{
	(void)state;
	char *ok = nested_lists(SL_TYPE_MAX_DEPTH);
	struct sl_type *t = parse_ok(ok);
	sl_type_free(t);
	free(ok);
	char *deep = nested_lists(SL_TYPE_MAX_DEPTH + 1);
	struct sl_err err = {0};
	assert_null(sl_type_parse(deep, strlen(deep), &err));
	assert_int_equal(err.code, SL_ELIMIT);
	assert_non_null(strstr(err.msg, "nested deeper than 64 levels"));
	free(deep);
	/* far deeper than the stack would allow without the cap */
	char *bomb = nested_lists(200000);
	assert_null(sl_type_parse(bomb, strlen(bomb), &err));
	assert_int_equal(err.code, SL_ELIMIT);
	free(bomb);
}

static void test_fields(void **state)
{
	(void)state;
	struct sl_err err = {0};
	struct sl_type *st = sl_type_new(SL_T_STRUCT, false);
	assert_int_equal(sl_type_add_field(st, "a", sl_type_new(SL_T_INT, true), &err), 0);
	assert_int_equal(sl_type_add_field(st, "a", sl_type_new(SL_T_INT, true), &err), SL_EINVAL);
	assert_non_null(strstr(err.msg, "duplicate field name \"a\""));
	assert_int_equal(sl_type_add_field(st, "", sl_type_new(SL_T_INT, true), &err), SL_EINVAL);
	assert_int_equal(sl_type_add_field(st, NULL, sl_type_new(SL_T_INT, true), &err),
			 SL_EINVAL);
	assert_int_equal(sl_type_add_field(st, "\xc3(", sl_type_new(SL_T_INT, true), &err),
			 SL_EINVAL);
	assert_non_null(strstr(err.msg, "not valid UTF-8"));
	struct sl_type *notstruct = sl_type_new(SL_T_LIST, true);
	assert_int_equal(sl_type_add_field(notstruct, "x", sl_type_new(SL_T_INT, true), &err),
			 SL_EINVAL);
	sl_type_free(notstruct);
	assert_int_equal(st->n_fields, 1);

	/* a wide struct: 200,000 fields are added and found in well under a second (a
	 * linear duplicate check would make this 2 * 10^10 comparisons) */
	struct sl_type *wide = sl_type_new(SL_T_STRUCT, false);
	char name[32];
	for (int i = 0; i < 200000; i++) {
		snprintf(name, sizeof(name), "c%d", i);
		assert_int_equal(sl_type_add_field(wide, name, sl_type_new(SL_T_BOOL, true), &err),
				 0);
	}
	assert_int_equal(sl_type_add_field(wide, "c77777", sl_type_new(SL_T_BOOL, true), &err),
			 SL_EINVAL);
	for (int i = 0; i < 200000; i += 997) {
		snprintf(name, sizeof(name), "c%d", i);
		const struct sl_field *f = sl_type_field(wide, name);
		assert_non_null(f);
		assert_ptr_equal(f, &wide->fields[i]);
	}
	assert_null(sl_type_field(wide, "c200000"));
	assert_null(sl_type_field(wide, "x"));
	struct sl_type *wc = sl_type_clone(wide);
	assert_true(sl_type_equal(wide, wc));
	assert_ptr_equal(sl_type_field(wc, "c123456"), &wc->fields[123456]);
	/* one name differs: not equal */
	free(wc->fields[5].name);
	wc->fields[5].name = strdup("zz");
	assert_false(sl_type_equal(wide, wc));
	sl_type_free(wc);
	sl_type_free(wide);

	assert_non_null(sl_type_field(st, "a"));
	assert_null(sl_type_field(st, "b"));
	assert_null(sl_type_field(NULL, "a"));
	sl_type_free(st);
	sl_type_free(NULL);
}

static void test_equal(void **state)
{
	(void)state;
	static const char *const distinct[] = {
		"int8", "int16", "uint8", "int8 not null", "decimal(4,2)", "decimal(4,1)",
		"decimal(5,2)", "string", "enum", "binary", "binary(4)", "binary(5)", "time(ms)",
		"time(us)", "timestamp(us)", "timestamp(ns)", "date", "uuid", "json", "float",
		"double", "boolean", "struct<a:int8>", "struct<b:int8>", "struct<a:int16>",
		"struct<a:int8,b:int8>", "struct<b:int8,a:int8>", "list<int8>",
		"list<int8 not null>", "map<int8,int8>", "map<int16,int8>", "map<int8,int16>",
		"struct<>",
	};
	size_t n = sizeof(distinct) / sizeof(distinct[0]);
	for (size_t i = 0; i < n; i++) {
		struct sl_type *a = parse_ok(distinct[i]);
		for (size_t j = 0; j < n; j++) {
			struct sl_type *b = parse_ok(distinct[j]);
			if (sl_type_equal(a, b) != (i == j))
				fail_msg("%s vs %s", distinct[i], distinct[j]);
			sl_type_free(b);
		}
		sl_type_free(a);
	}
	assert_true(sl_type_equal(NULL, NULL));
}

static void test_json_form(void **state)
{
	(void)state;
	struct sl_type *t = parse_ok(
		"struct<id:int64 not null,\"a\\\"b\":list<decimal(10,2) not null>,"
		"m:map<string,timestamp(ms)>,r:binary(16),e:enum,u:uint8,t:time(us),n:binary> "
		"not null");
	struct sl_buf b;
	sl_buf_init(&b, 0);
	assert_int_equal(sl_type_to_json(t, &b), 0);
	assert_string_equal(
		b.data,
		"{\"type\":\"struct\",\"nullable\":false,\"fields\":["
		"{\"name\":\"id\",\"type\":{\"type\":\"int64\",\"nullable\":false}},"
		"{\"name\":\"a\\\"b\",\"type\":{\"type\":\"list\",\"element\":{\"type\":\"decimal\","
		"\"nullable\":false,\"precision\":10,\"scale\":2}}},"
		"{\"name\":\"m\",\"type\":{\"type\":\"map\",\"key\":{\"type\":\"string\","
		"\"nullable\":false},\"value\":{\"type\":\"timestamp\",\"unit\":\"ms\"}}},"
		"{\"name\":\"r\",\"type\":{\"type\":\"binary\",\"length\":16}},"
		"{\"name\":\"e\",\"type\":{\"type\":\"enum\"}},"
		"{\"name\":\"u\",\"type\":{\"type\":\"uint8\"}},"
		"{\"name\":\"t\",\"type\":{\"type\":\"time\",\"unit\":\"us\"}},"
		"{\"name\":\"n\",\"type\":{\"type\":\"binary\"}}]}");
	sl_buf_release(&b);
	sl_type_free(t);
}

static void test_kind_name(void **state)
{
	(void)state;
	static const char *const names[] = {"int64", "uint16", "decimal(10,2)", "timestamp(us)",
					    "time(ms)", "binary(16)", "binary", "enum", "string",
					    "uuid", "json", "boolean", "double", "float", "date"};
	char buf[32];
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct sl_type *t = parse_ok(names[i]);
		assert_string_equal(sl_type_kind_name(t, buf, sizeof(buf)), names[i]);
		sl_type_free(t);
	}
	struct sl_type *t = parse_ok("struct<a:list<int8>>");
	assert_string_equal(sl_type_kind_name(t, buf, sizeof(buf)), "struct");
	assert_string_equal(sl_type_kind_name(t->fields[0].type, buf, sizeof(buf)), "list");
	sl_type_free(t);
	t = parse_ok("decimal(10,2)");
	assert_string_equal(sl_type_kind_name(t, NULL, 0), "decimal");
	sl_type_free(t);
}

/* Randomised types (every kind, names that need quotes, nesting up to depth 6): the
 * text form and the clone give equal types, and printing is canonical. */
static void test_text_random(void **state)
{
	(void)state;
	struct tg_rng r = {0x5eed1234u};
	for (int i = 0; i < 3000; i++) {
		struct sl_type *t = tg_struct(&r, 6, true);
		assert_non_null(t);
		char *s = fmt(t);
		struct sl_type *t2 = parse_ok(s);
		if (!sl_type_equal(t, t2))
			fail_msg("round trip differs: %s", s);
		char *s2 = fmt(t2);
		assert_string_equal(s, s2);
		struct sl_type *c = sl_type_clone(t);
		assert_true(sl_type_equal(t, c));
		struct sl_buf j;
		sl_buf_init(&j, 0);
		assert_int_equal(sl_type_to_json(t, &j), 0);
		sl_buf_release(&j);
		free(s);
		free(s2);
		sl_type_free(t);
		sl_type_free(t2);
		sl_type_free(c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_every_kind), cmocka_unit_test(test_text_errors),
		cmocka_unit_test(test_text_depth_cap),  cmocka_unit_test(test_fields),
		cmocka_unit_test(test_equal),           cmocka_unit_test(test_json_form),
		cmocka_unit_test(test_kind_name),       cmocka_unit_test(test_text_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
