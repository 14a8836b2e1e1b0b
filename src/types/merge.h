/*
 * merge.h - joining two row types by the inference lattice, and saying what changed.
 *
 * The crawler merges each object's type into its table's; the catalog keeps a version per
 * change. The lattice is infer.h's (docs/types.md, "Inference" and "Merging"):
 *   - nullability is or-ed; a struct field present on one side only becomes nullable;
 *   - equal kinds join to themselves (struct: fields unioned, first side's order first,
 *     then the new ones; list: elements joined; map: values joined);
 *   - numbers widen: int8 < int16 < int32 < int64 < double, float < double, an unsigned
 *     int joins a signed one into the smallest signed int that holds both (else double),
 *     decimal joins an int or decimal into the decimal that holds both (beyond 38 digits:
 *     double), timestamp(ms) + timestamp(us) -> timestamp(us), time likewise;
 *   - date + timestamp, uuid/date/timestamp + string, enum + string -> string;
 *   - a struct whose union passes max_struct_fields becomes a map (a map disguised as a
 *     struct), map + struct -> map with the values joined;
 *   - any other pair is a conflict -> opts.conflict_kind (SL_T_STRING for the crawler:
 *     the value's JSON text; SL_T_JSON for `sluice convert --infer`).
 *
 * Changes are reported relative to the first type a, each with a JSON pointer path
 * ("/player/level", "*" stepping into a list element or map value).
 */
#ifndef SL_TYPES_MERGE_H
#define SL_TYPES_MERGE_H

#include <stdbool.h>
#include <stddef.h>

#include "types/types.h"
#include "util/err.h"

enum sl_change_kind {
	SL_CHANGE_ADDED,     /* a struct field only b has (also nested) */
	SL_CHANGE_NULLABLE,  /* a non-nullable type became nullable */
	SL_CHANGE_WIDENED,   /* a type became a wider one of the lattice (int64 -> double) */
	SL_CHANGE_CONFLICT,  /* two types with no join: now opts.conflict_kind */
	SL_CHANGE_TO_MAP,    /* a struct became a map (too many distinct fields) */
};

struct sl_type_change {
	enum sl_change_kind kind;
	char *path;      /* owned; JSON pointer, "" for the root */
	char from[64];   /* the type in a, as its text form (cut at 63 bytes) */
	char to[64];     /* the merged type, or b's type for SL_CHANGE_CONFLICT/ADDED */
	bool applied;    /* false: add_only kept a's type (the change was only seen) */
};

struct sl_type_changes {
	struct sl_type_change *v;
	size_t n, cap;
	size_t max;      /* changes kept (0: 1000); past it, only dropped counts */
	size_t dropped;
};
void sl_type_changes_release(struct sl_type_changes *c);
/* "column_added", "nullable", "type_widened", "type_conflict", "map_detected". */
const char *sl_change_kind_name(enum sl_change_kind k);

struct sl_merge_opts {
	enum sl_type_kind conflict_kind; /* SL_T_STRING or SL_T_JSON; default SL_T_STRING */
	size_t max_struct_fields;        /* default 1000 */
	/* Only add fields (the add_columns policy): a type that would change keeps a's type
	 * and the change is still reported, so the caller can log it. */
	bool add_only;
};
void sl_merge_opts_default(struct sl_merge_opts *o);

/* The join of a and b (a new tree; a NULL a means "nothing yet": a copy of b). changes
 * (may be NULL) gets every change from a to the result, in path order. NULL only on
 * SL_ENOMEM, a tree deeper than SL_TYPE_MAX_DEPTH (SL_ELIMIT), or SL_EINVAL for a
 * malformed tree (a list or map without its types) or both a and b NULL (err says
 * which). */
struct sl_type *sl_type_merge(const struct sl_type *a, const struct sl_type *b,
			      const struct sl_merge_opts *opts, struct sl_type_changes *changes,
			      struct sl_err *err);

#endif
