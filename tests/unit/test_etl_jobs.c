/*
 * test_etl_jobs.c - etl/jobs.h on scratch lakes: the list of jobs (declared ones in the
 * file's order, default ones of etl.default_jobs and of ['*'] from the catalog, a family
 * a declared job reads left out, each name once); a job's schedule state (never due
 * without a schedule; due from the lake's creation when it never ran; not due again until
 * the schedule fires after its newest run; next firing) judged at chosen times; the
 * pending count (all objects past the bookmark, those not catalogued yet, before the
 * crawler made the table); the lake's creation time; the scheduler's plan (due jobs in
 * list order, a try counting as a run, the wake-up at the earliest firing or the cap,
 * tries of jobs that are gone dropped); a run's dead letter read line by line (its key,
 * each field, the record's text whatever its kind and place, lines that are not entries,
 * a limit of lines, a stop, a broken file).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "crawl/crawl.h"
#include "etl/jobs.h"
#include "etl/run.h"
#include "helpers.h"
#include "lake/lake.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/clock.h"

struct fx {
	char *dir;
	struct sl_lake *lake;
	struct sl_crawl_stage *st;
};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct sl_err err = {0};
	fx->lake = th_lake_new("etljobs", &fx->dir);
	assert_int_equal(sl_crawl_stage_open(fx->lake, &fx->st, &err), 0);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	sl_crawl_stage_close(fx->st);
	sl_lake_close(fx->lake);
	th_rmtree_free(fx->dir);
	free(fx);
	return 0;
}

static struct sl_job_conf *job_add(struct sl_config *cfg, const char *name, const char *source,
				   const char *target, const char *schedule)
{
	struct sl_etl_conf *ec = &cfg->etl;
	struct sl_job_conf *j = &ec->jobs[ec->n_jobs++];
	*j = ec->defaults;
	snprintf(j->name, sizeof(j->name), "%s", name);
	snprintf(j->source, sizeof(j->source), "%s", source);
	snprintf(j->target, sizeof(j->target), "%s", target);
	snprintf(j->schedule, sizeof(j->schedule), "%s", schedule);
	return j;
}

static void default_job(struct sl_config *cfg, const char *family)
{
	struct sl_etl_conf *ec = &cfg->etl;
	snprintf(ec->default_jobs[ec->n_default_jobs++], SL_CONFIG_SUBJECT_MAX, "%s", family);
}

static void raw_put(struct fx *fx, const char *key, const char *text)
{
	struct sl_object o;
	struct sl_err err = {0};
	if (sl_store_put_mem(&fx->lake->store, "raw", key, text, strlen(text), NULL, &o, &err) != 0)
		fail_msg("put %s: %s", key, err.msg);
}

static void crawl(struct fx *fx)
{
	struct sl_crawl_run_opts o = {.drain = true, .batch_wait_ms = 0};
	struct sl_crawl_result r;
	struct sl_err err = {0};
	if (sl_crawl_run(fx->st, &o, &r, &err) != 0)
		fail_msg("crawl: %s", err.msg);
}

static void list_is(struct fx *fx, const char *const *want, size_t n)
{
	struct sl_etl_jobs jobs;
	struct sl_err err = {0};
	if (sl_etl_jobs_list(fx->lake, &jobs, &err) != 0)
		fail_msg("list: %s", err.msg);
	if (jobs.n != n) {
		for (size_t i = 0; i < jobs.n; i++)
			print_message("job %s\n", jobs.names[i]);
		fail_msg("%zu jobs, expected %zu", jobs.n, n);
	}
	for (size_t i = 0; i < n; i++)
		assert_string_equal(jobs.names[i], want[i]);
	sl_etl_jobs_release(&jobs);
}

static void test_list(void **state)
{
	struct fx *fx = *state;
	struct sl_config *cfg = &fx->lake->cfg;

	list_is(fx, NULL, 0); /* no etl section: no jobs */
	job_add(cfg, "orders_daily", "orders", "orders_c", "0 2 * * *");
	job_add(cfg, "a_first", "logs", "logs_c", "");
	default_job(cfg, "clicks");
	default_job(cfg, "orders");   /* read by orders_daily: no default job */
	default_job(cfg, "Web-Logs");
	static const char *const want[] = {"orders_daily", "a_first", "clicks", "Web-Logs"};
	list_is(fx, want, 4);

	/* ['*']: the family of every raw table, once, after the declared jobs */
	cfg->etl.n_default_jobs = 0;
	default_job(cfg, "*");
	raw_put(fx, "clicks/dt=2026-01-01/a.ndjson", "{\"id\":1}\n");
	raw_put(fx, "orders/b.ndjson", "{\"id\":2}\n");
	raw_put(fx, "Web-Logs/c.ndjson", "{\"id\":3}\n");
	raw_put(fx, "logs/d.ndjson", "{\"id\":4}\n"); /* read by a_first */
	crawl(fx);
	struct sl_etl_jobs jobs;
	struct sl_err err = {0};
	assert_int_equal(sl_etl_jobs_list(fx->lake, &jobs, &err), 0);
	assert_int_equal(jobs.n, 4);
	assert_string_equal(jobs.names[0], "orders_daily");
	assert_string_equal(jobs.names[1], "a_first");
	bool clicks = false, web = false;
	for (size_t i = 2; i < jobs.n; i++) {
		clicks = clicks || strcmp(jobs.names[i], "clicks") == 0;
		web = web || strcmp(jobs.names[i], "Web-Logs") == 0;
	}
	assert_true(clicks && web);
	/* every name is a job sl_config_job resolves */
	for (size_t i = 0; i < jobs.n; i++) {
		struct sl_job_conf c;
		assert_non_null(sl_config_job(cfg, jobs.names[i], &c));
	}
	sl_etl_jobs_release(&jobs);
	sl_etl_jobs_release(NULL);
}

/* Sets the lake's creation time (the time of .sluice/format). */
static void set_created(struct fx *fx, int64_t ms)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/.sluice/format", fx->dir);
	struct timespec ts[2] = {{ms / 1000, (ms % 1000) * 1000000}, {ms / 1000,
								   (ms % 1000) * 1000000}};
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
	assert_int_equal(sl_lake_created_ms(fx->lake), ms);
}

static struct sl_etl_job_state state_at(struct fx *fx, const char *job, int64_t now)
{
	struct sl_etl_job_state st;
	struct sl_err err = {0};
	if (sl_etl_job_state(fx->lake, job, now, false, &st, &err) != 0)
		fail_msg("state %s: %s", job, err.msg);
	return st;
}

#define HOUR ((int64_t)3600 * 1000)

static void test_due(void **state)
{
	struct fx *fx = *state;
	struct sl_config *cfg = &fx->lake->cfg;
	struct sl_err err = {0};
	int64_t now = sl_now_ms();
	assert_true(sl_lake_created_ms(fx->lake) > now - 60000);
	assert_true(sl_lake_created_ms(fx->lake) <= now);

	job_add(cfg, "hourly", "clicks", "clicks", "0 * * * *");
	job_add(cfg, "manual", "orders", "orders", "");
	default_job(cfg, "events");
	int64_t created = 1767225600000 + 30 * 60000; /* 2026-01-01T00:30:00Z */
	set_created(fx, created);

	/* never ran: due once the schedule fired after the lake was created */
	struct sl_etl_job_state st = state_at(fx, "hourly", created + 29 * 60000);
	assert_false(st.due);
	assert_true(st.scheduled);
	assert_false(st.has_last);
	assert_false(st.has_bookmark);
	assert_false(st.is_default);
	assert_int_equal(st.next_ms, created + 30 * 60000);
	assert_int_equal(st.pending, -1); /* not counted */
	st = state_at(fx, "hourly", created + 30 * 60000);
	assert_true(st.due);
	assert_int_equal(st.next_ms, created + 90 * 60000);

	/* no schedule: never due, no next */
	st = state_at(fx, "manual", created + 100 * HOUR);
	assert_false(st.due);
	assert_false(st.scheduled);
	assert_int_equal(st.next_ms, 0);

	/* a default job has the defaults' schedule (daily at 02:00) */
	st = state_at(fx, "events", created);
	assert_true(st.is_default);
	assert_string_equal(st.conf.schedule, "0 2 * * *");
	assert_int_equal(st.next_ms, created + 90 * 60000);

	/* after a run (it fails: no raw table; it is still the newest run) the schedule
	 * counts from the run's start */
	assert_int_equal(sl_etl_run_job(fx->lake, "hourly", NULL, NULL, &err), SL_ENOENT);
	st = state_at(fx, "hourly", sl_now_ms());
	assert_true(st.has_last);
	assert_string_equal(st.last.state, SL_RUN_FAILED);
	int64_t started = st.last.started_ms;
	int64_t fire = (started / HOUR + 1) * HOUR;
	assert_false(state_at(fx, "hourly", fire - 1).due);
	assert_int_equal(state_at(fx, "hourly", fire - 1).next_ms, fire);
	assert_true(state_at(fx, "hourly", fire).due);

	/* a job that is not there */
	assert_int_equal(sl_etl_job_state(fx->lake, "nope", now, false, &st, &err), SL_ENOENT);
	assert_non_null(strstr(err.msg, "no ETL job nope"));
}

static void test_pending(void **state)
{
	struct fx *fx = *state;
	struct sl_config *cfg = &fx->lake->cfg;
	struct sl_err err = {0};
	int64_t pending = -1, uncrawled = -1;
	struct sl_job_conf *j = job_add(cfg, "c", "clicks", "clicks_c", "");

	/* before the crawler made the table: the family's folder */
	raw_put(fx, "clicks/dt=2026-01-01/a.ndjson", "{\"id\":1,\"ts\":\"2026-01-01T00:00:00Z\"}\n");
	raw_put(fx, "clicksx/a.ndjson", "{\"id\":9}\n"); /* another family, same letters */
	assert_int_equal(sl_etl_pending_count(fx->lake, j, 0, &pending, &uncrawled, &err), 0);
	assert_int_equal(pending, 1);
	assert_int_equal(uncrawled, 1);

	crawl(fx);
	raw_put(fx, "clicks/dt=2026-01-02/b.ndjson", "{\"id\":2,\"ts\":\"2026-01-02T00:00:00Z\"}\n");
	struct sl_etl_job_state st;
	assert_int_equal(sl_etl_job_state(fx->lake, "c", sl_now_ms(), true, &st, &err), 0);
	assert_int_equal(st.pending, 2);
	assert_int_equal(st.uncrawled, 1);

	/* a run reads the catalogued one and waits before the other */
	struct sl_etl_result res;
	assert_int_equal(sl_etl_run_job(fx->lake, "c", NULL, &res, &err), 0);
	assert_int_equal(res.objects, 1);
	assert_true(res.waiting);
	assert_int_equal(sl_etl_job_state(fx->lake, "c", sl_now_ms(), true, &st, &err), 0);
	assert_true(st.has_bookmark);
	assert_int_equal(st.bookmark.seq, res.to_seq);
	assert_int_equal(st.pending, 1);
	assert_int_equal(st.uncrawled, 1);
	crawl(fx);
	assert_int_equal(sl_etl_job_state(fx->lake, "c", sl_now_ms(), true, &st, &err), 0);
	assert_int_equal(st.uncrawled, 0);
	assert_int_equal(st.pending, 1);
	assert_int_equal(sl_etl_run_job(fx->lake, "c", NULL, &res, &err), 0);
	assert_int_equal(sl_etl_pending_count(fx->lake, j, res.to_seq, &pending, NULL, &err), 0);
	assert_int_equal(pending, 0);
}

static struct sl_etl_plan plan_at(struct fx *fx, struct sl_etl_sched *s, int64_t now,
				   int64_t max_sleep)
{
	struct sl_etl_plan p;
	struct sl_err err = {0};
	if (sl_etl_sched_plan(fx->lake, s, now, max_sleep, &p, &err) != 0)
		fail_msg("plan: %s", err.msg);
	return p;
}

/* The plan's due jobs are exactly want (in order). */
static void due_is(const struct sl_etl_plan *p, const char *const *want, size_t n)
{
	if (p->due.n != n) {
		for (size_t i = 0; i < p->due.n; i++)
			print_message("due %s\n", p->due.names[i]);
		fail_msg("%zu jobs due, expected %zu", p->due.n, n);
	}
	for (size_t i = 0; i < n; i++)
		assert_string_equal(p->due.names[i], want[i]);
}

#define MIN ((int64_t)60 * 1000)

static void test_plan(void **state)
{
	struct fx *fx = *state;
	struct sl_config *cfg = &fx->lake->cfg;
	struct sl_etl_sched s = {0};
	struct sl_etl_plan p;
	struct sl_err err = {0};
	static const char *const hourly[] = {"hourly"};
	static const char *const both[] = {"hourly", "events"};

	job_add(cfg, "hourly", "clicks", "clicks", "0 * * * *");
	job_add(cfg, "manual", "orders", "orders", "");
	default_job(cfg, "events"); /* daily at 02:00 */
	int64_t created = 1767225600000 + 30 * MIN; /* 2026-01-01T00:30:00Z */
	set_created(fx, created);

	/* nothing fired yet: wake at the first firing, or at the cap when it is nearer */
	p = plan_at(fx, &s, created + 10 * MIN, HOUR);
	due_is(&p, NULL, 0);
	assert_int_equal(p.n_jobs, 3);
	assert_int_equal(p.n_scheduled, 2);
	assert_int_equal(p.wake_ms, created + 30 * MIN);
	assert_int_equal(p.next_ms, created + 30 * MIN);
	assert_string_equal(p.next_job, "hourly");
	sl_etl_plan_release(&p);
	p = plan_at(fx, &s, created + 10 * MIN, MIN);
	due_is(&p, NULL, 0);
	assert_int_equal(p.wake_ms, created + 11 * MIN);
	assert_int_equal(p.next_ms, created + 30 * MIN);
	assert_string_equal(p.next_job, "hourly");
	sl_etl_plan_release(&p);

	/* 01:00: hourly fired since the lake was made; wake now */
	int64_t one = created + 30 * MIN;
	p = plan_at(fx, &s, one, MIN);
	due_is(&p, hourly, 1);
	assert_int_equal(p.wake_ms, one);
	assert_int_equal(p.next_ms, created + 90 * MIN); /* events, at 02:00 */
	assert_string_equal(p.next_job, "events");
	sl_etl_plan_release(&p);

	/* tried at 01:00 (busy: no run left behind): not due again until 02:00, when both
	 * jobs are, in the list's order */
	assert_int_equal(sl_etl_sched_tried(&s, "hourly", one, &err), 0);
	assert_int_equal(s.n, 1);
	p = plan_at(fx, &s, one + 30 * 1000, HOUR);
	due_is(&p, NULL, 0);
	assert_int_equal(p.wake_ms, one + HOUR);
	assert_string_equal(p.next_job, "hourly"); /* the first of the two firing then */
	sl_etl_plan_release(&p);
	p = plan_at(fx, &s, one + HOUR - 1, 2 * HOUR);
	due_is(&p, NULL, 0);
	assert_int_equal(p.wake_ms, one + HOUR);
	sl_etl_plan_release(&p);
	p = plan_at(fx, &s, one + HOUR, MIN);
	due_is(&p, both, 2);
	sl_etl_plan_release(&p);
	/* a missed firing is one run, however many were missed */
	p = plan_at(fx, &s, one + 5 * HOUR + 7 * MIN, MIN);
	due_is(&p, both, 2);
	sl_etl_plan_release(&p);
	/* an older try does not move a newer one back */
	assert_int_equal(sl_etl_sched_tried(&s, "hourly", one + HOUR, &err), 0);
	assert_int_equal(sl_etl_sched_tried(&s, "events", one + HOUR, &err), 0);
	assert_int_equal(sl_etl_sched_tried(&s, "hourly", one, &err), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.tries[0].job, "events"); /* by name */
	p = plan_at(fx, &s, one + HOUR + MIN, MIN);
	due_is(&p, NULL, 0);
	sl_etl_plan_release(&p);

	/* a job taken out of the configuration: its try is forgotten */
	cfg->etl.n_default_jobs = 0;
	p = plan_at(fx, &s, one + HOUR + MIN, MIN);
	assert_int_equal(p.n_jobs, 2);
	assert_int_equal(p.n_scheduled, 1);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.tries[0].job, "hourly");
	sl_etl_plan_release(&p);

	/* a run newer than the try counts from its start (the run fails: no raw table) */
	assert_int_equal(sl_etl_run_job(fx->lake, "hourly", NULL, NULL, &err), SL_ENOENT);
	struct sl_etl_job_state st = state_at(fx, "hourly", sl_now_ms());
	int64_t fire = (st.last.started_ms / HOUR + 1) * HOUR;
	p = plan_at(fx, &s, fire - 1, 2 * HOUR);
	due_is(&p, NULL, 0);
	assert_int_equal(p.wake_ms, fire);
	sl_etl_plan_release(&p);
	p = plan_at(fx, &s, fire, MIN);
	due_is(&p, hourly, 1);
	sl_etl_plan_release(&p);
	/* ... and a try newer than the run from the try */
	assert_int_equal(sl_etl_sched_tried(&s, "hourly", fire + MIN, &err), 0);
	p = plan_at(fx, &s, fire + 2 * MIN, 2 * HOUR);
	due_is(&p, NULL, 0);
	assert_int_equal(p.wake_ms, fire + HOUR);
	sl_etl_plan_release(&p);

	/* bad arguments */
	assert_int_equal(sl_etl_sched_plan(fx->lake, &s, fire, 0, &p, &err), SL_EINVAL);
	assert_int_equal(sl_etl_sched_plan(fx->lake, &s, INT64_MAX - 5, MIN, &p, &err),
			 SL_EINVAL);
	char longname[SL_JOB_MAX + 8];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(sl_etl_sched_tried(&s, longname, fire, &err), SL_EINVAL);
	sl_etl_plan_release(NULL);
	sl_etl_sched_release(&s);
	assert_int_equal(s.n, 0);
	sl_etl_sched_release(NULL);
}

struct entries {
	int n, stop_at;
	char text[16][256]; /* "dl_line|object|line|error|record" or "dl_line|!problem" */
};

static int entry_one(void *ctx, const struct sl_etl_refused *r)
{
	struct entries *e = ctx;
	assert_true(e->n < 16);
	if (r->problem) {
		assert_null(r->record);
		assert_string_equal(r->object, "");
		snprintf(e->text[e->n++], 256, "%" PRId64 "|!%s", r->dl_line, r->problem);
	} else {
		snprintf(e->text[e->n++], 256, "%" PRId64 "|%.60s|%" PRId64 "|%.60s|%.*s",
			 r->dl_line, r->object, r->line, r->error, (int)r->record_len, r->record);
	}
	return e->n == e->stop_at ? 7 : 0;
}

/* A long error is cut at a character's start and ends in "...". */
static int long_error(void *ctx, const struct sl_etl_refused *r)
{
	size_t n = strlen(r->error);
	assert_null(r->problem);
	assert_true(n < sizeof(r->error) && n > sizeof(r->error) - 8);
	assert_string_equal(r->error + n - 3, "...");
	assert_int_equal(n % 2, 1); /* 2-byte characters, whole, then "..." */
	assert_int_equal((unsigned char)r->error[0], 0xc3);
	*(int *)ctx += 1;
	return 0;
}

static void dl_put(struct fx *fx, const char *key, const char *text, size_t len)
{
	struct sl_object o;
	struct sl_err err = {0};
	if (sl_store_put_mem(&fx->lake->store, "deadletter", key, text, len, NULL, &o, &err) != 0)
		fail_msg("put %s: %s", key, err.msg);
}

static void test_deadletter(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	char job[SL_JOB_MAX];
	int64_t run = 0;

	/* names */
	assert_true(sl_etl_deadletter_key("etl/loose/run-12.ndjson", job, sizeof(job), &run));
	assert_string_equal(job, "loose");
	assert_int_equal(run, 12);
	static const char *const not_names[] = {
		"etl/loose/run-0.ndjson", "etl/loose/run-01.ndjson", "etl/loose/run-1.json",
		"etl//run-1.ndjson", "etl/a/b/run-1.ndjson", "etl/loose/run-.ndjson",
		"etl/loose/run-1.ndjson.gz", "orders/run-1.ndjson", "etl/loose/run-x1.ndjson",
		"etl/loose/run-1234567890123456789.ndjson", "etl/loose", "etl/"};
	for (size_t i = 0; i < sizeof(not_names) / sizeof(not_names[0]); i++)
		assert_false(sl_etl_deadletter_key(not_names[i], job, sizeof(job), &run));
	assert_false(sl_etl_deadletter_key("etl/loose/run-1.ndjson", job, 5, &run));

	/* entries as run.c writes them, and as hands could have changed them */
	static const char text[] =
		"{\"object\":\"events/a.ndjson\",\"line\":2,\"error\":\"no ts\","
		"\"record\":{\"id\":2, \"v\" : [1,{\"x\":null}]}}\n"
		"{\"object\":\"events/a.ndjson\",\"line\":3,\"error\":\"not JSON\","
		"\"record\":\"{id:3\"}\n"
		"\n"
		"{\"record\" : null , \"error\":\"too big\",\"line\":4,"
		"\"object\":\"events/\\u00e9.ndjson\"}\n"
		"{\"object\":\"o\",\"line\":5,\"error\":\"e\",\"record\":7,\"more\":1}\n"
		"{\"object\":\"o\",\"line\":5,\"error\":\"e\"}\n"
		"{\"object\":\"o\",\"line\":\"5\",\"error\":\"e\",\"record\":1}\n"
		"{\"object\":\"o\",\"line\":5,\"error\":\"e\",\"record\":1,\"record\":2}\n"
		"{\"object\":\"o\\u0000x\",\"line\":5,\"error\":\"e\",\"record\":1}\n"
		"[1,2]\n"
		"not json at all\n"
		"{\"object\":\"o\",\"line\":6,\"error\":\"e\",\"record\":\"last\"}";
	dl_put(fx, "etl/loose/run-1.ndjson", text, strlen(text));
	struct entries e = {0};
	assert_int_equal(sl_etl_deadletter_read(fx->lake, "etl/loose/run-1.ndjson", 0, entry_one,
						&e, &err), 0);
	static const char *const want[] = {
		"1|events/a.ndjson|2|no ts|{\"id\":2, \"v\" : [1,{\"x\":null}]}",
		"2|events/a.ndjson|3|not JSON|\"{id:3\"",
		"4|events/\xc3\xa9.ndjson|4|too big|null",
		"5|!a member other than object, line, error and record",
		"6|!not {\"object\", \"line\", \"error\", \"record\"}",
		"7|!\"line\" is not a line number",
		"8|!a member given twice",
		"9|!\"object\" is not a string",
		"10|!not a JSON object",
		"11|!not JSON",
		"12|o|6|e|\"last\"",
	};
	assert_int_equal(e.n, 11);
	for (int i = 0; i < e.n; i++)
		assert_string_equal(e.text[i], want[i]);

	/* at most N lines; a callback that stops */
	memset(&e, 0, sizeof(e));
	assert_int_equal(sl_etl_deadletter_read(fx->lake, "etl/loose/run-1.ndjson", 2, entry_one,
						&e, &err), 0);
	assert_int_equal(e.n, 2);
	memset(&e, 0, sizeof(e));
	e.stop_at = 3;
	assert_int_equal(sl_etl_deadletter_read(fx->lake, "etl/loose/run-1.ndjson", 0, entry_one,
						&e, &err), 7);
	assert_int_equal(e.n, 3);

	/* a line over the limits is an entry that says so; the next line is read */
	fx->lake->cfg.validate.max_record = 1024;
	size_t big = 200000;
	char *huge = malloc(big + 100);
	assert_non_null(huge);
	memcpy(huge, "{\"object\":\"o\",\"line\":1,\"error\":\"e\",\"record\":\"", 46);
	memset(huge + 46, 'x', big);
	size_t at = 46 + big;
	at += (size_t)snprintf(huge + at, 100, "\"}\n{\"object\":\"o\",\"line\":2,\"error\":\"e\","
					       "\"record\":2}\n");
	dl_put(fx, "etl/loose/run-2.ndjson", huge, at);
	free(huge);
	memset(&e, 0, sizeof(e));
	assert_int_equal(sl_etl_deadletter_read(fx->lake, "etl/loose/run-2.ndjson", 0, entry_one,
						&e, &err), 0);
	assert_int_equal(e.n, 2);
	assert_string_equal(e.text[0], "1|!over the record limits (validate.limits)");
	assert_string_equal(e.text[1], "2|o|2|e|2");

	/* an error longer than the buffer */
	struct sl_buf lb;
	sl_buf_init(&lb, 0);
	sl_buf_puts(&lb, "{\"object\":\"o\",\"line\":1,\"error\":\"");
	for (int i = 0; i < 3000; i++)
		sl_buf_puts(&lb, "\xc3\xa9");
	sl_buf_puts(&lb, "\",\"record\":1}\n");
	dl_put(fx, "etl/loose/run-4.ndjson", lb.data, lb.len);
	sl_buf_release(&lb);
	int n_long = 0;
	assert_int_equal(sl_etl_deadletter_read(fx->lake, "etl/loose/run-4.ndjson", 0, long_error,
						&n_long, &err), 0);
	assert_int_equal(n_long, 1);

	/* a broken gzip stream: the lines before it, then SL_ECORRUPT */
	static const unsigned char gz[] = {0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00,
					   0x00, 0x03, 0xff, 0xff, 0xff, 0xff};
	dl_put(fx, "etl/loose/run-3.ndjson", (const char *)gz, sizeof(gz));
	memset(&e, 0, sizeof(e));
	assert_int_equal(sl_etl_deadletter_read(fx->lake, "etl/loose/run-3.ndjson", 0, entry_one,
						&e, &err), SL_ECORRUPT);
	assert_non_null(strstr(err.msg, "deadletter/etl/loose/run-3.ndjson"));

	/* no such object */
	assert_int_equal(sl_etl_deadletter_read(fx->lake, "etl/loose/run-9.ndjson", 0, entry_one,
						&e, &err), SL_ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_due, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deadletter, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
