/*
 * validate.c - runs a compiled schema over a record's tape.
 *
 * node_valid(v, node, i, ev) decides whether the value at tok[i] is valid against node.
 * Member values and elements are reached by index arithmetic on the tape (a container's
 * v.end skips it), so nothing is allocated per record except scratch bitsets for
 * unevaluatedProperties / unevaluatedItems.
 *
 * Annotations: ev, when not NULL, is a bitset over the members (object) or elements
 * (array) of the value at i that some keyword has evaluated; unevaluated* read it. A
 * subschema whose failure does not fail its parent (anyOf, oneOf, if, contains) gets a
 * bitset of its own, merged only when it passes, so failed branches leave no
 * annotations.
 *
 * Errors: outside anyOf/oneOf/not/if/contains the first failures are recorded with the
 * instance's JSON pointer (from a stack of the members and elements descended through);
 * inside them evaluation is silent and stops at the first failure.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema/internal.h"

#define MAX_RECURSION 2048

struct path_el {
	uint32_t key; /* tape index of the member's KEY token, or UINT32_MAX for an element */
	uint32_t index;
};

struct sl_validator {
	const struct sl_schema *s;
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	/* the record */
	const struct sl_json_tok *tok;
	const char *text;
	uint64_t steps;
	bool limit;
	int silent;
	struct sl_schema_error *errs;
	size_t max_errs, n_errs;
	/* where we are in the record */
	struct path_el *path;
	size_t depth, path_cap;
	/* scratch bitsets, used as a stack */
	uint64_t *scratch;
	size_t scratch_top, scratch_cap;
	bool oom;
	/* $dynamicRef's dynamic scope */
	const struct resource **scope;
	size_t n_scope, scope_cap;
	int recursion;
	/* per object node: the property each member position matched last time (index + 1),
	 * since the records of a stream mostly list their members in one order */
	uint8_t *order; /* 64 positions per sl_snode.order_slot */
	bool jit;       /* every pattern of the schema is JIT-compiled */
};

/* ---- errors -------------------------------------------------------------------------- */

static void pointer_of(struct sl_validator *v, char *out, size_t cap)
{
	size_t w = 0;
	out[0] = '\0';
	for (size_t k = 0; k < v->depth && w + 8 < cap; k++) {
		out[w++] = '/';
		const struct path_el *e = &v->path[k];
		if (e->key == UINT32_MAX) {
			w += (size_t)snprintf(out + w, cap - w, "%u", e->index);
			if (w >= cap)
				w = cap - 1;
			continue;
		}
		const struct sl_json_tok *t = &v->tok[e->key];
		for (uint32_t m = 0; m < t->len && w + 5 < cap; m++) {
			char ch = t->v.s[m];
			if (ch == '~' || ch == '/') {
				out[w++] = '~';
				out[w++] = ch == '~' ? '0' : '1';
			} else {
				out[w++] = ch;
			}
		}
	}
	if (w + 8 >= cap && v->depth) {
		w = cap - 4;
		memcpy(out + w, "...", 3);
		w += 3;
	}
	out[w] = '\0';
}

__attribute__((format(printf, 5, 6))) static void report(struct sl_validator *v,
							  const struct sl_snode *s, uint32_t i,
							  const char *kw, const char *fmt, ...)
{
	if (v->silent)
		return;
	if (v->n_errs < v->max_errs) {
		struct sl_schema_error *e = &v->errs[v->n_errs];
		pointer_of(v, e->pointer, sizeof(e->pointer));
		if (strcmp(kw, "false") == 0) {
			/* a false schema: name the keyword that holds it */
			const char *last = strrchr(s->path, '/');
			last = last ? last + 1 : "";
			bool is_kw = strcmp(last, "additionalProperties") == 0 ||
				     strcmp(last, "unevaluatedProperties") == 0 ||
				     strcmp(last, "unevaluatedItems") == 0 ||
				     strcmp(last, "items") == 0 || strcmp(last, "additionalItems") == 0;
			snprintf(e->keyword, sizeof(e->keyword), "%s", is_kw ? last : "false");
			snprintf(e->schema_path, sizeof(e->schema_path), "%s", s->path);
		} else {
			snprintf(e->keyword, sizeof(e->keyword), "%s", kw);
			snprintf(e->schema_path, sizeof(e->schema_path), "%s/%s", s->path, kw);
		}
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
		e->offset = v->tok[i].off;
	}
	v->n_errs++;
}

/* Whether to stop evaluating a node after a failure: always when silent (the result is
 * all that matters), else once the caller's error list is full. */
static inline bool stop(const struct sl_validator *v)
{
	return v->silent || v->n_errs >= v->max_errs || v->limit;
}

#define FAIL(...)                                                                             \
	do {                                                                                  \
		report(v, s, i, __VA_ARGS__);                                                 \
		ok = false;                                                                   \
		if (stop(v))                                                                  \
			goto done;                                                            \
	} while (0)

/* ---- scratch ------------------------------------------------------------------------- */

/* A zeroed bitset of n bits from the scratch stack; NULL (and v->oom) if out of memory. */
static uint64_t *bits_push(struct sl_validator *v, uint32_t n, size_t *mark)
{
	size_t words = (n + 63) / 64 + 1;
	*mark = v->scratch_top;
	if (v->scratch_top + words > v->scratch_cap) {
		size_t cap = v->scratch_cap ? v->scratch_cap : 1024;
		while (cap < v->scratch_top + words)
			cap *= 2;
		uint64_t *p = realloc(v->scratch, cap * sizeof(*p));
		if (!p) {
			v->oom = true;
			return NULL;
		}
		v->scratch = p;
		v->scratch_cap = cap;
	}
	uint64_t *b = v->scratch + v->scratch_top;
	memset(b, 0, words * sizeof(*b));
	v->scratch_top += words;
	return b;
}
/* Bitsets are addressed by offset, not pointer, across calls that may grow scratch. */
#define BITS(off) (v->scratch + (off))

static inline void bit_set(uint64_t *b, uint32_t k)
{
	b[k / 64] |= 1ull << (k % 64);
}

static inline bool bit_get(const uint64_t *b, uint32_t k)
{
	return b[k / 64] >> (k % 64) & 1;
}

/* ---- numbers ------------------------------------------------------------------------- */

static double tok_double(const struct sl_validator *v, const struct sl_json_tok *t)
{
	if (t->type == SL_JSON_INT)
		return (double)t->v.i;
	if (t->type == SL_JSON_DOUBLE)
		return t->v.d;
	char buf[1100];
	size_t len = t->len < sizeof(buf) - 1 ? t->len : sizeof(buf) - 1;
	memcpy(buf, v->text + t->off, len);
	buf[len] = '\0';
	return strtod(buf, NULL);
}

/* instance <=> bound: -1, 0, 1 */
static int num_cmp(const struct sl_validator *v, const struct sl_json_tok *t,
		   const struct num *b)
{
	if (t->type == SL_JSON_INT && b->is_int)
		return (t->v.i > b->i) - (t->v.i < b->i);
	double x = tok_double(v, t);
	return (x > b->d) - (x < b->d);
}

static bool multiple_of(const struct sl_validator *v, const struct sl_json_tok *t,
			const struct num *m)
{
	if (t->type == SL_JSON_INT && m->is_int)
		return t->v.i % m->i == 0;
	double x = tok_double(v, t);
	double q = x / m->d;
	if (!isfinite(q))
		return fmod(x, m->d) == 0;
	double r = nearbyint(q);
	/* decimal multiples such as 0.0075 / 0.0001 are not exact in binary */
	return q == r || (fabs(q) < 1e9 && fabs(q - r) < 1e-9);
}

static inline uint16_t type_bits(const struct sl_json_tok *t)
{
	static const uint16_t bits[16] = {
		[SL_JSON_NULL] = T_NULL,		    [SL_JSON_FALSE] = T_BOOLEAN,
		[SL_JSON_TRUE] = T_BOOLEAN,		    [SL_JSON_INT] = T_NUMBER | T_INTEGER,
		[SL_JSON_BIGINT] = T_NUMBER | T_INTEGER, [SL_JSON_DOUBLE] = T_NUMBER,
		[SL_JSON_STRING] = T_STRING,		    [SL_JSON_KEY] = T_STRING,
		[SL_JSON_OBJECT] = T_OBJECT,		    [SL_JSON_ARRAY] = T_ARRAY};
	uint16_t b = bits[t->type & 15];
	if (t->type == SL_JSON_DOUBLE && t->v.d == floor(t->v.d) && isfinite(t->v.d))
		b |= T_INTEGER; /* 1.0 is an integer */
	return b;
}

/* type_bits(t) & types, computing "is this double integral" only when it matters */
static inline bool type_ok(const struct sl_json_tok *t, uint16_t types)
{
	static const uint16_t bits[16] = {
		[SL_JSON_NULL] = T_NULL,		    [SL_JSON_FALSE] = T_BOOLEAN,
		[SL_JSON_TRUE] = T_BOOLEAN,		    [SL_JSON_INT] = T_NUMBER | T_INTEGER,
		[SL_JSON_BIGINT] = T_NUMBER | T_INTEGER, [SL_JSON_DOUBLE] = T_NUMBER,
		[SL_JSON_STRING] = T_STRING,		    [SL_JSON_KEY] = T_STRING,
		[SL_JSON_OBJECT] = T_OBJECT,		    [SL_JSON_ARRAY] = T_ARRAY};
	return (bits[t->type & 15] & types) || (types & T_INTEGER && (type_bits(t) & types));
}

static const char *type_name(const struct sl_json_tok *t)
{
	static const char *names[] = {"?",      "null",   "boolean", "boolean", "integer", "integer",
				      "number", "string", "string",  "object",  "array",   "?"};
	return t->type < sizeof(names) / sizeof(names[0]) ? names[t->type] : "?";
}

static void types_text(uint16_t types, char *out, size_t cap)
{
	static const char *names[] = {"null", "boolean", "object", "array", "number", "string",
				      "integer"};
	size_t w = 0;
	out[0] = '\0';
	for (int k = 0; k < 7; k++)
		if (types & (1 << k))
			w += (size_t)snprintf(out + w, w < cap ? cap - w : 0, "%s%s", w ? " or " : "",
					      names[k]);
}

/* ---- strings ------------------------------------------------------------------------- */

static int64_t utf8_chars(const char *s, uint32_t len)
{
	int64_t n = 0;
	for (uint32_t k = 0; k < len; k++)
		n += ((uint8_t)s[k] & 0xC0) != 0x80;
	return n;
}

/* 1 match, 0 none, < 0 the match limit (a regex that backtracks without end) */
static int regex_match(struct sl_validator *v, pcre2_code *re, const char *s, uint32_t len)
{
	/* JIT-compiled patterns (all, where PCRE2 has a JIT) skip pcre2_match's checks */
	int rc = v->jit ? pcre2_jit_match(re, (PCRE2_SPTR)s, len, 0, 0, v->md, v->mctx)
			: pcre2_match(re, (PCRE2_SPTR)s, len, 0, PCRE2_NO_UTF_CHECK, v->md, v->mctx);
	if (rc >= 0)
		return 1;
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	return -1;
}

/* ---- the walk ------------------------------------------------------------------------ */

static bool node_valid(struct sl_validator *v, const struct sl_snode *s, uint32_t i,
		       size_t ev);

#define NO_EV ((size_t)-1)

/* A subschema whose failure the caller may survive: annotations merged only on success. */
static bool sub_valid(struct sl_validator *v, const struct sl_snode *s, uint32_t i, size_t ev)
{
	if (ev == NO_EV)
		return node_valid(v, s, i, NO_EV);
	uint32_t n = v->tok[i].len;
	size_t mark;
	if (!bits_push(v, n, &mark))
		return false;
	bool ok = node_valid(v, s, i, mark);
	if (ok)
		for (size_t w = 0; w < (n + 63) / 64; w++)
			BITS(ev)[w] |= BITS(mark)[w];
	v->scratch_top = mark;
	return ok;
}

static inline bool push_path(struct sl_validator *v, uint32_t key, uint32_t index)
{
	if (v->depth == v->path_cap) {
		size_t cap = v->path_cap ? 2 * v->path_cap : 64;
		struct path_el *p = realloc(v->path, cap * sizeof(*p));
		if (!p) {
			v->oom = true;
			return false;
		}
		v->path = p;
		v->path_cap = cap;
	}
	v->path[v->depth++] = (struct path_el){key, index};
	return true;
}

static bool enum_valid(struct sl_validator *v, const struct sl_snode *s, uint32_t i);
static bool string_valid(struct sl_validator *v, const struct sl_snode *s, uint32_t i);
static bool number_valid(struct sl_validator *v, const struct sl_snode *s, uint32_t i);

/* A leaf (no applicators) when nothing is reported: no path, scope or annotations. */
static __attribute__((noinline)) bool leaf_valid(struct sl_validator *v, const struct sl_snode *s, uint32_t i)
{
	const struct sl_json_tok *t = &v->tok[i];
	v->steps++;
	if ((s->has & K_TYPE) && !type_ok(t, s->types))
		return false;
	switch (t->type) {
	case SL_JSON_STRING:
	case SL_JSON_KEY:
		if ((s->has & K_STRING_KW) && !string_valid(v, s, i))
			return false;
		break;
	case SL_JSON_INT:
	case SL_JSON_DOUBLE:
	case SL_JSON_BIGINT:
		if ((s->has & K_NUMBER_KW) && !number_valid(v, s, i))
			return false;
		break;
	default:
		break;
	}
	if ((s->has & K_ENUM) && !enum_valid(v, s, i))
		return false;
	if ((s->has & K_CONST) && !sl_sv_tape_tree_equal(v->tok, v->text, i, s->const_value))
		return false;
	return !v->limit;
}

static inline bool fast_valid(struct sl_validator *v, const struct sl_snode *s, uint32_t i);

/* The value at tok[val] (a member or an element) against sub, with the path pushed. */
static inline bool child_valid(struct sl_validator *v, const struct sl_snode *sub, uint32_t val,
			       uint32_t key, uint32_t index)
{
	if (sub->boolean == 1)
		return true;
	if (v->silent) /* nothing is reported: no path needed */
		return fast_valid(v, sub, val);
	if (!push_path(v, key, index))
		return false;
	bool ok = node_valid(v, sub, val, NO_EV);
	v->depth--;
	return ok;
}

/* a[0 .. n) == b[0 .. n), without a call for the short names records are made of */
static inline bool bytes_eq(const char *a, const char *b, uint32_t n)
{
	uint64_t x, y, p, q;
	if (n >= 8) {
		if (n > 16 && memcmp(a, b, n - 8) != 0)
			return false;
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		memcpy(&p, a + n - 8, 8);
		memcpy(&q, b + n - 8, 8);
		return ((x ^ y) | (p ^ q)) == 0;
	}
	if (n >= 4) {
		uint32_t x4, y4, p4, q4;
		memcpy(&x4, a, 4);
		memcpy(&y4, b, 4);
		memcpy(&p4, a + n - 4, 4);
		memcpy(&q4, b + n - 4, 4);
		return ((x4 ^ y4) | (p4 ^ q4)) == 0;
	}
	if (n >= 2) {
		uint16_t x2, y2, p2, q2;
		memcpy(&x2, a, 2);
		memcpy(&y2, b, 2);
		memcpy(&p2, a + n - 2, 2);
		memcpy(&q2, b + n - 2, 2);
		return ((x2 ^ y2) | (p2 ^ q2)) == 0;
	}
	return n == 0 || a[0] == b[0];
}

/* The index + 1 of the first value after value number `after` (0: from the start) that
 * equals s[0 .. len), or 0 when there is none. */
static inline uint32_t str_find(const struct str_slot *table, uint32_t mask, const char *s,
				uint32_t len, uint32_t after)
{
	uint32_t hash = sl_sv_name_hash(s, len);
	for (uint32_t h = hash & mask;; h = (h + 1) & mask) {
		const struct str_slot *x = &table[h];
		if (!x->idx)
			return 0;
		if (x->idx > after && x->hash == hash && x->len == len && bytes_eq(x->s, s, len))
			return x->idx;
	}
}

static const struct prop *find_prop(const struct sl_snode *s, const char *name, uint32_t len)
{
	uint32_t h = sl_sv_name_hash(name, len);
	for (uint32_t k = h & s->prop_mask;; k = (k + 1) & s->prop_mask) {
		int32_t p = s->prop_table[k];
		if (p < 0)
			return NULL;
		const struct prop *pr = &s->props[p];
		if (pr->hash == h && pr->len == len && bytes_eq(pr->name, name, len))
			return pr;
	}
}

/* The member-order prediction table of object node s (64 positions). */
static inline uint8_t *order_of(struct sl_validator *v, const struct sl_snode *s)
{
	return v->order + (size_t)s->order_slot * 64;
}

/* The property member key names (s has properties), guessing from the order the last
 * record had. */
static inline const struct prop *prop_of(const struct sl_snode *s, const struct sl_json_tok *key,
					 uint32_t k, uint8_t *order)
{
	if (k < 64) {
		uint8_t e = order[k];
		if (e) {
			const struct prop *guess = &s->props[e - 1];
			if (guess->len == key->len && bytes_eq(guess->name, key->v.s, key->len))
				return guess;
		}
		const struct prop *p = find_prop(s, key->v.s, key->len);
		order[k] = p && p - s->props < 255 ? (uint8_t)(p - s->props + 1) : 0;
		return p;
	}
	return find_prop(s, key->v.s, key->len);
}

/* ---- the silent fast path ------------------------------------------------------------
 * While nothing is reported (the first pass over every record, and inside anyOf, not,
 * ...), the common node shapes are evaluated by these lean functions; anything else
 * goes to node_valid. Same verdicts; tested by the Test Suite like the rest. */

/* Index of the member named name in the object at i, or UINT32_MAX. */
static uint32_t member(const struct sl_json_tok *tok, uint32_t i, const char *name, uint32_t len)
{
	uint32_t j = i + 1;
	for (uint32_t k = 0; k < tok[i].len; k++) {
		if (tok[j].len == len && bytes_eq(tok[j].v.s, name, len))
			return j;
		j = sl_sv_next(tok, j + 1);
	}
	return UINT32_MAX;
}

static bool disc_valid(struct sl_validator *v, const struct disc *d, uint32_t i);

/* At the entry of a fast-path node with children: 1 go on, 0 the budget is spent, or
 * -1 let node_valid do it (it keeps the dynamic scope a $dynamicRef may need). Objects
 * and arrays descend into the record, so their recursion is bounded by its depth. */
static inline int fast_enter(struct sl_validator *v)
{
	if (++v->steps > v->s->max_steps || v->limit) {
		v->limit = true;
		return 0;
	}
	return v->s->uses_dynamic ? -1 : 1;
}

static __attribute__((noinline)) bool fast_array(struct sl_validator *v,
						  const struct sl_snode *s, uint32_t i)
{
	const struct sl_json_tok *tok = v->tok, *t = &tok[i];
	int go = fast_enter(v);
	if (go <= 0)
		return go < 0 ? node_valid(v, s, i, NO_EV) : false;
	if (t->type != SL_JSON_ARRAY)
		return !(s->has & K_TYPE) || type_ok(t, s->types);
	if ((s->has & K_TYPE) && !(s->types & T_ARRAY))
		return false;
	if ((s->has & K_MINITEMS) && t->len < (uint64_t)s->min_items)
		return false;
	if ((s->has & K_MAXITEMS) && t->len > (uint64_t)s->max_items)
		return false;
	if (s->items)
		for (uint32_t k = 0, j = i + 1; k < t->len; k++, j = sl_sv_next(tok, j))
			if (!fast_valid(v, s->items, j))
				return false;
	return !v->limit && v->steps <= v->s->max_steps;
}

static __attribute__((noinline)) bool fast_object(struct sl_validator *v,
						   const struct sl_snode *s, uint32_t i)
{
	const struct sl_json_tok *tok = v->tok, *t = &tok[i];
	int go = fast_enter(v);
	if (go <= 0)
		return go < 0 ? node_valid(v, s, i, NO_EV) : false;
	if (t->type != SL_JSON_OBJECT)
		return !(s->has & K_TYPE) || (type_bits(t) & s->types);
	if ((s->has & K_TYPE) && !(s->types & T_OBJECT))
		return false;
	if (s->lookup) { /* a few names: find them rather than look at every member */
		for (uint32_t k = 0; k < s->n_props; k++) {
			const struct prop *p = &s->props[k];
			uint32_t m = member(tok, i, p->name, p->len);
			if (m == UINT32_MAX ? p->req_bit >= 0 : p->schema && !fast_valid(v, p->schema, m + 1))
				return false;
		}
		goto counts;
	}
	uint8_t *order = order_of(v, s);
	uint64_t seen = 0;
	uint32_t j = i + 1;
	for (uint32_t k = 0; k < t->len; k++) {
		const struct prop *p = s->n_props ? prop_of(s, &tok[j], k, order) : NULL;
		uint32_t val = j + 1;
		seen |= p ? p->req_mask : 0;
		const struct sl_snode *sub = p && p->schema ? p->schema : s->additional;
		if (sub && !fast_valid(v, sub, val))
			return false;
		j = sl_sv_next(tok, val);
	}
	if ((seen & s->req_want) != s->req_want && s->n_required)
		return false;
counts:
	if (s->disc && !disc_valid(v, s->disc, i))
		return false;
	if ((s->has & K_MINPROPS) && t->len < (uint64_t)s->min_props)
		return false;
	if ((s->has & K_MAXPROPS) && t->len > (uint64_t)s->max_props)
		return false;
	return !v->limit && v->steps <= v->s->max_steps;
}

/* Nodes with applicators: kept out of line, so that fast_valid (the leaves) stays small
 * enough to inline into the loops that call it. */
static bool fast_node(struct sl_validator *v, const struct sl_snode *s, uint32_t i)
{
	if (v->steps > v->s->max_steps || v->limit) { /* the budget is spent: stop at once */
		v->limit = true;
		return false;
	}
	/* nodes that may contain a $dynamicRef need the dynamic scope node_valid keeps */
	if (v->s->uses_dynamic || v->recursion >= MAX_RECURSION)
		return node_valid(v, s, i, NO_EV);
	bool ok;
	v->recursion++;
	switch (s->kind) {
	case KIND_ONEOF: {
		uint32_t n = 0;
		v->steps++;
		for (uint32_t k = 0; k < s->n_one_of && n < 2 && !v->limit; k++)
			n += fast_valid(v, s->one_of[k], i);
		ok = n == 1;
		break;
	}
	case KIND_ANYOF:
		v->steps++;
		ok = false;
		for (uint32_t k = 0; k < s->n_any_of && !ok && !v->limit; k++)
			ok = fast_valid(v, s->any_of[k], i);
		break;
	default:
		ok = node_valid(v, s, i, NO_EV);
		break;
	}
	v->recursion--;
	return ok && !v->limit && v->steps <= v->s->max_steps;
}

static inline __attribute__((always_inline)) bool fast_valid(struct sl_validator *v,
								      const struct sl_snode *s,
								      uint32_t i)
{
	/* no cycle: compile refuses in-place cycles; $dynamicRef needs node_valid's scope */
	while (s->kind == KIND_REF && !v->s->uses_dynamic)
		s = s->ref;
	const struct sl_json_tok *t = &v->tok[i];
	switch (s->kind) {
	case KIND_TYPE:
		return type_ok(t, s->types);
	case KIND_STRENUM:
		return (t->type == SL_JSON_STRING || t->type == SL_JSON_KEY) && enum_valid(v, s, i);
	case KIND_STRLEN:
		if (t->type != SL_JSON_STRING && t->type != SL_JSON_KEY)
			return false;
		if (t->len <= (uint64_t)s->max_len && t->len / 4 >= (uint64_t)s->min_len)
			return true; /* len bytes hold len / 4 .. len characters */
		return leaf_valid(v, s, i);
	case KIND_INTRANGE:
		if (t->type == SL_JSON_INT)
			return t->v.i >= s->int_lo && t->v.i <= s->int_hi;
		return leaf_valid(v, s, i);
	case KIND_LEAF:
		return leaf_valid(v, s, i);
	case KIND_TRUE:
		return true;
	case KIND_FALSE:
		return false;
	case KIND_OBJECT:
		return fast_object(v, s, i);
	case KIND_ARRAY:
		return fast_array(v, s, i);
	default:
		return fast_node(v, s, i);
	}
}

static bool object_valid(struct sl_validator *v, const struct sl_snode *s, uint32_t i,
			 size_t ev)
{
	const struct sl_json_tok *tok = v->tok, *t = &tok[i];
	bool ok = true;
	uint64_t seen = 0;
	uint32_t j = i + 1;
	uint8_t *order = s->n_props ? order_of(v, s) : NULL;
	if (s->lookup && ev == NO_EV) { /* a few names: look them up instead */
		for (uint32_t k = 0; k < s->n_props; k++) {
			const struct prop *p = &s->props[k];
			uint32_t m = member(tok, i, p->name, p->len);
			if (m == UINT32_MAX) {
				if (p->req_bit >= 0) {
					report(v, s, i, "required", "missing required property \"%.*s\"",
					       (int)(p->len > 100 ? 100 : p->len), p->name);
					ok = false;
				}
			} else if (p->schema && !child_valid(v, p->schema, m + 1, m, 0)) {
				ok = false;
			}
			if (!ok && stop(v))
				return false;
		}
		goto counts;
	}
	for (uint32_t k = 0; k < t->len; k++) {
		const struct sl_json_tok *key = &tok[j];
		uint32_t val = j + 1;
		bool matched = false;
		if (s->n_props) {
			const struct prop *p = prop_of(s, key, k, order);
			if (p) {
				if (p->req_bit >= 0 && p->req_bit < 64)
					seen |= 1ull << p->req_bit;
				if (p->schema) {
					matched = true;
					if (!child_valid(v, p->schema, val, j, 0)) {
						ok = false;
						if (stop(v))
							return false;
					}
				}
			}
		}
		for (uint32_t m = 0; m < s->n_pattern_props; m++) {
			int r = regex_match(v, s->pattern_props[m].re, key->v.s, key->len);
			if (r < 0) {
				v->limit = true;
				return false;
			}
			if (r) {
				matched = true;
				if (!child_valid(v, s->pattern_props[m].schema, val, j, 0)) {
					ok = false;
					if (stop(v))
						return false;
				}
			}
		}
		if (!matched && s->additional) {
			matched = true;
			if (!child_valid(v, s->additional, val, j, 0)) {
				ok = false;
				if (stop(v))
					return false;
			}
		}
		if (s->property_names && !child_valid(v, s->property_names, j, j, 0)) {
			ok = false;
			if (stop(v))
				return false;
		}
		if (matched && ev != NO_EV)
			bit_set(BITS(ev), k);
		j = sl_sv_next(tok, val);
	}
	if (s->n_required) {
		if (s->n_required <= 64) {
			uint64_t want = s->n_required == 64 ? ~0ull : (1ull << s->n_required) - 1;
			if ((seen & want) != want) {
				for (uint32_t k = 0; k < s->n_props; k++) {
					const struct prop *p = &s->props[k];
					if (p->req_bit >= 0 && !(seen >> p->req_bit & 1)) {
						report(v, s, i, "required", "missing required property \"%.*s\"",
						       (int)(p->len > 100 ? 100 : p->len), p->name);
						ok = false;
						if (stop(v))
							return false;
					}
				}
			}
		} else {
			for (uint32_t k = 0; k < s->n_props; k++) {
				const struct prop *p = &s->props[k];
				if (p->req_bit >= 0 && member(tok, i, p->name, p->len) == UINT32_MAX) {
					report(v, s, i, "required", "missing required property \"%.*s\"",
					       (int)(p->len > 100 ? 100 : p->len), p->name);
					ok = false;
					if (stop(v))
						return false;
				}
			}
		}
	}
	for (uint32_t k = 0; k < s->n_deps; k++) {
		const struct dep *d = &s->deps[k];
		if (member(tok, i, d->name, d->len) == UINT32_MAX)
			continue;
		for (uint32_t m = 0; m < d->n_required; m++)
			if (member(tok, i, d->required[m], d->required_lens[m]) == UINT32_MAX) {
				report(v, s, i, "dependentRequired",
				       "property \"%.*s\" requires property \"%.*s\"", (int)(d->len > 100 ? 100 : d->len),
				       d->name, (int)(d->required_lens[m] > 100 ? 100 : d->required_lens[m]),
				       d->required[m]);
				ok = false;
				if (stop(v))
					return false;
			}
		if (d->schema && !node_valid(v, d->schema, i, ev)) {
			ok = false;
			if (stop(v))
				return false;
		}
	}
counts:
	if ((s->has & K_MINPROPS) && t->len < (uint64_t)s->min_props) {
		report(v, s, i, "minProperties", "%u properties, fewer than %lld", t->len,
		       (long long)s->min_props);
		ok = false;
	}
	if ((s->has & K_MAXPROPS) && t->len > (uint64_t)s->max_props) {
		report(v, s, i, "maxProperties", "%u properties, more than %lld", t->len,
		       (long long)s->max_props);
		ok = false;
	}
	return ok;
}

static int cmp_u64(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;
	return (x[0] > y[0]) - (x[0] < y[0]);
}

/* The first pair of equal elements of the array at i (returns false), or true. */
static bool unique_items(struct sl_validator *v, uint32_t i, uint32_t *dup_a, uint32_t *dup_b)
{
	const struct sl_json_tok *tok = v->tok;
	uint32_t n = tok[i].len;
	if (n < 2)
		return true;
	/* (hash, element index, tape index) triples, sorted by hash */
	size_t mark;
	if (!bits_push(v, n * 3 * 64, &mark))
		return true;
	uint64_t *h = BITS(mark);
	uint32_t j = i + 1;
	for (uint32_t k = 0; k < n; k++, j = sl_sv_next(tok, j)) {
		h[3 * k] = sl_sv_tape_hash(tok, v->text, j);
		h[3 * k + 1] = k;
		h[3 * k + 2] = j;
	}
	qsort(h, n, 3 * sizeof(uint64_t), cmp_u64);
	bool ok = true;
	for (uint32_t a = 0; a < n && ok; a++)
		for (uint32_t b = a + 1; b < n && h[3 * b] == h[3 * a]; b++)
			if (sl_sv_tape_equal(tok, v->text, (uint32_t)h[3 * a + 2],
					     (uint32_t)h[3 * b + 2])) {
				*dup_a = (uint32_t)h[3 * a + 1];
				*dup_b = (uint32_t)h[3 * b + 1];
				if (*dup_a > *dup_b) {
					uint32_t x = *dup_a;
					*dup_a = *dup_b;
					*dup_b = x;
				}
				ok = false;
				break;
			}
	v->scratch_top = mark;
	return ok;
}

static bool array_valid(struct sl_validator *v, const struct sl_snode *s, uint32_t i, size_t ev)
{
	const struct sl_json_tok *tok = v->tok, *t = &tok[i];
	bool ok = true;
	int64_t matches = 0;
	uint32_t j = i + 1;
	if (s->n_prefix || s->items || s->contains) {
		for (uint32_t k = 0; k < t->len; k++, j = sl_sv_next(tok, j)) {
			const struct sl_snode *sub = k < s->n_prefix ? s->prefix[k]
					       : s->items	 ? s->items
								 : NULL;
			if (sub) {
				if (!child_valid(v, sub, j, UINT32_MAX, k)) {
					ok = false;
					if (stop(v))
						return false;
				}
				if (ev != NO_EV)
					bit_set(BITS(ev), k);
			}
			if (s->contains) {
				v->silent++;
				bool c = child_valid(v, s->contains, j, UINT32_MAX, k);
				v->silent--;
				if (c) {
					matches++;
					if (ev != NO_EV)
						bit_set(BITS(ev), k);
				}
				if (v->limit)
					return false;
			}
		}
	}
	if (s->contains) {
		if (matches < s->min_contains) {
			if (s->min_contains == 1)
				report(v, s, i, "contains", "no element matches \"contains\"");
			else
				report(v, s, i, "minContains",
				       "%lld elements match \"contains\", fewer than %lld",
				       (long long)matches, (long long)s->min_contains);
			ok = false;
		} else if (s->max_contains >= 0 && matches > s->max_contains) {
			report(v, s, i, "maxContains", "%lld elements match \"contains\", more than %lld",
			       (long long)matches, (long long)s->max_contains);
			ok = false;
		}
		if (!ok && stop(v))
			return false;
	}
	if ((s->has & K_MINITEMS) && t->len < (uint64_t)s->min_items) {
		report(v, s, i, "minItems", "%u items, fewer than %lld", t->len,
		       (long long)s->min_items);
		ok = false;
	}
	if ((s->has & K_MAXITEMS) && t->len > (uint64_t)s->max_items) {
		report(v, s, i, "maxItems", "%u items, more than %lld", t->len, (long long)s->max_items);
		ok = false;
	}
	uint32_t a, b;
	if ((s->has & K_UNIQUE) && !unique_items(v, i, &a, &b)) {
		report(v, s, i, "uniqueItems", "items %u and %u are equal", a, b);
		ok = false;
	}
	return ok;
}

static bool string_valid(struct sl_validator *v, const struct sl_snode *s, uint32_t i)
{
	const struct sl_json_tok *t = &v->tok[i];
	bool ok = true;
	/* a UTF-8 string of len bytes has between len / 4 and len characters */
	if ((s->has & (K_MINLEN | K_MAXLEN)) &&
	    (((s->has & K_MINLEN) && t->len / 4 < (uint64_t)s->min_len) ||
	     ((s->has & K_MAXLEN) && t->len > (uint64_t)s->max_len))) {
		int64_t n = utf8_chars(t->v.s, t->len);
		if ((s->has & K_MINLEN) && n < s->min_len) {
			report(v, s, i, "minLength", "%lld characters, fewer than %lld", (long long)n,
			       (long long)s->min_len);
			ok = false;
		}
		if ((s->has & K_MAXLEN) && n > s->max_len) {
			report(v, s, i, "maxLength", "%lld characters, more than %lld", (long long)n,
			       (long long)s->max_len);
			ok = false;
		}
		if (!ok && stop(v))
			return false;
	}
	if (s->pattern) {
		int r = regex_match(v, s->pattern->re, t->v.s, t->len);
		if (r < 0) {
			v->limit = true;
			return false;
		}
		if (!r) {
			report(v, s, i, "pattern", "does not match the pattern \"%.100s\"",
			       s->pattern->source);
			ok = false;
			if (stop(v))
				return false;
		}
	}
	if (s->format && !s->format(t->v.s, t->len)) {
		report(v, s, i, "format", "is not a valid %s", s->format_name);
		ok = false;
	}
	return ok;
}

static bool number_valid(struct sl_validator *v, const struct sl_snode *s, uint32_t i)
{
	const struct sl_json_tok *t = &v->tok[i];
	const int len = t->len > 40 ? 40 : (int)t->len;
	const char *txt = v->text + t->off;
	bool ok = true;
	if ((s->has & K_MINIMUM) && num_cmp(v, t, &s->minimum) < 0) {
		report(v, s, i, "minimum", "%.*s is less than the minimum", len, txt);
		ok = false;
	}
	if ((s->has & K_MAXIMUM) && num_cmp(v, t, &s->maximum) > 0) {
		report(v, s, i, "maximum", "%.*s is greater than the maximum", len, txt);
		ok = false;
	}
	if ((s->has & K_XMINIMUM) && num_cmp(v, t, &s->xminimum) <= 0) {
		report(v, s, i, "exclusiveMinimum", "%.*s is not greater than the exclusive minimum",
		       len, txt);
		ok = false;
	}
	if ((s->has & K_XMAXIMUM) && num_cmp(v, t, &s->xmaximum) >= 0) {
		report(v, s, i, "exclusiveMaximum", "%.*s is not less than the exclusive maximum",
		       len, txt);
		ok = false;
	}
	if ((s->has & K_MULTIPLE) && !multiple_of(v, t, &s->multiple)) {
		report(v, s, i, "multipleOf", "%.*s is not a multiple of %g", len, txt, s->multiple.d);
		ok = false;
	}
	return ok;
}

/* A tagged union (struct disc): each branch's "if" passes when the member is absent,
 * or the value is not an object, or the member equals the branch's constant; then its
 * "then" must pass. Same verdict as evaluating every if, with one member lookup. */
static bool disc_valid(struct sl_validator *v, const struct disc *d, uint32_t i)
{
	uint32_t m = v->tok[i].type == SL_JSON_OBJECT ? member(v->tok, i, d->key, d->len)
						      : UINT32_MAX;
	bool ok = true;
	if (m != UINT32_MAX && d->table) { /* string tags: only the equal ones' branches */
		const struct sl_json_tok *t = &v->tok[m + 1];
		if (t->type != SL_JSON_STRING)
			return true;
		/* every branch whose constant equals the tag (usually one); equal constants sit
		 * along one probe chain in increasing order */
		for (uint32_t e = 0; (e = str_find(d->table, d->mask, t->v.s, t->len, e)) != 0;) {
			if (!(v->silent ? fast_valid(v, d->thens[e - 1], i)
					: node_valid(v, d->thens[e - 1], i, NO_EV))) {
				ok = false;
				if (stop(v))
					return false;
			}
		}
		return ok;
	}
	for (uint32_t k = 0; k < d->n; k++) {
		if (m != UINT32_MAX && !sl_sv_tape_tree_equal(v->tok, v->text, m + 1, d->consts[k]))
			continue;
		if (!node_valid(v, d->thens[k], i, NO_EV)) {
			ok = false;
			if (stop(v))
				return false;
		}
	}
	return ok;
}

static bool inplace_valid(struct sl_validator *v, const struct sl_snode *s, uint32_t i,
			  size_t ev)
{
	bool ok = true;
	if (s->ref && !node_valid(v, s->ref, i, ev)) {
		ok = false;
		if (stop(v))
			return false;
	}
	if (s->dyn_ref) {
		const struct sl_snode *target = s->dyn_ref;
		if (s->dyn_ref_anchor)
			for (size_t k = 0; k < v->n_scope && target == s->dyn_ref; k++) {
				const struct resource *r = v->scope[k];
				for (size_t m = 0; m < r->n_dyn; m++)
					if (strcmp(r->dyn[m].name, s->dyn_ref_anchor) == 0) {
						target = r->dyn[m].node;
						break;
					}
			}
		if (!node_valid(v, target, i, ev)) {
			ok = false;
			if (stop(v))
				return false;
		}
	}
	if (s->disc && ev == NO_EV) {
		if (!disc_valid(v, s->disc, i)) {
			ok = false;
			if (stop(v))
				return false;
		}
	} else {
		for (uint32_t k = 0; k < s->n_all_of; k++)
			if (!node_valid(v, s->all_of[k], i, ev)) {
				ok = false;
				if (stop(v))
					return false;
			}
	}
	if (s->n_any_of) {
		bool any = false;
		v->silent++;
		/* every branch is evaluated when annotations are wanted: each passing one adds */
		for (uint32_t k = 0; k < s->n_any_of && (!any || ev != NO_EV); k++)
			if (sub_valid(v, s->any_of[k], i, ev))
				any = true;
		v->silent--;
		if (v->limit)
			return false;
		if (!any) {
			report(v, s, i, "anyOf", "matches none of the %u schemas of anyOf", s->n_any_of);
			ok = false;
			if (stop(v))
				return false;
		}
	}
	if (s->n_one_of) {
		uint32_t n = 0, first = 0, second = 0;
		v->silent++;
		for (uint32_t k = 0; k < s->n_one_of && n < 2; k++)
			if (sub_valid(v, s->one_of[k], i, ev)) {
				if (n++ == 0)
					first = k;
				else
					second = k;
			}
		v->silent--;
		if (v->limit)
			return false;
		if (n != 1) {
			if (n == 0)
				report(v, s, i, "oneOf", "matches none of the %u schemas of oneOf",
				       s->n_one_of);
			else
				report(v, s, i, "oneOf", "matches schemas %u and %u of oneOf, not one",
				       first, second);
			ok = false;
			if (stop(v))
				return false;
		}
	}
	if (s->not_) {
		v->silent++;
		bool r = node_valid(v, s->not_, i, NO_EV);
		v->silent--;
		if (v->limit)
			return false;
		if (r) {
			report(v, s, i, "not", "matches the schema of \"not\"");
			ok = false;
			if (stop(v))
				return false;
		}
	}
	if (s->if_) {
		v->silent++;
		bool cond = sub_valid(v, s->if_, i, ev);
		v->silent--;
		if (v->limit)
			return false;
		const struct sl_snode *branch = cond ? s->then_ : s->else_;
		if (branch && !node_valid(v, branch, i, ev)) {
			if (!v->silent && v->n_errs == 0)
				report(v, s, i, cond ? "then" : "else", "does not match the \"%s\" schema",
				       cond ? "then" : "else");
			ok = false;
		}
	}
	return ok;
}

static bool enum_valid(struct sl_validator *v, const struct sl_snode *s, uint32_t i)
{
	if (s->enum_table) { /* every value a string */
		const struct sl_json_tok *t = &v->tok[i];
		if (t->type != SL_JSON_STRING && t->type != SL_JSON_KEY)
			return false;
		return str_find(s->enum_table, s->enum_mask, t->v.s, t->len, 0) != 0;
	}
	for (uint32_t k = 0; k < s->n_enum; k++)
		if (sl_sv_tape_tree_equal(v->tok, v->text, i, s->enum_values[k]))
			return true;
	return false;
}

static bool node_valid(struct sl_validator *v, const struct sl_snode *s, uint32_t i, size_t ev)
{
	if (s->boolean >= 0) {
		if (!s->boolean)
			report(v, s, i, "false", "is not allowed here (the schema is false)");
		return s->boolean;
	}
	if (++v->steps > v->s->max_steps || v->recursion >= MAX_RECURSION || v->oom) {
		v->limit = true;
		return false;
	}
	const struct sl_json_tok *t = &v->tok[i];
	bool ok = true;
	bool pushed = false;
	size_t own = NO_EV, mark = 0;
	v->recursion++;
	if (v->s->uses_dynamic && (v->n_scope == 0 || v->scope[v->n_scope - 1] != s->resource)) {
		if (v->n_scope == v->scope_cap) {
			size_t cap = v->scope_cap ? 2 * v->scope_cap : 16;
			const struct resource **p = realloc(v->scope, cap * sizeof(*p));
			if (!p) {
				v->oom = v->limit = true;
				ok = false;
				goto done;
			}
			v->scope = p;
			v->scope_cap = cap;
		}
		v->scope[v->n_scope++] = s->resource;
		pushed = true;
	}
	/* unevaluatedProperties / Items collect annotations in a bitset of their own */
	if (((s->has & K_UNEVAL_PROPS) && t->type == SL_JSON_OBJECT) ||
	    ((s->has & K_UNEVAL_ITEMS) && t->type == SL_JSON_ARRAY)) {
		if (!bits_push(v, t->len, &mark)) {
			v->limit = true;
			ok = false;
			goto done;
		}
		own = mark;
	}
	size_t use = own != NO_EV ? own : ev;
	if ((s->has & K_TYPE) && !(type_bits(t) & s->types)) {
		char want[96] = "";
		if (!v->silent)
			types_text(s->types, want, sizeof(want));
		FAIL("type", "%s, not %s", type_name(t), want);
	}
	if ((s->has & K_INPLACE) && !inplace_valid(v, s, i, use)) {
		ok = false;
		if (stop(v))
			goto done;
	}
	switch (t->type) {
	case SL_JSON_OBJECT:
		if ((s->has & K_OBJECT_KW) && !object_valid(v, s, i, use)) {
			ok = false;
			if (stop(v))
				goto done;
		}
		break;
	case SL_JSON_ARRAY:
		if ((s->has & K_ARRAY_KW) && !array_valid(v, s, i, use)) {
			ok = false;
			if (stop(v))
				goto done;
		}
		break;
	case SL_JSON_STRING:
	case SL_JSON_KEY:
		if ((s->has & K_STRING_KW) && !string_valid(v, s, i)) {
			ok = false;
			if (stop(v))
				goto done;
		}
		break;
	case SL_JSON_INT:
	case SL_JSON_DOUBLE:
	case SL_JSON_BIGINT:
		if ((s->has & K_NUMBER_KW) && !number_valid(v, s, i)) {
			ok = false;
			if (stop(v))
				goto done;
		}
		break;
	default:
		break;
	}
	if ((s->has & K_ENUM) && !enum_valid(v, s, i))
		FAIL("enum", "is not one of the %u allowed values", s->n_enum);
	if ((s->has & K_CONST) && !sl_sv_tape_tree_equal(v->tok, v->text, i, s->const_value))
		FAIL("const", "is not the required constant");
	if (own != NO_EV) {
		const struct sl_snode *un = t->type == SL_JSON_OBJECT ? s->uneval_props : s->uneval_items;
		uint32_t j = i + 1;
		for (uint32_t k = 0; k < t->len; k++) {
			uint32_t val = t->type == SL_JSON_OBJECT ? j + 1 : j;
			if (!bit_get(BITS(own), k)) {
				bool r = t->type == SL_JSON_OBJECT ? child_valid(v, un, val, j, 0)
								   : child_valid(v, un, val, UINT32_MAX, k);
				if (!r) {
					ok = false;
					if (stop(v))
						goto done;
				}
				bit_set(BITS(own), k);
			}
			j = sl_sv_next(v->tok, val);
		}
		if (ok && ev != NO_EV)
			for (size_t w = 0; w < (t->len + 63u) / 64; w++)
				BITS(ev)[w] |= BITS(own)[w];
	}
done:
	if (own != NO_EV)
		v->scratch_top = mark;
	if (pushed)
		v->n_scope--;
	v->recursion--;
	return ok && !v->limit;
}

/* ---- public -------------------------------------------------------------------------- */

struct sl_validator *sl_validator_new(const struct sl_schema *s)
{
	struct sl_validator *v = calloc(1, sizeof(*v));
	if (!v)
		return NULL;
	v->s = s;
	v->order = calloc((size_t)s->n_order_slots + 1, 64);
	v->md = pcre2_match_data_create(1, NULL);
	v->mctx = pcre2_match_context_create(NULL);
	if (!v->md || !v->mctx || !v->order) {
		sl_validator_free(v);
		return NULL;
	}
	/* a pattern that backtracks without end fails its record instead of hanging */
	pcre2_set_match_limit(v->mctx, 1000000);
	v->jit = !s->some_not_jit;
	pcre2_set_depth_limit(v->mctx, 10000);
	return v;
}

void sl_validator_free(struct sl_validator *v)
{
	if (!v)
		return;
	pcre2_match_data_free(v->md);
	pcre2_match_context_free(v->mctx);
	free(v->path);
	free(v->scratch);
	free(v->scope);
	free(v->order);
	free(v);
}

static int validate_pass(struct sl_validator *v, const struct sl_json_doc *doc,
			 struct sl_schema_error *errs, size_t max_errs, size_t *n_errs);

/* Valid records (most of them) take one silent pass, with no paths or messages; an
 * invalid one is evaluated again to say why. */
int sl_validate(struct sl_validator *v, const struct sl_json_doc *doc,
		struct sl_schema_error *errs, size_t max_errs, size_t *n_errs)
{
	if (errs && max_errs && !doc->dup_keys) {
		int rc = validate_pass(v, doc, NULL, 0, NULL);
		if (rc != 0 || v->limit) {
			if (rc == 1 && n_errs)
				*n_errs = 0;
			if (rc == 1 || rc < 0)
				return rc;
		}
	}
	return validate_pass(v, doc, errs, max_errs, n_errs);
}

static int validate_pass(struct sl_validator *v, const struct sl_json_doc *doc,
			 struct sl_schema_error *errs, size_t max_errs, size_t *n_errs)
{
	v->tok = doc->tok;
	v->text = doc->text;
	v->steps = 0;
	v->limit = v->oom = false;
	v->silent = 0;
	v->errs = errs;
	v->max_errs = errs ? max_errs : 0;
	v->n_errs = 0;
	v->depth = 0;
	v->scratch_top = 0;
	v->n_scope = 0;
	v->recursion = 0;
	if (v->max_errs == 0)
		v->silent = 1;
	bool ok;
	if (doc->dup_keys) {
		ok = false;
		if (v->max_errs) {
			struct sl_schema_error *e = &errs[0];
			memset(e, 0, sizeof(*e));
			snprintf(e->keyword, sizeof(e->keyword), "$json");
			snprintf(e->msg, sizeof(e->msg), "an object has a duplicate key");
			for (size_t k = 0; k < doc->n_tok; k++)
				if (doc->tok[k].type == SL_JSON_KEY && (doc->tok[k].flags & SL_JSON_F_DUPKEY)) {
					e->offset = doc->tok[k].off;
					snprintf(e->msg, sizeof(e->msg), "duplicate key \"%.*s\"",
						 (int)(doc->tok[k].len > 100 ? 100 : doc->tok[k].len),
						 doc->tok[k].v.s);
					break;
				}
			v->n_errs = 1;
		}
	} else {
		ok = v->silent ? fast_valid(v, v->s->root, 0) : node_valid(v, v->s->root, 0, NO_EV);
	}
	if (v->oom) {
		if (n_errs)
			*n_errs = 0;
		return SL_ENOMEM;
	}
	if (v->limit && v->max_errs) {
		struct sl_schema_error *e = &errs[0];
		memset(e, 0, sizeof(*e));
		snprintf(e->keyword, sizeof(e->keyword), "$limit");
		snprintf(e->msg, sizeof(e->msg),
			 "schema evaluation stopped: more than %llu steps, nesting, or a pattern's "
			 "match limit",
			 (unsigned long long)v->s->max_steps);
		v->n_errs = 1;
	}
	if (!ok && v->max_errs && v->n_errs == 0) {
		/* a failure only silent branches saw (cannot happen; never report nothing) */
		struct sl_schema_error *e = &errs[0];
		memset(e, 0, sizeof(*e));
		snprintf(e->keyword, sizeof(e->keyword), "schema");
		snprintf(e->msg, sizeof(e->msg), "does not match the schema");
		v->n_errs = 1;
	}
	if (n_errs)
		*n_errs = v->n_errs < v->max_errs ? v->n_errs : v->max_errs;
	return ok ? 1 : 0;
}
