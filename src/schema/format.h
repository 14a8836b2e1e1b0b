/*
 * format.h - the "format" keyword's checkers (asserted by the validator).
 *
 * date-time, date, time (RFC 3339 section 5.6, leap second 60 allowed as RFC 3339 does),
 * email (RFC 5321 mailbox, ASCII), uuid (RFC 4122 text form, any version), ipv4 (dotted
 * quad, no leading zeros), ipv6 (RFC 4291 text forms, with an embedded IPv4 tail), uri
 * (RFC 3986 absolute URI). Each checker takes the unescaped string and returns true when
 * the string has the format.
 */
#ifndef SL_SCHEMA_FORMAT_H
#define SL_SCHEMA_FORMAT_H

#include <stdbool.h>
#include <stddef.h>

typedef bool sl_format_fn(const char *s, size_t len);

/* The checker of a format name, or NULL for a format that is not asserted. */
sl_format_fn *sl_format_lookup(const char *name);

#endif
