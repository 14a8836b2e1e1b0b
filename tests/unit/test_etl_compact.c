/*
 * test_etl_compact.c - merging small files of curated tables (etl/compact.h) on scratch
 * lakes: a job runs several times over few records, which leaves small files per
 * partition, then the table is compacted through the library:
 *   rows preserved exactly (every row's JSON, read back with the Parquet reader, and the
 *   per-record ids 1..n, each once), the small files retired and removed, the catalog's
 *   partition counts, a partition with one small file left alone, the pseudo job's run
 *   and bookmark, nothing to do the second time; files rolling over at a small target
 *   size; one partition only; the unpartitioned table;
 *   concurrency: the job committing a new file between the compaction's read and its
 *   commit (the file stays active, the compaction commits), a reset of the job in
 *   between (sl_etl_reset waits for the compaction; one straight through the metadata
 *   store makes the compaction stale, and it commits nothing); a rewind after a
 *   compaction, to before the merged runs and after them (exact);
 *   refusals: a row the table's current row type cannot hold, a file whose rows disagree
 *   with its catalog row, a raw table, unknown tables and partitions, sizes, the lease;
 *   real crashes (SIGKILL in a child that re-executes this binary): at
 *   "compact_published" the old files stay active, and the next compaction's recovery
 *   removes the new ones and merges again; at "compact_committed" the merged files are
 *   the table's, and the next compaction finishes the small files' removal.
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

#include <sqlite3.h>

#include "crawl/crawl.h"
#include "etl/compact.h"
#include "etl/run.h"
#include "helpers.h"
#include "json/json.h"
#include "lake/lake.h"
#include "parquet/reader.h"
#include "store/store.h"
#include "util/clock.h"

/* ---- fixture ---------------------------------------------------------------------- */

struct fx {
	char *dir;
	struct sl_lake *lake;
	struct sl_crawl_stage *st;
	struct sl_meta *m;
	int64_t next_id;
};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct sl_err err = {0};
	fx->lake = th_lake_new("etlcompact", &fx->dir);
	fx->m = &fx->lake->meta;
	fx->next_id = 1;
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

static struct sl_job_conf *job_add(struct sl_config *cfg, const char *name, const char *target,
				   const char *partition_by)
{
	struct sl_etl_conf *ec = &cfg->etl;
	struct sl_job_conf *j = &ec->jobs[ec->n_jobs++];
	memset(j, 0, sizeof(*j));
	snprintf(j->name, sizeof(j->name), "%s", name);
	snprintf(j->source, sizeof(j->source), "events");
	snprintf(j->target, sizeof(j->target), "%s", target);
	snprintf(j->layout, sizeof(j->layout), "flat");
	snprintf(j->codec, sizeof(j->codec), "zstd");
	j->target_file_size = (int64_t)128 << 20;
	snprintf(j->on_error, sizeof(j->on_error), "deadletter");
	snprintf(j->partition_by, sizeof(j->partition_by), "%s", partition_by);
	return j;
}

/* n records on 2026-01-DAY with the next ids, put to raw/key. */
static void put_day(struct fx *fx, const char *key, int n, int day)
{
	struct sl_buf buf;
	struct sl_object o;
	struct sl_err err = {0};
	sl_buf_init(&buf, 0);
	for (int i = 0; i < n; i++, fx->next_id++)
		assert_int_equal(sl_buf_printf(&buf,
					       "{\"id\":%" PRId64 ",\"ts\":\"2026-01-%02dT10:%02d:"
					       "00Z\",\"v\":\"r%" PRId64 "\",\"x\":%.3f}\n",
					       fx->next_id, day, (int)(fx->next_id % 60),
					       fx->next_id, (double)fx->next_id / 7),
				 0);
	if (sl_store_put_mem(&fx->lake->store, "raw", key, buf.data, buf.len, NULL, &o, &err) != 0)
		fail_msg("put %s: %s", key, err.msg);
	sl_buf_release(&buf);
}

static void crawl(struct fx *fx)
{
	struct sl_crawl_run_opts o = {.drain = true, .batch_wait_ms = 0};
	struct sl_crawl_result r;
	struct sl_err err = {0};
	if (sl_crawl_run(fx->st, &o, &r, &err) != 0)
		fail_msg("crawl: %s", err.msg);
}

static struct sl_etl_result run_ok(struct fx *fx, const char *job)
{
	struct sl_etl_result res;
	struct sl_err err = {0};
	if (sl_etl_run_job(fx->lake, job, NULL, &res, &err) != 0)
		fail_msg("run %s: %s", job, err.msg);
	assert_true(res.committed);
	return res;
}

/* Job "daily" (partition_by dt) over `runs` runs, each reading one object of day 1 and
 * one of day 2 (n records each); the last run also reads one of day 3. Every run leaves
 * one small file in each partition it writes. */
static void small_files(struct fx *fx, int runs, int n)
{
	char key[64];
	for (int r = 1; r <= runs; r++) {
		snprintf(key, sizeof(key), "events/r%d-d1.ndjson", r);
		put_day(fx, key, n, 1);
		snprintf(key, sizeof(key), "events/r%d-d2.ndjson", r);
		put_day(fx, key, n, 2);
		if (r == runs) {
			snprintf(key, sizeof(key), "events/r%d-d3.ndjson", r);
			put_day(fx, key, n, 3);
		}
		crawl(fx);
		run_ok(fx, "daily");
	}
}

static int compact(struct fx *fx, const char *table, const char *part,
		   const struct sl_etl_compact_opts *o, struct sl_etl_compact_result *res,
		   struct sl_err *err)
{
	return sl_etl_compact(fx->lake, table, part, o, res, err);
}

static void compact_ok(struct fx *fx, const char *table, const char *part,
		       const struct sl_etl_compact_opts *o, struct sl_etl_compact_result *res)
{
	struct sl_err err = {0};
	if (compact(fx, table, part, o, res, &err) != 0)
		fail_msg("compact %s: %s", table, err.msg);
}

/* ---- what a curated table holds --------------------------------------------------------- */

#define MAX_FILES 256
#define MAX_ROWS 8192

struct cfile {
	char key[SL_KEY_MAX + 1];
	char part[SL_CAT_PART_MAX];
	int64_t seq, records, bytes;
	bool has_stats;
};

struct table_rows {
	struct cfile files[MAX_FILES];
	size_t n_files;
	int64_t ids[MAX_ROWS];
	char *rows[MAX_ROWS]; /* each row's JSON, as the reader gives it; sorted */
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
	c->seq = f->seq;
	c->records = f->records;
	c->bytes = f->bytes;
	c->has_stats = f->stats && strstr(f->stats, "\"id\"");
	return 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void rows_free(struct table_rows *t)
{
	for (size_t i = 0; i < t->n_rows; i++)
		free(t->rows[i]);
	free(t);
}

/* Every row of the active files of curated.table, read back through the store (which
 * checks each file against its index row). */
static struct table_rows *table_read(struct fx *fx, const char *table)
{
	struct table_rows *t = calloc(1, sizeof(*t));
	struct sl_err err = {0};
	int rc = fx->m->ops->catalog_file_list(fx->m->state, "curated", table, NULL, true,
					       file_one, t, &err);
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
		assert_int_equal(obj.seq, t->files[i].seq);
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
			t->ids[t->n_rows] = id->u.i;
			t->rows[t->n_rows] = strndup(b.data, b.len);
			t->n_rows++;
			sl_json_tree_free(n);
			sl_buf_reset(&b);
		}
		assert_int_equal(got, 0);
		sl_buf_release(&b);
		sl_pq_rows_close(rows);
		sl_pq_reader_close(pr);
		close(fd);
	}
	qsort(t->rows, t->n_rows, sizeof(t->rows[0]), cmp_str);
	return t;
}

/* The table holds ids 1..n, each exactly once. */
static void assert_ids(struct table_rows *t, int64_t n)
{
	int64_t *ids = malloc(t->n_rows * sizeof(*ids) + 1);
	memcpy(ids, t->ids, t->n_rows * sizeof(*ids));
	qsort(ids, t->n_rows, sizeof(ids[0]), cmp_i64);
	if ((int64_t)t->n_rows != n)
		fail_msg("%zu rows, expected %" PRId64, t->n_rows, n);
	for (int64_t i = 0; i < n; i++)
		if (ids[i] != i + 1)
			fail_msg("row %" PRId64 ": id %" PRId64 " (a duplicate or a gap)", i,
				 ids[i]);
	free(ids);
}

/* The same rows, value for value. */
static void assert_same_rows(const struct table_rows *a, const struct table_rows *b)
{
	assert_int_equal(a->n_rows, b->n_rows);
	for (size_t i = 0; i < a->n_rows; i++)
		if (strcmp(a->rows[i], b->rows[i]) != 0)
			fail_msg("row %zu differs:\n  %s\n  %s", i, a->rows[i], b->rows[i]);
}

static size_t files_in(const struct table_rows *t, const char *part)
{
	size_t n = 0;
	for (size_t i = 0; i < t->n_files; i++)
		n += strcmp(t->files[i].part, part) == 0;
	return n;
}

static const struct cfile *find_file(const struct table_rows *t, const char *key)
{
	for (size_t i = 0; i < t->n_files; i++)
		if (strcmp(t->files[i].key, key) == 0)
			return &t->files[i];
	return NULL;
}

static const struct sl_etl_compact_part *find_part(const struct sl_etl_compact_result *r,
						   const char *part)
{
	for (size_t i = 0; i < r->n_parts; i++)
		if (strcmp(r->parts[i].part, part) == 0)
			return &r->parts[i];
	return NULL;
}

static struct sl_cat_partition get_part(struct fx *fx, const char *table, const char *part);

struct part_find {
	const char *part;
	struct sl_cat_partition p;
	bool found;
};

static int part_one(void *ctx, const struct sl_cat_partition *p)
{
	struct part_find *pf = ctx;
	if (strcmp(p->part, pf->part) == 0) {
		pf->p = *p;
		pf->found = true;
	}
	return 0;
}

static struct sl_cat_partition get_part(struct fx *fx, const char *table, const char *part)
{
	struct part_find pf = {.part = part};
	struct sl_err err = {0};
	if (fx->m->ops->catalog_partition_list(fx->m->state, "curated", table, part_one, &pf,
					       &err) != 0)
		fail_msg("partitions of %s: %s", table, err.msg);
	if (!pf.found)
		fail_msg("no partition %s", part);
	return pf.p;
}

/* The id of the first row of curated/key, in file order. */
static int64_t first_id(struct fx *fx, const char *key)
{
	struct sl_object obj;
	struct sl_pq_read_opts po;
	struct sl_pq_reader *pr = NULL;
	struct sl_pq_rows *rows = NULL;
	struct sl_json_error e;
	struct sl_err err = {0};
	struct sl_buf b;
	int fd;
	if (sl_store_open_fd(&fx->lake->store, "curated", key, &fd, &obj, &err) != 0)
		fail_msg("open %s: %s", key, err.msg);
	sl_pq_read_opts_default(&po);
	assert_int_equal(sl_pq_reader_open(fd, key, &po, &pr, &err), 0);
	assert_int_equal(sl_pq_rows_open(pr, NULL, 0, NULL, 0, &rows, &err), 0);
	sl_buf_init(&b, 0);
	assert_int_equal(sl_pq_rows_next(rows, &b, &err), 1);
	struct sl_json_node *n = sl_json_tree_parse(b.data, b.len, NULL, &e);
	assert_non_null(n);
	int64_t id = sl_json_get(n, "id")->u.i;
	sl_json_tree_free(n);
	sl_buf_release(&b);
	sl_pq_rows_close(rows);
	sl_pq_reader_close(pr);
	close(fd);
	return id;
}

/* Regular files in the lake's curated zone. */
static int curated_files(struct fx *fx)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/curated", fx->dir);
	return th_count_files(path);
}

static bool indexed(struct fx *fx, const char *key)
{
	struct sl_object o;
	return fx->m->ops->object_get(fx->m->state, "curated", key, &o, NULL) == 0;
}

static void sql(struct fx *fx, const char *text)
{
	char path[4096];
	sqlite3 *db;
	char *msg = NULL;
	snprintf(path, sizeof(path), "%s/.sluice/meta.db", fx->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_exec(db, text, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", text, msg);
	sqlite3_close(db);
}

#define D1 "dt=2026-01-01"
#define D2 "dt=2026-01-02"
#define D3 "dt=2026-01-03"

/* ---- merging --------------------------------------------------------------------------- */

static void test_merges_small_files(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	struct sl_etl_compact_result res;
	struct sl_etl_bookmark bm0, bm1;
	job_add(&fx->lake->cfg, "daily", "events_daily", "dt");
	small_files(fx, 4, 25);
	int64_t n = fx->next_id - 1;
	struct table_rows *before = table_read(fx, "events_daily");
	assert_int_equal(before->n_files, 9);
	assert_int_equal(files_in(before, D1), 4);
	assert_int_equal(files_in(before, D3), 1);
	assert_int_equal(fx->m->ops->etl_bookmark_get(fx->m->state, "daily", &bm0, &err), 0);

	compact_ok(fx, "events_daily", NULL, NULL, &res);
	assert_string_equal(res.job, "compact:curated.events_daily");
	assert_int_equal(res.runs, 1);
	assert_int_equal(res.last_run, 1);
	assert_int_equal(res.files_in, 8);
	assert_int_equal(res.files_out, 2);
	assert_int_equal(res.rows, 8 * 25);
	assert_int_equal(res.min_file_size, (int64_t)64 << 20); /* half the job's target */
	assert_int_equal(res.target_file_size, (int64_t)128 << 20);
	assert_int_equal(res.recovered, 0);
	assert_false(res.removal_pending);
	assert_int_equal(res.n_parts, 2); /* day 3's lone small file is left alone */
	const struct sl_etl_compact_part *p = find_part(&res, D1);
	assert_non_null(p);
	assert_int_equal(p->files_before, 4);
	assert_int_equal(p->files_after, 1);
	assert_int_equal(p->merged, 4);
	assert_int_equal(p->written, 1);
	assert_int_equal(p->rows, 100);
	assert_int_equal(p->run_id, 1);
	assert_true(p->bytes_before > 0 && p->bytes_after > 0);
	assert_null(find_part(&res, D3));

	struct table_rows *after = table_read(fx, "events_daily");
	assert_same_rows(before, after);
	assert_ids(after, n);
	assert_int_equal(after->n_files, 3);
	const struct cfile *m1 = find_file(after, "events_daily/" D1 "/part-c1-000.parquet");
	const struct cfile *m2 = find_file(after, "events_daily/" D2 "/part-c1-001.parquet");
	assert_non_null(m1);
	assert_non_null(m2);
	assert_int_equal(m1->records, 100);
	assert_true(m1->has_stats);
	assert_int_equal(m1->bytes, p->bytes_after);
	assert_non_null(find_file(after, "events_daily/" D3 "/part-r4-002.parquet"));
	/* the small files: retired in the catalog, gone from the index and the zone */
	for (size_t i = 0; i < before->n_files; i++) {
		if (strcmp(before->files[i].part, D3) == 0)
			continue;
		struct sl_cat_file f;
		assert_false(indexed(fx, before->files[i].key));
		assert_int_equal(fx->m->ops->catalog_file_get(fx->m->state, "curated",
							      before->files[i].key, &f, &err), 0);
		assert_string_equal(f.state, SL_CAT_FILE_RETIRED);
		sl_cat_file_release(&f);
	}
	assert_int_equal(curated_files(fx), 3);
	/* the catalog's counts */
	struct sl_cat_partition cp = get_part(fx, "events_daily", D1);
	assert_int_equal(cp.objects, 1);
	assert_int_equal(cp.records, 100);
	assert_int_equal(cp.bytes, m1->bytes);
	cp = get_part(fx, "events_daily", D3);
	assert_int_equal(cp.objects, 1);
	assert_int_equal(cp.records, 25);
	struct sl_cat_table t;
	assert_int_equal(fx->m->ops->catalog_table_get(fx->m->state, "curated", "events_daily", &t,
						       &err), 0);
	assert_int_equal(t.n_files, 3);
	assert_int_equal(t.records, n);
	sl_cat_table_release(&t);
	/* the pseudo job: a committed run that read 8 files; its bookmark did not move, nor
	 * did the job's */
	struct sl_etl_run run;
	assert_int_equal(fx->m->ops->etl_run_get(fx->m->state, res.job, 1, &run, &err), 0);
	assert_string_equal(run.state, SL_RUN_COMMITTED);
	assert_int_equal(run.objects, 8);
	assert_int_equal(run.rows_in, 200);
	assert_int_equal(run.rows_out, 200);
	assert_int_equal(run.files, 2);
	assert_int_equal(run.to_seq, 0);
	assert_int_equal(fx->m->ops->etl_bookmark_get(fx->m->state, res.job, &bm1, &err), 0);
	assert_int_equal(bm1.seq, 0);
	assert_int_equal(fx->m->ops->etl_bookmark_get(fx->m->state, "daily", &bm1, &err), 0);
	assert_int_equal(bm1.seq, bm0.seq);
	assert_int_equal(bm1.last_committed, bm0.last_committed);
	sl_etl_compact_result_release(&res);

	/* nothing left to merge: no run */
	compact_ok(fx, "curated.events_daily", NULL, NULL, &res);
	assert_int_equal(res.runs, 0);
	assert_int_equal(res.last_run, 0);
	assert_int_equal(res.n_parts, 0);
	sl_etl_compact_result_release(&res);
	/* the job goes on beside the merged files */
	put_day(fx, "events/r5-d1.ndjson", 5, 1);
	crawl(fx);
	run_ok(fx, "daily");
	rows_free(after);
	after = table_read(fx, "events_daily");
	assert_ids(after, n + 5);
	assert_int_equal(files_in(after, D1), 2);
	/* nothing to recover */
	int64_t removed = -1;
	assert_int_equal(sl_etl_recover(fx->lake, &removed, &err), 0);
	assert_int_equal(removed, 0);
	rows_free(before);
	rows_free(after);
}

/* a small target: the merged rows roll over into several files, in commit order */
static void test_rollover(void **state)
{
	struct fx *fx = *state;
	struct sl_etl_compact_result res;
	job_add(&fx->lake->cfg, "daily", "events_daily", "dt");
	small_files(fx, 8, 60);
	struct table_rows *before = table_read(fx, "events_daily");
	for (size_t i = 0; i < before->n_files; i++)
		if (before->files[i].bytes >= 2048)
			fail_msg("%s is %" PRId64 " bytes: not small for this test",
				 before->files[i].key, before->files[i].bytes);
	struct sl_etl_compact_opts o = {.min_file_size = 2048, .target_file_size = 2048};
	compact_ok(fx, "events_daily", NULL, &o, &res);
	assert_int_equal(res.files_in, 16);
	const struct sl_etl_compact_part *p = find_part(&res, D1);
	assert_non_null(p);
	assert_true(p->written >= 2);
	assert_int_equal(p->rows, 480);
	struct table_rows *after = table_read(fx, "events_daily");
	assert_same_rows(before, after);
	assert_ids(after, fx->next_id - 1);
	assert_int_equal((int64_t)files_in(after, D1), p->written);
	/* in the order the rows were committed: run 1's first row of day 1 comes first, and
	 * the next file goes on after the last row of the one before */
	const struct cfile *first = find_file(after, "events_daily/" D1 "/part-c1-000.parquet");
	assert_non_null(first);
	assert_true(first->bytes >= 2048);
	assert_int_equal(first_id(fx, first->key), 1);
	assert_non_null(find_file(after, "events_daily/" D1 "/part-c1-001.parquet"));
	int64_t next = first_id(fx, "events_daily/" D1 "/part-c1-001.parquet");
	/* day 1's ids: run r holds 120 (r - 1) + 1 .. 120 (r - 1) + 60 */
	int64_t rank = ((next - 1) / 120) * 60 + (next - 1) % 120;
	assert_int_equal(rank, first->records);
	sl_etl_compact_result_release(&res);
	rows_free(before);
	rows_free(after);
}

/* --partition: only that one; the unpartitioned table's own folder is "" */
static void test_one_partition_and_unpartitioned(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	struct sl_etl_compact_result res;
	job_add(&fx->lake->cfg, "daily", "events_daily", "dt");
	job_add(&fx->lake->cfg, "flat", "events_flat", "");
	small_files(fx, 3, 10);
	run_ok(fx, "flat"); /* one file: the raw objects are not partitioned */
	put_day(fx, "events/more.ndjson", 10, 4);
	crawl(fx);
	run_ok(fx, "flat");
	run_ok(fx, "daily");
	compact_ok(fx, "events_daily", D2, NULL, &res);
	assert_int_equal(res.n_parts, 1);
	assert_string_equal(res.parts[0].part, D2);
	sl_etl_compact_result_release(&res);
	struct table_rows *t = table_read(fx, "events_daily");
	assert_int_equal(files_in(t, D1), 3);
	assert_int_equal(files_in(t, D2), 1);
	assert_ids(t, fx->next_id - 1);
	rows_free(t);
	assert_int_equal(compact(fx, "events_daily", "dt=1999-01-01", NULL, &res, &err),
			 SL_ENOENT);
	assert_non_null(strstr(err.msg, "dt=1999-01-01"));

	struct table_rows *before = table_read(fx, "events_flat");
	assert_int_equal(before->n_files, 2);
	compact_ok(fx, "events_flat", "", NULL, &res);
	assert_int_equal(res.files_in, 2);
	assert_int_equal(res.files_out, 1);
	sl_etl_compact_result_release(&res);
	struct table_rows *after = table_read(fx, "events_flat");
	assert_int_equal(after->n_files, 1);
	assert_string_equal(after->files[0].key, "events_flat/part-c1-000.parquet");
	assert_same_rows(before, after);
	rows_free(before);
	rows_free(after);
}

/* ---- concurrency ---------------------------------------------------------------------- */

static void concurrent_run(void *ctx)
{
	struct fx *fx = ctx;
	put_day(fx, "events/late.ndjson", 7, 1);
	crawl(fx);
	run_ok(fx, "daily");
}

/* The job commits a file between the compaction's read and its commit: that file stays
 * active beside the merged one, and no row is lost or doubled. */
static void test_concurrent_job_run(void **state)
{
	struct fx *fx = *state;
	struct sl_etl_compact_result res;
	job_add(&fx->lake->cfg, "daily", "events_daily", "dt");
	small_files(fx, 3, 20);
	struct sl_etl_compact_opts o = {.before_stage = concurrent_run, .before_stage_ctx = fx};
	compact_ok(fx, "events_daily", NULL, &o, &res);
	assert_int_equal(res.runs, 1);
	assert_int_equal(res.files_in, 6);
	sl_etl_compact_result_release(&res);
	struct table_rows *t = table_read(fx, "events_daily");
	assert_ids(t, fx->next_id - 1);
	assert_int_equal(files_in(t, D1), 2);
	assert_non_null(find_file(t, "events_daily/" D1 "/part-c1-000.parquet"));
	assert_non_null(find_file(t, "events_daily/" D1 "/part-r4-000.parquet"));
	struct sl_cat_partition cp = get_part(fx, "events_daily", D1);
	assert_int_equal(cp.objects, 2);
	assert_int_equal(cp.records, 3 * 20 + 7);
	assert_int_equal(curated_files(fx), (int)t->n_files);
	rows_free(t);
}

static int collect_key(void *ctx, const char *job, int64_t run_id, const char *zone,
		       const char *key)
{
	struct fx *fx = ctx;
	struct sl_err err = {0};
	(void)job;
	(void)run_id;
	assert_int_equal(sl_store_key_lock(&fx->lake->store, zone, key, &err), 0);
	assert_int_equal(sl_store_remove_finish(&fx->lake->store, zone, key, &err), 0);
	sl_store_key_unlock(&fx->lake->store, zone, key);
	return 0;
}

static void concurrent_reset(void *ctx)
{
	struct fx *fx = ctx;
	struct sl_meta *m = fx->m;
	struct sl_err err = {0};
	int64_t removed = 0;
	/* sl_etl_reset waits for the compaction (it holds the compaction's lease) ... */
	assert_int_equal(sl_etl_reset(fx->lake, "daily", &removed, &err), SL_EBUSY);
	assert_non_null(strstr(err.msg, "compaction"));
	/* ... a reset that does not know of it (straight through the metadata store) */
	assert_int_equal(m->ops->etl_lease(m->state, "daily", "rw:1:x", 60000, sl_now_ms(), &err),
			 0);
	assert_int_equal(m->ops->etl_rewind(m->state, "daily", 0, "rw:1:x", sl_now_ms(),
					    collect_key, fx, &err), 0);
	m->ops->etl_lease_release(m->state, "daily", "rw:1:x");
}

/* A reset of the job between the read and the commit retired the small files: the
 * compaction is stale, commits nothing, and its files are gone at once. */
static void test_concurrent_reset_is_stale(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	struct sl_etl_compact_result res;
	struct sl_etl_run run;
	job_add(&fx->lake->cfg, "daily", "events_daily", "dt");
	small_files(fx, 2, 10);
	struct sl_etl_compact_opts o = {.before_stage = concurrent_reset, .before_stage_ctx = fx};
	assert_int_equal(compact(fx, "events_daily", NULL, &o, &res, &err), SL_ESTALE);
	assert_non_null(strstr(err.msg, "retire"));
	assert_int_equal(res.runs, 0);
	assert_int_equal(res.last_run, 1);
	sl_etl_compact_result_release(&res);
	assert_int_equal(fx->m->ops->etl_run_get(fx->m->state, "compact:curated.events_daily", 1,
						 &run, &err), 0);
	assert_string_equal(run.state, SL_RUN_FAILED);
	assert_int_equal(curated_files(fx), 0);
	assert_false(indexed(fx, "events_daily/" D1 "/part-c1-000.parquet"));
	/* re-running the job brings every row back once */
	run_ok(fx, "daily");
	struct table_rows *t = table_read(fx, "events_daily");
	assert_ids(t, fx->next_id - 1);
	rows_free(t);
}

/* Rows of runs a compaction merged are in its files: a rewind to before them splits the
 * merged files (their lineage says which rows are whose) and is exact, as is one to a run
 * whose later runs all came after the compaction (test_etl_rewind.c has the rest). */
static void test_rewind_after_compaction(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	struct sl_etl_compact_result res;
	int64_t removed = 0;
	job_add(&fx->lake->cfg, "daily", "events_daily", "dt");
	small_files(fx, 3, 10);
	int64_t n3 = fx->next_id - 1;
	compact_ok(fx, "events_daily", NULL, NULL, &res);
	assert_int_equal(res.runs, 1);
	sl_etl_compact_result_release(&res);
	put_day(fx, "events/r4-d1.ndjson", 10, 1);
	crawl(fx);
	run_ok(fx, "daily"); /* run 4, after the compaction */
	int64_t n4 = fx->next_id - 1;

	assert_int_equal(sl_etl_rewind(fx->lake, "daily", 3, &removed, &err), 0);
	assert_int_equal(removed, 1);
	struct table_rows *t = table_read(fx, "events_daily");
	assert_ids(t, n3);
	rows_free(t);
	run_ok(fx, "daily");
	t = table_read(fx, "events_daily");
	assert_ids(t, n4);
	rows_free(t);

	/* runs 1 and 2 (20 records a run) are merged with run 3's */
	assert_int_equal(sl_etl_rewind(fx->lake, "daily", 1, &removed, &err), 0);
	t = table_read(fx, "events_daily");
	assert_ids(t, 20);
	assert_int_equal(curated_files(fx), (int)t->n_files);
	rows_free(t);
	run_ok(fx, "daily");
	t = table_read(fx, "events_daily");
	assert_ids(t, n4);
	rows_free(t);
}

/* ---- refusals ------------------------------------------------------------------------- */

/* Nothing of a refused compaction is visible: the same files, the same rows. */
static void assert_untouched(struct fx *fx, const struct table_rows *before)
{
	struct table_rows *now = table_read(fx, "events_daily");
	assert_int_equal(now->n_files, before->n_files);
	for (size_t i = 0; i < before->n_files; i++)
		assert_non_null(find_file(now, before->files[i].key));
	assert_same_rows(before, now);
	assert_int_equal(curated_files(fx), (int)before->n_files);
	rows_free(now);
}

/* A row the table's current row type cannot hold exactly (here: v became int64 in the
 * catalog) fails the compaction; so does a file whose rows disagree with its catalog
 * row. */
static void test_rows_must_fit(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	struct sl_etl_compact_result res;
	struct sl_cat_table t;
	char text[4096];
	job_add(&fx->lake->cfg, "daily", "events_daily", "dt");
	small_files(fx, 2, 10);
	struct table_rows *before = table_read(fx, "events_daily");
	assert_int_equal(fx->m->ops->catalog_table_get(fx->m->state, "curated", "events_daily", &t,
						       &err), 0);
	char *v = strstr(t.schema, "v:string");
	if (!v)
		fail_msg("schema %s has no v:string", t.schema);
	snprintf(text, sizeof(text), "UPDATE cat_tables SET schema='%.*sv:int64%s' WHERE "
		 "db='curated' AND name='events_daily'", (int)(v - t.schema), t.schema,
		 v + strlen("v:string"));
	sl_cat_table_release(&t);
	sql(fx, text);
	assert_int_equal(compact(fx, "events_daily", NULL, NULL, &res, &err), SL_EINVAL);
	assert_non_null(strstr(err.msg, "does not fit the table's row type"));
	assert_int_equal(res.runs, 0);
	sl_etl_compact_result_release(&res);
	assert_untouched(fx, before);

	/* back to the real schema; a catalog row that counts one row too many */
	snprintf(text, sizeof(text), "UPDATE cat_tables SET schema=(SELECT schema FROM "
		 "cat_versions WHERE db='curated' AND name='events_daily' AND version=1) WHERE "
		 "db='curated' AND name='events_daily'");
	sql(fx, text);
	snprintf(text, sizeof(text), "UPDATE cat_files SET records=records+1 WHERE key='%s'",
		 before->files[1].key);
	sql(fx, text);
	assert_int_equal(compact(fx, "events_daily", NULL, NULL, &res, &err), SL_ECORRUPT);
	assert_non_null(strstr(err.msg, "catalog row says"));
	sl_etl_compact_result_release(&res);
	snprintf(text, sizeof(text), "UPDATE cat_files SET records=records-1 WHERE key='%s'",
		 before->files[1].key);
	sql(fx, text);
	assert_untouched(fx, before);
	rows_free(before);
}

static void test_refusals(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	struct sl_etl_compact_result res;
	job_add(&fx->lake->cfg, "daily", "events_daily", "dt");
	small_files(fx, 2, 5);
	struct table_rows *before = table_read(fx, "events_daily");
	/* raw objects are the jobs' input: never compacted */
	assert_int_equal(compact(fx, "raw.events", NULL, NULL, &res, &err), SL_EINVAL);
	assert_non_null(strstr(err.msg, "not a curated table"));
	assert_int_equal(compact(fx, "events", NULL, NULL, &res, &err), SL_ENOENT);
	assert_int_equal(compact(fx, "curated.nope", NULL, NULL, &res, &err), SL_ENOENT);
	assert_int_equal(compact(fx, "Bad-Name", NULL, NULL, &res, &err), SL_EINVAL);
	assert_int_equal(compact(fx, "curated.", NULL, NULL, &res, &err), SL_EINVAL);
	assert_int_equal(compact(fx, NULL, NULL, NULL, &res, &err), SL_EINVAL);
	/* a smallest size over the target would merge merged files again */
	struct sl_etl_compact_opts o = {.min_file_size = 10000, .target_file_size = 5000};
	assert_int_equal(compact(fx, "events_daily", NULL, &o, &res, &err), SL_EINVAL);
	o = (struct sl_etl_compact_opts){.min_file_size = -1};
	assert_int_equal(compact(fx, "events_daily", NULL, &o, &res, &err), SL_EINVAL);
	/* another compaction of the table holds the lease */
	assert_int_equal(fx->m->ops->etl_lease(fx->m->state, "compact:curated.events_daily",
					       "other:1:x", 60000, sl_now_ms(), &err), 0);
	assert_int_equal(compact(fx, "events_daily", NULL, NULL, &res, &err), SL_EBUSY);
	assert_non_null(strstr(err.msg, "other:1:x"));
	assert_untouched(fx, before);
	fx->m->ops->etl_lease_release(fx->m->state, "compact:curated.events_daily", "other:1:x");
	compact_ok(fx, "events_daily", NULL, NULL, &res);
	assert_int_equal(res.runs, 1);
	sl_etl_compact_result_release(&res);
	rows_free(before);
}

/* ---- a real crash ----------------------------------------------------------------------- */

#define CRASH_LEASE_MS 1000

static int crash_child(const char *dir, const char *point)
{
	char hook[64];
	struct sl_err err = {0};
	snprintf(hook, sizeof(hook), "%s:100", point);
	struct sl_lake *lake = th_crash_child_open(dir, hook);
	if (!lake)
		return 2;
	job_add(&lake->cfg, "daily", "events_daily", "dt");
	lake->cfg.etl.lease_ms = CRASH_LEASE_MS;
	int rc = sl_etl_compact(lake, "events_daily", NULL, NULL, NULL, &err);
	fprintf(stderr, "child: the crash point %s was not reached (%d: %s)\n", point, rc, err.msg);
	sl_lake_close(lake);
	return 3;
}

static void crash_at(struct fx *fx, const char *point)
{
	th_crash_child_run(fx->dir, point);
}

/* Killed after publishing, before the commit: the old files stay active (the new ones
 * are in the zone, not indexed); the next compaction's recovery removes the new ones and
 * merges again. */
static void test_crash_published(void **state)
{
	struct fx *fx = *state;
	struct sl_etl_compact_result res;
	job_add(&fx->lake->cfg, "daily", "events_daily", "dt");
	small_files(fx, 3, 10);
	struct table_rows *before = table_read(fx, "events_daily");
	assert_int_equal(before->n_files, 7);
	crash_at(fx, "compact_published");
	struct table_rows *now = table_read(fx, "events_daily");
	assert_int_equal(now->n_files, 7);
	assert_same_rows(before, now);
	rows_free(now);
	assert_int_equal(curated_files(fx), 7 + 2); /* published, never indexed */
	assert_false(indexed(fx, "events_daily/" D1 "/part-c1-000.parquet"));
	/* the dead compaction's lease is broken at once (its process is gone) */
	compact_ok(fx, "events_daily", NULL, NULL, &res);
	assert_int_equal(res.recovered, 2);
	assert_int_equal(res.runs, 1);
	assert_int_equal(res.last_run, 2);
	assert_int_equal(res.files_in, 6);
	sl_etl_compact_result_release(&res);
	struct sl_etl_run run;
	struct sl_err err = {0};
	assert_int_equal(fx->m->ops->etl_run_get(fx->m->state, "compact:curated.events_daily", 1,
						 &run, &err), 0);
	assert_string_equal(run.state, SL_RUN_FAILED);
	now = table_read(fx, "events_daily");
	assert_same_rows(before, now);
	assert_ids(now, fx->next_id - 1);
	assert_int_equal(now->n_files, 3);
	assert_non_null(find_file(now, "events_daily/" D1 "/part-c2-000.parquet"));
	assert_int_equal(curated_files(fx), 3);
	rows_free(now);
	rows_free(before);
}

/* Killed after the commit, before the small files were removed: the merged files are the
 * table's, the small ones retired ('deleting' in the index); the next compaction finishes
 * their removal first. */
static void test_crash_committed(void **state)
{
	struct fx *fx = *state;
	struct sl_etl_compact_result res;
	struct sl_object o;
	job_add(&fx->lake->cfg, "daily", "events_daily", "dt");
	small_files(fx, 3, 10);
	struct table_rows *before = table_read(fx, "events_daily");
	crash_at(fx, "compact_committed");
	struct table_rows *now = table_read(fx, "events_daily");
	assert_int_equal(now->n_files, 3);
	assert_same_rows(before, now);
	rows_free(now);
	assert_int_equal(curated_files(fx), 7 + 2);
	assert_int_equal(fx->m->ops->object_get(fx->m->state, "curated", before->files[0].key, &o,
						NULL), 0);
	assert_string_equal(o.state, SL_STATE_DELETING);
	compact_ok(fx, "events_daily", NULL, NULL, &res);
	assert_int_equal(res.recovered, 6);
	assert_int_equal(res.runs, 0);
	sl_etl_compact_result_release(&res);
	assert_int_equal(curated_files(fx), 3);
	assert_false(indexed(fx, before->files[0].key));
	now = table_read(fx, "events_daily");
	assert_same_rows(before, now);
	rows_free(now);
	rows_free(before);
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "--crash-child") == 0)
		return crash_child(argv[2], argv[3]);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_merges_small_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollover, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_partition_and_unpartitioned, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_job_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_reset_is_stale, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rewind_after_compaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rows_must_fit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_published, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_committed, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
