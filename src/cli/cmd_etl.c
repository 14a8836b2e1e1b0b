/* cmd_etl.c - `sluice etl`: run jobs (etl/run.h), list and show them, their history and
 * their bookmarks, rewind and reset (etl/jobs.h reads what there is to show), and the
 * scheduler that runs them when they are due (`etl schedule`, over jobs.h's plan). Thin:
 * the library does the work; this file checks the command line and prints. Also the ETL
 * part of `sluice status`.
 *
 * Exit codes: 0 when every job asked for committed (or was shown), 2 when one failed or
 * was busy (the others still run) or the lake said no, 1 for a usage error. The
 * scheduler exits 0 when stopped (a signal, --max-runs); `schedule --once` as `run`.
 *
 * Under the test hook SLUICE_TEST_NOW (util/clock.h) the scheduler's sleeps pass at once
 * and move the process's clock on, so that a test sees hours of firings at once. */
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>

#include "cli/cli.h"
#include "etl/jobs.h"
#include "etl/run.h"
#include "util/clock.h"

#define SHOW_RUNS 5          /* `etl show`: the newest runs */
#define HISTORY_MAX 1000000  /* --limit */
#define SCHED_MAX_SLEEP_MS 60000 /* the scheduler reads the jobs again at least this often,
				  * so that new default jobs are seen */

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

/* Options, and which were given (to refuse those a subcommand does not take). */
enum {
	O_JSON = 1, O_DUE = 2, O_MAX_OBJECTS = 4, O_LIMIT = 8, O_TO_RUN = 16, O_ONCE = 32,
	O_MAX_RUNS = 64
};
static const char *const opt_names[] = {"--json", "--due", "--max-objects", "--limit",
					"--to-run", "--once", "--max-runs"};

struct eopts {
	unsigned given;
	bool json, due, once;
	int64_t max_objects, limit, to_run, max_runs;
};

/* ---- printing helpers ------------------------------------------------------------------ */


static int64_t run_duration(const struct sl_etl_run *r)
{
	return r->ended_ms >= r->started_ms && r->ended_ms > 0 ? r->ended_ms - r->started_ms : 0;
}

static void run_json(struct sl_buf *b, const struct sl_etl_run *r)
{
	sl_buf_printf(b, "{\"run\":%" PRId64 ",\"state\":", r->id);
	sl_cli_json_str(b, r->state);
	sl_buf_printf(b,
		      ",\"from_seq\":%" PRId64 ",\"to_seq\":%" PRId64 ",\"objects\":%" PRId64
		      ",\"rows_in\":%" PRId64 ",\"rows_out\":%" PRId64 ",\"rows_rejected\":%" PRId64
		      ",\"files\":%" PRId64 ",\"bytes\":%" PRId64 ",\"started\":",
		      r->from_seq, r->to_seq, r->objects, r->rows_in, r->rows_out, r->rows_rejected,
		      r->files, r->bytes);
	sl_cli_json_time(b, r->started_ms);
	sl_buf_puts(b, ",\"ended\":");
	sl_cli_json_time(b, r->ended_ms);
	sl_buf_printf(b, ",\"duration_ms\":%" PRId64 ",\"holder\":", run_duration(r));
	sl_cli_json_str(b, r->holder);
	sl_buf_puts(b, ",\"error\":");
	if (r->error[0])
		sl_cli_json_str(b, r->error);
	else
		sl_buf_puts(b, "null");
	sl_buf_puts(b, "}");
}

static const char run_head[] =
	"  RUN  STATE      STARTED                   SECONDS  OBJECTS    ROWS IN   ROWS OUT"
	"  REJECTED  FILES       BYTES  BOOKMARK\n";

static void run_text(struct sl_buf *b, const struct sl_etl_run *r)
{
	char when[40], bytes[32], mark[48];
	sl_cli_human_bytes(r->bytes, bytes, sizeof(bytes));
	if (strcmp(r->state, SL_RUN_COMMITTED) == 0 || strcmp(r->state, SL_RUN_REWOUND) == 0)
		snprintf(mark, sizeof(mark), "%" PRId64 " -> %" PRId64, r->from_seq, r->to_seq);
	else
		snprintf(mark, sizeof(mark), "%" PRId64, r->from_seq);
	sl_buf_printf(b,
		      "%5" PRId64 "  %-9s  %-24s %8.2f %8" PRId64 " %10" PRId64 " %10" PRId64
		      " %9" PRId64 " %6" PRId64 " %11s  %s\n",
		      r->id, r->state, sl_cli_text_time(r->started_ms, when, sizeof(when)),
		      (double)run_duration(r) / 1000.0, r->objects, r->rows_in, r->rows_out,
		      r->rows_rejected, r->files, bytes, mark);
	if (r->error[0])
		sl_buf_printf(b, "       error: %s\n", r->error);
}

/* "job X ..." messages name the job already; others get it in front. */
static void job_error(const char *job, const struct sl_err *err)
{
	char lead[SL_JOB_MAX + 8];
	const char *msg = err->msg[0] ? err->msg : sl_code_name(err->code);
	snprintf(lead, sizeof(lead), "job %s", job);
	size_t n = strlen(lead);
	if (strncmp(msg, lead, n) == 0 && (msg[n] == ' ' || msg[n] == ':'))
		fprintf(stderr, "sluice: %s\n", msg);
	else
		fprintf(stderr, "sluice: job %s: %s\n", job, msg);
}

/* A job named on the command line: one sluice.yaml has, or (with stored) one the
 * metadata store has runs of (its history and bookmark outlive its entry). Prints the
 * error and returns an exit code. */
static int known_job(struct sl_cli *cli, struct sl_lake *lake, const char *job, bool stored)
{
	struct sl_job_conf conf;
	struct sl_err err = {0};
	if (strlen(job) < SL_JOB_MAX && sl_config_job(&lake->cfg, job, &conf))
		return SL_EXIT_OK;
	if (stored && strlen(job) < SL_JOB_MAX && lake->meta.ops->etl_bookmark_get) {
		struct sl_etl_bookmark bm;
		int rc = lake->meta.ops->etl_bookmark_get(lake->meta.state, job, &bm, &err);
		if (rc == 0)
			return SL_EXIT_OK;
		if (rc != SL_ENOENT)
			return sl_cli_fail(cli, &err);
	}
	/* the name is the user's: control bytes are shown escaped, so the error stays one
	 * line whatever was typed */
	char shown[300 * 4 + 8];
	size_t n = 0;
	const unsigned char *p = (const unsigned char *)job;
	for (size_t i = 0; p[i] && i < 300; i++)
		n += (size_t)snprintf(shown + n, sizeof(shown) - n,
				      p[i] < 0x20 || p[i] == 0x7f ? "\\x%02x" : "%c", p[i]);
	fprintf(stderr, "sluice: no ETL job '%s'%s in sluice.yaml (see 'sluice etl ls')\n",
		shown, strlen(job) > 300 ? "..." : "");
	return SL_EXIT_FAIL;
}

/* ---- run ------------------------------------------------------------------------------- */

struct tally {
	int64_t committed, failed, not_due, not_run;
	int n;
};

/* One job's result; at_ms > 0 (the scheduler's): the time the run was started first. */
static void result_json(struct sl_buf *b, int64_t at_ms, const char *job, const char *state,
			const struct sl_etl_result *r, const struct sl_err *err)
{
	sl_buf_puts(b, "{");
	if (at_ms > 0) {
		sl_buf_puts(b, "\"time\":");
		sl_cli_json_time(b, at_ms);
		sl_buf_puts(b, ",");
	}
	sl_buf_puts(b, "\"job\":");
	sl_cli_json_str(b, job);
	sl_buf_puts(b, ",\"state\":");
	sl_cli_json_str(b, state);
	if (r->run_id)
		sl_buf_printf(b, ",\"run\":%" PRId64, r->run_id);
	else
		sl_buf_puts(b, ",\"run\":null");
	sl_buf_printf(b,
		      ",\"from_seq\":%" PRId64 ",\"to_seq\":%" PRId64 ",\"objects\":%" PRId64
		      ",\"rows_in\":%" PRId64 ",\"rows_out\":%" PRId64 ",\"rows_rejected\":%" PRId64
		      ",\"files\":%" PRId64 ",\"bytes\":%" PRId64 ",\"skipped\":%" PRId64
		      ",\"skip_reason\":",
		      r->from_seq, r->to_seq, r->objects, r->rows_in, r->rows_out, r->rows_rejected,
		      r->files, r->bytes, r->skipped);
	if (r->skip_reason[0])
		sl_cli_json_str(b, r->skip_reason);
	else
		sl_buf_puts(b, "null");
	sl_buf_printf(b, ",\"stale\":%" PRId64 ",\"waiting\":%s,\"waiting_key\":", r->stale,
		      r->waiting ? "true" : "false");
	if (r->waiting)
		sl_cli_json_str(b, r->waiting_key);
	else
		sl_buf_puts(b, "null");
	sl_buf_printf(b, ",\"recovered\":%" PRId64 ",\"deadletter\":", r->recovered);
	if (r->deadletter[0])
		sl_cli_json_str(b, r->deadletter);
	else
		sl_buf_puts(b, "null");
	sl_buf_printf(b, ",\"duration_ms\":%" PRId64 ",\"error\":", r->duration_ms);
	if (err)
		sl_cli_json_str(b, err->msg[0] ? err->msg : sl_code_name(err->code));
	else
		sl_buf_puts(b, "null");
	sl_buf_puts(b, "}");
}

/* A committed run: one line, then a line per remark (oneline: the remarks follow on the
 * same line, after "; ", as the scheduler logs them). */
static void result_text(struct sl_buf *b, const char *job, const struct sl_etl_result *r,
			bool oneline)
{
	char bytes[32];
	const char *sep = oneline ? "; " : "\n  ";
	double secs = (double)r->duration_ms / 1000.0;
	if (r->objects == 0 && r->files == 0 && r->rows_in == 0) {
		sl_buf_printf(b, "%s: run %" PRId64 " committed in %.2fs: nothing new; bookmark %"
				 PRId64 "%s",
			      job, r->run_id, secs, r->to_seq,
			      r->to_seq != r->from_seq ? " (moved past skipped objects)" : "");
	} else {
		sl_cli_human_bytes(r->bytes, bytes, sizeof(bytes));
		sl_buf_printf(b,
			      "%s: run %" PRId64 " committed in %.2fs: %" PRId64 " object%s, %" PRId64
			      " rows in, %" PRId64 " out, %" PRId64 " rejected; %" PRId64
			      " file%s, %s; bookmark %" PRId64 " -> %" PRId64,
			      job, r->run_id, secs, r->objects, r->objects == 1 ? "" : "s", r->rows_in,
			      r->rows_out, r->rows_rejected, r->files, r->files == 1 ? "" : "s", bytes,
			      r->from_seq, r->to_seq);
	}
	if (r->deadletter[0])
		sl_buf_printf(b, "%srefused records: deadletter/%s", sep, r->deadletter);
	if (r->skipped)
		sl_buf_printf(b, "%s%" PRId64 " object%s the crawler rejected passed over, e.g. %s",
			      sep, r->skipped, r->skipped == 1 ? "" : "s", r->skip_reason);
	if (r->stale)
		sl_buf_printf(b, "%s%" PRId64 " object%s overwritten or removed since listed: "
				 "passed", sep, r->stale, r->stale == 1 ? "" : "s");
	if (r->waiting)
		sl_buf_printf(b, "%swaiting: raw/%s is not catalogued yet (run 'sluice crawl', "
				 "then this job again)", sep, r->waiting_key);
	if (r->recovered)
		sl_buf_printf(b, "%srecovered: %" PRId64 " file%s of runs that did not commit "
				 "removed first", sep, r->recovered, r->recovered == 1 ? "" : "s");
	sl_buf_puts(b, "\n");
}

/* Whether job is due (--due); prints the job's line when it is not. 0, or the error. */
static int check_due(struct sl_lake *lake, const char *job, const struct eopts *o,
		     struct sl_buf *b, bool *due, struct sl_err *err)
{
	struct sl_etl_job_state st;
	char when[40];
	int rc = sl_etl_job_state(lake, job, sl_now_ms(), false, &st, err);
	if (rc)
		return rc;
	*due = st.due;
	if (st.due)
		return 0;
	if (o->json) {
		sl_buf_puts(b, "{\"job\":");
		sl_cli_json_str(b, job);
		sl_buf_puts(b, ",\"state\":\"not_due\",\"next\":");
		sl_cli_json_time(b, st.next_ms);
		sl_buf_puts(b, "}");
	} else if (st.scheduled) {
		sl_buf_printf(b, "%s: not due (next %s)\n", job,
			      sl_cli_text_time(st.next_ms, when, sizeof(when)));
	} else {
		sl_buf_printf(b, "%s: not due (no schedule: on demand only)\n", job);
	}
	return 0;
}

static void run_one(struct sl_cli *cli, struct sl_lake *lake, const char *job,
		    const struct eopts *o, struct sl_buf *b, struct tally *t)
{
	struct sl_etl_result res;
	struct sl_etl_run_opts ro = {.max_objects = o->max_objects};
	struct sl_err err = {0};
	bool due = true;
	int rc = 0;

	memset(&res, 0, sizeof(res));
	if (o->json)
		sl_buf_puts(b, t->n++ ? ",\n" : "\n");
	if (stop_flag) {
		t->not_run++;
		if (o->json)
			result_json(b, 0, job, "not_run", &res, NULL);
		else
			sl_buf_printf(b, "%s: not run (stopped by a signal)\n", job);
		return;
	}
	if (o->due && (rc = check_due(lake, job, o, b, &due, &err)) == 0 && !due) {
		t->not_due++;
		return;
	}
	if (rc == 0)
		rc = sl_etl_run_job(lake, job, &ro, &res, &err);
	if (rc == 0) {
		t->committed++;
		if (o->json)
			result_json(b, 0, job, "committed", &res, NULL);
		else
			result_text(b, job, &res, false);
		return;
	}
	t->failed++;
	if (o->json) {
		result_json(b, 0, job, err.code == SL_EBUSY ? "busy" : "failed", &res, &err);
	} else {
		if (err.code == SL_EBUSY)
			sl_buf_printf(b, "%s: busy: another run of the job holds its lease\n", job);
		else if (res.run_id)
			sl_buf_printf(b, "%s: run %" PRId64 " failed after %.2fs; nothing of it was "
					 "committed (the bookmark stays at %" PRId64 ")\n",
				      job, res.run_id, (double)res.duration_ms / 1000.0,
				      res.from_seq);
		else
			sl_buf_printf(b, "%s: failed before a run began\n", job);
		/* the error itself goes to stderr, after what stdout has so far */
		sl_cli_flush(cli, b);
		fflush(cli->out);
	}
	job_error(job, &err);
}

static int do_run(struct sl_cli *cli, struct sl_lake *lake, char **names, int n_names,
		  const struct eopts *o)
{
	struct sl_etl_jobs jobs = {0};
	struct sl_err err = {0};
	struct tally t = {0};
	struct sl_buf b;
	int rc;

	if (n_names == 0) {
		if ((rc = sl_etl_jobs_list(lake, &jobs, &err)) != 0)
			return sl_cli_fail(cli, &err);
	} else {
		/* every name is checked before any job runs: a typo does not half-run a list */
		for (int i = 0; i < n_names; i++)
			if ((rc = known_job(cli, lake, names[i], false)) != 0)
				return rc;
	}
	size_t n = n_names ? (size_t)n_names : jobs.n;
	if (n == 0) {
		if (o->json)
			fputs("{\"jobs\":[],\"committed\":0,\"failed\":0,\"not_due\":0,\"not_run\":0}\n",
			      cli->out);
		else
			fputs("no ETL jobs: declare them under etl.jobs in sluice.yaml, or switch on "
			      "default jobs with etl.default_jobs\n", cli->out);
		sl_etl_jobs_release(&jobs);
		return SL_EXIT_OK;
	}

	/* A signal ends the list after the run in hand, which commits or fails as usual; a
	 * second one kills at once (a killed run is recovered by the job's next run). */
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	sl_buf_init(&b, 0);
	if (o->json)
		sl_buf_puts(&b, "{\"jobs\":[");
	for (size_t i = 0; i < n; i++) {
		const char *job = n_names ? names[i] : jobs.names[i];
		bool dup = false;
		for (size_t k = 0; n_names && k < i; k++)
			dup = dup || strcmp(names[k], job) == 0;
		if (dup)
			continue;
		run_one(cli, lake, job, o, &b, &t);
		if (!o->json) {
			sl_cli_flush(cli, &b);
			fflush(cli->out);
		}
	}
	if (o->json)
		sl_buf_printf(&b, "],\n\"committed\":%" PRId64 ",\"failed\":%" PRId64
				  ",\"not_due\":%" PRId64 ",\"not_run\":%" PRId64 "}\n",
			      t.committed, t.failed, t.not_due, t.not_run);
	else if (t.committed + t.failed + t.not_due + t.not_run > 1)
		sl_buf_printf(&b, "jobs: %" PRId64 " committed, %" PRId64 " failed, %" PRId64
				  " not due, %" PRId64 " not run\n",
			      t.committed, t.failed, t.not_due, t.not_run);
	sl_cli_flush(cli, &b);
	sl_buf_release(&b);
	sl_etl_jobs_release(&jobs);
	return t.failed || t.not_run ? SL_EXIT_FAIL : SL_EXIT_OK;
}

/* ---- schedule ---------------------------------------------------------------------------- */

/* Sleeps ms, or less when SIGTERM or SIGINT comes: they are blocked from the check of the
 * flag until pselect lets them in, so one that comes in between is not slept through.
 * Under SLUICE_TEST_NOW the sleep passes at once (util/clock.h). */
static void sched_sleep(int64_t ms)
{
	if (ms <= 0 || sl_clock_skip(ms))
		return;
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	if (!stop_flag) {
		struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
		pselect(0, NULL, NULL, NULL, &ts, &old);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
}

struct sched_tally {
	int64_t runs, committed, failed, busy;
};

/* The error of job's run without the "job JOB: " it may begin with (the line names the
 * job already). */
static const char *job_msg(const char *job, const struct sl_err *err)
{
	const char *msg = err->msg[0] ? err->msg : sl_code_name(err->code);
	size_t n = strlen(job);
	if (strncmp(msg, "job ", 4) == 0 && strncmp(msg + 4, job, n) == 0 && msg[4 + n] == ':' &&
	    msg[5 + n] == ' ')
		return msg + 6 + n;
	return msg;
}

/* One due job: runs it, logs one line (text) or one JSON object, and records the try.
 * -1 when the try could not be recorded (the job would be due again at once). */
static int sched_run(struct sl_cli *cli, struct sl_lake *lake, struct sl_etl_sched *s,
		      const char *job, const struct eopts *o, struct sched_tally *t)
{
	struct sl_etl_result res;
	struct sl_etl_run_opts ro = {.max_objects = o->max_objects};
	struct sl_err err = {0}, terr = {0};
	struct sl_buf b;
	char when[40];
	int64_t at = sl_now_ms();

	memset(&res, 0, sizeof(res));
	int rc = sl_etl_run_job(lake, job, &ro, &res, &err);
	/* tried at the start: a schedule that fired while the run ran makes it due again */
	int recorded = sl_etl_sched_tried(s, job, at, &terr);
	if (recorded != 0)
		fprintf(stderr, "sluice: etl schedule: %s (waiting %d s)\n", terr.msg,
			SCHED_MAX_SLEEP_MS / 1000);
	t->runs++;
	if (rc == 0)
		t->committed++;
	else if (err.code == SL_EBUSY)
		t->busy++;
	else
		t->failed++;
	sl_buf_init(&b, 0);
	if (o->json) {
		result_json(&b, at, job,
			    rc == 0 ? "committed" : err.code == SL_EBUSY ? "busy" : "failed", &res,
			    rc == 0 ? NULL : &err);
		sl_buf_puts(&b, "\n");
	} else {
		sl_buf_printf(&b, "%s ", sl_cli_text_time(at, when, sizeof(when)));
		const char *msg = job_msg(job, &err);
		if (rc == 0)
			result_text(&b, job, &res, true);
		else if (err.code == SL_EBUSY)
			sl_buf_printf(&b, "%s: busy (tried again at its next firing): %s\n", job,
				      msg);
		else if (res.run_id)
			sl_buf_printf(&b, "%s: run %" PRId64 " failed after %.2fs; nothing of it "
					  "was committed (the bookmark stays at %" PRId64 "; tried "
					  "again at its next firing): %s\n",
				      job, res.run_id, (double)res.duration_ms / 1000.0,
				      res.from_seq, msg);
		else
			sl_buf_printf(&b, "%s: failed before a run began (tried again at its next "
					  "firing): %s\n", job, msg);
	}
	sl_cli_flush(cli, &b);
	fflush(cli->out); /* a daemon's log is read as it is written */
	sl_buf_release(&b);
	return recorded ? -1 : 0;
}

static void sched_summary(struct sl_buf *b, const struct sched_tally *t)
{
	sl_buf_printf(b, "%" PRId64 " run%s: %" PRId64 " committed, %" PRId64 " failed, %" PRId64
			 " busy",
		      t->runs, t->runs == 1 ? "" : "s", t->committed, t->failed, t->busy);
}

/* The scheduler: plans (jobs.h), runs the due jobs one after another, sleeps until the
 * next firing (at most SCHED_MAX_SLEEP_MS), until a signal or --max-runs; --once: one
 * plan and its runs. */
static int do_schedule(struct sl_cli *cli, struct sl_lake *lake, const struct eopts *o)
{
	struct sl_etl_sched s = {0};
	struct sched_tally t = {0};
	bool plan_failed = false, started = false;
	char when[40], next[40];
	struct sl_buf b;
	if (getenv("SLUICE_TEST_NOW") && !sl_clock_faked())
		return sl_cli_usage_error(cli, "SLUICE_TEST_NOW: '%.40s' is not a time in ms since "
					       "the epoch", getenv("SLUICE_TEST_NOW"));

	/* A signal ends the scheduler after the run in hand, which commits or fails as usual:
	 * never a run killed midway on purpose. No SA_RESTART: a sleep ends at once. */
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	sl_buf_init(&b, 0);
	while (!stop_flag) {
		struct sl_etl_plan p;
		struct sl_err err = {0};
		int64_t now = sl_now_ms();
		if (sl_etl_sched_plan(lake, &s, now, SCHED_MAX_SLEEP_MS, &p, &err) != 0) {
			/* the metadata store said no (locked, gone): the scheduler goes on */
			plan_failed = true;
			if (o->once) {
				sl_cli_fail(cli, &err);
				break;
			}
			fprintf(stderr, "sluice: etl schedule: %s (trying again in %d s)\n",
				err.msg, SCHED_MAX_SLEEP_MS / 1000);
			sched_sleep(SCHED_MAX_SLEEP_MS);
			continue;
		}
		if (!o->json && !started && !o->once) {
			sl_buf_printf(&b, "%s etl schedule: %zu job%s, %zu with a schedule",
				      sl_cli_text_time(now, when, sizeof(when)), p.n_jobs,
				      p.n_jobs == 1 ? "" : "s", p.n_scheduled);
			if (p.due.n)
				sl_buf_printf(&b, "; %zu due now\n", p.due.n);
			else if (p.next_job[0])
				sl_buf_printf(&b, "; next: %s at %s\n", p.next_job,
					      sl_cli_text_time(p.next_ms, next, sizeof(next)));
			else
				sl_buf_puts(&b, "\n");
			sl_cli_flush(cli, &b);
			fflush(cli->out);
		}
		started = true;
		if (o->once && !o->json && p.due.n == 0) {
			sl_buf_printf(&b, "%s etl schedule: nothing due (%zu job%s, %zu with a "
					  "schedule",
				      sl_cli_text_time(now, when, sizeof(when)), p.n_jobs,
				      p.n_jobs == 1 ? "" : "s", p.n_scheduled);
			if (p.next_job[0])
				sl_buf_printf(&b, "; next: %s at %s", p.next_job,
					      sl_cli_text_time(p.next_ms, next, sizeof(next)));
			sl_buf_puts(&b, ")\n");
			sl_cli_flush(cli, &b);
		}
		bool ran = false, backoff = false;
		for (size_t i = 0; i < p.due.n && !stop_flag; i++) {
			if (o->max_runs && t.runs >= o->max_runs)
				break;
			if (sched_run(cli, lake, &s, p.due.names[i], o, &t) != 0)
				backoff = true;
			ran = true;
		}
		int64_t wake = p.wake_ms;
		sl_etl_plan_release(&p);
		if (o->once || (o->max_runs && t.runs >= o->max_runs))
			break;
		/* after runs, plan again at once: time has passed */
		if (backoff)
			sched_sleep(SCHED_MAX_SLEEP_MS);
		else if (!ran)
			sched_sleep(wake - sl_now_ms());
	}
	if (!o->json) {
		if (o->once) {
			if (t.runs) {
				sl_buf_printf(&b, "%s etl schedule: ",
					      sl_cli_text_time(sl_now_ms(), when, sizeof(when)));
				sched_summary(&b, &t);
				sl_buf_puts(&b, "\n");
			}
		} else {
			sl_buf_printf(&b, "%s etl schedule: stopped (%s); ",
				      sl_cli_text_time(sl_now_ms(), when, sizeof(when)),
				      stop_flag ? "a signal" : "--max-runs");
			sched_summary(&b, &t);
			sl_buf_puts(&b, "\n");
		}
		sl_cli_flush(cli, &b);
	}
	sl_buf_release(&b);
	sl_etl_sched_release(&s);
	if (o->once && (plan_failed || t.failed || t.busy))
		return SL_EXIT_FAIL;
	return SL_EXIT_OK;
}

/* ---- ls, show ---------------------------------------------------------------------------- */

static void settings_json(struct sl_buf *b, const struct sl_job_conf *c)
{
	sl_buf_puts(b, "{\"source\":");
	sl_cli_json_str(b, c->source);
	sl_buf_puts(b, ",\"target\":");
	sl_cli_json_str(b, c->target);
	sl_buf_puts(b, ",\"layout\":");
	sl_cli_json_str(b, c->layout[0] ? c->layout : "flat");
	sl_buf_puts(b, ",\"codec\":");
	sl_cli_json_str(b, c->codec[0] ? c->codec : "zstd");
	sl_buf_printf(b, ",\"level\":%" PRId64 ",\"target_file_size\":%" PRId64 ",\"schedule\":",
		      c->level, c->target_file_size);
	sl_cli_json_str(b, c->schedule);
	sl_buf_puts(b, ",\"on_error\":");
	sl_cli_json_str(b, c->on_error[0] ? c->on_error : "deadletter");
	sl_buf_puts(b, ",\"partition_by\":");
	sl_cli_json_str(b, c->partition_by);
	sl_buf_puts(b, ",\"sql\":");
	sl_cli_json_str(b, c->sql);
	/* the mapping is JSON already (config.c keeps it so) */
	sl_buf_printf(b, ",\"mapping\":%s}", c->mapping[0] ? c->mapping : "null");
}

/* What a run would write now (sl_etl_job_shape): {"transform","row","partition_keys"} or
 * {"error"}; as text, the lines of `etl show`. */
static void plan_out(struct sl_buf *b, struct sl_lake *lake, const char *job, bool json)
{
	struct sl_etl_shape p;
	struct sl_err err = {0};
	int rc = sl_etl_job_shape(lake, job, &p, &err);
	if (json && rc) {
		sl_buf_puts(b, "{\"error\":");
		sl_cli_json_str(b, err.msg);
		sl_buf_puts(b, "}");
	} else if (json) {
		sl_buf_puts(b, "{\"transform\":");
		sl_cli_json_str(b, p.transform);
		sl_buf_puts(b, ",\"row\":");
		if (p.row)
			sl_cli_json_str(b, p.row);
		else
			sl_buf_puts(b, "null");
		sl_buf_puts(b, ",\"partition_keys\":");
		sl_cli_json_str(b, p.partition_keys);
		sl_buf_puts(b, "}");
	} else if (rc) {
		sl_buf_printf(b, "output            cannot be planned: %s\n", err.msg);
	} else {
		sl_buf_printf(b, "transform         %s\n", p.transform);
		sl_buf_printf(b, "output            %s\n",
			      p.row ? p.row : "(the first run's rows decide its types)");
		sl_buf_printf(b, "partition keys    %s\n",
			      p.partition_keys[0] ? p.partition_keys : "(none)");
	}
	free(p.row);
}

static void bookmark_json(struct sl_buf *b, const struct sl_etl_job_state *st)
{
	const struct sl_etl_bookmark *bm = &st->bookmark;
	sl_buf_printf(b, "{\"seq\":%" PRId64 ",\"last_run\":%" PRId64 ",\"last_committed\":%" PRId64
			 ",\"updated\":",
		      st->has_bookmark ? bm->seq : 0, st->has_bookmark ? bm->last_run : 0,
		      st->has_bookmark ? bm->last_committed : 0);
	sl_cli_json_time(b, st->has_bookmark ? bm->updated_ms : 0);
	sl_buf_puts(b, "}");
}

static void bookmark_text(struct sl_buf *b, const struct sl_etl_job_state *st)
{
	char when[40];
	const struct sl_etl_bookmark *bm = &st->bookmark;
	if (!st->has_bookmark)
		sl_buf_puts(b, "the beginning (the job never ran)\n");
	else if (bm->last_committed == 0)
		sl_buf_printf(b, "the beginning (reset), updated %s\n",
			      sl_cli_text_time(bm->updated_ms, when, sizeof(when)));
	else
		sl_buf_printf(b, "landing sequence %" PRId64 ", where run %" PRId64
				 " ended; updated %s\n",
			      bm->seq, bm->last_committed,
			      sl_cli_text_time(bm->updated_ms, when, sizeof(when)));
}

/* ls and status: one job as a JSON object. */
static void state_json(struct sl_buf *b, const char *job, const struct sl_etl_job_state *st)
{
	const struct sl_job_conf *c = &st->conf;
	sl_buf_puts(b, "{\"job\":");
	sl_cli_json_str(b, job);
	sl_buf_printf(b, ",\"default\":%s,\"source\":", st->is_default ? "true" : "false");
	sl_cli_json_str(b, c->source);
	sl_buf_puts(b, ",\"target\":");
	sl_cli_json_str(b, c->target);
	sl_buf_puts(b, ",\"layout\":");
	sl_cli_json_str(b, c->layout[0] ? c->layout : "flat");
	sl_buf_puts(b, ",\"schedule\":");
	sl_cli_json_str(b, c->schedule);
	sl_buf_printf(b, ",\"due\":%s,\"next\":", st->due ? "true" : "false");
	sl_cli_json_time(b, st->next_ms);
	sl_buf_puts(b, ",\"bookmark\":");
	bookmark_json(b, st);
	sl_buf_puts(b, ",\"last_run\":");
	if (st->has_last)
		run_json(b, &st->last);
	else
		sl_buf_puts(b, "null");
	if (st->pending >= 0)
		sl_buf_printf(b, ",\"pending\":%" PRId64 ",\"uncrawled\":%" PRId64, st->pending,
			      st->uncrawled);
	sl_buf_puts(b, "}");
}

static const char *next_text(const struct sl_etl_job_state *st, char *buf, size_t cap)
{
	if (!st->scheduled)
		snprintf(buf, cap, "on demand");
	else if (st->due)
		snprintf(buf, cap, "due now");
	else
		sl_fmt_time(st->next_ms, buf, cap);
	return buf;
}

static const char *last_text(const struct sl_etl_job_state *st, char *buf, size_t cap)
{
	char when[40];
	if (!st->has_last)
		snprintf(buf, cap, "never ran");
	else
		snprintf(buf, cap, "%" PRId64 " %s at %s", st->last.id, st->last.state,
			 sl_cli_text_time(st->last.started_ms, when, sizeof(when)));
	return buf;
}

static int do_ls(struct sl_cli *cli, struct sl_lake *lake, const struct eopts *o)
{
	struct sl_etl_jobs jobs;
	struct sl_err err = {0};
	struct sl_buf b;
	int rc = sl_etl_jobs_list(lake, &jobs, &err);
	if (rc)
		return sl_cli_fail(cli, &err);
	int64_t now = sl_now_ms();
	sl_buf_init(&b, 0);
	if (o->json)
		sl_buf_puts(&b, "[");
	else if (jobs.n)
		sl_buf_printf(&b, "%-20s %-8s %-16s %-16s %-6s %-16s %-24s %8s  %s\n", "JOB", "KIND",
			      "SOURCE", "TARGET", "LAYOUT", "SCHEDULE", "NEXT", "BOOKMARK",
			      "LAST RUN");
	else
		sl_buf_puts(&b, "no ETL jobs: declare them under etl.jobs in sluice.yaml, or switch "
				"on default jobs with etl.default_jobs\n");
	for (size_t i = 0; i < jobs.n; i++) {
		struct sl_etl_job_state st;
		char next[40], last[80];
		if ((rc = sl_etl_job_state(lake, jobs.names[i], now, false, &st, &err)) != 0)
			break;
		if (o->json) {
			sl_buf_puts(&b, i ? ",\n" : "\n");
			state_json(&b, jobs.names[i], &st);
		} else {
			sl_buf_printf(&b, "%-20s %-8s %-16s %-16s %-6s %-16s %-24s %8" PRId64 "  %s\n",
				      jobs.names[i], st.is_default ? "default" : "job",
				      st.conf.source, st.conf.target,
				      st.conf.layout[0] ? st.conf.layout : "flat",
				      st.conf.schedule[0] ? st.conf.schedule : "''",
				      next_text(&st, next, sizeof(next)),
				      st.has_bookmark ? st.bookmark.seq : 0,
				      last_text(&st, last, sizeof(last)));
		}
		if (b.len > 65536)
			sl_cli_flush(cli, &b);
	}
	if (rc == 0) {
		if (o->json)
			sl_buf_puts(&b, "]\n");
		sl_cli_flush(cli, &b);
	}
	sl_buf_release(&b);
	sl_etl_jobs_release(&jobs);
	return rc ? sl_cli_fail(cli, &err) : SL_EXIT_OK;
}

struct runs {
	struct sl_etl_run *v;
	size_t n, cap;
};

static int runs_add(void *ctx, const struct sl_etl_run *run)
{
	struct runs *r = ctx;
	if (r->n < r->cap)
		r->v[r->n++] = *run;
	return 0;
}

static int do_show(struct sl_cli *cli, struct sl_lake *lake, const char *job,
		   const struct eopts *o)
{
	struct sl_etl_job_state st;
	struct sl_etl_run runs_v[SHOW_RUNS];
	struct runs runs = {runs_v, 0, SHOW_RUNS};
	struct sl_err err = {0};
	struct sl_meta *m = &lake->meta;
	struct sl_buf b;
	char when[40], size[32];
	int rc = known_job(cli, lake, job, false);
	if (rc)
		return rc;
	if ((rc = sl_etl_job_state(lake, job, sl_now_ms(), true, &st, &err)) != 0 ||
	    (rc = m->ops->etl_run_list(m->state, job, SHOW_RUNS, runs_add, &runs, &err)) != 0)
		return sl_cli_fail(cli, &err);
	const struct sl_job_conf *c = &st.conf;
	sl_buf_init(&b, 0);
	if (o->json) {
		sl_buf_puts(&b, "{\"job\":");
		sl_cli_json_str(&b, job);
		sl_buf_printf(&b, ",\"default\":%s,\"settings\":", st.is_default ? "true" : "false");
		settings_json(&b, c);
		sl_buf_puts(&b, ",\"plan\":");
		plan_out(&b, lake, job, true);
		sl_buf_printf(&b, ",\"due\":%s,\"next\":", st.due ? "true" : "false");
		sl_cli_json_time(&b, st.next_ms);
		sl_buf_puts(&b, ",\"bookmark\":");
		bookmark_json(&b, &st);
		sl_buf_printf(&b, ",\"pending\":%" PRId64 ",\"uncrawled\":%" PRId64 ",\"runs\":[",
			      st.pending, st.uncrawled);
		for (size_t i = 0; i < runs.n; i++) {
			sl_buf_puts(&b, i ? "," : "");
			run_json(&b, &runs.v[i]);
		}
		sl_buf_puts(&b, "]}\n");
	} else {
		sl_buf_printf(&b, "job               %s%s\n", job,
			      st.is_default ? " (a default job: etl.default_jobs)" : "");
		char table[SL_CAT_NAME_MAX];
		const char *family[1] = {c->source};
		if (sl_cat_table_name(family, 1, table, sizeof(table), NULL) != 0)
			snprintf(table, sizeof(table), "?");
		sl_buf_printf(&b, "source            raw.%s (the family %s)\n", table, c->source);
		sl_buf_printf(&b, "target            curated.%s\n", c->target);
		sl_buf_printf(&b, "layout            %s\n", c->layout[0] ? c->layout : "flat");
		sl_buf_printf(&b, "codec             %s", c->codec[0] ? c->codec : "zstd");
		if (c->level)
			sl_buf_printf(&b, " (level %" PRId64 ")\n", c->level);
		else
			sl_buf_puts(&b, " (its default level)\n");
		sl_cli_human_bytes(c->target_file_size, size, sizeof(size));
		sl_buf_printf(&b, "target_file_size  %s\n", size);
		if (c->schedule[0])
			sl_buf_printf(&b, "schedule          %s (UTC; next %s%s)\n", c->schedule,
				      sl_cli_text_time(st.next_ms, when, sizeof(when)),
				      st.due ? ", and due now" : "");
		else
			sl_buf_puts(&b, "schedule          '' (on demand only)\n");
		sl_buf_printf(&b, "on_error          %s\n",
			      c->on_error[0] ? c->on_error : "deadletter");
		sl_buf_printf(&b, "partition_by      %s\n",
			      c->partition_by[0] ? c->partition_by : "'' (the source's partitions)");
		if (c->sql[0])
			sl_buf_printf(&b, "sql               %s\n", c->sql);
		else if (c->mapping[0])
			sl_buf_printf(&b, "mapping           %s\n", c->mapping);
		plan_out(&b, lake, job, false);
		sl_buf_puts(&b, "bookmark          ");
		bookmark_text(&b, &st);
		sl_buf_printf(&b, "pending           %" PRId64 " object%s", st.pending,
			      st.pending == 1 ? "" : "s");
		if (st.uncrawled)
			sl_buf_printf(&b, " (%" PRId64 " not catalogued yet)", st.uncrawled);
		sl_buf_puts(&b, "\n");
		if (runs.n) {
			sl_buf_printf(&b, "\nthe last %zu run%s\n%s", runs.n, runs.n == 1 ? "" : "s",
				      run_head);
			for (size_t i = 0; i < runs.n; i++)
				run_text(&b, &runs.v[i]);
		}
	}
	sl_cli_flush(cli, &b);
	sl_buf_release(&b);
	return SL_EXIT_OK;
}

/* ---- history ------------------------------------------------------------------------------ */

struct hist {
	struct sl_cli *cli;
	struct sl_buf b;
	bool json;
	int n;
};

static int hist_one(void *ctx, const struct sl_etl_run *run)
{
	struct hist *h = ctx;
	if (h->json) {
		sl_buf_puts(&h->b, h->n ? ",\n" : "\n");
		run_json(&h->b, run);
	} else {
		if (h->n == 0)
			sl_buf_puts(&h->b, run_head);
		run_text(&h->b, run);
	}
	h->n++;
	if (h->b.len > 65536)
		sl_cli_flush(h->cli, &h->b);
	return 0;
}

static int do_history(struct sl_cli *cli, struct sl_lake *lake, const char *job,
		      const struct eopts *o)
{
	struct sl_meta *m = &lake->meta;
	struct sl_err err = {0};
	struct hist h = {.cli = cli, .json = o->json};
	int rc = known_job(cli, lake, job, true);
	if (rc)
		return rc;
	sl_buf_init(&h.b, 0);
	if (h.json)
		sl_buf_puts(&h.b, "[");
	rc = m->ops->etl_run_list(m->state, job, o->limit, hist_one, &h, &err);
	if (rc == 0) {
		if (h.json)
			sl_buf_puts(&h.b, "]\n");
		else if (h.n == 0)
			sl_buf_printf(&h.b, "job %s has not run yet\n", job);
		sl_cli_flush(cli, &h.b);
	}
	sl_buf_release(&h.b);
	return rc ? sl_cli_fail(cli, &err) : SL_EXIT_OK;
}

/* ---- bookmark show | reset | rewind -------------------------------------------------------- */

static int bookmark_show(struct sl_cli *cli, struct sl_lake *lake, const char *job,
			 const struct eopts *o)
{
	struct sl_etl_job_state st;
	struct sl_err err = {0};
	struct sl_job_conf conf;
	struct sl_meta *m = &lake->meta;
	int rc;
	memset(&st, 0, sizeof(st));
	if (sl_config_job(&lake->cfg, job, &conf)) {
		rc = sl_etl_job_state(lake, job, sl_now_ms(), true, &st, &err);
	} else {
		/* a job no longer in sluice.yaml: what the store has */
		st.pending = st.uncrawled = -1;
		rc = m->ops->etl_bookmark_get(m->state, job, &st.bookmark, &err);
		st.has_bookmark = rc == 0;
	}
	if (rc)
		return sl_cli_fail(cli, &err);
	struct sl_buf b;
	sl_buf_init(&b, 0);
	if (o->json) {
		sl_buf_puts(&b, "{\"job\":");
		sl_cli_json_str(&b, job);
		sl_buf_puts(&b, ",\"bookmark\":");
		bookmark_json(&b, &st);
		if (st.pending >= 0)
			sl_buf_printf(&b, ",\"pending\":%" PRId64 ",\"uncrawled\":%" PRId64,
				      st.pending, st.uncrawled);
		else
			sl_buf_puts(&b, ",\"pending\":null,\"uncrawled\":null");
		sl_buf_puts(&b, "}\n");
	} else {
		sl_buf_printf(&b, "%s: bookmark at ", job);
		bookmark_text(&b, &st);
		if (st.pending >= 0) {
			sl_buf_printf(&b, "%s: %" PRId64 " object%s pending", job, st.pending,
				      st.pending == 1 ? "" : "s");
			if (st.uncrawled)
				sl_buf_printf(&b, " (%" PRId64 " not catalogued yet)", st.uncrawled);
			sl_buf_puts(&b, "\n");
		}
	}
	sl_cli_flush(cli, &b);
	sl_buf_release(&b);
	return SL_EXIT_OK;
}

static int bookmark_move(struct sl_cli *cli, struct sl_lake *lake, const char *job,
			 int64_t to_run, const struct eopts *o)
{
	struct sl_err err = {0};
	struct sl_meta *m = &lake->meta;
	struct sl_etl_bookmark bm = {0};
	int64_t removed = 0;
	int rc = sl_etl_rewind(lake, job, to_run, &removed, &err);
	if (rc) {
		job_error(job, &err);
		return err.code == SL_EUSAGE ? SL_EXIT_USAGE : SL_EXIT_FAIL;
	}
	rc = m->ops->etl_bookmark_get(m->state, job, &bm, &err);
	if (rc && rc != SL_ENOENT)
		return sl_cli_fail(cli, &err);
	if (o->json) {
		struct sl_buf b;
		sl_buf_init(&b, 0);
		sl_buf_puts(&b, "{\"job\":");
		sl_cli_json_str(&b, job);
		sl_buf_printf(&b, ",\"to_run\":%" PRId64 ",\"seq\":%" PRId64 ",\"removed\":%" PRId64
				  "}\n",
			      to_run, bm.seq, removed);
		sl_cli_flush(cli, &b);
		sl_buf_release(&b);
	} else if (to_run == 0) {
		fprintf(cli->out, "%s: reset: the bookmark is at the beginning; %" PRId64
				  " file%s of its runs retired and removed\n",
			job, removed, removed == 1 ? "" : "s");
	} else {
		fprintf(cli->out, "%s: rewound to after run %" PRId64 ": the bookmark is at landing "
				  "sequence %" PRId64 "; %" PRId64 " file%s of later runs retired and "
				  "removed\n",
			job, to_run, bm.seq, removed, removed == 1 ? "" : "s");
	}
	return SL_EXIT_OK;
}

/* ---- the ETL part of `sluice status` ------------------------------------------------------- */

int sl_cli_etl_status(struct sl_lake *lake, struct sl_buf *b, bool json, struct sl_err *err)
{
	struct sl_etl_jobs jobs;
	int rc = sl_etl_jobs_list(lake, &jobs, err);
	if (rc)
		return rc;
	int64_t now = sl_now_ms();
	if (json)
		sl_buf_puts(b, "[");
	else if (jobs.n == 0)
		sl_buf_puts(b, "  (no jobs: see etl in sluice.yaml)\n");
	for (size_t i = 0; i < jobs.n; i++) {
		struct sl_etl_job_state st;
		char last[80];
		if ((rc = sl_etl_job_state(lake, jobs.names[i], now, true, &st, err)) != 0)
			break;
		if (json) {
			sl_buf_puts(b, i ? "," : "");
			state_json(b, jobs.names[i], &st);
			continue;
		}
		sl_buf_printf(b, "  %-20s bookmark %" PRId64 ", %" PRId64 " pending", jobs.names[i],
			      st.has_bookmark ? st.bookmark.seq : 0, st.pending);
		if (st.uncrawled)
			sl_buf_printf(b, " (%" PRId64 " not catalogued yet)", st.uncrawled);
		sl_buf_printf(b, ", last run %s\n", last_text(&st, last, sizeof(last)));
		if (st.has_last && st.last.error[0])
			sl_buf_printf(b, "  %-20s error: %s\n", "", st.last.error);
	}
	if (json && rc == 0)
		sl_buf_puts(b, "]");
	sl_etl_jobs_release(&jobs);
	return rc;
}

/* ---- the command --------------------------------------------------------------------------- */

static int run_etl(struct sl_cli *cli, int argc, char **argv)
{
	static const struct option lo[] = {
		SL_CLI_COMMON_OPTS,
		{"json", no_argument, NULL, 'j'},
		{"due", no_argument, NULL, 'd'},
		{"max-objects", required_argument, NULL, 'm'},
		{"limit", required_argument, NULL, 'n'},
		{"to-run", required_argument, NULL, 't'},
		{"once", no_argument, NULL, 'o'},
		{"max-runs", required_argument, NULL, 'r'},
		{0},
	};
	struct eopts o = {0};
	long long n;
	int c;
	while ((c = sl_cli_getopt(cli, argc, argv, "", lo)) != -1) {
		switch (c) {
		case 'h': return SL_EXIT_OK;
		case 'j': o.json = true; o.given |= O_JSON; break;
		case 'd': o.due = true; o.given |= O_DUE; break;
		case 'm':
			if (sl_cli_parse_count(cli, "--max-objects", optarg, INT64_MAX, &n))
				return SL_EXIT_USAGE;
			if (n < 1)
				return sl_cli_usage_error(cli, "--max-objects must be 1 or more");
			o.max_objects = n;
			o.given |= O_MAX_OBJECTS;
			break;
		case 'n':
			if (sl_cli_parse_count(cli, "--limit", optarg, HISTORY_MAX, &n))
				return SL_EXIT_USAGE;
			if (n < 1)
				return sl_cli_usage_error(cli, "--limit must be 1 or more");
			o.limit = n;
			o.given |= O_LIMIT;
			break;
		case 't':
			if (sl_cli_parse_count(cli, "--to-run", optarg, INT64_MAX, &n))
				return SL_EXIT_USAGE;
			o.to_run = n;
			o.given |= O_TO_RUN;
			break;
		case 'o': o.once = true; o.given |= O_ONCE; break;
		case 'r':
			if (sl_cli_parse_count(cli, "--max-runs", optarg, INT64_MAX, &n))
				return SL_EXIT_USAGE;
			if (n < 1)
				return sl_cli_usage_error(cli, "--max-runs must be 1 or more");
			o.max_runs = n;
			o.given |= O_MAX_RUNS;
			break;
		default: return SL_EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return sl_cli_usage_error(cli, "expected run, schedule, ls, show, history or "
					       "bookmark");
	const char *sub = argv[optind++];
	/* subcommands as "run", "bookmark show", ...: what each takes */
	static const struct {
		const char *name, *sub;
		unsigned allowed;
		int min_jobs, max_jobs;
	} subs[] = {
		{"run", NULL, O_JSON | O_DUE | O_MAX_OBJECTS, 0, 1 << 20},
		{"schedule", NULL, O_JSON | O_ONCE | O_MAX_RUNS | O_MAX_OBJECTS, 0, 0},
		{"ls", NULL, O_JSON, 0, 0},
		{"show", NULL, O_JSON, 1, 1},
		{"history", NULL, O_JSON | O_LIMIT, 1, 1},
		{"bookmark", "show", O_JSON, 1, 1},
		{"bookmark", "reset", O_JSON, 1, 1},
		{"bookmark", "rewind", O_JSON | O_TO_RUN, 1, 1},
	};
	const size_t n_subs = sizeof(subs) / sizeof(subs[0]);
	size_t k;
	for (k = 0; k < n_subs; k++)
		if (strcmp(sub, subs[k].name) == 0)
			break;
	if (k == n_subs)
		return sl_cli_usage_error(cli, "unknown subcommand '%.40s' (run, schedule, ls, "
					       "show, history or bookmark)", sub);
	char what[40];
	snprintf(what, sizeof(what), "%s", sub);
	if (strcmp(sub, "bookmark") == 0) {
		if (optind >= argc)
			return sl_cli_usage_error(cli, "bookmark: expected show, reset or rewind");
		const char *sub2 = argv[optind++];
		for (; k < n_subs && strcmp(subs[k].name, "bookmark") == 0; k++)
			if (strcmp(subs[k].sub, sub2) == 0)
				break;
		if (k == n_subs)
			return sl_cli_usage_error(cli, "bookmark: unknown subcommand '%.40s' (show, "
						       "reset or rewind)", sub2);
		snprintf(what, sizeof(what), "bookmark %s", sub2);
	}
	for (size_t i = 0; i < sizeof(opt_names) / sizeof(opt_names[0]); i++)
		if ((o.given & (1u << i)) && !(subs[k].allowed & (1u << i)))
			return sl_cli_usage_error(cli, "%s does not take %s", what, opt_names[i]);
	int n_args = argc - optind;
	if (subs[k].max_jobs == 0 && n_args)
		return sl_cli_usage_error(cli, "unexpected argument '%.300s'", argv[optind]);
	if (subs[k].min_jobs == 1 && subs[k].max_jobs == 1 && n_args != 1)
		return sl_cli_usage_error(cli, "%s takes one JOB", what);
	if (n_args > subs[k].max_jobs)
		return sl_cli_usage_error(cli, "too many jobs");
	if (subs[k].allowed & O_TO_RUN && !(o.given & O_TO_RUN))
		return sl_cli_usage_error(cli, "%s needs --to-run N (0: the beginning, as reset)",
					  what);

	struct sl_lake *lake;
	int rc = sl_cli_open_lake(cli, &lake);
	if (rc)
		return rc;
	const char *job = n_args ? argv[optind] : NULL;
	if (strcmp(sub, "run") == 0)
		rc = do_run(cli, lake, argv + optind, n_args, &o);
	else if (strcmp(sub, "schedule") == 0)
		rc = do_schedule(cli, lake, &o);
	else if (strcmp(sub, "ls") == 0)
		rc = do_ls(cli, lake, &o);
	else if (strcmp(sub, "show") == 0)
		rc = do_show(cli, lake, job, &o);
	else if (strcmp(sub, "history") == 0)
		rc = do_history(cli, lake, job, &o);
	else if ((rc = known_job(cli, lake, job, true)) != 0)
		; /* said why */
	else if (strcmp(subs[k].sub, "show") == 0)
		rc = bookmark_show(cli, lake, job, &o);
	else
		rc = bookmark_move(cli, lake, job, strcmp(subs[k].sub, "reset") ? o.to_run : 0, &o);
	sl_lake_close(lake);
	return rc;
}

const struct sl_cmd sl_cmd_etl = {
	"etl", "run ETL jobs (raw -> curated Parquet), list them, their runs and bookmarks",
	"usage: sluice etl run [JOB...] [--due] [--max-objects N] [--json]\n"
	"       sluice etl schedule [--once] [--max-runs N] [--max-objects N] [--json]\n"
	"       sluice etl ls [--json]\n"
	"       sluice etl show JOB [--json]\n"
	"       sluice etl history JOB [--limit N] [--json]\n"
	"       sluice etl bookmark show JOB [--json]\n"
	"       sluice etl bookmark reset JOB [--json]\n"
	"       sluice etl bookmark rewind JOB --to-run N [--json]\n"
	"\n"
	"A job (etl in sluice.yaml; docs/etl.md) reads the raw objects of its source table\n"
	"that arrived since its bookmark and commits them as Parquet files of its curated\n"
	"table, together with the new bookmark, or commits nothing.\n"
	"  run       runs the JOBs (default: every job) one after another and prints what\n"
	"            each run did; --due: only the jobs whose schedule fired since their\n"
	"            last run; --max-objects N: read at most N source objects per run.\n"
	"            SIGTERM or SIGINT ends the list after the run in hand.\n"
	"  schedule  runs in the foreground: every job that is due by its schedule (UTC),\n"
	"            one after another, then sleeps until the next firing of any job (at\n"
	"            most 60 s: new default jobs are seen); one line per run (--json: one\n"
	"            JSON object per run, as 'run --json' gives per job). A job that fails\n"
	"            or is busy is tried again at its next firing. SIGTERM or SIGINT stops\n"
	"            it after the run in hand (exit 0). --once: run what is due now and\n"
	"            exit (for cron; exit as 'run'); --max-runs N: stop after N runs.\n"
	"  ls        every job: source, target, layout, schedule, next time due, bookmark,\n"
	"            last run\n"
	"  show      a job's settings, bookmark, pending objects and its last 5 runs\n"
	"  history   a job's runs, newest first, with their counts and errors\n"
	"  bookmark  show: where the job's bookmark is and what is pending;\n"
	"            reset: back to the beginning; rewind --to-run N: back to where run N\n"
	"            ended. Both retire the data files of the undone runs, so that running\n"
	"            again writes those records exactly once.\n"
	"Exit 0 when every job run committed, 2 when one failed or was busy (the others\n"
	"still run) or the job or lake is unknown, 1 for a usage error.\n",
	run_etl,
};
