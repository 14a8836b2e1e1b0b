/*
 * schema.h - JSON Schema (draft 2020-12 and draft-07): compile once, validate records
 * straight off the JSON engine's tape.
 *
 * A schema document is compiled into an immutable program (struct sl_schema): every
 * subschema becomes a node with its keywords pre-digested (property names hashed,
 * patterns compiled with PCRE2, $refs resolved to nodes, formats to checkers). A
 * validator (struct sl_validator, one per thread) walks a record's tape against that
 * program; no tree is built for the record.
 *
 * The draft is chosen by the root's "$schema" (draft-07 and 2020-12 URIs; 2020-12 when
 * absent). Formats listed in format.h are asserted; unknown formats are annotations.
 *
 * Remote $refs (any absolute URI that is not inside the document) are asked of the
 * resolver: the registry answers "sluice:SUBJECT/VERSION" (or ".../latest"), the tests
 * answer the suite's remotes. Nothing is ever fetched over the network.
 *
 * Refused at compile time, with the place in the schema: invalid JSON, a keyword with a
 * value of the wrong kind ("minimum": "3"), an unresolvable $ref, an invalid regex, a
 * $ref cycle that never consumes input ({"$defs": {"a": {"$ref": "#/$defs/a"}}, ...}),
 * and schemas beyond the size limits.
 *
 * Bounded evaluation: each record has a step budget (max_steps), so a schema crafted to
 * make evaluation exponential (nested anyOf) fails that record with the keyword "$limit"
 * instead of hanging.
 */
#ifndef SL_SCHEMA_H
#define SL_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json/json.h"
#include "util/err.h"

enum sl_schema_draft { SL_DRAFT_2020_12 = 0, SL_DRAFT_7 = 7 };

/* Finds the text of a schema not inside the one being compiled. uri is absolute, without
 * fragment. Returns 0 and a malloc'd *text (freed by the compiler), SL_ENOENT if the
 * resolver does not know it, or another error. */
struct sl_schema_resolver {
	int (*load)(void *ctx, const char *uri, char **text, size_t *len, struct sl_err *err);
	void *ctx;
};

struct sl_schema_opts {
	const struct sl_schema_resolver *resolver; /* NULL: only in-document $refs */
	const char *base_uri;  /* the document's retrieval URI, NULL for none */
	enum sl_schema_draft default_draft; /* when the root has no $schema (0: 2020-12) */
	uint64_t max_steps;    /* per record; 0 = default (1,000,000) */
	size_t max_nodes;      /* compiled subschemas; 0 = default (100,000) */
	bool formats_annotate; /* true: treat every format as an annotation */
};

struct sl_schema;

/* Compiles schema text. On failure err says what and where (a JSON pointer into the
 * schema, or the line and column of a JSON syntax error). */
int sl_schema_compile(const char *text, size_t len, const struct sl_schema_opts *opts,
		      struct sl_schema **out, struct sl_err *err);
void sl_schema_free(struct sl_schema *s);
enum sl_schema_draft sl_schema_draft(const struct sl_schema *s);

/* One reason a record is invalid. */
struct sl_schema_error {
	char pointer[256];     /* JSON pointer into the record ("" = the record itself);
				* cut with "..." when longer */
	char keyword[32];      /* "required", "type", ..., "$limit" */
	char schema_path[256]; /* JSON pointer into the schema of the failing keyword */
	char msg[256];         /* "missing required property \"id\"" */
	uint32_t offset;       /* byte offset of the failing value in the record text */
};

struct sl_validator;

struct sl_validator *sl_validator_new(const struct sl_schema *s);
void sl_validator_free(struct sl_validator *v);

/* Validates one parsed record. Returns 1 if valid, 0 if invalid (the first
 * min(max_errs, found) reasons in errs, their number in *n_errs), < 0 on failure (out of
 * memory). Duplicate keys in the record (doc->dup_keys) make it invalid with the keyword
 * "$json". */
int sl_validate(struct sl_validator *v, const struct sl_json_doc *doc,
		struct sl_schema_error *errs, size_t max_errs, size_t *n_errs);

#endif
