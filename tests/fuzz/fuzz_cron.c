/*
 * fuzz_cron.c - libFuzzer harness for cron schedules (etl/cron.h): any text must parse or
 * be refused with a message naming a field and a column, never a crash or a hang. When it
 * parses, sl_cron_next from several times (month, leap-day, century and year ends, and
 * one taken from the input) must give a whole minute strictly after the time at which the
 * schedule fires and before which it does not, or SL_ENOENT only when nothing fires in
 * eight years; tests/unit/cron_oracle.h judges with gmtime_r. Input: the schedule text.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "etl/cron.h"
#include "../unit/cron_oracle.h"

static const int64_t times[] = {
	0,                        /* 1970-01-01T00:00Z, a Thursday */
	INT64_C(951782399999),    /* 2000-02-28T23:59:59.999Z, before a century leap day */
	INT64_C(1767225599999),   /* 2025-12-31T23:59:59.999Z */
	INT64_C(1700000000123),   /* mid-minute */
	INT64_C(4107542340000),   /* 2100-02-28T23:59Z: 2100 is not a leap year */
	INT64_C(-2208988800000),  /* 1900-01-01T00:00Z */
};

static void check(const struct sl_cron *c, int64_t after, const char *text)
{
	int64_t next = 0;
	int rc = sl_cron_next(c, after, &next);
	const char *why = co_check_next(c, after, rc, next);
	if (why) {
		fprintf(stderr, "'%s' after %lld: %s (rc %d, next %lld)\n", text,
			(long long)after, why, rc, (long long)next);
		abort();
	}
	if (rc == 0 && sl_cron_due(c, after, 0, next) != true)
		abort(); /* due exactly at the next firing */
	if (rc == 0 && sl_cron_due(c, after, 0, next - 1) != false)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 512)
		return 0;
	char text[513];
	memcpy(text, data, size);
	text[size] = '\0';
	struct sl_cron c;
	struct sl_err err = {0};
	int rc = sl_cron_parse(text, &c, &err);
	if (rc != 0) {
		if (rc != SL_EINVAL || !strstr(err.msg, "(column "))
			abort(); /* every refusal names its place */
		return 0;
	}
	if (!c.minutes || !c.hours || !c.mdays || !c.months || !c.wdays ||
	    (c.minutes >> 60) || (c.hours >> 24) || (c.mdays & 1u) || (c.months & 0xe001u) ||
	    (c.wdays & 0x80u))
		abort(); /* every field holds a value, and only values it may hold */
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++)
		check(&c, times[i], text);
	/* a time from the input's bytes, 1900 .. 2300 */
	uint64_t h = 1469598103934665603u;
	for (size_t i = 0; i < size; i++)
		h = (h ^ data[i]) * 1099511628211u;
	check(&c, times[5] + (int64_t)(h % UINT64_C(12622780800000)), text);
	return 0;
}
