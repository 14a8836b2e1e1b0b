/*
 * fuzz_pqmeta.c - libFuzzer harness for Parquet's metadata decoders (src/parquet/format.c
 * over src/parquet/thrift.c). The input is given as it is to the footer, page header,
 * column index and offset index decoders (libFuzzer's buffer has exactly its size, so a
 * read past the end is caught), and:
 *   1. a failure is SL_ECORRUPT or SL_ELIMIT (SL_ENOMEM aside) with a message, and leaves
 *      the struct released;
 *   2. what decodes has its byte fields inside the input and its arrays where it says;
 *      a page header used no more bytes than it was given;
 *   3. what decodes and can be encoded (SL_EINVAL is the only refusal allowed) decodes
 *      again, and encodes again to the very same bytes;
 *   4. a generic skip over the input ends, with any result.
 * Never a crash, a leak, a hang or an allocation the input does not justify.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parquet/format.h"
#include "parquet/thrift.h"

static void die(const char *what, const char *why)
{
	fprintf(stderr, "fuzz_pqmeta: %s: %s\n", what, why);
	abort();
}

static const uint8_t *lo, *hi; /* the input */

static void in_input(const char *what, struct sl_pq_bytes b)
{
	if (b.p && (b.p < lo || b.p + b.len > hi))
		die(what, "a decoded byte field points outside the input");
}

static void check_failure(const char *what, int rc, const struct sl_err *err)
{
	if (rc != SL_ECORRUPT && rc != SL_ELIMIT && rc != SL_ENOMEM)
		die(what, "a failure with an unexpected code");
	if (err->msg[0] == '\0' || err->code != rc)
		die(what, "a failure without its message");
}

/* encode(x) must succeed or refuse with EINVAL; what it writes must decode again and
 * encode to the same bytes. */
#define ROUNDTRIP(what, type, x, encode, decode, release)                                  \
	do {                                                                               \
		struct sl_buf b1, b2;                                                      \
		struct sl_err e1 = {0};                                                    \
		sl_buf_init(&b1, 0);                                                       \
		sl_buf_init(&b2, 0);                                                       \
		int rc1 = encode(x, &b1, &e1);                                             \
		if (rc1 != 0 && rc1 != SL_EINVAL)                                          \
			die(what, "encode failed other than by refusing");                 \
		if (rc1 == 0) {                                                            \
			type y;                                                            \
			if (decode(b1.data, b1.len, &y, &e1) != 0)                          \
				die(what, e1.msg);                                         \
			if (encode(&y, &b2, &e1) != 0)                                     \
				die(what, "the second encode failed");                     \
			if (b1.len != b2.len || memcmp(b1.data, b2.data, b1.len) != 0)     \
				die(what, "encode(decode(encode(x))) != encode(x)");       \
			release(&y);                                                       \
		}                                                                          \
		sl_buf_release(&b1);                                                       \
		sl_buf_release(&b2);                                                       \
	} while (0)

static int page_decode(const void *p, size_t len, struct sl_pq_page_header *h,
		       struct sl_err *err)
{
	return sl_pq_page_header_decode(p, len, h, NULL, err);
}

static void page_release(struct sl_pq_page_header *h)
{
	(void)h;
}

static void check_meta(const struct sl_pq_file_meta *m)
{
	if ((m->n_schema && !m->schema) || (m->n_row_groups && !m->row_groups) ||
	    (m->n_kv && !m->kv) || (m->n_column_orders && !m->column_orders_typed))
		die("file metadata", "an array missing for its count");
	in_input("created_by", m->created_by);
	for (size_t i = 0; i < m->n_schema; i++)
		in_input("schema name", m->schema[i].name);
	for (size_t g = 0; g < m->n_row_groups; g++) {
		const struct sl_pq_row_group *rg = &m->row_groups[g];
		if (rg->n_columns && !rg->columns)
			die("row group", "columns missing for their count");
		for (size_t c = 0; c < rg->n_columns; c++) {
			const struct sl_pq_column_meta *cm = &rg->columns[c].meta;
			for (size_t i = 0; i < cm->n_path; i++)
				in_input("path", cm->path[i]);
			in_input("min_value", cm->stats.min_value);
			in_input("max_value", cm->stats.max_value);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	lo = data;
	hi = data + size;
	struct sl_err err = {0};

	struct sl_pq_file_meta m;
	int rc = sl_pq_file_meta_decode(data, size, &m, &err);
	if (rc == 0) {
		check_meta(&m);
		ROUNDTRIP("file metadata", struct sl_pq_file_meta, &m, sl_pq_file_meta_encode,
			  sl_pq_file_meta_decode, sl_pq_file_meta_release);
		sl_pq_file_meta_release(&m);
	} else {
		check_failure("file metadata", rc, &err);
		if (m.arena || m.schema || m.row_groups)
			die("file metadata", "not released after a failure");
	}

	struct sl_pq_page_header h;
	size_t used = 0;
	rc = sl_pq_page_header_decode(data, size, &h, &used, &err);
	if (rc == 0) {
		if (used > size || used == 0)
			die("page header", "used more bytes than it was given");
		in_input("page min_value", h.data.stats.min_value);
		ROUNDTRIP("page header", struct sl_pq_page_header, &h, sl_pq_page_header_encode,
			  page_decode, page_release);
	} else {
		check_failure("page header", rc, &err);
	}

	struct sl_pq_column_index ci;
	rc = sl_pq_column_index_decode(data, size, &ci, &err);
	if (rc == 0) {
		for (size_t i = 0; i < ci.n_pages; i++) {
			in_input("column index min", ci.min_values[i]);
			in_input("column index max", ci.max_values[i]);
		}
		ROUNDTRIP("column index", struct sl_pq_column_index, &ci,
			  sl_pq_column_index_encode, sl_pq_column_index_decode,
			  sl_pq_column_index_release);
		sl_pq_column_index_release(&ci);
	} else {
		check_failure("column index", rc, &err);
	}

	struct sl_pq_offset_index oi;
	rc = sl_pq_offset_index_decode(data, size, &oi, &err);
	if (rc == 0) {
		ROUNDTRIP("offset index", struct sl_pq_offset_index, &oi,
			  sl_pq_offset_index_encode, sl_pq_offset_index_decode,
			  sl_pq_offset_index_release);
		sl_pq_offset_index_release(&oi);
	} else {
		check_failure("offset index", rc, &err);
	}

	/* any struct, skipped field by field with tight limits */
	struct sl_tc_r r;
	sl_tc_r_init(&r, data, size, "fuzz", &err);
	r.max_list = 64;
	r.max_binary = 64;
	int16_t id;
	enum sl_tc_type t;
	size_t fields = 0;
	while (sl_tc_r_field(&r, &id, &t)) {
		sl_tc_r_skip(&r, t);
		if (++fields > size)
			die("skip", "more fields than bytes: the walk does not end");
	}
	if (r.rc && err.msg[0] == '\0')
		die("skip", "an error without a message");
	return 0;
}
