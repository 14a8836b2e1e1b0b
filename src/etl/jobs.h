/*
 * jobs.h - the ETL jobs of a lake as commands and a scheduler see them: which jobs there
 * are (declared in sluice.yaml, and the default jobs it switches on), when each is due by
 * its schedule, its bookmark and newest run, and how many source objects wait for it.
 * Reads only: running a job is run.h's.
 *
 * Promises (tests/unit/test_etl_jobs.c):
 *   1. sl_etl_jobs_list names every job sl_config_job resolves, each once, and no other.
 *   2. A job is due exactly when sl_cron_due says so for its newest run's start (or the
 *      lake's creation when it never ran); a job without a schedule is never due.
 *   3. The pending count costs what arrived since the bookmark, not the table's size.
 *   4. A scheduler's plan (sl_etl_sched_plan) names exactly the jobs that are due as in 2,
 *      a try it recorded counting as a run that began then; it wakes at now when a job
 *      is due, else at the earliest next firing of a job, never later than max_sleep_ms
 *      after now. A try is forgotten once its job is no longer listed.
 *   5. A run's dead letter is read line by line within the lake's record limits: every
 *      line gives one entry, the refused record's object, line, error and JSON text, or
 *      why the line is not such an entry; any bytes give entries or an error, never a
 *      crash or unbounded memory.
 */
#ifndef SL_ETL_JOBS_H
#define SL_ETL_JOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "etl/etl.h"
#include "lake/lake.h"
#include "util/err.h"

/* Job names at most (declared ones, then one default job per raw table). */
#define SL_ETL_JOBS_MAX 100000

struct sl_etl_jobs {
	char (*names)[SL_JOB_MAX]; /* owned */
	size_t n, cap;
};

/* Every job of the lake: etl.jobs in the file's order, then the default jobs of
 * etl.default_jobs in the list's order (["*"]: the family of every raw table in the
 * catalog, in the catalog's order), each name once. A listed family that a declared job
 * reads (or whose table one writes) has no default job. */
int sl_etl_jobs_list(struct sl_lake *lake, struct sl_etl_jobs *out, struct sl_err *err);
void sl_etl_jobs_release(struct sl_etl_jobs *jobs);

/* What is known about one job at a time. */
struct sl_etl_job_state {
	struct sl_job_conf conf;      /* resolved settings */
	bool is_default;              /* a default job (etl.default_jobs), not etl.jobs */
	bool has_bookmark;            /* false: the job never ran */
	struct sl_etl_bookmark bookmark;
	bool has_last;
	struct sl_etl_run last;       /* the newest run, whatever its state */
	bool scheduled;               /* a schedule that fires (not "") */
	bool due;                     /* it fired since the newest run began (or since the
				       * lake was created), at or before now */
	int64_t next_ms;              /* its next firing after now (0: none) */
	int64_t pending;              /* source objects past the bookmark (-1: not counted) */
	int64_t uncrawled;            /* ... of which the crawler has not catalogued yet */
};

/* The state of job at now_ms; the pending objects are counted when count_pending.
 * SL_ENOENT when sluice.yaml has no such job ("no ETL job X in sluice.yaml"). */
int sl_etl_job_state(struct sl_lake *lake, const char *job, int64_t now_ms,
		     bool count_pending, struct sl_etl_job_state *out, struct sl_err *err);

/* The source objects of conf's source table past after_seq: *pending all of them,
 * *uncrawled those without a catalog row for their version (either may be NULL). The
 * table's zone and folder come from the catalog (raw.T, T the family's table name), or
 * are raw and SOURCE/ before the crawler made the table. */
int sl_etl_pending_count(struct sl_lake *lake, const struct sl_job_conf *conf,
			 int64_t after_seq, int64_t *pending, int64_t *uncrawled,
			 struct sl_err *err);

/* ---- the scheduler's plan (`sluice etl schedule`) ------------------------------------ */

/* What a scheduler remembers between plans: when it last tried each job. A try that
 * began a run is also that run's start, but a busy job (another holder's lease) leaves
 * no run behind, and without the try it would be due again at once. */
struct sl_etl_sched_try {
	char job[SL_JOB_MAX];
	int64_t at_ms;
	bool listed; /* seen by the plan in hand (the others are dropped) */
};

struct sl_etl_sched {
	struct sl_etl_sched_try *tries; /* owned, by job name */
	size_t n, cap;
};

struct sl_etl_plan {
	struct sl_etl_jobs due;      /* the jobs to run now, in sl_etl_jobs_list's order */
	size_t n_jobs, n_scheduled;  /* jobs listed, and those with a schedule that fires */
	int64_t next_ms;             /* the earliest next firing after now of a job that is
				      * not due (0: none) */
	char next_job[SL_JOB_MAX];   /* the first job in the list that fires then */
	int64_t wake_ms;             /* when to plan again: now when a job is due, else
				      * next_ms, at most max_sleep_ms after now */
};

/* The plan at now_ms: every job of sl_etl_jobs_list whose schedule fired since the later
 * of its newest run's start and its last try in s (or since the lake was created), the
 * earliest next firing of the others, and when to look again. 
 * Tries of jobs no longer listed are dropped from s. out is released by
 * sl_etl_plan_release, also after an error. */
int sl_etl_sched_plan(struct sl_lake *lake, struct sl_etl_sched *s, int64_t now_ms,
		      int64_t max_sleep_ms, struct sl_etl_plan *out, struct sl_err *err);
void sl_etl_plan_release(struct sl_etl_plan *plan);

/* Records that job was tried at at_ms (a later try replaces an earlier one). */
int sl_etl_sched_tried(struct sl_etl_sched *s, const char *job, int64_t at_ms,
		       struct sl_err *err);
void sl_etl_sched_release(struct sl_etl_sched *s);

/* ---- a run's dead letter (run.h: deadletter/etl/JOB/run-N.ndjson) ------------------------ */

/* Whether key (in the deadletter zone) has the name of an ETL run's dead letter; then
 * job (job_cap bytes) and *run say whose. Only the name: the run is not looked up. */
bool sl_etl_deadletter_key(const char *key, char *job, size_t job_cap, int64_t *run);

/* One line of a run's dead letter, borrowed for the callback. object and error are
 * decoded (any byte but NUL; a NUL in them makes the line a problem); an error longer
 * than the buffer is cut and ends in "...". */
struct sl_etl_refused {
	int64_t dl_line;                 /* its line in the dead letter, from 1 */
	char object[SL_KEY_MAX + 1];     /* the source object's key in its zone */
	int64_t line;                    /* the record's line in the object (Parquet: row) */
	char error[SL_ERR_MSG_MAX + 64]; /* why the run refused it */
	const char *record;              /* the record as JSON text (not NUL-terminated): an
					  * object, a string (text that was not JSON) or null
					  * (not held) */
	size_t record_len;
	const char *problem;             /* NULL; else why the line is not an entry (the
					  * fields above are then "", 0 and NULL) */
};

/* fn returns 0 to go on, anything else to stop (then returned). */
typedef int sl_etl_refused_fn(void *ctx, const struct sl_etl_refused *r);

/* Reads deadletter/KEY (the store checks it against its index row) line by line with the
 * lake's record limits (validate.limits, with room for the line around the record), at
 * most max_lines lines (0: all). A line that is not {"object","line","error","record"}
 * (not JSON, over the limits, other members) is an entry with problem set; a stream that
 * cannot go on (a broken compressed file) is SL_ECORRUPT after the lines before it. */
int sl_etl_deadletter_read(struct sl_lake *lake, const char *key, int64_t max_lines,
			   sl_etl_refused_fn *fn, void *ctx, struct sl_err *err);

#endif
