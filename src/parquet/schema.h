/*
 * schema.h - a Parquet schema as a tree, and its mapping to and from sluice's types.
 *
 * The writer builds one from a struct sl_type (the row type); the reader builds one from
 * a file's flattened schema elements, recognising the LIST and MAP forms of the spec and
 * the legacy ones it lists for backward compatibility (two-level lists, repeated fields
 * without annotation, MAP_KEY_VALUE, "array"/"_tuple" elements, optional map keys), so
 * each node carries the sluice type it reads as.
 *
 * Levels: a leaf's max_def counts its OPTIONAL and REPEATED ancestors (itself included),
 * max_rep its REPEATED ones. Limits: depth at most SL_PQ_MAX_DEPTH, at most
 * SL_PQ_MAX_COLUMNS leaves; more is an error, not a crash.
 *
 * Types: every node's type points into the row type, which the root owns; a node that
 * stands for a value of type T is read as follows (the roles say which node is which;
 * docs/types.md has the legacy forms that produce each case):
 *   struct  its children are the fields (role FIELD, or REPEATED for a bare repeated
 *           field);
 *   list    a node of role REPEATED is itself the list: each repetition is one element,
 *           read from the node itself as if it were not repeated (type->elem). Otherwise
 *           the node has one repeated child R: R of role LIST_ELEM holds one element in
 *           its only child (the three-level form); R of role LIST_ITEM is one element
 *           itself (the two-level forms; R->type is the element type);
 *   map     its one child is the repeated key_value node (role MAP_KV, whose type is the
 *           map), with the key as first child and the value as second;
 *   other   a leaf.
 */
#ifndef SL_PQ_SCHEMA_H
#define SL_PQ_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parquet/format.h"
#include "types/types.h"
#include "util/err.h"

#define SL_PQ_MAX_DEPTH 64
#define SL_PQ_MAX_COLUMNS 100000

/* What a group node is in sluice's terms (reader side: how to reassemble it). */
enum sl_pq_role {
	SL_PQ_ROLE_FIELD,     /* a struct member, a leaf value, a list element, a key or value */
	SL_PQ_ROLE_LIST,      /* the annotated (or legacy) list group */
	SL_PQ_ROLE_LIST_ELEM, /* the repeated group of a three-level list: its only child is
			       * one element */
	SL_PQ_ROLE_MAP,       /* the annotated map group */
	SL_PQ_ROLE_MAP_KV,    /* the repeated key_value group */
	SL_PQ_ROLE_ROOT,
	SL_PQ_ROLE_LIST_ITEM, /* the repeated child of a two-level list, itself one element */
	SL_PQ_ROLE_REPEATED,  /* a repeated field outside LIST and MAP: a non-null list (type)
			       * whose elements (type->elem) are the repetitions of the node */
};

/* The longest FIXED_LEN_BYTE_ARRAY accepted (64 MiB), written or read. */
#define SL_PQ_MAX_FIXED_LEN (1 << 26)

struct sl_pq_node {
	char *name;                  /* owned */
	int32_t repetition;          /* enum sl_pq_repetition (REQUIRED for the root) */
	bool is_leaf;
	/* leaves */
	int32_t phys;                /* enum sl_pq_type; INT96 reads as timestamp(us) once
				      * the reader has converted it */
	int32_t type_length;         /* FIXED_LEN_BYTE_ARRAY */
	int32_t converted;           /* as in the file (or written), also on groups */
	struct sl_pq_logical_type logical; /* as in the file (or written), also on groups;
				      * precision and scale are also kept here for a
				      * converted DECIMAL without a logical type */
	int leaf_index;              /* column index in the file, -1 for groups */
	/* every node */
	int32_t elem_index;          /* position in the schema elements (file order) */
	enum sl_pq_role role;
	struct sl_type *type;        /* what this node reads as (nullable = OPTIONAL),
				      * borrowed from the root's type; LIST_ELEM and
				      * LIST_ITEM: the element type; MAP_KV: the map type */
	int16_t def_level;           /* definition level at which this node is present */
	int16_t rep_level;           /* repetition level of this node */
	int16_t max_def, max_rep;    /* leaves: the column's maximum levels */
	struct sl_pq_node *parent;   /* borrowed */
	struct sl_pq_node **children; /* owned */
	size_t n_children;
};

struct sl_pq_schema {
	struct sl_pq_node *root;
	struct sl_pq_node **leaves; /* borrowed pointers into the tree, in column order */
	size_t n_leaves;
	/* The row type (a struct, not nullable), owned by the root node (root->type). */
};

/* The writer's schema for a row type (must be SL_T_STRUCT; copied). SL_EINVAL for what
 * Parquet cannot hold (an empty struct, a nanosecond unit: read only) and SL_ELIMIT past
 * the limits above. Mapping (docs/types.md):
 *   bool BOOLEAN; int8/16/32 INT32 + INTEGER(bits, signed); int64 INT64; uint* likewise
 *   unsigned; float FLOAT; double DOUBLE; decimal(p,s) INT32 (p<=9) / INT64 (p<=18) /
 *   FIXED_LEN_BYTE_ARRAY (minimal bytes) + DECIMAL; string BYTE_ARRAY + STRING (enum: ENUM);
 *   binary BYTE_ARRAY or FIXED_LEN_BYTE_ARRAY(n); date INT32 + DATE; time(ms) INT32 +
 *   TIME(MILLIS), time(us) INT64 + TIME(MICROS); timestamp INT64 + TIMESTAMP(utc, unit);
 *   uuid FIXED_LEN_BYTE_ARRAY(16) + UUID; json BYTE_ARRAY + JSON; struct a group;
 *   list the three-level LIST (<name> (LIST) { repeated group list { <elem> element } });
 *   map the MAP form (<name> (MAP) { repeated group key_value { required key; value } }).
 * Converted types are also written where one exists, for older readers. */
int sl_pq_schema_from_type(const struct sl_type *row, struct sl_pq_schema **out,
			   struct sl_err *err);
/* The reader's schema from a file's elements (depth-first, as stored). Checks
 * num_children against the element count, names, repetition of the root, leaf types and
 * their annotations, the LIST and MAP shapes, the limits: anything wrong is SL_ECORRUPT
 * with the element's index and name. Unknown logical types read as their physical type;
 * a decimal wider than 38 digits reads as binary; a MAP whose key_value group has only a
 * key reads as the list of its keys. */
int sl_pq_schema_from_elems(const struct sl_pq_schema_elem *elems, size_t n,
			    struct sl_pq_schema **out, struct sl_err *err);
/* Flattens for the footer: fills *elems (malloc'd array, names borrowed from the tree)
 * and *n. */
int sl_pq_schema_to_elems(const struct sl_pq_schema *s, struct sl_pq_schema_elem **elems,
			  size_t *n, struct sl_err *err);
void sl_pq_schema_free(struct sl_pq_schema *s);

/* A leaf's dotted path ("a.b.list.element"), as ColumnMetaData.path_in_schema joins it. */
int sl_pq_node_path(const struct sl_pq_node *n, struct sl_buf *out);
/* The leaf or group reached by a dotted path of top-level field names ("player.id"),
 * skipping list/map plumbing; NULL if none. */
const struct sl_pq_node *sl_pq_schema_find(const struct sl_pq_schema *s, const char *path);

/* parquet-tools style text of the schema ("message schema { required int64 id; ... }"). */
int sl_pq_schema_format(const struct sl_pq_schema *s, struct sl_buf *out);

#endif
