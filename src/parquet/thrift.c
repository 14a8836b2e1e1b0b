/*
 * thrift.c - the Thrift compact protocol (see thrift.h), both directions.
 *
 * Wire format, as Parquet uses it: a field header is one byte (id delta << 4 | type)
 * when the id is 1..15 above the previous one in the same struct, else the type byte
 * followed by the id as a zigzag varint; i16/i32/i64 are zigzag varints, i8 is one raw
 * byte, double is 8 bytes little-endian, binary is a varint length and the bytes; a
 * bool field carries its value in the type (TRUE/FALSE) while a bool list element is
 * one byte (1 true, 2 false); a list header is one byte (size << 4 | elem type) for
 * fewer than 15 elements, else 0xF0 | elem type and the size as a varint.
 *
 * Decoder promises: it reads only within [base, end); every count is checked against
 * the bytes left (each element needs at least one byte, eight for a double) and the
 * limits before anyone sizes an allocation by it; nesting, including what sl_tc_r_skip
 * walks, stays under SL_TC_MAX_DEPTH; the first error is kept (later calls do nothing
 * and return zeros) so a caller can check r->rc once per struct.
 */
#include "parquet/thrift.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- encoder ------------------------------------------------------------------------ */

void sl_tc_w_init(struct sl_tc_w *w, struct sl_buf *out)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
}

static void w_bytes(struct sl_tc_w *w, const void *p, size_t len)
{
	if (w->rc)
		return;
	int rc = sl_buf_append(w->out, p, len);
	if (rc)
		w->rc = rc;
}

static void w_varint(struct sl_tc_w *w, uint64_t v)
{
	uint8_t b[10];
	size_t n = 0;
	while (v >= 0x80) {
		b[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	b[n++] = (uint8_t)v;
	w_bytes(w, b, n);
}

static uint64_t zigzag64(int64_t v)
{
	return ((uint64_t)v << 1) ^ (0 - ((uint64_t)v >> 63));
}

static void w_field(struct sl_tc_w *w, int16_t id, enum sl_tc_type type)
{
	int16_t *last = &w->last_id[w->depth];
	if (id > *last && id - *last <= 15) {
		uint8_t b = (uint8_t)(((id - *last) << 4) | type);
		w_bytes(w, &b, 1);
	} else {
		uint8_t b = (uint8_t)type;
		w_bytes(w, &b, 1);
		w_varint(w, (uint32_t)zigzag64(id));
	}
	*last = id;
}

void sl_tc_w_field_bool(struct sl_tc_w *w, int16_t id, bool v)
{
	w_field(w, id, v ? SL_TC_TRUE : SL_TC_FALSE);
}

void sl_tc_w_field_i8(struct sl_tc_w *w, int16_t id, int8_t v)
{
	w_field(w, id, SL_TC_I8);
	uint8_t b = (uint8_t)v;
	w_bytes(w, &b, 1);
}

void sl_tc_w_field_i16(struct sl_tc_w *w, int16_t id, int16_t v)
{
	w_field(w, id, SL_TC_I16);
	w_varint(w, zigzag64(v));
}

void sl_tc_w_field_i32(struct sl_tc_w *w, int16_t id, int32_t v)
{
	w_field(w, id, SL_TC_I32);
	sl_tc_w_i32(w, v);
}

void sl_tc_w_field_i64(struct sl_tc_w *w, int16_t id, int64_t v)
{
	w_field(w, id, SL_TC_I64);
	sl_tc_w_i64(w, v);
}

void sl_tc_w_field_double(struct sl_tc_w *w, int16_t id, double v)
{
	w_field(w, id, SL_TC_DOUBLE);
	uint64_t u;
	memcpy(&u, &v, sizeof(u));
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(u >> (8 * i));
	w_bytes(w, b, 8);
}

void sl_tc_w_field_binary(struct sl_tc_w *w, int16_t id, const void *p, size_t len)
{
	w_field(w, id, SL_TC_BINARY);
	sl_tc_w_binary(w, p, len);
}

void sl_tc_w_struct_begin(struct sl_tc_w *w, int16_t id)
{
	if (id != 0)
		w_field(w, id, SL_TC_STRUCT);
	if (w->depth + 1 >= SL_TC_MAX_DEPTH) {
		if (!w->rc)
			w->rc = SL_EINVAL;
		return;
	}
	w->last_id[++w->depth] = 0;
}

void sl_tc_w_struct_end(struct sl_tc_w *w)
{
	uint8_t stop = SL_TC_STOP;
	w_bytes(w, &stop, 1);
	if (w->depth > 0)
		w->depth--;
	else if (!w->rc)
		w->rc = SL_EINVAL; /* more ends than begins */
}

void sl_tc_w_list_begin(struct sl_tc_w *w, int16_t id, enum sl_tc_type elem, uint32_t n)
{
	if (n > INT32_MAX) {
		if (!w->rc)
			w->rc = SL_EINVAL;
		return;
	}
	w_field(w, id, SL_TC_LIST);
	if (n < 15) {
		uint8_t b = (uint8_t)((n << 4) | elem);
		w_bytes(w, &b, 1);
	} else {
		uint8_t b = (uint8_t)(0xF0 | elem);
		w_bytes(w, &b, 1);
		w_varint(w, n);
	}
}

void sl_tc_w_bool(struct sl_tc_w *w, bool v)
{
	uint8_t b = v ? SL_TC_TRUE : SL_TC_FALSE;
	w_bytes(w, &b, 1);
}

void sl_tc_w_i32(struct sl_tc_w *w, int32_t v)
{
	w_varint(w, (uint32_t)zigzag64(v));
}

void sl_tc_w_i64(struct sl_tc_w *w, int64_t v)
{
	w_varint(w, zigzag64(v));
}

void sl_tc_w_binary(struct sl_tc_w *w, const void *p, size_t len)
{
	if (len > INT32_MAX) {
		if (!w->rc)
			w->rc = SL_EINVAL;
		return;
	}
	w_varint(w, len);
	w_bytes(w, p, len);
}

void sl_tc_w_stop(struct sl_tc_w *w)
{
	uint8_t stop = SL_TC_STOP;
	w_bytes(w, &stop, 1);
	if (w->depth != 0 && !w->rc)
		w->rc = SL_EINVAL; /* a nested struct was not ended */
}

int sl_tc_w_finish(struct sl_tc_w *w, struct sl_err *err)
{
	switch (w->rc) {
	case 0:
		return 0;
	case SL_ENOMEM:
		return sl_err_set(err, w->rc, "thrift encode: out of memory");
	case SL_ELIMIT:
		return sl_err_set(err, w->rc, "thrift encode: output exceeds the buffer's limit "
				  "of %zu bytes", w->out->max);
	default:
		return sl_err_set(err, w->rc, "thrift encode: a string or list longer than "
				  "2^31-1, or structs nested deeper than %d or not balanced",
				  SL_TC_MAX_DEPTH);
	}
}

/* ---- decoder ------------------------------------------------------------------------ */

static const char *const type_names[] = {
	"stop", "bool", "bool", "i8", "i16", "i32", "i64", "double", "binary", "list", "set",
	"map", "struct",
};

const char *sl_tc_type_name(enum sl_tc_type t)
{
	return (unsigned)t < sizeof(type_names) / sizeof(type_names[0]) ? type_names[t]
									 : "invalid";
}

void sl_tc_r_init(struct sl_tc_r *r, const void *p, size_t len, const char *what,
		  struct sl_err *err)
{
	memset(r, 0, sizeof(*r));
	r->base = r->p = p;
	r->end = r->base + len;
	r->max_list = (uint32_t)1 << 24;
	r->max_binary = (size_t)64 << 20;
	r->err = err;
	r->what = what ? what : "thrift";
}

size_t sl_tc_r_offset(const struct sl_tc_r *r)
{
	return (size_t)(r->p - r->base);
}

__attribute__((format(printf, 3, 0)))
static void r_vfail(struct sl_tc_r *r, int code, const char *fmt, va_list ap)
{
	if (r->rc)
		return;
	r->rc = code;
	if (!r->err)
		return;
	char msg[SL_ERR_MSG_MAX / 2];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	sl_err_set(r->err, code, "%s: offset %zu: %s", r->what, sl_tc_r_offset(r), msg);
}

void sl_tc_r_fail(struct sl_tc_r *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	r_vfail(r, SL_ECORRUPT, fmt, ap);
	va_end(ap);
}

void sl_tc_r_fail_code(struct sl_tc_r *r, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	r_vfail(r, code, fmt, ap);
	va_end(ap);
}

static size_t r_left(const struct sl_tc_r *r)
{
	return (size_t)(r->end - r->p);
}

static uint8_t r_byte(struct sl_tc_r *r)
{
	if (r->rc)
		return 0;
	if (r->p == r->end) {
		sl_tc_r_fail(r, "truncated: the data ends inside a value");
		return 0;
	}
	return *r->p++;
}

/* An unsigned varint of at most `bits` bits (16, 32 or 64); longer encodings, or values
 * that do not fit, are corrupt rather than silently truncated. */
static uint64_t r_varint(struct sl_tc_r *r, int bits)
{
	uint64_t v = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		uint8_t b = r_byte(r);
		if (r->rc)
			return 0;
		if (shift == 63 && b > 1)
			break;
		v |= (uint64_t)(b & 0x7F) << shift;
		if (!(b & 0x80)) {
			if (bits < 64 && v >> bits) {
				sl_tc_r_fail(r, "varint %llu does not fit in %d bits",
					     (unsigned long long)v, bits);
				return 0;
			}
			return v;
		}
	}
	sl_tc_r_fail(r, "varint longer than 10 bytes or over 64 bits");
	return 0;
}

static int64_t unzigzag(uint64_t u)
{
	return (int64_t)((u >> 1) ^ (0 - (u & 1)));
}

bool sl_tc_r_field(struct sl_tc_r *r, int16_t *id, enum sl_tc_type *type)
{
	*id = 0;
	*type = SL_TC_STOP;
	uint8_t b = r_byte(r);
	if (r->rc || b == SL_TC_STOP)
		return false;
	unsigned t = b & 0x0F, delta = b >> 4;
	if (t == SL_TC_STOP || t > SL_TC_STRUCT) {
		r->p--; /* the offset in the message is the header's */
		sl_tc_r_fail(r, "field header 0x%02x has an invalid type %u", b, t);
		return false;
	}
	int16_t *last = &r->last_id[r->depth];
	if (delta) {
		if (*last > INT16_MAX - 15) {
			sl_tc_r_fail(r, "field id overflows after %d", *last);
			return false;
		}
		*id = (int16_t)(*last + (int)delta);
	} else {
		*id = (int16_t)unzigzag(r_varint(r, 16));
		if (r->rc)
			return false;
	}
	*last = *id;
	*type = (enum sl_tc_type)t;
	return true;
}

static bool r_want(struct sl_tc_r *r, enum sl_tc_type got, const char *want, bool ok)
{
	if (r->rc)
		return false;
	if (!ok)
		sl_tc_r_fail(r, "field %d: expected %s, got %s", r->last_id[r->depth], want,
			     sl_tc_type_name(got));
	return ok;
}

bool sl_tc_r_bool(struct sl_tc_r *r, enum sl_tc_type type)
{
	if (!r_want(r, type, "bool", type == SL_TC_TRUE || type == SL_TC_FALSE))
		return false;
	return type == SL_TC_TRUE;
}

bool sl_tc_r_bool_elem(struct sl_tc_r *r)
{
	uint8_t b = r_byte(r);
	if (r->rc)
		return false;
	/* 1 and 2 as the protocol says; 0 as some old writers wrote false */
	if (b > SL_TC_FALSE) {
		r->p--;
		sl_tc_r_fail(r, "bool list element 0x%02x is not 0, 1 or 2", b);
		return false;
	}
	return b == SL_TC_TRUE;
}

static int64_t r_int(struct sl_tc_r *r, enum sl_tc_type type)
{
	switch (type) {
	case SL_TC_I8:
		return (int8_t)r_byte(r);
	case SL_TC_I16:
		return unzigzag(r_varint(r, 16));
	case SL_TC_I32:
		return unzigzag(r_varint(r, 32));
	default:
		return unzigzag(r_varint(r, 64));
	}
}

int32_t sl_tc_r_i32(struct sl_tc_r *r, enum sl_tc_type type)
{
	if (!r_want(r, type, "i32", type == SL_TC_I8 || type == SL_TC_I16 || type == SL_TC_I32))
		return 0;
	return (int32_t)r_int(r, type);
}

int64_t sl_tc_r_i64(struct sl_tc_r *r, enum sl_tc_type type)
{
	if (!r_want(r, type, "i64", type >= SL_TC_I8 && type <= SL_TC_I64))
		return 0;
	return r_int(r, type);
}

double sl_tc_r_double(struct sl_tc_r *r, enum sl_tc_type type)
{
	if (!r_want(r, type, "double", type == SL_TC_DOUBLE))
		return 0;
	if (r_left(r) < 8) {
		sl_tc_r_fail(r, "truncated: a double needs 8 bytes, %zu left", r_left(r));
		return 0;
	}
	uint64_t u = 0;
	for (int i = 0; i < 8; i++)
		u |= (uint64_t)r->p[i] << (8 * i);
	r->p += 8;
	double d;
	memcpy(&d, &u, sizeof(d));
	return d;
}

const uint8_t *sl_tc_r_binary(struct sl_tc_r *r, enum sl_tc_type type, size_t *len)
{
	*len = 0;
	if (!r_want(r, type, "binary", type == SL_TC_BINARY))
		return NULL;
	uint64_t n = r_varint(r, 32);
	if (r->rc)
		return NULL;
	if (n > INT32_MAX) {
		sl_tc_r_fail(r, "negative binary length");
		return NULL;
	}
	if (n > r->max_binary) {
		sl_tc_r_fail_code(r, SL_ELIMIT, "binary of %llu bytes is over the limit of %zu",
				  (unsigned long long)n, r->max_binary);
		return NULL;
	}
	if (n > r_left(r)) {
		sl_tc_r_fail(r, "truncated: binary of %llu bytes, %zu left",
			     (unsigned long long)n, r_left(r));
		return NULL;
	}
	const uint8_t *p = r->p;
	r->p += n;
	*len = (size_t)n;
	return p;
}

void sl_tc_r_struct_begin(struct sl_tc_r *r, enum sl_tc_type type)
{
	if (!r_want(r, type, "struct", type == SL_TC_STRUCT))
		return;
	if (r->depth + 1 >= SL_TC_MAX_DEPTH) {
		sl_tc_r_fail_code(r, SL_ELIMIT, "structs nested deeper than %d", SL_TC_MAX_DEPTH);
		return;
	}
	r->last_id[++r->depth] = 0;
}

void sl_tc_r_struct_end(struct sl_tc_r *r)
{
	if (r->depth > 0)
		r->depth--;
}

/* Fewest bytes one element of a type can take, so that a count can be checked against
 * what is left before anything is sized by it. */
static size_t min_size(enum sl_tc_type t)
{
	return t == SL_TC_DOUBLE ? 8 : 1;
}

uint32_t sl_tc_r_list_begin(struct sl_tc_r *r, enum sl_tc_type type, enum sl_tc_type *elem)
{
	*elem = SL_TC_STOP;
	if (!r_want(r, type, "list", type == SL_TC_LIST || type == SL_TC_SET))
		return 0;
	size_t at = sl_tc_r_offset(r);
	uint8_t b = r_byte(r);
	uint64_t n = b >> 4;
	if (n == 15)
		n = r_varint(r, 32);
	if (r->rc)
		return 0;
	unsigned t = b & 0x0F;
	if (n == 0)
		return 0; /* the element type of an empty list does not matter */
	if (t == SL_TC_STOP || t > SL_TC_STRUCT) {
		r->p = r->base + at;
		sl_tc_r_fail(r, "list header 0x%02x has an invalid element type %u", b, t);
		return 0;
	}
	if (n > INT32_MAX) {
		sl_tc_r_fail(r, "negative list size");
		return 0;
	}
	if (n > r_left(r) / min_size((enum sl_tc_type)t)) {
		sl_tc_r_fail(r, "list of %llu %s elements cannot fit in the %zu bytes left",
			     (unsigned long long)n, sl_tc_type_name((enum sl_tc_type)t), r_left(r));
		return 0;
	}
	if (n > r->max_list) {
		sl_tc_r_fail_code(r, SL_ELIMIT, "list of %llu elements is over the limit of %u",
				  (unsigned long long)n, r->max_list);
		return 0;
	}
	*elem = (enum sl_tc_type)t;
	return (uint32_t)n;
}

/* in_list: a bool is a byte of its own (an element), not the type of a field header. */
static void skip(struct sl_tc_r *r, enum sl_tc_type type, bool in_list)
{
	if (r->rc)
		return;
	size_t len;
	switch (type) {
	case SL_TC_TRUE:
	case SL_TC_FALSE:
		if (in_list)
			sl_tc_r_bool_elem(r);
		return;
	case SL_TC_I8:
		r_byte(r);
		return;
	case SL_TC_I16:
	case SL_TC_I32:
	case SL_TC_I64:
		r_varint(r, 64);
		return;
	case SL_TC_DOUBLE:
		sl_tc_r_double(r, type);
		return;
	case SL_TC_BINARY:
		sl_tc_r_binary(r, type, &len);
		return;
	case SL_TC_STRUCT: {
		sl_tc_r_struct_begin(r, type);
		if (r->rc)
			return;
		int16_t id;
		enum sl_tc_type t;
		while (sl_tc_r_field(r, &id, &t))
			skip(r, t, false);
		sl_tc_r_struct_end(r);
		return;
	}
	case SL_TC_LIST:
	case SL_TC_SET:
	case SL_TC_MAP: {
		/* containers count towards the depth while they are walked, so that lists of
		 * lists cannot recurse without bound either */
		if (r->depth + 1 >= SL_TC_MAX_DEPTH) {
			sl_tc_r_fail_code(r, SL_ELIMIT, "values nested deeper than %d",
					  SL_TC_MAX_DEPTH);
			return;
		}
		r->last_id[++r->depth] = 0;
		if (type == SL_TC_MAP) {
			uint64_t n = r_varint(r, 32);
			if (n > 0) {
				uint8_t kv = r_byte(r);
				enum sl_tc_type k = (enum sl_tc_type)(kv >> 4);
				enum sl_tc_type v = (enum sl_tc_type)(kv & 0x0F);
				if (!r->rc && (k == SL_TC_STOP || k > SL_TC_STRUCT ||
					       v == SL_TC_STOP || v > SL_TC_STRUCT))
					sl_tc_r_fail(r, "map header 0x%02x has an invalid type", kv);
				if (!r->rc && n > r_left(r) / (min_size(k) + min_size(v)))
					sl_tc_r_fail(r, "map of %llu entries cannot fit in the %zu "
						     "bytes left", (unsigned long long)n,
						     r_left(r));
				for (uint64_t i = 0; i < n && !r->rc; i++) {
					skip(r, k, true);
					skip(r, v, true);
				}
			}
		} else {
			enum sl_tc_type e;
			uint32_t n = sl_tc_r_list_begin(r, type, &e);
			for (uint32_t i = 0; i < n && !r->rc; i++)
				skip(r, e, true);
		}
		r->depth--;
		return;
	}
	default:
		sl_tc_r_fail(r, "cannot skip a value of invalid type %d", (int)type);
	}
}

void sl_tc_r_skip(struct sl_tc_r *r, enum sl_tc_type type)
{
	skip(r, type, false);
}
