/*
 * codec.h - page compression codecs, one struct of callbacks per codec (the seam that
 * a new codec plugs into). Decompression is told the exact size the page header
 * promises and fails (SL_ECORRUPT) when the data does not produce exactly that many
 * bytes, so a corrupt or hostile page cannot make it write past its buffer or allocate
 * more than the header said (the caller checks that size against its own limits first).
 */
#ifndef SL_PQ_CODEC_H
#define SL_PQ_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct sl_pq_codec {
	int id;           /* enum sl_pq_codec_id */
	const char *name; /* "zstd", "snappy", "gzip", "none", "lz4_raw", ... */
	/* NULL when this codec can only be read. */
	size_t (*bound)(size_t src_len);
	/* level: codec-specific (zstd 1..22, gzip 1..9); 0 = the codec's default. Writes
	 * at most cap bytes to dst; sets *out_len. */
	int (*compress)(const void *src, size_t src_len, void *dst, size_t cap,
			size_t *out_len, int level, struct sl_err *err);
	/* Must produce exactly dst_len bytes from src. */
	int (*decompress)(const void *src, size_t src_len, void *dst, size_t dst_len,
			  struct sl_err *err);
};

/* By Parquet codec id; NULL if unsupported (LZO). LZ4 (id 5) tries the Hadoop framing
 * then a raw block, as other readers do. */
const struct sl_pq_codec *sl_pq_codec_by_id(int id);
/* By name as given on the command line or in configuration; NULL if unknown. */
const struct sl_pq_codec *sl_pq_codec_by_name(const char *name);

#endif
