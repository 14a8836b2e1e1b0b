/*
 * thrift.h - the Thrift compact protocol, as much of it as Parquet's metadata needs,
 * written here (no Thrift library). The encoder appends to a growable buffer; the
 * decoder reads a byte range that it never leaves: every varint, length, list size and
 * nesting level is checked against the bytes left and against the limits below, so a
 * corrupt footer or page header is an SL_ECORRUPT with the byte offset, never an
 * out-of-bounds read, a huge allocation or deep recursion.
 */
#ifndef SL_PQ_THRIFT_H
#define SL_PQ_THRIFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

/* Compact protocol type ids. */
enum sl_tc_type {
	SL_TC_STOP = 0,
	SL_TC_TRUE = 1, /* a bool field's value is in its type id */
	SL_TC_FALSE = 2,
	SL_TC_I8 = 3,
	SL_TC_I16 = 4,
	SL_TC_I32 = 5,
	SL_TC_I64 = 6,
	SL_TC_DOUBLE = 7,
	SL_TC_BINARY = 8,
	SL_TC_LIST = 9,
	SL_TC_SET = 10,
	SL_TC_MAP = 11,
	SL_TC_STRUCT = 12,
};

#define SL_TC_MAX_DEPTH 64

/* ---- encoder -------------------------------------------------------------------------
 * Usage: sl_tc_w_init; for each field sl_tc_w_field_*(w, id, value) in increasing id
 * order; nested structs between sl_tc_w_struct_begin(w, id) and sl_tc_w_struct_end(w);
 * lists with sl_tc_w_list_begin(w, id, elem_type, n) then n bare elements
 * (sl_tc_w_i32/i64/binary, or sl_tc_w_struct_begin(w, 0) ... end for struct elements);
 * the top-level struct ends with sl_tc_w_stop. Errors (out of memory, buffer max) are
 * sticky: check sl_tc_w_finish once at the end. */
struct sl_tc_w {
	struct sl_buf *out; /* borrowed */
	int16_t last_id[SL_TC_MAX_DEPTH];
	int depth;
	int rc; /* first error, 0 if none */
};

void sl_tc_w_init(struct sl_tc_w *w, struct sl_buf *out);
void sl_tc_w_field_bool(struct sl_tc_w *w, int16_t id, bool v);
void sl_tc_w_field_i8(struct sl_tc_w *w, int16_t id, int8_t v);   /* a raw byte */
void sl_tc_w_field_i16(struct sl_tc_w *w, int16_t id, int16_t v); /* readers skip an i16
								     * field sent as i32 */
void sl_tc_w_field_i32(struct sl_tc_w *w, int16_t id, int32_t v);
void sl_tc_w_field_i64(struct sl_tc_w *w, int16_t id, int64_t v);
void sl_tc_w_field_double(struct sl_tc_w *w, int16_t id, double v);
void sl_tc_w_field_binary(struct sl_tc_w *w, int16_t id, const void *p, size_t len);
void sl_tc_w_struct_begin(struct sl_tc_w *w, int16_t id); /* id 0: a list element */
void sl_tc_w_struct_end(struct sl_tc_w *w);
void sl_tc_w_list_begin(struct sl_tc_w *w, int16_t id, enum sl_tc_type elem, uint32_t n);
void sl_tc_w_bool(struct sl_tc_w *w, bool v); /* bare list elements (list_begin with
					       * SL_TC_TRUE as the element type for bools) */
void sl_tc_w_i32(struct sl_tc_w *w, int32_t v);
void sl_tc_w_i64(struct sl_tc_w *w, int64_t v);
void sl_tc_w_binary(struct sl_tc_w *w, const void *p, size_t len);
void sl_tc_w_stop(struct sl_tc_w *w); /* ends the top-level struct */
int sl_tc_w_finish(struct sl_tc_w *w, struct sl_err *err);

/* ---- decoder ------------------------------------------------------------------------
 * Usage: sl_tc_r_init puts the reader inside the top-level struct: loop on
 * sl_tc_r_field until it returns false, reading each value or skipping it; a nested
 * struct is sl_tc_r_struct_begin, the same loop, sl_tc_r_struct_end; a list is
 * sl_tc_r_list_begin then that many bare elements read with the element type. */
struct sl_tc_r {
	const uint8_t *base; /* start of the range (offsets in messages are from here) */
	const uint8_t *p;
	const uint8_t *end;
	int16_t last_id[SL_TC_MAX_DEPTH];
	int depth;
	uint32_t max_list;   /* most elements one list may declare (default 1<<24) */
	size_t max_binary;   /* longest binary/string (default 64 MiB) */
	struct sl_err *err;  /* borrowed; filled on the first error */
	int rc;              /* first error (sticky), 0 if none */
	const char *what;    /* what is being decoded, for messages ("file metadata") */
};

void sl_tc_r_init(struct sl_tc_r *r, const void *p, size_t len, const char *what,
		  struct sl_err *err);
/* Reads the next field header of the current struct: returns false at STOP (or on an
 * error: check r->rc); else sets *id and *type (SL_TC_TRUE/FALSE for bools). */
bool sl_tc_r_field(struct sl_tc_r *r, int16_t *id, enum sl_tc_type *type);
/* Value readers for the field just announced (type must match; a mismatch is an error
 * naming the field). */
bool sl_tc_r_bool(struct sl_tc_r *r, enum sl_tc_type type);
/* A bool list element (a byte of its own; elem is SL_TC_TRUE or SL_TC_FALSE). */
bool sl_tc_r_bool_elem(struct sl_tc_r *r);
int32_t sl_tc_r_i32(struct sl_tc_r *r, enum sl_tc_type type); /* accepts I8/I16/I32 */
int64_t sl_tc_r_i64(struct sl_tc_r *r, enum sl_tc_type type); /* accepts I8..I64 */
double sl_tc_r_double(struct sl_tc_r *r, enum sl_tc_type type);
/* Points into the range (borrowed, not NUL-terminated). */
const uint8_t *sl_tc_r_binary(struct sl_tc_r *r, enum sl_tc_type type, size_t *len);
void sl_tc_r_struct_begin(struct sl_tc_r *r, enum sl_tc_type type);
void sl_tc_r_struct_end(struct sl_tc_r *r); /* after sl_tc_r_field returned false */
/* Returns the element count (0 on error) and sets *elem. */
uint32_t sl_tc_r_list_begin(struct sl_tc_r *r, enum sl_tc_type type, enum sl_tc_type *elem);
/* Skips a value of any type (unknown fields), depth limited. */
void sl_tc_r_skip(struct sl_tc_r *r, enum sl_tc_type type);
/* Marks the decode failed with a message ("file metadata: offset 17: ..."). */
void sl_tc_r_fail(struct sl_tc_r *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The same with another code (SL_ELIMIT when a limit, not the data, is the problem). */
void sl_tc_r_fail_code(struct sl_tc_r *r, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
size_t sl_tc_r_offset(const struct sl_tc_r *r);
/* "i32", "binary", ... for messages. */
const char *sl_tc_type_name(enum sl_tc_type t);

#endif
