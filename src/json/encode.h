/*
 * encode.h - output codecs: the inverse of codec.h, for stages that rewrite part of an
 * object and keep its compression (the validator splits a gzip object into a gzip raw
 * object and a gzip dead letter).
 *
 * An encoder compresses what it is given and hands the compressed bytes to a sink as
 * they are produced, so memory does not depend on the size of the data.
 */
#ifndef SL_ENCODE_H
#define SL_ENCODE_H

#include <stddef.h>

#include "json/codec.h"
#include "util/err.h"

/* Receives compressed bytes; returns 0 or an error (which the encoder returns). */
typedef int sl_encode_sink_fn(void *ctx, const void *data, size_t len, struct sl_err *err);

struct sl_encoder;

/* An encoder for the format of codec (sl_codec_plain, sl_codec_gzip, sl_codec_zstd: the
 * codec sl_codec_sniff recognised in the input). SL_EINVAL for another codec. */
int sl_encoder_open(const struct sl_codec_ops *codec, sl_encode_sink_fn *sink, void *ctx,
		    struct sl_encoder **out, struct sl_err *err);
int sl_encoder_write(struct sl_encoder *e, const void *data, size_t len, struct sl_err *err);
/* Ends the stream (gzip trailer, zstd frame end) and hands out what is left. */
int sl_encoder_finish(struct sl_encoder *e, struct sl_err *err);
void sl_encoder_free(struct sl_encoder *e); /* NULL ok */

#endif
