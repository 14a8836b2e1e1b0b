/*
 * etl_fixture.h - what the ETL tests share: a scratch lake with a crawler, jobs added to
 * its configuration, raw objects put and crawled, runs that must commit, and reading
 * back what a run wrote.
 */
#ifndef TEST_ETL_FIXTURE_H
#define TEST_ETL_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crawl/crawl.h"
#include "etl/run.h"
#include "helpers.h"
#include "json/json.h"
#include "lake/lake.h"
#include "parquet/reader.h"
#include "store/store.h"

/* ---- fixture ---------------------------------------------------------------------- */

struct fx {
	char *dir;
	struct sl_lake *lake;
	struct sl_crawl_stage *st;
	struct sl_meta *m;
};

static inline int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct sl_err err = {0};
	fx->lake = th_lake_new("etlrun", &fx->dir);
	fx->m = &fx->lake->meta;
	assert_int_equal(sl_crawl_stage_open(fx->lake, &fx->st, &err), 0);
	*state = fx;
	return 0;
}

static inline int teardown(void **state)
{
	struct fx *fx = *state;
	sl_crawl_stage_close(fx->st);
	sl_lake_close(fx->lake);
	th_rmtree_free(fx->dir);
	free(fx);
	return 0;
}

/* etl.jobs.NAME, every setting given (tests do not depend on defaults). */
static inline struct sl_job_conf *job_add(struct sl_config *cfg, const char *name,
					  const char *source, const char *target,
					  const char *partition_by)
{
	struct sl_etl_conf *ec = &cfg->etl;
	struct sl_job_conf *j = &ec->jobs[ec->n_jobs++];
	memset(j, 0, sizeof(*j));
	snprintf(j->name, sizeof(j->name), "%s", name);
	snprintf(j->source, sizeof(j->source), "%s", source);
	snprintf(j->target, sizeof(j->target), "%s", target);
	snprintf(j->layout, sizeof(j->layout), "flat");
	snprintf(j->codec, sizeof(j->codec), "zstd");
	j->target_file_size = (int64_t)128 << 20;
	snprintf(j->on_error, sizeof(j->on_error), "deadletter");
	snprintf(j->partition_by, sizeof(j->partition_by), "%s", partition_by);
	return j;
}

static inline int64_t raw_put(struct fx *fx, const char *key, const char *text)
{
	struct sl_object o;
	struct sl_err err = {0};
	if (sl_store_put_mem(&fx->lake->store, "raw", key, text, strlen(text), NULL, &o, &err) != 0)
		fail_msg("put %s: %s", key, err.msg);
	return o.seq;
}

/* NDJSON of records id a..b on 2026-01-DAY (ids are the records' identity). */
static inline char *day_records(int64_t a, int64_t b, int day)
{
	struct sl_buf buf;
	sl_buf_init(&buf, 0);
	for (int64_t i = a; i <= b; i++)
		assert_int_equal(sl_buf_printf(&buf,
					       "{\"id\":%" PRId64 ",\"ts\":\"2026-01-%02dT10:%02d:"
					       "00Z\",\"v\":\"r%" PRId64 "\"}\n",
					       i, day, (int)(i % 60), i), 0);
	return buf.data;
}

static inline int64_t put_day(struct fx *fx, const char *key, int64_t a, int64_t b, int day)
{
	char *t = day_records(a, b, day);
	int64_t seq = raw_put(fx, key, t);
	free(t);
	return seq;
}

static inline void crawl(struct fx *fx)
{
	struct sl_crawl_run_opts o = {.drain = true, .batch_wait_ms = 0};
	struct sl_crawl_result r;
	struct sl_err err = {0};
	if (sl_crawl_run(fx->st, &o, &r, &err) != 0)
		fail_msg("crawl: %s", err.msg);
}

static inline struct sl_etl_result run_ok(struct fx *fx, const char *job)
{
	struct sl_etl_result res;
	struct sl_err err = {0};
	if (sl_etl_run_job(fx->lake, job, NULL, &res, &err) != 0)
		fail_msg("run %s: %s", job, err.msg);
	assert_true(res.committed);
	return res;
}

static inline struct sl_etl_bookmark bookmark(struct fx *fx, const char *job)
{
	struct sl_etl_bookmark bm;
	struct sl_err err = {0};
	memset(&bm, 0, sizeof(bm));
	int rc = fx->m->ops->etl_bookmark_get(fx->m->state, job, &bm, &err);
	if (rc != 0 && rc != SL_ENOENT)
		fail_msg("bookmark %s: %s", job, err.msg);
	return bm;
}

static inline struct sl_etl_run run_get(struct fx *fx, const char *job, int64_t id)
{
	struct sl_etl_run r;
	struct sl_err err = {0};
	if (fx->m->ops->etl_run_get(fx->m->state, job, id, &r, &err) != 0)
		fail_msg("run %s/%" PRId64 ": %s", job, id, err.msg);
	return r;
}

static inline char *read_object(struct fx *fx, const char *zone, const char *key)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s/%s", fx->dir, zone, key);
	return th_read_file(path, NULL);
}

/* Every row of the active files of curated.table as JSON lines (the Parquet reader's
 * JSON), sorted, so that tests compare contents whatever the files' order. */
static inline int fx_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static inline int fx_file_key(void *ctx, const struct sl_cat_file *f)
{
	struct sl_buf *keys = ctx;
	if (strcmp(f->state, SL_CAT_FILE_ACTIVE) == 0) {
		sl_buf_puts(keys, f->key);
		sl_buf_append(keys, "", 1);
	}
	return 0;
}

static inline char *table_json(struct fx *fx, const char *table)
{
	struct sl_err err = {0};
	struct sl_buf keys, rows, out;
	char **lines = NULL;
	size_t n = 0, cap = 0;
	sl_buf_init(&keys, 0);
	sl_buf_init(&rows, 0);
	sl_buf_init(&out, 0);
	int rc = fx->m->ops->catalog_file_list(fx->m->state, "curated", table, NULL, true,
					       fx_file_key, &keys, &err);
	if (rc != 0 && rc != SL_ENOENT)
		fail_msg("files of %s: %s", table, err.msg);
	for (size_t at = 0; at < keys.len; at += strlen(keys.data + at) + 1) {
		const char *key = keys.data + at;
		struct sl_object obj;
		struct sl_pq_read_opts po;
		struct sl_pq_reader *pr = NULL;
		struct sl_pq_rows *pq = NULL;
		int fd, got;
		if (sl_store_open_fd(&fx->lake->store, "curated", key, &fd, &obj, &err) != 0)
			fail_msg("open %s: %s", key, err.msg);
		sl_pq_read_opts_default(&po);
		if (sl_pq_reader_open(fd, key, &po, &pr, &err) != 0 ||
		    sl_pq_rows_open(pr, NULL, 0, NULL, 0, &pq, &err) != 0)
			fail_msg("read %s: %s", key, err.msg);
		for (;;) {
			sl_buf_reset(&rows);
			if ((got = sl_pq_rows_next(pq, &rows, &err)) != 1)
				break;
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				lines = realloc(lines, cap * sizeof(*lines));
				assert_non_null(lines);
			}
			lines[n] = strndup(rows.data, rows.len);
			assert_non_null(lines[n++]);
		}
		if (got != 0)
			fail_msg("rows of %s: %s", key, err.msg);
		sl_pq_rows_close(pq);
		sl_pq_reader_close(pr);
		close(fd);
	}
	if (n)
		qsort(lines, n, sizeof(*lines), fx_cmp_str);
	for (size_t i = 0; i < n; i++) {
		sl_buf_puts(&out, lines[i]);
		sl_buf_puts(&out, "\n");
		free(lines[i]);
	}
	free(lines);
	sl_buf_release(&keys);
	sl_buf_release(&rows);
	if (!out.data)
		return strdup("");
	return out.data;
}

#endif
