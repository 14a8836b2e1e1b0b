/*
 * test_pq_roundtrip.c - the Parquet writer and reader against each other on random data.
 *
 * test_roundtrip: for 300 fixed seeds, a random row type (every kind of types.h, nested
 * up to five levels below the row, nullable or not at every level) and random rows (nulls
 * at every nullable level, empty and null lists and maps, escapes, NUL and 4-byte UTF-8
 * in strings, each kind's extremes, sequences that delta-encode, strings across the
 * 64-byte statistics cut), written with random writer options (every writable codec,
 * page versions 1 and 2, tiny pages, row groups and dictionaries, delta on and off) and
 * read back with sl_pq_rows. Each value is drawn in the text the reader prints (types.h's
 * JSON forms), so every row must come back exactly as expected. Also checked per seed:
 * the row count, the row type, each row group's footer statistics for every leaf (null
 * count, min, max, exactness of cut byte arrays) against the values written, row-group
 * pruning (never ruling out a group that holds a matching value), and projection (random
 * dotted paths give just those members of every row).
 *
 * The expected rows, the statistics and the projected rows all come from regenerating a
 * row from the generator state saved at its start: the same draws give the same values,
 * so no tree of values is kept.
 *
 * test_input_forms: inputs whose text is not the text read back (offsets, exponents,
 * member order, the other map form...), with the output each must give. Regressions of
 * what the random test found: year 0000, JSON's -0, float predicate constants.
 * test_corrupt_files: written files with flipped bytes or cut short fail cleanly (an
 * error code and a message) or read as valid JSON rows; never a crash (ASan build).
 *
 * PQRT_SEED=n runs that seed only and prints its type and options; PQRT_SEEDS=n runs n.
 */
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json/json.h"
#include "parquet/codec.h"
#include "parquet/format.h"
#include "parquet/reader.h"
#include "parquet/schema.h"
#include "parquet/writer.h"
#include "type_gen.h"
#include "types/types.h"
#include "util/utf8.h"

#define N_SEEDS 300
#define ROW_BUDGET 300 /* values per row, so that deep lists stay small */
#define STAT_CUT 64    /* the writer cuts byte-array statistics longer than this */

/* ---- random numbers and text helpers ------------------------------------------------- */

struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
	/* splitmix64: the state is one word, so a row's start is cheap to save */
	uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static uint64_t below(struct rng *r, uint64_t n)
{
	return n ? rnd(r) % n : 0;
}

static bool chance(struct rng *r, unsigned pct)
{
	return below(r, 100) < pct;
}

static void put(struct sl_buf *b, const void *p, size_t n)
{
	if (b && n)
		assert_int_equal(sl_buf_append(b, p, n), 0);
}

static void put_s(struct sl_buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void put_f(struct sl_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put_f(struct sl_buf *b, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < sizeof(tmp));
	put(b, tmp, (size_t)n);
}

/* A JSON string as the reader writes one: \" \\ \n \t \r, other controls as \u00xx,
 * everything else (DEL, UTF-8) as it is. */
static void put_jstr(struct sl_buf *b, const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	put_s(b, "\"");
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		if (c == '"' || c == '\\') {
			char e[2] = {'\\', (char)c};
			put(b, e, 2);
		} else if (c == '\n') {
			put_s(b, "\\n");
		} else if (c == '\t') {
			put_s(b, "\\t");
		} else if (c == '\r') {
			put_s(b, "\\r");
		} else if (c < 0x20) {
			char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
			put(b, e, 6);
		} else {
			put(b, &c, 1);
		}
	}
	put_s(b, "\"");
}

static void put_i128(struct sl_buf *b, __int128 v)
{
	char tmp[48], *p = tmp + sizeof(tmp);
	unsigned __int128 u = v < 0 ? -(unsigned __int128)v : (unsigned __int128)v;
	do {
		*--p = (char)('0' + (int)(u % 10));
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	put(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

/* decimal(p, s) of the unscaled value v: "-12.30", "0.05", "7". */
static void put_dec(struct sl_buf *b, __int128 v, int scale)
{
	struct sl_buf d;
	sl_buf_init(&d, 64);
	put_i128(&d, v < 0 ? -v : v);
	size_t n = d.len, s = (size_t)scale;
	if (v < 0)
		put_s(b, "-");
	if (n > s) {
		put(b, d.data, n - s);
		if (s) {
			put_s(b, ".");
			put(b, d.data + n - s, s);
		}
	} else {
		put_s(b, "0.");
		for (size_t i = n; i < s; i++)
			put_s(b, "0");
		put(b, d.data, n);
	}
	sl_buf_release(&d);
}

/* A float or double as the reader writes it (docs/parquet.md): the fewest %g digits
 * that read back as the same number; zeros as 0.0 and -0.0, NaN and infinities as
 * strings. */
static void put_fp(struct sl_buf *b, double d, bool single)
{
	if (isnan(d)) {
		put_s(b, "\"NaN\"");
		return;
	}
	if (isinf(d)) {
		put_s(b, d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
		return;
	}
	if (d == 0) {
		put_s(b, signbit(d) ? "-0.0" : "0.0");
		return;
	}
	char tmp[40];
	for (int prec = single ? 6 : 15;; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
		if (single ? strtof(tmp, NULL) == (float)d : strtod(tmp, NULL) == d)
			break;
	}
	put_s(b, tmp);
}

static void put_b64(struct sl_buf *b, const uint8_t *p, size_t n)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	put_s(b, "\"");
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		char q[4] = {a[v >> 18], a[(v >> 12) & 63], i + 1 < n ? a[(v >> 6) & 63] : '=',
			     i + 2 < n ? a[v & 63] : '='};
		put(b, q, 4);
	}
	put_s(b, "\"");
}

/* ---- dates: the proleptic Gregorian calendar, any year ------------------------------- */

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static int64_t days_of(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = floor_div(y, 400), yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

/* "YYYY-MM-DD" (years 0..9999), found by search over days_of rather than by inverting
 * it, so that it cannot share a mistake with the reader's conversion. */
static void put_date(struct sl_buf *b, int64_t days)
{
	int64_t y = 1970 + floor_div(days, 366);
	while (days_of(y, 1, 1) > days)
		y--;
	while (days_of(y + 1, 1, 1) <= days)
		y++;
	int m = 12;
	while (days_of(y, m, 1) > days)
		m--;
	put_f(b, "%04" PRId64 "-%02d-%02d", y, m, (int)(days - days_of(y, m, 1) + 1));
}

/* "HH:MM:SS.fff" (per = 1000) or "HH:MM:SS.ffffff" (per = 1000000). */
static void put_tod(struct sl_buf *b, int64_t tod, int64_t per)
{
	int64_t s = tod / per;
	put_f(b, "%02d:%02d:%02d.%0*" PRId64, (int)(s / 3600), (int)(s / 60 % 60), (int)(s % 60),
	      per == 1000 ? 3 : 6, tod % per);
}

static void put_timestamp(struct sl_buf *b, int64_t v, int64_t per)
{
	int64_t day = 86400 * per, days = floor_div(v, day);
	put_s(b, "\"");
	put_date(b, days);
	put_s(b, "T");
	put_tod(b, v - days * day, per);
	put_s(b, "Z\"");
}

/* ---- the generator's view of the row type -------------------------------------------- */

/* How the writer orders a leaf's statistics (writer.h invariant 4). */
enum ord { ORD_INT, ORD_FP, ORD_BYTES };

struct gnode {
	const struct sl_type *t;
	uint32_t lo, hi;      /* its leaves [lo, hi), in column order */
	struct gnode **kids;  /* struct: the fields; list: the element; map: key, value */
	size_t n_kids;
	char *name;           /* a struct member's name as JSON text */
	char *path;           /* a struct member's dotted path (projection) */
	bool sel;             /* written in the expected rows */
	bool in_map;          /* a member inside a map's value (projection widens the map) */
	bool flat;            /* only structs above it: predicates can name it */
	int seq;              /* a leaf whose values grow with the row number (so its pages
			       * delta-encode): 1 from zero, 2 from the type's minimum */
	bool konst;           /* a leaf whose values are all the same: long runs */
};

static void gnode_free(struct gnode *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n_kids; i++)
		gnode_free(n->kids[i]);
	free(n->kids);
	free(n->name);
	free(n->path);
	free(n);
}

struct run;

/* A value drawn for a leaf: what orders it and the text it reads back as. */
struct sval {
	__int128 i;           /* ORD_INT: integers, decimals (unscaled), days, times, bools */
	double d;             /* ORD_FP */
	struct sl_buf raw;    /* ORD_BYTES: the bytes as stored */
	struct sl_buf text;   /* the JSON form */
};

/* What one row group's values of one leaf add up to. */
struct lstat {
	int64_t nulls;
	bool has;             /* a min and a max (NaN is not ordered) */
	bool long_values;     /* some value is longer than STAT_CUT: bounds may be cut */
	struct sval min, max;
};

static void sval_init(struct sval *v)
{
	memset(v, 0, sizeof(*v));
	sl_buf_init(&v->raw, SL_BUF_DEFAULT_MAX);
	sl_buf_init(&v->text, SL_BUF_DEFAULT_MAX);
}

static void sval_release(struct sval *v)
{
	sl_buf_release(&v->raw);
	sl_buf_release(&v->text);
}

static void sval_copy(struct sval *to, const struct sval *from)
{
	to->i = from->i;
	to->d = from->d;
	sl_buf_reset(&to->raw);
	sl_buf_reset(&to->text);
	put(&to->raw, from->raw.data, from->raw.len);
	put(&to->text, from->text.data, from->text.len);
}

static int bytes_cmp(const void *a, size_t al, const void *b, size_t bl)
{
	int c = al && bl ? memcmp(a, b, al < bl ? al : bl) : 0; /* an empty buffer may be NULL */
	return c ? c : (al > bl) - (al < bl);
}

static int sval_cmp(enum ord o, const struct sval *a, const struct sval *b)
{
	switch (o) {
	case ORD_INT: return (a->i > b->i) - (a->i < b->i);
	case ORD_FP: return (a->d > b->d) - (a->d < b->d); /* -0.0 == 0.0 here */
	default: return bytes_cmp(a->raw.data, a->raw.len, b->raw.data, b->raw.len);
	}
}

static enum ord ord_of(const struct sl_type *t)
{
	switch (t->kind) {
	case SL_T_FLOAT:
	case SL_T_DOUBLE: return ORD_FP;
	case SL_T_STRING:
	case SL_T_BINARY:
	case SL_T_UUID:
	case SL_T_JSON: return ORD_BYTES;
	default: return ORD_INT;
	}
}

static bool string_keys(const struct sl_type *map)
{
	return map->key->kind == SL_T_STRING;
}

struct gen {
	struct rng r;
	int64_t row;          /* the row's number: sequences that delta-encode */
	int budget;           /* values left for this row */
	struct lstat *st;     /* the row group's statistics per leaf, or NULL */
	struct sval cur;      /* the scalar being drawn */
	int seq;              /* draw it from the row number (gnode.seq) */
	int64_t values;       /* scalars drawn (a figure) */
};

static void add_nulls(struct gen *g, const struct gnode *n)
{
	for (uint32_t i = n->lo; g->st && i < n->hi; i++)
		g->st[i].nulls++;
}

static void stat_add(struct gen *g, const struct gnode *n)
{
	if (!g->st)
		return;
	enum ord o = ord_of(n->t);
	struct lstat *L = &g->st[n->lo];
	if (o == ORD_FP && isnan(g->cur.d))
		return;
	L->long_values |= o == ORD_BYTES && g->cur.raw.len > STAT_CUT;
	if (!L->has || sval_cmp(o, &g->cur, &L->min) < 0)
		sval_copy(&L->min, &g->cur);
	if (!L->has || sval_cmp(o, &g->cur, &L->max) > 0)
		sval_copy(&L->max, &g->cur);
	L->has = true;
}

/* ---- scalars ------------------------------------------------------------------------ */

struct piece {
	const char *s;
	size_t n;
};
#define PIECE(x) {x, sizeof(x) - 1}
static const struct piece pieces[] = {
	PIECE("a"), PIECE("hello"), PIECE("Z"), PIECE(" "), PIECE("~"), PIECE("\x7f"),
	PIECE("\""), PIECE("\\"), PIECE("/"), PIECE("\n"), PIECE("\t"), PIECE("\r"),
	PIECE("\b"), PIECE("\f"), PIECE("\x01"), PIECE("\x1f"), PIECE("\0"),
	PIECE("\xC2\x80"),                 /* U+0080 */
	PIECE("\xC3\xA9"),                 /* e acute */
	PIECE("\xE6\x97\xA5\xE6\x9C\xAC"), /* two CJK characters */
	PIECE("\xE2\x80\xA8"),             /* U+2028, raw in JSON */
	PIECE("\xEF\xBF\xBD"),             /* U+FFFD */
	PIECE("\xEF\xBF\xBF"),             /* U+FFFF */
	PIECE("\xF0\x9F\xA6\x86"),         /* a duck, 4 bytes */
	PIECE("\xF4\x8F\xBF\xBF"),         /* U+10FFFF */
};
#define N_PIECES (sizeof(pieces) / sizeof(pieces[0]))

static void put_piece(struct gen *g, struct sl_buf *b)
{
	const struct piece *p = &pieces[below(&g->r, N_PIECES)];
	put(b, p->s, p->n);
}

/* Valid UTF-8 of every shape: empty, short, just around the statistics cut with
 * multibyte characters across it, all non-ASCII (a maximum that cannot be rounded up),
 * long, sequence-like. */
static void gen_string(struct gen *g, struct sl_buf *b)
{
	uint64_t k = below(&g->r, 20);
	if (k < 2)
		return;
	if (k < 12) {
		for (uint64_t n = 1 + below(&g->r, 4); n > 0; n--)
			put_piece(g, b);
	} else if (k < 15) {
		/* shared prefixes of a's and b's, so the cut values compare on their tails */
		for (uint64_t n = 56 + below(&g->r, 12); n > 0; n--)
			put(b, below(&g->r, 4) ? "a" : "b", 1);
		for (uint64_t n = 1 + below(&g->r, 3); n > 0; n--)
			put_piece(g, b);
	} else if (k == 15) {
		/* 64 bytes are kept whole, 65 cut to the same 64: a tie of bounds */
		for (uint64_t n = 63 + below(&g->r, 3); n > 0; n--)
			put(b, "m", 1);
	} else if (k == 16) {
		const struct piece *p = &pieces[17 + below(&g->r, N_PIECES - 17)];
		while (b->len <= STAT_CUT + 4)
			put(b, p->s, p->n);
	} else if (k == 17) {
		for (int n = 0; n < 70; n++)
			put(b, below(&g->r, 2) ? "~" : "z", 1);
	} else if (k == 18) {
		for (uint64_t n = 80 + below(&g->r, 80); n > 0; n--)
			put_piece(g, b);
	} else {
		put_f(b, "s%05" PRId64, g->row);
	}
}

/* JSON text in compact form (a json column keeps its text, so what goes in comes out);
 * object keys distinct, since records with repeated keys are refused. */
static void gen_json(struct gen *g, struct sl_buf *b, int depth, bool no_null)
{
	static const char *const ints[] = {"0", "-0", "1", "-1", "9223372036854775807",
					   "-9223372036854775808", "18446744073709551616",
					   "123456789012345678901234567890"};
	static const char *const nums[] = {"1.5", "-2.5e-3", "1E+2", "0.1", "1e308", "-0.0",
					   "2.50", "5e-324"};
	uint64_t k = below(&g->r, depth >= 2 ? 6 : 8);
	if (no_null && k == 0)
		k = 1;
	switch (k) {
	case 0: put_s(b, "null"); break;
	case 1: put_s(b, below(&g->r, 2) ? "true" : "false"); break;
	case 2:
		if (below(&g->r, 2))
			put_s(b, ints[below(&g->r, 8)]);
		else
			put_f(b, "%" PRId64, (int64_t)rnd(&g->r));
		break;
	case 3: put_s(b, nums[below(&g->r, 8)]); break;
	case 4: {
		struct sl_buf s;
		sl_buf_init(&s, SL_BUF_DEFAULT_MAX);
		gen_string(g, &s);
		put_jstr(b, (const uint8_t *)s.data, s.len);
		sl_buf_release(&s);
		break;
	}
	case 5: put_s(b, "\"\\u00e9\\/\\ud83e\\udd86\\u0000\\b\""); break; /* kept escaped */
	case 6: {
		put_s(b, "[");
		for (uint64_t i = 0, n = below(&g->r, 4); i < n; i++) {
			if (i)
				put_s(b, ",");
			gen_json(g, b, depth + 1, false);
		}
		put_s(b, "]");
		break;
	}
	default: {
		put_s(b, "{");
		for (uint64_t i = 0, n = below(&g->r, 4); i < n; i++) {
			put_f(b, "%s\"k%" PRIu64 "\":", i ? "," : "", i);
			gen_json(g, b, depth + 1, false);
		}
		put_s(b, "}");
	}
	}
}

static void gen_int(struct gen *g, const struct sl_type *t)
{
	__int128 lo = t->is_unsigned ? 0 : -((__int128)1 << (t->bits - 1));
	__int128 hi = t->is_unsigned ? ((__int128)1 << t->bits) - 1
				     : ((__int128)1 << (t->bits - 1)) - 1;
	unsigned __int128 span = (unsigned __int128)(hi - lo) + 1;
	__int128 v;
	switch (g->seq ? 9 : below(&g->r, 10)) {
	case 0: v = lo; break;
	case 1: v = hi; break;
	case 2: v = 0; break;
	case 3: v = 1; break;
	case 4: v = t->is_unsigned ? 2 : -1; break;
	case 5: v = hi - 1; break;
	case 6:
	case 7: v = lo + (__int128)((unsigned __int128)rnd(&g->r) % span); break;
	default: /* delta-friendly */
		v = (g->seq == 2 ? lo : 0) + g->row * 3 + (int64_t)below(&g->r, 3);
		break;
	}
	if (v > hi)
		v = hi;
	g->cur.i = v;
	put_i128(&g->cur.text, v);
}

static void gen_fp(struct gen *g, bool single)
{
	double d;
	switch (g->seq ? 12 : below(&g->r, 16)) {
	case 0: d = 0.0; break;
	case 1: d = -0.0; break;
	case 2: d = single ? FLT_MAX : DBL_MAX; break;
	case 3: d = single ? -FLT_MAX : -DBL_MAX; break;
	case 4: d = single ? FLT_MIN : DBL_MIN; break;
	case 5: d = single ? FLT_TRUE_MIN : DBL_TRUE_MIN; break;
	case 6: d = single ? -FLT_TRUE_MIN : -DBL_TRUE_MIN; break;
	case 7: d = 1.5; break;
	case 8: d = single ? (double)0.1f : 0.1; break;
	case 9:
	case 10:
	case 11:
		/* any finite bit pattern */
		do {
			uint64_t x = rnd(&g->r);
			if (single) {
				uint32_t x32 = (uint32_t)x;
				float f;
				memcpy(&f, &x32, 4);
				d = f;
			} else {
				memcpy(&d, &x, 8);
			}
		} while (!isfinite(d));
		break;
	case 12:
	case 13: d = (double)g->row * 0.5; break;
	case 14: d = below(&g->r, 2) ? NAN : below(&g->r, 2) ? INFINITY : -INFINITY; break;
	default: d = (double)((int64_t)below(&g->r, 2001) - 1000); break;
	}
	g->cur.d = d;
	put_fp(&g->cur.text, d, single);
}

static void gen_decimal(struct gen *g, const struct sl_type *t)
{
	__int128 max = 0, v = 0;
	for (int i = 0; i < t->precision; i++)
		max = max * 10 + 9;
	switch (g->seq ? 9 : below(&g->r, 10)) {
	case 0: v = max; break; /* every digit */
	case 1: v = -max; break;
	case 2: v = 0; break;
	case 3: v = 1; break;
	case 4: v = -1; break;
	case 5:
	case 6:
	case 7:
		for (uint64_t n = 1 + below(&g->r, t->precision), i = 0; i < n; i++)
			v = v * 10 + (__int128)(i ? below(&g->r, 10) : 1 + below(&g->r, 9));
		if (below(&g->r, 2))
			v = -v;
		break;
	default: v = g->row * 7 - 50; break;
	}
	if (v > max)
		v = max;
	if (v < -max)
		v = -max;
	g->cur.i = v;
	put_dec(&g->cur.text, v, t->scale);
}

static void gen_bytes(struct gen *g, struct sl_buf *b, size_t n)
{
	uint64_t mode = below(&g->r, 6);
	for (size_t i = 0; i < n; i++) {
		uint8_t c = mode == 0 ? 0xFF : mode == 1 ? 0 : mode == 2 ? (uint8_t)i
									 : (uint8_t)rnd(&g->r);
		put(b, &c, 1);
	}
}

static void gen_time(struct gen *g, const struct sl_type *t, bool stamp)
{
	int64_t per = t->unit == SL_TU_MILLIS ? 1000 : 1000000, day = 86400 * per, v;
	if (!stamp) {
		switch (g->seq ? 4 : below(&g->r, 5)) {
		case 0: v = 0; break;
		case 1: v = day - 1; break;
		case 2: v = (int64_t)below(&g->r, (uint64_t)day); break;
		case 3: v = 12 * 3600 * per; break;
		default: v = (g->row * 61 * per + g->row) % day; break;
		}
		g->cur.i = v;
		put_s(&g->cur.text, "\"");
		put_tod(&g->cur.text, v, per);
		put_s(&g->cur.text, "\"");
		return;
	}
	int64_t lo = days_of(0, 1, 1) * day, hi = (days_of(9999, 12, 31) + 1) * day - 1;
	switch (g->seq ? 8 : below(&g->r, 9)) {
	case 0: v = lo; break;
	case 1: v = hi; break;
	case 2: v = 0; break;
	case 3: v = -1; break;
	case 4: v = days_of(1, 1, 1) * day; break;
	case 5: v = days_of(0, 2, 29) * day + day - 1; break; /* year 0 is a leap year */
	case 6:
	case 7: v = lo + (int64_t)below(&g->r, (uint64_t)(hi - lo) + 1); break;
	default: v = 1700000000 * per + g->row * 1000 + g->row % 7; break;
	}
	g->cur.i = v;
	put_timestamp(&g->cur.text, v, per);
}

static void gen_date(struct gen *g)
{
	int64_t lo = days_of(0, 1, 1), hi = days_of(9999, 12, 31), v;
	switch (g->seq ? 9 : below(&g->r, 10)) {
	case 0: v = lo; break;
	case 1: v = hi; break;
	case 2: v = days_of(1, 1, 1); break;
	case 3: v = 0; break;
	case 4: v = -1; break;
	case 5: v = days_of(2000, 2, 29); break;
	case 6: v = days_of(0, 2, 29); break;
	case 7: v = lo + (int64_t)below(&g->r, (uint64_t)(hi - lo + 1)); break;
	default: v = 19000 + g->row; break;
	}
	g->cur.i = v;
	put_s(&g->cur.text, "\"");
	put_date(&g->cur.text, v);
	put_s(&g->cur.text, "\"");
}

static void draw_scalar(struct gen *g, const struct sl_type *t, bool no_null);

/* Draws a value of leaf n into g->cur. */
static void gen_scalar(struct gen *g, const struct gnode *n, bool no_null)
{
	const struct sl_type *t = n->t;
	struct sval *c = &g->cur;
	sl_buf_reset(&c->raw);
	sl_buf_reset(&c->text);
	c->i = 0;
	c->d = 0;
	g->values++;
	g->seq = n->seq;
	if (n->konst) { /* the same draws every time */
		struct rng saved = g->r;
		int64_t row = g->row;
		g->r.s = n->lo * 0x9E3779B97F4A7C15ull;
		g->row = 0;
		draw_scalar(g, t, no_null);
		g->r = saved;
		g->row = row;
		return;
	}
	draw_scalar(g, t, no_null);
}

static void draw_scalar(struct gen *g, const struct sl_type *t, bool no_null)
{
	static const char *const enums[] = {"red", "green", "blue", "", "\xC3\xA9t\xC3\xA9",
					    "x\"y"};
	struct sval *c = &g->cur;
	switch (t->kind) {
	case SL_T_BOOL:
		c->i = (__int128)below(&g->r, 2);
		put_s(&c->text, c->i ? "true" : "false");
		return;
	case SL_T_INT: gen_int(g, t); return;
	case SL_T_FLOAT: gen_fp(g, true); return;
	case SL_T_DOUBLE: gen_fp(g, false); return;
	case SL_T_DECIMAL: gen_decimal(g, t); return;
	case SL_T_STRING:
		if (t->is_enum && below(&g->r, 8))
			put_s(&c->raw, enums[below(&g->r, 6)]);
		else
			gen_string(g, &c->raw);
		put_jstr(&c->text, (const uint8_t *)c->raw.data, c->raw.len);
		return;
	case SL_T_BINARY: {
		static const size_t lens[] = {0, 1, 2, 3, 4, 5, 16, 33, 63, 64, 65, 80, 100};
		gen_bytes(g, &c->raw, t->fixed_len ? t->fixed_len : lens[below(&g->r, 13)]);
		put_b64(&c->text, (const uint8_t *)c->raw.data, c->raw.len);
		return;
	}
	case SL_T_DATE: gen_date(g); return;
	case SL_T_TIME: gen_time(g, t, false); return;
	case SL_T_TIMESTAMP: gen_time(g, t, true); return;
	case SL_T_UUID: {
		static const char hx[] = "0123456789abcdef";
		gen_bytes(g, &c->raw, 16);
		put_s(&c->text, "\"");
		for (int i = 0; i < 16; i++) {
			if (i == 4 || i == 6 || i == 8 || i == 10)
				put_s(&c->text, "-");
			uint8_t x = (uint8_t)c->raw.data[i];
			char h[2] = {hx[x >> 4], hx[x & 15]};
			put(&c->text, h, 2);
		}
		put_s(&c->text, "\"");
		return;
	}
	case SL_T_JSON:
		gen_json(g, &c->raw, 0, no_null);
		put(&c->text, c->raw.data, c->raw.len);
		return;
	default: fail_msg("not a leaf kind: %d", (int)t->kind);
	}
}

/* ---- values ------------------------------------------------------------------------- */

static bool gen_value(struct gen *g, const struct gnode *n, struct sl_buf *in,
		      struct sl_buf *out);

static size_t list_len(struct gen *g)
{
	uint64_t k = below(&g->r, 20);
	size_t n = k < 4 ? 0 : k < 15 ? 1 + below(&g->r, 3) : k < 19 ? 4 + below(&g->r, 5)
								 : 9 + below(&g->r, 12);
	if (k == 19 && chance(&g->r, 5)) /* now and then one long enough for many runs */
		n = 100 + below(&g->r, 400);
	return g->budget > 0 ? n : 0;
}

/* A struct: written to out in schema order with every member (nulls too); in the input
 * the members may come in another order, with null members left out and a member the
 * schema does not have. The draws are the same whether in and out are given or not. */
static void gen_struct(struct gen *g, const struct gnode *n, struct sl_buf *in,
		       struct sl_buf *out)
{
	size_t nf = n->n_kids;
	size_t *off = calloc(nf + 1, sizeof(*off)), *perm = calloc(nf + 1, sizeof(*perm));
	bool *omit = calloc(nf + 1, sizeof(*omit));
	assert_true(off && perm && omit);
	struct sl_buf seg, extra;
	sl_buf_init(&seg, SL_BUF_DEFAULT_MAX);
	sl_buf_init(&extra, SL_BUF_DEFAULT_MAX);
	bool first = true;
	put_s(out, "{");
	for (size_t i = 0; i < nf; i++) {
		const struct gnode *k = n->kids[i];
		off[i] = seg.len;
		put_s(&seg, k->name);
		put_s(&seg, ":");
		struct sl_buf *o = out && k->sel ? out : NULL;
		if (o) {
			put_s(o, first ? "" : ",");
			put_s(o, k->name);
			put_s(o, ":");
			first = false;
		}
		bool null = gen_value(g, k, in ? &seg : NULL, o);
		omit[i] = chance(&g->r, 50) && null;
		perm[i] = i;
	}
	off[nf] = seg.len;
	put_s(out, "}");
	bool shuffle = chance(&g->r, 30), add_extra = chance(&g->r, 10);
	size_t extra_at = below(&g->r, nf + 1);
	for (size_t i = nf; shuffle && i > 1; i--) {
		size_t j = below(&g->r, i), x = perm[i - 1];
		perm[i - 1] = perm[j];
		perm[j] = x;
	}
	put_s(&extra, "\"zz_extra\":");
	gen_json(g, &extra, 1, false);
	if (in) {
		first = true;
		put_s(in, "{");
		for (size_t j = 0; j <= nf; j++) {
			if (add_extra && j == extra_at) {
				put_s(in, first ? "" : ",");
				put(in, extra.data, extra.len);
				first = false;
			}
			if (j == nf || omit[perm[j]])
				continue;
			put_s(in, first ? "" : ",");
			put(in, seg.data + off[perm[j]], off[perm[j] + 1] - off[perm[j]]);
			first = false;
		}
		put_s(in, "}");
	}
	sl_buf_release(&seg);
	sl_buf_release(&extra);
	free(off);
	free(perm);
	free(omit);
}

static void gen_list(struct gen *g, const struct gnode *n, struct sl_buf *in, struct sl_buf *out)
{
	size_t len = list_len(g);
	if (len == 0)
		add_nulls(g, n);
	put_s(in, "[");
	put_s(out, "[");
	for (size_t i = 0; i < len; i++) {
		put_s(in, i ? "," : "");
		put_s(out, i ? "," : "");
		gen_value(g, n->kids[0], in, out);
	}
	put_s(in, "]");
	put_s(out, "]");
}

/* A map: a JSON object when its keys are strings (distinct), else an array of
 * {"key":..,"value":..} (keys may repeat). The input may use the other form for string
 * keys, put the value before the key, or leave a null value out. */
static void gen_map(struct gen *g, const struct gnode *n, struct sl_buf *in, struct sl_buf *out)
{
	const struct gnode *kn = n->kids[0], *vn = n->kids[1];
	bool obj = string_keys(n->t);
	size_t len = list_len(g);
	bool in_arr = !obj || chance(&g->r, 25);
	if (len == 0) {
		add_nulls(g, n);
		put_s(out, obj ? "{}" : "[]");
		put_s(in, chance(&g->r, 50) ? "{}" : "[]");
		return;
	}
	struct sl_buf keys, ktext, vin;
	sl_buf_init(&keys, SL_BUF_DEFAULT_MAX); /* raw keys so far, each after its length */
	sl_buf_init(&ktext, SL_BUF_DEFAULT_MAX);
	sl_buf_init(&vin, SL_BUF_DEFAULT_MAX);
	put_s(in, in_arr ? "[" : "{");
	put_s(out, obj ? "{" : "[");
	for (size_t i = 0; i < len; i++) {
		g->budget--;
		gen_scalar(g, kn, true);
		for (size_t at = 0; obj && at < keys.len;) {
			size_t kl;
			memcpy(&kl, keys.data + at, sizeof(kl));
			at += sizeof(kl);
			if (bytes_cmp(keys.data + at, kl, g->cur.raw.data, g->cur.raw.len) == 0) {
				put_f(&g->cur.raw, "#%zu", i); /* taken: made distinct */
				at = 0;
				continue;
			}
			at += kl;
		}
		if (obj) {
			size_t kl = g->cur.raw.len;
			put(&keys, &kl, sizeof(kl));
			put(&keys, g->cur.raw.data, kl);
			sl_buf_reset(&g->cur.text);
			put_jstr(&g->cur.text, (const uint8_t *)g->cur.raw.data, kl);
		}
		stat_add(g, kn);
		sl_buf_reset(&ktext);
		put(&ktext, g->cur.text.data, g->cur.text.len);
		bool value_first = chance(&g->r, 30), drop_null = chance(&g->r, 50);
		put_s(in, i ? "," : "");
		put_s(out, i ? "," : "");
		if (obj) {
			put(out, ktext.data, ktext.len);
			put_s(out, ":");
		} else {
			put_s(out, "{\"key\":");
			put(out, ktext.data, ktext.len);
			put_s(out, ",\"value\":");
		}
		sl_buf_reset(&vin);
		bool null = gen_value(g, vn, in ? &vin : NULL, out);
		put_s(out, obj ? "" : "}");
		if (!in)
			continue;
		if (!in_arr) {
			put(in, ktext.data, ktext.len);
			put_s(in, ":");
			put(in, vin.data, vin.len);
		} else if (null && drop_null) {
			put_s(in, "{\"key\":");
			put(in, ktext.data, ktext.len);
			put_s(in, "}");
		} else if (value_first) {
			put_s(in, "{\"value\":");
			put(in, vin.data, vin.len);
			put_s(in, ",\"key\":");
			put(in, ktext.data, ktext.len);
			put_s(in, "}");
		} else {
			put_s(in, "{\"key\":");
			put(in, ktext.data, ktext.len);
			put_s(in, ",\"value\":");
			put(in, vin.data, vin.len);
			put_s(in, "}");
		}
	}
	put_s(in, in_arr ? "]" : "}");
	put_s(out, obj ? "}" : "]");
	sl_buf_release(&keys);
	sl_buf_release(&ktext);
	sl_buf_release(&vin);
}

/* One value of n: its input text to in, the text read back to out (when n is selected);
 * true when it is null. */
static bool gen_value(struct gen *g, const struct gnode *n, struct sl_buf *in,
		      struct sl_buf *out)
{
	const struct sl_type *t = n->t;
	if (!n->sel)
		out = NULL;
	g->budget--;
	if (t->nullable && chance(&g->r, 12)) {
		put_s(in, "null");
		put_s(out, "null");
		add_nulls(g, n);
		return true;
	}
	switch (t->kind) {
	case SL_T_STRUCT: gen_struct(g, n, in, out); return false;
	case SL_T_LIST: gen_list(g, n, in, out); return false;
	case SL_T_MAP: gen_map(g, n, in, out); return false;
	default: break;
	}
	gen_scalar(g, n, false);
	put(in, g->cur.text.data, g->cur.text.len);
	put(out, g->cur.text.data, g->cur.text.len);
	/* a nullable json column stores JSON's null as a null; one that cannot be null
	 * stores its text */
	if (t->kind == SL_T_JSON && t->nullable && strcmp(g->cur.text.data, "null") == 0) {
		add_nulls(g, n);
		return true;
	}
	stat_add(g, n);
	return false;
}

/* ---- one seed: type, options, rows, file --------------------------------------------- */

struct run {
	uint32_t seed;
	struct sl_type *t;
	struct gnode *root;
	struct gnode **leaves;   /* in column order */
	uint32_t n_leaves;
	struct gnode **members;  /* every struct member, for projection */
	size_t n_members;
	struct sl_pq_write_opts o;
	const char *codec;
	int64_t n_rows;
	int flushes;             /* row groups cut by sl_pq_writer_flush */
	uint64_t *row_state;     /* the generator's state at each row's start */
	struct sl_buf expect;    /* the rows as they must read back, one after another */
	size_t *row_off;         /* n_rows + 1 offsets into expect */
	uint8_t *file;           /* exactly the file's size, so ASan sees any overread */
	size_t file_len;
	int64_t values;
};

static void run_release(struct run *r)
{
	sl_type_free(r->t);
	gnode_free(r->root);
	free(r->leaves);
	free(r->members);
	free(r->row_state);
	free(r->row_off);
	free(r->file);
	sl_buf_release(&r->expect);
	memset(r, 0, sizeof(*r));
}

/* Says which seed, type and options failed, then fails the test. */
static void die(const struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void die(const struct run *r, const char *fmt, ...)
{
	struct sl_buf tt;
	sl_buf_init(&tt, SL_BUF_DEFAULT_MAX);
	sl_type_format(r->t, &tt);
	fprintf(stderr, "seed %u: type %s\n  codec %s, page v%d, page_bytes %zu, "
		"row_group_rows %" PRId64 ", row_group_bytes %zu, dict_max_bytes %zu%s%s%s%s\n  ",
		r->seed, tt.data ? tt.data : "?", r->codec, r->o.page_version, r->o.page_bytes,
		r->o.row_group_rows, r->o.row_group_bytes, r->o.dict_max_bytes,
		r->o.no_dictionary ? ", no_dictionary" : "", r->o.no_delta ? ", no_delta" : "",
		r->o.no_stats ? ", no_stats" : "", r->o.no_page_index ? ", no_page_index" : "");
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	sl_buf_release(&tt);
	fail();
}

static struct gnode *gtree(struct run *r, const struct sl_type *t, const char *name,
			   const char *parent_path, bool in_map, bool flat, uint32_t *leaf)
{
	struct gnode *n = calloc(1, sizeof(*n));
	assert_non_null(n);
	n->t = t;
	n->lo = *leaf;
	n->sel = true;
	n->in_map = in_map;
	n->flat = flat;
	if (name) {
		struct sl_buf b;
		sl_buf_init(&b, SL_BUF_DEFAULT_MAX);
		put_jstr(&b, (const uint8_t *)name, strlen(name));
		n->name = strdup(b.data);
		sl_buf_reset(&b);
		if (*parent_path) {
			put_s(&b, parent_path);
			put_s(&b, ".");
		}
		put_s(&b, name);
		n->path = strdup(b.data);
		sl_buf_release(&b);
		r->members = realloc(r->members, (r->n_members + 1) * sizeof(*r->members));
		assert_non_null(r->members);
		r->members[r->n_members++] = n;
	}
	/* list and map plumbing does not show in paths (sl_pq_schema_find) */
	const char *here = n->path ? n->path : parent_path;
	switch (t->kind) {
	case SL_T_STRUCT:
		n->n_kids = t->n_fields;
		n->kids = calloc(t->n_fields, sizeof(*n->kids));
		for (size_t i = 0; i < t->n_fields; i++)
			n->kids[i] = gtree(r, t->fields[i].type, t->fields[i].name, here, in_map,
					   flat, leaf);
		break;
	case SL_T_LIST:
		n->n_kids = 1;
		n->kids = calloc(1, sizeof(*n->kids));
		n->kids[0] = gtree(r, t->elem, NULL, here, in_map, false, leaf);
		break;
	case SL_T_MAP:
		n->n_kids = 2;
		n->kids = calloc(2, sizeof(*n->kids));
		n->kids[0] = gtree(r, t->key, NULL, "", true, false, leaf);
		n->kids[1] = gtree(r, t->elem, NULL, here, true, false, leaf);
		break;
	default:
		n->seq = (r->seed * 7 + *leaf) % 3 == 0 ? 1 + (int)((r->seed + *leaf) % 2) : 0;
		n->konst = (r->seed * 5 + *leaf) % 11 == 0;
		r->leaves = realloc(r->leaves, (*leaf + 1) * sizeof(*r->leaves));
		assert_non_null(r->leaves);
		r->leaves[(*leaf)++] = n;
		break;
	}
	n->hi = *leaf;
	return n;
}

/* A type with at most levels containers (struct, list, map) above its leaves: leaf
 * kinds and member names come from type_gen.h, the nesting is denser than its own (45%
 * of the nodes that may nest do), and map keys are primitive as the writer needs, strings
 * (an object) half of the time. */
static struct sl_type *rt_type(struct tg_rng *tr, int levels);

static struct sl_type *rt_struct(struct tg_rng *tr, int levels)
{
	struct sl_type *st = tg_struct(tr, 1, false); /* 1..5 fields of any leaf kind */
	for (size_t i = 0; i < st->n_fields; i++) {
		bool nullable = st->fields[i].type->nullable;
		sl_type_free(st->fields[i].type);
		st->fields[i].type = rt_type(tr, levels - 1);
		st->fields[i].type->nullable = nullable;
	}
	return st;
}

static struct sl_type *rt_type(struct tg_rng *tr, int levels)
{
	if (levels <= 0 || tg_below(tr, 100) >= 45)
		return tg_type(tr, 1, false);
	struct sl_type *t;
	switch (tg_below(tr, 3)) {
	case 0: return rt_struct(tr, levels);
	case 1:
		t = sl_type_new(SL_T_LIST, tg_below(tr, 2));
		t->elem = rt_type(tr, levels - 1);
		return t;
	default: {
		t = sl_type_new(SL_T_MAP, tg_below(tr, 2));
		uint32_t k = tg_below(tr, 4);
		t->key = k < 2 ? sl_type_new(SL_T_STRING, false) : tg_type(tr, 1, false);
		if (k < 2)
			t->key->is_enum = k == 0;
		t->key->nullable = false;
		t->elem = rt_type(tr, levels - 1);
		return t;
	}
	}
}

static void pick_opts(struct run *r, struct rng *g)
{
	static const char *const codecs[] = {"none", "snappy", "gzip", "zstd", "lz4_raw"};
	static const size_t page_bytes[] = {1, 64, 200, 1000, 8192, (size_t)1 << 20};
	static const int64_t rg_rows[] = {1, 2, 3, 5, 8, 13, 50, 122880};
	static const size_t dict_max[] = {1, 16, 100, 1000, (size_t)1 << 20};
	struct sl_pq_write_opts *o = &r->o;
	sl_pq_write_opts_default(o);
	r->codec = codecs[below(g, 5)];
	o->codec = sl_pq_codec_by_name(r->codec);
	assert_non_null(o->codec);
	if (!o->codec->compress) { /* read only in this build */
		r->codec = "none";
		o->codec = sl_pq_codec_by_name("none");
	}
	o->page_version = 1 + (int)below(g, 2);
	o->page_bytes = page_bytes[below(g, 6)];
	o->row_group_rows = rg_rows[below(g, 8)];
	if (chance(g, 12))
		o->row_group_bytes = 1 + below(g, 5000); /* cut by size instead */
	o->dict_max_bytes = dict_max[below(g, 5)];
	o->no_dictionary = chance(g, 25);
	o->no_delta = chance(g, 25);
	o->no_stats = chance(g, 8);
	o->no_page_index = chance(g, 25);
}

static void gen_row(struct gen *g, const struct run *r, int64_t i, struct sl_buf *in,
		    struct sl_buf *out)
{
	g->r.s = r->row_state[i];
	g->row = i;
	g->budget = ROW_BUDGET;
	gen_struct(g, r->root, in, out);
}

/* Draws seed's type, options and rows and writes the file; r->expect gets the rows as
 * they must read back. */
static void build(struct run *r, uint32_t seed)
{
	memset(r, 0, sizeof(*r));
	r->seed = seed;
	struct tg_rng tr = {seed * 2654435761u + 12345u};
	r->t = rt_struct(&tr, 1 + (int)tg_below(&tr, 6));
	r->t->nullable = false;
	uint32_t leaf = 0;
	r->root = gtree(r, r->t, NULL, "", false, true, &leaf);
	r->n_leaves = leaf;
	struct rng g0 = {(uint64_t)seed * 0x2545F4914F6CDD1Dull + 7};
	pick_opts(r, &g0);
	uint64_t k = below(&g0, 10);
	r->n_rows = k == 0 ? 0 : k < 8 ? 1 + (int64_t)below(&g0, 40) : 40 + (int64_t)below(&g0, 120);
	if (chance(&g0, 4))
		r->n_rows = 300 + (int64_t)below(&g0, 700);
	r->row_state = calloc((size_t)r->n_rows + 1, sizeof(*r->row_state));
	r->row_off = calloc((size_t)r->n_rows + 1, sizeof(*r->row_off));
	assert_true(r->row_state && r->row_off);
	sl_buf_init(&r->expect, SL_BUF_DEFAULT_MAX);

	struct sl_buf file, in;
	sl_buf_init(&file, (size_t)256 << 20);
	sl_buf_init(&in, SL_BUF_DEFAULT_MAX);
	struct sl_pq_sink sink;
	sl_pq_sink_buf(&sink, &file);
	struct sl_pq_writer *w = NULL;
	struct sl_err err = {0};
	if (sl_pq_writer_open(r->t, &r->o, &sink, &w, &err) != 0)
		die(r, "writer_open: %s", err.msg);
	sl_pq_writer_set_strict_members(w, false);
	struct gen g;
	memset(&g, 0, sizeof(g));
	sval_init(&g.cur);
	for (int64_t i = 0; i < r->n_rows; i++) {
		r->row_state[i] = rnd(&g0);
		sl_buf_reset(&in);
		r->row_off[i] = r->expect.len;
		gen_row(&g, r, i, &in, &r->expect);
		if (sl_pq_writer_put_json_text(w, in.data, in.len, &err) != 0)
			die(r, "row %" PRId64 " refused: %s\n  input %s", i, err.msg, in.data);
		if (chance(&g0, 3)) {
			r->flushes++;
			if (sl_pq_writer_flush(w, &err) != 0)
				die(r, "flush after row %" PRId64 ": %s", i, err.msg);
		}
	}
	r->row_off[r->n_rows] = r->expect.len;
	if (sl_pq_writer_close(w, &err) != 0)
		die(r, "writer_close: %s", err.msg);
	sl_pq_writer_free(w);
	r->values = g.values;
	r->file_len = file.len;
	r->file = malloc(file.len ? file.len : 1);
	assert_non_null(r->file);
	memcpy(r->file, file.data, file.len);
	sval_release(&g.cur);
	sl_buf_release(&in);
	sl_buf_release(&file);
}

/* ---- checks --------------------------------------------------------------------------- */

/* Figures for the summary line: what the checks below actually compared. */
static struct {
	int64_t bounds, cut_bounds, projected_rows, predicates;
} figs;

static void check_rows(const struct run *r, struct sl_pq_reader *rd)
{
	struct sl_err err = {0};
	if (sl_pq_reader_rows(rd) != r->n_rows)
		die(r, "reader_rows %" PRId64 ", wrote %" PRId64, sl_pq_reader_rows(rd), r->n_rows);
	if (!sl_type_equal(sl_pq_reader_row_type(rd), r->t))
		die(r, "the row type read back differs");
	struct sl_pq_rows *rows;
	if (sl_pq_rows_open(rd, NULL, 0, NULL, 0, &rows, &err) != 0)
		die(r, "rows_open: %s", err.msg);
	struct sl_buf got;
	sl_buf_init(&got, SL_BUF_DEFAULT_MAX);
	for (int64_t i = 0;; i++) {
		sl_buf_reset(&got);
		int rc = sl_pq_rows_next(rows, &got, &err);
		if (rc < 0)
			die(r, "row %" PRId64 ": %s", i, err.msg);
		if (rc == 0) {
			if (i != r->n_rows)
				die(r, "%" PRId64 " rows read, %" PRId64 " written", i, r->n_rows);
			break;
		}
		if (i >= r->n_rows)
			die(r, "more rows than written: %s", got.data);
		const char *want = r->expect.data + r->row_off[i];
		size_t wl = r->row_off[i + 1] - r->row_off[i];
		if (got.len != wl || memcmp(got.data, want, wl) != 0)
			die(r, "row %" PRId64 "\n  want %.*s\n  got  %s", i, (int)wl, want, got.data);
	}
	sl_buf_release(&got);
	sl_pq_rows_close(rows);
}

/* A footer minimum or maximum against the true one v. Where a value longer than
 * STAT_CUT bytes was written, bounds may be inexact: at most STAT_CUT bytes, a prefix of
 * the minimum or at least the maximum, and still UTF-8 in text. A cut bound can even
 * displace a short exact one: a long value below the maximum rounds up past it when its
 * tail cannot grow ("\"" then U+FFFF... gives "#"). An exact bound must print (through
 * sl_pq_stat_json) as the value's JSON form; a zero float bound as -0.0 when it is the
 * minimum and 0.0 as the maximum. */
static void check_bound(const struct run *r, size_t g, const struct sl_pq_node *leaf,
			struct sl_pq_bytes b, int exact, const struct sval *v, bool is_max,
			bool long_values)
{
	const struct sl_type *t = r->leaves[leaf->leaf_index]->t;
	const char *what = is_max ? "max" : "min";
	int li = leaf->leaf_index;
	if (!b.p)
		die(r, "row group %zu leaf %d: no %s", g, li, what);
	if (exact != 1) {
		bool ok = exact == 0 && long_values && b.len <= STAT_CUT;
		if (ok && !is_max)
			ok = b.len <= v->raw.len &&
			     (b.len == 0 || memcmp(b.p, v->raw.data, b.len) == 0);
		if (ok && is_max)
			ok = bytes_cmp(b.p, b.len, v->raw.data, v->raw.len) >= 0;
		if (ok && (t->kind == SL_T_STRING || t->kind == SL_T_JSON))
			ok = sl_utf8_valid((const char *)b.p, b.len, NULL);
		if (!ok)
			die(r, "row group %zu leaf %d: inexact %s (%d) of %u bytes for %s", g, li,
			    what, exact, b.len, v->text.data);
		figs.cut_bounds++;
		return;
	}
	if (ord_of(t) == ORD_BYTES && bytes_cmp(b.p, b.len, v->raw.data, v->raw.len) != 0)
		die(r, "row group %zu leaf %d: %s of %u bytes, want %s", g, li, what, b.len,
		    v->text.data);
	struct sl_buf want, got;
	sl_buf_init(&want, SL_BUF_DEFAULT_MAX);
	sl_buf_init(&got, SL_BUF_DEFAULT_MAX);
	if (ord_of(t) == ORD_FP)
		put_fp(&want, v->d == 0 ? (is_max ? 0.0 : -0.0) : v->d, t->kind == SL_T_FLOAT);
	else
		put(&want, v->text.data, v->text.len);
	if (sl_pq_stat_json(leaf, b, &got) != 0 || strcmp(want.data, got.data ? got.data : "") != 0)
		die(r, "row group %zu leaf %d: %s prints %s, want %s", g, li, what,
		    got.data ? got.data : "(error)", want.data);
	sl_buf_release(&want);
	sl_buf_release(&got);
}

/* Row-group selection may only rule out a group when no row can match: the group's
 * true bounds satisfy = min, = max, <= min, >= max (in their JSON form), its nulls
 * "is null", its values "is not null". */
static void check_pruning(const struct run *r, struct sl_pq_reader *rd, size_t g,
			  const struct gnode *n, const struct lstat *L)
{
	const struct sl_type *t = n->t;
	if (!n->flat || t->kind == SL_T_JSON)
		return;
	struct sl_buf lo, hi;
	sl_buf_init(&lo, SL_BUF_DEFAULT_MAX);
	sl_buf_init(&hi, SL_BUF_DEFAULT_MAX);
	if (ord_of(t) == ORD_FP) {
		put_fp(&lo, L->min.d, t->kind == SL_T_FLOAT);
		put_fp(&hi, L->max.d, t->kind == SL_T_FLOAT);
	} else {
		put(&lo, L->min.text.data, L->min.text.len);
		put(&hi, L->max.text.data, L->max.text.len);
	}
	const struct sl_pq_pred preds[] = {
		{n->path, SL_PQ_EQ, lo.data}, {n->path, SL_PQ_EQ, hi.data},
		{n->path, SL_PQ_LE, lo.data}, {n->path, SL_PQ_GE, hi.data},
		{n->path, SL_PQ_NOT_NULL, NULL}, {n->path, SL_PQ_IS_NULL, NULL},
	};
	size_t n_preds = L->nulls ? 6 : 5;
	for (size_t k = L->has ? 0 : 4; k < n_preds; k++) {
		bool may = false;
		struct sl_err err = {0};
		if (k == 4 && !L->has)
			continue;
		int rc = sl_pq_row_group_may_match(rd, g, &preds[k], 1, &may, &err);
		figs.predicates++;
		if (rc != 0 || !may)
			die(r, "row group %zu: predicate %d on %s (%s) rules it out (rc %d %s)", g,
			    (int)preds[k].op, n->path, preds[k].value ? preds[k].value : "",
			    rc, rc ? err.msg : "");
	}
	sl_buf_release(&lo);
	sl_buf_release(&hi);
}

static void check_stats(const struct run *r, struct sl_pq_reader *rd)
{
	const struct sl_pq_file_meta *m = sl_pq_reader_meta(rd);
	const struct sl_pq_schema *s = sl_pq_reader_schema(rd);
	assert_int_equal(s->n_leaves, r->n_leaves);
	struct lstat *st = calloc(r->n_leaves + 1, sizeof(*st));
	assert_non_null(st);
	for (uint32_t i = 0; i < r->n_leaves; i++) {
		sval_init(&st[i].min);
		sval_init(&st[i].max);
	}
	struct gen g;
	memset(&g, 0, sizeof(g));
	sval_init(&g.cur);
	g.st = st;
	int64_t first = 0;
	bool by_rows = r->o.row_group_bytes == ((size_t)128 << 20) && !r->flushes;
	for (size_t gi = 0; gi < m->n_row_groups; gi++) {
		const struct sl_pq_row_group *rg = &m->row_groups[gi];
		if (rg->num_rows < 1 || rg->num_rows > r->o.row_group_rows ||
		    (by_rows && gi + 1 < m->n_row_groups && rg->num_rows != r->o.row_group_rows))
			die(r, "row group %zu has %" PRId64 " rows", gi, rg->num_rows);
		for (uint32_t i = 0; i < r->n_leaves; i++)
			st[i].nulls = 0, st[i].has = st[i].long_values = false;
		for (int64_t row = first; row < first + rg->num_rows && row < r->n_rows; row++)
			gen_row(&g, r, row, NULL, NULL);
		first += rg->num_rows;
		for (uint32_t i = 0; i < r->n_leaves; i++) {
			const struct sl_pq_stats *ps = &rg->columns[i].meta.stats;
			const struct lstat *L = &st[i];
			check_pruning(r, rd, gi, r->leaves[i], L);
			if (r->o.no_stats) {
				if (ps->present)
					die(r, "statistics written with no_stats");
				continue;
			}
			if (!ps->present || ps->null_count != L->nulls)
				die(r, "row group %zu leaf %u: null_count %" PRId64 ", want %" PRId64,
				    gi, i, ps->present ? ps->null_count : -2, L->nulls);
			if (!L->has) {
				if (ps->min_value.p || ps->max_value.p)
					die(r, "row group %zu leaf %u: bounds without values", gi, i);
				continue;
			}
			figs.bounds += 2;
			check_bound(r, gi, s->leaves[i], ps->min_value, ps->is_min_exact, &L->min,
				    false, L->long_values);
			check_bound(r, gi, s->leaves[i], ps->max_value, ps->is_max_exact, &L->max,
				    true, L->long_values);
		}
	}
	if (first != r->n_rows)
		die(r, "row groups hold %" PRId64 " rows, wrote %" PRId64, first, r->n_rows);
	for (uint32_t i = 0; i < r->n_leaves; i++) {
		sval_release(&st[i].min);
		sval_release(&st[i].max);
	}
	free(st);
	sval_release(&g.cur);
}

static void mark_all(struct gnode *n, bool sel)
{
	n->sel = sel;
	for (size_t i = 0; i < n->n_kids; i++)
		mark_all(n->kids[i], sel);
}

/* After the chosen members are marked: their ancestors are written (with only the
 * chosen members), and a map with anything chosen is read whole (reader.h). */
static bool settle(struct gnode *n)
{
	bool any = n->sel;
	for (size_t i = 0; i < n->n_kids; i++)
		any |= settle(n->kids[i]);
	if (any && n->t->kind == SL_T_MAP)
		mark_all(n, true);
	n->sel = any;
	return any;
}

static void check_projection(struct run *r, struct sl_pq_reader *rd, struct rng *pr)
{
	if (r->n_members == 0)
		return;
	size_t k = 1 + below(pr, r->n_members < 3 ? r->n_members : 3);
	const char *cols[3];
	mark_all(r->root, false);
	size_t n_in_map = 0;
	for (size_t i = 0; i < r->n_members; i++)
		n_in_map += r->members[i]->in_map;
	for (size_t i = 0; i < k; i++) {
		/* members inside maps are rare and the widening is the tricky part */
		struct gnode *m = r->members[below(pr, r->n_members)];
		for (size_t j = 0, w = below(pr, n_in_map * 2); w < n_in_map; j++)
			if (r->members[j]->in_map && w-- == 0) {
				m = r->members[j];
				break;
			}
		cols[i] = m->path;
		mark_all(m, true);
	}
	settle(r->root);
	struct sl_err err = {0};
	struct sl_pq_rows *rows;
	if (sl_pq_rows_open(rd, cols, k, NULL, 0, &rows, &err) != 0)
		die(r, "rows_open(%s...): %s", cols[0], err.msg);
	struct sl_buf want, got;
	sl_buf_init(&want, SL_BUF_DEFAULT_MAX);
	sl_buf_init(&got, SL_BUF_DEFAULT_MAX);
	struct gen g;
	memset(&g, 0, sizeof(g));
	sval_init(&g.cur);
	for (int64_t i = 0; i <= r->n_rows; i++) {
		sl_buf_reset(&got);
		int rc = sl_pq_rows_next(rows, &got, &err);
		if (rc < 0 || rc != (i < r->n_rows))
			die(r, "projection on %s...: row %" PRId64 ": rc %d %s", cols[0], i, rc,
			    rc < 0 ? err.msg : "");
		if (rc == 0)
			break;
		sl_buf_reset(&want);
		gen_row(&g, r, i, NULL, &want);
		figs.projected_rows++;
		if (strcmp(want.data, got.data) != 0)
			die(r, "projection on %s%s%s%s%s, row %" PRId64 "\n  want %s\n  got  %s",
			    cols[0], k > 1 ? ", " : "", k > 1 ? cols[1] : "", k > 2 ? ", " : "",
			    k > 2 ? cols[2] : "", i, want.data, got.data);
	}
	sl_pq_rows_close(rows);
	sval_release(&g.cur);
	sl_buf_release(&want);
	sl_buf_release(&got);
	mark_all(r->root, true);
}

/* ---- coverage: the random draws must have met every case ---------------------------- */

enum {
	C_BOOL, C_INT8, C_INT16, C_INT32, C_INT64, C_UINT8, C_UINT16, C_UINT32, C_UINT64,
	C_FLOAT, C_DOUBLE, C_DEC32, C_DEC64, C_DECFLBA, C_DEC38, C_STRING, C_ENUM, C_BINARY,
	C_BINARY_N, C_DATE, C_TIME_MS, C_TIME_US, C_TS_MS, C_TS_US, C_UUID, C_JSON,
	C_STRUCT, C_LIST, C_MAP, C_MAP_OBJ, C_NULLABLE, C_REQUIRED, C_DEPTH5,
	C_CODEC_NONE, C_CODEC_SNAPPY, C_CODEC_GZIP, C_CODEC_ZSTD, C_CODEC_LZ4, C_PAGE_V2,
	C_DICT, C_DICT_FALLBACK, C_DELTA, C_MANY_ROW_GROUPS, C_MANY_PAGES, C_N
};
static const char *const cov_names[C_N] = {
	"boolean", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
	"float", "double", "decimal in INT32", "decimal in INT64", "decimal in FLBA",
	"decimal(38,s)", "string", "enum", "binary", "binary(n)", "date", "time(ms)",
	"time(us)", "timestamp(ms)", "timestamp(us)", "uuid", "json", "struct", "list", "map",
	"map with string keys", "nullable", "not null", "nesting 5 deep", "codec none",
	"snappy", "gzip", "zstd", "lz4_raw", "page v2", "dictionary", "dictionary fallback",
	"delta", "many row groups", "many pages"};

static void cover_type(const struct sl_type *t, int depth, int64_t *cov)
{
	cov[t->nullable ? C_NULLABLE : C_REQUIRED]++;
	if (depth >= 6) /* a leaf under five containers */
		cov[C_DEPTH5]++;
	switch (t->kind) {
	case SL_T_BOOL: cov[C_BOOL]++; break;
	case SL_T_INT:
		cov[(t->is_unsigned ? C_UINT8 : C_INT8) + (t->bits == 8 ? 0 : t->bits == 16 ? 1 :
							   t->bits == 32 ? 2 : 3)]++;
		break;
	case SL_T_FLOAT: cov[C_FLOAT]++; break;
	case SL_T_DOUBLE: cov[C_DOUBLE]++; break;
	case SL_T_DECIMAL:
		cov[t->precision <= 9 ? C_DEC32 : t->precision <= 18 ? C_DEC64 : C_DECFLBA]++;
		cov[C_DEC38] += t->precision == 38;
		break;
	case SL_T_STRING: cov[t->is_enum ? C_ENUM : C_STRING]++; break;
	case SL_T_BINARY: cov[t->fixed_len ? C_BINARY_N : C_BINARY]++; break;
	case SL_T_DATE: cov[C_DATE]++; break;
	case SL_T_TIME: cov[t->unit == SL_TU_MILLIS ? C_TIME_MS : C_TIME_US]++; break;
	case SL_T_TIMESTAMP: cov[t->unit == SL_TU_MILLIS ? C_TS_MS : C_TS_US]++; break;
	case SL_T_UUID: cov[C_UUID]++; break;
	case SL_T_JSON: cov[C_JSON]++; break;
	case SL_T_STRUCT:
		cov[C_STRUCT] += depth > 0;
		for (size_t i = 0; i < t->n_fields; i++)
			cover_type(t->fields[i].type, depth + 1, cov);
		break;
	case SL_T_LIST:
		cov[C_LIST]++;
		cover_type(t->elem, depth + 1, cov);
		break;
	case SL_T_MAP:
		cov[C_MAP]++;
		cov[C_MAP_OBJ] += string_keys(t);
		cover_type(t->key, depth + 1, cov);
		cover_type(t->elem, depth + 1, cov);
		break;
	default: break;
	}
}

static void cover_file(const struct run *r, struct sl_pq_reader *rd, int64_t *cov)
{
	static const char *const names[] = {"none", "snappy", "gzip", "zstd", "lz4_raw"};
	for (int i = 0; i < 5; i++)
		cov[C_CODEC_NONE + i] += strcmp(r->codec, names[i]) == 0 && r->n_rows > 0;
	cov[C_PAGE_V2] += r->o.page_version == 2 && r->n_rows > 0;
	const struct sl_pq_file_meta *m = sl_pq_reader_meta(rd);
	cov[C_MANY_ROW_GROUPS] += m->n_row_groups > 3;
	for (size_t g = 0; g < m->n_row_groups; g++) {
		for (size_t c = 0; c < m->row_groups[g].n_columns; c++) {
			const struct sl_pq_column_meta *cm = &m->row_groups[g].columns[c].meta;
			bool dict = false, plain = false;
			for (size_t e = 0; e < cm->n_encodings; e++) {
				dict |= cm->encodings[e] == SL_PQ_ENC_RLE_DICTIONARY;
				plain |= cm->encodings[e] == SL_PQ_ENC_PLAIN;
				cov[C_DELTA] += cm->encodings[e] == SL_PQ_ENC_DELTA_BINARY_PACKED;
			}
			cov[C_DICT] += dict;
			cov[C_DICT_FALLBACK] += dict && plain && cm->type != SL_PQ_BOOLEAN;
			/* pages per chunk: the offset index would say; more values than a tiny
			 * page holds is enough here */
			cov[C_MANY_PAGES] += r->o.page_bytes <= 64 && cm->num_values > 8;
		}
	}
}

/* ---- the tests ------------------------------------------------------------------------- */

static uint32_t env_u32(const char *name, uint32_t dflt)
{
	const char *v = getenv(name);
	return v && *v ? (uint32_t)strtoul(v, NULL, 10) : dflt;
}

static void test_roundtrip(void **state)
{
	(void)state;
	int64_t cov[C_N] = {0};
	int64_t rows = 0, values = 0, bytes = 0, groups = 0;
	const char *one = getenv("PQRT_SEED");
	uint32_t from = one ? env_u32("PQRT_SEED", 0) : 0;
	uint32_t to = one ? from + 1 : env_u32("PQRT_SEEDS", N_SEEDS);
	for (uint32_t seed = from; seed < to; seed++) {
		struct run r;
		build(&r, seed);
		if (one) {
			struct sl_buf tt;
			sl_buf_init(&tt, SL_BUF_DEFAULT_MAX);
			sl_type_format(r.t, &tt);
			fprintf(stderr, "seed %u: %s\n  %" PRId64 " rows, codec %s, v%d, page_bytes "
				"%zu, rg_rows %" PRId64 ", dict_max %zu\n", seed, tt.data, r.n_rows,
				r.codec, r.o.page_version, r.o.page_bytes, r.o.row_group_rows,
				r.o.dict_max_bytes);
			sl_buf_release(&tt);
		}
		struct sl_pq_reader *rd;
		struct sl_err err = {0};
		if (sl_pq_reader_open_mem(r.file, r.file_len, "rt.parquet", NULL, &rd, &err) != 0)
			die(&r, "reader_open: %s", err.msg);
		check_rows(&r, rd);
		check_stats(&r, rd);
		struct rng pr = {seed ^ 0xA5A5A5A5u};
		check_projection(&r, rd, &pr);
		check_projection(&r, rd, &pr);
		cover_type(r.t, 0, cov);
		cover_file(&r, rd, cov);
		rows += r.n_rows;
		values += r.values;
		bytes += (int64_t)r.file_len;
		groups += (int64_t)sl_pq_reader_meta(rd)->n_row_groups;
		sl_pq_reader_close(rd);
		run_release(&r);
	}
	fprintf(stderr, "pq roundtrip: %u seeds, %" PRId64 " rows, %" PRId64 " values, %" PRId64
		" row groups, %" PRId64 " file bytes; %" PRId64 " statistics bounds checked (%"
		PRId64 " cut), %" PRId64 " projected rows, %" PRId64 " predicates\n", to - from,
		rows, values, groups, bytes, figs.bounds, figs.cut_bounds, figs.projected_rows,
		figs.predicates);
	for (int i = 0; i < C_N && from == 0 && to >= N_SEEDS; i++)
		if (cov[i] == 0)
			fail_msg("the random draws never met: %s", cov_names[i]);
}

/* ---- inputs whose text is not the text read back ------------------------------------ */

/* Writes records (each a JSON text) of type_text with o, reads the rows back into out
 * (one per line). 0, or the first error's code with its message in err. */
static int write_read(const char *type_text, const char *const *recs, size_t n,
		      const struct sl_pq_write_opts *o, struct sl_buf *out, struct sl_err *err)
{
	struct sl_type *t = sl_type_parse(type_text, strlen(type_text), err);
	assert_non_null(t);
	struct sl_buf file;
	sl_buf_init(&file, SL_BUF_DEFAULT_MAX);
	struct sl_pq_sink sink;
	sl_pq_sink_buf(&sink, &file);
	struct sl_pq_writer *w = NULL;
	struct sl_pq_reader *rd = NULL;
	struct sl_pq_rows *rows = NULL;
	int rc = sl_pq_writer_open(t, o, &sink, &w, err);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = sl_pq_writer_put_json_text(w, recs[i], strlen(recs[i]), err);
	if (rc == 0)
		rc = sl_pq_writer_close(w, err);
	if (rc == 0)
		rc = sl_pq_reader_open_mem(file.data, file.len, "forms.parquet", NULL, &rd, err);
	if (rc == 0)
		rc = sl_pq_rows_open(rd, NULL, 0, NULL, 0, &rows, err);
	while (rc == 0 && (rc = sl_pq_rows_next(rows, out, err)) == 1) {
		put_s(out, "\n");
		rc = 0;
	}
	sl_pq_rows_close(rows);
	sl_pq_reader_close(rd);
	sl_pq_writer_free(w);
	sl_buf_release(&file);
	sl_type_free(t);
	return rc;
}

static void test_input_forms(void **state)
{
	(void)state;
	static const struct {
		const char *type, *in, *out;
	} cases[] = {
		/* timestamps: any offset, t/z/space, cut toward the past, both ends */
		{"timestamp(us)", "\"2024-01-01T01:00:00+01:00\"", "\"2024-01-01T00:00:00.000000Z\""},
		{"timestamp(us)", "\"2024-01-01t00:00:00z\"", "\"2024-01-01T00:00:00.000000Z\""},
		{"timestamp(us)", "\"2024-01-01 00:00:00Z\"", "\"2024-01-01T00:00:00.000000Z\""},
		{"timestamp(ms)", "\"1969-12-31T23:59:59.9999Z\"", "\"1969-12-31T23:59:59.999Z\""},
		{"timestamp(us)", "\"2024-02-29T12:30:45.1234567-05:30\"",
		 "\"2024-02-29T18:00:45.123456Z\""},
		{"timestamp(us)", "\"0000-01-01T00:30:00+01:00\"", "\"-0001-12-31T23:30:00.000000Z\""},
		{"timestamp(ms)", "\"9999-12-31T23:59:59.999-01:00\"",
		 "\"+10000-01-01T00:59:59.999Z\""},
		/* a leap second is the next second, as PostgreSQL reads it (a time of day
		 * stops at the day's last instant instead, below) */
		{"timestamp(us)", "\"2016-12-31T23:59:60.5Z\"", "\"2017-01-01T00:00:00.500000Z\""},
		/* year 0 is a leap year, and January and February of it once came out a day
		 * late (shred.c's days_from_civil truncated a negative era) */
		{"date", "\"0000-01-01\"", "\"0000-01-01\""},
		{"date", "\"0000-02-29\"", "\"0000-02-29\""},
		{"timestamp(us)", "\"0000-02-29T23:59:59.999999Z\"", "\"0000-02-29T23:59:59.999999Z\""},
		/* times: no zone (an offset is ignored), fractions padded or cut, leap second */
		{"time(ms)", "\"12:00:00\"", "\"12:00:00.000\""},
		{"time(ms)", "\"12:00:00.5\"", "\"12:00:00.500\""},
		{"time(ms)", "\"23:59:59.9999\"", "\"23:59:59.999\""},
		{"time(us)", "\"12:00:00.1234567\"", "\"12:00:00.123456\""},
		{"time(us)", "\"12:00:00+02:00\"", "\"12:00:00.000000\""},
		{"time(ms)", "\"23:59:60\"", "\"23:59:59.999\""},
		/* decimals from any number text, or a string of one */
		{"decimal(5,2)", "1e2", "100.00"},
		{"decimal(5,2)", "\"1.5\"", "1.50"},
		{"decimal(5,2)", "-0", "0.00"},
		{"decimal(5,2)", "1.2300", "1.23"},
		{"decimal(5,2)", "-1.5E-1", "-0.15"},
		{"decimal(5,2)", "12345e-2", "123.45"},
		{"decimal(38,0)", "1e37", "10000000000000000000000000000000000000"},
		{"decimal(38,38)", "0.1", "0.10000000000000000000000000000000000000"},
		{"decimal(38,10)", "-9999999999999999999999999999.9999999999",
		 "-9999999999999999999999999999.9999999999"},
		/* integers from numbers with a zero fraction */
		{"int8", "1.0", "1"},
		{"int8", "1e2", "100"},
		{"int8", "-128.0", "-128"},
		{"uint64", "1.8446744073709551615e19", "18446744073709551615"},
		{"int64", "-9.223372036854775808e18", "-9223372036854775808"},
		/* floats: integers, rounding to the type, the shortest text back */
		{"float", "1", "1"},
		{"float", "0", "0.0"},
		{"float", "0.1", "0.1"},
		{"float", "3.4028235e38", "3.4028235e+38"},
		{"float", "1e-46", "0.0"},
		{"float", "16777217", "16777216"},
		{"float", "1.401298464324817e-45", "1.4013e-45"},
		{"double", "123456789012345678901234567890", "1.2345678901234568e+29"},
		{"double", "5e-324", "4.94065645841247e-324"},
		{"double", "1e300", "1e+300"},
		{"double", "-0.0", "-0.0"},
		/* JSON's -0 is negative zero, as strtod and JavaScript read it; it once lost
		 * its sign (an integer token 0) */
		{"double", "-0", "-0.0"},
		{"float", "-0", "-0.0"},
		/* bytes and strings */
		{"uuid", "\"0123ABCD-EF01-2345-6789-ABCDEFABCDEF\"",
		 "\"0123abcd-ef01-2345-6789-abcdefabcdef\""},
		{"binary", "\"AQ\"", "\"AQ==\""},
		{"binary(2)", "\"AQI\"", "\"AQI=\""},
		{"string", "\"\\u00e9\\/\\ud83e\\udd86\\u0000\\b\\u007f\"",
		 "\"\xC3\xA9/\xF0\x9F\xA6\x86\\u0000\\u0008\x7f\""},
		{"enum", "\"\\u0041\"", "\"A\""},
		/* json keeps its text; newlines between tokens become spaces */
		{"json", "{\"a\": [1, 2.50]}", "{\"a\": [1, 2.50]}"},
		{"json", "[1,\n2,\r\n3]", "[1, 2,  3]"},
		{"json not null", "null", "null"},
		{"json", "null", "null"},
		{"json", "\"\\u00e9\"", "\"\\u00e9\""},
		/* structs: any member order, absent members null, unknown members ignored */
		{"struct<a:int32,b:int32>", "{\"zz\":[1],\"b\":2,\"a\":1}", "{\"a\":1,\"b\":2}"},
		{"struct<a:int32,b:int32>", "{}", "{\"a\":null,\"b\":null}"},
		{"list<int8>", "[1.0,2e0,null]", "[1,2,null]"},
		/* maps: either form in, the form of the key type out */
		{"map<string,int32>", "[{\"key\":\"x\",\"value\":1},{\"key\":\"y\"}]",
		 "{\"x\":1,\"y\":null}"},
		{"map<string,int32>", "[]", "{}"},
		{"map<int32,string>", "{}", "[]"},
		{"map<int32,string>", "{\"12\":\"a\",\"-3\":\"b\"}",
		 "[{\"key\":12,\"value\":\"a\"},{\"key\":-3,\"value\":\"b\"}]"},
		{"map<boolean,int8>", "{\"true\":1}", "[{\"key\":true,\"value\":1}]"},
		{"map<date,int8>", "{\"2024-01-01\":1}", "[{\"key\":\"2024-01-01\",\"value\":1}]"},
		{"map<decimal(4,2),int8>", "{\"1.5\":1}", "[{\"key\":1.50,\"value\":1}]"},
		{"map<json,int8>", "{\"k\":1}", "[{\"key\":\"k\",\"value\":1}]"},
		{"map<uuid,int8>", "{\"0123ABCD-EF01-2345-6789-ABCDEFABCDEF\":1}",
		 "[{\"key\":\"0123abcd-ef01-2345-6789-abcdefabcdef\",\"value\":1}]"},
	};
	struct sl_pq_write_opts o;
	sl_pq_write_opts_default(&o);
	struct sl_buf got, type, rec, want;
	sl_buf_init(&got, SL_BUF_DEFAULT_MAX);
	sl_buf_init(&type, SL_BUF_DEFAULT_MAX);
	sl_buf_init(&rec, SL_BUF_DEFAULT_MAX);
	sl_buf_init(&want, SL_BUF_DEFAULT_MAX);
	int bad = 0;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sl_buf_reset(&type);
		sl_buf_reset(&rec);
		sl_buf_reset(&want);
		sl_buf_reset(&got);
		put_f(&type, "struct<v:%s>", cases[i].type);
		put_s(&rec, "{\"v\":");
		put_s(&rec, cases[i].in);
		put_s(&rec, "}");
		put_s(&want, "{\"v\":");
		put_s(&want, cases[i].out);
		put_s(&want, "}\n");
		const char *recs[] = {rec.data};
		struct sl_err err = {0};
		int rc = write_read(type.data, recs, 1, &o, &got, &err);
		if (rc != 0 || strcmp(got.data ? got.data : "", want.data) != 0) {
			fprintf(stderr, "%s from %s: want %s     got %s%s\n", cases[i].type,
				cases[i].in, want.data, rc ? err.msg : got.data, rc ? "\n" : "");
			bad++;
		}
	}
	sl_buf_release(&got);
	sl_buf_release(&type);
	sl_buf_release(&rec);
	sl_buf_release(&want);
	assert_int_equal(bad, 0);
}

/* Footer bounds of cut strings that tie with exact ones: the exact one is kept, in
 * either page order (one value per page, so pages meet only in the chunk's merge). */
static void test_cut_bound_ties(void **state)
{
	(void)state;
	char m64[65], m65[66], lo[68];
	memset(m64, 'm', 64);
	m64[64] = '\0';
	memset(m65, 'm', 65);
	m65[65] = '\0';
	memset(lo, 'm', 63); /* below m64, but rounds up to it once cut */
	memcpy(lo + 63, "lzzz", 5);
	char r_m64[80], r_m65[80], r_lo[80];
	snprintf(r_m64, sizeof(r_m64), "{\"s\":\"%s\"}", m64);
	snprintf(r_m65, sizeof(r_m65), "{\"s\":\"%s\"}", m65);
	snprintf(r_lo, sizeof(r_lo), "{\"s\":\"%s\"}", lo);
	const char *const orders[2][2] = {{r_m65, r_m64}, {r_lo, r_m64}};
	for (int k = 0; k < 4; k++) {
		const char *recs[2] = {orders[k / 2][k & 1], orders[k / 2][!(k & 1)]};
		struct sl_pq_write_opts o;
		sl_pq_write_opts_default(&o);
		o.page_bytes = 1;
		o.no_dictionary = true;
		struct sl_type *t = sl_type_parse("struct<s:string>", 16, NULL);
		struct sl_buf file;
		sl_buf_init(&file, SL_BUF_DEFAULT_MAX);
		struct sl_pq_sink sink;
		sl_pq_sink_buf(&sink, &file);
		struct sl_pq_writer *w;
		assert_int_equal(sl_pq_writer_open(t, &o, &sink, &w, NULL), 0);
		for (int i = 0; i < 2; i++)
			assert_int_equal(sl_pq_writer_put_json_text(w, recs[i], strlen(recs[i]), NULL),
					 0);
		assert_int_equal(sl_pq_writer_close(w, NULL), 0);
		struct sl_pq_reader *rd;
		assert_int_equal(sl_pq_reader_open_mem(file.data, file.len, "t", NULL, &rd, NULL), 0);
		const struct sl_pq_stats *st = &sl_pq_reader_meta(rd)->row_groups[0].columns[0].meta.stats;
		/* m65 is cut to m64 (a minimum tie), lo rounds up to m64 (a maximum tie) */
		const struct sl_pq_bytes *b = k < 2 ? &st->min_value : &st->max_value;
		assert_int_equal(k < 2 ? st->is_min_exact : st->is_max_exact, 1);
		assert_int_equal(b->len, 64);
		assert_memory_equal(b->p, m64, 64);
		sl_pq_reader_close(rd);
		sl_pq_writer_free(w);
		sl_buf_release(&file);
		sl_type_free(t);
	}
}

/* A float column's printed value as a predicate constant: "3.4028235e+38" (FLT_MAX as
 * printed) read as a double lies above FLT_MAX, and once ruled out the very row group
 * holding it. A constant a float cannot hold keeps the group; exact ones still prune. */
static void test_float_constant_pruning(void **state)
{
	(void)state;
	struct sl_type *t = sl_type_parse("struct<v:float>", 15, NULL);
	struct sl_buf file;
	sl_buf_init(&file, SL_BUF_DEFAULT_MAX);
	struct sl_pq_sink sink;
	sl_pq_sink_buf(&sink, &file);
	struct sl_pq_write_opts o;
	sl_pq_write_opts_default(&o);
	struct sl_pq_writer *w;
	assert_int_equal(sl_pq_writer_open(t, &o, &sink, &w, NULL), 0);
	static const char *const recs[] = {"{\"v\":3.4028235e+38}", "{\"v\":0.1}"};
	for (int i = 0; i < 2; i++)
		assert_int_equal(sl_pq_writer_put_json_text(w, recs[i], strlen(recs[i]), NULL), 0);
	assert_int_equal(sl_pq_writer_close(w, NULL), 0);
	struct sl_pq_reader *rd;
	assert_int_equal(sl_pq_reader_open_mem(file.data, file.len, "f", NULL, &rd, NULL), 0);
	static const struct {
		enum sl_pq_op op;
		const char *value;
		bool may;
	} cases[] = {
		{SL_PQ_EQ, "3.4028235e+38", true},  /* the value as the reader prints it */
		{SL_PQ_GE, "3.4028235e+38", true},
		{SL_PQ_GT, "0.1", true},            /* 0.1f is above the double 0.1 */
		{SL_PQ_EQ, "-1.5", false},          /* exact constants still prune */
		{SL_PQ_LT, "0", false},
		{SL_PQ_GT, "\"Infinity\"", false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sl_pq_pred p = {"v", cases[i].op, cases[i].value};
		bool may = !cases[i].may;
		struct sl_err err = {0};
		if (sl_pq_row_group_may_match(rd, 0, &p, 1, &may, &err) != 0)
			fail_msg("op %d %s: %s", (int)cases[i].op, cases[i].value, err.msg);
		if (may != cases[i].may)
			fail_msg("op %d %s: may %d", (int)cases[i].op, cases[i].value, may);
	}
	sl_pq_reader_close(rd);
	sl_pq_writer_free(w);
	sl_buf_release(&file);
	sl_type_free(t);
}

/* ---- damaged files ---------------------------------------------------------------------- */

/* Reads everything a damaged file lets us: rows (each must be valid JSON on one line),
 * then every chunk with every value printed. Returns how far it got: 0 refused at open,
 * 1 failed later, 2 read to the end. Every failure must be an error code with a
 * message. */
static int read_damaged(const uint8_t *p, size_t len, struct sl_json_parser *jp)
{
	struct sl_pq_read_opts ro;
	sl_pq_read_opts_default(&ro);
	ro.max_footer = (size_t)1 << 20;
	ro.max_page = (size_t)4 << 20;
	ro.max_row_group = (size_t)16 << 20;
	struct sl_err err = {0};
	struct sl_pq_reader *rd;
	int rc = sl_pq_reader_open_mem(p, len, "bad.parquet", &ro, &rd, &err);
	if (rc != 0) {
		assert_true(rc < 0 && err.msg[0]);
		return 0;
	}
	int got = 2;
	struct sl_pq_rows *rows = NULL;
	struct sl_buf out;
	sl_buf_init(&out, SL_BUF_DEFAULT_MAX);
	err.msg[0] = '\0';
	rc = sl_pq_rows_open(rd, NULL, 0, NULL, 0, &rows, &err);
	for (int64_t n = 0; rc == 0 && n < 100000; n++) {
		sl_buf_reset(&out);
		rc = sl_pq_rows_next(rows, &out, &err);
		if (rc != 1)
			break;
		struct sl_json_doc doc;
		struct sl_json_error je;
		if (sl_json_parse(jp, out.data, out.len, &doc, &je) != 0 || memchr(out.data, '\n', out.len))
			fail_msg("a row of a damaged file is not one line of JSON: %s", out.data);
		rc = 0;
	}
	if (rc < 0) {
		assert_true(err.msg[0]);
		got = 1;
	}
	sl_pq_rows_close(rows);
	const struct sl_pq_file_meta *m = sl_pq_reader_meta(rd);
	const struct sl_pq_schema *s = sl_pq_reader_schema(rd);
	for (size_t g = 0; g < m->n_row_groups; g++) {
		for (size_t c = 0; c < s->n_leaves; c++) {
			const struct sl_pq_stats *st = &m->row_groups[g].columns[c].meta.stats;
			sl_buf_reset(&out);
			if (st->min_value.p)
				(void)sl_pq_stat_json(s->leaves[c], st->min_value, &out);
			if (st->max_value.p)
				(void)sl_pq_stat_json(s->leaves[c], st->max_value, &out);
			struct sl_pq_col *col = NULL;
			err.msg[0] = '\0';
			rc = sl_pq_col_open(rd, g, c, &col, &err);
			struct sl_pq_batch b;
			while (rc == 0 && (rc = sl_pq_col_next(col, &b, &err)) == 1) {
				for (size_t i = 0; i < b.n_values; i++) {
					sl_buf_reset(&out);
					assert_int_equal(sl_pq_value_json(s->leaves[c], &b, i, &out), 0);
				}
				rc = 0;
			}
			if (rc < 0) {
				assert_true(err.msg[0]);
				got = 1;
			}
			sl_pq_col_close(col);
		}
	}
	sl_buf_release(&out);
	sl_pq_reader_close(rd);
	return got;
}

static void test_corrupt_files(void **state)
{
	(void)state;
	int64_t outcome[3] = {0};
	struct sl_json_parser *jp = sl_json_parser_new(NULL);
	assert_non_null(jp);
	uint32_t n_seeds = env_u32("PQRT_CORRUPT_SEEDS", 40);
	for (uint32_t seed = 1000; seed < 1000 + n_seeds; seed++) {
		struct run r;
		build(&r, seed);
		struct rng g = {seed};
		uint32_t flen;
		memcpy(&flen, r.file + r.file_len - 8, 4);
		size_t footer = flen + 8 <= r.file_len ? flen + 8 : 8;
		size_t data = r.file_len - footer; /* magic, chunks, page indexes */
		for (int k = 0; k < 30; k++) {
			size_t len = r.file_len;
			uint8_t *p = malloc(len); /* exactly the size: ASan sees any overread */
			assert_non_null(p);
			memcpy(p, r.file, len);
			uint64_t how = below(&g, 20);
			if (how < 7) { /* page headers, levels, values */
				for (uint64_t i = 1 + below(&g, 4); i > 0; i--)
					p[4 + below(&g, data - 4)] ^= (uint8_t)(1 + below(&g, 255));
			} else if (how < 11) { /* the metadata */
				for (uint64_t i = 1 + below(&g, 3); i > 0; i--)
					p[data + below(&g, footer - 8)] ^= (uint8_t)(1 + below(&g, 255));
			} else if (how < 15) { /* a run of zeros or 0xFF bytes */
				size_t at = 4 + below(&g, data - 4), n = 1 + below(&g, 16);
				memset(p + at, below(&g, 2) ? 0xFF : 0, at + n < data ? n : data - at);
			} else if (how < 18) { /* the data cut short, the footer kept */
				size_t cut = 4 + below(&g, data - 4);
				memmove(p + cut, p + data, footer);
				len = cut + footer;
			} else { /* cut short */
				len = 1 + below(&g, len - 1);
			}
			outcome[read_damaged(p, len, jp)]++;
			free(p);
		}
		run_release(&r);
	}
	sl_json_parser_free(jp);
	fprintf(stderr, "pq damaged files: %" PRId64 " refused at open, %" PRId64
		" failed later, %" PRId64 " read to the end\n", outcome[0], outcome[1], outcome[2]);
	assert_true(n_seeds == 0 || (outcome[0] > 0 && outcome[1] > 0 && outcome[2] > 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_input_forms),
		cmocka_unit_test(test_cut_bound_ties),
		cmocka_unit_test(test_float_constant_pruning),
		cmocka_unit_test(test_corrupt_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
