/*
 * bench_validate - schema validation on one core: every record of an NDJSON file read
 * with the JSON engine's reader (sl_json_reader) and validated against one schema
 * (sl_schema_compile once, one sl_validator, sl_validate per record). The peer of
 * bench/ajv_validate.js; bench/run_validate.sh runs both on the same file and schema.
 *
 *   bench_validate SCHEMA.json FILE.ndjson [--parse-only]
 *
 * Timed: the whole streaming loop (reading the file, framing, parsing each record to a
 * tape, validating it); not timed: start-up and compiling the schema. A record that is
 * not JSON counts as invalid, as in the peer. Asks for one reason per invalid record, as
 * ajv with allErrors: false stops at the first. --parse-only skips sl_validate: the
 * floor that reading and parsing set (the schema is still compiled, and must be valid).
 *
 * Prints one JSON line on standard output:
 *   {"tool": ..., "bytes": B, "records": R, "invalid": I, "seconds": S, "mb_s": ...,
 *    "records_s": ...}
 * (MB = 10^6 bytes of the file), and the first few reasons on standard error. Exits 2 on
 * a usage, I/O or schema error.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json/json.h"
#include "schema/schema.h"
#include "util/clock.h"
#include "util/err.h"

enum { SHOW_ERRORS = 5 };

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	while (buf) {
		n += fread(buf + n, 1, cap - n, f);
		if (n < cap)
			break;
		char *bigger = realloc(buf, cap *= 2);
		if (!bigger)
			free(buf);
		buf = bigger;
	}
	if (ferror(f)) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = n;
	return buf;
}

int main(int argc, char **argv)
{
	bool parse_only = argc == 4 && strcmp(argv[3], "--parse-only") == 0;
	if (argc != 3 && !parse_only) {
		fprintf(stderr, "usage: bench_validate SCHEMA.json FILE.ndjson [--parse-only]\n");
		return 2;
	}
	size_t schema_len;
	char *schema_text = read_all(argv[1], &schema_len);
	if (!schema_text) {
		perror(argv[1]);
		return 2;
	}
	struct sl_err err = {0};
	struct sl_schema *schema = NULL;
	struct sl_schema_opts opts = {0};
	if (sl_schema_compile(schema_text, schema_len, &opts, &schema, &err) != 0) {
		fprintf(stderr, "bench_validate: %s: %s\n", argv[1], err.msg);
		return 2;
	}
	free(schema_text);
	struct sl_validator *v = sl_validator_new(schema);
	if (!v) {
		fprintf(stderr, "bench_validate: out of memory\n");
		return 2;
	}

	double t0 = sl_mono_s();
	int fd = open(argv[2], O_RDONLY);
	if (fd < 0) {
		perror(argv[2]);
		return 2;
	}
	struct sl_json_reader *r;
	if (sl_json_reader_open(fd, argv[2], SL_JSON_FRAME_NDJSON, NULL, &r, &err) != 0) {
		fprintf(stderr, "bench_validate: %s\n", err.msg);
		return 2;
	}
	int64_t records = 0, invalid = 0, shown = 0;
	for (;;) {
		struct sl_json_doc doc;
		struct sl_json_error e;
		int rc = sl_json_reader_next(r, &doc, &e);
		if (rc == 0)
			break;
		if (rc < 0) {
			if (e.fatal) {
				fprintf(stderr, "bench_validate: %s\n", e.msg);
				return 2;
			}
			if (shown++ < SHOW_ERRORS)
				fprintf(stderr, "bench_validate: record %lld (line %lld): not JSON: %s\n",
					(long long)records, (long long)e.pos.line, e.msg);
			invalid++;
			records++;
			continue;
		}
		if (parse_only) {
			records++;
			continue;
		}
		struct sl_schema_error why;
		size_t n_why = 0;
		rc = sl_validate(v, &doc, &why, 1, &n_why);
		if (rc < 0) {
			fprintf(stderr, "bench_validate: validation failed (%d)\n", rc);
			return 2;
		}
		if (rc == 0) {
			if (shown++ < SHOW_ERRORS)
				fprintf(stderr, "bench_validate: record %lld (line %lld): %s: %s: %s\n",
					(long long)records, (long long)doc.pos.line,
					n_why ? (why.pointer[0] ? why.pointer : "/") : "?",
					n_why ? why.keyword : "?", n_why ? why.msg : "no reason given");
			invalid++;
		}
		records++;
	}
	int64_t bytes, raw;
	sl_json_reader_bytes(r, &bytes, &raw);
	const char *impl = sl_json_parser_impl_name(sl_json_reader_parser(r));
	sl_json_reader_close(r);
	close(fd);
	double s = sl_mono_s() - t0;

	printf("{\"tool\":\"sluice %s (%s stage 1)%s\",\"bytes\":%lld,\"records\":%lld,"
	       "\"invalid\":%lld,\"seconds\":%.4f,\"mb_s\":%.1f,\"records_s\":%.0f}\n",
	       SLUICE_VERSION, impl, parse_only ? ", parse only" : "", (long long)raw, (long long)records, (long long)invalid, s,
	       (double)raw / s / 1e6, (double)records / s);
	sl_validator_free(v);
	sl_schema_free(schema);
	return 0;
}
