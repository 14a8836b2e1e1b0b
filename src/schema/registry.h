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

/* SL_EINVAL with a message unless name is 1-128 characters of [A-Za-z0-9._-]. */
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

#endif
