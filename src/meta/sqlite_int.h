/*
 * sqlite_int.h - what the files of the SQLite metadata backend share: the handle and the
 * helpers every transaction uses (sqlite.c: objects, queues, registry, validator;
 * sqlite_catalog.c: the catalog). Not a public header: only src/meta/sqlite*.c include it.
 */
#ifndef SL_SQLITE_INT_H
#define SL_SQLITE_INT_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <sqlite3.h>

#include "meta/meta.h"

enum sq_tx { SQ_BEGIN, SQ_COMMIT, SQ_ROLLBACK, SQ_TX_COUNT };

struct sq_cat; /* the catalog's statements (sqlite_catalog.c), NULL until first used */

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

/* Deletes the message `receipt` names inside the caller's transaction: 0 when deleted or
 * already gone, SL_ESTALE when received again since, SL_EINVAL when not a receipt;
 * SL_EMETA, SL_EBUSY, SL_ENOSPC when the store failed (the transaction must end). */
int sl_sq_delete_receipt(struct sq *s, const char *queue, const char *receipt,
			 struct sl_err *err);

/* ---- sqlite_catalog.c ---- */

/* Finalises the catalog's statements (none prepared is fine). */
void sl_sq_cat_stmts_free(struct sq *s);

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

#endif
