/*
 * sql.c - the SQL transform (transform.h): a job's `sql` is one SQLite SELECT over a
 * virtual table named `source` whose rows are the run's records, in landing order.
 *
 * Each run has a private connection (an in-memory database, never the metadata
 * store's), made in open and closed in free:
 *   - `source` is an eponymous virtual table (module "source"): the source table's
 *     top-level columns, with the affinity of their catalog type (int: INTEGER, bool:
 *     INTEGER 0/1, float, double and decimal: REAL, string, binary (base64), date, time,
 *     timestamp, uuid: TEXT as in the record, struct, list, map and json: their JSON text
 *     marked as JSON), and the hidden columns _object (the raw object's key), _line (the
 *     record's line or row), _record (the whole record's JSON text) and the source's
 *     partition keys (values from the object's partition folders);
 *   - the statement is prepared once, in open, against the empty table, so that a bad
 *     statement fails before any record is read; record() only spools the record;
 *   - finish() runs the statement over the spool and emits its rows.
 *
 * The output row type: a result column that is a plain column of source (sqlite3's
 * decltype, which every column of source declares uniquely as "AFFINITY S<n>") has
 * that column's catalog type; the other columns' types are inferred from the result
 * rows (types/infer.h, as the crawler infers), which are spooled for that; a column
 * that held only nulls is left out until a run gives it a value. The run's type is then
 * merged with the target's committed one (types/merge.h), so the table keeps its
 * columns and only widens. When every result column is a plain column the type is known
 * in open and the rows are emitted as the statement gives them, without the second
 * spool.
 *
 * Promises (tests/unit/test_etl_sql.c):
 *   1. The statement is exactly one read-only SELECT (trailing text refused) that reads
 *      no table but source, json_each and json_tree (and its own CTEs): ATTACH, DETACH,
 *      PRAGMA, writes, other tables and load_extension are denied by an authorizer
 *      installed after the connection's own setup; a bad statement, and a result column
 *      whose name is not [a-z_][a-z0-9_]* or is taken twice, is SL_ECONFIG in open with
 *      the job's name and SQLite's message.
 *   2. The statement sees the records handed to this run only, the ones new since the
 *      bookmark: an aggregate is one per run. A run without records runs nothing.
 *   3. Memory is bounded whatever the input: the records and the result rows are spooled
 *      to unlinked temporary files in env->tmp_dir (O_TMPFILE where the file system has
 *      it), SQLite's own temporary files (sorts, GROUP BY, materialised subqueries) are
 *      made there too and unlinked at once (a VFS shim, below), its page caches hold
 *      CACHE_KIB each, and sqlite3_limit caps string and blob lengths. A killed run
 *      leaves no file behind.
 *   4. A statement ends: past STEPS_BASE + STEPS_PER_RECORD virtual-machine steps per
 *      record, or ROWS_BASE + ROWS_PER_RECORD result rows per record, it is stopped
 *      (SL_ELIMIT) and the run fails. The progress handler that counts the steps also
 *      keeps the job's lease (env->progress).
 *   5. The output row type is set before the first emit, and every result row is
 *      emitted as a JSON object of it (values converted where SQLite has no such type:
 *      0/1 to booleans, JSON text to structs, lists, maps and json, decimals printed
 *      with their scale, non-strings to strings).
 *
 * Where SQLite's temporary files go: SQLite names them itself, in the directory of the
 * process-wide sqlite3_temp_directory, or of SQLITE_TMPDIR / TMPDIR, else /var/tmp or
 * /tmp. No pragma sets it per connection (temp_store_directory sets the process-wide
 * variable, and is deprecated), and changing either would move the metadata store's
 * files and race with other threads. So the connection uses a VFS that is the default
 * one with one method changed: a file opened without a name (a temporary file) gets one
 * in env->tmp_dir and SQLITE_OPEN_DELETEONCLOSE, which the unix VFS honours by
 * unlinking the file right after opening it. The VFS is registered under a name of its
 * own for the life of the connection. temp_store is FILE, so what would not fit the
 * caches spills to those files instead of growing in memory.
 *
 * Crash-test point (util/crashpoint.h): sql_emit, once per run, when the statement has
 * given its first row and the spools are open.
 */
#include "etl/transform.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "meta/meta.h"
#include "types/infer.h"
#include "types/merge.h"
#include "util/buf.h"
#include "util/crashpoint.h"
#include "util/fs.h"

#define SPOOL_BUF ((size_t)1 << 20)          /* write buffer of a spool */
#define STEP_CHUNK 10000                     /* VM steps between two progress calls */
#define STEPS_BASE ((int64_t)100000000)      /* a statement's budget: 100 million steps */
#define STEPS_PER_RECORD ((int64_t)100000)   /* and 100,000 more per record */
#define ROWS_BASE ((int64_t)1000000)         /* result rows: a million */
#define ROWS_PER_RECORD ((int64_t)1000)      /* and 1,000 more per record */
#define CACHE_KIB 8192                       /* page cache of the main and temp databases */
#define SL_STR_(x) #x
#define SL_STR(x) SL_STR_(x)
#define MAX_COLS 1960                        /* source columns (SQLite allows 2000 in all) */
#define MAX_PKEYS 32                         /* partition keys of the source */
#define NAME_MAX_BYTES 255                   /* a result column's name */
#define TEMP_NAME_MAX 4200                   /* a temporary file's path */
#define SUB_JSON 'J'                         /* SQLite's subtype of JSON text */
#define HIVE_NULL "__HIVE_DEFAULT_PARTITION__"  /* Hive's folder of a null value */

/* ---- spools: unlinked temporary files ------------------------------------------------ */

struct spool {
	int fd;
	char *buf;         /* the write buffer */
	size_t len;
	int64_t size;      /* bytes in the file and the buffer */
};

/* A temporary file in dir that has no name (O_TMPFILE), or whose name is removed at
 * once: nothing is left behind whatever happens to the process. */
static int tmpfile_open(const char *dir, int *fd, struct sl_err *err)
{
#ifdef O_TMPFILE
	*fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (*fd >= 0)
		return 0;
	if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL && errno != ENOENT)
		return sl_err_errno(err, errno, "%s: cannot make a spool file", dir);
#endif
	char path[TEMP_NAME_MAX];
	int n = snprintf(path, sizeof(path), "%s/sql-spool-XXXXXX", dir);
	if (n < 0 || (size_t)n >= sizeof(path))
		return sl_err_set(err, SL_EINVAL, "%s: the directory's name is too long", dir);
	*fd = mkostemp(path, O_CLOEXEC);
	if (*fd < 0)
		return sl_err_errno(err, errno, "%s: cannot make a spool file", dir);
	unlink(path);
	return 0;
}

static int spool_open(const char *dir, struct spool *s, struct sl_err *err)
{
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	if (!(s->buf = malloc(SPOOL_BUF)))
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	return tmpfile_open(dir, &s->fd, err);
}

static int spool_flush(struct spool *s, struct sl_err *err)
{
	int rc = s->len ? sl_write_all(s->fd, s->buf, s->len, "the SQL spool", err) : 0;
	s->len = 0;
	return rc;
}

static int spool_write(struct spool *s, const void *p, size_t n, struct sl_err *err)
{
	int rc;
	if (s->len + n > SPOOL_BUF) {
		if ((rc = spool_flush(s, err)) != 0)
			return rc;
		if (n > SPOOL_BUF) {
			s->size += (int64_t)n;
			return sl_write_all(s->fd, p, n, "the SQL spool", err);
		}
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
	s->size += (int64_t)n;
	return 0;
}

static void spool_close(struct spool *s)
{
	if (s->fd >= 0)
		close(s->fd);
	free(s->buf);
	memset(s, 0, sizeof(*s));
	s->fd = -1;
}

/* A reader of a (flushed) spool, from its start. */
struct rd {
	int fd;
	int64_t end;       /* the file's size */
	int64_t off;       /* file offset of buf[0] */
	char *buf;
	size_t cap, len, at;
};

static void rd_start(struct rd *r, const struct spool *s)
{
	r->fd = s->fd;
	r->end = s->size;
	r->off = 0;
	r->len = r->at = 0;
}

/* Makes n bytes readable at buf[at]: 0; 1 at the end of the spool; or an error. */
static int rd_need(struct rd *r, size_t n, struct sl_err *err)
{
	if (r->len - r->at >= n)
		return 0;
	if (r->at && r->len > r->at)
		memmove(r->buf, r->buf + r->at, r->len - r->at);
	r->off += (int64_t)r->at;
	r->len -= r->at;
	r->at = 0;
	if (n > r->cap) {
		size_t cap = r->cap ? r->cap : SPOOL_BUF;
		while (cap < n)
			cap *= 2;
		char *b = realloc(r->buf, cap);
		if (!b)
			return sl_err_set(err, SL_ENOMEM, "out of memory");
		r->buf = b;
		r->cap = cap;
	}
	while (r->len < n) {
		int64_t at = r->off + (int64_t)r->len;
		if (at >= r->end)
			return 1;
		size_t want = r->cap - r->len;
		if ((int64_t)want > r->end - at)
			want = (size_t)(r->end - at);
		ssize_t k = pread(r->fd, r->buf + r->len, want, at);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return sl_err_errno(err, errno, "the SQL spool");
		if (k == 0)
			return sl_err_set(err, SL_EIO, "the SQL spool ends early");
		r->len += (size_t)k;
	}
	return 0;
}

/* ---- the transform's state ----------------------------------------------------------- */

enum col_kind { COL_SRC, COL_OBJECT, COL_LINE, COL_RECORD, COL_PART };

/* How a column gives its values to SQLite. */
enum col_class {
	CL_INT,    /* integers; beyond int64 as their text */
	CL_BOOL,   /* 1 / 0 */
	CL_REAL,   /* float, double, decimal: numbers (a numeric string stays text) */
	CL_TEXT,   /* strings and the kinds JSON writes as strings: the text */
	CL_JSON,   /* struct, list, map, json: the value's JSON text, marked JSON */
};

struct col {
	const char *name;
	enum col_kind kind;
	enum col_class cls;
	size_t part;                /* COL_PART: the partition key's index */
	const struct sl_type *type; /* its output type when passed through (borrowed) */
};

/* A result column. */
struct outcol {
	char *name;
	char *key;                  /* "\"name\":" */
	const struct sl_type *known; /* a plain column of source: its type (borrowed) */
	bool pcol;                  /* a partition_by column */
	int64_t n_blob, n_other;    /* values seen: blobs, and other non-nulls */
	const struct sl_type *final; /* its type in the output row (NULL: left out) */
};

struct sqlx {
	const struct sl_etl_xform_env *env;
	sqlite3 *db;
	sqlite3_stmt *st;
	/* the VFS: the default one, with temporary files in env->tmp_dir */
	sqlite3_vfs vfs;
	sqlite3_vfs *base;
	char vfs_name[48];
	bool vfs_on;
	int name_off;               /* where a temporary file keeps its path */
	/* source */
	struct col *cols;
	size_t n_cols, n_src;
	uint32_t *idx;              /* member name -> source column + 1 (open addressing) */
	size_t idx_mask;
	char *pkeys[MAX_PKEYS];
	size_t n_pkeys;
	struct sl_type *t_string, *t_int, *t_json; /* the hidden columns' types */
	/* the records */
	struct spool in;
	bool in_open;
	int64_t n_records;
	char last_key[SL_KEY_MAX + 1];
	char last_part[SL_CAT_PART_MAX];
	/* the result */
	struct outcol *out;
	size_t n_out;
	bool all_known;
	struct sl_type *row;        /* the output row type (a copy goes to the caller) */
	struct spool res;
	bool res_open;
	struct sl_buf line, line2;  /* a result row's JSON text, and its conversion */
	struct sl_json_parser *p_row, *p_val, *p_conv;
	struct sl_json_limits row_lim;
	/* the statement's budget (promise 4) */
	int64_t steps, max_steps;
	bool over_budget;
	int64_t rows, max_rows;
	char deny[200];             /* what the authorizer denied last */
	char **modules;             /* the connection's virtual-table modules */
	size_t n_modules;
	struct sl_err cerr;         /* a cursor's error, for finish */
	bool have_cerr;
};

/* ---- the VFS shim: SQLite's temporary files in env->tmp_dir --------------------------- */

static int vfs_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out)
{
	struct sqlx *x = vfs->pAppData;
	if (name)
		return x->base->xOpen(x->base, name, f, flags, out);
	/* The unix VFS keeps the path's pointer: it lives in the file's own memory, past
	 * the base VFS's part (szOsFile is that much larger). */
	char *path = (char *)f + x->name_off;
	for (int tries = 0; tries < 8; tries++) {
		uint64_t r = 0;
		if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
			r ^= (uint64_t)(uintptr_t)f * 2654435761u + (uint64_t)tries;
		int n = snprintf(path, TEMP_NAME_MAX, "%s/sql-tmp-%016" PRIx64, x->env->tmp_dir, r);
		if (n < 0 || n >= TEMP_NAME_MAX)
			return SQLITE_CANTOPEN;
		int rc = x->base->xOpen(x->base, path,  f,
					flags | SQLITE_OPEN_DELETEONCLOSE | SQLITE_OPEN_EXCLUSIVE |
						SQLITE_OPEN_CREATE,
					out);
		if (rc != SQLITE_CANTOPEN || errno != EEXIST)
			return rc;
	}
	return SQLITE_CANTOPEN;
}

static int vfs_register(struct sqlx *x, struct sl_err *err)
{
	if (!(x->base = sqlite3_vfs_find(NULL)))
		return sl_err_set(err, SL_EINVAL, "SQLite has no default VFS");
	x->vfs = *x->base;
	x->vfs.iVersion = x->base->iVersion;
	x->name_off = (x->base->szOsFile + 15) / 16 * 16;
	x->vfs.szOsFile = x->name_off + TEMP_NAME_MAX;
	snprintf(x->vfs_name, sizeof(x->vfs_name), "sluice-sql-%p", (void *)x);
	x->vfs.zName = x->vfs_name;
	x->vfs.pAppData = x;
	x->vfs.xOpen = vfs_open;
	x->vfs.pNext = NULL;
	if (sqlite3_vfs_register(&x->vfs, 0) != SQLITE_OK)
		return sl_err_set(err, SL_EINVAL, "cannot register SQLite's VFS");
	x->vfs_on = true;
	return 0;
}

/* ---- the virtual table `source` ------------------------------------------------------ */

struct vt {
	sqlite3_vtab base;
	struct sqlx *x;
};

struct cur {
	sqlite3_vtab_cursor base;
	struct sqlx *x;
	struct rd rd;
	bool eof;
	int64_t rowid;              /* the record's number, from 1 */
	/* the current object */
	char key[SL_KEY_MAX + 1];
	char part[SL_CAT_PART_MAX];
	char pvals[SL_CAT_PART_MAX]; /* the partition values, unescaped, NUL-separated */
	int pval_at[MAX_PKEYS];     /* each key's offset in pvals, -1: null */
	/* the current record */
	const char *rec;
	size_t rec_len;
	int64_t line;
	bool parsed;
	struct sl_json_parser *p;
	struct sl_json_doc doc;
	uint32_t *tok_of;           /* the token of each source column */
	uint32_t *tok_gen;          /* ... valid when equal to gen */
	uint32_t gen;
};

static void name_idx_put(struct sqlx *x, size_t col)
{
	const char *s = x->cols[col].name;
	uint32_t h = 2166136261u;
	for (size_t i = 0; s[i]; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	size_t at = h & x->idx_mask;
	while (x->idx[at])
		at = (at + 1) & x->idx_mask;
	x->idx[at] = (uint32_t)col + 1;
}

/* The source column named s (n bytes), or -1. */
static int name_idx_get(const struct sqlx *x, const char *s, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	for (size_t at = h & x->idx_mask; x->idx[at]; at = (at + 1) & x->idx_mask) {
		const char *c = x->cols[x->idx[at] - 1].name;
		if (strncmp(c, s, n) == 0 && c[n] == '\0')
			return (int)x->idx[at] - 1;
	}
	return -1;
}

static const char *create_table_sql(struct sqlx *x, struct sl_buf *b)
{
	static const char *const aff[] = {"INTEGER", "INTEGER", "REAL", "TEXT", "TEXT"};
	int rc = sl_buf_puts(b, "CREATE TABLE x(");
	for (size_t i = 0; rc == 0 && i < x->n_cols; i++) {
		const char *s = x->cols[i].name;
		rc = sl_buf_puts(b, i ? ", \"" : "\"");
		for (; rc == 0 && *s; s++)
			rc = *s == '"' ? sl_buf_puts(b, "\"\"") : sl_buf_append(b, s, 1);
		if (rc == 0)
			rc = sl_buf_printf(b, "\" %s%s S%zu", aff[x->cols[i].cls],
					   x->cols[i].kind == COL_SRC ? "" : " HIDDEN", i);
	}
	if (rc == 0)
		rc = sl_buf_puts(b, ")");
	return rc ? NULL : b->data;
}

static int vt_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
		      sqlite3_vtab **out, char **errmsg)
{
	struct sqlx *x = aux;
	struct sl_buf b;
	(void)argc;
	(void)argv;
	sl_buf_init(&b, (size_t)64 << 20);
	const char *sql = create_table_sql(x, &b);
	int rc = sql ? sqlite3_declare_vtab(db, sql) : SQLITE_NOMEM;
	sl_buf_release(&b);
	if (rc != SQLITE_OK) {
		*errmsg = sqlite3_mprintf("%s", sqlite3_errmsg(db));
		return rc;
	}
	struct vt *v = sqlite3_malloc(sizeof(*v));
	if (!v)
		return SQLITE_NOMEM;
	memset(v, 0, sizeof(*v));
	v->x = x;
	*out = &v->base;
	return SQLITE_OK;
}

static int vt_disconnect(sqlite3_vtab *v)
{
	sqlite3_free(v);
	return SQLITE_OK;
}

static int vt_best_index(sqlite3_vtab *v, sqlite3_index_info *info)
{
	(void)v;
	/* a full scan always: the plan is made in open, before the records are known */
	info->estimatedCost = 1e6;
	info->estimatedRows = 1000000;
	return SQLITE_OK;
}

static int vt_open(sqlite3_vtab *v, sqlite3_vtab_cursor **out)
{
	struct sqlx *x = ((struct vt *)v)->x;
	struct cur *c = sqlite3_malloc(sizeof(*c));
	if (!c)
		return SQLITE_NOMEM;
	memset(c, 0, sizeof(*c));
	c->x = x;
	c->rd.fd = -1;
	c->eof = true;
	c->tok_of = calloc(x->n_src ? x->n_src : 1, sizeof(*c->tok_of));
	c->tok_gen = calloc(x->n_src ? x->n_src : 1, sizeof(*c->tok_gen));
	if (!c->tok_of || !c->tok_gen) {
		free(c->tok_of);
		free(c->tok_gen);
		sqlite3_free(c);
		return SQLITE_NOMEM;
	}
	*out = &c->base;
	return SQLITE_OK;
}

static int vt_close(sqlite3_vtab_cursor *vc)
{
	struct cur *c = (struct cur *)vc;
	free(c->rd.buf);
	free(c->tok_of);
	free(c->tok_gen);
	sl_json_parser_free(c->p);
	sqlite3_free(c);
	return SQLITE_OK;
}

/* A cursor's failure: kept for finish (which reports it with its code), and told to
 * SQLite, which stops the statement. */
static int cur_fail(struct cur *c, const struct sl_err *e)
{
	struct sqlx *x = c->x;
	if (!x->have_cerr) {
		x->cerr = *e;
		x->have_cerr = true;
	}
	sqlite3_free(c->base.pVtab->zErrMsg);
	c->base.pVtab->zErrMsg = sqlite3_mprintf("%s", e->msg);
	return e->code == SL_ENOMEM ? SQLITE_NOMEM : SQLITE_ERROR;
}

static int hexval(char ch)
{
	return ch >= '0' && ch <= '9' ? ch - '0'
	       : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
	       : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
					: -1;
}

/* The values of the source's partition keys in the object's partition folders
 * ("dt=2026-01-05/country=DE"): Hive's %XX escapes undone, its default partition null. */
static void cur_parts(struct cur *c)
{
	struct sqlx *x = c->x;
	size_t o = 0;
	for (size_t k = 0; k < x->n_pkeys; k++)
		c->pval_at[k] = -1;
	for (const char *p = c->part; *p;) {
		size_t n = strcspn(p, "/");
		const char *eq = memchr(p, '=', n);
		for (size_t k = 0; eq && k < x->n_pkeys; k++) {
			size_t kl = strlen(x->pkeys[k]);
			if ((size_t)(eq - p) != kl || memcmp(p, x->pkeys[k], kl) != 0)
				continue;
			const char *v = eq + 1, *end = p + n;
			if ((size_t)(end - v) == strlen(HIVE_NULL) &&
			    memcmp(v, HIVE_NULL, strlen(HIVE_NULL)) == 0)
				break;
			c->pval_at[k] = (int)o;
			for (; v < end && o + 1 < sizeof(c->pvals); v++) {
				int h1, h2;
				if (*v == '%' && end - v >= 3 && (h1 = hexval(v[1])) >= 0 &&
				    (h2 = hexval(v[2])) >= 0) {
					c->pvals[o++] = (char)(h1 * 16 + h2);
					v += 2;
				} else {
					c->pvals[o++] = *v;
				}
			}
			c->pvals[o++] = '\0';
			break;
		}
		p += n + (p[n] == '/');
	}
}

static uint32_t get_u32(const char *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

/* The next record of the spool (object entries on the way update the object). */
static int cur_next(struct cur *c)
{
	struct sl_err e = {0};
	int rc;
	for (;;) {
		if ((rc = rd_need(&c->rd, 1, &e)) != 0) {
			if (rc == 1) {
				c->eof = true;
				return SQLITE_OK;
			}
			return cur_fail(c, &e);
		}
		char tag = c->rd.buf[c->rd.at];
		if (tag == 'O') {
			if ((rc = rd_need(&c->rd, 9, &e)) != 0)
				goto short_entry;
			uint32_t kl = get_u32(c->rd.buf + c->rd.at + 1);
			uint32_t pl = get_u32(c->rd.buf + c->rd.at + 5);
			if (kl > SL_KEY_MAX || pl >= SL_CAT_PART_MAX) {
				sl_err_set(&e, SL_ECORRUPT, "the SQL spool is damaged");
				return cur_fail(c, &e);
			}
			if ((rc = rd_need(&c->rd, 9 + (size_t)kl + pl, &e)) != 0)
				goto short_entry;
			const char *p = c->rd.buf + c->rd.at + 9;
			memcpy(c->key, p, kl);
			c->key[kl] = '\0';
			memcpy(c->part, p + kl, pl);
			c->part[pl] = '\0';
			c->rd.at += 9 + (size_t)kl + pl;
			cur_parts(c);
			continue;
		}
		if (tag != 'R') {
			sl_err_set(&e, SL_ECORRUPT, "the SQL spool is damaged");
			return cur_fail(c, &e);
		}
		if ((rc = rd_need(&c->rd, 13, &e)) != 0)
			goto short_entry;
		uint32_t len = get_u32(c->rd.buf + c->rd.at + 9);
		memcpy(&c->line, c->rd.buf + c->rd.at + 1, 8);
		if ((rc = rd_need(&c->rd, 13 + (size_t)len, &e)) != 0)
			goto short_entry;
		c->rec = c->rd.buf + c->rd.at + 13;
		c->rec_len = len;
		c->rd.at += 13 + (size_t)len;
		c->rowid++;
		c->parsed = false;
		return SQLITE_OK;
	}
short_entry:
	if (rc == 1)
		sl_err_set(&e, SL_ECORRUPT, "the SQL spool ends inside an entry");
	return cur_fail(c, &e);
}

static int vt_filter(sqlite3_vtab_cursor *vc, int idx_num, const char *idx_str, int argc,
		     sqlite3_value **argv)
{
	struct cur *c = (struct cur *)vc;
	(void)idx_num;
	(void)idx_str;
	(void)argc;
	(void)argv;
	c->eof = false;
	c->rowid = 0;
	c->key[0] = c->part[0] = '\0';
	for (size_t k = 0; k < MAX_PKEYS; k++)
		c->pval_at[k] = -1;
	if (!c->x->in_open) {
		c->eof = true; /* open prepares against the empty table */
		return SQLITE_OK;
	}
	rd_start(&c->rd, &c->x->in);
	return cur_next(c);
}

static int vt_next(sqlite3_vtab_cursor *vc)
{
	return cur_next((struct cur *)vc);
}

static int vt_eof(sqlite3_vtab_cursor *vc)
{
	return ((struct cur *)vc)->eof;
}

static int vt_rowid(sqlite3_vtab_cursor *vc, sqlite3_int64 *rowid)
{
	*rowid = ((struct cur *)vc)->rowid;
	return SQLITE_OK;
}

/* The record's top-level members, each to its column (the last of a name wins, as
 * everywhere else in sluice). */
static int cur_parse(struct cur *c)
{
	struct sqlx *x = c->x;
	struct sl_json_error je;
	struct sl_err e = {0};
	if (!c->p && !(c->p = sl_json_parser_new(x->env->lim))) {
		sl_err_set(&e, SL_ENOMEM, "out of memory");
		return cur_fail(c, &e);
	}
	if (sl_json_parse(c->p, c->rec, c->rec_len, &c->doc, &je) != 0) {
		sl_err_set(&e, SL_ECORRUPT, "%s:%" PRId64 ": %s", c->key, c->line, je.msg);
		return cur_fail(c, &e);
	}
	if (++c->gen == 0) {
		memset(c->tok_gen, 0, x->n_src * sizeof(*c->tok_gen));
		c->gen = 1;
	}
	const struct sl_json_tok *tok = c->doc.tok;
	size_t end = c->doc.n_tok && tok[0].type == SL_JSON_OBJECT ? tok[0].v.end : 0;
	if (end > c->doc.n_tok)
		end = c->doc.n_tok;
	for (size_t i = 1; i + 1 < end;) {
		const struct sl_json_tok *k = &tok[i], *v = &tok[i + 1];
		int col = name_idx_get(x, k->v.s, k->len);
		if (col >= 0) {
			c->tok_of[col] = (uint32_t)(i + 1);
			c->tok_gen[col] = c->gen;
		}
		if ((v->type == SL_JSON_OBJECT || v->type == SL_JSON_ARRAY) && v->v.end > i + 1)
			i = (size_t)v->v.end + 1;
		else
			i += 2;
	}
	c->parsed = true;
	return SQLITE_OK;
}

/* The JSON text of the value at token ti. */
static void raw_span(const struct sl_json_doc *d, size_t ti, const char **p, size_t *len)
{
	const struct sl_json_tok *t = &d->tok[ti];
	size_t off = t->off, end;
	switch (t->type) {
	case SL_JSON_OBJECT:
	case SL_JSON_ARRAY: end = d->tok[t->v.end].off + 1; break;
	case SL_JSON_STRING:
		if (!(t->flags & SL_JSON_F_ESCAPED)) {
			end = off + t->len + 2;
		} else {
			end = off + 1; /* the parser checked it: the first bare quote ends it */
			while (d->text[end] != '"')
				end += d->text[end] == '\\' ? 2 : 1;
			end++;
		}
		break;
	case SL_JSON_TRUE: end = off + 4; break;
	case SL_JSON_FALSE: end = off + 5; break;
	case SL_JSON_NULL: end = off + 4; break;
	default: end = off + t->len; break;
	}
	*p = d->text + off;
	*len = end - off;
}

static void result_json(sqlite3_context *ctx, const char *p, size_t n)
{
	sqlite3_result_text64(ctx, p, n, SQLITE_TRANSIENT, SQLITE_UTF8);
	sqlite3_result_subtype(ctx, SUB_JSON);
}

static int src_value(struct cur *c, sqlite3_context *ctx, size_t col)
{
	const struct col *cd = &c->x->cols[col];
	if (!c->parsed) {
		int rc = cur_parse(c);
		if (rc != SQLITE_OK)
			return rc;
	}
	if (c->tok_gen[col] != c->gen) {
		sqlite3_result_null(ctx);
		return SQLITE_OK;
	}
	size_t ti = c->tok_of[col];
	const struct sl_json_tok *t = &c->doc.tok[ti];
	const char *p;
	size_t n;
	if (t->type == SL_JSON_NULL) {
		sqlite3_result_null(ctx);
		return SQLITE_OK;
	}
	if (cd->cls == CL_JSON) {
		raw_span(&c->doc, ti, &p, &n);
		result_json(ctx, p, n);
		return SQLITE_OK;
	}
	switch (t->type) {
	case SL_JSON_TRUE:
	case SL_JSON_FALSE:
		if (cd->cls == CL_TEXT)
			sqlite3_result_text(ctx, t->type == SL_JSON_TRUE ? "true" : "false", -1,
					    SQLITE_STATIC);
		else
			sqlite3_result_int(ctx, t->type == SL_JSON_TRUE);
		break;
	case SL_JSON_INT:
		if (cd->cls == CL_TEXT)
			goto text_of;
		sqlite3_result_int64(ctx, t->v.i);
		break;
	case SL_JSON_DOUBLE:
		if (cd->cls == CL_TEXT)
			goto text_of;
		sqlite3_result_double(ctx, t->v.d);
		break;
	case SL_JSON_BIGINT:
		if (cd->cls == CL_REAL || cd->cls == CL_BOOL) {
			char tmp[1100];
			size_t k = t->len < sizeof(tmp) - 1 ? t->len : sizeof(tmp) - 1;
			memcpy(tmp, c->doc.text + t->off, k);
			tmp[k] = '\0';
			sqlite3_result_double(ctx, strtod(tmp, NULL));
			break;
		}
		goto text_of; /* an integer beyond int64 keeps its digits */
	case SL_JSON_STRING:
		sqlite3_result_text64(ctx, t->v.s, t->len, SQLITE_TRANSIENT, SQLITE_UTF8);
		break;
	default: /* an object or an array in a column of another type: its text */
	text_of:
		raw_span(&c->doc, ti, &p, &n);
		sqlite3_result_text64(ctx, p, n, SQLITE_TRANSIENT, SQLITE_UTF8);
		break;
	}
	return SQLITE_OK;
}

static int vt_column(sqlite3_vtab_cursor *vc, sqlite3_context *ctx, int i)
{
	struct cur *c = (struct cur *)vc;
	const struct col *cd = &c->x->cols[i];
	switch (cd->kind) {
	case COL_SRC: return src_value(c, ctx, (size_t)i);
	case COL_OBJECT: sqlite3_result_text(ctx, c->key, -1, SQLITE_TRANSIENT); break;
	case COL_LINE: sqlite3_result_int64(ctx, c->line); break;
	case COL_RECORD: result_json(ctx, c->rec, c->rec_len); break;
	case COL_PART:
		if (c->pval_at[cd->part] < 0)
			sqlite3_result_null(ctx);
		else
			sqlite3_result_text(ctx, c->pvals + c->pval_at[cd->part], -1,
					    SQLITE_TRANSIENT);
		break;
	}
	return SQLITE_OK;
}

static sqlite3_module source_module = {
	.iVersion = 1,
	.xCreate = NULL, /* eponymous only: nobody creates or drops it */
	.xConnect = vt_connect,
	.xBestIndex = vt_best_index,
	.xDisconnect = vt_disconnect,
	.xDestroy = vt_disconnect,
	.xOpen = vt_open,
	.xClose = vt_close,
	.xFilter = vt_filter,
	.xNext = vt_next,
	.xEof = vt_eof,
	.xColumn = vt_column,
	.xRowid = vt_rowid,
	/* no xUpdate: read only */
};

/* ---- the guard: what a statement may do ---------------------------------------------- */

static bool is_one_of(const char *s, const char *const *names)
{
	for (; s && *names; names++)
		if (sqlite3_stricmp(s, *names) == 0)
			return true;
	return false;
}

/* Whether a statement may read table `name`: source, json_each and json_tree, and the
 * statement's own CTEs. The connection has no other table than SQLite's schema tables
 * (sqlite_*) and the virtual tables its modules make when they are named (pragma_*,
 * dbstat, ...), and a statement cannot create one, so a name that is none of those is
 * a CTE's (the recursive reference of a recursive CTE is read as a table). */
static bool readable(const struct sqlx *x, const char *name)
{
	static const char *const allowed[] = {"source", "json_each", "json_tree", NULL};
	if (!name)
		return false;
	if (is_one_of(name, allowed))
		return true;
	if (sqlite3_strnicmp(name, "sqlite_", 7) == 0 || sqlite3_strnicmp(name, "pragma_", 7) == 0)
		return false;
	for (size_t i = 0; i < x->n_modules; i++)
		if (sqlite3_stricmp(name, x->modules[i]) == 0)
			return false;
	return true;
}

/* Denies, saying what (the first denial of a statement is the one reported). */
static int deny(struct sqlx *x, const char *what, const char *name)
{
	if (!x->deny[0])
		snprintf(x->deny, sizeof(x->deny), "%s%s", what, name ? name : "");
	return SQLITE_DENY;
}

static int authorize(void *ctx, int action, const char *a, const char *b, const char *db,
		     const char *via)
{
	static const char *const denied_fn[] = {"load_extension", "fts3_tokenizer", NULL};
	struct sqlx *x = ctx;
	(void)db;
	(void)via;
	switch (action) {
	case SQLITE_SELECT:
	case SQLITE_RECURSIVE:
		return SQLITE_OK;
	case SQLITE_READ:
		return readable(x, a) ? SQLITE_OK : deny(x, "reading table ", a);
	case SQLITE_FUNCTION:
		return is_one_of(b, denied_fn) ? deny(x, "calling a function: ", b) : SQLITE_OK;
	case SQLITE_ATTACH: return deny(x, "ATTACH", NULL);
	case SQLITE_DETACH: return deny(x, "DETACH", NULL);
	case SQLITE_PRAGMA: return deny(x, "PRAGMA ", a);
	case SQLITE_INSERT:
	case SQLITE_UPDATE:
	case SQLITE_DELETE:
		/* naming a module's table (pragma_table_info) would write it into the schema */
		if (a && sqlite3_strnicmp(a, "sqlite_", 7) == 0)
			return deny(x, "a virtual table other than source, json_each and "
				       "json_tree", NULL);
		return deny(x, "writing table ", a);
	default: return deny(x, "a statement that is not a SELECT", NULL);
	}
}

static int on_progress(void *ctx)
{
	struct sqlx *x = ctx;
	x->steps += STEP_CHUNK;
	if (x->env->progress)
		x->env->progress(x->env->ctx);
	if (x->max_steps > 0 && x->steps > x->max_steps) {
		x->over_budget = true;
		return 1;
	}
	return 0;
}

/* The names of the connection's virtual-table modules (which make the tables of their
 * name, e.g. dbstat), for the authorizer; a fixed list where SQLite cannot tell. */
static int modules_list(struct sqlx *x, struct sl_err *err)
{
	static const char *const fallback[] = {
		"dbstat", "sqlite_stmt", "sqlite_dbpage", "sqlite_dbptr", "sqlite_dbdata",
		"fts4aux", "fts3tokenize", "fts5vocab", "bytecode", "tables_used", "completion",
		"fsdir", "zipfile", "generate_series", "carray", NULL};
	sqlite3_stmt *st = NULL;
	size_t cap = 16;
	if (!(x->modules = calloc(cap, sizeof(*x->modules))))
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	if (sqlite3_prepare_v2(x->db, "SELECT name FROM pragma_module_list", -1, &st, NULL) ==
	    SQLITE_OK) {
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *name = (const char *)sqlite3_column_text(st, 0);
			if (!name)
				continue;
			if (x->n_modules == cap) {
				void *v = realloc(x->modules, cap * 2 * sizeof(*x->modules));
				if (!v)
					goto nomem;
				x->modules = v;
				cap *= 2;
			}
			if (!(x->modules[x->n_modules] = strdup(name)))
				goto nomem;
			x->n_modules++;
		}
		sqlite3_finalize(st);
		st = NULL;
	}
	for (size_t i = 0; fallback[i]; i++) {
		if (x->n_modules == cap) {
			void *v = realloc(x->modules, cap * 2 * sizeof(*x->modules));
			if (!v)
				goto nomem;
			x->modules = v;
			cap *= 2;
		}
		if (!(x->modules[x->n_modules] = strdup(fallback[i])))
			goto nomem;
		x->n_modules++;
	}
	return 0;
nomem:
	sqlite3_finalize(st);
	return sl_err_set(err, SL_ENOMEM, "out of memory");
}

/* The connection's own setup, before the authorizer: later pragmas are the user's. */
static int db_setup(struct sqlx *x, struct sl_err *err)
{
	static const char *const setup[] = {
		"PRAGMA temp_store = FILE",
		"PRAGMA cache_size = -" SL_STR(CACHE_KIB),
		"PRAGMA temp.cache_size = -" SL_STR(CACHE_KIB),
		/* the eponymous tables are made at their first use, which writes the
		 * schema: done now, so that the authorizer can deny every write */
		"SELECT * FROM source LIMIT 0",
		"SELECT * FROM json_each('[]')",
		"SELECT * FROM json_tree('[]')",
	};
	const struct sl_json_limits *lim = x->env->lim;
	sqlite3 *db = x->db;
	int on, rc;
	sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, &on);
	sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, &on);
	sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_FTS3_TOKENIZER, 0, &on);
#ifdef SQLITE_DBCONFIG_DEFENSIVE
	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, &on);
#endif
#ifdef SQLITE_DBCONFIG_ENABLE_VIEW
	sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_VIEW, 0, &on);
#endif
#ifdef SQLITE_DBCONFIG_TRUSTED_SCHEMA
	sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, &on);
#endif
#ifdef SQLITE_DBCONFIG_DQS_DML
	/* "amout" is a column that does not exist, never the string 'amout' */
	sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DML, 0, &on);
	sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DDL, 0, &on);
#endif
	if (sqlite3_create_module_v2(db, "source", &source_module, x, NULL) != SQLITE_OK)
		return sl_err_set(err, SL_EINVAL, "job %s: sql: %s", x->env->job,
				  sqlite3_errmsg(db));
	for (size_t i = 0; i < sizeof(setup) / sizeof(setup[0]); i++) {
		char *msg = NULL;
		if (sqlite3_exec(db, setup[i], NULL, NULL, &msg) != SQLITE_OK) {
			rc = sl_err_set(err, SL_ECONFIG, "job %s: sql: %s: %s", x->env->job,
					    setup[i], msg ? msg : sqlite3_errmsg(db));
			sqlite3_free(msg);
			return rc;
		}
	}
	if ((rc = modules_list(x, err)) != 0)
		return rc;
	/* a string or blob is at most a record long; statements are short */
	size_t len = lim->max_record < (size_t)1 << 20 ? (size_t)1 << 20 : lim->max_record;
	sqlite3_limit(db, SQLITE_LIMIT_LENGTH, len > 1000000000 ? 1000000000 : (int)len);
	sqlite3_limit(db, SQLITE_LIMIT_SQL_LENGTH, SL_CONFIG_SQL_MAX);
	sqlite3_limit(db, SQLITE_LIMIT_EXPR_DEPTH, 100);
	sqlite3_limit(db, SQLITE_LIMIT_COMPOUND_SELECT, 50);
	sqlite3_limit(db, SQLITE_LIMIT_VDBE_OP, 100000);
	sqlite3_limit(db, SQLITE_LIMIT_FUNCTION_ARG, 127);
	sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0);
	sqlite3_limit(db, SQLITE_LIMIT_LIKE_PATTERN_LENGTH, 10000);
	sqlite3_limit(db, SQLITE_LIMIT_VARIABLE_NUMBER, 0);
	sqlite3_limit(db, SQLITE_LIMIT_TRIGGER_DEPTH, 0);
	sqlite3_limit(db, SQLITE_LIMIT_WORKER_THREADS, 0);
	sqlite3_set_authorizer(db, authorize, x);
	sqlite3_progress_handler(db, STEP_CHUNK, on_progress, x);
	return 0;
}

/* ---- open ------------------------------------------------------------------------------ */

static enum col_class class_of(const struct sl_type *t)
{
	switch (t->kind) {
	case SL_T_INT: return CL_INT;
	case SL_T_BOOL: return CL_BOOL;
	case SL_T_FLOAT:
	case SL_T_DOUBLE:
	case SL_T_DECIMAL: return CL_REAL;
	case SL_T_STRUCT:
	case SL_T_LIST:
	case SL_T_MAP:
	case SL_T_JSON: return CL_JSON;
	default: return CL_TEXT;
	}
}

/* Whether a column of that name (SQL's names ignore ASCII case) is there already. */
static bool col_taken(const struct sqlx *x, const char *name)
{
	for (size_t i = 0; i < x->n_cols; i++)
		if (sqlite3_stricmp(x->cols[i].name, name) == 0)
			return true;
	return false;
}

static int cols_make(struct sqlx *x, struct sl_err *err)
{
	const struct sl_etl_xform_env *env = x->env;
	const struct sl_type *src = env->src_row;
	const char *pk = env->src_part_keys ? env->src_part_keys : "";
	if (!src || src->kind != SL_T_STRUCT)
		return sl_err_set(err, SL_EINVAL, "job %s: the source's row type is not a struct",
				  env->job);
	if (src->n_fields > MAX_COLS)
		return sl_err_set(err, SL_ECONFIG, "job %s: sql: the source table has %zu columns; "
				  "a SQL transform reads at most %d", env->job, src->n_fields,
				  MAX_COLS);
	for (const char *p = pk; *p;) {
		size_t n = strcspn(p, ",");
		if (x->n_pkeys == MAX_PKEYS)
			break;
		if (n && !(x->pkeys[x->n_pkeys++] = strndup(p, n)))
			return sl_err_set(err, SL_ENOMEM, "out of memory");
		p += n + (p[n] == ',');
	}
	x->cols = calloc(src->n_fields + 3 + x->n_pkeys, sizeof(*x->cols));
	x->t_string = sl_type_new(SL_T_STRING, true);
	x->t_int = sl_type_new(SL_T_INT, true);
	x->t_json = sl_type_new(SL_T_JSON, true);
	if (!x->cols || !x->t_string || !x->t_int || !x->t_json)
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	/* the source's columns; one whose name differs from an earlier one's in case only
	 * cannot be told apart in SQL: _record has it */
	for (size_t i = 0; i < src->n_fields; i++) {
		const struct sl_field *f = &src->fields[i];
		if (col_taken(x, f->name))
			continue;
		x->cols[x->n_cols++] = (struct col){.name = f->name, .kind = COL_SRC,
						    .cls = class_of(f->type), .type = f->type};
	}
	x->n_src = x->n_cols;
	size_t cap = 16;
	while (cap < x->n_src * 2)
		cap *= 2;
	if (!(x->idx = calloc(cap, sizeof(*x->idx))))
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	x->idx_mask = cap - 1;
	for (size_t i = 0; i < x->n_src; i++)
		name_idx_put(x, i);
	/* the hidden ones, unless the source has such a column */
	static const struct {
		const char *name;
		enum col_kind kind;
		enum col_class cls;
	} hidden[] = {{"_object", COL_OBJECT, CL_TEXT},
		      {"_line", COL_LINE, CL_INT},
		      {"_record", COL_RECORD, CL_JSON}};
	for (size_t i = 0; i < 3; i++)
		if (!col_taken(x, hidden[i].name))
			x->cols[x->n_cols++] = (struct col){
				.name = hidden[i].name,
				.kind = hidden[i].kind,
				.cls = hidden[i].cls,
				.type = hidden[i].kind == COL_LINE     ? x->t_int
					: hidden[i].kind == COL_RECORD ? x->t_json
								       : x->t_string};
	for (size_t k = 0; k < x->n_pkeys; k++)
		if (!col_taken(x, x->pkeys[k]))
			x->cols[x->n_cols++] = (struct col){.name = x->pkeys[k], .kind = COL_PART,
							    .cls = CL_TEXT, .part = k,
							    .type = x->t_string};
	return 0;
}

/* The column of source a result column passes through as it is, from its decltype
 * ("TEXT S3"), or NULL. */
static const struct col *decl_col(const struct sqlx *x, const char *decl)
{
	const char *sp = decl ? strrchr(decl, ' ') : NULL;
	char *end;
	if (!sp || sp[1] != 'S' || !isdigit((unsigned char)sp[2]))
		return NULL;
	unsigned long i = strtoul(sp + 2, &end, 10);
	if (*end || i >= x->n_cols)
		return NULL;
	return &x->cols[i];
}

static bool name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > NAME_MAX_BYTES || !(s[0] == '_' || (s[0] >= 'a' && s[0] <= 'z')))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!(s[i] == '_' || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9')))
			return false;
	return true;
}

/* A column name made from s, to suggest: lower case, other characters '_'. */
static void name_suggest(const char *s, char *out, size_t cap)
{
	size_t o = 0;
	bool gap = false;
	for (; *s && o + 2 < cap; s++) {
		unsigned char ch = (unsigned char)*s;
		if (isalnum(ch) && ch < 0x80) {
			if (gap && o)
				out[o++] = '_';
			if (o == 0 && isdigit(ch))
				out[o++] = '_';
			out[o++] = (char)tolower(ch);
			gap = false;
		} else {
			gap = true;
		}
	}
	out[o] = '\0';
	if (o == 0)
		snprintf(out, cap, "col");
}

static bool is_pcol(const struct sl_job_conf *conf, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = conf->partition_by; *p;) {
		size_t k = strcspn(p, ",");
		if (k == n && memcmp(p, name, n) == 0)
			return true;
		p += k + (p[k] == ',');
	}
	return false;
}

static int out_make(struct sqlx *x, struct sl_err *err)
{
	const char *job = x->env->job;
	int n = sqlite3_column_count(x->st);
	if (!(x->out = calloc((size_t)n, sizeof(*x->out))))
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	x->all_known = true;
	for (int i = 0; i < n; i++) {
		struct outcol *o = &x->out[x->n_out];
		const char *name = sqlite3_column_name(x->st, i);
		if (!name)
			return sl_err_set(err, SL_ENOMEM, "out of memory");
		if (!name_ok(name)) {
			char sug[64];
			name_suggest(name, sug, sizeof(sug));
			return sl_err_set(err, SL_ECONFIG,
					  "job %s: sql: result column %d is named '%.200s', not a "
					  "column name ([a-z_][a-z0-9_]*, at most %d bytes): "
					  "name it "
					  "with AS, e.g. %.200s AS %s",
					  job, i + 1, name, NAME_MAX_BYTES, name, sug);
		}
		for (size_t j = 0; j < x->n_out; j++)
			if (strcmp(x->out[j].name, name) == 0)
				return sl_err_set(err, SL_ECONFIG,
						  "job %s: sql: result columns %zu and %d are both "
						  "named %s: rename one with AS",
						  job, j + 1, i + 1, name);
		if (!(o->name = strdup(name)))
			return sl_err_set(err, SL_ENOMEM, "out of memory");
		x->n_out++;
		size_t kl = strlen(name) + 4;
		if (!(o->key = malloc(kl)))
			return sl_err_set(err, SL_ENOMEM, "out of memory");
		snprintf(o->key, kl, "\"%s\":", name);
		const struct col *c = decl_col(x, sqlite3_column_decltype(x->st, i));
		o->known = c ? c->type : NULL;
		o->pcol = is_pcol(x->env->conf, name);
		if (!o->known)
			x->all_known = false;
	}
	/* partition_by: columns of the output, or dt made from its ts (run.c) */
	for (const char *p = x->env->conf->partition_by; *p;) {
		size_t k = strcspn(p, ",");
		bool found = false, has_ts = false;
		for (size_t j = 0; j < x->n_out; j++) {
			found = found || (strlen(x->out[j].name) == k &&
					  memcmp(x->out[j].name, p, k) == 0);
			has_ts = has_ts || strcmp(x->out[j].name, "ts") == 0;
		}
		if (!found && !(k == 2 && memcmp(p, "dt", 2) == 0 && has_ts))
			return sl_err_set(err, SL_ECONFIG,
					  "job %s: partition_by column %.*s is not a column of the "
					  "output of its sql%s",
					  job, (int)k, p,
					  k == 2 && memcmp(p, "dt", 2) == 0
						  ? " (dt can also be made from a column ts)" : "");
		p += k + (p[k] == ',');
	}
	return 0;
}

/* Skips whitespace, comments and semicolons; true when nothing else is left. */
static bool only_blank(const char *s)
{
	for (;;) {
		while (*s == ';' || isspace((unsigned char)*s))
			s++;
		if (s[0] == '-' && s[1] == '-') {
			s += strcspn(s, "\n");
		} else if (s[0] == '/' && s[1] == '*') {
			const char *e = strstr(s + 2, "*/");
			if (!e)
				return true; /* SQLite reads an unclosed comment to the end */
			s = e + 2;
		} else {
			return *s == '\0';
		}
	}
}

static int prepare(struct sqlx *x, struct sl_err *err)
{
	const char *job = x->env->job, *sql = x->env->conf->sql, *tail = NULL;
	sqlite3 *db = x->db;
	x->deny[0] = '\0';
	int rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &x->st, &tail);
	if (rc != SQLITE_OK) {
		if (x->deny[0])
			return sl_err_set(err, SL_ECONFIG, "job %s: sql: not authorized: %s (a SQL "
					  "transform reads the table source only)", job, x->deny);
		int at = -1;
#if SQLITE_VERSION_NUMBER >= 3038000
		at = sqlite3_error_offset(db);
#endif
		if (at >= 0)
			return sl_err_set(err, SL_ECONFIG, "job %s: sql: %s (at offset %d)", job,
					  sqlite3_errmsg(db), at);
		return sl_err_set(err, SL_ECONFIG, "job %s: sql: %s", job, sqlite3_errmsg(db));
	}
	if (!x->st)
		return sl_err_set(err, SL_ECONFIG, "job %s: sql: no statement", job);
	if (tail && !only_blank(tail))
		return sl_err_set(err, SL_ECONFIG, "job %s: sql: one statement only: '%.60s' "
				  "follows it (at offset %td)", job, tail, tail - sql);
	if (!sqlite3_stmt_readonly(x->st) || sqlite3_stmt_isexplain(x->st) ||
	    sqlite3_column_count(x->st) == 0)
		return sl_err_set(err, SL_ECONFIG, "job %s: sql: not a SELECT", job);
	return 0;
}

static void sql_free(void *state);

/* A row type with the result columns of known type, and the others from inferred
 * (NULL when every one is known), merged with the target's. */
static int row_type(struct sqlx *x, const struct sl_type *inferred, struct sl_err *err)
{
	struct sl_type *run = sl_type_new(SL_T_STRUCT, false);
	const struct sl_type *target = x->env->target_row;
	size_t typed = 0;
	if (!run)
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	if (target && target->kind != SL_T_STRUCT)
		target = NULL;
	for (size_t i = 0; i < x->n_out; i++) {
		const struct outcol *o = &x->out[i];
		typed += o->known || o->n_blob || o->n_other || o->pcol ||
			 (target && sl_type_field(target, o->name));
	}
	for (size_t i = 0; i < x->n_out; i++) {
		const struct outcol *o = &x->out[i];
		const struct sl_field *f = inferred ? sl_type_field(inferred, o->name) : NULL;
		struct sl_type *t = NULL;
		if (o->known)
			t = sl_type_clone(o->known);
		else if (o->n_blob && !o->n_other)
			t = sl_type_new(SL_T_BINARY, true);
		else if (f)
			t = sl_type_clone(f->type);
		else if (o->pcol || typed == 0)
			t = sl_type_new(SL_T_STRING, true); /* no column would be left: string */
		else
			continue; /* only nulls so far: left out until a value shows its type */
		if (!t) {
			sl_type_free(run);
			return sl_err_set(err, SL_ENOMEM, "out of memory");
		}
		t->nullable = true;
		if (sl_type_add_field(run, o->name, t, err) != 0) {
			sl_type_free(run);
			return sl_err_prefix(err, "job %s", x->env->job);
		}
	}
	if (target) {
		struct sl_merge_opts mo;
		sl_merge_opts_default(&mo);
		mo.conflict_kind = SL_T_STRING;
		struct sl_type *m = sl_type_merge(target, run, &mo, NULL, err);
		sl_type_free(run);
		if (!m)
			return sl_err_prefix(err, "job %s: the output's type and the target's",
					     x->env->job);
		run = m;
	}
	x->row = run;
	for (size_t i = 0; i < x->n_out; i++) {
		const struct sl_field *f = sl_type_field(x->row, x->out[i].name);
		x->out[i].final = f ? f->type : NULL;
	}
	return 0;
}

static int give_row(struct sqlx *x, struct sl_type **row, struct sl_err *err)
{
	if (!(*row = sl_type_clone(x->row)))
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	return 0;
}

static int sql_open(const struct sl_etl_xform_env *env, void **state, struct sl_type **row,
		    struct sl_err *err)
{
	struct sqlx *x = calloc(1, sizeof(*x));
	int rc;
	*row = NULL;
	if (!x)
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	x->env = env;
	x->in.fd = x->res.fd = -1;
	x->row_lim = *env->lim;
	sl_buf_init(&x->line, x->row_lim.max_record);
	sl_buf_init(&x->line2, x->row_lim.max_record);
	if ((rc = cols_make(x, err)) != 0 || (rc = vfs_register(x, err)) != 0)
		goto fail;
	rc = sqlite3_open_v2(":memory:", &x->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			     x->vfs_name);
	if (rc != SQLITE_OK) {
		rc = sl_err_set(err, rc == SQLITE_NOMEM ? SL_ENOMEM : SL_EINVAL,
				"job %s: sql: cannot open a SQLite connection: %s", env->job,
				x->db ? sqlite3_errmsg(x->db) : sqlite3_errstr(rc));
		goto fail;
	}
	if ((rc = db_setup(x, err)) != 0 || (rc = prepare(x, err)) != 0 ||
	    (rc = out_make(x, err)) != 0)
		goto fail;
	if (!(x->p_row = sl_json_parser_new(&x->row_lim)) ||
	    !(x->p_val = sl_json_parser_new(&x->row_lim)) ||
	    !(x->p_conv = sl_json_parser_new(&x->row_lim))) {
		rc = sl_err_set(err, SL_ENOMEM, "out of memory");
		goto fail;
	}
	if (x->all_known) {
		if ((rc = row_type(x, NULL, err)) != 0 || (rc = give_row(x, row, err)) != 0)
			goto fail;
	}
	*state = x;
	return 0;
fail:
	sql_free(x);
	return rc;
}

/* ---- record ------------------------------------------------------------------------------ */

static int sql_record(void *state, const struct sl_etl_rec *rec, struct sl_err *err)
{
	struct sqlx *x = state;
	const struct sl_json_doc *d = rec->doc;
	const char *key = rec->obj ? rec->obj->key : "";
	const char *part = rec->part ? rec->part : "";
	int rc;
	if (!x->in_open) {
		if ((rc = spool_open(x->env->tmp_dir, &x->in, err)) != 0)
			return sl_err_prefix(err, "job %s", x->env->job);
		x->in_open = true;
	}
	if (x->n_records == 0 || strcmp(key, x->last_key) != 0 || strcmp(part, x->last_part) != 0) {
		uint32_t kl = (uint32_t)strnlen(key, SL_KEY_MAX);
		uint32_t pl = (uint32_t)strnlen(part, SL_CAT_PART_MAX - 1);
		char h[9];
		h[0] = 'O';
		memcpy(h + 1, &kl, 4);
		memcpy(h + 5, &pl, 4);
		if ((rc = spool_write(&x->in, h, 9, err)) != 0 ||
		    (rc = spool_write(&x->in, key, kl, err)) != 0 ||
		    (rc = spool_write(&x->in, part, pl, err)) != 0)
			return rc;
		memcpy(x->last_key, key, kl);
		x->last_key[kl] = '\0';
		memcpy(x->last_part, part, pl);
		x->last_part[pl] = '\0';
	}
	if (d->len > UINT32_MAX)
		return x->env->refuse(x->env->ctx, rec, "the record is too large for SQL", err);
	char h[13];
	uint32_t len = (uint32_t)d->len;
	h[0] = 'R';
	memcpy(h + 1, &rec->line, 8);
	memcpy(h + 9, &len, 4);
	if ((rc = spool_write(&x->in, h, 13, err)) != 0 ||
	    (rc = spool_write(&x->in, d->text, d->len, err)) != 0)
		return rc;
	x->n_records++;
	return 0;
}

/* ---- result rows -------------------------------------------------------------------------- */

static int put_double(struct sl_buf *b, double d)
{
	char s[SL_DOUBLE_TEXT_MAX];
	if (isnan(d))
		return sl_buf_puts(b, "null");
	if (isinf(d))
		return sl_buf_puts(b, d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
	/* a REAL stays a double when read back: 3.0, not 3 */
	return sl_buf_append(b, s, sl_double_text(s, d, false, true));
}

static int put_base64(struct sl_buf *b, const unsigned char *p, size_t n)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz0123456789+/";
	int rc = sl_buf_reserve(b, (n + 2) / 3 * 4 + 2);
	if (rc)
		return rc;
	char *o = b->data + b->len;
	*o++ = '"';
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		*o++ = tab[v >> 18];
		*o++ = tab[(v >> 12) & 63];
		*o++ = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		*o++ = i + 2 < n ? tab[v & 63] : '=';
	}
	*o++ = '"';
	b->len = (size_t)(o - b->data);
	b->data[b->len] = '\0';
	return 0;
}

/* Whether text, without SQLite's JSON mark, is the JSON text of a struct, list, map or
 * json column of source passed through: the mark does not survive a sort (ORDER BY) or
 * a materialised subquery, and such a column's values are always JSON text. */
static bool lost_json(struct sqlx *x, const struct outcol *o, const char *p, size_t n)
{
	struct sl_json_doc d;
	struct sl_json_error je;
	if (!o->known || class_of(o->known) != CL_JSON)
		return false;
	return sl_json_parse(x->p_val, p, n, &d, &je) == 0;
}

/* The current result row as a JSON object, each value as SQLite has it: integers,
 * doubles, strings (JSON text when SQLite marks it as JSON), blobs in base64, nulls. */
static int row_text(struct sqlx *x, struct sl_buf *b)
{
	int rc = sl_buf_puts(b, "{");
	for (size_t i = 0; rc == 0 && i < x->n_out; i++) {
		struct outcol *o = &x->out[i];
		sqlite3_value *v = sqlite3_column_value(x->st, (int)i);
		if (i && (rc = sl_buf_puts(b, ",")) != 0)
			break;
		if ((rc = sl_buf_puts(b, o->key)) != 0)
			break;
		int type = sqlite3_value_type(v);
		if (type != SQLITE_NULL && type != SQLITE_BLOB)
			o->n_other++;
		switch (type) {
		case SQLITE_INTEGER:
			rc = sl_buf_printf(b, "%lld", (long long)sqlite3_value_int64(v));
			break;
		case SQLITE_FLOAT: rc = put_double(b, sqlite3_value_double(v)); break;
		case SQLITE_TEXT: {
			const char *p = (const char *)sqlite3_value_text(v);
			size_t n = (size_t)sqlite3_value_bytes(v);
			if (!p)
				return SL_ENOMEM;
			rc = sqlite3_value_subtype(v) == SUB_JSON || lost_json(x, o, p, n)
				     ? sl_buf_append(b, p, n)
				     : sl_buf_json_str(b, p, n);
			break;
		}
		case SQLITE_BLOB:
			o->n_blob++;
			rc = put_base64(b, sqlite3_value_blob(v), (size_t)sqlite3_value_bytes(v));
			break;
		default: rc = sl_buf_puts(b, "null"); break;
		}
	}
	return rc ? rc : sl_buf_puts(b, "}");
}

/* Whether the value at token t needs converting for type ty (NULL: the column is not
 * in the output row, nothing to do). */
static bool needs_conv(const struct sl_type *ty, const struct sl_json_tok *t)
{
	if (!ty || t->type == SL_JSON_NULL)
		return false;
	switch (ty->kind) {
	case SL_T_BOOL: return t->type == SL_JSON_INT;
	case SL_T_STRING: return t->type != SL_JSON_STRING;
	case SL_T_DECIMAL: return t->type == SL_JSON_DOUBLE;
	case SL_T_INT: return t->type == SL_JSON_STRING;
	default: return false;
	}
}

/* Appends the value at token ti of d converted for ty. */
static int conv_value(const struct sl_type *ty, const struct sl_json_doc *d, size_t ti,
		      struct sl_buf *b)
{
	const struct sl_json_tok *t = &d->tok[ti];
	const char *p;
	size_t n;
	raw_span(d, ti, &p, &n);
	if (!needs_conv(ty, t))
		return sl_buf_append(b, p, n);
	switch (ty->kind) {
	case SL_T_BOOL:
		if (t->v.i == 0 || t->v.i == 1)
			return sl_buf_puts(b, t->v.i ? "true" : "false");
		break; /* the writer refuses it, saying why */
	case SL_T_STRING: return sl_buf_json_str(b, p, n);
	case SL_T_DECIMAL: return sl_buf_printf(b, "%.*f", (int)ty->scale, t->v.d);
	case SL_T_INT: {
		/* an integer beyond int64, which SQLite held as text */
		size_t i = t->v.s[0] == '-';
		bool digits = t->len > i && t->len < 40;
		for (; digits && i < t->len; i++)
			digits = t->v.s[i] >= '0' && t->v.s[i] <= '9';
		if (digits)
			return sl_buf_append(b, t->v.s, t->len);
		break;
	}
	default: break;
	}
	return sl_buf_append(b, p, n);
}

/* Emits one result row (its JSON text as row_text made it), converted to the output
 * row type where it needs it. */
static int emit_text(struct sqlx *x, const char *text, size_t len, struct sl_err *err)
{
	const struct sl_etl_xform_env *env = x->env;
	struct sl_json_doc d;
	struct sl_json_error je;
	char why[400];
	if (sl_json_parse(x->p_row, text, len, &d, &je) != 0) {
		snprintf(why, sizeof(why), "sql: a result row that is not JSON: %s", je.msg);
		return env->refuse(env->ctx, NULL, why, err);
	}
	/* members are the result columns, in their order (row_text) */
	bool conv = false;
	size_t ti = 1;
	for (size_t i = 0; i < x->n_out && ti + 1 < d.n_tok; i++) {
		const struct sl_json_tok *v = &d.tok[ti + 1];
		conv = conv || needs_conv(x->out[i].final, v);
		ti = v->type == SL_JSON_OBJECT || v->type == SL_JSON_ARRAY ? v->v.end + 1 : ti + 2;
	}
	if (!conv)
		return env->emit(env->ctx, NULL, &d, err);
	struct sl_buf *b = &x->line2;
	int rc = 0;
	sl_buf_reset(b);
	rc = sl_buf_puts(b, "{");
	ti = 1;
	for (size_t i = 0; rc == 0 && i < x->n_out && ti + 1 < d.n_tok; i++) {
		const struct sl_json_tok *v = &d.tok[ti + 1];
		if (i)
			rc = sl_buf_puts(b, ",");
		if (!rc)
			rc = sl_buf_puts(b, x->out[i].key);
		if (!rc)
			rc = conv_value(x->out[i].final, &d, ti + 1, b);
		ti = v->type == SL_JSON_OBJECT || v->type == SL_JSON_ARRAY ? v->v.end + 1 : ti + 2;
	}
	if (!rc)
		rc = sl_buf_puts(b, "}");
	if (rc == SL_ELIMIT)
		return env->refuse(env->ctx, NULL, "sql: a result row larger than a record may be",
				   err);
	if (rc)
		return sl_err_set(err, rc, "out of memory");
	struct sl_json_doc cd;
	if (sl_json_parse(x->p_conv, b->data, b->len, &cd, &je) != 0) {
		snprintf(why, sizeof(why), "sql: a result row that is not JSON: %s", je.msg);
		return env->refuse(env->ctx, NULL, why, err);
	}
	return env->emit(env->ctx, NULL, &cd, err);
}

/* Why sqlite3_step failed, as an error of the run. */
static int step_error(struct sqlx *x, int rc, struct sl_err *err)
{
	const char *job = x->env->job;
	if (x->over_budget)
		return sl_err_set(err, SL_ELIMIT,
				  "job %s: sql: the statement was stopped after %" PRId64
				  " steps, its budget for %" PRId64 " records (%" PRId64
				  " + %" PRId64 " per record): an endless recursion, or a join "
				  "that "
				  "grows with the square of the input?",
				  job, x->steps, x->n_records, STEPS_BASE, STEPS_PER_RECORD);
	if (x->have_cerr)
		return sl_err_set(err, x->cerr.code, "job %s: sql: %s", job, x->cerr.msg);
	if ((rc & 0xff) == SQLITE_AUTH && x->deny[0])
		return sl_err_set(err, SL_EINVAL, "job %s: sql: not authorized: %s", job, x->deny);
	return sl_err_set(err, (rc & 0xff) == SQLITE_NOMEM ? SL_ENOMEM
			  : (rc & 0xff) == SQLITE_TOOBIG ? SL_ELIMIT : SL_EINVAL,
			  "job %s: sql: %s", job, sqlite3_errmsg(x->db));
}

/* The next result row as JSON text in x->line: 1, 0 at the end, or an error. A row
 * over the limit of a record is refused (and the next one read). */
static int next_row(struct sqlx *x, struct sl_err *err)
{
	for (;;) {
		int rc = sqlite3_step(x->st);
		if (rc == SQLITE_DONE)
			return 0;
		if (rc != SQLITE_ROW)
			return step_error(x, rc, err);
		if (++x->rows > x->max_rows)
			return sl_err_set(err, SL_ELIMIT,
					  "job %s: sql: the statement gave more than %" PRId64
					  " rows, its limit for %" PRId64 " records (%" PRId64
					  " + %" PRId64 " per record): an endless recursion?",
					  x->env->job, x->max_rows, x->n_records, ROWS_BASE,
					  ROWS_PER_RECORD);
		sl_buf_reset(&x->line);
		rc = row_text(x, &x->line);
		if (rc == 0)
			return 1;
		if (rc != SL_ELIMIT)
			return sl_err_set(err, rc, "out of memory");
		if ((rc = x->env->refuse(x->env->ctx, NULL, "sql: a result row larger than a "
					 "record may be", err)) != 0)
			return rc;
	}
}

/* Every result row emitted as it comes (the type is known). */
static int run_known(struct sqlx *x, struct sl_err *err)
{
	int rc;
	for (int64_t n = 0; (rc = next_row(x, err)) == 1; n++) {
		if (n == 0)
			sl_crash_point("sql_emit");
		if ((rc = emit_text(x, x->line.data, x->line.len, err)) != 0)
			return rc;
	}
	return rc;
}

/* The result rows spooled while their types are inferred, then the type given and the
 * rows emitted. */
static int run_inferred(struct sqlx *x, struct sl_type **row, struct sl_err *err)
{
	const struct sl_etl_xform_env *env = x->env;
	struct sl_infer_opts io;
	struct sl_infer *inf = NULL;
	struct sl_type *inferred = NULL;
	struct rd rd = {.fd = -1};
	int64_t n = 0;
	int rc;

	sl_infer_opts_default(&io);
	io.conflict_kind = SL_T_STRING;
	io.omit_unknown = true;
	if (!(inf = sl_infer_new(&io)))
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	if ((rc = spool_open(env->tmp_dir, &x->res, err)) != 0) {
		sl_err_prefix(err, "job %s", env->job);
		goto done;
	}
	x->res_open = true;
	while ((rc = next_row(x, err)) == 1) {
		struct sl_json_doc d;
		struct sl_json_error je;
		if (sl_json_parse(x->p_row, x->line.data, x->line.len, &d, &je) != 0) {
			char why[400];
			snprintf(why, sizeof(why), "sql: a result row that is not JSON: %s",
				 je.msg);
			if ((rc = env->refuse(env->ctx, NULL, why, err)) != 0)
				goto done;
			continue;
		}
		if ((rc = sl_infer_add(inf, &d, err)) != 0) {
			sl_err_prefix(err, "job %s: sql: the result's types", env->job);
			goto done;
		}
		uint32_t len = (uint32_t)x->line.len;
		if ((rc = spool_write(&x->res, &len, 4, err)) != 0 ||
		    (rc = spool_write(&x->res, x->line.data, len, err)) != 0)
			goto done;
		if ((++n & 1023) == 0 && env->progress)
			env->progress(env->ctx);
	}
	if (rc)
		goto done;
	sqlite3_reset(x->st);
	if (n == 0)
		goto done; /* nothing to emit, no type to give */
	if (!(inferred = sl_infer_row_type(inf, err))) {
		rc = err ? err->code : SL_EINVAL;
		sl_err_prefix(err, "job %s: sql: the result's types", env->job);
		goto done;
	}
	if ((rc = row_type(x, inferred, err)) != 0 || (rc = give_row(x, row, err)) != 0 ||
	    (rc = spool_flush(&x->res, err)) != 0)
		goto done;
	sl_crash_point("sql_emit");
	rd_start(&rd, &x->res);
	for (int64_t i = 0; i < n; i++) {
		if ((rc = rd_need(&rd, 4, err)) != 0 ||
		    (rc = rd_need(&rd, 4 + (size_t)get_u32(rd.buf + rd.at), err)) != 0) {
			if (rc == 1)
				rc = sl_err_set(err, SL_EIO, "the SQL result spool ends early");
			goto done;
		}
		uint32_t len = get_u32(rd.buf + rd.at);
		const char *text = rd.buf + rd.at + 4;
		rd.at += 4 + (size_t)len;
		if ((rc = emit_text(x, text, len, err)) != 0)
			goto done;
		if ((i & 1023) == 0 && env->progress)
			env->progress(env->ctx);
	}
done:
	free(rd.buf);
	sl_type_free(inferred);
	sl_infer_free(inf);
	return rc;
}

static int sql_finish(void *state, struct sl_type **row, struct sl_err *err)
{
	struct sqlx *x = state;
	int rc;
	if (x->n_records == 0)
		return 0; /* nothing new: the statement is not run (an aggregate would give a
			   * row for no input) */
	if ((rc = spool_flush(&x->in, err)) != 0)
		return rc;
	x->steps = 0;
	x->max_steps = STEPS_BASE + STEPS_PER_RECORD * x->n_records;
	x->rows = 0;
	x->max_rows = ROWS_BASE + ROWS_PER_RECORD * x->n_records;
	x->over_budget = x->have_cerr = false;
	sqlite3_reset(x->st);
	rc = x->all_known ? run_known(x, err) : run_inferred(x, row, err);
	sqlite3_reset(x->st);
	return rc;
}

/* ---- free ------------------------------------------------------------------------------- */

static void sql_free(void *state)
{
	struct sqlx *x = state;
	if (!x)
		return;
	sqlite3_finalize(x->st);
	/* the VFS must outlive the connection: a connection that cannot close (it never
	 * should, every statement is finalized) keeps it, and x, for good */
	if (x->db && sqlite3_close(x->db) != SQLITE_OK)
		return;
	if (x->vfs_on)
		sqlite3_vfs_unregister(&x->vfs);
	spool_close(&x->in);
	spool_close(&x->res);
	for (size_t i = 0; i < x->n_out; i++) {
		free(x->out[i].name);
		free(x->out[i].key);
	}
	free(x->out);
	for (size_t k = 0; k < x->n_pkeys; k++)
		free(x->pkeys[k]);
	for (size_t i = 0; i < x->n_modules; i++)
		free(x->modules[i]);
	free(x->modules);
	free(x->cols);
	free(x->idx);
	sl_type_free(x->t_string);
	sl_type_free(x->t_int);
	sl_type_free(x->t_json);
	sl_type_free(x->row);
	sl_buf_release(&x->line);
	sl_buf_release(&x->line2);
	sl_json_parser_free(x->p_row);
	sl_json_parser_free(x->p_val);
	sl_json_parser_free(x->p_conv);
	free(x);
}

const struct sl_etl_xform_ops sl_etl_xform_sql = {
	.name = "sql",
	.open = sql_open,
	.record = sql_record,
	.finish = sql_finish,
	.free = sql_free,
};
