/*
 * writer_int.h - what the Parquet writer's two files share: the column buffers a record
 * is shredded into (shred.c fills them, writer.c turns them into pages), and the
 * shredding plan built from the row type.
 *
 * A column's current page lives in three buffers: definition levels and repetition
 * levels (one byte per entry, only when the column's maximum level is not 0; a sparse
 * column keeps the row of each value instead, see sl_pqw_sparse) and values in PLAIN
 * form. Pages are only ever cut between records, so a record that fails is
 * undone by putting each column's lengths back to where the record found them (its
 * mark, taken lazily the first time the record touches the column). Dictionaries are
 * only built when a page is cut, a whole page at a time.
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
/* Bytes allocated past the capacity of a column's values and levels and of a lazy
 * struct's levels, so that 16 bytes may be loaded from any value's start (dictionary
 * keys) and runs of levels be moved 16 bytes at a time. */
#define PQW_VAL_SLACK 16
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

/* A byte array's dictionary key (writer.c's make_key). */
struct pqw_key {
	uint64_t a, b;
};

/* A dictionary: entries in insertion order (their index is the order), found through an
 * open-addressing table. The PLAIN bytes of the entries are the dictionary page. */
struct pqw_dict {
	uint64_t *slots;   /* (hash << 32) | (index + 1); 0 empty; power-of-two count */
	uint32_t mask;     /* slot count - 1 */
	uint32_t n;        /* entries */
	uint32_t cap;      /* entries the per-entry arrays hold */
	uint32_t *off;     /* byte arrays: offset of the entry's bytes (after its length) */
	struct pqw_key *key; /* byte arrays: per entry */
	uint32_t *hash;    /* per entry, so the table grows without hashing values again */
	uint32_t *stamp;   /* per entry: the last page whose statistics counted it */
	struct sl_buf vals;
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

/* A leaf column. The first cache line holds everything a value append touches (and a
 * level append, but for a list or map leaf's row_end), so that a record costs one line
 * per column it touches: that is why the page buffers are bare arrays with explicit
 * capacities here rather than struct sl_buf (the hard maximum is PQW_BUF_MAX, kept by
 * the grow functions). */
struct pqw_col {
	/* ---- line 0 ---- */
	_Alignas(64) uint8_t *def; /* one byte per level entry; NULL while max_def is 0, and
				    * for sparse columns */
	union {
		uint8_t *rep;      /* one byte per level entry; NULL while max_rep is 0 */
		uint32_t *rows;    /* sparse columns: the row of each entry */
	};
	uint8_t *val;          /* the page's values, PLAIN */
	uint32_t n_levels, lv_cap;
	uint32_t n_values, val_len, val_cap;
	uint32_t mark_seq;     /* the record (low 32 bits) that took the mark below */
	uint32_t mark_levels, mark_values, mark_val_len;
	uint8_t max_def, max_rep;
	uint8_t conv;          /* enum pqw_conv */
	bool lazy;             /* nulls filled in later (see struct pqw_node) */
	/* ---- lists' lazy rows, conversion ---- */
	uint32_t row_end;      /* lazy leaves under lists and maps: the rows (in the row
				* group) whose level entries are all here */
	uint32_t page_row;     /* the row (in the row group) the current page starts at */
	uint32_t width;    /* bytes of a fixed-width value (1 for BOOLEAN); 0 for BYTE_ARRAY */
	int32_t phys;      /* enum sl_pq_type */
	uint8_t order;     /* enum pqw_order */
	uint8_t mode;      /* enum pqw_mode: how the chunk's next page is encoded */
	bool time_utc;     /* TIME adjusted to UTC: an offset in the text is applied */
	int64_t imin, imax; /* PQW_I32 range */
	int scale, precision; /* decimals */
	struct pqw_node *lazy_parent; /* the row struct whose rows fill this column's nulls */
	/* ---- page and chunk ---- */
	struct pqw_dict dict;
	uint64_t hash_seed;
	uint8_t fast_pages; /* pages still to compress at zstd's fastest (writer.c) */
	uint8_t last_enc;   /* the encoding of the column's last page */
	bool judged;        /* the dictionary was weighed for this chunk */
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

_Static_assert(offsetof(struct pqw_col, row_end) == 64, "a column's hot fields fill one line");

/* The shredding plan: a tree that follows the row type, with the levels precomputed.
 *
 * Lazy nulls. A node outside lists and maps (a "row" node) that is absent or null in a
 * row gives every leaf below it exactly one level entry for that row: repetition level
 * 0, and the definition level of the deepest struct above it that is present. So such
 * nodes write nothing when absent: each row struct but the root ("lazy" structs) keeps,
 * per row of the row group, the definition level reached at it (its own when present,
 * else its parent's), filled in when it is present and copied from its parent for the
 * rows in between; a leaf that may be null (every leaf with a definition level, those
 * under lists and maps too) remembers the rows it has entries for (row_end) and copies
 * the rows it missed from the row struct above it when it next gets an entry or its
 * page is cut. A record thus costs nothing for the members it does not have, however
 * wide the schema. Inside a list or map that is present, nulls and absent members are
 * written as they come. */
enum pqw_op { PQW_OP_LEAF = 1, PQW_OP_STRUCT, PQW_OP_LIST, PQW_OP_MAP };

struct pqw_node;

struct pqw_field {
	const char *name; /* borrowed from the type */
	uint32_t len;
	uint32_t seen;    /* the struct occurrence (low 32 bits) that last had this member */
	struct pqw_node *node;
};

struct pqw_node {
	uint8_t op;            /* enum pqw_op */
	bool nullable;
	bool row;              /* outside any list or map, the root too (see above) */
	bool lazy;             /* a row struct but the root: keeps its levels per row */
	bool always;           /* a lazy struct in every row (itself and those above it
				* required): its levels are all def, and its leaves fill from
				* that constant rather than from its levels */
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
	uint32_t *check;       /* fields an absence concerns: not nullable, or eager below */
	uint32_t n_check;
	/* lazy structs: per row, the definition level reached here */
	struct pqw_node *lazy_parent; /* the lazy struct above; NULL: the root (level 0) */
	uint8_t *deff;
	uint32_t deff_end, deff_cap; /* rows filled; room */
	/* PQW_OP_LIST (elem), PQW_OP_MAP (key, elem) */
	struct pqw_node *elem, *key;
};

/* The shredder's state, inside the writer. */
struct pqw_shred {
	struct pqw_node *root;
	struct pqw_col *cols;
	size_t n_cols;
	uint32_t seq;          /* records begun (wraps; only compared for equality) */
	uint32_t stamp;        /* struct occurrences (wraps; only compared for equality) */
	uint32_t row;          /* the row being shredded, in the row group */
	struct pqw_node **lazy_structs; /* every lazy struct but the root */
	size_t n_lazy_structs;
	bool strict_members;
	bool text_any;        /* a string column takes any value as its JSON text */
	/* the failing value's pointer, collected innermost first while unwinding */
	struct sl_buf ptr_rev;
	struct sl_buf scratch; /* a decoded base64 value */
	char *pointer;         /* the last refused record's pointer (malloc'd) */
	const struct sl_json_doc *doc;
	struct sl_err *err;
};

/* A sparse column: a lazy leaf outside lists and maps. Its entries are its values, all
 * at max_def (its nulls are all filled in lazily), so only their rows are kept, and its
 * definition levels are made whole when its page is cut (sl_pqw_sparse_levels): a
 * member that most records lack costs nothing per row, and one that they have costs a
 * row number. */
static inline bool sl_pqw_sparse(const struct pqw_col *c)
{
	return c->lazy && !c->max_rep;
}

/* The level entries the column's current page holds once brought up to rows (the rows
 * of the row group so far): what a lazy column has filled in yet does not count, so
 * that the page is cut at the same record whether refused records made it fill in
 * some rows early or not (writer.h invariant 2). */
static inline uint32_t sl_pqw_levels(const struct pqw_col *c, uint32_t rows)
{
	if (sl_pqw_sparse(c))
		return rows - c->page_row;
	return c->lazy ? c->n_levels + (rows - c->row_end) : c->n_levels;
}

/* shred.c */
int sl_pqw_plan_build(struct pqw_shred *s, const struct sl_type *row,
		      const struct sl_pq_schema *schema, struct sl_err *err);
void sl_pqw_plan_free(struct pqw_shred *s);
/* Shreds one record; on failure every column is as it was before (rolled back here).
 * SL_EINVAL: refused, err says where and why (s->pointer has the JSON pointer). */
int sl_pqw_shred(struct pqw_shred *s, const struct sl_json_doc *doc, struct sl_err *err);
/* Brings a lazy column's levels up to row (its page is about to be cut, or it gets an
 * entry in that row); nothing for a sparse column. */
int sl_pqw_catch_up(struct pqw_col *c, uint32_t row);
/* A sparse column's definition levels for the rows [page_row, row), into out (room for
 * row - page_row bytes). */
int sl_pqw_sparse_levels(struct pqw_col *c, uint32_t row, uint8_t *out);
/* A new row group: the lazy structs' rows start again. */
void sl_pqw_rows_reset(struct pqw_shred *s);
/* Room for one more level entry, or extra more value bytes (PQW_BUF_MAX at most). */
int sl_pqw_grow_levels(struct pqw_col *c);
int sl_pqw_grow_values(struct pqw_col *c, size_t extra);
void sl_pqw_col_release(struct pqw_col *c);

/* A fast 64-bit hash of bytes (member names, dictionary values); seeded so that
 * crafted input cannot aim at the dictionary's table. */
static inline uint64_t sl_pqw_mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

static inline uint64_t sl_pqw_hash(const void *p, size_t n, uint64_t seed)
{
	const unsigned char *s = p;
	uint64_t h = seed ^ (n * 0x9e3779b97f4a7c15ull);
	while (n >= 8) {
		uint64_t w;
		__builtin_memcpy(&w, s, 8);
		h = (h ^ w) * 0x9fb21c651e98df25ull;
		h ^= h >> 29;
		s += 8;
		n -= 8;
	}
	if (n >= 4) { /* the tail as two overlapping 4-byte loads */
		uint32_t a, b;
		__builtin_memcpy(&a, s, 4);
		__builtin_memcpy(&b, s + n - 4, 4);
		h = (h ^ ((uint64_t)a << 32 | b)) * 0x9fb21c651e98df25ull;
	} else if (n) {
		uint64_t w = (uint64_t)s[0] << 16 | (uint64_t)s[n / 2] << 8 | s[n - 1];
		h = (h ^ w) * 0x9fb21c651e98df25ull;
	}
	return sl_pqw_mix64(h);
}

#endif
