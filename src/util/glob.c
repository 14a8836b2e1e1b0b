/*
 * glob.c - key patterns (see glob.h).
 *
 * The key and the pattern are cut into segments at '/'. Inside a segment, '*' and '?'
 * are matched by the usual greedy scan that returns to the last '*' on a mismatch
 * (O(pattern x segment) at worst). Across segments, "**" is matched by a table over
 * (pattern segment, key segment) pairs, so no pattern backtracks exponentially.
 */
#include "util/glob.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SEGS 1024 /* a 1024-byte key has at most 512 segments; patterns 128 */

struct seg {
	const char *p;
	size_t n;
};

static size_t utf8_len(const char *s, size_t left)
{
	unsigned char c = (unsigned char)s[0];
	size_t n = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
	return n < left ? n : left;
}

int sl_glob_check(const char *pattern, size_t *at, const char **why)
{
	size_t n = strlen(pattern), seg_start = 0;
	*at = 0;
	if (n == 0) {
		*why = "empty pattern";
		return -1;
	}
	if (n > SL_GLOB_MAX) {
		*at = SL_GLOB_MAX;
		*why = "longer than 255 bytes";
		return -1;
	}
	for (size_t i = 0; i <= n; i++) {
		if (i == n || pattern[i] == '/') {
			size_t len = i - seg_start;
			const char *s = pattern + seg_start;
			if (len == 0) {
				*at = i;
				*why = "empty segment ('//', or '/' at the start or end): no key has one";
				return -1;
			}
			for (size_t j = 0; j + 1 < len; j++) {
				if (s[j] == '\\') {
					j++;
					continue;
				}
				if (s[j] == '*' && s[j + 1] == '*' && len != 2) {
					*at = seg_start + j;
					*why = "'**' must be a whole segment (as in 'a/**/b'); use '*' "
					       "inside a segment";
					return -1;
				}
			}
			seg_start = i + 1;
			continue;
		}
		if ((unsigned char)pattern[i] < 0x20 || pattern[i] == 0x7f) {
			*at = i;
			*why = "control character";
			return -1;
		}
		if (pattern[i] == '\\') {
			if (i + 1 == n) {
				*at = i;
				*why = "ends in a lone '\\'";
				return -1;
			}
			if (pattern[i + 1] == '/') {
				*at = i;
				*why = "'/' cannot be escaped: it always separates segments";
				return -1;
			}
			i++;
		}
	}
	return 0;
}

static bool seg_match(const char *p, size_t pn, const char *s, size_t sn)
{
	size_t pi = 0, si = 0, star_p = SIZE_MAX, star_s = 0;
	while (si < sn) {
		if (pi < pn && p[pi] == '*') {
			star_p = ++pi;
			star_s = si;
			continue;
		}
		if (pi < pn && p[pi] == '?') {
			pi++;
			si += utf8_len(s + si, sn - si);
			continue;
		}
		if (pi < pn) {
			size_t adv = 1;
			char c = p[pi];
			if (c == '\\' && pi + 1 < pn) {
				c = p[pi + 1];
				adv = 2;
			}
			if (c == s[si]) {
				pi += adv;
				si++;
				continue;
			}
		}
		if (star_p == SIZE_MAX)
			return false;
		pi = star_p;
		star_s += utf8_len(s + star_s, sn - star_s);
		si = star_s;
	}
	while (pi < pn && p[pi] == '*')
		pi++;
	return pi == pn;
}

static size_t split(const char *s, struct seg *out, size_t cap)
{
	size_t n = 0;
	const char *start = s;
	for (const char *c = s;; c++) {
		if (*c == '/' || *c == '\0') {
			if (n == cap)
				return SIZE_MAX;
			out[n].p = start;
			out[n++].n = (size_t)(c - start);
			if (*c == '\0')
				break;
			start = c + 1;
		}
	}
	return n;
}

bool sl_glob_match(const char *pattern, const char *key)
{
	struct seg *ps = malloc(2 * MAX_SEGS * sizeof(*ps));
	uint8_t *ok = NULL;
	bool result = false;
	if (!ps)
		return false;
	struct seg *ks = ps + MAX_SEGS;
	size_t np = split(pattern, ps, MAX_SEGS), nk = split(key, ks, MAX_SEGS);
	if (np == SIZE_MAX || nk == SIZE_MAX)
		goto done;
	/* ok[i * (nk + 1) + j]: pattern segments i.. match key segments j.. */
	ok = calloc((np + 1) * (nk + 1), 1);
	if (!ok)
		goto done;
#define OK(i, j) ok[(i) * (nk + 1) + (j)]
	OK(np, nk) = 1;
	for (size_t i = np; i-- > 0;) {
		bool globstar = ps[i].n == 2 && ps[i].p[0] == '*' && ps[i].p[1] == '*';
		for (size_t j = nk + 1; j-- > 0;) {
			if (globstar)
				OK(i, j) = OK(i + 1, j) || (j < nk && OK(i, j + 1));
			else
				OK(i, j) = j < nk && OK(i + 1, j + 1) &&
					   seg_match(ps[i].p, ps[i].n, ks[j].p, ks[j].n);
		}
	}
	result = OK(0, 0);
#undef OK
done:
	free(ok);
	free(ps);
	return result;
}
