/*
 * stage.c - the crawler stage (crawl.h gives the steps and the promises; docs/catalog.md
 * "The crawler" the rules for people).
 *
 * One batch, step by step (sl_crawl_batch):
 *   1. Events. Each body is parsed with the JSON engine; a body that is not an event we
 *      know is acknowledged and counted skipped. ObjectCreated: skipped when the index no
 *      longer holds that version (stale: a newer event comes) or the catalog already has
 *      it or a newer one (repeat). ObjectRemoved: applies when the catalog holds the key
 *      at that version or an older one and the index holds no newer present version.
 *   2. Placing and reading. Each created object is placed by the table rule (layout.c)
 *      and read (scan.c): only counted when its subject has a registered schema (the
 *      schema's types win), else its row type inferred. Objects that cannot be placed or
 *      read are rejected (a file row in state rejected, a drift entry), never retried.
 *   3. Planning, in memory only, so that it can run again: the tables of the batch are
 *      loaded once each; objects whose layout disagrees with their table (another
 *      prefix with the same name, another format, other partition keys) are rejected;
 *      the others' types are merged into the table's schema under its policy, giving at
 *      most one new version per table, drift entries and the version's change JSON.
 *      Removals follow the table's deletion policy.
 *   4. One catalog_commit with every table, file, removal, drift entry, receipt and
 *      counter. SL_ESTALE (another crawler changed a table) plans again from freshly
 *      loaded tables -- the objects are not read again -- up to COMMIT_ATTEMPTS times.
 * A failure before 4 commits nothing: the messages come back (sl_crawl_run puts them back
 * with a growing delay) and the same steps run again; a repeated message changes nothing
 * (the seq checks of step 1 and the commit's own, catalog.h promise 3).
 *
 * The change JSON of a version (catalog history) is
 *   {"by":"crawl","objects":N,"example":KEY, and what applies of
 *    "created":true, "registered":{"subject":S,"version":V},
 *    "added":[PATH,...], "nullable":[PATH,...], "widened":[{"path","from","to"},...],
 *    "conflicts":[{"path","from","to"},...], "maps":[PATH,...]}
 * and for a rebuild {"by":"crawl --full","rebuilt_from":OLD_VERSION,"objects":N,...}.
 */
#include "crawl/crawl.h"

#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/json.h"
#include "queue/queue.h"
#include "schema/registry.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/crashpoint.h"
#include "validate/validate.h"

#define EVENT_MAX (64 << 10)   /* our events are far smaller */
#define COMMIT_ATTEMPTS 5      /* plans against freshly loaded tables after SL_ESTALE */
#define FULL_ATTEMPTS 3        /* crawl --full reads everything again after SL_ESTALE */
#define IDLE_WAIT_MS 1000      /* long poll when both queues are empty */

static const char *const crawl_queues[] = {"raw", "curated"};

/* Crash-test points (util/crashpoint.h, SLUICE_TEST_CRASH):
 *   scanned   the batch's objects are read and its plan made, before the commit
 *   commit    right after the commit
 */

/* ---- the stage ------------------------------------------------------------------------ */

struct sl_crawl_stage {
	struct sl_lake *lake; /* borrowed */
	struct sl_meta *m;
	const struct sl_config *cfg;
	struct sl_json_limits lim;
	/* the batch being read, for the heartbeat */
	const char *hb_queue;
	const struct sl_message *hb_msgs;
	size_t hb_n;
	int64_t hb_vt_ms, hb_ms;
};

int sl_crawl_stage_open(struct sl_lake *lake, struct sl_crawl_stage **out, struct sl_err *err)
{
	struct sl_crawl_stage *st = calloc(1, sizeof(*st));
	*out = NULL;
	if (!st)
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	st->lake = lake;
	st->m = &lake->meta;
	st->cfg = &lake->cfg;
	/* what passed the validator's limits must pass ours */
	sl_json_limits_default(&st->lim);
	if (st->cfg->validate.max_depth > 0)
		st->lim.max_depth = (uint32_t)st->cfg->validate.max_depth;
	if (st->cfg->validate.max_record > 0)
		st->lim.max_record = (size_t)st->cfg->validate.max_record;
	if (st->cfg->validate.max_string > 0)
		st->lim.max_string = (size_t)st->cfg->validate.max_string;
	*out = st;
	return 0;
}

void sl_crawl_stage_close(struct sl_crawl_stage *st)
{
	free(st);
}

/* Keeps the batch's messages invisible while its objects are read: at half the
 * visibility timeout, each is extended by a whole one. */
static void heartbeat(struct sl_crawl_stage *st)
{
	if (!st->hb_msgs || st->hb_vt_ms <= 0)
		return;
	int64_t now = sl_mono_ms();
	if (now - st->hb_ms < st->hb_vt_ms / 2)
		return;
	st->hb_ms = now;
	for (size_t i = 0; i < st->hb_n; i++)
		sl_queue_change_visibility(st->m, st->hb_queue, st->hb_msgs[i].receipt,
					   st->hb_vt_ms, NULL);
}

/* ---- the batch's items ------------------------------------------------------------------ */

enum ev_kind { EV_NONE, EV_CREATED, EV_REMOVED };
enum verdict { V_SKIP, V_ACCEPT, V_REJECT, V_REMOVE, V_REMOVE_LOG };

/* A registered schema for a subject (per batch). */
struct regent {
	char subject[SL_SUBJECT_NAME_MAX];
	int64_t version;     /* 0: none usable (the types are inferred) */
	struct sl_type *type;
};

struct item {
	enum ev_kind kind;
	char zone[SL_ZONE_MAX];
	char key[SL_KEY_MAX + 1];
	int64_t seq;
	/* created */
	struct sl_object obj;           /* the index row */
	struct sl_crawl_layout *lay;    /* NULL when not placed */
	struct sl_crawl_scan scan;
	bool scanned;
	struct regent *reg;             /* the subject's registered schema, or NULL */
	/* a rejection that planning cannot change (not placed) */
	bool fixed_reject;
	char rej_kind[SL_CAT_KIND_MAX];
	char reason[512];
	/* placed, but its content cannot be catalogued (rejected unless its layout already
	 * is: that is the first thing to tell) */
	bool unreadable;
	char unread_reason[512];
	/* removed: the catalog's row of the key */
	struct sl_cat_file file;
	/* the plan's verdict (reset by each plan) */
	enum verdict v;
	char v_kind[SL_CAT_KIND_MAX];
	char v_reason[512];
	int64_t version;                /* the table version an accepted object was merged
					 * under */
};

/* One table of the plan. */
struct group {
	char db[SL_CAT_DB_MAX];
	char name[SL_CAT_NAME_MAX];
	bool exists;
	struct sl_cat_table old;        /* as loaded (exists) */
	struct sl_cat_table row;        /* the new row; schema owned by schema_text */
	char *schema_text;
	const struct item *fixer;       /* new table: the object that fixes its layout */
	struct regent *reg;
	const struct sl_family_conf *fam;
	bool new_version;
	struct sl_buf change;
	int64_t accepted, removals;
};

struct plan {
	struct group *g;
	size_t n_g, cap_g;
	struct sl_cat_drift *drift;
	size_t n_drift, cap_drift;
	struct sl_cat_file *files;
	size_t n_files, cap_files;
	struct sl_object *removed;
	size_t n_removed, cap_removed;
	struct sl_cat_table_change *tc;
	size_t n_tc;
	int64_t objects, records, bytes, versions, removals, rejected;
};

static void plan_release(struct plan *p)
{
	for (size_t i = 0; i < p->n_g; i++) {
		struct group *g = &p->g[i];
		if (g->exists)
			sl_cat_table_release(&g->old);
		free(g->schema_text);
		sl_buf_release(&g->change);
	}
	free(p->g);
	free(p->drift);
	free(p->files);
	free(p->removed);
	free(p->tc);
	memset(p, 0, sizeof(*p));
}

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : 16;
	void *nv = realloc(*v, ncap * size);
	if (!nv)
		return SL_ENOMEM;
	memset((char *)nv + *cap * size, 0, (ncap - *cap) * size);
	*v = nv;
	*cap = ncap;
	return 0;
}

static int drift_add(struct plan *p, const char *db, const char *table, int64_t version,
		     const char *kind, const char *path, const char *example, const char *fmt,
		     ...) __attribute__((format(printf, 8, 9)));

/* version -1: the table's new version, if it gets one (fixed when the group is done). */
static int drift_add(struct plan *p, const char *db, const char *table, int64_t version,
		     const char *kind, const char *path, const char *example, const char *fmt,
		     ...)
{
	if (grow((void **)&p->drift, &p->cap_drift, p->n_drift, sizeof(*p->drift)))
		return SL_ENOMEM;
	struct sl_cat_drift *d = &p->drift[p->n_drift++];
	va_list ap;
	memset(d, 0, sizeof(*d));
	snprintf(d->db, sizeof(d->db), "%s", db);
	snprintf(d->table, sizeof(d->table), "%s", table);
	d->version = version;
	snprintf(d->kind, sizeof(d->kind), "%s", kind);
	snprintf(d->path, sizeof(d->path), "%s", path ? path : "");
	snprintf(d->example, sizeof(d->example), "%s", example ? example : "");
	va_start(ap, fmt);
	vsnprintf(d->detail, sizeof(d->detail), fmt, ap);
	va_end(ap);
	return 0;
}

static void item_release(struct item *it)
{
	free(it->lay);
	sl_crawl_scan_release(&it->scan);
	sl_cat_file_release(&it->file);
}

/* ---- step 1: events --------------------------------------------------------------------- */

/* Reads an event body: 1 and the fields, or 0 (not an event we know; why says so). */
static int parse_event(const char *body, const char *queue, struct item *it, char *why,
		       size_t why_cap)
{
	struct sl_json_limits lim;
	struct sl_json_error e;
	size_t len = body ? strlen(body) : 0;
	sl_json_limits_default(&lim);
	lim.max_depth = 8;
	lim.max_record = EVENT_MAX;
	struct sl_json_node *ev =
		body && len <= EVENT_MAX ? sl_json_tree_parse(body, len, &lim, &e) : NULL;
	const struct sl_json_node *n;
	int ok = 0;
	if (!ev || ev->type != SL_JSON_OBJECT) {
		snprintf(why, why_cap, "not an event (not a JSON object)");
		goto done;
	}
	n = sl_json_get(ev, "event");
	if (n && n->type == SL_JSON_STRING && strcmp(n->u.str.s, "ObjectCreated:Put") == 0) {
		it->kind = EV_CREATED;
	} else if (n && n->type == SL_JSON_STRING &&
		   strcmp(n->u.str.s, "ObjectRemoved:Delete") == 0) {
		it->kind = EV_REMOVED;
	} else {
		snprintf(why, why_cap, "not an ObjectCreated:Put or ObjectRemoved:Delete event");
		goto done;
	}
	n = sl_json_get(ev, "zone");
	if (!n || n->type != SL_JSON_STRING || strcmp(n->u.str.s, queue) != 0) {
		snprintf(why, why_cap, "the event is not for the %s zone", queue);
		goto done;
	}
	snprintf(it->zone, sizeof(it->zone), "%s", queue);
	n = sl_json_get(ev, "key");
	if (!n || n->type != SL_JSON_STRING || n->u.str.len > SL_KEY_MAX ||
	    strlen(n->u.str.s) != n->u.str.len || sl_key_check(n->u.str.s, NULL) != 0) {
		snprintf(why, why_cap, "the event has no valid key");
		goto done;
	}
	memcpy(it->key, n->u.str.s, n->u.str.len + 1);
	n = sl_json_get(ev, "seq");
	if (!n || n->type != SL_JSON_INT || n->u.i <= 0) {
		snprintf(why, why_cap, "the event has no valid seq");
		goto done;
	}
	it->seq = n->u.i;
	ok = 1;
done:
	if (!ok)
		it->kind = EV_NONE;
	sl_json_tree_free(ev);
	return ok;
}

static void reject_fixed(struct item *it, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void reject_fixed(struct item *it, const char *kind, const char *fmt, ...)
{
	va_list ap;
	it->fixed_reject = true;
	snprintf(it->rej_kind, sizeof(it->rej_kind), "%s", kind);
	va_start(ap, fmt);
	vsnprintf(it->reason, sizeof(it->reason), fmt, ap);
	va_end(ap);
}

/* Decides whether a created event is current (index) and new (catalog), and places it.
 * Returns 0 (it->kind EV_NONE when there is nothing to do), or < 0 on a failure that may
 * pass. */
static int check_created(struct sl_crawl_stage *st, struct item *it, struct sl_err *err)
{
	struct sl_meta *m = st->m;
	struct sl_cat_file f;
	struct sl_err lerr = {0};
	int rc = m->ops->object_get(m->state, it->zone, it->key, &it->obj, err);
	if (rc == SL_ENOENT || (rc == 0 && (it->obj.seq != it->seq ||
					    strcmp(it->obj.state, SL_STATE_PRESENT) != 0))) {
		it->kind = EV_NONE; /* stale: gone, replaced, or not present */
		return 0;
	}
	if (rc)
		return rc;
	memset(&f, 0, sizeof(f));
	rc = m->ops->catalog_file_get(m->state, it->zone, it->key, &f, err);
	if (rc == 0 && f.seq >= it->seq) {
		sl_cat_file_release(&f);
		it->kind = EV_NONE; /* repeat: catalogued already (or a newer version) */
		return 0;
	}
	sl_cat_file_release(&f);
	if (rc && rc != SL_ENOENT)
		return rc;
	if (!(it->lay = calloc(1, sizeof(*it->lay))))
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	if (sl_crawl_layout(st->cfg, it->zone, it->key, it->lay, &lerr) != 0) {
		/* past the table's folders, only the partition levels can fail */
		bool table_known = it->lay->prefix[0] != '\0';
		reject_fixed(it, table_known ? "bad_partition" : "unreadable", "%s", lerr.msg);
		if (!table_known) {
			free(it->lay);
			it->lay = NULL;
		}
	}
	return 0;
}

/* Applies when the catalog holds the key at the event's version or an older one, and the
 * index no longer holds a newer present version (whose own event replaces the row). */
static int check_removed(struct sl_crawl_stage *st, struct item *it, struct sl_err *err)
{
	struct sl_meta *m = st->m;
	struct sl_object row;
	int rc = m->ops->catalog_file_get(m->state, it->zone, it->key, &it->file, err);
	if (rc == SL_ENOENT || (rc == 0 && it->file.seq > it->seq)) {
		it->kind = EV_NONE;
		return 0;
	}
	if (rc)
		return rc;
	rc = m->ops->object_get(m->state, it->zone, it->key, &row, err);
	if (rc == 0 && row.seq > it->seq && strcmp(row.state, SL_STATE_PRESENT) == 0) {
		it->kind = EV_NONE;
		return 0;
	}
	if (rc && rc != SL_ENOENT)
		return rc;
	return 0;
}

/* ---- step 2: registered schemas and reading -------------------------------------------- */

/* Entries are allocated one by one: items point at them while the list grows. */
struct regs {
	struct regent **v;
	size_t n, cap;
};

static void regs_release(struct regs *r)
{
	for (size_t i = 0; i < r->n; i++) {
		sl_type_free(r->v[i]->type);
		free(r->v[i]);
	}
	free(r->v);
	memset(r, 0, sizeof(*r));
}

/* The subject's schema as types: the version validate.subjects pins, else the latest.
 * A subject without one, or whose schema does not map to a row type, gives version 0
 * (its objects' types are inferred). */
static int reg_lookup(struct sl_crawl_stage *st, struct regs *regs, const char *subject,
		      struct regent **out, struct sl_err *err)
{
	for (size_t i = 0; i < regs->n; i++)
		if (strcmp(regs->v[i]->subject, subject) == 0) {
			*out = regs->v[i];
			return 0;
		}
	struct regent *r = NULL;
	if (grow((void **)&regs->v, &regs->cap, regs->n, sizeof(*regs->v)) ||
	    !(r = calloc(1, sizeof(*r))))
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	regs->v[regs->n] = r;
	snprintf(r->subject, sizeof(r->subject), "%s", subject);
	const struct sl_subject_conf *sc = sl_config_subject(st->cfg, subject);
	struct sl_schema_version sv;
	struct sl_err e = {0};
	memset(&sv, 0, sizeof(sv));
	int rc = sl_registry_get(st->m, subject, sc ? sc->version : 0, &sv, &e);
	if (rc == 0) {
		struct sl_json_error je;
		struct sl_json_node *tree = sl_json_tree_parse(sv.text, sv.len, NULL, &je);
		r->type = tree ? sl_type_from_jsonschema(tree, &e) : NULL;
		if (r->type && r->type->kind == SL_T_STRUCT) {
			r->version = sv.version;
			r->type->nullable = false;
		} else {
			sl_type_free(r->type);
			r->type = NULL;
		}
		sl_json_tree_free(tree);
	} else if (rc != SL_ENOENT) {
		sl_schema_version_release(&sv);
		free(r);
		*err = e;
		return rc;
	}
	sl_schema_version_release(&sv);
	regs->n++;
	*out = r;
	return 0;
}

/* Reads a placed object (count only under a registered schema). Content the catalog
 * cannot take is a fixed rejection; a version that changed meanwhile is skipped. */
static int scan_item(struct sl_crawl_stage *st, struct regs *regs, struct item *it,
		     struct sl_err *err)
{
	struct sl_crawl_scan_opts o;
	struct sl_err e = {0};
	char subject[SL_SUBJECT_NAME_MAX];
	enum sl_json_framing framing;
	int rc;

	it->reg = NULL;
	if (strcmp(it->zone, "raw") == 0 && strcmp(it->lay->format, "json") == 0 &&
	    sl_validate_route(st->cfg, it->key, subject, sizeof(subject), &framing) == 1) {
		struct regent *r = NULL;
		if ((rc = reg_lookup(st, regs, subject, &r, err)) != 0)
			return rc;
		if (r->version > 0)
			it->reg = r;
	}
	memset(&o, 0, sizeof(o));
	o.sample_bytes = st->cfg->crawl.sample_bytes;
	o.max_struct_fields = st->cfg->crawl.max_struct_fields > 0
				      ? (size_t)st->cfg->crawl.max_struct_fields
				      : 1000;
	o.max_depth = st->lim.max_depth;
	o.max_record = (int64_t)st->lim.max_record;
	o.max_string = (int64_t)st->lim.max_string;
	o.count_only = it->reg != NULL;
	heartbeat(st);
	rc = sl_crawl_scan_object(st->lake, &it->obj, it->lay, &o, &it->scan, &e);
	if (rc == SL_ESTALE) {
		it->kind = EV_NONE;
		return 0;
	}
	if (rc == SL_ECORRUPT || rc == SL_EINVAL || rc == SL_ELIMIT) {
		it->unreadable = true;
		snprintf(it->unread_reason, sizeof(it->unread_reason), "%.500s", e.msg);
		return 0;
	}
	if (rc) {
		*err = e;
		return rc;
	}
	it->scanned = true;
	return 0;
}

/* ---- types ------------------------------------------------------------------------------ */

static char *type_text(const struct sl_type *t, struct sl_err *err)
{
	struct sl_buf b;
	sl_buf_init(&b, SL_BUF_DEFAULT_MAX);
	if (sl_type_format(t, &b) != 0 || !b.data) {
		sl_buf_release(&b);
		sl_err_set(err, SL_ELIMIT, "a table schema's text is over %zu bytes",
			   (size_t)SL_BUF_DEFAULT_MAX);
		return NULL;
	}
	return b.data;
}

/* The type at a JSON pointer ("*" steps into a list element or map value), or NULL. */
static const struct sl_type *type_at(const struct sl_type *t, const char *path)
{
	char seg[512];
	const char *p = path;
	while (t && *p == '/') {
		p++;
		size_t n = 0;
		while (*p && *p != '/') {
			char c = *p++;
			if (c == '~' && (*p == '0' || *p == '1'))
				c = *p++ == '0' ? '~' : '/';
			if (n + 1 >= sizeof(seg))
				return NULL;
			seg[n++] = c;
		}
		seg[n] = '\0';
		if ((t->kind == SL_T_LIST || t->kind == SL_T_MAP) && strcmp(seg, "*") == 0) {
			t = t->elem;
		} else if (t->kind == SL_T_STRUCT) {
			const struct sl_field *f = sl_type_field(t, seg);
			t = f ? f->type : NULL;
		} else {
			return NULL;
		}
	}
	return t;
}

/* Appends the JSON pointers of t's maps (prefix: t's own pointer). */
static int map_paths(const struct sl_type *t, struct sl_buf *prefix, char ***out, size_t *n,
		     size_t *cap)
{
	if (!t)
		return 0;
	size_t mark = prefix->len;
	int rc = 0;
	if (t->kind == SL_T_MAP) {
		if (grow((void **)out, cap, *n, sizeof(char *)))
			return SL_ENOMEM;
		if (!((*out)[*n] = strdup(prefix->data ? prefix->data : "")))
			return SL_ENOMEM;
		(*n)++;
	}
	if (t->kind == SL_T_LIST || t->kind == SL_T_MAP) {
		rc = sl_buf_puts(prefix, "/*");
		if (rc == 0)
			rc = map_paths(t->elem, prefix, out, n, cap);
	}
	for (size_t i = 0; rc == 0 && t->kind == SL_T_STRUCT && i < t->n_fields; i++) {
		prefix->len = mark;
		rc = sl_buf_puts(prefix, "/");
		for (const char *c = t->fields[i].name; rc == 0 && *c; c++)
			rc = *c == '~' ? sl_buf_puts(prefix, "~0")
			     : *c == '/' ? sl_buf_puts(prefix, "~1")
					 : sl_buf_append(prefix, c, 1);
		if (rc == 0)
			rc = map_paths(t->fields[i].type, prefix, out, n, cap);
	}
	prefix->len = mark;
	if (prefix->data)
		prefix->data[mark] = '\0';
	return rc;
}

/* What a version's change JSON lists, gathered while merging. */
struct change_lists {
	struct sl_buf added, nullable, widened, conflicts, maps;
};

static void lists_init(struct change_lists *l)
{
	sl_buf_init(&l->added, 1 << 20);
	sl_buf_init(&l->nullable, 1 << 20);
	sl_buf_init(&l->widened, 1 << 20);
	sl_buf_init(&l->conflicts, 1 << 20);
	sl_buf_init(&l->maps, 1 << 20);
}

static void lists_release(struct change_lists *l)
{
	sl_buf_release(&l->added);
	sl_buf_release(&l->nullable);
	sl_buf_release(&l->widened);
	sl_buf_release(&l->conflicts);
	sl_buf_release(&l->maps);
}

/* Adds a path (and from/to for pairs) to a list; a full list (1 MiB) stops growing, the
 * drift entries still say everything. */
static void list_add(struct sl_buf *b, const char *path, const char *from, const char *to)
{
	size_t mark = b->len;
	int rc = sl_buf_puts(b, b->len ? "," : "");
	if (from) {
		rc |= sl_buf_puts(b, "{\"path\":");
		rc |= sl_buf_json_str(b, path, strlen(path));
		rc |= sl_buf_puts(b, ",\"from\":");
		rc |= sl_buf_json_str(b, from, strlen(from));
		rc |= sl_buf_puts(b, ",\"to\":");
		rc |= sl_buf_json_str(b, to, strlen(to));
		rc |= sl_buf_puts(b, "}");
	} else {
		rc |= sl_buf_json_str(b, path, strlen(path));
	}
	if (rc && b->data) {
		b->len = mark;
		b->data[mark] = '\0';
	}
}

static int change_json(struct group *g, const char *by, int64_t rebuilt_from,
		       const struct change_lists *l, const char *example)
{
	struct sl_buf *b = &g->change;
	int rc = sl_buf_printf(b, "{\"by\":\"%s\",\"objects\":%" PRId64, by, g->accepted);
	if (rebuilt_from > 0)
		rc |= sl_buf_printf(b, ",\"rebuilt_from\":%" PRId64, rebuilt_from);
	if (example) {
		rc |= sl_buf_puts(b, ",\"example\":");
		rc |= sl_buf_json_str(b, example, strlen(example));
	}
	if (!g->exists)
		rc |= sl_buf_puts(b, ",\"created\":true");
	if (g->reg) {
		rc |= sl_buf_puts(b, ",\"registered\":{\"subject\":");
		rc |= sl_buf_json_str(b, g->reg->subject, strlen(g->reg->subject));
		rc |= sl_buf_printf(b, ",\"version\":%" PRId64 "}", g->reg->version);
	}
	const struct {
		const char *name;
		const struct sl_buf *b;
	} parts[] = {{"added", &l->added},         {"nullable", &l->nullable},
		     {"widened", &l->widened},     {"conflicts", &l->conflicts},
		     {"maps", &l->maps}};
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (parts[i].b->len)
			rc |= sl_buf_printf(b, ",\"%s\":[%s]", parts[i].name, parts[i].b->data);
	rc |= sl_buf_puts(b, "}");
	return rc ? SL_ENOMEM : 0;
}

static const char *change_detail(const struct sl_type_change *c, char *buf, size_t cap)
{
	switch (c->kind) {
	case SL_CHANGE_ADDED: snprintf(buf, cap, "new column: %s", c->to); break;
	case SL_CHANGE_NULLABLE: snprintf(buf, cap, "%s -> nullable", c->from); break;
	case SL_CHANGE_CONFLICT: snprintf(buf, cap, "%s + %s -> string", c->from, c->to); break;
	default: snprintf(buf, cap, "%s -> %s", c->from, c->to); break;
	}
	return buf;
}

/* ---- step 3: the plan ------------------------------------------------------------------- */

static struct group *group_find(struct plan *p, const char *db, const char *name)
{
	for (size_t i = 0; i < p->n_g; i++)
		if (strcmp(p->g[i].db, db) == 0 && strcmp(p->g[i].name, name) == 0)
			return &p->g[i];
	return NULL;
}

/* The group of db.name, loading the table on first sight. */
static int group_get(struct sl_crawl_stage *st, struct plan *p, const char *db,
		     const char *name, struct group **out, struct sl_err *err)
{
	struct group *g = group_find(p, db, name);
	if (g) {
		*out = g;
		return 0;
	}
	if (grow((void **)&p->g, &p->cap_g, p->n_g, sizeof(*p->g)))
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	g = &p->g[p->n_g];
	memset(g, 0, sizeof(*g));
	snprintf(g->db, sizeof(g->db), "%s", db);
	snprintf(g->name, sizeof(g->name), "%s", name);
	sl_buf_init(&g->change, 4 << 20);
	int rc = st->m->ops->catalog_table_get(st->m->state, db, name, &g->old, err);
	if (rc == 0)
		g->exists = true;
	else if (rc != SL_ENOENT)
		return rc;
	p->n_g++;
	*out = g;
	return 0;
}

static void verdict(struct item *it, enum verdict v, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void verdict(struct item *it, enum verdict v, const char *kind, const char *fmt, ...)
{
	va_list ap;
	it->v = v;
	snprintf(it->v_kind, sizeof(it->v_kind), "%s", kind ? kind : "");
	it->v_reason[0] = '\0';
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(it->v_reason, sizeof(it->v_reason), fmt, ap);
		va_end(ap);
	}
}

/* Does the object's layout agree with its table (loaded, or fixed by the batch's first
 * object of a new table)? Sets the verdict. */
static void check_layout(struct group *g, struct item *it)
{
	const struct sl_crawl_layout *lay = it->lay;
	const char *prefix, *format, *pkeys;
	if (g->exists) {
		prefix = g->old.prefix;
		format = g->old.format;
		pkeys = g->old.partition_keys;
	} else if (g->fixer) {
		prefix = g->fixer->lay->prefix;
		format = g->fixer->lay->format;
		pkeys = g->fixer->lay->partition_keys;
	} else {
		g->fixer = it;
		verdict(it, V_ACCEPT, NULL, NULL);
		return;
	}
	if (strcmp(prefix, lay->prefix) != 0)
		verdict(it, V_REJECT, "name_collision",
			"%s/%s: its folders '%s' make the table name %s.%s, which is the table of "
			"'%s'",
			it->zone, it->key, lay->prefix, g->db, g->name, prefix);
	else if (strcmp(format, lay->format) != 0)
		verdict(it, V_REJECT, "format_mismatch",
			"%s/%s is %s, the table %s.%s is %s", it->zone, it->key, lay->format, g->db,
			g->name, format);
	else if (strcmp(pkeys, lay->partition_keys) != 0)
		verdict(it, V_REJECT, "partition_layout",
			"%s/%s has partition columns (%s) where the table %s.%s has (%s)", it->zone,
			it->key, lay->partition_keys, g->db, g->name, pkeys);
	else
		verdict(it, V_ACCEPT, NULL, NULL);
}

static int file_add(struct plan *p, const struct item *it, const char *db, const char *table,
		    const char *state, const char *reason, int64_t schema_version)
{
	if (grow((void **)&p->files, &p->cap_files, p->n_files, sizeof(*p->files)))
		return SL_ENOMEM;
	struct sl_cat_file *f = &p->files[p->n_files++];
	memset(f, 0, sizeof(*f));
	snprintf(f->zone, sizeof(f->zone), "%s", it->zone);
	snprintf(f->key, sizeof(f->key), "%s", it->key);
	f->seq = it->seq;
	snprintf(f->db, sizeof(f->db), "%s", db);
	snprintf(f->table, sizeof(f->table), "%s", table);
	if (it->lay) {
		snprintf(f->part, sizeof(f->part), "%s", it->lay->part);
		snprintf(f->format, sizeof(f->format), "%s", it->lay->format);
	}
	bool active = strcmp(state, SL_CAT_FILE_ACTIVE) == 0;
	f->records = active ? it->scan.records : 0;
	f->bytes = it->obj.size;
	f->schema_version = schema_version;
	snprintf(f->state, sizeof(f->state), "%s", state);
	snprintf(f->reason, sizeof(f->reason), "%s", reason ? reason : "");
	f->stats = active ? it->scan.stats : NULL; /* borrowed from the scan */
	f->crawled_ms = sl_now_ms();
	return 0;
}

/* Merges the group's accepted objects into its schema under its policy; fills the new
 * table row, drift entries and the change JSON. full: a rebuild (infer afresh). */
static int merge_group(struct sl_crawl_stage *st, struct plan *p, struct group *g,
		       struct item *items, size_t n, bool full, struct sl_err *err)
{
	const char *policy = g->fam->schema_change;
	/* log keeps an existing table's schema, add_columns its types; a new table's
	 * version 1 is what its first batch's objects say, under any policy */
	bool log = !full && strcmp(policy, SL_CAT_SCHEMA_LOG) == 0 && g->exists;
	struct sl_merge_opts mo;
	struct sl_type *t0 = NULL, *acc = NULL;
	struct change_lists l;
	char detail[256];
	char **maps0 = NULL, **maps1 = NULL;
	size_t n_maps0 = 0, n_maps1 = 0, cap0 = 0, cap1 = 0;
	size_t drift0 = p->n_drift;
	const char *example = NULL;
	int rc = 0;

	lists_init(&l);
	sl_merge_opts_default(&mo);
	mo.conflict_kind = SL_T_STRING;
	if (st->cfg->crawl.max_struct_fields > 0)
		mo.max_struct_fields = (size_t)st->cfg->crawl.max_struct_fields;
	mo.add_only = !full && g->exists && strcmp(policy, SL_CAT_SCHEMA_ADD_COLUMNS) == 0;

	if (g->exists && g->old.schema) {
		struct sl_err perr = {0};
		t0 = sl_type_parse(g->old.schema, strlen(g->old.schema), &perr);
		if (!t0) {
			rc = sl_err_set(err, SL_ECORRUPT, "catalog: the schema of %s.%s: %s", g->db,
					g->name, perr.msg);
			goto done;
		}
	}
	bool fresh = !g->exists || full; /* no earlier schema to report changes against */
	if (g->reg) {
		if (!(acc = sl_type_clone(g->reg->type))) {
			rc = sl_err_set(err, SL_ENOMEM, "out of memory");
			goto done;
		}
		for (size_t i = 0; i < n && !example; i++)
			if (items[i].v == V_ACCEPT &&
			    group_find(p, items[i].lay->db, items[i].lay->table) == g)
				example = items[i].key;
		if (!g->exists || strcmp(g->old.subject, g->reg->subject) != 0 ||
		    g->old.subject_version != g->reg->version || full)
			if ((rc = drift_add(p, g->db, g->name, -1, "schema_registered", "", example,
					    "subject %s version %" PRId64 " gives the types",
					    g->reg->subject, g->reg->version)) != 0)
				goto nomem;
	} else {
		acc = full ? NULL : (t0 ? sl_type_clone(t0) : NULL);
		if (t0 && !full && !acc) {
			rc = sl_err_set(err, SL_ENOMEM, "out of memory");
			goto done;
		}
		for (size_t i = 0; i < n; i++) {
			struct item *it = &items[i];
			if (it->v != V_ACCEPT || group_find(p, it->lay->db, it->lay->table) != g)
				continue;
			if (!example)
				example = it->key;
			/* conflicts inside the object: news unless the column is a string
			 * already */
			for (size_t c = 0; c < it->scan.conflicts.n; c++) {
				const struct sl_type_change *ch = &it->scan.conflicts.v[c];
				const struct sl_type *was = fresh ? NULL : type_at(t0, ch->path);
				if (was && was->kind == SL_T_STRING)
					continue;
				if ((rc = drift_add(p, g->db, g->name, log ? 0 : -1,
						    log ? "change_ignored" : "type_conflict", ch->path,
						    it->key, "%s%s + %s -> string, within the object",
						    log ? "type_conflict: " : "", ch->from, ch->to)) != 0)
					goto nomem;
				if (!log)
					list_add(&l.conflicts, ch->path, ch->from, "string");
			}
			if (!it->scan.type)
				continue; /* counted only */
			/* a JSON object without records says nothing about columns: merging
			 * its empty struct would make every column nullable (a Parquet
			 * file's footer types its columns even without rows) */
			if (it->scan.sampled == 0 && strcmp(it->lay->format, "json") == 0)
				continue;
			if (!acc) {
				if (!(acc = sl_type_clone(it->scan.type))) {
					rc = sl_err_set(err, SL_ENOMEM, "out of memory");
					goto done;
				}
				continue;
			}
			struct sl_type_changes ch;
			memset(&ch, 0, sizeof(ch));
			struct sl_type *m = sl_type_merge(acc, it->scan.type, &mo, &ch, err);
			if (!m) {
				sl_type_changes_release(&ch);
				rc = err->code ? err->code : SL_ENOMEM;
				goto done;
			}
			sl_type_free(acc);
			acc = m;
			for (size_t c = 0; c < ch.n && rc == 0; c++) {
				const struct sl_type_change *x = &ch.v[c];
				bool applied = x->applied && !log;
				/* a new table's first version describes its columns: only
				 * conflicts and maps are news */
				if (fresh && x->kind != SL_CHANGE_CONFLICT &&
				    x->kind != SL_CHANGE_TO_MAP)
					continue;
				const char *kind = applied ? sl_change_kind_name(x->kind)
							   : "change_ignored";
				change_detail(x, detail, sizeof(detail));
				rc = drift_add(p, g->db, g->name, applied ? -1 : 0, kind, x->path,
					       it->key, "%s%s%s%s", applied ? "" : sl_change_kind_name(x->kind),
					       applied ? "" : ": ", detail,
					       applied ? "" : log ? " (policy log)"
								  : " (policy add_columns)");
				if (rc == 0 && applied) {
					switch (x->kind) {
					case SL_CHANGE_ADDED: list_add(&l.added, x->path, NULL, NULL); break;
					case SL_CHANGE_NULLABLE: list_add(&l.nullable, x->path, NULL, NULL); break;
					case SL_CHANGE_WIDENED: list_add(&l.widened, x->path, x->from, x->to); break;
					case SL_CHANGE_CONFLICT: list_add(&l.conflicts, x->path, x->from, "string"); break;
					case SL_CHANGE_TO_MAP: list_add(&l.maps, x->path, NULL, NULL); break;
					}
				}
			}
			if (ch.dropped && rc == 0)
				rc = drift_add(p, g->db, g->name, 0, "change_ignored", "", it->key,
					       "%zu more changes not listed", ch.dropped);
			sl_type_changes_release(&ch);
			if (rc)
				goto nomem;
		}
		if (!acc && !(acc = sl_type_new(SL_T_STRUCT, false))) {
			rc = sl_err_set(err, SL_ENOMEM, "out of memory");
			goto done;
		}
		/* maps new in the schema that no change named (a new table's, a new column's) */
		if (!log) {
			struct sl_buf pre;
			sl_buf_init(&pre, 1 << 20);
			rc = map_paths(fresh ? NULL : t0, &pre, &maps0, &n_maps0, &cap0);
			if (rc == 0)
				rc = map_paths(acc, &pre, &maps1, &n_maps1, &cap1);
			sl_buf_release(&pre);
			if (rc)
				goto nomem;
			for (size_t i = 0; i < n_maps1; i++) {
				bool known = false;
				for (size_t j = 0; j < n_maps0 && !known; j++)
					known = strcmp(maps0[j], maps1[i]) == 0;
				for (size_t d = drift0; d < p->n_drift && !known; d++)
					known = strcmp(p->drift[d].kind, "map_detected") == 0 &&
						strcmp(p->drift[d].path, maps1[i]) == 0;
				if (known)
					continue;
				if ((rc = drift_add(p, g->db, g->name, -1, "map_detected", maps1[i],
						    example,
						    "more than %" PRId64 " distinct member names: typed "
						    "as a map",
						    st->cfg->crawl.max_struct_fields)) != 0)
					goto nomem;
				list_add(&l.maps, maps1[i], NULL, NULL);
			}
		}
	}

	/* the table's new row */
	/* log keeps the schema; a registered schema wins whatever the policy */
	const struct sl_type *schema = log && !g->reg && t0 ? t0 : acc;
	if (!(g->schema_text = type_text(schema, err))) {
		rc = err->code;
		goto done;
	}
	struct sl_cat_table *row = &g->row;
	memset(row, 0, sizeof(*row));
	if (g->exists) {
		*row = g->old;          /* scalars; the strings are replaced or borrowed */
		row->properties = g->old.properties;
	} else {
		const struct sl_crawl_layout *lay = g->fixer->lay;
		snprintf(row->db, sizeof(row->db), "%s", g->db);
		snprintf(row->name, sizeof(row->name), "%s", g->name);
		snprintf(row->zone, sizeof(row->zone), "%s", lay->zone);
		snprintf(row->prefix, sizeof(row->prefix), "%s", lay->prefix);
		snprintf(row->format, sizeof(row->format), "%s", lay->format);
		snprintf(row->partition_keys, sizeof(row->partition_keys), "%s",
			 lay->partition_keys);
		row->created_ms = sl_now_ms();
	}
	row->schema = g->schema_text;
	snprintf(row->subject, sizeof(row->subject), "%s", g->reg ? g->reg->subject : "");
	row->subject_version = g->reg ? g->reg->version : 0;
	snprintf(row->schema_policy, sizeof(row->schema_policy), "%s", g->fam->schema_change);
	snprintf(row->deletion_policy, sizeof(row->deletion_policy), "%s", g->fam->deletion);
	row->updated_ms = sl_now_ms();
	g->new_version = full || !g->exists || strcmp(g->old.schema ? g->old.schema : "",
						       g->schema_text) != 0 ||
			 strcmp(g->old.subject, row->subject) != 0 ||
			 g->old.subject_version != row->subject_version;
	row->version = g->exists ? g->old.version + (g->new_version ? 1 : 0) : 1;
	if (g->new_version) {
		p->versions++;
		if (!g->exists && (rc = drift_add(p, g->db, g->name, 1, "table_created", "",
						  example, "%s/%s (%s%s%s)", row->zone, row->prefix,
						  row->format,
						  row->partition_keys[0] ? ", partitioned by " : "",
						  row->partition_keys)) != 0)
			goto nomem;
		if ((rc = change_json(g, full ? "crawl --full" : "crawl",
				      full && g->exists ? g->old.version : 0, &l, example)) != 0)
			goto nomem;
	}
	for (size_t d = drift0; d < p->n_drift; d++)
		if (p->drift[d].version < 0)
			p->drift[d].version = g->new_version ? row->version : 0;
	rc = 0;
	goto done;
nomem:
	if (rc == SL_ENOMEM || rc == 0)
		rc = sl_err_set(err, SL_ENOMEM, "out of memory");
done:
	for (size_t i = 0; i < n_maps0; i++)
		free(maps0[i]);
	for (size_t i = 0; i < n_maps1; i++)
		free(maps1[i]);
	free(maps0);
	free(maps1);
	lists_release(&l);
	sl_type_free(t0);
	sl_type_free(acc);
	return rc;
}

/* Removals under their table's deletion policy. A partition a removal empties is deleted
 * or deprecated by the commit itself, which writes that drift entry (catalog.h). */
static int plan_removals(struct sl_crawl_stage *st, struct plan *p, struct item *items,
			 size_t n, struct sl_err *err)
{
	int rc;
	for (size_t i = 0; i < n; i++) {
		struct item *it = &items[i];
		if (it->kind != EV_REMOVED)
			continue;
		const struct sl_cat_file *f = &it->file;
		struct group *g = NULL;
		const char *policy = SL_CAT_DELETE_DELETE; /* a row without a table just goes */
		if (f->table[0]) {
			if ((rc = group_get(st, p, f->db, f->table, &g, err)) != 0)
				return rc;
			if (g->exists)
				policy = g->old.deletion_policy;
		}
		if (strcmp(policy, SL_CAT_DELETE_LOG) == 0 &&
		    strcmp(f->state, SL_CAT_FILE_ACTIVE) == 0) {
			verdict(it, V_REMOVE_LOG, "object_removed", NULL);
			if ((rc = drift_add(p, f->db, f->table, 0, "object_removed", f->part, it->key,
					    "%s/%s (seq %" PRId64 ", %" PRId64
					    " records) is gone; deletion policy log keeps it in the "
					    "catalog",
					    it->zone, it->key, f->seq, f->records)) != 0)
				return sl_err_set(err, rc, "out of memory");
			continue;
		}
		verdict(it, V_REMOVE, NULL, NULL);
		if (grow((void **)&p->removed, &p->cap_removed, p->n_removed, sizeof(*p->removed)))
			return sl_err_set(err, SL_ENOMEM, "out of memory");
		struct sl_object *o = &p->removed[p->n_removed++];
		memset(o, 0, sizeof(*o));
		snprintf(o->zone, sizeof(o->zone), "%s", it->zone);
		snprintf(o->key, sizeof(o->key), "%s", it->key);
		o->seq = it->seq;
		p->removals++;
		if (g)
			g->removals++;
	}
	return 0;
}

/* Makes the whole plan from the items (steps 1-2 done). full: a rebuild of the one table
 * the items belong to. */
static int plan_make(struct sl_crawl_stage *st, struct plan *p, struct item *items, size_t n,
		     bool full, struct sl_err *err)
{
	int rc;
	memset(p, 0, sizeof(*p));
	/* verdicts from the layout */
	for (size_t i = 0; i < n; i++) {
		struct item *it = &items[i];
		verdict(it, V_SKIP, NULL, NULL);
		if (it->kind != EV_CREATED)
			continue;
		if (it->fixed_reject) {
			verdict(it, V_REJECT, it->rej_kind, "%s", it->reason);
			continue;
		}
		struct group *g;
		if ((rc = group_get(st, p, it->lay->db, it->lay->table, &g, err)) != 0)
			return rc;
		check_layout(g, it);
		if (it->v == V_ACCEPT && it->unreadable) {
			verdict(it, V_REJECT, "unreadable", "%s", it->unread_reason);
			if (g->fixer == it)
				g->fixer = NULL; /* the next readable object fixes the layout */
		}
		if (it->v == V_ACCEPT) {
			g->accepted++;
			if (!g->reg && it->reg)
				g->reg = it->reg; /* the first object's subject types the table */
			if (!g->fam)
				g->fam = sl_config_family(st->cfg, it->lay->family);
		}
	}
	/* merges, one group at a time */
	for (size_t gi = 0; gi < p->n_g; gi++) {
		struct group *g = &p->g[gi];
		if (g->accepted == 0)
			continue;
		if ((rc = merge_group(st, p, g, items, n, full, err)) != 0)
			return rc;
	}
	if ((rc = plan_removals(st, p, items, n, err)) != 0)
		return rc;
	/* files and drift of objects */
	for (size_t i = 0; i < n; i++) {
		struct item *it = &items[i];
		if (it->v == V_ACCEPT) {
			struct group *g = group_find(p, it->lay->db, it->lay->table);
			it->version = g->row.version;
			if (file_add(p, it, g->db, g->name, SL_CAT_FILE_ACTIVE, NULL, it->version))
				return sl_err_set(err, SL_ENOMEM, "out of memory");
			p->objects++;
			p->records += it->scan.records;
			p->bytes += it->obj.size;
		} else if (it->v == V_REJECT) {
			const char *db = it->lay ? it->lay->db : sl_cat_db_of_zone(it->zone);
			const char *table = it->lay ? it->lay->table : "";
			if (file_add(p, it, db ? db : "", table, SL_CAT_FILE_REJECTED, it->v_reason,
				     0) ||
			    drift_add(p, db ? db : "", table, 0, it->v_kind,
				      it->lay ? it->lay->part : "", it->key, "%s", it->v_reason))
				return sl_err_set(err, SL_ENOMEM, "out of memory");
			p->rejected++;
		}
	}
	/* table changes: every table an object was merged into (its expected version
	 * guards the files merged under it) */
	p->tc = calloc(p->n_g ? p->n_g : 1, sizeof(*p->tc));
	if (!p->tc)
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	for (size_t gi = 0; gi < p->n_g; gi++) {
		struct group *g = &p->g[gi];
		if (g->accepted == 0)
			continue;
		struct sl_cat_table_change *tc = &p->tc[p->n_tc++];
		tc->table = &g->row;
		tc->expected_version = g->exists ? g->old.version : 0;
		tc->new_version = g->new_version;
		tc->change = g->new_version ? g->change.data : NULL;
		tc->replace_files = full;
	}
	return 0;
}

/* ---- one batch --------------------------------------------------------------------------- */

int sl_crawl_batch(struct sl_crawl_stage *st, const char *queue, const struct sl_message *msgs,
		   size_t n, struct sl_crawl_result *res, struct sl_err *err)
{
	struct sl_meta *m = st->m;
	struct item *items = calloc(n ? n : 1, sizeof(*items));
	const char **receipts = calloc(n ? n : 1, sizeof(*receipts));
	struct regs regs = {0};
	struct plan p = {0};
	struct sl_queue_conf qc;
	char why[256];
	int rc = 0;

	if (!items || !receipts) {
		rc = sl_err_set(err, SL_ENOMEM, "out of memory");
		goto done;
	}
	if (sl_cat_db_of_zone(queue) == NULL) {
		rc = sl_err_set(err, SL_EINVAL, "queue %s is not a crawled zone's", queue);
		goto done;
	}
	sl_config_queue(st->cfg, queue, &qc);
	st->hb_queue = queue;
	st->hb_msgs = msgs;
	st->hb_n = n;
	st->hb_vt_ms = qc.visibility_timeout_ms;
	st->hb_ms = sl_mono_ms();

	/* 1. events */
	for (size_t i = 0; i < n; i++) {
		struct item *it = &items[i];
		receipts[i] = msgs[i].receipt;
		if (!parse_event(msgs[i].body, queue, it, why, sizeof(why)))
			continue;
		/* the same event twice in one batch: the first one stands */
		for (size_t j = 0; j < i && it->kind != EV_NONE; j++)
			if (items[j].kind == it->kind && items[j].seq == it->seq &&
			    strcmp(items[j].key, it->key) == 0)
				it->kind = EV_NONE;
		if (it->kind == EV_CREATED)
			rc = check_created(st, it, err);
		else if (it->kind == EV_REMOVED)
			rc = check_removed(st, it, err);
		if (rc)
			goto done;
	}
	/* 2. registered schemas and reading */
	for (size_t i = 0; i < n; i++) {
		struct item *it = &items[i];
		if (it->kind == EV_CREATED && it->lay && !it->fixed_reject &&
		    (rc = scan_item(st, &regs, it, err)) != 0)
			goto done;
	}
	/* 3, 4. plan and commit; plan again after SL_ESTALE */
	for (int attempt = 1;; attempt++) {
		plan_release(&p);
		if ((rc = plan_make(st, &p, items, n, false, err)) != 0)
			goto done;
		struct sl_cat_commit c = {
			.tables = p.tc,
			.n_tables = p.n_tc,
			.files = p.files,
			.n_files = p.n_files,
			.removed = p.removed,
			.n_removed = p.n_removed,
			.drift = p.drift,
			.n_drift = p.n_drift,
			.queue = queue,
			.receipts = receipts,
			.n_receipts = n,
			.messages = (int64_t)n,
			.objects = p.objects,
			.records = p.records,
			.bytes = p.bytes,
		};
		sl_crash_point("scanned");
		rc = m->ops->catalog_commit(m->state, &c, sl_now_ms(), err);
		if (rc == SL_ESTALE && attempt < COMMIT_ATTEMPTS)
			continue;
		if (rc)
			goto done;
		sl_crash_point("commit");
		break;
	}
	/* what the batch did */
	res->messages += (int64_t)n;
	res->commits++;
	res->objects += p.objects;
	res->records += p.records;
	res->bytes += p.bytes;
	res->removed += p.removals;
	res->rejected += p.rejected;
	res->versions += p.versions;
	res->drift += (int64_t)p.n_drift;
	for (size_t gi = 0; gi < p.n_g; gi++)
		if (p.g[gi].accepted || p.g[gi].removals)
			res->tables++;
	for (size_t i = 0; i < n; i++)
		if (items[i].v == V_SKIP)
			res->skipped++;
done:
	st->hb_msgs = NULL;
	plan_release(&p);
	for (size_t i = 0; items && i < n; i++)
		item_release(&items[i]);
	free(items);
	free(receipts);
	regs_release(&regs);
	return rc;
}

/* ---- the loop ------------------------------------------------------------------------------ */

/* Fills a batch from queue: what is there now, then (unless draining) until it holds
 * max messages or wait_ms has passed since its first one. */
static int receive_batch(struct sl_crawl_stage *st, const char *queue, size_t max,
			 int64_t wait_ms, int64_t first_wait_ms, bool drain,
			 struct sl_message *msgs, size_t *n, struct sl_err *err)
{
	size_t got = 0;
	*n = 0;
	int rc = sl_queue_receive(st->m, queue, max, -1, first_wait_ms, msgs, &got, err);
	if (rc)
		return rc;
	*n = got;
	if (got == 0)
		return 0;
	int64_t t0 = sl_mono_ms();
	while (*n < max) {
		int64_t left = drain ? 0 : wait_ms - (sl_mono_ms() - t0);
		if (left < 0)
			left = 0;
		if (left > 20000)
			left = 20000; /* the longest long poll; the loop polls again */
		rc = sl_queue_receive(st->m, queue, max - *n, -1, left, msgs + *n, &got, err);
		if (rc == SL_EBUSY) {
			rc = 0;
			continue;
		}
		if (rc)
			return rc;
		*n += got;
		if (got == 0 && (drain || sl_mono_ms() - t0 >= wait_ms))
			break;
	}
	return 0;
}

static int queues_empty(struct sl_crawl_stage *st, bool *empty, struct sl_err *err)
{
	*empty = true;
	for (size_t q = 0; q < sizeof(crawl_queues) / sizeof(crawl_queues[0]); q++) {
		struct sl_queue_stats qs;
		int rc = st->m->ops->queue_stats(st->m->state, crawl_queues[q], sl_now_ms(), &qs,
						  err);
		if (rc)
			return rc;
		if (qs.visible + qs.in_flight + qs.delayed > 0)
			*empty = false;
	}
	return 0;
}

int sl_crawl_run(struct sl_crawl_stage *st, const struct sl_crawl_run_opts *opts,
		 struct sl_crawl_result *totals, struct sl_err *err)
{
	const struct sl_crawl_conf *cc = &st->cfg->crawl;
	int64_t max = opts->batch_messages > 0 ? opts->batch_messages : cc->batch_messages;
	int64_t wait_ms = opts->batch_wait_ms >= 0 ? opts->batch_wait_ms : cc->batch_wait_ms;
	struct sl_message *msgs = NULL;
	bool idle = false;
	int rc = 0;

	memset(totals, 0, sizeof(*totals));
	if (max <= 0 || max > SL_BATCH_MAX)
		max = max <= 0 ? 1000 : SL_BATCH_MAX;
	if (wait_ms < 0)
		wait_ms = 0;
	if (!(msgs = calloc((size_t)max, sizeof(*msgs))))
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	while (!(opts->stop && *opts->stop)) {
		bool any = false;
		for (size_t q = 0; q < sizeof(crawl_queues) / sizeof(crawl_queues[0]); q++) {
			const char *queue = crawl_queues[q];
			size_t n = 0;
			/* when idle, the long poll waits on the raw queue */
			int64_t first_wait = idle && q == 0 ? IDLE_WAIT_MS : 0;
			idle = false;
			rc = receive_batch(st, queue, (size_t)max, wait_ms, first_wait, opts->drain,
					   msgs, &n, err);
			if (rc == SL_EBUSY) {
				rc = 0;
				any = true; /* someone holds the store: try again at once */
				continue;
			}
			if (rc)
				goto done;
			if (n == 0)
				continue;
			any = true;
			struct sl_crawl_result br;
			struct sl_err berr = {0};
			memset(&br, 0, sizeof(br));
			int brc = sl_crawl_batch(st, queue, msgs, n, &br, &berr);
			if (brc) {
				/* the batch comes back later, later each time; redrive ends it
				 * after max_receive_count receives */
				struct sl_queue_conf qc;
				sl_config_queue(st->cfg, queue, &qc);
				for (size_t i = 0; i < n; i++) {
					int shift = msgs[i].receive_count > 10
							    ? 10
							    : (int)msgs[i].receive_count - 1;
					int64_t delay = (int64_t)1000 << (shift < 0 ? 0 : shift);
					if (qc.visibility_timeout_ms > 0 &&
					    delay > qc.visibility_timeout_ms)
						delay = qc.visibility_timeout_ms;
					sl_queue_change_visibility(st->m, queue, msgs[i].receipt, delay,
								   NULL);
				}
			} else {
				totals->messages += br.messages;
				totals->objects += br.objects;
				totals->removed += br.removed;
				totals->rejected += br.rejected;
				totals->skipped += br.skipped;
				totals->records += br.records;
				totals->bytes += br.bytes;
				totals->tables += br.tables;
				totals->versions += br.versions;
				totals->drift += br.drift;
				totals->commits += br.commits;
			}
			if (opts->report)
				opts->report(opts->ctx, &br, brc ? &berr : NULL);
			for (size_t i = 0; i < n; i++)
				sl_message_release(&msgs[i]);
		}
		if (any)
			continue;
		idle = true;
		if (opts->drain) {
			bool empty;
			if ((rc = queues_empty(st, &empty, err)) != 0)
				goto done;
			if (empty)
				break;
			/* in flight elsewhere, or delayed: they may come back */
		}
	}
done:
	free(msgs);
	return rc;
}

/* ---- crawl --full ----------------------------------------------------------------------- */

struct list_ctx {
	struct sl_object *v;
	size_t n, cap;
	int rc;
};

static int list_one(void *ctx, const struct sl_object *obj)
{
	struct list_ctx *l = ctx;
	if (strcmp(obj->state, SL_STATE_PRESENT) != 0)
		return 0;
	if (grow((void **)&l->v, &l->cap, l->n, sizeof(*l->v))) {
		l->rc = SL_ENOMEM;
		return SL_ENOMEM;
	}
	l->v[l->n++] = *obj;
	return 0;
}

int sl_crawl_full(struct sl_crawl_stage *st, const char *db, const char *table,
		  struct sl_crawl_result *res, struct sl_err *err)
{
	struct sl_meta *m = st->m;
	struct sl_cat_table t;
	struct list_ctx l = {0};
	struct item *items = NULL;
	struct regs regs = {0};
	struct plan p = {0};
	int rc;

	memset(&t, 0, sizeof(t));
	for (int attempt = 1;; attempt++) {
		if ((rc = m->ops->catalog_table_get(m->state, db, table, &t, err)) != 0)
			return rc;
		l.n = 0;
		rc = m->ops->object_list(m->state, t.zone, t.prefix, list_one, &l, err);
		if (rc) {
			if (l.rc)
				rc = sl_err_set(err, l.rc, "out of memory");
			goto done;
		}
		if (!(items = calloc(l.n ? l.n : 1, sizeof(*items)))) {
			rc = sl_err_set(err, SL_ENOMEM, "out of memory");
			goto done;
		}
		size_t n = 0;
		for (size_t i = 0; i < l.n; i++) {
			struct item *it = &items[n];
			struct sl_err lerr = {0};
			memset(it, 0, sizeof(*it));
			it->kind = EV_CREATED;
			snprintf(it->zone, sizeof(it->zone), "%s", t.zone);
			snprintf(it->key, sizeof(it->key), "%s", l.v[i].key);
			it->seq = l.v[i].seq;
			it->obj = l.v[i];
			if (!(it->lay = calloc(1, sizeof(*it->lay)))) {
				rc = sl_err_set(err, SL_ENOMEM, "out of memory");
				goto done;
			}
			rc = sl_crawl_layout(st->cfg, it->zone, it->key, it->lay, &lerr);
			/* objects under the prefix that the rule gives another table are not this
			 * table's to rebuild */
			if (it->lay->prefix[0] && (strcmp(it->lay->table, table) != 0 ||
						   strcmp(it->lay->db, db) != 0)) {
				free(it->lay);
				continue;
			}
			n++;
			if (rc) {
				reject_fixed(it, it->lay->prefix[0] ? "bad_partition" : "unreadable",
					     "%s", lerr.msg);
				rc = 0;
				continue;
			}
			if ((rc = scan_item(st, &regs, it, err)) != 0) {
				goto done;
			}
			/* keep the memory of a large table to its file rows */
			sl_type_changes_release(&it->scan.conflicts);
		}
		/* the table as it is fixes the layout: the rebuild infers types afresh */
		plan_release(&p);
		if ((rc = plan_make(st, &p, items, n, true, err)) != 0)
			goto done;
		if (p.n_tc == 0) {
			/* nothing left: the table keeps its schema, and loses its files */
			struct group *g;
			if ((rc = group_get(st, &p, db, table, &g, err)) != 0)
				goto done;
			g->fam = sl_config_family(st->cfg, "");
			g->row = g->old;
			g->row.version = g->old.version + 1;
			g->row.updated_ms = sl_now_ms();
			g->new_version = true;
			if (sl_buf_printf(&g->change, "{\"by\":\"crawl --full\",\"rebuilt_from\":%" PRId64
						      ",\"objects\":0}",
					  g->old.version) != 0) {
				rc = sl_err_set(err, SL_ENOMEM, "out of memory");
				goto done;
			}
			p.tc[0] = (struct sl_cat_table_change){&g->row, g->old.version, true,
							       g->change.data, true};
			p.n_tc = 1;
			p.versions++;
		}
		struct sl_cat_commit c = {
			.tables = p.tc,
			.n_tables = p.n_tc,
			.files = p.files,
			.n_files = p.n_files,
			.drift = p.drift,
			.n_drift = p.n_drift,
			.objects = p.objects,
			.records = p.records,
			.bytes = p.bytes,
		};
		rc = m->ops->catalog_commit(m->state, &c, sl_now_ms(), err);
		if (rc == 0) {
			res->commits++;
			res->objects += p.objects;
			res->records += p.records;
			res->bytes += p.bytes;
			res->rejected += p.rejected;
			res->versions += p.versions;
			res->drift += (int64_t)p.n_drift;
			res->tables++;
			goto done;
		}
		if (rc != SL_ESTALE || attempt >= FULL_ATTEMPTS)
			goto done;
		/* the table changed meanwhile: read it all again */
		plan_release(&p);
		for (size_t i = 0; i < n; i++)
			item_release(&items[i]);
		free(items);
		items = NULL;
		regs_release(&regs);
		sl_cat_table_release(&t);
	}
done:
	plan_release(&p);
	for (size_t i = 0; items && i < l.n; i++)
		item_release(&items[i]);
	free(items);
	free(l.v);
	regs_release(&regs);
	sl_cat_table_release(&t);
	return rc;
}
