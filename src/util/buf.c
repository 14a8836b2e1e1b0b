/* buf.c - see buf.h. */
#include "util/buf.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/utf8.h"

void sl_buf_init(struct sl_buf *b, size_t max)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->max = max ? max : SL_BUF_DEFAULT_MAX;
}

void sl_buf_release(struct sl_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void sl_buf_reset(struct sl_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

int sl_buf_reserve(struct sl_buf *b, size_t extra)
{
	if (extra > b->max || b->len > b->max - extra)
		return SL_ELIMIT;
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	if (cap > b->max + 1)
		cap = b->max + 1;
	char *d = realloc(b->data, cap);
	if (!d)
		return SL_ENOMEM;
	b->data = d;
	b->cap = cap;
	return 0;
}

int sl_buf_append(struct sl_buf *b, const void *data, size_t len)
{
	int rc = sl_buf_reserve(b, len);
	if (rc)
		return rc;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int sl_buf_puts(struct sl_buf *b, const char *s)
{
	return sl_buf_append(b, s, strlen(s));
}

int sl_buf_printf(struct sl_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return SL_EINVAL;
	int rc = sl_buf_reserve(b, (size_t)n);
	if (rc)
		return rc;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

int sl_buf_json_str(struct sl_buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	int rc = sl_buf_append(b, "\"", 1);
	size_t i = 0;
	while (rc == 0 && i < len) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x80) {
			size_t n = sl_utf8_valid_prefix(s + i, len - i);
			if (n == 0) { /* invalid byte: replace, skip one */
				rc = sl_buf_append(b, "\xEF\xBF\xBD", 3);
				i++;
			} else {
				rc = sl_buf_append(b, s + i, n);
				i += n;
			}
			continue;
		}
		if (c == '"' || c == '\\') {
			char e[2] = {'\\', (char)c};
			rc = sl_buf_append(b, e, 2);
		} else if (c < 0x20) {
			char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
			switch (c) {
			case '\n': rc = sl_buf_append(b, "\\n", 2); break;
			case '\t': rc = sl_buf_append(b, "\\t", 2); break;
			case '\r': rc = sl_buf_append(b, "\\r", 2); break;
			default: rc = sl_buf_append(b, e, 6); break;
			}
		} else {
			/* copy a run of plain ASCII at once */
			size_t j = i + 1;
			while (j < len && (unsigned char)s[j] >= 0x20 && (unsigned char)s[j] < 0x80 &&
			       s[j] != '"' && s[j] != '\\')
				j++;
			rc = sl_buf_append(b, s + i, j - i);
			i = j;
			continue;
		}
		i++;
	}
	return rc ? rc : sl_buf_append(b, "\"", 1);
}

size_t sl_double_text(char *out, double d, bool single, bool point)
{
	int n = 0, lo = single ? 6 : 15, hi = single ? 9 : 17;
	for (int prec = lo; prec <= hi; prec++) {
		n = snprintf(out, SL_DOUBLE_TEXT_MAX, "%.*g", prec, d);
		if (prec == hi || (single ? strtof(out, NULL) == (float)d : strtod(out, NULL) == d))
			break;
	}
	if (point && !strpbrk(out, ".eE")) /* not 1.5 or 1e+20 */
		n += snprintf(out + n, SL_DOUBLE_TEXT_MAX - (size_t)n, ".0");
	return (size_t)n;
}

int sl_buf_json_double(struct sl_buf *b, double d, bool single)
{
	if (isnan(d))
		return sl_buf_puts(b, "\"NaN\"");
	if (isinf(d))
		return sl_buf_puts(b, d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
	if (d == 0)
		return sl_buf_puts(b, signbit(d) ? "-0.0" : "0.0");
	char buf[SL_DOUBLE_TEXT_MAX];
	return sl_buf_append(b, buf, sl_double_text(buf, d, single, false));
}
