/*
 * test_store.c - keys, the object store and the local backend: atomic durable puts with
 * exactly one event, streaming, overwrites with new sequence numbers, removal (with its
 * object-removed event in the crawled zones), keys that
 * try to escape their zone, and a disk that fills up in the middle of a put.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "lake/lake.h"
#include "queue/queue.h"
#include "util/fs.h"

static const char *const bad_keys[] = {
	"", "/abs", "trailing/", "a//b", "..", "a/../b", ".", "a/./b", "ctl\x01x", "del\x7fx",
	"nul\ttab", "bad\xff utf8", "over\xc0\xaflong", "c1\xc2\x85x", "\xed\xa0\x80surrogate",
};

static void test_key_rules(void **state)
{
	(void)state;
	struct sl_err err;
	for (size_t i = 0; i < sizeof(bad_keys) / sizeof(bad_keys[0]); i++) {
		err.msg[0] = '\0';
		assert_int_equal(sl_key_check(bad_keys[i], &err), SL_EKEY);
		assert_non_null(strstr(err.msg, "invalid key"));
	}
	char longkey[1100];
	memset(longkey, 'k', sizeof(longkey));
	longkey[1025] = '\0';
	assert_int_equal(sl_key_check(longkey, &err), SL_EKEY);
	assert_non_null(strstr(err.msg, "1025 bytes"));
	longkey[1024] = '\0';
	for (int i = 200; i < 1024; i += 200)
		longkey[i] = '/'; /* segments of at most 199 bytes: valid */
	assert_int_equal(sl_key_check(longkey, &err), 0);
	memset(longkey, 's', 300);
	longkey[300] = '\0';
	assert_int_equal(sl_key_check(longkey, &err), SL_EKEY);
	assert_non_null(strstr(err.msg, "segment of 300 bytes"));

	const char *good[] = {"a", "orders/dt=2026-11-24/part-0001.ndjson", "ünïcødé/日本/x.json",
			      "with space/and+plus=eq", "...dots/.hidden/a..b"};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(sl_key_check(good[i], &err), 0);
}

static void test_zone_key_split(void **state)
{
	(void)state;
	char zone[SL_ZONE_MAX];
	const char *key;
	struct sl_err err;
	assert_int_equal(sl_zone_key_split("raw/a/b.json", zone, sizeof(zone), &key, true, &err), 0);
	assert_string_equal(zone, "raw");
	assert_string_equal(key, "a/b.json");
	assert_int_equal(sl_zone_key_split("nope/a", zone, sizeof(zone), &key, true, &err), SL_EKEY);
	assert_non_null(strstr(err.msg, "unknown zone 'nope'"));
	assert_int_equal(sl_zone_key_split("raw/../x", zone, sizeof(zone), &key, true, &err),
			 SL_EKEY);
	assert_int_equal(sl_zone_key_split("curated", zone, sizeof(zone), &key, false, &err), 0);
	assert_string_equal(key, "");
}

struct fx {
	char *dir;
	struct sl_lake *lake;
};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	fx->lake = th_lake_new("store", &fx->dir);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	sl_fs_write_hook = NULL;
	sl_lake_close(fx->lake);
	th_rmtree_free(fx->dir);
	free(fx);
	return 0;
}

static int count_events(struct sl_lake *lake, const char *queue)
{
	struct sl_queue_stats qs;
	assert_int_equal(lake->meta.ops->queue_stats(lake->meta.state, queue, 0, &qs, NULL), 0);
	return (int)(qs.visible + qs.in_flight + qs.delayed);
}

static void get_to_buf(struct sl_lake *lake, const char *zone, const char *key, char **data,
		       size_t *len, int expect_rc)
{
	char path[] = "/tmp/sluice-test-get-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	struct sl_err err = {0};
	assert_int_equal(sl_store_get_fd(&lake->store, zone, key, fd, &err), expect_rc);
	close(fd);
	*data = th_read_file(path, len);
	unlink(path);
}

static void test_put_get_event(void **state)
{
	struct fx *fx = *state;
	struct sl_object o1, o2;
	struct sl_err err = {0};
	assert_int_equal(sl_store_put_mem(&fx->lake->store, "landing", "orders/a.ndjson",
					  "{\"a\":1}\n", 8, NULL, &o1, &err), 0);
	assert_true(o1.seq > 0);
	assert_int_equal(o1.size, 8);
	assert_string_equal(o1.content_type, "application/x-ndjson");
	/* sha256 of the 8 bytes, computed independently with sha256sum */
	assert_string_equal(o1.checksum,
			    "sha256:e346432021b04179518d9614f3560ccd71354a4ee101ddcb893d6959a9d6301c");

	/* the file is where a user expects it and nothing is left in tmp */
	char path[4096];
	snprintf(path, sizeof(path), "%s/landing/orders/a.ndjson", fx->dir);
	size_t len;
	char *bytes = th_read_file(path, &len);
	assert_int_equal(len, 8);
	free(bytes);
	snprintf(path, sizeof(path), "%s/.sluice/tmp", fx->dir);
	assert_int_equal(th_count_files(path), 0);

	/* exactly one event, in the zone's queue, naming the object */
	assert_int_equal(count_events(fx->lake, "landing"), 1);
	assert_int_equal(count_events(fx->lake, "raw"), 0);
	struct sl_message m;
	size_t n;
	assert_int_equal(sl_queue_receive(&fx->lake->meta, "landing", 1, -1, 0, &m, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_non_null(strstr(m.body, "\"key\":\"orders/a.ndjson\""));
	assert_non_null(strstr(m.body, "\"event\":\"ObjectCreated:Put\""));
	char seq[32];
	snprintf(seq, sizeof(seq), "\"seq\":%lld,", (long long)o1.seq);
	assert_non_null(strstr(m.body, seq));
	sl_message_release(&m);

	/* overwrite: new, higher sequence number and a second event */
	assert_int_equal(sl_store_put_mem(&fx->lake->store, "landing", "orders/a.ndjson",
					  "{\"a\":2}\n", 8, NULL, &o2, &err), 0);
	assert_true(o2.seq > o1.seq);
	assert_int_equal(count_events(fx->lake, "landing"), 2);
	char *data;
	get_to_buf(fx->lake, "landing", "orders/a.ndjson", &data, &len, 0);
	assert_int_equal(len, 8);
	assert_memory_equal(data, "{\"a\":2}\n", 8);
	free(data);
}

static void test_streaming_large_put(void **state)
{
	struct fx *fx = *state;
	/* 24 MiB through a pipe-like fd: more than the 1 MiB chunk many times over */
	char src[] = "/tmp/sluice-test-big-XXXXXX";
	int fd = mkstemp(src);
	assert_true(fd >= 0);
	char *chunk = malloc(1 << 20);
	for (int i = 0; i < (1 << 20); i++)
		chunk[i] = (char)(i * 31 + 7);
	for (int i = 0; i < 24; i++) {
		chunk[0] = (char)i;
		assert_int_equal(write(fd, chunk, 1 << 20), 1 << 20);
	}
	lseek(fd, 0, SEEK_SET);
	struct sl_object o;
	struct sl_err err = {0};
	assert_int_equal(sl_store_put_fd(&fx->lake->store, "raw", "big/blob.bin", fd, NULL, &o, &err),
			 0);
	close(fd);
	assert_int_equal(o.size, 24 << 20);
	char *data;
	size_t len;
	get_to_buf(fx->lake, "raw", "big/blob.bin", &data, &len, 0);
	assert_int_equal(len, 24u << 20);
	assert_int_equal(data[0], 0);
	assert_int_equal(data[23 << 20], 23);
	assert_memory_equal(data + 1, chunk + 1, 1000);
	free(data);
	free(chunk);
	unlink(src);
}

static void test_remove(void **state)
{
	struct fx *fx = *state;
	struct sl_object o;
	struct sl_err err = {0};
	assert_int_equal(sl_store_put_mem(&fx->lake->store, "curated", "t/p=1/f.parquet", "PAR1", 4,
					  NULL, &o, &err), 0);
	assert_int_equal(sl_store_remove(&fx->lake->store, "curated", "t/p=1/f.parquet", &err), 0);
	assert_int_equal(fx->lake->meta.ops->object_get(fx->lake->meta.state, "curated",
							 "t/p=1/f.parquet", &o, &err),
			 SL_ENOENT);
	char path[4096];
	struct stat st;
	snprintf(path, sizeof(path), "%s/curated/t", fx->dir);
	assert_int_equal(stat(path, &st), -1); /* empty parents pruned */
	snprintf(path, sizeof(path), "%s/curated", fx->dir);
	assert_int_equal(stat(path, &st), 0); /* but never the zone */
	assert_int_equal(sl_store_remove(&fx->lake->store, "curated", "t/p=1/f.parquet", &err),
			 SL_ENOENT);
	/* a later object never reuses the number */
	struct sl_object o2;
	assert_int_equal(sl_store_put_mem(&fx->lake->store, "curated", "t/p=1/f.parquet", "PAR1", 4,
					  NULL, &o2, &err), 0);
	assert_true(o2.seq > o.seq);
}

struct bodies {
	char *b[8];
	int n;
};

static int on_body(void *ctx, const struct sl_message *m)
{
	struct bodies *bs = ctx;
	if (bs->n < 8)
		bs->b[bs->n++] = strdup(m->body);
	return 0;
}

static void peek(struct sl_lake *lake, const char *queue, struct bodies *bs)
{
	memset(bs, 0, sizeof(*bs));
	assert_int_equal(lake->meta.ops->queue_peek(lake->meta.state, queue, 100, on_body, bs,
						    NULL), 0);
}

static void bodies_free(struct bodies *bs)
{
	for (int i = 0; i < bs->n; i++)
		free(bs->b[i]);
}

/* Removing a raw or curated object sends exactly one object-removed event on its zone's
 * queue (the crawler's); a landing or deadletter removal sends none, and an overwrite is
 * not a removal. */
static void test_remove_events(void **state)
{
	struct fx *fx = *state;
	struct sl_object o, o2;
	struct sl_err err = {0};
	struct bodies bs;
	assert_int_equal(sl_store_put_mem(&fx->lake->store, "raw", "t/dt=1/a \"q\".json", "{}", 2,
					  NULL, &o, &err), 0);
	assert_int_equal(sl_store_put_mem(&fx->lake->store, "raw", "t/dt=1/a \"q\".json", "[]", 2,
					  NULL, &o2, &err), 0); /* overwrite */
	assert_int_equal(count_events(fx->lake, "raw"), 2);
	assert_int_equal(sl_store_remove(&fx->lake->store, "raw", "t/dt=1/a \"q\".json", &err), 0);
	peek(fx->lake, "raw", &bs);
	assert_int_equal(bs.n, 3);
	assert_non_null(strstr(bs.b[0], "ObjectCreated:Put"));
	assert_non_null(strstr(bs.b[1], "ObjectCreated:Put"));
	assert_non_null(strstr(bs.b[2], "\"event\":\"ObjectRemoved:Delete\""));
	assert_non_null(strstr(bs.b[2], "\"zone\":\"raw\""));
	assert_non_null(strstr(bs.b[2], "\"key\":\"t/dt=1/a \\\"q\\\".json\""));
	char seq[40];
	snprintf(seq, sizeof(seq), "\"seq\":%lld,", (long long)o2.seq); /* the removed row's */
	assert_non_null(strstr(bs.b[2], seq));
	assert_non_null(strstr(bs.b[2], "\"time\":\""));
	bodies_free(&bs);
	/* removing what is gone sends nothing */
	assert_int_equal(sl_store_remove(&fx->lake->store, "raw", "t/dt=1/a \"q\".json", &err),
			 SL_ENOENT);
	assert_int_equal(count_events(fx->lake, "raw"), 3);

	assert_int_equal(sl_store_put_mem(&fx->lake->store, "curated", "c/f.parquet", "PAR1", 4,
					  NULL, &o, &err), 0);
	assert_int_equal(sl_store_remove(&fx->lake->store, "curated", "c/f.parquet", &err), 0);
	assert_int_equal(count_events(fx->lake, "curated"), 2);

	/* landing and deadletter: the put's event only */
	assert_int_equal(sl_store_put_mem(&fx->lake->store, "landing", "l/a.json", "{}", 2, NULL,
					  &o, &err), 0);
	assert_int_equal(sl_store_remove(&fx->lake->store, "landing", "l/a.json", &err), 0);
	assert_int_equal(sl_store_put_mem(&fx->lake->store, "deadletter", "d/a.json", "{}", 2,
					  NULL, &o, &err), 0);
	assert_int_equal(sl_store_remove(&fx->lake->store, "deadletter", "d/a.json", &err), 0);
	peek(fx->lake, "landing", &bs);
	assert_int_equal(bs.n, 1);
	assert_null(strstr(bs.b[0], "ObjectRemoved"));
	bodies_free(&bs);
	assert_int_equal(count_events(fx->lake, "deadletter"), 1);
	/* nothing strayed into the crawled zones' queues either */
	assert_int_equal(count_events(fx->lake, "raw"), 3);
	assert_int_equal(count_events(fx->lake, "curated"), 2);
	assert_null(sl_store_removal_queue("landing"));
	assert_null(sl_store_removal_queue("deadletter"));
	assert_string_equal(sl_store_removal_queue("raw"), "raw");
	assert_string_equal(sl_store_removal_queue("curated"), "curated");
}

static void test_keys_cannot_escape(void **state)
{
	struct fx *fx = *state;
	struct sl_object o;
	struct sl_err err = {0};
	char outside[] = "/tmp/sluice-test-outside-XXXXXX", link[4096];
	assert_non_null(mkdtemp(outside));
	snprintf(link, sizeof(link), "%s/landing/evil", fx->dir);
	assert_int_equal(symlink(outside, link), 0);

	assert_int_equal(sl_store_put_mem(&fx->lake->store, "landing", "evil/x", "x", 1, NULL, &o,
					  &err), SL_EKEY);
	assert_non_null(strstr(err.msg, "symbolic link"));
	assert_int_equal(sl_store_put_mem(&fx->lake->store, "landing", "../escape", "x", 1, NULL, &o,
					  &err), SL_EKEY);
	assert_int_equal(th_count_files(outside), 0);
	/* a symlink as the object itself is never followed when read */
	char file[4096];
	snprintf(file, sizeof(file), "%s/secret", outside);
	th_write_file(file, "secret", 6);
	snprintf(link, sizeof(link), "%s/landing/leak", fx->dir);
	assert_int_equal(symlink(file, link), 0);
	void *r;
	struct sl_fingerprint fp;
	assert_int_equal(fx->lake->store.ops->get_open(fx->lake->store.state, "landing", "leak", &r,
						       &fp, &err), SL_EKEY);
	assert_int_equal(count_events(fx->lake, "landing"), 0);
	unlink(file);
	rmdir(outside);
}

static void test_key_prefix_conflicts(void **state)
{
	struct fx *fx = *state;
	struct sl_object o;
	struct sl_err err = {0};
	assert_int_equal(sl_store_put_mem(&fx->lake->store, "raw", "a", "1", 1, NULL, &o, &err), 0);
	assert_int_equal(sl_store_put_mem(&fx->lake->store, "raw", "a/b", "2", 1, NULL, &o, &err),
			 SL_EKEY);
	assert_non_null(strstr(err.msg, "raw/a/b"));
	assert_int_equal(sl_store_put_mem(&fx->lake->store, "raw", "c/d", "3", 1, NULL, &o, &err), 0);
	assert_int_equal(sl_store_put_mem(&fx->lake->store, "raw", "c", "4", 1, NULL, &o, &err),
			 SL_EKEY);
	assert_non_null(strstr(err.msg, "prefix"));
	assert_int_equal(count_events(fx->lake, "raw"), 2);
	char path[4096];
	snprintf(path, sizeof(path), "%s/.sluice/tmp", fx->dir);
	assert_int_equal(th_count_files(path), 0);
}

/* Fault injection: the disk fills after `budget` bytes. */
static long budget;
static ssize_t enospc_after_budget(int fd, const void *buf, size_t len)
{
	if (budget <= 0) {
		errno = ENOSPC;
		return -1;
	}
	size_t n = len < (size_t)budget ? len : (size_t)budget; /* a short write first */
	budget -= (long)n;
	return write(fd, buf, n);
}

static void test_disk_full_mid_put(void **state)
{
	struct fx *fx = *state;
	struct sl_object o;
	struct sl_err err = {0};
	assert_int_equal(sl_store_put_mem(&fx->lake->store, "landing", "keep.json", "{}", 2, NULL, &o,
					  &err), 0);
	static char big[3 << 20];
	memset(big, 'x', sizeof(big));
	budget = 1500000;
	sl_fs_write_hook = enospc_after_budget;
	int rc = sl_store_put_mem(&fx->lake->store, "landing", "big.json", big, sizeof(big), NULL,
				  &o, &err);
	sl_fs_write_hook = NULL;
	assert_int_equal(rc, SL_ENOSPC);
	assert_non_null(strstr(err.msg, "big.json"));
	assert_non_null(strstr(err.msg, "No space left"));
	/* nothing partial anywhere, nothing indexed, no event, the earlier object intact */
	char path[4096];
	snprintf(path, sizeof(path), "%s/.sluice/tmp", fx->dir);
	assert_int_equal(th_count_files(path), 0);
	snprintf(path, sizeof(path), "%s/landing", fx->dir);
	assert_int_equal(th_count_files(path), 1);
	assert_int_equal(fx->lake->meta.ops->object_get(fx->lake->meta.state, "landing", "big.json",
							 &o, &err), SL_ENOENT);
	assert_int_equal(count_events(fx->lake, "landing"), 1);
	char *data;
	size_t len;
	get_to_buf(fx->lake, "landing", "keep.json", &data, &len, 0);
	assert_int_equal(len, 2);
	free(data);
}

static void test_max_object_size(void **state)
{
	struct fx *fx = *state;
	struct sl_object o;
	struct sl_err err = {0};
	fx->lake->store.max_object_size = 10;
	assert_int_equal(sl_store_put_mem(&fx->lake->store, "landing", "small", "0123456789", 10,
					  NULL, &o, &err), 0);
	assert_int_equal(sl_store_put_mem(&fx->lake->store, "landing", "large", "0123456789A", 11,
					  NULL, &o, &err), SL_ELIMIT);
	assert_non_null(strstr(err.msg, "max_object_size"));
	assert_int_equal(count_events(fx->lake, "landing"), 1);
}

static void test_corruption_detected_on_read(void **state)
{
	struct fx *fx = *state;
	struct sl_object o;
	struct sl_err err = {0};
	assert_int_equal(sl_store_put_mem(&fx->lake->store, "raw", "c.json", "{\"ok\":true}", 11,
					  NULL, &o, &err), 0);
	char path[4096];
	snprintf(path, sizeof(path), "%s/raw/c.json", fx->dir);
	int fd = open(path, O_WRONLY);
	assert_int_equal(pwrite(fd, "X", 1, 3), 1);
	close(fd);
	char *data;
	size_t len;
	get_to_buf(fx->lake, "raw", "c.json", &data, &len, SL_ECORRUPT);
	free(data);
}

/* Two streaming writers open at once (how the validator writes raw and deadletter while
 * reading landing); an aborted one leaves nothing; open_fd reads the stored bytes and
 * refuses a file replaced behind the index's back. */
static void test_writers_and_open_fd(void **state)
{
	struct fx *fx = *state;
	struct sl_store *st = &fx->lake->store;
	struct sl_store_writer *a, *b, *c;
	struct sl_object oa, ob, row;
	struct sl_err err = {0};
	assert_int_equal(sl_store_writer_open(st, "raw", "x/a.ndjson", NULL, &a, &err), 0);
	assert_int_equal(sl_store_writer_open(st, "deadletter", "x/a.ndjson", NULL, &b, &err), 0);
	assert_int_equal(sl_store_writer_open(st, "raw", "x/gone.ndjson", NULL, &c, &err), 0);
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(sl_store_writer_write(a, "{\"ok\":1}\n", 9, &err), 0);
		assert_int_equal(sl_store_writer_write(b, "{\"bad\":1}\n", 10, &err), 0);
		assert_int_equal(sl_store_writer_write(c, "zz", 2, &err), 0);
	}
	sl_store_writer_abort(c);
	sl_store_writer_abort(NULL);
	assert_int_equal(sl_store_writer_commit(b, &ob, &err), 0);
	assert_int_equal(sl_store_writer_commit(a, &oa, &err), 0);
	assert_true(oa.seq > ob.seq);
	assert_int_equal(oa.size, 9000);
	assert_int_equal(ob.size, 10000);
	assert_string_equal(oa.content_type, "application/x-ndjson");
	assert_int_equal(count_events(fx->lake, "raw"), 1);
	assert_int_equal(count_events(fx->lake, "deadletter"), 1);
	assert_int_equal(fx->lake->meta.ops->object_get(fx->lake->meta.state, "raw",
							 "x/gone.ndjson", &row, NULL),
			 SL_ENOENT);
	char path[4096];
	snprintf(path, sizeof(path), "%s/.sluice/tmp", fx->dir);
	assert_int_equal(th_count_files(path), 0);

	int fd;
	assert_int_equal(sl_store_open_fd(st, "raw", "x/a.ndjson", &fd, &row, &err), 0);
	assert_int_equal(row.seq, oa.seq);
	char buf[16];
	assert_int_equal(read(fd, buf, 9), 9);
	assert_memory_equal(buf, "{\"ok\":1}\n", 9);
	close(fd);
	assert_int_equal(sl_store_open_fd(st, "raw", "x/none", &fd, &row, &err), SL_ENOENT);
	assert_int_equal(fd, -1);

	/* replaced behind the index's back */
	snprintf(path, sizeof(path), "%s/raw/x/a.ndjson", fx->dir);
	th_write_file(path, "{}", 2);
	assert_int_equal(sl_store_open_fd(st, "raw", "x/a.ndjson", &fd, &row, &err), SL_ECORRUPT);
	assert_non_null(strstr(err.msg, "not the one the index describes"));
	assert_int_equal(fd, -1);

	/* a writer over the size limit fails on write */
	st->max_object_size = 5;
	assert_int_equal(sl_store_writer_open(st, "raw", "x/big", NULL, &a, &err), 0);
	assert_int_equal(sl_store_writer_write(a, "123456", 6, &err), SL_ELIMIT);
	sl_store_writer_abort(a);
	st->max_object_size = 0;
	assert_int_equal(sl_store_writer_open(st, "nozone", "x", NULL, &a, &err), SL_EKEY);
	assert_int_equal(sl_store_writer_open(st, "raw", "../x", NULL, &a, &err), SL_EKEY);
	assert_null(a);
}

/* put_copy: the bytes of a stored object under another key, linked (not copied) by the
 * local backend; the copy outlives the original; a file replaced behind the index is
 * refused. */
static void test_put_copy(void **state)
{
	struct fx *fx = *state;
	struct sl_store *st = &fx->lake->store;
	struct sl_object src, cp, row;
	struct sl_err err = {0};
	assert_int_equal(sl_store_put_mem(st, "landing", "a/b.json", "{\"x\":1}", 7,
					  "application/json", &src, &err), 0);
	assert_int_equal(sl_store_put_copy(st, &src, "raw", "a/b.json", &cp, &err), 0);
	assert_string_equal(cp.checksum, src.checksum);
	assert_int_equal(cp.size, 7);
	assert_string_equal(cp.content_type, "application/json");
	assert_int_equal(cp.fp.inode, src.fp.inode); /* a link */
	assert_true(cp.seq > src.seq);
	assert_int_equal(count_events(fx->lake, "raw"), 1);
	assert_int_equal(sl_store_remove(st, "landing", "a/b.json", &err), 0);
	char *data;
	size_t len;
	get_to_buf(fx->lake, "raw", "a/b.json", &data, &len, 0);
	assert_int_equal(len, 7);
	assert_memory_equal(data, "{\"x\":1}", 7);
	free(data);
	/* over an existing object, into another zone */
	assert_int_equal(sl_store_put_copy(st, &cp, "deadletter", "z/c.json", &row, &err), 0);
	assert_int_equal(sl_store_put_copy(st, &cp, "deadletter", "z/c.json", &row, &err), 0);
	char path[4200];
	snprintf(path, sizeof(path), "%s/.sluice/tmp", fx->dir);
	assert_int_equal(th_count_files(path), 0);
	/* the source's row no longer describes its file */
	snprintf(path, sizeof(path), "%s/raw/a/b.json", fx->dir);
	th_write_file(path, "{}", 2);
	assert_int_equal(sl_store_put_copy(st, &cp, "deadletter", "z/d.json", &row, &err),
			 SL_ECORRUPT);
	assert_int_equal(fx->lake->meta.ops->object_get(fx->lake->meta.state, "deadletter",
							 "z/d.json", &row, NULL),
			 SL_ENOENT);
	assert_int_equal(sl_store_put_copy(st, &cp, "raw", "../x", &row, &err), SL_EKEY);
	snprintf(path, sizeof(path), "%s/.sluice/tmp", fx->dir);
	assert_int_equal(th_count_files(path), 0);
}

/* Removing the last object of a folder prunes the folder; a put into that folder at the
 * same moment (as when the validator removes landing objects while producers put new
 * ones beside them) must still succeed: regression test for puts failing with "cannot
 * create directory: No such file or directory" and "rename: No such file or directory". */
struct racer {
	const char *dir;
	int id;
	int failures;
	char msg[SL_ERR_MSG_MAX];
};

static void *race_puts(void *arg)
{
	struct racer *r = arg;
	struct sl_lake *lake;
	struct sl_err err = {0};
	if (sl_lake_open(r->dir, &lake, &err) != 0) {
		r->failures = 1;
		snprintf(r->msg, sizeof(r->msg), "%s", err.msg);
		return NULL;
	}
	for (int i = 0; i < 400; i++) {
		char key[64];
		struct sl_object o;
		snprintf(key, sizeof(key), "race/x/y/k%d-%d", r->id, i);
		if (sl_store_put_mem(&lake->store, "landing", key, "x", 1, NULL, &o, &err) != 0 ||
		    sl_store_remove(&lake->store, "landing", key, &err) != 0) {
			r->failures++;
			snprintf(r->msg, sizeof(r->msg), "%s", err.msg);
		}
	}
	sl_lake_close(lake);
	return NULL;
}

static void test_put_races_folder_pruning(void **state)
{
	struct fx *fx = *state;
	char path[4200];
	snprintf(path, sizeof(path), "%s/sluice.yaml", fx->dir);
	static const char yaml[] = "store: {fsync: false}\nmetadata: {synchronous: normal}\n";
	th_write_file(path, yaml, sizeof(yaml) - 1);
	struct racer r[3];
	pthread_t t[3];
	for (int i = 0; i < 3; i++) {
		r[i] = (struct racer){.dir = fx->dir, .id = i};
		assert_int_equal(pthread_create(&t[i], NULL, race_puts, &r[i]), 0);
	}
	for (int i = 0; i < 3; i++) {
		pthread_join(t[i], NULL);
		if (r[i].failures)
			fail_msg("racer %d: %d failures, e.g. %s", i, r[i].failures, r[i].msg);
	}
	snprintf(path, sizeof(path), "%s/landing", fx->dir);
	assert_int_equal(th_count_files(path), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_rules),
		cmocka_unit_test(test_zone_key_split),
		cmocka_unit_test_setup_teardown(test_put_get_event, setup, teardown),
		cmocka_unit_test_setup_teardown(test_streaming_large_put, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keys_cannot_escape, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_prefix_conflicts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disk_full_mid_put, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_object_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corruption_detected_on_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writers_and_open_fd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_put_races_folder_pruning, setup, teardown),
		cmocka_unit_test_setup_teardown(test_put_copy, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
