/* cmd_status.c - status, fsck and config: looking at a lake as a whole. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "fsck/fsck.h"
#include "util/clock.h"

/* ---- status ------------------------------------------------------------------------- */

struct status_q {
	struct sl_buf *out;
	bool json;
	int n;
	int64_t now;
};

static int status_queue(void *ctx, const struct sl_queue_stats *qs)
{
	struct status_q *s = ctx;
	int64_t oldest = qs->oldest_sent_ms ? s->now - qs->oldest_sent_ms : 0;
	if (s->json)
		sl_buf_printf(s->out,
			      "%s{\"queue\":\"%s\",\"visible\":%lld,\"in_flight\":%lld,"
			      "\"delayed\":%lld,\"oldest_age_ms\":%lld}",
			      s->n ? "," : "", qs->name, (long long)qs->visible,
			      (long long)qs->in_flight, (long long)qs->delayed, (long long)oldest);
	else if (qs->oldest_sent_ms)
		sl_buf_printf(s->out, "  %-16s %9lld %9lld %9lld %10.1fs\n", qs->name,
			      (long long)qs->visible, (long long)qs->in_flight,
			      (long long)qs->delayed, (double)oldest / 1000.0);
	else
		sl_buf_printf(s->out, "  %-16s %9lld %9lld %9lld %11s\n", qs->name,
			      (long long)qs->visible, (long long)qs->in_flight,
			      (long long)qs->delayed, "-");
	s->n++;
	return 0;
}

static int run_status(struct sl_cli *cli, int argc, char **argv)
{
	static const struct option lo[] = {SL_CLI_COMMON_OPTS, {"json", no_argument, NULL, 'j'},
					   {0}};
	bool json = false;
	int c;
	while ((c = sl_cli_getopt(cli, argc, argv, "", lo)) != -1) {
		switch (c) {
		case 'h': return SL_EXIT_OK;
		case 'j': json = true; break;
		default: return SL_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return sl_cli_usage_error(cli, "unexpected argument '%s'", argv[optind]);
	struct sl_lake *lake;
	int rc = sl_cli_open_lake(cli, &lake);
	if (rc)
		return rc;
	struct sl_err err = {0};
	struct sl_buf out;
	int64_t schema = 0, last_seq = 0, flagged = 0;
	sl_buf_init(&out, 0);
	if ((rc = lake->meta.ops->schema_version(lake->meta.state, &schema, &err)) != 0)
		goto done;
	if (json) {
		sl_buf_puts(&out, "{\"lake\":");
		sl_buf_json_str(&out, lake->root, strlen(lake->root));
		sl_buf_printf(&out, ",\"version\":\"%s\",\"metadata\":{\"backend\":\"%s\","
				    "\"schema_version\":%lld},\"zones\":[",
			      SLUICE_VERSION, lake->meta.ops->name, (long long)schema);
	} else {
		sl_buf_printf(&out, "lake       %s\nsluice     %s\nmetadata   %s, schema version "
				    "%lld\n\nzones            objects          bytes  flagged\n",
			      lake->root, SLUICE_VERSION, lake->meta.ops->name, (long long)schema);
	}
	for (int z = 0; z < SL_ZONE_COUNT; z++) {
		struct sl_zone_stats zs;
		if ((rc = lake->meta.ops->zone_stats(lake->meta.state, sl_zone_names[z], &zs,
						     &err)) != 0)
			goto done;
		if (zs.last_seq > last_seq)
			last_seq = zs.last_seq;
		flagged += zs.missing;
		if (json)
			sl_buf_printf(&out, "%s{\"zone\":\"%s\",\"objects\":%lld,\"bytes\":%lld,"
					    "\"flagged\":%lld}",
				      z ? "," : "", sl_zone_names[z], (long long)zs.objects,
				      (long long)zs.bytes, (long long)zs.missing);
		else
			sl_buf_printf(&out, "  %-12s %10lld %14lld %8lld\n", sl_zone_names[z],
				      (long long)zs.objects, (long long)zs.bytes,
				      (long long)zs.missing);
	}
	struct status_q sq = {.out = &out, .json = json, .now = sl_now_ms()};
	if (json)
		sl_buf_puts(&out, "],\"queues\":[");
	else
		sl_buf_printf(&out, "\nqueues             visible in-flight   delayed      oldest\n");
	if ((rc = lake->meta.ops->queue_list(lake->meta.state, sq.now, status_queue, &sq,
					     &err)) != 0)
		goto done;
	if (json)
		sl_buf_puts(&out, "],\"validate\":");
	else
		sl_buf_puts(&out, "\nvalidator: objects and records per subject\n");
	if ((rc = sl_cli_validate_counters(lake, &out, json, &err)) != 0)
		goto done;
	if (json)
		sl_buf_puts(&out, ",\"catalog\":");
	else
		sl_buf_puts(&out, "\ncatalog\n");
	if ((rc = sl_cli_catalog_status(lake, &out, json, &err)) != 0)
		goto done;
	if (json)
		sl_buf_puts(&out, ",\"etl\":");
	else
		sl_buf_puts(&out, "\netl: jobs, bookmarks, pending objects, last runs\n");
	if ((rc = sl_cli_etl_status(lake, &out, json, &err)) != 0)
		goto done;
	if (json)
		sl_buf_printf(&out, ",\"last_seq\":%lld,\"flagged_objects\":%lld}\n",
			      (long long)last_seq, (long long)flagged);
	else
		sl_buf_printf(&out, "\nlast landing sequence of a present object: %lld\n%s",
			      (long long)last_seq,
			      flagged ? "some objects are flagged: run 'sluice fsck'\n" : "");
	sl_cli_flush(cli, &out);
done:
	sl_buf_release(&out);
	sl_lake_close(lake);
	return rc ? sl_cli_fail(cli, &err) : SL_EXIT_OK;
}

const struct sl_cmd sl_cmd_status = {
	"status", "show the lake: zones, queues, validator, catalog, ETL jobs",
	"usage: sluice status [--json]\n"
	"\n"
	"Shows the lake's place and versions, objects and bytes per zone (with objects\n"
	"flagged missing or corrupt by fsck), the depth of every queue, the validator's\n"
	"counters per subject, the catalog: tables per database, the crawler's\n"
	"counters, the crawl queues' backlog and the latest drift entries, and the ETL\n"
	"jobs: bookmark, pending objects and last run (with its error if it failed).\n",
	run_status,
};

/* ---- fsck --------------------------------------------------------------------------- */

static void fsck_report(void *ctx, enum sl_fsck_kind kind, const char *zone, const char *key,
			const char *detail, bool repaired)
{
	struct sl_cli *cli = ctx;
	fprintf(cli->out, "%-9s %s/%s: %s%s\n", sl_fsck_kind_names[kind], zone, key, detail,
		repaired ? " [repaired]" : "");
}

static int run_fsck(struct sl_cli *cli, int argc, char **argv)
{
	static const struct option lo[] = {SL_CLI_COMMON_OPTS,
					   {"repair", no_argument, NULL, 'r'},
					   {"verify", no_argument, NULL, 'v'},
					   {0}};
	struct sl_fsck_opts opts = {0};
	int c;
	while ((c = sl_cli_getopt(cli, argc, argv, "", lo)) != -1) {
		switch (c) {
		case 'h': return SL_EXIT_OK;
		case 'r': opts.repair = true; break;
		case 'v': opts.verify = true; break;
		default: return SL_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return sl_cli_usage_error(cli, "unexpected argument '%s'", argv[optind]);
	struct sl_lake *lake;
	int rc = sl_cli_open_lake(cli, &lake);
	if (rc)
		return rc;
	struct sl_err err = {0};
	struct sl_fsck_result res;
	rc = sl_fsck(lake, &opts, fsck_report, cli, &res, &err);
	sl_lake_close(lake);
	if (rc)
		return sl_cli_fail(cli, &err);
	int64_t found = 0, open = 0;
	for (int k = 0; k < SL_FSCK_KINDS; k++) {
		found += res.found[k];
		open += res.found[k] - res.repaired[k];
	}
	fprintf(cli->out, "checked %lld objects: %lld problems, %lld repaired, %lld open\n",
		(long long)res.objects_checked, (long long)found, (long long)(found - open),
		(long long)open);
	return open ? SL_EXIT_PROBLEMS : SL_EXIT_OK;
}

const struct sl_cmd sl_cmd_fsck = {
	"fsck", "find (and repair) what a crash left behind",
	"usage: sluice fsck [--repair] [--verify]\n"
	"\n"
	"Compares every zone with the index and reports, one line each:\n"
	"  temp       temp file of a put that did not finish      repair: removed\n"
	"  unindexed  object file without an index row            repair: indexed, evented\n"
	"  changed    file replaced behind the index's back       repair: re-indexed, evented\n"
	"  missing    index row without a file                    repair: flagged 'missing'\n"
	"  deleting   rm interrupted                              repair: finished\n"
	"  corrupt    content differs from checksum (--verify)    repair: flagged 'corrupt'\n"
	"  odd        symlink, device or badly named entry        reported only\n"
	"  staged     file of an ETL run that did not commit      repair: removed (not while\n"
	"                                                         the run may still commit)\n"
	"--verify re-reads and re-hashes every object.\n"
	"Exit 0 when nothing is left to repair, 3 when problems remain.\n",
	run_fsck,
};

/* ---- config ------------------------------------------------------------------------- */

static void config_report(void *ctx, const char *path, int line, int col, const char *msg)
{
	(void)ctx;
	if (line > 0)
		fprintf(stderr, "%s:%d:%d: %s\n", path, line, col, msg);
	else
		fprintf(stderr, "%s: %s\n", path, msg);
}

static int run_config(struct sl_cli *cli, int argc, char **argv)
{
	static const struct option lo[] = {SL_CLI_COMMON_OPTS, {0}};
	int c;
	while ((c = sl_cli_getopt(cli, argc, argv, "", lo)) != -1)
		return c == 'h' ? SL_EXIT_OK : SL_EXIT_USAGE;
	if (optind >= argc)
		return sl_cli_usage_error(cli, "expected check or show");
	const char *sub = argv[optind++];
	if (strcmp(sub, "check") && strcmp(sub, "show"))
		return sl_cli_usage_error(cli, "unknown subcommand '%s'", sub);
	if (argc - optind > 1)
		return sl_cli_usage_error(cli, "expected at most one FILE");
	char path[PATH_MAX];
	if (optind < argc) {
		snprintf(path, sizeof(path), "%s", argv[optind]);
	} else {
		char *dir = sl_lake_locate(cli->lake_flag);
		snprintf(path, sizeof(path), "%s/%s", dir ? dir : ".", SL_CONFIG_FILE);
		free(dir);
	}
	struct sl_config cfg;
	struct sl_err err = {0};
	int n = sl_config_check(path, &cfg, config_report, NULL, &err);
	if (n < 0)
		return sl_cli_fail(cli, &err);
	if (n > 0) {
		fprintf(stderr, "%s: %d problem%s\n", path, n, n == 1 ? "" : "s");
		return SL_EXIT_PROBLEMS;
	}
	if (strcmp(sub, "show") == 0)
		sl_config_show(&cfg, cli->out);
	else
		fprintf(cli->out, "%s: ok\n", path);
	return SL_EXIT_OK;
}

const struct sl_cmd sl_cmd_config = {
	"config", "check or show the pipeline configuration",
	"usage: sluice config check [FILE]\n"
	"       sluice config show [FILE]\n"
	"\n"
	"check  validates FILE (default: the lake's sluice.yaml) and prints every problem\n"
	"       as FILE:LINE:COL: message (exit 3 if any)\n"
	"show   prints the effective configuration: every value, defaults included\n"
	"See docs/configuration.md for every key.\n",
	run_config,
};
