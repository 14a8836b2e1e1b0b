/*
 * test_pqthrift.c - the Thrift compact protocol (src/parquet/thrift.c):
 *   1. the encoder writes the bytes the protocol specifies (short and long field
 *      headers, zigzag varints at their limits, i8 as a raw byte, little-endian doubles,
 *      short and long list headers, bool fields and bool elements), checked against
 *      bytes worked out by hand, and the decoder reads the same values back;
 *   2. the decoder refuses every malformed input with a message and an offset, never
 *      reading past the range: truncation anywhere, overlong or overflowing varints,
 *      invalid types, lengths and counts that the bytes left cannot hold, limits,
 *      wrong types, nesting past SL_TC_MAX_DEPTH (ELIMIT, no deep recursion);
 *   3. skip walks every type (maps, sets, bools in containers) to exactly the next field;
 *   4. errors are sticky and encoder errors (buffer limit, bad nesting) are reported.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parquet/thrift.h"

static const uint8_t wire[] = {
	0x15, 0x00,                   /* 1: i32 0 */
	0x15, 0x01,                   /* 2: i32 -1 */
	0x16, 0xd8, 0x04,             /* 3: i64 300 (zigzag 600) */
	0x11,                         /* 4: true */
	0x12,                         /* 5: false */
	0x18, 0x03, 'a', 'b', 'c',    /* 6: binary "abc" */
	0x05, 0x50, 0x0a,             /* 40: i32 5, long header (delta 34) */
	0x13, 0xfe,                   /* 41: i8 -2, a raw byte */
	0x14, 0xd0, 0x0f,             /* 42: i16 1000 */
	0x17, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, /* 43: double 1.0 */
	0x1c, 0x15, 0x0e, 0x00,       /* 44: struct { 1: i32 7 } */
	0x19, 0x35, 0x02, 0x04, 0x06, /* 45: list<i32> [1, 2, 3] */
	0x19, 0xf8, 0x0f,             /* 46: list<binary> of 15 (long header) */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0x19, 0x21, 0x01, 0x02,       /* 47: list<bool> [true, false] */
	0x19, 0x1c,                   /* 48: list<struct> of 1 */
	0x16, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00, /* INT64_MIN */
	0x05, 0x04, 0x12,             /* 2: i32 9, long header (id goes down) */
	0x00,                         /* STOP */
};

static void t_encode_wire(void **state)
{
	(void)state;
	struct sl_buf b;
	sl_buf_init(&b, 0);
	struct sl_tc_w w;
	sl_tc_w_init(&w, &b);
	sl_tc_w_field_i32(&w, 1, 0);
	sl_tc_w_field_i32(&w, 2, -1);
	sl_tc_w_field_i64(&w, 3, 300);
	sl_tc_w_field_bool(&w, 4, true);
	sl_tc_w_field_bool(&w, 5, false);
	sl_tc_w_field_binary(&w, 6, "abc", 3);
	sl_tc_w_field_i32(&w, 40, 5);
	sl_tc_w_field_i8(&w, 41, -2);
	sl_tc_w_field_i16(&w, 42, 1000);
	sl_tc_w_field_double(&w, 43, 1.0);
	sl_tc_w_struct_begin(&w, 44);
	sl_tc_w_field_i32(&w, 1, 7);
	sl_tc_w_struct_end(&w);
	sl_tc_w_list_begin(&w, 45, SL_TC_I32, 3);
	for (int i = 1; i <= 3; i++)
		sl_tc_w_i32(&w, i);
	sl_tc_w_list_begin(&w, 46, SL_TC_BINARY, 15);
	for (int i = 0; i < 15; i++)
		sl_tc_w_binary(&w, "", 0);
	sl_tc_w_list_begin(&w, 47, SL_TC_TRUE, 2);
	sl_tc_w_bool(&w, true);
	sl_tc_w_bool(&w, false);
	sl_tc_w_list_begin(&w, 48, SL_TC_STRUCT, 1);
	sl_tc_w_struct_begin(&w, 0);
	sl_tc_w_field_i64(&w, 1, INT64_MIN);
	sl_tc_w_struct_end(&w);
	sl_tc_w_field_i32(&w, 2, 9);
	sl_tc_w_stop(&w);
	struct sl_err err = {0};
	assert_int_equal(sl_tc_w_finish(&w, &err), 0);
	assert_int_equal(b.len, sizeof(wire));
	assert_memory_equal(b.data, wire, sizeof(wire));
	sl_buf_release(&b);
}

static void next(struct sl_tc_r *r, int16_t want_id, enum sl_tc_type want_type)
{
	int16_t id;
	enum sl_tc_type t;
	assert_true(sl_tc_r_field(r, &id, &t));
	assert_int_equal(id, want_id);
	assert_int_equal(t, want_type);
}

static void t_decode_wire(void **state)
{
	(void)state;
	struct sl_err err = {0};
	struct sl_tc_r r;
	sl_tc_r_init(&r, wire, sizeof(wire), "test", &err);
	size_t len;
	enum sl_tc_type e;
	next(&r, 1, SL_TC_I32);
	assert_int_equal(sl_tc_r_i32(&r, SL_TC_I32), 0);
	next(&r, 2, SL_TC_I32);
	assert_int_equal(sl_tc_r_i32(&r, SL_TC_I32), -1);
	next(&r, 3, SL_TC_I64);
	assert_int_equal(sl_tc_r_i64(&r, SL_TC_I64), 300);
	next(&r, 4, SL_TC_TRUE);
	assert_true(sl_tc_r_bool(&r, SL_TC_TRUE));
	next(&r, 5, SL_TC_FALSE);
	assert_false(sl_tc_r_bool(&r, SL_TC_FALSE));
	next(&r, 6, SL_TC_BINARY);
	const uint8_t *p = sl_tc_r_binary(&r, SL_TC_BINARY, &len);
	assert_int_equal(len, 3);
	assert_memory_equal(p, "abc", 3);
	next(&r, 40, SL_TC_I32);
	assert_int_equal(sl_tc_r_i32(&r, SL_TC_I32), 5);
	next(&r, 41, SL_TC_I8);
	assert_int_equal(sl_tc_r_i32(&r, SL_TC_I8), -2);
	next(&r, 42, SL_TC_I16);
	assert_int_equal(sl_tc_r_i64(&r, SL_TC_I16), 1000); /* i64 accepts narrower types */
	next(&r, 43, SL_TC_DOUBLE);
	assert_true(sl_tc_r_double(&r, SL_TC_DOUBLE) == 1.0);
	next(&r, 44, SL_TC_STRUCT);
	sl_tc_r_struct_begin(&r, SL_TC_STRUCT);
	next(&r, 1, SL_TC_I32);
	assert_int_equal(sl_tc_r_i32(&r, SL_TC_I32), 7);
	int16_t id;
	enum sl_tc_type t;
	assert_false(sl_tc_r_field(&r, &id, &t));
	sl_tc_r_struct_end(&r);
	next(&r, 45, SL_TC_LIST);
	assert_int_equal(sl_tc_r_list_begin(&r, SL_TC_LIST, &e), 3);
	assert_int_equal(e, SL_TC_I32);
	for (int i = 1; i <= 3; i++)
		assert_int_equal(sl_tc_r_i32(&r, e), i);
	next(&r, 46, SL_TC_LIST);
	assert_int_equal(sl_tc_r_list_begin(&r, SL_TC_LIST, &e), 15);
	for (int i = 0; i < 15; i++) {
		p = sl_tc_r_binary(&r, e, &len);
		assert_non_null(p); /* empty, but present */
		assert_int_equal(len, 0);
	}
	next(&r, 47, SL_TC_LIST);
	assert_int_equal(sl_tc_r_list_begin(&r, SL_TC_LIST, &e), 2);
	assert_true(sl_tc_r_bool_elem(&r));
	assert_false(sl_tc_r_bool_elem(&r));
	next(&r, 48, SL_TC_LIST);
	assert_int_equal(sl_tc_r_list_begin(&r, SL_TC_LIST, &e), 1);
	sl_tc_r_struct_begin(&r, e);
	next(&r, 1, SL_TC_I64);
	assert_true(sl_tc_r_i64(&r, SL_TC_I64) == INT64_MIN);
	assert_false(sl_tc_r_field(&r, &id, &t));
	sl_tc_r_struct_end(&r);
	next(&r, 2, SL_TC_I32);
	assert_int_equal(sl_tc_r_i32(&r, SL_TC_I32), 9);
	assert_false(sl_tc_r_field(&r, &id, &t));
	assert_int_equal(r.rc, 0);
	assert_int_equal(sl_tc_r_offset(&r), sizeof(wire));
}

/* Every value survives a round trip, at the limits of its type. */
static void t_roundtrip_limits(void **state)
{
	(void)state;
	static const int64_t i64s[] = {0, 1, -1, 63, -64, 64, INT32_MAX, INT32_MIN,
				       (int64_t)INT32_MAX + 1, INT64_MAX, INT64_MIN};
	static const int32_t i32s[] = {0, 1, -1, 127, -128, INT16_MAX, INT16_MIN, INT32_MAX,
				       INT32_MIN};
	static const double dbls[] = {0.0, -0.0, 1.5, -1e300, 5e-324};
	struct sl_buf b;
	sl_buf_init(&b, 0);
	struct sl_tc_w w;
	sl_tc_w_init(&w, &b);
	int16_t id = 0;
	for (size_t i = 0; i < sizeof(i64s) / sizeof(i64s[0]); i++)
		sl_tc_w_field_i64(&w, ++id, i64s[i]);
	for (size_t i = 0; i < sizeof(i32s) / sizeof(i32s[0]); i++)
		sl_tc_w_field_i32(&w, ++id, i32s[i]);
	for (size_t i = 0; i < sizeof(dbls) / sizeof(dbls[0]); i++)
		sl_tc_w_field_double(&w, ++id, dbls[i]);
	sl_tc_w_field_i16(&w, INT16_MAX, INT16_MIN); /* the largest id, long header */
	sl_tc_w_field_i32(&w, -5, 1);                /* negative ids exist in Thrift */
	sl_tc_w_stop(&w);
	assert_int_equal(sl_tc_w_finish(&w, NULL), 0);

	struct sl_tc_r r;
	sl_tc_r_init(&r, b.data, b.len, "test", NULL);
	id = 0;
	for (size_t i = 0; i < sizeof(i64s) / sizeof(i64s[0]); i++) {
		next(&r, ++id, SL_TC_I64);
		assert_true(sl_tc_r_i64(&r, SL_TC_I64) == i64s[i]);
	}
	for (size_t i = 0; i < sizeof(i32s) / sizeof(i32s[0]); i++) {
		next(&r, ++id, SL_TC_I32);
		assert_int_equal(sl_tc_r_i32(&r, SL_TC_I32), i32s[i]);
	}
	for (size_t i = 0; i < sizeof(dbls) / sizeof(dbls[0]); i++) {
		next(&r, ++id, SL_TC_DOUBLE);
		double d = sl_tc_r_double(&r, SL_TC_DOUBLE);
		assert_memory_equal(&d, &dbls[i], sizeof(d)); /* -0.0 keeps its sign */
	}
	next(&r, INT16_MAX, SL_TC_I16);
	assert_int_equal(sl_tc_r_i32(&r, SL_TC_I16), INT16_MIN);
	next(&r, -5, SL_TC_I32);
	assert_int_equal(sl_tc_r_i32(&r, SL_TC_I32), 1);
	int16_t fid;
	enum sl_tc_type t;
	assert_false(sl_tc_r_field(&r, &fid, &t));
	assert_int_equal(r.rc, 0);
	sl_buf_release(&b);
}

/* ---- malformed input ----------------------------------------------------------------- */

enum op { OP_I32, OP_I64, OP_BIN, OP_LIST, OP_SKIP, OP_BOOL_ELEM, OP_DOUBLE };

struct bad {
	const char *name;
	uint8_t bytes[24];
	size_t len;
	enum op op; /* applied to the first field (OP_BOOL_ELEM: to a list's first element) */
	int code;
	const char *msg;
	size_t offset; /* as the message gives it */
};

static const struct bad bads[] = {
	{"empty input", {0}, 0, OP_SKIP, SL_ECORRUPT, "truncated", 0},
	{"no value", {0x15}, 1, OP_I32, SL_ECORRUPT, "truncated", 1},
	{"varint cut short", {0x15, 0x80, 0x80}, 3, OP_I32, SL_ECORRUPT, "truncated", 3},
	{"i32 over 32 bits", {0x15, 0x80, 0x80, 0x80, 0x80, 0x10}, 6, OP_I32, SL_ECORRUPT,
	 "does not fit in 32 bits", 6},
	{"11-byte varint", {0x16, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x81,
			    0x01}, 12, OP_I64, SL_ECORRUPT, "longer than 10 bytes", 11},
	{"10th byte over 64 bits", {0x16, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
				    0x02}, 11, OP_I64, SL_ECORRUPT, "over 64 bits", 11},
	{"type 13", {0x1d}, 1, OP_SKIP, SL_ECORRUPT, "invalid type 13", 0},
	{"type 0 with a delta", {0x10}, 1, OP_SKIP, SL_ECORRUPT, "invalid type 0", 0},
	{"long field id over 16 bits", {0x05, 0x80, 0x80, 0x04}, 4, OP_SKIP, SL_ECORRUPT,
	 "does not fit in 16 bits", 4},
	{"binary past the end", {0x18, 0x05, 'a'}, 3, OP_BIN, SL_ECORRUPT,
	 "binary of 5 bytes, 1 left", 2},
	{"negative binary length", {0x18, 0xff, 0xff, 0xff, 0xff, 0x0f}, 6, OP_BIN, SL_ECORRUPT,
	 "negative binary length", 6},
	{"list count past the bytes", {0x19, 0xf5, 0xff, 0xff, 0x03}, 5, OP_LIST, SL_ECORRUPT,
	 "list of 65535 i32 elements cannot fit in the 0 bytes left", 5},
	{"doubles need 8 bytes each", {0x19, 0x27, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 11, OP_LIST,
	 SL_ECORRUPT, "cannot fit", 2},
	{"list element type 14", {0x19, 0x1e, 0x00}, 3, OP_LIST, SL_ECORRUPT,
	 "invalid element type 14", 1},
	{"bool element 3", {0x19, 0x11, 0x03}, 3, OP_BOOL_ELEM, SL_ECORRUPT,
	 "bool list element 0x03", 2},
	{"double cut short", {0x17, 1, 2, 3}, 4, OP_DOUBLE, SL_ECORRUPT, "a double needs 8", 1},
	{"i32 asked of a binary", {0x18, 0x00}, 2, OP_I32, SL_ECORRUPT,
	 "field 1: expected i32, got binary", 1},
	{"i32 asked of an i64", {0x16, 0x00}, 2, OP_I32, SL_ECORRUPT, "expected i32, got i64", 1},
	{"list asked of a struct", {0x1c, 0x00}, 2, OP_LIST, SL_ECORRUPT,
	 "expected list, got struct", 1},
	{"map that cannot fit", {0x1b, 0x05, 0x88, 0x00}, 4, OP_SKIP, SL_ECORRUPT,
	 "map of 5 entries cannot fit", 3},
	{"map with type 0", {0x1b, 0x01, 0x80, 0x00}, 4, OP_SKIP, SL_ECORRUPT,
	 "map header 0x80 has an invalid type", 3},
	{"struct without STOP", {0x1c, 0x15, 0x02}, 3, OP_SKIP, SL_ECORRUPT, "truncated", 3},
};

static void run_op(struct sl_tc_r *r, enum op op, enum sl_tc_type t)
{
	size_t len;
	enum sl_tc_type e;
	switch (op) {
	case OP_I32: sl_tc_r_i32(r, t); break;
	case OP_I64: sl_tc_r_i64(r, t); break;
	case OP_BIN: sl_tc_r_binary(r, t, &len); break;
	case OP_LIST: sl_tc_r_list_begin(r, t, &e); break;
	case OP_SKIP: sl_tc_r_skip(r, t); break;
	case OP_DOUBLE: sl_tc_r_double(r, t); break;
	case OP_BOOL_ELEM:
		if (sl_tc_r_list_begin(r, t, &e) > 0)
			sl_tc_r_bool_elem(r);
		break;
	}
}

static void t_malformed(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		const struct bad *c = &bads[i];
		/* a heap copy of exactly len bytes, so that ASan sees any read past it */
		uint8_t *copy = malloc(c->len ? c->len : 1);
		memcpy(copy, c->bytes, c->len);
		struct sl_err err = {0};
		struct sl_tc_r r;
		sl_tc_r_init(&r, copy, c->len, "test", &err);
		int16_t id;
		enum sl_tc_type t;
		if (sl_tc_r_field(&r, &id, &t)) {
			run_op(&r, c->op, t);
			while (sl_tc_r_field(&r, &id, &t))
				sl_tc_r_skip(&r, t);
		}
		char want[64];
		snprintf(want, sizeof(want), "test: offset %zu: ", c->offset);
		if (r.rc != c->code || !strstr(err.msg, c->msg) || strncmp(err.msg, want,
									  strlen(want)))
			fail_msg("%s: rc %d, message \"%s\"", c->name, r.rc, err.msg);
		assert_int_equal(err.code, c->code);
		free(copy);
	}
}

static void t_limits(void **state)
{
	(void)state;
	static const uint8_t list3[] = {0x19, 0x35, 0x02, 0x04, 0x06, 0x00};
	struct sl_err err = {0};
	struct sl_tc_r r;
	sl_tc_r_init(&r, list3, sizeof(list3), "test", &err);
	r.max_list = 2;
	int16_t id;
	enum sl_tc_type t, e;
	assert_true(sl_tc_r_field(&r, &id, &t));
	assert_int_equal(sl_tc_r_list_begin(&r, t, &e), 0);
	assert_int_equal(r.rc, SL_ELIMIT);
	assert_non_null(strstr(err.msg, "list of 3 elements is over the limit of 2"));

	static const uint8_t bin4[] = {0x18, 0x04, 'a', 'b', 'c', 'd', 0x00};
	sl_tc_r_init(&r, bin4, sizeof(bin4), "test", &err);
	r.max_binary = 3;
	size_t len;
	assert_true(sl_tc_r_field(&r, &id, &t));
	assert_null(sl_tc_r_binary(&r, t, &len));
	assert_int_equal(r.rc, SL_ELIMIT);
	assert_non_null(strstr(err.msg, "binary of 4 bytes is over the limit of 3"));
}

/* Field ids add up from deltas: an id past INT16_MAX is refused, not wrapped. */
static void t_field_id_overflow(void **state)
{
	(void)state;
	static const uint8_t b[] = {0x05, 0xfe, 0xff, 0x03, 0x00, /* id 32767 */
				    0x15, 0x00};                  /* delta 1 */
	struct sl_err err = {0};
	struct sl_tc_r r;
	sl_tc_r_init(&r, b, sizeof(b), "test", &err);
	int16_t id;
	enum sl_tc_type t;
	assert_true(sl_tc_r_field(&r, &id, &t));
	assert_int_equal(id, INT16_MAX);
	sl_tc_r_skip(&r, t);
	assert_false(sl_tc_r_field(&r, &id, &t));
	assert_int_equal(r.rc, SL_ECORRUPT);
	assert_non_null(strstr(err.msg, "field id overflows"));
}

/* Nesting far past the limit, of structs and of lists, is refused with ELIMIT before
 * the stack is in danger. */
static void t_depth(void **state)
{
	(void)state;
	enum { N = 5000 };
	uint8_t *b = malloc(2 * N + 2);
	for (int kind = 0; kind < 2; kind++) {
		size_t n = 0;
		b[n++] = kind ? 0x19 : 0x1c; /* field 1: a struct or a list */
		for (int i = 0; i < N; i++) {
			if (kind)
				b[n++] = 0x19; /* a list of one list */
			else
				b[n++] = 0x1c; /* field 1 of the struct: a struct */
		}
		struct sl_err err = {0};
		struct sl_tc_r r;
		sl_tc_r_init(&r, b, n, "test", &err);
		int16_t id;
		enum sl_tc_type t;
		assert_true(sl_tc_r_field(&r, &id, &t));
		sl_tc_r_skip(&r, t);
		assert_int_equal(r.rc, SL_ELIMIT);
		assert_non_null(strstr(err.msg, "deeper than 64"));
		assert_true(sl_tc_r_offset(&r) < 200);
	}
	free(b);

	/* 63 structs nested under the top level are fine, 64 are not */
	for (int depth = 63; depth <= 64; depth++) {
		uint8_t ok[2 * 65];
		size_t n = 0;
		for (int i = 0; i < depth; i++)
			ok[n++] = 0x1c;
		for (int i = 0; i <= depth; i++)
			ok[n++] = 0x00;
		struct sl_tc_r r;
		sl_tc_r_init(&r, ok, n, "test", NULL);
		int16_t id;
		enum sl_tc_type t;
		assert_true(sl_tc_r_field(&r, &id, &t));
		sl_tc_r_skip(&r, t);
		assert_false(sl_tc_r_field(&r, &id, &t));
		assert_int_equal(r.rc, depth == 63 ? 0 : SL_ELIMIT);
		if (depth == 63)
			assert_int_equal(sl_tc_r_offset(&r), n);
	}
}

/* Skip lands exactly on the next field for every type. */
static void t_skip(void **state)
{
	(void)state;
	static const uint8_t b[] = {
		0x11,                                     /* 1: bool field: no value byte */
		0x13, 0x80,                               /* 2: i8 */
		0x14, 0xff, 0x7f,                         /* 3: i16 */
		0x17, 1, 2, 3, 4, 5, 6, 7, 8,             /* 4: double */
		0x1b, 0x02, 0x86, 0x01, 'a', 0x02, 0x01, 'b', 0x04, /* 5: map<binary,i64> */
		0x1b, 0x01, 0x12, 0x01, 0x02,             /* 6: map<bool,bool>: a byte each */
		0x1b, 0x00,                               /* 7: empty map: no type byte */
		0x1a, 0x21, 0x01, 0x02,                   /* 8: set<bool> */
		0x19, 0x29, 0x00, 0x01,                   /* 9: list<list> [[], []] */
		0x19, 0x03,                               /* 10: list<i8>... of 0: any type */
		0x1c, 0x11, 0x1c, 0x00, 0x00,             /* 11: struct { true, struct {} } */
		0x19, 0x27, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, /* 12: 2 doubles */
		0x15, 0x54,                               /* 13: i32 42, the one we want */
		0x00,
	};
	struct sl_tc_r r;
	struct sl_err err = {0};
	sl_tc_r_init(&r, b, sizeof(b), "test", &err);
	int16_t id;
	enum sl_tc_type t;
	int last = 0;
	while (sl_tc_r_field(&r, &id, &t)) {
		assert_int_equal(id, last + 1);
		last = id;
		if (id == 13)
			assert_int_equal(sl_tc_r_i32(&r, t), 42);
		else
			sl_tc_r_skip(&r, t);
		assert_int_equal(r.rc, 0);
	}
	if (r.rc)
		fail_msg("%s", err.msg);
	assert_int_equal(last, 13);
	assert_int_equal(sl_tc_r_offset(&r), sizeof(b));
}

/* Every proper prefix of a valid message is an error, and no prefix is read past. */
static void t_every_prefix(void **state)
{
	(void)state;
	for (size_t n = 0; n < sizeof(wire); n++) {
		uint8_t *copy = malloc(n ? n : 1);
		memcpy(copy, wire, n);
		struct sl_tc_r r;
		sl_tc_r_init(&r, copy, n, "test", NULL);
		int16_t id;
		enum sl_tc_type t;
		while (sl_tc_r_field(&r, &id, &t))
			sl_tc_r_skip(&r, t);
		assert_int_equal(r.rc, SL_ECORRUPT);
		free(copy);
	}
}

/* After the first error every call is a no-op returning zeros; the first message stays. */
static void t_sticky(void **state)
{
	(void)state;
	static const uint8_t b[] = {0x18, 0x09, 0x15, 0x02};
	struct sl_err err = {0};
	struct sl_tc_r r;
	sl_tc_r_init(&r, b, sizeof(b), "test", &err);
	int16_t id;
	enum sl_tc_type t, e;
	size_t len;
	assert_true(sl_tc_r_field(&r, &id, &t));
	assert_null(sl_tc_r_binary(&r, t, &len));
	char first[sizeof(err.msg)];
	strcpy(first, err.msg);
	size_t at = sl_tc_r_offset(&r);
	assert_false(sl_tc_r_field(&r, &id, &t));
	assert_int_equal(sl_tc_r_i32(&r, SL_TC_I32), 0);
	assert_int_equal(sl_tc_r_list_begin(&r, SL_TC_LIST, &e), 0);
	sl_tc_r_skip(&r, SL_TC_STRUCT);
	sl_tc_r_fail(&r, "a later error");
	assert_int_equal(sl_tc_r_offset(&r), at);
	assert_string_equal(err.msg, first);
	assert_int_equal(r.rc, SL_ECORRUPT);
}

static void t_encoder_errors(void **state)
{
	(void)state;
	struct sl_err err = {0};
	struct sl_buf b;
	struct sl_tc_w w;

	sl_buf_init(&b, 8); /* the buffer's hard maximum */
	sl_tc_w_init(&w, &b);
	sl_tc_w_field_binary(&w, 1, "0123456789", 10);
	sl_tc_w_field_i32(&w, 2, 1); /* further calls do nothing */
	sl_tc_w_stop(&w);
	assert_int_equal(sl_tc_w_finish(&w, &err), SL_ELIMIT);
	assert_non_null(strstr(err.msg, "limit of 8 bytes"));
	sl_buf_release(&b);

	sl_buf_init(&b, 0);
	sl_tc_w_init(&w, &b);
	for (int i = 0; i < SL_TC_MAX_DEPTH + 1; i++)
		sl_tc_w_struct_begin(&w, 1);
	assert_int_equal(sl_tc_w_finish(&w, &err), SL_EINVAL);
	sl_buf_release(&b);

	sl_buf_init(&b, 0);
	sl_tc_w_init(&w, &b);
	sl_tc_w_struct_begin(&w, 1);
	sl_tc_w_stop(&w); /* the nested struct was not ended */
	assert_int_equal(sl_tc_w_finish(&w, &err), SL_EINVAL);
	sl_buf_release(&b);

	sl_buf_init(&b, 0);
	sl_tc_w_init(&w, &b);
	sl_tc_w_struct_end(&w); /* an end without a begin */
	assert_int_equal(sl_tc_w_finish(&w, &err), SL_EINVAL);
	sl_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_encode_wire),
		cmocka_unit_test(t_decode_wire),
		cmocka_unit_test(t_roundtrip_limits),
		cmocka_unit_test(t_malformed),
		cmocka_unit_test(t_limits),
		cmocka_unit_test(t_field_id_overflow),
		cmocka_unit_test(t_depth),
		cmocka_unit_test(t_skip),
		cmocka_unit_test(t_every_prefix),
		cmocka_unit_test(t_sticky),
		cmocka_unit_test(t_encoder_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
