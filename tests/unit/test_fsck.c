/*
 * test_fsck.c - each state a crash (or a person) can leave a lake in, found by fsck and
 * repaired by fsck --repair, after which a second fsck finds nothing -- except a file an
 * ETL run published and did not commit, which is never adopted (etl.h, promise 4).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "etl/etl.h"
#include "fsck/fsck.h"
#include "helpers.h"
#include "queue/queue.h"
#include "util/clock.h"

struct fx {
	char *dir;
	struct sl_lake *lake;
};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	fx->lake = th_lake_new("fsck", &fx->dir);
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

static void run_fsck(struct fx *fx, bool repair, bool verify, struct sl_fsck_result *res)
{
	struct sl_fsck_opts o = {.repair = repair, .verify = verify};
	struct sl_err err = {0};
	if (sl_fsck(fx->lake, &o, NULL, NULL, res, &err) != 0)
		fail_msg("fsck: %s", err.msg);
}

static int64_t total(const struct sl_fsck_result *r)
{
	int64_t n = 0;
	for (int k = 0; k < SL_FSCK_KINDS; k++)
		n += r->found[k];
	return n;
}

static void put(struct fx *fx, const char *zone, const char *key, const char *data,
		struct sl_object *o)
{
	struct sl_err err = {0};
	assert_int_equal(sl_store_put_mem(&fx->lake->store, zone, key, data, strlen(data), NULL, o,
					  &err), 0);
}

static int events(struct fx *fx, const char *queue)
{
	struct sl_queue_stats qs;
	assert_int_equal(fx->lake->meta.ops->queue_stats(fx->lake->meta.state, queue, 0, &qs, NULL),
			 0);
	return (int)(qs.visible + qs.in_flight + qs.delayed);
}

static void path_of(struct fx *fx, const char *rel, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%s", fx->dir, rel);
}

static void test_clean_lake(void **state)
{
	struct fx *fx = *state;
	struct sl_object o;
	struct sl_fsck_result r;
	put(fx, "landing", "a/b.json", "{}", &o);
	run_fsck(fx, false, true, &r);
	assert_int_equal(total(&r), 0);
	assert_int_equal(r.objects_checked, 1);
}

static void test_unindexed_file_is_adopted_once(void **state)
{
	struct fx *fx = *state;
	char p[4096];
	struct sl_fsck_result r;
	struct sl_object o;
	/* the state after rename but before the metadata commit */
	path_of(fx, "raw/t", p, sizeof(p));
	mkdir(p, 0755);
	path_of(fx, "raw/t/dt=1", p, sizeof(p));
	mkdir(p, 0755);
	path_of(fx, "raw/t/dt=1/x.ndjson", p, sizeof(p));
	th_write_file(p, "{\"x\":1}\n", 8);
	run_fsck(fx, false, false, &r);
	assert_int_equal(r.found[SL_FSCK_UNINDEXED], 1);
	assert_int_equal(r.repaired[SL_FSCK_UNINDEXED], 0);
	assert_int_equal(events(fx, "raw"), 0);
	run_fsck(fx, true, false, &r);
	assert_int_equal(r.repaired[SL_FSCK_UNINDEXED], 1);
	assert_int_equal(events(fx, "raw"), 1);
	assert_int_equal(fx->lake->meta.ops->object_get(fx->lake->meta.state, "raw",
							 "t/dt=1/x.ndjson", &o, NULL), 0);
	assert_int_equal(o.size, 8);
	run_fsck(fx, true, true, &r);
	assert_int_equal(total(&r), 0);
	assert_int_equal(events(fx, "raw"), 1); /* evented exactly once */
}

static void test_stale_temp_removed_live_one_kept(void **state)
{
	struct fx *fx = *state;
	char stale[4096], live[4096];
	struct sl_fsck_result r;
	path_of(fx, ".sluice/tmp/put-1-dead", stale, sizeof(stale));
	th_write_file(stale, "half", 4);
	path_of(fx, ".sluice/tmp/put-2-live", live, sizeof(live));
	th_write_file(live, "writing", 7);
	int fd = open(live, O_RDONLY);
	assert_int_equal(flock(fd, LOCK_EX), 0); /* a writer still at work */
	run_fsck(fx, true, false, &r);
	assert_int_equal(r.found[SL_FSCK_TEMP], 1);
	assert_int_equal(r.repaired[SL_FSCK_TEMP], 1);
	assert_int_equal(access(stale, F_OK), -1);
	assert_int_equal(access(live, F_OK), 0);
	close(fd);
	run_fsck(fx, true, false, &r);
	assert_int_equal(r.repaired[SL_FSCK_TEMP], 1); /* now its writer is gone too */
	run_fsck(fx, false, false, &r);
	assert_int_equal(total(&r), 0);
}

static void test_missing_file_flagged(void **state)
{
	struct fx *fx = *state;
	char p[4096];
	struct sl_fsck_result r;
	struct sl_object o;
	put(fx, "curated", "t/f.parquet", "PAR1", &o);
	path_of(fx, "curated/t/f.parquet", p, sizeof(p));
	unlink(p);
	run_fsck(fx, true, false, &r);
	assert_int_equal(r.found[SL_FSCK_MISSING], 1);
	assert_int_equal(fx->lake->meta.ops->object_get(fx->lake->meta.state, "curated",
							 "t/f.parquet", &o, NULL), 0);
	assert_string_equal(o.state, SL_STATE_MISSING);
	struct sl_zone_stats zs;
	fx->lake->meta.ops->zone_stats(fx->lake->meta.state, "curated", &zs, NULL);
	assert_int_equal(zs.missing, 1);
	/* reading a flagged object is an error that says so */
	struct sl_err err = {0};
	assert_int_equal(sl_store_get_fd(&fx->lake->store, "curated", "t/f.parquet", -1, &err),
			 SL_ECORRUPT);
	assert_non_null(strstr(err.msg, "missing"));
}

static void test_interrupted_rm_is_finished(void **state)
{
	struct fx *fx = *state;
	struct sl_fsck_result r;
	struct sl_object o;
	char p[4096];
	/* crash after marking, before unlinking */
	put(fx, "raw", "gone/soon.json", "{}", &o);
	fx->lake->meta.ops->object_set_state(fx->lake->meta.state, "raw", "gone/soon.json",
					     SL_STATE_DELETING, NULL);
	/* crash after unlinking, before deleting the row */
	put(fx, "raw", "gone/later.json", "{}", &o);
	fx->lake->meta.ops->object_set_state(fx->lake->meta.state, "raw", "gone/later.json",
					     SL_STATE_DELETING, NULL);
	path_of(fx, "raw/gone/later.json", p, sizeof(p));
	unlink(p);
	/* a landing removal cut off the same way */
	put(fx, "landing", "in/x.json", "{}", &o);
	fx->lake->meta.ops->object_set_state(fx->lake->meta.state, "landing", "in/x.json",
					     SL_STATE_DELETING, NULL);
	path_of(fx, "landing/in/x.json", p, sizeof(p));
	unlink(p);
	assert_int_equal(events(fx, "raw"), 2);
	run_fsck(fx, true, false, &r);
	assert_int_equal(r.found[SL_FSCK_DELETING], 3);
	assert_int_equal(r.repaired[SL_FSCK_DELETING], 3);
	path_of(fx, "raw/gone/soon.json", p, sizeof(p));
	assert_int_equal(access(p, F_OK), -1); /* never resurrected */
	assert_int_equal(fx->lake->meta.ops->object_get(fx->lake->meta.state, "raw",
							 "gone/soon.json", &o, NULL), SL_ENOENT);
	/* the crawler hears of both raw removals once, when their rows go; not of landing's */
	assert_int_equal(events(fx, "raw"), 4);
	assert_int_equal(events(fx, "landing"), 1);
	run_fsck(fx, true, false, &r);
	assert_int_equal(total(&r), 0);
	assert_int_equal(events(fx, "raw"), 4);
}

static void test_replaced_file_reindexed(void **state)
{
	struct fx *fx = *state;
	struct sl_fsck_result r;
	struct sl_object before, after;
	char p[4096], q[4096];
	put(fx, "landing", "k.json", "{\"v\":1}", &before);
	/* an overwrite whose rename happened but whose commit did not: new inode */
	path_of(fx, "landing/k.json.new", q, sizeof(q));
	th_write_file(q, "{\"v\":2}", 7);
	path_of(fx, "landing/k.json", p, sizeof(p));
	assert_int_equal(rename(q, p), 0);
	run_fsck(fx, true, false, &r);
	assert_int_equal(r.found[SL_FSCK_CHANGED], 1);
	assert_int_equal(fx->lake->meta.ops->object_get(fx->lake->meta.state, "landing", "k.json",
							 &after, NULL), 0);
	assert_true(after.seq > before.seq);
	assert_string_not_equal(after.checksum, before.checksum);
	assert_int_equal(events(fx, "landing"), 2);
}

static void test_symlink_reported_not_touched(void **state)
{
	struct fx *fx = *state;
	struct sl_fsck_result r;
	char p[4096];
	path_of(fx, "landing/link", p, sizeof(p));
	assert_int_equal(symlink("/etc/passwd", p), 0);
	run_fsck(fx, true, false, &r);
	assert_int_equal(r.found[SL_FSCK_ODD], 1);
	assert_int_equal(r.repaired[SL_FSCK_ODD], 0);
	struct stat st;
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(events(fx, "landing"), 0);
}

static void test_verify_finds_silent_corruption(void **state)
{
	struct fx *fx = *state;
	struct sl_fsck_result r;
	struct sl_object o;
	char p[4096];
	struct stat st;
	put(fx, "raw", "bitrot.json", "{\"ok\":true}", &o);
	path_of(fx, "raw/bitrot.json", p, sizeof(p));
	assert_int_equal(stat(p, &st), 0);
	int fd = open(p, O_WRONLY);
	assert_int_equal(pwrite(fd, "X", 1, 2), 1);
	struct timespec ts[2] = {st.st_atim, st.st_mtim};
	assert_int_equal(futimens(fd, ts), 0); /* same size, inode and mtime */
	close(fd);
	run_fsck(fx, false, false, &r);
	assert_int_equal(total(&r), 0); /* the cheap check cannot see it */
	run_fsck(fx, true, true, &r);
	assert_int_equal(r.found[SL_FSCK_CORRUPT], 1);
	fx->lake->meta.ops->object_get(fx->lake->meta.state, "raw", "bitrot.json", &o, NULL);
	assert_string_equal(o.state, SL_STATE_CORRUPT);
}

static void test_edit_in_place_flagged_not_adopted(void **state)
{
	struct fx *fx = *state;
	struct sl_fsck_result r;
	struct sl_object before, after;
	char p[4096];
	put(fx, "raw", "edited.json", "{\"v\":1}", &before);
	path_of(fx, "raw/edited.json", p, sizeof(p));
	sl_sleep_ms(5); /* a later mtime */
	th_write_file(p, "{\"v\":22}", 8); /* same inode, new bytes: not what a put does */
	run_fsck(fx, true, false, &r);
	assert_int_equal(r.found[SL_FSCK_CORRUPT], 1);
	assert_int_equal(r.found[SL_FSCK_CHANGED], 0);
	fx->lake->meta.ops->object_get(fx->lake->meta.state, "raw", "edited.json", &after, NULL);
	assert_int_equal(after.seq, before.seq); /* not adopted as a new version */
	assert_string_equal(after.state, SL_STATE_CORRUPT);
	assert_int_equal(events(fx, "raw"), 1);
}

static void test_empty_folders_pruned(void **state)
{
	struct fx *fx = *state;
	struct sl_fsck_result r;
	struct sl_object o;
	char p[4096];
	/* left by a put killed after making its folders, an hour ago */
	path_of(fx, "landing/x", p, sizeof(p));
	mkdir(p, 0755);
	path_of(fx, "landing/x/y", p, sizeof(p));
	mkdir(p, 0755);
	struct timespec old[2] = {{.tv_sec = time(NULL) - 3600}, {.tv_sec = time(NULL) - 3600}};
	utimensat(AT_FDCWD, p, old, 0);
	run_fsck(fx, true, false, &r);
	assert_int_equal(r.found[SL_FSCK_EMPTY], 1);
	path_of(fx, "landing/x", p, sizeof(p));
	assert_int_equal(access(p, F_OK), -1); /* and its empty parent with it */
	/* a put of the key is not blocked by such folders either */
	mkdir(p, 0755);
	path_of(fx, "landing/x/y", p, sizeof(p));
	mkdir(p, 0755);
	put(fx, "landing", "x", "{}", &o);
	run_fsck(fx, false, false, &r);
	assert_int_equal(total(&r), 0);
}

/* Findings of one kind, with their details. */
struct seen {
	enum sl_fsck_kind kind;
	int n;
	char detail[256];
	bool repaired;
};

static void on_finding(void *ctx, enum sl_fsck_kind kind, const char *zone, const char *key,
		       const char *detail, bool repaired)
{
	struct seen *s = ctx;
	(void)zone, (void)key;
	if (kind != s->kind)
		return;
	s->n++;
	snprintf(s->detail, sizeof(s->detail), "%s", detail);
	s->repaired = repaired;
}

static void run_fsck_seen(struct fx *fx, bool repair, struct sl_fsck_result *res,
			  struct seen *seen)
{
	struct sl_fsck_opts o = {.repair = repair};
	struct sl_err err = {0};
	memset(seen, 0, sizeof(*seen));
	seen->kind = SL_FSCK_STAGED;
	if (sl_fsck(fx->lake, &o, on_finding, seen, res, &err) != 0)
		fail_msg("fsck: %s", err.msg);
}

/* A run staged curated/KEY at `now` under a lease of ttl_ms and published the file. */
static int64_t staged_file(struct fx *fx, const char *job, const char *key, int64_t now,
			   int64_t ttl_ms)
{
	struct sl_meta *m = &fx->lake->meta;
	struct sl_etl_run run;
	struct sl_err err = {0};
	const char *keys[] = {key};
	char p[4096], rel[2048];
	assert_int_equal(m->ops->etl_lease(m->state, job, "fsck-test", ttl_ms, now, &err), 0);
	assert_int_equal(m->ops->etl_run_begin(m->state, job, "fsck-test", now, &run, &err), 0);
	assert_int_equal(m->ops->etl_stage(m->state, job, run.id, "fsck-test", "curated", keys,
					   1, now, &err),
			 0);
	path_of(fx, "curated/t", p, sizeof(p));
	mkdir(p, 0755);
	snprintf(rel, sizeof(rel), "curated/%s", key);
	path_of(fx, rel, p, sizeof(p));
	th_write_file(p, "PAR1....PAR1", 12);
	return run.id;
}

/* Promise 4 of etl.h: an uncommitted run's output is reported, never indexed; removed by
 * --repair once the run can no longer commit it. */
static void test_staged_output_never_adopted(void **state)
{
	struct fx *fx = *state;
	struct sl_meta *m = &fx->lake->meta;
	struct sl_fsck_result r;
	struct seen seen;
	struct sl_object o;
	struct sl_err err = {0};
	char p[4096];
	int64_t id = staged_file(fx, "orders", "t/part-1.parquet", sl_now_ms(), 600000);
	path_of(fx, "curated/t/part-1.parquet", p, sizeof(p));

	run_fsck_seen(fx, false, &r, &seen);
	assert_int_equal(r.found[SL_FSCK_STAGED], 1);
	assert_int_equal(r.found[SL_FSCK_UNINDEXED], 0);
	assert_non_null(strstr(seen.detail, "staged output of uncommitted run orders/1"));
	/* its run may still commit it: --repair leaves it alone, and does not adopt it */
	run_fsck_seen(fx, true, &r, &seen);
	assert_int_equal(r.found[SL_FSCK_STAGED], 1);
	assert_int_equal(r.repaired[SL_FSCK_STAGED], 0);
	assert_non_null(strstr(seen.detail, "still running"));
	assert_int_equal(access(p, F_OK), 0);
	assert_int_equal(m->ops->object_get(m->state, "curated", "t/part-1.parquet", &o, NULL),
			 SL_ENOENT);
	assert_int_equal(events(fx, "curated"), 0);

	/* the run failed: now it is removed, and its staged row forgotten */
	assert_int_equal(m->ops->etl_run_fail(m->state, "orders", id, "boom", sl_now_ms(), &err),
			 0);
	run_fsck_seen(fx, true, &r, &seen);
	assert_int_equal(r.repaired[SL_FSCK_STAGED], 1);
	assert_true(seen.repaired);
	assert_int_equal(access(p, F_OK), -1);
	assert_int_equal(m->ops->object_get(m->state, "curated", "t/part-1.parquet", &o, NULL),
			 SL_ENOENT);
	struct sl_etl_run run;
	bool live;
	assert_int_equal(m->ops->etl_staged_find(m->state, "curated", "t/part-1.parquet",
						 sl_now_ms(), &run, &live, NULL),
			 SL_ENOENT);
	run_fsck(fx, true, false, &r);
	assert_int_equal(total(&r), 0);
	assert_int_equal(events(fx, "curated"), 0);
}

/* A run whose lease ran out can never commit: --repair removes its output at once. */
static void test_staged_output_of_expired_run_removed(void **state)
{
	struct fx *fx = *state;
	struct sl_meta *m = &fx->lake->meta;
	struct sl_fsck_result r;
	struct seen seen;
	struct sl_etl_run run;
	struct sl_err err = {0};
	char p[4096];
	int64_t id = staged_file(fx, "clicks", "t/part-9.parquet", sl_now_ms() - 3600000, 1000);
	path_of(fx, "curated/t/part-9.parquet", p, sizeof(p));
	run_fsck_seen(fx, false, &r, &seen);
	assert_int_equal(r.found[SL_FSCK_STAGED], 1);
	assert_null(strstr(seen.detail, "still running"));
	assert_int_equal(access(p, F_OK), 0);
	run_fsck_seen(fx, true, &r, &seen);
	assert_int_equal(r.repaired[SL_FSCK_STAGED], 1);
	assert_int_equal(access(p, F_OK), -1);
	assert_int_equal(m->ops->etl_run_get(m->state, "clicks", id, &run, &err), 0);
	assert_string_equal(run.state, SL_RUN_FAILED);
	run_fsck(fx, false, false, &r);
	assert_int_equal(total(&r), 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_clean_lake),
		T(test_unindexed_file_is_adopted_once),
		T(test_stale_temp_removed_live_one_kept),
		T(test_missing_file_flagged),
		T(test_interrupted_rm_is_finished),
		T(test_replaced_file_reindexed),
		T(test_symlink_reported_not_touched),
		T(test_verify_finds_silent_corruption),
		T(test_edit_in_place_flagged_not_adopted),
		T(test_empty_folders_pruned),
		T(test_staged_output_never_adopted),
		T(test_staged_output_of_expired_run_removed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
