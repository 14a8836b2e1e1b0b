/*
 * test_etl_rewind.c - rewinding an ETL job through compactions (etl/run.h sl_etl_rewind,
 * etl/compact.h lineage and splits) on scratch lakes, with the shared fixture
 * (etl_fixture.h). Job "daily" (partition_by dt) runs over objects of two days, each run
 * with the next ids, so "exactly once" is checked id by id:
 *   lineage: a merged file records its rows' runs in order, cut where a file rolls over;
 *   a merged file merged again carries its lineage on (lineage of lineage);
 *   runs 1..5, compact, rewind to 2 (the merged files split, the rows of runs 3..5 gone,
 *   the others value for value), re-run: every record once; again after a second
 *   compaction, to run 1; an undone run's rows before kept ones in a merged file (a run
 *   committed while a compaction read); a reset after a compaction (merged files go
 *   whole, nothing is split);
 *   merged files from before lineage was kept (migration 6 on an older lake): a rewind
 *   that may undo their rows refused, naming the run to rewind to, one after them exact;
 *   real crashes: a rewind killed (SIGKILL in a child that re-executes this binary) in its
 *   split (compact_published, compact_committed), after it (rewind_split) and after its
 *   commit (rewind_committed), then the rewind again, or only the job's run: every record
 *   exactly once, and no file left in the zone but the table's.
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

#include "etl/compact.h"
#include "etl/run.h"
#include "util/clock.h"

#include "etl_fixture.h"

#define JOB "daily"
#define TABLE "events_daily"
#define CJOB "compact:curated.events_daily"
#define D1 "dt=2026-01-01"
#define D2 "dt=2026-01-02"
#define PER_DAY 10 /* records of each day in a run, unless a test says otherwise */

/* ---- runs --------------------------------------------------------------------------- */

static void daily(struct sl_config *cfg)
{
	job_add(cfg, JOB, "events", TABLE, "dt");
}

/* The next record id and object number of the test (the records landed are ids
 * 1 .. next_id - 1). */
static int64_t next_id, next_obj;

static int setup_ids(void **state)
{
	next_id = next_obj = 1;
	return setup(state);
}

/* One run of the job over two new objects, days 1 and 2, of `per` records each, with the
 * next ids (day 1's first). */
static void run_n(struct fx *fx, int per)
{
	char key[64];
	snprintf(key, sizeof(key), "events/o%" PRId64 "-d1.ndjson", next_obj);
	put_day(fx, key, next_id, next_id + per - 1, 1);
	snprintf(key, sizeof(key), "events/o%" PRId64 "-d2.ndjson", next_obj++);
	put_day(fx, key, next_id + per, next_id + 2 * per - 1, 2);
	next_id += 2 * per;
	crawl(fx);
	run_ok(fx, JOB);
}

static void runs(struct fx *fx, int n)
{
	for (int r = 0; r < n; r++)
		run_n(fx, PER_DAY);
}

#define RUNS(n) ((int64_t)(n) * 2 * PER_DAY) /* the records of n runs of PER_DAY */

static struct sl_etl_compact_result compact_ok(struct fx *fx,
					       const struct sl_etl_compact_opts *o)
{
	struct sl_etl_compact_result res;
	struct sl_err err = {0};
	if (sl_etl_compact(fx->lake, TABLE, NULL, o, &res, &err) != 0)
		fail_msg("compact: %s", err.msg);
	sl_etl_compact_result_release(&res);
	return res;
}

static int64_t rewind_ok(struct fx *fx, int64_t to)
{
	struct sl_err err = {0};
	int64_t removed = -1;
	if (sl_etl_rewind(fx->lake, JOB, to, &removed, &err) != 0)
		fail_msg("rewind to %" PRId64 ": %s", to, err.msg);
	return removed;
}

/* ---- what the table holds --------------------------------------------------------------- */

static int64_t line_id(const char *line, size_t len)
{
	struct sl_json_error e;
	struct sl_json_node *n = sl_json_tree_parse(line, len, NULL, &e);
	assert_non_null(n);
	const struct sl_json_node *id = sl_json_get(n, "id");
	assert_non_null(id);
	assert_int_equal(id->type, SL_JSON_INT);
	int64_t v = id->u.i;
	sl_json_tree_free(n);
	return v;
}

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* The table holds the records 1..n, each exactly once. */
static void assert_exactly(struct fx *fx, int64_t n)
{
	char *text = table_json(fx, TABLE);
	int64_t *ids = NULL;
	size_t k = 0, cap = 0;
	for (char *line = text, *nl; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		assert_non_null(nl);
		if (k == cap) {
			cap = cap ? cap * 2 : 256;
			ids = realloc(ids, cap * sizeof(*ids));
			assert_non_null(ids);
		}
		ids[k++] = line_id(line, (size_t)(nl - line));
	}
	free(text);
	if (k)
		qsort(ids, k, sizeof(*ids), cmp_id);
	if ((int64_t)k != n)
		fail_msg("the table holds %zu records, not %" PRId64, k, n);
	for (size_t i = 0; i < k; i++)
		if (ids[i] != (int64_t)i + 1)
			fail_msg("record %zu has id %" PRId64 ": a duplicate or a gap", i, ids[i]);
	free(ids);
}

/* The lines of table_json whose id is at most max (sorted as table_json sorts them). */
static char *rows_upto(const char *text, int64_t max)
{
	struct sl_buf b;
	sl_buf_init(&b, 0);
	sl_buf_puts(&b, "");
	for (const char *line = text, *nl; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		assert_non_null(nl);
		if (line_id(line, (size_t)(nl - line)) <= max)
			assert_int_equal(sl_buf_append(&b, line, (size_t)(nl - line) + 1), 0);
	}
	return b.data ? b.data : strdup("");
}

/* The active files of the table, in key order. */
#define MAX_FILES 64
struct files {
	char key[MAX_FILES][SL_KEY_MAX + 1];
	char part[MAX_FILES][SL_CAT_PART_MAX];
	int64_t seq[MAX_FILES], records[MAX_FILES];
	size_t n;
};

static int file_one(void *ctx, const struct sl_cat_file *f)
{
	struct files *fs = ctx;
	if (strcmp(f->state, SL_CAT_FILE_ACTIVE) != 0)
		return 0;
	assert_true(fs->n < MAX_FILES);
	snprintf(fs->key[fs->n], SL_KEY_MAX + 1, "%s", f->key);
	snprintf(fs->part[fs->n], SL_CAT_PART_MAX, "%s", f->part);
	fs->seq[fs->n] = f->seq;
	fs->records[fs->n] = f->records;
	fs->n++;
	return 0;
}

static struct files *active_files(struct fx *fx)
{
	struct files *fs = calloc(1, sizeof(*fs));
	struct sl_err err = {0};
	assert_non_null(fs);
	if (fx->m->ops->catalog_file_list(fx->m->state, "curated", TABLE, NULL, false, file_one,
					  fs, &err) != 0)
		fail_msg("files: %s", err.msg);
	return fs;
}

/* Regular files in the curated zone: exactly the table's active ones (no file of a
 * killed rewind, no retired file left). */
static void assert_zone_is_table(struct fx *fx)
{
	char path[4096];
	struct files *fs = active_files(fx);
	snprintf(path, sizeof(path), "%s/curated", fx->dir);
	assert_int_equal(th_count_files(path), (int)fs->n);
	free(fs);
}

static bool indexed(struct fx *fx, const char *key)
{
	struct sl_object o;
	return fx->m->ops->object_get(fx->m->state, "curated", key, &o, NULL) == 0 &&
	       strcmp(o.state, SL_STATE_PRESENT) == 0;
}

/* A file's lineage. */
#define MAX_SEGS 64
struct lin {
	struct sl_etl_segment s[MAX_SEGS];
	size_t n;
};

static int seg_one(void *ctx, const struct sl_object *file, const struct sl_etl_segment *seg)
{
	struct lin *l = ctx;
	(void)file;
	assert_true(l->n < MAX_SEGS);
	l->s[l->n++] = *seg;
	return 0;
}

static struct lin lineage(struct fx *fx, const char *key)
{
	struct lin l = {.n = 0};
	struct sl_object o;
	struct sl_err err = {0};
	if (fx->m->ops->object_get(fx->m->state, "curated", key, &o, &err) != 0)
		fail_msg("%s: %s", key, err.msg);
	if (fx->m->ops->etl_lineage_get(fx->m->state, "curated", key, o.seq, seg_one, &l,
					&err) != 0)
		fail_msg("lineage of %s: %s", key, err.msg);
	return l;
}

/* The lineage of key is job's runs[0..n) (0 ends the list), `rows` rows each. */
static void assert_lineage(struct fx *fx, const char *key, const int *runs_of, int64_t rows)
{
	struct lin l = lineage(fx, key);
	size_t n = 0;
	while (runs_of[n])
		n++;
	if (l.n != n)
		fail_msg("%s: %zu segments, not %zu", key, l.n, n);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(l.s[i].job, JOB);
		assert_int_equal(l.s[i].run, runs_of[i]);
		assert_int_equal(l.s[i].rows, rows);
	}
}

static const char *file_in(const struct files *fs, const char *part, const char *name)
{
	for (size_t i = 0; i < fs->n; i++)
		if (strcmp(fs->part[i], part) == 0 && strstr(fs->key[i], name))
			return fs->key[i];
	return NULL;
}

static size_t files_of(const struct files *fs, const char *part)
{
	size_t n = 0;
	for (size_t i = 0; i < fs->n; i++)
		n += strcmp(fs->part[i], part) == 0;
	return n;
}

/* ---- rewinding through a compaction ---------------------------------------------------- */

/* Runs 1..5, compaction, rewind to 2, re-run: exactly once; the merged files were split
 * and their rows of runs 3..5 are gone, the others kept value for value. Then again after
 * a second compaction (a kept file and a re-run's file merged), to run 1. */
static void test_rewind_splits_merged_files(void **state)
{
	struct fx *fx = *state;
	daily(&fx->lake->cfg);
	runs(fx, 5);
	struct sl_etl_compact_result cr = compact_ok(fx, NULL);
	assert_int_equal(cr.files_in, 10);
	assert_int_equal(cr.files_out, 2);
	const char *m1 = TABLE "/" D1 "/part-c1-000.parquet";
	const char *m2 = TABLE "/" D2 "/part-c1-001.parquet";
	assert_lineage(fx, m1, (const int[]){1, 2, 3, 4, 5, 0}, PER_DAY);
	assert_lineage(fx, m2, (const int[]){1, 2, 3, 4, 5, 0}, PER_DAY);
	char *before = table_json(fx, TABLE);

	int64_t removed = rewind_ok(fx, 2);
	assert_int_equal(removed, 2); /* the split-off rows of runs 3..5, one file a day */
	assert_exactly(fx, RUNS(2));
	char *now = table_json(fx, TABLE), *want = rows_upto(before, RUNS(2));
	assert_string_equal(now, want);
	free(now);
	free(want);
	/* the merged files are gone; the kept rows are in the split's files (pseudo job
	 * run 2), whose lineage is runs 1 and 2 */
	assert_false(indexed(fx, m1));
	assert_false(indexed(fx, m2));
	struct files *fs = active_files(fx);
	assert_int_equal(fs->n, 2);
	const char *k1 = file_in(fs, D1, "part-c2-");
	assert_non_null(k1);
	assert_lineage(fx, k1, (const int[]){1, 2, 0}, PER_DAY);
	assert_non_null(file_in(fs, D2, "part-c2-"));
	free(fs);
	assert_zone_is_table(fx);
	for (int r = 3; r <= 5; r++)
		assert_string_equal(run_get(fx, JOB, r).state, SL_RUN_REWOUND);
	struct sl_etl_run split = run_get(fx, CJOB, 2);
	assert_string_equal(split.state, SL_RUN_COMMITTED);
	assert_int_equal(split.objects, 2);
	assert_int_equal(split.rows_in, RUNS(5));
	assert_int_equal(split.rows_out, RUNS(5));
	assert_int_equal(split.files, 4);
	assert_int_equal(bookmark(fx, JOB).last_committed, 2);

	/* re-run: runs 3..5's objects once more, each record once, the same rows */
	struct sl_etl_result r6 = run_ok(fx, JOB);
	assert_int_equal(r6.run_id, 6);
	assert_int_equal(r6.objects, 6);
	assert_exactly(fx, RUNS(5));
	now = table_json(fx, TABLE);
	assert_string_equal(now, before);
	free(now);

	/* a kept file and the re-run's merged: lineage 1, 2, 6; rewind to 1 */
	compact_ok(fx, NULL);
	fs = active_files(fx);
	assert_int_equal(fs->n, 2);
	k1 = file_in(fs, D1, "part-c3-");
	assert_non_null(k1);
	struct lin l = lineage(fx, k1);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.s[0].run, 1);
	assert_int_equal(l.s[1].run, 2);
	assert_int_equal(l.s[2].run, 6);
	assert_int_equal(l.s[2].rows, 3 * PER_DAY);
	free(fs);
	rewind_ok(fx, 1);
	assert_exactly(fx, RUNS(1));
	assert_zone_is_table(fx);
	run_ok(fx, JOB);
	assert_exactly(fx, RUNS(5));
	now = table_json(fx, TABLE);
	assert_string_equal(now, before);
	free(now);
	free(before);
	assert_zone_is_table(fx);
}

/* A merged file merged again carries its lineage on, and a rewind through both is
 * exact. */
static void test_lineage_of_lineage(void **state)
{
	struct fx *fx = *state;
	daily(&fx->lake->cfg);
	runs(fx, 3);
	compact_ok(fx, NULL);
	runs(fx, 2);
	compact_ok(fx, NULL); /* the merged file of 1..3 and the small ones of 4 and 5 */
	struct files *fs = active_files(fx);
	assert_int_equal(fs->n, 2);
	const char *k1 = file_in(fs, D1, "part-c2-");
	assert_non_null(k1);
	assert_lineage(fx, k1, (const int[]){1, 2, 3, 4, 5, 0}, PER_DAY);
	free(fs);
	rewind_ok(fx, 4);
	assert_exactly(fx, RUNS(4));
	fs = active_files(fx);
	k1 = file_in(fs, D1, "part-c3-");
	assert_non_null(k1);
	assert_lineage(fx, k1, (const int[]){1, 2, 3, 4, 0}, PER_DAY);
	free(fs);
	run_ok(fx, JOB);
	assert_exactly(fx, RUNS(5));
	/* and once more, with the re-run merged in: back to run 2 */
	compact_ok(fx, NULL);
	rewind_ok(fx, 2);
	assert_exactly(fx, RUNS(2));
	assert_zone_is_table(fx);
	run_ok(fx, JOB);
	assert_exactly(fx, RUNS(5));
	assert_zone_is_table(fx);
}

/* Files that roll over at a small target size cut the lineage where they do: each file's
 * lineage adds up to its rows, and the files' lineages, in the order written, are the
 * runs' rows in commit order. A rewind through them is exact. */
static void test_rollover_cuts_lineage(void **state)
{
	struct fx *fx = *state;
	daily(&fx->lake->cfg);
	for (int r = 0; r < 8; r++)
		run_n(fx, 60);
	struct sl_etl_compact_opts o = {.min_file_size = 2048, .target_file_size = 2048};
	compact_ok(fx, &o);
	struct files *fs = active_files(fx);
	assert_true(files_of(fs, D1) >= 2);
	struct sl_etl_segment all[MAX_SEGS];
	size_t n_all = 0;
	for (size_t i = 0; i < fs->n; i++) { /* key order: the order written */
		if (strcmp(fs->part[i], D1) != 0)
			continue;
		assert_non_null(strstr(fs->key[i], "part-c1-"));
		struct lin l = lineage(fx, fs->key[i]);
		int64_t rows = 0;
		for (size_t k = 0; k < l.n; k++) {
			rows += l.s[k].rows;
			if (n_all && all[n_all - 1].run == l.s[k].run) {
				all[n_all - 1].rows += l.s[k].rows; /* cut by a rollover */
				continue;
			}
			assert_true(n_all < MAX_SEGS);
			all[n_all++] = l.s[k];
		}
		assert_int_equal(rows, fs->records[i]);
	}
	free(fs);
	assert_int_equal(n_all, 8);
	for (size_t k = 0; k < 8; k++) {
		assert_int_equal(all[k].run, (int64_t)k + 1);
		assert_int_equal(all[k].rows, 60);
	}
	/* run 7's rows straddle two files here */
	rewind_ok(fx, 6);
	assert_exactly(fx, 6 * 2 * 60);
	assert_zone_is_table(fx);
	run_ok(fx, JOB);
	assert_exactly(fx, 8 * 2 * 60);
	assert_zone_is_table(fx);
}

static void run_meanwhile(void *ctx)
{
	run_n(ctx, PER_DAY);
}

/* Run 4 commits while a compaction of runs 1..3 reads: its small files come before the
 * merged file, and the next compaction writes run 4's rows first. A rewind to 3 takes
 * them out from before the rows that stay. */
static void test_undone_rows_first(void **state)
{
	struct fx *fx = *state;
	daily(&fx->lake->cfg);
	runs(fx, 3);
	struct sl_etl_compact_opts o = {.before_stage = run_meanwhile, .before_stage_ctx = fx};
	compact_ok(fx, &o);
	compact_ok(fx, NULL);
	struct files *fs = active_files(fx);
	assert_int_equal(fs->n, 2);
	const char *k1 = file_in(fs, D1, "part-c2-");
	assert_non_null(k1);
	assert_lineage(fx, k1, (const int[]){4, 1, 2, 3, 0}, PER_DAY);
	free(fs);
	rewind_ok(fx, 3);
	assert_exactly(fx, RUNS(3));
	fs = active_files(fx);
	k1 = file_in(fs, D1, "part-c3-");
	assert_non_null(k1);
	assert_lineage(fx, k1, (const int[]){1, 2, 3, 0}, PER_DAY);
	free(fs);
	assert_zone_is_table(fx);
	run_ok(fx, JOB);
	assert_exactly(fx, RUNS(4));
}

/* A reset after a compaction: every merged row is undone, so the merged files go whole
 * (no split run), and the re-run writes every record once. */
static void test_reset_after_compaction(void **state)
{
	struct fx *fx = *state;
	daily(&fx->lake->cfg);
	runs(fx, 3);
	compact_ok(fx, NULL);
	assert_int_equal(rewind_ok(fx, 0), 2);
	assert_exactly(fx, 0);
	assert_zone_is_table(fx);
	assert_int_equal(bookmark(fx, CJOB).last_run, 1);
	assert_int_equal(bookmark(fx, JOB).seq, 0);
	run_ok(fx, JOB);
	assert_exactly(fx, RUNS(3));
	assert_zone_is_table(fx);
}

/* ---- merged files from before lineage was kept ------------------------------------------ */

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

static void reopen(struct fx *fx)
{
	struct sl_err err = {0};
	sl_crawl_stage_close(fx->st);
	sl_lake_close(fx->lake);
	if (sl_lake_open(fx->dir, &fx->lake, &err) != 0)
		fail_msg("reopen: %s", err.msg);
	fx->m = &fx->lake->meta;
	assert_int_equal(sl_crawl_stage_open(fx->lake, &fx->st, &err), 0);
	daily(&fx->lake->cfg);
}

/* A lake whose compaction ran before migration 6: the migration gives each merged file
 * one segment naming its compaction run; a rewind that may undo rows in it is refused,
 * naming the run to rewind to, as before lineage; one to that run is exact. */
static void test_unknown_lineage(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	int64_t removed = 0;
	daily(&fx->lake->cfg);
	runs(fx, 3);
	compact_ok(fx, NULL);
	/* as it was before migration 6 */
	sql(fx, "DROP TRIGGER etl_lineage_gone; DROP TABLE etl_lineage; "
		"DELETE FROM schema_migrations WHERE version=6; PRAGMA user_version=5");
	reopen(fx);
	struct files *fs = active_files(fx);
	const char *k1 = file_in(fs, D1, "part-c1-");
	assert_non_null(k1);
	struct lin l = lineage(fx, k1);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.s[0].job, CJOB);
	assert_int_equal(l.s[0].run, 1);
	assert_int_equal(l.s[0].rows, 3 * PER_DAY);
	free(fs);
	runs(fx, 1);
	compact_ok(fx, NULL); /* merged again: its rows stay of unknown runs */

	assert_int_equal(sl_etl_rewind(fx->lake, JOB, 2, &removed, &err), SL_EINVAL);
	assert_non_null(strstr(err.msg, "rewind to run 3 or later"));
	assert_int_equal(sl_etl_reset(fx->lake, JOB, &removed, &err), SL_EINVAL);
	assert_exactly(fx, RUNS(4));
	rewind_ok(fx, 3);
	assert_exactly(fx, RUNS(3));
	assert_zone_is_table(fx);
	run_ok(fx, JOB);
	assert_exactly(fx, RUNS(4));
}

/* ---- real crashes ------------------------------------------------------------------------ */

#define CRASH_LEASE_MS 1000

static int crash_child(const char *dir, const char *point)
{
	char hook[64];
	struct sl_err err = {0};
	snprintf(hook, sizeof(hook), "%s:100", point);
	struct sl_lake *lake = th_crash_child_open(dir, hook);
	if (!lake)
		return 2;
	daily(&lake->cfg);
	lake->cfg.etl.lease_ms = CRASH_LEASE_MS;
	int rc = sl_etl_rewind(lake, JOB, 2, NULL, &err);
	fprintf(stderr, "child: the crash point %s was not reached (%d: %s)\n", point, rc, err.msg);
	sl_lake_close(lake);
	return 3;
}

static void crash_at(struct fx *fx, const char *point)
{
	th_crash_child_run(fx->dir, point);
}

/* Runs 1..4 compacted, a rewind to 2 killed at `point`: the table holds every record
 * once, as before the rewind or as after it (`rewound`); then, `again`, the rewind once
 * more and the job's run, or only the job's run: every record once, nothing left over. */
static void crash_case(struct fx *fx, const char *point, bool rewound, bool again)
{
	daily(&fx->lake->cfg);
	runs(fx, 4);
	compact_ok(fx, NULL);
	crash_at(fx, point);
	assert_exactly(fx, RUNS(rewound ? 2 : 4));
	assert_int_equal(bookmark(fx, JOB).last_committed, rewound ? 2 : 4);
	if (again) {
		rewind_ok(fx, 2); /* the dead child's leases are broken at once */
		assert_exactly(fx, RUNS(2));
		assert_zone_is_table(fx);
	}
	run_ok(fx, JOB);
	assert_exactly(fx, RUNS(4));
	/* what a killed split staged, or a killed rewind retired, goes with the next
	 * compaction (or the rewind again, above; or fsck) */
	compact_ok(fx, NULL);
	assert_exactly(fx, RUNS(4));
	assert_zone_is_table(fx);
}

static void test_crash_split_published(void **state)
{
	crash_case(*state, "compact_published", false, true);
}

static void test_crash_split_published_run(void **state)
{
	crash_case(*state, "compact_published", false, false);
}

static void test_crash_split_committed(void **state)
{
	crash_case(*state, "compact_committed", false, true);
}

static void test_crash_split_committed_run(void **state)
{
	crash_case(*state, "compact_committed", false, false);
}

static void test_crash_rewind_split(void **state)
{
	crash_case(*state, "rewind_split", false, true);
}

static void test_crash_rewind_split_run(void **state)
{
	crash_case(*state, "rewind_split", false, false);
}

static void test_crash_rewind_committed(void **state)
{
	crash_case(*state, "rewind_committed", true, true);
}

static void test_crash_rewind_committed_run(void **state)
{
	crash_case(*state, "rewind_committed", true, false);
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "--crash-child") == 0)
		return crash_child(argv[2], argv[3]);
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup_ids, teardown)
	const struct CMUnitTest tests[] = {
		T(test_rewind_splits_merged_files),
		T(test_lineage_of_lineage),
		T(test_rollover_cuts_lineage),
		T(test_undone_rows_first),
		T(test_reset_after_compaction),
		T(test_unknown_lineage),
		T(test_crash_split_published),
		T(test_crash_split_published_run),
		T(test_crash_split_committed),
		T(test_crash_split_committed_run),
		T(test_crash_rewind_split),
		T(test_crash_rewind_split_run),
		T(test_crash_rewind_committed),
		T(test_crash_rewind_committed_run),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
