/*
 * registry.h - the schema registry: subjects with immutable, numbered versions of a JSON
 * Schema, compatibility modes with Glue's names and meanings, and key/value metadata.
 *
 * Kept in the metadata store (struct sl_meta_ops), so each operation is one transaction.
 * A version's text is stored in canonical form (keys sorted, no insignificant
 * whitespace, numbers as written); its fingerprint is the SHA-256 of that form, and
 * registering a schema whose canonical form equals an existing version of the subject
 * returns that version instead of making a new one.
 *
 * This header fixes what the stages need; the registry module may add to it.
 */
#ifndef SL_SCHEMA_REGISTRY_H
#define SL_SCHEMA_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meta/meta.h"
#include "schema/schema.h"
#include "util/err.h"

#define SL_SUBJECT_MAX 129 /* 128 characters [A-Za-z0-9._-] + NUL */

enum sl_compat {
	SL_COMPAT_NONE,
	SL_COMPAT_DISABLED,
	SL_COMPAT_BACKWARD,
	SL_COMPAT_BACKWARD_ALL,
	SL_COMPAT_FORWARD,
	SL_COMPAT_FORWARD_ALL,
	SL_COMPAT_FULL,
	SL_COMPAT_FULL_ALL,
};

const char *sl_compat_name(enum sl_compat c);
/* SL_EINVAL for an unknown name (case-insensitive). */
int sl_compat_parse(const char *name, enum sl_compat *out);

/* SL_EINVAL with a message unless name is 1-128 characters of [A-Za-z0-9._-]. The names
 * "." and ".." are refused too: in a "sluice:SUBJECT/VERSION" reference they would be
 * dot segments. */
int sl_subject_check(const char *name, struct sl_err *err);

struct sl_schema_version {
	char subject[SL_SUBJECT_MAX];
	int64_t version;
	char fingerprint[SL_CHECKSUM_MAX]; /* "sha256:..." of the canonical text */
	char *text;                        /* canonical text, malloc'd */
	size_t len;
	int64_t created_ms;
};

void sl_schema_version_release(struct sl_schema_version *v);

/* One version of a subject; version 0 means the latest. SL_ENOENT (message names the
 * subject, and the version when given) if there is none. */
int sl_registry_get(struct sl_meta *m, const char *subject, int64_t version,
		    struct sl_schema_version *out, struct sl_err *err);

/* A resolver for sl_schema_compile that answers "sluice:SUBJECT/VERSION" and
 * "sluice:SUBJECT/latest" from the registry. Valid while m is open. */
void sl_registry_resolver(struct sl_meta *m, struct sl_schema_resolver *out);

/* Fetches and compiles a version (0 = latest), resolving sluice: references. The
 * version compiled goes to *version_out (may be NULL). */
int sl_registry_compile(struct sl_meta *m, const char *subject, int64_t version,
			struct sl_schema **out, int64_t *version_out, struct sl_err *err);

/* ---- added by the registry module --------------------------------------------------- */

#define SL_SCHEMA_TEXT_MAX ((size_t)4 << 20) /* bytes of one schema document */
#define SL_SCHEMA_DEPTH_MAX 128              /* nesting of one schema document */
#define SL_REGISTRY_META_KEY_MAX 128         /* bytes; Glue's limits */
#define SL_REGISTRY_META_VALUE_MAX 256
#define SL_REGISTRY_META_PAIRS_MAX 10        /* per version */

struct sl_schema_subject {
	char name[SL_SUBJECT_MAX];
	enum sl_compat compat;
	int64_t latest;     /* the latest version = the number of versions (0: none yet) */
	int64_t created_ms;
	int64_t updated_ms; /* when the latest version was registered (else created_ms) */
};

struct sl_schema_kv {
	const char *key;
	const char *value;
};

/* The canonical form of a schema text: keys sorted by their UTF-8 bytes, no whitespace
 * outside strings, strings re-escaped minimally (only '"', '\\' and U+0000-U+001F, the
 * latter as \b \f \n \r \t or \u00xx), numbers exactly as written in the source. Refused
 * (SL_EINVAL, message with line:column or a JSON pointer): invalid JSON, a document that
 * is neither an object nor a boolean, duplicate keys, nesting beyond
 * SL_SCHEMA_DEPTH_MAX, more than SL_SCHEMA_TEXT_MAX bytes (SL_ELIMIT). A leading UTF-8
 * byte order mark is skipped (also by sl_compat_check_text and sl_registry_register).
 * Appends to out. */
int sl_schema_canonical(const char *text, size_t len, struct sl_buf *out,
			struct sl_err *err);
/* The same text indented by two spaces per level (keys sorted), ending with a newline:
 * for people. Appends to out. */
int sl_schema_pretty(const char *text, size_t len, struct sl_buf *out, struct sl_err *err);

/* A readable structural diff of two schemas (old a, new b): one line per difference,
 * "+ POINTER: VALUE" (only in b), "- POINTER: VALUE" (only in a) or
 * "~ POINTER: OLD -> NEW". Arrays of scalars (required, enum, type, ...) are compared as
 * sets. Values are cut at about 120 bytes. Appends to out; returns the number of lines. */
size_t sl_schema_diff(const struct sl_json_node *a, const struct sl_json_node *b,
		      struct sl_buf *out);

/* JSON equality: numbers by value (1 equals 1.0), objects regardless of member order. */
bool sl_json_equal(const struct sl_json_node *a, const struct sl_json_node *b);

/* "sha256:..." of a canonical text. */
void sl_schema_fingerprint(const char *canon, size_t len, char out[SL_CHECKSUM_MAX]);

int sl_registry_default_compat(struct sl_meta *m, enum sl_compat *out, struct sl_err *err);
int sl_registry_set_default_compat(struct sl_meta *m, enum sl_compat c, struct sl_err *err);
/* SL_ENOENT if the subject does not exist. */
int sl_registry_subject(struct sl_meta *m, const char *subject, struct sl_schema_subject *out,
			struct sl_err *err);
/* Sets the mode of subject, creating it (with no versions) if it does not exist. */
int sl_registry_set_compat(struct sl_meta *m, const char *subject, enum sl_compat c,
			   struct sl_err *err);
int sl_registry_list(struct sl_meta *m, sl_schema_subject_fn *fn, void *ctx,
		     struct sl_err *err);
/* Every version of subject in order, without text. */
int sl_registry_versions(struct sl_meta *m, const char *subject, sl_schema_version_fn *fn,
			 void *ctx, struct sl_err *err);
int sl_registry_metadata(struct sl_meta *m, const char *subject, int64_t version,
			 sl_schema_kv_fn *fn, void *ctx, struct sl_err *err);
/* SL_EINVAL unless every key is 1-128 bytes and every value 1-256 bytes of UTF-8 without
 * control characters, keys have no '=', no key repeats, and n <= 10. */
int sl_registry_meta_check(const struct sl_schema_kv *kv, size_t n, struct sl_err *err);

/* ---- compatibility ------------------------------------------------------------------- */

#define SL_COMPAT_REPORT_MAX 16

/* One reason a schema cannot follow another. rule is a static name from the table in
 * docs/schema.md ("required-added", "type-narrowed", ..., "unprovable-change"). */
struct sl_compat_violation {
	const char *rule;
	const char *direction; /* "BACKWARD" or "FORWARD": which reading would break */
	int64_t against;       /* the earlier version checked against (0 if not given) */
	char pointer[256];     /* JSON pointer into the new schema ("" = its root) */
	char reason[384];      /* one line */
};

struct sl_compat_report {
	struct sl_compat_violation v[SL_COMPAT_REPORT_MAX];
	size_t n;     /* kept in v */
	size_t total; /* found */
};

/* Checks whether new_schema may follow old_schema under mode's direction: BACKWARD(_ALL)
 * proves every instance valid under old is valid under new, FORWARD(_ALL) the reverse,
 * FULL(_ALL) both; NONE and DISABLED check nothing. The proof is structural and
 * conservative: what it cannot prove is a violation ("unprovable-change"). Appends
 * violations to rep (tagged with `against`); returns the number found. */
size_t sl_compat_check(const struct sl_json_node *old_schema,
		       const struct sl_json_node *new_schema, enum sl_compat mode,
		       int64_t against, struct sl_compat_report *rep);
/* The same on two schema texts (each parsed as sl_schema_canonical would). Returns the
 * number of violations, or a negative code with err set when a text is malformed. */
int sl_compat_check_text(const char *old_text, size_t old_len, const char *new_text,
			 size_t new_len, enum sl_compat mode, int64_t against,
			 struct sl_compat_report *rep, struct sl_err *err);
/* Formats one violation as one line: "RULE at POINTER: REASON". */
void sl_compat_violation_line(const struct sl_compat_violation *v, char *out, size_t cap);

/* ---- registration -------------------------------------------------------------------- */

enum sl_registry_outcome {
	SL_REG_NEW,          /* a new version was registered (or would be: dry_run) */
	SL_REG_EXISTING,     /* an identical version exists: it is the answer */
	SL_REG_MALFORMED,    /* the schema does not compile (err says why and where) */
	SL_REG_DISABLED,     /* the subject's mode is DISABLED */
	SL_REG_INCOMPATIBLE, /* the compatibility check failed (report) */
	SL_REG_MODE_CONFLICT,/* compat was given and the existing subject has another mode */
	SL_REG_FAILED,       /* anything else (storage, metadata conflict, ...) */
};

struct sl_registry_opts {
	bool compat_given;  /* use compat for a new subject (else the registry default) */
	enum sl_compat compat;
	const struct sl_schema_kv *meta; /* metadata of the version */
	size_t n_meta;
	bool dry_run;       /* check only: nothing is written */
};

struct sl_registry_result {
	enum sl_registry_outcome outcome;
	int64_t version;    /* registered, found, or (dry_run) the number it would get */
	char fingerprint[SL_CHECKSUM_MAX];
	enum sl_compat compat; /* the mode the check ran under */
	struct sl_compat_report report;
};

/* Registers text (at most SL_SCHEMA_TEXT_MAX bytes) as the next version of subject:
 * canonical form, compilation with sl_registry_resolver (malformed schemas are
 * refused), the subject's mode (DISABLED refuses, the others check compatibility against
 * the latest or all earlier versions), then an atomic add that retries when another
 * writer got in first. Returns 0 for SL_REG_NEW and SL_REG_EXISTING; otherwise a negative
 * code (SL_EINVAL for a refusal), res->outcome saying which, err the first reason. */
int sl_registry_register(struct sl_meta *m, const char *subject, const char *text,
			 size_t len, const struct sl_registry_opts *opts,
			 struct sl_registry_result *res, struct sl_err *err);

#endif
