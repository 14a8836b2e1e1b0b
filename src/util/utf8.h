/* utf8.h - UTF-8 validation (RFC 3629: no overlongs, no surrogates, max U+10FFFF). */
#ifndef SL_UTF8_H
#define SL_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Length of the valid UTF-8 sequence that starts s (1..4), or 0 if it is invalid. */
size_t sl_utf8_valid_prefix(const char *s, size_t len);
/* True when all len bytes are valid UTF-8. On false, *bad_at (if not NULL) gets the
 * offset of the first bad byte. */
bool sl_utf8_valid(const char *s, size_t len, size_t *bad_at);

#endif
