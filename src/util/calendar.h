/*
 * calendar.h - the proleptic Gregorian calendar and the date and time texts of RFC 3339,
 * for every module that turns day numbers or instants into dates and back: the Parquet
 * shredder, assembler and reader, the ETL run's dt partitions, cron schedules and the ETL
 * mapping's expressions. Nothing here depends on TZ, the locale or the C library's time
 * functions, and nothing allocates (the sl_buf writers grow their buffer).
 *
 * Day numbers count from 1970-01-01 (day 0); years are astronomical (year 0 is 1 BC).
 * The arithmetic works over 400-year eras of 146097 days with years counted from March,
 * so that the leap day comes last and negative years need no special case.
 *
 * Promises (tests/unit/test_calendar.c):
 *   1. sl_days_from_civil and sl_civil_from_days are inverse for every valid date of
 *      years -100,000,000 .. 100,000,000, and agree with the C library's timegm.
 *   2. The parsers read exactly n bytes (no NUL needed, nothing read past s + n) and
 *      accept only what their comment says.
 *   3. The writers give the texts types.h fixes for dates, times and timestamps.
 */
#ifndef SL_CALENDAR_H
#define SL_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

#define SL_US_PER_DAY INT64_C(86400000000)
#define SL_NS_PER_SEC INT64_C(1000000000)

/* a / b rounded towards minus infinity (b > 0). */
static inline int64_t sl_floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

bool sl_leap_year(int64_t y);
int sl_days_in_month(int64_t y, int m); /* m 1..12 */
/* The day number of a valid date (see sl_civil_to_days for one that checks). */
int64_t sl_days_from_civil(int64_t y, int m, int d);
/* The same, false when m/d is not a date of year y or y is beyond +-100,000,000. */
bool sl_civil_to_days(int64_t y, int m, int d, int64_t *days);
/* The date of a day number (any int64 whose year fits). */
void sl_civil_from_days(int64_t days, int64_t *y, int *m, int *d);

/* "YYYY-MM-DD" (exactly n == 10 bytes, a four-digit year, a valid date). */
bool sl_date_parse(const char *s, size_t n, int64_t *days);

/* "HH:MM:SS[.fraction]" (hours 0..23, seconds up to 60 for a leap second, at least one
 * fraction digit after a dot, digits beyond 9 cut), then optionally an offset "Z"/"z" or
 * "+HH:MM"/"-HH:MM", filling all n bytes. *ns: nanoseconds of the day as written (a leap
 * second gives 60 s of its minute); *off_s: the offset in seconds east of UTC (0 without
 * one); *has_off: whether there was one. */
bool sl_time_parse(const char *s, size_t n, int64_t *ns, int64_t *off_s, bool *has_off);

/* An RFC 3339 date-time with its offset, as written. */
struct sl_datetime {
	int64_t days;  /* of the date as written */
	int64_t ns;    /* nanoseconds of the day as written (see sl_time_parse) */
	int64_t off_s; /* seconds east of UTC */
	bool leap;     /* the seconds were 60 */
};

/* "YYYY-MM-DD" 'T'|'t'|' ' time offset, the offset required (sl_time_parse). */
bool sl_datetime_parse(const char *s, size_t n, struct sl_datetime *out);
/* The instant in units of 1/per_sec s since the epoch (rounded down): per_sec 1000 or
 * 1000000 (years 0..9999 never overflow them). */
int64_t sl_datetime_units(const struct sl_datetime *dt, int64_t per_sec);

#define SL_DATE_TEXT_MAX 32
#define SL_TIMESTAMP_TEXT_MAX 64

/* "YYYY-MM-DD" for years 0..9999, else ISO 8601's expanded form "+YYYYY-MM-DD" /
 * "-YYYY-MM-DD" (RFC 3339 has four-digit years only), at out (SL_DATE_TEXT_MAX bytes);
 * returns its length (no NUL written). */
size_t sl_date_text(char *out, int64_t days);
/* An instant v in units of 10^-frac_digits s (frac_digits 3, 6 or 9) since the epoch as
 * RFC 3339 in UTC, date "T" time "Z", at out (SL_TIMESTAMP_TEXT_MAX bytes); returns its
 * length (no NUL written). */
size_t sl_timestamp_text(char *out, int64_t v, int frac_digits);

/* The same, appended to out (no quotes). */
int sl_buf_date(struct sl_buf *out, int64_t days);
int sl_buf_timestamp(struct sl_buf *out, int64_t v, int frac_digits);
/* "HH:MM:SS.f" for a time of day tod in units of 10^-frac_digits s (frac_digits 3, 6 or
 * 9; hours beyond 23 are written as they are). */
int sl_buf_tod(struct sl_buf *out, int64_t tod, int frac_digits);

#endif
