/*
 * test_json.c - the JSON parser (src/json/parse.c, stage1_scalar.c, stage1_avx2.c,
 * tree.c): the JSONTestSuite conformance files, with every i_ file decided as the table
 * below (and docs/json.md) says; the scalar and AVX2 implementations giving identical
 * tapes and errors on every input; the tape of a nested record; exact integers and
 * correctly rounded, locale-independent doubles; escapes, surrogates and UTF-8; duplicate
 * keys; limits; error positions; and the tree.
 *
 * Every parse in this file goes through parse2(), which runs both implementations (when
 * the CPU has AVX2) and fails the test on any difference.
 *
 * The conformance files are read from $SLUICE_CONFORMANCE (the folder that holds
 * json-parsing/), else from the copy kept in tests/conformance (found from this file's
 * path), which must equal ../shared/conformance when that exists.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "json/json.h"
#include "json_tape.h"

/* ---- both implementations on every input ---------------------------------------------- */

/* The implementations this CPU has: [0] is the scalar reference. */
enum { N_IMPL = 3 };
static const enum sl_json_impl impl_ids[N_IMPL] = {SL_JSON_IMPL_SCALAR, SL_JSON_IMPL_AVX2,
						   SL_JSON_IMPL_AVX512};
static const char *const impl_names[N_IMPL] = {"scalar", "avx2", "avx512"};
static bool impl_present[N_IMPL];

struct pair {
	struct sl_json_parser *p[N_IMPL];   /* NULL where the CPU lacks the implementation */
	struct sl_json_parser *pad[N_IMPL]; /* the same, for sl_json_parse_padded */
};

static struct pair defaults;
static char *padded_buf; /* a copy of the record followed by SL_JSON_PADDING bytes */
static size_t padded_cap;
static unsigned padded_calls;

static void pair_init(struct pair *pp, const struct sl_json_limits *lim)
{
	for (int k = 0; k < N_IMPL; k++) {
		pp->p[k] = pp->pad[k] = NULL;
		if (!impl_present[k])
			continue;
		pp->p[k] = sl_json_parser_new(lim);
		pp->pad[k] = sl_json_parser_new(lim);
		assert_non_null(pp->p[k]);
		assert_non_null(pp->pad[k]);
		assert_int_equal(sl_json_parser_set_impl(pp->p[k], impl_ids[k]), 0);
		assert_int_equal(sl_json_parser_set_impl(pp->pad[k], impl_ids[k]), 0);
		assert_string_equal(sl_json_parser_impl_name(pp->p[k]), impl_names[k]);
	}
}

static void pair_release(struct pair *pp)
{
	for (int k = 0; k < N_IMPL; k++) {
		sl_json_parser_free(pp->p[k]);
		sl_json_parser_free(pp->pad[k]);
		pp->p[k] = pp->pad[k] = NULL;
	}
}

/* Bytes a careless read past the end would misread: quotes, backslashes, brackets,
 * digits, control characters and invalid UTF-8. */
static const char hostile_padding[] = "\"\\\"[{1e\x01\xff\x80\\u\"]}:,";

/* Parses with every implementation, plain and padded (sl_json_parse_padded, with
 * hostile bytes after the record), and fails on any difference, or on a successful tape
 * that breaks json.h's promises; returns the scalar result in doc / e. */
static int pair_parse(struct pair *pp, const char *what, const char *buf, size_t len,
		      struct sl_json_doc *doc, struct sl_json_error *e)
{
	struct sl_json_doc d2;
	struct sl_json_error e2;
	memset(doc, 0, sizeof(*doc));
	memset(e, 0, sizeof(*e));
	int rc = sl_json_parse(pp->p[0], buf, len, doc, e);
	if (rc == 0) {
		const char *why = jt_check_tape(doc);
		if (why)
			fail_msg("%s: scalar tape: %s", what, why);
	} else if (e->msg[0] == '\0' || e->pos.offset < 0 || (size_t)e->pos.offset > len ||
		   e->pos.line < 1 || e->pos.column < 1 || e->fatal) {
		fail_msg("%s: error without a message or with a bad position", what);
	}
	if (len + SL_JSON_PADDING > padded_cap) {
		padded_cap = len + SL_JSON_PADDING;
		padded_buf = realloc(padded_buf, padded_cap);
		assert_non_null(padded_buf);
	}
	memcpy(padded_buf, buf, len);
	size_t shift = padded_calls++ % (sizeof(hostile_padding) - 1);
	for (size_t i = 0; i < SL_JSON_PADDING; i++)
		padded_buf[len + i] = hostile_padding[(i + shift) % (sizeof(hostile_padding) - 1)];
	for (int k = 0; k < N_IMPL; k++) {
		if (!pp->p[k])
			continue;
		for (int padded = 0; padded <= 1; padded++) {
			if (k == 0 && !padded)
				continue; /* the reference itself */
			memset(&d2, 0, sizeof(d2));
			memset(&e2, 0, sizeof(e2));
			int rc2 = padded ? sl_json_parse_padded(pp->pad[k], padded_buf, len, &d2, &e2)
					 : sl_json_parse(pp->p[k], buf, len, &d2, &e2);
			const char *why = jt_compare_result(rc, doc, e, rc2, &d2, &e2);
			if (why)
				fail_msg("%s: scalar and %s%s differ: %s", what, impl_names[k],
					 padded ? " (padded)" : "", why);
		}
	}
	return rc;
}

static int parse2(const char *what, const char *buf, size_t len, struct sl_json_doc *doc,
		  struct sl_json_error *e)
{
	return pair_parse(&defaults, what, buf, len, doc, e);
}

/* For literal C strings. */
static int parse_s(const char *s, struct sl_json_doc *doc, struct sl_json_error *e)
{
	return parse2(s, s, strlen(s), doc, e);
}

static void expect_error(const char *s, int code, int64_t offset, const char *needle)
{
	struct sl_json_doc doc;
	struct sl_json_error e;
	int rc = parse_s(s, &doc, &e);
	if (rc != code || e.code != code)
		fail_msg("'%s': rc %d, expected %d (%s)", s, rc, code, rc ? e.msg : "accepted");
	if (offset >= 0 && e.pos.offset != offset)
		fail_msg("'%s': error at offset %lld, expected %lld (%s)", s,
			 (long long)e.pos.offset, (long long)offset, e.msg);
	if (needle && !strstr(e.msg, needle))
		fail_msg("'%s': message '%s' lacks '%s'", s, e.msg, needle);
}

static void expect_ok(const char *s)
{
	struct sl_json_doc doc;
	struct sl_json_error e;
	if (parse_s(s, &doc, &e) != 0)
		fail_msg("'%s' rejected: %s (offset %lld)", s, e.msg, (long long)e.pos.offset);
}

static int group_setup(void **state)
{
	(void)state;
	struct sl_json_parser *p = sl_json_parser_new(NULL);
	if (!p)
		return -1;
	for (int k = 0; k < N_IMPL; k++) {
		impl_present[k] = sl_json_parser_set_impl(p, impl_ids[k]) == 0;
		if (!impl_present[k])
			print_message("[ NOTE     ] this CPU lacks %s: that implementation is not "
				      "tested\n", impl_names[k]);
	}
	sl_json_parser_free(p);
	if (!impl_present[0])
		return -1;
	pair_init(&defaults, NULL);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	pair_release(&defaults);
	free(padded_buf);
	return 0;
}

/* "scalar, avx2, avx512" as present. */
static const char *impls_tested(void)
{
	static char buf[64];
	buf[0] = '\0';
	for (int k = 0; k < N_IMPL; k++)
		if (impl_present[k])
			snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s",
				 buf[0] ? ", " : "", impl_names[k]);
	return buf;
}

/* ---- conformance ------------------------------------------------------------------------ */

/* The folder of JSONTestSuite's test_parsing files; malloc'd: $SLUICE_CONFORMANCE if
 * set, else the copy kept with the tests (tests/conformance, see its README). */
static char *conformance_dir(void)
{
	return th_conformance_dir("json-parsing/test_parsing");
}

/* The copy in tests/conformance must equal the shared folder beside the repository,
 * when there is one: a refresh upstream must not go unnoticed. */
static void test_conformance_copy_is_exact(void **state)
{
	(void)state;
	char *repo = th_repo_dir(), *shared = NULL, *mine = NULL;
	assert_true(asprintf(&shared, "%s/../shared/conformance/json-parsing/test_parsing", repo) > 0);
	assert_true(asprintf(&mine, "%s/tests/conformance/json-parsing/test_parsing", repo) > 0);
	DIR *d = opendir(shared);
	if (!d) {
		print_message("no shared conformance folder beside the repository: nothing to compare\n");
	} else {
		struct dirent *de;
		int files = 0;
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			char *a = NULL, *b = NULL;
			assert_true(asprintf(&a, "%s/%s", shared, de->d_name) > 0);
			assert_true(asprintf(&b, "%s/%s", mine, de->d_name) > 0);
			size_t la, lb;
			char *x = th_read_file(a, &la), *y = th_read_file(b, &lb);
			if (la != lb || memcmp(x, y, la) != 0)
				fail_msg("%s differs from the shared copy", de->d_name);
			free(x);
			free(y);
			free(a);
			free(b);
			files++;
		}
		closedir(d);
		assert_true(files > 300);
	}
	free(shared);
	free(mine);
	free(repo);
}

enum verdict { ACCEPT, REJECT };

/* Our decision for each implementation-defined (i_) file of JSONTestSuite. Accepted
 * numbers name the type of the array's element; rejections name a word of the message.
 * The same table is in docs/json.md. */
static const struct i_decision {
	const char *file;
	enum verdict verdict;
	int type;           /* ACCEPT: type of tok[1] (the element), 0 = not checked */
	const char *needle; /* REJECT: part of the message */
} i_decisions[] = {
	/* numbers: overflow of a double is an error; big integers are kept as text;
	 * underflow rounds to zero */
	{"i_number_double_huge_neg_exp.json", ACCEPT, SL_JSON_DOUBLE, NULL},
	{"i_number_huge_exp.json", REJECT, 0, "out of the range of a double"},
	{"i_number_neg_int_huge_exp.json", REJECT, 0, "out of the range of a double"},
	{"i_number_pos_double_huge_exp.json", REJECT, 0, "out of the range of a double"},
	{"i_number_real_neg_overflow.json", REJECT, 0, "out of the range of a double"},
	{"i_number_real_pos_overflow.json", REJECT, 0, "out of the range of a double"},
	{"i_number_real_underflow.json", ACCEPT, SL_JSON_DOUBLE, NULL},
	{"i_number_too_big_neg_int.json", ACCEPT, SL_JSON_BIGINT, NULL},
	{"i_number_too_big_pos_int.json", ACCEPT, SL_JSON_BIGINT, NULL},
	{"i_number_very_big_negative_int.json", ACCEPT, SL_JSON_BIGINT, NULL},
	/* escapes of lone or invalid surrogates are errors */
	{"i_object_key_lone_2nd_surrogate.json", REJECT, 0, "surrogate"},
	{"i_string_1st_surrogate_but_2nd_missing.json", REJECT, 0, "surrogate"},
	{"i_string_1st_valid_surrogate_2nd_invalid.json", REJECT, 0, "surrogate"},
	{"i_string_incomplete_surrogate_and_escape_valid.json", REJECT, 0, "surrogate"},
	{"i_string_incomplete_surrogate_pair.json", REJECT, 0, "surrogate"},
	{"i_string_incomplete_surrogates_escape_valid.json", REJECT, 0, "surrogate"},
	{"i_string_invalid_lonely_surrogate.json", REJECT, 0, "surrogate"},
	{"i_string_invalid_surrogate.json", REJECT, 0, "surrogate"},
	{"i_string_inverted_surrogates_U+1D11E.json", REJECT, 0, "surrogate"},
	{"i_string_lone_second_surrogate.json", REJECT, 0, "surrogate"},
	/* input must be UTF-8: invalid sequences and UTF-16 are errors */
	{"i_string_UTF-16LE_with_BOM.json", REJECT, 0, "UTF-8"},
	{"i_string_UTF-8_invalid_sequence.json", REJECT, 0, "UTF-8"},
	{"i_string_UTF8_surrogate_U+D800.json", REJECT, 0, "UTF-8"},
	{"i_string_invalid_utf-8.json", REJECT, 0, "UTF-8"},
	{"i_string_iso_latin_1.json", REJECT, 0, "UTF-8"},
	{"i_string_lone_utf8_continuation_byte.json", REJECT, 0, "UTF-8"},
	{"i_string_not_in_unicode_range.json", REJECT, 0, "UTF-8"},
	{"i_string_overlong_sequence_2_bytes.json", REJECT, 0, "UTF-8"},
	{"i_string_overlong_sequence_6_bytes.json", REJECT, 0, "UTF-8"},
	{"i_string_overlong_sequence_6_bytes_null.json", REJECT, 0, "UTF-8"},
	{"i_string_truncated-utf-8.json", REJECT, 0, "UTF-8"},
	{"i_string_utf16BE_no_BOM.json", REJECT, 0, "byte 0x00"},
	{"i_string_utf16LE_no_BOM.json", REJECT, 0, "byte 0x00"},
	/* 500 levels are within the default depth limit of 512 */
	{"i_structure_500_nested_arrays.json", ACCEPT, SL_JSON_ARRAY, NULL},
	/* a BOM is not JSON: sl_json_parse rejects it, the reader skips it (tested below) */
	{"i_structure_UTF-8_BOM_empty_object.json", REJECT, 0, "byte 0xef"},
};

static const struct i_decision *find_decision(const char *name)
{
	for (size_t i = 0; i < sizeof(i_decisions) / sizeof(i_decisions[0]); i++)
		if (strcmp(i_decisions[i].file, name) == 0)
			return &i_decisions[i];
	return NULL;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_conformance(void **state)
{
	(void)state;
	char *dir = conformance_dir();
	DIR *d = opendir(dir);
	if (!d)
		fail_msg("cannot open the conformance files at %s (%s): set SLUICE_CONFORMANCE to "
			 "the folder that holds json-parsing/", dir, strerror(errno));
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || !strstr(de->d_name, ".json"))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 512;
			names = realloc(names, cap * sizeof(*names));
			assert_non_null(names);
		}
		names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), by_name);

	int n_y = 0, n_n = 0, n_i = 0;
	bool seen[sizeof(i_decisions) / sizeof(i_decisions[0])] = {0};
	for (size_t k = 0; k < n; k++) {
		const char *name = names[k];
		char *path;
		size_t len;
		assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
		char *buf = th_read_file(path, &len);
		struct sl_json_doc doc;
		struct sl_json_error e;
		int rc = parse2(name, buf, len, &doc, &e);
		if (name[0] == 'y') {
			n_y++;
			if (rc != 0)
				fail_msg("%s must be accepted: %s (offset %lld)", name, e.msg,
					 (long long)e.pos.offset);
		} else if (name[0] == 'n') {
			n_n++;
			if (rc == 0)
				fail_msg("%s must be rejected", name);
			if (e.code != SL_ECORRUPT && e.code != SL_ELIMIT)
				fail_msg("%s: error code %d", name, e.code);
		} else if (name[0] == 'i') {
			n_i++;
			const struct i_decision *dec = find_decision(name);
			if (!dec)
				fail_msg("%s has no decision in the table of i_ files: decide it (and "
					 "document it in docs/json.md)", name);
			seen[dec - i_decisions] = true;
			if (dec->verdict == ACCEPT) {
				if (rc != 0)
					fail_msg("%s must be accepted: %s", name, e.msg);
				assert_true(doc.n_tok >= 2);
				assert_int_equal(doc.tok[0].type, SL_JSON_ARRAY);
				if (dec->type)
					assert_int_equal(doc.tok[1].type, dec->type);
				if (doc.tok[1].type == SL_JSON_DOUBLE) /* underflow: zero */
					assert_true(doc.tok[1].v.d == 0.0);
				if (doc.tok[1].type == SL_JSON_BIGINT) {
					/* the exact digits, as written */
					const char *lb = memchr(buf, '[', len), *rb = memchr(buf, ']', len);
					assert_int_equal(doc.tok[1].len, rb - lb - 1);
					assert_memory_equal(doc.tok[1].v.s, lb + 1, doc.tok[1].len);
				}
			} else {
				if (rc == 0)
					fail_msg("%s must be rejected", name);
				assert_int_equal(e.code, SL_ECORRUPT);
				if (!strstr(e.msg, dec->needle))
					fail_msg("%s: message '%s' lacks '%s'", name, e.msg, dec->needle);
			}
		}
		free(buf);
		free(path);
		free(names[k]);
	}
	free(names);
	for (size_t k = 0; k < sizeof(seen) / sizeof(seen[0]); k++)
		if (!seen[k])
			fail_msg("%s is in the table but not in %s", i_decisions[k].file, dir);
	print_message("[ INFO     ] conformance: %d y_, %d n_, %d i_ files; identical results "
		      "from %s, plain and padded\n", n_y, n_n, n_i, impls_tested());
	assert_true(n_y >= 90 && n_n >= 180 && n_i >= 30);
	free(dir);
}

/* i_structure_UTF-8_BOM_empty_object.json: rejected by sl_json_parse (above), but a
 * stream that starts with a BOM is read by the reader as if the BOM were not there. */
static void test_conformance_bom_through_reader(void **state)
{
	(void)state;
	char *dir = conformance_dir(), *path;
	assert_true(asprintf(&path, "%s/i_structure_UTF-8_BOM_empty_object.json", dir) > 0);
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	struct sl_json_reader *r;
	struct sl_err err = {0};
	assert_int_equal(sl_json_reader_open(fd, path, SL_JSON_FRAME_DOCUMENT, NULL, &r, &err), 0);
	struct sl_json_doc doc;
	struct sl_json_error e;
	assert_int_equal(sl_json_reader_next(r, &doc, &e), 1);
	assert_int_equal(doc.n_tok, 2);
	assert_int_equal(doc.tok[0].type, SL_JSON_OBJECT);
	assert_int_equal(doc.tok[0].len, 0);
	assert_int_equal(doc.pos.offset, 3);
	assert_int_equal(doc.pos.line, 1);
	assert_int_equal(doc.pos.column, 1);
	assert_int_equal(sl_json_reader_next(r, &doc, &e), 0);
	sl_json_reader_close(r);
	close(fd);
	free(path);
	free(dir);
}

/* ---- implementations ------------------------------------------------------------------ */

static void test_impl_selection(void **state)
{
	(void)state;
	struct sl_json_parser *p = sl_json_parser_new(NULL);
	assert_non_null(p);
	/* AUTO picks the fastest the CPU has */
	const char *best = impl_present[2] ? "avx512" : impl_present[1] ? "avx2" : "scalar";
	assert_string_equal(sl_json_parser_impl_name(p), best);
	for (int k = 0; k < N_IMPL; k++) {
		assert_int_equal(sl_json_parser_set_impl(p, SL_JSON_IMPL_SCALAR), 0);
		int rc = sl_json_parser_set_impl(p, impl_ids[k]);
		assert_int_equal(rc, impl_present[k] ? 0 : SL_EINVAL);
		/* refused: the parser keeps what it had */
		assert_string_equal(sl_json_parser_impl_name(p),
				    impl_present[k] ? impl_names[k] : "scalar");
	}
	assert_int_equal(sl_json_parser_set_impl(p, SL_JSON_IMPL_AUTO), 0);
	assert_string_equal(sl_json_parser_impl_name(p), best);
	sl_json_parser_free(p);
	sl_json_parser_free(NULL); /* _free accepts NULL */
}

/* ---- the tape ---------------------------------------------------------------------------- */

static void test_tape_of_nested_record(void **state)
{
	(void)state;
	const char *r = "{\"id\":7,\"user\":{\"name\":\"a\\\"b\",\"tags\":[\"x\",[],-2.5e1]},"
			"\"ok\":true,\"n\":null,\"e\":{}}";
	static const struct {
		int type, depth;
		uint32_t len, off, end;
		const char *s;
	} want[] = {
		{SL_JSON_OBJECT, 0, 5, 0, 22, NULL},
		{SL_JSON_KEY, 1, 2, 1, 0, "id"},
		{SL_JSON_INT, 1, 1, 6, 0, NULL},
		{SL_JSON_KEY, 1, 4, 8, 0, "user"},
		{SL_JSON_OBJECT, 1, 2, 15, 14, NULL},
		{SL_JSON_KEY, 2, 4, 16, 0, "name"},
		{SL_JSON_STRING, 2, 3, 23, 0, "a\"b"},
		{SL_JSON_KEY, 2, 4, 30, 0, "tags"},
		{SL_JSON_ARRAY, 2, 3, 37, 13, NULL},
		{SL_JSON_STRING, 3, 1, 38, 0, "x"},
		{SL_JSON_ARRAY, 3, 0, 42, 11, NULL},
		{SL_JSON_END, 3, 0, 43, 0, NULL},
		{SL_JSON_DOUBLE, 3, 6, 45, 0, NULL},
		{SL_JSON_END, 2, 0, 51, 0, NULL},
		{SL_JSON_END, 1, 0, 52, 0, NULL},
		{SL_JSON_KEY, 1, 2, 54, 0, "ok"},
		{SL_JSON_TRUE, 1, 4, 59, 0, NULL},
		{SL_JSON_KEY, 1, 1, 64, 0, "n"},
		{SL_JSON_NULL, 1, 4, 68, 0, NULL},
		{SL_JSON_KEY, 1, 1, 73, 0, "e"},
		{SL_JSON_OBJECT, 1, 0, 77, 21, NULL},
		{SL_JSON_END, 1, 0, 78, 0, NULL},
		{SL_JSON_END, 0, 0, 79, 0, NULL},
	};
	struct sl_json_doc doc;
	struct sl_json_error e;
	assert_int_equal(parse_s(r, &doc, &e), 0);
	assert_int_equal(doc.n_tok, sizeof(want) / sizeof(want[0]));
	assert_ptr_equal(doc.text, r);
	assert_int_equal(doc.len, strlen(r));
	assert_int_equal(doc.max_depth, 4);
	assert_false(doc.dup_keys);
	for (size_t i = 0; i < doc.n_tok; i++) {
		const struct sl_json_tok *t = &doc.tok[i];
		if (t->type != want[i].type || t->depth != want[i].depth || t->off != want[i].off ||
		    (t->type != SL_JSON_END && t->len != want[i].len))
			fail_msg("token %zu: type %u depth %u len %u off %u, expected %d %d %u %u", i,
				 t->type, t->depth, t->len, t->off, want[i].type, want[i].depth,
				 want[i].len, want[i].off);
		if (t->type == SL_JSON_OBJECT || t->type == SL_JSON_ARRAY) {
			assert_int_equal(t->v.end, want[i].end);
			assert_int_equal(doc.tok[t->v.end].type, SL_JSON_END);
		}
		if (want[i].s) {
			assert_int_equal(t->len, strlen(want[i].s));
			assert_memory_equal(t->v.s, want[i].s, t->len);
		}
	}
	assert_int_equal(doc.tok[2].v.i, 7);
	assert_true(doc.tok[12].v.d == -25.0);
	/* "a\"b" was decoded into a copy; the others point into the record */
	assert_int_equal(doc.tok[6].flags, SL_JSON_F_ESCAPED);
	assert_ptr_equal(doc.tok[9].v.s, r + 39);
	assert_int_equal(doc.tok[9].flags, 0);
	assert_ptr_equal(doc.tok[1].v.s, r + 2);

	/* scalars at the top level, with surrounding whitespace */
	assert_int_equal(parse_s(" \t\r\n \"top\" \n", &doc, &e), 0);
	assert_int_equal(doc.n_tok, 1);
	assert_int_equal(doc.tok[0].type, SL_JSON_STRING);
	assert_int_equal(doc.tok[0].off, 5);
	assert_int_equal(doc.max_depth, 0);
	assert_int_equal(parse_s("null", &doc, &e), 0);
	assert_int_equal(doc.tok[0].type, SL_JSON_NULL);
	assert_int_equal(parse_s("false", &doc, &e), 0);
	assert_int_equal(doc.tok[0].type, SL_JSON_FALSE);
}

/* The tape is borrowed until the next parse: parsing a big record, then a small one, then
 * an error, then a record again gives each its own correct tape (no state leaks from a
 * failed parse, such as the keys of an object left open). */
static void test_parser_reuse(void **state)
{
	(void)state;
	size_t big_len = 1 << 20;
	char *big = malloc(big_len + 1);
	assert_non_null(big);
	size_t o = 0;
	big[o++] = '[';
	while (o < big_len - 16)
		o += (size_t)sprintf(big + o, "{\"k\":%zu},", o);
	big[o++] = '0';
	big[o++] = ']';
	struct sl_json_doc doc;
	struct sl_json_error e;
	assert_int_equal(parse2("big", big, o, &doc, &e), 0);
	assert_false(doc.dup_keys);
	expect_error("{\"a\":{\"b\":1,\"c\":", SL_ECORRUPT, 16, "end of the record");
	assert_int_equal(parse_s("{\"b\":1,\"c\":2,\"a\":3}", &doc, &e), 0);
	assert_false(doc.dup_keys);
	assert_int_equal(doc.n_tok, 8);
	assert_int_equal(doc.tok[6].v.i, 3);
	free(big);
}

/* ---- numbers ------------------------------------------------------------------------------ */

static void test_integers(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		int64_t v;
	} ints[] = {
		{"0", 0},
		{"-0", 0},
		{"7", 7},
		{"-1", -1},
		{"9007199254740993", 9007199254740993LL}, /* not a double: exact as an integer */
		{"999999999999999999", 999999999999999999LL},
		{"1000000000000000000", 1000000000000000000LL},
		{"9223372036854775807", INT64_MAX},
		{"-9223372036854775807", -INT64_MAX},
		{"-9223372036854775808", INT64_MIN},
	};
	struct sl_json_doc doc;
	struct sl_json_error e;
	char buf[64];
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		snprintf(buf, sizeof(buf), "[%s]", ints[i].text);
		assert_int_equal(parse_s(buf, &doc, &e), 0);
		if (doc.tok[1].type != SL_JSON_INT || doc.tok[1].v.i != ints[i].v)
			fail_msg("%s: type %u value %lld", ints[i].text, doc.tok[1].type,
				 (long long)doc.tok[1].v.i);
		assert_int_equal(doc.tok[1].off, 1);
		assert_int_equal(doc.tok[1].len, strlen(ints[i].text));
	}
	/* beyond int64: never wrapped, kept as the exact text */
	static const char *const big[] = {
		"9223372036854775808", "-9223372036854775809", "18446744073709551615",
		"18446744073709551616", "10000000000000000000", "-10000000000000000000",
		"123456789012345678901234567890123456789",
	};
	for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
		snprintf(buf, sizeof(buf), "{\"n\": %s}", big[i]);
		assert_int_equal(parse_s(buf, &doc, &e), 0);
		const struct sl_json_tok *t = &doc.tok[2];
		if (t->type != SL_JSON_BIGINT)
			fail_msg("%s: type %u, expected BIGINT", big[i], t->type);
		assert_int_equal(t->off, 6);
		assert_int_equal(t->len, strlen(big[i]));
		assert_ptr_equal(t->v.s, buf + 6);
		assert_memory_equal(buf + t->off, big[i], t->len);
	}
}

/* Every double is the correctly rounded value of its decimal text, as glibc's strtod
 * computes it in the C locale: tricky cases by hand, then random ones. */
static locale_t c_loc;

static void expect_double(const char *text)
{
	char buf[512];
	snprintf(buf, sizeof(buf), "[%s]", text);
	double want = strtod_l(text, NULL, c_loc);
	struct sl_json_doc doc;
	struct sl_json_error e;
	int rc = parse2(text, buf, strlen(buf), &doc, &e);
	if (isinf(want)) {
		if (rc != SL_ECORRUPT || !strstr(e.msg, "out of the range of a double"))
			fail_msg("%s overflows a double: must be rejected (rc %d)", text, rc);
		assert_int_equal(e.pos.offset, 1);
		return;
	}
	if (rc != 0)
		fail_msg("%s rejected: %s", text, e.msg);
	if (doc.tok[1].type != SL_JSON_DOUBLE)
		fail_msg("%s: type %u, expected DOUBLE", text, doc.tok[1].type);
	if (memcmp(&doc.tok[1].v.d, &want, sizeof(want)) != 0)
		fail_msg("%s: got %.17g, strtod gives %.17g", text, doc.tok[1].v.d, want);
	assert_int_equal(doc.tok[1].len, strlen(text));
}

static const char *const tricky_doubles[] = {
	"0.1", "0.2", "0.3", "1e23", "8.98846567431158e307", "2.2250738585072011e-308",
	"2.2250738585072012e-308", "2.2250738585072014e-308", "4.4501477170144023e-308",
	"9007199254740993.0", "9007199254740993e0", "9007199254740992e22",
	"9007199254740993e-22", "1.7976931348623157e308", "1.7976931348623158e308",
	"1.7976931348623159e308", "4.9e-324", "5e-324", "2.4703282292062328e-324",
	"2.4703282292062327e-324", "1e-400", "1e309", "123e-10000000", "1e99999999999999",
	"0e99999999999999", "0.0", "-0.0", "0e0", "0E-5", "1E2", "1e+2", "1e-7",
	"123.456e-2", "1e22", "1e-22", "1.5e-21", "3.0540412e5", "7.3177701707893310e15",
	"0.30000000000000000000000000001", "3.14159265358979323846264338327950288",
	"1.00000000000000011102230246251565404236316680908203125",
	"1.00000000000000011102230246251565404236316680908203126",
	"1.00000000000000011102230246251565404236316680908203124",
	"9007199254740993.00000000000000000001", "123456789012345678901234567890.0",
	"100000000000000000000000e-1", "1000000000000000000000.0",
	"0.000000000000000000000000000000000000001", "12345678901234567890.12345678901234567890",
	"1234567890123456789e-19", "12345678901234567890e-20",
	"0.1000000000000000055511151231257827021181583404541015625",
	"0.1000000000000000055511151231257827021181583404541015624",
	"2.225073858507201136057409796709131975934819546351645648e-308",
	"179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497791.9999999999999999999999999999999999999999999999999999999999999999999999",
};

static void test_doubles_correctly_rounded(void **state)
{
	(void)state;
	c_loc = newlocale(LC_ALL_MASK, "C", (locale_t)0);
	assert_true(c_loc != (locale_t)0);
	char neg[512];
	for (size_t i = 0; i < sizeof(tricky_doubles) / sizeof(tricky_doubles[0]); i++) {
		expect_double(tricky_doubles[i]);
		if (tricky_doubles[i][0] == '-')
			continue;
		snprintf(neg, sizeof(neg), "-%s", tricky_doubles[i]);
		expect_double(neg);
	}
	/* random decimal texts: 1 to 20 integer digits, 0 to 25 fraction digits, exponents
	 * around the double range (fixed seed: the same cases every run) */
	unsigned seed = 20251125;
	char text[128];
	for (int k = 0; k < 50000; k++) {
		size_t o = 0;
		if (rand_r(&seed) & 1)
			text[o++] = '-';
		int nint = 1 + rand_r(&seed) % 20, nfrac = rand_r(&seed) % 26;
		for (int i = 0; i < nint; i++)
			text[o++] = (char)('0' + (i == 0 && nint > 1 ? 1 + rand_r(&seed) % 9
							     : rand_r(&seed) % 10));
		if (nint == 1 && rand_r(&seed) % 3 == 0)
			text[o - 1] = '0';
		if (nfrac) {
			text[o++] = '.';
			for (int i = 0; i < nfrac; i++)
				text[o++] = (char)('0' + rand_r(&seed) % 10);
		}
		if (!nfrac || rand_r(&seed) % 2)
			o += (size_t)snprintf(text + o, sizeof(text) - o, "e%d",
					      (int)(rand_r(&seed) % 700) - 350);
		text[o] = '\0';
		expect_double(text);
	}
	freelocale(c_loc);
}

/* The locale of the process must not change how numbers are read (a decimal comma
 * locale makes strtod stop at '.'). Uses de_DE if installed, else builds it with
 * localedef in a temp dir; skipped (with the reason printed) if neither works. */
static void test_doubles_locale_independent(void **state)
{
	(void)state;
	char *dir = NULL;
	const char *names[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "ru_RU.UTF-8"};
	const char *got = NULL;
	for (size_t i = 0; i < 4 && !got; i++)
		got = setlocale(LC_NUMERIC, names[i]);
	if (!got && access("/usr/bin/localedef", X_OK) == 0) {
		dir = th_tmpdir("locale");
		char *cmd;
		assert_true(asprintf(&cmd, "/usr/bin/localedef -i de_DE -f UTF-8 %s/de_DE.UTF-8 "
				     ">/dev/null 2>&1", dir) > 0);
		if (system(cmd) == 0) {
			setenv("LOCPATH", dir, 1);
			got = setlocale(LC_NUMERIC, "de_DE.UTF-8");
		}
		free(cmd);
	}
	if (!got || strtod("1.5", NULL) == 1.5) {
		setlocale(LC_NUMERIC, "C");
		unsetenv("LOCPATH");
		th_rmtree_free(dir);
		print_message("[ SKIPPED  ] no decimal-comma locale available (de_DE missing and "
			      "localedef failed)\n");
		skip();
	}
	static const char *const texts[] = {"1.5", "0.1", "1e23", "2.2250738585072011e-308",
					    "3.14159265358979323846264338327950288", "-7.25e-3"};
	static const double want[] = {1.5, 0.1, 1e23, 2.2250738585072011e-308,
				      3.14159265358979323846264338327950288, -7.25e-3};
	struct sl_json_parser *p = sl_json_parser_new(NULL); /* made under the comma locale */
	assert_non_null(p);
	char buf[128];
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		snprintf(buf, sizeof(buf), "[%s]", texts[i]);
		struct sl_json_doc doc;
		struct sl_json_error e;
		int rc = parse2(texts[i], buf, strlen(buf), &doc, &e);
		if (rc != 0 || doc.tok[1].type != SL_JSON_DOUBLE || doc.tok[1].v.d != want[i])
			fail_msg("%s under %s: rc %d, %.17g", texts[i], got, rc, doc.tok[1].v.d);
		assert_int_equal(sl_json_parse(p, buf, strlen(buf), &doc, &e), 0);
		assert_true(doc.tok[1].v.d == want[i]);
	}
	sl_json_parser_free(p);
	setlocale(LC_NUMERIC, "C");
	unsetenv("LOCPATH");
	th_rmtree_free(dir);
}

static void test_number_errors(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		int64_t offset;
		const char *needle;
	} bad[] = {
		{"[01]", 1, "leading zero"},
		{"[-01]", 1, "leading zero"},
		{"[00]", 1, "leading zero"},
		{"[-00.5]", 1, "leading zero"},
		{"[-]", 2, "expected a digit"},
		{"[-a]", 2, "expected a digit"},
		{"[- 1]", 2, "expected a digit"},
		{"[--1]", 2, "expected a digit"},
		{"[.5]", 1, "unexpected '.'"},
		{"[+1]", 1, "unexpected '+'"},
		{"[1.]", 3, "digit after '.'"},
		{"[1.e5]", 3, "digit after '.'"},
		{"[1e]", 3, "digit in the exponent"},
		{"[1e+]", 4, "digit in the exponent"},
		{"[1E-]", 4, "digit in the exponent"},
		{"[1.5.2]", 4, "unexpected '.'"},
		{"[1e5e5]", 4, "unexpected 'e'"},
		{"[0x10]", 2, "unexpected 'x'"},
		{"[1a]", 2, "unexpected 'a'"},
		{"[NaN]", 1, "unexpected 'N'"},
		{"[Infinity]", 1, "unexpected 'I'"},
		{"[-Infinity]", 2, "expected a digit"},
		{"[1,2,-]", 6, "expected a digit"},
		{"12 34", 3, "after the value"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_error(bad[i].text, SL_ECORRUPT, bad[i].offset, bad[i].needle);
	expect_ok("[0, -0, 0.0, -0.0, 0e0, 0E+0, 0e-0, 10, 1.0e+10, -1.5E-3]");
}

/* ---- strings ------------------------------------------------------------------------------ */

static void test_string_escapes(void **state)
{
	(void)state;
	const char *r = "[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u00e9\\u20AC\\ud83d\\ude00\\u0000z\"]";
	const char want[] = "\"\\/\b\f\n\r\t"
			    "A\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\0z";
	struct sl_json_doc doc;
	struct sl_json_error e;
	assert_int_equal(parse_s(r, &doc, &e), 0);
	const struct sl_json_tok *t = &doc.tok[1];
	assert_int_equal(t->type, SL_JSON_STRING);
	assert_int_equal(t->flags, SL_JSON_F_ESCAPED);
	assert_int_equal(t->len, sizeof(want) - 1); /* the \u0000 is a NUL byte inside */
	assert_memory_equal(t->v.s, want, t->len);
	assert_int_equal(t->off, 1);

	/* surrogate pairs, upper and lower case hex, at the edges of the planes */
	static const struct {
		const char *esc, *utf8;
	} pairs[] = {
		{"\\uD800\\uDC00", "\xF0\x90\x80\x80"},     /* U+10000 */
		{"\\udbff\\udfff", "\xF4\x8F\xBF\xBF"},     /* U+10FFFF */
		{"\\uD834\\uDD1E", "\xF0\x9D\x84\x9E"},     /* U+1D11E */
		{"\\u007f\\u0080", "\x7F\xC2\x80"},
		{"\\u07FF\\u0800\\uFFFF", "\xDF\xBF\xE0\xA0\x80\xEF\xBF\xBF"},
		{"\\uD7FF\\uE000", "\xED\x9F\xBF\xEE\x80\x80"},
	};
	char buf[128];
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		snprintf(buf, sizeof(buf), "{\"k\\u0031\":\"%s\"}", pairs[i].esc);
		assert_int_equal(parse_s(buf, &doc, &e), 0);
		assert_int_equal(doc.tok[1].type, SL_JSON_KEY);
		assert_int_equal(doc.tok[1].len, 2);
		assert_memory_equal(doc.tok[1].v.s, "k1", 2);
		assert_int_equal(doc.tok[1].flags, SL_JSON_F_ESCAPED);
		assert_int_equal(doc.tok[2].len, strlen(pairs[i].utf8));
		assert_memory_equal(doc.tok[2].v.s, pairs[i].utf8, doc.tok[2].len);
	}

	/* lone and invalid surrogates: the error points at the backslash */
	static const char *const lone[] = {
		"[\"ab\\ud800\"]", "[\"ab\\udc00\"]", "[\"ab\\uDFFF\"]", "[\"ab\\ud800\\u0041\"]",
		"[\"ab\\ud800\\ud800\"]", "[\"ab\\ud800x\"]", "[\"ab\\ud800\\\\udc00\"]",
		"[\"ab\\ud800\\n\"]", "[\"ab\\udc00\\ud800\"]", "[\"ab\\ud800\\udc0\"]",
	};
	for (size_t i = 0; i < sizeof(lone) / sizeof(lone[0]); i++)
		expect_error(lone[i], SL_ECORRUPT, 4, "surrogate");

	/* every other escape is an error, at the backslash */
	for (int c = 0x20; c < 0x7f; c++) {
		if (strchr("\"\\/bfnrtu", c))
			continue;
		snprintf(buf, sizeof(buf), "[\"x\\%c\"]", c);
		expect_error(buf, SL_ECORRUPT, 3, "escape");
	}
	static const char *const badu[] = {"[\"x\\u\"]", "[\"x\\u1\"]", "[\"x\\u12\"]",
					   "[\"x\\u123\"]", "[\"x\\u12g4\"]", "[\"x\\U0041\"]",
					   "[\"x\\u-123\"]", "[\"x\\u 123\"]"};
	for (size_t i = 0; i < sizeof(badu) / sizeof(badu[0]); i++)
		expect_error(badu[i], SL_ECORRUPT, 3, "escape");
}

static void test_string_control_characters(void **state)
{
	(void)state;
	char buf[64];
	for (int c = 0; c < 0x20; c++) {
		int n = snprintf(buf, sizeof(buf), "{\"key\": \"abc?def\"}");
		buf[12] = (char)c;
		struct sl_json_doc doc;
		struct sl_json_error e;
		char what[32];
		snprintf(what, sizeof(what), "control 0x%02x", c);
		int rc = parse2(what, buf, (size_t)n, &doc, &e);
		if (rc != SL_ECORRUPT || e.pos.offset != 12 || !strstr(e.msg, "control character"))
			fail_msg("%s in a string: rc %d offset %lld '%s'", what, rc,
				 (long long)e.pos.offset, e.msg);
		/* and in a key */
		memcpy(buf, "{\"k?y\": 1}", 11);
		buf[3] = (char)c;
		rc = parse2(what, buf, 10, &doc, &e);
		if (rc != SL_ECORRUPT || e.pos.offset != 3)
			fail_msg("%s in a key: rc %d offset %lld", what, rc, (long long)e.pos.offset);
	}
	/* DEL and the whitespace characters outside strings are fine */
	expect_ok("[\"a\x7f" "b\"]");
	expect_ok("\t[\r\n1 ,\t2\n]\r\n");
}

struct bad_utf8 {
	const char *bytes;
	const char *what;
};

static const struct bad_utf8 bad_utf8[] = {
	{"\xC0\xAF", "overlong 2-byte '/'"},
	{"\xC1\xBF", "overlong 2-byte"},
	{"\xE0\x80\xAF", "overlong 3-byte"},
	{"\xE0\x9F\xBF", "overlong 3-byte (U+07FF)"},
	{"\xF0\x80\x80\xAF", "overlong 4-byte"},
	{"\xF0\x8F\xBF\xBF", "overlong 4-byte (U+FFFF)"},
	{"\xED\xA0\x80", "UTF-16 surrogate U+D800 encoded in UTF-8"},
	{"\xED\xBF\xBF", "UTF-16 surrogate U+DFFF encoded in UTF-8"},
	{"\xF4\x90\x80\x80", "U+110000"},
	{"\xF5\x80\x80\x80", "lead byte F5"},
	{"\xF8\x88\x80\x80\x80", "5-byte form"},
	{"\xFC\x84\x80\x80\x80\x80", "6-byte form"},
	{"\xFE", "byte FE"},
	{"\xFF", "byte FF"},
	{"\x80", "lone continuation byte"},
	{"\xBF\xBF", "two continuation bytes"},
	{"\xC3", "truncated 2-byte"},
	{"\xE2\x82", "truncated 3-byte"},
	{"\xF0\x9F\x98", "truncated 4-byte"},
	{"\xE2\x82\x41", "3-byte with an ASCII third byte"},
	{"\xC3\xC3\xA9", "lead byte followed by a lead byte"},
};

/* Invalid UTF-8 anywhere in a string is an error at the first byte of the bad sequence,
 * whatever its position relative to the 64-byte blocks of the AVX2 stage 1. */
static void test_invalid_utf8(void **state)
{
	(void)state;
	char buf[512];
	for (size_t i = 0; i < sizeof(bad_utf8) / sizeof(bad_utf8[0]); i++) {
		for (size_t pad = 0; pad < 140; pad += (pad > 50 && pad < 70) || pad > 120 ? 1 : 7) {
			size_t o = (size_t)sprintf(buf, "{\"ok\": \"\xC3\xA9\", \"s\": \"");
			memset(buf + o, 'p', pad);
			o += pad;
			size_t at = o;
			o += (size_t)sprintf(buf + o, "%s\"}", bad_utf8[i].bytes);
			struct sl_json_doc doc;
			struct sl_json_error e;
			int rc = parse2(bad_utf8[i].what, buf, o, &doc, &e);
			if (rc != SL_ECORRUPT || (size_t)e.pos.offset != at || !strstr(e.msg, "UTF-8"))
				fail_msg("%s after %zu bytes: rc %d, offset %lld (expected %zu): %s",
					 bad_utf8[i].what, pad, rc, (long long)e.pos.offset, at, e.msg);
			/* column counts characters: the é before is one */
			assert_int_equal(e.pos.line, 1);
			assert_int_equal(e.pos.column, (int64_t)at); /* at - 1 characters before */
		}
	}
	/* and at the very end of the input, with no closing quote */
	expect_error("\"abc\xE2\x82", SL_ECORRUPT, 4, "UTF-8");
	/* outside a string too */
	expect_error("[1, \xFF]", SL_ECORRUPT, 4, NULL);
}

/* Valid multi-byte characters are accepted and kept byte for byte wherever they fall,
 * including across the 64-byte blocks of stage 1. */
static void test_valid_utf8_across_blocks(void **state)
{
	(void)state;
	static const char *const chars[] = {"\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80",
					    "\xF4\x8F\xBF\xBF", "\xEF\xBF\xBF", "\xED\x9F\xBF"};
	char buf[512], want[512];
	for (size_t c = 0; c < sizeof(chars) / sizeof(chars[0]); c++) {
		for (size_t pad = 50; pad < 140; pad++) {
			size_t w = 0;
			memset(want, 'q', pad);
			w = pad;
			for (int k = 0; k < 3; k++)
				w += (size_t)sprintf(want + w, "%s", chars[c]);
			int n = snprintf(buf, sizeof(buf), "[\"%.*s\"]", (int)w, want);
			struct sl_json_doc doc;
			struct sl_json_error e;
			if (parse2("valid utf-8", buf, (size_t)n, &doc, &e) != 0)
				fail_msg("char %zu after %zu bytes rejected: %s (offset %lld)", c, pad,
					 e.msg, (long long)e.pos.offset);
			assert_int_equal(doc.tok[1].len, w);
			assert_memory_equal(doc.tok[1].v.s, want, w);
		}
	}
}

/* Quotes after runs of backslashes, around the 64-byte block edges: an even run leaves
 * the quote closing the string, an odd run escapes it. */
static void test_backslash_runs_across_blocks(void **state)
{
	(void)state;
	char buf[512], want[512];
	for (size_t pad = 54; pad < 136; pad++) {
		for (int run = 0; run <= 5; run++) {
			size_t o = 0, w = 0;
			o += (size_t)sprintf(buf, "[\"");
			memset(buf + o, 'a', pad);
			memset(want, 'a', pad);
			o += pad;
			w += pad;
			for (int k = 0; k < run; k++)
				buf[o++] = '\\';
			for (int k = 0; k < run / 2; k++)
				want[w++] = '\\';
			buf[o++] = '"';
			if (run % 2) {
				want[w++] = '"';
				buf[o++] = '"'; /* the escaped quote needs a closing one */
			}
			buf[o++] = ']';
			struct sl_json_doc doc;
			struct sl_json_error e;
			if (parse2("backslash run", buf, o, &doc, &e) != 0)
				fail_msg("pad %zu run %d: %s", pad, run, e.msg);
			assert_int_equal(doc.n_tok, 3);
			assert_int_equal(doc.tok[1].len, w);
			assert_memory_equal(doc.tok[1].v.s, want, w);
		}
	}
}

/* ---- duplicate keys ------------------------------------------------------------------------ */

static int dup_count(const struct sl_json_doc *doc)
{
	int n = 0;
	for (size_t i = 0; i < doc->n_tok; i++)
		n += (doc->tok[i].flags & SL_JSON_F_DUPKEY) != 0;
	return n;
}

static void test_duplicate_keys(void **state)
{
	(void)state;
	struct sl_json_doc doc;
	struct sl_json_error e;
	assert_int_equal(parse_s("{\"a\":1,\"b\":2,\"a\":3}", &doc, &e), 0);
	assert_true(doc.dup_keys);
	assert_int_equal(doc.tok[1].flags & SL_JSON_F_DUPKEY, 0);  /* the first "a" */
	assert_int_equal(doc.tok[3].flags & SL_JSON_F_DUPKEY, 0);  /* "b" */
	assert_int_equal(doc.tok[5].flags & SL_JSON_F_DUPKEY, SL_JSON_F_DUPKEY); /* second "a" */
	assert_int_equal(doc.tok[6].v.i, 3); /* both members are on the tape */
	assert_int_equal(doc.tok[0].len, 3);

	static const struct {
		const char *text;
		int dups;
	} cases[] = {
		{"{\"a\":1}", 0},
		{"{\"o\":{\"x\":1,\"x\":2}}", 1},                      /* nested */
		{"[{\"x\":1,\"y\":{\"z\":[{\"q\":1,\"q\":2}]}}]", 1},     /* deep */
		{"{\"a\":{\"k\":1},\"b\":{\"k\":2}}", 0},               /* siblings */
		{"[{\"k\":1},{\"k\":1}]", 0},                           /* array elements */
		{"{\"k\":{\"k\":{\"k\":1}}}", 0},                       /* same name, nested */
		{"{\"a\":1,\"b\":{\"a\":1},\"a\":2}", 1},               /* after a nested object */
		{"{\"a\":1,\"b\":[{\"a\":1,\"c\":2}],\"c\":3}", 0},     /* inner keys do not leak */
		{"{\"a\":1,\"\\u0061\":2}", 1},                         /* same decoded name */
		{"{\"\\n\":1,\"\\u000a\":2}", 1},
		{"{\"\":1,\"\":2,\"\":3}", 2},                          /* empty names */
		{"{\"a\":1,\"A\":2,\"a \":3,\" a\":4}", 0},             /* exact bytes only */
		{"{\"abcdefgh1ijklmnop\":1,\"abcdefgh2ijklmnop\":2}", 0}, /* same ends */
		{"{\"abcdefgh1ijklmnop\":1,\"abcdefgh1ijklmnop\":2}", 1},
		{"{\"a\\u0000b\":1,\"a\\u0000c\":2}", 0},               /* NUL inside */
		{"{\"x\":1,\"x\":2,\"x\":3}", 2},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse_s(cases[i].text, &doc, &e), 0);
		if (dup_count(&doc) != cases[i].dups || doc.dup_keys != (cases[i].dups > 0))
			fail_msg("%s: %d duplicates flagged, expected %d", cases[i].text,
				 dup_count(&doc), cases[i].dups);
	}

	/* many distinct keys: no false positives; one repeat at the end is found */
	size_t cap = 200000, o = 0;
	char *big = malloc(cap);
	assert_non_null(big);
	big[o++] = '{';
	for (int k = 0; k < 5000; k++)
		o += (size_t)sprintf(big + o, "\"key_%d\":%d,", k, k);
	memcpy(big + o, "\"z\":0}", 6);
	assert_int_equal(parse2("5000 keys", big, o + 6, &doc, &e), 0);
	assert_false(doc.dup_keys);
	o += (size_t)sprintf(big + o, "\"key_4321\":0}");
	assert_int_equal(parse2("5000 keys + repeat", big, o, &doc, &e), 0);
	assert_true(doc.dup_keys);
	assert_int_equal(dup_count(&doc), 1);
	assert_int_equal(doc.tok[doc.n_tok - 3].flags, SL_JSON_F_DUPKEY);

	/* large objects inside large objects, and large siblings with the same keys: each
	 * object's keys are its own (the hash tables of large objects are per object) */
	o = 0;
	big[o++] = '{';
	for (int k = 0; k < 40; k++) {
		o += (size_t)sprintf(big + o, "\"p%d\":{", k);
		for (int j = 0; j < 40; j++)
			o += (size_t)sprintf(big + o, "\"c%d\":%d,", j, j);
		if (k == 2)
			o += (size_t)sprintf(big + o, "\"c7\":0,"); /* one repeat in child 2 */
		o += (size_t)sprintf(big + o, "\"p%d\":0},", k); /* parent's name: no repeat */
	}
	o += (size_t)sprintf(big + o, "\"p39\":1}"); /* a repeat in the parent */
	assert_int_equal(parse2("nested large objects", big, o, &doc, &e), 0);
	assert_int_equal(dup_count(&doc), 2);
	assert_int_equal(doc.tok[doc.n_tok - 3].flags, SL_JSON_F_DUPKEY);
	/* the same text again: tables from the previous record are not trusted */
	assert_int_equal(parse2("nested large objects again", big, o, &doc, &e), 0);
	assert_int_equal(dup_count(&doc), 2);
	free(big);
}

/* ---- limits ------------------------------------------------------------------------------- */

static char *nested(const char *open, const char *inner, const char *close, int depth,
		    size_t *len)
{
	size_t lo = strlen(open), li = strlen(inner), lc = strlen(close);
	char *s = malloc(depth * (lo + lc) + li + 1);
	assert_non_null(s);
	size_t o = 0;
	for (int i = 0; i < depth; i++, o += lo)
		memcpy(s + o, open, lo);
	memcpy(s + o, inner, li);
	o += li;
	for (int i = 0; i < depth; i++, o += lc)
		memcpy(s + o, close, lc);
	s[o] = '\0';
	*len = o;
	return s;
}

static void expect_depth(struct pair *pp, const char *open, const char *close, int depth,
			 uint32_t limit)
{
	size_t len;
	char *s = nested(open, "1", close, depth, &len);
	struct sl_json_doc doc;
	struct sl_json_error e;
	int rc = pair_parse(pp, "nesting", s, len, &doc, &e);
	if ((uint32_t)depth <= limit) {
		if (rc != 0)
			fail_msg("depth %d under the limit %u rejected: %s", depth, limit, e.msg);
		assert_int_equal(doc.max_depth, depth);
		/* the innermost value sits at the depth of the nesting (16 bits hold it) */
		const struct sl_json_tok *t = doc.tok;
		while (t->type != SL_JSON_INT)
			t++;
		assert_int_equal(t->depth, depth);
	} else {
		if (rc != SL_ELIMIT || e.code != SL_ELIMIT)
			fail_msg("depth %d over the limit %u: rc %d (%s)", depth, limit, rc, e.msg);
		char want[64];
		snprintf(want, sizeof(want), "limit of %u", limit);
		assert_non_null(strstr(e.msg, want));
		/* at the opening bracket of the first level beyond the limit */
		assert_int_equal(e.pos.offset, (int64_t)(limit * strlen(open)));
	}
	free(s);
}

static void test_depth_limit(void **state)
{
	(void)state;
	struct sl_json_limits lim;
	sl_json_limits_default(&lim);
	assert_int_equal(lim.max_depth, 512);
	struct pair pp;
	lim.max_depth = 5;
	pair_init(&pp, &lim);
	for (int d = 1; d <= 7; d++) {
		expect_depth(&pp, "[", "]", d, 5);
		expect_depth(&pp, "{\"k\":", "}", d, 5);
	}
	pair_release(&pp);
	/* the default: 512 accepted, 513 not */
	expect_depth(&defaults, "[", "]", 512, 512);
	expect_depth(&defaults, "[", "]", 513, 512);
	expect_depth(&defaults, "{\"a\":", "}", 513, 512);
}

static void test_depth_100000_with_defaults(void **state)
{
	(void)state;
	/* unclosed, closed, objects: an error for the record, never a stack overflow */
	size_t len;
	struct sl_json_doc doc;
	struct sl_json_error e;
	char *s = nested("[", "", "", 100000, &len);
	assert_int_equal(parse2("100000 [", s, len, &doc, &e), SL_ELIMIT);
	assert_int_equal(e.pos.offset, 512);
	free(s);
	s = nested("[", "0", "]", 100000, &len);
	assert_int_equal(parse2("100000 [0]", s, len, &doc, &e), SL_ELIMIT);
	free(s);
	s = nested("{\"a\":", "null", "}", 100000, &len);
	assert_int_equal(parse2("100000 {", s, len, &doc, &e), SL_ELIMIT);
	assert_int_equal(e.pos.offset, 512 * 5);
	assert_non_null(strstr(e.msg, "nesting deeper than the limit of 512"));
	free(s);
}

/* A max_depth beyond what the tape's 16-bit depth holds is capped at 65535, so the
 * depth of a token never wraps. */
static void test_depth_limit_capped(void **state)
{
	(void)state;
	struct sl_json_limits lim;
	sl_json_limits_default(&lim);
	lim.max_depth = 100000;
	struct pair pp;
	pair_init(&pp, &lim);
	expect_depth(&pp, "[", "]", 65535, 65535);
	expect_depth(&pp, "[", "]", 65536, 65535);
	pair_release(&pp);
}

static void test_string_number_record_limits(void **state)
{
	(void)state;
	struct sl_json_limits lim;
	sl_json_limits_default(&lim);
	assert_int_equal(lim.max_string, (size_t)16 << 20);
	assert_int_equal(lim.max_number, 1000);
	assert_int_equal(lim.max_record, (size_t)64 << 20);
	lim.max_string = 10;
	lim.max_number = 5;
	lim.max_record = 40;
	struct pair pp;
	pair_init(&pp, &lim);
	static const struct {
		const char *text;
		int rc;
		int64_t offset;
		const char *needle;
	} cases[] = {
		{"[\"0123456789\"]", 0, 0, NULL},
		{"[\"0123456789A\"]", SL_ELIMIT, 1, "string of 11 bytes, over the limit of 10"},
		{"{\"0123456789\":1}", 0, 0, NULL},
		{"{\"0123456789A\":1}", SL_ELIMIT, 1, "of 11 bytes, over the limit of 10"},
		{"[12345, -1234, 1.5e9, 99999]", 0, 0, NULL},
		{"[123456]", SL_ELIMIT, 1, "number of 6 characters, over the limit of 5"},
		{"[1, -12345]", SL_ELIMIT, 4, "number of 6 characters"},
		{"[1.5e10]", SL_ELIMIT, 1, "over the limit of 5"},
		{"[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]", 0, 0, NULL}, /* 40 bytes */
		{"[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,160]", SL_ELIMIT, 0, "record of 41 bytes"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sl_json_doc doc;
		struct sl_json_error e;
		int rc = pair_parse(&pp, cases[i].text, cases[i].text, strlen(cases[i].text), &doc, &e);
		if (rc != cases[i].rc)
			fail_msg("%s: rc %d, expected %d (%s)", cases[i].text, rc, cases[i].rc,
				 rc ? e.msg : "accepted");
		if (rc) {
			assert_int_equal(e.code, SL_ELIMIT);
			assert_false(e.fatal);
			assert_int_equal(e.pos.offset, cases[i].offset);
			if (!strstr(e.msg, cases[i].needle))
				fail_msg("%s: '%s' lacks '%s'", cases[i].text, e.msg, cases[i].needle);
		}
	}
	pair_release(&pp);

	/* the default string limit is 16 MiB: a 17 MiB string is refused, not copied */
	size_t n = (size_t)17 << 20;
	char *s = malloc(n + 2);
	assert_non_null(s);
	memset(s, 'x', n + 2);
	s[0] = s[n + 1] = '"';
	struct sl_json_doc doc;
	struct sl_json_error e;
	assert_int_equal(parse2("17 MiB string", s, n + 2, &doc, &e), SL_ELIMIT);
	assert_non_null(strstr(e.msg, "over the limit of 16777216"));
	free(s);
}

/* ---- error positions ---------------------------------------------------------------------- */

static void expect_pos(const char *text, int64_t line, int64_t col, int64_t off,
		       const char *needle)
{
	struct sl_json_doc doc;
	struct sl_json_error e;
	int rc = parse_s(text, &doc, &e);
	if (rc == 0)
		fail_msg("accepted: %s", text);
	if (e.pos.line != line || e.pos.column != col || e.pos.offset != off ||
	    !strstr(e.msg, needle))
		fail_msg("%s: got %lld:%lld @%lld '%s', expected %lld:%lld @%lld '%s'", text,
			 (long long)e.pos.line, (long long)e.pos.column, (long long)e.pos.offset,
			 e.msg, (long long)line, (long long)col, (long long)off, needle);
	assert_int_equal(e.pos.record, 0);
}

static void test_error_positions(void **state)
{
	(void)state;
	expect_pos("{\n  \"name\": \"x\",\n  \"list\": [1, 2,, 3]\n}\n", 3, 17, 33,
		   "unexpected ','");
	/* CRLF: the CR is a character of the line before */
	expect_pos("{\r\n  \"a\": 1,\r\n  \"b\" 2\r\n}", 3, 7, 20, "expected ':'");
	/* columns count characters, not bytes: é is 2 bytes, € 3, 😀 4 */
	expect_pos("[\n\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\", tru]", 2, 8, 15, "invalid literal");
	expect_pos("\n\n\n     x", 4, 6, 8, "unexpected 'x'");
	expect_pos("[1,\n2,\n3", 3, 2, 8, "expected ',' or ']' but found the end");
	expect_pos("{\"a\":1\n\n,\"b\":2,}", 3, 8, 15, "expected a member name");
	expect_pos("{\"a\":[1}", 1, 8, 7, "expected ',' or ']' but found '}'");
	expect_pos("[1]\n[2]", 2, 1, 4, "after the value");
	expect_pos("", 1, 1, 0, "empty");
	expect_pos("  \n\t ", 2, 3, 5, "empty");
	expect_pos("[\"abc", 1, 2, 1, "unterminated string");
	expect_pos("{\"a\":\"b\"\n,\n\"c\":\"line\nbreak\"}", 3, 10, 20, "control character");
	expect_pos("[true, nul]", 1, 8, 7, "invalid literal");
	expect_pos("[truex]", 1, 2, 1, "invalid literal");
	expect_pos("[1,]", 1, 4, 3, "unexpected ']'");
	expect_pos("{\"a\":1,}", 1, 8, 7, "expected a member name");
	expect_pos("[1 2]", 1, 4, 3, "expected ',' or ']' but found '2'");
	expect_pos("/* c */ 1", 1, 1, 0, "unexpected '/'");
}

/* The first error in document order is the one reported, whichever stage finds it
 * (stage 1 finds control characters and bad UTF-8, stage 2 the grammar and escapes). */
static void test_first_error_wins(void **state)
{
	(void)state;
	expect_pos("[\"a\", \"b\x01\", 1,]", 1, 9, 8, "control character");
	expect_pos("[1,, \"b\x01\"]", 1, 4, 3, "unexpected ','");
	expect_pos("[1,, \"\xFF\"]", 1, 4, 3, "unexpected ','");
	expect_pos("[\"\xFF\", 1,,]", 1, 3, 2, "UTF-8");
	expect_pos("[\"\x01\\q\"]", 1, 3, 2, "control character");
}

/* Within one string too. Regression test for: a bad escape (found by stage 2) followed by
 * a control character or invalid UTF-8 (found by stage 1) later in the same string was
 * reported at the later byte. */
static void test_bad_escape_before_stage1_error_in_a_string(void **state)
{
	(void)state;
	expect_pos("[\"\\q \x01\"]", 1, 3, 2, "escape");
	expect_pos("[\"\\ud800 \xFF\"]", 1, 3, 2, "surrogate");
	expect_pos("{\"k\\x\":\"\xC0\xAF\"}", 1, 4, 3, "escape");
}

/* ---- the tree ---------------------------------------------------------------------------- */

static void test_tree(void **state)
{
	(void)state;
	const char *text = "{\"name\":\"sluice\",\"n\":-42,\"pi\":3.25,\"big\":123456789012345678901,"
			   "\"list\":[true,false,null,{\"x\":\"a\\u0000b\"}],\"name\":\"last\","
			   "\"empty\":{},\"none\":[]}";
	struct sl_json_error e;
	struct sl_json_node *root = sl_json_tree_parse(text, strlen(text), NULL, &e);
	assert_non_null(root);
	assert_int_equal(root->type, SL_JSON_OBJECT);
	assert_int_equal(root->u.c.n, 8); /* duplicates are all kept */
	const struct sl_json_node *x = sl_json_get(root, "name");
	assert_non_null(x);
	assert_int_equal(x->type, SL_JSON_STRING);
	assert_string_equal(x->u.str.s, "last"); /* the last duplicate wins */
	assert_string_equal(root->u.c.keys[0], "name");
	assert_string_equal(root->u.c.items[0]->u.str.s, "sluice");
	x = sl_json_get(root, "n");
	assert_int_equal(x->type, SL_JSON_INT);
	assert_int_equal(x->u.i, -42);
	x = sl_json_get(root, "pi");
	assert_int_equal(x->type, SL_JSON_DOUBLE);
	assert_true(x->u.d == 3.25);
	x = sl_json_get(root, "big");
	assert_int_equal(x->type, SL_JSON_BIGINT);
	assert_int_equal(x->u.str.len, 21);
	assert_string_equal(x->u.str.s, "123456789012345678901");
	x = sl_json_get(root, "list");
	assert_int_equal(x->type, SL_JSON_ARRAY);
	assert_int_equal(x->u.c.n, 4);
	assert_null(x->u.c.keys);
	assert_int_equal(x->u.c.items[0]->type, SL_JSON_TRUE);
	assert_int_equal(x->u.c.items[1]->type, SL_JSON_FALSE);
	assert_int_equal(x->u.c.items[2]->type, SL_JSON_NULL);
	const struct sl_json_node *s = sl_json_get(x->u.c.items[3], "x");
	assert_int_equal(s->u.str.len, 3);
	assert_memory_equal(s->u.str.s, "a\0b", 4); /* NUL inside, NUL-terminated */
	assert_int_equal(s->off, (uint32_t)(strstr(text, "\"a\\u") - text));
	assert_int_equal(sl_json_get(root, "empty")->u.c.n, 0);
	assert_int_equal(sl_json_get(root, "none")->u.c.n, 0);
	assert_null(sl_json_get(root, "missing"));
	assert_null(sl_json_get(x, "list")); /* not an object */
	assert_null(sl_json_get(NULL, "x"));
	sl_json_tree_free(root);
	sl_json_tree_free(NULL);

	/* a scalar document, and errors */
	root = sl_json_tree_parse(" 17 ", 4, NULL, &e);
	assert_non_null(root);
	assert_int_equal(root->type, SL_JSON_INT);
	assert_int_equal(root->u.i, 17);
	sl_json_tree_free(root);
	memset(&e, 0, sizeof(e));
	assert_null(sl_json_tree_parse("{\"a\":}", 6, NULL, &e));
	assert_int_equal(e.code, SL_ECORRUPT);
	assert_int_equal(e.pos.offset, 5);
	struct sl_json_limits lim;
	sl_json_limits_default(&lim);
	lim.max_depth = 2;
	assert_null(sl_json_tree_parse("[[[1]]]", 7, &lim, &e));
	assert_int_equal(e.code, SL_ELIMIT);
}

/* Building and freeing a tree 65535 levels deep works on a 256 KiB stack: neither is
 * recursive. */
static void *deep_tree_thread(void *arg)
{
	(void)arg;
	struct sl_json_limits lim;
	sl_json_limits_default(&lim);
	lim.max_depth = 65535;
	size_t len;
	char *s = nested("[{\"k\":", "1", "}]", 32767, &len);
	struct sl_json_error e;
	struct sl_json_node *root = sl_json_tree_parse(s, len, &lim, &e);
	free(s);
	if (!root)
		return (void *)1;
	const struct sl_json_node *x = root;
	int depth = 0;
	while (x->type == SL_JSON_ARRAY || x->type == SL_JSON_OBJECT) {
		x = x->u.c.items[0];
		depth++;
	}
	int ok = depth == 65534 && x->type == SL_JSON_INT && x->u.i == 1;
	sl_json_tree_free(root);
	return ok ? NULL : (void *)2;
}

static void test_tree_deep_without_recursion(void **state)
{
	(void)state;
	pthread_attr_t a;
	pthread_t t;
	void *ret;
	assert_int_equal(pthread_attr_init(&a), 0);
	assert_int_equal(pthread_attr_setstacksize(&a, 256 << 10), 0);
	assert_int_equal(pthread_create(&t, &a, deep_tree_thread, NULL), 0);
	assert_int_equal(pthread_join(t, &ret), 0);
	pthread_attr_destroy(&a);
	assert_null(ret);
}

/* ---- random inputs ------------------------------------------------------------------------ */

/* Random bytes biased towards JSON's structure, and random edits of valid documents:
 * both implementations agree on every one, and every accepted tape keeps its promises. */
static void test_random_inputs_agree(void **state)
{
	(void)state;
	static const char alpha[] = "{}[]:,\"\"\"\\\\ \n\t01234567-+.eEtrufalsn"
				    "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\x01\x7f\xff\xed\xa0u";
	static const char *const seeds[] = {
		"{\"id\":\"6f1c2a\",\"ts\":\"2025-11-25T08:00:00Z\",\"v\":[1,2.5,-3e2,null,true],"
		"\"o\":{\"a\":{\"b\":[{}, []]},\"s\":\"x\\\"y\\\\z\\u00e9\\ud83d\\ude00\"}}",
		"[\"padding padding padding padding padding padding padding padding\",\"\\\\\\\"\","
		"{\"k\":\"v\",\"k\":\"w\"},123456789012345678901234567890,0.1e-5]",
	};
	unsigned seed = 12345;
	char buf[600];
	int accepted = 0;
	for (int it = 0; it < 60000; it++) {
		size_t n;
		if (it % 2) {
			n = (size_t)(rand_r(&seed) % 300);
			for (size_t i = 0; i < n; i++)
				buf[i] = alpha[rand_r(&seed) % (sizeof(alpha) - 1)];
		} else {
			const char *s = seeds[rand_r(&seed) % 2];
			n = strlen(s);
			memcpy(buf, s, n);
			int edits = 1 + rand_r(&seed) % 3;
			for (int k = 0; k < edits && n > 2; k++) {
				size_t at = (size_t)rand_r(&seed) % n;
				switch (rand_r(&seed) % 3) {
				case 0: buf[at] = alpha[rand_r(&seed) % (sizeof(alpha) - 1)]; break;
				case 1: memmove(buf + at, buf + at + 1, n - at - 1); n--; break;
				default:
					memmove(buf + at + 1, buf + at, n - at);
					buf[at] = alpha[rand_r(&seed) % (sizeof(alpha) - 1)];
					n++;
				}
			}
		}
		struct sl_json_doc doc;
		struct sl_json_error e;
		accepted += parse2("random input", buf, n, &doc, &e) == 0;
	}
	print_message("[ INFO     ] 60000 random inputs, %d accepted\n", accepted);
	assert_true(accepted > 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conformance),
		cmocka_unit_test(test_conformance_copy_is_exact),
		cmocka_unit_test(test_conformance_bom_through_reader),
		cmocka_unit_test(test_impl_selection),
		cmocka_unit_test(test_tape_of_nested_record),
		cmocka_unit_test(test_parser_reuse),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_doubles_correctly_rounded),
		cmocka_unit_test(test_doubles_locale_independent),
		cmocka_unit_test(test_number_errors),
		cmocka_unit_test(test_string_escapes),
		cmocka_unit_test(test_string_control_characters),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_valid_utf8_across_blocks),
		cmocka_unit_test(test_backslash_runs_across_blocks),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_depth_100000_with_defaults),
		cmocka_unit_test(test_depth_limit_capped),
		cmocka_unit_test(test_string_number_record_limits),
		cmocka_unit_test(test_error_positions),
		cmocka_unit_test(test_first_error_wins),
		cmocka_unit_test(test_bad_escape_before_stage1_error_in_a_string),
		cmocka_unit_test(test_tree),
		cmocka_unit_test(test_tree_deep_without_recursion),
		cmocka_unit_test(test_random_inputs_agree),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
