/*
 * bench_json - the JSON engine on one NDJSON file in memory, one core: MB/s of stage 1
 * alone and of the full parse (stage 1 + stage 2 + tape), for the scalar and the AVX2
 * implementation, best of N runs. The file is read before timing starts, so the figures
 * are the parser's own (sluice json check adds reading and line splitting).
 *
 *   bench_json FILE [--runs N]
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json/internal.h"
#include "json/json.h"
#include "util/clock.h"

struct line {
	size_t off, len;
};

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_json FILE [--runs N]\n");
		return 1;
	}
	int runs = argc >= 4 && strcmp(argv[2], "--runs") == 0 ? atoi(argv[3]) : 3;
	int fd = open(argv[1], O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		perror(argv[1]);
		return 2;
	}
	size_t size = (size_t)st.st_size;
	char *buf = malloc(size + 64);
	for (size_t got = 0; got < size;) {
		ssize_t n = read(fd, buf + got, size - got);
		if (n <= 0)
			return 2;
		got += (size_t)n;
	}
	close(fd);
	size_t n_lines = 0, cap = 1 << 20;
	struct line *lines = malloc(cap * sizeof(*lines));
	for (size_t off = 0; off < size;) {
		char *nl = memchr(buf + off, '\n', size - off);
		size_t end = nl ? (size_t)(nl - buf) : size;
		if (n_lines == cap)
			lines = realloc(lines, (cap *= 2) * sizeof(*lines));
		lines[n_lines++] = (struct line){off, end - off};
		off = end + 1;
	}
	uint32_t *idx = malloc((size_t)(1 << 24) * sizeof(*idx));
	uint32_t *bs = malloc((size_t)(1 << 24) * sizeof(*bs));
	printf("file %s: %zu bytes, %zu records\n", argv[1], size, n_lines);
	const char *names[] = {"scalar", "avx2", "avx512"};
	void (*stage1[])(const char *, size_t, struct sl_stage1 *) = {
		sl_json_stage1_scalar, sl_json_stage1_avx2, sl_json_stage1_avx512};
	const enum sl_json_impl impls[] = {SL_JSON_IMPL_SCALAR, SL_JSON_IMPL_AVX2,
					   SL_JSON_IMPL_AVX512};
	for (int impl = 0; impl < 3; impl++) {
		if ((impl == 1 && !sl_json_cpu_has_avx2()) || (impl == 2 && !sl_json_cpu_has_avx512()))
			break;
		double best1 = 1e9, best2 = 1e9;
		struct sl_json_parser *p = sl_json_parser_new(NULL);
		sl_json_parser_set_impl(p, impls[impl]);
		size_t structurals = 0, bad = 0, toks = 0;
		for (int r = 0; r < runs; r++) {
			double t = sl_mono_s();
			for (size_t i = 0; i < n_lines; i++) {
				struct sl_stage1 s1 = {.idx = idx, .bs = bs};
				stage1[impl](buf + lines[i].off, lines[i].len, &s1);
				structurals += s1.n;
			}
			t = sl_mono_s() - t;
			if (t < best1)
				best1 = t;
			t = sl_mono_s();
			for (size_t i = 0; i < n_lines; i++) {
				struct sl_json_doc doc;
				struct sl_json_error e;
				if (sl_json_parse(p, buf + lines[i].off, lines[i].len, &doc, &e) != 0)
					bad++;
				else
					toks += doc.n_tok;
			}
			t = sl_mono_s() - t;
			if (t < best2)
				best2 = t;
		}
		printf("%-7s stage 1: %7.0f MB/s   full parse: %7.0f MB/s %9.0f records/s "
		       "(%zu invalid, %.1f tokens/record)\n",
		       names[impl], size / best1 / 1e6, size / best2 / 1e6, n_lines / best2,
		       bad / (size_t)runs, (double)toks / runs / n_lines);
		sl_json_parser_free(p);
		(void)structurals;
	}
	free(idx);
	free(bs);
	free(lines);
	free(buf);
	return 0;
}
