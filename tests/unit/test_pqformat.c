/*
 * test_pqformat.c - Parquet's metadata structs (src/parquet/format.c):
 *   1. every field format.h has survives encode then decode (a footer, page headers of
 *      the three kinds, a column index and an offset index with every field set), and
 *      a page header encodes to the bytes other writers produce;
 *   2. every footer of the parquet-testing corpus decodes, and agrees with the README's
 *      per-file table (made by reading the footers with other tools): rows, pages of each
 *      kind found by walking the column chunks' page headers, page index, bloom filter,
 *      CRC, exactness flags, column key/value metadata, sorting columns, legacy
 *      statistics; each offset index matches the pages the walk found; each footer
 *      re-encodes to metadata that decodes equal (or is refused when it holds what we
 *      cannot write); writer quirks are read as the README says they should be;
 *   3. hostile metadata fails with the promised code and message: missing required
 *      fields, wrong wire types, negative sizes, unions with two members, page index
 *      lists that disagree, counts the bytes cannot hold, and a footer built to make
 *      the decoder allocate far more than its size (SL_ELIMIT); every prefix of a
 *      footer fails and no single-byte change of one crashes or leaks;
 *   4. the encoder refuses what it cannot write and leaves the output as it was.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "parquet/format.h"
#include "parquet/thrift.h"
#include "types/types.h"

/* ---- comparing decoded structs ------------------------------------------------------- */

static const char *ctx = "";

#define EQ(a, b)                                                                           \
	do {                                                                               \
		long long a_ = (long long)(a), b_ = (long long)(b);                        \
		if (a_ != b_)                                                              \
			fail_msg("%s: %s: %lld != %lld", ctx, #a, a_, b_);                 \
	} while (0)

static void eq_bytes(struct sl_pq_bytes a, struct sl_pq_bytes b, const char *what)
{
	if ((a.p == NULL) != (b.p == NULL) || a.len != b.len ||
	    (a.len && memcmp(a.p, b.p, a.len) != 0))
		fail_msg("%s: %s differs", ctx, what);
}

static void eq_stats(const struct sl_pq_stats *a, const struct sl_pq_stats *b)
{
	EQ(a->present, b->present);
	eq_bytes(a->min_value, b->min_value, "min_value");
	eq_bytes(a->max_value, b->max_value, "max_value");
	eq_bytes(a->min, b->min, "min");
	eq_bytes(a->max, b->max, "max");
	EQ(a->null_count, b->null_count);
	EQ(a->distinct_count, b->distinct_count);
	EQ(a->is_min_exact, b->is_min_exact);
	EQ(a->is_max_exact, b->is_max_exact);
}

static void eq_kvs(const struct sl_pq_kv *a, size_t na, const struct sl_pq_kv *b, size_t nb)
{
	EQ(na, nb);
	for (size_t i = 0; i < na; i++) {
		eq_bytes(a[i].key, b[i].key, "kv key");
		eq_bytes(a[i].value, b[i].value, "kv value");
	}
}

static void eq_schema(const struct sl_pq_schema_elem *a, const struct sl_pq_schema_elem *b)
{
	EQ(a->type, b->type);
	EQ(a->type_length, b->type_length);
	EQ(a->repetition, b->repetition);
	eq_bytes(a->name, b->name, "name");
	EQ(a->num_children, b->num_children);
	EQ(a->converted, b->converted);
	EQ(a->scale, b->scale);
	EQ(a->precision, b->precision);
	EQ(a->field_id, b->field_id);
	EQ(a->logical.kind, b->logical.kind);
	EQ(a->logical.scale, b->logical.scale);
	EQ(a->logical.precision, b->logical.precision);
	EQ(a->logical.utc_adjusted, b->logical.utc_adjusted);
	EQ(a->logical.unit, b->logical.unit);
	EQ(a->logical.bit_width, b->logical.bit_width);
	EQ(a->logical.is_signed, b->logical.is_signed);
}

static void eq_chunk(const struct sl_pq_column_chunk *a, const struct sl_pq_column_chunk *b)
{
	eq_bytes(a->file_path, b->file_path, "file_path");
	EQ(a->file_offset, b->file_offset);
	EQ(a->has_meta, b->has_meta);
	EQ(a->offset_index_offset, b->offset_index_offset);
	EQ(a->offset_index_length, b->offset_index_length);
	EQ(a->column_index_offset, b->column_index_offset);
	EQ(a->column_index_length, b->column_index_length);
	EQ(a->encrypted, b->encrypted);
	const struct sl_pq_column_meta *x = &a->meta, *y = &b->meta;
	EQ(x->type, y->type);
	EQ(x->n_encodings, y->n_encodings);
	for (size_t i = 0; i < x->n_encodings; i++)
		EQ(x->encodings[i], y->encodings[i]);
	EQ(x->n_path, y->n_path);
	for (size_t i = 0; i < x->n_path; i++)
		eq_bytes(x->path[i], y->path[i], "path");
	EQ(x->codec, y->codec);
	EQ(x->num_values, y->num_values);
	EQ(x->total_uncompressed_size, y->total_uncompressed_size);
	EQ(x->total_compressed_size, y->total_compressed_size);
	eq_kvs(x->kv, x->n_kv, y->kv, y->n_kv);
	EQ(x->data_page_offset, y->data_page_offset);
	EQ(x->index_page_offset, y->index_page_offset);
	EQ(x->dictionary_page_offset, y->dictionary_page_offset);
	eq_stats(&x->stats, &y->stats);
	EQ(x->bloom_filter_offset, y->bloom_filter_offset);
	EQ(x->bloom_filter_length, y->bloom_filter_length);
}

static void eq_meta(const struct sl_pq_file_meta *a, const struct sl_pq_file_meta *b)
{
	EQ(a->version, b->version);
	EQ(a->num_rows, b->num_rows);
	EQ(a->encrypted, b->encrypted);
	eq_bytes(a->created_by, b->created_by, "created_by");
	eq_kvs(a->kv, a->n_kv, b->kv, b->n_kv);
	EQ(a->n_schema, b->n_schema);
	for (size_t i = 0; i < a->n_schema; i++)
		eq_schema(&a->schema[i], &b->schema[i]);
	EQ(a->n_column_orders, b->n_column_orders);
	for (size_t i = 0; i < a->n_column_orders; i++)
		EQ(a->column_orders_typed[i], b->column_orders_typed[i]);
	EQ(a->n_row_groups, b->n_row_groups);
	for (size_t g = 0; g < a->n_row_groups; g++) {
		const struct sl_pq_row_group *x = &a->row_groups[g], *y = &b->row_groups[g];
		EQ(x->total_byte_size, y->total_byte_size);
		EQ(x->num_rows, y->num_rows);
		EQ(x->file_offset, y->file_offset);
		EQ(x->total_compressed_size, y->total_compressed_size);
		EQ(x->ordinal, y->ordinal);
		EQ(x->n_sorting, y->n_sorting);
		for (size_t i = 0; i < x->n_sorting; i++) {
			EQ(x->sorting[i].column_idx, y->sorting[i].column_idx);
			EQ(x->sorting[i].descending, y->sorting[i].descending);
			EQ(x->sorting[i].nulls_first, y->sorting[i].nulls_first);
		}
		EQ(x->n_columns, y->n_columns);
		for (size_t i = 0; i < x->n_columns; i++)
			eq_chunk(&x->columns[i], &y->columns[i]);
	}
}

static void eq_page_header(const struct sl_pq_page_header *a,
			   const struct sl_pq_page_header *b)
{
	EQ(a->type, b->type);
	EQ(a->uncompressed_size, b->uncompressed_size);
	EQ(a->compressed_size, b->compressed_size);
	EQ(a->has_crc, b->has_crc);
	EQ(a->crc, b->crc);
	EQ(a->has_data, b->has_data);
	EQ(a->has_data_v2, b->has_data_v2);
	EQ(a->has_dict, b->has_dict);
	EQ(a->data.num_values, b->data.num_values);
	EQ(a->data.encoding, b->data.encoding);
	EQ(a->data.def_encoding, b->data.def_encoding);
	EQ(a->data.rep_encoding, b->data.rep_encoding);
	eq_stats(&a->data.stats, &b->data.stats);
	EQ(a->data_v2.num_values, b->data_v2.num_values);
	EQ(a->data_v2.num_nulls, b->data_v2.num_nulls);
	EQ(a->data_v2.num_rows, b->data_v2.num_rows);
	EQ(a->data_v2.encoding, b->data_v2.encoding);
	EQ(a->data_v2.def_levels_len, b->data_v2.def_levels_len);
	EQ(a->data_v2.rep_levels_len, b->data_v2.rep_levels_len);
	EQ(a->data_v2.is_compressed, b->data_v2.is_compressed);
	eq_stats(&a->data_v2.stats, &b->data_v2.stats);
	EQ(a->dict.num_values, b->dict.num_values);
	EQ(a->dict.encoding, b->dict.encoding);
	EQ(a->dict.is_sorted, b->dict.is_sorted);
}

/* ---- 1. every field survives a round trip -------------------------------------------- */

#define BYTES(s) ((struct sl_pq_bytes){(const uint8_t *)(s), sizeof(s) - 1})

static struct sl_pq_stats full_stats(void)
{
	struct sl_pq_stats s = {
		.present = true,
		.min_value = BYTES("\x01\x00\x00\x00"),
		.max_value = BYTES("\xff\xff\xff\x7f"),
		.min = BYTES("a"),
		.max = BYTES(""), /* empty but present */
		.null_count = 0,  /* zero is present: readers must tell it from absent */
		.distinct_count = 1234567890123,
		.is_min_exact = 1,
		.is_max_exact = 0,
	};
	return s;
}

static struct sl_pq_stats absent_stats(void)
{
	struct sl_pq_stats s = {.null_count = -1, .distinct_count = -1,
				.is_min_exact = -1, .is_max_exact = -1};
	return s;
}

static struct sl_pq_schema_elem elem(const char *name, int32_t type, int32_t rep)
{
	struct sl_pq_schema_elem e = {
		.type = type, .repetition = rep, .converted = -1, .scale = -1,
		.precision = -1, .field_id = -1,
		.name = {(const uint8_t *)name, (uint32_t)strlen(name)},
	};
	return e;
}

/* A footer with every field format.h has, most of them away from their defaults. */
static void rich_meta(struct sl_pq_file_meta *m)
{
	static struct sl_pq_schema_elem schema[12];
	static int32_t enc[] = {SL_PQ_ENC_PLAIN, SL_PQ_ENC_RLE, SL_PQ_ENC_RLE_DICTIONARY};
	static struct sl_pq_bytes path[] = {BYTES("s"), BYTES("d")};
	static struct sl_pq_kv kv[] = {{BYTES("k1"), BYTES("v1")}, {BYTES("no value"), {0}},
				       {BYTES(""), BYTES("")}};
	static struct sl_pq_column_chunk cols[2];
	static struct sl_pq_sorting_column sorting[] = {{1, true, false}, {0, false, true}};
	static struct sl_pq_row_group rgs[2];
	static bool orders[10];
	size_t n = 0;
	schema[n] = elem("root", -1, -1);
	schema[n++].num_children = 10;
	schema[n] = elem("s", -1, SL_PQ_OPTIONAL);
	schema[n].num_children = 1;
	schema[n].field_id = 7;
	schema[n++].logical.kind = SL_PQ_LT_MAP; /* parameterless kinds write an empty struct */
	schema[n] = elem("d", SL_PQ_FIXED_LEN_BYTE_ARRAY, SL_PQ_REQUIRED);
	schema[n].type_length = 11;
	schema[n].converted = SL_PQ_CT_DECIMAL;
	schema[n].scale = 2;
	schema[n].precision = 25;
	schema[n].logical = (struct sl_pq_logical_type){.kind = SL_PQ_LT_DECIMAL, .scale = 2,
							.precision = 25};
	n++;
	schema[n] = elem("t", SL_PQ_INT64, SL_PQ_OPTIONAL);
	schema[n++].logical = (struct sl_pq_logical_type){
		.kind = SL_PQ_LT_TIMESTAMP, .utc_adjusted = true, .unit = SL_TU_NANOS};
	schema[n] = elem("tm", SL_PQ_INT32, SL_PQ_OPTIONAL);
	schema[n].converted = SL_PQ_CT_TIME_MILLIS;
	schema[n++].logical = (struct sl_pq_logical_type){.kind = SL_PQ_LT_TIME,
							  .unit = SL_TU_MILLIS};
	schema[n] = elem("u16", SL_PQ_INT32, SL_PQ_REPEATED);
	schema[n].converted = SL_PQ_CT_UINT_16;
	schema[n++].logical = (struct sl_pq_logical_type){.kind = SL_PQ_LT_INTEGER,
							  .bit_width = 16};
	schema[n] = elem("i64", SL_PQ_INT64, SL_PQ_REQUIRED);
	schema[n++].logical = (struct sl_pq_logical_type){.kind = SL_PQ_LT_INTEGER,
							  .bit_width = 64, .is_signed = true};
	schema[n] = elem("str", SL_PQ_BYTE_ARRAY, SL_PQ_OPTIONAL);
	schema[n].converted = SL_PQ_CT_UTF8;
	schema[n++].logical.kind = SL_PQ_LT_STRING;
	schema[n] = elem("id", SL_PQ_FIXED_LEN_BYTE_ARRAY, SL_PQ_OPTIONAL);
	schema[n].type_length = 16;
	schema[n++].logical.kind = SL_PQ_LT_UUID;
	schema[n] = elem("f16", SL_PQ_FIXED_LEN_BYTE_ARRAY, SL_PQ_OPTIONAL);
	schema[n].type_length = 2;
	schema[n++].logical.kind = SL_PQ_LT_FLOAT16;
	schema[n] = elem("", SL_PQ_BOOLEAN, SL_PQ_OPTIONAL); /* an empty name is still a name */
	schema[n++].field_id = 0;
	schema[n++] = elem("bin", SL_PQ_BYTE_ARRAY, SL_PQ_OPTIONAL);
	assert_int_equal(n, 12);

	struct sl_pq_column_chunk c = {
		.file_path = {0},
		.file_offset = 4,
		.has_meta = true,
		.meta = {
			.type = SL_PQ_FIXED_LEN_BYTE_ARRAY,
			.encodings = enc, .n_encodings = 3,
			.path = path, .n_path = 2,
			.codec = SL_PQ_ZSTD,
			.num_values = 3000000000LL,
			.total_uncompressed_size = 5000000000LL,
			.total_compressed_size = 123,
			.kv = kv, .n_kv = 3,
			.data_page_offset = 40,
			.index_page_offset = 30,
			.dictionary_page_offset = 4,
			.stats = full_stats(),
			.bloom_filter_offset = 9000,
			.bloom_filter_length = 77,
		},
		.offset_index_offset = 100, .offset_index_length = 20,
		.column_index_offset = 120, .column_index_length = 30,
	};
	cols[0] = c;
	/* the second: everything optional absent, but an (odd) file_path */
	memset(&c, 0, sizeof(c));
	c.file_path = BYTES("other.parquet");
	c.file_offset = 0;
	c.has_meta = false;
	c.offset_index_offset = c.column_index_offset = -1;
	c.offset_index_length = c.column_index_length = -1;
	c.meta.index_page_offset = c.meta.dictionary_page_offset = -1;
	c.meta.bloom_filter_offset = -1;
	c.meta.bloom_filter_length = -1;
	c.meta.stats = absent_stats();
	cols[1] = c;

	rgs[0] = (struct sl_pq_row_group){
		.columns = cols, .n_columns = 2, .total_byte_size = 999, .num_rows = 3000000000LL,
		.sorting = sorting, .n_sorting = 2, .file_offset = 4,
		.total_compressed_size = 500, .ordinal = 0,
	};
	rgs[1] = (struct sl_pq_row_group){
		.columns = cols, .n_columns = 1, .total_byte_size = 0, .num_rows = 0,
		.file_offset = -1, .total_compressed_size = -1, .ordinal = INT16_MAX,
	};
	for (size_t i = 0; i < 10; i++)
		orders[i] = true;
	memset(m, 0, sizeof(*m));
	m->version = 2;
	m->schema = schema;
	m->n_schema = n;
	m->num_rows = 3000000000LL;
	m->row_groups = rgs;
	m->n_row_groups = 2;
	m->kv = kv;
	m->n_kv = 2;
	m->created_by = BYTES("sluice version 0.1.0");
	m->column_orders_typed = orders;
	m->n_column_orders = 10;
}

static void encode_meta(const struct sl_pq_file_meta *m, struct sl_buf *out)
{
	struct sl_err err = {0};
	sl_buf_init(out, 0);
	if (sl_pq_file_meta_encode(m, out, &err) != 0)
		fail_msg("encode: %s", err.msg);
}

static void t_meta_roundtrip(void **state)
{
	(void)state;
	struct sl_pq_file_meta m, d;
	rich_meta(&m);
	struct sl_buf b;
	encode_meta(&m, &b);
	struct sl_err err = {0};
	if (sl_pq_file_meta_decode(b.data, b.len, &d, &err) != 0)
		fail_msg("decode: %s", err.msg);
	ctx = "rich footer";
	eq_meta(&m, &d);
	/* decoded bytes point into the buffer that was decoded */
	assert_true(d.created_by.p >= (const uint8_t *)b.data &&
		    d.created_by.p < (const uint8_t *)b.data + b.len);
	sl_pq_file_meta_release(&d);
	sl_pq_file_meta_release(&d); /* released structs are zeroed: twice is harmless */
	sl_pq_file_meta_release(NULL);
	sl_buf_release(&b);
}

static void t_page_roundtrip(void **state)
{
	(void)state;
	struct sl_pq_page_header h[3];
	memset(h, 0, sizeof(h));
	h[0].type = SL_PQ_DATA_PAGE;
	h[0].uncompressed_size = 1 << 20;
	h[0].compressed_size = 77;
	h[0].has_crc = true;
	h[0].crc = 0xdeadbeef; /* negative as an i32 on the wire */
	h[0].has_data = true;
	h[0].data = (struct sl_pq_data_page_header){1000, SL_PQ_ENC_RLE_DICTIONARY, SL_PQ_ENC_RLE,
						    SL_PQ_ENC_BIT_PACKED, full_stats()};
	h[0].data_v2.stats = absent_stats();
	h[1].type = SL_PQ_DATA_PAGE_V2;
	h[1].uncompressed_size = 10;
	h[1].compressed_size = 9;
	h[1].has_data_v2 = true;
	h[1].data_v2 = (struct sl_pq_data_page_header_v2){5, 2, 3, SL_PQ_ENC_DELTA_BINARY_PACKED,
							  7, 1, false, absent_stats()};
	h[1].data.stats = absent_stats();
	h[2].type = SL_PQ_DICTIONARY_PAGE;
	h[2].has_dict = true;
	h[2].dict = (struct sl_pq_dict_page_header){3, SL_PQ_ENC_PLAIN, true};
	h[2].data.stats = h[2].data_v2.stats = absent_stats();
	for (int i = 0; i < 3; i++) {
		struct sl_buf b;
		sl_buf_init(&b, 0);
		struct sl_err err = {0};
		assert_int_equal(sl_pq_page_header_encode(&h[i], &b, &err), 0);
		/* page headers are followed by the page: the decoder stops at STOP */
		assert_int_equal(sl_buf_append(&b, "PAGE", 4), 0);
		struct sl_pq_page_header d;
		size_t used = 0;
		if (sl_pq_page_header_decode(b.data, b.len, &d, &used, &err) != 0)
			fail_msg("decode: %s", err.msg);
		assert_int_equal(used, b.len - 4);
		ctx = "page header";
		eq_page_header(&h[i], &d);
		sl_buf_release(&b);
	}
}

/* The empty dictionary page header Arrow wrote into column_chunk_key_value_metadata
 * (offset 4): we decode it and write the very same bytes. */
static void t_page_header_bytes(void **state)
{
	(void)state;
	static const uint8_t arrow[] = {0x15, 0x04, 0x15, 0x00, 0x15, 0x00, 0x4c, 0x15, 0x00,
					0x15, 0x00, 0x12, 0x00, 0x00};
	struct sl_pq_page_header h;
	size_t used;
	struct sl_err err = {0};
	assert_int_equal(sl_pq_page_header_decode(arrow, sizeof(arrow), &h, &used, &err), 0);
	assert_int_equal(used, sizeof(arrow));
	assert_int_equal(h.type, SL_PQ_DICTIONARY_PAGE);
	assert_true(h.has_dict && !h.has_data && !h.has_data_v2 && !h.has_crc);
	assert_int_equal(h.dict.num_values, 0);
	assert_false(h.dict.is_sorted);
	struct sl_buf b;
	sl_buf_init(&b, 0);
	assert_int_equal(sl_pq_page_header_encode(&h, &b, &err), 0);
	assert_int_equal(b.len, sizeof(arrow));
	assert_memory_equal(b.data, arrow, sizeof(arrow));
	sl_buf_release(&b);

	/* a v2 page header without is_compressed: the default is true */
	static const uint8_t v2[] = {0x15, 0x06, 0x15, 0x0a, 0x15, 0x0a, 0x5c, 0x15, 0x02,
				     0x15, 0x00, 0x15, 0x02, 0x15, 0x00, 0x15, 0x00, 0x15, 0x00,
				     0x00, 0x00};
	assert_int_equal(sl_pq_page_header_decode(v2, sizeof(v2), &h, &used, &err), 0);
	assert_int_equal(used, sizeof(v2));
	assert_true(h.has_data_v2);
	assert_int_equal(h.data_v2.num_values, 1);
	assert_int_equal(h.data_v2.num_rows, 1);
	assert_true(h.data_v2.is_compressed);
	assert_false(h.data_v2.stats.present);
	assert_int_equal(h.data_v2.stats.null_count, -1);
}

static void t_page_index_roundtrip(void **state)
{
	(void)state;
	bool nulls[20];
	struct sl_pq_bytes mins[20], maxs[20];
	int64_t counts[20];
	for (int i = 0; i < 20; i++) { /* 20 pages: long list headers */
		nulls[i] = i % 3 == 0;
		mins[i] = nulls[i] ? BYTES("") : BYTES("min");
		maxs[i] = nulls[i] ? BYTES("") : BYTES("\xff\x00max");
		counts[i] = i * 1000;
	}
	counts[7] = -1; /* unknown, as some writers put it */
	struct sl_pq_column_index ci = {nulls, 20, mins, maxs, SL_PQ_DESCENDING, counts, NULL};
	struct sl_buf b;
	sl_buf_init(&b, 0);
	struct sl_err err = {0};
	assert_int_equal(sl_pq_column_index_encode(&ci, &b, &err), 0);
	struct sl_pq_column_index d;
	if (sl_pq_column_index_decode(b.data, b.len, &d, &err) != 0)
		fail_msg("%s", err.msg);
	ctx = "column index";
	EQ(d.n_pages, 20);
	EQ(d.boundary_order, SL_PQ_DESCENDING);
	assert_non_null(d.null_counts);
	for (int i = 0; i < 20; i++) {
		EQ(d.null_pages[i], nulls[i]);
		eq_bytes(d.min_values[i], mins[i], "min_values");
		eq_bytes(d.max_values[i], maxs[i], "max_values");
		EQ(d.null_counts[i], counts[i]);
	}
	sl_pq_column_index_release(&d);

	/* without null counts, which must read as absent, not as zeros */
	ci.null_counts = NULL;
	sl_buf_reset(&b);
	assert_int_equal(sl_pq_column_index_encode(&ci, &b, &err), 0);
	assert_int_equal(sl_pq_column_index_decode(b.data, b.len, &d, &err), 0);
	assert_null(d.null_counts);
	sl_pq_column_index_release(&d);

	struct sl_pq_page_location locs[3] = {{4, 100, 0}, {104, 2000000, 10},
					       {((int64_t)1 << 40), 5, 3000000000LL}};
	struct sl_pq_offset_index oi = {locs, 3, NULL};
	sl_buf_reset(&b);
	assert_int_equal(sl_pq_offset_index_encode(&oi, &b, &err), 0);
	struct sl_pq_offset_index od;
	assert_int_equal(sl_pq_offset_index_decode(b.data, b.len, &od, &err), 0);
	ctx = "offset index";
	EQ(od.n_pages, 3);
	for (int i = 0; i < 3; i++) {
		EQ(od.pages[i].offset, locs[i].offset);
		EQ(od.pages[i].compressed_size, locs[i].compressed_size);
		EQ(od.pages[i].first_row, locs[i].first_row);
	}
	sl_pq_offset_index_release(&od);
	sl_buf_release(&b);
}

static void t_names(void **state)
{
	(void)state;
	assert_string_equal(sl_pq_type_name(SL_PQ_FIXED_LEN_BYTE_ARRAY), "FIXED_LEN_BYTE_ARRAY");
	assert_string_equal(sl_pq_type_name(8), "UNKNOWN");
	assert_string_equal(sl_pq_type_name(-1), "UNKNOWN");
	assert_string_equal(sl_pq_encoding_name(SL_PQ_ENC_BYTE_STREAM_SPLIT), "BYTE_STREAM_SPLIT");
	assert_string_equal(sl_pq_encoding_name(1), "UNKNOWN"); /* GROUP_VAR_INT, never used */
	assert_string_equal(sl_pq_codec_name(SL_PQ_LZ4_RAW), "LZ4_RAW");
	assert_string_equal(sl_pq_converted_name(SL_PQ_CT_INTERVAL), "INTERVAL");
	assert_string_equal(sl_pq_converted_name(SL_PQ_CT_NONE), "UNKNOWN");
}

/* ---- 3. hostile metadata ------------------------------------------------------------- */

/* Decodes bytes written with the Thrift encoder, expecting code and a message part. */
static void expect_meta(struct sl_buf *b, int code, const char *msg)
{
	struct sl_pq_file_meta m;
	struct sl_err err = {0};
	int rc = sl_pq_file_meta_decode(b->data, b->len, &m, &err);
	if (rc != code || (code && !strstr(err.msg, msg)))
		fail_msg("rc %d, message \"%s\"; wanted %d, \"%s\"", rc, err.msg, code, msg);
	if (rc == 0)
		sl_pq_file_meta_release(&m);
	else
		assert_null(m.arena); /* released on failure */
}

/* The four required fields of FileMetaData, the schema holding one root. */
static void minimal_head(struct sl_tc_w *w, bool num_rows)
{
	sl_tc_w_field_i32(w, 1, 1);
	sl_tc_w_list_begin(w, 2, SL_TC_STRUCT, 1);
	sl_tc_w_struct_begin(w, 0);
	sl_tc_w_field_binary(w, 4, "root", 4);
	sl_tc_w_struct_end(w);
	if (num_rows)
		sl_tc_w_field_i64(w, 3, 0);
}

static void t_hostile_fields(void **state)
{
	(void)state;
	struct sl_buf b;
	sl_buf_init(&b, 0);
	struct sl_tc_w w;

	/* no row_groups */
	sl_tc_w_init(&w, &b);
	minimal_head(&w, true);
	sl_tc_w_stop(&w);
	expect_meta(&b, SL_ECORRUPT, "FileMetaData.row_groups (field 4) is required but missing");

	/* no num_rows */
	sl_buf_reset(&b);
	sl_tc_w_init(&w, &b);
	minimal_head(&w, false);
	sl_tc_w_list_begin(&w, 4, SL_TC_STRUCT, 0);
	sl_tc_w_stop(&w);
	expect_meta(&b, SL_ECORRUPT, "FileMetaData.num_rows (field 3) is required but missing");

	/* the smallest valid footer */
	sl_buf_reset(&b);
	sl_tc_w_init(&w, &b);
	minimal_head(&w, true);
	sl_tc_w_list_begin(&w, 4, SL_TC_STRUCT, 0);
	sl_tc_w_stop(&w);
	expect_meta(&b, 0, NULL);

	/* a required field with the wrong wire type names the field */
	sl_buf_reset(&b);
	sl_tc_w_init(&w, &b);
	sl_tc_w_field_binary(&w, 1, "1", 1);
	sl_tc_w_stop(&w);
	expect_meta(&b, SL_ECORRUPT, "offset 1: FileMetaData.version: expected i32, got binary");

	/* negative num_rows */
	sl_buf_reset(&b);
	sl_tc_w_init(&w, &b);
	minimal_head(&w, false);
	sl_tc_w_field_i64(&w, 3, -1);
	sl_tc_w_stop(&w);
	expect_meta(&b, SL_ECORRUPT, "FileMetaData.num_rows: negative value -1");

	/* a schema element without its name */
	sl_buf_reset(&b);
	sl_tc_w_init(&w, &b);
	sl_tc_w_field_i32(&w, 1, 1);
	sl_tc_w_list_begin(&w, 2, SL_TC_STRUCT, 1);
	sl_tc_w_struct_begin(&w, 0);
	sl_tc_w_field_i32(&w, 1, 1);
	sl_tc_w_field_i32(&w, 2, 1);
	sl_tc_w_struct_end(&w);
	sl_tc_w_stop(&w);
	expect_meta(&b, SL_ECORRUPT, "SchemaElement.name (field 4) is required but missing");

	/* a list of i32 where structs belong */
	sl_buf_reset(&b);
	sl_tc_w_init(&w, &b);
	sl_tc_w_field_i32(&w, 1, 1);
	sl_tc_w_list_begin(&w, 2, SL_TC_I32, 2);
	sl_tc_w_i32(&w, 1);
	sl_tc_w_i32(&w, 2);
	sl_tc_w_stop(&w);
	expect_meta(&b, SL_ECORRUPT, "FileMetaData.schema: a list of i32, expected struct");

	/* a LogicalType with two members */
	sl_buf_reset(&b);
	sl_tc_w_init(&w, &b);
	sl_tc_w_field_i32(&w, 1, 1);
	sl_tc_w_list_begin(&w, 2, SL_TC_STRUCT, 1);
	sl_tc_w_struct_begin(&w, 0);
	sl_tc_w_field_binary(&w, 4, "x", 1);
	sl_tc_w_struct_begin(&w, 10);
	sl_tc_w_struct_begin(&w, 1);
	sl_tc_w_struct_end(&w);
	sl_tc_w_struct_begin(&w, 12);
	sl_tc_w_struct_end(&w);
	sl_tc_w_struct_end(&w);
	sl_tc_w_struct_end(&w);
	sl_tc_w_stop(&w);
	expect_meta(&b, SL_ECORRUPT, "LogicalType.JSON: a second member in a union");

	/* a TIMESTAMP without its unit, and one with a unit nobody defined */
	for (int unit = 0; unit <= 4; unit += 4) {
		sl_buf_reset(&b);
		sl_tc_w_init(&w, &b);
		sl_tc_w_field_i32(&w, 1, 1);
		sl_tc_w_list_begin(&w, 2, SL_TC_STRUCT, 1);
		sl_tc_w_struct_begin(&w, 0);
		sl_tc_w_field_binary(&w, 4, "x", 1);
		sl_tc_w_struct_begin(&w, 10);
		sl_tc_w_struct_begin(&w, 8);
		sl_tc_w_field_bool(&w, 1, true);
		if (unit) {
			sl_tc_w_struct_begin(&w, 2);
			sl_tc_w_struct_begin(&w, (int16_t)unit);
			sl_tc_w_struct_end(&w);
			sl_tc_w_struct_end(&w);
		}
		for (int i = 0; i < 3; i++)
			sl_tc_w_struct_end(&w);
		sl_tc_w_stop(&w);
		assert_int_equal(sl_tc_w_finish(&w, NULL), 0);
		expect_meta(&b, SL_ECORRUPT, unit ? "TimeUnit.field 4: not a unit this reader knows"
					  : "TimestampType.unit (field 2) is required but missing");
	}

	/* an IntType bitWidth that is not an i8 */
	sl_buf_reset(&b);
	sl_tc_w_init(&w, &b);
	sl_tc_w_field_i32(&w, 1, 1);
	sl_tc_w_list_begin(&w, 2, SL_TC_STRUCT, 1);
	sl_tc_w_struct_begin(&w, 0);
	sl_tc_w_field_binary(&w, 4, "x", 1);
	sl_tc_w_struct_begin(&w, 10);
	sl_tc_w_struct_begin(&w, 10);
	sl_tc_w_field_i32(&w, 1, 300);
	sl_tc_w_field_bool(&w, 2, true);
	for (int i = 0; i < 3; i++)
		sl_tc_w_struct_end(&w);
	sl_tc_w_stop(&w);
	expect_meta(&b, SL_ECORRUPT, "IntType.bitWidth: 300 is not an i8");

	/* an optional field with a wire type of its own is skipped, as Thrift readers do,
	 * and unknown fields and unknown logical types are skipped too */
	sl_buf_reset(&b);
	sl_tc_w_init(&w, &b);
	sl_tc_w_field_i32(&w, 1, 1);
	sl_tc_w_list_begin(&w, 2, SL_TC_STRUCT, 1);
	sl_tc_w_struct_begin(&w, 0);
	sl_tc_w_field_binary(&w, 4, "x", 1);
	sl_tc_w_field_binary(&w, 9, "not an id", 9); /* field_id is an i32 */
	sl_tc_w_struct_begin(&w, 10);
	sl_tc_w_struct_begin(&w, 2555);
	sl_tc_w_field_i32(&w, 1, 1);
	sl_tc_w_struct_end(&w);
	sl_tc_w_struct_end(&w);
	sl_tc_w_field_double(&w, 99, 1.0);
	sl_tc_w_struct_end(&w);
	sl_tc_w_field_i64(&w, 3, 0);
	sl_tc_w_list_begin(&w, 4, SL_TC_STRUCT, 0);
	sl_tc_w_field_binary(&w, 6, "me", 2);
	sl_tc_w_stop(&w);
	struct sl_pq_file_meta m;
	struct sl_err err = {0};
	if (sl_pq_file_meta_decode(b.data, b.len, &m, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(m.schema[0].field_id, -1);
	assert_int_equal(m.schema[0].logical.kind, SL_PQ_LT_OTHER);
	assert_int_equal(m.created_by.len, 2);
	sl_pq_file_meta_release(&m);

	/* trailing bytes after the STOP are not ours: ignored */
	assert_int_equal(sl_buf_append(&b, "\xff\xff", 2), 0);
	expect_meta(&b, 0, NULL);
	sl_buf_release(&b);
}

static void expect_page(const struct sl_buf *b, int code, const char *msg)
{
	struct sl_pq_page_header h;
	struct sl_err err = {0};
	size_t used = 12345;
	int rc = sl_pq_page_header_decode(b->data, b->len, &h, &used, &err);
	if (rc != code || !strstr(err.msg, msg))
		fail_msg("rc %d, message \"%s\"; wanted %d, \"%s\"", rc, err.msg, code, msg);
	assert_int_equal(used, 12345); /* untouched on failure */
}

static void t_hostile_pages(void **state)
{
	(void)state;
	struct sl_buf b;
	sl_buf_init(&b, 0);
	struct sl_tc_w w;
	for (int16_t neg = 2; neg <= 3; neg++) {
		sl_buf_reset(&b);
		sl_tc_w_init(&w, &b);
		sl_tc_w_field_i32(&w, 1, SL_PQ_DATA_PAGE);
		sl_tc_w_field_i32(&w, 2, neg == 2 ? -5 : 5);
		sl_tc_w_field_i32(&w, 3, neg == 3 ? -5 : 5);
		sl_tc_w_stop(&w);
		expect_page(&b, SL_ECORRUPT, neg == 2 ? "PageHeader.uncompressed_page_size: "
							"negative value -5"
						      : "PageHeader.compressed_page_size: "
							"negative value -5");
	}
	/* a dictionary page with a negative count (bad_data/ARROW-RS-GH-6229-DICTHEADER) */
	sl_buf_reset(&b);
	sl_tc_w_init(&w, &b);
	sl_tc_w_field_i32(&w, 1, SL_PQ_DICTIONARY_PAGE);
	sl_tc_w_field_i32(&w, 2, 5);
	sl_tc_w_field_i32(&w, 3, 5);
	sl_tc_w_struct_begin(&w, 7);
	sl_tc_w_field_i32(&w, 1, -26);
	sl_tc_w_field_i32(&w, 2, 0);
	sl_tc_w_struct_end(&w);
	sl_tc_w_stop(&w);
	expect_page(&b, SL_ECORRUPT, "DictionaryPageHeader.num_values: negative value -26");
	/* a v2 page without its level lengths */
	sl_buf_reset(&b);
	sl_tc_w_init(&w, &b);
	sl_tc_w_field_i32(&w, 1, SL_PQ_DATA_PAGE_V2);
	sl_tc_w_field_i32(&w, 2, 5);
	sl_tc_w_field_i32(&w, 3, 5);
	sl_tc_w_struct_begin(&w, 8);
	for (int16_t i = 1; i <= 4; i++)
		sl_tc_w_field_i32(&w, i, 1);
	sl_tc_w_struct_end(&w);
	sl_tc_w_stop(&w);
	expect_page(&b, SL_ECORRUPT,
		    "DataPageHeaderV2.definition_levels_byte_length (field 5) is required");
	/* a header cut before its STOP */
	sl_buf_reset(&b);
	sl_tc_w_init(&w, &b);
	sl_tc_w_field_i32(&w, 1, SL_PQ_DATA_PAGE);
	expect_page(&b, SL_ECORRUPT, "truncated");
	sl_buf_release(&b);
}

static void t_hostile_page_index(void **state)
{
	(void)state;
	struct sl_buf b;
	sl_buf_init(&b, 0);
	struct sl_tc_w w;
	struct sl_err err = {0};
	/* lists that disagree in length */
	sl_tc_w_init(&w, &b);
	sl_tc_w_list_begin(&w, 1, SL_TC_TRUE, 2);
	sl_tc_w_bool(&w, false);
	sl_tc_w_bool(&w, false);
	sl_tc_w_list_begin(&w, 2, SL_TC_BINARY, 2);
	sl_tc_w_binary(&w, "a", 1);
	sl_tc_w_binary(&w, "b", 1);
	sl_tc_w_list_begin(&w, 3, SL_TC_BINARY, 1);
	sl_tc_w_binary(&w, "c", 1);
	sl_tc_w_field_i32(&w, 4, 0);
	sl_tc_w_stop(&w);
	struct sl_pq_column_index ci;
	assert_int_equal(sl_pq_column_index_decode(b.data, b.len, &ci, &err), SL_ECORRUPT);
	assert_non_null(strstr(err.msg, "2 null_pages, 2 min_values, 1 max_values"));
	assert_null(ci.arena);

	/* a negative page offset */
	sl_buf_reset(&b);
	sl_tc_w_init(&w, &b);
	sl_tc_w_list_begin(&w, 1, SL_TC_STRUCT, 1);
	sl_tc_w_struct_begin(&w, 0);
	sl_tc_w_field_i64(&w, 1, -4);
	sl_tc_w_field_i32(&w, 2, 1);
	sl_tc_w_field_i64(&w, 3, 0);
	sl_tc_w_struct_end(&w);
	sl_tc_w_stop(&w);
	struct sl_pq_offset_index oi;
	assert_int_equal(sl_pq_offset_index_decode(b.data, b.len, &oi, &err), SL_ECORRUPT);
	assert_non_null(strstr(err.msg, "PageLocation.offset: negative value -4"));

	/* more page locations than the bytes could hold: one byte each is what Thrift
	 * checks, seven (three required fields and STOP) is what we check */
	static const uint8_t many[] = {0x19, 0xfc, 0x80, 0x80, 0x01, 0x15, 0x00, 0x00};
	assert_int_equal(sl_pq_offset_index_decode(many, sizeof(many), &oi, &err), SL_ECORRUPT);
	assert_non_null(strstr(err.msg, "offset 5: list of 16384 struct elements cannot fit "
				       "in the 3 bytes left"));
	static const uint8_t two[] = {0x19, 0x2c, 0x15, 0x00, 0x00};
	assert_int_equal(sl_pq_offset_index_decode(two, sizeof(two), &oi, &err), SL_ECORRUPT);
	assert_non_null(strstr(err.msg, "OffsetIndex.page_locations: a list of 2 elements "
				       "cannot fit in the 3 bytes left"));
	sl_buf_release(&b);
}

/* A footer of column chunks that are 3 bytes each on the wire (file_offset and STOP)
 * but hundreds in memory: the arena's cap stops it before it is allocated. */
static void t_memory_cap(void **state)
{
	(void)state;
	enum { N = 200000 };
	struct sl_buf b;
	sl_buf_init(&b, 0);
	struct sl_tc_w w;
	sl_tc_w_init(&w, &b);
	minimal_head(&w, true);
	sl_tc_w_list_begin(&w, 4, SL_TC_STRUCT, 1);
	sl_tc_w_struct_begin(&w, 0);
	sl_tc_w_list_begin(&w, 1, SL_TC_STRUCT, N);
	for (int i = 0; i < N; i++) {
		sl_tc_w_struct_begin(&w, 0);
		sl_tc_w_field_i64(&w, 2, 0);
		sl_tc_w_struct_end(&w);
	}
	sl_tc_w_field_i64(&w, 2, 0);
	sl_tc_w_field_i64(&w, 3, 0);
	sl_tc_w_struct_end(&w);
	sl_tc_w_stop(&w);
	assert_int_equal(sl_tc_w_finish(&w, NULL), 0);
	assert_true(N * sizeof(struct sl_pq_column_chunk) > SL_PQ_META_MEM(b.len));
	expect_meta(&b, SL_ELIMIT, "would take more than");

	/* the same chunks, few enough to fit, decode */
	struct sl_buf small;
	sl_buf_init(&small, 0);
	sl_tc_w_init(&w, &small);
	minimal_head(&w, true);
	sl_tc_w_list_begin(&w, 4, SL_TC_STRUCT, 1);
	sl_tc_w_struct_begin(&w, 0);
	sl_tc_w_list_begin(&w, 1, SL_TC_STRUCT, 1000);
	for (int i = 0; i < 1000; i++) {
		sl_tc_w_struct_begin(&w, 0);
		sl_tc_w_field_i64(&w, 2, i);
		sl_tc_w_struct_end(&w);
	}
	sl_tc_w_field_i64(&w, 2, 0);
	sl_tc_w_field_i64(&w, 3, 0);
	sl_tc_w_struct_end(&w);
	sl_tc_w_stop(&w);
	struct sl_pq_file_meta m;
	struct sl_err err = {0};
	assert_int_equal(sl_pq_file_meta_decode(small.data, small.len, &m, &err), 0);
	assert_int_equal(m.row_groups[0].n_columns, 1000);
	assert_int_equal(m.row_groups[0].columns[999].file_offset, 999);
	assert_false(m.row_groups[0].columns[999].has_meta);
	sl_pq_file_meta_release(&m);
	sl_buf_release(&small);
	sl_buf_release(&b);
}

/* Every proper prefix of a footer fails; no single-byte change makes the decoder read
 * out of bounds, crash or leak (ASan and LSan watch); what decodes re-encodes. */
static void mutate_all(const uint8_t *footer, size_t len)
{
	uint8_t *copy = malloc(len);
	for (size_t n = 0; n < len; n++) {
		memcpy(copy, footer, n);
		struct sl_pq_file_meta m;
		assert_int_not_equal(sl_pq_file_meta_decode(copy, n, &m, NULL), 0);
	}
	static const uint8_t vals[] = {0x00, 0x01, 0x0f, 0x19, 0x1c, 0x7f, 0x80, 0xff};
	size_t ok = 0;
	for (size_t i = 0; i < len; i++) {
		for (size_t v = 0; v < sizeof(vals) + 1; v++) {
			memcpy(copy, footer, len);
			copy[i] = v < sizeof(vals) ? vals[v] : (uint8_t)(footer[i] ^ 0x40);
			struct sl_pq_file_meta m;
			if (sl_pq_file_meta_decode(copy, len, &m, NULL) != 0)
				continue;
			ok++;
			struct sl_buf b;
			sl_buf_init(&b, 0);
			int rc = sl_pq_file_meta_encode(&m, &b, NULL);
			assert_true(rc == 0 || rc == SL_EINVAL);
			sl_buf_release(&b);
			sl_pq_file_meta_release(&m);
		}
	}
	assert_true(ok > 0);
	free(copy);
}

static void t_mutations(void **state)
{
	(void)state;
	struct sl_pq_file_meta m;
	rich_meta(&m);
	struct sl_buf b;
	encode_meta(&m, &b);
	mutate_all((const uint8_t *)b.data, b.len);
	sl_buf_release(&b);
}

/* ---- 4. the encoder's refusals ------------------------------------------------------- */

static void t_encode_refusals(void **state)
{
	(void)state;
	struct sl_pq_file_meta m;
	rich_meta(&m);
	struct sl_buf b;
	sl_buf_init(&b, 0);
	assert_int_equal(sl_buf_append(&b, "PAR1", 4), 0);
	struct sl_err err = {0};

	m.schema[3].logical.kind = SL_PQ_LT_OTHER;
	assert_int_equal(sl_pq_file_meta_encode(&m, &b, &err), SL_EINVAL);
	assert_non_null(strstr(err.msg, "logical type 1000 cannot be written"));
	assert_int_equal(b.len, 4); /* the output is as it was */
	assert_string_equal(b.data, "PAR1");
	m.schema[3].logical.kind = SL_PQ_LT_TIMESTAMP;

	m.schema[3].logical.unit = 0;
	assert_int_equal(sl_pq_file_meta_encode(&m, &b, &err), SL_EINVAL);
	assert_non_null(strstr(err.msg, "time unit 0"));
	m.schema[3].logical.unit = SL_TU_MICROS;

	m.column_orders_typed[4] = false;
	assert_int_equal(sl_pq_file_meta_encode(&m, &b, &err), SL_EINVAL);
	assert_non_null(strstr(err.msg, "column_orders[4]: only TYPE_ORDER"));
	m.column_orders_typed[4] = true;

	m.row_groups[0].columns[0].encrypted = true;
	assert_int_equal(sl_pq_file_meta_encode(&m, &b, &err), SL_EINVAL);
	m.row_groups[0].columns[0].encrypted = false;

	struct sl_buf tiny;
	sl_buf_init(&tiny, 16);
	assert_int_equal(sl_pq_file_meta_encode(&m, &tiny, &err), SL_ELIMIT);
	assert_int_equal(tiny.len, 0);
	sl_buf_release(&tiny);

	assert_int_equal(sl_pq_file_meta_encode(&m, &b, &err), 0);
	assert_true(b.len > 4);
	sl_buf_release(&b);
}

/* ---- 2. the corpus ------------------------------------------------------------------- */

enum {
	F_CI = 1 << 0,       /* a column index */
	F_OI = 1 << 1,       /* an offset index */
	F_BLOOM = 1 << 2,    /* bloom_filter_offset */
	F_BLOOM_LEN = 1 << 3, /* bloom_filter_length */
	F_CRC = 1 << 4,      /* page CRCs */
	F_EXACT = 1 << 5,    /* is_min/max_value_exact */
	F_COL_KV = 1 << 6,   /* column chunk key/value metadata */
	F_SORT = 1 << 7,     /* sorting_columns */
	F_LEGACY = 1 << 8,   /* only the deprecated min/max statistics */
};

struct expect {
	const char *file; /* under parquet/data */
	int64_t rows;     /* as the footer says */
	int dict, v1, v2; /* pages found in the column chunks */
	unsigned flags;
};

/* The README's per-file table (../shared/conformance/README.md), transcribed. */
static const struct expect corpus[] = {
	{"alltypes_dictionary.parquet", 2, 10, 11, 0, 0},
	{"alltypes_plain.parquet", 8, 10, 11, 0, 0},
	{"alltypes_plain.snappy.parquet", 2, 10, 11, 0, 0},
	{"alltypes_tiny_pages.parquet", 7300, 11, 5794, 0, F_CI | F_OI},
	{"alltypes_tiny_pages_plain.parquet", 7300, 0, 5713, 0, F_CI | F_OI},
	{"binary.parquet", 12, 0, 1, 0, 0},
	{"binary_truncated_min_max.parquet", 12, 0, 6, 0, F_CI | F_OI | F_EXACT},
	{"byte_array_decimal.parquet", 24, 0, 1, 0, 0},
	{"byte_stream_split.zstd.parquet", 300, 0, 2, 0, 0},
	{"byte_stream_split_extended.gzip.parquet", 200, 0, 14, 0, 0},
	/* the README lists no pages; each chunk holds one empty dictionary page at its
	 * dictionary_page_offset (Arrow writes data_page_offset 0 for a chunk of no rows) */
	{"column_chunk_key_value_metadata.parquet", 0, 2, 0, 0, F_COL_KV},
	{"concatenated_gzip_members.parquet", 513, 0, 0, 1, 0},
	{"data_index_bloom_encoding_stats.parquet", 14, 0, 1, 0, F_CI | F_OI | F_BLOOM | F_CRC},
	{"data_index_bloom_encoding_with_length.parquet", 14, 1, 1, 0,
	 F_CI | F_OI | F_BLOOM | F_BLOOM_LEN | F_EXACT},
	{"datapage_v1-corrupt-checksum.parquet", 5120, 0, 4, 0, F_CI | F_OI | F_CRC},
	{"datapage_v1-snappy-compressed-checksum.parquet", 5120, 0, 4, 0, F_CI | F_OI | F_CRC},
	{"datapage_v1-uncompressed-checksum.parquet", 5120, 0, 4, 0, F_CI | F_OI | F_CRC},
	{"datapage_v2.snappy.parquet", 5, 3, 0, 5, F_LEGACY},
	{"datapage_v2_empty_datapage.snappy.parquet", 1, 0, 0, 1, F_CI | F_OI},
	{"delta_binary_packed.parquet", 200, 0, 0, 66, 0},
	{"delta_byte_array.parquet", 1000, 0, 0, 9, 0},
	{"delta_encoding_optional_column.parquet", 100, 0, 0, 17, 0},
	{"delta_encoding_required_column.parquet", 100, 0, 0, 17, F_CI | F_OI},
	{"delta_length_byte_array.parquet", 1000, 0, 0, 1, F_CRC},
	/* the README says bloom-len, but this writer's ColumnMetaData field 15 is a list of
	 * structs of its own, not bloom_filter_length (an i32): skipped, as Thrift does */
	{"dict-page-offset-zero.parquet", 39, 0, 1, 0, F_CI | F_OI},
	{"fixed_length_byte_array.parquet", 1000, 0, 10, 0, F_CI | F_OI | F_CRC},
	{"fixed_length_decimal.parquet", 24, 0, 1, 0, F_LEGACY},
	{"fixed_length_decimal_legacy.parquet", 24, 0, 1, 0, F_LEGACY},
	{"float16_nonzeros_and_nans.parquet", 8, 1, 1, 0, 0},
	{"float16_zeros_and_nans.parquet", 3, 1, 1, 0, 0},
	{"floating_orders_nan_count.parquet", 50, 0, 30, 0, F_CI | F_OI | F_CRC},
	{"hadoop_lz4_compressed.parquet", 4, 3, 3, 0, 0},
	{"hadoop_lz4_compressed_larger.parquet", 10000, 0, 1, 0, F_CI | F_OI | F_CRC},
	{"incorrect_map_schema.parquet", 1, 0, 2, 0, F_CI | F_OI | F_CRC},
	{"int32_decimal.parquet", 24, 0, 1, 0, F_LEGACY},
	{"int32_with_null_pages.parquet", 1000, 0, 10, 0, F_CI | F_OI | F_CRC},
	{"int64_decimal.parquet", 24, 0, 1, 0, F_LEGACY},
	{"int96_from_spark.parquet", 6, 1, 1, 0, F_OI | F_CRC},
	{"large_string_map.brotli.parquet", 2, 2, 3, 0, 0},
	{"list_columns.parquet", 3, 2, 2, 0, 0},
	{"lz4_raw_compressed.parquet", 4, 0, 3, 0, 0},
	{"lz4_raw_compressed_larger.parquet", 10000, 0, 1, 0, 0},
	{"map_no_value.parquet", 3, 4, 4, 0, F_OI},
	{"nan_in_stats.parquet", 2, 1, 1, 0, 0},
	{"nation.dict-malformed.parquet", 25, 2, 4, 0, 0},
	{"nested_lists.snappy.parquet", 3, 2, 2, 0, F_LEGACY},
	{"nested_maps.snappy.parquet", 6, 3, 5, 0, F_LEGACY},
	{"nested_structs.rust.parquet", 1, 216, 216, 0, 0},
	{"non_hadoop_lz4_compressed.parquet", 4, 3, 3, 0, 0},
	{"nonnullable.impala.parquet", 1, 0, 13, 0, F_LEGACY},
	{"null_list.parquet", 1, 0, 1, 0, 0},
	{"nullable.impala.parquet", 7, 9, 13, 0, F_LEGACY},
	{"nulls.snappy.parquet", 8, 0, 1, 0, 0},
	{"old_list_structure.parquet", 1, 0, 1, 0, F_CI | F_OI | F_CRC},
	{"overflow_i16_page_cnt.parquet", 40000, 0, 40000, 0, 0},
	{"page_v2_empty_compressed.parquet", 10, 1, 0, 1, 0},
	{"plain-dict-uncompressed-checksum.parquet", 1000, 2, 2, 0, F_CI | F_OI | F_CRC},
	{"repeated_no_annotation.parquet", 0, 3, 3, 0, 0},
	{"repeated_primitive_no_list.parquet", 4, 4, 4, 0, F_CI | F_OI | F_EXACT},
	{"rle-dict-snappy-checksum.parquet", 1000, 2, 0, 2, F_CI | F_OI | F_CRC},
	{"rle-dict-uncompressed-corrupt-checksum.parquet", 1000, 2, 0, 2, F_CI | F_OI | F_CRC},
	{"rle_boolean_encoding.parquet", 68, 0, 0, 1, 0},
	{"single_nan.parquet", 1, 1, 1, 0, 0},
	{"sort_columns.parquet", 6, 4, 4, 0, F_SORT},
	{"unknown-logical-type.parquet", 3, 2, 2, 0, 0},
	{"geospatial/crs-arbitrary-value.parquet", 1, 2, 2, 0, 0},
	{"geospatial/crs-default.parquet", 1, 2, 2, 0, 0},
	{"geospatial/crs-geography.parquet", 1, 2, 2, 0, 0},
	{"geospatial/crs-projjson.parquet", 1, 2, 2, 0, 0},
	{"geospatial/crs-srid.parquet", 1, 2, 2, 0, 0},
	{"geospatial/geography-lines.parquet", 499, 100, 100, 0, F_CI | F_OI | F_EXACT},
	{"geospatial/geography-points.parquet", 500, 100, 100, 0, F_CI | F_OI | F_EXACT},
	{"geospatial/geography-polygons.parquet", 500, 100, 100, 0, F_CI | F_OI | F_EXACT},
	{"geospatial/geospatial-with-nan.parquet", 3, 3, 3, 0, 0},
	{"geospatial/geospatial.parquet", 196, 93, 93, 0, 0},
};

static uint8_t *load(const char *dir, const char *file, size_t *len)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return (uint8_t *)th_read_file(path, len);
}

/* The footer of a PAR1 file, or NULL. */
static const uint8_t *footer(const uint8_t *f, size_t len, size_t *flen)
{
	if (len < 12 || memcmp(f, "PAR1", 4) != 0 || memcmp(f + len - 4, "PAR1", 4) != 0)
		return NULL;
	const uint8_t *t = f + len - 8;
	uint32_t n = (uint32_t)t[0] | (uint32_t)t[1] << 8 | (uint32_t)t[2] << 16 |
		     (uint32_t)t[3] << 24;
	if (n > len - 12)
		return NULL;
	*flen = n;
	return t - n;
}

struct seen {
	int dict, v1, v2;
	unsigned flags;
	bool modern_stats; /* some statistics with min_value/max_value */
	int page_errors;
	char first_error[SL_ERR_MSG_MAX];
};

static void note_stats(struct seen *s, const struct sl_pq_stats *st)
{
	if (!st->present)
		return;
	if (st->is_min_exact >= 0 || st->is_max_exact >= 0)
		s->flags |= F_EXACT;
	if (st->min_value.p || st->max_value.p)
		s->modern_stats = true;
	else if (st->min.p || st->max.p)
		s->flags |= F_LEGACY;
}

/* Checks an offset index against the data pages the walk found. */
static void check_offset_index(const uint8_t *f, size_t len,
			       const struct sl_pq_column_chunk *c, const int64_t *offs,
			       const int32_t *sizes, size_t n)
{
	assert_true(c->offset_index_length >= 0);
	assert_true((uint64_t)c->offset_index_offset + (uint64_t)c->offset_index_length <= len);
	struct sl_pq_offset_index oi;
	struct sl_err err = {0};
	if (sl_pq_offset_index_decode(f + c->offset_index_offset, (size_t)c->offset_index_length,
				      &oi, &err) != 0)
		fail_msg("%s: %s", ctx, err.msg);
	EQ(oi.n_pages, n);
	for (size_t i = 0; i < n; i++) {
		EQ(oi.pages[i].offset, offs[i]);
		EQ(oi.pages[i].compressed_size, sizes[i]);
		if (i == 0)
			EQ(oi.pages[i].first_row, 0);
		else
			assert_true(oi.pages[i].first_row > oi.pages[i - 1].first_row);
	}
	/* a column index, when there is one, has an entry per page too */
	if (c->column_index_offset >= 0) {
		assert_true((uint64_t)c->column_index_offset +
			    (uint64_t)c->column_index_length <= len);
		struct sl_pq_column_index ci;
		if (sl_pq_column_index_decode(f + c->column_index_offset,
					      (size_t)c->column_index_length, &ci, &err) != 0)
			fail_msg("%s: %s", ctx, err.msg);
		EQ(ci.n_pages, n);
		assert_true(ci.boundary_order >= SL_PQ_UNORDERED &&
			    ci.boundary_order <= SL_PQ_DESCENDING);
		sl_pq_column_index_release(&ci);
	}
	sl_pq_offset_index_release(&oi);
}

/* Walks a column chunk's pages by their headers (each decoded, re-encoded and decoded
 * again), counting them by kind. */
static void walk_chunk(const uint8_t *f, size_t len, const struct sl_pq_column_chunk *c,
		       struct seen *s)
{
	const struct sl_pq_column_meta *m = &c->meta;
	int64_t off = m->dictionary_page_offset >= 0 ? m->dictionary_page_offset
						      : m->data_page_offset;
	int64_t end = off + m->total_compressed_size;
	if (off < 4 || end > (int64_t)len - 8) {
		if (!s->page_errors++)
			snprintf(s->first_error, sizeof(s->first_error), "chunk out of the file");
		return;
	}
	size_t n = 0, cap = 64;
	int64_t *offs = malloc(cap * sizeof(*offs));
	int32_t *sizes = malloc(cap * sizeof(*sizes));
	while (off < end) {
		struct sl_pq_page_header h;
		size_t used;
		struct sl_err err = {0};
		/* the header may not run past its chunk */
		if (sl_pq_page_header_decode(f + off, (size_t)(end - off), &h, &used, &err) != 0) {
			if (!s->page_errors++)
				snprintf(s->first_error, sizeof(s->first_error), "%s", err.msg);
			break;
		}
		struct sl_buf b;
		sl_buf_init(&b, 0);
		assert_int_equal(sl_pq_page_header_encode(&h, &b, &err), 0);
		struct sl_pq_page_header again;
		assert_int_equal(sl_pq_page_header_decode(b.data, b.len, &again, NULL, &err), 0);
		eq_page_header(&h, &again);
		sl_buf_release(&b);

		s->flags |= h.has_crc ? F_CRC : 0;
		if (h.type == SL_PQ_DICTIONARY_PAGE) {
			s->dict++;
		} else if (h.type == SL_PQ_DATA_PAGE || h.type == SL_PQ_DATA_PAGE_V2) {
			if (h.type == SL_PQ_DATA_PAGE)
				s->v1++;
			else
				s->v2++;
			note_stats(s, h.type == SL_PQ_DATA_PAGE ? &h.data.stats : &h.data_v2.stats);
			if (n == cap) {
				cap *= 2;
				offs = realloc(offs, cap * sizeof(*offs));
				sizes = realloc(sizes, cap * sizeof(*sizes));
			}
			offs[n] = off;
			sizes[n++] = (int32_t)used + h.compressed_size;
		}
		off += (int64_t)used + h.compressed_size;
	}
	if (!s->page_errors && off != end) { /* the pages fill the chunk exactly */
		s->page_errors++;
		snprintf(s->first_error, sizeof(s->first_error), "pages end at %lld, the chunk at "
			 "%lld", (long long)off, (long long)end);
	}
	if (!s->page_errors && c->offset_index_offset >= 0)
		check_offset_index(f, len, c, offs, sizes, n);
	free(offs);
	free(sizes);
}

/* Decodes a footer, walks every chunk, and re-encodes the footer. */
static void survey(const uint8_t *f, size_t len, struct sl_pq_file_meta *m, struct seen *s)
{
	memset(s, 0, sizeof(*s));
	size_t flen;
	const uint8_t *ft = footer(f, len, &flen);
	assert_non_null(ft);
	struct sl_err err = {0};
	if (sl_pq_file_meta_decode(ft, flen, m, &err) != 0)
		fail_msg("%s: %s", ctx, err.msg);
	bool writable = !m->encrypted;
	for (size_t i = 0; i < m->n_column_orders; i++)
		writable &= m->column_orders_typed[i];
	for (size_t i = 0; i < m->n_schema; i++)
		writable &= m->schema[i].logical.kind != SL_PQ_LT_OTHER;
	for (size_t g = 0; g < m->n_row_groups; g++) {
		const struct sl_pq_row_group *rg = &m->row_groups[g];
		s->flags |= rg->n_sorting ? F_SORT : 0;
		for (size_t i = 0; i < rg->n_columns; i++) {
			const struct sl_pq_column_chunk *c = &rg->columns[i];
			writable &= !c->encrypted;
			s->flags |= c->column_index_offset >= 0 ? F_CI : 0;
			s->flags |= c->offset_index_offset >= 0 ? F_OI : 0;
			if (!c->has_meta || c->encrypted)
				continue;
			s->flags |= c->meta.bloom_filter_offset >= 0 ? F_BLOOM : 0;
			s->flags |= c->meta.bloom_filter_length >= 0 ? F_BLOOM_LEN : 0;
			s->flags |= c->meta.n_kv ? F_COL_KV : 0;
			note_stats(s, &c->meta.stats);
			walk_chunk(f, len, c, s);
		}
	}
	if (s->modern_stats)
		s->flags &= ~(unsigned)F_LEGACY;

	/* re-encode: what we can write decodes equal and encodes to the same bytes */
	struct sl_buf b1, b2;
	sl_buf_init(&b1, 0);
	sl_buf_init(&b2, 0);
	int rc = sl_pq_file_meta_encode(m, &b1, &err);
	if (!writable) {
		EQ(rc, SL_EINVAL);
	} else {
		if (rc)
			fail_msg("%s: encode: %s", ctx, err.msg);
		struct sl_pq_file_meta again;
		if (sl_pq_file_meta_decode(b1.data, b1.len, &again, &err) != 0)
			fail_msg("%s: decode of our encoding: %s", ctx, err.msg);
		eq_meta(m, &again);
		assert_int_equal(sl_pq_file_meta_encode(&again, &b2, &err), 0);
		EQ(b1.len, b2.len);
		assert_memory_equal(b1.data, b2.data, b1.len);
		sl_pq_file_meta_release(&again);
	}
	sl_buf_release(&b1);
	sl_buf_release(&b2);
}

static void t_corpus(void **state)
{
	(void)state;
	char *dir = th_conformance_dir("parquet/data");
	for (size_t i = 0; i < sizeof(corpus) / sizeof(corpus[0]); i++) {
		const struct expect *x = &corpus[i];
		ctx = x->file;
		size_t len;
		uint8_t *f = load(dir, x->file, &len);
		struct sl_pq_file_meta m;
		struct seen s;
		survey(f, len, &m, &s);
		EQ(m.num_rows, x->rows);
		if (strcmp(x->file, "nation.dict-malformed.parquet") == 0) {
			/* malformed on purpose: its pages do not add up to the chunks */
			assert_true(s.page_errors > 0);
		} else if (s.page_errors) {
			fail_msg("%s: %s", x->file, s.first_error);
		} else {
			EQ(s.dict, x->dict);
			EQ(s.v1, x->v1);
			EQ(s.v2, x->v2);
		}
		if (s.flags != x->flags)
			fail_msg("%s: flags 0x%x, the README says 0x%x", x->file, s.flags, x->flags);
		sl_pq_file_meta_release(&m);
		free(f);
	}
	free(dir);
}

/* What the README says a tolerant reader must make of the writers' quirks. */
static void t_corpus_quirks(void **state)
{
	(void)state;
	char *dir = th_conformance_dir("parquet/data");
	size_t len, flen;
	struct sl_pq_file_meta m;
	struct sl_err err = {0};

	/* dictionary_page_offset 0 means none; ColumnMetaData 15 is a list there, skipped */
	uint8_t *f = load(dir, "dict-page-offset-zero.parquet", &len);
	const uint8_t *ft = footer(f, len, &flen);
	assert_int_equal(sl_pq_file_meta_decode(ft, flen, &m, &err), 0);
	const struct sl_pq_column_meta *cm = &m.row_groups[0].columns[0].meta;
	assert_int_equal(cm->dictionary_page_offset, -1);
	assert_int_equal(cm->bloom_filter_length, -1);
	assert_int_equal(cm->stats.null_count, 0);
	sl_pq_file_meta_release(&m);
	free(f);

	/* an unknown LogicalType member (id 2555) reads as OTHER, the column still readable */
	f = load(dir, "unknown-logical-type.parquet", &len);
	ft = footer(f, len, &flen);
	assert_int_equal(sl_pq_file_meta_decode(ft, flen, &m, &err), 0);
	int others = 0;
	for (size_t i = 0; i < m.n_schema; i++)
		others += m.schema[i].logical.kind == SL_PQ_LT_OTHER;
	assert_int_equal(others, 1);
	sl_pq_file_meta_release(&m);
	free(f);

	/* the footer says 0 rows, the row group 6 */
	f = load(dir, "repeated_no_annotation.parquet", &len);
	ft = footer(f, len, &flen);
	assert_int_equal(sl_pq_file_meta_decode(ft, flen, &m, &err), 0);
	assert_int_equal(m.num_rows, 0);
	assert_int_equal(m.row_groups[0].num_rows, 6);
	sl_pq_file_meta_release(&m);
	free(f);

	/* an empty encodings list; DECIMAL(4,2) as a converted type only */
	f = load(dir, "byte_array_decimal.parquet", &len);
	ft = footer(f, len, &flen);
	assert_int_equal(sl_pq_file_meta_decode(ft, flen, &m, &err), 0);
	assert_int_equal(m.row_groups[0].columns[0].meta.n_encodings, 0);
	assert_int_equal(m.schema[1].converted, SL_PQ_CT_DECIMAL);
	assert_int_equal(m.schema[1].scale, 2);
	assert_int_equal(m.schema[1].precision, 4);
	assert_int_equal(m.schema[1].logical.kind, SL_PQ_LT_NONE);
	sl_pq_file_meta_release(&m);
	free(f);

	/* sorting columns: descending nulls-first, then ascending nulls-last */
	f = load(dir, "sort_columns.parquet", &len);
	ft = footer(f, len, &flen);
	assert_int_equal(sl_pq_file_meta_decode(ft, flen, &m, &err), 0);
	const struct sl_pq_row_group *rg = &m.row_groups[0];
	assert_int_equal(rg->n_sorting, 2);
	assert_true(rg->sorting[0].descending && rg->sorting[0].nulls_first);
	assert_true(!rg->sorting[1].descending && !rg->sorting[1].nulls_first);
	sl_pq_file_meta_release(&m);
	free(f);

	/* the key without a value */
	f = load(dir, "column_chunk_key_value_metadata.parquet", &len);
	ft = footer(f, len, &flen);
	assert_int_equal(sl_pq_file_meta_decode(ft, flen, &m, &err), 0);
	cm = &m.row_groups[0].columns[0].meta;
	int no_value = 0;
	for (size_t i = 0; i < cm->n_kv; i++)
		no_value += cm->kv[i].value.p == NULL;
	assert_int_equal(no_value, 1);
	sl_pq_file_meta_release(&m);
	free(f);
	free(dir);
}

/* Encrypted files: the PARE ones are not ours to decode; the plaintext footers decode,
 * say they are encrypted, and are not re-encoded. */
static void t_corpus_encrypted(void **state)
{
	(void)state;
	static const char *const plain[] = {
		"encrypt_columns_plaintext_footer.parquet.encrypted",
		"aes256/encrypt_columns_plaintext_footer.parquet.encrypted",
	};
	char *dir = th_conformance_dir("parquet/data");
	for (size_t i = 0; i < 2; i++) {
		ctx = plain[i];
		size_t len;
		uint8_t *f = load(dir, plain[i], &len);
		struct sl_pq_file_meta m;
		struct seen s;
		survey(f, len, &m, &s); /* walks the plaintext columns, refuses to encode */
		assert_true(m.encrypted);
		int enc = 0;
		for (size_t c = 0; c < m.row_groups[0].n_columns; c++)
			enc += m.row_groups[0].columns[c].encrypted;
		assert_true(enc > 0);
		assert_int_equal(s.page_errors, 0);
		sl_pq_file_meta_release(&m);
		free(f);
	}
	free(dir);
}

/* bad_data: PARQUET-1481's footer has a negative physical type; the others' footers are
 * sound (the damage is in the pages), no walk crashes, and a negative dictionary count
 * is caught in the page header. */
static void t_corpus_bad(void **state)
{
	(void)state;
	static const char *const files[] = {
		"ARROW-GH-41317.parquet", "ARROW-GH-41321.parquet", "ARROW-GH-43605.parquet",
		"ARROW-GH-45185.parquet", "ARROW-GH-47662.parquet",
		"ARROW-RS-GH-6229-DICTHEADER.parquet", "ARROW-RS-GH-6229-LEVELS.parquet",
	};
	char *dir = th_conformance_dir("parquet/bad_data");
	size_t len, flen;
	uint8_t *f = load(dir, "PARQUET-1481.parquet", &len);
	const uint8_t *ft = footer(f, len, &flen);
	struct sl_pq_file_meta bad;
	struct sl_err err = {0};
	assert_int_equal(sl_pq_file_meta_decode(ft, flen, &bad, &err), SL_ECORRUPT);
	assert_non_null(strstr(err.msg, "SchemaElement.type: negative value -7"));
	free(f);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		ctx = files[i];
		f = load(dir, files[i], &len);
		struct sl_pq_file_meta m;
		struct seen s;
		survey(f, len, &m, &s);
		if (strcmp(files[i], "ARROW-RS-GH-6229-DICTHEADER.parquet") == 0)
			assert_non_null(strstr(s.first_error, "DictionaryPageHeader.num_values: "
							      "negative value"));
		sl_pq_file_meta_release(&m);
		free(f);
	}
	free(dir);
}

/* Every prefix and single-byte change of a real footer, as t_mutations does for ours. */
static void t_corpus_mutations(void **state)
{
	(void)state;
	char *dir = th_conformance_dir("parquet/data");
	size_t len, flen;
	uint8_t *f = load(dir, "datapage_v2.snappy.parquet", &len);
	const uint8_t *ft = footer(f, len, &flen);
	mutate_all(ft, flen);
	free(f);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_meta_roundtrip),
		cmocka_unit_test(t_page_roundtrip),
		cmocka_unit_test(t_page_header_bytes),
		cmocka_unit_test(t_page_index_roundtrip),
		cmocka_unit_test(t_names),
		cmocka_unit_test(t_hostile_fields),
		cmocka_unit_test(t_hostile_pages),
		cmocka_unit_test(t_hostile_page_index),
		cmocka_unit_test(t_memory_cap),
		cmocka_unit_test(t_mutations),
		cmocka_unit_test(t_encode_refusals),
		cmocka_unit_test(t_corpus),
		cmocka_unit_test(t_corpus_quirks),
		cmocka_unit_test(t_corpus_encrypted),
		cmocka_unit_test(t_corpus_bad),
		cmocka_unit_test(t_corpus_mutations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
