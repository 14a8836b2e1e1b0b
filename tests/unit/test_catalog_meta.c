/*
 * test_catalog_meta.c - the catalog in the metadata store: every promise of
 * catalog_commit (catalog.h) -- one transaction, SL_ESTALE for a change derived from an
 * old version (also between two handles), idempotent replays through seq checks,
 * partition counts that are the sums of their active files, removals under each deletion
 * policy, crawl --full's file replacement -- and the readers (tables with their sums,
 * versions, partitions, files with and without statistics, drift with its filters,
 * counters), table_drop; then the store-free helpers of catalog.c on hostile input.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "helpers.h"
#include "lake/lake.h"
#include "queue/queue.h"

#define T0 1700000000000LL

struct fx {
	char *dir;
	struct sl_lake *lake;
	struct sl_meta *m;
};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	fx->lake = th_lake_new("catmeta", &fx->dir);
	fx->m = &fx->lake->meta;
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

/* ---- building rows ------------------------------------------------------------------- */

static void mk_table(struct sl_cat_table *t, const char *name, int64_t version,
		     const char *pkeys, const char *deletion)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->db, sizeof(t->db), "raw");
	snprintf(t->name, sizeof(t->name), "%s", name);
	snprintf(t->zone, sizeof(t->zone), "raw");
	snprintf(t->prefix, sizeof(t->prefix), "%s/", name);
	snprintf(t->format, sizeof(t->format), "json");
	t->version = version;
	t->schema = (char *)"struct<a:int64>";
	snprintf(t->partition_keys, sizeof(t->partition_keys), "%s", pkeys);
	snprintf(t->schema_policy, sizeof(t->schema_policy), "%s", SL_CAT_SCHEMA_UPDATE);
	snprintf(t->deletion_policy, sizeof(t->deletion_policy), "%s", deletion);
}

static void mk_file(struct sl_cat_file *f, const char *table, const char *part,
		    const char *name, int64_t seq, int64_t records, int64_t bytes)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->zone, sizeof(f->zone), "raw");
	if (part[0])
		snprintf(f->key, sizeof(f->key), "%s/%s/%s", table, part, name);
	else
		snprintf(f->key, sizeof(f->key), "%s/%s", table, name);
	f->seq = seq;
	snprintf(f->db, sizeof(f->db), "raw");
	snprintf(f->table, sizeof(f->table), "%s", table);
	snprintf(f->part, sizeof(f->part), "%s", part);
	snprintf(f->format, sizeof(f->format), "json");
	f->records = records;
	f->bytes = bytes;
	f->schema_version = 1;
	snprintf(f->state, sizeof(f->state), "%s", SL_CAT_FILE_ACTIVE);
}

static void mk_removed(struct sl_object *o, const char *key, int64_t seq)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->zone, sizeof(o->zone), "raw");
	snprintf(o->key, sizeof(o->key), "%s", key);
	o->seq = seq;
}

static int do_commit(struct fx *fx, const struct sl_cat_commit *c, int64_t now,
		     struct sl_err *err)
{
	return fx->m->ops->catalog_commit(fx->m->state, c, now, err);
}

static void commit_ok(struct fx *fx, const struct sl_cat_commit *c, int64_t now)
{
	struct sl_err err = {0};
	if (do_commit(fx, c, now, &err) != 0)
		fail_msg("catalog_commit: %s", err.msg);
}

/* Creates raw.NAME at version 1 (with its version row). */
static void create_table(struct fx *fx, const char *name, const char *pkeys,
			 const char *deletion)
{
	struct sl_cat_table t;
	mk_table(&t, name, 1, pkeys, deletion);
	struct sl_cat_table_change tc = {.table = &t, .expected_version = 0, .new_version = true,
					 .change = "{\"created\":true}"};
	struct sl_cat_commit c = {.tables = &tc, .n_tables = 1};
	commit_ok(fx, &c, T0);
}

static void put_files(struct fx *fx, const struct sl_cat_file *files, size_t n, int64_t now)
{
	struct sl_cat_commit c = {.files = files, .n_files = n};
	commit_ok(fx, &c, now);
}

/* ---- reading rows back --------------------------------------------------------------- */

#define MAXP 512
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

static struct parts *list_parts(struct fx *fx, const char *table)
{
	struct parts *ps = calloc(1, sizeof(*ps));
	struct sl_err err = {0};
	if (fx->m->ops->catalog_partition_list(fx->m->state, "raw", table, on_part, ps, &err) != 0)
		fail_msg("partition_list: %s", err.msg);
	return ps;
}

static const struct sl_cat_partition *find_part(const struct parts *ps, const char *part)
{
	for (size_t i = 0; i < ps->n; i++)
		if (strcmp(ps->p[i].part, part) == 0)
			return &ps->p[i];
	return NULL;
}

struct files {
	struct sl_cat_file *f;
	size_t n;
	size_t with_stats; /* rows that came with statistics */
};

static int on_file(void *ctx, const struct sl_cat_file *f)
{
	struct files *fs = ctx;
	fs->f = realloc(fs->f, (fs->n + 1) * sizeof(*fs->f));
	fs->f[fs->n] = *f;
	fs->f[fs->n].stats = NULL; /* freed by the lister after the callback */
	if (f->stats)
		fs->with_stats++;
	fs->n++;
	return 0;
}

static void list_files(struct fx *fx, const char *table, const char *part, bool stats,
		       struct files *fs)
{
	struct sl_err err = {0};
	memset(fs, 0, sizeof(*fs));
	if (fx->m->ops->catalog_file_list(fx->m->state, "raw", table, part, stats, on_file, fs,
					  &err) != 0)
		fail_msg("file_list: %s", err.msg);
}

#define MAXD 512
struct drifts {
	struct sl_cat_drift d[MAXD];
	size_t n;
};

static int on_drift(void *ctx, const struct sl_cat_drift *d)
{
	struct drifts *ds = ctx;
	assert_true(ds->n < MAXD);
	ds->d[ds->n++] = *d;
	return 0;
}

static struct drifts *list_drift(struct fx *fx, const char *db, const char *name,
				 int64_t after, int64_t limit)
{
	struct drifts *ds = calloc(1, sizeof(*ds));
	struct sl_err err = {0};
	if (fx->m->ops->catalog_drift_list(fx->m->state, db, name, after, limit, on_drift, ds,
					   &err) != 0)
		fail_msg("drift_list: %s", err.msg);
	return ds;
}

static void get_table(struct fx *fx, const char *name, struct sl_cat_table *t)
{
	struct sl_err err = {0};
	if (fx->m->ops->catalog_table_get(fx->m->state, "raw", name, t, &err) != 0)
		fail_msg("table_get: %s", err.msg);
}

static struct sl_cat_counters counters(struct fx *fx)
{
	struct sl_cat_counters k;
	assert_int_equal(fx->m->ops->catalog_counters(fx->m->state, &k, NULL), 0);
	return k;
}

/* Everything a commit can change, as text, to compare two states. */
static int snap_table(void *ctx, const struct sl_cat_table *t)
{
	sl_buf_printf(ctx, "T %s.%s v%lld %s %s p=%lld f=%lld r=%lld b=%lld u=%lld\n", t->db,
		      t->name, (long long)t->version, t->schema, t->partition_keys,
		      (long long)t->n_partitions, (long long)t->n_files, (long long)t->records,
		      (long long)t->bytes, (long long)t->updated_ms);
	return 0;
}

struct snapctx {
	struct fx *fx;
	struct sl_buf *b;
};

static int snap_table_deep(void *ctx, const struct sl_cat_table *t)
{
	struct snapctx *sc = ctx;
	snap_table(sc->b, t);
	struct parts *ps = list_parts(sc->fx, t->name);
	for (size_t i = 0; i < ps->n; i++)
		sl_buf_printf(sc->b, " P %s o=%lld r=%lld b=%lld sv=%lld %s u=%lld\n",
			      ps->p[i].part, (long long)ps->p[i].objects,
			      (long long)ps->p[i].records, (long long)ps->p[i].bytes,
			      (long long)ps->p[i].schema_version, ps->p[i].state,
			      (long long)ps->p[i].updated_ms);
	free(ps);
	struct files fs;
	list_files(sc->fx, t->name, NULL, true, &fs);
	for (size_t i = 0; i < fs.n; i++)
		sl_buf_printf(sc->b, " F %s seq=%lld r=%lld b=%lld %s %s\n", fs.f[i].key,
			      (long long)fs.f[i].seq, (long long)fs.f[i].records,
			      (long long)fs.f[i].bytes, fs.f[i].state, fs.f[i].part);
	free(fs.f);
	return 0;
}

static char *snapshot(struct fx *fx)
{
	struct sl_buf b;
	sl_buf_init(&b, 1 << 24);
	struct snapctx sc = {fx, &b};
	assert_int_equal(fx->m->ops->catalog_table_list(fx->m->state, NULL, snap_table_deep, &sc,
							NULL), 0);
	struct drifts *ds = list_drift(fx, NULL, NULL, 0, 0);
	sl_buf_printf(&b, "drift %zu\n", ds->n);
	free(ds);
	return b.data;
}

static int64_t queue_count(struct fx *fx, const char *queue)
{
	struct sl_queue_stats qs;
	assert_int_equal(fx->m->ops->queue_stats(fx->m->state, queue, T0, &qs, NULL), 0);
	return qs.visible + qs.in_flight + qs.delayed;
}

/* ---- the tests ----------------------------------------------------------------------- */

static void test_create_and_read(void **state)
{
	struct fx *fx = *state;
	struct sl_cat_table t;
	struct sl_err err = {0};
	create_table(fx, "orders", "dt", SL_CAT_DELETE_DELETE);
	struct sl_cat_file f[3];
	mk_file(&f[0], "orders", "dt=2026-01-01", "a.json", 10, 5, 100);
	mk_file(&f[1], "orders", "dt=2026-01-01", "b.json", 11, 7, 150);
	mk_file(&f[2], "orders", "dt=2026-01-02", "c.json", 12, 1, 20);
	put_files(fx, f, 3, T0 + 1);

	get_table(fx, "orders", &t);
	assert_string_equal(t.db, "raw");
	assert_string_equal(t.zone, "raw");
	assert_string_equal(t.prefix, "orders/");
	assert_string_equal(t.schema, "struct<a:int64>");
	assert_string_equal(t.partition_keys, "dt");
	assert_string_equal(t.deletion_policy, SL_CAT_DELETE_DELETE);
	assert_null(t.properties);
	assert_int_equal(t.version, 1);
	assert_int_equal(t.created_ms, T0);
	assert_int_equal(t.n_partitions, 2);
	assert_int_equal(t.n_files, 3);
	assert_int_equal(t.records, 13);
	assert_int_equal(t.bytes, 270);
	sl_cat_table_release(&t);
	assert_null(t.schema);

	struct parts *ps = list_parts(fx, "orders");
	assert_int_equal(ps->n, 2);
	assert_string_equal(ps->p[0].part, "dt=2026-01-01"); /* ordered by part */
	assert_int_equal(ps->p[0].objects, 2);
	assert_int_equal(ps->p[0].records, 12);
	assert_int_equal(ps->p[0].bytes, 250);
	assert_string_equal(ps->p[0].state, SL_CAT_PART_ACTIVE);
	assert_int_equal(ps->p[0].created_ms, T0 + 1);
	free(ps);

	struct sl_cat_version v;
	assert_int_equal(fx->m->ops->catalog_version_get(fx->m->state, "raw", "orders", 1, &v,
							 &err), 0);
	assert_string_equal(v.change, "{\"created\":true}");
	assert_string_equal(v.schema, "struct<a:int64>");
	sl_cat_version_release(&v);
	assert_int_equal(fx->m->ops->catalog_version_get(fx->m->state, "raw", "orders", 2, &v,
							 &err), SL_ENOENT);
	assert_non_null(strstr(err.msg, "raw.orders"));
	assert_int_equal(fx->m->ops->catalog_table_get(fx->m->state, "raw", "nope", &t, &err),
			 SL_ENOENT);
	assert_int_equal(fx->m->ops->catalog_table_get(fx->m->state, "curated", "orders", &t,
						       &err), SL_ENOENT);

	struct sl_cat_file g;
	assert_int_equal(fx->m->ops->catalog_file_get(fx->m->state, "raw",
						      "orders/dt=2026-01-02/c.json", &g, &err), 0);
	assert_int_equal(g.seq, 12);
	assert_string_equal(g.part, "dt=2026-01-02");
	assert_int_equal(g.crawled_ms, T0 + 1);
	sl_cat_file_release(&g);
	assert_int_equal(fx->m->ops->catalog_file_get(fx->m->state, "raw", "orders/x.json", &g,
						      &err), SL_ENOENT);
}

static void test_versions(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	create_table(fx, "events", "", SL_CAT_DELETE_DELETE);
	struct sl_cat_table t;
	mk_table(&t, "events", 2, "", SL_CAT_DELETE_DELETE);
	t.schema = (char *)"struct<a:int64,b:string>";
	t.properties = (char *)"{\"k\":\"v\"}";
	struct sl_cat_table_change tc = {&t, 1, true, "{\"added\":\"/b\"}", false};
	struct sl_cat_commit c = {.tables = &tc, .n_tables = 1};
	commit_ok(fx, &c, T0 + 5);
	/* a change without a new version row (properties only) keeps the number */
	t.properties = (char *)"{\"k\":\"w\"}";
	struct sl_cat_table_change tc2 = {&t, 2, false, NULL, false};
	c.tables = &tc2;
	commit_ok(fx, &c, T0 + 6);

	struct sl_cat_table got;
	get_table(fx, "events", &got);
	assert_int_equal(got.version, 2);
	assert_string_equal(got.properties, "{\"k\":\"w\"}");
	assert_int_equal(got.created_ms, T0);
	assert_int_equal(got.updated_ms, T0 + 6);
	sl_cat_table_release(&got);

	struct sl_cat_version v;
	assert_int_equal(fx->m->ops->catalog_version_get(fx->m->state, "raw", "events", 0, &v,
							 &err), 0); /* 0: the latest */
	assert_int_equal(v.version, 2);
	assert_string_equal(v.schema, "struct<a:int64,b:string>");
	assert_string_equal(v.change, "{\"added\":\"/b\"}");
	assert_int_equal(v.created_ms, T0 + 5);
	sl_cat_version_release(&v);
	assert_int_equal(fx->m->ops->catalog_version_get(fx->m->state, "raw", "events", 1, &v,
							 &err), 0);
	assert_string_equal(v.schema, "struct<a:int64>");
	sl_cat_version_release(&v);
}

struct vlist {
	int64_t v[200];
	size_t n;
};

static int on_version(void *ctx, const struct sl_cat_version *v)
{
	struct vlist *vl = ctx;
	assert_non_null(v->schema);
	vl->v[vl->n++] = v->version;
	return 0;
}

static void test_version_list_pages(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	create_table(fx, "many", "", SL_CAT_DELETE_DELETE);
	for (int64_t v = 2; v <= 150; v++) { /* more than a page of 64 */
		struct sl_cat_table t;
		mk_table(&t, "many", v, "", SL_CAT_DELETE_DELETE);
		struct sl_cat_table_change tc = {&t, v - 1, true, "{}", false};
		struct sl_cat_commit c = {.tables = &tc, .n_tables = 1};
		commit_ok(fx, &c, T0 + v);
	}
	struct vlist vl = {0};
	assert_int_equal(fx->m->ops->catalog_version_list(fx->m->state, "raw", "many", on_version,
							  &vl, &err), 0);
	assert_int_equal(vl.n, 150);
	for (size_t i = 0; i < vl.n; i++)
		assert_int_equal(vl.v[i], (int64_t)i + 1);
	assert_int_equal(fx->m->ops->catalog_version_list(fx->m->state, "raw", "none", on_version,
							  &vl, &err), SL_ENOENT);
}

/* Promise 1: a failing part leaves nothing changed, the messages not deleted. */
static void test_atomic(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	create_table(fx, "keep", "", SL_CAT_DELETE_DELETE);
	struct sl_cat_file kf;
	mk_file(&kf, "keep", "", "k.json", 3, 1, 1);
	put_files(fx, &kf, 1, T0);

	/* a message received from the raw queue, acknowledged with the commit */
	const char *body[1] = {"{\"event\":\"x\"}"};
	assert_int_equal(fx->m->ops->queue_send(fx->m->state, "raw", body, 1, 0, T0, NULL, &err),
			 0);
	struct sl_message msg;
	size_t n = 0;
	assert_int_equal(fx->m->ops->queue_receive(fx->m->state, "raw", 1, 60000, T0, &msg, &n,
						   &err), 0);
	assert_int_equal(n, 1);
	const char *receipts[1] = {msg.receipt};
	char *before = snapshot(fx);
	struct sl_cat_counters k0 = counters(fx);

	struct sl_cat_table t1, t2;
	mk_table(&t1, "first", 1, "", SL_CAT_DELETE_DELETE);
	mk_table(&t2, "keep", 3, "", SL_CAT_DELETE_DELETE); /* stored: 1, not 2 */
	struct sl_cat_table_change tcs[2] = {{&t1, 0, true, "{}", false},
					     {&t2, 2, true, "{}", false}};
	struct sl_cat_file f[2];
	mk_file(&f[0], "first", "", "a.json", 20, 5, 5);
	mk_file(&f[1], "keep", "", "k.json", 30, 9, 9);
	struct sl_object rm;
	mk_removed(&rm, "keep/k.json", 100);
	struct sl_cat_drift d = {0};
	snprintf(d.db, sizeof(d.db), "raw");
	snprintf(d.table, sizeof(d.table), "first");
	snprintf(d.kind, sizeof(d.kind), "table_created");
	struct sl_cat_commit c = {.tables = tcs, .n_tables = 2, .files = f, .n_files = 2,
				  .removed = &rm, .n_removed = 1, .drift = &d, .n_drift = 1,
				  .queue = "raw", .receipts = receipts, .n_receipts = 1,
				  .messages = 1, .objects = 2, .records = 14, .bytes = 14};
	assert_int_equal(do_commit(fx, &c, T0 + 10, &err), SL_ESTALE);
	assert_non_null(strstr(err.msg, "raw.keep"));
	assert_non_null(strstr(err.msg, "version 1"));

	char *after = snapshot(fx);
	assert_string_equal(before, after);
	free(after);
	struct sl_cat_table t;
	assert_int_equal(fx->m->ops->catalog_table_get(fx->m->state, "raw", "first", &t, NULL),
			 SL_ENOENT);
	struct sl_cat_counters k1 = counters(fx);
	assert_int_equal(k1.commits, k0.commits);
	assert_int_equal(k1.messages, k0.messages);
	assert_int_equal(k1.drift, k0.drift);
	assert_int_equal(queue_count(fx, "raw"), 1); /* the message was not acknowledged */

	/* a file whose table does not exist fails the same way, after the table changes */
	tcs[1].expected_version = 1;
	t2.version = 2;
	snprintf(f[1].table, sizeof(f[1].table), "dropped");
	assert_int_equal(do_commit(fx, &c, T0 + 11, &err), SL_ESTALE);
	assert_non_null(strstr(err.msg, "raw.dropped"));
	after = snapshot(fx);
	assert_string_equal(before, after);
	free(after);
	assert_int_equal(queue_count(fx, "raw"), 1);

	/* corrected, it all lands, the message with it */
	snprintf(f[1].table, sizeof(f[1].table), "keep");
	commit_ok(fx, &c, T0 + 12);
	assert_int_equal(queue_count(fx, "raw"), 0);
	get_table(fx, "keep", &t);
	assert_int_equal(t.version, 2);
	assert_int_equal(t.n_files, 0); /* k.json was replaced (seq 30) then removed (<= 100) */
	sl_cat_table_release(&t);
	get_table(fx, "first", &t);
	assert_int_equal(t.n_files, 1);
	sl_cat_table_release(&t);
	struct sl_cat_counters k2 = counters(fx);
	assert_int_equal(k2.commits, k0.commits + 1);
	assert_int_equal(k2.messages, k0.messages + 1);
	assert_int_equal(k2.objects, k0.objects + 2);
	assert_int_equal(k2.records, k0.records + 14);
	assert_int_equal(k2.bytes, k0.bytes + 14);
	assert_int_equal(k2.last_ms, T0 + 12);
	free(before);
	sl_message_release(&msg);
}

/* Promise 2 between two handles (two crawlers): each read version 1; one wins. */
static void test_estale_two_handles(void **state)
{
	struct fx *fx = *state;
	char path[4096];
	struct sl_meta other;
	struct sl_meta_opts opts = {.busy_timeout_ms = 5000, .synchronous_full = false};
	struct sl_err err = {0};
	snprintf(path, sizeof(path), "%s/.sluice/meta.db", fx->dir);
	assert_int_equal(sl_meta_open(&other, &sl_meta_sqlite, path, &opts, &err), 0);

	/* both create the same new table: the second is stale */
	struct sl_cat_table a, b;
	mk_table(&a, "shared", 1, "", SL_CAT_DELETE_DELETE);
	mk_table(&b, "shared", 1, "", SL_CAT_DELETE_DELETE);
	b.schema = (char *)"struct<b:string>";
	struct sl_cat_table_change ta = {&a, 0, true, "{}", false}, tb = {&b, 0, true, "{}", false};
	struct sl_cat_commit ca = {.tables = &ta, .n_tables = 1};
	struct sl_cat_commit cb = {.tables = &tb, .n_tables = 1};
	commit_ok(fx, &ca, T0);
	assert_int_equal(other.ops->catalog_commit(other.state, &cb, T0, &err), SL_ESTALE);
	assert_non_null(strstr(err.msg, "exists already"));

	/* both derive version 2 from version 1 */
	struct sl_cat_table got;
	assert_int_equal(other.ops->catalog_table_get(other.state, "raw", "shared", &got, &err), 0);
	assert_int_equal(got.version, 1);
	sl_cat_table_release(&got);
	a.version = b.version = 2;
	a.schema = (char *)"struct<a:int64,x:double>";
	ta.expected_version = tb.expected_version = 1;
	commit_ok(fx, &ca, T0 + 1);
	assert_int_equal(other.ops->catalog_commit(other.state, &cb, T0 + 1, &err), SL_ESTALE);
	assert_non_null(strstr(err.msg, "is at version 2"));
	get_table(fx, "shared", &got);
	assert_string_equal(got.schema, "struct<a:int64,x:double>"); /* the loser lost nothing
								       * of the winner's */
	sl_cat_table_release(&got);

	/* read again, derive again: accepted */
	b.version = 3;
	tb.expected_version = 2;
	assert_int_equal(other.ops->catalog_commit(other.state, &cb, T0 + 2, &err), 0);
	get_table(fx, "shared", &got);
	assert_int_equal(got.version, 3);
	assert_string_equal(got.schema, "struct<b:string>");
	sl_cat_table_release(&got);
	struct vlist vl = {0};
	assert_int_equal(fx->m->ops->catalog_version_list(fx->m->state, "raw", "shared",
							  on_version, &vl, &err), 0);
	assert_int_equal(vl.n, 3);
	sl_meta_close(&other);
}

/* Promise 3: the same commit twice leaves the rows and counts as once. */
static void test_replay_idempotent(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	struct sl_cat_table t;
	mk_table(&t, "replay", 1, "dt", SL_CAT_DELETE_DELETE);
	struct sl_cat_table_change tc = {&t, 0, true, "{}", false};
	struct sl_cat_file f[4];
	mk_file(&f[0], "replay", "dt=1", "a.json", 5, 10, 100);
	mk_file(&f[1], "replay", "dt=1", "b.json", 6, 20, 200);
	mk_file(&f[2], "replay", "dt=2", "c.json", 7, 30, 300);
	mk_file(&f[3], "replay", "dt=3", "d.json", 8, 40, 400);
	struct sl_cat_commit c = {.tables = &tc, .n_tables = 1, .files = f, .n_files = 4};
	commit_ok(fx, &c, T0);
	char *once = snapshot(fx);
	/* the table change is refused as a whole: nothing doubled */
	assert_int_equal(do_commit(fx, &c, T0 + 50, &err), SL_ESTALE);
	char *twice = snapshot(fx);
	assert_string_equal(once, twice);
	free(twice);

	/* a batch of files and removals, replayed: same rows, same counts, same times */
	struct sl_cat_file g[2];
	mk_file(&g[0], "replay", "dt=1", "a.json", 9, 11, 110); /* newer a.json */
	mk_file(&g[1], "replay", "dt=4", "e.json", 10, 50, 500);
	struct sl_object rm[2];
	mk_removed(&rm[0], "replay/dt=2/c.json", 7);
	mk_removed(&rm[1], "replay/dt=3/d.json", 8);
	struct sl_cat_commit c2 = {.files = g, .n_files = 2, .removed = rm, .n_removed = 2};
	commit_ok(fx, &c2, T0 + 100);
	free(once);
	once = snapshot(fx);
	commit_ok(fx, &c2, T0 + 200);
	twice = snapshot(fx);
	assert_string_equal(once, twice);
	struct parts *ps = list_parts(fx, "replay");
	assert_int_equal(ps->n, 2); /* dt=2 and dt=3 went (policy delete) */
	assert_int_equal(find_part(ps, "dt=1")->records, 31);
	assert_int_equal(find_part(ps, "dt=1")->updated_ms, T0 + 100);
	assert_int_equal(find_part(ps, "dt=4")->objects, 1);
	free(ps);
	free(once);
	free(twice);
}

/* Promise 3: a newer seq replaces a row, an older or equal one is ignored. */
static void test_seq_order(void **state)
{
	struct fx *fx = *state;
	struct sl_cat_file f, g;
	struct sl_err err = {0};
	create_table(fx, "seqs", "", SL_CAT_DELETE_DELETE);
	mk_file(&f, "seqs", "", "x.json", 50, 10, 1000);
	put_files(fx, &f, 1, T0);
	mk_file(&f, "seqs", "", "x.json", 40, 99, 9900); /* older: ignored */
	put_files(fx, &f, 1, T0 + 1);
	mk_file(&f, "seqs", "", "x.json", 50, 77, 7700); /* same: ignored */
	put_files(fx, &f, 1, T0 + 2);
	assert_int_equal(fx->m->ops->catalog_file_get(fx->m->state, "raw", "seqs/x.json", &g, &err),
			 0);
	assert_int_equal(g.seq, 50);
	assert_int_equal(g.records, 10);
	sl_cat_file_release(&g);
	mk_file(&f, "seqs", "", "x.json", 60, 20, 2000); /* newer: replaces */
	f.schema_version = 1;
	put_files(fx, &f, 1, T0 + 3);
	assert_int_equal(fx->m->ops->catalog_file_get(fx->m->state, "raw", "seqs/x.json", &g, &err),
			 0);
	assert_int_equal(g.seq, 60);
	assert_int_equal(g.records, 20);
	sl_cat_file_release(&g);
	struct parts *ps = list_parts(fx, "seqs");
	assert_int_equal(ps->n, 1);
	assert_string_equal(ps->p[0].part, ""); /* unpartitioned: the table's own folder */
	assert_int_equal(ps->p[0].objects, 1);
	assert_int_equal(ps->p[0].records, 20);
	assert_int_equal(ps->p[0].bytes, 2000);
	free(ps);
	/* a removal older than the catalogued version does nothing (a newer put came) */
	struct sl_object rm;
	mk_removed(&rm, "seqs/x.json", 55);
	struct sl_cat_commit c = {.removed = &rm, .n_removed = 1};
	commit_ok(fx, &c, T0 + 4);
	assert_int_equal(fx->m->ops->catalog_file_get(fx->m->state, "raw", "seqs/x.json", &g, &err),
			 0);
	sl_cat_file_release(&g);
	rm.seq = 60;
	commit_ok(fx, &c, T0 + 5);
	assert_int_equal(fx->m->ops->catalog_file_get(fx->m->state, "raw", "seqs/x.json", &g, &err),
			 SL_ENOENT);
}

/* Promise 4: partition counts are the sums over their active files, whatever happens. */
static void test_partition_sums(void **state)
{
	struct fx *fx = *state;
	enum { NF = 300, NP = 30 };
	create_table(fx, "sums", "dt,partition_1", SL_CAT_DELETE_DELETE);
	struct sl_cat_file *f = calloc(NF, sizeof(*f));
	int64_t objects[NP] = {0}, records[NP] = {0}, bytes[NP] = {0}, sv[NP] = {0};
	unsigned rnd = 12345;
	for (int i = 0; i < NF; i++) {
		char part[64], name[32];
		int p = i % NP;
		snprintf(part, sizeof(part), "dt=2026-01-%02d/x%d", p + 1, p % 3);
		snprintf(name, sizeof(name), "f%04d.json", i);
		rnd = rnd * 1103515245u + 12345u;
		mk_file(&f[i], "sums", part, name, 1000 + i, rnd % 1000, (rnd >> 10) % 100000);
		f[i].schema_version = 1 + (rnd >> 20) % 3;
		if (i % 17 == 0)
			snprintf(f[i].state, sizeof(f[i].state), "%s", SL_CAT_FILE_REJECTED);
		else {
			objects[p]++;
			records[p] += f[i].records;
			bytes[p] += f[i].bytes;
			if (f[i].schema_version > sv[p])
				sv[p] = f[i].schema_version;
		}
	}
	put_files(fx, f, NF, T0);
	struct parts *ps = list_parts(fx, "sums");
	assert_int_equal(ps->n, NP);
	int64_t all_o = 0, all_r = 0, all_b = 0;
	for (int p = 0; p < NP; p++) {
		char part[64];
		snprintf(part, sizeof(part), "dt=2026-01-%02d/x%d", p + 1, p % 3);
		const struct sl_cat_partition *got = find_part(ps, part);
		assert_non_null(got);
		assert_int_equal(got->objects, objects[p]);
		assert_int_equal(got->records, records[p]);
		assert_int_equal(got->bytes, bytes[p]);
		assert_int_equal(got->schema_version, sv[p]);
		all_o += objects[p];
		all_r += records[p];
		all_b += bytes[p];
	}
	free(ps);
	struct sl_cat_table t;
	get_table(fx, "sums", &t);
	assert_int_equal(t.n_partitions, NP);
	assert_int_equal(t.n_files, all_o);
	assert_int_equal(t.records, all_r);
	assert_int_equal(t.bytes, all_b);
	sl_cat_table_release(&t);

	/* an active file that comes back rejected leaves its partition's counts */
	struct sl_cat_file r = f[1];
	r.seq = 5000;
	snprintf(r.state, sizeof(r.state), "%s", SL_CAT_FILE_REJECTED);
	snprintf(r.reason, sizeof(r.reason), "unreadable");
	put_files(fx, &r, 1, T0 + 1);
	ps = list_parts(fx, "sums");
	const struct sl_cat_partition *p1 = find_part(ps, f[1].part);
	assert_int_equal(p1->objects, objects[1] - 1);
	assert_int_equal(p1->records, records[1] - f[1].records);
	free(ps);

	/* the files are listed in key order across pages, all states included */
	struct files fs;
	list_files(fx, "sums", NULL, false, &fs);
	assert_int_equal(fs.n, NF);
	for (size_t i = 1; i < fs.n; i++)
		assert_true(strcmp(fs.f[i - 1].key, fs.f[i].key) < 0);
	free(fs.f);
	free(f);
}

static void test_remove_delete_policy(void **state)
{
	struct fx *fx = *state;
	create_table(fx, "del", "dt", SL_CAT_DELETE_DELETE);
	struct sl_cat_file f[3];
	mk_file(&f[0], "del", "dt=1", "a.json", 1, 10, 100);
	mk_file(&f[1], "del", "dt=1", "b.json", 2, 20, 200);
	mk_file(&f[2], "del", "dt=2", "c.json", 3, 30, 300);
	put_files(fx, f, 3, T0);
	struct sl_cat_counters k0 = counters(fx);

	struct sl_object rm;
	mk_removed(&rm, f[0].key, 1);
	struct sl_cat_commit c = {.removed = &rm, .n_removed = 1};
	commit_ok(fx, &c, T0 + 1);
	struct parts *ps = list_parts(fx, "del");
	assert_int_equal(ps->n, 2);
	assert_int_equal(find_part(ps, "dt=1")->objects, 1);
	assert_int_equal(find_part(ps, "dt=1")->records, 20);
	free(ps);
	struct drifts *ds = list_drift(fx, "raw", "del", 0, 0);
	assert_int_equal(ds->n, 0); /* a partition that keeps files: no drift */
	free(ds);

	mk_removed(&rm, f[2].key, 3);
	commit_ok(fx, &c, T0 + 2);
	ps = list_parts(fx, "del");
	assert_int_equal(ps->n, 1);
	assert_null(find_part(ps, "dt=2"));
	free(ps);
	ds = list_drift(fx, "raw", "del", 0, 0);
	assert_int_equal(ds->n, 1);
	assert_string_equal(ds->d[0].kind, "partition_deleted");
	assert_string_equal(ds->d[0].path, "dt=2");
	assert_string_equal(ds->d[0].example, "del/dt=2/c.json");
	assert_int_equal(ds->d[0].created_ms, T0 + 2);
	free(ds);
	assert_int_equal(counters(fx).drift, k0.drift + 1);
	struct sl_cat_table t;
	get_table(fx, "del", &t);
	assert_int_equal(t.n_partitions, 1);
	assert_int_equal(t.n_files, 1);
	sl_cat_table_release(&t);
}

static void test_remove_deprecate_policy(void **state)
{
	struct fx *fx = *state;
	create_table(fx, "dep", "dt", SL_CAT_DELETE_DEPRECATE);
	struct sl_cat_file f[2];
	mk_file(&f[0], "dep", "dt=1", "a.json", 1, 10, 100);
	mk_file(&f[1], "dep", "dt=2", "b.json", 2, 20, 200);
	put_files(fx, f, 2, T0);

	struct sl_object rm;
	mk_removed(&rm, f[1].key, 2);
	struct sl_cat_commit c = {.removed = &rm, .n_removed = 1};
	commit_ok(fx, &c, T0 + 1);
	struct parts *ps = list_parts(fx, "dep");
	assert_int_equal(ps->n, 2); /* kept, marked */
	const struct sl_cat_partition *p2 = find_part(ps, "dt=2");
	assert_string_equal(p2->state, SL_CAT_PART_DEPRECATED);
	assert_int_equal(p2->objects, 0);
	assert_int_equal(p2->records, 0);
	assert_int_equal(p2->bytes, 0);
	assert_int_equal(p2->schema_version, 1); /* the version its data was written with */
	free(ps);
	struct sl_cat_table t;
	get_table(fx, "dep", &t);
	assert_int_equal(t.n_partitions, 1); /* only active partitions count */
	assert_int_equal(t.n_files, 1);
	assert_int_equal(t.records, 10);
	sl_cat_table_release(&t);
	struct drifts *ds = list_drift(fx, "raw", "dep", 0, 0);
	assert_int_equal(ds->n, 1);
	assert_string_equal(ds->d[0].kind, "partition_deprecated");
	assert_string_equal(ds->d[0].path, "dt=2");
	free(ds);

	/* removing it again changes nothing and reports nothing */
	commit_ok(fx, &c, T0 + 2);
	ds = list_drift(fx, "raw", "dep", 0, 0);
	assert_int_equal(ds->n, 1);
	free(ds);

	/* new data in the partition revives it */
	struct sl_cat_file g;
	mk_file(&g, "dep", "dt=2", "c.json", 9, 5, 50);
	g.schema_version = 1;
	put_files(fx, &g, 1, T0 + 3);
	ps = list_parts(fx, "dep");
	p2 = find_part(ps, "dt=2");
	assert_string_equal(p2->state, SL_CAT_PART_ACTIVE);
	assert_int_equal(p2->objects, 1);
	assert_int_equal(p2->records, 5);
	assert_int_equal(p2->updated_ms, T0 + 3);
	free(ps);
	get_table(fx, "dep", &t);
	assert_int_equal(t.n_partitions, 2);
	sl_cat_table_release(&t);
}

/* crawl --full: the table's file and partition rows are replaced in one commit. */
static void test_replace_files(void **state)
{
	struct fx *fx = *state;
	create_table(fx, "full", "dt", SL_CAT_DELETE_DELETE);
	create_table(fx, "other", "dt", SL_CAT_DELETE_DELETE);
	struct sl_cat_file f[3];
	mk_file(&f[0], "full", "dt=1", "a.json", 1, 10, 100);
	mk_file(&f[1], "full", "dt=2", "b.json", 2, 20, 200);
	mk_file(&f[2], "other", "dt=1", "a.json", 3, 30, 300);
	snprintf(f[1].state, sizeof(f[1].state), "%s", SL_CAT_FILE_REJECTED);
	put_files(fx, f, 3, T0);

	struct sl_cat_table t;
	mk_table(&t, "full", 2, "dt", SL_CAT_DELETE_DELETE);
	t.schema = (char *)"struct<a:double>";
	struct sl_cat_table_change tc = {&t, 1, true, "{\"full\":true}", true};
	struct sl_cat_file g[2];
	mk_file(&g[0], "full", "dt=1", "a.json", 1, 11, 100); /* same seq: written anew */
	mk_file(&g[1], "full", "dt=3", "c.json", 4, 40, 400);
	g[0].schema_version = g[1].schema_version = 2;
	struct sl_cat_commit c = {.tables = &tc, .n_tables = 1, .files = g, .n_files = 2};
	commit_ok(fx, &c, T0 + 1);

	struct parts *ps = list_parts(fx, "full");
	assert_int_equal(ps->n, 2);
	assert_int_equal(find_part(ps, "dt=1")->records, 11);
	assert_int_equal(find_part(ps, "dt=1")->schema_version, 2);
	assert_non_null(find_part(ps, "dt=3"));
	free(ps);
	struct files fs;
	list_files(fx, "full", NULL, false, &fs);
	assert_int_equal(fs.n, 2); /* the rejected b.json went too */
	free(fs.f);
	list_files(fx, "other", NULL, false, &fs);
	assert_int_equal(fs.n, 1); /* another table is not touched */
	free(fs.f);
	struct drifts *ds = list_drift(fx, NULL, NULL, 0, 0);
	assert_int_equal(ds->n, 0); /* a rebuild is not a deletion */
	free(ds);
}

static void test_file_list_filters(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	create_table(fx, "pq", "dt", SL_CAT_DELETE_DELETE);
	struct sl_cat_file f[4];
	mk_file(&f[0], "pq", "dt=1", "b.parquet", 1, 1, 1);
	mk_file(&f[1], "pq", "dt=1", "a.parquet", 2, 1, 1);
	mk_file(&f[2], "pq", "dt=2", "c.parquet", 3, 1, 1);
	mk_file(&f[3], "pq", "dt=1-x", "d.parquet", 4, 1, 1);
	for (int i = 0; i < 4; i++) {
		snprintf(f[i].format, sizeof(f[i].format), "parquet");
		f[i].stats = (char *)"{\"a\":{\"min\":1,\"max\":9,\"nulls\":0}}";
	}
	put_files(fx, f, 4, T0);
	struct files fs;
	list_files(fx, "pq", "dt=1", false, &fs);
	assert_int_equal(fs.n, 2);
	assert_string_equal(fs.f[0].key, "pq/dt=1/a.parquet");
	assert_string_equal(fs.f[1].key, "pq/dt=1/b.parquet");
	assert_int_equal(fs.with_stats, 0);
	free(fs.f);
	list_files(fx, "pq", NULL, true, &fs);
	assert_int_equal(fs.n, 4);
	assert_int_equal(fs.with_stats, 4);
	assert_string_equal(fs.f[0].key, "pq/dt=1-x/d.parquet"); /* key order, not part order */
	free(fs.f);
	list_files(fx, "pq", "dt=9", true, &fs);
	assert_int_equal(fs.n, 0);
	free(fs.f);
	struct sl_cat_file g;
	assert_int_equal(fx->m->ops->catalog_file_get(fx->m->state, "raw", "pq/dt=2/c.parquet", &g,
						      &err), 0);
	assert_string_equal(g.stats, "{\"a\":{\"min\":1,\"max\":9,\"nulls\":0}}");
	assert_string_equal(g.format, "parquet");
	sl_cat_file_release(&g);
	assert_null(g.stats);
	memset(&fs, 0, sizeof(fs));
	assert_int_equal(fx->m->ops->catalog_file_list(fx->m->state, "raw", "nope", NULL, false,
						       on_file, &fs, &err), SL_ENOENT);
}

static int stop_after_two(void *ctx, const struct sl_cat_drift *d)
{
	(void)d;
	return ++*(int *)ctx == 2 ? 42 : 0;
}

static void test_drift(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	create_table(fx, "d1", "", SL_CAT_DELETE_DELETE);
	create_table(fx, "d2", "", SL_CAT_DELETE_DELETE);
	struct sl_cat_drift *d = calloc(300, sizeof(*d));
	for (int i = 0; i < 300; i++) {
		snprintf(d[i].db, sizeof(d[i].db), "raw");
		snprintf(d[i].table, sizeof(d[i].table), i % 3 ? "d1" : "d2");
		snprintf(d[i].kind, sizeof(d[i].kind), "type_widened");
		snprintf(d[i].path, sizeof(d[i].path), "/c%d", i);
		snprintf(d[i].detail, sizeof(d[i].detail), "int64 -> double");
		snprintf(d[i].example, sizeof(d[i].example), "d1/x%d.json", i);
		d[i].version = 1;
		d[i].id = 999999; /* ignored: the store numbers them */
		d[i].created_ms = 1;
	}
	struct sl_cat_commit c = {.drift = d, .n_drift = 100};
	commit_ok(fx, &c, T0 + 7);
	c.drift = d + 100;
	c.n_drift = 200;
	commit_ok(fx, &c, T0 + 8);

	struct drifts *all = list_drift(fx, NULL, NULL, 0, 0);
	assert_int_equal(all->n, 300); /* more than a page */
	for (size_t i = 0; i < all->n; i++) {
		char path[32];
		snprintf(path, sizeof(path), "/c%zu", i);
		assert_string_equal(all->d[i].path, path); /* in commit order */
		if (i)
			assert_true(all->d[i].id > all->d[i - 1].id);
		assert_int_equal(all->d[i].created_ms, i < 100 ? T0 + 7 : T0 + 8);
		assert_string_equal(all->d[i].detail, "int64 -> double");
	}
	int64_t mid = all->d[149].id;
	struct drifts *ds = list_drift(fx, NULL, NULL, mid, 0);
	assert_int_equal(ds->n, 150);
	assert_int_equal(ds->d[0].id, all->d[150].id);
	free(ds);
	ds = list_drift(fx, NULL, NULL, mid, 10);
	assert_int_equal(ds->n, 10);
	free(ds);
	ds = list_drift(fx, NULL, NULL, 0, 200); /* a limit over a page boundary */
	assert_int_equal(ds->n, 200);
	assert_int_equal(ds->d[199].id, all->d[199].id);
	free(ds);
	ds = list_drift(fx, "raw", "d2", 0, 0);
	assert_int_equal(ds->n, 100);
	for (size_t i = 0; i < ds->n; i++)
		assert_string_equal(ds->d[i].table, "d2");
	free(ds);
	ds = list_drift(fx, "raw", "d1", mid, 5);
	assert_int_equal(ds->n, 5);
	assert_true(ds->d[0].id > mid);
	assert_string_equal(ds->d[0].table, "d1");
	free(ds);
	ds = list_drift(fx, "curated", NULL, 0, 0);
	assert_int_equal(ds->n, 0);
	free(ds);
	ds = list_drift(fx, NULL, NULL, all->d[299].id, 0);
	assert_int_equal(ds->n, 0);
	free(ds);
	free(all);
	int calls = 0;
	assert_int_equal(fx->m->ops->catalog_drift_list(fx->m->state, NULL, NULL, 0, 0,
							stop_after_two, &calls, &err), 42);
	assert_int_equal(calls, 2);
	assert_int_equal(counters(fx).drift, 300);
	free(d);
}

static void test_table_drop(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	create_table(fx, "gone", "dt", SL_CAT_DELETE_DELETE);
	create_table(fx, "stays", "dt", SL_CAT_DELETE_DELETE);
	struct sl_cat_file f[2];
	mk_file(&f[0], "gone", "dt=1", "a.json", 1, 10, 100);
	mk_file(&f[1], "stays", "dt=1", "a.json", 2, 10, 100);
	put_files(fx, f, 2, T0);
	assert_int_equal(fx->m->ops->catalog_table_drop(fx->m->state, "raw", "gone", T0 + 9, &err),
			 0);
	struct sl_cat_table t;
	struct sl_cat_version v;
	struct sl_cat_file g;
	assert_int_equal(fx->m->ops->catalog_table_get(fx->m->state, "raw", "gone", &t, &err),
			 SL_ENOENT);
	assert_int_equal(fx->m->ops->catalog_version_get(fx->m->state, "raw", "gone", 1, &v, &err),
			 SL_ENOENT);
	assert_int_equal(fx->m->ops->catalog_file_get(fx->m->state, "raw", "gone/dt=1/a.json", &g,
						      &err), SL_ENOENT);
	assert_int_equal(fx->m->ops->catalog_partition_list(fx->m->state, "raw", "gone", on_part,
							    NULL, &err), SL_ENOENT);
	struct drifts *ds = list_drift(fx, "raw", "gone", 0, 0);
	assert_int_equal(ds->n, 1);
	assert_string_equal(ds->d[0].kind, "table_dropped");
	assert_int_equal(ds->d[0].created_ms, T0 + 9);
	free(ds);
	get_table(fx, "stays", &t);
	assert_int_equal(t.n_files, 1);
	sl_cat_table_release(&t);
	assert_int_equal(fx->m->ops->catalog_table_drop(fx->m->state, "raw", "gone", T0, &err),
			 SL_ENOENT);
	/* the name can be used again, from version 1 */
	create_table(fx, "gone", "", SL_CAT_DELETE_DELETE);
	get_table(fx, "gone", &t);
	assert_int_equal(t.n_files, 0);
	sl_cat_table_release(&t);
}

struct names {
	char n[200][SL_CAT_DB_MAX + SL_CAT_NAME_MAX];
	size_t count;
};

static int on_table(void *ctx, const struct sl_cat_table *t)
{
	struct names *ns = ctx;
	assert_non_null(t->schema);
	snprintf(ns->n[ns->count++], sizeof(ns->n[0]), "%s.%s", t->db, t->name);
	return 0;
}

static void test_table_list(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	for (int i = 0; i < 100; i++) { /* more than a page of 64 */
		char name[32];
		snprintf(name, sizeof(name), "t%03d", 99 - i);
		create_table(fx, name, "", SL_CAT_DELETE_DELETE);
	}
	struct sl_cat_table t;
	mk_table(&t, "cur", 1, "", SL_CAT_DELETE_DELETE);
	snprintf(t.db, sizeof(t.db), "curated");
	snprintf(t.zone, sizeof(t.zone), "curated");
	struct sl_cat_table_change tc = {&t, 0, true, "{}", false};
	struct sl_cat_commit c = {.tables = &tc, .n_tables = 1};
	commit_ok(fx, &c, T0);
	struct names *ns = calloc(1, sizeof(*ns));
	assert_int_equal(fx->m->ops->catalog_table_list(fx->m->state, NULL, on_table, ns, &err), 0);
	assert_int_equal(ns->count, 101);
	assert_string_equal(ns->n[0], "curated.cur"); /* by db, then name */
	assert_string_equal(ns->n[1], "raw.t000");
	assert_string_equal(ns->n[100], "raw.t099");
	ns->count = 0;
	assert_int_equal(fx->m->ops->catalog_table_list(fx->m->state, "raw", on_table, ns, &err),
			 0);
	assert_int_equal(ns->count, 100);
	ns->count = 0;
	assert_int_equal(fx->m->ops->catalog_table_list(fx->m->state, "curated", on_table, ns,
							&err), 0);
	assert_int_equal(ns->count, 1);
	free(ns);
}

/* What the store refuses to write, and that a refusal changes nothing. */
static void test_commit_refuses_bad_rows(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	struct sl_cat_table t;
	struct sl_cat_table_change tc = {&t, 0, true, "{}", false};
	struct sl_cat_commit c = {.tables = &tc, .n_tables = 1};
	char *before = snapshot(fx);

	mk_table(&t, "Bad-Name", 1, "", SL_CAT_DELETE_DELETE);
	assert_int_equal(do_commit(fx, &c, T0, &err), SL_EINVAL);
	mk_table(&t, "", 1, "", SL_CAT_DELETE_DELETE);
	assert_int_equal(do_commit(fx, &c, T0, &err), SL_EINVAL);
	mk_table(&t, "ok", 1, "", "sometimes");
	assert_int_equal(do_commit(fx, &c, T0, &err), SL_EINVAL);
	assert_non_null(strstr(err.msg, "sometimes"));
	mk_table(&t, "ok", 1, "", SL_CAT_DELETE_DELETE);
	t.schema = NULL;
	assert_int_equal(do_commit(fx, &c, T0, &err), SL_EINVAL);
	mk_table(&t, "ok", 1, "", SL_CAT_DELETE_DELETE);
	snprintf(t.db, sizeof(t.db), "nodb");
	assert_int_equal(do_commit(fx, &c, T0, &err), SL_EINVAL);
	assert_non_null(strstr(err.msg, "nodb"));
	mk_table(&t, "ok", 0, "", SL_CAT_DELETE_DELETE); /* versions start at 1 */
	assert_int_equal(do_commit(fx, &c, T0, &err), SL_EINVAL);
	mk_table(&t, "ok", 1, "", SL_CAT_DELETE_DELETE);
	tc.new_version = false; /* a new table needs its version row */
	assert_int_equal(do_commit(fx, &c, T0, &err), SL_EINVAL);
	tc.new_version = true;
	memset(t.zone, 'z', sizeof(t.zone)); /* unterminated */
	assert_int_equal(do_commit(fx, &c, T0, &err), SL_EINVAL);

	struct sl_cat_file f;
	mk_file(&f, "ok", "", "a.json", 0, 1, 1); /* seq 0 */
	struct sl_cat_commit cf = {.files = &f, .n_files = 1};
	assert_int_equal(do_commit(fx, &cf, T0, &err), SL_EINVAL);
	mk_file(&f, "ok", "", "a.json", 1, 1, 1);
	snprintf(f.state, sizeof(f.state), "maybe");
	assert_int_equal(do_commit(fx, &cf, T0, &err), SL_EINVAL);
	cf.files = NULL; /* a count without its array */
	assert_int_equal(do_commit(fx, &cf, T0, &err), SL_EINVAL);
	assert_int_equal(do_commit(fx, NULL, T0, &err), SL_EINVAL);
	struct sl_cat_drift d = {0};
	struct sl_cat_commit cd = {.drift = &d, .n_drift = 1}; /* no kind */
	assert_int_equal(do_commit(fx, &cd, T0, &err), SL_EINVAL);

	/* a rejected file needs no table (its key placed it nowhere) */
	mk_file(&f, "", "", "x", 5, 0, 0);
	snprintf(f.key, sizeof(f.key), "loose.txt");
	snprintf(f.state, sizeof(f.state), "%s", SL_CAT_FILE_REJECTED);
	snprintf(f.reason, sizeof(f.reason), "no folder");
	cf.files = &f;
	commit_ok(fx, &cf, T0);
	struct sl_cat_file g;
	assert_int_equal(fx->m->ops->catalog_file_get(fx->m->state, "raw", "loose.txt", &g, &err),
			 0);
	assert_string_equal(g.reason, "no folder");
	sl_cat_file_release(&g);

	char *after = snapshot(fx);
	assert_string_equal(before, after);
	free(before);
	free(after);
}

/* Acknowledged messages go with the commit; a stale receipt does not fail it. */
static void test_receipts(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	const char *bodies[3] = {"{\"n\":1}", "{\"n\":2}", "{\"n\":3}"};
	assert_int_equal(fx->m->ops->queue_send(fx->m->state, "raw", bodies, 3, 0, T0, NULL, &err),
			 0);
	struct sl_message msg[3];
	size_t n = 0;
	assert_int_equal(fx->m->ops->queue_receive(fx->m->state, "raw", 3, 1000, T0, msg, &n,
						   &err), 0);
	assert_int_equal(n, 3);
	/* the visibility runs out and message 1 is received again: its receipt is stale */
	struct sl_message again;
	size_t n2 = 0;
	assert_int_equal(fx->m->ops->queue_receive(fx->m->state, "raw", 1, 60000, T0 + 5000,
						   &again, &n2, &err), 0);
	assert_int_equal(n2, 1);
	assert_int_equal(again.id, msg[0].id);
	sl_message_release(&again);
	const char *receipts[4] = {msg[0].receipt, msg[1].receipt, msg[2].receipt, "garbage"};
	struct sl_cat_commit c = {.queue = "raw", .receipts = receipts, .n_receipts = 4,
				  .messages = 3};
	commit_ok(fx, &c, T0 + 6000);
	assert_int_equal(queue_count(fx, "raw"), 1); /* only the one received again is left */
	assert_int_equal(counters(fx).messages, 3);
	assert_int_equal(counters(fx).commits, 1);
	for (int i = 0; i < 3; i++)
		sl_message_release(&msg[i]);
}

/* ---- catalog.c ----------------------------------------------------------------------- */

static void expect_name(const char *const *folders, size_t n, const char *want)
{
	char out[SL_CAT_NAME_MAX];
	struct sl_err err = {0};
	if (sl_cat_table_name(folders, n, out, sizeof(out), &err) != 0)
		fail_msg("table name: %s", err.msg);
	assert_string_equal(out, want);
}

static void test_table_name(void **state)
{
	(void)state;
	char out[SL_CAT_NAME_MAX];
	struct sl_err err = {0};
	const char *a[] = {"Orders"};
	expect_name(a, 1, "orders");
	const char *b[] = {"sales", "EU-West", "v2.1"};
	expect_name(b, 3, "sales_eu_west_v2_1");
	const char *c[] = {"2026", "x"};
	expect_name(c, 2, "_2026_x");
	const char *d[] = {"caf\xc3\xa9"}; /* every byte of a UTF-8 character */
	expect_name(d, 1, "caf__");
	const char *e[] = {".."};
	expect_name(e, 1, "__");
	const char *f[] = {"a b;DROP TABLE x"};
	expect_name(f, 1, "a_b_drop_table_x");
	const char *g[] = {""};
	assert_int_equal(sl_cat_table_name(g, 1, out, sizeof(out), &err), SL_EINVAL);
	assert_int_equal(sl_cat_table_name(a, 0, out, sizeof(out), &err), SL_EINVAL);
	assert_int_equal(sl_cat_table_name(NULL, 1, out, sizeof(out), &err), SL_EINVAL);
	const char *h[] = {"a", NULL};
	assert_int_equal(sl_cat_table_name(h, 2, out, sizeof(out), &err), SL_EINVAL);

	/* 255 bytes is the limit, the separator and a leading '_' counted */
	char big[300];
	memset(big, 'x', 255);
	big[255] = '\0';
	const char *i1[] = {big};
	assert_int_equal(sl_cat_table_name(i1, 1, out, sizeof(out), &err), 0);
	assert_int_equal(strlen(out), 255);
	big[0] = '7';
	assert_int_equal(sl_cat_table_name(i1, 1, out, sizeof(out), &err), SL_EINVAL);
	assert_string_equal(out, "");
	memset(big, 'y', 200);
	big[200] = '\0';
	const char *i2[] = {big, big};
	assert_int_equal(sl_cat_table_name(i2, 2, out, sizeof(out), &err), SL_EINVAL);
	assert_non_null(strstr(err.msg, "longer"));
	char huge[100000];
	memset(huge, 'q', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	const char *i3[] = {huge};
	assert_int_equal(sl_cat_table_name(i3, 1, out, sizeof(out), &err), SL_EINVAL);
	/* the caller's capacity bounds it too */
	char small[4];
	assert_int_equal(sl_cat_table_name(a, 1, small, sizeof(small), &err), SL_EINVAL);
	const char *j[] = {"abc"};
	assert_int_equal(sl_cat_table_name(j, 1, small, sizeof(small), &err), 0);
	assert_string_equal(small, "abc");
	assert_int_equal(sl_cat_table_name(j, 1, small, 0, &err), SL_EINVAL);
}

static void test_part_values(void **state)
{
	(void)state;
	char buf[SL_CAT_PART_MAX];
	const char *v[SL_CAT_MAX_PARTITION_KEYS];
	struct sl_err err = {0};
	assert_int_equal(sl_cat_part_values("dt,partition_1", "dt=2026-01-05/partition_1=x", buf,
					    sizeof(buf), v, 32, &err), 2);
	assert_string_equal(v[0], "2026-01-05");
	assert_string_equal(v[1], "x");
	/* unnamed levels take the folder as it is */
	assert_int_equal(sl_cat_part_values("partition_0,partition_1", "eu/2026", buf, sizeof(buf),
					    v, 32, &err), 2);
	assert_string_equal(v[0], "eu");
	assert_string_equal(v[1], "2026");
	assert_int_equal(sl_cat_part_values("dt,hour", "dt=/hour=03", buf, sizeof(buf), v, 32,
					    &err), 2);
	assert_string_equal(v[0], ""); /* an empty value is a value */
	assert_string_equal(v[1], "03");
	assert_int_equal(sl_cat_part_values("", "", buf, sizeof(buf), v, 32, &err), 0);
	assert_int_equal(sl_cat_part_values("dt", "dt=\xe2\x82\xac=1", buf, sizeof(buf), v, 32,
					    &err), 1);
	assert_string_equal(v[0], "\xe2\x82\xac=1"); /* unicode and '=' in a value, kept */

	/* hostile or inconsistent paths */
	/* a k=v folder spelled in upper case: its column is the lower-cased k */
	assert_int_equal(sl_cat_part_values("dt,region", "DT=2026/Region=EU", buf, sizeof(buf), v,
					    32, &err), 2);
	assert_string_equal(v[0], "2026");
	assert_string_equal(v[1], "EU");
	assert_int_equal(sl_cat_part_values("dt", "", buf, sizeof(buf), v, 32, &err), SL_EINVAL);
	assert_int_equal(sl_cat_part_values("", "dt=1", buf, sizeof(buf), v, 32, &err), SL_EINVAL);
	assert_int_equal(sl_cat_part_values("dt", "date=1", buf, sizeof(buf), v, 32, &err),
			 SL_EINVAL);
	assert_non_null(strstr(err.msg, "date=1"));
	assert_int_equal(sl_cat_part_values("dt", "dt=1/x", buf, sizeof(buf), v, 32, &err),
			 SL_EINVAL);
	assert_non_null(strstr(err.msg, "more"));
	assert_int_equal(sl_cat_part_values("dt,hour", "dt=1", buf, sizeof(buf), v, 32, &err),
			 SL_EINVAL);
	assert_non_null(strstr(err.msg, "fewer"));
	assert_int_equal(sl_cat_part_values("partition_0", "..", buf, sizeof(buf), v, 32, &err),
			 SL_EINVAL);
	assert_int_equal(sl_cat_part_values("partition_0,partition_1", "a/../b", buf, sizeof(buf),
					    v, 32, &err), SL_EINVAL);
	assert_int_equal(sl_cat_part_values("partition_0,partition_1", "a//b", buf, sizeof(buf),
					    v, 32, &err), SL_EINVAL);
	assert_int_equal(sl_cat_part_values("partition_0", "/a", buf, sizeof(buf), v, 32, &err),
			 SL_EINVAL);
	assert_int_equal(sl_cat_part_values("dt,", "dt=1/x", buf, sizeof(buf), v, 32, &err),
			 SL_EINVAL);
	assert_int_equal(sl_cat_part_values("partition_x", "a", buf, sizeof(buf), v, 32, &err),
			 SL_EINVAL); /* not an unnamed level's key */
	/* more levels than values can hold */
	assert_int_equal(sl_cat_part_values("partition_0,partition_1,partition_2", "a/b/c", buf,
					    sizeof(buf), v, 2, &err), SL_EINVAL);
	/* huge: longer than the buffer, and more levels than a table can have */
	char *huge = malloc(200001);
	memset(huge, 'a', 200000);
	huge[200000] = '\0';
	assert_int_equal(sl_cat_part_values("partition_0", huge, buf, sizeof(buf), v, 32, &err),
			 SL_EINVAL);
	char keys[2000] = "", path[2000] = "";
	for (int i = 0; i < 40; i++) {
		char k[32], l[8];
		snprintf(k, sizeof(k), "%spartition_%d", i ? "," : "", i);
		strcat(keys, k);
		snprintf(l, sizeof(l), "%sv", i ? "/" : "");
		strcat(path, l);
	}
	const char *many[64];
	assert_int_equal(sl_cat_part_values(keys, path, buf, sizeof(buf), many, 64, &err),
			 SL_EINVAL);
	free(huge);

	/* the database of a zone */
	assert_string_equal(sl_cat_db_of_zone("raw"), "raw");
	assert_string_equal(sl_cat_db_of_zone("curated"), "curated");
	assert_null(sl_cat_db_of_zone("landing"));
	assert_null(sl_cat_db_of_zone("deadletter"));
	assert_null(sl_cat_db_of_zone(NULL));
	sl_cat_table_release(NULL);
	sl_cat_version_release(NULL);
	sl_cat_file_release(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_and_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_versions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_version_list_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_atomic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_estale_two_handles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replay_idempotent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seq_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partition_sums, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove_delete_policy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove_deprecate_policy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_list_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drift, setup, teardown),
		cmocka_unit_test_setup_teardown(test_table_drop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_table_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_refuses_bad_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_receipts, setup, teardown),
		cmocka_unit_test(test_table_name),
		cmocka_unit_test(test_part_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
