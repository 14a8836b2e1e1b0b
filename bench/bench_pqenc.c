/*
 * bench_pqenc - Parquet's encodings and codecs alone, one core, best of 5 runs: million
 * values per second for the RLE/bit-packing hybrid (width 1 as definition levels,
 * width 12 as dictionary indices) and DELTA_BINARY_PACKED (timestamps), MB/s of page
 * bytes for each writable codec on a 1 MiB page of NDJSON-like text. Results are
 * checked against the input so that no work can be dropped.
 *
 *   bench_pqenc [N]          (N values per run, default 4 Mi)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parquet/codec.h"
#include "parquet/encoding.h"
#include "util/clock.h"

static uint64_t next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n);
	if (!p) {
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	return p;
}

static void fail(const char *what)
{
	fprintf(stderr, "bench_pqenc: %s\n", what);
	exit(1);
}

static void report(const char *what, double best_s, double units, const char *unit)
{
	printf("%-50s %8.1f %s\n", what, units / best_s / 1e6, unit);
}

static void bench_rle(const char *what, int w, const uint32_t *v, size_t n)
{
	struct sl_buf b;
	struct sl_err err = {0};
	uint32_t *out = xmalloc(n * sizeof(*out));
	double enc = 1e9, dec = 1e9;
	sl_buf_init(&b, (size_t)1 << 30);
	for (int r = 0; r < 5; r++) {
		sl_buf_reset(&b);
		double t0 = sl_mono_s();
		struct sl_pq_rle_enc e;
		sl_pq_rle_enc_init(&e, &b, w);
		sl_pq_rle_enc_put_u32s(&e, v, n);
		if (sl_pq_rle_enc_finish(&e, &err) != 0)
			fail(err.msg);
		double t1 = sl_mono_s();
		struct sl_pq_rle_dec d;
		sl_pq_rle_dec_init(&d, b.data, b.len, w, &err);
		if (sl_pq_rle_dec_u32(&d, out, n, &err) != (int64_t)n)
			fail("rle decode");
		double t2 = sl_mono_s();
		enc = t1 - t0 < enc ? t1 - t0 : enc;
		dec = t2 - t1 < dec ? t2 - t1 : dec;
	}
	if (memcmp(out, v, n * sizeof(*v)) != 0)
		fail("rle round trip");
	char name[96];
	snprintf(name, sizeof(name), "RLE %s decode (%.2f bytes/value)", what,
		 (double)b.len / (double)n);
	report(name, dec, (double)n, "M values/s");
	snprintf(name, sizeof(name), "RLE %s encode", what);
	report(name, enc, (double)n, "M values/s");
	sl_buf_release(&b);
	free(out);
}

static void bench_delta(const int64_t *v, size_t n)
{
	struct sl_buf b;
	struct sl_err err = {0};
	int64_t *out = xmalloc(n * sizeof(*out));
	double enc = 1e9, dec = 1e9;
	sl_buf_init(&b, (size_t)1 << 30);
	for (int r = 0; r < 5; r++) {
		sl_buf_reset(&b);
		double t0 = sl_mono_s();
		if (sl_pq_delta_put(&b, v, n) != 0)
			fail("delta encode");
		double t1 = sl_mono_s();
		size_t got, used;
		if (sl_pq_delta_get(b.data, b.len, out, n, false, &got, &used, &err) != 0 ||
		    got != n)
			fail(err.msg);
		double t2 = sl_mono_s();
		enc = t1 - t0 < enc ? t1 - t0 : enc;
		dec = t2 - t1 < dec ? t2 - t1 : dec;
	}
	if (memcmp(out, v, n * sizeof(*v)) != 0)
		fail("delta round trip");
	char name[96];
	snprintf(name, sizeof(name), "DELTA_BINARY_PACKED decode (%.2f bytes/value)",
		 (double)b.len / (double)n);
	report(name, dec, (double)n, "M values/s");
	report("DELTA_BINARY_PACKED encode", enc, (double)n, "M values/s");
	sl_buf_release(&b);
	free(out);
}

static void bench_codec(const char *name, const uint8_t *page, size_t n)
{
	const struct sl_pq_codec *c = sl_pq_codec_by_name(name);
	struct sl_err err = {0};
	size_t cap = c->bound(n), clen = 0;
	uint8_t *z = xmalloc(cap), *back = xmalloc(n);
	double enc = 1e9, dec = 1e9;
	for (int r = 0; r < 5; r++) {
		double t0 = sl_mono_s();
		if (c->compress(page, n, z, cap, &clen, 0, &err) != 0)
			fail(err.msg);
		double t1 = sl_mono_s();
		if (c->decompress(z, clen, back, n, &err) != 0)
			fail(err.msg);
		double t2 = sl_mono_s();
		enc = t1 - t0 < enc ? t1 - t0 : enc;
		dec = t2 - t1 < dec ? t2 - t1 : dec;
	}
	if (memcmp(back, page, n) != 0)
		fail("codec round trip");
	char what[96];
	snprintf(what, sizeof(what), "%s compress 1 MiB page (ratio %.2f)", name,
		 (double)n / (double)clen);
	report(what, enc, (double)n, "MB/s");
	snprintf(what, sizeof(what), "%s decompress", name);
	report(what, dec, (double)n, "MB/s");
	free(z);
	free(back);
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : (size_t)4 << 20;
	uint64_t rng = 1;
	uint32_t *v = xmalloc(n * sizeof(*v));
	/* definition levels of a column with 10% nulls scattered at random */
	for (size_t i = 0; i < n; i++)
		v[i] = next(&rng) % 10 != 0;
	bench_rle("width 1, 10% nulls", 1, v, n);
	/* definition levels of a column with nulls in stretches */
	for (size_t i = 0; i < n;) {
		size_t len = 1 + next(&rng) % 200;
		uint32_t x = next(&rng) % 4 != 0;
		for (size_t j = 0; j < len && i < n; j++, i++)
			v[i] = x;
	}
	bench_rle("width 1, runs", 1, v, n);
	/* dictionary indices of a column with 4,000 distinct values */
	for (size_t i = 0; i < n; i++)
		v[i] = (uint32_t)(next(&rng) % 4000);
	bench_rle("width 12, random indices", 12, v, n);
	free(v);

	/* microsecond timestamps a few ms apart */
	int64_t *t = xmalloc(n * sizeof(*t));
	int64_t ts = 1764000000000000;
	for (size_t i = 0; i < n; i++)
		t[i] = ts += (int64_t)(next(&rng) % 5000);
	bench_delta(t, n);
	free(t);

	size_t page_len = (size_t)1 << 20;
	uint8_t *page = xmalloc(page_len);
	for (size_t i = 0; i < page_len;) {
		char rec[160];
		int k = snprintf(rec, sizeof(rec),
				 "{\"ts\":\"2026-11-25T12:%02u:%02u.%03uZ\",\"user\":\"u%05u\","
				 "\"event\":\"%s\",\"value\":%u}\n",
				 (unsigned)(next(&rng) % 60), (unsigned)(next(&rng) % 60),
				 (unsigned)(next(&rng) % 1000), (unsigned)(next(&rng) % 20000),
				 next(&rng) % 2 ? "click" : "view", (unsigned)(next(&rng) % 100000));
		for (int j = 0; j < k && i < page_len; j++)
			page[i++] = (uint8_t)rec[j];
	}
	static const char *const codecs[] = {"zstd", "snappy", "lz4_raw", "gzip"};
	for (size_t i = 0; i < 4; i++)
		bench_codec(codecs[i], page, page_len);
	free(page);
	return 0;
}
