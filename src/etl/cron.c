/*
 * cron.c - cron schedules: parsing the five-field syntax into bit sets, and finding the
 * next time a schedule fires.
 *
 * Times are Unix milliseconds in UTC. Calendar fields are computed from the day number
 * (util/calendar.h) rather than with the C library's time functions, so that the answer
 * never depends on TZ, the locale or a time zone database.
 *
 * Promises:
 *   1. sl_cron_parse reads any bytes without reading past the terminating NUL; it gives a
 *      schedule in which every field has at least one value, or SL_EINVAL with a message
 *      "FIELD (column N): what is wrong" (N 1-based, in bytes).
 *   2. sl_cron_next visits at most nine calendar years of months, each month at most 31
 *      days, each day at most 24 hours: it always terminates, quickly. Its answer is a
 *      whole minute strictly after after_ms, the first one the schedule matches.
 *   3. Nothing here allocates.
 */
#include "etl/cron.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util/calendar.h"

#define SL_MS_PER_MIN INT64_C(60000)
#define SL_MIN_PER_DAY INT64_C(1440)

/* Times sl_cron_next accepts: 0001-01-01T00:00Z .. 9999-12-31T23:59:59.999Z. Nobody
 * schedules outside them, and inside them every intermediate value is small. */
#define SL_CRON_MS_MIN INT64_C(-62135596800000)
#define SL_CRON_MS_MAX INT64_C(253402300799999)

/* A schedule that has not fired in this many calendar years after the start year never
 * will: the longest gap of any schedule is February 29 across a century year that is
 * not a leap year (2096 -> 2104). */
#define SL_CRON_YEARS 8

/* ---- the calendar ------------------------------------------------------------------ */

/* 0 = Sunday; 1970-01-01 was a Thursday. */
static int sl_weekday(int64_t days)
{
	int64_t w = (days + 4) % 7;
	return (int)(w < 0 ? w + 7 : w);
}

/* ---- parsing ----------------------------------------------------------------------- */

struct sl_cron_field {
	const char *name;
	int min, max;               /* values a number may take */
	int star_max;               /* what `*` covers (day-of-week: 0-6, not 7) */
	const char *const *names;   /* three-letter names from min on, or NULL */
};

static const char *const sl_month_names[] = {"jan", "feb", "mar", "apr", "may", "jun", "jul",
					     "aug", "sep", "oct", "nov", "dec", NULL};
static const char *const sl_wday_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat",
					    NULL};

enum { SL_F_MINUTE, SL_F_HOUR, SL_F_MDAY, SL_F_MONTH, SL_F_WDAY, SL_F_COUNT };

static const struct sl_cron_field sl_fields[SL_F_COUNT] = {
	{"minute", 0, 59, 59, NULL},
	{"hour", 0, 23, 23, NULL},
	{"day-of-month", 1, 31, 31, NULL},
	{"month", 1, 12, 12, sl_month_names},
	{"day-of-week", 0, 7, 6, sl_wday_names},
};

#define SL_CRON_FIVE "five fields (minute hour day-of-month month day-of-week)"

struct sl_cron_parser {
	const char *text;
	size_t pos;
	struct sl_err *err;
};

static bool sl_is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* A character for a message: 'x' when printable, else its byte value. */
static const char *sl_char_desc(char c, char *buf, size_t cap)
{
	unsigned char u = (unsigned char)c;
	if (u == '\0')
		snprintf(buf, cap, "the end");
	else if (u == ' ')
		snprintf(buf, cap, "a space");
	else if (u == '\t')
		snprintf(buf, cap, "a tab");
	else if (u > 0x20 && u < 0x7f && u != '\'')
		snprintf(buf, cap, "'%c'", u);
	else
		snprintf(buf, cap, "byte 0x%02X", u);
	return buf;
}

static int sl_cron_fail(struct sl_cron_parser *p, const char *field, size_t pos,
			const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int sl_cron_fail(struct sl_cron_parser *p, const char *field, size_t pos,
			const char *fmt, ...)
{
	char what[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return sl_err_set(p->err, SL_EINVAL, "%s (column %zu): %s", field, pos + 1, what);
}

/* A number or a name at p->pos into *v (not yet range-checked against the field). */
static int sl_cron_value(struct sl_cron_parser *p, const struct sl_cron_field *f, int *v)
{
	const char *s = p->text;
	size_t start = p->pos;
	char desc[32];

	if (s[start] >= '0' && s[start] <= '9') {
		int n = 0;
		size_t i = start;
		for (; s[i] >= '0' && s[i] <= '9'; i++) {
			if (i - start >= 4) /* keeps n small; no field goes past two digits */
				return sl_cron_fail(p, f->name, start, "'%.6s...' is out of range "
						    "(%d-%d)", s + start, f->min, f->max);
			n = n * 10 + (s[i] - '0');
		}
		if (n < f->min || n > f->max)
			return sl_cron_fail(p, f->name, start, "%d is out of range (%d-%d)", n,
					    f->min, f->max);
		p->pos = i;
		*v = n;
		return 0;
	}
	if ((s[start] >= 'a' && s[start] <= 'z') || (s[start] >= 'A' && s[start] <= 'Z')) {
		size_t i = start;
		while ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z'))
			i++;
		size_t len = i - start;
		if (!f->names)
			return sl_cron_fail(p, f->name, start, "'%.*s': only month and day-of-week "
					    "take names", len > 16 ? 16 : (int)len, s + start);
		for (int k = 0; len == 3 && f->names[k]; k++) {
			if (strncasecmp(s + start, f->names[k], 3) == 0) {
				p->pos = i;
				*v = f->min + k;
				return 0;
			}
		}
		return sl_cron_fail(p, f->name, start, "unknown name '%.*s' (%s)",
				    len > 16 ? 16 : (int)len, s + start,
				    f->names == sl_month_names ? "jan ... dec" : "sun ... sat");
	}
	return sl_cron_fail(p, f->name, start, "expected a number%s or '*', got %s",
			    f->names ? ", a name" : "", sl_char_desc(s[start], desc, sizeof(desc)));
}

/* One field, from p->pos to the next blank or the end, into *bits (bit v: value v). */
static int sl_cron_field(struct sl_cron_parser *p, const struct sl_cron_field *f,
			 uint64_t *bits, bool *star)
{
	const char *s = p->text;
	char desc[32];
	int rc;

	*bits = 0;
	*star = false;
	for (;;) {
		size_t item = p->pos;
		int lo, hi, step = 1;
		bool range = false;
		if (s[p->pos] == '*') {
			p->pos++;
			lo = f->min;
			hi = f->star_max;
			range = true;
			*star = true;
		} else {
			if ((rc = sl_cron_value(p, f, &lo)) < 0)
				return rc;
			hi = lo;
			if (s[p->pos] == '-') {
				p->pos++;
				size_t at = p->pos;
				if ((rc = sl_cron_value(p, f, &hi)) < 0)
					return rc;
				if (hi < lo)
					return sl_cron_fail(p, f->name, at, "the range %.*s runs "
							    "backwards", (int)(p->pos - item),
							    s + item);
				range = true;
			}
		}
		if (s[p->pos] == '/') {
			size_t at = ++p->pos;
			int span = f->star_max - f->min + 1;
			if (!range)
				return sl_cron_fail(p, f->name, at - 1, "a step follows '*' or a "
						    "range (*/n, a-b/n), not a single value");
			if (s[at] < '0' || s[at] > '9')
				return sl_cron_fail(p, f->name, at, "expected the step (a number), "
						    "got %s", sl_char_desc(s[at], desc, sizeof(desc)));
			step = 0;
			while (s[p->pos] >= '0' && s[p->pos] <= '9') {
				if (p->pos - at >= 4 || step * 10 + (s[p->pos] - '0') > span)
					return sl_cron_fail(p, f->name, at, "a step is 1 to %d",
							    span);
				step = step * 10 + (s[p->pos++] - '0');
			}
			if (step == 0)
				return sl_cron_fail(p, f->name, at, "a step is 1 to %d", span);
		}
		for (int v = lo; v <= hi; v += step)
			*bits |= UINT64_C(1) << v;
		if (s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (s[p->pos] == '\0' || sl_is_blank(s[p->pos]))
			return 0;
		return sl_cron_fail(p, f->name, p->pos, "unexpected %s",
				    sl_char_desc(s[p->pos], desc, sizeof(desc)));
	}
}

struct sl_cron_shortcut {
	const char *name;
	const char *fields;
};

static const struct sl_cron_shortcut sl_shortcuts[] = {
	{"yearly", "0 0 1 1 *"},  {"annually", "0 0 1 1 *"}, {"monthly", "0 0 1 * *"},
	{"weekly", "0 0 * * 0"},  {"daily", "0 0 * * *"},    {"midnight", "0 0 * * *"},
	{"hourly", "0 * * * *"},  {NULL, NULL},
};

static int sl_cron_parse_fields(struct sl_cron_parser *p, struct sl_cron *out)
{
	const char *s = p->text;
	uint64_t bits[SL_F_COUNT];
	bool star[SL_F_COUNT];
	char desc[32];
	int rc;

	for (int i = 0; i < SL_F_COUNT; i++) {
		while (sl_is_blank(s[p->pos]))
			p->pos++;
		if (s[p->pos] == '\0')
			return sl_cron_fail(p, sl_fields[i].name, p->pos,
					    "missing: a schedule has " SL_CRON_FIVE
					    " or is a shortcut such as @daily");
		if ((rc = sl_cron_field(p, &sl_fields[i], &bits[i], &star[i])) < 0)
			return rc;
	}
	while (sl_is_blank(s[p->pos]))
		p->pos++;
	if (s[p->pos] != '\0')
		return sl_cron_fail(p, "schedule", p->pos,
				    "%s after the fifth field: a schedule has " SL_CRON_FIVE
				    "; seconds and years are not supported",
				    sl_char_desc(s[p->pos], desc, sizeof(desc)));
	memset(out, 0, sizeof(*out));
	out->minutes = bits[SL_F_MINUTE];
	out->hours = (uint32_t)bits[SL_F_HOUR];
	out->mdays = (uint32_t)bits[SL_F_MDAY];
	out->months = (uint16_t)bits[SL_F_MONTH];
	/* 7 is Sunday as well as 0 */
	uint64_t w = bits[SL_F_WDAY];
	out->wdays = (uint8_t)((w | (w >> 7)) & 0x7f);
	out->mday_star = star[SL_F_MDAY];
	out->wday_star = star[SL_F_WDAY];
	return 0;
}

int sl_cron_parse(const char *text, struct sl_cron *out, struct sl_err *err)
{
	struct sl_cron_parser p = {text ? text : "", 0, err};
	const char *s = p.text;

	while (sl_is_blank(s[p.pos]))
		p.pos++;
	if (s[p.pos] != '@')
		return sl_cron_parse_fields(&p, out);

	size_t at = p.pos++, end = p.pos;
	while ((s[end] >= 'a' && s[end] <= 'z') || (s[end] >= 'A' && s[end] <= 'Z'))
		end++;
	size_t len = end - p.pos;
	for (const struct sl_cron_shortcut *sc = sl_shortcuts; sc->name; sc++) {
		if (len != strlen(sc->name) || strncasecmp(s + p.pos, sc->name, len) != 0)
			continue;
		while (sl_is_blank(s[end]))
			end++;
		if (s[end] != '\0') {
			char desc[32];
			return sl_cron_fail(&p, "schedule", end, "unexpected %s after @%s",
					    sl_char_desc(s[end], desc, sizeof(desc)), sc->name);
		}
		struct sl_cron_parser sp = {sc->fields, 0, err};
		return sl_cron_parse_fields(&sp, out);
	}
	if (len == 6 && strncasecmp(s + p.pos, "reboot", 6) == 0)
		return sl_cron_fail(&p, "schedule", at, "@reboot is not a schedule; run the "
				    "job on demand instead");
	return sl_cron_fail(&p, "schedule", at, "unknown shortcut '@%.*s' (known: @hourly, "
			    "@daily, @midnight, @weekly, @monthly, @yearly, @annually)",
			    len > 16 ? 16 : (int)len, s + p.pos);
}

/* ---- finding the next time --------------------------------------------------------- */

/* The lowest set bit of bits at or above `from`, or -1. */
static int sl_next_bit(uint64_t bits, int from)
{
	if (from > 63)
		return -1;
	bits &= ~UINT64_C(0) << from;
	return bits ? __builtin_ctzll(bits) : -1;
}

/* Vixie cron's rule: a day field written with a `*` does not restrict, and when both
 * restrict, either one matching is enough. */
static bool sl_day_matches(const struct sl_cron *c, int64_t y, int m, int d)
{
	bool mday = (c->mdays >> d) & 1u;
	bool wday = (c->wdays >> sl_weekday(sl_days_from_civil(y, m, d))) & 1u;
	if (c->mday_star || c->wday_star)
		return mday && wday;
	return mday || wday;
}

int sl_cron_next(const struct sl_cron *c, int64_t after_ms, int64_t *next_ms)
{
	if (after_ms < SL_CRON_MS_MIN || after_ms > SL_CRON_MS_MAX)
		return SL_EINVAL;
	/* the first whole minute strictly after after_ms */
	int64_t minute = sl_floor_div(after_ms, SL_MS_PER_MIN) + 1;
	int64_t days = sl_floor_div(minute, SL_MIN_PER_DAY);
	int of_day = (int)(minute - days * SL_MIN_PER_DAY);
	int h = of_day / 60, mi = of_day % 60, m, d;
	int64_t y;
	sl_civil_from_days(days, &y, &m, &d);
	const int64_t last_year = y + SL_CRON_YEARS;

	/* Each step either answers or moves to the start of a later minute, hour, day or
	 * month; a failed month or day is skipped whole. */
	while (y <= last_year) {
		if (!((c->months >> m) & 1u) || d > sl_days_in_month(y, m)) {
			if (++m > 12) {
				m = 1;
				y++;
			}
			d = 1;
			h = mi = 0;
			continue;
		}
		if (!sl_day_matches(c, y, m, d)) {
			d++;
			h = mi = 0;
			continue;
		}
		int nh = sl_next_bit(c->hours, h);
		if (nh < 0 || nh > 23) {
			d++;
			h = mi = 0;
			continue;
		}
		if (nh != h) {
			h = nh;
			mi = 0;
		}
		int nm = sl_next_bit(c->minutes, mi);
		if (nm < 0 || nm > 59) {
			mi = 0;
			if (++h > 23) {
				h = 0;
				d++;
			}
			continue;
		}
		*next_ms = (sl_days_from_civil(y, m, d) * SL_MIN_PER_DAY + h * 60 + nm) *
			   SL_MS_PER_MIN;
		return 0;
	}
	return SL_ENOENT;
}

bool sl_cron_due(const struct sl_cron *c, int64_t last_ms, int64_t created_ms, int64_t now_ms)
{
	int64_t next;
	int64_t since = last_ms != 0 ? last_ms : created_ms;
	if (sl_cron_next(c, since, &next) != 0)
		return false;
	return next <= now_ms;
}
