/*
 * reader_int.h - what reader.c (footer, column chunks, statistics) and assemble.c (rows
 * as JSON, value forms) share. Not a public header: callers use reader.h.
 */
#ifndef SL_PQ_READER_INT_H
#define SL_PQ_READER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parquet/reader.h"
#include "types/types.h"

struct col_mem;

struct sl_pq_reader {
	int fd;             /* borrowed, -1 for a memory image */
	const uint8_t *mem; /* the memory image (borrowed), NULL for fd */
	uint64_t size;      /* file bytes */
	uint64_t data_end;  /* where the footer starts: column chunks end before it */
	char *name;         /* owned, for messages */
	struct sl_pq_read_opts opts;
	uint8_t *footer;    /* owned copy of the footer (fd); the metadata points into it */
	struct sl_pq_file_meta meta;
	bool have_meta;
	struct sl_pq_schema *schema;
	int64_t rows;       /* sum of the row groups' num_rows */
	/* The row type: the "sluice.type" entry when it agrees with the schema (owned),
	 * else NULL and the schema's mapping (schema->root->type) is used. */
	struct sl_type *sluice_type;
	/* How each leaf's values are written as JSON (borrowed from sluice_type or from the
	 * schema), n_leaves entries. */
	const struct sl_type **leaf_types;
	/* Per leaf, the buffers its last closed chunk left for the next (reader.c). */
	struct col_mem *spare;
};

/* How a node of the schema is reassembled, from the roles schema.c gave its child (the
 * spec's LIST and MAP rules and their backward-compatibility forms). */
enum sl_pq_shape_kind { SL_PQ_SHAPE_LEAF, SL_PQ_SHAPE_STRUCT, SL_PQ_SHAPE_LIST, SL_PQ_SHAPE_MAP };
struct sl_pq_shape {
	enum sl_pq_shape_kind kind;
	/* LIST/MAP: the repeated node; its def_level says when an element exists, its
	 * rep_level starts a new element. */
	const struct sl_pq_node *repeated;
	/* LIST: the element node; the repeated node itself in the two-level forms (read
	 * as if it were not repeated: a leaf, or a struct of its children). */
	const struct sl_pq_node *elem;
	/* MAP: the key node and the value node (a map without values is a LIST of keys). */
	const struct sl_pq_node *key, *value;
};
/* The shape of n, which must not be a repeated node itself (a repeated field is a list
 * of its contents: the caller decides that). */
void sl_pq_shape_of(const struct sl_pq_node *n, struct sl_pq_shape *s);

/* Fills r->leaf_types and r->sluice_type from the "sluice.type" key-value entry when
 * present and compatible with the schema; never fails for a bad entry (it is ignored). */
int sl_pq_reader_refine_types(struct sl_pq_reader *r, struct sl_err *err);

/* Writes value i of batch b as the JSON form of type t (the leaf gives the physical
 * layout). jp: a parser to check json-typed values with (NULL: one is made per call). */
struct sl_json_parser;
int sl_pq_value_json_t(const struct sl_type *t, const struct sl_pq_node *leaf,
		       const struct sl_pq_batch *b, size_t i, struct sl_json_parser *jp,
		       struct sl_buf *out);

/* IEEE 754 half to float. */
float sl_pq_half_to_float(uint16_t h);

#endif
