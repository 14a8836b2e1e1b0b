/*
 * sqlite_etl.c - ETL jobs (migrations 5 and 6) in the SQLite metadata backend: the etl_*
 * callbacks of meta.h, which keep leases, bookmarks, runs, staged outputs and the lineage
 * of merged files, and commit or rewind a run's output together with the object index
 * and the catalog.
 *
 * Every write is one BEGIN IMMEDIATE transaction, so the checks a callback makes (the
 * lease, the run's state, the bookmark) and the changes it makes cannot interleave with
 * another process's. The promises of etl.h, and how they are kept here:
 *   1. Lease: a job has at most one lease row; etl_lease replaces another holder's row
 *      only once it expired. run_begin, stage, commit and rewind read the row inside
 *      their transaction and refuse (SL_EBUSY) a caller that does not hold it at now_ms.
 *   2. Run numbers come from the bookmark row's last_run, incremented in the transaction
 *      that inserts the run: 1, 2, 3, ... without gaps, never reused (also by a rewind).
 *   3. etl_commit does all its writes in one transaction after its checks (lease, run
 *      'running' and owned by the holder, bookmark == the run's from_seq); any failure
 *      rolls everything back.
 *   4. A key is staged (etl_stage) only when no index row and no other uncommitted run's
 *      staged row names it, and a staged key becomes an index row only in the commit that
 *      marks its staged row 'done'. fsck asks etl_staged_find before adopting a file.
 *   5. Lineage rows (etl_lineage, keyed by the file's seq) are written by the commit that
 *      indexes the file, after checking that they add up to its catalog row's records;
 *      a trigger deletes them with the index row. etl_rewind reads them in its
 *      transaction: a present file holding only rows of the undone runs is retired with
 *      the runs' own files, and one a table has active that holds other rows too makes
 *      it SL_ESTALE, so that no rewind ever keeps or drops part of a merged file.
 * The 'done' rows of a run are the files it committed (with their seq), which is what
 * etl_rewind retires; a commit's own retire list (a compaction's small files) goes through
 * the same step, after checking that each is still the present, active file it was. The
 * catalog's part of a commit or a rewind is made with sqlite_catalog.c's own pieces
 * (sqlite_int.h), so partition counts and drift follow exactly the rules of
 * catalog_commit.
 *
 * Listings read a page of rows, end the statement, then call the callback, so callbacks
 * may write to the store (a recovery forgets the keys it is given).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "etl/etl.h"
#include "meta/sqlite_int.h"
#include "util/clock.h"

enum etl_stmt {
	E_LEASE_GET,
	E_LEASE_PUT,
	E_LEASE_DELETE,
	E_BM_GET,
	E_BM_CREATE,
	E_BM_LAST_RUN,
	E_BM_MOVE,
	E_RUN_GET,
	E_RUN_INSERT,
	E_RUN_ABANDON,
	E_RUN_FAIL,
	E_RUN_COMMIT,
	E_RUN_EXPIRE,
	E_RUN_REWIND,
	E_RUN_LIST_JOB,
	E_RUN_LIST_ALL,
	E_OBJ_ROW,
	E_OBJ_DELETING,
	E_CAT_STATE,
	E_STAGE_OTHER,
	E_STAGE_INSERT,
	E_STAGE_STATE,
	E_STAGE_DONE,
	E_STAGED_PRUNE,
	E_STAGED_LIST,
	E_STAGED_FORGET,
	E_STAGED_FIND,
	E_RW_OUTPUTS,
	E_RW_REMOVALS,
	E_RW_LINEAGE,
	E_RW_LIN_REMOVALS,
	E_LIN_INSERT,
	E_LIN_GET,
	E_LIN_RUN,
	E_LIN_FIND,
	E_PENDING,
	E_COUNT
};

#define RUN_COLS                                                                             \
	"r.job,r.id,r.state,r.holder,r.from_seq,r.to_seq,r.objects,r.rows_in,r.rows_out,"    \
	"r.rows_rejected,r.files,r.bytes,r.started_ms,r.ended_ms,r.error"
/* a running run's holder has the lease at ?N */
#define LIVE(now)                                                                            \
	"(r.state='running' AND EXISTS(SELECT 1 FROM etl_leases l WHERE l.job=r.job AND "    \
	"l.holder=r.holder AND l.expires_ms>" now "))"

static const char *const etl_sql[E_COUNT] = {
	[E_LEASE_GET] = "SELECT holder,expires_ms FROM etl_leases WHERE job=?1",
	[E_LEASE_PUT] = "INSERT INTO etl_leases(job,holder,expires_ms) VALUES(?1,?2,?3) "
			"ON CONFLICT(job) DO UPDATE SET holder=?2,expires_ms=?3",
	[E_LEASE_DELETE] = "DELETE FROM etl_leases WHERE job=?1 AND holder=?2",
	[E_BM_GET] = "SELECT job,seq,last_run,last_committed,updated_ms FROM etl_bookmarks "
		     "WHERE job=?1",
	[E_BM_CREATE] = "INSERT INTO etl_bookmarks(job,seq,last_run,last_committed,updated_ms) "
			"VALUES(?1,0,0,0,?2) ON CONFLICT(job) DO NOTHING",
	[E_BM_LAST_RUN] = "UPDATE etl_bookmarks SET last_run=?2 WHERE job=?1",
	/* the WHERE keeps a move that changes nothing (a second rewind) from writing */
	[E_BM_MOVE] = "UPDATE etl_bookmarks SET seq=?2,last_committed=?3,updated_ms=?4 "
		      "WHERE job=?1 AND (seq<>?2 OR last_committed<>?3)",
	[E_RUN_GET] = "SELECT " RUN_COLS " FROM etl_runs r WHERE r.job=?1 AND r.id=?2",
	[E_RUN_INSERT] = "INSERT INTO etl_runs(job,id,state,holder,from_seq,to_seq,started_ms) "
			 "VALUES(?1,?2,'running',?3,?4,0,?5)",
	[E_RUN_ABANDON] = "UPDATE etl_runs SET state='failed',ended_ms=?2,error=?3 "
			  "WHERE state='running' AND job=?1",
	[E_RUN_FAIL] = "UPDATE etl_runs SET state='failed',ended_ms=?3,error=?4 "
		       "WHERE job=?1 AND id=?2 AND state='running'",
	[E_RUN_COMMIT] = "UPDATE etl_runs SET state='committed',to_seq=?3,objects=?4,"
			 "rows_in=?5,rows_out=?6,rows_rejected=?7,files=?8,bytes=?9,ended_ms=?10 "
			 "WHERE job=?1 AND id=?2",
	[E_RUN_EXPIRE] = "UPDATE etl_runs AS r SET state='failed',ended_ms=?2,"
			 "error='its lease ran out or was released before it committed' "
			 "WHERE r.state='running' AND (?1 IS NULL OR r.job=?1) AND NOT " LIVE("?2"),
	[E_RUN_REWIND] = "UPDATE etl_runs SET state='rewound' "
			 "WHERE job=?1 AND id>?2 AND state='committed'",
	[E_RUN_LIST_JOB] = "SELECT " RUN_COLS " FROM etl_runs r WHERE r.job=?1 AND r.id<?2 "
			   "ORDER BY r.id DESC LIMIT ?3",
	[E_RUN_LIST_ALL] = "SELECT " RUN_COLS " FROM etl_runs r "
			   "WHERE r.job>?1 OR (r.job=?1 AND r.id<?2) "
			   "ORDER BY r.job, r.id DESC LIMIT ?3",
	[E_OBJ_ROW] = "SELECT seq,state,size,checksum FROM objects WHERE zone=?1 AND key=?2",
	[E_OBJ_DELETING] = "UPDATE objects SET state='deleting' WHERE zone=?1 AND key=?2 AND "
			   "seq=?3",
	[E_CAT_STATE] = "SELECT state FROM cat_files WHERE zone=?1 AND key=?2 AND seq=?3",
	[E_STAGE_OTHER] = "SELECT job,run_id FROM etl_staged WHERE zone=?1 AND key=?2 AND "
			  "state='staged' AND NOT (job=?3 AND run_id=?4) LIMIT 1",
	[E_STAGE_INSERT] = "INSERT INTO etl_staged(job,run_id,zone,key,state) "
			   "VALUES(?1,?2,?3,?4,'staged') ON CONFLICT DO NOTHING",
	[E_STAGE_STATE] = "SELECT state FROM etl_staged WHERE job=?1 AND run_id=?2 AND zone=?3 "
			  "AND key=?4",
	[E_STAGE_DONE] = "UPDATE etl_staged SET state='done',seq=?5 WHERE job=?1 AND run_id=?2 "
			 "AND zone=?3 AND key=?4",
	/* a staged key of a run that will not commit, indexed since by something else (a
	 * put): the file is the index's now, the staged row is moot (promise 4) */
	[E_STAGED_PRUNE] = "DELETE FROM etl_staged AS s WHERE s.state='staged' AND "
			   "(?1 IS NULL OR s.job=?1) AND "
			   "EXISTS(SELECT 1 FROM objects o WHERE o.zone=s.zone AND o.key=s.key) "
			   "AND NOT EXISTS(SELECT 1 FROM etl_runs r WHERE r.job=s.job AND "
			   "r.id=s.run_id AND r.state='running')",
	[E_STAGED_LIST] = "SELECT s.job,s.run_id,s.zone,s.key FROM etl_staged s "
			  "JOIN etl_runs r ON r.job=s.job AND r.id=s.run_id "
			  "WHERE s.state='staged' AND r.state<>'running' AND "
			  "(?1 IS NULL OR s.job=?1) AND "
			  "(s.job,s.run_id,s.zone,s.key)>(?2,?3,?4,?5) "
			  "ORDER BY s.job,s.run_id,s.zone,s.key LIMIT 128",
	[E_STAGED_FORGET] = "DELETE FROM etl_staged WHERE job=?1 AND run_id=?2 AND zone=?3 AND "
			    "key=?4 AND state='staged'",
	[E_STAGED_FIND] = "SELECT " RUN_COLS "," LIVE("?3") " AS live FROM etl_staged s "
			  "JOIN etl_runs r ON r.job=s.job AND r.id=s.run_id "
			  "WHERE s.zone=?1 AND s.key=?2 AND s.state='staged' "
			  "ORDER BY live DESC, s.run_id DESC LIMIT 1",
	[E_RW_OUTPUTS] = "SELECT s.zone,s.key,s.seq FROM etl_staged s "
			 "JOIN etl_runs r ON r.job=s.job AND r.id=s.run_id "
			 "WHERE s.job=?1 AND s.run_id>?2 AND s.state='done' AND "
			 "r.state='committed'",
	/* the files of rewound runs whose removal is still to do */
	[E_RW_REMOVALS] = "SELECT s.job,s.run_id,s.zone,s.key FROM etl_staged s "
			  "JOIN etl_runs r ON r.job=s.job AND r.id=s.run_id "
			  "JOIN objects o ON o.zone=s.zone AND o.key=s.key AND o.seq=s.seq "
			  "WHERE s.job=?1 AND s.run_id>?2 AND s.state='done' AND "
			  "r.state='rewound' AND o.state='deleting' AND "
			  "(s.run_id,s.zone,s.key)>(?3,?4,?5) "
			  "ORDER BY s.run_id,s.zone,s.key LIMIT 128",
	/* The present files whose lineage holds rows of the job's runs after ?2: whether
	 * they hold other rows too (mixed), and whether a table has them active */
	[E_RW_LINEAGE] = "SELECT o.zone,o.key,o.seq,"
			 "EXISTS(SELECT 1 FROM etl_lineage m WHERE m.seq=o.seq AND "
			 "NOT (m.job=?1 AND m.run>?2)),"
			 "EXISTS(SELECT 1 FROM cat_files f WHERE f.zone=o.zone AND f.key=o.key "
			 "AND f.seq=o.seq AND f.state='active') "
			 "FROM objects o WHERE o.state='present' AND o.seq IN "
			 "(SELECT l.seq FROM etl_lineage l WHERE l.job=?1 AND l.run>?2)",
	/* and those whose removal is still to do, once retired */
	[E_RW_LIN_REMOVALS] = "SELECT o.zone,o.key,o.seq FROM objects o "
			      "WHERE o.state='deleting' AND o.seq>?3 AND o.seq IN "
			      "(SELECT l.seq FROM etl_lineage l WHERE l.job=?1 AND l.run>?2) "
			      "ORDER BY o.seq LIMIT 128",
	[E_LIN_INSERT] = "INSERT INTO etl_lineage(seq,ord,job,run,rows) VALUES(?1,?2,?3,?4,?5)",
	[E_LIN_GET] = "SELECT ord,job,run,rows FROM etl_lineage WHERE seq=?1 AND ord>?2 "
		      "ORDER BY ord LIMIT 128",
	/* a file without recorded lineage: the run that committed it */
	[E_LIN_RUN] = "SELECT job,run_id FROM etl_staged WHERE zone=?1 AND key=?2 AND "
		      "state='done' AND seq=?3 LIMIT 1",
	[E_LIN_FIND] = "SELECT o.zone,o.key,o.seq,l.ord,l.job,l.run,l.rows FROM etl_lineage l "
		       "JOIN objects o ON o.seq=l.seq WHERE l.job=?1 AND l.run>?2 AND "
		       "o.state='present' AND (l.seq>?3 OR (l.seq=?3 AND l.ord>?4)) "
		       "ORDER BY l.seq,l.ord LIMIT 128",
	/* The seq range of the primary key drives the scan (the unary + keeps the planner
	 * off the (zone, key) index, which would walk every version ever stored under the
	 * prefix), so a run costs what arrived since its bookmark. The catalog row counts
	 * only when it describes this version of the object. */
	[E_PENDING] = "SELECT " SQ_OBJECT_COLS("o.") "," SQ_CAT_FILE_COLS("f.") " FROM objects o "
		      "LEFT JOIN cat_files f ON f.zone=o.zone AND f.key=o.key AND f.seq=o.seq "
		      "WHERE o.seq>?1 AND +o.zone=?2 AND +o.key>=?3 AND (?4 IS NULL OR "
		      "+o.key<?4) AND +o.state='present' ORDER BY o.seq LIMIT ?5",
};

struct sq_etl {
	sqlite3_stmt *stmt[E_COUNT];
};

void sl_sq_etl_stmts_free(struct sq *s)
{
	if (!s || !s->etl)
		return;
	for (int i = 0; i < E_COUNT; i++)
		sqlite3_finalize(s->etl->stmt[i]);
	free(s->etl);
	s->etl = NULL;
}

/* Returns the cached, reset statement `id`, or NULL with err set. */
static sqlite3_stmt *est(struct sq *s, enum etl_stmt id, struct sl_err *err)
{
	if (!s->etl && !(s->etl = calloc(1, sizeof(*s->etl)))) {
		sl_err_set(err, SL_ENOMEM, "out of memory");
		return NULL;
	}
	return cached_stmt(s, &s->etl->stmt[id], etl_sql[id], err);
}


/* ---- checks of what a caller gives ------------------------------------------------- */

static int check_name(const char *what, const char *v, size_t cap, struct sl_err *err)
{
	size_t n = v ? strnlen(v, cap) : 0;
	if (n == 0 || n == cap)
		return sl_err_set(err, SL_EINVAL, "etl: %s is %s", what,
				  n ? "too long" : "missing or empty");
	return 0;
}

static int check_job(const char *job, struct sl_err *err)
{
	return check_name("job name", job, SL_JOB_MAX, err);
}

/* A job and the lease holder acting on it. */
static int check_holder(const char *job, const char *holder, struct sl_err *err)
{
	int rc = check_job(job, err);
	return rc ? rc : check_name("lease holder", holder, SL_HOLDER_MAX, err);
}

static int check_key(const char *zone, const char *key, struct sl_err *err)
{
	int rc = check_name("zone", zone, SL_ZONE_MAX, err);
	return rc ? rc : check_name("key", key, SL_KEY_MAX + 1, err);
}

/* ---- rows ---------------------------------------------------------------------------- */

static void read_run(sqlite3_stmt *p, int c, struct sl_etl_run *r)
{
	memset(r, 0, sizeof(*r));
	col_copy(p, c + 0, r->job, sizeof(r->job));
	r->id = sqlite3_column_int64(p, c + 1);
	col_copy(p, c + 2, r->state, sizeof(r->state));
	col_copy(p, c + 3, r->holder, sizeof(r->holder));
	r->from_seq = sqlite3_column_int64(p, c + 4);
	r->to_seq = sqlite3_column_int64(p, c + 5);
	r->objects = sqlite3_column_int64(p, c + 6);
	r->rows_in = sqlite3_column_int64(p, c + 7);
	r->rows_out = sqlite3_column_int64(p, c + 8);
	r->rows_rejected = sqlite3_column_int64(p, c + 9);
	r->files = sqlite3_column_int64(p, c + 10);
	r->bytes = sqlite3_column_int64(p, c + 11);
	r->started_ms = sqlite3_column_int64(p, c + 12);
	r->ended_ms = sqlite3_column_int64(p, c + 13);
	col_copy(p, c + 14, r->error, sizeof(r->error));
}

static int run_get(struct sq *s, const char *job, int64_t id, struct sl_etl_run *out,
		   struct sl_err *err)
{
	sqlite3_stmt *p = est(s, E_RUN_GET, err);
	bool found = false;
	int rc;
	if (!p)
		return SL_EMETA;
	bind_text(p, 1, job);
	sqlite3_bind_int64(p, 2, id);
	if ((rc = step_one(s, p, &found, err, "read run")) != 0)
		return rc;
	if (found)
		read_run(p, 0, out);
	sqlite3_reset(p);
	return found ? 0 : sl_err_set(err, SL_ENOENT, "job %s has no run %" PRId64, job, id);
}

static int bookmark_get(struct sq *s, const char *job, struct sl_etl_bookmark *out,
			struct sl_err *err)
{
	sqlite3_stmt *p = est(s, E_BM_GET, err);
	bool found = false;
	int rc;
	memset(out, 0, sizeof(*out));
	if (!p)
		return SL_EMETA;
	bind_text(p, 1, job);
	if ((rc = step_one(s, p, &found, err, "read bookmark")) != 0)
		return rc;
	if (found) {
		col_copy(p, 0, out->job, sizeof(out->job));
		out->seq = sqlite3_column_int64(p, 1);
		out->last_run = sqlite3_column_int64(p, 2);
		out->last_committed = sqlite3_column_int64(p, 3);
		out->updated_ms = sqlite3_column_int64(p, 4);
	}
	sqlite3_reset(p);
	return found ? 0 : sl_err_set(err, SL_ENOENT, "job %s has never run", job);
}

/* Promise 1: 0 when holder has job's lease at now_ms, else SL_EBUSY saying who has it. */
static int hold(struct sq *s, const char *job, const char *holder, int64_t now_ms,
		struct sl_err *err)
{
	sqlite3_stmt *p = est(s, E_LEASE_GET, err);
	char other[SL_HOLDER_MAX], when[40];
	int64_t expires = 0;
	bool found = false;
	int rc;
	if (!p)
		return SL_EMETA;
	bind_text(p, 1, job);
	if ((rc = step_one(s, p, &found, err, "read lease")) != 0)
		return rc;
	if (found) {
		col_copy(p, 0, other, sizeof(other));
		expires = sqlite3_column_int64(p, 1);
	}
	sqlite3_reset(p);
	if (found && expires > now_ms && strcmp(other, holder) == 0)
		return 0;
	if (!found)
		return sl_err_set(err, SL_EBUSY, "job %s: %s does not hold its lease (nobody does)",
				  job, holder);
	sl_fmt_time(expires, when, sizeof(when));
	if (strcmp(other, holder) == 0)
		return sl_err_set(err, SL_EBUSY, "job %s: the lease of %s ran out at %s", job,
				  holder, when);
	return sl_err_set(err, SL_EBUSY, "job %s is leased by %s until %s", job, other, when);
}

/* The run `id` of job must be running under holder's name (promise 3). */
static int running(struct sq *s, const char *job, int64_t id, const char *holder,
		   struct sl_etl_run *run, struct sl_err *err)
{
	int rc = run_get(s, job, id, run, err);
	if (rc)
		return rc;
	if (strcmp(run->state, SL_RUN_RUNNING) != 0)
		return sl_err_set(err, SL_ESTALE, "run %s/%" PRId64 " is %s, not running", job, id,
				  run->state);
	if (strcmp(run->holder, holder) != 0)
		return sl_err_set(err, SL_ESTALE, "run %s/%" PRId64 " belongs to %s, not to %s",
				  job, id, run->holder, holder);
	return 0;
}

/* ---- leases -------------------------------------------------------------------------- */

int sl_sq_etl_lease(void *state, const char *job, const char *holder, int64_t ttl_ms,
		    int64_t now_ms, struct sl_err *err)
{
	struct sq *s = state;
	sqlite3_stmt *p;
	int rc = check_holder(job, holder, err);
	if (rc)
		return rc;
	if (ttl_ms <= 0 || now_ms < 0 || ttl_ms > INT64_MAX - now_ms)
		return sl_err_set(err, SL_EINVAL,
				  "etl: lease of job %s: bad duration %" PRId64 " ms", job, ttl_ms);
	if ((rc = begin(s, err)) != 0)
		return rc;
	if (!(p = est(s, E_LEASE_GET, err))) {
		rc = SL_EMETA;
		goto fail;
	}
	bind_text(p, 1, job);
	bool found = false;
	if ((rc = step_one(s, p, &found, err, "read lease")) != 0)
		goto fail;
	if (found && strcmp(col_text(p, 0), holder) != 0 &&
	    sqlite3_column_int64(p, 1) > now_ms) {
		char when[40];
		sl_fmt_time(sqlite3_column_int64(p, 1), when, sizeof(when));
		rc = sl_err_set(err, SL_EBUSY, "job %s is leased by %s until %s", job,
				col_text(p, 0), when);
		sqlite3_reset(p);
		goto fail;
	}
	sqlite3_reset(p);
	/* free, expired, or ours: take it or extend it */
	if (!(p = est(s, E_LEASE_PUT, err))) {
		rc = SL_EMETA;
		goto fail;
	}
	bind_text(p, 1, job);
	bind_text(p, 2, holder);
	sqlite3_bind_int64(p, 3, now_ms + ttl_ms);
	if ((rc = run(s, p, err, "write lease")) != 0 || (rc = commit(s, err)) != 0)
		goto fail;
	return 0;
fail:
	rollback(s);
	return rc;
}

void sl_sq_etl_lease_release(void *state, const char *job, const char *holder)
{
	struct sq *s = state;
	sqlite3_stmt *p;
	if (check_holder(job, holder, NULL) != 0 || !(p = est(s, E_LEASE_DELETE, NULL)))
		return;
	bind_text(p, 1, job);
	bind_text(p, 2, holder);
	run(s, p, NULL, "release lease"); /* best effort: an unreleased lease expires */
}

int sl_sq_etl_lease_get(void *state, const char *job, char *holder, size_t cap,
			int64_t *expires_ms, struct sl_err *err)
{
	struct sq *s = state;
	sqlite3_stmt *p = est(s, E_LEASE_GET, err);
	bool found = false;
	int rc;
	if (!p)
		return SL_EMETA;
	bind_text(p, 1, job);
	if ((rc = step_one(s, p, &found, err, "read lease")) != 0)
		return rc;
	if (found) {
		snprintf(holder, cap, "%s", col_text(p, 0));
		*expires_ms = sqlite3_column_int64(p, 1);
	}
	sqlite3_reset(p);
	return found ? 0 : sl_err_set(err, SL_ENOENT, "job %s: no lease", job);
}

/* ---- runs ---------------------------------------------------------------------------- */

int sl_sq_etl_run_begin(void *state, const char *job, const char *holder, int64_t now_ms,
			struct sl_etl_run *out, struct sl_err *err)
{
	struct sq *s = state;
	struct sl_etl_bookmark bm;
	sqlite3_stmt *p;
	char why[96];
	int rc = check_holder(job, holder, err);
	if (rc)
		return rc;
	if ((rc = begin(s, err)) != 0)
		return rc;
	if ((rc = hold(s, job, holder, now_ms, err)) != 0)
		goto fail;
	if (!(p = est(s, E_BM_CREATE, err))) {
		rc = SL_EMETA;
		goto fail;
	}
	bind_text(p, 1, job);
	sqlite3_bind_int64(p, 2, now_ms);
	if ((rc = run(s, p, err, "create bookmark")) != 0 ||
	    (rc = bookmark_get(s, job, &bm, err)) != 0)
		goto fail;
	int64_t id = bm.last_run + 1;
	/* A run left 'running' cannot commit any more: the lease is the caller's now. Failing
	 * it here keeps one running run per job and hands its staged keys to recovery. */
	if (!(p = est(s, E_RUN_ABANDON, err))) {
		rc = SL_EMETA;
		goto fail;
	}
	snprintf(why, sizeof(why), "abandoned: run %" PRId64 " began after it", id);
	bind_text(p, 1, job);
	sqlite3_bind_int64(p, 2, now_ms);
	bind_text(p, 3, why);
	if ((rc = run(s, p, err, "fail abandoned runs")) != 0)
		goto fail;
	if (!(p = est(s, E_RUN_INSERT, err))) {
		rc = SL_EMETA;
		goto fail;
	}
	bind_text(p, 1, job);
	sqlite3_bind_int64(p, 2, id);
	bind_text(p, 3, holder);
	sqlite3_bind_int64(p, 4, bm.seq);
	sqlite3_bind_int64(p, 5, now_ms);
	if ((rc = run(s, p, err, "insert run")) != 0)
		goto fail;
	if (!(p = est(s, E_BM_LAST_RUN, err))) {
		rc = SL_EMETA;
		goto fail;
	}
	bind_text(p, 1, job);
	sqlite3_bind_int64(p, 2, id);
	if ((rc = run(s, p, err, "number run")) != 0 || (rc = commit(s, err)) != 0)
		goto fail;
	if (out) {
		memset(out, 0, sizeof(*out));
		snprintf(out->job, sizeof(out->job), "%s", job);
		out->id = id;
		snprintf(out->state, sizeof(out->state), "%s", SL_RUN_RUNNING);
		snprintf(out->holder, sizeof(out->holder), "%s", holder);
		out->from_seq = bm.seq;
		out->started_ms = now_ms;
	}
	return 0;
fail:
	rollback(s);
	return rc;
}

int sl_sq_etl_run_fail(void *state, const char *job, int64_t run_id, const char *error,
		       int64_t now_ms, struct sl_err *err)
{
	struct sq *s = state;
	struct sl_etl_run r;
	sqlite3_stmt *p;
	int rc = check_job(job, err);
	if (rc)
		return rc;
	if ((rc = begin(s, err)) != 0)
		return rc;
	if ((rc = run_get(s, job, run_id, &r, err)) != 0)
		goto fail;
	if (strcmp(r.state, SL_RUN_RUNNING) != 0) {
		rc = sl_err_set(err, SL_ESTALE, "run %s/%" PRId64 " is %s, not running", job,
				run_id, r.state);
		goto fail;
	}
	if (!(p = est(s, E_RUN_FAIL, err))) {
		rc = SL_EMETA;
		goto fail;
	}
	char msg[sizeof(r.error)];
	snprintf(msg, sizeof(msg), "%s", error && error[0] ? error : "failed");
	bind_text(p, 1, job);
	sqlite3_bind_int64(p, 2, run_id);
	sqlite3_bind_int64(p, 3, now_ms);
	bind_text(p, 4, msg);
	if ((rc = run(s, p, err, "fail run")) != 0 || (rc = commit(s, err)) != 0)
		goto fail;
	return 0;
fail:
	rollback(s);
	return rc;
}

int sl_sq_etl_bookmark_get(void *state, const char *job, struct sl_etl_bookmark *out,
			   struct sl_err *err)
{
	int rc = check_job(job, err);
	return rc ? rc : bookmark_get(state, job, out, err);
}

int sl_sq_etl_run_get(void *state, const char *job, int64_t run_id, struct sl_etl_run *out,
		      struct sl_err *err)
{
	int rc = check_job(job, err);
	return rc ? rc : run_get(state, job, run_id, out, err);
}

int sl_sq_etl_run_list(void *state, const char *job, int64_t limit, sl_etl_run_fn *fn,
		       void *ctx, struct sl_err *err)
{
	struct sq *s = state;
	enum { PAGE = 64 };
	char after_job[SL_JOB_MAX] = "";
	int64_t after_id = INT64_MAX, left = limit > 0 ? limit : INT64_MAX;
	struct sl_etl_run *page;
	int rc = job ? check_job(job, err) : 0;
	if (rc)
		return rc;
	if (!(page = malloc(PAGE * sizeof(*page))))
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	while (left > 0) {
		sqlite3_stmt *p = est(s, job ? E_RUN_LIST_JOB : E_RUN_LIST_ALL, err);
		int64_t want = left < PAGE ? left : PAGE;
		size_t n = 0;
		if (!p) {
			rc = SL_EMETA;
			break;
		}
		bind_text(p, 1, job ? job : after_job);
		sqlite3_bind_int64(p, 2, after_id);
		sqlite3_bind_int64(p, 3, want);
		while ((rc = sqlite3_step(p)) == SQLITE_ROW)
			read_run(p, 0, &page[n++]);
		rc = rc == SQLITE_DONE ? 0 : db_error(s, err, "list runs");
		sqlite3_reset(p);
		for (size_t i = 0; rc == 0 && i < n; i++)
			rc = fn(ctx, &page[i]);
		if (rc || (int64_t)n < want)
			break;
		memcpy(after_job, page[n - 1].job, sizeof(after_job));
		after_id = page[n - 1].id;
		left -= (int64_t)n;
	}
	free(page);
	return rc;
}

/* ---- staging ------------------------------------------------------------------------- */

/* Promise 4 for one key about to be staged by job/run_id: no index row, no other run's
 * uncommitted staged row. */
static int stage_one(struct sq *s, const char *job, int64_t run_id, const char *zone,
		     const char *key, struct sl_err *err)
{
	sqlite3_stmt *p = est(s, E_OBJ_ROW, err);
	bool found = false;
	int rc;
	if (!p)
		return SL_EMETA;
	bind_text(p, 1, zone);
	bind_text(p, 2, key);
	if ((rc = step_one(s, p, &found, err, "read object")) != 0)
		return rc;
	if (found) {
		rc = sl_err_set(err, SL_EEXIST,
				"etl: %s/%s is an object already (seq %lld, %s): a run never "
				"overwrites",
				zone, key, (long long)sqlite3_column_int64(p, 0), col_text(p, 1));
		sqlite3_reset(p);
		return rc;
	}
	sqlite3_reset(p);
	if (!(p = est(s, E_STAGE_OTHER, err)))
		return SL_EMETA;
	bind_text(p, 1, zone);
	bind_text(p, 2, key);
	bind_text(p, 3, job);
	sqlite3_bind_int64(p, 4, run_id);
	if ((rc = step_one(s, p, &found, err, "read staged keys")) != 0)
		return rc;
	if (found) {
		rc = sl_err_set(err, SL_EEXIST,
				"etl: %s/%s is staged by run %s/%lld, which did not commit: "
				"recover it first",
				zone, key, col_text(p, 0), (long long)sqlite3_column_int64(p, 1));
		sqlite3_reset(p);
		return rc;
	}
	sqlite3_reset(p);
	if (!(p = est(s, E_STAGE_INSERT, err)))
		return SL_EMETA;
	bind_text(p, 1, job);
	sqlite3_bind_int64(p, 2, run_id);
	bind_text(p, 3, zone);
	bind_text(p, 4, key);
	return run(s, p, err, "stage key");
}

int sl_sq_etl_stage(void *state, const char *job, int64_t run_id, const char *holder,
		    const char *zone, const char *const *keys, size_t n, int64_t now_ms,
		    struct sl_err *err)
{
	struct sq *s = state;
	struct sl_etl_run r;
	int rc = check_holder(job, holder, err);
	if (rc)
		return rc;
	if (n && !keys)
		return sl_err_set(err, SL_EINVAL, "etl stage: %zu keys without an array", n);
	for (size_t i = 0; i < n; i++)
		if ((rc = check_key(zone, keys[i], err)) != 0)
			return sl_err_prefix(err, "etl stage: key %zu", i);
	if ((rc = begin(s, err)) != 0)
		return rc;
	if ((rc = hold(s, job, holder, now_ms, err)) != 0 ||
	    (rc = running(s, job, run_id, holder, &r, err)) != 0)
		goto fail;
	for (size_t i = 0; i < n; i++)
		if ((rc = stage_one(s, job, run_id, zone, keys[i], err)) != 0)
			goto fail;
	if ((rc = commit(s, err)) != 0)
		goto fail;
	return 0;
fail:
	rollback(s);
	return rc;
}

/* One staged key, as a listing hands it out. */
struct staged_key {
	char job[SL_JOB_MAX];
	int64_t run_id;
	char zone[SL_ZONE_MAX];
	char key[SL_KEY_MAX + 1];
};

static void read_key(sqlite3_stmt *p, struct staged_key *k)
{
	col_copy(p, 0, k->job, sizeof(k->job));
	k->run_id = sqlite3_column_int64(p, 1);
	col_copy(p, 2, k->zone, sizeof(k->zone));
	col_copy(p, 3, k->key, sizeof(k->key));
}

int sl_sq_etl_staged_list(void *state, const char *job, int64_t now_ms, sl_etl_key_fn *fn,
			  void *ctx, struct sl_err *err)
{
	struct sq *s = state;
	enum { PAGE = 128 };
	struct staged_key *page = NULL, after = {.run_id = 0};
	sqlite3_stmt *p;
	int rc = job ? check_job(job, err) : 0;
	if (rc)
		return rc;
	/* first, in one transaction: running runs that can no longer commit are failed, and
	 * the staged rows that an index row took over go */
	if ((rc = begin(s, err)) != 0)
		return rc;
	if (!(p = est(s, E_RUN_EXPIRE, err))) {
		rc = SL_EMETA;
		goto fail;
	}
	bind_opt(p, 1, job);
	sqlite3_bind_int64(p, 2, now_ms);
	if ((rc = run(s, p, err, "fail runs without a lease")) != 0)
		goto fail;
	if (!(p = est(s, E_STAGED_PRUNE, err))) {
		rc = SL_EMETA;
		goto fail;
	}
	bind_opt(p, 1, job);
	if ((rc = run(s, p, err, "forget indexed staged keys")) != 0 ||
	    (rc = commit(s, err)) != 0)
		goto fail;
	if (!(page = malloc(PAGE * sizeof(*page))))
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	for (;;) {
		size_t n = 0;
		if (!(p = est(s, E_STAGED_LIST, err))) {
			rc = SL_EMETA;
			break;
		}
		bind_opt(p, 1, job);
		bind_text(p, 2, after.job);
		sqlite3_bind_int64(p, 3, after.run_id);
		bind_text(p, 4, after.zone);
		bind_text(p, 5, after.key);
		while ((rc = sqlite3_step(p)) == SQLITE_ROW)
			read_key(p, &page[n++]);
		rc = rc == SQLITE_DONE ? 0 : db_error(s, err, "list staged keys");
		sqlite3_reset(p);
		for (size_t i = 0; rc == 0 && i < n; i++)
			rc = fn(ctx, page[i].job, page[i].run_id, page[i].zone, page[i].key);
		if (rc || n < PAGE)
			break;
		after = page[n - 1];
	}
	free(page);
	return rc;
fail:
	rollback(s);
	return rc;
}

int sl_sq_etl_staged_forget(void *state, const char *job, int64_t run_id, const char *zone,
			    const char *key, struct sl_err *err)
{
	struct sq *s = state;
	struct sl_etl_run r;
	sqlite3_stmt *p;
	int rc = check_job(job, err);
	if (rc || (rc = check_key(zone, key, err)) != 0)
		return rc;
	if ((rc = begin(s, err)) != 0)
		return rc;
	rc = run_get(s, job, run_id, &r, err);
	if (rc == SL_ENOENT) {
		rc = 0; /* nothing staged by a run that does not exist */
	} else if (rc == 0 && strcmp(r.state, SL_RUN_RUNNING) == 0) {
		/* its run may still publish and commit it */
		rc = sl_err_set(err, SL_EBUSY, "etl: %s/%s: run %s/%" PRId64 " is still running",
				zone, key, job, run_id);
	} else if (rc == 0) {
		if (!(p = est(s, E_STAGED_FORGET, err))) {
			rc = SL_EMETA;
		} else {
			bind_text(p, 1, job);
			sqlite3_bind_int64(p, 2, run_id);
			bind_text(p, 3, zone);
			bind_text(p, 4, key);
			rc = run(s, p, err, "forget staged key");
		}
	}
	if (rc != 0 || (rc = commit(s, err)) != 0)
		goto fail;
	return 0;
fail:
	rollback(s);
	return rc;
}

int sl_sq_etl_staged_find(void *state, const char *zone, const char *key, int64_t now_ms,
			  struct sl_etl_run *out, bool *live, struct sl_err *err)
{
	struct sq *s = state;
	sqlite3_stmt *p;
	bool found = false;
	int rc = check_key(zone, key, err);
	if (rc)
		return rc;
	if (!(p = est(s, E_STAGED_FIND, err)))
		return SL_EMETA;
	bind_text(p, 1, zone);
	bind_text(p, 2, key);
	sqlite3_bind_int64(p, 3, now_ms);
	if ((rc = step_one(s, p, &found, err, "find staged key")) != 0)
		return rc;
	if (found) {
		read_run(p, 0, out);
		*live = sqlite3_column_int(p, 15) != 0;
	}
	sqlite3_reset(p);
	return found ? 0
		     : sl_err_set(err, SL_ENOENT, "%s/%s is not staged by an uncommitted run",
				  zone, key);
}

/* ---- retiring files --------------------------------------------------------------------- */

/* The retire step of a rewind and of a commit's retire list: the index row of zone/key at
 * seq goes 'deleting' and the catalog row of that version 'retired' (its partition is
 * recounted at sl_sq_cat_finish). *marked and *retired say whether there were such rows
 * to change. Inside the caller's transaction, after sl_sq_cat_start. */
static int retire_one(struct sq *s, const char *zone, const char *key, int64_t seq,
		      bool *marked, bool *retired, struct sl_err *err)
{
	sqlite3_stmt *q = est(s, E_OBJ_DELETING, err);
	int rc;
	*marked = *retired = false;
	if (!q)
		return SL_EMETA;
	bind_text(q, 1, zone);
	bind_text(q, 2, key);
	sqlite3_bind_int64(q, 3, seq);
	if ((rc = run(s, q, err, "mark object deleting")) != 0)
		return rc;
	*marked = sqlite3_changes(s->db) > 0;
	return sl_sq_cat_retire_file(s, zone, key, seq, retired, err);
}

/* One file of a commit's retire list: it must still be the present object at its seq,
 * with an active catalog row (a rewind, a removal, an overwrite or another compaction may
 * have come first: SL_ESTALE, so that nothing is retired twice or under a newer file). */
static int retire_listed(struct sq *s, const struct sl_object *o, struct sl_err *err)
{
	sqlite3_stmt *p = est(s, E_OBJ_ROW, err);
	bool found = false, marked, retired;
	char state[16] = "";
	int64_t seq = 0;
	int rc;
	if (!p)
		return SL_EMETA;
	bind_text(p, 1, o->zone);
	bind_text(p, 2, o->key);
	if ((rc = step_one(s, p, &found, err, "read object")) != 0)
		return rc;
	if (found) {
		seq = sqlite3_column_int64(p, 0);
		col_copy(p, 1, state, sizeof(state));
	}
	sqlite3_reset(p);
	if (!found || seq != o->seq || strcmp(state, SL_STATE_PRESENT) != 0) {
		if (!found)
			return sl_err_set(err, SL_ESTALE,
					  "etl commit: %s/%s (seq %" PRId64 ") to retire is gone",
					  o->zone, o->key, o->seq);
		return sl_err_set(err, SL_ESTALE,
				  "etl commit: %s/%s to retire was seq %" PRId64
				  " and is seq %" PRId64 " (%s) now",
				  o->zone, o->key, o->seq, seq, state);
	}
	if (!(p = est(s, E_CAT_STATE, err)))
		return SL_EMETA;
	bind_text(p, 1, o->zone);
	bind_text(p, 2, o->key);
	sqlite3_bind_int64(p, 3, o->seq);
	if ((rc = step_one(s, p, &found, err, "read catalog file")) != 0)
		return rc;
	state[0] = '\0';
	if (found)
		col_copy(p, 0, state, sizeof(state));
	sqlite3_reset(p);
	if (strcmp(state, SL_CAT_FILE_ACTIVE) != 0)
		return sl_err_set(err, SL_ESTALE,
				  "etl commit: %s/%s (seq %" PRId64
				  ") to retire is %s in the catalog",
				  o->zone, o->key, o->seq, found ? state : "not");
	if ((rc = retire_one(s, o->zone, o->key, o->seq, &marked, &retired, err)) != 0)
		return rc;
	if (!marked || !retired) /* both were read just now, in this transaction */
		return sl_err_set(err, SL_EMETA, "etl commit: %s/%s: cannot retire it", o->zone,
				  o->key);
	return 0;
}

/* ---- commit -------------------------------------------------------------------------- */

/* An output's lineage: well formed, and its rows those of the file. */
static int check_lineage(const struct sl_etl_output *o, size_t i, struct sl_err *err)
{
	int64_t rows = 0;
	if (o->n_lineage && !o->lineage)
		return sl_err_set(err, SL_EINVAL, "etl commit: output %zu: a lineage count without "
				  "its array", i);
	for (size_t k = 0; k < o->n_lineage; k++) {
		const struct sl_etl_segment *g = &o->lineage[k];
		if (!TERMINATED(g->job) || g->run < 0 || g->rows < 1 || g->rows > INT64_MAX - rows)
			return sl_err_set(err, SL_EINVAL,
					  "etl commit: output %zu: lineage segment %zu: job "
					  "unterminated, or a negative run, or no rows",
					  i, k);
		rows += g->rows;
	}
	if (o->n_lineage && o->file && rows != o->file->records)
		return sl_err_set(err, SL_EINVAL,
				  "etl commit: output %zu: its lineage counts %" PRId64
				  " rows, the file %" PRId64,
				  i, rows, o->file->records);
	return 0;
}

static int check_commit(const struct sl_etl_commit *c, struct sl_err *err)
{
	int rc;
	if ((rc = check_holder(c->job, c->holder, err)) != 0)
		return rc;
	if (c->run_id < 1 || c->to_seq < 0)
		return sl_err_set(err, SL_EINVAL, "etl commit: run %" PRId64 ", bookmark %" PRId64,
				  c->run_id, c->to_seq);
	if ((c->n_outputs && !c->outputs) || (c->n_drift && !c->drift) ||
	    (c->n_retire && !c->retire))
		return sl_err_set(err, SL_EINVAL, "etl commit: a count without its array");
	for (size_t i = 0; i < c->n_retire; i++) {
		const struct sl_object *o = &c->retire[i];
		if (!TERMINATED(o->zone) || !TERMINATED(o->key) ||
		    check_key(o->zone, o->key, err) != 0 || o->seq < 1)
			return sl_err_set(err, SL_EINVAL,
					  "etl commit: file to retire %zu: zone or key empty or "
					  "unterminated, or no seq",
					  i);
	}
	if (c->table && (rc = sl_sq_cat_check_table(c->table, 0, err)) != 0)
		return sl_err_prefix(err, "etl commit");
	for (size_t i = 0; i < c->n_outputs; i++) {
		const struct sl_etl_output *o = &c->outputs[i];
		if (!TERMINATED(o->obj.zone) || !TERMINATED(o->obj.key) ||
		    !TERMINATED(o->obj.checksum) || !TERMINATED(o->obj.content_type) ||
		    (rc = check_key(o->obj.zone, o->obj.key, err)) != 0)
			return sl_err_set(err, SL_EINVAL,
					  "etl commit: output %zu: zone, key, checksum or content "
					  "type empty or unterminated",
					  i);
		if ((rc = check_lineage(o, i, err)) != 0)
			return rc;
		if (o->file) {
			/* the store sets zone, key, seq and state (see apply_output) */
			struct sl_cat_file f = *o->file;
			memcpy(f.zone, o->obj.zone, sizeof(f.zone));
			memcpy(f.key, o->obj.key, sizeof(f.key));
			f.seq = 1;
			snprintf(f.state, sizeof(f.state), "%s", SL_CAT_FILE_ACTIVE);
			if ((rc = sl_sq_cat_check_file(&f, i, err)) != 0)
				return sl_err_prefix(err, "etl commit");
		}
	}
	for (size_t i = 0; i < c->n_drift; i++)
		if ((rc = sl_sq_cat_check_drift(&c->drift[i], i, err)) != 0)
			return sl_err_prefix(err, "etl commit");
	return 0;
}

/* One output: it must be a key this run staged, not yet committed, and no other object
 * (a run never overwrites; the one exception is the very file, already indexed with its
 * size and checksum by someone who found it first, whose row the commit replaces). */
static int apply_output(struct sq *s, const struct sl_etl_commit *c,
			const struct sl_etl_output *o, int64_t now_ms, struct sl_buf *ev,
			struct sl_err *err)
{
	struct sl_object obj = o->obj;
	sqlite3_stmt *p = est(s, E_STAGE_STATE, err);
	bool found = false;
	int rc;
	if (!p)
		return SL_EMETA;
	bind_text(p, 1, c->job);
	sqlite3_bind_int64(p, 2, c->run_id);
	bind_text(p, 3, obj.zone);
	bind_text(p, 4, obj.key);
	if ((rc = step_one(s, p, &found, err, "read staged key")) != 0)
		return rc;
	bool staged = found && strcmp(col_text(p, 0), "staged") == 0;
	sqlite3_reset(p);
	if (!staged)
		return sl_err_set(err, SL_EINVAL, "etl commit: %s/%s %s by run %s/%" PRId64,
				  obj.zone, obj.key, found ? "is listed twice" : "was not staged",
				  c->job, c->run_id);
	if (!(p = est(s, E_OBJ_ROW, err)))
		return SL_EMETA;
	bind_text(p, 1, obj.zone);
	bind_text(p, 2, obj.key);
	if ((rc = step_one(s, p, &found, err, "read object")) != 0)
		return rc;
	if (found && !(strcmp(col_text(p, 1), SL_STATE_PRESENT) == 0 &&
		       sqlite3_column_int64(p, 2) == obj.size &&
		       strcmp(col_text(p, 3), obj.checksum) == 0)) {
		rc = sl_err_set(err, SL_EEXIST,
				"etl commit: %s/%s is another object already (seq %lld, %s): a "
				"run never overwrites",
				obj.zone, obj.key, (long long)sqlite3_column_int64(p, 0),
				col_text(p, 1));
		sqlite3_reset(p);
		return rc;
	}
	sqlite3_reset(p);
	if (!obj.created_ms)
		obj.created_ms = now_ms;
	/* the event of a nested job's file goes to its zone's queue, as a put's would */
	if ((rc = sl_sq_object_put(s, &obj, c->events ? obj.zone : NULL, ev, err)) != 0)
		return rc;
	if (!(p = est(s, E_STAGE_DONE, err)))
		return SL_EMETA;
	bind_text(p, 1, c->job);
	sqlite3_bind_int64(p, 2, c->run_id);
	bind_text(p, 3, obj.zone);
	bind_text(p, 4, obj.key);
	sqlite3_bind_int64(p, 5, obj.seq);
	if ((rc = run(s, p, err, "mark staged key done")) != 0)
		return rc;
	for (size_t k = 0; k < o->n_lineage; k++) {
		const struct sl_etl_segment *g = &o->lineage[k];
		if (!(p = est(s, E_LIN_INSERT, err)))
			return SL_EMETA;
		sqlite3_bind_int64(p, 1, obj.seq);
		sqlite3_bind_int64(p, 2, (int64_t)k);
		bind_text(p, 3, g->job);
		sqlite3_bind_int64(p, 4, g->run);
		sqlite3_bind_int64(p, 5, g->rows);
		if ((rc = run(s, p, err, "record lineage")) != 0)
			return rc;
	}
	if (!o->file)
		return 0;
	struct sl_cat_file *f = malloc(sizeof(*f));
	if (!f)
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	*f = *o->file;
	memcpy(f->zone, obj.zone, sizeof(f->zone));
	memcpy(f->key, obj.key, sizeof(f->key));
	f->seq = obj.seq;
	snprintf(f->state, sizeof(f->state), "%s", SL_CAT_FILE_ACTIVE);
	rc = sl_sq_cat_put_file(s, f, now_ms, err);
	free(f);
	return rc;
}

int sl_sq_etl_commit(void *state, const struct sl_etl_commit *c, int64_t now_ms,
		     struct sl_err *err)
{
	struct sq *s = state;
	struct sl_etl_bookmark bm;
	struct sl_etl_run r;
	struct sl_buf ev;
	sqlite3_stmt *p;
	int64_t n_drift = 0;
	int rc;
	if (!c)
		return sl_err_set(err, SL_EINVAL, "etl commit: nothing given");
	if ((rc = check_commit(c, err)) != 0)
		return rc;
	if ((rc = sl_sq_cat_ready(s, err)) != 0)
		return rc;
	sl_buf_init(&ev, SL_MESSAGE_MAX);
	if ((rc = begin(s, err)) != 0)
		goto out;
	if ((rc = hold(s, c->job, c->holder, now_ms, err)) != 0 ||
	    (rc = running(s, c->job, c->run_id, c->holder, &r, err)) != 0 ||
	    (rc = bookmark_get(s, c->job, &bm, err)) != 0)
		goto fail;
	if (bm.seq != r.from_seq) {
		rc = sl_err_set(err, SL_ESTALE,
				"run %s/%" PRId64 " began at bookmark %" PRId64
				", which has moved to %" PRId64 " since (a rewind?)",
				c->job, c->run_id, r.from_seq, bm.seq);
		goto fail;
	}
	if (c->to_seq < r.from_seq) {
		rc = sl_err_set(err, SL_EINVAL,
				"etl commit: run %s/%" PRId64 ": bookmark %" PRId64
				" is before where it began (%" PRId64 ")",
				c->job, c->run_id, c->to_seq, r.from_seq);
		goto fail;
	}
	if ((rc = sl_sq_cat_start(s, err)) != 0)
		goto fail;
	if (c->table && (rc = sl_sq_cat_apply_table(s, c->table, now_ms, err)) != 0)
		goto fail;
	for (size_t i = 0; i < c->n_outputs; i++)
		if ((rc = apply_output(s, c, &c->outputs[i], now_ms, &ev, err)) != 0)
			goto fail;
	for (size_t i = 0; i < c->n_retire; i++)
		if ((rc = retire_listed(s, &c->retire[i], err)) != 0)
			goto fail;
	if ((rc = sl_sq_cat_finish(s, c->drift, c->n_drift, now_ms, &n_drift, err)) != 0)
		goto fail;
	if (n_drift) {
		/* only the drift count: a job's commit is not one of the crawler's */
		struct sl_cat_counters add = {.drift = n_drift};
		if ((rc = sl_sq_cat_count(s, &add, now_ms, err)) != 0)
			goto fail;
	}
	if (!(p = est(s, E_BM_MOVE, err))) {
		rc = SL_EMETA;
		goto fail;
	}
	bind_text(p, 1, c->job);
	sqlite3_bind_int64(p, 2, c->to_seq);
	sqlite3_bind_int64(p, 3, c->run_id);
	sqlite3_bind_int64(p, 4, now_ms);
	if ((rc = run(s, p, err, "move bookmark")) != 0)
		goto fail;
	if (!(p = est(s, E_RUN_COMMIT, err))) {
		rc = SL_EMETA;
		goto fail;
	}
	const struct sl_etl_run *k = c->counts;
	bind_text(p, 1, c->job);
	sqlite3_bind_int64(p, 2, c->run_id);
	sqlite3_bind_int64(p, 3, c->to_seq);
	sqlite3_bind_int64(p, 4, k ? k->objects : 0);
	sqlite3_bind_int64(p, 5, k ? k->rows_in : 0);
	sqlite3_bind_int64(p, 6, k ? k->rows_out : 0);
	sqlite3_bind_int64(p, 7, k ? k->rows_rejected : 0);
	sqlite3_bind_int64(p, 8, k ? k->files : 0);
	sqlite3_bind_int64(p, 9, k ? k->bytes : 0);
	sqlite3_bind_int64(p, 10, now_ms);
	if ((rc = run(s, p, err, "commit run")) != 0 || (rc = commit(s, err)) != 0)
		goto fail;
	if (c->events && c->n_outputs)
		sl_sq_ring(s);
	goto out;
fail:
	rollback(s);
out:
	sl_buf_release(&ev);
	return rc;
}

/* ---- pending source objects ---------------------------------------------------------- */

struct pending {
	struct sl_object obj;
	struct sl_cat_file file;
	bool has_file;
};

int sl_sq_etl_pending(void *state, const char *zone, const char *prefix, int64_t after_seq,
		      int64_t limit, sl_etl_pending_fn *fn, void *ctx, struct sl_err *err)
{
	struct sq *s = state;
	enum { PAGE = 128 };
	char upper[SL_KEY_MAX + 2];
	size_t plen = prefix ? strnlen(prefix, SL_KEY_MAX + 1) : 0;
	int64_t left = limit > 0 ? limit : INT64_MAX;
	struct pending *page;
	int rc = check_name("zone", zone, SL_ZONE_MAX, err);
	if (rc)
		return rc;
	if (plen > SL_KEY_MAX)
		return sl_err_set(err, SL_EINVAL, "etl: prefix is too long");
	if (plen) {
		/* keys are UTF-8: no byte is 0xFF, so the last one can be incremented */
		memcpy(upper, prefix, plen + 1);
		upper[plen - 1] = (char)((unsigned char)upper[plen - 1] + 1);
	}
	if (!(page = calloc(PAGE, sizeof(*page))))
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	while (left > 0) {
		sqlite3_stmt *p = est(s, E_PENDING, err);
		int64_t want = left < PAGE ? left : PAGE;
		size_t n = 0;
		if (!p) {
			rc = SL_EMETA;
			break;
		}
		sqlite3_bind_int64(p, 1, after_seq);
		bind_text(p, 2, zone);
		bind_text(p, 3, plen ? prefix : "");
		if (plen)
			bind_text(p, 4, upper);
		sqlite3_bind_int64(p, 5, want);
		while (rc == 0 && (rc = sqlite3_step(p)) == SQLITE_ROW) {
			struct pending *e = &page[n++];
			sl_sq_object_read(p, 0, &e->obj);
			e->has_file = sqlite3_column_type(p, 10) != SQLITE_NULL;
			rc = e->has_file ? sl_sq_cat_file_read(p, 10, &e->file, err) : 0;
		}
		if (rc == SQLITE_DONE)
			rc = 0;
		else if (rc > 0)
			rc = db_error(s, err, "list pending objects");
		sqlite3_reset(p);
		for (size_t i = 0; i < n; i++) {
			if (rc == 0)
				rc = fn(ctx, &page[i].obj, page[i].has_file ? &page[i].file : NULL);
			if (page[i].has_file)
				sl_cat_file_release(&page[i].file);
		}
		if (rc || (int64_t)n < want)
			break;
		after_seq = page[n - 1].obj.seq;
		left -= (int64_t)n;
	}
	free(page);
	return rc;
}

/* ---- rewind -------------------------------------------------------------------------- */

/* Inside the rewind's transaction: every file committed by a run after to_run that is
 * still 'committed' -- its index row 'deleting', its catalog row 'retired'. */
static int retire_outputs(struct sq *s, const char *job, int64_t to_run, struct sl_err *err)
{
	sqlite3_stmt *p = est(s, E_RW_OUTPUTS, err);
	int rc;
	if (!p)
		return SL_EMETA;
	bind_text(p, 1, job);
	sqlite3_bind_int64(p, 2, to_run);
	/* reading etl_staged while writing objects and the catalog: other tables */
	while ((rc = sqlite3_step(p)) == SQLITE_ROW) {
		char zone[SL_ZONE_MAX], key[SL_KEY_MAX + 1];
		int64_t seq = sqlite3_column_int64(p, 2);
		bool marked, retired; /* a nested job's file may have no catalog row yet */
		col_copy(p, 0, zone, sizeof(zone));
		col_copy(p, 1, key, sizeof(key));
		if ((rc = retire_one(s, zone, key, seq, &marked, &retired, err)) != 0)
			break;
	}
	if (rc == SQLITE_DONE)
		rc = 0;
	else if (rc > 0)
		rc = db_error(s, err, "list the outputs to retire");
	sqlite3_reset(p);
	return rc;
}

/* A present file whose lineage holds rows of the runs a rewind undoes. */
struct lin_file {
	char zone[SL_ZONE_MAX];
	char *key;            /* owned */
	int64_t seq;
	bool mixed;           /* it holds other rows too */
	bool active;          /* a table has it (an active catalog row of that seq) */
};

/* Inside the rewind's transaction: the present files whose lineage holds rows of the job's
 * runs after to_run. A file holding only such rows is retired with the runs' own files;
 * one that a table has active and that holds rows which stay as well is SL_ESTALE (a
 * merged file the caller must split first, compact.h: retiring it would lose the rows
 * that stay, keeping it would keep rows the rewind undoes). A mixed file no table has is
 * nobody's data: left alone. */
static int retire_lineage(struct sq *s, const char *job, int64_t to_run, struct sl_err *err)
{
	sqlite3_stmt *p = est(s, E_RW_LINEAGE, err);
	struct lin_file *v = NULL;
	size_t n = 0, cap = 0;
	int rc;
	if (!p)
		return SL_EMETA;
	bind_text(p, 1, job);
	sqlite3_bind_int64(p, 2, to_run);
	/* read first: retiring writes the objects the statement reads */
	while ((rc = sqlite3_step(p)) == SQLITE_ROW) {
		if (n == cap) {
			size_t c2 = cap ? cap * 2 : 16;
			void *nv = realloc(v, c2 * sizeof(*v));
			if (!nv) {
				rc = sl_err_set(err, SL_ENOMEM, "out of memory");
				break;
			}
			v = nv;
			cap = c2;
		}
		struct lin_file *f = &v[n];
		col_copy(p, 0, f->zone, sizeof(f->zone));
		if (!(f->key = strdup(col_text(p, 1)))) {
			rc = sl_err_set(err, SL_ENOMEM, "out of memory");
			break;
		}
		f->seq = sqlite3_column_int64(p, 2);
		f->mixed = sqlite3_column_int(p, 3) != 0;
		f->active = sqlite3_column_int(p, 4) != 0;
		n++;
	}
	if (rc == SQLITE_DONE)
		rc = 0;
	else if (rc > 0)
		rc = db_error(s, err, "list the files holding rows of the undone runs");
	sqlite3_reset(p);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const struct lin_file *f = &v[i];
		bool marked, retired;
		if (f->mixed && f->active)
			rc = sl_err_set(err, SL_ESTALE,
					"etl rewind: %s/%s (seq %" PRId64 ") holds rows of runs of %s "
					"after %" PRId64 " and rows that stay: split it first "
					"(sl_etl_rewind splits the merged files of the job's target "
					"table)",
					f->zone, f->key, f->seq, job, to_run);
		else if (!f->mixed)
			rc = retire_one(s, f->zone, f->key, f->seq, &marked, &retired, err);
	}
	for (size_t i = 0; i < n; i++)
		free(v[i].key);
	free(v);
	return rc;
}

/* After the rewind's commit: the retired files of its lineage step still to remove. */
static int list_lineage_removals(struct sq *s, const char *job, int64_t to_run,
				 sl_etl_key_fn *fn, void *ctx, struct sl_err *err)
{
	enum { PAGE = 128 };
	struct staged_key *page = malloc(PAGE * sizeof(*page));
	int64_t after = 0;
	int rc = 0;
	if (!page)
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	for (;;) {
		sqlite3_stmt *p = est(s, E_RW_LIN_REMOVALS, err);
		size_t n = 0;
		if (!p) {
			rc = SL_EMETA;
			break;
		}
		bind_text(p, 1, job);
		sqlite3_bind_int64(p, 2, to_run);
		sqlite3_bind_int64(p, 3, after);
		while ((rc = sqlite3_step(p)) == SQLITE_ROW) {
			struct staged_key *k = &page[n++];
			snprintf(k->job, sizeof(k->job), "%s", job);
			k->run_id = sqlite3_column_int64(p, 2); /* the seq, only for paging */
			col_copy(p, 0, k->zone, sizeof(k->zone));
			col_copy(p, 1, k->key, sizeof(k->key));
		}
		rc = rc == SQLITE_DONE ? 0 : db_error(s, err, "list retired merged files");
		sqlite3_reset(p);
		for (size_t i = 0; rc == 0 && i < n; i++)
			rc = fn(ctx, job, 0, page[i].zone, page[i].key);
		if (rc || n < PAGE)
			break;
		after = page[n - 1].run_id;
	}
	free(page);
	return rc;
}

/* After the rewind's commit: hands fn the files still to remove, page by page. */
static int list_removals(struct sq *s, const char *job, int64_t to_run, sl_etl_key_fn *fn,
			 void *ctx, struct sl_err *err)
{
	enum { PAGE = 128 };
	struct staged_key *page = malloc(PAGE * sizeof(*page)), after = {.run_id = 0};
	int rc = 0;
	if (!page)
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	for (;;) {
		sqlite3_stmt *p = est(s, E_RW_REMOVALS, err);
		size_t n = 0;
		if (!p) {
			rc = SL_EMETA;
			break;
		}
		bind_text(p, 1, job);
		sqlite3_bind_int64(p, 2, to_run);
		sqlite3_bind_int64(p, 3, after.run_id);
		bind_text(p, 4, after.zone);
		bind_text(p, 5, after.key);
		while ((rc = sqlite3_step(p)) == SQLITE_ROW)
			read_key(p, &page[n++]);
		rc = rc == SQLITE_DONE ? 0 : db_error(s, err, "list rewound files");
		sqlite3_reset(p);
		for (size_t i = 0; rc == 0 && i < n; i++)
			rc = fn(ctx, page[i].job, page[i].run_id, page[i].zone, page[i].key);
		if (rc || n < PAGE)
			break;
		after = page[n - 1];
	}
	free(page);
	return rc ? rc : list_lineage_removals(s, job, to_run, fn, ctx, err);
}

int sl_sq_etl_rewind(void *state, const char *job, int64_t to_run, const char *holder,
		     int64_t now_ms, sl_etl_key_fn *fn, void *ctx, struct sl_err *err)
{
	struct sq *s = state;
	struct sl_etl_bookmark bm;
	struct sl_etl_run r;
	sqlite3_stmt *p;
	int64_t seq = 0, n_drift = 0;
	char why[96];
	int rc = check_holder(job, holder, err);
	if (rc)
		return rc;
	if (to_run < 0)
		return sl_err_set(err, SL_EINVAL, "etl rewind: run %" PRId64, to_run);
	if ((rc = sl_sq_cat_ready(s, err)) != 0)
		return rc;
	if ((rc = begin(s, err)) != 0)
		return rc;
	if ((rc = hold(s, job, holder, now_ms, err)) != 0)
		goto fail;
	rc = bookmark_get(s, job, &bm, err);
	if (rc == SL_ENOENT && to_run == 0) {
		rc = commit(s, err); /* a reset of a job that never ran: nothing to undo */
		if (rc)
			goto fail;
		return 0;
	}
	if (rc)
		goto fail;
	if (to_run > 0) {
		rc = run_get(s, job, to_run, &r, err);
		if (rc == 0 && strcmp(r.state, SL_RUN_COMMITTED) != 0)
			rc = sl_err_set(err, SL_ENOENT, "run %s/%" PRId64 " is %s, not committed",
					job, to_run, r.state);
		if (rc)
			goto fail;
		seq = r.to_seq;
	}
	if ((rc = sl_sq_cat_start(s, err)) != 0 ||
	    (rc = retire_outputs(s, job, to_run, err)) != 0 ||
	    (rc = retire_lineage(s, job, to_run, err)) != 0 ||
	    (rc = sl_sq_cat_finish(s, NULL, 0, now_ms, &n_drift, err)) != 0)
		goto fail;
	if (n_drift) {
		struct sl_cat_counters add = {.drift = n_drift};
		if ((rc = sl_sq_cat_count(s, &add, now_ms, err)) != 0)
			goto fail;
	}
	if (!(p = est(s, E_RUN_REWIND, err))) {
		rc = SL_EMETA;
		goto fail;
	}
	bind_text(p, 1, job);
	sqlite3_bind_int64(p, 2, to_run);
	if ((rc = run(s, p, err, "rewind runs")) != 0)
		goto fail;
	/* a run in progress read from the old bookmark: it must not commit over the rewind */
	if (!(p = est(s, E_RUN_ABANDON, err))) {
		rc = SL_EMETA;
		goto fail;
	}
	snprintf(why, sizeof(why), "abandoned: the job was rewound to run %" PRId64, to_run);
	bind_text(p, 1, job);
	sqlite3_bind_int64(p, 2, now_ms);
	bind_text(p, 3, why);
	if ((rc = run(s, p, err, "fail running runs")) != 0)
		goto fail;
	if (!(p = est(s, E_BM_MOVE, err))) {
		rc = SL_EMETA;
		goto fail;
	}
	bind_text(p, 1, job);
	sqlite3_bind_int64(p, 2, seq);
	sqlite3_bind_int64(p, 3, to_run);
	sqlite3_bind_int64(p, 4, now_ms);
	if ((rc = run(s, p, err, "move bookmark")) != 0 || (rc = commit(s, err)) != 0)
		goto fail;
	return fn ? list_removals(s, job, to_run, fn, ctx, err) : 0;
fail:
	rollback(s);
	return rc;
}

/* ---- lineage ------------------------------------------------------------------------- */

int sl_sq_etl_lineage_get(void *state, const char *zone, const char *key, int64_t seq,
			  sl_etl_lineage_fn *fn, void *ctx, struct sl_err *err)
{
	struct sq *s = state;
	enum { PAGE = 128 };
	struct sl_etl_segment *page;
	struct sl_object file;
	int64_t after = -1;
	bool any = false;
	int rc = check_key(zone, key, err);
	if (rc)
		return rc;
	memset(&file, 0, sizeof(file));
	snprintf(file.zone, sizeof(file.zone), "%s", zone);
	snprintf(file.key, sizeof(file.key), "%s", key);
	file.seq = seq;
	if (!(page = malloc(PAGE * sizeof(*page))))
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	for (;;) {
		sqlite3_stmt *p = est(s, E_LIN_GET, err);
		size_t n = 0;
		if (!p) {
			rc = SL_EMETA;
			break;
		}
		sqlite3_bind_int64(p, 1, seq);
		sqlite3_bind_int64(p, 2, after);
		while ((rc = sqlite3_step(p)) == SQLITE_ROW) {
			after = sqlite3_column_int64(p, 0);
			col_copy(p, 1, page[n].job, sizeof(page[n].job));
			page[n].run = sqlite3_column_int64(p, 2);
			page[n].rows = sqlite3_column_int64(p, 3);
			n++;
		}
		rc = rc == SQLITE_DONE ? 0 : db_error(s, err, "read lineage");
		sqlite3_reset(p);
		any = any || n > 0;
		for (size_t i = 0; rc == 0 && i < n; i++)
			rc = fn(ctx, &file, &page[i]);
		if (rc || n < PAGE)
			break;
	}
	if (rc == 0 && !any) {
		/* none recorded: a run's own file is all that run's */
		sqlite3_stmt *p = est(s, E_LIN_RUN, err);
		bool found = false;
		if (!p) {
			rc = SL_EMETA;
		} else {
			bind_text(p, 1, zone);
			bind_text(p, 2, key);
			sqlite3_bind_int64(p, 3, seq);
			rc = step_one(s, p, &found, err, "read the run of a file");
			if (rc == 0 && found) {
				col_copy(p, 0, page[0].job, sizeof(page[0].job));
				page[0].run = sqlite3_column_int64(p, 1);
				page[0].rows = -1;
			}
			sqlite3_reset(p);
			if (rc == 0 && found)
				rc = fn(ctx, &file, &page[0]);
		}
	}
	free(page);
	return rc;
}

int sl_sq_etl_lineage_find(void *state, const char *job, int64_t after_run,
			   sl_etl_lineage_fn *fn, void *ctx, struct sl_err *err)
{
	struct sq *s = state;
	enum { PAGE = 128 };
	struct found {
		struct sl_object file;
		struct sl_etl_segment seg;
		int64_t ord;
	} *page;
	int64_t after_seq = 0, after_ord = -1;
	int rc = check_job(job, err);
	if (rc)
		return rc;
	if (!(page = calloc(PAGE, sizeof(*page))))
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	for (;;) {
		sqlite3_stmt *p = est(s, E_LIN_FIND, err);
		size_t n = 0;
		if (!p) {
			rc = SL_EMETA;
			break;
		}
		bind_text(p, 1, job);
		sqlite3_bind_int64(p, 2, after_run);
		sqlite3_bind_int64(p, 3, after_seq);
		sqlite3_bind_int64(p, 4, after_ord);
		while ((rc = sqlite3_step(p)) == SQLITE_ROW) {
			struct found *f = &page[n++];
			col_copy(p, 0, f->file.zone, sizeof(f->file.zone));
			col_copy(p, 1, f->file.key, sizeof(f->file.key));
			f->file.seq = sqlite3_column_int64(p, 2);
			f->ord = sqlite3_column_int64(p, 3);
			col_copy(p, 4, f->seg.job, sizeof(f->seg.job));
			f->seg.run = sqlite3_column_int64(p, 5);
			f->seg.rows = sqlite3_column_int64(p, 6);
		}
		rc = rc == SQLITE_DONE ? 0 : db_error(s, err, "find lineage");
		sqlite3_reset(p);
		for (size_t i = 0; rc == 0 && i < n; i++)
			rc = fn(ctx, &page[i].file, &page[i].seg);
		if (rc || n < PAGE)
			break;
		after_seq = page[n - 1].file.seq;
		after_ord = page[n - 1].ord;
	}
	free(page);
	return rc;
}
