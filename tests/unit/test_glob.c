/*
 * test_glob.c - key patterns of routing rules (util/glob.h): what each pattern matches and
 * does not, refused patterns, and that a pattern built to make a naive matcher backtrack
 * exponentially is answered at once.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "util/clock.h"
#include "util/glob.h"

struct mcase {
	const char *pattern, *key;
	bool match;
};

static const struct mcase cases[] = {
	{"orders/**", "orders/a.ndjson", true},
	{"orders/**", "orders/2026/11/24/a.ndjson", true},
	{"orders/**", "orders", true}, /* '**' may be no segment at all */
	{"orders/**", "order/a", false},
	{"orders/**", "ordersx/a", false},
	{"**", "a", true},
	{"**", "a/b/c", true},
	{"**/b.json", "b.json", true},
	{"**/b.json", "x/y/b.json", true},
	{"**/b.json", "x/y/bb.json", false},
	{"a/**/b", "a/b", true},
	{"a/**/b", "a/x/y/b", true},
	{"a/**/b", "a/x/y/c", false},
	{"a/**/**/b", "a/b", true},
	{"*/events/*.json", "eu/events/a.json", true},
	{"*/events/*.json", "eu/x/events/a.json", false},
	{"*/events/*.json", "eu/events/a.json/x", false},
	{"*", "a", true},
	{"*", "a/b", false}, /* '*' stays inside a segment */
	{"a*", "a", true},
	{"a*c", "abbbc", true},
	{"a*c", "abbbcd", false},
	{"*.ndjson", "x.ndjson", true},
	{"*.ndjson", ".ndjson", true},
	{"a?c", "abc", true},
	{"a?c", "ac", false},
	{"a?c", "a/c", false},
	{"a?c", "a\xC3\xA9" "c", true}, /* '?' is one character, not one byte */
	{"a??c", "a\xC3\xA9" "c", false},
	{"\\*", "*", true},
	{"\\*", "a", false},
	{"a\\?", "a?", true},
	{"a\\?", "ab", false},
	{"a\\\\b", "a\\b", true},
	{"dt=*/x", "dt=2026-11-24/x", true},
	{"logs/*/*/**", "logs/a/b", true},
	{"logs/*/*/**", "logs/a", false},
	{"\xE6\x97\xA5/*", "\xE6\x97\xA5/a", true},
};

static void test_matches(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t at;
		const char *why;
		if (sl_glob_check(cases[i].pattern, &at, &why) != 0)
			fail_msg("pattern '%s' refused: %s", cases[i].pattern, why);
		if (sl_glob_match(cases[i].pattern, cases[i].key) != cases[i].match)
			fail_msg("'%s' vs '%s': expected %s", cases[i].pattern, cases[i].key,
				 cases[i].match ? "a match" : "no match");
	}
}

static void test_refused(void **state)
{
	(void)state;
	static const struct {
		const char *pattern;
		size_t at;
		const char *why;
	} bad[] = {
		{"", 0, "empty pattern"},
		{"a//b", 2, "empty segment"},
		{"/a", 0, "empty segment"},
		{"a/", 2, "empty segment"},
		{"a**", 1, "whole segment"},
		{"x/**b/c", 2, "whole segment"},
		{"***", 0, "whole segment"},
		{"a\\", 1, "lone"},
		{"a\\/b", 1, "cannot be escaped"},
		{"a\tb", 1, "control character"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t at = 99;
		const char *why = NULL;
		if (sl_glob_check(bad[i].pattern, &at, &why) == 0)
			fail_msg("pattern '%s' accepted", bad[i].pattern);
		assert_non_null(strstr(why, bad[i].why));
		assert_int_equal(at, bad[i].at);
	}
	char longp[SL_GLOB_MAX + 2];
	memset(longp, 'a', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	size_t at;
	const char *why;
	assert_int_equal(sl_glob_check(longp, &at, &why), -1);
	longp[SL_GLOB_MAX] = '\0';
	assert_int_equal(sl_glob_check(longp, &at, &why), 0);
}

/* a*a*a*...*b against aaaa...a, and a long chain of '**' against a deep key: both take
 * well under a second (a backtracking matcher would not finish). */
static void test_no_exponential_backtracking(void **state)
{
	(void)state;
	char pat[SL_GLOB_MAX + 1], key[1025];
	size_t n = 0;
	while (n + 3 < SL_GLOB_MAX) {
		pat[n++] = 'a';
		pat[n++] = '*';
	}
	pat[n++] = 'b';
	pat[n] = '\0';
	memset(key, 'a', 255);
	key[255] = '\0';
	size_t at;
	const char *why;
	assert_int_equal(sl_glob_check(pat, &at, &why), 0);
	double t = sl_mono_s();
	assert_false(sl_glob_match(pat, key));

	n = 0;
	while (n + 4 < SL_GLOB_MAX) {
		memcpy(pat + n, "**/", 3);
		n += 3;
	}
	memcpy(pat + n, "b", 2);
	for (size_t i = 0; i < 1023; i += 2) {
		key[i] = 'a';
		key[i + 1] = '/';
	}
	key[1023] = 'c';
	key[1024] = '\0';
	assert_int_equal(sl_glob_check(pat, &at, &why), 0);
	assert_false(sl_glob_match(pat, key));
	assert_true(sl_mono_s() - t < 1.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matches),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_no_exponential_backtracking),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
