/*
 * bench_validate_latency - how long a small object takes from `put` to `raw` through the
 * validator stage.
 *
 *   bench_validate_latency DIR [--objects N] [--sluice PATH]
 *
 * Makes a durable lake in DIR/lake (fsync on, synchronous=full: the defaults), registers
 * a small schema for the subject "bench" with `sluice schema register`, and starts
 * `sluice validate` as a daemon (a child process, as it runs in production). Then, one at
 * a time, it puts N objects of 1 KiB (NDJSON, eight valid records) into landing through
 * the library and waits until each is visible in raw (its index row: what `sluice ls` and
 * the crawler see), woken by the metadata store's doorbell and looking at the index
 * between wake-ups. Latency = from just before the put to the moment the raw object is
 * seen. A second run does the same with one invalid record in each object (a split: raw
 * and deadletter both written). Prints markdown rows: p50, p90, p99, max for put -> raw,
 * and for the put alone (the floor the stage adds to).
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>

#include "bench_common.h"

static pid_t validator = -1;

/* A failed run (exit(2) anywhere) must not leave the daemon behind. */
static void stop_validator(void)
{
	if (validator > 0) {
		kill(validator, SIGTERM);
		waitpid(validator, NULL, 0);
		validator = -1;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double pct(double *v, int n, double p)
{
	int i = (int)(p * (n - 1) + 0.5);
	return v[i < 0 ? 0 : i >= n ? n - 1 : i];
}

/* The object: eight records of about 128 bytes; with bad, the fifth lacks "total". */
static size_t make_object(char *buf, size_t cap, int i, int bad)
{
	size_t o = 0;
	for (int r = 0; r < 8; r++) {
		if (bad && r == 4)
			o += (size_t)snprintf(buf + o, cap - o,
					      "{\"id\":%d,\"sku\":\"espresso-beans-1kg\",\"qty\":2,"
					      "\"note\":\"%064d\"}\n",
					      i * 8 + r, r);
		else
			o += (size_t)snprintf(buf + o, cap - o,
					      "{\"id\":%d,\"sku\":\"espresso-beans-1kg\",\"qty\":2,"
					      "\"total\":%d.%02d,\"note\":\"%048d\"}\n",
					      i * 8 + r, 10 + r, i % 100, r);
	}
	return o;
}

static void run(struct sl_lake *lake, int n, int bad, const char *label)
{
	double *e2e = malloc(sizeof(double) * (size_t)n), *put = malloc(sizeof(double) * (size_t)n);
	char data[2048], key[128];
	size_t total = 0;
	struct sl_err err = {0};
	if (!e2e || !put)
		exit(2);
	for (int i = 0; i < n; i++) {
		size_t len = make_object(data, sizeof(data), i, bad);
		total += len;
		snprintf(key, sizeof(key), "bench/%s/obj-%06d.ndjson", bad ? "split" : "valid", i);
		struct sl_object o;
		double t0 = sl_mono_s();
		if (sl_store_put_mem(&lake->store, "landing", key, data, len, NULL, &o, &err) != 0) {
			fprintf(stderr, "put: %s\n", err.msg);
			exit(2);
		}
		double t1 = sl_mono_s();
		double deadline = t0 + 30;
		for (;;) {
			struct sl_object r;
			if (lake->meta.ops->object_get(lake->meta.state, "raw", key, &r, NULL) == 0)
				break;
			if (sl_mono_s() > deadline) {
				fprintf(stderr, "%s did not reach raw within 30 s\n", key);
				exit(2);
			}
			/* woken at once by the validator's commit; looks again every 50 ms */
			lake->meta.ops->wait_send(lake->meta.state, 50, NULL);
		}
		e2e[i] = (sl_mono_s() - t0) * 1000;
		put[i] = (t1 - t0) * 1000;
	}
	qsort(e2e, (size_t)n, sizeof(double), cmp_double);
	qsort(put, (size_t)n, sizeof(double), cmp_double);
	printf("| %s: put -> raw, %d objects of %zu B | %.2f | %.2f | %.2f | %.2f |\n", label, n,
	       total / (size_t)n, pct(e2e, n, 0.50), pct(e2e, n, 0.90), pct(e2e, n, 0.99),
	       e2e[n - 1]);
	printf("| %s: the put alone (floor) | %.2f | %.2f | %.2f | %.2f |\n", label,
	       pct(put, n, 0.50), pct(put, n, 0.90), pct(put, n, 0.99), put[n - 1]);
	fflush(stdout);
	free(e2e);
	free(put);
}

int main(int argc, char **argv)
{
	int n = 1000;
	char sluice[PATH_MAX] = "";
	if (argc < 2) {
		fprintf(stderr, "usage: bench_validate_latency DIR [--objects N] [--sluice PATH]\n");
		return 1;
	}
	for (int i = 2; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--objects") == 0)
			n = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--sluice") == 0)
			snprintf(sluice, sizeof(sluice), "%s", argv[i + 1]);
	}
	if (n < 1)
		n = 1;
	if (!sluice[0]) {
		/* beside this program in the build directory */
		char self[PATH_MAX];
		ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (len <= 0)
			return 2;
		self[len] = '\0';
		*strrchr(self, '/') = '\0';
		snprintf(sluice, sizeof(sluice), "%.4000s/sluice", self);
	}
	char lake_dir[2048], schema[2048], cmd[9000];
	snprintf(lake_dir, sizeof(lake_dir), "%.1900s/latency-lake", argv[1]);
	mkdir(argv[1], 0755);
	bench_lake(lake_dir, 1);
	snprintf(schema, sizeof(schema), "%.1900s/bench.schema.json", argv[1]);
	FILE *f = fopen(schema, "w");
	if (!f)
		return 2;
	fputs("{\"type\":\"object\",\"required\":[\"id\",\"sku\",\"qty\",\"total\"],"
	      "\"properties\":{\"id\":{\"type\":\"integer\",\"minimum\":0},"
	      "\"sku\":{\"type\":\"string\",\"maxLength\":64},"
	      "\"qty\":{\"type\":\"integer\",\"minimum\":1},"
	      "\"total\":{\"type\":\"number\",\"minimum\":0},\"note\":{\"type\":\"string\"}}}\n",
	      f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "'%s' --lake '%s' schema register bench '%s' >/dev/null", sluice,
		 lake_dir, schema);
	if (system(cmd) != 0) {
		fprintf(stderr, "cannot register the schema: %s\n", cmd);
		return 2;
	}
	pid_t pid = fork();
	if (pid == 0) {
		execl(sluice, sluice, "--lake", lake_dir, "validate", "--quiet", (char *)NULL);
		_exit(127);
	}
	validator = pid;
	atexit(stop_validator);
	struct sl_lake *lake = bench_open(lake_dir);
	sl_sleep_ms(300); /* let the validator open the lake and arm its wait */
	printf("| object put one at a time; milliseconds | p50 | p90 | p99 | max |\n"
	       "|---|---:|---:|---:|---:|\n");
	run(lake, n, 0, "all valid");
	run(lake, n, 1, "one invalid record (split)");
	kill(pid, SIGTERM);
	int st;
	waitpid(pid, &st, 0);
	validator = -1;
	sl_lake_close(lake);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 2;
}
