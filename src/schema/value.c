/*
 * value.c - equality of JSON values as JSON Schema defines it (enum, const,
 * uniqueItems): numbers compare by value (1 == 1.0), objects regardless of member order,
 * strings byte for byte. Values come from the record's tape or from the schema's tree.
 * Recursion is bounded by the parser's depth limit.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "schema/internal.h"

/* A number as (is it an int64, its int64, its double). BIGINT text goes through strtod:
 * two different integers beyond 2^63 that round to the same double compare equal, which
 * only matters for enums of such numbers. */
struct numv {
	bool is_int;
	int64_t i;
	double d;
};

static bool num_of_double(double d, struct numv *n)
{
	n->d = d;
	n->is_int = false;
	if (d >= -9223372036854775808.0 && d < 9223372036854775808.0 && d == floor(d)) {
		n->is_int = true;
		n->i = (int64_t)d;
	}
	return true;
}

static bool num_equal(struct numv a, struct numv b)
{
	if (a.is_int && b.is_int)
		return a.i == b.i;
	return a.d == b.d;
}

static bool tape_num(const struct sl_json_tok *t, const char *text, struct numv *n)
{
	switch (t->type) {
	case SL_JSON_INT:
		n->is_int = true;
		n->i = t->v.i;
		n->d = (double)t->v.i;
		return true;
	case SL_JSON_DOUBLE:
		return num_of_double(t->v.d, n);
	case SL_JSON_BIGINT: {
		char buf[1100]; /* the parser caps numbers at 1000 characters by default */
		size_t len = t->len < sizeof(buf) - 1 ? t->len : sizeof(buf) - 1;
		if (!text)
			return false;
		memcpy(buf, text + t->off, len);
		buf[len] = '\0';
		n->is_int = false;
		n->d = t->len < sizeof(buf) - 1 ? strtod(buf, NULL) : (buf[0] == '-' ? -HUGE_VAL : HUGE_VAL);
		return true;
	}
	default:
		return false;
	}
}

static bool tree_num(const struct sl_json_node *x, struct numv *n)
{
	switch (x->type) {
	case SL_JSON_INT:
		n->is_int = true;
		n->i = x->u.i;
		n->d = (double)x->u.i;
		return true;
	case SL_JSON_DOUBLE:
		return num_of_double(x->u.d, n);
	case SL_JSON_BIGINT:
		n->is_int = false;
		n->d = strtod(x->u.str.s, NULL);
		return true;
	default:
		return false;
	}
}

static bool is_number_type(int t)
{
	return t == SL_JSON_INT || t == SL_JSON_DOUBLE || t == SL_JSON_BIGINT;
}

bool sl_sv_tree_equal(const struct sl_json_node *a, const struct sl_json_node *b)
{
	if (is_number_type(a->type) && is_number_type(b->type)) {
		struct numv x, y;
		tree_num(a, &x);
		tree_num(b, &y);
		if (a->type == SL_JSON_BIGINT && b->type == SL_JSON_BIGINT)
			return strcmp(a->u.str.s, b->u.str.s) == 0;
		return num_equal(x, y);
	}
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case SL_JSON_STRING:
		return a->u.str.len == b->u.str.len &&
		       memcmp(a->u.str.s, b->u.str.s, a->u.str.len) == 0;
	case SL_JSON_ARRAY:
		if (a->u.c.n != b->u.c.n)
			return false;
		for (size_t k = 0; k < a->u.c.n; k++)
			if (!sl_sv_tree_equal(a->u.c.items[k], b->u.c.items[k]))
				return false;
		return true;
	case SL_JSON_OBJECT:
		if (a->u.c.n != b->u.c.n)
			return false;
		for (size_t k = 0; k < a->u.c.n; k++) {
			size_t m;
			for (m = 0; m < b->u.c.n; m++)
				if (a->u.c.key_lens[k] == b->u.c.key_lens[m] &&
				    memcmp(a->u.c.keys[k], b->u.c.keys[m], a->u.c.key_lens[k]) == 0)
					break;
			if (m == b->u.c.n || !sl_sv_tree_equal(a->u.c.items[k], b->u.c.items[m]))
				return false;
		}
		return true;
	default: /* null, true, false */
		return true;
	}
}

bool sl_sv_tape_tree_equal(const struct sl_json_tok *tok, const char *text, uint32_t i,
			   const struct sl_json_node *b)
{
	const struct sl_json_tok *t = &tok[i];
	if (is_number_type(t->type) && is_number_type(b->type)) {
		struct numv x, y;
		if (!tape_num(t, text, &x))
			return false;
		tree_num(b, &y);
		return num_equal(x, y);
	}
	switch (t->type) {
	case SL_JSON_NULL:
		return b->type == SL_JSON_NULL;
	case SL_JSON_TRUE:
		return b->type == SL_JSON_TRUE;
	case SL_JSON_FALSE:
		return b->type == SL_JSON_FALSE;
	case SL_JSON_STRING:
	case SL_JSON_KEY: /* propertyNames: a member name as a string */
		return b->type == SL_JSON_STRING && b->u.str.len == t->len &&
		       memcmp(b->u.str.s, t->v.s, t->len) == 0;
	case SL_JSON_ARRAY: {
		if (b->type != SL_JSON_ARRAY || b->u.c.n != t->len)
			return false;
		uint32_t j = i + 1;
		for (size_t k = 0; k < b->u.c.n; k++, j = sl_sv_next(tok, j))
			if (!sl_sv_tape_tree_equal(tok, text, j, b->u.c.items[k]))
				return false;
		return true;
	}
	case SL_JSON_OBJECT: {
		if (b->type != SL_JSON_OBJECT || b->u.c.n != t->len)
			return false;
		uint32_t j = i + 1;
		for (uint32_t k = 0; k < t->len; k++) {
			const struct sl_json_tok *key = &tok[j];
			size_t m;
			for (m = 0; m < b->u.c.n; m++)
				if (b->u.c.key_lens[m] == key->len &&
				    memcmp(b->u.c.keys[m], key->v.s, key->len) == 0)
					break;
			if (m == b->u.c.n || !sl_sv_tape_tree_equal(tok, text, j + 1, b->u.c.items[m]))
				return false;
			j = sl_sv_next(tok, j + 1);
		}
		return true;
	}
	default:
		return false;
	}
}

bool sl_sv_tape_equal(const struct sl_json_tok *tok, const char *text, uint32_t a, uint32_t b)
{
	const struct sl_json_tok *x = &tok[a], *y = &tok[b];
	if (is_number_type(x->type) && is_number_type(y->type)) {
		struct numv p, q;
		tape_num(x, text, &p);
		tape_num(y, text, &q);
		return num_equal(p, q);
	}
	if (x->type != y->type || x->len != y->len)
		return false;
	switch (x->type) {
	case SL_JSON_STRING:
		return memcmp(x->v.s, y->v.s, x->len) == 0;
	case SL_JSON_ARRAY: {
		uint32_t i = a + 1, j = b + 1;
		for (uint32_t k = 0; k < x->len; k++) {
			if (!sl_sv_tape_equal(tok, text, i, j))
				return false;
			i = sl_sv_next(tok, i);
			j = sl_sv_next(tok, j);
		}
		return true;
	}
	case SL_JSON_OBJECT: {
		uint32_t i = a + 1;
		for (uint32_t k = 0; k < x->len; k++) {
			uint32_t j = b + 1, m;
			for (m = 0; m < y->len; m++) {
				if (tok[j].len == tok[i].len &&
				    memcmp(tok[j].v.s, tok[i].v.s, tok[i].len) == 0)
					break;
				j = sl_sv_next(tok, j + 1);
			}
			if (m == y->len || !sl_sv_tape_equal(tok, text, i + 1, j + 1))
				return false;
			i = sl_sv_next(tok, i + 1);
		}
		return true;
	}
	default:
		return true;
	}
}

static uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

static uint64_t bytes_hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t k = 0; k < n; k++)
		h = (h ^ (uint8_t)s[k]) * 1099511628211ULL;
	return h;
}

/* Equal values hash equally (numbers: by their int64 when integral, else their bits). */
uint64_t sl_sv_tape_hash(const struct sl_json_tok *tok, const char *text, uint32_t i)
{
	const struct sl_json_tok *t = &tok[i];
	struct numv n;
	switch (t->type) {
	case SL_JSON_INT:
	case SL_JSON_DOUBLE:
	case SL_JSON_BIGINT:
		tape_num(t, text, &n);
		if (n.is_int)
			return mix((uint64_t)n.i ^ 0x1234);
		uint64_t bits;
		memcpy(&bits, &n.d, sizeof(bits));
		return mix(bits);
	case SL_JSON_STRING:
		return mix(bytes_hash(t->v.s, t->len) ^ 0x5);
	case SL_JSON_ARRAY: {
		uint64_t h = 0x77;
		uint32_t j = i + 1;
		for (uint32_t k = 0; k < t->len; k++, j = sl_sv_next(tok, j))
			h = mix(h * 31 + sl_sv_tape_hash(tok, text, j));
		return h;
	}
	case SL_JSON_OBJECT: {
		uint64_t h = 0x99;
		uint32_t j = i + 1;
		for (uint32_t k = 0; k < t->len; k++) {
			h += mix(bytes_hash(tok[j].v.s, tok[j].len) ^ sl_sv_tape_hash(tok, text, j + 1));
			j = sl_sv_next(tok, j + 1);
		}
		return h;
	}
	default:
		return mix(t->type);
	}
}
