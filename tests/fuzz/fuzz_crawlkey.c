/*
 * fuzz_crawlkey.c - libFuzzer harness for the crawler's table rule: sl_crawl_layout and
 * sl_crawl_explain on any zone and key, then sl_cat_part_values on what it placed. None
 * may crash; a placed key must name a table of [a-z0-9_], a location that is a prefix of
 * the key ending in '/', and a partition whose values split back by the table's keys.
 * Input: "ZONE\nKEY"; a fixed configuration with one family of depth 2.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "crawl/crawl.h"

static struct sl_config cfg;
static int ready;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ready) {
		sl_config_defaults(&cfg);
		strcpy(cfg.crawl.families[0].name, "app");
		cfg.crawl.families[0].depth = 2;
		strcpy(cfg.crawl.families[0].schema_change, "update");
		strcpy(cfg.crawl.families[0].deletion, "delete");
		cfg.crawl.n_families = 1;
		ready = 1;
	}
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	char *nl = strchr(s, '\n');
	const char *zone = nl ? s : "raw", *key = nl ? nl + 1 : s;
	if (nl)
		*nl = '\0';

	struct sl_crawl_layout *lay = calloc(1, sizeof(*lay));
	struct sl_err err = {0};
	struct sl_buf out;
	if (!lay)
		goto done;
	sl_buf_init(&out, 1 << 20);
	sl_crawl_explain(&cfg, zone, key, &out);
	sl_buf_release(&out);
	if (sl_crawl_layout(&cfg, zone, key, lay, &err) == 0) {
		size_t plen = strlen(lay->prefix);
		if (!lay->table[0] || plen == 0 || lay->prefix[plen - 1] != '/' ||
		    strncmp(lay->prefix, key, plen) != 0)
			abort();
		for (const char *c = lay->table; *c; c++)
			if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_'))
				abort();
		char buf[SL_CAT_PART_MAX];
		const char *vals[SL_CAT_MAX_PARTITION_KEYS];
		int n = sl_cat_part_values(lay->partition_keys, lay->part, buf, sizeof(buf), vals,
					   SL_CAT_MAX_PARTITION_KEYS, &err);
		if (lay->n_levels > 0 && n != (int)lay->n_levels)
			abort();
	} else if (!err.msg[0]) {
		abort();
	}
done:
	free(lay);
	free(s);
	return 0;
}
