/*
 * test_cron.c - cron schedules (etl/cron.h): every syntax form and the bits it gives,
 * every refusal with its field and column, the next firing across month, leap-day and
 * year boundaries (checked against gmtime_r by tests/unit/cron_oracle.h), schedules
 * that never fire, and when a job is due.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "etl/cron.h"
#include "cron_oracle.h"

/* Unix ms of a UTC date and time, by the C library (an oracle independent of cron.c). */
static int64_t at(int y, int mo, int d, int h, int mi)
{
	struct tm tm = {0};
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	return (int64_t)timegm(&tm) * 1000;
}

static struct sl_cron parse_ok(const char *text)
{
	struct sl_cron c;
	struct sl_err err = {0};
	memset(&c, 0xa5, sizeof(c));
	if (sl_cron_parse(text, &c, &err) != 0)
		fail_msg("'%s' did not parse: %s", text, err.msg);
	return c;
}

static uint64_t bits(int lo, int hi, int step)
{
	uint64_t b = 0;
	for (int v = lo; v <= hi; v += step)
		b |= UINT64_C(1) << v;
	return b;
}

/* The next firing after `after`, checked by the oracle and compared with want. */
static void expect_next(const char *text, int64_t after, int64_t want)
{
	struct sl_cron c = parse_ok(text);
	int64_t next = -1;
	int rc = sl_cron_next(&c, after, &next);
	const char *why = co_check_next(&c, after, rc, next);
	if (why)
		fail_msg("'%s' after %lld: %s (rc %d, next %lld)", text, (long long)after, why, rc,
			 (long long)next);
	if (rc != 0 || next != want)
		fail_msg("'%s' after %lld: got rc %d next %lld, want %lld", text, (long long)after,
			 rc, (long long)next, (long long)want);
}

/* ---- syntax ------------------------------------------------------------------------- */

static void test_every_field_star(void **state)
{
	(void)state;
	struct sl_cron c = parse_ok("* * * * *");
	assert_true(c.minutes == bits(0, 59, 1));
	assert_true(c.hours == bits(0, 23, 1));
	assert_true(c.mdays == bits(1, 31, 1));
	assert_true(c.months == bits(1, 12, 1));
	assert_true(c.wdays == bits(0, 6, 1));
	assert_true(c.mday_star);
	assert_true(c.wday_star);
}

static void test_numbers_ranges_steps_lists(void **state)
{
	(void)state;
	struct sl_cron c = parse_ok("5 4 3 2 1");
	assert_true(c.minutes == bits(5, 5, 1));
	assert_true(c.hours == bits(4, 4, 1));
	assert_true(c.mdays == bits(3, 3, 1));
	assert_true(c.months == bits(2, 2, 1));
	assert_true(c.wdays == bits(1, 1, 1));
	assert_false(c.mday_star);
	assert_false(c.wday_star);

	c = parse_ok("10-15 0-23 1-31 1-12 0-6");
	assert_true(c.minutes == bits(10, 15, 1));
	assert_true(c.hours == bits(0, 23, 1));
	assert_true(c.mdays == bits(1, 31, 1));
	/* written as ranges, the day fields restrict (for the either-day rule) */
	assert_false(c.mday_star);
	assert_false(c.wday_star);

	c = parse_ok("*/15 */6 */10 */5 */2");
	assert_true(c.minutes == bits(0, 45, 15));
	assert_true(c.hours == bits(0, 18, 6));
	assert_true(c.mdays == bits(1, 31, 10)); /* 1, 11, 21, 31 */
	assert_true(c.months == bits(1, 11, 5)); /* 1, 6, 11 */
	assert_true(c.wdays == bits(0, 6, 2));   /* sun, tue, thu, sat: `*` is 0-6 */
	assert_true(c.mday_star);                /* `*` with a step does not restrict */
	assert_true(c.wday_star);

	c = parse_ok("10-40/10 9-17/4 1-7/3 3-12/3 1-5/2");
	assert_true(c.minutes == bits(10, 40, 10));
	assert_true(c.hours == ((1u << 9) | (1u << 13) | (1u << 17)));
	assert_true(c.mdays == ((1u << 1) | (1u << 4) | (1u << 7)));
	assert_true(c.months == bits(3, 12, 3));
	assert_true(c.wdays == ((1u << 1) | (1u << 3) | (1u << 5)));

	c = parse_ok("0,30,59 1,2,3-5,22-23/1 1,15,28-31 1,6-7,12 0,3");
	assert_true(c.minutes == ((UINT64_C(1) << 0) | (UINT64_C(1) << 30) | (UINT64_C(1) << 59)));
	assert_true(c.hours == (bits(1, 5, 1) | bits(22, 23, 1)));
	assert_true(c.mdays == ((1u << 1) | (1u << 15) | (uint32_t)bits(28, 31, 1)));
	assert_true(c.months == ((1u << 1) | (1u << 6) | (1u << 7) | (1u << 12)));
	assert_true(c.wdays == ((1u << 0) | (1u << 3)));

	/* a list holding `*` does not restrict either */
	c = parse_ok("0 0 5,*/7 * 1");
	assert_true(c.mday_star);
	assert_false(c.wday_star);

	/* steps as large as the field's span */
	c = parse_ok("*/60 */24 */31 */12 */7");
	assert_true(c.minutes == 1);
	assert_true(c.hours == 1);
	assert_true(c.mdays == 2);
	assert_true(c.months == 2);
	assert_true(c.wdays == 1);

	/* blanks: any number of spaces and tabs around and between the fields */
	struct sl_cron a = parse_ok("  1\t2   3 4\t 5 \t");
	struct sl_cron b = parse_ok("1 2 3 4 5");
	assert_memory_equal(&a, &b, sizeof(a));
}

static void test_names(void **state)
{
	(void)state;
	struct sl_cron c = parse_ok("0 0 * jan-mar,JUN,Dec mon-fri");
	assert_true(c.months == ((1u << 1) | (1u << 2) | (1u << 3) | (1u << 6) | (1u << 12)));
	assert_true(c.wdays == bits(1, 5, 1));
	static const char *const months[] = {"jan", "feb", "mar", "apr", "may", "jun",
					     "jul", "aug", "sep", "oct", "nov", "dec"};
	static const char *const days[] = {"SUN", "Mon", "tue", "wEd", "thu", "fri", "sat"};
	for (int i = 0; i < 12; i++) {
		char text[32];
		snprintf(text, sizeof(text), "0 0 1 %s *", months[i]);
		assert_true(parse_ok(text).months == 1u << (i + 1));
	}
	for (int i = 0; i < 7; i++) {
		char text[32];
		snprintf(text, sizeof(text), "0 0 * * %s", days[i]);
		assert_true(parse_ok(text).wdays == 1u << i);
	}
	/* names and numbers mix in ranges and steps */
	c = parse_ok("0 0 * 2-dec/2 sun-3");
	assert_true(c.months == bits(2, 12, 2));
	assert_true(c.wdays == bits(0, 3, 1));
}

static void test_sunday_is_0_and_7(void **state)
{
	(void)state;
	assert_true(parse_ok("0 0 * * 0").wdays == 1);
	assert_true(parse_ok("0 0 * * 7").wdays == 1);
	assert_true(parse_ok("0 0 * * sun").wdays == 1);
	assert_true(parse_ok("0 0 * * 5-7").wdays == ((1u << 5) | (1u << 6) | 1u));
	assert_true(parse_ok("0 0 * * 0-7").wdays == 0x7f);
	assert_true(parse_ok("0 0 * * 0,7").wdays == 1);
	/* 2026-01-04 is a Sunday */
	expect_next("0 0 * * 7", at(2026, 1, 1, 12, 0), at(2026, 1, 4, 0, 0));
	expect_next("0 0 * * 0", at(2026, 1, 1, 12, 0), at(2026, 1, 4, 0, 0));
	expect_next("0 0 * * 6-7", at(2026, 1, 1, 12, 0), at(2026, 1, 3, 0, 0));
}

static void test_shortcuts(void **state)
{
	(void)state;
	static const char *const pairs[][2] = {
		{"@yearly", "0 0 1 1 *"},  {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
		{"@weekly", "0 0 * * 0"},  {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
		{"@hourly", "0 * * * *"},  {"  @Daily\t", "0 0 * * *"}, {"@HOURLY", "0 * * * *"},
	};
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		struct sl_cron a = parse_ok(pairs[i][0]);
		struct sl_cron b = parse_ok(pairs[i][1]);
		if (memcmp(&a, &b, sizeof(a)) != 0)
			fail_msg("%s differs from %s", pairs[i][0], pairs[i][1]);
	}
	expect_next("@weekly", at(2026, 1, 1, 0, 0), at(2026, 1, 4, 0, 0));
	expect_next("@monthly", at(2026, 1, 1, 0, 0), at(2026, 2, 1, 0, 0));
	expect_next("@yearly", at(2026, 1, 1, 0, 0), at(2027, 1, 1, 0, 0));
	expect_next("@hourly", at(2026, 1, 1, 23, 0), at(2026, 1, 2, 0, 0));
}

struct bad {
	const char *text;
	const char *prefix; /* "FIELD (column N): " */
	const char *words;
};

static const struct bad bad_cases[] = {
	{"", "minute (column 1): ", "missing: a schedule has five fields"},
	{"   ", "minute (column 4): ", "missing"},
	{"0 0 * *", "day-of-week (column 8): ", "missing"},
	{"0", "hour (column 2): ", "missing"},
	{"0 0 * * * *", "schedule (column 11): ", "seconds and years are not supported"},
	{"0 0 * * * 2026", "schedule (column 11): ", "'2' after the fifth field"},
	{"60 * * * *", "minute (column 1): ", "60 is out of range (0-59)"},
	{"0 24 * * *", "hour (column 3): ", "24 is out of range (0-23)"},
	{"0 0 0 * *", "day-of-month (column 5): ", "0 is out of range (1-31)"},
	{"0 0 32 * *", "day-of-month (column 5): ", "32 is out of range"},
	{"0 0 * 0 *", "month (column 7): ", "0 is out of range (1-12)"},
	{"0 0 * 13 *", "month (column 7): ", "13 is out of range"},
	{"0 0 * * 8", "day-of-week (column 9): ", "8 is out of range (0-7)"},
	{"0 1-24 * * *", "hour (column 5): ", "24 is out of range"},
	{"99999999999 * * * *", "minute (column 1): ", "out of range"},
	{"0 0 * foo *", "month (column 7): ", "unknown name 'foo' (jan ... dec)"},
	{"0 0 * * monday", "day-of-week (column 9): ", "unknown name 'monday' (sun ... sat)"},
	{"0 0 * * mo", "day-of-week (column 9): ", "unknown name 'mo'"},
	{"jan * * * *", "minute (column 1): ", "only month and day-of-week take names"},
	{"0 0 L * *", "day-of-month (column 5): ", "only month and day-of-week take names"},
	{"5-2 * * * *", "minute (column 3): ", "the range 5-2 runs backwards"},
	{"0 0 * * fri-mon", "day-of-week (column 13): ", "runs backwards"},
	{"*/0 * * * *", "minute (column 3): ", "a step is 1 to 60"},
	{"*/61 * * * *", "minute (column 3): ", "a step is 1 to 60"},
	{"0 0 * * */8", "day-of-week (column 11): ", "a step is 1 to 7"},
	{"*/99999 * * * *", "minute (column 3): ", "a step is 1 to 60"},
	{"5/15 * * * *", "minute (column 2): ", "a step follows '*' or a range"},
	{"*/ * * * *", "minute (column 3): ", "expected the step (a number), got a space"},
	{"*/x * * * *", "minute (column 3): ", "got 'x'"},
	{"1,,2 * * * *", "minute (column 3): ", "expected a number or '*', got ','"},
	{"1, * * * *", "minute (column 3): ", "got a space"},
	{"0 0 * * mon-", "day-of-week (column 13): ", "got the end"},
	{"? * * * *", "minute (column 1): ", "got '?'"},
	{"0 0 ? * *", "day-of-month (column 5): ", "got '?'"},
	{"*x * * * *", "minute (column 2): ", "unexpected 'x'"},
	{"1-2-3 * * * *", "minute (column 4): ", "unexpected '-'"},
	{"0 0 * * \xc3\xa9", "day-of-week (column 9): ", "byte 0xC3"},
	{"0\n0 * * *", "minute (column 2): ", "unexpected byte 0x0A"},
	{"@daly", "schedule (column 1): ", "unknown shortcut '@daly'"},
	{"@", "schedule (column 1): ", "unknown shortcut '@'"},
	{"@reboot", "schedule (column 1): ", "@reboot is not a schedule"},
	{"@daily 5", "schedule (column 8): ", "unexpected '5' after @daily"},
	{"  @weekly!", "schedule (column 10): ", "unexpected '!' after @weekly"},
};

static void test_parse_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad *b = &bad_cases[i];
		struct sl_cron c;
		struct sl_err err = {0};
		int rc = sl_cron_parse(b->text, &c, &err);
		if (rc != SL_EINVAL || err.code != SL_EINVAL)
			fail_msg("'%s': rc %d, want SL_EINVAL", b->text, rc);
		if (strncmp(err.msg, b->prefix, strlen(b->prefix)) != 0)
			fail_msg("'%s': message '%s' does not start with '%s'", b->text, err.msg,
				 b->prefix);
		if (!strstr(err.msg, b->words))
			fail_msg("'%s': message '%s' lacks '%s'", b->text, err.msg, b->words);
	}
	/* NULL is an empty text; a NULL err still gives the code */
	struct sl_cron c;
	assert_int_equal(sl_cron_parse(NULL, &c, NULL), SL_EINVAL);
	assert_int_equal(sl_cron_parse("61 * * * *", &c, NULL), SL_EINVAL);
}

/* ---- next --------------------------------------------------------------------------- */

static void test_next_strictly_after(void **state)
{
	(void)state;
	const char *daily2 = "0 2 * * *";
	expect_next(daily2, at(2026, 1, 10, 1, 0), at(2026, 1, 10, 2, 0));
	expect_next(daily2, at(2026, 1, 10, 2, 0) - 1, at(2026, 1, 10, 2, 0));
	/* exactly at a firing: the next one */
	expect_next(daily2, at(2026, 1, 10, 2, 0), at(2026, 1, 11, 2, 0));
	expect_next(daily2, at(2026, 1, 10, 2, 0) + 1, at(2026, 1, 11, 2, 0));
	expect_next("* * * * *", at(2026, 1, 10, 2, 0), at(2026, 1, 10, 2, 1));
	expect_next("* * * * *", at(2026, 1, 10, 2, 0) + 59999, at(2026, 1, 10, 2, 1));
	expect_next("*/15 9-17 * * mon-fri", at(2026, 1, 9, 17, 45), at(2026, 1, 12, 9, 0));
	expect_next("30 */4 * * *", at(2026, 1, 9, 20, 31), at(2026, 1, 10, 0, 30));
}

static void test_next_month_ends(void **state)
{
	(void)state;
	expect_next("0 0 31 * *", at(2026, 4, 1, 0, 0), at(2026, 5, 31, 0, 0));
	expect_next("0 0 31 * *", at(2026, 1, 31, 0, 0), at(2026, 3, 31, 0, 0));
	expect_next("0 0 30 * *", at(2026, 1, 31, 0, 0), at(2026, 3, 30, 0, 0));
	expect_next("59 23 * * *", at(2026, 1, 31, 23, 59), at(2026, 2, 1, 23, 59));
	expect_next("0 0 1 * *", at(2026, 2, 28, 23, 59), at(2026, 3, 1, 0, 0));
	expect_next("0 12 28-31 2 *", at(2026, 2, 28, 12, 0), at(2027, 2, 28, 12, 0));
	expect_next("0 0 31 4,6,9,11,12 *", at(2026, 1, 1, 0, 0), at(2026, 12, 31, 0, 0));
}

static void test_next_leap_years(void **state)
{
	(void)state;
	const char *feb29 = "0 0 29 2 *";
	expect_next(feb29, at(2023, 3, 1, 0, 0), at(2024, 2, 29, 0, 0));
	expect_next(feb29, at(2024, 2, 29, 0, 0), at(2028, 2, 29, 0, 0));
	expect_next(feb29, at(1999, 6, 1, 0, 0), at(2000, 2, 29, 0, 0)); /* 2000: 400 divides */
	/* 2100 is not a leap year: the longest wait of any schedule, eight years */
	expect_next(feb29, at(2096, 3, 1, 0, 0), at(2104, 2, 29, 0, 0));
	expect_next("0 0 * 2 *", at(2024, 2, 28, 12, 0), at(2024, 2, 29, 0, 0));
	expect_next("0 0 * 2 *", at(2100, 2, 28, 12, 0), at(2101, 2, 1, 0, 0));
	expect_next("0 0 1 3 *", at(2024, 2, 28, 12, 0), at(2024, 3, 1, 0, 0));
}

static void test_next_year_ends(void **state)
{
	(void)state;
	expect_next("0 0 1 1 *", at(2025, 12, 31, 23, 59), at(2026, 1, 1, 0, 0));
	expect_next("*/15 * * * *", at(2025, 12, 31, 23, 50), at(2026, 1, 1, 0, 0));
	expect_next("59 23 31 12 *", at(2025, 12, 31, 23, 59), at(2026, 12, 31, 23, 59));
	expect_next("0 0 * * sun", at(2026, 12, 31, 0, 0), at(2027, 1, 3, 0, 0));
	/* before 1970 and at the far end of the range */
	expect_next("0 0 1 1 *", at(1960, 6, 1, 0, 0), at(1961, 1, 1, 0, 0));
	expect_next("0 0 * * *", at(9999, 12, 30, 12, 0), at(9999, 12, 31, 0, 0));
	expect_next("0 0 * * *", at(9999, 12, 31, 23, 59), at(10000, 1, 1, 0, 0));
}

static void test_next_day_rule(void **state)
{
	(void)state;
	/* 2026-01-01 is a Thursday; the 13th is a Tuesday. Both restricted: either. */
	expect_next("0 0 13 * fri", at(2026, 1, 1, 0, 0), at(2026, 1, 2, 0, 0));
	expect_next("0 0 13 * fri", at(2026, 1, 9, 0, 0), at(2026, 1, 13, 0, 0));
	/* one restricted: that one */
	expect_next("0 0 13 * *", at(2026, 1, 1, 0, 0), at(2026, 1, 13, 0, 0));
	expect_next("0 0 * * fri", at(2026, 1, 9, 0, 0), at(2026, 1, 16, 0, 0));
	/* a day field with `*` does not restrict: Fridays that are odd days (the 9th) */
	expect_next("0 0 */2 * fri", at(2026, 1, 1, 0, 0), at(2026, 1, 9, 0, 0));
	/* 31 February never comes, but Mondays in February do */
	expect_next("0 0 31 2 mon", at(2026, 1, 1, 0, 0), at(2026, 2, 2, 0, 0));
	/* 1-31 restricts too, so with the either rule every day matches */
	expect_next("0 0 1-31 * fri", at(2026, 1, 1, 0, 0), at(2026, 1, 1, 0, 0) + 86400000);
}

static void test_next_never(void **state)
{
	(void)state;
	static const char *const never[] = {"0 0 31 2 *", "0 0 30 2 *", "0 0 30,31 2 *",
					    "0 0 31 4,6,9,11 *", "* * 31 feb *"};
	for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++) {
		struct sl_cron c = parse_ok(never[i]);
		int64_t next = 42;
		assert_int_equal(sl_cron_next(&c, at(2026, 1, 1, 0, 0), &next), SL_ENOENT);
		assert_int_equal(next, 42);
		assert_null(co_check_next(&c, at(2026, 1, 1, 0, 0), SL_ENOENT, 0));
		assert_false(sl_cron_due(&c, 0, 0, INT64_C(253402300799999)));
	}
	/* a struct made by hand with no hour at all also ends */
	struct sl_cron c = parse_ok("* * * * *");
	c.hours = 0;
	int64_t next;
	assert_int_equal(sl_cron_next(&c, 0, &next), SL_ENOENT);
}

static void test_next_time_range(void **state)
{
	(void)state;
	struct sl_cron c = parse_ok("* * * * *");
	int64_t next;
	int64_t lo = at(1, 1, 1, 0, 0), hi = at(10000, 1, 1, 0, 0) - 1;
	assert_int_equal(sl_cron_next(&c, lo, &next), 0);
	assert_int_equal(next, lo + 60000);
	assert_int_equal(sl_cron_next(&c, hi, &next), 0);
	assert_int_equal(next, hi + 1);
	assert_int_equal(sl_cron_next(&c, lo - 1, &next), SL_EINVAL);
	assert_int_equal(sl_cron_next(&c, hi + 1, &next), SL_EINVAL);
	assert_int_equal(sl_cron_next(&c, INT64_MIN, &next), SL_EINVAL);
	assert_int_equal(sl_cron_next(&c, INT64_MAX, &next), SL_EINVAL);
}

/* Many schedules from many times, every answer judged by the oracle. */
static void test_next_against_oracle(void **state)
{
	(void)state;
	static const char *const scheds[] = {
		"0 2 * * *", "*/7 * * * *", "5 4 * * sun", "0 0 1,15 * *", "0 0 13 * fri",
		"0 0 29 2 *", "15 10 * jan,jul 1-5", "0 */3 31 * *", "59 23 28-31 * *",
		"0 0 */2 * fri", "0 0 31 2 *", "1-59/29 22-23 * 12 sat,sun", "@monthly",
	};
	uint64_t rng = 0x9e3779b97f4a7c15u;
	for (size_t i = 0; i < sizeof(scheds) / sizeof(scheds[0]); i++) {
		struct sl_cron c = parse_ok(scheds[i]);
		for (int k = 0; k < 25; k++) {
			rng = rng * 6364136223846793005u + 1442695040888963407u;
			/* 1900 .. 2300, to the millisecond */
			int64_t after = at(1900, 1, 1, 0, 0) +
					(int64_t)((rng >> 11) % (uint64_t)(at(2300, 1, 1, 0, 0) -
									   at(1900, 1, 1, 0, 0)));
			int64_t next = 0;
			int rc = sl_cron_next(&c, after, &next);
			const char *why = co_check_next(&c, after, rc, next);
			if (why)
				fail_msg("'%s' after %lld: %s", scheds[i], (long long)after, why);
			/* and once more from the answer: the firing after it */
			if (rc == 0) {
				int64_t again = 0;
				rc = sl_cron_next(&c, next, &again);
				why = co_check_next(&c, next, rc, again);
				if (why)
					fail_msg("'%s' after %lld: %s", scheds[i], (long long)next, why);
			}
		}
	}
}

/* ---- due ---------------------------------------------------------------------------- */

static void test_due(void **state)
{
	(void)state;
	struct sl_cron c = parse_ok("0 2 * * *");
	int64_t created = at(2026, 1, 1, 12, 0);
	int64_t fire = at(2026, 1, 10, 2, 0);

	/* last run before the firing: due from the firing on */
	assert_false(sl_cron_due(&c, fire - 3600000, created, fire - 1));
	assert_true(sl_cron_due(&c, fire - 3600000, created, fire));
	assert_true(sl_cron_due(&c, fire - 3600000, created, fire + 5 * 3600000));
	/* last run at or after the firing: not due again until the next one */
	assert_false(sl_cron_due(&c, fire, created, fire));
	assert_false(sl_cron_due(&c, fire + 5000, created, fire + 20 * 3600000));
	assert_true(sl_cron_due(&c, fire + 5000, created, fire + 24 * 3600000));
	/* a missed day or two is one due run, not a backlog: due is a yes or no */
	assert_true(sl_cron_due(&c, fire - 3 * 86400000, created, fire));
	/* never run: due once the schedule fired after the job was created */
	assert_false(sl_cron_due(&c, 0, created, created));
	assert_false(sl_cron_due(&c, 0, created, at(2026, 1, 2, 1, 59)));
	assert_true(sl_cron_due(&c, 0, created, at(2026, 1, 2, 2, 0)));
	assert_true(sl_cron_due(&c, 0, at(2026, 1, 2, 1, 0), at(2026, 1, 2, 2, 0)));
	assert_false(sl_cron_due(&c, 0, at(2026, 1, 2, 2, 0), at(2026, 1, 2, 2, 0)));
	/* a clock that went backwards: not due */
	assert_false(sl_cron_due(&c, fire, created, fire - 86400000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_field_star),
		cmocka_unit_test(test_numbers_ranges_steps_lists),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_sunday_is_0_and_7),
		cmocka_unit_test(test_shortcuts),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_next_strictly_after),
		cmocka_unit_test(test_next_month_ends),
		cmocka_unit_test(test_next_leap_years),
		cmocka_unit_test(test_next_year_ends),
		cmocka_unit_test(test_next_day_rule),
		cmocka_unit_test(test_next_never),
		cmocka_unit_test(test_next_time_range),
		cmocka_unit_test(test_next_against_oracle),
		cmocka_unit_test(test_due),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
