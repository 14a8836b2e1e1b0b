/*
 * merge.c - the join of two types by the inference lattice (merge.h, docs/types.md
 * "Merging"), and the list of changes from the first type to the join.
 *
 * Promises:
 *   1. The result is a new tree; a and b are only read.
 *   2. Joining is commutative up to the order of struct fields, and idempotent:
 *      merge(a, a) equals a and reports no change (for structs within max_struct_fields).
 *   3. Every struct field is found through sl_type_field and added through
 *      sl_type_add_field, both O(1): a merge costs time linear in the two trees, however
 *      wide their structs are.
 *   4. Both trees are checked first (depth at most SL_TYPE_MAX_DEPTH, lists and maps
 *      complete), so every later recursion is bounded by that depth.
 *   5. At most changes->max changes are kept; the rest are only counted, so a hostile
 *      type costs bounded memory for its report.
 */
#include "types/merge.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/utf8.h"

#define CHANGES_MAX_DEFAULT 1000
#define TEXT_CAP 64 /* sizeof(struct sl_type_change.from) */

const char *sl_change_kind_name(enum sl_change_kind k)
{
	switch (k) {
	case SL_CHANGE_ADDED: return "column_added";
	case SL_CHANGE_NULLABLE: return "nullable";
	case SL_CHANGE_WIDENED: return "type_widened";
	case SL_CHANGE_CONFLICT: return "type_conflict";
	case SL_CHANGE_TO_MAP: return "map_detected";
	}
	return "unknown";
}

void sl_merge_opts_default(struct sl_merge_opts *o)
{
	o->conflict_kind = SL_T_STRING;
	o->max_struct_fields = 1000;
	o->add_only = false;
}

void sl_type_changes_release(struct sl_type_changes *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i].path);
	free(c->v);
	c->v = NULL;
	c->n = c->cap = 0;
	c->dropped = 0;
}

/* ---- one merge ----------------------------------------------------------------------- */

struct mctx {
	enum sl_type_kind conflict_kind;
	size_t max_fields;
	bool add_only;
	struct sl_type_changes *ch; /* NULL: nothing is reported (joins of map values) */
	struct sl_err *err;
	/* The path of the node being merged: one segment per level (a field name, or "*"
	 * for a list element or a map value); seg[0] is the root's (unused). The pointer
	 * text is only built when a change is kept. */
	const char *seg[SL_TYPE_MAX_DEPTH + 2];
};

static struct sl_type *nomem(struct mctx *m)
{
	sl_err_set(m->err, SL_ENOMEM, "type merge: out of memory");
	return NULL;
}

/* Checks a whole tree before anything recurses over it: bounded depth (the text form's
 * rule: the root is level 1) and complete lists and maps. */
static int check_tree(const struct sl_type *t, int depth, struct sl_err *err)
{
	if (depth > SL_TYPE_MAX_DEPTH)
		return sl_err_set(err, SL_ELIMIT, "type merge: a type nested deeper than %d levels",
				  SL_TYPE_MAX_DEPTH);
	if ((t->kind == SL_T_LIST && !t->elem) || (t->kind == SL_T_MAP && (!t->key || !t->elem)))
		return sl_err_set(err, SL_EINVAL, "type merge: a list or map without its types");
	for (size_t i = 0; i < t->n_fields; i++) {
		int rc = check_tree(t->fields[i].type, depth + 1, err);
		if (rc)
			return rc;
	}
	if (t->key) {
		int rc = check_tree(t->key, depth + 1, err);
		if (rc)
			return rc;
	}
	return t->elem ? check_tree(t->elem, depth + 1, err) : 0;
}

/* The text form cut at TEXT_CAP - 1 bytes, on a UTF-8 boundary. The buffer's cap makes
 * formatting stop early, so a 100,000-field struct costs a few hundred bytes here. */
static int short_text(const struct sl_type *t, char out[TEXT_CAP])
{
	struct sl_buf b;
	int rc;

	out[0] = '\0';
	if (!t)
		return 0;
	sl_buf_init(&b, 4 * TEXT_CAP);
	rc = sl_type_format(t, &b);
	if (rc == SL_ENOMEM) {
		sl_buf_release(&b);
		return rc;
	}
	/* SL_ELIMIT: what fitted is a prefix of the text, which is all we keep anyway */
	size_t n = 0;
	while (b.data && n < b.len) {
		size_t k = sl_utf8_valid_prefix(b.data + n, b.len - n);
		if (k == 0 || n + k > TEXT_CAP - 1)
			break;
		n += k;
	}
	if (n)
		memcpy(out, b.data, n);
	out[n] = '\0';
	sl_buf_release(&b);
	return 0;
}

/* The JSON pointer of the current node (depth levels deep: seg[1..depth-1]). */
static char *path_text(const struct mctx *m, int depth)
{
	size_t len = 0;
	for (int d = 1; d < depth; d++) {
		len += 1;
		for (const char *s = m->seg[d]; *s; s++)
			len += (*s == '~' || *s == '/') ? 2 : 1;
	}
	char *p = malloc(len + 1), *o = p;
	if (!p)
		return NULL;
	for (int d = 1; d < depth; d++) {
		*o++ = '/';
		for (const char *s = m->seg[d]; *s; s++) {
			if (*s == '~' || *s == '/') {
				*o++ = '~';
				*o++ = *s == '~' ? '0' : '1';
			} else {
				*o++ = *s;
			}
		}
	}
	*o = '\0';
	return p;
}

/* Appends a change at the current node; *slot gets its index (SIZE_MAX when it was not
 * kept) so that `to` can be filled once the merged node exists. */
static int record(struct mctx *m, int depth, enum sl_change_kind kind,
		  const struct sl_type *from, bool applied, size_t *slot)
{
	struct sl_type_changes *c = m->ch;

	if (slot)
		*slot = SIZE_MAX;
	if (!c)
		return 0;
	size_t max = c->max ? c->max : CHANGES_MAX_DEFAULT;
	if (c->n >= max) {
		c->dropped++;
		return 0;
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 16;
		struct sl_type_change *v = realloc(c->v, cap * sizeof(*v));
		if (!v)
			return SL_ENOMEM;
		c->v = v;
		c->cap = cap;
	}
	struct sl_type_change *e = &c->v[c->n];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->applied = applied;
	if (!(e->path = path_text(m, depth)))
		return SL_ENOMEM;
	if (short_text(from, e->from) != 0) {
		free(e->path);
		return SL_ENOMEM;
	}
	if (slot)
		*slot = c->n;
	c->n++;
	return 0;
}

static int fill_to(struct mctx *m, size_t slot, const struct sl_type *to)
{
	if (slot == SIZE_MAX)
		return 0;
	return short_text(to, m->ch->v[slot].to);
}

/* ---- joining scalars ----------------------------------------------------------------- */

static bool is_composite(enum sl_type_kind k)
{
	return k == SL_T_STRUCT || k == SL_T_LIST || k == SL_T_MAP;
}

static bool is_number(enum sl_type_kind k)
{
	return k == SL_T_INT || k == SL_T_FLOAT || k == SL_T_DOUBLE || k == SL_T_DECIMAL;
}

/* Kinds whose JSON form is a string (types.h), so that a string column holds them all. */
static bool is_stringish(enum sl_type_kind k)
{
	return k == SL_T_STRING || k == SL_T_DATE || k == SL_T_TIME || k == SL_T_TIMESTAMP ||
	       k == SL_T_UUID;
}

/* Decimal digits an integer type needs (int8: 3, ..., uint64: 20). */
static int int_digits(const struct sl_type *t)
{
	switch (t->bits) {
	case 8: return 3;
	case 16: return 5;
	case 32: return 10;
	default: return t->is_unsigned ? 20 : 19;
	}
}

static void join_ints(const struct sl_type *a, const struct sl_type *b, struct sl_type *out)
{
	if (a->is_unsigned == b->is_unsigned) {
		out->kind = SL_T_INT;
		out->is_unsigned = a->is_unsigned;
		out->bits = a->bits > b->bits ? a->bits : b->bits;
		return;
	}
	/* A signed type holds an unsigned one of half its bits. */
	const struct sl_type *s = a->is_unsigned ? b : a, *u = a->is_unsigned ? a : b;
	unsigned need = 2u * u->bits > s->bits ? 2u * u->bits : s->bits;
	if (need > 64) {
		out->kind = SL_T_DOUBLE;
		return;
	}
	out->kind = SL_T_INT;
	out->is_unsigned = false;
	out->bits = (uint8_t)need;
}

/* Both are decimal or int (at least one decimal): the decimal holding both, else double. */
static void join_decimals(const struct sl_type *a, const struct sl_type *b,
			  struct sl_type *out)
{
	int pa = a->kind == SL_T_DECIMAL ? a->precision : int_digits(a);
	int sa = a->kind == SL_T_DECIMAL ? a->scale : 0;
	int pb = b->kind == SL_T_DECIMAL ? b->precision : int_digits(b);
	int sb = b->kind == SL_T_DECIMAL ? b->scale : 0;
	int scale = sa > sb ? sa : sb;
	int whole = pa - sa > pb - sb ? pa - sa : pb - sb;
	if (whole + scale > 38) {
		out->kind = SL_T_DOUBLE;
		return;
	}
	out->kind = SL_T_DECIMAL;
	out->precision = (uint8_t)(whole + scale);
	out->scale = (uint8_t)scale;
}

/* A leaf's kind and parameters as sl_type_new sets them (only ever read, never freed). */
static void shape_init(struct sl_type *t, enum sl_type_kind kind)
{
	memset(t, 0, sizeof(*t));
	t->kind = kind;
	t->bits = 64;
	t->precision = 38;
	t->unit = SL_TU_MICROS;
}

/* The join of two types that are not both structs, lists or maps (nor a map and a
 * struct), in *out (kind and parameters only). False: they have no join. */
static bool join_leaf(const struct sl_type *a, const struct sl_type *b, struct sl_type *out)
{
	shape_init(out, SL_T_JSON);
	/* json holds any value: the top of the lattice */
	if (a->kind == SL_T_JSON || b->kind == SL_T_JSON) {
		out->kind = SL_T_JSON;
		return true;
	}
	if (is_composite(a->kind) || is_composite(b->kind))
		return false;
	if (a->kind == b->kind) {
		out->kind = a->kind;
		switch (a->kind) {
		case SL_T_INT:
			join_ints(a, b, out);
			break;
		case SL_T_DECIMAL:
			join_decimals(a, b, out);
			break;
		case SL_T_STRING:
			out->is_enum = a->is_enum && b->is_enum;
			break;
		case SL_T_BINARY:
			out->fixed_len = a->fixed_len == b->fixed_len ? a->fixed_len : 0;
			break;
		case SL_T_TIME:
		case SL_T_TIMESTAMP:
			out->unit = a->unit > b->unit ? a->unit : b->unit;
			break;
		default:
			break;
		}
		return true;
	}
	if (is_number(a->kind) && is_number(b->kind)) {
		if (a->kind == SL_T_INT && b->kind == SL_T_DECIMAL)
			join_decimals(a, b, out);
		else if (a->kind == SL_T_DECIMAL && b->kind == SL_T_INT)
			join_decimals(a, b, out);
		else
			out->kind = SL_T_DOUBLE; /* float, double, int + float, decimal + float */
		return true;
	}
	if (is_stringish(a->kind) && is_stringish(b->kind)) {
		out->kind = SL_T_STRING;
		return true;
	}
	return false;
}

/* Same kind and parameters (children and nullability aside). */
static bool same_leaf(const struct sl_type *a, const struct sl_type *b)
{
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case SL_T_INT: return a->bits == b->bits && a->is_unsigned == b->is_unsigned;
	case SL_T_DECIMAL: return a->precision == b->precision && a->scale == b->scale;
	case SL_T_STRING: return a->is_enum == b->is_enum;
	case SL_T_BINARY: return a->fixed_len == b->fixed_len;
	case SL_T_TIME:
	case SL_T_TIMESTAMP: return a->unit == b->unit;
	default: return true;
	}
}

static struct sl_type *leaf_new(struct mctx *m, const struct sl_type *shape, bool nullable)
{
	struct sl_type *t = sl_type_new(shape->kind, nullable);
	if (!t)
		return nomem(m);
	t->bits = shape->bits;
	t->is_unsigned = shape->is_unsigned;
	t->precision = shape->precision;
	t->scale = shape->scale;
	t->unit = shape->unit;
	t->is_enum = shape->is_enum;
	t->fixed_len = shape->fixed_len;
	return t;
}

static struct sl_type *clone_nullable(struct mctx *m, const struct sl_type *t, bool nullable)
{
	struct sl_type *c = sl_type_clone(t); /* depth checked by check_tree */
	if (!c)
		return nomem(m);
	c->nullable = nullable;
	return c;
}

/* ---- the recursion ------------------------------------------------------------------- */

static struct sl_type *merge_node(struct mctx *m, const struct sl_type *a,
				  const struct sl_type *b, int depth);

/* Joins *v (NULL: nothing yet) with t, silently (no changes, not add_only). */
static int join_into(struct mctx *m, struct sl_type **v, const struct sl_type *t, int depth)
{
	if (!*v) {
		*v = clone_nullable(m, t, t->nullable);
		return *v ? 0 : SL_ENOMEM;
	}
	struct sl_type_changes *ch = m->ch;
	bool add_only = m->add_only;
	m->ch = NULL;
	m->add_only = false;
	struct sl_type *j = merge_node(m, *v, t, depth);
	m->ch = ch;
	m->add_only = add_only;
	if (!j)
		return m->err ? m->err->code : SL_ENOMEM;
	sl_type_free(*v);
	*v = j;
	return 0;
}

/* Joins the values side x would have as a map (a struct's field types, or a map's
 * value) into *v. */
static int join_values(struct mctx *m, struct sl_type **v, const struct sl_type *x, int depth)
{
	if (x->kind == SL_T_MAP)
		return join_into(m, v, x->elem, depth);
	for (size_t i = 0; i < x->n_fields; i++) {
		int rc = join_into(m, v, x->fields[i].type, depth);
		if (rc)
			return rc;
	}
	return 0;
}

/* a and b are a struct and a map, or two structs whose union has too many fields: the
 * result is map<key, every value joined>. */
static struct sl_type *merge_to_map(struct mctx *m, const struct sl_type *a,
				    const struct sl_type *b, bool nullable, int depth)
{
	struct sl_type *r = NULL, *v = NULL, *bv = NULL;
	size_t slot;

	if (a->kind == SL_T_MAP) {
		/* a stays a map: b's fields are joined into one value first, so that the
		 * changes of a's value are reported at the value's path ("*") as for map + map */
		if (join_values(m, &bv, b, depth + 1) != 0)
			goto fail;
		if (!bv) /* an empty struct brings no value */
			return clone_nullable(m, a, nullable);
		m->seg[depth] = "*";
		if (!(v = merge_node(m, a->elem, bv, depth + 1)))
			goto fail;
		if (!(r = sl_type_new(SL_T_MAP, nullable)) || !(r->key = sl_type_clone(a->key)))
			goto nomem;
		r->elem = v;
		sl_type_free(bv);
		return r;
	}
	/* a is a struct that becomes a map */
	if (record(m, depth, SL_CHANGE_TO_MAP, a, !m->add_only, &slot) != 0)
		goto nomem;
	/* Each side is folded on its own and the two folds joined, so that merge(b, a)
	 * joins the same two values as merge(a, b) (the join is commutative, but not
	 * associative in every corner: uint32 + int8 + decimal). */
	if (join_values(m, &v, a, depth + 1) != 0 || join_values(m, &bv, b, depth + 1) != 0 ||
	    (bv && join_into(m, &v, bv, depth + 1) != 0))
		goto fail;
	if (!(r = sl_type_new(SL_T_MAP, nullable)))
		goto nomem;
	/* there is a value: a map always has one, and two structs get here only with
	 * more than max_struct_fields (>= 1) fields */
	if (!v && !(v = sl_type_new(SL_T_JSON, true)))
		goto nomem;
	r->elem = v;
	v = NULL;
	r->key = b->kind == SL_T_MAP ? sl_type_clone(b->key) : sl_type_new(SL_T_STRING, false);
	if (!r->key || fill_to(m, slot, r) != 0)
		goto nomem;
	sl_type_free(bv);
	if (m->add_only) {
		sl_type_free(r);
		return clone_nullable(m, a, nullable);
	}
	return r;
nomem:
	nomem(m);
fail:
	sl_type_free(r);
	sl_type_free(v);
	sl_type_free(bv);
	return NULL;
}

static struct sl_type *merge_struct(struct mctx *m, const struct sl_type *a,
				    const struct sl_type *b, bool nullable, int depth)
{
	struct sl_type *r = NULL;
	size_t n_new = 0;

	for (size_t i = 0; i < b->n_fields; i++)
		n_new += sl_type_field(a, b->fields[i].name) == NULL;
	if (a->n_fields + n_new > m->max_fields)
		return merge_to_map(m, a, b, nullable, depth);
	if (!(r = sl_type_new(SL_T_STRUCT, nullable)))
		return nomem(m);
	for (size_t i = 0; i < a->n_fields; i++) {
		const struct sl_field *af = &a->fields[i];
		const struct sl_field *bf = sl_type_field(b, af->name);
		struct sl_type *ft;

		m->seg[depth] = af->name;
		if (bf) {
			ft = merge_node(m, af->type, bf->type, depth + 1);
		} else {
			/* absent from b's records: null there */
			bool was_null = af->type->nullable;
			if (!was_null) {
				size_t slot;
				struct sl_type tmp = *af->type; /* shallow: only formatted */
				tmp.nullable = true;
				if (record(m, depth + 1, SL_CHANGE_NULLABLE, af->type, !m->add_only,
					   &slot) != 0 ||
				    fill_to(m, slot, &tmp) != 0)
					goto nomem;
			}
			ft = clone_nullable(m, af->type, m->add_only ? was_null : true);
		}
		if (!ft || sl_type_add_field(r, af->name, ft, m->err) != 0)
			goto fail;
	}
	for (size_t i = 0; i < b->n_fields && n_new; i++) {
		const struct sl_field *bf = &b->fields[i];
		struct sl_type *ft;
		size_t slot;

		if (sl_type_field(a, bf->name))
			continue;
		m->seg[depth] = bf->name;
		/* a new field is null in a's records */
		if (record(m, depth + 1, SL_CHANGE_ADDED, NULL, true, &slot) != 0 ||
		    fill_to(m, slot, bf->type) != 0)
			goto nomem;
		if (!(ft = clone_nullable(m, bf->type, true)) ||
		    sl_type_add_field(r, bf->name, ft, m->err) != 0)
			goto fail;
	}
	return r;
nomem:
	nomem(m);
fail:
	sl_type_free(r);
	return NULL;
}

static struct sl_type *merge_map(struct mctx *m, const struct sl_type *a,
				 const struct sl_type *b, bool nullable, int depth)
{
	struct sl_type *r = NULL, *key = NULL;
	struct sl_type shape;
	size_t slot;

	if (!(r = sl_type_new(SL_T_MAP, nullable)))
		goto nomem;
	/* Keys have no pointer of their own: a key that changes is reported at the map's
	 * path, before the changes of its values. */
	if (join_into(m, &key, a->key, depth + 1) != 0 || join_into(m, &key, b->key, depth + 1) != 0)
		goto fail;
	key->nullable = a->key->nullable; /* keys are never null: not a change */
	bool key_changed = !sl_type_equal(key, a->key);
	key->nullable = false;
	if (key_changed) {
		bool composite = is_composite(a->key->kind) && is_composite(b->key->kind);
		bool conflict = !composite && !join_leaf(a->key, b->key, &shape);
		struct sl_type tmp = *a; /* shallow: only formatted */
		tmp.key = key;
		if (record(m, depth, conflict ? SL_CHANGE_CONFLICT : SL_CHANGE_WIDENED, a,
			   !m->add_only, &slot) != 0 ||
		    fill_to(m, slot, conflict ? b : &tmp) != 0)
			goto nomem;
		if (m->add_only) {
			sl_type_free(key);
			if (!(key = sl_type_clone(a->key)))
				goto nomem;
		}
	}
	r->key = key;
	key = NULL;
	m->seg[depth] = "*";
	if (!(r->elem = merge_node(m, a->elem, b->elem, depth + 1)))
		goto fail;
	return r;
nomem:
	nomem(m);
fail:
	sl_type_free(key);
	sl_type_free(r);
	return NULL;
}

/* a and b at the same path, depth levels deep (the root is 1). */
static struct sl_type *merge_node(struct mctx *m, const struct sl_type *a,
				  const struct sl_type *b, int depth)
{
	struct sl_type *r = NULL;
	struct sl_type shape;
	bool nullable = a->nullable || b->nullable;
	bool keep_null = m->add_only ? a->nullable : nullable; /* what the result gets */

	/* check_tree bounded both trees; this guards the seg array all the same */
	if (depth > SL_TYPE_MAX_DEPTH) {
		sl_err_set(m->err, SL_ELIMIT, "type merge: a type nested deeper than %d levels",
			   SL_TYPE_MAX_DEPTH);
		return NULL;
	}
	if (nullable && !a->nullable) {
		size_t slot;
		struct sl_type tmp = *a; /* shallow: only formatted */
		tmp.nullable = true;
		if (record(m, depth, SL_CHANGE_NULLABLE, a, !m->add_only, &slot) != 0 ||
		    fill_to(m, slot, &tmp) != 0)
			return nomem(m);
	}

	if (a->kind == SL_T_STRUCT && b->kind == SL_T_STRUCT)
		return merge_struct(m, a, b, keep_null, depth);
	if ((a->kind == SL_T_STRUCT && b->kind == SL_T_MAP) ||
	    (a->kind == SL_T_MAP && b->kind == SL_T_STRUCT))
		return merge_to_map(m, a, b, keep_null, depth);
	if (a->kind == SL_T_LIST && b->kind == SL_T_LIST) {
		if (!(r = sl_type_new(SL_T_LIST, keep_null)))
			return nomem(m);
		m->seg[depth] = "*";
		if (!(r->elem = merge_node(m, a->elem, b->elem, depth + 1))) {
			sl_type_free(r);
			return NULL;
		}
		return r;
	}
	if (a->kind == SL_T_MAP && b->kind == SL_T_MAP)
		return merge_map(m, a, b, keep_null, depth);

	/* everything else joins as leaves, or conflicts */
	bool joins = join_leaf(a, b, &shape);
	if (!joins)
		shape_init(&shape, m->conflict_kind);
	if (same_leaf(a, &shape) && !is_composite(a->kind))
		return clone_nullable(m, a, keep_null); /* also: a already the conflict kind */
	size_t slot;
	if (!(r = leaf_new(m, &shape, nullable)))
		return NULL;
	if (record(m, depth, joins ? SL_CHANGE_WIDENED : SL_CHANGE_CONFLICT, a, !m->add_only,
		   &slot) != 0 ||
	    fill_to(m, slot, joins ? r : b) != 0) {
		sl_type_free(r);
		return nomem(m);
	}
	if (m->add_only) {
		sl_type_free(r);
		return clone_nullable(m, a, keep_null);
	}
	return r;
}

struct sl_type *sl_type_merge(const struct sl_type *a, const struct sl_type *b,
			      const struct sl_merge_opts *opts, struct sl_type_changes *changes,
			      struct sl_err *err)
{
	struct sl_merge_opts def;
	struct mctx m;

	if (!opts) {
		sl_merge_opts_default(&def);
		opts = &def;
	}
	if (!a && !b) {
		sl_err_set(err, SL_EINVAL, "type merge: no type to merge");
		return NULL;
	}
	if ((a && check_tree(a, 1, err) != 0) || (b && check_tree(b, 1, err) != 0))
		return NULL;
	memset(&m, 0, sizeof(m));
	m.conflict_kind = opts->conflict_kind == SL_T_JSON ? SL_T_JSON : SL_T_STRING;
	m.max_fields = opts->max_struct_fields ? opts->max_struct_fields : 1000;
	m.add_only = opts->add_only;
	m.ch = changes;
	m.err = err;
	if (!a || !b) {
		/* nothing yet (or nothing new): a copy, no change */
		struct sl_type *c = sl_type_clone(a ? a : b);
		return c ? c : nomem(&m);
	}
	return merge_node(&m, a, b, 1);
}
