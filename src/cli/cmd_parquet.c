/* cmd_parquet.c - `sluice parquet schema|meta|head|cat`: a Parquet file's schema,
 * metadata and rows (as NDJSON), like parquet-tools; no lake needed. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "parquet/reader.h"

#define MAX_COLUMNS 1024

struct pq_opts {
	bool json;
	bool no_crc;
	long long n; /* head: rows */
	const char *columns[MAX_COLUMNS];
	size_t n_columns;
	char *columns_text; /* owned: --columns split in place */
};

static int parse_opts(struct sl_cli *cli, int argc, char **argv, struct pq_opts *o)
{
	static const struct option lo[] = {
		SL_CLI_COMMON_OPTS,
		{"json", no_argument, NULL, 'j'},
		{"columns", required_argument, NULL, 'c'},
		{"no-crc", no_argument, NULL, 'C'},
		{0},
	};
	int c;
	while ((c = sl_cli_getopt(cli, argc, argv, "n:", lo)) != -1) {
		switch (c) {
		case 'h': return 'h';
		case 'j': o->json = true; break;
		case 'C': o->no_crc = true; break;
		case 'n':
			if (sl_cli_parse_count(cli, "-n", optarg, INT64_MAX, &o->n))
				return '?';
			break;
		case 'c': {
			free(o->columns_text);
			if (!(o->columns_text = strdup(optarg)))
				return '?';
			o->n_columns = 0;
			char *save = NULL;
			for (char *t = strtok_r(o->columns_text, ",", &save); t;
			     t = strtok_r(NULL, ",", &save)) {
				if (o->n_columns == MAX_COLUMNS) {
					sl_cli_usage_error(cli, "--columns: more than %d columns",
							   MAX_COLUMNS);
					return '?';
				}
				o->columns[o->n_columns++] = t;
			}
			if (o->n_columns == 0) {
				sl_cli_usage_error(cli, "--columns needs at least one name");
				return '?';
			}
			break;
		}
		default: return '?';
		}
	}
	return 0;
}

/* ---- schema ------------------------------------------------------------------------------ */

static int show_schema(struct sl_pq_reader *r, const struct pq_opts *o, struct sl_buf *b)
{
	const struct sl_type *t = sl_pq_reader_row_type(r);
	struct sl_buf tmp;
	int rc;
	sl_buf_init(&tmp, SL_BUF_DEFAULT_MAX);
	if (!o->json) {
		rc = sl_pq_schema_format(sl_pq_reader_schema(r), b);
		if (rc == 0 && (b->len == 0 || b->data[b->len - 1] != '\n'))
			rc = sl_buf_puts(b, "\n");
		if (rc == 0)
			rc = sl_buf_puts(b, "sluice type: ");
		if (rc == 0)
			rc = sl_type_format(t, b);
		if (rc == 0)
			rc = sl_buf_puts(b, "\n");
		return rc;
	}
	rc = sl_buf_puts(b, "{\"parquet\":");
	if (rc == 0)
		rc = sl_pq_schema_format(sl_pq_reader_schema(r), &tmp);
	if (rc == 0)
		rc = sl_buf_json_str(b, tmp.data ? tmp.data : "", tmp.len);
	if (rc == 0) {
		sl_buf_reset(&tmp);
		rc = sl_type_format(t, &tmp);
	}
	if (rc == 0)
		rc = sl_buf_puts(b, ",\"type_text\":");
	if (rc == 0)
		rc = sl_buf_json_str(b, tmp.data ? tmp.data : "", tmp.len);
	if (rc == 0)
		rc = sl_buf_puts(b, ",\"type\":");
	if (rc == 0)
		rc = sl_type_to_json(t, b);
	if (rc == 0)
		rc = sl_buf_puts(b, "}\n");
	sl_buf_release(&tmp);
	return rc;
}

/* ---- meta -------------------------------------------------------------------------------- */

static int put_str(struct sl_buf *b, struct sl_pq_bytes s)
{
	if (!s.p)
		return sl_buf_puts(b, "null");
	return sl_buf_json_str(b, (const char *)s.p, s.len);
}

static int put_kv(struct sl_buf *b, const struct sl_pq_kv *kv, size_t n, bool json,
		  const char *indent)
{
	int rc = json ? sl_buf_puts(b, "{") : 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (json)
			rc = sl_buf_puts(b, i ? "," : "");
		else
			rc = sl_buf_puts(b, indent);
		if (rc == 0)
			rc = put_str(b, kv[i].key);
		if (rc == 0)
			rc = sl_buf_puts(b, json ? ":" : " = ");
		if (rc == 0)
			rc = put_str(b, kv[i].value);
		if (rc == 0 && !json)
			rc = sl_buf_puts(b, "\n");
	}
	return rc ? rc : json ? sl_buf_puts(b, "}") : 0;
}

/* A statistic in the column's JSON form; bytes that do not fit it in hex. */
static int put_stat(struct sl_buf *b, const struct sl_pq_node *leaf, struct sl_pq_bytes v)
{
	size_t mark = b->len;
	if (sl_pq_stat_json(leaf, v, b) == 0)
		return 0;
	b->len = mark;
	int rc = sl_buf_puts(b, "\"0x");
	for (uint32_t i = 0; rc == 0 && i < v.len; i++)
		rc = sl_buf_printf(b, "%02x", v.p[i]);
	return rc ? rc : sl_buf_puts(b, "\"");
}

static int put_stats(struct sl_buf *b, const struct sl_pq_node *leaf, const struct sl_pq_stats *s,
		     bool json)
{
	struct sl_pq_bytes mn = s->min_value.p ? s->min_value : s->min;
	struct sl_pq_bytes mx = s->max_value.p ? s->max_value : s->max;
	bool legacy = !s->min_value.p && !s->max_value.p && (s->min.p || s->max.p);
	int rc = 0;
	if (json) {
		rc = sl_buf_puts(b, "{\"null_count\":");
		if (rc == 0)
			rc = s->null_count >= 0 ? sl_buf_printf(b, "%" PRId64, s->null_count)
						: sl_buf_puts(b, "null");
		if (rc == 0)
			rc = sl_buf_puts(b, ",\"distinct_count\":");
		if (rc == 0)
			rc = s->distinct_count >= 0
				     ? sl_buf_printf(b, "%" PRId64, s->distinct_count)
				     : sl_buf_puts(b, "null");
		if (rc == 0)
			rc = sl_buf_puts(b, ",\"min\":");
		if (rc == 0)
			rc = mn.p ? put_stat(b, leaf, mn) : sl_buf_puts(b, "null");
		if (rc == 0)
			rc = sl_buf_puts(b, ",\"max\":");
		if (rc == 0)
			rc = mx.p ? put_stat(b, leaf, mx) : sl_buf_puts(b, "null");
		if (rc == 0)
			rc = sl_buf_printf(b, ",\"legacy\":%s}", legacy ? "true" : "false");
		return rc;
	}
	if (s->null_count >= 0)
		rc = sl_buf_printf(b, " nulls=%" PRId64, s->null_count);
	if (rc == 0 && s->distinct_count >= 0)
		rc = sl_buf_printf(b, " distinct=%" PRId64, s->distinct_count);
	if (rc == 0 && mn.p) {
		rc = sl_buf_puts(b, legacy ? " min(legacy)=" : " min=");
		if (rc == 0)
			rc = put_stat(b, leaf, mn);
	}
	if (rc == 0 && mx.p) {
		rc = sl_buf_puts(b, legacy ? " max(legacy)=" : " max=");
		if (rc == 0)
			rc = put_stat(b, leaf, mx);
	}
	return rc;
}

static int put_column(struct sl_buf *b, const struct sl_pq_node *leaf,
		      const struct sl_pq_column_chunk *cc, bool json)
{
	const struct sl_pq_column_meta *m = &cc->meta;
	struct sl_buf path;
	sl_buf_init(&path, 1 << 20);
	int rc = sl_pq_node_path(leaf, &path);
	if (rc == 0 && json) {
		rc = sl_buf_puts(b, "{\"path\":");
		if (rc == 0)
			rc = sl_buf_json_str(b, path.data ? path.data : "", path.len);
	} else if (rc == 0) {
		rc = sl_buf_printf(b, "  %s:", path.data ? path.data : "");
	}
	if (rc == 0 && (cc->encrypted || !cc->has_meta)) {
		rc = sl_buf_puts(b, json ? ",\"encrypted\":true}" : " encrypted\n");
		sl_buf_release(&path);
		return rc;
	}
	if (rc == 0 && json)
		rc = sl_buf_printf(b, ",\"type\":\"%s\",\"codec\":\"%s\",\"encodings\":[",
				   sl_pq_type_name(m->type), sl_pq_codec_name(m->codec));
	else if (rc == 0)
		rc = sl_buf_printf(b, " %s %s ", sl_pq_type_name(m->type),
				   sl_pq_codec_name(m->codec));
	for (size_t i = 0; rc == 0 && i < m->n_encodings; i++)
		rc = sl_buf_printf(b, json ? "%s\"%s\"" : "%s%s", i ? "," : "",
				   sl_pq_encoding_name(m->encodings[i]));
	if (rc == 0 && json)
		rc = sl_buf_printf(b,
				   "],\"num_values\":%" PRId64 ",\"total_compressed_size\":%" PRId64
				   ",\"total_uncompressed_size\":%" PRId64
				   ",\"data_page_offset\":%" PRId64 ",\"dictionary_page_offset\":",
				   m->num_values, m->total_compressed_size,
				   m->total_uncompressed_size, m->data_page_offset);
	else if (rc == 0)
		rc = sl_buf_printf(b, " values=%" PRId64 " size=%" PRId64 "/%" PRId64 " offset=%"
				   PRId64, m->num_values, m->total_compressed_size,
				   m->total_uncompressed_size, m->data_page_offset);
	if (rc == 0 && m->dictionary_page_offset > 0)
		rc = sl_buf_printf(b, json ? "%" PRId64 : " dictionary=%" PRId64,
				   m->dictionary_page_offset);
	else if (rc == 0 && json)
		rc = sl_buf_puts(b, "null");
	if (rc == 0 && json)
		rc = sl_buf_puts(b, ",\"statistics\":");
	if (rc == 0 && m->stats.present)
		rc = put_stats(b, leaf, &m->stats, json);
	else if (rc == 0 && json)
		rc = sl_buf_puts(b, "null");
	if (rc == 0 && json) {
		rc = sl_buf_puts(b, ",\"key_value\":");
		if (rc == 0)
			rc = put_kv(b, m->kv, m->n_kv, true, "");
		if (rc == 0)
			rc = sl_buf_puts(b, "}");
	} else if (rc == 0) {
		rc = sl_buf_puts(b, "\n");
		if (rc == 0)
			rc = put_kv(b, m->kv, m->n_kv, false, "    ");
	}
	sl_buf_release(&path);
	return rc;
}

static int show_meta(struct sl_pq_reader *r, const char *file, const struct pq_opts *o,
		     struct sl_buf *b)
{
	const struct sl_pq_file_meta *m = sl_pq_reader_meta(r);
	const struct sl_pq_schema *s = sl_pq_reader_schema(r);
	bool json = o->json;
	int rc;
	if (json) {
		rc = sl_buf_puts(b, "{\"file\":");
		if (rc == 0)
			rc = sl_buf_json_str(b, file, strlen(file));
		if (rc == 0)
			rc = sl_buf_puts(b, ",\"created_by\":");
		if (rc == 0)
			rc = put_str(b, m->created_by);
		if (rc == 0)
			rc = sl_buf_printf(b, ",\"version\":%" PRId32 ",\"num_rows\":%" PRId64
					   ",\"rows\":%" PRId64 ",\"encrypted\":%s,\"key_value\":",
					   m->version, m->num_rows, sl_pq_reader_rows(r),
					   m->encrypted ? "true" : "false");
		if (rc == 0)
			rc = put_kv(b, m->kv, m->n_kv, true, "");
		if (rc == 0)
			rc = sl_buf_puts(b, ",\"row_groups\":[");
	} else {
		rc = sl_buf_printf(b,
				   "file: %s\ncreated by: %.*s\nversion: %" PRId32
				   "\nrows: %" PRId64 "%s\nrow groups: %zu\n",
				   file, (int)(m->created_by.p ? m->created_by.len : 0),
				   m->created_by.p ? (const char *)m->created_by.p : "", m->version,
				   sl_pq_reader_rows(r),
				   m->num_rows != sl_pq_reader_rows(r)
					   ? " (the footer says otherwise)"
					   : "",
				   m->n_row_groups);
		if (rc == 0 && m->encrypted)
			rc = sl_buf_puts(b, "encrypted columns (plaintext footer)\n");
		if (rc == 0 && m->n_kv)
			rc = sl_buf_puts(b, "key-value metadata:\n");
		if (rc == 0)
			rc = put_kv(b, m->kv, m->n_kv, false, "  ");
	}
	for (size_t g = 0; rc == 0 && g < m->n_row_groups; g++) {
		const struct sl_pq_row_group *rg = &m->row_groups[g];
		if (json)
			rc = sl_buf_printf(b,
					   "%s{\"num_rows\":%" PRId64
					   ",\"total_byte_size\":%" PRId64 ",\"columns\":[",
					   g ? "," : "", rg->num_rows, rg->total_byte_size);
		else
			rc = sl_buf_printf(b,
					   "row group %zu: %" PRId64 " rows, %" PRId64 " bytes\n",
					   g, rg->num_rows, rg->total_byte_size);
		for (size_t c = 0; rc == 0 && c < rg->n_columns && c < s->n_leaves; c++) {
			if (json && c)
				rc = sl_buf_puts(b, ",");
			if (rc == 0)
				rc = put_column(b, s->leaves[c], &rg->columns[c], json);
		}
		if (rc == 0 && json)
			rc = sl_buf_puts(b, "]}");
	}
	if (rc == 0 && json)
		rc = sl_buf_puts(b, "]}\n");
	return rc;
}

/* ---- rows -------------------------------------------------------------------------------- */

static int show_rows(struct sl_cli *cli, struct sl_pq_reader *r, const struct pq_opts *o,
		     long long limit, struct sl_buf *b, struct sl_err *err)
{
	struct sl_pq_rows *rows;
	int rc = sl_pq_rows_open(r, o->n_columns ? o->columns : NULL, o->n_columns, NULL, 0, &rows,
				 err);
	if (rc)
		return rc;
	for (long long n = 0; limit < 0 || n < limit; n++) {
		if ((rc = sl_pq_rows_next(rows, b, err)) <= 0)
			break;
		if ((rc = sl_buf_append(b, "\n", 1)) != 0)
			break;
		if (b->len >= 1 << 16)
			sl_cli_flush(cli, b);
	}
	sl_pq_rows_close(rows);
	sl_cli_flush(cli, b);
	if (rc == SL_ELIMIT && !err->msg[0])
		sl_err_set(err, rc, "a row is larger than the output buffer");
	return rc < 0 ? rc : 0;
}

static int run_parquet(struct sl_cli *cli, int argc, char **argv)
{
	struct pq_opts o = {.n = 10};
	int c = parse_opts(cli, argc, argv, &o), rc = SL_EXIT_OK;
	struct sl_pq_reader *r = NULL;
	struct sl_buf b;
	struct sl_err err = {0};
	int fd = -1;
	sl_buf_init(&b, SL_BUF_DEFAULT_MAX);
	if (c) {
		rc = c == 'h' ? SL_EXIT_OK : SL_EXIT_USAGE;
		goto out;
	}
	if (argc - optind != 2) {
		rc = sl_cli_usage_error(cli, "expected schema, meta, head or cat, and one FILE");
		goto out;
	}
	const char *sub = argv[optind], *file = argv[optind + 1];
	bool rows = strcmp(sub, "head") == 0 || strcmp(sub, "cat") == 0;
	if (!rows && strcmp(sub, "schema") != 0 && strcmp(sub, "meta") != 0) {
		rc = sl_cli_usage_error(cli, "unknown subcommand '%s'", sub);
		goto out;
	}
	if (rows && o.json) {
		rc = sl_cli_usage_error(cli,
					"%s writes NDJSON already; --json is for schema and meta",
					sub);
		goto out;
	}
	if (!rows && o.n_columns) {
		rc = sl_cli_usage_error(cli, "--columns is for head and cat");
		goto out;
	}
	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0) {
		sl_err_errno(&err, errno, "%s", file);
		rc = sl_cli_fail(cli, &err);
		goto out;
	}
	struct sl_pq_read_opts ro;
	sl_pq_read_opts_default(&ro);
	ro.verify_crc = !o.no_crc;
	int e = sl_pq_reader_open(fd, file, &ro, &r, &err);
	if (e == 0) {
		if (strcmp(sub, "schema") == 0)
			e = show_schema(r, &o, &b);
		else if (strcmp(sub, "meta") == 0)
			e = show_meta(r, file, &o, &b);
		else
			e = show_rows(cli, r, &o, strcmp(sub, "head") == 0 ? o.n : -1, &b, &err);
		if (e && !err.msg[0])
			sl_err_set(&err, e, "%s: %s", file, sl_code_name(e));
	}
	sl_cli_flush(cli, &b);
	if (e)
		rc = sl_cli_fail(cli, &err);
out:
	sl_pq_reader_close(r);
	if (fd >= 0)
		close(fd);
	sl_buf_release(&b);
	free(o.columns_text);
	return rc;
}

const struct sl_cmd sl_cmd_parquet = {
	"parquet", "show a Parquet file's schema, metadata or rows",
	"usage: sluice parquet schema [--json] FILE\n"
	"       sluice parquet meta [--json] FILE\n"
	"       sluice parquet head [-n N] [--columns A,B] FILE\n"
	"       sluice parquet cat [--columns A,B] FILE\n"
	"\n"
	"schema  the Parquet schema (parquet-tools style) and the sluice type it reads as;\n"
	"        --json: {\"parquet\": text, \"type_text\": ..., \"type\": JSON form}.\n"
	"meta    the footer: rows, row groups, and per column chunk its type, codec,\n"
	"        encodings, value count, sizes, offsets, statistics (in the column's JSON\n"
	"        form) and key-value metadata; --json for one JSON object.\n"
	"head    the first N rows (default 10) as NDJSON, one JSON object per row.\n"
	"cat     every row as NDJSON.\n"
	"--columns A,B  only these top-level fields or dotted paths (a.b); nested fields\n"
	"        of a selected struct come along, and only their columns are read.\n"
	"--no-crc       do not check page CRCs (they are checked when present).\n"
	"Errors name the file and the place: row group, column, page and byte offset.\n"
	"Exit 0 ok, 1 usage error, 2 the file cannot be read (corrupt, unsupported).\n",
	run_parquet,
};
