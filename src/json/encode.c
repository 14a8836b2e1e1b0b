/*
 * encode.c - output codecs (encode.h): plain (a pass-through), gzip (zlib, level 6, one
 * member) and zstd (level 3, one frame). Output goes to the sink in pieces of at most
 * OUT_CHUNK bytes.
 */
#include "json/encode.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#define OUT_CHUNK ((size_t)128 << 10)

enum kind { K_PLAIN, K_GZIP, K_ZSTD };

struct sl_encoder {
	enum kind kind;
	sl_encode_sink_fn *sink;
	void *ctx;
	unsigned char *out;
	z_stream z;
	int z_init;
	ZSTD_CCtx *zc;
};

int sl_encoder_open(const struct sl_codec_ops *codec, sl_encode_sink_fn *sink, void *ctx,
		    struct sl_encoder **out, struct sl_err *err)
{
	struct sl_encoder *e;
	*out = NULL;
	if (codec != &sl_codec_plain && codec != &sl_codec_gzip && codec != &sl_codec_zstd)
		return sl_err_set(err, SL_EINVAL, "no encoder for %s", codec ? codec->name : "?");
	if (!(e = calloc(1, sizeof(*e))))
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	e->sink = sink;
	e->ctx = ctx;
	e->kind = codec == &sl_codec_gzip ? K_GZIP : codec == &sl_codec_zstd ? K_ZSTD : K_PLAIN;
	if (e->kind != K_PLAIN && !(e->out = malloc(OUT_CHUNK)))
		goto nomem;
	if (e->kind == K_GZIP) {
		if (deflateInit2(&e->z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
			goto nomem;
		e->z_init = 1;
	} else if (e->kind == K_ZSTD) {
		if (!(e->zc = ZSTD_createCCtx()) ||
		    ZSTD_isError(ZSTD_CCtx_setParameter(e->zc, ZSTD_c_compressionLevel, 3)) ||
		    ZSTD_isError(ZSTD_CCtx_setParameter(e->zc, ZSTD_c_checksumFlag, 1)))
			goto nomem;
	}
	*out = e;
	return 0;
nomem:
	sl_encoder_free(e);
	return sl_err_set(err, SL_ENOMEM, "%s: cannot start the encoder", codec->name);
}

static int gzip_run(struct sl_encoder *e, const void *data, size_t len, int flush,
		    struct sl_err *err)
{
	e->z.next_in = (unsigned char *)data;
	for (;;) {
		/* feed at most 1 GiB at a time: avail_in is 32 bits */
		size_t step = len > (1u << 30) ? (1u << 30) : len;
		e->z.avail_in = (uInt)step;
		int last = step == len ? flush : Z_NO_FLUSH;
		int rc;
		do {
			e->z.next_out = e->out;
			e->z.avail_out = (uInt)OUT_CHUNK;
			rc = deflate(&e->z, last);
			if (rc == Z_STREAM_ERROR)
				return sl_err_set(err, SL_EIO, "gzip: deflate failed");
			size_t made = OUT_CHUNK - e->z.avail_out;
			if (made) {
				int src = e->sink(e->ctx, e->out, made, err);
				if (src)
					return src;
			}
		} while (e->z.avail_out == 0 || (last == Z_FINISH && rc != Z_STREAM_END));
		len -= step;
		if (len == 0)
			return 0;
	}
}

static int zstd_run(struct sl_encoder *e, const void *data, size_t len,
		    ZSTD_EndDirective mode, struct sl_err *err)
{
	ZSTD_inBuffer in = {data, len, 0};
	for (;;) {
		ZSTD_outBuffer ob = {e->out, OUT_CHUNK, 0};
		size_t left = ZSTD_compressStream2(e->zc, &ob, &in, mode);
		if (ZSTD_isError(left))
			return sl_err_set(err, SL_EIO, "zstd: %s", ZSTD_getErrorName(left));
		if (ob.pos) {
			int rc = e->sink(e->ctx, e->out, ob.pos, err);
			if (rc)
				return rc;
		}
		if (mode == ZSTD_e_end ? left == 0 : in.pos == in.size)
			return 0;
	}
}

int sl_encoder_write(struct sl_encoder *e, const void *data, size_t len, struct sl_err *err)
{
	if (len == 0)
		return 0;
	switch (e->kind) {
	case K_GZIP: return gzip_run(e, data, len, Z_NO_FLUSH, err);
	case K_ZSTD: return zstd_run(e, data, len, ZSTD_e_continue, err);
	default: return e->sink(e->ctx, data, len, err);
	}
}

int sl_encoder_finish(struct sl_encoder *e, struct sl_err *err)
{
	switch (e->kind) {
	case K_GZIP: return gzip_run(e, "", 0, Z_FINISH, err);
	case K_ZSTD: return zstd_run(e, "", 0, ZSTD_e_end, err);
	default: return 0;
	}
}

void sl_encoder_free(struct sl_encoder *e)
{
	if (!e)
		return;
	if (e->z_init)
		deflateEnd(&e->z);
	ZSTD_freeCCtx(e->zc);
	free(e->out);
	free(e);
}
