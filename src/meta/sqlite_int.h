/*
 * sqlite_int.h - what the files of the SQLite metadata backend share: the handle and the
 * helpers every transaction uses (sqlite.c: objects, queues, registry, validator;
 * sqlite_catalog.c: the catalog; sqlite_etl.c: ETL jobs, which commit index rows and
 * catalog rows with the same pieces). Not a public header: only src/meta/sqlite*.c
 * include it.
 */
#ifndef SL_SQLITE_INT_H
#define SL_SQLITE_INT_H

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <stdint.h>
#include <stdio.h>

#include <sqlite3.h>

#include "meta/meta.h"

enum sq_tx { SQ_BEGIN, SQ_COMMIT, SQ_ROLLBACK, SQ_TX_COUNT };

struct sq_cat; /* the catalog's statements (sqlite_catalog.c), NULL until first used */
struct sl_cat_table_change;
struct sq_etl; /* ETL's statements (sqlite_etl.c), NULL until first used */

struct sq {
	sqlite3 *db;
	char *path;
	int lock_fd; /* PATH-keylocks: one byte per lock stripe (OFD locks) */
	/* PATH-bell: opened and closed for writing after every commit that sends a message,
	 * so that waiting consumers (inotify, IN_CLOSE_WRITE) wake up at once instead of
	 * polling. Nothing is ever written to it. */
	char *bell;
	int ino_fd; /* -1 until the first wait_send */
	bool sync_full; /* metadata.synchronous: full */
	struct sq_cat *cat;
	struct sq_etl *etl;
	sqlite3_stmt *tx[SQ_TX_COUNT];
	sqlite3_stmt *stmt[]; /* sqlite.c's statement cache (S_COUNT entries) */
};

static inline int db_error(struct sq *s, struct sl_err *err, const char *what)
{
	int ec = sqlite3_extended_errcode(s->db) & 0xff;
	int sys = sqlite3_system_errno(s->db);
	int code = SL_EMETA;
	if (ec == SQLITE_FULL || (ec == SQLITE_IOERR && sys == ENOSPC)) {
		/* SQLite says "disk I/O error" when growing its shared-memory file fails:
		 * name the real cause */
		return sl_err_set(err, SL_ENOSPC, "metadata store %s: %s: no space left on device",
				  s->path, what);
	}
	if (ec == SQLITE_BUSY || ec == SQLITE_LOCKED)
		code = SL_EBUSY;
	else if (ec == SQLITE_READONLY || ec == SQLITE_PERM || ec == SQLITE_CANTOPEN)
		code = SL_EPERM;
	else if (ec == SQLITE_CORRUPT || ec == SQLITE_NOTADB)
		code = SL_ECORRUPT;
	return sl_err_set(err, code, "metadata store %s: %s: %s", s->path, what,
			  sqlite3_errmsg(s->db));
}

/* Runs a statement that returns no rows (or whose rows are not wanted). */
static inline int run(struct sq *s, sqlite3_stmt *p, struct sl_err *err, const char *what)
{
	int rc = sqlite3_step(p);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		int code = db_error(s, err, what);
		sqlite3_reset(p);
		return code;
	}
	sqlite3_reset(p);
	return 0;
}

static inline sqlite3_stmt *tx_stmt(struct sq *s, enum sq_tx t, struct sl_err *err)
{
	static const char *const sql[SQ_TX_COUNT] = {"BEGIN IMMEDIATE", "COMMIT", "ROLLBACK"};
	if (!s->tx[t] && sqlite3_prepare_v3(s->db, sql[t], -1, SQLITE_PREPARE_PERSISTENT,
					    &s->tx[t], NULL) != SQLITE_OK) {
		db_error(s, err, "prepare");
		return NULL;
	}
	sqlite3_reset(s->tx[t]);
	return s->tx[t];
}

/* Every write is one BEGIN IMMEDIATE transaction: writers queue on the lock (busy
 * timeout) instead of failing halfway. */
static inline int begin(struct sq *s, struct sl_err *err)
{
	sqlite3_stmt *p = tx_stmt(s, SQ_BEGIN, err);
	return p ? run(s, p, err, "begin") : SL_EMETA;
}

static inline int commit(struct sq *s, struct sl_err *err)
{
	sqlite3_stmt *p = tx_stmt(s, SQ_COMMIT, err);
	return p ? run(s, p, err, "commit") : SL_EMETA;
}

static inline void rollback(struct sq *s)
{
	if (!sqlite3_get_autocommit(s->db)) {
		sqlite3_stmt *p = tx_stmt(s, SQ_ROLLBACK, NULL);
		if (p)
			run(s, p, NULL, "rollback");
	}
}

/* Binds a string the caller keeps alive until the statement is reset. */
static inline void bind_text(sqlite3_stmt *p, int i, const char *v)
{
	sqlite3_bind_text(p, i, v, -1, SQLITE_STATIC);
}

static inline const char *col_text(sqlite3_stmt *p, int i)
{
	const char *t = (const char *)sqlite3_column_text(p, i);
	return t ? t : "";
}

static inline void col_copy(sqlite3_stmt *p, int i, char *out, size_t cap)
{
	snprintf(out, cap, "%s", col_text(p, i));
}

/* Binds v, or NULL when v is NULL. */
static inline void bind_opt(sqlite3_stmt *p, int i, const char *v)
{
	if (v)
		bind_text(p, i, v);
	else
		sqlite3_bind_null(p, i);
}

/* Whether a fixed-size char field of a row struct holds a terminated string. */
#define TERMINATED(field) (memchr((field), '\0', sizeof(field)) != NULL)

/* Steps a statement that returns one row or none: 0 with *found (the row stays readable
 * until the caller resets p). */
static inline int step_one(struct sq *s, sqlite3_stmt *p, bool *found, struct sl_err *err,
			   const char *what)
{
	int rc = sqlite3_step(p);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		rc = db_error(s, err, what);
		sqlite3_reset(p);
		return rc;
	}
	*found = rc == SQLITE_ROW;
	return 0;
}

/* The statement cached in *slot (prepared from sql the first time, persistent), reset
 * and unbound; NULL with err set when it cannot be prepared. The module files
 * (sqlite_catalog.c, sqlite_etl.c) keep their statements this way. */
static inline sqlite3_stmt *cached_stmt(struct sq *s, sqlite3_stmt **slot, const char *sql,
					struct sl_err *err)
{
	sqlite3_stmt *p = *slot;
	if (!p) {
		if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &p, NULL) !=
		    SQLITE_OK) {
			db_error(s, err, "prepare");
			return NULL;
		}
		*slot = p;
	} else {
		sqlite3_reset(p);
		sqlite3_clear_bindings(p);
	}
	return p;
}

/* Deletes the message `receipt` names inside the caller's transaction: 0 when deleted or
 * already gone, SL_ESTALE when received again since, SL_EINVAL when not a receipt;
 * SL_EMETA, SL_EBUSY, SL_ENOSPC when the store failed (the transaction must end). */
int sl_sq_delete_receipt(struct sq *s, const char *queue, const char *receipt,
			 struct sl_err *err);

/* ---- sqlite.c: objects, inside the caller's transaction ---- */

/* Replaces zone/key's index row by obj (a new seq, set in obj; state present) and, when
 * queue is not NULL, sends its object-created event to queue; ev is a scratch buffer. */
int sl_sq_object_put(struct sq *s, struct sl_object *obj, const char *queue, struct sl_buf *ev,
		     struct sl_err *err);
/* The object row in columns col..col+9 (seq, zone, key, size, checksum, content_type,
 * created_ms, fp_inode, fp_mtime_ns, state). */
#define SQ_OBJECT_COLS(t) \
	t "seq," t "zone," t "key," t "size," t "checksum," t "content_type," t "created_ms," \
	t "fp_inode," t "fp_mtime_ns," t "state"
void sl_sq_object_read(sqlite3_stmt *p, int col, struct sl_object *o);
/* Wakes the processes waiting in wait_send, after a commit that sent messages. */
void sl_sq_ring(struct sq *s);

/* ---- sqlite_catalog.c ---- */

/* Finalises the catalog's statements (none prepared is fine). */
void sl_sq_cat_stmts_free(struct sq *s);

/* The pieces of a catalog commit, for another transaction that changes the catalog too
 * (sqlite_etl.c): sl_sq_cat_ready before BEGIN (it may create a temporary table), then
 * inside the transaction sl_sq_cat_start, any number of table changes, file upserts and
 * retirements, and sl_sq_cat_finish, which recounts every partition they touched (an
 * emptied one goes as its table's deletion policy says, with its drift entry) and adds
 * the drift rows; *n_drift gets the number of drift rows added. The checks are
 * catalog_commit's, for rows given by a caller (i numbers the row in messages). */
int sl_sq_cat_check_table(const struct sl_cat_table_change *tc, size_t i, struct sl_err *err);
int sl_sq_cat_check_file(const struct sl_cat_file *f, size_t i, struct sl_err *err);
int sl_sq_cat_check_drift(const struct sl_cat_drift *d, size_t i, struct sl_err *err);
int sl_sq_cat_ready(struct sq *s, struct sl_err *err);
int sl_sq_cat_start(struct sq *s, struct sl_err *err);
int sl_sq_cat_apply_table(struct sq *s, const struct sl_cat_table_change *tc, int64_t now_ms,
			  struct sl_err *err);
int sl_sq_cat_put_file(struct sq *s, const struct sl_cat_file *f, int64_t now_ms,
		       struct sl_err *err);
/* Marks the catalog row of zone/key retired when it describes version seq and is not
 * retired yet (*retired says whether it was); its partition is recounted at finish. */
int sl_sq_cat_retire_file(struct sq *s, const char *zone, const char *key, int64_t seq,
			  bool *retired, struct sl_err *err);
int sl_sq_cat_finish(struct sq *s, const struct sl_cat_drift *drift, size_t n, int64_t now_ms,
		     int64_t *n_drift, struct sl_err *err);
/* Adds to the crawler's counters (last_ms := now_ms). */
int sl_sq_cat_count(struct sq *s, const struct sl_cat_counters *add, int64_t now_ms,
		    struct sl_err *err);
/* A catalog file row in columns col..col+13, in the order SQ_CAT_FILE_COLS names them. */
#define SQ_CAT_FILE_COLS(t) \
	t "zone," t "key," t "seq," t "db," t "tbl," t "part," t "format," t "records," \
	t "bytes," t "schema_version," t "state," t "reason," t "stats," t "crawled_ms"
int sl_sq_cat_file_read(sqlite3_stmt *p, int col, struct sl_cat_file *f, struct sl_err *err);

/* The catalog_* callbacks of struct sl_meta_ops (meta.h). */
int sl_sq_catalog_commit(void *state, const struct sl_cat_commit *c, int64_t now_ms,
			 struct sl_err *err);
int sl_sq_catalog_table_get(void *state, const char *db, const char *name,
			    struct sl_cat_table *out, struct sl_err *err);
int sl_sq_catalog_table_list(void *state, const char *db, sl_cat_table_fn *fn, void *ctx,
			     struct sl_err *err);
int sl_sq_catalog_table_drop(void *state, const char *db, const char *name, int64_t now_ms,
			     struct sl_err *err);
int sl_sq_catalog_version_get(void *state, const char *db, const char *name, int64_t version,
			      struct sl_cat_version *out, struct sl_err *err);
int sl_sq_catalog_version_list(void *state, const char *db, const char *name,
			       sl_cat_version_fn *fn, void *ctx, struct sl_err *err);
int sl_sq_catalog_partition_list(void *state, const char *db, const char *name,
				 sl_cat_partition_fn *fn, void *ctx, struct sl_err *err);
int sl_sq_catalog_file_get(void *state, const char *zone, const char *key,
			   struct sl_cat_file *out, struct sl_err *err);
int sl_sq_catalog_file_list(void *state, const char *db, const char *name, const char *part,
			    bool with_stats, sl_cat_file_fn *fn, void *ctx, struct sl_err *err);
int sl_sq_catalog_drift_list(void *state, const char *db, const char *name, int64_t after_id,
			     int64_t limit, sl_cat_drift_fn *fn, void *ctx, struct sl_err *err);
int sl_sq_catalog_counters(void *state, struct sl_cat_counters *out, struct sl_err *err);

/* ---- sqlite_etl.c ---- */

void sl_sq_etl_stmts_free(struct sq *s);

/* The etl_* callbacks of struct sl_meta_ops (meta.h). */
int sl_sq_etl_lease(void *state, const char *job, const char *holder, int64_t ttl_ms,
		    int64_t now_ms, struct sl_err *err);
void sl_sq_etl_lease_release(void *state, const char *job, const char *holder);
int sl_sq_etl_lease_get(void *state, const char *job, char *holder, size_t cap,
			int64_t *expires_ms, struct sl_err *err);
int sl_sq_etl_run_begin(void *state, const char *job, const char *holder, int64_t now_ms,
			struct sl_etl_run *out, struct sl_err *err);
int sl_sq_etl_stage(void *state, const char *job, int64_t run_id, const char *holder,
		    const char *zone, const char *const *keys, size_t n, int64_t now_ms,
		    struct sl_err *err);
int sl_sq_etl_commit(void *state, const struct sl_etl_commit *c, int64_t now_ms,
		     struct sl_err *err);
int sl_sq_etl_run_fail(void *state, const char *job, int64_t run_id, const char *error,
		       int64_t now_ms, struct sl_err *err);
int sl_sq_etl_staged_list(void *state, const char *job, int64_t now_ms, sl_etl_key_fn *fn,
			  void *ctx, struct sl_err *err);
int sl_sq_etl_staged_forget(void *state, const char *job, int64_t run_id, const char *zone,
			    const char *key, struct sl_err *err);
int sl_sq_etl_staged_find(void *state, const char *zone, const char *key, int64_t now_ms,
			  struct sl_etl_run *out, bool *live, struct sl_err *err);
int sl_sq_etl_pending(void *state, const char *zone, const char *prefix, int64_t after_seq,
		      int64_t limit, sl_etl_pending_fn *fn, void *ctx, struct sl_err *err);
int sl_sq_etl_bookmark_get(void *state, const char *job, struct sl_etl_bookmark *out,
			   struct sl_err *err);
int sl_sq_etl_run_get(void *state, const char *job, int64_t run_id, struct sl_etl_run *out,
		      struct sl_err *err);
int sl_sq_etl_run_list(void *state, const char *job, int64_t limit, sl_etl_run_fn *fn,
		       void *ctx, struct sl_err *err);
int sl_sq_etl_rewind(void *state, const char *job, int64_t to_run, const char *holder,
		     int64_t now_ms, sl_etl_key_fn *fn, void *ctx, struct sl_err *err);
int sl_sq_etl_lineage_get(void *state, const char *zone, const char *key, int64_t seq,
			  sl_etl_lineage_fn *fn, void *ctx, struct sl_err *err);
int sl_sq_etl_lineage_find(void *state, const char *job, int64_t after_run,
			   sl_etl_lineage_fn *fn, void *ctx, struct sl_err *err);

#endif
