/*
 * encoding.h - Parquet's value and level encodings, both directions.
 *
 * Encoders append to a struct sl_buf. Decoders read a byte range they never leave and
 * return SL_ECORRUPT (with a short message) when the data is truncated, a bit width or
 * count is out of range, or the values declared do not fit; they never read past the
 * range nor write past the output arrays whose sizes the caller gives.
 *
 * Byte arrays decode to (offset, length) pairs into a data area, so no value is copied
 * twice: struct sl_pq_barr.
 */
#ifndef SL_PQ_ENCODING_H
#define SL_PQ_ENCODING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

/* Bits needed for values 0..max (0 for max 0). */
int sl_pq_bit_width(uint64_t max);

/* ---- RLE / bit-packing hybrid (levels, dictionary indices, RLE booleans) -------------
 * The encoder takes values one at a time and chooses runs itself. Output is the hybrid
 * stream without a length prefix (v1 levels add a 4-byte length: the caller does). */
struct sl_pq_rle_enc {
	struct sl_buf *out; /* borrowed */
	int bit_width;
	uint64_t buffered[8]; /* pending values of a bit-packed group */
	int n_buffered;
	uint64_t run_value;
	uint32_t run_len;
	size_t bp_header_pos; /* position of an open bit-packed run's header, or SIZE_MAX */
	uint32_t bp_groups;
	int rc;
};
void sl_pq_rle_enc_init(struct sl_pq_rle_enc *e, struct sl_buf *out, int bit_width);
void sl_pq_rle_enc_put(struct sl_pq_rle_enc *e, uint64_t v);
/* Appends n copies of v (fast path for long runs: no per-value work). */
void sl_pq_rle_enc_put_run(struct sl_pq_rle_enc *e, uint64_t v, size_t n);
/* Appends n values (levels or dictionary indices already in an array). */
void sl_pq_rle_enc_put_u32s(struct sl_pq_rle_enc *e, const uint32_t *v, size_t n);
/* A value wider than bit_width, a bit width outside 0..32 or a failed append is
 * reported here (SL_EINVAL, or the sl_buf code). */
int sl_pq_rle_enc_finish(struct sl_pq_rle_enc *e, struct sl_err *err);

struct sl_pq_rle_dec {
	const uint8_t *start, *p, *end; /* start: for byte offsets in messages */
	int bit_width;
	uint32_t run_left;   /* values left in the current run */
	bool run_is_rle;
	uint64_t run_value;  /* RLE run */
	const uint8_t *bp;   /* bit-packed run: next group's bytes */
	uint32_t bp_index;   /* value index inside the bit-packed run */
};
int sl_pq_rle_dec_init(struct sl_pq_rle_dec *d, const void *p, size_t len, int bit_width,
		       struct sl_err *err);
/* Decodes up to n values into out (uint32 covers levels, indices and booleans); returns
 * the number decoded (< n only at the end of the data), or a negative code. A bit-packed
 * run cut short inside its last group yields the values whose bits are all there and
 * then ends the data; cut short by more, it is SL_ECORRUPT. Calls may ask for any
 * amounts: a group started by one call is finished by the next. */
int64_t sl_pq_rle_dec_u32(struct sl_pq_rle_dec *d, uint32_t *out, size_t n,
			  struct sl_err *err);

/* ---- PLAIN ------------------------------------------------------------------------- */
/* Booleans are bit-packed LSB first. */
int sl_pq_plain_put_bools(struct sl_buf *out, const uint8_t *v, size_t n);
int sl_pq_plain_get_bools(const void *p, size_t len, uint8_t *out, size_t n,
			  struct sl_err *err);
/* Fixed-width values (INT32 4, INT64 8, INT96 12, FLOAT 4, DOUBLE 8, FLBA n) are the
 * little-endian bytes: the caller copies. BYTE_ARRAY: 4-byte length then the bytes. */
struct sl_pq_barr {
	uint32_t off; /* into the data area the decoder was given or built */
	uint32_t len;
};
/* Decodes n byte arrays from p[0..len): out[i] offsets are relative to p. */
int sl_pq_plain_get_barrs(const void *p, size_t len, struct sl_pq_barr *out, size_t n,
			  size_t *used, struct sl_err *err);

/* ---- DELTA_BINARY_PACKED (INT32 and INT64) ------------------------------------------ */
/* Encodes n INT64 values. Block 128, 4 miniblocks, as parquet-mr. */
int sl_pq_delta_put(struct sl_buf *out, const int64_t *v, size_t n);
/* INT32: deltas wrap at 32 bits, so no miniblock is wider than 32 bits as the spec
 * requires (widening to sl_pq_delta_put could need 33). */
int sl_pq_delta_put_i32(struct sl_buf *out, const int32_t *v, size_t n);
/* Decodes up to n values; *got = values decoded (the header's total, at most n: more is
 * an error); *used = bytes consumed (DELTA_BYTE_ARRAY needs it): through the last
 * miniblock that holds values, padding included, or to the end of the range when only
 * that padding is cut off. is32: wrap to int32 and refuse bit widths over 32. */
int sl_pq_delta_get(const void *p, size_t len, int64_t *out, size_t n, bool is32,
		    size_t *got, size_t *used, struct sl_err *err);

/* ---- DELTA_LENGTH_BYTE_ARRAY and DELTA_BYTE_ARRAY ----------------------------------- */
/* DLBA: out[i] offsets are relative to p (no copy). */
int sl_pq_dlba_get(const void *p, size_t len, struct sl_pq_barr *out, size_t n,
		   size_t *got, struct sl_err *err);
/* DBA: values are rebuilt from prefixes into data (appended); out[i] offsets are
 * relative to data->data. Prefixes can make the output much larger than the input:
 * past data->max it is SL_ELIMIT. */
int sl_pq_dba_get(const void *p, size_t len, struct sl_pq_barr *out, size_t n,
		  struct sl_buf *data, size_t *got, struct sl_err *err);
int sl_pq_dlba_put(struct sl_buf *out, const uint8_t *data, const struct sl_pq_barr *v,
		   size_t n);
int sl_pq_dba_put(struct sl_buf *out, const uint8_t *data, const struct sl_pq_barr *v,
		  size_t n);

/* ---- BYTE_STREAM_SPLIT (any fixed width) ---------------------------------------------
 * n values of width bytes: out receives n*width bytes in the natural (PLAIN) layout. The
 * streams fill the range, so each is len / width bytes long; n may be fewer values. */
int sl_pq_bss_get(const void *p, size_t len, size_t width, uint8_t *out, size_t n,
		  struct sl_err *err);
int sl_pq_bss_put(struct sl_buf *out, const uint8_t *v, size_t width, size_t n);

#endif
