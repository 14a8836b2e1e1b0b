/*
 * cron.h - schedules in cron syntax, for ETL jobs (sluice.yaml etl.jobs.NAME.schedule).
 *
 * Five fields, minute hour day-of-month month day-of-week, each `*`, a number, a range
 * `a-b`, a step `*\/n` or `a-b/n`, or a comma list of those; months 1-12 or jan-dec,
 * weekdays 0-7 (0 and 7 are Sunday) or sun-sat, case-insensitive. As in Vixie cron, when
 * both day fields are restricted a day matches if either does. Also the shortcuts
 * @hourly, @daily (= @midnight), @weekly, @monthly, @yearly (= @annually). Times are UTC.
 * ("daily at 02:00" is "0 2 * * *".)
 *
 * Promises: any text gives a schedule or SL_EINVAL naming the field and the column of the
 * problem; sl_cron_next always terminates (a schedule that never fires, such as
 * "0 0 31 2 *", gives SL_ENOENT).
 */
#ifndef SL_ETL_CRON_H
#define SL_ETL_CRON_H

#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"

struct sl_cron {
	uint64_t minutes;  /* bit m: minute m (0-59) */
	uint32_t hours;    /* bit h (0-23) */
	uint32_t mdays;    /* bit d (1-31) */
	uint16_t months;   /* bit m (1-12) */
	uint8_t wdays;     /* bit w (0-6, Sunday 0) */
	bool mday_star, wday_star; /* the field holds a `*` (`*`, `*\/2`): it does not
				    * restrict, for the either-day rule (as Vixie cron) */
};

int sl_cron_parse(const char *text, struct sl_cron *out, struct sl_err *err);

/* The first time strictly after after_ms (Unix ms, UTC) that the schedule fires, in ms
 * (a whole minute). SL_ENOENT when it never fires within the next 8 years; SL_EINVAL
 * when after_ms is outside the years 1 .. 9999. */
int sl_cron_next(const struct sl_cron *c, int64_t after_ms, int64_t *next_ms);

/* Whether a job last run (started) at last_ms (0: never) is due at now_ms: the schedule
 * fired after last_ms and at or before now_ms. A job that never ran is due once its
 * schedule has fired since created_ms. */
bool sl_cron_due(const struct sl_cron *c, int64_t last_ms, int64_t created_ms, int64_t now_ms);

#endif
