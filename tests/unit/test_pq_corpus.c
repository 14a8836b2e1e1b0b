/*
 * test_pq_corpus.c - the Parquet reader against apache/parquet-testing (the copy in
 * tests/conformance/parquet, which must equal ../shared/conformance/parquet when that
 * exists):
 *   - every *.parquet and *.parquet.encrypted under data/ either reads completely (every
 *     row of every column through sl_pq_rows, each row one line of valid JSON, as many
 *     rows as the row groups say; every column chunk through sl_pq_col with as many
 *     entries as its num_values) or is listed in tests/parquet_corpus_unsupported.txt and
 *     fails with the message the list gives. A listed file that starts to read fails the
 *     test, and so does an unlisted one that fails;
 *   - every file in bad_data/ fails cleanly (never a crash: ASan runs this too);
 *   - the *_expect.csv files equal what the delta files read as, value by value;
 *   - known values (upstream's documentation and DuckDB) for the files that exercise
 *     something particular.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"
#include "json/json.h"
#include "parquet/reader.h"

/* ---- reading a whole file ---------------------------------------------------------------- */

struct result {
	int rc;
	struct sl_err err;
	int64_t rows;     /* rows read through sl_pq_rows */
	int64_t expected; /* the row groups' sum */
	char *text;       /* every row, one per line (malloc'd) */
	size_t len;
};

static void result_free(struct result *r)
{
	free(r->text);
	memset(r, 0, sizeof(*r));
}

static char *data_path(const char *sub, const char *name)
{
	char *dir = th_conformance_dir(sub), *p = NULL;
	assert_true(asprintf(&p, "%s/%s", dir, name) > 0);
	free(dir);
	return p;
}

/* Every column chunk through sl_pq_col: entries must add up to num_values. */
static int read_columns(struct sl_pq_reader *r, struct sl_err *err)
{
	const struct sl_pq_file_meta *m = sl_pq_reader_meta(r);
	const struct sl_pq_schema *s = sl_pq_reader_schema(r);
	for (size_t g = 0; g < m->n_row_groups; g++) {
		for (size_t c = 0; c < s->n_leaves; c++) {
			struct sl_pq_col *col;
			int rc = sl_pq_col_open(r, g, c, &col, err);
			if (rc)
				return rc;
			struct sl_pq_batch b;
			int64_t entries = 0;
			while ((rc = sl_pq_col_next(col, &b, err)) > 0) {
				entries += (int64_t)b.n_levels;
				if (b.n_values > b.n_levels)
					fail_msg("column %zu: more values than entries", c);
			}
			sl_pq_col_close(col);
			if (rc < 0)
				return rc;
			if (entries != m->row_groups[g].columns[c].meta.num_values)
				fail_msg("row group %zu column %zu: %lld entries, num_values %lld",
					 g, c, (long long)entries,
					 (long long)m->row_groups[g].columns[c].meta.num_values);
		}
	}
	return 0;
}

/* Reads every row (of the columns given, NULL for all) and every column chunk. */
static void read_file(const char *path, const char *const *cols, size_t n_cols, bool verify_crc,
		      struct result *res)
{
	memset(res, 0, sizeof(*res));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	struct sl_pq_read_opts o;
	sl_pq_read_opts_default(&o);
	o.verify_crc = verify_crc;
	struct sl_pq_reader *r = NULL;
	struct sl_pq_rows *rows = NULL;
	struct sl_buf out;
	sl_buf_init(&out, (size_t)1 << 30);
	struct sl_json_parser *jp = sl_json_parser_new(NULL);
	assert_non_null(jp);
	res->rc = sl_pq_reader_open(fd, path, &o, &r, &res->err);
	if (res->rc == 0) {
		res->expected = sl_pq_reader_rows(r);
		res->rc = sl_pq_rows_open(r, cols, n_cols, NULL, 0, &rows, &res->err);
	}
	while (res->rc == 0) {
		size_t start = out.len;
		int rc = sl_pq_rows_next(rows, &out, &res->err);
		if (rc < 0)
			res->rc = rc;
		if (rc <= 0)
			break;
		struct sl_json_doc doc;
		struct sl_json_error e;
		if (memchr(out.data + start, '\n', out.len - start))
			fail_msg("%s: row %lld spans lines", path, (long long)res->rows);
		if (sl_json_parse(jp, out.data + start, out.len - start, &doc, &e) != 0)
			fail_msg("%s: row %lld is not JSON (%s): %.*s", path, (long long)res->rows,
				 e.msg, (int)(out.len - start > 300 ? 300 : out.len - start),
				 out.data + start);
		assert_int_equal(sl_buf_append(&out, "\n", 1), 0);
		res->rows++;
	}
	if (res->rc == 0 && !cols)
		res->rc = read_columns(r, &res->err);
	sl_pq_rows_close(rows);
	sl_pq_reader_close(r);
	sl_json_parser_free(jp);
	close(fd);
	if (res->rc)
		assert_true(res->err.msg[0] != '\0');
	res->text = out.data ? out.data : strdup("");
	res->len = out.len;
}

/* ---- the copy equals the shared corpus ---------------------------------------------------- */

static void compare_tree(const char *a, const char *b, int *n)
{
	DIR *d = opendir(a);
	assert_non_null(d);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char *pa = NULL, *pb = NULL;
		assert_true(asprintf(&pa, "%s/%s", a, de->d_name) > 0);
		assert_true(asprintf(&pb, "%s/%s", b, de->d_name) > 0);
		struct stat st;
		assert_int_equal(stat(pa, &st), 0);
		if (S_ISDIR(st.st_mode)) {
			compare_tree(pa, pb, n);
		} else {
			size_t la, lb;
			char *x = th_read_file(pa, &la), *y = th_read_file(pb, &lb);
			if (!y || la != lb || memcmp(x, y, la) != 0)
				fail_msg("%s differs from %s", pb, pa);
			free(x);
			free(y);
			(*n)++;
		}
		free(pa);
		free(pb);
	}
	closedir(d);
}

static void test_copy_is_exact(void **state)
{
	(void)state;
	char *repo = th_repo_dir(), *shared = NULL, *mine = NULL;
	assert_true(asprintf(&shared, "%s/../shared/conformance/parquet", repo) > 0);
	assert_true(asprintf(&mine, "%s/tests/conformance/parquet", repo) > 0);
	struct stat st;
	if (stat(shared, &st) != 0) {
		print_message(
			"no shared conformance folder beside the repository: nothing to compare\n");
	} else {
		int n = 0, m = 0;
		compare_tree(shared, mine, &n); /* everything shared is in the copy */
		compare_tree(mine, shared, &m); /* and nothing more */
		assert_int_equal(n, m);
		assert_true(n > 100);
	}
	free(repo);
	free(shared);
	free(mine);
}

/* ---- every file of data/ ------------------------------------------------------------------ */

struct listed {
	char *file, *needle, *reason;
	bool seen;
};

/* tests/parquet_corpus_unsupported.txt: "path | text the error must contain | why". */
static struct listed *load_unsupported(size_t *n)
{
	char *repo = th_repo_dir(), *path = NULL;
	assert_true(asprintf(&path, "%s/tests/parquet_corpus_unsupported.txt", repo) > 0);
	size_t len;
	char *text = th_read_file(path, &len);
	assert_non_null(text);
	struct listed *l = NULL;
	*n = 0;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#' || line[0] == '\0')
			continue;
		char *a = strstr(line, " | "), *b = a ? strstr(a + 3, " | ") : NULL;
		if (!a || !b)
			fail_msg("%s: bad line '%s'", path, line);
		*a = *b = '\0';
		l = realloc(l, (*n + 1) * sizeof(*l));
		assert_non_null(l);
		l[*n] = (struct listed){strdup(line), strdup(a + 3), strdup(b + 3), false};
		(*n)++;
	}
	free(text);
	free(path);
	free(repo);
	return l;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* Relative paths of the Parquet files under dir (recursively), sorted. */
static void collect(const char *dir, const char *rel, char ***names, size_t *n)
{
	char *full = NULL;
	assert_true(asprintf(&full, "%s%s%s", dir, rel[0] ? "/" : "", rel) > 0);
	struct dirent **ents;
	int k = scandir(full, &ents, NULL, alphasort);
	assert_true(k >= 0);
	for (int i = 0; i < k; i++) {
		const char *nm = ents[i]->d_name;
		char *r = NULL, *p = NULL;
		struct stat st;
		assert_true(asprintf(&r, "%s%s%s", rel, rel[0] ? "/" : "", nm) > 0);
		assert_true(asprintf(&p, "%s/%s", full, nm) > 0);
		if (nm[0] != '.' && stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
			collect(dir, r, names, n);
			free(r);
		} else if (ends_with(nm, ".parquet") || ends_with(nm, ".parquet.encrypted")) {
			*names = realloc(*names, (*n + 1) * sizeof(**names));
			assert_non_null(*names);
			(*names)[(*n)++] = r;
		} else {
			free(r);
		}
		free(p);
		free(ents[i]);
	}
	free(ents);
	free(full);
}

static void test_every_data_file(void **state)
{
	(void)state;
	size_t n_listed, n_files = 0;
	struct listed *listed = load_unsupported(&n_listed);
	char **files = NULL;
	char *dir = th_conformance_dir("parquet/data");
	collect(dir, "", &files, &n_files);
	assert_true(n_files >= 88);
	int read = 0, refused = 0, failed = 0;
	for (size_t i = 0; i < n_files; i++) {
		char *path = NULL;
		assert_true(asprintf(&path, "%s/%s", dir, files[i]) > 0);
		struct listed *l = NULL;
		for (size_t k = 0; k < n_listed; k++)
			if (strcmp(listed[k].file, files[i]) == 0)
				l = &listed[k];
		struct result res;
		read_file(path, NULL, 0, true, &res);
		if (l) {
			l->seen = true;
			if (res.rc == 0) {
				print_message("%s is listed as unsupported (%s) but reads: take it "
					      "off "
					      "the list\n",
					      files[i], l->reason);
				failed++;
			} else if (!strstr(res.err.msg, l->needle)) {
				print_message("%s: the error should say '%s': %s\n", files[i],
					      l->needle, res.err.msg);
				failed++;
			}
			refused++;
		} else if (res.rc != 0) {
			print_message("%s does not read: %s\n", files[i], res.err.msg);
			failed++;
		} else if (res.rows != res.expected) {
			print_message("%s: %lld rows, the row groups say %lld\n", files[i],
				      (long long)res.rows, (long long)res.expected);
			failed++;
		} else {
			read++;
		}
		result_free(&res);
		free(path);
		free(files[i]);
	}
	for (size_t k = 0; k < n_listed; k++) {
		if (!listed[k].seen)
			fail_msg("%s is listed but not in the corpus", listed[k].file);
		free(listed[k].file);
		free(listed[k].needle);
		free(listed[k].reason);
	}
	print_message("[ INFO     ] parquet corpus: %d files read completely, %d refused as "
		      "listed\n",
		      read, refused);
	if (failed)
		fail_msg("%d files of the corpus do not behave as expected (above)", failed);
	free(listed);
	free(files);
	free(dir);
}

/* bad_data/ files that are valid after all: a reader that reads them is right. */
static const struct {
	const char *file, *why;
	int64_t rows;
} lenient[] = {
	/* the reproducer of a Go reader's crash (apache/arrow#43605) on dictionary indices
	 * of bit width 0, which a one-entry dictionary allows; Arrow's fix (#43607) and
	 * DuckDB read it, 21186 zeros */
	{"ARROW-GH-43605.parquet", "dictionary indices of bit width 0", 21186},
};

/* bad_data/: each must fail with a message, or be one of the lenient ones. */
static void test_bad_data(void **state)
{
	(void)state;
	char *dir = th_conformance_dir("parquet/bad_data");
	char **files = NULL;
	size_t n = 0;
	collect(dir, "", &files, &n);
	assert_true(n >= 8);
	for (size_t i = 0; i < n; i++) {
		char *path = NULL;
		assert_true(asprintf(&path, "%s/%s", dir, files[i]) > 0);
		struct result res;
		read_file(path, NULL, 0, true, &res);
		int64_t want = -1;
		for (size_t k = 0; k < sizeof(lenient) / sizeof(lenient[0]); k++)
			if (strcmp(lenient[k].file, files[i]) == 0)
				want = lenient[k].rows;
		if (want >= 0) {
			if (res.rc != 0 || res.rows != want)
				fail_msg("bad_data/%s should read %lld rows: %s", files[i],
					 (long long)want, res.err.msg);
		} else if (res.rc == 0) {
			fail_msg("bad_data/%s reads (%lld rows)", files[i], (long long)res.rows);
		} else {
			print_message("[ INFO     ] bad_data/%s: %s\n", files[i], res.err.msg);
		}
		result_free(&res);
		free(path);
		free(files[i]);
	}
	free(files);
	free(dir);
}

/* ---- expected values ------------------------------------------------------------------------ */

/* The rows of a file (the columns given, NULL for all) as text, one per line. */
static char *rows_text(const char *name, const char *const *cols, size_t n_cols)
{
	char *path = data_path("parquet/data", name);
	struct result res;
	read_file(path, cols, n_cols, true, &res);
	if (res.rc)
		fail_msg("%s: %s", name, res.err.msg);
	free(path);
	return res.text;
}

static void expect_rows(const char *name, const char *const *cols, size_t n_cols,
			const char *want)
{
	char *got = rows_text(name, cols, n_cols);
	if (strcmp(got, want) != 0)
		fail_msg("%s:\n got: %s\nwant: %s", name, got, want);
	free(got);
}

/* Line k (0-based) of text, malloc'd. */
static char *line_of(const char *text, int k)
{
	const char *p = text;
	for (int i = 0; i < k; i++) {
		p = strchr(p, '\n');
		assert_non_null(p);
		p++;
	}
	const char *e = strchr(p, '\n');
	return strndup(p, e ? (size_t)(e - p) : strlen(p));
}

static void test_alltypes_plain(void **state)
{
	(void)state;
	static const char *const id[] = {"id"};
	expect_rows("alltypes_plain.parquet", id, 1,
		    "{\"id\":4}\n{\"id\":5}\n{\"id\":6}\n{\"id\":7}\n{\"id\":2}\n{\"id\":3}\n"
		    "{\"id\":0}\n{\"id\":1}\n");
	/* the same table dictionary-encoded, snappy and plain agree on row 0 */
	char *a = rows_text("alltypes_plain.parquet", NULL, 0);
	char *b = rows_text("alltypes_plain.snappy.parquet", NULL, 0);
	char *first = line_of(a, 0);
	assert_string_equal(first,
			    "{\"id\":4,\"bool_col\":true,\"tinyint_col\":0,\"smallint_col\":0,"
			    "\"int_col\":0,\"bigint_col\":0,\"float_col\":0.0,\"double_col\":0.0,"
			    "\"date_string_col\":\"MDMvMDEvMDk=\",\"string_col\":\"MA==\","
			    "\"timestamp_col\":\"2009-03-01T00:00:00.000000Z\"}");
	assert_true(strlen(b) > 0);
	free(first);
	free(a);
	free(b);
}

static void test_int96_from_spark(void **state)
{
	(void)state;
	/* Spark wrote these from local times in UTC-8; the last is year 290000, beyond
	 * int64 nanoseconds (upstream int96_from_spark.md) */
	expect_rows("int96_from_spark.parquet", NULL, 0,
		    "{\"a\":\"2024-01-01T20:34:56.123456Z\"}\n"
		    "{\"a\":\"2024-01-01T01:00:00.000000Z\"}\n"
		    "{\"a\":\"9999-12-31T03:00:00.000000Z\"}\n"
		    "{\"a\":\"2024-12-30T23:00:00.000000Z\"}\n"
		    "{\"a\":null}\n"
		    "{\"a\":\"+290000-12-30T23:00:00.000000Z\"}\n");
}

static void test_lists(void **state)
{
	(void)state;
	expect_rows("old_list_structure.parquet", NULL, 0, "{\"a\":[[1,2],[3,4]]}\n");
	expect_rows("list_columns.parquet", NULL, 0,
		    "{\"int64_list\":[1,2,3],\"utf8_list\":[\"abc\",\"efg\",\"hij\"]}\n"
		    "{\"int64_list\":[null,1],\"utf8_list\":null}\n"
		    "{\"int64_list\":[4],\"utf8_list\":[\"efg\",null,\"hij\",\"xyz\"]}\n");
	expect_rows("null_list.parquet", NULL, 0, "{\"emptylist\":[]}\n");
	/* a map with int keys and null values is an array of key/value objects; a MAP
	 * without values reads as the list of its keys (schema.h) */
	expect_rows("map_no_value.parquet", NULL, 0,
		    "{\"my_map\":[{\"key\":1,\"value\":null},{\"key\":2,\"value\":null},"
		    "{\"key\":3,\"value\":null}],\"my_map_no_v\":[1,2,3],\"my_list\":[1,2,3]}\n"
		    "{\"my_map\":[{\"key\":4,\"value\":null},{\"key\":5,\"value\":null},"
		    "{\"key\":6,\"value\":null}],\"my_map_no_v\":[4,5,6],\"my_list\":[4,5,6]}\n"
		    "{\"my_map\":[{\"key\":7,\"value\":null},{\"key\":8,\"value\":null},"
		    "{\"key\":9,\"value\":null}],\"my_map_no_v\":[7,8,9],\"my_list\":[7,8,9]}\n");
}

static void test_nested_impala(void **state)
{
	(void)state;
	char *t = rows_text("nullable.impala.parquet", NULL, 0);
	char *r0 = line_of(t, 0), *r1 = line_of(t, 1), *r5 = line_of(t, 5);
	assert_string_equal(r0,
		"{\"id\":1,\"int_array\":[1,2,3],\"int_array_Array\":[[1,2],[3,4]],"
		"\"int_map\":{\"k1\":1,\"k2\":100},\"int_Map_Array\":[{\"k1\":1}],"
		"\"nested_struct\":{\"A\":1,\"b\":[1],\"C\":{\"d\":[[{\"E\":10,\"F\":\"aaa\"},"
		"{\"E\":-10,\"F\":\"bbb\"}],[{\"E\":11,\"F\":\"c\"}]]},"
		"\"g\":{\"foo\":{\"H\":{\"i\":[1.1]}}}}}");
	/* nulls at every level */
	assert_string_equal(
		r1,
		"{\"id\":2,\"int_array\":[null,1,2,null,3,null],"
		"\"int_array_Array\":[[null,1,2,null],[3,null,4],[],null],"
		"\"int_map\":{\"k1\":2,\"k2\":null},\"int_Map_Array\":[{\"k3\":null,\"k1\":1},null,"
		"{}],"
		"\"nested_struct\":{\"A\":null,\"b\":[null],\"C\":{\"d\":[[{\"E\":null,\"F\":null},"
		"{\"E\":10,\"F\":\"aaa\"},{\"E\":null,\"F\":null},{\"E\":-10,\"F\":\"bbb\"},"
		"{\"E\":null,\"F\":null}],[{\"E\":11,\"F\":\"c\"},null],[],null]},"
		"\"g\":{\"g1\":{\"H\":{\"i\":[2.2,null]}},\"g2\":{\"H\":{\"i\":[]}},\"g3\":null,"
		"\"g4\":{\"H\":{\"i\":null}},\"g5\":{\"H\":null}}}}");
	assert_string_equal(r5,
		"{\"id\":6,\"int_array\":null,\"int_array_Array\":null,\"int_map\":null,"
		"\"int_Map_Array\":null,\"nested_struct\":null}");
	free(r0);
	free(r1);
	free(r5);
	free(t);
	/* projection: only the selected fields, nested ones through a dotted path */
	static const char *const cols[] = {"id", "nested_struct.A"};
	char *p = rows_text("nullable.impala.parquet", cols, 2);
	char *p0 = line_of(p, 0);
	assert_string_equal(p0, "{\"id\":1,\"nested_struct\":{\"A\":1}}");
	free(p0);
	free(p);
}

static void test_nulls_and_quirks(void **state)
{
	(void)state;
	char want[512] = "";
	for (int i = 0; i < 8; i++)
		strcat(want, "{\"b_struct\":{\"b_c_int\":null}}\n");
	expect_rows("nulls.snappy.parquet", NULL, 0, want);
	/* footer num_rows 0, the row group holds 6 rows */
	char *r0, *t = rows_text("repeated_no_annotation.parquet", NULL, 0);
	int lines = 0;
	for (const char *p = t; (p = strchr(p, '\n')); p++)
		lines++;
	assert_int_equal(lines, 6);
	free(t);
	/* parquet-mr 1.2.8 and older left the dictionary page header out of the chunk size */
	static const char *const nk[] = {"nation_key", "region_key"};
	t = rows_text("nation.dict-malformed.parquet", nk, 2);
	r0 = line_of(t, 24);
	assert_string_equal(r0, "{\"nation_key\":24,\"region_key\":1}");
	free(r0);
	free(t);
	/* dictionary_page_offset 0 with no dictionary page */
	static const char *const pk[] = {"l_partkey"};
	t = rows_text("dict-page-offset-zero.parquet", pk, 1);
	r0 = line_of(t, 0);
	assert_string_equal(r0, "{\"l_partkey\":1552}");
	free(r0);
	free(t);
}

/* Each BYTE_STREAM_SPLIT column equals its PLAIN twin, row by row. */
static void test_byte_stream_split_twins(void **state)
{
	(void)state;
	static const char *const base[] = {"float16", "float", "double", "int32", "int64", "flba5",
					   "decimal"};
	char *text = rows_text("byte_stream_split_extended.gzip.parquet", NULL, 0);
	int rows = 0;
	for (char *line = text; *line; rows++) {
		char *nl = strchr(line, '\n');
		assert_non_null(nl);
		struct sl_json_error e;
		struct sl_json_node *row = sl_json_tree_parse(line, (size_t)(nl - line), NULL, &e);
		assert_non_null(row);
		for (size_t k = 0; k < sizeof(base) / sizeof(base[0]); k++) {
			char a[64], b[64];
			snprintf(a, sizeof(a), "%s_plain", base[k]);
			snprintf(b, sizeof(b), "%s_byte_stream_split", base[k]);
			const struct sl_json_node *x = sl_json_get(row, a),
						  *y = sl_json_get(row, b);
			assert_non_null(x);
			assert_non_null(y);
			/* compared as their JSON text */
			size_t lx = 0, ly = 0;
			const char *tx = line + x->off, *ty = line + y->off;
			while (tx[lx] && tx[lx] != ',' && tx[lx] != '}')
				lx++;
			while (ty[ly] && ty[ly] != ',' && ty[ly] != '}')
				ly++;
			if (lx != ly || memcmp(tx, ty, lx) != 0)
				fail_msg("row %d: %s %.*s, %s %.*s", rows, a, (int)lx, tx, b,
					 (int)ly, ty);
		}
		sl_json_tree_free(row);
		line = nl + 1;
	}
	assert_int_equal(rows, 200);
	free(text);
}

/* The CSV cell at *p (quoted text, or bare text: empty is null), NUL-terminated in
 * place; *p moves past the comma or the line end. */
static char *csv_cell(char **p, bool *is_null)
{
	char *s = *p, *o = s, *start = s;
	*is_null = false;
	if (*s == '"') {
		for (s++; *s; s++) {
			if (*s == '"' && s[1] != '"') {
				s++;
				break;
			}
			s += *s == '"'; /* "" is one quote */
			*o++ = *s;
		}
	} else {
		while (*s && *s != ',' && *s != '\n' && *s != '\r')
			*o++ = *s++;
		*is_null = o == start;
	}
	char *next = s;
	if (*next == ',')
		next++;
	else
		while (*next == '\r' || *next == '\n')
			next++;
	*o = '\0';
	*p = next;
	return start;
}

/* The value of a JSON row member as the CSV writes it. */
static void member_text(const struct sl_json_node *v, char *buf, size_t cap, bool *is_null)
{
	*is_null = v->type == SL_JSON_NULL;
	if (v->type == SL_JSON_INT)
		snprintf(buf, cap, "%lld", (long long)v->u.i);
	else if (v->type == SL_JSON_STRING)
		snprintf(buf, cap, "%s", v->u.str.s);
	else
		buf[0] = '\0';
}

static void check_expect_csv(const char *parquet, const char *csv)
{
	char *path = data_path("parquet/data", csv);
	size_t len;
	char *c = th_read_file(path, &len);
	assert_non_null(c);
	char *rows = rows_text(parquet, NULL, 0);
	char *p = strchr(c, '\n') + 1, *line = rows;
	int n = 0;
	for (; *p && *line; n++) {
		char *nl = strchr(line, '\n');
		struct sl_json_error e;
		struct sl_json_node *row = sl_json_tree_parse(line, (size_t)(nl - line), NULL, &e);
		assert_non_null(row);
		for (size_t k = 0; k < row->u.c.n; k++) {
			bool cnull, vnull;
			char *cell = csv_cell(&p, &cnull), buf[4096];
			member_text(row->u.c.items[k], buf, sizeof(buf), &vnull);
			if (cnull != vnull || strcmp(cell, buf) != 0)
				fail_msg("%s row %d column %s: '%s'%s, the CSV says '%s'%s",
					 parquet, n, row->u.c.keys[k], buf, vnull ? " (null)" : "",
					 cell, cnull ? " (null)" : "");
		}
		sl_json_tree_free(row);
		line = nl + 1;
	}
	assert_int_equal(*p, '\0');
	assert_int_equal(*line, '\0');
	assert_true(n >= 100);
	free(rows);
	free(c);
	free(path);
}

static void test_expect_csv(void **state)
{
	(void)state;
	check_expect_csv("delta_binary_packed.parquet", "delta_binary_packed_expect.csv");
	check_expect_csv("delta_byte_array.parquet", "delta_byte_array_expect.csv");
	check_expect_csv("delta_encoding_optional_column.parquet",
			 "delta_encoding_optional_column_expect.csv");
	check_expect_csv("delta_encoding_required_column.parquet",
			 "delta_encoding_required_column_expect.csv");
}

/* The corrupt-checksum files name the bad page; without CRC checks they read. */
static void test_crc(void **state)
{
	(void)state;
	static const struct {
		const char *file, *needle;
	} bad[] = {
		{"datapage_v1-corrupt-checksum.parquet",
		 "column a, page 0 at offset 4: CRC mismatch"},
		{"rle-dict-uncompressed-corrupt-checksum.parquet",
		 "page 0 at offset 4: CRC mismatch"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *path = data_path("parquet/data", bad[i].file);
		struct result res;
		read_file(path, NULL, 0, true, &res);
		assert_int_equal(res.rc, SL_ECORRUPT);
		if (!strstr(res.err.msg, bad[i].needle))
			fail_msg("%s: %s", bad[i].file, res.err.msg);
		result_free(&res);
		read_file(path, NULL, 0, false, &res);
		assert_int_equal(res.rc, 0);
		assert_int_equal(res.rows, res.expected);
		result_free(&res);
		free(path);
	}
	/* column b's bad page is its second */
	char *path = data_path("parquet/data", "datapage_v1-corrupt-checksum.parquet");
	static const char *const b[] = {"b"};
	struct result res;
	read_file(path, b, 1, true, &res);
	assert_int_equal(res.rc, SL_ECORRUPT);
	assert_non_null(strstr(res.err.msg, "row group 0, column b, page 1 at offset"));
	result_free(&res);
	free(path);
}

static void test_limits(void **state)
{
	(void)state;
	char *path = data_path("parquet/data", "large_string_map.brotli.parquet");
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct result res;
	read_file(path, NULL, 0, true, &res);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(res.rc, SL_ELIMIT);
	/* refused from the page header, before anything is inflated */
	assert_true((t1.tv_sec - t0.tv_sec) < 2);
	result_free(&res);
	free(path);
	/* encrypted files say so */
	path = data_path("parquet/data", "uniform_encryption.parquet.encrypted");
	read_file(path, NULL, 0, true, &res);
	assert_int_equal(res.rc, SL_EINVAL);
	assert_non_null(strstr(res.err.msg, "encrypted Parquet is not supported"));
	result_free(&res);
	free(path);
	/* a plaintext footer: the columns that are not encrypted read */
	path = data_path("parquet/data", "encrypt_columns_plaintext_footer.parquet.encrypted");
	static const char *const plain[] = {"boolean_field", "int32_field", "int64_field"};
	read_file(path, plain, 3, true, &res);
	assert_int_equal(res.rc, 0);
	assert_int_equal(res.rows, 50);
	char *r1 = line_of(res.text, 1);
	assert_string_equal(r1, "{\"boolean_field\":false,\"int32_field\":\"00:00:00.001\","
				"\"int64_field\":[2000000000000,3000000000000]}");
	free(r1);
	result_free(&res);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_copy_is_exact),
		cmocka_unit_test(test_every_data_file),
		cmocka_unit_test(test_bad_data),
		cmocka_unit_test(test_alltypes_plain),
		cmocka_unit_test(test_int96_from_spark),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_nested_impala),
		cmocka_unit_test(test_nulls_and_quirks),
		cmocka_unit_test(test_byte_stream_split_twins),
		cmocka_unit_test(test_expect_csv),
		cmocka_unit_test(test_crc),
		cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
