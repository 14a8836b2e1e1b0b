/*
 * test_pq_codec.c - page codecs (parquet/codec.h): round trips of every writable codec,
 * the exact-size rule (one byte more or less than the data holds is SL_ECORRUPT), every
 * truncation and random corruption of compressed pages decoded into exact-size buffers
 * (so ASan sees any write past them), gzip with concatenated members, zstd frames that
 * declare the wrong size, zstd contexts used from several threads, LZ4's Hadoop framing
 * built by hand and its raw-block fallback, brotli vectors made with libbrotlienc.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <lz4.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "parquet/codec.h"
#include "parquet/format.h"

static const char *const writable[] = {"none", "snappy", "gzip", "zstd", "lz4_raw"};
#define N_WRITABLE (sizeof(writable) / sizeof(writable[0]))

static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Page-like bytes: words from a small vocabulary, with random bytes mixed in when
 * noisy. */
static void fill(uint8_t *p, size_t n, uint64_t seed, int noisy)
{
	static const char *const words[] = {"event", "user", "2026-01-01T00:00:00Z", "42",
					    "null", "\"id\":", "sluice", "{}"};
	size_t i = 0;
	while (i < n) {
		uint64_t r = rng_next(&seed);
		if (noisy && r % 4 == 0) {
			p[i++] = (uint8_t)(r >> 8);
			continue;
		}
		const char *w = words[r % 8];
		for (size_t j = 0; w[j] && i < n; j++)
			p[i++] = (uint8_t)w[j];
	}
}

static uint8_t *exact(const void *p, size_t n)
{
	uint8_t *c = malloc(n ? n : 1);
	assert_non_null(c);
	if (n)
		memcpy(c, p, n);
	return c;
}

/* Compresses src with c at level; returns a malloc'd exact-size copy of the output. */
static uint8_t *compress_with(const struct sl_pq_codec *c, const uint8_t *src, size_t n,
			      int level, size_t *out_len)
{
	size_t cap = c->bound(n);
	uint8_t *dst = malloc(cap ? cap : 1);
	assert_non_null(dst);
	struct sl_err err = {0};
	int rc = c->compress(src, n, dst, cap, out_len, level, &err);
	if (rc)
		fail_msg("%s compress: %s", c->name, err.msg);
	assert_true(*out_len <= cap);
	uint8_t *e = exact(dst, *out_len);
	free(dst);
	return e;
}

/* Decompresses into an exact-size buffer; returns the code. */
static int decompress_into(const struct sl_pq_codec *c, const uint8_t *src, size_t n,
			   uint8_t **out, size_t dst_len)
{
	struct sl_err err = {0};
	*out = malloc(dst_len ? dst_len : 1);
	assert_non_null(*out);
	int rc = c->decompress(src, n, dst_len ? *out : NULL, dst_len, &err);
	if (rc)
		assert_true(err.msg[0] != '\0');
	return rc;
}

static void test_lookup(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_WRITABLE; i++) {
		const struct sl_pq_codec *c = sl_pq_codec_by_name(writable[i]);
		assert_non_null(c);
		assert_non_null(c->compress);
		assert_non_null(c->bound);
		assert_ptr_equal(sl_pq_codec_by_id(c->id), c);
	}
	assert_int_equal(sl_pq_codec_by_name("ZSTD")->id, SL_PQ_ZSTD);
	assert_int_equal(sl_pq_codec_by_name("Snappy")->id, SL_PQ_SNAPPY);
	assert_int_equal(sl_pq_codec_by_name("uncompressed")->id, SL_PQ_UNCOMPRESSED);
	assert_int_equal(sl_pq_codec_by_name("LZ4_RAW")->id, SL_PQ_LZ4_RAW);
	assert_int_equal(sl_pq_codec_by_name("brotli")->id, SL_PQ_BROTLI);
	assert_null(sl_pq_codec_by_name("brotli")->compress);
	assert_null(sl_pq_codec_by_name("lz4"));
	assert_null(sl_pq_codec_by_name("lzo"));
	assert_null(sl_pq_codec_by_name(""));
	assert_null(sl_pq_codec_by_name(NULL));
	assert_null(sl_pq_codec_by_id(SL_PQ_LZO));
	assert_null(sl_pq_codec_by_id(8));
	assert_null(sl_pq_codec_by_id(-1));
	const struct sl_pq_codec *lz4 = sl_pq_codec_by_id(SL_PQ_LZ4);
	assert_non_null(lz4);
	assert_null(lz4->compress);
	assert_non_null(lz4->decompress);
}

static void test_roundtrips(void **state)
{
	(void)state;
	static const size_t sizes[] = {0, 1, 100, 4096, 1 << 20};
	static const int levels[] = {0, 1, 9};
	uint8_t *src = malloc(1 << 20);
	assert_non_null(src);
	for (size_t ci = 0; ci < N_WRITABLE; ci++) {
		const struct sl_pq_codec *c = sl_pq_codec_by_name(writable[ci]);
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			for (int noisy = 0; noisy <= 1; noisy++) {
				size_t n = sizes[s];
				fill(src, n, n * 31 + (size_t)noisy, noisy);
				for (size_t l = 0; l < 3; l++) {
					size_t clen;
					uint8_t *z = compress_with(c, src, n, levels[l], &clen);
					uint8_t *out;
					int rc = decompress_into(c, z, clen, &out, n);
					if (rc)
						fail_msg("%s %zu bytes: %d", c->name, n, rc);
					if (n)
						assert_memory_equal(out, src, n);
					free(out);
					/* one byte fewer or more than the page holds */
					if (n) {
						assert_int_equal(decompress_into(c, z, clen, &out,
										 n - 1),
								 SL_ECORRUPT);
						free(out);
					}
					assert_int_equal(decompress_into(c, z, clen, &out, n + 1),
							 SL_ECORRUPT);
					free(out);
					free(z);
				}
			}
		}
	}
	free(src);
}

static void test_small_cap_and_levels(void **state)
{
	(void)state;
	uint8_t src[5000], dst[64];
	fill(src, sizeof(src), 9, 1);
	struct sl_err err = {0};
	size_t n;
	for (size_t ci = 0; ci < N_WRITABLE; ci++) {
		const struct sl_pq_codec *c = sl_pq_codec_by_name(writable[ci]);
		int rc = c->compress(src, sizeof(src), dst, sizeof(dst), &n, 0, &err);
		assert_true(rc == SL_ELIMIT || rc == SL_EINVAL);
	}
	const struct sl_pq_codec *z = sl_pq_codec_by_name("zstd"),
				 *g = sl_pq_codec_by_name("gzip");
	uint8_t big[ZSTD_COMPRESSBOUND(5000)];
	assert_int_equal(z->compress(src, sizeof(src), big, sizeof(big), &n, 99, &err),
			 SL_EINVAL);
	assert_int_equal(g->compress(src, sizeof(src), big, sizeof(big), &n, 10, &err),
			 SL_EINVAL);
	assert_int_equal(z->compress(src, sizeof(src), big, sizeof(big), &n, -1, &err), 0);
	/* sizes beyond a page's int32 are refused before anything is read */
	for (size_t ci = 0; ci < N_WRITABLE; ci++) {
		const struct sl_pq_codec *c = sl_pq_codec_by_name(writable[ci]);
		if (c->id != SL_PQ_UNCOMPRESSED)
			assert_int_equal(c->decompress(src, (size_t)INT32_MAX + 1, big, 10, &err),
					 SL_ELIMIT);
	}
}

static void test_empty_pages(void **state)
{
	(void)state;
	struct sl_err err = {0};
	uint8_t d[4];
	static const int ids[] = {SL_PQ_UNCOMPRESSED, SL_PQ_SNAPPY, SL_PQ_GZIP, SL_PQ_BROTLI,
				  SL_PQ_LZ4, SL_PQ_ZSTD, SL_PQ_LZ4_RAW};
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		const struct sl_pq_codec *c = sl_pq_codec_by_id(ids[i]);
		/* an empty body is an empty page, and never reaches the library */
		assert_int_equal(c->decompress(NULL, 0, NULL, 0, &err), 0);
		assert_int_equal(c->decompress(NULL, 0, d, 4, &err), SL_ECORRUPT);
	}
	/* a real stream of nothing decodes to nothing (a v2 page of nulls, zstd) */
	for (size_t ci = 1; ci < N_WRITABLE; ci++) {
		const struct sl_pq_codec *c = sl_pq_codec_by_name(writable[ci]);
		size_t clen;
		uint8_t *z = compress_with(c, d, 0, 0, &clen);
		assert_true(clen > 0);
		assert_int_equal(c->decompress(z, clen, NULL, 0, &err), 0);
		assert_int_equal(c->decompress(z, clen, d, 1, &err), SL_ECORRUPT);
		free(z);
	}
}

static void test_truncated_and_corrupt(void **state)
{
	(void)state;
	uint8_t src[3000];
	fill(src, sizeof(src), 5, 1);
	uint64_t rng = 17;
	for (size_t ci = 1; ci < N_WRITABLE; ci++) {
		const struct sl_pq_codec *c = sl_pq_codec_by_name(writable[ci]);
		size_t clen;
		uint8_t *z = compress_with(c, src, sizeof(src), 0, &clen);
		for (size_t len = 0; len < clen; len++) {
			uint8_t *t = exact(z, len), *out;
			int rc = decompress_into(c, t, len, &out, sizeof(src));
			if (rc == 0)
				fail_msg("%s: %zu of %zu bytes decoded", c->name, len, clen);
			assert_true(rc == SL_ECORRUPT);
			free(out);
			free(t);
		}
		/* random byte changes: an error or exactly the page's size, never more */
		for (int k = 0; k < 300; k++) {
			uint8_t *t = exact(z, clen), *out;
			for (int f = 0; f < 1 + k % 3; f++)
				t[rng_next(&rng) % clen] ^= (uint8_t)(1 + rng_next(&rng) % 255);
			int rc = decompress_into(c, t, clen, &out, sizeof(src));
			assert_true(rc == 0 || rc == SL_ECORRUPT);
			free(out);
			free(t);
		}
		free(z);
	}
}

static void test_gzip_members(void **state)
{
	(void)state;
	const struct sl_pq_codec *g = sl_pq_codec_by_name("gzip");
	uint8_t a[700], b[300];
	fill(a, sizeof(a), 1, 0);
	fill(b, sizeof(b), 2, 1);
	size_t la, lb;
	uint8_t *za = compress_with(g, a, sizeof(a), 0, &la), *zb = compress_with(g, b, sizeof(b), 9, &lb);
	assert_int_equal(za[0], 0x1f); /* gzip magic */
	assert_int_equal(za[1], 0x8b);
	uint8_t *both = malloc(la + lb), *out;
	assert_non_null(both);
	memcpy(both, za, la);
	memcpy(both + la, zb, lb);
	assert_int_equal(decompress_into(g, both, la + lb, &out, 1000), 0);
	assert_memory_equal(out, a, sizeof(a));
	assert_memory_equal(out + 700, b, sizeof(b));
	free(out);
	/* the first member alone is too short; garbage after the members is refused */
	assert_int_equal(decompress_into(g, both, la, &out, 1000), SL_ECORRUPT);
	free(out);
	both[la] = 'x';
	assert_int_equal(decompress_into(g, both, la + lb, &out, 1000), SL_ECORRUPT);
	free(out);
	/* a zlib stream (what some writers put under GZIP) is read too */
	uint8_t zl[1024];
	uLongf zn = sizeof(zl);
	assert_int_equal(compress2(zl, &zn, a, sizeof(a), 6), Z_OK);
	assert_int_equal(decompress_into(g, zl, zn, &out, sizeof(a)), 0);
	assert_memory_equal(out, a, sizeof(a));
	free(out);
	free(both);
	free(za);
	free(zb);
}

static void test_zstd_frames(void **state)
{
	(void)state;
	const struct sl_pq_codec *z = sl_pq_codec_by_name("zstd");
	uint8_t a[2000], f[4096], *out;
	fill(a, sizeof(a), 3, 0);
	/* a frame that declares more than the page: refused before decoding */
	size_t n = ZSTD_compress(f, sizeof(f), a, sizeof(a), 3);
	assert_false(ZSTD_isError(n));
	uint8_t *t = exact(f, n);
	struct sl_err err = {0};
	out = malloc(1000);
	assert_int_equal(z->decompress(t, n, out, 1000, &err), SL_ECORRUPT);
	assert_non_null(strstr(err.msg, "frame of 2000"));
	free(out);
	free(t);
	/* two frames back to back */
	size_t m = ZSTD_compress(f + n, sizeof(f) - n, a, 500, 1);
	assert_false(ZSTD_isError(m));
	t = exact(f, n + m);
	assert_int_equal(decompress_into(z, t, n + m, &out, 2500), 0);
	assert_memory_equal(out, a, 2000);
	assert_memory_equal(out + 2000, a, 500);
	free(out);
	free(t);
	/* not zstd at all */
	assert_int_equal(decompress_into(z, (const uint8_t *)"hello, world", 12, &out, 12),
			 SL_ECORRUPT);
	free(out);
}

static void *zstd_worker(void *arg)
{
	const struct sl_pq_codec *z = sl_pq_codec_by_name("zstd");
	uint64_t seed = (uint64_t)(uintptr_t)arg;
	uint8_t src[8192], dst[ZSTD_COMPRESSBOUND(8192)], back[8192];
	for (int i = 0; i < 50; i++) {
		size_t n = 1000 + (size_t)(rng_next(&seed) % 7000), clen;
		fill(src, n, seed + (uint64_t)i, i & 1);
		if (z->compress(src, n, dst, sizeof(dst), &clen, 0, NULL) != 0 ||
		    z->decompress(dst, clen, back, n, NULL) != 0 || memcmp(src, back, n) != 0)
			return (void *)1;
	}
	return NULL;
}

static void test_zstd_threads(void **state)
{
	(void)state;
	pthread_t t[4];
	for (uintptr_t i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, zstd_worker, (void *)(i + 1)), 0);
	for (int i = 0; i < 4; i++) {
		void *r;
		assert_int_equal(pthread_join(t[i], &r), 0);
		assert_null(r);
	}
	/* and this thread too */
	assert_null(zstd_worker((void *)9));
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void test_lz4_hadoop(void **state)
{
	(void)state;
	const struct sl_pq_codec *h = sl_pq_codec_by_id(SL_PQ_LZ4);
	uint8_t a[1500], buf[4096], *out;
	fill(a, sizeof(a), 4, 1);
	/* two frames: [1000][ca][block of a[0..1000)] [500][cb][block of a[1000..1500)] */
	int ca = LZ4_compress_default((const char *)a, (char *)buf + 8, 1000, 1500);
	assert_true(ca > 0);
	put_be32(buf, 1000);
	put_be32(buf + 4, (uint32_t)ca);
	size_t at = 8 + (size_t)ca;
	int cb = LZ4_compress_default((const char *)a + 1000, (char *)buf + at + 8, 500, 1000);
	assert_true(cb > 0);
	put_be32(buf + at, 500);
	put_be32(buf + at + 4, (uint32_t)cb);
	size_t total = at + 8 + (size_t)cb;
	uint8_t *t = exact(buf, total);
	assert_int_equal(decompress_into(h, t, total, &out, 1500), 0);
	assert_memory_equal(out, a, 1500);
	free(out);
	/* the frames must fill the page exactly */
	assert_int_equal(decompress_into(h, t, total, &out, 1499), SL_ECORRUPT);
	free(out);
	assert_int_equal(decompress_into(h, t, total, &out, 1501), SL_ECORRUPT);
	free(out);
	for (size_t len = 0; len < total; len++) {
		uint8_t *c = exact(buf, len);
		assert_int_equal(decompress_into(h, c, len, &out, 1500), SL_ECORRUPT);
		free(out);
		free(c);
	}
	free(t);
	/* a frame whose compressed size runs past the data: not Hadoop, not a block */
	put_be32(buf + 4, 100000);
	t = exact(buf, total);
	assert_int_equal(decompress_into(h, t, total, &out, 1500), SL_ECORRUPT);
	free(out);
	free(t);
	/* a bare block under id 5 (old parquet-cpp) is read by the fallback */
	int cr = LZ4_compress_default((const char *)a, (char *)buf, 1500, sizeof(buf));
	assert_true(cr > 0);
	t = exact(buf, (size_t)cr);
	assert_int_equal(decompress_into(h, t, (size_t)cr, &out, 1500), 0);
	assert_memory_equal(out, a, 1500);
	free(out);
	free(t);
}

/* Made with libbrotlienc (quality 5): 200 bytes of "sluice parquet " repeated. */
static const uint8_t brotli_200[] = {
	0x1b, 0xc7, 0x00, 0x00, 0xc4, 0x39, 0x86, 0xa9, 0x9a, 0xab, 0x0c, 0xc3, 0x60,
	0xe1, 0x1a, 0x0a, 0x86, 0xd0, 0x7c, 0xe5, 0x0c, 0xa1, 0xb9, 0x63, 0x3d, 0x00,
};

static void test_brotli(void **state)
{
	(void)state;
	const struct sl_pq_codec *b = sl_pq_codec_by_name("brotli");
	uint8_t want[200], *out;
	for (int i = 0; i < 200; i++)
		want[i] = (uint8_t)"sluice parquet "[i % 15];
	uint8_t *t = exact(brotli_200, sizeof(brotli_200));
	assert_int_equal(decompress_into(b, t, sizeof(brotli_200), &out, 200), 0);
	assert_memory_equal(out, want, 200);
	free(out);
	assert_int_equal(decompress_into(b, t, sizeof(brotli_200), &out, 199), SL_ECORRUPT);
	free(out);
	assert_int_equal(decompress_into(b, t, sizeof(brotli_200), &out, 201), SL_ECORRUPT);
	free(out);
	free(t);
	for (size_t len = 0; len < sizeof(brotli_200); len++) {
		t = exact(brotli_200, len);
		assert_int_equal(decompress_into(b, t, len, &out, 200), SL_ECORRUPT);
		free(out);
		free(t);
	}
	/* the empty stream */
	assert_int_equal(decompress_into(b, (const uint8_t *)"\x06", 1, &out, 0), 0);
	free(out);
}

static void test_uncompressed(void **state)
{
	(void)state;
	const struct sl_pq_codec *c = sl_pq_codec_by_id(SL_PQ_UNCOMPRESSED);
	uint8_t *out;
	assert_int_equal(decompress_into(c, (const uint8_t *)"abc", 3, &out, 3), 0);
	assert_memory_equal(out, "abc", 3);
	free(out);
	assert_int_equal(decompress_into(c, (const uint8_t *)"abc", 3, &out, 2), SL_ECORRUPT);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_roundtrips),
		cmocka_unit_test(test_small_cap_and_levels),
		cmocka_unit_test(test_empty_pages),
		cmocka_unit_test(test_truncated_and_corrupt),
		cmocka_unit_test(test_gzip_members),
		cmocka_unit_test(test_zstd_frames),
		cmocka_unit_test(test_zstd_threads),
		cmocka_unit_test(test_lz4_hadoop),
		cmocka_unit_test(test_brotli),
		cmocka_unit_test(test_uncompressed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
