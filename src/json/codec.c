/*
 * codec.c - plain, gzip (zlib, concatenated members too) and zstd (libzstd, any number
 * of frames) decoding for streaming input. A truncated or corrupt compressed stream is an
 * error, never silently shorter data.
 */
#include "json/codec.h"

#include <stdlib.h>
#include <string.h>

#include <zlib.h>
#include <zstd.h>

/* ---- plain ----------------------------------------------------------------------------- */

static int plain_sniff(const unsigned char *h, size_t n)
{
	(void)h;
	(void)n;
	return 1;
}

static int plain_open(void **state, struct sl_err *err)
{
	(void)err;
	*state = NULL;
	return 0;
}

static int plain_decode(void *state, const unsigned char *in, size_t in_len, size_t *used,
			char *out, size_t out_cap, size_t *made, int at_eof, struct sl_err *err)
{
	(void)state;
	(void)at_eof;
	(void)err;
	size_t n = in_len < out_cap ? in_len : out_cap;
	memcpy(out, in, n);
	*used = *made = n;
	return 0;
}

static void plain_close(void *state)
{
	(void)state;
}

const struct sl_codec_ops sl_codec_plain = {"plain", plain_sniff, plain_open, plain_decode,
					    plain_close};

/* ---- gzip ------------------------------------------------------------------------------ */

struct gz {
	z_stream z;
	int ended; /* the last member ended exactly at the end of its input so far */
};

static int gzip_sniff(const unsigned char *h, size_t n)
{
	return n >= 2 && h[0] == 0x1f && h[1] == 0x8b;
}

static int gzip_open(void **state, struct sl_err *err)
{
	struct gz *g = calloc(1, sizeof(*g));
	if (!g || inflateInit2(&g->z, 15 + 16) != Z_OK) {
		free(g);
		return sl_err_set(err, SL_ENOMEM, "gzip: cannot start the decoder");
	}
	*state = g;
	return 0;
}

static int gzip_decode(void *state, const unsigned char *in, size_t in_len, size_t *used,
		       char *out, size_t out_cap, size_t *made, int at_eof, struct sl_err *err)
{
	struct gz *g = state;
	*used = *made = 0;
	if (in_len == 0) {
		if (at_eof && !g->ended)
			return sl_err_set(err, SL_ECORRUPT, "gzip: the stream is truncated");
		return 0;
	}
	if (g->ended) {
		/* another member follows (as gzip writes for concatenated files) */
		if (inflateReset(&g->z) != Z_OK)
			return sl_err_set(err, SL_ECORRUPT, "gzip: cannot start the next member");
		g->ended = 0;
	}
	g->z.next_in = (unsigned char *)in;
	g->z.avail_in = (uInt)(in_len > UINT32_MAX ? UINT32_MAX : in_len);
	g->z.next_out = (unsigned char *)out;
	g->z.avail_out = (uInt)(out_cap > UINT32_MAX ? UINT32_MAX : out_cap);
	int rc = inflate(&g->z, Z_NO_FLUSH);
	*used = (size_t)(g->z.next_in - in);
	*made = (size_t)(g->z.next_out - (unsigned char *)out);
	if (rc == Z_STREAM_END) {
		g->ended = 1;
		return 0;
	}
	if (rc == Z_OK || rc == Z_BUF_ERROR)
		return 0;
	return sl_err_set(err, SL_ECORRUPT, "gzip: corrupt data (%s)",
			  g->z.msg ? g->z.msg : "inflate failed");
}

static void gzip_close(void *state)
{
	struct gz *g = state;
	if (g) {
		inflateEnd(&g->z);
		free(g);
	}
}

const struct sl_codec_ops sl_codec_gzip = {"gzip", gzip_sniff, gzip_open, gzip_decode,
					   gzip_close};

/* ---- zstd ------------------------------------------------------------------------------ */

struct zs {
	ZSTD_DStream *d;
	size_t hint; /* 0 when a frame has just been completed */
};

static int zstd_sniff(const unsigned char *h, size_t n)
{
	return n >= 4 && h[0] == 0x28 && h[1] == 0xb5 && h[2] == 0x2f && h[3] == 0xfd;
}

static int zstd_open(void **state, struct sl_err *err)
{
	struct zs *z = calloc(1, sizeof(*z));
	if (!z || !(z->d = ZSTD_createDStream())) {
		free(z);
		return sl_err_set(err, SL_ENOMEM, "zstd: cannot start the decoder");
	}
	/* a window larger than 128 MiB would let a hostile file take that much memory */
	ZSTD_DCtx_setParameter(z->d, ZSTD_d_windowLogMax, 27);
	z->hint = 1;
	*state = z;
	return 0;
}

static int zstd_decode(void *state, const unsigned char *in, size_t in_len, size_t *used,
		       char *out, size_t out_cap, size_t *made, int at_eof, struct sl_err *err)
{
	struct zs *z = state;
	*used = *made = 0;
	if (in_len == 0) {
		if (at_eof && z->hint != 0)
			return sl_err_set(err, SL_ECORRUPT, "zstd: the stream is truncated");
		return 0;
	}
	ZSTD_inBuffer ib = {in, in_len, 0};
	ZSTD_outBuffer ob = {out, out_cap, 0};
	size_t r = ZSTD_decompressStream(z->d, &ob, &ib);
	*used = ib.pos;
	*made = ob.pos;
	if (ZSTD_isError(r))
		return sl_err_set(err, SL_ECORRUPT, "zstd: corrupt data (%s)", ZSTD_getErrorName(r));
	z->hint = r;
	return 0;
}

static void zstd_close(void *state)
{
	struct zs *z = state;
	if (z) {
		ZSTD_freeDStream(z->d);
		free(z);
	}
}

const struct sl_codec_ops sl_codec_zstd = {"zstd", zstd_sniff, zstd_open, zstd_decode,
					   zstd_close};

const struct sl_codec_ops *sl_codec_sniff(const unsigned char *head, size_t n)
{
	static const struct sl_codec_ops *const codecs[] = {&sl_codec_gzip, &sl_codec_zstd};
	for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++)
		if (codecs[i]->sniff(head, n))
			return codecs[i];
	return &sl_codec_plain;
}
