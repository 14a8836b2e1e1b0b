/*
 * bench_pqscan - reading a Parquet file on one core: every page of every selected column
 * chunk is read, decompressed and decoded (levels and values) with the column reader
 * (sl_pq_col_*), and every value folded into a checksum so none is skipped. The peer is
 * DuckDB reading the same columns (bench/run_parquet.sh runs both).
 *
 *   bench_pqscan FILE.parquet [--column DOTTED.PATH]
 *
 * Without --column, all leaf columns; with it, the leaves under that field. Timed: from
 * opening the file to the last value (the footer decode included). Prints one JSON line:
 *   {"tool": "sluice", "bytes": B, "values": V, "seconds": S, "mb_s": ...}
 * (MB = 10^6 bytes of the file). Exits 2 on a usage or read error.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "parquet/reader.h"
#include "util/clock.h"

static bool under(const struct sl_pq_node *leaf, const struct sl_pq_node *sel)
{
	for (const struct sl_pq_node *n = leaf; n; n = n->parent)
		if (n == sel)
			return true;
	return false;
}

static uint64_t fold(const struct sl_pq_batch *b, int32_t type_length)
{
	uint64_t h = b->n_levels;
	size_t n = b->n_values;

	switch (b->phys) {
	case SL_PQ_BOOLEAN:
		for (size_t i = 0; i < n; i++)
			h += b->bools[i];
		break;
	case SL_PQ_INT32:
		for (size_t i = 0; i < n; i++)
			h += (uint32_t)b->i32[i];
		break;
	case SL_PQ_INT64:
		for (size_t i = 0; i < n; i++)
			h += (uint64_t)b->i64[i];
		break;
	case SL_PQ_FLOAT:
		for (size_t i = 0; i < n; i++)
			h += (uint64_t)(int64_t)b->f32[i];
		break;
	case SL_PQ_DOUBLE:
		for (size_t i = 0; i < n; i++)
			h += (uint64_t)(int64_t)b->f64[i];
		break;
	case SL_PQ_BYTE_ARRAY:
		for (size_t i = 0; i < n; i++)
			h += b->barr[i].len + b->data[b->barr[i].off];
		break;
	default: /* INT96, FIXED_LEN_BYTE_ARRAY */
		for (size_t i = 0; i < n; i++)
			h += b->fixed[i * (size_t)type_length];
		break;
	}
	return h;
}

int main(int argc, char **argv)
{
	const char *column = NULL;
	struct sl_err err = {0};
	struct sl_pq_reader *r = NULL;
	struct stat st;
	uint64_t values = 0, check = 0;
	int fd;

	if (argc == 4 && strcmp(argv[2], "--column") == 0)
		column = argv[3];
	else if (argc != 2) {
		fprintf(stderr, "usage: bench_pqscan FILE.parquet [--column DOTTED.PATH]\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		perror(argv[1]);
		return 2;
	}
	double t0 = sl_mono_s();
	if (sl_pq_reader_open(fd, argv[1], NULL, &r, &err) != 0)
		goto fail;
	const struct sl_pq_schema *s = sl_pq_reader_schema(r);
	const struct sl_pq_node *sel = column ? sl_pq_schema_find(s, column) : s->root;
	if (!sel) {
		fprintf(stderr, "bench_pqscan: %s: no column %s\n", argv[1], column);
		return 2;
	}
	size_t n_rg = sl_pq_reader_meta(r)->n_row_groups;
	for (size_t g = 0; g < n_rg; g++) {
		for (size_t l = 0; l < s->n_leaves; l++) {
			struct sl_pq_col *c;
			struct sl_pq_batch b;
			int rc;

			if (!under(s->leaves[l], sel))
				continue;
			if (sl_pq_col_open(r, g, l, &c, &err) != 0)
				goto fail;
			while ((rc = sl_pq_col_next(c, &b, &err)) == 1) {
				values += b.n_values;
				check += fold(&b, s->leaves[l]->type_length);
			}
			sl_pq_col_close(c);
			if (rc < 0)
				goto fail;
		}
	}
	double seconds = sl_mono_s() - t0;
	sl_pq_reader_close(r);
	close(fd);
	printf("{\"tool\": \"sluice\", \"bytes\": %lld, \"values\": %llu, \"check\": %llu, "
	       "\"seconds\": %.6f, \"mb_s\": %.1f}\n",
	       (long long)st.st_size, (unsigned long long)values, (unsigned long long)check,
	       seconds, (double)st.st_size / 1e6 / seconds);
	return 0;
fail:
	fprintf(stderr, "bench_pqscan: %s\n", err.msg);
	return 2;
}
