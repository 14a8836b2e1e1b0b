/*
 * codec.c - page compression codecs (codec.h) over Debian's libraries: snappy, zlib
 * (GZIP), zstd, lz4 (LZ4_RAW, and LZ4 with Hadoop's framing) and brotli (read only).
 *
 * Promises:
 *   1. A decompressor produces exactly dst_len bytes or fails with SL_ECORRUPT; the
 *      library is always told dst_len as its output capacity, so it never writes past
 *      dst, and a size the compressed data declares is checked before decoding.
 *   2. An empty body is only valid for an empty page, and is never handed to a library
 *      (several reject it).
 *   3. zstd reuses one compression and one decompression context per thread (a
 *      pthread key frees them when the thread exits): creating them per page costs
 *      more than compressing a small page.
 * Page sizes are int32 in the page header, so sizes above INT32_MAX are refused here,
 * which also keeps every size inside the libraries' int and uInt parameters.
 */
#include "parquet/codec.h"

#include <brotli/decode.h>
#include <limits.h>
#include <lz4.h>
#include <pthread.h>
#include <stdbool.h>
#include <snappy-c.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "parquet/format.h"

static int bad(struct sl_err *err, const char *codec, const char *what)
{
	return sl_err_set(err, SL_ECORRUPT, "%s: %s", codec, what);
}

/* Checks sizes common to every decompressor; returns 1 when the page is empty and
 * nothing is left to do, 0 to go on, or an error. */
static int dec_begin(const char *codec, size_t src_len, size_t dst_len, struct sl_err *err)
{
	if (src_len > INT32_MAX || dst_len > INT32_MAX)
		return sl_err_set(err, SL_ELIMIT, "%s: page over 2 GiB", codec);
	if (src_len == 0) {
		if (dst_len == 0)
			return 1;
		return sl_err_set(err, SL_ECORRUPT, "%s: empty data for a page of %zu bytes",
				  codec, dst_len);
	}
	return 0;
}

static int enc_begin(const char *codec, size_t src_len, struct sl_err *err)
{
	if (src_len > INT32_MAX)
		return sl_err_set(err, SL_ELIMIT, "%s: page over 2 GiB", codec);
	return 0;
}

static int too_small(struct sl_err *err, const char *codec, size_t cap)
{
	return sl_err_set(err, SL_ELIMIT, "%s: compressed page does not fit in %zu bytes",
			  codec, cap);
}

/* ---- UNCOMPRESSED ------------------------------------------------------------------ */

static size_t none_bound(size_t n)
{
	return n;
}

static int none_compress(const void *src, size_t src_len, void *dst, size_t cap,
			 size_t *out_len, int level, struct sl_err *err)
{
	(void)level;
	if (src_len > cap)
		return too_small(err, "none", cap);
	if (src_len)
		memcpy(dst, src, src_len);
	*out_len = src_len;
	return 0;
}

static int none_decompress(const void *src, size_t src_len, void *dst, size_t dst_len,
			   struct sl_err *err)
{
	if (src_len != dst_len)
		return sl_err_set(err, SL_ECORRUPT,
				  "uncompressed page of %zu bytes where %zu are expected", src_len,
				  dst_len);
	if (src_len)
		memcpy(dst, src, src_len);
	return 0;
}

/* ---- SNAPPY ------------------------------------------------------------------------ */

static size_t snappy_bound(size_t n)
{
	return snappy_max_compressed_length(n);
}

static int snappy_compress_(const void *src, size_t src_len, void *dst, size_t cap,
			    size_t *out_len, int level, struct sl_err *err)
{
	(void)level;
	int rc = enc_begin("snappy", src_len, err);
	if (rc)
		return rc;
	/* snappy needs room for its worst case whatever the data */
	if (cap < snappy_max_compressed_length(src_len))
		return sl_err_set(err, SL_EINVAL, "snappy: output smaller than the bound");
	size_t n = cap;
	if (snappy_compress(src, src_len, dst, &n) != SNAPPY_OK)
		return sl_err_set(err, SL_EIO, "snappy: compression failed");
	*out_len = n;
	return 0;
}

static int snappy_decompress(const void *src, size_t src_len, void *dst, size_t dst_len,
			     struct sl_err *err)
{
	uint8_t one; /* dst for an empty page, which may be NULL: libraries want a pointer */
	if (dst_len == 0)
		dst = &one;
	int rc = dec_begin("snappy", src_len, dst_len, err);
	if (rc)
		return rc < 0 ? rc : 0;
	size_t n;
	if (snappy_uncompressed_length(src, src_len, &n) != SNAPPY_OK)
		return bad(err, "snappy", "bad length header");
	if (n != dst_len)
		return sl_err_set(err, SL_ECORRUPT, "snappy: data of %zu bytes where %zu are expected",
				  n, dst_len);
	n = dst_len;
	if (snappy_uncompress(src, src_len, dst, &n) != SNAPPY_OK ||
	    n != dst_len)
		return bad(err, "snappy", "corrupt data");
	return 0;
}

/* ---- GZIP -------------------------------------------------------------------------- */

static size_t gzip_bound(size_t n)
{
	/* compressBound covers a zlib stream (6 bytes of framing); gzip's is 18 */
	return compressBound((uLong)n) + 18;
}

static int gzip_compress(const void *src, size_t src_len, void *dst, size_t cap,
			 size_t *out_len, int level, struct sl_err *err)
{
	int rc = enc_begin("gzip", src_len, err);
	if (rc)
		return rc;
	if (level < 0 || level > 9)
		return sl_err_set(err, SL_EINVAL, "gzip: level %d outside 1..9", level);
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	/* windowBits 15 + 16: a gzip wrapper, as Parquet's GZIP means */
	if (deflateInit2(&zs, level ? level : Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return sl_err_set(err, SL_ENOMEM, "gzip: cannot start the compressor");
	zs.next_in = (Bytef *)(uintptr_t)src;
	zs.avail_in = (uInt)src_len;
	zs.next_out = dst;
	zs.avail_out = cap > UINT_MAX ? UINT_MAX : (uInt)cap;
	int zrc = deflate(&zs, Z_FINISH);
	*out_len = zs.total_out;
	deflateEnd(&zs);
	if (zrc != Z_STREAM_END)
		return zrc == Z_OK || zrc == Z_BUF_ERROR ? too_small(err, "gzip", cap)
							 : sl_err_set(err, SL_EIO, "gzip: %s",
								      zError(zrc));
	return 0;
}

/* Members are inflated one after another (a gzip file may be several concatenated);
 * the zlib format is accepted too (windowBits + 32 detects either). */
static int gzip_decompress(const void *src, size_t src_len, void *dst, size_t dst_len,
			   struct sl_err *err)
{
	uint8_t one; /* dst for an empty page, which may be NULL: libraries want a pointer */
	if (dst_len == 0)
		dst = &one;
	int rc = dec_begin("gzip", src_len, dst_len, err);
	if (rc)
		return rc < 0 ? rc : 0;
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 15 + 32) != Z_OK)
		return sl_err_set(err, SL_ENOMEM, "gzip: cannot start the decompressor");
	zs.next_in = (Bytef *)(uintptr_t)src;
	zs.avail_in = (uInt)src_len;
	zs.next_out = dst;
	zs.avail_out = (uInt)dst_len;
	for (;;) {
		int zrc = inflate(&zs, Z_NO_FLUSH);
		if (zrc == Z_STREAM_END) {
			if (zs.avail_in == 0)
				break;
			if (inflateReset(&zs) != Z_OK) {
				rc = bad(err, "gzip", "cannot restart for the next member");
				goto fail;
			}
			continue;
		}
		if (zrc == Z_OK)
			continue; /* progress was made */
		if (zrc == Z_BUF_ERROR)
			rc = zs.avail_out == 0
				     ? sl_err_set(err, SL_ECORRUPT,
						  "gzip: data inflates to more than %zu bytes", dst_len)
				     : bad(err, "gzip", "truncated data");
		else if (zrc == Z_MEM_ERROR)
			rc = sl_err_set(err, SL_ENOMEM, "gzip: out of memory");
		else
			rc = sl_err_set(err, SL_ECORRUPT, "gzip: %s",
					zs.msg ? zs.msg : zError(zrc));
		goto fail;
	}
	if (zs.avail_out != 0) {
		rc = sl_err_set(err, SL_ECORRUPT, "gzip: data inflates to %zu bytes where %zu are "
				"expected", dst_len - zs.avail_out, dst_len);
		goto fail;
	}
	inflateEnd(&zs);
	return 0;
fail:
	inflateEnd(&zs);
	return rc;
}

/* ---- ZSTD -------------------------------------------------------------------------- */

struct zstd_ctx {
	ZSTD_CCtx *c;
	ZSTD_DCtx *d;
};

static pthread_key_t zstd_key;
static pthread_once_t zstd_once = PTHREAD_ONCE_INIT;
static int zstd_key_ok;

static void zstd_ctx_free(void *p)
{
	struct zstd_ctx *z = p;
	ZSTD_freeCCtx(z->c);
	ZSTD_freeDCtx(z->d);
	free(z);
}

static void zstd_key_create(void)
{
	zstd_key_ok = pthread_key_create(&zstd_key, zstd_ctx_free) == 0;
}

/* This thread's contexts (the one asked for created on first use), or NULL. */
static struct zstd_ctx *zstd_ctx(bool compress)
{
	pthread_once(&zstd_once, zstd_key_create);
	if (!zstd_key_ok)
		return NULL;
	struct zstd_ctx *z = pthread_getspecific(zstd_key);
	if (!z) {
		z = calloc(1, sizeof(*z));
		if (!z)
			return NULL;
		if (pthread_setspecific(zstd_key, z) != 0) {
			free(z);
			return NULL;
		}
	}
	if (compress && !z->c)
		z->c = ZSTD_createCCtx();
	if (!compress && !z->d)
		z->d = ZSTD_createDCtx();
	if (compress ? !z->c : !z->d)
		return NULL;
	return z;
}

static size_t zstd_bound(size_t n)
{
	return ZSTD_compressBound(n);
}

static int zstd_compress(const void *src, size_t src_len, void *dst, size_t cap,
			 size_t *out_len, int level, struct sl_err *err)
{
	int rc = enc_begin("zstd", src_len, err);
	if (rc)
		return rc;
	if (level == 0)
		level = ZSTD_CLEVEL_DEFAULT;
	if (level < ZSTD_minCLevel() || level > ZSTD_maxCLevel())
		return sl_err_set(err, SL_EINVAL, "zstd: level %d outside %d..%d", level,
				  ZSTD_minCLevel(), ZSTD_maxCLevel());
	struct zstd_ctx *z = zstd_ctx(true);
	if (!z)
		return sl_err_set(err, SL_ENOMEM, "zstd: cannot create a context");
	size_t n = ZSTD_compressCCtx(z->c, dst, cap, src, src_len, level);
	if (ZSTD_isError(n))
		return ZSTD_getErrorCode(n) == ZSTD_error_dstSize_tooSmall
			       ? too_small(err, "zstd", cap)
			       : sl_err_set(err, SL_EIO, "zstd: %s", ZSTD_getErrorName(n));
	*out_len = n;
	return 0;
}

static int zstd_decompress(const void *src, size_t src_len, void *dst, size_t dst_len,
			   struct sl_err *err)
{
	uint8_t one; /* dst for an empty page, which may be NULL: libraries want a pointer */
	if (dst_len == 0)
		dst = &one;
	int rc = dec_begin("zstd", src_len, dst_len, err);
	if (rc)
		return rc < 0 ? rc : 0;
	/* the first frame's declared size, when there is one, is checked before any work */
	unsigned long long fcs = ZSTD_getFrameContentSize(src, src_len);
	if (fcs == ZSTD_CONTENTSIZE_ERROR)
		return bad(err, "zstd", "not a zstd frame");
	if (fcs != ZSTD_CONTENTSIZE_UNKNOWN && fcs > dst_len)
		return sl_err_set(err, SL_ECORRUPT,
				  "zstd: frame of %llu bytes where %zu are expected", fcs, dst_len);
	struct zstd_ctx *z = zstd_ctx(false);
	if (!z)
		return sl_err_set(err, SL_ENOMEM, "zstd: cannot create a context");
	size_t n = ZSTD_decompressDCtx(z->d, dst, dst_len, src, src_len);
	if (ZSTD_isError(n))
		return sl_err_set(err, SL_ECORRUPT, "zstd: %s (page of %zu bytes)",
				  ZSTD_getErrorName(n), dst_len);
	if (n != dst_len)
		return sl_err_set(err, SL_ECORRUPT,
				  "zstd: data of %zu bytes where %zu are expected", n, dst_len);
	return 0;
}

/* ---- LZ4_RAW and LZ4 --------------------------------------------------------------- */

static size_t lz4_bound(size_t n)
{
	/* LZ4_compressBound is int-sized; this is its formula */
	return n + n / 255 + 16;
}

static int lz4_compress(const void *src, size_t src_len, void *dst, size_t cap,
			size_t *out_len, int level, struct sl_err *err)
{
	(void)level;
	int rc = enc_begin("lz4_raw", src_len, err);
	if (rc)
		return rc;
	int n = LZ4_compress_default(src, dst, (int)src_len, cap > INT_MAX ? INT_MAX : (int)cap);
	if (n <= 0)
		return too_small(err, "lz4_raw", cap);
	*out_len = (size_t)n;
	return 0;
}

static int lz4_raw_decompress(const void *src, size_t src_len, void *dst, size_t dst_len,
			      struct sl_err *err)
{
	uint8_t one; /* dst for an empty page, which may be NULL: libraries want a pointer */
	if (dst_len == 0)
		dst = &one;
	int rc = dec_begin("lz4_raw", src_len, dst_len, err);
	if (rc)
		return rc < 0 ? rc : 0;
	int n = LZ4_decompress_safe(src, dst, (int)src_len, (int)dst_len);
	if (n < 0)
		return bad(err, "lz4_raw", "corrupt block or more data than the page holds");
	if ((size_t)n != dst_len)
		return sl_err_set(err, SL_ECORRUPT,
				  "lz4_raw: block of %d bytes where %zu are expected", n, dst_len);
	return 0;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Hadoop's framing as parquet-mr writes it: frames of [uncompressed size, BE32]
 * [compressed size, BE32][LZ4 block] filling the data exactly. 0 when it decodes to
 * exactly dst_len bytes. */
static int lz4_hadoop(const uint8_t *src, size_t src_len, uint8_t *dst, size_t dst_len)
{
	size_t in = 0, out = 0;
	while (src_len - in >= 8) {
		uint32_t usize = be32(src + in), csize = be32(src + in + 4);
		in += 8;
		if (csize > src_len - in || usize > dst_len - out)
			return -1;
		if (usize > 0 || csize > 0) {
			if (LZ4_decompress_safe((const char *)src + in, (char *)dst + out,
						(int)csize, (int)usize) != (int)usize)
				return -1;
		}
		in += csize;
		out += usize;
	}
	return in == src_len && out == dst_len ? 0 : -1;
}

/* Codec id 5: Hadoop's framing first, then a bare block as old parquet-cpp wrote. */
static int lz4_decompress(const void *src, size_t src_len, void *dst, size_t dst_len,
			  struct sl_err *err)
{
	uint8_t one; /* dst for an empty page, which may be NULL: libraries want a pointer */
	if (dst_len == 0)
		dst = &one;
	int rc = dec_begin("lz4", src_len, dst_len, err);
	if (rc)
		return rc < 0 ? rc : 0;
	if (lz4_hadoop(src, src_len, dst, dst_len) == 0)
		return 0;
	rc = lz4_raw_decompress(src, src_len, dst, dst_len, err);
	if (rc)
		sl_err_set(err, SL_ECORRUPT, "lz4: neither Hadoop frames nor a block of %zu bytes",
			   dst_len);
	return rc;
}

/* ---- BROTLI (read only) ------------------------------------------------------------ */

static int brotli_decompress(const void *src, size_t src_len, void *dst, size_t dst_len,
			     struct sl_err *err)
{
	uint8_t one; /* dst for an empty page, which may be NULL: libraries want a pointer */
	if (dst_len == 0)
		dst = &one;
	int rc = dec_begin("brotli", src_len, dst_len, err);
	if (rc)
		return rc < 0 ? rc : 0;
	size_t n = dst_len;
	if (BrotliDecoderDecompress(src_len, src, &n, dst) !=
	    BROTLI_DECODER_RESULT_SUCCESS)
		return bad(err, "brotli", "corrupt data or more data than the page holds");
	if (n != dst_len)
		return sl_err_set(err, SL_ECORRUPT,
				  "brotli: data of %zu bytes where %zu are expected", n, dst_len);
	return 0;
}

/* ---- the table --------------------------------------------------------------------- */

static const struct sl_pq_codec codecs[] = {
	{SL_PQ_UNCOMPRESSED, "none", none_bound, none_compress, none_decompress},
	{SL_PQ_SNAPPY, "snappy", snappy_bound, snappy_compress_, snappy_decompress},
	{SL_PQ_GZIP, "gzip", gzip_bound, gzip_compress, gzip_decompress},
	{SL_PQ_BROTLI, "brotli", NULL, NULL, brotli_decompress},
	{SL_PQ_LZ4, "lz4", NULL, NULL, lz4_decompress},
	{SL_PQ_ZSTD, "zstd", zstd_bound, zstd_compress, zstd_decompress},
	{SL_PQ_LZ4_RAW, "lz4_raw", lz4_bound, lz4_compress, lz4_raw_decompress},
};

const struct sl_pq_codec *sl_pq_codec_by_id(int id)
{
	for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++)
		if (codecs[i].id == id)
			return &codecs[i];
	return NULL;
}

const struct sl_pq_codec *sl_pq_codec_by_name(const char *name)
{
	static const struct {
		const char *name;
		int id;
	} names[] = {
		{"none", SL_PQ_UNCOMPRESSED}, {"uncompressed", SL_PQ_UNCOMPRESSED},
		{"snappy", SL_PQ_SNAPPY},     {"gzip", SL_PQ_GZIP},
		{"zstd", SL_PQ_ZSTD},         {"lz4_raw", SL_PQ_LZ4_RAW},
		{"brotli", SL_PQ_BROTLI},
	};
	for (size_t i = 0; name && i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(name, names[i].name) == 0)
			return sl_pq_codec_by_id(names[i].id);
	return NULL;
}
