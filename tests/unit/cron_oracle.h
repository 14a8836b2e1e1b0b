/*
 * cron_oracle.h - an independent judge of sl_cron_next, shared by tests/unit/test_cron.c
 * and tests/fuzz/fuzz_cron.c (header-only, so that the single-file fuzz harness can
 * include it).
 *
 * co_matches() says whether a schedule fires at a time, with the calendar fields from the
 * C library's gmtime_r (UTC) rather than cron.c's own arithmetic. co_check_next() checks
 * one answer of sl_cron_next against it: the answer is a whole minute strictly after
 * `after`, the schedule fires then, and it fires at no earlier minute (the days in
 * between are judged whole: a day that matches always has a matching minute, since a
 * parsed schedule has at least one hour and one minute). SL_ENOENT is checked the same
 * way over the next eight years. Both return NULL when all is well, else a static
 * description of the fault.
 */
#ifndef SL_TEST_CRON_ORACLE_H
#define SL_TEST_CRON_ORACLE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "etl/cron.h"

#define CO_MIN INT64_C(60000)
#define CO_DAY (1440 * CO_MIN)

static int64_t co_floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static bool co_day_matches(const struct sl_cron *c, const struct tm *tm)
{
	if (!((c->months >> (tm->tm_mon + 1)) & 1u))
		return false;
	bool mday = (c->mdays >> tm->tm_mday) & 1u;
	bool wday = (c->wdays >> tm->tm_wday) & 1u;
	return (c->mday_star || c->wday_star) ? (mday && wday) : (mday || wday);
}

static bool co_tm(int64_t ms, struct tm *tm)
{
	time_t t = (time_t)co_floor_div(ms, 1000);
	return gmtime_r(&t, tm) != NULL;
}

static bool co_matches(const struct sl_cron *c, int64_t ms)
{
	struct tm tm;
	if (!co_tm(ms, &tm))
		return false;
	return ((c->minutes >> tm.tm_min) & 1u) && ((c->hours >> tm.tm_hour) & 1u) &&
	       co_day_matches(c, &tm);
}

static bool co_day_of(int64_t ms, const struct sl_cron *c)
{
	struct tm tm;
	return co_tm(ms, &tm) && co_day_matches(c, &tm);
}

/* Whether any minute in [from, to) (whole minutes) matches. */
static bool co_any_minute(const struct sl_cron *c, int64_t from, int64_t to)
{
	for (int64_t t = from; t < to; t += CO_MIN)
		if (co_matches(c, t))
			return true;
	return false;
}

/* Whether the schedule fires at any minute in [from, to), from a whole minute. */
static bool co_fires_between(const struct sl_cron *c, int64_t from, int64_t to)
{
	int64_t day1 = co_floor_div(from, CO_DAY) * CO_DAY + CO_DAY; /* the next midnight */
	if (to <= day1)
		return co_any_minute(c, from, to);
	if (co_any_minute(c, from, day1))
		return true;
	int64_t t = day1;
	for (; t + CO_DAY <= to; t += CO_DAY)
		if (co_day_of(t, c))
			return true;
	return co_any_minute(c, t, to);
}

static const char *co_check_next(const struct sl_cron *c, int64_t after, int rc, int64_t next)
{
	int64_t first = (co_floor_div(after, CO_MIN) + 1) * CO_MIN;
	if (rc == SL_ENOENT) {
		/* eight years of 365 days: nothing may fire in them */
		if (co_fires_between(c, first, first + 8 * 365 * CO_DAY))
			return "SL_ENOENT, but the schedule fires within eight years";
		return NULL;
	}
	if (rc != 0)
		return "sl_cron_next failed on a time in range";
	if (next <= after)
		return "next is not after `after`";
	if (next % CO_MIN != 0)
		return "next is not a whole minute";
	if (!co_matches(c, next))
		return "the schedule does not fire at next";
	if (co_fires_between(c, first, next))
		return "the schedule fires earlier than next";
	return NULL;
}

#endif
