/*
 * format.h - Parquet's file metadata (parquet.thrift) as C structs, with encoders and
 * bounds-checked decoders over the compact protocol (thrift.h).
 *
 * Only what sluice reads or writes has a field here; everything else is skipped on
 * decode. Decoded strings and binaries (struct sl_pq_bytes) point into the bytes that
 * were decoded: the caller keeps those alive as long as the structs. Arrays are
 * allocated from the struct's arena and freed together by the matching _release.
 */
#ifndef SL_PQ_FORMAT_H
#define SL_PQ_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

/* ---- enums (values as in parquet.thrift) ------------------------------------------- */
enum sl_pq_type {
	SL_PQ_BOOLEAN = 0, SL_PQ_INT32 = 1, SL_PQ_INT64 = 2, SL_PQ_INT96 = 3,
	SL_PQ_FLOAT = 4, SL_PQ_DOUBLE = 5, SL_PQ_BYTE_ARRAY = 6, SL_PQ_FIXED_LEN_BYTE_ARRAY = 7,
};
enum sl_pq_repetition { SL_PQ_REQUIRED = 0, SL_PQ_OPTIONAL = 1, SL_PQ_REPEATED = 2 };
enum sl_pq_converted {
	SL_PQ_CT_NONE = -1, /* absent */
	SL_PQ_CT_UTF8 = 0, SL_PQ_CT_MAP = 1, SL_PQ_CT_MAP_KEY_VALUE = 2, SL_PQ_CT_LIST = 3,
	SL_PQ_CT_ENUM = 4, SL_PQ_CT_DECIMAL = 5, SL_PQ_CT_DATE = 6, SL_PQ_CT_TIME_MILLIS = 7,
	SL_PQ_CT_TIME_MICROS = 8, SL_PQ_CT_TIMESTAMP_MILLIS = 9, SL_PQ_CT_TIMESTAMP_MICROS = 10,
	SL_PQ_CT_UINT_8 = 11, SL_PQ_CT_UINT_16 = 12, SL_PQ_CT_UINT_32 = 13, SL_PQ_CT_UINT_64 = 14,
	SL_PQ_CT_INT_8 = 15, SL_PQ_CT_INT_16 = 16, SL_PQ_CT_INT_32 = 17, SL_PQ_CT_INT_64 = 18,
	SL_PQ_CT_JSON = 19, SL_PQ_CT_BSON = 20, SL_PQ_CT_INTERVAL = 21,
};
enum sl_pq_encoding {
	SL_PQ_ENC_PLAIN = 0, SL_PQ_ENC_PLAIN_DICTIONARY = 2, SL_PQ_ENC_RLE = 3,
	SL_PQ_ENC_BIT_PACKED = 4, SL_PQ_ENC_DELTA_BINARY_PACKED = 5,
	SL_PQ_ENC_DELTA_LENGTH_BYTE_ARRAY = 6, SL_PQ_ENC_DELTA_BYTE_ARRAY = 7,
	SL_PQ_ENC_RLE_DICTIONARY = 8, SL_PQ_ENC_BYTE_STREAM_SPLIT = 9,
};
enum sl_pq_codec_id {
	SL_PQ_UNCOMPRESSED = 0, SL_PQ_SNAPPY = 1, SL_PQ_GZIP = 2, SL_PQ_LZO = 3,
	SL_PQ_BROTLI = 4, SL_PQ_LZ4 = 5, SL_PQ_ZSTD = 6, SL_PQ_LZ4_RAW = 7,
};
enum sl_pq_page_type {
	SL_PQ_DATA_PAGE = 0, SL_PQ_INDEX_PAGE = 1, SL_PQ_DICTIONARY_PAGE = 2,
	SL_PQ_DATA_PAGE_V2 = 3,
};
enum sl_pq_boundary { SL_PQ_UNORDERED = 0, SL_PQ_ASCENDING = 1, SL_PQ_DESCENDING = 2 };

/* LogicalType union member ids. */
enum sl_pq_logical {
	SL_PQ_LT_NONE = 0, SL_PQ_LT_STRING = 1, SL_PQ_LT_MAP = 2, SL_PQ_LT_LIST = 3,
	SL_PQ_LT_ENUM = 4, SL_PQ_LT_DECIMAL = 5, SL_PQ_LT_DATE = 6, SL_PQ_LT_TIME = 7,
	SL_PQ_LT_TIMESTAMP = 8, SL_PQ_LT_INTEGER = 10, SL_PQ_LT_UNKNOWN = 11,
	SL_PQ_LT_JSON = 12, SL_PQ_LT_BSON = 13, SL_PQ_LT_UUID = 14, SL_PQ_LT_FLOAT16 = 15,
	SL_PQ_LT_VARIANT = 16, SL_PQ_LT_GEOMETRY = 17, SL_PQ_LT_GEOGRAPHY = 18,
	SL_PQ_LT_OTHER = 1000, /* a member id this reader does not know */
};

struct sl_pq_bytes {
	const uint8_t *p; /* NULL when absent */
	uint32_t len;
};

/* ---- structs ------------------------------------------------------------------------ */
struct sl_pq_logical_type {
	enum sl_pq_logical kind;
	int32_t scale, precision;      /* DECIMAL */
	bool utc_adjusted;             /* TIME, TIMESTAMP */
	uint8_t unit;                  /* TIME, TIMESTAMP: enum sl_time_unit (types.h) */
	int8_t bit_width;              /* INTEGER */
	bool is_signed;                /* INTEGER */
};

struct sl_pq_schema_elem {
	int32_t type;            /* enum sl_pq_type, -1 for a group */
	int32_t type_length;     /* FIXED_LEN_BYTE_ARRAY (0 absent) */
	int32_t repetition;      /* enum sl_pq_repetition, -1 absent (the root) */
	struct sl_pq_bytes name;
	int32_t num_children;    /* 0 for a leaf (written for every group) */
	int32_t converted;       /* enum sl_pq_converted */
	int32_t scale, precision;/* converted DECIMAL; -1 absent */
	int32_t field_id;        /* -1 absent (or negative in the file) */
	struct sl_pq_logical_type logical; /* kind NONE when absent */
};

struct sl_pq_stats {
	bool present;
	struct sl_pq_bytes min_value, max_value; /* fields 6, 5 */
	struct sl_pq_bytes min, max;             /* legacy fields 2, 1 */
	int64_t null_count;     /* -1 absent (or negative in the file) */
	int64_t distinct_count; /* -1 absent (or negative in the file) */
	int8_t is_min_exact, is_max_exact; /* -1 absent, 0, 1 */
};

struct sl_pq_kv {
	struct sl_pq_bytes key, value; /* value.p NULL: no value */
};

struct sl_pq_column_meta {
	int32_t type;
	int32_t *encodings;  size_t n_encodings;
	struct sl_pq_bytes *path; size_t n_path;
	int32_t codec;
	int64_t num_values;
	int64_t total_uncompressed_size, total_compressed_size;
	struct sl_pq_kv *kv; size_t n_kv;
	int64_t data_page_offset;
	int64_t index_page_offset;      /* -1 absent */
	int64_t dictionary_page_offset; /* -1 absent (0 from some writers: treat as absent) */
	struct sl_pq_stats stats;
	int64_t bloom_filter_offset;    /* -1 absent */
	int32_t bloom_filter_length;    /* -1 absent */
};

struct sl_pq_column_chunk {
	struct sl_pq_bytes file_path; /* must be absent for us to read it */
	int64_t file_offset;
	bool has_meta;
	struct sl_pq_column_meta meta;
	int64_t offset_index_offset; int32_t offset_index_length; /* -1 absent */
	int64_t column_index_offset; int32_t column_index_length; /* -1 absent */
	bool encrypted; /* crypto_metadata or encrypted_column_metadata present */
};

struct sl_pq_sorting_column {
	int32_t column_idx;
	bool descending, nulls_first;
};

struct sl_pq_row_group {
	struct sl_pq_column_chunk *columns; size_t n_columns;
	int64_t total_byte_size;
	int64_t num_rows;
	struct sl_pq_sorting_column *sorting; size_t n_sorting;
	int64_t file_offset;           /* -1 absent */
	int64_t total_compressed_size; /* -1 absent */
	int32_t ordinal;               /* -1 absent */
};

struct sl_pq_arena_chunk;

struct sl_pq_file_meta {
	int32_t version;
	struct sl_pq_schema_elem *schema; size_t n_schema;
	int64_t num_rows;
	struct sl_pq_row_group *row_groups; size_t n_row_groups;
	struct sl_pq_kv *kv; size_t n_kv;
	struct sl_pq_bytes created_by;
	bool *column_orders_typed; size_t n_column_orders; /* TYPE_ORDER per leaf */
	bool encrypted; /* encryption_algorithm present (plaintext footer, encrypted columns) */
	struct sl_pq_arena_chunk *arena; /* owned */
};

struct sl_pq_data_page_header {
	int32_t num_values, encoding, def_encoding, rep_encoding;
	struct sl_pq_stats stats;
};
struct sl_pq_data_page_header_v2 {
	int32_t num_values, num_nulls, num_rows, encoding;
	int32_t def_levels_len, rep_levels_len;
	bool is_compressed; /* default true */
	struct sl_pq_stats stats;
};
struct sl_pq_dict_page_header {
	int32_t num_values, encoding;
	bool is_sorted;
};

struct sl_pq_page_header {
	int32_t type; /* enum sl_pq_page_type */
	int32_t uncompressed_size, compressed_size;
	bool has_crc;
	uint32_t crc;
	bool has_data, has_data_v2, has_dict;
	struct sl_pq_data_page_header data;
	struct sl_pq_data_page_header_v2 data_v2;
	struct sl_pq_dict_page_header dict;
};

struct sl_pq_page_location {
	int64_t offset;
	int32_t compressed_size;
	int64_t first_row;
};

struct sl_pq_column_index {
	bool *null_pages; size_t n_pages;
	struct sl_pq_bytes *min_values, *max_values; /* n_pages each */
	int32_t boundary_order;
	int64_t *null_counts; /* n_pages, or NULL when absent; an entry -1: unknown */
	struct sl_pq_arena_chunk *arena;
};

struct sl_pq_offset_index {
	struct sl_pq_page_location *pages; size_t n_pages;
	struct sl_pq_arena_chunk *arena;
};

/* ---- encode: appends the struct in compact protocol to out ------------------------- */
int sl_pq_file_meta_encode(const struct sl_pq_file_meta *m, struct sl_buf *out,
			   struct sl_err *err);
int sl_pq_page_header_encode(const struct sl_pq_page_header *h, struct sl_buf *out,
			     struct sl_err *err);
int sl_pq_column_index_encode(const struct sl_pq_column_index *ci, struct sl_buf *out,
			      struct sl_err *err);
int sl_pq_offset_index_encode(const struct sl_pq_offset_index *oi, struct sl_buf *out,
			      struct sl_err *err);

/* ---- decode ------------------------------------------------------------------------
 * Each reads from p[0 .. len) and fails with SL_ECORRUPT (message with the byte offset
 * and the field) on anything malformed: truncation, a required field missing or of the
 * wrong wire type (an optional one of the wrong type is skipped, as Thrift does), a
 * negative size, count or enum, a list larger than the bytes left could hold. The page
 * header decoder also reports how many bytes it used.
 * The arrays of one decode take at most SL_PQ_META_MEM(len) bytes (SL_ELIMIT past it;
 * the corpus's footers need under 8 per footer byte). On failure the struct is left
 * released.
 * A dictionary_page_offset of 0 decodes as -1 (absent). */
#define SL_PQ_META_MEM(len) (((size_t)1 << 20) + 32 * (size_t)(len))
int sl_pq_file_meta_decode(const void *p, size_t len, struct sl_pq_file_meta *m,
			   struct sl_err *err);
void sl_pq_file_meta_release(struct sl_pq_file_meta *m);
int sl_pq_page_header_decode(const void *p, size_t len, struct sl_pq_page_header *h,
			     size_t *used, struct sl_err *err);
int sl_pq_column_index_decode(const void *p, size_t len, struct sl_pq_column_index *ci,
			      struct sl_err *err);
void sl_pq_column_index_release(struct sl_pq_column_index *ci);
int sl_pq_offset_index_decode(const void *p, size_t len, struct sl_pq_offset_index *oi,
			      struct sl_err *err);
void sl_pq_offset_index_release(struct sl_pq_offset_index *oi);

/* Names for messages and `sluice parquet meta`; "UNKNOWN" for a value not listed. */
const char *sl_pq_type_name(int32_t t);
const char *sl_pq_encoding_name(int32_t e);
const char *sl_pq_codec_name(int32_t c);
const char *sl_pq_converted_name(int32_t c);

#endif
