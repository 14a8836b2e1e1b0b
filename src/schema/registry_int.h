/* registry_int.h - what the registry's files (registry.c, canonical.c, compat.c) share. */
#ifndef SL_SCHEMA_REGISTRY_INT_H
#define SL_SCHEMA_REGISTRY_INT_H

#include <string.h>

#include "json/json.h"
#include "schema/registry.h"
#include "util/buf.h"

/* Skips a UTF-8 byte order mark at the start of a schema text (editors write one; the
 * JSON engine's reader skips it in data too). */
static inline void sl_schema_skip_bom(const char **text, size_t *len)
{
	if (*len >= 3 && memcmp(*text, "\xef\xbb\xbf", 3) == 0) {
		*text += 3;
		*len -= 3;
	}
}

/* Parses a schema text into a tree with the checks of sl_schema_canonical (size, JSON,
 * depth, object or boolean root, no duplicate keys). The tree's number nodes point into
 * text (node->off), so canonical output needs text alive. */
int sl_schema_tree(const char *text, size_t len, struct sl_json_node **out,
		   struct sl_err *err);

/* Writes the canonical form of a tree parsed from text. */
int sl_schema_tree_canonical(const struct sl_json_node *root, const char *text,
			     struct sl_buf *out);

/* Appends a JSON value to out, compact and with sorted keys (for messages and diffs;
 * numbers are rendered from their values, not the source). Stops adding once out holds
 * max bytes, ending with "...". */
void sl_json_render(const struct sl_json_node *n, struct sl_buf *out, size_t max);

/* Appends "/" and name escaped as a JSON pointer token (~0, ~1); control characters
 * become \u00XX so that a pointer is always printable on one line. */
void sl_pointer_push(char *ptr, size_t cap, const char *name, size_t len);

#endif
