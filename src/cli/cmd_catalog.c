/* cmd_catalog.c - `sluice catalog`: the tables the crawler keeps (catalog/catalog.h):
 * ls, show, partitions, history, files, ddl and drop. Thin: the metadata store's
 * catalog_* callbacks and sl_cat_ddl do the work; this file prints. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "cli/cli.h"
#include "json/json.h"
#include "util/clock.h"

/* Options, and which were given (to refuse those a subcommand does not take). */
enum {
	O_JSON = 1,
	O_DB = 2,
	O_VERSION = 4,
	O_PARTITION = 8,
	O_STATS = 16,
	O_DIALECT = 32,
	O_LOCATION = 64,
};

static const char *const opt_names[] = {"--json",  "--db",	"--version", "--partition",
					"--stats", "--dialect", "--location"};

struct copts {
	unsigned given;
	bool json, stats;
	const char *db, *partition, *dialect, *location;
	int64_t version;
};

/* ---- helpers --------------------------------------------------------------------------- */

/* Appends text, which should be a JSON document written by sluice, as JSON: itself when it
 * parses, else as a string (a damaged row never makes the output invalid JSON). */
static void json_doc(struct sl_buf *b, const char *text)
{
	if (!text) {
		sl_buf_puts(b, "null");
		return;
	}
	struct sl_json_limits lim;
	struct sl_json_error je;
	sl_json_limits_default(&lim);
	size_t len = strlen(text);
	lim.max_record = len + 1;
	struct sl_json_node *n = sl_json_tree_parse(text, len, &lim, &je);
	if (n)
		sl_buf_append(b, text, len);
	else
		sl_buf_json_str(b, text, len);
	sl_json_tree_free(n);
}


/* The partition keys "dt,hour" as a JSON array. */
static void json_keys(struct sl_buf *b, const char *keys)
{
	sl_buf_puts(b, "[");
	const char *s = keys;
	for (int n = 0; *s; n++) {
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t)(comma - s) : strlen(s);
		if (n)
			sl_buf_puts(b, ",");
		sl_buf_json_str(b, s, len);
		s += len + (comma ? 1 : 0);
	}
	sl_buf_puts(b, "]");
}

static bool known_db(const char *db)
{
	return strcmp(db, "raw") == 0 || strcmp(db, "curated") == 0;
}

int sl_cli_find_table(struct sl_cli *cli, struct sl_lake *lake, const char *arg,
		      struct sl_cat_table *out)
{
	struct sl_meta *m = &lake->meta;
	struct sl_err err = {0};
	const char *dot = strchr(arg, '.');
	if (dot) {
		char db[SL_CAT_DB_MAX];
		size_t n = (size_t)(dot - arg);
		if (n == 0 || n >= sizeof(db) || !dot[1] || strlen(dot + 1) >= SL_CAT_NAME_MAX)
			return sl_cli_usage_error(cli, "'%.300s' is not a table (DB.NAME or NAME)", arg);
		memcpy(db, arg, n);
		db[n] = 0;
		int rc = m->ops->catalog_table_get(m->state, db, dot + 1, out, &err);
		if (rc == SL_ENOENT) {
			fprintf(stderr, "sluice: no table %.300s%s (see 'sluice catalog ls')\n", arg,
				known_db(db) ? "" : " (the databases are raw and curated)");
			return SL_EXIT_FAIL;
		}
		return rc ? sl_cli_fail(cli, &err) : SL_EXIT_OK;
	}
	if (!arg[0] || strlen(arg) >= SL_CAT_NAME_MAX)
		return sl_cli_usage_error(cli, "'%.300s' is not a table (DB.NAME or NAME)", arg);
	struct sl_cat_table cur;
	int rc_raw = m->ops->catalog_table_get(m->state, "raw", arg, out, &err);
	if (rc_raw && rc_raw != SL_ENOENT)
		return sl_cli_fail(cli, &err);
	int rc_cur = m->ops->catalog_table_get(m->state, "curated", arg, &cur, &err);
	if (rc_cur && rc_cur != SL_ENOENT) {
		if (rc_raw == 0)
			sl_cat_table_release(out);
		return sl_cli_fail(cli, &err);
	}
	if (rc_raw == 0 && rc_cur == 0) {
		sl_cat_table_release(out);
		sl_cat_table_release(&cur);
		fprintf(stderr, "sluice: table '%s' is ambiguous: raw.%s and curated.%s both exist; "
				"say which\n", arg, arg, arg);
		return SL_EXIT_USAGE;
	}
	if (rc_cur == 0) {
		*out = cur;
		return SL_EXIT_OK;
	}
	if (rc_raw == 0)
		return SL_EXIT_OK;
	fprintf(stderr, "sluice: no table '%.300s' in raw or curated (see 'sluice catalog ls')\n",
		arg);
	return SL_EXIT_FAIL;
}

/* ---- ls ----------------------------------------------------------------------------------- */

struct walk {
	struct sl_cli *cli;
	struct sl_buf out;
	bool json, stats;
	bool note; /* partitions: one was written under an older table version */
	int n;
	const struct sl_cat_table *t;
};

static int ls_one(void *ctx, const struct sl_cat_table *t)
{
	struct walk *w = ctx;
	char when[40], bytes[32];
	if (w->json) {
		sl_buf_printf(&w->out, "%s\n{\"db\":", w->n ? "," : "");
		sl_cli_json_str(&w->out, t->db);
		sl_buf_puts(&w->out, ",\"name\":");
		sl_cli_json_str(&w->out, t->name);
		sl_buf_printf(&w->out, ",\"version\":%" PRId64 ",\"format\":", t->version);
		sl_cli_json_str(&w->out, t->format);
		sl_buf_puts(&w->out, ",\"zone\":");
		sl_cli_json_str(&w->out, t->zone);
		sl_buf_puts(&w->out, ",\"prefix\":");
		sl_cli_json_str(&w->out, t->prefix);
		sl_buf_puts(&w->out, ",\"partition_keys\":");
		json_keys(&w->out, t->partition_keys);
		sl_buf_printf(&w->out,
			      ",\"partitions\":%" PRId64 ",\"files\":%" PRId64 ",\"records\":%" PRId64
			      ",\"bytes\":%" PRId64 ",\"updated\":",
			      t->n_partitions, t->n_files, t->records, t->bytes);
		sl_cli_json_time(&w->out, t->updated_ms);
		sl_buf_puts(&w->out, "}");
	} else {
		char name[SL_CAT_DB_MAX + SL_CAT_NAME_MAX + 1];
		snprintf(name, sizeof(name), "%s.%s", t->db, t->name);
		sl_cli_human_bytes(t->bytes, bytes, sizeof(bytes));
		sl_buf_printf(&w->out, "%-28s %4" PRId64 "  %-7s %10" PRId64 " %8" PRId64 " %12" PRId64
				       " %11s  %s\n",
			      name, t->version, t->format, t->n_partitions, t->n_files, t->records,
			      bytes, sl_cli_text_time(t->updated_ms, when, sizeof(when)));
	}
	w->n++;
	if (w->out.len > 65536)
		sl_cli_flush(w->cli, &w->out);
	return 0;
}

static int do_ls(struct sl_cli *cli, struct sl_lake *lake, const struct copts *o)
{
	struct walk w = {.cli = cli, .json = o->json};
	struct sl_err err = {0};
	sl_buf_init(&w.out, 0);
	if (o->json)
		sl_buf_puts(&w.out, "[");
	else
		sl_buf_printf(&w.out, "%-28s %4s  %-7s %10s %8s %12s %11s  %s\n", "table", "ver",
			      "format", "partitions", "files", "records", "bytes", "updated");
	int rc = lake->meta.ops->catalog_table_list(lake->meta.state, o->db, ls_one, &w, &err);
	if (o->json)
		sl_buf_puts(&w.out, w.n ? "\n]\n" : "]\n");
	else if (w.n == 0)
		sl_buf_puts(&w.out, "(no tables yet: 'sluice crawl --drain' catalogues the raw "
				    "zone)\n");
	if (rc == 0)
		sl_cli_flush(cli, &w.out);
	sl_buf_release(&w.out);
	return rc ? sl_cli_fail(cli, &err) : SL_EXIT_OK;
}

/* ---- show --------------------------------------------------------------------------------- */

/* The label of t for the column tree, and the struct whose fields go below it (NULL: none):
 * a struct, or lists and maps of one, show their fields indented ("list<struct>"). */
static const struct sl_type *label_of(const struct sl_type *t, struct sl_buf *label)
{
	const struct sl_type *inner = t;
	int wraps = 0;
	while ((inner->kind == SL_T_LIST || inner->kind == SL_T_MAP) && wraps < SL_TYPE_MAX_DEPTH) {
		inner = inner->elem;
		wraps++;
	}
	if (inner->kind != SL_T_STRUCT || inner->n_fields == 0) {
		sl_type_format(t, label);
		return NULL;
	}
	const struct sl_type *w = t;
	for (int i = 0; i < wraps; i++, w = w->elem) {
		if (w->kind == SL_T_LIST) {
			sl_buf_puts(label, "list<");
		} else {
			sl_buf_puts(label, "map<");
			sl_type_format(w->key, label);
			sl_buf_puts(label, ",");
		}
	}
	sl_buf_puts(label, "struct");
	for (int i = 0; i < wraps; i++)
		sl_buf_puts(label, ">");
	if (!t->nullable)
		sl_buf_puts(label, " not null");
	return inner;
}

/* A name as the type's text form writes it: plain, or a JSON string when it is not
 * [A-Za-z_][A-Za-z0-9_]*. */
static void name_out(struct sl_buf *b, const char *name)
{
	bool plain = (name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z') ||
		     name[0] == '_';
	for (const char *p = name; plain && *p; p++)
		plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			(*p >= '0' && *p <= '9') || *p == '_';
	if (plain)
		sl_buf_puts(b, name);
	else
		sl_cli_json_str(b, name);
}

/* One line per column, nested fields indented below their struct (or list or map of
 * structs); depth is bounded by the parsed type's (SL_TYPE_MAX_DEPTH). */
static void column_tree(struct sl_buf *b, const struct sl_type *st, int depth)
{
	for (size_t i = 0; i < st->n_fields; i++) {
		const struct sl_field *f = &st->fields[i];
		struct sl_buf label, name;
		sl_buf_init(&label, 0);
		sl_buf_init(&name, 0);
		name_out(&name, f->name);
		const struct sl_type *sub = label_of(f->type, &label);
		int width = 30 - 2 * depth, nl = (int)name.len;
		sl_buf_printf(b, "  %*s%s%*s %s\n", 2 * depth, "", name.data ? name.data : "",
			      nl < width ? width - nl : 0, "", label.data ? label.data : "");
		sl_buf_release(&label);
		sl_buf_release(&name);
		if (sub && depth < SL_TYPE_MAX_DEPTH)
			column_tree(b, sub, depth + 1);
	}
}

static int do_show(struct sl_cli *cli, struct sl_lake *lake, const char *arg,
		   const struct copts *o)
{
	struct sl_meta *m = &lake->meta;
	struct sl_cat_table t;
	struct sl_cat_version v = {0};
	struct sl_err err = {0};
	struct sl_buf b;
	int rc = sl_cli_find_table(cli, lake, arg, &t);
	if (rc)
		return rc;
	bool have_v = o->given & O_VERSION;
	if (have_v) {
		rc = m->ops->catalog_version_get(m->state, t.db, t.name, o->version, &v, &err);
		if (rc == SL_ENOENT) {
			fprintf(stderr, "sluice: %s.%s has no version %" PRId64 " (versions 1 to %" PRId64
					")\n", t.db, t.name, o->version, t.version);
			sl_cat_table_release(&t);
			return SL_EXIT_FAIL;
		}
		if (rc) {
			sl_cat_table_release(&t);
			return sl_cli_fail(cli, &err);
		}
	}
	const char *schema_text = have_v ? v.schema : t.schema;
	const char *keys = have_v ? v.partition_keys : t.partition_keys;
	struct sl_type *schema = schema_text ? sl_type_parse(schema_text, strlen(schema_text), &err)
					     : NULL;
	sl_buf_init(&b, 0);
	if (o->json) {
		sl_buf_puts(&b, "{\"db\":");
		sl_cli_json_str(&b, t.db);
		sl_buf_puts(&b, ",\"name\":");
		sl_cli_json_str(&b, t.name);
		sl_buf_printf(&b, ",\"version\":%" PRId64 ",\"latest_version\":%" PRId64 ",\"zone\":",
			      have_v ? v.version : t.version, t.version);
		sl_cli_json_str(&b, t.zone);
		sl_buf_puts(&b, ",\"prefix\":");
		sl_cli_json_str(&b, t.prefix);
		sl_buf_puts(&b, ",\"format\":");
		sl_cli_json_str(&b, t.format);
		sl_buf_puts(&b, ",\"subject\":");
		if (t.subject[0])
			sl_cli_json_str(&b, t.subject);
		else
			sl_buf_puts(&b, "null");
		sl_buf_printf(&b, ",\"subject_version\":%" PRId64 ",\"schema_policy\":",
			      have_v ? v.subject_version : t.subject_version);
		sl_cli_json_str(&b, t.schema_policy);
		sl_buf_puts(&b, ",\"deletion_policy\":");
		sl_cli_json_str(&b, t.deletion_policy);
		sl_buf_puts(&b, ",\"partition_keys\":");
		json_keys(&b, keys);
		sl_buf_puts(&b, ",\"properties\":");
		if (t.properties)
			json_doc(&b, t.properties);
		else
			sl_buf_puts(&b, "{}");
		sl_buf_puts(&b, ",\"created\":");
		sl_cli_json_time(&b, t.created_ms);
		sl_buf_puts(&b, ",\"updated\":");
		sl_cli_json_time(&b, t.updated_ms);
		sl_buf_printf(&b,
			      ",\"partitions\":%" PRId64 ",\"files\":%" PRId64 ",\"records\":%" PRId64
			      ",\"bytes\":%" PRId64,
			      t.n_partitions, t.n_files, t.records, t.bytes);
		if (have_v) {
			sl_buf_puts(&b, ",\"version_created\":");
			sl_cli_json_time(&b, v.created_ms);
			sl_buf_puts(&b, ",\"change\":");
			json_doc(&b, v.change);
		}
		sl_buf_puts(&b, ",\"schema_text\":");
		if (schema_text)
			sl_cli_json_str(&b, schema_text);
		else
			sl_buf_puts(&b, "null");
		sl_buf_puts(&b, ",\"schema\":");
		if (schema)
			sl_type_to_json(schema, &b);
		else
			sl_buf_puts(&b, "null");
		sl_buf_puts(&b, "}\n");
	} else {
		char c[40], u[40], bytes[32];
		sl_cli_human_bytes(t.bytes, bytes, sizeof(bytes));
		sl_buf_printf(&b, "table        %s.%s\n", t.db, t.name);
		if (have_v)
			sl_buf_printf(&b, "version      %" PRId64 " of %" PRId64 ", made %s\n", v.version,
				      t.version, sl_cli_text_time(v.created_ms, c, sizeof(c)));
		else
			sl_buf_printf(&b, "version      %" PRId64 "\n", t.version);
		sl_buf_printf(&b, "location     %s/%s\nformat       %s\n", t.zone, t.prefix, t.format);
		int64_t sv = have_v ? v.subject_version : t.subject_version;
		if (t.subject[0] && sv)
			sl_buf_printf(&b, "subject      %s, schema version %" PRId64
					  " (the registered schema types the table)\n", t.subject, sv);
		else if (t.subject[0])
			sl_buf_printf(&b, "subject      %s (no registered schema: types inferred)\n",
				      t.subject);
		else
			sl_buf_puts(&b, "subject      (none: types inferred)\n");
		sl_buf_printf(&b, "policies     schema change: %s, deletion: %s\n", t.schema_policy,
			      t.deletion_policy);
		sl_buf_printf(&b, "partitioned  %s\n", keys[0] ? keys : "(no)");
		sl_buf_printf(&b, "holds        %" PRId64 " partitions, %" PRId64 " files, %" PRId64
				  " records, %s\n", t.n_partitions, t.n_files, t.records, bytes);
		sl_buf_printf(&b, "created      %s\nupdated      %s\n",
			      sl_cli_text_time(t.created_ms, c, sizeof(c)),
			      sl_cli_text_time(t.updated_ms, u, sizeof(u)));
		if (t.properties && strcmp(t.properties, "{}") != 0)
			sl_buf_printf(&b, "properties   %s\n", t.properties);
		if (have_v)
			sl_buf_printf(&b, "change       %s\n", v.change ? v.change : "-");
		if (schema && schema->kind == SL_T_STRUCT) {
			sl_buf_printf(&b, "schema       %zu column%s\n", schema->n_fields,
				      schema->n_fields == 1 ? "" : "s");
			column_tree(&b, schema, 0);
		} else {
			sl_buf_printf(&b, "schema       %s\n", schema_text ? schema_text : "(none)");
		}
	}
	if (schema_text && !schema)
		fprintf(stderr, "sluice: %s.%s: the stored schema does not parse: %s\n", t.db,
			t.name, err.msg);
	sl_cli_flush(cli, &b);
	sl_buf_release(&b);
	sl_type_free(schema);
	sl_cat_version_release(&v);
	sl_cat_table_release(&t);
	return SL_EXIT_OK;
}

/* ---- partitions ---------------------------------------------------------------------------- */

static int part_one(void *ctx, const struct sl_cat_partition *p)
{
	struct walk *w = ctx;
	char when[40], bytes[32];
	if (w->json) {
		char buf[SL_CAT_PART_MAX];
		const char *vals[SL_CAT_MAX_PARTITION_KEYS];
		int n = sl_cat_part_values(w->t->partition_keys, p->part, buf, sizeof(buf), vals,
					   SL_CAT_MAX_PARTITION_KEYS, NULL);
		sl_buf_printf(&w->out, "%s\n{\"part\":", w->n ? "," : "");
		sl_cli_json_str(&w->out, p->part);
		sl_buf_puts(&w->out, ",\"values\":");
		if (n < 0) {
			sl_buf_puts(&w->out, "null");
		} else {
			sl_buf_puts(&w->out, "{");
			const char *k = w->t->partition_keys;
			for (int i = 0; i < n; i++) {
				const char *comma = strchr(k, ',');
				size_t kl = comma ? (size_t)(comma - k) : strlen(k);
				sl_buf_puts(&w->out, i ? "," : "");
				sl_buf_json_str(&w->out, k, kl);
				sl_buf_puts(&w->out, ":");
				sl_cli_json_str(&w->out, vals[i]);
				k += kl + (comma ? 1 : 0);
			}
			sl_buf_puts(&w->out, "}");
		}
		sl_buf_puts(&w->out, ",\"state\":");
		sl_cli_json_str(&w->out, p->state);
		sl_buf_printf(&w->out,
			      ",\"objects\":%" PRId64 ",\"records\":%" PRId64 ",\"bytes\":%" PRId64
			      ",\"schema_version\":%" PRId64 ",\"created\":",
			      p->objects, p->records, p->bytes, p->schema_version);
		sl_cli_json_time(&w->out, p->created_ms);
		sl_buf_puts(&w->out, ",\"updated\":");
		sl_cli_json_time(&w->out, p->updated_ms);
		sl_buf_puts(&w->out, "}");
	} else {
		sl_cli_human_bytes(p->bytes, bytes, sizeof(bytes));
		sl_buf_printf(&w->out, "%-40s %-10s %8" PRId64 " %12" PRId64 " %11s  v%-4" PRId64
				       " %s\n",
			      p->part[0] ? p->part : "(the table's folder)", p->state, p->objects,
			      p->records, bytes, p->schema_version,
			      sl_cli_text_time(p->updated_ms, when, sizeof(when)));
		if (p->schema_version && p->schema_version != w->t->version)
			w->note = true;
	}
	w->n++;
	if (w->out.len > 65536)
		sl_cli_flush(w->cli, &w->out);
	return 0;
}

static int do_partitions(struct sl_cli *cli, struct sl_lake *lake, const char *arg,
			 const struct copts *o)
{
	struct sl_cat_table t;
	struct sl_err err = {0};
	int rc = sl_cli_find_table(cli, lake, arg, &t);
	if (rc)
		return rc;
	struct walk w = {.cli = cli, .json = o->json, .t = &t};
	sl_buf_init(&w.out, 0);
	if (o->json)
		sl_buf_puts(&w.out, "[");
	else
		sl_buf_printf(&w.out, "%-40s %-10s %8s %12s %11s  %-5s %s\n", "partition", "state",
			      "objects", "records", "bytes", "schema", "updated");
	rc = lake->meta.ops->catalog_partition_list(lake->meta.state, t.db, t.name, part_one, &w,
						    &err);
	if (o->json)
		sl_buf_puts(&w.out, w.n ? "\n]\n" : "]\n");
	else if (w.n == 0)
		sl_buf_puts(&w.out, "(no partitions)\n");
	else if (w.note)
		sl_buf_printf(&w.out, "(schema: the table version each partition's newest file was "
				      "crawled under; the table is at v%" PRId64 ")\n", t.version);
	if (rc == 0)
		sl_cli_flush(cli, &w.out);
	sl_buf_release(&w.out);
	sl_cat_table_release(&t);
	return rc ? sl_cli_fail(cli, &err) : SL_EXIT_OK;
}

/* ---- history ------------------------------------------------------------------------------- */

static int version_one(void *ctx, const struct sl_cat_version *v)
{
	struct walk *w = ctx;
	char when[40];
	if (w->json) {
		sl_buf_printf(&w->out, "%s\n{\"version\":%" PRId64 ",\"created\":", w->n ? "," : "",
			      v->version);
		sl_cli_json_time(&w->out, v->created_ms);
		sl_buf_printf(&w->out, ",\"subject_version\":%" PRId64 ",\"partition_keys\":",
			      v->subject_version);
		json_keys(&w->out, v->partition_keys);
		sl_buf_puts(&w->out, ",\"schema\":");
		if (v->schema)
			sl_cli_json_str(&w->out, v->schema);
		else
			sl_buf_puts(&w->out, "null");
		sl_buf_puts(&w->out, ",\"change\":");
		json_doc(&w->out, v->change);
		sl_buf_puts(&w->out, "}");
	} else {
		sl_buf_printf(&w->out, "v%-4" PRId64 " %s  %s\n", v->version,
			      sl_cli_text_time(v->created_ms, when, sizeof(when)), v->change ? v->change : "");
		sl_buf_printf(&w->out, "      schema %s\n", v->schema ? v->schema : "-");
		if (v->partition_keys[0])
			sl_buf_printf(&w->out, "      partitioned by %s\n", v->partition_keys);
	}
	w->n++;
	if (w->out.len > 65536)
		sl_cli_flush(w->cli, &w->out);
	return 0;
}

/* One drift entry: as a JSON object or a line (also used by `sluice status`). */
static void drift_out(struct sl_buf *b, const struct sl_cat_drift *d, bool json, bool with_table)
{
	char when[40];
	if (json) {
		sl_buf_printf(b, "{\"id\":%" PRId64 ",\"db\":", d->id);
		sl_cli_json_str(b, d->db);
		sl_buf_puts(b, ",\"table\":");
		sl_cli_json_str(b, d->table);
		sl_buf_printf(b, ",\"version\":%" PRId64 ",\"kind\":", d->version);
		sl_cli_json_str(b, d->kind);
		sl_buf_puts(b, ",\"path\":");
		sl_cli_json_str(b, d->path);
		sl_buf_puts(b, ",\"detail\":");
		sl_cli_json_str(b, d->detail);
		sl_buf_puts(b, ",\"example\":");
		sl_cli_json_str(b, d->example);
		sl_buf_puts(b, ",\"created\":");
		sl_cli_json_time(b, d->created_ms);
		sl_buf_puts(b, "}");
		return;
	}
	char ver[32] = "";
	if (d->version)
		snprintf(ver, sizeof(ver), " -> v%" PRId64, d->version);
	sl_buf_printf(b, "  %s ", sl_cli_text_time(d->created_ms, when, sizeof(when)));
	if (with_table)
		sl_buf_printf(b, "%s.%s ", d->db, d->table);
	sl_buf_printf(b, "%s%s", d->kind, ver);
	if (d->path[0])
		sl_buf_printf(b, " %s", d->path);
	if (d->detail[0])
		sl_buf_printf(b, ": %s", d->detail);
	if (d->example[0])
		sl_buf_printf(b, " (e.g. %s)", d->example);
	sl_buf_puts(b, "\n");
}

static int drift_one(void *ctx, const struct sl_cat_drift *d)
{
	struct walk *w = ctx;
	if (w->json)
		sl_buf_puts(&w->out, w->n ? ",\n" : "\n");
	drift_out(&w->out, d, w->json, false);
	w->n++;
	if (w->out.len > 65536)
		sl_cli_flush(w->cli, &w->out);
	return 0;
}

static int do_history(struct sl_cli *cli, struct sl_lake *lake, const char *arg,
		      const struct copts *o)
{
	struct sl_meta *m = &lake->meta;
	struct sl_cat_table t;
	struct sl_err err = {0};
	int rc = sl_cli_find_table(cli, lake, arg, &t);
	if (rc)
		return rc;
	struct walk w = {.cli = cli, .json = o->json, .t = &t};
	sl_buf_init(&w.out, 0);
	if (o->json)
		sl_buf_puts(&w.out, "{\"versions\":[");
	else
		sl_buf_printf(&w.out, "%s.%s: versions\n", t.db, t.name);
	rc = m->ops->catalog_version_list(m->state, t.db, t.name, version_one, &w, &err);
	if (rc == 0) {
		if (o->json)
			sl_buf_puts(&w.out, w.n ? "\n],\"drift\":[" : "],\"drift\":[");
		else
			sl_buf_puts(&w.out, "\ndrift (changes and problems the crawler saw)\n");
		w.n = 0;
		rc = m->ops->catalog_drift_list(m->state, t.db, t.name, 0, 0, drift_one, &w, &err);
	}
	if (o->json)
		sl_buf_puts(&w.out, w.n ? "\n]}\n" : "]}\n");
	else if (w.n == 0)
		sl_buf_puts(&w.out, "  (none)\n");
	if (rc == 0)
		sl_cli_flush(cli, &w.out);
	sl_buf_release(&w.out);
	sl_cat_table_release(&t);
	return rc ? sl_cli_fail(cli, &err) : SL_EXIT_OK;
}

/* ---- files --------------------------------------------------------------------------------- */

static int file_one(void *ctx, const struct sl_cat_file *f)
{
	struct walk *w = ctx;
	char when[40], bytes[32];
	if (w->json) {
		sl_buf_printf(&w->out, "%s\n{\"zone\":", w->n ? "," : "");
		sl_cli_json_str(&w->out, f->zone);
		sl_buf_puts(&w->out, ",\"key\":");
		sl_cli_json_str(&w->out, f->key);
		sl_buf_printf(&w->out, ",\"seq\":%" PRId64 ",\"part\":", f->seq);
		sl_cli_json_str(&w->out, f->part);
		sl_buf_puts(&w->out, ",\"format\":");
		sl_cli_json_str(&w->out, f->format);
		sl_buf_printf(&w->out,
			      ",\"records\":%" PRId64 ",\"bytes\":%" PRId64
			      ",\"schema_version\":%" PRId64 ",\"state\":",
			      f->records, f->bytes, f->schema_version);
		sl_cli_json_str(&w->out, f->state);
		sl_buf_puts(&w->out, ",\"reason\":");
		sl_cli_json_str(&w->out, f->reason);
		sl_buf_puts(&w->out, ",\"crawled\":");
		sl_cli_json_time(&w->out, f->crawled_ms);
		if (w->stats) {
			sl_buf_puts(&w->out, ",\"stats\":");
			json_doc(&w->out, f->stats);
		}
		sl_buf_puts(&w->out, "}");
	} else {
		sl_cli_human_bytes(f->bytes, bytes, sizeof(bytes));
		sl_buf_printf(&w->out, "%-8s %10" PRId64 " %11s  v%-4" PRId64 " %s  %s/%s", f->state,
			      f->records, bytes, f->schema_version,
			      sl_cli_text_time(f->crawled_ms, when, sizeof(when)), f->zone, f->key);
		if (f->reason[0])
			sl_buf_printf(&w->out, "\n    %s", f->reason);
		sl_buf_puts(&w->out, "\n");
		if (w->stats && f->stats)
			sl_buf_printf(&w->out, "    stats %s\n", f->stats);
	}
	w->n++;
	if (w->out.len > 65536)
		sl_cli_flush(w->cli, &w->out);
	return 0;
}

static int do_files(struct sl_cli *cli, struct sl_lake *lake, const char *arg,
		    const struct copts *o)
{
	struct sl_cat_table t;
	struct sl_err err = {0};
	int rc = sl_cli_find_table(cli, lake, arg, &t);
	if (rc)
		return rc;
	struct walk w = {.cli = cli, .json = o->json, .stats = o->stats, .t = &t};
	sl_buf_init(&w.out, 0);
	if (o->json)
		sl_buf_puts(&w.out, "[");
	else
		sl_buf_printf(&w.out, "%-8s %10s %11s  %-5s %-24s  %s\n", "state", "records", "bytes",
			      "schema", "crawled", "object");
	rc = lake->meta.ops->catalog_file_list(lake->meta.state, t.db, t.name, o->partition,
					       o->stats, file_one, &w, &err);
	if (o->json)
		sl_buf_puts(&w.out, w.n ? "\n]\n" : "]\n");
	else if (w.n == 0)
		sl_buf_printf(&w.out, "(no files%s%s)\n", o->partition ? " in partition " : "",
			      o->partition ? o->partition : "");
	if (rc == 0)
		sl_cli_flush(cli, &w.out);
	sl_buf_release(&w.out);
	sl_cat_table_release(&t);
	return rc ? sl_cli_fail(cli, &err) : SL_EXIT_OK;
}

/* ---- ddl ----------------------------------------------------------------------------------- */

struct parts {
	struct sl_cat_partition *v;
	size_t n, cap;
};

static int collect_part(void *ctx, const struct sl_cat_partition *p)
{
	struct parts *ps = ctx;
	if (ps->n == ps->cap) {
		size_t cap = ps->cap ? ps->cap * 2 : 64;
		struct sl_cat_partition *nv = realloc(ps->v, cap * sizeof(*nv));
		if (!nv)
			return SL_ENOMEM;
		ps->v = nv;
		ps->cap = cap;
	}
	ps->v[ps->n++] = *p;
	return 0;
}

static int do_ddl(struct sl_cli *cli, struct sl_lake *lake, const char *arg,
		  const struct copts *o)
{
	static const char *const dialects[] = {"athena", "trino", "spark", "duckdb"};
	bool known = false;
	for (size_t i = 0; i < 4; i++)
		known |= strcmp(o->dialect, dialects[i]) == 0;
	if (!known)
		return sl_cli_usage_error(cli, "--dialect '%.40s': expected athena, trino, spark or "
					       "duckdb", o->dialect);
	if (strcmp(o->dialect, "athena") == 0 && !o->location)
		return sl_cli_usage_error(cli, "athena reads s3:// only: give --location "
					       "s3://BUCKET/PATH, where the zone's objects are");
	struct sl_cat_table t;
	struct sl_err err = {0};
	int rc = sl_cli_find_table(cli, lake, arg, &t);
	if (rc)
		return rc;
	struct parts ps = {0};
	struct sl_buf b, loc;
	sl_buf_init(&b, 0);
	sl_buf_init(&loc, 0);
	rc = lake->meta.ops->catalog_partition_list(lake->meta.state, t.db, t.name, collect_part,
						    &ps, &err);
	if (rc == SL_ENOMEM)
		sl_err_set(&err, rc, "%s.%s: out of memory listing partitions", t.db, t.name);
	if (rc)
		goto done;
	/* the zone's folder in the lake unless --location says where its objects are */
	if (o->location)
		sl_buf_puts(&loc, o->location);
	else
		sl_buf_printf(&loc, "%s/%s", lake->root, t.zone);
	rc = sl_cat_ddl(&t, NULL, ps.v, ps.n, o->dialect, loc.data, &b, &err);
	if (rc == 0)
		sl_cli_flush(cli, &b);
done:
	sl_buf_release(&b);
	sl_buf_release(&loc);
	free(ps.v);
	sl_cat_table_release(&t);
	return rc ? sl_cli_fail(cli, &err) : SL_EXIT_OK;
}

/* ---- drop ---------------------------------------------------------------------------------- */

static int do_drop(struct sl_cli *cli, struct sl_lake *lake, const char *arg)
{
	struct sl_cat_table t;
	struct sl_err err = {0};
	int rc = sl_cli_find_table(cli, lake, arg, &t);
	if (rc)
		return rc;
	rc = lake->meta.ops->catalog_table_drop(lake->meta.state, t.db, t.name, sl_now_ms(), &err);
	if (rc == 0)
		fprintf(cli->out, "dropped %s.%s (%" PRId64 " versions, %" PRId64 " partitions, %" PRId64
				  " files); its objects stay in %s/%s\n",
			t.db, t.name, t.version, t.n_partitions, t.n_files, t.zone, t.prefix);
	sl_cat_table_release(&t);
	return rc ? sl_cli_fail(cli, &err) : SL_EXIT_OK;
}

/* ---- the command ----------------------------------------------------------------------------- */

static int run_catalog(struct sl_cli *cli, int argc, char **argv)
{
	static const struct option lo[] = {
		SL_CLI_COMMON_OPTS,
		{"json", no_argument, NULL, 'j'},
		{"db", required_argument, NULL, 'd'},
		{"version", required_argument, NULL, 'v'},
		{"partition", required_argument, NULL, 'p'},
		{"stats", no_argument, NULL, 's'},
		{"dialect", required_argument, NULL, 'D'},
		{"location", required_argument, NULL, 'l'},
		{0},
	};
	struct copts o = {0};
	long long n;
	int c;
	while ((c = sl_cli_getopt(cli, argc, argv, "", lo)) != -1) {
		switch (c) {
		case 'h': return SL_EXIT_OK;
		case 'j': o.json = true; o.given |= O_JSON; break;
		case 'd':
			if (!known_db(optarg))
				return sl_cli_usage_error(cli, "--db '%.40s': expected raw or curated",
							  optarg);
			o.db = optarg;
			o.given |= O_DB;
			break;
		case 'v':
			if (sl_cli_parse_count(cli, "--version", optarg, INT64_MAX, &n))
				return SL_EXIT_USAGE;
			if (n < 1)
				return sl_cli_usage_error(cli, "--version 0: versions are numbered from 1");
			o.version = n;
			o.given |= O_VERSION;
			break;
		case 'p': o.partition = optarg; o.given |= O_PARTITION; break;
		case 's': o.stats = true; o.given |= O_STATS; break;
		case 'D': o.dialect = optarg; o.given |= O_DIALECT; break;
		case 'l': o.location = optarg; o.given |= O_LOCATION; break;
		default: return SL_EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return sl_cli_usage_error(cli, "expected ls, show, partitions, history, files, ddl or "
					       "drop");
	const char *sub = argv[optind++];
	static const struct {
		const char *name;
		unsigned allowed;
		bool table;
	} subs[] = {
		{"ls", O_JSON | O_DB, false},
		{"show", O_JSON | O_VERSION, true},
		{"partitions", O_JSON, true},
		{"history", O_JSON, true},
		{"files", O_JSON | O_PARTITION | O_STATS, true},
		{"ddl", O_DIALECT | O_LOCATION, true},
		{"drop", 0, true},
	};
	size_t k;
	for (k = 0; k < sizeof(subs) / sizeof(subs[0]); k++)
		if (strcmp(sub, subs[k].name) == 0)
			break;
	if (k == sizeof(subs) / sizeof(subs[0]))
		return sl_cli_usage_error(cli, "unknown subcommand '%.40s'", sub);
	for (size_t i = 0; i < sizeof(opt_names) / sizeof(opt_names[0]); i++)
		if ((o.given & (1u << i)) && !(subs[k].allowed & (1u << i)))
			return sl_cli_usage_error(cli, "%s does not take %s", sub, opt_names[i]);
	int n_args = argc - optind;
	if (subs[k].table && n_args != 1)
		return sl_cli_usage_error(cli, "%s takes one TABLE", sub);
	if (!subs[k].table && n_args)
		return sl_cli_usage_error(cli, "unexpected argument '%.300s'", argv[optind]);
	if (strcmp(sub, "ddl") == 0 && !o.dialect)
		return sl_cli_usage_error(cli, "ddl needs --dialect athena|trino|spark|duckdb");

	struct sl_lake *lake;
	int rc = sl_cli_open_lake(cli, &lake);
	if (rc)
		return rc;
	const char *table = subs[k].table ? argv[optind] : NULL;
	switch (k) {
	case 0: rc = do_ls(cli, lake, &o); break;
	case 1: rc = do_show(cli, lake, table, &o); break;
	case 2: rc = do_partitions(cli, lake, table, &o); break;
	case 3: rc = do_history(cli, lake, table, &o); break;
	case 4: rc = do_files(cli, lake, table, &o); break;
	case 5: rc = do_ddl(cli, lake, table, &o); break;
	default: rc = do_drop(cli, lake, table); break;
	}
	sl_lake_close(lake);
	return rc;
}

/* `sluice status`'s catalog part (cmd_status.c): tables per database, the crawler's
 * counters, the crawl queues' backlog and the latest drift entries. */
#define STATUS_DRIFT 10

struct drift_ring {
	struct sl_cat_drift v[STATUS_DRIFT];
	size_t n; /* entries seen */
};

static int ring_one(void *ctx, const struct sl_cat_drift *d)
{
	struct drift_ring *r = ctx;
	r->v[r->n % STATUS_DRIFT] = *d;
	r->n++;
	return 0;
}

struct db_count {
	int64_t raw, curated, other;
};

static int count_table(void *ctx, const struct sl_cat_table *t)
{
	struct db_count *c = ctx;
	if (strcmp(t->db, "raw") == 0)
		c->raw++;
	else if (strcmp(t->db, "curated") == 0)
		c->curated++;
	else
		c->other++;
	return 0;
}

int sl_cli_catalog_status(struct sl_lake *lake, struct sl_buf *b, bool json, struct sl_err *err)
{
	struct sl_meta *m = &lake->meta;
	struct db_count dbs = {0};
	struct sl_cat_counters cc = {0};
	struct sl_queue_stats qs[2];
	static const char *const queues[2] = {"raw", "curated"};
	int64_t now = sl_now_ms();
	int rc = m->ops->catalog_table_list(m->state, NULL, count_table, &dbs, err);
	if (rc == 0)
		rc = m->ops->catalog_counters(m->state, &cc, err);
	for (int i = 0; rc == 0 && i < 2; i++)
		rc = m->ops->queue_stats(m->state, queues[i], now, &qs[i], err);
	struct drift_ring *ring = rc == 0 ? calloc(1, sizeof(*ring)) : NULL;
	if (rc == 0 && !ring)
		rc = sl_err_set(err, SL_ENOMEM, "status: out of memory");
	/* the newest entries: the listing is by id, so keep the last ones seen */
	if (rc == 0)
		rc = m->ops->catalog_drift_list(m->state, NULL, NULL, 0, 0, ring_one, ring, err);
	if (rc) {
		free(ring);
		return rc;
	}
	size_t shown = ring->n < STATUS_DRIFT ? ring->n : STATUS_DRIFT;
	size_t first = ring->n - shown;
	char when[40];
	if (json) {
		sl_buf_printf(b, "{\"tables\":{\"raw\":%" PRId64 ",\"curated\":%" PRId64 "}",
			      dbs.raw, dbs.curated);
		sl_buf_printf(b,
			      ",\"crawler\":{\"commits\":%" PRId64 ",\"messages\":%" PRId64
			      ",\"objects\":%" PRId64 ",\"records\":%" PRId64 ",\"bytes\":%" PRId64
			      ",\"drift\":%" PRId64 ",\"last\":",
			      cc.commits, cc.messages, cc.objects, cc.records, cc.bytes, cc.drift);
		sl_cli_json_time(b, cc.last_ms);
		sl_buf_puts(b, "},\"backlog\":{");
		for (int i = 0; i < 2; i++)
			sl_buf_printf(b, "%s\"%s\":{\"visible\":%" PRId64 ",\"in_flight\":%" PRId64
					 ",\"delayed\":%" PRId64 "}",
				      i ? "," : "", queues[i], qs[i].visible, qs[i].in_flight,
				      qs[i].delayed);
		sl_buf_puts(b, "},\"drift\":[");
		for (size_t i = 0; i < shown; i++) {
			sl_buf_puts(b, i ? "," : "");
			drift_out(b, &ring->v[(first + i) % STATUS_DRIFT], true, true);
		}
		sl_buf_puts(b, "]}");
	} else {
		sl_buf_printf(b, "  tables        raw %" PRId64 ", curated %" PRId64 "\n", dbs.raw,
			      dbs.curated);
		sl_buf_printf(b, "  crawler       %" PRId64 " commits, %" PRId64 " messages, %" PRId64
				 " objects, %" PRId64 " records, last %s\n",
			      cc.commits, cc.messages, cc.objects, cc.records,
			      sl_cli_text_time(cc.last_ms, when, sizeof(when)));
		sl_buf_printf(b, "  backlog       raw %" PRId64 " (+%" PRId64 " in flight), curated %"
				 PRId64 " (+%" PRId64 " in flight)\n",
			      qs[0].visible + qs[0].delayed, qs[0].in_flight,
			      qs[1].visible + qs[1].delayed, qs[1].in_flight);
		if (shown == 0)
			sl_buf_puts(b, "  drift         (none)\n");
		else
			sl_buf_printf(b, "  drift         the latest %zu of %zu:\n", shown, ring->n);
		for (size_t i = 0; i < shown; i++) {
			sl_buf_puts(b, "  ");
			drift_out(b, &ring->v[(first + i) % STATUS_DRIFT], false, true);
		}
	}
	free(ring);
	return 0;
}

const struct sl_cmd sl_cmd_catalog = {
	"catalog", "list and show the catalog's tables; DDL for other engines",
	"usage: sluice catalog ls [--db raw|curated] [--json]\n"
	"       sluice catalog show TABLE [--version N] [--json]\n"
	"       sluice catalog partitions TABLE [--json]\n"
	"       sluice catalog history TABLE [--json]\n"
	"       sluice catalog files TABLE [--partition P] [--stats] [--json]\n"
	"       sluice catalog ddl TABLE --dialect athena|trino|spark|duckdb [--location URI]\n"
	"       sluice catalog drop TABLE\n"
	"\n"
	"The catalog holds the tables the crawler found in the raw and curated zones\n"
	"('sluice crawl'). TABLE is DB.NAME (raw.orders) or NAME, looked up in raw, then\n"
	"curated (a NAME in both must be given with its database).\n"
	"  ls          tables with version, format, partitions, files, records, bytes\n"
	"  show        location, format, subject, policies, partition keys and the schema as\n"
	"              a column tree; --version N: that version's schema and its change\n"
	"  partitions  each partition's state, counts and the table version it was\n"
	"              written under\n"
	"  history     the versions with the change that made each, and the table's drift\n"
	"  files       the data files (--partition P: of one; --stats: Parquet statistics)\n"
	"  ddl         a script with which the engine reads the table's files in place;\n"
	"              --location: the URI of the zone's root (default: the zone's folder in\n"
	"              the lake; athena needs s3://BUCKET/PATH)\n"
	"  drop        forgets the table (its objects stay; the next crawl of a new object\n"
	"              under it makes it again)\n",
	run_catalog,
};
