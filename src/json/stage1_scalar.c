/*
 * stage1_scalar.c - structural indexing one byte at a time: the portable reference
 * implementation. stage1_avx2.c must agree with it on every input (the fuzzer checks).
 */
#include "json/internal.h"

size_t sl_json_utf8_check(const char *buf, size_t len, size_t from, size_t to, size_t *bad)
{
	const unsigned char *s = (const unsigned char *)buf;
	size_t i = from;
	while (i < to) {
		unsigned c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t n;
		unsigned lo = 0x80, hi = 0xBF;
		if (c >= 0xC2 && c <= 0xDF) {
			n = 2;
		} else if (c >= 0xE0 && c <= 0xEF) {
			n = 3;
			if (c == 0xE0)
				lo = 0xA0; /* overlong */
			else if (c == 0xED)
				hi = 0x9F; /* UTF-16 surrogates */
		} else if (c >= 0xF0 && c <= 0xF4) {
			n = 4;
			if (c == 0xF0)
				lo = 0x90; /* overlong */
			else if (c == 0xF4)
				hi = 0x8F; /* beyond U+10FFFF */
		} else {
			*bad = i;
			return SIZE_MAX;
		}
		if (i + 1 >= len || s[i + 1] < lo || s[i + 1] > hi) {
			*bad = i;
			return SIZE_MAX;
		}
		for (size_t k = 2; k < n; k++) {
			if (i + k >= len || s[i + k] < 0x80 || s[i + k] > 0xBF) {
				*bad = i;
				return SIZE_MAX;
			}
		}
		i += n;
	}
	return i;
}

void sl_json_stage1_scalar(const char *buf, size_t len, struct sl_stage1 *out)
{
	const unsigned char *s = (const unsigned char *)buf;
	uint32_t *idx = out->idx;
	size_t n = 0, bad;
	int in_string = 0, escaped = 0, prev_scalar = 0;
	size_t nb = 0;
	out->ctrl_at = SIZE_MAX;
	out->utf8_at = SIZE_MAX;
	if (sl_json_utf8_check(buf, len, 0, len, &bad) == SIZE_MAX)
		out->utf8_at = bad;
	for (size_t i = 0; i < len; i++) {
		unsigned c = s[i];
		int quote = c == '"' && !escaped;
		escaped = c == '\\' && !escaped;
		if (c == '\\')
			out->bs[nb++] = (uint32_t)i;
		if (quote)
			in_string = !in_string;
		/* in_string is now inclusive: set on an opening quote, clear on a closing one */
		if (in_string && c < 0x20 && out->ctrl_at == SIZE_MAX)
			out->ctrl_at = i;
		int scalar = !in_string && !quote && !sl_json_is_op(c) && !sl_json_is_ws(c);
		if (quote || (!in_string && sl_json_is_op(c)) || (scalar && !prev_scalar))
			idx[n++] = (uint32_t)i;
		prev_scalar = scalar;
	}
	idx[n] = (uint32_t)len;
	out->n = n;
	out->bs[nb] = UINT32_MAX;
	out->n_bs = nb;
}
