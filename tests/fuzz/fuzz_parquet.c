/*
 * fuzz_parquet.c - libFuzzer harness for the Parquet reader. For any bytes:
 *   1. sl_pq_reader_open_mem either fails with a message or gives a reader whose row
 *      count is the row groups' sum;
 *   2. every column chunk of every row group reads through sl_pq_col to its end or to
 *      an error with a message, never more entries than its num_values, never more values
 *      than entries, levels within the column's maximum;
 *   3. all rows read through sl_pq_rows, each one line of valid JSON, never more rows
 *      than the row groups hold;
 *   4. sl_pq_row_group_may_match with fixed predicates answers or fails with a message.
 * Small limits keep one input from taking long: pages of at most 256 KiB (32 Ki
 * entries), chunks of 1 MiB, and files whose chunks claim more than 2^20 entries in all
 * are only opened, not read.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/json.h"
#include "parquet/reader.h"

static struct sl_json_parser *jp;

static void die(const char *what, const char *why)
{
	fprintf(stderr, "fuzz_parquet: %s: %s\n", what, why);
	abort();
}

static void check_err(int rc, const struct sl_err *err, const char *what)
{
	if (rc < 0 && err->msg[0] == '\0')
		die(what, "an error without a message");
}

static void read_columns(struct sl_pq_reader *r)
{
	const struct sl_pq_file_meta *m = sl_pq_reader_meta(r);
	const struct sl_pq_schema *s = sl_pq_reader_schema(r);
	for (size_t g = 0; g < m->n_row_groups; g++) {
		for (size_t c = 0; c < s->n_leaves; c++) {
			struct sl_err err = {0};
			struct sl_pq_col *col;
			int rc = sl_pq_col_open(r, g, c, &col, &err);
			check_err(rc, &err, "col_open");
			if (rc)
				continue;
			const struct sl_pq_node *leaf = s->leaves[c];
			struct sl_pq_batch b;
			int64_t entries = 0;
			while ((rc = sl_pq_col_next(col, &b, &err)) > 0) {
				entries += (int64_t)b.n_levels;
				if (b.n_values > b.n_levels)
					die("col_next", "more values than entries");
				for (size_t i = 0; i < b.n_levels; i++)
					if ((b.def && (b.def[i] < 0 || b.def[i] > leaf->max_def)) ||
					    (b.rep && (b.rep[i] < 0 || b.rep[i] > leaf->max_rep)))
						die("col_next", "a level out of range");
				/* every value is readable */
				struct sl_buf out;
				sl_buf_init(&out, SL_BUF_DEFAULT_MAX);
				for (size_t i = 0; i < b.n_values && i < 64; i++)
					sl_pq_value_json(leaf, &b, i, &out);
				sl_buf_release(&out);
			}
			check_err(rc, &err, "col_next");
			if (entries > m->row_groups[g].columns[c].meta.num_values)
				die("col_next", "more entries than num_values");
			sl_pq_col_close(col);
		}
	}
}

static void read_rows(struct sl_pq_reader *r)
{
	struct sl_err err = {0};
	struct sl_pq_rows *rows;
	int rc = sl_pq_rows_open(r, NULL, 0, NULL, 0, &rows, &err);
	check_err(rc, &err, "rows_open");
	if (rc)
		return;
	struct sl_buf out;
	sl_buf_init(&out, 4 << 20);
	int64_t n = 0;
	while ((rc = sl_pq_rows_next(rows, &out, &err)) > 0) {
		struct sl_json_doc doc;
		struct sl_json_error e;
		if (memchr(out.data, '\n', out.len))
			die("rows", "a row spans lines");
		if (sl_json_parse(jp, out.data, out.len, &doc, &e) != 0) {
			fprintf(stderr, "row: %.*s\n", (int)(out.len > 500 ? 500 : out.len),
				out.data);
			die("rows", "a row is not valid JSON");
		}
		if (++n > sl_pq_reader_rows(r))
			die("rows", "more rows than the row groups hold");
		sl_buf_reset(&out);
	}
	check_err(rc, &err, "rows_next");
	sl_buf_release(&out);
	sl_pq_rows_close(rows);
}

static void predicates(struct sl_pq_reader *r)
{
	const struct sl_pq_schema *s = sl_pq_reader_schema(r);
	const struct sl_pq_file_meta *m = sl_pq_reader_meta(r);
	struct sl_buf path;
	sl_buf_init(&path, 1 << 16);
	for (size_t c = 0; c < s->n_leaves && c < 8; c++) {
		sl_buf_reset(&path);
		if (sl_pq_node_path(s->leaves[c], &path) != 0 || !path.data)
			continue;
		struct sl_pq_pred p[3] = {
			{path.data, SL_PQ_GT, "0"},
			{path.data, SL_PQ_EQ, "\"abc\""},
			{path.data, SL_PQ_NOT_NULL, NULL},
		};
		for (size_t g = 0; g < m->n_row_groups; g++) {
			for (size_t k = 0; k < 3; k++) {
				struct sl_err err = {0};
				bool may;
				int rc = sl_pq_row_group_may_match(r, g, &p[k], 1, &may, &err);
				check_err(rc, &err, "may_match");
			}
		}
	}
	sl_buf_release(&path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!jp && !(jp = sl_json_parser_new(NULL)))
		die("init", "out of memory");
	struct sl_pq_read_opts o;
	sl_pq_read_opts_default(&o);
	o.max_page = 256 << 10;
	o.max_row_group = 1 << 20;
	o.max_footer = 1 << 20;
	o.verify_crc = size % 2 == 0; /* both ways, chosen by the input */
	struct sl_pq_reader *r;
	struct sl_err err = {0};
	int rc = sl_pq_reader_open_mem(data, size, "fuzz", &o, &r, &err);
	check_err(rc, &err, "open");
	if (rc)
		return 0;
	const struct sl_pq_file_meta *m = sl_pq_reader_meta(r);
	int64_t rows = 0, entries = 0;
	for (size_t g = 0; g < m->n_row_groups; g++) {
		rows += m->row_groups[g].num_rows;
		for (size_t c = 0; c < m->row_groups[g].n_columns; c++)
			if (m->row_groups[g].columns[c].has_meta &&
			    entries < INT64_MAX - m->row_groups[g].columns[c].meta.num_values)
				entries += m->row_groups[g].columns[c].meta.num_values;
	}
	if (rows != sl_pq_reader_rows(r))
		die("open", "the row count is not the row groups' sum");
	if (entries <= (1 << 20) && rows <= (1 << 20)) {
		read_columns(r);
		read_rows(r);
	}
	predicates(r);
	sl_pq_reader_close(r);
	return 0;
}
