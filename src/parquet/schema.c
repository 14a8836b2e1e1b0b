/*
 * schema.c - Parquet schema trees (see schema.h): built from a sluice row type for the
 * writer, or from a file's schema elements for the reader, and flattened, printed and
 * searched.
 *
 * Promises:
 *   1. Round trip: for every row type the writer accepts, reading back the elements it
 *      writes gives an equal row type (the writer uses only the standard forms).
 *   2. The elements of a file are untrusted. Reading them is two passes: the first
 *      checks the shape (counts, depth, names, physical types, lengths) and builds the
 *      nodes with their levels; the second gives each node its type and role by the
 *      annotations and the backward-compatibility rules of LogicalTypes.md. Every
 *      failure is SL_ECORRUPT naming the element's index and name; recursion is bounded
 *      by SL_PQ_MAX_DEPTH, memory by the number of elements.
 *   3. The row type is owned by the root; every other node borrows the part of it that
 *      it stands for, so a schema costs one type tree however deep it nests.
 */
#include "parquet/schema.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/utf8.h"

/* Decimal digits that a FIXED_LEN_BYTE_ARRAY of n bytes (index) always holds:
 * floor(log10(2^(8n-1) - 1)). */
static const uint8_t flba_digits[17] = {0, 2, 4, 6, 9, 11, 14, 16, 18, 21, 23, 26, 28, 31,
					33, 35, 38};

/* ---- nodes --------------------------------------------------------------------------- */

static void node_free(struct sl_pq_node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n_children; i++)
		node_free(n->children[i]);
	free(n->children);
	free(n->name);
	free(n);
}

void sl_pq_schema_free(struct sl_pq_schema *s)
{
	if (!s)
		return;
	if (s->root)
		sl_type_free(s->root->type);
	node_free(s->root);
	free(s->leaves);
	free(s);
}

/* A node under parent (NULL for the root) with room for n_children; levels follow from
 * the parent's and the repetition. */
static struct sl_pq_node *node_new(const char *name, size_t len, int32_t repetition,
				   struct sl_pq_node *parent, size_t n_children)
{
	struct sl_pq_node *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->name = malloc(len + 1);
	n->children = n_children ? calloc(n_children, sizeof(*n->children)) : NULL;
	if (!n->name || (n_children && !n->children)) {
		node_free(n);
		return NULL;
	}
	if (len)
		memcpy(n->name, name, len);
	n->name[len] = '\0';
	n->repetition = repetition;
	n->phys = -1;
	n->converted = SL_PQ_CT_NONE;
	n->leaf_index = -1;
	n->parent = parent;
	if (parent) {
		n->def_level = (int16_t)(parent->def_level + (repetition != SL_PQ_REQUIRED));
		n->rep_level = (int16_t)(parent->rep_level + (repetition == SL_PQ_REPEATED));
		parent->children[parent->n_children++] = n;
	}
	n->max_def = n->def_level;
	n->max_rep = n->rep_level;
	return n;
}

static int add_leaf(struct sl_pq_schema *s, struct sl_pq_node *n, size_t *cap)
{
	if (s->n_leaves == *cap) {
		size_t c = *cap ? *cap * 2 : 16;
		struct sl_pq_node **l = realloc(s->leaves, c * sizeof(*l));
		if (!l)
			return SL_ENOMEM;
		s->leaves = l;
		*cap = c;
	}
	n->is_leaf = true;
	n->leaf_index = (int)s->n_leaves;
	s->leaves[s->n_leaves++] = n;
	return 0;
}

/* ---- writer: type -> schema ---------------------------------------------------------- */

struct wr {
	struct sl_pq_schema *s;
	size_t cap_leaves;
	int32_t next_index;
	struct sl_err *err;
};

static void set_logical(struct sl_pq_node *n, enum sl_pq_logical kind, int32_t converted)
{
	n->logical.kind = kind;
	n->converted = converted;
}

static int w_leaf(struct wr *w, struct sl_pq_node *n, const struct sl_type *t)
{
	struct sl_pq_logical_type *lt = &n->logical;
	switch (t->kind) {
	case SL_T_BOOL:
		n->phys = SL_PQ_BOOLEAN;
		break;
	case SL_T_INT: {
		static const int32_t conv[2][4] = {
			{SL_PQ_CT_INT_8, SL_PQ_CT_INT_16, SL_PQ_CT_INT_32, SL_PQ_CT_INT_64},
			{SL_PQ_CT_UINT_8, SL_PQ_CT_UINT_16, SL_PQ_CT_UINT_32, SL_PQ_CT_UINT_64}};
		int k = t->bits == 8 ? 0 : t->bits == 16 ? 1 : t->bits == 32 ? 2 : 3;
		n->phys = k == 3 ? SL_PQ_INT64 : SL_PQ_INT32;
		set_logical(n, SL_PQ_LT_INTEGER, conv[t->is_unsigned][k]);
		lt->bit_width = (int8_t)(8 << k);
		lt->is_signed = !t->is_unsigned;
		break;
	}
	case SL_T_FLOAT:
		n->phys = SL_PQ_FLOAT;
		break;
	case SL_T_DOUBLE:
		n->phys = SL_PQ_DOUBLE;
		break;
	case SL_T_DECIMAL:
		if (t->precision <= 9) {
			n->phys = SL_PQ_INT32;
		} else if (t->precision <= 18) {
			n->phys = SL_PQ_INT64;
		} else {
			n->phys = SL_PQ_FIXED_LEN_BYTE_ARRAY;
			n->type_length = 1;
			while (flba_digits[n->type_length] < t->precision)
				n->type_length++;
		}
		set_logical(n, SL_PQ_LT_DECIMAL, SL_PQ_CT_DECIMAL);
		lt->precision = t->precision;
		lt->scale = t->scale;
		break;
	case SL_T_STRING:
		n->phys = SL_PQ_BYTE_ARRAY;
		if (t->is_enum)
			set_logical(n, SL_PQ_LT_ENUM, SL_PQ_CT_ENUM);
		else
			set_logical(n, SL_PQ_LT_STRING, SL_PQ_CT_UTF8);
		break;
	case SL_T_BINARY:
		if (t->fixed_len > SL_PQ_MAX_FIXED_LEN)
			return sl_err_set(w->err, SL_EINVAL,
					  "column \"%.200s\": binary(%u) is longer than the %d "
					  "bytes a fixed-length Parquet column may have here",
					  n->name, (unsigned)t->fixed_len, SL_PQ_MAX_FIXED_LEN);
		n->phys = t->fixed_len ? SL_PQ_FIXED_LEN_BYTE_ARRAY : SL_PQ_BYTE_ARRAY;
		n->type_length = (int32_t)t->fixed_len;
		break;
	case SL_T_DATE:
		n->phys = SL_PQ_INT32;
		set_logical(n, SL_PQ_LT_DATE, SL_PQ_CT_DATE);
		break;
	case SL_T_TIME:
	case SL_T_TIMESTAMP: {
		bool ts = t->kind == SL_T_TIMESTAMP;
		if (t->unit != SL_TU_MILLIS && t->unit != SL_TU_MICROS)
			return sl_err_set(w->err, SL_EINVAL,
					  "column \"%.200s\": %s with nanoseconds can be read but "
					  "not written", n->name, ts ? "timestamp" : "time");
		bool ms = t->unit == SL_TU_MILLIS;
		n->phys = ms && !ts ? SL_PQ_INT32 : SL_PQ_INT64;
		if (ts)
			set_logical(n, SL_PQ_LT_TIMESTAMP,
				    ms ? SL_PQ_CT_TIMESTAMP_MILLIS : SL_PQ_CT_TIMESTAMP_MICROS);
		else
			set_logical(n, SL_PQ_LT_TIME, ms ? SL_PQ_CT_TIME_MILLIS : SL_PQ_CT_TIME_MICROS);
		lt->unit = t->unit;
		/* a timestamp is an instant; a time is a time of day in no zone (engines read
		 * an adjusted TIME as a time with a zone) */
		lt->utc_adjusted = ts;
		break;
	}
	case SL_T_UUID:
		n->phys = SL_PQ_FIXED_LEN_BYTE_ARRAY;
		n->type_length = 16;
		lt->kind = SL_PQ_LT_UUID;
		break;
	case SL_T_JSON:
		n->phys = SL_PQ_BYTE_ARRAY;
		set_logical(n, SL_PQ_LT_JSON, SL_PQ_CT_JSON);
		break;
	default:
		return sl_err_set(w->err, SL_EINVAL, "column \"%.200s\": not a leaf type", n->name);
	}
	if (add_leaf(w->s, n, &w->cap_leaves))
		return sl_err_set(w->err, SL_ENOMEM, "out of memory");
	if (w->s->n_leaves > SL_PQ_MAX_COLUMNS)
		return sl_err_set(w->err, SL_ELIMIT, "more than %d columns", SL_PQ_MAX_COLUMNS);
	return 0;
}

static enum sl_pq_role role_for(const struct sl_type *t)
{
	return t->kind == SL_T_LIST ? SL_PQ_ROLE_LIST
	       : t->kind == SL_T_MAP ? SL_PQ_ROLE_MAP
				     : SL_PQ_ROLE_FIELD;
}

static int w_node(struct wr *w, const char *name, const struct sl_type *t, int32_t rep,
		  struct sl_pq_node *parent, int depth);

/* A plumbing group (list or key_value) under parent. */
static struct sl_pq_node *w_group(struct wr *w, const char *name, struct sl_pq_node *parent,
				  size_t n_children, const struct sl_type *t,
				  enum sl_pq_role role)
{
	struct sl_pq_node *n =
		node_new(name, strlen(name), SL_PQ_REPEATED, parent, n_children);
	if (!n) {
		sl_err_set(w->err, SL_ENOMEM, "out of memory");
		return NULL;
	}
	n->elem_index = w->next_index++;
	n->type = (struct sl_type *)t;
	n->role = role;
	return n;
}

/* The fields of struct t as children of n. */
static int w_fields(struct wr *w, struct sl_pq_node *n, const struct sl_type *t, int depth)
{
	if (t->n_fields == 0)
		return sl_err_set(w->err, SL_EINVAL,
				  "struct \"%.200s\" has no fields (a Parquet group needs at least "
				  "one)", n->name);
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < t->n_fields; i++) {
		const struct sl_type *ft = t->fields[i].type;
		rc = w_node(w, t->fields[i].name, ft,
			    ft->nullable ? SL_PQ_OPTIONAL : SL_PQ_REQUIRED, n, depth + 1);
	}
	return rc;
}

static int w_node(struct wr *w, const char *name, const struct sl_type *t, int32_t rep,
		  struct sl_pq_node *parent, int depth)
{
	if (depth > SL_PQ_MAX_DEPTH)
		return sl_err_set(w->err, SL_ELIMIT,
				  "column \"%.200s\" nests deeper than %d Parquet levels", name,
				  SL_PQ_MAX_DEPTH);
	size_t nc = t->kind == SL_T_STRUCT ? t->n_fields
		    : t->kind == SL_T_LIST || t->kind == SL_T_MAP ? 1
								     : 0;
	struct sl_pq_node *n = node_new(name, strlen(name), rep, parent, nc);
	if (!n)
		return sl_err_set(w->err, SL_ENOMEM, "out of memory");
	n->elem_index = w->next_index++;
	n->type = (struct sl_type *)t;
	n->role = role_for(t);
	int rc;
	switch (t->kind) {
	case SL_T_STRUCT:
		return w_fields(w, n, t, depth);
	case SL_T_LIST: {
		set_logical(n, SL_PQ_LT_LIST, SL_PQ_CT_LIST);
		struct sl_pq_node *r = w_group(w, "list", n, 1, t->elem, SL_PQ_ROLE_LIST_ELEM);
		if (!r)
			return SL_ENOMEM;
		return w_node(w, "element", t->elem,
			      t->elem->nullable ? SL_PQ_OPTIONAL : SL_PQ_REQUIRED, r, depth + 2);
	}
	case SL_T_MAP: {
		set_logical(n, SL_PQ_LT_MAP, SL_PQ_CT_MAP);
		struct sl_pq_node *kv = w_group(w, "key_value", n, 2, t, SL_PQ_ROLE_MAP_KV);
		if (!kv)
			return SL_ENOMEM;
		rc = w_node(w, "key", t->key, SL_PQ_REQUIRED, kv, depth + 2);
		if (rc == 0)
			rc = w_node(w, "value", t->elem,
				    t->elem->nullable ? SL_PQ_OPTIONAL : SL_PQ_REQUIRED, kv,
				    depth + 2);
		return rc;
	}
	default:
		return w_leaf(w, n, t);
	}
}

/* Whether t nests deeper than limit levels (t itself is one). */
static bool deeper_than(const struct sl_type *t, int limit)
{
	if (limit <= 0)
		return true;
	for (size_t i = 0; i < t->n_fields; i++)
		if (deeper_than(t->fields[i].type, limit - 1))
			return true;
	return (t->elem && deeper_than(t->elem, limit - 1)) ||
	       (t->key && deeper_than(t->key, limit - 1));
}

int sl_pq_schema_from_type(const struct sl_type *row, struct sl_pq_schema **out,
			   struct sl_err *err)
{
	*out = NULL;
	if (!row || row->kind != SL_T_STRUCT)
		return sl_err_set(err, SL_EINVAL, "a Parquet row type must be a struct");
	/* what the reader could not read back is not written */
	if (deeper_than(row, SL_TYPE_MAX_DEPTH))
		return sl_err_set(err, SL_ELIMIT, "the row type nests deeper than %d levels",
				  SL_TYPE_MAX_DEPTH);
	int rc;
	struct wr w = {.err = err};
	struct sl_type *t = sl_type_clone(row);
	struct sl_pq_node *root = t ? node_new("schema", 6, SL_PQ_REQUIRED, NULL, t->n_fields)
				    : NULL;
	w.s = calloc(1, sizeof(*w.s));
	if (!root || !w.s) {
		sl_type_free(t);
		node_free(root);
		rc = sl_err_set(err, SL_ENOMEM, "out of memory");
		goto fail;
	}
	t->nullable = false;
	root->type = t;
	root->role = SL_PQ_ROLE_ROOT;
	root->elem_index = w.next_index++;
	w.s->root = root;
	if ((rc = w_fields(&w, root, t, 0)))
		goto fail;
	*out = w.s;
	return 0;
fail:
	sl_pq_schema_free(w.s);
	return rc;
}

/* ---- reader: elements -> schema ------------------------------------------------------ */

struct rd {
	const struct sl_pq_schema_elem *e;
	size_t n, next;
	struct sl_pq_schema *s;
	size_t cap_leaves;
	struct sl_err *err;
};

/* SL_ECORRUPT naming element n; returns the code. */
static int corrupt(struct rd *rd, const struct sl_pq_node *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int corrupt(struct rd *rd, const struct sl_pq_node *n, const char *fmt, ...)
{
	char what[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return sl_err_set(rd->err, SL_ECORRUPT, "Parquet schema element %d (\"%.200s\"): %s",
			  (int)n->elem_index, n->name, what);
}

/* Pass 1: the element rd->next and its subtree as nodes under parent: the shape. */
static int read_node(struct rd *rd, struct sl_pq_node *parent, int depth)
{
	size_t i = rd->next++;
	const struct sl_pq_schema_elem *e = &rd->e[i];
	const char *name = (const char *)e->name.p;
	size_t len = name ? e->name.len : 0;
	/* a name that cannot be shown is shown as "?" in the messages below */
	bool name_ok = (name || !parent) && !memchr(name ? name : "", '\0', len) &&
		       sl_utf8_valid(name ? name : "", len, NULL);
	int32_t nc = e->num_children;
	bool group = e->type == -1;
	size_t left = rd->n - rd->next;
	size_t n_alloc = group && nc > 0 && (size_t)nc <= left ? (size_t)nc : 0;
	const char *shown = !name_ok ? "?" : name ? name : "schema";
	size_t shown_len = !name_ok ? 1 : name ? len : 6;
	struct sl_pq_node *n = node_new(shown, shown_len, parent ? e->repetition : SL_PQ_REQUIRED,
					parent, n_alloc);
	if (!n)
		return sl_err_set(rd->err, SL_ENOMEM, "out of memory");
	n->elem_index = (int32_t)i;
	if (!parent)
		rd->s->root = n;
	if (!name_ok)
		return corrupt(rd, n, name ? "the name is not valid UTF-8 or holds a NUL byte"
					   : "no name");
	if (depth > SL_PQ_MAX_DEPTH)
		return corrupt(rd, n, "nested deeper than %d levels", SL_PQ_MAX_DEPTH);
	if (parent && (e->repetition < SL_PQ_REQUIRED || e->repetition > SL_PQ_REPEATED))
		return corrupt(rd, n, "repetition %d is not REQUIRED, OPTIONAL or REPEATED",
			       (int)e->repetition);
	if (!parent && e->repetition == SL_PQ_REPEATED)
		return corrupt(rd, n, "the root cannot be REPEATED");
	if (nc < 0)
		return corrupt(rd, n, "negative num_children %d", (int)nc);
	n->converted = e->converted;
	n->logical = e->logical;
	if (e->converted == SL_PQ_CT_DECIMAL && e->logical.kind != SL_PQ_LT_DECIMAL) {
		/* keep the converted decimal's parameters with the node (schema.h) */
		n->logical.precision = e->precision;
		n->logical.scale = e->scale;
	}
	if (!group) {
		if (!parent)
			return corrupt(rd, n, "the root must be a group");
		if (nc > 0)
			return corrupt(rd, n, "a leaf (physical type %d) with %d children",
				       (int)e->type, (int)nc);
		if (e->type < SL_PQ_BOOLEAN || e->type > SL_PQ_FIXED_LEN_BYTE_ARRAY)
			return corrupt(rd, n, "unknown physical type %d", (int)e->type);
		n->phys = e->type;
		if (e->type == SL_PQ_FIXED_LEN_BYTE_ARRAY) {
			if (e->type_length <= 0 || e->type_length > SL_PQ_MAX_FIXED_LEN)
				return corrupt(rd, n, "FIXED_LEN_BYTE_ARRAY length %d is not in 1..%d",
					       (int)e->type_length, SL_PQ_MAX_FIXED_LEN);
			n->type_length = e->type_length;
		}
		if (add_leaf(rd->s, n, &rd->cap_leaves))
			return sl_err_set(rd->err, SL_ENOMEM, "out of memory");
		if (rd->s->n_leaves > SL_PQ_MAX_COLUMNS)
			return corrupt(rd, n, "more than %d columns", SL_PQ_MAX_COLUMNS);
		return 0;
	}
	if (nc == 0)
		return corrupt(rd, n, "a group without children");
	if ((size_t)nc > left)
		return corrupt(rd, n, "num_children %d is more than the %zu elements left",
			       (int)nc, left);
	for (int32_t k = 0; k < nc; k++) {
		if (rd->next >= rd->n)
			return corrupt(rd, n, "num_children %d is more than the elements left",
				       (int)nc);
		int rc = read_node(rd, n, depth + 1);
		if (rc)
			return rc;
	}
	return 0;
}

/* The annotation a node is read by: the logical type when it is one this reader knows
 * (not UNKNOWN, which only says "always null"), else the converted type. */
enum ann {
	A_NONE, A_STRING, A_ENUM, A_UUID, A_INT, A_DECIMAL, A_DATE, A_TIME, A_TIMESTAMP,
	A_JSON, A_BINARY, A_FLOAT16, A_INTERVAL, A_LIST, A_MAP, A_VARIANT,
};

struct annot {
	enum ann a;
	int bits;         /* A_INT */
	bool is_signed;   /* A_INT */
	uint8_t unit;     /* A_TIME, A_TIMESTAMP; 0 = a unit this reader does not know */
	int32_t precision, scale; /* A_DECIMAL */
};

static struct annot annot_of(const struct sl_pq_node *n)
{
	struct annot r = {A_NONE, 0, true, 0, n->logical.precision, n->logical.scale};
	const struct sl_pq_logical_type *lt = &n->logical;
	switch (lt->kind) {
	case SL_PQ_LT_STRING: r.a = A_STRING; return r;
	case SL_PQ_LT_MAP: r.a = A_MAP; return r;
	case SL_PQ_LT_LIST: r.a = A_LIST; return r;
	case SL_PQ_LT_ENUM: r.a = A_ENUM; return r;
	case SL_PQ_LT_DECIMAL: r.a = A_DECIMAL; return r;
	case SL_PQ_LT_DATE: r.a = A_DATE; return r;
	case SL_PQ_LT_TIME:
	case SL_PQ_LT_TIMESTAMP:
		r.a = lt->kind == SL_PQ_LT_TIME ? A_TIME : A_TIMESTAMP;
		r.unit = lt->unit >= SL_TU_MILLIS && lt->unit <= SL_TU_NANOS ? lt->unit : 0;
		return r;
	case SL_PQ_LT_INTEGER:
		r.a = A_INT;
		r.bits = lt->bit_width;
		r.is_signed = lt->is_signed;
		return r;
	case SL_PQ_LT_JSON: r.a = A_JSON; return r;
	case SL_PQ_LT_BSON:
	case SL_PQ_LT_GEOMETRY:
	case SL_PQ_LT_GEOGRAPHY: r.a = A_BINARY; return r;
	case SL_PQ_LT_VARIANT: r.a = A_VARIANT; return r;
	case SL_PQ_LT_UUID: r.a = A_UUID; return r;
	case SL_PQ_LT_FLOAT16: r.a = A_FLOAT16; return r;
	default: break; /* NONE, UNKNOWN, OTHER: the converted type says more, if any */
	}
	switch (n->converted) {
	case SL_PQ_CT_UTF8: r.a = A_STRING; break;
	case SL_PQ_CT_MAP:
	case SL_PQ_CT_MAP_KEY_VALUE: r.a = A_MAP; break;
	case SL_PQ_CT_LIST: r.a = A_LIST; break;
	case SL_PQ_CT_ENUM: r.a = A_ENUM; break;
	case SL_PQ_CT_DECIMAL: r.a = A_DECIMAL; break;
	case SL_PQ_CT_DATE: r.a = A_DATE; break;
	case SL_PQ_CT_TIME_MILLIS: r.a = A_TIME; r.unit = SL_TU_MILLIS; break;
	case SL_PQ_CT_TIME_MICROS: r.a = A_TIME; r.unit = SL_TU_MICROS; break;
	case SL_PQ_CT_TIMESTAMP_MILLIS: r.a = A_TIMESTAMP; r.unit = SL_TU_MILLIS; break;
	case SL_PQ_CT_TIMESTAMP_MICROS: r.a = A_TIMESTAMP; r.unit = SL_TU_MICROS; break;
	case SL_PQ_CT_UINT_8: case SL_PQ_CT_UINT_16: case SL_PQ_CT_UINT_32: case SL_PQ_CT_UINT_64:
		r.a = A_INT;
		r.bits = 8 << (n->converted - SL_PQ_CT_UINT_8);
		r.is_signed = false;
		break;
	case SL_PQ_CT_INT_8: case SL_PQ_CT_INT_16: case SL_PQ_CT_INT_32: case SL_PQ_CT_INT_64:
		r.a = A_INT;
		r.bits = 8 << (n->converted - SL_PQ_CT_INT_8);
		break;
	case SL_PQ_CT_JSON: r.a = A_JSON; break;
	case SL_PQ_CT_BSON: r.a = A_BINARY; break;
	case SL_PQ_CT_INTERVAL: r.a = A_INTERVAL; break;
	default: break; /* none, or a value from the future: the physical type alone */
	}
	return r;
}

static const char *const phys_names[8] = {"BOOLEAN", "INT32", "INT64", "INT96", "FLOAT",
					  "DOUBLE", "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"};

/* The type a leaf reads as, not nullable (the caller applies the repetition). */
static int leaf_type(struct rd *rd, const struct sl_pq_node *n, struct sl_type **out)
{
	struct annot an = annot_of(n);
	int32_t ph = n->phys;
	enum sl_type_kind kind;
	bool ok; /* does the physical type fit the annotation? */
	struct sl_type tmp = {.bits = 64, .unit = SL_TU_MICROS};
	switch (an.a) {
	case A_STRING:
	case A_ENUM:
		ok = ph == SL_PQ_BYTE_ARRAY;
		kind = SL_T_STRING;
		tmp.is_enum = an.a == A_ENUM;
		break;
	case A_JSON:
		ok = ph == SL_PQ_BYTE_ARRAY;
		kind = SL_T_JSON;
		break;
	case A_BINARY:
	case A_VARIANT:
		ok = ph == SL_PQ_BYTE_ARRAY;
		kind = SL_T_BINARY;
		break;
	case A_UUID:
		ok = ph == SL_PQ_FIXED_LEN_BYTE_ARRAY && n->type_length == 16;
		kind = SL_T_UUID;
		break;
	case A_FLOAT16:
		ok = ph == SL_PQ_FIXED_LEN_BYTE_ARRAY && n->type_length == 2;
		kind = SL_T_FLOAT;
		break;
	case A_INTERVAL:
		ok = ph == SL_PQ_FIXED_LEN_BYTE_ARRAY && n->type_length == 12;
		kind = SL_T_BINARY;
		tmp.fixed_len = 12;
		break;
	case A_DATE:
		ok = ph == SL_PQ_INT32;
		kind = SL_T_DATE;
		break;
	case A_INT:
		ok = ((an.bits == 8 || an.bits == 16 || an.bits == 32) && ph == SL_PQ_INT32) ||
		     (an.bits == 64 && ph == SL_PQ_INT64);
		kind = SL_T_INT;
		tmp.bits = (uint8_t)an.bits;
		tmp.is_unsigned = !an.is_signed;
		break;
	case A_TIME:
	case A_TIMESTAMP:
		if (an.unit == 0)
			goto plain; /* a unit from the future: the numbers as they are */
		ok = ph == (an.a == A_TIME && an.unit == SL_TU_MILLIS ? SL_PQ_INT32 : SL_PQ_INT64);
		kind = an.a == A_TIME ? SL_T_TIME : SL_T_TIMESTAMP;
		tmp.unit = an.unit;
		break;
	case A_DECIMAL: {
		int32_t p = an.precision, s = an.scale < 0 ? 0 : an.scale;
		int32_t max = ph == SL_PQ_INT32   ? 9
			      : ph == SL_PQ_INT64 ? 18
			      : ph == SL_PQ_FIXED_LEN_BYTE_ARRAY
				      ? (n->type_length <= 16 ? flba_digits[n->type_length] : INT32_MAX)
			      : ph == SL_PQ_BYTE_ARRAY ? INT32_MAX
						       : 0;
		if (max == 0)
			return corrupt(rd, n, "DECIMAL on a %s column", phys_names[ph]);
		if (p < 1 || p > max)
			return corrupt(rd, n, "DECIMAL precision %d does not fit %s%s", (int)p,
				       phys_names[ph], p < 1 ? " (at least 1)" : "");
		if (s > p)
			return corrupt(rd, n, "DECIMAL scale %d is larger than its precision %d",
				       (int)s, (int)p);
		if (p > 38)
			goto plain; /* wider than sluice's decimals: the bytes */
		ok = true;
		kind = SL_T_DECIMAL;
		tmp.precision = (uint8_t)p;
		tmp.scale = (uint8_t)s;
		break;
	}
	case A_LIST:
	case A_MAP:
		return corrupt(rd, n, "a %s annotation on a leaf", an.a == A_LIST ? "LIST" : "MAP");
	default:
		goto plain;
	}
	if (!ok)
		return corrupt(rd, n, "the annotation does not fit a %s column%s", phys_names[ph],
			       ph == SL_PQ_FIXED_LEN_BYTE_ARRAY ? " of this length" : "");
	goto make;
plain:
	switch (ph) {
	case SL_PQ_BOOLEAN: kind = SL_T_BOOL; break;
	case SL_PQ_INT32: kind = SL_T_INT; tmp.bits = 32; break;
	case SL_PQ_INT64: kind = SL_T_INT; break;
	case SL_PQ_INT96: kind = SL_T_TIMESTAMP; break; /* the reader converts to us */
	case SL_PQ_FLOAT: kind = SL_T_FLOAT; break;
	case SL_PQ_DOUBLE: kind = SL_T_DOUBLE; break;
	case SL_PQ_BYTE_ARRAY: kind = SL_T_BINARY; break;
	default:
		kind = SL_T_BINARY;
		tmp.fixed_len = (uint32_t)n->type_length;
		break;
	}
make:;
	struct sl_type *t = sl_type_new(kind, false);
	if (!t)
		return sl_err_set(rd->err, SL_ENOMEM, "out of memory");
	t->bits = tmp.bits;
	t->is_unsigned = tmp.is_unsigned;
	t->precision = tmp.precision;
	t->scale = tmp.scale;
	t->unit = tmp.unit;
	t->is_enum = tmp.is_enum;
	t->fixed_len = tmp.fixed_len;
	*out = t;
	return 0;
}

static int core_type(struct rd *rd, struct sl_pq_node *n, int depth, struct sl_type **out);
static int struct_type(struct rd *rd, struct sl_pq_node *n, int depth,
		       struct sl_type **out);

/* The type of n as a member of its parent (struct field, element of a three-level
 * list, key or value): its core type made nullable by OPTIONAL, or wrapped in a list by
 * REPEATED. Sets n->type and n->role. */
static int member_type(struct rd *rd, struct sl_pq_node *n, int depth, struct sl_type **out)
{
	struct sl_type *core = NULL;
	int rc = core_type(rd, n, n->repetition == SL_PQ_REPEATED ? depth + 1 : depth, &core);
	if (rc)
		return rc;
	if (n->repetition == SL_PQ_REPEATED) {
		struct sl_type *l = sl_type_new(SL_T_LIST, false);
		if (!l) {
			sl_type_free(core);
			return sl_err_set(rd->err, SL_ENOMEM, "out of memory");
		}
		l->elem = core;
		n->role = SL_PQ_ROLE_REPEATED;
		core = l;
	} else {
		core->nullable = n->repetition == SL_PQ_OPTIONAL;
		n->role = n->is_leaf ? SL_PQ_ROLE_FIELD : role_for(core);
	}
	n->type = core;
	*out = core;
	return 0;
}

/* The list read from LIST-annotated group n (LogicalTypes.md, backward compatibility). */
static int list_type(struct rd *rd, struct sl_pq_node *n, int depth, struct sl_type **out)
{
	if (n->n_children != 1 || n->children[0]->repetition != SL_PQ_REPEATED)
		return corrupt(rd, n, "a LIST group needs exactly one child, a repeated one");
	struct sl_pq_node *r = n->children[0];
	struct sl_type *elem = NULL;
	int rc;
	/* the repeated child is the element itself (two levels) when it is a leaf (rule 1),
	 * has several fields (2), one repeated field (3), or is named "array" or
	 * "<list>_tuple" (4); else its only field is the element (three levels, rule 5) */
	size_t nl = strlen(n->name);
	bool two_level = r->is_leaf || r->n_children > 1 ||
			 r->children[0]->repetition == SL_PQ_REPEATED ||
			 strcmp(r->name, "array") == 0 ||
			 (strncmp(r->name, n->name, nl) == 0 && strcmp(r->name + nl, "_tuple") == 0);
	if (two_level) {
		rc = core_type(rd, r, depth + 1, &elem);
		r->role = SL_PQ_ROLE_LIST_ITEM;
	} else {
		rc = member_type(rd, r->children[0], depth + 1, &elem);
		r->role = SL_PQ_ROLE_LIST_ELEM;
	}
	if (rc)
		return rc;
	r->type = elem;
	struct sl_type *l = sl_type_new(SL_T_LIST, false);
	if (!l) {
		sl_type_free(elem);
		return sl_err_set(rd->err, SL_ENOMEM, "out of memory");
	}
	l->elem = elem;
	*out = l;
	return 0;
}

/* The map read from MAP (or MAP_KEY_VALUE) group n; a key_value group with only a key
 * is read as the list of its keys. */
static int map_type(struct rd *rd, struct sl_pq_node *n, int depth, struct sl_type **out)
{
	struct sl_pq_node *kv = n->children[0];
	if (n->n_children != 1 || kv->repetition != SL_PQ_REPEATED || kv->is_leaf)
		return corrupt(rd, n, "a MAP group needs exactly one child, a repeated group");
	if (kv->n_children > 2)
		return corrupt(rd, kv, "a map's key_value group holds a key and at most a value, "
				       "not %zu fields", kv->n_children);
	struct sl_pq_node *kn = kv->children[0];
	if (kn->repetition == SL_PQ_REPEATED)
		return corrupt(rd, kn, "a map key cannot be repeated");
	struct sl_type *key = NULL, *val = NULL, *t = NULL;
	int rc = member_type(rd, kn, depth + 1, &key);
	if (rc)
		return rc;
	/* an OPTIONAL key is not to the spec but written by some engines: tolerated,
	 * typed as a key (never null) */
	key->nullable = false;
	if (kv->n_children == 1) {
		kv->role = SL_PQ_ROLE_LIST_ELEM;
		kv->type = key;
		if (!(t = sl_type_new(SL_T_LIST, false)))
			goto nomem;
		t->elem = key;
		*out = t;
		return 0;
	}
	if ((rc = member_type(rd, kv->children[1], depth + 1, &val))) {
		sl_type_free(key);
		return rc;
	}
	if (!(t = sl_type_new(SL_T_MAP, false)))
		goto nomem;
	t->key = key;
	t->elem = val;
	kv->role = SL_PQ_ROLE_MAP_KV;
	kv->type = t;
	*out = t;
	return 0;
nomem:
	sl_type_free(key);
	sl_type_free(val);
	return sl_err_set(rd->err, SL_ENOMEM, "out of memory");
}

/* What n reads as, whatever its repetition, not nullable. depth counts type levels. */
static int core_type(struct rd *rd, struct sl_pq_node *n, int depth, struct sl_type **out)
{
	*out = NULL;
	if (depth > SL_TYPE_MAX_DEPTH)
		return corrupt(rd, n, "its type nests deeper than %d levels", SL_TYPE_MAX_DEPTH);
	if (n->is_leaf)
		return leaf_type(rd, n, out);
	struct annot an = annot_of(n);
	switch (an.a) {
	case A_LIST:
		return list_type(rd, n, depth, out);
	case A_MAP:
		return map_type(rd, n, depth, out);
	case A_NONE:
	case A_VARIANT: /* a variant's group reads as the plain struct of its binaries */
		return struct_type(rd, n, depth, out);
	default:
		return corrupt(rd, n, "a group with a leaf's annotation");
	}
}

/* The struct of group n's children. */
static int struct_type(struct rd *rd, struct sl_pq_node *n, int depth, struct sl_type **out)
{
	struct sl_type *st = sl_type_new(SL_T_STRUCT, false);
	if (!st)
		return sl_err_set(rd->err, SL_ENOMEM, "out of memory");
	for (size_t i = 0; i < n->n_children; i++) {
		struct sl_pq_node *c = n->children[i];
		struct sl_type *ft = NULL;
		int rc = member_type(rd, c, depth + 1, &ft);
		if (rc == 0) {
			struct sl_err e2;
			rc = sl_type_add_field(st, c->name, ft, &e2);
			if (rc == SL_ENOMEM)
				rc = sl_err_set(rd->err, rc, "out of memory");
			else if (rc)
				rc = corrupt(rd, c, "%s", e2.msg);
		}
		if (rc) {
			sl_type_free(st);
			return rc;
		}
	}
	*out = st;
	return 0;
}

int sl_pq_schema_from_elems(const struct sl_pq_schema_elem *elems, size_t n,
			    struct sl_pq_schema **out, struct sl_err *err)
{
	*out = NULL;
	if (!elems || n == 0)
		return sl_err_set(err, SL_ECORRUPT, "Parquet schema: no elements");
	if (n > INT32_MAX)
		return sl_err_set(err, SL_ECORRUPT, "Parquet schema: %zu elements", n);
	struct rd rd = {.e = elems, .n = n, .err = err};
	int rc;
	if (!(rd.s = calloc(1, sizeof(*rd.s))))
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	if ((rc = read_node(&rd, NULL, 0)))
		goto fail;
	struct sl_pq_node *root = rd.s->root;
	if (rd.next != n) {
		rc = sl_err_set(err, SL_ECORRUPT,
				"Parquet schema: %zu elements after the root's tree ends at "
				"element %zu", n - rd.next, rd.next);
		goto fail;
	}
	/* the root reads as a struct whatever it is annotated with */
	if ((rc = struct_type(&rd, root, 1, &root->type)))
		goto fail;
	root->role = SL_PQ_ROLE_ROOT;
	*out = rd.s;
	return 0;
fail:
	sl_pq_schema_free(rd.s);
	return rc;
}

/* ---- flattening, paths, lookup, printing --------------------------------------------- */

static size_t count_nodes(const struct sl_pq_node *n)
{
	size_t c = 1;
	for (size_t i = 0; i < n->n_children; i++)
		c += count_nodes(n->children[i]);
	return c;
}

static void flatten(const struct sl_pq_node *n, struct sl_pq_schema_elem *e, size_t *k)
{
	struct sl_pq_schema_elem *x = &e[(*k)++];
	memset(x, 0, sizeof(*x));
	x->type = n->is_leaf ? n->phys : -1;
	x->type_length = n->is_leaf && n->phys == SL_PQ_FIXED_LEN_BYTE_ARRAY ? n->type_length
									     : 0;
	x->repetition = n->parent ? n->repetition : -1;
	x->name.p = (const uint8_t *)n->name;
	x->name.len = (uint32_t)strlen(n->name);
	x->num_children = (int32_t)n->n_children;
	x->converted = n->converted;
	bool dec = n->converted == SL_PQ_CT_DECIMAL || n->logical.kind == SL_PQ_LT_DECIMAL;
	x->scale = dec ? n->logical.scale : -1;
	x->precision = dec ? n->logical.precision : -1;
	x->field_id = -1;
	x->logical = n->logical;
	for (size_t i = 0; i < n->n_children; i++)
		flatten(n->children[i], e, k);
}

int sl_pq_schema_to_elems(const struct sl_pq_schema *s, struct sl_pq_schema_elem **elems,
			  size_t *n, struct sl_err *err)
{
	*elems = NULL;
	*n = 0;
	if (!s || !s->root)
		return sl_err_set(err, SL_EINVAL, "no schema");
	size_t c = count_nodes(s->root), k = 0;
	struct sl_pq_schema_elem *e = calloc(c, sizeof(*e));
	if (!e)
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	flatten(s->root, e, &k);
	*elems = e;
	*n = c;
	return 0;
}

static int path_rec(const struct sl_pq_node *n, struct sl_buf *out)
{
	if (!n->parent)
		return 0;
	int rc = path_rec(n->parent, out);
	if (rc == 0 && n->parent->parent)
		rc = sl_buf_append(out, ".", 1);
	return rc ? rc : sl_buf_puts(out, n->name);
}

int sl_pq_node_path(const struct sl_pq_node *n, struct sl_buf *out)
{
	return n ? path_rec(n, out) : SL_EINVAL;
}

/* The node and type of one element of the list that node n stands for as type t. */
static void list_elem(const struct sl_pq_node **n, const struct sl_type **t)
{
	const struct sl_pq_node *x = *n;
	if (x->role == SL_PQ_ROLE_REPEATED && *t == x->type) {
		*t = x->type->elem;
		return;
	}
	const struct sl_pq_node *r = x->children[0];
	*n = r->role == SL_PQ_ROLE_LIST_ELEM ? r->children[0] : r;
	*t = r->type;
}

static const struct sl_pq_node *find_rec(const struct sl_pq_node *n,
					 const struct sl_type *t, const char *path)
{
	/* through list and map plumbing down to the struct whose fields path names */
	for (;;) {
		if (t->kind == SL_T_LIST) {
			list_elem(&n, &t);
		} else if (t->kind == SL_T_MAP) {
			const struct sl_pq_node *kv = n->children[0];
			n = kv->children[1];
			t = n->type;
		} else {
			break;
		}
	}
	if (t->kind != SL_T_STRUCT)
		return NULL;
	/* a name may hold dots: try every field whose name is a prefix of the path */
	for (size_t i = 0; i < n->n_children; i++) {
		const struct sl_pq_node *c = n->children[i];
		size_t len = strlen(c->name);
		if (strncmp(path, c->name, len) != 0)
			continue;
		if (path[len] == '\0')
			return c;
		if (path[len] == '.') {
			const struct sl_pq_node *hit = find_rec(c, c->type, path + len + 1);
			if (hit)
				return hit;
		}
	}
	return NULL;
}

const struct sl_pq_node *sl_pq_schema_find(const struct sl_pq_schema *s, const char *path)
{
	if (!s || !s->root || !path || !*path)
		return NULL;
	return find_rec(s->root, s->root->type, path);
}

static const char *const unit_names[4] = {"?", "MILLIS", "MICROS", "NANOS"};

static int annotation(const struct sl_pq_node *n, struct sl_buf *out)
{
	const struct sl_pq_logical_type *lt = &n->logical;
	const char *u = unit_names[lt->unit <= SL_TU_NANOS ? lt->unit : 0];
	switch (lt->kind) {
	case SL_PQ_LT_NONE: break;
	case SL_PQ_LT_STRING: return sl_buf_puts(out, " (STRING)");
	case SL_PQ_LT_MAP: return sl_buf_puts(out, " (MAP)");
	case SL_PQ_LT_LIST: return sl_buf_puts(out, " (LIST)");
	case SL_PQ_LT_ENUM: return sl_buf_puts(out, " (ENUM)");
	case SL_PQ_LT_DECIMAL:
		return sl_buf_printf(out, " (DECIMAL(%d,%d))", (int)lt->precision, (int)lt->scale);
	case SL_PQ_LT_DATE: return sl_buf_puts(out, " (DATE)");
	case SL_PQ_LT_TIME:
	case SL_PQ_LT_TIMESTAMP:
		return sl_buf_printf(out, " (%s(%s,%s))",
				     lt->kind == SL_PQ_LT_TIME ? "TIME" : "TIMESTAMP", u,
				     lt->utc_adjusted ? "true" : "false");
	case SL_PQ_LT_INTEGER:
		return sl_buf_printf(out, " (INTEGER(%d,%s))", lt->bit_width,
				     lt->is_signed ? "true" : "false");
	case SL_PQ_LT_UNKNOWN: return sl_buf_puts(out, " (UNKNOWN)");
	case SL_PQ_LT_JSON: return sl_buf_puts(out, " (JSON)");
	case SL_PQ_LT_BSON: return sl_buf_puts(out, " (BSON)");
	case SL_PQ_LT_UUID: return sl_buf_puts(out, " (UUID)");
	case SL_PQ_LT_FLOAT16: return sl_buf_puts(out, " (FLOAT16)");
	case SL_PQ_LT_VARIANT: return sl_buf_puts(out, " (VARIANT)");
	case SL_PQ_LT_GEOMETRY: return sl_buf_puts(out, " (GEOMETRY)");
	case SL_PQ_LT_GEOGRAPHY: return sl_buf_puts(out, " (GEOGRAPHY)");
	default: return sl_buf_puts(out, " (an unknown logical type)");
	}
	static const char *const conv[22] = {
		"UTF8", "MAP", "MAP_KEY_VALUE", "LIST", "ENUM", "DECIMAL", "DATE", "TIME_MILLIS",
		"TIME_MICROS", "TIMESTAMP_MILLIS", "TIMESTAMP_MICROS", "UINT_8", "UINT_16",
		"UINT_32", "UINT_64", "INT_8", "INT_16", "INT_32", "INT_64", "JSON", "BSON",
		"INTERVAL"};
	if (n->converted == SL_PQ_CT_DECIMAL)
		return sl_buf_printf(out, " (DECIMAL(%d,%d))", (int)lt->precision, (int)lt->scale);
	if (n->converted >= 0 && n->converted < 22)
		return sl_buf_printf(out, " (%s)", conv[n->converted]);
	return 0;
}

static int format_rec(const struct sl_pq_node *n, int indent, struct sl_buf *out)
{
	static const char *const reps[3] = {"required", "optional", "repeated"};
	static const char *const phys[8] = {"boolean", "int32", "int64", "int96", "float",
					    "double", "binary", "fixed_len_byte_array"};
	int rc = sl_buf_printf(out, "%*s%s ", indent, "",
			       n->repetition >= 0 && n->repetition <= 2 ? reps[n->repetition]
									  : "?");
	if (rc == 0 && n->is_leaf && n->phys == SL_PQ_FIXED_LEN_BYTE_ARRAY)
		rc = sl_buf_printf(out, "fixed_len_byte_array(%d) ", (int)n->type_length);
	else if (rc == 0)
		rc = sl_buf_printf(out, "%s ",
				   !n->is_leaf ? "group"
				   : n->phys >= 0 && n->phys < 8 ? phys[n->phys]
								 : "?");
	if (rc == 0)
		rc = sl_buf_puts(out, n->name);
	if (rc == 0)
		rc = annotation(n, out);
	if (rc == 0)
		rc = sl_buf_puts(out, n->is_leaf ? ";\n" : " {\n");
	for (size_t i = 0; rc == 0 && i < n->n_children; i++)
		rc = format_rec(n->children[i], indent + 2, out);
	if (rc == 0 && !n->is_leaf)
		rc = sl_buf_printf(out, "%*s}\n", indent, "");
	return rc;
}

int sl_pq_schema_format(const struct sl_pq_schema *s, struct sl_buf *out)
{
	if (!s || !s->root)
		return SL_EINVAL;
	int rc = sl_buf_printf(out, "message %s {\n", s->root->name);
	for (size_t i = 0; rc == 0 && i < s->root->n_children; i++)
		rc = format_rec(s->root->children[i], 2, out);
	return rc ? rc : sl_buf_puts(out, "}\n");
}
