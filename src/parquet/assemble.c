/*
 * assemble.c - rows out of column chunks: Dremel record assembly from definition and
 * repetition levels into one JSON object per row, and every leaf value's JSON form
 * (types.h fixes the forms).
 *
 * How a row is put together: each selected leaf contributes the entries (def, rep,
 * value) of the row, from the entry with rep 0 up to the next one. A plan mirrors the
 * schema (struct, list, map, leaf, per the spec's LIST/MAP rules and their legacy forms);
 * walking it, a node is null when the first entry of its first leaf is defined below the
 * node's level, a list is empty when it is defined below its elements' level, and a
 * list's element boundaries are the entries whose rep is the list's level. Leaves of
 * one list must agree on its element count: a disagreement is corrupt data, not a guess.
 *
 * Promises:
 *   1. Output is always valid JSON text on one line: strings are escaped (bytes that
 *      are not UTF-8 become U+FFFD), NaN and infinities are strings, json-typed values
 *      are checked and written as strings when they are not valid JSON.
 *   2. Every row group yields exactly its num_rows rows from every selected column, or
 *      the read fails naming the column.
 *   3. Memory per row is bounded: a row holds at most max_page / 8 entries per leaf.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/json.h"
#include "parquet/reader_int.h"
#include "util/calendar.h"

/* ---- dates and numbers ------------------------------------------------------------------- */

float sl_pq_half_to_float(uint16_t h)
{
	unsigned sign = h >> 15, e = (h >> 10) & 0x1f, f = h & 0x3ff;
	float v;
	if (e == 0)
		v = ldexpf((float)f, -24); /* zero and subnormals */
	else if (e == 31)
		v = f ? NAN : INFINITY;
	else
		v = ldexpf((float)(f | 0x400), (int)e - 25);
	return sign ? -v : v;
}

static int put_u64(struct sl_buf *out, uint64_t v)
{
	char tmp[24];
	char *p = tmp + sizeof(tmp);
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return sl_buf_append(out, p, (size_t)(tmp + sizeof(tmp) - p));
}

static int put_i64(struct sl_buf *out, int64_t v)
{
	if (v >= 0)
		return put_u64(out, (uint64_t)v);
	int rc = sl_buf_append(out, "-", 1);
	return rc ? rc : put_u64(out, 0 - (uint64_t)v);
}

static int put_base64(struct sl_buf *out, const uint8_t *p, size_t n)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char tmp[4 * 64];
	size_t t = 0;
	int rc = sl_buf_append(out, "\"", 1);
	for (size_t i = 0; rc == 0 && i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) |
			     (i + 2 < n ? p[i + 2] : 0);
		tmp[t++] = a[v >> 18];
		tmp[t++] = a[(v >> 12) & 63];
		tmp[t++] = i + 1 < n ? a[(v >> 6) & 63] : '=';
		tmp[t++] = i + 2 < n ? a[v & 63] : '=';
		if (t == sizeof(tmp)) {
			rc = sl_buf_append(out, tmp, t);
			t = 0;
		}
	}
	if (rc == 0 && t)
		rc = sl_buf_append(out, tmp, t);
	return rc ? rc : sl_buf_append(out, "\"", 1);
}

/* Digits (no sign) with the decimal point scale places from the right. */
static int put_scaled(struct sl_buf *out, bool neg, const char *dig, size_t n, int scale)
{
	int rc = neg ? sl_buf_append(out, "-", 1) : 0;
	size_t s = scale > 0 ? (size_t)scale : 0;
	if (rc == 0 && n > s) {
		rc = sl_buf_append(out, dig, n - s);
		if (rc == 0 && s)
			rc = sl_buf_append(out, ".", 1);
		if (rc == 0 && s)
			rc = sl_buf_append(out, dig + n - s, s);
	} else if (rc == 0) {
		rc = sl_buf_append(out, "0.", 2);
		for (size_t i = n; rc == 0 && i < s; i++)
			rc = sl_buf_append(out, "0", 1);
		if (rc == 0)
			rc = sl_buf_append(out, dig, n);
	}
	return rc;
}

static int put_decimal_i64(struct sl_buf *out, int64_t v, int scale)
{
	char tmp[24];
	char *p = tmp + sizeof(tmp);
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	return put_scaled(out, v < 0, p, (size_t)(tmp + sizeof(tmp) - p), scale);
}

/* A big-endian two's complement integer of any length (bounded: 256 bytes) at scale. */
static int put_decimal_be(struct sl_buf *out, const uint8_t *p, size_t n, int scale)
{
	if (n == 0)
		return put_scaled(out, false, "0", 1, scale);
	bool neg = p[0] & 0x80;
	/* the sign-extension bytes carry no digits */
	while (n > 1 && p[0] == (neg ? 0xff : 0x00) && ((p[1] & 0x80) != 0) == neg) {
		p++;
		n--;
	}
	if (n > 256)
		return SL_ECORRUPT;
	if (n <= 8) { /* fits int64: the common case */
		uint64_t u = neg ? UINT64_MAX : 0;
		for (size_t i = 0; i < n; i++)
			u = u << 8 | p[i];
		return put_decimal_i64(out, (int64_t)u, scale);
	}
	uint8_t mag[256];
	memcpy(mag, p, n);
	if (neg) { /* magnitude = two's complement negation */
		unsigned carry = 1;
		for (size_t i = n; i-- > 0;) {
			unsigned v = (uint8_t)~mag[i] + carry;
			mag[i] = (uint8_t)v;
			carry = v >> 8;
		}
	}
	/* base 10^9 limbs, least significant first */
	uint32_t limb[80];
	size_t nl = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t carry = mag[i];
		for (size_t k = 0; k < nl; k++) {
			uint64_t v = (uint64_t)limb[k] * 256 + carry;
			limb[k] = (uint32_t)(v % 1000000000u);
			carry = v / 1000000000u;
		}
		while (carry) {
			limb[nl++] = (uint32_t)(carry % 1000000000u);
			carry /= 1000000000u;
		}
	}
	char dig[80 * 9 + 1];
	size_t nd = 0;
	if (nl == 0) {
		dig[nd++] = '0';
	} else {
		nd = (size_t)snprintf(dig, sizeof(dig), "%" PRIu32, limb[nl - 1]);
		for (size_t k = nl - 1; k-- > 0;)
			nd += (size_t)snprintf(dig + nd, sizeof(dig) - nd, "%09" PRIu32, limb[k]);
	}
	return put_scaled(out, neg && nl > 0, dig, nd, scale);
}

static int64_t per_sec(uint8_t unit)
{
	return unit == SL_TU_MILLIS ? 1000 : unit == SL_TU_MICROS ? 1000000 : 1000000000;
}

static int frac_digits(uint8_t unit)
{
	return unit == SL_TU_MILLIS ? 3 : unit == SL_TU_MICROS ? 6 : 9;
}

static int put_timestamp(struct sl_buf *out, int64_t v, uint8_t unit)
{
	int rc = sl_buf_append(out, "\"", 1);
	if (rc == 0)
		rc = sl_buf_timestamp(out, v, frac_digits(unit));
	return rc ? rc : sl_buf_append(out, "\"", 1);
}

/* INT96 (Impala, Hive, Spark): nanoseconds of the day (8 bytes) then the Julian day (4
 * bytes), little endian, read as Spark reads them: Julian day times a day plus the
 * nanoseconds, minus the epoch's Julian day, in 64-bit arithmetic that wraps. Spark
 * writes timestamps after about year 290000 with a Julian day that wrapped around
 * (int96_from_spark.parquet), so wrapping back gives the instant it meant; dates
 * beyond int64 nanoseconds (year 2262) are fine as long as the unit is coarser. */
static int put_int96(struct sl_buf *out, const uint8_t *p, uint8_t unit)
{
	uint64_t nanos = 0;
	uint32_t jd = 0;
	for (int i = 7; i >= 0; i--)
		nanos = nanos << 8 | p[i];
	for (int i = 11; i >= 8; i--)
		jd = jd << 8 | p[i];
	uint64_t per = (uint64_t)per_sec(unit), day = 86400 * per;
	int64_t sub = (int64_t)nanos / (1000000000 / (int64_t)per); /* truncated, as Java */
	uint64_t v = (uint64_t)(int64_t)(int32_t)jd * day + (uint64_t)sub - 2440588 * day;
	return put_timestamp(out, (int64_t)v, unit);
}

static int put_time(struct sl_buf *out, int64_t v, uint8_t unit)
{
	/* a time of day outside one day is not valid; written as what it says rather
	 * than failing the row */
	int rc = sl_buf_append(out, "\"", 1);
	if (rc == 0 && v < 0)
		rc = sl_buf_append(out, "-", 1);
	if (rc == 0)
		rc = sl_buf_tod(out, v < 0 ? (v == INT64_MIN ? INT64_MAX : -v) : v,
				frac_digits(unit));
	return rc ? rc : sl_buf_append(out, "\"", 1);
}

static int put_uuid(struct sl_buf *out, const uint8_t *p)
{
	static const char hx[] = "0123456789abcdef";
	char s[38];
	size_t k = 0;
	s[k++] = '"';
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			s[k++] = '-';
		s[k++] = hx[p[i] >> 4];
		s[k++] = hx[p[i] & 15];
	}
	s[k++] = '"';
	return sl_buf_append(out, s, k);
}

/* A json-typed value: its text when it is valid JSON (newlines between tokens become
 * spaces, so a row stays one line), else the text as a JSON string. */
static int put_json_text(struct sl_buf *out, const uint8_t *p, size_t n, struct sl_json_parser *jp)
{
	struct sl_json_parser *own = NULL;
	if (!jp && !(jp = own = sl_json_parser_new(NULL)))
		return SL_ENOMEM;
	struct sl_json_doc doc;
	struct sl_json_error e;
	int ok = sl_json_parse(jp, (const char *)p, n, &doc, &e) == 0;
	sl_json_parser_free(own);
	if (!ok)
		return sl_buf_json_str(out, (const char *)p, n);
	size_t start = out->len;
	int rc = sl_buf_append(out, p, n);
	for (size_t i = start; rc == 0 && i < out->len; i++)
		if (out->data[i] == '\n' || out->data[i] == '\r')
			out->data[i] = ' ';
	return rc;
}

/* ---- leaf values ------------------------------------------------------------------------- */

/* The physical form, when the type does not fit the column (a file we do not
 * understand fully still reads). */
static int put_physical(const struct sl_pq_node *leaf, const struct sl_pq_batch *b, size_t i,
			struct sl_buf *out)
{
	switch (b->phys) {
	case SL_PQ_BOOLEAN: return sl_buf_puts(out, b->bools[i] ? "true" : "false");
	case SL_PQ_INT32: return put_i64(out, b->i32[i]);
	case SL_PQ_INT64: return put_i64(out, b->i64[i]);
	case SL_PQ_FLOAT: return sl_buf_json_double(out, b->f32[i], true);
	case SL_PQ_DOUBLE: return sl_buf_json_double(out, b->f64[i], false);
	case SL_PQ_INT96: return put_base64(out, b->fixed + i * 12, 12);
	case SL_PQ_BYTE_ARRAY: return put_base64(out, b->data + b->barr[i].off, b->barr[i].len);
	default:
		return put_base64(out, b->fixed + i * (size_t)leaf->type_length,
				  (size_t)leaf->type_length);
	}
}

int sl_pq_value_json_t(const struct sl_type *t, const struct sl_pq_node *leaf,
		       const struct sl_pq_batch *b, size_t i, struct sl_json_parser *jp,
		       struct sl_buf *out)
{
	const uint8_t *bytes = NULL;
	size_t n = 0;
	if (b->phys == SL_PQ_BYTE_ARRAY) {
		bytes = b->data + b->barr[i].off;
		n = b->barr[i].len;
	} else if (b->phys == SL_PQ_FIXED_LEN_BYTE_ARRAY) {
		n = (size_t)leaf->type_length;
		bytes = b->fixed + i * n;
	} else if (b->phys == SL_PQ_INT96) {
		bytes = b->fixed + i * 12;
		n = 12;
	}
	switch (t->kind) {
	case SL_T_BOOL:
		break;
	case SL_T_INT:
		if (b->phys == SL_PQ_INT32)
			return t->is_unsigned ? put_u64(out, (uint32_t)b->i32[i])
					      : put_i64(out, b->i32[i]);
		if (b->phys == SL_PQ_INT64)
			return t->is_unsigned ? put_u64(out, (uint64_t)b->i64[i])
					      : put_i64(out, b->i64[i]);
		break;
	case SL_T_FLOAT:
	case SL_T_DOUBLE:
		if (b->phys == SL_PQ_FIXED_LEN_BYTE_ARRAY && n == 2)
			return sl_buf_json_double(out,
					  sl_pq_half_to_float((uint16_t)(bytes[0] | bytes[1] << 8)),
					  true);
		break;
	case SL_T_DECIMAL:
		if (b->phys == SL_PQ_INT32)
			return put_decimal_i64(out, b->i32[i], t->scale);
		if (b->phys == SL_PQ_INT64)
			return put_decimal_i64(out, b->i64[i], t->scale);
		if (bytes && b->phys != SL_PQ_INT96)
			return put_decimal_be(out, bytes, n, t->scale);
		break;
	case SL_T_STRING:
		if (b->phys == SL_PQ_BYTE_ARRAY || b->phys == SL_PQ_FIXED_LEN_BYTE_ARRAY)
			return sl_buf_json_str(out, (const char *)bytes, n);
		break;
	case SL_T_JSON:
		if (b->phys == SL_PQ_BYTE_ARRAY || b->phys == SL_PQ_FIXED_LEN_BYTE_ARRAY)
			return put_json_text(out, bytes, n, jp);
		break;
	case SL_T_DATE:
		if (b->phys == SL_PQ_INT32) {
			int rc = sl_buf_append(out, "\"", 1);
			if (rc == 0)
				rc = sl_buf_date(out, b->i32[i]);
			return rc ? rc : sl_buf_append(out, "\"", 1);
		}
		break;
	case SL_T_TIME:
		if (b->phys == SL_PQ_INT32)
			return put_time(out, b->i32[i], t->unit);
		if (b->phys == SL_PQ_INT64)
			return put_time(out, b->i64[i], t->unit);
		break;
	case SL_T_TIMESTAMP:
		if (b->phys == SL_PQ_INT64)
			return put_timestamp(out, b->i64[i], t->unit);
		if (b->phys == SL_PQ_INT96)
			return put_int96(out, bytes, t->unit);
		break;
	case SL_T_UUID:
		if (b->phys == SL_PQ_FIXED_LEN_BYTE_ARRAY && n == 16)
			return put_uuid(out, bytes);
		break;
	default: /* binary, and anything whose type does not fit */
		break;
	}
	return put_physical(leaf, b, i, out);
}

int sl_pq_value_json(const struct sl_pq_node *leaf, const struct sl_pq_batch *b, size_t i,
		     struct sl_buf *out)
{
	return sl_pq_value_json_t(leaf->type, leaf, b, i, NULL, out);
}

int sl_pq_stat_json(const struct sl_pq_node *leaf, struct sl_pq_bytes v, struct sl_buf *out)
{
	struct sl_pq_batch b;
	union {
		uint8_t u8;
		int32_t i32;
		int64_t i64;
		float f;
		double d;
	} x;
	struct sl_pq_barr ba = {0, v.len};
	memset(&b, 0, sizeof(b));
	b.phys = leaf->phys;
	b.n_values = 1;
	if (!v.p)
		return SL_EINVAL;
	switch (leaf->phys) {
	case SL_PQ_BOOLEAN:
		if (v.len != 1)
			return SL_EINVAL;
		x.u8 = v.p[0] & 1;
		b.bools = &x.u8;
		break;
	case SL_PQ_INT32: case SL_PQ_FLOAT:
		if (v.len != 4)
			return SL_EINVAL;
		memcpy(&x, v.p, 4);
		b.i32 = &x.i32;
		b.f32 = &x.f;
		break;
	case SL_PQ_INT64: case SL_PQ_DOUBLE:
		if (v.len != 8)
			return SL_EINVAL;
		memcpy(&x, v.p, 8);
		b.i64 = &x.i64;
		b.f64 = &x.d;
		break;
	case SL_PQ_BYTE_ARRAY:
		b.barr = &ba;
		b.data = v.p;
		break;
	default:
		if (v.len != (leaf->phys == SL_PQ_INT96 ? 12u : (uint32_t)leaf->type_length))
			return SL_EINVAL;
		b.fixed = v.p;
	}
	return sl_pq_value_json(leaf, &b, 0, out);
}

/* ---- shapes and the sluice.type refinement ------------------------------------------------ */

/* The schema's roles (schema.h) say which node is which. */
void sl_pq_shape_of(const struct sl_pq_node *n, struct sl_pq_shape *s)
{
	memset(s, 0, sizeof(*s));
	s->kind = n->is_leaf ? SL_PQ_SHAPE_LEAF : SL_PQ_SHAPE_STRUCT;
	if (n->is_leaf || n->n_children != 1)
		return;
	const struct sl_pq_node *r = n->children[0];
	switch (r->role) {
	case SL_PQ_ROLE_LIST_ELEM: /* three levels: its only child is the element */
		if (r->n_children == 1) {
			s->kind = SL_PQ_SHAPE_LIST;
			s->repeated = r;
			s->elem = r->children[0];
		}
		break;
	case SL_PQ_ROLE_LIST_ITEM: /* two levels: the repeated node is the element */
		s->kind = SL_PQ_SHAPE_LIST;
		s->repeated = s->elem = r;
		break;
	case SL_PQ_ROLE_MAP_KV:
		if (r->n_children == 2) {
			s->kind = SL_PQ_SHAPE_MAP;
			s->repeated = r;
			s->key = r->children[0];
			s->value = r->children[1];
		}
		break;
	default:
		break;
	}
}

/* The physical type our writer gives a leaf of type t (schema.h), or -1. */
static bool leaf_fits(const struct sl_type *t, const struct sl_pq_node *leaf)
{
	int32_t want = -1;
	switch (t->kind) {
	case SL_T_BOOL: want = SL_PQ_BOOLEAN; break;
	case SL_T_INT: want = t->bits == 64 ? SL_PQ_INT64 : SL_PQ_INT32; break;
	case SL_T_FLOAT: want = SL_PQ_FLOAT; break;
	case SL_T_DOUBLE: want = SL_PQ_DOUBLE; break;
	case SL_T_DECIMAL:
		want = t->precision <= 9    ? SL_PQ_INT32
		       : t->precision <= 18 ? SL_PQ_INT64
					    : SL_PQ_FIXED_LEN_BYTE_ARRAY;
		break;
	case SL_T_STRING: case SL_T_JSON: want = SL_PQ_BYTE_ARRAY; break;
	case SL_T_BINARY:
		if (t->fixed_len)
			return leaf->phys == SL_PQ_FIXED_LEN_BYTE_ARRAY &&
			       (uint32_t)leaf->type_length == t->fixed_len;
		want = SL_PQ_BYTE_ARRAY;
		break;
	case SL_T_DATE: want = SL_PQ_INT32; break;
	case SL_T_TIME: want = t->unit == SL_TU_MILLIS ? SL_PQ_INT32 : SL_PQ_INT64; break;
	case SL_T_TIMESTAMP: want = SL_PQ_INT64; break;
	case SL_T_UUID:
		return leaf->phys == SL_PQ_FIXED_LEN_BYTE_ARRAY && leaf->type_length == 16;
	default: return false;
	}
	return leaf->phys == want;
}

static bool match(const struct sl_pq_node *n, const struct sl_type *t, const struct sl_type **lt);

static bool match_fields(const struct sl_pq_node *g, const struct sl_type *t,
			 const struct sl_type **lt)
{
	if (t->kind != SL_T_STRUCT || t->n_fields != g->n_children)
		return false;
	for (size_t i = 0; i < g->n_children; i++)
		if (strcmp(t->fields[i].name, g->children[i]->name) != 0 ||
		    !match(g->children[i], t->fields[i].type, lt))
			return false;
	return true;
}

/* n's contents against t, n's own repetition aside. */
static bool match_content(const struct sl_pq_node *n, const struct sl_type *t,
			  const struct sl_type **lt)
{
	struct sl_pq_shape s;
	sl_pq_shape_of(n, &s);
	switch (s.kind) {
	case SL_PQ_SHAPE_LEAF:
		if (!leaf_fits(t, n) || n->leaf_index < 0)
			return false;
		lt[n->leaf_index] = t;
		return true;
	case SL_PQ_SHAPE_STRUCT:
		return match_fields(n, t, lt);
	case SL_PQ_SHAPE_LIST:
		if (t->kind != SL_T_LIST || !t->elem)
			return false;
		if (s.elem == s.repeated)
			return match_content(s.elem, t->elem, lt);
		return match(s.elem, t->elem, lt);
	case SL_PQ_SHAPE_MAP:
		if (t->kind != SL_T_MAP || !t->key || !match(s.key, t->key, lt))
			return false;
		return t->elem && match(s.value, t->elem, lt);
	}
	return false;
}

static bool match(const struct sl_pq_node *n, const struct sl_type *t, const struct sl_type **lt)
{
	if (n->repetition == SL_PQ_REPEATED && n->parent)
		return t->kind == SL_T_LIST && t->elem && match_content(n, t->elem, lt);
	return match_content(n, t, lt);
}

int sl_pq_reader_refine_types(struct sl_pq_reader *r, struct sl_err *err)
{
	size_t n = r->schema->n_leaves;
	const struct sl_type **lt = calloc(n + 1, sizeof(*lt));
	if (!lt)
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		lt[i] = r->schema->leaves[i]->type;
	r->leaf_types = lt;
	const struct sl_pq_kv *kv = NULL;
	for (size_t i = 0; i < r->meta.n_kv; i++)
		if (r->meta.kv[i].key.len == 11 &&
		    memcmp(r->meta.kv[i].key.p, "sluice.type", 11) == 0)
			kv = &r->meta.kv[i];
	if (!kv || !kv->value.p)
		return 0;
	struct sl_err ignored;
	struct sl_type *t = sl_type_parse((const char *)kv->value.p, kv->value.len, &ignored);
	const struct sl_type **tmp = calloc(n + 1, sizeof(*tmp));
	if (t && tmp && match_fields(r->schema->root, t, tmp)) {
		/* every leaf was matched (match_fields visits them all) */
		memcpy(lt, tmp, n * sizeof(*lt));
		r->sluice_type = t;
		t = NULL;
	}
	sl_type_free(t);
	free(tmp);
	return 0;
}

/* ---- the plan ------------------------------------------------------------------------------ */

enum plan_kind { P_LEAF, P_STRUCT, P_LIST, P_MAP };

struct plan {
	enum plan_kind kind;
	char *key;            /* STRUCT members: '{' (the first) or ',', then "name": (owned) */
	size_t key_len;
	int16_t def;          /* present (not null) when the probe's def >= def */
	int16_t elem_def;     /* LIST/MAP: an element exists when def >= elem_def */
	int16_t rep;          /* LIST/MAP: an entry with this rep starts a new element */
	size_t lo, hi;        /* the selected leaves below, [lo, hi) of rows->leaves */
	struct plan **kids;   /* STRUCT: members; LIST: the element; MAP: key, value (or NULL) */
	size_t n_kids;
	bool string_keys;     /* MAP: written as an object */
	size_t *sub_b, *sub_e; /* LIST/MAP: one element's ranges, hi - lo each */
};

/* One selected leaf while rows are read. */
struct leafst {
	const struct sl_pq_node *node;
	const struct sl_type *type;
	size_t column;
	struct sl_pq_col *col;
	struct sl_pq_batch b;
	size_t pos, vpos;  /* next entry and next value of b */
	bool windowed;     /* repeated: the row's entries are copied, values rendered */
	int16_t cur_def;   /* flat: the row's one entry */
	int16_t *wdef, *wrep;
	uint32_t *woff;    /* wn + 1 offsets into wtext */
	size_t wn, wcap;
	struct sl_buf wtext;
};

struct sl_pq_rows {
	struct sl_pq_reader *r;
	struct plan *root;
	struct leafst *leaves;
	size_t n_leaves;
	size_t *beg, *end;
	bool *skip;        /* per row group: ruled out by the predicates */
	bool *selected;    /* per column */
	size_t rg;
	bool in_rg;
	int64_t rg_rows, rg_done;
	size_t max_row_entries;
	struct sl_json_parser *jp;
	int failed;        /* the first error: every later call returns it */
};

static void plan_free(struct plan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_kids; i++)
		plan_free(p->kids[i]);
	free(p->kids);
	free(p->key);
	free(p->sub_b);
	free(p->sub_e);
	free(p);
}

struct build {
	struct sl_pq_rows *rows;
	size_t next_leaf; /* leaves are numbered in the order the plan meets them */
	struct sl_err *err;
};

static bool any_selected(const struct sl_pq_rows *rows, const struct sl_pq_node *n)
{
	if (n->is_leaf)
		return n->leaf_index >= 0 && rows->selected[n->leaf_index];
	for (size_t i = 0; i < n->n_children; i++)
		if (any_selected(rows, n->children[i]))
			return true;
	return false;
}

static void select_all(struct sl_pq_rows *rows, const struct sl_pq_node *n)
{
	if (n->is_leaf && n->leaf_index >= 0)
		rows->selected[n->leaf_index] = true;
	for (size_t i = 0; i < n->n_children; i++)
		select_all(rows, n->children[i]);
}

static struct plan *plan_new(struct build *bd, enum plan_kind kind, int16_t def)
{
	struct plan *p = calloc(1, sizeof(*p));
	if (!p) {
		sl_err_set(bd->err, SL_ENOMEM, "out of memory");
		return NULL;
	}
	p->kind = kind;
	p->def = def;
	p->lo = bd->next_leaf;
	return p;
}

static int plan_add(struct build *bd, struct plan *p, struct plan *kid)
{
	struct plan **k = realloc(p->kids, (p->n_kids + 1) * sizeof(*k));
	if (!k) {
		plan_free(kid);
		return sl_err_set(bd->err, SL_ENOMEM, "out of memory");
	}
	p->kids = k;
	p->kids[p->n_kids++] = kid;
	return 0;
}

static struct plan *build_node(struct build *bd, const struct sl_pq_node *n);

/* A struct of g's selected children, present at def. */
static struct plan *build_fields(struct build *bd, const struct sl_pq_node *g, int16_t def)
{
	struct plan *p = plan_new(bd, P_STRUCT, def);
	for (size_t i = 0; p && i < g->n_children; i++) {
		const struct sl_pq_node *c = g->children[i];
		if (!any_selected(bd->rows, c))
			continue;
		struct plan *k = build_node(bd, c);
		if (!k) {
			plan_free(p);
			return NULL;
		}
		struct sl_buf key;
		sl_buf_init(&key, SL_BUF_DEFAULT_MAX);
		if (sl_buf_append(&key, p->n_kids ? "," : "{", 1) != 0 ||
		    sl_buf_json_str(&key, c->name, strlen(c->name)) != 0 ||
		    sl_buf_append(&key, ":", 1) != 0) {
			sl_buf_release(&key);
			plan_free(k);
			plan_free(p);
			sl_err_set(bd->err, SL_ENOMEM, "out of memory");
			return NULL;
		}
		k->key = key.data;
		k->key_len = key.len;
		if (plan_add(bd, p, k) != 0) {
			plan_free(p);
			return NULL;
		}
	}
	if (p)
		p->hi = bd->next_leaf;
	return p;
}

static struct plan *build_leaf(struct build *bd, const struct sl_pq_node *n)
{
	struct plan *p = plan_new(bd, P_LEAF, n->max_def);
	if (!p)
		return NULL;
	struct leafst *L = &bd->rows->leaves[bd->next_leaf++];
	L->node = n;
	L->column = (size_t)n->leaf_index;
	L->type = bd->rows->r->leaf_types[n->leaf_index];
	L->windowed = n->max_rep > 0;
	p->hi = bd->next_leaf;
	return p;
}

/* n's contents, n's own repetition aside. */
static struct plan *build_content(struct build *bd, const struct sl_pq_node *n)
{
	struct sl_pq_shape s;
	sl_pq_shape_of(n, &s);
	if (s.kind == SL_PQ_SHAPE_LEAF)
		return build_leaf(bd, n);
	if (s.kind == SL_PQ_SHAPE_STRUCT)
		return build_fields(bd, n, n->def_level);
	struct plan *p = plan_new(bd, s.kind == SL_PQ_SHAPE_LIST ? P_LIST : P_MAP, n->def_level);
	if (!p)
		return NULL;
	p->elem_def = s.repeated->def_level;
	p->rep = s.repeated->rep_level;
	struct plan *k;
	int rc = 0;
	if (s.kind == SL_PQ_SHAPE_LIST) {
		k = s.elem == s.repeated ? build_content(bd, s.elem) : build_node(bd, s.elem);
		rc = k ? plan_add(bd, p, k) : -1;
	} else {
		k = build_node(bd, s.key);
		rc = k ? plan_add(bd, p, k) : -1;
		if (rc == 0 && k->kind == P_LEAF)
			p->string_keys = bd->rows->leaves[k->lo].type->kind == SL_T_STRING;
		if (rc == 0) {
			k = build_node(bd, s.value);
			rc = k ? plan_add(bd, p, k) : -1;
		}
	}
	if (rc) {
		plan_free(p);
		return NULL;
	}
	p->hi = bd->next_leaf;
	if (p->hi > p->lo && (!(p->sub_b = calloc(p->hi - p->lo, sizeof(size_t))) ||
			      !(p->sub_e = calloc(p->hi - p->lo, sizeof(size_t))))) {
		plan_free(p);
		sl_err_set(bd->err, SL_ENOMEM, "out of memory");
		return NULL;
	}
	return p;
}

/* A repeated field outside a LIST/MAP group is a list of its contents (never null). */
static struct plan *build_node(struct build *bd, const struct sl_pq_node *n)
{
	if (n->repetition != SL_PQ_REPEATED)
		return build_content(bd, n);
	struct plan *p = plan_new(bd, P_LIST, (int16_t)(n->def_level - 1));
	if (!p)
		return NULL;
	p->elem_def = n->def_level;
	p->rep = n->rep_level;
	struct plan *k = build_content(bd, n);
	if (!k || plan_add(bd, p, k) != 0) {
		plan_free(p);
		return NULL;
	}
	p->hi = bd->next_leaf;
	if (p->hi > p->lo && (!(p->sub_b = calloc(p->hi - p->lo, sizeof(size_t))) ||
			      !(p->sub_e = calloc(p->hi - p->lo, sizeof(size_t))))) {
		plan_free(p);
		sl_err_set(bd->err, SL_ENOMEM, "out of memory");
		return NULL;
	}
	return p;
}

/* Maps are read whole: a key without its value (or the reverse) is not a map. */
static void widen_maps(struct sl_pq_rows *rows, const struct sl_pq_node *n)
{
	if (n->is_leaf)
		return;
	struct sl_pq_shape s;
	sl_pq_shape_of(n, &s);
	if (s.kind == SL_PQ_SHAPE_MAP && any_selected(rows, n)) {
		select_all(rows, n);
		return;
	}
	for (size_t i = 0; i < n->n_children; i++)
		widen_maps(rows, n->children[i]);
}

/* ---- reading a row ---------------------------------------------------------------------- */

static int rows_fail(struct sl_pq_rows *rows, const struct leafst *L, struct sl_err *err,
		     int code, const char *what)
{
	struct sl_buf path;
	sl_buf_init(&path, 4096);
	sl_pq_node_path(L->node, &path);
	sl_err_set(err, code, "%s: row group %zu, column %s, row %" PRId64 ": %s", rows->r->name,
		   rows->rg, path.data ? path.data : L->node->name, rows->rg_done, what);
	sl_buf_release(&path);
	return code;
}

static inline int16_t ent_def(const struct leafst *L, size_t i)
{
	return L->windowed ? L->wdef[i] : L->cur_def;
}

static inline int16_t ent_rep(const struct leafst *L, size_t i)
{
	return L->windowed ? L->wrep[i] : 0;
}

/* Makes the batch hold the leaf's next entry; 0 at the end of the chunk. */
static int next_entry(struct leafst *L, struct sl_err *err)
{
	while (L->pos >= L->b.n_levels) {
		int rc = sl_pq_col_next(L->col, &L->b, err);
		if (rc <= 0)
			return rc;
		L->pos = 0;
		L->vpos = 0;
	}
	return 1;
}

/* Writes value vpos of the leaf's batch (which must exist). */
static int render(struct sl_pq_rows *rows, struct leafst *L, struct sl_buf *out,
		  struct sl_err *err)
{
	if (L->vpos >= L->b.n_values)
		return rows_fail(rows, L, err, SL_ECORRUPT, "more defined levels than values");
	int rc = sl_pq_value_json_t(L->type, L->node, &L->b, L->vpos, rows->jp, out);
	if (rc)
		return rows_fail(rows, L, err, rc, rc == SL_ELIMIT ? "the row is too large"
						    : "a value that cannot be written");
	return 0;
}

/* Copies the leaf's entries of one row (rep 0 up to the next rep 0), rendering values. */
static int fill_window(struct sl_pq_rows *rows, struct leafst *L, struct sl_err *err)
{
	L->wn = 0;
	sl_buf_reset(&L->wtext);
	for (;;) {
		int rc = next_entry(L, err);
		if (rc < 0)
			return rc;
		if (rc == 0)
			break;
		int16_t rep = L->b.rep ? L->b.rep[L->pos] : 0;
		int16_t def = L->b.def ? L->b.def[L->pos] : L->node->max_def;
		if (L->wn > 0 && rep == 0)
			break;
		if (L->wn == 0 && rep != 0)
			return rows_fail(rows, L, err, SL_ECORRUPT,
					 "a row starts with a repetition "
					 "level above 0");
		if (L->wn + 1 >= L->wcap) {
			if (L->wn + 1 >= rows->max_row_entries)
				return rows_fail(rows, L, err, SL_ELIMIT,
						 "too many entries in one row");
			size_t cap = L->wcap ? L->wcap * 2 : 64;
			int16_t *d = realloc(L->wdef, cap * sizeof(*d));
			if (d)
				L->wdef = d;
			int16_t *r = d ? realloc(L->wrep, cap * sizeof(*r)) : NULL;
			if (r)
				L->wrep = r;
			uint32_t *o = r ? realloc(L->woff, (cap + 1) * sizeof(*o)) : NULL;
			if (!o)
				return sl_err_set(err, SL_ENOMEM, "out of memory");
			L->woff = o;
			L->wcap = cap;
		}
		L->wdef[L->wn] = def;
		L->wrep[L->wn] = rep;
		L->woff[L->wn] = (uint32_t)L->wtext.len;
		if (def == L->node->max_def) {
			if ((rc = render(rows, L, &L->wtext, err)) != 0)
				return rc;
			L->vpos++;
		}
		if (L->wtext.len > UINT32_MAX)
			return rows_fail(rows, L, err, SL_ELIMIT, "the row is too large");
		L->wn++;
		L->woff[L->wn] = (uint32_t)L->wtext.len;
		L->pos++;
	}
	if (L->wn == 0)
		return rows_fail(rows, L, err, SL_ECORRUPT, "the column has fewer rows than its "
				 "row group");
	return 0;
}

static int put_value(struct sl_pq_rows *rows, struct leafst *L, size_t i, struct sl_buf *out,
		     struct sl_err *err)
{
	if (L->windowed)
		return sl_buf_append(out, L->wtext.data + L->woff[i], L->woff[i + 1] - L->woff[i]);
	return render(rows, L, out, err);
}

static int emit(struct sl_pq_rows *rows, const struct plan *p, size_t base, const size_t *beg,
		const size_t *end, struct sl_buf *out, struct sl_err *err);

/* A list's or map's elements: split every leaf's range where rep says a new element of
 * this list starts. */
static int emit_elems(struct sl_pq_rows *rows, const struct plan *p, size_t base,
		      const size_t *beg, const size_t *end, struct sl_buf *out,
		      struct sl_err *err)
{
	size_t n = p->hi - p->lo, *sb = p->sub_b, *se = p->sub_e;
	for (size_t k = 0; k < n; k++)
		se[k] = beg[p->lo + k - base];
	bool obj = p->kind == P_MAP && p->string_keys;
	int rc = sl_buf_append(out, obj ? "{" : "[", 1);
	for (bool first = true; rc == 0; first = false) {
		for (size_t k = 0; k < n; k++) {
			const struct leafst *L = &rows->leaves[p->lo + k];
			size_t e = end[p->lo + k - base], i = se[k];
			sb[k] = i;
			if (ent_def(L, i) < p->elem_def)
				return rows_fail(rows, L, err, SL_ECORRUPT, "levels say a list "
						 "element is both there and absent");
			for (i++; i < e && ent_rep(L, i) > p->rep; i++)
				;
			se[k] = i;
		}
		if (!first)
			rc = sl_buf_append(out, ",", 1);
		if (rc == 0 && p->kind == P_LIST) {
			rc = emit(rows, p->kids[0], p->lo, sb, se, out, err);
		} else if (rc == 0 && obj) {
			const struct plan *kp = p->kids[0];
			const struct leafst *K = &rows->leaves[kp->lo];
			if (ent_def(K, sb[kp->lo - p->lo]) < kp->def)
				rc = sl_buf_append(out, "\"\"",
						   2); /* a null key (non-conforming) */
			else
				rc = emit(rows, kp, p->lo, sb, se, out, err);
			if (rc == 0)
				rc = sl_buf_append(out, ":", 1);
			if (rc == 0)
				rc = emit(rows, p->kids[1], p->lo, sb, se, out, err);
		} else if (rc == 0) {
			rc = sl_buf_append(out, "{\"key\":", 7);
			if (rc == 0)
				rc = emit(rows, p->kids[0], p->lo, sb, se, out, err);
			if (rc == 0)
				rc = sl_buf_append(out, ",\"value\":", 9);
			if (rc == 0)
				rc = emit(rows, p->kids[1], p->lo, sb, se, out, err);
			if (rc == 0)
				rc = sl_buf_append(out, "}", 1);
		}
		if (rc)
			return rc;
		/* the leaves must end the list together */
		size_t done = 0;
		for (size_t k = 0; k < n; k++)
			done += se[k] == end[p->lo + k - base];
		if (done == n)
			break;
		if (done)
			return rows_fail(rows, &rows->leaves[p->lo], err, SL_ECORRUPT,
					 "the columns "
					 "of one list disagree on its length");
	}
	return rc ? rc : sl_buf_append(out, obj ? "}" : "]", 1);
}

static int emit(struct sl_pq_rows *rows, const struct plan *p, size_t base, const size_t *beg,
		const size_t *end, struct sl_buf *out, struct sl_err *err)
{
	if (p->hi == p->lo) /* nothing selected below: an empty struct */
		return sl_buf_append(out, "{}", 2);
	struct leafst *probe = &rows->leaves[p->lo];
	size_t i = beg[p->lo - base];
	int16_t d = ent_def(probe, i);
	if (p->kind == P_LEAF) {
		if (end[p->lo - base] != i + 1)
			return rows_fail(rows, probe, err, SL_ECORRUPT, "repetition levels do not "
					 "fit the schema");
		if (d < probe->node->max_def)
			return sl_buf_append(out, "null", 4);
		return put_value(rows, probe, i, out, err);
	}
	if (d < p->def)
		return sl_buf_append(out, "null", 4);
	if (p->kind == P_STRUCT) {
		int rc = 0;
		for (size_t k = 0; rc == 0 && k < p->n_kids; k++) {
			const struct plan *c = p->kids[k];
			rc = sl_buf_append(out, c->key, c->key_len); /* '{' or ',', then "name": */
			if (rc == 0)
				rc = emit(rows, c, base, beg, end, out, err);
		}
		return rc ? rc : sl_buf_append(out, "}", 1);
	}
	if (d < p->elem_def)
		return sl_buf_append(out, p->kind == P_MAP && p->string_keys ? "{}" : "[]", 2);
	return emit_elems(rows, p, base, beg, end, out, err);
}

/* ---- rows ------------------------------------------------------------------------------- */

static void close_cols(struct sl_pq_rows *rows)
{
	for (size_t i = 0; i < rows->n_leaves; i++) {
		sl_pq_col_close(rows->leaves[i].col);
		rows->leaves[i].col = NULL;
		rows->leaves[i].b.n_levels = 0;
		rows->leaves[i].pos = 0;
	}
}

void sl_pq_rows_close(struct sl_pq_rows *rows)
{
	if (!rows)
		return;
	close_cols(rows);
	for (size_t i = 0; rows->leaves && i < rows->n_leaves; i++) {
		struct leafst *L = &rows->leaves[i];
		free(L->wdef);
		free(L->wrep);
		free(L->woff);
		sl_buf_release(&L->wtext);
	}
	plan_free(rows->root);
	free(rows->leaves);
	free(rows->beg);
	free(rows->end);
	free(rows->skip);
	free(rows->selected);
	sl_json_parser_free(rows->jp);
	free(rows);
}

int sl_pq_rows_open(struct sl_pq_reader *r, const char *const *columns, size_t n_columns,
		    const struct sl_pq_pred *preds, size_t n_preds, struct sl_pq_rows **out,
		    struct sl_err *err)
{
	const struct sl_pq_schema *s = r->schema;
	struct sl_pq_rows *rows = calloc(1, sizeof(*rows));
	struct sl_err local;
	int rc = 0;
	*out = NULL;
	if (!err)
		err = &local;
	if (!rows)
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	rows->r = r;
	rows->max_row_entries = r->opts.max_page / 8 > 64 ? r->opts.max_page / 8 : 64;
	if (!(rows->selected = calloc(s->n_leaves + 1, sizeof(bool))) ||
	    !(rows->skip = calloc(r->meta.n_row_groups + 1, sizeof(bool))) ||
	    !(rows->leaves = calloc(s->n_leaves + 1, sizeof(*rows->leaves))) ||
	    !(rows->beg = calloc(s->n_leaves + 1, sizeof(size_t))) ||
	    !(rows->end = calloc(s->n_leaves + 1, sizeof(size_t))) ||
	    !(rows->jp = sl_json_parser_new(NULL))) {
		rc = sl_err_set(err, SL_ENOMEM, "out of memory");
		goto fail;
	}
	if (!columns) {
		select_all(rows, s->root);
	} else {
		for (size_t i = 0; i < n_columns; i++) {
			const struct sl_pq_node *n = sl_pq_schema_find(s, columns[i]);
			if (!n) {
				rc = sl_err_set(err, SL_EINVAL, "%s: no column '%s'", r->name,
						columns[i]);
				goto fail;
			}
			select_all(rows, n);
		}
		widen_maps(rows, s->root);
	}
	for (size_t g = 0; g < r->meta.n_row_groups && n_preds; g++) {
		bool may;
		if ((rc = sl_pq_row_group_may_match(r, g, preds, n_preds, &may, err)) != 0)
			goto fail;
		rows->skip[g] = !may;
	}
	struct build bd = {rows, 0, err};
	err->code = 0;
	if (!(rows->root = build_fields(&bd, s->root, 0))) {
		rc = err->code ? err->code : SL_ENOMEM;
		goto fail;
	}
	rows->n_leaves = bd.next_leaf;
	for (size_t i = 0; i < rows->n_leaves; i++)
		sl_buf_init(&rows->leaves[i].wtext, r->opts.max_row_group);
	*out = rows;
	return 0;
fail:
	sl_pq_rows_close(rows);
	return rc;
}

/* The row group is done: every column must be at its end too. */
static int end_row_group(struct sl_pq_rows *rows, struct sl_err *err)
{
	for (size_t i = 0; i < rows->n_leaves; i++) {
		struct leafst *L = &rows->leaves[i];
		int rc = next_entry(L, err);
		if (rc < 0)
			return rc;
		if (rc > 0)
			return rows_fail(rows, L, err, SL_ECORRUPT, "the column has more rows than "
					 "its row group");
	}
	close_cols(rows);
	rows->in_rg = false;
	rows->rg++;
	return 0;
}

static int start_row_group(struct sl_pq_rows *rows, struct sl_err *err)
{
	const struct sl_pq_file_meta *m = &rows->r->meta;
	while (rows->rg < m->n_row_groups &&
	       (rows->skip[rows->rg] || m->row_groups[rows->rg].num_rows == 0))
		rows->rg++;
	if (rows->rg == m->n_row_groups)
		return 0;
	for (size_t i = 0; i < rows->n_leaves; i++) {
		struct leafst *L = &rows->leaves[i];
		int rc = sl_pq_col_open(rows->r, rows->rg, L->column, &L->col, err);
		if (rc)
			return rc;
		L->pos = L->vpos = 0;
		L->b.n_levels = 0;
		L->b.n_values = 0;
	}
	rows->in_rg = true;
	rows->rg_rows = m->row_groups[rows->rg].num_rows;
	rows->rg_done = 0;
	return 1;
}

static int next_row(struct sl_pq_rows *rows, struct sl_buf *out, struct sl_err *err)
{
	int rc;
	while (!rows->in_rg || rows->rg_done == rows->rg_rows) {
		if (rows->in_rg && (rc = end_row_group(rows, err)) != 0)
			return rc;
		if ((rc = start_row_group(rows, err)) <= 0)
			return rc;
	}
	for (size_t i = 0; i < rows->n_leaves; i++) {
		struct leafst *L = &rows->leaves[i];
		if (L->windowed) {
			if ((rc = fill_window(rows, L, err)) != 0)
				return rc;
			rows->end[i] = L->wn;
		} else {
			if ((rc = next_entry(L, err)) < 0)
				return rc;
			if (rc == 0)
				return rows_fail(rows, L, err, SL_ECORRUPT, "the column has fewer "
						 "rows than its row group");
			L->cur_def = L->b.def ? L->b.def[L->pos] : L->node->max_def;
			rows->end[i] = 1;
		}
		rows->beg[i] = 0;
	}
	if ((rc = emit(rows, rows->root, 0, rows->beg, rows->end, out, err)) != 0)
		return rc;
	for (size_t i = 0; i < rows->n_leaves; i++) {
		struct leafst *L = &rows->leaves[i];
		if (L->windowed)
			continue;
		/* the value is used up whether it was written or sits under a struct
		 * that another leaf says is null */
		if (L->cur_def == L->node->max_def) {
			if (L->vpos >= L->b.n_values)
				return rows_fail(rows, L, err, SL_ECORRUPT, "more defined levels "
						 "than values");
			L->vpos++;
		}
		L->pos++;
	}
	rows->rg_done++;
	return 1;
}

int sl_pq_rows_next(struct sl_pq_rows *rows, struct sl_buf *out, struct sl_err *err)
{
	if (rows->failed)
		return sl_err_set(err, rows->failed, "%s: reading stopped at an earlier error",
				  rows->r->name);
	int rc = next_row(rows, out, err);
	if (rc < 0)
		rows->failed = rc;
	return rc;
}
