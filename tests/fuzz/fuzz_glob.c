/*
 * fuzz_glob.c - libFuzzer harness for route globs (util/glob.h): any pattern and key must
 * be checked and matched without a crash or a hang; and for patterns and keys of plain
 * ASCII without '[', sl_glob_match must agree with a reference that matches each segment
 * with fnmatch(3) and '**' segments by plain recursion (kept small, so it cannot blow up).
 * Input: PATTERN '\n' KEY.
 */
#include <fnmatch.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "util/glob.h"

#define MAX_SEGS 64

static size_t split(char *s, char **out)
{
	size_t n = 0;
	out[n++] = s;
	for (char *c = s; *c; c++) {
		if (*c == '/') {
			*c = '\0';
			if (n == MAX_SEGS)
				return 0;
			out[n++] = c + 1;
		}
	}
	return n;
}

static bool ref(char **p, size_t np, char **k, size_t nk)
{
	if (np == 0)
		return nk == 0;
	if (strcmp(p[0], "**") == 0)
		return ref(p + 1, np - 1, k, nk) || (nk > 0 && ref(p, np, k + 1, nk - 1));
	return nk > 0 && fnmatch(p[0], k[0], 0) == 0 && ref(p + 1, np - 1, k + 1, nk - 1);
}

static bool plain(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80 || *s == '[')
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	if (strlen(buf) != size) {
		free(buf);
		return 0;
	}
	char *nl = strchr(buf, '\n');
	const char *pattern = buf, *key = "";
	if (nl) {
		*nl = '\0';
		key = nl + 1;
	}
	size_t at;
	const char *why;
	if (sl_glob_check(pattern, &at, &why) != 0) {
		if (!why || at > strlen(pattern))
			abort(); /* every refusal says why and where */
		free(buf);
		return 0;
	}
	if (sl_key_check(key, NULL) != 0) {
		free(buf);
		return 0;
	}
	bool got = sl_glob_match(pattern, key);
	/* the reference: only small, plain inputs (its '**' recursion is exponential) */
	size_t globstars = 0;
	for (const char *c = strstr(pattern, "**"); c; c = strstr(c + 2, "**"))
		globstars++;
	if (plain(pattern) && plain(key) && strlen(key) < 200 && globstars <= 3) {
		char *pc = strdup(pattern), *kc = strdup(key);
		char *ps[MAX_SEGS], *ks[MAX_SEGS];
		size_t np = pc ? split(pc, ps) : 0, nk = kc ? split(kc, ks) : 0;
		if (np && nk && ref(ps, np, ks, nk) != got) {
			fprintf(stderr, "pattern '%s' key '%s': sl_glob_match %d, reference %d\n",
				pattern, key, got, !got);
			abort();
		}
		free(pc);
		free(kc);
	}
	free(buf);
	return 0;
}
