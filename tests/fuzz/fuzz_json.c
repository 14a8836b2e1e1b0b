/*
 * fuzz_json.c - libFuzzer harness for the JSON engine. For any bytes:
 *   1. every stage 1 implementation the CPU has (scalar, AVX2, AVX-512), plain and padded
 *      (sl_json_parse_padded with hostile bytes after the input), gives the same tape or
 *      the same error (code, line, column, offset, message) - with default limits and with
 *      tight ones (depth, string, number, record);
 *   2. an accepted tape keeps json.h's promises (tests/unit/json_tape.h) and builds a tree
 *      with one node per value, which is freed again;
 *   3. the reader, fed the bytes as a file with NDJSON, ARRAY, DOCUMENT and AUTO framing
 *      (and gzip or zstd when the input starts with their magic), ends after at most one
 *      event per byte, yields only tapes that keep their promises, and reports the same
 *      events with the scalar and the fastest implementation.
 * Any difference or broken promise aborts. Never a crash, a leak or a hang.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../unit/json_tape.h"
#include "json/json.h"

enum { N_IMPL = 3 };
static const enum sl_json_impl impl_ids[N_IMPL] = {SL_JSON_IMPL_SCALAR, SL_JSON_IMPL_AVX2,
						   SL_JSON_IMPL_AVX512};
static const char *const impl_names[N_IMPL] = {"scalar", "avx2", "avx512"};

struct set {
	struct sl_json_parser *p[N_IMPL], *pad[N_IMPL]; /* NULL: not on this CPU */
};

static struct set def, tight;
static struct sl_json_limits tight_lim;
static int best = 0; /* index of the fastest implementation present */
static int mem_fd = -1;
static char *padbuf;
static size_t padcap;

static const char hostile[] = "\"\\\"[{1e\x01\xff\x80\\u\"]}:,";

static void die(const char *what, const char *why)
{
	fprintf(stderr, "fuzz_json: %s: %s\n", what, why);
	abort();
}

static void set_init(struct set *s, const struct sl_json_limits *lim)
{
	for (int k = 0; k < N_IMPL; k++) {
		struct sl_json_parser *a = sl_json_parser_new(lim), *b = sl_json_parser_new(lim);
		if (!a || !b)
			die("init", "out of memory");
		if (sl_json_parser_set_impl(a, impl_ids[k]) != 0) {
			sl_json_parser_free(a);
			sl_json_parser_free(b);
			continue;
		}
		sl_json_parser_set_impl(b, impl_ids[k]);
		s->p[k] = a;
		s->pad[k] = b;
		best = k > best ? k : best;
	}
}

static void init(void)
{
	sl_json_limits_default(&tight_lim);
	tight_lim.max_depth = 6;
	tight_lim.max_string = 12;
	tight_lim.max_number = 7;
	tight_lim.max_record = 300;
	set_init(&def, NULL);
	set_init(&tight, &tight_lim);
	mem_fd = memfd_create("fuzz_json", 0);
	if (mem_fd < 0)
		die("init", "memfd_create failed");
}

/* Parses with every implementation, plain and padded; returns the scalar result. */
static int parse_all(struct set *s, const char *what, const char *buf, size_t len,
		     struct sl_json_doc *doc, struct sl_json_error *e)
{
	memset(e, 0, sizeof(*e));
	int rc = sl_json_parse(s->p[0], buf, len, doc, e);
	if (rc == 0) {
		const char *why = jt_check_tape(doc);
		if (why)
			die(what, why);
	} else if (e->msg[0] == '\0' || e->fatal || e->pos.offset < 0 ||
		   (size_t)e->pos.offset > len || e->pos.line < 1 || e->pos.column < 1) {
		die(what, "an error without a message or with a bad position");
	}
	if (len + SL_JSON_PADDING > padcap) {
		padcap = len + SL_JSON_PADDING;
		padbuf = realloc(padbuf, padcap);
		if (!padbuf)
			die(what, "out of memory");
	}
	memcpy(padbuf, buf, len);
	for (size_t i = 0; i < SL_JSON_PADDING; i++)
		padbuf[len + i] = hostile[(i + len) % (sizeof(hostile) - 1)];
	for (int k = 0; k < N_IMPL; k++) {
		if (!s->p[k])
			continue;
		for (int padded = 0; padded <= 1; padded++) {
			if (k == 0 && !padded)
				continue;
			struct sl_json_doc d2;
			struct sl_json_error e2;
			memset(&e2, 0, sizeof(e2));
			int rc2 = padded ? sl_json_parse_padded(s->pad[k], padbuf, len, &d2, &e2)
					 : sl_json_parse(s->p[k], buf, len, &d2, &e2);
			const char *why = jt_compare_result(rc, doc, e, rc2, &d2, &e2);
			if (why) {
				fprintf(stderr, "fuzz_json: %s: scalar and %s%s differ\n", what,
					impl_names[k], padded ? " (padded)" : "");
				die(what, why);
			}
		}
	}
	return rc;
}

/* A tree has one node per value of the tape (not KEY, not END); counted without
 * recursion. */
static void check_tree(const struct sl_json_doc *doc)
{
	struct sl_json_node *root = sl_json_tree(doc);
	if (!root)
		die("tree", "sl_json_tree failed on an accepted record");
	size_t values = 0, nodes = 0, n = 0, cap = 64;
	for (size_t i = 0; i < doc->n_tok; i++)
		values += doc->tok[i].type != SL_JSON_KEY && doc->tok[i].type != SL_JSON_END;
	const struct sl_json_node **todo = malloc(cap * sizeof(*todo));
	if (!todo)
		die("tree", "out of memory");
	todo[n++] = root;
	while (n) {
		const struct sl_json_node *x = todo[--n];
		nodes++;
		if (x->type == SL_JSON_OBJECT || x->type == SL_JSON_ARRAY) {
			for (size_t i = 0; i < x->u.c.n; i++) {
				if (n == cap) {
					cap *= 2;
					todo = realloc(todo, cap * sizeof(*todo));
					if (!todo)
						die("tree", "out of memory");
				}
				todo[n++] = x->u.c.items[i];
			}
			/* sl_json_get finds the last member of each name */
			if (x->type == SL_JSON_OBJECT && x->u.c.n > 0) {
				size_t last = x->u.c.n - 1;
				if (strlen(x->u.c.keys[last]) == x->u.c.key_lens[last] &&
				    sl_json_get(x, x->u.c.keys[last]) != x->u.c.items[last])
					die("tree", "sl_json_get does not return the last member");
			}
		}
	}
	free(todo);
	if (nodes != values)
		die("tree", "the tree does not have one node per value");
	sl_json_tree_free(root);
}

/* ---- the reader ---------------------------------------------------------------------- */

struct rev {
	int rc, code, fatal;
	struct sl_json_pos pos;
	size_t len, n_tok;
	uint64_t hash; /* of the record text or the message */
};

#define MAX_EVENTS 4096

static uint64_t fnv(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

/* Reads the memfd to its end; returns the number of events, stored (up to MAX_EVENTS)
 * in ev. */
static size_t read_all(enum sl_json_framing fr, const struct sl_json_limits *lim, int impl,
		       struct rev *ev)
{
	if (lseek(mem_fd, 0, SEEK_SET) != 0)
		die("reader", "lseek failed");
	struct sl_json_reader *r;
	struct sl_err err = {0};
	if (sl_json_reader_open(mem_fd, "fuzz", fr, lim, &r, &err) != 0)
		die("reader", err.msg);
	if (sl_json_parser_set_impl(sl_json_reader_parser(r), impl_ids[impl]) != 0)
		die("reader", "set_impl failed");
	size_t n = 0;
	for (;;) {
		struct sl_json_doc doc;
		struct sl_json_error e;
		memset(&e, 0, sizeof(e));
		int rc = sl_json_reader_next(r, &doc, &e);
		if (rc == 0)
			break;
		struct rev x;
		memset(&x, 0, sizeof(x)); /* padding too: events are compared with memcmp */
		x.rc = rc;
		if (rc > 0) {
			const char *why = jt_check_tape(&doc);
			if (why)
				die("reader record", why);
			x.pos = doc.pos;
			x.len = doc.len;
			x.n_tok = doc.n_tok;
			x.hash = fnv(doc.text, doc.len);
		} else {
			if (e.msg[0] == '\0' || rc != e.code)
				die("reader", "an error without a message");
			x.code = e.code;
			x.fatal = e.fatal;
			x.pos = e.pos;
			x.hash = fnv(e.msg, strlen(e.msg));
		}
		if (n < MAX_EVENTS)
			ev[n] = x;
		n++;
		/* every event consumes at least one byte of the (decompressed) stream */
		int64_t decoded;
		sl_json_reader_bytes(r, &decoded, NULL);
		if ((int64_t)n > decoded + 4)
			die("reader", "more events than bytes: the reader does not end");
		if (rc < 0 && e.fatal)
			break;
	}
	sl_json_reader_close(r);
	return n;
}

static struct rev ev_a[MAX_EVENTS], ev_b[MAX_EVENTS];

static void check_reader(enum sl_json_framing fr, const struct sl_json_limits *lim,
			 int compare)
{
	size_t na = read_all(fr, lim, 0, ev_a);
	if (!compare || best == 0)
		return;
	size_t nb = read_all(fr, lim, best, ev_b);
	if (na != nb)
		die("reader", "scalar and the fastest implementation give different event counts");
	for (size_t i = 0; i < na && i < MAX_EVENTS; i++)
		if (memcmp(&ev_a[i], &ev_b[i], sizeof(ev_a[i])) != 0)
			die("reader", "scalar and the fastest implementation give different events");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (mem_fd < 0)
		init();
	const char *buf = (const char *)data;
	struct sl_json_doc doc;
	struct sl_json_error e;

	if (parse_all(&def, "default limits", buf, size, &doc, &e) == 0)
		check_tree(&doc);
	parse_all(&tight, "tight limits", buf, size, &doc, &e);

	if (ftruncate(mem_fd, 0) != 0 || pwrite(mem_fd, data, size, 0) != (ssize_t)size)
		die("reader", "cannot write the memfd");
	struct sl_json_limits small;
	sl_json_limits_default(&small);
	small.max_record = 16;
	/* NDJSON and ARRAY with both implementations every time; one of the other ways,
	 * chosen by the input, too (each reader costs a few MiB of buffers, which ASan
	 * poisons: doing all of them every time would halve the executions) */
	check_reader(SL_JSON_FRAME_NDJSON, NULL, 1);
	check_reader(SL_JSON_FRAME_ARRAY, NULL, 1);
	switch (size % 4) {
	case 0: check_reader(SL_JSON_FRAME_NDJSON, &small, 0); break;
	case 1: check_reader(SL_JSON_FRAME_ARRAY, &small, 0); break;
	case 2: check_reader(SL_JSON_FRAME_DOCUMENT, NULL, 0); break;
	default: check_reader(SL_JSON_FRAME_AUTO, NULL, 0); break;
	}
	return 0;
}
