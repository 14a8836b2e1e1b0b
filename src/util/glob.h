/*
 * glob.h - key patterns for routing rules.
 *
 * A pattern matches a whole object key, segment by segment ('/' separates segments):
 *   *    any run of characters inside one segment (also none)
 *   ?    exactly one character (a UTF-8 sequence) inside one segment
 *   **   as a whole segment: any number of whole segments, also none
 *   \c   the character c itself (\*, \?, \\)
 * Anything else matches itself. Matching takes time bounded by the product of the
 * pattern's and the key's lengths: no pattern can make it exponential.
 * Examples (in line comments, since they hold the characters that end a C comment):
 */
// "orders/**"        matches "orders/a.ndjson" and "orders/2026/11/a.ndjson"
// "**/b.json"        matches "b.json" and "x/y/b.json"
// "*/events/*.json"  matches "eu/events/a.json", not "eu/x/events/a.json"
#ifndef SL_GLOB_H
#define SL_GLOB_H

#include <stdbool.h>
#include <stddef.h>

#define SL_GLOB_MAX 255 /* bytes of a pattern */

/* Checks a pattern's syntax. Returns 0, or -1 with *at the byte offset of the problem and
 * *why what it is ("'**' must be a whole segment", "ends in a lone '\\'", ...). */
int sl_glob_check(const char *pattern, size_t *at, const char **why);

/* True if pattern (which passed sl_glob_check) matches the whole key. */
bool sl_glob_match(const char *pattern, const char *key);

#endif
