/*
 * fuzz_pqenc.c - libFuzzer harness for Parquet's encodings and codecs. The first byte
 * picks a decoder, the second is its parameter (bit width, value count, codec size),
 * the rest is the data, decoded from an exact-size copy so that ASan sees any read
 * past it. Each decoder must keep encoding.h's and codec.h's promises: fail with
 * SL_ECORRUPT (or SL_ELIMIT for a size limit) and a message, or return at most what was
 * asked with offsets inside the data. What decodes is encoded again and must decode to
 * the same values (RLE, DELTA_*, BYTE_STREAM_SPLIT, writable codecs). Never a crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parquet/codec.h"
#include "parquet/encoding.h"
#include "parquet/format.h"

#define MAX_VALUES 65536
#define MAX_DST ((size_t)1 << 20)

static void die(const char *what, const char *why)
{
	fprintf(stderr, "fuzz_pqenc: %s: %s\n", what, why);
	abort();
}

static void check_rc(const char *what, int rc, const struct sl_err *err)
{
	if (rc >= 0)
		return;
	if (rc != SL_ECORRUPT && rc != SL_ELIMIT)
		die(what, "an error other than corrupt or limit");
	if (err->msg[0] == '\0')
		die(what, "an error without a message");
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		die("malloc", "out of memory");
	return p;
}

static void fuzz_rle(const uint8_t *p, size_t n, uint8_t arg)
{
	int w = arg % 33;
	size_t chunk = 1 + (size_t)(arg >> 5) * 37; /* 1 .. 260: mid-group calls too */
	uint32_t *out = xmalloc(MAX_VALUES * sizeof(*out));
	struct sl_pq_rle_dec d;
	struct sl_err err = {0};
	if (sl_pq_rle_dec_init(&d, p, n, w, &err) != 0)
		die("rle", "init refused a width in 0..32");
	size_t got = 0;
	int64_t r = 0;
	while (got < MAX_VALUES) {
		size_t k = MAX_VALUES - got < chunk ? MAX_VALUES - got : chunk;
		r = sl_pq_rle_dec_u32(&d, out + got, k, &err);
		if (r < 0 || (size_t)r > k)
			break;
		got += (size_t)r;
		if ((size_t)r < k)
			break;
	}
	check_rc("rle", r < 0 ? (int)r : 0, &err);
	for (size_t i = 0; i < got; i++)
		if (w < 32 && out[i] >> w)
			die("rle", "a value wider than the bit width");
	/* encode what was decoded, decode it again */
	struct sl_buf b;
	sl_buf_init(&b, 0);
	struct sl_pq_rle_enc e;
	sl_pq_rle_enc_init(&e, &b, w);
	sl_pq_rle_enc_put_u32s(&e, out, got);
	if (sl_pq_rle_enc_finish(&e, &err) != 0)
		die("rle", "cannot encode what was decoded");
	uint32_t *again = xmalloc((got + 1) * sizeof(*again));
	if (sl_pq_rle_dec_init(&d, b.data, b.len, w, &err) != 0 ||
	    sl_pq_rle_dec_u32(&d, again, got, &err) != (int64_t)got ||
	    memcmp(out, again, got * sizeof(*out)) != 0)
		die("rle", "round trip differs");
	free(again);
	sl_buf_release(&b);
	free(out);
}

static void fuzz_delta(const uint8_t *p, size_t n, uint8_t arg, bool is32)
{
	size_t cap = (size_t)arg * 64;
	int64_t *out = xmalloc(cap * sizeof(*out));
	size_t got = 0, used = 0;
	struct sl_err err = {0};
	int rc = sl_pq_delta_get(p, n, out, cap, is32, &got, &used, &err);
	check_rc("delta", rc, &err);
	if (rc == 0) {
		if (got > cap || used > n)
			die("delta", "more values or bytes than there are");
		struct sl_buf b;
		sl_buf_init(&b, 0);
		int32_t *v32 = xmalloc(got * sizeof(*v32));
		for (size_t i = 0; i < got; i++) {
			if (is32 && (out[i] < INT32_MIN || out[i] > INT32_MAX))
				die("delta", "an INT32 value out of range");
			v32[i] = (int32_t)out[i];
		}
		if ((is32 ? sl_pq_delta_put_i32(&b, v32, got) : sl_pq_delta_put(&b, out, got)) != 0)
			die("delta", "cannot encode what was decoded");
		int64_t *again = xmalloc(got * sizeof(*again));
		size_t g2, u2;
		if (sl_pq_delta_get(b.data, b.len, again, got, is32, &g2, &u2, &err) != 0 ||
		    g2 != got || u2 != b.len || memcmp(out, again, got * sizeof(*out)) != 0)
			die("delta", "round trip differs");
		free(again);
		free(v32);
		sl_buf_release(&b);
	}
	free(out);
}

static void check_barrs(const char *what, const struct sl_pq_barr *v, size_t got,
			size_t area)
{
	for (size_t i = 0; i < got; i++)
		if (v[i].off > area || v[i].len > area - v[i].off)
			die(what, "a value outside its data");
}

static void fuzz_byte_arrays(const uint8_t *p, size_t n, uint8_t arg, int kind)
{
	size_t cap = (size_t)arg * 16;
	struct sl_pq_barr *out = xmalloc(cap * sizeof(*out));
	struct sl_buf data, b;
	struct sl_err err = {0};
	size_t got = 0;
	sl_buf_init(&data, MAX_DST);
	sl_buf_init(&b, 0);
	int rc;
	const uint8_t *area;
	size_t area_len;
	if (kind == 0) {
		rc = sl_pq_dlba_get(p, n, out, cap, &got, &err);
		area = p;
		area_len = n;
	} else if (kind == 1) {
		rc = sl_pq_dba_get(p, n, out, cap, &data, &got, &err);
		area = (const uint8_t *)data.data;
		area_len = data.len;
	} else {
		got = cap;
		rc = sl_pq_plain_get_barrs(p, n, out, cap, NULL, &err);
		area = p;
		area_len = n;
	}
	check_rc("byte arrays", rc, &err);
	if (rc == 0) {
		check_barrs("byte arrays", out, got, area_len);
		if (kind < 2) { /* round trip through the encoder of the same kind */
			struct sl_pq_barr *again = xmalloc(got * sizeof(*again));
			struct sl_buf d2;
			size_t g2;
			sl_buf_init(&d2, 0);
			if ((kind ? sl_pq_dba_put(&b, area, out, got)
				  : sl_pq_dlba_put(&b, area, out, got)) != 0)
				die("byte arrays", "cannot encode what was decoded");
			rc = kind ? sl_pq_dba_get(b.data, b.len, again, got, &d2, &g2, &err)
				  : sl_pq_dlba_get(b.data, b.len, again, got, &g2, &err);
			const uint8_t *a2 = kind ? (const uint8_t *)d2.data : (const uint8_t *)b.data;
			if (rc != 0 || g2 != got)
				die("byte arrays", "round trip fails");
			for (size_t i = 0; i < got; i++)
				if (again[i].len != out[i].len ||
				    memcmp(a2 + again[i].off, area + out[i].off, out[i].len) != 0)
					die("byte arrays", "round trip differs");
			sl_buf_release(&d2);
			free(again);
		}
	}
	sl_buf_release(&b);
	sl_buf_release(&data);
	free(out);
}

static void fuzz_bss(const uint8_t *p, size_t n, uint8_t arg)
{
	size_t w = (size_t)(arg & 15) + 1, count = n / w;
	if (arg & 16) /* fewer values than the streams hold */
		count /= 2;
	uint8_t *out = xmalloc(count * w);
	struct sl_err err = {0};
	int rc = sl_pq_bss_get(p, n, w, out, count, &err);
	if (rc)
		die("bss", err.msg);
	if (sl_pq_bss_get(p, n, w, out, n / w + 1, &err) != SL_ECORRUPT)
		die("bss", "more values than the data holds");
	if (!(arg & 16)) {
		struct sl_buf b;
		sl_buf_init(&b, 0);
		if (sl_pq_bss_put(&b, out, w, count) != 0 || b.len != count * w ||
		    memcmp(b.data, p, count * w) != 0)
			die("bss", "round trip differs");
		sl_buf_release(&b);
	}
	free(out);
}

static void fuzz_bools(const uint8_t *p, size_t n, uint8_t arg)
{
	size_t count = (size_t)arg * 8 + arg % 8;
	uint8_t *out = xmalloc(count);
	struct sl_err err = {0};
	int rc = sl_pq_plain_get_bools(p, n, out, count, &err);
	check_rc("bools", rc, &err);
	if ((rc == 0) != ((count + 7) / 8 <= n))
		die("bools", "wrong verdict on the size");
	for (size_t i = 0; rc == 0 && i < count; i++)
		if (out[i] > 1)
			die("bools", "a boolean that is not 0 or 1");
	free(out);
}

static void fuzz_codec(const uint8_t *p, size_t n, int id)
{
	const struct sl_pq_codec *c = sl_pq_codec_by_id(id);
	if (!c)
		die("codec", "a supported id has no codec");
	if (n < 3)
		return;
	size_t dst_len = ((size_t)p[0] | (size_t)p[1] << 8 | (size_t)p[2] << 16) % (MAX_DST + 1);
	p += 3;
	n -= 3;
	uint8_t *src = xmalloc(n), *dst = xmalloc(dst_len);
	memcpy(src, p, n);
	struct sl_err err = {0};
	int rc = c->decompress(src, n, dst, dst_len, &err);
	check_rc(c->name, rc, &err);
	if (rc == 0 && c->compress) {
		size_t cap = c->bound(dst_len), clen;
		uint8_t *z = xmalloc(cap), *back = xmalloc(dst_len);
		if (c->compress(dst, dst_len, z, cap, &clen, 0, &err) != 0 ||
		    c->decompress(z, clen, back, dst_len, &err) != 0 ||
		    memcmp(dst, back, dst_len) != 0)
			die(c->name, "round trip differs");
		free(back);
		free(z);
	}
	free(dst);
	free(src);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int ids[] = {SL_PQ_UNCOMPRESSED, SL_PQ_SNAPPY, SL_PQ_GZIP, SL_PQ_BROTLI,
				  SL_PQ_LZ4, SL_PQ_ZSTD, SL_PQ_LZ4_RAW};
	if (size < 2)
		return 0;
	uint8_t sel = data[0] % 16, arg = data[1];
	size_t n = size - 2;
	uint8_t *p = xmalloc(n); /* exact size: reads past it are ASan reports */
	memcpy(p, data + 2, n);
	switch (sel) {
	case 0:
	case 15: fuzz_rle(p, n, arg); break;
	case 1: fuzz_delta(p, n, arg, true); break;
	case 2: fuzz_delta(p, n, arg, false); break;
	case 3: fuzz_byte_arrays(p, n, arg, 0); break;
	case 4: fuzz_byte_arrays(p, n, arg, 1); break;
	case 5: fuzz_bss(p, n, arg); break;
	case 6: fuzz_byte_arrays(p, n, arg, 2); break;
	case 7: fuzz_bools(p, n, arg); break;
	default: fuzz_codec(p, n, ids[sel - 8]); break;
	}
	free(p);
	return 0;
}
