/*
 * jsonschema.c - a JSON Schema (draft 2020-12 or draft-07, as a parsed tree) mapped to a
 * sluice type (see types.h; every rule is in docs/types.md with an example).
 *
 * How: each schema becomes a shape first (struct shape: which JSON kinds it admits, the
 * string format, integer bounds, properties, map values, list items). Shapes combine two
 * ways: intersection ("all of these hold": the schema's own keywords, "$ref", allOf,
 * each oneOf/anyOf group) and union ("one of these holds": the members of oneOf/anyOf,
 * "then" and "else"). The branches of every if/then/else of a schema, its allOf members'
 * and its $ref's are pooled into one union before it meets the rest, because such
 * branches refine one object in alternative ways (one per event type, say) - met one
 * after the other they would require every branch's fields at once. A shape becomes a
 * type at the end.
 *
 * Promises: untrusted schemas cannot crash, loop or exhaust memory: "$ref"s are only
 * local JSON pointers, a "$ref" to a schema already being mapped (recursion) becomes
 * json, nesting and work are capped (SL_ELIMIT); every error names the JSON pointer of
 * the schema at fault.
 */
#include "types/types.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/json.h"

#define MAX_NEST 256        /* schemas inside schemas, "$ref"s included */
#define MAX_SHAPES 1000000  /* shapes made, copies included */

/* JSON kinds a schema admits */
enum {
	K_NULL = 1, K_BOOL = 2, K_INT = 4, K_NUM = 8, /* a number that is not an integer */
	K_STR = 16, K_OBJ = 32, K_ARR = 64, K_ANY = 127,
};

enum fmt { F_NONE, F_DATETIME, F_DATE, F_TIME, F_UUID, F_BASE64, F_MIXED };

struct shape;

struct prop {
	char *name; /* owned, NUL-terminated (names holding a NUL byte are refused) */
	struct shape *s; /* owned; NULL: named by "required" only, no schema */
	bool required;
};

struct shape {
	unsigned kinds;
	bool opaque;       /* json whatever else it says: recursion */
	bool tuple;        /* its arrays are tuples (json) */
	uint8_t fmt;       /* of its strings */
	bool str_enum;     /* its strings all come from an "enum" */
	int64_t lo, hi;    /* bounds of its integers */
	bool has_props;    /* "properties" applies: a struct */
	struct prop *props;
	size_t n_props, cap_props;
	uint32_t *ix;      /* name index of props (position + 1), from IX_MIN props on */
	size_t ix_mask;
	struct shape *values; /* additionalProperties / patternProperties: a map */
	struct shape *items;  /* a list */
};

struct ctx {
	const struct sl_json_node *root;
	struct sl_err *err;
	size_t shapes;
	int nest;
	/* the targets of the "$ref"s being followed (each is one level of nest), and the
	 * root */
	const struct sl_json_node *refs[MAX_NEST + 1];
	int n_refs;
	char path[512]; /* JSON pointer of the schema being mapped, for messages */
	size_t path_len;
	int rc; /* the first error */
};

static int fail(struct ctx *c, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct ctx *c, int code, const char *fmt, ...)
{
	if (c->rc)
		return c->rc;
	char what[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	c->rc = code;
	if (code == SL_ENOMEM)
		return sl_err_set(c->err, code, "out of memory");
	return sl_err_set(c->err, code, "JSON Schema at \"%s\": %s", c->path_len ? c->path : "",
			  what);
}

/* Appends "/" and a pointer token (~ and / escaped) to the path; returns the old length
 * for path_pop. A path too long for the buffer is cut (it is only for messages). */
static size_t path_push(struct ctx *c, const char *tok, size_t len)
{
	size_t old = c->path_len, n = old;
	char *p = c->path;
	size_t cap = sizeof(c->path) - 4;
	if (n < cap)
		p[n++] = '/';
	for (size_t i = 0; i < len && n < cap; i++) {
		if (tok[i] == '~' || tok[i] == '/') {
			p[n++] = '~';
			if (n < cap)
				p[n++] = tok[i] == '~' ? '0' : '1';
		} else {
			p[n++] = tok[i];
		}
	}
	p[n] = '\0';
	c->path_len = n;
	return old;
}

static void path_pop(struct ctx *c, size_t old)
{
	c->path_len = old;
	c->path[old] = '\0';
}

static size_t path_push_index(struct ctx *c, size_t i)
{
	char num[24];
	int n = snprintf(num, sizeof(num), "%zu", i);
	return path_push(c, num, (size_t)n);
}

/* ---- shapes -------------------------------------------------------------------------- */

static struct shape *shape_new(struct ctx *c, unsigned kinds)
{
	if (++c->shapes > MAX_SHAPES) {
		fail(c, SL_ELIMIT, "the schema is too complex to map to a type (more than %d "
				   "steps)", MAX_SHAPES);
		return NULL;
	}
	struct shape *s = calloc(1, sizeof(*s));
	if (!s) {
		fail(c, SL_ENOMEM, "out of memory");
		return NULL;
	}
	s->kinds = kinds;
	s->lo = INT64_MIN;
	s->hi = INT64_MAX;
	return s;
}

static void shape_free(struct shape *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_props; i++) {
		free(s->props[i].name);
		shape_free(s->props[i].s);
	}
	free(s->props);
	free(s->ix);
	shape_free(s->values);
	shape_free(s->items);
	free(s);
}

#define IX_MIN 16

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static size_t ix_slot(const struct shape *s, const char *name)
{
	size_t i = (size_t)hash(name) & s->ix_mask;
	while (s->ix[i] && strcmp(s->props[s->ix[i] - 1].name, name) != 0)
		i = (i + 1) & s->ix_mask;
	return i;
}

static bool ix_build(struct shape *s)
{
	size_t slots = 64;
	while (slots < 2 * s->cap_props + 2)
		slots *= 2;
	uint32_t *ix = calloc(slots, sizeof(*ix));
	if (!ix)
		return false;
	free(s->ix);
	s->ix = ix;
	s->ix_mask = slots - 1;
	for (size_t k = 0; k < s->n_props; k++)
		s->ix[ix_slot(s, s->props[k].name)] = (uint32_t)k + 1;
	return true;
}

static struct prop *prop_find(const struct shape *s, const char *name)
{
	if (s->ix) {
		uint32_t k = s->ix[ix_slot(s, name)];
		return k ? &s->props[k - 1] : NULL;
	}
	for (size_t i = 0; i < s->n_props; i++)
		if (strcmp(s->props[i].name, name) == 0)
			return &s->props[i];
	return NULL;
}

/* The property called name, added (no schema, not required) if missing. */
static struct prop *prop_get(struct ctx *c, struct shape *s, const char *name)
{
	struct prop *p = prop_find(s, name);
	if (p)
		return p;
	if (s->n_props >= UINT32_MAX - 1) {
		fail(c, SL_ELIMIT, "too many properties");
		return NULL;
	}
	if (s->n_props == s->cap_props) {
		size_t cap = s->cap_props ? s->cap_props * 2 : 8;
		struct prop *np = realloc(s->props, cap * sizeof(*np));
		if (!np) {
			fail(c, SL_ENOMEM, "out of memory");
			return NULL;
		}
		s->props = np;
		s->cap_props = cap;
		if (s->n_props >= IX_MIN && !ix_build(s)) {
			fail(c, SL_ENOMEM, "out of memory");
			return NULL;
		}
	}
	char *copy = strdup(name);
	if (!copy) {
		fail(c, SL_ENOMEM, "out of memory");
		return NULL;
	}
	p = &s->props[s->n_props++];
	p->name = copy;
	p->s = NULL;
	p->required = false;
	if (s->ix)
		s->ix[ix_slot(s, copy)] = (uint32_t)s->n_props;
	else if (s->n_props >= IX_MIN && !ix_build(s)) {
		fail(c, SL_ENOMEM, "out of memory");
		return NULL;
	}
	return p;
}

static struct shape *combine(struct ctx *c, struct shape *a, struct shape *b, bool meet);

/* Makes nothing in s required, all the way down: what an alternative that says nothing
 * about s leaves of it. */
static void weaken(struct shape *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_props; i++) {
		s->props[i].required = false;
		weaken(s->props[i].s);
	}
	weaken(s->values);
	weaken(s->items);
}

/* a and b for a part that only matters when the kind is admitted (a field, the map
 * values, the list items); NULL says nothing about it. Meeting nothing leaves the other
 * as it is; in a union, the other keeps its type but requires nothing (so an object
 * without properties or an array without items does not turn the other side into
 * json, docs/types.md). */
static struct shape *combine_part(struct ctx *c, struct shape *a, struct shape *b,
				   bool meet)
{
	if (!a || !b) {
		if (!meet)
			weaken(a ? a : b);
		return a ? a : b;
	}
	return combine(c, a, b, meet);
}

/* Moves b's object part (properties, map values) into a, dropping a's. */
static void take_object(struct shape *a, struct shape *b)
{
	for (size_t i = 0; i < a->n_props; i++) {
		free(a->props[i].name);
		shape_free(a->props[i].s);
	}
	free(a->props);
	free(a->ix);
	shape_free(a->values);
	a->props = b->props;
	a->n_props = b->n_props;
	a->cap_props = b->cap_props;
	a->ix = b->ix;
	a->ix_mask = b->ix_mask;
	a->has_props = b->has_props;
	a->values = b->values;
	b->props = NULL;
	b->n_props = b->cap_props = 0;
	b->ix = NULL;
	b->values = NULL;
}

/* Intersection (meet) or union of a and b; takes both, returns the result (NULL on
 * error, with both freed). In a union, only a side that admits a kind says something
 * about it (the null of oneOf [null, X] says nothing about X's fields). */
static struct shape *combine(struct ctx *c, struct shape *a, struct shape *b, bool meet)
{
	if (c->rc) {
		shape_free(a);
		shape_free(b);
		return NULL;
	}
	unsigned ka = a->kinds, kb = b->kinds;
	a->kinds = meet ? ka & kb : ka | kb;
	a->opaque = a->opaque || b->opaque;
	a->tuple = a->tuple || b->tuple;
	if (meet) {
		if (a->fmt == F_NONE)
			a->fmt = b->fmt;
		else if (b->fmt != F_NONE && b->fmt != a->fmt)
			a->fmt = F_MIXED;
		a->str_enum = a->str_enum || b->str_enum;
		a->lo = a->lo > b->lo ? a->lo : b->lo;
		a->hi = a->hi < b->hi ? a->hi : b->hi;
	} else {
		if ((kb & K_STR) && !(ka & K_STR)) {
			a->fmt = b->fmt;
			a->str_enum = b->str_enum;
		} else if (kb & K_STR) {
			a->fmt = a->fmt == b->fmt ? a->fmt : F_MIXED;
			a->str_enum = a->str_enum && b->str_enum;
		}
		if ((kb & K_INT) && !(ka & K_INT)) {
			a->lo = b->lo;
			a->hi = b->hi;
		} else if (kb & K_INT) {
			a->lo = a->lo < b->lo ? a->lo : b->lo;
			a->hi = a->hi > b->hi ? a->hi : b->hi;
		}
	}
	/* objects */
	if (meet || ((ka & K_OBJ) && (kb & K_OBJ))) {
		/* a field is required when one part of an intersection requires it, or
		 * every alternative of a union */
		for (size_t i = 0; !meet && i < a->n_props; i++) {
			if (!prop_find(b, a->props[i].name)) {
				a->props[i].required = false;
				weaken(a->props[i].s);
			}
		}
		for (size_t i = 0; i < b->n_props && !c->rc; i++) {
			struct prop *bp = &b->props[i], *ap = prop_find(a, bp->name);
			if (ap) {
				ap->required = meet ? ap->required || bp->required
						    : ap->required && bp->required;
				ap->s = combine_part(c, ap->s, bp->s, meet);
			} else if ((ap = prop_get(c, a, bp->name))) {
				ap->required = meet && bp->required;
				ap->s = bp->s;
				if (!meet)
					weaken(ap->s);
			}
			bp->s = NULL;
		}
		a->has_props = a->has_props || b->has_props;
		a->values = combine_part(c, a->values, b->values, meet);
		b->values = NULL;
	} else if (kb & K_OBJ) {
		take_object(a, b);
	}
	/* arrays */
	if (meet || ((ka & K_ARR) && (kb & K_ARR))) {
		a->items = combine_part(c, a->items, b->items, meet);
		b->items = NULL;
	} else if (kb & K_ARR) {
		shape_free(a->items);
		a->items = b->items;
		b->items = NULL;
	}
	shape_free(b);
	if (c->rc) {
		shape_free(a);
		return NULL;
	}
	return a;
}

/* ---- schema -> shape ----------------------------------------------------------------- */

static const struct sl_json_node *member(const struct sl_json_node *obj, const char *key,
					 size_t len)
{
	if (!obj || obj->type != SL_JSON_OBJECT)
		return NULL;
	for (size_t i = obj->u.c.n; i-- > 0;) /* the last of duplicates, as sl_json_get */
		if (obj->u.c.key_lens[i] == len && memcmp(obj->u.c.keys[i], key, len) == 0)
			return obj->u.c.items[i];
	return NULL;
}

static const struct sl_json_node *kw(const struct sl_json_node *obj, const char *key)
{
	return member(obj, key, strlen(key));
}

static bool is_number(const struct sl_json_node *n)
{
	return n && (n->type == SL_JSON_INT || n->type == SL_JSON_DOUBLE ||
		     n->type == SL_JSON_BIGINT);
}

static double number_of(const struct sl_json_node *n)
{
	if (n->type == SL_JSON_INT)
		return (double)n->u.i;
	if (n->type == SL_JSON_DOUBLE)
		return n->u.d;
	return n->u.str.len && n->u.str.s[0] == '-' ? -HUGE_VAL : HUGE_VAL; /* BIGINT */
}

static int64_t clamp64(double d)
{
	if (!(d < 9223372036854775807.0))
		return INT64_MAX;
	if (!(d > -9223372036854775808.0))
		return INT64_MIN;
	return (int64_t)d;
}

static struct shape *map_schema(struct ctx *c, const struct sl_json_node *n);

/* A member that is a schema, mapped with its name on the path. */
static struct shape *map_member(struct ctx *c, const char *key,
				const struct sl_json_node *sub)
{
	size_t old = path_push(c, key, strlen(key));
	struct shape *s = map_schema(c, sub);
	path_pop(c, old);
	return s;
}

/* The kinds of the values of an enum or const, with their integer bounds. */
static void value_kinds(const struct sl_json_node *v, struct shape *s)
{
	switch (v->type) {
	case SL_JSON_NULL: s->kinds |= K_NULL; break;
	case SL_JSON_TRUE:
	case SL_JSON_FALSE: s->kinds |= K_BOOL; break;
	case SL_JSON_INT:
		if (!(s->kinds & K_INT) || v->u.i < s->lo)
			s->lo = v->u.i;
		if (!(s->kinds & K_INT) || v->u.i > s->hi)
			s->hi = v->u.i;
		s->kinds |= K_INT;
		break;
	case SL_JSON_BIGINT:
		s->kinds |= K_INT;
		s->lo = INT64_MIN;
		s->hi = INT64_MAX;
		break;
	case SL_JSON_DOUBLE: s->kinds |= K_NUM; break;
	case SL_JSON_STRING: s->kinds |= K_STR; break;
	case SL_JSON_OBJECT: s->kinds |= K_OBJ; break;
	default: s->kinds |= K_ARR; break;
	}
}

static int type_kinds(struct ctx *c, const struct sl_json_node *t, unsigned *kinds)
{
	static const struct {
		const char *name;
		unsigned kinds;
	} names[] = {{"null", K_NULL},   {"boolean", K_BOOL}, {"integer", K_INT},
		     {"number", K_INT | K_NUM}, {"string", K_STR}, {"object", K_OBJ},
		     {"array", K_ARR}};
	size_t n = t->type == SL_JSON_ARRAY ? t->u.c.n : 1;
	if (t->type != SL_JSON_ARRAY && t->type != SL_JSON_STRING)
		return fail(c, SL_EINVAL, "\"type\" must be a string or an array of strings");
	*kinds = 0;
	for (size_t i = 0; i < n; i++) {
		const struct sl_json_node *x = t->type == SL_JSON_ARRAY ? t->u.c.items[i] : t;
		size_t k = 0;
		while (x->type == SL_JSON_STRING && k < sizeof(names) / sizeof(names[0]) &&
		       strcmp(x->u.str.s, names[k].name) != 0)
			k++;
		if (x->type != SL_JSON_STRING || k == sizeof(names) / sizeof(names[0]))
			return fail(c, SL_EINVAL, "\"type\" names an unknown type");
		*kinds |= names[k].kinds;
	}
	return 0;
}

/* What the schema's own keywords say (no applicators but properties and items). */
static struct shape *own_shape(struct ctx *c, const struct sl_json_node *n)
{
	const struct sl_json_node *t = kw(n, "type"), *v;
	struct shape *s = shape_new(c, K_ANY);
	if (!s)
		return NULL;
	if (t) {
		if (type_kinds(c, t, &s->kinds))
			goto fail;
	} else {
		/* no "type": what the keywords are about (docs/types.md) */
		bool obj = kw(n, "properties") || kw(n, "patternProperties") ||
			   kw(n, "additionalProperties") || kw(n, "required");
		bool arr = kw(n, "items") || kw(n, "prefixItems");
		if (obj != arr)
			s->kinds = obj ? K_OBJ : K_ARR;
	}
	if ((v = kw(n, "enum")) || (v = kw(n, "const"))) {
		struct shape *e = shape_new(c, 0);
		if (!e)
			goto fail;
		if (v == kw(n, "enum")) {
			if (v->type != SL_JSON_ARRAY) {
				shape_free(e);
				fail(c, SL_EINVAL, "\"enum\" must be an array");
				goto fail;
			}
			for (size_t i = 0; i < v->u.c.n; i++)
				value_kinds(v->u.c.items[i], e);
			e->str_enum = true;
		} else {
			value_kinds(v, e);
		}
		if (!(s = combine(c, s, e, true)))
			return NULL;
	}
	if ((v = kw(n, "format")) && v->type == SL_JSON_STRING) {
		static const char *const fmts[] = {"date-time", "date", "time", "uuid"};
		for (int k = 0; k < 4; k++)
			if (strcmp(v->u.str.s, fmts[k]) == 0)
				s->fmt = (uint8_t)(F_DATETIME + k);
	}
	if ((v = kw(n, "contentEncoding")) && v->type == SL_JSON_STRING &&
	    strcmp(v->u.str.s, "base64") == 0)
		s->fmt = F_BASE64;
	/* integer bounds (draft-04's boolean exclusive* are not numbers: ignored) */
	if (is_number(v = kw(n, "minimum")) && clamp64(ceil(number_of(v))) > s->lo)
		s->lo = clamp64(ceil(number_of(v)));
	if (is_number(v = kw(n, "exclusiveMinimum")) && clamp64(floor(number_of(v)) + 1) > s->lo)
		s->lo = clamp64(floor(number_of(v)) + 1);
	if (is_number(v = kw(n, "maximum")) && clamp64(floor(number_of(v))) < s->hi)
		s->hi = clamp64(floor(number_of(v)));
	if (is_number(v = kw(n, "exclusiveMaximum")) && clamp64(ceil(number_of(v)) - 1) < s->hi)
		s->hi = clamp64(ceil(number_of(v)) - 1);

	if ((v = kw(n, "properties"))) {
		if (v->type != SL_JSON_OBJECT) {
			fail(c, SL_EINVAL, "\"properties\" must be an object");
			goto fail;
		}
		s->has_props = true;
		size_t old = path_push(c, "properties", 10);
		for (size_t i = 0; i < v->u.c.n && !c->rc; i++) {
			const char *key = v->u.c.keys[i];
			size_t klen = v->u.c.key_lens[i];
			const struct sl_json_node *sub = v->u.c.items[i];
			if (sub->type == SL_JSON_FALSE)
				continue; /* the member can never be there */
			size_t old2 = path_push(c, key, klen);
			if (klen == 0 || memchr(key, '\0', klen)) {
				fail(c, SL_EINVAL, "a property name must be non-empty and hold no "
						   "U+0000 to become a field");
			} else {
				struct shape *ps = map_schema(c, sub);
				struct prop *p = ps ? prop_get(c, s, key) : NULL;
				if (p) {
					shape_free(p->s); /* a duplicate key: the last one counts */
					p->s = ps;
				} else {
					shape_free(ps);
				}
			}
			path_pop(c, old2);
		}
		path_pop(c, old);
	}
	if ((v = kw(n, "required")) && !c->rc) {
		if (v->type != SL_JSON_ARRAY) {
			fail(c, SL_EINVAL, "\"required\" must be an array");
			goto fail;
		}
		for (size_t i = 0; i < v->u.c.n; i++) {
			const struct sl_json_node *r = v->u.c.items[i];
			if (r->type != SL_JSON_STRING || r->u.str.len == 0 ||
			    memchr(r->u.str.s, '\0', r->u.str.len)) {
				fail(c, SL_EINVAL, "\"required\" must list non-empty names");
				goto fail;
			}
			struct prop *p = prop_get(c, s, r->u.str.s);
			if (!p)
				goto fail;
			p->required = true;
		}
	}
	/* a map: one schema for every member */
	if ((v = kw(n, "additionalProperties")) && v->type == SL_JSON_OBJECT && !c->rc)
		s->values = map_member(c, "additionalProperties", v);
	if ((v = kw(n, "patternProperties")) && v->type == SL_JSON_OBJECT && !c->rc) {
		size_t old = path_push(c, "patternProperties", 17);
		for (size_t i = 0; i < v->u.c.n && !c->rc; i++) {
			size_t old2 = path_push(c, v->u.c.keys[i], v->u.c.key_lens[i]);
			struct shape *ps = map_schema(c, v->u.c.items[i]);
			s->values = ps ? combine_part(c, s->values, ps, false) : s->values;
			path_pop(c, old2);
		}
		path_pop(c, old);
	}
	if ((v = kw(n, "items")) && !c->rc) {
		if (v->type == SL_JSON_ARRAY)
			s->tuple = true; /* draft-07 */
		else
			s->items = map_member(c, "items", v);
	}
	if (kw(n, "prefixItems"))
		s->tuple = true;
	if (c->rc)
		goto fail;
	return s;
fail:
	shape_free(s);
	return NULL;
}

static int percent_decode(const char *s, size_t len, char *out, size_t *out_len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] != '%') {
			out[n++] = s[i];
			continue;
		}
		int v = 0;
		for (int k = 1; k <= 2; k++) {
			char h = i + (size_t)k < len ? s[i + k] : 0;
			int d = h >= '0' && h <= '9' ? h - '0'
				: h >= 'a' && h <= 'f' ? h - 'a' + 10
				: h >= 'A' && h <= 'F' ? h - 'A' + 10
						       : -1;
			if (d < 0)
				return -1;
			v = v * 16 + d;
		}
		out[n++] = (char)v;
		i += 2;
	}
	*out_len = n;
	return 0;
}

/* The schema a local "$ref" names, or NULL (c->rc set). */
static const struct sl_json_node *resolve(struct ctx *c, const struct sl_json_node *ref)
{
	if (ref->type != SL_JSON_STRING) {
		fail(c, SL_EINVAL, "\"$ref\" must be a string");
		return NULL;
	}
	const char *r = ref->u.str.s;
	size_t len = ref->u.str.len;
	if (len == 0 || r[0] != '#') {
		fail(c, SL_EINVAL, "\"$ref\" \"%.200s\": only references inside the document "
				   "(\"#/...\") are followed", r);
		return NULL;
	}
	char *ptr = malloc(len);
	size_t plen;
	if (!ptr) {
		fail(c, SL_ENOMEM, "out of memory");
		return NULL;
	}
	const struct sl_json_node *at = c->root;
	if (percent_decode(r + 1, len - 1, ptr, &plen) != 0) {
		fail(c, SL_EINVAL, "\"$ref\" \"%.200s\": bad percent-encoding", r);
		goto fail;
	}
	if (plen && ptr[0] != '/') {
		fail(c, SL_EINVAL, "\"$ref\" \"%.200s\": anchors are not followed, only JSON "
				   "pointers", r);
		goto fail;
	}
	for (size_t i = 1; i <= plen && plen;) {
		/* one token: up to the next '/', with ~1 -> '/' and ~0 -> '~' */
		size_t j = i, t = i;
		while (j < plen && ptr[j] != '/') {
			if (ptr[j] == '~') {
				if (j + 1 >= plen || (ptr[j + 1] != '0' && ptr[j + 1] != '1')) {
					fail(c, SL_EINVAL, "\"$ref\" \"%.200s\": '~' must be followed "
							   "by 0 or 1", r);
					goto fail;
				}
				ptr[t++] = ptr[j + 1] == '0' ? '~' : '/';
				j += 2;
			} else {
				ptr[t++] = ptr[j++];
			}
		}
		const char *tok = ptr + i;
		size_t tlen = t - i;
		const struct sl_json_node *next = NULL;
		if (at->type == SL_JSON_OBJECT) {
			next = member(at, tok, tlen);
		} else if (at->type == SL_JSON_ARRAY && tlen > 0 && tlen < 10 &&
			   (tlen == 1 || tok[0] != '0')) {
			size_t k = 0, idx = 0;
			while (k < tlen && tok[k] >= '0' && tok[k] <= '9')
				idx = idx * 10 + (size_t)(tok[k++] - '0');
			if (k == tlen && idx < at->u.c.n)
				next = at->u.c.items[idx];
		}
		if (!next) {
			fail(c, SL_EINVAL, "\"$ref\" \"%.200s\" names nothing in the document", r);
			goto fail;
		}
		at = next;
		i = j + 1;
	}
	free(ptr);
	return at;
fail:
	free(ptr);
	return NULL;
}

/* Alternatives (then/else) go to *pool, everything else meets *base. */
static int gather(struct ctx *c, const struct sl_json_node *n, struct shape **base,
		  struct shape **pool)
{
	int rc = 0;
	if (++c->nest > MAX_NEST) {
		rc = fail(c, SL_ELIMIT, "schemas nest deeper than %d levels", MAX_NEST);
		goto done;
	}
	if (n->type == SL_JSON_TRUE || n->type == SL_JSON_FALSE) {
		if (n->type == SL_JSON_FALSE)
			(*base)->kinds = 0;
		goto done;
	}
	if (n->type != SL_JSON_OBJECT) {
		rc = fail(c, SL_EINVAL, "a schema must be an object or a boolean");
		goto done;
	}
	struct shape *own = own_shape(c, n);
	if (!own || !(*base = combine(c, *base, own, true)))
		goto done;

	const struct sl_json_node *v;
	if ((v = kw(n, "$ref"))) {
		const struct sl_json_node *target = resolve(c, v);
		if (!target)
			goto done;
		int k = 0;
		while (k < c->n_refs && c->refs[k] != target)
			k++;
		if (k < c->n_refs) {
			/* a recursive schema: json from here on */
			(*base)->opaque = true;
		} else {
			char saved[sizeof(c->path)];
			size_t saved_len = c->path_len;
			memcpy(saved, c->path, saved_len + 1);
			snprintf(c->path, sizeof(c->path), "%s", v->u.str.s + 1);
			c->path_len = strlen(c->path);
			c->refs[c->n_refs++] = target;
			gather(c, target, base, pool);
			c->n_refs--;
			memcpy(c->path, saved, saved_len + 1);
			c->path_len = saved_len;
			if (c->rc)
				goto done;
		}
	}
	if (kw(n, "$dynamicRef") || kw(n, "$recursiveRef"))
		(*base)->opaque = true; /* recursion by another name */
	if ((v = kw(n, "allOf")) && v->type == SL_JSON_ARRAY) {
		size_t old = path_push(c, "allOf", 5);
		for (size_t i = 0; i < v->u.c.n && !c->rc; i++) {
			size_t old2 = path_push_index(c, i);
			gather(c, v->u.c.items[i], base, pool);
			path_pop(c, old2);
		}
		path_pop(c, old);
	}
	static const char *const groups[2] = {"anyOf", "oneOf"};
	for (int g = 0; g < 2 && !c->rc; g++) {
		if (!(v = kw(n, groups[g])) || v->type != SL_JSON_ARRAY || v->u.c.n == 0)
			continue;
		struct shape *u = NULL;
		size_t old = path_push(c, groups[g], 5);
		for (size_t i = 0; i < v->u.c.n && !c->rc; i++) {
			size_t old2 = path_push_index(c, i);
			struct shape *m = map_schema(c, v->u.c.items[i]);
			u = u ? (m ? combine(c, u, m, false) : (shape_free(u), NULL)) : m;
			path_pop(c, old2);
		}
		path_pop(c, old);
		if (u)
			*base = combine(c, *base, u, true);
	}
	if (kw(n, "if") && (kw(n, "then") || kw(n, "else")) && !c->rc) {
		/* a missing branch admits anything: what the other requires is optional */
		struct shape *t = kw(n, "then") ? map_member(c, "then", kw(n, "then"))
						: shape_new(c, K_ANY);
		struct shape *e = kw(n, "else") ? map_member(c, "else", kw(n, "else"))
						: shape_new(c, K_ANY);
		if (t && e) {
			struct shape *alt = combine(c, t, e, false);
			if (alt)
				*pool = *pool ? combine(c, *pool, alt, false) : alt;
		} else {
			shape_free(t);
			shape_free(e);
		}
	}
done:
	c->nest--;
	return rc ? rc : c->rc;
}

static struct shape *map_schema(struct ctx *c, const struct sl_json_node *n)
{
	struct shape *base = shape_new(c, K_ANY), *pool = NULL;
	if (!base)
		return NULL;
	if (gather(c, n, &base, &pool) != 0) {
		shape_free(base);
		shape_free(pool);
		return NULL;
	}
	return pool ? combine(c, base, pool, true) : base;
}

/* ---- shape -> type ------------------------------------------------------------------- */

static struct sl_type *to_type(struct ctx *c, const struct shape *s, int depth)
{
	if (depth > SL_TYPE_MAX_DEPTH) {
		fail(c, SL_ELIMIT, "the type nests deeper than %d levels", SL_TYPE_MAX_DEPTH);
		return NULL;
	}
	unsigned k = s ? s->kinds & ~(unsigned)K_NULL : K_ANY;
	bool nullable = !s || (s->kinds & K_NULL) || s->kinds == 0;
	enum sl_type_kind kind = SL_T_JSON;
	if (!s || s->opaque)
		k = K_ANY;
	else if (k == K_NUM)
		k = K_INT | K_NUM;
	struct sl_type *t = NULL;
	switch (k) {
	case K_BOOL: kind = SL_T_BOOL; break;
	case K_INT: kind = SL_T_INT; break;
	case K_INT | K_NUM: kind = SL_T_DOUBLE; break;
	case K_STR:
		kind = s->fmt == F_DATETIME ? SL_T_TIMESTAMP
		       : s->fmt == F_DATE   ? SL_T_DATE
		       : s->fmt == F_TIME   ? SL_T_TIME
		       : s->fmt == F_UUID   ? SL_T_UUID
		       : s->fmt == F_BASE64 ? SL_T_BINARY
					    : SL_T_STRING;
		break;
	case K_OBJ:
		kind = s->has_props ? SL_T_STRUCT : s->values ? SL_T_MAP : SL_T_JSON;
		break;
	case K_ARR:
		kind = s->items && !s->tuple ? SL_T_LIST : SL_T_JSON;
		break;
	default:
		break; /* nothing, or several kinds */
	}
	if (!(t = sl_type_new(kind, nullable)))
		goto nomem;
	switch (kind) {
	case SL_T_INT:
		t->bits = s->lo >= INT32_MIN && s->hi <= INT32_MAX ? 32 : 64;
		break;
	case SL_T_STRING:
		t->is_enum = s->str_enum;
		break;
	case SL_T_STRUCT:
		for (size_t i = 0; i < s->n_props; i++) {
			const struct prop *p = &s->props[i];
			struct sl_type *ft = to_type(c, p->s, depth + 1);
			if (!ft)
				goto fail;
			/* not null only when required and its schema does not admit null */
			ft->nullable = ft->nullable || !p->required;
			struct sl_err e2;
			int rc = sl_type_add_field(t, p->name, ft, &e2);
			if (rc) {
				fail(c, rc, "property \"%.200s\": %s", p->name, e2.msg);
				goto fail;
			}
		}
		break;
	case SL_T_MAP:
		if (!(t->key = sl_type_new(SL_T_STRING, false)))
			goto nomem;
		if (!(t->elem = to_type(c, s->values, depth + 1)))
			goto fail;
		break;
	case SL_T_LIST:
		if (!(t->elem = to_type(c, s->items, depth + 1)))
			goto fail;
		break;
	default:
		break;
	}
	return t;
nomem:
	fail(c, SL_ENOMEM, "out of memory");
fail:
	sl_type_free(t);
	return NULL;
}

struct sl_type *sl_type_from_jsonschema(const struct sl_json_node *schema,
					struct sl_err *err)
{
	struct ctx c = {.root = schema, .err = err};
	if (!schema) {
		sl_err_set(err, SL_EINVAL, "no schema");
		return NULL;
	}
	c.refs[c.n_refs++] = schema; /* "$ref": "#" is recursion too */
	struct shape *s = map_schema(&c, schema);
	struct sl_type *t = NULL;
	if (s && (s->opaque || (s->kinds & ~(unsigned)K_NULL) != K_OBJ || !s->has_props)) {
		fail(&c, SL_EINVAL, "the schema does not describe an object with \"properties\" "
				    "(a row must map to a struct)");
	} else if (s) {
		t = to_type(&c, s, 1);
	}
	shape_free(s);
	return t;
}
