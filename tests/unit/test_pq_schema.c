/*
 * test_pq_schema.c - Parquet schemas (parquet/schema.h): the writer's mapping of every
 * type, the round trip type -> schema -> elements -> schema -> type for randomised types,
 * the reader's mapping of every annotation and of each legacy LIST and MAP form of
 * LogicalTypes.md, every footer of the Parquet corpus, levels and roles,
 * paths and lookup, and corrupt element arrays refused with the element's index and
 * name, never a crash.
 *
 * Hand-built schemas are written in a small parquet-tools-like text ("message m {
 * optional group l (LIST) { repeated int32 element; } }"): an annotation in parentheses
 * is a converted type (UTF8, MAP_KEY_VALUE, DECIMAL(p,s), ...) or, with '@', a logical
 * type (@STRING, @INTEGER(8,false), @TIMESTAMP(NANOS,true), @OTHER, ...).
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
#include "parquet/format.h"
#include "parquet/schema.h"
#include "types/types.h"
#include "util/buf.h"

#include "type_gen.h"

/* ---- the schema text of the tests -> elements ---------------------------------------- */

struct elems {
	struct sl_pq_schema_elem *e;
	size_t n, cap;
	char *names; /* the names, NUL-separated (the elements point into it) */
};

struct lex {
	const char *s;
	struct elems *out;
	char *np; /* next free byte of out->names */
};

static void skip_ws(struct lex *x)
{
	while (*x->s == ' ' || *x->s == '\n' || *x->s == '\t')
		x->s++;
}

/* A word: letters, digits, '_', '.', '@' (annotation names and field names). */
static size_t word(struct lex *x, const char **w)
{
	skip_ws(x);
	*w = x->s;
	while ((*x->s >= 'a' && *x->s <= 'z') || (*x->s >= 'A' && *x->s <= 'Z') ||
	       (*x->s >= '0' && *x->s <= '9') || *x->s == '_' || *x->s == '.' || *x->s == '@')
		x->s++;
	return (size_t)(x->s - *w);
}

static bool is(const char *w, size_t n, const char *kw)
{
	return strlen(kw) == n && memcmp(w, kw, n) == 0;
}

static void want(struct lex *x, char c)
{
	skip_ws(x);
	if (*x->s != c)
		fail_msg("schema text: expected '%c' at \"%.30s\"", c, x->s);
	x->s++;
}

static long num(struct lex *x)
{
	skip_ws(x);
	char *end;
	long v = strtol(x->s, &end, 10);
	if (end == x->s)
		fail_msg("schema text: expected a number at \"%.30s\"", x->s);
	x->s = end;
	return v;
}

static struct sl_pq_schema_elem *new_elem(struct elems *o)
{
	if (o->n == o->cap) {
		o->cap = o->cap ? o->cap * 2 : 16;
		o->e = realloc(o->e, o->cap * sizeof(*o->e));
		assert_non_null(o->e);
	}
	struct sl_pq_schema_elem *e = &o->e[o->n++];
	memset(e, 0, sizeof(*e));
	e->type = -1;
	e->repetition = -1;
	e->converted = SL_PQ_CT_NONE;
	e->scale = e->precision = e->field_id = -1;
	return e;
}

static void set_name(struct lex *x, size_t i, const char *w, size_t n)
{
	memcpy(x->np, w, n);
	x->out->e[i].name.p = (const uint8_t *)x->np;
	x->out->e[i].name.len = (uint32_t)n;
	x->np += n + 1;
}

static int unit_of(struct lex *x)
{
	const char *w;
	size_t n = word(x, &w);
	return is(w, n, "MILLIS") ? SL_TU_MILLIS : is(w, n, "MICROS") ? SL_TU_MICROS
					       : is(w, n, "NANOS")    ? SL_TU_NANOS
								      : 0;
}

static bool boolean(struct lex *x)
{
	const char *w;
	size_t n = word(x, &w);
	return is(w, n, "true");
}

static void annotations(struct lex *x, size_t i)
{
	static const char *const conv[22] = {
		"UTF8", "MAP", "MAP_KEY_VALUE", "LIST", "ENUM", "DECIMAL", "DATE", "TIME_MILLIS",
		"TIME_MICROS", "TIMESTAMP_MILLIS", "TIMESTAMP_MICROS", "UINT_8", "UINT_16",
		"UINT_32", "UINT_64", "INT_8", "INT_16", "INT_32", "INT_64", "JSON", "BSON",
		"INTERVAL"};
	static const struct {
		const char *name;
		enum sl_pq_logical kind;
	} logical[] = {{"@STRING", SL_PQ_LT_STRING},   {"@MAP", SL_PQ_LT_MAP},
		       {"@LIST", SL_PQ_LT_LIST},       {"@ENUM", SL_PQ_LT_ENUM},
		       {"@DECIMAL", SL_PQ_LT_DECIMAL}, {"@DATE", SL_PQ_LT_DATE},
		       {"@TIME", SL_PQ_LT_TIME},       {"@TIMESTAMP", SL_PQ_LT_TIMESTAMP},
		       {"@INTEGER", SL_PQ_LT_INTEGER}, {"@UNKNOWN", SL_PQ_LT_UNKNOWN},
		       {"@JSON", SL_PQ_LT_JSON},       {"@BSON", SL_PQ_LT_BSON},
		       {"@UUID", SL_PQ_LT_UUID},       {"@FLOAT16", SL_PQ_LT_FLOAT16},
		       {"@VARIANT", SL_PQ_LT_VARIANT}, {"@GEOMETRY", SL_PQ_LT_GEOMETRY},
		       {"@GEOGRAPHY", SL_PQ_LT_GEOGRAPHY}, {"@OTHER", SL_PQ_LT_OTHER}};
	skip_ws(x);
	if (*x->s != '(')
		return;
	x->s++;
	for (;;) {
		skip_ws(x);
		if (*x->s == ')') {
			x->s++;
			return;
		}
		const char *w;
		size_t n = word(x, &w);
		struct sl_pq_schema_elem *e = &x->out->e[i];
		if (n == 0)
			fail_msg("schema text: bad annotation at \"%.30s\"", x->s);
		if (w[0] == '@') {
			size_t k = 0;
			while (k < sizeof(logical) / sizeof(logical[0]) && !is(w, n, logical[k].name))
				k++;
			if (k == sizeof(logical) / sizeof(logical[0]))
				fail_msg("schema text: unknown logical type %.*s", (int)n, w);
			e->logical.kind = logical[k].kind;
			skip_ws(x);
			if (*x->s != '(')
				continue;
			x->s++;
			switch (e->logical.kind) {
			case SL_PQ_LT_DECIMAL:
				e->logical.precision = (int32_t)num(x);
				want(x, ',');
				e->logical.scale = (int32_t)num(x);
				break;
			case SL_PQ_LT_TIME:
			case SL_PQ_LT_TIMESTAMP:
				e->logical.unit = (uint8_t)unit_of(x);
				want(x, ',');
				e->logical.utc_adjusted = boolean(x);
				break;
			case SL_PQ_LT_INTEGER:
				e->logical.bit_width = (int8_t)num(x);
				want(x, ',');
				e->logical.is_signed = boolean(x);
				break;
			default:
				fail_msg("schema text: %.*s takes no parameters", (int)n, w);
			}
			want(x, ')');
			continue;
		}
		size_t k = 0;
		while (k < 22 && !is(w, n, conv[k]))
			k++;
		if (k == 22)
			fail_msg("schema text: unknown converted type %.*s", (int)n, w);
		e->converted = (int32_t)k;
		if (k == SL_PQ_CT_DECIMAL) {
			want(x, '(');
			e->precision = (int32_t)num(x);
			want(x, ',');
			e->scale = (int32_t)num(x);
			want(x, ')');
		}
	}
}

static void fields(struct lex *x, size_t parent)
{
	static const char *const phys[8] = {"boolean", "int32", "int64", "int96", "float",
					    "double", "binary", "fixed_len_byte_array"};
	want(x, '{');
	for (;;) {
		skip_ws(x);
		if (*x->s == '}') {
			x->s++;
			return;
		}
		const char *w, *nm;
		size_t n = word(x, &w);
		size_t i = x->out->n;
		struct sl_pq_schema_elem *e = new_elem(x->out);
		x->out->e[parent].num_children++;
		if (!is(w, n, "required") && !is(w, n, "optional") && !is(w, n, "repeated"))
			fail_msg("schema text: repetition? %.20s", w);
		e->repetition = is(w, n, "required")   ? SL_PQ_REQUIRED
				: is(w, n, "optional") ? SL_PQ_OPTIONAL
						       : SL_PQ_REPEATED;
		n = word(x, &w);
		if (is(w, n, "group")) {
			size_t nn = word(x, &nm);
			set_name(x, i, nm, nn);
			annotations(x, i);
			fields(x, i);
			continue;
		}
		int k = 0;
		while (k < 8 && !is(w, n, phys[k]))
			k++;
		if (k == 8)
			fail_msg("schema text: unknown physical type %.*s", (int)n, w);
		x->out->e[i].type = k;
		if (k == SL_PQ_FIXED_LEN_BYTE_ARRAY) {
			want(x, '(');
			x->out->e[i].type_length = (int32_t)num(x);
			want(x, ')');
		}
		size_t nn = word(x, &nm);
		set_name(x, i, nm, nn);
		annotations(x, i);
		want(x, ';');
	}
}

static void elems_from_text(struct elems *o, const char *text)
{
	memset(o, 0, sizeof(*o));
	o->names = calloc(1, strlen(text) + 1);
	assert_non_null(o->names);
	struct lex x = {text, o, o->names};
	const char *w;
	size_t n = word(&x, &w);
	assert_true(is(w, n, "message"));
	n = word(&x, &w);
	new_elem(o);
	set_name(&x, 0, w, n);
	fields(&x, 0);
	skip_ws(&x);
	assert_int_equal(*x.s, '\0');
}

static void elems_free(struct elems *o)
{
	free(o->e);
	free(o->names);
}

/* ---- helpers ------------------------------------------------------------------------- */

static char *type_text(const struct sl_type *t)
{
	struct sl_buf b;
	sl_buf_init(&b, 0);
	assert_int_equal(sl_type_format(t, &b), 0);
	return b.data;
}

static struct sl_pq_schema *read_ok(const char *text)
{
	struct elems el;
	elems_from_text(&el, text);
	struct sl_pq_schema *s = NULL;
	struct sl_err err = {0};
	int rc = sl_pq_schema_from_elems(el.e, el.n, &s, &err);
	elems_free(&el);
	if (rc)
		fail_msg("refused: %s\n%s", err.msg, text);
	return s;
}

/* The schema text reads as the row type want (text form). */
static struct sl_pq_schema *check_reads_as(const char *text, const char *want)
{
	struct sl_pq_schema *s = read_ok(text);
	char *got = type_text(s->root->type);
	if (strcmp(got, want) != 0)
		fail_msg("%s\nreads as  %s\nexpected  %s", text, got, want);
	free(got);
	return s;
}

static void check_refused(const char *text, const char *want_msg)
{
	struct elems el;
	elems_from_text(&el, text);
	struct sl_pq_schema *s = NULL;
	struct sl_err err = {0};
	int rc = sl_pq_schema_from_elems(el.e, el.n, &s, &err);
	elems_free(&el);
	if (rc == 0)
		fail_msg("accepted: %s", text);
	assert_null(s);
	if (rc != SL_ECORRUPT || !strstr(err.msg, want_msg))
		fail_msg("%s\ngot %d \"%s\"\nwant \"%s\"", text, rc, err.msg, want_msg);
}

static const struct sl_pq_node *child(const struct sl_pq_node *n, size_t i)
{
	assert_true(i < n->n_children);
	return n->children[i];
}

/* Every node's levels, parent link and type pointer are consistent; leaves are listed
 * in order. Returns the number of nodes. */
static size_t check_tree(const struct sl_pq_schema *s, const struct sl_pq_node *n,
			 size_t *leaf)
{
	int def = 0, rep = 0;
	for (const struct sl_pq_node *a = n; a->parent; a = a->parent) {
		def += a->repetition != SL_PQ_REQUIRED;
		rep += a->repetition == SL_PQ_REPEATED;
	}
	assert_int_equal(n->def_level, def);
	assert_int_equal(n->rep_level, rep);
	assert_non_null(n->type);
	if (n->is_leaf) {
		assert_int_equal(n->max_def, def);
		assert_int_equal(n->max_rep, rep);
		assert_true(*leaf < s->n_leaves);
		assert_ptr_equal(s->leaves[*leaf], n);
		assert_int_equal(n->leaf_index, (int)*leaf);
		(*leaf)++;
		assert_int_equal(n->n_children, 0);
	} else {
		assert_int_equal(n->leaf_index, -1);
		assert_true(n->n_children > 0);
	}
	size_t c = 1;
	for (size_t i = 0; i < n->n_children; i++) {
		assert_ptr_equal(n->children[i]->parent, n);
		assert_int_equal(n->children[i]->elem_index, n->elem_index + (int)c);
		c += check_tree(s, n->children[i], leaf);
	}
	return c;
}

static void check_schema(const struct sl_pq_schema *s)
{
	size_t leaf = 0;
	assert_int_equal(s->root->role, SL_PQ_ROLE_ROOT);
	assert_int_equal(s->root->elem_index, 0);
	assert_false(s->root->type->nullable);
	check_tree(s, s->root, &leaf);
	assert_int_equal(leaf, s->n_leaves);
}

/* ---- the writer ---------------------------------------------------------------------- */

static struct sl_pq_schema *write_ok(const char *type)
{
	struct sl_err err = {0};
	struct sl_type *t = sl_type_parse(type, strlen(type), &err);
	if (!t)
		fail_msg("%s: %s", type, err.msg);
	struct sl_pq_schema *s = NULL;
	if (sl_pq_schema_from_type(t, &s, &err) != 0)
		fail_msg("%s: %s", type, err.msg);
	sl_type_free(t);
	check_schema(s);
	return s;
}

static void test_writer_mapping(void **state)
{
	(void)state;
	struct sl_pq_schema *s = write_ok(
		"struct<id:int64 not null,name:string,kind:enum not null,i8:int8,i16:int16,"
		"i32:int32,u8:uint8 not null,u16:uint16,u32:uint32,u64:uint64,f:float,d:double,"
		"b:boolean,d1:decimal(9,2),d2:decimal(10,0),d3:decimal(18,18),d4:decimal(19,4),"
		"d5:decimal(38,10),bin:binary,fix:binary(3),day:date,t1:time(ms),t2:time(us),"
		"ts1:timestamp(ms) not null,ts2:timestamp(us),u:uuid,j:json,"
		"tags:list<string not null>,m:map<string,list<int32>> not null,"
		"s:struct<a:int32 not null,b:struct<c:list<struct<d:date>>>>>");
	struct sl_buf b;
	sl_buf_init(&b, 0);
	assert_int_equal(sl_pq_schema_format(s, &b), 0);
	assert_string_equal(b.data,
			    "message schema {\n"
			    "  required int64 id (INTEGER(64,true));\n"
			    "  optional binary name (STRING);\n"
			    "  required binary kind (ENUM);\n"
			    "  optional int32 i8 (INTEGER(8,true));\n"
			    "  optional int32 i16 (INTEGER(16,true));\n"
			    "  optional int32 i32 (INTEGER(32,true));\n"
			    "  required int32 u8 (INTEGER(8,false));\n"
			    "  optional int32 u16 (INTEGER(16,false));\n"
			    "  optional int32 u32 (INTEGER(32,false));\n"
			    "  optional int64 u64 (INTEGER(64,false));\n"
			    "  optional float f;\n"
			    "  optional double d;\n"
			    "  optional boolean b;\n"
			    "  optional int32 d1 (DECIMAL(9,2));\n"
			    "  optional int64 d2 (DECIMAL(10,0));\n"
			    "  optional int64 d3 (DECIMAL(18,18));\n"
			    "  optional fixed_len_byte_array(9) d4 (DECIMAL(19,4));\n"
			    "  optional fixed_len_byte_array(16) d5 (DECIMAL(38,10));\n"
			    "  optional binary bin;\n"
			    "  optional fixed_len_byte_array(3) fix;\n"
			    "  optional int32 day (DATE);\n"
			    "  optional int32 t1 (TIME(MILLIS,false));\n"
			    "  optional int64 t2 (TIME(MICROS,false));\n"
			    "  required int64 ts1 (TIMESTAMP(MILLIS,true));\n"
			    "  optional int64 ts2 (TIMESTAMP(MICROS,true));\n"
			    "  optional fixed_len_byte_array(16) u (UUID);\n"
			    "  optional binary j (JSON);\n"
			    "  optional group tags (LIST) {\n"
			    "    repeated group list {\n"
			    "      required binary element (STRING);\n"
			    "    }\n"
			    "  }\n"
			    "  required group m (MAP) {\n"
			    "    repeated group key_value {\n"
			    "      required binary key (STRING);\n"
			    "      optional group value (LIST) {\n"
			    "        repeated group list {\n"
			    "          optional int32 element (INTEGER(32,true));\n"
			    "        }\n"
			    "      }\n"
			    "    }\n"
			    "  }\n"
			    "  optional group s {\n"
			    "    required int32 a (INTEGER(32,true));\n"
			    "    optional group b {\n"
			    "      optional group c (LIST) {\n"
			    "        repeated group list {\n"
			    "          optional group element {\n"
			    "            optional int32 d (DATE);\n"
			    "          }\n"
			    "        }\n"
			    "      }\n"
			    "    }\n"
			    "  }\n"
			    "}\n");

	/* converted types go with the logical ones, for older readers */
	struct sl_pq_schema_elem *e;
	size_t n;
	assert_int_equal(sl_pq_schema_to_elems(s, &e, &n, NULL), 0);
	assert_int_equal(e[0].repetition, -1);
	assert_int_equal(e[0].num_children, 30);
	static const struct {
		const char *name;
		int32_t converted, precision, scale;
	} conv[] = {{"name", SL_PQ_CT_UTF8, -1, -1},     {"kind", SL_PQ_CT_ENUM, -1, -1},
		    {"i8", SL_PQ_CT_INT_8, -1, -1},      {"u64", SL_PQ_CT_UINT_64, -1, -1},
		    {"d1", SL_PQ_CT_DECIMAL, 9, 2},     {"d5", SL_PQ_CT_DECIMAL, 38, 10},
		    {"day", SL_PQ_CT_DATE, -1, -1},      {"t1", SL_PQ_CT_TIME_MILLIS, -1, -1},
		    {"t2", SL_PQ_CT_TIME_MICROS, -1, -1}, {"ts1", SL_PQ_CT_TIMESTAMP_MILLIS, -1, -1},
		    {"u", SL_PQ_CT_NONE, -1, -1},        {"j", SL_PQ_CT_JSON, -1, -1},
		    {"tags", SL_PQ_CT_LIST, -1, -1},     {"m", SL_PQ_CT_MAP, -1, -1},
		    {"key_value", SL_PQ_CT_NONE, -1, -1}, {"f", SL_PQ_CT_NONE, -1, -1}};
	for (size_t c = 0; c < sizeof(conv) / sizeof(conv[0]); c++) {
		size_t i = 0;
		while (i < n && (e[i].name.len != strlen(conv[c].name) ||
				 memcmp(e[i].name.p, conv[c].name, e[i].name.len) != 0))
			i++;
		assert_true(i < n);
		assert_int_equal(e[i].converted, conv[c].converted);
		assert_int_equal(e[i].precision, conv[c].precision);
		assert_int_equal(e[i].scale, conv[c].scale);
		assert_int_equal(e[i].field_id, -1);
	}
	free(e);

	/* levels and roles of the nested columns */
	const struct sl_pq_node *tags = sl_pq_schema_find(s, "tags");
	assert_non_null(tags);
	assert_int_equal(tags->role, SL_PQ_ROLE_LIST);
	assert_int_equal(child(tags, 0)->role, SL_PQ_ROLE_LIST_ELEM);
	const struct sl_pq_node *el = child(child(tags, 0), 0);
	assert_int_equal(el->role, SL_PQ_ROLE_FIELD);
	assert_int_equal(el->max_def, 2);
	assert_int_equal(el->max_rep, 1);
	assert_ptr_equal(el->type, tags->type->elem);
	assert_ptr_equal(child(tags, 0)->type, tags->type->elem);
	const struct sl_pq_node *m = sl_pq_schema_find(s, "m");
	assert_int_equal(m->role, SL_PQ_ROLE_MAP);
	assert_int_equal(child(m, 0)->role, SL_PQ_ROLE_MAP_KV);
	assert_ptr_equal(child(m, 0)->type, m->type);
	const struct sl_pq_node *mv = child(child(child(child(m, 0), 1), 0), 0);
	assert_int_equal(mv->max_def, 4);
	assert_int_equal(mv->max_rep, 2);
	assert_int_equal(s->n_leaves, 32);
	assert_int_equal(sl_pq_schema_find(s, "s.b.c.d")->max_def, 6);

	/* the dotted paths of ColumnMetaData */
	sl_buf_reset(&b);
	assert_int_equal(sl_pq_node_path(mv, &b), 0);
	assert_string_equal(b.data, "m.key_value.value.list.element");
	sl_buf_reset(&b);
	assert_int_equal(sl_pq_node_path(sl_pq_schema_find(s, "s.b.c.d"), &b), 0);
	assert_string_equal(b.data, "s.b.c.list.element.d");
	sl_buf_release(&b);
	sl_pq_schema_free(s);
}

static void test_writer_refuses(void **state)
{
	(void)state;
	static const struct {
		const char *type;
		int code;
		const char *msg;
	} cases[] = {
		{"int64", SL_EINVAL, "must be a struct"},
		{"struct<>", SL_EINVAL, "has no fields"},
		{"struct<a:struct<>>", SL_EINVAL, "struct \"a\" has no fields"},
		{"struct<t:timestamp(ns)>", SL_EINVAL, "\"t\": timestamp with nanoseconds"},
		{"struct<t:list<time(ns)>>", SL_EINVAL, "time with nanoseconds"},
		{"struct<b:binary(67108865)>", SL_EINVAL, "binary(67108865) is longer"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sl_err err = {0};
		struct sl_type *t = sl_type_parse(cases[i].type, strlen(cases[i].type), &err);
		assert_non_null(t);
		struct sl_pq_schema *s = (void *)1;
		int rc = sl_pq_schema_from_type(t, &s, &err);
		assert_null(s);
		if (rc != cases[i].code || !strstr(err.msg, cases[i].msg))
			fail_msg("%s: got %d \"%s\"", cases[i].type, rc, err.msg);
		sl_type_free(t);
	}
	/* 33 nested lists: 66 Parquet levels below the root */
	struct sl_buf b;
	sl_buf_init(&b, 0);
	sl_buf_puts(&b, "struct<a:");
	for (int i = 0; i < 33; i++)
		sl_buf_puts(&b, "list<");
	sl_buf_puts(&b, "int8");
	for (int i = 0; i < 33; i++)
		sl_buf_puts(&b, ">");
	sl_buf_puts(&b, ">");
	struct sl_type *t = sl_type_parse(b.data, b.len, NULL);
	assert_non_null(t);
	struct sl_pq_schema *s;
	struct sl_err err = {0};
	assert_int_equal(sl_pq_schema_from_type(t, &s, &err), SL_ELIMIT);
	assert_non_null(strstr(err.msg, "deeper than 64 Parquet levels"));
	sl_type_free(t);
	sl_buf_release(&b);
}

/* ---- round trips --------------------------------------------------------------------- */

static void elems_equal(const struct sl_pq_schema_elem *a,
			const struct sl_pq_schema_elem *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(a[i].type, b[i].type);
		assert_int_equal(a[i].type_length, b[i].type_length);
		assert_int_equal(a[i].repetition, b[i].repetition);
		assert_int_equal(a[i].name.len, b[i].name.len);
		assert_memory_equal(a[i].name.p, b[i].name.p, a[i].name.len);
		assert_int_equal(a[i].num_children, b[i].num_children);
		assert_int_equal(a[i].converted, b[i].converted);
		assert_int_equal(a[i].scale, b[i].scale);
		assert_int_equal(a[i].precision, b[i].precision);
		assert_int_equal(a[i].logical.kind, b[i].logical.kind);
		assert_int_equal(a[i].logical.scale, b[i].logical.scale);
		assert_int_equal(a[i].logical.precision, b[i].logical.precision);
		assert_int_equal(a[i].logical.unit, b[i].logical.unit);
		assert_int_equal(a[i].logical.utc_adjusted, b[i].logical.utc_adjusted);
		assert_int_equal(a[i].logical.bit_width, b[i].logical.bit_width);
		assert_int_equal(a[i].logical.is_signed, b[i].logical.is_signed);
	}
}

static void nodes_equal(const struct sl_pq_node *a, const struct sl_pq_node *b)
{
	assert_string_equal(a->name, b->name);
	assert_int_equal(a->role, b->role);
	assert_int_equal(a->def_level, b->def_level);
	assert_int_equal(a->rep_level, b->rep_level);
	assert_int_equal(a->leaf_index, b->leaf_index);
	assert_true(sl_type_equal(a->type, b->type));
	assert_int_equal(a->n_children, b->n_children);
	for (size_t i = 0; i < a->n_children; i++)
		nodes_equal(a->children[i], b->children[i]);
}

static void test_roundtrip_random(void **state)
{
	(void)state;
	struct tg_rng r = {0xC0FFEEu};
	for (int i = 0; i < 2000; i++) {
		struct sl_type *t = tg_struct(&r, 6, false);
		t->nullable = false;
		struct sl_pq_schema *w = NULL, *rd = NULL;
		struct sl_err err = {0};
		if (sl_pq_schema_from_type(t, &w, &err) != 0)
			fail_msg("writer refused: %s", err.msg);
		check_schema(w);
		struct sl_pq_schema_elem *e, *e2;
		size_t n, n2;
		assert_int_equal(sl_pq_schema_to_elems(w, &e, &n, &err), 0);
		if (sl_pq_schema_from_elems(e, n, &rd, &err) != 0)
			fail_msg("reader refused: %s", err.msg);
		check_schema(rd);
		if (!sl_type_equal(t, rd->root->type)) {
			char *a = type_text(t), *b = type_text(rd->root->type);
			fail_msg("written %s\nread    %s", a, b);
		}
		nodes_equal(w->root, rd->root);
		assert_int_equal(sl_pq_schema_to_elems(rd, &e2, &n2, &err), 0);
		assert_int_equal(n, n2);
		elems_equal(e, e2, n);
		free(e);
		free(e2);
		sl_pq_schema_free(w);
		sl_pq_schema_free(rd);
		sl_type_free(t);
	}
}

/* ---- the reader: annotations --------------------------------------------------------- */

static void test_reader_annotations(void **state)
{
	(void)state;
	static const struct {
		const char *leaf, *type;
	} cases[] = {
		{"required boolean x;", "boolean not null"},
		{"optional int32 x;", "int32"},
		{"optional int64 x;", "int64"},
		{"optional int96 x;", "timestamp(us)"},
		{"optional float x;", "float"},
		{"optional double x;", "double"},
		{"optional binary x;", "binary"},
		{"optional fixed_len_byte_array(7) x;", "binary(7)"},
		/* strings */
		{"optional binary x (UTF8);", "string"},
		{"optional binary x (@STRING);", "string"},
		{"optional binary x (ENUM);", "enum"},
		{"optional binary x (@ENUM);", "enum"},
		{"optional binary x (JSON);", "json"},
		{"optional binary x (@JSON);", "json"},
		{"optional binary x (BSON);", "binary"},
		{"optional binary x (@BSON);", "binary"},
		{"optional binary x (@GEOMETRY);", "binary"},
		{"optional binary x (@GEOGRAPHY);", "binary"},
		{"optional binary x (@VARIANT);", "binary"},
		{"optional fixed_len_byte_array(16) x (@UUID);", "uuid"},
		{"optional fixed_len_byte_array(2) x (@FLOAT16);", "float"},
		{"optional fixed_len_byte_array(12) x (INTERVAL);", "binary(12)"},
		/* integers */
		{"optional int32 x (INT_8);", "int8"},
		{"optional int32 x (INT_16);", "int16"},
		{"optional int32 x (INT_32);", "int32"},
		{"optional int64 x (INT_64);", "int64"},
		{"optional int32 x (UINT_8);", "uint8"},
		{"optional int32 x (UINT_16);", "uint16"},
		{"optional int32 x (UINT_32);", "uint32"},
		{"optional int64 x (UINT_64);", "uint64"},
		{"optional int32 x (@INTEGER(8,false));", "uint8"},
		{"optional int32 x (@INTEGER(16,true));", "int16"},
		{"optional int64 x (@INTEGER(64,false));", "uint64"},
		/* decimals in each physical type */
		{"optional int32 x (DECIMAL(4,2));", "decimal(4,2)"},
		{"optional int32 x (DECIMAL(9,0));", "decimal(9,0)"},
		{"optional int64 x (DECIMAL(10,2));", "decimal(10,2)"},
		{"optional int64 x (DECIMAL(18,18));", "decimal(18,18)"},
		{"optional fixed_len_byte_array(6) x (DECIMAL(13,2));", "decimal(13,2)"},
		{"optional fixed_len_byte_array(16) x (DECIMAL(38,0));", "decimal(38,0)"},
		{"optional fixed_len_byte_array(20) x (DECIMAL(38,0));", "decimal(38,0)"},
		{"optional binary x (DECIMAL(25,5));", "decimal(25,5)"},
		{"optional binary x (@DECIMAL(7,3));", "decimal(7,3)"},
		{"optional int32 x (@DECIMAL(5,5));", "decimal(5,5)"},
		{"optional binary x (DECIMAL(40,2));", "binary"},
		{"optional fixed_len_byte_array(20) x (DECIMAL(45,2));", "binary(20)"},
		/* the logical type wins over the converted one */
		{"optional int64 x (DECIMAL(10,2) @DECIMAL(12,3));", "decimal(12,3)"},
		/* dates and times */
		{"optional int32 x (DATE);", "date"},
		{"optional int32 x (@DATE);", "date"},
		{"optional int32 x (TIME_MILLIS);", "time(ms)"},
		{"optional int64 x (TIME_MICROS);", "time(us)"},
		{"optional int32 x (@TIME(MILLIS,true));", "time(ms)"},
		{"optional int64 x (@TIME(MICROS,false));", "time(us)"},
		{"optional int64 x (@TIME(NANOS,false));", "time(ns)"},
		{"optional int64 x (TIMESTAMP_MILLIS);", "timestamp(ms)"},
		{"optional int64 x (TIMESTAMP_MICROS);", "timestamp(us)"},
		{"optional int64 x (@TIMESTAMP(MILLIS,true));", "timestamp(ms)"},
		{"optional int64 x (@TIMESTAMP(MICROS,false));", "timestamp(us)"},
		{"optional int64 x (@TIMESTAMP(NANOS,true));", "timestamp(ns)"},
		{"optional int64 x (TIMESTAMP_MICROS @TIMESTAMP(NANOS,true));", "timestamp(ns)"},
		/* a unit from the future: the numbers as they are */
		{"optional int64 x (@TIMESTAMP);", "int64"},
		/* unknown or "always null" logical types: the converted type, else the
		 * physical one */
		{"optional int32 x (@OTHER);", "int32"},
		{"optional binary x (@OTHER);", "binary"},
		{"optional binary x (UTF8 @OTHER);", "string"},
		{"optional int32 x (@UNKNOWN);", "int32"},
		{"optional int96 x (@OTHER);", "timestamp(us)"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[256], want[128];
		snprintf(text, sizeof(text), "message m { %s }", cases[i].leaf);
		snprintf(want, sizeof(want), "struct<x:%s> not null", cases[i].type);
		struct sl_pq_schema *s = check_reads_as(text, want);
		assert_int_equal(s->n_leaves, 1);
		assert_int_equal(s->leaves[0]->role, SL_PQ_ROLE_FIELD);
		sl_pq_schema_free(s);
	}
	/* INT96 is marked by its physical type, for the reader to convert */
	struct sl_pq_schema *s = read_ok("message m { optional int96 ts; }");
	assert_int_equal(s->leaves[0]->phys, SL_PQ_INT96);
	sl_pq_schema_free(s);
	/* a VARIANT group reads as the struct of its binaries */
	s = check_reads_as("message m { optional group v (@VARIANT) { required binary metadata; "
			   "optional binary value; } }",
			   "struct<v:struct<metadata:binary not null,value:binary>> not null");
	sl_pq_schema_free(s);
	/* the root's annotations, repetition and name do not matter */
	s = check_reads_as("message weird { required int32 a; }",
			   "struct<a:int32 not null> not null");
	assert_string_equal(s->root->name, "weird");
	sl_pq_schema_free(s);
}

/* ---- the reader: lists and maps, standard and legacy --------------------------------- */

struct form {
	const char *schema, *type;
};

static void test_reader_lists(void **state)
{
	(void)state;
	static const struct form forms[] = {
		/* the standard three levels */
		{"message m { optional group l (LIST) { repeated group list { optional binary "
		 "element (UTF8); } } }",
		 "struct<l:list<string>> not null"},
		{"message m { required group l (@LIST) { repeated group list { required int64 "
		 "element; } } }",
		 "struct<l:list<int64 not null> not null> not null"},
		/* names are not enforced: a nullable list of non-null strings */
		{"message m { optional group my_list (LIST) { repeated group element { required "
		 "binary str (@STRING); } } }",
		 "struct<my_list:list<string not null>> not null"},
		/* rule 1: the repeated field is not a group */
		{"message m { optional group my_list (LIST) { repeated int32 element; } }",
		 "struct<my_list:list<int32 not null>> not null"},
		/* rule 2: a group with several fields */
		{"message m { optional group my_list (LIST) { repeated group element { required "
		 "binary str (UTF8); required int32 num; } } }",
		 "struct<my_list:list<struct<str:string not null,num:int32 not null> not null>> "
		 "not null"},
		/* rule 3: a group with one repeated field */
		{"message m { optional group my_list (LIST) { repeated group array (LIST) { "
		 "repeated int32 array; } } }",
		 "struct<my_list:list<list<int32 not null> not null>> not null"},
		{"message m { optional group my_list (LIST) { repeated group x { repeated int32 y; "
		 "} } }",
		 "struct<my_list:list<struct<y:list<int32 not null> not null> not null>> not null"},
		/* rule 4: named "array" or "<list>_tuple" */
		{"message m { optional group my_list (LIST) { repeated group array { required "
		 "binary str (UTF8); } } }",
		 "struct<my_list:list<struct<str:string not null> not null>> not null"},
		{"message m { optional group my_list (LIST) { repeated group my_list_tuple { "
		 "required binary str (UTF8); } } }",
		 "struct<my_list:list<struct<str:string not null> not null>> not null"},
		/* ... but not "other_tuple" (rule 5) */
		{"message m { optional group my_list (LIST) { repeated group other_tuple { "
		 "required binary str (UTF8); } } }",
		 "struct<my_list:list<string not null>> not null"},
		/* rule 5: the one field is the element, with its repetition */
		{"message m { optional group my_list (LIST) { repeated group element { optional "
		 "binary str (UTF8); } } }",
		 "struct<my_list:list<string>> not null"},
		/* repeated fields without annotation: required lists of required elements */
		{"message m { repeated int32 num; }", "struct<num:list<int32 not null> not null> "
						      "not null"},
		{"message m { repeated group my_list { required int32 num; optional binary str "
		 "(UTF8); } }",
		 "struct<my_list:list<struct<num:int32 not null,str:string> not null> not null> "
		 "not null"},
		/* lists of lists, standard */
		{"message m { optional group a (LIST) { repeated group list { required group "
		 "element (LIST) { repeated group list { required int32 element; } } } } }",
		 "struct<a:list<list<int32 not null> not null>> not null"},
	};
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		struct sl_pq_schema *s = check_reads_as(forms[i].schema, forms[i].type);
		check_schema(s);
		sl_pq_schema_free(s);
	}

	/* roles: two levels (rule 1) */
	struct sl_pq_schema *s = read_ok(forms[3].schema);
	const struct sl_pq_node *l = child(s->root, 0), *r = child(l, 0);
	assert_int_equal(l->role, SL_PQ_ROLE_LIST);
	assert_int_equal(r->role, SL_PQ_ROLE_LIST_ITEM);
	assert_ptr_equal(r->type, l->type->elem);
	assert_int_equal(r->max_def, 2);
	assert_int_equal(r->max_rep, 1);
	sl_pq_schema_free(s);
	/* rule 3: the inner list is the outer list's item and has an item of its own */
	s = read_ok(forms[5].schema);
	l = child(s->root, 0);
	r = child(l, 0);
	assert_int_equal(r->role, SL_PQ_ROLE_LIST_ITEM);
	assert_int_equal(r->type->kind, SL_T_LIST);
	assert_int_equal(child(r, 0)->role, SL_PQ_ROLE_LIST_ITEM);
	assert_ptr_equal(child(r, 0)->type, r->type->elem);
	assert_int_equal(child(r, 0)->max_rep, 2);
	sl_pq_schema_free(s);
	/* rule 5 */
	s = read_ok(forms[10].schema);
	r = child(child(s->root, 0), 0);
	assert_int_equal(r->role, SL_PQ_ROLE_LIST_ELEM);
	assert_int_equal(child(r, 0)->role, SL_PQ_ROLE_FIELD);
	assert_ptr_equal(child(r, 0)->type, r->type);
	sl_pq_schema_free(s);
	/* a bare repeated group: the node is the list, its children the element's fields */
	s = read_ok(forms[12].schema);
	l = child(s->root, 0);
	assert_int_equal(l->role, SL_PQ_ROLE_REPEATED);
	assert_int_equal(l->type->kind, SL_T_LIST);
	assert_ptr_equal(child(l, 0)->type, l->type->elem->fields[0].type);
	assert_int_equal(child(l, 1)->max_def, 2);
	assert_int_equal(child(l, 1)->max_rep, 1);
	sl_pq_schema_free(s);
}

static void test_reader_maps(void **state)
{
	(void)state;
	static const struct form forms[] = {
		{"message m { optional group my_map (MAP) { repeated group key_value { required "
		 "binary key (UTF8); optional int32 value; } } }",
		 "struct<my_map:map<string,int32>> not null"},
		{"message m { required group my_map (@MAP) { repeated group key_value { required "
		 "int64 key; required group value { required int32 a; } } } }",
		 "struct<my_map:map<int64,struct<a:int32 not null> not null> not null> not null"},
		/* misnamed: key and value by position */
		{"message m { optional group my_map (MAP) { repeated group map { required binary "
		 "str (@STRING); required int32 num; } } }",
		 "struct<my_map:map<string,int32 not null>> not null"},
		/* MAP_KEY_VALUE outside a MAP is a MAP */
		{"message m { optional group my_map (MAP_KEY_VALUE) { repeated group map { "
		 "required binary key (UTF8); optional int32 value; } } }",
		 "struct<my_map:map<string,int32>> not null"},
		/* ... and inside one it is just the key_value group */
		{"message m { optional group my_map (MAP) { repeated group key_value "
		 "(MAP_KEY_VALUE) { required binary key (UTF8); optional group value (MAP) { "
		 "repeated group key_value (MAP_KEY_VALUE) { required int32 key; optional "
		 "boolean value; } } } } }",
		 "struct<my_map:map<string,map<int32,boolean>>> not null"},
		/* an OPTIONAL key (Presto, Trino, Athena) is tolerated */
		{"message m { optional group m (MAP) { repeated group key_value { optional "
		 "binary key (UTF8); optional int32 value; } } }",
		 "struct<m:map<string,int32>> not null"},
		/* a key_value group with only a key: the list of the keys */
		{"message m { optional group m (MAP) { repeated group key_value { required int32 "
		 "key; } } }",
		 "struct<m:list<int32 not null>> not null"},
		/* a repeated value is a bare list */
		{"message m { optional group m (MAP) { repeated group key_value { required int32 "
		 "key; repeated int32 value; } } }",
		 "struct<m:map<int32,list<int32 not null> not null>> not null"},
	};
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		struct sl_pq_schema *s = check_reads_as(forms[i].schema, forms[i].type);
		check_schema(s);
		sl_pq_schema_free(s);
	}
	/* roles of the standard form */
	struct sl_pq_schema *s = read_ok(forms[0].schema);
	const struct sl_pq_node *m = child(s->root, 0), *kv = child(m, 0);
	assert_int_equal(m->role, SL_PQ_ROLE_MAP);
	assert_int_equal(kv->role, SL_PQ_ROLE_MAP_KV);
	assert_ptr_equal(kv->type, m->type);
	assert_ptr_equal(child(kv, 0)->type, m->type->key);
	assert_ptr_equal(child(kv, 1)->type, m->type->elem);
	assert_int_equal(child(kv, 1)->max_def, 3);
	sl_pq_schema_free(s);
	/* the optional key keeps its level (the reader must skip a null key) */
	s = read_ok(forms[5].schema);
	kv = child(child(s->root, 0), 0);
	assert_int_equal(child(kv, 0)->repetition, SL_PQ_OPTIONAL);
	assert_int_equal(child(kv, 0)->max_def, 3);
	assert_false(child(kv, 0)->type->nullable);
	sl_pq_schema_free(s);
	/* keys only: a three-level list */
	s = read_ok(forms[6].schema);
	m = child(s->root, 0);
	assert_int_equal(m->role, SL_PQ_ROLE_LIST);
	assert_int_equal(child(m, 0)->role, SL_PQ_ROLE_LIST_ELEM);
	assert_int_equal(child(child(m, 0), 0)->role, SL_PQ_ROLE_FIELD);
	sl_pq_schema_free(s);
}

/* ---- the reader: the corpus files' footers ------------------------------------------- */

/* The schema of a Parquet file, read from its footer; NULL with *rc set when refused. */
static struct sl_pq_schema *file_schema(const char *path, int *rc, struct sl_err *err)
{
	size_t len;
	char *data = th_read_file(path, &len);
	struct sl_pq_schema *s = NULL;
	struct sl_pq_file_meta m;
	memset(&m, 0, sizeof(m));
	uint32_t flen = 0;
	if (len < 12 || memcmp(data + len - 4, "PAR1", 4) != 0) {
		*rc = sl_err_set(err, SL_ECORRUPT, "not a plain Parquet file");
		goto done;
	}
	memcpy(&flen, data + len - 8, 4);
	if (flen > len - 12) {
		*rc = sl_err_set(err, SL_ECORRUPT, "footer length past the file");
		goto done;
	}
	if ((*rc = sl_pq_file_meta_decode(data + len - 8 - flen, flen, &m, err)) == 0)
		*rc = sl_pq_schema_from_elems(m.schema, m.n_schema, &s, err);
done:
	sl_pq_file_meta_release(&m);
	free(data);
	return s;
}

/* Every file of the corpus has a schema that reads, with consistent levels, and whose
 * elements read back the same; the files with legacy forms or unusual annotations read
 * as these types. The files in bad_data must not crash it. */
static void test_reader_corpus_files(void **state)
{
	(void)state;
	static const struct {
		const char *file, *type;
	} want[] = {
		{"alltypes_plain.parquet",
		 "struct<id:int32,bool_col:boolean,tinyint_col:int32,smallint_col:int32,"
		 "int_col:int32,bigint_col:int64,float_col:float,double_col:double,"
		 "date_string_col:binary,string_col:binary,timestamp_col:timestamp(us)> not null"},
		{"alltypes_tiny_pages.parquet",
		 "struct<id:int32,bool_col:boolean,tinyint_col:int8,smallint_col:int16,"
		 "int_col:int32,bigint_col:int64,float_col:float,double_col:double,"
		 "date_string_col:string,string_col:string,timestamp_col:timestamp(us),"
		 "year:int32,month:int32> not null"},
		{"int96_from_spark.parquet",
		 "struct<a:timestamp(us)> not null"},
		{"old_list_structure.parquet",
		 "struct<a:list<list<int32 not null> not null> not null> not null"},
		{"repeated_no_annotation.parquet",
		 "struct<id:int32 not null,"
		 "phoneNumbers:struct<phone:list<struct<number:int64 not null,"
		 "kind:string> not null> not null>> not null"},
		{"repeated_primitive_no_list.parquet",
		 "struct<Int32_list:list<int32 not null> not null,"
		 "String_list:list<string not null> not null,"
		 "group_of_lists:struct<Int32_list_in_group:list<int32 not null> not null,"
		 "String_list_in_group:list<string not null> not null> not null> not null"},
		{"map_no_value.parquet",
		 "struct<my_map:map<int32,int32> not null,"
		 "my_map_no_v:list<int32 not null> not null,"
		 "my_list:list<int32 not null> not null> not null"},
		{"incorrect_map_schema.parquet",
		 "struct<my_map:map<string,string>> not null"},
		{"null_list.parquet",
		 "struct<emptylist:list<int32>> not null"},
		{"nested_lists.snappy.parquet",
		 "struct<a:list<list<list<string>>>,b:int32 not null> not null"},
		{"nested_maps.snappy.parquet",
		 "struct<a:map<string,map<int32,boolean not null>>,b:int32 not null,"
		 "c:double not null> not null"},
		{"nullable.impala.parquet",
		 "struct<id:int64,int_array:list<int32>,int_array_Array:list<list<int32>>,"
		 "int_map:map<string,int32>,int_Map_Array:list<map<string,int32>>,"
		 "nested_struct:struct<A:int32,b:list<int32>,"
		 "C:struct<d:list<list<struct<E:int32,F:string>>>>,g:map<string,"
		 "struct<H:struct<i:list<double>>>>>> not null"},
		{"nonnullable.impala.parquet",
		 "struct<ID:int64 not null,Int_Array:list<int32 not null> not null,"
		 "int_array_array:list<list<int32 not null> not null> not null,"
		 "Int_Map:map<string,int32 not null> not null,int_map_array:list<map<string,"
		 "int32 not null> not null> not null,nested_Struct:struct<a:int32 not null,"
		 "B:list<int32 not null> not null,c:struct<D:list<list<struct<e:int32 not null,"
		 "f:string not null> not null> not null> not null> not null,G:map<string,"
		 "struct<h:struct<i:list<double not null> not null> not null> not null> not null"
		 "> not null> not null"},
		{"unknown-logical-type.parquet",
		 "struct<\"column with known type\":string,"
		 "\"column with unknown type\":binary> not null"},
		{"float16_nonzeros_and_nans.parquet",
		 "struct<x:float> not null"},
		{"fixed_length_decimal.parquet",
		 "struct<value:decimal(25,2)> not null"},
		{"fixed_length_decimal_legacy.parquet",
		 "struct<value:decimal(13,2)> not null"},
		{"byte_array_decimal.parquet",
		 "struct<value:decimal(4,2)> not null"},
		{"int32_decimal.parquet",
		 "struct<value:decimal(4,2)> not null"},
		{"int64_decimal.parquet",
		 "struct<value:decimal(10,2)> not null"},
		{"concatenated_gzip_members.parquet",
		 "struct<long_col:uint64> not null"},
		{"list_columns.parquet",
		 "struct<int64_list:list<int64>,utf8_list:list<string>> not null"},
		{"datapage_v2.snappy.parquet",
		 "struct<a:string,b:int32 not null,c:double not null,d:boolean not null,"
		 "e:list<int32 not null>> not null"},
		{"large_string_map.brotli.parquet",
		 "struct<arr:map<string,int32>> not null"},
		{"byte_stream_split_extended.gzip.parquet",
		 "struct<float16_plain:float,float16_byte_stream_split:float,float_plain:float,"
		 "float_byte_stream_split:float,double_plain:double,"
		 "double_byte_stream_split:double,int32_plain:int32,"
		 "int32_byte_stream_split:int32,int64_plain:int64,int64_byte_stream_split:int64,"
		 "flba5_plain:binary(5),flba5_byte_stream_split:binary(5),"
		 "decimal_plain:decimal(7,3),decimal_byte_stream_split:decimal(7,3)> not null"},
		{"geospatial/crs-geography.parquet",
		 "struct<wkt:string,geography:binary> not null"},
	};
	char *dir = th_conformance_dir("parquet/data");
	static const char *const files[] = {
		"alltypes_dictionary.parquet",
		"alltypes_plain.parquet",
		"alltypes_plain.snappy.parquet",
		"alltypes_tiny_pages.parquet",
		"alltypes_tiny_pages_plain.parquet",
		"binary.parquet",
		"binary_truncated_min_max.parquet",
		"byte_array_decimal.parquet",
		"byte_stream_split.zstd.parquet",
		"byte_stream_split_extended.gzip.parquet",
		"column_chunk_key_value_metadata.parquet",
		"concatenated_gzip_members.parquet",
		"data_index_bloom_encoding_stats.parquet",
		"data_index_bloom_encoding_with_length.parquet",
		"datapage_v1-corrupt-checksum.parquet",
		"datapage_v1-snappy-compressed-checksum.parquet",
		"datapage_v1-uncompressed-checksum.parquet",
		"datapage_v2.snappy.parquet",
		"datapage_v2_empty_datapage.snappy.parquet",
		"delta_binary_packed.parquet",
		"delta_byte_array.parquet",
		"delta_encoding_optional_column.parquet",
		"delta_encoding_required_column.parquet",
		"delta_length_byte_array.parquet",
		"dict-page-offset-zero.parquet",
		"fixed_length_byte_array.parquet",
		"fixed_length_decimal.parquet",
		"fixed_length_decimal_legacy.parquet",
		"float16_nonzeros_and_nans.parquet",
		"float16_zeros_and_nans.parquet",
		"floating_orders_nan_count.parquet",
		"hadoop_lz4_compressed.parquet",
		"hadoop_lz4_compressed_larger.parquet",
		"incorrect_map_schema.parquet",
		"int32_decimal.parquet",
		"int32_with_null_pages.parquet",
		"int64_decimal.parquet",
		"int96_from_spark.parquet",
		"large_string_map.brotli.parquet",
		"list_columns.parquet",
		"lz4_raw_compressed.parquet",
		"lz4_raw_compressed_larger.parquet",
		"map_no_value.parquet",
		"nan_in_stats.parquet",
		"nation.dict-malformed.parquet",
		"nested_lists.snappy.parquet",
		"nested_maps.snappy.parquet",
		"nested_structs.rust.parquet",
		"non_hadoop_lz4_compressed.parquet",
		"nonnullable.impala.parquet",
		"null_list.parquet",
		"nullable.impala.parquet",
		"nulls.snappy.parquet",
		"old_list_structure.parquet",
		"overflow_i16_page_cnt.parquet",
		"page_v2_empty_compressed.parquet",
		"plain-dict-uncompressed-checksum.parquet",
		"repeated_no_annotation.parquet",
		"repeated_primitive_no_list.parquet",
		"rle-dict-snappy-checksum.parquet",
		"rle-dict-uncompressed-corrupt-checksum.parquet",
		"rle_boolean_encoding.parquet",
		"single_nan.parquet",
		"sort_columns.parquet",
		"unknown-logical-type.parquet",
		"geospatial/crs-arbitrary-value.parquet",
		"geospatial/crs-default.parquet",
		"geospatial/crs-geography.parquet",
		"geospatial/crs-projjson.parquet",
		"geospatial/crs-srid.parquet",
		"geospatial/geography-lines.parquet",
		"geospatial/geography-points.parquet",
		"geospatial/geography-polygons.parquet",
		"geospatial/geospatial-with-nan.parquet",
		"geospatial/geospatial.parquet",
	};
	size_t checked = 0;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		struct sl_err err = {0};
		int rc;
		struct sl_pq_schema *s = file_schema(path, &rc, &err);
		if (!s)
			fail_msg("%s: %s", files[i], err.msg);
		check_schema(s);
		struct sl_pq_schema_elem *e;
		size_t n;
		struct sl_pq_schema *again = NULL;
		assert_int_equal(sl_pq_schema_to_elems(s, &e, &n, &err), 0);
		assert_int_equal(sl_pq_schema_from_elems(e, n, &again, &err), 0);
		assert_true(sl_type_equal(s->root->type, again->root->type));
		free(e);
		sl_pq_schema_free(again);
		char *got = type_text(s->root->type);
		if (getenv("SL_PRINT_CORPUS_TYPES"))
			printf("{\"%s\",\n \"%s\"},\n", files[i], got);
		for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
			if (strcmp(want[k].file, files[i]) != 0)
				continue;
			if (strcmp(got, want[k].type) != 0)
				fail_msg("%s\nreads as  %s\nexpected  %s", files[i], got, want[k].type);
			checked++;
		}
		free(got);
		sl_pq_schema_free(s);
	}
	assert_int_equal(checked, sizeof(want) / sizeof(want[0]));
	free(dir);

	dir = th_conformance_dir("parquet/bad_data");
	static const char *const bad[] = {
		"ARROW-GH-41317.parquet", "ARROW-GH-41321.parquet", "ARROW-GH-43605.parquet",
		"ARROW-GH-45185.parquet", "ARROW-GH-47662.parquet",
		"ARROW-RS-GH-6229-DICTHEADER.parquet", "ARROW-RS-GH-6229-LEVELS.parquet",
		"PARQUET-1481.parquet"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, bad[i]);
		struct sl_err err = {0};
		int rc;
		struct sl_pq_schema *s = file_schema(path, &rc, &err);
		if (s)
			check_schema(s);
		else
			assert_true(rc < 0 && err.msg[0]);
		sl_pq_schema_free(s);
	}
	free(dir);
}

/* ---- the reader: corrupt elements ---------------------------------------------------- */

static void test_reader_refuses(void **state)
{
	(void)state;
	static const struct {
		const char *schema, *msg;
	} cases[] = {
		{"message m { }", "element 0 (\"m\"): a group without children"},
		{"message m { required group g { } }", "element 1 (\"g\"): a group without "
						       "children"},
		{"message m { required fixed_len_byte_array(0) f; }",
		 "element 1 (\"f\"): FIXED_LEN_BYTE_ARRAY length 0 is not in 1..67108864"},
		{"message m { required fixed_len_byte_array(-3) f; }", "length -3 is not in"},
		{"message m { required fixed_len_byte_array(67108865) f; }", "length 67108865"},
		{"message m { required int32 a; required int64 a; }",
		 "element 2 (\"a\"): duplicate field name \"a\""},
		{"message m { required group g { required int32 a; optional int32 a; } }",
		 "element 3 (\"a\"): duplicate field name"},
		{"message m { optional int32 d (DECIMAL(10,2)); }",
		 "element 1 (\"d\"): DECIMAL precision 10 does not fit INT32"},
		{"message m { optional int64 d (DECIMAL(19,2)); }", "precision 19 does not fit INT64"},
		{"message m { optional fixed_len_byte_array(4) d (DECIMAL(10,2)); }",
		 "precision 10 does not fit FIXED_LEN_BYTE_ARRAY"},
		{"message m { optional binary d (DECIMAL(0,0)); }", "precision 0 does not fit "
								   "BYTE_ARRAY (at least 1)"},
		{"message m { optional int32 d (DECIMAL(4,5)); }", "scale 5 is larger than its "
								  "precision 4"},
		{"message m { optional int32 d (@DECIMAL(4,5)); }", "scale 5 is larger"},
		{"message m { optional double d (DECIMAL(4,2)); }", "DECIMAL on a DOUBLE column"},
		{"message m { optional boolean d (@DECIMAL(4,2)); }", "DECIMAL on a BOOLEAN"},
		{"message m { optional int32 s (UTF8); }",
		 "element 1 (\"s\"): the annotation does not fit a INT32 column"},
		{"message m { optional fixed_len_byte_array(15) u (@UUID); }",
		 "does not fit a FIXED_LEN_BYTE_ARRAY column of this length"},
		{"message m { optional int32 i (@INTEGER(64,true)); }", "does not fit a INT32"},
		{"message m { optional int64 i (@INTEGER(32,true)); }", "does not fit a INT64"},
		{"message m { optional int32 i (@INTEGER(7,true)); }", "does not fit a INT32"},
		{"message m { optional int64 t (TIME_MILLIS); }", "does not fit a INT64"},
		{"message m { optional int32 t (@TIMESTAMP(MILLIS,true)); }", "does not fit a INT32"},
		{"message m { optional int32 d (@DATE @FLOAT16); }", "does not fit a INT32"},
		{"message m { optional binary i (INTERVAL); }", "does not fit a BYTE_ARRAY"},
		{"message m { optional int32 l (LIST); }", "element 1 (\"l\"): a LIST annotation "
							  "on a leaf"},
		{"message m { optional int32 l (@MAP); }", "a MAP annotation on a leaf"},
		{"message m { optional group g (UTF8) { required int32 a; } }",
		 "element 1 (\"g\"): a group with a leaf's annotation"},
		{"message m { optional group l (LIST) { repeated int32 a; repeated int32 b; } }",
		 "element 1 (\"l\"): a LIST group needs exactly one child, a repeated one"},
		{"message m { optional group l (LIST) { optional int32 a; } }", "a LIST group needs"},
		{"message m { optional group m (MAP) { required group kv { required int32 key; } "
		 "} }",
		 "element 1 (\"m\"): a MAP group needs exactly one child, a repeated group"},
		{"message m { optional group m (MAP) { repeated int32 key; } }", "a MAP group needs"},
		{"message m { optional group m (MAP) { repeated group kv { required int32 key; "
		 "required int32 value; required int32 more; } } }",
		 "element 2 (\"kv\"): a map's key_value group holds a key and at most a value, not 3"},
		{"message m { optional group m (MAP) { repeated group kv { repeated int32 key; "
		 "required int32 value; } } }",
		 "element 3 (\"key\"): a map key cannot be repeated"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_refused(cases[i].schema, cases[i].msg);
}

/* Corruptions the text cannot express, made on the elements themselves. */
static void test_reader_refuses_raw(void **state)
{
	(void)state;
	struct elems el;
	struct sl_pq_schema *s = NULL;
	struct sl_err err;
	const char *base = "message m { required int32 a; optional group g { required int64 b; "
			   "} }";
#define REFUSED(mutate, want) \
	do { \
		elems_from_text(&el, base); \
		mutate; \
		memset(&err, 0, sizeof(err)); \
		assert_int_equal(sl_pq_schema_from_elems(el.e, el.n, &s, &err), SL_ECORRUPT); \
		assert_null(s); \
		if (!strstr(err.msg, want)) \
			fail_msg("got \"%s\", want \"%s\"", err.msg, want); \
		elems_free(&el); \
	} while (0)
	REFUSED(el.e[0].num_children = 3, "element 0 (\"m\"): num_children 3 is more than the "
					  "elements left");
	REFUSED(el.e[0].num_children = 4, "element 0 (\"m\"): num_children 4 is more than the 3 "
					  "elements left");
	REFUSED(el.e[2].num_children = 2, "element 2 (\"g\"): num_children 2 is more than the 1 "
					  "elements left");
	REFUSED((el.e[0].num_children = 1, el.e[2].num_children = 1),
		"2 elements after the root's tree ends at element 2");
	REFUSED(el.e[0].num_children = -1, "element 0 (\"m\"): negative num_children -1");
	REFUSED(el.e[1].num_children = 1, "element 1 (\"a\"): a leaf (physical type 1) with 1 "
					  "children");
	REFUSED(el.e[2].num_children = 0, "element 2 (\"g\"): a group without children");
	REFUSED(el.e[0].type = SL_PQ_INT32, "element 0 (\"m\"): the root must be a group");
	REFUSED(el.e[0].repetition = SL_PQ_REPEATED, "the root cannot be REPEATED");
	REFUSED(el.e[1].repetition = -1, "element 1 (\"a\"): repetition -1 is not REQUIRED");
	REFUSED(el.e[1].repetition = 3, "repetition 3 is not");
	REFUSED(el.e[1].type = 8, "element 1 (\"a\"): unknown physical type 8");
	REFUSED(el.e[1].type = -2, "unknown physical type -2");
	REFUSED(el.e[3].name.p = NULL, "element 3 (\"?\"): no name");
	REFUSED(el.e[3].name.len = 0, "element 3 (\"\"): a struct field needs a non-empty name");
	REFUSED((el.e[3].name.p = (const uint8_t *)"b\0c", el.e[3].name.len = 3),
		"element 3 (\"?\"): the name is not valid UTF-8 or holds a NUL byte");
	REFUSED(el.e[3].name.p = (const uint8_t *)"\xff", "not valid UTF-8");

	/* no elements at all */
	assert_int_equal(sl_pq_schema_from_elems(NULL, 0, &s, &err), SL_ECORRUPT);
	assert_non_null(strstr(err.msg, "no elements"));
	elems_from_text(&el, base);
	assert_int_equal(sl_pq_schema_from_elems(el.e, 0, &s, &err), SL_ECORRUPT);
	/* the root alone, counting children that are not there */
	assert_int_equal(sl_pq_schema_from_elems(el.e, 1, &s, &err), SL_ECORRUPT);
	assert_non_null(strstr(err.msg, "num_children 2 is more than the 0 elements left"));
	elems_free(&el);
#undef REFUSED
}

static void test_reader_limits(void **state)
{
	(void)state;
	struct sl_pq_schema *s = NULL;
	struct sl_err err = {0};
	/* SL_PQ_MAX_DEPTH nested groups are fine, one more is not */
	for (int depth = SL_PQ_MAX_DEPTH - 1; depth <= SL_PQ_MAX_DEPTH; depth++) {
		size_t n = (size_t)depth + 1;
		struct sl_pq_schema_elem *e = calloc(n, sizeof(*e));
		for (size_t i = 0; i < n; i++) {
			e[i].type = i + 1 < n ? -1 : SL_PQ_INT32;
			e[i].repetition = i ? SL_PQ_OPTIONAL : -1;
			e[i].name.p = (const uint8_t *)"g";
			e[i].name.len = 1;
			e[i].num_children = i + 1 < n ? 1 : 0;
			e[i].converted = SL_PQ_CT_NONE;
		}
		/* the leaf is at depth n-1: 63 fits the type levels too, 64 does not */
		int rc = sl_pq_schema_from_elems(e, n, &s, &err);
		if (depth < SL_PQ_MAX_DEPTH) {
			assert_int_equal(rc, 0);
			assert_int_equal(s->leaves[0]->max_def, depth);
			sl_pq_schema_free(s);
		} else {
			assert_int_equal(rc, SL_ECORRUPT);
			assert_non_null(strstr(err.msg, "nests deeper than 64 levels"));
		}
		free(e);
	}
	/* far deeper: refused at the depth cap, not by the stack */
	size_t n = 1000000;
	struct sl_pq_schema_elem *e = calloc(n, sizeof(*e));
	for (size_t i = 0; i < n; i++) {
		e[i].type = -1;
		e[i].repetition = SL_PQ_REPEATED;
		e[i].name.p = (const uint8_t *)"r";
		e[i].name.len = 1;
		e[i].num_children = 1;
		e[i].converted = SL_PQ_CT_NONE;
	}
	e[0].repetition = -1;
	assert_int_equal(sl_pq_schema_from_elems(e, n, &s, &err), SL_ECORRUPT);
	assert_non_null(strstr(err.msg, "element 65 (\"r\"): nested deeper than 64 levels"));
	/* bare repeated groups add two type levels each: caught by the type depth */
	for (size_t i = 1; i < 40; i++)
		e[i].num_children = 1;
	e[40].type = SL_PQ_INT32;
	e[40].num_children = 0;
	assert_int_equal(sl_pq_schema_from_elems(e, 41, &s, &err), SL_ECORRUPT);
	if (!strstr(err.msg, "its type nests deeper than 64 levels"))
		fail_msg("%s", err.msg);
	free(e);

	/* SL_PQ_MAX_COLUMNS leaves are fine (and fast), one more is not */
	n = SL_PQ_MAX_COLUMNS + 2;
	e = calloc(n, sizeof(*e));
	char *names = malloc(n * 8);
	for (size_t i = 0; i < n; i++) {
		e[i].type = i ? SL_PQ_BOOLEAN : -1;
		e[i].repetition = i ? SL_PQ_REQUIRED : -1;
		e[i].name.len = (uint32_t)snprintf(names + 8 * i, 8, "%zx", i);
		e[i].name.p = (const uint8_t *)names + 8 * i;
		e[i].converted = SL_PQ_CT_NONE;
	}
	e[0].num_children = SL_PQ_MAX_COLUMNS;
	assert_int_equal(sl_pq_schema_from_elems(e, n - 1, &s, &err), 0);
	assert_int_equal(s->n_leaves, SL_PQ_MAX_COLUMNS);
	assert_ptr_equal(sl_pq_schema_find(s, "186a0"), s->leaves[SL_PQ_MAX_COLUMNS - 1]);
	sl_pq_schema_free(s);
	e[0].num_children = SL_PQ_MAX_COLUMNS + 1;
	assert_int_equal(sl_pq_schema_from_elems(e, n, &s, &err), SL_ECORRUPT);
	assert_non_null(strstr(err.msg, "element 100001 (\"186a1\"): more than 100000 columns"));
	free(e);
	free(names);
}

/* Random damage to valid element arrays: refused with a message or read consistently,
 * never a crash (the sanitizer build checks memory). */
static void test_reader_mutations(void **state)
{
	(void)state;
	struct tg_rng r = {0xBADC0DEu};
	int accepted = 0, refused = 0;
	for (int i = 0; i < 3000; i++) {
		struct sl_type *t = tg_struct(&r, 4, false);
		struct sl_pq_schema *w = NULL, *rd = NULL;
		struct sl_pq_schema_elem *e;
		size_t n;
		assert_int_equal(sl_pq_schema_from_type(t, &w, NULL), 0);
		assert_int_equal(sl_pq_schema_to_elems(w, &e, &n, NULL), 0);
		for (int k = 1 + (int)tg_below(&r, 3); k > 0; k--) {
			struct sl_pq_schema_elem *x = &e[tg_below(&r, (uint32_t)n)];
			int32_t v = (int32_t)tg_below(&r, 24) - 4;
			switch (tg_below(&r, 9)) {
			case 0: x->num_children = v; break;
			case 1: x->type = v % 9; break;
			case 2: x->repetition = v % 4; break;
			case 3: x->converted = v; break;
			case 4: x->logical.kind = (enum sl_pq_logical)(v < 0 ? 1000 : v); break;
			case 5: x->type_length = v; break;
			case 6: x->precision = v; x->logical.precision = v; break;
			case 7: x->scale = v; x->logical.scale = v; break;
			default: x->logical.bit_width = (int8_t)v; x->logical.unit = (uint8_t)(v & 3);
			}
		}
		struct sl_err err = {0};
		size_t cut = tg_below(&r, 8) == 0 ? tg_below(&r, (uint32_t)n + 1) : n;
		int rc = sl_pq_schema_from_elems(e, cut, &rd, &err);
		if (rc == 0) {
			check_schema(rd);
			struct sl_buf b;
			sl_buf_init(&b, 0);
			assert_int_equal(sl_pq_schema_format(rd, &b), 0);
			assert_int_equal(sl_type_format(rd->root->type, &b), 0);
			sl_buf_release(&b);
			accepted++;
		} else {
			assert_int_equal(rc, SL_ECORRUPT);
			assert_null(rd);
			assert_true(strstr(err.msg, "Parquet schema") == err.msg);
			refused++;
		}
		sl_pq_schema_free(rd);
		sl_pq_schema_free(w);
		sl_type_free(t);
		free(e);
	}
	/* both outcomes happen often enough for the test to mean something */
	assert_true(accepted > 300);
	assert_true(refused > 300);
}

/* ---- lookup -------------------------------------------------------------------------- */

static void test_find(void **state)
{
	(void)state;
	struct sl_pq_schema *s =
		write_ok("struct<player:struct<id:int64,\"a.b\":struct<c:int8>,a:struct<x:int8>>,"
			 "items:list<struct<sku:string,n:list<struct<q:int32>>>>,"
			 "attrs:map<string,struct<v:double>>,tags:list<string>>");
	static const struct {
		const char *path, *leaf_path; /* NULL: not found; "": a group */
	} cases[] = {
		{"player", ""},
		{"player.id", "player.id"},
		{"player.a.b.c", "player.a.b.c"}, /* a name with a dot */
		{"player.a.x", "player.a.x"},
		{"player.a.b", ""},
		{"player.a", ""},
		{"items", ""},
		{"items.sku", "items.list.element.sku"},
		{"items.n.q", "items.list.element.n.list.element.q"},
		{"attrs.v", "attrs.key_value.value.v"},
		{"tags", ""},
		{"player.nope", NULL},
		{"player.", NULL},
		{"player.id.x", NULL},
		{"tags.element", NULL},
		{"items.list", NULL},
		{"", NULL},
		{"nope", NULL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct sl_pq_node *n = sl_pq_schema_find(s, cases[i].path);
		if (!cases[i].leaf_path) {
			if (n)
				fail_msg("found %s", cases[i].path);
			continue;
		}
		if (!n)
			fail_msg("not found: %s", cases[i].path);
		if (!*cases[i].leaf_path) {
			assert_false(n->is_leaf);
			continue;
		}
		assert_true(n->is_leaf);
		struct sl_buf b;
		sl_buf_init(&b, 0);
		assert_int_equal(sl_pq_node_path(n, &b), 0);
		assert_string_equal(b.data, cases[i].leaf_path);
		sl_buf_release(&b);
	}
	sl_pq_schema_free(s);
	/* through legacy forms: a bare repeated group, a two-level list, a key-only map */
	s = read_ok("message m { repeated group r { required int32 a; } optional group l "
		    "(LIST) { repeated group array { required int32 b; } } optional group k "
		    "(MAP) { repeated group key_value { required group key { required int32 c; "
		    "} } } }");
	assert_string_equal(sl_pq_schema_find(s, "r.a")->name, "a");
	assert_string_equal(sl_pq_schema_find(s, "l.b")->name, "b");
	assert_string_equal(sl_pq_schema_find(s, "k.c")->name, "c");
	assert_null(sl_pq_schema_find(s, "l.array"));
	sl_pq_schema_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_writer_mapping),
		cmocka_unit_test(test_writer_refuses),
		cmocka_unit_test(test_roundtrip_random),
		cmocka_unit_test(test_reader_annotations),
		cmocka_unit_test(test_reader_lists),
		cmocka_unit_test(test_reader_maps),
		cmocka_unit_test(test_reader_corpus_files),
		cmocka_unit_test(test_reader_refuses),
		cmocka_unit_test(test_reader_refuses_raw),
		cmocka_unit_test(test_reader_limits),
		cmocka_unit_test(test_reader_mutations),
		cmocka_unit_test(test_find),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
