/*
 * mapping.c - the mapping transform (transform.h): select, drop, rename, cast, derive and
 * filter, as Glue's ApplyMapping, DropFields and Filter do, compiled once per run against
 * the source table's schema and applied to each record on the JSON engine's tape.
 *
 * The job's mapping (sluice.yaml etl.jobs.NAME.mapping, kept by config.c as JSON):
 *   select: [column, ...]      the columns kept, in this order (default: every top-level
 *                              column of the source); a path a.b picks a struct's member
 *                              and is named a_b unless renamed
 *   drop:   [column, ...]      columns left out; a path a.b into a kept struct a leaves
 *                              the member b out of a's type
 *   rename: {column: name}     an output name for a selected column
 *   cast:   {column: type}     a selected column's output type (types.h text form)
 *   derive: {name: expression} a computed column (expr.h), after the others, or in the
 *                              place of an output column of the same name
 *   filter: expression         only records for which it is true are written
 * Every column named in select, drop, rename and cast, and every column an expression
 * reads, is a column of the source as landed (not an output name).
 *
 * Per record, nothing is interpreted but the expressions: one pass over the record finds
 * every column it reads (sl_expr_cols_locate), and the output row is a new tape whose
 * members are the selected values' tokens, copied as they are (the Parquet writer converts
 * them to the output types, casts it does natively included), and tokens made from the
 * derived values. The row's text is the record's, followed by the derived values' JSON
 * text, so that every token's offset means what the writer expects.
 */
#include "etl/transform.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "etl/expr.h"
#include "util/buf.h"

#define MAX_COLUMNS 4096 /* output columns of a mapping */

enum how {
	COPY, /* the value of a source column, as it is */
	EVAL, /* an expression's value (derive, or a cast the writer cannot make) */
};

struct mcol {
	char *name;               /* output name (owned) */
	char *path;               /* the source column as written ("" for a derived one) */
	enum how how;
	size_t slot;              /* COPY */
	struct sl_expr *e;        /* EVAL */
	struct sl_type *type;     /* output type (owned) */
	const char *what;         /* "derive", "cast": for messages */
	bool whole;               /* path is a top-level name as it is (no select) */
};

struct mapping {
	const struct sl_etl_xform_env *env;
	struct sl_expr_cols *cols;
	struct mcol *c;
	size_t n, cap;
	struct sl_expr *filter;
	bool evals;               /* some column is EVAL: rows get a text of their own */
	/* per record */
	struct sl_expr_arena *arena;
	size_t *slots;
	struct sl_json_tok *tok;
	size_t cap_tok;
	size_t *fix;              /* tokens whose v.s is set once the text is final */
	struct sl_buf text;
	char why[SL_ERR_MSG_MAX];
};

/* ---- compiling ------------------------------------------------------------------------ */

static int bad(const struct mapping *m, struct sl_err *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int bad(const struct mapping *m, struct sl_err *err, const char *fmt, ...)
{
	char msg[SL_ERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return sl_err_set(err, SL_ECONFIG, "job %s: mapping.%s", m->env->job, msg);
}

/* Splits a column path into segments: names separated by '.', a segment in double
 * quotes holding anything ("" for a quote). The segments point into buf (cap bytes). */
static int path_split(const char *path, char *buf, size_t cap, const char **seg, size_t max,
		      size_t *n)
{
	size_t o = 0;
	*n = 0;
	for (const char *p = path;;) {
		if (*n == max || o >= cap)
			return SL_ELIMIT;
		seg[(*n)++] = buf + o;
		if (*p == '"') {
			for (p++;; p++) {
				if (*p == '\0')
					return SL_EINVAL; /* no closing quote */
				if (*p == '"' && p[1] != '"')
					break;
				if (*p == '"')
					p++;
				if (o + 1 >= cap)
					return SL_ELIMIT;
				buf[o++] = *p;
			}
			p++;
		} else {
			while (*p && *p != '.') {
				if (o + 1 >= cap)
					return SL_ELIMIT;
				buf[o++] = *p++;
			}
		}
		if (seg[*n - 1] == buf + o)
			return SL_EINVAL; /* an empty segment */
		buf[o++] = '\0';
		if (*p == '\0')
			return 0;
		if (*p != '.')
			return SL_EINVAL;
		p++;
	}
}

/* The slot and type of the source column at path (as written, or a top-level name taken
 * whole when whole). */
static int column(struct mapping *m, const char *path, bool whole, const char *where,
		  size_t *slot, const struct sl_type **type, struct sl_err *err)
{
	char buf[1024];
	const char *seg[SL_EXPR_MAX_DEPTH];
	size_t n = 1;
	struct sl_err e = {0};
	if (whole)
		seg[0] = path;
	else if (path_split(path, buf, sizeof(buf), seg, SL_EXPR_MAX_DEPTH, &n) != 0)
		return bad(m, err, "%s: '%.200s' is not a column path (names separated by '.', "
			   "a name in double quotes when it holds other characters)", where, path);
	if (sl_expr_cols_add(m->cols, seg, n, slot, type, &e) != 0)
		return bad(m, err, "%s: %s", where, e.msg);
	return 0;
}

static struct mcol *col_find(struct mapping *m, const char *name, bool by_path)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(by_path ? m->c[i].path : m->c[i].name, name) == 0)
			return &m->c[i];
	return NULL;
}

static struct mcol *col_add(struct mapping *m, struct sl_err *err)
{
	if (m->n == MAX_COLUMNS) {
		bad(m, err, "more than %d output columns", MAX_COLUMNS);
		return NULL;
	}
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 32;
		void *v = realloc(m->c, cap * sizeof(*m->c));
		if (!v) {
			sl_err_set(err, SL_ENOMEM, "out of memory");
			return NULL;
		}
		m->c = v;
		m->cap = cap;
	}
	struct mcol *c = &m->c[m->n++];
	memset(c, 0, sizeof(*c));
	return c;
}

static void col_release(struct mcol *c)
{
	free(c->name);
	free(c->path);
	sl_expr_free(c->e);
	sl_type_free(c->type);
}

/* select (or every top-level column): COPY columns named like their path. */
static int add_selected(struct mapping *m, const struct sl_json_node *sel, struct sl_err *err)
{
	const struct sl_type *src = m->env->src_row;
	size_t n = sel ? sel->u.c.n : src->n_fields;
	for (size_t i = 0; i < n; i++) {
		const char *path = sel ? sel->u.c.items[i]->u.str.s : src->fields[i].name;
		const struct sl_type *t;
		size_t slot;
		int rc;
		if (col_find(m, path, true))
			return bad(m, err, "select: '%.200s' is selected twice", path);
		if ((rc = column(m, path, !sel, "select", &slot, &t, err)) != 0)
			return rc;
		struct mcol *c = col_add(m, err);
		if (!c)
			return err->code;
		c->how = COPY;
		c->slot = slot;
		c->whole = !sel;
		c->path = strdup(path);
		/* a.b is named a_b; a name in quotes loses them */
		c->name = strdup(path);
		c->type = sl_type_clone(t);
		if (!c->path || !c->name || !c->type)
			return sl_err_set(err, SL_ENOMEM, "out of memory");
		if (sel && strchr(path, '.')) {
			char buf[1024];
			const char *seg[SL_EXPR_MAX_DEPTH];
			size_t ns, o = 0;
			path_split(path, buf, sizeof(buf), seg, SL_EXPR_MAX_DEPTH, &ns);
			for (size_t s = 0; s < ns; s++)
				o += (size_t)snprintf(c->name + o, strlen(path) + 1 - o, "%s%s",
						      s ? "_" : "", seg[s]);
		}
	}
	return 0;
}

/* Leaves the member at path (segments) out of type t, a struct. */
static bool type_prune(struct sl_type *t, const char *const *seg, size_t n)
{
	while (t && t->kind == SL_T_STRUCT && n > 1) {
		const struct sl_field *f = sl_type_field(t, seg[0]);
		t = f ? f->type : NULL;
		seg++;
		n--;
	}
	if (!t || t->kind != SL_T_STRUCT)
		return false;
	for (size_t i = 0; i < t->n_fields; i++) {
		if (strcmp(t->fields[i].name, seg[0]) != 0)
			continue;
		/* rebuild t without the field: the name index cannot lose a field in place */
		struct sl_type *nt = sl_type_new(SL_T_STRUCT, t->nullable);
		for (size_t j = 0; nt && j < t->n_fields; j++) {
			if (j == i)
				continue;
			if (sl_type_add_field(nt, t->fields[j].name, sl_type_clone(t->fields[j].type),
					      NULL) != 0) {
				sl_type_free(nt);
				nt = NULL;
			}
		}
		if (!nt)
			return false;
		struct sl_type tmp = *t;
		*t = *nt;
		*nt = tmp;
		sl_type_free(nt);
		return true;
	}
	return false;
}

static int apply_drop(struct mapping *m, const struct sl_json_node *drop, struct sl_err *err)
{
	for (size_t i = 0; drop && i < drop->u.c.n; i++) {
		const char *path = drop->u.c.items[i]->u.str.s;
		struct mcol *c = col_find(m, path, true);
		if (c) {
			col_release(c);
			memmove(c, c + 1, (size_t)(m->c + m->n - (c + 1)) * sizeof(*c));
			m->n--;
			continue;
		}
		char buf[1024];
		const char *seg[SL_EXPR_MAX_DEPTH];
		size_t n;
		bool done = false;
		if (path_split(path, buf, sizeof(buf), seg, SL_EXPR_MAX_DEPTH, &n) == 0 && n > 1)
			for (size_t k = 0; k < m->n && !done; k++)
				if (strcmp(m->c[k].path, seg[0]) == 0)
					done = type_prune(m->c[k].type, seg + 1, n - 1);
		if (!done)
			return bad(m, err, "drop: '%.200s' is no selected column, nor a member of "
				   "one", path);
	}
	return 0;
}

static int apply_rename(struct mapping *m, const struct sl_json_node *ren, struct sl_err *err)
{
	for (size_t i = 0; ren && i < ren->u.c.n; i++) {
		const char *from = ren->u.c.keys[i], *to = ren->u.c.items[i]->u.str.s;
		struct mcol *c = col_find(m, from, true);
		if (!c)
			return bad(m, err, "rename: '%.200s' is no selected column", from);
		char *name = strdup(to);
		if (!name)
			return sl_err_set(err, SL_ENOMEM, "out of memory");
		free(c->name);
		c->name = name;
	}
	return 0;
}

/* Whether the Parquet writer converts a value of type from's JSON form to type to by
 * itself (types.h): then a cast is only the output type, and the value is copied. */
static bool cast_native(const struct sl_type *from, const struct sl_type *to)
{
	enum sl_type_kind f = from->kind, t = to->kind;
	bool fnum = f == SL_T_INT || f == SL_T_FLOAT || f == SL_T_DOUBLE || f == SL_T_DECIMAL;
	bool tnum = t == SL_T_INT || t == SL_T_FLOAT || t == SL_T_DOUBLE || t == SL_T_DECIMAL;
	if (t == SL_T_JSON)
		return true; /* any value, as its text */
	if (f == SL_T_JSON)
		/* a value of any JSON type: read as the writer reads t, or refused by it */
		return t != SL_T_STRUCT && t != SL_T_LIST && t != SL_T_MAP;
	if (tnum)
		return f == SL_T_INT || (fnum && t != SL_T_INT);
	if (t == SL_T_STRING)
		return f == SL_T_STRING; /* enum too */
	if (t == SL_T_TIMESTAMP || t == SL_T_DATE || t == SL_T_TIME || t == SL_T_UUID)
		return f == SL_T_STRING || f == t;
	return sl_type_equal(from, to);
}

/* Appends s to b with every '"' doubled, in quotes: a name in the expression language. */
static int quote_name(struct sl_buf *b, const char *s)
{
	int rc = sl_buf_puts(b, "\"");
	for (; *s && !rc; s++)
		rc = *s == '"' ? sl_buf_puts(b, "\"\"") : sl_buf_append(b, s, 1);
	return rc ? rc : sl_buf_puts(b, "\"");
}

static int apply_cast(struct mapping *m, const struct sl_json_node *cast, struct sl_err *err)
{
	for (size_t i = 0; cast && i < cast->u.c.n; i++) {
		const char *col = cast->u.c.keys[i], *text = cast->u.c.items[i]->u.str.s;
		struct mcol *c = col_find(m, col, true);
		struct sl_err e = {0};
		struct sl_type *t;
		if (!c)
			return bad(m, err, "cast: '%.200s' is no selected column", col);
		if (!(t = sl_type_parse(text, strlen(text), &e)))
			return bad(m, err, "cast.%.200s: '%.100s' is not a type: %s", col, text, e.msg);
		t->nullable = true;
		enum sl_type_kind fk = c->type->kind;
		if ((fk == SL_T_STRUCT || fk == SL_T_LIST || fk == SL_T_MAP) &&
		    t->kind != SL_T_JSON && t->kind != SL_T_STRING) {
			char a[64], b[64];
			bad(m, err, "cast.%.200s: a %s cannot be cast to %s (json or string can "
			    "hold it)", col, sl_type_kind_name(c->type, a, sizeof(a)),
			    sl_type_kind_name(t, b, sizeof(b)));
			sl_type_free(t);
			return SL_ECONFIG;
		}
		if (cast_native(c->type, t)) {
			sl_type_free(c->type);
			c->type = t;
			continue;
		}
		/* CAST("a"."b" AS type) */
		char buf[1024];
		const char *seg[SL_EXPR_MAX_DEPTH];
		size_t n;
		struct sl_buf ex;
		struct sl_type *et = NULL;
		int rc = 0;
		n = 1;
		seg[0] = c->path;
		if (!c->whole)
			path_split(c->path, buf, sizeof(buf), seg, SL_EXPR_MAX_DEPTH, &n);
		sl_buf_init(&ex, SL_EXPR_MAX_TEXT);
		rc = sl_buf_puts(&ex, "CAST(");
		for (size_t s = 0; s < n && !rc; s++)
			rc = (s ? sl_buf_puts(&ex, ".") : 0) || quote_name(&ex, seg[s]);
		if (!rc)
			rc = sl_buf_printf(&ex, " AS %s)", text);
		if (!rc)
			rc = sl_expr_compile(ex.data, m->cols, &c->e, &et, &e);
		sl_buf_release(&ex);
		sl_type_free(et);
		if (rc) {
			sl_type_free(t);
			return bad(m, err, "cast.%.200s: %s", col, e.msg[0] ? e.msg : "too long");
		}
		c->how = EVAL;
		c->what = "cast";
		sl_type_free(c->type);
		c->type = t;
		m->evals = true;
	}
	return 0;
}

static int apply_derive(struct mapping *m, const struct sl_json_node *der, struct sl_err *err)
{
	for (size_t i = 0; der && i < der->u.c.n; i++) {
		const char *name = der->u.c.keys[i], *text = der->u.c.items[i]->u.str.s;
		struct sl_expr *e = NULL;
		struct sl_type *t = NULL;
		struct sl_err ee = {0};
		if (sl_expr_compile(text, m->cols, &e, &t, &ee) != 0)
			return bad(m, err, "derive.%.200s: %s", name, ee.msg);
		struct mcol *c = col_find(m, name, false); /* in the place of that column */
		if (c) {
			col_release(c);
			memset(c, 0, sizeof(*c));
		} else if (!(c = col_add(m, err))) {
			sl_expr_free(e);
			sl_type_free(t);
			return err->code;
		}
		c->how = EVAL;
		c->what = "derive";
		c->e = e;
		c->type = t;
		c->name = strdup(name);
		c->path = strdup("");
		if (!c->name || !c->path)
			return sl_err_set(err, SL_ENOMEM, "out of memory");
		m->evals = true;
	}
	return 0;
}

static int compile_filter(struct mapping *m, const struct sl_json_node *f, struct sl_err *err)
{
	struct sl_type *t = NULL;
	struct sl_err e = {0};
	char tn[64];
	if (!f)
		return 0;
	if (sl_expr_compile(f->u.str.s, m->cols, &m->filter, &t, &e) != 0)
		return bad(m, err, "filter: %s", e.msg);
	bool ok = t->kind == SL_T_BOOL;
	if (!ok)
		bad(m, err, "filter: the expression is %s, not a boolean",
		    sl_type_kind_name(t, tn, sizeof(tn)));
	sl_type_free(t);
	return ok ? 0 : SL_ECONFIG;
}

/* The output row type: the columns in order, each nullable (a value may be absent). */
static int out_row(struct mapping *m, struct sl_type **row, struct sl_err *err)
{
	struct sl_type *st = sl_type_new(SL_T_STRUCT, false);
	struct sl_err e = {0};
	if (!st)
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	if (m->n == 0) {
		sl_type_free(st);
		return bad(m, err, "select: the mapping leaves no column");
	}
	for (size_t i = 0; i < m->n; i++) {
		struct sl_type *t = sl_type_clone(m->c[i].type);
		if (t)
			t->nullable = true;
		if (!t || sl_type_add_field(st, m->c[i].name, t, &e) != 0) {
			sl_type_free(st);
			if (!t)
				return sl_err_set(err, SL_ENOMEM, "out of memory");
			return bad(m, err, "output column '%.200s': %s", m->c[i].name,
				   strstr(e.msg, "duplicate") ? "two columns have this name (rename "
				   "one)" : e.msg);
		}
	}
	*row = st;
	return 0;
}

static void mapping_free(void *state)
{
	struct mapping *m = state;
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		col_release(&m->c[i]);
	free(m->c);
	sl_expr_free(m->filter);
	sl_expr_cols_free(m->cols);
	sl_expr_arena_free(m->arena);
	free(m->slots);
	free(m->tok);
	free(m->fix);
	sl_buf_release(&m->text);
	free(m);
}

/* A member of the mapping that must be a sequence (or mapping) of texts, or NULL. */
static const struct sl_json_node *part_of(const struct sl_json_node *root, const char *key,
					  enum sl_json_type type)
{
	const struct sl_json_node *n = sl_json_get(root, key);
	if (!n || n->type != type)
		return NULL;
	for (size_t i = 0; type != SL_JSON_STRING && i < n->u.c.n; i++)
		if (n->u.c.items[i]->type != SL_JSON_STRING)
			return NULL;
	return n;
}

static int mapping_open(const struct sl_etl_xform_env *env, void **state, struct sl_type **row,
			struct sl_err *err)
{
	struct mapping *m = calloc(1, sizeof(*m));
	struct sl_json_node *root = NULL;
	struct sl_json_error je;
	int rc;
	if (!m)
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	m->env = env;
	sl_buf_init(&m->text, 0);
	if (!(m->cols = sl_expr_cols_new(env->src_row)) || !(m->arena = sl_expr_arena_new())) {
		rc = sl_err_set(err, SL_ENOMEM, "out of memory");
		goto fail;
	}
	const char *text = env->conf->mapping;
	if (!(root = sl_json_tree_parse(text, strlen(text), NULL, &je)) ||
	    root->type != SL_JSON_OBJECT) {
		rc = sl_err_set(err, SL_ECONFIG, "job %s: the mapping cannot be read", env->job);
		goto fail;
	}
	if ((rc = add_selected(m, part_of(root, "select", SL_JSON_ARRAY), err)) != 0 ||
	    (rc = apply_drop(m, part_of(root, "drop", SL_JSON_ARRAY), err)) != 0 ||
	    (rc = apply_rename(m, part_of(root, "rename", SL_JSON_OBJECT), err)) != 0 ||
	    (rc = apply_cast(m, part_of(root, "cast", SL_JSON_OBJECT), err)) != 0 ||
	    (rc = apply_derive(m, part_of(root, "derive", SL_JSON_OBJECT), err)) != 0 ||
	    (rc = compile_filter(m, part_of(root, "filter", SL_JSON_STRING), err)) != 0 ||
	    (rc = out_row(m, row, err)) != 0)
		goto fail;
	size_t ns = sl_expr_cols_count(m->cols);
	if (!(m->slots = calloc(ns ? ns : 1, sizeof(*m->slots))) ||
	    !(m->fix = calloc(m->n, sizeof(*m->fix)))) {
		rc = sl_err_set(err, SL_ENOMEM, "out of memory");
		goto fail;
	}
	sl_json_tree_free(root);
	*state = m;
	return 0;
fail:
	sl_json_tree_free(root);
	mapping_free(m);
	return rc;
}

/* ---- one record ----------------------------------------------------------------------- */

static int tok_room(struct mapping *m, size_t need, struct sl_err *err)
{
	if (need <= m->cap_tok)
		return 0;
	size_t cap = m->cap_tok ? m->cap_tok : 64;
	while (cap < need)
		cap *= 2;
	void *v = realloc(m->tok, cap * sizeof(*m->tok));
	if (!v)
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	m->tok = v;
	m->cap_tok = cap;
	return 0;
}

/* Copies the value at doc->tok[i] (all its tokens) to the row's tape at *n. */
static int copy_value(struct mapping *m, const struct sl_json_doc *doc, size_t i, size_t *n,
		      struct sl_err *err)
{
	const struct sl_json_tok *t = &doc->tok[i];
	size_t count = (t->type == SL_JSON_OBJECT || t->type == SL_JSON_ARRAY) && t->v.end > i
			       ? t->v.end - i + 1
			       : 1;
	if (i + count > doc->n_tok)
		count = doc->n_tok - i;
	int rc = tok_room(m, *n + count + 1, err);
	if (rc)
		return rc;
	struct sl_json_tok *d = &m->tok[*n];
	memcpy(d, t, count * sizeof(*t));
	int64_t shift = (int64_t)*n - (int64_t)i;
	for (size_t k = 0; k < count; k++)
		if (d[k].type == SL_JSON_OBJECT || d[k].type == SL_JSON_ARRAY)
			d[k].v.end = (uint32_t)((int64_t)d[k].v.end + shift);
	*n += count;
	return 0;
}

/* A token for an expression's value, its JSON text appended to the row's text. */
static int put_value(struct mapping *m, const struct sl_json_doc *doc,
		     const struct sl_expr_value *v, size_t *n, size_t *n_fix, struct sl_err *err)
{
	int rc;
	if (v->kind == SL_EV_JSON)
		return copy_value(m, doc, v->v.tok, n, err);
	if ((rc = tok_room(m, *n + 2, err)) != 0)
		return rc;
	struct sl_json_tok *t = &m->tok[*n];
	size_t at = m->text.len;
	memset(t, 0, sizeof(*t));
	if (v->kind == SL_EV_DOUBLE && !isfinite(v->v.d)) {
		/* as types.h writes them: strings */
		t->type = SL_JSON_STRING;
		t->v.s = isnan(v->v.d) ? "NaN" : v->v.d > 0 ? "Infinity" : "-Infinity";
		t->len = (uint32_t)strlen(t->v.s);
		t->flags = 0;
		rc = sl_buf_printf(&m->text, "\"%s\"", t->v.s);
		t->off = (uint32_t)at;
		(*n)++;
		return rc ? sl_err_set(err, SL_ENOMEM, "out of memory") : 0;
	}
	if ((rc = sl_expr_value_json(v, doc, &m->text)) != 0)
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	t->off = (uint32_t)at;
	size_t jlen = m->text.len - at;
	switch (v->kind) {
	case SL_EV_BOOL: t->type = v->v.b ? SL_JSON_TRUE : SL_JSON_FALSE; break;
	case SL_EV_INT: t->type = SL_JSON_INT; t->v.i = v->v.i; t->len = (uint32_t)jlen; break;
	case SL_EV_DOUBLE:
		t->type = SL_JSON_DOUBLE;
		t->v.d = v->v.d;
		t->len = (uint32_t)jlen;
		break;
	case SL_EV_STRING:
		t->type = SL_JSON_STRING;
		t->v.s = v->v.s.p;
		t->len = (uint32_t)v->v.s.n;
		if (jlen != v->v.s.n + 2)
			t->flags = SL_JSON_F_ESCAPED;
		break;
	default: /* DATE, TIMESTAMP: their text, which is in the row's text: set at the end */
		t->type = SL_JSON_STRING;
		t->len = (uint32_t)(jlen - 2);
		m->fix[(*n_fix)++] = *n;
		break;
	}
	(*n)++;
	return 0;
}

static int mapping_record(void *state, const struct sl_etl_rec *rec, struct sl_err *err)
{
	struct mapping *m = state;
	const struct sl_etl_xform_env *env = m->env;
	const struct sl_json_doc *doc = rec->doc;
	struct sl_expr_value v;
	const char *why = NULL;
	size_t n = 1, n_fix = 0, members = 0;
	int rc;

	if (doc->dup_keys)
		return env->refuse(env->ctx, rec, "duplicate key in the record", err);
	sl_expr_arena_reset(m->arena);
	sl_expr_cols_locate(m->cols, doc, m->slots);
	if (m->filter) {
		rc = sl_expr_eval(m->filter, doc, m->slots, m->arena, &v, &why);
		if (rc == SL_EINVAL) {
			snprintf(m->why, sizeof(m->why), "filter: %s", why);
			return env->refuse(env->ctx, rec, m->why, err);
		}
		if (rc)
			return sl_err_set(err, rc, "out of memory");
		if (!sl_expr_true(&v))
			return 0;
	}
	sl_buf_reset(&m->text);
	if (m->evals && sl_buf_append(&m->text, doc->text, doc->len) != 0)
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	if ((rc = tok_room(m, 2 + 2 * m->n, err)) != 0)
		return rc;
	for (size_t i = 0; i < m->n; i++) {
		const struct mcol *c = &m->c[i];
		size_t key = n;
		if ((rc = tok_room(m, n + 2, err)) != 0)
			return rc;
		memset(&m->tok[key], 0, sizeof(m->tok[key]));
		m->tok[key].type = SL_JSON_KEY;
		m->tok[key].depth = 1;
		m->tok[key].v.s = c->name;
		m->tok[key].len = (uint32_t)strlen(c->name);
		n++;
		if (c->how == COPY) {
			size_t at = m->slots[c->slot];
			if (at == SIZE_MAX || doc->tok[at].type == SL_JSON_NULL) {
				n--; /* absent: null */
				continue;
			}
			rc = copy_value(m, doc, at, &n, err);
		} else {
			rc = sl_expr_eval(c->e, doc, m->slots, m->arena, &v, &why);
			if (rc == SL_EINVAL) {
				snprintf(m->why, sizeof(m->why), "%s %s: %s", c->what, c->name, why);
				return env->refuse(env->ctx, rec, m->why, err);
			}
			if (rc)
				return sl_err_set(err, rc, "out of memory");
			if (v.kind == SL_EV_NULL) {
				n--;
				continue;
			}
			rc = put_value(m, doc, &v, &n, &n_fix, err);
		}
		if (rc)
			return rc;
		members++;
	}
	if ((rc = tok_room(m, n + 1, err)) != 0)
		return rc;
	memset(&m->tok[0], 0, sizeof(m->tok[0]));
	m->tok[0].type = SL_JSON_OBJECT;
	m->tok[0].len = (uint32_t)members;
	m->tok[0].v.end = (uint32_t)n;
	memset(&m->tok[n], 0, sizeof(m->tok[n]));
	m->tok[n].type = SL_JSON_END;
	m->tok[n].off = doc->n_tok ? doc->tok[doc->tok[0].v.end].off : 0;
	n++;
	struct sl_json_doc row = *doc;
	row.tok = m->tok;
	row.n_tok = n;
	row.dup_keys = false;
	if (m->evals) {
		row.text = m->text.data;
		row.len = m->text.len;
		for (size_t k = 0; k < n_fix; k++)
			m->tok[m->fix[k]].v.s = m->text.data + m->tok[m->fix[k]].off + 1;
	}
	return env->emit(env->ctx, rec, &row, err);
}

static int mapping_finish(void *state, struct sl_type **row, struct sl_err *err)
{
	(void)state;
	(void)row;
	(void)err;
	return 0;
}

const struct sl_etl_xform_ops sl_etl_xform_mapping = {
	.name = "mapping",
	.open = mapping_open,
	.record = mapping_record,
	.finish = mapping_finish,
	.free = mapping_free,
};
