/*
 * test_etl_meta.c - ETL state in the metadata store (meta.h etl_*, etl.h): each promise
 * of etl.h -- a lease held by one holder at a time (two handles on one database file),
 * expiring and renewed; run numbers without gaps; a commit that is all or nothing and
 * refused when the lease is lost, the bookmark moved, the run is not running or a key was
 * not staged; a staged key never also a present object -- and each callback: pending
 * objects in seq order with their catalog rows, staged keys of runs that will never
 * commit, rewind and reset (files retired, partitions recounted, index rows 'deleting',
 * bookmark back, runs rewound, a second rewind changing nothing), run listings, and a
 * commit's retire list (a compaction: small files retired with the merged one
 * registered; refused when one is no longer the active file at its seq), and lineage
 * (a merged file's runs recorded with it, found by run, checked against the file, gone
 * with its index row; a rewind refusing to undo part of a merged file).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "catalog/catalog.h"
#include "etl/etl.h"
#include "helpers.h"
#include "lake/lake.h"
#include "queue/queue.h"

#define T0 1700000000000LL
#define TTL 60000
#define A "host-a:1:aaaa"
#define B "host-b:2:bbbb"

struct fx {
	char *dir;
	struct sl_lake *lake;
	struct sl_meta *m;
	char db_path[4096];
};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	fx->lake = th_lake_new("etlmeta", &fx->dir);
	fx->m = &fx->lake->meta;
	snprintf(fx->db_path, sizeof(fx->db_path), "%s/.sluice/meta.db", fx->dir);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	sl_lake_close(fx->lake);
	th_rmtree_free(fx->dir);
	free(fx);
	return 0;
}

/* ---- helpers ------------------------------------------------------------------------- */

#define OPS (fx->m->ops)
#define ST (fx->m->state)

static void lease_ok(struct fx *fx, const char *job, const char *holder, int64_t now)
{
	struct sl_err err = {0};
	if (OPS->etl_lease(ST, job, holder, TTL, now, &err) != 0)
		fail_msg("etl_lease: %s", err.msg);
}

static int64_t begin_ok(struct fx *fx, const char *job, const char *holder, int64_t now)
{
	struct sl_err err = {0};
	struct sl_etl_run r;
	if (OPS->etl_run_begin(ST, job, holder, now, &r, &err) != 0)
		fail_msg("etl_run_begin: %s", err.msg);
	assert_string_equal(r.state, SL_RUN_RUNNING);
	return r.id;
}

static void stage_ok(struct fx *fx, const char *job, int64_t run, const char *key, int64_t now)
{
	struct sl_err err = {0};
	const char *keys[] = {key};
	if (OPS->etl_stage(ST, job, run, A, "curated", keys, 1, now, &err) != 0)
		fail_msg("etl_stage %s: %s", key, err.msg);
}

static void get_run(struct fx *fx, const char *job, int64_t id, struct sl_etl_run *r)
{
	struct sl_err err = {0};
	if (OPS->etl_run_get(ST, job, id, r, &err) != 0)
		fail_msg("etl_run_get: %s", err.msg);
}

static void get_bookmark(struct fx *fx, const char *job, struct sl_etl_bookmark *b)
{
	struct sl_err err = {0};
	if (OPS->etl_bookmark_get(ST, job, b, &err) != 0)
		fail_msg("etl_bookmark_get: %s", err.msg);
}

/* A source object in raw (its seq set). */
static int64_t put_raw(struct fx *fx, const char *key)
{
	struct sl_object o;
	struct sl_err err = {0};
	memset(&o, 0, sizeof(o));
	snprintf(o.zone, sizeof(o.zone), "raw");
	snprintf(o.key, sizeof(o.key), "%s", key);
	o.size = 10;
	snprintf(o.checksum, sizeof(o.checksum), "sha256:%064d", 1);
	snprintf(o.content_type, sizeof(o.content_type), "application/x-ndjson");
	o.created_ms = T0;
	if (OPS->object_commit(ST, &o, NULL, &err) != 0)
		fail_msg("object_commit: %s", err.msg);
	return o.seq;
}

static void mk_table(struct sl_cat_table *t, const char *name, const char *deletion)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->db, sizeof(t->db), "curated");
	snprintf(t->name, sizeof(t->name), "%s", name);
	snprintf(t->zone, sizeof(t->zone), "curated");
	snprintf(t->prefix, sizeof(t->prefix), "%s/", name);
	snprintf(t->format, sizeof(t->format), "parquet");
	t->version = 1;
	t->schema = (char *)"struct<a:int64,dt:string>";
	snprintf(t->partition_keys, sizeof(t->partition_keys), "dt");
	snprintf(t->schema_policy, sizeof(t->schema_policy), "%s", SL_CAT_SCHEMA_UPDATE);
	snprintf(t->deletion_policy, sizeof(t->deletion_policy), "%s", deletion);
}

/* One output file of table `table`, partition dt=part, with its catalog row. */
struct out {
	struct sl_etl_output o;
	struct sl_cat_file f;
};

static void mk_out(struct out *x, const char *table, const char *part, const char *name,
		   int64_t records, bool flat)
{
	memset(x, 0, sizeof(*x));
	snprintf(x->o.obj.zone, sizeof(x->o.obj.zone), "curated");
	snprintf(x->o.obj.key, sizeof(x->o.obj.key), "%s/dt=%s/%s", table, part, name);
	x->o.obj.size = records * 10;
	snprintf(x->o.obj.checksum, sizeof(x->o.obj.checksum), "sha256:%064lld",
		 (long long)records);
	snprintf(x->o.obj.content_type, sizeof(x->o.obj.content_type),
		 "application/vnd.apache.parquet");
	x->o.obj.fp.inode = 42;
	x->o.obj.fp.size = x->o.obj.size;
	snprintf(x->f.db, sizeof(x->f.db), "curated");
	snprintf(x->f.table, sizeof(x->f.table), "%s", table);
	snprintf(x->f.part, sizeof(x->f.part), "dt=%s", part);
	snprintf(x->f.format, sizeof(x->f.format), "parquet");
	x->f.records = records;
	x->f.bytes = x->o.obj.size;
	x->f.schema_version = 1;
	x->o.file = flat ? &x->f : NULL;
}

/* Commits outs[0..n) as run `run` of job, moving the bookmark to to_seq. */
static int commit_run(struct fx *fx, const char *job, int64_t run, const char *holder,
		      int64_t to_seq, const struct sl_cat_table_change *tc, struct out *outs,
		      size_t n, bool events, int64_t now, struct sl_err *err)
{
	struct sl_etl_output o[16];
	struct sl_etl_run counts = {.objects = 3, .rows_in = 30, .rows_out = 28,
				    .rows_rejected = 2, .files = (int64_t)n, .bytes = 1234};
	assert_true(n <= 16);
	for (size_t i = 0; i < n; i++)
		o[i] = outs[i].o;
	struct sl_etl_commit c = {.job = job, .run_id = run, .holder = holder, .to_seq = to_seq,
				  .table = tc, .outputs = o, .n_outputs = n, .events = events,
				  .counts = &counts};
	return OPS->etl_commit(ST, &c, now, err);
}

/* Stages and commits outs as a new run of job under A; returns the run. */
static int64_t full_run(struct fx *fx, const char *job, int64_t to_seq,
			const struct sl_cat_table_change *tc, struct out *outs, size_t n,
			int64_t now)
{
	struct sl_err err = {0};
	lease_ok(fx, job, A, now);
	int64_t id = begin_ok(fx, job, A, now);
	for (size_t i = 0; i < n; i++)
		stage_ok(fx, job, id, outs[i].o.obj.key, now);
	if (commit_run(fx, job, id, A, to_seq, tc, outs, n, false, now, &err) != 0)
		fail_msg("etl_commit: %s", err.msg);
	return id;
}

static int queue_depth(struct fx *fx, const char *queue)
{
	struct sl_queue_stats qs;
	assert_int_equal(OPS->queue_stats(ST, queue, 0, &qs, NULL), 0);
	return (int)(qs.visible + qs.in_flight + qs.delayed);
}

static bool has_object(struct fx *fx, const char *zone, const char *key, struct sl_object *o)
{
	struct sl_object tmp;
	return OPS->object_get(ST, zone, key, o ? o : &tmp, NULL) == 0;
}

static void get_file(struct fx *fx, const char *key, struct sl_cat_file *f)
{
	struct sl_err err = {0};
	if (OPS->catalog_file_get(ST, "curated", key, f, &err) != 0)
		fail_msg("catalog_file_get %s: %s", key, err.msg);
	sl_cat_file_release(f);
}

#define MAXP 64
struct parts {
	struct sl_cat_partition p[MAXP];
	size_t n;
};

static int on_part(void *ctx, const struct sl_cat_partition *p)
{
	struct parts *ps = ctx;
	assert_true(ps->n < MAXP);
	ps->p[ps->n++] = *p;
	return 0;
}

static void list_parts(struct fx *fx, const char *table, struct parts *ps)
{
	struct sl_err err = {0};
	memset(ps, 0, sizeof(*ps));
	if (OPS->catalog_partition_list(ST, "curated", table, on_part, ps, &err) != 0)
		fail_msg("partition_list: %s", err.msg);
}

static const struct sl_cat_partition *find_part(const struct parts *ps, const char *part)
{
	for (size_t i = 0; i < ps->n; i++)
		if (strcmp(ps->p[i].part, part) == 0)
			return &ps->p[i];
	return NULL;
}

#define MAXK 64
struct keys {
	char job[MAXK][SL_JOB_MAX];
	int64_t run[MAXK];
	char key[MAXK][SL_KEY_MAX + 1];
	size_t n;
};

static int on_key(void *ctx, const char *job, int64_t run_id, const char *zone, const char *key)
{
	struct keys *ks = ctx;
	assert_true(ks->n < MAXK);
	assert_string_equal(zone, "curated");
	snprintf(ks->job[ks->n], SL_JOB_MAX, "%s", job);
	ks->run[ks->n] = run_id;
	snprintf(ks->key[ks->n], SL_KEY_MAX + 1, "%s", key);
	ks->n++;
	return 0;
}

static bool has_key(const struct keys *ks, const char *key)
{
	for (size_t i = 0; i < ks->n; i++)
		if (strcmp(ks->key[i], key) == 0)
			return true;
	return false;
}

static void staged_list(struct fx *fx, const char *job, int64_t now, struct keys *ks)
{
	struct sl_err err = {0};
	memset(ks, 0, sizeof(*ks));
	if (OPS->etl_staged_list(ST, job, now, on_key, ks, &err) != 0)
		fail_msg("etl_staged_list: %s", err.msg);
}

static void rewind_ok(struct fx *fx, const char *job, int64_t to, int64_t now, struct keys *ks)
{
	struct sl_err err = {0};
	memset(ks, 0, sizeof(*ks));
	if (OPS->etl_rewind(ST, job, to, A, now, on_key, ks, &err) != 0)
		fail_msg("etl_rewind: %s", err.msg);
}

/* Runs SQL on the database file directly (what no callback would do). */
static void raw_sql(struct fx *fx, const char *sql)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open(fx->db_path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
	sqlite3_close(db);
}

static int64_t count_sql(struct fx *fx, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *p;
	assert_int_equal(sqlite3_open(fx->db_path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &p, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(p), SQLITE_ROW);
	int64_t n = sqlite3_column_int64(p, 0);
	sqlite3_finalize(p);
	sqlite3_close(db);
	return n;
}

/* ---- leases (promise 1) ---------------------------------------------------------------- */

static void test_lease_two_handles(void **state)
{
	struct fx *fx = *state;
	struct sl_meta other;
	struct sl_meta_opts opts = {.busy_timeout_ms = 5000, .synchronous_full = false};
	struct sl_err err = {0};
	struct sl_etl_run r;
	assert_int_equal(sl_meta_open(&other, &sl_meta_sqlite, fx->db_path, &opts, &err), 0);

	assert_int_equal(OPS->etl_lease(ST, "j", A, 1000, T0, &err), 0);
	/* exclusive: B cannot take it, the message names A */
	assert_int_equal(other.ops->etl_lease(other.state, "j", B, 1000, T0 + 500, &err), SL_EBUSY);
	assert_non_null(strstr(err.msg, A));
	/* nor begin a run under it */
	assert_int_equal(other.ops->etl_run_begin(other.state, "j", B, T0 + 500, &r, &err),
			 SL_EBUSY);
	/* renewal by its holder extends it */
	assert_int_equal(OPS->etl_lease(ST, "j", A, 1000, T0 + 900, &err), 0);
	assert_int_equal(other.ops->etl_lease(other.state, "j", B, 1000, T0 + 1500, &err),
			 SL_EBUSY);
	/* another job is free */
	assert_int_equal(other.ops->etl_lease(other.state, "k", B, 1000, T0 + 1500, &err), 0);
	/* expired: anyone takes it, and A has lost it */
	assert_int_equal(other.ops->etl_lease(other.state, "j", B, 1000, T0 + 1900, &err), 0);
	assert_int_equal(OPS->etl_lease(ST, "j", A, 1000, T0 + 2000, &err), SL_EBUSY);
	assert_non_null(strstr(err.msg, B));
	assert_int_equal(OPS->etl_run_begin(ST, "j", A, T0 + 2000, &r, &err), SL_EBUSY);
	/* releasing someone else's lease does nothing; the holder's release frees it */
	OPS->etl_lease_release(ST, "j", A);
	assert_int_equal(OPS->etl_lease(ST, "j", A, 1000, T0 + 2000, &err), SL_EBUSY);
	other.ops->etl_lease_release(other.state, "j", B);
	assert_int_equal(OPS->etl_lease(ST, "j", A, 1000, T0 + 2000, &err), 0);
	/* bad arguments */
	assert_int_equal(OPS->etl_lease(ST, "j", A, 0, T0, &err), SL_EINVAL);
	assert_int_equal(OPS->etl_lease(ST, "", A, 10, T0, &err), SL_EINVAL);
	assert_int_equal(OPS->etl_lease(ST, "j", NULL, 10, T0, &err), SL_EINVAL);
	char longname[300];
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(OPS->etl_lease(ST, longname, A, 10, T0, &err), SL_EINVAL);
	assert_int_equal(OPS->etl_lease(ST, "j", longname, 10, T0, &err), SL_EINVAL);
	sl_meta_close(&other);
}

/* ---- run numbers (promise 2) ----------------------------------------------------------- */

static void test_run_numbering(void **state)
{
	struct fx *fx = *state;
	struct sl_meta other;
	struct sl_meta_opts opts = {.busy_timeout_ms = 5000, .synchronous_full = false};
	struct sl_err err = {0};
	struct sl_etl_run r;
	struct sl_etl_bookmark bm;
	assert_int_equal(sl_meta_open(&other, &sl_meta_sqlite, fx->db_path, &opts, &err), 0);

	assert_int_equal(OPS->etl_bookmark_get(ST, "j", &bm, &err), SL_ENOENT);
	lease_ok(fx, "j", A, T0);
	assert_int_equal(begin_ok(fx, "j", A, T0), 1);
	assert_int_equal(begin_ok(fx, "j", A, T0 + 1), 2);
	/* the other handle, once it has the lease, continues the numbering */
	OPS->etl_lease_release(ST, "j", A);
	assert_int_equal(other.ops->etl_lease(other.state, "j", B, TTL, T0 + 2, &err), 0);
	assert_int_equal(other.ops->etl_run_begin(other.state, "j", B, T0 + 2, &r, &err), 0);
	assert_int_equal(r.id, 3);
	assert_int_equal(r.from_seq, 0);
	assert_string_equal(r.holder, B);
	/* a new run leaves at most one running: the earlier ones are failed */
	get_run(fx, "j", 1, &r);
	assert_string_equal(r.state, SL_RUN_FAILED);
	assert_non_null(strstr(r.error, "run 2"));
	get_run(fx, "j", 2, &r);
	assert_string_equal(r.state, SL_RUN_FAILED);
	get_run(fx, "j", 3, &r);
	assert_string_equal(r.state, SL_RUN_RUNNING);
	assert_int_equal(r.started_ms, T0 + 2);
	assert_int_equal(r.ended_ms, 0);
	get_bookmark(fx, "j", &bm);
	assert_int_equal(bm.last_run, 3);
	assert_int_equal(bm.seq, 0);
	assert_int_equal(bm.last_committed, 0);
	/* another job numbers from 1 */
	lease_ok(fx, "k", A, T0);
	assert_int_equal(begin_ok(fx, "k", A, T0), 1);
	assert_int_equal(OPS->etl_run_get(ST, "j", 4, &r, &err), SL_ENOENT);
	/* run_fail: only a running run */
	assert_int_equal(other.ops->etl_run_fail(other.state, "j", 3, "transform: bad cast",
						 T0 + 5, &err),
			 0);
	get_run(fx, "j", 3, &r);
	assert_string_equal(r.state, SL_RUN_FAILED);
	assert_string_equal(r.error, "transform: bad cast");
	assert_int_equal(r.ended_ms, T0 + 5);
	assert_int_equal(OPS->etl_run_fail(ST, "j", 3, "again", T0 + 6, &err), SL_ESTALE);
	assert_int_equal(OPS->etl_run_fail(ST, "j", 9, "none", T0 + 6, &err), SL_ENOENT);
	sl_meta_close(&other);
}

/* ---- stage + commit (promise 3) --------------------------------------------------------- */

static void test_stage_commit_flat(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	struct sl_etl_run r;
	struct sl_etl_bookmark bm;
	struct sl_object o;
	struct sl_cat_file f;
	struct parts ps;
	struct keys ks;
	int64_t s1 = put_raw(fx, "orders/dt=1/a.ndjson");
	int64_t s2 = put_raw(fx, "orders/dt=2/b.ndjson");
	assert_true(s2 > s1);

	struct sl_cat_table t;
	mk_table(&t, "orders", SL_CAT_DELETE_DELETE);
	struct sl_cat_table_change tc = {.table = &t, .expected_version = 0, .new_version = true,
					 .change = "{\"created\":true}"};
	struct out outs[3];
	mk_out(&outs[0], "orders", "1", "part-1-0.parquet", 5, true);
	mk_out(&outs[1], "orders", "1", "part-1-1.parquet", 7, true);
	mk_out(&outs[2], "orders", "2", "part-1-0.parquet", 11, true);
	lease_ok(fx, "orders", A, T0);
	int64_t id = begin_ok(fx, "orders", A, T0);
	const char *keys[] = {outs[0].o.obj.key, outs[1].o.obj.key, outs[2].o.obj.key};
	assert_int_equal(OPS->etl_stage(ST, "orders", id, A, "curated", keys, 3, T0, &err), 0);
	/* staging again is harmless */
	assert_int_equal(OPS->etl_stage(ST, "orders", id, A, "curated", keys, 3, T0, &err), 0);
	/* a staged key of a running run: not listed for recovery, found for fsck as live */
	staged_list(fx, NULL, T0 + 1, &ks);
	assert_int_equal(ks.n, 0);
	bool live = false;
	assert_int_equal(OPS->etl_staged_find(ST, "curated", keys[0], T0 + 1, &r, &live, &err), 0);
	assert_true(live);
	assert_int_equal(r.id, id);
	/* nothing visible before the commit */
	assert_false(has_object(fx, "curated", keys[0], NULL));

	assert_int_equal(commit_run(fx, "orders", id, A, s2, &tc, outs, 3, false, T0 + 10, &err),
			 0);
	/* index rows, without events */
	for (int i = 0; i < 3; i++) {
		assert_true(has_object(fx, "curated", keys[i], &o));
		assert_string_equal(o.state, SL_STATE_PRESENT);
		assert_int_equal(o.size, outs[i].o.obj.size);
		assert_string_equal(o.checksum, outs[i].o.obj.checksum);
		assert_int_equal(o.fp.inode, 42);
		assert_int_equal(o.created_ms, T0 + 10);
		get_file(fx, keys[i], &f);
		assert_int_equal(f.seq, o.seq); /* the catalog row describes this version */
		assert_string_equal(f.state, SL_CAT_FILE_ACTIVE);
		assert_string_equal(f.table, "orders");
	}
	assert_int_equal(queue_depth(fx, "curated"), 0);
	/* the table and its partitions */
	struct sl_cat_table got;
	assert_int_equal(OPS->catalog_table_get(ST, "curated", "orders", &got, &err), 0);
	assert_int_equal(got.version, 1);
	assert_int_equal(got.n_files, 3);
	assert_int_equal(got.records, 23);
	sl_cat_table_release(&got);
	list_parts(fx, "orders", &ps);
	assert_int_equal(ps.n, 2);
	assert_int_equal(find_part(&ps, "dt=1")->objects, 2);
	assert_int_equal(find_part(&ps, "dt=1")->records, 12);
	assert_int_equal(find_part(&ps, "dt=2")->objects, 1);
	assert_int_equal(find_part(&ps, "dt=2")->bytes, 110);
	/* bookmark and run */
	get_bookmark(fx, "orders", &bm);
	assert_int_equal(bm.seq, s2);
	assert_int_equal(bm.last_committed, id);
	assert_int_equal(bm.updated_ms, T0 + 10);
	get_run(fx, "orders", id, &r);
	assert_string_equal(r.state, SL_RUN_COMMITTED);
	assert_int_equal(r.from_seq, 0);
	assert_int_equal(r.to_seq, s2);
	assert_int_equal(r.objects, 3);
	assert_int_equal(r.rows_in, 30);
	assert_int_equal(r.rows_out, 28);
	assert_int_equal(r.rows_rejected, 2);
	assert_int_equal(r.files, 3);
	assert_int_equal(r.bytes, 1234);
	assert_int_equal(r.ended_ms, T0 + 10);
	/* the staged keys are done: nothing to recover, nothing fsck must hold back */
	staged_list(fx, NULL, T0 + 100000, &ks);
	assert_int_equal(ks.n, 0);
	assert_int_equal(OPS->etl_staged_find(ST, "curated", keys[0], T0 + 11, &r, &live, &err),
			 SL_ENOENT);
	/* a committed key cannot be staged again (a run never overwrites) */
	int64_t id2 = begin_ok(fx, "orders", A, T0 + 20);
	assert_int_equal(OPS->etl_stage(ST, "orders", id2, A, "curated", keys, 1, T0 + 20, &err),
			 SL_EEXIST);
	/* the next run starts from the bookmark */
	get_run(fx, "orders", id2, &r);
	assert_int_equal(r.from_seq, s2);
}

static void test_commit_nested_sends_events(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	struct sl_cat_file f;
	struct out outs[2];
	mk_out(&outs[0], "clicks", "1", "part-1-0.parquet", 3, false);
	mk_out(&outs[1], "clicks", "2", "part-1-0.parquet", 4, false);
	lease_ok(fx, "clicks", A, T0);
	int64_t id = begin_ok(fx, "clicks", A, T0);
	stage_ok(fx, "clicks", id, outs[0].o.obj.key, T0);
	stage_ok(fx, "clicks", id, outs[1].o.obj.key, T0);
	assert_int_equal(commit_run(fx, "clicks", id, A, 9, NULL, outs, 2, true, T0 + 1, &err), 0);
	/* one object-created event each, for the crawler; no catalog rows yet */
	assert_int_equal(queue_depth(fx, "curated"), 2);
	struct sl_message msg[2];
	size_t n = 0;
	assert_int_equal(OPS->queue_receive(ST, "curated", 2, 1000, T0 + 2, msg, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_non_null(strstr(msg[0].body, "ObjectCreated"));
	assert_non_null(strstr(msg[0].body, "clicks/dt="));
	for (size_t i = 0; i < n; i++)
		sl_message_release(&msg[i]);
	assert_int_equal(OPS->catalog_file_get(ST, "curated", outs[0].o.obj.key, &f, &err),
			 SL_ENOENT);
}

/* Everything a refused commit could have touched, to compare before and after. */
struct snap {
	int64_t objects, cat_files, tables, messages, bm_seq, bm_committed, drift;
	char run_state[16];
};

static void snapshot(struct fx *fx, const char *job, int64_t run, struct snap *s)
{
	struct sl_etl_run r;
	struct sl_etl_bookmark bm;
	memset(s, 0, sizeof(*s));
	s->objects = count_sql(fx, "SELECT count(*) FROM objects");
	s->cat_files = count_sql(fx, "SELECT count(*) FROM cat_files");
	s->tables = count_sql(fx, "SELECT count(*) FROM cat_tables");
	s->messages = count_sql(fx, "SELECT count(*) FROM messages");
	s->drift = count_sql(fx, "SELECT count(*) FROM cat_drift");
	get_bookmark(fx, job, &bm);
	s->bm_seq = bm.seq;
	s->bm_committed = bm.last_committed;
	get_run(fx, job, run, &r);
	snprintf(s->run_state, sizeof(s->run_state), "%s", r.state);
}

static void assert_same(const struct snap *a, const struct snap *b)
{
	assert_int_equal(a->objects, b->objects);
	assert_int_equal(a->cat_files, b->cat_files);
	assert_int_equal(a->tables, b->tables);
	assert_int_equal(a->messages, b->messages);
	assert_int_equal(a->drift, b->drift);
	assert_int_equal(a->bm_seq, b->bm_seq);
	assert_int_equal(a->bm_committed, b->bm_committed);
	assert_string_equal(a->run_state, b->run_state);
}

static void test_commit_refused_changes_nothing(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	struct snap before, after;
	struct sl_cat_table t;
	mk_table(&t, "orders", SL_CAT_DELETE_DELETE);
	struct sl_cat_table_change tc = {.table = &t, .expected_version = 0, .new_version = true};
	struct sl_cat_drift d = {.kind = "table_created", .db = "curated", .table = "orders"};
	struct out outs[2];
	mk_out(&outs[0], "orders", "1", "a.parquet", 5, true);
	mk_out(&outs[1], "orders", "1", "b.parquet", 6, true);
	lease_ok(fx, "orders", A, T0);
	int64_t id = begin_ok(fx, "orders", A, T0);
	stage_ok(fx, "orders", id, outs[0].o.obj.key, T0);
	snapshot(fx, "orders", id, &before);

	/* a key that was not staged, after one that was: all or nothing */
	struct sl_etl_output o[2] = {outs[0].o, outs[1].o};
	struct sl_etl_commit c = {.job = "orders", .run_id = id, .holder = A, .to_seq = 5,
				  .table = &tc, .outputs = o, .n_outputs = 2, .events = true,
				  .drift = &d, .n_drift = 1};
	assert_int_equal(OPS->etl_commit(ST, &c, T0 + 1, &err), SL_EINVAL);
	assert_non_null(strstr(err.msg, "not staged"));
	snapshot(fx, "orders", id, &after);
	assert_same(&before, &after);
	assert_false(has_object(fx, "curated", outs[0].o.obj.key, NULL));

	/* the same output twice */
	o[1] = outs[0].o;
	assert_int_equal(OPS->etl_commit(ST, &c, T0 + 1, &err), SL_EINVAL);
	assert_non_null(strstr(err.msg, "twice"));
	snapshot(fx, "orders", id, &after);
	assert_same(&before, &after);

	/* a bookmark that would go back */
	stage_ok(fx, "orders", id, outs[1].o.obj.key, T0);
	o[1] = outs[1].o;
	c.n_outputs = 2;
	c.to_seq = -1;
	assert_int_equal(OPS->etl_commit(ST, &c, T0 + 1, &err), SL_EINVAL);
	c.to_seq = 5;

	/* the lease lost to another holder */
	OPS->etl_lease_release(ST, "orders", A);
	assert_int_equal(OPS->etl_lease(ST, "orders", B, TTL, T0 + 2, &err), 0);
	assert_int_equal(OPS->etl_commit(ST, &c, T0 + 3, &err), SL_EBUSY);
	assert_non_null(strstr(err.msg, B));
	snapshot(fx, "orders", id, &after);
	assert_same(&before, &after);
	/* or expired */
	OPS->etl_lease_release(ST, "orders", B);
	lease_ok(fx, "orders", A, T0 + 3);
	assert_int_equal(OPS->etl_commit(ST, &c, T0 + 3 + TTL, &err), SL_EBUSY);
	assert_non_null(strstr(err.msg, "ran out"));

	/* the bookmark moved since the run began */
	raw_sql(fx, "UPDATE etl_bookmarks SET seq=3 WHERE job='orders'");
	assert_int_equal(OPS->etl_commit(ST, &c, T0 + 4, &err), SL_ESTALE);
	assert_non_null(strstr(err.msg, "moved"));
	raw_sql(fx, "UPDATE etl_bookmarks SET seq=0 WHERE job='orders'");
	snapshot(fx, "orders", id, &after);
	assert_same(&before, &after);

	/* a key that became another object (a put behind the run's back) */
	struct sl_object other = outs[1].o.obj;
	snprintf(other.checksum, sizeof(other.checksum), "sha256:%064d", 999);
	assert_int_equal(OPS->object_commit(ST, &other, NULL, &err), 0);
	before.objects++;
	assert_int_equal(OPS->etl_commit(ST, &c, T0 + 4, &err), SL_EEXIST);
	assert_non_null(strstr(err.msg, "never overwrites"));
	snapshot(fx, "orders", id, &after);
	assert_same(&before, &after);
	/* the very file, indexed by someone who found it first: the commit takes it over */
	other = outs[1].o.obj;
	assert_int_equal(OPS->object_commit(ST, &other, NULL, &err), 0);
	assert_int_equal(OPS->etl_commit(ST, &c, T0 + 5, &err), 0);
	struct sl_object now;
	assert_true(has_object(fx, "curated", outs[1].o.obj.key, &now));
	assert_true(now.seq > other.seq);
	assert_int_equal(queue_depth(fx, "curated"), 2);

	/* committed: not running any more */
	assert_int_equal(OPS->etl_commit(ST, &c, T0 + 6, &err), SL_ESTALE);
	assert_non_null(strstr(err.msg, "committed"));
}

static void test_commit_refused_after_fail_or_rewind(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	struct sl_etl_run r;
	struct out outs[1];
	mk_out(&outs[0], "orders", "1", "a.parquet", 5, false);
	int64_t r1 = full_run(fx, "orders", 7, NULL, NULL, 0, T0);
	assert_int_equal(r1, 1);
	/* a run that failed */
	int64_t r2 = begin_ok(fx, "orders", A, T0 + 1);
	stage_ok(fx, "orders", r2, outs[0].o.obj.key, T0 + 1);
	assert_int_equal(OPS->etl_run_fail(ST, "orders", r2, "boom", T0 + 2, &err), 0);
	assert_int_equal(commit_run(fx, "orders", r2, A, 9, NULL, outs, 1, false, T0 + 3, &err),
			 SL_ESTALE);
	assert_non_null(strstr(err.msg, "failed"));
	/* a run overtaken by a rewind */
	int64_t r3 = begin_ok(fx, "orders", A, T0 + 4);
	struct keys ks;
	rewind_ok(fx, "orders", 0, T0 + 5, &ks);
	assert_int_equal(commit_run(fx, "orders", r3, A, 9, NULL, NULL, 0, false, T0 + 6, &err),
			 SL_ESTALE);
	get_run(fx, "orders", r3, &r);
	assert_string_equal(r.state, SL_RUN_FAILED);
	assert_non_null(strstr(r.error, "rewound"));
	/* a run of another holder cannot be committed by this one */
	OPS->etl_lease_release(ST, "orders", A);
	assert_int_equal(OPS->etl_lease(ST, "orders", B, TTL, T0 + 7, &err), 0);
	assert_int_equal(OPS->etl_run_begin(ST, "orders", B, T0 + 7, &r, &err), 0);
	OPS->etl_lease_release(ST, "orders", B);
	lease_ok(fx, "orders", A, T0 + 8);
	assert_int_equal(commit_run(fx, "orders", r.id, A, 9, NULL, NULL, 0, false, T0 + 8, &err),
			 SL_ESTALE);
	assert_non_null(strstr(err.msg, B));
	/* a commit with nothing new: the bookmark stays, the run is recorded */
	int64_t r5 = begin_ok(fx, "orders", A, T0 + 9);
	assert_int_equal(commit_run(fx, "orders", r5, A, 0, NULL, NULL, 0, false, T0 + 9, &err),
			 0);
	get_run(fx, "orders", r5, &r);
	assert_string_equal(r.state, SL_RUN_COMMITTED);
}

/* ---- pending ------------------------------------------------------------------------------ */

struct pend {
	int64_t seq[512];
	char key[512][SL_KEY_MAX + 1];
	bool cat[512];
	size_t n;
};

static int on_pending(void *ctx, const struct sl_object *obj, const struct sl_cat_file *file)
{
	struct pend *pd = ctx;
	assert_true(pd->n < 512);
	assert_string_equal(obj->state, SL_STATE_PRESENT);
	if (file) {
		assert_int_equal(file->seq, obj->seq);
		assert_string_equal(file->key, obj->key);
	}
	pd->seq[pd->n] = obj->seq;
	snprintf(pd->key[pd->n], sizeof(pd->key[0]), "%s", obj->key);
	pd->cat[pd->n] = file != NULL;
	pd->n++;
	return 0;
}

static void pending(struct fx *fx, const char *prefix, int64_t after, int64_t limit,
		    struct pend *pd)
{
	struct sl_err err = {0};
	memset(pd, 0, sizeof(*pd));
	if (OPS->etl_pending(ST, "raw", prefix, after, limit, on_pending, pd, &err) != 0)
		fail_msg("etl_pending: %s", err.msg);
}

static void test_pending(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	struct pend *pd = calloc(1, sizeof(*pd));
	/* the table the crawler made of raw/orders/ */
	struct sl_cat_table t;
	memset(&t, 0, sizeof(t));
	snprintf(t.db, sizeof(t.db), "raw");
	snprintf(t.name, sizeof(t.name), "orders");
	snprintf(t.zone, sizeof(t.zone), "raw");
	snprintf(t.prefix, sizeof(t.prefix), "orders/");
	snprintf(t.format, sizeof(t.format), "json");
	t.version = 1;
	t.schema = (char *)"struct<a:int64>";
	snprintf(t.schema_policy, sizeof(t.schema_policy), "update");
	snprintf(t.deletion_policy, sizeof(t.deletion_policy), "delete");
	struct sl_cat_table_change tc = {.table = &t, .new_version = true};
	struct sl_cat_commit cc = {.tables = &tc, .n_tables = 1};
	assert_int_equal(OPS->catalog_commit(ST, &cc, T0, &err), 0);

	/* 150 objects under orders/, interleaved with other prefixes and zones */
	int64_t seqs[150];
	char key[64];
	for (int i = 0; i < 150; i++) {
		snprintf(key, sizeof(key), "orders/f%03d.ndjson", i);
		seqs[i] = put_raw(fx, key);
		if (i % 10 == 0) {
			snprintf(key, sizeof(key), "ordersx/f%03d.ndjson", i); /* not orders/ */
			put_raw(fx, key);
			struct sl_object lo = {.zone = "landing", .size = 1, .created_ms = T0};
			snprintf(lo.key, sizeof(lo.key), "orders/f%03d.ndjson", i);
			snprintf(lo.checksum, sizeof(lo.checksum), "sha256:0");
			assert_int_equal(OPS->object_commit(ST, &lo, NULL, &err), 0);
		}
	}
	/* the crawler catalogued the first 100 */
	struct sl_cat_file *files = calloc(100, sizeof(*files));
	for (int i = 0; i < 100; i++) {
		struct sl_cat_file *f = &files[i];
		snprintf(f->zone, sizeof(f->zone), "raw");
		snprintf(f->key, sizeof(f->key), "orders/f%03d.ndjson", i);
		f->seq = seqs[i];
		snprintf(f->db, sizeof(f->db), "raw");
		snprintf(f->table, sizeof(f->table), "orders");
		snprintf(f->format, sizeof(f->format), "json");
		f->records = 1;
		snprintf(f->state, sizeof(f->state), "active");
	}
	struct sl_cat_commit fc = {.files = files, .n_files = 100};
	assert_int_equal(OPS->catalog_commit(ST, &fc, T0, &err), 0);
	free(files);
	/* f005 is overwritten after it was catalogued (its row is for an older version), f006
	 * is being removed, f007 is gone */
	int64_t s5 = put_raw(fx, "orders/f005.ndjson");
	assert_int_equal(OPS->object_set_state(ST, "raw", "orders/f006.ndjson",
					       SL_STATE_DELETING, &err),
			 0);
	assert_int_equal(OPS->object_delete(ST, "raw", "orders/f007.ndjson", NULL, &err), 0);

	pending(fx, "orders/", 0, 0, pd);
	assert_int_equal(pd->n, 148); /* 150 - f006 - f007 */
	for (size_t i = 1; i < pd->n; i++)
		assert_true(pd->seq[i] > pd->seq[i - 1]);
	for (size_t i = 0; i < pd->n; i++)
		assert_int_equal(strncmp(pd->key[i], "orders/", 7), 0);
	/* f005 comes last (its new seq), uncatalogued; f000..f099 others catalogued */
	assert_int_equal(pd->seq[pd->n - 1], s5);
	assert_string_equal(pd->key[pd->n - 1], "orders/f005.ndjson");
	assert_false(pd->cat[pd->n - 1]);
	assert_true(pd->cat[0]);
	/* f000..f004, then f008.. (f005 moved to the end, f006 and f007 left out) */
	assert_string_equal(pd->key[96], "orders/f099.ndjson");
	assert_true(pd->cat[96]);
	assert_string_equal(pd->key[97], "orders/f100.ndjson");
	assert_false(pd->cat[97]);

	/* after a bookmark, with a limit, across a page boundary */
	pending(fx, "orders/", seqs[9], 130, pd);
	assert_int_equal(pd->n, 130);
	assert_string_equal(pd->key[0], "orders/f010.ndjson");
	assert_true(pd->seq[0] > seqs[9]);
	pending(fx, "orders/", seqs[149], 0, pd);
	assert_int_equal(pd->n, 1); /* only f005's new version */
	pending(fx, "orders/", s5, 0, pd);
	assert_int_equal(pd->n, 0);
	/* every prefix */
	pending(fx, "", 0, 0, pd);
	assert_int_equal(pd->n, 148 + 15);
	pending(fx, NULL, 0, 5, pd);
	assert_int_equal(pd->n, 5);
	free(pd);
}

/* ---- staged keys of runs that will not commit (promise 4) --------------------------------- */

static void test_staged_list_failed_and_expired(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	struct sl_etl_run r;
	struct keys ks;
	bool live = true;
	lease_ok(fx, "orders", A, T0);
	int64_t r1 = begin_ok(fx, "orders", A, T0);
	stage_ok(fx, "orders", r1, "orders/dt=1/r1-a.parquet", T0);
	stage_ok(fx, "orders", r1, "orders/dt=1/r1-b.parquet", T0);
	assert_int_equal(OPS->etl_run_fail(ST, "orders", r1, "transform failed", T0 + 1, &err), 0);
	staged_list(fx, "orders", T0 + 2, &ks);
	assert_int_equal(ks.n, 2);
	assert_string_equal(ks.job[0], "orders");
	assert_int_equal(ks.run[0], r1);
	assert_true(has_key(&ks, "orders/dt=1/r1-a.parquet"));
	staged_list(fx, "other", T0 + 2, &ks);
	assert_int_equal(ks.n, 0);
	assert_int_equal(OPS->etl_staged_find(ST, "curated", "orders/dt=1/r1-a.parquet", T0 + 2, &r,
					      &live, &err),
			 0);
	assert_false(live);
	assert_int_equal(r.id, r1);
	/* another run cannot stage a key a failed run left behind until it is recovered */
	int64_t r2 = begin_ok(fx, "orders", A, T0 + 3);
	const char *k1[] = {"orders/dt=1/r1-a.parquet"};
	assert_int_equal(OPS->etl_stage(ST, "orders", r2, A, "curated", k1, 1, T0 + 3, &err),
			 SL_EEXIST);
	assert_non_null(strstr(err.msg, "recover"));
	/* the recovery forgets it once the file is gone */
	assert_int_equal(OPS->etl_staged_forget(ST, "orders", r1, "curated", k1[0], &err), 0);
	assert_int_equal(OPS->etl_staged_forget(ST, "orders", r1, "curated", k1[0], &err), 0);
	staged_list(fx, NULL, T0 + 4, &ks);
	assert_int_equal(ks.n, 1);
	assert_string_equal(ks.key[0], "orders/dt=1/r1-b.parquet");
	assert_int_equal(OPS->etl_stage(ST, "orders", r2, A, "curated", k1, 1, T0 + 4, &err), 0);
	/* a running run's keys are neither listed nor forgettable while its lease lasts */
	assert_int_equal(OPS->etl_staged_forget(ST, "orders", r2, "curated", k1[0], &err),
			 SL_EBUSY);
	staged_list(fx, NULL, T0 + 5, &ks);
	assert_int_equal(ks.n, 1);
	get_run(fx, "orders", r2, &r);
	assert_string_equal(r.state, SL_RUN_RUNNING);
	/* its lease runs out: the run is failed, its keys listed */
	staged_list(fx, NULL, T0 + TTL + 1, &ks);
	assert_int_equal(ks.n, 2);
	assert_true(has_key(&ks, k1[0]));
	get_run(fx, "orders", r2, &r);
	assert_string_equal(r.state, SL_RUN_FAILED);
	assert_non_null(strstr(r.error, "lease"));
	assert_int_equal(r.ended_ms, T0 + TTL + 1);
	/* released instead of expired: the same */
	lease_ok(fx, "orders", A, T0 + TTL + 2);
	int64_t r3 = begin_ok(fx, "orders", A, T0 + TTL + 2);
	stage_ok(fx, "orders", r3, "orders/dt=2/r3.parquet", T0 + TTL + 2);
	OPS->etl_lease_release(ST, "orders", A);
	staged_list(fx, "orders", T0 + TTL + 3, &ks);
	assert_int_equal(ks.n, 3);
	get_run(fx, "orders", r3, &r);
	assert_string_equal(r.state, SL_RUN_FAILED);
	/* a staged key someone indexed since (a put) is the index's: the row goes, unlisted */
	struct sl_object o;
	memset(&o, 0, sizeof(o));
	snprintf(o.zone, sizeof(o.zone), "curated");
	snprintf(o.key, sizeof(o.key), "orders/dt=2/r3.parquet");
	snprintf(o.checksum, sizeof(o.checksum), "sha256:1");
	assert_int_equal(OPS->object_commit(ST, &o, NULL, &err), 0);
	staged_list(fx, "orders", T0 + TTL + 4, &ks);
	assert_int_equal(ks.n, 2);
	assert_false(has_key(&ks, "orders/dt=2/r3.parquet"));
	/* bad input */
	assert_int_equal(OPS->etl_staged_find(ST, "curated", "", T0, &r, &live, &err), SL_EINVAL);
	const char *bad[] = {""};
	assert_int_equal(OPS->etl_stage(ST, "orders", r3, A, "curated", bad, 1, T0, &err),
			 SL_EINVAL);
}

/* ---- rewind and reset ------------------------------------------------------------------------ */

static void test_rewind(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	struct sl_etl_run r;
	struct sl_etl_bookmark bm, bm2;
	struct sl_object o;
	struct sl_cat_file f;
	struct parts ps;
	struct keys ks;
	struct sl_cat_table t;
	mk_table(&t, "orders", SL_CAT_DELETE_DELETE);
	struct sl_cat_table_change tc = {.table = &t, .expected_version = 0, .new_version = true};
	struct out o1[1], o2[2], o3[1];
	mk_out(&o1[0], "orders", "1", "a.parquet", 1, true);
	mk_out(&o2[0], "orders", "1", "b.parquet", 2, true);
	mk_out(&o2[1], "orders", "2", "c.parquet", 3, true);
	mk_out(&o3[0], "orders", "3", "d.parquet", 4, true);
	int64_t r1 = full_run(fx, "orders", 10, &tc, o1, 1, T0);
	int64_t r2 = full_run(fx, "orders", 20, NULL, o2, 2, T0 + 1);
	int64_t r3 = full_run(fx, "orders", 30, NULL, o3, 1, T0 + 2);
	assert_int_equal(r3, 3);
	list_parts(fx, "orders", &ps);
	assert_int_equal(ps.n, 3);
	int64_t drift0 = count_sql(fx, "SELECT count(*) FROM cat_drift");

	/* refused: without the lease, to a run that is not a committed one */
	assert_int_equal(OPS->etl_rewind(ST, "orders", r1, B, T0 + 3, on_key, &ks, &err), SL_EBUSY);
	assert_int_equal(OPS->etl_rewind(ST, "orders", 9, A, T0 + 3, on_key, &ks, &err), SL_ENOENT);

	rewind_ok(fx, "orders", r1, T0 + 3, &ks);
	/* the files of runs 2 and 3, handed out for removal */
	assert_int_equal(ks.n, 3);
	assert_true(has_key(&ks, o2[0].o.obj.key));
	assert_true(has_key(&ks, o2[1].o.obj.key));
	assert_true(has_key(&ks, o3[0].o.obj.key));
	for (size_t i = 0; i < ks.n; i++) {
		assert_true(has_object(fx, "curated", ks.key[i], &o));
		assert_string_equal(o.state, SL_STATE_DELETING);
		get_file(fx, ks.key[i], &f);
		assert_string_equal(f.state, SL_CAT_FILE_RETIRED);
	}
	assert_true(has_object(fx, "curated", o1[0].o.obj.key, &o));
	assert_string_equal(o.state, SL_STATE_PRESENT);
	get_file(fx, o1[0].o.obj.key, &f);
	assert_string_equal(f.state, SL_CAT_FILE_ACTIVE);
	/* partitions: retired files count nowhere; emptied ones go (deletion policy) */
	list_parts(fx, "orders", &ps);
	assert_int_equal(ps.n, 1);
	assert_int_equal(find_part(&ps, "dt=1")->objects, 1);
	assert_int_equal(find_part(&ps, "dt=1")->records, 1);
	assert_int_equal(count_sql(fx, "SELECT count(*) FROM cat_drift WHERE "
				       "kind='partition_deleted'"),
			 2);
	/* runs and bookmark */
	get_run(fx, "orders", r1, &r);
	assert_string_equal(r.state, SL_RUN_COMMITTED);
	get_run(fx, "orders", r2, &r);
	assert_string_equal(r.state, SL_RUN_REWOUND);
	get_run(fx, "orders", r3, &r);
	assert_string_equal(r.state, SL_RUN_REWOUND);
	get_bookmark(fx, "orders", &bm);
	assert_int_equal(bm.seq, 10);
	assert_int_equal(bm.last_committed, r1);
	assert_int_equal(bm.last_run, 3);
	assert_int_equal(bm.updated_ms, T0 + 3);

	/* a second rewind to the same run changes nothing (the removals are handed out
	 * again while they are not done) */
	int64_t drift1 = count_sql(fx, "SELECT count(*) FROM cat_drift");
	assert_int_equal(drift1, drift0 + 2);
	rewind_ok(fx, "orders", r1, T0 + 4, &ks);
	assert_int_equal(ks.n, 3);
	get_bookmark(fx, "orders", &bm2);
	assert_memory_equal(&bm, &bm2, sizeof(bm));
	assert_int_equal(count_sql(fx, "SELECT count(*) FROM cat_drift"), drift1);
	list_parts(fx, "orders", &ps);
	assert_int_equal(ps.n, 1);
	assert_int_equal(find_part(&ps, "dt=1")->updated_ms, T0 + 3);
	/* once the files are removed (sl_store_remove_finish deletes the rows), nothing */
	for (size_t i = 0; i < ks.n; i++)
		assert_int_equal(OPS->object_delete(ST, "curated", ks.key[i], NULL, &err), 0);
	rewind_ok(fx, "orders", r1, T0 + 5, &ks);
	assert_int_equal(ks.n, 0);
	/* a rewound run is not a place to rewind to */
	assert_int_equal(OPS->etl_rewind(ST, "orders", r2, A, T0 + 5, on_key, &ks, &err),
			 SL_ENOENT);

	/* re-running from the bookmark may write the same keys again; numbers go on */
	int64_t r4 = full_run(fx, "orders", 20, NULL, o2, 2, T0 + 6);
	assert_int_equal(r4, 4);
	get_run(fx, "orders", r4, &r);
	assert_int_equal(r.from_seq, 10);
	list_parts(fx, "orders", &ps);
	assert_int_equal(ps.n, 2);
	assert_int_equal(find_part(&ps, "dt=1")->objects, 2);
}

static void test_reset_deprecates(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	struct sl_etl_run r;
	struct sl_etl_bookmark bm;
	struct sl_object o;
	struct parts ps;
	struct keys ks;
	/* a reset of a job that never ran undoes nothing */
	lease_ok(fx, "events", A, T0);
	rewind_ok(fx, "events", 0, T0, &ks);
	assert_int_equal(ks.n, 0);
	assert_int_equal(OPS->etl_bookmark_get(ST, "events", &bm, &err), SL_ENOENT);

	struct sl_cat_table t;
	mk_table(&t, "events", SL_CAT_DELETE_DEPRECATE);
	struct sl_cat_table_change tc = {.table = &t, .expected_version = 0, .new_version = true};
	struct out o1[2], o2[1];
	mk_out(&o1[0], "events", "1", "a.parquet", 1, true);
	mk_out(&o1[1], "events", "2", "a.parquet", 2, true);
	mk_out(&o2[0], "events", "2", "b.parquet", 3, true);
	full_run(fx, "events", 5, &tc, o1, 2, T0);
	/* a nested-style output (no catalog row) is retired from the index all the same */
	struct out n1[1];
	mk_out(&n1[0], "events", "3", "nested.parquet", 1, false);
	lease_ok(fx, "events", A, T0 + 1);
	int64_t r2 = begin_ok(fx, "events", A, T0 + 1);
	stage_ok(fx, "events", r2, o2[0].o.obj.key, T0 + 1);
	stage_ok(fx, "events", r2, n1[0].o.obj.key, T0 + 1);
	struct out both[2] = {o2[0], n1[0]};
	both[0].o.file = &both[0].f;
	assert_int_equal(commit_run(fx, "events", r2, A, 8, NULL, both, 2, false, T0 + 1, &err), 0);

	rewind_ok(fx, "events", 0, T0 + 2, &ks);
	assert_int_equal(ks.n, 4);
	assert_true(has_key(&ks, n1[0].o.obj.key));
	assert_true(has_object(fx, "curated", n1[0].o.obj.key, &o));
	assert_string_equal(o.state, SL_STATE_DELETING);
	/* the partitions stay, deprecated, with zero counts */
	list_parts(fx, "events", &ps);
	assert_int_equal(ps.n, 2);
	for (size_t i = 0; i < ps.n; i++) {
		assert_string_equal(ps.p[i].state, SL_CAT_PART_DEPRECATED);
		assert_int_equal(ps.p[i].objects, 0);
		assert_int_equal(ps.p[i].records, 0);
	}
	assert_int_equal(count_sql(fx, "SELECT count(*) FROM cat_drift WHERE "
				       "kind='partition_deprecated'"),
			 2);
	get_bookmark(fx, "events", &bm);
	assert_int_equal(bm.seq, 0);
	assert_int_equal(bm.last_committed, 0);
	assert_int_equal(bm.last_run, 2);
	get_run(fx, "events", 1, &r);
	assert_string_equal(r.state, SL_RUN_REWOUND);
	get_run(fx, "events", r2, &r);
	assert_string_equal(r.state, SL_RUN_REWOUND);
	struct sl_cat_table got;
	assert_int_equal(OPS->catalog_table_get(ST, "curated", "events", &got, &err), 0);
	assert_int_equal(got.n_files, 0);
	assert_int_equal(got.n_partitions, 0);
	sl_cat_table_release(&got);
}

/* ---- run listings ---------------------------------------------------------------------------- */

struct runs {
	char job[128][SL_JOB_MAX];
	int64_t id[128];
	size_t n;
};

static int on_run(void *ctx, const struct sl_etl_run *r)
{
	struct runs *rs = ctx;
	assert_true(rs->n < 128);
	snprintf(rs->job[rs->n], SL_JOB_MAX, "%s", r->job);
	rs->id[rs->n++] = r->id;
	return 0;
}

static void test_run_list(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	struct runs *rs = calloc(1, sizeof(*rs));
	lease_ok(fx, "a", A, T0);
	lease_ok(fx, "b", A, T0);
	for (int i = 0; i < 70; i++)
		begin_ok(fx, "a", A, T0 + i);
	for (int i = 0; i < 3; i++)
		begin_ok(fx, "b", A, T0 + i);
	assert_int_equal(OPS->etl_run_list(ST, "a", 0, on_run, rs, &err), 0);
	assert_int_equal(rs->n, 70);
	for (size_t i = 0; i < rs->n; i++)
		assert_int_equal(rs->id[i], 70 - (int64_t)i);
	memset(rs, 0, sizeof(*rs));
	assert_int_equal(OPS->etl_run_list(ST, "a", 5, on_run, rs, &err), 0);
	assert_int_equal(rs->n, 5);
	assert_int_equal(rs->id[0], 70);
	assert_int_equal(rs->id[4], 66);
	memset(rs, 0, sizeof(*rs));
	assert_int_equal(OPS->etl_run_list(ST, NULL, 0, on_run, rs, &err), 0);
	assert_int_equal(rs->n, 73);
	assert_string_equal(rs->job[0], "a");
	assert_int_equal(rs->id[0], 70);
	assert_string_equal(rs->job[70], "b");
	assert_int_equal(rs->id[70], 3);
	assert_int_equal(rs->id[72], 1);
	memset(rs, 0, sizeof(*rs));
	assert_int_equal(OPS->etl_run_list(ST, "nope", 0, on_run, rs, &err), 0);
	assert_int_equal(rs->n, 0);
	free(rs);
}

/* ---- a commit's retire list (a compaction) ---------------------------------------------- */

static void object_ok(struct fx *fx, const char *key, struct sl_object *o)
{
	if (!has_object(fx, "curated", key, o))
		fail_msg("no object curated/%s", key);
}

/* The small files retired and the merged one registered in one commit; refused, with
 * nothing changed, when a file to retire is no longer the present, active file at its
 * seq; a file the table's job committed meanwhile stays active. */
static void test_commit_retires(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	struct sl_object oa, ob, oc, o;
	struct sl_cat_file f;
	struct parts ps;
	struct snap before, after;
	struct sl_etl_run r;
	struct sl_etl_bookmark bm;
	struct sl_cat_table t;
	const char *cj = "compact:curated.orders";
	mk_table(&t, "orders", SL_CAT_DELETE_DELETE);
	struct sl_cat_table_change tc = {.table = &t, .expected_version = 0, .new_version = true};
	struct out small[3], late[1], merged[2];
	mk_out(&small[0], "orders", "1", "a.parquet", 2, true);
	mk_out(&small[1], "orders", "1", "b.parquet", 3, true);
	mk_out(&small[2], "orders", "2", "c.parquet", 4, true);
	int64_t job_run = full_run(fx, "orders", 10, &tc, small, 3, T0);
	object_ok(fx, small[0].o.obj.key, &oa);
	object_ok(fx, small[1].o.obj.key, &ob);
	object_ok(fx, small[2].o.obj.key, &oc);

	/* the compaction's run, its merged file of dt=1 staged ... */
	mk_out(&merged[0], "orders", "1", "part-c1-000.parquet", 5, true);
	lease_ok(fx, cj, A, T0 + 1);
	int64_t id = begin_ok(fx, cj, A, T0 + 1);
	stage_ok(fx, cj, id, merged[0].o.obj.key, T0 + 1);
	/* ... while the table's job commits another file into dt=1 */
	mk_out(&late[0], "orders", "1", "d.parquet", 6, true);
	full_run(fx, "orders", 20, NULL, late, 1, T0 + 2);

	struct sl_object ret[2] = {oa, ob};
	struct sl_etl_output out1[1] = {merged[0].o};
	struct sl_etl_commit c = {.job = cj, .run_id = id, .holder = A, .to_seq = 0,
				  .outputs = out1, .n_outputs = 1, .retire = ret, .n_retire = 2};
	snapshot(fx, cj, id, &before);
	int64_t deleting0 = count_sql(fx, "SELECT count(*) FROM objects WHERE state='deleting'");

	/* refused: a seq that is not the file's */
	ret[1].seq = ob.seq + 100;
	assert_int_equal(OPS->etl_commit(ST, &c, T0 + 3, &err), SL_ESTALE);
	assert_non_null(strstr(err.msg, small[1].o.obj.key));
	ret[1] = ob;
	/* a file that is gone */
	snprintf(ret[1].key, sizeof(ret[1].key), "orders/dt=1/gone.parquet");
	assert_int_equal(OPS->etl_commit(ST, &c, T0 + 3, &err), SL_ESTALE);
	assert_non_null(strstr(err.msg, "gone"));
	ret[1] = ob;
	/* a file whose catalog row is not active */
	raw_sql(fx, "UPDATE cat_files SET state='rejected' WHERE key='orders/dt=1/b.parquet'");
	assert_int_equal(OPS->etl_commit(ST, &c, T0 + 3, &err), SL_ESTALE);
	assert_non_null(strstr(err.msg, "rejected in the catalog"));
	raw_sql(fx, "UPDATE cat_files SET state='active' WHERE key='orders/dt=1/b.parquet'");
	/* bad arguments */
	c.retire = NULL;
	assert_int_equal(OPS->etl_commit(ST, &c, T0 + 3, &err), SL_EINVAL);
	c.retire = ret;
	ret[0].seq = 0;
	assert_int_equal(OPS->etl_commit(ST, &c, T0 + 3, &err), SL_EINVAL);
	ret[0] = oa;
	/* all or nothing: the output was not registered by any of them */
	snapshot(fx, cj, id, &after);
	assert_same(&before, &after);
	assert_false(has_object(fx, "curated", merged[0].o.obj.key, NULL));
	assert_int_equal(count_sql(fx, "SELECT count(*) FROM objects WHERE state='deleting'"),
			 deleting0);
	list_parts(fx, "orders", &ps);
	assert_int_equal(find_part(&ps, "dt=1")->objects, 3);

	/* the commit */
	assert_int_equal(OPS->etl_commit(ST, &c, T0 + 3, &err), 0);
	for (int i = 0; i < 2; i++) {
		object_ok(fx, ret[i].key, &o);
		assert_int_equal(o.seq, ret[i].seq);
		assert_string_equal(o.state, SL_STATE_DELETING);
		get_file(fx, ret[i].key, &f);
		assert_string_equal(f.state, SL_CAT_FILE_RETIRED);
	}
	object_ok(fx, merged[0].o.obj.key, &o);
	assert_string_equal(o.state, SL_STATE_PRESENT);
	get_file(fx, merged[0].o.obj.key, &f);
	assert_string_equal(f.state, SL_CAT_FILE_ACTIVE);
	assert_int_equal(f.seq, o.seq);
	get_file(fx, late[0].o.obj.key, &f);
	assert_string_equal(f.state, SL_CAT_FILE_ACTIVE); /* the job's commit is not lost */
	get_file(fx, small[2].o.obj.key, &f);
	assert_string_equal(f.state, SL_CAT_FILE_ACTIVE);
	/* partitions recounted: dt=1 holds the merged file and the late one */
	list_parts(fx, "orders", &ps);
	assert_int_equal(ps.n, 2);
	assert_int_equal(find_part(&ps, "dt=1")->objects, 2);
	assert_int_equal(find_part(&ps, "dt=1")->records, 5 + 6);
	assert_int_equal(find_part(&ps, "dt=2")->objects, 1);
	assert_int_equal(find_part(&ps, "dt=2")->records, 4);
	/* the pseudo job's bookmark stays; the table's job's is its own */
	get_bookmark(fx, cj, &bm);
	assert_int_equal(bm.seq, 0);
	assert_int_equal(bm.last_committed, id);
	get_run(fx, cj, id, &r);
	assert_string_equal(r.state, SL_RUN_COMMITTED);
	get_bookmark(fx, "orders", &bm);
	assert_int_equal(bm.seq, 20);
	assert_int_equal(bm.last_committed, job_run + 1);

	/* a second compaction naming a file retired already: stale */
	mk_out(&merged[1], "orders", "2", "part-c2-000.parquet", 4, true);
	int64_t id2 = begin_ok(fx, cj, A, T0 + 4);
	stage_ok(fx, cj, id2, merged[1].o.obj.key, T0 + 4);
	struct sl_object ret2[2] = {oc, oa};
	struct sl_etl_output out2[1] = {merged[1].o};
	struct sl_etl_commit c2 = {.job = cj, .run_id = id2, .holder = A, .to_seq = 0,
				   .outputs = out2, .n_outputs = 1, .retire = ret2, .n_retire = 2};
	assert_int_equal(OPS->etl_commit(ST, &c2, T0 + 5, &err), SL_ESTALE);
	assert_non_null(strstr(err.msg, "deleting"));
	get_file(fx, small[2].o.obj.key, &f);
	assert_string_equal(f.state, SL_CAT_FILE_ACTIVE);
	/* nor one a rewind of the job retired meanwhile (reset: every run of it) */
	c2.n_retire = 1;
	struct keys ks;
	rewind_ok(fx, "orders", 0, T0 + 5, &ks);
	assert_int_equal(OPS->etl_commit(ST, &c2, T0 + 6, &err), SL_ESTALE);
	assert_false(has_object(fx, "curated", merged[1].o.obj.key, NULL));
	get_run(fx, cj, id2, &r);
	assert_string_equal(r.state, SL_RUN_RUNNING);
}

/* ---- lineage (migration 6) -------------------------------------------------------------- */

#define MAXS 16
struct segs {
	struct sl_object file[MAXS];
	struct sl_etl_segment seg[MAXS];
	size_t n;
};

static int on_seg(void *ctx, const struct sl_object *file, const struct sl_etl_segment *seg)
{
	struct segs *ss = ctx;
	assert_true(ss->n < MAXS);
	ss->file[ss->n] = *file;
	ss->seg[ss->n++] = *seg;
	return 0;
}

static void lineage_of(struct fx *fx, const char *key, struct segs *ss)
{
	struct sl_err err = {0};
	struct sl_object o;
	memset(ss, 0, sizeof(*ss));
	object_ok(fx, key, &o);
	if (OPS->etl_lineage_get(ST, "curated", key, o.seq, on_seg, ss, &err) != 0)
		fail_msg("etl_lineage_get: %s", err.msg);
}

static void assert_seg(const struct segs *ss, size_t i, const char *job, int64_t run,
		       int64_t rows)
{
	assert_true(i < ss->n);
	assert_string_equal(ss->seg[i].job, job);
	assert_int_equal(ss->seg[i].run, run);
	assert_int_equal(ss->seg[i].rows, rows);
}

/* A merged file's lineage is committed with it and read back in row order; a run's own
 * file is that run's; a commit whose lineage disagrees with its file is refused; a rewind
 * refuses (changing nothing) to undo runs a merged file of a table holds beside rows that
 * stay, leaves such a file alone when no table has it, and retires one holding only rows
 * it undoes; the lineage goes with the index row. */
static void test_lineage(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	struct sl_object oa, ob, oc, om, o;
	struct sl_cat_file f;
	struct snap before, after;
	struct segs ss;
	struct keys ks;
	struct sl_etl_run r;
	struct sl_cat_table t;
	const char *cj = "compact:curated.orders";
	mk_table(&t, "orders", SL_CAT_DELETE_DELETE);
	struct sl_cat_table_change tc = {.table = &t, .expected_version = 0, .new_version = true};
	struct out a, b, c, m;
	mk_out(&a, "orders", "1", "a.parquet", 2, true);
	mk_out(&b, "orders", "1", "b.parquet", 3, true);
	mk_out(&c, "orders", "1", "c.parquet", 4, true);
	full_run(fx, "orders", 10, &tc, &a, 1, T0);
	full_run(fx, "orders", 20, NULL, &b, 1, T0 + 1);
	full_run(fx, "orders", 30, NULL, &c, 1, T0 + 2);
	object_ok(fx, a.o.obj.key, &oa);
	object_ok(fx, b.o.obj.key, &ob);
	object_ok(fx, c.o.obj.key, &oc);
	/* a run's own file: the run, all of it */
	lineage_of(fx, a.o.obj.key, &ss);
	assert_int_equal(ss.n, 1);
	assert_seg(&ss, 0, "orders", 1, -1);
	assert_int_equal(ss.file[0].seq, oa.seq);
	/* a file of no run: none */
	int64_t loose = put_raw(fx, "loose.ndjson");
	memset(&ss, 0, sizeof(ss));
	assert_int_equal(OPS->etl_lineage_get(ST, "raw", "loose.ndjson", loose, on_seg, &ss,
					      &err), 0);
	assert_int_equal(ss.n, 0);

	/* the compaction: m holds a's, b's and c's rows, in that order */
	mk_out(&m, "orders", "1", "part-c1-000.parquet", 9, true);
	lease_ok(fx, cj, A, T0 + 3);
	int64_t id = begin_ok(fx, cj, A, T0 + 3);
	stage_ok(fx, cj, id, m.o.obj.key, T0 + 3);
	struct sl_etl_segment lin[3] = {{"orders", 1, 2}, {"orders", 2, 3}, {"orders", 3, 4}};
	struct sl_object ret[3] = {oa, ob, oc};
	struct sl_etl_output out1[1] = {m.o};
	struct sl_etl_commit cm = {.job = cj, .run_id = id, .holder = A, .to_seq = 0,
				   .outputs = out1, .n_outputs = 1, .retire = ret, .n_retire = 3};
	snapshot(fx, cj, id, &before);
	out1[0].lineage = lin;
	out1[0].n_lineage = 3;
	lin[1].rows = 2; /* 8 rows: not the file's 9 */
	assert_int_equal(OPS->etl_commit(ST, &cm, T0 + 4, &err), SL_EINVAL);
	assert_non_null(strstr(err.msg, "lineage counts 8 rows, the file 9"));
	lin[1].rows = 3;
	lin[2].rows = 0;
	assert_int_equal(OPS->etl_commit(ST, &cm, T0 + 4, &err), SL_EINVAL);
	lin[2].rows = 4;
	out1[0].lineage = NULL;
	assert_int_equal(OPS->etl_commit(ST, &cm, T0 + 4, &err), SL_EINVAL);
	out1[0].lineage = lin;
	snapshot(fx, cj, id, &after);
	assert_same(&before, &after);
	assert_int_equal(count_sql(fx, "SELECT count(*) FROM etl_lineage"), 0);
	assert_int_equal(OPS->etl_commit(ST, &cm, T0 + 4, &err), 0);
	object_ok(fx, m.o.obj.key, &om);
	lineage_of(fx, m.o.obj.key, &ss);
	assert_int_equal(ss.n, 3);
	for (int i = 0; i < 3; i++) {
		assert_seg(&ss, (size_t)i, "orders", i + 1, 2 + i);
		assert_int_equal(ss.file[i].seq, om.seq);
		assert_string_equal(ss.file[i].key, m.o.obj.key);
	}
	/* found by the job's runs after N, in present files only */
	memset(&ss, 0, sizeof(ss));
	assert_int_equal(OPS->etl_lineage_find(ST, "orders", 1, on_seg, &ss, &err), 0);
	assert_int_equal(ss.n, 2);
	assert_seg(&ss, 0, "orders", 2, 3);
	assert_seg(&ss, 1, "orders", 3, 4);
	assert_int_equal(ss.file[0].seq, om.seq);
	assert_string_equal(ss.file[1].zone, "curated");
	memset(&ss, 0, sizeof(ss));
	assert_int_equal(OPS->etl_lineage_find(ST, "orders", 3, on_seg, &ss, &err), 0);
	assert_int_equal(ss.n, 0);
	assert_int_equal(OPS->etl_lineage_find(ST, "other", 0, on_seg, &ss, &err), 0);
	assert_int_equal(ss.n, 0);

	/* a rewind to run 1 would retire m (losing run 1's rows) or keep it (keeping runs 2
	 * and 3): refused, nothing changes */
	lease_ok(fx, "orders", A, T0 + 5);
	snapshot(fx, "orders", 3, &before);
	memset(&ks, 0, sizeof(ks));
	assert_int_equal(OPS->etl_rewind(ST, "orders", 1, A, T0 + 5, on_key, &ks, &err),
			 SL_ESTALE);
	assert_non_null(strstr(err.msg, m.o.obj.key));
	assert_non_null(strstr(err.msg, "split it first"));
	snapshot(fx, "orders", 3, &after);
	assert_same(&before, &after);
	assert_int_equal(count_sql(fx, "SELECT count(*) FROM objects WHERE state='deleting'"),
			 3); /* the compaction's inputs, not removed in this test */
	/* a merged file no table has (its catalog row not active) is nobody's data: left */
	raw_sql(fx, "UPDATE cat_files SET state='rejected' WHERE key='orders/dt=1/"
		    "part-c1-000.parquet'");
	rewind_ok(fx, "orders", 2, T0 + 6, &ks);
	get_run(fx, "orders", 3, &r);
	assert_string_equal(r.state, SL_RUN_REWOUND);
	object_ok(fx, m.o.obj.key, &o);
	assert_string_equal(o.state, SL_STATE_PRESENT);
	assert_false(has_key(&ks, m.o.obj.key));
	assert_true(has_key(&ks, c.o.obj.key)); /* run 3's own file, still to remove */
	raw_sql(fx, "UPDATE cat_files SET state='active' WHERE key='orders/dt=1/"
		    "part-c1-000.parquet'");
	/* a reset: every row of m is undone, m goes whole, and is handed out to remove; a
	 * second reset hands it out again while it is not removed */
	rewind_ok(fx, "orders", 0, T0 + 7, &ks);
	assert_true(has_key(&ks, m.o.obj.key));
	object_ok(fx, m.o.obj.key, &o);
	assert_string_equal(o.state, SL_STATE_DELETING);
	get_file(fx, m.o.obj.key, &f);
	assert_string_equal(f.state, SL_CAT_FILE_RETIRED);
	rewind_ok(fx, "orders", 0, T0 + 8, &ks);
	assert_true(has_key(&ks, m.o.obj.key));
	/* the lineage goes with the index row */
	assert_int_equal(count_sql(fx, "SELECT count(*) FROM etl_lineage"), 3);
	assert_int_equal(OPS->object_delete(ST, "curated", m.o.obj.key, NULL, &err), 0);
	assert_int_equal(count_sql(fx, "SELECT count(*) FROM etl_lineage"), 0);
	rewind_ok(fx, "orders", 0, T0 + 9, &ks);
	assert_false(has_key(&ks, m.o.obj.key));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_lease_two_handles),
		T(test_run_numbering),
		T(test_stage_commit_flat),
		T(test_commit_nested_sends_events),
		T(test_commit_refused_changes_nothing),
		T(test_commit_refused_after_fail_or_rewind),
		T(test_pending),
		T(test_staged_list_failed_and_expired),
		T(test_rewind),
		T(test_reset_deprecates),
		T(test_run_list),
		T(test_commit_retires),
		T(test_lineage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
