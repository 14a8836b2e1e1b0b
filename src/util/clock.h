/* clock.h - wall-clock milliseconds (stored timestamps) and a monotonic clock (timeouts).
 *
 * Test hook (named as SLUICE_TEST_CRASH is, util/crashpoint.h): SLUICE_TEST_NOW=MS in the
 * environment makes the wall clock of the process start at MS ms since the epoch (UTC,
 * years 1970 .. 9999) when it is first read; it then moves on with the monotonic clock,
 * and sl_clock_skip moves it further, so that a scheduler's test sees hours of firings
 * without waiting for them. Unset (in production), the system's clock, at the cost of
 * one branch. The monotonic clock and sl_sleep_ms are never faked. */
#ifndef SL_CLOCK_H
#define SL_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int64_t sl_now_ms(void);       /* ms since the Unix epoch, UTC */
int64_t sl_mono_ms(void);      /* monotonic ms, for waiting */
double sl_mono_s(void);        /* monotonic seconds with ns resolution, for benchmarks */
void sl_sleep_ms(int64_t ms);
/* Formats ms-since-epoch as RFC 3339 UTC with milliseconds: 2026-11-25T07:54:04.123Z */
void sl_fmt_time(int64_t ms, char *out, size_t cap);

/* Whether SLUICE_TEST_NOW holds a usable time (set but unusable: the system's clock). */
bool sl_clock_faked(void);
/* Under SLUICE_TEST_NOW: moves the wall clock on by ms (> 0) and returns true, a sleep
 * that passes at once. Otherwise false: the caller sleeps for real. */
bool sl_clock_skip(int64_t ms);

#endif
