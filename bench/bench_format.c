/*
 * bench_format - the format checkers alone, one core: nanoseconds per call and MB/s of
 * string bytes for each asserted format, on a set of valid strings of the kind records
 * hold (timestamps and UUIDs as bench/gen_telemetry writes them, addresses, URIs), best
 * of 5 runs of 10 million calls each. The strings are made before timing starts, all
 * different, and few enough (N) to stay in the caches, as a record's strings are when the
 * validator checks them right after parsing. Their verdicts are summed and checked so
 * that no call can be dropped.
 *
 *   bench_format [N]          (N strings per format, default 4096)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema/format.h"
#include "util/clock.h"

struct set {
	const char *format;
	char *buf;     /* n strings of stride bytes each */
	size_t *len;
	size_t stride;
};

static uint64_t next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Writes the i-th sample of a format at out (at most 63 bytes); returns its length. */
static size_t sample(const char *format, uint64_t *rng, char *out)
{
	uint64_t r = next(rng);
	if (strcmp(format, "date-time") == 0)
		return (size_t)snprintf(out, 64, "20%02u-%02u-%02uT%02u:%02u:%02u.%03uZ",
					(unsigned)(r % 100), (unsigned)(r >> 8) % 12 + 1,
					(unsigned)(r >> 16) % 28 + 1, (unsigned)(r >> 24) % 24,
					(unsigned)(r >> 32) % 60, (unsigned)(r >> 40) % 60,
					(unsigned)(r >> 48) % 1000);
	if (strcmp(format, "date") == 0)
		return (size_t)snprintf(out, 64, "20%02u-%02u-%02u", (unsigned)(r % 100),
					(unsigned)(r >> 8) % 12 + 1, (unsigned)(r >> 16) % 28 + 1);
	if (strcmp(format, "time") == 0)
		return (size_t)snprintf(out, 64, "%02u:%02u:%02u+01:00", (unsigned)(r % 24),
					(unsigned)(r >> 8) % 60, (unsigned)(r >> 16) % 60);
	if (strcmp(format, "uuid") == 0) {
		uint64_t r2 = next(rng);
		return (size_t)snprintf(out, 64, "%08x-%04x-4%03x-%04x-%012llx",
					(unsigned)(r >> 32), (unsigned)(r >> 16) & 0xffff,
					(unsigned)r & 0xfff, (unsigned)(r2 >> 48) | 0x8000,
					(unsigned long long)(r2 & 0xffffffffffffull));
	}
	if (strcmp(format, "ipv4") == 0)
		return (size_t)snprintf(out, 64, "%u.%u.%u.%u", (unsigned)(r & 255),
					(unsigned)(r >> 8) & 255, (unsigned)(r >> 16) & 255,
					(unsigned)(r >> 24) & 255);
	if (strcmp(format, "ipv6") == 0)
		return (size_t)snprintf(out, 64, "2001:db8:%x:%x::%x", (unsigned)(r & 0xffff),
					(unsigned)(r >> 16) & 0xffff, (unsigned)(r >> 32) & 0xffff);
	if (strcmp(format, "email") == 0)
		return (size_t)snprintf(out, 64, "player.%u@mail%u.example.com",
					(unsigned)(r % 1000000), (unsigned)(r >> 32) % 100);
	/* uri */
	return (size_t)snprintf(out, 64, "https://cdn%u.example.com/assets/%u.png?v=%u",
				(unsigned)(r % 10), (unsigned)(r >> 16) % 100000,
				(unsigned)(r >> 40) % 100);
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : 4096;
	if (n == 0) {
		fprintf(stderr, "usage: bench_format [N]\n");
		return 2;
	}
	static const char *const formats[] = {"date-time", "date", "time", "uuid",
					      "ipv4", "ipv6", "email", "uri"};
	uint64_t rng = 42;
	printf("%-10s %9s %9s %8s\n", "format", "ns/call", "MB/s", "valid");
	for (size_t f = 0; f < sizeof(formats) / sizeof(formats[0]); f++) {
		sl_format_fn *fn = sl_format_lookup(formats[f]);
		char *buf = malloc(n * 64);
		size_t *len = malloc(n * sizeof(*len));
		if (!fn || !buf || !len)
			return 2;
		size_t bytes = 0;
		for (size_t i = 0; i < n; i++)
			bytes += len[i] = sample(formats[f], &rng, buf + i * 64);
		size_t reps = 10000000 / n + 1;
		double best = 1e9;
		size_t valid = 0;
		for (int run = 0; run < 5; run++) {
			valid = 0;
			double t = sl_mono_s();
			for (size_t r = 0; r < reps; r++)
				for (size_t i = 0; i < n; i++)
					valid += fn(buf + i * 64, len[i]);
			t = sl_mono_s() - t;
			if (t < best)
				best = t;
		}
		printf("%-10s %9.1f %9.0f %8s\n", formats[f], best / (double)(n * reps) * 1e9,
		       (double)bytes * (double)reps / best / 1e6, valid == n * reps ? "all" : "NOT ALL");
		if (valid != n * reps)
			fprintf(stderr, "bench_format: %s: only %zu of %zu calls said valid\n",
				formats[f], valid, n * reps);
		free(buf);
		free(len);
	}
	return 0;
}
