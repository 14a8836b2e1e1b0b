/* clock.h - wall-clock milliseconds (stored timestamps) and a monotonic clock (timeouts). */
#ifndef SL_CLOCK_H
#define SL_CLOCK_H

#include <stddef.h>
#include <stdint.h>

int64_t sl_now_ms(void);       /* ms since the Unix epoch, UTC */
int64_t sl_mono_ms(void);      /* monotonic ms, for waiting */
double sl_mono_s(void);        /* monotonic seconds with ns resolution, for benchmarks */
void sl_sleep_ms(int64_t ms);
/* Formats ms-since-epoch as RFC 3339 UTC with milliseconds: 2026-11-25T07:54:04.123Z */
void sl_fmt_time(int64_t ms, char *out, size_t cap);

#endif
