/*
 * test_calendar.c - util/calendar.h: day numbers both ways against the C library's timegm
 * and across eras (promise 1), what the parsers accept and refuse, each in a heap block
 * of exactly its size so that build-asan catches a read past the end (promise 2), and the
 * texts the writers give (promise 3).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/calendar.h"

/* ---- 1. day numbers ------------------------------------------------------------------ */

static void test_days_against_timegm(void **state)
{
	(void)state;
	/* every day of 1600 .. 2400, one step at a time */
	struct tm tm = {0};
	tm.tm_year = 1600 - 1900;
	tm.tm_mon = 0;
	tm.tm_mday = 1;
	int64_t day = (int64_t)timegm(&tm) / 86400;
	for (int64_t k = 0; k < 292194; k++, day++) {
		time_t t = (time_t)(day * 86400);
		struct tm g;
		assert_non_null(gmtime_r(&t, &g));
		int64_t y;
		int m, d;
		sl_civil_from_days(day, &y, &m, &d);
		if (y != g.tm_year + 1900 || m != g.tm_mon + 1 || d != g.tm_mday)
			fail_msg("day %lld: %lld-%d-%d, gmtime %d-%d-%d", (long long)day,
				 (long long)y, m, d, g.tm_year + 1900, g.tm_mon + 1, g.tm_mday);
		int64_t back = 0;
		assert_true(sl_civil_to_days(y, m, d, &back));
		assert_int_equal(back, day);
		assert_int_equal(sl_days_from_civil(y, m, d), day);
	}
}

static void test_days_far_and_invalid(void **state)
{
	(void)state;
	static const int64_t years[] = {-100000000, -4001, -400, -1, 0, 1, 1969, 1970, 9999,
					10000, 100000000};
	for (size_t i = 0; i < sizeof(years) / sizeof(years[0]); i++) {
		for (int m = 1; m <= 12; m++) {
			int n = sl_days_in_month(years[i], m);
			for (int d = 1; d <= n; d++) {
				int64_t days, y;
				int mm, dd;
				assert_true(sl_civil_to_days(years[i], m, d, &days));
				sl_civil_from_days(days, &y, &mm, &dd);
				assert_true(y == years[i] && mm == m && dd == d);
			}
			/* day numbers are consecutive across month ends */
			int64_t last, next;
			assert_true(sl_civil_to_days(years[i], m, n, &last));
			if (m < 12)
				assert_true(sl_civil_to_days(years[i], m + 1, 1, &next));
			else if (years[i] < 100000000)
				assert_true(sl_civil_to_days(years[i] + 1, 1, 1, &next));
			else
				continue;
			assert_int_equal(next, last + 1);
		}
	}
	int64_t days;
	assert_true(sl_civil_to_days(1970, 1, 1, &days));
	assert_int_equal(days, 0);
	assert_true(sl_civil_to_days(2000, 2, 29, &days));
	assert_false(sl_civil_to_days(1900, 2, 29, &days));
	assert_false(sl_civil_to_days(2023, 2, 29, &days));
	assert_false(sl_civil_to_days(2024, 4, 31, &days));
	assert_false(sl_civil_to_days(2024, 0, 1, &days));
	assert_false(sl_civil_to_days(2024, 13, 1, &days));
	assert_false(sl_civil_to_days(2024, 1, 0, &days));
	assert_false(sl_civil_to_days(100000001, 1, 1, &days));
	assert_true(sl_leap_year(2000) && sl_leap_year(-4) && sl_leap_year(0));
	assert_false(sl_leap_year(1900) || sl_leap_year(2100) || sl_leap_year(-1));
	assert_int_equal(sl_floor_div(-1, 86400), -1);
	assert_int_equal(sl_floor_div(-86400, 86400), -1);
	assert_int_equal(sl_floor_div(86399, 86400), 0);
}

/* ---- 2. parsers ---------------------------------------------------------------------- */

/* A copy of s in a block of exactly its length. */
static char *exact(const char *s)
{
	size_t n = strlen(s);
	char *p = malloc(n ? n : 1);
	assert_non_null(p);
	memcpy(p, s, n);
	return p;
}

static bool date_ok(const char *s, int64_t *days)
{
	char *p = exact(s);
	bool ok = sl_date_parse(p, strlen(s), days);
	free(p);
	return ok;
}

static bool dt_ok(const char *s, struct sl_datetime *dt)
{
	char *p = exact(s);
	bool ok = sl_datetime_parse(p, strlen(s), dt);
	free(p);
	return ok;
}

static void test_date_parse(void **state)
{
	(void)state;
	int64_t d;
	assert_true(date_ok("1970-01-01", &d));
	assert_int_equal(d, 0);
	assert_true(date_ok("2024-02-29", &d));
	assert_int_equal(d, 19782);
	assert_true(date_ok("0000-01-01", &d));
	assert_int_equal(d, -719528);
	static const char *const bad[] = {"", "2024-02-30", "2023-02-29", "2024-13-01",
					  "2024-00-10", "2024-01-00", "2024-1-01", "2024/01/01",
					  "2024-01-01 ", "20240101", "+2024-01-01", "2024-01-0a",
					  "2024-01-01T00:00:00Z"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (date_ok(bad[i], &d))
			fail_msg("'%s' accepted", bad[i]);
	/* every prefix of a good date is refused, without reading past it */
	const char *good = "2024-03-15";
	for (size_t n = 0; n < 10; n++) {
		char *p = malloc(n ? n : 1);
		memcpy(p, good, n);
		assert_false(sl_date_parse(p, n, &d));
		free(p);
	}
}

static void test_time_parse(void **state)
{
	(void)state;
	int64_t ns, off;
	bool has;
	char *p = exact("12:34:56.789");
	assert_true(sl_time_parse(p, 12, &ns, &off, &has));
	assert_int_equal(ns, (12 * 3600 + 34 * 60 + 56) * SL_NS_PER_SEC + 789000000);
	assert_false(has);
	free(p);
	p = exact("23:59:60.1234567891234-05:30");
	assert_true(sl_time_parse(p, strlen("23:59:60.1234567891234-05:30"), &ns, &off, &has));
	assert_int_equal(ns, 86400 * SL_NS_PER_SEC + 123456789);
	assert_true(has);
	assert_int_equal(off, -(5 * 3600 + 30 * 60));
	free(p);
	static const char *const bad[] = {"24:00:00", "12:60:00", "12:00:61", "12:00", "12:00:00.",
					  "12:00:00Z ", "12:00:00+05", "12:00:00+24:00",
					  "12:00:00+05:60", "12-00-00", "12:00:00.5x"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p = exact(bad[i]);
		if (sl_time_parse(p, strlen(bad[i]), &ns, &off, &has))
			fail_msg("'%s' accepted", bad[i]);
		free(p);
	}
}

static void test_datetime_parse(void **state)
{
	(void)state;
	struct sl_datetime dt;
	assert_true(dt_ok("1970-01-01T00:00:00Z", &dt));
	assert_int_equal(sl_datetime_units(&dt, 1000000), 0);
	assert_true(dt_ok("1969-12-31T23:59:59.9999999Z", &dt));
	assert_int_equal(sl_datetime_units(&dt, 1000000), -1); /* rounded down */
	assert_int_equal(sl_datetime_units(&dt, 1000), -1);
	assert_true(dt_ok("2026-01-05T23:30:00-02:00", &dt));
	assert_int_equal(sl_datetime_units(&dt, 1000), INT64_C(1767663000000));
	assert_false(dt.leap);
	assert_true(dt_ok("2016-12-31t23:59:60z", &dt));
	assert_true(dt.leap);
	assert_int_equal(sl_datetime_units(&dt, 1), 0 + INT64_C(1483228800)); /* rolls over */
	assert_true(dt_ok("2024-05-06 07:08:09+01:00", &dt));
	static const char *const bad[] = {"2024-05-06T07:08:09", "2024-05-06", "2024-05-06T07:08Z",
					  "2024-05-06X07:08:09Z", "2024-02-30T00:00:00Z",
					  "2024-05-06T07:08:09.Z", "2024-05-06T07:08:09ZZ"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (dt_ok(bad[i], &dt))
			fail_msg("'%s' accepted", bad[i]);
	const char *good = "2024-05-06T07:08:09.5+01:00";
	for (size_t n = 0; n < strlen(good); n++) {
		char *q = malloc(n ? n : 1);
		memcpy(q, good, n);
		sl_datetime_parse(q, n, &dt); /* some prefixes are valid; none reads past n */
		free(q);
	}
}

/* ---- 3. writers ---------------------------------------------------------------------- */

static void expect_text(struct sl_buf *b, const char *want)
{
	if (strcmp(b->data ? b->data : "", want) != 0)
		fail_msg("got '%s', want '%s'", b->data ? b->data : "", want);
	sl_buf_reset(b);
}

static void test_writers(void **state)
{
	(void)state;
	struct sl_buf b;
	sl_buf_init(&b, 0);
	assert_int_equal(sl_buf_date(&b, 0), 0);
	expect_text(&b, "1970-01-01");
	assert_int_equal(sl_buf_date(&b, 19782), 0);
	expect_text(&b, "2024-02-29");
	assert_int_equal(sl_buf_date(&b, -719529), 0);
	expect_text(&b, "-0001-12-31");
	assert_int_equal(sl_buf_date(&b, 2932897), 0);
	expect_text(&b, "+10000-01-01");
	assert_int_equal(sl_buf_tod(&b, 45296789, 3), 0);
	expect_text(&b, "12:34:56.789");
	assert_int_equal(sl_buf_tod(&b, INT64_C(360000000000), 6), 0);
	expect_text(&b, "100:00:00.000000");
	assert_int_equal(sl_buf_timestamp(&b, 0, 6), 0);
	expect_text(&b, "1970-01-01T00:00:00.000000Z");
	assert_int_equal(sl_buf_timestamp(&b, -1, 6), 0);
	expect_text(&b, "1969-12-31T23:59:59.999999Z");
	assert_int_equal(sl_buf_timestamp(&b, INT64_C(1767663000123), 3), 0);
	expect_text(&b, "2026-01-06T01:30:00.123Z");
	assert_int_equal(sl_buf_timestamp(&b, 1, 9), 0);
	expect_text(&b, "1970-01-01T00:00:00.000000001Z");
	sl_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_days_against_timegm),
		cmocka_unit_test(test_days_far_and_invalid),
		cmocka_unit_test(test_date_parse),
		cmocka_unit_test(test_time_parse),
		cmocka_unit_test(test_datetime_parse),
		cmocka_unit_test(test_writers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
