/* clock.c - see clock.h. */
#include "util/clock.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* The SLUICE_TEST_NOW hook: read once, by whichever thread asks first. */
static struct {
	pthread_once_t once;
	bool fake;
	int64_t start_ms, mono0_ms;
	_Atomic int64_t skipped_ms;
} test_clock = {.once = PTHREAD_ONCE_INIT};

static void test_clock_read(void)
{
	const char *v = getenv("SLUICE_TEST_NOW");
	char *end;
	if (!v)
		return;
	long long ms = strtoll(v, &end, 10);
	if (end == v || *end || ms <= 0 || ms > 253402300799999LL) /* 9999-12-31T23:59:59.999 */
		return;
	test_clock.start_ms = ms;
	test_clock.mono0_ms = sl_mono_ms();
	test_clock.fake = true;
}

bool sl_clock_faked(void)
{
	pthread_once(&test_clock.once, test_clock_read);
	return test_clock.fake;
}

bool sl_clock_skip(int64_t ms)
{
	if (!sl_clock_faked())
		return false;
	if (ms > 0)
		atomic_fetch_add(&test_clock.skipped_ms, ms);
	return true;
}

int64_t sl_now_ms(void)
{
	if (sl_clock_faked())
		return test_clock.start_ms + (sl_mono_ms() - test_clock.mono0_ms) +
		       atomic_load(&test_clock.skipped_ms);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t sl_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double sl_mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void sl_sleep_ms(int64_t ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

void sl_fmt_time(int64_t ms, char *out, size_t cap)
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&s, &tm);
	snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}
