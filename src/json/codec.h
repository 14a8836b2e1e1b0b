/*
 * codec.h - the input-codec seam: how compressed input is turned back into bytes while
 * streaming. A codec is recognised by its magic bytes; "plain" takes everything else.
 */
#ifndef SL_CODEC_H
#define SL_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct sl_codec_ops {
	const char *name;
	/* True if the first n bytes of a stream (n may be short) start this format. */
	int (*sniff)(const unsigned char *head, size_t n);
	int (*open)(void **state, struct sl_err *err);
	/* Decodes from in[0..in_len) into out[0..out_cap): *used input bytes consumed,
	 * *made output bytes produced. in_len == 0 with at_eof tells the codec the input
	 * has ended (it must then say whether the stream was complete). */
	int (*decode)(void *state, const unsigned char *in, size_t in_len, size_t *used,
		      char *out, size_t out_cap, size_t *made, int at_eof, struct sl_err *err);
	void (*close)(void *state);
};

extern const struct sl_codec_ops sl_codec_plain, sl_codec_gzip, sl_codec_zstd;

/* The codec for a stream that starts with head[0..n). */
const struct sl_codec_ops *sl_codec_sniff(const unsigned char *head, size_t n);

#endif
