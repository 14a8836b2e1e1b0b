/*
 * tree.c - a small tree built from a tape, for schemas and configuration (never on the
 * per-record hot path). Built without recursion: the tape is walked once with a stack
 * of open containers, so depth is bounded by the parser's limit, not by the C stack.
 */
#include "json/json.h"

#include <stdlib.h>
#include <string.h>

static char *dup_bytes(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

void sl_json_tree_free(struct sl_json_node *root)
{
	if (!root)
		return;
	/* iterative: a queue of nodes still to free, grown as containers are opened */
	size_t cap = 64, n = 0;
	struct sl_json_node **todo = malloc(cap * sizeof(*todo));
	if (!todo)
		return; /* out of memory: leak rather than recurse */
	todo[n++] = root;
	while (n) {
		struct sl_json_node *x = todo[--n];
		if (x->type == SL_JSON_OBJECT || x->type == SL_JSON_ARRAY) {
			for (size_t i = 0; i < x->u.c.n; i++) {
				if (n == cap) {
					struct sl_json_node **t = realloc(todo, 2 * cap * sizeof(*todo));
					if (!t)
						break;
					todo = t;
					cap *= 2;
				}
				todo[n++] = x->u.c.items[i];
				if (x->u.c.keys)
					free(x->u.c.keys[i]);
			}
			free(x->u.c.items);
			free(x->u.c.keys);
			free(x->u.c.key_lens);
		} else if (x->type == SL_JSON_STRING || x->type == SL_JSON_BIGINT) {
			free(x->u.str.s);
		}
		free(x);
	}
	free(todo);
}

struct sl_json_node *sl_json_tree(const struct sl_json_doc *doc)
{
	struct sl_json_node *root = NULL, **stack = NULL;
	size_t depth = 0;
	const char *key = NULL;
	size_t key_len = 0;
	stack = malloc((size_t)(doc->max_depth + 1) * sizeof(*stack));
	if (!stack)
		return NULL;
	for (size_t i = 0; i < doc->n_tok; i++) {
		const struct sl_json_tok *t = &doc->tok[i];
		if (t->type == SL_JSON_END) {
			depth--;
			continue;
		}
		if (t->type == SL_JSON_KEY) {
			key = t->v.s;
			key_len = t->len;
			continue;
		}
		struct sl_json_node *x = calloc(1, sizeof(*x));
		if (!x)
			goto fail;
		x->type = (enum sl_json_type)t->type;
		x->off = t->off;
		switch (t->type) {
		case SL_JSON_INT: x->u.i = t->v.i; break;
		case SL_JSON_DOUBLE: x->u.d = t->v.d; break;
		case SL_JSON_STRING:
		case SL_JSON_BIGINT: {
			const char *s = t->type == SL_JSON_STRING ? t->v.s : doc->text + t->off;
			x->u.str.len = t->len;
			if (!(x->u.str.s = dup_bytes(s, t->len))) {
				free(x);
				goto fail;
			}
			break;
		}
		case SL_JSON_OBJECT:
		case SL_JSON_ARRAY:
			x->u.c.items = calloc(t->len ? t->len : 1, sizeof(*x->u.c.items));
			if (t->type == SL_JSON_OBJECT) {
				x->u.c.keys = calloc(t->len ? t->len : 1, sizeof(char *));
				x->u.c.key_lens = calloc(t->len ? t->len : 1, sizeof(size_t));
			}
			if (!x->u.c.items || (t->type == SL_JSON_OBJECT &&
					      (!x->u.c.keys || !x->u.c.key_lens))) {
				sl_json_tree_free(x);
				goto fail;
			}
			break;
		default: break;
		}
		if (depth == 0) {
			root = x;
		} else {
			struct sl_json_node *parent = stack[depth - 1];
			size_t k = parent->u.c.n;
			if (parent->type == SL_JSON_OBJECT) {
				parent->u.c.keys[k] = dup_bytes(key, key_len);
				parent->u.c.key_lens[k] = key_len;
				if (!parent->u.c.keys[k]) {
					sl_json_tree_free(x);
					goto fail;
				}
			}
			parent->u.c.items[k] = x;
			parent->u.c.n++;
		}
		if (t->type == SL_JSON_OBJECT || t->type == SL_JSON_ARRAY)
			stack[depth++] = x;
	}
	free(stack);
	return root;
fail:
	free(stack);
	sl_json_tree_free(root);
	return NULL;
}

struct sl_json_node *sl_json_tree_parse(const char *buf, size_t len,
					const struct sl_json_limits *lim,
					struct sl_json_error *e)
{
	struct sl_json_parser *p = sl_json_parser_new(lim);
	struct sl_json_doc doc;
	struct sl_json_node *root = NULL;
	if (!p) {
		if (e) {
			memset(e, 0, sizeof(*e));
			e->code = SL_ENOMEM;
			strcpy(e->msg, "out of memory");
		}
		return NULL;
	}
	if (sl_json_parse(p, buf, len, &doc, e) == 0) {
		root = sl_json_tree(&doc);
		if (!root && e) {
			memset(e, 0, sizeof(*e));
			e->code = SL_ENOMEM;
			strcpy(e->msg, "out of memory");
		}
	}
	sl_json_parser_free(p);
	return root;
}

const struct sl_json_node *sl_json_get(const struct sl_json_node *obj, const char *key)
{
	if (!obj || obj->type != SL_JSON_OBJECT)
		return NULL;
	size_t n = strlen(key);
	for (size_t i = obj->u.c.n; i-- > 0;)
		if (obj->u.c.key_lens[i] == n && memcmp(obj->u.c.keys[i], key, n) == 0)
			return obj->u.c.items[i];
	return NULL;
}
