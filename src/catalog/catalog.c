/*
 * catalog.c - what the catalog derives without the metadata store: freeing rows, the
 * database of a zone, table names from key folders and the values of a partition path.
 *
 * Table names and partition values come from object keys, which anyone who can put an
 * object chooses: every function here bounds what it writes by the caller's capacity,
 * and refuses (SL_EINVAL, with a message saying why) what it cannot represent, instead of
 * truncating it into a name that could collide with another.
 */
#include "catalog/catalog.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

void sl_cat_table_release(struct sl_cat_table *t)
{
	if (!t)
		return;
	free(t->schema);
	free(t->properties);
	t->schema = t->properties = NULL;
}

void sl_cat_version_release(struct sl_cat_version *v)
{
	if (!v)
		return;
	free(v->schema);
	free(v->change);
	v->schema = v->change = NULL;
}

void sl_cat_file_release(struct sl_cat_file *f)
{
	if (!f)
		return;
	free(f->stats);
	f->stats = NULL;
}

const char *sl_cat_db_of_zone(const char *zone)
{
	if (!zone)
		return NULL;
	if (strcmp(zone, "raw") == 0)
		return "raw";
	if (strcmp(zone, "curated") == 0)
		return "curated";
	return NULL;
}

int sl_cat_table_name(const char *const *folders, size_t n, char *out, size_t cap,
		      struct sl_err *err)
{
	size_t len = 0, max = SL_CAT_NAME_MAX - 1;
	if (!out || cap == 0)
		return sl_err_set(err, SL_EINVAL, "table name: no room for the name");
	out[0] = '\0';
	if (cap - 1 < max)
		max = cap - 1;
	if (n == 0 || !folders)
		return sl_err_set(err, SL_EINVAL, "table name: no folder to name the table");
	for (size_t i = 0; i < n; i++) {
		const char *f = folders[i];
		if (!f)
			return sl_err_set(err, SL_EINVAL, "table name: folder %zu is missing", i);
		/* the first character decides the leading '_'; the separator counts too */
		size_t need = strlen(f) + (i > 0);
		if (len == 0 && f[0] >= '0' && f[0] <= '9')
			need++;
		if (need > max - len) {
			out[0] = '\0';
			return sl_err_set(err, SL_EINVAL,
					  "table name: the folders make a name longer than %zu "
					  "bytes",
					  max);
		}
		if (i > 0)
			out[len++] = '_';
		if (len == 0 && f[0] >= '0' && f[0] <= '9')
			out[len++] = '_'; /* a name never starts with a digit (SQL identifiers) */
		for (const char *p = f; *p; p++) {
			unsigned char c = (unsigned char)*p;
			if (c >= 'A' && c <= 'Z')
				c = (unsigned char)(c - 'A' + 'a');
			else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
				c = '_'; /* every byte, so a UTF-8 character becomes several */
			out[len++] = (char)c;
		}
	}
	out[len] = '\0';
	if (len == 0)
		return sl_err_set(err, SL_EINVAL, "table name: the folders make an empty name");
	return 0;
}

/* Whether key is an unnamed level's column ("partition_" followed by digits), which
 * takes a folder as it is, as Glue does. */
static bool unnamed_key(const char *key, size_t len)
{
	static const char pre[] = "partition_";
	size_t plen = sizeof(pre) - 1;
	if (len <= plen || memcmp(key, pre, plen) != 0)
		return false;
	for (size_t i = plen; i < len; i++)
		if (key[i] < '0' || key[i] > '9')
			return false;
	return true;
}

int sl_cat_part_values(const char *partition_keys, const char *part, char *buf, size_t cap,
		       const char **values, size_t max_values, struct sl_err *err)
{
	if (!partition_keys || !part || !buf || (max_values && !values))
		return sl_err_set(err, SL_EINVAL, "partition values: missing argument");
	size_t plen = strlen(part);
	if (plen >= cap)
		return sl_err_set(err, SL_EINVAL,
				  "partition values: the partition path is longer than %zu bytes",
				  cap ? cap - 1 : 0);
	if (partition_keys[0] == '\0') {
		if (plen == 0)
			return 0; /* an unpartitioned table's own folder */
		return sl_err_set(err, SL_EINVAL,
				  "partition values: '%s' in a table without partition keys", part);
	}
	memcpy(buf, part, plen + 1);

	const char *key = partition_keys;
	char *level = buf;
	size_t n = 0;
	for (;;) {
		const char *key_end = strchr(key, ',');
		size_t klen = key_end ? (size_t)(key_end - key) : strlen(key);
		char *slash = strchr(level, '/');
		if (slash)
			*slash = '\0';
		if (klen == 0)
			return sl_err_set(err, SL_EINVAL,
					  "partition values: empty key in '%s'", partition_keys);
		if (n >= max_values || n >= SL_CAT_MAX_PARTITION_KEYS)
			return sl_err_set(err, SL_EINVAL,
					  "partition values: more than %zu levels",
					  max_values < SL_CAT_MAX_PARTITION_KEYS
						  ? max_values
						  : (size_t)SL_CAT_MAX_PARTITION_KEYS);
		if (level[0] == '\0' || strcmp(level, ".") == 0 || strcmp(level, "..") == 0)
			return sl_err_set(err, SL_EINVAL,
					  "partition values: '%s' has an empty, '.' or '..' level",
					  part);
		/* the crawler lower-cases a k=v folder's k for the column and keeps the folder
		 * as spelled (the location): DT=2026 is dt's value 2026 */
		if (strncasecmp(level, key, klen) == 0 && level[klen] == '=') {
			values[n++] = level + klen + 1; /* k=v */
		} else if (unnamed_key(key, klen)) {
			values[n++] = level;
		} else {
			return sl_err_set(err, SL_EINVAL,
					  "partition values: level %zu of '%s' is not %.*s=...", n,
					  part, (int)klen, key);
		}
		bool more_keys = key_end != NULL, more_levels = slash != NULL;
		if (more_keys != more_levels)
			return sl_err_set(err, SL_EINVAL,
					  "partition values: '%s' has %s levels than the keys '%s'",
					  part, more_levels ? "more" : "fewer", partition_keys);
		if (!more_keys)
			return (int)n;
		key = key_end + 1;
		level = slash + 1;
	}
}
