/*
 * type_gen.h - random sluice types for the unit tests (a fixed seed gives the same types
 * on every run): every kind, nullable or not, names that need quoting, nesting to a
 * chosen depth.
 */
#ifndef SL_TEST_TYPE_GEN_H
#define SL_TEST_TYPE_GEN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "types/types.h"

struct tg_rng {
	uint32_t s;
};

static inline uint32_t tg_next(struct tg_rng *r)
{
	/* xorshift32 */
	uint32_t x = r->s ? r->s : 1;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return r->s = x;
}

static inline uint32_t tg_below(struct tg_rng *r, uint32_t n)
{
	return tg_next(r) % n;
}

/* any: also what only the text form holds (nanosecond units, empty structs);
 * otherwise only what the Parquet writer maps. */
static inline struct sl_type *tg_type(struct tg_rng *r, int depth, bool any);

static inline struct sl_type *tg_struct(struct tg_rng *r, int depth, bool any)
{
	static const char *const names[] = {"a", "id", "x_1", "Tags", "a b", "x.y", "1st",
					    "\xC3\xA9t\xC3\xA9", "q\"uote", "back\\slash",
					    "tab\there", "list", "element", "key_value", "value"};
	struct sl_type *st = sl_type_new(SL_T_STRUCT, tg_below(r, 2));
	uint32_t n = (any ? 0 : 1) + tg_below(r, 5);
	for (uint32_t i = 0; i < n; i++) {
		char name[48];
		snprintf(name, sizeof(name), "%s%u", names[tg_below(r, 15)], i);
		sl_type_add_field(st, name, tg_type(r, depth - 1, any), NULL);
	}
	return st;
}

static inline struct sl_type *tg_type(struct tg_rng *r, int depth, bool any)
{
	uint32_t k = tg_below(r, depth > 1 ? 15 : 12);
	struct sl_type *t;
	switch (k) {
	case 12:
		return tg_struct(r, depth, any);
	case 13:
		t = sl_type_new(SL_T_LIST, tg_below(r, 2));
		t->elem = tg_type(r, depth - 1, any);
		return t;
	case 14:
		t = sl_type_new(SL_T_MAP, tg_below(r, 2));
		t->key = tg_type(r, depth - 1, any);
		t->key->nullable = false;
		t->elem = tg_type(r, depth - 1, any);
		return t;
	default:
		break;
	}
	static const enum sl_type_kind kinds[12] = {
		SL_T_BOOL, SL_T_INT, SL_T_FLOAT, SL_T_DOUBLE, SL_T_DECIMAL, SL_T_STRING,
		SL_T_BINARY, SL_T_DATE, SL_T_TIME, SL_T_TIMESTAMP, SL_T_UUID, SL_T_JSON};
	t = sl_type_new(kinds[k], tg_below(r, 2));
	switch (t->kind) {
	case SL_T_INT:
		t->bits = (uint8_t)(8u << tg_below(r, 4));
		t->is_unsigned = tg_below(r, 2);
		break;
	case SL_T_DECIMAL:
		t->precision = (uint8_t)(1 + tg_below(r, 38));
		t->scale = (uint8_t)tg_below(r, t->precision + 1u);
		break;
	case SL_T_STRING:
		t->is_enum = tg_below(r, 3) == 0;
		break;
	case SL_T_BINARY:
		t->fixed_len = tg_below(r, 2) ? 0 : 1 + tg_below(r, 40);
		break;
	case SL_T_TIME:
	case SL_T_TIMESTAMP:
		t->unit = (uint8_t)(SL_TU_MILLIS + tg_below(r, any ? 3 : 2));
		break;
	default:
		break;
	}
	return t;
}

#endif
