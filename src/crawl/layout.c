/*
 * layout.c - where a key belongs: its table, partition and format (crawl.h gives the
 * rule; docs/catalog.md "The crawler" explains it for people).
 *
 * The rule is a pure function of the configuration and the key, so that `sluice crawl
 * --explain KEY` shows exactly what the stage does, and so that grouping never depends on
 * what else is in the zone (no similarity heuristics: a table is never split or merged
 * because of the contents of its files). Every key, however hostile (long, deep, '=' in
 * odd places, non-ASCII, upper case), gets either a placement or SL_EINVAL with a reason
 * that the stage writes into a drift entry.
 */
#include "crawl/crawl.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "store/store.h"

/* A folder that names a partition column: "k=v" with a non-empty k. */
static bool partition_looking(const char *folder)
{
	const char *eq = strchr(folder, '=');
	return eq && eq > folder;
}

static bool ends_with_ci(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);
	return len >= n && strncasecmp(s + len - n, suffix, n) == 0;
}

/* "parquet", "json", or NULL for a file name whose format is not known. Extensions are
 * compared without regard to case (A.JSON is JSON). */
static const char *format_of(const char *name)
{
	size_t len = strlen(name);
	if (ends_with_ci(name, len, ".parquet"))
		return "parquet";
	if (ends_with_ci(name, len, ".gz"))
		len -= 3;
	else if (ends_with_ci(name, len, ".zst"))
		len -= 4;
	if (ends_with_ci(name, len, ".json") || ends_with_ci(name, len, ".ndjson") ||
	    ends_with_ci(name, len, ".jsonl"))
		return "json";
	return NULL;
}

/* A partition column name from a k=v folder's k: lower-cased, then [a-z_][a-z0-9_]*. */
static int column_name(const char *k, size_t n, char *out, size_t cap, struct sl_err *err)
{
	if (n >= cap)
		return sl_err_set(err, SL_EINVAL,
				  "partition folder '%.*s=...': the name has %zu bytes, at most %zu",
				  (int)(n > 64 ? 64 : n), k, n, cap - 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)k[i];
		if (c < 0x80)
			c = (unsigned char)tolower(c);
		bool ok = (c >= 'a' && c <= 'z') || c == '_' || (i > 0 && c >= '0' && c <= '9');
		if (!ok)
			return sl_err_set(err, SL_EINVAL,
					  "partition folder '%.*s=...': '%.*s' is not a column name "
					  "([a-z_][a-z0-9_]*, any case)",
					  (int)(n > 128 ? 128 : n), k, (int)(n > 128 ? 128 : n), k);
		out[i] = (char)c;
	}
	out[n] = '\0';
	return 0;
}

int sl_crawl_layout(const struct sl_config *cfg, const char *zone, const char *key,
		    struct sl_crawl_layout *out, struct sl_err *err)
{
	struct sl_err kerr;
	const char *folders[SL_KEY_MAX / 2 + 1];
	size_t n_folders = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	const char *db = sl_cat_db_of_zone(zone);
	if (!db)
		return sl_err_set(err, SL_EINVAL, "zone '%.32s' has no tables (only raw and curated "
						  "have)", zone);
	if (sl_key_check(key, &kerr) != 0)
		return sl_err_set(err, SL_EINVAL, "%s", kerr.msg);
	snprintf(out->zone, sizeof(out->zone), "%s", zone);
	snprintf(out->db, sizeof(out->db), "%s", db);

	/* split a copy into folders and the file name ('/' becomes NUL) */
	size_t klen = strlen(key);
	memcpy(out->key_copy, key, klen + 1);
	char *p = out->key_copy;
	for (;;) {
		char *slash = strchr(p, '/');
		if (!slash)
			break;
		*slash = '\0';
		folders[n_folders++] = p;
		p = slash + 1;
	}
	const char *file = p;
	if (n_folders == 0)
		return sl_err_set(err, SL_EINVAL,
				  "'%s' is not in a folder: a table is named by the key's folders", key);
	const char *fmt = format_of(file);
	if (!fmt)
		return sl_err_set(err, SL_EINVAL,
				  "'%s': the file name's extension is not a known format (.parquet, "
				  ".json, .ndjson, .jsonl, optionally .gz or .zst)",
				  key);
	snprintf(out->format, sizeof(out->format), "%s", fmt);

	/* the family and the depth in force for it */
	snprintf(out->family, sizeof(out->family), "%.*s", (int)(sizeof(out->family) - 1),
		 folders[0]);
	const struct sl_family_conf *fam = sl_config_family(cfg, folders[0]);
	out->depth = fam && fam->depth > 0 ? fam->depth : cfg->crawl.defaults.depth;
	if (out->depth <= 0)
		out->depth = 1;
	for (size_t i = 0; i < cfg->crawl.n_families; i++)
		if (strcmp(cfg->crawl.families[i].name, folders[0]) == 0 &&
		    cfg->crawl.families[i].depth > 0 &&
		    cfg->crawl.families[i].depth != cfg->crawl.defaults.depth)
			out->depth_from_family = true;
	/* A family entry whose depth equals the defaults' cannot be told apart once the
	 * configuration is resolved; saying "the defaults" then is still true. */

	/* the table's folders: up to depth, ending before the first k=v folder */
	size_t n_table = 0;
	while (n_table < n_folders && (int64_t)n_table < out->depth &&
	       !partition_looking(folders[n_table]))
		n_table++;
	if (n_table == 0)
		return sl_err_set(err, SL_EINVAL,
				  "'%s': its first folder '%s' looks like a partition (k=v), so "
				  "nothing is left to name the table",
				  key, folders[0]);
	if ((int64_t)n_table < out->depth && n_table == n_folders)
		return sl_err_set(err, SL_EINVAL,
				  "'%s' has %zu folder%s, fewer than the %" PRId64
				  " that name a table of family '%s' (and no k=v folder ends the "
				  "name earlier)",
				  key, n_folders, n_folders == 1 ? "" : "s", out->depth, out->family);
	if ((rc = sl_cat_table_name(folders, n_table, out->table, sizeof(out->table), err)) != 0)
		return rc;
	size_t plen = 0;
	for (size_t i = 0; i < n_table; i++) {
		size_t n = strlen(folders[i]);
		memcpy(out->prefix + plen, key + (folders[i] - out->key_copy), n);
		plen += n;
		out->prefix[plen++] = '/';
	}
	out->prefix[plen] = '\0';

	/* partition levels */
	size_t n_levels = n_folders - n_table;
	if (n_levels > SL_CRAWL_MAX_LEVELS || n_levels > SL_CAT_MAX_PARTITION_KEYS)
		return sl_err_set(err, SL_EINVAL,
				  "'%.200s': %zu partition levels below the table's folders, at most "
				  "%d",
				  key, n_levels, SL_CRAWL_MAX_LEVELS);
	size_t klen_used = 0, part_len = 0;
	for (size_t l = 0; l < n_levels; l++) {
		const char *f = folders[n_table + l];
		struct sl_crawl_level *lv = &out->levels[l];
		size_t flen = strlen(f);
		if (partition_looking(f)) {
			const char *eq = strchr(f, '=');
			if ((rc = column_name(f, (size_t)(eq - f), lv->name, sizeof(lv->name), err)) !=
			    0)
				return sl_err_prefix(err, "'%.200s'", key);
			lv->value = eq + 1;
			lv->hive = true;
		} else {
			snprintf(lv->name, sizeof(lv->name), "partition_%zu", l);
			lv->value = f;
		}
		for (size_t j = 0; j < l; j++)
			if (strcmp(out->levels[j].name, lv->name) == 0)
				return sl_err_set(err, SL_EINVAL,
						  "'%.200s': partition column '%s' appears at levels %zu "
						  "and %zu",
						  key, lv->name, j, l);
		size_t nlen = strlen(lv->name);
		if (klen_used + nlen + 2 > sizeof(out->partition_keys))
			return sl_err_set(err, SL_EINVAL,
					  "'%.200s': the partition column names are longer than %zu "
					  "bytes together",
					  key, sizeof(out->partition_keys) - 1);
		if (l)
			out->partition_keys[klen_used++] = ',';
		memcpy(out->partition_keys + klen_used, lv->name, nlen + 1);
		klen_used += nlen;
		/* the partition path is the folders as the key spells them (the location) */
		if (l)
			out->part[part_len++] = '/';
		memcpy(out->part + part_len, key + (f - out->key_copy), flen);
		part_len += flen;
		out->part[part_len] = '\0';
	}
	out->n_levels = n_levels;
	return 0;
}

int sl_crawl_explain(const struct sl_config *cfg, const char *zone, const char *key,
		     struct sl_buf *out)
{
	struct sl_crawl_layout *lay = calloc(1, sizeof(*lay));
	struct sl_err err = {0};
	int rc = 0, wrc = 0;
	if (!lay)
		return SL_ENOMEM;
	wrc |= sl_buf_printf(out, "key:        %s/%s\n", zone, key);
	rc = sl_crawl_layout(cfg, zone, key, lay, &err);
	if (rc) {
		wrc |= sl_buf_printf(out, "result:     not a table's object\nwhy:        %s\n",
				     err.msg);
		goto out;
	}
	if (lay->depth_from_family)
		wrc |= sl_buf_printf(out, "family:     %s (crawl.families.%s.depth = %" PRId64
					  ")\n",
				     lay->family, lay->family, lay->depth);
	else
		wrc |= sl_buf_printf(out, "family:     %s (crawl.defaults.depth = %" PRId64 ")\n",
				     lay->family, lay->depth);
	wrc |= sl_buf_printf(out, "table:      %s.%s\n", lay->db, lay->table);
	wrc |= sl_buf_printf(out, "location:   %s/%s\n", lay->zone, lay->prefix);
	wrc |= sl_buf_printf(out, "format:     %s\n", lay->format);
	if (lay->n_levels == 0) {
		wrc |= sl_buf_puts(out, "partitions: none (the object is in the table's own "
					"folder)\n");
	} else {
		wrc |= sl_buf_printf(out, "partition:  %s\n", lay->part);
		for (size_t i = 0; i < lay->n_levels; i++)
			wrc |= sl_buf_printf(out, "  %-24s = %s%s\n", lay->levels[i].name,
					     lay->levels[i].value,
					     lay->levels[i].hive ? "" : "   (unnamed level)");
	}
	wrc |= sl_buf_puts(out, "note:       the table's first object fixes its partition "
				"columns; an object with other ones is rejected (partition_layout)\n");
out:
	free(lay);
	if (wrc)
		return SL_ENOMEM;
	return rc;
}
