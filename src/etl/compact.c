/*
 * compact.c - merging the small files of a curated Parquet table (compact.h gives the
 * promises, etl.h the protocol every run follows).
 *
 * sl_etl_compact takes the pseudo job's lease and runs the run engine's recovery for it
 * (internal.h), then loops over runs until one finds nothing to merge or took all there
 * was:
 *   1. plan: the table's active Parquet files smaller than min_file_size, listed in key
 *      order, hence partition by partition; a partition with fewer than two of them is
 *      left alone; the plan stops (and another run follows) at SL_COMPACT_MAX_FILES
 *      files or when its partitions would make more than about SL_COMPACT_MAX_OUTPUTS
 *      files (each open file holds a descriptor until it is published); each planned
 *      file's lineage is read (etl_lineage_get), and must add up to its rows;
 *   2. etl_run_begin of the pseudo job, the table loaded, its schema parsed: the row
 *      type of every new file;
 *   3. each partition's files, in seq order (the order they were committed in), row by
 *      row through the Parquet reader into one writer at a time, which rolls over at
 *      target_file_size; each row written adds one row of its segment to the new file's
 *      lineage; every count is checked (rows read = the file's rows = its catalog row's
 *      records; rows written = rows read);
 *   4. stage, publish (crash point "compact_published"), etl_commit with the outputs and
 *      their lineage and the small files to retire (crash point "compact_committed"),
 *      then the small files are removed under their key locks.
 * A failure before the commit takes back the published files, records the run failed and
 * runs the recovery at once; a kill leaves that to the next compaction (or fsck).
 *
 * sl_etl_compact_split (a rewind's, internal.h) is the same loop with two differences:
 * the plan is the table's active files, of any size, whose lineage holds rows of the
 * rewound job's runs after N beside other rows (etl_lineage_find), one file a partition
 * being enough; and step 3 reads each partition's files twice, writing the rows that
 * stay, then (into other files) the rows of the undone runs. Rows in = rows out still:
 * each commit changes how the table's rows are laid out, never which rows it holds, so a
 * split killed anywhere leaves the table exact. The caller holds the leases.
 */
#include "etl/compact.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "etl/internal.h"
#include "json/json.h"
#include "parquet/codec.h"
#include "parquet/reader.h"
#include "parquet/writer.h"
#include "store/store.h"
#include "types/types.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/crashpoint.h"
#include "util/hash.h"

#define DEFAULT_TARGET ((int64_t)128 << 20)     /* a run's default (run.c) */
#define MAX_ROW_GROUP_BYTES ((size_t)64 << 20)  /* as a run's */
#define RENEW_MAX_MS 5000                       /* the lease is renewed at least this often */
#define JOB_PREFIX "compact:curated."

/* A small file to merge (or, for a rewind, a merged file to split). */
struct cin {
	char *key;                /* owned */
	int64_t seq, records, bytes;
	struct sl_etl_segment *lin; /* its lineage, in row order; owned */
	size_t n_lin;
};

/* The lineage of a file being written: the runs of its rows so far. */
struct olin {
	struct sl_etl_segment *v;
	size_t n, cap;
};

/* Which rows of the files read go into the files written. */
enum pass {
	PASS_ALL,                 /* a compaction: every row */
	PASS_KEPT,                /* a split: the rows a rewind keeps */
	PASS_UNDONE               /* a split: the rows of the runs it undoes */
};

/* A partition to merge: ins[first, first + n), written to outs[first_out, + n_out). */
struct cgroup {
	char part[SL_CAT_PART_MAX];
	size_t first, n;
	int64_t bytes;            /* of its small files */
	int64_t files_before, bytes_before; /* the partition's active files */
	int64_t rows;
	size_t first_out, n_out;
};

struct compact {
	struct sl_lake *lake;
	struct sl_meta *m;
	struct sl_store *s;
	const struct sl_etl_compact_opts *o;
	struct sl_etl_compact_result *res;
	const char *partition;    /* NULL: all */
	/* A split for a rewind (sl_etl_compact_split): the job whose runs after split_after
	 * it undoes; NULL: a compaction. */
	const char *split_job;
	int64_t split_after;
	enum pass pass;
	char table[SL_CAT_NAME_MAX];
	char job[SL_JOB_MAX];
	char holder[SL_HOLDER_MAX];
	bool leased;
	int64_t min_size, target;
	struct sl_pq_write_opts wo;
	int64_t ttl_ms, renew_every_ms, renewed_ms;
	struct sl_json_limits lim;
	struct sl_json_parser *parser;
	/* one run */
	struct sl_cat_table t;
	bool have_t;
	struct sl_type *row;
	struct sl_etl_run run;
	bool begun, committed;
	char run_text[24];
	struct sl_pq_kv_pair kv[2];
	struct cin *ins;
	size_t n_ins, cap_ins;
	struct cgroup *groups;
	size_t n_groups, cap_groups;
	bool group_open;          /* planning: the last group may still grow */
	int64_t planned;          /* planning: bytes the kept groups will be written as */
	bool more;                /* the plan stopped before the end of the listing */
	int rc;                   /* planning: SL_ENOMEM */
	struct sl_etl_outfile **outs;
	struct olin *olins;       /* outs[i]'s lineage */
	size_t n_outs, cap_outs;
	struct sl_pq_writer *pw;  /* the writer of outs[n_outs - 1] while it is open */
	int64_t file_no;
};

/* ---- small helpers -------------------------------------------------------------------- */

/* "compact:curated.NAME"; a name too long for a job name is cut and followed by a hash
 * of the whole name, so that two tables never share a lease. */
int sl_etl_compact_job(const char *table, char out[SL_JOB_MAX], struct sl_err *err)
{
	size_t fixed = sizeof(JOB_PREFIX) - 1;
	if (fixed + strlen(table) < SL_JOB_MAX) {
		snprintf(out, SL_JOB_MAX, JOB_PREFIX "%s", table);
		return 0;
	}
	struct sl_hasher h;
	char hex[SL_HASH_TEXT_MAX];
	if (sl_hasher_init(&h) != 0)
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	sl_hasher_update(&h, table, strlen(table));
	sl_hasher_final(&h, hex);
	/* "sha256:" + 64 hex: 12 of them after a '~' */
	int keep = (int)(SL_JOB_MAX - 1 - fixed - 13);
	snprintf(out, SL_JOB_MAX, JOB_PREFIX "%.*s~%.12s", keep, table, hex + 7);
	return 0;
}

static void renew(struct compact *c)
{
	int64_t now = sl_mono_ms();
	if (now - c->renewed_ms < c->renew_every_ms)
		return;
	c->renewed_ms = now;
	/* a failed renewal shows at the next one or at the commit, which checks the lease */
	c->m->ops->etl_lease(c->m->state, c->job, c->holder, c->ttl_ms, sl_now_ms(), NULL);
	if (c->split_job) /* the rewind's, which holds both */
		c->m->ops->etl_lease(c->m->state, c->split_job, c->holder, c->ttl_ms, sl_now_ms(),
				     NULL);
}

static int take_lease(struct compact *c, struct sl_err *err)
{
	struct sl_err e = {0};
	int rc = sl_etl_lease_take(c->m, c->job, c->holder, c->ttl_ms, &e);
	if (rc == SL_EBUSY) {
		/* "job J is running (leased by H until T)" -> "a compaction of ... (leased ...)" */
		const char *why = strstr(e.msg, "running (");
		return sl_err_set(err, SL_EBUSY, "a compaction of curated.%s is running %s",
				  c->table, why ? why + strlen("running ") : e.msg);
	}
	if (rc)
		return sl_err_set(err, rc, "compaction of curated.%s: %s", c->table, e.msg);
	c->leased = true;
	c->renewed_ms = sl_mono_ms();
	return 0;
}

/* ---- removals left unfinished ----------------------------------------------------------- */

/* Retired files of the table whose removal was committed (index row 'deleting') and not
 * finished: a compaction or a rewind killed after its commit. */
struct unfinished {
	char **keys;
	int64_t *seqs;
	size_t n, cap;
	int rc;
};

static int unfinished_one(void *ctx, const struct sl_cat_file *f)
{
	struct unfinished *u = ctx;
	if (strcmp(f->state, SL_CAT_FILE_RETIRED) != 0)
		return 0;
	if (u->n == SL_COMPACT_MAX_FILES)
		return 1; /* the rest next time (or fsck) */
	if (u->n == u->cap) {
		size_t cap = u->cap ? u->cap * 2 : 16;
		char **k = realloc(u->keys, cap * sizeof(*k));
		if (k)
			u->keys = k;
		int64_t *q = k ? realloc(u->seqs, cap * sizeof(*q)) : NULL;
		if (!q)
			return u->rc = SL_ENOMEM;
		u->seqs = q;
		u->cap = cap;
	}
	if (!(u->keys[u->n] = strdup(f->key)))
		return u->rc = SL_ENOMEM;
	u->seqs[u->n++] = f->seq;
	return 0;
}

/* Finishes those removals (as fsck would: the commit that retired the files is durable),
 * so that a compaction after a kill leaves no retired file behind; *n counts them. */
static int finish_removals(struct compact *c, int64_t *n, struct sl_err *err)
{
	struct unfinished u = {0};
	int rc = c->m->ops->catalog_file_list(c->m->state, "curated", c->table, NULL, false,
					      unfinished_one, &u, err);
	if (u.rc)
		rc = sl_err_set(err, SL_ENOMEM, "out of memory");
	else if (rc > 0)
		rc = 0;
	for (size_t i = 0; rc == 0 && i < u.n; i++) {
		struct sl_object row;
		if ((rc = sl_store_key_lock(c->s, "curated", u.keys[i], err)) != 0)
			break;
		/* looked at under the lock: a put of the key in between is left alone */
		int got = c->m->ops->object_get(c->m->state, "curated", u.keys[i], &row, NULL);
		if (got == 0 && row.seq == u.seqs[i] && strcmp(row.state, SL_STATE_DELETING) == 0) {
			rc = sl_store_remove_finish(c->s, "curated", u.keys[i], err);
			if (rc == 0)
				(*n)++;
		}
		sl_store_key_unlock(c->s, "curated", u.keys[i]);
	}
	for (size_t i = 0; i < u.n; i++)
		free(u.keys[i]);
	free(u.keys);
	free(u.seqs);
	return rc;
}

/* ---- the plan ------------------------------------------------------------------------- */

static int64_t cost(int64_t bytes, int64_t target)
{
	return bytes > target ? bytes : target; /* a partition makes one file at least */
}

/* The bytes a group's files will be written as, counted in whole files at least: a
 * compaction writes one file or more, a split one of the rows kept and one of the rows
 * undone. */
static int64_t group_cost(const struct compact *c, int64_t bytes)
{
	int64_t n = cost(bytes, c->target);
	return c->split_job ? n + c->target : n;
}

/* The files a partition needs to be worth a run: two to merge, one to split. */
static size_t min_files(const struct compact *c)
{
	return c->split_job ? 1 : 2;
}

static void in_free(struct cin *in)
{
	free(in->key);
	free(in->lin);
	in->key = NULL;
	in->lin = NULL;
	in->n_lin = 0;
}

/* Ends the group being filled: kept with enough files, else forgotten. */
static void group_close(struct compact *c)
{
	if (!c->group_open)
		return;
	c->group_open = false;
	struct cgroup *g = &c->groups[c->n_groups - 1];
	if (g->n >= min_files(c)) {
		c->planned += group_cost(c, g->bytes);
		return;
	}
	for (size_t i = g->first; i < g->first + g->n; i++)
		in_free(&c->ins[i]);
	c->n_ins = g->first;
	c->n_groups--;
}

static int plan_file(void *ctx, const struct sl_cat_file *f)
{
	struct compact *c = ctx;
	int64_t budget = (int64_t)SL_COMPACT_MAX_OUTPUTS * c->target;
	if (strcmp(f->state, SL_CAT_FILE_ACTIVE) != 0 || strcmp(f->format, "parquet") != 0 ||
	    (!c->split_job && f->bytes >= c->min_size) || f->seq < 1)
		return 0;
	struct cgroup *g = c->group_open ? &c->groups[c->n_groups - 1] : NULL;
	if (!g || strcmp(g->part, f->part) != 0) {
		group_close(c);
		if (c->n_groups > 0 && c->planned + group_cost(c, 0) > budget) {
			c->more = true;
			return 1;
		}
		if (c->n_groups == c->cap_groups) {
			size_t cap = c->cap_groups ? c->cap_groups * 2 : 8;
			void *v = realloc(c->groups, cap * sizeof(*c->groups));
			if (!v)
				return c->rc = SL_ENOMEM;
			c->groups = v;
			c->cap_groups = cap;
		}
		g = &c->groups[c->n_groups++];
		memset(g, 0, sizeof(*g));
		snprintf(g->part, sizeof(g->part), "%s", f->part);
		g->first = c->n_ins;
		c->group_open = true;
	}
	/* full: stop here, keeping what is planned (the next run takes the rest) */
	bool something = c->n_groups > 1 || g->n >= min_files(c);
	if (c->n_ins >= SL_COMPACT_MAX_FILES ||
	    (something && c->planned + group_cost(c, g->bytes + f->bytes) > budget)) {
		c->more = true;
		return 1;
	}
	if (c->n_ins == c->cap_ins) {
		size_t cap = c->cap_ins ? c->cap_ins * 2 : 64;
		void *v = realloc(c->ins, cap * sizeof(*c->ins));
		if (!v)
			return c->rc = SL_ENOMEM;
		c->ins = v;
		c->cap_ins = cap;
	}
	struct cin *in = &c->ins[c->n_ins];
	memset(in, 0, sizeof(*in));
	if (!(in->key = strdup(f->key)))
		return c->rc = SL_ENOMEM;
	in->seq = f->seq;
	in->records = f->records;
	in->bytes = f->bytes;
	c->n_ins++;
	g->n++;
	g->bytes += f->bytes;
	return 0;
}

static int by_seq(const void *a, const void *b)
{
	const struct cin *x = a, *y = b;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int plan_part(void *ctx, const struct sl_cat_partition *p)
{
	struct compact *c = ctx;
	for (size_t i = 0; i < c->n_groups; i++)
		if (strcmp(c->groups[i].part, p->part) == 0) {
			c->groups[i].files_before = p->objects;
			c->groups[i].bytes_before = p->bytes;
		}
	return 0;
}

static void plan_release(struct compact *c)
{
	for (size_t i = 0; i < c->n_ins; i++)
		in_free(&c->ins[i]);
	c->n_ins = 0;
	c->n_groups = 0;
	c->group_open = false;
	c->planned = 0;
	c->more = false;
	c->rc = 0;
}

/* ---- lineage -------------------------------------------------------------------------- */

/* Whether a split puts the rows of segment g aside: rows of the runs the rewind undoes. */
static bool undone(const struct compact *c, const struct sl_etl_segment *g)
{
	return c->split_job && g->run > c->split_after && strcmp(g->job, c->split_job) == 0;
}

struct lin_read {
	struct sl_etl_segment *v;
	size_t n, cap;
	int rc;
};

static int lin_one(void *ctx, const struct sl_object *file, const struct sl_etl_segment *seg)
{
	struct lin_read *l = ctx;
	(void)file;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		void *v = realloc(l->v, cap * sizeof(*l->v));
		if (!v)
			return l->rc = SL_ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *seg;
	return 0;
}

/* The lineage of curated/key at seq, a file of `records` rows (*lin takes it): the one
 * its commit recorded (a merged file), else the run that committed it, else one segment
 * of unknown origin (job ""; a file put by hand). Its rows must be the file's
 * (SL_ECORRUPT otherwise). */
static int lineage_read(struct compact *c, const char *key, int64_t seq, int64_t records,
			struct sl_etl_segment **lin, size_t *n_lin, struct sl_err *err)
{
	static const struct sl_etl_segment unknown = {.job = "", .run = 0, .rows = 0};
	struct lin_read l = {0};
	int64_t rows = 0;
	int rc = c->m->ops->etl_lineage_get(c->m->state, "curated", key, seq, lin_one, &l, err);
	*lin = NULL;
	*n_lin = 0;
	if (l.rc)
		rc = sl_err_set(err, SL_ENOMEM, "out of memory");
	if (rc)
		goto fail;
	if (l.n == 1 && l.v[0].rows == -1) /* a run's own file: all of it */
		l.v[0].rows = records;
	else if (l.n == 0 && records > 0 && lin_one(&l, NULL, &unknown) == 0)
		l.v[0].rows = records;
	if (l.rc) {
		rc = sl_err_set(err, SL_ENOMEM, "out of memory");
		goto fail;
	}
	if (records == 0 && l.n == 1 && l.v[0].rows == 0)
		l.n = 0;
	for (size_t i = 0; i < l.n; i++) {
		if (l.v[i].rows < 1 || l.v[i].rows > records - rows) {
			rows = -1;
			break;
		}
		rows += l.v[i].rows;
	}
	if (rows != records) {
		rc = sl_err_set(err, SL_ECORRUPT,
				"curated/%s: its lineage (%zu segments) does not add up to its "
				"%" PRId64 " rows",
				key, l.n, records);
		goto fail;
	}
	*lin = l.v;
	*n_lin = l.n;
	return 0;
fail:
	free(l.v);
	return rc;
}

/* ---- the plan of a split ------------------------------------------------------------------ */

/* A present file with rows of the runs a rewind undoes. */
struct cand {
	char *key;
	int64_t seq;
};

struct cands {
	struct cand *v;
	size_t n, cap;
	int rc;
};

static int cand_one(void *ctx, const struct sl_object *file, const struct sl_etl_segment *seg)
{
	struct cands *k = ctx;
	(void)seg;
	if (strcmp(file->zone, "curated") != 0 || (k->n && k->v[k->n - 1].seq == file->seq))
		return 0; /* by seq: one file's segments come together */
	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 16;
		void *v = realloc(k->v, cap * sizeof(*k->v));
		if (!v)
			return k->rc = SL_ENOMEM;
		k->v = v;
		k->cap = cap;
	}
	if (!(k->v[k->n].key = strdup(file->key)))
		return k->rc = SL_ENOMEM;
	k->v[k->n++].seq = file->seq;
	return 0;
}

static int cand_by_key(const void *a, const void *b)
{
	return strcmp(((const struct cand *)a)->key, ((const struct cand *)b)->key);
}

/* The active files of the table whose lineage holds rows of the split job's runs after
 * split_after AND rows that stay, in key order (hence partition by partition) through
 * plan_file. A file holding only rows of those runs is left to the rewind, which retires
 * it whole. */
static int split_plan(struct compact *c, struct sl_err *err)
{
	struct sl_meta *m = c->m;
	struct cands k = {0};
	int rc = m->ops->etl_lineage_find(m->state, c->split_job, c->split_after, cand_one, &k,
					  err);
	if (k.rc)
		rc = sl_err_set(err, SL_ENOMEM, "out of memory");
	if (rc) {
		sl_err_prefix(err, "lineage of job %s", c->split_job);
		goto done;
	}
	if (k.n)
		qsort(k.v, k.n, sizeof(*k.v), cand_by_key);
	for (size_t i = 0; rc == 0 && i < k.n; i++) {
		struct sl_cat_file f;
		struct sl_etl_segment *lin = NULL;
		size_t n_lin = 0;
		bool mixed = false;
		int got = m->ops->catalog_file_get(m->state, "curated", k.v[i].key, &f, err);
		if (got == SL_ENOENT)
			continue; /* in no table: nobody's data */
		if (got) {
			rc = got;
			break;
		}
		if (f.seq == k.v[i].seq && strcmp(f.db, "curated") == 0 &&
		    strcmp(f.table, c->table) == 0 && strcmp(f.state, SL_CAT_FILE_ACTIVE) == 0) {
			rc = lineage_read(c, f.key, f.seq, f.records, &lin, &n_lin, err);
			for (size_t j = 0; rc == 0 && j < n_lin; j++)
				mixed = mixed || !undone(c, &lin[j]);
		}
		if (rc == 0 && mixed && plan_file(c, &f) != 0)
			rc = c->rc ? sl_err_set(err, SL_ENOMEM, "out of memory") : 1; /* 1: full */
		sl_cat_file_release(&f);
		free(lin);
	}
	if (rc == 1)
		rc = 0;
done:
	for (size_t i = 0; i < k.n; i++)
		free(k.v[i].key);
	free(k.v);
	return rc;
}

static int plan(struct compact *c, struct sl_err *err)
{
	struct sl_meta *m = c->m;
	int rc;
	plan_release(c);
	if (c->split_job) {
		if ((rc = split_plan(c, err)) != 0)
			return rc;
	} else {
		rc = m->ops->catalog_file_list(m->state, "curated", c->table, c->partition, false,
					       plan_file, c, err);
		if (c->rc)
			return sl_err_set(err, SL_ENOMEM, "out of memory");
		if (rc < 0)
			return sl_err_prefix(err, "files of curated.%s", c->table);
	}
	group_close(c);
	for (size_t i = 0; i < c->n_groups; i++)
		qsort(c->ins + c->groups[i].first, c->groups[i].n, sizeof(*c->ins), by_seq);
	for (size_t i = 0; i < c->n_ins; i++) {
		struct cin *in = &c->ins[i];
		if ((rc = lineage_read(c, in->key, in->seq, in->records, &in->lin, &in->n_lin,
				       err)) != 0)
			return rc;
	}
	if (c->n_groups &&
	    (rc = m->ops->catalog_partition_list(m->state, "curated", c->table, plan_part, c,
						 err)) < 0)
		return sl_err_prefix(err, "partitions of curated.%s", c->table);
	return 0;
}

/* ---- the new files ----------------------------------------------------------------------- */

/* Finishes the open file (footer written, checksum final). */
static int out_finish(struct compact *c, struct sl_err *err)
{
	struct sl_etl_outfile *f = c->outs[c->n_outs - 1];
	int rc = sl_pq_writer_close(c->pw, err);
	sl_pq_writer_free(c->pw);
	c->pw = NULL;
	if (rc)
		return sl_err_prefix(err, "curated/%s", f->key);
	sl_etl_outfile_seal(f);
	return 0;
}

/* Opens the next file of group g. */
static int out_open(struct compact *c, const struct cgroup *g, struct sl_err *err)
{
	struct sl_etl_outfile *f = NULL;
	int rc;
	if (c->n_outs == c->cap_outs) {
		size_t cap = c->cap_outs ? c->cap_outs * 2 : 16;
		void *v = realloc(c->outs, cap * sizeof(*c->outs));
		if (!v)
			return sl_err_set(err, SL_ENOMEM, "out of memory");
		c->outs = v;
		if (!(v = realloc(c->olins, cap * sizeof(*c->olins))))
			return sl_err_set(err, SL_ENOMEM, "out of memory");
		c->olins = v;
		c->cap_outs = cap;
	}
	char key[SL_KEY_MAX + 2];
	int n = snprintf(key, sizeof(key), "%s%s%spart-c%" PRId64 "-%03" PRId64 ".parquet",
			 c->t.prefix, g->part, g->part[0] ? "/" : "", c->run.id, c->file_no);
	if (n < 0 || (size_t)n >= sizeof(key))
		return sl_err_set(err, SL_EKEY, "partition %s: the new file's key would be longer "
				  "than %d bytes", g->part, SL_KEY_MAX);
	if ((rc = sl_etl_outfile_open(c->s, g->part, key, &f, err)) != 0)
		return rc;
	if ((rc = sl_pq_writer_open(c->row, &c->wo, &f->sink, &c->pw, err)) != 0)
		goto fail;
	/* a member the row type lacks would be dropped: rows in = rows out, exactly */
	sl_pq_writer_set_strict_members(c->pw, true);
	c->olins[c->n_outs] = (struct olin){0};
	c->outs[c->n_outs++] = f;
	c->file_no++;
	return 0;
fail:
	c->pw = NULL;
	sl_etl_outfile_free(f);
	return rc;
}

/* ---- merging -------------------------------------------------------------------------- */

/* One more row of run seg into the open file's lineage. */
static int lineage_add(struct compact *c, const struct sl_etl_segment *seg, struct sl_err *err)
{
	struct olin *l = &c->olins[c->n_outs - 1];
	if (l->n && l->v[l->n - 1].run == seg->run && strcmp(l->v[l->n - 1].job, seg->job) == 0) {
		l->v[l->n - 1].rows++;
		return 0;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		void *v = realloc(l->v, cap * sizeof(*l->v));
		if (!v)
			return sl_err_set(err, SL_ENOMEM, "out of memory");
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n] = *seg;
	l->v[l->n++].rows = 1;
	return 0;
}

static int put_row(struct compact *c, struct cgroup *g, const struct cin *in,
		   const struct sl_etl_segment *seg, int64_t n, const struct sl_buf *b,
		   struct sl_err *err)
{
	struct sl_json_doc doc;
	struct sl_json_error e;
	struct sl_err werr = {0};
	int rc;
	if (sl_json_parse(c->parser, b->data, b->len, &doc, &e) != 0)
		return sl_err_set(err, SL_ECORRUPT, "curated/%s: row %" PRId64 " reads back as "
				  "no JSON: %s", in->key, n, e.msg);
	if (!c->pw && (rc = out_open(c, g, err)) != 0)
		return rc;
	struct sl_etl_outfile *f = c->outs[c->n_outs - 1];
	rc = sl_pq_writer_put_json(c->pw, &doc, &werr);
	if (rc == SL_EINVAL)
		return sl_err_set(err, SL_EINVAL,
				  "curated/%s: row %" PRId64 " does not fit the table's row type "
				  "(version %" PRId64 "): %s",
				  in->key, n, c->t.version, werr.msg);
	if (rc)
		return sl_err_set(err, rc, "curated/%s: %s", f->key, werr.msg);
	f->rows++;
	g->rows++;
	if ((rc = lineage_add(c, seg, err)) != 0)
		return rc;
	struct sl_pq_write_stats st;
	sl_pq_writer_stats(c->pw, &st);
	if (st.bytes_written >= c->target)
		return out_finish(c, err);
	return 0;
}

/* Every row of one small file (a split: the rows of this pass) into the group's
 * writers, each with the segment of its lineage it belongs to. */
static int merge_file(struct compact *c, struct cgroup *g, const struct cin *in,
		      struct sl_err *err)
{
	struct sl_pq_read_opts po;
	struct sl_pq_reader *pr = NULL;
	struct sl_pq_rows *rows = NULL;
	struct sl_object obj;
	struct sl_buf b;
	char name[SL_ZONE_MAX + SL_KEY_MAX + 2];
	int64_t n = 0, left = 0;
	size_t si = 0;
	int fd = -1;
	int rc = sl_store_open_fd(c->s, "curated", in->key, &fd, &obj, err);

	sl_buf_init(&b, SL_BUF_DEFAULT_MAX);
	snprintf(name, sizeof(name), "curated/%s", in->key);
	if (rc == SL_ENOENT || (rc == 0 && obj.seq != in->seq)) {
		rc = sl_err_set(err, SL_ESTALE, "%s changed since it was listed (removed or "
				"replaced): nothing was compacted, run it again", name);
		goto done;
	}
	if (rc)
		goto done;
	sl_pq_read_opts_default(&po);
	if ((rc = sl_pq_reader_open(fd, name, &po, &pr, err)) != 0)
		goto done;
	if (sl_pq_reader_rows(pr) != in->records) {
		rc = sl_err_set(err, SL_ECORRUPT, "%s holds %" PRId64 " rows, its catalog row says "
				"%" PRId64, name, sl_pq_reader_rows(pr), in->records);
		goto done;
	}
	if ((rc = sl_pq_rows_open(pr, NULL, 0, NULL, 0, &rows, err)) != 0)
		goto done;
	for (;;) {
		sl_buf_reset(&b);
		int got = sl_pq_rows_next(rows, &b, err);
		if (got < 0) {
			rc = got;
			goto done;
		}
		if (got == 0)
			break;
		n++;
		/* the segment of this row (the lineage adds up to the file's rows, checked) */
		while (left == 0 && si < in->n_lin)
			left = in->lin[si++].rows;
		if (left-- == 0) {
			rc = sl_err_set(err, SL_ECORRUPT, "%s: row %" PRId64 " is beyond its lineage",
					name, n);
			goto done;
		}
		const struct sl_etl_segment *seg = &in->lin[si - 1];
		bool put = c->pass == PASS_ALL || (c->pass == PASS_UNDONE) == undone(c, seg);
		if (put && (rc = put_row(c, g, in, seg, n, &b, err)) != 0)
			goto done;
		if ((n & 1023) == 0)
			renew(c);
	}
	if (n != in->records)
		rc = sl_err_set(err, SL_ECORRUPT, "%s: %" PRId64 " rows read, %" PRId64
				" in its footer", name, n, in->records);
done:
	sl_pq_rows_close(rows);
	sl_pq_reader_close(pr);
	if (fd >= 0)
		close(fd);
	sl_buf_release(&b);
	return rc;
}

/* ---- one run -------------------------------------------------------------------------- */

/* Takes back the files written (published ones included: nothing committed them). */
static void outs_free(struct compact *c)
{
	sl_pq_writer_free(c->pw);
	c->pw = NULL;
	for (size_t i = 0; i < c->n_outs; i++) {
		sl_etl_outfile_free(c->outs[i]);
		c->outs[i] = NULL;
		free(c->olins[i].v);
	}
	c->n_outs = 0;
}

static void run_release(struct compact *c)
{
	outs_free(c);
	c->file_no = 0;
	if (c->have_t)
		sl_cat_table_release(&c->t);
	c->have_t = false;
	sl_type_free(c->row);
	c->row = NULL;
	c->begun = c->committed = false;
}

/* The row type of every new file: the table's current schema. */
static int load_table(struct compact *c, struct sl_err *err)
{
	struct sl_err perr = {0};
	int rc = c->m->ops->catalog_table_get(c->m->state, "curated", c->table, &c->t, err);
	if (rc == SL_ENOENT)
		return sl_err_set(err, SL_ENOENT, "no curated table %s", c->table);
	if (rc)
		return rc;
	c->have_t = true;
	if (strcmp(c->t.format, "parquet") != 0 || strcmp(c->t.zone, "curated") != 0)
		return sl_err_set(err, SL_EINVAL, "curated.%s is a %s table in %s, not a Parquet "
				  "table of the curated zone: only Parquet files are compacted",
				  c->table, c->t.format, c->t.zone);
	if (!c->t.schema || !(c->row = sl_type_parse(c->t.schema, strlen(c->t.schema), &perr)))
		return sl_err_set(err, SL_ECORRUPT, "curated.%s: its schema cannot be read: %s",
				  c->table, perr.msg);
	if (c->row->kind != SL_T_STRUCT)
		return sl_err_set(err, SL_ECORRUPT, "curated.%s: its schema is not a row type",
				  c->table);
	return 0;
}

static int add_parts(struct compact *c, struct sl_err *err)
{
	struct sl_etl_compact_result *res = c->res;
	void *v = realloc(res->parts, (res->n_parts + c->n_groups) * sizeof(*res->parts));
	if (!v)
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	res->parts = v;
	for (size_t i = 0; i < c->n_groups; i++) {
		const struct cgroup *g = &c->groups[i];
		struct sl_etl_compact_part *p = &res->parts[res->n_parts++];
		int64_t out_bytes = 0;
		for (size_t k = g->first_out; k < g->first_out + g->n_out; k++)
			out_bytes += c->outs[k]->size;
		memset(p, 0, sizeof(*p));
		snprintf(p->part, sizeof(p->part), "%s", g->part);
		p->files_before = g->files_before;
		p->files_after = g->files_before - (int64_t)g->n + (int64_t)g->n_out;
		p->bytes_before = g->bytes_before;
		p->bytes_after = g->bytes_before - g->bytes + out_bytes;
		p->merged = (int64_t)g->n;
		p->written = (int64_t)g->n_out;
		p->rows = g->rows;
		p->run_id = c->run.id;
	}
	return 0;
}

/* Removes the committed run's small files (their index rows are 'deleting'); a failure
 * is left to fsck, and said. */
static int remove_inputs(struct compact *c, struct sl_err *err)
{
	int first = 0;
	for (size_t i = 0; i < c->n_ins; i++) {
		struct sl_err e = {0};
		const char *key = c->ins[i].key;
		int rc = sl_store_key_lock(c->s, "curated", key, &e);
		if (rc == 0) {
			rc = sl_store_remove_finish(c->s, "curated", key, &e);
			sl_store_key_unlock(c->s, "curated", key);
		}
		if (rc && !first) {
			first = rc;
			c->res->removal_pending = true;
			sl_err_set(err, rc, "compaction of curated.%s committed, but curated/%s "
				   "could not be removed (fsck --repair finishes it): %s",
				   c->table, key, e.msg);
		}
	}
	return first;
}

static int commit(struct compact *c, struct sl_err *err)
{
	struct sl_meta *m = c->m;
	struct sl_etl_output *outs = calloc(c->n_outs ? c->n_outs : 1, sizeof(*outs));
	struct sl_cat_file *cfiles = calloc(c->n_outs ? c->n_outs : 1, sizeof(*cfiles));
	struct sl_object *retire = calloc(c->n_ins ? c->n_ins : 1, sizeof(*retire));
	const char **keys = calloc(c->n_outs ? c->n_outs : 1, sizeof(*keys));
	int64_t rows_in = 0, rows_out = 0, bytes_in = 0, bytes = 0, now;
	int rc = 0;

	if (!outs || !cfiles || !retire || !keys) {
		rc = sl_err_set(err, SL_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < c->n_ins; i++) {
		rows_in += c->ins[i].records;
		bytes_in += c->ins[i].bytes;
	}
	for (size_t i = 0; i < c->n_outs; i++) {
		rows_out += c->outs[i]->rows;
		keys[i] = c->outs[i]->key;
	}
	if (rows_in != rows_out) { /* promise 1, whatever went wrong above */
		rc = sl_err_set(err, SL_ECORRUPT,
				"compaction of curated.%s: %" PRId64 " rows read, %" PRId64
				" written", c->table, rows_in, rows_out);
		goto done;
	}
	if (c->o && c->o->before_stage)
		c->o->before_stage(c->o->before_stage_ctx);
	/* stage, BEFORE anything is published */
	renew(c);
	if ((rc = m->ops->etl_stage(m->state, c->job, c->run.id, c->holder, "curated", keys,
				    c->n_outs, sl_now_ms(), err)) != 0)
		goto done;
	/* publish */
	for (size_t i = 0; i < c->n_outs; i++) {
		struct sl_etl_outfile *f = c->outs[i];
		if ((rc = sl_etl_outfile_publish(f, err)) != 0)
			goto done;
		renew(c);
		bytes += f->size;
	}
	sl_crash_point("compact_published");

	/* commit: the new files registered, the small ones retired, the bookmark kept */
	now = sl_now_ms();
	for (size_t gi = 0; gi < c->n_groups; gi++) {
		const struct cgroup *g = &c->groups[gi];
		for (size_t i = g->first_out; i < g->first_out + g->n_out; i++) {
			const struct sl_etl_outfile *f = c->outs[i];
			sl_etl_outfile_rows(f, c->table, c->t.version, now, &outs[i].obj, &cfiles[i]);
			outs[i].file = &cfiles[i];
			outs[i].lineage = c->olins[i].v;
			outs[i].n_lineage = c->olins[i].n;
		}
	}
	for (size_t i = 0; i < c->n_ins; i++) {
		snprintf(retire[i].zone, sizeof(retire[i].zone), "curated");
		snprintf(retire[i].key, sizeof(retire[i].key), "%s", c->ins[i].key);
		retire[i].seq = c->ins[i].seq;
	}
	struct sl_etl_run counts = c->run;
	counts.objects = (int64_t)c->n_ins;
	counts.rows_in = rows_in;
	counts.rows_out = rows_out;
	counts.files = (int64_t)c->n_outs;
	counts.bytes = bytes;
	counts.to_seq = c->run.from_seq;
	struct sl_etl_commit ec = {
		.job = c->job,
		.run_id = c->run.id,
		.holder = c->holder,
		.to_seq = c->run.from_seq, /* a compaction reads no source: the bookmark stays */
		.outputs = outs,
		.n_outputs = c->n_outs,
		.counts = &counts,
		.retire = retire,
		.n_retire = c->n_ins,
	};
	renew(c);
	if ((rc = m->ops->etl_commit(m->state, &ec, sl_now_ms(), err)) != 0) {
		sl_err_prefix(err, "compaction of curated.%s: commit", c->table);
		goto done;
	}
	c->committed = true;
	sl_crash_point("compact_committed");
	for (size_t i = 0; i < c->n_outs; i++) {
		struct sl_etl_outfile *f = c->outs[i];
		f->s->ops->put_finish(f->bw, true, NULL); /* the files are the table's now */
		f->bw = NULL;
	}
	struct sl_etl_compact_result *res = c->res;
	res->runs++;
	res->files_in += (int64_t)c->n_ins;
	res->files_out += (int64_t)c->n_outs;
	res->rows += rows_out;
	res->bytes_in += bytes_in;
	res->bytes_out += bytes;
	if ((rc = add_parts(c, err)) == 0)
		rc = remove_inputs(c, err);
	else
		remove_inputs(c, NULL);
done:
	free(outs);
	free(cfiles);
	free(retire);
	free(keys);
	return rc;
}

/* One run: plan, and when there is something to merge, begin, merge and commit it.
 * *did says whether a run committed. */
static int one_run(struct compact *c, bool *did, struct sl_err *err)
{
	struct sl_meta *m = c->m;
	int rc;
	*did = false;
	if ((rc = load_table(c, err)) != 0 || (rc = plan(c, err)) != 0)
		return rc;
	if (c->n_groups == 0)
		return 0;
	if ((rc = m->ops->etl_run_begin(m->state, c->job, c->holder, sl_now_ms(), &c->run,
					err)) != 0)
		return sl_err_prefix(err, "compaction of curated.%s", c->table);
	c->begun = true;
	c->res->last_run = c->run.id;
	snprintf(c->run_text, sizeof(c->run_text), "%" PRId64, c->run.id);
	c->kv[0] = (struct sl_pq_kv_pair){"sluice.etl.job", c->job};
	c->kv[1] = (struct sl_pq_kv_pair){"sluice.etl.run", c->run_text};
	c->wo.kv = c->kv;
	c->wo.n_kv = 2;
	/* a split reads its files twice: the rows that stay, then the others, so that no
	 * file written holds both */
	static const enum pass compaction[] = {PASS_ALL}, split[] = {PASS_KEPT, PASS_UNDONE};
	const enum pass *passes = c->split_job ? split : compaction;
	size_t n_passes = c->split_job ? 2 : 1;
	for (size_t gi = 0; gi < c->n_groups; gi++) {
		struct cgroup *g = &c->groups[gi];
		g->first_out = c->n_outs;
		for (size_t pi = 0; pi < n_passes; pi++) {
			c->pass = passes[pi];
			for (size_t i = g->first; i < g->first + g->n; i++) {
				renew(c);
				if ((rc = merge_file(c, g, &c->ins[i], err)) != 0)
					return rc;
			}
			if (c->pw && (rc = out_finish(c, err)) != 0)
				return rc;
		}
		g->n_out = c->n_outs - g->first_out;
	}
	rc = commit(c, err);
	*did = c->committed;
	return rc;
}

/* ---- settings -------------------------------------------------------------------------- */

static int settings(struct compact *c, const struct sl_etl_compact_opts *o, struct sl_err *err)
{
	struct sl_job_conf job;
	const struct sl_job_conf *j = sl_config_job_writing(&c->lake->cfg, c->table, &job);
	int64_t job_target = j && j->target_file_size > 0 ? j->target_file_size : 0;
	c->target = o && o->target_file_size > 0 ? o->target_file_size
		    : job_target                  ? job_target
						  : DEFAULT_TARGET;
	if (o && o->min_file_size > 0)
		c->min_size = o->min_file_size;
	else
		c->min_size = job_target ? job_target / 2 : SL_COMPACT_DEFAULT_MIN;
	if ((o && (o->min_file_size < 0 || o->target_file_size < 0)) ||
	    c->min_size > c->target)
		return sl_err_set(err, SL_EINVAL,
				  "compaction of curated.%s: the smallest size kept (%" PRId64
				  " bytes) must be positive and at most the target size (%" PRId64
				  " bytes), or merged files would be merged again",
				  c->table, c->min_size, c->target);
	sl_pq_write_opts_default(&c->wo);
	if (j && j->codec[0] && !(c->wo.codec = sl_pq_codec_by_name(j->codec)))
		return sl_err_set(err, SL_ECONFIG, "job %s: unknown codec '%s'", j->name, j->codec);
	if (j)
		c->wo.level = (int)j->level;
	c->wo.row_group_bytes = (size_t)c->target < MAX_ROW_GROUP_BYTES ? (size_t)c->target
									: MAX_ROW_GROUP_BYTES;
	c->res->min_file_size = c->min_size;
	c->res->target_file_size = c->target;
	/* the rows are our own writer's, read back: the reader's buffer bounds them */
	sl_json_limits_default(&c->lim);
	c->lim.max_record = SL_BUF_DEFAULT_MAX;
	c->lim.max_string = SL_BUF_DEFAULT_MAX;
	if (!(c->parser = sl_json_parser_new(&c->lim)))
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	return 0;
}

static int find_part(void *ctx, const struct sl_cat_partition *p)
{
	return strcmp(p->part, ctx) == 0; /* 1: found, stop */
}

/* "curated.NAME" or "NAME" into c->table. */
static int table_arg(struct compact *c, const char *arg, struct sl_err *err)
{
	const char *dot = arg ? strchr(arg, '.') : NULL;
	const char *name = arg;
	if (!arg)
		return sl_err_set(err, SL_EINVAL, "compact: no table given");
	if (dot) {
		if ((size_t)(dot - arg) != strlen("curated") || strncmp(arg, "curated", 7) != 0)
			return sl_err_set(err, SL_EINVAL,
					  "compact: '%.300s' is not a curated table (raw objects "
					  "are the ETL jobs' input, and stay as they landed)",
					  arg);
		name = dot + 1;
	}
	if (!sl_etl_table_name_ok(name))
		return sl_err_set(err, SL_EINVAL, "compact: '%.300s' is not a table name", arg);
	snprintf(c->table, sizeof(c->table), "%s", name);
	return 0;
}

/* What a rewind asks of a split (compact_main's sp; NULL: a compaction). */
struct split_req {
	const char *job;          /* whose runs after `after` the rewind undoes */
	int64_t after;
	const char *holder;       /* who holds the compaction's lease (and the job's) */
};

static int compact_main(struct sl_lake *lake, const char *table, const char *partition,
			const struct sl_etl_compact_opts *opts, const struct split_req *sp,
			struct sl_etl_compact_result *res, struct sl_err *err)
{
	struct sl_etl_compact_result local;
	struct sl_err lerr;
	struct compact *c = NULL;
	int64_t t0 = sl_mono_ms();
	int rc;

	if (!res)
		res = &local;
	if (!err)
		err = &lerr;
	memset(res, 0, sizeof(*res));
	if ((rc = sl_etl_meta_check(&lake->meta, err)) != 0)
		return rc;
	if (!lake->meta.ops->etl_lineage_get || !lake->meta.ops->etl_lineage_find)
		return sl_err_set(err, SL_EINVAL, "metadata backend %s keeps no lineage of merged "
				  "files", lake->meta.ops->name);
	if (partition && strnlen(partition, SL_CAT_PART_MAX) >= SL_CAT_PART_MAX)
		return sl_err_set(err, SL_EINVAL, "compact: the partition is too long");
	if (!(c = calloc(1, sizeof(*c))))
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	c->lake = lake;
	c->m = &lake->meta;
	c->s = &lake->store;
	c->o = opts;
	c->res = res;
	c->partition = partition;
	if (sp) {
		c->split_job = sp->job;
		c->split_after = sp->after;
	}
	if ((rc = table_arg(c, table, err)) != 0 ||
	    (rc = sl_etl_compact_job(c->table, c->job, err)) != 0)
		goto done;
	snprintf(res->job, sizeof(res->job), "%s", c->job);
	if ((rc = settings(c, opts, err)) != 0)
		goto done;
	if (sp)
		snprintf(c->holder, sizeof(c->holder), "%s", sp->holder);
	else if (opts && opts->holder && opts->holder[0])
		snprintf(c->holder, sizeof(c->holder), "%s", opts->holder);
	else
		sl_etl_holder_make(c->holder);
	c->ttl_ms = sl_etl_lease_ttl(lake);
	c->renew_every_ms = c->ttl_ms / 3 < RENEW_MAX_MS ? c->ttl_ms / 3 : RENEW_MAX_MS;
	/* the table must exist before a lease is taken under its name */
	if ((rc = load_table(c, err)) != 0) {
		if (sp && rc == SL_ENOENT)
			rc = 0; /* no table: no file of it to split */
		goto done;
	}
	run_release(c);
	if (partition) {
		rc = c->m->ops->catalog_partition_list(c->m->state, "curated", c->table, find_part,
						       (void *)partition, err);
		if (rc < 0)
			goto done;
		if (rc == 0) {
			rc = sl_err_set(err, SL_ENOENT, "curated.%s has no partition '%.300s'",
					c->table, partition);
			goto done;
		}
		rc = 0;
	}
	if (!sp && (rc = take_lease(c, err)) != 0) /* a split's caller holds it */
		goto done;
	/* what an earlier compaction that did not commit left: before anything is read (a
	 * split leaves the unfinished removals of other compactions to the next one, which
	 * lists the whole table to find them) */
	if ((rc = sl_etl_recover_job(lake, c->job, &res->recovered, err)) != 0 ||
	    (!sp && (rc = finish_removals(c, &res->recovered, err)) != 0))
		goto done;
	for (;;) {
		bool did = false;
		rc = one_run(c, &did, err);
		if (rc && c->begun && !c->committed) {
			/* nothing of the run is visible: take back its files, record why, and let
			 * the recovery remove what is left */
			outs_free(c);
			c->m->ops->etl_run_fail(c->m->state, c->job, c->run.id, err->msg,
						sl_now_ms(), NULL);
			sl_etl_recover_job(lake, c->job, NULL, NULL);
		}
		bool more = c->more;
		run_release(c);
		if (rc || !did || !more)
			break;
	}
done:
	if (c->leased)
		c->m->ops->etl_lease_release(c->m->state, c->job, c->holder);
	run_release(c);
	plan_release(c);
	free(c->ins);
	free(c->groups);
	free(c->outs);
	free(c->olins);
	sl_json_parser_free(c->parser);
	free(c);
	res->duration_ms = sl_mono_ms() - t0;
	if (res == &local)
		sl_etl_compact_result_release(res);
	return rc;
}

int sl_etl_compact(struct sl_lake *lake, const char *table, const char *partition,
		   const struct sl_etl_compact_opts *opts, struct sl_etl_compact_result *res,
		   struct sl_err *err)
{
	return compact_main(lake, table, partition, opts, NULL, res, err);
}

int sl_etl_compact_split(struct sl_lake *lake, const char *table, const char *job,
			 int64_t after_run, const char *holder, int64_t *split, struct sl_err *err)
{
	struct sl_etl_compact_result res;
	struct split_req sp = {.job = job, .after = after_run, .holder = holder};
	int rc = compact_main(lake, table, NULL, NULL, &sp, &res, err);
	if (split)
		*split = res.files_in;
	sl_etl_compact_result_release(&res);
	return rc;
}

void sl_etl_compact_result_release(struct sl_etl_compact_result *res)
{
	if (!res)
		return;
	free(res->parts);
	res->parts = NULL;
	res->n_parts = 0;
}
