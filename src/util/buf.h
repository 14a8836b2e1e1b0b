/*
 * buf.h - a growable byte buffer with a hard maximum (curl's dynbuf habit): appending
 * past max fails with SL_ELIMIT instead of growing without bound. The buffer is always
 * NUL-terminated so text can be used as a C string.
 */
#ifndef SL_BUF_H
#define SL_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sl_buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max;
};

#define SL_BUF_DEFAULT_MAX ((size_t)64 << 20)

void sl_buf_init(struct sl_buf *b, size_t max);
void sl_buf_release(struct sl_buf *b);
void sl_buf_reset(struct sl_buf *b);
/* Makes room for extra more bytes (and the terminating NUL) without changing len:
 * SL_ELIMIT past max, SL_ENOMEM. Callers that write into data + len directly use it. */
int sl_buf_reserve(struct sl_buf *b, size_t extra);
int sl_buf_append(struct sl_buf *b, const void *data, size_t len);
int sl_buf_puts(struct sl_buf *b, const char *s);
int sl_buf_printf(struct sl_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* JSON helpers: a string value with RFC 8259 escaping (bytes that are not valid UTF-8 are
 * written as U+FFFD so the output is always valid JSON). */
int sl_buf_json_str(struct sl_buf *b, const char *s, size_t len);
/* A double as the shortest text that reads back as the same double (single: the same
 * float); NaN and the infinities as the strings "NaN", "Infinity", "-Infinity", as
 * types.h writes them. */
int sl_buf_json_double(struct sl_buf *b, double d, bool single);

/* The shortest "%g" text of a finite d that reads back as d (single: as the same float)
 * at out (SL_DOUBLE_TEXT_MAX bytes, NUL-terminated); with point, ".0" is added to a text
 * that would read as an integer ("3.0"). Returns its length. */
#define SL_DOUBLE_TEXT_MAX 40
size_t sl_double_text(char *out, double d, bool single, bool point);

#endif
