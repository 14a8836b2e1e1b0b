/* crashpoint.c - the SLUICE_TEST_CRASH hook (crashpoint.h). */
#include "util/crashpoint.h"

#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

static struct {
	bool read;
	char point[32]; /* the longest point name, "compact_published", and more */
	int percent;
} hook;

void sl_crash_point(const char *point)
{
	if (!hook.read) {
		const char *v = getenv("SLUICE_TEST_CRASH");
		const char *colon = v ? strchr(v, ':') : NULL;
		hook.read = true;
		if (colon && (size_t)(colon - v) < sizeof(hook.point)) {
			memcpy(hook.point, v, (size_t)(colon - v));
			hook.percent = atoi(colon + 1);
		}
	}
	if (hook.percent > 0 && strcmp(point, hook.point) == 0) {
		unsigned r = 0;
		if (getrandom(&r, sizeof(r), 0) == (ssize_t)sizeof(r) &&
		    r % 100 < (unsigned)hook.percent)
			raise(SIGKILL);
	}
}
