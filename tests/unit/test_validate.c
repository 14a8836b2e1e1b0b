/*
 * test_validate.c - the validator stage through its library (validate/validate.h), with
 * schemas from an in-memory source (the stage's schema seam) compiled by the real JSON
 * Schema compiler:
 *   routing; an all-valid object passed on byte for byte; record-level split of NDJSON,
 *   arrays, gzip and zstd objects (outputs keep framing, codec and key); all invalid,
 *   quarantine, undecodable objects (truncated gzip, broken arrays, binary), no subject,
 *   no schema, pass-through; pinned and changing schema versions; every hostile record of
 *   the issue (deep, huge, invalid UTF-8, duplicate keys, numbers out of range) and one
 *   over the record limit; report contents and caps; the same event handled twice
 *   (nothing new, counted once); outputs of an earlier attempt removed; recovery of a
 *   removal a crash cut short; replay with lineage; purge; junk messages.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>
#include <zstd.h>

#include "helpers.h"
#include "lake/lake.h"
#include "queue/queue.h"
#include "util/clock.h"
#include "validate/validate.h"

/* ---- an in-memory schema source ------------------------------------------------------ */

#define MAX_SCHEMAS 16

struct mem_schema {
	char subject[64];
	int64_t version;
	char *text;
};

struct mem_source {
	struct mem_schema s[MAX_SCHEMAS];
	int n;
	int compiles; /* how many times a schema was compiled */
};

static int mem_latest(void *ctx, const char *subject, int64_t *version, char *fingerprint,
		      struct sl_err *err)
{
	struct mem_source *ms = ctx;
	*version = 0;
	for (int i = 0; i < ms->n; i++)
		if (strcmp(ms->s[i].subject, subject) == 0 && ms->s[i].version > *version)
			*version = ms->s[i].version;
	if (*version == 0)
		return sl_err_set(err, SL_ENOENT, "no schema for subject %s", subject);
	snprintf(fingerprint, SL_CHECKSUM_MAX, "mem:%s/%" PRId64, subject, *version);
	return 0;
}

static int mem_compile(void *ctx, const char *subject, int64_t version, struct sl_schema **out,
		       struct sl_err *err)
{
	struct mem_source *ms = ctx;
	for (int i = 0; i < ms->n; i++) {
		if (strcmp(ms->s[i].subject, subject) == 0 && ms->s[i].version == version) {
			ms->compiles++;
			return sl_schema_compile(ms->s[i].text, strlen(ms->s[i].text), NULL, out, err);
		}
	}
	return sl_err_set(err, SL_ENOENT, "subject %s has no version %" PRId64, subject, version);
}

static int64_t mem_add(struct mem_source *ms, const char *subject, const char *text)
{
	int64_t v = 0;
	for (int i = 0; i < ms->n; i++)
		if (strcmp(ms->s[i].subject, subject) == 0 && ms->s[i].version > v)
			v = ms->s[i].version;
	assert_true(ms->n < MAX_SCHEMAS);
	struct mem_schema *s = &ms->s[ms->n++];
	snprintf(s->subject, sizeof(s->subject), "%s", subject);
	s->version = v + 1;
	s->text = strdup(text);
	return s->version;
}

static const char ORDERS_V1[] =
	"{\"type\":\"object\",\"required\":[\"id\",\"total\"],\"properties\":{"
	"\"id\":{\"type\":\"integer\"},\"total\":{\"type\":\"number\",\"minimum\":0}}}";
/* v2 drops "total" from required: records that failed v1 for a missing total pass */
static const char ORDERS_V2[] =
	"{\"type\":\"object\",\"required\":[\"id\"],\"properties\":{"
	"\"id\":{\"type\":\"integer\"},\"total\":{\"type\":\"number\",\"minimum\":0}}}";

/* ---- fixture --------------------------------------------------------------------------- */

struct fx {
	char *dir;
	struct sl_lake *lake;
	struct sl_validate_stage *st;
	struct mem_source src;
	struct sl_vresult res[64];
	struct sl_err errs[64];
	int n_res;
};

static void fx_open(struct fx *fx, const char *yaml)
{
	struct sl_err err = {0};
	char path[4200];
	if (fx->st) {
		sl_validate_stage_close(fx->st);
		sl_lake_close(fx->lake);
	}
	if (yaml) {
		snprintf(path, sizeof(path), "%s/sluice.yaml", fx->dir);
		th_write_file(path, yaml, strlen(yaml));
	}
	if (sl_lake_open(fx->dir, &fx->lake, &err) != 0)
		fail_msg("open: %s", err.msg);
	assert_int_equal(sl_validate_stage_open(fx->lake, &fx->st, &err), 0);
	struct sl_schema_source s = {mem_latest, mem_compile, &fx->src};
	sl_validate_stage_set_source(fx->st, &s);
}

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct sl_err err = {0};
	fx->dir = th_tmpdir("validate");
	if (sl_lake_init(fx->dir, &err) != 0)
		fail_msg("init: %s", err.msg);
	fx_open(fx, NULL);
	mem_add(&fx->src, "orders", ORDERS_V1);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	sl_validate_stage_close(fx->st);
	sl_lake_close(fx->lake);
	for (int i = 0; i < fx->src.n; i++)
		free(fx->src.s[i].text);
	th_rmtree_free(fx->dir);
	free(fx);
	return 0;
}

static int64_t put(struct fx *fx, const char *key, const void *data, size_t len)
{
	struct sl_object o;
	struct sl_err err = {0};
	if (sl_store_put_mem(&fx->lake->store, "landing", key, data, len, NULL, &o, &err) != 0)
		fail_msg("put %s: %s", key, err.msg);
	return o.seq;
}

static int64_t put_str(struct fx *fx, const char *key, const char *s)
{
	return put(fx, key, s, strlen(s));
}

static void collect(void *ctx, const struct sl_vresult *res, const struct sl_err *err)
{
	struct fx *fx = ctx;
	assert_true(fx->n_res < 64);
	fx->res[fx->n_res] = *res;
	if (err)
		fx->errs[fx->n_res] = *err;
	else
		memset(&fx->errs[fx->n_res], 0, sizeof(fx->errs[0]));
	fx->n_res++;
}

/* Drains the landing queue; returns the totals. */
static struct sl_vtotals drain(struct fx *fx)
{
	struct sl_vrun_opts o = {.drain = true, .report = collect, .ctx = fx};
	struct sl_vtotals t;
	struct sl_err err = {0};
	fx->n_res = 0;
	if (sl_validate_run(fx->st, &o, &t, &err) != 0)
		fail_msg("run: %s", err.msg);
	return t;
}

/* Drains and expects exactly one message with this outcome; returns its result. */
static const struct sl_vresult *drain_one(struct fx *fx, enum sl_voutcome want)
{
	struct sl_vtotals t = drain(fx);
	assert_int_equal(t.messages, 1);
	if (t.failures)
		fail_msg("handling failed: %s", fx->errs[0].msg);
	if (fx->res[0].outcome != want)
		fail_msg("outcome %s, want %s (%s)", sl_voutcome_names[fx->res[0].outcome],
			 sl_voutcome_names[want], fx->res[0].reason);
	return &fx->res[0];
}

/* The bytes of zone/key (checked against the index), or NULL if absent. */
static char *get(struct fx *fx, const char *zone, const char *key, size_t *len)
{
	struct sl_object o;
	if (fx->lake->meta.ops->object_get(fx->lake->meta.state, zone, key, &o, NULL) != 0)
		return NULL;
	char path[] = "/tmp/sluice-test-vget-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	struct sl_err err = {0};
	if (sl_store_get_fd(&fx->lake->store, zone, key, fd, &err) != 0)
		fail_msg("get %s/%s: %s", zone, key, err.msg);
	close(fd);
	char *data = th_read_file(path, len);
	unlink(path);
	return data;
}

static bool exists(struct fx *fx, const char *zone, const char *key)
{
	struct sl_object o;
	return fx->lake->meta.ops->object_get(fx->lake->meta.state, zone, key, &o, NULL) == 0;
}

static void assert_bytes(struct fx *fx, const char *zone, const char *key, const void *want,
			 size_t want_len)
{
	size_t len;
	char *got = get(fx, zone, key, &len);
	if (!got)
		fail_msg("%s/%s is absent", zone, key);
	if (len != want_len || memcmp(got, want, len) != 0)
		fail_msg("%s/%s holds %zu bytes '%.*s', want %zu '%.*s'", zone, key, len,
			 (int)(len > 300 ? 300 : len), got, want_len,
			 (int)(want_len > 300 ? 300 : want_len), (const char *)want);
	free(got);
}

static void assert_str(struct fx *fx, const char *zone, const char *key, const char *want)
{
	assert_bytes(fx, zone, key, want, strlen(want));
}

static int64_t queue_depth(struct fx *fx, const char *queue)
{
	struct sl_queue_stats qs;
	assert_int_equal(fx->lake->meta.ops->queue_stats(fx->lake->meta.state, queue, sl_now_ms(),
							 &qs, NULL),
			 0);
	return qs.visible + qs.in_flight + qs.delayed;
}

struct ctr_find {
	const char *subject;
	struct sl_validate_counters c;
	bool found;
};

static int ctr_one(void *ctx, const struct sl_validate_counters *c)
{
	struct ctr_find *f = ctx;
	if (strcmp(c->subject, f->subject) == 0) {
		f->c = *c;
		f->found = true;
	}
	return 0;
}

static struct sl_validate_counters counters(struct fx *fx, const char *subject)
{
	struct ctr_find f = {.subject = subject};
	assert_int_equal(fx->lake->meta.ops->validate_counters(fx->lake->meta.state, ctr_one, &f,
								 NULL),
			 0);
	return f.c;
}

static struct sl_json_node *report_of(struct fx *fx, const char *key)
{
	struct sl_deadletter dl;
	struct sl_err err = {0};
	if (fx->lake->meta.ops->deadletter_get(fx->lake->meta.state, key, true, &dl, &err) != 0)
		fail_msg("no report for %s: %s", key, err.msg);
	struct sl_json_error je;
	struct sl_json_limits lim;
	sl_json_limits_default(&lim);
	struct sl_json_node *n = sl_json_tree_parse(dl.report, strlen(dl.report), &lim, &je);
	if (!n)
		fail_msg("report of %s is not JSON: %s\n%s", key, je.msg, dl.report);
	sl_deadletter_release(&dl);
	return n;
}

static const struct sl_json_node *jget(const struct sl_json_node *o, const char *path)
{
	/* "a.b.0.c": members and array indexes */
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", path);
	const struct sl_json_node *n = o;
	for (char *save = NULL, *part = strtok_r(buf, ".", &save); part && n;
	     part = strtok_r(NULL, ".", &save)) {
		if (n->type == SL_JSON_ARRAY) {
			size_t i = (size_t)atoi(part);
			n = i < n->u.c.n ? n->u.c.items[i] : NULL;
		} else if (n->type == SL_JSON_OBJECT) {
			n = sl_json_get(n, part);
		} else {
			n = NULL;
		}
	}
	if (!n)
		fail_msg("report has no %s", path);
	return n;
}

static int64_t jint(const struct sl_json_node *o, const char *path)
{
	const struct sl_json_node *n = jget(o, path);
	assert_int_equal(n->type, SL_JSON_INT);
	return n->u.i;
}

static const char *jstr(const struct sl_json_node *o, const char *path)
{
	const struct sl_json_node *n = jget(o, path);
	assert_int_equal(n->type, SL_JSON_STRING);
	return n->u.str.s;
}

/* ---- compression ---------------------------------------------------------------------- */

static unsigned char *gz(const char *data, size_t len, size_t *out_len)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
	size_t cap = deflateBound(&z, len) + 64;
	unsigned char *out = malloc(cap);
	z.next_in = (unsigned char *)data;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	*out_len = z.total_out;
	deflateEnd(&z);
	return out;
}

static char *gunzip(const unsigned char *data, size_t len, size_t *out_len)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
	size_t cap = 1 << 20;
	char *out = malloc(cap);
	z.next_in = (unsigned char *)data;
	z.avail_in = (uInt)len;
	z.next_out = (unsigned char *)out;
	z.avail_out = (uInt)cap;
	assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
	*out_len = z.total_out;
	inflateEnd(&z);
	return out;
}

/* ---- routing ----------------------------------------------------------------------------- */

static void test_routing(void **state)
{
	struct fx *fx = *state;
	fx_open(fx, "validate:\n"
		    "  routes:\n"
		    "    - {match: 'legacy/**/order-*.json', subject: orders, format: document}\n"
		    "    - {match: '*/events/**', subject: events}\n"
		    "    - {match: 'orders/special/**', subject: special, format: array}\n");
	const struct sl_config *cfg = &fx->lake->cfg;
	char subject[SL_SUBJECT_NAME_MAX];
	enum sl_json_framing fr;
	assert_int_equal(sl_validate_route(cfg, "legacy/2026/x/order-7.json", subject,
					   sizeof(subject), &fr), 1);
	assert_string_equal(subject, "orders");
	assert_int_equal(fr, SL_JSON_FRAME_DOCUMENT);
	assert_int_equal(sl_validate_route(cfg, "eu/events/a/b.ndjson", subject, sizeof(subject),
					   &fr), 1);
	assert_string_equal(subject, "events");
	assert_int_equal(fr, SL_JSON_FRAME_AUTO);
	/* the first match wins, before the first-folder default */
	assert_int_equal(sl_validate_route(cfg, "orders/special/a.json", subject, sizeof(subject),
					   &fr), 1);
	assert_string_equal(subject, "special");
	assert_int_equal(fr, SL_JSON_FRAME_ARRAY);
	assert_int_equal(sl_validate_route(cfg, "orders/2026/11/24/a.ndjson", subject,
					   sizeof(subject), &fr), 1);
	assert_string_equal(subject, "orders");
	/* no folder; a first folder that is not a subject name */
	assert_int_equal(sl_validate_route(cfg, "a.ndjson", subject, sizeof(subject), &fr), 0);
	assert_int_equal(sl_validate_route(cfg, "dt=2026-11-24/a.ndjson", subject, sizeof(subject),
					   &fr), 0);
	assert_int_equal(sl_validate_route(cfg, "caf\xC3\xA9/a.ndjson", subject, sizeof(subject),
					   &fr), 0);
}

/* ---- outcomes -------------------------------------------------------------------------- */

/* Every record valid: raw gets the original bytes (CRLF, blank lines, BOM and all), the
 * landing object and its message go, the counters say so, and deadletter stays empty. */
static void test_all_valid_passes_bytes_unchanged(void **state)
{
	struct fx *fx = *state;
	static const char data[] = "\xEF\xBB\xBF{\"id\":1,\"total\":2.5}\r\n\n   \n"
				   "{ \"total\" : 0 , \"id\" : 2 }\n{\"id\":3,\"total\":1e2}";
	int64_t seq = put(fx, "orders/2026/11/24/a.ndjson", data, sizeof(data) - 1);
	const struct sl_vresult *r = drain_one(fx, SL_VOUT_PASSED);
	assert_string_equal(r->subject, "orders");
	assert_int_equal(r->schema_version, 1);
	assert_int_equal(r->landing_seq, seq);
	assert_int_equal(r->records, 3);
	assert_int_equal(r->records_passed, 3);
	assert_true(r->counted);
	assert_bytes(fx, "raw", "orders/2026/11/24/a.ndjson", data, sizeof(data) - 1);
	assert_false(exists(fx, "landing", "orders/2026/11/24/a.ndjson"));
	assert_false(exists(fx, "deadletter", "orders/2026/11/24/a.ndjson"));
	assert_int_equal(queue_depth(fx, "landing"), 0);
	assert_int_equal(queue_depth(fx, "raw"), 1);
	assert_int_equal(queue_depth(fx, "deadletter"), 0);
	struct sl_validate_counters c = counters(fx, "orders");
	assert_int_equal(c.objects_passed, 1);
	assert_int_equal(c.objects_split + c.objects_failed, 0);
	assert_int_equal(c.records_passed, 3);
	assert_int_equal(c.records_failed, 0);
	/* the landing file is gone from the disk too */
	char path[4200];
	snprintf(path, sizeof(path), "%s/landing", fx->dir);
	assert_int_equal(th_count_files(path), 0);
}

static const char MIXED[] = "{\"id\":1,\"total\":2.5}\n"
			    "{\"id\":2,\"total\":\"12.50 EUR\"}\n"
			    "{\"id\":3}\n"
			    "{\"id\":4,\"total\":1},\n"
			    "{\"id\":5,\"total\":7}\n";
static const char MIXED_VALID[] = "{\"id\":1,\"total\":2.5}\n{\"id\":5,\"total\":7}\n";
static const char MIXED_INVALID[] = "{\"id\":2,\"total\":\"12.50 EUR\"}\n{\"id\":3}\n"
				    "{\"id\":4,\"total\":1},\n";

static void test_split_ndjson(void **state)
{
	struct fx *fx = *state;
	put_str(fx, "orders/a.ndjson", MIXED);
	const struct sl_vresult *r = drain_one(fx, SL_VOUT_SPLIT);
	assert_int_equal(r->records, 5);
	assert_int_equal(r->records_passed, 2);
	assert_int_equal(r->records_failed, 3);
	assert_str(fx, "raw", "orders/a.ndjson", MIXED_VALID);
	assert_str(fx, "deadletter", "orders/a.ndjson", MIXED_INVALID);
	assert_false(exists(fx, "landing", "orders/a.ndjson"));

	struct sl_json_node *rep = report_of(fx, "orders/a.ndjson");
	assert_string_equal(jstr(rep, "source.key"), "orders/a.ndjson");
	assert_string_equal(jstr(rep, "subject"), "orders");
	assert_int_equal(jint(rep, "schema_version"), 1);
	assert_string_equal(jstr(rep, "outcome"), "split");
	assert_string_equal(jstr(rep, "policy"), "split");
	assert_int_equal(jint(rep, "records"), 5);
	assert_int_equal(jint(rep, "invalid_records"), 3);
	assert_string_equal(jstr(rep, "raw.key"), "orders/a.ndjson");
	assert_string_equal(jstr(rep, "dead_letter.holds"), "the invalid records");
	assert_int_equal(jget(rep, "errors")->u.c.n, 3);
	assert_int_equal(jget(rep, "errors_truncated")->type, SL_JSON_FALSE);
	/* record 1: total has the wrong type, 16 bytes into the record at byte 21 */
	assert_int_equal(jint(rep, "errors.0.index"), 1);
	assert_int_equal(jint(rep, "errors.0.line"), 2);
	assert_int_equal(jint(rep, "errors.0.offset"), 21);
	assert_string_equal(jstr(rep, "errors.0.errors.0.pointer"), "/total");
	assert_string_equal(jstr(rep, "errors.0.errors.0.keyword"), "type");
	assert_int_equal(jint(rep, "errors.0.errors.0.offset"), 21 + 16);
	/* record 2: total missing */
	assert_int_equal(jint(rep, "errors.1.index"), 2);
	assert_int_equal(jint(rep, "errors.1.line"), 3);
	assert_string_equal(jstr(rep, "errors.1.errors.0.keyword"), "required");
	assert_non_null(strstr(jstr(rep, "errors.1.errors.0.message"), "total"));
	/* record 3: broken JSON (a trailing comma) */
	assert_int_equal(jint(rep, "errors.2.index"), 3);
	assert_int_equal(jint(rep, "errors.2.line"), 4);
	assert_string_equal(jstr(rep, "errors.2.errors.0.keyword"), "$json");
	assert_string_equal(jstr(rep, "errors.2.errors.0.pointer"), "");
	sl_json_tree_free(rep);

	struct sl_validate_counters c = counters(fx, "orders");
	assert_int_equal(c.objects_split, 1);
	assert_int_equal(c.records_passed, 2);
	assert_int_equal(c.records_failed, 3);
	/* the dead letter's row for ls/show */
	struct sl_deadletter dl;
	assert_int_equal(fx->lake->meta.ops->deadletter_get(fx->lake->meta.state,
							     "orders/a.ndjson", false, &dl, NULL),
			 0);
	assert_string_equal(dl.outcome, "split");
	assert_int_equal(dl.records, 5);
	assert_int_equal(dl.bad_records, 3);
	assert_null(dl.report);
}

/* A JSON array of records splits into two arrays. */
static void test_split_array(void **state)
{
	struct fx *fx = *state;
	put_str(fx, "orders/a.json",
		"[\n  {\"id\":1,\"total\":1},\n  {\"id\":2},\n  {\"id\":3,\n   \"total\":3}\n]\n");
	drain_one(fx, SL_VOUT_SPLIT);
	assert_str(fx, "raw", "orders/a.json", "[{\"id\":1,\"total\":1},\n{\"id\":3,\n   \"total\":3}]\n");
	assert_str(fx, "deadletter", "orders/a.json", "[{\"id\":2}]\n");
	struct sl_json_node *rep = report_of(fx, "orders/a.json");
	assert_string_equal(jstr(rep, "source.framing"), "array");
	assert_int_equal(jint(rep, "errors.0.line"), 3);
	assert_int_equal(jint(rep, "errors.0.column"), 3);
	sl_json_tree_free(rep);
}

/* A gzip object splits into two gzip objects under the same key; so does zstd. */
static void test_split_keeps_compression(void **state)
{
	struct fx *fx = *state;
	size_t n;
	unsigned char *z = gz(MIXED, sizeof(MIXED) - 1, &n);
	put(fx, "orders/a.ndjson.gz", z, n);
	free(z);
	drain_one(fx, SL_VOUT_SPLIT);
	size_t len, plain_len;
	char *got = get(fx, "raw", "orders/a.ndjson.gz", &len);
	assert_true(len >= 2 && (unsigned char)got[0] == 0x1f && (unsigned char)got[1] == 0x8b);
	char *plain = gunzip((unsigned char *)got, len, &plain_len);
	assert_int_equal(plain_len, strlen(MIXED_VALID));
	assert_memory_equal(plain, MIXED_VALID, plain_len);
	free(got);
	free(plain);
	got = get(fx, "deadletter", "orders/a.ndjson.gz", &len);
	plain = gunzip((unsigned char *)got, len, &plain_len);
	assert_int_equal(plain_len, strlen(MIXED_INVALID));
	assert_memory_equal(plain, MIXED_INVALID, plain_len);
	free(got);
	free(plain);
	struct sl_json_node *rep = report_of(fx, "orders/a.ndjson.gz");
	assert_string_equal(jstr(rep, "source.codec"), "gzip");
	sl_json_tree_free(rep);

	size_t cap = ZSTD_compressBound(sizeof(MIXED));
	unsigned char *zs = malloc(cap);
	size_t zn = ZSTD_compress(zs, cap, MIXED, sizeof(MIXED) - 1, 3);
	assert_false(ZSTD_isError(zn));
	put(fx, "orders/a.ndjson.zst", zs, zn);
	free(zs);
	drain_one(fx, SL_VOUT_SPLIT);
	got = get(fx, "raw", "orders/a.ndjson.zst", &len);
	char out[4096];
	size_t on = ZSTD_decompress(out, sizeof(out), got, len);
	assert_false(ZSTD_isError(on));
	assert_int_equal(on, strlen(MIXED_VALID));
	assert_memory_equal(out, MIXED_VALID, on);
	free(got);
}

static void test_all_invalid_goes_whole(void **state)
{
	struct fx *fx = *state;
	static const char data[] = "{\"id\":\"x\"}\n{\"total\":-1}\n";
	put_str(fx, "orders/bad.ndjson", data);
	const struct sl_vresult *r = drain_one(fx, SL_VOUT_INVALID);
	assert_int_equal(r->records_failed, 2);
	assert_str(fx, "deadletter", "orders/bad.ndjson", data);
	assert_false(exists(fx, "raw", "orders/bad.ndjson"));
	struct sl_json_node *rep = report_of(fx, "orders/bad.ndjson");
	assert_string_equal(jstr(rep, "dead_letter.holds"), "the whole object");
	assert_int_equal(jget(rep, "raw")->type, SL_JSON_NULL);
	/* -1 is below the minimum; "id" is missing: two reasons for one record */
	assert_int_equal(jget(rep, "errors.1.errors")->u.c.n, 2);
	sl_json_tree_free(rep);
	assert_int_equal(counters(fx, "orders").objects_failed, 1);
}

static void test_quarantine_policy(void **state)
{
	struct fx *fx = *state;
	fx_open(fx, "validate:\n  subjects:\n    orders: {policy: quarantine}\n");
	put_str(fx, "orders/q.ndjson", MIXED);
	const struct sl_vresult *r = drain_one(fx, SL_VOUT_QUARANTINED);
	assert_int_equal(r->records_failed, 5);
	assert_str(fx, "deadletter", "orders/q.ndjson", MIXED);
	assert_false(exists(fx, "raw", "orders/q.ndjson"));
	struct sl_json_node *rep = report_of(fx, "orders/q.ndjson");
	assert_string_equal(jstr(rep, "policy"), "quarantine");
	assert_int_equal(jget(rep, "errors")->u.c.n, 3);
	sl_json_tree_free(rep);
	/* another subject keeps the default policy */
	mem_add(&fx->src, "other", ORDERS_V1);
	put_str(fx, "other/q.ndjson", MIXED);
	drain_one(fx, SL_VOUT_SPLIT);
}

static void test_undecodable_objects(void **state)
{
	struct fx *fx = *state;
	size_t n;
	unsigned char *z = gz(MIXED, sizeof(MIXED) - 1, &n);
	put(fx, "orders/trunc.ndjson.gz", z, n - 9); /* cut inside the stream */
	free(z);
	const struct sl_vresult *r = drain_one(fx, SL_VOUT_UNDECODABLE);
	assert_non_null(strstr(r->reason, "cannot be decoded"));
	assert_non_null(strstr(r->reason, "gzip"));
	assert_false(exists(fx, "raw", "orders/trunc.ndjson.gz"));
	assert_true(exists(fx, "deadletter", "orders/trunc.ndjson.gz"));

	put_str(fx, "orders/open.json", "[{\"id\":1,\"total\":1},{\"id\":2,\"total\":2}");
	r = drain_one(fx, SL_VOUT_UNDECODABLE);
	assert_non_null(strstr(r->reason, "not closed"));

	static const unsigned char bin[] = {0x00, 0x01, 0xfe, 0xff, 0x7f, '\n', 0x80, 0x81};
	put(fx, "orders/bin.ndjson", bin, sizeof(bin));
	r = drain_one(fx, SL_VOUT_UNDECODABLE);
	assert_non_null(strstr(r->reason, "not JSON"));
	assert_bytes(fx, "deadletter", "orders/bin.ndjson", bin, sizeof(bin));
	assert_int_equal(r->records, 2);
	assert_int_equal(r->records_failed, 2);
	struct sl_validate_counters c = counters(fx, "orders");
	assert_int_equal(c.objects_failed, 3);
	/* a broken stream's records are not known, so not counted; "not JSON" ones are */
	assert_int_equal(c.records_failed, 2);
}

static void test_no_subject_no_schema_pass_through(void **state)
{
	struct fx *fx = *state;
	put_str(fx, "top.json", "{\"id\":1}");
	const struct sl_vresult *r = drain_one(fx, SL_VOUT_NO_SCHEMA);
	assert_non_null(strstr(r->reason, "no subject for key"));
	assert_str(fx, "deadletter", "top.json", "{\"id\":1}");
	struct sl_json_node *rep = report_of(fx, "top.json");
	assert_int_equal(jget(rep, "subject")->type, SL_JSON_NULL);
	sl_json_tree_free(rep);
	assert_int_equal(counters(fx, "").objects_failed, 1);

	put_str(fx, "clicks/a.ndjson", "{\"x\":1}\n");
	r = drain_one(fx, SL_VOUT_NO_SCHEMA);
	assert_string_equal(r->reason, "no schema for subject clicks");
	assert_str(fx, "deadletter", "clicks/a.ndjson", "{\"x\":1}\n");

	fx_open(fx, "validate:\n  subjects:\n    clicks: {pass_through: true}\n");
	put_str(fx, "clicks/b.ndjson", "not even json\n");
	r = drain_one(fx, SL_VOUT_PASS_THROUGH);
	assert_str(fx, "raw", "clicks/b.ndjson", "not even json\n");
	assert_false(exists(fx, "deadletter", "clicks/b.ndjson"));
	/* pass-through is for subjects without a schema only */
	mem_add(&fx->src, "clicks", "{\"required\":[\"x\"]}");
	put_str(fx, "clicks/c.ndjson", "{\"y\":1}\n");
	drain_one(fx, SL_VOUT_INVALID);
	struct sl_validate_counters c = counters(fx, "clicks");
	assert_int_equal(c.objects_passed, 1);
	assert_int_equal(c.objects_failed, 2);
}

/* The latest version is used from the next object on; a pinned version stays; a pinned
 * version that does not exist is "no schema"; compiled schemas are kept. */
static void test_schema_versions(void **state)
{
	struct fx *fx = *state;
	static const char rec[] = "{\"id\":1}\n"; /* no total: fails v1, passes v2 */
	put_str(fx, "orders/1.ndjson", rec);
	put_str(fx, "orders/2.ndjson", rec);
	drain(fx);
	assert_int_equal(fx->n_res, 2);
	assert_int_equal(fx->res[0].outcome, SL_VOUT_INVALID);
	assert_int_equal(fx->src.compiles, 1);
	mem_add(&fx->src, "orders", ORDERS_V2);
	put_str(fx, "orders/3.ndjson", rec);
	const struct sl_vresult *r = drain_one(fx, SL_VOUT_PASSED);
	assert_int_equal(r->schema_version, 2);
	assert_int_equal(fx->src.compiles, 2);

	fx_open(fx, "validate:\n  subjects:\n    orders: {version: 1}\n");
	put_str(fx, "orders/4.ndjson", rec);
	r = drain_one(fx, SL_VOUT_INVALID);
	assert_int_equal(r->schema_version, 1);
	fx_open(fx, "validate:\n  subjects:\n    orders: {version: 9}\n");
	put_str(fx, "orders/5.ndjson", rec);
	r = drain_one(fx, SL_VOUT_NO_SCHEMA);
	assert_non_null(strstr(r->reason, "no schema version 9"));

	/* a schema that does not compile sends its objects to deadletter with the reason */
	fx_open(fx, NULL);
	mem_add(&fx->src, "broken", "{\"type\": 12}");
	put_str(fx, "broken/a.ndjson", rec);
	r = drain_one(fx, SL_VOUT_NO_SCHEMA);
	assert_non_null(strstr(r->reason, "schema broken version 1 cannot be used"));
}

/* The hostile records of the issue are bad records with a reason; good records around
 * them pass. */
static void test_hostile_records(void **state)
{
	struct fx *fx = *state;
	fx_open(fx, "validate:\n  limits: {max_depth: 64, max_string: 1000}\n");
	char *data = malloc(1 << 16);
	size_t o = 0;
	o += (size_t)sprintf(data + o, "{\"id\":1,\"total\":1}\n");
	o += (size_t)sprintf(data + o, "{\"id\":2,\"total\":1,\"deep\":");
	for (int i = 0; i < 100; i++)
		data[o++] = '[';
	for (int i = 0; i < 100; i++)
		data[o++] = ']';
	o += (size_t)sprintf(data + o, "}\n{\"id\":3,\"total\":1,\"s\":\"");
	memset(data + o, 'x', 5000);
	o += 5000;
	o += (size_t)sprintf(data + o, "\"}\n");
	o += (size_t)sprintf(data + o, "{\"id\":4,\"total\":1,\"s\":\"\xC0\xAF\"}\n");
	o += (size_t)sprintf(data + o, "{\"id\":5,\"total\":1,\"id\":6}\n");
	o += (size_t)sprintf(data + o, "{\"id\":7,\"total\":1e999}\n");
	o += (size_t)sprintf(data + o, "{\"id\":8,\"total\":1,\"s\":\"\\ud800\"}\n");
	o += (size_t)sprintf(data + o, "{\"id\":9,\"total\":2}\n");
	put(fx, "orders/hostile.ndjson", data, o);
	const struct sl_vresult *r = drain_one(fx, SL_VOUT_SPLIT);
	assert_int_equal(r->records, 8);
	assert_int_equal(r->records_passed, 2);
	assert_str(fx, "raw", "orders/hostile.ndjson",
		   "{\"id\":1,\"total\":1}\n{\"id\":9,\"total\":2}\n");
	struct sl_json_node *rep = report_of(fx, "orders/hostile.ndjson");
	static const char *const words[] = {"nesting", "string", "UTF-8", "duplicate", "range",
					    "surrogate"};
	for (int i = 0; i < 6; i++) {
		char path[64];
		snprintf(path, sizeof(path), "errors.%d.errors.0.message", i);
		const char *msg = jstr(rep, path);
		if (!strcasestr(msg, words[i]))
			fail_msg("record %d: reason '%s' lacks '%s'", i + 1, msg, words[i]);
		snprintf(path, sizeof(path), "errors.%d.index", i);
		assert_int_equal(jint(rep, path), i + 1);
	}
	sl_json_tree_free(rep);
	/* the dead letter holds the six records byte for byte */
	size_t len;
	char *dl = get(fx, "deadletter", "orders/hostile.ndjson", &len);
	size_t first = strlen("{\"id\":1,\"total\":1}\n");
	size_t last = strlen("{\"id\":9,\"total\":2}\n");
	assert_int_equal(len, o - first - last);
	assert_memory_equal(dl, data + first, len);
	free(dl);
	free(data);
}

/* A bad record over the record limit cannot be split out (its bytes are not held): the
 * whole object is quarantined, so nothing is lost. */
static void test_record_over_limit_quarantines(void **state)
{
	struct fx *fx = *state;
	fx_open(fx, "validate:\n  limits: {max_record: 100}\n");
	char data[512];
	int n = snprintf(data, sizeof(data), "{\"id\":1,\"total\":1}\n{\"id\":2,\"total\":1,\"pad\":\"%0200d\"}\n{\"id\":3,\"total\":1}\n", 0);
	put(fx, "orders/big.ndjson", data, (size_t)n);
	const struct sl_vresult *r = drain_one(fx, SL_VOUT_QUARANTINED);
	assert_non_null(strstr(r->reason, "max_record"));
	assert_bytes(fx, "deadletter", "orders/big.ndjson", data, (size_t)n);
	assert_false(exists(fx, "raw", "orders/big.ndjson"));
}

static void test_report_caps(void **state)
{
	struct fx *fx = *state;
	fx_open(fx, "validate:\n  report: {max_records: 2, max_errors_per_record: 1}\n");
	put_str(fx, "orders/c.ndjson",
		"{\"id\":1,\"total\":1}\n{\"total\":-1}\n{\"total\":-2}\n{\"total\":-3}\n");
	drain_one(fx, SL_VOUT_SPLIT);
	struct sl_json_node *rep = report_of(fx, "orders/c.ndjson");
	assert_int_equal(jget(rep, "errors")->u.c.n, 2);
	assert_int_equal(jint(rep, "errors_shown"), 2);
	assert_int_equal(jint(rep, "invalid_records"), 3);
	assert_int_equal(jget(rep, "errors_truncated")->type, SL_JSON_TRUE);
	assert_int_equal(jget(rep, "errors.0.errors")->u.c.n, 1);
	assert_int_equal(jget(rep, "errors.0.more_errors")->type, SL_JSON_TRUE);
	sl_json_tree_free(rep);
	/* the dead letter itself still holds all three */
	assert_str(fx, "deadletter", "orders/c.ndjson",
		   "{\"total\":-1}\n{\"total\":-2}\n{\"total\":-3}\n");
}

/* However many bad records max_records allows, a report's descriptions stop at 16 MiB:
 * 100,000 records with two reasons each would take about 30 MiB. */
static void test_report_byte_cap(void **state)
{
	struct fx *fx = *state;
	fx_open(fx, "validate:\n  report: {max_records: 1000000}\n");
	size_t n = 100000, o = 0;
	char *data = malloc(n * 16);
	for (size_t i = 0; i < n; i++)
		o += (size_t)sprintf(data + o, "{\"total\":-1}\n");
	put(fx, "orders/many.ndjson", data, o);
	free(data);
	drain_one(fx, SL_VOUT_INVALID);
	struct sl_deadletter dl;
	assert_int_equal(fx->lake->meta.ops->deadletter_get(fx->lake->meta.state,
							     "orders/many.ndjson", true, &dl, NULL),
			 0);
	assert_true(strlen(dl.report) < (17u << 20));
	assert_true(strlen(dl.report) > (15u << 20));
	sl_deadletter_release(&dl);
	struct sl_json_node *rep = report_of(fx, "orders/many.ndjson");
	assert_int_equal(jget(rep, "errors_truncated")->type, SL_JSON_TRUE);
	assert_int_equal(jint(rep, "invalid_records"), (int64_t)n);
	int64_t shown = jint(rep, "errors_shown");
	assert_true(shown > 1000 && shown < (int64_t)n);
	assert_int_equal((int64_t)jget(rep, "errors")->u.c.n, shown);
	sl_json_tree_free(rep);
}

/* ---- idempotence and crashes ------------------------------------------------------------ */

/* The same event twice (a redelivery after the first handling committed): nothing new is
 * written, nothing is counted again. */
static void test_same_event_twice(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	put_str(fx, "orders/a.ndjson", MIXED);
	struct sl_message m;
	size_t n;
	assert_int_equal(sl_queue_receive(&fx->lake->meta, "landing", 1, -1, 0, &m, &n, &err), 0);
	assert_int_equal(n, 1);
	char *body = strdup(m.body);
	sl_queue_change_visibility(&fx->lake->meta, "landing", m.receipt, 0, &err);
	sl_message_release(&m);
	drain_one(fx, SL_VOUT_SPLIT);
	int64_t raw_events = queue_depth(fx, "raw"), dl_events = queue_depth(fx, "deadletter");
	struct sl_object raw1, raw2;
	assert_int_equal(fx->lake->meta.ops->object_get(fx->lake->meta.state, "raw",
							 "orders/a.ndjson", &raw1, NULL),
			 0);
	assert_int_equal(sl_queue_send(&fx->lake->meta, "landing", body, 0, NULL, &err), 0);
	const struct sl_vresult *r = drain_one(fx, SL_VOUT_SKIPPED);
	assert_false(r->counted);
	assert_int_equal(queue_depth(fx, "raw"), raw_events);
	assert_int_equal(queue_depth(fx, "deadletter"), dl_events);
	assert_int_equal(fx->lake->meta.ops->object_get(fx->lake->meta.state, "raw",
							 "orders/a.ndjson", &raw2, NULL),
			 0);
	assert_int_equal(raw1.seq, raw2.seq);
	struct sl_validate_counters c = counters(fx, "orders");
	assert_int_equal(c.objects_split, 1);
	assert_int_equal(c.records_passed, 2);
	assert_int_equal(queue_depth(fx, "landing"), 0);
	free(body);
}

/* A message handled a second time after a crash between the outputs and the commit
 * (simulated: the outputs of the first attempt are there, the landing object and its
 * message too), with a schema that changed in between: the second attempt's outputs
 * replace the first's, and an output it does not produce is removed; an older version's
 * dead letter under the same key is not touched; counted once. */
static void test_outputs_of_an_earlier_attempt(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	struct sl_object o;
	/* an older landing of the key, long handled: its dead letter stays */
	put_str(fx, "orders/old.ndjson", "{\"id\":1}\n");
	drain_one(fx, SL_VOUT_INVALID);
	put_str(fx, "orders/old.ndjson", "{\"id\":1,\"total\":1}\n");
	drain_one(fx, SL_VOUT_PASSED);
	assert_true(exists(fx, "deadletter", "orders/old.ndjson"));

	put_str(fx, "orders/x.ndjson", "{\"id\":1,\"total\":1}\n{\"id\":2}\n");
	/* the first attempt (v1) wrote a split and died before its commit */
	assert_int_equal(sl_store_put_mem(&fx->lake->store, "raw", "orders/x.ndjson",
					  "{\"id\":1,\"total\":1}\n", 20, NULL, &o, &err), 0);
	assert_int_equal(sl_store_put_mem(&fx->lake->store, "deadletter", "orders/x.ndjson",
					  "{\"id\":2}\n", 9, NULL, &o, &err), 0);
	mem_add(&fx->src, "orders", ORDERS_V2); /* now every record passes */
	const struct sl_vresult *r = drain_one(fx, SL_VOUT_PASSED);
	assert_true(r->counted);
	assert_str(fx, "raw", "orders/x.ndjson", "{\"id\":1,\"total\":1}\n{\"id\":2}\n");
	assert_false(exists(fx, "deadletter", "orders/x.ndjson"));
	assert_true(exists(fx, "deadletter", "orders/old.ndjson"));
	struct sl_deadletter dl;
	assert_int_equal(fx->lake->meta.ops->deadletter_get(fx->lake->meta.state,
							     "orders/x.ndjson", false, &dl, NULL),
			 SL_ENOENT);
	assert_int_equal(counters(fx, "orders").objects_passed, 2);
}

/* A crash after the commit and before the landing file's removal leaves a 'deleting'
 * landing object; recovery (at the start of every run) finishes it. */
static void test_recover_interrupted_removal(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	int64_t seq = put_str(fx, "orders/r.ndjson", "{\"id\":1,\"total\":1}\n");
	struct sl_validate_commit c = {.landing_seq = seq,
				       .landing_key = "orders/r.ndjson",
				       .subject = "orders",
				       .schema_version = 1,
				       .outcome = "passed",
				       .kind = SL_VKIND_PASSED,
				       .records_passed = 1};
	bool first = false;
	assert_int_equal(fx->lake->meta.ops->validate_commit(fx->lake->meta.state, &c,
							      sl_now_ms(), &first, &err),
			 0);
	assert_true(first);
	/* the same commit again counts nothing */
	assert_int_equal(fx->lake->meta.ops->validate_commit(fx->lake->meta.state, &c,
							      sl_now_ms(), &first, &err),
			 0);
	assert_false(first);
	assert_int_equal(counters(fx, "orders").records_passed, 1);
	struct sl_object o;
	assert_int_equal(fx->lake->meta.ops->object_get(fx->lake->meta.state, "landing",
							 "orders/r.ndjson", &o, NULL),
			 0);
	assert_string_equal(o.state, SL_STATE_DELETING);
	/* its message is still there (deleted with the commit in real life): handling it
	 * finishes the removal and counts nothing */
	const struct sl_vresult *r = drain_one(fx, SL_VOUT_SKIPPED);
	assert_false(r->counted);
	assert_false(exists(fx, "landing", "orders/r.ndjson"));

	seq = put_str(fx, "orders/s.ndjson", "{\"id\":1,\"total\":1}\n");
	c.landing_seq = seq;
	c.landing_key = "orders/s.ndjson";
	c.queue = "landing";
	struct sl_message m;
	size_t n;
	assert_int_equal(sl_queue_receive(&fx->lake->meta, "landing", 1, -1, 0, &m, &n, &err), 0);
	c.receipt = m.receipt;
	assert_int_equal(fx->lake->meta.ops->validate_commit(fx->lake->meta.state, &c,
							      sl_now_ms(), &first, &err),
			 0);
	sl_message_release(&m);
	assert_int_equal(queue_depth(fx, "landing"), 0);
	assert_true(exists(fx, "landing", "orders/s.ndjson"));
	assert_int_equal(sl_validate_recover(fx->st, &err), 0);
	assert_false(exists(fx, "landing", "orders/s.ndjson"));
	char path[4200];
	snprintf(path, sizeof(path), "%s/landing", fx->dir);
	assert_int_equal(th_count_files(path), 0);
}

/* An event for a version the index no longer has (replaced by a newer put) does nothing;
 * the newer version's own event is handled. */
static void test_replaced_landing_version(void **state)
{
	struct fx *fx = *state;
	put_str(fx, "orders/v.ndjson", "{\"id\":1}\n");
	put_str(fx, "orders/v.ndjson", "{\"id\":1,\"total\":1}\n");
	struct sl_vtotals t = drain(fx);
	assert_int_equal(t.messages, 2);
	assert_int_equal(fx->res[0].outcome, SL_VOUT_SKIPPED);
	assert_non_null(strstr(fx->res[0].reason, "newer version"));
	assert_int_equal(fx->res[1].outcome, SL_VOUT_PASSED);
	assert_false(exists(fx, "deadletter", "orders/v.ndjson"));
}

static void test_junk_messages(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	static const char *const bodies[] = {
		"not json", "{}", "{\"event\":\"ObjectCreated:Put\",\"zone\":\"raw\",\"key\":\"a/b\","
				   "\"seq\":1}",
		"{\"event\":\"ObjectCreated:Put\",\"zone\":\"landing\",\"key\":\"../x\",\"seq\":1}",
		"{\"event\":\"ObjectCreated:Put\",\"zone\":\"landing\",\"key\":\"a/b\",\"seq\":-4}",
		"{\"event\":\"ObjectCreated:Put\",\"zone\":\"landing\",\"key\":\"a/b\",\"seq\":7}",
		"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
	};
	size_t n = sizeof(bodies) / sizeof(bodies[0]);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(sl_queue_send(&fx->lake->meta, "landing", bodies[i], 0, NULL, &err),
				 0);
	struct sl_vtotals t = drain(fx);
	assert_int_equal(t.messages, (int64_t)n);
	assert_int_equal(t.failures, 0);
	assert_int_equal(t.by_outcome[SL_VOUT_SKIPPED], (int64_t)n);
	assert_int_equal(queue_depth(fx, "landing"), 0);
}

/* ---- dead letters ---------------------------------------------------------------------- */

static void test_replay_key(void **state)
{
	(void)state;
	static const struct {
		const char *key;
		int64_t id;
		const char *want;
	} cases[] = {
		{"orders/2026/a.ndjson", 57, "orders/2026/a.replay-57.ndjson"},
		{"orders/2026/a.ndjson.gz", 57, "orders/2026/a.replay-57.ndjson.gz"},
		{"orders/a", 3, "orders/a.replay-3"},
		{"orders/.hidden", 3, "orders/.hidden.replay-3"},
		{"orders/a.replay-57.ndjson", 90, "orders/a.replay-90.ndjson"},
		{"orders/a.replay-57", 90, "orders/a.replay-90"},
		{"orders/a.replay-x.ndjson", 9, "orders/a.replay-9.replay-x.ndjson"},
		{"top.json", 1, "top.replay-1.json"},
		{"dt=2026-11-24/part.a.b", 12, "dt=2026-11-24/part.replay-12.a.b"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[SL_KEY_MAX + 1];
		struct sl_err err = {0};
		assert_int_equal(sl_replay_key(cases[i].key, cases[i].id, out, sizeof(out), &err), 0);
		assert_string_equal(out, cases[i].want);
		assert_int_equal(sl_replay_id(out), cases[i].id);
	}
	assert_int_equal(sl_replay_id("orders/a.ndjson"), 0);
	assert_int_equal(sl_replay_id("orders/a.replay-.ndjson"), 0);
	assert_int_equal(sl_replay_id("orders/a.replay-0.ndjson"), 0);
	/* a name that would grow past 255 bytes cannot be replayed */
	char key[300], out[SL_KEY_MAX + 1];
	memset(key, 'k', 250);
	memcpy(key + 250, ".json", 6);
	struct sl_err err = {0};
	assert_int_equal(sl_replay_key(key, 123456789, out, sizeof(out), &err), SL_EKEY);
}

/* Data that failed v1 passes after the fix (v2): replay re-lands it with its lineage and
 * removes the dead letter; a record that still fails goes back with the lineage in its
 * report. Purge removes a dead letter and its report. */
static void test_replay_and_purge(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	put_str(fx, "orders/a.ndjson", MIXED);
	drain_one(fx, SL_VOUT_SPLIT);
	struct sl_object dlo;
	assert_int_equal(fx->lake->meta.ops->object_get(fx->lake->meta.state, "deadletter",
							 "orders/a.ndjson", &dlo, NULL),
			 0);
	mem_add(&fx->src, "orders", ORDERS_V2);
	char landed[SL_KEY_MAX + 1], want[64];
	assert_int_equal(sl_deadletter_replay(fx->lake, "orders/a.ndjson", landed, sizeof(landed),
					      &err), 0);
	snprintf(want, sizeof(want), "orders/a.replay-%" PRId64 ".ndjson", dlo.seq);
	assert_string_equal(landed, want);
	assert_false(exists(fx, "deadletter", "orders/a.ndjson"));
	struct sl_deadletter dl;
	assert_int_equal(fx->lake->meta.ops->deadletter_get(fx->lake->meta.state,
							     "orders/a.ndjson", false, &dl, NULL),
			 SL_ENOENT);
	struct sl_replay rp;
	assert_int_equal(fx->lake->meta.ops->replay_get(fx->lake->meta.state, dlo.seq, &rp, &err),
			 0);
	assert_string_equal(rp.from_key, "orders/a.ndjson");
	assert_string_equal(rp.landing_key, want);
	assert_int_equal(rp.schema_version, 1);
	assert_string_equal(rp.reason, "3 of 5 records invalid");

	/* {"id":3} passes v2 now; the wrong type and the broken JSON still fail */
	const struct sl_vresult *r = drain_one(fx, SL_VOUT_SPLIT);
	assert_int_equal(r->schema_version, 2);
	assert_str(fx, "raw", want, "{\"id\":3}\n");
	assert_str(fx, "raw", "orders/a.ndjson", MIXED_VALID); /* the original's, untouched */
	assert_str(fx, "deadletter", want,
		   "{\"id\":2,\"total\":\"12.50 EUR\"}\n{\"id\":4,\"total\":1},\n");
	struct sl_json_node *rep = report_of(fx, want);
	assert_string_equal(jstr(rep, "lineage.replayed_from"), "orders/a.ndjson");
	assert_int_equal(jint(rep, "lineage.replay_id"), dlo.seq);
	assert_int_equal(jint(rep, "lineage.failed_schema_version"), 1);
	sl_json_tree_free(rep);
	/* counters: the replayed records are counted when they are validated again */
	struct sl_validate_counters c = counters(fx, "orders");
	assert_int_equal(c.records_passed, 2 + 1);

	/* a replay cut short after the landing put (the dead letter is still there) can run
	 * again: same landing key */
	struct sl_object before;
	assert_int_equal(fx->lake->meta.ops->object_get(fx->lake->meta.state, "deadletter", want,
							 &before, NULL),
			 0);
	char again[SL_KEY_MAX + 1], again2[SL_KEY_MAX + 1];
	assert_int_equal(sl_replay_key(want, before.seq, again, sizeof(again), &err), 0);
	assert_int_equal(sl_deadletter_replay(fx->lake, want, again2, sizeof(again2), &err), 0);
	assert_string_equal(again, again2);

	assert_int_equal(sl_deadletter_purge(fx->lake, "orders/none", &err), SL_ENOENT);
	assert_int_equal(sl_deadletter_replay(fx->lake, "orders/none", landed, sizeof(landed), &err),
			 SL_ENOENT);
	drain(fx);
	assert_true(exists(fx, "deadletter", again));
	assert_int_equal(sl_deadletter_purge(fx->lake, again, &err), 0);
	assert_false(exists(fx, "deadletter", again));
	assert_int_equal(fx->lake->meta.ops->deadletter_get(fx->lake->meta.state, again, false,
							     &dl, NULL),
			 SL_ENOENT);
}

/* Many objects in one run, counted per subject. */
static void test_run_counts(void **state)
{
	struct fx *fx = *state;
	for (int i = 0; i < 30; i++) {
		char key[64];
		snprintf(key, sizeof(key), "orders/k%02d.ndjson", i);
		put_str(fx, key, i % 3 == 0 ? MIXED : "{\"id\":1,\"total\":1}\n");
	}
	struct sl_vtotals t = drain(fx);
	assert_int_equal(t.messages, 30);
	assert_int_equal(t.by_outcome[SL_VOUT_PASSED], 20);
	assert_int_equal(t.by_outcome[SL_VOUT_SPLIT], 10);
	struct sl_validate_counters c = counters(fx, "orders");
	assert_int_equal(c.objects_passed, 20);
	assert_int_equal(c.objects_split, 10);
	assert_int_equal(c.records_passed, 20 + 10 * 2);
	assert_int_equal(c.records_failed, 10 * 3);
	char path[4200];
	snprintf(path, sizeof(path), "%s/landing", fx->dir);
	assert_int_equal(th_count_files(path), 0);
	snprintf(path, sizeof(path), "%s/raw", fx->dir);
	assert_int_equal(th_count_files(path), 30);
	snprintf(path, sizeof(path), "%s/deadletter", fx->dir);
	assert_int_equal(th_count_files(path), 10);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_routing),
		T(test_all_valid_passes_bytes_unchanged),
		T(test_split_ndjson),
		T(test_split_array),
		T(test_split_keeps_compression),
		T(test_all_invalid_goes_whole),
		T(test_quarantine_policy),
		T(test_undecodable_objects),
		T(test_no_subject_no_schema_pass_through),
		T(test_schema_versions),
		T(test_hostile_records),
		T(test_record_over_limit_quarantines),
		T(test_report_caps),
		T(test_report_byte_cap),
		T(test_same_event_twice),
		T(test_outputs_of_an_earlier_attempt),
		T(test_recover_interrupted_removal),
		T(test_replaced_landing_version),
		T(test_junk_messages),
		cmocka_unit_test(test_replay_key),
		T(test_replay_and_purge),
		T(test_run_counts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
