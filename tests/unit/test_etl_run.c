/*
 * test_etl_run.c - the ETL run engine (etl/run.h) on scratch lakes: raw objects are put
 * and crawled so that the source table exists, then jobs run through the library:
 *   incremental runs over several days with a late file written into its day's
 *   partition (partition_by dt, UTC dates from offsets), the target table's versions;
 *   idempotence (a run with nothing new commits an empty run); rewind to a run and
 *   reset, then re-runs (same rows, no duplicates: counted in the curated Parquet files);
 *   on_error fail (nothing committed, bookmark unchanged) and deadletter (the dead-letter
 *   object holds the refused records); the lease refusing a second holder; a run that
 *   stops before an object not crawled yet, and passes one the crawler rejected; the
 *   source's own partitions; files rolling over at a small target_file_size; a nested
 *   job announced to the crawler;
 *   recovery: a run that staged and published and never committed (simulated through the
 *   metadata store), and real crashes (SIGKILL at the crash points written, published
 *   and committed, in a child process that re-executes this binary).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <zlib.h>
#include <zstd.h>

#include "crawl/crawl.h"
#include "etl/run.h"
#include "helpers.h"
#include "json/json.h"
#include "lake/lake.h"
#include "parquet/reader.h"
#include "parquet/writer.h"
#include "store/store.h"
#include "util/clock.h"

#include "etl_fixture.h"

/* ---- what the curated table holds --------------------------------------------------- */

#define MAX_FILES 256
#define MAX_ROWS 32768

struct cfile {
	char key[SL_KEY_MAX + 1];
	char part[SL_CAT_PART_MAX];
	int64_t records, bytes;
	bool has_stats;
};

struct table_rows {
	struct cfile files[MAX_FILES];
	size_t n_files;
	int64_t ids[MAX_ROWS];
	size_t n_rows;
};

static int file_one(void *ctx, const struct sl_cat_file *f)
{
	struct table_rows *t = ctx;
	if (strcmp(f->state, SL_CAT_FILE_ACTIVE) != 0)
		return 0;
	assert_true(t->n_files < MAX_FILES);
	struct cfile *c = &t->files[t->n_files++];
	snprintf(c->key, sizeof(c->key), "%s", f->key);
	snprintf(c->part, sizeof(c->part), "%s", f->part);
	c->records = f->records;
	c->bytes = f->bytes;
	c->has_stats = f->stats && strstr(f->stats, "\"id\"");
	return 0;
}

/* Every row of the active files of curated.table, read back with the Parquet reader
 * through the store (which checks each file against its index row). */
static void table_read(struct fx *fx, const char *table, struct table_rows *t)
{
	struct sl_err err = {0};
	memset(t, 0, sizeof(*t));
	int rc = fx->m->ops->catalog_file_list(fx->m->state, "curated", table, NULL, true,
					       file_one, t, &err);
	if (rc == SL_ENOENT)
		return;
	if (rc != 0)
		fail_msg("files of %s: %s", table, err.msg);
	for (size_t i = 0; i < t->n_files; i++) {
		struct sl_object obj;
		struct sl_pq_read_opts po;
		struct sl_pq_reader *pr = NULL;
		struct sl_pq_rows *rows = NULL;
		struct sl_buf b;
		int fd;
		if (sl_store_open_fd(&fx->lake->store, "curated", t->files[i].key, &fd, &obj,
				     &err) != 0)
			fail_msg("open %s: %s", t->files[i].key, err.msg);
		assert_int_equal(obj.size, t->files[i].bytes);
		assert_string_equal(obj.content_type, "application/vnd.apache.parquet");
		sl_pq_read_opts_default(&po);
		if (sl_pq_reader_open(fd, t->files[i].key, &po, &pr, &err) != 0)
			fail_msg("read %s: %s", t->files[i].key, err.msg);
		assert_int_equal(sl_pq_reader_rows(pr), t->files[i].records);
		assert_int_equal(sl_pq_rows_open(pr, NULL, 0, NULL, 0, &rows, &err), 0);
		sl_buf_init(&b, 0);
		int got;
		while ((got = sl_pq_rows_next(rows, &b, &err)) == 1) {
			struct sl_json_error e;
			struct sl_json_node *n = sl_json_tree_parse(b.data, b.len, NULL, &e);
			assert_non_null(n);
			const struct sl_json_node *id = sl_json_get(n, "id");
			assert_non_null(id);
			assert_int_equal(id->type, SL_JSON_INT);
			assert_true(t->n_rows < MAX_ROWS);
			t->ids[t->n_rows++] = id->u.i;
			sl_json_tree_free(n);
			sl_buf_reset(&b);
		}
		assert_int_equal(got, 0);
		sl_buf_release(&b);
		sl_pq_rows_close(rows);
		sl_pq_reader_close(pr);
		close(fd);
	}
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* The table holds ids 1..n, each exactly once. */
static void assert_ids(struct table_rows *t, int64_t n)
{
	qsort(t->ids, t->n_rows, sizeof(t->ids[0]), cmp_i64);
	if ((int64_t)t->n_rows != n)
		fail_msg("%zu rows, expected %" PRId64, t->n_rows, n);
	for (int64_t i = 0; i < n; i++)
		if (t->ids[i] != i + 1)
			fail_msg("row %" PRId64 ": id %" PRId64 " (a duplicate or a gap)", i,
				 t->ids[i]);
}

static void assert_table_ids(struct fx *fx, const char *table, int64_t n)
{
	struct table_rows *t = malloc(sizeof(*t));
	table_read(fx, table, t);
	assert_ids(t, n);
	free(t);
}

/* Regular files in the lake's curated zone: those of the table's active files only (no
 * orphan of an uncommitted run, no retired file left). */
static int curated_files(struct fx *fx)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/curated", fx->dir);
	return th_count_files(path);
}

static const struct cfile *find_file(const struct table_rows *t, const char *key)
{
	for (size_t i = 0; i < t->n_files; i++)
		if (strcmp(t->files[i].key, key) == 0)
			return &t->files[i];
	return NULL;
}

/* ---- incremental runs over days --------------------------------------------------------- */

static void test_incremental_days(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	job_add(&fx->lake->cfg, "daily", "events", "events_daily", "dt");

	/* day 1 */
	int64_t s1 = put_day(fx, "events/day1.ndjson", 1, 5, 1);
	crawl(fx);
	struct sl_etl_result r = run_ok(fx, "daily");
	assert_int_equal(r.run_id, 1);
	assert_int_equal(r.from_seq, 0);
	assert_int_equal(r.to_seq, s1);
	assert_int_equal(r.objects, 1);
	assert_int_equal(r.rows_in, 5);
	assert_int_equal(r.rows_out, 5);
	assert_int_equal(r.rows_rejected, 0);
	assert_int_equal(r.files, 1);
	assert_true(r.bytes > 0);
	assert_string_equal(r.deadletter, "");
	assert_false(r.waiting);

	struct table_rows *t = malloc(sizeof(*t));
	table_read(fx, "events_daily", t);
	assert_int_equal(t->n_files, 1);
	assert_string_equal(t->files[0].key, "events_daily/dt=2026-01-01/part-r1-000.parquet");
	assert_string_equal(t->files[0].part, "dt=2026-01-01");
	assert_true(t->files[0].has_stats);
	assert_ids(t, 5);

	/* the target table: the source's schema, partitioned by dt, version 1 */
	struct sl_cat_table src, dst;
	memset(&src, 0, sizeof(src));
	memset(&dst, 0, sizeof(dst));
	assert_int_equal(fx->m->ops->catalog_table_get(fx->m->state, "raw", "events", &src, &err), 0);
	assert_int_equal(fx->m->ops->catalog_table_get(fx->m->state, "curated", "events_daily",
						       &dst, &err), 0);
	assert_string_equal(dst.schema, src.schema);
	assert_string_equal(dst.partition_keys, "dt");
	assert_string_equal(dst.prefix, "events_daily/");
	assert_string_equal(dst.format, "parquet");
	assert_int_equal(dst.version, 1);
	assert_int_equal(dst.records, 5);
	sl_cat_table_release(&src);
	sl_cat_table_release(&dst);

	/* day 2, and a late file of day 1 that arrived after it; one record of day 2 is
	 * 23:30 at UTC-02:00, i.e. day 3 in UTC */
	put_day(fx, "events/day2.ndjson", 6, 9, 2);
	int64_t s3 = put_day(fx, "events/late-day1.ndjson", 10, 11, 1);
	raw_put(fx, "events/day2b.ndjson",
		"{\"id\":12,\"ts\":\"2026-01-02T23:30:00-02:00\",\"v\":\"r12\"}\n");
	int64_t s4 = raw_put(fx, "events/day2c.ndjson",
			     "{\"id\":13,\"ts\":\"2026-01-02T00:30:00+01:00\",\"v\":\"r13\"}\n");
	(void)s3;
	crawl(fx);
	r = run_ok(fx, "daily");
	assert_int_equal(r.run_id, 2);
	assert_int_equal(r.from_seq, s1);
	assert_int_equal(r.to_seq, s4);
	assert_int_equal(r.objects, 4);
	assert_int_equal(r.rows_out, 8);
	assert_int_equal(r.files, 3); /* dt=2026-01-01 (late + 13), 01-02, 01-03 */
	table_read(fx, "events_daily", t);
	assert_int_equal(t->n_files, 4);
	assert_non_null(find_file(t, "events_daily/dt=2026-01-01/part-r1-000.parquet"));
	const struct cfile *late = NULL;
	for (size_t i = 0; i < t->n_files; i++)
		if (strstr(t->files[i].key, "dt=2026-01-01/part-r2-"))
			late = &t->files[i];
	assert_non_null(late);
	assert_int_equal(late->records, 3); /* 10, 11, and 13 (2026-01-01T23:30Z) */
	bool day3 = false;
	for (size_t i = 0; i < t->n_files; i++)
		if (strcmp(t->files[i].part, "dt=2026-01-03") == 0 && t->files[i].records == 1)
			day3 = true;
	assert_true(day3);
	assert_ids(t, 13);

	/* partitions count their files */
	struct sl_cat_table tt;
	memset(&tt, 0, sizeof(tt));
	assert_int_equal(fx->m->ops->catalog_table_get(fx->m->state, "curated", "events_daily",
						       &tt, &err), 0);
	assert_int_equal(tt.n_partitions, 3);
	assert_int_equal(tt.records, 13);
	assert_int_equal(tt.version, 1);
	sl_cat_table_release(&tt);

	/* day 3 brings a new column: the source's new version makes the target's */
	raw_put(fx, "events/day3.ndjson",
		"{\"id\":14,\"ts\":\"2026-01-03T08:00:00Z\",\"v\":\"r14\",\"extra\":true}\n");
	crawl(fx);
	r = run_ok(fx, "daily");
	assert_int_equal(r.rows_out, 1);
	memset(&tt, 0, sizeof(tt));
	assert_int_equal(fx->m->ops->catalog_table_get(fx->m->state, "curated", "events_daily",
						       &tt, &err), 0);
	assert_int_equal(tt.version, 2);
	assert_non_null(strstr(tt.schema, "extra:boolean"));
	sl_cat_table_release(&tt);
	assert_table_ids(fx, "events_daily", 14);

	struct sl_etl_bookmark bm = bookmark(fx, "daily");
	assert_int_equal(bm.last_run, 3);
	assert_int_equal(bm.last_committed, 3);
	assert_int_equal(curated_files(fx), 5);
	free(t);
}

/* A second run with nothing new commits an empty run that keeps the bookmark. */
static void test_idempotent(void **state)
{
	struct fx *fx = *state;
	job_add(&fx->lake->cfg, "daily", "events", "events_daily", "dt");
	put_day(fx, "events/day1.ndjson", 1, 5, 1);
	crawl(fx);
	struct sl_etl_result r1 = run_ok(fx, "daily");
	struct sl_etl_result r2 = run_ok(fx, "daily");
	assert_int_equal(r2.run_id, 2);
	assert_int_equal(r2.from_seq, r1.to_seq);
	assert_int_equal(r2.to_seq, r1.to_seq);
	assert_int_equal(r2.objects, 0);
	assert_int_equal(r2.rows_in, 0);
	assert_int_equal(r2.files, 0);
	struct sl_etl_run run = run_get(fx, "daily", 2);
	assert_string_equal(run.state, SL_RUN_COMMITTED);
	assert_int_equal(run.files, 0);
	assert_table_ids(fx, "events_daily", 5);
	assert_int_equal(curated_files(fx), 1);
	assert_int_equal(bookmark(fx, "daily").seq, r1.to_seq);
}

/* ---- rewind and reset ------------------------------------------------------------------ */

static void test_rewind_reset(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	int64_t removed = -1;
	job_add(&fx->lake->cfg, "daily", "events", "events_daily", "dt");
	int64_t s1 = put_day(fx, "events/day1.ndjson", 1, 5, 1);
	crawl(fx);
	run_ok(fx, "daily");
	put_day(fx, "events/day2.ndjson", 6, 10, 2);
	crawl(fx);
	run_ok(fx, "daily");
	put_day(fx, "events/day3.ndjson", 11, 15, 3);
	crawl(fx);
	struct sl_etl_result r3 = run_ok(fx, "daily");
	assert_table_ids(fx, "events_daily", 15);
	assert_int_equal(curated_files(fx), 3);

	/* rewind to run 1: the files of runs 2 and 3 go, the bookmark goes back */
	assert_int_equal(sl_etl_rewind(fx->lake, "daily", 1, &removed, &err), 0);
	assert_int_equal(removed, 2);
	assert_int_equal(curated_files(fx), 1);
	assert_table_ids(fx, "events_daily", 5);
	assert_int_equal(bookmark(fx, "daily").seq, s1);
	assert_string_equal(run_get(fx, "daily", 2).state, SL_RUN_REWOUND);
	assert_string_equal(run_get(fx, "daily", 3).state, SL_RUN_REWOUND);
	/* a rewound run is not a place to rewind to */
	assert_int_equal(sl_etl_rewind(fx->lake, "daily", 3, NULL, &err), SL_ENOENT);

	/* re-running reproduces runs 2 and 3 once */
	struct sl_etl_result r4 = run_ok(fx, "daily");
	assert_int_equal(r4.run_id, 4);
	assert_int_equal(r4.from_seq, s1);
	assert_int_equal(r4.to_seq, r3.to_seq);
	assert_int_equal(r4.rows_out, 10);
	assert_table_ids(fx, "events_daily", 15);
	assert_int_equal(curated_files(fx), 3);

	/* reset: everything goes, and comes back once */
	assert_int_equal(sl_etl_reset(fx->lake, "daily", &removed, &err), 0);
	assert_int_equal(removed, 3);
	assert_int_equal(curated_files(fx), 0);
	assert_table_ids(fx, "events_daily", 0);
	assert_int_equal(bookmark(fx, "daily").seq, 0);
	struct sl_etl_result r5 = run_ok(fx, "daily");
	assert_int_equal(r5.rows_out, 15);
	assert_int_equal(r5.files, 3);
	assert_table_ids(fx, "events_daily", 15);
	assert_int_equal(curated_files(fx), 3);
}

/* ---- refused records -------------------------------------------------------------------- */

/* The first record alone types the table (crawl.sample_bytes 1), so that later records
 * can disagree with it. */
static void put_with_bad_records(struct fx *fx)
{
	fx->lake->cfg.crawl.sample_bytes = 1;
	raw_put(fx, "events/day1.ndjson",
		"{\"id\":1,\"ts\":\"2026-01-01T10:00:00Z\",\"v\":\"a\"}\n"
		"{\"id\":\"two\",\"ts\":\"2026-01-01T10:00:00Z\",\"v\":\"b\"}\n"
		"{\"id\":3,\"ts\":\"2026-01-01T10:00:00Z\",\"v\":\"c\"}\n"
		"{\"id\":4,\"v\":\"no ts\"}\n"
		"{\"id\":5,\"ts\":\"2026-01-01T11:00:00Z\",\"v\":\"e\"}\n");
	crawl(fx);
}

static void test_on_error_fail(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	struct sl_etl_result r;
	struct sl_job_conf *j = job_add(&fx->lake->cfg, "strict", "events", "events_strict", "");
	snprintf(j->on_error, sizeof(j->on_error), "fail");
	put_with_bad_records(fx);

	assert_int_equal(sl_etl_run_job(fx->lake, "strict", NULL, &r, &err), SL_EINVAL);
	assert_non_null(strstr(err.msg, "raw/events/day1.ndjson:2"));
	assert_non_null(strstr(err.msg, "int64"));
	assert_false(r.committed);
	assert_int_equal(r.run_id, 1);
	struct sl_etl_run run = run_get(fx, "strict", 1);
	assert_string_equal(run.state, SL_RUN_FAILED);
	assert_non_null(strstr(run.error, "events/day1.ndjson:2"));
	/* nothing committed: no table, no file, the bookmark where it was */
	struct sl_etl_bookmark bm = bookmark(fx, "strict");
	assert_int_equal(bm.seq, 0);
	assert_int_equal(bm.last_committed, 0);
	struct sl_cat_table t;
	memset(&t, 0, sizeof(t));
	assert_int_equal(fx->m->ops->catalog_table_get(fx->m->state, "curated", "events_strict",
						       &t, &err), SL_ENOENT);
	assert_int_equal(curated_files(fx), 0);
	struct sl_object o;
	assert_int_equal(fx->m->ops->object_get(fx->m->state, "deadletter",
						"etl/strict/run-1.ndjson", &o, NULL), SL_ENOENT);
	/* and it fails the same way again: the object is never skipped */
	assert_int_equal(sl_etl_run_job(fx->lake, "strict", NULL, &r, &err), SL_EINVAL);
	assert_int_equal(r.run_id, 2);
}

static void test_deadletter_content(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	job_add(&fx->lake->cfg, "daily", "events", "events_daily", "dt");
	put_with_bad_records(fx);
	struct sl_etl_result r = run_ok(fx, "daily");
	assert_int_equal(r.rows_in, 5);
	assert_int_equal(r.rows_out, 3);
	assert_int_equal(r.rows_rejected, 2);
	assert_string_equal(r.deadletter, "etl/daily/run-1.ndjson");
	assert_int_equal(run_get(fx, "daily", 1).rows_rejected, 2);

	/* the good records: 1, 3, 5 */
	struct table_rows *t = malloc(sizeof(*t));
	table_read(fx, "events_daily", t);
	qsort(t->ids, t->n_rows, sizeof(t->ids[0]), cmp_i64);
	assert_int_equal(t->n_rows, 3);
	assert_int_equal(t->ids[0], 1);
	assert_int_equal(t->ids[1], 3);
	assert_int_equal(t->ids[2], 5);
	free(t);

	/* the dead letter: indexed, one line per refused record with where and why */
	struct sl_object o;
	assert_int_equal(fx->m->ops->object_get(fx->m->state, "deadletter",
						"etl/daily/run-1.ndjson", &o, &err), 0);
	char *text = read_object(fx, "deadletter", "etl/daily/run-1.ndjson");
	char *nl = strchr(text, '\n');
	assert_non_null(nl);
	*nl = '\0';
	struct sl_json_error e;
	struct sl_json_node *l1 = sl_json_tree_parse(text, strlen(text), NULL, &e);
	struct sl_json_node *l2 = sl_json_tree_parse(nl + 1, strlen(nl + 1), NULL, &e);
	assert_non_null(l1);
	assert_non_null(l2);
	assert_string_equal(sl_json_get(l1, "object")->u.str.s, "events/day1.ndjson");
	assert_int_equal(sl_json_get(l1, "line")->u.i, 2);
	assert_non_null(strstr(sl_json_get(l1, "error")->u.str.s, "int64"));
	const struct sl_json_node *rec = sl_json_get(l1, "record");
	assert_int_equal(rec->type, SL_JSON_OBJECT);
	assert_string_equal(sl_json_get(rec, "id")->u.str.s, "two");
	assert_int_equal(sl_json_get(l2, "line")->u.i, 4);
	assert_non_null(strstr(sl_json_get(l2, "error")->u.str.s, "ts"));
	assert_int_equal(sl_json_get(sl_json_get(l2, "record"), "id")->u.i, 4);
	sl_json_tree_free(l1);
	sl_json_tree_free(l2);
	free(text);

	/* rewound, the dead letter goes with the files; re-run, it comes back once */
	assert_int_equal(sl_etl_reset(fx->lake, "daily", NULL, &err), 0);
	assert_int_equal(fx->m->ops->object_get(fx->m->state, "deadletter",
						"etl/daily/run-1.ndjson", &o, NULL), SL_ENOENT);
	r = run_ok(fx, "daily");
	assert_int_equal(r.rows_rejected, 2);
	assert_string_equal(r.deadletter, "etl/daily/run-2.ndjson");
}

/* ---- the lease ----------------------------------------------------------------------- */

static void test_lease(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	struct sl_etl_result r;
	job_add(&fx->lake->cfg, "daily", "events", "events_daily", "dt");
	put_day(fx, "events/day1.ndjson", 1, 5, 1);
	crawl(fx);
	assert_int_equal(fx->m->ops->etl_lease(fx->m->state, "daily", "other:1:feed", 60000,
					       sl_now_ms(), &err), 0);
	assert_int_equal(sl_etl_run_job(fx->lake, "daily", NULL, &r, &err), SL_EBUSY);
	assert_non_null(strstr(err.msg, "job daily is running"));
	assert_non_null(strstr(err.msg, "other:1:feed"));
	assert_int_equal(r.run_id, 0);
	assert_int_equal(sl_etl_rewind(fx->lake, "daily", 0, NULL, &err), SL_EBUSY);
	/* another job runs meanwhile */
	job_add(&fx->lake->cfg, "other", "events", "events_other", "");
	run_ok(fx, "other");
	fx->m->ops->etl_lease_release(fx->m->state, "daily", "other:1:feed");
	struct sl_etl_result ok = run_ok(fx, "daily");
	assert_int_equal(ok.rows_out, 5);
	/* the run released its lease */
	assert_int_equal(fx->m->ops->etl_lease(fx->m->state, "daily", "other:1:feed", 60000,
					       sl_now_ms(), &err), 0);
	fx->m->ops->etl_lease_release(fx->m->state, "daily", "other:1:feed");
}

/* A killed run's lease is broken at once when its holder is a process of this host that
 * is gone (no waiting for it to expire); a live holder's is not. */
static void test_lease_of_a_dead_process(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	struct sl_etl_result r;
	char host[33] = "", dead[SL_HOLDER_MAX], live[SL_HOLDER_MAX];
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	assert_int_equal(gethostname(host, sizeof(host) - 1), 0);
	snprintf(dead, sizeof(dead), "%s:%ld:deadbeef", host, (long)pid);
	snprintf(live, sizeof(live), "%s:%ld:0badf00d", host, (long)getppid());
	job_add(&fx->lake->cfg, "daily", "events", "events_daily", "dt");
	put_day(fx, "events/day1.ndjson", 1, 5, 1);
	crawl(fx);
	assert_int_equal(fx->m->ops->etl_lease(fx->m->state, "daily", live, 60000, sl_now_ms(),
					       &err), 0);
	assert_int_equal(sl_etl_run_job(fx->lake, "daily", NULL, &r, &err), SL_EBUSY);
	fx->m->ops->etl_lease_release(fx->m->state, "daily", live);
	assert_int_equal(fx->m->ops->etl_lease(fx->m->state, "daily", dead, 60000, sl_now_ms(),
					       &err), 0);
	struct sl_etl_result ok = run_ok(fx, "daily");
	assert_int_equal(ok.rows_out, 5);
}

/* ---- where a run stops and what it passes -------------------------------------------- */

static void test_stops_before_uncrawled(void **state)
{
	struct fx *fx = *state;
	job_add(&fx->lake->cfg, "daily", "events", "events_daily", "dt");
	int64_t s1 = put_day(fx, "events/a.ndjson", 1, 3, 1);
	crawl(fx);
	put_day(fx, "events/b.ndjson", 4, 6, 1); /* not crawled yet */
	struct sl_etl_result r = run_ok(fx, "daily");
	assert_true(r.waiting);
	assert_string_equal(r.waiting_key, "events/b.ndjson");
	assert_int_equal(r.to_seq, s1);
	assert_int_equal(r.rows_out, 3);
	assert_table_ids(fx, "events_daily", 3);
	crawl(fx);
	r = run_ok(fx, "daily");
	assert_false(r.waiting);
	assert_int_equal(r.rows_out, 3);
	assert_table_ids(fx, "events_daily", 6);
}

static void test_passes_rejected(void **state)
{
	struct fx *fx = *state;
	job_add(&fx->lake->cfg, "daily", "events", "events_daily", "dt");
	put_day(fx, "events/a.ndjson", 1, 3, 1);
	int64_t bad = raw_put(fx, "events/bad.ndjson", "{\"id\":4,\"ts\":");
	crawl(fx);
	struct sl_etl_result r = run_ok(fx, "daily");
	assert_int_equal(r.skipped, 1);
	assert_non_null(strstr(r.skip_reason, "events/bad.ndjson"));
	assert_int_equal(r.objects, 1);
	assert_int_equal(r.to_seq, bad);
	assert_table_ids(fx, "events_daily", 3);
}

/* partition_by "": the source's partitions, same folder names */
static void test_source_partitions(void **state)
{
	struct fx *fx = *state;
	job_add(&fx->lake->cfg, "clicks", "clicks", "clicks_c", "");
	put_day(fx, "clicks/dt=2026-01-01/a.ndjson", 1, 3, 1);
	put_day(fx, "clicks/dt=2026-01-02/a.ndjson", 4, 5, 9); /* its ts does not matter */
	crawl(fx);
	struct sl_etl_result r = run_ok(fx, "clicks");
	assert_int_equal(r.files, 2);
	struct table_rows *t = malloc(sizeof(*t));
	table_read(fx, "clicks_c", t);
	assert_non_null(find_file(t, "clicks_c/dt=2026-01-01/part-r1-000.parquet"));
	assert_non_null(find_file(t, "clicks_c/dt=2026-01-02/part-r1-001.parquet"));
	assert_int_equal(find_file(t, "clicks_c/dt=2026-01-02/part-r1-001.parquet")->records, 2);
	assert_ids(t, 5);
	free(t);
	struct sl_cat_table ct;
	struct sl_err err = {0};
	memset(&ct, 0, sizeof(ct));
	assert_int_equal(fx->m->ops->catalog_table_get(fx->m->state, "curated", "clicks_c", &ct,
						       &err), 0);
	assert_string_equal(ct.partition_keys, "dt");
	sl_cat_table_release(&ct);
}

/* partition_by columns of the output: NAME=VALUE folders in the order given, values
 * escaped as Hive does, null and "" in Hive's default partition, dt from ts when the
 * output has no dt; the columns are in the folders, not in the files. */
static void test_partition_columns(void **state)
{
	struct fx *fx = *state;
	job_add(&fx->lake->cfg, "byv", "kv", "kv_c", "dt,v");
	raw_put(fx, "kv/a.ndjson",
		"{\"id\":1,\"ts\":\"2026-01-01T10:00:00Z\",\"v\":\"a\"}\n"
		"{\"id\":2,\"ts\":\"2026-01-01T23:30:00-02:00\",\"v\":\"a/b:c\"}\n"
		"{\"id\":3,\"ts\":\"2026-01-01T11:00:00Z\",\"v\":null}\n"
		"{\"id\":4,\"ts\":\"2026-01-01T12:00:00Z\",\"v\":\"\"}\n"
		"{\"id\":5,\"ts\":\"2026-01-01T12:00:00Z\"}\n"
		"{\"id\":6,\"ts\":\"2026-01-01T13:00:00Z\",\"v\":\"a\"}\n");
	crawl(fx);
	struct sl_etl_result r = run_ok(fx, "byv");
	assert_int_equal(r.rows_out, 6);
	assert_int_equal(r.rows_rejected, 0);
	assert_int_equal(r.files, 3);
	struct table_rows *t = malloc(sizeof(*t));
	table_read(fx, "kv_c", t);
	const struct cfile *f = find_file(t, "kv_c/dt=2026-01-01/v=a/part-r1-000.parquet");
	assert_non_null(f);
	assert_int_equal(f->records, 2);
	assert_non_null(find_file(t, "kv_c/dt=2026-01-02/v=a%2Fb%3Ac/part-r1-001.parquet"));
	f = find_file(t, "kv_c/dt=2026-01-01/v=__HIVE_DEFAULT_PARTITION__/part-r1-002.parquet");
	assert_non_null(f);
	assert_int_equal(f->records, 3);
	assert_ids(t, 6);
	free(t);
	struct sl_cat_table ct;
	struct sl_err err = {0};
	memset(&ct, 0, sizeof(ct));
	assert_int_equal(fx->m->ops->catalog_table_get(fx->m->state, "curated", "kv_c", &ct,
						       &err), 0);
	assert_string_equal(ct.partition_keys, "dt,v");
	assert_null(strstr(ct.schema, "v:"));
	assert_non_null(strstr(ct.schema, "ts:"));
	sl_cat_table_release(&ct);

	/* a value that cannot be a partition is refused with the reason, not the run */
	raw_put(fx, "kv/b.ndjson",
		"{\"id\":7,\"ts\":\"2026-01-02T10:00:00Z\",\"v\":\"b\"}\n"
		"{\"id\":8,\"ts\":\"2026-01-02T10:00:00Z\",\"v\":\"%s\"}\n"
		"{\"id\":9,\"v\":\"b\"}\n");
	crawl(fx);
	r = run_ok(fx, "byv");
	assert_int_equal(r.rows_out, 2);
	assert_int_equal(r.rows_rejected, 1);
	char *dl = read_object(fx, "deadletter", r.deadletter);
	assert_non_null(strstr(dl, "partition_by dt: the record has no ts"));
	free(dl);
}

/* A column the crawler widened to string (int + string: a conflict, merge.h) holds every
 * value as its JSON text: no record of either kind is refused. */
static void test_conflict_column(void **state)
{
	struct fx *fx = *state;
	job_add(&fx->lake->cfg, "mix", "mix", "mix_c", "");
	raw_put(fx, "mix/a.ndjson", "{\"id\":1,\"v\":1}\n{\"id\":2,\"v\":\"bad\"}\n"
				    "{\"id\":3,\"v\":{\"x\":[true]}}\n");
	crawl(fx);
	struct sl_etl_result r = run_ok(fx, "mix");
	assert_int_equal(r.rows_out, 3);
	assert_int_equal(r.rows_rejected, 0);
	char *rows = table_json(fx, "mix_c");
	assert_string_equal(rows, "{\"id\":1,\"v\":\"1\"}\n{\"id\":2,\"v\":\"bad\"}\n"
				  "{\"id\":3,\"v\":\"{\\\"x\\\":[true]}\"}\n");
	free(rows);
}

/* Many partitions interleaved: one file each (up to SL_ETL_MAX_OPEN_FILES open), and
 * under a tiny buffer budget the row groups are written out early instead (promise 4):
 * more row groups, not more files, every row once. */
static void test_many_partitions(void **state)
{
	struct fx *fx = *state;
	struct sl_buf b;
	sl_buf_init(&b, 0);
	for (int i = 1; i <= 20000; i++)
		sl_buf_printf(&b, "{\"id\":%d,\"v\":\"p%02d\",\"pad\":\"%0200d\"}\n", i, i % 20, i);
	raw_put(fx, "many/a.ndjson", b.data);
	sl_buf_release(&b);
	crawl(fx);
	job_add(&fx->lake->cfg, "many", "many", "many_c", "v");
	struct sl_etl_run_opts o = {.buffer_max = 1};
	struct sl_etl_result r;
	struct sl_err err = {0};
	if (sl_etl_run_job(fx->lake, "many", &o, &r, &err) != 0)
		fail_msg("run: %s", err.msg);
	assert_int_equal(r.rows_out, 20000);
	assert_int_equal(r.files, 20); /* more than the 8 of old, no file per visit */
	struct table_rows *t = malloc(sizeof(*t));
	table_read(fx, "many_c", t);
	assert_int_equal(t->n_files, 20);
	assert_ids(t, 20000);
	/* the budget wrote row groups out early: some file has more than one */
	int64_t groups = 0;
	for (size_t i = 0; i < t->n_files; i++) {
		struct sl_pq_read_opts po;
		struct sl_pq_reader *pr = NULL;
		struct sl_object obj;
		int fd;
		assert_int_equal(sl_store_open_fd(&fx->lake->store, "curated", t->files[i].key, &fd,
						  &obj, &err), 0);
		sl_pq_read_opts_default(&po);
		assert_int_equal(sl_pq_reader_open(fd, t->files[i].key, &po, &pr, &err), 0);
		groups += (int64_t)sl_pq_reader_meta(pr)->n_row_groups;
		sl_pq_reader_close(pr);
		close(fd);
	}
	assert_true(groups > 20);
	free(t);
}

static void test_rollover(void **state)
{
	struct fx *fx = *state;
	struct sl_job_conf *j = job_add(&fx->lake->cfg, "daily", "events", "events_daily", "dt");
	j->target_file_size = 2048;
	put_day(fx, "events/a.ndjson", 1, 2000, 1);
	crawl(fx);
	struct sl_etl_result r = run_ok(fx, "daily");
	assert_int_equal(r.rows_out, 2000);
	assert_true(r.files >= 3);
	struct table_rows *t = malloc(sizeof(*t));
	table_read(fx, "events_daily", t);
	assert_int_equal((int64_t)t->n_files, r.files);
	int64_t total = 0;
	for (size_t i = 0; i < t->n_files; i++) {
		char want[128];
		snprintf(want, sizeof(want), "events_daily/dt=2026-01-01/part-r1-%03zu.parquet", i);
		assert_non_null(find_file(t, want));
		assert_true(t->files[i].records > 0);
		total += t->files[i].bytes;
	}
	assert_int_equal(total, r.bytes);
	assert_ids(t, 2000);
	free(t);
}

/* layout nested: no catalog rows at commit; the crawler catalogues the files from their
 * footers after their object-created events */
static void test_nested(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	struct sl_job_conf *j = job_add(&fx->lake->cfg, "nest", "events", "events_nested", "dt");
	snprintf(j->layout, sizeof(j->layout), "nested");
	put_day(fx, "events/a.ndjson", 1, 4, 1);
	crawl(fx);
	struct sl_etl_result r = run_ok(fx, "nest");
	assert_int_equal(r.files, 1);
	struct sl_cat_table t;
	memset(&t, 0, sizeof(t));
	assert_int_equal(fx->m->ops->catalog_table_get(fx->m->state, "curated", "events_nested",
						       &t, &err), SL_ENOENT);
	crawl(fx);
	assert_int_equal(fx->m->ops->catalog_table_get(fx->m->state, "curated", "events_nested",
						       &t, &err), 0);
	assert_int_equal(t.records, 4);
	assert_string_equal(t.partition_keys, "dt");
	sl_cat_table_release(&t);
	assert_table_ids(fx, "events_nested", 4);
}

/* ---- source formats -------------------------------------------------------------------- */

static int64_t raw_put_bytes(struct fx *fx, const char *key, const void *data, size_t len)
{
	struct sl_object o;
	struct sl_err err = {0};
	if (sl_store_put_mem(&fx->lake->store, "raw", key, data, len, NULL, &o, &err) != 0)
		fail_msg("put %s: %s", key, err.msg);
	return o.seq;
}

static void gzip_mem(const char *in, size_t len, char **out, size_t *out_len)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
	size_t cap = deflateBound(&z, len) + 64;
	*out = malloc(cap);
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)*out;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	*out_len = cap - z.avail_out;
	deflateEnd(&z);
}

/* gzip and zstd NDJSON, and a JSON array spread over lines, all read record by record */
static void test_formats(void **state)
{
	struct fx *fx = *state;
	job_add(&fx->lake->cfg, "daily", "events", "events_daily", "dt");
	char *t = day_records(1, 3, 1), *gz;
	size_t gz_len;
	gzip_mem(t, strlen(t), &gz, &gz_len);
	raw_put_bytes(fx, "events/a.ndjson.gz", gz, gz_len);
	free(gz);
	free(t);
	t = day_records(4, 6, 2);
	size_t zcap = ZSTD_compressBound(strlen(t));
	char *zs = malloc(zcap);
	size_t zlen = ZSTD_compress(zs, zcap, t, strlen(t), 3);
	assert_false(ZSTD_isError(zlen));
	raw_put_bytes(fx, "events/b.ndjson.zst", zs, zlen);
	free(zs);
	free(t);
	raw_put(fx, "events/c.json",
		"[\n  {\"id\": 7,\n   \"ts\": \"2026-01-03T01:00:00Z\", \"v\": \"x\"},\n"
		"  {\"id\": 8, \"ts\": \"2026-01-03T02:00:00Z\",\n \"v\": \"y\"}\n]\n");
	crawl(fx);
	struct sl_etl_result r = run_ok(fx, "daily");
	assert_int_equal(r.objects, 3);
	assert_int_equal(r.rows_out, 8);
	assert_int_equal(r.files, 3);
	assert_table_ids(fx, "events_daily", 8);
}

/* a raw table of Parquet objects is read through the Parquet reader */
static void test_parquet_source(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	struct sl_buf file;
	struct sl_pq_sink sink;
	struct sl_pq_writer *w = NULL;
	struct sl_pq_write_opts wo;
	const char tt[] = "struct<id:int64 not null,ts:timestamp(us),v:string>";
	struct sl_type *ty = sl_type_parse(tt, strlen(tt), &err);
	assert_non_null(ty);
	sl_buf_init(&file, 0);
	sl_pq_sink_buf(&sink, &file);
	sl_pq_write_opts_default(&wo);
	assert_int_equal(sl_pq_writer_open(ty, &wo, &sink, &w, &err), 0);
	const char *rows[] = {"{\"id\":1,\"ts\":\"2026-01-01T10:00:00Z\",\"v\":\"a\"}",
			      "{\"id\":2,\"ts\":\"2026-01-02T10:00:00Z\"}",
			      "{\"id\":3,\"v\":\"no ts\"}"};
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(sl_pq_writer_put_json_text(w, rows[i], strlen(rows[i]), &err), 0);
	assert_int_equal(sl_pq_writer_close(w, &err), 0);
	sl_pq_writer_free(w);
	raw_put_bytes(fx, "pq/p.parquet", file.data, file.len);
	sl_buf_release(&file);
	sl_type_free(ty);
	crawl(fx);
	job_add(&fx->lake->cfg, "pq", "pq", "pq_daily", "dt");
	struct sl_etl_result r = run_ok(fx, "pq");
	assert_int_equal(r.rows_in, 3);
	assert_int_equal(r.rows_out, 2);
	assert_int_equal(r.rows_rejected, 1); /* id 3 has no ts */
	assert_int_equal(r.files, 2);
	assert_table_ids(fx, "pq_daily", 2);
}

/* max_objects: a run reads at most that many objects; the next one goes on from there */
static void test_max_objects(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	struct sl_etl_result r;
	job_add(&fx->lake->cfg, "daily", "events", "events_daily", "dt");
	int64_t s1 = put_day(fx, "events/a.ndjson", 1, 2, 1);
	put_day(fx, "events/b.ndjson", 3, 4, 1);
	put_day(fx, "events/c.ndjson", 5, 6, 1);
	crawl(fx);
	struct sl_etl_run_opts o = {.max_objects = 1};
	assert_int_equal(sl_etl_run_job(fx->lake, "daily", &o, &r, &err), 0);
	assert_int_equal(r.objects, 1);
	assert_int_equal(r.to_seq, s1);
	assert_table_ids(fx, "events_daily", 2);
	r = run_ok(fx, "daily");
	assert_int_equal(r.objects, 2);
	assert_table_ids(fx, "events_daily", 6);
}

/* A run that fails after its dead letter was put (its target's name is another table's,
 * found at commit): nothing stays, neither files nor the dead letter. */
static void test_failure_cleans_up(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	struct sl_etl_result r;
	struct sl_object o;
	/* curated.logs_daily, made by the crawler at logs/daily/ */
	struct sl_crawl_conf *cc = &fx->lake->cfg.crawl;
	cc->families[cc->n_families] = cc->defaults;
	snprintf(cc->families[cc->n_families].name, sizeof(cc->families[0].name), "logs");
	cc->families[cc->n_families++].depth = 2;
	assert_int_equal(sl_store_put_mem(&fx->lake->store, "curated", "logs/daily/a.ndjson",
					  "{\"x\":1}\n", 8, NULL, &o, &err), 0);
	put_with_bad_records(fx);
	job_add(&fx->lake->cfg, "daily", "events", "logs_daily", "dt");
	int before = curated_files(fx);
	assert_int_equal(sl_etl_run_job(fx->lake, "daily", NULL, &r, &err), SL_EINVAL);
	assert_non_null(strstr(err.msg, "logs/daily/"));
	assert_false(r.committed);
	assert_string_equal(r.deadletter, "");
	assert_string_equal(run_get(fx, "daily", 1).state, SL_RUN_FAILED);
	assert_int_equal(curated_files(fx), before);
	assert_int_equal(fx->m->ops->object_get(fx->m->state, "deadletter",
						"etl/daily/run-1.ndjson", &o, NULL), SL_ENOENT);
	assert_int_equal(bookmark(fx, "daily").seq, 0);
}

/* Jobs as sluice.yaml declares them: a source family whose table name differs from it,
 * the default target, and a default job switched on with one line. */
static void test_yaml_jobs(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	char path[4096];
	const char yaml[] = "etl:\n"
			    "  default_jobs: [Clicks]\n"
			    "  defaults:\n"
			    "    partition_by: dt\n"
			    "  jobs:\n"
			    "    weblogs:\n"
			    "      source: Web-Logs\n";
	snprintf(path, sizeof(path), "%s/sluice.yaml", fx->dir);
	th_write_file(path, yaml, strlen(yaml));
	if (sl_config_load(path, &fx->lake->cfg, &err) != 0)
		fail_msg("config: %s", err.msg);
	put_day(fx, "Web-Logs/a.ndjson", 1, 3, 4);
	put_day(fx, "Clicks/a.ndjson", 1, 2, 5);
	crawl(fx);
	struct sl_etl_result r = run_ok(fx, "weblogs");
	assert_int_equal(r.rows_out, 3);
	struct table_rows *t = malloc(sizeof(*t));
	table_read(fx, "web_logs", t);
	assert_non_null(find_file(t, "web_logs/dt=2026-01-04/part-r1-000.parquet"));
	assert_ids(t, 3);
	r = run_ok(fx, "Clicks");
	assert_int_equal(r.rows_out, 2);
	table_read(fx, "clicks", t);
	assert_non_null(find_file(t, "clicks/dt=2026-01-05/part-r1-000.parquet"));
	assert_ids(t, 2);
	free(t);
}

/* ---- recovery ----------------------------------------------------------------------- */

/* A run that staged and published a file and a dead letter, then died without
 * committing: the next run removes both before reading anything. */
static void test_recovery_simulated(void **state)
{
	struct fx *fx = *state;
	struct sl_meta *m = fx->m;
	struct sl_store *s = &fx->lake->store;
	struct sl_err err = {0};
	struct sl_etl_run run;
	struct sl_fingerprint fp;
	struct sl_object o;
	const char *key = "events_daily/dt=2026-01-01/part-r1-000.parquet";
	void *w = NULL;
	job_add(&fx->lake->cfg, "daily", "events", "events_daily", "dt");
	put_day(fx, "events/a.ndjson", 1, 5, 1);
	crawl(fx);

	assert_int_equal(m->ops->etl_lease(m->state, "daily", "ghost:1:dead", 60000, sl_now_ms(),
					   &err), 0);
	assert_int_equal(m->ops->etl_run_begin(m->state, "daily", "ghost:1:dead", sl_now_ms(),
					       &run, &err), 0);
	assert_int_equal(run.id, 1);
	assert_int_equal(m->ops->etl_stage(m->state, "daily", 1, "ghost:1:dead", "curated", &key,
					   1, sl_now_ms(), &err), 0);
	assert_int_equal(s->ops->put_begin(s->state, "curated", key, &w, &err), 0);
	assert_int_equal(s->ops->put_write(w, "PAR1 half a file", 16, &err), 0);
	assert_int_equal(s->ops->put_publish(w, &fp, &err), 0);
	assert_int_equal(s->ops->put_finish(w, true, &err), 0);
	assert_int_equal(sl_store_put_mem(s, "deadletter", "etl/daily/run-1.ndjson", "{}\n", 3,
					  NULL, &o, &err), 0);
	assert_int_equal(m->ops->etl_run_fail(m->state, "daily", 1, "simulated death",
					      sl_now_ms(), &err), 0);
	m->ops->etl_lease_release(m->state, "daily", "ghost:1:dead");
	assert_int_equal(curated_files(fx), 1);

	struct sl_etl_result r = run_ok(fx, "daily");
	assert_int_equal(r.recovered, 1);
	assert_int_equal(r.run_id, 2);
	assert_int_equal(r.rows_out, 5);
	assert_int_equal(curated_files(fx), 1); /* run 2's only */
	assert_int_equal(m->ops->object_get(m->state, "deadletter", "etl/daily/run-1.ndjson", &o,
					    NULL), SL_ENOENT);
	assert_int_equal(m->ops->object_get(m->state, "curated", key, &o, NULL), SL_ENOENT);
	assert_table_ids(fx, "events_daily", 5);
	/* nothing left to recover */
	int64_t removed = -1;
	assert_int_equal(sl_etl_recover(fx->lake, &removed, &err), 0);
	assert_int_equal(removed, 0);
}

/* Real crashes: a child re-executes this binary to run the job with SLUICE_TEST_CRASH
 * set (the hook reads it once per process) and a short lease. */
#define CRASH_LEASE_MS 1000

static void crash_job(struct sl_config *cfg)
{
	job_add(cfg, "daily", "events", "events_daily", "dt");
}

static int crash_child(const char *dir, const char *point)
{
	char hook[64];
	struct sl_err err = {0};
	snprintf(hook, sizeof(hook), "%s:100", point);
	struct sl_lake *lake = th_crash_child_open(dir, hook);
	if (!lake)
		return 2;
	crash_job(&lake->cfg);
	lake->cfg.etl.lease_ms = CRASH_LEASE_MS;
	int rc = sl_etl_run_job(lake, "daily", NULL, NULL, &err);
	fprintf(stderr, "child: the crash point %s was not reached (%d: %s)\n", point, rc, err.msg);
	sl_lake_close(lake);
	return 3;
}

static void crash_at(struct fx *fx, const char *point)
{
	th_crash_child_run(fx->dir, point);
}

static void crash_case(struct fx *fx, const char *point, int files_left, int64_t recovered,
		       const char *run1_state)
{
	struct sl_etl_result r;
	crash_job(&fx->lake->cfg);
	put_day(fx, "events/a.ndjson", 1, 3, 1);
	put_day(fx, "events/b.ndjson", 4, 6, 2);
	crawl(fx);
	crash_at(fx, point);
	assert_int_equal(curated_files(fx), files_left);
	/* the dead run's lease holds until it runs out */
	sl_sleep_ms(CRASH_LEASE_MS + 100);
	r = run_ok(fx, "daily");
	assert_int_equal(r.recovered, recovered);
	assert_string_equal(run_get(fx, "daily", 1).state, run1_state);
	assert_table_ids(fx, "events_daily", 6);
	struct table_rows *t = malloc(sizeof(*t));
	table_read(fx, "events_daily", t);
	assert_int_equal(curated_files(fx), (int)t->n_files);
	free(t);
}

static void test_crash_written(void **state)
{
	crash_case(*state, "written", 0, 0, SL_RUN_FAILED);
}

static void test_crash_published(void **state)
{
	crash_case(*state, "published", 2, 2, SL_RUN_FAILED);
}

static void test_crash_committed(void **state)
{
	crash_case(*state, "committed", 2, 0, SL_RUN_COMMITTED);
}

/* ---- bad jobs ---------------------------------------------------------------------- */

static void test_bad_jobs(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	struct sl_etl_result r;
	assert_int_equal(sl_etl_run_job(fx->lake, "nope", NULL, &r, &err), SL_ENOENT);
	assert_non_null(strstr(err.msg, "nope"));
	assert_int_equal(sl_etl_run_job(fx->lake, "../x", NULL, &r, &err), SL_EINVAL);
	/* a partition column the output lacks fails the run before it reads anything */
	put_day(fx, "events/a.ndjson", 1, 3, 1);
	crawl(fx);
	job_add(&fx->lake->cfg, "hour", "events", "events_h", "hour");
	assert_int_equal(sl_etl_run_job(fx->lake, "hour", NULL, &r, &err), SL_ECONFIG);
	assert_non_null(strstr(err.msg, "partition_by column hour is not a column"));
	assert_int_equal(run_get(fx, "hour", 1).rows_in, 0);
	assert_int_equal(bookmark(fx, "hour").seq, 0);
	/* a source the crawler has not seen: the run fails and says so */
	job_add(&fx->lake->cfg, "ghost", "ghosts", "ghosts_c", "");
	assert_int_equal(sl_etl_run_job(fx->lake, "ghost", NULL, &r, &err), SL_ENOENT);
	assert_non_null(strstr(err.msg, "no raw table ghosts"));
	assert_string_equal(run_get(fx, "ghost", 1).state, SL_RUN_FAILED);
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "--crash-child") == 0)
		return crash_child(argv[2], argv[3]);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_incremental_days, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idempotent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rewind_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_on_error_fail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deadletter_content, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lease_of_a_dead_process, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lease, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stops_before_uncrawled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_passes_rejected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_source_partitions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partition_columns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partition_columns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_conflict_column, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_partitions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollover, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nested, setup, teardown),
		cmocka_unit_test_setup_teardown(test_formats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parquet_source, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_objects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_cleans_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_yaml_jobs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recovery_simulated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_written, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_published, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_committed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_jobs, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
