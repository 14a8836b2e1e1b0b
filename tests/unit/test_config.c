/*
 * test_config.c - sluice.yaml: defaults, units, round trips through the default text and
 * sl_config_show, queue overrides, and every way a file is refused (with the exact code
 * and the PATH:LINE:COL a user would be pointed to).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "helpers.h"

struct fx {
	char *dir;
	char *path; /* dir/sluice.yaml */
};

static int fx_setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	assert_non_null(fx);
	fx->dir = th_tmpdir("config");
	assert_true(asprintf(&fx->path, "%s/%s", fx->dir, SL_CONFIG_FILE) > 0);
	*state = fx;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *fx = *state;
	free(fx->path);
	th_rmtree_free(fx->dir);
	free(fx);
	return 0;
}

static void write_text(const struct fx *fx, const char *text)
{
	th_write_file(fx->path, text, strlen(text));
}

/* Loads text and asserts success. */
static void load_ok(const struct fx *fx, const char *text, struct sl_config *cfg)
{
	struct sl_err err = {0};
	write_text(fx, text);
	int rc = sl_config_load(fx->path, cfg, &err);
	if (rc != 0)
		fail_msg("load failed (%d): %s\n--- input ---\n%s", rc, err.msg, text);
}

static void assert_is_defaults(const struct sl_config *cfg)
{
	struct sl_config def;
	sl_config_defaults(&def);
	assert_memory_equal(cfg, &def, sizeof(def));
}

/* sl_config_show into a malloc'd string. */
static char *show_text(const struct sl_config *cfg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	assert_non_null(out);
	sl_config_show(cfg, out);
	assert_int_equal(fclose(out), 0);
	return buf;
}

/* ---- values that load ----------------------------------------------------------------- */

static void test_defaults_values(void **state)
{
	(void)state;
	struct sl_config cfg;
	sl_config_defaults(&cfg);
	assert_int_equal(cfg.version, 1);
	assert_string_equal(cfg.store_backend, "local");
	assert_true(cfg.store_fsync);
	assert_int_equal(cfg.max_object_size, 0);
	assert_string_equal(cfg.meta_backend, "sqlite");
	assert_int_equal(cfg.busy_timeout_ms, 30000);
	assert_string_equal(cfg.meta_synchronous, "full");
	assert_int_equal(cfg.queue_defaults.visibility_timeout_ms, 30000);
	assert_int_equal(cfg.queue_defaults.max_receive_count, 5);
	assert_int_equal(cfg.queue_defaults.retention_ms, 4LL * 24 * 3600 * 1000);
	assert_int_equal(cfg.n_queues, 0);
	assert_int_equal(cfg.crawl.batch_messages, 1000);
	assert_int_equal(cfg.crawl.batch_wait_ms, 5000);
	assert_int_equal(cfg.crawl.sample_bytes, 10 << 20);
	assert_int_equal(cfg.crawl.max_struct_fields, 1000);
	assert_int_equal(cfg.crawl.defaults.depth, 1);
	assert_string_equal(cfg.crawl.defaults.schema_change, "update");
	assert_string_equal(cfg.crawl.defaults.deletion, "delete");
	assert_string_equal(cfg.crawl.defaults.name, "");
	assert_int_equal(cfg.crawl.n_families, 0);
	assert_ptr_equal(sl_config_family(&cfg, "clicks"), &cfg.crawl.defaults);
	const struct sl_etl_conf *ec = &cfg.etl;
	assert_int_equal(ec->lease_ms, 60000);
	assert_int_equal(ec->n_jobs, 0);
	assert_int_equal(ec->n_default_jobs, 0);
	assert_string_equal(ec->defaults.name, "");
	assert_string_equal(ec->defaults.codec, "zstd");
	assert_int_equal(ec->defaults.level, 0);
	assert_int_equal(ec->defaults.target_file_size, 128 << 20);
	assert_string_equal(ec->defaults.layout, "flat");
	assert_string_equal(ec->defaults.on_error, "deadletter");
	assert_string_equal(ec->defaults.schedule, "0 2 * * *");
	assert_string_equal(ec->defaults.partition_by, "");
	assert_string_equal(ec->defaults.sql, "");
	struct sl_job_conf job;
	assert_null(sl_config_job(&cfg, "clicks", &job)); /* no job, no default jobs */
}

static void test_empty_and_null_mean_defaults(void **state)
{
	static const char *const texts[] = {
		"",
		"# nothing but a comment\n\n",
		"---\n",
		"~\n",
		"store:\nmetadata:\nqueues:\n",
		"version:\nstore:\n  fsync:\n  max_object_size: ~\nqueues:\n  defaults: null\n",
		"{}\n",
	};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct sl_config cfg;
		memset(&cfg, 0xa5, sizeof(cfg));
		load_ok(*state, texts[i], &cfg);
		assert_is_defaults(&cfg);
	}
}

static void test_default_text_loads_as_defaults(void **state)
{
	struct sl_config cfg;
	load_ok(*state, sl_config_default_text(), &cfg);
	assert_is_defaults(&cfg);
	assert_int_equal(sl_config_check(((struct fx *)*state)->path, NULL, NULL, NULL, NULL), 0);
}

/* The file `sluice init` writes must spell out every key with its default: each line that
 * sl_config_show prints for the defaults is a line of the default text. */
static void test_default_text_sets_every_key(void **state)
{
	(void)state;
	struct sl_config def;
	sl_config_defaults(&def);
	char *shown = show_text(&def);
	const char *text = sl_config_default_text();
	char *save = NULL;
	int n_lines = 0;
	for (char *line = strtok_r(shown, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *want = NULL;
		assert_true(asprintf(&want, "\n%s\n", line) > 0);
		if (!strstr(text, want))
			fail_msg("default text lacks the line '%s'", line);
		free(want);
		n_lines++;
	}
	/* version, 4 sections, queues.defaults, 9 keys; validate: defaults (3 keys), routes,
	 * subjects, report (2 keys), limits (3 keys); crawl: 4 keys, defaults (3 keys),
	 * families; etl: lease, default_jobs, defaults (7 keys), jobs */
	assert_int_equal(n_lines, 50);
	free(shown);
}

static void test_full_example(void **state)
{
	struct sl_config cfg;
	load_ok(*state,
		"version: 1\n"
		"store:\n"
		"  backend: local            # only \"local\" for now\n"
		"  fsync: off\n"
		"  max_object_size: 5 GiB\n"
		"metadata:\n"
		"  backend: sqlite\n"
		"  busy_timeout: 500ms\n"
		"  synchronous: normal\n"
		"queues:\n"
		"  defaults:\n"
		"    visibility_timeout: 45s\n"
		"    max_receive_count: 3\n"
		"    retention: 2d\n"
		"  landing:\n"
		"    visibility_timeout: 5m\n"
		"  deadletter:\n"
		"    retention: 14d\n"
		"    max_receive_count: 1000\n",
		&cfg);
	assert_int_equal(cfg.version, 1);
	assert_false(cfg.store_fsync);
	assert_int_equal(cfg.max_object_size, 5LL << 30);
	assert_int_equal(cfg.busy_timeout_ms, 500);
	assert_string_equal(cfg.meta_synchronous, "normal");
	assert_int_equal(cfg.queue_defaults.visibility_timeout_ms, 45000);
	assert_int_equal(cfg.queue_defaults.max_receive_count, 3);
	assert_int_equal(cfg.queue_defaults.retention_ms, 2LL * 86400000);
	assert_int_equal(cfg.n_queues, 2);
	assert_string_equal(cfg.queues[0].name, "landing");
	assert_string_equal(cfg.queues[1].name, "deadletter");

	struct sl_queue_conf q;
	sl_config_queue(&cfg, "landing", &q);
	assert_string_equal(q.name, "landing");
	assert_int_equal(q.visibility_timeout_ms, 5 * 60000);
	assert_int_equal(q.max_receive_count, 3);          /* from defaults */
	assert_int_equal(q.retention_ms, 2LL * 86400000); /* from defaults */
	sl_config_queue(&cfg, "deadletter", &q);
	assert_int_equal(q.visibility_timeout_ms, 45000);
	assert_int_equal(q.max_receive_count, 1000);
	assert_int_equal(q.retention_ms, 14LL * 86400000);
	sl_config_queue(&cfg, "raw", &q); /* no override: the defaults, named */
	assert_string_equal(q.name, "raw");
	assert_int_equal(q.visibility_timeout_ms, 45000);
	assert_int_equal(q.max_receive_count, 3);
	assert_int_equal(q.retention_ms, 2LL * 86400000);
}

/* An override written before queues.defaults still inherits those defaults. */
static void test_override_before_defaults(void **state)
{
	struct sl_config cfg;
	struct sl_queue_conf q;
	load_ok(*state,
		"queues:\n"
		"  raw:\n"
		"    max_receive_count: 9\n"
		"  curated:\n"
		"  defaults:\n"
		"    visibility_timeout: 1h\n"
		"    retention: 1m\n",
		&cfg);
	sl_config_queue(&cfg, "raw", &q);
	assert_int_equal(q.max_receive_count, 9);
	assert_int_equal(q.visibility_timeout_ms, 3600000);
	assert_int_equal(q.retention_ms, 60000);
	sl_config_queue(&cfg, "curated", &q); /* given with no keys: all inherited */
	assert_string_equal(q.name, "curated");
	assert_int_equal(q.max_receive_count, 5);
	assert_int_equal(q.visibility_timeout_ms, 3600000);
	assert_int_equal(cfg.n_queues, 2);
}

struct unit_case {
	const char *text;
	int64_t want;
};

static void test_size_units(void **state)
{
	static const struct unit_case cases[] = {
		{"0", 0},
		{"7", 7},
		{"1B", 1},
		{"10 KB", 10000},
		{"3MB", 3000000},
		{"2 GB", 2000000000},
		{"1TB", 1000000000000},
		{"1KiB", 1024},
		{"512MiB", 512LL << 20},
		{"\"5 GiB\"", 5LL << 30},
		{"2TiB", 2LL << 40},
		{"9223372036854775807", INT64_MAX},
		{"8388607 TiB", 8388607LL << 40},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text = NULL;
		struct sl_config cfg;
		assert_true(asprintf(&text, "store:\n  max_object_size: %s\n", cases[i].text) > 0);
		load_ok(*state, text, &cfg);
		if (cfg.max_object_size != cases[i].want)
			fail_msg("%s: got %lld", cases[i].text, (long long)cfg.max_object_size);
		free(text);
	}
}

static void test_duration_units(void **state)
{
	static const struct unit_case cases[] = {
		{"0", 0},       {"1500", 1500},        {"500ms", 500},
		{"30s", 30000}, {"5 m", 300000},       {"2h", 7200000},
		{"1d", 86400000}, {"'45s'", 45000},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text = NULL;
		struct sl_config cfg;
		assert_true(asprintf(&text, "metadata:\n  busy_timeout: %s\n", cases[i].text) > 0);
		load_ok(*state, text, &cfg);
		if (cfg.busy_timeout_ms != cases[i].want)
			fail_msg("%s: got %lld", cases[i].text, (long long)cfg.busy_timeout_ms);
		free(text);
	}
}

static void test_bool_spellings(void **state)
{
	static const char *const yes[] = {"true", "yes", "on", "True", "YES"};
	static const char *const no[] = {"false", "no", "off", "False", "OFF"};
	for (size_t i = 0; i < 5; i++) {
		char *text = NULL;
		struct sl_config cfg;
		assert_true(asprintf(&text, "store: {fsync: %s}\n", no[i]) > 0);
		load_ok(*state, text, &cfg);
		assert_false(cfg.store_fsync);
		free(text);
		assert_true(asprintf(&text, "store: {fsync: %s}\n", yes[i]) > 0);
		load_ok(*state, text, &cfg);
		assert_true(cfg.store_fsync);
		free(text);
	}
}

/* ---- show ---------------------------------------------------------------------------- */

static void test_show_defaults(void **state)
{
	(void)state;
	struct sl_config def;
	sl_config_defaults(&def);
	char *text = show_text(&def);
	assert_non_null(strstr(text, "\n  max_object_size: 0\n"));
	assert_non_null(strstr(text, "\n  busy_timeout: 30s\n"));
	assert_non_null(strstr(text, "\n    visibility_timeout: 30s\n"));
	assert_non_null(strstr(text, "\n    retention: 4d\n"));
	assert_non_null(strstr(text, "\n  fsync: true\n"));
	assert_null(strstr(text, "landing")); /* no overrides configured, none shown */
	free(text);
}

static void test_show_round_trip(void **state)
{
	struct fx *fx = *state;
	struct sl_config cfg, again;
	load_ok(fx,
		"store:\n"
		"  fsync: no\n"
		"  max_object_size: 10 KB\n"
		"metadata:\n"
		"  busy_timeout: 1500\n"
		"  synchronous: normal\n"
		"queues:\n"
		"  curated: {retention: 90s}\n"
		"  landing:\n"
		"    visibility_timeout: 5m\n"
		"  defaults:\n"
		"    max_receive_count: 7\n"
		"    retention: 36h\n"
		"  raw: ~\n"
		"  deadletter: {max_receive_count: 1000, visibility_timeout: 12h}\n",
		&cfg);
	char *text = show_text(&cfg);
	/* Overrides are shown resolved, in human units. */
	assert_non_null(strstr(text, "\n  curated:\n    visibility_timeout: 30s\n"
				     "    max_receive_count: 7\n    retention: 90s\n"));
	assert_non_null(strstr(text, "\n  landing:\n    visibility_timeout: 5m\n"));
	assert_non_null(strstr(text, "\n  max_object_size: 10KB\n"));
	assert_non_null(strstr(text, "\n  busy_timeout: 1500ms\n"));
	assert_non_null(strstr(text, "\n    retention: 36h\n"));

	load_ok(fx, text, &again);
	assert_memory_equal(&cfg, &again, sizeof(cfg));
	for (size_t i = 0; sl_config_queue_names[i]; i++) {
		struct sl_queue_conf a, b;
		sl_config_queue(&cfg, sl_config_queue_names[i], &a);
		sl_config_queue(&again, sl_config_queue_names[i], &b);
		assert_memory_equal(&a, &b, sizeof(a));
	}
	free(text);
}

/* Sizes and durations that no unit divides come back as plain numbers. */
static void test_show_round_trip_odd_values(void **state)
{
	struct fx *fx = *state;
	struct sl_config cfg, again;
	load_ok(fx,
		"store: {max_object_size: 1000001}\n"
		"metadata: {busy_timeout: 61001}\n"
		"queues: {defaults: {visibility_timeout: 0, retention: 1441m}}\n",
		&cfg);
	char *text = show_text(&cfg);
	assert_non_null(strstr(text, "max_object_size: 1000001\n"));
	assert_non_null(strstr(text, "busy_timeout: 61001ms\n"));
	assert_non_null(strstr(text, "visibility_timeout: 0\n"));
	assert_non_null(strstr(text, "retention: 1441m\n"));
	load_ok(fx, text, &again);
	assert_memory_equal(&cfg, &again, sizeof(cfg));
	free(text);
}

/* The validate section: routes in order, subjects resolved over validate.defaults wherever
 * the defaults are written, and a show/load round trip of awkward globs. */
static void test_validate_section(void **state)
{
	struct fx *fx = *state;
	struct sl_config cfg, again;
	load_ok(fx,
		"validate:\n"
		"  routes:\n"
		"    - match: 'legacy/**/order-*.json'\n"
		"      subject: orders\n"
		"      format: document\n"
		"    - {match: \"*/events/**\", subject: events}\n"
		"    - match: 'it''s/\\*/?x'\n"
		"      subject: odd.name_1-2\n"
		"  subjects:\n"
		"    orders:\n"
		"      policy: quarantine\n"
		"      version: 3\n"
		"    events:\n"
		"      version: latest\n"
		"    clicks:\n"
		"  defaults:\n"
		"    policy: quarantine\n"
		"    pass_through: yes\n"
		"    format: ndjson\n"
		"  report: {max_records: 0, max_errors_per_record: 100}\n"
		"  limits: {max_depth: 64, max_record: 1MiB, max_string: 1000}\n",
		&cfg);
	const struct sl_validate_conf *vc = &cfg.validate;
	assert_int_equal(vc->n_routes, 3);
	assert_string_equal(vc->routes[0].match, "legacy/**/order-*.json");
	assert_string_equal(vc->routes[0].subject, "orders");
	assert_string_equal(vc->routes[0].format, "document");
	assert_string_equal(vc->routes[1].match, "*/events/**");
	assert_string_equal(vc->routes[1].format, "ndjson"); /* from defaults, written later */
	assert_string_equal(vc->routes[2].match, "it's/\\*/?x");
	assert_int_equal(vc->n_subjects, 3);
	const struct sl_subject_conf *o = sl_config_subject(&cfg, "orders");
	assert_string_equal(o->policy, "quarantine");
	assert_int_equal(o->version, 3);
	assert_int_equal(o->pass_through, 1);
	const struct sl_subject_conf *e = sl_config_subject(&cfg, "events");
	assert_int_equal(e->version, 0);
	assert_string_equal(e->policy, "quarantine");
	const struct sl_subject_conf *c = sl_config_subject(&cfg, "clicks");
	assert_string_equal(c->name, "clicks");
	assert_int_equal(c->pass_through, 1);
	/* a subject not listed gets the defaults */
	assert_ptr_equal(sl_config_subject(&cfg, "nobody"), &vc->defaults);
	assert_int_equal(vc->report_max_records, 0);
	assert_int_equal(vc->report_max_errors, 100);
	assert_int_equal(vc->max_depth, 64);
	assert_int_equal(vc->max_record, 1 << 20);
	assert_int_equal(vc->max_string, 1000);

	char *text = show_text(&cfg);
	assert_non_null(strstr(text, "\n  routes:\n    - match: 'legacy/**/order-*.json'\n"
				     "      subject: 'orders'\n      format: document\n"));
	assert_non_null(strstr(text, "- match: 'it''s/\\*/?x'\n"));
	assert_non_null(strstr(text, "\n    orders:\n      policy: quarantine\n      version: 3\n"
				     "      pass_through: true\n"));
	assert_non_null(strstr(text, "\n    events:\n      policy: quarantine\n"
				     "      version: latest\n"));
	load_ok(fx, text, &again);
	assert_memory_equal(&cfg, &again, sizeof(cfg));
	free(text);

	/* subject settings given before the defaults still inherit them; a subject's own
	 * values win */
	load_ok(fx,
		"validate:\n  subjects:\n    a: {pass_through: false}\n    b: ~\n"
		"  defaults: {pass_through: true, policy: quarantine}\n",
		&cfg);
	assert_int_equal(sl_config_subject(&cfg, "a")->pass_through, 0);
	assert_int_equal(sl_config_subject(&cfg, "b")->pass_through, 1);
	assert_string_equal(sl_config_subject(&cfg, "b")->policy, "quarantine");
}

/* The crawl section: batching, sampling, and per-family settings resolved over
 * crawl.defaults wherever the defaults are written; show and load agree. */
static void test_crawl_section(void **state)
{
	struct fx *fx = *state;
	struct sl_config cfg, again;
	load_ok(fx,
		"crawl:\n"
		"  batch_messages: 1\n"
		"  batch_wait: 15m\n"
		"  sample_bytes: 0\n"
		"  max_struct_fields: 1000000\n"
		"  families:\n"
		"    clicks: {depth: 2, schema_change: add_columns}\n"
		"    orders.v2:\n"
		"      deletion: log\n"
		"    -odd_1:\n"
		"  defaults:\n"
		"    depth: 3\n"
		"    schema_change: log\n"
		"    deletion: deprecate\n",
		&cfg);
	const struct sl_crawl_conf *cc = &cfg.crawl;
	assert_int_equal(cc->batch_messages, 1);
	assert_int_equal(cc->batch_wait_ms, 15 * 60000);
	assert_int_equal(cc->sample_bytes, 0);
	assert_int_equal(cc->max_struct_fields, 1000000);
	assert_int_equal(cc->n_families, 3);
	const struct sl_family_conf *f = sl_config_family(&cfg, "clicks");
	assert_string_equal(f->name, "clicks");
	assert_int_equal(f->depth, 2);
	assert_string_equal(f->schema_change, "add_columns");
	assert_string_equal(f->deletion, "deprecate"); /* from defaults, written later */
	f = sl_config_family(&cfg, "orders.v2");
	assert_int_equal(f->depth, 3);
	assert_string_equal(f->schema_change, "log");
	assert_string_equal(f->deletion, "log");
	f = sl_config_family(&cfg, "-odd_1"); /* given with nothing: all the defaults */
	assert_string_equal(f->name, "-odd_1");
	assert_int_equal(f->depth, 3);
	assert_string_equal(f->deletion, "deprecate");
	/* a family not listed gets the defaults; names match exactly */
	assert_ptr_equal(sl_config_family(&cfg, "nobody"), &cc->defaults);
	assert_ptr_equal(sl_config_family(&cfg, "Clicks"), &cc->defaults);
	assert_ptr_equal(sl_config_family(&cfg, ""), &cc->defaults);

	char *text = show_text(&cfg);
	assert_non_null(strstr(text, "\ncrawl:\n  batch_messages: 1\n  batch_wait: 15m\n"
				     "  sample_bytes: 0\n  max_struct_fields: 1000000\n"
				     "  defaults:\n    depth: 3\n    schema_change: log\n"
				     "    deletion: deprecate\n  families:\n    clicks:\n"
				     "      depth: 2\n      schema_change: add_columns\n"
				     "      deletion: deprecate\n"));
	assert_non_null(strstr(text, "\n    '-odd_1':\n      depth: 3\n"));
	load_ok(fx, text, &again);
	assert_memory_equal(&cfg, &again, sizeof(cfg));
	free(text);

	/* the defaults show as such */
	sl_config_defaults(&cfg);
	text = show_text(&cfg);
	assert_non_null(strstr(text, "\ncrawl:\n  batch_messages: 1000\n  batch_wait: 5s\n"
				     "  sample_bytes: 10MiB\n  max_struct_fields: 1000\n"
				     "  defaults:\n    depth: 1\n    schema_change: update\n"
				     "    deletion: delete\n  families: {}\n"));
	free(text);
}

static void test_crawl_too_many_families(void **state)
{
	struct fx *fx = *state;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	fputs("crawl:\n  families:\n", f);
	for (int i = 0; i <= SL_CONFIG_MAX_FAMILIES; i++)
		fprintf(f, "    f%d: {depth: 2}\n", i);
	fclose(f);
	write_text(fx, text);
	struct sl_config cfg;
	struct sl_err err = {0};
	assert_int_equal(sl_config_load(fx->path, &cfg, &err), SL_ECONFIG);
	assert_non_null(strstr(err.msg, "crawl.families: more than 128 families"));
	assert_non_null(strstr(err.msg, ":131:5: "));
	free(text);
}

static void test_validate_too_many_routes(void **state)
{
	struct fx *fx = *state;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	fputs("validate:\n  routes:\n", f);
	for (int i = 0; i <= SL_CONFIG_MAX_ROUTES; i++)
		fprintf(f, "    - {match: 'r%d/**', subject: s%d}\n", i, i);
	fclose(f);
	write_text(fx, text);
	struct sl_config cfg;
	struct sl_err err = {0};
	assert_int_equal(sl_config_load(fx->path, &cfg, &err), SL_ECONFIG);
	assert_non_null(strstr(err.msg, "more than 64 routes"));
	assert_non_null(strstr(err.msg, ":67:7: "));
	free(text);
}

/* ---- refused files ---------------------------------------------------------------------- */

struct bad_case {
	const char *name;
	const char *text;
	int code;
	const char *pos;       /* "LINE:COL" or NULL for "PATH: message" */
	const char *words[3];  /* each must appear in the message */
};

static const struct bad_case bad_cases[] = {
	{"wrong type bool", "version: 1\nstore:\n  fsync: maybe\n", SL_ECONFIG, "3:10",
	 {"store.fsync: expected true or false, got 'maybe'"}},
	{"wrong type int", "queues:\n  defaults:\n    max_receive_count: lots\n", SL_ECONFIG,
	 "3:24", {"queues.defaults.max_receive_count", "expected an integer", "'lots'"}},
	{"mapping for a scalar", "store:\n  fsync: {a: 1}\n", SL_ECONFIG, "2:10",
	 {"store.fsync", "got a mapping"}},
	{"size with lowercase unit", "store:\n  max_object_size: 5 gb\n", SL_ECONFIG, "2:20",
	 {"expected a size", "GiB", "'5 gb'"}},
	{"negative size", "store:\n  max_object_size: -1\n", SL_ECONFIG, "2:20",
	 {"expected a size", "'-1'"}},
	{"duration with unknown unit", "metadata:\n  busy_timeout: 3 weeks\n", SL_ECONFIG,
	 "2:17", {"metadata.busy_timeout", "expected a duration", "'3 weeks'"}},
	{"fractional duration", "metadata:\n  busy_timeout: 1.5s\n", SL_ECONFIG, "2:17",
	 {"expected a duration", "'1.5s'"}},
	{"enum", "metadata:\n  synchronous: off\n", SL_ECONFIG, "2:16",
	 {"metadata.synchronous: expected full or normal, got 'off'"}},
	{"backend", "store: {backend: s3}\n", SL_ECONFIG, "1:18",
	 {"store.backend: expected local, got 's3'"}},
	{"receive count zero", "queues:\n  defaults:\n    max_receive_count: 0\n", SL_ECONFIG,
	 "3:24", {"max_receive_count", "out of range", "1 .. 1000"}},
	{"receive count too big", "queues:\n  raw:\n    max_receive_count: 1001\n", SL_ECONFIG,
	 "3:24", {"queues.raw.max_receive_count", "'1001' is out of range", "1 .. 1000"}},
	{"receive count negative", "queues:\n  raw:\n    max_receive_count: -3\n", SL_ECONFIG,
	 "3:24", {"'-3' is out of range"}},
	{"visibility too long", "queues:\n  defaults:\n    visibility_timeout: 13h\n",
	 SL_ECONFIG, "3:25", {"visibility_timeout", "'13h' is out of range", "0 .. 12h"}},
	{"retention too short", "queues:\n  landing:\n    retention: 30s\n", SL_ECONFIG, "3:16",
	 {"queues.landing.retention", "out of range", "1m .. 14d"}},
	{"retention too long", "queues:\n  defaults:\n    retention: 15d\n", SL_ECONFIG, "3:16",
	 {"retention", "'15d' is out of range", "1m .. 14d"}},
	{"busy timeout too long", "metadata:\n  busy_timeout: 2d\n", SL_ECONFIG, "2:17",
	 {"busy_timeout", "0 .. 1d"}},
	{"size digits overflow", "store:\n  max_object_size: 9223372036854775808\n", SL_ECONFIG,
	 "2:20", {"max_object_size", "too large", "overflows"}},
	{"size unit overflow", "store:\n  max_object_size: 8388608 TiB\n", SL_ECONFIG, "2:20",
	 {"'8388608 TiB' is too large"}},
	{"duration overflow", "queues:\n  defaults:\n    retention: 106751991168d\n",
	 SL_ECONFIG, "3:16", {"retention", "too large"}},
	{"int overflow", "queues:\n  defaults:\n    max_receive_count: 99999999999999999999\n",
	 SL_ECONFIG, "3:24", {"too large"}},
	{"duplicate key", "store:\n  fsync: true\n  backend: local\n  fsync: false\n", SL_ECONFIG,
	 "4:3", {"duplicate key 'fsync'"}},
	{"duplicate section", "store: {}\nqueues: {}\nstore: {}\n", SL_ECONFIG, "3:1",
	 {"duplicate key 'store'"}},
	{"duplicate queue", "queues:\n  raw: {}\n  raw: {}\n", SL_ECONFIG, "3:3",
	 {"duplicate key 'raw'"}},
	{"alias", "queues:\n  defaults: &d\n    max_receive_count: 3\n  raw: *d\n", SL_ECONFIG,
	 "4:8", {"aliases are not supported", "*d"}},
	{"syntax error", "store:\n  backend: local\n  fsync: [true\n", SL_ECONFIG, "4:1",
	 {"YAML syntax error", "did not find expected ',' or ']'", "3:10"}},
	{"bad indentation", "store:\n  backend: local\n fsync: true\n", SL_ECONFIG, "3:2",
	 {"YAML syntax error"}},
	{"tab indentation", "store:\n\tfsync: true\n", SL_ECONFIG, "2:1",
	 {"YAML syntax error", "not tabs"}},
	{"two documents", "store: {}\n---\nqueues: {}\n", SL_ECONFIG, "2:1",
	 {"second YAML document"}},
	{"non-mapping section", "store: 3\n", SL_ECONFIG, "1:8",
	 {"store: expected a mapping, got '3'"}},
	{"sequence section", "version: 1\nqueues:\n  - landing\n", SL_ECONFIG, "3:3",
	 {"queues: expected a mapping, got a sequence"}},
	{"non-mapping override", "queues:\n  landing: 5m\n", SL_ECONFIG, "2:12",
	 {"queues.landing: expected a mapping, got '5m'"}},
	{"top level sequence", "- store\n- queues\n", SL_ECONFIG, "1:1",
	 {"top level must be a mapping", "got a sequence"}},
	{"top level scalar", "hello\n", SL_ECONFIG, "1:1",
	 {"top level must be a mapping", "'hello'"}},
	{"non-scalar key", "? [store]\n: 1\n", SL_ECONFIG, "1:3", {"key must be a plain name"}},
	{"unknown top key", "version: 1\nstores: {}\n", SL_ECONFIG, "2:1",
	 {"unknown key 'stores' at the top level (known: version, store, metadata, queues, "
	  "validate, crawl, etl)"}},
	{"unknown queue", "queues:\n  defaults: {}\n  landin:\n    retention: 1d\n", SL_ECONFIG,
	 "3:3",
	 {"unknown key 'landin' in queues (known: defaults, landing, raw, deadletter, curated)"}},
	{"unknown key in override", "queues:\n  raw:\n    retries: 3\n", SL_ECONFIG, "3:5",
	 {"unknown key 'retries' in queues.raw"}},
	{"version 2", "version: 2\nstore: {}\nrouting: {}\n", SL_ECONFIG, "1:10",
	 {"version 2", "written for a newer sluice"}},
	{"version 2 after other keys", "routing: {}\nversion: 2\n", SL_ECONFIG, "2:10",
	 {"newer sluice"}},
	{"version 0", "version: 0\n", SL_ECONFIG, "1:10", {"version: expected 1, got '0'"}},
	{"version text", "version: one\n", SL_ECONFIG, "1:10",
	 {"version", "expected an integer", "'one'"}},
	{"NUL escape", "store: {backend: \"local\\0junk\"}\n", SL_ECONFIG, "1:18",
	 {"NUL character"}},
	{"invalid UTF-8", "store:\n  backend: loc\x80\x81l\n", SL_ECONFIG, "2:15",
	 {"not a valid YAML text", "UTF-8", "0x80"}},
	/* validate: routes, subjects, report, limits */
	{"route glob: '**' inside a segment",
	 "validate:\n  routes:\n    - match: 'orders/a**'\n      subject: orders\n", SL_ECONFIG,
	 "3:14", {"validate.routes[0].match", "'**' must be a whole segment", "at byte 8"}},
	{"route glob: empty segment", "validate:\n  routes:\n    - {match: 'a//b', subject: s}\n",
	 SL_ECONFIG, "3:15", {"validate.routes[0].match", "empty segment"}},
	{"route glob: lone backslash",
	 "validate:\n  routes:\n    - {match: 'a\\', subject: s}\n", SL_ECONFIG, "3:15",
	 {"lone '\\'"}},
	{"route without subject", "validate:\n  routes:\n    - match: 'orders/**'\n", SL_ECONFIG,
	 "3:7", {"validate.routes[0]: 'subject' is required"}},
	{"route without match", "validate:\n  routes:\n    - {subject: a}\n    - {subject: b}\n",
	 SL_ECONFIG, "3:7", {"validate.routes[0]: 'match' is required"}},
	{"route subject with a slash",
	 "validate:\n  routes:\n    - {match: 'a/**', subject: 'a/b'}\n", SL_ECONFIG, "3:32",
	 {"validate.routes[0].subject", "letters, digits", "at byte 1"}},
	{"route unknown key",
	 "validate:\n  routes:\n    - match: 'a/**'\n      subjet: a\n", SL_ECONFIG, "4:7",
	 {"unknown key 'subjet' in validate.routes[0]", "known: match, subject, format"}},
	{"route format", "validate:\n  routes:\n    - {match: a, subject: a, format: csv}\n",
	 SL_ECONFIG, "3:38",
	 {"validate.routes[0].format: expected auto, ndjson, array or document, got 'csv'"}},
	{"routes not a sequence", "validate:\n  routes:\n    match: a\n", SL_ECONFIG, "3:5",
	 {"validate.routes: expected a sequence of routes"}},
	{"route not a mapping", "validate:\n  routes:\n    - 'orders/**'\n", SL_ECONFIG, "3:7",
	 {"validate.routes[0]: expected a mapping with match and subject, got 'orders/**'"}},
	{"subject bad name", "validate:\n  subjects:\n    'or ders':\n      policy: split\n",
	 SL_ECONFIG, "3:5", {"validate.subjects: 'or ders'", "letters, digits"}},
	{"subject duplicate", "validate:\n  subjects:\n    a: {}\n    b:\n    a: {}\n",
	 SL_ECONFIG, "5:5", {"duplicate subject 'a' in validate.subjects"}},
	{"subject policy", "validate:\n  subjects:\n    a: {policy: drop}\n", SL_ECONFIG, "3:17",
	 {"validate.subjects.a.policy: expected split or quarantine, got 'drop'"}},
	{"subject version zero", "validate:\n  subjects:\n    a: {version: 0}\n", SL_ECONFIG,
	 "3:18", {"validate.subjects.a.version", "out of range"}},
	{"subject version text", "validate:\n  subjects:\n    a: {version: newest}\n",
	 SL_ECONFIG, "3:18", {"validate.subjects.a.version", "'newest'"}},
	{"subject pass_through", "validate:\n  subjects:\n    a: {pass_through: maybe}\n",
	 SL_ECONFIG, "3:23", {"validate.subjects.a.pass_through: expected true or false"}},
	{"subject unknown key", "validate:\n  subjects:\n    a: {format: ndjson}\n", SL_ECONFIG,
	 "3:9", {"unknown key 'format' in validate.subjects.a", "policy, version, pass_through"}},
	{"subjects a sequence", "validate:\n  subjects: [a, b]\n", SL_ECONFIG, "2:13",
	 {"validate.subjects: expected a mapping of subject names"}},
	{"report cap", "validate:\n  report: {max_errors_per_record: 0}\n", SL_ECONFIG, "2:35",
	 {"validate.report.max_errors_per_record", "out of range", "1 .. 100"}},
	{"depth cap", "validate:\n  limits: {max_depth: 70000}\n", SL_ECONFIG, "2:23",
	 {"validate.limits.max_depth", "1 .. 65535"}},
	{"record cap", "validate:\n  limits: {max_record: 3GiB}\n", SL_ECONFIG, "2:24",
	 {"validate.limits.max_record", "out of range"}},
	{"defaults version", "validate:\n  defaults: {version: 3}\n", SL_ECONFIG, "2:14",
	 {"unknown key 'version' in validate.defaults"}},
	/* crawl */
	{"crawl batch zero", "crawl:\n  batch_messages: 0\n", SL_ECONFIG, "2:19",
	 {"crawl.batch_messages", "'0' is out of range", "1 .. 1000"}},
	{"crawl batch too big", "crawl:\n  batch_messages: 1001\n", SL_ECONFIG, "2:19",
	 {"crawl.batch_messages", "out of range"}},
	{"crawl wait too long", "crawl:\n  batch_wait: 16m\n", SL_ECONFIG, "2:15",
	 {"crawl.batch_wait", "'16m' is out of range", "0 .. 15m"}},
	{"crawl wait text", "crawl:\n  batch_wait: soon\n", SL_ECONFIG, "2:15",
	 {"crawl.batch_wait: expected a duration"}},
	{"crawl sample negative", "crawl:\n  sample_bytes: -1\n", SL_ECONFIG, "2:17",
	 {"crawl.sample_bytes: expected a size"}},
	{"crawl fields zero", "crawl:\n  max_struct_fields: 0\n", SL_ECONFIG, "2:22",
	 {"crawl.max_struct_fields", "1 .. 1000000"}},
	{"crawl fields too many", "crawl:\n  max_struct_fields: 1000001\n", SL_ECONFIG, "2:22",
	 {"crawl.max_struct_fields", "out of range"}},
	{"crawl unknown key", "crawl:\n  batch_size: 10\n", SL_ECONFIG, "2:3",
	 {"unknown key 'batch_size' in crawl", "known: batch_messages, batch_wait, sample_bytes, "
	  "max_struct_fields, defaults, families"}},
	{"crawl depth zero", "crawl:\n  defaults: {depth: 0}\n", SL_ECONFIG, "2:21",
	 {"crawl.defaults.depth", "'0' is out of range", "1 .. 8"}},
	{"crawl depth nine", "crawl:\n  families:\n    a: {depth: 9}\n", SL_ECONFIG, "3:16",
	 {"crawl.families.a.depth", "'9' is out of range"}},
	{"crawl schema change", "crawl:\n  defaults:\n    schema_change: add\n", SL_ECONFIG,
	 "3:20",
	 {"crawl.defaults.schema_change: expected update, add_columns or log, got 'add'"}},
	{"crawl deletion", "crawl:\n  families:\n    a: {deletion: drop}\n", SL_ECONFIG,
	 "3:19", {"crawl.families.a.deletion: expected delete, deprecate or log, got 'drop'"}},
	{"crawl family bad name", "crawl:\n  families:\n    'dt=2026':\n      depth: 2\n",
	 SL_ECONFIG, "3:5",
	 {"crawl.families: 'dt=2026'", "a family name holds only letters, digits"}},
	{"crawl family long name",
	 "crawl:\n  families:\n    aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa: {}\n",
	 SL_ECONFIG, "3:5", {"crawl.families", "a family name has 1 to 128 characters"}},
	{"crawl family duplicate", "crawl:\n  families:\n    a: {}\n    b:\n    a: {depth: 2}\n",
	 SL_ECONFIG, "5:5", {"duplicate family 'a' in crawl.families"}},
	{"crawl family unknown key", "crawl:\n  families:\n    a: {policy: split}\n",
	 SL_ECONFIG, "3:9",
	 {"unknown key 'policy' in crawl.families.a", "known: depth, schema_change, deletion"}},
	{"crawl family not a mapping", "crawl:\n  families:\n    a: 2\n", SL_ECONFIG, "3:8",
	 {"crawl.families.a: expected a mapping, got '2'"}},
	{"crawl families a sequence", "crawl:\n  families: [a, b]\n", SL_ECONFIG, "2:13",
	 {"crawl.families: expected a mapping of family names to settings"}},
	{"crawl family key not a name", "crawl:\n  families:\n    [a]: {}\n", SL_ECONFIG,
	 "3:5", {"crawl.families: a family must be a name, got a sequence"}},
	{"crawl defaults name", "crawl:\n  defaults: {name: x}\n", SL_ECONFIG, "2:14",
	 {"unknown key 'name' in crawl.defaults"}},
	{"crawl not a mapping", "crawl: yes\n", SL_ECONFIG, "1:8",
	 {"crawl: expected a mapping, got 'yes'"}},
	/* etl */
	{"etl not a mapping", "etl: [a]\n", SL_ECONFIG, "1:6",
	 {"etl: expected a mapping, got a sequence"}},
	{"etl unknown key", "etl:\n  job: {}\n", SL_ECONFIG, "2:3",
	 {"unknown key 'job' in etl (known: lease, default_jobs, defaults, jobs)"}},
	{"etl lease too short", "etl:\n  lease: 4s\n", SL_ECONFIG, "2:10",
	 {"etl.lease: '4s' is out of range (allowed 5s .. 1h)"}},
	{"etl lease too long", "etl:\n  lease: 61m\n", SL_ECONFIG, "2:10",
	 {"etl.lease", "out of range"}},
	{"etl default_jobs a scalar", "etl:\n  default_jobs: clicks\n", SL_ECONFIG, "2:17",
	 {"etl.default_jobs: expected a sequence of family names, or ['*'] for every family, "
	  "got 'clicks'"}},
	{"etl default_jobs bad name", "etl:\n  default_jobs: [a, 'b/c']\n", SL_ECONFIG, "2:21",
	 {"etl.default_jobs[1]: 'b/c'", "a family name holds only letters, digits"}},
	{"etl default_jobs star not alone", "etl:\n  default_jobs: [a, '*']\n", SL_ECONFIG,
	 "2:21", {"etl.default_jobs[1]: '*' means every family and stands alone"}},
	{"etl default_jobs duplicate", "etl:\n  default_jobs:\n    - a\n    - b\n    - a\n",
	 SL_ECONFIG, "5:7", {"duplicate family 'a' in etl.default_jobs"}},
	{"etl default_jobs mapping item", "etl:\n  default_jobs: [{a: 1}]\n", SL_ECONFIG,
	 "2:18", {"etl.default_jobs[0]: expected a family name, got a mapping"}},
	{"etl codec", "etl:\n  defaults:\n    codec: lz4\n", SL_ECONFIG, "3:12",
	 {"etl.defaults.codec: expected zstd, snappy, gzip or none, got 'lz4'"}},
	{"etl level too high", "etl:\n  defaults:\n    level: 23\n", SL_ECONFIG, "3:12",
	 {"etl.defaults.level: '23' is out of range (allowed 0 .. 22)"}},
	{"etl level negative", "etl:\n  jobs:\n    a: {source: a, level: -1}\n", SL_ECONFIG,
	 "3:27", {"etl.jobs.a.level: '-1' is out of range"}},
	{"etl gzip level", "etl:\n  defaults: {codec: gzip, level: 10}\n", SL_ECONFIG, "2:34",
	 {"etl.defaults: codec gzip takes level 0 .. 9, got 10"}},
	{"etl gzip level from the defaults",
	 "etl:\n  defaults: {level: 15}\n  jobs:\n    a: {source: a, codec: gzip}\n", SL_ECONFIG,
	 "4:27", {"etl.jobs.a: codec gzip takes level 0 .. 9, got 15"}},
	{"etl snappy level",
	 "etl:\n  jobs:\n    a:\n      source: a\n      codec: snappy\n      level: 1\n",
	 SL_ECONFIG, "6:14", {"etl.jobs.a: codec snappy has no levels, but level is 1"}},
	{"etl none level from the defaults",
	 "etl:\n  jobs:\n    a:\n      source: a\n      codec: none\n  defaults: {level: 3}\n",
	 SL_ECONFIG, "5:14", {"etl.jobs.a: codec none has no levels"}},
	{"etl file size too small", "etl:\n  defaults:\n    target_file_size: 1000KiB\n",
	 SL_ECONFIG, "3:23",
	 {"etl.defaults.target_file_size: '1000KiB' is out of range (allowed 1MiB .. 4GiB)"}},
	{"etl file size too large", "etl:\n  jobs:\n    a: {source: a, target_file_size: 5GiB}\n",
	 SL_ECONFIG, "3:38", {"etl.jobs.a.target_file_size", "out of range"}},
	{"etl mapping a text", "etl:\n  jobs:\n    a: {source: a, mapping: x}\n", SL_ECONFIG,
	 "3:29", {"etl.jobs.a.mapping: expected a mapping of select, drop, rename, cast, "
		  "derive and filter, got 'x'"}},
	{"etl mapping unknown key", "etl:\n  jobs:\n    a:\n      source: a\n"
	 "      mapping: {where: x}\n", SL_ECONFIG, "5:17",
	 {"etl.jobs.a.mapping: unknown key 'where' (known: select, drop, rename, cast, derive, "
	  "filter)"}},
	{"etl mapping select a text", "etl:\n  jobs:\n    a:\n      source: a\n"
	 "      mapping: {select: a}\n", SL_ECONFIG, "5:25",
	 {"etl.jobs.a.mapping.select: expected a sequence of column names, got 'a'"}},
	{"etl mapping derive a list", "etl:\n  jobs:\n    a:\n      source: a\n"
	 "      mapping: {derive: [a]}\n", SL_ECONFIG, "5:25",
	 {"etl.jobs.a.mapping.derive: expected a mapping of column names to texts"}},
	{"etl mapping empty filter", "etl:\n  jobs:\n    a:\n      source: a\n"
	 "      mapping: {filter: ''}\n", SL_ECONFIG, "5:25",
	 {"etl.jobs.a.mapping.filter: expected an expression"}},
	{"etl mapping nested item", "etl:\n  jobs:\n    a:\n      source: a\n"
	 "      mapping: {drop: [a, [b]]}\n", SL_ECONFIG, "5:27",
	 {"etl.jobs.a.mapping.drop: expected a non-empty text, got a sequence"}},
	{"etl mapping column twice", "etl:\n  jobs:\n    a:\n      source: a\n"
	 "      mapping:\n        cast: {a: int64, b: double, a: string}\n", SL_ECONFIG, "6:37",
	 {"etl.jobs.a.mapping.cast: 'a' is named twice"}},
	{"etl mapping and sql", "etl:\n  jobs:\n    a:\n      source: a\n"
	 "      sql: SELECT * FROM source\n      mapping: {drop: [x]}\n", SL_ECONFIG, "6:7",
	 {"etl.jobs.a: a job has a sql transform or a mapping, not both"}},
	{"etl layout", "etl:\n  defaults: {layout: tree}\n", SL_ECONFIG, "2:22",
	 {"etl.defaults.layout: expected flat or nested, got 'tree'"}},
	{"etl on_error", "etl:\n  jobs:\n    a: {source: a, on_error: skip}\n", SL_ECONFIG,
	 "3:30", {"etl.jobs.a.on_error: expected fail or deadletter, got 'skip'"}},
	{"etl schedule out of range", "etl:\n  defaults:\n    schedule: '0 24 * * *'\n",
	 SL_ECONFIG, "3:15",
	 {"etl.defaults.schedule: '0 24 * * *': hour (column 3): 24 is out of range (0-23)"}},
	{"etl schedule missing a field", "etl:\n  jobs:\n    a:\n      source: a\n"
	 "      schedule: 0 2 * *\n", SL_ECONFIG, "5:17",
	 {"etl.jobs.a.schedule: '0 2 * *': day-of-week (column 8): missing"}},
	{"etl schedule never fires", "etl:\n  defaults:\n    schedule: 0 0 30 feb *\n",
	 SL_ECONFIG, "3:15", {"etl.defaults.schedule: '0 0 30 feb *': it never fires"}},
	{"etl schedule a sequence", "etl:\n  defaults:\n    schedule: [0, 2]\n", SL_ECONFIG,
	 "3:15", {"etl.defaults.schedule: expected a text, got a sequence"}},
	{"etl schedule too long",
	 "etl:\n  defaults:\n    schedule: '0                                                 "
	 "                                                                               2 * * *'\n",
	 SL_ECONFIG, "3:15", {"etl.defaults.schedule: longer than 127 bytes"}},
	{"etl partition column with a capital", "etl:\n  defaults: {partition_by: 'dt,Country'}\n",
	 SL_ECONFIG, "2:28",
	 {"etl.defaults.partition_by: 'dt,Country': a column name holds only a-z, 0-9 and '_'",
	  "(at byte 3)"}},
	{"etl partition column starting with a digit",
	 "etl:\n  defaults: {partition_by: 1dt}\n", SL_ECONFIG, "2:28",
	 {"does not start with a digit", "(at byte 0)"}},
	{"etl partition column empty", "etl:\n  defaults: {partition_by: 'dt,,hour'}\n",
	 SL_ECONFIG, "2:28", {"an empty column name", "(at byte 3)"}},
	{"etl partition column trailing comma", "etl:\n  defaults: {partition_by: 'dt,'}\n",
	 SL_ECONFIG, "2:28", {"an empty column name", "(at byte 3)"}},
	{"etl partition column with a space", "etl:\n  defaults: {partition_by: 'dt, hour'}\n",
	 SL_ECONFIG, "2:28", {"a column name holds only", "(at byte 3)"}},
	{"etl partition column twice", "etl:\n  defaults: {partition_by: 'dt,hour,dt'}\n",
	 SL_ECONFIG, "2:28", {"column 'dt' is named twice (at byte 8)"}},
	{"etl defaults source", "etl:\n  defaults: {source: a}\n", SL_ECONFIG, "2:14",
	 {"unknown key 'source' in etl.defaults (known: codec, level, target_file_size, layout, "
	  "on_error, schedule, partition_by)"}},
	{"etl defaults sql", "etl:\n  defaults:\n    sql: SELECT 1\n", SL_ECONFIG, "3:5",
	 {"unknown key 'sql' in etl.defaults"}},
	{"etl job without source", "etl:\n  jobs:\n    a:\n      target: x\n", SL_ECONFIG,
	 "3:5", {"etl.jobs.a: 'source' is required"}},
	{"etl job with nothing", "etl:\n  jobs:\n    b: {source: b}\n    a:\n", SL_ECONFIG,
	 "4:5", {"etl.jobs.a: 'source' is required"}},
	{"etl job with an empty source", "etl:\n  jobs:\n    a: {source: ''}\n", SL_ECONFIG,
	 "3:17", {"etl.jobs.a.source: '': a family name has 1 to 128 characters"}},
	{"etl job bad name", "etl:\n  jobs:\n    'a b': {source: a}\n", SL_ECONFIG, "3:5",
	 {"etl.jobs: 'a b': a job name holds only letters, digits"}},
	{"etl job duplicate", "etl:\n  jobs:\n    a: {source: a}\n    a: {source: b}\n",
	 SL_ECONFIG, "4:5", {"duplicate job 'a' in etl.jobs"}},
	{"etl job not a mapping", "etl:\n  jobs:\n    a: orders\n", SL_ECONFIG, "3:8",
	 {"etl.jobs.a: expected a mapping, got 'orders'"}},
	{"etl jobs a sequence", "etl:\n  jobs: [a]\n", SL_ECONFIG, "2:9",
	 {"etl.jobs: expected a mapping of job names to settings, got a sequence"}},
	{"etl job unknown key", "etl:\n  jobs:\n    a: {source: a, schedual: '@daily'}\n",
	 SL_ECONFIG, "3:20",
	 {"unknown key 'schedual' in etl.jobs.a (known: source, target, codec, level, "
	  "target_file_size, layout, on_error, schedule, partition_by, sql, mapping)"}},
	{"etl job source a path", "etl:\n  jobs:\n    a: {source: 'orders/2026'}\n",
	 SL_ECONFIG, "3:17", {"etl.jobs.a.source: 'orders/2026': a family name", "(at byte 6)"}},
	{"etl job target with capitals", "etl:\n  jobs:\n    a: {source: a, target: Orders}\n",
	 SL_ECONFIG, "3:28",
	 {"etl.jobs.a.target: 'Orders': a table name holds only a-z, 0-9 and '_'", "(at byte 0)"}},
	{"etl job target with a dash", "etl:\n  jobs:\n    a: {source: a, target: web-logs}\n",
	 SL_ECONFIG, "3:28", {"a table name holds only", "(at byte 3)"}},
	{"etl job target empty", "etl:\n  jobs:\n    a: {source: a, target: ''}\n",
	 SL_ECONFIG, "3:28", {"a table name has 1 to 128 characters"}},
	{"etl two jobs, one target",
	 "etl:\n  jobs:\n    a: {source: orders}\n    b: {source: x, target: orders}\n",
	 SL_ECONFIG, "4:28",
	 {"etl.jobs.b: writes table 'orders', as etl.jobs.a (line 3) does: a table has one job"}},
	{"etl two jobs, one default target",
	 "etl:\n  jobs:\n    a: {source: x, target: web_logs}\n    b:\n      source: Web-Logs\n",
	 SL_ECONFIG, "4:5", {"etl.jobs.b: writes table 'web_logs', as etl.jobs.a (line 3)"}},
	{"etl default job hidden by a job's name",
	 "etl:\n  default_jobs: [clicks, orders]\n  jobs:\n    orders: {source: shop}\n",
	 SL_ECONFIG, "2:26",
	 {"etl.default_jobs[1]: the default job of 'orders' is named 'orders', as "
	  "etl.jobs.orders, which reads 'shop'; rename one, or give 'orders' a job"}},
	{"etl default job hidden by a job's table",
	 "etl:\n  jobs:\n    x: {source: shop, target: orders}\n  default_jobs: [Orders]\n",
	 SL_ECONFIG, "4:18",
	 {"etl.default_jobs[0]: the default job of 'Orders' writes table 'orders', as "
	  "etl.jobs.x does"}},
	{"long unknown key is cut short",
	 "store:\n  aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa: 1\n",
	 SL_ECONFIG, "2:3", {"unknown key 'aaaaaaaa", "aaa...' in store"}},
};

static void expect_failure(const struct fx *fx, const char *name, const char *text, size_t len,
			   int code, const char *pos, const char *const *words, size_t n_words)
{
	struct sl_config cfg;
	struct sl_err err = {0};
	char *prefix = NULL;

	th_write_file(fx->path, text, len);
	memset(&cfg, 0x5a, sizeof(cfg));
	int rc = sl_config_load(fx->path, &cfg, &err);
	if (rc != code || err.code != code)
		fail_msg("%s: got code %d (err.code %d), want %d; message: %s", name, rc, err.code,
			 code, err.msg);
	if (pos)
		assert_true(asprintf(&prefix, "%s:%s: ", fx->path, pos) > 0);
	else
		assert_true(asprintf(&prefix, "%s: ", fx->path) > 0);
	if (strncmp(err.msg, prefix, strlen(prefix)) != 0)
		fail_msg("%s: message '%s' does not start with '%s'", name, err.msg, prefix);
	for (size_t i = 0; i < n_words && words[i]; i++)
		if (!strstr(err.msg, words[i]))
			fail_msg("%s: message '%s' lacks '%s'", name, err.msg, words[i]);
	/* A file that does not load leaves the defaults, not half of the file. */
	assert_is_defaults(&cfg);
	/* Check mode sees the same first problem. */
	struct sl_err cerr = {0};
	int n = sl_config_check(fx->path, NULL, NULL, NULL, &cerr);
	if (code == SL_ECONFIG && (n < 1 || strcmp(cerr.msg, err.msg) != 0))
		fail_msg("%s: check returned %d, first message '%s'", name, n, cerr.msg);
	free(prefix);
}

static void test_bad_inputs(void **state)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		expect_failure(*state, c->name, c->text, strlen(c->text), c->code, c->pos, c->words,
			       3);
	}
}

static void test_unknown_key_message_exact(void **state)
{
	struct fx *fx = *state;
	struct sl_config cfg;
	struct sl_err err = {0};
	char *want = NULL;
	write_text(fx, "version: 1\n"
		       "store:\n"
		       "  fsync: true\n"
		       "queues:\n"
		       "  defaults:\n"
		       "    retention: 4d\n"
		       "    visiblity_timeout: 30s\n");
	assert_int_equal(sl_config_load(fx->path, &cfg, &err), SL_ECONFIG);
	assert_int_equal(err.code, SL_ECONFIG);
	assert_true(asprintf(&want,
			     "%s:7:5: unknown key 'visiblity_timeout' in queues.defaults "
			     "(known: visibility_timeout, max_receive_count, retention)",
			     fx->path) > 0);
	assert_string_equal(err.msg, want);
	free(want);
}

static void test_wrong_type_message_exact(void **state)
{
	struct fx *fx = *state;
	struct sl_config cfg;
	struct sl_err err = {0};
	char *want = NULL;
	write_text(fx, "version: 1\nstore:\n  fsync: maybe\n");
	assert_int_equal(sl_config_load(fx->path, &cfg, &err), SL_ECONFIG);
	assert_true(asprintf(&want, "%s:3:10: store.fsync: expected true or false, got 'maybe'",
			     fx->path) > 0);
	assert_string_equal(err.msg, want);
	free(want);
}

static void test_too_deep(void **state)
{
	struct fx *fx = *state;
	/* Flow style: 40 nested sequences under a known key. */
	char flow[128] = "store: ";
	size_t n = strlen(flow);
	for (int i = 0; i < 40; i++)
		flow[n++] = '[';
	for (int i = 0; i < 40; i++)
		flow[n++] = ']';
	flow[n++] = '\n';
	static const char *const words[] = {"nested deeper than 32 levels"};
	/* The top mapping is level 1, so the 32nd '[' (column 8 + 31) is one too many. */
	expect_failure(fx, "flow nesting", flow, n, SL_ECONFIG, "1:39", words, 1);

	/* Block style: mappings nested 40 deep, one indentation step per line; the mapping
	 * that starts on line L (column L) is level L, so line 33 is refused. */
	char *block = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&block, &len);
	assert_non_null(out);
	for (int i = 0; i < 40; i++)
		fprintf(out, "%*sk%d:\n", i, "", i);
	fprintf(out, "%*sleaf: 1\n", 40, "");
	assert_int_equal(fclose(out), 0);
	expect_failure(fx, "block nesting", block, len, SL_ECONFIG, "33:33", words, 1);
	free(block);
}

static void test_too_many_values(void **state)
{
	struct fx *fx = *state;
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	assert_non_null(out);
	fputs("store: [", out);
	for (int i = 0; i < 100001; i++)
		fputs("1,", out);
	fputs("1]\n", out);
	assert_int_equal(fclose(out), 0);
	static const char *const words[] = {"more than 100000 values"};
	/* Nodes: the top mapping, "store", the sequence, then the items: item 99998, at
	 * column 9 + 2 * 99997, is the 100001st. */
	expect_failure(fx, "too many values", text, len, SL_ECONFIG, "1:200003", words, 1);
	free(text);
}

static void test_too_large(void **state)
{
	struct fx *fx = *state;
	size_t len = (size_t)SL_CONFIG_MAX_BYTES;
	char *text = malloc(len + 1);
	assert_non_null(text);
	/* Comment lines: exactly at the limit the file is fine... */
	memset(text, '#', len + 1);
	for (size_t i = 79; i < len + 1; i += 80)
		text[i] = '\n';
	struct sl_config cfg;
	struct sl_err err = {0};
	th_write_file(fx->path, text, len);
	assert_int_equal(sl_config_load(fx->path, &cfg, &err), 0);
	assert_is_defaults(&cfg);
	/* ...one byte more and it is refused, with no position. */
	static const char *const words[] = {"larger than 4194304 bytes"};
	expect_failure(fx, "too large", text, len + 1, SL_ECONFIG, NULL, words, 1);
	free(text);
}

static void test_binary_garbage(void **state)
{
	static const unsigned char elf[] = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0, 0,
					    0,    0,   0,   0,   2, 0, 0x3e, 0, 1, 0, 0, 0};
	static const char *const words[] = {"not a valid YAML text"};
	expect_failure(*state, "ELF header", (const char *)elf, sizeof(elf), SL_ECONFIG, "1:1",
		       words, 1);

	/* Bytes that can never appear in UTF-8, after a valid first line. */
	static const char latin1[] = "version: 1\nstore: {backend: \xe9t\xe9}\n";
	static const char *const utf8_words[] = {"UTF-8"};
	expect_failure(*state, "latin-1 text", latin1, sizeof(latin1) - 1, SL_ECONFIG, "2:19",
		       utf8_words, 1);

	/* A lone NUL byte in the middle of a line. */
	static const char nul[] = "store:\n  fsync: tr\0ue\n";
	expect_failure(*state, "NUL byte", nul, sizeof(nul) - 1, SL_ECONFIG, "2:12", words, 1);
}

static void test_missing_file(void **state)
{
	struct fx *fx = *state;
	struct sl_config cfg;
	struct sl_err err = {0};
	char *path = NULL;
	assert_true(asprintf(&path, "%s/no-such.yaml", fx->dir) > 0);
	memset(&cfg, 0x5a, sizeof(cfg));
	assert_int_equal(sl_config_load(path, &cfg, &err), SL_ENOENT);
	assert_int_equal(err.code, SL_ENOENT);
	assert_non_null(strstr(err.msg, path));
	assert_non_null(strstr(err.msg, "No such file or directory"));
	assert_is_defaults(&cfg);
	assert_int_equal(sl_config_check(path, NULL, NULL, NULL, NULL), SL_ENOENT);
	/* A directory is not a configuration file either. */
	assert_int_equal(sl_config_load(fx->dir, &cfg, &err), SL_EIO);
	assert_non_null(strstr(err.msg, "Is a directory"));
	free(path);
}

/* ---- etl ---------------------------------------------------------------------------- */

/* The etl section: jobs resolved over etl.defaults wherever the defaults are written (a
 * key given with nothing after it inherits too, and '' is a value of its own), targets
 * named after their sources, and a show/load round trip. */
static void test_etl_section(void **state)
{
	struct fx *fx = *state;
	struct sl_config cfg, again;
	load_ok(fx,
		"etl:\n"
		"  lease: 90s\n"
		"  default_jobs: [clicks, Web-Logs]\n"
		"  jobs:\n"
		"    orders_daily:\n"
		"      source: orders\n"
		"      sql: |\n"
		"        SELECT id, amount,\n"
		"          date(ts) AS dt\n"
		"        FROM source WHERE amount > 0\n"
		"      partition_by: dt\n"
		"      level: ~\n"
		"    events.v2:\n"
		"      source: Events.V2\n"
		"      schedule: ''\n"
		"      codec: gzip\n"
		"      level: 9\n"
		"      layout: nested\n"
		"    refunds: {source: orders, target: refunds_2026, on_error: fail}\n"
		"  defaults:\n"
		"    codec: snappy\n"
		"    target_file_size: 64MiB\n"
		"    schedule: '*/30 * * * mon-fri'\n"
		"    partition_by: 'dt,country'\n"
		"    on_error: deadletter\n",
		&cfg);
	const struct sl_etl_conf *ec = &cfg.etl;
	assert_int_equal(ec->lease_ms, 90000);
	assert_int_equal(ec->n_default_jobs, 2);
	assert_string_equal(ec->default_jobs[0], "clicks");
	assert_string_equal(ec->default_jobs[1], "Web-Logs");
	assert_string_equal(ec->defaults.codec, "snappy");
	assert_int_equal(ec->defaults.target_file_size, 64 << 20);
	assert_string_equal(ec->defaults.layout, "flat"); /* built in */
	assert_int_equal(ec->n_jobs, 3);

	const struct sl_job_conf *j = &ec->jobs[0];
	assert_string_equal(j->name, "orders_daily");
	assert_string_equal(j->source, "orders");
	assert_string_equal(j->target, "orders");            /* the source's table */
	assert_string_equal(j->sql, "SELECT id, amount,\n  date(ts) AS dt\nFROM source WHERE "
				    "amount > 0\n");
	assert_string_equal(j->partition_by, "dt");           /* its own */
	assert_string_equal(j->codec, "snappy");              /* from defaults, written later */
	assert_int_equal(j->level, 0);                        /* given as ~: inherited */
	assert_int_equal(j->target_file_size, 64 << 20);
	assert_string_equal(j->layout, "flat");
	assert_string_equal(j->on_error, "deadletter");
	assert_string_equal(j->schedule, "*/30 * * * mon-fri");

	j = &ec->jobs[1];
	assert_string_equal(j->name, "events.v2");
	assert_string_equal(j->source, "Events.V2");
	assert_string_equal(j->target, "events_v2");          /* the catalog's table name */
	assert_string_equal(j->schedule, "");                 /* on demand only, not inherited */
	assert_string_equal(j->codec, "gzip");
	assert_int_equal(j->level, 9);
	assert_string_equal(j->layout, "nested");
	assert_string_equal(j->partition_by, "dt,country");
	assert_string_equal(j->sql, "");

	j = &ec->jobs[2];
	assert_string_equal(j->target, "refunds_2026");
	assert_string_equal(j->source, "orders"); /* two jobs may read one family */
	assert_string_equal(j->on_error, "fail");

	/* lookups: a job by name (a copy), a default job, nothing */
	struct sl_job_conf out;
	memset(&out, 0x5a, sizeof(out));
	assert_ptr_equal(sl_config_job(&cfg, "events.v2", &out), &out);
	assert_memory_equal(&out, &ec->jobs[1], sizeof(out));
	assert_ptr_equal(sl_config_job(&cfg, "Web-Logs", &out), &out);
	assert_string_equal(out.name, "Web-Logs");
	assert_string_equal(out.source, "Web-Logs");
	assert_string_equal(out.target, "web_logs");
	assert_string_equal(out.codec, "snappy");
	assert_string_equal(out.schedule, "*/30 * * * mon-fri");
	assert_string_equal(out.sql, "");
	assert_non_null(sl_config_job(&cfg, "clicks", &out));
	assert_null(sl_config_job(&cfg, "orders", &out)); /* not listed */
	assert_null(sl_config_job(&cfg, "Clicks", &out)); /* names match exactly */
	assert_null(sl_config_job(&cfg, NULL, &out));

	char *text = show_text(&cfg);
	assert_non_null(strstr(text, "\netl:\n  lease: 90s\n  default_jobs: ['clicks', 'Web-Logs']\n"
				     "  defaults:\n    codec: snappy\n    level: 0\n"
				     "    target_file_size: 64MiB\n    layout: flat\n"
				     "    on_error: deadletter\n    schedule: '*/30 * * * mon-fri'\n"
				     "    partition_by: 'dt,country'\n  jobs:\n    orders_daily:\n"
				     "      source: 'orders'\n      target: 'orders'\n"));
	assert_non_null(strstr(text, "      sql: \"SELECT id, amount,\\n  date(ts) AS dt\\nFROM "
				     "source WHERE amount > 0\\n\"\n"));
	assert_non_null(strstr(text, "\n    events.v2:\n      source: 'Events.V2'\n"
				     "      target: 'events_v2'\n      codec: gzip\n      level: 9\n"));
	assert_non_null(strstr(text, "      schedule: ''\n"));
	load_ok(fx, text, &again);
	assert_memory_equal(&cfg, &again, sizeof(cfg));
	free(text);

	/* the defaults show as such */
	sl_config_defaults(&cfg);
	text = show_text(&cfg);
	assert_non_null(strstr(text, "\netl:\n  lease: 1m\n  default_jobs: []\n  defaults:\n"
				     "    codec: zstd\n    level: 0\n    target_file_size: 128MiB\n"
				     "    layout: flat\n    on_error: deadletter\n"
				     "    schedule: '0 2 * * *'\n    partition_by: ''\n  jobs: {}\n"));
	free(text);
}

/* default_jobs: ['*'] gives every family its default job, except a family that a job
 * reads (it has that job) or whose table a job writes (a table has one job). */
static void test_etl_default_jobs_star(void **state)
{
	struct fx *fx = *state;
	struct sl_config cfg, again;
	struct sl_job_conf out;
	load_ok(fx,
		"etl:\n"
		"  default_jobs: ['*']\n"
		"  defaults: {layout: nested}\n"
		"  jobs:\n"
		"    orders_daily: {source: orders}\n"
		"    mix: {source: shop, target: clicks}\n",
		&cfg);
	assert_int_equal(cfg.etl.n_default_jobs, 1);
	assert_string_equal(cfg.etl.default_jobs[0], "*");
	const struct sl_job_conf *j = sl_config_job(&cfg, "telemetry", &out);
	assert_ptr_equal(j, &out);
	assert_string_equal(out.name, "telemetry");
	assert_string_equal(out.source, "telemetry");
	assert_string_equal(out.target, "telemetry");
	assert_string_equal(out.layout, "nested");
	assert_non_null(sl_config_job(&cfg, "2026-batch", &out));
	assert_string_equal(out.target, "_2026_batch");
	assert_null(sl_config_job(&cfg, "orders", &out));      /* orders_daily reads it */
	assert_null(sl_config_job(&cfg, "Clicks", &out));      /* mix writes table clicks */
	assert_null(sl_config_job(&cfg, "a/b", &out));         /* not a family name */
	assert_null(sl_config_job(&cfg, "", &out));
	assert_string_equal(sl_config_job(&cfg, "orders_daily", &out)->source, "orders");

	char *text = show_text(&cfg);
	assert_non_null(strstr(text, "\n  default_jobs: ['*']\n"));
	load_ok(fx, text, &again);
	assert_memory_equal(&cfg, &again, sizeof(cfg));
	free(text);

	/* an explicit family that a job reads is fine: it simply has that job */
	load_ok(fx, "etl:\n  default_jobs: [orders]\n  jobs:\n    orders: {source: orders}\n"
		    "    daily: {source: orders, target: daily}\n", &cfg);
	assert_string_equal(sl_config_job(&cfg, "orders", &out)->target, "orders");
}

/* Texts that single quotes would fold or that hold control characters are shown with
 * escapes and read back the same. */
static void test_etl_show_round_trip_odd_sql(void **state)
{
	struct fx *fx = *state;
	struct sl_config cfg, again;
	load_ok(fx,
		"etl:\n"
		"  jobs:\n"
		"    a:\n"
		"      source: a\n"
		"      sql: \"SELECT 'it''s', \\\"q\\\" \\\\ x\\n\\tFROM source\\r\\x01\\x7f\\u00e9"
		"\\N\\L\\P\\uFEFF  \\n\\n end \"\n"
		"    b:\n"
		"      source: b\n"
		"      sql: >-\n"
		"        SELECT *\n"
		"        FROM source\n",
		&cfg);
	assert_string_equal(cfg.etl.jobs[0].sql, "SELECT 'it''s', \"q\" \\ x\n\tFROM source\r\x01\x7f"
						 "\xc3\xa9\xc2\x85\xe2\x80\xa8\xe2\x80\xa9"
						 "\xef\xbb\xbf  \n\n end ");
	assert_string_equal(cfg.etl.jobs[1].sql, "SELECT * FROM source");
	char *text = show_text(&cfg);
	assert_non_null(strstr(text, "      sql: 'SELECT * FROM source'\n"));
	load_ok(fx, text, &again);
	assert_memory_equal(&cfg, &again, sizeof(cfg));
	free(text);
}

/* A job's mapping is kept as JSON text in the order written, and shown as YAML that
 * reads back the same, odd characters included. */
static void test_etl_mapping(void **state)
{
	struct fx *fx = *state;
	struct sl_config cfg, again;
	load_ok(fx,
		"etl:\n"
		"  jobs:\n"
		"    a:\n"
		"      source: a\n"
		"      mapping:\n"
		"        select: [id, user.id, amount, ts]\n"
		"        rename: {user.id: user_id}\n"
		"        cast: {amount: 'decimal(10,2)'}\n"
		"        derive:\n"
		"          day: date(ts)\n"
		"          note: \"'it''s' || \\\"q\\\" \\\\ \\n\\u00e9\\N\\uFEFF\"\n"
		"        drop: [ts]\n"
		"        filter: amount > 10 and lower(country) = 'de'\n"
		"    b:\n"
		"      source: b\n"
		"      mapping: {}\n",
		&cfg);
	assert_string_equal(cfg.etl.jobs[0].mapping,
			    "{\"select\":[\"id\",\"user.id\",\"amount\",\"ts\"],"
			    "\"rename\":{\"user.id\":\"user_id\"},"
			    "\"cast\":{\"amount\":\"decimal(10,2)\"},"
			    "\"derive\":{\"day\":\"date(ts)\",\"note\":\"'it''s' || \\\"q\\\" \\\\ "
			    "\\n\xc3\xa9\xc2\x85\xef\xbb\xbf\"},"
			    "\"drop\":[\"ts\"],"
			    "\"filter\":\"amount > 10 and lower(country) = 'de'\"}");
	assert_string_equal(cfg.etl.jobs[1].mapping, "");
	char *text = show_text(&cfg);
	assert_non_null(strstr(text, "      mapping: {select: ['id', 'user.id', 'amount', 'ts'], "));
	assert_non_null(strstr(text, "      mapping: {}\n"));
	load_ok(fx, text, &again);
	assert_memory_equal(&cfg, &again, sizeof(cfg));
	free(text);
}

static void test_etl_too_many_jobs(void **state)
{
	struct fx *fx = *state;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	fputs("etl:\n  jobs:\n", f);
	for (int i = 0; i < SL_CONFIG_MAX_JOBS; i++)
		fprintf(f, "    j%d: {source: f%d}\n", i, i);
	fclose(f);
	struct sl_config cfg;
	load_ok(fx, text, &cfg); /* 32 are fine */
	assert_int_equal(cfg.etl.n_jobs, 32);
	assert_string_equal(cfg.etl.jobs[31].target, "f31");
	free(text);

	f = open_memstream(&text, &len);
	assert_non_null(f);
	fputs("etl:\n  jobs:\n", f);
	for (int i = 0; i <= SL_CONFIG_MAX_JOBS; i++)
		fprintf(f, "    j%d: {source: f%d}\n", i, i);
	fclose(f);
	static const char *const words[] = {"etl.jobs: more than 32 jobs"};
	expect_failure(fx, "33 jobs", text, len, SL_ECONFIG, "35:5", words, 1);
	free(text);
}

/* Long values: an SQL transform of 4095 bytes is taken, one of 4096 refused; a target
 * defaulted from a source whose table name would be too long is refused at the job. */
static void test_etl_long_values(void **state)
{
	struct fx *fx = *state;
	char sql[SL_CONFIG_SQL_MAX + 1];
	char *text = NULL;
	struct sl_config cfg;

	memset(sql, 'x', sizeof(sql));
	memcpy(sql, "SELECT ", 7);
	sql[SL_CONFIG_SQL_MAX - 1] = '\0';
	assert_true(asprintf(&text, "etl:\n  jobs:\n    a:\n      source: a\n      sql: %s\n",
			     sql) > 0);
	load_ok(fx, text, &cfg);
	assert_int_equal(strlen(cfg.etl.jobs[0].sql), SL_CONFIG_SQL_MAX - 1);
	free(text);
	sql[SL_CONFIG_SQL_MAX - 1] = 'x';
	sql[SL_CONFIG_SQL_MAX] = '\0';
	assert_true(asprintf(&text, "etl:\n  jobs:\n    a:\n      source: a\n      sql: %s\n",
			     sql) > 0);
	static const char *const long_sql[] = {"etl.jobs.a.sql: longer than 4095 bytes"};
	expect_failure(fx, "long sql", text, strlen(text), SL_ECONFIG, "5:12", long_sql, 1);
	free(text);

	/* 128 characters starting with a digit: the table name takes a leading '_' */
	char fam[129];
	memset(fam, 'a', 128);
	fam[0] = '1';
	fam[128] = '\0';
	assert_true(asprintf(&text, "etl:\n  jobs:\n    a: {source: %s}\n", fam) > 0);
	static const char *const long_target[] = {
		"etl.jobs.a: the table named after source '1aaa", "longer than 128 bytes; give a "
		"target"};
	expect_failure(fx, "long default target", text, strlen(text), SL_ECONFIG, "3:5",
		       long_target, 2);
	free(text);
	assert_true(asprintf(&text, "etl:\n  jobs:\n    a: {source: %s, target: x}\n", fam) > 0);
	load_ok(fx, text, &cfg);
	free(text);
	assert_true(asprintf(&text, "etl:\n  default_jobs: [b, %s]\n", fam) > 0);
	static const char *const long_default[] = {
		"etl.default_jobs[1]: the table named after family '1aaa", "longer than 128"};
	expect_failure(fx, "long default job table", text, strlen(text), SL_ECONFIG, "2:21",
		       long_default, 2);
	free(text);
}

/* ---- check mode ---------------------------------------------------------------------- */

struct seen {
	int n;
	int line[16], col[16];
	char msg[16][256];
};

static void record(void *ctx, const char *path, int line, int col, const char *msg)
{
	struct seen *s = ctx;
	assert_non_null(path);
	assert_true(s->n < 16);
	s->line[s->n] = line;
	s->col[s->n] = col;
	snprintf(s->msg[s->n], sizeof(s->msg[0]), "%s", msg);
	s->n++;
}

static void test_check_reports_every_problem(void **state)
{
	struct fx *fx = *state;
	struct seen seen = {0};
	struct sl_config cfg;
	struct sl_err err = {0};
	write_text(fx, "version: 1\n"
		       "store:\n"
		       "  fsync: maybe\n"             /* 3:10 */
		       "  max_object_size: 5 gb\n"    /* 4:20 */
		       "metadata:\n"
		       "  synchronous: off\n"         /* 6:16 */
		       "  colour: blue\n"             /* 7:3 */
		       "queues:\n"
		       "  defaults:\n"
		       "    max_receive_count: 0\n"   /* 10:24 */
		       "    retention: 2h\n"
		       "  pond: {}\n"                 /* 12:3 */
		       "  raw:\n"
		       "    visibility_timeout: 1d\n" /* 14:25 */
		       "store: {}\n");                /* 15:1 */
	int n = sl_config_check(fx->path, &cfg, record, &seen, &err);
	assert_int_equal(n, 8);
	assert_int_equal(seen.n, 8);
	static const int want[8][2] = {{3, 10}, {4, 20}, {6, 16}, {7, 3},
				       {10, 24}, {12, 3}, {14, 25}, {15, 1}};
	for (int i = 0; i < 8; i++) {
		if (seen.line[i] != want[i][0] || seen.col[i] != want[i][1])
			fail_msg("problem %d at %d:%d, want %d:%d (%s)", i, seen.line[i],
				 seen.col[i], want[i][0], want[i][1], seen.msg[i]);
	}
	assert_string_equal(seen.msg[0], "store.fsync: expected true or false, got 'maybe'");
	assert_non_null(strstr(seen.msg[7], "duplicate key 'store'"));
	/* err holds the first problem, in the full format. */
	assert_int_equal(err.code, SL_ECONFIG);
	assert_non_null(strstr(err.msg, ":3:10: store.fsync"));
	/* The valid values were still taken. */
	assert_int_equal(cfg.queue_defaults.retention_ms, 2 * 3600000);

	/* Load stops at the first. */
	assert_int_equal(sl_config_load(fx->path, &cfg, &err), SL_ECONFIG);
	assert_string_equal(err.msg, strstr(err.msg, fx->path));
	assert_non_null(strstr(err.msg, ":3:10: "));
}

static void test_check_valid_file(void **state)
{
	struct fx *fx = *state;
	struct seen seen = {0};
	struct sl_config cfg;
	write_text(fx, "queues:\n  landing: {visibility_timeout: 5m}\n");
	assert_int_equal(sl_config_check(fx->path, &cfg, record, &seen, NULL), 0);
	assert_int_equal(seen.n, 0);
	assert_int_equal(cfg.queues[0].visibility_timeout_ms, 300000);
}

static void test_check_unreadable_reports_without_place(void **state)
{
	struct fx *fx = *state;
	struct seen seen = {0};
	char *path = NULL;
	assert_true(asprintf(&path, "%s/missing.yaml", fx->dir) > 0);
	assert_int_equal(sl_config_check(path, NULL, record, &seen, NULL), SL_ENOENT);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.line[0], 0);
	assert_int_equal(seen.col[0], 0);
	free(path);
}

/* A newer file is judged by its version alone: its other keys are not ours to criticise. */
static void test_check_newer_version_stops(void **state)
{
	struct fx *fx = *state;
	struct seen seen = {0};
	write_text(fx, "routing: {a: b}\nversion: 3\njobs: []\n");
	assert_int_equal(sl_config_check(fx->path, NULL, record, &seen, NULL), 1);
	assert_int_equal(seen.line[0], 2);
	assert_non_null(strstr(seen.msg[0], "newer sluice"));
}

/* Check mode reports every etl problem, the rules that span jobs included. */
static void test_etl_check_reports_every_problem(void **state)
{
	struct fx *fx = *state;
	struct seen seen = {0};
	write_text(fx, "etl:\n"
		       "  lease: 1s\n"                            /* 2:10 */
		       "  jobs:\n"
		       "    a: {source: orders, codec: snappy}\n"
		       "    b: {target: x}\n"                     /* 5:5 no source */
		       "    c: {source: orders}\n"                /* 6:5 target orders again */
		       "  defaults:\n"
		       "    level: 3\n"                           /* 4:32 snappy, level 3 */
		       "    schedule: '@often'\n");               /* 9:15 */
	int n = sl_config_check(fx->path, NULL, record, &seen, NULL);
	assert_int_equal(n, 5);
	static const int want[5][2] = {{2, 10}, {5, 5}, {9, 15}, {4, 32}, {6, 5}};
	for (int i = 0; i < 5; i++) {
		if (seen.line[i] != want[i][0] || seen.col[i] != want[i][1])
			fail_msg("problem %d at %d:%d, want %d:%d (%s)", i, seen.line[i],
				 seen.col[i], want[i][0], want[i][1], seen.msg[i]);
	}
	assert_non_null(strstr(seen.msg[2], "unknown shortcut '@often'"));
	assert_non_null(strstr(seen.msg[3], "codec snappy has no levels"));
	assert_non_null(strstr(seen.msg[4], "as etl.jobs.a (line 4)"));
}

#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_defaults_values),
		T(test_empty_and_null_mean_defaults),
		T(test_default_text_loads_as_defaults),
		T(test_default_text_sets_every_key),
		T(test_full_example),
		T(test_override_before_defaults),
		T(test_size_units),
		T(test_duration_units),
		T(test_bool_spellings),
		T(test_show_defaults),
		T(test_show_round_trip),
		T(test_show_round_trip_odd_values),
		T(test_validate_section),
		T(test_validate_too_many_routes),
		T(test_crawl_section),
		T(test_crawl_too_many_families),
		T(test_etl_section),
		T(test_etl_default_jobs_star),
		T(test_etl_show_round_trip_odd_sql),
		T(test_etl_mapping),
		T(test_etl_too_many_jobs),
		T(test_etl_long_values),
		T(test_etl_check_reports_every_problem),
		T(test_bad_inputs),
		T(test_unknown_key_message_exact),
		T(test_wrong_type_message_exact),
		T(test_too_deep),
		T(test_too_many_values),
		T(test_too_large),
		T(test_binary_garbage),
		T(test_missing_file),
		T(test_check_reports_every_problem),
		T(test_check_valid_file),
		T(test_check_unreadable_reports_without_place),
		T(test_check_newer_version_stops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
