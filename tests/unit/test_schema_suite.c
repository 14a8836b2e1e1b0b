/*
 * test_schema_suite.c - the JSON Schema Test Suite (draft 2020-12 and draft-07) against
 * the validator.
 *
 * Every test case of the required folders, and of optional/format for the formats we
 * assert, is compiled and validated. A case that fails must be listed, with its reason,
 * in tests/schema_conformance_failures.txt; a listed case that passes is an error too
 * (the list must not go stale). Required cases must pass at 98% or more per draft; the
 * listed format tests must all pass.
 *
 * Remote references (http://localhost:1234/...) resolve to the suite's remotes folder,
 * never to the network. The suite is read from $SLUICE_CONFORMANCE/json-schema when set,
 * else from the copy in tests/conformance (checked against the shared folder beside the
 * repository when there is one).
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"
#include "json/json.h"
#include "schema/schema.h"
#include "util/buf.h"

static const char *const asserted_formats[] = {"date-time", "date", "time", "email",
					       "uuid",      "ipv4", "ipv6", "uri"};


static char *suite_dir(void)
{
	return th_conformance_dir("json-schema");
}

/* ---- tree -> JSON text ---------------------------------------------------------------- */

static void emit(struct sl_buf *b, const struct sl_json_node *n)
{
	switch (n->type) {
	case SL_JSON_NULL:
		sl_buf_puts(b, "null");
		break;
	case SL_JSON_TRUE:
		sl_buf_puts(b, "true");
		break;
	case SL_JSON_FALSE:
		sl_buf_puts(b, "false");
		break;
	case SL_JSON_INT:
		sl_buf_printf(b, "%lld", (long long)n->u.i);
		break;
	case SL_JSON_DOUBLE:
		sl_buf_printf(b, "%.17g", n->u.d);
		break;
	case SL_JSON_BIGINT:
		sl_buf_append(b, n->u.str.s, n->u.str.len);
		break;
	case SL_JSON_STRING:
		sl_buf_json_str(b, n->u.str.s, n->u.str.len);
		break;
	case SL_JSON_ARRAY:
		sl_buf_puts(b, "[");
		for (size_t k = 0; k < n->u.c.n; k++) {
			if (k)
				sl_buf_puts(b, ",");
			emit(b, n->u.c.items[k]);
		}
		sl_buf_puts(b, "]");
		break;
	case SL_JSON_OBJECT:
		sl_buf_puts(b, "{");
		for (size_t k = 0; k < n->u.c.n; k++) {
			if (k)
				sl_buf_puts(b, ",");
			sl_buf_json_str(b, n->u.c.keys[k], n->u.c.key_lens[k]);
			sl_buf_puts(b, ":");
			emit(b, n->u.c.items[k]);
		}
		sl_buf_puts(b, "}");
		break;
	default:
		fail_msg("unexpected node type %d", n->type);
	}
}

/* ---- remotes ------------------------------------------------------------------------- */

struct remotes {
	char *dir;
};

static int load_remote(void *ctx, const char *uri, char **text, size_t *len, struct sl_err *err)
{
	const struct remotes *r = ctx;
	static const char prefix[] = "http://localhost:1234/";
	if (strncmp(uri, prefix, sizeof(prefix) - 1) != 0 || strstr(uri, "..")) {
		sl_err_set(err, SL_ENOENT, "no remote %s", uri);
		return SL_ENOENT;
	}
	char *path = NULL;
	assert_true(asprintf(&path, "%s/%s", r->dir, uri + sizeof(prefix) - 1) > 0);
	FILE *f = fopen(path, "rb");
	free(path);
	if (!f) {
		sl_err_set(err, SL_ENOENT, "no remote %s", uri);
		return SL_ENOENT;
	}
	fclose(f);
	assert_true(asprintf(&path, "%s/%s", r->dir, uri + sizeof(prefix) - 1) > 0);
	*text = th_read_file(path, len);
	free(path);
	return 0;
}

/* ---- the known failures -------------------------------------------------------------- */

struct known {
	char **ids; /* "draft/file :: group :: test" */
	bool *seen;
	size_t n;
};

static void known_load(struct known *k)
{
	char *repo = th_repo_dir(), *path = NULL;
	assert_true(asprintf(&path, "%s/tests/schema_conformance_failures.txt", repo) > 0);
	size_t len;
	char *text = th_read_file(path, &len);
	k->ids = calloc(4096, sizeof(char *));
	k->seen = calloc(4096, sizeof(bool));
	k->n = 0;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		if (line[0] == '#' || !line[0])
			continue;
		/* id is everything before the third " :: " (the reason follows it) */
		char *p = line;
		for (int sep = 0; sep < 3 && p; sep++) {
			p = strstr(p, " :: ");
			if (p && sep < 2)
				p += 4;
		}
		assert_non_null(p);
		assert_true(k->n < 4096);
		k->ids[k->n++] = strndup(line, (size_t)(p - line));
	}
	free(text);
	free(path);
	free(repo);
}

static bool known_has(struct known *k, const char *id)
{
	for (size_t i = 0; i < k->n; i++)
		if (strcmp(k->ids[i], id) == 0) {
			k->seen[i] = true;
			return true;
		}
	return false;
}

/* ---- running ------------------------------------------------------------------------- */

struct tally {
	int cases, passed, unlisted, listed_failures;
};

static bool run_case(struct sl_validator *v, const struct sl_json_node *data, bool *valid)
{
	struct sl_buf b;
	sl_buf_init(&b, 0);
	emit(&b, data);
	struct sl_json_parser *p = sl_json_parser_new(NULL);
	struct sl_json_doc doc;
	struct sl_json_error je;
	bool ok = sl_json_parse(p, b.data, b.len, &doc, &je) == 0;
	if (ok) {
		struct sl_schema_error errs[4];
		size_t n;
		int rc = sl_validate(v, &doc, errs, 4, &n);
		ok = rc >= 0;
		*valid = rc == 1;
		if (rc == 0)
			assert_true(n >= 1); /* an invalid record always says why */
	}
	sl_json_parser_free(p);
	sl_buf_release(&b);
	return ok;
}

static void run_file(const char *dir, const char *draft, const char *rel, struct remotes *rm,
		     struct known *known, struct tally *t)
{
	char *path = NULL;
	assert_true(asprintf(&path, "%s/tests/%s/%s", dir, draft, rel) > 0);
	size_t len;
	char *text = th_read_file(path, &len);
	struct sl_json_error je;
	struct sl_json_node *groups = sl_json_tree_parse(text, len, NULL, &je);
	assert_non_null(groups);
	assert_int_equal(groups->type, SL_JSON_ARRAY);
	struct sl_schema_resolver res = {load_remote, rm};
	for (size_t g = 0; g < groups->u.c.n; g++) {
		const struct sl_json_node *grp = groups->u.c.items[g];
		const struct sl_json_node *desc = sl_json_get(grp, "description");
		const struct sl_json_node *schema = sl_json_get(grp, "schema");
		const struct sl_json_node *tests = sl_json_get(grp, "tests");
		assert_non_null(desc);
		assert_non_null(schema);
		assert_non_null(tests);
		struct sl_buf sb;
		sl_buf_init(&sb, 0);
		emit(&sb, schema);
		struct sl_schema_opts opts = {
			.resolver = &res,
			.default_draft = strcmp(draft, "draft7") == 0 ? SL_DRAFT_7 : SL_DRAFT_2020_12};
		struct sl_schema *s = NULL;
		struct sl_err err = {0};
		int rc = sl_schema_compile(sb.data, sb.len, &opts, &s, &err);
		struct sl_validator *v = rc == 0 ? sl_validator_new(s) : NULL;
		for (size_t k = 0; k < tests->u.c.n; k++) {
			const struct sl_json_node *tc = tests->u.c.items[k];
			const struct sl_json_node *tdesc = sl_json_get(tc, "description");
			const struct sl_json_node *want = sl_json_get(tc, "valid");
			char *id = NULL;
			assert_true(asprintf(&id, "%s/%s :: %s :: %s", draft, rel, desc->u.str.s,
					     tdesc->u.str.s) > 0);
			bool valid = false, ran = v && run_case(v, sl_json_get(tc, "data"), &valid);
			bool pass = ran && valid == (want->type == SL_JSON_TRUE);
			t->cases++;
			if (pass) {
				t->passed++;
				if (known_has(known, id))
					fail_msg("listed as failing but passes: %s", id);
			} else if (known_has(known, id)) {
				t->listed_failures++;
			} else {
				t->unlisted++;
				print_message("FAIL %s (%s)\n", id,
					      !v ? err.msg : ran ? "wrong verdict" : "record not parsed");
			}
			free(id);
		}
		sl_validator_free(v);
		sl_schema_free(s);
		sl_buf_release(&sb);
	}
	sl_json_tree_free(groups);
	free(text);
	free(path);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every *.json directly in tests/<draft>/<sub> (sub "" for the required ones). */
static void run_dir(const char *dir, const char *draft, const char *sub, struct remotes *rm,
		    struct known *known, struct tally *t)
{
	char *path = NULL;
	assert_true(asprintf(&path, "%s/tests/%s%s%s", dir, draft, *sub ? "/" : "", sub) > 0);
	DIR *d = opendir(path);
	assert_non_null(d);
	char *names[512];
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		if (l > 5 && strcmp(de->d_name + l - 5, ".json") == 0 && n < 512)
			assert_true(asprintf(&names[n++], "%s%s%s", sub, *sub ? "/" : "",
					     de->d_name) > 0);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_str);
	for (size_t k = 0; k < n; k++) {
		run_file(dir, draft, names[k], rm, known, t);
		free(names[k]);
	}
	free(path);
}

static void run_draft(const char *draft)
{
	char *dir = suite_dir();
	struct remotes rm;
	assert_true(asprintf(&rm.dir, "%s/remotes", dir) > 0);
	struct known known;
	known_load(&known);

	struct tally req = {0}, fmt = {0};
	run_dir(dir, draft, "", &rm, &known, &req);
	for (size_t k = 0; k < sizeof(asserted_formats) / sizeof(asserted_formats[0]); k++) {
		char *rel = NULL, *path = NULL;
		assert_true(asprintf(&rel, "optional/format/%s.json", asserted_formats[k]) > 0);
		assert_true(asprintf(&path, "%s/tests/%s/%s", dir, draft, rel) > 0);
		FILE *f = fopen(path, "rb"); /* draft-07 has no uuid tests */
		if (f) {
			fclose(f);
			run_file(dir, draft, rel, &rm, &known, &fmt);
		}
		free(path);
		free(rel);
	}
	print_message("%s: required %d/%d passed (%.2f%%), %d listed failures; formats %d/%d\n",
		      draft, req.passed, req.cases, 100.0 * req.passed / req.cases,
		      req.listed_failures, fmt.passed, fmt.cases);
	assert_true(req.cases > 900); /* 2020-12 has about 1,300, draft-07 about 930 */
	assert_int_equal(req.unlisted, 0);
	assert_true(req.passed * 100 >= req.cases * 98);
	assert_true(fmt.cases > 100);
	assert_int_equal(fmt.passed, fmt.cases);
	for (size_t k = 0; k < known.n; k++)
		free(known.ids[k]);
	free(known.ids);
	free(known.seen);
	free(rm.dir);
	free(dir);
}

static void test_draft2020_12(void **state)
{
	(void)state;
	run_draft("draft2020-12");
}

static void test_draft7(void **state)
{
	(void)state;
	run_draft("draft7");
}

/* The copy kept with the tests equals the shared folder beside the repository. */
static void compare_tree(const char *a, const char *b, int *files)
{
	DIR *d = opendir(a);
	assert_non_null(d);
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char *x = NULL, *y = NULL;
		assert_true(asprintf(&x, "%s/%s", a, de->d_name) > 0);
		assert_true(asprintf(&y, "%s/%s", b, de->d_name) > 0);
		DIR *sub = opendir(x);
		if (sub) {
			closedir(sub);
			compare_tree(x, y, files);
		} else {
			size_t la, lb;
			char *p = th_read_file(x, &la), *q = th_read_file(y, &lb);
			if (la != lb || memcmp(p, q, la) != 0)
				fail_msg("%s differs from the shared copy", y);
			free(p);
			free(q);
			(*files)++;
		}
		free(x);
		free(y);
	}
	closedir(d);
}

static void test_copy_is_exact(void **state)
{
	(void)state;
	char *repo = th_repo_dir(), *shared = NULL, *mine = NULL;
	assert_true(asprintf(&shared, "%s/../shared/conformance/json-schema", repo) > 0);
	assert_true(asprintf(&mine, "%s/tests/conformance/json-schema", repo) > 0);
	DIR *d = opendir(shared);
	if (!d) {
		print_message("no shared conformance folder beside the repository: nothing to compare\n");
	} else {
		closedir(d);
		int files = 0;
		compare_tree(shared, mine, &files);
		assert_true(files > 200);
	}
	free(shared);
	free(mine);
	free(repo);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_copy_is_exact),
		cmocka_unit_test(test_draft2020_12),
		cmocka_unit_test(test_draft7),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
