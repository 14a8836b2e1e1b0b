/*
 * reader.h - the Parquet reader: footer and schema, column chunks page by page, and rows
 * reassembled from definition and repetition levels into JSON (types.h gives each
 * type's JSON form).
 *
 * Every offset and length in the file is checked against the file size and against the
 * limits in struct sl_pq_read_opts before it is used; a corrupt or hostile file gives
 * SL_ECORRUPT (or SL_ELIMIT) with a message naming the row group, column, page and byte
 * offset, never a crash, an out-of-bounds read or an allocation the limits do not allow.
 * Encrypted files are refused with SL_EINVAL ("encrypted Parquet is not supported").
 *
 * A reader, its columns and its rows are used by one thread at a time (several readers
 * may share an fd). A closed column leaves its buffers with the reader for the same
 * leaf's next chunk, so a reader holds up to one chunk's buffers per leaf it has read
 * until it is closed.
 */
#ifndef SL_PQ_READER_H
#define SL_PQ_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parquet/encoding.h"
#include "parquet/format.h"
#include "parquet/schema.h"
#include "util/buf.h"
#include "util/err.h"

struct sl_pq_read_opts {
	size_t max_footer;     /* default 64 MiB */
	size_t max_page;       /* largest page, compressed or not; default 256 MiB */
	size_t max_row_group;  /* most bytes buffered for one column chunk; default 1 GiB */
	bool verify_crc;       /* check page CRCs when present (default true) */
};
void sl_pq_read_opts_default(struct sl_pq_read_opts *o);

struct sl_pq_reader;

/* fd is borrowed (pread only, so several readers may share it). name is for messages. */
int sl_pq_reader_open(int fd, const char *name, const struct sl_pq_read_opts *opts,
		      struct sl_pq_reader **out, struct sl_err *err);
/* The same over a memory image (fuzzing, tests); p is borrowed. */
int sl_pq_reader_open_mem(const void *p, size_t len, const char *name,
			  const struct sl_pq_read_opts *opts, struct sl_pq_reader **out,
			  struct sl_err *err);
void sl_pq_reader_close(struct sl_pq_reader *r);

const struct sl_pq_file_meta *sl_pq_reader_meta(const struct sl_pq_reader *r);
const struct sl_pq_schema *sl_pq_reader_schema(const struct sl_pq_reader *r);
/* Row count as the row groups add up (the footer's num_rows may be wrong). */
int64_t sl_pq_reader_rows(const struct sl_pq_reader *r);
/* The row type the rows are written in: the "sluice.type" key-value entry of a file our
 * writer made, when it agrees with the schema (it keeps enum, uuid, json... exactly),
 * else the schema's mapping (sl_pq_reader_schema(r)->root->type). Borrowed. */
const struct sl_type *sl_pq_reader_row_type(const struct sl_pq_reader *r);

/* ---- one column chunk, a page at a time ---------------------------------------------
 * A batch holds one data page's worth: levels for every entry (def/rep NULL when the
 * column's max level is 0) and the non-null values, densely. */
struct sl_pq_batch {
	size_t n_levels;          /* entries (values + nulls + empty lists) */
	const int16_t *def, *rep;
	size_t n_values;          /* non-null values */
	int32_t phys;             /* enum sl_pq_type */
	const uint8_t *bools;     /* BOOLEAN: one byte per value */
	const int32_t *i32;       /* INT32 */
	const int64_t *i64;       /* INT64 */
	const float *f32;
	const double *f64;
	const uint8_t *fixed;     /* INT96 (12 bytes) and FLBA (type_length): n_values*len */
	const struct sl_pq_barr *barr; /* BYTE_ARRAY: offsets into data */
	const uint8_t *data;
};

struct sl_pq_col;
int sl_pq_col_open(struct sl_pq_reader *r, size_t row_group, size_t leaf,
		   struct sl_pq_col **out, struct sl_err *err);
/* 1: a batch (valid until the next call); 0: end of the chunk; < 0: error. */
int sl_pq_col_next(struct sl_pq_col *c, struct sl_pq_batch *b, struct sl_err *err);
void sl_pq_col_close(struct sl_pq_col *c);

/* ---- row-group selection by statistics ---------------------------------------------- */
enum sl_pq_op { SL_PQ_EQ, SL_PQ_LT, SL_PQ_LE, SL_PQ_GT, SL_PQ_GE, SL_PQ_IS_NULL,
		SL_PQ_NOT_NULL };
struct sl_pq_pred {
	const char *column;   /* dotted path of a primitive leaf ("player.level") */
	enum sl_pq_op op;
	/* the constant, as JSON text in the column type's JSON form ("42", "\"abc\"",
	 * "\"2026-01-01T00:00:00Z\"") */
	const char *value;
};
/* false only when the statistics prove no row of the group can satisfy every predicate
 * (conjunction); unknown columns or missing statistics keep the group. */
int sl_pq_row_group_may_match(struct sl_pq_reader *r, size_t row_group,
			      const struct sl_pq_pred *preds, size_t n_preds, bool *may,
			      struct sl_err *err);

/* The file's statistics per leaf column, as the catalog keeps them: a JSON object
 * {"a.b": {"min": v, "max": v, "nulls": N}, ...} keyed by the leaf's dotted path
 * (sl_pq_node_path, list and map plumbing included), values in the leaf's JSON form.
 * nulls is the sum over the row groups, left out when one does not give it; min and max
 * are the extremes across row groups in the column's order (the one row-group selection
 * trusts), left out when a row group lacks a usable bound or one is over 1 KiB. */
int sl_pq_reader_stats_json(struct sl_pq_reader *r, struct sl_buf *out, struct sl_err *err);

/* ---- rows as JSON --------------------------------------------------------------------
 * columns: top-level field names or dotted paths to select (NULL = all); nested fields
 * of a selected struct come along. Row groups that preds rule out are skipped. Each row
 * is one JSON object appended to out, members in schema order, nulls written. */
struct sl_pq_rows;
int sl_pq_rows_open(struct sl_pq_reader *r, const char *const *columns, size_t n_columns,
		    const struct sl_pq_pred *preds, size_t n_preds, struct sl_pq_rows **out,
		    struct sl_err *err);
/* 1: a row appended to out; 0: no more rows; < 0: error. */
int sl_pq_rows_next(struct sl_pq_rows *rows, struct sl_buf *out, struct sl_err *err);
void sl_pq_rows_close(struct sl_pq_rows *rows);

/* Writes one leaf value in its JSON form (shared by rows and the CLI). */
int sl_pq_value_json(const struct sl_pq_node *leaf, const struct sl_pq_batch *b, size_t i,
		     struct sl_buf *out);
/* Writes a statistics value (a min or max as stored: PLAIN bytes, byte arrays without
 * their length) in the leaf's JSON form; SL_EINVAL when its size does not fit the type. */
int sl_pq_stat_json(const struct sl_pq_node *leaf, struct sl_pq_bytes v, struct sl_buf *out);

#endif
