/*
 * test_format.c - the format checkers (src/schema/format.c):
 *   1. every string case of the JSON Schema Test Suite's optional/format files, draft
 *      2020-12 and draft 7, for each format sluice asserts, gives the suite's verdict
 *      (non-string instances are the validator's business and are skipped);
 *   2. hand-written edge cases: leap seconds, February 29, lower-case 't' and 'z', IPv6
 *      forms and zone ids, e-mail limits and address literals, URI authorities, NUL
 *      bytes and non-ASCII inside strings, very long strings;
 *   3. bounds: every checker is called on every prefix of every case, each copied into
 *      a heap block of exactly its length, so an out-of-bounds read fails under the
 *      sanitizers (build-asan).
 *
 * The suite is read from $SLUICE_CONFORMANCE (the folder that holds json-schema/), else
 * from the copy kept in tests/conformance (found from this file's path).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "json/json.h"
#include "schema/format.h"

/* Calls fn on a heap copy of exactly len bytes (no terminator after it), so that the
 * sanitizers catch a read past the end. */
static bool call_exact(sl_format_fn *fn, const char *s, size_t len)
{
	char *copy = malloc(len ? len : 1);
	assert_non_null(copy);
	if (len)
		memcpy(copy, s, len);
	bool ok = fn(copy, len);
	free(copy);
	return ok;
}

/* Calls fn on every proper prefix of s (results ignored: only bounds and termination are
 * tested); returns the number of calls. */
static size_t call_prefixes(sl_format_fn *fn, const char *s, size_t len)
{
	for (size_t n = 0; n < len; n++)
		(void)call_exact(fn, s, n);
	return len;
}

static sl_format_fn *lookup(const char *name)
{
	sl_format_fn *fn = sl_format_lookup(name);
	if (!fn)
		fail_msg("no checker for format \"%s\"", name);
	return fn;
}

/* ---- the JSON Schema Test Suite -------------------------------------------------------- */

/* The suite's tests folder (holding draft2020-12/, draft7/); malloc'd. */
static char *suite_dir(void)
{
	return th_conformance_dir("json-schema/tests");
}

/* The suite files to run: each format in each draft that has a file for it (draft 7 has
 * no uuid and no duration, which it does not define). The floor is well below the
 * number of string cases the file holds today, so that a file truncated or emptied by a
 * bad refresh fails the test instead of passing with nothing checked. */
static const struct suite_file {
	const char *format;
	const char *draft;
	size_t floor;
} suite_files[] = {
	{"date-time", "draft2020-12", 20}, {"date-time", "draft7", 20},
	{"date", "draft2020-12", 50},      {"date", "draft7", 50},
	{"time", "draft2020-12", 30},      {"time", "draft7", 30},
	{"email", "draft2020-12", 15},     {"email", "draft7", 10},
	{"uuid", "draft2020-12", 15},
	{"ipv4", "draft2020-12", 25},      {"ipv4", "draft7", 25},
	{"ipv6", "draft2020-12", 25},      {"ipv6", "draft7", 25},
	{"uri", "draft2020-12", 30},       {"uri", "draft7", 30},
	{"uri-reference", "draft2020-12", 15}, {"uri-reference", "draft7", 15},
	{"json-pointer", "draft2020-12", 25},  {"json-pointer", "draft7", 25},
	{"duration", "draft2020-12", 30},
};

static bool is_bool(const struct sl_json_node *n)
{
	return n && (n->type == SL_JSON_TRUE || n->type == SL_JSON_FALSE);
}

/* Runs one suite file; returns the number of string cases checked and adds every
 * disagreement to *n_wrong (printed). */
static size_t run_suite_file(const char *dir, const struct suite_file *sf, size_t *n_wrong,
			     size_t *n_skipped)
{
	sl_format_fn *fn = lookup(sf->format);
	char *path = NULL;
	assert_true(asprintf(&path, "%s/%s/optional/format/%s.json", dir, sf->draft,
			     sf->format) > 0);
	if (access(path, R_OK) != 0)
		fail_msg("cannot read %s: set SLUICE_CONFORMANCE to the folder that holds "
			 "json-schema/", path);
	size_t len;
	char *text = th_read_file(path, &len);
	struct sl_json_error e;
	struct sl_json_node *root = sl_json_tree_parse(text, len, NULL, &e);
	if (!root)
		fail_msg("%s: %s", path, e.msg);
	assert_int_equal(root->type, SL_JSON_ARRAY);
	size_t checked = 0;
	for (size_t g = 0; g < root->u.c.n; g++) {
		const struct sl_json_node *group = root->u.c.items[g];
		const struct sl_json_node *desc = sl_json_get(group, "description");
		const struct sl_json_node *tests = sl_json_get(group, "tests");
		assert_non_null(tests);
		assert_int_equal(tests->type, SL_JSON_ARRAY);
		for (size_t t = 0; t < tests->u.c.n; t++) {
			const struct sl_json_node *tc = tests->u.c.items[t];
			const struct sl_json_node *data = sl_json_get(tc, "data");
			const struct sl_json_node *valid = sl_json_get(tc, "valid");
			const struct sl_json_node *tdesc = sl_json_get(tc, "description");
			assert_non_null(data);
			assert_true(is_bool(valid));
			if (data->type != SL_JSON_STRING) {
				(*n_skipped)++;
				continue;
			}
			bool want = valid->type == SL_JSON_TRUE;
			bool got = call_exact(fn, data->u.str.s, data->u.str.len);
			call_prefixes(fn, data->u.str.s, data->u.str.len);
			checked++;
			if (got != want) {
				(*n_wrong)++;
				print_message("[  WRONG   ] %s/%s: \"%s\" / \"%s\": %.*s: got %s, the "
					      "suite says %s\n",
					      sf->draft, sf->format,
					      desc && desc->type == SL_JSON_STRING ? desc->u.str.s : "?",
					      tdesc && tdesc->type == SL_JSON_STRING ? tdesc->u.str.s : "?",
					      (int)data->u.str.len, data->u.str.s,
					      got ? "valid" : "invalid", want ? "valid" : "invalid");
			}
		}
	}
	sl_json_tree_free(root);
	free(text);
	free(path);
	if (checked < sf->floor)
		fail_msg("%s/%s: only %zu string cases (expected at least %zu)", sf->draft,
			 sf->format, checked, sf->floor);
	return checked;
}

static void test_suite(void **state)
{
	(void)state;
	char *dir = suite_dir();
	size_t total = 0, wrong = 0, skipped = 0;
	for (size_t k = 0; k < sizeof(suite_files) / sizeof(suite_files[0]); k++)
		total += run_suite_file(dir, &suite_files[k], &wrong, &skipped);
	free(dir);
	print_message("[ INFO     ] JSON Schema Test Suite: %zu string cases in %zu files, %zu "
		      "non-string cases skipped, %zu wrong\n",
		      total, sizeof(suite_files) / sizeof(suite_files[0]), skipped, wrong);
	assert_int_equal(wrong, 0);
	assert_true(total >= 600);
}

/* ---- hand-written cases ---------------------------------------------------------------- */

struct kase {
	const char *s;
	size_t len; /* bytes of s: NUL bytes inside count */
	bool valid;
};

#define OK(x) {x, sizeof(x) - 1, true}
#define BAD(x) {x, sizeof(x) - 1, false}

static void run_cases(const char *format, const struct kase *cases, size_t n)
{
	sl_format_fn *fn = lookup(format);
	size_t wrong = 0;
	for (size_t i = 0; i < n; i++) {
		bool got = call_exact(fn, cases[i].s, cases[i].len);
		call_prefixes(fn, cases[i].s, cases[i].len);
		if (got != cases[i].valid) {
			wrong++;
			print_message("[  WRONG   ] %s: \"", format);
			for (size_t k = 0; k < cases[i].len; k++) {
				unsigned char c = (unsigned char)cases[i].s[k];
				if (c >= 0x20 && c < 0x7f)
					print_message("%c", c);
				else
					print_message("\\x%02x", c);
			}
			print_message("\": got %s\n", got ? "valid" : "invalid");
		}
	}
	assert_int_equal(wrong, 0);
}

#define RUN(format, cases) run_cases(format, cases, sizeof(cases) / sizeof(cases[0]))

static void test_date_time(void **state)
{
	(void)state;
	static const struct kase cases[] = {
		OK("2016-12-31T23:59:60Z"),          /* the leap second of 2016 */
		OK("2016-12-31T23:59:60.999Z"),
		OK("2017-01-01T00:59:60+01:00"),     /* the same second seen in UTC+1 */
		OK("2016-12-31T18:29:60-05:30"),
		OK("2017-01-01T05:44:60+05:45"),
		BAD("2016-12-31T23:59:60+01:00"),    /* 22:59:60 UTC */
		BAD("2016-12-31T23:59:61Z"),
		OK("2024-02-29T12:00:00Z"),          /* leap year */
		BAD("2023-02-29T12:00:00Z"),
		OK("2000-02-29T00:00:00Z"),          /* divisible by 400 */
		BAD("1900-02-29T00:00:00Z"),         /* divisible by 100 only */
		BAD("2024-02-30T00:00:00Z"),
		OK("2024-02-29t12:00:00z"),          /* lower-case t and z */
		OK("2024-02-29t12:00:00.5z"),
		BAD("2024-02-29 12:00:00Z"),         /* RFC 3339's ABNF has "T" only */
		BAD("2024-02-29T12:00:00"),          /* no offset */
		BAD("2024-02-29T12:00:00.Z"),        /* a fraction needs a digit */
		BAD("2024-02-29T12:00:00,5Z"),
		OK("2024-02-29T12:00:00-00:00"),
		OK("2024-02-29T12:00:00+23:59"),
		BAD("2024-02-29T12:00:00+24:00"),
		BAD("2024-02-29T12:00:00+0100"),
		BAD("2024-02-29T12:00:00Zulu"),
		{"2024-01-01T00:00:00\0Z", 21, false}, /* NUL bytes anywhere */
		{"2024-01-01T00:00:00Z\0", 21, false},
		{"2024-01-01\0T00:00:00Z", 21, false},
		{"\0", 1, false},
		BAD(""),
		BAD("2024-01-01T00:00:00Zé"),
		BAD("2024-01-01T00:00:00＋01:00"),   /* a full-width plus */
		OK("0000-01-01T00:00:00Z"),
		OK("9999-12-31T23:59:59.999999999Z"),
	};
	RUN("date-time", cases);
}

static void test_date_and_time(void **state)
{
	(void)state;
	static const struct kase dates[] = {
		OK("2024-02-29"), BAD("2023-02-29"), OK("2000-02-29"), BAD("1900-02-29"),
		OK("0000-02-29"), /* year 0 is a leap year in the proleptic calendar */
		OK("2023-02-28"), OK("2023-12-31"), BAD("2023-12-31T00:00:00Z"),
		{"2024-0\0-01", 10, false}, {"2024-01-01\0", 11, false},
		BAD("2024-1-01"), BAD("2024-01-1"), BAD("2024/01/01"), BAD("2024-13-01"),
		BAD("2024-00-10"), BAD("2024-01-00"), BAD("2024-04-31"), OK("2024-04-30"),
	};
	RUN("date", dates);
	static const struct kase times[] = {
		OK("23:59:60Z"), OK("23:59:60z"), OK("23:59:60.25Z"), BAD("23:59:60+00:01"),
		OK("00:00:60+00:01"),        /* 23:59:60 UTC */
		OK("00:00:00+23:59"), OK("12:00:00-00:00"), BAD("12:00:00"), BAD("12:00Z"),
		BAD("24:00:00Z"), BAD("12:60:00Z"), BAD("12:00:61Z"), BAD("12:00:00+1:00"),
		BAD("12:00:00+01:00 "), {"12:00:00\0", 9, false}, {"12:00:00.\0Z", 11, false},
	};
	RUN("time", times);
}

static void test_uuid(void **state)
{
	(void)state;
	static const struct kase cases[] = {
		OK("123e4567-e89b-12d3-a456-426614174000"),
		OK("123E4567-E89B-12D3-A456-426614174000"),
		OK("ffffffff-ffff-ffff-ffff-ffffffffffff"),
		BAD("123e4567-e89b-12d3-a456-42661417400"),
		BAD("123e4567-e89b-12d3-a456-4266141740000"),
		BAD("123e4567+e89b-12d3-a456-426614174000"),
		BAD("{123e4567-e89b-12d3-a456-426614174000}"),
		BAD("123e4567-e89b-12d3-a456-42661417400g"),
		{"123e4567-e89b-12d3-a456-4266141740\0" "0", 36, false},
		{"123e4567-e89b-12d3\0a456-426614174000", 36, false},
		BAD("123e4567-e89b-12d3-a456-42661417400é"),
		BAD(""),
	};
	RUN("uuid", cases);
}

/* Every byte value at every position of a valid UUID: the checker tests 8 bytes at a
 * time, so each lane must decide alone (digits, both cases of a-f, their neighbours
 * '/', ':', '@', 'G', '`', 'g', and bytes from 0x80 up). */
static void test_uuid_every_byte_everywhere(void **state)
{
	(void)state;
	sl_format_fn *fn = lookup("uuid");
	const char base[] = "0123abcd-ABCD-4ef0-9a8B-0123456789fF";
	int n_valid = 0;
	for (size_t pos = 0; pos < 36; pos++) {
		bool dash = pos == 8 || pos == 13 || pos == 18 || pos == 23;
		for (unsigned c = 0; c < 256; c++) {
			char s[36];
			memcpy(s, base, 36);
			s[pos] = (char)c;
			bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
				   (c >= 'A' && c <= 'F');
			bool want = dash ? c == '-' : hex;
			if (call_exact(fn, s, 36) != want)
				fail_msg("uuid with byte 0x%02x at %zu: got %s", c, pos,
					 want ? "invalid" : "valid");
			n_valid += want;
		}
	}
	assert_int_equal(n_valid, 32 * 22 + 4);
}

static void test_ipv4(void **state)
{
	(void)state;
	static const struct kase cases[] = {
		OK("1.2.3.4"), OK("0.0.0.0"), OK("255.255.255.255"), OK("10.0.0.100"),
		BAD("256.0.0.1"), BAD("01.2.3.4"), BAD("1.2.3.04"), BAD("00.0.0.0"),
		BAD("1.2.3"), BAD("1.2.3.4.5"), BAD("1..3.4"), BAD("1.2.3.4."), BAD("1000.2.3.4"),
		BAD("1.2.3.4/32"), {"1.2.3.4\0", 8, false}, {"1.2\0.3.4", 8, false},
		BAD("1.2.3.٤"), BAD(""),
	};
	RUN("ipv4", cases);
}

static void test_ipv6(void **state)
{
	(void)state;
	static const struct kase cases[] = {
		OK("::"), OK("::1"), OK("1::"), OK("::ffff:1.2.3.4"), OK("::1.2.3.4"),
		OK("0:0:0:0:0:0:0:0"), OK("2001:DB8::A:b"), OK("fe80::1"),
		OK("1:2:3:4:5:6:7::"), OK("::2:3:4:5:6:7:8"), OK("1:2:3:4:5:6:1.2.3.4"),
		OK("1:2:3:4:5::1.2.3.4"), OK("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
		BAD("1:2:3:4:5:6:7:8::"), BAD("::1:2:3:4:5:6:7:8"), BAD("1::2:3:4:5:6:7:8"),
		BAD("1:2:3:4:5:6:7:1.2.3.4"), BAD("1:2:3:4:5:6::1.2.3.4:1"),
		BAD("::ffff:1.2.3"), BAD("::ffff:1.2.3.4.5"), BAD("::ffff:1.2.3.256"),
		BAD("1.2.3.4::"), BAD("02001:db8::"), BAD(":::"), BAD("::1::"), BAD("1:::2"),
		BAD("fe80::1%eth0"), BAD("fe80::1%25eth0"), BAD("fe80::1%1"), /* zone ids */
		BAD("[::1]"), BAD("::1/128"), BAD(":"), BAD(""), BAD("1:2"),
		{"::1\0", 4, false}, {":\0:1", 4, false}, BAD("::ｆ"),
	};
	RUN("ipv6", cases);
}

static void test_email(void **state)
{
	(void)state;
	static const struct kase cases[] = {
		OK("a@b"), OK("a.b.c@example.com"), OK("a+tag@example.co.uk"),
		OK("!#$%&'*+-/=?^_`{|}~@example.com"), OK("\"a b\"@example.com"),
		OK("\"a\\\"b\"@example.com"), OK("\"a\\\\b\"@example.com"), OK("\"\"@example.com"),
		OK("a@[1.2.3.4]"), OK("a@[IPv6:::1]"), OK("a@[ipv6:2001:db8::1]"),
		OK("a@1.example"), OK("a@x-y.example"),
		BAD("a@[IPv6:1.2.3.4]"), BAD("a@[1.2.3]"), BAD("a@[tag:value]"), BAD("a@[]"),
		BAD("a@-x.example"), BAD("a@x-.example"), BAD("a@x..example"), BAD("a@x.example."),
		BAD("a@.example"), BAD("a@ex_ample.com"), BAD("a..b@example.com"), BAD("a@"),
		BAD("@b"), BAD("a"), BAD("a@@b"), BAD("a@b@c"), BAD("\"a@b"), BAD("\"a\"b@c"),
		BAD("\"a\\\"@b"), BAD("é@example.com"), BAD("a@exämple.com"), BAD("\"é\"@b"),
		{"a\0b@example.com", 15, false}, {"a@example.com\0", 14, false},
		{"\"a\0\"@b", 6, false}, {"\"a\\\0\"@b", 7, false},
		BAD("a@b\n"), BAD(" a@b"),
		/* limits: local part 64, label 63, domain 255 */
		OK("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@b"),
		BAD("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@b"),
		OK("a@bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.com"),
		BAD("a@bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.com"),
	};
	RUN("email", cases);

	/* a domain of 255 bytes is allowed, 256 is not (every label within 63) */
	sl_format_fn *fn = lookup("email");
	static const size_t labels_255[] = {63, 63, 63, 61, 1}, labels_256[] = {63, 63, 63, 62, 1};
	const size_t *sets[] = {labels_255, labels_256};
	for (int k = 0; k < 2; k++) {
		char buf[300] = "a@";
		size_t n = 2;
		for (size_t l = 0; l < 5; l++) {
			if (l)
				buf[n++] = '.';
			memset(buf + n, 'x', sets[k][l]);
			n += sets[k][l];
		}
		assert_int_equal(n - 2, 255 + (size_t)k);
		assert_int_equal(call_exact(fn, buf, n), k == 0);
	}
}

static void test_uri(void **state)
{
	(void)state;
	static const struct kase uris[] = {
		OK("http://example.com"), OK("HTTP://EXAMPLE.COM/A%2fB"), OK("a:"), OK("a:b"),
		OK("a+b-c.d:x"), OK("http://[::1]:8080/x"), OK("http://[v1.fe80::a+en1]/"),
		OK("http://u:p@host:/"), OK("http://host:65536/"), OK("file:///etc/hosts"),
		OK("urn:isbn:0451450523"), OK("http://a/b?c/d?e#f/g?h"), OK("x://"),
		OK("http://%41.example/"), OK("http://a/%00"),
		BAD("//example.com"), BAD("example.com"), BAD(":x"), BAD("1a:x"), BAD(""),
		BAD("http://[::1"), BAD("http://[::1]x/"), BAD("http://[fe80::1%25eth0]/"),
		BAD("http://[v.x]/"), BAD("http://[vx.y]/"), BAD("http://[v1.]/"),
		BAD("http://a@b@c/"), BAD("http://a/b c"), BAD("http://a/b#c#d"),
		BAD("http://a/b%2"), BAD("http://a/b%g0"), BAD("http://a/[x]"),
		BAD("http://exämple.com/"), BAD("http://a/\x7f"),
		{"http://a/\0", 10, false}, {"http\0://a/", 10, false}, {"http://a\0b/", 11, false},
	};
	RUN("uri", uris);
	static const struct kase refs[] = {
		OK(""), OK("a"), OK("./a:b"), OK("/a:b"), OK("a/b:c"), OK("?a:b"), OK("#a:b"),
		OK("//host"), OK("//[::1]/x"), OK("http://example.com"), OK("%41"),
		OK("a:b:"), /* starts with a scheme: the absolute URI "a:b:" (path "b:") */
		BAD("1:b"), BAD("-a:b"), BAD("//a@b@c"), BAD("a b"), BAD("%4"), BAD("/a\\b"),
		{"a\0", 2, false},
	};
	RUN("uri-reference", refs);
}

static void test_json_pointer_and_duration(void **state)
{
	(void)state;
	static const struct kase pointers[] = {
		OK(""), OK("/"), OK("/a~0b~1c"), OK("/é/𝄞"), {"/a\0b", 4, true},
		BAD("a"), BAD("/~"), BAD("/~2"), BAD("/a~"), BAD("/\xff"), BAD("/\xc3"),
		BAD("/\xed\xa0\x80"), /* a surrogate in UTF-8 */
	};
	RUN("json-pointer", pointers);
	static const struct kase durations[] = {
		OK("P1D"), OK("PT1S"), OK("P1Y2M3DT4H5M6S"), OK("P52W"), OK("P1MT1M"),
		BAD("P"), BAD("PT"), BAD("P1"), BAD("P1W1D"), BAD("P1DT"), BAD("PT1S1M"),
		BAD("p1d"), BAD("P1d"), {"P1D\0", 4, false}, {"P\0" "1D", 4, false},
		BAD("P1.5D"), BAD("P١D"),
	};
	RUN("duration", durations);
}

/* Long inputs: a checker must stay linear and still decide correctly. */
static void test_long_strings(void **state)
{
	(void)state;
	enum { N = 4 << 20 };
	char *buf = malloc(N + 64);
	assert_non_null(buf);

	/* a date-time with a 4 MiB fraction */
	memcpy(buf, "2024-01-01T00:00:00.", 20);
	memset(buf + 20, '9', N);
	memcpy(buf + 20 + N, "Z", 1);
	assert_true(call_exact(lookup("date-time"), buf, 21 + N));
	assert_true(call_exact(lookup("time"), buf + 11, 10 + N));
	assert_false(call_exact(lookup("date-time"), buf, 20 + N)); /* no offset */

	/* a URI with a 4 MiB path of percent-encodings, then one broken at the very end */
	memcpy(buf, "http://x/", 9);
	for (size_t i = 0; i + 3 <= N; i += 3)
		memcpy(buf + 9 + i, "%41", 3);
	size_t n = 9 + N / 3 * 3;
	assert_true(call_exact(lookup("uri"), buf, n));
	assert_true(call_exact(lookup("uri-reference"), buf + 7, n - 7));
	assert_false(call_exact(lookup("uri"), buf, n - 1));

	/* long strings of the right alphabet that no format accepts */
	memset(buf, ':', N);
	assert_false(call_exact(lookup("ipv6"), buf, N));
	for (size_t i = 0; i < N; i += 2)
		memcpy(buf + i, "1:", 2);
	assert_false(call_exact(lookup("ipv6"), buf, N));
	memset(buf, 'a', N);
	assert_false(call_exact(lookup("email"), buf, N));
	assert_false(call_exact(lookup("uuid"), buf, N));
	assert_false(call_exact(lookup("ipv4"), buf, N));
	assert_false(call_exact(lookup("date"), buf, N));
	buf[0] = 'P';
	memset(buf + 1, '1', N - 1);
	assert_false(call_exact(lookup("duration"), buf, N));
	buf[N - 1] = 'D';
	assert_true(call_exact(lookup("duration"), buf, N));
	buf[0] = '/';
	assert_true(call_exact(lookup("json-pointer"), buf, N));
	memset(buf, 'a', N);
	memcpy(buf + N - 2, "@b", 2);
	assert_false(call_exact(lookup("email"), buf, N)); /* local part over 64 */
	free(buf);
}

static void test_lookup(void **state)
{
	(void)state;
	static const char *const asserted[] = {"date-time", "date", "time", "email", "uuid",
					       "ipv4", "ipv6", "uri", "uri-reference",
					       "json-pointer", "duration"};
	size_t n = sizeof(asserted) / sizeof(asserted[0]);
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < i; j++)
			assert_ptr_not_equal(lookup(asserted[i]), lookup(asserted[j]));
	/* annotations only: not asserted by sluice */
	assert_null(sl_format_lookup("hostname"));
	assert_null(sl_format_lookup("idn-email"));
	assert_null(sl_format_lookup("iri"));
	assert_null(sl_format_lookup("regex"));
	assert_null(sl_format_lookup("DATE-TIME"));
	assert_null(sl_format_lookup("date-time "));
	assert_null(sl_format_lookup(""));
	assert_null(sl_format_lookup("no-such-format"));
	assert_null(sl_format_lookup(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_suite),
		cmocka_unit_test(test_date_time),
		cmocka_unit_test(test_date_and_time),
		cmocka_unit_test(test_uuid),
		cmocka_unit_test(test_uuid_every_byte_everywhere),
		cmocka_unit_test(test_ipv4),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_email),
		cmocka_unit_test(test_uri),
		cmocka_unit_test(test_json_pointer_and_duration),
		cmocka_unit_test(test_long_strings),
		cmocka_unit_test(test_lookup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
