/*
 * infer.c - type inference from JSON records (see infer.h for the lattice).
 *
 * Each distinct path gets one node that remembers which JSON kinds it has seen (a bit
 * set) and, for objects and arrays, its members and element. The type is read off the
 * nodes at the end, so adding a record costs one walk of its tape and no allocation
 * unless it brings a new path.
 */
#include "types/infer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema/format.h"

enum {
	K_NULL = 1 << 0,
	K_BOOL = 1 << 1,
	K_INT = 1 << 2,
	K_DOUBLE = 1 << 3,
	K_TS = 1 << 4,   /* a string that is an RFC 3339 date-time */
	K_DATE = 1 << 5, /* a string that is a full-date */
	K_UUID = 1 << 6,
	K_STR = 1 << 7,  /* any other string */
	K_OBJECT = 1 << 8,
	K_ARRAY = 1 << 9,
	K_DEEP = 1 << 10, /* nested beyond max_depth: typed json */
};
#define K_STRINGS (K_TS | K_DATE | K_UUID | K_STR)
#define K_NUMBERS (K_INT | K_DOUBLE)

struct inode;

struct member {
	char *name;
	size_t len;
	struct inode *node;
	int64_t n; /* objects of the parent that had this member (non-absent) */
};

struct inode {
	uint32_t kinds;
	int64_t n_objects; /* objects seen here (to tell absent members: nullable) */
	struct member *members;
	size_t n_members, cap_members;
	uint32_t *index; /* open-addressing hash of members (slot = member index + 1) */
	size_t index_cap;
	bool as_map; /* too many member names: members folded into map_value */
	struct inode *map_value;
	struct inode *elem; /* arrays */
	bool conflict_noted;
};

struct sl_infer {
	struct sl_infer_opts opts;
	struct inode root;
	int64_t records;
	size_t n_paths;
	struct sl_buf path; /* a conflict's JSON pointer, made when one is noted */
	const struct sl_json_doc *doc; /* the record being walked */
	size_t at;                     /* its token being typed */
	struct sl_infer_conflict *conflicts;
	char **conflict_paths;
	size_t n_conflicts, cap_conflicts;
	sl_format_fn *is_ts, *is_date, *is_uuid;
};

void sl_infer_opts_default(struct sl_infer_opts *o)
{
	o->max_struct_fields = 1000;
	o->max_depth = 64;
	o->max_paths = 100000;
	o->conflict_kind = SL_T_JSON;
	o->omit_unknown = false;
}

struct sl_infer *sl_infer_new(const struct sl_infer_opts *opts)
{
	struct sl_infer *inf = calloc(1, sizeof(*inf));

	if (!inf)
		return NULL;
	if (opts)
		inf->opts = *opts;
	else
		sl_infer_opts_default(&inf->opts);
	sl_buf_init(&inf->path, 1 << 20);
	inf->is_ts = sl_format_lookup("date-time");
	inf->is_date = sl_format_lookup("date");
	inf->is_uuid = sl_format_lookup("uuid");
	return inf;
}

static void inode_release(struct inode *n)
{
	for (size_t i = 0; i < n->n_members; i++) {
		free(n->members[i].name);
		inode_release(n->members[i].node);
		free(n->members[i].node);
	}
	free(n->members);
	free(n->index);
	if (n->map_value) {
		inode_release(n->map_value);
		free(n->map_value);
	}
	if (n->elem) {
		inode_release(n->elem);
		free(n->elem);
	}
	memset(n, 0, sizeof(*n));
}

void sl_infer_free(struct sl_infer *inf)
{
	if (!inf)
		return;
	inode_release(&inf->root);
	for (size_t i = 0; i < inf->n_conflicts; i++)
		free(inf->conflict_paths[i]);
	free(inf->conflicts);
	free(inf->conflict_paths);
	sl_buf_release(&inf->path);
	free(inf);
}

int64_t sl_infer_records(const struct sl_infer *inf)
{
	return inf->records;
}

const struct sl_infer_conflict *sl_infer_conflicts(const struct sl_infer *inf, size_t *n)
{
	*n = inf->n_conflicts;
	return inf->conflicts;
}

/* ---- kinds -------------------------------------------------------------------------- */

static const char *kind_word(uint32_t k)
{
	switch (k) {
	case K_BOOL: return "boolean";
	case K_INT: return "int64";
	case K_DOUBLE: return "double";
	case K_TS: return "timestamp";
	case K_DATE: return "date";
	case K_UUID: return "uuid";
	case K_STR: return "string";
	case K_OBJECT: return "object";
	case K_ARRAY: return "array";
	default: return "json";
	}
}

/* The kinds, nulls aside, fall into one class of the lattice: bool, numbers, strings,
 * object or array. More than one class is a conflict. */
static int kind_classes(uint32_t k)
{
	int n = 0;

	n += (k & K_BOOL) != 0;
	n += (k & K_NUMBERS) != 0;
	n += (k & K_STRINGS) != 0;
	n += (k & K_OBJECT) != 0;
	n += (k & K_ARRAY) != 0;
	n += (k & K_DEEP) != 0;
	return n;
}

static uint32_t lowest_kind(uint32_t k)
{
	return k & -k;
}

static int path_to(struct sl_infer *inf, size_t target);

static int note_conflict(struct sl_infer *inf, struct inode *n, uint32_t before,
			 uint32_t added, struct sl_err *err)
{
	struct sl_infer_conflict *c;

	n->conflict_noted = true;
	if (inf->n_conflicts == inf->cap_conflicts) {
		size_t cap = inf->cap_conflicts ? inf->cap_conflicts * 2 : 8;
		void *a = realloc(inf->conflicts, cap * sizeof(*inf->conflicts));

		if (!a)
			return sl_err_set(err, SL_ENOMEM, "type inference: out of memory");
		inf->conflicts = a;
		a = realloc(inf->conflict_paths, cap * sizeof(char *));
		if (!a)
			return sl_err_set(err, SL_ENOMEM, "type inference: out of memory");
		inf->conflict_paths = a;
		inf->cap_conflicts = cap;
	}
	c = &inf->conflicts[inf->n_conflicts];
	if (path_to(inf, inf->at) < 0)
		return sl_err_set(err, SL_ELIMIT, "type inference: path too long");
	/* path.data is not NUL-terminated (path_push copies segments in place) */
	inf->conflict_paths[inf->n_conflicts] = malloc(inf->path.len + 1);
	if (inf->conflict_paths[inf->n_conflicts]) {
		if (inf->path.len)
			memcpy(inf->conflict_paths[inf->n_conflicts], inf->path.data, inf->path.len);
		inf->conflict_paths[inf->n_conflicts][inf->path.len] = '\0';
	}
	if (!inf->conflict_paths[inf->n_conflicts])
		return sl_err_set(err, SL_ENOMEM, "type inference: out of memory");
	c->path = inf->conflict_paths[inf->n_conflicts];
	snprintf(c->a, sizeof(c->a), "%s", kind_word(lowest_kind(before & ~K_NULL)));
	snprintf(c->b, sizeof(c->b), "%s", kind_word(added));
	c->record = inf->records;
	inf->n_conflicts++;
	return 0;
}

static int add_kind(struct sl_infer *inf, struct inode *n, uint32_t k, struct sl_err *err)
{
	uint32_t before = n->kinds;

	if (before & k)
		return 0;
	n->kinds |= k;
	if (!n->conflict_noted && kind_classes(before & ~K_NULL) == 1 &&
	    kind_classes(n->kinds & ~K_NULL) == 2)
		return note_conflict(inf, n, before, k, err);
	return 0;
}

/* ---- members ------------------------------------------------------------------------ */

static uint64_t name_hash(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)s[i]) * 1099511628211ULL;
	return h;
}

static void index_put(uint32_t *ix, size_t cap, const struct member *members, size_t i)
{
	size_t s = name_hash(members[i].name, members[i].len) & (cap - 1);

	while (ix[s])
		s = (s + 1) & (cap - 1);
	ix[s] = (uint32_t)i + 1;
}

static int index_rebuild(struct inode *n)
{
	size_t cap = n->index_cap ? n->index_cap * 2 : 64;
	uint32_t *ix = calloc(cap, sizeof(*ix));

	if (!ix)
		return SL_ENOMEM;
	for (size_t i = 0; i < n->n_members; i++)
		index_put(ix, cap, n->members, i);
	free(n->index);
	n->index = ix;
	n->index_cap = cap;
	return 0;
}

/* Small objects are searched linearly (records usually repeat their member order, so
 * the hint makes that one comparison); a hash index appears past 16 members. */
/* Member names are short: a loop the compiler inlines beats a call to memcmp. */
static inline bool same_name(const char *a, const char *b, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

static struct member *member_find(struct inode *n, const char *name, size_t len,
				  size_t hint)
{
	if (hint < n->n_members && n->members[hint].len == len &&
	    same_name(n->members[hint].name, name, len))
		return &n->members[hint];
	if (!n->index) {
		for (size_t i = 0; i < n->n_members; i++)
			if (n->members[i].len == len && memcmp(n->members[i].name, name, len) == 0)
				return &n->members[i];
		return NULL;
	}
	for (size_t s = name_hash(name, len) & (n->index_cap - 1); n->index[s];
	     s = (s + 1) & (n->index_cap - 1)) {
		struct member *m = &n->members[n->index[s] - 1];

		if (m->len == len && memcmp(m->name, name, len) == 0)
			return m;
	}
	return NULL;
}

static struct inode *new_path(struct sl_infer *inf, struct sl_err *err)
{
	struct inode *c;

	if (inf->n_paths >= inf->opts.max_paths) {
		sl_err_set(err, SL_ELIMIT, "type inference: more than %zu distinct paths",
			   inf->opts.max_paths);
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		sl_err_set(err, SL_ENOMEM, "type inference: out of memory");
		return NULL;
	}
	inf->n_paths++;
	return c;
}

static struct member *member_add(struct sl_infer *inf, struct inode *n, const char *name,
				 size_t len, struct sl_err *err)
{
	struct member *m;

	if (n->n_members == n->cap_members) {
		size_t cap = n->cap_members ? n->cap_members * 2 : 8;
		void *a = realloc(n->members, cap * sizeof(*n->members));

		if (!a)
			goto nomem;
		n->members = a;
		n->cap_members = cap;
	}
	m = &n->members[n->n_members];
	memset(m, 0, sizeof(*m));
	m->name = malloc(len + 1);
	if (!m->name)
		goto nomem;
	memcpy(m->name, name, len);
	m->name[len] = 0;
	m->len = len;
	m->node = new_path(inf, err);
	if (!m->node) {
		free(m->name);
		return NULL;
	}
	n->n_members++;
	if ((n->index && n->n_members * 2 > n->index_cap) || (!n->index && n->n_members > 16)) {
		if (index_rebuild(n) < 0)
			goto nomem_added;
	} else if (n->index) {
		/* every member must be in the index, not only those a rebuild saw */
		index_put(n->index, n->index_cap, n->members, n->n_members - 1);
	}
	return m;
nomem_added:
	n->n_members--;
	free(m->node);
	free(m->name);
	inf->n_paths--;
nomem:
	sl_err_set(err, SL_ENOMEM, "type inference: out of memory");
	return NULL;
}

/* Folds src (a node) into dst: kinds, members, elements. Used when a struct turns out to
 * be a map and its members become one value type. Conflicts found while folding are not
 * reported separately (the map's value type shows them). */
static int fold(struct sl_infer *inf, struct inode *dst, struct inode *src,
		struct sl_err *err)
{
	dst->kinds |= src->kinds;
	dst->n_objects += src->n_objects;
	if (src->elem) {
		if (!dst->elem && !(dst->elem = new_path(inf, err)))
			return err ? err->code : SL_ENOMEM;
		if (fold(inf, dst->elem, src->elem, err) < 0)
			return err ? err->code : SL_ENOMEM;
	}
	if (src->map_value) {
		if (!dst->map_value && !(dst->map_value = new_path(inf, err)))
			return err ? err->code : SL_ENOMEM;
		dst->as_map = true;
		if (fold(inf, dst->map_value, src->map_value, err) < 0)
			return err ? err->code : SL_ENOMEM;
	}
	for (size_t i = 0; i < src->n_members; i++) {
		struct member *sm = &src->members[i];
		struct member *dm = member_find(dst, sm->name, sm->len, i);

		if (!dm && !(dm = member_add(inf, dst, sm->name, sm->len, err)))
			return err ? err->code : SL_ENOMEM;
		dm->n += sm->n;
		if (fold(inf, dm->node, sm->node, err) < 0)
			return err ? err->code : SL_ENOMEM;
	}
	return 0;
}

static int make_map(struct sl_infer *inf, struct inode *n, struct sl_err *err)
{
	n->map_value = new_path(inf, err);
	if (!n->map_value)
		return err ? err->code : SL_ENOMEM;
	n->as_map = true;
	for (size_t i = 0; i < n->n_members; i++) {
		struct member *m = &n->members[i];

		if (fold(inf, n->map_value, m->node, err) < 0)
			return err ? err->code : SL_ENOMEM;
		free(m->name);
		inode_release(m->node);
		free(m->node);
		inf->n_paths--;
	}
	free(n->members);
	free(n->index);
	n->members = NULL;
	n->index = NULL;
	n->n_members = n->cap_members = n->index_cap = 0;
	return 0;
}

/* ---- walking a record --------------------------------------------------------------- */

/* Runs for every member of every record, so the common segment (no '~' or '/') is one
 * copy. */
static int path_push(struct sl_buf *p, const char *seg, size_t len)
{
	char *o;

	if (sl_buf_reserve(p, 2 * len + 1) < 0)
		return SL_ELIMIT;
	o = p->data + p->len;
	*o++ = '/';
	if (!memchr(seg, '~', len) && !memchr(seg, '/', len)) {
		memcpy(o, seg, len);
		o += len;
	} else {
		for (size_t i = 0; i < len; i++) {
			if (seg[i] == '~' || seg[i] == '/') {
				*o++ = '~';
				*o++ = seg[i] == '~' ? '0' : '1';
			} else {
				*o++ = seg[i];
			}
		}
	}
	p->len = (size_t)(o - p->data);
	return 0;
}

/* The JSON pointer of token `target` of the record being walked, into inf->path: made
 * only when a conflict is noted (rare: once per path), by descending the record's tape
 * and the inference tree side by side, so that walking costs nothing per member. Map
 * values and list elements are "*". */
static int path_to(struct sl_infer *inf, size_t target)
{
	const struct sl_json_tok *tok = inf->doc->tok;
	const struct inode *n = &inf->root;
	size_t i = 0;

	inf->path.len = 0;
	while (i != target && n) {
		const struct sl_json_tok *t = &tok[i];
		bool object = t->type == SL_JSON_OBJECT;
		size_t j = i + 1;

		if (!object && t->type != SL_JSON_ARRAY)
			break;
		while (j < t->v.end) {
			size_t v = object ? j + 1 : j; /* the value's token */
			size_t last = (tok[v].type == SL_JSON_OBJECT || tok[v].type == SL_JSON_ARRAY)
					      ? tok[v].v.end
					      : v;

			if (target >= v && target <= last) {
				const struct member *m = NULL;
				int rc;

				if (!object || n->as_map) {
					rc = path_push(&inf->path, "*", 1);
					n = object ? n->map_value : n->elem;
				} else {
					m = member_find((struct inode *)n, tok[j].v.s, tok[j].len, 0);
					rc = path_push(&inf->path, tok[j].v.s, tok[j].len);
					n = m ? m->node : NULL;
				}
				if (rc < 0)
					return rc;
				i = v;
				break;
			}
			j = last + 1;
		}
		if (j >= t->v.end)
			break; /* not inside: cannot happen on a well-formed tape */
	}
	return 0;
}

static uint32_t string_kind(const struct sl_infer *inf, const char *s, size_t len)
{
	/* Cheap shape tests first: the checkers are only asked when the length fits. */
	if (len == 10 && inf->is_date && inf->is_date(s, len))
		return K_DATE;
	if (len == 36 && inf->is_uuid && inf->is_uuid(s, len))
		return K_UUID;
	if (len >= 20 && len <= 40 && s[4] == '-' && inf->is_ts && inf->is_ts(s, len))
		return K_TS;
	return K_STR;
}

static int walk(struct sl_infer *inf, struct inode *n, const struct sl_json_doc *doc,
		size_t *i, uint32_t depth, struct sl_err *err);

static int walk_object(struct sl_infer *inf, struct inode *n, const struct sl_json_doc *doc,
		       size_t *i, uint32_t depth, struct sl_err *err)
{
	const struct sl_json_tok *t = &doc->tok[*i];
	size_t end = t->v.end, k = 0;

	n->n_objects++;
	(*i)++;
	while (*i < end) {
		const struct sl_json_tok *key = &doc->tok[*i];
		struct inode *child;
		int rc;

		(*i)++;
		if (n->as_map) {
			child = n->map_value;
		} else {
			struct member *m = member_find(n, key->v.s, key->len, k);

			if (!m) {
				if (n->n_members >= inf->opts.max_struct_fields) {
					if (make_map(inf, n, err) < 0)
						return err ? err->code : SL_ENOMEM;
					child = n->map_value;
					goto have_child;
				}
				m = member_add(inf, n, key->v.s, key->len, err);
				if (!m)
					return err ? err->code : SL_ENOMEM;
			}
			/* A key repeated in one record counts once. */
			if (!(key->flags & SL_JSON_F_DUPKEY))
				m->n++;
			k = (size_t)(m - n->members) + 1;
			child = m->node;
		}
have_child:
		rc = walk(inf, child, doc, i, depth + 1, err);
		if (rc < 0)
			return rc;
	}
	(*i)++; /* END */
	return 0;
}

static int walk(struct sl_infer *inf, struct inode *n, const struct sl_json_doc *doc,
		size_t *i, uint32_t depth, struct sl_err *err)
{
	const struct sl_json_tok *t = &doc->tok[*i];
	int rc;

	inf->at = *i;
	if ((t->type == SL_JSON_OBJECT || t->type == SL_JSON_ARRAY) &&
	    depth >= inf->opts.max_depth) {
		*i = t->v.end + 1;
		return add_kind(inf, n, K_DEEP, err);
	}
	switch (t->type) {
	case SL_JSON_NULL:
		(*i)++;
		return add_kind(inf, n, K_NULL, err);
	case SL_JSON_TRUE:
	case SL_JSON_FALSE:
		(*i)++;
		return add_kind(inf, n, K_BOOL, err);
	case SL_JSON_INT:
		(*i)++;
		return add_kind(inf, n, K_INT, err);
	case SL_JSON_BIGINT: /* beyond int64: only a double holds it */
	case SL_JSON_DOUBLE:
		(*i)++;
		return add_kind(inf, n, K_DOUBLE, err);
	case SL_JSON_STRING:
		(*i)++;
		/* once a plain string was seen here, every string keeps the column a string:
		 * the format checks would change nothing */
		return add_kind(inf, n, (n->kinds & K_STR) ? K_STR : string_kind(inf, t->v.s, t->len),
				err);
	case SL_JSON_OBJECT:
		rc = add_kind(inf, n, K_OBJECT, err);
		if (rc < 0)
			return rc;
		return walk_object(inf, n, doc, i, depth, err);
	case SL_JSON_ARRAY:
		rc = add_kind(inf, n, K_ARRAY, err);
		if (rc < 0)
			return rc;
		(*i)++;
		if (*i < t->v.end && !n->elem && !(n->elem = new_path(inf, err)))
			return err ? err->code : SL_ENOMEM;
		while (*i < t->v.end) {
			rc = walk(inf, n->elem, doc, i, depth + 1, err);
			if (rc < 0)
				return rc;
		}
		(*i)++; /* END */
		return 0;
	default:
		return sl_err_set(err, SL_EINVAL, "type inference: unexpected token %d", t->type);
	}
}

int sl_infer_add(struct sl_infer *inf, const struct sl_json_doc *doc, struct sl_err *err)
{
	size_t i = 0;
	int rc;

	if (doc->n_tok == 0)
		return 0;
	inf->doc = doc;
	rc = walk(inf, &inf->root, doc, &i, 0, err);
	inf->records++;
	return rc;
}

/* ---- reading the type off the nodes -------------------------------------------------- */

static struct sl_type *node_type(const struct sl_infer *inf, const struct inode *n,
				 bool nullable, struct sl_err *err);

static struct sl_type *leaf(enum sl_type_kind kind, bool nullable, struct sl_err *err)
{
	struct sl_type *t = sl_type_new(kind, nullable);

	if (!t)
		sl_err_set(err, SL_ENOMEM, "type inference: out of memory");
	return t;
}

/* Whether n never held a value that says its type (omit_unknown). */
static bool unknown(const struct inode *n)
{
	uint32_t k = n->kinds & ~K_NULL;
	return kind_classes(k) == 0 || (k == K_ARRAY && (!n->elem || unknown(n->elem)));
}

static struct sl_type *struct_type(const struct sl_infer *inf, const struct inode *n,
				   bool nullable, struct sl_err *err)
{
	struct sl_type *t = leaf(SL_T_STRUCT, nullable, err);

	for (size_t i = 0; t && i < n->n_members; i++) {
		const struct member *m = &n->members[i];
		struct sl_type *ft;

		if (inf->opts.omit_unknown && unknown(m->node))
			continue;
		ft = node_type(inf, m->node, m->n < n->n_objects, err);

		if (!ft || sl_type_add_field(t, m->name, ft, err) < 0) {
			sl_type_free(t);
			return NULL;
		}
	}
	return t;
}

static struct sl_type *node_type(const struct sl_infer *inf, const struct inode *n,
				 bool nullable, struct sl_err *err)
{
	uint32_t k = n->kinds & ~K_NULL;
	struct sl_type *t, *e;

	nullable = nullable || (n->kinds & K_NULL);
	if (kind_classes(k) == 0)
		return leaf(SL_T_JSON, nullable, err); /* never seen a value */
	if (kind_classes(k) > 1) /* a conflict (any other kind reads as json) */
		return leaf(inf->opts.conflict_kind == SL_T_STRING ? SL_T_STRING : SL_T_JSON,
			    nullable, err);
	if (k == K_BOOL)
		return leaf(SL_T_BOOL, nullable, err);
	if (k == K_INT) {
		t = leaf(SL_T_INT, nullable, err);
		if (t)
			t->bits = 64;
		return t;
	}
	if (k & K_NUMBERS)
		return leaf(SL_T_DOUBLE, nullable, err);
	if (k == K_TS) {
		t = leaf(SL_T_TIMESTAMP, nullable, err);
		if (t)
			t->unit = SL_TU_MICROS;
		return t;
	}
	if (k == K_DATE)
		return leaf(SL_T_DATE, nullable, err);
	if (k == K_UUID)
		return leaf(SL_T_UUID, nullable, err);
	if (k & K_STRINGS)
		return leaf(SL_T_STRING, nullable, err);
	if (k == K_ARRAY) {
		e = n->elem ? node_type(inf, n->elem, false, err) : leaf(SL_T_JSON, true, err);
		t = e ? leaf(SL_T_LIST, nullable, err) : NULL;
		if (!t) {
			sl_type_free(e);
			return NULL;
		}
		t->elem = e;
		return t;
	}
	if (k == K_OBJECT && n->as_map) {
		e = node_type(inf, n->map_value, false, err);
		t = e ? leaf(SL_T_MAP, nullable, err) : NULL;
		if (t)
			t->key = leaf(SL_T_STRING, false, err);
		if (!t || !t->key) {
			sl_type_free(e);
			sl_type_free(t);
			return NULL;
		}
		t->elem = e;
		return t;
	}
	if (k == K_OBJECT) {
		/* An empty member name cannot be a column: keep such objects whole. */
		for (size_t i = 0; i < n->n_members; i++)
			if (n->members[i].len == 0)
				return leaf(SL_T_JSON, nullable, err);
		return struct_type(inf, n, nullable, err);
	}
	return leaf(SL_T_JSON, nullable, err); /* K_DEEP */
}

struct sl_type *sl_infer_row_type(const struct sl_infer *inf, struct sl_err *err)
{
	const struct inode *r = &inf->root;
	struct sl_type *t;

	if ((r->kinds & ~K_OBJECT) || r->as_map || kind_classes(r->kinds) != 1) {
		sl_err_set(err, SL_EINVAL,
			   "type inference: every record must be a JSON object to make rows%s",
			   r->as_map ? " with at most max_struct_fields distinct members" : "");
		return NULL;
	}
	for (size_t i = 0; i < r->n_members; i++)
		if (r->members[i].len == 0) {
			sl_err_set(err, SL_EINVAL,
				   "type inference: a record member has an empty name, which "
				   "cannot be a column");
			return NULL;
		}
	t = struct_type(inf, r, false, err);
	if (t)
		t->nullable = false;
	return t;
}
