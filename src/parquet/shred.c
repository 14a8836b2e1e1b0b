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
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parquet/writer_int.h"
#include "util/calendar.h"

/* ---- buffers ------------------------------------------------------------------------ */

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
	if (sl_pqw_sparse(c)) {
		uint32_t *r = realloc(c->rows, cap * sizeof(*r));
		if (!r)
			return SL_ENOMEM;
		c->rows = r;
	} else if ((c->max_def && (rc = grow_array(&c->def, cap + PQW_VAL_SLACK)) != 0) ||
		   (c->max_rep && (rc = grow_array(&c->rep, cap + PQW_VAL_SLACK)) != 0)) {
		return rc;
	}
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
	int rc = grow_array(&c->val, cap + PQW_VAL_SLACK);
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

/* The columns' buffers are written a little at a time, dozens of them in turn, too
 * many streams for the hardware prefetcher to follow: each append asks for the line a
 * few ahead of it, so that the write does not wait for it to be fetched. */
#define PQW_WRITE_AHEAD 128

/* The address is worked out as an integer: it may be past the buffer (or the buffer
 * not there yet), which a prefetch never faults on but pointer arithmetic must not do. */
static inline void prefetch_write(const void *base, size_t at)
{
	__builtin_prefetch((const void *)((uintptr_t)base + at + PQW_WRITE_AHEAD), 1);
}

static inline int values_room(struct pqw_col *c, size_t extra)
{
	prefetch_write(c->val, c->val_len);
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
		if (c->lazy && !sl_pqw_sparse(c))
			c->row_end = s->row; /* the mark was taken with the rows before filled */
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
	uint8_t *d = realloc(st->deff, cap + PQW_VAL_SLACK);
	if (!d)
		return SL_ENOMEM;
	st->deff = d;
	st->deff_cap = (uint32_t)cap;
	return 0;
}

/* Level runs are mostly short (the rows since a sparse member was last there): moved
 * without a call. The loads stay inside the run: the byte after it is usually the
 * parent's level for the current row, stored a moment ago, and a wider load that
 * overlapped that store would wait for it to leave the store buffer. Stores may go up
 * to 16 bytes past the run: level arrays have PQW_VAL_SLACK bytes past their
 * capacity. */
static inline void copy_run(uint8_t *d, const uint8_t *s, uint32_t n)
{
	uint64_t a, b;
	if (n >= 8) {
		uint32_t k = 0;
		for (; k + 16 <= n; k += 16) {
			memcpy(&a, s + k, 8);
			memcpy(&b, s + k + 8, 8);
			memcpy(d + k, &a, 8);
			memcpy(d + k + 8, &b, 8);
		}
		if (n - k > 8) { /* the last 1..15 bytes as up to two overlapping words */
			memcpy(&a, s + k, 8);
			memcpy(d + k, &a, 8);
		}
		if (k < n) {
			memcpy(&b, s + n - 8, 8);
			memcpy(d + n - 8, &b, 8);
		}
	} else if (n >= 4) {
		uint32_t x, y;
		memcpy(&x, s, 4);
		memcpy(&y, s + n - 4, 4);
		memcpy(d, &x, 4);
		memcpy(d + n - 4, &y, 4);
	} else if (n) {
		d[0] = s[0];
		d[n / 2] = s[n / 2];
		d[n - 1] = s[n - 1];
	}
}

static inline void set_run(uint8_t *d, uint8_t v, uint32_t n)
{
	const uint64_t z = v * 0x0101010101010101ull;
	for (uint32_t k = 0; k < n; k += 16) {
		memcpy(d + k, &z, 8);
		memcpy(d + k + 8, &z, 8);
	}
}

/* The level a lazy struct's rows below take where they are absent: the struct's
 * parent's (a constant when that parent is the root or always there), or -1 when it
 * varies and is copied from the parent's levels. */
static inline int fill_level(const struct pqw_node *parent)
{
	return !parent ? 0 : parent->always ? parent->def : -1;
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
	int fill = fill_level(p);
	if (fill >= 0) {
		set_run(st->deff + st->deff_end, (uint8_t)fill, row - st->deff_end);
	} else {
		if ((rc = struct_fill(p, row)) != 0)
			return rc;
		copy_run(st->deff + st->deff_end, p->deff + st->deff_end, row - st->deff_end);
	}
	st->deff_end = row;
	return 0;
}

int sl_pqw_catch_up(struct pqw_col *c, uint32_t row)
{
	/* a sparse column's levels are made when its page is cut */
	if (!c->lazy || sl_pqw_sparse(c) || c->row_end >= row)
		return 0;
	uint32_t have = c->row_end;
	uint32_t count = row - have;
	while ((size_t)c->n_levels + count > c->lv_cap) {
		int rc = sl_pqw_grow_levels(c);
		if (rc)
			return rc;
	}
	struct pqw_node *p = c->lazy_parent;
	int fill = fill_level(p);
	if (fill >= 0) {
		set_run(c->def + c->n_levels, (uint8_t)fill, count);
	} else {
		int rc = struct_fill(p, row);
		if (rc)
			return rc;
		copy_run(c->def + c->n_levels, p->deff + have, count);
	}
	if (c->rep) /* one entry per row: each starts its row */
		set_run(c->rep + c->n_levels, 0, count);
	c->n_levels += count;
	c->row_end = row;
	return 0;
}

int sl_pqw_sparse_levels(struct pqw_col *c, uint32_t row, uint8_t *out)
{
	uint32_t n = row - c->page_row;
	struct pqw_node *p = c->lazy_parent;
	int fill = fill_level(p);
	if (fill >= 0) {
		memset(out, fill, n);
	} else {
		int rc = struct_fill(p, row);
		if (rc)
			return rc;
		memcpy(out, p->deff + c->page_row, n);
	}
	for (uint32_t k = 0; k < c->n_levels; k++)
		out[c->rows[k] - c->page_row] = c->max_def;
	return 0;
}

void sl_pqw_rows_reset(struct pqw_shred *s)
{
	for (size_t i = 0; i < s->n_lazy_structs; i++)
		s->lazy_structs[i]->deff_end = 0;
}

/* One level entry (a value, or a null at def) in the current row. The rows the column
 * missed are filled first, and only then is the mark taken: those rows are done for
 * good, whatever becomes of this record. */
static inline int put_level(struct pqw_shred *s, struct pqw_col *c, int def, int rep)
{
	int rc;
	if (sl_pqw_sparse(c)) {
		/* the entries eagerly written to a sparse column are values (its nulls are
		 * filled later): the row is all there is to keep */
		assert(def == c->max_def);
		if (c->mark_seq != s->seq)
			take_mark(s, c);
		if (__builtin_expect(c->n_levels == c->lv_cap, 0) &&
		    (rc = sl_pqw_grow_levels(c)) != 0)
			return rc;
		prefetch_write(c->rows, (size_t)c->n_levels * sizeof(*c->rows));
		c->rows[c->n_levels++] = s->row;
		return 0;
	}
	if (c->lazy && c->row_end < s->row && (rc = sl_pqw_catch_up(c, s->row)) != 0)
		return rc;
	if (c->mark_seq != s->seq)
		take_mark(s, c);
	if (__builtin_expect(c->n_levels == c->lv_cap, 0) && (rc = sl_pqw_grow_levels(c)) != 0)
		return rc;
	uint32_t n = c->n_levels;
	if (c->def)
		c->def[n] = (uint8_t)def;
	if (c->rep)
		c->rep[n] = (uint8_t)rep;
	c->n_levels = n + 1;
	if (c->lazy)
		c->row_end = s->row + 1;
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

/* A converted value straight from registers: 4 or 8 bytes, or 16 as two words (a
 * uuid), so that no value passes through memory on its way (a 16-byte copy of bytes
 * just stored one by one would wait for the stores to retire). */
static inline int put_u32(struct pqw_col *c, uint32_t x)
{
	int rc = values_room(c, 4);
	if (rc)
		return rc;
	memcpy(c->val + c->val_len, &x, 4);
	c->val_len += 4;
	c->n_values++;
	return 0;
}

static inline int put_u64(struct pqw_col *c, uint64_t x)
{
	int rc = values_room(c, 8);
	if (rc)
		return rc;
	memcpy(c->val + c->val_len, &x, 8);
	c->val_len += 8;
	c->n_values++;
	return 0;
}

static inline int put_u128(struct pqw_col *c, uint64_t first, uint64_t second)
{
	int rc = values_room(c, 16);
	if (rc)
		return rc;
	memcpy(c->val + c->val_len, &first, 8);
	memcpy(c->val + c->val_len + 8, &second, 8);
	c->val_len += 16;
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

static int conv_timestamp(struct pqw_shred *s, const struct pqw_node *n,
			  const struct sl_json_tok *t, bool micros, int64_t *out)
{
	if (t->type != SL_JSON_STRING && t->type != SL_JSON_KEY)
		return refuse(s, n->type, t, NULL);
	struct sl_datetime dt;
	if (!sl_datetime_parse(t->v.s, t->len, &dt))
		return refuse(s, n->type, t, "not an RFC 3339 date-time");
	*out = sl_datetime_units(&dt, micros ? 1000000 : 1000);
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
	if (sl_buf_reserve(out, n / 4 * 3 + 3) != 0)
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

/* Eight hex digits (in memory order, either case) as four bytes, eight digits at a
 * time in one word; false when a byte is not a hex digit. */
static inline __attribute__((always_inline)) bool hex8(uint64_t x, uint32_t *out)
{
	const uint64_t ones = 0x0101010101010101ull, high = ones * 0x80;
	/* bytes below 0x80 only: then adding less than 0x80 never carries into the next */
	uint64_t lower = x | ones * 0x20; /* 'A'-'F' to 'a'-'f'; digits stay */
	uint64_t digit = ((x + ones * (0x80 - '0')) & ~(x + ones * (0x7F - '9'))) & high;
	uint64_t letter = ((lower + ones * (0x80 - 'a')) & ~(lower + ones * (0x7F - 'f'))) & high;
	if ((x & high) || (digit | letter) != high)
		return false;
	/* a digit's value is its low nibble; a letter's is its low nibble + 9 */
	uint64_t nib = (x & ones * 0x0F) + (letter >> 7) * 9;
	uint64_t t = (nib << 4 | nib >> 8) & 0x00FF00FF00FF00FFull; /* pairs in bytes 0, 2.. */
	t = (t | t >> 8) & 0x0000FFFF0000FFFFull;
	*out = (uint32_t)(t | t >> 16);
	return true;
}

static inline uint64_t load64(const char *p)
{
	uint64_t x;
	memcpy(&x, p, 8);
	return x;
}

static inline uint64_t load32(const char *p)
{
	uint32_t x;
	memcpy(&x, p, 4);
	return x;
}

/* The 16 bytes of a uuid's text (8-4-4-4-12 hex digits) as two words in memory
 * order. */
static bool parse_uuid(const char *p, size_t n, uint64_t *first, uint64_t *second)
{
	if (n != 36 || p[8] != '-' || p[13] != '-' || p[18] != '-' || p[23] != '-')
		return false;
	uint32_t a, b, c, d;
	if (!hex8(load64(p), &a) || !hex8(load32(p + 9) | load32(p + 14) << 32, &b) ||
	    !hex8(load32(p + 19) | load32(p + 24) << 32, &c) || !hex8(load64(p + 28), &d))
		return false;
	*first = a | (uint64_t)b << 32;
	*second = c | (uint64_t)d << 32;
	return true;
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

/* Every leaf under n gets an entry at level def (an empty list or map, or a null). */
static int put_all(struct pqw_shred *s, const struct pqw_node *n, int def, int rep)
{
	for (uint32_t i = n->leaf_lo; i < n->leaf_hi; i++) {
		int rc = put_level(s, &s->cols[i], def, rep);
		if (rc)
			return rc;
	}
	return 0;
}

/* n is null or absent: every leaf under it gets a null at level def, except at the row
 * level, where the leaves fill it in later themselves. */
static inline int put_nulls(struct pqw_shred *s, const struct pqw_node *n, int def, int rep)
{
	return n->row ? 0 : put_all(s, n, def, rep);
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
	uint64_t x;          /* the value of a 4- or 8-byte column */
	switch (c->conv) {
	case PQW_STRING:
		if (t->type != SL_JSON_STRING && t->type != SL_JSON_KEY) {
			const char *p;
			size_t len;
			if (!s->text_any || n->type->is_enum)
				return refuse(s, n->type, t, NULL);
			/* the crawler's conflict columns: the value's JSON text (merge.h) */
			raw_span(s->doc, ti, &p, &len);
			if ((rc = put_level(s, c, n->def, rep)) != 0)
				return rc;
			return put_bytes(c, p, len);
		}
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
	case PQW_BOOL: {
		uint8_t b;
		if (t->type == SL_JSON_TRUE || t->type == SL_JSON_FALSE)
			b = t->type == SL_JSON_TRUE;
		else if (from_key && t->len == 4 && memcmp(t->v.s, "true", 4) == 0)
			b = 1;
		else if (from_key && t->len == 5 && memcmp(t->v.s, "false", 5) == 0)
			b = 0;
		else
			return refuse(s, n->type, t, NULL);
		if ((rc = put_level(s, c, n->def, rep)) != 0 || (rc = values_room(c, 1)) != 0)
			return rc;
		c->val[c->val_len++] = b;
		c->n_values++;
		return 0;
	}
	case PQW_I32:
		if (t->type == SL_JSON_INT && t->v.i >= c->imin && t->v.i <= c->imax) {
			x = (uint32_t)t->v.i; /* uint32 keeps its bits */
		} else {
			__int128 y;
			if ((rc = conv_int(s, n, t, c->imin, c->imax, from_key, &y)) != 0)
				return rc;
			x = (uint32_t)y;
		}
		goto put32;
	case PQW_I64:
		if (t->type == SL_JSON_INT) {
			x = (uint64_t)t->v.i;
		} else {
			__int128 y;
			if ((rc = conv_int(s, n, t, INT64_MIN, INT64_MAX, from_key, &y)) != 0)
				return rc;
			x = (uint64_t)(int64_t)y;
		}
		goto put64;
	case PQW_U64: {
		__int128 y;
		if ((rc = conv_int(s, n, t, 0, (__int128)UINT64_MAX, from_key, &y)) != 0)
			return rc;
		x = (uint64_t)y;
		goto put64;
	}
	case PQW_DOUBLE: {
		double d;
		if (t->type == SL_JSON_DOUBLE)
			d = t->v.d;
		else if ((rc = conv_double(s, n, t, &d)) != 0)
			return rc;
		memcpy(&x, &d, 8);
		goto put64;
	}
	case PQW_FLOAT: {
		double d;
		if ((rc = conv_double(s, n, t, &d)) != 0)
			return rc;
		float f = (float)d;
		if (isinf(f) && !isinf(d))
			return refuse(s, n->type, t, "out of range");
		uint32_t u;
		memcpy(&u, &f, 4);
		x = u;
		goto put32;
	}
	case PQW_DEC_I32:
	case PQW_DEC_I64:
	case PQW_DEC_FLBA: {
		const char *p;
		size_t len;
		__int128 y;
		if (!num_text(s, t, &p, &len, true))
			return refuse(s, n->type, t, NULL);
		const char *why = num_scaled(p, len, c->scale, c->precision, &y);
		if (why)
			return refuse(s, n->type, t,
				      strcmp(why, "out of range") == 0 ? "more digits than the precision"
								       : why);
		if (c->conv == PQW_DEC_I32) {
			x = (uint32_t)(int32_t)y;
			goto put32;
		}
		if (c->conv == PQW_DEC_I64) {
			x = (uint64_t)(int64_t)y;
			goto put64;
		}
		/* big-endian two's complement of the column's width */
		if ((rc = put_level(s, c, n->def, rep)) != 0 || (rc = values_room(c, c->width)) != 0)
			return rc;
		unsigned __int128 u = (unsigned __int128)y;
		uint8_t *o = c->val + c->val_len;
		for (uint32_t i = c->width; i-- > 0;) {
			o[i] = (uint8_t)u;
			u >>= 8;
		}
		c->val_len += c->width;
		c->n_values++;
		return 0;
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
		if (!sl_date_parse(t->v.s, t->len, &days))
			return refuse(s, n->type, t, "not a YYYY-MM-DD date");
		x = (uint32_t)(int32_t)days;
		goto put32;
	}
	case PQW_TIME_MS:
	case PQW_TIME_US: {
		int64_t ns, off;
		bool has_off;
		if (t->type != SL_JSON_STRING && t->type != SL_JSON_KEY)
			return refuse(s, n->type, t, NULL);
		if (!sl_time_parse(t->v.s, t->len, &ns, &off, &has_off))
			return refuse(s, n->type, t, "not an HH:MM:SS time");
		const int64_t day = 86400000000000LL;
		if (ns >= day) /* a leap second: the last instant of the day */
			ns = day - 1;
		if (c->time_utc && has_off)
			ns = ((ns - off * 1000000000) % day + day) % day;
		if (c->conv == PQW_TIME_MS) {
			x = (uint32_t)(int32_t)(ns / 1000000);
			goto put32;
		}
		x = (uint64_t)(ns / 1000);
		goto put64;
	}
	case PQW_TS_MS:
	case PQW_TS_US: {
		int64_t ts = 0;
		if ((rc = conv_timestamp(s, n, t, c->conv == PQW_TS_US, &ts)) != 0)
			return rc;
		x = (uint64_t)ts;
		goto put64;
	}
	case PQW_UUID: {
		uint64_t first, second;
		if (t->type != SL_JSON_STRING && t->type != SL_JSON_KEY)
			return refuse(s, n->type, t, NULL);
		if (!parse_uuid(t->v.s, t->len, &first, &second))
			return refuse(s, n->type, t, "not a UUID");
		if ((rc = put_level(s, c, n->def, rep)) != 0)
			return rc;
		return put_u128(c, first, second);
	}
	default: return sl_err_set(s->err, SL_EINVAL, "unsupported column conversion");
	}
put32:
	if ((rc = put_level(s, c, n->def, rep)) != 0)
		return rc;
	return put_u32(c, (uint32_t)x);
put64:
	if ((rc = put_level(s, c, n->def, rep)) != 0)
		return rc;
	return put_u64(c, x);
}

/* Member names are short: compared without a call or a loop, with loads that overlap
 * rather than a byte at a time (whose loop exit the branch predictor cannot learn). */
static inline bool name_eq(const char *a, const char *b, size_t n)
{
	if (n >= 8) {
		uint64_t x, y, p, q;
		for (; n > 16; n -= 8, a += 8, b += 8) {
			memcpy(&x, a, 8);
			memcpy(&y, b, 8);
			if (x != y)
				return false;
		}
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		memcpy(&p, a + n - 8, 8); /* the last 8 bytes, overlapping */
		memcpy(&q, b + n - 8, 8);
		return ((x ^ y) | (p ^ q)) == 0;
	}
	if (n >= 4) {
		uint32_t x, y, p, q;
		memcpy(&x, a, 4);
		memcpy(&y, b, 4);
		memcpy(&p, a + n - 4, 4);
		memcpy(&q, b + n - 4, 4);
		return ((x ^ y) | (p ^ q)) == 0;
	}
	if (n == 0)
		return true;
	/* 1..3 bytes: the first, the middle and the last cover them */
	return ((a[0] ^ b[0]) | (a[n / 2] ^ b[n / 2]) | (a[n - 1] ^ b[n - 1])) == 0;
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

static int shred_struct(struct pqw_shred *s, struct pqw_node *n, size_t *ti, int rep);
static int shred_list(struct pqw_shred *s, struct pqw_node *n, size_t *ti, int rep);
static int shred_map(struct pqw_shred *s, struct pqw_node *n, size_t *ti, int rep);

/* The value at *ti for node n; *ti moves past it. Inlined in the loops of structs and
 * lists, which is where nearly every value is met: a call per value costs more than
 * most of what is done with it. */
static inline __attribute__((always_inline)) int value_inl(struct pqw_shred *s,
							  struct pqw_node *n, size_t *ti,
							  int rep)
{
	const struct sl_json_tok *t = &s->doc->tok[*ti];
	if (__builtin_expect(t->type == SL_JSON_NULL, 0)) {
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
		/* the commonest conversions without a call: text, and numbers that need no
		 * check beyond their token's type */
		struct pqw_col *c = n->col;
		int rc;
		uint64_t x;
		if (c->conv == PQW_STRING && t->type == SL_JSON_STRING) {
			(*ti)++;
			if ((rc = put_level(s, c, n->def, rep)) != 0)
				return rc;
			return put_bytes(c, t->v.s, t->len);
		}
		if (c->conv == PQW_DOUBLE && t->type == SL_JSON_DOUBLE)
			memcpy(&x, &t->v.d, 8);
		else if (c->conv == PQW_I64 && t->type == SL_JSON_INT)
			x = (uint64_t)t->v.i;
		else if (c->conv == PQW_I32 && t->type == SL_JSON_INT && t->v.i >= c->imin &&
			 t->v.i <= c->imax) {
			(*ti)++;
			if ((rc = put_level(s, c, n->def, rep)) != 0)
				return rc;
			return put_u32(c, (uint32_t)t->v.i);
		} else {
			rc = shred_leaf(s, n, t, *ti, rep, false);
			*ti = skip_value(s->doc, *ti);
			return rc;
		}
		(*ti)++;
		if ((rc = put_level(s, c, n->def, rep)) != 0)
			return rc;
		return put_u64(c, x);
	}
	case PQW_OP_STRUCT: return shred_struct(s, n, ti, rep);
	case PQW_OP_LIST: return shred_list(s, n, ti, rep);
	default: return shred_map(s, n, ti, rep);
	}
}

static int shred_value(struct pqw_shred *s, struct pqw_node *n, size_t *ti, int rep)
{
	return value_inl(s, n, ti, rep);
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
		if ((rc = value_inl(s, f->node, &i, rep)) != 0) {
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
		return put_all(s, n, n->def, rep);
	}
	size_t i = *ti + 1, end = t->v.end;
	int r = rep;
	for (size_t k = 0; i < end; k++) {
		int rc = value_inl(s, n->elem, &i, r);
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
		return put_all(s, n, n->def, rep);
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
		/* an absent member concerns the record when it must be there, and inside a
		 * list or map, where its nulls are written as they come */
		if (!f->node->nullable || !n->row)
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
		n->row = n->lazy = parent_rep == 0;
		n->always = n->lazy && !n->nullable && (!lazy_parent || lazy_parent->always);
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
		rc = build_struct(p, t, pn, n, parent_rep, n->lazy ? n : lazy_parent);
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
		n->row = parent_rep == 0;
		if (map) {
			if (r->children[0]->repetition != SL_PQ_REQUIRED)
				return mismatch(p, r->children[0], "a map key must be required");
			if ((rc = build(p, t->key, r->children[0], n->elem_def, n->elem_rep,
					lazy_parent, &n->key)) != 0)
				return rc;
			if (n->key->op != PQW_OP_LEAF)
				return mismatch(p, r->children[0], "a map key must be a primitive");
			rc = build(p, t->elem, r->children[1], n->elem_def, n->elem_rep,
				   lazy_parent, &n->elem);
		} else {
			rc = build(p, t->elem, r->children[0], n->elem_def, n->elem_rep,
				   lazy_parent, &n->elem);
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
		c->lazy = pn->max_def > 0;
		n->row = parent_rep == 0;
		c->lazy_parent = lazy_parent;
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
	n->row = true;
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
