/*
 * test_pq_encoding.c - Parquet's encodings (parquet/encoding.h): the examples of the
 * spec (Encodings.md) byte for byte, round trips of random data (fixed seed) at every
 * bit width with runs around the encoder's boundaries (8 repeats, 63 groups per
 * bit-packed header), extremes of INT32 and INT64, corrupt headers, and every
 * truncation of encoded streams (read from exact-size copies so that ASan sees any read
 * past the end): each fails or returns fewer, correct values.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "parquet/encoding.h"

static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t mask_of(int w)
{
	return w >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << w) - 1;
}

/* An exact-size heap copy of p[0..n): reading past it is an ASan report. */
static uint8_t *exact(const void *p, size_t n)
{
	uint8_t *c = malloc(n ? n : 1);
	assert_non_null(c);
	if (n)
		memcpy(c, p, n);
	return c;
}

static size_t put_uleb(uint8_t *o, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		o[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	o[n++] = (uint8_t)v;
	return n;
}

static uint64_t get_uleb(const uint8_t **p)
{
	uint64_t v = 0;
	for (int s = 0;; s += 7) {
		uint8_t b = *(*p)++;
		v |= (uint64_t)(b & 0x7f) << s;
		if (!(b & 0x80))
			return v;
	}
}

/* ---- RLE / bit-packing hybrid --------------------------------------------------- */

static void test_bit_width(void **state)
{
	(void)state;
	assert_int_equal(sl_pq_bit_width(0), 0);
	assert_int_equal(sl_pq_bit_width(1), 1);
	assert_int_equal(sl_pq_bit_width(2), 2);
	assert_int_equal(sl_pq_bit_width(3), 2);
	assert_int_equal(sl_pq_bit_width(255), 8);
	assert_int_equal(sl_pq_bit_width(256), 9);
	assert_int_equal(sl_pq_bit_width(UINT32_MAX), 32);
	assert_int_equal(sl_pq_bit_width(UINT64_MAX), 64);
}

/* Encodes v with a finish; returns the stream in b. */
static void rle_encode(struct sl_buf *b, int w, const uint32_t *v, size_t n)
{
	struct sl_pq_rle_enc e;
	struct sl_err err = {0};
	sl_buf_init(b, 0);
	sl_pq_rle_enc_init(&e, b, w);
	sl_pq_rle_enc_put_u32s(&e, v, n);
	assert_int_equal(sl_pq_rle_enc_finish(&e, &err), 0);
}

/* Decodes exactly n values from an exact-size copy, in calls of chunk values. */
static void rle_expect(const void *p, size_t len, int w, const uint32_t *v, size_t n,
		       size_t chunk)
{
	uint8_t *c = exact(p, len);
	uint32_t *out = malloc((n + 1) * sizeof(*out));
	assert_non_null(out);
	struct sl_pq_rle_dec d;
	struct sl_err err = {0};
	assert_int_equal(sl_pq_rle_dec_init(&d, c, len, w, &err), 0);
	size_t got = 0;
	while (got < n) {
		size_t k = n - got < chunk ? n - got : chunk;
		int64_t r = sl_pq_rle_dec_u32(&d, out + got, k, &err);
		assert_int_equal(r, (int64_t)k);
		got += k;
	}
	for (size_t i = 0; i < n; i++)
		if (out[i] != v[i])
			fail_msg("width %d chunk %zu: value %zu is %u, not %u", w, chunk, i,
				 out[i], v[i]);
	free(out);
	free(c);
}

static void test_rle_spec_example(void **state)
{
	(void)state;
	/* Encodings.md: 0..7 at width 3 pack to 10001000 11000110 11111010 */
	static const uint8_t want[] = {0x03, 0x88, 0xC6, 0xFA};
	uint32_t v[8] = {0, 1, 2, 3, 4, 5, 6, 7};
	struct sl_buf b;
	rle_encode(&b, 3, v, 8);
	assert_int_equal(b.len, sizeof(want));
	assert_memory_equal(b.data, want, sizeof(want));
	rle_expect(want, sizeof(want), 3, v, 8, 8);
	rle_expect(want, sizeof(want), 3, v, 8, 3);
	sl_buf_release(&b);
}

static void test_rle_exact_runs(void **state)
{
	(void)state;
	uint32_t v[300];
	struct sl_buf b;
	/* 8 equal values: one RLE run, header 8 << 1, value in one byte */
	for (int i = 0; i < 8; i++)
		v[i] = 5;
	rle_encode(&b, 3, v, 8);
	assert_int_equal(b.len, 2);
	assert_memory_equal(b.data, "\x10\x05", 2);
	sl_buf_release(&b);
	/* 300 copies of 300 at width 9: header ULEB(600), value in two bytes LE */
	for (int i = 0; i < 300; i++)
		v[i] = 300;
	rle_encode(&b, 9, v, 300);
	assert_int_equal(b.len, 4);
	assert_memory_equal(b.data, "\xD8\x04\x2C\x01", 4);
	sl_buf_release(&b);
	/* fewer than 8 values, all equal: still a (short) RLE run */
	rle_encode(&b, 1, v, 0);
	assert_int_equal(b.len, 0);
	sl_buf_release(&b);
	for (int i = 0; i < 7; i++)
		v[i] = 1;
	rle_encode(&b, 1, v, 7);
	assert_int_equal(b.len, 2);
	assert_memory_equal(b.data, "\x0E\x01", 2);
	sl_buf_release(&b);
	/* width 0: values take no bytes */
	for (int i = 0; i < 20; i++)
		v[i] = 0;
	rle_encode(&b, 0, v, 20);
	assert_int_equal(b.len, 1);
	assert_int_equal((uint8_t)b.data[0], 40);
	rle_expect(b.data, b.len, 0, v, 20, 7);
	sl_buf_release(&b);
	/* 3 distinct values then 16 equal ones: a padded bit-packed group, then a run that
	 * starts at the next group boundary */
	uint32_t m[19] = {1, 2, 3};
	for (int i = 3; i < 19; i++)
		m[i] = 7;
	rle_encode(&b, 3, m, 19);
	/* bit-packed 1 group (1,2,3,7,7,7,7,7) then RLE 11 x 7 */
	assert_int_equal(b.len, 1 + 3 + 2);
	assert_int_equal((uint8_t)b.data[0], 0x03);
	assert_int_equal((uint8_t)b.data[4], 22);
	assert_int_equal((uint8_t)b.data[5], 7);
	rle_expect(b.data, b.len, 3, m, 19, 19);
	sl_buf_release(&b);
}

/* Walks a hybrid stream: values declared, largest bit-packed header (groups), runs. */
static uint64_t rle_walk(const uint8_t *p, size_t len, int w, unsigned *max_groups,
			 size_t *n_rle)
{
	const uint8_t *end = p + len;
	uint64_t values = 0;
	*max_groups = 0;
	*n_rle = 0;
	while (p < end) {
		uint64_t h = get_uleb(&p);
		if (h & 1) {
			unsigned g = (unsigned)(h >> 1);
			*max_groups = g > *max_groups ? g : *max_groups;
			values += 8ull * g;
			p += (size_t)g * (size_t)w;
		} else {
			values += h >> 1;
			(*n_rle)++;
			p += (size_t)(w + 7) / 8;
		}
	}
	assert_true(p == end);
	return values;
}

static void test_rle_63_groups(void **state)
{
	(void)state;
	uint32_t v[64 * 8 + 1];
	for (size_t i = 0; i < 64 * 8 + 1; i++)
		v[i] = (uint32_t)(i % 200); /* no two neighbours equal */
	static const size_t ns[] = {62 * 8, 63 * 8, 63 * 8 + 1, 64 * 8, 64 * 8 + 1};
	for (size_t t = 0; t < sizeof(ns) / sizeof(ns[0]); t++) {
		struct sl_buf b;
		unsigned maxg;
		size_t n_rle;
		rle_encode(&b, 8, v, ns[t]);
		uint64_t declared = rle_walk((uint8_t *)b.data, b.len, 8, &maxg, &n_rle);
		assert_true(declared >= ns[t] && declared < ns[t] + 8);
		assert_true(maxg <= 63);
		assert_true(n_rle <= 1); /* a last lone value is a run of 1 */
		if (ns[t] >= 63 * 8)
			assert_int_equal((uint8_t)b.data[0], 63 << 1 | 1);
		rle_expect(b.data, b.len, 8, v, ns[t], 5);
		sl_buf_release(&b);
	}
}

/* Levels-like data: runs and literal stretches whose lengths sit around the boundaries. */
static void gen_values(uint64_t *rng, uint32_t *v, size_t n, int w)
{
	static const size_t lens[] = {1, 2, 7, 8, 9, 15, 16, 17, 63, 64, 65, 504, 505, 512};
	uint64_t mask = mask_of(w);
	size_t i = 0;
	while (i < n) {
		uint64_t r = rng_next(rng);
		size_t len = lens[r % (sizeof(lens) / sizeof(lens[0]))];
		len = len < n - i ? len : n - i;
		if ((r >> 20) & 1) {
			uint32_t x = (uint32_t)(rng_next(rng) & mask);
			for (size_t j = 0; j < len; j++)
				v[i + j] = x;
		} else {
			for (size_t j = 0; j < len; j++)
				v[i + j] = (uint32_t)(rng_next(rng) & mask);
		}
		i += len;
	}
}

/* Encodes through all three entry points: equal stretches go through put_run, put or
 * put_u32s at random. */
static void rle_encode_mixed(uint64_t *rng, struct sl_buf *b, int w, const uint32_t *v,
			     size_t n)
{
	struct sl_pq_rle_enc e;
	struct sl_err err = {0};
	sl_buf_init(b, 0);
	sl_pq_rle_enc_init(&e, b, w);
	size_t i = 0;
	while (i < n) {
		size_t j = i + 1;
		while (j < n && v[j] == v[i])
			j++;
		switch (rng_next(rng) % 3) {
		case 0: sl_pq_rle_enc_put_run(&e, v[i], j - i); break;
		case 1:
			for (size_t k = i; k < j; k++)
				sl_pq_rle_enc_put(&e, v[k]);
			break;
		default: sl_pq_rle_enc_put_u32s(&e, v + i, j - i); break;
		}
		i = j;
	}
	assert_int_equal(sl_pq_rle_enc_finish(&e, &err), 0);
}

static void test_rle_roundtrip_all_widths(void **state)
{
	(void)state;
	uint64_t rng = 42;
	static const size_t ns[] = {1, 2, 7, 8, 9, 100, 1000, 5000};
	static const size_t chunks[] = {1, 3, 8, 13, 1000000};
	uint32_t *v = malloc(5000 * sizeof(*v));
	assert_non_null(v);
	for (int w = 0; w <= 32; w++) {
		for (size_t t = 0; t < sizeof(ns) / sizeof(ns[0]); t++) {
			size_t n = ns[t];
			gen_values(&rng, v, n, w);
			struct sl_buf b;
			rle_encode_mixed(&rng, &b, w, v, n);
			unsigned maxg;
			size_t n_rle;
			uint64_t declared = rle_walk((uint8_t *)b.data, b.len, w, &maxg, &n_rle);
			assert_true(declared >= n && declared < n + 8);
			assert_true(maxg <= 63);
			for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++)
				rle_expect(b.data, b.len, w, v, n, chunks[c]);
			sl_buf_release(&b);
		}
	}
	free(v);
}

static void test_rle_long_run(void **state)
{
	(void)state;
	/* put_run splits at the longest run the spec allows, 2^31 - 1 */
	struct sl_buf b;
	struct sl_pq_rle_enc e;
	struct sl_err err = {0};
	sl_buf_init(&b, 0);
	sl_pq_rle_enc_init(&e, &b, 1);
	sl_pq_rle_enc_put_run(&e, 1, (size_t)INT32_MAX + 11);
	assert_int_equal(sl_pq_rle_enc_finish(&e, &err), 0);
	const uint8_t *p = (const uint8_t *)b.data;
	assert_int_equal(get_uleb(&p), (uint64_t)INT32_MAX << 1);
	assert_int_equal(*p++, 1);
	assert_int_equal(get_uleb(&p), 11 << 1);
	assert_int_equal(*p++, 1);
	assert_true(p == (const uint8_t *)b.data + b.len);
	/* and the decoder hands it out in any amounts */
	struct sl_pq_rle_dec d;
	uint32_t out[1000];
	assert_int_equal(sl_pq_rle_dec_init(&d, b.data, b.len, 1, &err), 0);
	assert_int_equal(sl_pq_rle_dec_u32(&d, out, 1000, &err), 1000);
	assert_int_equal(out[999], 1);
	sl_buf_release(&b);
}

static void test_rle_truncated_last_group(void **state)
{
	(void)state;
	struct sl_pq_rle_dec d;
	struct sl_err err = {0};
	uint32_t out[16];
	/* one group of 8 at width 8 with only 5 bytes: the 5 complete values */
	static const uint8_t a[] = {0x03, 10, 11, 12, 13, 14};
	uint8_t *c = exact(a, sizeof(a));
	assert_int_equal(sl_pq_rle_dec_init(&d, c, sizeof(a), 8, &err), 0);
	assert_int_equal(sl_pq_rle_dec_u32(&d, out, 3, &err), 3);
	assert_int_equal(sl_pq_rle_dec_u32(&d, out + 3, 8, &err), 2);
	for (int i = 0; i < 5; i++)
		assert_int_equal(out[i], 10 + i);
	assert_int_equal(sl_pq_rle_dec_u32(&d, out, 8, &err), 0);
	free(c);
	/* width 3, one group in 2 bytes: 16 bits hold 5 values */
	static const uint8_t b3[] = {0x03, 0x88, 0xC6};
	c = exact(b3, sizeof(b3));
	assert_int_equal(sl_pq_rle_dec_init(&d, c, sizeof(b3), 3, &err), 0);
	assert_int_equal(sl_pq_rle_dec_u32(&d, out, 8, &err), 5);
	for (uint32_t i = 0; i < 5; i++)
		assert_int_equal(out[i], i);
	free(c);
	/* two groups declared and only part of the first there: corrupt */
	static const uint8_t b2[] = {0x05, 10, 11, 12, 13, 14};
	c = exact(b2, sizeof(b2));
	assert_int_equal(sl_pq_rle_dec_init(&d, c, sizeof(b2), 8, &err), 0);
	assert_int_equal(sl_pq_rle_dec_u32(&d, out, 16, &err), SL_ECORRUPT);
	assert_non_null(strstr(err.msg, "bit-packed run"));
	free(c);
}

static void expect_rle_corrupt(const void *p, size_t len, int w)
{
	struct sl_pq_rle_dec d;
	struct sl_err err = {0};
	uint32_t out[64];
	uint8_t *c = exact(p, len);
	assert_int_equal(sl_pq_rle_dec_init(&d, c, len, w, &err), 0);
	assert_int_equal(sl_pq_rle_dec_u32(&d, out, 64, &err), SL_ECORRUPT);
	assert_true(err.msg[0] != '\0');
	free(c);
}

static void test_rle_corrupt(void **state)
{
	(void)state;
	expect_rle_corrupt("\x02\x02", 2, 1);                 /* run value 2 at width 1 */
	expect_rle_corrupt("\x10", 1, 8);                     /* run value missing */
	expect_rle_corrupt("\x10\x01", 2, 9);                 /* run value short */
	expect_rle_corrupt("\xff\xff\xff\xff\xff\xff", 6, 1); /* header never ends */
	expect_rle_corrupt("\x80", 1, 1);                     /* header cut */
	/* width 0: 2^28 groups of nothing would be 2^31 values, over the spec's cap */
	uint8_t h[8];
	size_t k = put_uleb(h, ((uint64_t)1 << 28) << 1 | 1);
	expect_rle_corrupt(h, k, 0);
	struct sl_pq_rle_dec d;
	struct sl_err err = {0};
	assert_int_equal(sl_pq_rle_dec_init(&d, "", 0, 33, &err), SL_ECORRUPT);
	assert_int_equal(sl_pq_rle_dec_init(&d, "", 0, -1, &err), SL_ECORRUPT);
	/* empty data: no values, no error */
	uint32_t out[4];
	assert_int_equal(sl_pq_rle_dec_init(&d, NULL, 0, 5, &err), 0);
	assert_int_equal(sl_pq_rle_dec_u32(&d, out, 4, &err), 0);
	/* zero-length runs are skipped */
	assert_int_equal(sl_pq_rle_dec_init(&d, "\x00\x01\x01\x04\x01", 5, 1, &err), 0);
	assert_int_equal(sl_pq_rle_dec_u32(&d, out, 4, &err), 2);
	assert_int_equal(out[0], 1);
	assert_int_equal(out[1], 1);
}

static void test_rle_encoder_errors(void **state)
{
	(void)state;
	struct sl_buf b;
	struct sl_pq_rle_enc e;
	struct sl_err err = {0};
	sl_buf_init(&b, 0);
	sl_pq_rle_enc_init(&e, &b, 2);
	sl_pq_rle_enc_put(&e, 3);
	sl_pq_rle_enc_put(&e, 4); /* wider than 2 bits */
	assert_int_equal(sl_pq_rle_enc_finish(&e, &err), SL_EINVAL);
	sl_buf_reset(&b);
	sl_pq_rle_enc_init(&e, &b, 2);
	sl_pq_rle_enc_put_run(&e, 4, (size_t)1 << 40); /* refused at once, not 2^40 times */
	assert_int_equal(sl_pq_rle_enc_finish(&e, &err), SL_EINVAL);
	sl_buf_reset(&b);
	sl_pq_rle_enc_init(&e, &b, 33);
	sl_pq_rle_enc_put(&e, 1);
	assert_int_equal(sl_pq_rle_enc_finish(&e, &err), SL_EINVAL);
	sl_buf_release(&b);
	/* the output buffer's maximum is an error at finish, not a crash */
	sl_buf_init(&b, 16);
	sl_pq_rle_enc_init(&e, &b, 32);
	for (uint32_t i = 0; i < 100; i++)
		sl_pq_rle_enc_put(&e, i * 7919u);
	assert_int_equal(sl_pq_rle_enc_finish(&e, &err), SL_ELIMIT);
	sl_buf_release(&b);
}

static void test_rle_truncations(void **state)
{
	(void)state;
	uint64_t rng = 7;
	static const int widths[] = {1, 3, 8, 12, 32};
	uint32_t v[600], out[600];
	for (size_t t = 0; t < sizeof(widths) / sizeof(widths[0]); t++) {
		int w = widths[t];
		gen_values(&rng, v, 600, w);
		struct sl_buf b;
		rle_encode(&b, w, v, 600);
		for (size_t len = 0; len < b.len; len++) {
			uint8_t *c = exact(b.data, len);
			struct sl_pq_rle_dec d;
			struct sl_err err = {0};
			assert_int_equal(sl_pq_rle_dec_init(&d, c, len, w, &err), 0);
			size_t got = 0;
			int64_t r;
			do {
				r = sl_pq_rle_dec_u32(&d, out + got, 600 - got < 13 ? 600 - got : 13,
						      &err);
				if (r > 0)
					got += (size_t)r;
			} while (r == 13);
			assert_true(r >= 0 || r == SL_ECORRUPT);
			/* all 600 only when what was cut is a last group's padding */
			assert_true(got < 600 || b.len - len < (size_t)w);
			for (size_t i = 0; i < got; i++)
				assert_int_equal(out[i], v[i]);
			free(c);
		}
		sl_buf_release(&b);
	}
}

/* ---- PLAIN ---------------------------------------------------------------------- */

static void test_plain_bools(void **state)
{
	(void)state;
	struct sl_buf b;
	struct sl_err err = {0};
	static const uint8_t v9[] = {1, 0, 1, 1, 0, 0, 0, 0, 7};
	sl_buf_init(&b, 0);
	assert_int_equal(sl_pq_plain_put_bools(&b, v9, 9), 0);
	assert_int_equal(b.len, 2);
	assert_memory_equal(b.data, "\x0D\x01", 2);
	sl_buf_release(&b);
	uint64_t rng = 3;
	uint8_t v[1000], out[1000];
	for (size_t n = 0; n < 1000; n = n < 40 ? n + 1 : n * 3) {
		for (size_t i = 0; i < n; i++)
			v[i] = rng_next(&rng) & 1;
		sl_buf_init(&b, 0);
		assert_int_equal(sl_pq_plain_put_bools(&b, v, n), 0);
		assert_int_equal(b.len, (n + 7) / 8);
		uint8_t *c = exact(b.data, b.len);
		assert_int_equal(sl_pq_plain_get_bools(c, b.len, out, n, &err), 0);
		assert_memory_equal(out, v, n);
		if (n)
			assert_int_equal(sl_pq_plain_get_bools(c, b.len - 1, out, n, &err),
					 SL_ECORRUPT);
		free(c);
		sl_buf_release(&b);
	}
}

static void test_plain_barrs(void **state)
{
	(void)state;
	static const uint8_t d[] = "\x03\0\0\0abc\0\0\0\0\x02\0\0\0xy";
	const size_t len = sizeof(d) - 1;
	struct sl_pq_barr out[4];
	struct sl_err err = {0};
	size_t used = 0;
	uint8_t *c = exact(d, len);
	assert_int_equal(sl_pq_plain_get_barrs(c, len, out, 3, &used, &err), 0);
	assert_int_equal(used, len);
	assert_int_equal(out[0].off, 4);
	assert_int_equal(out[0].len, 3);
	assert_int_equal(out[1].len, 0);
	assert_int_equal(out[2].off, 15);
	assert_int_equal(out[2].len, 2);
	assert_memory_equal(c + out[2].off, "xy", 2);
	/* fewer values than the data holds: used says where they end */
	assert_int_equal(sl_pq_plain_get_barrs(c, len, out, 1, &used, &err), 0);
	assert_int_equal(used, 7);
	/* one more than there is, and every truncation */
	assert_int_equal(sl_pq_plain_get_barrs(c, len, out, 4, &used, &err), SL_ECORRUPT);
	free(c);
	for (size_t l = 0; l < len; l++) {
		c = exact(d, l);
		assert_int_equal(sl_pq_plain_get_barrs(c, l, out, 3, &used, &err), SL_ECORRUPT);
		free(c);
	}
	/* a length larger than what is left */
	c = exact("\xff\xff\xff\x7f" "abc", 7);
	assert_int_equal(sl_pq_plain_get_barrs(c, 7, out, 1, &used, &err), SL_ECORRUPT);
	free(c);
}

/* ---- DELTA_BINARY_PACKED -------------------------------------------------------- */

static void delta_expect(const void *p, size_t len, bool is32, const int64_t *v, size_t n,
			 size_t want_used)
{
	uint8_t *c = exact(p, len);
	int64_t *out = malloc((n + 1) * sizeof(*out));
	assert_non_null(out);
	size_t got = 99, used = 99;
	struct sl_err err = {0};
	int rc = sl_pq_delta_get(c, len, out, n, is32, &got, &used, &err);
	if (rc)
		fail_msg("delta_get: %s", err.msg);
	assert_int_equal(got, n);
	assert_int_equal(used, want_used);
	for (size_t i = 0; i < n; i++)
		if (out[i] != v[i])
			fail_msg("value %zu is %lld, not %lld", i, (long long)out[i],
				 (long long)v[i]);
	free(out);
	free(c);
}

static void test_delta_spec_examples(void **state)
{
	(void)state;
	/* Example 1 of Encodings.md with the real block of 128 in 4 miniblocks: 1..5 have
	 * deltas 1, so min delta 1 and widths 0, no miniblock data */
	static const int64_t v1[] = {1, 2, 3, 4, 5};
	static const uint8_t e1[] = {0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 0, 0, 0, 0};
	struct sl_buf b;
	sl_buf_init(&b, 0);
	assert_int_equal(sl_pq_delta_put(&b, v1, 5), 0);
	assert_int_equal(b.len, sizeof(e1));
	assert_memory_equal(b.data, e1, sizeof(e1));
	delta_expect(e1, sizeof(e1), false, v1, 5, sizeof(e1));
	sl_buf_release(&b);
	/* Example 2: 7,5,3,1,2,3,4,5: min delta -2, relative 0,0,0,3,3,3,3 on 2 bits; the
	 * miniblock holds 32 values (8 bytes), padded with zeros */
	static const int64_t v2[] = {7, 5, 3, 1, 2, 3, 4, 5};
	static const uint8_t e2[] = {0x80, 0x01, 0x04, 0x08, 0x0E, 0x03, 2, 0, 0, 0,
				     0xC0, 0x3F, 0, 0, 0, 0, 0, 0};
	sl_buf_init(&b, 0);
	assert_int_equal(sl_pq_delta_put(&b, v2, 8), 0);
	assert_int_equal(b.len, sizeof(e2));
	assert_memory_equal(b.data, e2, sizeof(e2));
	delta_expect(e2, sizeof(e2), false, v2, 8, sizeof(e2));
	sl_buf_release(&b);
	/* empty and single: a header only */
	static const uint8_t e0[] = {0x80, 0x01, 0x04, 0x00, 0x00};
	sl_buf_init(&b, 0);
	assert_int_equal(sl_pq_delta_put(&b, v1, 0), 0);
	assert_memory_equal(b.data, e0, sizeof(e0));
	delta_expect(e0, sizeof(e0), false, v1, 0, sizeof(e0));
	sl_buf_reset(&b);
	static const int64_t neg[] = {-3};
	assert_int_equal(sl_pq_delta_put(&b, neg, 1), 0);
	assert_int_equal(b.len, 5);
	assert_int_equal((uint8_t)b.data[4], 5); /* zigzag(-3) */
	delta_expect(b.data, b.len, false, neg, 1, 5);
	sl_buf_release(&b);
}

/* Values whose deltas (before the min) take w bits at most. */
static void gen_deltas(uint64_t *rng, int64_t *v, size_t n, int w)
{
	uint64_t x = rng_next(rng);
	for (size_t i = 0; i < n; i++) {
		v[i] = (int64_t)x;
		x += rng_next(rng) & mask_of(w);
	}
}

static void test_delta_roundtrip_all_widths(void **state)
{
	(void)state;
	uint64_t rng = 1234;
	static const size_t ns[] = {0, 1, 2, 3, 31, 32, 33, 127, 128, 129, 130, 257, 1000};
	int64_t *v = malloc(1000 * sizeof(*v));
	assert_non_null(v);
	for (int w = 0; w <= 64; w++) {
		for (size_t t = 0; t < sizeof(ns) / sizeof(ns[0]); t++) {
			size_t n = ns[t];
			gen_deltas(&rng, v, n, w);
			struct sl_buf b;
			sl_buf_init(&b, 0);
			assert_int_equal(sl_pq_delta_put(&b, v, n), 0);
			size_t len = b.len;
			delta_expect(b.data, len, false, v, n, len);
			/* bytes after the stream are not part of it */
			assert_int_equal(sl_buf_append(&b, "\x55\x66\x77", 3), 0);
			delta_expect(b.data, b.len, false, v, n, len);
			sl_buf_release(&b);
		}
	}
	free(v);
}

static void test_delta_extremes(void **state)
{
	(void)state;
	static const int64_t v[] = {INT64_MIN, INT64_MAX, INT64_MIN, 0, -1, INT64_MAX,
				    INT64_MAX, 1, INT64_MIN, INT64_MIN + 1, -1, 0};
	const size_t n = sizeof(v) / sizeof(v[0]);
	struct sl_buf b;
	sl_buf_init(&b, 0);
	assert_int_equal(sl_pq_delta_put(&b, v, n), 0);
	delta_expect(b.data, b.len, false, v, n, b.len);
	sl_buf_release(&b);
	/* INT32: deltas wrap at 32 bits, so widths stay within 32 (the decoder refuses
	 * more for INT32) */
	static const int32_t v32[] = {INT32_MIN, INT32_MAX, INT32_MIN, 0, -1, INT32_MAX, 7,
				      INT32_MIN + 1, INT32_MAX - 1};
	int64_t w32[sizeof(v32) / sizeof(v32[0])];
	const size_t n32 = sizeof(v32) / sizeof(v32[0]);
	for (size_t i = 0; i < n32; i++)
		w32[i] = v32[i];
	sl_buf_init(&b, 0);
	assert_int_equal(sl_pq_delta_put_i32(&b, v32, n32), 0);
	delta_expect(b.data, b.len, true, w32, n32, b.len);
	const uint8_t *p = (const uint8_t *)b.data;
	for (int i = 0; i < 4; i++)
		get_uleb(&p);
	get_uleb(&p); /* min delta */
	assert_true(p[0] <= 32);
	sl_buf_release(&b);
	/* a long INT32 stream of random values */
	uint64_t rng = 99;
	int32_t r32[1000];
	int64_t r64[1000];
	for (size_t i = 0; i < 1000; i++)
		r64[i] = r32[i] = (int32_t)rng_next(&rng);
	sl_buf_init(&b, 0);
	assert_int_equal(sl_pq_delta_put_i32(&b, r32, 1000), 0);
	delta_expect(b.data, b.len, true, r64, 1000, b.len);
	sl_buf_release(&b);
}

static void expect_delta_error(const uint8_t *p, size_t len, size_t n, bool is32, int code,
			       const char *msg)
{
	int64_t out[300];
	size_t got, used;
	struct sl_err err = {0};
	uint8_t *c = exact(p, len);
	assert_int_equal(sl_pq_delta_get(c, len, out, n, is32, &got, &used, &err), code);
	if (msg && !strstr(err.msg, msg))
		fail_msg("message '%s' lacks '%s'", err.msg, msg);
	free(c);
}

static void test_delta_corrupt(void **state)
{
	(void)state;
	uint8_t h[64];
	size_t k;
	/* block size 100 */
	k = put_uleb(h, 100);
	k += put_uleb(h + k, 4);
	k += put_uleb(h + k, 1);
	k += put_uleb(h + k, 0);
	expect_delta_error(h, k, 10, false, SL_ECORRUPT, "block size");
	/* 3 and 8 miniblocks of a 128 block (not multiples of 32 values) */
	static const uint64_t mbs[] = {0, 3, 8};
	for (size_t i = 0; i < 3; i++) {
		k = put_uleb(h, 128);
		k += put_uleb(h + k, mbs[i]);
		k += put_uleb(h + k, 1);
		k += put_uleb(h + k, 0);
		expect_delta_error(h, k, 10, false, SL_ECORRUPT, "miniblocks");
	}
	/* more values than the caller has room for */
	k = put_uleb(h, 128);
	k += put_uleb(h + k, 4);
	k += put_uleb(h + k, 11);
	k += put_uleb(h + k, 0);
	expect_delta_error(h, k, 10, false, SL_ECORRUPT, "at most 10");
	/* bit width 65, and 33 for INT32 */
	k = put_uleb(h, 128);
	k += put_uleb(h + k, 4);
	k += put_uleb(h + k, 3);
	k += put_uleb(h + k, 0);
	k += put_uleb(h + k, 0);
	h[k] = 65;
	h[k + 1] = h[k + 2] = h[k + 3] = 0;
	memset(h + k + 4, 0, 40);
	expect_delta_error(h, k + 44, 10, false, SL_ECORRUPT, "bit width 65");
	h[k] = 33;
	expect_delta_error(h, k + 44, 10, true, SL_ECORRUPT, "bit width 33");
	/* unused miniblocks' widths are not looked at (the spec allows any value) */
	h[k] = 1;
	h[k + 1] = h[k + 2] = h[k + 3] = 200;
	int64_t out[4];
	size_t got, used;
	struct sl_err err = {0};
	assert_int_equal(sl_pq_delta_get(h, k + 4 + 4, out, 4, false, &got, &used, &err), 0);
	assert_int_equal(got, 3);
	assert_int_equal(used, k + 8);
}

static void test_delta_truncations(void **state)
{
	(void)state;
	uint64_t rng = 5;
	int64_t v[300], out[300];
	gen_deltas(&rng, v, 300, 13);
	struct sl_buf b;
	sl_buf_init(&b, 0);
	assert_int_equal(sl_pq_delta_put(&b, v, 300), 0);
	/* the last miniblock: 300 = 1 + 2*128 + 43, so it holds 11 deltas and 21 of padding */
	for (size_t len = 0; len < b.len; len++) {
		uint8_t *c = exact(b.data, len);
		size_t got, used;
		struct sl_err err = {0};
		int rc = sl_pq_delta_get(c, len, out, 300, false, &got, &used, &err);
		if (rc == 0) {
			/* only padding bits may be missing */
			assert_true(b.len - len < 32 * 13 / 8);
			assert_int_equal(got, 300);
			assert_int_equal(used, len);
			assert_memory_equal(out, v, sizeof(v));
		} else {
			assert_int_equal(rc, SL_ECORRUPT);
		}
		free(c);
	}
	sl_buf_release(&b);
}

static void test_delta_trimmed_padding(void **state)
{
	(void)state;
	/* 5 values, deltas on 8 bits: the miniblock's 32 bytes can lose 28 of padding */
	static const int64_t v[] = {0, 100, 50, 200, 150};
	struct sl_buf b;
	sl_buf_init(&b, 0);
	assert_int_equal(sl_pq_delta_put(&b, v, 5), 0);
	const size_t head = 5 + 1 + 4; /* header, min delta, widths */
	assert_int_equal(b.len, head + 32);
	delta_expect(b.data, head + 4, false, v, 5, head + 4);
	expect_delta_error((uint8_t *)b.data, head + 3, 5, false, SL_ECORRUPT, "miniblock");
	sl_buf_release(&b);
}

/* ---- DELTA_LENGTH_BYTE_ARRAY and DELTA_BYTE_ARRAY ------------------------------- */

/* Strings to barrs over one area. */
static size_t to_barrs(const char *const *s, size_t n, uint8_t *area, struct sl_pq_barr *v)
{
	size_t off = 0;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(s[i]);
		memcpy(area + off, s[i], l);
		v[i].off = (uint32_t)off;
		v[i].len = (uint32_t)l;
		off += l;
	}
	return off;
}

static void test_dlba_spec_example(void **state)
{
	(void)state;
	static const char *const s[] = {"Hello", "World", "Foobar", "ABCDEF"};
	uint8_t area[64];
	struct sl_pq_barr v[4], out[4];
	to_barrs(s, 4, area, v);
	struct sl_buf b;
	sl_buf_init(&b, 0);
	assert_int_equal(sl_pq_dlba_put(&b, area, v, 4), 0);
	assert_true(b.len > 22);
	assert_memory_equal(b.data + b.len - 22, "HelloWorldFoobarABCDEF", 22);
	uint8_t *c = exact(b.data, b.len);
	size_t got;
	struct sl_err err = {0};
	assert_int_equal(sl_pq_dlba_get(c, b.len, out, 4, &got, &err), 0);
	assert_int_equal(got, 4);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(out[i].len, strlen(s[i]));
		assert_memory_equal(c + out[i].off, s[i], out[i].len);
	}
	/* every truncation: the last value's bytes missing at least */
	for (size_t len = 0; len < b.len; len++) {
		uint8_t *t = exact(b.data, len);
		assert_int_equal(sl_pq_dlba_get(t, len, out, 4, &got, &err), SL_ECORRUPT);
		free(t);
	}
	free(c);
	sl_buf_release(&b);
	/* a negative length */
	static const int64_t neg[] = {3, -1};
	sl_buf_init(&b, 0);
	assert_int_equal(sl_pq_delta_put(&b, neg, 2), 0);
	assert_int_equal(sl_buf_append(&b, "abcdef", 6), 0);
	assert_int_equal(sl_pq_dlba_get(b.data, b.len, out, 4, &got, &err), SL_ECORRUPT);
	assert_non_null(strstr(err.msg, "negative"));
	sl_buf_release(&b);
}

static void test_dba_spec_example(void **state)
{
	(void)state;
	static const char *const s[] = {"axis", "axle", "babble", "babyhood"};
	uint8_t area[64];
	struct sl_pq_barr v[4], out[4];
	to_barrs(s, 4, area, v);
	struct sl_buf b;
	sl_buf_init(&b, 0);
	assert_int_equal(sl_pq_dba_put(&b, area, v, 4), 0);
	/* prefix lengths 0,2,0,3 and suffix lengths 4,2,6,5, then the suffixes */
	static const int64_t pre[] = {0, 2, 0, 3}, suf[] = {4, 2, 6, 5};
	size_t used1, used2, got;
	int64_t l[4];
	struct sl_err err = {0};
	assert_int_equal(sl_pq_delta_get(b.data, b.len, l, 4, true, &got, &used1, &err), 0);
	assert_memory_equal(l, pre, sizeof(pre));
	assert_int_equal(sl_pq_delta_get(b.data + used1, b.len - used1, l, 4, true, &got,
					 &used2, &err),
			 0);
	assert_memory_equal(l, suf, sizeof(suf));
	assert_int_equal(b.len - used1 - used2, 17);
	assert_memory_equal(b.data + used1 + used2, "axislebabbleyhood", 17);
	/* decoding appends to what data holds already */
	struct sl_buf data;
	sl_buf_init(&data, 0);
	assert_int_equal(sl_buf_append(&data, "xyz", 3), 0);
	uint8_t *c = exact(b.data, b.len);
	assert_int_equal(sl_pq_dba_get(c, b.len, out, 4, &data, &got, &err), 0);
	assert_int_equal(got, 4);
	assert_int_equal(out[0].off, 3);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(out[i].len, strlen(s[i]));
		assert_memory_equal(data.data + out[i].off, s[i], out[i].len);
	}
	free(c);
	/* every truncation fails and leaves data as it was */
	for (size_t len = 0; len < b.len; len++) {
		uint8_t *t = exact(b.data, len);
		sl_buf_reset(&data);
		assert_int_equal(sl_pq_dba_get(t, len, out, 4, &data, &got, &err), SL_ECORRUPT);
		assert_int_equal(data.len, 0);
		free(t);
	}
	sl_buf_release(&data);
	sl_buf_release(&b);
}

static void test_dba_corrupt(void **state)
{
	(void)state;
	struct sl_buf b, data;
	struct sl_pq_barr out[8];
	size_t got;
	struct sl_err err = {0};
	/* prefix 5 after a value of 3 bytes */
	static const int64_t pre[] = {0, 5}, suf[] = {3, 1};
	sl_buf_init(&b, 0);
	sl_buf_init(&data, 0);
	assert_int_equal(sl_pq_delta_put(&b, pre, 2), 0);
	assert_int_equal(sl_pq_delta_put(&b, suf, 2), 0);
	assert_int_equal(sl_buf_append(&b, "abcd", 4), 0);
	assert_int_equal(sl_pq_dba_get(b.data, b.len, out, 8, &data, &got, &err), SL_ECORRUPT);
	assert_non_null(strstr(err.msg, "prefix"));
	/* two prefix lengths and three suffix lengths */
	static const int64_t suf3[] = {3, 1, 0};
	sl_buf_reset(&b);
	assert_int_equal(sl_pq_delta_put(&b, pre, 2), 0);
	assert_int_equal(sl_pq_delta_put(&b, suf3, 3), 0);
	assert_int_equal(sl_buf_append(&b, "abcd", 4), 0);
	assert_int_equal(sl_pq_dba_get(b.data, b.len, out, 8, &data, &got, &err), SL_ECORRUPT);
	/* output bounded by data's maximum: a 100-byte value repeated by prefixes */
	static const int64_t pre2[] = {0, 100, 100, 100, 100, 100, 100, 100},
			     suf2[] = {100, 0, 0, 0, 0, 0, 0, 0};
	sl_buf_reset(&b);
	assert_int_equal(sl_pq_delta_put(&b, pre2, 8), 0);
	assert_int_equal(sl_pq_delta_put(&b, suf2, 8), 0);
	for (int i = 0; i < 10; i++)
		assert_int_equal(sl_buf_append(&b, "0123456789", 10), 0);
	sl_buf_release(&data);
	sl_buf_init(&data, 799);
	assert_int_equal(sl_pq_dba_get(b.data, b.len, out, 8, &data, &got, &err), SL_ELIMIT);
	sl_buf_release(&data);
	sl_buf_init(&data, 800);
	assert_int_equal(sl_pq_dba_get(b.data, b.len, out, 8, &data, &got, &err), 0);
	assert_int_equal(data.len, 800);
	assert_int_equal(out[7].off, 700);
	assert_memory_equal(data.data + 700, data.data, 100);
	sl_buf_release(&data);
	sl_buf_release(&b);
}

static void test_byte_array_roundtrips(void **state)
{
	(void)state;
	uint64_t rng = 77;
	static const size_t ns[] = {0, 1, 2, 127, 128, 129, 1000};
	uint8_t *area = malloc(1000 * 40);
	struct sl_pq_barr *v = malloc(1000 * sizeof(*v)), *out = malloc(1000 * sizeof(*out));
	assert_true(area && v && out);
	for (size_t t = 0; t < sizeof(ns) / sizeof(ns[0]); t++) {
		size_t n = ns[t], off = 0;
		/* strings that often share a prefix with the one before (sorted-ish keys) */
		for (size_t i = 0; i < n; i++) {
			uint64_t r = rng_next(&rng);
			size_t len = r % 40, keep = 0;
			if (i && (r >> 8) % 3)
				keep = (r >> 16) % (v[i - 1].len + 1);
			keep = keep < len ? keep : len;
			if (keep)
				memcpy(area + off, area + v[i - 1].off, keep);
			for (size_t j = keep; j < len; j++)
				area[off + j] = (uint8_t)('a' + rng_next(&rng) % 4);
			v[i].off = (uint32_t)off;
			v[i].len = (uint32_t)len;
			off += len;
		}
		for (int dba = 0; dba <= 1; dba++) {
			struct sl_buf b, data;
			struct sl_err err = {0};
			size_t got = 99;
			sl_buf_init(&b, 0);
			sl_buf_init(&data, 0);
			assert_int_equal(dba ? sl_pq_dba_put(&b, area, v, n)
					     : sl_pq_dlba_put(&b, area, v, n),
					 0);
			uint8_t *c = exact(b.data, b.len);
			int rc = dba ? sl_pq_dba_get(c, b.len, out, n, &data, &got, &err)
				     : sl_pq_dlba_get(c, b.len, out, n, &got, &err);
			if (rc)
				fail_msg("%s: %s", dba ? "dba" : "dlba", err.msg);
			assert_int_equal(got, n);
			const uint8_t *base = dba ? (const uint8_t *)data.data : c;
			for (size_t i = 0; i < n; i++) {
				assert_int_equal(out[i].len, v[i].len);
				assert_memory_equal(base + out[i].off, area + v[i].off, v[i].len);
			}
			free(c);
			sl_buf_release(&data);
			sl_buf_release(&b);
		}
	}
	free(area);
	free(v);
	free(out);
}

/* ---- BYTE_STREAM_SPLIT ---------------------------------------------------------- */

static void test_bss(void **state)
{
	(void)state;
	/* Encodings.md: AA BB CC DD  00 11 22 33  A3 B4 C5 D6 */
	static const uint8_t v[] = {0xAA, 0xBB, 0xCC, 0xDD, 0x00, 0x11,
				    0x22, 0x33, 0xA3, 0xB4, 0xC5, 0xD6};
	static const uint8_t e[] = {0xAA, 0x00, 0xA3, 0xBB, 0x11, 0xB4,
				    0xCC, 0x22, 0xC5, 0xDD, 0x33, 0xD6};
	struct sl_buf b;
	struct sl_err err = {0};
	uint8_t out[12];
	sl_buf_init(&b, 0);
	assert_int_equal(sl_pq_bss_put(&b, v, 4, 3), 0);
	assert_int_equal(b.len, 12);
	assert_memory_equal(b.data, e, 12);
	sl_buf_release(&b);
	assert_int_equal(sl_pq_bss_get(e, 12, 4, out, 3, &err), 0);
	assert_memory_equal(out, v, 12);
	/* the streams fill the range: the first value of 2 is bytes 0, 6, ... */
	assert_int_equal(sl_pq_bss_get(e, 12, 2, out, 1, &err), 0);
	assert_int_equal(out[0], 0xAA);
	assert_int_equal(out[1], 0xCC);
	assert_int_equal(sl_pq_bss_get(e, 11, 4, out, 3, &err), SL_ECORRUPT);
	assert_int_equal(sl_pq_bss_get(e, 12, 0, out, 3, &err), SL_EINVAL);
	/* every width from 1 to 17, n across the decoder's 1024-value blocks */
	uint64_t rng = 11;
	static const size_t ns[] = {0, 1, 5, 1023, 1024, 1025, 3000};
	uint8_t *in = malloc(3000 * 17), *dec = malloc(3000 * 17);
	assert_true(in && dec);
	for (size_t w = 1; w <= 17; w++) {
		for (size_t t = 0; t < sizeof(ns) / sizeof(ns[0]); t++) {
			size_t n = ns[t];
			for (size_t i = 0; i < n * w; i++)
				in[i] = (uint8_t)rng_next(&rng);
			sl_buf_init(&b, 0);
			assert_int_equal(sl_pq_bss_put(&b, in, w, n), 0);
			assert_int_equal(b.len, n * w);
			uint8_t *c = exact(b.data, b.len);
			assert_int_equal(sl_pq_bss_get(c, b.len, w, dec, n, &err), 0);
			assert_memory_equal(dec, in, n * w);
			if (n)
				assert_int_equal(sl_pq_bss_get(c, b.len - 1, w, dec, n, &err),
						 SL_ECORRUPT);
			free(c);
			sl_buf_release(&b);
		}
	}
	free(in);
	free(dec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bit_width),
		cmocka_unit_test(test_rle_spec_example),
		cmocka_unit_test(test_rle_exact_runs),
		cmocka_unit_test(test_rle_63_groups),
		cmocka_unit_test(test_rle_roundtrip_all_widths),
		cmocka_unit_test(test_rle_long_run),
		cmocka_unit_test(test_rle_truncated_last_group),
		cmocka_unit_test(test_rle_corrupt),
		cmocka_unit_test(test_rle_encoder_errors),
		cmocka_unit_test(test_rle_truncations),
		cmocka_unit_test(test_plain_bools),
		cmocka_unit_test(test_plain_barrs),
		cmocka_unit_test(test_delta_spec_examples),
		cmocka_unit_test(test_delta_roundtrip_all_widths),
		cmocka_unit_test(test_delta_extremes),
		cmocka_unit_test(test_delta_corrupt),
		cmocka_unit_test(test_delta_truncations),
		cmocka_unit_test(test_delta_trimmed_padding),
		cmocka_unit_test(test_dlba_spec_example),
		cmocka_unit_test(test_dba_spec_example),
		cmocka_unit_test(test_dba_corrupt),
		cmocka_unit_test(test_byte_array_roundtrips),
		cmocka_unit_test(test_bss),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
