/*
 * compile.c - from schema text to the node graph validate.c runs.
 *
 * Three steps:
 *   1. parse each document (the root, and remote ones as $refs need them) into a tree;
 *   2. index it: walk its subschemas, following only keywords that hold schemas, and
 *      record every resource ($id, resolved against the base URI in effect) and every
 *      $anchor / $dynamicAnchor (draft-07: "$id": "#name"), each with its base URI;
 *   3. compile from the root: each subschema becomes one node (memoised by tree node,
 *      so a subschema reached twice, or recursively, is one node), $refs are resolved
 *      through the index (JSON pointers are walked from the resource they name).
 * Finally the in-place edges ($ref, allOf, anyOf, oneOf, not, if/then/else,
 * dependentSchemas) are checked for a cycle: such a schema would never finish.
 *
 * URIs are resolved with liburiparser (RFC 3986). A document with no $id and no given
 * base URI gets the placeholder base "sluice:/schema" so relative references still
 * resolve to something unique.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uriparser/Uri.h>

#include "schema/internal.h"

#define DEFAULT_BASE "sluice:/schema"
#define DEFAULT_MAX_STEPS 1000000
#define DEFAULT_MAX_NODES 100000
#define MAX_DOCS 64

/* ---- arena --------------------------------------------------------------------------- */

struct arena_block {
	struct arena_block *next;
	size_t used, cap;
	_Alignas(16) unsigned char data[];
};

static void *arena_alloc(struct sl_schema *s, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	struct arena_block *b = s->arena;
	if (!b || b->cap - b->used < n) {
		size_t cap = n > 65536 ? n : 65536;
		b = malloc(sizeof(*b) + cap);
		if (!b)
			return NULL;
		b->next = s->arena;
		b->used = 0;
		b->cap = cap;
		s->arena = b;
	}
	void *p = b->data + b->used;
	b->used += n;
	memset(p, 0, n);
	return p;
}

static char *arena_strndup(struct sl_schema *s, const char *str, size_t n)
{
	char *d = arena_alloc(s, n + 1);
	if (d)
		memcpy(d, str, n);
	return d;
}

/* ---- the compiler's state ------------------------------------------------------------ */

struct entry { /* a resource or an anchor found by indexing */
	char *uri; /* absolute; with "#name" for anchors */
	const struct sl_json_node *node;
	char *base;  /* base URI in effect inside node */
	char *outer; /* ... and around it (what compiling node starts from) */
	enum sl_schema_draft draft;
	bool dynamic; /* a $dynamicAnchor */
};

struct memo { /* tree node -> compiled node */
	const struct sl_json_node *key;
	struct sl_snode *node;
};

struct cc {
	struct sl_schema *s;
	const struct sl_schema_opts *opts;
	struct sl_err *err;
	struct entry *ents;
	size_t n_ents, cap_ents;
	struct memo *memo;
	size_t memo_cap, memo_n;
	size_t n_nodes, max_nodes;
	struct resource **res; /* by resource URI */
	size_t n_res, cap_res;
	bool no_validation; /* a meta-schema without the validation vocabulary */
};

__attribute__((format(printf, 3, 4))) static int fail(struct cc *c, const char *path,
						       const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sl_err_set(c->err, SL_EINVAL, "invalid schema at %s: %s", *path ? path : "(root)", msg);
	return SL_EINVAL;
}

static int nomem(struct cc *c)
{
	sl_err_set(c->err, SL_ENOMEM, "out of memory compiling the schema");
	return SL_ENOMEM;
}

/* ---- URIs ---------------------------------------------------------------------------- */

static char *uri_to_string(UriUriA *u)
{
	int need = 0;
	if (uriToStringCharsRequiredA(u, &need) != URI_SUCCESS)
		return NULL;
	char *out = malloc((size_t)need + 1);
	if (out && uriToStringA(out, u, need + 1, NULL) != URI_SUCCESS) {
		free(out);
		return NULL;
	}
	return out;
}

/* ref resolved against base; malloc'd, NULL if either does not parse. */
static char *uri_resolve(const char *ref, const char *base)
{
	UriUriA b, r, out;
	const char *errpos;
	char *res = NULL;
	if (uriParseSingleUriA(&b, base, &errpos) != URI_SUCCESS)
		return NULL;
	if (uriParseSingleUriA(&r, ref, &errpos) != URI_SUCCESS) {
		uriFreeUriMembersA(&b);
		return NULL;
	}
	if (uriAddBaseUriA(&out, &r, &b) == URI_SUCCESS) {
		uriNormalizeSyntaxA(&out);
		res = uri_to_string(&out);
		uriFreeUriMembersA(&out);
	}
	uriFreeUriMembersA(&r);
	uriFreeUriMembersA(&b);
	return res;
}

/* Splits "abs#frag" in place: returns the fragment (without '#'), "" if none. */
static char *uri_split(char *uri)
{
	char *h = strchr(uri, '#');
	if (!h)
		return uri + strlen(uri);
	*h = '\0';
	return h + 1;
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

/* Percent-decodes s in place. */
static void pct_decode(char *s)
{
	char *w = s;
	for (char *r = s; *r; r++) {
		if (r[0] == '%' && hexval(r[1]) >= 0 && hexval(r[2]) >= 0) {
			*w++ = (char)(hexval(r[1]) * 16 + hexval(r[2]));
			r += 2;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

/* ---- drafts and keywords ------------------------------------------------------------- */

static bool draft_uri(const char *u, enum sl_schema_draft *out)
{
	static const char *const uris[] = {
		"https://json-schema.org/draft/2020-12/schema", "http://json-schema.org/draft-07/schema",
		"http://json-schema.org/draft-06/schema"};
	for (size_t k = 0; k < 3; k++) {
		size_t n = strlen(uris[k]);
		/* http or https; an empty fragment allowed */
		const char *x = strncmp(u, "https:", 6) == 0 && strncmp(uris[k], "http:", 5) == 0 ? u + 1 : u;
		if (strncmp(x, uris[k], n) == 0 && (!x[n] || strcmp(x + n, "#") == 0)) {
			*out = k == 0 ? SL_DRAFT_2020_12 : SL_DRAFT_7;
			return true;
		}
	}
	return false;
}

/* A custom meta-schema: its own $schema gives the draft; a $vocabulary without the
 * validation vocabulary turns the validation keywords off (2020-12 section 8.1.2). */
static bool meta_draft(struct cc *c, const char *uri, enum sl_schema_draft *out)
{
	if (!c->opts || !c->opts->resolver || !c->opts->resolver->load)
		return false;
	char *text = NULL;
	size_t len = 0;
	struct sl_err e2 = {0};
	if (c->opts->resolver->load(c->opts->resolver->ctx, uri, &text, &len, &e2) != 0) {
		free(text);
		return false;
	}
	struct sl_json_error je;
	struct sl_json_node *t = sl_json_tree_parse(text, len, NULL, &je);
	free(text);
	const struct sl_json_node *sch = t && t->type == SL_JSON_OBJECT ? sl_json_get(t, "$schema") : NULL;
	bool ok = sch && sch->type == SL_JSON_STRING && draft_uri(sch->u.str.s, out);
	const struct sl_json_node *voc = ok ? sl_json_get(t, "$vocabulary") : NULL;
	if (voc && voc->type == SL_JSON_OBJECT &&
	    !sl_json_get(voc, "https://json-schema.org/draft/2020-12/vocab/validation"))
		c->no_validation = true;
	sl_json_tree_free(t);
	return ok;
}

static bool draft_of(struct cc *c, const struct sl_json_node *n, enum sl_schema_draft dflt,
		     enum sl_schema_draft *out)
{
	*out = dflt;
	if (!n || n->type != SL_JSON_OBJECT)
		return true;
	const struct sl_json_node *sch = sl_json_get(n, "$schema");
	if (!sch || sch->type != SL_JSON_STRING)
		return true;
	return draft_uri(sch->u.str.s, out) || meta_draft(c, sch->u.str.s, out);
}

/* The keywords of the validation vocabulary (dropped when a meta-schema leaves it out). */
static bool validation_keyword(const char *k)
{
	static const char *const kws[] = {
		"type",      "enum",      "const",     "multipleOf", "maximum", "exclusiveMaximum",
		"minimum",   "exclusiveMinimum",       "maxLength",  "minLength", "pattern",
		"maxItems",  "minItems",  "uniqueItems", "maxContains", "minContains",
		"maxProperties", "minProperties", "required", "dependentRequired"};
	for (size_t m = 0; m < sizeof(kws) / sizeof(kws[0]); m++)
		if (strcmp(k, kws[m]) == 0)
			return true;
	return false;
}

/* Keywords whose value is one schema, an array of schemas, or a map of schemas. */
enum kw_shape { ONE, ARRAY_OF, MAP_OF, ONE_OR_ARRAY };

static const struct kw {
	const char *name;
	enum kw_shape shape;
	uint8_t drafts; /* bit 0: 2020-12, bit 1: draft-07 */
} schema_keywords[] = {
	{"additionalProperties", ONE, 3}, {"propertyNames", ONE, 3},
	{"contains", ONE, 3},             {"not", ONE, 3},
	{"if", ONE, 3},                   {"then", ONE, 3},
	{"else", ONE, 3},                 {"unevaluatedProperties", ONE, 1},
	{"unevaluatedItems", ONE, 1},     {"items", ONE, 1},
	{"items", ONE_OR_ARRAY, 2},       {"additionalItems", ONE, 2},
	{"allOf", ARRAY_OF, 3},           {"anyOf", ARRAY_OF, 3},
	{"oneOf", ARRAY_OF, 3},           {"prefixItems", ARRAY_OF, 1},
	{"properties", MAP_OF, 3},        {"patternProperties", MAP_OF, 3},
	{"$defs", MAP_OF, 3},             {"definitions", MAP_OF, 3},
	{"dependentSchemas", MAP_OF, 1},  {"dependencies", MAP_OF, 2},
};

static uint8_t draft_bit(enum sl_schema_draft d)
{
	return d == SL_DRAFT_7 ? 2 : 1;
}

/* ---- index --------------------------------------------------------------------------- */

static int add_entry(struct cc *c, char *uri, const struct sl_json_node *node, const char *base,
		     const char *outer, enum sl_schema_draft draft, bool dynamic)
{
	if (!uri)
		return nomem(c);
	for (size_t k = 0; k < c->n_ents; k++)
		if (strcmp(c->ents[k].uri, uri) == 0) {
			bool same = c->ents[k].node == node;
			free(uri);
			return same ? 0 : SL_EEXIST;
		}
	if (c->n_ents == c->cap_ents) {
		size_t cap = c->cap_ents ? 2 * c->cap_ents : 32;
		struct entry *e = realloc(c->ents, cap * sizeof(*e));
		if (!e) {
			free(uri);
			return nomem(c);
		}
		c->ents = e;
		c->cap_ents = cap;
	}
	char *b = strdup(base), *o = strdup(outer);
	if (!b || !o) {
		free(uri);
		free(b);
		free(o);
		return nomem(c);
	}
	c->ents[c->n_ents++] = (struct entry){uri, node, b, o, draft, dynamic};
	return 0;
}

static const struct entry *find_entry(struct cc *c, const char *uri)
{
	for (size_t k = 0; k < c->n_ents; k++)
		if (strcmp(c->ents[k].uri, uri) == 0)
			return &c->ents[k];
	return NULL;
}

/* The base URI inside schema object n, whose parent's base is base; malloc'd. Sets
 * *anchor7 to a draft-07 "$id": "#name" anchor name. */
static char *base_of(const struct sl_json_node *n, const char *base, enum sl_schema_draft d,
		     const char **anchor7)
{
	*anchor7 = NULL;
	const struct sl_json_node *id = n->type == SL_JSON_OBJECT ? sl_json_get(n, "$id") : NULL;
	if (d == SL_DRAFT_7 && id && sl_json_get(n, "$ref"))
		id = NULL; /* draft-07: $ref's siblings, $id included, are ignored */
	if (!id || id->type != SL_JSON_STRING)
		return strdup(base);
	if (d == SL_DRAFT_7 && id->u.str.s[0] == '#') {
		*anchor7 = id->u.str.s + 1;
		return strdup(base);
	}
	char *r = uri_resolve(id->u.str.s, base);
	if (r)
		uri_split(r); /* an empty fragment is allowed: "http://x/y#" */
	return r;
}

static int index_doc(struct cc *c, const struct sl_json_node *n, const char *base,
		     enum sl_schema_draft d, bool is_root, int depth)
{
	if (n->type != SL_JSON_OBJECT)
		return 0;
	if (depth > 600)
		return fail(c, "", "nested too deeply");
	enum sl_schema_draft nd;
	if (!draft_of(c, n, d, &nd))
		return fail(c, "", "unsupported $schema \"%s\" (2020-12 and draft-07 are)",
			    sl_json_get(n, "$schema")->u.str.s);
	d = nd;
	const char *anchor7;
	char *nb = base_of(n, base, d, &anchor7);
	if (!nb)
		return fail(c, "", "$id \"%s\" is not a valid URI reference",
			    sl_json_get(n, "$id")->u.str.s);
	int rc = 0;
	bool has_id = strcmp(nb, base) != 0 || is_root;
	if (has_id) {
		rc = add_entry(c, strdup(nb), n, nb, base, d, false);
		if (rc == SL_EEXIST)
			rc = fail(c, "", "two schemas have the $id \"%s\"", nb);
	}
	char *anchors[2] = {NULL, NULL};
	bool dyn[2] = {false, true};
	if (anchor7)
		anchors[0] = (char *)anchor7;
	if (d == SL_DRAFT_2020_12) {
		const struct sl_json_node *a = sl_json_get(n, "$anchor");
		const struct sl_json_node *da = sl_json_get(n, "$dynamicAnchor");
		if (a && a->type == SL_JSON_STRING)
			anchors[0] = a->u.str.s;
		if (da && da->type == SL_JSON_STRING)
			anchors[1] = da->u.str.s;
	}
	for (int k = 0; k < 2 && rc == 0; k++) {
		if (!anchors[k])
			continue;
		char *u = NULL;
		if (asprintf(&u, "%s#%s", nb, anchors[k]) < 0)
			u = NULL;
		rc = add_entry(c, u, n, nb, base, d, dyn[k]);
		if (rc == SL_EEXIST) {
			/* $anchor and $dynamicAnchor of the same name on one schema are fine */
			const struct entry *e = find_entry(c, u ? u : "");
			rc = 0;
			if (!e || e->node != n)
				rc = fail(c, "", "two schemas have the anchor \"%s\"", anchors[k]);
		}
		if (rc == 0 && dyn[k])
			for (size_t m = 0; m < c->n_ents; m++)
				if (c->ents[m].node == n && strchr(c->ents[m].uri, '#') &&
				    strcmp(strchr(c->ents[m].uri, '#') + 1, anchors[k]) == 0)
					c->ents[m].dynamic = true;
	}
	for (size_t k = 0; rc == 0 && k < sizeof(schema_keywords) / sizeof(schema_keywords[0]);
	     k++) {
		const struct kw *kw = &schema_keywords[k];
		if (!(kw->drafts & draft_bit(d)))
			continue;
		if (d == SL_DRAFT_7 && sl_json_get(n, "$ref"))
			break; /* siblings of $ref are not schemas in draft-07 */
		const struct sl_json_node *v = sl_json_get(n, kw->name);
		if (!v)
			continue;
		if (v->type == SL_JSON_OBJECT && kw->shape == MAP_OF) {
			for (size_t m = 0; rc == 0 && m < v->u.c.n; m++)
				rc = index_doc(c, v->u.c.items[m], nb, d, false, depth + 1);
		} else if (v->type == SL_JSON_ARRAY &&
			   (kw->shape == ARRAY_OF || kw->shape == ONE_OR_ARRAY)) {
			for (size_t m = 0; rc == 0 && m < v->u.c.n; m++)
				rc = index_doc(c, v->u.c.items[m], nb, d, false, depth + 1);
		} else if (kw->shape == ONE || kw->shape == ONE_OR_ARRAY) {
			rc = index_doc(c, v, nb, d, false, depth + 1);
		}
	}
	free(nb);
	return rc;
}

/* Parses text as a new document owned by the schema, indexed under base. */
static int add_doc(struct cc *c, const char *text, size_t len, const char *base,
		   enum sl_schema_draft d, const struct sl_json_node **root)
{
	struct sl_json_error je;
	if (c->s->n_docs == MAX_DOCS)
		return fail(c, "", "more than %d schema documents referenced", MAX_DOCS);
	struct sl_json_node *t = sl_json_tree_parse(text, len, NULL, &je);
	if (!t) {
		sl_err_set(c->err, SL_EINVAL, "invalid schema JSON (%s) at line %lld, column %lld: %s",
			   base, (long long)je.pos.line, (long long)je.pos.column, je.msg);
		return SL_EINVAL;
	}
	c->s->docs[c->s->n_docs++] = t;
	*root = t;
	if (t->type != SL_JSON_OBJECT && t->type != SL_JSON_TRUE && t->type != SL_JSON_FALSE)
		return fail(c, "", "a schema must be an object or a boolean");
	if (t->type != SL_JSON_OBJECT)
		return add_entry(c, strdup(base), t, base, base, d, false);
	int rc = index_doc(c, t, base, d, true, 0);
	if (rc == 0 && !find_entry(c, base)) /* retrieved from base, with another $id */
		rc = add_entry(c, strdup(base), t, base, base, d, false);
	return rc;
}

/* ---- reference resolution ------------------------------------------------------------ */

struct target {
	const struct sl_json_node *node;
	char *base; /* malloc'd */
	enum sl_schema_draft draft;
	bool dynamic_anchor; /* reached through a $dynamicAnchor */
	char *path;          /* malloc'd: where it is, for messages */
};

/* Walks JSON pointer ptr (decoded fragment) from node, tracking $id along the way. */
static int walk_pointer(struct cc *c, const char *ptr, struct target *t, const char *refpath)
{
	const char *p = ptr;
	while (*p == '/') {
		p++;
		const char *end = strchr(p, '/');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		char tokbuf[512];
		size_t w = 0;
		for (size_t k = 0; k < n && w < sizeof(tokbuf) - 1; k++) {
			if (p[k] == '~' && k + 1 < n && (p[k + 1] == '0' || p[k + 1] == '1')) {
				tokbuf[w++] = p[k + 1] == '0' ? '~' : '/';
				k++;
			} else {
				tokbuf[w++] = p[k];
			}
		}
		tokbuf[w] = '\0';
		const struct sl_json_node *next = NULL;
		if (t->node->type == SL_JSON_OBJECT) {
			const char *a7;
			char *inner = base_of(t->node, t->base, t->draft, &a7);
			if (!inner)
				return nomem(c);
			free(t->base);
			t->base = inner;
			next = sl_json_get(t->node, tokbuf);
		} else if (t->node->type == SL_JSON_ARRAY) {
			char *e;
			errno = 0;
			unsigned long idx = strtoul(tokbuf, &e, 10);
			if (*tokbuf && !*e && errno == 0 && idx < t->node->u.c.n)
				next = t->node->u.c.items[idx];
		}
		if (!next)
			return fail(c, refpath, "$ref \"#%s\" points at nothing", ptr);
		t->node = next;
		p += n;
	}
	return 0;
}

static int load_remote(struct cc *c, const char *uri, enum sl_schema_draft d,
		       const char *refpath)
{
	if (!c->opts || !c->opts->resolver || !c->opts->resolver->load)
		return fail(c, refpath, "$ref to \"%s\", which is not in this schema", uri);
	char *text = NULL;
	size_t len = 0;
	struct sl_err e2 = {0};
	int rc = c->opts->resolver->load(c->opts->resolver->ctx, uri, &text, &len, &e2);
	if (rc != 0) {
		free(text);
		if (rc == SL_ENOENT)
			return fail(c, refpath, "$ref to \"%s\", which is unknown%s%s", uri,
				    e2.msg[0] ? ": " : "", e2.msg);
		return fail(c, refpath, "$ref to \"%s\": %s", uri, e2.msg);
	}
	const struct sl_json_node *root;
	rc = add_doc(c, text, len, uri, d, &root);
	free(text);
	if (rc)
		sl_err_prefix(c->err, "in \"%s\" (referenced at %s): ", uri, refpath);
	return rc;
}

/* Resolves reference ref (from a schema whose base is base) to a tree node. */
static int resolve(struct cc *c, const char *ref, const char *base, enum sl_schema_draft d,
		   const char *refpath, struct target *t)
{
	memset(t, 0, sizeof(*t));
	char *abs = uri_resolve(ref, base);
	if (!abs)
		return fail(c, refpath, "$ref \"%s\" is not a valid URI reference", ref);
	char *frag = uri_split(abs);
	pct_decode(frag);
	const struct entry *e = find_entry(c, abs);
	if (!e) {
		int rc = load_remote(c, abs, d, refpath);
		if (rc) {
			free(abs);
			return rc;
		}
		e = find_entry(c, abs);
		if (!e) {
			free(abs);
			return fail(c, refpath, "$ref \"%s\" cannot be resolved", ref);
		}
	}
	t->node = e->node;
	t->base = strdup(e->outer);
	t->draft = e->draft;
	int rc = t->base ? 0 : nomem(c);
	if (rc == 0 && *frag == '/') {
		rc = walk_pointer(c, frag, t, refpath);
	} else if (rc == 0 && *frag) {
		char *u = NULL;
		if (asprintf(&u, "%s#%s", abs, frag) < 0) {
			rc = nomem(c);
		} else {
			const struct entry *a = find_entry(c, u);
			if (!a) {
				rc = fail(c, refpath, "$ref \"%s\": no anchor \"%s\"", ref, frag);
			} else {
				t->node = a->node;
				free(t->base);
				t->base = strdup(a->outer);
				t->draft = a->draft;
				t->dynamic_anchor = a->dynamic;
				rc = t->base ? 0 : nomem(c);
			}
			free(u);
		}
	}
	if (rc == 0 && asprintf(&t->path, "%s", ref) < 0)
		rc = nomem(c);
	free(abs);
	if (rc) {
		free(t->base);
		t->base = NULL;
	}
	return rc;
}

/* ---- compile ------------------------------------------------------------------------- */

static struct sl_snode **memo_slot(struct cc *c, const struct sl_json_node *key, bool *found)
{
	if (c->memo_n * 2 >= c->memo_cap) {
		size_t cap = c->memo_cap ? c->memo_cap * 2 : 256;
		struct memo *m = calloc(cap, sizeof(*m));
		if (!m)
			return NULL;
		for (size_t k = 0; k < c->memo_cap; k++) {
			if (!c->memo[k].key)
				continue;
			size_t h = ((uintptr_t)c->memo[k].key >> 4) * 0x9E3779B97F4A7C15ULL % cap;
			while (m[h].key)
				h = (h + 1) % cap;
			m[h] = c->memo[k];
		}
		free(c->memo);
		c->memo = m;
		c->memo_cap = cap;
	}
	size_t h = ((uintptr_t)key >> 4) * 0x9E3779B97F4A7C15ULL % c->memo_cap;
	while (c->memo[h].key && c->memo[h].key != key)
		h = (h + 1) % c->memo_cap;
	*found = c->memo[h].key != NULL;
	if (!*found) {
		c->memo[h].key = key;
		c->memo_n++;
	}
	return &c->memo[h].node;
}

static struct resource *resource_for(struct cc *c, const char *uri)
{
	for (size_t k = 0; k < c->n_res; k++)
		if (strcmp(c->res[k]->uri, uri) == 0)
			return c->res[k];
	if (c->n_res == c->cap_res) {
		size_t cap = c->cap_res ? 2 * c->cap_res : 16;
		struct resource **r = realloc(c->res, cap * sizeof(*r));
		if (!r)
			return NULL;
		c->res = r;
		c->cap_res = cap;
	}
	struct resource *r = arena_alloc(c->s, sizeof(*r));
	if (!r || !(r->uri = arena_strndup(c->s, uri, strlen(uri))))
		return NULL;
	c->res[c->n_res++] = r;
	return r;
}

static int compile(struct cc *c, const struct sl_json_node *n, const char *base,
		   enum sl_schema_draft d, const char *path, struct sl_snode **out);

/* path + "/" + key (escaped as a JSON pointer token) in the arena. */
static char *path_join(struct cc *c, const char *path, const char *key)
{
	size_t pl = strlen(path), kl = strlen(key), extra = 0;
	for (size_t k = 0; k < kl; k++)
		extra += key[k] == '~' || key[k] == '/';
	char *p = arena_alloc(c->s, pl + kl + extra + 2);
	if (!p)
		return NULL;
	memcpy(p, path, pl);
	char *w = p + pl;
	*w++ = '/';
	for (size_t k = 0; k < kl; k++) {
		if (key[k] == '~' || key[k] == '/') {
			*w++ = '~';
			*w++ = key[k] == '~' ? '0' : '1';
		} else {
			*w++ = key[k];
		}
	}
	return p;
}

static char *path_index(struct cc *c, const char *path, size_t i)
{
	char num[24];
	snprintf(num, sizeof(num), "%zu", i);
	return path_join(c, path, num);
}

static bool is_number(const struct sl_json_node *v)
{
	return v->type == SL_JSON_INT || v->type == SL_JSON_DOUBLE || v->type == SL_JSON_BIGINT;
}

static int get_num(struct cc *c, const struct sl_json_node *v, const char *path,
		   const char *kw, struct num *out)
{
	if (!is_number(v))
		return fail(c, path, "\"%s\" must be a number", kw);
	if (v->type == SL_JSON_INT) {
		out->i = v->u.i;
		out->d = (double)v->u.i;
		out->is_int = true;
	} else if (v->type == SL_JSON_DOUBLE) {
		out->d = v->u.d;
		out->is_int = false;
		if (v->u.d == floor(v->u.d) && fabs(v->u.d) < 9e18) {
			out->i = (int64_t)v->u.d;
			out->is_int = true;
		}
	} else {
		out->d = strtod(v->u.str.s, NULL);
		out->is_int = false;
	}
	return 0;
}

static int get_count(struct cc *c, const struct sl_json_node *v, const char *path,
		     const char *kw, int64_t *out)
{
	struct num n;
	if (get_num(c, v, path, kw, &n) || !n.is_int || n.i < 0)
		return fail(c, path, "\"%s\" must be a non-negative integer", kw);
	*out = n.i;
	return 0;
}

/* ECMA-262's long General_Category names, which PCRE2 10.42 does not know. */
static const char *const gc_names[][2] = {
	{"Letter", "L"},
	{"Cased_Letter", "L&"},
	{"Uppercase_Letter", "Lu"},
	{"Lowercase_Letter", "Ll"},
	{"Titlecase_Letter", "Lt"},
	{"Modifier_Letter", "Lm"},
	{"Other_Letter", "Lo"},
	{"Mark", "M"},
	{"Combining_Mark", "M"},
	{"Nonspacing_Mark", "Mn"},
	{"Spacing_Mark", "Mc"},
	{"Enclosing_Mark", "Me"},
	{"Number", "N"},
	{"Decimal_Number", "Nd"},
	{"digit", "Nd"},
	{"Letter_Number", "Nl"},
	{"Other_Number", "No"},
	{"Punctuation", "P"},
	{"punct", "P"},
	{"Connector_Punctuation", "Pc"},
	{"Dash_Punctuation", "Pd"},
	{"Open_Punctuation", "Ps"},
	{"Close_Punctuation", "Pe"},
	{"Initial_Punctuation", "Pi"},
	{"Final_Punctuation", "Pf"},
	{"Other_Punctuation", "Po"},
	{"Symbol", "S"},
	{"Math_Symbol", "Sm"},
	{"Currency_Symbol", "Sc"},
	{"Modifier_Symbol", "Sk"},
	{"Other_Symbol", "So"},
	{"Separator", "Z"},
	{"Space_Separator", "Zs"},
	{"Line_Separator", "Zl"},
	{"Paragraph_Separator", "Zp"},
	{"Other", "C"},
	{"Control", "Cc"},
	{"cntrl", "Cc"},
	{"Format", "Cf"},
	{"Surrogate", "Cs"},
	{"Private_Use", "Co"},
	{"Unassigned", "Cn"},
};

/* Rewrites \p{Long_Name} / \p{gc=...} / \p{sc=...} into PCRE2's spelling; malloc'd. */
static char *ecma_properties(const char *src, size_t len, size_t *out_len)
{
	char *out = malloc(len + 1);
	size_t w = 0;
	if (!out)
		return NULL;
	for (size_t k = 0; k < len; k++) {
		if (src[k] != '\\' || k + 1 >= len) {
			out[w++] = src[k];
			continue;
		}
		out[w++] = src[k++];
		out[w++] = src[k];
		if ((src[k] != 'p' && src[k] != 'P') || k + 1 >= len || src[k + 1] != '{')
			continue;
		const char *name = src + k + 2, *end = memchr(name, '}', len - (k + 2));
		if (!end)
			continue;
		size_t n = (size_t)(end - name);
		const char *eq = memchr(name, '=', n);
		if (eq) { /* gc=X, General_Category=X, sc=X, Script=X */
			n -= (size_t)(eq + 1 - name);
			name = eq + 1;
		}
		const char *repl = NULL;
		for (size_t m = 0; m < sizeof(gc_names) / sizeof(gc_names[0]); m++)
			if (strlen(gc_names[m][0]) == n && memcmp(gc_names[m][0], name, n) == 0)
				repl = gc_names[m][1];
		out[w++] = '{';
		if (repl) {
			memcpy(out + w, repl, strlen(repl)); /* never longer than the name */
			w += strlen(repl);
		} else {
			memcpy(out + w, name, n);
			w += n;
		}
		out[w++] = '}';
		k = (size_t)(end - src);
	}
	*out_len = w;
	return out;
}

static int compile_regex(struct cc *c, const char *src, size_t len, const char *path,
			 pcre2_code **out)
{
	int errcode;
	PCRE2_SIZE erroff;
	pcre2_compile_context *cctx = pcre2_compile_context_create(NULL);
	if (!cctx)
		return nomem(c);
	/* ECMA-262 as far as PCRE2 goes: \uXXXX and \u{...} escapes, $ only at the end */
	pcre2_set_compile_extra_options(cctx, PCRE2_EXTRA_ALT_BSUX);
	size_t plen;
	char *pat = ecma_properties(src, len, &plen);
	if (!pat) {
		pcre2_compile_context_free(cctx);
		return nomem(c);
	}
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, plen,
				       PCRE2_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_ALT_BSUX |
					       PCRE2_NO_UTF_CHECK,
				       &errcode, &erroff, cctx);
	free(pat);
	pcre2_compile_context_free(cctx);
	if (!re) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(errcode, msg, sizeof(msg));
		return fail(c, path, "invalid regular expression \"%.*s\": %s at offset %zu",
			    (int)(len > 200 ? 200 : len), src, (const char *)msg, (size_t)erroff);
	}
	if (pcre2_jit_compile(re, PCRE2_JIT_COMPLETE) != 0)
		c->s->some_not_jit = true; /* it still works, through pcre2_match */
	if (c->s->n_codes == c->s->cap_codes) {
		size_t cap = c->s->cap_codes ? 2 * c->s->cap_codes : 16;
		pcre2_code **codes = realloc(c->s->codes, cap * sizeof(*codes));
		if (!codes) {
			pcre2_code_free(re);
			return nomem(c);
		}
		c->s->codes = codes;
		c->s->cap_codes = cap;
	}
	c->s->codes[c->s->n_codes++] = re;
	*out = re;
	return 0;
}

static int compile_list(struct cc *c, const struct sl_json_node *v, const char *base,
			enum sl_schema_draft d, const char *path, const char *kw,
			struct sl_snode ***out, uint32_t *n_out)
{
	if (v->type != SL_JSON_ARRAY || (v->u.c.n == 0 && strcmp(kw, "prefixItems") != 0 &&
					 strcmp(kw, "items") != 0))
		return fail(c, path, "\"%s\" must be a non-empty array of schemas", kw);
	*out = arena_alloc(c->s, (v->u.c.n + 1) * sizeof(**out));
	if (!*out)
		return nomem(c);
	*n_out = (uint32_t)v->u.c.n;
	for (size_t k = 0; k < v->u.c.n; k++) {
		char *p = path_index(c, path, k);
		int rc = p ? compile(c, v->u.c.items[k], base, d, p, &(*out)[k]) : nomem(c);
		if (rc)
			return rc;
	}
	return 0;
}

static int compile_one(struct cc *c, const struct sl_json_node *parent, const char *kw,
		       const char *base, enum sl_schema_draft d, const char *path,
		       struct sl_snode **out)
{
	const struct sl_json_node *v = sl_json_get(parent, kw);
	if (!v)
		return 0;
	char *p = path_join(c, path, kw);
	return p ? compile(c, v, base, d, p, out) : nomem(c);
}

static uint16_t type_bit(const char *t)
{
	static const struct {
		const char *name;
		uint16_t bit;
	} names[] = {{"null", T_NULL},     {"boolean", T_BOOLEAN}, {"object", T_OBJECT},
		     {"array", T_ARRAY},   {"number", T_NUMBER},   {"string", T_STRING},
		     {"integer", T_INTEGER}};
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
		if (strcmp(t, names[k].name) == 0)
			return names[k].bit;
	return 0;
}

static int compile_type(struct cc *c, struct sl_snode *s, const struct sl_json_node *v,
			const char *path)
{
	s->has |= K_TYPE;
	if (v->type == SL_JSON_STRING) {
		s->types = type_bit(v->u.str.s);
		if (!s->types)
			return fail(c, path, "unknown type \"%s\"", v->u.str.s);
		return 0;
	}
	if (v->type != SL_JSON_ARRAY)
		return fail(c, path, "\"type\" must be a string or an array of strings");
	for (size_t k = 0; k < v->u.c.n; k++) {
		const struct sl_json_node *t = v->u.c.items[k];
		uint16_t b = t->type == SL_JSON_STRING ? type_bit(t->u.str.s) : 0;
		if (!b)
			return fail(c, path, "\"type\" item %zu is not a type name", k);
		s->types |= b;
	}
	return 0;
}

/* Adds (or finds) the member name in s->props; returns its index. */
static int prop_index(struct cc *c, struct sl_snode *s, const char *name, size_t len,
		      uint32_t *cap)
{
	for (uint32_t k = 0; k < s->n_props; k++)
		if (s->props[k].len == len && memcmp(s->props[k].name, name, len) == 0)
			return (int)k;
	if (s->n_props == *cap) {
		uint32_t ncap = *cap ? 2 * *cap : 8;
		struct prop *p = arena_alloc(c->s, ncap * sizeof(*p));
		if (!p)
			return nomem(c);
		if (s->n_props)
			memcpy(p, s->props, s->n_props * sizeof(*p));
		s->props = p;
		*cap = ncap;
	}
	struct prop *p = &s->props[s->n_props];
	p->name = arena_strndup(c->s, name, len);
	if (!p->name)
		return nomem(c);
	p->len = (uint32_t)len;
	p->hash = sl_sv_name_hash(name, (uint32_t)len);
	p->req_bit = -1;
	return (int)s->n_props++;
}

static int build_prop_table(struct cc *c, struct sl_snode *s)
{
	if (!s->n_props)
		return 0;
	uint32_t size = 4;
	while (size < 2 * s->n_props)
		size *= 2;
	s->prop_table = arena_alloc(c->s, size * sizeof(int32_t));
	if (!s->prop_table)
		return nomem(c);
	memset(s->prop_table, 0xff, size * sizeof(int32_t));
	s->prop_mask = size - 1;
	for (uint32_t k = 0; k < s->n_props; k++) {
		uint32_t h = s->props[k].hash & s->prop_mask;
		while (s->prop_table[h] >= 0)
			h = (h + 1) & s->prop_mask;
		s->prop_table[h] = (int32_t)k;
	}
	return 0;
}

static int compile_object_kws(struct cc *c, struct sl_snode *s, const struct sl_json_node *n,
			      const char *base, enum sl_schema_draft d, const char *path)
{
	uint32_t cap = 0;
	int rc = 0;
	const struct sl_json_node *v;
	if ((v = sl_json_get(n, "properties"))) {
		char *pp = path_join(c, path, "properties");
		if (v->type != SL_JSON_OBJECT)
			return fail(c, path, "\"properties\" must be an object");
		for (size_t k = 0; rc == 0 && k < v->u.c.n; k++) {
			int idx = prop_index(c, s, v->u.c.keys[k], v->u.c.key_lens[k], &cap);
			if (idx < 0)
				return idx;
			char *p = pp ? path_join(c, pp, v->u.c.keys[k]) : NULL;
			if (!p)
				return nomem(c);
			s->props[idx].path = p;
			rc = compile(c, v->u.c.items[k], base, d, p, &s->props[idx].schema);
		}
		s->has |= K_OBJECT_KW;
	}
	if (rc == 0 && (v = sl_json_get(n, "required"))) {
		if (v->type != SL_JSON_ARRAY)
			return fail(c, path, "\"required\" must be an array of strings");
		for (size_t k = 0; k < v->u.c.n; k++) {
			const struct sl_json_node *r = v->u.c.items[k];
			if (r->type != SL_JSON_STRING)
				return fail(c, path, "\"required\" item %zu is not a string", k);
			int idx = prop_index(c, s, r->u.str.s, r->u.str.len, &cap);
			if (idx < 0)
				return idx;
			if (s->props[idx].req_bit < 0)
				s->props[idx].req_bit = (int32_t)s->n_required++;
		}
		s->has |= K_OBJECT_KW;
	}
	if (rc == 0 && (v = sl_json_get(n, "patternProperties"))) {
		if (v->type != SL_JSON_OBJECT)
			return fail(c, path, "\"patternProperties\" must be an object");
		char *pp = path_join(c, path, "patternProperties");
		s->pattern_props = arena_alloc(c->s, (v->u.c.n + 1) * sizeof(struct pattern));
		if (!pp || !s->pattern_props)
			return nomem(c);
		for (size_t k = 0; rc == 0 && k < v->u.c.n; k++) {
			struct pattern *pt = &s->pattern_props[s->n_pattern_props++];
			char *p = path_join(c, pp, v->u.c.keys[k]);
			if (!p)
				return nomem(c);
			pt->source = v->u.c.keys[k];
			rc = compile_regex(c, v->u.c.keys[k], v->u.c.key_lens[k], p, &pt->re);
			if (rc == 0)
				rc = compile(c, v->u.c.items[k], base, d, p, &pt->schema);
		}
		s->has |= K_OBJECT_KW;
	}
	if (rc == 0)
		rc = compile_one(c, n, "additionalProperties", base, d, path, &s->additional);
	if (rc == 0)
		rc = compile_one(c, n, "propertyNames", base, d, path, &s->property_names);
	if (rc == 0 && d == SL_DRAFT_2020_12)
		rc = compile_one(c, n, "unevaluatedProperties", base, d, path, &s->uneval_props);
	if (s->additional || s->property_names)
		s->has |= K_OBJECT_KW;
	if (s->uneval_props)
		s->has |= K_UNEVAL_PROPS | K_OBJECT_KW;
	/* dependencies (draft-07) / dependentRequired + dependentSchemas (2020-12) */
	const char *dep_kws[2][2] = {{"dependentRequired", "dependentSchemas"},
				     {"dependencies", "dependencies"}};
	int di = d == SL_DRAFT_7 ? 1 : 0;
	for (int w = 0; rc == 0 && w < (di ? 1 : 2); w++) {
		const char *kw = dep_kws[di][w];
		if (!(v = sl_json_get(n, kw)))
			continue;
		if (v->type != SL_JSON_OBJECT)
			return fail(c, path, "\"%s\" must be an object", kw);
		char *kp = path_join(c, path, kw);
		struct dep *deps = arena_alloc(c->s, (s->n_deps + v->u.c.n + 1) * sizeof(*deps));
		if (!kp || !deps)
			return nomem(c);
		if (s->n_deps)
			memcpy(deps, s->deps, s->n_deps * sizeof(*deps));
		s->deps = deps;
		for (size_t k = 0; rc == 0 && k < v->u.c.n; k++) {
			const struct sl_json_node *x = v->u.c.items[k];
			struct dep *dp = &s->deps[s->n_deps++];
			dp->name = v->u.c.keys[k];
			dp->len = (uint32_t)v->u.c.key_lens[k];
			bool want_array = di ? x->type == SL_JSON_ARRAY : w == 0;
			if (want_array) {
				if (x->type != SL_JSON_ARRAY)
					return fail(c, kp, "\"%s\" must be an array of strings", dp->name);
				dp->required = arena_alloc(c->s, (x->u.c.n + 1) * sizeof(char *));
				dp->required_lens = arena_alloc(c->s, (x->u.c.n + 1) * sizeof(uint32_t));
				if (!dp->required || !dp->required_lens)
					return nomem(c);
				for (size_t m = 0; m < x->u.c.n; m++) {
					if (x->u.c.items[m]->type != SL_JSON_STRING)
						return fail(c, kp, "\"%s\" item %zu is not a string",
							    dp->name, m);
					dp->required[m] = x->u.c.items[m]->u.str.s;
					dp->required_lens[m] = (uint32_t)x->u.c.items[m]->u.str.len;
				}
				dp->n_required = (uint32_t)x->u.c.n;
			} else {
				char *p = path_join(c, kp, dp->name);
				rc = p ? compile(c, x, base, d, p, &dp->schema) : nomem(c);
			}
		}
		s->has |= K_OBJECT_KW | K_INPLACE;
	}
	if (rc == 0 && (v = sl_json_get(n, "minProperties"))) {
		rc = get_count(c, v, path, "minProperties", &s->min_props);
		s->has |= K_MINPROPS | K_OBJECT_KW;
	}
	if (rc == 0 && (v = sl_json_get(n, "maxProperties"))) {
		rc = get_count(c, v, path, "maxProperties", &s->max_props);
		s->has |= K_MAXPROPS | K_OBJECT_KW;
	}
	return rc ? rc : build_prop_table(c, s);
}

static int compile_array_kws(struct cc *c, struct sl_snode *s, const struct sl_json_node *n,
			     const char *base, enum sl_schema_draft d, const char *path)
{
	int rc = 0;
	const struct sl_json_node *v;
	if (d == SL_DRAFT_2020_12) {
		if ((v = sl_json_get(n, "prefixItems")))
			rc = compile_list(c, v, base, d, path_join(c, path, "prefixItems"),
					  "prefixItems", &s->prefix, &s->n_prefix);
		if (rc == 0)
			rc = compile_one(c, n, "items", base, d, path, &s->items);
		if (rc == 0)
			rc = compile_one(c, n, "unevaluatedItems", base, d, path, &s->uneval_items);
	} else {
		v = sl_json_get(n, "items");
		if (v && v->type == SL_JSON_ARRAY) {
			rc = compile_list(c, v, base, d, path_join(c, path, "items"), "items",
					  &s->prefix, &s->n_prefix);
			if (rc == 0)
				rc = compile_one(c, n, "additionalItems", base, d, path, &s->items);
		} else if (v) {
			rc = compile_one(c, n, "items", base, d, path, &s->items);
		}
	}
	if (rc == 0)
		rc = compile_one(c, n, "contains", base, d, path, &s->contains);
	s->max_contains = -1;
	s->min_contains = 1;
	if (rc == 0 && d == SL_DRAFT_2020_12 && (v = sl_json_get(n, "minContains")))
		rc = get_count(c, v, path, "minContains", &s->min_contains);
	if (rc == 0 && d == SL_DRAFT_2020_12 && (v = sl_json_get(n, "maxContains")))
		rc = get_count(c, v, path, "maxContains", &s->max_contains);
	if (rc == 0 && (v = sl_json_get(n, "minItems"))) {
		rc = get_count(c, v, path, "minItems", &s->min_items);
		s->has |= K_MINITEMS;
	}
	if (rc == 0 && (v = sl_json_get(n, "maxItems"))) {
		rc = get_count(c, v, path, "maxItems", &s->max_items);
		s->has |= K_MAXITEMS;
	}
	if (rc == 0 && (v = sl_json_get(n, "uniqueItems"))) {
		if (v->type != SL_JSON_TRUE && v->type != SL_JSON_FALSE)
			return fail(c, path, "\"uniqueItems\" must be a boolean");
		if (v->type == SL_JSON_TRUE)
			s->has |= K_UNIQUE;
	}
	if (s->contains)
		s->has |= K_CONTAINS;
	if (s->uneval_items)
		s->has |= K_UNEVAL_ITEMS;
	if (s->n_prefix || s->items || (s->has & (K_CONTAINS | K_MINITEMS | K_MAXITEMS | K_UNIQUE |
						  K_UNEVAL_ITEMS)))
		s->has |= K_ARRAY_KW;
	return rc;
}

static int compile_scalar_kws(struct cc *c, struct sl_snode *s, const struct sl_json_node *n,
			      const char *path)
{
	static const struct {
		const char *kw;
		uint32_t bit;
		size_t off;
	} bounds[] = {
		{"minimum", K_MINIMUM, offsetof(struct sl_snode, minimum)},
		{"maximum", K_MAXIMUM, offsetof(struct sl_snode, maximum)},
		{"exclusiveMinimum", K_XMINIMUM, offsetof(struct sl_snode, xminimum)},
		{"exclusiveMaximum", K_XMAXIMUM, offsetof(struct sl_snode, xmaximum)},
		{"multipleOf", K_MULTIPLE, offsetof(struct sl_snode, multiple)},
	};
	int rc = 0;
	const struct sl_json_node *v;
	for (size_t k = 0; rc == 0 && k < sizeof(bounds) / sizeof(bounds[0]); k++) {
		if (!(v = sl_json_get(n, bounds[k].kw)))
			continue;
		rc = get_num(c, v, path, bounds[k].kw, (struct num *)((char *)s + bounds[k].off));
		s->has |= bounds[k].bit | K_NUMBER_KW;
	}
	if (rc == 0 && (s->has & K_MULTIPLE) && !(s->multiple.d > 0))
		return fail(c, path, "\"multipleOf\" must be greater than 0");
	if (rc == 0 && (v = sl_json_get(n, "minLength"))) {
		rc = get_count(c, v, path, "minLength", &s->min_len);
		s->has |= K_MINLEN | K_STRING_KW;
	}
	if (rc == 0 && (v = sl_json_get(n, "maxLength"))) {
		rc = get_count(c, v, path, "maxLength", &s->max_len);
		s->has |= K_MAXLEN | K_STRING_KW;
	}
	if (rc == 0 && (v = sl_json_get(n, "pattern"))) {
		if (v->type != SL_JSON_STRING)
			return fail(c, path, "\"pattern\" must be a string");
		s->pattern = arena_alloc(c->s, sizeof(*s->pattern));
		char *p = path_join(c, path, "pattern");
		if (!s->pattern || !p)
			return nomem(c);
		s->pattern->source = v->u.str.s;
		rc = compile_regex(c, v->u.str.s, v->u.str.len, p, &s->pattern->re);
		s->has |= K_STRING_KW;
	}
	if (rc == 0 && (v = sl_json_get(n, "format"))) {
		if (v->type != SL_JSON_STRING)
			return fail(c, path, "\"format\" must be a string");
		if (!(c->opts && c->opts->formats_annotate)) {
			s->format = sl_format_lookup(v->u.str.s);
			s->format_name = v->u.str.s;
			if (s->format)
				s->has |= K_STRING_KW;
		}
	}
	if (rc == 0 && (v = sl_json_get(n, "enum"))) {
		if (v->type != SL_JSON_ARRAY)
			return fail(c, path, "\"enum\" must be an array");
		s->enum_values = v->u.c.items;
		s->n_enum = (uint32_t)v->u.c.n;
		s->has |= K_ENUM;
	}
	if (rc == 0 && (v = sl_json_get(n, "const"))) {
		s->const_value = (struct sl_json_node *)v;
		s->has |= K_CONST;
	}
	return rc;
}

static int compile_ref(struct cc *c, struct sl_snode *s, const struct sl_json_node *v,
		       const char *base, enum sl_schema_draft d, const char *path, bool dynamic)
{
	const char *kw = dynamic ? "$dynamicRef" : "$ref";
	if (v->type != SL_JSON_STRING)
		return fail(c, path, "\"%s\" must be a string", kw);
	char *rp = path_join(c, path, kw);
	if (!rp)
		return nomem(c);
	struct target t;
	int rc = resolve(c, v->u.str.s, base, d, rp, &t);
	if (rc)
		return rc;
	rc = compile(c, t.node, t.base, t.draft, path_join(c, "", t.path), dynamic ? &s->dyn_ref : &s->ref);
	if (rc == 0 && dynamic && t.dynamic_anchor) {
		const char *h = strchr(v->u.str.s, '#');
		s->dyn_ref_anchor = arena_strndup(c->s, h + 1, strlen(h + 1));
		c->s->uses_dynamic = true;
	}
	free(t.base);
	free(t.path);
	s->has |= K_INPLACE;
	return rc;
}

static int compile_object(struct cc *c, struct sl_snode *s, const struct sl_json_node *n,
			  const char *base, enum sl_schema_draft d, const char *path)
{
	const struct sl_json_node *v;
	int rc = 0;
	if ((v = sl_json_get(n, "$ref"))) {
		rc = compile_ref(c, s, v, base, d, path, false);
		if (rc || d == SL_DRAFT_7)
			return rc; /* draft-07: $ref's siblings are ignored */
	}
	if (d == SL_DRAFT_2020_12 && (v = sl_json_get(n, "$dynamicRef")))
		rc = compile_ref(c, s, v, base, d, path, true);
	if (rc == 0 && (v = sl_json_get(n, "type")))
		rc = compile_type(c, s, v, path);
	if (rc == 0)
		rc = compile_scalar_kws(c, s, n, path);
	if (rc == 0)
		rc = compile_object_kws(c, s, n, base, d, path);
	if (rc == 0)
		rc = compile_array_kws(c, s, n, base, d, path);
	static const char *lists[] = {"allOf", "anyOf", "oneOf"};
	struct sl_snode ***lp[] = {&s->all_of, &s->any_of, &s->one_of};
	uint32_t *np[] = {&s->n_all_of, &s->n_any_of, &s->n_one_of};
	for (int k = 0; rc == 0 && k < 3; k++)
		if ((v = sl_json_get(n, lists[k]))) {
			rc = compile_list(c, v, base, d, path_join(c, path, lists[k]), lists[k],
					  lp[k], np[k]);
			s->has |= K_INPLACE;
		}
	if (rc == 0)
		rc = compile_one(c, n, "not", base, d, path, &s->not_);
	if (rc == 0 && sl_json_get(n, "if")) {
		rc = compile_one(c, n, "if", base, d, path, &s->if_);
		if (rc == 0)
			rc = compile_one(c, n, "then", base, d, path, &s->then_);
		if (rc == 0)
			rc = compile_one(c, n, "else", base, d, path, &s->else_);
	}
	if (s->not_ || s->if_)
		s->has |= K_INPLACE;
	return rc;
}

static int compile(struct cc *c, const struct sl_json_node *n, const char *base,
		   enum sl_schema_draft d, const char *path, struct sl_snode **out)
{
	if (!path)
		return nomem(c);
	bool found;
	struct sl_snode **slot = memo_slot(c, n, &found);
	if (!slot)
		return nomem(c);
	if (found) {
		*out = *slot;
		return 0;
	}
	if (++c->n_nodes > c->max_nodes)
		return fail(c, path, "more than %zu subschemas", c->max_nodes);
	struct sl_snode *s = arena_alloc(c->s, sizeof(*s));
	if (!s)
		return nomem(c);
	*slot = s; /* before compiling children: recursion finds it */
	*out = s;
	s->id = c->s->n_nodes++;
	s->path = path;
	if (n->type == SL_JSON_TRUE || n->type == SL_JSON_FALSE) {
		s->boolean = n->type == SL_JSON_TRUE;
		return 0;
	}
	if (n->type != SL_JSON_OBJECT)
		return fail(c, path, "a schema must be an object or a boolean");
	s->boolean = -1;
	enum sl_schema_draft nd;
	if (!draft_of(c, n, d, &nd))
		return fail(c, path, "unsupported $schema");
	d = nd;
	const char *a7;
	char *nb = base_of(n, base, d, &a7);
	if (!nb)
		return nomem(c);
	int rc = 0;
	s->resource = resource_for(c, nb); /* the dynamic scope's unit */
	if (!s->resource) {
		free(nb);
		return nomem(c);
	}
	struct sl_json_node view;
	if (c->no_validation) { /* the same object without the validation keywords */
		view = *n;
		view.u.c.n = 0;
		view.u.c.items = arena_alloc(c->s, (n->u.c.n + 1) * sizeof(*view.u.c.items));
		view.u.c.keys = arena_alloc(c->s, (n->u.c.n + 1) * sizeof(*view.u.c.keys));
		view.u.c.key_lens = arena_alloc(c->s, (n->u.c.n + 1) * sizeof(*view.u.c.key_lens));
		if (!view.u.c.items || !view.u.c.keys || !view.u.c.key_lens) {
			free(nb);
			return nomem(c);
		}
		for (size_t k = 0; k < n->u.c.n; k++)
			if (!validation_keyword(n->u.c.keys[k])) {
				view.u.c.items[view.u.c.n] = n->u.c.items[k];
				view.u.c.keys[view.u.c.n] = n->u.c.keys[k];
				view.u.c.key_lens[view.u.c.n++] = n->u.c.key_lens[k];
			}
		n = &view;
	}
	rc = compile_object(c, s, n, nb, d, path);
	free(nb);
	return rc;
}

/* Gives each resource its dynamic anchors (compiling those no $ref reached). */
static int finish_resources(struct cc *c)
{
	for (size_t k = 0; k < c->n_ents; k++) {
		const struct entry *e = &c->ents[k];
		if (!e->dynamic)
			continue;
		struct sl_snode *node;
		char *path = arena_strndup(c->s, e->uri, strlen(e->uri));
		int rc = compile(c, e->node, e->outer, e->draft, path, &node);
		if (rc)
			return rc;
		struct resource *r = resource_for(c, e->base);
		struct dyn_anchor *da = r ? arena_alloc(c->s, (r->n_dyn + 1) * sizeof(*da)) : NULL;
		if (!da)
			return nomem(c);
		if (r->n_dyn)
			memcpy(da, r->dyn, r->n_dyn * sizeof(*da));
		const char *h = strchr(e->uri, '#');
		da[r->n_dyn].name = h + 1 - e->uri + path;
		da[r->n_dyn].node = node;
		r->dyn = da;
		r->n_dyn++;
	}
	return 0;
}

/* ---- the in-place cycle check -------------------------------------------------------- */

static int check_cycle(struct cc *c, struct sl_snode *s)
{
	if (!s || s->visit == 2)
		return 0;
	if (s->visit == 1)
		return fail(c, s->path, "$ref cycle: the schema refers to itself without "
					"descending into the data, so it would never finish");
	s->visit = 1;
	int rc = check_cycle(c, s->ref);
	if (rc == 0)
		rc = check_cycle(c, s->dyn_ref);
	struct sl_snode **lists[] = {s->all_of, s->any_of, s->one_of};
	uint32_t ns[] = {s->n_all_of, s->n_any_of, s->n_one_of};
	for (int k = 0; rc == 0 && k < 3; k++)
		for (uint32_t m = 0; rc == 0 && m < ns[k]; m++)
			rc = check_cycle(c, lists[k][m]);
	struct sl_snode *singles[] = {s->not_, s->if_, s->then_, s->else_};
	for (int k = 0; rc == 0 && k < 4; k++)
		rc = check_cycle(c, singles[k]);
	for (uint32_t k = 0; rc == 0 && k < s->n_deps; k++)
		rc = check_cycle(c, s->deps[k].schema);
	s->visit = 2;
	return rc;
}

/* Every node, for the cycle check (nodes only reached through descending keywords are
 * roots of their own in-place graphs). */
static int check_all_cycles(struct cc *c)
{
	for (size_t k = 0; k < c->memo_cap; k++)
		if (c->memo[k].key && c->memo[k].node) {
			int rc = check_cycle(c, c->memo[k].node);
			if (rc)
				return rc;
		}
	return 0;
}

/* ---- shortcuts for common shapes (same verdicts, fewer steps) ---------------------- */

/* The if of a tagged-union branch: {"properties": {K: {"const": C}}} and nothing else. */
static bool is_tag_test(const struct sl_snode *f)
{
	if (!f || f->boolean >= 0 || f->has != K_OBJECT_KW || f->n_props != 1 ||
	    f->n_pattern_props || f->additional || f->property_names || f->n_deps ||
	    f->uneval_props)
		return false;
	const struct sl_snode *k = f->props[0].schema;
	return f->props[0].req_bit < 0 && k && k->boolean < 0 && k->has == K_CONST &&
	       !k->format;
}

static int find_disc(struct cc *c, struct sl_snode *s)
{
	if (s->n_all_of < 2)
		return 0;
	const struct prop *key = NULL;
	for (uint32_t k = 0; k < s->n_all_of; k++) {
		const struct sl_snode *b = s->all_of[k];
		if (b->boolean >= 0 || b->has != K_INPLACE || b->ref || b->dyn_ref || b->n_all_of ||
		    b->n_any_of || b->n_one_of || b->not_ || b->else_ || !b->then_ ||
		    !is_tag_test(b->if_))
			return 0;
		const struct prop *p = &b->if_->props[0];
		if (key && (p->len != key->len || memcmp(p->name, key->name, p->len) != 0))
			return 0;
		key = p;
	}
	struct disc *d = arena_alloc(c->s, sizeof(*d));
	if (!d || !(d->consts = arena_alloc(c->s, s->n_all_of * sizeof(*d->consts))) ||
	    !(d->thens = arena_alloc(c->s, s->n_all_of * sizeof(*d->thens))))
		return nomem(c);
	d->key = key->name;
	d->len = key->len;
	d->n = s->n_all_of;
	for (uint32_t k = 0; k < d->n; k++) {
		d->consts[k] = s->all_of[k]->if_->props[0].schema->const_value;
		d->thens[k] = s->all_of[k]->then_;
	}
	s->disc = d;
	return 0;
}

/* A hash table of n string values (index + 1 per slot, 0 empty; duplicates kept), or
 * NULL in *table if some value is not a string or n is too small to pay. */
static int string_table(struct cc *c, struct sl_json_node **vals, uint32_t n, uint32_t min_n,
			struct str_slot **table, uint32_t *mask)
{
	*table = NULL;
	if (n < min_n)
		return 0;
	for (uint32_t k = 0; k < n; k++)
		if (vals[k]->type != SL_JSON_STRING)
			return 0;
	uint32_t size = 8;
	while (size < 2 * n)
		size *= 2;
	struct str_slot *t = arena_alloc(c->s, size * sizeof(*t));
	if (!t)
		return nomem(c);
	*mask = size - 1;
	for (uint32_t k = 0; k < n; k++) {
		uint32_t len = (uint32_t)vals[k]->u.str.len;
		uint32_t hash = sl_sv_name_hash(vals[k]->u.str.s, len), h = hash & *mask;
		while (t[h].idx)
			h = (h + 1) & *mask;
		t[h] = (struct str_slot){hash, len, vals[k]->u.str.s, k + 1};
	}
	*table = t;
	return 0;
}

/* The specialised leaf shapes the fast path evaluates inline (validate.c). */
static uint8_t leaf_kind(struct sl_snode *s)
{
	uint32_t h = s->has;
	if (h == K_TYPE)
		return KIND_TYPE;
	if (s->enum_table && (h == K_ENUM || (h == (K_ENUM | K_TYPE) && s->types == T_STRING)))
		return KIND_STRENUM;
	if ((h & K_TYPE) && s->types == T_STRING && !s->pattern && !s->format &&
	    !(h & ~(K_TYPE | K_STRING_KW | K_MINLEN | K_MAXLEN))) {
		if (!(h & K_MINLEN))
			s->min_len = 0;
		if (!(h & K_MAXLEN))
			s->max_len = INT64_MAX;
		return KIND_STRLEN;
	}
	if ((h & K_TYPE) && !(s->types & ~(T_NUMBER | T_INTEGER)) &&
	    !(h & ~(K_TYPE | K_NUMBER_KW | K_MINIMUM | K_MAXIMUM)) &&
	    (!(h & K_MINIMUM) || s->minimum.is_int) && (!(h & K_MAXIMUM) || s->maximum.is_int)) {
		s->int_lo = h & K_MINIMUM ? s->minimum.i : INT64_MIN;
		s->int_hi = h & K_MAXIMUM ? s->maximum.i : INT64_MAX;
		return KIND_INTRANGE;
	}
	return KIND_LEAF;
}

static int optimise(struct cc *c)
{
	for (size_t k = 0; k < c->memo_cap; k++) {
		struct sl_snode *s = c->memo[k].key ? c->memo[k].node : NULL;
		if (s && s->boolean >= 0)
			s->kind = s->boolean ? KIND_TRUE : KIND_FALSE;
		if (!s || s->boolean >= 0)
			continue;
		if (s->n_props)
			s->order_slot = c->s->n_order_slots++;
		s->lookup = s->n_props && s->n_props <= 3 && !s->n_pattern_props && !s->additional &&
			    !s->property_names && !s->n_deps && !s->uneval_props;
		s->leaf = !(s->has & (K_INPLACE | K_OBJECT_KW | K_ARRAY_KW | K_UNEVAL_PROPS |
				      K_UNEVAL_ITEMS));
		s->req_want = s->n_required >= 64 ? ~0ull : (1ull << s->n_required) - 1;
		for (uint32_t m = 0; m < s->n_props; m++) {
			int32_t bit = s->props[m].req_bit;
			s->props[m].req_mask = bit >= 0 && bit < 64 ? 1ull << bit : 0;
		}
		s->kind = s->leaf ? KIND_LEAF : KIND_GENERIC;
		if (s->leaf)
			s->kind = leaf_kind(s);
		int rc = find_disc(c, s);
		if (rc == 0)
			rc = string_table(c, s->enum_values, s->n_enum, 4, &s->enum_table, &s->enum_mask);
		if (rc == 0 && s->disc)
			rc = string_table(c, s->disc->consts, s->disc->n, 2, &s->disc->table,
					  &s->disc->mask);
		if (rc)
			return rc;
		/* the shapes the silent fast path knows (validate.c) */
		bool only_disc = !s->ref && !s->dyn_ref && !s->n_any_of && !s->n_one_of &&
				 !s->not_ && !s->if_ && (s->disc || !s->n_all_of);
		bool no_lists = !s->ref && !s->dyn_ref && !s->n_all_of && !s->not_ && !s->if_;
		if (!(s->has & ~(K_TYPE | K_OBJECT_KW | K_MINPROPS | K_MAXPROPS | K_INPLACE)) &&
		    only_disc && s->n_required <= 64 && !s->n_pattern_props &&
		    !s->property_names && !s->n_deps && !s->uneval_props)
			s->kind = KIND_OBJECT;
		else if (!(s->has & ~(K_TYPE | K_ARRAY_KW | K_MINITEMS | K_MAXITEMS)) &&
			 !s->n_prefix && !s->contains && !s->uneval_items)
			s->kind = KIND_ARRAY;
		else if (s->has == K_INPLACE && s->ref && !s->dyn_ref && !s->n_all_of &&
			 !s->n_any_of && !s->n_one_of && !s->not_ && !s->if_)
			s->kind = KIND_REF;
		else if (s->has == K_INPLACE && no_lists && s->n_one_of && !s->n_any_of)
			s->kind = KIND_ONEOF;
		else if (s->has == K_INPLACE && no_lists && s->n_any_of && !s->n_one_of)
			s->kind = KIND_ANYOF;
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- public -------------------------------------------------------------------------- */

void sl_schema_free(struct sl_schema *s)
{
	if (!s)
		return;
	for (size_t k = 0; k < s->n_codes; k++)
		pcre2_code_free(s->codes[k]);
	free(s->codes);
	for (size_t k = 0; k < s->n_docs; k++)
		sl_json_tree_free(s->docs[k]);
	free(s->docs);
	while (s->arena) {
		struct arena_block *b = s->arena;
		s->arena = b->next;
		free(b);
	}
	free(s);
}

enum sl_schema_draft sl_schema_draft(const struct sl_schema *s)
{
	return s->draft;
}

int sl_schema_compile(const char *text, size_t len, const struct sl_schema_opts *opts,
		      struct sl_schema **out, struct sl_err *err)
{
	*out = NULL;
	struct sl_schema *s = calloc(1, sizeof(*s));
	struct cc c = {.s = s, .opts = opts, .err = err};
	if (!s || !(s->docs = calloc(MAX_DOCS, sizeof(*s->docs)))) {
		free(s);
		sl_err_set(err, SL_ENOMEM, "out of memory compiling the schema");
		return SL_ENOMEM;
	}
	s->max_steps = opts && opts->max_steps ? opts->max_steps : DEFAULT_MAX_STEPS;
	c.max_nodes = opts && opts->max_nodes ? opts->max_nodes : DEFAULT_MAX_NODES;
	const char *base = opts && opts->base_uri ? opts->base_uri : DEFAULT_BASE;
	const struct sl_json_node *root = NULL;
	char *rbase = uri_resolve(base, DEFAULT_BASE);
	int rc = rbase ? 0 : fail(&c, "", "base URI \"%s\" is not valid", base);
	if (rc == 0) {
		uri_split(rbase);
		enum sl_schema_draft d = opts ? opts->default_draft : SL_DRAFT_2020_12;
		rc = add_doc(&c, text, len, rbase, d, &root);
		if (rc == 0 && !draft_of(&c, root, d, &d))
			rc = fail(&c, "", "unsupported $schema");
		s->draft = d;
		if (rc == 0) {
			const char *a7;
			char *nb = root->type == SL_JSON_OBJECT ? base_of(root, rbase, d, &a7)
							       : strdup(rbase);
			rc = nb ? compile(&c, root, rbase, d, "", &s->root) : nomem(&c);
			free(nb);
		}
	}
	if (rc == 0)
		rc = finish_resources(&c);
	if (rc == 0)
		rc = check_all_cycles(&c);
	if (rc == 0)
		rc = optimise(&c);
	free(rbase);
	for (size_t k = 0; k < c.n_ents; k++) {
		free(c.ents[k].uri);
		free(c.ents[k].base);
		free(c.ents[k].outer);
	}
	free(c.ents);
	free(c.memo);
	free(c.res);
	if (rc) {
		sl_schema_free(s);
		return rc;
	}
	*out = s;
	return 0;
}
