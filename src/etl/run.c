/*
 * run.c - the ETL run engine (run.h gives the promises, etl.h the commit protocol).
 *
 * One run (sl_etl_run_job), step by step:
 *   1. lease the job; recovery: staged keys of runs that will never commit are removed
 *      from their zone (unless an index row names them: then they are real objects) and
 *      forgotten, and the dead letters of failed and rewound runs are removed;
 *   2. etl_run_begin; the source table (raw.SOURCE) is loaded once, its schema parsed:
 *      that is the row type of every file the run writes;
 *   3. etl_pending in batches of PENDING_BATCH objects past the bookmark: an object the
 *      crawler has not catalogued yet (or catalogued under a table version newer than
 *      the one loaded) stops the run there; one the crawler rejected, or placed in
 *      another table, is passed with the bookmark; the others are read record by
 *      record into the writers of their output partitions, the lease renewed on the
 *      way. Refused records go to the run's dead letter or fail the run (on_error);
 *   4. the files are finished (crash point "written"), staged (etl_stage), the dead
 *      letter put, the files published and their statistics read back (crash point
 *      "published"), then etl_commit (crash point "committed"), and the published
 *      files are finished for good.
 * A failure before the commit aborts the unpublished files, takes back the published
 * ones, records the run failed and runs the job's recovery at once (which removes what
 * is left and the dead letter); a kill leaves it all to the next run's recovery.
 */
#include "etl/run.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "etl/internal.h"
#include "etl/transform.h"
#include "json/json.h"
#include "parquet/reader.h"
#include "parquet/writer.h"
#include "store/store.h"
#include "types/types.h"
#include "util/buf.h"
#include "util/calendar.h"
#include "util/clock.h"
#include "util/crashpoint.h"
#include "util/hash.h"
#include "validate/validate.h"

#define PENDING_BATCH 64                  /* source objects listed at a time */
#define DEFAULT_FILE_SIZE ((int64_t)128 << 20)
#define MAX_ROW_GROUP_BYTES ((size_t)64 << 20) /* one writer's row group at most */
#define BUFFER_CHECK_EVERY 1024            /* rows between two looks at the buffers */
#define RENEW_MAX_MS 5000                 /* the lease is renewed at least this often */
#define DL_LINE_MAX ((size_t)256 << 20)    /* one dead-letter line (a record and more) */
#define SL_ETL_MAX_PCOLS 8                /* partition_by columns */
#define PART_VALUE_MAX 128                /* bytes of one partition value */
#define HIVE_NULL "__HIVE_DEFAULT_PARTITION__"


/* ---- small helpers --------------------------------------------------------------------- */

static bool meta_has_etl(const struct sl_meta *m)
{
	const struct sl_meta_ops *o = m->ops;
	return o->etl_lease && o->etl_lease_release && o->etl_run_begin && o->etl_stage &&
	       o->etl_commit && o->etl_run_fail && o->etl_staged_list && o->etl_staged_forget &&
	       o->etl_pending && o->etl_run_get && o->etl_run_list && o->etl_rewind;
}

static int no_etl(const struct sl_meta *m, struct sl_err *err)
{
	return sl_err_set(err, SL_EINVAL, "metadata backend %s does not keep ETL jobs",
			  m->ops->name);
}

/* "host:pid:random", unique enough that two processes never share one. */
static void holder_make(char out[SL_HOLDER_MAX])
{
	char host[33] = "";
	uint32_t r = 0;
	if (gethostname(host, sizeof(host) - 1) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r = (uint32_t)sl_mono_ms() ^ (uint32_t)getpid() * 2654435761u;
	snprintf(out, SL_HOLDER_MAX, "%s:%ld:%08x", host, (long)getpid(), (unsigned)r);
}

bool sl_etl_table_name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n >= SL_CAT_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

static bool job_name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n >= SL_JOB_MAX || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '.' || s[i] == '-'))
			return false;
	return true;
}

/* Whether holder ("host:pid:random") is a process of this host that is gone: then its
 * lease can be broken at once instead of waiting for it to run out (a killed run). A pid
 * that lives may be another process by now; that lease is left to expire. */
static bool holder_dead(const char *holder)
{
	char host[33] = "";
	const char *colon = strchr(holder, ':');
	char *end;
	long pid;
	if (!colon || gethostname(host, sizeof(host) - 1) != 0)
		return false;
	host[sizeof(host) - 1] = '\0';
	if ((size_t)(colon - holder) != strlen(host) || strncmp(holder, host, strlen(host)) != 0)
		return false;
	errno = 0;
	pid = strtol(colon + 1, &end, 10);
	if (errno || pid <= 0 || *end != ':' || pid == (long)getpid())
		return false;
	return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

static int take_lease(struct sl_meta *m, const char *job, const char *holder, int64_t ttl_ms,
		      struct sl_err *err)
{
	struct sl_err e = {0};
	int rc = m->ops->etl_lease(m->state, job, holder, ttl_ms, sl_now_ms(), &e);
	char other[SL_HOLDER_MAX];
	int64_t until;
	if (rc == SL_EBUSY && m->ops->etl_lease_get &&
	    m->ops->etl_lease_get(m->state, job, other, sizeof(other), &until, NULL) == 0 &&
	    holder_dead(other)) {
		/* release only removes the lease while `other` still has it */
		m->ops->etl_lease_release(m->state, job, other);
		rc = m->ops->etl_lease(m->state, job, holder, ttl_ms, sl_now_ms(), &e);
	}
	if (rc == SL_EBUSY) {
		/* "job X is leased by H until T" -> "job X is running (leased by H until T)" */
		char lead[SL_JOB_MAX + 16];
		const char *why = e.msg;
		snprintf(lead, sizeof(lead), "job %s is ", job);
		if (strncmp(why, lead, strlen(lead)) == 0)
			why += strlen(lead);
		return sl_err_set(err, SL_EBUSY, "job %s is running (%s)", job, why);
	}
	if (rc)
		return sl_err_set(err, rc, "job %s: lease: %s", job, e.msg);
	return 0;
}

static int64_t lease_ttl(const struct sl_lake *lake)
{
	return lake->cfg.etl.lease_ms > 0 ? lake->cfg.etl.lease_ms : 60000;
}

/* ---- recovery ------------------------------------------------------------------------- */

struct keyref {
	char job[SL_JOB_MAX];
	int64_t run_id;
	char zone[SL_ZONE_MAX];
	char *key;
};

struct keylist {
	struct keyref *v;
	size_t n, cap;
	int rc; /* SL_ENOMEM while collecting */
};

static int keylist_add(void *ctx, const char *job, int64_t run_id, const char *zone,
		       const char *key)
{
	struct keylist *l = ctx;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		void *v = realloc(l->v, cap * sizeof(*l->v));
		if (!v)
			return l->rc = SL_ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	struct keyref *k = &l->v[l->n];
	snprintf(k->job, sizeof(k->job), "%s", job ? job : "");
	k->run_id = run_id;
	snprintf(k->zone, sizeof(k->zone), "%s", zone ? zone : "");
	if (!(k->key = strdup(key ? key : "")))
		return l->rc = SL_ENOMEM;
	l->n++;
	return 0;
}

static void keylist_release(struct keylist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].key);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* Removes the file of a staged key unless an index row names it (then it is an object
 * someone put, never ours to remove), under the key's lock so that no put of the key
 * is between its publish and its commit meanwhile; then forgets the key. */
static int unstage_one(struct sl_lake *lake, const struct keyref *k, int64_t *removed,
		       struct sl_err *err)
{
	struct sl_store *s = &lake->store;
	struct sl_meta *m = &lake->meta;
	struct sl_object row;
	int rc;
	if (sl_zone_from_name(k->zone) < 0 || sl_key_check(k->key, NULL) != 0) {
		/* not a key we could have staged: nothing to remove */
		return m->ops->etl_staged_forget(m->state, k->job, k->run_id, k->zone, k->key,
						 err);
	}
	if ((rc = sl_store_key_lock(s, k->zone, k->key, err)) != 0)
		return rc;
	rc = m->ops->object_get(m->state, k->zone, k->key, &row, NULL);
	if (rc == SL_ENOENT) {
		struct sl_fingerprint fp;
		bool there = s->ops->stat(s->state, k->zone, k->key, &fp, NULL) == 0;
		rc = s->ops->remove(s->state, k->zone, k->key, err);
		if (rc == 0 && there)
			(*removed)++;
	} else if (rc) {
		rc = sl_err_set(err, rc, "%s/%s: cannot look it up in the index", k->zone, k->key);
	}
	sl_store_key_unlock(s, k->zone, k->key);
	if (rc)
		return rc;
	return m->ops->etl_staged_forget(m->state, k->job, k->run_id, k->zone, k->key, err);
}

static void dl_key(char *out, size_t cap, const char *job, int64_t run_id)
{
	snprintf(out, cap, "etl/%s/run-%" PRId64 ".ndjson", job, run_id);
}

struct runref {
	char job[SL_JOB_MAX];
	int64_t id;
};

struct sweep {
	struct runref *v;
	size_t n, cap;
	bool stop_at_committed; /* one job: runs older than its newest committed one were
				 * swept by the recovery that came before it */
	int rc;
};

static int sweep_one(void *ctx, const struct sl_etl_run *run)
{
	struct sweep *sw = ctx;
	if (sw->stop_at_committed && strcmp(run->state, SL_RUN_COMMITTED) == 0)
		return 1;
	if (strcmp(run->state, SL_RUN_FAILED) != 0 && strcmp(run->state, SL_RUN_REWOUND) != 0)
		return 0;
	if (sw->n == sw->cap) {
		size_t cap = sw->cap ? sw->cap * 2 : 16;
		void *v = realloc(sw->v, cap * sizeof(*sw->v));
		if (!v)
			return sw->rc = SL_ENOMEM;
		sw->v = v;
		sw->cap = cap;
	}
	snprintf(sw->v[sw->n].job, sizeof(sw->v[sw->n].job), "%s", run->job);
	sw->v[sw->n].id = run->id;
	sw->n++;
	return 0;
}

/* Removes the dead letters of failed and rewound runs (promise 5): of job, newer than
 * its newest committed run (a run starts only after a recovery that swept the runs
 * before it, so older ones are clean); of every job and every run when job is NULL. */
static int sweep_deadletters(struct sl_lake *lake, const char *job, int64_t *removed,
			     struct sl_err *err)
{
	struct sl_meta *m = &lake->meta;
	struct sweep sw = {.stop_at_committed = job != NULL};
	int rc = m->ops->etl_run_list(m->state, job, 0, sweep_one, &sw, err);
	if (sw.rc) {
		rc = sl_err_set(err, SL_ENOMEM, "out of memory");
		goto done;
	}
	if (rc < 0)
		goto done;
	rc = 0;
	for (size_t i = 0; i < sw.n; i++) {
		char key[SL_KEY_MAX + 1];
		struct sl_object row;
		dl_key(key, sizeof(key), sw.v[i].job, sw.v[i].id);
		if (sl_key_check(key, NULL) != 0)
			continue;
		int got = m->ops->object_get(m->state, "deadletter", key, &row, NULL);
		if (got == SL_ENOENT)
			continue;
		if ((rc = sl_store_remove(&lake->store, "deadletter", key, err)) != 0)
			goto done;
		(*removed)++;
	}
done:
	free(sw.v);
	return rc;
}

/* Recovery of one job (job NULL: every job). */
static int recover(struct sl_lake *lake, const char *job, int64_t *files, int64_t *dead,
		   struct sl_err *err)
{
	struct sl_meta *m = &lake->meta;
	struct keylist kl = {0};
	int rc = m->ops->etl_staged_list(m->state, job, sl_now_ms(), keylist_add, &kl, err);
	if (kl.rc) {
		rc = sl_err_set(err, SL_ENOMEM, "out of memory");
		goto done;
	}
	if (rc)
		goto done;
	for (size_t i = 0; i < kl.n; i++)
		if ((rc = unstage_one(lake, &kl.v[i], files, err)) != 0)
			goto done;
	rc = sweep_deadletters(lake, job, dead, err);
done:
	keylist_release(&kl);
	if (rc)
		sl_err_prefix(err, "recovery of %s", job ? job : "the ETL jobs");
	return rc;
}

int sl_etl_recover_job(struct sl_lake *lake, const char *job, int64_t *files,
		       struct sl_err *err)
{
	int64_t n = 0, dead = 0;
	int rc = recover(lake, job, &n, &dead, err);
	if (files)
		*files = n;
	return rc;
}

int sl_etl_lease_take(struct sl_meta *m, const char *job, const char *holder, int64_t ttl_ms,
		      struct sl_err *err)
{
	return take_lease(m, job, holder, ttl_ms, err);
}

int sl_etl_meta_check(const struct sl_meta *m, struct sl_err *err)
{
	return meta_has_etl(m) ? 0 : no_etl(m, err);
}

void sl_etl_holder_make(char out[SL_HOLDER_MAX])
{
	holder_make(out);
}

int64_t sl_etl_lease_ttl(const struct sl_lake *lake)
{
	return lease_ttl(lake);
}

int sl_etl_recover(struct sl_lake *lake, int64_t *removed, struct sl_err *err)
{
	int64_t files = 0, dead = 0;
	if (!meta_has_etl(&lake->meta))
		return no_etl(&lake->meta, err);
	int rc = recover(lake, NULL, &files, &dead, err);
	if (removed)
		*removed = files;
	return rc;
}

/* ---- rewind --------------------------------------------------------------------------- */

/* Merged files whose lineage is not known: a file merged before lineage was kept got one
 * segment naming the compaction run that wrote it (migration 6). */
struct compacted {
	int64_t to_run;
	const char *cjob;
	int64_t newest;           /* the newest such compaction run, 0: none */
	struct sl_etl_run c;      /* and its record */
	int64_t merged_max;       /* the newest run after to_run it may have merged, 0: none */
};

static int opaque_one(void *ctx, const struct sl_object *file, const struct sl_etl_segment *seg)
{
	struct compacted *k = ctx;
	(void)file;
	if (strcmp(seg->job, k->cjob) == 0 && seg->run > k->newest)
		k->newest = seg->run;
	return 0;
}

static int later_run(void *ctx, const struct sl_etl_run *run)
{
	struct compacted *k = ctx;
	if (run->id <= k->to_run)
		return 1; /* newest first: the rest is not undone */
	/* a run that committed before the compaction began may have had its files merged
	 * (a compaction lists the files before it begins); the newest such run is all that
	 * matters, since older compactions began earlier */
	if (strcmp(run->state, SL_RUN_COMMITTED) == 0 && run->ended_ms <= k->c.started_ms) {
		k->merged_max = run->id;
		return 1;
	}
	return 0;
}

/* Rows of a merged file whose lineage is unknown cannot be told apart, so a rewind that
 * would undo a run whose rows may be in one is refused (SL_EINVAL, naming the run to
 * rewind to at least); compacting that file again does not help (its rows stay of
 * unknown runs), rebuilding the table does. */
static int rewind_check_unknown(struct sl_lake *lake, const char *job, int64_t to_run,
				const char *target, const char *cjob, struct sl_err *err)
{
	struct sl_meta *m = &lake->meta;
	struct compacted k = {.to_run = to_run, .cjob = cjob};
	int rc = m->ops->etl_lineage_find(m->state, cjob, 0, opaque_one, &k, err);
	if (rc || !k.newest)
		return rc;
	if ((rc = m->ops->etl_run_get(m->state, cjob, k.newest, &k.c, err)) != 0 ||
	    (rc = m->ops->etl_run_list(m->state, job, 0, later_run, &k, err)) < 0)
		return rc;
	if (!k.merged_max)
		return 0;
	char when[40];
	sl_fmt_time(k.c.started_ms, when, sizeof(when));
	return sl_err_set(err, SL_EINVAL,
			  "job %s: curated.%s was compacted at %s (%s run %" PRId64
			  ") before its files kept their lineage, after run %" PRId64
			  " committed: rows of runs after %" PRId64 " may be in those merged files, "
			  "which a rewind cannot take apart; rewind to run %" PRId64 " or later",
			  job, target, when, cjob, k.c.id, k.merged_max, to_run, k.merged_max);
}

/* The compaction of the job's target: its lease is taken and held through the rewind
 * (*cjob, for the caller to release; "" when the job has no known target, not being in
 * sluice.yaml any more), so that none commits meanwhile, and the merged files holding
 * rows of the runs after to_run beside rows that stay are split (sl_etl_compact_split),
 * so that the rewind retires whole files. */
static int rewind_split(struct sl_lake *lake, const char *job, int64_t to_run,
			const char *holder, char cjob[SL_JOB_MAX], struct sl_err *err)
{
	struct sl_meta *m = &lake->meta;
	struct sl_job_conf jc;
	struct sl_err e = {0};
	int rc;
	cjob[0] = '\0';
	if (!sl_config_job(&lake->cfg, job, &jc) || !jc.target[0] ||
	    sl_etl_compact_job(jc.target, cjob, NULL) != 0) {
		cjob[0] = '\0';
		return 0;
	}
	if ((rc = take_lease(m, cjob, holder, lease_ttl(lake), &e)) != 0) {
		cjob[0] = '\0';
		if (rc == SL_EBUSY)
			return sl_err_set(err, rc, "job %s: a compaction of curated.%s is running "
					  "(%s); rewind after it", job, jc.target, e.msg);
		return sl_err_set(err, rc, "job %s: %s", job, e.msg);
	}
	if ((rc = rewind_check_unknown(lake, job, to_run, jc.target, cjob, err)) != 0)
		return rc;
	if ((rc = sl_etl_compact_split(lake, jc.target, job, to_run, holder, NULL, err)) != 0)
		return sl_err_prefix(err, "job %s: rewind to run %" PRId64, job, to_run);
	return 0;
}

int sl_etl_rewind(struct sl_lake *lake, const char *job, int64_t to_run, int64_t *removed,
		  struct sl_err *err)
{
	struct sl_meta *m = &lake->meta;
	struct sl_store *s = &lake->store;
	struct keylist kl = {0};
	char holder[SL_HOLDER_MAX], cjob[SL_JOB_MAX] = "";
	int64_t files = 0, dead = 0;
	int rc;

	if (removed)
		*removed = 0;
	if (!meta_has_etl(m) || !m->ops->etl_lineage_find || !m->ops->etl_lineage_get)
		return no_etl(m, err);
	if (!job || !job_name_ok(job))
		return sl_err_set(err, SL_EINVAL, "'%s' is not a job name", job ? job : "");
	if (to_run < 0)
		return sl_err_set(err, SL_EINVAL, "job %s: no run %" PRId64, job, to_run);
	holder_make(holder);
	if ((rc = take_lease(m, job, holder, lease_ttl(lake), err)) != 0)
		return rc;
	if (to_run > 0) {
		/* checked again by etl_rewind; here so that nothing is split for nothing */
		struct sl_etl_run r;
		if ((rc = m->ops->etl_run_get(m->state, job, to_run, &r, err)) != 0)
			goto done;
		if (strcmp(r.state, SL_RUN_COMMITTED) != 0) {
			rc = sl_err_set(err, SL_ENOENT, "run %s/%" PRId64 " is %s, not committed",
					job, to_run, r.state);
			goto done;
		}
	}
	if ((rc = rewind_split(lake, job, to_run, holder, cjob, err)) != 0)
		goto done;
	sl_crash_point("rewind_split");
	rc = m->ops->etl_rewind(m->state, job, to_run, holder, sl_now_ms(), keylist_add, &kl,
				err);
	if (kl.rc)
		rc = sl_err_set(err, SL_ENOMEM, "out of memory");
	if (rc)
		goto done;
	sl_crash_point("rewind_committed");
	/* The rewind is committed: its files are 'deleting' in the index (fsck finishes
	 * what a crash interrupts here). */
	for (size_t i = 0; i < kl.n; i++) {
		const struct keyref *k = &kl.v[i];
		if ((rc = sl_store_key_lock(s, k->zone, k->key, err)) != 0)
			goto done;
		rc = sl_store_remove_finish(s, k->zone, k->key, err);
		sl_store_key_unlock(s, k->zone, k->key);
		if (rc)
			goto done;
		files++;
	}
	rc = sweep_deadletters(lake, job, &dead, err);
done:
	if (cjob[0])
		m->ops->etl_lease_release(m->state, cjob, holder);
	m->ops->etl_lease_release(m->state, job, holder);
	keylist_release(&kl);
	if (removed)
		*removed = files;
	return rc;
}

int sl_etl_reset(struct sl_lake *lake, const char *job, int64_t *removed, struct sl_err *err)
{
	return sl_etl_rewind(lake, job, 0, removed, err);
}

/* ---- a run's output files ---------------------------------------------------------------- */

/* A file being written: the partition's current one. */
struct openw {
	struct sl_etl_outfile *f;
	struct sl_pq_writer *pw;
	int64_t used;             /* the run's record count when last used (LRU) */
};

/* A source object past the bookmark, with what its catalog row says. */
struct pend {
	struct sl_object obj;
	bool catalogued;
	char state[SL_CAT_STATE_MAX];
	char reason[512];
	char db[SL_CAT_DB_MAX];
	char table[SL_CAT_NAME_MAX];
	char part[SL_CAT_PART_MAX];
	char format[SL_CAT_FORMAT_MAX];
	int64_t schema_version;
};

struct pendlist {
	struct pend v[PENDING_BATCH];
	size_t n;
};

struct run {
	struct sl_lake *lake;
	struct sl_meta *m;
	struct sl_store *s;
	struct sl_job_conf job;
	const char *name;
	char holder[SL_HOLDER_MAX];
	bool leased;
	struct sl_etl_run run;       /* as begun */
	bool begun;
	struct sl_etl_result *res;
	/* source and target */
	struct sl_cat_table src;
	bool have_src;
	struct sl_type *src_row;     /* the source schema */
	struct sl_type *target_row;  /* the target's schema as committed, NULL: none yet */
	/* the transform */
	const struct sl_etl_xform_ops *xf;
	void *xs;
	struct sl_etl_xform_env env;
	struct sl_type *out_row;     /* the transform's output row type (NULL until known) */
	struct sl_type *row;         /* every file's row type: out_row without the
				      * partition columns (NULL until the first row) */
	struct sl_buf row_text;
	char source[SL_CAT_NAME_MAX]; /* the source family's raw table (Web-Logs ->
				       * web_logs, as the crawler names it) */
	char prefix[SL_KEY_MAX + 1]; /* target + "/" */
	/* partition_by: the output's partition columns; a column the output lacks named dt
	 * is the date of the source record's ts */
	char pcols[SL_ETL_MAX_PCOLS][SL_CAT_NAME_MAX];
	bool pcol_ts[SL_ETL_MAX_PCOLS];
	size_t n_pcols;
	const char *pkeys;           /* the target's partition keys */
	char tmp_dir[4096];          /* LAKE/.sluice/tmp, for a transform's spools */
	int64_t buffer_max;          /* the open files' buffer budget (promise 4) */
	bool nested, fail_on_error;
	int64_t file_size;
	struct sl_pq_write_opts wo;
	struct sl_pq_kv_pair kv[2];
	char run_text[24];
	struct sl_json_limits lim;
	struct sl_json_parser *parser; /* rows of Parquet sources */
	/* output */
	struct sl_etl_outfile **files;
	size_t n_files, cap_files;
	struct openw open[SL_ETL_MAX_OPEN_FILES];
	size_t n_open;
	int64_t file_no;
	/* the dead letter */
	struct sl_store_writer *dl;
	char dl_key[SL_KEY_MAX + 1];
	bool dl_put;
	struct sl_buf line;
	/* progress */
	int64_t to_seq;
	int64_t objects, rows_in, rows_out, rows_rejected;
	int64_t ttl_ms, renew_every_ms, renewed_ms;
	struct pendlist pl;
};

/* Finishes the Parquet file of open[i] (footer written, checksum final) and closes the
 * slot; a file without rows is dropped. */
static int file_finish(struct run *r, size_t i, struct sl_err *err)
{
	struct openw *ow = &r->open[i];
	struct sl_etl_outfile *f = ow->f;
	int rc = sl_pq_writer_close(ow->pw, err);
	sl_pq_writer_free(ow->pw);
	r->open[i] = r->open[--r->n_open];
	if (rc)
		return sl_err_prefix(err, "curated/%s", f->key);
	sl_etl_outfile_seal(f);
	if (f->rows == 0) {
		f->s->ops->put_abort(f->bw);
		f->bw = NULL;
		f->dropped = true;
	}
	return 0;
}

/* The writer of partition part, opening a new file (and finishing the least recently
 * used one when SL_ETL_MAX_OPEN_FILES are open). */
static int file_for(struct run *r, const char *part, struct openw **out, struct sl_err *err)
{
	struct sl_etl_outfile *f = NULL;
	size_t i;
	int rc;
	for (i = 0; i < r->n_open; i++)
		if (strcmp(r->open[i].f->part, part) == 0) {
			r->open[i].used = r->rows_in;
			*out = &r->open[i];
			return 0;
		}
	if (r->n_open == SL_ETL_MAX_OPEN_FILES) {
		size_t lru = 0;
		for (i = 1; i < r->n_open; i++)
			if (r->open[i].used < r->open[lru].used)
				lru = i;
		if ((rc = file_finish(r, lru, err)) != 0)
			return rc;
	}
	if (r->n_files == r->cap_files) {
		size_t cap = r->cap_files ? r->cap_files * 2 : 16;
		void *v = realloc(r->files, cap * sizeof(*r->files));
		if (!v)
			return sl_err_set(err, SL_ENOMEM, "out of memory");
		r->files = v;
		r->cap_files = cap;
	}
	char key[SL_KEY_MAX + 2];
	int n = snprintf(key, sizeof(key), "%s%s%spart-r%" PRId64 "-%03" PRId64 ".parquet",
			 r->prefix, part, part[0] ? "/" : "", r->run.id, r->file_no);
	if (n < 0 || (size_t)n >= sizeof(key))
		return sl_err_set(err, SL_EKEY, "partition %s: the file's key would be longer "
				  "than %d bytes", part, SL_KEY_MAX);
	if ((rc = sl_etl_outfile_open(r->s, part, key, &f, err)) != 0)
		return rc;
	struct openw *ow = &r->open[r->n_open];
	memset(ow, 0, sizeof(*ow));
	if ((rc = sl_pq_writer_open(r->row, &r->wo, &f->sink, &ow->pw, err)) != 0)
		goto fail;
	sl_pq_writer_set_text_any(ow->pw, true); /* the catalog's conflict columns */
	ow->f = f;
	ow->used = r->rows_in;
	r->n_open++;
	r->files[r->n_files++] = f;
	r->file_no++;
	*out = ow;
	return 0;
fail:
	sl_etl_outfile_free(f);
	return rc;
}

/* ---- refused records: the dead letter ------------------------------------------------ */

/* Appends {"object":KEY,"line":N,"error":WHY,"record":R} to the run's dead letter (or
 * fails the run, on_error fail). R is the record's text when it is JSON (line breaks,
 * which JSON only allows as whitespace, made spaces so the line stays one line), else
 * the text as a string, or null when it is not known. */
static int refuse(struct run *r, const struct sl_object *obj, int64_t line, const char *why,
		  const char *text, size_t len, bool is_json, struct sl_err *err)
{
	int rc;
	r->rows_rejected++;
	if (r->fail_on_error)
		return sl_err_set(err, SL_EINVAL, "%s/%s:%" PRId64 ": %s (on_error: fail)",
				  obj->zone, obj->key, line, why);
	if (!r->dl) {
		dl_key(r->dl_key, sizeof(r->dl_key), r->name, r->run.id);
		if ((rc = sl_store_writer_open(r->s, "deadletter", r->dl_key,
					       "application/x-ndjson", &r->dl, err)) != 0)
			return sl_err_prefix(err, "dead letter");
	}
	struct sl_buf *b = &r->line;
	sl_buf_reset(b);
	rc = sl_buf_puts(b, "{\"object\":");
	if (!rc)
		rc = sl_buf_json_str(b, obj->key, strlen(obj->key));
	if (!rc)
		rc = sl_buf_printf(b, ",\"line\":%" PRId64 ",\"error\":", line);
	if (!rc)
		rc = sl_buf_json_str(b, why, strlen(why));
	if (!rc)
		rc = sl_buf_puts(b, ",\"record\":");
	if (!rc && !text) {
		rc = sl_buf_puts(b, "null");
	} else if (!rc && is_json) {
		size_t at = b->len;
		rc = sl_buf_append(b, text, len);
		for (size_t i = at; rc == 0 && i < b->len; i++)
			if (b->data[i] == '\n' || b->data[i] == '\r')
				b->data[i] = ' ';
	} else if (!rc) {
		rc = sl_buf_json_str(b, text, len);
	}
	if (!rc)
		rc = sl_buf_puts(b, "}\n");
	if (rc)
		return sl_err_set(err, rc, "%s/%s:%" PRId64 ": cannot make the dead-letter line",
				  obj->zone, obj->key, line);
	return sl_store_writer_write(r->dl, b->data, b->len, err);
}

/* ---- dt from ts ------------------------------------------------------------------------ */

/* The UTC date of an RFC 3339 date-time with an offset ("2026-01-05T23:30:00-02:00" ->
 * 2026-01-06), as "dt=YYYY-MM-DD". False when s is not one. */
static bool dt_of(const char *s, size_t n, char *out, size_t cap)
{
	struct sl_datetime dt;
	if (n > 128 || !sl_datetime_parse(s, n, &dt))
		return false;
	/* a leap second (:60) belongs to the day it ends */
	int64_t sod = dt.ns / SL_NS_PER_SEC - dt.leap - dt.off_s;
	int64_t days = dt.days + (sod < 0 ? -1 : sod >= 86400 ? 1 : 0);
	int64_t yy;
	int mm, dd;
	sl_civil_from_days(days, &yy, &mm, &dd);
	if (yy < 0 || yy > 9999)
		return false;
	snprintf(out, cap, "dt=%04d-%02d-%02d", (int)yy, mm, dd);
	return true;
}

/* The record's top-level ts member as a dt partition, or why not. */
static bool record_dt(const struct sl_json_doc *doc, char *part, size_t cap, const char **why)
{
	const struct sl_json_tok *tok = doc->tok;
	const struct sl_json_tok *ts = NULL;
	size_t end = tok[0].v.end;
	if (end > doc->n_tok)
		end = doc->n_tok;
	for (size_t i = 1; i + 1 < end;) {
		const struct sl_json_tok *k = &tok[i], *v = &tok[i + 1];
		if (k->type == SL_JSON_KEY && k->len == 2 && memcmp(k->v.s, "ts", 2) == 0)
			ts = v; /* the last one wins, as in sl_json_get */
		if ((v->type == SL_JSON_OBJECT || v->type == SL_JSON_ARRAY) && v->v.end > i + 1)
			i = (size_t)v->v.end + 1;
		else
			i += 2;
	}
	if (!ts || ts->type == SL_JSON_NULL) {
		*why = "partition_by dt: the record has no ts";
		return false;
	}
	if (ts->type != SL_JSON_STRING || !dt_of(ts->v.s, ts->len, part, cap)) {
		*why = "partition_by dt: ts is not an RFC 3339 date-time with an offset";
		return false;
	}
	return true;
}

/* ---- partitions ---------------------------------------------------------------------- */

/* The top-level member name of an object record, the last one of that name (as
 * sl_json_get); NULL when there is none. */
static const struct sl_json_tok *member(const struct sl_json_doc *doc, const char *name)
{
	const struct sl_json_tok *tok = doc->tok, *found = NULL;
	size_t n = strlen(name), end = tok[0].v.end;
	if (end > doc->n_tok)
		end = doc->n_tok;
	for (size_t i = 1; i + 1 < end;) {
		const struct sl_json_tok *k = &tok[i], *v = &tok[i + 1];
		if (k->type == SL_JSON_KEY && k->len == n && memcmp(k->v.s, name, n) == 0)
			found = v;
		if ((v->type == SL_JSON_OBJECT || v->type == SL_JSON_ARRAY) && v->v.end > i + 1)
			i = (size_t)v->v.end + 1;
		else
			i += 2;
	}
	return found;
}

/* A partition value as a folder name's value: Hive's escapes (%XX for the characters
 * that a path or a k=v folder cannot hold as they are), so that Athena, Spark and
 * DuckDB read back the same value; false when it is longer than PART_VALUE_MAX. */
static bool part_escape(const char *v, size_t n, char *out, size_t cap)
{
	static const char esc[] = "\"#%'*/:=?\\{[]^";
	size_t o = 0;
	if (n > PART_VALUE_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		if (o + 4 >= cap)
			return false;
		if (c < 0x20 || c == 0x7f || memchr(esc, c, sizeof(esc) - 1))
			o += (size_t)snprintf(out + o, cap - o, "%%%02X", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
	return true;
}

/* The partition of an output row: NAME=VALUE folders, one per partition_by column. A
 * column the output lacks, named dt, is the date of the source record's ts (of the
 * output row's when it has no source record: SQL). */
static bool partition_of(struct run *r, const struct sl_etl_rec *src,
			 const struct sl_json_doc *row, char *part, size_t cap, const char **why)
{
	static char whybuf[SL_CAT_NAME_MAX + 96];
	size_t o = 0;
	part[0] = '\0';
	for (size_t i = 0; i < r->n_pcols; i++) {
		const char *name = r->pcols[i];
		char val[PART_VALUE_MAX * 3 + 32];
		const struct sl_json_tok *t;
		if (r->pcol_ts[i]) {
			if (!record_dt(src ? src->doc : row, val, sizeof(val), why))
				return false;
			memmove(val, val + 3, strlen(val + 3) + 1); /* "dt=" is added below */
		} else if (!(t = member(row, name)) || t->type == SL_JSON_NULL) {
			snprintf(val, sizeof(val), HIVE_NULL);
		} else {
			const char *p = NULL;
			size_t n = 0;
			switch (t->type) {
			case SL_JSON_STRING: p = t->v.s; n = t->len; break;
			case SL_JSON_INT:
			case SL_JSON_BIGINT:
			case SL_JSON_DOUBLE: p = row->text + t->off; n = t->len; break;
			case SL_JSON_TRUE: p = "true"; n = 4; break;
			case SL_JSON_FALSE: p = "false"; n = 5; break;
			default: break;
			}
			if (!p) {
				snprintf(whybuf, sizeof(whybuf), "partition column %s: a struct or "
					 "list is no partition value", name);
				*why = whybuf;
				return false;
			}
			if (n == 0) {
				snprintf(val, sizeof(val), HIVE_NULL);
			} else if (!part_escape(p, n, val, sizeof(val))) {
				snprintf(whybuf, sizeof(whybuf), "partition column %s: a value longer "
					 "than %d bytes", name, PART_VALUE_MAX);
				*why = whybuf;
				return false;
			}
		}
		int w = snprintf(part + o, cap - o, "%s%s=%s", i ? "/" : "", name, val);
		if (w < 0 || (size_t)w >= cap - o) {
			*why = "the partition's folders are too long";
			return false;
		}
		o += (size_t)w;
	}
	return true;
}

/* The files' row type, once the transform's output type is known: without the
 * partition columns, which the folders hold. */
static int file_row_make(struct run *r, struct sl_err *err)
{
	struct sl_type *row;
	if (!r->out_row)
		return sl_err_set(err, SL_EINVAL, "job %s: the %s transform gave no row type",
				  r->name, r->xf->name);
	if (r->out_row->kind != SL_T_STRUCT)
		return sl_err_set(err, SL_EINVAL, "job %s: the %s transform's rows are not "
				  "structs", r->name, r->xf->name);
	if (!(row = sl_type_new(SL_T_STRUCT, false)))
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	for (size_t i = 0; i < r->n_pcols; i++) {
		bool has = sl_type_field(r->out_row, r->pcols[i]) != NULL;
		r->pcol_ts[i] = !has && strcmp(r->pcols[i], "dt") == 0;
		if (!has && !r->pcol_ts[i]) {
			sl_type_free(row);
			return sl_err_set(err, SL_ECONFIG, "job %s: partition_by column %s is not "
					  "a column of the output", r->name, r->pcols[i]);
		}
	}
	for (size_t f = 0; f < r->out_row->n_fields; f++) {
		const struct sl_field *fd = &r->out_row->fields[f];
		bool pcol = false;
		for (size_t i = 0; i < r->n_pcols && !pcol; i++)
			pcol = strcmp(r->pcols[i], fd->name) == 0;
		struct sl_type *t = pcol ? NULL : sl_type_clone(fd->type);
		if (!pcol && (!t || sl_type_add_field(row, fd->name, t, err) != 0)) {
			sl_type_free(row);
			return t ? sl_err_prefix(err, "job %s", r->name)
				 : sl_err_set(err, SL_ENOMEM, "out of memory");
		}
	}
	if (row->n_fields == 0) {
		sl_type_free(row);
		return sl_err_set(err, SL_ECONFIG, "job %s: the output has no column besides "
				  "its partition columns", r->name);
	}
	r->row = row;
	sl_buf_reset(&r->row_text);
	if (sl_type_format(r->row, &r->row_text) != 0)
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	return 0;
}

/* ---- records -------------------------------------------------------------------------- */

/* env->refuse: a source record (or, without one, the output row) to the dead letter. */
static int refuse_rec(struct run *r, const struct sl_etl_rec *src,
		      const struct sl_json_doc *row, const char *why, struct sl_err *err)
{
	static const struct sl_object none = {.zone = "", .key = ""};
	const struct sl_json_doc *d = src ? src->doc : row;
	return refuse(r, src ? src->obj : &none, src ? src->line : 0, why, d ? d->text : NULL,
		      d ? d->len : 0, true, err);
}

static int xf_refuse(void *ctx, const struct sl_etl_rec *src, const char *why,
		     struct sl_err *err)
{
	return refuse_rec(ctx, src, NULL, why, err);
}

/* Promise 4: while the open writers buffer more than SL_ETL_BUFFER_MAX together, the
 * largest writes its row group out (a file that reaches its size rolls over after). */
static int buffers_bound(struct run *r, struct sl_err *err)
{
	for (;;) {
		int64_t total = 0, most = -1;
		size_t big = 0;
		for (size_t i = 0; i < r->n_open; i++) {
			struct sl_pq_write_stats st;
			sl_pq_writer_stats(r->open[i].pw, &st);
			total += st.buffered_bytes;
			if (st.buffered_bytes > most) {
				most = st.buffered_bytes;
				big = i;
			}
		}
		if (total <= r->buffer_max || most <= 0)
			return 0;
		int rc = sl_pq_writer_flush(r->open[big].pw, err);
		if (rc)
			return sl_err_prefix(err, "curated/%s", r->open[big].f->key);
	}
}

/* env->emit: an output row into the file of its partition. */
static int xf_emit(void *ctx, const struct sl_etl_rec *src, const struct sl_json_doc *row,
		   struct sl_err *err)
{
	struct run *r = ctx;
	char part[SL_CAT_PART_MAX];
	const char *why = NULL;
	struct openw *ow = NULL;
	struct sl_err werr = {0};
	int rc;

	if (!r->row && (rc = file_row_make(r, err)) != 0)
		return rc;
	if (row->n_tok == 0 || row->tok[0].type != SL_JSON_OBJECT)
		return refuse_rec(r, src, row, "the row is not an object", err);
	if (r->n_pcols == 0)
		snprintf(part, sizeof(part), "%s", src ? src->part : "");
	else if (!partition_of(r, src, row, part, sizeof(part), &why))
		return refuse_rec(r, src, row, why, err);
	rc = file_for(r, part, &ow, &werr);
	if (rc == SL_EKEY && r->n_pcols)
		return refuse_rec(r, src, row, werr.msg, err); /* a value makes no key */
	if (rc)
		return sl_err_set(err, rc, "%s", werr.msg);
	rc = sl_pq_writer_put_json(ow->pw, row, &werr);
	if (rc == SL_EINVAL)
		return refuse_rec(r, src, row, werr.msg, err);
	if (rc)
		return sl_err_set(err, rc, "curated/%s: %s", ow->f->key, werr.msg);
	r->rows_out++;
	ow->f->rows++;
	struct sl_pq_write_stats st;
	sl_pq_writer_stats(ow->pw, &st);
	if (st.bytes_written >= r->file_size)
		return file_finish(r, (size_t)(ow - r->open), err);
	if (r->rows_out % BUFFER_CHECK_EVERY == 0 && r->n_open > 1)
		return buffers_bound(r, err);
	return 0;
}

static int put_record(struct run *r, const struct pend *p, const struct sl_json_doc *doc,
		      int64_t line, struct sl_err *err)
{
	struct sl_etl_rec rec = {.obj = &p->obj, .part = p->part, .line = line, .doc = doc};
	r->rows_in++;
	if (doc->n_tok == 0 || doc->tok[0].type != SL_JSON_OBJECT)
		return refuse_rec(r, &rec, NULL, "the record is not an object", err);
	return r->xf->record(r->xs, &rec, err);
}

static void renew(struct run *r)
{
	int64_t now = sl_mono_ms();
	if (now - r->renewed_ms < r->renew_every_ms)
		return;
	r->renewed_ms = now;
	/* a failed renewal shows at the next one or at the commit, which checks the lease */
	r->m->ops->etl_lease(r->m->state, r->name, r->holder, r->ttl_ms, sl_now_ms(), NULL);
}

static void xf_progress(void *ctx)
{
	renew(ctx);
}

/* Is a reader's error the object's fault (its records cannot be read on), or the
 * machine's (the run fails and the object is read again next time)? */
static bool object_at_fault(int code)
{
	return code == SL_ECORRUPT || code == SL_ELIMIT || code == SL_EINVAL;
}

static int read_json(struct run *r, const struct pend *p, int fd, struct sl_err *err)
{
	struct sl_json_reader *jr = NULL;
	enum sl_json_framing framing = SL_JSON_FRAME_AUTO;
	char subject[SL_SUBJECT_NAME_MAX], name[SL_ZONE_MAX + SL_KEY_MAX + 2];
	int rc;

	/* the framing the validator routed the key with (a document stays a document) */
	sl_validate_route(&r->lake->cfg, p->obj.key, subject, sizeof(subject), &framing);
	snprintf(name, sizeof(name), "%s/%s", p->obj.zone, p->obj.key);
	if ((rc = sl_json_reader_open(fd, name, framing, &r->lim, &jr, err)) != 0)
		return rc;
	for (int64_t n = 0;; n++) {
		struct sl_json_doc doc;
		struct sl_json_error e;
		int got = sl_json_reader_next(jr, &doc, &e);
		if (got == 0)
			break;
		if (got > 0) {
			if ((rc = put_record(r, p, &doc, doc.pos.line, err)) != 0)
				goto done;
		} else {
			const char *text = NULL;
			size_t len = 0;
			char why[400];
			if (!object_at_fault(e.code)) {
				rc = sl_err_set(err, e.code, "%s:%" PRId64 ":%" PRId64 ": %s", name,
						e.pos.line, e.pos.column, e.msg);
				goto done;
			}
			snprintf(why, sizeof(why), "%s%s", e.fatal ? "unreadable from here: " : "",
				 e.msg);
			if (!e.fatal)
				sl_json_reader_record_text(jr, &text, &len, NULL);
			r->rows_in++;
			if ((rc = refuse(r, &p->obj, e.pos.line, why, text, len, false, err)) != 0)
				goto done;
			if (e.fatal)
				break;
		}
		if ((n & 1023) == 0)
			renew(r);
	}
done:
	sl_json_reader_close(jr);
	return rc;
}

/* A Parquet source object: its rows as JSON, each parsed again for the writer (a slow
 * path; raw objects are JSON as a rule). */
static int read_parquet(struct run *r, const struct pend *p, int fd, struct sl_err *err)
{
	struct sl_pq_read_opts po;
	struct sl_pq_reader *pr = NULL;
	struct sl_pq_rows *rows = NULL;
	struct sl_err rerr = {0};
	struct sl_buf b;
	char name[SL_ZONE_MAX + SL_KEY_MAX + 2];
	int64_t n = 1;
	int rc = 0, rrc; /* the records' (rc) and the reader's (rrc) */

	sl_buf_init(&b, SL_BUF_DEFAULT_MAX);
	snprintf(name, sizeof(name), "%s/%s", p->obj.zone, p->obj.key);
	sl_pq_read_opts_default(&po);
	if (!r->parser && !(r->parser = sl_json_parser_new(&r->lim))) {
		rc = sl_err_set(err, SL_ENOMEM, "out of memory");
		goto done;
	}
	rrc = sl_pq_reader_open(fd, name, &po, &pr, &rerr);
	if (rrc == 0)
		rrc = sl_pq_rows_open(pr, NULL, 0, NULL, 0, &rows, &rerr);
	for (; rrc == 0 && rc == 0; n++) {
		struct sl_json_doc doc;
		struct sl_json_error e;
		sl_buf_reset(&b);
		int got = sl_pq_rows_next(rows, &b, &rerr);
		if (got == 0)
			break;
		if (got < 0) {
			rrc = got;
			break;
		}
		if (sl_json_parse(r->parser, b.data, b.len, &doc, &e) != 0) {
			r->rows_in++;
			rc = refuse(r, &p->obj, n, e.msg, b.data, b.len, false, err);
			continue;
		}
		rc = put_record(r, p, &doc, n, err);
		if ((n & 1023) == 0)
			renew(r);
	}
	if (rc == 0 && rrc) {
		if (!object_at_fault(rrc)) {
			rc = sl_err_set(err, rrc, "%s", rerr.msg);
		} else {
			/* the file cannot be read (on): what is left of it is refused whole */
			char why[SL_ERR_MSG_MAX + 32];
			snprintf(why, sizeof(why), "unreadable from here: %s", rerr.msg);
			r->rows_in++;
			rc = refuse(r, &p->obj, n, why, NULL, 0, false, err);
		}
	}
done:
	sl_pq_rows_close(rows);
	sl_pq_reader_close(pr);
	sl_buf_release(&b);
	return rc;
}

/* Reads one source object into the writers. A version that is gone (overwritten or
 * removed since it was listed) is passed: a newer version has its own, later seq. */
static int read_object(struct run *r, const struct pend *p, struct sl_err *err)
{
	struct sl_object row;
	int fd = -1;
	int rc = sl_store_open_fd(r->s, p->obj.zone, p->obj.key, &fd, &row, err);
	if (rc == SL_ENOENT || (rc == 0 && row.seq != p->obj.seq)) {
		if (fd >= 0)
			close(fd);
		r->res->stale++;
		return 0;
	}
	if (rc)
		return rc;
	r->objects++;
	if (strcmp(p->format, "parquet") == 0)
		rc = read_parquet(r, p, fd, err);
	else
		rc = read_json(r, p, fd, err);
	close(fd);
	return rc;
}

/* ---- the pending objects ---------------------------------------------------------------- */

static int pend_one(void *ctx, const struct sl_object *obj, const struct sl_cat_file *file)
{
	struct pendlist *pl = ctx;
	if (pl->n == PENDING_BATCH)
		return 1; /* more than asked for: the next batch lists it again */
	struct pend *p = &pl->v[pl->n++];
	memset(p, 0, sizeof(*p));
	p->obj = *obj;
	if (file) {
		p->catalogued = true;
		snprintf(p->state, sizeof(p->state), "%s", file->state);
		snprintf(p->reason, sizeof(p->reason), "%s", file->reason);
		snprintf(p->db, sizeof(p->db), "%s", file->db);
		snprintf(p->table, sizeof(p->table), "%s", file->table);
		snprintf(p->part, sizeof(p->part), "%s", file->part);
		snprintf(p->format, sizeof(p->format), "%s", file->format);
		p->schema_version = file->schema_version;
	}
	return 0;
}

/* Reads the pending objects in seq order until they end, one cannot be read yet, or
 * max_objects were read. */
static int read_pending(struct run *r, const struct sl_etl_run_opts *o, struct sl_err *err)
{
	struct sl_etl_result *res = r->res;
	for (;;) {
		r->pl.n = 0;
		int rc = r->m->ops->etl_pending(r->m->state, r->src.zone, r->src.prefix, r->to_seq,
						PENDING_BATCH, pend_one, &r->pl, err);
		if (rc < 0)
			return sl_err_prefix(err, "pending objects of %s.%s", r->src.db,
					     r->src.name);
		for (size_t i = 0; i < r->pl.n; i++) {
			const struct pend *p = &r->pl.v[i];
			bool mine = strcmp(p->db, r->src.db) == 0 &&
				    strcmp(p->table, r->src.name) == 0;
			if (!p->catalogued || (mine && p->schema_version > r->src.version)) {
				/* its table row is not what this run loaded (or there is none
				 * yet): the next run reads it, after the crawler */
				res->waiting = true;
				snprintf(res->waiting_key, sizeof(res->waiting_key), "%s",
					 p->obj.key);
				return 0;
			}
			if (strcmp(p->state, SL_CAT_FILE_ACTIVE) != 0 &&
			    (!p->table[0] || mine)) {
				if (res->skipped++ == 0)
					snprintf(res->skip_reason, sizeof(res->skip_reason),
						 "%s: %s", p->obj.key, p->reason);
				r->to_seq = p->obj.seq;
				continue;
			}
			if (!mine) {
				/* under the prefix, but placed in another table */
				r->to_seq = p->obj.seq;
				continue;
			}
			if (o && o->max_objects > 0 && r->objects >= o->max_objects)
				return 0;
			renew(r);
			if ((rc = read_object(r, p, err)) != 0)
				return rc;
			r->to_seq = p->obj.seq;
		}
		if (r->pl.n < PENDING_BATCH)
			return 0;
	}
}

/* ---- the commit --------------------------------------------------------------------- */

/* The file's statistics, read back from its footer through the backend. */
/* The target table's change for a flat job: created (version 1), a new version when the
 * schema or the partition keys changed, or none. *version gets the version its files
 * are written under. */
static int target_change(struct run *r, struct sl_cat_table *row, struct sl_cat_table *old,
			 bool *have_old, struct sl_cat_table_change *tc, struct sl_buf *change,
			 int64_t *version, bool *changed, struct sl_err *err)
{
	const char *pkeys = r->pkeys;
	int rc = r->m->ops->catalog_table_get(r->m->state, "curated", r->job.target, old, err);
	*changed = false;
	*have_old = rc == 0;
	if (rc && rc != SL_ENOENT)
		return rc;
	if (*have_old && (strcmp(old->zone, "curated") != 0 || strcmp(old->prefix, r->prefix) != 0 ||
			  strcmp(old->format, "parquet") != 0))
		return sl_err_set(err, SL_EINVAL,
				  "curated table %s is at %s/%s (%s), not curated/%s (parquet): "
				  "another table has the job's target name",
				  r->job.target, old->zone, old->prefix, old->format, r->prefix);
	if (*have_old && strcmp(old->schema, r->row_text.data) == 0 &&
	    strcmp(old->partition_keys, pkeys) == 0) {
		*version = old->version;
		return 0;
	}
	memset(row, 0, sizeof(*row));
	if (*have_old) {
		*row = *old;  /* strings borrowed from old */
	} else {
		const struct sl_family_conf *fam = sl_config_family(&r->lake->cfg, r->job.target);
		snprintf(row->db, sizeof(row->db), "curated");
		snprintf(row->name, sizeof(row->name), "%s", r->job.target);
		snprintf(row->zone, sizeof(row->zone), "curated");
		snprintf(row->prefix, sizeof(row->prefix), "%s", r->prefix);
		snprintf(row->format, sizeof(row->format), "parquet");
		snprintf(row->schema_policy, sizeof(row->schema_policy), "%s",
			 fam->schema_change[0] ? fam->schema_change : SL_CAT_SCHEMA_UPDATE);
		snprintf(row->deletion_policy, sizeof(row->deletion_policy), "%s",
			 fam->deletion[0] ? fam->deletion : SL_CAT_DELETE_DELETE);
	}
	row->version = *have_old ? old->version + 1 : 1;
	row->schema = r->row_text.data;
	snprintf(row->partition_keys, sizeof(row->partition_keys), "%s", pkeys);
	sl_buf_reset(change);
	rc = sl_buf_puts(change, "{\"by\":\"etl\",\"job\":");
	if (!rc)
		rc = sl_buf_json_str(change, r->name, strlen(r->name));
	if (!rc)
		rc = sl_buf_printf(change, ",\"run\":%" PRId64 ",\"source\":", r->run.id);
	if (!rc)
		rc = sl_buf_json_str(change, r->src.name, strlen(r->src.name));
	if (!rc)
		rc = sl_buf_printf(change, ",\"source_version\":%" PRId64 "%s}", r->src.version,
				   *have_old ? "" : ",\"created\":true");
	if (rc)
		return sl_err_set(err, rc, "out of memory");
	tc->table = row;
	tc->expected_version = *have_old ? old->version : 0;
	tc->new_version = true;
	tc->change = change->data;
	tc->replace_files = false;
	*version = row->version;
	*changed = true;
	return 0;
}

static int commit(struct run *r, struct sl_err *err)
{
	struct sl_meta *m = r->m;
	struct sl_etl_output *outs = NULL;
	struct sl_cat_file *cfiles = NULL;
	const char **keys = NULL;
	struct sl_cat_table row, old;
	struct sl_cat_table_change tc;
	struct sl_buf change;
	struct sl_cat_drift drift;
	bool have_old = false, changed = false;
	int64_t version = 0, now = sl_now_ms();
	size_t n = 0;
	int rc = 0;

	memset(&old, 0, sizeof(old));
	sl_buf_init(&change, 1 << 20);
	for (size_t i = 0; i < r->n_files; i++)
		if (!r->files[i]->dropped)
			n++;
	outs = calloc(n ? n : 1, sizeof(*outs));
	cfiles = calloc(n ? n : 1, sizeof(*cfiles));
	keys = calloc(n ? n : 1, sizeof(*keys));
	if (!outs || !cfiles || !keys) {
		rc = sl_err_set(err, SL_ENOMEM, "out of memory");
		goto done;
	}
	n = 0;
	for (size_t i = 0; i < r->n_files; i++)
		if (!r->files[i]->dropped)
			keys[n++] = r->files[i]->key;

	/* 5. stage, BEFORE anything is published */
	if (n) {
		renew(r);
		if ((rc = m->ops->etl_stage(m->state, r->name, r->run.id, r->holder, "curated",
					    keys, n, sl_now_ms(), err)) != 0)
			goto done;
	}
	/* the dead letter, durable and indexed before the commit: a refused record is
	 * never lost, and a run that does not commit has it removed by recovery */
	if (r->dl) {
		struct sl_object dlo;
		rc = sl_store_writer_commit(r->dl, &dlo, err);
		r->dl = NULL;
		if (rc)
			goto done;
		r->dl_put = true;
		snprintf(r->res->deadletter, sizeof(r->res->deadletter), "%s", r->dl_key);
	}
	/* 6. publish */
	int64_t bytes = 0;
	for (size_t i = 0; i < r->n_files; i++) {
		struct sl_etl_outfile *f = r->files[i];
		if (f->dropped)
			continue;
		if ((rc = sl_etl_outfile_publish(f, err)) != 0)
			goto done;
		renew(r);
		bytes += f->size;
	}
	sl_crash_point("published");

	/* 7. commit */
	if (!r->nested && n &&
	    (rc = target_change(r, &row, &old, &have_old, &tc, &change, &version, &changed, err)) != 0)
		goto done;
	n = 0;
	for (size_t i = 0; i < r->n_files; i++) {
		struct sl_etl_outfile *f = r->files[i];
		if (f->dropped)
			continue;
		sl_etl_outfile_rows(f, r->job.target, version, now, &outs[n].obj,
				    r->nested ? NULL : &cfiles[n]);
		if (!r->nested)
			outs[n].file = &cfiles[n];
		n++;
	}
	struct sl_etl_run counts = r->run;
	counts.objects = r->objects;
	counts.rows_in = r->rows_in;
	counts.rows_out = r->rows_out;
	counts.rows_rejected = r->rows_rejected;
	counts.files = (int64_t)n;
	counts.bytes = bytes;
	counts.to_seq = r->to_seq;
	size_t n_drift = 0;
	if (changed && !have_old) {
		memset(&drift, 0, sizeof(drift));
		snprintf(drift.db, sizeof(drift.db), "curated");
		snprintf(drift.table, sizeof(drift.table), "%s", r->job.target);
		drift.version = version;
		snprintf(drift.kind, sizeof(drift.kind), "table_created");
		snprintf(drift.detail, sizeof(drift.detail), "by ETL job %s, run %" PRId64, r->name,
			 r->run.id);
		snprintf(drift.example, sizeof(drift.example), "%s", outs[0].obj.key);
		n_drift = 1;
	}
	struct sl_etl_commit c = {
		.job = r->name,
		.run_id = r->run.id,
		.holder = r->holder,
		.to_seq = r->to_seq,
		.table = changed ? &tc : NULL,
		.outputs = outs,
		.n_outputs = n,
		.events = r->nested,
		.counts = &counts,
		.drift = n_drift ? &drift : NULL,
		.n_drift = n_drift,
	};
	renew(r);
	if ((rc = m->ops->etl_commit(m->state, &c, sl_now_ms(), err)) != 0) {
		sl_err_prefix(err, "commit");
		goto done;
	}
	r->res->committed = true;
	r->res->files = (int64_t)n;
	r->res->bytes = bytes;
	sl_crash_point("committed");
	/* the published files are the run's for good now */
	for (size_t i = 0; i < r->n_files; i++) {
		struct sl_etl_outfile *f = r->files[i];
		if (f->published && f->bw) {
			f->s->ops->put_finish(f->bw, true, NULL);
			f->bw = NULL;
		}
	}
done:
	if (have_old)
		sl_cat_table_release(&old);
	sl_buf_release(&change);
	free(outs);
	free(cfiles);
	free(keys);
	return rc;
}

/* ---- one run ------------------------------------------------------------------------- */

static int job_check(struct run *r, struct sl_err *err)
{
	const struct sl_job_conf *j = &r->job;
	r->xf = sl_etl_xform_for(j);
	const char *family[1] = {j->source};
	struct sl_err nerr = {0};
	if (!j->source[0] ||
	    sl_cat_table_name(family, 1, r->source, sizeof(r->source), &nerr) != 0)
		return sl_err_set(err, SL_ECONFIG, "job %s: source '%s' names no table: %s",
				  r->name, j->source, nerr.msg);
	if (!sl_etl_table_name_ok(j->target))
		return sl_err_set(err, SL_ECONFIG, "job %s: target '%s' is not a table name",
				  r->name, j->target);
	if (strcmp(j->layout, "nested") == 0)
		r->nested = true;
	else if (j->layout[0] && strcmp(j->layout, "flat") != 0)
		return sl_err_set(err, SL_ECONFIG, "job %s: layout '%s' (flat or nested)", r->name,
				  j->layout);
	if (strcmp(j->on_error, "fail") == 0)
		r->fail_on_error = true;
	else if (j->on_error[0] && strcmp(j->on_error, "deadletter") != 0)
		return sl_err_set(err, SL_ECONFIG, "job %s: on_error '%s' (fail or deadletter)",
				  r->name, j->on_error);
	for (const char *p = j->partition_by; *p;) {
		size_t n = strcspn(p, ",");
		if (r->n_pcols == SL_ETL_MAX_PCOLS || n == 0 || n >= sizeof(r->pcols[0]))
			return sl_err_set(err, SL_ECONFIG, "job %s: partition_by '%s': 1 to %d "
					  "column names", r->name, j->partition_by,
					  SL_ETL_MAX_PCOLS);
		memcpy(r->pcols[r->n_pcols], p, n);
		r->pcols[r->n_pcols++][n] = '\0';
		p += n + (p[n] == ',');
	}
	sl_pq_write_opts_default(&r->wo);
	if (j->codec[0] && !(r->wo.codec = sl_pq_codec_by_name(j->codec)))
		return sl_err_set(err, SL_ECONFIG, "job %s: unknown codec '%s'", r->name, j->codec);
	r->wo.level = (int)j->level;
	r->file_size = j->target_file_size > 0 ? j->target_file_size : DEFAULT_FILE_SIZE;
	/* a row group never outgrows the file, so that files roll over near their size */
	r->wo.row_group_bytes = (size_t)r->file_size < MAX_ROW_GROUP_BYTES
					? (size_t)r->file_size
					: MAX_ROW_GROUP_BYTES;
	snprintf(r->prefix, sizeof(r->prefix), "%s/", j->target);
	return 0;
}

static void run_release(struct run *r)
{
	for (size_t i = 0; i < r->n_open; i++)
		sl_pq_writer_free(r->open[i].pw);
	r->n_open = 0;
	for (size_t i = 0; i < r->n_files; i++) {
		struct sl_etl_outfile *f = r->files[i];
		if (f->published && f->bw) {
			/* published but not committed: take the file back */
			f->s->ops->put_finish(f->bw, false, NULL);
			f->bw = NULL;
		}
		sl_etl_outfile_free(f);
	}
	free(r->files);
	sl_store_writer_abort(r->dl);
	if (r->have_src)
		sl_cat_table_release(&r->src);
	if (r->xs)
		r->xf->free(r->xs);
	sl_type_free(r->src_row);
	sl_type_free(r->target_row);
	sl_type_free(r->out_row);
	sl_type_free(r->row);
	sl_buf_release(&r->row_text);
	sl_buf_release(&r->line);
	sl_json_parser_free(r->parser);
}

/* The target's committed row type (for a transform that keeps to it) and the
 * transform, opened for this run. */
static int transform_open(struct run *r, struct sl_err *err)
{
	struct sl_cat_table t;
	struct sl_err perr = {0};
	int rc = r->m->ops->catalog_table_get(r->m->state, "curated", r->job.target, &t, err);
	if (rc == 0) {
		if (t.schema)
			r->target_row = sl_type_parse(t.schema, strlen(t.schema), &perr);
		sl_cat_table_release(&t);
	} else if (rc != SL_ENOENT) {
		return rc;
	}
	snprintf(r->tmp_dir, sizeof(r->tmp_dir), "%s/.sluice/tmp", r->lake->root);
	r->pkeys = r->job.partition_by[0] ? r->job.partition_by
		   : r->xf == &sl_etl_xform_default ? r->src.partition_keys : "";
	r->env = (struct sl_etl_xform_env){
		.job = r->name,
		.conf = &r->job,
		.src_row = r->src_row,
		.src_part_keys = r->src.partition_keys,
		.target_row = r->target_row,
		.lim = &r->lim,
		.tmp_dir = r->tmp_dir,
		.ctx = r,
		.emit = xf_emit,
		.refuse = xf_refuse,
		.progress = xf_progress,
	};
	if ((rc = r->xf->open(&r->env, &r->xs, &r->out_row, err)) != 0)
		return rc;
	/* known now: a partition column that is not there fails the run before it reads */
	return r->out_row ? file_row_make(r, err) : 0;
}

/* The source table and its row type, then the transform opened over it. */
static int source_open(struct run *r, struct sl_err *err)
{
	struct sl_meta *m = r->m;
	struct sl_err perr = {0};
	int rc = m->ops->catalog_table_get(m->state, "raw", r->source, &r->src, err);
	if (rc == SL_ENOENT)
		return sl_err_set(err, SL_ENOENT,
				  "job %s: no raw table %s (has the crawler seen its objects?)",
				  r->name, r->source);
	if (rc)
		return rc;
	r->have_src = true;
	if (!r->src.schema || !(r->src_row = sl_type_parse(r->src.schema,
							   strlen(r->src.schema), &perr)))
		return sl_err_set(err, SL_ECORRUPT, "raw table %s: its schema cannot be read: %s",
				  r->src.name, perr.msg);
	if (r->src_row->kind != SL_T_STRUCT)
		return sl_err_set(err, SL_ECORRUPT, "raw table %s: its schema is not a row type",
				  r->src.name);
	return transform_open(r, err);
}

static int run_body(struct run *r, const struct sl_etl_run_opts *o, struct sl_err *err)
{
	struct sl_meta *m = r->m;
	struct sl_etl_result *res = r->res;
	int rc;

	/* 1. lease and recovery */
	if ((rc = take_lease(m, r->name, r->holder, r->ttl_ms, err)) != 0)
		return rc;
	r->leased = true;
	r->renewed_ms = sl_mono_ms();
	int64_t dead = 0;
	if ((rc = recover(r->lake, r->name, &res->recovered, &dead, err)) != 0)
		return rc;
	/* 2. begin */
	if ((rc = m->ops->etl_run_begin(m->state, r->name, r->holder, sl_now_ms(), &r->run,
					err)) != 0)
		return sl_err_prefix(err, "job %s", r->name);
	r->begun = true;
	res->run_id = r->run.id;
	res->from_seq = r->to_seq = r->run.from_seq;
	snprintf(r->run_text, sizeof(r->run_text), "%" PRId64, r->run.id);
	r->kv[0] = (struct sl_pq_kv_pair){"sluice.etl.job", r->name};
	r->kv[1] = (struct sl_pq_kv_pair){"sluice.etl.run", r->run_text};
	r->wo.kv = r->kv;
	r->wo.n_kv = 2;

	if ((rc = source_open(r, err)) != 0)
		return rc;

	/* 3, 4. read and write */
	if ((rc = read_pending(r, o, err)) != 0)
		return rc;
	/* a type given by finish must be there before its first emit (xf_emit needs it) */
	struct sl_type *late = NULL;
	rc = r->xf->finish(r->xs, r->out_row ? &late : &r->out_row, err);
	sl_type_free(late);
	if (rc)
		return rc;
	while (r->n_open)
		if ((rc = file_finish(r, r->n_open - 1, err)) != 0)
			return rc;
	sl_crash_point("written");
	/* 5-7 */
	return commit(r, err);
}

/* A run of job, checked and set up, not begun: *out (freed with run_release and free,
 * also when this fails). */
static int run_new(struct sl_lake *lake, const char *job, struct sl_etl_result *res,
		   struct run **out, struct sl_err *err)
{
	struct run *r;
	*out = NULL;
	if (!job || !job_name_ok(job))
		return sl_err_set(err, SL_EINVAL, "'%s' is not a job name", job ? job : "");
	if (!(r = calloc(1, sizeof(*r))))
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	*out = r;
	r->lake = lake;
	r->m = &lake->meta;
	r->s = &lake->store;
	r->res = res;
	r->name = job;
	sl_buf_init(&r->row_text, 16 << 20);
	sl_buf_init(&r->line, DL_LINE_MAX);
	if (!sl_config_job(&lake->cfg, job, &r->job))
		return sl_err_set(err, SL_ENOENT, "no ETL job %s in sluice.yaml", job);
	/* what passed the validator's limits must pass ours */
	sl_json_limits_default(&r->lim);
	if (lake->cfg.validate.max_depth > 0)
		r->lim.max_depth = (uint32_t)lake->cfg.validate.max_depth;
	if (lake->cfg.validate.max_record > 0)
		r->lim.max_record = (size_t)lake->cfg.validate.max_record;
	if (lake->cfg.validate.max_string > 0)
		r->lim.max_string = (size_t)lake->cfg.validate.max_string;
	return job_check(r, err);
}

int sl_etl_job_shape(struct sl_lake *lake, const char *job, struct sl_etl_shape *shape,
		    struct sl_err *err)
{
	struct sl_etl_result res;
	struct run *r = NULL;
	memset(shape, 0, sizeof(*shape));
	int rc = run_new(lake, job, &res, &r, err);
	if (rc == 0)
		rc = source_open(r, err);
	if (rc == 0) {
		snprintf(shape->transform, sizeof(shape->transform), "%s", r->xf->name);
		snprintf(shape->partition_keys, sizeof(shape->partition_keys), "%s", r->pkeys);
		if (r->row && !(shape->row = strdup(r->row_text.data)))
			rc = sl_err_set(err, SL_ENOMEM, "out of memory");
	}
	if (r) {
		run_release(r);
		free(r);
	}
	return rc;
}

int sl_etl_run_job(struct sl_lake *lake, const char *job, const struct sl_etl_run_opts *opts,
		   struct sl_etl_result *res, struct sl_err *err)
{
	struct sl_etl_result local;
	struct run *r = NULL;
	int64_t t0 = sl_mono_ms();
	int rc;

	if (!res)
		res = &local;
	memset(res, 0, sizeof(*res));
	if (!meta_has_etl(&lake->meta))
		return no_etl(&lake->meta, err);
	if ((rc = run_new(lake, job, res, &r, err)) != 0)
		goto done;
	if (opts && opts->holder && opts->holder[0])
		snprintf(r->holder, sizeof(r->holder), "%s", opts->holder);
	else
		holder_make(r->holder);
	r->buffer_max = opts && opts->buffer_max > 0 ? opts->buffer_max : SL_ETL_BUFFER_MAX;
	r->ttl_ms = lease_ttl(lake);
	r->renew_every_ms = r->ttl_ms / 3 < RENEW_MAX_MS ? r->ttl_ms / 3 : RENEW_MAX_MS;

	rc = run_body(r, opts, err);
	if (rc == 0) {
		res->to_seq = r->to_seq;
		res->objects = r->objects;
		res->rows_in = r->rows_in;
		res->rows_out = r->rows_out;
		res->rows_rejected = r->rows_rejected;
	} else if (r->begun) {
		/* nothing of the run is visible: take back its files, record why, and let
		 * the job's recovery remove what is left (the dead letter among it) */
		struct sl_meta *m = r->m;
		int64_t files = 0, dead = 0;
		res->to_seq = res->from_seq;
		res->deadletter[0] = '\0';
		for (size_t i = 0; i < r->n_open; i++)
			sl_pq_writer_free(r->open[i].pw);
		r->n_open = 0;
		for (size_t i = 0; i < r->n_files; i++) {
			struct sl_etl_outfile *f = r->files[i];
			if (f->published && f->bw)
				f->s->ops->put_finish(f->bw, false, NULL);
			else if (f->bw)
				f->s->ops->put_abort(f->bw);
			f->bw = NULL;
		}
		sl_store_writer_abort(r->dl);
		r->dl = NULL;
		m->ops->etl_run_fail(m->state, job, r->run.id, err->msg, sl_now_ms(), NULL);
		recover(lake, job, &files, &dead, NULL);
	}
	if (r->leased)
		r->m->ops->etl_lease_release(r->m->state, job, r->holder);
done:
	if (r) {
		run_release(r);
		free(r);
	}
	res->duration_ms = sl_mono_ms() - t0;
	return rc;
}
