/*
 * test_clock.c - util/clock.h's test hook: with SLUICE_TEST_NOW set before the clock is
 * first read, sl_now_ms starts there, moves on with the monotonic clock and with
 * sl_clock_skip (which says the sleep passed); the monotonic clock is not touched.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "util/clock.h"

#define START 1767225600000LL /* 2026-01-01T00:00:00Z */

static void test_fake_clock(void **state)
{
	(void)state;
	assert_int_equal(setenv("SLUICE_TEST_NOW", "1767225600000", 1), 0);
	int64_t mono = sl_mono_ms();
	int64_t now = sl_now_ms();
	assert_true(sl_clock_faked());
	assert_true(now >= START && now < START + 5000);
	/* a sleep passes at once and moves the clock by its length */
	assert_true(sl_clock_skip(3600 * 1000));
	int64_t later = sl_now_ms();
	assert_true(later >= now + 3600 * 1000 && later < now + 3600 * 1000 + 5000);
	assert_true(sl_mono_ms() - mono < 5000);
	/* the clock moves on by itself, and never back */
	sl_sleep_ms(20);
	int64_t after = sl_now_ms();
	assert_true(after >= later + 20);
	assert_true(sl_clock_skip(0));
	assert_true(sl_now_ms() >= after);
	char text[40];
	sl_fmt_time(START + 3600 * 1000, text, sizeof(text));
	assert_string_equal(text, "2026-01-01T01:00:00.000Z");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fake_clock),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
