/*
 * test_types.c - the type tree (types/types.h): the text form round trips exactly for
 * every kind (hand-picked and randomised types), is canonical, refuses bad text with the
 * byte offset, caps nesting; fields are unique UTF-8 names found in O(1) in wide
 * structs; clone and equal agree; the JSON form and the short names. JSON Schema to
 * type: every rule of docs/types.md with its example, the event schema of the benchmark
 * (twelve if/then branches merged into one payload struct), references, recursion, and
 * refused or hostile schemas.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"
#include "json/json.h"
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


/* ---- JSON Schema -> type ------------------------------------------------------------- */

/* The type text of a schema, or the error message prefixed with "error <code>: ". */
static char *from_schema(const char *schema)
{
	struct sl_json_error je;
	struct sl_json_node *tree = sl_json_tree_parse(schema, strlen(schema), NULL, &je);
	if (!tree)
		fail_msg("bad JSON in the test: %s\n%s", je.msg, schema);
	struct sl_err err = {0};
	struct sl_type *t = sl_type_from_jsonschema(tree, &err);
	sl_json_tree_free(tree);
	if (!t) {
		struct sl_buf b;
		sl_buf_init(&b, 0);
		sl_buf_printf(&b, "error %d: %s", err.code, err.msg);
		return b.data;
	}
	char *s = fmt(t);
	sl_type_free(t);
	return s;
}

struct js_case {
	const char *schema, *type;
};

/* Each schema maps to the type text given, or (for "error ..." cases) fails with a
 * message that starts with (or, if not "error ...", holds) the text given. */
static void check_schemas(const struct js_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *got = from_schema(cases[i].schema);
		const char *want = cases[i].type;
		bool ok = strncmp(want, "error ", 6) == 0
				  ? strncmp(got, want, strlen(want)) == 0
			  : strncmp(got, "error ", 6) == 0 ? strstr(got, want) != NULL
							    : strcmp(got, want) == 0;
		if (!ok)
			fail_msg("%s\ngot  %s\nwant %s", cases[i].schema, got, cases[i].type);
		free(got);
	}
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_js_kinds(void **state)
{
	(void)state;
	static const struct js_case cases[] = {
		{"{\"type\":\"object\",\"properties\":{\"b\":{\"type\":\"boolean\"},\"i\":{\"type\":"
		 "\"integer\"},\"n\":{\"type\":\"number\"},\"s\":{\"type\":\"string\"},\"o\":{\"type\":"
		 "\"object\"},\"a\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},\"x\":{},"
		 "\"t\":true}}",
		 "struct<b:boolean,i:int64,n:double,s:string,o:json,a:list<string not null>,x:json,"
		 "t:json> not null"},
		/* formats; an unknown format is a plain string */
		{"{\"type\":\"object\",\"properties\":{\"ts\":{\"type\":\"string\",\"format\":"
		 "\"date-time\"},\"d\":{\"type\":\"string\",\"format\":\"date\"},\"t\":{\"type\":"
		 "\"string\",\"format\":\"time\"},\"u\":{\"type\":\"string\",\"format\":\"uuid\"},"
		 "\"b\":{\"type\":\"string\",\"contentEncoding\":\"base64\"},\"e\":{\"type\":"
		 "\"string\",\"format\":\"email\"},\"dt\":{\"format\":\"date\"}}}",
		 "struct<ts:timestamp(us),d:date,t:time(us),u:uuid,b:binary,e:string,dt:json> not "
		 "null"},
		/* integers: int32 only when both bounds fit */
		{"{\"properties\":{\"a\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":100},"
		 "\"b\":{\"type\":\"integer\",\"minimum\":-2147483648,\"maximum\":2147483647},"
		 "\"c\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":2147483648},"
		 "\"d\":{\"type\":\"integer\",\"minimum\":0,\"exclusiveMaximum\":2147483648},"
		 "\"e\":{\"type\":\"integer\",\"exclusiveMinimum\":-2147483649,\"maximum\":0},"
		 "\"f\":{\"type\":\"integer\",\"minimum\":0},"
		 "\"g\":{\"type\":\"integer\",\"minimum\":0.5,\"maximum\":10.5},"
		 "\"h\":{\"type\":\"integer\",\"minimum\":-1e300,\"maximum\":5},"
		 "\"i\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":99999999999999999999999},"
		 "\"j\":{\"type\":\"integer\",\"minimum\":-1e3,\"maximum\":1e3},"
		 "\"k\":{\"type\":\"integer\",\"exclusiveMinimum\":true,\"minimum\":1,\"maximum\":2}}}",
		 "struct<a:int32,b:int32,c:int64,d:int32,e:int32,f:int64,g:int32,h:int64,i:int64,"
		 "j:int32,k:int32> not null"},
		/* enum and const */
		{"{\"properties\":{\"a\":{\"enum\":[\"x\",\"y\"]},\"b\":{\"enum\":[\"x\",null]},"
		 "\"c\":{\"const\":\"x\"},\"d\":{\"enum\":[1,\"x\"]},\"e\":{\"enum\":[true,false]},"
		 "\"f\":{\"enum\":[1,5,30]},\"g\":{\"enum\":[1,99999999999]},\"h\":{\"enum\":[1.5,2]},"
		 "\"i\":{\"type\":\"string\",\"enum\":[\"x\"]},\"j\":{\"enum\":[]},"
		 "\"k\":{\"const\":null}},\"required\":[\"a\",\"b\",\"c\",\"j\",\"k\"]}",
		 "struct<a:enum not null,b:enum,c:string not null,d:json,e:boolean,f:int32,g:int64,"
		 "h:double,i:enum,j:json,k:json> not null"},
		/* maps */
		{"{\"properties\":{\"m\":{\"type\":\"object\",\"additionalProperties\":{\"type\":"
		 "\"integer\"}},\"p\":{\"type\":\"object\",\"patternProperties\":{\"^x\":{\"type\":"
		 "\"string\"}}},\"q\":{\"type\":\"object\",\"patternProperties\":{\"^x\":{\"type\":"
		 "\"integer\"},\"^y\":{\"type\":\"number\"}},\"additionalProperties\":false},"
		 "\"r\":{\"type\":\"object\",\"patternProperties\":{\"^x\":{\"type\":\"integer\"}},"
		 "\"additionalProperties\":{\"type\":\"string\"}},"
		 "\"o\":{\"type\":\"object\",\"additionalProperties\":true},"
		 "\"n\":{\"type\":\"object\",\"additionalProperties\":{\"type\":[\"string\",\"null\"]}},"
		 "\"s\":{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}},"
		 "\"additionalProperties\":{\"type\":\"integer\"}}}}",
		 "struct<m:map<string,int64 not null>,p:map<string,string not null>,"
		 "q:map<string,double not null>,r:map<string,json not null>,o:json,n:map<string,string>,"
		 "s:struct<a:string>> not null"},
		/* arrays: tuples and arrays without items are json */
		{"{\"properties\":{\"a\":{\"type\":\"array\"},\"b\":{\"type\":\"array\",\"items\":{}},"
		 "\"c\":{\"type\":\"array\",\"items\":[{\"type\":\"string\"}]},\"d\":{\"type\":"
		 "\"array\",\"prefixItems\":[{\"type\":\"string\"}],\"items\":{\"type\":\"string\"}},"
		 "\"e\":{\"type\":\"array\",\"items\":{\"type\":\"array\",\"items\":{\"type\":"
		 "[\"integer\",\"null\"]}}},\"f\":{\"items\":{\"type\":\"boolean\"}}}}",
		 "struct<a:json,b:list<json>,c:json,d:json,e:list<list<int64> not null>,"
		 "f:list<boolean not null>> not null"},
		/* several kinds: json, except integer and number */
		{"{\"properties\":{\"a\":{\"type\":[\"string\",\"integer\"]},\"b\":{\"oneOf\":"
		 "[{\"type\":\"string\"},{\"type\":\"integer\"}]},\"c\":{\"oneOf\":[{\"type\":"
		 "\"integer\"},{\"type\":\"number\"}]},\"d\":{\"anyOf\":[{\"type\":\"integer\","
		 "\"minimum\":0,\"maximum\":5},{\"type\":\"integer\",\"minimum\":-5,\"maximum\":10}]},"
		 "\"e\":{\"type\":[\"integer\",\"number\",\"null\"]},\"f\":{\"type\":[\"object\","
		 "\"array\"],\"properties\":{\"a\":{}},\"items\":{}}}}",
		 "struct<a:json,b:json,c:double,d:int32,e:double,f:json> not null"},
		/* array keywords say nothing about objects */
		{"{\"type\":\"object\",\"properties\":{\"a\":{}},\"prefixItems\":[],"
		 "\"items\":[]}",
		 "struct<a:json> not null"},
		/* a property that can never be there is left out */
		{"{\"properties\":{\"a\":false,\"b\":{\"type\":\"string\"}},\"required\":[\"b\"]}",
		 "struct<b:string not null> not null"},
		/* a required member without a schema is json */
		{"{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}},\"required\":"
		 "[\"a\",\"b\"]}",
		 "struct<a:string not null,b:json> not null"},
	};
	check_schemas(cases, N(cases));
}

static void test_js_nullability(void **state)
{
	(void)state;
	static const struct js_case cases[] = {
		{"{\"type\":\"object\",\"required\":[\"a\",\"b\",\"c\",\"d\",\"e\"],\"properties\":{"
		 "\"a\":{\"type\":\"string\"},\"b\":{\"type\":[\"string\",\"null\"]},"
		 "\"c\":{\"oneOf\":[{\"type\":\"null\"},{\"type\":\"string\"}]},"
		 "\"d\":{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"null\"}]},"
		 "\"e\":{\"type\":\"object\",\"properties\":{\"x\":{\"type\":\"integer\"}},"
		 "\"required\":[\"x\"]},\"f\":{\"type\":\"string\"}}}",
		 "struct<a:string not null,b:string,c:string,d:string,e:struct<x:int64 not null> not "
		 "null,f:string> not null"},
		/* a nullable root */
		{"{\"type\":[\"object\",\"null\"],\"properties\":{\"a\":{}}}", "struct<a:json>"},
		/* oneOf [null, an object without "type"]: a nullable struct */
		{"{\"properties\":{\"p\":{\"oneOf\":[{\"type\":\"null\"},{\"properties\":{\"x\":"
		 "{\"type\":\"number\"}},\"required\":[\"x\"]}]}},\"required\":[\"p\"]}",
		 "struct<p:struct<x:double not null>> not null"},
	};
	check_schemas(cases, N(cases));
}

static void test_js_refs(void **state)
{
	(void)state;
	static const struct js_case cases[] = {
		/* 2020-12 and draft-07 spellings */
		{"{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\",\"properties\":{"
		 "\"a\":{\"$ref\":\"#/$defs/pos\"}},\"$defs\":{\"pos\":{\"type\":\"object\","
		 "\"properties\":{\"x\":{\"type\":\"number\"}}}}}",
		 "struct<a:struct<x:double>> not null"},
		{"{\"$schema\":\"http://json-schema.org/draft-07/schema#\",\"properties\":{"
		 "\"a\":{\"$ref\":\"#/definitions/pos\"},\"t\":{\"type\":\"array\",\"items\":"
		 "[{\"type\":\"string\"},{\"type\":\"integer\"}]}},\"definitions\":{\"pos\":{"
		 "\"type\":\"integer\",\"maximum\":9,\"minimum\":0}}}",
		 "struct<a:int32,t:json> not null"},
		/* pointer escapes, percent-encoding, array indexes, pointers anywhere */
		{"{\"properties\":{\"a\":{\"$ref\":\"#/$defs/a~1b\"},\"b\":{\"$ref\":"
		 "\"#/$defs/t~0x\"},\"c\":{\"$ref\":\"#/$defs/sp%20ace\"},\"d\":{\"$ref\":"
		 "\"#/$defs/arr/1\"},\"e\":{\"$ref\":\"#/properties/a\"},\"f\":{\"$ref\":"
		 "\"#/$defs/~01\"},\"g\":{\"$ref\":\"#/$defs/arr/10\"}},\"$defs\":{\"a/b\":{"
		 "\"type\":\"boolean\"},\"t~x\":{\"type\":\"string\"},\"sp ace\":{\"type\":\"number\"},"
		 "\"arr\":[{},{\"type\":\"integer\"},2,3,4,5,6,7,8,9,{\"type\":\"string\",\"format\":"
		 "\"date\"}],\"~1\":{\"type\":\"null\"}}}",
		 "struct<a:boolean,b:string,c:double,d:int64,e:boolean,f:json,g:date> not null"},
		/* a $ref next to other keywords: both apply */
		{"{\"properties\":{\"a\":{\"$ref\":\"#/$defs/s\",\"format\":\"date-time\"}},"
		 "\"$defs\":{\"s\":{\"type\":\"string\"}}}",
		 "struct<a:timestamp(us)> not null"},
		/* recursion becomes json where it recurs */
		{"{\"properties\":{\"tree\":{\"$ref\":\"#/$defs/node\"}},\"$defs\":{\"node\":{"
		 "\"type\":\"object\",\"required\":[\"name\"],\"properties\":{\"name\":{\"type\":"
		 "\"string\"},\"children\":{\"type\":\"array\",\"items\":{\"$ref\":"
		 "\"#/$defs/node\"}}}}}}",
		 "struct<tree:struct<name:string not null,children:list<json>>> not null"},
		{"{\"type\":\"object\",\"properties\":{\"self\":{\"$ref\":\"#\"},\"n\":{\"type\":"
		 "\"integer\"}}}",
		 "struct<self:json,n:int64> not null"},
		{"{\"properties\":{\"a\":{\"$ref\":\"#/$defs/x\"}},\"$defs\":{\"x\":{\"$ref\":"
		 "\"#/$defs/y\"},\"y\":{\"$ref\":\"#/$defs/x\"}}}",
		 "struct<a:json> not null"},
		{"{\"properties\":{\"a\":{\"$dynamicRef\":\"#node\"}}}", "struct<a:json> not null"},
		/* the same definition twice is not recursion */
		{"{\"properties\":{\"a\":{\"$ref\":\"#/$defs/p\"},\"b\":{\"type\":\"array\",\"items\":"
		 "{\"$ref\":\"#/$defs/p\"}}},\"$defs\":{\"p\":{\"type\":\"object\",\"properties\":{"
		 "\"q\":{\"$ref\":\"#/$defs/q\"},\"r\":{\"$ref\":\"#/$defs/q\"}}},\"q\":{\"type\":"
		 "\"boolean\"}}}",
		 "struct<a:struct<q:boolean,r:boolean>,b:list<struct<q:boolean,r:boolean> not null>> "
		 "not null"},
	};
	check_schemas(cases, N(cases));
}

static void test_js_merging(void **state)
{
	(void)state;
	static const struct js_case cases[] = {
		/* allOf mixins meet: every part's requirements hold */
		{"{\"allOf\":[{\"$ref\":\"#/$defs/base\"},{\"properties\":{\"extra\":{\"type\":"
		 "\"string\"}},\"required\":[\"extra\"]}],\"$defs\":{\"base\":{\"type\":\"object\","
		 "\"properties\":{\"id\":{\"type\":\"integer\"}},\"required\":[\"id\"]}}}",
		 "struct<id:int64 not null,extra:string not null> not null"},
		/* oneOf variants: fields of one variant are nullable; a field every variant
		 * requires is not */
		{"{\"type\":\"object\",\"required\":[\"kind\"],\"properties\":{\"kind\":{\"type\":"
		 "\"string\"}},\"oneOf\":[{\"properties\":{\"kind\":{\"const\":\"a\"},\"x\":{"
		 "\"type\":\"integer\"},\"both\":{\"type\":\"boolean\"}},\"required\":[\"x\",\"both\"]},"
		 "{\"properties\":{\"kind\":{\"const\":\"b\"},\"y\":{\"type\":\"string\"},\"both\":{"
		 "\"type\":\"boolean\"}},\"required\":[\"y\",\"both\"]}]}",
		 "struct<kind:string not null,x:int64,both:boolean not null,y:string> not null"},
		/* if/then/else: with both branches, what both require is required */
		{"{\"type\":\"object\",\"properties\":{\"k\":{\"type\":\"string\"}},\"if\":{"
		 "\"properties\":{\"k\":{\"const\":\"a\"}}},\"then\":{\"properties\":{\"v\":{"
		 "\"type\":\"integer\"},\"a\":{\"type\":\"string\"}},\"required\":[\"v\",\"a\"]},"
		 "\"else\":{\"properties\":{\"v\":{\"type\":\"integer\"}},\"required\":[\"v\"]}}",
		 "struct<k:string,v:int64 not null,a:string> not null"},
		/* ... with "then" only, nothing */
		{"{\"type\":\"object\",\"properties\":{\"k\":{\"type\":\"string\"}},\"if\":{"
		 "\"properties\":{\"k\":{\"const\":\"a\"}}},\"then\":{\"properties\":{\"v\":{"
		 "\"type\":\"integer\"}},\"required\":[\"v\"]}}",
		 "struct<k:string,v:int64> not null"},
		/* branches that type a field differently: json; integer and number: double;
		 * the wider integer; enum and string: string; list<int> and list<number>:
		 * list<double>; uuid and string: string */
		{"{\"type\":\"object\",\"properties\":{\"e\":{\"type\":\"string\"}},\"allOf\":["
		 "{\"if\":{\"properties\":{\"e\":{\"const\":\"a\"}}},\"then\":{\"properties\":{"
		 "\"v\":{\"type\":\"integer\"},\"n\":{\"type\":\"integer\"},\"w\":{\"type\":"
		 "\"integer\",\"minimum\":0,\"maximum\":9},\"s\":{\"enum\":[\"x\"]},\"l\":{\"type\":"
		 "\"array\",\"items\":{\"type\":\"integer\"}},\"u\":{\"type\":\"string\",\"format\":"
		 "\"uuid\"},\"m\":{\"enum\":[\"p\"]}}}},"
		 "{\"if\":{\"properties\":{\"e\":{\"const\":\"b\"}}},\"then\":{\"properties\":{"
		 "\"v\":{\"type\":\"string\"},\"n\":{\"type\":\"number\"},\"w\":{\"type\":\"integer\"},"
		 "\"s\":{\"type\":\"string\"},\"l\":{\"type\":\"array\",\"items\":{\"type\":"
		 "\"number\"}},\"u\":{\"type\":\"string\"},\"m\":{\"enum\":[\"q\"]}}}}]}",
		 "struct<e:string,v:json,n:double,w:int64,s:string,l:list<double not null>,u:string,"
		 "m:enum> not null"},
		/* the payload pattern: an open object refined per event type */
		{"{\"type\":\"object\",\"required\":[\"t\",\"p\"],\"properties\":{\"t\":{\"enum\":"
		 "[\"a\",\"b\"]},\"p\":{\"type\":\"object\"}},\"allOf\":[{\"if\":{\"properties\":{"
		 "\"t\":{\"const\":\"a\"}}},\"then\":{\"properties\":{\"p\":{\"$ref\":\"#/$defs/a\"}}}},"
		 "{\"if\":{\"properties\":{\"t\":{\"const\":\"b\"}}},\"then\":{\"properties\":{\"p\":{"
		 "\"$ref\":\"#/$defs/b\"}}}}],\"$defs\":{\"a\":{\"type\":\"object\",\"required\":"
		 "[\"x\",\"c\"],\"properties\":{\"x\":{\"type\":\"integer\"},\"c\":{\"type\":"
		 "\"string\"}}},\"b\":{\"type\":\"object\",\"required\":[\"y\",\"c\"],\"properties\":{"
		 "\"y\":{\"type\":\"boolean\"},\"c\":{\"type\":\"string\"}}}}}",
		 "struct<t:enum not null,p:struct<x:int64,c:string,y:boolean> not null> not null"},
		/* oneOf inside an allOf member meets the rest */
		{"{\"type\":\"object\",\"properties\":{\"a\":{}},\"allOf\":[{\"oneOf\":[{\"type\":"
		 "\"object\",\"properties\":{\"b\":{\"type\":\"integer\"}}},{\"type\":\"null\"}]}]}",
		 "struct<a:json,b:int64> not null"},
	};
	check_schemas(cases, N(cases));
}

/* The benchmark's event schema: twelve if/then branches refine "payload", each with a
 * $ref to its own object; the payload is the union of their fields, all nullable. */
static void test_js_events(void **state)
{
	(void)state;
	char *repo = th_repo_dir();
	char path[4096];
	snprintf(path, sizeof(path), "%s/bench/schemas/events.schema.json", repo);
	size_t len;
	char *text = th_read_file(path, &len);
	char *got = from_schema(text);
	assert_string_equal(
		got,
		"struct<event_id:uuid not null,event:enum not null,ts:timestamp(us) not null,"
		"session_id:uuid not null,"
		"player:struct<id:int64 not null,name:string not null,level:int32 not null,"
		"guild:struct<id:int64 not null,name:string not null>> not null,"
		"device:struct<os:enum not null,os_version:string not null,model:string not null,"
		"app_version:string not null,battery:double,ping_ms:double> not null,"
		"pos:struct<x:double not null,y:double not null,z:double not null>,"
		"tags:list<enum not null> not null,"
		"payload:struct<"
		"launch_reason:enum,cold_start_ms:int32,fps_cap:int32,graphics:enum,resumed:boolean,"
		"reason:enum,duration_s:double,matches_played:int64,avg_fps:double,gems_spent:int64,"
		"match_id:uuid,mode:enum,map:enum,team_size:int32,queue_s:double,"
		"loadout:list<enum not null>,"
		"result:enum,kills:int64,deaths:int64,assists:int64,score:double,accuracy:double,"
		"mvp:boolean,items_used:list<enum not null>,"
		"from:int32,to:int32,xp_total:int64,unlocks:list<enum not null>,"
		"time_to_level_s:double,"
		"order_id:uuid,sku:enum,price:double,currency:enum,quantity:int32,store:enum,"
		"discount:double,first_purchase:boolean,"
		"item_id:enum,rarity:enum,source:enum,count:int32,value:double,"
		"achievement:enum,points:int32,hidden:boolean,rarity_pct:double,"
		"channel:enum,text:string,mentions:list<string not null>,flagged:boolean,"
		"quest_id:string,chapter:int32,time_s:double,retries:int64,"
		"rewards:list<enum not null>,"
		"code:string,message:string,fatal:boolean,stack:list<string not null>,"
		"mem_free_mb:double,"
		"ad_network:enum,placement:enum,watched_s:double,reward:enum,ecpm_usd:double"
		"> not null> not null");
	free(got);
	free(text);
	free(repo);
}

static void test_js_refused(void **state)
{
	(void)state;
	static const struct js_case cases[] = {
		{"{\"type\":\"string\"}", "error -16: JSON Schema at \"\": the schema does not "
					  "describe an object with \"properties\""},
		{"{\"type\":\"object\"}", "error -16: JSON Schema at \"\": the schema does not "
					  "describe an object"},
		{"true", "error -16: JSON Schema at \"\": the schema does not describe"},
		{"{\"properties\":{\"a\":{\"$ref\":\"other.json#/x\"}}}",
		 "error -16: JSON Schema at \"/properties/a\": \"$ref\" \"other.json#/x\": only "
		 "references inside the document (\"#/...\") are followed"},
		{"{\"properties\":{\"a\":{\"$ref\":\"#/$defs/nope\"}}}",
		 "error -16: JSON Schema at \"/properties/a\": \"$ref\" \"#/$defs/nope\" names "
		 "nothing in the document"},
		{"{\"properties\":{\"a\":{\"$ref\":\"#node\"}}}",
		 "error -16: JSON Schema at \"/properties/a\": \"$ref\" \"#node\": anchors are not "
		 "followed, only JSON pointers"},
		{"{\"properties\":{\"a\":{\"$ref\":\"#/$defs/a~2\"}},\"$defs\":{\"a~2\":{}}}",
		 "'~' must be followed by 0 or 1"},
		{"{\"properties\":{\"a\":{\"$ref\":\"#/$defs/%zz\"}}}", "bad percent-encoding"},
		{"{\"properties\":{\"a\":{\"$ref\":\"#/$defs/x/01\"}},\"$defs\":{\"x\":[{},{}]}}",
		 "names nothing"},
		{"{\"properties\":{\"a\":{\"$ref\":5}}}", "\"$ref\" must be a string"},
		{"{\"properties\":{\"a\":{\"type\":\"foo\"}}}",
		 "error -16: JSON Schema at \"/properties/a\": \"type\" names an unknown type"},
		{"{\"properties\":{\"a\":{\"type\":5}}}", "\"type\" must be a string or an array"},
		{"{\"properties\":{\"a\":{\"type\":[\"string\",1]}}}", "\"type\" names an unknown"},
		{"{\"properties\":[]}", "error -16: JSON Schema at \"\": \"properties\" must be an "
					"object"},
		{"{\"properties\":{\"a\":{}},\"required\":\"a\"}", "\"required\" must be an array"},
		{"{\"properties\":{\"a\":{}},\"required\":[1]}", "\"required\" must list non-empty"},
		{"{\"properties\":{\"\":{}}}",
		 "error -16: JSON Schema at \"/properties/\": a property name must be non-empty"},
		{"{\"properties\":{\"a\\u0000b\":{}}}", "must be non-empty and hold no U+0000"},
		{"{\"properties\":{\"a\":5}}",
		 "error -16: JSON Schema at \"/properties/a\": a schema must be an object or a "
		 "boolean"},
		{"{\"properties\":{\"a\":{\"allOf\":[{},{\"anyOf\":[{},{\"items\":{\"properties\":{"
		 "\"x~/y\":{\"enum\":3}}}}]}]}}}",
		 "error -16: JSON Schema at \"/properties/a/allOf/1/anyOf/1/items/properties/"
		 "x~0~1y\": \"enum\" must be an array"},
		{"{\"properties\":{\"a\":{\"$ref\":\"#/$defs/d\"}},\"$defs\":{\"d\":{\"properties\":{"
		 "\"b\":{\"type\":7}}}}}",
		 "error -16: JSON Schema at \"/$defs/d/properties/b\": \"type\" must be a string"},
		/* an error behind a $ref stops the keywords next to it */
		{"{\"properties\":{\"a\":{\"$ref\":\"#/$defs/d\",\"$dynamicRef\":\"#x\",\"allOf\":"
		 "[{}],\"oneOf\":[{}],\"if\":{},\"then\":{}}},\"$defs\":{\"d\":{\"type\":7}}}",
		 "error -16: JSON Schema at \"/$defs/d\": \"type\" must be a string"},
	};
	check_schemas(cases, N(cases));
}

/* Hostile schemas end with SL_ELIMIT, at once. */
static void test_js_limits(void **state)
{
	(void)state;
	struct sl_buf b;
	sl_buf_init(&b, 0);
	/* 300 nested arrays: deeper than the mapper goes */
	sl_buf_puts(&b, "{\"properties\":{\"a\":");
	for (int i = 0; i < 300; i++)
		sl_buf_puts(&b, "{\"type\":\"array\",\"items\":");
	sl_buf_puts(&b, "{}");
	for (int i = 0; i < 300; i++)
		sl_buf_puts(&b, "}");
	sl_buf_puts(&b, "}}");
	char *got = from_schema(b.data);
	assert_non_null(strstr(got, "error -14: "));
	assert_non_null(strstr(got, "schemas nest deeper than 256 levels"));
	free(got);
	/* a chain of 200 references is followed (each is a level of nesting) */
	sl_buf_reset(&b);
	sl_buf_puts(&b, "{\"properties\":{\"a\":{\"$ref\":\"#/$defs/d0\"}},\"$defs\":{");
	for (int i = 0; i < 200; i++)
		sl_buf_printf(&b, "\"d%d\":{\"$ref\":\"#/$defs/d%d\"},", i, i + 1);
	sl_buf_puts(&b, "\"d200\":{\"type\":\"string\"}}}");
	got = from_schema(b.data);
	assert_string_equal(got, "struct<a:string> not null");
	free(got);
	/* ... and one of 300 is too deep */
	sl_buf_reset(&b);
	sl_buf_puts(&b, "{\"properties\":{\"a\":{\"$ref\":\"#/$defs/d0\"}},\"$defs\":{");
	for (int i = 0; i < 300; i++)
		sl_buf_printf(&b, "\"d%d\":{\"$ref\":\"#/$defs/d%d\"},", i, i + 1);
	sl_buf_puts(&b, "\"d300\":{\"type\":\"string\"}}}");
	got = from_schema(b.data);
	assert_non_null(strstr(got, "schemas nest deeper than 256 levels"));
	free(got);
	/* 70 nested objects: the mapper goes there, but no type may be so deep */
	sl_buf_reset(&b);
	sl_buf_puts(&b, "{\"properties\":{\"a\":");
	for (int i = 0; i < 70; i++)
		sl_buf_puts(&b, "{\"properties\":{\"a\":");
	sl_buf_puts(&b, "{}");
	for (int i = 0; i < 70; i++)
		sl_buf_puts(&b, "}}");
	sl_buf_puts(&b, "}}");
	got = from_schema(b.data);
	assert_string_equal(got, "error -14: JSON Schema at \"\": the type nests deeper than 64 "
				 "levels");
	free(got);
	/* definitions that use the next one twice, 40 deep: 2^40 shapes if expanded */
	sl_buf_reset(&b);
	sl_buf_puts(&b, "{\"properties\":{\"a\":{\"$ref\":\"#/$defs/d0\"}},\"$defs\":{");
	for (int i = 0; i < 40; i++)
		sl_buf_printf(&b, "\"d%d\":{\"properties\":{\"x\":{\"$ref\":\"#/$defs/d%d\"},"
			      "\"y\":{\"$ref\":\"#/$defs/d%d\"}}},", i, i + 1, i + 1);
	sl_buf_puts(&b, "\"d40\":{}}}");
	got = from_schema(b.data);
	assert_non_null(strstr(got, "error -14: "));
	assert_non_null(strstr(got, "too complex to map to a type"));
	free(got);
	sl_buf_release(&b);
	/* 100,000 properties map in linear time. The tree is built by hand: the JSON
	 * parser's duplicate-key check is itself quadratic in an object's members. */
	enum { NP = 100000 };
	static char *keys[NP];
	static size_t lens[NP];
	static struct sl_json_node *items[NP];
	char *names = malloc((size_t)NP * 8);
	struct sl_json_node integer = {.type = SL_JSON_STRING, .u.str = {"integer", 7}};
	char *tk[1] = {"type"}, *rk[2] = {"properties", "required"};
	size_t tl[1] = {4}, rl[2] = {10, 8};
	struct sl_json_node *ti[1] = {&integer};
	struct sl_json_node pschema = {.type = SL_JSON_OBJECT, .u.c = {ti, tk, tl, 1}};
	for (int i = 0; i < NP; i++) {
		keys[i] = names + 8 * i;
		lens[i] = (size_t)snprintf(keys[i], 8, "p%d", i);
		items[i] = &pschema;
	}
	struct sl_json_node props = {.type = SL_JSON_OBJECT, .u.c = {items, keys, lens, NP}};
	struct sl_json_node last = {.type = SL_JSON_STRING, .u.str = {"p99999", 6}};
	struct sl_json_node *ri[1] = {&last};
	struct sl_json_node req = {.type = SL_JSON_ARRAY, .u.c = {ri, NULL, NULL, 1}};
	struct sl_json_node *rooti[2] = {&props, &req};
	struct sl_json_node root = {.type = SL_JSON_OBJECT, .u.c = {rooti, rk, rl, 2}};
	struct sl_err err = {0};
	struct sl_type *t = sl_type_from_jsonschema(&root, &err);
	assert_non_null(t);
	assert_int_equal(t->n_fields, NP);
	assert_false(sl_type_field(t, "p99999")->type->nullable);
	assert_true(sl_type_field(t, "p5")->type->nullable);
	assert_string_equal(t->fields[77].name, "p77");
	sl_type_free(t);
	free(names);
	assert_null(sl_type_from_jsonschema(NULL, &err));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_every_kind), cmocka_unit_test(test_text_errors),
		cmocka_unit_test(test_text_depth_cap),  cmocka_unit_test(test_fields),
		cmocka_unit_test(test_equal),           cmocka_unit_test(test_json_form),
		cmocka_unit_test(test_kind_name),       cmocka_unit_test(test_text_random),
		cmocka_unit_test(test_js_kinds),        cmocka_unit_test(test_js_nullability),
		cmocka_unit_test(test_js_refs),         cmocka_unit_test(test_js_merging),
		cmocka_unit_test(test_js_events),       cmocka_unit_test(test_js_refused),
		cmocka_unit_test(test_js_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
