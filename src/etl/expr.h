/*
 * expr.h - the expressions of the ETL mapping transform (derive and filter): a small,
 * statically typed, SQL-flavoured language over one JSON record, compiled once per run
 * against the source table's row type and evaluated per record on the JSON engine's tape
 * (no tree, no allocation per record; strings made by functions go to an arena the
 * caller resets between records). docs/etl.md gives the language to users.
 *
 * Grammar (keywords and function names are case-insensitive):
 *   expr     := or
 *   or       := and (OR and)*
 *   and      := not (AND not)*
 *   not      := NOT not | cmp
 *   cmp      := concat [ (= | == | != | <> | < | <= | > | >=) concat
 *                      | IS [NOT] NULL | [NOT] IN '(' expr (',' expr)* ')'
 *                      | [NOT] LIKE concat ]
 *   concat   := add ('||' add)*
 *   add      := mul (('+' | '-') mul)*
 *   mul      := unary (('*' | '/' | '%') unary)*
 *   unary    := '-' unary | primary
 *   primary  := literal | column | func '(' [expr (',' expr)*] ')'
 *             | CAST '(' expr AS type ')' | '(' expr ')'
 *   literal  := integer | decimal or exponent number | 'text' ('' for a quote)
 *             | TRUE | FALSE | NULL
 *   column   := name ('.' name)*          a top-level column, or a member of a struct
 *   name     := [A-Za-z_][A-Za-z0-9_]* | "any text" ("" for a quote)
 *   type     := a type of types.h's text form (int64, int32, double, string, boolean,
 *               date, timestamp, decimal(p,s), ...)
 *
 * Values: null, boolean, int64, double, string, date (days), timestamp (microseconds,
 * UTC), json (any other column's value, as its tokens). A column has its catalog type
 * (integers of any width are int64, float is double, decimal is double, enum and uuid
 * are string, time is string, binary is string: its base64 text); struct, list, map
 * and json columns are json, which only IS [NOT] NULL, coalesce, CAST and being the
 * whole result accept. CAST of a json value to string is its JSON text; to another type
 * it is cast as what it is in the record (a number, a string, a boolean; null is null;
 * a number to a date or timestamp, an object or an array refuses the record).
 *
 * Rules:
 *   - NULL propagates as in SQL: an operator or function with a null argument gives
 *     null (except IS NULL, coalesce, if's branches, AND/OR's three-valued logic).
 *     AND and OR evaluate left to right and stop at the operand that decides, so a
 *     refusal in an operand after it does not happen.
 *   - int64 + - * % int64 is int64 (overflow: the record is refused, "integer overflow");
 *     with a double operand it is double; / of two int64 truncates as in SQL; division
 *     or % by zero refuses the record ("division by zero").
 *   - Comparisons need comparable operands (numbers with numbers, strings with strings,
 *     booleans with booleans, dates and timestamps with their kind or with a string
 *     literal, which is converted when compiled and must be valid): a compile error
 *     otherwise. Strings compare bytewise.
 *   - A string column compared with a timestamp, or any string given to a function that
 *     wants a timestamp, is read as RFC 3339 per record; a bad one refuses the record
 *     with the reason.
 *   - LIKE: % and _ wildcards, case-sensitive, over characters (UTF-8), no escape
 *     character; a match that would take more than about 16 steps per byte of the value
 *     and the pattern refuses the record (a pattern from the record can be hostile).
 *   - Functions: lower(s) upper(s) trim(s) ltrim(s) rtrim(s) length(s) (characters)
 *     substr(s, start[, len]) (1-based, characters) replace(s, from, to)
 *     concat(x, ...) (nulls skipped; numbers and dates as their text) coalesce(x, ...)
 *     if(cond, a, b) abs(n) round(n[, digits]) floor(n) ceil(n) date(t) (the UTC date of a
 *     timestamp) year(t) month(t) day(t) hour(t) (int64, of a date or timestamp, UTC)
 *     date_trunc('day'|'hour'|'month'|'year', t) (timestamp) epoch_ms(t) (int64)
 *     from_epoch_ms(n) (timestamp).
 *   - CAST(x AS type) converts between the kinds (a string to a number must be a whole
 *     JSON-style number, to a boolean 'true'/'false', to a date or timestamp RFC 3339);
 *     a value that does not convert refuses the record with "cannot cast 'abc' to
 *     int64". Its static type is the type named (its width kept for the output column).
 *
 * Compile errors give the byte offset in the text and say what was expected ("at 12:
 * no column 'amount_eur' in the source (columns: id, ts, amount, ...)", "at 4: cannot
 * compare string with int64").
 *
 * Promises (tests/unit/test_etl_expr.c; fuzz/fuzz_expr.c compiles any text against a
 * fixed row type and evaluates it over a few records):
 *   1. Compiling any text terminates, with an expression or an error; nesting is bounded
 *      (SL_EXPR_MAX_DEPTH) and so is the text (SL_EXPR_MAX_TEXT).
 *   2. Evaluating never crashes or reads outside the record, for any record (the record
 *      need not match the row type: a member of an unexpected JSON type refuses the
 *      record with "column x: expected int64, got string").
 *   3. Evaluation allocates only from the arena; the arena is bounded by the record's
 *      size times a small factor (the strings made for one record: at most 4 times its
 *      size plus 64 KiB, and no string over SL_EXPR_MAX_STRING; more refuses the
 *      record).
 */
#ifndef SL_ETL_EXPR_H
#define SL_ETL_EXPR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json/json.h"
#include "types/types.h"
#include "util/err.h"

#define SL_EXPR_MAX_DEPTH 64
#define SL_EXPR_MAX_TEXT 8192
#define SL_EXPR_MAX_STRING ((size_t)16 << 20) /* the JSON engine's default string limit */

enum sl_expr_kind {
	SL_EV_NULL = 0,
	SL_EV_BOOL,
	SL_EV_INT,
	SL_EV_DOUBLE,
	SL_EV_STRING,
	SL_EV_DATE,      /* days since 1970-01-01 */
	SL_EV_TIMESTAMP, /* microseconds since the epoch, UTC */
	SL_EV_JSON,      /* a value of the record, as its tokens */
};

struct sl_expr_value {
	enum sl_expr_kind kind;
	union {
		bool b;
		int64_t i;   /* INT, DATE, TIMESTAMP */
		double d;
		struct {
			const char *p; /* record text or the arena; valid until the arena resets */
			size_t n;
		} s;
		size_t tok;  /* JSON: index of the value's first token in the record */
	} v;
};

/* The columns the expressions of one mapping read. Each distinct path gets a slot; per
 * record, sl_expr_cols_locate finds every slot's value in one pass over the record's
 * members, and every expression reads its columns from the slots. */
struct sl_expr_cols;

/* A column set over row (a struct type, borrowed until free). NULL: out of memory. */
struct sl_expr_cols *sl_expr_cols_new(const struct sl_type *row);
void sl_expr_cols_free(struct sl_expr_cols *c);
/* The slot of the column at path (segments as in the grammar, already unquoted), added
 * when new; *type (may be NULL) gets its catalog type (borrowed from row). SL_EINVAL
 * "no column 'x' in the source (columns: ...)" when row has no such column. */
int sl_expr_cols_add(struct sl_expr_cols *c, const char *const *path, size_t n_path,
		     size_t *slot, const struct sl_type **type, struct sl_err *err);
size_t sl_expr_cols_count(const struct sl_expr_cols *c);
/* Fills slots[0 .. count) for doc (an object): the token index of each column's value,
 * or SIZE_MAX when the record lacks it (or a struct on its path is null or not an
 * object). A repeated member: the last one wins, as in sl_json_get. */
void sl_expr_cols_locate(const struct sl_expr_cols *c, const struct sl_json_doc *doc,
			 size_t *slots);

/* Strings made during one record's evaluation. */
struct sl_expr_arena;
struct sl_expr_arena *sl_expr_arena_new(void);
void sl_expr_arena_reset(struct sl_expr_arena *a);
void sl_expr_arena_free(struct sl_expr_arena *a);

struct sl_expr;

/* Compiles text against cols' row type, adding the columns it reads to cols. *type
 * (may be NULL; owned by the caller) gets the result's static type: a column's own type
 * when the expression is just that column, the CAST's type, else int64, double, string,
 * boolean, date, timestamp(us) or json (also for an expression that is always null),
 * always nullable. SL_EINVAL with "at N: ..." for
 * a bad text. */
int sl_expr_compile(const char *text, struct sl_expr_cols *cols, struct sl_expr **out,
		    struct sl_type **type, struct sl_err *err);
void sl_expr_free(struct sl_expr *e);

/* Evaluates e over doc, whose columns slots located. 0 with *out; SL_EINVAL with *why
 * (a static string or one in the arena) when the record is refused (a bad value, an
 * overflow, a division by zero); SL_ENOMEM. */
int sl_expr_eval(const struct sl_expr *e, const struct sl_json_doc *doc, const size_t *slots,
		 struct sl_expr_arena *a, struct sl_expr_value *out, const char **why);

/* A filter's verdict: true only for a boolean true (null and false drop the record). */
static inline bool sl_expr_true(const struct sl_expr_value *v)
{
	return v->kind == SL_EV_BOOL && v->v.b;
}

/* Writes v as JSON text of its kind (a string quoted and escaped, a date "YYYY-MM-DD", a
 * timestamp RFC 3339 with Z and 6 fraction digits, a double as the shortest text that
 * reads back the same, NaN/Infinity as types.h says, json as its text from doc). */
int sl_expr_value_json(const struct sl_expr_value *v, const struct sl_json_doc *doc,
		       struct sl_buf *out);

#endif
