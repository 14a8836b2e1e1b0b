/*
 * shred.c - records to columns: walks a record's tape once against the shredding plan
 * (a tree that follows the row type) and appends definition and repetition levels and
 * values to each leaf's column buffers, converting each value as types.h's JSON-form
 * table says (RFC 3339 text to micros, decimal text to an exact unscaled integer, base64
 * to bytes, any value's text for json, ...).
 *
 * Promises:
 *   1. A record is appended whole or not at all (writer.h invariant 2): a value that does
 *      not fit refuses the record with "at /json/pointer: expected <type>, got <what>",
 *      and every column is put back as the record found it.
 *   2. No allocation per value or per record: values go straight from the tape into the
 *      column buffers in PLAIN form, and the failing value's pointer is only built when
 *      a record is refused.
 *   3. Levels follow Dremel: a value's repetition level is the depth of the list that
 *      repeats at it (0 at a record's first value), its definition level the number of
 *      optional and repeated ancestors that are present; nulls, absent members and empty
 *      lists write one entry with the level at which they stop.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parquet/writer_int.h"

/* ---- buffers ------------------------------------------------------------------------ */

int sl_pqw_reserve(struct sl_buf *b, size_t extra)
{
	/* the hot paths check b->cap - b->len > extra themselves; the terminating NUL that
	 * sl_buf keeps is not maintained for column buffers, only room for it */
	if (extra > b->max || b->len > b->max - extra)
		return SL_ELIMIT;
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	if (cap > b->max + 1)
		cap = b->max + 1;
	char *d = realloc(b->data, cap);
	if (!d)
		return SL_ENOMEM;
	b->data = d;
	b->cap = cap;
	return 0;
}

static int grow_array(uint8_t **p, size_t cap)
{
	uint8_t *n = realloc(*p, cap);
	if (!n)
		return SL_ENOMEM;
	*p = n;
	return 0;
}

int sl_pqw_grow_levels(struct pqw_col *c)
{
	size_t cap = c->lv_cap ? (size_t)c->lv_cap * 2 : 1024;
	if (cap > PQW_BUF_MAX) {
		if (c->lv_cap >= PQW_BUF_MAX)
			return SL_ELIMIT;
		cap = PQW_BUF_MAX;
	}
	int rc;
	if ((c->max_def && (rc = grow_array(&c->def, cap)) != 0) ||
	    (c->max_rep && (rc = grow_array(&c->rep, cap)) != 0))
		return rc;
	c->lv_cap = (uint32_t)cap;
	return 0;
}

int sl_pqw_grow_values(struct pqw_col *c, size_t extra)
{
	if (extra > PQW_BUF_MAX || c->val_len > PQW_BUF_MAX - extra)
		return SL_ELIMIT;
	size_t need = c->val_len + extra;
	if (need <= c->val_cap)
		return 0;
	size_t cap = c->val_cap ? c->val_cap : 1024;
	while (cap < need)
		cap *= 2;
	if (cap > PQW_BUF_MAX)
		cap = PQW_BUF_MAX;
	int rc = grow_array(&c->val, cap);
	if (rc)
		return rc;
	c->val_cap = (uint32_t)cap;
	return 0;
}

void sl_pqw_col_release(struct pqw_col *c)
{
	free(c->def);
	free(c->rep);
	free(c->val);
	c->def = c->rep = c->val = NULL;
	c->lv_cap = c->val_cap = 0;
}

static inline int values_room(struct pqw_col *c, size_t extra)
{
	if (__builtin_expect(c->val_cap - c->val_len >= extra, 1))
		return 0;
	return sl_pqw_grow_values(c, extra);
}

static void take_mark(struct pqw_shred *s, struct pqw_col *c)
{
	c->mark_seq = s->seq;
	c->mark_levels = c->n_levels;
	c->mark_values = c->n_values;
	c->mark_val_len = c->val_len;
}

static void rollback(struct pqw_shred *s)
{
	for (size_t i = 0; i < s->n_cols; i++) {
		struct pqw_col *c = &s->cols[i];
		if (c->mark_seq != s->seq)
			continue;
		c->n_levels = c->mark_levels;
		c->n_values = c->mark_values;
		c->val_len = c->mark_val_len;
	}
	/* rows before this record were filled for good; this record's row was not */
	for (size_t i = 0; i < s->n_lazy_structs; i++)
		if (s->lazy_structs[i]->deff_end > s->row)
			s->lazy_structs[i]->deff_end = s->row;
}

/* ---- lazy nulls (writer_int.h) ------------------------------------------------------ */

/* Room for rows [0, rows) in a lazy struct's levels. */
static int deff_room(struct pqw_node *st, uint32_t rows)
{
	if (rows <= st->deff_cap)
		return 0;
	size_t cap = st->deff_cap ? (size_t)st->deff_cap * 2 : 4096;
	while (cap < rows)
		cap *= 2;
	if (cap > PQW_BUF_MAX)
		return SL_ELIMIT;
	uint8_t *d = realloc(st->deff, cap);
	if (!d)
		return SL_ENOMEM;
	st->deff = d;
	st->deff_cap = (uint32_t)cap;
	return 0;
}

/* Fills a lazy struct's levels up to (not including) row from its parent's. */
static int struct_fill(struct pqw_node *st, uint32_t row)
{
	if (st->deff_end >= row)
		return 0;
	int rc = deff_room(st, row);
	if (rc)
		return rc;
	struct pqw_node *p = st->lazy_parent;
	if (!p) {
		memset(st->deff + st->deff_end, 0, row - st->deff_end);
	} else {
		if ((rc = struct_fill(p, row)) != 0)
			return rc;
		memcpy(st->deff + st->deff_end, p->deff + st->deff_end, row - st->deff_end);
	}
	st->deff_end = row;
	return 0;
}

int sl_pqw_catch_up(struct pqw_col *c, uint32_t row)
{
	uint32_t have = c->page_row + c->n_levels;
	if (!c->lazy || have >= row)
		return 0;
	uint32_t count = row - have;
	while ((size_t)c->n_levels + count > c->lv_cap) {
		int rc = sl_pqw_grow_levels(c);
		if (rc)
			return rc;
	}
	struct pqw_node *p = c->lazy_parent;
	if (!p) {
		memset(c->def + c->n_levels, 0, count);
	} else {
		int rc = struct_fill(p, row);
		if (rc)
			return rc;
		memcpy(c->def + c->n_levels, p->deff + have, count);
	}
	c->n_levels += count;
	return 0;
}

void sl_pqw_rows_reset(struct pqw_shred *s)
{
	for (size_t i = 0; i < s->n_lazy_structs; i++)
		s->lazy_structs[i]->deff_end = 0;
}

/* One level entry (a value, or a null at def). */
static inline int put_level(struct pqw_shred *s, struct pqw_col *c, int def, int rep)
{
	int rc;
	if (c->mark_seq != s->seq)
		take_mark(s, c);
	if (c->lazy && c->page_row + c->n_levels < s->row &&
	    (rc = sl_pqw_catch_up(c, s->row)) != 0)
		return rc;
	if (__builtin_expect(c->n_levels == c->lv_cap, 0) && (rc = sl_pqw_grow_levels(c)) != 0)
		return rc;
	uint32_t n = c->n_levels;
	if (c->def)
		c->def[n] = (uint8_t)def;
	if (c->rep)
		c->rep[n] = (uint8_t)rep;
	c->n_levels = n + 1;
	return 0;
}

/* A short copy without a call: overlapping 8- or 4-byte moves never touch a byte
 * outside either range. */
static inline void copy_bytes(uint8_t *d, const void *src, size_t n)
{
	const uint8_t *s = src;
	if (n > 16) {
		memcpy(d, s, n);
	} else if (n >= 8) {
		uint64_t a, b;
		memcpy(&a, s, 8);
		memcpy(&b, s + n - 8, 8);
		memcpy(d, &a, 8);
		memcpy(d + n - 8, &b, 8);
	} else if (n >= 4) {
		uint32_t a, b;
		memcpy(&a, s, 4);
		memcpy(&b, s + n - 4, 4);
		memcpy(d, &a, 4);
		memcpy(d + n - 4, &b, 4);
	} else {
		for (size_t i = 0; i < n; i++)
			d[i] = s[i];
	}
}

/* Values are always appended in PLAIN form; dictionaries are built page by page when
 * the page is cut (writer.c). */
static inline int put_fixed(struct pqw_col *c, const void *v)
{
	int rc = values_room(c, c->width);
	if (rc)
		return rc;
	copy_bytes(c->val + c->val_len, v, c->width);
	c->val_len += c->width;
	c->n_values++;
	return 0;
}

/* The same for a converted value (at most 16 bytes: a decimal, a uuid, a number). */
static inline int put_small(struct pqw_col *c, const void *v)
{
	int rc = values_room(c, c->width);
	if (rc)
		return rc;
	uint8_t *d = c->val + c->val_len;
	const uint8_t *s = v;
	switch (c->width) {
	case 1: d[0] = s[0]; break;
	case 4: memcpy(d, s, 4); break;
	case 8: memcpy(d, s, 8); break;
	case 16: memcpy(d, s, 16); break;
	default:
		for (uint32_t i = 0; i < c->width && i < 16; i++)
			d[i] = s[i];
	}
	c->val_len += c->width;
	c->n_values++;
	return 0;
}

static inline int put_bytes(struct pqw_col *c, const void *p, size_t len)
{
	if (len > PQW_BUF_MAX)
		return SL_ELIMIT;
	int rc = values_room(c, len + 4);
	if (rc)
		return rc;
	uint32_t l = (uint32_t)len;
	uint8_t *o = c->val + c->val_len;
	memcpy(o, &l, 4);
	copy_bytes(o + 4, p, len);
	c->val_len += (uint32_t)len + 4;
	c->n_values++;
	return 0;
}

/* ---- messages ----------------------------------------------------------------------- */

static const char *tok_kind(const struct sl_json_tok *t)
{
	switch (t->type) {
	case SL_JSON_NULL: return "null";
	case SL_JSON_TRUE:
	case SL_JSON_FALSE: return "boolean";
	case SL_JSON_INT:
	case SL_JSON_BIGINT: return "integer";
	case SL_JSON_DOUBLE: return "number";
	case SL_JSON_STRING:
	case SL_JSON_KEY: return "string";
	case SL_JSON_OBJECT: return "object";
	case SL_JSON_ARRAY: return "array";
	default: return "nothing";
	}
}

/* "expected <type>, got <kind>[ <text>][ (<why>)]". Returns SL_EINVAL. */
static int refuse(struct pqw_shred *s, const struct sl_type *t, const struct sl_json_tok *tok,
		  const char *why)
{
	char tname[64];
	char shown[160] = "";
	if (why && tok) {
		/* show the value itself, cut, so the message says what was wrong with it */
		const char *p = NULL;
		size_t n = 0;
		if (tok->type == SL_JSON_STRING || tok->type == SL_JSON_KEY) {
			p = tok->v.s;
			n = tok->len;
		} else if (tok->type == SL_JSON_INT || tok->type == SL_JSON_BIGINT ||
			   tok->type == SL_JSON_DOUBLE) {
			p = s->doc->text + tok->off;
			n = tok->len;
		}
		if (p) {
			struct sl_buf b;
			sl_buf_init(&b, 200);
			sl_buf_puts(&b, " ");
			if (tok->type == SL_JSON_STRING || tok->type == SL_JSON_KEY)
				sl_buf_json_str(&b, p, n > 48 ? 48 : n);
			else
				sl_buf_append(&b, p, n > 48 ? 48 : n);
			if (n > 48)
				sl_buf_puts(&b, "...");
			snprintf(shown, sizeof(shown), "%s", b.data ? b.data : "");
			sl_buf_release(&b);
		}
	}
	return sl_err_set(s->err, SL_EINVAL, "expected %s, got %s%s%s%s%s",
			  sl_type_kind_name(t, tname, sizeof(tname)),
			  tok ? tok_kind(tok) : "no value (member absent)", shown,
			  why ? " (" : "", why ? why : "", why ? ")" : "");
}

/* The failing value's pointer is collected while unwinding: each segment is stored with
 * its length after it, innermost first. */
static void ptr_push(struct pqw_shred *s, const char *seg, size_t len)
{
	struct sl_buf *b = &s->ptr_rev;
	size_t start = b->len;
	for (size_t i = 0; i < len; i++) {
		if (seg[i] == '~')
			sl_buf_append(b, "~0", 2);
		else if (seg[i] == '/')
			sl_buf_append(b, "~1", 2);
		else
			sl_buf_append(b, seg + i, 1);
	}
	uint32_t n = (uint32_t)(b->len - start);
	sl_buf_append(b, &n, 4);
}

static void ptr_push_index(struct pqw_shred *s, size_t i)
{
	char num[24];
	int n = snprintf(num, sizeof(num), "%zu", i);
	ptr_push(s, num, (size_t)n);
}

/* Builds s->pointer from the collected segments and prefixes the message with it. */
static void ptr_finish(struct pqw_shred *s)
{
	struct sl_buf out;
	sl_buf_init(&out, 0);
	const struct sl_buf *b = &s->ptr_rev;
	size_t end = b->len;
	while (end >= 4 && b->data) {
		uint32_t n;
		memcpy(&n, b->data + end - 4, 4);
		if (n > end - 4)
			break;
		sl_buf_append(&out, "/", 1);
		sl_buf_append(&out, b->data + end - 4 - n, n);
		end -= 4 + n;
	}
	free(s->pointer);
	s->pointer = strdup(out.data ? out.data : "");
	if (s->err)
		sl_err_prefix(s->err, "at %s", out.len ? out.data : "(root)");
	sl_buf_release(&out);
}

/* ---- value conversions -------------------------------------------------------------- */

static inline bool is_digit(char c)
{
	return (unsigned char)(c - '0') < 10;
}

/* Parses JSON number text (also a numeric string) exactly and scales it by 10^scale.
 * The result must be an integer of at most max_digits digits. NULL on success, else a
 * reason for the message. */
static const char *num_scaled(const char *p, size_t n, int scale, int max_digits,
			      __int128 *out)
{
	char dig[48];
	int nd = 0;
	int64_t zeros = 0; /* zeros seen after the last significant digit, not yet stored */
	int64_t exp = 0;
	size_t i = 0;
	bool neg = false;
	if (i < n && p[i] == '-') {
		neg = true;
		i++;
	}
	if (i >= n || !is_digit(p[i]) || (p[i] == '0' && i + 1 < n && is_digit(p[i + 1])))
		return "not a number";
#define PQW_DIGIT(ch)                                                                         \
	do {                                                                                  \
		if ((ch) == '0') {                                                            \
			if (nd)                                                               \
				zeros++;                                                      \
		} else {                                                                      \
			if (nd + zeros + 1 > (int64_t)sizeof(dig))                            \
				return "too many digits";                                     \
			while (zeros) {                                                       \
				dig[nd++] = '0';                                              \
				zeros--;                                                      \
			}                                                                     \
			dig[nd++] = (ch);                                                     \
		}                                                                             \
	} while (0)
	while (i < n && is_digit(p[i])) {
		PQW_DIGIT(p[i]);
		i++;
	}
	if (i < n && p[i] == '.') {
		i++;
		if (i >= n || !is_digit(p[i]))
			return "not a number";
		while (i < n && is_digit(p[i])) {
			PQW_DIGIT(p[i]);
			exp--;
			i++;
		}
	}
#undef PQW_DIGIT
	if (i < n && (p[i] == 'e' || p[i] == 'E')) {
		i++;
		bool eneg = false;
		if (i < n && (p[i] == '+' || p[i] == '-'))
			eneg = p[i++] == '-';
		if (i >= n || !is_digit(p[i]))
			return "not a number";
		int64_t e = 0;
		while (i < n && is_digit(p[i])) {
			if (e < 100000000)
				e = e * 10 + (p[i] - '0');
			i++;
		}
		exp += eneg ? -e : e;
	}
	if (i != n)
		return "not a number";
	if (nd == 0) {
		*out = 0;
		return NULL;
	}
	int64_t k = exp + zeros + scale; /* value = dig * 10^k */
	if (k < 0)
		return scale ? "too many decimal places" : "not an integer";
	if (nd + k > max_digits)
		return "out of range";
	__int128 v = 0;
	for (int j = 0; j < nd; j++)
		v = v * 10 + (dig[j] - '0');
	for (int64_t j = 0; j < k; j++)
		v *= 10;
	*out = neg ? -v : v;
	return NULL;
}

/* The number's text: a token's own, or a string's contents (decimals accept both). */
static bool num_text(const struct pqw_shred *s, const struct sl_json_tok *t, const char **p,
		     size_t *n, bool strings)
{
	if (t->type == SL_JSON_INT || t->type == SL_JSON_BIGINT || t->type == SL_JSON_DOUBLE) {
		*p = s->doc->text + t->off;
		*n = t->len;
		return true;
	}
	if (strings && (t->type == SL_JSON_STRING || t->type == SL_JSON_KEY)) {
		*p = t->v.s;
		*n = t->len;
		return true;
	}
	return false;
}

/* An integer in [lo, hi] (uint64 uses the __int128 range). */
static int conv_int(struct pqw_shred *s, const struct pqw_node *n, const struct sl_json_tok *t,
		    __int128 lo, __int128 hi, bool from_key, __int128 *out)
{
	if (t->type == SL_JSON_INT) {
		if (t->v.i < lo || t->v.i > hi)
			return refuse(s, n->type, t, "out of range");
		*out = t->v.i;
		return 0;
	}
	const char *p;
	size_t len;
	if (!num_text(s, t, &p, &len, from_key))
		return refuse(s, n->type, t, NULL);
	__int128 v;
	const char *why = num_scaled(p, len, 0, 20, &v);
	if (!why && (v < lo || v > hi))
		why = "out of range";
	if (why)
		return refuse(s, n->type, t, why);
	*out = v;
	return 0;
}

static int conv_double(struct pqw_shred *s, const struct pqw_node *n, const struct sl_json_tok *t,
		       double *out)
{
	switch (t->type) {
	case SL_JSON_INT:
		/* JSON's -0 is negative zero, as strtod reads it, not the integer 0 */
		*out = t->v.i == 0 && s->doc->text[t->off] == '-' ? -0.0 : (double)t->v.i;
		return 0;
	case SL_JSON_DOUBLE: *out = t->v.d; return 0;
	case SL_JSON_BIGINT: {
		char tmp[1100];
		if (t->len >= sizeof(tmp))
			return refuse(s, n->type, t, "out of range");
		memcpy(tmp, s->doc->text + t->off, t->len);
		tmp[t->len] = '\0';
		*out = strtod(tmp, NULL); /* digits only: no locale-dependent characters */
		return 0;
	}
	case SL_JSON_STRING:
		/* how types.h writes the values JSON has no number for */
		if (t->len == 3 && memcmp(t->v.s, "NaN", 3) == 0) {
			*out = NAN;
			return 0;
		}
		if (t->len == 8 && memcmp(t->v.s, "Infinity", 8) == 0) {
			*out = INFINITY;
			return 0;
		}
		if (t->len == 9 && memcmp(t->v.s, "-Infinity", 9) == 0) {
			*out = -INFINITY;
			return 0;
		}
		return refuse(s, n->type, t, "not a number");
	default: return refuse(s, n->type, t, NULL);
	}
}

static inline int d2(const char *p)
{
	if (!is_digit(p[0]) || !is_digit(p[1]))
		return -1;
	return (p[0] - '0') * 10 + (p[1] - '0');
}

/* Days since 1970-01-01 of a proleptic Gregorian date (y >= 0). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2; /* -1 for January and February of year 0: the era must floor */
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* "YYYY-MM-DD" at p (10 bytes available). */
static bool parse_date(const char *p, int64_t *days)
{
	int y1 = d2(p), y2 = d2(p + 2), m = d2(p + 5), d = d2(p + 8);
	if (y1 < 0 || y2 < 0 || m < 1 || m > 12 || d < 1 || p[4] != '-' || p[7] != '-')
		return false;
	int y = y1 * 100 + y2;
	static const uint8_t mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (d > mdays[m - 1] || (m == 2 && d == 29 && !leap))
		return false;
	*days = days_from_civil(y, m, d);
	return true;
}

/* "HH:MM:SS[.frac]" then, if allowed, "Z" or "+HH:MM"; *used bytes. Nanoseconds of the
 * day in *ns (fraction digits beyond 9 are cut), the offset in seconds in *off. */
static bool parse_time(const char *p, size_t n, int64_t *ns, int64_t *off, bool *has_off)
{
	if (n < 8)
		return false;
	int h = d2(p), mi = d2(p + 3), se = d2(p + 6);
	if (h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 60 || p[2] != ':' ||
	    p[5] != ':')
		return false;
	size_t i = 8;
	int64_t frac = 0;
	if (i < n && p[i] == '.') {
		i++;
		size_t st = i;
		int nd = 0;
		while (i < n && is_digit(p[i])) {
			if (nd < 9) {
				frac = frac * 10 + (p[i] - '0');
				nd++;
			}
			i++;
		}
		if (i == st)
			return false;
		for (; nd < 9; nd++)
			frac *= 10;
	}
	*has_off = false;
	*off = 0;
	if (i < n) {
		if ((p[i] == 'Z' || p[i] == 'z') && i + 1 == n) {
			*has_off = true;
		} else if ((p[i] == '+' || p[i] == '-') && i + 6 == n && p[i + 3] == ':') {
			int oh = d2(p + i + 1), om = d2(p + i + 4);
			if (oh < 0 || oh > 23 || om < 0 || om > 59)
				return false;
			*off = (p[i] == '-' ? -1 : 1) * (int64_t)(oh * 3600 + om * 60);
			*has_off = true;
		} else {
			return false;
		}
	}
	*ns = ((int64_t)h * 3600 + mi * 60 + se) * 1000000000 + frac;
	return true;
}

/* RFC 3339 date-time to nanoseconds since the epoch, UTC. */
static bool parse_timestamp(const char *p, size_t n, int64_t *out_ns_day, int64_t *out_days)
{
	int64_t days, ns, off;
	bool has_off;
	if (n < 20 || !parse_date(p, &days) || (p[10] != 'T' && p[10] != 't' && p[10] != ' '))
		return false;
	if (!parse_time(p + 11, n - 11, &ns, &off, &has_off) || !has_off)
		return false;
	/* kept as days and nanoseconds of the day so years 0..9999 never overflow */
	ns -= off * 1000000000;
	*out_days = days;
	*out_ns_day = ns;
	return true;
}

static int conv_timestamp(struct pqw_shred *s, const struct pqw_node *n,
			  const struct sl_json_tok *t, bool micros, int64_t *out)
{
	if (t->type != SL_JSON_STRING && t->type != SL_JSON_KEY)
		return refuse(s, n->type, t, NULL);
	int64_t days, ns;
	if (!parse_timestamp(t->v.s, t->len, &ns, &days))
		return refuse(s, n->type, t, "not an RFC 3339 date-time");
	/* floor division keeps instants before 1970 right */
	int64_t unit = micros ? 1000 : 1000000;
	int64_t q = ns / unit - (ns % unit < 0);
	*out = days * (micros ? 86400000000LL : 86400000LL) + q;
	return 0;
}

static const int8_t b64_val[256] = {
	['A'] = 1,  ['B'] = 2,  ['C'] = 3,  ['D'] = 4,  ['E'] = 5,  ['F'] = 6,  ['G'] = 7,
	['H'] = 8,  ['I'] = 9,  ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14,
	['O'] = 15, ['P'] = 16, ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21,
	['V'] = 22, ['W'] = 23, ['X'] = 24, ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28,
	['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35,
	['j'] = 36, ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42,
	['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48, ['w'] = 49,
	['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56,
	['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63,
	['/'] = 64,
}; /* value + 1; 0 = not in the alphabet */

/* RFC 4648 base64 (padding optional, no whitespace) into out; false if malformed. */
static bool base64_decode(const char *p, size_t n, struct sl_buf *out)
{
	while (n && p[n - 1] == '=' && n % 4 != 1)
		n--;
	if (n % 4 == 1)
		return false;
	out->len = 0;
	if (sl_pqw_reserve(out, n / 4 * 3 + 3) != 0)
		return false;
	uint8_t *o = (uint8_t *)out->data;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		int v = b64_val[(uint8_t)p[i]];
		if (!v)
			return false;
		acc = acc << 6 | (uint32_t)(v - 1);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			*o++ = (uint8_t)(acc >> bits);
		}
	}
	/* the bits left over must be zero, so each byte string has one encoding */
	if (acc & ((1u << bits) - 1))
		return false;
	out->len = (size_t)(o - (uint8_t *)out->data);
	return true;
}

/* Hex digit values + 1; 0 for anything else. */
static const uint8_t hex_val[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7, ['7'] = 8,
	['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15,
	['f'] = 16, ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

static bool parse_uuid(const char *p, size_t n, uint8_t out[16])
{
	static const uint8_t at[16] = {0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34};
	if (n != 36 || p[8] != '-' || p[13] != '-' || p[18] != '-' || p[23] != '-')
		return false;
	bool ok = true;
	for (int i = 0; i < 16; i++) {
		unsigned hi = hex_val[(uint8_t)p[at[i]]], lo = hex_val[(uint8_t)p[at[i] + 1]];
		ok &= hi != 0 && lo != 0;
		out[i] = (uint8_t)((hi - 1) << 4 | ((lo - 1) & 15));
	}
	return ok;
}

/* Where a string's JSON text (quotes included) that starts at off ends. */
static size_t string_end(const char *text, size_t off, const struct sl_json_tok *t)
{
	if (!(t->flags & SL_JSON_F_ESCAPED))
		return off + t->len + 2;
	/* the parser checked the text: the first unescaped quote ends it */
	size_t end = off + 1;
	while (text[end] != '"')
		end += text[end] == '\\' ? 2 : 1;
	return end + 1;
}

/* The JSON text of the value (or key) at token ti, for json columns. */
static void raw_span(const struct sl_json_doc *d, size_t ti, const char **p, size_t *len)
{
	const struct sl_json_tok *t = &d->tok[ti];
	size_t off = t->off, end;
	switch (t->type) {
	case SL_JSON_OBJECT:
	case SL_JSON_ARRAY: end = d->tok[t->v.end].off + 1; break;
	case SL_JSON_STRING:
	case SL_JSON_KEY: end = string_end(d->text, off, t); break;
	case SL_JSON_TRUE: end = off + 4; break;
	case SL_JSON_FALSE: end = off + 5; break;
	case SL_JSON_NULL: end = off + 4; break;
	default: end = off + t->len; break;
	}
	*p = d->text + off;
	*len = end - off;
}

/* ---- the walk ----------------------------------------------------------------------- */

static int shred_value(struct pqw_shred *s, struct pqw_node *n, size_t *ti, int rep);

/* Every leaf under n gets a null at level def (lazy ones get theirs later). */
static int put_nulls(struct pqw_shred *s, const struct pqw_node *n, int def, int rep)
{
	if (!n->has_eager)
		return 0;
	for (uint32_t i = n->leaf_lo; i < n->leaf_hi; i++) {
		struct pqw_col *c = &s->cols[i];
		if (c->lazy)
			continue;
		int rc = put_level(s, c, def, rep);
		if (rc)
			return rc;
	}
	return 0;
}

static inline size_t skip_value(const struct sl_json_doc *d, size_t ti)
{
	const struct sl_json_tok *t = &d->tok[ti];
	return t->type == SL_JSON_OBJECT || t->type == SL_JSON_ARRAY ? t->v.end + 1 : ti + 1;
}

/* A leaf's value from token t (a value, or a map key): converted, then one level and
 * the value appended. */
static int shred_leaf(struct pqw_shred *s, struct pqw_node *n, const struct sl_json_tok *t,
		      size_t ti, int rep, bool from_key)
{
	struct pqw_col *c = n->col;
	int rc;
	union {
		int32_t i32;
		int64_t i64;
		float f;
		double d;
		uint8_t b[16];
	} v;
	switch (c->conv) {
	case PQW_STRING:
		if (t->type != SL_JSON_STRING && t->type != SL_JSON_KEY)
			return refuse(s, n->type, t, NULL);
		if ((rc = put_level(s, c, n->def, rep)) != 0)
			return rc;
		return put_bytes(c, t->v.s, t->len);
	case PQW_JSON: {
		const char *p;
		size_t len;
		raw_span(s->doc, ti, &p, &len);
		if ((rc = put_level(s, c, n->def, rep)) != 0)
			return rc;
		return put_bytes(c, p, len);
	}
	case PQW_BOOL:
		if (t->type == SL_JSON_TRUE || t->type == SL_JSON_FALSE)
			v.b[0] = t->type == SL_JSON_TRUE;
		else if (from_key && t->len == 4 && memcmp(t->v.s, "true", 4) == 0)
			v.b[0] = 1;
		else if (from_key && t->len == 5 && memcmp(t->v.s, "false", 5) == 0)
			v.b[0] = 0;
		else
			return refuse(s, n->type, t, NULL);
		break;
	case PQW_I32:
		if (t->type == SL_JSON_INT && t->v.i >= c->imin && t->v.i <= c->imax) {
			v.i32 = (int32_t)(uint32_t)t->v.i; /* uint32 keeps its bits */
		} else {
			__int128 x;
			if ((rc = conv_int(s, n, t, c->imin, c->imax, from_key, &x)) != 0)
				return rc;
			v.i32 = (int32_t)(uint32_t)x;
		}
		break;
	case PQW_I64:
		if (t->type == SL_JSON_INT) {
			v.i64 = t->v.i;
		} else {
			__int128 x;
			if ((rc = conv_int(s, n, t, INT64_MIN, INT64_MAX, from_key, &x)) != 0)
				return rc;
			v.i64 = (int64_t)x;
		}
		break;
	case PQW_U64: {
		__int128 x;
		if ((rc = conv_int(s, n, t, 0, (__int128)UINT64_MAX, from_key, &x)) != 0)
			return rc;
		v.i64 = (int64_t)(uint64_t)x;
		break;
	}
	case PQW_DOUBLE:
		if ((rc = conv_double(s, n, t, &v.d)) != 0)
			return rc;
		break;
	case PQW_FLOAT: {
		double d;
		if ((rc = conv_double(s, n, t, &d)) != 0)
			return rc;
		v.f = (float)d;
		if (isinf(v.f) && !isinf(d))
			return refuse(s, n->type, t, "out of range");
		break;
	}
	case PQW_DEC_I32:
	case PQW_DEC_I64:
	case PQW_DEC_FLBA: {
		const char *p;
		size_t len;
		__int128 x;
		if (!num_text(s, t, &p, &len, true))
			return refuse(s, n->type, t, NULL);
		const char *why = num_scaled(p, len, c->scale, c->precision, &x);
		if (why)
			return refuse(s, n->type, t,
				      strcmp(why, "out of range") == 0 ? "more digits than the precision"
								       : why);
		if (c->conv == PQW_DEC_I32) {
			v.i32 = (int32_t)x;
		} else if (c->conv == PQW_DEC_I64) {
			v.i64 = (int64_t)x;
		} else {
			unsigned __int128 u = (unsigned __int128)x;
			for (uint32_t i = c->width; i-- > 0;) {
				v.b[i] = (uint8_t)u;
				u >>= 8;
			}
		}
		break;
	}
	case PQW_BINARY:
	case PQW_BINARY_FIXED: {
		if (t->type != SL_JSON_STRING && t->type != SL_JSON_KEY)
			return refuse(s, n->type, t, NULL);
		struct sl_buf *tmp = &s->scratch;
		if (!base64_decode(t->v.s, t->len, tmp))
			return refuse(s, n->type, t, "not base64");
		if (c->conv == PQW_BINARY_FIXED && tmp->len != c->width)
			return refuse(s, n->type, t, "wrong length");
		if ((rc = put_level(s, c, n->def, rep)) != 0)
			return rc;
		return c->conv == PQW_BINARY ? put_bytes(c, tmp->data, tmp->len)
					     : put_fixed(c, tmp->data);
	}
	case PQW_DATE: {
		int64_t days;
		if (t->type != SL_JSON_STRING && t->type != SL_JSON_KEY)
			return refuse(s, n->type, t, NULL);
		if (t->len != 10 || !parse_date(t->v.s, &days))
			return refuse(s, n->type, t, "not a YYYY-MM-DD date");
		v.i32 = (int32_t)days;
		break;
	}
	case PQW_TIME_MS:
	case PQW_TIME_US: {
		int64_t ns, off;
		bool has_off;
		if (t->type != SL_JSON_STRING && t->type != SL_JSON_KEY)
			return refuse(s, n->type, t, NULL);
		if (!parse_time(t->v.s, t->len, &ns, &off, &has_off))
			return refuse(s, n->type, t, "not an HH:MM:SS time");
		const int64_t day = 86400000000000LL;
		if (ns >= day) /* a leap second: the last instant of the day */
			ns = day - 1;
		if (c->time_utc && has_off)
			ns = ((ns - off * 1000000000) % day + day) % day;
		if (c->conv == PQW_TIME_MS)
			v.i32 = (int32_t)(ns / 1000000);
		else
			v.i64 = ns / 1000;
		break;
	}
	case PQW_TS_MS:
	case PQW_TS_US:
		if ((rc = conv_timestamp(s, n, t, c->conv == PQW_TS_US, &v.i64)) != 0)
			return rc;
		break;
	case PQW_UUID:
		if (t->type != SL_JSON_STRING && t->type != SL_JSON_KEY)
			return refuse(s, n->type, t, NULL);
		if (!parse_uuid(t->v.s, t->len, v.b))
			return refuse(s, n->type, t, "not a UUID");
		break;
	default: return sl_err_set(s->err, SL_EINVAL, "unsupported column conversion");
	}
	if ((rc = put_level(s, c, n->def, rep)) != 0)
		return rc;
	return put_small(c, &v);
}

/* Member names are short: compared without a call. */
static inline bool name_eq(const char *a, const char *b, size_t n)
{
	if (n >= 8) {
		uint64_t x, y;
		for (; n > 8; n -= 8, a += 8, b += 8) {
			memcpy(&x, a, 8);
			memcpy(&y, b, 8);
			if (x != y)
				return false;
		}
		memcpy(&x, a + n - 8, 8); /* the last 8 bytes, overlapping */
		memcpy(&y, b + n - 8, 8);
		return x == y;
	}
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

static struct pqw_field *find_field(struct pqw_node *n, const struct sl_json_tok *k)
{
	uint32_t g = n->guess;
	if (g < n->n_fields) {
		struct pqw_field *f = &n->fields[g];
		if (f->len == k->len && name_eq(f->name, k->v.s, k->len)) {
			n->guess = g + 1;
			return f;
		}
	}
	uint32_t h = (uint32_t)sl_pqw_hash(k->v.s, k->len, 0);
	for (uint32_t i = h & n->tmask; n->ftab[i]; i = (i + 1) & n->tmask) {
		uint32_t fi = n->ftab[i] - 1;
		struct pqw_field *f = &n->fields[fi];
		if (f->len == k->len && name_eq(f->name, k->v.s, k->len)) {
			n->guess = fi + 1;
			return f;
		}
	}
	return NULL;
}

static int shred_struct(struct pqw_shred *s, struct pqw_node *n, size_t *ti, int rep)
{
	const struct sl_json_doc *d = s->doc;
	const struct sl_json_tok *t = &d->tok[*ti];
	if (t->type != SL_JSON_OBJECT)
		return refuse(s, n->type, t, NULL);
	int rc;
	if (n->lazy) {
		/* a lazy struct present at this row */
		if ((rc = struct_fill(n, s->row)) != 0 || (rc = deff_room(n, s->row + 1)) != 0)
			return rc;
		n->deff[s->row] = (uint8_t)n->def;
		n->deff_end = s->row + 1;
	}
	uint32_t stamp = ++s->stamp;
	size_t end = t->v.end;
	size_t i = *ti + 1;
	uint32_t matched = 0;
	n->guess = 0;
	while (i < end) {
		const struct sl_json_tok *k = &d->tok[i];
		struct pqw_field *f = find_field(n, k);
		if (!f) {
			if (s->strict_members) {
				ptr_push(s, k->v.s, k->len);
				return sl_err_set(s->err, SL_EINVAL, "member not in the schema");
			}
			i = skip_value(d, i + 1);
			continue;
		}
		f->seen = stamp;
		matched++;
		i++;
		if ((rc = shred_value(s, f->node, &i, rep)) != 0) {
			ptr_push(s, f->name, f->len);
			return rc;
		}
	}
	*ti = end + 1;
	if (matched == n->n_fields)
		return 0;
	/* absent members: only those that must be there or have eager leaves matter */
	for (uint32_t k = 0; k < n->n_check; k++) {
		struct pqw_field *f = &n->fields[n->check[k]];
		if (f->seen == stamp)
			continue;
		if (!f->node->nullable) {
			rc = refuse(s, f->node->type, NULL, NULL);
			ptr_push(s, f->name, f->len);
			return rc;
		}
		if ((rc = put_nulls(s, f->node, f->node->null_def, rep)) != 0)
			return rc;
	}
	return 0;
}

static int shred_list(struct pqw_shred *s, struct pqw_node *n, size_t *ti, int rep)
{
	const struct sl_json_doc *d = s->doc;
	const struct sl_json_tok *t = &d->tok[*ti];
	if (t->type != SL_JSON_ARRAY)
		return refuse(s, n->type, t, NULL);
	if (t->len == 0) {
		*ti = t->v.end + 1;
		return put_nulls(s, n, n->def, rep);
	}
	size_t i = *ti + 1, end = t->v.end;
	int r = rep;
	for (size_t k = 0; i < end; k++) {
		int rc = shred_value(s, n->elem, &i, r);
		if (rc) {
			ptr_push_index(s, k);
			return rc;
		}
		r = n->elem_rep;
	}
	*ti = end + 1;
	return 0;
}

/* A map from an object (members are entries) or, as a map with non-string keys reads
 * back, from an array of {"key": .., "value": ..} objects. */
static int shred_map(struct pqw_shred *s, struct pqw_node *n, size_t *ti, int rep)
{
	const struct sl_json_doc *d = s->doc;
	const struct sl_json_tok *t = &d->tok[*ti];
	if (t->type != SL_JSON_OBJECT && t->type != SL_JSON_ARRAY)
		return refuse(s, n->type, t, NULL);
	if (t->len == 0) {
		*ti = t->v.end + 1;
		return put_nulls(s, n, n->def, rep);
	}
	size_t i = *ti + 1, end = t->v.end;
	int r = rep, rc;
	for (size_t k = 0; i < end; k++) {
		if (t->type == SL_JSON_OBJECT) {
			const struct sl_json_tok *key = &d->tok[i];
			if ((rc = shred_leaf(s, n->key, key, i, r, true)) != 0) {
				ptr_push(s, key->v.s, key->len);
				return rc;
			}
			i++;
			if ((rc = shred_value(s, n->elem, &i, r)) != 0) {
				ptr_push(s, key->v.s, key->len);
				return rc;
			}
		} else {
			const struct sl_json_tok *e = &d->tok[i];
			size_t ki = 0, vi = 0;
			if (e->type == SL_JSON_OBJECT) {
				for (size_t j = i + 1; j < e->v.end; j = skip_value(d, j + 1)) {
					const struct sl_json_tok *m = &d->tok[j];
					if (m->len == 3 && memcmp(m->v.s, "key", 3) == 0)
						ki = j + 1;
					else if (m->len == 5 && memcmp(m->v.s, "value", 5) == 0)
						vi = j + 1;
				}
			}
			if (!ki || d->tok[ki].type == SL_JSON_NULL) {
				rc = e->type == SL_JSON_OBJECT
					     ? refuse(s, n->key->type, ki ? &d->tok[ki] : NULL, NULL)
					     : sl_err_set(s->err, SL_EINVAL,
							  "expected a {\"key\":..,\"value\":..} entry, got %s",
							  tok_kind(e));
				if (ki)
					ptr_push(s, "key", 3);
				ptr_push_index(s, k);
				return rc;
			}
			if ((rc = shred_value(s, n->key, &ki, r)) != 0) {
				ptr_push(s, "key", 3);
				ptr_push_index(s, k);
				return rc;
			}
			if (!vi)
				rc = n->elem->nullable ? put_nulls(s, n->elem, n->elem->null_def, r)
						       : refuse(s, n->elem->type, NULL, NULL);
			else
				rc = shred_value(s, n->elem, &vi, r);
			if (rc) {
				ptr_push(s, "value", 5);
				ptr_push_index(s, k);
				return rc;
			}
			i = skip_value(d, i);
		}
		r = n->elem_rep;
	}
	*ti = end + 1;
	return 0;
}

/* The value at *ti for node n; *ti moves past it. */
static int shred_value(struct pqw_shred *s, struct pqw_node *n, size_t *ti, int rep)
{
	const struct sl_json_tok *t = &s->doc->tok[*ti];
	if (t->type == SL_JSON_NULL) {
		/* JSON's null is a value of a json column that cannot be null: its text */
		if (!n->nullable && n->op == PQW_OP_LEAF && n->col->conv == PQW_JSON) {
			int rc = shred_leaf(s, n, t, *ti, rep, false);
			(*ti)++;
			return rc;
		}
		if (!n->nullable)
			return refuse(s, n->type, t, NULL);
		(*ti)++;
		return put_nulls(s, n, n->null_def, rep);
	}
	switch (n->op) {
	case PQW_OP_LEAF: {
		int rc = shred_leaf(s, n, t, *ti, rep, false);
		*ti = skip_value(s->doc, *ti);
		return rc;
	}
	case PQW_OP_STRUCT: return shred_struct(s, n, ti, rep);
	case PQW_OP_LIST: return shred_list(s, n, ti, rep);
	default: return shred_map(s, n, ti, rep);
	}
}

/* The pointer of the first member flagged as a duplicate, for the message (rare: a
 * plain scan for the key's ancestors, then each one's place in its parent). */
static void dup_pointer(struct pqw_shred *s, const struct sl_json_doc *d)
{
	size_t at = 0;
	while (at < d->n_tok &&
	       !(d->tok[at].type == SL_JSON_KEY && (d->tok[at].flags & SL_JSON_F_DUPKEY)))
		at++;
	if (at == d->n_tok)
		return;
	size_t n_anc = 0;
	for (size_t j = 0; j < at; j++)
		if ((d->tok[j].type == SL_JSON_OBJECT || d->tok[j].type == SL_JSON_ARRAY) &&
		    d->tok[j].v.end > at)
			n_anc++;
	size_t *anc = malloc((n_anc + 1) * sizeof(*anc));
	if (!anc)
		return;
	n_anc = 0;
	for (size_t j = 0; j < at; j++)
		if ((d->tok[j].type == SL_JSON_OBJECT || d->tok[j].type == SL_JSON_ARRAY) &&
		    d->tok[j].v.end > at)
			anc[n_anc++] = j;
	ptr_push(s, d->tok[at].v.s, d->tok[at].len);
	for (size_t i = n_anc; i-- > 1;) {
		size_t child = anc[i], parent = anc[i - 1];
		if (d->tok[parent].type == SL_JSON_OBJECT) {
			ptr_push(s, d->tok[child - 1].v.s, d->tok[child - 1].len);
		} else {
			size_t idx = 0;
			for (size_t e = parent + 1; e < child; e = skip_value(d, e))
				idx++;
			ptr_push_index(s, idx);
		}
	}
	free(anc);
}

int sl_pqw_shred(struct pqw_shred *s, const struct sl_json_doc *doc, struct sl_err *err)
{
	s->doc = doc;
	s->err = err;
	s->ptr_rev.len = 0;
	s->seq++;
	int rc;
	size_t ti = 0;
	if (doc->n_tok == 0)
		rc = sl_err_set(err, SL_EINVAL, "empty record");
	else if (doc->dup_keys) {
		dup_pointer(s, doc);
		rc = sl_err_set(err, SL_EINVAL, "duplicate key in the record");
	} else if (doc->tok[0].type != SL_JSON_OBJECT)
		rc = refuse(s, s->root->type, &doc->tok[0], NULL);
	else
		rc = shred_struct(s, s->root, &ti, 0);
	if (rc == 0)
		return 0;
	rollback(s);
	if (rc == SL_EINVAL)
		ptr_finish(s);
	else if (rc == SL_ENOMEM)
		sl_err_set(err, rc, "out of memory while shredding a record");
	else if (rc == SL_ELIMIT)
		sl_err_set(err, rc, "a column page would exceed %zu bytes", PQW_BUF_MAX);
	return rc;
}

/* ---- the plan ----------------------------------------------------------------------- */

static void node_free(struct pqw_node *n)
{
	if (!n)
		return;
	for (uint32_t i = 0; i < n->n_fields; i++)
		node_free(n->fields[i].node);
	free(n->fields);
	free(n->ftab);
	free(n->check);
	free(n->deff);
	node_free(n->elem);
	node_free(n->key);
	free(n);
}

void sl_pqw_plan_free(struct pqw_shred *s)
{
	node_free(s->root);
	s->root = NULL;
	free(s->lazy_structs);
	s->lazy_structs = NULL;
	s->n_lazy_structs = 0;
	sl_buf_release(&s->ptr_rev);
	sl_buf_release(&s->scratch);
	free(s->pointer);
	s->pointer = NULL;
}

struct plan_ctx {
	struct pqw_shred *s;
	uint32_t next_leaf;
	struct sl_err *err;
};

static int mismatch(struct plan_ctx *p, const struct sl_pq_node *pn, const char *what)
{
	return sl_err_set(p->err, SL_EINVAL,
			  "Parquet schema node '%s' does not have the shape the writer expects: %s",
			  pn->name ? pn->name : "", what);
}

/* Sets up a leaf's conversion from its type and its Parquet leaf. */
static int leaf_setup(struct plan_ctx *p, const struct sl_type *t, const struct sl_pq_node *pn,
		      struct pqw_col *c)
{
	int32_t want = -1;
	c->width = 0;
	switch (t->kind) {
	case SL_T_BOOL: c->conv = PQW_BOOL; want = SL_PQ_BOOLEAN; c->width = 1;
		c->order = PQW_ORD_BOOL; break;
	case SL_T_INT:
		if (t->bits == 64) {
			c->conv = t->is_unsigned ? PQW_U64 : PQW_I64;
			c->order = t->is_unsigned ? PQW_ORD_U64 : PQW_ORD_I64;
			want = SL_PQ_INT64;
			c->width = 8;
		} else if (t->bits == 8 || t->bits == 16 || t->bits == 32) {
			c->conv = PQW_I32;
			c->order = t->is_unsigned ? PQW_ORD_U32 : PQW_ORD_I32;
			want = SL_PQ_INT32;
			c->width = 4;
			c->imin = t->is_unsigned ? 0 : -((int64_t)1 << (t->bits - 1));
			c->imax = t->is_unsigned ? ((int64_t)1 << t->bits) - 1
						 : ((int64_t)1 << (t->bits - 1)) - 1;
		} else {
			return mismatch(p, pn, "integer of unknown width");
		}
		break;
	case SL_T_FLOAT: c->conv = PQW_FLOAT; want = SL_PQ_FLOAT; c->width = 4;
		c->order = PQW_ORD_FLOAT; break;
	case SL_T_DOUBLE: c->conv = PQW_DOUBLE; want = SL_PQ_DOUBLE; c->width = 8;
		c->order = PQW_ORD_DOUBLE; break;
	case SL_T_DECIMAL:
		c->scale = t->scale;
		c->precision = t->precision;
		if (t->precision < 1 || t->precision > 38 || t->scale > t->precision)
			return mismatch(p, pn, "decimal precision out of 1..38");
		if (pn->phys == SL_PQ_INT32) {
			c->conv = PQW_DEC_I32; c->width = 4; c->order = PQW_ORD_I32;
		} else if (pn->phys == SL_PQ_INT64) {
			c->conv = PQW_DEC_I64; c->width = 8; c->order = PQW_ORD_I64;
		} else if (pn->phys == SL_PQ_FIXED_LEN_BYTE_ARRAY && pn->type_length >= 1 &&
			   pn->type_length <= 16) {
			c->conv = PQW_DEC_FLBA; c->width = (uint32_t)pn->type_length;
			c->order = PQW_ORD_DEC_FLBA;
		} else {
			return mismatch(p, pn, "decimal not stored as INT32, INT64 or FLBA(1..16)");
		}
		want = pn->phys;
		break;
	case SL_T_STRING: c->conv = PQW_STRING; want = SL_PQ_BYTE_ARRAY;
		c->order = PQW_ORD_BYTES; break;
	case SL_T_JSON: c->conv = PQW_JSON; want = SL_PQ_BYTE_ARRAY;
		c->order = PQW_ORD_BYTES; break;
	case SL_T_BINARY:
		c->order = PQW_ORD_BYTES;
		if (t->fixed_len) {
			c->conv = PQW_BINARY_FIXED;
			want = SL_PQ_FIXED_LEN_BYTE_ARRAY;
			c->width = t->fixed_len;
			if (pn->type_length != (int32_t)t->fixed_len)
				return mismatch(p, pn, "binary(n) with another length");
		} else {
			c->conv = PQW_BINARY;
			want = SL_PQ_BYTE_ARRAY;
		}
		break;
	case SL_T_DATE: c->conv = PQW_DATE; want = SL_PQ_INT32; c->width = 4;
		c->order = PQW_ORD_I32; break;
	case SL_T_TIME:
		c->time_utc = pn->logical.kind == SL_PQ_LT_TIME ? pn->logical.utc_adjusted : true;
		if (t->unit == SL_TU_MILLIS) {
			c->conv = PQW_TIME_MS; want = SL_PQ_INT32; c->width = 4; c->order = PQW_ORD_I32;
		} else if (t->unit == SL_TU_MICROS) {
			c->conv = PQW_TIME_US; want = SL_PQ_INT64; c->width = 8; c->order = PQW_ORD_I64;
		} else {
			return sl_err_set(p->err, SL_EINVAL, "column '%s': time(ns) is read only", pn->name);
		}
		break;
	case SL_T_TIMESTAMP:
		if (t->unit == SL_TU_MILLIS)
			c->conv = PQW_TS_MS;
		else if (t->unit == SL_TU_MICROS)
			c->conv = PQW_TS_US;
		else
			return sl_err_set(p->err, SL_EINVAL, "column '%s': timestamp(ns) is read only",
					  pn->name);
		want = SL_PQ_INT64; c->width = 8; c->order = PQW_ORD_I64;
		break;
	case SL_T_UUID: c->conv = PQW_UUID; want = SL_PQ_FIXED_LEN_BYTE_ARRAY; c->width = 16;
		c->order = PQW_ORD_BYTES;
		if (pn->type_length != 16)
			return mismatch(p, pn, "uuid not stored as FLBA(16)");
		break;
	default: return mismatch(p, pn, "a group where a leaf was expected");
	}
	if (pn->phys != want)
		return mismatch(p, pn, "another physical type");
	c->phys = pn->phys;
	return 0;
}

static int build(struct plan_ctx *p, const struct sl_type *t, const struct sl_pq_node *pn,
		 int16_t parent_def, int16_t parent_rep, struct pqw_node *lazy_parent,
		 struct pqw_node **out);

/* n's fields; lazy_kids: the struct whose rows its lazy descendants fill from (NULL:
 * the root's level 0). */
static int build_struct(struct plan_ctx *p, const struct sl_type *t, const struct sl_pq_node *pn,
			struct pqw_node *n, int16_t rep, struct pqw_node *lazy_kids)
{
	if (pn->is_leaf || pn->n_children != t->n_fields || t->n_fields == 0)
		return mismatch(p, pn, "a struct's fields");
	if (t->n_fields > UINT32_MAX / 4)
		return sl_err_set(p->err, SL_ELIMIT, "too many fields");
	n->n_fields = (uint32_t)t->n_fields;
	n->fields = calloc(t->n_fields, sizeof(*n->fields));
	uint32_t slots = 8;
	while (slots < n->n_fields * 2)
		slots *= 2;
	n->ftab = calloc(slots, sizeof(*n->ftab));
	n->check = calloc(t->n_fields, sizeof(*n->check));
	if (!n->fields || !n->ftab || !n->check)
		return sl_err_set(p->err, SL_ENOMEM, "out of memory");
	n->tmask = slots - 1;
	for (uint32_t i = 0; i < n->n_fields; i++) {
		const struct sl_field *tf = &t->fields[i];
		const struct sl_pq_node *child = pn->children[i];
		if (!child->name || strcmp(child->name, tf->name) != 0)
			return mismatch(p, child, "field names in another order");
		struct pqw_field *f = &n->fields[i];
		f->name = tf->name;
		f->len = (uint32_t)strlen(tf->name);
		int rc = build(p, tf->type, child, n->def, rep, lazy_kids, &f->node);
		if (rc)
			return rc;
		n->has_eager |= f->node->has_eager;
		if (!f->node->nullable || f->node->has_eager)
			n->check[n->n_check++] = i;
		uint32_t h = (uint32_t)sl_pqw_hash(f->name, f->len, 0);
		uint32_t j = h & n->tmask;
		while (n->ftab[j])
			j = (j + 1) & n->tmask;
		n->ftab[j] = i + 1;
	}
	return 0;
}

static int build(struct plan_ctx *p, const struct sl_type *t, const struct sl_pq_node *pn,
		 int16_t parent_def, int16_t parent_rep, struct pqw_node *lazy_parent,
		 struct pqw_node **out)
{
	struct pqw_node *n = calloc(1, sizeof(*n));
	if (!n)
		return sl_err_set(p->err, SL_ENOMEM, "out of memory");
	*out = n;
	if (pn->repetition == SL_PQ_REPEATED)
		return mismatch(p, pn, "a repeated field outside a list or map");
	n->type = t;
	n->nullable = pn->repetition == SL_PQ_OPTIONAL;
	if (n->nullable != t->nullable)
		return mismatch(p, pn, "nullability differs from the type");
	n->null_def = parent_def;
	n->def = (int16_t)(parent_def + n->nullable);
	n->leaf_lo = p->next_leaf;
	int rc = 0;
	switch (t->kind) {
	case SL_T_STRUCT:
		n->op = PQW_OP_STRUCT;
		n->lazy = parent_rep == 0;
		if (n->lazy) {
			struct pqw_shred *s = p->s;
			struct pqw_node **ls = realloc(s->lazy_structs,
						       (s->n_lazy_structs + 1) * sizeof(*ls));
			if (!ls)
				return sl_err_set(p->err, SL_ENOMEM, "out of memory");
			s->lazy_structs = ls;
			ls[s->n_lazy_structs++] = n;
			n->lazy_parent = lazy_parent;
		}
		rc = build_struct(p, t, pn, n, parent_rep, n->lazy ? n : NULL);
		break;
	case SL_T_LIST:
	case SL_T_MAP: {
		bool map = t->kind == SL_T_MAP;
		n->op = map ? PQW_OP_MAP : PQW_OP_LIST;
		if (pn->is_leaf || pn->n_children != 1)
			return mismatch(p, pn, "a list or map group with one child");
		const struct sl_pq_node *r = pn->children[0];
		if (r->is_leaf || r->repetition != SL_PQ_REPEATED || r->n_children != (map ? 2u : 1u))
			return mismatch(p, r, "the repeated group of a list or map");
		n->elem_def = (int16_t)(n->def + 1);
		n->elem_rep = (int16_t)(parent_rep + 1);
		n->has_eager = true; /* everything below repeats */
		if (map) {
			if (r->children[0]->repetition != SL_PQ_REQUIRED)
				return mismatch(p, r->children[0], "a map key must be required");
			if ((rc = build(p, t->key, r->children[0], n->elem_def, n->elem_rep, NULL,
					&n->key)) != 0)
				return rc;
			if (n->key->op != PQW_OP_LEAF)
				return mismatch(p, r->children[0], "a map key must be a primitive");
			rc = build(p, t->elem, r->children[1], n->elem_def, n->elem_rep, NULL,
				   &n->elem);
		} else {
			rc = build(p, t->elem, r->children[0], n->elem_def, n->elem_rep, NULL,
				   &n->elem);
		}
		break;
	}
	default: {
		n->op = PQW_OP_LEAF;
		if (!pn->is_leaf)
			return mismatch(p, pn, "a group where a leaf was expected");
		if (p->next_leaf >= p->s->n_cols || pn->leaf_index != (int)p->next_leaf)
			return mismatch(p, pn, "leaves out of column order");
		struct pqw_col *c = &p->s->cols[p->next_leaf++];
		if (pn->max_def != n->def || pn->max_rep != parent_rep)
			return mismatch(p, pn, "levels differ from the writer's count");
		c->max_def = (uint8_t)pn->max_def;
		c->max_rep = (uint8_t)pn->max_rep;
		c->leaf = pn;
		c->lazy = n->lazy = parent_rep == 0 && pn->max_def > 0;
		c->lazy_parent = lazy_parent;
		n->has_eager = !c->lazy;
		n->col = c;
		rc = leaf_setup(p, t, pn, c);
		break;
	}
	}
	n->leaf_hi = p->next_leaf;
	return rc;
}

int sl_pqw_plan_build(struct pqw_shred *s, const struct sl_type *row,
		      const struct sl_pq_schema *schema, struct sl_err *err)
{
	struct plan_ctx p = {.s = s, .err = err};
	const struct sl_pq_node *root = schema->root;
	if (row->kind != SL_T_STRUCT)
		return sl_err_set(err, SL_EINVAL, "the row type must be a struct");
	struct pqw_node *n = calloc(1, sizeof(*n));
	if (!n)
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	s->root = n;
	n->op = PQW_OP_STRUCT;
	n->type = row;
	n->leaf_lo = 0;
	sl_buf_init(&s->ptr_rev, 1 << 20);
	sl_buf_init(&s->scratch, PQW_BUF_MAX);
	int rc = build_struct(&p, row, root, n, 0, NULL);
	n->leaf_hi = p.next_leaf;
	if (rc == 0 && p.next_leaf != s->n_cols)
		rc = mismatch(&p, root, "a different number of leaves");
	return rc;
}
