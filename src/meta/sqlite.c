/*
 * sqlite.c - the SQLite (WAL) metadata backend.
 *
 * One connection per handle. Every write is one BEGIN IMMEDIATE transaction, so writers
 * in other threads and processes queue on SQLite's lock (busy_timeout) instead of failing,
 * and a receive's select-then-mark cannot interleave with another receive (promise 3 of
 * meta.h). With synchronous=FULL a commit is on disk when it returns.
 */
#include "meta/meta.h"
#include "meta/sqlite_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/random.h>
#include <unistd.h>

#include <sqlite3.h>

#include "meta/migrations.h"
#include "schema/registry.h"
#include "util/clock.h"

enum stmt_id {
	S_OBJ_DELETE,
	S_OBJ_REMOVE,
	S_OBJ_INSERT,
	S_OBJ_GET,
	S_OBJ_LIST,
	S_OBJ_LIST_PREFIX,
	S_OBJ_STATE,
	S_ZONE_STATS,
	S_Q_GET,
	S_Q_UPSERT,
	S_Q_NAMES,
	S_Q_COUNTS,
	S_MSG_INSERT,
	S_MSG_EXPIRE,
	S_MSG_READY,
	S_MSG_ANY_READY,
	S_MSG_MARK,
	S_MSG_MOVE,
	S_MSG_DELETE,
	S_MSG_EXISTS,
	S_MSG_VIS,
	S_MSG_PEEK,
	S_REG_DEFAULT_GET,
	S_REG_DEFAULT_SET,
	S_REG_SUBJECT_GET,
	S_REG_SUBJECT_LIST,
	S_REG_SUBJECT_INSERT,
	S_REG_SUBJECT_SET,
	S_REG_VERSION_GET,
	S_REG_VERSION_LATEST,
	S_REG_VERSION_FIND,
	S_REG_VERSION_LIST,
	S_REG_VERSION_INSERT,
	S_REG_META_GET,
	S_REG_META_INSERT,
	S_REG_META_COUNT,
	S_REG_META_LIST,
	S_V_SEEN,
	S_V_LANDING,
	S_V_RUN,
	S_V_COUNT,
	S_V_DL,
	S_V_FORGET,
	S_V_MARK,
	S_V_PRUNE,
	S_V_COUNTERS,
	S_DL_GET,
	S_RP_PUT,
	S_RP_GET,
	S_COUNT
};

static const char *const stmt_sql[S_COUNT] = {
	[S_OBJ_DELETE] = "DELETE FROM objects WHERE zone=?1 AND key=?2",
	[S_OBJ_REMOVE] = "DELETE FROM objects WHERE zone=?1 AND key=?2 RETURNING seq",
	[S_OBJ_INSERT] = "INSERT INTO objects(zone,key,size,checksum,content_type,created_ms,"
			 "fp_inode,fp_mtime_ns,state) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,'present')",
	[S_OBJ_GET] = "SELECT seq,zone,key,size,checksum,content_type,created_ms,fp_inode,"
		      "fp_mtime_ns,state FROM objects WHERE zone=?1 AND key=?2",
	[S_OBJ_LIST] = "SELECT seq,zone,key,size,checksum,content_type,created_ms,fp_inode,"
		       "fp_mtime_ns,state FROM objects WHERE zone=?1 AND key>?2 "
		       "ORDER BY key LIMIT 512",
	[S_OBJ_LIST_PREFIX] = "SELECT seq,zone,key,size,checksum,content_type,created_ms,"
			      "fp_inode,fp_mtime_ns,state FROM objects WHERE zone=?1 AND key>?2 "
			      "AND key>=?3 AND key<?4 ORDER BY key LIMIT 512",
	[S_OBJ_STATE] = "UPDATE objects SET state=?3 WHERE zone=?1 AND key=?2",
	[S_ZONE_STATS] = "SELECT count(*), coalesce(sum(size),0), "
			 "coalesce(sum(state<>'present'),0), coalesce(max(seq),0) "
			 "FROM objects WHERE zone=?1",
	[S_Q_GET] = "SELECT visibility_timeout_ms,max_receive_count,retention_ms,"
		    "coalesce(dlq,'') FROM queues WHERE name=?1",
	[S_Q_UPSERT] = "INSERT INTO queues(name,visibility_timeout_ms,max_receive_count,"
		       "retention_ms,dlq) VALUES(?1,?2,?3,?4,?5) ON CONFLICT(name) DO UPDATE SET "
		       "visibility_timeout_ms=?2,max_receive_count=?3,retention_ms=?4,dlq=?5",
	[S_Q_NAMES] = "SELECT name FROM queues ORDER BY name",
	[S_Q_COUNTS] = "SELECT coalesce(sum(visible_at_ms<=?2),0),"
		       "coalesce(sum(visible_at_ms>?2 AND receive_count>0),0),"
		       "coalesce(sum(visible_at_ms>?2 AND receive_count=0),0),"
		       "coalesce(min(sent_ms),0) FROM messages WHERE queue=?1",
	[S_MSG_INSERT] = "INSERT INTO messages(queue,body,sent_ms,visible_at_ms) "
			 "VALUES(?1,?2,?3,?4)",
	[S_MSG_EXPIRE] = "DELETE FROM messages WHERE queue=?1 AND sent_ms<?2",
	[S_MSG_READY] = "SELECT id,receive_count FROM messages WHERE queue=?1 AND "
			"visible_at_ms<=?2 ORDER BY visible_at_ms,id LIMIT ?3",
	[S_MSG_ANY_READY] = "SELECT 1 FROM messages WHERE queue=?1 AND visible_at_ms<=?2 LIMIT 1",
	[S_MSG_MARK] = "UPDATE messages SET receive_count=receive_count+1,visible_at_ms=?2,"
		       "receipt=?3,first_receive_ms=CASE first_receive_ms WHEN 0 THEN ?4 "
		       "ELSE first_receive_ms END WHERE id=?1 "
		       "RETURNING body,sent_ms,receive_count,first_receive_ms",
	[S_MSG_MOVE] = "UPDATE messages SET queue=?2,visible_at_ms=?3,receive_count=0,"
		       "first_receive_ms=0,receipt=NULL,sent_ms=?3 WHERE id=?1",
	[S_MSG_DELETE] = "DELETE FROM messages WHERE id=?1 AND queue=?2 AND receipt=?3",
	[S_MSG_EXISTS] = "SELECT 1 FROM messages WHERE id=?1 AND queue=?2",
	[S_MSG_VIS] = "UPDATE messages SET visible_at_ms=?4 WHERE id=?1 AND queue=?2 AND "
		      "receipt=?3",
	[S_MSG_PEEK] = "SELECT id,body,sent_ms,receive_count,first_receive_ms,visible_at_ms "
		       "FROM messages WHERE queue=?1 AND id>?2 ORDER BY id LIMIT ?3",
	[S_REG_DEFAULT_GET] = "SELECT default_compat FROM registry_settings WHERE id=1",
	[S_REG_DEFAULT_SET] = "UPDATE registry_settings SET default_compat=?1 WHERE id=1",
	[S_REG_SUBJECT_GET] = "SELECT s.name,s.compat,s.created_ms,coalesce(max(v.version),0),"
			      "coalesce(max(v.created_ms),s.created_ms) FROM registry_subjects s "
			      "LEFT JOIN registry_versions v ON v.subject=s.name WHERE s.name=?1 "
			      "GROUP BY s.name",
	[S_REG_SUBJECT_LIST] = "SELECT s.name,s.compat,s.created_ms,coalesce(max(v.version),0),"
			       "coalesce(max(v.created_ms),s.created_ms) FROM registry_subjects s "
			       "LEFT JOIN registry_versions v ON v.subject=s.name WHERE s.name>?1 "
			       "GROUP BY s.name ORDER BY s.name LIMIT 256",
	[S_REG_SUBJECT_INSERT] = "INSERT INTO registry_subjects(name,compat,created_ms) "
				 "VALUES(?1,?2,?3)",
	[S_REG_SUBJECT_SET] = "INSERT INTO registry_subjects(name,compat,created_ms) "
			      "VALUES(?1,?2,?3) ON CONFLICT(name) DO UPDATE SET compat=?2",
	[S_REG_VERSION_GET] = "SELECT version,fingerprint,text,created_ms FROM registry_versions "
			      "WHERE subject=?1 AND version=?2",
	[S_REG_VERSION_LATEST] = "SELECT version,fingerprint,text,created_ms FROM "
				 "registry_versions WHERE subject=?1 ORDER BY version DESC LIMIT 1",
	[S_REG_VERSION_FIND] = "SELECT version,fingerprint,text,created_ms FROM registry_versions "
			       "WHERE subject=?1 AND fingerprint=?2",
	[S_REG_VERSION_LIST] = "SELECT version,fingerprint,'',created_ms FROM registry_versions "
			       "WHERE subject=?1 AND version>?2 ORDER BY version LIMIT 256",
	[S_REG_VERSION_INSERT] = "INSERT INTO registry_versions(subject,version,fingerprint,text,"
				 "created_ms) VALUES(?1,?2,?3,?4,?5)",
	[S_REG_META_GET] = "SELECT value FROM registry_version_meta WHERE subject=?1 AND "
			   "version=?2 AND key=?3",
	[S_REG_META_INSERT] = "INSERT INTO registry_version_meta(subject,version,key,value) "
			      "VALUES(?1,?2,?3,?4)",
	[S_REG_META_COUNT] = "SELECT count(*) FROM registry_version_meta WHERE subject=?1 AND "
			     "version=?2",
	[S_REG_META_LIST] = "SELECT key,value FROM registry_version_meta WHERE subject=?1 AND "
			    "version=?2 ORDER BY key",
	[S_V_SEEN] = "SELECT 1 FROM validate_runs WHERE landing_seq=?1",
	[S_V_LANDING] = "SELECT 1 FROM objects WHERE zone='landing' AND key=?1 AND seq=?2 "
			"AND state='present'",
	[S_V_RUN] = "INSERT INTO validate_runs(landing_seq,landing_key,subject,schema_version,"
		    "outcome,records_passed,records_failed,done_ms) VALUES(?1,?2,?3,?4,?5,?6,?7,?8)",
	[S_V_COUNT] = "INSERT INTO validate_counters(subject,objects_passed,objects_split,"
		      "objects_failed,records_passed,records_failed,last_ms) "
		      "VALUES(?1,?2,?3,?4,?5,?6,?7) ON CONFLICT(subject) DO UPDATE SET "
		      "objects_passed=objects_passed+?2,objects_split=objects_split+?3,"
		      "objects_failed=objects_failed+?4,records_passed=records_passed+?5,"
		      "records_failed=records_failed+?6,last_ms=?7",
	[S_V_DL] = "INSERT OR REPLACE INTO deadletters(key,seq,landing_key,landing_seq,subject,"
		   "schema_version,outcome,reason,records,bad_records,created_ms,report) "
		   "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)",
	[S_V_FORGET] = "DELETE FROM deadletters WHERE key=?1",
	[S_V_MARK] = "UPDATE objects SET state='deleting' WHERE zone='landing' AND key=?1 AND "
		     "seq=?2",
	[S_V_PRUNE] = "DELETE FROM validate_runs WHERE landing_seq NOT IN "
		      "(SELECT seq FROM objects WHERE zone='landing')",
	[S_V_COUNTERS] = "SELECT subject,objects_passed,objects_split,objects_failed,"
			 "records_passed,records_failed,last_ms FROM validate_counters "
			 "ORDER BY subject",
	[S_DL_GET] = "SELECT key,seq,landing_key,landing_seq,subject,schema_version,outcome,"
		     "reason,records,bad_records,created_ms,CASE WHEN ?2 THEN report END "
		     "FROM deadletters WHERE key=?1",
	[S_RP_PUT] = "INSERT OR REPLACE INTO replays(id,landing_key,from_key,subject,"
		     "schema_version,reason,replayed_ms) VALUES(?1,?2,?3,?4,?5,?6,?7)",
	[S_RP_GET] = "SELECT id,landing_key,from_key,subject,schema_version,reason,replayed_ms "
		     "FROM replays WHERE id=?1",
};

/* Returns the cached, reset statement `id`, or NULL with err set. */
static sqlite3_stmt *st(struct sq *s, enum stmt_id id, struct sl_err *err)
{
	sqlite3_stmt *p = s->stmt[id];
	if (!p) {
		if (sqlite3_prepare_v3(s->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &p,
				       NULL) != SQLITE_OK) {
			db_error(s, err, "prepare");
			return NULL;
		}
		s->stmt[id] = p;
	} else {
		sqlite3_reset(p);
		sqlite3_clear_bindings(p);
	}
	return p;
}

/* ---- open, migrations ---------------------------------------------------------------- */

static int exec(struct sq *s, const char *sql, struct sl_err *err)
{
	char *msg = NULL;
	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		int code = db_error(s, err, msg ? msg : sql);
		sqlite3_free(msg);
		return code;
	}
	return 0;
}

static int user_version(struct sq *s, int64_t *v, struct sl_err *err)
{
	sqlite3_stmt *p;
	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &p, NULL) != SQLITE_OK)
		return db_error(s, err, "read schema version");
	int rc = sqlite3_step(p);
	if (rc != SQLITE_ROW) {
		rc = db_error(s, err, "read schema version");
		sqlite3_finalize(p);
		return rc;
	}
	*v = sqlite3_column_int64(p, 0);
	sqlite3_finalize(p);
	return 0;
}

static int migrate(struct sq *s, struct sl_err *err)
{
	int64_t v;
	int rc = user_version(s, &v, err);
	if (rc)
		return rc;
	int latest = sl_migrations[sl_migrations_count - 1].version;
	if (v > latest)
		return sl_err_set(err, SL_EMETA,
				  "metadata store %s has schema version %" PRId64
				  ", newer than this sluice knows (%d): upgrade sluice",
				  s->path, v, latest);
	if (v == latest)
		return 0;
	/* Re-read under the write lock: another process may have migrated meanwhile. */
	if ((rc = exec(s, "BEGIN IMMEDIATE", err)) != 0)
		return rc;
	if ((rc = user_version(s, &v, err)) != 0)
		goto fail;
	for (int i = 0; i < sl_migrations_count; i++) {
		const struct sl_migration *m = &sl_migrations[i];
		if (m->version <= v)
			continue;
		char buf[256];
		if ((rc = exec(s, m->sql, err)) != 0)
			goto fail;
		snprintf(buf, sizeof(buf),
			 "INSERT INTO schema_migrations VALUES(%d, '%s', %lld);"
			 "PRAGMA user_version=%d;",
			 m->version, m->name, (long long)sl_now_ms(), m->version);
		if ((rc = exec(s, buf, err)) != 0)
			goto fail;
	}
	return exec(s, "COMMIT", err);
fail:
	exec(s, "ROLLBACK", NULL);
	return sl_err_prefix(err, "migration");
}

static void sq_close(void *state)
{
	struct sq *s = state;
	if (!s)
		return;
	sl_sq_cat_stmts_free(s);
	sl_sq_etl_stmts_free(s);
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(s->stmt[i]);
	for (int i = 0; i < SQ_TX_COUNT; i++)
		sqlite3_finalize(s->tx[i]);
	sqlite3_close_v2(s->db);
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	if (s->ino_fd >= 0)
		close(s->ino_fd);
	free(s->bell);
	free(s->path);
	free(s);
}

static int sq_open(const char *path, const struct sl_meta_opts *opts, void **state,
		   struct sl_err *err)
{
	struct sq *s = calloc(1, sizeof(*s) + S_COUNT * sizeof(s->stmt[0]));
	int rc;
	if (s)
		s->lock_fd = s->ino_fd = -1;
	if (!s || !(s->path = strdup(path)) || asprintf(&s->bell, "%s-bell", path) < 0) {
		if (s)
			free(s->path);
		free(s);
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	}
	int bell_fd = open(s->bell, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (bell_fd >= 0)
		close(bell_fd); /* without a bell, consumers fall back to polling */
	char lock_path[4200];
	snprintf(lock_path, sizeof(lock_path), "%s-keylocks", path);
	s->lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (s->lock_fd < 0) {
		rc = sl_err_errno(err, errno, "%s", lock_path);
		goto fail;
	}
	if (sqlite3_open_v2(path, &s->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
				    SQLITE_OPEN_NOFOLLOW,
			    NULL) != SQLITE_OK) {
		rc = s->db ? db_error(s, err, "open")
			   : sl_err_set(err, SL_ENOMEM, "%s: cannot open", path);
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, (int)(opts->busy_timeout_ms > INT32_MAX
						  ? INT32_MAX
						  : opts->busy_timeout_ms));
	if ((rc = exec(s, "PRAGMA journal_mode=WAL", err)) != 0)
		goto fail;
	s->sync_full = opts->synchronous_full;
	if ((rc = exec(s, opts->synchronous_full ? "PRAGMA synchronous=FULL"
						 : "PRAGMA synchronous=NORMAL",
		       err)) != 0)
		goto fail;
	if ((rc = exec(s, "PRAGMA foreign_keys=ON", err)) != 0)
		goto fail;
	if ((rc = migrate(s, err)) != 0)
		goto fail;
	*state = s;
	return 0;
fail:
	sq_close(s);
	return rc;
}

static int sq_schema_version(void *state, int64_t *version, struct sl_err *err)
{
	return user_version(state, version, err);
}

/* ---- objects ------------------------------------------------------------------------- */

void sl_sq_object_read(sqlite3_stmt *p, int c, struct sl_object *o)
{
	memset(o, 0, sizeof(*o));
	o->seq = sqlite3_column_int64(p, c + 0);
	col_copy(p, c + 1, o->zone, sizeof(o->zone));
	col_copy(p, c + 2, o->key, sizeof(o->key));
	o->size = o->fp.size = sqlite3_column_int64(p, c + 3);
	col_copy(p, c + 4, o->checksum, sizeof(o->checksum));
	col_copy(p, c + 5, o->content_type, sizeof(o->content_type));
	o->created_ms = sqlite3_column_int64(p, c + 6);
	o->fp.inode = sqlite3_column_int64(p, c + 7);
	o->fp.mtime_ns = sqlite3_column_int64(p, c + 8);
	col_copy(p, c + 9, o->state, sizeof(o->state));
}

static void read_object(sqlite3_stmt *p, struct sl_object *o)
{
	sl_sq_object_read(p, 0, o);
}

static int send_locked(struct sq *s, const char *queue, const char *body, int64_t delay_ms,
		       int64_t now_ms, int64_t *id, struct sl_err *err);

/* For writes whose loss in a power cut is harmless (see where it is used): the WAL is
 * written in order, so the next durable commit of any connection makes them durable too. */
static void lazy_sync(struct sq *s, bool on)
{
	if (s->sync_full)
		exec(s, on ? "PRAGMA synchronous=NORMAL" : "PRAGMA synchronous=FULL", NULL);
}

/* Wakes the processes waiting in wait_send (best effort: they poll anyway). */
void sl_sq_ring(struct sq *s)
{
	int fd = open(s->bell, O_WRONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd >= 0)
		close(fd);
}

int sl_sq_object_put(struct sq *s, struct sl_object *obj, const char *queue, struct sl_buf *ev,
		     struct sl_err *err)
{
	sqlite3_stmt *p = st(s, S_OBJ_DELETE, err);
	int rc;
	if (!p)
		return SL_EMETA;
	bind_text(p, 1, obj->zone);
	bind_text(p, 2, obj->key);
	if ((rc = run(s, p, err, "replace object")) != 0)
		return rc;
	if (!(p = st(s, S_OBJ_INSERT, err)))
		return SL_EMETA;
	bind_text(p, 1, obj->zone);
	bind_text(p, 2, obj->key);
	sqlite3_bind_int64(p, 3, obj->size);
	bind_text(p, 4, obj->checksum);
	bind_text(p, 5, obj->content_type);
	sqlite3_bind_int64(p, 6, obj->created_ms);
	sqlite3_bind_int64(p, 7, obj->fp.inode);
	sqlite3_bind_int64(p, 8, obj->fp.mtime_ns);
	if ((rc = run(s, p, err, "insert object")) != 0)
		return rc;
	obj->seq = sqlite3_last_insert_rowid(s->db);
	snprintf(obj->state, sizeof(obj->state), "%s", SL_STATE_PRESENT);
	if (!queue)
		return 0;
	sl_buf_reset(ev);
	if ((rc = sl_event_object_created(obj, ev)) != 0)
		return sl_err_set(err, rc, "%s/%s: event too large", obj->zone, obj->key);
	return send_locked(s, queue, ev->data, 0, obj->created_ms, NULL, err);
}

static int sq_object_commit(void *state, struct sl_object *obj, const char *queue,
			    struct sl_err *err)
{
	struct sq *s = state;
	struct sl_buf ev;
	int rc;
	sl_buf_init(&ev, SL_MESSAGE_MAX);
	if ((rc = begin(s, err)) != 0)
		return rc;
	if ((rc = sl_sq_object_put(s, obj, queue, &ev, err)) != 0)
		goto fail;
	if ((rc = commit(s, err)) != 0)
		goto fail;
	sl_buf_release(&ev);
	if (queue)
		sl_sq_ring(s);
	return 0;
fail:
	rollback(s);
	sl_buf_release(&ev);
	return rc;
}

static int sq_object_get(void *state, const char *zone, const char *key,
			 struct sl_object *out, struct sl_err *err)
{
	struct sq *s = state;
	sqlite3_stmt *p = st(s, S_OBJ_GET, err);
	if (!p)
		return SL_EMETA;
	bind_text(p, 1, zone);
	bind_text(p, 2, key);
	int rc = sqlite3_step(p);
	if (rc == SQLITE_ROW) {
		read_object(p, out);
		sqlite3_reset(p);
		return 0;
	}
	sqlite3_reset(p);
	if (rc == SQLITE_DONE)
		return sl_err_set(err, SL_ENOENT, "%s/%s: no such object", zone, key);
	return db_error(s, err, "get object");
}

/* Lists in pages of 512 keys, each page a short read transaction, so a long listing
 * never pins the WAL and the callback may write to the store. */
static int sq_object_list(void *state, const char *zone, const char *prefix,
			  sl_object_fn *fn, void *ctx, struct sl_err *err)
{
	struct sq *s = state;
	char after[SL_KEY_MAX + 1] = "";
	char upper[SL_KEY_MAX + 2];
	size_t plen = prefix ? strlen(prefix) : 0;
	if (plen > SL_KEY_MAX)
		return 0;
	if (plen) {
		/* keys are UTF-8, so no byte is 0xFF and the last byte can be incremented */
		memcpy(upper, prefix, plen + 1);
		upper[plen - 1] = (char)((unsigned char)upper[plen - 1] + 1);
	}
	for (;;) {
		sqlite3_stmt *p = st(s, plen ? S_OBJ_LIST_PREFIX : S_OBJ_LIST, err);
		if (!p)
			return SL_EMETA;
		bind_text(p, 1, zone);
		bind_text(p, 2, after);
		if (plen) {
			bind_text(p, 3, prefix);
			bind_text(p, 4, upper);
		}
		struct sl_object *page = malloc(512 * sizeof(*page));
		size_t n = 0;
		int rc;
		if (!page)
			return sl_err_set(err, SL_ENOMEM, "out of memory");
		while ((rc = sqlite3_step(p)) == SQLITE_ROW)
			read_object(p, &page[n++]);
		sqlite3_reset(p);
		if (rc != SQLITE_DONE) {
			free(page);
			return db_error(s, err, "list objects");
		}
		for (size_t i = 0; i < n; i++) {
			if ((rc = fn(ctx, &page[i])) != 0) {
				free(page);
				return rc;
			}
		}
		if (n)
			memcpy(after, page[n - 1].key, sizeof(after));
		free(page);
		if (n < 512)
			return 0;
	}
}

static int sq_object_set_state(void *state, const char *zone, const char *key,
			       const char *new_state, struct sl_err *err)
{
	struct sq *s = state;
	sqlite3_stmt *p = st(s, S_OBJ_STATE, err);
	if (!p)
		return SL_EMETA;
	bind_text(p, 1, zone);
	bind_text(p, 2, key);
	bind_text(p, 3, new_state);
	int rc = run(s, p, err, "set object state");
	if (rc == 0 && sqlite3_changes(s->db) == 0)
		return sl_err_set(err, SL_ENOENT, "%s/%s: no such object", zone, key);
	return rc;
}

static int sq_object_delete(void *state, const char *zone, const char *key, const char *queue,
			    struct sl_err *err)
{
	struct sq *s = state;
	struct sl_buf ev;
	sqlite3_stmt *p;
	int64_t seq = 0;
	bool gone = false;
	int rc;
	sl_buf_init(&ev, SL_MESSAGE_MAX);
	/* The last step of a removal, after the row was durably marked 'deleting' and the
	 * file removed: if a power cut loses it, the row is still 'deleting' and fsck
	 * finishes the removal (and sends the event then). So it need not wait for the disk. */
	lazy_sync(s, true);
	if ((rc = begin(s, err)) != 0)
		goto fail;
	if (!(p = st(s, S_OBJ_REMOVE, err))) {
		rc = SL_EMETA;
		goto fail;
	}
	bind_text(p, 1, zone);
	bind_text(p, 2, key);
	rc = sqlite3_step(p);
	if (rc == SQLITE_ROW) {
		seq = sqlite3_column_int64(p, 0);
		gone = true;
		rc = sqlite3_step(p); /* finish the RETURNING statement */
	}
	if (rc != SQLITE_DONE) {
		rc = db_error(s, err, "delete object");
		sqlite3_reset(p);
		goto fail;
	}
	sqlite3_reset(p);
	/* The event goes with the row, in its transaction: a removal is announced exactly
	 * once, when (and only if) its row goes. */
	if (gone && queue) {
		int64_t now_ms = sl_now_ms();
		if ((rc = sl_event_object_removed(zone, key, seq, now_ms, &ev)) != 0) {
			rc = sl_err_set(err, rc, "%s/%s: event too large", zone, key);
			goto fail;
		}
		if ((rc = send_locked(s, queue, ev.data, 0, now_ms, NULL, err)) != 0)
			goto fail;
	}
	if ((rc = commit(s, err)) != 0)
		goto fail;
	lazy_sync(s, false);
	sl_buf_release(&ev);
	if (gone && queue)
		sl_sq_ring(s);
	return 0;
fail:
	rollback(s);
	lazy_sync(s, false);
	sl_buf_release(&ev);
	return rc;
}

static int sq_zone_stats(void *state, const char *zone, struct sl_zone_stats *out,
			 struct sl_err *err)
{
	struct sq *s = state;
	sqlite3_stmt *p = st(s, S_ZONE_STATS, err);
	if (!p)
		return SL_EMETA;
	bind_text(p, 1, zone);
	if (sqlite3_step(p) != SQLITE_ROW) {
		sqlite3_reset(p);
		return db_error(s, err, "zone stats");
	}
	out->objects = sqlite3_column_int64(p, 0);
	out->bytes = sqlite3_column_int64(p, 1);
	out->missing = sqlite3_column_int64(p, 2);
	out->last_seq = sqlite3_column_int64(p, 3);
	sqlite3_reset(p);
	return 0;
}

/* ---- queues -------------------------------------------------------------------------- */

struct qconf {
	int64_t vt_ms, max_receive, retention_ms;
	char dlq[SL_QUEUE_NAME_MAX];
};

static int queue_get(struct sq *s, const char *queue, struct qconf *q, struct sl_err *err)
{
	sqlite3_stmt *p = st(s, S_Q_GET, err);
	if (!p)
		return SL_EMETA;
	bind_text(p, 1, queue);
	int rc = sqlite3_step(p);
	if (rc == SQLITE_ROW) {
		q->vt_ms = sqlite3_column_int64(p, 0);
		q->max_receive = sqlite3_column_int64(p, 1);
		q->retention_ms = sqlite3_column_int64(p, 2);
		snprintf(q->dlq, sizeof(q->dlq), "%s", (const char *)sqlite3_column_text(p, 3));
		sqlite3_reset(p);
		return 0;
	}
	sqlite3_reset(p);
	if (rc == SQLITE_DONE)
		return sl_err_set(err, SL_ENOENT, "queue '%s' does not exist", queue);
	return db_error(s, err, "read queue");
}

static int upsert_queue(struct sq *s, const char *name, const struct sl_queue_conf *c,
			const char *dlq, struct sl_err *err)
{
	sqlite3_stmt *p = st(s, S_Q_UPSERT, err);
	if (!p)
		return SL_EMETA;
	bind_text(p, 1, name);
	sqlite3_bind_int64(p, 2, c->visibility_timeout_ms);
	sqlite3_bind_int64(p, 3, c->max_receive_count);
	sqlite3_bind_int64(p, 4, c->retention_ms);
	if (dlq)
		bind_text(p, 5, dlq);
	else
		sqlite3_bind_null(p, 5);
	return run(s, p, err, "configure queue");
}

/* Creates or updates the queue and its dead-letter queue (which has the same retention,
 * no redrive of its own), writing only when something differs. */
static int sq_queue_configure(void *state, const struct sl_queue_conf *c, struct sl_err *err)
{
	struct sq *s = state;
	char dlq[SL_QUEUE_NAME_MAX + 8];
	struct qconf have;
	struct sl_err ignore;
	sl_dlq_name(c->name, dlq, sizeof(dlq));
	if (queue_get(s, c->name, &have, &ignore) == 0 && have.vt_ms == c->visibility_timeout_ms &&
	    have.max_receive == c->max_receive_count && have.retention_ms == c->retention_ms &&
	    strcmp(have.dlq, dlq) == 0)
		return 0;
	int rc = begin(s, err);
	if (rc)
		return rc;
	struct sl_queue_conf dc = *c;
	dc.max_receive_count = 0; /* no redrive from a dead-letter queue */
	if ((rc = upsert_queue(s, dlq, &dc, NULL, err)) != 0 ||
	    (rc = upsert_queue(s, c->name, c, dlq, err)) != 0 || (rc = commit(s, err)) != 0) {
		rollback(s);
		return rc;
	}
	return 0;
}

static int sq_queue_stats(void *state, const char *queue, int64_t now_ms,
			  struct sl_queue_stats *out, struct sl_err *err)
{
	struct sq *s = state;
	struct qconf q;
	int rc = queue_get(s, queue, &q, err);
	if (rc)
		return rc;
	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", queue);
	snprintf(out->dlq, sizeof(out->dlq), "%s", q.dlq);
	out->visibility_timeout_ms = q.vt_ms;
	out->max_receive_count = q.max_receive;
	out->retention_ms = q.retention_ms;
	sqlite3_stmt *p = st(s, S_Q_COUNTS, err);
	if (!p)
		return SL_EMETA;
	bind_text(p, 1, queue);
	sqlite3_bind_int64(p, 2, now_ms);
	if (sqlite3_step(p) != SQLITE_ROW) {
		sqlite3_reset(p);
		return db_error(s, err, "queue stats");
	}
	out->visible = sqlite3_column_int64(p, 0);
	out->in_flight = sqlite3_column_int64(p, 1);
	out->delayed = sqlite3_column_int64(p, 2);
	out->oldest_sent_ms = sqlite3_column_int64(p, 3);
	sqlite3_reset(p);
	return 0;
}

static int sq_queue_list(void *state, int64_t now_ms, sl_queue_fn *fn, void *ctx,
			 struct sl_err *err)
{
	struct sq *s = state;
	char names[64][SL_QUEUE_NAME_MAX];
	size_t n = 0;
	sqlite3_stmt *p = st(s, S_Q_NAMES, err);
	int rc;
	if (!p)
		return SL_EMETA;
	while ((rc = sqlite3_step(p)) == SQLITE_ROW && n < 64)
		snprintf(names[n++], SL_QUEUE_NAME_MAX, "%s", (const char *)sqlite3_column_text(p, 0));
	sqlite3_reset(p);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return db_error(s, err, "list queues");
	for (size_t i = 0; i < n; i++) {
		struct sl_queue_stats qs;
		if ((rc = sq_queue_stats(s, names[i], now_ms, &qs, err)) != 0)
			return rc;
		if ((rc = fn(ctx, &qs)) != 0)
			return rc;
	}
	return 0;
}

static int send_locked(struct sq *s, const char *queue, const char *body, int64_t delay_ms,
		       int64_t now_ms, int64_t *id, struct sl_err *err)
{
	sqlite3_stmt *p = st(s, S_MSG_INSERT, err);
	if (!p)
		return SL_EMETA;
	bind_text(p, 1, queue);
	bind_text(p, 2, body);
	sqlite3_bind_int64(p, 3, now_ms);
	sqlite3_bind_int64(p, 4, now_ms + delay_ms);
	int rc = run(s, p, err, "send message");
	if (rc == 0 && id)
		*id = sqlite3_last_insert_rowid(s->db);
	return rc;
}

static int sq_queue_send(void *state, const char *queue, const char *const *bodies, size_t n,
			 int64_t delay_ms, int64_t now_ms, int64_t *ids, struct sl_err *err)
{
	struct sq *s = state;
	struct qconf q;
	int rc = begin(s, err);
	if (rc)
		return rc;
	if ((rc = queue_get(s, queue, &q, err)) != 0)
		goto fail;
	for (size_t i = 0; i < n; i++)
		if ((rc = send_locked(s, queue, bodies[i], delay_ms, now_ms, ids ? &ids[i] : NULL,
				      err)) != 0)
			goto fail;
	if ((rc = commit(s, err)) != 0)
		goto fail;
	sl_sq_ring(s);
	return 0;
fail:
	rollback(s);
	return rc;
}

static void new_receipt(int64_t id, char *out, size_t cap)
{
	uint64_t r = 0;
	if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
		r = (uint64_t)sl_mono_ms() * 6364136223846793005ull ^ (uint64_t)id;
	snprintf(out, cap, "%" PRId64 "-%016" PRIx64, id, r);
}

static int sq_queue_receive(void *state, const char *queue, size_t max, int64_t vt_ms,
			    int64_t now_ms, struct sl_message *out, size_t *n_out,
			    struct sl_err *err)
{
	struct sq *s = state;
	struct qconf q;
	size_t got = 0;
	int rc;
	*n_out = 0;
	/* An empty queue is answered by a read, without the write lock, so idle consumers
	 * polling it do not hold up producers. */
	sqlite3_stmt *p = st(s, S_MSG_ANY_READY, err);
	if (!p)
		return SL_EMETA;
	bind_text(p, 1, queue);
	sqlite3_bind_int64(p, 2, now_ms);
	rc = sqlite3_step(p);
	sqlite3_reset(p);
	if (rc == SQLITE_DONE)
		return queue_get(s, queue, &q, err); /* still SL_ENOENT for an unknown queue */
	if (rc != SQLITE_ROW)
		return db_error(s, err, "receive");
	/* A receive need not wait for the disk: if a power cut loses it, the message is
	 * simply delivered again, which at-least-once delivery allows. The next durable
	 * commit of this connection (a delete, a put) flushes it anyway, as the WAL is
	 * written in order. This takes an fsync off every message's path. */
	lazy_sync(s, true);
	rc = begin(s, err);
	if (rc) {
		lazy_sync(s, false);
		return rc;
	}
	if ((rc = queue_get(s, queue, &q, err)) != 0)
		goto fail;
	if (vt_ms < 0)
		vt_ms = q.vt_ms;
	p = st(s, S_MSG_EXPIRE, err);
	if (!p) {
		rc = SL_EMETA;
		goto fail;
	}
	bind_text(p, 1, queue);
	sqlite3_bind_int64(p, 2, now_ms - q.retention_ms);
	if ((rc = run(s, p, err, "expire messages")) != 0)
		goto fail;

	while (got < max) {
		int64_t ids[SL_BATCH_MAX], counts[SL_BATCH_MAX];
		size_t n = 0;
		if (!(p = st(s, S_MSG_READY, err))) {
			rc = SL_EMETA;
			goto fail;
		}
		bind_text(p, 1, queue);
		sqlite3_bind_int64(p, 2, now_ms);
		sqlite3_bind_int64(p, 3, (sqlite3_int64)(max - got));
		while ((rc = sqlite3_step(p)) == SQLITE_ROW && n < SL_BATCH_MAX) {
			ids[n] = sqlite3_column_int64(p, 0);
			counts[n++] = sqlite3_column_int64(p, 1);
		}
		sqlite3_reset(p);
		if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
			rc = db_error(s, err, "receive");
			goto fail;
		}
		if (n == 0)
			break;
		size_t redriven = 0;
		for (size_t i = 0; i < n; i++) {
			if (q.max_receive > 0 && counts[i] >= q.max_receive && q.dlq[0]) {
				/* redrive: this would be receive number max+1 */
				if (!(p = st(s, S_MSG_MOVE, err))) {
					rc = SL_EMETA;
					goto fail;
				}
				sqlite3_bind_int64(p, 1, ids[i]);
				bind_text(p, 2, q.dlq);
				sqlite3_bind_int64(p, 3, now_ms);
				if ((rc = run(s, p, err, "redrive")) != 0)
					goto fail;
				redriven++;
				continue;
			}
			struct sl_message *m = &out[got];
			memset(m, 0, sizeof(*m));
			m->id = ids[i];
			new_receipt(ids[i], m->receipt, sizeof(m->receipt));
			if (!(p = st(s, S_MSG_MARK, err))) {
				rc = SL_EMETA;
				goto fail;
			}
			sqlite3_bind_int64(p, 1, ids[i]);
			sqlite3_bind_int64(p, 2, now_ms + vt_ms);
			bind_text(p, 3, m->receipt);
			sqlite3_bind_int64(p, 4, now_ms);
			if (sqlite3_step(p) != SQLITE_ROW) {
				rc = db_error(s, err, "receive");
				sqlite3_reset(p);
				goto fail;
			}
			m->body = strdup((const char *)sqlite3_column_text(p, 0));
			m->sent_ms = sqlite3_column_int64(p, 1);
			m->receive_count = sqlite3_column_int64(p, 2);
			m->first_receive_ms = sqlite3_column_int64(p, 3);
			m->visible_at_ms = now_ms + vt_ms;
			sqlite3_step(p); /* finish the RETURNING statement */
			sqlite3_reset(p);
			if (!m->body) {
				rc = sl_err_set(err, SL_ENOMEM, "out of memory");
				goto fail;
			}
			got++;
		}
		/* Another pass only to replace redriven messages; with a zero timeout the
		 * delivered ones are still visible and must not be handed out twice. */
		if (redriven == 0 || vt_ms == 0)
			break;
	}
	if ((rc = commit(s, err)) != 0)
		goto fail;
	lazy_sync(s, false);
	*n_out = got;
	return 0;
fail:
	rollback(s);
	lazy_sync(s, false);
	for (size_t i = 0; i < got; i++)
		sl_message_release(&out[i]);
	return rc;
}

static int parse_receipt(const char *receipt, int64_t *id, struct sl_err *err)
{
	char *end;
	errno = 0;
	long long v = strtoll(receipt, &end, 10);
	if (errno || v <= 0 || *end != '-' || strlen(end + 1) != 16)
		return sl_err_set(err, SL_EINVAL, "'%s' is not a receipt handle", receipt);
	*id = v;
	return 0;
}

/* Tells a stale receipt (message received again since) from a gone message. */
static int explain_miss(struct sq *s, const char *queue, int64_t id, struct sl_err *err)
{
	sqlite3_stmt *p = st(s, S_MSG_EXISTS, err);
	if (!p)
		return SL_EMETA;
	sqlite3_bind_int64(p, 1, id);
	bind_text(p, 2, queue);
	int rc = sqlite3_step(p);
	sqlite3_reset(p);
	if (rc == SQLITE_ROW)
		return sl_err_set(err, SL_ESTALE,
				  "queue %s: receipt for message %" PRId64
				  " is stale: the message was received again after its "
				  "visibility timeout",
				  queue, id);
	return sl_err_set(err, SL_ENOENT, "queue %s: message %" PRId64 " is gone", queue, id);
}

int sl_sq_delete_receipt(struct sq *s, const char *queue, const char *receipt,
			 struct sl_err *err)
{
	int64_t id = 0;
	int rc = parse_receipt(receipt, &id, err);
	if (rc)
		return rc;
	sqlite3_stmt *p = st(s, S_MSG_DELETE, err);
	if (!p)
		return SL_EMETA;
	sqlite3_bind_int64(p, 1, id);
	bind_text(p, 2, queue);
	bind_text(p, 3, receipt);
	if ((rc = run(s, p, err, "delete message")) != 0)
		return rc;
	if (sqlite3_changes(s->db) == 1)
		return 0;
	rc = explain_miss(s, queue, id, err);
	return rc == SL_ENOENT ? 0 : rc; /* deleting twice is not an error (idempotent ack) */
}

static int sq_queue_delete(void *state, const char *queue, const char *const *receipts,
			   size_t n, int *rcs, struct sl_err *err)
{
	struct sq *s = state;
	struct sl_err one = {0};
	int rc = begin(s, err), first = 0;
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		rc = sl_sq_delete_receipt(s, queue, receipts[i], &one);
		if (rc == SL_EMETA || rc == SL_EBUSY || rc == SL_ENOSPC) {
			*err = one;
			rollback(s);
			return rc;
		}
		rcs[i] = rc;
		if (rc && !first) {
			first = rc;
			if (err)
				*err = one; /* the first refusal explains the batch */
		}
	}
	if ((rc = commit(s, err)) != 0) {
		rollback(s);
		return rc;
	}
	return 0;
}

static int sq_queue_change_visibility(void *state, const char *queue, const char *receipt,
				      int64_t timeout_ms, int64_t now_ms, struct sl_err *err)
{
	struct sq *s = state;
	int64_t id = 0;
	int rc = parse_receipt(receipt, &id, err);
	if (rc)
		return rc;
	sqlite3_stmt *p = st(s, S_MSG_VIS, err);
	if (!p)
		return SL_EMETA;
	sqlite3_bind_int64(p, 1, id);
	bind_text(p, 2, queue);
	bind_text(p, 3, receipt);
	sqlite3_bind_int64(p, 4, now_ms + timeout_ms);
	if ((rc = run(s, p, err, "change visibility")) != 0)
		return rc;
	return sqlite3_changes(s->db) == 1 ? 0 : explain_miss(s, queue, id, err);
}

static int sq_queue_peek(void *state, const char *queue, size_t max, sl_message_fn *fn,
			 void *ctx, struct sl_err *err)
{
	struct sq *s = state;
	struct qconf q;
	int64_t after = 0;
	int rc = queue_get(s, queue, &q, err);
	if (rc)
		return rc;
	/* page through so the callback runs outside any statement */
	while (max > 0) {
		size_t page = max < 256 ? max : 256, n = 0;
		struct sl_message msgs[256];
		sqlite3_stmt *p = st(s, S_MSG_PEEK, err);
		if (!p)
			return SL_EMETA;
		bind_text(p, 1, queue);
		sqlite3_bind_int64(p, 2, after);
		sqlite3_bind_int64(p, 3, (sqlite3_int64)page);
		while ((rc = sqlite3_step(p)) == SQLITE_ROW) {
			struct sl_message *m = &msgs[n];
			memset(m, 0, sizeof(*m));
			m->id = sqlite3_column_int64(p, 0);
			m->body = strdup((const char *)sqlite3_column_text(p, 1));
			m->sent_ms = sqlite3_column_int64(p, 2);
			m->receive_count = sqlite3_column_int64(p, 3);
			m->first_receive_ms = sqlite3_column_int64(p, 4);
			m->visible_at_ms = sqlite3_column_int64(p, 5);
			n++;
		}
		sqlite3_reset(p);
		int cb_rc = 0;
		for (size_t i = 0; i < n; i++) {
			if (cb_rc == 0 && rc == SQLITE_DONE)
				cb_rc = msgs[i].body ? fn(ctx, &msgs[i])
						     : sl_err_set(err, SL_ENOMEM, "out of memory");
			sl_message_release(&msgs[i]);
		}
		if (rc != SQLITE_DONE)
			return db_error(s, err, "peek");
		if (cb_rc)
			return cb_rc;
		if (n < page)
			break;
		after = msgs[n - 1].id;
		max -= n;
	}
	return 0;
}

/* ---- schema registry ----------------------------------------------------------------- */

/* A stored mode name back to its enum; a name this sluice does not know means the store
 * was written by another program. */
static int col_compat(struct sq *s, sqlite3_stmt *p, int i, int *out, struct sl_err *err)
{
	enum sl_compat c;
	if (sl_compat_parse(col_text(p, i), &c) != 0)
		return sl_err_set(err, SL_ECORRUPT, "metadata store %s: unknown compatibility '%s'",
				  s->path, col_text(p, i));
	*out = (int)c;
	return 0;
}

static int sq_registry_default_get(void *state, int *compat, struct sl_err *err)
{
	struct sq *s = state;
	sqlite3_stmt *p = st(s, S_REG_DEFAULT_GET, err);
	if (!p)
		return SL_EMETA;
	int rc = sqlite3_step(p);
	if (rc != SQLITE_ROW) {
		rc = rc == SQLITE_DONE ? sl_err_set(err, SL_ECORRUPT,
						    "metadata store %s: no registry settings",
						    s->path)
				       : db_error(s, err, "read the default compatibility");
		sqlite3_reset(p);
		return rc;
	}
	rc = col_compat(s, p, 0, compat, err);
	sqlite3_reset(p);
	return rc;
}

static int sq_registry_default_set(void *state, int compat, struct sl_err *err)
{
	struct sq *s = state;
	sqlite3_stmt *p = st(s, S_REG_DEFAULT_SET, err);
	if (!p)
		return SL_EMETA;
	bind_text(p, 1, sl_compat_name((enum sl_compat)compat));
	return run(s, p, err, "set the default compatibility");
}

static int read_subject(struct sq *s, sqlite3_stmt *p, struct sl_schema_subject *o,
			struct sl_err *err)
{
	int c = 0;
	memset(o, 0, sizeof(*o));
	snprintf(o->name, sizeof(o->name), "%s", col_text(p, 0));
	int rc = col_compat(s, p, 1, &c, err);
	o->compat = (enum sl_compat)c;
	o->created_ms = sqlite3_column_int64(p, 2);
	o->latest = sqlite3_column_int64(p, 3);
	o->updated_ms = sqlite3_column_int64(p, 4);
	return rc;
}

static int subject_get(struct sq *s, const char *subject, struct sl_schema_subject *out,
		       struct sl_err *err)
{
	sqlite3_stmt *p = st(s, S_REG_SUBJECT_GET, err);
	if (!p)
		return SL_EMETA;
	bind_text(p, 1, subject);
	int rc = sqlite3_step(p);
	if (rc == SQLITE_ROW)
		rc = read_subject(s, p, out, err);
	else if (rc == SQLITE_DONE)
		rc = sl_err_set(err, SL_ENOENT, "no schema subject '%s'", subject);
	else
		rc = db_error(s, err, "read subject");
	sqlite3_reset(p);
	return rc;
}

static int sq_registry_subject_get(void *state, const char *subject,
				   struct sl_schema_subject *out, struct sl_err *err)
{
	return subject_get(state, subject, out, err);
}

static int sq_registry_subject_list(void *state, sl_schema_subject_fn *fn, void *ctx,
				    struct sl_err *err)
{
	struct sq *s = state;
	char after[SL_SUBJECT_MAX] = "";
	for (;;) {
		sqlite3_stmt *p = st(s, S_REG_SUBJECT_LIST, err);
		if (!p)
			return SL_EMETA;
		bind_text(p, 1, after);
		struct sl_schema_subject *page = malloc(256 * sizeof(*page));
		size_t n = 0;
		int rc = 0;
		if (!page)
			return sl_err_set(err, SL_ENOMEM, "out of memory");
		while (rc == 0 && (rc = sqlite3_step(p)) == SQLITE_ROW)
			rc = read_subject(s, p, &page[n++], err);
		if (rc == SQLITE_ROW || rc == SQLITE_DONE)
			rc = 0;
		else if (rc > 0)
			rc = db_error(s, err, "list subjects");
		sqlite3_reset(p);
		for (size_t i = 0; rc == 0 && i < n; i++)
			rc = fn(ctx, &page[i]);
		if (n)
			memcpy(after, page[n - 1].name, sizeof(after));
		free(page);
		if (rc || n < 256)
			return rc;
	}
}

static int sq_registry_subject_set_compat(void *state, const char *subject, int compat,
					  int64_t now_ms, struct sl_err *err)
{
	struct sq *s = state;
	sqlite3_stmt *p = st(s, S_REG_SUBJECT_SET, err);
	if (!p)
		return SL_EMETA;
	bind_text(p, 1, subject);
	bind_text(p, 2, sl_compat_name((enum sl_compat)compat));
	sqlite3_bind_int64(p, 3, now_ms);
	return run(s, p, err, "set compatibility");
}

/* Reads a version row (version, fingerprint, text, created_ms) into out. */
static int read_version(sqlite3_stmt *p, const char *subject, struct sl_schema_version *out,
			struct sl_err *err)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->subject, sizeof(out->subject), "%s", subject);
	out->version = sqlite3_column_int64(p, 0);
	snprintf(out->fingerprint, sizeof(out->fingerprint), "%s", col_text(p, 1));
	const char *t = col_text(p, 2);
	size_t n = (size_t)sqlite3_column_bytes(p, 2);
	out->created_ms = sqlite3_column_int64(p, 3);
	if (!(out->text = malloc(n + 1)))
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	memcpy(out->text, t, n);
	out->text[n] = '\0';
	out->len = n;
	return 0;
}

/* Steps a statement that returns at most one version. SL_ENOENT (message unset) when
 * there is none. */
static int step_version(struct sq *s, sqlite3_stmt *p, const char *subject,
			struct sl_schema_version *out, struct sl_err *err)
{
	int rc = sqlite3_step(p);
	if (rc == SQLITE_ROW)
		rc = read_version(p, subject, out, err);
	else if (rc == SQLITE_DONE)
		rc = SL_ENOENT;
	else
		rc = db_error(s, err, "read schema version");
	sqlite3_reset(p);
	return rc;
}

static int sq_registry_version_get(void *state, const char *subject, int64_t version,
				   struct sl_schema_version *out, struct sl_err *err)
{
	struct sq *s = state;
	sqlite3_stmt *p = st(s, version > 0 ? S_REG_VERSION_GET : S_REG_VERSION_LATEST, err);
	if (!p)
		return SL_EMETA;
	bind_text(p, 1, subject);
	if (version > 0)
		sqlite3_bind_int64(p, 2, version);
	int rc = step_version(s, p, subject, out, err);
	if (rc != SL_ENOENT)
		return rc;
	/* say what is missing: the subject, or the version */
	struct sl_schema_subject sub;
	if ((rc = subject_get(s, subject, &sub, err)) != 0)
		return rc;
	if (version > 0)
		return sl_err_set(err, SL_ENOENT,
				  "schema subject '%s' has no version %" PRId64 " (latest: %" PRId64
				  ")",
				  subject, version, sub.latest);
	return sl_err_set(err, SL_ENOENT, "schema subject '%s' has no versions yet", subject);
}

static int sq_registry_version_find(void *state, const char *subject, const char *fingerprint,
				    struct sl_schema_version *out, struct sl_err *err)
{
	struct sq *s = state;
	sqlite3_stmt *p = st(s, S_REG_VERSION_FIND, err);
	if (!p)
		return SL_EMETA;
	bind_text(p, 1, subject);
	bind_text(p, 2, fingerprint);
	int rc = step_version(s, p, subject, out, err);
	if (rc == SL_ENOENT)
		sl_err_set(err, SL_ENOENT, "schema subject '%s' has no version with %s", subject,
			   fingerprint);
	return rc;
}

static int sq_registry_version_list(void *state, const char *subject,
				    sl_schema_version_fn *fn, void *ctx, struct sl_err *err)
{
	struct sq *s = state;
	int64_t after = 0;
	struct sl_schema_subject sub;
	int rc = subject_get(s, subject, &sub, err);
	if (rc)
		return rc;
	for (;;) {
		sqlite3_stmt *p = st(s, S_REG_VERSION_LIST, err);
		if (!p)
			return SL_EMETA;
		bind_text(p, 1, subject);
		sqlite3_bind_int64(p, 2, after);
		struct sl_schema_version *page = calloc(256, sizeof(*page));
		size_t n = 0;
		if (!page)
			return sl_err_set(err, SL_ENOMEM, "out of memory");
		while ((rc = sqlite3_step(p)) == SQLITE_ROW) {
			struct sl_schema_version *v = &page[n++];
			snprintf(v->subject, sizeof(v->subject), "%s", subject);
			v->version = sqlite3_column_int64(p, 0);
			snprintf(v->fingerprint, sizeof(v->fingerprint), "%s", col_text(p, 1));
			v->created_ms = sqlite3_column_int64(p, 3);
		}
		rc = rc == SQLITE_DONE ? 0 : db_error(s, err, "list schema versions");
		sqlite3_reset(p);
		for (size_t i = 0; rc == 0 && i < n; i++)
			rc = fn(ctx, &page[i]);
		if (n)
			after = page[n - 1].version;
		free(page);
		if (rc || n < 256)
			return rc;
	}
}

/* Adds the pairs a version lacks; a key it has with another value is SL_EEXIST. Runs
 * inside the caller's transaction. */
static int put_meta(struct sq *s, const char *subject, int64_t version,
		    const char *const *meta, size_t n_meta, size_t max_meta, struct sl_err *err)
{
	sqlite3_stmt *p;
	int rc;
	int64_t have = 0;
	for (size_t i = 0; i < n_meta; i++) {
		const char *k = meta[2 * i], *v = meta[2 * i + 1];
		if (!(p = st(s, S_REG_META_GET, err)))
			return SL_EMETA;
		bind_text(p, 1, subject);
		sqlite3_bind_int64(p, 2, version);
		bind_text(p, 3, k);
		rc = sqlite3_step(p);
		if (rc == SQLITE_ROW) {
			bool same = strcmp(col_text(p, 0), v) == 0;
			sqlite3_reset(p);
			if (same)
				continue;
			return sl_err_set(err, SL_EEXIST,
					  "%s version %" PRId64 " already has metadata %s with "
					  "another value (metadata cannot be changed)",
					  subject, version, k);
		}
		sqlite3_reset(p);
		if (rc != SQLITE_DONE)
			return db_error(s, err, "read metadata");
		if (!(p = st(s, S_REG_META_COUNT, err)))
			return SL_EMETA;
		bind_text(p, 1, subject);
		sqlite3_bind_int64(p, 2, version);
		rc = sqlite3_step(p);
		have = rc == SQLITE_ROW ? sqlite3_column_int64(p, 0) : 0;
		sqlite3_reset(p);
		if (rc != SQLITE_ROW)
			return db_error(s, err, "count metadata");
		if ((size_t)have >= max_meta)
			return sl_err_set(err, SL_ELIMIT,
					  "%s version %" PRId64 " would have more than %zu "
					  "metadata pairs",
					  subject, version, max_meta);
		if (!(p = st(s, S_REG_META_INSERT, err)))
			return SL_EMETA;
		bind_text(p, 1, subject);
		sqlite3_bind_int64(p, 2, version);
		bind_text(p, 3, k);
		bind_text(p, 4, v);
		if ((rc = run(s, p, err, "add metadata")) != 0)
			return rc;
	}
	return 0;
}

static int sq_registry_version_add(void *state, struct sl_schema_version *v, int compat,
				   int64_t expected_latest, const char *const *meta,
				   size_t n_meta, size_t max_meta, bool *existed,
				   struct sl_err *err)
{
	struct sq *s = state;
	struct sl_schema_version found;
	struct sl_schema_subject sub;
	sqlite3_stmt *p;
	int rc = begin(s, err);
	*existed = false;
	if (rc)
		return rc;
	/* 1. the same schema already registered: that version is the answer, whatever
	 *    happened to the subject meanwhile */
	if (!(p = st(s, S_REG_VERSION_FIND, err))) {
		rc = SL_EMETA;
		goto fail;
	}
	bind_text(p, 1, v->subject);
	bind_text(p, 2, v->fingerprint);
	rc = step_version(s, p, v->subject, &found, err);
	if (rc == 0) {
		v->version = found.version;
		v->created_ms = found.created_ms;
		sl_schema_version_release(&found);
		if ((rc = put_meta(s, v->subject, v->version, meta, n_meta, max_meta, err)) != 0)
			goto fail;
		if ((rc = commit(s, err)) != 0)
			goto fail;
		*existed = true;
		return 0;
	}
	if (rc != SL_ENOENT)
		goto fail;
	/* 2. the subject as the caller saw it, or a stale answer */
	rc = subject_get(s, v->subject, &sub, err);
	if (rc == SL_ENOENT) {
		if (expected_latest != 0) {
			rc = sl_err_set(err, SL_ESTALE, "subject %s changed", v->subject);
			goto fail;
		}
		if (!(p = st(s, S_REG_SUBJECT_INSERT, err))) {
			rc = SL_EMETA;
			goto fail;
		}
		bind_text(p, 1, v->subject);
		bind_text(p, 2, sl_compat_name((enum sl_compat)compat));
		sqlite3_bind_int64(p, 3, v->created_ms);
		if ((rc = run(s, p, err, "create subject")) != 0)
			goto fail;
		sub.latest = 0;
	} else if (rc != 0) {
		goto fail;
	} else if ((int)sub.compat != compat || sub.latest != expected_latest) {
		rc = sl_err_set(err, SL_ESTALE, "subject %s changed", v->subject);
		goto fail;
	}
	/* 3. the next number */
	if (!(p = st(s, S_REG_VERSION_INSERT, err))) {
		rc = SL_EMETA;
		goto fail;
	}
	v->version = sub.latest + 1;
	bind_text(p, 1, v->subject);
	sqlite3_bind_int64(p, 2, v->version);
	bind_text(p, 3, v->fingerprint);
	sqlite3_bind_text(p, 4, v->text, (int)v->len, SQLITE_STATIC);
	sqlite3_bind_int64(p, 5, v->created_ms);
	if ((rc = run(s, p, err, "add schema version")) != 0)
		goto fail;
	if ((rc = put_meta(s, v->subject, v->version, meta, n_meta, max_meta, err)) != 0)
		goto fail;
	if ((rc = commit(s, err)) != 0)
		goto fail;
	return 0;
fail:
	rollback(s);
	return rc;
}

static int sq_registry_meta_list(void *state, const char *subject, int64_t version,
				 sl_schema_kv_fn *fn, void *ctx, struct sl_err *err)
{
	struct sq *s = state;
	sqlite3_stmt *p = st(s, S_REG_META_LIST, err);
	if (!p)
		return SL_EMETA;
	bind_text(p, 1, subject);
	sqlite3_bind_int64(p, 2, version);
	/* at most SL_REGISTRY_META_PAIRS_MAX rows of short strings: copy, then call back */
	struct kv {
		char *k, *v;
	} kv[64];
	size_t n = 0;
	int rc;
	while ((rc = sqlite3_step(p)) == SQLITE_ROW && n < 64) {
		kv[n].k = strdup(col_text(p, 0));
		kv[n].v = strdup(col_text(p, 1));
		n++;
	}
	int rc2 = (rc == SQLITE_DONE || rc == SQLITE_ROW) ? 0 : db_error(s, err, "list metadata");
	sqlite3_reset(p);
	for (size_t i = 0; i < n; i++) {
		if (rc2 == 0)
			rc2 = kv[i].k && kv[i].v ? fn(ctx, kv[i].k, kv[i].v)
						 : sl_err_set(err, SL_ENOMEM, "out of memory");
		free(kv[i].k);
		free(kv[i].v);
	}
	return rc2;
}

static int sq_wait_send(void *state, int64_t timeout_ms, struct sl_err *err)
{
	struct sq *s = state;
	(void)err;
	if (s->ino_fd < 0) {
		/* The first call arms the watch and returns: a bell rung before it would be
		 * missed, so the caller looks at its queue once more first. */
		s->ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (s->ino_fd >= 0 && inotify_add_watch(s->ino_fd, s->bell, IN_CLOSE_WRITE) < 0) {
			close(s->ino_fd);
			s->ino_fd = -1;
		}
		if (s->ino_fd < 0)
			sl_sleep_ms(timeout_ms < 5 ? timeout_ms : 5); /* no inotify: poll */
		return 0;
	}
	struct pollfd pfd = {.fd = s->ino_fd, .events = POLLIN};
	int n = poll(&pfd, 1, (int)(timeout_ms > INT32_MAX ? INT32_MAX : timeout_ms));
	if (n > 0) {
		char buf[4096];
		while (read(s->ino_fd, buf, sizeof(buf)) > 0)
			;
	}
	return 0;
}

/* ---- the validator's records ------------------------------------------------------- */

static int step_exists(struct sq *s, sqlite3_stmt *p, bool *found, struct sl_err *err,
		       const char *what)
{
	int rc = sqlite3_step(p);
	sqlite3_reset(p);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(s, err, what);
	*found = rc == SQLITE_ROW;
	return 0;
}

static int dl_put(struct sq *s, const struct sl_deadletter *d, struct sl_err *err)
{
	sqlite3_stmt *p = st(s, S_V_DL, err);
	if (!p)
		return SL_EMETA;
	bind_text(p, 1, d->key);
	sqlite3_bind_int64(p, 2, d->seq);
	bind_text(p, 3, d->landing_key);
	sqlite3_bind_int64(p, 4, d->landing_seq);
	bind_text(p, 5, d->subject);
	sqlite3_bind_int64(p, 6, d->schema_version);
	bind_text(p, 7, d->outcome);
	bind_text(p, 8, d->reason);
	sqlite3_bind_int64(p, 9, d->records);
	sqlite3_bind_int64(p, 10, d->bad_records);
	sqlite3_bind_int64(p, 11, d->created_ms);
	bind_text(p, 12, d->report ? d->report : "{}");
	return run(s, p, err, "store dead letter");
}

static int v_record(struct sq *s, const struct sl_validate_commit *c, int64_t now_ms,
		    struct sl_err *err)
{
	sqlite3_stmt *p = st(s, S_V_RUN, err);
	int rc;
	if (!p)
		return SL_EMETA;
	sqlite3_bind_int64(p, 1, c->landing_seq);
	bind_text(p, 2, c->landing_key);
	bind_text(p, 3, c->subject);
	sqlite3_bind_int64(p, 4, c->schema_version);
	bind_text(p, 5, c->outcome);
	sqlite3_bind_int64(p, 6, c->records_passed);
	sqlite3_bind_int64(p, 7, c->records_failed);
	sqlite3_bind_int64(p, 8, now_ms);
	if ((rc = run(s, p, err, "record validation run")) != 0)
		return rc;
	if (!(p = st(s, S_V_COUNT, err)))
		return SL_EMETA;
	bind_text(p, 1, c->subject);
	sqlite3_bind_int64(p, 2, c->kind == SL_VKIND_PASSED);
	sqlite3_bind_int64(p, 3, c->kind == SL_VKIND_SPLIT);
	sqlite3_bind_int64(p, 4, c->kind == SL_VKIND_FAILED);
	sqlite3_bind_int64(p, 5, c->records_passed);
	sqlite3_bind_int64(p, 6, c->records_failed);
	sqlite3_bind_int64(p, 7, now_ms);
	if ((rc = run(s, p, err, "count")) != 0)
		return rc;
	if (c->dl_forget) {
		if (!(p = st(s, S_V_FORGET, err)))
			return SL_EMETA;
		bind_text(p, 1, c->dl_forget);
		if ((rc = run(s, p, err, "forget dead letter")) != 0)
			return rc;
	}
	if (c->dl && (rc = dl_put(s, c->dl, err)) != 0)
		return rc;
	if (!(p = st(s, S_V_MARK, err)))
		return SL_EMETA;
	bind_text(p, 1, c->landing_key);
	sqlite3_bind_int64(p, 2, c->landing_seq);
	return run(s, p, err, "mark landing object");
}

static int sq_validate_commit(void *state, const struct sl_validate_commit *c, int64_t now_ms,
			      bool *first, struct sl_err *err)
{
	struct sq *s = state;
	sqlite3_stmt *p;
	bool seen = false, present = false;
	int rc;
	*first = false;
	if ((rc = begin(s, err)) != 0)
		return rc;
	if (!(p = st(s, S_V_SEEN, err))) {
		rc = SL_EMETA;
		goto fail;
	}
	sqlite3_bind_int64(p, 1, c->landing_seq);
	if ((rc = step_exists(s, p, &seen, err, "validation run")) != 0)
		goto fail;
	if (!seen) {
		if (!(p = st(s, S_V_LANDING, err))) {
			rc = SL_EMETA;
			goto fail;
		}
		bind_text(p, 1, c->landing_key);
		sqlite3_bind_int64(p, 2, c->landing_seq);
		if ((rc = step_exists(s, p, &present, err, "landing object")) != 0)
			goto fail;
	}
	if (!seen && present) {
		if ((rc = v_record(s, c, now_ms, err)) != 0)
			goto fail;
		*first = true;
	}
	if (c->queue && c->receipt) {
		struct sl_err one = {0};
		rc = sl_sq_delete_receipt(s, c->queue, c->receipt, &one);
		/* stale (received again since) or not a receipt: the results still stand */
		if (rc == SL_EMETA || rc == SL_EBUSY || rc == SL_ENOSPC) {
			if (err)
				*err = one;
			goto fail;
		}
	}
	if ((rc = commit(s, err)) != 0)
		goto fail;
	return 0;
fail:
	*first = false;
	rollback(s);
	return rc;
}

static int sq_validate_seen(void *state, int64_t landing_seq, bool *seen, struct sl_err *err)
{
	struct sq *s = state;
	sqlite3_stmt *p = st(s, S_V_SEEN, err);
	if (!p)
		return SL_EMETA;
	sqlite3_bind_int64(p, 1, landing_seq);
	return step_exists(s, p, seen, err, "validation run");
}

static int sq_validate_prune(void *state, struct sl_err *err)
{
	struct sq *s = state;
	sqlite3_stmt *p = st(s, S_V_PRUNE, err);
	return p ? run(s, p, err, "prune validation runs") : SL_EMETA;
}

static int sq_validate_counters(void *state, sl_counters_fn *fn, void *ctx, struct sl_err *err)
{
	struct sq *s = state;
	struct sl_validate_counters *all = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *p = st(s, S_V_COUNTERS, err);
	int rc;
	if (!p)
		return SL_EMETA;
	/* read all first, so that the callback runs outside the statement */
	while ((rc = sqlite3_step(p)) == SQLITE_ROW) {
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct sl_validate_counters *na = realloc(all, ncap * sizeof(*na));
			if (!na) {
				sqlite3_reset(p);
				free(all);
				return sl_err_set(err, SL_ENOMEM, "out of memory");
			}
			all = na;
			cap = ncap;
		}
		struct sl_validate_counters *c = &all[n++];
		memset(c, 0, sizeof(*c));
		snprintf(c->subject, sizeof(c->subject), "%s", (const char *)sqlite3_column_text(p, 0));
		c->objects_passed = sqlite3_column_int64(p, 1);
		c->objects_split = sqlite3_column_int64(p, 2);
		c->objects_failed = sqlite3_column_int64(p, 3);
		c->records_passed = sqlite3_column_int64(p, 4);
		c->records_failed = sqlite3_column_int64(p, 5);
		c->last_ms = sqlite3_column_int64(p, 6);
	}
	sqlite3_reset(p);
	if (rc != SQLITE_DONE) {
		free(all);
		return db_error(s, err, "read counters");
	}
	rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = fn(ctx, &all[i]);
	free(all);
	return rc;
}

static int sq_deadletter_get(void *state, const char *key, bool with_report,
			     struct sl_deadletter *out, struct sl_err *err)
{
	struct sq *s = state;
	sqlite3_stmt *p = st(s, S_DL_GET, err);
	if (!p)
		return SL_EMETA;
	memset(out, 0, sizeof(*out));
	bind_text(p, 1, key);
	sqlite3_bind_int(p, 2, with_report);
	int rc = sqlite3_step(p);
	if (rc == SQLITE_ROW) {
		col_copy(p, 0, out->key, sizeof(out->key));
		out->seq = sqlite3_column_int64(p, 1);
		col_copy(p, 2, out->landing_key, sizeof(out->landing_key));
		out->landing_seq = sqlite3_column_int64(p, 3);
		col_copy(p, 4, out->subject, sizeof(out->subject));
		out->schema_version = sqlite3_column_int64(p, 5);
		col_copy(p, 6, out->outcome, sizeof(out->outcome));
		col_copy(p, 7, out->reason, sizeof(out->reason));
		out->records = sqlite3_column_int64(p, 8);
		out->bad_records = sqlite3_column_int64(p, 9);
		out->created_ms = sqlite3_column_int64(p, 10);
		if (with_report) {
			const char *r = (const char *)sqlite3_column_text(p, 11);
			out->report = strdup(r ? r : "{}");
			if (!out->report) {
				sqlite3_reset(p);
				return sl_err_set(err, SL_ENOMEM, "out of memory");
			}
		}
		sqlite3_reset(p);
		return 0;
	}
	sqlite3_reset(p);
	if (rc == SQLITE_DONE)
		return sl_err_set(err, SL_ENOENT, "deadletter/%s: no report", key);
	return db_error(s, err, "read dead letter");
}

static int sq_deadletter_forget(void *state, const char *key, struct sl_err *err)
{
	struct sq *s = state;
	sqlite3_stmt *p = st(s, S_V_FORGET, err);
	if (!p)
		return SL_EMETA;
	bind_text(p, 1, key);
	return run(s, p, err, "forget dead letter");
}

static int sq_replay_put(void *state, const struct sl_replay *r, struct sl_err *err)
{
	struct sq *s = state;
	sqlite3_stmt *p = st(s, S_RP_PUT, err);
	if (!p)
		return SL_EMETA;
	sqlite3_bind_int64(p, 1, r->id);
	bind_text(p, 2, r->landing_key);
	bind_text(p, 3, r->from_key);
	bind_text(p, 4, r->subject);
	sqlite3_bind_int64(p, 5, r->schema_version);
	bind_text(p, 6, r->reason);
	sqlite3_bind_int64(p, 7, r->replayed_ms);
	return run(s, p, err, "record replay");
}

static int sq_replay_get(void *state, int64_t id, struct sl_replay *out, struct sl_err *err)
{
	struct sq *s = state;
	sqlite3_stmt *p = st(s, S_RP_GET, err);
	if (!p)
		return SL_EMETA;
	memset(out, 0, sizeof(*out));
	sqlite3_bind_int64(p, 1, id);
	int rc = sqlite3_step(p);
	if (rc == SQLITE_ROW) {
		out->id = sqlite3_column_int64(p, 0);
		col_copy(p, 1, out->landing_key, sizeof(out->landing_key));
		col_copy(p, 2, out->from_key, sizeof(out->from_key));
		col_copy(p, 3, out->subject, sizeof(out->subject));
		out->schema_version = sqlite3_column_int64(p, 4);
		col_copy(p, 5, out->reason, sizeof(out->reason));
		out->replayed_ms = sqlite3_column_int64(p, 6);
		sqlite3_reset(p);
		return 0;
	}
	sqlite3_reset(p);
	if (rc == SQLITE_DONE)
		return sl_err_set(err, SL_ENOENT, "no replay %lld", (long long)id);
	return db_error(s, err, "read replay");
}

/* ---- key locks ----------------------------------------------------------------------- */

#define KEY_LOCK_STRIPES 4096

static off_t stripe(const char *zone, const char *key)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (const char *p = zone; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	h = (h ^ '/') * 16777619u;
	for (const char *p = key; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return (off_t)(h % KEY_LOCK_STRIPES);
}

/* Open-file-description locks: owned by this handle's descriptor, so two handles in one
 * process exclude each other as two processes do, and a killed process's locks go. */
static int key_lock_op(struct sq *s, const char *zone, const char *key, short type,
		       struct sl_err *err)
{
	struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = stripe(zone, key),
			   .l_len = 1};
	while (fcntl(s->lock_fd, F_OFD_SETLKW, &fl) != 0) {
		if (errno != EINTR)
			return sl_err_errno(err, errno, "%s/%s: key lock", zone, key);
	}
	return 0;
}

static int sq_key_lock(void *state, const char *zone, const char *key, struct sl_err *err)
{
	return key_lock_op(state, zone, key, F_WRLCK, err);
}

static void sq_key_unlock(void *state, const char *zone, const char *key)
{
	key_lock_op(state, zone, key, F_UNLCK, NULL);
}

const struct sl_meta_ops sl_meta_sqlite = {
	.key_lock = sq_key_lock,
	.key_unlock = sq_key_unlock,
	.name = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.schema_version = sq_schema_version,
	.object_commit = sq_object_commit,
	.object_get = sq_object_get,
	.object_list = sq_object_list,
	.object_set_state = sq_object_set_state,
	.object_delete = sq_object_delete,
	.zone_stats = sq_zone_stats,
	.queue_configure = sq_queue_configure,
	.queue_stats = sq_queue_stats,
	.queue_list = sq_queue_list,
	.queue_send = sq_queue_send,
	.queue_receive = sq_queue_receive,
	.queue_delete = sq_queue_delete,
	.queue_change_visibility = sq_queue_change_visibility,
	.queue_peek = sq_queue_peek,
	.registry_default_get = sq_registry_default_get,
	.registry_default_set = sq_registry_default_set,
	.registry_subject_get = sq_registry_subject_get,
	.registry_subject_list = sq_registry_subject_list,
	.registry_subject_set_compat = sq_registry_subject_set_compat,
	.registry_version_get = sq_registry_version_get,
	.registry_version_find = sq_registry_version_find,
	.registry_version_list = sq_registry_version_list,
	.registry_version_add = sq_registry_version_add,
	.registry_meta_list = sq_registry_meta_list,
	.wait_send = sq_wait_send,
	.validate_commit = sq_validate_commit,
	.validate_seen = sq_validate_seen,
	.validate_prune = sq_validate_prune,
	.validate_counters = sq_validate_counters,
	.deadletter_get = sq_deadletter_get,
	.deadletter_forget = sq_deadletter_forget,
	.replay_put = sq_replay_put,
	.replay_get = sq_replay_get,
	.catalog_commit = sl_sq_catalog_commit,
	.catalog_table_get = sl_sq_catalog_table_get,
	.catalog_table_list = sl_sq_catalog_table_list,
	.catalog_table_drop = sl_sq_catalog_table_drop,
	.catalog_version_get = sl_sq_catalog_version_get,
	.catalog_version_list = sl_sq_catalog_version_list,
	.catalog_partition_list = sl_sq_catalog_partition_list,
	.catalog_file_get = sl_sq_catalog_file_get,
	.catalog_file_list = sl_sq_catalog_file_list,
	.catalog_drift_list = sl_sq_catalog_drift_list,
	.catalog_counters = sl_sq_catalog_counters,
	.etl_lease = sl_sq_etl_lease,
	.etl_lease_release = sl_sq_etl_lease_release,
	.etl_lease_get = sl_sq_etl_lease_get,
	.etl_run_begin = sl_sq_etl_run_begin,
	.etl_stage = sl_sq_etl_stage,
	.etl_commit = sl_sq_etl_commit,
	.etl_run_fail = sl_sq_etl_run_fail,
	.etl_staged_list = sl_sq_etl_staged_list,
	.etl_staged_forget = sl_sq_etl_staged_forget,
	.etl_staged_find = sl_sq_etl_staged_find,
	.etl_pending = sl_sq_etl_pending,
	.etl_bookmark_get = sl_sq_etl_bookmark_get,
	.etl_run_get = sl_sq_etl_run_get,
	.etl_run_list = sl_sq_etl_run_list,
	.etl_rewind = sl_sq_etl_rewind,
	.etl_lineage_get = sl_sq_etl_lineage_get,
	.etl_lineage_find = sl_sq_etl_lineage_find,
};
