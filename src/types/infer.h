/*
 * infer.h - type inference from JSON records: `sluice convert --infer` now, the crawler
 * later. Records are walked on the JSON engine's tape; nothing is kept per record, so
 * memory depends on the number of distinct paths, not on the number of records.
 *
 * The lattice (docs/types.md, "Inference"):
 *   - null adds nullability only; a field missing from some records is nullable;
 *   - boolean, int64, double, string; int64 + double -> double;
 *   - strings that all read as RFC 3339 date-times -> timestamp(us), all dates -> date,
 *     all UUIDs -> uuid; a mix of these kinds (or with other strings) -> string;
 *   - objects -> struct with the union of their members (in first-seen order); an object
 *     family with more than max_struct_fields distinct member names is a map disguised
 *     as a struct -> map<string, merged member types>;
 *   - arrays -> list of the merged element types (an empty array alone -> list<json>);
 *   - any other combination (a number and a string, an object and an array, ...) is a
 *     conflict -> opts.conflict_kind: json by default (a column holding each value's JSON
 *     text), string for the crawler; the conflict is reported with both types and the
 *     first record that showed it.
 */
#ifndef SL_TYPES_INFER_H
#define SL_TYPES_INFER_H

#include <stddef.h>
#include <stdint.h>

#include "json/json.h"
#include "types/types.h"
#include "util/err.h"

struct sl_infer_opts {
	size_t max_struct_fields; /* default 1000 */
	uint32_t max_depth;       /* deeper values are typed json; default 64 */
	size_t max_paths;         /* distinct paths kept in all; default 100000 (then
				   * SL_ELIMIT) */
	enum sl_type_kind conflict_kind; /* the type of a conflict: SL_T_JSON (default,
					  * `sluice convert --infer`) or SL_T_STRING (the
					  * crawler) */
	/* Leave out struct members that never held a value (only null, or only empty
	 * arrays): the crawler adds such a column once a value shows its type, instead of
	 * typing it json now, which would absorb every later type (dlt does the same). */
	bool omit_unknown;
};
void sl_infer_opts_default(struct sl_infer_opts *o);

struct sl_infer_conflict {
	const char *path;   /* JSON pointer with "*" for list elements and map values */
	char a[32], b[32];  /* the two kinds seen ("int64", "string", "object", ...) */
	int64_t record;     /* 0-based record index where the second kind appeared */
};

struct sl_infer;
struct sl_infer *sl_infer_new(const struct sl_infer_opts *opts /* NULL = defaults */);
void sl_infer_free(struct sl_infer *inf);
/* Adds one record (any JSON value; the row type needs objects). SL_ELIMIT past
 * max_paths; SL_ENOMEM. */
int sl_infer_add(struct sl_infer *inf, const struct sl_json_doc *doc, struct sl_err *err);
int64_t sl_infer_records(const struct sl_infer *inf);
/* The type so far (caller frees). Records that were not objects make the row type an
 * error (SL_EINVAL) since a row must be a struct. */
struct sl_type *sl_infer_row_type(const struct sl_infer *inf, struct sl_err *err);
/* Conflicts found so far (borrowed, valid until the next add or free). */
const struct sl_infer_conflict *sl_infer_conflicts(const struct sl_infer *inf, size_t *n);

#endif
