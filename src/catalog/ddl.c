/*
 * ddl.c - DDL with which other engines read a catalog table's files in place.
 *
 * One script per dialect (docs/catalog.md, "DDL for other engines"):
 *   athena  Hive DDL: CREATE EXTERNAL TABLE (OpenX JSON SerDe or Parquet), then one
 *           ALTER TABLE ... ADD IF NOT EXISTS PARTITION ... LOCATION per partition;
 *   spark   CREATE TABLE ... USING json|parquet PARTITIONED BY ... LOCATION, and the
 *           same ALTER TABLE per partition;
 *   trino   CREATE TABLE ... WITH (external_location, format, partitioned_by) for the
 *           Hive connector, then CALL system.register_partition per partition;
 *   duckdb  CREATE OR REPLACE VIEW over read_json / read_parquet of the table's folders,
 *           with explicit column types, the partition columns cut from each file's path.
 *
 * Promises:
 *   1. Every name and literal is quoted for its dialect (quotes inside doubled, or
 *      backslash-escaped where Hive wants it), so no name or key can end a literal or
 *      an identifier early.
 *   2. A name the dialect cannot hold is refused (SL_EINVAL naming it, and the other
 *      name it collides with) instead of giving DDL that fails or reads the wrong data:
 *      control characters in any dialect; two names of one struct (or a column and a
 *      partition key) equal ignoring case, which all four engines fold; for athena a
 *      backtick, and struct field names outside [A-Za-z0-9_] (Hive's type-string parser
 *      cannot read them back from the metastore).
 *   3. Bounded: the type tree is walked at most SL_TYPE_MAX_DEPTH deep, collisions are
 *      found by sorting (a struct of 100,000 fields costs n log n), output stops at the
 *      buffer's maximum with SL_ELIMIT.
 *
 * DuckDB is the oracle the tests run the DDL in (tests/interop/test_catalog_interop.py);
 * the choices made for it, each checked there:
 *   - hive_partitioning is switched off and every partition column is cut from the
 *     file's path by its position from the end: DuckDB's own Hive detection also takes
 *     k=v folders above the table (a lake under /data/env=prod/) and lets them replace
 *     data columns of the same name, silently.
 *   - The glob names the partition keys level by level (`[dD][tT]=*`), so that folders
 *     of another layout (`date=` beside `dt=`), which the crawler rejected, are not
 *     read; glob characters in the location are escaped as `[*]`, `[?]`, `[[]` (DuckDB
 *     has no escape for a backslash: a location with one is refused). A '?' in a JSON
 *     table's path is refused too: DuckDB then takes the rest of the path for a URL's
 *     query and reads .gz and .zst files as plain text.
 *   - A timestamp is TIMESTAMPTZ: sluice's timestamps are instants (UTC), as DuckDB reads
 *     our UTC-adjusted Parquet timestamps, and TIMESTAMP would drop a JSON value's offset.
 *   - JSON binary values are base64 text: read as VARCHAR and decoded with from_base64,
 *     also inside structs, lists and maps.
 *   - A table without files gets a typed empty view (DuckDB refuses a view over a glob
 *     that matches nothing).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"

enum dialect { D_ATHENA, D_TRINO, D_SPARK, D_DUCKDB };

static const char *const dialect_names[] = {"athena", "trino", "spark", "duckdb"};

/* DuckDB's read_json refuses records larger than this by default (16 MiB); the validator
 * passes records up to validate.limits.max_record (64 MiB by default). */
#define DUCK_MAX_OBJECT_SIZE (64 << 20)

#define MSG_NAME_MAX 160 /* bytes of a name quoted in an error message */

struct ddl {
	enum dialect d;
	const struct sl_cat_table *t;
	const struct sl_type *row;
	const struct sl_cat_partition *parts;
	size_t n_parts;
	struct sl_buf *out;
	struct sl_err *err;
	int rc; /* the first output failure (sticky) */
	char keybuf[SL_CAT_PKEYS_MAX];
	const char *keys[SL_CAT_MAX_PARTITION_KEYS];
	size_t n_keys;
	bool parquet;
	const char *location; /* the zone's root, as given */
	size_t location_len;  /* without trailing '/' */
	char file_col[32];    /* DuckDB: the column that holds each row's file path */
};

/* ---- output ------------------------------------------------------------------------ */

static void put(struct ddl *d, const char *s)
{
	if (d->rc == 0)
		d->rc = sl_buf_puts(d->out, s);
}

static void putn(struct ddl *d, const char *s, size_t n)
{
	if (d->rc == 0)
		d->rc = sl_buf_append(d->out, s, n);
}

__attribute__((format(printf, 2, 3))) static void putf(struct ddl *d, const char *fmt, ...)
{
	if (d->rc)
		return;
	char tmp[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	/* only short fixed texts (numbers, keywords) go through here */
	d->rc = n < 0 || (size_t)n >= sizeof(tmp) ? SL_EINVAL : sl_buf_append(d->out, tmp, (size_t)n);
}

/* An identifier: `x` (backtick doubled) or "x" (double quote doubled). Hive, Spark and
 * Trino double their quote character inside quoted identifiers; DuckDB too. */
static void ident(struct ddl *d, const char *name)
{
	char q = d->d == D_ATHENA || d->d == D_SPARK ? '`' : '"';
	putn(d, &q, 1);
	for (const char *p = name; *p; p++) {
		if (*p == q)
			putn(d, &q, 1);
		putn(d, p, 1);
	}
	putn(d, &q, 1);
}

/* A string literal of n bytes. Hive and Spark read backslash escapes in literals; Trino
 * and DuckDB follow the SQL standard (a quote doubled, backslash plain). */
static void lit_n(struct ddl *d, const char *s, size_t n)
{
	bool hive = d->d == D_ATHENA || d->d == D_SPARK;
	put(d, "'");
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\'')
			put(d, hive ? "\\'" : "''");
		else if (s[i] == '\\' && hive)
			put(d, "\\\\");
		else
			putn(d, s + i, 1);
	}
	put(d, "'");
}

static void lit(struct ddl *d, const char *s)
{
	lit_n(d, s, strlen(s));
}

/* ---- names ------------------------------------------------------------------------- */

static uint32_t utf8_next(const unsigned char *s, size_t *len);

/* name in double quotes for messages: cut after MSG_NAME_MAX bytes, '"' and '\\'
 * escaped, and every control character (C0, DEL, C1) as \u00XX so that a hostile name
 * cannot act on a terminal. */
static const char *shown(const char *name, char *buf, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)name;
	size_t j = 0, i = 0;
	buf[j++] = '"';
	while (s[i] && i < MSG_NAME_MAX && j + 12 < cap) {
		size_t len;
		uint32_t c = utf8_next(s + i, &len);
		if (c == '"' || c == '\\') {
			buf[j++] = '\\';
			buf[j++] = (char)c;
		} else if (c < 0x20 || c == 0x7F || (len == 2 && c >= 0x80 && c <= 0x9F) ||
			   (len == 1 && c >= 0x80)) {
			/* (an invalid byte shows as its value too) */
			j += (size_t)snprintf(buf + j, cap - j, "\\u00%c%c", hex[(c >> 4) & 15],
					      hex[c & 15]);
		} else {
			memcpy(buf + j, s + i, len);
			j += len;
		}
		i += len;
	}
	if (s[i] && j + 4 < cap) {
		memcpy(buf + j, "...", 3);
		j += 3;
	}
	buf[j++] = '"';
	buf[j] = 0;
	return buf;
}

static int refuse(struct ddl *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int refuse(struct ddl *d, const char *fmt, ...)
{
	char msg[SL_ERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return sl_err_set(d->err, SL_EINVAL, "%s.%s: %s: %s", d->t->db, d->t->name,
			  dialect_names[d->d], msg);
}

/* One UTF-8 sequence at s: its code point and length (an invalid byte: itself, 1). */
static uint32_t utf8_next(const unsigned char *s, size_t *len)
{
	if (s[0] < 0x80) {
		*len = 1;
		return s[0];
	}
	if ((s[0] & 0xE0) == 0xC0 && (s[1] & 0xC0) == 0x80) {
		*len = 2;
		return ((uint32_t)(s[0] & 0x1F) << 6) | (s[1] & 0x3F);
	}
	if ((s[0] & 0xF0) == 0xE0 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80) {
		*len = 3;
		return ((uint32_t)(s[0] & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) |
		       (s[2] & 0x3F);
	}
	if ((s[0] & 0xF8) == 0xF0 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80 &&
	    (s[3] & 0xC0) == 0x80) {
		*len = 4;
		return ((uint32_t)(s[0] & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) |
		       ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
	}
	*len = 1;
	return s[0];
}

static bool has_control(const char *name)
{
	const unsigned char *s = (const unsigned char *)name;
	while (*s) {
		size_t len;
		uint32_t c = utf8_next(s, &len);
		if (c < 0x20 || c == 0x7F || (len == 2 && c >= 0x80 && c <= 0x9F))
			return true;
		s += len;
	}
	return false;
}

/* The name as the dialect compares names: DuckDB folds ASCII only; Trino and Spark
 * lower-case with Java's rules and Athena's metastore lower-cases too, of which the
 * two-byte alphabets (Latin-1, Greek, Cyrillic) are folded here. Same length as name. */
static void fold(enum dialect dl, const char *name, char *out)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t i = 0;
	while (s[i]) {
		size_t len;
		uint32_t c = utf8_next(s + i, &len);
		if (c >= 'A' && c <= 'Z') {
			out[i] = (char)(c + 32);
		} else if (len == 2 && dl != D_DUCKDB &&
			   ((c >= 0xC0 && c <= 0xDE && c != 0xD7) || (c >= 0x391 && c <= 0x3A9) ||
			    (c >= 0x400 && c <= 0x42F))) {
			uint32_t l = c >= 0x400 && c <= 0x40F ? c + 0x50 : c + 0x20;
			out[i] = (char)(0xC0 | (l >> 6));
			out[i + 1] = (char)(0x80 | (l & 0x3F));
		} else {
			memcpy(out + i, s + i, len);
		}
		i += len;
	}
	out[i] = 0;
}

/* A JSON pointer step: parent + "/" + name (~ and / escaped). */
static char *path_join(const char *parent, const char *name)
{
	size_t n = strlen(parent) + 2;
	for (const char *p = name; *p; p++)
		n += *p == '~' || *p == '/' ? 2 : 1;
	char *s = malloc(n);
	if (!s)
		return NULL;
	size_t j = strlen(parent);
	memcpy(s, parent, j);
	s[j++] = '/';
	for (const char *p = name; *p; p++) {
		if (*p == '~' || *p == '/') {
			s[j++] = '~';
			s[j++] = *p == '~' ? '0' : '1';
		} else {
			s[j++] = *p;
		}
	}
	s[j] = 0;
	return s;
}

struct named {
	char *folded;     /* owned */
	const char *name; /* borrowed */
	bool is_key;      /* a partition key (top level only) */
	size_t order;
};

static int cmp_named(const void *a, const void *b)
{
	const struct named *x = a, *y = b;
	int c = strcmp(x->folded, y->folded);
	if (c)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

static bool athena_field_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

/* Checks one name (of a column, field or key) at path. */
static int check_name(struct ddl *d, const char *name, const char *path, bool nested)
{
	char b1[4 * MSG_NAME_MAX];
	if (!name[0])
		return refuse(d, "%s: an empty name", path[0] ? path : "a column");
	if (has_control(name))
		return refuse(d, "the name %s holds a control character", shown(path, b1, sizeof(b1)));
	if (d->d == D_ATHENA && strchr(name, '`'))
		return refuse(d, "the name %s holds a backtick, which Athena cannot quote",
			      shown(path, b1, sizeof(b1)));
	if (d->d == D_ATHENA && nested) {
		for (const char *p = name; *p; p++)
			if (!athena_field_char(*p))
				return refuse(d,
					      "the struct field %s: Athena's field names are letters, "
					      "digits and _ only",
					      shown(path, b1, sizeof(b1)));
	}
	return 0;
}

/* Checks the names of one struct (with the partition keys at the top level): refused
 * names, and two names that the dialect takes for one. */
static int check_struct(struct ddl *d, const struct sl_type *st, const char *path, bool top)
{
	size_t n = st->n_fields + (top ? d->n_keys : 0);
	int rc = 0;
	struct named *v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		return sl_err_set(d->err, SL_ENOMEM, "ddl: out of memory");
	for (size_t i = 0; i < n; i++) {
		bool key = i >= st->n_fields;
		const char *name = key ? d->keys[i - st->n_fields] : st->fields[i].name;
		char *p = path_join(path, name);
		if (!p) {
			rc = sl_err_set(d->err, SL_ENOMEM, "ddl: out of memory");
			goto done;
		}
		rc = key ? check_name(d, name, name, false) : check_name(d, name, p, !top);
		free(p);
		if (rc)
			goto done;
		v[i].folded = malloc(strlen(name) + 1);
		if (!v[i].folded) {
			rc = sl_err_set(d->err, SL_ENOMEM, "ddl: out of memory");
			goto done;
		}
		fold(d->d, name, v[i].folded);
		v[i].name = name;
		v[i].is_key = key;
		v[i].order = i;
	}
	qsort(v, n, sizeof(*v), cmp_named);
	for (size_t i = 1; i < n; i++) {
		if (strcmp(v[i - 1].folded, v[i].folded) != 0)
			continue;
		char b1[4 * MSG_NAME_MAX], b2[4 * MSG_NAME_MAX];
		char *p1 = v[i - 1].is_key ? NULL : path_join(path, v[i - 1].name);
		char *p2 = v[i].is_key ? NULL : path_join(path, v[i].name);
		bool same = strcmp(v[i - 1].name, v[i].name) == 0;
		rc = refuse(d, "%s %s and %s %s %s", v[i - 1].is_key ? "partition key" : "column",
			    shown(p1 ? p1 : v[i - 1].name, b1, sizeof(b1)),
			    v[i].is_key ? "partition key" : "column",
			    shown(p2 ? p2 : v[i].name, b2, sizeof(b2)),
			    same ? "have the same name" : "differ only in case, which it ignores");
		free(p1);
		free(p2);
		goto done;
	}
done:
	for (size_t i = 0; i < n; i++)
		free(v[i].folded);
	free(v);
	return rc;
}

static bool is_primitive(const struct sl_type *t)
{
	return t->kind != SL_T_STRUCT && t->kind != SL_T_LIST && t->kind != SL_T_MAP;
}

/* Walks the type: every struct's names, and what the dialect cannot type. */
static int check_type(struct ddl *d, const struct sl_type *t, const char *path, int depth,
		      bool top)
{
	if (depth > SL_TYPE_MAX_DEPTH)
		return sl_err_set(d->err, SL_ELIMIT, "%s.%s: the schema nests deeper than %d",
				  d->t->db, d->t->name, SL_TYPE_MAX_DEPTH);
	int rc = 0;
	switch (t->kind) {
	case SL_T_STRUCT:
		if ((rc = check_struct(d, t, path, top)) != 0)
			return rc;
		for (size_t i = 0; i < t->n_fields; i++) {
			char *p = path_join(path, t->fields[i].name);
			if (!p)
				return sl_err_set(d->err, SL_ENOMEM, "ddl: out of memory");
			rc = check_type(d, t->fields[i].type, p, depth + 1, false);
			free(p);
			if (rc)
				return rc;
		}
		return 0;
	case SL_T_LIST: {
		char *p = path_join(path, "*");
		if (!p)
			return sl_err_set(d->err, SL_ENOMEM, "ddl: out of memory");
		rc = check_type(d, t->elem, p, depth + 1, false);
		free(p);
		return rc;
	}
	case SL_T_MAP: {
		char b1[4 * MSG_NAME_MAX];
		if (d->d == D_ATHENA && !is_primitive(t->key))
			return refuse(d, "the map %s has keys of a nested type, which Hive cannot hold",
				      shown(path[0] ? path : "/", b1, sizeof(b1)));
		char *p = path_join(path, "*");
		if (!p)
			return sl_err_set(d->err, SL_ENOMEM, "ddl: out of memory");
		rc = check_type(d, t->key, p, depth + 1, false);
		if (rc == 0)
			rc = check_type(d, t->elem, p, depth + 1, false);
		free(p);
		return rc;
	}
	default:
		return 0;
	}
}

/* ---- types ------------------------------------------------------------------------- */

static void hive_int(struct ddl *d, const struct sl_type *t, bool upper)
{
	/* Hive, Spark and Trino have no unsigned integers: the next wider signed type */
	static const char *const lower[] = {"tinyint", "smallint", "int", "bigint",
					    "decimal(20,0)"};
	static const char *const spark[] = {"TINYINT", "SMALLINT", "INT", "BIGINT",
					    "DECIMAL(20,0)"};
	int i = t->bits == 8 ? 0 : t->bits == 16 ? 1 : t->bits == 32 ? 2 : 3;
	if (t->is_unsigned)
		i++;
	put(d, upper ? spark[i] : lower[i]);
}

static void trino_int(struct ddl *d, const struct sl_type *t)
{
	static const char *const names[] = {"tinyint", "smallint", "integer", "bigint",
					    "decimal(20,0)"};
	int i = t->bits == 8 ? 0 : t->bits == 16 ? 1 : t->bits == 32 ? 2 : 3;
	if (t->is_unsigned)
		i++;
	put(d, names[i]);
}

static void duck_int(struct ddl *d, const struct sl_type *t)
{
	static const char *const s[] = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT"};
	static const char *const u[] = {"UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"};
	int i = t->bits == 8 ? 0 : t->bits == 16 ? 1 : t->bits == 32 ? 2 : 3;
	put(d, t->is_unsigned ? u[i] : s[i]);
}

/* The dialect's name of type t. binary_as_text: DuckDB's JSON reader gets VARCHAR for a
 * binary (base64 text), decoded in the SELECT. Depth is bounded by check_type. */
static void type_name(struct ddl *d, const struct sl_type *t, bool binary_as_text)
{
	bool athena = d->d == D_ATHENA, spark = d->d == D_SPARK, trino = d->d == D_TRINO;
	bool hive = athena || spark;
	const char *str = athena ? "string" : spark ? "STRING" : trino ? "varchar" : "VARCHAR";
	switch (t->kind) {
	case SL_T_BOOL: put(d, athena || trino ? "boolean" : "BOOLEAN"); break;
	case SL_T_INT:
		if (hive)
			hive_int(d, t, spark);
		else if (trino)
			trino_int(d, t);
		else
			duck_int(d, t);
		break;
	case SL_T_FLOAT: put(d, athena ? "float" : spark ? "FLOAT" : trino ? "real" : "FLOAT"); break;
	case SL_T_DOUBLE: put(d, athena || trino ? "double" : "DOUBLE"); break;
	case SL_T_DECIMAL:
		putf(d, athena || trino ? "decimal(%u,%u)" : "DECIMAL(%u,%u)", t->precision, t->scale);
		break;
	case SL_T_STRING: put(d, str); break;
	case SL_T_BINARY:
		put(d, athena ? "binary"
			      : spark	       ? "BINARY"
				: trino	       ? "varbinary"
				: binary_as_text ? "VARCHAR"
						 : "BLOB");
		break;
	case SL_T_DATE: put(d, athena || trino ? "date" : "DATE"); break;
	case SL_T_TIME: put(d, d->d == D_DUCKDB ? "TIME" : str); break;
	case SL_T_TIMESTAMP:
		put(d, athena || trino ? "timestamp" : spark ? "TIMESTAMP" : "TIMESTAMPTZ");
		break;
	case SL_T_UUID: put(d, d->d == D_DUCKDB ? "UUID" : str); break;
	case SL_T_JSON: put(d, d->d == D_DUCKDB ? "JSON" : str); break;
	case SL_T_STRUCT:
		if (t->n_fields == 0) {
			/* no engine has an empty struct: the value's JSON text */
			put(d, d->d == D_DUCKDB ? "JSON" : str);
			break;
		}
		put(d, athena ? "struct<" : spark ? "STRUCT<" : trino ? "row(" : "STRUCT(");
		for (size_t i = 0; i < t->n_fields; i++) {
			if (i)
				put(d, athena ? "," : ", ");
			if (athena) {
				/* checked: [A-Za-z0-9_] only, what the metastore's parser reads */
				put(d, t->fields[i].name);
				put(d, ":");
			} else {
				ident(d, t->fields[i].name);
				put(d, spark ? ": " : " ");
			}
			type_name(d, t->fields[i].type, binary_as_text);
		}
		put(d, hive ? ">" : ")");
		break;
	case SL_T_LIST:
		put(d, athena ? "array<" : spark ? "ARRAY<" : trino ? "array(" : "");
		type_name(d, t->elem, binary_as_text);
		put(d, hive ? ">" : trino ? ")" : "[]");
		break;
	case SL_T_MAP:
		put(d, athena ? "map<" : spark ? "MAP<" : trino ? "map(" : "MAP(");
		type_name(d, t->key, binary_as_text);
		put(d, athena ? "," : ", ");
		type_name(d, t->elem, binary_as_text);
		put(d, hive ? ">" : ")");
		break;
	}
}

/* ---- partitions -------------------------------------------------------------------- */

static int parse_keys(struct ddl *d)
{
	snprintf(d->keybuf, sizeof(d->keybuf), "%s", d->t->partition_keys);
	d->n_keys = 0;
	if (!d->keybuf[0])
		return 0;
	char *s = d->keybuf;
	for (;;) {
		char *comma = strchr(s, ',');
		if (comma)
			*comma = 0;
		if (d->n_keys == SL_CAT_MAX_PARTITION_KEYS)
			return refuse(d, "more than %d partition keys", SL_CAT_MAX_PARTITION_KEYS);
		d->keys[d->n_keys++] = s;
		if (!comma)
			return 0;
		s = comma + 1;
	}
}

/* Whether folder level is key's k=v form (k the key ignoring case). */
static bool level_is_hive(const char *level, size_t len, const char *key)
{
	size_t kl = strlen(key);
	if (len <= kl || level[kl] != '=')
		return false;
	for (size_t i = 0; i < kl; i++) {
		char c = level[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c + 32);
		if (c != key[i])
			return false;
	}
	return true;
}

/* Splits partition path p->part into its values by the table's keys: vals[i] / lens[i]
 * point into p->part. hive (may be NULL) gets whether each level was k=v. */
static int part_values(struct ddl *d, const struct sl_cat_partition *p, const char **vals,
		       size_t *lens, bool *hive)
{
	const char *s = p->part;
	char b1[4 * MSG_NAME_MAX];
	for (size_t i = 0; i < d->n_keys; i++) {
		const char *slash = strchr(s, '/');
		size_t len = slash ? (size_t)(slash - s) : strlen(s);
		if (len == 0 || (i + 1 < d->n_keys) != (slash != NULL))
			return refuse(d, "the partition %s does not have the levels of the keys '%s'",
				      shown(p->part, b1, sizeof(b1)), d->t->partition_keys);
		bool h = level_is_hive(s, len, d->keys[i]);
		size_t skip = h ? strlen(d->keys[i]) + 1 : 0;
		vals[i] = s + skip;
		lens[i] = len - skip;
		if (hive)
			hive[i] = h;
		s = slash ? slash + 1 : s + len;
	}
	return 0;
}

static bool part_registered(const struct sl_cat_partition *p)
{
	return strcmp(p->state, SL_CAT_PART_DEPRECATED) != 0;
}

/* The URI of the table's folder, or of one of its partitions, as a literal (ends with
 * '/', as Hive's LOCATION of a folder does). */
static void location_of(struct ddl *d, const char *part)
{
	struct sl_buf b;
	sl_buf_init(&b, 0);
	int rc = 0;
	if (d->d == D_TRINO && d->location[0] == '/')
		rc = sl_buf_puts(&b, "file://"); /* the Hive connector's local file system */
	if (rc == 0)
		rc = sl_buf_append(&b, d->location, d->location_len);
	if (rc == 0)
		rc = sl_buf_printf(&b, "/%s", d->t->prefix);
	if (rc == 0 && part && part[0])
		rc = sl_buf_printf(&b, "%s/", part);
	if (rc == 0)
		lit_n(d, b.data, b.len);
	else if (d->rc == 0)
		d->rc = rc;
	sl_buf_release(&b);
}

/* ---- athena, spark, trino ---------------------------------------------------------- */

static void columns_hive_trino(struct ddl *d, bool keys_as_columns)
{
	const char *key_type = d->d == D_SPARK ? "STRING" : "varchar";
	for (size_t i = 0; i < d->row->n_fields; i++) {
		put(d, i ? ",\n  " : "  ");
		ident(d, d->row->fields[i].name);
		put(d, " ");
		type_name(d, d->row->fields[i].type, false);
	}
	for (size_t i = 0; keys_as_columns && i < d->n_keys; i++) {
		put(d, ",\n  ");
		ident(d, d->keys[i]);
		put(d, " ");
		put(d, key_type);
	}
	put(d, "\n)");
}

/* ALTER TABLE ... ADD IF NOT EXISTS PARTITION (k='v', ...) LOCATION '...'; per partition
 * (Hive DDL; Athena and Spark). */
static int add_partitions_hive(struct ddl *d)
{
	const char *vals[SL_CAT_MAX_PARTITION_KEYS];
	size_t lens[SL_CAT_MAX_PARTITION_KEYS];
	for (size_t i = 0; i < d->n_parts && d->n_keys; i++) {
		const struct sl_cat_partition *p = &d->parts[i];
		if (!part_registered(p))
			continue;
		int rc = part_values(d, p, vals, lens, NULL);
		if (rc)
			return rc;
		put(d, "ALTER TABLE ");
		ident(d, d->t->db);
		put(d, ".");
		ident(d, d->t->name);
		put(d, " ADD IF NOT EXISTS PARTITION (");
		for (size_t k = 0; k < d->n_keys; k++) {
			put(d, k ? ", " : "");
			ident(d, d->keys[k]);
			put(d, " = ");
			lit_n(d, vals[k], lens[k]);
		}
		put(d, ") LOCATION ");
		location_of(d, p->part);
		put(d, ";\n");
	}
	return 0;
}

static int ddl_athena(struct ddl *d)
{
	if (strncmp(d->location, "s3://", 5) != 0) {
		char b1[4 * MSG_NAME_MAX];
		return refuse(d, "Athena reads s3:// locations only, not %s",
			      shown(d->location, b1, sizeof(b1)));
	}
	put(d, "CREATE DATABASE IF NOT EXISTS ");
	ident(d, d->t->db);
	put(d, ";\nCREATE EXTERNAL TABLE IF NOT EXISTS ");
	ident(d, d->t->db);
	put(d, ".");
	ident(d, d->t->name);
	put(d, " (\n");
	columns_hive_trino(d, false);
	if (d->n_keys) {
		put(d, "\nPARTITIONED BY (");
		for (size_t k = 0; k < d->n_keys; k++) {
			put(d, k ? ", " : "");
			ident(d, d->keys[k]);
			put(d, " string");
		}
		put(d, ")");
	}
	if (d->parquet)
		put(d, "\nSTORED AS PARQUET");
	else
		put(d, "\nROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'");
	put(d, "\nLOCATION ");
	location_of(d, NULL);
	put(d, ";\n");
	return add_partitions_hive(d);
}

static int ddl_spark(struct ddl *d)
{
	put(d, "CREATE DATABASE IF NOT EXISTS ");
	ident(d, d->t->db);
	put(d, ";\nCREATE TABLE IF NOT EXISTS ");
	ident(d, d->t->db);
	put(d, ".");
	ident(d, d->t->name);
	put(d, " (\n");
	/* a data source table lists its partition columns among its columns */
	columns_hive_trino(d, true);
	put(d, d->parquet ? "\nUSING parquet" : "\nUSING json");
	if (d->n_keys) {
		put(d, "\nPARTITIONED BY (");
		for (size_t k = 0; k < d->n_keys; k++) {
			put(d, k ? ", " : "");
			ident(d, d->keys[k]);
		}
		put(d, ")");
	}
	put(d, "\nLOCATION ");
	location_of(d, NULL);
	put(d, ";\n");
	return add_partitions_hive(d);
}

static int ddl_trino(struct ddl *d)
{
	put(d, "CREATE SCHEMA IF NOT EXISTS ");
	ident(d, d->t->db);
	put(d, ";\nCREATE TABLE IF NOT EXISTS ");
	ident(d, d->t->db);
	put(d, ".");
	ident(d, d->t->name);
	put(d, " (\n");
	/* the Hive connector wants the partition columns last, as varchar */
	columns_hive_trino(d, true);
	put(d, "\nWITH (\n  external_location = ");
	location_of(d, NULL);
	put(d, d->parquet ? ",\n  format = 'PARQUET'" : ",\n  format = 'JSON'");
	if (d->n_keys) {
		put(d, ",\n  partitioned_by = ARRAY[");
		for (size_t k = 0; k < d->n_keys; k++) {
			put(d, k ? ", " : "");
			lit(d, d->keys[k]);
		}
		put(d, "]");
	}
	put(d, "\n);\n");
	const char *vals[SL_CAT_MAX_PARTITION_KEYS];
	size_t lens[SL_CAT_MAX_PARTITION_KEYS];
	for (size_t i = 0; i < d->n_parts && d->n_keys; i++) {
		const struct sl_cat_partition *p = &d->parts[i];
		if (!part_registered(p))
			continue;
		int rc = part_values(d, p, vals, lens, NULL);
		if (rc)
			return rc;
		put(d, "CALL system.register_partition(");
		lit(d, d->t->db);
		put(d, ", ");
		lit(d, d->t->name);
		put(d, ", ARRAY[");
		for (size_t k = 0; k < d->n_keys; k++) {
			put(d, k ? ", " : "");
			lit(d, d->keys[k]);
		}
		put(d, "], ARRAY[");
		for (size_t k = 0; k < d->n_keys; k++) {
			put(d, k ? ", " : "");
			lit_n(d, vals[k], lens[k]);
		}
		put(d, "], ");
		location_of(d, p->part);
		put(d, ");\n");
	}
	return 0;
}

/* ---- duckdb ------------------------------------------------------------------------ */

static bool has_binary(const struct sl_type *t)
{
	switch (t->kind) {
	case SL_T_BINARY: return true;
	case SL_T_STRUCT:
		for (size_t i = 0; i < t->n_fields; i++)
			if (has_binary(t->fields[i].type))
				return true;
		return false;
	case SL_T_LIST: return has_binary(t->elem);
	case SL_T_MAP: return has_binary(t->key) || has_binary(t->elem);
	default: return false;
	}
}

/* The expression that turns expr (read with binary_as_text types) into type t: base64
 * decoded wherever a binary is, the rest as it is. expr is written again for every use. */
static void duck_conv(struct ddl *d, const struct sl_type *t, const char *expr, int depth)
{
	if (!has_binary(t)) {
		put(d, expr);
		return;
	}
	char var[16];
	snprintf(var, sizeof(var), "x%d", depth);
	struct sl_buf sub;
	sl_buf_init(&sub, 0);
	switch (t->kind) {
	case SL_T_BINARY:
		put(d, "from_base64(");
		put(d, expr);
		put(d, ")");
		break;
	case SL_T_STRUCT:
		/* a null struct stays null (a struct literal of nulls is not null) */
		put(d, "CASE WHEN ");
		put(d, expr);
		put(d, " IS NULL THEN NULL ELSE {");
		for (size_t i = 0; i < t->n_fields && d->rc == 0; i++) {
			put(d, i ? ", " : "");
			lit(d, t->fields[i].name);
			put(d, ": ");
			/* struct_extract(expr, 'name'): the field by its exact name */
			struct sl_buf *o = d->out;
			sl_buf_reset(&sub);
			d->out = &sub;
			put(d, "struct_extract(");
			put(d, expr);
			put(d, ", ");
			lit(d, t->fields[i].name);
			put(d, ")");
			d->out = o;
			if (d->rc == 0)
				duck_conv(d, t->fields[i].type, sub.data, depth + 1);
		}
		put(d, "} END");
		break;
	case SL_T_LIST:
		put(d, "list_transform(");
		put(d, expr);
		putf(d, ", lambda %s: ", var);
		duck_conv(d, t->elem, var, depth + 1);
		put(d, ")");
		break;
	case SL_T_MAP: {
		char k[24], v[24];
		snprintf(k, sizeof(k), "%s.key", var);
		snprintf(v, sizeof(v), "%s.value", var);
		put(d, "map_from_entries(list_transform(map_entries(");
		put(d, expr);
		putf(d, "), lambda %s: {'key': ", var);
		duck_conv(d, t->key, k, depth + 1);
		put(d, ", 'value': ");
		duck_conv(d, t->elem, v, depth + 1);
		put(d, "}))");
		break;
	}
	default: put(d, expr); break;
	}
	sl_buf_release(&sub);
}

/* Appends s to b with DuckDB's glob characters made literal. */
static int glob_literal(struct ddl *d, struct sl_buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int rc;
		if (s[i] == '\\') {
			char b1[4 * MSG_NAME_MAX];
			return refuse(d, "DuckDB's globs cannot match the backslash in %s",
				      shown(s, b1, sizeof(b1)));
		}
		if (s[i] == '*' || s[i] == '?' || s[i] == '[')
			rc = sl_buf_printf(b, "[%c]", s[i]);
		else
			rc = sl_buf_append(b, s + i, 1);
		if (rc)
			return d->rc = rc;
	}
	return 0;
}

/* The glob of the table's data files: its folder, one level per partition key (`k=*`
 * with k's letters in either case for a Hive level, `*` otherwise), then the files of
 * the table's format. */
static int duck_glob(struct ddl *d, const bool *hive, struct sl_buf *b)
{
	int rc;
	if ((rc = glob_literal(d, b, d->location, d->location_len)) != 0 ||
	    (rc = glob_literal(d, b, "/", 1)) != 0 ||
	    (rc = glob_literal(d, b, d->t->prefix, strlen(d->t->prefix))) != 0)
		return rc;
	for (size_t k = 0; k < d->n_keys && rc == 0; k++) {
		for (const char *p = d->keys[k]; hive[k] && *p && rc == 0; p++) {
			if (*p >= 'a' && *p <= 'z')
				rc = sl_buf_printf(b, "[%c%c]", *p, *p - 32);
			else
				rc = glob_literal(d, b, p, 1);
		}
		if (rc == 0)
			rc = sl_buf_puts(b, hive[k] ? "=*/" : "*/");
	}
	/* .json, .ndjson, .jsonl, each maybe .gz or .zst: the crawler's JSON names */
	if (rc == 0)
		rc = sl_buf_puts(b, d->parquet ? "*.parquet" : "*json*");
	if (rc && d->rc == 0)
		d->rc = rc;
	return rc;
}

static int ddl_duckdb(struct ddl *d)
{
	/* which levels are k=v: the layout of the first partition with files (the crawler
	 * keeps one layout per table) */
	bool hive[SL_CAT_MAX_PARTITION_KEYS] = {0};
	const char *vals[SL_CAT_MAX_PARTITION_KEYS];
	size_t lens[SL_CAT_MAX_PARTITION_KEYS];
	bool have_files = false;
	for (size_t i = 0; i < d->n_parts; i++) {
		const struct sl_cat_partition *p = &d->parts[i];
		if (!part_registered(p) || p->objects <= 0)
			continue;
		int rc = part_values(d, p, vals, lens, have_files ? NULL : hive);
		if (rc)
			return rc;
		have_files = true;
	}
	/* DuckDB takes a '?' in a path for the start of a URL's query and then no longer sees
	 * the .gz or .zst at the end of the name: it would read compressed files as text */
	if (!d->parquet && have_files) {
		const char *q = memchr(d->location, '?', d->location_len)
					? d->location
					: strchr(d->t->prefix, '?') ? d->t->prefix : NULL;
		for (size_t i = 0; !q && i < d->n_parts; i++)
			if (part_registered(&d->parts[i]) && strchr(d->parts[i].part, '?'))
				q = d->parts[i].part;
		if (q) {
			char b1[4 * MSG_NAME_MAX];
			return refuse(d, "DuckDB misreads compressed JSON files under a path with a "
					 "'?' (%s)", shown(q, b1, sizeof(b1)));
		}
	}
	/* the file-path column: a name that no column has */
	snprintf(d->file_col, sizeof(d->file_col), "__sluice_file");
	for (int n = 1; sl_type_field(d->row, d->file_col); n++)
		snprintf(d->file_col, sizeof(d->file_col), "__sluice_file_%d", n);

	put(d, "CREATE SCHEMA IF NOT EXISTS ");
	ident(d, d->t->db);
	put(d, ";\nCREATE OR REPLACE VIEW ");
	ident(d, d->t->db);
	put(d, ".");
	ident(d, d->t->name);
	put(d, " AS\nSELECT\n");
	struct sl_buf tmp;
	sl_buf_init(&tmp, 0);
	int rc = 0;
	if (!have_files) {
		/* DuckDB binds a view when it is made, and a glob without files fails */
		for (size_t i = 0; i < d->row->n_fields; i++) {
			put(d, i ? ",\n  CAST(NULL AS " : "  CAST(NULL AS ");
			type_name(d, d->row->fields[i].type, false);
			put(d, ") AS ");
			ident(d, d->row->fields[i].name);
		}
		for (size_t k = 0; k < d->n_keys; k++) {
			put(d, ",\n  CAST(NULL AS VARCHAR) AS ");
			ident(d, d->keys[k]);
		}
		put(d, "\nWHERE false;\n");
		goto done;
	}
	for (size_t i = 0; i < d->row->n_fields && d->rc == 0; i++) {
		const struct sl_field *f = &d->row->fields[i];
		put(d, i ? ",\n  " : "  ");
		sl_buf_reset(&tmp);
		struct sl_buf *o = d->out;
		d->out = &tmp;
		ident(d, f->name);
		d->out = o;
		if (d->rc)
			break;
		if (d->parquet) {
			/* files of older versions may hold narrower types: cast to the table's */
			put(d, "CAST(");
			put(d, tmp.data);
			put(d, " AS ");
			type_name(d, f->type, false);
			put(d, ") AS ");
			put(d, tmp.data);
		} else if (has_binary(f->type)) {
			duck_conv(d, f->type, tmp.data, 0);
			put(d, " AS ");
			put(d, tmp.data);
		} else {
			put(d, tmp.data);
		}
	}
	for (size_t k = 0; k < d->n_keys; k++) {
		/* level k of n is the path's component n - k + 1 from the end (the file's name
		 * is the last) */
		put(d, ",\n  ");
		char seg[64];
		snprintf(seg, sizeof(seg), "[%d]", -(int)(d->n_keys - k) - 1);
		if (hive[k])
			put(d, "regexp_extract(");
		put(d, "string_split(");
		ident(d, d->file_col);
		put(d, ", '/')");
		put(d, seg);
		if (hive[k])
			put(d, ", '=(.*)$', 1)");
		put(d, " AS ");
		ident(d, d->keys[k]);
	}
	sl_buf_reset(&tmp);
	if ((rc = duck_glob(d, hive, &tmp)) != 0)
		goto done;
	put(d, d->parquet ? "\nFROM read_parquet(" : "\nFROM read_json(");
	lit_n(d, tmp.data, tmp.len);
	if (!d->parquet) {
		put(d, ",\n  columns = {");
		for (size_t i = 0; i < d->row->n_fields && d->rc == 0; i++) {
			put(d, i ? ",\n    " : "\n    ");
			lit(d, d->row->fields[i].name);
			put(d, ": ");
			/* the type text is a literal: render it apart, then quote it */
			sl_buf_reset(&tmp);
			struct sl_buf *o = d->out;
			d->out = &tmp;
			type_name(d, d->row->fields[i].type, true);
			d->out = o;
			if (d->rc == 0)
				lit_n(d, tmp.data, tmp.len);
		}
		putf(d, "},\n  format = 'auto', maximum_object_size = %d", DUCK_MAX_OBJECT_SIZE);
	} else {
		put(d, ",\n  union_by_name = true");
	}
	put(d, ",\n  hive_partitioning = false, filename = ");
	lit(d, d->file_col);
	put(d, ");\n");
done:
	sl_buf_release(&tmp);
	return rc;
}

/* ---- the entry point --------------------------------------------------------------- */

int sl_cat_ddl(const struct sl_cat_table *t, const struct sl_type *schema,
	       const struct sl_cat_partition *parts, size_t n_parts, const char *dialect,
	       const char *location, struct sl_buf *out, struct sl_err *err)
{
	struct ddl d = {.t = t, .parts = parts, .n_parts = n_parts, .out = out, .err = err};
	struct sl_type *parsed = NULL;
	int rc = 0;
	size_t i;
	for (i = 0; i < sizeof(dialect_names) / sizeof(dialect_names[0]); i++)
		if (dialect && strcmp(dialect, dialect_names[i]) == 0)
			break;
	if (i == sizeof(dialect_names) / sizeof(dialect_names[0]))
		return sl_err_set(err, SL_EINVAL,
				  "unknown dialect '%s' (athena, trino, spark or duckdb)",
				  dialect ? dialect : "");
	d.d = (enum dialect)i;
	if (strcmp(t->format, "json") != 0 && strcmp(t->format, "parquet") != 0)
		return refuse(&d, "the table's format '%s' is neither json nor parquet", t->format);
	d.parquet = strcmp(t->format, "parquet") == 0;
	if (!location || !location[0])
		return refuse(&d, "no location given");
	if (has_control(location))
		return refuse(&d, "the location holds a control character");
	d.location = location;
	d.location_len = strlen(location);
	while (d.location_len > 1 && location[d.location_len - 1] == '/')
		d.location_len--;
	size_t pl = strlen(t->prefix);
	if (pl == 0 || t->prefix[pl - 1] != '/' || t->prefix[0] == '/')
		return refuse(&d, "the table's location '%s' is not a folder", t->prefix);
	if (has_control(t->prefix) || has_control(t->db) || has_control(t->name) || !t->db[0] ||
	    !t->name[0])
		return refuse(&d, "the table's name or location holds a control character");
	if (d.d == D_ATHENA && (strchr(t->db, '`') || strchr(t->name, '`')))
		return refuse(&d, "the table's name holds a backtick, which Athena cannot quote");
	if (!schema) {
		if (!t->schema)
			return refuse(&d, "the table has no schema");
		parsed = sl_type_parse(t->schema, strlen(t->schema), err);
		if (!parsed) {
			sl_err_prefix(err, "%s.%s: its schema", t->db, t->name);
			return err ? err->code : SL_EINVAL;
		}
		schema = parsed;
	}
	d.row = schema;
	if (schema->kind != SL_T_STRUCT) {
		rc = refuse(&d, "the table's row type is not a struct");
		goto done;
	}
	if (schema->n_fields == 0) {
		rc = refuse(&d, "the table has no columns (the engines need one)");
		goto done;
	}
	if ((rc = parse_keys(&d)) != 0 || (rc = check_type(&d, schema, "", 0, true)) != 0)
		goto done;
	switch (d.d) {
	case D_ATHENA: rc = ddl_athena(&d); break;
	case D_TRINO: rc = ddl_trino(&d); break;
	case D_SPARK: rc = ddl_spark(&d); break;
	case D_DUCKDB: rc = ddl_duckdb(&d); break;
	}
	if (rc == 0 && d.rc)
		rc = sl_err_set(err, d.rc, "%s.%s: the %s DDL does not fit in %zu bytes", t->db,
				t->name, dialect_names[d.d], out->max);
done:
	sl_type_free(parsed);
	return rc;
}
