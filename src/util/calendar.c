/* calendar.c - see calendar.h. */
#include "util/calendar.h"

#include <inttypes.h>
#include <stdio.h>

bool sl_leap_year(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int sl_days_in_month(int64_t y, int m)
{
	static const int8_t n[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && sl_leap_year(y) ? 29 : n[m];
}

int64_t sl_days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2; /* January and February belong to the year before, counted from March */
	int64_t era = sl_floor_div(y, 400);
	int64_t yoe = y - era * 400;                                   /* 0 .. 399 */
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* 0 .. 365 */
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* 0 .. 146096 */
	return era * 146097 + doe - 719468; /* 719468: days from 0000-03-01 to 1970-01-01 */
}

bool sl_civil_to_days(int64_t y, int m, int d, int64_t *days)
{
	if (y < -100000000 || y > 100000000 || m < 1 || m > 12 || d < 1 ||
	    d > sl_days_in_month(y, m))
		return false;
	*days = sl_days_from_civil(y, m, d);
	return true;
}

void sl_civil_from_days(int64_t days, int64_t *y, int *m, int *d)
{
	int64_t z = days + 719468;
	int64_t era = sl_floor_div(z, 146097);
	int64_t doe = z - era * 146097;                                      /* 0 .. 146096 */
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* 0 .. 399 */
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* 0 .. 365 */
	int64_t mp = (5 * doy + 2) / 153;                                    /* March = 0 */
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static inline int dig2(const char *p)
{
	if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
		return -1;
	return (p[0] - '0') * 10 + (p[1] - '0');
}

/* "YYYY-MM-DD" in the first 10 bytes of s. */
static bool date10(const char *s, int64_t *days)
{
	int y1 = dig2(s), y2 = dig2(s + 2), m = dig2(s + 5), d = dig2(s + 8);
	if (y1 < 0 || y2 < 0 || m < 0 || d < 0 || s[4] != '-' || s[7] != '-')
		return false;
	return sl_civil_to_days(y1 * 100 + y2, m, d, days);
}

bool sl_date_parse(const char *s, size_t n, int64_t *days)
{
	return n == 10 && date10(s, days);
}

bool sl_time_parse(const char *p, size_t n, int64_t *ns, int64_t *off_s, bool *has_off)
{
	if (n < 8)
		return false;
	int h = dig2(p), mi = dig2(p + 3), se = dig2(p + 6);
	if (h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 60 || p[2] != ':' ||
	    p[5] != ':')
		return false;
	size_t i = 8;
	int64_t frac = 0;
	if (i < n && p[i] == '.') {
		size_t st = ++i;
		int nd = 0;
		for (; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
			if (nd < 9) {
				frac = frac * 10 + (p[i] - '0');
				nd++;
			}
		}
		if (i == st)
			return false;
		for (; nd < 9; nd++)
			frac *= 10;
	}
	*has_off = false;
	*off_s = 0;
	if (i < n) {
		if ((p[i] == 'Z' || p[i] == 'z') && i + 1 == n) {
			*has_off = true;
		} else if ((p[i] == '+' || p[i] == '-') && i + 6 == n && p[i + 3] == ':') {
			int oh = dig2(p + i + 1), om = dig2(p + i + 4);
			if (oh < 0 || oh > 23 || om < 0 || om > 59)
				return false;
			*off_s = (p[i] == '-' ? -1 : 1) * (int64_t)(oh * 3600 + om * 60);
			*has_off = true;
		} else {
			return false;
		}
	}
	*ns = ((int64_t)h * 3600 + mi * 60 + se) * SL_NS_PER_SEC + frac;
	return true;
}

bool sl_datetime_parse(const char *s, size_t n, struct sl_datetime *out)
{
	bool has_off;
	if (n < 20 || !date10(s, &out->days) || (s[10] != 'T' && s[10] != 't' && s[10] != ' '))
		return false;
	if (!sl_time_parse(s + 11, n - 11, &out->ns, &out->off_s, &has_off) || !has_off)
		return false;
	out->leap = s[17] == '6'; /* seconds 60 (sl_time_parse allows no more) */
	return true;
}

int64_t sl_datetime_units(const struct sl_datetime *dt, int64_t per_sec)
{
	int64_t ns = dt->ns - dt->off_s * SL_NS_PER_SEC;
	return dt->days * 86400 * per_sec + sl_floor_div(ns, SL_NS_PER_SEC / per_sec);
}

/* n decimal digits of v, zero-padded, at p. */
static void put_digits(char *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
}

size_t sl_date_text(char *out, int64_t days)
{
	int64_t y;
	int m, d;
	sl_civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999) {
		int n = snprintf(out, SL_DATE_TEXT_MAX, "%s%04" PRId64 "-%02d-%02d",
				 y < 0 ? "-" : "+", y < 0 ? -y : y, m, d);
		return n < 0 ? 0 : (size_t)n < SL_DATE_TEXT_MAX ? (size_t)n : SL_DATE_TEXT_MAX - 1;
	}
	put_digits(out, (uint64_t)y, 4);
	out[4] = '-';
	put_digits(out + 5, (uint64_t)m, 2);
	out[7] = '-';
	put_digits(out + 8, (uint64_t)d, 2);
	return 10;
}

int sl_buf_date(struct sl_buf *out, int64_t days)
{
	char buf[SL_DATE_TEXT_MAX];
	return sl_buf_append(out, buf, sl_date_text(buf, days));
}

static int64_t pow10i(int n)
{
	int64_t p = 1;
	while (n-- > 0)
		p *= 10;
	return p;
}

/* "HH:MM:SS.f" at out (48 bytes); its length. */
static size_t tod_text(char *out, int64_t tod, int frac_digits)
{
	int64_t per = pow10i(frac_digits), sec = tod / per;
	size_t k;
	if (sec / 3600 > 99) {
		k = (size_t)snprintf(out, 24, "%" PRId64, sec / 3600);
	} else {
		put_digits(out, (uint64_t)(sec / 3600), 2);
		k = 2;
	}
	out[k] = ':';
	put_digits(out + k + 1, (uint64_t)(sec / 60 % 60), 2);
	out[k + 3] = ':';
	put_digits(out + k + 4, (uint64_t)(sec % 60), 2);
	out[k + 6] = '.';
	put_digits(out + k + 7, (uint64_t)(tod % per), frac_digits);
	return k + 7 + (size_t)frac_digits;
}

int sl_buf_tod(struct sl_buf *out, int64_t tod, int frac_digits)
{
	char buf[48];
	return sl_buf_append(out, buf, tod_text(buf, tod, frac_digits));
}

size_t sl_timestamp_text(char *out, int64_t v, int frac_digits)
{
	int64_t per_day = 86400 * pow10i(frac_digits), tod = v % per_day;
	size_t n = sl_date_text(out, sl_floor_div(v, per_day));
	out[n++] = 'T';
	n += tod_text(out + n, tod < 0 ? tod + per_day : tod, frac_digits);
	out[n++] = 'Z';
	return n;
}

int sl_buf_timestamp(struct sl_buf *out, int64_t v, int frac_digits)
{
	char buf[SL_TIMESTAMP_TEXT_MAX];
	return sl_buf_append(out, buf, sl_timestamp_text(buf, v, frac_digits));
}
