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
 *     first. Values are shredded in PLAIN form and only looked up when their page is cut,
 *     a page at a time (see "dictionaries" below). The dictionary is weighed on the
 *     chunk's first page (on a sample of it first): when it and its indices are not
 *     smaller than the values in the cheapest other encoding, that page and the rest of
 *     the chunk go without one. When
 *     it grows past dict_max_bytes (by at most one page), the rest of the chunk is
 *     written without it (parquet-mr's fallback).
 *   - Without a dictionary, INT32 and INT64 pages are DELTA_BINARY_PACKED when an exact
 *     estimate of that encoding (the bit widths of each miniblock of deltas) is at most
 *     a third of the PLAIN size, which sorted or nearly sorted values (sequence numbers,
 *     ordered timestamps) give; everything else is PLAIN (booleans bit-packed).
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
	size_t buffered;          /* the row group's bytes at the last check */
	uint32_t page_no;              /* pages cut so far (dictionary statistics stamps) */
	int64_t uncompressed_total;
	struct sl_buf page, comp, hdr; /* scratch */
	int64_t *i64; size_t i64_cap;
	uint32_t *u32; size_t u32_cap;
	uint8_t *u8; size_t u8_cap;    /* a sparse column's levels, made whole */
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

static uint8_t *u8_room(struct sl_pq_writer *w, size_t n)
{
	n += PQW_VAL_SLACK; /* the hybrid encoder reads whole words */
	if (n > w->u8_cap) {
		uint8_t *p = realloc(w->u8, n);
		if (!p)
			return NULL;
		w->u8 = p;
		w->u8_cap = n;
	}
	return w->u8;
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
	if (sl_buf_reserve(&c->stat_bytes, len) != 0)
		return SL_ENOMEM;
	*off = (uint32_t)c->stat_bytes.len;
	*out_len = (uint32_t)len;
	memcpy(c->stat_bytes.data + c->stat_bytes.len, v, len);
	c->stat_bytes.len += len;
	return 0;
}

/* One typed pass for the common orders (the generic comparator per value costs more
 * than the rest of the page's encoding); zeros of either sign compare equal here, which
 * store_stat makes right. */
#define PQW_MINMAX(T, SKIP_NAN)                                                                 \
	do {                                                                                    \
		T lo_v = 0, hi_v = 0;                                                           \
		for (size_t i = 0; i < n; i++) {                                                \
			size_t k = idx ? idx[i] : i;                                            \
			T x;                                                                    \
			memcpy(&x, vals + k * sizeof(T), sizeof(T));                            \
			if (SKIP_NAN && x != x)                                                 \
				continue;                                                       \
			if (!*min || x < lo_v) {                                                \
				lo_v = x;                                                       \
				*min = vals + k * sizeof(T);                                    \
			}                                                                       \
			if (!*max || x > hi_v) {                                                \
				hi_v = x;                                                       \
				*max = vals + k * sizeof(T);                                    \
			}                                                                       \
		}                                                                               \
	} while (0)

static inline uint64_t be64(const uint8_t *p)
{
	uint64_t x;
	memcpy(&x, p, 8);
	return __builtin_bswap64(x);
}

static void minmax_fixed(const struct pqw_col *c, const uint8_t *vals, const uint32_t *idx,
			 size_t n, const uint8_t **min, const uint8_t **max)
{
	*min = *max = NULL;
	switch (c->order) {
	case PQW_ORD_I32: PQW_MINMAX(int32_t, 0); return;
	case PQW_ORD_U32: PQW_MINMAX(uint32_t, 0); return;
	case PQW_ORD_I64: PQW_MINMAX(int64_t, 0); return;
	case PQW_ORD_U64: PQW_MINMAX(uint64_t, 0); return;
	case PQW_ORD_FLOAT: PQW_MINMAX(float, 1); return;
	case PQW_ORD_DOUBLE: PQW_MINMAX(double, 1); return;
	default: break;
	}
	size_t wd = c->width;
	if (c->order == PQW_ORD_BYTES && wd == 16) {
		/* uuids: two big-endian words compare as the bytes do */
		uint64_t lo_a = 0, lo_b = 0, hi_a = 0, hi_b = 0;
		for (size_t i = 0; i < n; i++) {
			const uint8_t *v = vals + (idx ? idx[i] : i) * 16;
			uint64_t a = be64(v), b = be64(v + 8);
			if (!*min || a < lo_a || (a == lo_a && b < lo_b)) {
				lo_a = a;
				lo_b = b;
				*min = v;
			}
			if (!*max || a > hi_a || (a == hi_a && b > hi_b)) {
				hi_a = a;
				hi_b = b;
				*max = v;
			}
		}
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const uint8_t *v = vals + (idx ? idx[i] : i) * wd;
		if (!*min || stat_cmp(c->order, v, wd, *min, wd) < 0)
			*min = v;
		if (!*max || stat_cmp(c->order, v, wd, *max, wd) > 0)
			*max = v;
	}
}

/* Min and max of the page's values: byte arrays through the dictionary, each entry
 * looked at once per page (its stamp), so that a value repeated costs no compare;
 * fixed-width values (their compares cost less than a stamp's random access in a large
 * dictionary) and byte arrays without one, one by one from the page's PLAIN values. */
static int page_minmax(struct sl_pq_writer *w, struct pqw_col *c, const uint32_t *ix,
		       uint32_t *cand, struct pqw_pstat *ps)
{
	uint32_t n = c->n_values;
	if (n == 0)
		return 0;
	const uint8_t *vals;
	const uint32_t *idx = NULL;
	size_t n_cand = n;
	if (ix && !c->width) {
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
		vals = (const uint8_t *)c->val;
	}
	const uint8_t *min = NULL, *max = NULL;
	size_t min_len = 0, max_len = 0;
	if (c->width) {
		minmax_fixed(c, vals, idx, n_cand, &min, &max);
		min_len = max_len = c->width;
	} else {
		size_t at = 0;
		for (size_t i = 0; i < n_cand; i++) {
			const uint8_t *v = idx ? vals + c->dict.off[idx[i]] : vals + at + 4;
			uint32_t len;
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

/* ---- dictionaries -------------------------------------------------------------------
 * A page's values are looked up when the page is cut, a whole page at a time, so that
 * only one column's table is in the cache at a time (dict_encode says how a large one
 * hides its cache misses). Entries are numbered in insertion order; the table is a
 * linear-probing array of (hash << 32 | index + 1), at most half full. */

static void dict_release(struct pqw_dict *d)
{
	free(d->slots);
	free(d->off);
	free(d->key);
	free(d->hash);
	free(d->stamp);
	sl_buf_release(&d->vals);
	memset(d, 0, sizeof(*d));
}

static void dict_reset(struct pqw_dict *d)
{
	if (d->slots && d->n)
		memset(d->slots, 0, ((size_t)d->mask + 1) * sizeof(*d->slots));
	d->n = 0;
	d->vals.len = 0;
}

static int dict_grow_table(struct pqw_dict *d)
{
	size_t n_slots = d->slots ? ((size_t)d->mask + 1) * 2 : 1024;
	if (n_slots > ((size_t)1 << 31))
		return SL_ELIMIT;
	uint64_t *slots = calloc(n_slots, sizeof(*slots));
	if (!slots)
		return SL_ENOMEM;
	uint32_t mask = (uint32_t)(n_slots - 1);
	for (uint32_t e = 0; e < d->n; e++) {
		uint32_t i = d->hash[e] & mask;
		while (slots[i])
			i = (i + 1) & mask;
		slots[i] = (uint64_t)d->hash[e] << 32 | (e + 1);
	}
	free(d->slots);
	d->slots = slots;
	d->mask = mask;
	return 0;
}

static int dict_grow_entries(struct pqw_dict *d, bool bytes)
{
	if (d->cap > (UINT32_MAX >> 2))
		return SL_ELIMIT;
	uint32_t cap = d->cap ? d->cap * 2 : 256;
	uint32_t *h = realloc(d->hash, (size_t)cap * sizeof(*h));
	if (!h)
		return SL_ENOMEM;
	d->hash = h;
	uint32_t *st = realloc(d->stamp, (size_t)cap * sizeof(*st));
	if (!st)
		return SL_ENOMEM;
	d->stamp = st;
	if (bytes) {
		uint32_t *o = realloc(d->off, (size_t)cap * sizeof(*o));
		if (!o)
			return SL_ENOMEM;
		d->off = o;
		struct pqw_key *k = realloc(d->key, (size_t)cap * sizeof(*k));
		if (!k)
			return SL_ENOMEM;
		d->key = k;
	}
	d->cap = cap;
	return 0;
}

static inline bool eq_fixed(const uint8_t *a, const uint8_t *b, uint32_t n)
{
	uint64_t x, y, u, v;
	switch (n) {
	case 4: {
		uint32_t p, q;
		memcpy(&p, a, 4);
		memcpy(&q, b, 4);
		return p == q;
	}
	case 8:
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		return x == y;
	case 16:
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		memcpy(&u, a + 8, 8);
		memcpy(&v, b + 8, 8);
		return ((x ^ y) | (u ^ v)) == 0;
	default: return memcmp(a, b, n) == 0;
	}
}

/* A byte array's key: up to PQW_SHORT bytes are the bytes themselves, zero padded, with
 * the length in the top byte, so that equality is two word compares; a longer one keeps
 * its first 8 bytes and 0xFF above its length, and the rest is compared in place. Read
 * with two 8-byte loads, which the value buffers' slack (PQW_VAL_SLACK) keeps inside
 * them; the bytes past the value are masked off. */
#define PQW_SHORT 15

static inline struct pqw_key make_key(const uint8_t *p, uint32_t len)
{
	struct pqw_key k;
	memcpy(&k.a, p, 8);
	memcpy(&k.b, p + 8, 8);
	if (len > PQW_SHORT) {
		k.b = (uint64_t)0xFF << 56 | len;
		return k;
	}
	uint32_t la = len < 8 ? len : 8, lb = len - la; /* lb <= 7 */
	k.a &= la == 8 ? ~(uint64_t)0 : ((uint64_t)1 << (8 * la)) - 1;
	k.b &= ((uint64_t)1 << (8 * lb)) - 1;
	k.b |= (uint64_t)len << 56;
	return k;
}

/* A value waiting to be looked up: hashed (and its slot prefetched) PQW_AHEAD values
 * before its turn. */
struct probe {
	const uint8_t *v;
	uint32_t len, h;
	struct pqw_key k;
};

#define PQW_AHEAD 32 /* values hashed before their lookup */
#define PQW_RING 64  /* a power of two above PQW_AHEAD */
#define PQW_BIG_TABLE 8192 /* slots past which lookups prefetch entries as well */

static inline uint32_t hash_fixed(const uint8_t *v, uint32_t width, uint64_t seed)
{
	uint64_t x, y;
	switch (width) {
	case 4: {
		uint32_t z;
		memcpy(&z, v, 4);
		return (uint32_t)(sl_pqw_mix64(z ^ seed) >> 32);
	}
	case 8:
		memcpy(&x, v, 8);
		return (uint32_t)(sl_pqw_mix64(x ^ seed) >> 32);
	case 16:
		memcpy(&x, v, 8);
		memcpy(&y, v + 8, 8);
		return (uint32_t)(sl_pqw_mix64((x ^ seed) * 0x9fb21c651e98df25ull ^ y) >> 32);
	default: return (uint32_t)(sl_pqw_hash(v, width, seed) >> 32);
	}
}

/* A short key's hash: both words, seeded, multiplied into 128 bits and the halves
 * folded (one multiply; every input bit reaches the low bits the table uses). */
static inline uint32_t hash_key(struct pqw_key k, uint64_t seed)
{
	unsigned __int128 p = (unsigned __int128)(k.a ^ seed) *
			      (k.b ^ (seed * 0x9e3779b97f4a7c15ull));
	uint64_t m = (uint64_t)p ^ (uint64_t)(p >> 64);
	return (uint32_t)m ^ (uint32_t)(m >> 32);
}

/* Value number i of the page (*at: the byte offset of a byte array's length) as a probe. */
static inline void probe_make(const struct pqw_col *c, const uint8_t *vals, uint32_t i,
			      size_t *at, struct probe *pr)
{
	uint32_t wd = c->width;
	if (wd) {
		pr->v = vals + (size_t)i * wd;
		pr->len = wd;
		pr->h = hash_fixed(pr->v, wd, c->hash_seed);
		return;
	}
	memcpy(&pr->len, vals + *at, 4);
	pr->v = vals + *at + 4;
	*at += 4 + (size_t)pr->len;
	pr->k = make_key(pr->v, pr->len);
	pr->h = pr->len <= PQW_SHORT ? hash_key(pr->k, c->hash_seed)
				      : (uint32_t)(sl_pqw_hash(pr->v, pr->len, c->hash_seed) >> 32);
}

/* The entry of the probed value, added if new. -1 when out of memory. */
static inline __attribute__((always_inline)) int64_t dict_find(struct pqw_dict *d,
								  const struct probe *pr,
								  uint32_t width)
{
	if (!d->slots || d->n >= (d->mask + 1) / 2)
		if (dict_grow_table(d) != 0)
			return -1;
	uint32_t h = pr->h, len = pr->len;
	uint32_t i = h & d->mask;
	for (uint64_t sl; (sl = d->slots[i]) != 0; i = (i + 1) & d->mask) {
		if ((uint32_t)(sl >> 32) != h)
			continue;
		uint32_t e = (uint32_t)sl - 1;
		if (width) {
			if (eq_fixed((const uint8_t *)d->vals.data + (size_t)e * width, pr->v, width))
				return e;
			continue;
		}
		const struct pqw_key *k = &d->key[e];
		if (k->a != pr->k.a || k->b != pr->k.b)
			continue;
		if (len <= PQW_SHORT ||
		    memcmp(d->vals.data + d->off[e] + 8, pr->v + 8, len - 8) == 0)
			return e;
	}
	if (d->n >= d->cap && dict_grow_entries(d, width == 0) != 0)
		return -1;
	size_t add = width ? width : (size_t)len + 4;
	if (d->vals.cap - d->vals.len <= add && sl_buf_reserve(&d->vals, add) != 0)
		return -1;
	uint8_t *o = (uint8_t *)d->vals.data + d->vals.len;
	uint32_t e = d->n++;
	if (!width) {
		memcpy(o, &len, 4); /* PLAIN: the little-endian length, then the bytes */
		o += 4;
		d->off[e] = (uint32_t)(d->vals.len + 4);
		d->key[e] = pr->k;
	}
	memcpy(o, pr->v, len);
	d->vals.len += add;
	d->hash[e] = h;
	d->stamp[e] = 0;
	d->slots[i] = (uint64_t)h << 32 | (e + 1);
	return e;
}

/* The page's values [from, n) as dictionary indices (into ix), new values added; *at is
 * the byte offset of value from (byte arrays) and moves past value n - 1. While the
 * table is small (in the cache) values are looked up one by one; once it is large the
 * lookups are pipelined: a value is hashed and its slot prefetched PQW_AHEAD values
 * before its turn, and its entry half way, so that the cache misses of a large
 * dictionary overlap instead of adding up. */
static int dict_encode(struct pqw_col *c, uint32_t *ix, uint32_t from, uint32_t n, size_t *at_io)
{
	struct pqw_dict *d = &c->dict;
	const uint8_t *p = (const uint8_t *)c->val;
	uint32_t wd = c->width;
	size_t at = *at_io;
	uint32_t i = from;
	while (i < n && (!d->slots || d->mask < PQW_BIG_TABLE)) {
		struct probe pr;
		probe_make(c, p, i, &at, &pr);
		int64_t e = dict_find(d, &pr, wd);
		if (e < 0)
			return SL_ENOMEM;
		ix[i++] = (uint32_t)e;
	}
	struct probe ring[PQW_RING];
	uint32_t ahead = i;
	for (; i < n; i++) {
		for (; ahead < n && ahead <= i + PQW_AHEAD; ahead++) {
			struct probe *pr = &ring[ahead % PQW_RING];
			probe_make(c, p, ahead, &at, pr);
			__builtin_prefetch(&d->slots[pr->h & d->mask]);
		}
		if (i + PQW_AHEAD / 2 < ahead) {
			const struct probe *pr = &ring[(i + PQW_AHEAD / 2) % PQW_RING];
			uint64_t sl = d->slots[pr->h & d->mask];
			if (sl && (uint32_t)(sl >> 32) == pr->h) {
				uint32_t e = (uint32_t)sl - 1;
				__builtin_prefetch(wd ? (const void *)(d->vals.data + (size_t)e * wd)
						      : (const void *)&d->key[e]);
			}
		}
		int64_t e = dict_find(d, &ring[i % PQW_RING], wd);
		if (e < 0)
			return SL_ENOMEM;
		ix[i] = (uint32_t)e;
	}
	*at_io = at;
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

/* The page's INT32 or INT64 values [from, from + n) as int64. */
static int64_t *widen(struct sl_pq_writer *w, const struct pqw_col *c, size_t from, size_t n)
{
	int64_t *v = i64_room(w, n ? n : 1);
	if (!v)
		return NULL;
	const uint8_t *src = (const uint8_t *)c->val + from * c->width;
	if (c->width == 4) {
		for (size_t i = 0; i < n; i++) {
			int32_t x;
			memcpy(&x, src + i * 4, 4);
			v[i] = x;
		}
	} else {
		memcpy(v, src, n * 8);
	}
	return v;
}

/* DELTA_BINARY_PACKED is chosen for a page when it takes at most a third of PLAIN: the
 * compressor gets PLAIN integers to about three bytes of eight on real data (jittered
 * timestamps), so a smaller gain is not one once compressed. SIZE_MAX: not a candidate
 * (*v stays NULL). */
static size_t delta_cost(struct sl_pq_writer *w, const struct pqw_col *c, size_t from,
			 size_t n, int64_t **v)
{
	*v = NULL;
	if (w->o.no_delta || (c->phys != SL_PQ_INT32 && c->phys != SL_PQ_INT64) || !n)
		return SIZE_MAX;
	if (!(*v = widen(w, c, from, n)))
		return SIZE_MAX;
	return delta_size(*v, n, c->phys == SL_PQ_INT32);
}

/* ---- the RLE / bit-packing hybrid, in bulk -------------------------------------------
 * Levels and dictionary indices are whole arrays by the time a page is cut, so they are
 * encoded here in one pass rather than value by value through encoding.h's streaming
 * encoder: runs of at least PQW_MIN_RUN equal values become RLE runs, everything else
 * bit-packed runs of groups of 8 (a bit-packed run ends on a group boundary, so a run
 * of equal values starts up to 7 values late; the last group is padded with zeros).
 * The reader side is encoding.h's decoder, and the unit tests decode every page. */

#define PQW_MIN_RUN 16

static uint8_t *put_varint(uint8_t *o, uint64_t v)
{
	while (v >= 0x80) {
		*o++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*o++ = (uint8_t)v;
	return o;
}

/* The hybrid encoder is written once for both inputs, levels (bytes) and dictionary
 * indices (uint32), and instantiated for each with the input type a constant. */
#define HV(i) (v8 ? v8[i] : v32[i])

/* Eight byte values of bw (1..8) bits, LSB first, in the low 8 * bw bits of a word:
 * neighbours are merged pairwise, then pairs of pairs, then the two halves. */
static inline uint64_t pack8_bytes(uint64_t w, int bw)
{
	const uint64_t lane16 = 0x0001000100010001ull, lane32 = 0x0000000100000001ull;
	if (bw == 1) /* one multiply gathers bit 0 of each byte into the top byte */
		return (w * 0x0102040810204080ull) >> 56;
	w = (w | w >> (8 - bw)) & (lane16 * ((1u << (2 * bw)) - 1));
	w = (w | w >> (16 - 2 * bw)) & (lane32 * (uint32_t)(((uint64_t)1 << (4 * bw)) - 1));
	w |= w >> (32 - 4 * bw);
	return bw == 8 ? w : w & (((uint64_t)1 << (8 * bw)) - 1);
}

/* Eight values of bw bits, LSB first, into bw bytes (8 bytes may be stored: the caller
 * reserved room). */
static inline __attribute__((always_inline)) uint8_t *pack_group(uint8_t *o, const uint8_t *v8,
								  const uint32_t *v32, int bw)
{
	if (v8) {
		uint64_t w;
		memcpy(&w, v8, 8);
		w = pack8_bytes(w, bw);
		memcpy(o, &w, 8);
		return o + bw;
	}
	if (bw <= 8) { /* 64 bits hold the group */
		uint64_t acc = 0;
		for (int k = 0; k < 8; k++)
			acc |= (uint64_t)v32[k] << (k * bw);
		memcpy(o, &acc, 8);
		return o + bw;
	}
	uint64_t acc = 0; /* wider indices: whole 32-bit words out, at most 31 + 32 bits held */
	int nb = 0;
	for (int k = 0; k < 8; k++) {
		acc |= (uint64_t)v32[k] << nb;
		nb += bw;
		if (nb >= 32) {
			uint32_t word = (uint32_t)acc;
			memcpy(o, &word, 4);
			o += 4;
			acc >>= 32;
			nb -= 32;
		}
	}
	memcpy(o, &acc, 8); /* 8 * bw bits in all: what is held is whole bytes */
	return o + nb / 8;
}

static inline __attribute__((always_inline)) uint8_t *
put_packed(uint8_t *o, const uint8_t *v8, const uint32_t *v32, size_t from, size_t to, int bw)
{
	size_t groups = (to - from + 7) / 8;
	if (!groups)
		return o;
	o = put_varint(o, (uint64_t)groups << 1 | 1);
	size_t full = (to - from) / 8;
	for (size_t g = 0; g < full; g++, from += 8)
		o = pack_group(o, v8 ? v8 + from : NULL, v8 ? NULL : v32 + from, bw);
	if (from < to) { /* the last group, padded with zeros */
		uint8_t l8[8] = {0};
		uint32_t l32[8] = {0};
		for (size_t i = from; i < to; i++) {
			if (v8)
				l8[i - from] = v8[i];
			else
				l32[i - from] = v32[i];
		}
		o = pack_group(o, v8 ? l8 : NULL, v8 ? NULL : l32, bw);
	}
	return o;
}

static uint8_t *put_rle_run(uint8_t *o, uint32_t v, size_t len, int bw)
{
	o = put_varint(o, (uint64_t)len << 1);
	for (int b = 0; b < (bw + 7) / 8; b++)
		*o++ = (uint8_t)(v >> (8 * b));
	return o;
}

/* Whether the 8 values from i on are equal. */
static inline __attribute__((always_inline)) bool uniform8(const uint8_t *v8,
							   const uint32_t *v32, size_t i)
{
	if (v8) {
		uint64_t w;
		memcpy(&w, v8 + i, 8);
		return w == (w & 0xff) * 0x0101010101010101ull;
	}
	uint32_t x = v32[i], d = 0;
	for (int k = 1; k < 8; k++)
		d |= v32[i + k] ^ x;
	return d == 0;
}

/* Appends n values (v8 or v32) of bw bits (1..32) in the hybrid encoding. A run of
 * PQW_MIN_RUN (16) equal values always covers a whole aligned block of 8, so the scan
 * steps a block at a time and only looks closer at uniform blocks. */
static inline __attribute__((always_inline)) int put_hybrid(struct sl_buf *out,
							    const uint8_t *v8,
							    const uint32_t *v32, size_t n, int bw)
{
	/* worst case: everything bit-packed, a header per run, and the 8 bytes a group may
	 * store past its own */
	size_t bound = n / 8 * (size_t)bw + (size_t)bw + 32 + (n / PQW_MIN_RUN + 1) * 16;
	int rc = sl_buf_reserve(out, bound);
	if (rc)
		return rc;
	uint8_t *o = (uint8_t *)out->data + out->len;
	size_t i = 0, bp = 0;
	while (i + 8 <= n) {
		if (!uniform8(v8, v32, i)) {
			i += 8;
			continue;
		}
		uint32_t x = HV(i);
		size_t st = i, e = i + 8;
		if (v8) { /* the ends of the run found a word at a time */
			const uint64_t pat = x * 0x0101010101010101ull;
			uint64_t w;
			if (st > bp) {
				memcpy(&w, v8 + st - 8, 8); /* st >= 8: blocks are aligned */
				w ^= pat;
				size_t back = w ? (size_t)__builtin_clzll(w) / 8 : 8;
				st -= back < st - bp ? back : st - bp;
			}
			for (; e + 8 <= n; e += 8) {
				memcpy(&w, v8 + e, 8);
				if ((w ^= pat) != 0) {
					e += (size_t)__builtin_ctzll(w) / 8;
					goto run_end;
				}
			}
		} else {
			while (st > bp && HV(st - 1) == x)
				st--;
			while (e + 8 <= n && uniform8(v8, v32, e) && HV(e) == x)
				e += 8; /* long runs a block at a time */
		}
		while (e < n && HV(e) == x)
			e++;
run_end:
		if (e - st >= PQW_MIN_RUN) {
			size_t k = bp + (st - bp + 7) / 8 * 8; /* the bit-packed part ends here */
			if (e >= k + 8) {
				o = put_packed(o, v8, v32, bp, k, bw);
				o = put_rle_run(o, x, e - k, bw);
				bp = e;
			}
		}
		i = (e + 7) / 8 * 8;
	}
	o = put_packed(o, v8, v32, bp, n, bw);
	out->len = (size_t)(o - (uint8_t *)out->data);
	return 0;
}

#undef HV

static int put_hybrid_levels(struct sl_buf *out, const uint8_t *lv, size_t n, int bw)
{
	/* most columns have a maximum level of 1: packed with the width a constant */
	return bw == 1 ? put_hybrid(out, lv, NULL, n, 1) : put_hybrid(out, lv, NULL, n, bw);
}

static int put_hybrid_indices(struct sl_buf *out, const uint32_t *ix, size_t n, int bw)
{
	return put_hybrid(out, NULL, ix, n, bw);
}

/* Levels as the hybrid encoding; v1 pages put their length first. */
static int put_levels(struct sl_buf *out, const uint8_t *lv, size_t n, int max, bool prefix,
		      size_t *len_out, struct sl_err *err)
{
	size_t at = out->len;
	uint32_t zero = 0;
	if (prefix && sl_buf_append(out, &zero, 4) != 0)
		return oom(err);
	int rc = put_hybrid_levels(out, lv, n, sl_pq_bit_width((uint64_t)max));
	if (rc)
		return buf_rc(rc, NULL, err);
	if (prefix) {
		uint32_t l = (uint32_t)(out->len - at - 4);
		memcpy(out->data + at, &l, 4);
	}
	*len_out = out->len - at;
	return 0;
}

/* Compresses src into w->comp (or points at src for no codec) at the given level. */
static int compress(struct sl_pq_writer *w, const void *src, size_t len, int level,
		    const void **out, size_t *out_len, struct sl_err *err)
{
	if (w->codec->id == SL_PQ_UNCOMPRESSED) {
		*out = src;
		*out_len = len;
		return 0;
	}
	size_t bound = w->codec->bound(len);
	w->comp.len = 0;
	int rc = sl_buf_reserve(&w->comp, bound);
	if (rc)
		return buf_rc(rc, NULL, err);
	size_t n;
	if ((rc = w->codec->compress(src, len, w->comp.data, bound, &n, level, err)) != 0)
		return rc;
	w->comp.len = n;
	*out = w->comp.data;
	*out_len = n;
	return 0;
}

/* Incompressible pages. Bit-packed deltas and dictionary indices, random uuids: zstd
 * spends as long failing to shrink them as it spends compressing text (four times as
 * long at level 3 as at 2 on DELTA_BINARY_PACKED pages), so when a column's page came
 * out at PQW_INCOMP percent of its size or more, its next PQW_FAST_PAGES pages are
 * compressed at zstd's fastest level, which finds long repeats if there are any; one in
 * PQW_FAST_PAGES + 1 pages is tried at the level asked for again. */
#define PQW_INCOMP 97
#define PQW_FAST_PAGES 7
#define PQW_ZSTD_FAST (-1)

static int page_level(const struct sl_pq_writer *w, struct pqw_col *c, int32_t enc)
{
	if (enc != c->last_enc) /* another encoding (the dictionary gone): other odds */
		c->fast_pages = 0;
	c->last_enc = (uint8_t)enc;
	return w->codec->id == SL_PQ_ZSTD && c->fast_pages ? PQW_ZSTD_FAST : w->o.level;
}

static void page_judged(const struct sl_pq_writer *w, struct pqw_col *c, size_t in, size_t out)
{
	if (w->codec->id != SL_PQ_ZSTD)
		return;
	bool poor = (uint64_t)out * 100 >= (uint64_t)in * PQW_INCOMP;
	if (c->fast_pages)
		c->fast_pages = poor ? c->fast_pages - 1 : 0; /* it compressed after all */
	else if (poor)
		c->fast_pages = PQW_FAST_PAGES;
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

/* Whether dict_bytes of dictionary entries and n indices are smaller than margin times
 * the n values from `from` on (plain_bytes of PLAIN) in the cheapest other encoding. */
static bool dict_pays(struct sl_pq_writer *w, const struct pqw_col *c, size_t dict_bytes,
		      size_t from, size_t n, size_t plain_bytes, double margin)
{
	size_t cost = dict_bytes + n * (size_t)bit_width32(c->dict.n - 1) / 8 + 1;
	int64_t *v;
	size_t d = delta_cost(w, c, from, n, &v);
	return (double)cost < margin * (double)(d < plain_bytes ? d : plain_bytes);
}

/* The page's values as dictionary indices, or NULL when the chunk goes without a
 * dictionary. The first page of a chunk is weighed on a sample first, so that a column
 * of (nearly) distinct values does not fill a table only to throw it away: the sample's
 * second half against the dictionary its first half made. Only what that half adds to
 * the dictionary counts, so a column whose values repeat over a longer span (a
 * coordinate with a few thousand values) keeps its dictionary. */
#define PQW_SAMPLE 4096

static int page_indices(struct sl_pq_writer *w, struct pqw_col *c, uint32_t *ix,
			uint32_t **out)
{
	uint32_t n = c->n_values, done = 0, half = PQW_SAMPLE / 2;
	size_t at = 0;
	int rc;
	*out = NULL;
	if (!c->judged && n > 2 * PQW_SAMPLE) {
		if ((rc = dict_encode(c, ix, 0, half, &at)) != 0)
			return rc;
		size_t at1 = at, entries1 = c->dict.vals.len;
		if ((rc = dict_encode(c, ix, half, PQW_SAMPLE, &at)) != 0)
			return rc;
		done = PQW_SAMPLE;
		if (!dict_pays(w, c, c->dict.vals.len - entries1, half, half,
			       c->width ? (size_t)half * c->width : at - at1, 1.0))
			goto no_dict;
	}
	if ((rc = dict_encode(c, ix, done, n, &at)) != 0)
		return rc;
	/* a dictionary must win clearly: the codec finds repeats in PLAIN pages too */
	if (!c->judged && !dict_pays(w, c, c->dict.vals.len, 0, n, c->val_len, 0.8))
		goto no_dict;
	c->judged = true;
	*out = ix;
	return 0;
no_dict:
	c->judged = true;
	dict_reset(&c->dict);
	c->mode = PQW_MODE_PLAIN;
	return 0;
}

/* Encodes, compresses and appends the column's current page to its chunk. */
static int page_cut(struct sl_pq_writer *w, struct pqw_col *c, struct sl_err *err)
{
	int rc;
	const uint8_t *def;
	uint32_t n_lv;
	if (sl_pqw_sparse(c)) {
		n_lv = (uint32_t)w->rg_rows - c->page_row;
		if (n_lv == 0)
			return 0;
		uint8_t *lv = u8_room(w, n_lv);
		if (!lv)
			return oom(err);
		if ((rc = sl_pqw_sparse_levels(c, (uint32_t)w->rg_rows, lv)) != 0)
			return buf_rc(rc, c, err);
		def = lv;
	} else {
		if ((rc = sl_pqw_catch_up(c, (uint32_t)w->rg_rows)) != 0)
			return buf_rc(rc, c, err);
		if (c->n_levels == 0)
			return 0;
		n_lv = c->n_levels;
		def = c->def; /* only now: catching up may have moved it */
	}
	w->page_no++;
	uint32_t n_val = c->n_values;
	bool v1 = w->o.page_version != 2;
	uint32_t *ix = NULL;
	if (c->mode == PQW_MODE_DICT && n_val) {
		/* the indices, then room for the entries the statistics look at */
		uint32_t *room = u32_room(w, 2 * (size_t)n_val);
		if (!room)
			return oom(err);
		if ((rc = page_indices(w, c, room, &ix)) != 0)
			return rc == SL_ENOMEM ? oom(err) : buf_rc(rc, c, err);
	}
	struct pqw_pstat ps = {0};
	ps.nulls = (int64_t)n_lv - n_val;
	ps.n_values = n_val;
	ps.first_row = c->page_row;
	if (!w->o.no_stats && page_minmax(w, c, ix, ix ? ix + n_val : NULL, &ps) != 0)
		return oom(err);

	struct sl_buf *pg = &w->page;
	pg->len = 0;
	size_t rep_len = 0, def_len = 0;
	if (c->max_rep && (rc = put_levels(pg, c->rep, n_lv, c->max_rep, v1, &rep_len, err)))
		return rc;
	if (c->max_def && (rc = put_levels(pg, def, n_lv, c->max_def, v1, &def_len, err)))
		return rc;
	size_t lv_len = pg->len;
	int32_t enc = SL_PQ_ENC_PLAIN;
	int64_t *dv = NULL;
	if (ix) {
		enc = SL_PQ_ENC_RLE_DICTIONARY;
		int bw = bit_width32(c->dict.n - 1);
		if (bw == 0)
			bw = 1; /* some readers take a zero width badly; one bit costs nothing */
		uint8_t b = (uint8_t)bw;
		if (sl_buf_append(pg, &b, 1) != 0 || put_hybrid_indices(pg, ix, n_val, bw) != 0)
			return buf_rc(SL_ELIMIT, c, err);
	} else if (c->phys == SL_PQ_BOOLEAN) {
		if ((rc = sl_pq_plain_put_bools(pg, (const uint8_t *)c->val, n_val)) != 0)
			return buf_rc(rc, c, err);
	} else {
		size_t d = delta_cost(w, c, 0, n_val, &dv);
		if (d != SIZE_MAX && d * 3 <= c->val_len)
			enc = SL_PQ_ENC_DELTA_BINARY_PACKED;
		if (enc == SL_PQ_ENC_DELTA_BINARY_PACKED) {
			/* INT32 deltas wrap at 32 bits (encoding.h) */
			rc = c->phys == SL_PQ_INT32
				     ? sl_pq_delta_put_i32(pg, (const int32_t *)(const void *)c->val,
							   n_val)
				     : sl_pq_delta_put(pg, dv, n_val);
			if (rc)
				return buf_rc(rc, c, err);
		} else {
			if ((rc = sl_buf_reserve(pg, c->val_len)) != 0)
				return buf_rc(rc, c, err);
			if (c->val_len) /* a page of nulls may have no value array at all */
				memcpy(pg->data + pg->len, c->val, c->val_len);
			pg->len += c->val_len;
		}
	}
	size_t body = pg->len;
	if (body > PQW_PAGE_MAX)
		return sl_err_set(err, SL_ELIMIT, "parquet writer: column %s: a page of %zu bytes",
				  c->path, body);
	const void *data;
	size_t data_len;
	int level = page_level(w, c, enc);
	if (v1)
		rc = compress(w, pg->data, body, level, &data, &data_len, err);
	else
		rc = compress(w, pg->data + lv_len, body - lv_len, level, &data, &data_len, err);
	if (rc)
		return rc;
	page_judged(w, c, v1 ? body : body - lv_len, data_len);

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
		h.data_v2.num_rows = (int32_t)(w->rg_rows - c->page_row);
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
	if (ix) {
		c->dict_used = true;
		/* past its limit the dictionary stops growing: the rest of the chunk is
		 * written without it (it may have passed the limit by one page) */
		if (c->dict.vals.len >= w->o.dict_max_bytes)
			c->mode = PQW_MODE_PLAIN;
	} else if (enc == SL_PQ_ENC_DELTA_BINARY_PACKED) {
		c->used_delta = true;
	} else {
		c->used_plain = true;
	}
	c->chunk_uncompressed += (int64_t)(w->hdr.len + body);
	w->uncompressed_total += (int64_t)body;
	c->chunk_values += n_lv;
	c->n_levels = c->n_values = c->val_len = 0;
	c->page_row = (uint32_t)w->rg_rows;
	return 0;
}

/* What the current page would take in PLAIN, roughly: value bytes and an eighth of a
 * byte per level. */
static size_t page_estimate(const struct pqw_col *c, uint32_t rows)
{
	size_t lv = (c->max_def || c->max_rep) ? sl_pqw_levels(c, rows) / 8 : 0;
	if (c->phys == SL_PQ_BOOLEAN)
		return lv + c->n_values / 8;
	return lv + c->val_len;
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
		if ((rc = compress(w, c->dict.vals.data, c->dict.vals.len, w->o.level, &data,
				   &data_len, err)))
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
	c->judged = false;
	dict_reset(&c->dict);
	c->mode = (w->o.no_dictionary || c->phys == SL_PQ_BOOLEAN) ? PQW_MODE_PLAIN : PQW_MODE_DICT;
	c->page_row = c->row_end = 0;
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
	sl_pqw_rows_reset(&w->sh);
	rg->total_compressed_size = w->pos - start;
	rg->num_rows = w->rg_rows;
	rg->ordinal = (int32_t)w->n_rgs;
	w->n_rgs++;
	w->rg_rows = 0;
	w->since_check = 0;
	w->buffered = 0;
	return 0;
}

/* Between records: cuts pages that are full, and the row group when it is full. Looked at every check_every bytes of input, so the cost
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
		if (page_estimate(c, (uint32_t)w->rg_rows) >= w->o.page_bytes &&
		    (rc = page_cut(w, c, err)) != 0)
			return rc;
		buffered += c->pages.len + c->val_len + sl_pqw_levels(c, (uint32_t)w->rg_rows) +
			    c->dict.vals.len;
	}
	w->buffered = buffered;
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
	if (w->o.row_group_rows > INT32_MAX)
		w->o.row_group_rows = INT32_MAX; /* rows of a group are counted in 32 bits */
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
	/* cache-line aligned: each column's hot fields are one line (writer_int.h) */
	size_t cols_size = (w->sh.n_cols ? w->sh.n_cols : 1) * sizeof(*w->sh.cols);
	w->sh.cols = aligned_alloc(64, cols_size);
	if (!w->sh.cols) {
		rc = oom(err);
		goto fail;
	}
	memset(w->sh.cols, 0, cols_size);
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

void sl_pq_writer_set_text_any(struct sl_pq_writer *w, bool any)
{
	w->sh.text_any = any;
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
	w->sh.row = (uint32_t)w->rg_rows;
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
	st->buffered_bytes = (int64_t)w->buffered;
	st->uncompressed_bytes = w->uncompressed_total;
}

void sl_pq_writer_free(struct sl_pq_writer *w)
{
	if (!w)
		return;
	for (size_t i = 0; w->sh.cols && i < w->sh.n_cols; i++) {
		struct pqw_col *c = &w->sh.cols[i];
		sl_pqw_col_release(c);
		sl_buf_release(&c->pages);
		sl_buf_release(&c->stat_bytes);
		dict_release(&c->dict);
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
	sl_buf_release(&w->ci);
	sl_buf_release(&w->oi);
	sl_buf_release(&w->type_text);
	free(w->i64);
	free(w->u32);
	free(w->u8);
	free(w->rgs);
	while (w->arena) {
		struct arena_blk *n = w->arena->next;
		free(w->arena);
		w->arena = n;
	}
	sl_json_parser_free(w->parser);
	free(w);
}
