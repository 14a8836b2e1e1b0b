/*
 * test_crawl.c - the crawler (crawl/crawl.h) through its library, on scratch lakes:
 *   the table rule (depth, per-family overrides, k=v and unnamed levels, hostile keys:
 *   bad column names, '=' in odd places, non-ASCII, upper case, very long keys, the
 *   levels limit) and --explain;
 *   scanning objects (NDJSON with blank lines and CRLF, gzip, zstd, arrays, empty
 *   objects, the sample limit and counting past it, conflicts typed string, maps
 *   disguised as structs, records that are not objects, bad JSON, Parquet with
 *   statistics across row groups, a stale version);
 *   the stage (STAGE_TESTS below).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>
#include <zstd.h>

#include "crawl/crawl.h"
#include "helpers.h"
#include "lake/lake.h"
#include "parquet/writer.h"
#include "queue/queue.h"
#include "types/types.h"

/* ---- helpers ----------------------------------------------------------------------- */

static char *type_text(const struct sl_type *t)
{
	struct sl_buf b;
	sl_buf_init(&b, 0);
	assert_int_equal(sl_type_format(t, &b), 0);
	return b.data ? b.data : strdup("");
}

/* A row type (never nullable) against its text without the final " not null". */
static void assert_type(const struct sl_type *t, const char *want)
{
	assert_non_null(t);
	char *got = type_text(t);
	char full[4096];
	snprintf(full, sizeof(full), "%s not null", want);
	if (strcmp(got, full) != 0)
		fail_msg("type\n  got  %s\n  want %s", got, full);
	free(got);
}

static void gzip_mem(const char *in, size_t len, char **out, size_t *out_len)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
	size_t cap = deflateBound(&z, len) + 64;
	*out = malloc(cap);
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)*out;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	*out_len = cap - z.avail_out;
	deflateEnd(&z);
}

static void config_for_layout(struct sl_config *cfg)
{
	sl_config_defaults(cfg);
	/* crawl.families.events.depth: 2 */
	cfg->crawl.families[0] = cfg->crawl.defaults;
	snprintf(cfg->crawl.families[0].name, sizeof(cfg->crawl.families[0].name), "events");
	cfg->crawl.families[0].depth = 2;
	cfg->crawl.n_families = 1;
}

/* ---- the table rule ----------------------------------------------------------------- */

static void test_layout_basic(void **state)
{
	(void)state;
	struct sl_config cfg;
	struct sl_crawl_layout lay;
	struct sl_err err = {0};
	config_for_layout(&cfg);

	assert_int_equal(sl_crawl_layout(&cfg, "raw", "orders/a.ndjson", &lay, &err), 0);
	assert_string_equal(lay.db, "raw");
	assert_string_equal(lay.table, "orders");
	assert_string_equal(lay.prefix, "orders/");
	assert_string_equal(lay.family, "orders");
	assert_int_equal(lay.depth, 1);
	assert_false(lay.depth_from_family);
	assert_string_equal(lay.part, "");
	assert_string_equal(lay.partition_keys, "");
	assert_int_equal(lay.n_levels, 0);
	assert_string_equal(lay.format, "json");

	assert_int_equal(sl_crawl_layout(&cfg, "curated", "orders/dt=2026-01-05/hour=03/a.json.gz",
					 &lay, &err), 0);
	assert_string_equal(lay.db, "curated");
	assert_string_equal(lay.table, "orders");
	assert_string_equal(lay.part, "dt=2026-01-05/hour=03");
	assert_string_equal(lay.partition_keys, "dt,hour");
	assert_int_equal(lay.n_levels, 2);
	assert_string_equal(lay.levels[0].name, "dt");
	assert_string_equal(lay.levels[0].value, "2026-01-05");
	assert_true(lay.levels[0].hive);
	assert_string_equal(lay.levels[1].value, "03");

	assert_int_equal(sl_crawl_layout(&cfg, "raw", "orders/x/part-0.parquet", &lay, &err), 0);
	assert_string_equal(lay.format, "parquet");
	assert_string_equal(lay.partition_keys, "partition_0");
	assert_false(lay.levels[0].hive);
	assert_string_equal(lay.levels[0].value, "x");

	const char *json_names[] = {"o/a.json", "o/a.ndjson", "o/a.jsonl", "o/a.json.gz",
				    "o/a.ndjson.zst", "o/A.JSONL.GZ", "o/a.replay-57.ndjson.gz"};
	for (size_t i = 0; i < sizeof(json_names) / sizeof(json_names[0]); i++) {
		assert_int_equal(sl_crawl_layout(&cfg, "raw", json_names[i], &lay, &err), 0);
		assert_string_equal(lay.format, "json");
	}
}

static void test_layout_depth(void **state)
{
	(void)state;
	struct sl_config cfg;
	struct sl_crawl_layout lay;
	struct sl_err err = {0};
	config_for_layout(&cfg);

	/* the family's depth: two folders name the table */
	assert_int_equal(sl_crawl_layout(&cfg, "raw", "events/click/dt=1/a.json", &lay, &err), 0);
	assert_string_equal(lay.table, "events_click");
	assert_string_equal(lay.prefix, "events/click/");
	assert_int_equal(lay.depth, 2);
	assert_true(lay.depth_from_family);
	assert_string_equal(lay.partition_keys, "dt");
	/* a k=v folder ends the table's folders early */
	assert_int_equal(sl_crawl_layout(&cfg, "raw", "events/dt=1/a.json", &lay, &err), 0);
	assert_string_equal(lay.table, "events");
	assert_string_equal(lay.part, "dt=1");
	/* fewer folders than the depth and no k=v: not placed */
	assert_int_equal(sl_crawl_layout(&cfg, "raw", "events/a.json", &lay, &err), SL_EINVAL);
	assert_non_null(strstr(err.msg, "fewer than the 2"));
	/* the defaults' depth for others */
	cfg.crawl.defaults.depth = 3;
	assert_int_equal(sl_crawl_layout(&cfg, "raw", "a/b/c/d/e.json", &lay, &err), 0);
	assert_string_equal(lay.table, "a_b_c");
	assert_string_equal(lay.prefix, "a/b/c/");
	assert_string_equal(lay.partition_keys, "partition_0");
	assert_string_equal(lay.part, "d");
}

static void test_layout_levels(void **state)
{
	(void)state;
	struct sl_config cfg;
	struct sl_crawl_layout lay;
	struct sl_err err = {0};
	config_for_layout(&cfg);

	/* unnamed levels are partition_N by position, also among named ones */
	assert_int_equal(sl_crawl_layout(&cfg, "raw", "logs/2026/01/a.json", &lay, &err), 0);
	assert_string_equal(lay.partition_keys, "partition_0,partition_1");
	assert_string_equal(lay.levels[1].value, "01");
	assert_int_equal(sl_crawl_layout(&cfg, "raw", "logs/dt=1/x/a.json", &lay, &err), 0);
	assert_string_equal(lay.partition_keys, "dt,partition_1");
	/* upper case: the key is lower-cased, the location keeps the key's spelling */
	assert_int_equal(sl_crawl_layout(&cfg, "raw", "Orders/DT=2026/Region=EU/A.JSON", &lay,
					 &err), 0);
	assert_string_equal(lay.table, "orders");
	assert_string_equal(lay.prefix, "Orders/");
	assert_string_equal(lay.partition_keys, "dt,region");
	assert_string_equal(lay.part, "DT=2026/Region=EU");
	assert_string_equal(lay.levels[1].value, "EU");
	/* '=' at odd places: the first one splits; none before it: not a k=v folder */
	assert_int_equal(sl_crawl_layout(&cfg, "raw", "o/a=b=c/x.json", &lay, &err), 0);
	assert_string_equal(lay.levels[0].name, "a");
	assert_string_equal(lay.levels[0].value, "b=c");
	assert_int_equal(sl_crawl_layout(&cfg, "raw", "o/=x/x.json", &lay, &err), 0);
	assert_string_equal(lay.levels[0].name, "partition_0");
	assert_string_equal(lay.levels[0].value, "=x");
	assert_int_equal(sl_crawl_layout(&cfg, "raw", "o/k=/x.json", &lay, &err), 0);
	assert_string_equal(lay.levels[0].name, "k");
	assert_string_equal(lay.levels[0].value, "");
	/* names that are not columns */
	const char *bad[] = {"o/1x=3/a.json", "o/d\xc3\xa4t=1/a.json", "o/a-b=1/a.json",
			     "o/a b=1/a.json", "o/dt=1/DT=2/a.json", "o/partition_1=a/b/a.json"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err.msg[0] = '\0';
		if (sl_crawl_layout(&cfg, "raw", bad[i], &lay, &err) != SL_EINVAL)
			fail_msg("%s was placed", bad[i]);
		assert_true(err.msg[0] != '\0');
	}
	/* non-ASCII in a value or a table folder is fine */
	assert_int_equal(sl_crawl_layout(&cfg, "raw", "bestellungen-\xc3\xa4/city=K\xc3\xb6ln/a.json",
					 &lay, &err), 0);
	assert_string_equal(lay.levels[0].value, "K\xc3\xb6ln");
	for (const char *p = lay.table; *p; p++)
		assert_true((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_');
}

static void test_layout_limits(void **state)
{
	(void)state;
	struct sl_config cfg;
	struct sl_crawl_layout lay;
	struct sl_err err = {0};
	char key[SL_KEY_MAX + 64];
	config_for_layout(&cfg);

	/* SL_CRAWL_MAX_LEVELS levels are fine, one more is not */
	for (int levels = SL_CRAWL_MAX_LEVELS; levels <= SL_CRAWL_MAX_LEVELS + 1; levels++) {
		size_t n = (size_t)snprintf(key, sizeof(key), "t");
		for (int i = 0; i < levels; i++)
			n += (size_t)snprintf(key + n, sizeof(key) - n, "/k%d=%d", i, i);
		snprintf(key + n, sizeof(key) - n, "/a.json");
		int rc = sl_crawl_layout(&cfg, "raw", key, &lay, &err);
		if (levels == SL_CRAWL_MAX_LEVELS) {
			assert_int_equal(rc, 0);
			assert_int_equal(lay.n_levels, SL_CRAWL_MAX_LEVELS);
		} else {
			assert_int_equal(rc, SL_EINVAL);
			assert_non_null(strstr(err.msg, "partition levels"));
		}
	}
	/* many unnamed levels in a 1024-byte key */
	size_t n = 0;
	key[n++] = 't';
	while (n < SL_KEY_MAX - 8) {
		key[n++] = '/';
		key[n++] = 'x';
	}
	memcpy(key + n, "/a.json", 8);
	assert_int_equal(sl_crawl_layout(&cfg, "raw", key, &lay, &err), SL_EINVAL);
	/* over the key limit */
	memset(key, 'a', SL_KEY_MAX + 10);
	memcpy(key, "t/", 2);
	memcpy(key + SL_KEY_MAX + 2, ".json", 6);
	assert_int_equal(sl_crawl_layout(&cfg, "raw", key, &lay, &err), SL_EINVAL);
	/* a partition name longer than a column name can be */
	n = (size_t)snprintf(key, sizeof(key), "t/");
	memset(key + n, 'k', 200);
	n += 200;
	snprintf(key + n, sizeof(key) - n, "=1/a.json");
	assert_int_equal(sl_crawl_layout(&cfg, "raw", key, &lay, &err), SL_EINVAL);
	/* a table name over 255 bytes (two long folders at depth 2) */
	n = (size_t)snprintf(key, sizeof(key), "events/");
	memset(key + n, 'b', 250);
	n += 250;
	snprintf(key + n, sizeof(key) - n, "/a.json");
	assert_int_equal(sl_crawl_layout(&cfg, "raw", key, &lay, &err), SL_EINVAL);
	/* not a table's object */
	assert_int_equal(sl_crawl_layout(&cfg, "raw", "a.json", &lay, &err), SL_EINVAL);
	assert_non_null(strstr(err.msg, "not in a folder"));
	assert_int_equal(sl_crawl_layout(&cfg, "raw", "o/a.csv", &lay, &err), SL_EINVAL);
	assert_non_null(strstr(err.msg, "format"));
	assert_int_equal(sl_crawl_layout(&cfg, "landing", "o/a.json", &lay, &err), SL_EINVAL);
	assert_int_equal(sl_crawl_layout(&cfg, "raw", "dt=1/a.json", &lay, &err), SL_EINVAL);
	assert_int_equal(sl_crawl_layout(&cfg, "raw", "o//a.json", &lay, &err), SL_EINVAL);
	assert_int_equal(sl_crawl_layout(&cfg, "raw", "o/../a.json", &lay, &err), SL_EINVAL);
}

static void test_explain(void **state)
{
	(void)state;
	struct sl_config cfg;
	struct sl_buf b;
	config_for_layout(&cfg);
	sl_buf_init(&b, 0);
	assert_int_equal(sl_crawl_explain(&cfg, "raw", "events/click/dt=1/x/a.json", &b), 0);
	assert_non_null(strstr(b.data, "table:      raw.events_click"));
	assert_non_null(strstr(b.data, "crawl.families.events.depth = 2"));
	assert_non_null(strstr(b.data, "location:   raw/events/click/"));
	assert_non_null(strstr(b.data, "dt"));
	assert_non_null(strstr(b.data, "partition_1"));
	sl_buf_reset(&b);
	assert_int_equal(sl_crawl_explain(&cfg, "raw", "dt=1/a.json", &b), SL_EINVAL);
	assert_non_null(strstr(b.data, "not a table's object"));
	assert_non_null(strstr(b.data, "looks like a partition"));
	sl_buf_release(&b);
}

/* ---- scanning ----------------------------------------------------------------------- */

struct sfx {
	char *dir;
	struct sl_lake *lake;
};

static int scan_setup(void **state)
{
	struct sfx *fx = calloc(1, sizeof(*fx));
	fx->lake = th_lake_new("crawlscan", &fx->dir);
	*state = fx;
	return 0;
}

static int scan_teardown(void **state)
{
	struct sfx *fx = *state;
	sl_lake_close(fx->lake);
	th_rmtree_free(fx->dir);
	free(fx);
	return 0;
}

static void put_raw(struct sl_lake *lake, const char *key, const void *data, size_t len,
		    struct sl_object *obj)
{
	struct sl_err err = {0};
	if (sl_store_put_mem(&lake->store, "raw", key, data, len, NULL, obj, &err) != 0)
		fail_msg("put %s: %s", key, err.msg);
}

static void scan_opts(struct sl_crawl_scan_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->max_struct_fields = 1000;
}

/* Puts data at raw/key and scans it; returns the scan's code. */
static int scan_mem(struct sfx *fx, const char *key, const void *data, size_t len,
		    const struct sl_crawl_scan_opts *o, struct sl_crawl_scan *out,
		    struct sl_err *err)
{
	struct sl_object obj;
	struct sl_crawl_layout lay;
	put_raw(fx->lake, key, data, len, &obj);
	assert_int_equal(sl_crawl_layout(&fx->lake->cfg, "raw", key, &lay, err), 0);
	return sl_crawl_scan_object(fx->lake, &obj, &lay, o, out, err);
}

static void test_scan_ndjson(void **state)
{
	struct sfx *fx = *state;
	struct sl_crawl_scan_opts o;
	struct sl_crawl_scan sc;
	struct sl_err err = {0};
	scan_opts(&o);
	const char text[] = "{\"id\":1,\"name\":\"a\",\"ts\":\"2026-01-05T10:00:00Z\"}\r\n"
			    "\n   \n"
			    "{\"id\":2,\"price\":1.5,\"tags\":[\"x\"],\"at\":\"2026-01-05\"}\n"
			    "\t\r\n"
			    "{\"id\":3,\"name\":null,\"u\":{\"k\":true}}"; /* no final newline */
	assert_int_equal(scan_mem(fx, "t/a.ndjson", text, strlen(text), &o, &sc, &err), 0);
	assert_int_equal(sc.records, 3);
	assert_int_equal(sc.sampled, 3);
	assert_int_equal(sc.bytes, (int64_t)strlen(text));
	assert_type(sc.type, "struct<id:int64 not null,name:string,ts:timestamp(us),price:double,"
			     "tags:list<string not null>,at:date,u:struct<k:boolean not null>>");
	assert_int_equal(sc.conflicts.n, 0);
	assert_false(sc.map_detected);
	assert_null(sc.stats);
	sl_crawl_scan_release(&sc);

	/* the same records gzip'd, zstd'd, and as an array */
	char *gz;
	size_t gz_len;
	gzip_mem(text, strlen(text), &gz, &gz_len);
	assert_int_equal(scan_mem(fx, "t/b.ndjson.gz", gz, gz_len, &o, &sc, &err), 0);
	assert_int_equal(sc.records, 3);
	assert_int_equal(sc.bytes, (int64_t)gz_len);
	sl_crawl_scan_release(&sc);
	free(gz);
	size_t zcap = ZSTD_compressBound(strlen(text));
	char *zs = malloc(zcap);
	size_t zlen = ZSTD_compress(zs, zcap, text, strlen(text), 3);
	assert_false(ZSTD_isError(zlen));
	assert_int_equal(scan_mem(fx, "t/c.json.zst", zs, zlen, &o, &sc, &err), 0);
	assert_int_equal(sc.records, 3);
	sl_crawl_scan_release(&sc);
	free(zs);
	const char arr[] = " [ {\"id\":1}, {\"id\":2.5,\"x\":[]} ,\n{\"id\":3}]\n";
	assert_int_equal(scan_mem(fx, "t/d.json", arr, strlen(arr), &o, &sc, &err), 0);
	assert_int_equal(sc.records, 3);
	assert_type(sc.type, "struct<id:double not null,x:list<json>>");
	sl_crawl_scan_release(&sc);
}

static void test_scan_empty(void **state)
{
	struct sfx *fx = *state;
	struct sl_crawl_scan_opts o;
	struct sl_crawl_scan sc;
	struct sl_err err = {0};
	scan_opts(&o);
	assert_int_equal(scan_mem(fx, "t/empty.ndjson", "", 0, &o, &sc, &err), 0);
	assert_int_equal(sc.records, 0);
	assert_type(sc.type, "struct<>");
	sl_crawl_scan_release(&sc);
	assert_int_equal(scan_mem(fx, "t/blank.ndjson", "\n\n  \r\n", 6, &o, &sc, &err), 0);
	assert_int_equal(sc.records, 0);
	sl_crawl_scan_release(&sc);
	assert_int_equal(scan_mem(fx, "t/arr.json", "[]", 2, &o, &sc, &err), 0);
	assert_int_equal(sc.records, 0);
	assert_type(sc.type, "struct<>");
	sl_crawl_scan_release(&sc);
}

static void test_scan_bad(void **state)
{
	struct sfx *fx = *state;
	struct sl_crawl_scan_opts o;
	struct sl_crawl_scan sc;
	struct sl_err err = {0};
	scan_opts(&o);
	const char notobj[] = "{\"a\":1}\n[1,2]\n";
	assert_int_equal(scan_mem(fx, "t/notobj.ndjson", notobj, strlen(notobj), &o, &sc, &err),
			 SL_EINVAL);
	assert_non_null(strstr(err.msg, "raw/t/notobj.ndjson:2:1:"));
	assert_non_null(strstr(err.msg, "not an object"));
	assert_null(sc.type);
	const char badjson[] = "{\"a\":1}\n{\"a\":2,}\n";
	assert_int_equal(scan_mem(fx, "t/bad.ndjson", badjson, strlen(badjson), &o, &sc, &err),
			 SL_ECORRUPT);
	assert_non_null(strstr(err.msg, "raw/t/bad.ndjson:2:"));
	const char trunc[] = "[{\"a\":1},";
	assert_int_equal(scan_mem(fx, "t/trunc.json", trunc, strlen(trunc), &o, &sc, &err),
			 SL_ECORRUPT);
	const char gzjunk[] = "\x1f\x8b\x08\x00garbage";
	assert_int_equal(scan_mem(fx, "t/junk.json.gz", gzjunk, sizeof(gzjunk) - 1, &o, &sc,
				  &err), SL_ECORRUPT);
	/* over the record limit */
	o.max_record = 16;
	const char big[] = "{\"a\":\"0123456789012345678901234567890\"}\n";
	assert_int_equal(scan_mem(fx, "t/big.ndjson", big, strlen(big), &o, &sc, &err),
			 SL_ELIMIT);
	/* too deep for the JSON limit */
	scan_opts(&o);
	o.max_depth = 8;
	const char deep[] = "{\"a\":[[[[[[[[[[1]]]]]]]]]]}\n";
	assert_int_equal(scan_mem(fx, "t/deep.ndjson", deep, strlen(deep), &o, &sc, &err),
			 SL_ELIMIT);
	/* deep but within the JSON limit: typed json beyond inference's depth */
	scan_opts(&o);
	struct sl_buf b;
	sl_buf_init(&b, 0);
	sl_buf_puts(&b, "{\"a\":");
	for (int i = 0; i < 100; i++)
		sl_buf_puts(&b, "[");
	for (int i = 0; i < 100; i++)
		sl_buf_puts(&b, "]");
	sl_buf_puts(&b, "}\n");
	assert_int_equal(scan_mem(fx, "t/deep2.ndjson", b.data, b.len, &o, &sc, &err), 0);
	assert_int_equal(sc.records, 1);
	sl_crawl_scan_release(&sc);
	sl_buf_release(&b);
	/* an empty member name cannot be a column */
	const char emptyname[] = "{\"\":1}\n";
	assert_int_equal(scan_mem(fx, "t/en.ndjson", emptyname, strlen(emptyname), &o, &sc, &err),
			 SL_EINVAL);
}

static void test_scan_conflict_map(void **state)
{
	struct sfx *fx = *state;
	struct sl_crawl_scan_opts o;
	struct sl_crawl_scan sc;
	struct sl_err err = {0};
	scan_opts(&o);
	const char text[] = "{\"a\":1,\"b\":{\"c\":1}}\n{\"a\":2,\"b\":{\"c\":[1]}}\n"
			    "{\"a\":\"x\"}\n";
	assert_int_equal(scan_mem(fx, "t/conf.ndjson", text, strlen(text), &o, &sc, &err), 0);
	assert_type(sc.type, "struct<a:string not null,b:struct<c:string not null>>");
	assert_int_equal(sc.conflicts.n, 2);
	bool seen_a = false, seen_c = false;
	for (size_t i = 0; i < sc.conflicts.n; i++) {
		const struct sl_type_change *c = &sc.conflicts.v[i];
		assert_int_equal(c->kind, SL_CHANGE_CONFLICT);
		assert_true(c->applied);
		if (strcmp(c->path, "/a") == 0) {
			seen_a = true;
			assert_string_equal(c->from, "int64");
			assert_string_equal(c->to, "string, record 2");
		} else if (strcmp(c->path, "/b/c") == 0) {
			seen_c = true;
			assert_string_equal(c->from, "int64");
			assert_string_equal(c->to, "array, record 1");
		}
	}
	assert_true(seen_a && seen_c);
	sl_crawl_scan_release(&sc);

	/* a map disguised as a struct: more distinct names than max_struct_fields */
	o.max_struct_fields = 20;
	struct sl_buf b;
	sl_buf_init(&b, 0);
	for (int r = 0; r < 10; r++) {
		sl_buf_printf(&b, "{\"id\":%d,\"attrs\":{", r);
		for (int k = 0; k < 5; k++)
			sl_buf_printf(&b, "%s\"k%d\":%d", k ? "," : "", r * 5 + k, k);
		sl_buf_puts(&b, "}}\n");
	}
	assert_int_equal(scan_mem(fx, "t/map.ndjson", b.data, b.len, &o, &sc, &err), 0);
	assert_true(sc.map_detected);
	assert_type(sc.type, "struct<id:int64 not null,attrs:map<string,int64 not null> not null>");
	sl_crawl_scan_release(&sc);
	sl_buf_release(&b);
}

static void test_scan_sample(void **state)
{
	struct sfx *fx = *state;
	struct sl_crawl_scan_opts o;
	struct sl_crawl_scan sc;
	struct sl_err err = {0};
	struct sl_buf b;
	sl_buf_init(&b, 0);
	for (int i = 0; i < 10000; i++) {
		/* a field that appears only far past the sample, and a bad line there too:
		 * past the sample, lines are counted, not read */
		if (i == 9000)
			sl_buf_puts(&b, "{\"id\":9000,\"late\":true}\n  \n");
		else if (i == 9001)
			sl_buf_puts(&b, "not json at all\r\n");
		else
			sl_buf_printf(&b, "{\"id\":%d,\"v\":\"%08d\"}\n", i, i);
	}
	scan_opts(&o);
	o.sample_bytes = 1000;
	assert_int_equal(scan_mem(fx, "t/sample.ndjson", b.data, b.len, &o, &sc, &err), 0);
	assert_int_equal(sc.records, 10000);
	assert_true(sc.sampled > 10 && sc.sampled < 50);
	assert_type(sc.type, "struct<id:int64 not null,v:string not null>");
	sl_crawl_scan_release(&sc);
	/* gzip'd: the sample is counted in decoded bytes */
	char *gz;
	size_t gz_len;
	gzip_mem(b.data, b.len, &gz, &gz_len);
	assert_int_equal(scan_mem(fx, "t/sample.ndjson.gz", gz, gz_len, &o, &sc, &err), 0);
	assert_int_equal(sc.records, 10000);
	assert_true(sc.sampled > 10 && sc.sampled < 50);
	sl_crawl_scan_release(&sc);
	free(gz);
	/* sample 0: every record, the late field and the bad line included */
	o.sample_bytes = 0;
	assert_int_equal(scan_mem(fx, "t/all.ndjson", b.data, b.len, &o, &sc, &err), SL_ECORRUPT);
	assert_non_null(strstr(err.msg, ":9003:1:"));
	/* count only */
	o.count_only = true;
	assert_int_equal(scan_mem(fx, "t/count.ndjson", b.data, b.len, &o, &sc, &err), 0);
	assert_int_equal(sc.records, 10000);
	assert_int_equal(sc.sampled, 0);
	assert_null(sc.type);
	sl_crawl_scan_release(&sc);
	/* arrays are parsed past the sample too */
	sl_buf_reset(&b);
	sl_buf_puts(&b, "[");
	for (int i = 0; i < 1000; i++)
		sl_buf_printf(&b, "%s{\"id\":%d}", i ? ",\n" : "", i);
	sl_buf_puts(&b, "]");
	o.count_only = false;
	o.sample_bytes = 100;
	assert_int_equal(scan_mem(fx, "t/arr.json", b.data, b.len, &o, &sc, &err), 0);
	assert_int_equal(sc.records, 1000);
	assert_true(sc.sampled < 20);
	sl_crawl_scan_release(&sc);
	sl_buf_release(&b);
}

static void test_scan_parquet(void **state)
{
	struct sfx *fx = *state;
	struct sl_crawl_scan_opts o;
	struct sl_crawl_scan sc;
	struct sl_err err = {0};
	struct sl_buf file;
	struct sl_pq_sink sink;
	struct sl_pq_writer *w = NULL;
	struct sl_pq_write_opts wo;
	const char tt[] = "struct<id:int64 not null,name:string,score:double,d:date>";
	struct sl_type *t = sl_type_parse(tt, strlen(tt), &err);
	assert_non_null(t);
	t->nullable = false;
	sl_buf_init(&file, 0);
	sl_pq_sink_buf(&sink, &file);
	sl_pq_write_opts_default(&wo);
	assert_int_equal(sl_pq_writer_open(t, &wo, &sink, &w, &err), 0);
	const char *rows1[] = {"{\"id\":5,\"name\":\"m\",\"score\":1.5,\"d\":\"2026-01-02\"}",
			       "{\"id\":7,\"name\":null,\"score\":-2,\"d\":\"2026-01-01\"}"};
	const char *rows2[] = {"{\"id\":3,\"name\":\"z\",\"score\":0.5,\"d\":\"2026-02-01\"}",
			       "{\"id\":4,\"name\":\"a\"}", "{\"id\":9}"};
	for (size_t i = 0; i < 2; i++)
		assert_int_equal(sl_pq_writer_put_json_text(w, rows1[i], strlen(rows1[i]), &err), 0);
	assert_int_equal(sl_pq_writer_flush(w, &err), 0);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(sl_pq_writer_put_json_text(w, rows2[i], strlen(rows2[i]), &err), 0);
	assert_int_equal(sl_pq_writer_close(w, &err), 0);
	sl_pq_writer_free(w);

	scan_opts(&o);
	if (scan_mem(fx, "t/p/part-0.parquet", file.data, file.len, &o, &sc, &err) != 0)
		fail_msg("scan: %s", err.msg);
	assert_int_equal(sc.records, 5);
	assert_int_equal(sc.bytes, (int64_t)file.len);
	assert_true(sl_type_equal(sc.type, t));
	assert_non_null(sc.stats);
	if (!strstr(sc.stats, "\"id\":{\"min\":3,\"max\":9,\"nulls\":0}") ||
	    !strstr(sc.stats, "\"name\":{\"min\":\"a\",\"max\":\"z\",\"nulls\":2}") ||
	    !strstr(sc.stats, "\"score\":{\"min\":-2") ||
	    !strstr(sc.stats, "\"d\":{\"min\":\"2026-01-01\",\"max\":\"2026-02-01\",\"nulls\":2}"))
		fail_msg("stats: %s", sc.stats);
	struct sl_json_error je;
	struct sl_json_node *n = sl_json_tree_parse(sc.stats, strlen(sc.stats), NULL, &je);
	assert_non_null(n);
	sl_json_tree_free(n);
	sl_crawl_scan_release(&sc);

	/* count only: no type */
	o.count_only = true;
	assert_int_equal(scan_mem(fx, "t/p/part-1.parquet", file.data, file.len, &o, &sc, &err), 0);
	assert_int_equal(sc.records, 5);
	assert_null(sc.type);
	sl_crawl_scan_release(&sc);

	/* not Parquet, or cut short */
	o.count_only = false;
	assert_int_equal(scan_mem(fx, "t/p/junk.parquet", "PAR1junkPAR1", 12, &o, &sc, &err),
			 SL_ECORRUPT);
	assert_int_equal(scan_mem(fx, "t/p/cut.parquet", file.data, file.len / 2, &o, &sc, &err),
			 SL_ECORRUPT);
	sl_buf_release(&file);
	sl_type_free(t);
}

static void test_scan_stale(void **state)
{
	struct sfx *fx = *state;
	struct sl_crawl_scan_opts o;
	struct sl_crawl_scan sc;
	struct sl_crawl_layout lay;
	struct sl_object v1, v2;
	struct sl_err err = {0};
	scan_opts(&o);
	put_raw(fx->lake, "t/s.ndjson", "{\"a\":1}\n", 8, &v1);
	put_raw(fx->lake, "t/s.ndjson", "{\"a\":1}\n{\"a\":2}\n", 16, &v2);
	assert_int_equal(sl_crawl_layout(&fx->lake->cfg, "raw", "t/s.ndjson", &lay, &err), 0);
	assert_int_equal(sl_crawl_scan_object(fx->lake, &v1, &lay, &o, &sc, &err), SL_ESTALE);
	assert_int_equal(sl_crawl_scan_object(fx->lake, &v2, &lay, &o, &sc, &err), 0);
	assert_int_equal(sc.records, 2);
	sl_crawl_scan_release(&sc);
	struct sl_err rerr = {0};
	assert_int_equal(sl_store_remove(&fx->lake->store, "raw", "t/s.ndjson", &rerr), 0);
	assert_int_equal(sl_crawl_scan_object(fx->lake, &v2, &lay, &o, &sc, &err), SL_ESTALE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_basic),
		cmocka_unit_test(test_layout_depth),
		cmocka_unit_test(test_layout_levels),
		cmocka_unit_test(test_layout_limits),
		cmocka_unit_test(test_explain),
		cmocka_unit_test_setup_teardown(test_scan_ndjson, scan_setup, scan_teardown),
		cmocka_unit_test_setup_teardown(test_scan_empty, scan_setup, scan_teardown),
		cmocka_unit_test_setup_teardown(test_scan_bad, scan_setup, scan_teardown),
		cmocka_unit_test_setup_teardown(test_scan_conflict_map, scan_setup, scan_teardown),
		cmocka_unit_test_setup_teardown(test_scan_sample, scan_setup, scan_teardown),
		cmocka_unit_test_setup_teardown(test_scan_parquet, scan_setup, scan_teardown),
		cmocka_unit_test_setup_teardown(test_scan_stale, scan_setup, scan_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
