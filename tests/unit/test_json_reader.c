/*
 * test_json_reader.c - framing (src/json/reader.c, codec.c): NDJSON with LF and CRLF,
 * blank lines, a BOM, a last line without a newline; the record index, line, column and
 * byte offset of every record and every error; a bad or over-long record in the middle
 * that does not stop the next ones; top-level array framing across chunk boundaries;
 * document and AUTO framing; gzip and zstd giving exactly the records of the plain
 * stream, and truncated or corrupt compressed streams ending in one fatal error, never
 * in garbage records; and memory that stays bounded while 300 MB stream through a pipe.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <zlib.h>
#include <zstd.h>

#include "helpers.h"
#include "json/codec.h"
#include "json/encode.h"
#include "json/json.h"
#include "json_tape.h"

/* ---- reading a whole stream into a list of events -------------------------------------- */

struct ev {
	int rc;           /* 1: a record; < 0: an error */
	int code;
	bool fatal;
	struct sl_json_pos pos; /* doc.pos or e.pos */
	char msg[256];
	char *text; /* the record's bytes (a copy) */
	size_t len;
	size_t n_tok;
};

struct evs {
	struct ev *v;
	size_t n, cap;
	int64_t decoded, raw; /* sl_json_reader_bytes at the end */
};

static void evs_free(struct evs *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].text);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static struct ev *evs_push(struct evs *s)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		assert_non_null(s->v);
	}
	struct ev *x = &s->v[s->n++];
	memset(x, 0, sizeof(*x));
	return x;
}

static const char *ev_str(const struct ev *x, char *buf, size_t cap)
{
	if (x->rc > 0)
		snprintf(buf, cap, "record %lld at %lld:%lld @%lld '%.*s'", (long long)x->pos.record,
			 (long long)x->pos.line, (long long)x->pos.column, (long long)x->pos.offset,
			 (int)(x->len > 60 ? 60 : x->len), x->text);
	else
		snprintf(buf, cap, "%s error %d in record %lld at %lld:%lld @%lld: %s",
			 x->fatal ? "fatal" : "non-fatal", x->code, (long long)x->pos.record,
			 (long long)x->pos.line, (long long)x->pos.column, (long long)x->pos.offset,
			 x->msg);
	return buf;
}

/* Reads everything from fd; impl forces an implementation (AUTO = the default). A fatal
 * error ends the list (after checking that the reader repeats it); so does the end. */
static void read_fd(int fd, enum sl_json_framing fr, const struct sl_json_limits *lim,
		    enum sl_json_impl impl, struct evs *out)
{
	struct sl_json_reader *r = NULL;
	struct sl_err err = {0};
	memset(out, 0, sizeof(*out));
	if (sl_json_reader_open(fd, "test", fr, lim, &r, &err) != 0)
		fail_msg("reader_open: %s", err.msg);
	if (impl != SL_JSON_IMPL_AUTO)
		assert_int_equal(sl_json_parser_set_impl(sl_json_reader_parser(r), impl), 0);
	for (;;) {
		struct sl_json_doc doc;
		struct sl_json_error e;
		memset(&e, 0, sizeof(e));
		int rc = sl_json_reader_next(r, &doc, &e);
		if (rc == 0)
			break;
		struct ev *x = evs_push(out);
		x->rc = rc;
		if (rc > 0) {
			assert_int_equal(rc, 1);
			const char *why = jt_check_tape(&doc);
			if (why)
				fail_msg("record %lld: %s", (long long)doc.pos.record, why);
			x->pos = doc.pos;
			x->len = doc.len;
			x->n_tok = doc.n_tok;
			x->text = malloc(doc.len + 1);
			assert_non_null(x->text);
			memcpy(x->text, doc.text, doc.len);
			x->text[doc.len] = '\0';
		} else {
			assert_int_equal(rc, e.code);
			assert_true(e.msg[0] != '\0');
			x->code = e.code;
			x->fatal = e.fatal;
			x->pos = e.pos;
			memcpy(x->msg, e.msg, sizeof(x->msg));
			if (e.fatal) {
				/* a dead reader keeps saying so, and never yields a record again */
				struct sl_json_error again;
				assert_int_equal(sl_json_reader_next(r, &doc, &again), rc);
				assert_true(again.fatal);
				assert_string_equal(again.msg, e.msg);
				break;
			}
		}
		if (out->n > 50000000)
			fail_msg("the reader does not end");
	}
	if (out->n == 0 || !out->v[out->n - 1].fatal) {
		struct sl_json_doc doc;
		struct sl_json_error e;
		assert_int_equal(sl_json_reader_next(r, &doc, &e), 0); /* the end stays the end */
	}
	sl_json_reader_bytes(r, &out->decoded, &out->raw);
	sl_json_reader_close(r);
}

/* Through an unnamed temporary file. */
static void read_mem(const void *data, size_t len, enum sl_json_framing fr,
		     const struct sl_json_limits *lim, struct evs *out)
{
	FILE *f = tmpfile();
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fflush(f), 0);
	assert_int_equal(lseek(fileno(f), 0, SEEK_SET), 0);
	read_fd(fileno(f), fr, lim, SL_JSON_IMPL_AUTO, out);
	fclose(f);
}

static void read_str(const char *s, enum sl_json_framing fr, struct evs *out)
{
	read_mem(s, strlen(s), fr, NULL, out);
}

/* A writer thread feeding a pipe in pieces of varying sizes. */
struct feeder {
	int fd;
	const char *data;
	size_t len;
	size_t piece; /* largest piece */
	size_t repeat; /* write data this many times */
	size_t pause_at; /* if not 0: write data[0, pause_at) at once, wait, then the rest */
};

static void *feed(void *arg)
{
	struct feeder *f = arg;
	size_t k = 0;
	if (f->pause_at) {
		for (size_t o = 0; o < f->len;) {
			size_t end = o < f->pause_at ? f->pause_at : f->len;
			ssize_t w = write(f->fd, f->data + o, end - o);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				break;
			o += (size_t)w;
			if (o == f->pause_at)
				usleep(200 * 1000); /* the reader drains the pipe and stops there */
		}
		close(f->fd);
		return NULL;
	}
	for (size_t rep = 0; rep < f->repeat; rep++) {
		for (size_t o = 0; o < f->len;) {
			size_t n = 1 + (k++ * 7919) % f->piece;
			if (n > f->len - o)
				n = f->len - o;
			ssize_t w = write(f->fd, f->data + o, n);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				goto out;
			o += (size_t)w;
		}
	}
out:
	close(f->fd);
	return NULL;
}

static void read_pipe(const void *data, size_t len, size_t piece, enum sl_json_framing fr,
		      const struct sl_json_limits *lim, struct evs *out)
{
	int p[2];
	pthread_t t;
	assert_int_equal(pipe(p), 0);
	struct feeder f = {p[1], data, len, piece, 1, 0};
	assert_int_equal(pthread_create(&t, NULL, feed, &f), 0);
	read_fd(p[0], fr, lim, SL_JSON_IMPL_AUTO, out);
	close(p[0]); /* a writer still blocked gets EPIPE (ignored) and ends */
	pthread_join(t, NULL);
}

static void expect_record(const struct evs *s, size_t i, int64_t record, int64_t line,
			  int64_t col, int64_t off, const char *text)
{
	char tmp[512];
	if (i >= s->n)
		fail_msg("event %zu missing (%zu events)", i, s->n);
	const struct ev *x = &s->v[i];
	if (x->rc != 1 || x->pos.record != record || (line > 0 && x->pos.line != line) ||
	    (col > 0 && x->pos.column != col) || x->pos.offset != off ||
	    (text && (x->len != strlen(text) || memcmp(x->text, text, x->len) != 0)))
		fail_msg("event %zu: got %s; expected record %lld at %lld:%lld @%lld '%s'", i,
			 ev_str(x, tmp, sizeof(tmp)), (long long)record, (long long)line,
			 (long long)col, (long long)off, text ? text : "");
}

static void expect_err(const struct evs *s, size_t i, int code, bool fatal, int64_t record,
		       int64_t line, int64_t col, int64_t off, const char *needle)
{
	char tmp[512];
	if (i >= s->n)
		fail_msg("event %zu missing (%zu events)", i, s->n);
	const struct ev *x = &s->v[i];
	if (x->rc >= 0 || x->code != code || x->fatal != fatal || x->pos.record != record ||
	    x->pos.line != line || (col > 0 && x->pos.column != col) ||
	    (off >= 0 && x->pos.offset != off) || !strstr(x->msg, needle))
		fail_msg("event %zu: got %s; expected %s error %d in record %lld at %lld:%lld @%lld "
			 "'%s'", i, ev_str(x, tmp, sizeof(tmp)), fatal ? "fatal" : "non-fatal", code,
			 (long long)record, (long long)line, (long long)col, (long long)off, needle);
}

static void expect_same(const struct evs *a, const struct evs *b, const char *what)
{
	char t1[512], t2[512];
	size_t n = a->n < b->n ? a->n : b->n;
	for (size_t i = 0; i < n; i++) {
		const struct ev *x = &a->v[i], *y = &b->v[i];
		if (x->rc != y->rc || x->code != y->code || x->fatal != y->fatal ||
		    x->pos.record != y->pos.record || x->pos.line != y->pos.line ||
		    x->pos.column != y->pos.column || x->pos.offset != y->pos.offset ||
		    strcmp(x->msg, y->msg) != 0 || x->len != y->len ||
		    (x->len && memcmp(x->text, y->text, x->len) != 0) || x->n_tok != y->n_tok)
			fail_msg("%s: event %zu differs: %s / %s", what, i, ev_str(x, t1, sizeof(t1)),
				 ev_str(y, t2, sizeof(t2)));
	}
	if (a->n != b->n)
		fail_msg("%s: %zu and %zu events", what, a->n, b->n);
}

/* Truncated or corrupt input: the events are the first events of the good stream (never a
 * record that is not in it), then exactly one fatal error. */
static void expect_prefix_then_fatal(const struct evs *good, const struct evs *got,
				     const char *what, const char *needle)
{
	char t1[512], t2[512];
	if (got->n == 0 || !got->v[got->n - 1].fatal)
		fail_msg("%s: no fatal error at the end (%zu events)", what, got->n);
	const struct ev *last = &got->v[got->n - 1];
	if (!strstr(last->msg, needle))
		fail_msg("%s: fatal error '%s' lacks '%s'", what, last->msg, needle);
	if (got->n - 1 > good->n)
		fail_msg("%s: more events than the good stream has", what);
	for (size_t i = 0; i + 1 < got->n; i++) {
		const struct ev *x = &good->v[i], *y = &got->v[i];
		if (x->rc != y->rc || x->len != y->len || (x->len && memcmp(x->text, y->text, x->len)) ||
		    x->pos.offset != y->pos.offset || y->fatal)
			fail_msg("%s: event %zu is not the good stream's: %s / %s", what, i,
				 ev_str(x, t1, sizeof(t1)), ev_str(y, t2, sizeof(t2)));
	}
}

/* ---- NDJSON -------------------------------------------------------------------------------- */

static void test_ndjson_lines_lf_crlf_blank(void **state)
{
	(void)state;
	const char *in = "{\"a\":1}\r\n"     /* line 1, bytes 0..8 */
			 "\r\n"              /* 2: blank (CRLF) */
			 "   \t\n"           /* 3: whitespace only */
			 "{\"a\":2}\n"       /* 4: offset 16 */
			 "\n"                /* 5 */
			 "  {\"a\":3}  \r\n" /* 6: offset 25, spaces kept in the text */
			 "\t\r\n"            /* 7 */
			 "{\"a\":4}";        /* 8: offset 41, no newline at the end */
	struct evs s;
	read_str(in, SL_JSON_FRAME_NDJSON, &s);
	assert_int_equal(s.n, 4);
	expect_record(&s, 0, 0, 1, 1, 0, "{\"a\":1}");
	expect_record(&s, 1, 1, 4, 1, 16, "{\"a\":2}");
	expect_record(&s, 2, 2, 6, 1, 25, "  {\"a\":3}  ");
	expect_record(&s, 3, 3, 8, 1, 41, "{\"a\":4}");
	assert_int_equal(s.decoded, (int64_t)strlen(in));
	assert_int_equal(s.raw, (int64_t)strlen(in));
	evs_free(&s);

	/* nothing, only blank lines, one line with and without its newline */
	read_str("", SL_JSON_FRAME_NDJSON, &s);
	assert_int_equal(s.n, 0);
	evs_free(&s);
	read_str("\n\r\n  \n\t", SL_JSON_FRAME_NDJSON, &s);
	assert_int_equal(s.n, 0);
	evs_free(&s);
	read_str("7", SL_JSON_FRAME_NDJSON, &s);
	assert_int_equal(s.n, 1);
	expect_record(&s, 0, 0, 1, 1, 0, "7");
	evs_free(&s);
	read_str("7\r\n", SL_JSON_FRAME_NDJSON, &s);
	assert_int_equal(s.n, 1);
	expect_record(&s, 0, 0, 1, 1, 0, "7");
	evs_free(&s);
}

static void test_ndjson_errors_do_not_stop_the_stream(void **state)
{
	(void)state;
	const char *in = "1\n"                 /* line 1 */
			 "{bad}\n"             /* 2: offset 2 */
			 "\"ok\"\n"            /* 3: offset 8 */
			 "[1,\n"               /* 4: offset 13 */
			 "  {\"x\": tru}\r\n"  /* 5: offset 17 */
			 "\n"                  /* 6 */
			 "{\"a\":1} {\"b\":2}\n" /* 7: offset 32, two values on a line */
			 "5";                  /* 8: offset 48 */
	struct evs s;
	read_str(in, SL_JSON_FRAME_NDJSON, &s);
	assert_int_equal(s.n, 7);
	expect_record(&s, 0, 0, 1, 1, 0, "1");
	expect_err(&s, 1, SL_ECORRUPT, false, 1, 2, 2, 3, "expected a member name");
	expect_record(&s, 2, 2, 3, 1, 8, "\"ok\"");
	expect_err(&s, 3, SL_ECORRUPT, false, 3, 4, 4, 16, "end of the record");
	expect_err(&s, 4, SL_ECORRUPT, false, 4, 5, 9, 25, "invalid literal");
	expect_err(&s, 5, SL_ECORRUPT, false, 5, 7, 9, 40, "after the value");
	expect_record(&s, 6, 6, 8, 1, 48, "5");
	evs_free(&s);

	/* errors of multi-byte lines: the column counts characters */
	read_str("{\"k\":\"\xC3\xA9\xE2\x82\xAC\"}\n{\"k\":\"\xC3\xA9\xE2\x82\xAC\",}\n",
		 SL_JSON_FRAME_NDJSON, &s);
	assert_int_equal(s.n, 2);
	expect_err(&s, 1, SL_ECORRUPT, false, 1, 2, 11, 14 + 13, "expected a member name");
	evs_free(&s);
}

/* A BOM at the start of the stream is skipped (offsets stay stream offsets); anywhere
 * else it is just an invalid record. */
static void test_bom(void **state)
{
	(void)state;
	struct evs s;
	read_str("\xEF\xBB\xBF{\"a\":1}\n\xEF\xBB\xBF{\"a\":2}\n", SL_JSON_FRAME_NDJSON, &s);
	assert_int_equal(s.n, 2);
	expect_record(&s, 0, 0, 1, 1, 3, "{\"a\":1}");
	expect_err(&s, 1, SL_ECORRUPT, false, 1, 2, 1, 11, "0xef");
	evs_free(&s);
	read_str("\xEF\xBB\xBF", SL_JSON_FRAME_NDJSON, &s);
	assert_int_equal(s.n, 0);
	evs_free(&s);
	read_str("\xEF\xBB\xBF\n\n[1,\n2]", SL_JSON_FRAME_ARRAY, &s);
	assert_int_equal(s.n, 2);
	expect_record(&s, 0, 0, 3, 2, 6, "1");
	expect_record(&s, 1, 1, 4, 1, 9, "2");
	evs_free(&s);
	read_str("\xEF\xBB\xBF{\"doc\":true}", SL_JSON_FRAME_DOCUMENT, &s);
	assert_int_equal(s.n, 1);
	expect_record(&s, 0, 0, 1, 1, 3, "{\"doc\":true}");
	evs_free(&s);
	read_str("\xEF\xBB\xBF [7]", SL_JSON_FRAME_AUTO, &s);
	assert_int_equal(s.n, 1);
	expect_record(&s, 0, 0, 1, 3, 5, "7");
	evs_free(&s);
	/* through a pipe that delivers a byte at a time, too */
	read_pipe("\xEF\xBB\xBF{\"a\":1}\n", 11, 1, SL_JSON_FRAME_NDJSON, NULL, &s);
	assert_int_equal(s.n, 1);
	expect_record(&s, 0, 0, 1, 1, 3, "{\"a\":1}");
	evs_free(&s);
}

static void test_ndjson_record_limit(void **state)
{
	(void)state;
	struct sl_json_limits lim;
	sl_json_limits_default(&lim);
	lim.max_record = 16;
	/* exactly 16 bytes is fine (a CR before the LF does not count), 17 is not */
	const char *in = "[1,2,3,4,5,6,77]\n"
			 "[1,2,3,4,5,6,77]\r\n"
			 "[1,2,3,4,5,6,777]\n"
			 "{\"after\":1}\n";
	struct evs s;
	read_mem(in, strlen(in), SL_JSON_FRAME_NDJSON, &lim, &s);
	assert_int_equal(s.n, 4);
	expect_record(&s, 0, 0, 1, 1, 0, "[1,2,3,4,5,6,77]");
	expect_record(&s, 1, 1, 2, 1, 17, "[1,2,3,4,5,6,77]");
	expect_err(&s, 2, SL_ELIMIT, false, 2, 3, 1, 35, "limit of 16");
	expect_record(&s, 3, 3, 4, 1, 53, "{\"after\":1}");
	evs_free(&s);
}

/* A CRLF line of exactly max_record bytes is accepted also when the read stops between
 * its CR and its LF (the reader reads half a MiB at a time; here the writer pauses right
 * after the CR). Regression test for: the CR was counted while the LF was not yet read,
 * and the record was reported as over the limit. */
static void test_ndjson_crlf_record_at_limit_across_reads(void **state)
{
	(void)state;
	struct sl_json_limits lim;
	sl_json_limits_default(&lim);
	lim.max_record = 16;
	size_t half = (size_t)1 << 19, o = 0;
	char *in = malloc(half + 64);
	assert_non_null(in);
	const char *rec = "[1,2,3,4,5,6,77]\r"; /* 16 bytes and the CR */
	size_t n_fill = 0;
	while (o + 14 + 17 <= half) {
		memcpy(in + o, "1234567890123\n", 14);
		o += 14;
		n_fill++;
	}
	while (o + 17 < half) {
		in[o++] = '\n'; /* blank lines up to the boundary */
	}
	memcpy(in + o, rec, 17);
	o += 17;
	assert_int_equal(o, half);
	o += (size_t)sprintf(in + o, "\n{\"after\":1}\n");
	int p[2];
	pthread_t t;
	assert_int_equal(pipe(p), 0);
	struct feeder f = {p[1], in, o, 0, 1, half};
	assert_int_equal(pthread_create(&t, NULL, feed, &f), 0);
	struct evs s;
	read_fd(p[0], SL_JSON_FRAME_NDJSON, &lim, SL_JSON_IMPL_AUTO, &s);
	close(p[0]);
	pthread_join(t, NULL);
	assert_int_equal(s.n, n_fill + 2);
	expect_record(&s, n_fill, (int64_t)n_fill, -1, 1, (int64_t)half - 17, "[1,2,3,4,5,6,77]");
	expect_record(&s, n_fill + 1, (int64_t)n_fill + 1, -1, 1, (int64_t)half + 1, "{\"after\":1}");
	evs_free(&s);
	free(in);
}

/* A line far over max_record, spanning many 1 MiB chunks, is one error; the next line is
 * read with the right line number and offset; memory does not grow with the line. */
static void test_ndjson_overlong_line_across_chunks(void **state)
{
	(void)state;
	struct sl_json_limits lim;
	sl_json_limits_default(&lim);
	lim.max_record = 1 << 20;
	size_t big = (size_t)5 << 20;
	size_t cap = big + ((size_t)3 << 20) + 256, o = 0;
	char *in = malloc(cap);
	assert_non_null(in);
	o += (size_t)sprintf(in + o, "{\"first\":1}\n"); /* 12 bytes */
	in[o++] = '"';
	memset(in + o, 'x', big);
	o += big;
	o += (size_t)sprintf(in + o, "\"\r\n{\"next\":2}\n");
	size_t next_off = o - 11;
	o += (size_t)sprintf(in + o, "[\"tail");
	memset(in + o, 'y', (size_t)3 << 20); /* a last over-long line without a newline */
	o += (size_t)3 << 20;

	struct evs s, p;
	read_mem(in, o, SL_JSON_FRAME_NDJSON, &lim, &s);
	assert_int_equal(s.n, 4);
	expect_record(&s, 0, 0, 1, 1, 0, "{\"first\":1}");
	expect_err(&s, 1, SL_ELIMIT, false, 1, 2, 1, 12, "limit of 1048576");
	expect_record(&s, 2, 2, 3, 1, (int64_t)next_off, "{\"next\":2}");
	expect_err(&s, 3, SL_ELIMIT, false, 3, 4, 1, (int64_t)next_off + 11, "limit of 1048576");
	assert_int_equal(s.decoded, (int64_t)o);
	/* the same through a pipe in odd pieces */
	read_pipe(in, o, 100000, SL_JSON_FRAME_NDJSON, &lim, &p);
	expect_same(&s, &p, "overlong line, file vs pipe");
	evs_free(&s);
	evs_free(&p);
	free(in);
}

/* 200,000 short lines (several read chunks): the bad ones are reported with exactly the
 * line and offset where they are, whatever chunk boundary falls near them. */
static void test_ndjson_positions_across_chunks(void **state)
{
	(void)state;
	size_t n_lines = 200000, cap = n_lines * 40, o = 0;
	char *in = malloc(cap);
	int64_t *off = malloc(n_lines * sizeof(*off));
	assert_non_null(in);
	assert_non_null(off);
	for (size_t i = 0; i < n_lines; i++) {
		off[i] = (int64_t)o;
		if (i % 9973 == 5)
			o += (size_t)sprintf(in + o, "{\"i\":%zu,,}\n", i); /* bad */
		else if (i % 1000 == 999)
			o += (size_t)sprintf(in + o, "\r\n"); /* blank */
		else
			o += (size_t)sprintf(in + o, "{\"i\":%zu,\"s\":\"%c\"}%s\n", i,
					     (char)('a' + i % 26), i % 3 ? "" : "\r");
	}
	struct evs s;
	read_mem(in, o, SL_JSON_FRAME_NDJSON, NULL, &s);
	size_t k = 0;
	int64_t rec = 0;
	for (size_t i = 0; i < n_lines; i++) {
		if (i % 1000 == 999 && i % 9973 != 5)
			continue;
		if (k >= s.n)
			fail_msg("line %zu: no event", i + 1);
		const struct ev *x = &s.v[k++];
		/* a record is at its line's start; an error at its bad byte: the second ',' */
		int64_t at = off[i], col = 1;
		if (i % 9973 == 5) {
			char want[32];
			col = 1 + snprintf(want, sizeof(want), "{\"i\":%zu,", i);
			at += col - 1;
			assert_int_equal(x->rc, SL_ECORRUPT);
		} else {
			assert_int_equal(x->rc, 1);
		}
		if (x->pos.line != (int64_t)i + 1 || x->pos.column != col || x->pos.offset != at ||
		    x->pos.record != rec)
			fail_msg("line %zu: event at %lld:%lld offset %lld record %lld, expected column "
				 "%lld offset %lld record %lld", i + 1, (long long)x->pos.line,
				 (long long)x->pos.column, (long long)x->pos.offset,
				 (long long)x->pos.record, (long long)col, (long long)at, (long long)rec);
		rec++;
	}
	assert_int_equal(k, s.n);
	evs_free(&s);
	free(in);
	free(off);
}

/* ---- a top-level array of records -------------------------------------------------------- */

static void test_array_framing(void **state)
{
	(void)state;
	const char *in = "[\n"
			 "  {\"a\":1},\n"                      /* line 2, offset 4 */
			 "  {\"s\":\"x,]\\\"y[{\\\\\"} ,\n"    /* 3: strings hide , ] " [ { \ */
			 "  [1,[2,3],[],{\"k\":[4]}],\n"       /* 4 */
			 "  \"str]\",\n"                       /* 5 */
			 "\t-2.5e3 ]\n";                       /* 6 */
	struct evs s;
	read_str(in, SL_JSON_FRAME_ARRAY, &s);
	assert_int_equal(s.n, 5);
	expect_record(&s, 0, 0, 2, 3, 4, "{\"a\":1}");
	expect_record(&s, 1, 1, 3, 3, 15, "{\"s\":\"x,]\\\"y[{\\\\\"}");
	expect_record(&s, 2, 2, 4, 3, 38, "[1,[2,3],[],{\"k\":[4]}]");
	expect_record(&s, 3, 3, 5, 3, 64, "\"str]\"");
	expect_record(&s, 4, 4, 6, 2, 73, "-2.5e3");
	evs_free(&s);

	/* bad elements are errors for themselves only */
	read_str("[1, {\"a\":}, 3,\n {\"b\" 1}, 4]", SL_JSON_FRAME_ARRAY, &s);
	assert_int_equal(s.n, 5);
	expect_record(&s, 0, 0, 1, 2, 1, "1");
	expect_err(&s, 1, SL_ECORRUPT, false, 1, 1, 10, 9, "unexpected '}'");
	expect_record(&s, 2, 2, 1, 13, 12, "3");
	expect_err(&s, 3, SL_ECORRUPT, false, 3, 2, 7, 21, "expected ':'");
	expect_record(&s, 4, 4, 2, 11, 25, "4");
	evs_free(&s);

	/* empty arrays */
	read_str("[]", SL_JSON_FRAME_ARRAY, &s);
	assert_int_equal(s.n, 0);
	evs_free(&s);
	read_str(" \r\n[ \n ] \n", SL_JSON_FRAME_ARRAY, &s);
	assert_int_equal(s.n, 0);
	evs_free(&s);
}

static void test_array_framing_errors(void **state)
{
	(void)state;
	struct evs s;
	/* a trailing comma: the missing record is an error, the array still ends */
	read_str("[1,2,]", SL_JSON_FRAME_ARRAY, &s);
	assert_int_equal(s.n, 3);
	expect_record(&s, 1, 1, 1, 4, 3, "2");
	expect_err(&s, 2, SL_ECORRUPT, false, 2, 1, 6, 5, "expected a record before ']'");
	evs_free(&s);
	read_str("[,1]", SL_JSON_FRAME_ARRAY, &s);
	assert_int_equal(s.n, 2);
	expect_err(&s, 0, SL_ECORRUPT, false, 0, 1, 2, 1, "expected a record before ','");
	expect_record(&s, 1, 1, 1, 3, 2, "1");
	evs_free(&s);
	/* an unclosed array is fatal, also when the last element is unfinished */
	read_str("[1,\n2", SL_JSON_FRAME_ARRAY, &s);
	assert_int_equal(s.n, 2);
	expect_record(&s, 0, 0, 1, 2, 1, "1");
	expect_err(&s, 1, SL_ECORRUPT, true, 1, 2, -1, -1, "not closed");
	evs_free(&s);
	read_str("[1, \"ab]", SL_JSON_FRAME_ARRAY, &s);
	assert_int_equal(s.n, 2);
	expect_err(&s, 1, SL_ECORRUPT, true, 1, 1, -1, -1, "not closed");
	evs_free(&s);
	read_str("[1, 2,\n\n", SL_JSON_FRAME_ARRAY, &s);
	assert_int_equal(s.n, 3);
	expect_err(&s, 2, SL_ECORRUPT, true, 2, 3, 1, 8, "not closed");
	evs_free(&s);
	/* data after the array is fatal */
	read_str("[1]\n x", SL_JSON_FRAME_ARRAY, &s);
	assert_int_equal(s.n, 2);
	expect_err(&s, 1, SL_ECORRUPT, true, 1, 2, 2, 5, "after the array");
	evs_free(&s);
	read_str("[1][2]", SL_JSON_FRAME_ARRAY, &s);
	assert_int_equal(s.n, 2);
	expect_err(&s, 1, SL_ECORRUPT, true, 1, 1, 4, 3, "after the array");
	evs_free(&s);
	read_str("[1]  \n\n", SL_JSON_FRAME_ARRAY, &s); /* whitespace after is fine */
	assert_int_equal(s.n, 1);
	evs_free(&s);
	/* not an array at all */
	read_str("{\"a\":1}", SL_JSON_FRAME_ARRAY, &s);
	assert_int_equal(s.n, 1);
	expect_err(&s, 0, SL_ECORRUPT, true, 0, 1, 1, 0, "expected '['");
	evs_free(&s);
	read_str("  ", SL_JSON_FRAME_ARRAY, &s);
	assert_int_equal(s.n, 1);
	expect_err(&s, 0, SL_ECORRUPT, true, 0, 1, -1, -1, "empty input");
	evs_free(&s);
	read_str("[1}", SL_JSON_FRAME_ARRAY, &s);
	assert_int_equal(s.n, 1);
	expect_err(&s, 0, SL_ECORRUPT, true, 0, 1, -1, 2, "'}'");
	evs_free(&s);
}

/* 3 MiB of elements with strings full of delimiters, escaped quotes and backslashes,
 * nested arrays, one per line: every element comes out whole, at its line. */
static void test_array_across_chunks(void **state)
{
	(void)state;
	size_t n = 30000, cap = n * 200, o = 0;
	char *in = malloc(cap);
	assert_non_null(in);
	in[o++] = '[';
	in[o++] = '\n';
	for (size_t i = 0; i < n; i++)
		o += (size_t)sprintf(in + o,
				     "{\"i\":%zu,\"s\":\"],[{\\\"}\\\\\",\"t\":[[%zu,\"]\"],[]],"
				     "\"pad\":\"%0*d\"}%s\n",
				     i, i, (int)(i % 61), 0, i + 1 < n ? "," : "");
	in[o++] = ']';
	struct evs s, p;
	read_mem(in, o, SL_JSON_FRAME_ARRAY, NULL, &s);
	assert_int_equal(s.n, n);
	for (size_t i = 0; i < n; i++) {
		const struct ev *x = &s.v[i];
		char want[64];
		int m = snprintf(want, sizeof(want), "{\"i\":%zu,", i);
		if (x->rc != 1 || x->pos.line != (int64_t)i + 2 || x->pos.column != 1 ||
		    x->len < (size_t)m || memcmp(x->text, want, (size_t)m) != 0 ||
		    x->text[x->len - 1] != '}' || x->n_tok != 17)
			fail_msg("element %zu: rc %d line %lld len %zu", i, x->rc,
				 (long long)x->pos.line, x->len);
	}
	read_pipe(in, o, 65536, SL_JSON_FRAME_ARRAY, NULL, &p);
	expect_same(&s, &p, "array, file vs pipe");
	evs_free(&s);
	evs_free(&p);
	free(in);
}

/* An element over max_record is an error for that record; the next element is read.
 * The reader promises (reader.c, 2.) that only a broken stream ends reading, and an
 * element small enough to sit in the read window already behaves so. Regression test
 * for: an over-long element that spans read chunks ended the stream with a fatal error. */
static void test_array_overlong_element_is_not_fatal(void **state)
{
	(void)state;
	struct sl_json_limits lim;
	sl_json_limits_default(&lim);
	struct evs s;
	/* small: fits the read window */
	lim.max_record = 100;
	size_t cap = (size_t)4 << 20, o = 0;
	char *in = malloc(cap);
	assert_non_null(in);
	o += (size_t)sprintf(in, "[1, \"");
	memset(in + o, 'x', 200);
	o += 200;
	o += (size_t)sprintf(in + o, "\", 2]");
	read_mem(in, o, SL_JSON_FRAME_ARRAY, &lim, &s);
	assert_int_equal(s.n, 3);
	expect_record(&s, 0, 0, 1, 2, 1, "1");
	expect_err(&s, 1, SL_ELIMIT, false, 1, 1, 5, 4, "limit of 100");
	expect_record(&s, 2, 2, 1, 209, 208, "2");
	evs_free(&s);
	/* large: 3 MiB over a 1 MiB limit, across read chunks */
	lim.max_record = 1 << 20;
	o = (size_t)sprintf(in, "[1, \"");
	memset(in + o, 'x', (size_t)3 << 20);
	o += (size_t)3 << 20;
	o += (size_t)sprintf(in + o, "\", 2]");
	read_mem(in, o, SL_JSON_FRAME_ARRAY, &lim, &s);
	if (s.n >= 2)
		expect_err(&s, 1, SL_ELIMIT, false, 1, 1, 5, 4, "limit of 1048576");
	assert_int_equal(s.n, 3);
	expect_record(&s, 0, 0, 1, 2, 1, "1");
	expect_err(&s, 1, SL_ELIMIT, false, 1, 1, 5, 4, "limit of 1048576");
	expect_record(&s, 2, 2, 1, -1, (int64_t)o - 2, "2");
	evs_free(&s);
	free(in);
}

/* An element of exactly max_record bytes followed by a blank is accepted also when a
 * read stops right after the blank. Regression test for: the splitter counted the
 * blanks after the element against the limit while it waited for the ',' and ended the
 * stream with a fatal error. */
static void test_array_record_at_limit_across_reads(void **state)
{
	(void)state;
	struct sl_json_limits lim;
	sl_json_limits_default(&lim);
	lim.max_record = 16;
	size_t half = (size_t)1 << 19, o = 0, n_fill = 0;
	char *in = malloc(half + 64);
	assert_non_null(in);
	in[o++] = '[';
	while (o + 14 + 20 <= half) {
		memcpy(in + o, "1234567890123,", 14);
		o += 14;
		n_fill++;
	}
	while (o + 17 < half)
		in[o++] = ' ';
	memcpy(in + o, "[1,2,3,4,5,6,77] ", 17); /* 16 bytes, then the blank */
	o += 17;
	assert_int_equal(o, half);
	o += (size_t)sprintf(in + o, ", 2]");
	int p[2];
	pthread_t t;
	assert_int_equal(pipe(p), 0);
	struct feeder f = {p[1], in, o, 0, 1, half};
	assert_int_equal(pthread_create(&t, NULL, feed, &f), 0);
	struct evs s;
	read_fd(p[0], SL_JSON_FRAME_ARRAY, &lim, SL_JSON_IMPL_AUTO, &s);
	close(p[0]);
	pthread_join(t, NULL);
	if (s.n > n_fill)
		expect_record(&s, n_fill, (int64_t)n_fill, 1, -1, (int64_t)half - 17,
			      "[1,2,3,4,5,6,77]");
	assert_int_equal(s.n, n_fill + 2);
	expect_record(&s, n_fill + 1, (int64_t)n_fill + 1, 1, -1, (int64_t)half + 2, "2");
	evs_free(&s);
	free(in);
}

/* ---- document and AUTO framing ------------------------------------------------------------ */

static void test_document_framing(void **state)
{
	(void)state;
	struct evs s;
	read_str("  {\"a\": [1,\n2]}  \n", SL_JSON_FRAME_DOCUMENT, &s);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.v[0].rc, 1);
	assert_int_equal(s.v[0].n_tok, 7);
	assert_int_equal(s.v[0].pos.line, 1);
	assert_int_equal(s.v[0].pos.offset, 0);
	evs_free(&s);
	read_str("{\n\"a\" 1}", SL_JSON_FRAME_DOCUMENT, &s);
	assert_int_equal(s.n, 1);
	expect_err(&s, 0, SL_ECORRUPT, false, 0, 2, 5, 6, "expected ':'");
	evs_free(&s);
	read_str("{\"a\":1}\n{\"a\":2}\n", SL_JSON_FRAME_DOCUMENT, &s);
	assert_int_equal(s.n, 1);
	expect_err(&s, 0, SL_ECORRUPT, false, 0, 2, 1, 8, "after the value");
	evs_free(&s);
	read_str(" \n", SL_JSON_FRAME_DOCUMENT, &s);
	assert_int_equal(s.n, 1);
	expect_err(&s, 0, SL_ECORRUPT, false, 0, 2, 1, 2, "empty");
	evs_free(&s);
	/* a document over max_record is refused without reading it all into memory */
	struct sl_json_limits lim;
	sl_json_limits_default(&lim);
	lim.max_record = 1000;
	char big[4000];
	memset(big, ' ', sizeof(big));
	big[0] = '[';
	big[sizeof(big) - 1] = ']';
	read_mem(big, sizeof(big), SL_JSON_FRAME_DOCUMENT, &lim, &s);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.v[0].code, SL_ELIMIT);
	assert_non_null(strstr(s.v[0].msg, "limit of 1000"));
	evs_free(&s);
}

static void test_auto_framing(void **state)
{
	(void)state;
	struct evs s;
	read_str(" \n\t [1,\n{\"a\":2}]", SL_JSON_FRAME_AUTO, &s);
	assert_int_equal(s.n, 2);
	expect_record(&s, 0, 0, 2, 4, 5, "1");
	expect_record(&s, 1, 1, 3, 1, 8, "{\"a\":2}");
	evs_free(&s);
	read_str("{\"a\":1}\n{\"a\":2}\n", SL_JSON_FRAME_AUTO, &s);
	assert_int_equal(s.n, 2);
	expect_record(&s, 1, 1, 2, 1, 8, "{\"a\":2}");
	evs_free(&s);
	read_str("\n\n  \"x\"\n3\n", SL_JSON_FRAME_AUTO, &s);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.v[0].pos.line, 3);
	expect_record(&s, 1, 1, 4, 1, 8, "3");
	evs_free(&s);
	read_str("", SL_JSON_FRAME_AUTO, &s);
	assert_int_equal(s.n, 0);
	evs_free(&s);
}

/* AUTO reports the same error positions as NDJSON, also on a first line that starts with
 * blanks (which AUTO skipped to look for '['). Regression test for: the error column on
 * that line was counted from the first non-blank byte. */
static void test_auto_ndjson_columns_as_ndjson(void **state)
{
	(void)state;
	struct evs s, n;
	const char *in = "\n  {\"a\" 1}\n{\"b\" 2}\n";
	read_str(in, SL_JSON_FRAME_AUTO, &s);
	read_str(in, SL_JSON_FRAME_NDJSON, &n);
	expect_err(&n, 0, SL_ECORRUPT, false, 0, 2, 8, 8, "expected ':'");
	expect_same(&n, &s, "NDJSON vs AUTO");
	evs_free(&s);
	evs_free(&n);
}

/* ---- compression -------------------------------------------------------------------------- */

/* A stream of ~3 MiB NDJSON with good and bad records, blank lines and CRLF. */
static char *sample_ndjson(size_t *len)
{
	size_t n = 30000, cap = n * 120, o = 0;
	char *s = malloc(cap);
	assert_non_null(s);
	for (size_t i = 0; i < n; i++) {
		if (i % 5000 == 17)
			o += (size_t)sprintf(s + o, "{\"bad\": [1,}\n");
		else if (i % 777 == 3)
			o += (size_t)sprintf(s + o, "\r\n");
		else
			o += (size_t)sprintf(s + o,
					     "{\"id\":%zu,\"user\":{\"name\":\"u%zu\",\"tags\":[\"a\","
					     "\"\xC3\xA9\"]},\"v\":%zu.%02zu,\"ok\":%s}%s\n",
					     i, i * 7919 % 10007, i % 1000, i % 100,
					     i % 2 ? "true" : "null", i % 4 ? "" : "\r");
	}
	*len = o;
	return s;
}

static unsigned char *gzip_mem(const void *data, size_t len, size_t *out_len)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
	size_t cap = deflateBound(&z, len) + 64;
	unsigned char *out = malloc(cap);
	assert_non_null(out);
	z.next_in = (unsigned char *)data;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	*out_len = z.total_out;
	deflateEnd(&z);
	return out;
}

static unsigned char *zstd_mem(const void *data, size_t len, int checksum, size_t *out_len)
{
	ZSTD_CCtx *c = ZSTD_createCCtx();
	assert_non_null(c);
	ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, checksum);
	size_t cap = ZSTD_compressBound(len);
	unsigned char *out = malloc(cap);
	assert_non_null(out);
	size_t n = ZSTD_compress2(c, out, cap, data, len);
	assert_false(ZSTD_isError(n));
	ZSTD_freeCCtx(c);
	*out_len = n;
	return out;
}

/* Concatenates `parts` independently compressed pieces of data (split mid-line). */
static unsigned char *concat_members(const char *data, size_t len, int parts, int zstd,
				     size_t *out_len)
{
	unsigned char *out = NULL;
	size_t o = 0;
	for (int k = 0; k < parts; k++) {
		size_t a = len * (size_t)k / (size_t)parts + (k ? 13 : 0);
		size_t b = k + 1 == parts ? len : len * (size_t)(k + 1) / (size_t)parts + 13;
		size_t n;
		unsigned char *m = zstd ? zstd_mem(data + a, b - a, k % 2, &n)
					: gzip_mem(data + a, b - a, &n);
		out = realloc(out, o + n);
		assert_non_null(out);
		memcpy(out + o, m, n);
		o += n;
		free(m);
	}
	*out_len = o;
	return out;
}

static void test_gzip_same_records_as_plain(void **state)
{
	(void)state;
	size_t len, glen, clen;
	char *plain = sample_ndjson(&len);
	struct evs want, got, scalar;
	read_mem(plain, len, SL_JSON_FRAME_NDJSON, NULL, &want);
	assert_true(want.n > 29000);
	/* the portable parser, through the reader, sees the same */
	FILE *f = tmpfile();
	assert_int_equal(fwrite(plain, 1, len, f), len);
	fflush(f);
	lseek(fileno(f), 0, SEEK_SET);
	read_fd(fileno(f), SL_JSON_FRAME_NDJSON, NULL, SL_JSON_IMPL_SCALAR, &scalar);
	fclose(f);
	expect_same(&want, &scalar, "plain, default vs scalar parser");
	evs_free(&scalar);

	unsigned char *gz = gzip_mem(plain, len, &glen);
	read_mem(gz, glen, SL_JSON_FRAME_NDJSON, NULL, &got);
	expect_same(&want, &got, "gzip");
	assert_int_equal(got.decoded, (int64_t)len);
	assert_int_equal(got.raw, (int64_t)glen);
	evs_free(&got);
	read_pipe(gz, glen, 4096, SL_JSON_FRAME_NDJSON, NULL, &got);
	expect_same(&want, &got, "gzip through a pipe");
	evs_free(&got);
	/* several members, as `cat a.gz b.gz` makes; split in the middle of lines */
	unsigned char *cat = concat_members(plain, len, 4, 0, &clen);
	read_mem(cat, clen, SL_JSON_FRAME_NDJSON, NULL, &got);
	expect_same(&want, &got, "concatenated gzip members");
	evs_free(&got);
	/* AUTO framing sees through the compression */
	read_mem(gz, glen, SL_JSON_FRAME_AUTO, NULL, &got);
	expect_same(&want, &got, "gzip, AUTO framing");
	evs_free(&got);
	free(cat);
	free(gz);
	evs_free(&want);
	free(plain);
}

static void test_gzip_truncated_or_corrupt_is_fatal(void **state)
{
	(void)state;
	size_t len, glen;
	char *plain = sample_ndjson(&len);
	struct evs want, got;
	read_mem(plain, len, SL_JSON_FRAME_NDJSON, NULL, &want);
	unsigned char *gz = gzip_mem(plain, len, &glen);
	/* cut: in the header, in the middle, just before the trailer, in the trailer */
	size_t cuts[] = {5, 11, glen / 3, glen / 2, glen - 8, glen - 1};
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		read_mem(gz, cuts[i], SL_JSON_FRAME_NDJSON, NULL, &got);
		char what[64];
		snprintf(what, sizeof(what), "gzip cut at %zu of %zu", cuts[i], glen);
		expect_prefix_then_fatal(&want, &got, what, "gzip");
		assert_int_equal(got.v[got.n - 1].code, SL_ECORRUPT);
		evs_free(&got);
	}
	/* a flipped byte: the CRC or the decoder catches it */
	size_t small_len;
	unsigned char *small = gzip_mem(plain, 200000, &small_len);
	small[small_len / 2] ^= 0x55;
	read_mem(small, small_len, SL_JSON_FRAME_NDJSON, NULL, &got);
	expect_prefix_then_fatal(&want, &got, "corrupt gzip", "gzip");
	evs_free(&got);
	small[small_len / 2] ^= 0x55;
	small[small_len - 6] ^= 0x01; /* the CRC itself */
	read_mem(small, small_len, SL_JSON_FRAME_NDJSON, NULL, &got);
	expect_prefix_then_fatal(&want, &got, "gzip with a bad CRC", "gzip");
	evs_free(&got);
	/* garbage after a complete member */
	unsigned char *tail = malloc(small_len + 3);
	small[small_len - 6] ^= 0x01;
	memcpy(tail, small, small_len);
	memcpy(tail + small_len, "xyz", 3);
	read_mem(tail, small_len + 3, SL_JSON_FRAME_NDJSON, NULL, &got);
	expect_prefix_then_fatal(&want, &got, "gzip with trailing garbage", "gzip");
	evs_free(&got);
	free(tail);
	free(small);
	free(gz);
	evs_free(&want);
	free(plain);
}

static void test_zstd_same_records_as_plain(void **state)
{
	(void)state;
	size_t len, zlen, clen;
	char *plain = sample_ndjson(&len);
	struct evs want, got;
	read_mem(plain, len, SL_JSON_FRAME_NDJSON, NULL, &want);
	for (int checksum = 0; checksum <= 1; checksum++) {
		unsigned char *z = zstd_mem(plain, len, checksum, &zlen);
		read_mem(z, zlen, SL_JSON_FRAME_NDJSON, NULL, &got);
		expect_same(&want, &got, checksum ? "zstd with checksum" : "zstd");
		assert_int_equal(got.decoded, (int64_t)len);
		assert_int_equal(got.raw, (int64_t)zlen);
		evs_free(&got);
		read_pipe(z, zlen, 3000, SL_JSON_FRAME_NDJSON, NULL, &got);
		expect_same(&want, &got, "zstd through a pipe");
		evs_free(&got);
		free(z);
	}
	unsigned char *cat = concat_members(plain, len, 5, 1, &clen);
	read_mem(cat, clen, SL_JSON_FRAME_NDJSON, NULL, &got);
	expect_same(&want, &got, "concatenated zstd frames");
	evs_free(&got);
	free(cat);
	evs_free(&want);
	free(plain);
}

static void test_zstd_truncated_or_corrupt_is_fatal(void **state)
{
	(void)state;
	size_t len, zlen;
	char *plain = sample_ndjson(&len);
	struct evs want, got;
	read_mem(plain, len, SL_JSON_FRAME_NDJSON, NULL, &want);
	unsigned char *z = zstd_mem(plain, len, 1, &zlen);
	size_t cuts[] = {4, 9, zlen / 3, zlen / 2, zlen - 4, zlen - 1};
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		read_mem(z, cuts[i], SL_JSON_FRAME_NDJSON, NULL, &got);
		char what[64];
		snprintf(what, sizeof(what), "zstd cut at %zu of %zu", cuts[i], zlen);
		expect_prefix_then_fatal(&want, &got, what, "zstd");
		evs_free(&got);
	}
	/* corrupt: a flipped byte in the data, in the checksum, and garbage after a frame */
	size_t small_len;
	unsigned char *small = zstd_mem(plain, 200000, 1, &small_len);
	size_t flips[] = {small_len / 2, small_len / 3, small_len - 2};
	for (size_t i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
		small[flips[i]] ^= 0x5a;
		read_mem(small, small_len, SL_JSON_FRAME_NDJSON, NULL, &got);
		expect_prefix_then_fatal(&want, &got, "corrupt zstd", "zstd");
		evs_free(&got);
		small[flips[i]] ^= 0x5a;
	}
	unsigned char *tail = malloc(small_len + 5);
	memcpy(tail, small, small_len);
	memcpy(tail + small_len, "junk!", 5);
	read_mem(tail, small_len + 5, SL_JSON_FRAME_NDJSON, NULL, &got);
	expect_prefix_then_fatal(&want, &got, "zstd with trailing garbage", "zstd");
	evs_free(&got);
	free(tail);
	free(small);
	free(z);
	evs_free(&want);
	free(plain);
}

/* ---- bounded memory ---------------------------------------------------------------------- */

struct mem_result {
	long long records, errors, decoded;
	long maxrss_start_kb, maxrss_end_kb;
	int fatal;
};

/* ~1 MiB of realistic NDJSON lines; *per_block gets their number. */
static char *memory_block(size_t *len, size_t *per_block)
{
	static const char pad[] = "................................................................"
				  "................................................................"
				  "................................................................"
				  "........";
	size_t cap = (1 << 20) + 512, o = 0, k = 0;
	char *block = malloc(cap);
	if (!block)
		return NULL;
	while (o < cap - 912) {
		o += (size_t)sprintf(block + o,
				     "{\"event\":\"match_end\",\"id\":%zu,\"player\":{\"name\":\"p%zu\","
				     "\"tags\":[\"a\",\"b\"]},\"score\":%zu.5,\"ok\":true,\"pad\":\"%.*s\"}\n",
				     k, k % 97, k % 1000, (int)(k % 200), pad);
		k++;
	}
	*len = o;
	*per_block = k;
	return block;
}

/* The peak resident set of this process's memory (VmHWM: unlike ru_maxrss it does not
 * carry the peak of the process image that exec replaced), in KiB. */
static long peak_rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	if (kb < 0) {
		struct rusage ru;
		getrusage(RUSAGE_SELF, &ru);
		kb = ru.ru_maxrss;
	}
	return kb;
}

/* The streaming child, a fresh process (exec'd, so its peak RSS is its own): streams
 * about 300 MB, as plain NDJSON or as one gzip member per block, through a pipe into the
 * reader, and writes a struct mem_result to out_fd. */
static int stream_child_main(const char *mode, int out_fd)
{
	struct mem_result res = {0};
	size_t len, per_block, glen = 0;
	char *block = memory_block(&len, &per_block);
	if (!block)
		return 3;
	size_t repeat = 300000000 / len + 1;
	const char *data = block;
	unsigned char *gz = NULL;
	if (strcmp(mode, "gzip") == 0) {
		z_stream z;
		memset(&z, 0, sizeof(z));
		if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
			return 3;
		gz = malloc(deflateBound(&z, len));
		z.next_in = (unsigned char *)block;
		z.avail_in = (uInt)len;
		z.next_out = gz;
		z.avail_out = (uInt)deflateBound(&z, len);
		if (!gz || deflate(&z, Z_FINISH) != Z_STREAM_END)
			return 3;
		glen = z.total_out;
		deflateEnd(&z);
		data = (const char *)gz;
	}
	res.maxrss_start_kb = peak_rss_kb();
	int p[2];
	pthread_t t;
	if (pipe(p) != 0)
		return 3;
	struct feeder f = {p[1], data, gz ? glen : len, 1 << 16, repeat, 0};
	if (pthread_create(&t, NULL, feed, &f) != 0)
		return 3;
	struct sl_json_reader *r;
	struct sl_err err = {0};
	if (sl_json_reader_open(p[0], "pipe", SL_JSON_FRAME_NDJSON, NULL, &r, &err) != 0)
		return 4;
	struct sl_json_doc doc;
	struct sl_json_error e;
	int rc;
	while ((rc = sl_json_reader_next(r, &doc, &e)) != 0) {
		if (rc > 0) {
			res.records++;
		} else {
			res.errors++;
			if (e.fatal) {
				res.fatal = 1;
				break;
			}
		}
	}
	int64_t decoded;
	sl_json_reader_bytes(r, &decoded, NULL);
	res.decoded = decoded;
	sl_json_reader_close(r);
	close(p[0]);
	pthread_join(t, NULL);
	res.maxrss_end_kb = peak_rss_kb();
	free(block);
	free(gz);
	return write(out_fd, &res, sizeof(res)) == (ssize_t)sizeof(res) ? 0 : 5;
}

static void run_stream_child(const char *mode, struct mem_result *res)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char fd[16];
		close(p[0]);
		snprintf(fd, sizeof(fd), "%d", p[1]);
		execl("/proc/self/exe", "test_json_reader", "--stream-child", mode, fd, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	memset(res, 0, sizeof(*res));
	ssize_t got = read(p[0], res, sizeof(*res));
	close(p[0]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || got != (ssize_t)sizeof(*res))
		fail_msg("streaming child failed (status %d)", status);
}

/* 300 MB of NDJSON (plain, then gzip) through a pipe: the reader's memory stays of the
 * order of its read window, far below the size of the stream. */
static void test_memory_bounded_300mb(void **state)
{
	(void)state;
	size_t len, per_block;
	char *block = memory_block(&len, &per_block);
	assert_non_null(block);
	free(block);
	size_t repeat = 300000000 / len + 1;
	static const char *const modes[] = {"plain", "gzip"};
	for (int m = 0; m < 2; m++) {
		struct mem_result res;
		run_stream_child(modes[m], &res);
		long growth = res.maxrss_end_kb - res.maxrss_start_kb;
		print_message("[ INFO     ] %s: %lld records, %lld bytes; peak RSS %ld KiB (grew "
			      "%ld KiB while streaming)\n", modes[m], res.records, res.decoded,
			      res.maxrss_end_kb, growth);
		assert_int_equal(res.fatal, 0);
		assert_int_equal(res.errors, 0);
		assert_int_equal(res.records, (long long)(per_block * repeat));
		assert_int_equal(res.decoded, (long long)(len * repeat));
		assert_true(res.decoded > 300000000);
		assert_true(growth < 64 * 1024);
		assert_true(res.maxrss_end_kb < 128 * 1024); /* the whole process */
	}
}

/* The text of each record, returned or rejected, as the validator copies it into a dead
 * letter; over-long records are not held. */
static void test_record_text(void **state)
{
	(void)state;
	static const char nd[] = "{\"a\":1}\r\n\n  \n{\"a\":,}\n{\"long\":\"xxxxxxxxxxxxxxxxxxxxxxxx\"}\n"
				 "[1, \"\xff\"]\n{\"b\":2}";
	struct sl_json_limits lim;
	sl_json_limits_default(&lim);
	lim.max_record = 30;
	FILE *f = tmpfile();
	assert_non_null(f);
	fwrite(nd, 1, sizeof(nd) - 1, f);
	fflush(f);
	lseek(fileno(f), 0, SEEK_SET);
	struct sl_json_reader *r;
	struct sl_err err;
	assert_int_equal(sl_json_reader_open(fileno(f), "t", SL_JSON_FRAME_AUTO, &lim, &r, &err), 0);
	assert_int_equal(sl_json_reader_framing(r), SL_JSON_FRAME_AUTO);
	struct {
		int rc;
		const char *text; /* NULL: not held */
	} want[] = {
		{1, "{\"a\":1}"},
		{SL_ECORRUPT, "{\"a\":,}"},
		{SL_ELIMIT, NULL},
		{SL_ECORRUPT, "[1, \"\xff\"]"},
		{1, "{\"b\":2}"},
		{0, NULL},
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct sl_json_doc doc;
		struct sl_json_error e;
		const char *text;
		size_t len;
		assert_int_equal(sl_json_reader_next(r, &doc, &e), want[i].rc);
		struct sl_json_pos pos;
		bool held = sl_json_reader_record_text(r, &text, &len, &pos);
		if (!want[i].text) {
			assert_false(held);
			assert_null(text);
			continue;
		}
		assert_true(held);
		assert_int_equal(len, strlen(want[i].text));
		assert_memory_equal(text, want[i].text, len);
		if (want[i].rc == 1) {
			assert_ptr_equal(text, doc.text);
			assert_memory_equal(&pos, &doc.pos, sizeof(pos));
		} else {
			assert_int_equal(pos.record, e.pos.record);
			assert_int_equal(pos.line, e.pos.line);
			assert_true(pos.offset <= e.pos.offset);
			assert_memory_equal(nd + pos.offset, text, len);
		}
	}
	assert_int_equal(sl_json_reader_framing(r), SL_JSON_FRAME_NDJSON);
	sl_json_reader_close(r);
	fclose(f);

	static const char arr[] = " [ {\"a\":1} ,\n  {\"a\":\n 2 } , tru , , 7 ] ";
	f = tmpfile();
	fwrite(arr, 1, sizeof(arr) - 1, f);
	fflush(f);
	lseek(fileno(f), 0, SEEK_SET);
	assert_int_equal(sl_json_reader_open(fileno(f), "t", SL_JSON_FRAME_AUTO, NULL, &r, &err), 0);
	const char *texts[] = {"{\"a\":1}", "{\"a\":\n 2 }", "tru", "", "7"};
	for (size_t i = 0; i < 5; i++) {
		struct sl_json_doc doc;
		struct sl_json_error e;
		const char *text;
		size_t len;
		int rc = sl_json_reader_next(r, &doc, &e);
		assert_int_equal(rc, i == 2 || i == 3 ? SL_ECORRUPT : 1);
		assert_true(sl_json_reader_record_text(r, &text, &len, NULL));
		assert_int_equal(len, strlen(texts[i]));
		assert_memory_equal(text, texts[i], len);
	}
	assert_int_equal(sl_json_reader_framing(r), SL_JSON_FRAME_ARRAY);
	sl_json_reader_close(r);
	fclose(f);
}

struct membuf {
	unsigned char *data;
	size_t len, cap;
	int calls;
};

static int mem_sink(void *ctx, const void *data, size_t len, struct sl_err *err)
{
	(void)err;
	struct membuf *m = ctx;
	if (m->len + len > m->cap) {
		m->cap = (m->len + len) * 2;
		m->data = realloc(m->data, m->cap);
		assert_non_null(m->data);
	}
	memcpy(m->data + m->len, data, len);
	m->len += len;
	m->calls++;
	return 0;
}

static int failing_sink(void *ctx, const void *data, size_t len, struct sl_err *err)
{
	(void)ctx;
	(void)data;
	(void)len;
	return sl_err_set(err, SL_ENOSPC, "disk full");
}

/* What an encoder writes, in pieces of any size, reads back (through the codec the reader
 * sniffs) as exactly the records of the plain input. */
static void test_encoders_round_trip(void **state)
{
	(void)state;
	size_t len;
	char *plain = sample_ndjson(&len);
	struct evs want;
	read_mem(plain, len, SL_JSON_FRAME_NDJSON, NULL, &want);
	const struct sl_codec_ops *codecs[] = {&sl_codec_plain, &sl_codec_gzip, &sl_codec_zstd};
	for (size_t c = 0; c < 3; c++) {
		struct membuf m = {0};
		struct sl_encoder *e;
		struct sl_err err = {0};
		assert_int_equal(sl_encoder_open(codecs[c], mem_sink, &m, &e, &err), 0);
		for (size_t o = 0, piece = 1; o < len; piece = piece * 3 + 1) {
			size_t n = piece % 70000 + 1;
			if (n > len - o)
				n = len - o;
			assert_int_equal(sl_encoder_write(e, plain + o, n, &err), 0);
			o += n;
		}
		assert_int_equal(sl_encoder_write(e, "", 0, &err), 0);
		assert_int_equal(sl_encoder_finish(e, &err), 0);
		sl_encoder_free(e);
		assert_true(sl_codec_sniff(m.data, m.len) == codecs[c]);
		if (c > 0)
			assert_true(m.len < len / 3);
		else
			assert_memory_equal(m.data, plain, len);
		struct evs got;
		read_mem(m.data, m.len, SL_JSON_FRAME_NDJSON, NULL, &got);
		expect_same(&want, &got, codecs[c]->name);
		evs_free(&got);

		/* an empty stream is a valid, empty object of that codec */
		struct membuf z = {0};
		assert_int_equal(sl_encoder_open(codecs[c], mem_sink, &z, &e, &err), 0);
		assert_int_equal(sl_encoder_finish(e, &err), 0);
		sl_encoder_free(e);
		read_mem(z.data ? (void *)z.data : (void *)"", z.len, SL_JSON_FRAME_NDJSON, NULL, &got);
		assert_int_equal(got.n, 0);
		evs_free(&got);
		free(z.data);
		free(m.data);

		/* the sink's error comes back */
		assert_int_equal(sl_encoder_open(codecs[c], failing_sink, NULL, &e, &err), 0);
		int rc = sl_encoder_write(e, plain, len, &err);
		if (rc == 0)
			rc = sl_encoder_finish(e, &err);
		assert_int_equal(rc, SL_ENOSPC);
		sl_encoder_free(e);
	}
	struct sl_encoder *e;
	struct sl_err err;
	assert_int_equal(sl_encoder_open(NULL, mem_sink, NULL, &e, &err), SL_EINVAL);
	sl_encoder_free(NULL);
	evs_free(&want);
	free(plain);
}

static void test_open_and_close(void **state)
{
	(void)state;
	sl_json_reader_close(NULL); /* _close accepts NULL */
	/* an fd that cannot be read (a directory): an error with the name, not a crash */
	int fd = open("/", O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	struct sl_json_reader *r = NULL;
	struct sl_err err = {0};
	int rc = sl_json_reader_open(fd, "a-directory", SL_JSON_FRAME_NDJSON, NULL, &r, &err);
	assert_true(rc < 0);
	assert_null(r);
	assert_non_null(strstr(err.msg, "a-directory"));
	close(fd);

	/* a caller that does not want error details passes NULL: codes only, no crash */
	FILE *f = tmpfile();
	assert_non_null(f);
	fputs("1\n{x}\n[\"abc\n", f);
	fflush(f);
	lseek(fileno(f), 0, SEEK_SET);
	assert_int_equal(sl_json_reader_open(fileno(f), "t", SL_JSON_FRAME_NDJSON, NULL, &r, &err), 0);
	struct sl_json_doc doc;
	assert_int_equal(sl_json_reader_next(r, &doc, NULL), 1);
	assert_int_equal(sl_json_reader_next(r, &doc, NULL), SL_ECORRUPT);
	assert_int_equal(sl_json_reader_next(r, &doc, NULL), SL_ECORRUPT);
	assert_int_equal(sl_json_reader_next(r, &doc, NULL), 0);
	sl_json_reader_close(r);
	lseek(fileno(f), 0, SEEK_SET);
	assert_int_equal(sl_json_reader_open(fileno(f), "t", SL_JSON_FRAME_ARRAY, NULL, &r, &err), 0);
	assert_int_equal(sl_json_reader_next(r, &doc, NULL), SL_ECORRUPT); /* no '[': fatal */
	assert_int_equal(sl_json_reader_next(r, &doc, NULL), SL_ECORRUPT);
	sl_json_reader_close(r);
	fclose(f);
}

/* Counting the rest without parsing (the crawler past its sample) gives the records that
 * reading them would: blank and CRLF lines skipped, bad lines counted, whatever was read
 * before, plain or compressed; arrays are read as records. */
static int64_t count_after(const void *data, size_t len, enum sl_json_framing fr, int64_t first,
			   const struct sl_json_limits *lim, int *rc_out)
{
	FILE *f = tmpfile();
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fflush(f);
	lseek(fileno(f), 0, SEEK_SET);
	struct sl_json_reader *r = NULL;
	struct sl_err err = {0};
	assert_int_equal(sl_json_reader_open(fileno(f), "t", fr, lim, &r, &err), 0);
	int64_t n = 0;
	struct sl_json_doc doc;
	struct sl_json_error e;
	for (int64_t i = 0; i < first; i++) {
		int got = sl_json_reader_next(r, &doc, &e);
		assert_true(got == 1 || (got < 0 && !e.fatal));
		n++;
	}
	*rc_out = sl_json_reader_count_rest(r, &n, &e);
	sl_json_reader_close(r);
	fclose(f);
	return n;
}

static void test_count_rest(void **state)
{
	(void)state;
	size_t len, gz_len, zs_len;
	char *s = sample_ndjson(&len);
	int rc;
	/* what reading gives */
	struct evs all = {0};
	read_mem(s, len, SL_JSON_FRAME_NDJSON, NULL, &all);
	int64_t want = (int64_t)all.n;
	evs_free(&all);
	assert_true(want > 29000);
	assert_int_equal(count_after(s, len, SL_JSON_FRAME_NDJSON, 0, NULL, &rc), want);
	assert_int_equal(rc, 0);
	assert_int_equal(count_after(s, len, SL_JSON_FRAME_AUTO, 0, NULL, &rc), want);
	assert_int_equal(count_after(s, len, SL_JSON_FRAME_NDJSON, 1234, NULL, &rc), want);
	unsigned char *gz = gzip_mem(s, len, &gz_len);
	unsigned char *zs = zstd_mem(s, len, 1, &zs_len);
	assert_int_equal(count_after(gz, gz_len, SL_JSON_FRAME_NDJSON, 10, NULL, &rc), want);
	assert_int_equal(count_after(zs, zs_len, SL_JSON_FRAME_NDJSON, 0, NULL, &rc), want);
	assert_int_equal(rc, 0);
	/* a truncated gzip stream is an error, not a count */
	count_after(gz, gz_len / 2, SL_JSON_FRAME_NDJSON, 0, NULL, &rc);
	assert_int_equal(rc, SL_ECORRUPT);
	free(gz);
	free(zs);
	free(s);
	/* the rest of an over-long line that reading was dropping is not a new record */
	struct sl_json_limits lim;
	sl_json_limits_default(&lim);
	lim.max_record = 64;
	char buf[4096];
	int n = snprintf(buf, sizeof(buf), "{\"a\":1}\n{\"s\":\"");
	memset(buf + n, 'x', 3000);
	n += 3000;
	n += snprintf(buf + n, sizeof(buf) - (size_t)n, "\"}\n \n{\"a\":2}");
	assert_int_equal(count_after(buf, (size_t)n, SL_JSON_FRAME_NDJSON, 2, &lim, &rc), 3);
	/* arrays: records read, an error stops the count */
	const char arr[] = "[{\"a\":1},{\"a\":2},\n{\"a\":3}]";
	assert_int_equal(count_after(arr, strlen(arr), SL_JSON_FRAME_AUTO, 1, NULL, &rc), 3);
	assert_int_equal(rc, 0);
	const char bad[] = "[{\"a\":1},{\"a\":},{\"a\":3}]";
	count_after(bad, strlen(bad), SL_JSON_FRAME_ARRAY, 0, NULL, &rc);
	assert_int_equal(rc, SL_ECORRUPT);
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc == 4 && strcmp(argv[1], "--stream-child") == 0)
		return stream_child_main(argv[2], atoi(argv[3]));
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ndjson_lines_lf_crlf_blank),
		cmocka_unit_test(test_ndjson_errors_do_not_stop_the_stream),
		cmocka_unit_test(test_bom),
		cmocka_unit_test(test_ndjson_record_limit),
		cmocka_unit_test(test_ndjson_crlf_record_at_limit_across_reads),
		cmocka_unit_test(test_ndjson_overlong_line_across_chunks),
		cmocka_unit_test(test_ndjson_positions_across_chunks),
		cmocka_unit_test(test_array_framing),
		cmocka_unit_test(test_array_framing_errors),
		cmocka_unit_test(test_array_across_chunks),
		cmocka_unit_test(test_array_overlong_element_is_not_fatal),
		cmocka_unit_test(test_array_record_at_limit_across_reads),
		cmocka_unit_test(test_document_framing),
		cmocka_unit_test(test_auto_framing),
		cmocka_unit_test(test_auto_ndjson_columns_as_ndjson),
		cmocka_unit_test(test_count_rest),
		cmocka_unit_test(test_gzip_same_records_as_plain),
		cmocka_unit_test(test_gzip_truncated_or_corrupt_is_fatal),
		cmocka_unit_test(test_zstd_same_records_as_plain),
		cmocka_unit_test(test_zstd_truncated_or_corrupt_is_fatal),
		cmocka_unit_test(test_record_text),
		cmocka_unit_test(test_encoders_round_trip),
		cmocka_unit_test(test_memory_bounded_300mb),
		cmocka_unit_test(test_open_and_close),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
