/* cmd_crawl.c - `sluice crawl`: run the crawler stage (crawl/crawl.h), rebuild one table
 * from its objects (--full), or show where a key belongs (--explain). */
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "crawl/crawl.h"

#define MAX_WAIT_MS (15 * 60 * 1000) /* as crawl.batch_wait */

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

struct cout {
	struct sl_cli *cli;
	bool json;
	int64_t failures;
};

static void result_json(struct sl_buf *b, const struct sl_crawl_result *r)
{
	sl_buf_printf(b,
		      "{\"messages\":%" PRId64 ",\"objects\":%" PRId64 ",\"removed\":%" PRId64
		      ",\"rejected\":%" PRId64 ",\"skipped\":%" PRId64 ",\"records\":%" PRId64
		      ",\"bytes\":%" PRId64 ",\"tables\":%" PRId64 ",\"versions\":%" PRId64
		      ",\"drift\":%" PRId64 ",\"commits\":%" PRId64 "}",
		      r->messages, r->objects, r->removed, r->rejected, r->skipped, r->records,
		      r->bytes, r->tables, r->versions, r->drift, r->commits);
}

static void result_text(struct sl_buf *b, const char *what, const struct sl_crawl_result *r)
{
	sl_buf_printf(b,
		      "%s %" PRId64 " message%s: %" PRId64 " objects catalogued (%" PRId64
		      " records), %" PRId64 " removed, %" PRId64 " rejected, %" PRId64
		      " skipped; %" PRId64 " tables touched, %" PRId64 " new versions, %" PRId64
		      " drift entries, %" PRId64 " commits\n",
		      what, r->messages, r->messages == 1 ? "" : "s", r->objects, r->records,
		      r->removed, r->rejected, r->skipped, r->tables, r->versions, r->drift,
		      r->commits);
}

static void print_batch(void *ctx, const struct sl_crawl_result *batch, const struct sl_err *err)
{
	struct cout *o = ctx;
	if (err) {
		/* nothing of the batch was committed: its messages come back */
		fprintf(stderr, "sluice: crawl: %s (left for a retry)\n", err->msg);
		o->failures++;
		return;
	}
	struct sl_buf b;
	sl_buf_init(&b, 0);
	if (o->json) {
		result_json(&b, batch);
		sl_buf_puts(&b, "\n");
	} else {
		result_text(&b, "batch:", batch);
	}
	sl_cli_flush(o->cli, &b);
	fflush(o->cli->out); /* a daemon's log is read as it is written */
	sl_buf_release(&b);
}

static int parse_duration(struct sl_cli *cli, const char *text, int64_t *ms)
{
	static const struct {
		const char *unit;
		int64_t mult;
	} units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};
	char *end;
	long long v = strtoll(text, &end, 10);
	for (size_t i = 0; end != text && v >= 0 && i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit) == 0 && v <= MAX_WAIT_MS / units[i].mult) {
			*ms = v * units[i].mult;
			return 0;
		}
	}
	return sl_cli_usage_error(cli, "--wait: '%.40s' is not a duration from 0s to 15m (e.g. "
				       "500ms, 5s, 2m)", text);
}

static int do_explain(struct sl_cli *cli, struct sl_lake *lake, const char *arg)
{
	const char *slash = strchr(arg, '/');
	char zone[SL_ZONE_MAX];
	if (!slash || slash == arg || (size_t)(slash - arg) >= sizeof(zone) || !slash[1])
		return sl_cli_usage_error(cli, "--explain: '%.300s' is not ZONE/KEY (raw/... or "
					       "curated/...)", arg);
	memcpy(zone, arg, (size_t)(slash - arg));
	zone[slash - arg] = 0;
	struct sl_buf b;
	sl_buf_init(&b, 0);
	/* SL_EINVAL: the key is not a table's object, and the text says why */
	int rc = sl_crawl_explain(&lake->cfg, zone, slash + 1, &b);
	if (rc == 0 || rc == SL_EINVAL) {
		if (b.len && b.data[b.len - 1] != '\n')
			sl_buf_puts(&b, "\n");
		sl_cli_flush(cli, &b);
	}
	sl_buf_release(&b);
	if (rc && rc != SL_EINVAL) {
		struct sl_err err;
		sl_err_set(&err, rc, "crawl --explain %.300s: %s", arg, sl_code_name(rc));
		return sl_cli_fail(cli, &err);
	}
	return rc ? SL_EXIT_PROBLEMS : SL_EXIT_OK;
}

static int run_crawl(struct sl_cli *cli, int argc, char **argv)
{
	static const struct option lo[] = {
		SL_CLI_COMMON_OPTS,
		{"drain", no_argument, NULL, 'd'},
		{"batch", required_argument, NULL, 'b'},
		{"wait", required_argument, NULL, 'w'},
		{"json", no_argument, NULL, 'j'},
		{"full", required_argument, NULL, 'f'},
		{"explain", required_argument, NULL, 'e'},
		{0},
	};
	bool drain = false, run_opts = false;
	long long batch = 0;
	int64_t wait_ms = -1;
	const char *full = NULL, *explain = NULL;
	struct cout out = {.cli = cli};
	int c;
	while ((c = sl_cli_getopt(cli, argc, argv, "", lo)) != -1) {
		switch (c) {
		case 'h': return SL_EXIT_OK;
		case 'd': drain = run_opts = true; break;
		case 'j': out.json = true; break;
		case 'f': full = optarg; break;
		case 'e': explain = optarg; break;
		case 'b':
			if (sl_cli_parse_count(cli, "--batch", optarg, SL_BATCH_MAX, &batch))
				return SL_EXIT_USAGE;
			if (batch < 1)
				return sl_cli_usage_error(cli, "--batch must be 1..%d", SL_BATCH_MAX);
			run_opts = true;
			break;
		case 'w':
			if (parse_duration(cli, optarg, &wait_ms))
				return SL_EXIT_USAGE;
			run_opts = true;
			break;
		default: return SL_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return sl_cli_usage_error(cli, "unexpected argument '%.300s'", argv[optind]);
	if (full && explain)
		return sl_cli_usage_error(cli, "--full and --explain do not go together");
	if ((full || explain) && run_opts)
		return sl_cli_usage_error(cli, "--drain, --batch and --wait are for running the "
					       "stage, not with --%s", full ? "full" : "explain");
	if (explain && out.json)
		return sl_cli_usage_error(cli, "--explain writes text only");

	struct sl_lake *lake;
	int rc = sl_cli_open_lake(cli, &lake);
	if (rc)
		return rc;
	if (explain) {
		rc = do_explain(cli, lake, explain);
		sl_lake_close(lake);
		return rc;
	}
	struct sl_err err = {0};
	struct sl_crawl_stage *st = NULL;
	struct sl_crawl_result totals = {0};
	struct sl_cat_table t = {0};
	struct sl_buf b;
	sl_buf_init(&b, 0);
	if (full && (rc = sl_cli_find_table(cli, lake, full, &t)) != 0)
		goto out;
	if ((rc = sl_crawl_stage_open(lake, &st, &err)) != 0) {
		rc = sl_cli_fail(cli, &err);
		goto out;
	}
	if (full) {
		if ((rc = sl_crawl_full(st, t.db, t.name, &totals, &err)) != 0) {
			rc = sl_cli_fail(cli, &err);
			goto out;
		}
		if (out.json) {
			sl_buf_puts(&b, "{\"table\":");
			sl_buf_json_str(&b, t.name, strlen(t.name));
			sl_buf_puts(&b, ",\"db\":");
			sl_buf_json_str(&b, t.db, strlen(t.db));
			sl_buf_puts(&b, ",\"result\":");
			result_json(&b, &totals);
			sl_buf_puts(&b, "}\n");
		} else {
			char what[SL_CAT_DB_MAX + SL_CAT_NAME_MAX + 32];
			snprintf(what, sizeof(what), "rebuilt %s.%s from its objects:", t.db, t.name);
			/* a rebuild handles no messages: say what it read */
			sl_buf_printf(&b, "%s %" PRId64 " objects (%" PRId64 " records), %" PRId64
					  " rejected; %" PRId64 " new versions, %" PRId64
					  " drift entries\n",
				      what, totals.objects, totals.records, totals.rejected,
				      totals.versions, totals.drift);
		}
		sl_cli_flush(cli, &b);
		rc = SL_EXIT_OK;
		goto out;
	}

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: a long poll ends early */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	struct sl_crawl_run_opts ro = {
		.drain = drain,
		.stop = &stop_flag,
		.batch_messages = batch,
		.batch_wait_ms = wait_ms,
		.report = print_batch,
		.ctx = &out,
	};
	rc = sl_crawl_run(st, &ro, &totals, &err);
	if (out.json) {
		sl_buf_puts(&b, "{\"totals\":");
		result_json(&b, &totals);
		sl_buf_printf(&b, ",\"failures\":%" PRId64 "}\n", out.failures);
	} else {
		result_text(&b, "crawled", &totals);
		if (out.failures)
			sl_buf_printf(&b, "%" PRId64 " batch%s failed (left in the queue for a retry)\n",
				      out.failures, out.failures == 1 ? "" : "es");
	}
	sl_cli_flush(cli, &b);
	if (rc)
		rc = sl_cli_fail(cli, &err);
	else
		rc = out.failures ? SL_EXIT_FAIL : SL_EXIT_OK;
out:
	sl_buf_release(&b);
	sl_cat_table_release(&t);
	sl_crawl_stage_close(st);
	sl_lake_close(lake);
	return rc;
}

const struct sl_cmd sl_cmd_crawl = {
	"crawl", "run the crawler stage: raw and curated objects -> catalog tables",
	"usage: sluice crawl [--drain] [--batch N] [--wait DURATION] [--json]\n"
	"       sluice crawl --full TABLE [--json]\n"
	"       sluice crawl --explain ZONE/KEY\n"
	"\n"
	"Takes the events of the raw and curated zones' queues in batches, places each\n"
	"object in its table and partition by its key, infers its records' types (or takes\n"
	"its subject's registered schema), and commits each batch to the catalog in one\n"
	"transaction with its messages ('sluice catalog' shows the tables).\n"
	"One line per batch, then the totals.\n"
	"\n"
	"  --drain          stop when both queues are empty; without it, run until SIGTERM\n"
	"                   or SIGINT (the batch in hand is finished first)\n"
	"  --batch N        a batch ends at N messages (1..1000; default crawl.batch_messages)\n"
	"  --wait DURATION  ... or this long after its first message (e.g. 500ms, 5s; at\n"
	"                   most 15m; default crawl.batch_wait)\n"
	"  --json           one JSON object per batch, then {\"totals\": ...}\n"
	"  --full TABLE     rebuild TABLE (DB.NAME or NAME) from all its present objects: a\n"
	"                   new version with the schema inferred afresh\n"
	"  --explain KEY    how the table rule places raw/KEY or curated/KEY (table, database,\n"
	"                   partition columns), or why it cannot (then exit 3)\n"
	"Exit 0 when every batch was committed, 2 when some were not (their messages stay\n"
	"in the queue and are tried again).\n",
	run_crawl,
};
