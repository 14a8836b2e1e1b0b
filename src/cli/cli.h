/*
 * cli.h - the git-style command line: `sluice [--lake DIR] COMMAND [ARGS]`.
 *
 * Exit codes (docs/cli.md): 0 ok, 1 usage error, 2 runtime failure, 3 a check found
 * problems (fsck without --repair, config check).
 */
#ifndef SL_CLI_H
#define SL_CLI_H

#include <getopt.h>
#include <stdio.h>

#include "lake/lake.h"
#include "util/buf.h"
#include "util/err.h"

enum { SL_EXIT_OK = 0, SL_EXIT_USAGE = 1, SL_EXIT_FAIL = 2, SL_EXIT_PROBLEMS = 3 };

struct sl_cli;

struct sl_cmd {
	const char *name;
	const char *summary; /* one line, for `sluice help` */
	const char *usage;   /* full help text, for `sluice COMMAND --help` */
	int (*run)(struct sl_cli *cli, int argc, char **argv);
};

struct sl_cli {
	const char *lake_flag; /* --lake, NULL if not given */
	const struct sl_cmd *cmd;
	FILE *out;
};

int sl_cli_main(int argc, char **argv);

/* Long options every command takes; put first in each command's option table. */
#define SL_CLI_COMMON_OPTS                                                                    \
	{"help", no_argument, NULL, 'h'}, { "lake", required_argument, NULL, 'L' }

/* Parses the next option. Returns the option character for the command to handle, -1 at
 * the end of options, or 'h' (help printed: exit 0) / '?' (usage error printed: exit 1). */
int sl_cli_getopt(struct sl_cli *cli, int argc, char **argv, const char *shortopts,
		  const struct option *longopts);

/* Prints "sluice CMD: message" for a usage error and returns SL_EXIT_USAGE. */
int sl_cli_usage_error(struct sl_cli *cli, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Prints "sluice: err->msg" and returns the exit code for err->code. */
int sl_cli_fail(struct sl_cli *cli, const struct sl_err *err);
/* Opens the lake named by --lake / SLUICE_LAKE / cwd, printing the error on failure. */
int sl_cli_open_lake(struct sl_cli *cli, struct sl_lake **lake);
/* Writes buf to cli->out and empties it. */
void sl_cli_flush(struct sl_cli *cli, struct sl_buf *buf);
/* "1.5 KiB", "12 B" */
void sl_cli_human_bytes(int64_t n, char *out, size_t cap);
/* Output helpers of the listing commands: a JSON string; a time as a JSON string (null
 * when ms <= 0); a time as text ("-" when ms <= 0), written into buf and returned. */
void sl_cli_json_str(struct sl_buf *b, const char *s);
void sl_cli_json_time(struct sl_buf *b, int64_t ms);
const char *sl_cli_text_time(int64_t ms, char *buf, size_t cap);
/* Parses a non-negative integer option value; usage error on junk. */
int sl_cli_parse_count(struct sl_cli *cli, const char *opt, const char *text, long long max,
		       long long *out);

/* The validator's counters per subject as a table or a JSON array (cmd_validate.c; also
 * shown by `sluice status`). */
int sl_cli_validate_counters(struct sl_lake *lake, struct sl_buf *b, bool json,
			     struct sl_err *err);

/* Finds a catalog table: "db.name", or "name" looked up in raw, then curated (in both:
 * ambiguous, an error naming both). Prints the problem and returns an exit code; on 0
 * *out is filled (sl_cat_table_release). */
struct sl_cat_table;
int sl_cli_find_table(struct sl_cli *cli, struct sl_lake *lake, const char *arg,
		      struct sl_cat_table *out);

/* The catalog's part of `sluice status` (cmd_catalog.c): tables per database, the
 * crawler's counters, the crawl queues' backlog, the latest drift entries. */
int sl_cli_catalog_status(struct sl_lake *lake, struct sl_buf *b, bool json,
			  struct sl_err *err);

/* The ETL part of `sluice status` (cmd_etl.c): per job the bookmark, the pending
 * objects and the last run (its error when it failed). */
int sl_cli_etl_status(struct sl_lake *lake, struct sl_buf *b, bool json, struct sl_err *err);

extern const struct sl_cmd sl_cmd_init, sl_cmd_put, sl_cmd_ls, sl_cmd_cat, sl_cmd_rm,
	sl_cmd_queue, sl_cmd_status, sl_cmd_fsck, sl_cmd_config, sl_cmd_json, sl_cmd_schema,
	sl_cmd_validate, sl_cmd_deadletter, sl_cmd_convert, sl_cmd_parquet, sl_cmd_catalog,
	sl_cmd_crawl, sl_cmd_etl, sl_cmd_compact, sl_cmd_help, sl_cmd_version;

#endif
