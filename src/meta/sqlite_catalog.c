/*
 * sqlite_catalog.c - the catalog (migration 4) in the SQLite metadata backend: the
 * catalog_* callbacks of meta.h.
 *
 * catalog_commit is one BEGIN IMMEDIATE transaction that does, in order: the table
 * changes (SL_ESTALE when a table moved on since the caller read it), their version
 * rows, the file upserts (only rows with a newer seq are written), the removals (rows
 * with seq <= the removed object's), a recount of every partition those touched, the
 * drift rows, the counters, and last the deletion of the acknowledged queue messages.
 * Any error rolls all of it back (promise 1 of catalog.h).
 *
 * Nothing is counted by increments: a touched partition's objects, records and bytes are
 * recomputed from its active files (promise 4), and a file row is never replaced by an
 * older or equal seq (promise 3), so a commit applied twice leaves the rows as once. The
 * partitions a commit touches are gathered in a per-connection temporary table, so that a
 * batch of thousands of files costs one recount per partition, in bounded memory.
 *
 * A partition left without active files is deleted, or kept with zero counts and marked
 * deprecated when its table's deletion policy is "deprecate"; either change adds a drift
 * entry (partition_deleted, partition_deprecated) naming a key that emptied it. A
 * deprecated partition that gets active files again is active again.
 *
 * The pieces of a commit (sl_sq_cat_start, _apply_table, _put_file, _retire_file,
 * _finish, _count; sqlite_int.h) are also used by sqlite_etl.c, whose job commits and
 * rewinds change the catalog inside their own transactions by exactly these rules.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "meta/sqlite_int.h"

enum cat_stmt {
	C_DB_EXISTS,
	C_TABLE_VERSION,
	C_TABLE_INSERT,
	C_TABLE_UPDATE,
	C_VERSION_INSERT,
	C_FILES_CLEAR,
	C_PARTS_CLEAR,
	C_VERSIONS_CLEAR,
	C_TABLE_DELETE,
	C_FILE_SEQ,
	C_FILE_PUT,
	C_FILE_REMOVE,
	C_FILE_RETIRE,
	C_TOUCH,
	C_TOUCH_CLEAR,
	C_TOUCHED,
	C_RECOUNT,
	C_PART_STATE,
	C_PART_PUT,
	C_PART_DEPRECATE,
	C_PART_DELETE,
	C_DRIFT_INSERT,
	C_COUNTERS_ADD,
	C_COUNTERS_GET,
	C_TABLE_GET,
	C_TABLE_LIST,
	C_VERSION_GET,
	C_VERSION_LATEST,
	C_VERSION_LIST,
	C_PART_LIST,
	C_FILE_GET,
	C_FILE_LIST,
	C_FILE_LIST_PART,
	C_DRIFT_LIST_ALL,
	C_DRIFT_LIST_DB,
	C_DRIFT_LIST_TABLE,
	C_COUNT
};

/* Tables with the sums over their active partitions (struct sl_cat_table order). */
#define TABLE_COLS                                                                           \
	"t.db,t.name,t.zone,t.prefix,t.format,t.subject,t.subject_version,t.version,t.schema," \
	"t.partition_keys,t.properties,t.schema_policy,t.deletion_policy,t.created_ms,"        \
	"t.updated_ms,"                                                                        \
	"(SELECT count(*) FROM cat_partitions p WHERE p.db=t.db AND p.tbl=t.name AND "         \
	"p.state='active'),"                                                                   \
	"(SELECT coalesce(sum(objects),0) FROM cat_partitions p WHERE p.db=t.db AND "          \
	"p.tbl=t.name AND p.state='active'),"                                                  \
	"(SELECT coalesce(sum(records),0) FROM cat_partitions p WHERE p.db=t.db AND "          \
	"p.tbl=t.name AND p.state='active'),"                                                  \
	"(SELECT coalesce(sum(bytes),0) FROM cat_partitions p WHERE p.db=t.db AND "            \
	"p.tbl=t.name AND p.state='active') FROM cat_tables t "
#define VERSION_COLS                                                                         \
	"SELECT db,tbl,version,schema,partition_keys,subject_version,change,created_ms "      \
	"FROM cat_versions "
#define PART_COLS                                                                            \
	"SELECT db,tbl,part,objects,records,bytes,schema_version,state,created_ms,updated_ms " \
	"FROM cat_partitions "
/* ?4: whether to read the statistics */
#define FILE_COLS                                                                            \
	"SELECT zone,key,seq,db,tbl,part,format,records,bytes,schema_version,state,reason,"    \
	"CASE WHEN ?4 THEN stats END,crawled_ms FROM cat_files "
#define DRIFT_COLS                                                                           \
	"SELECT id,db,tbl,version,kind,path,detail,example,created_ms FROM cat_drift "

static const char *const cat_sql[C_COUNT] = {
	[C_DB_EXISTS] = "SELECT 1 FROM cat_databases WHERE name=?1",
	[C_TABLE_VERSION] = "SELECT version FROM cat_tables WHERE db=?1 AND name=?2",
	[C_TABLE_INSERT] = "INSERT INTO cat_tables(db,name,zone,prefix,format,subject,"
			   "subject_version,version,schema,partition_keys,properties,"
			   "schema_policy,deletion_policy,created_ms,updated_ms) "
			   "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?14)",
	[C_TABLE_UPDATE] = "UPDATE cat_tables SET zone=?3,prefix=?4,format=?5,subject=?6,"
			   "subject_version=?7,version=?8,schema=?9,partition_keys=?10,"
			   "properties=?11,schema_policy=?12,deletion_policy=?13,updated_ms=?14 "
			   "WHERE db=?1 AND name=?2",
	[C_VERSION_INSERT] = "INSERT INTO cat_versions(db,tbl,version,schema,partition_keys,"
			     "subject_version,change,created_ms) VALUES(?1,?2,?3,?4,?5,?6,?7,?8)",
	[C_FILES_CLEAR] = "DELETE FROM cat_files WHERE db=?1 AND tbl=?2",
	[C_PARTS_CLEAR] = "DELETE FROM cat_partitions WHERE db=?1 AND tbl=?2",
	[C_VERSIONS_CLEAR] = "DELETE FROM cat_versions WHERE db=?1 AND tbl=?2",
	[C_TABLE_DELETE] = "DELETE FROM cat_tables WHERE db=?1 AND name=?2 RETURNING version",
	[C_FILE_SEQ] = "SELECT seq,db,tbl,part FROM cat_files WHERE zone=?1 AND key=?2",
	[C_FILE_PUT] = "INSERT OR REPLACE INTO cat_files(zone,key,seq,db,tbl,part,format,records,"
		       "bytes,schema_version,state,reason,stats,crawled_ms) "
		       "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14)",
	[C_FILE_REMOVE] = "DELETE FROM cat_files WHERE zone=?1 AND key=?2 AND seq<=?3 "
			  "RETURNING db,tbl,part",
	[C_FILE_RETIRE] = "UPDATE cat_files SET state='retired' WHERE zone=?1 AND key=?2 AND "
			  "seq=?3 AND state<>'retired' RETURNING db,tbl,part",
	[C_TOUCH] = "INSERT INTO temp.cat_touched(db,tbl,part,example) VALUES(?1,?2,?3,?4) "
		    "ON CONFLICT(db,tbl,part) DO NOTHING",
	[C_TOUCH_CLEAR] = "DELETE FROM temp.cat_touched",
	[C_TOUCHED] = "SELECT t.db,t.tbl,t.part,t.example,coalesce(b.deletion_policy,'') "
		      "FROM temp.cat_touched t LEFT JOIN cat_tables b "
		      "ON b.db=t.db AND b.name=t.tbl ORDER BY t.db,t.tbl,t.part",
	[C_RECOUNT] = "SELECT count(*),coalesce(sum(records),0),coalesce(sum(bytes),0),"
		      "coalesce(max(schema_version),0) FROM cat_files "
		      "WHERE db=?1 AND tbl=?2 AND part=?3 AND state='active'",
	[C_PART_STATE] = "SELECT state FROM cat_partitions WHERE db=?1 AND tbl=?2 AND part=?3",
	/* the WHERE keeps a recount that changes nothing from touching updated_ms */
	[C_PART_PUT] = "INSERT INTO cat_partitions(db,tbl,part,objects,records,bytes,"
		       "schema_version,state,created_ms,updated_ms) "
		       "VALUES(?1,?2,?3,?4,?5,?6,?7,'active',?8,?8) "
		       "ON CONFLICT(db,tbl,part) DO UPDATE SET objects=?4,records=?5,bytes=?6,"
		       "schema_version=?7,state='active',updated_ms=?8 "
		       "WHERE objects<>?4 OR records<>?5 OR bytes<>?6 OR schema_version<>?7 OR "
		       "state<>'active'",
	[C_PART_DEPRECATE] = "UPDATE cat_partitions SET objects=0,records=0,bytes=0,"
			     "state='deprecated',updated_ms=?4 WHERE db=?1 AND tbl=?2 AND part=?3",
	[C_PART_DELETE] = "DELETE FROM cat_partitions WHERE db=?1 AND tbl=?2 AND part=?3",
	[C_DRIFT_INSERT] = "INSERT INTO cat_drift(db,tbl,version,kind,path,detail,example,"
			   "created_ms) VALUES(?1,?2,?3,?4,?5,?6,?7,?8)",
	[C_COUNTERS_ADD] = "UPDATE cat_counters SET commits=commits+?1,messages=messages+?2,"
			   "objects=objects+?3,records=records+?4,bytes=bytes+?5,"
			   "drift=drift+?6,last_ms=?7 WHERE id=1",
	[C_COUNTERS_GET] = "SELECT commits,messages,objects,records,bytes,drift,last_ms "
			   "FROM cat_counters WHERE id=1",
	[C_TABLE_GET] = "SELECT " TABLE_COLS "WHERE t.db=?1 AND t.name=?2",
	[C_TABLE_LIST] = "SELECT " TABLE_COLS "WHERE (?1 IS NULL OR t.db=?1) AND "
			 "(t.db>?2 OR (t.db=?2 AND t.name>?3)) ORDER BY t.db,t.name LIMIT 64",
	[C_VERSION_GET] = VERSION_COLS "WHERE db=?1 AND tbl=?2 AND version=?3",
	[C_VERSION_LATEST] = VERSION_COLS "WHERE db=?1 AND tbl=?2 ORDER BY version DESC LIMIT 1",
	[C_VERSION_LIST] = VERSION_COLS "WHERE db=?1 AND tbl=?2 AND version>?3 "
					"ORDER BY version LIMIT 64",
	/* ?4: the first page, which starts with the table's own folder "" */
	[C_PART_LIST] = PART_COLS "WHERE db=?1 AND tbl=?2 AND (?4 OR part>?3) "
				  "ORDER BY part LIMIT 256",
	[C_FILE_GET] = FILE_COLS "WHERE zone=?1 AND key=?2",
	[C_FILE_LIST] = FILE_COLS "WHERE db=?1 AND tbl=?2 AND key>?3 ORDER BY key LIMIT 128",
	[C_FILE_LIST_PART] = FILE_COLS "WHERE db=?1 AND tbl=?2 AND part=?5 AND key>?3 "
				       "ORDER BY key LIMIT 128",
	[C_DRIFT_LIST_ALL] = DRIFT_COLS "WHERE id>?1 ORDER BY id LIMIT ?2",
	[C_DRIFT_LIST_DB] = DRIFT_COLS "WHERE db=?3 AND id>?1 ORDER BY id LIMIT ?2",
	[C_DRIFT_LIST_TABLE] = DRIFT_COLS "WHERE db=?3 AND tbl=?4 AND id>?1 ORDER BY id LIMIT ?2",
};

struct sq_cat {
	sqlite3_stmt *stmt[C_COUNT];
	bool touched_ready; /* temp.cat_touched exists on this connection */
};

void sl_sq_cat_stmts_free(struct sq *s)
{
	if (!s || !s->cat)
		return;
	for (int i = 0; i < C_COUNT; i++)
		sqlite3_finalize(s->cat->stmt[i]);
	free(s->cat);
	s->cat = NULL;
}

/* The temporary table lives as long as the connection; it is made outside any
 * transaction, so that a rolled-back commit cannot take it away again. */
static int cat_ready(struct sq *s, bool touched, struct sl_err *err)
{
	if (!s->cat && !(s->cat = calloc(1, sizeof(*s->cat))))
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	if (touched && !s->cat->touched_ready) {
		char *msg = NULL;
		if (sqlite3_exec(s->db,
				 "CREATE TEMP TABLE IF NOT EXISTS cat_touched(db TEXT NOT NULL, "
				 "tbl TEXT NOT NULL, part TEXT NOT NULL, example TEXT NOT NULL, "
				 "PRIMARY KEY(db, tbl, part)) WITHOUT ROWID",
				 NULL, NULL, &msg) != SQLITE_OK) {
			int rc = db_error(s, err, msg ? msg : "create temporary table");
			sqlite3_free(msg);
			return rc;
		}
		s->cat->touched_ready = true;
	}
	return 0;
}

/* Returns the cached, reset catalog statement `id`, or NULL with err set. */
static sqlite3_stmt *cst(struct sq *s, enum cat_stmt id, struct sl_err *err)
{
	if (!s->cat && cat_ready(s, false, err) != 0)
		return NULL;
	return cached_stmt(s, &s->cat->stmt[id], cat_sql[id], err);
}

/* Binds a fixed-size field of a row struct: never reads past the field, even if the
 * caller left it unterminated. */
#define BINDF(p, i, field) \
	sqlite3_bind_text((p), (i), (field), (int)strnlen((field), sizeof(field)), SQLITE_STATIC)


static char *col_dup(sqlite3_stmt *p, int i, bool *oom)
{
	if (sqlite3_column_type(p, i) == SQLITE_NULL)
		return NULL;
	const char *t = col_text(p, i);
	size_t n = (size_t)sqlite3_column_bytes(p, i);
	char *d = malloc(n + 1);
	if (!d) {
		*oom = true;
		return NULL;
	}
	memcpy(d, t, n);
	d[n] = '\0';
	return d;
}


/* ---- reading rows -------------------------------------------------------------------- */

static int read_table(sqlite3_stmt *p, struct sl_cat_table *t, struct sl_err *err)
{
	bool oom = false;
	memset(t, 0, sizeof(*t));
	col_copy(p, 0, t->db, sizeof(t->db));
	col_copy(p, 1, t->name, sizeof(t->name));
	col_copy(p, 2, t->zone, sizeof(t->zone));
	col_copy(p, 3, t->prefix, sizeof(t->prefix));
	col_copy(p, 4, t->format, sizeof(t->format));
	col_copy(p, 5, t->subject, sizeof(t->subject));
	t->subject_version = sqlite3_column_int64(p, 6);
	t->version = sqlite3_column_int64(p, 7);
	t->schema = col_dup(p, 8, &oom);
	col_copy(p, 9, t->partition_keys, sizeof(t->partition_keys));
	t->properties = col_dup(p, 10, &oom);
	col_copy(p, 11, t->schema_policy, sizeof(t->schema_policy));
	col_copy(p, 12, t->deletion_policy, sizeof(t->deletion_policy));
	t->created_ms = sqlite3_column_int64(p, 13);
	t->updated_ms = sqlite3_column_int64(p, 14);
	t->n_partitions = sqlite3_column_int64(p, 15);
	t->n_files = sqlite3_column_int64(p, 16);
	t->records = sqlite3_column_int64(p, 17);
	t->bytes = sqlite3_column_int64(p, 18);
	if (oom) {
		sl_cat_table_release(t);
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	}
	return 0;
}

static int read_version(sqlite3_stmt *p, struct sl_cat_version *v, struct sl_err *err)
{
	bool oom = false;
	memset(v, 0, sizeof(*v));
	col_copy(p, 0, v->db, sizeof(v->db));
	col_copy(p, 1, v->name, sizeof(v->name));
	v->version = sqlite3_column_int64(p, 2);
	v->schema = col_dup(p, 3, &oom);
	col_copy(p, 4, v->partition_keys, sizeof(v->partition_keys));
	v->subject_version = sqlite3_column_int64(p, 5);
	v->change = col_dup(p, 6, &oom);
	v->created_ms = sqlite3_column_int64(p, 7);
	if (oom) {
		sl_cat_version_release(v);
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	}
	return 0;
}

static void read_part(sqlite3_stmt *p, struct sl_cat_partition *o)
{
	memset(o, 0, sizeof(*o));
	col_copy(p, 0, o->db, sizeof(o->db));
	col_copy(p, 1, o->table, sizeof(o->table));
	col_copy(p, 2, o->part, sizeof(o->part));
	o->objects = sqlite3_column_int64(p, 3);
	o->records = sqlite3_column_int64(p, 4);
	o->bytes = sqlite3_column_int64(p, 5);
	o->schema_version = sqlite3_column_int64(p, 6);
	col_copy(p, 7, o->state, sizeof(o->state));
	o->created_ms = sqlite3_column_int64(p, 8);
	o->updated_ms = sqlite3_column_int64(p, 9);
}

int sl_sq_cat_file_read(sqlite3_stmt *p, int c, struct sl_cat_file *f, struct sl_err *err)
{
	bool oom = false;
	memset(f, 0, sizeof(*f));
	col_copy(p, c + 0, f->zone, sizeof(f->zone));
	col_copy(p, c + 1, f->key, sizeof(f->key));
	f->seq = sqlite3_column_int64(p, c + 2);
	col_copy(p, c + 3, f->db, sizeof(f->db));
	col_copy(p, c + 4, f->table, sizeof(f->table));
	col_copy(p, c + 5, f->part, sizeof(f->part));
	col_copy(p, c + 6, f->format, sizeof(f->format));
	f->records = sqlite3_column_int64(p, c + 7);
	f->bytes = sqlite3_column_int64(p, c + 8);
	f->schema_version = sqlite3_column_int64(p, c + 9);
	col_copy(p, c + 10, f->state, sizeof(f->state));
	col_copy(p, c + 11, f->reason, sizeof(f->reason));
	f->stats = col_dup(p, c + 12, &oom);
	f->crawled_ms = sqlite3_column_int64(p, c + 13);
	if (oom)
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	return 0;
}

static int read_file(sqlite3_stmt *p, struct sl_cat_file *f, struct sl_err *err)
{
	return sl_sq_cat_file_read(p, 0, f, err);
}

static void read_drift(sqlite3_stmt *p, struct sl_cat_drift *d)
{
	memset(d, 0, sizeof(*d));
	d->id = sqlite3_column_int64(p, 0);
	col_copy(p, 1, d->db, sizeof(d->db));
	col_copy(p, 2, d->table, sizeof(d->table));
	d->version = sqlite3_column_int64(p, 3);
	col_copy(p, 4, d->kind, sizeof(d->kind));
	col_copy(p, 5, d->path, sizeof(d->path));
	col_copy(p, 6, d->detail, sizeof(d->detail));
	col_copy(p, 7, d->example, sizeof(d->example));
	d->created_ms = sqlite3_column_int64(p, 8);
}

/* ---- checks of what a commit is given ------------------------------------------------ */

static bool name_ok(const char *name, size_t cap)
{
	size_t n = strnlen(name, cap);
	if (n == 0 || n == cap)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

static bool one_of(const char *v, const char *a, const char *b, const char *c)
{
	return strcmp(v, a) == 0 || strcmp(v, b) == 0 || (c && strcmp(v, c) == 0);
}

int sl_sq_cat_check_table(const struct sl_cat_table_change *tc, size_t i, struct sl_err *err)
{
	const struct sl_cat_table *t = tc->table;
	if (!t)
		return sl_err_set(err, SL_EINVAL, "catalog commit: table change %zu has no table", i);
	if (!TERMINATED(t->db) || !TERMINATED(t->zone) || !TERMINATED(t->prefix) ||
	    !TERMINATED(t->format) || !TERMINATED(t->subject) || !TERMINATED(t->partition_keys) ||
	    !TERMINATED(t->schema_policy) || !TERMINATED(t->deletion_policy) ||
	    !name_ok(t->name, sizeof(t->name)))
		return sl_err_set(err, SL_EINVAL,
				  "catalog commit: table change %zu: a name or field is empty, "
				  "unterminated or not [a-z0-9_]",
				  i);
	if (!t->schema)
		return sl_err_set(err, SL_EINVAL, "catalog commit: table %s.%s has no schema",
				  t->db, t->name);
	if (!one_of(t->schema_policy, SL_CAT_SCHEMA_UPDATE, SL_CAT_SCHEMA_ADD_COLUMNS,
		    SL_CAT_SCHEMA_LOG) ||
	    !one_of(t->deletion_policy, SL_CAT_DELETE_DELETE, SL_CAT_DELETE_DEPRECATE,
		    SL_CAT_DELETE_LOG))
		return sl_err_set(err, SL_EINVAL,
				  "catalog commit: table %s.%s: unknown policy '%s' or '%s'", t->db,
				  t->name, t->schema_policy, t->deletion_policy);
	if (tc->expected_version < 0 || t->version < 1 ||
	    (tc->new_version ? t->version <= tc->expected_version
			     : t->version != tc->expected_version))
		return sl_err_set(err, SL_EINVAL,
				  "catalog commit: table %s.%s: version %" PRId64
				  " cannot follow version %" PRId64 "%s",
				  t->db, t->name, t->version, tc->expected_version,
				  tc->new_version ? "" : " without a new version row");
	return 0;
}

int sl_sq_cat_check_file(const struct sl_cat_file *f, size_t i, struct sl_err *err)
{
	if (!TERMINATED(f->zone) || !TERMINATED(f->key) || !TERMINATED(f->db) ||
	    !TERMINATED(f->table) || !TERMINATED(f->part) || !TERMINATED(f->format) ||
	    !TERMINATED(f->state) || !TERMINATED(f->reason) || !f->zone[0] || !f->key[0])
		return sl_err_set(err, SL_EINVAL,
				  "catalog commit: file %zu: a field is empty or unterminated", i);
	if (f->seq < 1)
		return sl_err_set(err, SL_EINVAL, "catalog commit: file %s/%s: seq %" PRId64,
				  f->zone, f->key, f->seq);
	if (!one_of(f->state, SL_CAT_FILE_ACTIVE, SL_CAT_FILE_REJECTED, SL_CAT_FILE_RETIRED))
		return sl_err_set(err, SL_EINVAL, "catalog commit: file %s/%s: unknown state '%s'",
				  f->zone, f->key, f->state);
	return 0;
}

int sl_sq_cat_check_drift(const struct sl_cat_drift *d, size_t i, struct sl_err *err)
{
	if (!TERMINATED(d->db) || !TERMINATED(d->table) || !TERMINATED(d->kind) ||
	    !TERMINATED(d->path) || !TERMINATED(d->detail) || !TERMINATED(d->example) ||
	    !d->kind[0])
		return sl_err_set(err, SL_EINVAL,
				  "catalog commit: drift %zu: no kind or a field is unterminated", i);
	return 0;
}

static int check_commit(const struct sl_cat_commit *c, struct sl_err *err)
{
	int rc;
	if ((c->n_tables && !c->tables) || (c->n_files && !c->files) ||
	    (c->n_removed && !c->removed) || (c->n_drift && !c->drift) ||
	    (c->n_receipts && (!c->receipts || !c->queue)))
		return sl_err_set(err, SL_EINVAL, "catalog commit: a count without its array");
	for (size_t i = 0; i < c->n_tables; i++)
		if ((rc = sl_sq_cat_check_table(&c->tables[i], i, err)) != 0)
			return rc;
	for (size_t i = 0; i < c->n_files; i++)
		if ((rc = sl_sq_cat_check_file(&c->files[i], i, err)) != 0)
			return rc;
	for (size_t i = 0; i < c->n_removed; i++)
		if (!TERMINATED(c->removed[i].zone) || !TERMINATED(c->removed[i].key))
			return sl_err_set(err, SL_EINVAL,
					  "catalog commit: removal %zu: unterminated key", i);
	for (size_t i = 0; i < c->n_drift; i++)
		if ((rc = sl_sq_cat_check_drift(&c->drift[i], i, err)) != 0)
			return rc;
	for (size_t i = 0; i < c->n_receipts; i++)
		if (!c->receipts[i])
			return sl_err_set(err, SL_EINVAL, "catalog commit: receipt %zu is NULL", i);
	return 0;
}

/* ---- the commit ---------------------------------------------------------------------- */

/* The stored version of db.name (0: no such table). */
static int table_version(struct sq *s, const char *db, const char *name, int64_t *version,
			 struct sl_err *err)
{
	sqlite3_stmt *p = cst(s, C_TABLE_VERSION, err);
	bool found = false;
	int rc;
	if (!p)
		return SL_EMETA;
	bind_text(p, 1, db);
	bind_text(p, 2, name);
	if ((rc = step_one(s, p, &found, err, "read table")) != 0)
		return rc;
	*version = found ? sqlite3_column_int64(p, 0) : 0;
	sqlite3_reset(p);
	return 0;
}

static int clear_table(struct sq *s, const char *db, const char *name, bool versions,
		       struct sl_err *err)
{
	enum cat_stmt ids[3] = {C_FILES_CLEAR, C_PARTS_CLEAR, C_VERSIONS_CLEAR};
	for (int i = 0; i < (versions ? 3 : 2); i++) {
		sqlite3_stmt *p = cst(s, ids[i], err);
		int rc;
		if (!p)
			return SL_EMETA;
		bind_text(p, 1, db);
		bind_text(p, 2, name);
		if ((rc = run(s, p, err, "clear table rows")) != 0)
			return rc;
	}
	return 0;
}

int sl_sq_cat_apply_table(struct sq *s, const struct sl_cat_table_change *tc, int64_t now_ms,
			  struct sl_err *err)
{
	const struct sl_cat_table *t = tc->table;
	sqlite3_stmt *p = cst(s, C_DB_EXISTS, err);
	int64_t stored = 0;
	bool found = false;
	int rc;
	if (!p)
		return SL_EMETA;
	BINDF(p, 1, t->db);
	if ((rc = step_one(s, p, &found, err, "read database")) != 0)
		return rc;
	sqlite3_reset(p);
	if (!found)
		return sl_err_set(err, SL_EINVAL, "catalog commit: no database '%s'", t->db);
	if ((rc = table_version(s, t->db, t->name, &stored, err)) != 0)
		return rc;
	if (stored != tc->expected_version) {
		/* a concurrent crawler (or a drop) got there first: the caller reads again */
		if (stored == 0)
			return sl_err_set(err, SL_ESTALE,
					  "catalog: table %s.%s no longer exists (expected version "
					  "%" PRId64 ")",
					  t->db, t->name, tc->expected_version);
		if (tc->expected_version == 0)
			return sl_err_set(err, SL_ESTALE, "catalog: table %s.%s exists already",
					  t->db, t->name);
		return sl_err_set(err, SL_ESTALE,
				  "catalog: table %s.%s is at version %" PRId64
				  ", the change was made from version %" PRId64,
				  t->db, t->name, stored, tc->expected_version);
	}
	if (!(p = cst(s, stored ? C_TABLE_UPDATE : C_TABLE_INSERT, err)))
		return SL_EMETA;
	BINDF(p, 1, t->db);
	BINDF(p, 2, t->name);
	BINDF(p, 3, t->zone);
	BINDF(p, 4, t->prefix);
	BINDF(p, 5, t->format);
	BINDF(p, 6, t->subject);
	sqlite3_bind_int64(p, 7, t->subject_version);
	sqlite3_bind_int64(p, 8, t->version);
	bind_text(p, 9, t->schema);
	BINDF(p, 10, t->partition_keys);
	bind_opt(p, 11, t->properties);
	BINDF(p, 12, t->schema_policy);
	BINDF(p, 13, t->deletion_policy);
	sqlite3_bind_int64(p, 14, now_ms);
	if ((rc = run(s, p, err, "write table")) != 0)
		return rc;
	if (tc->new_version) {
		if (!(p = cst(s, C_VERSION_INSERT, err)))
			return SL_EMETA;
		BINDF(p, 1, t->db);
		BINDF(p, 2, t->name);
		sqlite3_bind_int64(p, 3, t->version);
		bind_text(p, 4, t->schema);
		BINDF(p, 5, t->partition_keys);
		sqlite3_bind_int64(p, 6, t->subject_version);
		bind_text(p, 7, tc->change ? tc->change : "{}");
		sqlite3_bind_int64(p, 8, now_ms);
		if ((rc = run(s, p, err, "add table version")) != 0)
			return rc;
	}
	if (tc->replace_files && (rc = clear_table(s, t->db, t->name, false, err)) != 0)
		return rc;
	return 0;
}

/* Remembers that db.tbl/part must be recounted; example: a key that changed it. */
static int touch(struct sq *s, const char *db, const char *tbl, const char *part,
		 const char *example, struct sl_err *err)
{
	sqlite3_stmt *p = cst(s, C_TOUCH, err);
	if (!p)
		return SL_EMETA;
	bind_text(p, 1, db);
	bind_text(p, 2, tbl);
	bind_text(p, 3, part);
	bind_text(p, 4, example);
	return run(s, p, err, "note partition");
}

int sl_sq_cat_put_file(struct sq *s, const struct sl_cat_file *f, int64_t now_ms,
		       struct sl_err *err)
{
	sqlite3_stmt *p = cst(s, C_FILE_SEQ, err);
	bool found = false;
	int rc;
	if (!p)
		return SL_EMETA;
	BINDF(p, 1, f->zone);
	BINDF(p, 2, f->key);
	if ((rc = step_one(s, p, &found, err, "read file")) != 0)
		return rc;
	if (found) {
		if (sqlite3_column_int64(p, 0) >= f->seq) {
			sqlite3_reset(p); /* promise 3: only a newer version replaces a row */
			return 0;
		}
		/* the row may move (another table or partition): its old place is recounted */
		char db[SL_CAT_DB_MAX], tbl[SL_CAT_NAME_MAX], part[SL_CAT_PART_MAX];
		col_copy(p, 1, db, sizeof(db));
		col_copy(p, 2, tbl, sizeof(tbl));
		col_copy(p, 3, part, sizeof(part));
		sqlite3_reset(p);
		if ((rc = touch(s, db, tbl, part, f->key, err)) != 0)
			return rc;
	} else {
		sqlite3_reset(p);
	}
	if (strcmp(f->state, SL_CAT_FILE_ACTIVE) == 0) {
		/* an active file counts in its table, which must exist (it may have been
		 * dropped since the caller read it) */
		int64_t v = 0;
		if ((rc = table_version(s, f->db, f->table, &v, err)) != 0)
			return rc;
		if (v == 0)
			return sl_err_set(err, SL_ESTALE,
					  "catalog: file %s/%s: table %s.%s does not exist", f->zone,
					  f->key, f->db, f->table);
	}
	if (!(p = cst(s, C_FILE_PUT, err)))
		return SL_EMETA;
	BINDF(p, 1, f->zone);
	BINDF(p, 2, f->key);
	sqlite3_bind_int64(p, 3, f->seq);
	BINDF(p, 4, f->db);
	BINDF(p, 5, f->table);
	BINDF(p, 6, f->part);
	BINDF(p, 7, f->format);
	sqlite3_bind_int64(p, 8, f->records);
	sqlite3_bind_int64(p, 9, f->bytes);
	sqlite3_bind_int64(p, 10, f->schema_version);
	BINDF(p, 11, f->state);
	BINDF(p, 12, f->reason);
	bind_opt(p, 13, f->stats);
	sqlite3_bind_int64(p, 14, f->crawled_ms ? f->crawled_ms : now_ms);
	if ((rc = run(s, p, err, "write file")) != 0)
		return rc;
	return touch(s, f->db, f->table, f->part, f->key, err);
}

static int remove_file(struct sq *s, const struct sl_object *o, struct sl_err *err)
{
	sqlite3_stmt *p = cst(s, C_FILE_REMOVE, err);
	bool found = false;
	int rc;
	if (!p)
		return SL_EMETA;
	BINDF(p, 1, o->zone);
	BINDF(p, 2, o->key);
	sqlite3_bind_int64(p, 3, o->seq);
	if ((rc = step_one(s, p, &found, err, "remove file")) != 0)
		return rc;
	if (!found) {
		sqlite3_reset(p); /* gone already, or a newer version is catalogued */
		return 0;
	}
	char db[SL_CAT_DB_MAX], tbl[SL_CAT_NAME_MAX], part[SL_CAT_PART_MAX];
	col_copy(p, 0, db, sizeof(db));
	col_copy(p, 1, tbl, sizeof(tbl));
	col_copy(p, 2, part, sizeof(part));
	rc = sqlite3_step(p); /* finish the RETURNING statement */
	sqlite3_reset(p);
	if (rc != SQLITE_DONE)
		return db_error(s, err, "remove file");
	return touch(s, db, tbl, part, o->key, err);
}

static int add_drift(struct sq *s, const struct sl_cat_drift *d, int64_t now_ms,
		     struct sl_err *err)
{
	sqlite3_stmt *p = cst(s, C_DRIFT_INSERT, err);
	if (!p)
		return SL_EMETA;
	BINDF(p, 1, d->db);
	BINDF(p, 2, d->table);
	sqlite3_bind_int64(p, 3, d->version);
	BINDF(p, 4, d->kind);
	BINDF(p, 5, d->path);
	BINDF(p, 6, d->detail);
	BINDF(p, 7, d->example);
	sqlite3_bind_int64(p, 8, now_ms);
	return run(s, p, err, "add drift entry");
}

/* Promise 4 for one partition: its counts from its active files; emptied, it goes or is
 * deprecated by its table's deletion policy. *n_drift counts the entries added. */
static int recount(struct sq *s, const char *db, const char *tbl, const char *part,
		   const char *example, const char *deletion, int64_t now_ms, int64_t *n_drift,
		   struct sl_err *err)
{
	sqlite3_stmt *p = cst(s, C_RECOUNT, err);
	int64_t objects, records, bytes, schema_version;
	bool found = false;
	int rc;
	if (!p)
		return SL_EMETA;
	bind_text(p, 1, db);
	bind_text(p, 2, tbl);
	bind_text(p, 3, part);
	if ((rc = step_one(s, p, &found, err, "count partition")) != 0)
		return rc;
	objects = sqlite3_column_int64(p, 0);
	records = sqlite3_column_int64(p, 1);
	bytes = sqlite3_column_int64(p, 2);
	schema_version = sqlite3_column_int64(p, 3);
	sqlite3_reset(p);
	if (objects > 0) {
		if (!(p = cst(s, C_PART_PUT, err)))
			return SL_EMETA;
		bind_text(p, 1, db);
		bind_text(p, 2, tbl);
		bind_text(p, 3, part);
		sqlite3_bind_int64(p, 4, objects);
		sqlite3_bind_int64(p, 5, records);
		sqlite3_bind_int64(p, 6, bytes);
		sqlite3_bind_int64(p, 7, schema_version);
		sqlite3_bind_int64(p, 8, now_ms);
		return run(s, p, err, "write partition");
	}
	/* no active file left: only an active partition row changes */
	if (!(p = cst(s, C_PART_STATE, err)))
		return SL_EMETA;
	bind_text(p, 1, db);
	bind_text(p, 2, tbl);
	bind_text(p, 3, part);
	if ((rc = step_one(s, p, &found, err, "read partition")) != 0)
		return rc;
	bool active = found && strcmp(col_text(p, 0), SL_CAT_PART_ACTIVE) == 0;
	sqlite3_reset(p);
	if (!active)
		return 0;
	bool deprecate = strcmp(deletion, SL_CAT_DELETE_DEPRECATE) == 0;
	if (!(p = cst(s, deprecate ? C_PART_DEPRECATE : C_PART_DELETE, err)))
		return SL_EMETA;
	bind_text(p, 1, db);
	bind_text(p, 2, tbl);
	bind_text(p, 3, part);
	if (deprecate)
		sqlite3_bind_int64(p, 4, now_ms);
	if ((rc = run(s, p, err, deprecate ? "deprecate partition" : "delete partition")) != 0)
		return rc;
	struct sl_cat_drift d;
	memset(&d, 0, sizeof(d));
	snprintf(d.db, sizeof(d.db), "%s", db);
	snprintf(d.table, sizeof(d.table), "%s", tbl);
	snprintf(d.kind, sizeof(d.kind), "%s",
		 deprecate ? "partition_deprecated" : "partition_deleted");
	snprintf(d.path, sizeof(d.path), "%s", part);
	snprintf(d.detail, sizeof(d.detail), "no active files left (deletion policy: %s)",
		 deletion[0] ? deletion : "none, the table is gone");
	snprintf(d.example, sizeof(d.example), "%s", example);
	if ((rc = add_drift(s, &d, now_ms, err)) != 0)
		return rc;
	(*n_drift)++;
	return 0;
}

/* Recounts every partition the commit touched. The list is read while the recounts
 * write: it is a temporary table that nothing else changes (the recounts write
 * cat_partitions and cat_drift only), so reading it with the statement open is safe. */
static int recount_touched(struct sq *s, int64_t now_ms, int64_t *n_drift, struct sl_err *err)
{
	sqlite3_stmt *p = cst(s, C_TOUCHED, err);
	int rc;
	if (!p)
		return SL_EMETA;
	while ((rc = sqlite3_step(p)) == SQLITE_ROW) {
		/* the recount's own statements are others; these columns stay valid until
		 * the next step */
		rc = recount(s, col_text(p, 0), col_text(p, 1), col_text(p, 2), col_text(p, 3),
			     col_text(p, 4), now_ms, n_drift, err);
		if (rc) {
			sqlite3_reset(p);
			return rc;
		}
	}
	rc = rc == SQLITE_DONE ? 0 : db_error(s, err, "read touched partitions");
	sqlite3_reset(p);
	return rc;
}

/* ---- the pieces of a commit (shared with sqlite_etl.c's etl_commit and etl_rewind) --- */

int sl_sq_cat_ready(struct sq *s, struct sl_err *err)
{
	return cat_ready(s, true, err);
}

int sl_sq_cat_start(struct sq *s, struct sl_err *err)
{
	sqlite3_stmt *p = cst(s, C_TOUCH_CLEAR, err);
	return p ? run(s, p, err, "clear touched partitions") : SL_EMETA;
}

int sl_sq_cat_retire_file(struct sq *s, const char *zone, const char *key, int64_t seq,
			  bool *retired, struct sl_err *err)
{
	sqlite3_stmt *p = cst(s, C_FILE_RETIRE, err);
	bool found = false;
	int rc;
	*retired = false;
	if (!p)
		return SL_EMETA;
	bind_text(p, 1, zone);
	bind_text(p, 2, key);
	sqlite3_bind_int64(p, 3, seq);
	if ((rc = step_one(s, p, &found, err, "retire file")) != 0)
		return rc;
	if (!found) {
		sqlite3_reset(p); /* not catalogued (yet), another version, or retired already */
		return 0;
	}
	char db[SL_CAT_DB_MAX], tbl[SL_CAT_NAME_MAX], part[SL_CAT_PART_MAX];
	col_copy(p, 0, db, sizeof(db));
	col_copy(p, 1, tbl, sizeof(tbl));
	col_copy(p, 2, part, sizeof(part));
	rc = sqlite3_step(p); /* finish the RETURNING statement */
	sqlite3_reset(p);
	if (rc != SQLITE_DONE)
		return db_error(s, err, "retire file");
	*retired = true;
	return touch(s, db, tbl, part, key, err);
}

int sl_sq_cat_finish(struct sq *s, const struct sl_cat_drift *drift, size_t n, int64_t now_ms,
		     int64_t *n_drift, struct sl_err *err)
{
	int rc;
	*n_drift = 0;
	if ((rc = recount_touched(s, now_ms, n_drift, err)) != 0)
		return rc;
	for (size_t i = 0; i < n; i++)
		if ((rc = add_drift(s, &drift[i], now_ms, err)) != 0)
			return rc;
	*n_drift += (int64_t)n;
	return 0;
}

int sl_sq_cat_count(struct sq *s, const struct sl_cat_counters *add, int64_t now_ms,
		    struct sl_err *err)
{
	sqlite3_stmt *p = cst(s, C_COUNTERS_ADD, err);
	if (!p)
		return SL_EMETA;
	sqlite3_bind_int64(p, 1, add->commits);
	sqlite3_bind_int64(p, 2, add->messages);
	sqlite3_bind_int64(p, 3, add->objects);
	sqlite3_bind_int64(p, 4, add->records);
	sqlite3_bind_int64(p, 5, add->bytes);
	sqlite3_bind_int64(p, 6, add->drift);
	sqlite3_bind_int64(p, 7, now_ms);
	return run(s, p, err, "count");
}

int sl_sq_catalog_commit(void *state, const struct sl_cat_commit *c, int64_t now_ms,
			 struct sl_err *err)
{
	struct sq *s = state;
	int64_t n_drift = 0;
	int rc;
	if (!c)
		return sl_err_set(err, SL_EINVAL, "catalog commit: nothing given");
	if ((rc = check_commit(c, err)) != 0)
		return rc;
	if ((rc = sl_sq_cat_ready(s, err)) != 0)
		return rc;
	if ((rc = begin(s, err)) != 0)
		return rc;
	if ((rc = sl_sq_cat_start(s, err)) != 0)
		goto fail;
	for (size_t i = 0; i < c->n_tables; i++)
		if ((rc = sl_sq_cat_apply_table(s, &c->tables[i], now_ms, err)) != 0)
			goto fail;
	for (size_t i = 0; i < c->n_files; i++)
		if ((rc = sl_sq_cat_put_file(s, &c->files[i], now_ms, err)) != 0)
			goto fail;
	for (size_t i = 0; i < c->n_removed; i++)
		if ((rc = remove_file(s, &c->removed[i], err)) != 0)
			goto fail;
	if ((rc = sl_sq_cat_finish(s, c->drift, c->n_drift, now_ms, &n_drift, err)) != 0)
		goto fail;
	struct sl_cat_counters add = {.commits = 1, .messages = c->messages,
				      .objects = c->objects, .records = c->records,
				      .bytes = c->bytes, .drift = n_drift};
	if ((rc = sl_sq_cat_count(s, &add, now_ms, err)) != 0)
		goto fail;
	for (size_t i = 0; i < c->n_receipts; i++) {
		struct sl_err one = {0};
		rc = sl_sq_delete_receipt(s, c->queue, c->receipts[i], &one);
		/* stale (received again since) or not a receipt: the catalog still stands,
		 * and the message is handled again idempotently */
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
	rollback(s);
	return rc;
}

/* ---- reading the catalog ------------------------------------------------------------- */

static int table_missing(const char *db, const char *name, struct sl_err *err)
{
	return sl_err_set(err, SL_ENOENT, "no table %s.%s in the catalog", db, name);
}

static int require_table(struct sq *s, const char *db, const char *name, struct sl_err *err)
{
	int64_t v = 0;
	int rc = table_version(s, db, name, &v, err);
	return rc ? rc : v ? 0 : table_missing(db, name, err);
}

int sl_sq_catalog_table_get(void *state, const char *db, const char *name,
			    struct sl_cat_table *out, struct sl_err *err)
{
	struct sq *s = state;
	sqlite3_stmt *p = cst(s, C_TABLE_GET, err);
	bool found = false;
	int rc;
	memset(out, 0, sizeof(*out));
	if (!p)
		return SL_EMETA;
	bind_text(p, 1, db);
	bind_text(p, 2, name);
	if ((rc = step_one(s, p, &found, err, "read table")) != 0)
		return rc;
	rc = found ? read_table(p, out, err) : table_missing(db, name, err);
	sqlite3_reset(p);
	return rc;
}

int sl_sq_catalog_table_list(void *state, const char *db, sl_cat_table_fn *fn, void *ctx,
			     struct sl_err *err)
{
	struct sq *s = state;
	char after_db[SL_CAT_DB_MAX] = "", after_name[SL_CAT_NAME_MAX] = "";
	enum { PAGE = 64 };
	struct sl_cat_table *page = calloc(PAGE, sizeof(*page));
	int rc = 0;
	if (!page)
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	for (;;) {
		sqlite3_stmt *p = cst(s, C_TABLE_LIST, err);
		size_t n = 0;
		if (!p) {
			rc = SL_EMETA;
			break;
		}
		bind_opt(p, 1, db);
		bind_text(p, 2, after_db);
		bind_text(p, 3, after_name);
		while (rc == 0 && (rc = sqlite3_step(p)) == SQLITE_ROW)
			if ((rc = read_table(p, &page[n], err)) == 0)
				n++;
		if (rc == SQLITE_DONE)
			rc = 0;
		else if (rc > 0)
			rc = db_error(s, err, "list tables");
		sqlite3_reset(p);
		for (size_t i = 0; i < n; i++) {
			if (rc == 0)
				rc = fn(ctx, &page[i]);
			if (i == n - 1) {
				memcpy(after_db, page[i].db, sizeof(after_db));
				memcpy(after_name, page[i].name, sizeof(after_name));
			}
			sl_cat_table_release(&page[i]);
		}
		if (rc || n < PAGE)
			break;
	}
	free(page);
	return rc;
}

int sl_sq_catalog_table_drop(void *state, const char *db, const char *name, int64_t now_ms,
			     struct sl_err *err)
{
	struct sq *s = state;
	sqlite3_stmt *p;
	bool found = false;
	int64_t version = 0;
	int rc = begin(s, err);
	if (rc)
		return rc;
	if (!(p = cst(s, C_TABLE_DELETE, err))) {
		rc = SL_EMETA;
		goto fail;
	}
	bind_text(p, 1, db);
	bind_text(p, 2, name);
	if ((rc = step_one(s, p, &found, err, "drop table")) != 0)
		goto fail;
	if (found) {
		version = sqlite3_column_int64(p, 0);
		rc = sqlite3_step(p); /* finish the RETURNING statement */
		rc = rc == SQLITE_DONE ? 0 : db_error(s, err, "drop table");
	}
	sqlite3_reset(p);
	if (rc)
		goto fail;
	if (!found) {
		rc = table_missing(db, name, err);
		goto fail;
	}
	if ((rc = clear_table(s, db, name, true, err)) != 0)
		goto fail;
	struct sl_cat_drift d;
	memset(&d, 0, sizeof(d));
	snprintf(d.db, sizeof(d.db), "%s", db);
	snprintf(d.table, sizeof(d.table), "%s", name);
	snprintf(d.kind, sizeof(d.kind), "table_dropped");
	snprintf(d.detail, sizeof(d.detail), "dropped at version %" PRId64, version);
	if ((rc = add_drift(s, &d, now_ms, err)) != 0)
		goto fail;
	/* only the drift count: a drop is not one of the crawler's commits */
	struct sl_cat_counters add = {.drift = 1};
	if ((rc = sl_sq_cat_count(s, &add, now_ms, err)) != 0)
		goto fail;
	if ((rc = commit(s, err)) != 0)
		goto fail;
	return 0;
fail:
	rollback(s);
	return rc;
}

int sl_sq_catalog_version_get(void *state, const char *db, const char *name,
			      int64_t version, struct sl_cat_version *out, struct sl_err *err)
{
	struct sq *s = state;
	sqlite3_stmt *p = cst(s, version > 0 ? C_VERSION_GET : C_VERSION_LATEST, err);
	bool found = false;
	int rc;
	memset(out, 0, sizeof(*out));
	if (!p)
		return SL_EMETA;
	bind_text(p, 1, db);
	bind_text(p, 2, name);
	if (version > 0)
		sqlite3_bind_int64(p, 3, version);
	if ((rc = step_one(s, p, &found, err, "read table version")) != 0)
		return rc;
	if (found) {
		rc = read_version(p, out, err);
		sqlite3_reset(p);
		return rc;
	}
	sqlite3_reset(p);
	if ((rc = require_table(s, db, name, err)) != 0)
		return rc;
	return sl_err_set(err, SL_ENOENT, "table %s.%s has no version %" PRId64, db, name,
			  version);
}

int sl_sq_catalog_version_list(void *state, const char *db, const char *name,
			       sl_cat_version_fn *fn, void *ctx, struct sl_err *err)
{
	struct sq *s = state;
	int64_t after = 0;
	enum { PAGE = 64 };
	struct sl_cat_version *page;
	int rc = require_table(s, db, name, err);
	if (rc)
		return rc;
	if (!(page = calloc(PAGE, sizeof(*page))))
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	for (;;) {
		sqlite3_stmt *p = cst(s, C_VERSION_LIST, err);
		size_t n = 0;
		if (!p) {
			rc = SL_EMETA;
			break;
		}
		bind_text(p, 1, db);
		bind_text(p, 2, name);
		sqlite3_bind_int64(p, 3, after);
		while (rc == 0 && (rc = sqlite3_step(p)) == SQLITE_ROW)
			if ((rc = read_version(p, &page[n], err)) == 0)
				n++;
		if (rc == SQLITE_DONE)
			rc = 0;
		else if (rc > 0)
			rc = db_error(s, err, "list table versions");
		sqlite3_reset(p);
		for (size_t i = 0; i < n; i++) {
			if (rc == 0)
				rc = fn(ctx, &page[i]);
			after = page[i].version;
			sl_cat_version_release(&page[i]);
		}
		if (rc || n < PAGE)
			break;
	}
	free(page);
	return rc;
}

int sl_sq_catalog_partition_list(void *state, const char *db, const char *name,
				 sl_cat_partition_fn *fn, void *ctx, struct sl_err *err)
{
	struct sq *s = state;
	char after[SL_CAT_PART_MAX] = "";
	bool first = true;
	enum { PAGE = 256 };
	struct sl_cat_partition *page;
	int rc = require_table(s, db, name, err);
	if (rc)
		return rc;
	if (!(page = malloc(PAGE * sizeof(*page))))
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	for (;;) {
		sqlite3_stmt *p = cst(s, C_PART_LIST, err);
		size_t n = 0;
		if (!p) {
			rc = SL_EMETA;
			break;
		}
		bind_text(p, 1, db);
		bind_text(p, 2, name);
		bind_text(p, 3, after);
		sqlite3_bind_int(p, 4, first);
		while ((rc = sqlite3_step(p)) == SQLITE_ROW)
			read_part(p, &page[n++]);
		rc = rc == SQLITE_DONE ? 0 : db_error(s, err, "list partitions");
		sqlite3_reset(p);
		for (size_t i = 0; rc == 0 && i < n; i++)
			rc = fn(ctx, &page[i]);
		if (rc || n < PAGE)
			break;
		memcpy(after, page[n - 1].part, sizeof(after));
		first = false;
	}
	free(page);
	return rc;
}

int sl_sq_catalog_file_get(void *state, const char *zone, const char *key,
			   struct sl_cat_file *out, struct sl_err *err)
{
	struct sq *s = state;
	sqlite3_stmt *p = cst(s, C_FILE_GET, err);
	bool found = false;
	int rc;
	memset(out, 0, sizeof(*out));
	if (!p)
		return SL_EMETA;
	bind_text(p, 1, zone);
	bind_text(p, 2, key);
	sqlite3_bind_int(p, 4, 1);
	if ((rc = step_one(s, p, &found, err, "read file")) != 0)
		return rc;
	rc = found ? read_file(p, out, err)
		   : sl_err_set(err, SL_ENOENT, "%s/%s is not in the catalog", zone, key);
	sqlite3_reset(p);
	if (rc)
		sl_cat_file_release(out);
	return rc;
}

int sl_sq_catalog_file_list(void *state, const char *db, const char *name,
			    const char *part, bool with_stats, sl_cat_file_fn *fn, void *ctx,
			    struct sl_err *err)
{
	struct sq *s = state;
	char after[SL_KEY_MAX + 1] = "";
	enum { PAGE = 128 };
	struct sl_cat_file *page;
	int rc = require_table(s, db, name, err);
	if (rc)
		return rc;
	if (!(page = calloc(PAGE, sizeof(*page))))
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	for (;;) {
		sqlite3_stmt *p = cst(s, part ? C_FILE_LIST_PART : C_FILE_LIST, err);
		size_t n = 0;
		if (!p) {
			rc = SL_EMETA;
			break;
		}
		bind_text(p, 1, db);
		bind_text(p, 2, name);
		bind_text(p, 3, after);
		sqlite3_bind_int(p, 4, with_stats);
		if (part)
			bind_text(p, 5, part);
		while (rc == 0 && (rc = sqlite3_step(p)) == SQLITE_ROW) {
			rc = read_file(p, &page[n], err);
			n++; /* released below even when its stats were not read */
		}
		if (rc == SQLITE_DONE)
			rc = 0;
		else if (rc > 0)
			rc = db_error(s, err, "list files");
		sqlite3_reset(p);
		for (size_t i = 0; i < n; i++) {
			if (rc == 0)
				rc = fn(ctx, &page[i]);
			if (i == n - 1)
				memcpy(after, page[i].key, sizeof(after));
			sl_cat_file_release(&page[i]);
		}
		if (rc || n < PAGE)
			break;
	}
	free(page);
	return rc;
}

int sl_sq_catalog_drift_list(void *state, const char *db, const char *name,
			     int64_t after_id, int64_t limit, sl_cat_drift_fn *fn, void *ctx,
			     struct sl_err *err)
{
	struct sq *s = state;
	enum { PAGE = 128 };
	struct sl_cat_drift *page = malloc(PAGE * sizeof(*page));
	enum cat_stmt id = db && name ? C_DRIFT_LIST_TABLE : db ? C_DRIFT_LIST_DB
							    : C_DRIFT_LIST_ALL;
	int64_t left = limit > 0 ? limit : INT64_MAX;
	int rc = 0;
	if (!page)
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	while (left > 0) {
		sqlite3_stmt *p = cst(s, id, err);
		int64_t want = left < PAGE ? left : PAGE;
		size_t n = 0;
		if (!p) {
			rc = SL_EMETA;
			break;
		}
		sqlite3_bind_int64(p, 1, after_id);
		sqlite3_bind_int64(p, 2, want);
		if (db)
			bind_text(p, 3, db);
		if (db && name)
			bind_text(p, 4, name);
		while ((rc = sqlite3_step(p)) == SQLITE_ROW)
			read_drift(p, &page[n++]);
		rc = rc == SQLITE_DONE ? 0 : db_error(s, err, "list drift");
		sqlite3_reset(p);
		for (size_t i = 0; rc == 0 && i < n; i++)
			rc = fn(ctx, &page[i]);
		if (rc || (int64_t)n < want)
			break;
		after_id = page[n - 1].id;
		left -= (int64_t)n;
	}
	free(page);
	return rc;
}

int sl_sq_catalog_counters(void *state, struct sl_cat_counters *out, struct sl_err *err)
{
	struct sq *s = state;
	sqlite3_stmt *p = cst(s, C_COUNTERS_GET, err);
	bool found = false;
	int rc;
	memset(out, 0, sizeof(*out));
	if (!p)
		return SL_EMETA;
	if ((rc = step_one(s, p, &found, err, "read crawler counters")) != 0)
		return rc;
	if (found) {
		out->commits = sqlite3_column_int64(p, 0);
		out->messages = sqlite3_column_int64(p, 1);
		out->objects = sqlite3_column_int64(p, 2);
		out->records = sqlite3_column_int64(p, 3);
		out->bytes = sqlite3_column_int64(p, 4);
		out->drift = sqlite3_column_int64(p, 5);
		out->last_ms = sqlite3_column_int64(p, 6);
	}
	sqlite3_reset(p);
	return found ? 0
		     : sl_err_set(err, SL_ECORRUPT, "metadata store %s: no crawler counters",
				  s->path);
}
