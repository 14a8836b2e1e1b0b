/*
 * writer_int.h - what the Parquet writer's two files share: the column buffers a record
 * is shredded into (shred.c fills them, writer.c turns them into pages), and the
 * shredding plan built from the row type.
 *
 * A column's current page lives in three buffers: definition levels and repetition
 * levels (one byte per entry, only when the column's maximum level is not 0) and values
 * (PLAIN bytes, or uint32 dictionary indices while the chunk is dictionary encoded).
 * Pages are only ever cut between records, so a record that fails is undone by putting
 * each column's lengths back to where the record found them (its mark, taken lazily the
 * first time the record touches the column) and forgetting the dictionary entries it
 * added, newest first.
 */
#ifndef SL_PQ_WRITER_INT_H
#define SL_PQ_WRITER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json/json.h"
#include "parquet/format.h"
#include "parquet/schema.h"
#include "parquet/writer.h"
#include "types/types.h"
#include "util/buf.h"
#include "util/err.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the Parquet writer stores PLAIN values in the machine's order: little endian only"
#endif

/* Largest buffer one column may hold (a page's levels, values or compressed bytes): a
 * Parquet page size is an int32. */
#define PQW_BUF_MAX ((size_t)1 << 30)
/* Longest min/max kept in statistics and page indexes for byte arrays. */
#define PQW_STAT_MAX 64

/* How a leaf's JSON value becomes its Parquet value. */
enum pqw_conv {
	PQW_BOOL = 1,
	PQW_I32,      /* int8..int32, uint8..uint32 (range from the type), stored as INT32 */
	PQW_I64,
	PQW_U64,
	PQW_FLOAT,
	PQW_DOUBLE,
	PQW_DEC_I32,  /* decimal(p<=9,s) */
	PQW_DEC_I64,  /* decimal(p<=18,s) */
	PQW_DEC_FLBA, /* decimal as big-endian two's complement of the leaf's type_length */
	PQW_STRING,   /* string and enum */
	PQW_BINARY,   /* base64 text -> bytes */
	PQW_BINARY_FIXED,
	PQW_DATE,
	PQW_TIME_MS,
	PQW_TIME_US,
	PQW_TS_MS,
	PQW_TS_US,
	PQW_UUID,
	PQW_JSON,     /* the value's JSON text */
};

/* Statistics order of a leaf (writer.h invariant 4). */
enum pqw_order {
	PQW_ORD_BOOL = 1,
	PQW_ORD_I32,
	PQW_ORD_U32,
	PQW_ORD_I64,
	PQW_ORD_U64,
	PQW_ORD_FLOAT,
	PQW_ORD_DOUBLE,
	PQW_ORD_BYTES,    /* unsigned bytewise (strings, binaries, uuids) */
	PQW_ORD_DEC_FLBA, /* signed big-endian two's complement */
};

enum pqw_mode { PQW_MODE_DICT = 1, PQW_MODE_PLAIN };

/* A dictionary: entries in insertion order (their index is the order), found through an
 * open-addressing table. The PLAIN bytes of the entries are the dictionary page. */
struct pqw_dict {
	uint64_t *slots;   /* (hash << 32) | (index + 1); 0 empty; power-of-two count */
	uint32_t mask;     /* slot count - 1 */
	uint32_t n;        /* entries */
	uint32_t cap;      /* entries the per-entry arrays hold */
	uint32_t *off;     /* byte arrays: offset of the entry's bytes (after its length) */
	uint32_t *hash;    /* per entry, so the table can be rebuilt in insertion order */
	uint32_t *stamp;   /* per entry: the last page whose statistics counted it */
	struct sl_buf vals;
};

struct pqw_mark {
	uint32_t n_levels, n_values, val_len, dict_n;
};

/* Statistics of one page (and, merged, of a chunk); min/max bytes live in the column's
 * stat_bytes. */
struct pqw_pstat {
	uint32_t min_off, min_len, max_off, max_len;
	bool has_minmax;
	bool min_exact, max_exact;
	int64_t nulls;       /* level entries without a value */
	uint32_t n_values;
	int64_t first_row;   /* in the row group */
	uint32_t page_off;   /* in the chunk's page buffer */
	uint32_t page_size;  /* header and data */
};

struct pqw_col {
	/* ---- shredding: touched for every value ---- */
	struct sl_buf def, rep, val;
	uint32_t n_levels, n_values;
	uint64_t mark_seq; /* the record that took mark */
	struct pqw_mark mark;
	int16_t max_def, max_rep;
	uint8_t mode;      /* enum pqw_mode */
	uint8_t conv;      /* enum pqw_conv */
	uint8_t order;     /* enum pqw_order */
	int32_t phys;      /* enum sl_pq_type */
	uint32_t width;    /* bytes of a fixed-width value (1 for BOOLEAN); 0 for BYTE_ARRAY */
	struct pqw_dict dict;
	uint64_t hash_seed;
	/* ---- conversion parameters ---- */
	int64_t imin, imax; /* PQW_I32 range */
	int scale, precision; /* decimals */
	bool time_utc;      /* TIME adjusted to UTC: an offset in the text is applied */
	/* ---- page and chunk ---- */
	int64_t page_first_row;
	bool probed;        /* the dictionary was judged for this chunk */
	bool dict_used;     /* some page of the chunk is dictionary encoded */
	bool used_plain, used_delta;
	int64_t chunk_values; /* level entries in the chunk */
	int64_t chunk_uncompressed; /* page headers and uncompressed page bodies */
	struct sl_buf pages;  /* the chunk's data pages: headers and compressed bodies */
	struct pqw_pstat *pstats; size_t n_pages, cap_pages;
	struct sl_buf stat_bytes;
	const struct sl_pq_node *leaf; /* borrowed from the writer's schema */
	char *path;          /* dotted, owned */
	struct sl_pq_bytes *path_elems; size_t n_path_elems; /* owned array, names borrowed */
};

/* The shredding plan: a tree that follows the row type, with the levels precomputed. */
enum pqw_op { PQW_OP_LEAF = 1, PQW_OP_STRUCT, PQW_OP_LIST, PQW_OP_MAP };

struct pqw_node;

struct pqw_field {
	const char *name; /* borrowed from the type */
	uint32_t len;
	uint64_t seen;    /* the struct occurrence that last had this member */
	struct pqw_node *node;
};

struct pqw_node {
	uint8_t op;            /* enum pqw_op */
	bool nullable;
	int16_t def;           /* definition level when the value is present */
	int16_t null_def;      /* ... when it is null (the parent's) */
	int16_t elem_def;      /* lists, maps: an element (key_value) exists */
	int16_t elem_rep;      /* lists, maps: repetition level of the second element on */
	uint32_t leaf_lo, leaf_hi; /* the columns under this node */
	const struct sl_type *type; /* borrowed from the writer's copy of the row type */
	/* PQW_OP_LEAF */
	struct pqw_col *col;
	/* PQW_OP_STRUCT */
	struct pqw_field *fields;
	uint32_t n_fields;
	uint32_t guess;        /* the field expected next (members usually come in order) */
	uint32_t *ftab;        /* field index + 1 by name hash; tmask + 1 slots */
	uint32_t tmask;
	/* PQW_OP_LIST (elem), PQW_OP_MAP (key, elem) */
	struct pqw_node *elem, *key;
};

/* The shredder's state, inside the writer. */
struct pqw_shred {
	struct pqw_node *root;
	struct pqw_col *cols;
	size_t n_cols;
	uint64_t seq;          /* records begun */
	uint64_t stamp;        /* struct occurrences */
	bool strict_members;
	/* the failing value's pointer, collected innermost first while unwinding */
	struct sl_buf ptr_rev;
	struct sl_buf scratch; /* a decoded base64 value */
	char *pointer;         /* the last refused record's pointer (malloc'd) */
	const struct sl_json_doc *doc;
	struct sl_err *err;
};

/* shred.c */
int sl_pqw_plan_build(struct pqw_shred *s, const struct sl_type *row,
		      const struct sl_pq_schema *schema, struct sl_err *err);
void sl_pqw_plan_free(struct pqw_shred *s);
/* Shreds one record; on failure every column is as before (the caller rolls back only
 * through sl_pqw_rollback, called here). SL_EINVAL: refused, err says where and why. */
int sl_pqw_shred(struct pqw_shred *s, const struct sl_json_doc *doc, struct sl_err *err);
/* Dictionary: the entry for a value, added if new; -1 on out of memory. */
int64_t sl_pqw_dict_fixed(struct pqw_col *c, const void *v);
int64_t sl_pqw_dict_bytes(struct pqw_col *c, const void *p, uint32_t len);
void sl_pqw_dict_reset(struct pqw_col *c);
void sl_pqw_dict_release(struct pqw_dict *d);
/* Grows a buffer so that extra more bytes fit (sl_buf's rules, hard max kept). */
int sl_pqw_reserve(struct sl_buf *b, size_t extra);
uint64_t sl_pqw_hash(const void *p, size_t n, uint64_t seed);

#endif
