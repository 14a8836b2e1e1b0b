/* cmd_validate.c - `sluice validate`: run the validator stage (validate/validate.h). */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/clock.h"
#include "validate/validate.h"

#define MAX_WORKERS 16

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

struct vout {
	struct sl_cli *cli;
	pthread_mutex_t lock;
	bool json, quiet;
};

static void print_result(void *ctx, const struct sl_vresult *res, const struct sl_err *err)
{
	struct vout *o = ctx;
	struct sl_buf b;
	sl_buf_init(&b, 0);
	if (err) {
		/* the message comes back after a delay; one line on stderr per failure */
		pthread_mutex_lock(&o->lock);
		fprintf(stderr, "sluice: validate: %s (left for a retry)\n", err->msg);
		pthread_mutex_unlock(&o->lock);
		sl_buf_release(&b);
		return;
	}
	if (o->quiet)
		return;
	if (o->json) {
		sl_buf_printf(&b, "{\"outcome\":\"%s\",\"key\":", sl_voutcome_names[res->outcome]);
		sl_buf_json_str(&b, res->key, strlen(res->key));
		sl_buf_printf(&b, ",\"seq\":%" PRId64 ",\"subject\":", res->landing_seq);
		if (res->subject[0])
			sl_buf_json_str(&b, res->subject, strlen(res->subject));
		else
			sl_buf_puts(&b, "null");
		sl_buf_printf(&b,
			      ",\"schema_version\":%" PRId64 ",\"records\":%" PRId64
			      ",\"records_passed\":%" PRId64 ",\"records_failed\":%" PRId64
			      ",\"counted\":%s,\"reason\":",
			      res->schema_version, res->records, res->records_passed,
			      res->records_failed, res->counted ? "true" : "false");
		sl_buf_json_str(&b, res->reason, strlen(res->reason));
		sl_buf_puts(&b, "}\n");
	} else {
		char schema[SL_SUBJECT_NAME_MAX + 32] = "";
		if (res->subject[0] && res->schema_version > 0)
			snprintf(schema, sizeof(schema), " [%s v%" PRId64 "]", res->subject,
				 res->schema_version);
		else if (res->subject[0])
			snprintf(schema, sizeof(schema), " [%s]", res->subject);
		sl_buf_printf(&b, "%-12s landing/%s%s: %s\n", sl_voutcome_names[res->outcome],
			      res->key, schema, res->reason);
	}
	pthread_mutex_lock(&o->lock);
	fwrite(b.data, 1, b.len, o->cli->out);
	fflush(o->cli->out); /* a daemon's log is read as it is written */
	pthread_mutex_unlock(&o->lock);
	sl_buf_release(&b);
}

struct worker {
	pthread_t thread;
	struct vout *out;
	struct sl_lake *lake; /* opened by the worker, except worker 0's */
	char *lake_dir;
	struct sl_vrun_opts opts;
	struct sl_vtotals totals;
	struct sl_err err;
	int rc;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct sl_validate_stage *st = NULL;
	if (!w->lake && (w->rc = sl_lake_open(w->lake_dir, &w->lake, &w->err)) != 0)
		return NULL;
	if ((w->rc = sl_validate_stage_open(w->lake, &st, &w->err)) == 0)
		w->rc = sl_validate_run(st, &w->opts, &w->totals, &w->err);
	sl_validate_stage_close(st);
	return NULL;
}

/* ---- --stats ----------------------------------------------------------------------- */

struct stats_out {
	struct sl_buf *b;
	bool json;
	int n;
};

static int stats_one(void *ctx, const struct sl_validate_counters *c)
{
	struct stats_out *s = ctx;
	char when[40];
	sl_fmt_time(c->last_ms, when, sizeof(when));
	if (s->json) {
		sl_buf_printf(s->b, "%s\n{\"subject\":", s->n ? "," : "");
		if (c->subject[0])
			sl_buf_json_str(s->b, c->subject, strlen(c->subject));
		else
			sl_buf_puts(s->b, "null");
		sl_buf_printf(s->b,
			      ",\"objects_passed\":%" PRId64 ",\"objects_split\":%" PRId64
			      ",\"objects_failed\":%" PRId64 ",\"records_passed\":%" PRId64
			      ",\"records_failed\":%" PRId64 ",\"last\":\"%s\"}",
			      c->objects_passed, c->objects_split, c->objects_failed,
			      c->records_passed, c->records_failed, when);
	} else {
		sl_buf_printf(s->b,
			      "  %-20s %9" PRId64 " %9" PRId64 " %9" PRId64 " %11" PRId64
			      " %11" PRId64 "  %s\n",
			      c->subject[0] ? c->subject : "(no subject)", c->objects_passed,
			      c->objects_split, c->objects_failed, c->records_passed,
			      c->records_failed, when);
	}
	s->n++;
	return 0;
}

/* Prints the validator's counters (also used by `sluice status`). */
int sl_cli_validate_counters(struct sl_lake *lake, struct sl_buf *b, bool json,
			     struct sl_err *err)
{
	struct stats_out s = {.b = b, .json = json};
	if (json)
		sl_buf_puts(b, "[");
	else
		sl_buf_printf(b, "  %-20s %9s %9s %9s %11s %11s  %s\n", "subject", "passed", "split",
			      "failed", "rec-passed", "rec-failed", "last");
	int rc = lake->meta.ops->validate_counters(lake->meta.state, stats_one, &s, err);
	if (json)
		sl_buf_puts(b, s.n ? "\n]" : "]");
	else if (s.n == 0)
		sl_buf_puts(b, "  (nothing validated yet)\n");
	return rc;
}

static int run_stats(struct sl_cli *cli, bool json)
{
	struct sl_lake *lake;
	struct sl_err err = {0};
	struct sl_buf b;
	int rc = sl_cli_open_lake(cli, &lake);
	if (rc)
		return rc;
	sl_buf_init(&b, 0);
	if (!json)
		sl_buf_puts(&b, "objects (passed: all to raw; split: both; failed: all to deadletter)"
				" and records per subject:\n");
	rc = sl_cli_validate_counters(lake, &b, json, &err);
	if (json)
		sl_buf_puts(&b, "\n");
	if (rc == 0)
		sl_cli_flush(cli, &b);
	sl_buf_release(&b);
	sl_lake_close(lake);
	return rc ? sl_cli_fail(cli, &err) : SL_EXIT_OK;
}

/* ---- validate ------------------------------------------------------------------------ */

static int run_validate(struct sl_cli *cli, int argc, char **argv)
{
	static const struct option lo[] = {
		SL_CLI_COMMON_OPTS,
		{"drain", no_argument, NULL, 'd'},
		{"workers", required_argument, NULL, 'w'},
		{"max", required_argument, NULL, 'n'},
		{"quiet", no_argument, NULL, 'q'},
		{"json", no_argument, NULL, 'j'},
		{"stats", no_argument, NULL, 's'},
		{0},
	};
	bool drain = false, stats = false;
	long long workers = 1, max = 0;
	struct vout out = {.cli = cli};
	int c;
	while ((c = sl_cli_getopt(cli, argc, argv, "q", lo)) != -1) {
		switch (c) {
		case 'h': return SL_EXIT_OK;
		case 'd': drain = true; break;
		case 's': stats = true; break;
		case 'q': out.quiet = true; break;
		case 'j': out.json = true; break;
		case 'w':
			if (sl_cli_parse_count(cli, "--workers", optarg, MAX_WORKERS, &workers))
				return SL_EXIT_USAGE;
			if (workers < 1)
				return sl_cli_usage_error(cli, "--workers must be 1..%d", MAX_WORKERS);
			break;
		case 'n':
			if (sl_cli_parse_count(cli, "--max", optarg, INT64_MAX, &max))
				return SL_EXIT_USAGE;
			break;
		default: return SL_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return sl_cli_usage_error(cli, "unexpected argument '%s'", argv[optind]);
	if (stats)
		return run_stats(cli, out.json);

	struct sl_lake *lake;
	int rc = sl_cli_open_lake(cli, &lake);
	if (rc)
		return rc;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: a long poll ends early */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	pthread_mutex_init(&out.lock, NULL);

	struct worker ws[MAX_WORKERS];
	memset(ws, 0, sizeof(ws));
	for (int i = 0; i < workers; i++) {
		ws[i].out = &out;
		ws[i].lake = i == 0 ? lake : NULL;
		ws[i].lake_dir = lake->root;
		ws[i].opts = (struct sl_vrun_opts){.drain = drain,
						   .stop = &stop_flag,
						   .max_objects = max,
						   .report = print_result,
						   .ctx = &out};
	}
	for (int i = 1; i < workers; i++)
		if (pthread_create(&ws[i].thread, NULL, worker_main, &ws[i]) != 0) {
			ws[i].rc = sl_err_set(&ws[i].err, SL_ENOMEM, "cannot start worker %d", i);
			ws[i].thread = 0;
		}
	worker_main(&ws[0]);
	struct sl_vtotals t = {0};
	int failed = 0;
	for (int i = 0; i < workers; i++) {
		if (i > 0 && ws[i].thread)
			pthread_join(ws[i].thread, NULL);
		if (ws[i].rc) {
			sl_cli_fail(cli, &ws[i].err);
			failed = 1;
		}
		t.messages += ws[i].totals.messages;
		t.failures += ws[i].totals.failures;
		for (int k = 0; k < SL_VOUT_COUNT; k++)
			t.by_outcome[k] += ws[i].totals.by_outcome[k];
		if (i > 0)
			sl_lake_close(ws[i].lake);
	}
	if (!out.json) {
		fprintf(cli->out, "validated %" PRId64 " message%s:", t.messages,
			t.messages == 1 ? "" : "s");
		for (int k = 0; k < SL_VOUT_COUNT; k++)
			if (t.by_outcome[k])
				fprintf(cli->out, " %s %" PRId64 ",", sl_voutcome_names[k],
					t.by_outcome[k]);
		fprintf(cli->out, " failures %" PRId64 "%s\n", t.failures,
			t.failures ? " (left in the queue for a retry)" : "");
	}
	pthread_mutex_destroy(&out.lock);
	sl_lake_close(lake);
	return failed || t.failures ? SL_EXIT_FAIL : SL_EXIT_OK;
}

const struct sl_cmd sl_cmd_validate = {
	"validate", "run the validator stage: landing -> raw | deadletter",
	"usage: sluice validate [--drain] [--workers N] [--max N] [--quiet] [--json]\n"
	"       sluice validate --stats [--json]\n"
	"\n"
	"Takes the objects that land (the landing queue), finds each one's subject (the\n"
	"routes in sluice.yaml, else the key's first folder), checks every record against\n"
	"the subject's schema in the registry and writes the valid records to raw, the\n"
	"invalid ones to deadletter with a report (see 'sluice deadletter'). Objects that\n"
	"cannot be decoded, and subjects without a schema, go to deadletter whole.\n"
	"One line per object: OUTCOME landing/KEY [SUBJECT vN]: reason.\n"
	"\n"
	"  --drain      stop when the landing queue is empty; without it, run until\n"
	"               SIGTERM or SIGINT (the object in hand is finished first)\n"
	"  --workers N  validate with N threads (1..16, default 1)\n"
	"  --max N      stop after N messages\n"
	"  --quiet      only the summary; --json: one JSON object per line instead\n"
	"  --stats      print the counters per subject and exit\n"
	"Exit 0 when every message was handled (dead letters included), 2 when some could\n"
	"not be (they stay in the queue and are tried again later).\n",
	run_validate,
};
