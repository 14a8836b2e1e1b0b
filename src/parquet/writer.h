/*
 * writer.h - the Parquet writer: rows in (JSON records shredded straight from the JSON
 * engine's tape, no tree per record), a Parquet file out through a sink.
 *
 * Invariants:
 *   1. Memory is bounded by one row group: column buffers are flushed as pages are
 *      filled and the row group is written out when it reaches row_group_rows rows or
 *      row_group_bytes buffered bytes, whichever comes first.
 *   2. A record is added whole or not at all: a record that does not fit the schema
 *      leaves every column exactly as it was (sl_pq_writer_put_json returns SL_EINVAL
 *      with the JSON pointer of the offending value).
 *   3. Bytes reach the sink only in file order (magic, column chunks, page indexes,
 *      footer, magic); nothing is written after close. Durability (temp file, fsync,
 *      rename) is the sink's owner's business.
 *   4. Statistics and page indexes use the type's sort order: signed or unsigned
 *      integers, unsigned bytewise for strings and binaries, signed two's complement for
 *      decimals, IEEE order without NaN for floats (-0.0 as min, +0.0 as max).
 */
#ifndef SL_PQ_WRITER_H
#define SL_PQ_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json/json.h"
#include "parquet/codec.h"
#include "types/types.h"
#include "util/err.h"

/* Where the bytes go (a seam: a file descriptor, the object store's streaming writer,
 * a memory buffer in tests). */
struct sl_pq_sink {
	void *ctx;
	int (*write)(void *ctx, const void *p, size_t len, struct sl_err *err);
};
/* A sink over a file descriptor (borrowed; full writes, EINTR retried). */
void sl_pq_sink_fd(struct sl_pq_sink *s, int *fd);
/* A sink appending to a buffer (tests). */
void sl_pq_sink_buf(struct sl_pq_sink *s, struct sl_buf *b);

struct sl_pq_kv_pair {
	const char *key, *value; /* borrowed until close */
};

struct sl_pq_write_opts {
	const struct sl_pq_codec *codec; /* NULL = zstd */
	int level;                       /* codec level; 0 = codec default (zstd 3) */
	int64_t row_group_rows;          /* default 122880 */
	size_t row_group_bytes;          /* buffered bytes before a row group is cut; 128 MiB */
	size_t page_bytes;               /* target uncompressed page size; default 1 MiB */
	size_t dict_max_bytes;           /* dictionary size before falling back to PLAIN;
					  * default 1 MiB */
	int page_version;                /* 1 (default) or 2 */
	bool no_dictionary;
	bool no_stats;
	bool no_page_index;
	bool no_delta;                   /* never choose DELTA_BINARY_PACKED */
	const struct sl_pq_kv_pair *kv;  /* file key-value metadata */
	size_t n_kv;
	const char *created_by;          /* default "sluice version X" */
};

void sl_pq_write_opts_default(struct sl_pq_write_opts *o);

struct sl_pq_writer;

/* row must be a struct type; it is copied. The sink is borrowed until close. */
int sl_pq_writer_open(const struct sl_type *row, const struct sl_pq_write_opts *opts,
		      struct sl_pq_sink *sink, struct sl_pq_writer **out, struct sl_err *err);

/* Shreds one record. The record must be a JSON object; members not in the schema are
 * ignored unless strict_members, absent or null members are nulls (an error for a
 * non-nullable field). Values are converted as types.h describes (timestamps from RFC
 * 3339 text, decimals from numbers, binary from base64, json from any value's text...).
 * SL_EINVAL (record refused, columns untouched) with "at /player/id: expected int64,
 * got string" style messages; other codes are fatal for the writer. */
int sl_pq_writer_put_json(struct sl_pq_writer *w, const struct sl_json_doc *doc,
			  struct sl_err *err);
/* The same for a text (parses it; convenient for tests and small callers). */
int sl_pq_writer_put_json_text(struct sl_pq_writer *w, const char *text, size_t len,
			       struct sl_err *err);
void sl_pq_writer_set_strict_members(struct sl_pq_writer *w, bool strict);
/* A string column (not an enum) takes a number, boolean, object or array as its JSON
 * text, as the crawler's conflict columns mean (types/merge.h: int + string -> string);
 * without it, such a value refuses the record. */
void sl_pq_writer_set_text_any(struct sl_pq_writer *w, bool any);
/* The JSON pointer of the value the last refused record failed at ("" for the record
 * itself), for machine-readable reports; valid until the next put. */
const char *sl_pq_writer_error_pointer(const struct sl_pq_writer *w);

/* Cuts the current row group now (no-op when empty). */
int sl_pq_writer_flush(struct sl_pq_writer *w, struct sl_err *err);
/* Writes what is left, the page indexes and the footer. The writer must still be freed. */
int sl_pq_writer_close(struct sl_pq_writer *w, struct sl_err *err);
void sl_pq_writer_free(struct sl_pq_writer *w);

struct sl_pq_write_stats {
	int64_t rows;
	int64_t row_groups;
	int64_t bytes_written; /* file bytes so far */
	int64_t uncompressed_bytes; /* page bytes before compression */
	int64_t buffered_bytes;   /* bytes of the row group not written yet, as of the
				   * writer's last look (it looks every few hundred KiB of input) */
};
void sl_pq_writer_stats(const struct sl_pq_writer *w, struct sl_pq_write_stats *st);

#endif
