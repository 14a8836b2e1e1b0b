/*
 * fuzz_types.c - libFuzzer harness for the type system's parsers of untrusted input.
 * For any bytes:
 *   1. as the text form (catalog rows, command lines): a parse error has a message with
 *      the byte offset; a parsed type prints, parses back equal and prints the same
 *      again; its copy is equal; a struct the Parquet writer maps comes back equal
 *      through schema elements and the reader;
 *   2. as a JSON Schema: a refusal has a message; a type is a struct whose text form
 *      parses back equal;
 *   3. when the first byte is 0x01, the rest as Parquet schema elements (8 bytes each):
 *      a refusal is SL_ECORRUPT with a message; a schema has consistent levels, and its
 *      elements read back to the same type, whose text form parses back equal (so the
 *      catalog can store every type a file has);
 *   4. when the first byte is 0x02, the rest as two text forms a and b separated by a
 *      newline: merging (types/merge.h) is idempotent (a + a is a, with no change),
 *      commutative up to field order, absorbing (a + b, merged with a or b again, is
 *      itself, with no change), and its changes have bounded, valid texts.
 * Any broken promise aborts. Never a crash, a leak or a hang.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/json.h"
#include "parquet/schema.h"
#include "types/merge.h"
#include "types/types.h"
#include "util/utf8.h"

static void die(const char *what)
{
	fprintf(stderr, "fuzz_types: %s\n", what);
	abort();
}

static char *text_of(const struct sl_type *t)
{
	struct sl_buf b;
	sl_buf_init(&b, 0);
	if (sl_type_format(t, &b) != 0)
		die("format failed");
	return b.data;
}

/* The text form of t parses back to an equal type that prints the same. */
static void check_text(const struct sl_type *t)
{
	char *s = text_of(t);
	struct sl_err err = {0};
	struct sl_type *t2 = sl_type_parse(s, strlen(s), &err);
	if (!t2) {
		fprintf(stderr, "%s\n%s\n", s, err.msg);
		die("a printed type does not parse");
	}
	if (!sl_type_equal(t, t2))
		die("a printed type parses to another type");
	char *s2 = text_of(t2);
	if (strcmp(s, s2) != 0)
		die("printing is not canonical");
	struct sl_type *c = sl_type_clone(t);
	if (!c || !sl_type_equal(t, c))
		die("clone differs");
	struct sl_buf j;
	sl_buf_init(&j, 0);
	if (sl_type_to_json(t, &j) != 0)
		die("to_json failed");
	char name[64];
	if (!sl_type_kind_name(t, name, sizeof(name))[0])
		die("no kind name");
	sl_buf_release(&j);
	sl_type_free(c);
	sl_type_free(t2);
	free(s);
	free(s2);
}

/* Levels follow the repetitions; leaves are listed in order. */
static void check_levels(const struct sl_pq_schema *s, const struct sl_pq_node *n,
			 size_t *leaf)
{
	int def = 0, rep = 0;
	for (const struct sl_pq_node *a = n; a->parent; a = a->parent) {
		def += a->repetition != SL_PQ_REQUIRED;
		rep += a->repetition == SL_PQ_REPEATED;
	}
	if (n->def_level != def || n->rep_level != rep || !n->type)
		die("bad levels or no type");
	if (n->is_leaf && (*leaf >= s->n_leaves || s->leaves[(*leaf)++] != n))
		die("leaves out of order");
	for (size_t i = 0; i < n->n_children; i++) {
		if (n->children[i]->parent != n)
			die("bad parent");
		check_levels(s, n->children[i], leaf);
	}
}

/* A schema read from elements: consistent, and its elements read back the same. */
static void check_read(const struct sl_pq_schema *s)
{
	size_t leaf = 0;
	check_levels(s, s->root, &leaf);
	if (leaf != s->n_leaves)
		die("leaf count");
	struct sl_pq_schema_elem *e;
	size_t n;
	struct sl_pq_schema *again = NULL;
	struct sl_err err = {0};
	if (sl_pq_schema_to_elems(s, &e, &n, &err) != 0 ||
	    sl_pq_schema_from_elems(e, n, &again, &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		die("a schema's own elements are refused");
	}
	if (!sl_type_equal(s->root->type, again->root->type))
		die("a schema's own elements read as another type");
	struct sl_buf b;
	sl_buf_init(&b, 0);
	if (sl_pq_schema_format(s, &b) != 0)
		die("schema format failed");
	sl_buf_release(&b);
	sl_pq_schema_free(again);
	free(e);
	check_text(s->root->type);
}

static void fuzz_text(const char *s, size_t len)
{
	struct sl_err err = {0};
	struct sl_type *t = sl_type_parse(s, len, &err);
	if (!t) {
		if ((err.code != SL_EINVAL && err.code != SL_ELIMIT) ||
		    !strstr(err.msg, "at byte "))
			die("a parse error without a code or an offset");
		return;
	}
	check_text(t);
	struct sl_pq_schema *w = NULL, *r = NULL;
	if (t->kind == SL_T_STRUCT) {
		if (sl_pq_schema_from_type(t, &w, &err) == 0) {
			struct sl_pq_schema_elem *e;
			size_t n;
			if (sl_pq_schema_to_elems(w, &e, &n, &err) != 0 ||
			    sl_pq_schema_from_elems(e, n, &r, &err) != 0) {
				fprintf(stderr, "%s\n", err.msg);
				die("the reader refuses what the writer wrote");
			}
			struct sl_type *want = sl_type_clone(t);
			want->nullable = false;
			if (!sl_type_equal(want, r->root->type))
				die("the reader reads another type than the writer wrote");
			check_read(r);
			sl_type_free(want);
			free(e);
		} else if ((err.code != SL_EINVAL && err.code != SL_ELIMIT) || !err.msg[0]) {
			die("the writer refuses without a reason");
		}
	}
	sl_pq_schema_free(w);
	sl_pq_schema_free(r);
	sl_type_free(t);
}

static void fuzz_jsonschema(const char *s, size_t len)
{
	struct sl_json_limits lim;
	sl_json_limits_default(&lim);
	lim.max_depth = 128;
	struct sl_json_error je;
	struct sl_json_node *tree = sl_json_tree_parse(s, len, &lim, &je);
	if (!tree)
		return;
	struct sl_err err = {0};
	struct sl_type *t = sl_type_from_jsonschema(tree, &err);
	if (!t) {
		if (!err.msg[0] || err.code >= 0)
			die("a schema refused without a reason");
	} else {
		if (t->kind != SL_T_STRUCT)
			die("a schema maps to something else than a struct");
		check_text(t);
	}
	sl_type_free(t);
	sl_json_tree_free(tree);
}

static void fuzz_elems(const uint8_t *d, size_t size)
{
	static const char *const names[] = {"a", "b", "a", "list", "element", "array",
					    "key_value", "key", "value", "a_tuple", "", "x.y",
					    "\xff", "m"};
	static const enum sl_pq_logical lts[] = {
		SL_PQ_LT_NONE, SL_PQ_LT_STRING, SL_PQ_LT_MAP, SL_PQ_LT_LIST, SL_PQ_LT_ENUM,
		SL_PQ_LT_DECIMAL, SL_PQ_LT_DATE, SL_PQ_LT_TIME, SL_PQ_LT_TIMESTAMP,
		SL_PQ_LT_INTEGER, SL_PQ_LT_UNKNOWN, SL_PQ_LT_JSON, SL_PQ_LT_BSON, SL_PQ_LT_UUID,
		SL_PQ_LT_FLOAT16, SL_PQ_LT_VARIANT, SL_PQ_LT_GEOMETRY, SL_PQ_LT_GEOGRAPHY,
		SL_PQ_LT_OTHER, SL_PQ_LT_NONE};
	size_t n = size / 8;
	if (n == 0)
		return;
	struct sl_pq_schema_elem *e = calloc(n, sizeof(*e));
	if (!e)
		return;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *b = d + 8 * i;
		struct sl_pq_schema_elem *x = &e[i];
		x->type = b[0] % 10 - 1;
		x->repetition = b[1] % 5 - 1;
		x->num_children = (int8_t)b[2];
		x->converted = b[3] % 24 - 1;
		x->logical.kind = lts[b[4] % 20];
		x->logical.bit_width = (int8_t)(8 << (b[5] & 3));
		x->logical.is_signed = b[5] & 4;
		x->logical.unit = (uint8_t)((b[5] >> 3) & 3);
		x->logical.utc_adjusted = b[5] & 32;
		x->type_length = b[6] == 0x7f ? (1 << 26) + 1 : (int8_t)b[6];
		x->precision = x->logical.precision = b[7] >> 2;
		x->scale = x->logical.scale = b[7] & 7;
		const char *nm = names[(b[7] ^ b[5] ^ b[2]) % (sizeof(names) / sizeof(names[0]))];
		x->name.p = (const uint8_t *)nm;
		x->name.len = (uint32_t)strlen(nm);
		x->field_id = -1;
	}
	struct sl_pq_schema *s = NULL;
	struct sl_err err = {0};
	int rc = sl_pq_schema_from_elems(e, n, &s, &err);
	if (rc == 0)
		check_read(s);
	else if (rc != SL_ECORRUPT || !strstr(err.msg, "Parquet schema"))
		die("elements refused without SL_ECORRUPT and a message");
	sl_pq_schema_free(s);
	free(e);
}

/* Equal but for the order of struct fields. */
static bool equal_unordered(const struct sl_type *a, const struct sl_type *b)
{
	if (!a || !b)
		return a == b;
	if (a->kind != b->kind || a->nullable != b->nullable)
		return false;
	if (a->kind == SL_T_STRUCT) {
		if (a->n_fields != b->n_fields)
			return false;
		for (size_t i = 0; i < a->n_fields; i++) {
			const struct sl_field *f = sl_type_field(b, a->fields[i].name);
			if (!f || !equal_unordered(a->fields[i].type, f->type))
				return false;
		}
		return true;
	}
	if (a->kind == SL_T_LIST || a->kind == SL_T_MAP)
		return equal_unordered(a->key, b->key) && equal_unordered(a->elem, b->elem);
	return sl_type_equal(a, b);
}

/* merge(x, y) must be want (NULL: anything) with no change; returns it. */
static struct sl_type *merge_checked(const struct sl_type *x, const struct sl_type *y,
				     const struct sl_merge_opts *o, const struct sl_type *want)
{
	struct sl_type_changes ch = {0};
	struct sl_err err = {0};
	struct sl_type *r = sl_type_merge(x, y, o, &ch, &err);
	if (!r) {
		fprintf(stderr, "%s\n", err.msg);
		die("merging two parsed types failed");
	}
	if (want && (!sl_type_equal(r, want) || ch.n || ch.dropped))
		die("merging a type that is already joined changes it");
	for (size_t i = 0; i < ch.n; i++) {
		const struct sl_type_change *c = &ch.v[i];
		if ((c->path[0] && c->path[0] != '/') || strlen(c->from) > 63 ||
		    strlen(c->to) > 63 || !sl_utf8_valid(c->from, strlen(c->from), NULL) ||
		    !sl_utf8_valid(c->to, strlen(c->to), NULL) ||
		    !sl_change_kind_name(c->kind)[0])
			die("a change with a bad path or text");
	}
	sl_type_changes_release(&ch);
	return r;
}

static void fuzz_merge(const char *s, size_t len)
{
	const char *nl = memchr(s, '\n', len);
	if (!nl)
		return;
	struct sl_err err = {0};
	struct sl_type *a = sl_type_parse(s, (size_t)(nl - s), &err);
	struct sl_type *b = sl_type_parse(nl + 1, len - (size_t)(nl - s) - 1, &err);
	if (a && b) {
		struct sl_merge_opts o;
		sl_merge_opts_default(&o);
		o.max_struct_fields = SIZE_MAX; /* else a + a turns a wide struct into a map */
		o.conflict_kind = len % 2 ? SL_T_STRING : SL_T_JSON;
		sl_type_free(merge_checked(a, a, &o, a));
		struct sl_type *ab = merge_checked(a, b, &o, NULL);
		struct sl_type *ba = merge_checked(b, a, &o, NULL);
		if (!equal_unordered(ab, ba))
			die("merging is not commutative");
		sl_type_free(merge_checked(ab, a, &o, ab));
		sl_type_free(merge_checked(ab, b, &o, ab));
		check_text(ab);
		o.add_only = true;
		sl_type_free(merge_checked(a, b, &o, NULL));
		sl_type_free(ab);
		sl_type_free(ba);
	}
	sl_type_free(a);
	sl_type_free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 0 && data[0] == 0x02) {
		fuzz_merge((const char *)data + 1, size - 1);
		return 0;
	}
	if (size > 0 && data[0] == 0x01) {
		fuzz_elems(data + 1, size - 1);
		return 0;
	}
	fuzz_text((const char *)data, size);
	fuzz_jsonschema((const char *)data, size);
	return 0;
}
