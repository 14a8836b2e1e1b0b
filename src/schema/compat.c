/*
 * compat.c - may one JSON Schema follow another? A structural, conservative prover.
 *
 * BACKWARD asks: is every instance valid under the old schema valid under the new one?
 * FORWARD asks the reverse, FULL both. Both reduce to one question, sub(W, R): is every
 * instance valid under W (the writer's schema) valid under R (the reader's)? BACKWARD is
 * sub(old, new), FORWARD sub(new, old).
 *
 * R is a conjunction of its keywords, so sub(W, R) holds when W entails each of R's
 * keyword groups (type; enum/const; numeric bounds; string keywords; array keywords;
 * object keywords; allOf; anyOf; oneOf; not; if/then/else; $ref). W entails a group
 * directly through its own keywords (W's minimum >= R's minimum, W requires what R
 * requires, ...), or through what W is a conjunction or union of (its $ref target, one
 * of its allOf members, every one of its anyOf/oneOf branches). Type-specific groups are
 * vacuous when W admits no instance of that type. Subschemas (properties, items,
 * additionalProperties, allOf members, local $refs) are compared recursively; recursion
 * through $refs is coinductive (a pair of schemas already being compared is assumed to
 * hold), which is sound for inclusion of recursive schemas.
 *
 * Promises:
 *   1. Sound: when no violation is reported, the inclusion holds for the keywords this
 *      file knows; keywords it does not know are annotations for the validator too.
 *   2. Conservative: what it cannot prove (different patterns, changed oneOf/not/if,
 *      references outside the document, ...) is a violation named "unprovable-change".
 *   3. Bounded: at most MAX_STEPS comparisons and MAX_DEPTH nested ones; beyond that the
 *      check stops with one "unprovable-change" (too complex), never a hang or a crash.
 *   4. Every violation names a rule from docs/schema.md, a JSON pointer into the new
 *      schema and a one-line reason that says which version accepts what.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema/format.h"
#include "schema/registry_int.h"
#include "schema/value.h"

typedef struct sl_json_node node;

#define MAX_STEPS 200000
#define MAX_DEPTH 128
#define PTR_MAX 256

/* What sub(W, R) found wrong; each has a name per direction (docs/schema.md). */
enum kind {
	K_TYPE,          /* R refuses a type W admits */
	K_FORBIDDEN,     /* R is false where W accepts something */
	K_ENUM_VALUE,    /* R's enum/const lacks a value W admits */
	K_ENUM_ADDED,    /* R restricts to an enum/const, W does not */
	K_REQUIRED,      /* R requires a property W does not */
	K_CLOSED_PROP,   /* R's closed content model refuses a property W declares */
	K_CLOSED,        /* R's content model is closed, W's is open */
	K_OPEN_PROP,     /* R constrains a property W's open content model leaves free */
	K_BOUND,         /* a numeric, length, size or uniqueness bound of R that W lacks */
	K_FORMAT_ADDED,  /* R asserts a format W does not */
	K_FORMAT_CHANGED,
	K_UNPROVABLE,
	K_COUNT
};

static const struct {
	const char *backward, *forward;
} rule_names[K_COUNT] = {
	[K_TYPE] = {"type-narrowed", "type-widened"},
	[K_FORBIDDEN] = {"value-forbidden", "value-allowed"},
	[K_ENUM_VALUE] = {"enum-value-removed", "enum-value-added"},
	[K_ENUM_ADDED] = {"enum-added", "enum-removed"},
	[K_REQUIRED] = {"required-added", "required-removed"},
	[K_CLOSED_PROP] = {"property-removed-closed", "property-added-closed"},
	[K_CLOSED] = {"content-model-closed", "content-model-opened"},
	[K_OPEN_PROP] = {"property-added-open", "property-removed-open"},
	[K_BOUND] = {"bound-tightened", "bound-loosened"},
	[K_FORMAT_ADDED] = {"format-added", "format-removed"},
	[K_FORMAT_CHANGED] = {"format-changed", "format-changed"},
	[K_UNPROVABLE] = {"unprovable-change", "unprovable-change"},
};

/* Types as bits; "number" is INTEGER|FRACTION. */
enum {
	T_NULL = 1,
	T_BOOL = 2,
	T_OBJECT = 4,
	T_ARRAY = 8,
	T_STRING = 16,
	T_INTEGER = 32,
	T_FRACTION = 64, /* numbers with a fractional part */
	T_NUMBER = T_INTEGER | T_FRACTION,
	T_ALL = 127
};

enum side_id { W = 0, R = 1 };

struct side {
	const node *root;
	bool draft7;    /* "$ref" siblings are ignored; "items" may be an array */
	bool nested_id; /* an embedded resource ("$id" below the root): "#..." may be
			 * relative to it, so local references are not followed */
	const char *root_id;
	char ptr[PTR_MAX];
};

struct pair {
	const node *w, *r;
};

struct ctx {
	struct side s[2];
	enum side_id new_side;
	const char *lab[2]; /* "old" / "new" */
	bool backward;
	int64_t against;
	struct sl_compat_report *rep;
	int trial;    /* > 0: an attempt whose failures are not recorded */
	bool aborted; /* the budget ran out */
	uint64_t steps;
	int depth;
	struct pair sub_stack[MAX_DEPTH + 8], same_stack[MAX_DEPTH + 8];
	size_t n_sub, n_same;
};

static const node true_node = {.type = SL_JSON_TRUE};

#define WL (c->lab[W])
#define RL (c->lab[R])

/* ---- small helpers ------------------------------------------------------------------- */

static const node *get(const node *n, const char *key)
{
	return sl_json_get(n, key);
}

/* A member by name and length: names may hold NUL bytes ("\u0000"), so a C-string
 * lookup could find another member. */
static const node *get_n(const node *n, const char *key, size_t len)
{
	if (!n || n->type != SL_JSON_OBJECT)
		return NULL;
	for (size_t i = n->u.c.n; i-- > 0;)
		if (n->u.c.key_lens[i] == len && memcmp(n->u.c.keys[i], key, len) == 0)
			return n->u.c.items[i];
	return NULL;
}

/* A printable, short copy of a member name for a message. */
static const char *name_of(const char *s, size_t len, char *out, size_t cap)
{
	size_t at = 0;
	for (size_t i = 0; i < len && at + 8 < cap; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (i >= 64) {
			memcpy(out + at, "...", 3);
			at += 3;
			break;
		}
		if (ch < 0x20 || ch == 0x7f || ch == '"' || ch == '\\')
			at += (size_t)snprintf(out + at, cap - at, "\\u%04x", ch);
		else
			out[at++] = (char)ch;
	}
	out[at] = '\0';
	return out;
}

static bool is_schema(const node *n)
{
	return n && (n->type == SL_JSON_OBJECT || n->type == SL_JSON_TRUE ||
		     n->type == SL_JSON_FALSE);
}

static const char *str(const node *n)
{
	return n && n->type == SL_JSON_STRING ? n->u.str.s : NULL;
}

/* A reference's text, or NULL when it is not a string or holds a NUL byte (such a
 * reference is never followed or taken as equal to another). */
static const char *ref_str(const node *n)
{
	const char *s = str(n);
	return s && strlen(s) == n->u.str.len ? s : NULL;
}

static bool is_num(const node *n)
{
	return n && (n->type == SL_JSON_INT || n->type == SL_JSON_DOUBLE ||
		     n->type == SL_JSON_BIGINT);
}

static long double num(const node *n)
{
	if (n->type == SL_JSON_INT)
		return (long double)n->u.i;
	if (n->type == SL_JSON_DOUBLE)
		return (long double)n->u.d;
	return strtold(n->u.str.s, NULL);
}

static bool is_integral(const node *n)
{
	if (n->type == SL_JSON_INT || n->type == SL_JSON_BIGINT)
		return true;
	return n->type == SL_JSON_DOUBLE && isfinite(n->u.d) && n->u.d == floor(n->u.d);
}

/* A short rendering of a value for messages. */
static const char *show(const node *n, char *buf, size_t cap)
{
	struct sl_buf b;
	if (!n)
		return "none";
	sl_buf_init(&b, 4096);
	sl_json_render(n, &b, cap > 8 ? cap - 8 : cap);
	snprintf(buf, cap, "%s", b.data ? b.data : "?");
	sl_buf_release(&b);
	return buf;
}

/* JSON equality of two values: numbers by value (1 equals 1.0), objects by members
 * (value.c, shared with the validator's enum and const). */
bool sl_json_equal(const struct sl_json_node *a, const struct sl_json_node *b)
{
	return sl_sv_tree_equal(a, b);
}

static bool in_list(const node *list, const node *v)
{
	if (!list || list->type != SL_JSON_ARRAY)
		return false;
	for (size_t i = 0; i < list->u.c.n; i++)
		if (sl_json_equal(list->u.c.items[i], v))
			return true;
	return false;
}

static bool has_string(const node *list, const node *s)
{
	if (!list || list->type != SL_JSON_ARRAY)
		return false;
	for (size_t i = 0; i < list->u.c.n; i++) {
		const node *x = list->u.c.items[i];
		if (x->type == SL_JSON_STRING && x->u.str.len == s->u.str.len &&
		    memcmp(x->u.str.s, s->u.str.s, s->u.str.len) == 0)
			return true;
	}
	return false;
}

/* ---- keywords ------------------------------------------------------------------------ */

enum group {
	G_REF,
	G_DYNREF,
	G_TYPE,
	G_ENUM,
	G_CONST,
	G_NUMBER,
	G_STRING,
	G_ARRAY,
	G_OBJECT,
	G_ALLOF,
	G_ANYOF,
	G_ONEOF,
	G_NOT,
	G_IF,
	G_COUNT
};

static const char *const group_keywords[G_COUNT][12] = {
	[G_REF] = {"$ref"},
	[G_DYNREF] = {"$dynamicRef", "$recursiveRef"},
	[G_TYPE] = {"type"},
	[G_ENUM] = {"enum"},
	[G_CONST] = {"const"},
	[G_NUMBER] = {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
		      "multipleOf"},
	[G_STRING] = {"minLength", "maxLength", "pattern", "format"},
	[G_ARRAY] = {"items", "prefixItems", "additionalItems", "minItems", "maxItems",
		     "uniqueItems", "contains", "unevaluatedItems"},
	[G_OBJECT] = {"properties", "patternProperties", "additionalProperties", "required",
		      "minProperties", "maxProperties", "propertyNames", "dependentRequired",
		      "dependentSchemas", "dependencies", "unevaluatedProperties"},
	[G_ALLOF] = {"allOf"},
	[G_ANYOF] = {"anyOf"},
	[G_ONEOF] = {"oneOf"},
	[G_NOT] = {"not"},
	[G_IF] = {"if"},
};

/* Whether keyword k of schema n asserts anything (a format the validator does not
 * assert is an annotation; "uniqueItems": false and empty "required" assert nothing). */
static bool asserts(const node *n, const char *k)
{
	const node *v = get(n, k);
	if (!v)
		return false;
	if (strcmp(k, "format") == 0)
		return str(v) && sl_format_lookup(str(v));
	if (strcmp(k, "uniqueItems") == 0)
		return v->type != SL_JSON_FALSE;
	if (strcmp(k, "required") == 0)
		return !(v->type == SL_JSON_ARRAY && v->u.c.n == 0);
	return true;
}

static bool group_present(const node *r, enum group g)
{
	for (int i = 0; group_keywords[g][i]; i++)
		if (asserts(r, group_keywords[g][i]))
			return true;
	return false;
}

static bool has_assertions(const node *r)
{
	if (!r || r->type == SL_JSON_TRUE)
		return false;
	if (r->type != SL_JSON_OBJECT)
		return true;
	for (int g = 0; g < G_COUNT; g++)
		if (group_present(r, (enum group)g))
			return true;
	return false;
}

/* ---- walking a schema document ------------------------------------------------------- */

static const char *const kw_one[] = {"additionalProperties", "propertyNames",
				     "additionalItems",	     "contains",
				     "not",		     "if",
				     "then",		     "else",
				     "unevaluatedItems",     "unevaluatedProperties",
				     "contentSchema",	     "items",
				     NULL};
static const char *const kw_list[] = {"allOf", "anyOf", "oneOf", "prefixItems", "items", NULL};
static const char *const kw_map[] = {"properties",	  "patternProperties", "$defs",
				     "definitions",	  "dependentSchemas",  "dependencies",
				     NULL};

/* Calls fn on every schema object of the document (keyword-aware: values of enum, const,
 * default, examples are data, not schemas). fn returns true to stop. */
typedef bool walk_fn(void *ctx, const node *schema, const char *ptr, bool is_root);

static bool walk(const node *n, char *ptr, walk_fn *fn, void *ctx, int depth)
{
	if (!n || n->type != SL_JSON_OBJECT || depth > SL_SCHEMA_DEPTH_MAX + 2)
		return false;
	if (fn(ctx, n, ptr, depth == 0))
		return true;
	size_t at = strlen(ptr);
	for (size_t i = 0; i < n->u.c.n; i++) {
		const char *k = n->u.c.keys[i];
		const node *v = n->u.c.items[i];
		bool stop = false;
		if (strlen(k) != n->u.c.key_lens[i])
			continue; /* a name with a NUL byte is no keyword */
		sl_pointer_push(ptr, PTR_MAX, k, n->u.c.key_lens[i]);
		for (int j = 0; kw_one[j] && !stop; j++)
			if (strcmp(k, kw_one[j]) == 0 && v->type == SL_JSON_OBJECT)
				stop = walk(v, ptr, fn, ctx, depth + 1);
		for (int j = 0; kw_list[j] && !stop; j++)
			if (strcmp(k, kw_list[j]) == 0 && v->type == SL_JSON_ARRAY) {
				size_t at2 = strlen(ptr);
				for (size_t e = 0; e < v->u.c.n && !stop; e++) {
					char idx[24];
					int len = snprintf(idx, sizeof(idx), "%zu", e);
					sl_pointer_push(ptr, PTR_MAX, idx, (size_t)len);
					stop = walk(v->u.c.items[e], ptr, fn, ctx, depth + 1);
					ptr[at2] = '\0';
				}
			}
		for (int j = 0; kw_map[j] && !stop; j++)
			if (strcmp(k, kw_map[j]) == 0 && v->type == SL_JSON_OBJECT) {
				size_t at2 = strlen(ptr);
				for (size_t e = 0; e < v->u.c.n && !stop; e++) {
					sl_pointer_push(ptr, PTR_MAX, v->u.c.keys[e],
							v->u.c.key_lens[e]);
					stop = walk(v->u.c.items[e], ptr, fn, ctx, depth + 1);
					ptr[at2] = '\0';
				}
			}
		ptr[at] = '\0';
		if (stop)
			return true;
	}
	return false;
}

static bool find_nested_id(void *ctx, const node *s, const char *ptr, bool is_root)
{
	(void)ctx;
	(void)ptr;
	const char *id = str(get(s, "$id"));
	return !is_root && id && id[0] != '#';
}

struct anchor_find {
	const char *name;
	const node *found;
	char ptr[PTR_MAX];
};

static bool find_anchor(void *ctx, const node *s, const char *ptr, bool is_root)
{
	struct anchor_find *a = ctx;
	const char *an = str(get(s, "$anchor")), *dyn = str(get(s, "$dynamicAnchor"));
	const char *id = str(get(s, "$id"));
	(void)is_root;
	if ((an && strcmp(an, a->name) == 0) || (dyn && strcmp(dyn, a->name) == 0) ||
	    (id && id[0] == '#' && strcmp(id + 1, a->name) == 0)) {
		a->found = s;
		snprintf(a->ptr, sizeof(a->ptr), "%s", ptr);
		return true;
	}
	return false;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Follows a JSON pointer (percent-encoded as in a URI fragment) from root. */
static const node *follow_pointer(const node *root, const char *p)
{
	const node *n = root;
	char tok[1024];
	while (*p == '/' && n) {
		size_t len = 0;
		p++;
		while (*p && *p != '/') {
			char ch = *p++;
			if (ch == '%' && hexval(p[0]) >= 0 && hexval(p[1]) >= 0) {
				ch = (char)(hexval(p[0]) * 16 + hexval(p[1]));
				p += 2;
			}
			if (ch == '~' && (*p == '0' || *p == '1')) {
				ch = *p == '0' ? '~' : '/';
				p++;
			}
			if (len + 1 >= sizeof(tok))
				return NULL;
			tok[len++] = ch;
		}
		tok[len] = '\0';
		if (n->type == SL_JSON_OBJECT) {
			n = get(n, tok);
		} else if (n->type == SL_JSON_ARRAY) {
			char *end;
			unsigned long i = strtoul(tok, &end, 10);
			if (!len || *end || (len > 1 && tok[0] == '0') || i >= n->u.c.n)
				return NULL;
			n = n->u.c.items[i];
		} else {
			return NULL;
		}
	}
	return *p ? NULL : n;
}

/* The target of a reference inside side's document, with its pointer in ptr_out; NULL
 * when the reference leaves the document or cannot be followed safely. */
static const node *resolve_local(struct ctx *c, enum side_id sd, const char *ref,
				 char *ptr_out)
{
	struct side *s = &c->s[sd];
	if (!ref || ref[0] != '#' || s->nested_id)
		return NULL;
	if (ref[1] == '\0' || ref[1] == '/') {
		const node *t = follow_pointer(s->root, ref + 1);
		if (t) { /* the fragment as the pointer, control characters escaped */
			size_t at = 0;
			for (const char *q = ref + 1; *q && at + 8 < PTR_MAX; q++) {
				unsigned char ch = (unsigned char)*q;
				if (ch < 0x20 || ch == 0x7f)
					at += (size_t)snprintf(ptr_out + at, PTR_MAX - at,
							       "\\u%04x", ch);
				else
					ptr_out[at++] = (char)ch;
			}
			ptr_out[at] = '\0';
		}
		return t;
	}
	struct anchor_find a = {.name = ref + 1};
	char ptr[PTR_MAX] = "";
	walk(s->root, ptr, find_anchor, &a, 0);
	if (a.found)
		snprintf(ptr_out, PTR_MAX, "%s", a.ptr);
	return a.found;
}

/* A node that is only a reference (plus annotations); in draft-07 every node with $ref
 * is, since its siblings are ignored. */
static bool pure_ref(struct ctx *c, enum side_id sd, const node *n)
{
	if (!n || n->type != SL_JSON_OBJECT || !ref_str(get(n, "$ref")))
		return false;
	if (c->s[sd].draft7)
		return true;
	for (int g = 0; g < G_COUNT; g++)
		if (g != G_REF && group_present(n, (enum group)g))
			return false;
	return true;
}

/* Replaces a pure local reference by its target (repeatedly), moving side's pointer. */
static const node *deref(struct ctx *c, enum side_id sd, const node *n)
{
	for (int hops = 0; hops < 32 && pure_ref(c, sd, n); hops++) {
		char ptr[PTR_MAX];
		const node *t = resolve_local(c, sd, ref_str(get(n, "$ref")), ptr);
		if (!t)
			return n;
		memcpy(c->s[sd].ptr, ptr, PTR_MAX);
		n = t;
	}
	return n;
}

/* ---- recording ----------------------------------------------------------------------- */

static void record(struct ctx *c, enum kind k, const char *w_suffix, const char *r_suffix,
		   const char *reason)
{
	struct sl_compat_report *rep = c->rep;
	rep->total++;
	if (rep->n >= SL_COMPAT_REPORT_MAX)
		return;
	struct sl_compat_violation *v = &rep->v[rep->n++];
	const char *suffix = c->new_side == W ? w_suffix : r_suffix;
	v->rule = c->backward ? rule_names[k].backward : rule_names[k].forward;
	v->direction = c->backward ? "BACKWARD" : "FORWARD";
	v->against = c->against;
	snprintf(v->pointer, sizeof(v->pointer), "%s", c->s[c->new_side].ptr);
	if (suffix)
		sl_pointer_push(v->pointer, sizeof(v->pointer), suffix, strlen(suffix));
	snprintf(v->reason, sizeof(v->reason), "%s", reason);
}

/* Records a violation (unless in a trial) and returns false. */
__attribute__((format(printf, 5, 6))) static bool
violate(struct ctx *c, enum kind k, const char *w_suffix, const char *r_suffix,
	const char *fmt, ...)
{
	if (c->trial || c->aborted)
		return false;
	char reason[384];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	record(c, k, w_suffix, r_suffix, reason);
	return false;
}

static bool budget(struct ctx *c)
{
	if (c->aborted)
		return false;
	if (++c->steps <= MAX_STEPS && c->depth < MAX_DEPTH)
		return true;
	c->aborted = true;
	record(c, K_UNPROVABLE, NULL, NULL,
	       c->depth >= MAX_DEPTH
		       ? "the schemas nest too deeply to be compared (limit 128 levels)"
		       : "the schemas are too complex to be compared (limit 200000 steps)");
	return false;
}

/* ---- equality of subschemas ---------------------------------------------------------- */

/* Whether w (in W's document) and r (in R's) are the same schema: equal JSON, where a
 * local "$ref" must also lead to the same schema in both documents. */
static bool same(struct ctx *c, const node *w, const node *r)
{
	if (!w || !r)
		return w == r;
	if (!budget(c))
		return false;
	if (w->type != SL_JSON_OBJECT || r->type != SL_JSON_OBJECT) {
		if (w->type == SL_JSON_ARRAY && r->type == SL_JSON_ARRAY) {
			if (w->u.c.n != r->u.c.n)
				return false;
			bool ok = true;
			c->depth++;
			for (size_t i = 0; ok && i < w->u.c.n; i++)
				ok = same(c, w->u.c.items[i], r->u.c.items[i]);
			c->depth--;
			return ok;
		}
		return sl_json_equal(w, r);
	}
	if (w->u.c.n != r->u.c.n)
		return false;
	for (size_t i = 0; i < c->n_same; i++)
		if (c->same_stack[i].w == w && c->same_stack[i].r == r)
			return true; /* coinduction */
	c->same_stack[c->n_same++] = (struct pair){w, r};
	c->depth++;
	bool ok = true;
	for (size_t i = 0; ok && i < w->u.c.n; i++) {
		const char *k = w->u.c.keys[i];
		size_t klen = w->u.c.key_lens[i];
		const node *wv = w->u.c.items[i], *rv = get_n(r, k, klen);
		if (!rv) {
			ok = false;
		} else if (klen == 4 && strcmp(k, "$ref") == 0 && str(wv) && str(rv)) {
			char p1[PTR_MAX], p2[PTR_MAX];
			const node *tw, *tr;
			ok = ref_str(wv) && sl_json_equal(wv, rv);
			if (ok && str(wv)[0] == '#') {
				tw = resolve_local(c, W, str(wv), p1);
				tr = resolve_local(c, R, str(rv), p2);
				ok = tw && tr && same(c, tw, tr);
			} else if (ok && !strchr(str(wv), ':')) {
				/* relative to the document's base: equal only with equal bases */
				const char *a = c->s[W].root_id, *b = c->s[R].root_id;
				ok = (!a && !b) || (a && b && strcmp(a, b) == 0);
			}
		} else {
			ok = same(c, wv, rv);
		}
	}
	c->depth--;
	c->n_same--;
	return ok;
}

/* ---- types and values ---------------------------------------------------------------- */

static unsigned type_bit(const char *name)
{
	static const struct {
		const char *name;
		unsigned bits;
	} t[] = {{"null", T_NULL},     {"boolean", T_BOOL},	{"object", T_OBJECT},
		 {"array", T_ARRAY},   {"string", T_STRING},	{"integer", T_INTEGER},
		 {"number", T_NUMBER}};
	for (size_t i = 0; name && i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(t[i].name, name) == 0)
			return t[i].bits;
	return 0;
}

/* The types a "type" keyword allows; false if it is malformed. */
static bool type_set(const node *t, unsigned *out)
{
	*out = 0;
	if (!t) {
		*out = T_ALL;
		return true;
	}
	if (t->type == SL_JSON_STRING)
		return (*out = type_bit(t->u.str.s)) != 0;
	if (t->type != SL_JSON_ARRAY)
		return false;
	for (size_t i = 0; i < t->u.c.n; i++) {
		unsigned b = type_bit(str(t->u.c.items[i]));
		if (!b)
			return false;
		*out |= b;
	}
	return true;
}

static unsigned value_type(const node *v)
{
	switch (v->type) {
	case SL_JSON_NULL: return T_NULL;
	case SL_JSON_TRUE:
	case SL_JSON_FALSE: return T_BOOL;
	case SL_JSON_OBJECT: return T_OBJECT;
	case SL_JSON_ARRAY: return T_ARRAY;
	case SL_JSON_STRING: return T_STRING;
	default: return is_integral(v) ? T_INTEGER : T_FRACTION;
	}
}

/* Copies w's finite values (filtered by w's type) into vals; returns false when w does
 * not restrict its values to a finite set. */
static bool finite_values(const node *w, const node ***vals, size_t *n)
{
	const node *k = get(w, "const"), *e = get(w, "enum");
	unsigned ts;
	size_t cnt = 0;
	const node *const *src;
	size_t nsrc;
	if (k) {
		src = &k;
		nsrc = 1;
	} else if (e && e->type == SL_JSON_ARRAY) {
		src = (const node *const *)e->u.c.items;
		nsrc = e->u.c.n;
	} else {
		return false;
	}
	if (!type_set(get(w, "type"), &ts))
		ts = T_ALL;
	*vals = malloc((nsrc ? nsrc : 1) * sizeof(**vals));
	if (!*vals)
		return false;
	for (size_t i = 0; i < nsrc; i++)
		if (value_type(src[i]) & ts)
			(*vals)[cnt++] = src[i];
	*n = cnt;
	return true;
}

/* The types of instance w can accept (over-approximated). */
static unsigned admitted(const node *w)
{
	unsigned ts;
	if (!w || w->type == SL_JSON_FALSE)
		return 0;
	if (w->type != SL_JSON_OBJECT)
		return T_ALL;
	if (!type_set(get(w, "type"), &ts))
		ts = T_ALL;
	const node **vals;
	size_t n;
	if (finite_values(w, &vals, &n)) {
		unsigned vt = 0;
		for (size_t i = 0; i < n; i++)
			vt |= value_type(vals[i]);
		free(vals);
		ts &= vt;
	}
	return ts;
}

static void type_names(unsigned bits, char *out, size_t cap)
{
	static const struct {
		unsigned bits;
		const char *name;
	} t[] = {{T_NULL, "null"},   {T_BOOL, "boolean"}, {T_OBJECT, "object"},
		 {T_ARRAY, "array"}, {T_STRING, "string"}};
	size_t at = 0;
	out[0] = '\0';
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (bits & t[i].bits)
			at += (size_t)snprintf(out + at, at < cap ? cap - at : 0, "%s\"%s\"",
					       at ? ", " : "", t[i].name);
	const char *nn = (bits & T_NUMBER) == T_NUMBER ? "number"
			 : (bits & T_INTEGER)	       ? "integer"
			 : (bits & T_FRACTION)	       ? "number (non-integer)"
						       : NULL;
	if (nn && at < cap)
		snprintf(out + at, cap - at, "%s\"%s\"", at ? ", " : "", nn);
}

/* Code points of a UTF-8 string. */
static size_t u8len(const node *s)
{
	size_t n = 0;
	for (size_t i = 0; i < s->u.str.len; i++)
		n += ((unsigned char)s->u.str.s[i] & 0xc0) != 0x80;
	return n;
}

/* ---- the prover ---------------------------------------------------------------------- */

static bool sub(struct ctx *c, const node *w, const node *r);

/* Saves and restores both sides' pointers around a step that may move them. */
struct ptrs {
	size_t len[2];
	char jumped[2][PTR_MAX];
	bool has_jump[2];
};

static void ptr_push(struct ctx *c, enum side_id sd, const char *a, const char *b,
		     size_t *mark)
{
	*mark = strlen(c->s[sd].ptr);
	if (a)
		sl_pointer_push(c->s[sd].ptr, PTR_MAX, a, strlen(a));
	if (b)
		sl_pointer_push(c->s[sd].ptr, PTR_MAX, b, strlen(b));
}

static void ptr_pop(struct ctx *c, enum side_id sd, size_t mark)
{
	c->s[sd].ptr[mark] = '\0';
}

/* Pushes "/properties/NAME" (NAME of len bytes). */
static void ptr_push_prop(struct ctx *c, enum side_id sd, const char *name, size_t len,
			  size_t *mark)
{
	*mark = strlen(c->s[sd].ptr);
	sl_pointer_push(c->s[sd].ptr, PTR_MAX, "properties", 10);
	sl_pointer_push(c->s[sd].ptr, PTR_MAX, name, len);
}

/* sub() on subschemas reached by the keyword paths wa/wb (W) and ra/rb (R). */
static bool sub_at(struct ctx *c, const node *w, const char *wa, const char *wb, const node *r,
		   const char *ra, const char *rb)
{
	size_t mw, mr;
	ptr_push(c, W, wa, wb, &mw);
	ptr_push(c, R, ra, rb, &mr);
	bool ok = sub(c, w, r);
	ptr_pop(c, W, mw);
	ptr_pop(c, R, mr);
	return ok;
}

/* sub() as an attempt: nothing recorded. */
static bool try_sub(struct ctx *c, const node *w, const node *r)
{
	c->trial++;
	bool ok = sub(c, w, r);
	c->trial--;
	return ok;
}

/* Compares a lower or upper bound of R with W's. kw is R's keyword; w_incl/w_excl are
 * W's inclusive and exclusive bounds on the same side; lower tells which side. */
static bool bound_ok(const node *rv, bool r_excl, const node *wi, const node *we, bool lower,
		     bool int_only)
{
	long double b = num(rv);
	if (lower) {
		if (wi && is_num(wi) && (r_excl ? num(wi) > b : num(wi) >= b))
			return true;
		if (we && is_num(we) && num(we) >= b)
			return true;
		if (we && is_num(we) && int_only && !r_excl && floorl(num(we)) + 1 >= b)
			return true;
	} else {
		if (wi && is_num(wi) && (r_excl ? num(wi) < b : num(wi) <= b))
			return true;
		if (we && is_num(we) && num(we) <= b)
			return true;
		if (we && is_num(we) && int_only && !r_excl && ceill(num(we)) - 1 <= b)
			return true;
	}
	return false;
}

static bool multiple_of(long double x, long double d)
{
	if (d <= 0)
		return false;
	long double q = x / d;
	return isfinite((double)q) && fabsl(q - roundl(q)) <= 1e-9L * (fabsl(q) > 1 ? fabsl(q) : 1);
}

/* Does a number v satisfy R's numeric keywords? kw gets the first one it breaks. */
static bool value_in_bounds(const node *r, const node *v, const char **kw)
{
	static const char *const kws[] = {"minimum", "exclusiveMinimum", "maximum",
					  "exclusiveMaximum", "multipleOf"};
	long double x = num(v);
	for (int i = 0; i < 5; i++) {
		const node *b = get(r, kws[i]);
		if (!b || !is_num(b))
			continue;
		long double y = num(b);
		bool ok = i == 0 ? x >= y : i == 1 ? x > y : i == 2 ? x <= y : i == 3 ? x < y
			: multiple_of(x, y);
		if (!ok) {
			*kw = kws[i];
			return false;
		}
	}
	return true;
}

static bool check_number(struct ctx *c, const node *w, const node *r, unsigned tw)
{
	bool ok = true, int_only = (tw & T_NUMBER) == T_INTEGER;
	char b1[96], b2[96];
	const node **vals;
	size_t n;
	static const char *const kws[] = {"minimum", "exclusiveMinimum", "maximum",
					  "exclusiveMaximum", "multipleOf"};
	for (int i = 0; i < 5; i++) {
		const node *rv = get(r, kws[i]);
		if (rv && !is_num(rv))
			return violate(c, K_UNPROVABLE, kws[i], kws[i],
				       "%s of the %s version is not a number", kws[i], RL);
	}
	if (finite_values(w, &vals, &n)) {
		for (size_t i = 0; i < n; i++) {
			const char *kw = NULL;
			if (!(value_type(vals[i]) & T_NUMBER) || value_in_bounds(r, vals[i], &kw))
				continue;
			ok = violate(c, K_BOUND, kw, kw,
				     "value %s is valid under the %s version, refused by the %s "
				     "version (%s %s)",
				     show(vals[i], b1, sizeof(b1)), WL, RL, kw,
				     show(get(r, kw), b2, sizeof(b2)));
			if (c->trial)
				break;
		}
		free(vals);
		return ok;
	}
	const node *wmin = get(w, "minimum"), *wxmin = get(w, "exclusiveMinimum");
	const node *wmax = get(w, "maximum"), *wxmax = get(w, "exclusiveMaximum");
	for (int i = 0; i < 4; i++) {
		const node *rv = get(r, kws[i]);
		if (!rv)
			continue;
		bool lower = i < 2, excl = i % 2 == 1;
		if (bound_ok(rv, excl, lower ? wmin : wmax, lower ? wxmin : wxmax, lower,
			     int_only))
			continue;
		const node *wv = get(w, kws[i]);
		ok = violate(c, K_BOUND, kws[i], kws[i],
			     "%s %s in the %s version, %s in the %s version: %s numbers valid "
			     "under the %s version are refused",
			     kws[i], show(rv, b1, sizeof(b1)), RL, show(wv, b2, sizeof(b2)), WL,
			     lower ? "smaller" : "larger", WL);
		if (c->trial)
			return false;
	}
	const node *rm = get(r, "multipleOf");
	if (rm) {
		const node *wm = get(w, "multipleOf");
		bool proven;
		if (wm && is_num(wm) && wm->type == SL_JSON_INT && rm->type == SL_JSON_INT)
			proven = rm->u.i > 0 && wm->u.i % rm->u.i == 0;
		else if (wm && is_num(wm))
			proven = multiple_of(num(wm), num(rm));
		else
			proven = int_only && multiple_of(1, num(rm));
		if (!proven)
			ok = violate(c, K_BOUND, "multipleOf", "multipleOf",
				     "multipleOf %s in the %s version, %s in the %s version",
				     show(rm, b1, sizeof(b1)), RL, show(wm, b2, sizeof(b2)), WL);
	}
	return ok;
}

/* R's lower size bound kw_min and upper kw_max against W's (lengths, items, properties);
 * w_max_extra is an implied upper bound of W (-1: none). */
static bool check_sizes(struct ctx *c, const node *w, const node *r, const char *kw_min,
			const char *kw_max, long double w_max_extra)
{
	char b1[64], b2[64];
	bool ok = true;
	const node *rmin = get(r, kw_min), *rmax = get(r, kw_max);
	const node *wmin = get(w, kw_min), *wmax = get(w, kw_max);
	if ((rmin && !is_num(rmin)) || (rmax && !is_num(rmax)))
		return violate(c, K_UNPROVABLE, rmin ? kw_min : kw_max, rmin ? kw_min : kw_max,
			       "%s of the %s version is not a number", rmin ? kw_min : kw_max, RL);
	if (rmin && num(rmin) > 0 && !(wmin && is_num(wmin) && num(wmin) >= num(rmin)))
		ok = violate(c, K_BOUND, kw_min, kw_min,
			     "%s %s in the %s version, %s in the %s version",
			     kw_min, show(rmin, b1, sizeof(b1)), RL, show(wmin, b2, sizeof(b2)), WL);
	if (ok || !c->trial) {
		bool proven = !rmax || (wmax && is_num(wmax) && num(wmax) <= num(rmax)) ||
			      (w_max_extra >= 0 && w_max_extra <= num(rmax));
		if (!proven)
			ok = violate(c, K_BOUND, kw_max, kw_max,
				     "%s %s in the %s version, %s in the %s version", kw_max,
				     show(rmax, b1, sizeof(b1)), RL, show(wmax, b2, sizeof(b2)), WL);
	}
	return ok;
}

static bool check_string(struct ctx *c, const node *w, const node *r)
{
	char b1[160], b2[160];
	bool ok = true;
	const node **vals = NULL;
	size_t n = 0;
	bool finite = finite_values(w, &vals, &n);
	/* lengths */
	if (finite) {
		const node *rmin = get(r, "minLength"), *rmax = get(r, "maxLength");
		for (size_t i = 0; i < n && (ok || !c->trial); i++) {
			if (vals[i]->type != SL_JSON_STRING)
				continue;
			long double len = (long double)u8len(vals[i]);
			const char *kw = rmin && is_num(rmin) && len < num(rmin)   ? "minLength"
					 : rmax && is_num(rmax) && len > num(rmax) ? "maxLength"
										   : NULL;
			if (kw)
				ok = violate(c, K_BOUND, kw, kw,
					     "value %s is valid under the %s version, refused by the "
					     "%s version (%s %s)",
					     show(vals[i], b1, sizeof(b1)), WL, RL, kw,
					     show(get(r, kw), b2, sizeof(b2)));
		}
	} else if (get(r, "minLength") || get(r, "maxLength")) {
		ok = check_sizes(c, w, r, "minLength", "maxLength", -1);
	}
	/* pattern: only the very same expression is proven */
	const node *rp = get(r, "pattern");
	if (rp && (ok || !c->trial)) {
		const node *wp = get(w, "pattern");
		if (!(wp && sl_json_equal(wp, rp)))
			ok = violate(c, K_UNPROVABLE, "pattern", "pattern",
				     "pattern %s in the %s version, %s in the %s version: "
				     "regular expressions are not compared, only equal ones pass",
				     show(rp, b1, sizeof(b1)), RL, show(wp, b2, sizeof(b2)), WL);
	}
	/* format (asserted ones only; see asserts()) */
	const char *rf = asserts(r, "format") ? str(get(r, "format")) : NULL;
	if (rf && (ok || !c->trial)) {
		const char *wf = str(get(w, "format"));
		sl_format_fn *check = sl_format_lookup(rf);
		if (finite) {
			for (size_t i = 0; i < n && (ok || !c->trial); i++)
				if (vals[i]->type == SL_JSON_STRING &&
				    !check(vals[i]->u.str.s, vals[i]->u.str.len))
					ok = violate(c, K_FORMAT_ADDED, "format", "format",
						     "value %s is valid under the %s version, not a "
						     "valid \"%s\" for the %s version",
						     show(vals[i], b1, sizeof(b1)), WL, rf, RL);
		} else if (!wf || strcmp(wf, rf) != 0) {
			if (wf && sl_format_lookup(wf))
				ok = violate(c, K_FORMAT_CHANGED, "format", "format",
					     "format \"%s\" in the %s version, \"%s\" in the %s "
					     "version",
					     rf, RL, wf, WL);
			else
				ok = violate(c, K_FORMAT_ADDED, "format", "format",
					     "format \"%s\" is asserted by the %s version, not by "
					     "the %s version",
					     rf, RL, WL);
		}
	}
	free(vals);
	return ok;
}

/* Item schemas of an array schema: the tuple part and the schema of the rest. */
struct items {
	const node *tuple; /* array or NULL */
	const char *tuple_kw;
	const node *rest;
	const char *rest_kw;
};

static struct items items_of(struct ctx *c, enum side_id sd, const node *s)
{
	struct items it = {NULL, "prefixItems", &true_node, "items"};
	const node *items = get(s, "items");
	if (c->s[sd].draft7 || (items && items->type == SL_JSON_ARRAY)) {
		if (items && items->type == SL_JSON_ARRAY) {
			it.tuple = items;
			it.tuple_kw = "items";
			const node *add = get(s, "additionalItems");
			it.rest = is_schema(add) ? add : &true_node;
			it.rest_kw = "additionalItems";
		} else if (is_schema(items)) {
			it.rest = items;
		}
		return it;
	}
	const node *pre = get(s, "prefixItems");
	if (pre && pre->type == SL_JSON_ARRAY)
		it.tuple = pre;
	if (is_schema(items))
		it.rest = items;
	return it;
}

static bool check_array(struct ctx *c, const node *w, const node *r)
{
	bool ok = true;
	char b1[96], b2[96];
	struct items iw = items_of(c, W, w), ir = items_of(c, R, r);
	size_t nw = iw.tuple ? iw.tuple->u.c.n : 0, nr = ir.tuple ? ir.tuple->u.c.n : 0;
	if (get(r, "items") || get(r, "prefixItems") || get(r, "additionalItems")) {
		size_t n = nw > nr ? nw : nr;
		for (size_t i = 0; i < n && (ok || !c->trial); i++) {
			char idx[24];
			snprintf(idx, sizeof(idx), "%zu", i);
			const node *wi = i < nw ? iw.tuple->u.c.items[i] : iw.rest;
			const node *ri = i < nr ? ir.tuple->u.c.items[i] : ir.rest;
			ok &= sub_at(c, wi, i < nw ? iw.tuple_kw : iw.rest_kw, i < nw ? idx : NULL,
				     ri, i < nr ? ir.tuple_kw : ir.rest_kw, i < nr ? idx : NULL);
		}
		if (ok || !c->trial)
			ok &= sub_at(c, iw.rest, iw.rest_kw, NULL, ir.rest, ir.rest_kw, NULL);
	}
	/* a closed tuple bounds the length */
	long double w_max = iw.rest->type == SL_JSON_FALSE ? (long double)nw : -1;
	if ((ok || !c->trial) && (get(r, "minItems") || get(r, "maxItems")))
		ok &= check_sizes(c, w, r, "minItems", "maxItems", w_max);
	const node *wu = get(w, "uniqueItems");
	if ((ok || !c->trial) && asserts(r, "uniqueItems") && !(wu && wu->type == SL_JSON_TRUE))
		ok = violate(c, K_BOUND, "uniqueItems", "uniqueItems",
			     "uniqueItems in the %s version, not in the %s version: arrays with "
			     "repeated items are valid under the %s version only",
			     RL, WL, WL);
	if ((ok || !c->trial) && get(r, "contains") &&
	    !(same(c, get(w, "contains"), get(r, "contains")) &&
	      same(c, get(w, "minContains"), get(r, "minContains")) &&
	      same(c, get(w, "maxContains"), get(r, "maxContains"))))
		ok = violate(c, K_UNPROVABLE, "contains", "contains",
			     "contains in the %s version is %s, in the %s version %s: only "
			     "unchanged contains/minContains/maxContains are proven",
			     RL, show(get(r, "contains"), b1, sizeof(b1)), WL,
			     show(get(w, "contains"), b2, sizeof(b2)));
	if ((ok || !c->trial) && get(r, "unevaluatedItems") &&
	    !same(c, get(w, "unevaluatedItems"), get(r, "unevaluatedItems")))
		ok = violate(c, K_UNPROVABLE, "unevaluatedItems", "unevaluatedItems",
			     "unevaluatedItems differs between the versions: not proven");
	return ok;
}

/* What W says about a property it does not list: its additionalProperties, or anything
 * when patterns might apply. */
static const node *w_unlisted(const node *w, bool patterns_unknown)
{
	const node *ap = get(w, "additionalProperties");
	if (patterns_unknown || !is_schema(ap))
		return &true_node;
	return ap;
}

static bool check_object(struct ctx *c, const node *w, const node *r)
{
	bool ok = true;
	char b1[96];
	char nm[128];
	/* required */
	const node *rreq = get(r, "required"), *wreq = get(w, "required");
	if (rreq && rreq->type == SL_JSON_ARRAY) {
		for (size_t i = 0; i < rreq->u.c.n && (ok || !c->trial); i++) {
			const node *p = rreq->u.c.items[i];
			if (p->type == SL_JSON_STRING && !has_string(wreq, p))
				ok = violate(c, K_REQUIRED, "required", "required",
					     "property \"%s\" is required by the %s version, not by "
					     "the %s version",
					     name_of(p->u.str.s, p->u.str.len, nm, sizeof(nm)), RL,
					     WL);
		}
	} else if (rreq) {
		ok = violate(c, K_UNPROVABLE, "required", "required",
			     "required of the %s version is not an array", RL);
	}
	/* properties, patternProperties, additionalProperties */
	const node *rpp = get(r, "patternProperties"), *wpp = get(w, "patternProperties");
	bool rpp_set = rpp && rpp->type == SL_JSON_OBJECT && rpp->u.c.n > 0;
	bool wpp_set = wpp && wpp->type == SL_JSON_OBJECT && wpp->u.c.n > 0;
	const node *rprops = get(r, "properties"), *wprops = get(w, "properties");
	if (rprops && rprops->type != SL_JSON_OBJECT)
		rprops = NULL;
	if (wprops && wprops->type != SL_JSON_OBJECT)
		wprops = NULL;
	bool props_ok = true;
	if (rpp_set && !same(c, wpp, rpp)) {
		props_ok = false;
		if (ok || !c->trial)
			ok = violate(c, K_UNPROVABLE, "patternProperties", "patternProperties",
				     "patternProperties differ between the versions: properties "
				     "matched by patterns are not compared");
	}
	for (size_t i = 0; props_ok && rprops && i < rprops->u.c.n && (ok || !c->trial); i++) {
		const char *p = rprops->u.c.keys[i];
		size_t plen = rprops->u.c.key_lens[i];
		const node *rs = rprops->u.c.items[i], *ws = get_n(wprops, p, plen);
		size_t mw, mr;
		if (ws) {
			ptr_push_prop(c, W, p, plen, &mw);
			ptr_push_prop(c, R, p, plen, &mr);
			ok &= sub(c, ws, rs);
			ptr_pop(c, W, mw);
			ptr_pop(c, R, mr);
			continue;
		}
		const node *wr = w_unlisted(w, wpp_set);
		if (wr->type == SL_JSON_FALSE)
			continue; /* W never has p */
		if (!has_assertions(wr) && is_schema(rs)) {
			if (!try_sub(c, &true_node, rs)) {
				ptr_push_prop(c, W, p, plen, &mw);
				ptr_push_prop(c, R, p, plen, &mr);
				ok = violate(c, K_OPEN_PROP, NULL, NULL,
					     "property \"%s\" may hold any value under the %s "
					     "version (open content model); the %s version "
					     "constrains it",
					     name_of(p, plen, nm, sizeof(nm)), WL, RL);
				ptr_pop(c, W, mw);
				ptr_pop(c, R, mr);
			}
			continue;
		}
		ptr_push(c, W, "additionalProperties", NULL, &mw);
		ptr_push_prop(c, R, p, plen, &mr);
		ok &= sub(c, wr, rs);
		ptr_pop(c, W, mw);
		ptr_pop(c, R, mr);
	}
	const node *rap = get(r, "additionalProperties");
	if (props_ok && is_schema(rap) && has_assertions(rap)) {
		for (size_t i = 0; wprops && i < wprops->u.c.n && (ok || !c->trial); i++) {
			const char *p = wprops->u.c.keys[i];
			size_t plen = wprops->u.c.key_lens[i];
			const node *ws = wprops->u.c.items[i];
			size_t mw, mr;
			if (get_n(rprops, p, plen) || ws->type == SL_JSON_FALSE)
				continue;
			ptr_push_prop(c, W, p, plen, &mw);
			if (rap->type == SL_JSON_FALSE) {
				ok = violate(c, K_CLOSED_PROP, NULL, "additionalProperties",
					     "property \"%s\" is allowed by the %s version, refused "
					     "by the %s version (additionalProperties: false)",
					     name_of(p, plen, nm, sizeof(nm)), WL, RL);
			} else {
				ptr_push(c, R, "additionalProperties", NULL, &mr);
				ok &= sub(c, ws, rap);
				ptr_pop(c, R, mr);
			}
			ptr_pop(c, W, mw);
		}
		const node *wr = w_unlisted(w, wpp_set && !rpp_set);
		if (ok || !c->trial) {
			if (rap->type == SL_JSON_FALSE && wr->type != SL_JSON_FALSE)
				ok = violate(c, K_CLOSED, "additionalProperties",
					     "additionalProperties",
					     "the %s version accepts properties it does not list; the "
					     "%s version refuses them (additionalProperties: false)",
					     WL, RL);
			else if (rap->type != SL_JSON_FALSE)
				ok &= sub_at(c, wr, "additionalProperties", NULL, rap,
					     "additionalProperties", NULL);
		}
	}
	if ((ok || !c->trial) && (get(r, "minProperties") || get(r, "maxProperties")))
		ok &= check_sizes(c, w, r, "minProperties", "maxProperties", -1);
	static const char *const exact[] = {"propertyNames", "dependentRequired",
					    "dependentSchemas", "dependencies",
					    "unevaluatedProperties"};
	for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]) && (ok || !c->trial); i++) {
		const node *rv = get(r, exact[i]);
		if (rv && !same(c, get(w, exact[i]), rv))
			ok = violate(c, K_UNPROVABLE, exact[i], exact[i],
				     "%s differs between the versions (%s version: %s): only an "
				     "unchanged %s is proven",
				     exact[i], RL, show(rv, b1, sizeof(b1)), exact[i]);
	}
	return ok;
}

static bool check_values(struct ctx *c, const node *w, const node *r, const char *kw)
{
	char b1[160], b2[160];
	const node *allowed = get(r, kw);
	const node **vals;
	size_t n;
	bool ok = true;
	bool is_const = strcmp(kw, "const") == 0;
	if (!is_const && allowed->type != SL_JSON_ARRAY)
		return violate(c, K_UNPROVABLE, kw, kw, "enum of the %s version is not an array",
			       RL);
	if (!finite_values(w, &vals, &n)) {
		/* only null and booleans form a finite domain without an enum */
		static const node v_null = {.type = SL_JSON_NULL}, v_true = {.type = SL_JSON_TRUE},
				  v_false = {.type = SL_JSON_FALSE};
		unsigned tw = admitted(w);
		if (tw & ~(unsigned)(T_NULL | T_BOOL))
			return violate(c, K_ENUM_ADDED, kw, kw,
				       "the %s version accepts only %s; the %s version accepts "
				       "other values",
				       RL, show(allowed, b1, sizeof(b1)), WL);
		vals = malloc(3 * sizeof(*vals));
		if (!vals)
			return violate(c, K_UNPROVABLE, kw, kw, "out of memory");
		n = 0;
		if (tw & T_NULL)
			vals[n++] = &v_null;
		if (tw & T_BOOL) {
			vals[n++] = &v_true;
			vals[n++] = &v_false;
		}
	}
	for (size_t i = 0; i < n && (ok || !c->trial); i++) {
		bool in = is_const ? sl_json_equal(allowed, vals[i]) : in_list(allowed, vals[i]);
		if (!in)
			ok = violate(c, K_ENUM_VALUE, kw, kw,
				     "value %s is valid under the %s version, not allowed by the %s "
				     "version's %s %s",
				     show(vals[i], b1, sizeof(b1)), WL, RL, kw,
				     show(allowed, b2, sizeof(b2)));
	}
	free(vals);
	return ok;
}

/* W, a union of branches, is within a union of R's branches. */
static bool branches_covered(struct ctx *c, const node *wb, const node *rb, size_t *bad)
{
	for (size_t i = 0; i < wb->u.c.n; i++) {
		bool found = false;
		for (size_t j = 0; !found && j < rb->u.c.n; j++)
			found = try_sub(c, wb->u.c.items[i], rb->u.c.items[j]);
		if (!found) {
			*bad = i;
			return false;
		}
	}
	return true;
}

static bool check_anyof(struct ctx *c, const node *w, const node *r)
{
	const node *ra = get(r, "anyOf");
	if (ra->type != SL_JSON_ARRAY)
		return violate(c, K_UNPROVABLE, "anyOf", "anyOf", "anyOf of the %s version is not "
				"an array", RL);
	if (same(c, get(w, "anyOf"), ra))
		return true;
	for (size_t j = 0; j < ra->u.c.n; j++)
		if (try_sub(c, w, ra->u.c.items[j]))
			return true;
	const node *wa = get(w, "anyOf");
	if (!wa || wa->type != SL_JSON_ARRAY)
		wa = get(w, "oneOf");
	size_t bad = 0;
	if (wa && wa->type == SL_JSON_ARRAY) {
		if (branches_covered(c, wa, ra, &bad))
			return true;
		return violate(c, K_UNPROVABLE, "anyOf", "anyOf",
			       "branch %zu of the %s version is not contained in any branch of the "
			       "%s version's anyOf",
			       bad, WL, RL);
	}
	return violate(c, K_UNPROVABLE, "anyOf", "anyOf",
		       "cannot prove that every value valid under the %s version matches a branch "
		       "of the %s version's anyOf",
		       WL, RL);
}

static bool check_ref(struct ctx *c, const node *w, const node *r, const char *kw)
{
	const char *rr = ref_str(get(r, kw));
	char ptr[PTR_MAX], saved[PTR_MAX], nm[128];
	if (!rr)
		return violate(c, K_UNPROVABLE, kw, kw,
			       "%s of the %s version is not a string without NUL bytes", kw, RL);
	const node *t = strcmp(kw, "$ref") == 0 ? resolve_local(c, R, rr, ptr) : NULL;
	if (t) {
		memcpy(saved, c->s[R].ptr, PTR_MAX);
		memcpy(c->s[R].ptr, ptr, PTR_MAX);
		bool ok = sub(c, w, t);
		memcpy(c->s[R].ptr, saved, PTR_MAX);
		return ok;
	}
	const char *wr = ref_str(get(w, kw));
	if (wr && strcmp(wr, rr) == 0 && rr[0] != '#') {
		bool absolute = strchr(rr, ':') != NULL;
		const char *a = c->s[W].root_id, *b = c->s[R].root_id;
		if (absolute || (!a && !b) || (a && b && strcmp(a, b) == 0))
			return true;
	}
	return violate(c, K_UNPROVABLE, kw, kw,
		       "%s \"%s\" of the %s version cannot be compared with the %s version (only "
		       "references inside the document are followed)",
		       kw, name_of(rr, strlen(rr), nm, sizeof(nm)), RL, WL);
}

static bool check_group(struct ctx *c, const node *w, const node *r, enum group g)
{
	unsigned tw = admitted(w);
	char b1[96];
	if (tw == 0)
		return true; /* W accepts nothing */
	if (g != G_REF && pure_ref(c, W, w)) {
		/* a reference deref() could not follow: nothing known about W */
		const char *ref = ref_str(get(w, "$ref"));
		return violate(c, K_UNPROVABLE, "$ref", NULL,
			       "the %s version refers to \"%s\" here, which is not followed "
			       "(only references inside the document are)",
			       WL, name_of(ref, strlen(ref), b1, sizeof(b1)));
	}
	switch (g) {
	case G_REF: return check_ref(c, w, r, "$ref");
	case G_DYNREF: {
		const char *kw = get(r, "$dynamicRef") ? "$dynamicRef" : "$recursiveRef";
		if (same(c, get(w, kw), get(r, kw)))
			return true;
		return violate(c, K_UNPROVABLE, kw, kw, "%s differs between the versions: "
				"dynamic references are not followed", kw);
	}
	case G_TYPE: {
		unsigned tr;
		if (!type_set(get(r, "type"), &tr))
			return violate(c, K_UNPROVABLE, "type", "type",
				       "type of the %s version is malformed", RL);
		unsigned miss = tw & ~tr;
		if (!miss)
			return true;
		char names[128];
		type_names(miss, names, sizeof(names));
		return violate(c, K_TYPE, "type", "type",
			       "values of type %s are valid under the %s version, refused by the %s "
			       "version (type %s)",
			       names, WL, RL, show(get(r, "type"), b1, sizeof(b1)));
	}
	case G_ENUM: return check_values(c, w, r, "enum");
	case G_CONST: return check_values(c, w, r, "const");
	case G_NUMBER: return !(tw & T_NUMBER) || check_number(c, w, r, tw);
	case G_STRING: return !(tw & T_STRING) || check_string(c, w, r);
	case G_ARRAY: return !(tw & T_ARRAY) || check_array(c, w, r);
	case G_OBJECT: return !(tw & T_OBJECT) || check_object(c, w, r);
	case G_ALLOF: {
		const node *ra = get(r, "allOf");
		if (ra->type != SL_JSON_ARRAY)
			return violate(c, K_UNPROVABLE, "allOf", "allOf",
				       "allOf of the %s version is not an array", RL);
		if (same(c, get(w, "allOf"), ra))
			return true;
		bool ok = true;
		for (size_t i = 0; i < ra->u.c.n && (ok || !c->trial); i++) {
			char idx[24];
			snprintf(idx, sizeof(idx), "%zu", i);
			ok &= sub_at(c, w, NULL, NULL, ra->u.c.items[i], "allOf", idx);
		}
		return ok;
	}
	case G_ANYOF: return check_anyof(c, w, r);
	case G_ONEOF:
	case G_NOT:
		if (same(c, get(w, group_keywords[g][0]), get(r, group_keywords[g][0])))
			return true;
		return violate(c, K_UNPROVABLE, group_keywords[g][0], group_keywords[g][0],
			       "%s differs between the versions: only an unchanged %s is proven",
			       group_keywords[g][0], group_keywords[g][0]);
	case G_IF:
		if (same(c, get(w, "if"), get(r, "if")) && same(c, get(w, "then"), get(r, "then")) &&
		    same(c, get(w, "else"), get(r, "else")))
			return true;
		return violate(c, K_UNPROVABLE, "if", "if",
			       "if/then/else differs between the versions: only an unchanged "
			       "conditional is proven");
	default: return true;
	}
}

/* Can W's other parts prove the group: its $ref target, an allOf member, or every branch
 * of its anyOf/oneOf? */
static bool entails(struct ctx *c, const node *w, const node *r, enum group g);

static bool alternatives(struct ctx *c, const node *w, const node *r, enum group g)
{
	char ptr[PTR_MAX];
	const node *t = pure_ref(c, W, w) ? NULL : resolve_local(c, W, ref_str(get(w, "$ref")), ptr);
	if (t && entails(c, t, r, g))
		return true;
	const node *all = get(w, "allOf");
	for (size_t i = 0; all && all->type == SL_JSON_ARRAY && i < all->u.c.n; i++)
		if (entails(c, all->u.c.items[i], r, g))
			return true;
	static const char *const unions[] = {"anyOf", "oneOf"};
	for (int u = 0; u < 2; u++) {
		const node *br = get(w, unions[u]);
		if (!br || br->type != SL_JSON_ARRAY || br->u.c.n == 0)
			continue;
		bool each = true;
		for (size_t i = 0; each && i < br->u.c.n; i++)
			each = entails(c, br->u.c.items[i], r, g);
		if (each)
			return true;
	}
	return false;
}

static bool has_alternatives(struct ctx *c, const node *w)
{
	return (ref_str(get(w, "$ref")) && !pure_ref(c, W, w)) || get(w, "allOf") ||
	       get(w, "anyOf") || get(w, "oneOf");
}

static bool entails(struct ctx *c, const node *w, const node *r, enum group g)
{
	char saved[PTR_MAX];
	memcpy(saved, c->s[W].ptr, PTR_MAX);
	w = deref(c, W, w);
	bool ok;
	if (!is_schema(w))
		w = &true_node;
	if (!has_alternatives(c, w)) {
		ok = check_group(c, w, r, g);
	} else {
		c->trial++;
		ok = check_group(c, w, r, g) || alternatives(c, w, r, g);
		c->trial--;
		if (!ok && !c->aborted)
			check_group(c, w, r, g); /* again, to record why */
	}
	memcpy(c->s[W].ptr, saved, PTR_MAX);
	return ok;
}

static bool sub(struct ctx *c, const node *w, const node *r)
{
	char saved[2][PTR_MAX];
	bool ok = true;
	if (!budget(c))
		return false;
	memcpy(saved[W], c->s[W].ptr, PTR_MAX);
	memcpy(saved[R], c->s[R].ptr, PTR_MAX);
	c->depth++;
	if (!r)
		r = &true_node;
	w = deref(c, W, w);
	r = deref(c, R, r);
	if (!is_schema(w))
		w = &true_node; /* not a schema: assume the most it could accept */
	if (r->type == SL_JSON_TRUE || w->type == SL_JSON_FALSE || !has_assertions(r))
		goto done;
	if (!is_schema(r)) {
		ok = violate(c, K_UNPROVABLE, NULL, NULL, "the %s version has %s where a schema "
			     "belongs", RL, r->type == SL_JSON_ARRAY ? "an array" : "a scalar");
		goto done;
	}
	if (r->type == SL_JSON_FALSE) {
		ok = violate(c, K_FORBIDDEN, NULL, NULL,
			     "the %s version accepts no value here (false); the %s version "
			     "accepts some",
			     RL, WL);
		goto done;
	}
	if (same(c, w, r))
		goto done;
	for (size_t i = 0; i < c->n_sub; i++)
		if (c->sub_stack[i].w == w && c->sub_stack[i].r == r)
			goto done; /* coinduction: assumed while being proven */
	c->sub_stack[c->n_sub++] = (struct pair){w, r};
	for (int g = 0; g < G_COUNT; g++) {
		if (!group_present(r, (enum group)g))
			continue;
		if (!entails(c, w, r, (enum group)g)) {
			ok = false;
			if (c->trial || c->aborted)
				break;
		}
	}
	c->n_sub--;
done:
	c->depth--;
	memcpy(c->s[W].ptr, saved[W], PTR_MAX);
	memcpy(c->s[R].ptr, saved[R], PTR_MAX);
	return ok && !c->aborted;
}

/* ---- entry points -------------------------------------------------------------------- */

static void side_init(struct side *s, const node *root)
{
	char ptr[PTR_MAX] = "";
	const char *draft = str(get(root, "$schema"));
	memset(s, 0, sizeof(*s));
	s->root = root;
	s->draft7 = draft && (strstr(draft, "draft-07") || strstr(draft, "draft-06") ||
			      strstr(draft, "draft-04"));
	s->nested_id = walk(root, ptr, find_nested_id, NULL, 0);
	s->root_id = str(get(root, "$id"));
}

static void run(const node *writer, const node *reader, bool backward, int64_t against,
		struct sl_compat_report *rep)
{
	struct ctx *c = calloc(1, sizeof(*c));
	if (!c) {
		rep->total++;
		if (rep->n < SL_COMPAT_REPORT_MAX) {
			struct sl_compat_violation *v = &rep->v[rep->n++];
			memset(v, 0, sizeof(*v));
			v->rule = rule_names[K_UNPROVABLE].backward;
			v->direction = backward ? "BACKWARD" : "FORWARD";
			v->against = against;
			snprintf(v->reason, sizeof(v->reason), "out of memory");
		}
		return;
	}
	side_init(&c->s[W], writer);
	side_init(&c->s[R], reader);
	c->backward = backward;
	c->new_side = backward ? R : W;
	c->lab[W] = backward ? "old" : "new";
	c->lab[R] = backward ? "new" : "old";
	c->against = against;
	c->rep = rep;
	sub(c, writer, reader);
	free(c);
}

size_t sl_compat_check(const struct sl_json_node *old_schema,
		       const struct sl_json_node *new_schema, enum sl_compat mode,
		       int64_t against, struct sl_compat_report *rep)
{
	size_t before = rep->total;
	bool bw = mode == SL_COMPAT_BACKWARD || mode == SL_COMPAT_BACKWARD_ALL ||
		  mode == SL_COMPAT_FULL || mode == SL_COMPAT_FULL_ALL;
	bool fw = mode == SL_COMPAT_FORWARD || mode == SL_COMPAT_FORWARD_ALL ||
		  mode == SL_COMPAT_FULL || mode == SL_COMPAT_FULL_ALL;
	if (bw)
		run(old_schema, new_schema, true, against, rep);
	if (fw)
		run(new_schema, old_schema, false, against, rep);
	return rep->total - before;
}

int sl_compat_check_text(const char *old_text, size_t old_len, const char *new_text,
			 size_t new_len, enum sl_compat mode, int64_t against,
			 struct sl_compat_report *rep, struct sl_err *err)
{
	struct sl_json_node *o = NULL, *n = NULL;
	sl_schema_skip_bom(&old_text, &old_len);
	sl_schema_skip_bom(&new_text, &new_len);
	int rc = sl_schema_tree(old_text, old_len, &o, err);
	if (rc)
		return sl_err_prefix(err, "old schema");
	if ((rc = sl_schema_tree(new_text, new_len, &n, err)) != 0) {
		sl_json_tree_free(o);
		return sl_err_prefix(err, "new schema");
	}
	size_t found = sl_compat_check(o, n, mode, against, rep);
	sl_json_tree_free(o);
	sl_json_tree_free(n);
	return (int)(found > INT32_MAX ? INT32_MAX : found);
}

void sl_compat_violation_line(const struct sl_compat_violation *v, char *out, size_t cap)
{
	snprintf(out, cap, "%s at %s: %s", v->rule, v->pointer[0] ? v->pointer : "(root)",
		 v->reason);
}
