/*
 * bench_pqwrite - where `sluice convert` spends its time, one phase at a time, on the
 * records of an NDJSON file held in memory (no reading, no disk): parse only; parse and
 * validate; parse and write (shred, encode, compress, into a sink that only counts);
 * and all three, as convert does. Each pass is repeated and the least thread CPU time
 * kept, so a busy machine disturbs the figures less than wall time would.
 *
 *   bench_pqwrite FILE.ndjson SCHEMA.json [--bytes N] [--reps R] [--codec C]
 *
 * --codec, --level: as convert's. --bytes: how much of FILE to load (default 64 MiB, whole lines); --reps: default 5;
 * --only K: run pass K alone (0..3, in the order below), e.g. under perf.
 * Prints one line per pass (ns per record, MB/s of JSON) and the differences, which are
 * the costs of validation and of writing. Exits 2 on a usage or input error.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json/json.h"
#include "parquet/codec.h"
#include "parquet/writer.h"
#include "schema/schema.h"
#include "types/types.h"
#include "util/fs.h"

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int count_write(void *ctx, const void *p, size_t len, struct sl_err *err)
{
	(void)p;
	(void)err;
	*(size_t *)ctx += len;
	return 0;
}

static void die(const char *what, const struct sl_err *err)
{
	fprintf(stderr, "bench_pqwrite: %s%s%s\n", what, err ? ": " : "", err ? err->msg : "");
	exit(2);
}

struct input {
	char *text;    /* the lines, each followed by SL_JSON_PADDING readable bytes */
	size_t *start, *len, n;
	size_t bytes;
};

static void load(const char *path, size_t max, struct input *in)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		die("cannot open the input", NULL);
	char *raw = malloc(max + 1);
	size_t got = raw ? fread(raw, 1, max, f) : 0;
	fclose(f);
	while (got && raw[got - 1] != '\n') /* whole lines only */
		got--;
	in->text = malloc(got + SL_JSON_PADDING);
	in->start = malloc((got / 16 + 1) * sizeof(*in->start));
	in->len = malloc((got / 16 + 1) * sizeof(*in->len));
	if (!in->text || !in->start || !in->len || !got)
		die("no input (or out of memory)", NULL);
	memcpy(in->text, raw, got);
	memset(in->text + got, ' ', SL_JSON_PADDING);
	free(raw);
	in->n = 0;
	for (size_t at = 0; at < got;) {
		char *nl = memchr(in->text + at, '\n', got - at);
		size_t end = (size_t)(nl - in->text);
		if (end > at) {
			in->start[in->n] = at;
			in->len[in->n++] = end - at;
		}
		at = end + 1;
	}
	in->bytes = got;
}

enum { P_PARSE = 1, P_VALIDATE = 2, P_WRITE = 4 };

/* One pass over every record; returns its thread CPU seconds. */
static double pass(const struct input *in, int what, struct sl_json_parser *jp,
		   struct sl_validator *val, const struct sl_type *row,
		   const struct sl_pq_write_opts *wo)
{
	struct sl_err err = {0};
	struct sl_pq_writer *w = NULL;
	size_t written = 0;
	struct sl_pq_sink sink = {&written, count_write};
	if ((what & P_WRITE) && sl_pq_writer_open(row, wo, &sink, &w, &err) != 0)
		die("writer", &err);
	double t0 = cpu_s();
	for (size_t i = 0; i < in->n; i++) {
		struct sl_json_doc doc;
		struct sl_json_error je;
		if (sl_json_parse_padded(jp, in->text + in->start[i], in->len[i], &doc, &je) != 0)
			continue;
		if (what & P_VALIDATE) {
			struct sl_schema_error e[1];
			size_t n;
			if (sl_validate(val, &doc, e, 1, &n) != 1)
				continue;
		}
		if ((what & P_WRITE) && sl_pq_writer_put_json(w, &doc, &err) != 0 &&
		    err.code != SL_EINVAL)
			die("put", &err);
	}
	if (w && sl_pq_writer_close(w, &err) != 0)
		die("close", &err);
	double t = cpu_s() - t0;
	sl_pq_writer_free(w);
	return t;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: bench_pqwrite FILE.ndjson SCHEMA.json [--bytes N] [--reps R] "
				"[--codec C] [--level L] [--only K]\n");
		return 2;
	}
	/* freed buffers stay in the heap: the passes measure the work, not page faults */
	mallopt(M_MMAP_THRESHOLD, 1 << 30);
	mallopt(M_TRIM_THRESHOLD, 1 << 30);
	size_t max = (size_t)64 << 20;
	int reps = 5, only = -1;
	struct sl_pq_write_opts wo;
	sl_pq_write_opts_default(&wo);
	for (int i = 3; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--bytes") == 0)
			max = strtoull(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--reps") == 0)
			reps = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--level") == 0)
			wo.level = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--only") == 0)
			only = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--codec") == 0 &&
			 (wo.codec = sl_pq_codec_by_name(argv[i + 1])) != NULL)
			;
		else
			die("unknown option", NULL);
	}
	struct sl_err err = {0};
	char *stext;
	size_t slen;
	if (sl_read_small_file(argv[2], 1 << 24, &stext, &slen, &err) != 0)
		die("schema", &err);
	struct sl_schema *schema;
	struct sl_schema_opts so = {0};
	if (sl_schema_compile(stext, slen, &so, &schema, &err) != 0)
		die("schema", &err);
	struct sl_json_error je;
	struct sl_json_node *tree = sl_json_tree_parse(stext, slen, NULL, &je);
	struct sl_type *row = tree ? sl_type_from_jsonschema(tree, &err) : NULL;
	if (!row)
		die("row type", &err);
	struct sl_validator *val = sl_validator_new(schema);
	struct sl_json_parser *jp = sl_json_parser_new(NULL);
	if (!val || !jp)
		die("out of memory", NULL);

	struct input in;
	load(argv[1], max, &in);
	static const struct {
		const char *name;
		int what;
	} passes[] = {
		{"parse", P_PARSE},
		{"parse+validate", P_PARSE | P_VALIDATE},
		{"parse+write", P_PARSE | P_WRITE},
		{"parse+validate+write", P_PARSE | P_VALIDATE | P_WRITE},
	};
	double best[4] = {0, 0, 0, 0};
	for (int p = 0; p < 4; p++) {
		if (only >= 0 && p != only)
			continue;
		best[p] = 1e30;
		for (int r = 0; r < reps; r++) {
			double t = pass(&in, passes[p].what, jp, val, row, &wo);
			best[p] = t < best[p] ? t : best[p];
		}
		printf("%-22s %7.1f ns/record %7.1f MB/s\n", passes[p].name,
		       best[p] / (double)in.n * 1e9, (double)in.bytes / best[p] / 1e6);
	}
	if (only < 0)
		printf("%zu records, %.1f MB; validate %.1f ns/record, write %.1f ns/record\n",
		       in.n, (double)in.bytes / 1e6, (best[1] - best[0]) / (double)in.n * 1e9,
		       (best[2] - best[0]) / (double)in.n * 1e9);
	sl_json_tree_free(tree);
	sl_type_free(row);
	sl_validator_free(val);
	sl_schema_free(schema);
	sl_json_parser_free(jp);
	free(stext);
	free(in.text);
	free(in.start);
	free(in.len);
	return 0;
}
