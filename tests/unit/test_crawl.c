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
#include <unistd.h>

#include <zlib.h>
#include <zstd.h>

#include "crawl/crawl.h"
#include "helpers.h"
#include "lake/lake.h"
#include "parquet/writer.h"
#include "queue/queue.h"
#include "types/types.h"
#include "util/clock.h"

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
	/* x only ever held [] : left out until a value shows its type */
	assert_type(sc.type, "struct<id:double not null>");
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

/* ---- the stage ---------------------------------------------------------------------- */

#include "schema/registry.h"

struct cfx {
	char *dir;
	struct sl_lake *lake;
	struct sl_crawl_stage *st;
	struct sl_meta *m;
};

static int stage_setup(void **state)
{
	struct cfx *fx = calloc(1, sizeof(*fx));
	struct sl_err err = {0};
	fx->lake = th_lake_new("crawlstage", &fx->dir);
	fx->m = &fx->lake->meta;
	/* sluice.yaml's defaults: batches of 1000, 10 MiB samples, depth 1, update,
	 * delete; tests change fx->lake->cfg.crawl where they need other settings */
	assert_int_equal(fx->lake->cfg.crawl.defaults.depth, 1);
	assert_int_equal(sl_crawl_stage_open(fx->lake, &fx->st, &err), 0);
	*state = fx;
	return 0;
}

static int stage_teardown(void **state)
{
	struct cfx *fx = *state;
	sl_crawl_stage_close(fx->st);
	sl_lake_close(fx->lake);
	th_rmtree_free(fx->dir);
	free(fx);
	return 0;
}

/* crawl.families.NAME with a schema-change and a deletion policy */
static void family(struct cfx *fx, const char *name, const char *schema_change,
		   const char *deletion)
{
	struct sl_crawl_conf *cc = &fx->lake->cfg.crawl;
	struct sl_family_conf *f = &cc->families[cc->n_families++];
	*f = cc->defaults;
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->depth = 0;
	snprintf(f->schema_change, sizeof(f->schema_change), "%s", schema_change);
	snprintf(f->deletion, sizeof(f->deletion), "%s", deletion);
}

static int64_t raw_put(struct cfx *fx, const char *key, const char *text)
{
	struct sl_object o;
	put_raw(fx->lake, key, text, strlen(text), &o);
	return o.seq;
}

static struct sl_crawl_result crawl_n(struct cfx *fx, int64_t batch)
{
	struct sl_crawl_run_opts o = {.drain = true, .batch_messages = batch,
				      .batch_wait_ms = 0};
	struct sl_crawl_result r;
	struct sl_err err = {0};
	if (sl_crawl_run(fx->st, &o, &r, &err) != 0)
		fail_msg("crawl: %s", err.msg);
	return r;
}

static struct sl_crawl_result crawl(struct cfx *fx)
{
	return crawl_n(fx, 0);
}

static void table_get(struct cfx *fx, const char *name, struct sl_cat_table *t)
{
	struct sl_err err = {0};
	memset(t, 0, sizeof(*t));
	if (fx->m->ops->catalog_table_get(fx->m->state, "raw", name, t, &err) != 0)
		fail_msg("table %s: %s", name, err.msg);
}

static void assert_schema(struct cfx *fx, const char *name, const char *want)
{
	struct sl_cat_table t;
	table_get(fx, name, &t);
	char full[4096];
	snprintf(full, sizeof(full), "%s not null", want);
	if (strcmp(t.schema, full) != 0)
		fail_msg("raw.%s schema\n  got  %s\n  want %s", name, t.schema, full);
	sl_cat_table_release(&t);
}

static int64_t table_version(struct cfx *fx, const char *name)
{
	struct sl_cat_table t;
	table_get(fx, name, &t);
	int64_t v = t.version;
	sl_cat_table_release(&t);
	return v;
}

#define MAX_DRIFT 256
struct drifts {
	struct sl_cat_drift v[MAX_DRIFT];
	size_t n;
};

static int drift_one(void *ctx, const struct sl_cat_drift *d)
{
	struct drifts *ds = ctx;
	if (ds->n < MAX_DRIFT)
		ds->v[ds->n++] = *d;
	return 0;
}

/* The drift entries of a table ("" table: every table's) after id after. */
static void drift_get(struct cfx *fx, const char *table, struct drifts *ds)
{
	struct sl_err err = {0};
	ds->n = 0;
	if (fx->m->ops->catalog_drift_list(fx->m->state, table ? "raw" : NULL, table, 0, 0,
					   drift_one, ds, &err) != 0)
		fail_msg("drift: %s", err.msg);
}

/* The first drift entry of kind (and path, when given), or NULL. */
static const struct sl_cat_drift *drift_find(const struct drifts *ds, const char *kind,
					     const char *path)
{
	for (size_t i = 0; i < ds->n; i++)
		if (strcmp(ds->v[i].kind, kind) == 0 && (!path || strcmp(ds->v[i].path, path) == 0))
			return &ds->v[i];
	return NULL;
}

/* The same, failing the test when there is none. */
static const struct sl_cat_drift *need_drift(const struct drifts *ds, const char *kind,
					     const char *path)
{
	const struct sl_cat_drift *d = drift_find(ds, kind, path);
	if (!d) {
		fail_msg("no drift entry %s %s among %zu", kind, path ? path : "", ds->n);
		abort();
	}
	return d;
}

static void file_get(struct cfx *fx, const char *key, struct sl_cat_file *f)
{
	struct sl_err err = {0};
	memset(f, 0, sizeof(*f));
	if (fx->m->ops->catalog_file_get(fx->m->state, "raw", key, f, &err) != 0)
		fail_msg("file %s: %s", key, err.msg);
}

#define MAX_PARTS 64
struct parts {
	struct sl_cat_partition v[MAX_PARTS];
	size_t n;
};

static int part_one(void *ctx, const struct sl_cat_partition *p)
{
	struct parts *ps = ctx;
	if (ps->n < MAX_PARTS)
		ps->v[ps->n++] = *p;
	return 0;
}

static void parts_get(struct cfx *fx, const char *table, struct parts *ps)
{
	struct sl_err err = {0};
	ps->n = 0;
	if (fx->m->ops->catalog_partition_list(fx->m->state, "raw", table, part_one, ps, &err) != 0)
		fail_msg("partitions: %s", err.msg);
}

static void counters(struct cfx *fx, struct sl_cat_counters *c)
{
	struct sl_err err = {0};
	if (fx->m->ops->catalog_counters(fx->m->state, c, &err) != 0)
		fail_msg("counters: %s", err.msg);
}

static void version_change(struct cfx *fx, const char *table, int64_t version, char *out,
			   size_t cap)
{
	struct sl_cat_version v;
	struct sl_err err = {0};
	memset(&v, 0, sizeof(v));
	if (fx->m->ops->catalog_version_get(fx->m->state, "raw", table, version, &v, &err) != 0)
		fail_msg("version %s %" PRId64 ": %s", table, version, err.msg);
	snprintf(out, cap, "%s", v.change ? v.change : "");
	sl_cat_version_release(&v);
}

static void queue_empty(struct cfx *fx)
{
	struct sl_queue_stats qs;
	struct sl_err err = {0};
	assert_int_equal(fx->m->ops->queue_stats(fx->m->state, "raw", sl_now_ms(), &qs, &err), 0);
	assert_int_equal(qs.visible + qs.in_flight + qs.delayed, 0);
}

/* A burst of 500 objects in three tables, in batches of 200: three commits, one per
 * batch, whatever the number of objects and tables. */
static void test_stage_burst(void **state)
{
	struct cfx *fx = *state;
	char key[128], text[256];
	for (int i = 0; i < 500; i++) {
		const char *tables[] = {"orders", "users", "events"};
		snprintf(key, sizeof(key), "%s/dt=2026-01-0%d/part-%03d.ndjson", tables[i % 3],
			 1 + i % 4, i);
		snprintf(text, sizeof(text), "{\"id\":%d,\"v\":\"x%d\"}\n{\"id\":%d}\n", i, i, i);
		raw_put(fx, key, text);
	}
	struct sl_crawl_result r = crawl_n(fx, 200);
	assert_int_equal(r.commits, 3);
	assert_int_equal(r.messages, 500);
	assert_int_equal(r.objects, 500);
	assert_int_equal(r.records, 1000);
	assert_int_equal(r.rejected, 0);
	assert_int_equal(r.versions, 3); /* each table's version 1 */
	struct sl_cat_counters c;
	counters(fx, &c);
	assert_int_equal(c.commits, 3);
	assert_int_equal(c.messages, 500);
	assert_int_equal(c.objects, 500);
	assert_int_equal(c.records, 1000);
	struct sl_cat_table t;
	table_get(fx, "users", &t);
	assert_int_equal(t.version, 1);
	assert_int_equal(t.n_files, 167);
	assert_int_equal(t.records, 334);
	assert_int_equal(t.n_partitions, 4);
	assert_string_equal(t.partition_keys, "dt");
	assert_string_equal(t.prefix, "users/");
	assert_string_equal(t.format, "json");
	assert_string_equal(t.schema, "struct<id:int64 not null,v:string> not null");
	sl_cat_table_release(&t);
	struct drifts *ds = malloc(sizeof(*ds));
	drift_get(fx, "orders", ds);
	assert_int_equal(ds->n, 1);
	assert_string_equal(ds->v[0].kind, "table_created");
	assert_int_equal(ds->v[0].version, 1);
	free(ds);
	queue_empty(fx);
}

/* int64 -> double widens; a string beside them is a conflict: string, with a drift
 * entry naming both types and the object. */
static void test_stage_widen_conflict(void **state)
{
	struct cfx *fx = *state;
	struct drifts *ds = malloc(sizeof(*ds));
	char change[4096];
	raw_put(fx, "t/a.ndjson", "{\"x\":1,\"y\":true}\n");
	crawl(fx);
	assert_schema(fx, "t", "struct<x:int64 not null,y:boolean not null>");
	raw_put(fx, "t/b.ndjson", "{\"x\":1.5,\"y\":false,\"z\":\"2026-01-05\"}\n");
	struct sl_crawl_result r = crawl(fx);
	assert_int_equal(r.versions, 1);
	assert_schema(fx, "t", "struct<x:double not null,y:boolean not null,z:date>");
	assert_int_equal(table_version(fx, "t"), 2);
	drift_get(fx, "t", ds);
	const struct sl_cat_drift *d = need_drift(ds, "type_widened", "/x");
	assert_string_equal(d->example, "t/b.ndjson");
	assert_int_equal(d->version, 2);
	assert_non_null(strstr(d->detail, "int64 not null -> double not null"));
	assert_non_null(drift_find(ds, "column_added", "/z"));
	version_change(fx, "t", 2, change, sizeof(change));
	assert_non_null(strstr(change, "\"widened\":[{\"path\":\"/x\",\"from\":\"int64 not null\","
				       "\"to\":\"double not null\"}]"));
	assert_non_null(strstr(change, "\"added\":[\"/z\"]"));
	assert_non_null(strstr(change, "\"by\":\"crawl\""));

	raw_put(fx, "t/c.ndjson", "{\"x\":\"n/a\",\"y\":true}\n");
	crawl(fx);
	assert_schema(fx, "t", "struct<x:string not null,y:boolean not null,z:date>");
	drift_get(fx, "t", ds);
	d = need_drift(ds, "type_conflict", "/x");
	assert_string_equal(d->example, "t/c.ndjson");
	assert_non_null(strstr(d->detail, "double"));
	assert_non_null(strstr(d->detail, "string"));
	assert_int_equal(d->version, 3);
	/* a conflict inside one object of a new table */
	raw_put(fx, "u/a.ndjson", "{\"k\":1}\n{\"k\":[1]}\n");
	crawl(fx);
	assert_schema(fx, "u", "struct<k:string not null>");
	drift_get(fx, "u", ds);
	d = need_drift(ds, "type_conflict", "/k");
	assert_non_null(strstr(d->detail, "record 1"));
	assert_string_equal(d->example, "u/a.ndjson");
	free(ds);
}

/* add_columns: new columns come, type changes are logged only; log: nothing changes. */
static void test_stage_policies(void **state)
{
	struct cfx *fx = *state;
	struct drifts *ds = malloc(sizeof(*ds));
	family(fx, "addc", "add_columns", "delete");
	family(fx, "logp", "log", "delete");
	raw_put(fx, "addc/a.ndjson", "{\"x\":1}\n");
	raw_put(fx, "logp/a.ndjson", "{\"x\":1}\n");
	crawl(fx);
	raw_put(fx, "addc/b.ndjson", "{\"x\":2.5,\"n\":\"new\"}\n");
	raw_put(fx, "logp/b.ndjson", "{\"x\":2.5,\"n\":\"new\"}\n");
	crawl(fx);
	assert_schema(fx, "addc", "struct<x:int64 not null,n:string>");
	assert_int_equal(table_version(fx, "addc"), 2);
	drift_get(fx, "addc", ds);
	const struct sl_cat_drift *d = need_drift(ds, "change_ignored", "/x");
	assert_non_null(strstr(d->detail, "type_widened"));
	assert_non_null(strstr(d->detail, "add_columns"));
	assert_int_equal(d->version, 0);
	assert_non_null(drift_find(ds, "column_added", "/n"));
	/* log: the schema never changes, every change is logged */
	assert_schema(fx, "logp", "struct<x:int64 not null>");
	assert_int_equal(table_version(fx, "logp"), 1);
	drift_get(fx, "logp", ds);
	assert_non_null(drift_find(ds, "change_ignored", "/x"));
	assert_non_null(drift_find(ds, "change_ignored", "/n"));
	assert_null(drift_find(ds, "column_added", NULL));
	/* a new table's version 1 is its first batch's objects, whatever the policy */
	raw_put(fx, "logp2/a.ndjson", "{\"x\":1}\n");
	raw_put(fx, "logp2/b.ndjson", "{\"x\":1.5,\"y\":true}\n");
	family(fx, "logp2", "log", "delete");
	crawl(fx);
	assert_schema(fx, "logp2", "struct<x:double not null,y:boolean>");
	drift_get(fx, "logp2", ds);
	assert_null(drift_find(ds, "change_ignored", NULL));
	/* both objects are catalogued under the table's versions */
	struct sl_cat_file f;
	file_get(fx, "logp/b.ndjson", &f);
	assert_string_equal(f.state, "active");
	assert_int_equal(f.schema_version, 1);
	sl_cat_file_release(&f);
	free(ds);
}

/* dt= beside date=: rejected and reported, never merged; also another format, another
 * prefix with the same name, an unreadable object, a key no table takes. */
static void test_stage_rejects(void **state)
{
	struct cfx *fx = *state;
	struct drifts *ds = malloc(sizeof(*ds));
	struct sl_cat_file f;
	raw_put(fx, "t/date=2026-01-05/a.ndjson", "{\"x\":1}\n");
	raw_put(fx, "t/dt=2026-01-05/b.ndjson", "{\"x\":2}\n");
	raw_put(fx, "t/date=2026-01-06/c.parquet", "PAR1");
	raw_put(fx, "T/date=2026-01-05/d.ndjson", "{\"x\":3}\n");
	raw_put(fx, "t/date=2026-01-06/e.ndjson", "{\"x\":3,}\n");
	raw_put(fx, "t/date=2026-01-06/Bad-Name=1/f.ndjson", "{\"x\":3}\n");
	raw_put(fx, "g.ndjson", "{\"x\":3}\n");
	struct sl_crawl_result r = crawl(fx);
	assert_int_equal(r.objects, 1);
	assert_int_equal(r.rejected, 6);
	assert_int_equal(r.commits, 1);
	file_get(fx, "t/dt=2026-01-05/b.ndjson", &f);
	assert_string_equal(f.state, "rejected");
	assert_non_null(strstr(f.reason, "(dt)"));
	assert_non_null(strstr(f.reason, "(date)"));
	sl_cat_file_release(&f);
	drift_get(fx, "t", ds);
	const struct sl_cat_drift *d = need_drift(ds, "partition_layout", NULL);
	assert_string_equal(d->example, "t/dt=2026-01-05/b.ndjson");
	assert_string_equal(d->path, "dt=2026-01-05");
	assert_non_null(drift_find(ds, "format_mismatch", NULL));
	assert_non_null(drift_find(ds, "name_collision", NULL));
	d = need_drift(ds, "unreadable", NULL);
	assert_non_null(strstr(d->detail, "raw/t/date=2026-01-06/e.ndjson:1:"));
	assert_non_null(drift_find(ds, "bad_partition", NULL));
	drift_get(fx, NULL, ds);
	assert_non_null(drift_find(ds, "unreadable", NULL));
	file_get(fx, "g.ndjson", &f);
	assert_string_equal(f.state, "rejected");
	sl_cat_file_release(&f);
	struct parts *ps = malloc(sizeof(*ps));
	parts_get(fx, "t", ps);
	assert_int_equal(ps->n, 1);
	assert_string_equal(ps->v[0].part, "date=2026-01-05");
	free(ps);
	/* acknowledged, never retried */
	queue_empty(fx);
	r = crawl(fx);
	assert_int_equal(r.messages, 0);
	free(ds);
}

/* A map disguised as a struct: more distinct names than crawl.max_struct_fields. */
static void test_stage_map(void **state)
{
	struct cfx *fx = *state;
	struct drifts *ds = malloc(sizeof(*ds));
	fx->lake->cfg.crawl.max_struct_fields = 20;
	raw_put(fx, "m/a.ndjson", "{\"id\":1,\"attrs\":{\"a\":1}}\n");
	crawl(fx);
	assert_schema(fx, "m", "struct<id:int64 not null,attrs:struct<a:int64 not null> not null>");
	struct sl_buf b;
	sl_buf_init(&b, 0);
	for (int r = 0; r < 5; r++) {
		sl_buf_printf(&b, "{\"id\":%d,\"attrs\":{", r);
		for (int k = 0; k < 10; k++)
			sl_buf_printf(&b, "%s\"k%d\":%d", k ? "," : "", r * 10 + k, k);
		sl_buf_puts(&b, "}}\n");
	}
	raw_put(fx, "m/b.ndjson", b.data);
	raw_put(fx, "n/b.ndjson", b.data);
	crawl(fx);
	sl_buf_release(&b);
	assert_schema(fx, "m", "struct<id:int64 not null,attrs:map<string,int64 not null> not null>");
	drift_get(fx, "m", ds);
	assert_non_null(drift_find(ds, "map_detected", "/attrs"));
	/* a new table with a map */
	assert_schema(fx, "n", "struct<id:int64 not null,attrs:map<string,int64 not null> not null>");
	drift_get(fx, "n", ds);
	assert_non_null(drift_find(ds, "map_detected", "/attrs"));
	free(ds);
}

/* A subject with a registered schema: its types win over inference; a new version of
 * the schema makes a new table version. */
static void test_stage_registered(void **state)
{
	struct cfx *fx = *state;
	struct drifts *ds = malloc(sizeof(*ds));
	struct sl_registry_result rr;
	struct sl_err err = {0};
	const char v1[] = "{\"type\":\"object\",\"required\":[\"id\"],\"properties\":{"
			  "\"id\":{\"type\":\"integer\"},\"at\":{\"type\":\"string\",\"format\":"
			  "\"date-time\"}}}";
	const char v2[] = "{\"type\":\"object\",\"required\":[\"id\"],\"properties\":{"
			  "\"id\":{\"type\":\"integer\"},\"at\":{\"type\":\"string\",\"format\":"
			  "\"date-time\"},\"n\":{\"type\":\"number\"}}}";
	struct sl_registry_opts ro = {.compat_given = true, .compat = SL_COMPAT_NONE};
	memset(&rr, 0, sizeof(rr));
	if (sl_registry_register(fx->m, "reg", v1, strlen(v1), &ro, &rr, &err) != 0)
		fail_msg("register: %s", err.msg);
	/* inference would say at:string (not a date-time) and add "extra" */
	raw_put(fx, "reg/a.ndjson", "{\"id\":1,\"at\":\"soon\",\"extra\":true}\n{\"id\":2}\n");
	struct sl_crawl_result r = crawl(fx);
	assert_int_equal(r.objects, 1);
	assert_int_equal(r.records, 2);
	struct sl_cat_table t;
	table_get(fx, "reg", &t);
	assert_string_equal(t.subject, "reg");
	assert_int_equal(t.subject_version, 1);
	assert_int_equal(t.version, 1);
	/* the registry keeps canonical text: members in name order */
	assert_string_equal(t.schema, "struct<at:timestamp(us),id:int64 not null> not null");
	sl_cat_table_release(&t);
	drift_get(fx, "reg", ds);
	assert_non_null(drift_find(ds, "schema_registered", NULL));
	memset(&rr, 0, sizeof(rr));
	if (sl_registry_register(fx->m, "reg", v2, strlen(v2), &ro, &rr, &err) != 0)
		fail_msg("register: %s", err.msg);
	raw_put(fx, "reg/b.ndjson", "{\"id\":3,\"n\":\"not a number\"}\n");
	crawl(fx);
	table_get(fx, "reg", &t);
	assert_int_equal(t.subject_version, 2);
	assert_int_equal(t.version, 2);
	assert_string_equal(t.schema,
			    "struct<at:timestamp(us),id:int64 not null,n:double> not null");
	sl_cat_table_release(&t);
	char change[1024];
	version_change(fx, "reg", 2, change, sizeof(change));
	assert_non_null(strstr(change, "\"registered\":{\"subject\":\"reg\",\"version\":2}"));
	/* the same schema version again: no new table version */
	raw_put(fx, "reg/c.ndjson", "{\"id\":4}\n");
	crawl(fx);
	assert_int_equal(table_version(fx, "reg"), 2);
	free(ds);
}

/* Removals: delete (files and emptied partitions go), deprecate (an emptied partition is
 * kept, marked deprecated), log (nothing changes, a drift entry says so). */
static void test_stage_removal(void **state)
{
	struct cfx *fx = *state;
	struct drifts *ds = malloc(sizeof(*ds));
	struct parts *ps = malloc(sizeof(*ps));
	struct sl_err err = {0};
	family(fx, "dep", "update", "deprecate");
	family(fx, "lg", "update", "log");
	const char *fams[] = {"del", "dep", "lg"};
	char key[64];
	for (int f = 0; f < 3; f++) {
		snprintf(key, sizeof(key), "%s/dt=1/a.ndjson", fams[f]);
		raw_put(fx, key, "{\"x\":1}\n{\"x\":2}\n");
		snprintf(key, sizeof(key), "%s/dt=2/b.ndjson", fams[f]);
		raw_put(fx, key, "{\"x\":3}\n");
	}
	crawl(fx);
	for (int f = 0; f < 3; f++) {
		snprintf(key, sizeof(key), "%s/dt=1/a.ndjson", fams[f]);
		if (sl_store_remove(&fx->lake->store, "raw", key, &err) != 0)
			fail_msg("remove: %s", err.msg);
	}
	struct sl_crawl_result r = crawl(fx);
	assert_int_equal(r.removed, 2);
	assert_int_equal(r.messages, 3);
	struct sl_cat_file f;
	/* delete */
	assert_int_equal(fx->m->ops->catalog_file_get(fx->m->state, "raw", "del/dt=1/a.ndjson",
						      &f, NULL), SL_ENOENT);
	parts_get(fx, "del", ps);
	assert_int_equal(ps->n, 1);
	assert_string_equal(ps->v[0].part, "dt=2");
	drift_get(fx, "del", ds);
	assert_non_null(drift_find(ds, "partition_deleted", "dt=1"));
	/* deprecate */
	parts_get(fx, "dep", ps);
	assert_int_equal(ps->n, 2);
	assert_string_equal(ps->v[0].part, "dt=1");
	assert_string_equal(ps->v[0].state, "deprecated");
	assert_int_equal(ps->v[0].records, 0);
	drift_get(fx, "dep", ds);
	assert_non_null(drift_find(ds, "partition_deprecated", "dt=1"));
	/* log */
	file_get(fx, "lg/dt=1/a.ndjson", &f);
	assert_string_equal(f.state, "active");
	sl_cat_file_release(&f);
	struct sl_cat_table t;
	table_get(fx, "lg", &t);
	assert_int_equal(t.records, 3);
	sl_cat_table_release(&t);
	drift_get(fx, "lg", ds);
	const struct sl_cat_drift *d = need_drift(ds, "object_removed", "dt=1");
	assert_string_equal(d->example, "lg/dt=1/a.ndjson");
	free(ds);
	free(ps);
}

/* A newer version of an object replaces its row and its counts; the older event and a
 * repeated one change nothing. */
static void test_stage_overwrite_repeat(void **state)
{
	struct cfx *fx = *state;
	struct drifts *ds = malloc(sizeof(*ds));
	struct sl_err err = {0};
	raw_put(fx, "o/dt=1/a.ndjson", "{\"x\":1}\n{\"x\":2}\n");
	crawl(fx);
	/* the same message bodies again, as an at-least-once queue may deliver them */
	struct sl_message msgs[4];
	size_t n = 0;
	struct sl_object o;
	assert_int_equal(fx->m->ops->object_get(fx->m->state, "raw", "o/dt=1/a.ndjson", &o, NULL),
			 0);
	struct sl_buf ev;
	sl_buf_init(&ev, 0);
	assert_int_equal(sl_event_object_created(&o, &ev), 0);
	int64_t seq1 = o.seq;
	raw_put(fx, "o/dt=1/a.ndjson", "{\"x\":1}\n{\"x\":2}\n{\"x\":3}\n{\"x\":4}\n{\"x\":5}\n");
	crawl(fx);
	struct sl_cat_table t;
	table_get(fx, "o", &t);
	assert_int_equal(t.records, 5);
	assert_int_equal(t.n_files, 1);
	sl_cat_table_release(&t);
	struct sl_cat_file f;
	file_get(fx, "o/dt=1/a.ndjson", &f);
	assert_true(f.seq > seq1);
	assert_int_equal(f.records, 5);
	sl_cat_file_release(&f);

	struct sl_cat_counters c0, c1;
	counters(fx, &c0);
	drift_get(fx, NULL, ds);
	size_t drift0 = ds->n;
	/* the old version's event twice, and the current one's */
	assert_int_equal(sl_queue_send(fx->m, "raw", ev.data, 0, NULL, &err), 0);
	assert_int_equal(sl_queue_send(fx->m, "raw", ev.data, 0, NULL, &err), 0);
	sl_buf_reset(&ev);
	assert_int_equal(fx->m->ops->object_get(fx->m->state, "raw", "o/dt=1/a.ndjson", &o, NULL),
			 0);
	assert_int_equal(sl_event_object_created(&o, &ev), 0);
	assert_int_equal(sl_queue_send(fx->m, "raw", ev.data, 0, NULL, &err), 0);
	assert_int_equal(sl_queue_send(fx->m, "raw", "junk", 0, NULL, &err), 0);
	sl_buf_release(&ev);
	struct sl_crawl_result r = crawl(fx);
	assert_int_equal(r.messages, 4);
	assert_int_equal(r.skipped, 4);
	assert_int_equal(r.objects, 0);
	assert_int_equal(r.versions, 0);
	counters(fx, &c1);
	assert_int_equal(c1.objects, c0.objects);
	assert_int_equal(c1.records, c0.records);
	drift_get(fx, NULL, ds);
	assert_int_equal(ds->n, drift0);
	table_get(fx, "o", &t);
	assert_int_equal(t.records, 5);
	assert_int_equal(t.version, 1);
	sl_cat_table_release(&t);
	/* and a batch handled by hand twice (a crash after the commit, before the loop
	 * knew): the second time is all skips */
	raw_put(fx, "o/dt=2/b.ndjson", "{\"x\":1}\n");
	size_t got = 0;
	assert_int_equal(sl_queue_receive(fx->m, "raw", 4, -1, 0, msgs, &got, &err), 0);
	assert_int_equal(got, 1);
	n = got;
	struct sl_crawl_result br;
	memset(&br, 0, sizeof(br));
	assert_int_equal(sl_crawl_batch(fx->st, "raw", msgs, n, &br, &err), 0);
	assert_int_equal(br.objects, 1);
	memset(&br, 0, sizeof(br));
	assert_int_equal(sl_crawl_batch(fx->st, "raw", msgs, n, &br, &err), 0);
	assert_int_equal(br.objects, 0);
	assert_int_equal(br.skipped, 1);
	for (size_t i = 0; i < n; i++)
		sl_message_release(&msgs[i]);
	table_get(fx, "o", &t);
	assert_int_equal(t.records, 6);
	sl_cat_table_release(&t);
	free(ds);
}

/* crawl --full: a new version inferred afresh from the objects there are now. */
static void test_stage_full(void **state)
{
	struct cfx *fx = *state;
	struct sl_err err = {0};
	raw_put(fx, "f/a.ndjson", "{\"x\":1}\n");
	raw_put(fx, "f/b.ndjson", "{\"x\":\"text\",\"gone\":1}\n");
	crawl(fx);
	assert_schema(fx, "f", "struct<x:string not null,gone:int64>");
	/* the object that made x a string goes, but the schema keeps what it learned */
	assert_int_equal(sl_store_remove(&fx->lake->store, "raw", "f/b.ndjson", &err), 0);
	raw_put(fx, "f/c.ndjson", "{\"x\":2.5}\n");
	crawl(fx);
	assert_schema(fx, "f", "struct<x:string not null,gone:int64>");
	int64_t v = table_version(fx, "f");
	struct sl_crawl_result r;
	memset(&r, 0, sizeof(r));
	if (sl_crawl_full(fx->st, "raw", "f", &r, &err) != 0)
		fail_msg("full: %s", err.msg);
	assert_int_equal(r.objects, 2);
	assert_int_equal(r.commits, 1);
	assert_schema(fx, "f", "struct<x:double not null>");
	assert_int_equal(table_version(fx, "f"), v + 1);
	char change[1024];
	version_change(fx, "f", v + 1, change, sizeof(change));
	assert_non_null(strstr(change, "\"by\":\"crawl --full\""));
	struct sl_cat_table t;
	table_get(fx, "f", &t);
	assert_int_equal(t.n_files, 2);
	assert_int_equal(t.records, 2);
	sl_cat_table_release(&t);
	assert_int_equal(sl_crawl_full(fx->st, "raw", "nope", &r, &err), SL_ENOENT);
}

/* Parquet in the curated zone: footer types and statistics in the file rows. */
static void test_stage_parquet(void **state)
{
	struct cfx *fx = *state;
	struct sl_err err = {0};
	struct sl_buf file;
	struct sl_pq_sink sink;
	struct sl_pq_writer *w = NULL;
	struct sl_pq_write_opts wo;
	const char tt[] = "struct<id:int64 not null,name:string>";
	struct sl_type *t = sl_type_parse(tt, strlen(tt), &err);
	sl_buf_init(&file, 0);
	sl_pq_sink_buf(&sink, &file);
	sl_pq_write_opts_default(&wo);
	assert_int_equal(sl_pq_writer_open(t, &wo, &sink, &w, &err), 0);
	const char *rows[] = {"{\"id\":5,\"name\":\"m\"}", "{\"id\":7}"};
	for (size_t i = 0; i < 2; i++)
		assert_int_equal(sl_pq_writer_put_json_text(w, rows[i], strlen(rows[i]), &err), 0);
	assert_int_equal(sl_pq_writer_close(w, &err), 0);
	sl_pq_writer_free(w);
	struct sl_object o;
	assert_int_equal(sl_store_put_mem(&fx->lake->store, "curated", "sales/region=eu/p.parquet",
					  file.data, file.len, NULL, &o, &err), 0);
	struct sl_crawl_result r = crawl(fx);
	assert_int_equal(r.objects, 1);
	struct sl_cat_table ct;
	assert_int_equal(fx->m->ops->catalog_table_get(fx->m->state, "curated", "sales", &ct, &err),
			 0);
	assert_string_equal(ct.format, "parquet");
	assert_string_equal(ct.schema, "struct<id:int64 not null,name:string> not null");
	assert_int_equal(ct.records, 2);
	sl_cat_table_release(&ct);
	struct sl_cat_file f;
	memset(&f, 0, sizeof(f));
	assert_int_equal(fx->m->ops->catalog_file_get(fx->m->state, "curated",
						      "sales/region=eu/p.parquet", &f, &err), 0);
	assert_string_equal(f.db, "curated");
	assert_string_equal(f.part, "region=eu");
	sl_cat_file_release(&f);
	sl_buf_release(&file);
	sl_type_free(t);
}

/* Another crawler commits the same new table between this batch's plan and its commit:
 * the commit is refused (SL_ESTALE), the batch plans again over the table as it is now,
 * without reading its objects again, and commits once. */
static struct {
	const struct sl_meta_ops *real;
	struct sl_meta_ops ops;
	int calls;
	char file[4200]; /* the object's file, taken away at the race: not read again */
} race;

static int racing_commit(void *state, const struct sl_cat_commit *c, int64_t now_ms,
			 struct sl_err *err)
{
	if (race.calls++ == 0) {
		assert_int_equal(unlink(race.file), 0);
		/* the other crawler: table r, version 1, with a column of its own */
		struct sl_cat_table t;
		memset(&t, 0, sizeof(t));
		snprintf(t.db, sizeof(t.db), "raw");
		snprintf(t.name, sizeof(t.name), "r");
		snprintf(t.zone, sizeof(t.zone), "raw");
		snprintf(t.prefix, sizeof(t.prefix), "r/");
		snprintf(t.format, sizeof(t.format), "json");
		t.schema = (char *)"struct<other:boolean> not null";
		snprintf(t.schema_policy, sizeof(t.schema_policy), "update");
		snprintf(t.deletion_policy, sizeof(t.deletion_policy), "delete");
		t.version = 1;
		struct sl_cat_table_change tc = {.table = &t, .expected_version = 0,
						 .new_version = true, .change = "{}"};
		struct sl_cat_commit other = {.tables = &tc, .n_tables = 1};
		int rc = race.real->catalog_commit(state, &other, now_ms, err);
		if (rc)
			return rc;
	}
	return race.real->catalog_commit(state, c, now_ms, err);
}

static void test_stage_stale_replans(void **state)
{
	struct cfx *fx = *state;
	raw_put(fx, "r/a.ndjson", "{\"x\":1}\n");
	race.real = fx->m->ops;
	race.ops = *fx->m->ops;
	race.ops.catalog_commit = racing_commit;
	race.calls = 0;
	snprintf(race.file, sizeof(race.file), "%s/raw/r/a.ndjson", fx->dir);
	fx->m->ops = &race.ops;
	struct sl_crawl_result r = crawl(fx);
	fx->m->ops = race.real;
	assert_int_equal(race.calls, 2);
	assert_int_equal(r.commits, 1);
	assert_int_equal(r.objects, 1); /* from the first reading: the file is gone now */
	assert_int_equal(r.rejected, 0);
	assert_schema(fx, "r", "struct<other:boolean,x:int64>");
	assert_int_equal(table_version(fx, "r"), 2);
	struct sl_cat_counters c;
	counters(fx, &c);
	assert_int_equal(c.commits, 2); /* the other crawler's and ours */
	assert_int_equal(c.objects, 1);
	queue_empty(fx);
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
		cmocka_unit_test_setup_teardown(test_stage_burst, stage_setup, stage_teardown),
		cmocka_unit_test_setup_teardown(test_stage_widen_conflict, stage_setup,
						stage_teardown),
		cmocka_unit_test_setup_teardown(test_stage_policies, stage_setup, stage_teardown),
		cmocka_unit_test_setup_teardown(test_stage_rejects, stage_setup, stage_teardown),
		cmocka_unit_test_setup_teardown(test_stage_map, stage_setup, stage_teardown),
		cmocka_unit_test_setup_teardown(test_stage_registered, stage_setup, stage_teardown),
		cmocka_unit_test_setup_teardown(test_stage_removal, stage_setup, stage_teardown),
		cmocka_unit_test_setup_teardown(test_stage_overwrite_repeat, stage_setup,
						stage_teardown),
		cmocka_unit_test_setup_teardown(test_stage_full, stage_setup, stage_teardown),
		cmocka_unit_test_setup_teardown(test_stage_parquet, stage_setup, stage_teardown),
		cmocka_unit_test_setup_teardown(test_stage_stale_replans, stage_setup,
						stage_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
