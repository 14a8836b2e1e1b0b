/* cmd_compact.c - `sluice compact TABLE`: merge the small files of a curated Parquet
 * table's partitions (etl/compact.h), one partition with --partition. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "config/config.h"
#include "etl/compact.h"

static void result_json(struct sl_buf *b, const char *table,
			const struct sl_etl_compact_result *r)
{
	sl_buf_puts(b, "{\"table\":");
	sl_buf_json_str(b, table, strlen(table));
	sl_buf_puts(b, ",\"job\":");
	sl_buf_json_str(b, r->job, strlen(r->job));
	sl_buf_printf(b,
		      ",\"runs\":%" PRId64 ",\"files_in\":%" PRId64 ",\"files_out\":%" PRId64
		      ",\"rows\":%" PRId64 ",\"bytes_in\":%" PRId64 ",\"bytes_out\":%" PRId64
		      ",\"min_file_size\":%" PRId64 ",\"target_file_size\":%" PRId64
		      ",\"recovered\":%" PRId64 ",\"removal_pending\":%s,\"duration_ms\":%" PRId64
		      ",\"partitions\":[",
		      r->runs, r->files_in, r->files_out, r->rows, r->bytes_in, r->bytes_out,
		      r->min_file_size, r->target_file_size, r->recovered,
		      r->removal_pending ? "true" : "false", r->duration_ms);
	for (size_t i = 0; i < r->n_parts; i++) {
		const struct sl_etl_compact_part *p = &r->parts[i];
		sl_buf_puts(b, i ? ",{\"part\":" : "{\"part\":");
		sl_buf_json_str(b, p->part, strlen(p->part));
		sl_buf_printf(b,
			      ",\"files_before\":%" PRId64 ",\"files_after\":%" PRId64
			      ",\"bytes_before\":%" PRId64 ",\"bytes_after\":%" PRId64
			      ",\"merged\":%" PRId64 ",\"written\":%" PRId64 ",\"rows\":%" PRId64
			      ",\"run\":%" PRId64 "}",
			      p->files_before, p->files_after, p->bytes_before, p->bytes_after,
			      p->merged, p->written, p->rows, p->run_id);
	}
	sl_buf_puts(b, "]}\n");
}

static void result_text(struct sl_buf *b, const char *table,
			const struct sl_etl_compact_result *r)
{
	char min[32], in[32], out[32], before[32], after[32];
	sl_cli_human_bytes(r->min_file_size, min, sizeof(min));
	if (r->recovered)
		sl_buf_printf(b, "removed %" PRId64 " file%s of a compaction that did not commit\n",
			      r->recovered, r->recovered == 1 ? "" : "s");
	if (r->runs == 0) {
		sl_buf_printf(b, "%s: nothing to merge (no partition has two files under %s)\n",
			      table, min);
		return;
	}
	sl_cli_human_bytes(r->bytes_in, in, sizeof(in));
	sl_cli_human_bytes(r->bytes_out, out, sizeof(out));
	sl_buf_printf(b,
		      "%s: merged %" PRId64 " files under %s into %" PRId64 " (%" PRId64
		      " rows, %s -> %s) in %" PRId64 " run%s\n",
		      table, r->files_in, min, r->files_out, r->rows, in, out, r->runs,
		      r->runs == 1 ? "" : "s");
	sl_buf_puts(b, "PARTITION\tFILES\tROWS\tBYTES\n");
	for (size_t i = 0; i < r->n_parts; i++) {
		const struct sl_etl_compact_part *p = &r->parts[i];
		sl_cli_human_bytes(p->bytes_before, before, sizeof(before));
		sl_cli_human_bytes(p->bytes_after, after, sizeof(after));
		sl_buf_printf(b, "%s\t%" PRId64 " -> %" PRId64 "\t%" PRId64 "\t%s -> %s\n",
			      p->part[0] ? p->part : "(table)", p->files_before, p->files_after,
			      p->rows, before, after);
	}
}

static int run_compact(struct sl_cli *cli, int argc, char **argv)
{
	static const struct option lo[] = {
		SL_CLI_COMMON_OPTS,
		{"partition", required_argument, NULL, 'p'},
		{"min-size", required_argument, NULL, 'm'},
		{"json", no_argument, NULL, 'j'},
		{0},
	};
	const char *partition = NULL;
	struct sl_etl_compact_opts o = {0};
	bool json = false;
	int c;
	while ((c = sl_cli_getopt(cli, argc, argv, "", lo)) != -1) {
		switch (c) {
		case 'h': return SL_EXIT_OK;
		case 'p': partition = optarg; break;
		case 'j': json = true; break;
		case 'm':
			if (sl_config_parse_size(optarg, &o.min_file_size) != 0 ||
			    o.min_file_size < 1)
				return sl_cli_usage_error(cli, "--min-size: '%.40s' is not a size "
							       "(e.g. 32MiB, 1GB, 500000)", optarg);
			break;
		default: return SL_EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return sl_cli_usage_error(cli, "which table? (sluice compact TABLE)");
	if (argc - optind > 1)
		return sl_cli_usage_error(cli, "unexpected argument '%.300s'", argv[optind + 1]);
	const char *arg = argv[optind];
	char table[SL_CAT_NAME_MAX + 16];
	if (!arg[0] || strlen(arg) >= SL_CAT_NAME_MAX + 8)
		return sl_cli_usage_error(cli, "'%.300s' is not a table (curated.NAME or NAME)",
					  arg);
	/* a bare NAME is the curated table's: only those are compacted */
	snprintf(table, sizeof(table), "%s%s", strchr(arg, '.') ? "" : "curated.", arg);

	struct sl_lake *lake;
	int rc = sl_cli_open_lake(cli, &lake);
	if (rc)
		return rc;
	struct sl_etl_compact_result res;
	struct sl_err err = {0};
	struct sl_buf b;
	sl_buf_init(&b, 0);
	rc = sl_etl_compact(lake, table, partition, &o, &res, &err);
	/* what was committed is shown, also when something failed after it */
	if (rc == 0 || res.runs > 0) {
		if (json)
			result_json(&b, table, &res);
		else
			result_text(&b, table, &res);
		sl_cli_flush(cli, &b);
	}
	if (rc)
		rc = sl_cli_fail(cli, &err);
	sl_buf_release(&b);
	sl_etl_compact_result_release(&res);
	sl_lake_close(lake);
	return rc;
}

const struct sl_cmd sl_cmd_compact = {
	"compact", "merge the small files of a curated table's partitions",
	"usage: sluice compact TABLE [--partition P] [--min-size SIZE] [--json]\n"
	"\n"
	"Merges, in each partition of the curated Parquet table TABLE (curated.NAME or NAME)\n"
	"that has two files or more smaller than SIZE, those files into files of the target\n"
	"size of the job that writes the table (128 MiB without one), atomically: the new\n"
	"files are registered and the small ones retired in one metadata transaction, then\n"
	"the small ones are removed. Rows are moved exactly (same values, in the order they\n"
	"were committed) with the table's current schema, or nothing is committed. The job\n"
	"writing the table may run meanwhile: its new files are kept.\n"
	"\n"
	"  --partition P   only partition P (as 'sluice catalog partitions' names it)\n"
	"  --min-size SIZE files smaller than SIZE are merged (default: half the job's\n"
	"                  target size, else 64MiB; at most the target size)\n"
	"  --json          one JSON object: totals and {part, files_before, files_after,\n"
	"                  bytes_before, bytes_after, merged, written, rows, run} per\n"
	"                  partition\n"
	"\n"
	"Exit 0 when everything was merged (or nothing needed it), 2 on failure (another\n"
	"compaction of the table runs, a file changed meanwhile: run it again).\n",
	run_compact,
};
