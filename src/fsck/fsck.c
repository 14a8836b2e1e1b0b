/*
 * fsck.c - see fsck.h. Three passes: temp files, then every file in every zone against
 * the index, then every index row against the files. Both walks stream, so memory does
 * not grow with the number of objects.
 *
 * A file without an index row is adopted only when no ETL run staged its key: a staged
 * key of a run that did not commit is output the run's commit never made visible, and
 * adopting it would publish half a run (etl.h, promise 4). Such a file is removed instead
 * (with --repair), unless its run may still commit it.
 */
#include "fsck/fsck.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "etl/etl.h"
#include "util/clock.h"

const char *const sl_fsck_kind_names[SL_FSCK_KINDS] = {
	"temp", "unindexed", "changed", "missing", "deleting", "corrupt", "odd", "empty",
	"staged",
};

struct run {
	struct sl_lake *lake;
	int64_t now_ms; /* when the run began: the time leases are judged at */
	const struct sl_fsck_opts *opts;
	sl_fsck_fn *fn;
	void *ctx;
	struct sl_fsck_result *res;
	struct sl_err *err;
};

static void found(struct run *r, enum sl_fsck_kind kind, const char *zone, const char *key,
		  const char *detail, bool repaired)
{
	r->res->found[kind]++;
	if (repaired)
		r->res->repaired[kind]++;
	if (r->fn)
		r->fn(r->ctx, kind, zone, key, detail, repaired);
}

static int on_temp(void *ctx, const char *name, bool in_use)
{
	struct run *r = ctx;
	if (!in_use)
		found(r, SL_FSCK_TEMP, ".sluice/tmp", name, "temp file of a put that did not finish",
		      r->opts->repair);
	return 0;
}

static int on_odd(void *ctx, const char *zone, const char *path, const char *why)
{
	found(ctx, SL_FSCK_ODD, zone, path, why, false);
	return 0;
}

static int on_empty(void *ctx, const char *zone, const char *path, const char *why)
{
	struct run *r = ctx;
	if (r->opts->repair) {
		int rc = r->lake->store.ops->prune(r->lake->store.state, zone, path, r->err);
		if (rc)
			return rc;
	}
	found(r, SL_FSCK_EMPTY, zone, path, why, r->opts->repair);
	return 0;
}

static bool same_fp(const struct sl_fingerprint *a, const struct sl_fingerprint *b)
{
	return a->size == b->size && a->inode == b->inode && a->mtime_ns == b->mtime_ns;
}

static int adopt(struct run *r, enum sl_fsck_kind kind, const char *zone, const char *key,
		 const char *detail)
{
	struct sl_object obj;
	bool adopted = false;
	if (r->opts->repair) {
		int rc = sl_store_adopt(&r->lake->store, zone, key, &adopted, &obj, r->err);
		if (rc)
			return rc;
		if (!adopted)
			return 0; /* a put committed it meanwhile: nothing was wrong */
	}
	found(r, kind, zone, key, detail, adopted);
	return 0;
}

static int flag(struct run *r, enum sl_fsck_kind kind, const char *zone, const char *key,
		const char *state, const char *detail)
{
	struct sl_meta *m = &r->lake->meta;
	if (r->opts->repair) {
		int rc = m->ops->object_set_state(m->state, zone, key, state, r->err);
		if (rc)
			return rc;
	}
	found(r, kind, zone, key, detail, r->opts->repair);
	return 0;
}

/* A file without an index row whose key an ETL run staged: reported, and with repair
 * removed and forgotten, unless the run may still commit it. 1 when no run staged it. */
static int staged(struct run *r, const char *zone, const char *key)
{
	struct sl_meta *m = &r->lake->meta;
	struct sl_etl_run run;
	struct sl_err miss;
	char detail[SL_JOB_MAX + 96];
	bool live = false, repaired = false;
	int rc = m->ops->etl_staged_find(m->state, zone, key, r->now_ms, &run, &live, &miss);
	if (rc == SL_ENOENT)
		return 1;
	if (rc) {
		*r->err = miss;
		return rc;
	}
	snprintf(detail, sizeof(detail), "staged output of uncommitted run %s/%" PRId64 "%s",
		 run.job, run.id, live ? " (still running: left alone)" : "");
	if (r->opts->repair && !live) {
		/* The run can never commit it, and etl_stage refuses the key to every other
		 * run while the row stays. Under the key's lock, look again: a put may have
		 * published and indexed a file of its own at this key meanwhile. */
		struct sl_store *s = &r->lake->store;
		struct sl_object obj;
		if ((rc = sl_store_key_lock(s, zone, key, r->err)) != 0)
			return rc;
		rc = m->ops->object_get(m->state, zone, key, &obj, &miss);
		if (rc == SL_ENOENT)
			rc = s->ops->remove(s->state, zone, key, r->err);
		else if (rc)
			*r->err = miss;
		sl_store_key_unlock(s, zone, key);
		if (rc)
			return rc;
		if ((rc = m->ops->etl_staged_forget(m->state, run.job, run.id, zone, key,
						    r->err)) != 0)
			return rc;
		repaired = true;
	}
	found(r, SL_FSCK_STAGED, zone, key, detail, repaired);
	return 0;
}

/* Pass 2: a file in a zone. */
static int on_file(void *ctx, const char *zone, const char *key,
		   const struct sl_fingerprint *fp)
{
	struct run *r = ctx;
	struct sl_meta *m = &r->lake->meta;
	struct sl_object obj;
	struct sl_err miss;
	r->res->objects_checked++;
	int rc = m->ops->object_get(m->state, zone, key, &obj, &miss);
	if (rc == SL_ENOENT) {
		if ((rc = staged(r, zone, key)) != 1)
			return rc;
		return adopt(r, SL_FSCK_UNINDEXED, zone, key, "file without an index row");
	}
	if (rc) {
		*r->err = miss;
		return rc;
	}
	if (strcmp(obj.state, SL_STATE_DELETING) == 0) {
		if (r->opts->repair) {
			if ((rc = sl_store_remove(&r->lake->store, zone, key, r->err)) != 0)
				return rc;
		}
		found(r, SL_FSCK_DELETING, zone, key, "removal was interrupted", r->opts->repair);
		return 0;
	}
	if (!same_fp(&obj.fp, fp)) {
		/* A put always renames a new file into place, so a new inode is a put whose
		 * commit a crash cut off. The same inode with other contents was edited in
		 * place by something else: flag it, never adopt it. */
		if (obj.fp.inode != fp->inode)
			return adopt(r, SL_FSCK_CHANGED, zone, key,
				     "file was replaced without its index row being updated");
		if (strcmp(obj.state, SL_STATE_CORRUPT) == 0)
			return 0; /* already flagged */
		return flag(r, SL_FSCK_CORRUPT, zone, key, SL_STATE_CORRUPT,
			    "file was modified in place (size or time changed)");
	}
	if (strcmp(obj.state, SL_STATE_MISSING) == 0) {
		/* came back (e.g. restored from a backup) exactly as indexed */
		if (r->opts->repair &&
		    (rc = m->ops->object_set_state(m->state, zone, key, SL_STATE_PRESENT,
						   r->err)) != 0)
			return rc;
	}
	if (r->opts->verify) {
		char sum[SL_CHECKSUM_MAX];
		int64_t size;
		if ((rc = sl_store_hash(&r->lake->store, zone, key, sum, &size, r->err)) != 0)
			return rc;
		if ((size != obj.size || strcmp(sum, obj.checksum) != 0) &&
		    strcmp(obj.state, SL_STATE_CORRUPT) != 0)
			return flag(r, SL_FSCK_CORRUPT, zone, key, SL_STATE_CORRUPT,
				    "content does not match its checksum");
	}
	return 0;
}

/* Pass 3: an index row. */
static int on_row(void *ctx, const struct sl_object *obj)
{
	struct run *r = ctx;
	struct sl_meta *m = &r->lake->meta;
	struct sl_store *s = &r->lake->store;
	struct sl_fingerprint fp;
	struct sl_err miss;
	int rc = s->ops->stat(s->state, obj->zone, obj->key, &fp, &miss);
	if (rc == 0)
		return 0;
	if (rc != SL_ENOENT) {
		*r->err = miss;
		return rc;
	}
	if (strcmp(obj->state, SL_STATE_DELETING) == 0) {
		if (r->opts->repair &&
		    (rc = m->ops->object_delete(m->state, obj->zone, obj->key,
						sl_store_removal_queue(obj->zone), r->err)) != 0)
			return rc;
		found(r, SL_FSCK_DELETING, obj->zone, obj->key, "removal was interrupted",
		      r->opts->repair);
		return 0;
	}
	if (strcmp(obj->state, SL_STATE_MISSING) == 0) {
		found(r, SL_FSCK_MISSING, obj->zone, obj->key, "indexed, file gone (flagged)",
		      true);
		return 0;
	}
	return flag(r, SL_FSCK_MISSING, obj->zone, obj->key, SL_STATE_MISSING,
		    "index row without a file");
}

static int no_key(void *ctx, const char *job, int64_t run_id, const char *zone,
		  const char *key)
{
	(void)ctx, (void)job, (void)run_id, (void)zone, (void)key;
	return 0;
}

int sl_fsck(struct sl_lake *lake, const struct sl_fsck_opts *opts, sl_fsck_fn *fn, void *ctx,
	    struct sl_fsck_result *res, struct sl_err *err)
{
	struct run r = {lake, sl_now_ms(), opts, fn, ctx, res, err};
	struct sl_store *s = &lake->store;
	int rc;
	memset(res, 0, sizeof(*res));
	/* A running run whose lease is gone can never commit: recorded as failed first, so
	 * that its staged files can be removed and their rows forgotten below. */
	if (opts->repair &&
	    (rc = lake->meta.ops->etl_staged_list(lake->meta.state, NULL, r.now_ms, no_key, NULL,
						  err)) != 0)
		return rc;
	if ((rc = s->ops->temp_scan(s->state, opts->repair, on_temp, &r, err)) != 0)
		return rc;
	for (int z = 0; z < SL_ZONE_COUNT; z++) {
		const char *zone = sl_zone_names[z];
		if ((rc = s->ops->scan(s->state, zone, on_file, on_odd, on_empty, &r, err)) != 0)
			return rc;
		if ((rc = lake->meta.ops->object_list(lake->meta.state, zone, NULL, on_row, &r,
						      err)) != 0)
			return rc;
	}
	return 0;
}
