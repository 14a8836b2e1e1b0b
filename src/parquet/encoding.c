/*
 * encoding.c - Parquet's value and level encodings (encoding.h): the RLE/bit-packing
 * hybrid, PLAIN booleans and byte arrays, DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY,
 * DELTA_BYTE_ARRAY and BYTE_STREAM_SPLIT, in both directions.
 *
 * Promises:
 *   1. A decoder reads only inside the range it was given and writes only inside the
 *      output arrays whose sizes the caller gave; data that does not hold what it
 *      declares is SL_ECORRUPT with a message naming the encoding and the byte offset.
 *   2. Bit-unpacking works on whole groups of 8 values (8 values of w bits are exactly
 *      w bytes), through one function per bit width in which w is a constant, so shifts
 *      and masks fold and there is no call per value. A group that the data ends
 *      inside is copied into a zeroed scratch first, so the fast path never reads past
 *      the range.
 *   3. Arithmetic on deltas is done in uint64_t and wraps, so INT64 and INT32 extremes
 *      round-trip; INT32 streams wrap at 32 bits.
 * The bit layout is little-endian (values packed from the least significant bit of
 * each byte) and the unpackers load bytes straight into uint64_t words, so the host
 * must be little-endian.
 */
#include "parquet/encoding.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "the bit unpackers load little-endian words");

#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* Longest run the spec allows (rle-run-len and bit-packed-run-len). */
#define RUN_MAX ((uint32_t)INT32_MAX)
/* Largest DELTA_BINARY_PACKED block we accept: writers use 128 (parquet-mr, Arrow);
 * the cap keeps every size computation far from overflow. */
#define DELTA_BLOCK_MAX ((uint64_t)1 << 20)

int sl_pq_bit_width(uint64_t max)
{
	return max ? 64 - __builtin_clzll(max) : 0;
}

/* ---- bit packing, 8 values at a time --------------------------------------------- */

ALWAYS_INLINE uint64_t low_mask(int w)
{
	return w >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << w) - 1;
}

/* 8 values of w <= 32 bits from the w bytes at in. */
ALWAYS_INLINE void unpack8_u32(const uint8_t *in, uint32_t *out, int w)
{
	uint64_t word[4] = {0};
	memcpy(word, in, (size_t)w);
	for (int i = 0; i < 8; i++) {
		int bit = i * w, k = bit >> 6, sh = bit & 63;
		uint64_t v = word[k] >> sh;
		if (sh + w > 64)
			v |= word[k + 1] << (64 - sh);
		out[i] = (uint32_t)(v & low_mask(w));
	}
}

/* 8 values of w <= 64 bits from the w bytes at in. */
ALWAYS_INLINE void unpack8_u64(const uint8_t *in, uint64_t *out, int w)
{
	uint64_t word[8] = {0};
	memcpy(word, in, (size_t)w);
	for (int i = 0; i < 8; i++) {
		int bit = i * w, k = bit >> 6, sh = bit & 63;
		uint64_t v = word[k] >> sh;
		if (sh + w > 64)
			v |= word[k + 1] << (64 - sh);
		out[i] = v & low_mask(w);
	}
}

/* 8 values (each < 2^w) into the w bytes at out. */
ALWAYS_INLINE void pack8_u64(const uint64_t *in, uint8_t *out, int w)
{
	uint64_t word[8] = {0};
	for (int i = 0; i < 8; i++) {
		int bit = i * w, k = bit >> 6, sh = bit & 63;
		word[k] |= in[i] << sh;
		if (sh + w > 64)
			word[k + 1] |= in[i] >> (64 - sh);
	}
	memcpy(out, word, (size_t)w);
}

typedef void (*unpack32_fn)(const uint8_t *in, uint32_t *out, size_t groups);
typedef void (*unpack64_fn)(const uint8_t *in, uint64_t *out, size_t groups);
typedef void (*pack64_fn)(const uint64_t *in, uint8_t *out, size_t groups);

#define WIDTHS_0_32(X)                                                                   \
	X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14)   \
	X(15) X(16) X(17) X(18) X(19) X(20) X(21) X(22) X(23) X(24) X(25) X(26) X(27)     \
	X(28) X(29) X(30) X(31) X(32)
#define WIDTHS_33_64(X)                                                                  \
	X(33) X(34) X(35) X(36) X(37) X(38) X(39) X(40) X(41) X(42) X(43) X(44) X(45)     \
	X(46) X(47) X(48) X(49) X(50) X(51) X(52) X(53) X(54) X(55) X(56) X(57) X(58)     \
	X(59) X(60) X(61) X(62) X(63) X(64)

#define DEF_UNPACK32(W)                                                                  \
	static void unpack32_##W(const uint8_t *in, uint32_t *out, size_t groups)        \
	{                                                                                \
		for (size_t g = 0; g < groups; g++)                                      \
			unpack8_u32(in + g * (W), out + g * 8, (W));                     \
	}
#define DEF_UNPACK64(W)                                                                  \
	static void unpack64_##W(const uint8_t *in, uint64_t *out, size_t groups)        \
	{                                                                                \
		for (size_t g = 0; g < groups; g++)                                      \
			unpack8_u64(in + g * (W), out + g * 8, (W));                     \
	}
#define DEF_PACK64(W)                                                                    \
	static void pack64_##W(const uint64_t *in, uint8_t *out, size_t groups)          \
	{                                                                                \
		for (size_t g = 0; g < groups; g++)                                      \
			pack8_u64(in + g * 8, out + g * (W), (W));                       \
	}
WIDTHS_0_32(DEF_UNPACK32)
WIDTHS_0_32(DEF_UNPACK64)
WIDTHS_33_64(DEF_UNPACK64)
WIDTHS_0_32(DEF_PACK64)
WIDTHS_33_64(DEF_PACK64)

#define REF_UNPACK32(W) unpack32_##W,
#define REF_UNPACK64(W) unpack64_##W,
#define REF_PACK64(W) pack64_##W,
static const unpack32_fn unpack32_tab[33] = {WIDTHS_0_32(REF_UNPACK32)};
static const unpack64_fn unpack64_tab[65] = {WIDTHS_0_32(REF_UNPACK64)
						     WIDTHS_33_64(REF_UNPACK64)};
static const pack64_fn pack64_tab[65] = {WIDTHS_0_32(REF_PACK64) WIDTHS_33_64(REF_PACK64)};

/* ---- small helpers ---------------------------------------------------------------- */

static int corrupt(struct sl_err *err, const char *what, const void *start, const void *at,
		   const char *msg)
{
	return sl_err_set(err, SL_ECORRUPT, "%s at byte %td: %s", what,
			  (const uint8_t *)at - (const uint8_t *)start, msg);
}

/* ULEB128 into 64 bits; -1 when the data ends inside it or it overflows. */
static int uleb64(const uint8_t **pp, const uint8_t *end, uint64_t *out)
{
	const uint8_t *p = *pp;
	uint64_t v = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (p == end)
			return -1;
		uint8_t b = *p++;
		if (shift == 63 && (b & 0x7e))
			return -1;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*pp = p;
			*out = v;
			return 0;
		}
	}
	return -1;
}

static size_t put_uleb(uint8_t *out, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		out[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	out[n++] = (uint8_t)v;
	return n;
}

static uint64_t zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t unzigzag(uint64_t v)
{
	return (int64_t)((v >> 1) ^ (~(v & 1) + 1));
}

/* sl_buf has no reserve call: grows b by n bytes through sl_buf_append (zeros that the
 * caller overwrites at once) and returns where they start. */
static int buf_extend(struct sl_buf *b, size_t n, uint8_t **at)
{
	static const uint8_t zeros[4096];
	size_t start = b->len;
	do { /* at least once, so that data is allocated even for n = 0 */
		size_t k = n < sizeof(zeros) ? n : sizeof(zeros);
		int rc = sl_buf_append(b, zeros, k);
		if (rc) {
			b->len = start;
			if (b->data)
				b->data[start] = '\0';
			return rc;
		}
		n -= k;
	} while (n);
	*at = (uint8_t *)b->data + start;
	return 0;
}

/* ---- RLE / bit-packing hybrid: encoder --------------------------------------------
 * Values are buffered by groups of 8. A value equal to its predecessors extends a run;
 * a run is only started at a group boundary, so once 8 equal values fill a group they
 * become an RLE run that grows without buffering until a different value arrives.
 * Groups that are not runs are bit-packed under one header byte that is reserved when
 * the bit-packed run opens and rewritten in place as groups are added (at most 63, so
 * the header, (groups << 1) | 1, stays one byte). */

static void rle_append(struct sl_pq_rle_enc *e, const void *p, size_t n)
{
	if (!e->rc)
		e->rc = sl_buf_append(e->out, p, n);
}

static void rle_write_run(struct sl_pq_rle_enc *e, uint64_t v, uint32_t n)
{
	uint8_t b[16];
	size_t k = put_uleb(b, (uint64_t)n << 1);
	for (int i = 0; i < (e->bit_width + 7) / 8; i++)
		b[k++] = (uint8_t)(v >> (8 * i));
	rle_append(e, b, k);
}

static void bp_close(struct sl_pq_rle_enc *e)
{
	if (e->bp_header_pos == SIZE_MAX)
		return;
	if (!e->rc)
		e->out->data[e->bp_header_pos] = (char)((e->bp_groups << 1) | 1);
	e->bp_header_pos = SIZE_MAX;
	e->bp_groups = 0;
}

static void bp_group(struct sl_pq_rle_enc *e)
{
	if (e->bp_header_pos == SIZE_MAX) {
		e->bp_header_pos = e->out->len;
		rle_append(e, "", 1); /* the header, written by bp_close */
	}
	uint8_t b[32];
	pack64_tab[e->bit_width](e->buffered, b, 1);
	rle_append(e, b, (size_t)e->bit_width);
	if (++e->bp_groups == 63)
		bp_close(e);
}

static void rle_flush_group(struct sl_pq_rle_enc *e)
{
	if (e->run_len >= 8) { /* the 8 buffered values open an RLE run */
		bp_close(e);
	} else {
		bp_group(e);
		e->run_len = 0; /* a run may only start at the next group */
	}
	e->n_buffered = 0;
}

ALWAYS_INLINE void rle_put(struct sl_pq_rle_enc *e, uint64_t v)
{
	if (v >> e->bit_width) {
		if (!e->rc)
			e->rc = SL_EINVAL;
		return;
	}
	if (v == e->run_value) {
		if (e->run_len == RUN_MAX) { /* longest run allowed: end it, start anew */
			rle_write_run(e, v, e->run_len);
			e->run_len = 0;
		}
		if (++e->run_len > 8)
			return;
	} else {
		if (e->run_len >= 8) {
			rle_write_run(e, e->run_value, e->run_len);
		}
		e->run_len = 1;
		e->run_value = v;
	}
	e->buffered[e->n_buffered++] = v;
	if (e->n_buffered == 8)
		rle_flush_group(e);
}

void sl_pq_rle_enc_init(struct sl_pq_rle_enc *e, struct sl_buf *out, int bit_width)
{
	memset(e, 0, sizeof(*e));
	e->out = out;
	e->bit_width = bit_width;
	e->bp_header_pos = SIZE_MAX;
	if (bit_width < 0 || bit_width > 32) {
		e->bit_width = 0;
		e->rc = SL_EINVAL;
	}
}

void sl_pq_rle_enc_put(struct sl_pq_rle_enc *e, uint64_t v)
{
	rle_put(e, v);
}

void sl_pq_rle_enc_put_u32s(struct sl_pq_rle_enc *e, const uint32_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		rle_put(e, v[i]);
}

void sl_pq_rle_enc_put_run(struct sl_pq_rle_enc *e, uint64_t v, size_t n)
{
	if (n && (v >> e->bit_width)) {
		rle_put(e, v); /* records the error once */
		return;
	}
	while (n > 0) {
		if (v == e->run_value && e->run_len >= 8 && e->run_len < RUN_MAX) {
			/* an RLE run is open (nothing buffered): extend it at once */
			size_t take = RUN_MAX - e->run_len;
			take = take < n ? take : n;
			e->run_len += (uint32_t)take;
			n -= take;
		} else {
			rle_put(e, v);
			n--;
		}
	}
}

int sl_pq_rle_enc_finish(struct sl_pq_rle_enc *e, struct sl_err *err)
{
	if (e->n_buffered > 0) {
		if (e->run_len == (uint32_t)e->n_buffered) { /* all equal: a short RLE run */
			bp_close(e);
			rle_write_run(e, e->run_value, e->run_len);
		} else { /* a last group, padded with zeros */
			for (int i = e->n_buffered; i < 8; i++)
				e->buffered[i] = 0;
			bp_group(e);
		}
	} else if (e->run_len >= 8) {
		rle_write_run(e, e->run_value, e->run_len);
	}
	bp_close(e);
	e->n_buffered = 0;
	e->run_len = 0;
	if (e->rc == SL_EINVAL)
		return sl_err_set(err, SL_EINVAL,
				  "RLE encoder: bit width outside 0..32 or a value wider than it");
	if (e->rc)
		return sl_err_set(err, e->rc, "RLE encoder: output buffer: %s",
				  sl_code_name(e->rc));
	return 0;
}

/* ---- RLE / bit-packing hybrid: decoder -------------------------------------------- */

int sl_pq_rle_dec_init(struct sl_pq_rle_dec *d, const void *p, size_t len, int bit_width,
		       struct sl_err *err)
{
	memset(d, 0, sizeof(*d));
	if (bit_width < 0 || bit_width > 32)
		return sl_err_set(err, SL_ECORRUPT, "RLE: bit width %d outside 0..32", bit_width);
	d->start = d->p = p;
	d->end = len ? d->p + len : d->p; /* p may be NULL for an empty range */
	d->bit_width = bit_width;
	return 0;
}

/* Loads the next non-empty run: 1, or 0 at the end of the data, or an error. */
static int rle_next_run(struct sl_pq_rle_dec *d, struct sl_err *err)
{
	const int w = d->bit_width;
	while (d->p < d->end) {
		const uint8_t *at = d->p;
		uint64_t h;
		if (uleb64(&d->p, d->end, &h) != 0 || h > UINT32_MAX)
			return corrupt(err, "RLE", d->start, at, "bad run header");
		size_t avail = (size_t)(d->end - d->p);
		if (h & 1) {
			uint64_t groups = h >> 1, bytes = groups * (uint64_t)w;
			if (groups * 8 > RUN_MAX)
				return corrupt(err, "RLE", d->start, at, "bit-packed run too long");
			d->run_left = (uint32_t)(groups * 8);
			if (bytes > avail) {
				/* a short last group is tolerated: its complete values are
				 * returned and the data ends there */
				if (bytes - avail >= (uint64_t)w)
					return sl_err_set(err, SL_ECORRUPT,
							  "RLE: bit-packed run of %llu bytes with "
							  "%zu left",
							  (unsigned long long)bytes, avail);
				d->run_left = (uint32_t)(avail * 8 / (size_t)w);
				bytes = avail;
			}
			d->run_is_rle = false;
			d->bp = d->p;
			d->bp_index = 0;
			d->p += bytes;
		} else {
			size_t nb = (size_t)(w + 7) / 8;
			if (nb > avail)
				return corrupt(err, "RLE", d->start, at, "truncated run value");
			uint64_t v = 0;
			for (size_t i = 0; i < nb; i++)
				v |= (uint64_t)d->p[i] << (8 * i);
			if (v >> w)
				return corrupt(err, "RLE", d->start, at, "run value wider than the bit width");
			d->p += nb;
			d->run_is_rle = true;
			d->run_value = v;
			d->run_left = (uint32_t)(h >> 1);
		}
		if (d->run_left)
			return 1;
	}
	return 0;
}

/* One group of the bit-packed run through a zeroed scratch (the group may be the short
 * last one). */
static void rle_group_safe(const struct sl_pq_rle_dec *d, uint32_t out[8])
{
	uint8_t tmp[32] = {0};
	size_t n = (size_t)(d->end - d->bp);
	n = n < (size_t)d->bit_width ? n : (size_t)d->bit_width;
	memcpy(tmp, d->bp, n);
	unpack32_tab[d->bit_width](tmp, out, 1);
}

/* take <= run_left values of the current bit-packed run. */
static void rle_take_packed(struct sl_pq_rle_dec *d, uint32_t *out, size_t take)
{
	const size_t w = (size_t)d->bit_width;
	uint32_t tmp[8];
	uint32_t pos = d->bp_index & 7;
	if (pos) { /* finish the group a previous call started */
		size_t k = 8 - pos < take ? 8 - pos : take;
		rle_group_safe(d, tmp);
		memcpy(out, tmp + pos, k * sizeof(*out));
		out += k;
		take -= k;
		d->bp_index += (uint32_t)k;
		if ((d->bp_index & 7) == 0)
			d->bp += w;
	}
	/* whole groups: run_left covers only values whose bits are all in the range */
	size_t groups = take / 8;
	if (groups) {
		unpack32_tab[w](d->bp, out, groups);
		d->bp += groups * w;
		out += groups * 8;
		take -= groups * 8;
		d->bp_index += (uint32_t)(groups * 8);
	}
	if (take) {
		rle_group_safe(d, tmp);
		memcpy(out, tmp, take * sizeof(*out));
		d->bp_index += (uint32_t)take;
	}
}

int64_t sl_pq_rle_dec_u32(struct sl_pq_rle_dec *d, uint32_t *out, size_t n,
			  struct sl_err *err)
{
	size_t got = 0;
	while (got < n) {
		if (d->run_left == 0) {
			int rc = rle_next_run(d, err);
			if (rc < 0)
				return rc;
			if (rc == 0)
				break;
		}
		size_t take = n - got < d->run_left ? n - got : d->run_left;
		if (d->run_is_rle) {
			uint32_t v = (uint32_t)d->run_value;
			uint32_t *o = out + got;
			for (size_t i = 0; i < take; i++)
				o[i] = v;
		} else {
			rle_take_packed(d, out + got, take);
		}
		d->run_left -= (uint32_t)take;
		got += take;
	}
	return (int64_t)got;
}

/* ---- PLAIN ------------------------------------------------------------------------ */

int sl_pq_plain_put_bools(struct sl_buf *out, const uint8_t *v, size_t n)
{
	uint8_t *o;
	int rc = buf_extend(out, (n + 7) / 8, &o);
	if (rc)
		return rc;
	size_t full = n / 8;
	for (size_t i = 0; i < full; i++, v += 8)
		o[i] = (uint8_t)((v[0] != 0) | (v[1] != 0) << 1 | (v[2] != 0) << 2 |
				 (v[3] != 0) << 3 | (v[4] != 0) << 4 | (v[5] != 0) << 5 |
				 (v[6] != 0) << 6 | (v[7] != 0) << 7);
	if (n % 8) {
		uint8_t b = 0;
		for (size_t j = 0; j < n % 8; j++)
			b |= (uint8_t)((v[j] != 0) << j);
		o[full] = b;
	}
	return 0;
}

int sl_pq_plain_get_bools(const void *p, size_t len, uint8_t *out, size_t n,
			  struct sl_err *err)
{
	const uint8_t *in = p;
	if ((n + 7) / 8 > len)
		return sl_err_set(err, SL_ECORRUPT, "PLAIN: %zu booleans need %zu bytes, %zu left",
				  n, (n + 7) / 8, len);
	size_t full = n / 8;
	for (size_t i = 0; i < full; i++, out += 8) {
		uint8_t b = in[i];
		for (int j = 0; j < 8; j++)
			out[j] = (b >> j) & 1;
	}
	for (size_t j = 0; j < n % 8; j++)
		out[j] = (in[full] >> j) & 1;
	return 0;
}

int sl_pq_plain_get_barrs(const void *p, size_t len, struct sl_pq_barr *out, size_t n,
			  size_t *used, struct sl_err *err)
{
	const uint8_t *base = p;
	size_t pos = 0;
	if (len > UINT32_MAX)
		return sl_err_set(err, SL_ELIMIT, "PLAIN: byte arrays in more than 4 GiB");
	for (size_t i = 0; i < n; i++) {
		if (len - pos < 4)
			return sl_err_set(err, SL_ECORRUPT,
					  "PLAIN byte array at byte %zu: truncated length", pos);
		uint32_t l;
		memcpy(&l, base + pos, 4);
		pos += 4;
		if (l > len - pos)
			return sl_err_set(err, SL_ECORRUPT,
					  "PLAIN byte array at byte %zu: length %u with %zu bytes "
					  "left",
					  pos - 4, l, len - pos);
		out[i].off = (uint32_t)pos;
		out[i].len = l;
		pos += l;
	}
	if (used)
		*used = pos;
	return 0;
}

/* ---- DELTA_BINARY_PACKED: decoder -------------------------------------------------
 * A stream decoder that hands out values in any amounts, so DELTA_LENGTH_BYTE_ARRAY and
 * DELTA_BYTE_ARRAY can read lengths through a small scratch buffer. */

struct dstream {
	const uint8_t *start, *p, *end; /* p: the next block or miniblock */
	int max_w;                      /* 32 or 64 */
	bool is32;
	uint32_t n_mb, mb_size;         /* miniblocks per block, values per miniblock */
	uint64_t total;                 /* values in the stream */
	uint64_t left;                  /* values not handed out yet */
	uint64_t last;                  /* the last value computed */
	uint64_t min_delta;             /* of the current block */
	const uint8_t *widths;          /* of the current block */
	uint32_t mb_next;               /* next miniblock in the block (n_mb: none left) */
	int w;                          /* current miniblock's bit width */
	const uint8_t *mb;              /* its next group */
	uint32_t mb_left;               /* values (with padding) left in it: a multiple of 8 */
	uint64_t grp[8];                /* a group computed but not all handed out */
	unsigned grp_pos, grp_n;
	bool first_pending;             /* the header's first value is still to hand out */
};

static int ds_init(struct dstream *d, const void *p, size_t len, bool is32, size_t cap,
		   struct sl_err *err)
{
	memset(d, 0, sizeof(*d));
	d->start = d->p = p;
	d->end = len ? d->p + len : d->p;
	d->is32 = is32;
	d->max_w = is32 ? 32 : 64;
	uint64_t block, n_mb, total, first;
	if (uleb64(&d->p, d->end, &block) || uleb64(&d->p, d->end, &n_mb) ||
	    uleb64(&d->p, d->end, &total) || uleb64(&d->p, d->end, &first))
		return corrupt(err, "DELTA_BINARY_PACKED", d->start, d->p, "truncated header");
	if (block == 0 || block % 128 || block > DELTA_BLOCK_MAX)
		return sl_err_set(err, SL_ECORRUPT,
				  "DELTA_BINARY_PACKED: block size %llu is not a multiple of 128 "
				  "up to %llu",
				  (unsigned long long)block, (unsigned long long)DELTA_BLOCK_MAX);
	if (n_mb == 0 || block % n_mb || (block / n_mb) % 32)
		return sl_err_set(err, SL_ECORRUPT,
				  "DELTA_BINARY_PACKED: %llu miniblocks do not split a block of "
				  "%llu into multiples of 32",
				  (unsigned long long)n_mb, (unsigned long long)block);
	if (total > cap)
		return sl_err_set(err, SL_ECORRUPT,
				  "DELTA_BINARY_PACKED: %llu values where at most %zu are expected",
				  (unsigned long long)total, cap);
	d->n_mb = (uint32_t)n_mb;
	d->mb_size = (uint32_t)(block / n_mb);
	d->mb_next = d->n_mb;
	d->total = d->left = total;
	d->last = (uint64_t)unzigzag(first);
	d->first_pending = total > 0;
	return 0;
}

/* Opens the next miniblock (reading a block header first when the block is done). */
static int ds_next_mb(struct dstream *d, struct sl_err *err)
{
	if (d->mb_next == d->n_mb) {
		const uint8_t *at = d->p;
		uint64_t z;
		if (uleb64(&d->p, d->end, &z))
			return corrupt(err, "DELTA_BINARY_PACKED", d->start, at,
				       "truncated block header");
		if ((size_t)(d->end - d->p) < d->n_mb)
			return corrupt(err, "DELTA_BINARY_PACKED", d->start, d->p,
				       "truncated miniblock bit widths");
		d->min_delta = (uint64_t)unzigzag(z);
		d->widths = d->p;
		d->p += d->n_mb;
		d->mb_next = 0;
	}
	int w = d->widths[d->mb_next];
	if (w > d->max_w)
		return sl_err_set(err, SL_ECORRUPT,
				  "DELTA_BINARY_PACKED at byte %td: bit width %d over %d",
				  d->widths + d->mb_next - d->start, w, d->max_w);
	d->mb_next++;
	size_t body = (size_t)d->mb_size * (size_t)w / 8;
	size_t avail = (size_t)(d->end - d->p);
	if (body > avail) {
		/* tolerated only when what is missing is the last miniblock's padding */
		uint64_t need = d->left < d->mb_size ? d->left : d->mb_size;
		if (d->left > d->mb_size || (need * (uint64_t)w + 7) / 8 > avail)
			return corrupt(err, "DELTA_BINARY_PACKED", d->start, d->p,
				       "truncated miniblock");
		body = avail;
	}
	d->w = w;
	d->mb = d->p;
	d->mb_left = d->mb_size;
	d->p += body;
	return 0;
}

/* Adds the deltas in v[0..n) (unpacked in place) to the running value. */
static void ds_accumulate(struct dstream *d, uint64_t *v, size_t n)
{
	uint64_t last = d->last, min = d->min_delta;
	if (d->is32) {
		for (size_t i = 0; i < n; i++) {
			last += v[i] + min;
			v[i] = (uint64_t)(int64_t)(int32_t)(uint32_t)last;
		}
	} else {
		for (size_t i = 0; i < n; i++) {
			last += v[i] + min;
			v[i] = last;
		}
	}
	d->last = last;
}

/* Hands out up to max values (fewer only when the stream is done). */
static int ds_read(struct dstream *d, int64_t *out, size_t max, size_t *got,
		   struct sl_err *err)
{
	size_t n = 0;
	if (max > d->left)
		max = (size_t)d->left;
	if (d->first_pending && max) {
		out[n++] = d->is32 ? (int32_t)(uint32_t)d->last : (int64_t)d->last;
		d->first_pending = false;
		d->left--;
	}
	while (n < max) {
		if (d->grp_pos < d->grp_n) {
			size_t k = d->grp_n - d->grp_pos;
			k = k < max - n ? k : max - n;
			memcpy(out + n, d->grp + d->grp_pos, k * sizeof(*out));
			d->grp_pos += (unsigned)k;
			d->left -= k;
			n += k;
			continue;
		}
		if (d->mb_left == 0) {
			int rc = ds_next_mb(d, err);
			if (rc)
				return rc;
		}
		const size_t w = (size_t)d->w;
		size_t groups = (max - n) / 8;
		if (groups > d->mb_left / 8)
			groups = d->mb_left / 8;
		if (w && groups > (size_t)(d->end - d->mb) / w)
			groups = (size_t)(d->end - d->mb) / w;
		if (groups) { /* unpacked straight into out (int64_t and uint64_t alias) */
			uint64_t *o = (uint64_t *)(out + n);
			unpack64_tab[w](d->mb, o, groups);
			ds_accumulate(d, o, groups * 8);
			d->mb += groups * w;
			d->mb_left -= (uint32_t)(groups * 8);
			d->left -= groups * 8;
			n += groups * 8;
			continue;
		}
		/* a last, partial request or a short last group: through the scratch */
		uint8_t tmp[64] = {0};
		size_t avail = (size_t)(d->end - d->mb), k = avail < w ? avail : w;
		memcpy(tmp, d->mb, k);
		unpack64_tab[w](tmp, d->grp, 1);
		ds_accumulate(d, d->grp, 8);
		d->mb += k;
		d->mb_left -= 8;
		d->grp_pos = 0;
		d->grp_n = 8;
	}
	*got = n;
	return 0;
}

int sl_pq_delta_get(const void *p, size_t len, int64_t *out, size_t n, bool is32,
		    size_t *got, size_t *used, struct sl_err *err)
{
	struct dstream d;
	size_t k = 0;
	int rc = ds_init(&d, p, len, is32, n, err);
	if (rc == 0)
		rc = ds_read(&d, out, (size_t)d.total, &k, err);
	if (rc)
		return rc;
	if (got)
		*got = k;
	if (used)
		*used = (size_t)(d.p - d.start);
	return 0;
}

/* ---- DELTA_BINARY_PACKED: encoder -------------------------------------------------
 * Block 128 of 4 miniblocks of 32, as parquet-mr and Arrow write; only the miniblocks
 * that hold values are written (the widths of the others are 0), the last one padded
 * with zero bits. Values are fed in any amounts; the header, which carries the total
 * count and the first value, is written with the first value. */

enum { DBLOCK = 128, DMB = 4, DMB_SIZE = DBLOCK / DMB };

struct denc {
	struct sl_buf *out;
	size_t total;
	bool is32, started;
	int64_t prev;
	int64_t d[DBLOCK];
	size_t nd;
	int rc;
};

static void denc_header(struct denc *e, int64_t first)
{
	uint8_t b[40];
	size_t k = put_uleb(b, DBLOCK);
	k += put_uleb(b + k, DMB);
	k += put_uleb(b + k, e->total);
	k += put_uleb(b + k, zigzag(first));
	if (!e->rc)
		e->rc = sl_buf_append(e->out, b, k);
	e->started = true;
	e->prev = first;
}

static void denc_block(struct denc *e)
{
	uint8_t b[10 + DMB + DBLOCK * 8];
	uint64_t rel[DBLOCK];
	int64_t min = e->d[0];
	for (size_t i = 1; i < e->nd; i++)
		min = e->d[i] < min ? e->d[i] : min;
	for (size_t i = 0; i < e->nd; i++)
		rel[i] = (uint64_t)e->d[i] - (uint64_t)min;
	for (size_t i = e->nd; i < DBLOCK; i++)
		rel[i] = 0;
	size_t k = put_uleb(b, zigzag(min));
	uint8_t *widths = b + k;
	k += DMB;
	size_t used_mb = (e->nd + DMB_SIZE - 1) / DMB_SIZE;
	for (size_t m = 0; m < DMB; m++) {
		uint64_t all = 0;
		for (size_t i = m * DMB_SIZE; i < (m + 1) * DMB_SIZE; i++)
			all |= rel[i];
		widths[m] = (uint8_t)(m < used_mb ? sl_pq_bit_width(all) : 0);
	}
	for (size_t m = 0; m < used_mb; m++) {
		pack64_tab[widths[m]](rel + m * DMB_SIZE, b + k, DMB_SIZE / 8);
		k += (size_t)widths[m] * DMB_SIZE / 8;
	}
	if (!e->rc)
		e->rc = sl_buf_append(e->out, b, k);
	e->nd = 0;
}

static void denc_init(struct denc *e, struct sl_buf *out, size_t total, bool is32)
{
	e->out = out;
	e->total = total;
	e->is32 = is32;
	e->started = false;
	e->nd = 0;
	e->rc = 0;
}

static void denc_feed(struct denc *e, const int64_t *v, size_t n)
{
	if (n && !e->started) {
		denc_header(e, v[0]);
		v++;
		n--;
	}
	int64_t prev = e->prev;
	for (size_t i = 0; i < n; i++) {
		/* INT32 deltas wrap at 32 bits so that they never need more than 32 */
		e->d[e->nd++] = e->is32 ? (int32_t)((uint32_t)v[i] - (uint32_t)prev)
					: (int64_t)((uint64_t)v[i] - (uint64_t)prev);
		prev = v[i];
		if (e->nd == DBLOCK)
			denc_block(e);
	}
	e->prev = prev;
}

static int denc_finish(struct denc *e)
{
	if (!e->started)
		denc_header(e, 0);
	if (e->nd)
		denc_block(e);
	return e->rc;
}

int sl_pq_delta_put(struct sl_buf *out, const int64_t *v, size_t n)
{
	struct denc e;
	denc_init(&e, out, n, false);
	denc_feed(&e, v, n);
	return denc_finish(&e);
}

int sl_pq_delta_put_i32(struct sl_buf *out, const int32_t *v, size_t n)
{
	struct denc e;
	int64_t tmp[256];
	denc_init(&e, out, n, true);
	for (size_t i = 0; i < n; i += 256) {
		size_t k = n - i < 256 ? n - i : 256;
		for (size_t j = 0; j < k; j++)
			tmp[j] = v[i + j];
		denc_feed(&e, tmp, k);
	}
	return denc_finish(&e);
}

/* ---- DELTA_LENGTH_BYTE_ARRAY and DELTA_BYTE_ARRAY --------------------------------- */

/* Reads a DELTA_BINARY_PACKED stream of lengths (INT32, >= 0, as writers encode them)
 * into out[i].off (into_off) or out[i].len. */
static int lengths_get(const uint8_t *p, size_t len, struct sl_pq_barr *out, size_t n,
		       bool into_off, const char *what, size_t *got, size_t *used,
		       struct sl_err *err)
{
	struct dstream d;
	int64_t tmp[256];
	int rc = ds_init(&d, p, len, true, n, err);
	if (rc)
		goto fail;
	size_t i = 0;
	while (i < d.total) {
		size_t k;
		rc = ds_read(&d, tmp, 256, &k, err);
		if (rc)
			goto fail;
		for (size_t j = 0; j < k; j++) {
			if (tmp[j] < 0)
				return sl_err_set(err, SL_ECORRUPT, "%s: negative length %lld",
						  what, (long long)tmp[j]);
			if (into_off)
				out[i + j].off = (uint32_t)tmp[j];
			else
				out[i + j].len = (uint32_t)tmp[j];
		}
		i += k;
	}
	*got = (size_t)d.total;
	*used = (size_t)(d.p - d.start);
	return 0;
fail:
	sl_err_prefix(err, "%s lengths", what);
	return rc;
}

int sl_pq_dlba_get(const void *p, size_t len, struct sl_pq_barr *out, size_t n,
		   size_t *got, struct sl_err *err)
{
	size_t k, used;
	if (len > UINT32_MAX)
		return sl_err_set(err, SL_ELIMIT, "DELTA_LENGTH_BYTE_ARRAY: more than 4 GiB");
	int rc = lengths_get(p, len, out, n, false, "DELTA_LENGTH_BYTE_ARRAY", &k, &used, err);
	if (rc)
		return rc;
	size_t off = used;
	for (size_t i = 0; i < k; i++) {
		if (out[i].len > len - off)
			return sl_err_set(err, SL_ECORRUPT,
					  "DELTA_LENGTH_BYTE_ARRAY: value %zu of %u bytes with %zu "
					  "left",
					  i, out[i].len, len - off);
		out[i].off = (uint32_t)off;
		off += out[i].len;
	}
	*got = k;
	return 0;
}

int sl_pq_dba_get(const void *p, size_t len, struct sl_pq_barr *out, size_t n,
		  struct sl_buf *data, size_t *got, struct sl_err *err)
{
	const uint8_t *in = p;
	size_t n_pre, n_suf, used1, used2;
	int rc = lengths_get(in, len, out, n, true, "DELTA_BYTE_ARRAY prefix", &n_pre, &used1,
			     err);
	if (rc)
		return rc;
	rc = lengths_get(in + used1, len - used1, out, n, false, "DELTA_BYTE_ARRAY suffix",
			 &n_suf, &used2, err);
	if (rc)
		return rc;
	if (n_pre != n_suf)
		return sl_err_set(err, SL_ECORRUPT,
				  "DELTA_BYTE_ARRAY: %zu prefix lengths but %zu suffix lengths",
				  n_pre, n_suf);
	/* out[i] holds (prefix length, suffix length): check them and size the output */
	const uint8_t *sfx = in + used1 + used2;
	size_t sfx_left = len - used1 - used2;
	uint64_t prev = 0, total = 0;
	for (size_t i = 0; i < n_pre; i++) {
		uint64_t pre = out[i].off, suf = out[i].len;
		if (pre > prev)
			return sl_err_set(err, SL_ECORRUPT,
					  "DELTA_BYTE_ARRAY: value %zu: prefix of %llu bytes after "
					  "a value of %llu",
					  i, (unsigned long long)pre, (unsigned long long)prev);
		if (suf > sfx_left)
			return sl_err_set(err, SL_ECORRUPT,
					  "DELTA_BYTE_ARRAY: value %zu: suffix of %llu bytes with "
					  "%zu left",
					  i, (unsigned long long)suf, sfx_left);
		sfx_left -= (size_t)suf;
		prev = pre + suf;
		total += prev;
		if (prev > UINT32_MAX || total > data->max)
			return sl_err_set(err, SL_ELIMIT,
					  "DELTA_BYTE_ARRAY: values add up to more than %zu bytes",
					  data->max);
	}
	size_t base = data->len;
	if (base + total > UINT32_MAX)
		return sl_err_set(err, SL_ELIMIT, "DELTA_BYTE_ARRAY: output over 4 GiB");
	uint8_t *o;
	rc = buf_extend(data, (size_t)total, &o);
	if (rc)
		return sl_err_set(err, rc, "DELTA_BYTE_ARRAY: %llu bytes of values: %s",
				  (unsigned long long)total, sl_code_name(rc));
	/* each prefix comes from the value before, already rebuilt just below o */
	const uint8_t *prev_v = o;
	size_t at = 0;
	for (size_t i = 0; i < n_pre; i++) {
		size_t pre = out[i].off, suf = out[i].len;
		memcpy(o + at, prev_v, pre);
		memcpy(o + at + pre, sfx, suf);
		sfx += suf;
		prev_v = o + at;
		out[i].off = (uint32_t)(base + at);
		out[i].len = (uint32_t)(pre + suf);
		at += pre + suf;
	}
	*got = n_pre;
	return 0;
}

int sl_pq_dlba_put(struct sl_buf *out, const uint8_t *data, const struct sl_pq_barr *v,
		   size_t n)
{
	struct denc e;
	int64_t tmp[256];
	denc_init(&e, out, n, true);
	for (size_t i = 0; i < n; i += 256) {
		size_t k = n - i < 256 ? n - i : 256;
		for (size_t j = 0; j < k; j++)
			tmp[j] = v[i + j].len;
		denc_feed(&e, tmp, k);
	}
	int rc = denc_finish(&e);
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = sl_buf_append(out, data + v[i].off, v[i].len);
	return rc;
}

static uint32_t common_prefix(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen, i = 0;
	while (i < n && a[i] == b[i])
		i++;
	return (uint32_t)i;
}

int sl_pq_dba_put(struct sl_buf *out, const uint8_t *data, const struct sl_pq_barr *v,
		  size_t n)
{
	struct denc e;
	int64_t tmp[256];
	uint32_t *pre = malloc((n ? n : 1) * sizeof(*pre));
	if (!pre)
		return SL_ENOMEM;
	for (size_t i = 0; i < n; i++)
		pre[i] = i ? common_prefix(data + v[i - 1].off, v[i - 1].len, data + v[i].off,
					   v[i].len)
			   : 0;
	int rc = 0;
	for (int pass = 0; pass < 2 && rc == 0; pass++) { /* prefix, then suffix lengths */
		denc_init(&e, out, n, true);
		for (size_t i = 0; i < n; i += 256) {
			size_t k = n - i < 256 ? n - i : 256;
			for (size_t j = 0; j < k; j++)
				tmp[j] = pass ? v[i + j].len - pre[i + j] : pre[i + j];
			denc_feed(&e, tmp, k);
		}
		rc = denc_finish(&e);
	}
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = sl_buf_append(out, data + v[i].off + pre[i], v[i].len - pre[i]);
	free(pre);
	return rc;
}

/* ---- BYTE_STREAM_SPLIT ------------------------------------------------------------ */

/* Values [i0, i1) of width w from streams of stride values; w constant when inlined. */
ALWAYS_INLINE void bss_gather(const uint8_t *in, size_t stride, size_t w, uint8_t *out,
			      size_t i0, size_t i1)
{
	for (size_t k = 0; k < w; k++) {
		const uint8_t *s = in + k * stride;
		for (size_t i = i0; i < i1; i++)
			out[i * w + k] = s[i];
	}
}

int sl_pq_bss_get(const void *p, size_t len, size_t width, uint8_t *out, size_t n,
		  struct sl_err *err)
{
	if (width == 0)
		return sl_err_set(err, SL_EINVAL, "BYTE_STREAM_SPLIT: width 0");
	/* the streams fill the page: their length is what the range holds */
	size_t stride = len / width;
	if (n > stride)
		return sl_err_set(err, SL_ECORRUPT,
				  "BYTE_STREAM_SPLIT: %zu values of %zu bytes in %zu bytes", n,
				  width, len);
	/* by blocks, so each block's output stays in cache while every stream visits it */
	for (size_t i = 0; i < n; i += 1024) {
		size_t i1 = n - i < 1024 ? n : i + 1024;
		switch (width) {
		case 4: bss_gather(p, stride, 4, out, i, i1); break;
		case 8: bss_gather(p, stride, 8, out, i, i1); break;
		default: bss_gather(p, stride, width, out, i, i1); break;
		}
	}
	return 0;
}

int sl_pq_bss_put(struct sl_buf *out, const uint8_t *v, size_t width, size_t n)
{
	if (width == 0 || (n && width > SIZE_MAX / n))
		return SL_EINVAL;
	uint8_t *o;
	int rc = buf_extend(out, n * width, &o);
	if (rc)
		return rc;
	for (size_t k = 0; k < width; k++)
		for (size_t i = 0; i < n; i++)
			o[k * n + i] = v[i * width + k];
	return 0;
}
