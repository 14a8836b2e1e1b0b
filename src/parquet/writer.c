/*
 * writer.c - the Parquet writer (writer.h): column buffers filled by the shredder
 * (shred.c) become pages, pages become column chunks, chunks become row groups, and the
 * file ends with the page indexes and the footer.
 *
 * How a column chunk is encoded:
 *   - Levels: the RLE/bit-packing hybrid, with a 4-byte length in v1 pages, bare and
 *     uncompressed in v2 pages.
 *   - Values start dictionary encoded (every type but BOOLEAN): indices go into
 *     RLE_DICTIONARY pages and the dictionary into one PLAIN dictionary page written
 *     first. The dictionary is judged once per chunk, at its first page, after 8192
 *     values, or before its values would fill a plain page, whichever comes first: when the dictionary plus its indices would not be
 *     smaller than the cheapest other encoding of the same values, the page is turned
 *     back into plain values and the chunk carries on without one. When the dictionary
 *     grows past dict_max_bytes, the page is cut and the rest of the chunk is written
 *     without it (parquet-mr's fallback).
 *   - Without a dictionary, INT32 and INT64 pages are DELTA_BINARY_PACKED when an exact
 *     estimate of that encoding (the bit widths of each miniblock of deltas) is at most
 *     half the PLAIN size, which is what sorted or nearly sorted values (timestamps,
 *     sequence numbers) give; everything else is PLAIN (booleans bit-packed).
 *   - Pages are cut between records once their estimated size reaches page_bytes; each
 *     is compressed with the codec on its own.
 * Statistics follow writer.h invariant 4; byte-array minima and maxima longer than 64
 * bytes are cut (the maximum rounded up) and marked inexact.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "parquet/encoding.h"
#include "parquet/writer_int.h"
#include "util/fs.h"

#ifndef SLUICE_VERSION
#define SLUICE_VERSION "0"
#endif

#define PQW_PROBE_VALUES 8192
#define PQW_PAGE_MAX ((size_t)INT32_MAX - 4096)

/* Blocks of footer metadata that must not move until close. */
struct arena_blk {
	struct arena_blk *next;
	size_t used, cap;
	_Alignas(16) unsigned char data[];
};

struct sl_pq_writer {
	struct sl_pq_write_opts o;
	const struct sl_pq_codec *codec;
	struct sl_type *row;           /* owned copy */
	struct sl_pq_schema *schema;   /* owned */
	struct pqw_shred sh;           /* the plan and the columns (sh.cols owned) */
	struct sl_pq_sink *sink;       /* borrowed */
	int64_t pos;                   /* bytes given to the sink */
	int broken;                    /* first fatal error: everything after fails */
	bool closed;
	int64_t rows, rg_rows;
	size_t since_check, check_every;
	uint32_t page_no;              /* pages cut so far (dictionary statistics stamps) */
	int64_t uncompressed_total;
	struct sl_buf page, comp, hdr, swap; /* scratch */
	int64_t *i64; size_t i64_cap;
	uint32_t *u32; size_t u32_cap;
	struct sl_pq_row_group *rgs; size_t n_rgs, cap_rgs;
	struct arena_blk *arena;
	struct sl_buf ci, oi;          /* encoded column and offset indexes */
	struct sl_json_parser *parser; /* put_json_text */
	struct sl_buf type_text;
};

/* ---- small helpers ------------------------------------------------------------------ */

static void *arena_alloc(struct sl_pq_writer *w, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	struct arena_blk *b = w->arena;
	if (!b || b->cap - b->used < n) {
		size_t cap = n > 65536 ? n : 65536;
		b = malloc(sizeof(*b) + cap);
		if (!b)
			return NULL;
		b->next = w->arena;
		b->used = 0;
		b->cap = cap;
		w->arena = b;
	}
	void *p = b->data + b->used;
	b->used += n;
	memset(p, 0, n);
	return p;
}

static int emit(struct sl_pq_writer *w, const void *p, size_t len, struct sl_err *err)
{
	if (!len)
		return 0;
	int rc = w->sink->write(w->sink->ctx, p, len, err);
	if (rc)
		return rc;
	w->pos += (int64_t)len;
	return 0;
}

static int bit_width32(uint32_t max)
{
	return max ? 32 - __builtin_clz(max) : 0;
}

static int oom(struct sl_err *err)
{
	return sl_err_set(err, SL_ENOMEM, "parquet writer: out of memory");
}

static int buf_rc(int rc, const struct pqw_col *c, struct sl_err *err)
{
	if (rc == SL_ENOMEM)
		return oom(err);
	return sl_err_set(err, rc, "parquet writer: column %s: a buffer would exceed its limit",
			  c ? c->path : "?");
}

static int64_t *i64_room(struct sl_pq_writer *w, size_t n)
{
	if (n > w->i64_cap) {
		int64_t *p = realloc(w->i64, n * sizeof(*p));
		if (!p)
			return NULL;
		w->i64 = p;
		w->i64_cap = n;
	}
	return w->i64;
}

static uint32_t *u32_room(struct sl_pq_writer *w, size_t n)
{
	if (n > w->u32_cap) {
		uint32_t *p = realloc(w->u32, n * sizeof(*p));
		if (!p)
			return NULL;
		w->u32 = p;
		w->u32_cap = n;
	}
	return w->u32;
}

/* ---- sinks -------------------------------------------------------------------------- */

static int fd_write(void *ctx, const void *p, size_t len, struct sl_err *err)
{
	return sl_write_all(*(int *)ctx, p, len, "parquet file", err);
}

void sl_pq_sink_fd(struct sl_pq_sink *s, int *fd)
{
	s->ctx = fd;
	s->write = fd_write;
}

static int buf_write(void *ctx, const void *p, size_t len, struct sl_err *err)
{
	int rc = sl_buf_append(ctx, p, len);
	if (rc)
		return sl_err_set(err, rc, "parquet sink buffer: %s", sl_code_name(rc));
	return 0;
}

void sl_pq_sink_buf(struct sl_pq_sink *s, struct sl_buf *b)
{
	s->ctx = b;
	s->write = buf_write;
}

/* ---- options ------------------------------------------------------------------------ */

void sl_pq_write_opts_default(struct sl_pq_write_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->row_group_rows = 122880;
	o->row_group_bytes = (size_t)128 << 20;
	o->page_bytes = (size_t)1 << 20;
	o->dict_max_bytes = (size_t)1 << 20;
	o->page_version = 1;
}

/* ---- statistics --------------------------------------------------------------------- */

/* Compares two values in their statistics form (PLAIN bytes without a length). */
static int stat_cmp(int order, const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	switch (order) {
	case PQW_ORD_BOOL: return (int)a[0] - (int)b[0];
	case PQW_ORD_I32: {
		int32_t x, y;
		memcpy(&x, a, 4);
		memcpy(&y, b, 4);
		return (x > y) - (x < y);
	}
	case PQW_ORD_U32: {
		uint32_t x, y;
		memcpy(&x, a, 4);
		memcpy(&y, b, 4);
		return (x > y) - (x < y);
	}
	case PQW_ORD_I64: {
		int64_t x, y;
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		return (x > y) - (x < y);
	}
	case PQW_ORD_U64: {
		uint64_t x, y;
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		return (x > y) - (x < y);
	}
	case PQW_ORD_FLOAT: {
		float x, y;
		memcpy(&x, a, 4);
		memcpy(&y, b, 4);
		/* -0.0 below +0.0, as the statistics promise */
		if (x == y)
			return (int)__builtin_signbit(y) - (int)__builtin_signbit(x);
		return (x > y) - (x < y);
	}
	case PQW_ORD_DOUBLE: {
		double x, y;
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		if (x == y)
			return (int)__builtin_signbit(y) - (int)__builtin_signbit(x);
		return (x > y) - (x < y);
	}
	case PQW_ORD_DEC_FLBA:
		/* the same width: the sign byte signed, the rest unsigned */
		if (al && bl && a[0] != b[0])
			return (int)(int8_t)a[0] - (int)(int8_t)b[0];
		if (al && bl)
			return memcmp(a + 1, b + 1, al < bl ? al - 1 : bl - 1);
		return (al > bl) - (al < bl);
	default: {
		int c = memcmp(a, b, al < bl ? al : bl);
		return c ? c : (al > bl) - (al < bl);
	}
	}
}

static bool is_nan_value(int order, const uint8_t *v)
{
	if (order == PQW_ORD_FLOAT) {
		float f;
		memcpy(&f, v, 4);
		return f != f;
	}
	if (order == PQW_ORD_DOUBLE) {
		double d;
		memcpy(&d, v, 8);
		return d != d;
	}
	return false;
}

/* Stores a page minimum or maximum in the column's stat bytes: byte arrays cut at 64
 * bytes (UTF-8 strings at a character boundary); a cut maximum is rounded up. */
static int store_stat(struct pqw_col *c, const uint8_t *v, size_t len, bool is_max,
		      uint32_t *off, uint32_t *out_len, bool *exact)
{
	uint8_t tmp[PQW_STAT_MAX + 8];
	*exact = true;
	if (c->order == PQW_ORD_FLOAT || c->order == PQW_ORD_DOUBLE) {
		/* zero is written as -0.0 when it is the minimum and +0.0 as the maximum */
		memcpy(tmp, v, len);
		if (c->order == PQW_ORD_FLOAT) {
			float f;
			memcpy(&f, tmp, 4);
			if (f == 0)
				f = is_max ? 0.0f : -0.0f;
			memcpy(tmp, &f, 4);
		} else {
			double d;
			memcpy(&d, tmp, 8);
			if (d == 0)
				d = is_max ? 0.0 : -0.0;
			memcpy(tmp, &d, 8);
		}
		v = tmp;
	} else if (c->order == PQW_ORD_BYTES && c->width == 0 && len > PQW_STAT_MAX) {
		size_t n = PQW_STAT_MAX;
		bool text = c->conv == PQW_STRING || c->conv == PQW_JSON;
		if (text)
			while (n > 0 && (v[n] & 0xC0) == 0x80)
				n--; /* v[n] starts the first character left out */
		if (!is_max) {
			memcpy(tmp, v, n);
		} else {
			/* round up: the last byte that can grow grows and the rest goes (in text,
			 * only an ASCII byte, so the prefix stays valid UTF-8) */
			memcpy(tmp, v, n);
			while (n > 0 && (tmp[n - 1] == 0xFF || (text && tmp[n - 1] >= 0x7F)))
				n--;
			if (n == 0) {
				*exact = true;
				goto full; /* nothing to round up: keep the whole value */
			}
			tmp[n - 1]++;
		}
		*exact = false;
		v = tmp;
		len = n;
	}
full:
	if (sl_pqw_reserve(&c->stat_bytes, len) != 0)
		return SL_ENOMEM;
	*off = (uint32_t)c->stat_bytes.len;
	*out_len = (uint32_t)len;
	memcpy(c->stat_bytes.data + c->stat_bytes.len, v, len);
	c->stat_bytes.len += len;
	return 0;
}

/* Min and max of the page's values: dictionary entries are looked at once per page (the
 * stamp), plain values one by one. */
static int page_minmax(struct sl_pq_writer *w, struct pqw_col *c, struct pqw_pstat *ps)
{
	uint32_t n = c->n_values;
	if (n == 0)
		return 0;
	const uint8_t *vals;
	const uint32_t *idx = NULL;
	size_t n_cand = n;
	bool dict = c->mode == PQW_MODE_DICT;
	if (dict) {
		uint32_t *cand = u32_room(w, n);
		if (!cand)
			return SL_ENOMEM;
		const uint32_t *ix = (const uint32_t *)c->val.data;
		uint32_t stamp = w->page_no;
		n_cand = 0;
		for (uint32_t i = 0; i < n; i++) {
			uint32_t e = ix[i];
			if (c->dict.stamp[e] != stamp) {
				c->dict.stamp[e] = stamp;
				cand[n_cand++] = e;
			}
		}
		idx = cand;
		vals = (const uint8_t *)c->dict.vals.data;
	} else {
		vals = (const uint8_t *)c->val.data;
	}
	const uint8_t *min = NULL, *max = NULL;
	size_t min_len = 0, max_len = 0;
	if (c->width) {
		size_t wd = c->width;
		for (size_t i = 0; i < n_cand; i++) {
			const uint8_t *v = vals + (size_t)(idx ? idx[i] : i) * wd;
			if (is_nan_value(c->order, v))
				continue;
			if (!min || stat_cmp(c->order, v, wd, min, wd) < 0)
				min = v;
			if (!max || stat_cmp(c->order, v, wd, max, wd) > 0)
				max = v;
		}
		min_len = max_len = wd;
	} else {
		size_t at = 0;
		for (size_t i = 0; i < n_cand; i++) {
			const uint8_t *v;
			uint32_t len;
			if (idx) {
				v = vals + c->dict.off[idx[i]];
			} else {
				v = vals + at + 4;
			}
			memcpy(&len, v - 4, 4);
			at += 4 + (size_t)len;
			if (!min || stat_cmp(c->order, v, len, min, min_len) < 0) {
				min = v;
				min_len = len;
			}
			if (!max || stat_cmp(c->order, v, len, max, max_len) > 0) {
				max = v;
				max_len = len;
			}
		}
	}
	if (!min)
		return 0; /* only NaNs */
	int rc = store_stat(c, min, min_len, false, &ps->min_off, &ps->min_len, &ps->min_exact);
	if (!rc)
		rc = store_stat(c, max, max_len, true, &ps->max_off, &ps->max_len, &ps->max_exact);
	if (rc)
		return rc;
	ps->has_minmax = true;
	return 0;
}

/* ---- encodings ---------------------------------------------------------------------- */

/* The exact size DELTA_BINARY_PACKED would take (blocks of 128, 4 miniblocks), or
 * SIZE_MAX when INT32 values span 2^31 or more: their widened deltas could need 33 bits,
 * which the encoding does not allow for INT32. */
static size_t delta_size(const int64_t *v, size_t n, bool is32)
{
	if (is32) {
		int64_t lo = INT64_MAX, hi = INT64_MIN;
		for (size_t i = 0; i < n; i++) {
			lo = v[i] < lo ? v[i] : lo;
			hi = v[i] > hi ? v[i] : hi;
		}
		if (n && hi - lo >= ((int64_t)1 << 31))
			return SIZE_MAX;
	}
	size_t size = 4 * 5 + 10; /* header: block size, miniblocks, count, first value */
	for (size_t b = 1; b < n; b += 128) {
		size_t end = b + 128 < n ? b + 128 : n;
		int64_t mn = INT64_MAX;
		for (size_t i = b; i < end; i++) {
			int64_t d = (int64_t)((uint64_t)v[i] - (uint64_t)v[i - 1]);
			if (d < mn)
				mn = d;
		}
		size += 10 + 4;
		for (size_t m = b; m < end; m += 32) {
			size_t me = m + 32 < end ? m + 32 : end;
			uint64_t mx = 0;
			for (size_t i = m; i < me; i++) {
				uint64_t d = (uint64_t)v[i] - (uint64_t)v[i - 1] - (uint64_t)mn;
				if (d > mx)
					mx = d;
			}
			size += (size_t)(mx ? 64 - __builtin_clzll(mx) : 0) * 4;
		}
	}
	return size;
}

/* The page's (or probe's) values as int64, from plain bytes or dictionary indices. */
static int64_t *widen(struct sl_pq_writer *w, const struct pqw_col *c)
{
	size_t n = c->n_values;
	int64_t *v = i64_room(w, n ? n : 1);
	if (!v)
		return NULL;
	const uint8_t *src = (const uint8_t *)(c->mode == PQW_MODE_DICT ? c->dict.vals.data
									: c->val.data);
	const uint32_t *ix = (const uint32_t *)c->val.data;
	for (size_t i = 0; i < n; i++) {
		size_t k = c->mode == PQW_MODE_DICT ? ix[i] : i;
		if (c->width == 4) {
			int32_t x;
			memcpy(&x, src + k * 4, 4);
			v[i] = x;
		} else {
			memcpy(&v[i], src + k * 8, 8);
		}
	}
	return v;
}

static bool delta_candidate(const struct sl_pq_writer *w, const struct pqw_col *c)
{
	return !w->o.no_delta && (c->phys == SL_PQ_INT32 || c->phys == SL_PQ_INT64);
}

/* Appends runs of equal values with put_run, short ones value by value. */
static void rle_u8(struct sl_pq_rle_enc *e, const uint8_t *v, size_t n)
{
	size_t i = 0;
	while (i < n) {
		size_t j = i + 1;
		while (j < n && v[j] == v[i])
			j++;
		if (j - i >= 8) {
			sl_pq_rle_enc_put_run(e, v[i], j - i);
		} else {
			for (size_t k = i; k < j; k++)
				sl_pq_rle_enc_put(e, v[k]);
		}
		i = j;
	}
}

static void rle_u32(struct sl_pq_rle_enc *e, const uint32_t *v, size_t n)
{
	size_t i = 0;
	while (i < n) {
		size_t j = i + 1;
		while (j < n && v[j] == v[i])
			j++;
		if (j - i >= 8) {
			sl_pq_rle_enc_put_run(e, v[i], j - i);
		} else {
			for (size_t k = i; k < j; k++)
				sl_pq_rle_enc_put(e, v[k]);
		}
		i = j;
	}
}

/* Levels as the hybrid encoding; v1 pages put their length first. */
static int put_levels(struct sl_buf *out, const char *lv, size_t n, int max, bool prefix,
		      size_t *len_out, struct sl_err *err)
{
	size_t at = out->len;
	uint32_t zero = 0;
	if (prefix && sl_buf_append(out, &zero, 4) != 0)
		return oom(err);
	struct sl_pq_rle_enc e;
	sl_pq_rle_enc_init(&e, out, sl_pq_bit_width((uint64_t)max));
	rle_u8(&e, (const uint8_t *)lv, n);
	int rc = sl_pq_rle_enc_finish(&e, err);
	if (rc)
		return rc;
	if (prefix) {
		uint32_t l = (uint32_t)(out->len - at - 4);
		memcpy(out->data + at, &l, 4);
	}
	*len_out = out->len - at;
	return 0;
}

/* Compresses src into w->comp (or points at src for no codec). */
static int compress(struct sl_pq_writer *w, const void *src, size_t len, const void **out,
		    size_t *out_len, struct sl_err *err)
{
	if (w->codec->id == SL_PQ_UNCOMPRESSED) {
		*out = src;
		*out_len = len;
		return 0;
	}
	size_t bound = w->codec->bound(len);
	w->comp.len = 0;
	int rc = sl_pqw_reserve(&w->comp, bound);
	if (rc)
		return buf_rc(rc, NULL, err);
	size_t n;
	if ((rc = w->codec->compress(src, len, w->comp.data, bound, &n, w->o.level, err)) != 0)
		return rc;
	w->comp.len = n;
	*out = w->comp.data;
	*out_len = n;
	return 0;
}

/* ---- the dictionary's verdict ---------------------------------------------------------- */

/* Turns the page's indices back into plain values; the chunk goes on without a
 * dictionary (the entries stay if earlier pages of the chunk use them). */
static int dict_to_plain(struct sl_pq_writer *w, struct pqw_col *c, struct sl_err *err)
{
	struct sl_buf *nb = &w->swap;
	nb->len = 0;
	const uint32_t *ix = (const uint32_t *)c->val.data;
	const char *dv = c->dict.vals.data;
	size_t need = 0;
	for (uint32_t i = 0; i < c->n_values; i++) {
		if (c->width) {
			need += c->width;
		} else {
			uint32_t len;
			memcpy(&len, dv + c->dict.off[ix[i]] - 4, 4);
			need += 4 + (size_t)len;
		}
	}
	int rc = sl_pqw_reserve(nb, need);
	if (rc)
		return buf_rc(rc, c, err);
	char *o = nb->data;
	for (uint32_t i = 0; i < c->n_values; i++) {
		if (c->width) {
			memcpy(o, dv + (size_t)ix[i] * c->width, c->width);
			o += c->width;
		} else {
			const char *e = dv + c->dict.off[ix[i]] - 4;
			uint32_t len;
			memcpy(&len, e, 4);
			memcpy(o, e, 4 + (size_t)len);
			o += 4 + (size_t)len;
		}
	}
	nb->len = need;
	struct sl_buf t = c->val;
	nb->max = t.max;
	c->val = *nb;
	*nb = t;
	c->mode = PQW_MODE_PLAIN;
	if (!c->dict_used)
		sl_pqw_dict_reset(c);
	return 0;
}

/* Keeps the dictionary only when it and its indices are smaller than the values in the
 * cheapest other encoding. */
static int dict_judge(struct sl_pq_writer *w, struct pqw_col *c, struct sl_err *err)
{
	c->probed = true;
	size_t n = c->n_values;
	size_t dict_cost = c->dict.vals.len + n * (size_t)bit_width32(c->dict.n - 1) / 8 + 1;
	size_t other;
	if (c->width) {
		other = n * c->width;
	} else {
		other = 0;
		const uint32_t *ix = (const uint32_t *)c->val.data;
		for (size_t i = 0; i < n; i++) {
			uint32_t len;
			memcpy(&len, c->dict.vals.data + c->dict.off[ix[i]] - 4, 4);
			other += 4 + (size_t)len;
		}
	}
	if (delta_candidate(w, c)) {
		int64_t *v = widen(w, c);
		if (!v)
			return oom(err);
		size_t d = delta_size(v, n, c->phys == SL_PQ_INT32);
		if (d < other)
			other = d;
	}
	if (dict_cost < other)
		return 0;
	return dict_to_plain(w, c, err);
}

/* ---- pages -------------------------------------------------------------------------- */

static int push_pstat(struct pqw_col *c, const struct pqw_pstat *ps)
{
	if (c->n_pages == c->cap_pages) {
		size_t cap = c->cap_pages ? c->cap_pages * 2 : 8;
		struct pqw_pstat *p = realloc(c->pstats, cap * sizeof(*p));
		if (!p)
			return SL_ENOMEM;
		c->pstats = p;
		c->cap_pages = cap;
	}
	c->pstats[c->n_pages++] = *ps;
	return 0;
}

/* Encodes, compresses and appends the column's current page to its chunk. */
static int page_cut(struct sl_pq_writer *w, struct pqw_col *c, struct sl_err *err)
{
	if (c->n_levels == 0)
		return 0;
	int rc;
	if (c->mode == PQW_MODE_DICT && !c->probed && c->n_values &&
	    (rc = dict_judge(w, c, err)) != 0)
		return rc;
	w->page_no++;
	uint32_t n_lv = c->n_levels, n_val = c->n_values;
	bool v1 = w->o.page_version != 2;
	struct pqw_pstat ps = {0};
	ps.nulls = (int64_t)n_lv - n_val;
	ps.n_values = n_val;
	ps.first_row = c->page_first_row;
	if (!w->o.no_stats && (rc = page_minmax(w, c, &ps)) != 0)
		return oom(err);

	struct sl_buf *pg = &w->page;
	pg->len = 0;
	size_t rep_len = 0, def_len = 0;
	if (c->max_rep && (rc = put_levels(pg, c->rep.data, n_lv, c->max_rep, v1, &rep_len, err)))
		return rc;
	if (c->max_def && (rc = put_levels(pg, c->def.data, n_lv, c->max_def, v1, &def_len, err)))
		return rc;
	size_t lv_len = pg->len;
	int32_t enc;
	if (c->mode == PQW_MODE_DICT && n_val) {
		enc = SL_PQ_ENC_RLE_DICTIONARY;
		int bw = bit_width32(c->dict.n ? c->dict.n - 1 : 0);
		if (bw == 0)
			bw = 1; /* some readers take a zero width badly; one bit costs nothing */
		uint8_t b = (uint8_t)bw;
		if (sl_buf_append(pg, &b, 1) != 0)
			return oom(err);
		struct sl_pq_rle_enc e;
		sl_pq_rle_enc_init(&e, pg, bw);
		rle_u32(&e, (const uint32_t *)c->val.data, n_val);
		if ((rc = sl_pq_rle_enc_finish(&e, err)) != 0)
			return rc;
		c->dict_used = true;
	} else if (c->phys == SL_PQ_BOOLEAN) {
		enc = SL_PQ_ENC_PLAIN;
		if ((rc = sl_pq_plain_put_bools(pg, (const uint8_t *)c->val.data, n_val)) != 0)
			return buf_rc(rc, c, err);
		c->used_plain = true;
	} else {
		int64_t *v = NULL;
		enc = SL_PQ_ENC_PLAIN;
		if (delta_candidate(w, c) && n_val > 0) {
			if (!(v = widen(w, c)))
				return oom(err);
			size_t d = delta_size(v, n_val, c->phys == SL_PQ_INT32);
			if (d != SIZE_MAX && d * 2 <= c->val.len)
				enc = SL_PQ_ENC_DELTA_BINARY_PACKED;
		}
		if (enc == SL_PQ_ENC_DELTA_BINARY_PACKED) {
			if ((rc = sl_pq_delta_put(pg, v, n_val)) != 0)
				return buf_rc(rc, c, err);
			c->used_delta = true;
		} else {
			if (sl_pqw_reserve(pg, c->val.len) != 0)
				return buf_rc(SL_ELIMIT, c, err);
			memcpy(pg->data + pg->len, c->val.data, c->val.len);
			pg->len += c->val.len;
			c->used_plain = true;
		}
	}
	size_t body = pg->len;
	if (body > PQW_PAGE_MAX)
		return sl_err_set(err, SL_ELIMIT, "parquet writer: column %s: a page of %zu bytes",
				  c->path, body);
	const void *data;
	size_t data_len;
	if (v1)
		rc = compress(w, pg->data, body, &data, &data_len, err);
	else
		rc = compress(w, pg->data + lv_len, body - lv_len, &data, &data_len, err);
	if (rc)
		return rc;

	struct sl_pq_page_header h;
	memset(&h, 0, sizeof(h));
	h.uncompressed_size = (int32_t)body;
	h.compressed_size = (int32_t)((v1 ? 0 : lv_len) + data_len);
	if (v1) {
		h.type = SL_PQ_DATA_PAGE;
		h.has_data = true;
		h.data.num_values = (int32_t)n_lv;
		h.data.encoding = enc;
		h.data.def_encoding = SL_PQ_ENC_RLE;
		h.data.rep_encoding = SL_PQ_ENC_RLE;
	} else {
		h.type = SL_PQ_DATA_PAGE_V2;
		h.has_data_v2 = true;
		h.data_v2.num_values = (int32_t)n_lv;
		h.data_v2.num_nulls = (int32_t)(n_lv - n_val);
		h.data_v2.num_rows = (int32_t)(w->rg_rows - c->page_first_row);
		h.data_v2.encoding = enc;
		h.data_v2.def_levels_len = (int32_t)def_len;
		h.data_v2.rep_levels_len = (int32_t)rep_len;
		h.data_v2.is_compressed = w->codec->id != SL_PQ_UNCOMPRESSED;
	}
	h.data.stats.null_count = h.data_v2.stats.null_count = -1;
	h.data.stats.distinct_count = h.data_v2.stats.distinct_count = -1;
	h.data.stats.is_min_exact = h.data.stats.is_max_exact = -1;
	h.data_v2.stats.is_min_exact = h.data_v2.stats.is_max_exact = -1;
	w->hdr.len = 0;
	if ((rc = sl_pq_page_header_encode(&h, &w->hdr, err)) != 0)
		return rc;
	ps.page_off = (uint32_t)c->pages.len;
	ps.page_size = (uint32_t)(w->hdr.len + (size_t)h.compressed_size);
	if ((rc = sl_buf_append(&c->pages, w->hdr.data, w->hdr.len)) != 0 ||
	    (!v1 && (rc = sl_buf_append(&c->pages, pg->data, lv_len)) != 0) ||
	    (rc = sl_buf_append(&c->pages, data, data_len)) != 0)
		return buf_rc(rc, c, err);
	if (push_pstat(c, &ps) != 0)
		return oom(err);
	c->chunk_uncompressed += (int64_t)(w->hdr.len + body);
	w->uncompressed_total += (int64_t)body;
	c->chunk_values += n_lv;
	c->def.len = c->rep.len = c->val.len = 0;
	c->n_levels = c->n_values = 0;
	c->page_first_row = w->rg_rows;
	return 0;
}

/* What the current page would take, roughly: value bytes (indices at their bit width)
 * and an eighth of a byte per level. */
static size_t page_estimate(const struct pqw_col *c)
{
	size_t lv = (c->max_def || c->max_rep) ? c->n_levels / 8 : 0;
	if (c->mode == PQW_MODE_DICT)
		return lv + (size_t)c->n_values * (size_t)bit_width32(c->dict.n) / 8;
	if (c->phys == SL_PQ_BOOLEAN)
		return lv + c->n_values / 8;
	return lv + c->val.len;
}

/* ---- column chunks and row groups -------------------------------------------------- */

/* Orders pages for the column index: ascending, descending or neither. */
static int32_t boundary_order(const struct pqw_col *c)
{
	bool asc = true, desc = true;
	const struct pqw_pstat *prev = NULL;
	const uint8_t *sb = (const uint8_t *)c->stat_bytes.data;
	for (size_t i = 0; i < c->n_pages; i++) {
		const struct pqw_pstat *p = &c->pstats[i];
		if (!p->has_minmax)
			continue;
		if (prev) {
			int a = stat_cmp(c->order, sb + prev->min_off, prev->min_len, sb + p->min_off,
					 p->min_len);
			int b = stat_cmp(c->order, sb + prev->max_off, prev->max_len, sb + p->max_off,
					 p->max_len);
			if (a > 0 || b > 0)
				asc = false;
			if (a < 0 || b < 0)
				desc = false;
		}
		prev = p;
	}
	return asc ? SL_PQ_ASCENDING : desc ? SL_PQ_DESCENDING : SL_PQ_UNORDERED;
}

static int write_indexes(struct sl_pq_writer *w, struct pqw_col *c, int64_t data_off,
			 struct sl_pq_column_chunk *cc, struct sl_err *err)
{
	size_t n = c->n_pages;
	int rc = 0;
	const uint8_t *sb = (const uint8_t *)c->stat_bytes.data;
	/* the column index needs every page's bounds; a page of NaNs alone has none */
	bool ci_ok = !w->o.no_stats;
	for (size_t i = 0; i < n && ci_ok; i++)
		if (!c->pstats[i].has_minmax && c->pstats[i].n_values)
			ci_ok = false;
	struct sl_pq_page_location *locs = calloc(n, sizeof(*locs));
	bool *nulls = calloc(n, sizeof(*nulls));
	struct sl_pq_bytes *mins = calloc(n, sizeof(*mins));
	struct sl_pq_bytes *maxs = calloc(n, sizeof(*maxs));
	int64_t *ncounts = calloc(n, sizeof(*ncounts));
	if (!locs || !nulls || !mins || !maxs || !ncounts) {
		rc = oom(err);
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		const struct pqw_pstat *p = &c->pstats[i];
		locs[i].offset = data_off + p->page_off;
		locs[i].compressed_size = (int32_t)p->page_size;
		locs[i].first_row = p->first_row;
		/* a page that holds values but no bounds (NaNs only) was refused above */
		nulls[i] = p->n_values == 0;
		static const uint8_t none[1];
		mins[i] = p->has_minmax ? (struct sl_pq_bytes){sb + p->min_off, p->min_len}
					: (struct sl_pq_bytes){none, 0};
		maxs[i] = p->has_minmax ? (struct sl_pq_bytes){sb + p->max_off, p->max_len}
					: (struct sl_pq_bytes){none, 0};
		ncounts[i] = p->nulls;
	}
	if (ci_ok) {
		struct sl_pq_column_index ci = {
			.null_pages = nulls, .n_pages = n, .min_values = mins, .max_values = maxs,
			.boundary_order = boundary_order(c), .null_counts = ncounts,
		};
		size_t at = w->ci.len;
		if ((rc = sl_pq_column_index_encode(&ci, &w->ci, err)) != 0)
			goto fail;
		cc->column_index_offset = (int64_t)at; /* made absolute at close */
		cc->column_index_length = (int32_t)(w->ci.len - at);
	}
	struct sl_pq_offset_index oi = {.pages = locs, .n_pages = n};
	size_t at = w->oi.len;
	if ((rc = sl_pq_offset_index_encode(&oi, &w->oi, err)) != 0)
		goto fail;
	cc->offset_index_offset = (int64_t)at;
	cc->offset_index_length = (int32_t)(w->oi.len - at);
fail:
	free(locs);
	free(nulls);
	free(mins);
	free(maxs);
	free(ncounts);
	return rc;
}

/* The chunk's statistics from its pages' (copied into the footer's arena). */
static int chunk_stats(struct sl_pq_writer *w, const struct pqw_col *c, struct sl_pq_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->null_count = st->distinct_count = -1;
	st->is_min_exact = st->is_max_exact = -1;
	if (w->o.no_stats)
		return 0;
	st->present = true;
	st->null_count = 0;
	const uint8_t *sb = (const uint8_t *)c->stat_bytes.data;
	const struct pqw_pstat *mn = NULL, *mx = NULL;
	for (size_t i = 0; i < c->n_pages; i++) {
		const struct pqw_pstat *p = &c->pstats[i];
		st->null_count += p->nulls;
		if (!p->has_minmax)
			continue;
		int a = mn ? stat_cmp(c->order, sb + p->min_off, p->min_len, sb + mn->min_off,
				      mn->min_len)
			   : -1;
		if (a < 0 || (a == 0 && p->min_exact && !mn->min_exact))
			mn = p;
		int b = mx ? stat_cmp(c->order, sb + p->max_off, p->max_len, sb + mx->max_off,
				      mx->max_len)
			   : 1;
		if (b > 0 || (b == 0 && p->max_exact && !mx->max_exact))
			mx = p;
	}
	if (!mn)
		return 0;
	uint8_t *lo = arena_alloc(w, mn->min_len + 1), *hi = arena_alloc(w, mx->max_len + 1);
	if (!lo || !hi)
		return SL_ENOMEM;
	memcpy(lo, sb + mn->min_off, mn->min_len);
	memcpy(hi, sb + mx->max_off, mx->max_len);
	st->min_value = (struct sl_pq_bytes){lo, mn->min_len};
	st->max_value = (struct sl_pq_bytes){hi, mx->max_len};
	st->is_min_exact = mn->min_exact;
	st->is_max_exact = mx->max_exact;
	return 0;
}

static int chunk_flush(struct sl_pq_writer *w, struct pqw_col *c, struct sl_pq_column_chunk *cc,
		       struct sl_err *err)
{
	int rc;
	if ((rc = page_cut(w, c, err)) != 0)
		return rc;
	int64_t start = w->pos, dict_off = -1;
	if (c->dict_used) {
		const void *data;
		size_t data_len;
		if ((rc = compress(w, c->dict.vals.data, c->dict.vals.len, &data, &data_len, err)))
			return rc;
		struct sl_pq_page_header h;
		memset(&h, 0, sizeof(h));
		h.type = SL_PQ_DICTIONARY_PAGE;
		h.uncompressed_size = (int32_t)c->dict.vals.len;
		h.compressed_size = (int32_t)data_len;
		h.has_dict = true;
		h.dict.num_values = (int32_t)c->dict.n;
		h.dict.encoding = SL_PQ_ENC_PLAIN;
		w->hdr.len = 0;
		if ((rc = sl_pq_page_header_encode(&h, &w->hdr, err)) != 0)
			return rc;
		dict_off = start;
		if ((rc = emit(w, w->hdr.data, w->hdr.len, err)) != 0 ||
		    (rc = emit(w, data, data_len, err)) != 0)
			return rc;
		c->chunk_uncompressed += (int64_t)(w->hdr.len + c->dict.vals.len);
		w->uncompressed_total += (int64_t)c->dict.vals.len;
	}
	int64_t data_off = w->pos;
	if ((rc = emit(w, c->pages.data, c->pages.len, err)) != 0)
		return rc;

	memset(cc, 0, sizeof(*cc));
	cc->file_offset = start;
	cc->has_meta = true;
	cc->offset_index_offset = cc->column_index_offset = -1;
	cc->offset_index_length = cc->column_index_length = -1;
	struct sl_pq_column_meta *m = &cc->meta;
	m->type = c->phys;
	int32_t *enc = arena_alloc(w, 4 * sizeof(*enc));
	if (!enc)
		return oom(err);
	size_t ne = 0;
	if (c->dict_used || c->used_plain)
		enc[ne++] = SL_PQ_ENC_PLAIN;
	if (c->max_def || c->max_rep)
		enc[ne++] = SL_PQ_ENC_RLE;
	if (c->dict_used)
		enc[ne++] = SL_PQ_ENC_RLE_DICTIONARY;
	if (c->used_delta)
		enc[ne++] = SL_PQ_ENC_DELTA_BINARY_PACKED;
	m->encodings = enc;
	m->n_encodings = ne;
	m->path = c->path_elems;
	m->n_path = c->n_path_elems;
	m->codec = w->codec->id;
	m->num_values = c->chunk_values;
	m->total_uncompressed_size = c->chunk_uncompressed;
	m->total_compressed_size = w->pos - start;
	m->data_page_offset = data_off;
	m->index_page_offset = -1;
	m->dictionary_page_offset = dict_off;
	m->bloom_filter_offset = -1;
	m->bloom_filter_length = -1;
	if (chunk_stats(w, c, &m->stats) != 0)
		return oom(err);
	if (!w->o.no_page_index && (rc = write_indexes(w, c, data_off, cc, err)) != 0)
		return rc;

	/* the next chunk starts afresh */
	c->pages.len = 0;
	c->n_pages = 0;
	c->stat_bytes.len = 0;
	c->chunk_values = c->chunk_uncompressed = 0;
	c->dict_used = c->used_plain = c->used_delta = false;
	c->probed = false;
	sl_pqw_dict_reset(c);
	c->mode = (w->o.no_dictionary || c->phys == SL_PQ_BOOLEAN) ? PQW_MODE_PLAIN : PQW_MODE_DICT;
	c->page_first_row = 0;
	return 0;
}

static int rg_flush(struct sl_pq_writer *w, struct sl_err *err)
{
	if (w->rg_rows == 0)
		return 0;
	if (w->n_rgs == w->cap_rgs) {
		size_t cap = w->cap_rgs ? w->cap_rgs * 2 : 16;
		struct sl_pq_row_group *p = realloc(w->rgs, cap * sizeof(*p));
		if (!p)
			return oom(err);
		w->rgs = p;
		w->cap_rgs = cap;
	}
	if (w->n_rgs >= INT16_MAX)
		return sl_err_set(err, SL_ELIMIT, "parquet writer: more than %d row groups",
				  INT16_MAX);
	struct sl_pq_row_group *rg = &w->rgs[w->n_rgs];
	memset(rg, 0, sizeof(*rg));
	rg->columns = arena_alloc(w, w->sh.n_cols * sizeof(*rg->columns));
	if (!rg->columns)
		return oom(err);
	rg->n_columns = w->sh.n_cols;
	rg->file_offset = w->pos;
	int64_t start = w->pos;
	for (size_t i = 0; i < w->sh.n_cols; i++) {
		int rc = chunk_flush(w, &w->sh.cols[i], &rg->columns[i], err);
		if (rc)
			return rc;
		rg->total_byte_size += rg->columns[i].meta.total_uncompressed_size;
	}
	rg->total_compressed_size = w->pos - start;
	rg->num_rows = w->rg_rows;
	rg->ordinal = (int32_t)w->n_rgs;
	w->n_rgs++;
	w->rg_rows = 0;
	w->since_check = 0;
	return 0;
}

/* Between records: cuts pages that are full, judges or drops dictionaries, and cuts the
 * row group when it is full. Looked at every check_every bytes of input, so the cost
 * per record does not grow with the number of columns. */
static int after_record(struct sl_pq_writer *w, size_t text_len, struct sl_err *err)
{
	w->rows++;
	w->rg_rows++;
	if (w->rg_rows >= w->o.row_group_rows)
		return rg_flush(w, err);
	w->since_check += text_len + w->sh.n_cols;
	if (w->since_check < w->check_every)
		return 0;
	w->since_check = 0;
	size_t buffered = 0;
	int rc;
	for (size_t i = 0; i < w->sh.n_cols; i++) {
		struct pqw_col *c = &w->sh.cols[i];
		if (c->mode == PQW_MODE_DICT) {
			/* judged before the values would fill a plain page, so that a page
			 * turned back into plain values stays near page_bytes */
			size_t avg = c->width ? c->width : c->dict.vals.len / (c->dict.n ? c->dict.n : 1);
			if (!c->probed && (c->n_values >= PQW_PROBE_VALUES ||
					   (size_t)c->n_values * avg >= w->o.page_bytes) &&
			    (rc = dict_judge(w, c, err)) != 0)
				return rc;
			if (c->mode == PQW_MODE_DICT && c->dict.vals.len >= w->o.dict_max_bytes) {
				c->probed = true;
				if ((rc = page_cut(w, c, err)) != 0)
					return rc;
				c->mode = PQW_MODE_PLAIN;
			}
		}
		if (page_estimate(c) >= w->o.page_bytes && (rc = page_cut(w, c, err)) != 0)
			return rc;
		buffered += c->pages.len + c->val.len + c->def.len + c->rep.len + c->dict.vals.len;
	}
	if (buffered >= w->o.row_group_bytes)
		return rg_flush(w, err);
	return 0;
}

/* ---- the API ------------------------------------------------------------------------ */

static uint64_t random_seed(const void *salt)
{
	uint64_t s = 0;
	if (getrandom(&s, sizeof(s), GRND_NONBLOCK) != (ssize_t)sizeof(s)) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		s = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)salt;
	}
	return s;
}

static int col_init(struct sl_pq_writer *w, struct pqw_col *c, struct sl_err *err)
{
	sl_buf_init(&c->def, PQW_BUF_MAX);
	sl_buf_init(&c->rep, PQW_BUF_MAX);
	sl_buf_init(&c->val, PQW_BUF_MAX);
	sl_buf_init(&c->pages, (size_t)UINT32_MAX - 1);
	sl_buf_init(&c->stat_bytes, PQW_BUF_MAX);
	sl_buf_init(&c->dict.vals, PQW_BUF_MAX);
	c->mode = (w->o.no_dictionary || c->phys == SL_PQ_BOOLEAN) ? PQW_MODE_PLAIN : PQW_MODE_DICT;
	c->hash_seed = random_seed(c);
	struct sl_buf p;
	sl_buf_init(&p, 0);
	size_t depth = 0;
	for (const struct sl_pq_node *n = c->leaf; n && n->parent; n = n->parent)
		depth++;
	c->path_elems = calloc(depth ? depth : 1, sizeof(*c->path_elems));
	if (!c->path_elems || sl_pq_node_path(c->leaf, &p) != 0 || !(c->path = strdup(p.data ? p.data : ""))) {
		sl_buf_release(&p);
		return oom(err);
	}
	sl_buf_release(&p);
	c->n_path_elems = depth;
	size_t i = depth;
	for (const struct sl_pq_node *n = c->leaf; n && n->parent; n = n->parent) {
		i--;
		c->path_elems[i].p = (const uint8_t *)n->name;
		c->path_elems[i].len = (uint32_t)strlen(n->name);
	}
	return 0;
}

int sl_pq_writer_open(const struct sl_type *row, const struct sl_pq_write_opts *opts,
		      struct sl_pq_sink *sink, struct sl_pq_writer **out, struct sl_err *err)
{
	*out = NULL;
	struct sl_pq_writer *w = calloc(1, sizeof(*w));
	if (!w)
		return oom(err);
	int rc;
	struct sl_pq_write_opts def;
	sl_pq_write_opts_default(&def);
	w->o = opts ? *opts : def;
	if (w->o.row_group_rows <= 0)
		w->o.row_group_rows = def.row_group_rows;
	if (!w->o.row_group_bytes)
		w->o.row_group_bytes = def.row_group_bytes;
	if (!w->o.page_bytes)
		w->o.page_bytes = def.page_bytes;
	if (!w->o.dict_max_bytes)
		w->o.dict_max_bytes = def.dict_max_bytes;
	if (!w->o.page_version)
		w->o.page_version = 1;
	if (w->o.page_version != 1 && w->o.page_version != 2) {
		rc = sl_err_set(err, SL_EINVAL, "parquet writer: page version %d (1 or 2)",
				w->o.page_version);
		goto fail;
	}
	w->codec = w->o.codec ? w->o.codec : sl_pq_codec_by_name("zstd");
	if (!w->codec || (w->codec->id != SL_PQ_UNCOMPRESSED &&
			  (!w->codec->compress || !w->codec->bound))) {
		rc = sl_err_set(err, SL_EINVAL, "parquet writer: codec %s cannot compress",
				w->codec ? w->codec->name : "zstd");
		goto fail;
	}
	size_t ce = w->o.page_bytes < w->o.dict_max_bytes ? w->o.page_bytes : w->o.dict_max_bytes;
	if (w->o.row_group_bytes < ce)
		ce = w->o.row_group_bytes;
	w->check_every = ce / 8 ? ce / 8 : 1;
	w->sink = sink;
	sl_buf_init(&w->page, PQW_PAGE_MAX + 64);
	sl_buf_init(&w->comp, (size_t)INT32_MAX);
	sl_buf_init(&w->hdr, 1 << 20);
	sl_buf_init(&w->swap, PQW_BUF_MAX);
	sl_buf_init(&w->ci, (size_t)1 << 30);
	sl_buf_init(&w->oi, (size_t)1 << 30);
	sl_buf_init(&w->type_text, 16 << 20);
	if (!row || row->kind != SL_T_STRUCT) {
		rc = sl_err_set(err, SL_EINVAL, "parquet writer: the row type must be a struct");
		goto fail;
	}
	if (!(w->row = sl_type_clone(row))) {
		rc = oom(err);
		goto fail;
	}
	if ((rc = sl_pq_schema_from_type(w->row, &w->schema, err)) != 0)
		goto fail;
	w->sh.n_cols = w->schema->n_leaves;
	w->sh.cols = calloc(w->sh.n_cols ? w->sh.n_cols : 1, sizeof(*w->sh.cols));
	if (!w->sh.cols) {
		rc = oom(err);
		goto fail;
	}
	if ((rc = sl_pqw_plan_build(&w->sh, w->row, w->schema, err)) != 0)
		goto fail;
	for (size_t i = 0; i < w->sh.n_cols; i++)
		if ((rc = col_init(w, &w->sh.cols[i], err)) != 0)
			goto fail;
	if ((rc = sl_type_format(w->row, &w->type_text)) != 0) {
		rc = sl_err_set(err, rc, "parquet writer: cannot format the row type");
		goto fail;
	}
	if ((rc = emit(w, "PAR1", 4, err)) != 0)
		goto fail;
	*out = w;
	return 0;
fail:
	sl_pq_writer_free(w);
	return rc;
}

void sl_pq_writer_set_strict_members(struct sl_pq_writer *w, bool strict)
{
	w->sh.strict_members = strict;
}

static int usable(struct sl_pq_writer *w, struct sl_err *err)
{
	if (w->broken)
		return sl_err_set(err, w->broken, "parquet writer: unusable after an earlier error");
	if (w->closed)
		return sl_err_set(err, SL_EINVAL, "parquet writer: already closed");
	return 0;
}

int sl_pq_writer_put_json(struct sl_pq_writer *w, const struct sl_json_doc *doc,
			  struct sl_err *err)
{
	int rc = usable(w, err);
	if (rc)
		return rc;
	if ((rc = sl_pqw_shred(&w->sh, doc, err)) != 0) {
		if (rc != SL_EINVAL)
			w->broken = rc;
		return rc;
	}
	if ((rc = after_record(w, doc->len, err)) != 0)
		w->broken = rc;
	return rc;
}

int sl_pq_writer_put_json_text(struct sl_pq_writer *w, const char *text, size_t len,
			       struct sl_err *err)
{
	int rc = usable(w, err);
	if (rc)
		return rc;
	if (!w->parser && !(w->parser = sl_json_parser_new(NULL)))
		return oom(err);
	struct sl_json_doc doc;
	struct sl_json_error e;
	if (sl_json_parse(w->parser, text, len, &doc, &e) != 0)
		return sl_err_set(err, e.code == SL_ENOMEM ? SL_ENOMEM : SL_EINVAL,
				  "at (root): not JSON: %s", e.msg);
	return sl_pq_writer_put_json(w, &doc, err);
}

const char *sl_pq_writer_error_pointer(const struct sl_pq_writer *w)
{
	return w->sh.pointer ? w->sh.pointer : "";
}

int sl_pq_writer_flush(struct sl_pq_writer *w, struct sl_err *err)
{
	int rc = usable(w, err);
	if (rc)
		return rc;
	if ((rc = rg_flush(w, err)) != 0)
		w->broken = rc;
	return rc;
}

int sl_pq_writer_close(struct sl_pq_writer *w, struct sl_err *err)
{
	int rc = usable(w, err);
	if (rc)
		return rc;
	struct sl_pq_schema_elem *elems = NULL;
	struct sl_pq_kv *kv = NULL;
	bool *orders = NULL;
	struct sl_buf foot;
	sl_buf_init(&foot, (size_t)64 << 20); /* the reader's default footer limit */
	if ((rc = rg_flush(w, err)) != 0)
		goto fail;
	int64_t ci_start = w->pos;
	if ((rc = emit(w, w->ci.data, w->ci.len, err)) != 0)
		goto fail;
	int64_t oi_start = w->pos;
	if ((rc = emit(w, w->oi.data, w->oi.len, err)) != 0)
		goto fail;
	for (size_t g = 0; g < w->n_rgs; g++)
		for (size_t i = 0; i < w->rgs[g].n_columns; i++) {
			struct sl_pq_column_chunk *cc = &w->rgs[g].columns[i];
			if (cc->column_index_offset >= 0)
				cc->column_index_offset += ci_start;
			if (cc->offset_index_offset >= 0)
				cc->offset_index_offset += oi_start;
		}

	struct sl_pq_file_meta m;
	memset(&m, 0, sizeof(m));
	m.version = w->o.page_version == 2 ? 2 : 1;
	if ((rc = sl_pq_schema_to_elems(w->schema, &elems, &m.n_schema, err)) != 0)
		goto fail;
	m.schema = elems;
	m.num_rows = w->rows;
	m.row_groups = w->rgs;
	m.n_row_groups = w->n_rgs;
	kv = calloc(w->o.n_kv + 1, sizeof(*kv));
	orders = calloc(w->sh.n_cols ? w->sh.n_cols : 1, sizeof(*orders));
	if (!kv || !orders) {
		rc = oom(err);
		goto fail;
	}
	kv[0].key = (struct sl_pq_bytes){(const uint8_t *)"sluice.type", 11};
	kv[0].value = (struct sl_pq_bytes){(const uint8_t *)w->type_text.data,
					   (uint32_t)w->type_text.len};
	for (size_t i = 0; i < w->o.n_kv; i++) {
		const struct sl_pq_kv_pair *p = &w->o.kv[i];
		kv[i + 1].key = (struct sl_pq_bytes){(const uint8_t *)p->key, (uint32_t)strlen(p->key)};
		if (p->value)
			kv[i + 1].value = (struct sl_pq_bytes){(const uint8_t *)p->value,
							       (uint32_t)strlen(p->value)};
	}
	m.kv = kv;
	m.n_kv = w->o.n_kv + 1;
	const char *by = w->o.created_by ? w->o.created_by : "sluice version " SLUICE_VERSION;
	m.created_by = (struct sl_pq_bytes){(const uint8_t *)by, (uint32_t)strlen(by)};
	for (size_t i = 0; i < w->sh.n_cols; i++)
		orders[i] = true;
	m.column_orders_typed = orders;
	m.n_column_orders = w->sh.n_cols;
	if ((rc = sl_pq_file_meta_encode(&m, &foot, err)) != 0)
		goto fail;
	uint32_t flen = (uint32_t)foot.len;
	if ((rc = emit(w, foot.data, foot.len, err)) != 0 || (rc = emit(w, &flen, 4, err)) != 0 ||
	    (rc = emit(w, "PAR1", 4, err)) != 0)
		goto fail;
	w->closed = true;
fail:
	if (rc)
		w->broken = rc;
	free(elems);
	free(kv);
	free(orders);
	sl_buf_release(&foot);
	return rc;
}

void sl_pq_writer_stats(const struct sl_pq_writer *w, struct sl_pq_write_stats *st)
{
	st->rows = w->rows;
	st->row_groups = (int64_t)w->n_rgs;
	st->bytes_written = w->pos;
	st->uncompressed_bytes = w->uncompressed_total;
}

void sl_pq_writer_free(struct sl_pq_writer *w)
{
	if (!w)
		return;
	for (size_t i = 0; w->sh.cols && i < w->sh.n_cols; i++) {
		struct pqw_col *c = &w->sh.cols[i];
		sl_buf_release(&c->def);
		sl_buf_release(&c->rep);
		sl_buf_release(&c->val);
		sl_buf_release(&c->pages);
		sl_buf_release(&c->stat_bytes);
		sl_pqw_dict_release(&c->dict);
		free(c->pstats);
		free(c->path);
		free(c->path_elems);
	}
	free(w->sh.cols);
	sl_pqw_plan_free(&w->sh);
	sl_pq_schema_free(w->schema);
	sl_type_free(w->row);
	sl_buf_release(&w->page);
	sl_buf_release(&w->comp);
	sl_buf_release(&w->hdr);
	sl_buf_release(&w->swap);
	sl_buf_release(&w->ci);
	sl_buf_release(&w->oi);
	sl_buf_release(&w->type_text);
	free(w->i64);
	free(w->u32);
	free(w->rgs);
	while (w->arena) {
		struct arena_blk *n = w->arena->next;
		free(w->arena);
		w->arena = n;
	}
	sl_json_parser_free(w->parser);
	free(w);
}
