/* cmd_schema.c - `sluice schema`: the schema registry (register, check, ls, show, diff,
 * compat) and validating a data file against a schema file (test). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "json/json.h"
#include "schema/registry.h"
#include "util/clock.h"

#define META_ARGS_MAX 64 /* --meta given more often is refused by the pair limit anyway */

/* Options, and which were given (to refuse those a subcommand does not take). */
enum {
	O_JSON = 1,
	O_COMPAT = 2,
	O_META = 4,
	O_VERSION = 8,
	O_DEFAULT = 16,
	O_FRAMING = 32,
	O_MAX_ERRORS = 64,
};

struct sopts {
	unsigned given;
	bool json;
	enum sl_compat compat;
	struct sl_schema_kv meta[META_ARGS_MAX];
	size_t n_meta;
	const char *version;
	enum sl_json_framing framing;
	long long max_errors;
};

static const char *const opt_names[] = {"--json",    "--compat",  "--meta",	  "--version",
					"--default", "--ndjson/--array/--auto/--document",
					"--max-errors"};

/* ---- helpers --------------------------------------------------------------------------- */

/* Reads a schema file ("-": standard input) of at most SL_SCHEMA_TEXT_MAX bytes. */
static int read_schema_file(const char *path, char **out, size_t *len_out, struct sl_err *err)
{
	bool std_in = strcmp(path, "-") == 0;
	int fd = std_in ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	size_t cap = 64 * 1024, len = 0;
	char *buf = NULL;
	int rc = 0;
	*out = NULL;
	if (fd < 0)
		return sl_err_errno(err, errno, "%s", path);
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		rc = sl_err_errno(err, EISDIR, "%s", path);
		goto out;
	}
	if (!(buf = malloc(cap + 1))) {
		rc = sl_err_set(err, SL_ENOMEM, "%s: out of memory", path);
		goto out;
	}
	for (;;) {
		if (len == cap) {
			if (cap > SL_SCHEMA_TEXT_MAX) {
				rc = sl_err_set(err, SL_ELIMIT,
						"%s: schema larger than %zu bytes (4 MiB), the limit",
						path, SL_SCHEMA_TEXT_MAX);
				goto out;
			}
			/* one byte past the limit tells a file of exactly the limit from a
			 * larger one */
			cap = cap * 2 > SL_SCHEMA_TEXT_MAX + 1 ? SL_SCHEMA_TEXT_MAX + 1 : cap * 2;
			char *nb = realloc(buf, cap + 1);
			if (!nb) {
				rc = sl_err_set(err, SL_ENOMEM, "%s: out of memory", path);
				goto out;
			}
			buf = nb;
		}
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = sl_err_errno(err, errno, "%s", path);
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) { /* a byte order mark */
		memmove(buf, buf + 3, len - 2);
		len -= 3;
	}
	*out = buf;
	*len_out = len;
	buf = NULL;
out:
	free(buf);
	if (!std_in)
		close(fd);
	return rc;
}

/* "N" (1 or more) or "latest" (0). */
static int parse_version(struct sl_cli *cli, const char *what, const char *text, int64_t *out)
{
	if (strcmp(text, "latest") == 0) {
		*out = 0;
		return 0;
	}
	bool digits = *text != '\0';
	for (const char *p = text; *p; p++)
		digits = digits && *p >= '0' && *p <= '9';
	if (!digits)
		return sl_cli_usage_error(cli, "%s '%.40s' is not a version number or 'latest'",
					  what, text);
	errno = 0;
	long long v = strtoll(text, NULL, 10);
	if (errno == ERANGE)
		return sl_cli_usage_error(cli, "%s '%.40s' is too large", what, text);
	if (v == 0)
		return sl_cli_usage_error(cli, "%s 0: versions are numbered from 1", what);
	*out = v;
	return 0;
}

static int check_subject(struct sl_cli *cli, const char *subject)
{
	struct sl_err err = {0};
	if (sl_subject_check(subject, &err) != 0)
		return sl_cli_usage_error(cli, "%s", err.msg);
	return 0;
}

/* Writes s with control characters as \u00XX, so a line stays one line. */
static void put_clean(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch < 0x20 || ch == 0x7f)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
}

static void print_violation(FILE *f, const char *subject, const struct sl_compat_violation *v)
{
	char line[800];
	sl_compat_violation_line(v, line, sizeof(line));
	fprintf(f, "%s: ", subject);
	put_clean(f, line);
	fprintf(f, " (%s, against version %" PRId64 ")\n", v->direction, v->against);
}

/* ---- register and check ------------------------------------------------------------ */

static int do_register(struct sl_cli *cli, struct sl_meta *m, const char *subject,
		       const char *file, const struct sopts *o, bool dry_run)
{
	struct sl_err err = {0};
	struct sl_registry_result res;
	char *text = NULL;
	size_t len = 0;
	if (read_schema_file(file, &text, &len, &err) != 0)
		return sl_cli_fail(cli, &err);
	struct sl_registry_opts ro = {.compat_given = (o->given & O_COMPAT) != 0,
				      .compat = o->compat,
				      .meta = o->meta,
				      .n_meta = o->n_meta,
				      .dry_run = dry_run};
	int rc = sl_registry_register(m, subject, text, len, &ro, &res, &err);
	free(text);
	if (rc == 0 && dry_run) {
		if (res.outcome == SL_REG_EXISTING)
			fprintf(cli->out, "%s: ok: identical to version %" PRId64 " (%s)\n", subject,
				res.version, res.fingerprint);
		else
			fprintf(cli->out, "%s: ok: would be registered as version %" PRId64
					  " (%s)\n",
				subject, res.version, sl_compat_name(res.compat));
		return SL_EXIT_OK;
	}
	if (rc == 0) {
		bool created = res.outcome == SL_REG_NEW;
		if (o->json)
			fprintf(cli->out,
				"{\"subject\":\"%s\",\"version\":%" PRId64 ",\"fingerprint\":\"%s\","
				"\"new\":%s}\n",
				subject, res.version, res.fingerprint, created ? "true" : "false");
		else
			fprintf(cli->out, "%s %s version %" PRId64 " %s\n",
				created ? "registered" : "exists", subject, res.version,
				res.fingerprint);
		return SL_EXIT_OK;
	}
	if (res.outcome == SL_REG_FAILED)
		return sl_cli_fail(cli, &err);
	if (!dry_run) {
		fprintf(stderr, "sluice: ");
		if (res.outcome == SL_REG_MALFORMED)
			fprintf(stderr, "%s: ", file);
		put_clean(stderr, err.msg);
		fputc('\n', stderr);
		return SL_EXIT_FAIL;
	}
	/* check: the refusal is the answer, on standard output */
	switch (res.outcome) {
	case SL_REG_MALFORMED:
		fprintf(cli->out, "%s: ", file);
		put_clean(cli->out, err.msg);
		fputc('\n', cli->out);
		break;
	case SL_REG_INCOMPATIBLE:
		for (size_t i = 0; i < res.report.n; i++)
			print_violation(cli->out, subject, &res.report.v[i]);
		if (res.report.total > res.report.n)
			fprintf(cli->out, "%s: ... and %zu more\n", subject,
				res.report.total - res.report.n);
		fprintf(cli->out, "%s: not compatible (%s): %zu problem%s\n", subject,
			sl_compat_name(res.compat), res.report.total,
			res.report.total == 1 ? "" : "s");
		break;
	default:
		fprintf(cli->out, "%s\n", err.msg);
		break;
	}
	return SL_EXIT_PROBLEMS;
}

/* ---- ls ------------------------------------------------------------------------------ */

struct ls_out {
	FILE *f;
	bool json;
	size_t n;
};

static int ls_subject(void *ctx, const struct sl_schema_subject *s)
{
	struct ls_out *l = ctx;
	char created[40], updated[40];
	sl_fmt_time(s->created_ms, created, sizeof(created));
	sl_fmt_time(s->updated_ms, updated, sizeof(updated));
	if (l->json)
		fprintf(l->f,
			"%s\n{\"subject\":\"%s\",\"compatibility\":\"%s\",\"versions\":%" PRId64
			",\"created\":\"%s\",\"updated\":\"%s\"}",
			l->n ? "," : "", s->name, sl_compat_name(s->compat), s->latest, created,
			updated);
	else
		fprintf(l->f, "%-32s %-12s %8" PRId64 "  %s\n", s->name, sl_compat_name(s->compat),
			s->latest, updated);
	l->n++;
	return 0;
}

static int ls_version(void *ctx, const struct sl_schema_version *v)
{
	struct ls_out *l = ctx;
	char created[40];
	sl_fmt_time(v->created_ms, created, sizeof(created));
	if (l->json)
		fprintf(l->f,
			"%s\n{\"version\":%" PRId64 ",\"created\":\"%s\",\"fingerprint\":\"%s\"}",
			l->n ? "," : "", v->version, created, v->fingerprint);
	else
		fprintf(l->f, "%8" PRId64 "  %s  %s\n", v->version, created, v->fingerprint);
	l->n++;
	return 0;
}

static int do_ls(struct sl_cli *cli, struct sl_meta *m, const char *subject, bool json)
{
	struct sl_err err = {0};
	struct ls_out l = {cli->out, json, 0};
	int rc;
	if (json)
		fputs("[", cli->out);
	if (subject) {
		struct sl_schema_subject s;
		if ((rc = sl_registry_subject(m, subject, &s, &err)) != 0)
			return sl_cli_fail(cli, &err);
		if (!json)
			fprintf(cli->out, "%8s  %-24s  %s\n", "VERSION", "CREATED", "FINGERPRINT");
		rc = sl_registry_versions(m, subject, ls_version, &l, &err);
	} else {
		if (!json)
			fprintf(cli->out, "%-32s %-12s %8s  %s\n", "SUBJECT", "COMPAT", "VERSIONS",
				"UPDATED");
		rc = sl_registry_list(m, ls_subject, &l, &err);
	}
	if (json)
		fputs(l.n ? "\n]\n" : "]\n", cli->out);
	return rc ? sl_cli_fail(cli, &err) : SL_EXIT_OK;
}

/* ---- show ---------------------------------------------------------------------------- */

struct kv_out {
	struct sl_buf *b;
	bool json;
	size_t n;
};

static int show_kv(void *ctx, const char *k, const char *v)
{
	struct kv_out *o = ctx;
	if (o->json) {
		sl_buf_puts(o->b, o->n ? "," : "");
		sl_buf_json_str(o->b, k, strlen(k));
		sl_buf_puts(o->b, ":");
		sl_buf_json_str(o->b, v, strlen(v));
	} else {
		sl_buf_printf(o->b, "%s%s=%s\n", o->n ? "               " : "metadata:      ", k, v);
	}
	o->n++;
	return 0;
}

static int do_show(struct sl_cli *cli, struct sl_meta *m, const char *subject, int64_t version,
		   bool json)
{
	struct sl_err err = {0};
	struct sl_schema_subject s;
	struct sl_schema_version v;
	struct sl_buf b;
	char created[40];
	int rc = sl_registry_subject(m, subject, &s, &err);
	if (rc == 0)
		rc = sl_registry_get(m, subject, version, &v, &err);
	if (rc)
		return sl_cli_fail(cli, &err);
	sl_buf_init(&b, 0);
	sl_fmt_time(v.created_ms, created, sizeof(created));
	struct kv_out kv = {&b, json, 0};
	if (json) {
		sl_buf_printf(&b,
			      "{\"subject\":\"%s\",\"version\":%" PRId64 ",\"latest\":%" PRId64
			      ",\"compatibility\":\"%s\",\"fingerprint\":\"%s\",\"created\":\"%s\","
			      "\"metadata\":{",
			      subject, v.version, s.latest, sl_compat_name(s.compat), v.fingerprint,
			      created);
		rc = sl_registry_metadata(m, subject, v.version, show_kv, &kv, &err);
		sl_buf_puts(&b, "},\"schema\":");
		sl_buf_append(&b, v.text, v.len); /* canonical: already compact JSON */
		sl_buf_puts(&b, "}\n");
	} else {
		sl_buf_printf(&b,
			      "subject:       %s\nversion:       %" PRId64 " (latest %" PRId64
			      ")\ncompatibility: %s\nfingerprint:   %s\ncreated:       %s\n",
			      subject, v.version, s.latest, sl_compat_name(s.compat), v.fingerprint,
			      created);
		rc = sl_registry_metadata(m, subject, v.version, show_kv, &kv, &err);
		sl_buf_puts(&b, "\n");
		if (rc == 0)
			rc = sl_schema_pretty(v.text, v.len, &b, &err);
	}
	sl_schema_version_release(&v);
	if (rc == 0)
		sl_cli_flush(cli, &b);
	sl_buf_release(&b);
	return rc ? sl_cli_fail(cli, &err) : SL_EXIT_OK;
}

/* ---- diff ---------------------------------------------------------------------------- */

static void verdict(FILE *f, const char *what, const struct sl_compat_report *rep)
{
	fprintf(f, "%s: %s\n", what, rep->total ? "not compatible" : "compatible");
	for (size_t i = 0; i < rep->n; i++) {
		char line[800];
		sl_compat_violation_line(&rep->v[i], line, sizeof(line));
		fputs("  ", f);
		put_clean(f, line);
		fputc('\n', f);
	}
	if (rep->total > rep->n)
		fprintf(f, "  ... and %zu more\n", rep->total - rep->n);
}

static int do_diff(struct sl_cli *cli, struct sl_meta *m, const char *subject, int64_t v1,
		   int64_t v2)
{
	struct sl_err err = {0};
	struct sl_schema_version a, b;
	struct sl_json_node *ta = NULL, *tb = NULL;
	int rc = sl_registry_get(m, subject, v1, &a, &err);
	if (rc)
		return sl_cli_fail(cli, &err);
	if ((rc = sl_registry_get(m, subject, v2, &b, &err)) != 0) {
		sl_schema_version_release(&a);
		return sl_cli_fail(cli, &err);
	}
	struct sl_compat_report bw, fw;
	memset(&bw, 0, sizeof(bw));
	memset(&fw, 0, sizeof(fw));
	int n1 = sl_compat_check_text(a.text, a.len, b.text, b.len, SL_COMPAT_BACKWARD,
				      a.version, &bw, &err);
	int n2 = n1 < 0 ? n1
			: sl_compat_check_text(a.text, a.len, b.text, b.len, SL_COMPAT_FORWARD,
					       a.version, &fw, &err);
	if (n2 >= 0) {
		struct sl_buf out;
		sl_buf_init(&out, 0);
		struct sl_json_error je;
		ta = sl_json_tree_parse(a.text, a.len, NULL, &je);
		tb = sl_json_tree_parse(b.text, b.len, NULL, &je);
		if (ta && tb) {
			sl_buf_printf(&out,
				      "--- %s version %" PRId64 "\n+++ %s version %" PRId64 "\n",
				      subject, a.version, subject, b.version);
			if (sl_schema_diff(ta, tb, &out) == 0)
				sl_buf_puts(&out, "(no differences)\n");
			sl_cli_flush(cli, &out);
			fprintf(cli->out,
				"compatibility of version %" PRId64 " after version %" PRId64 ":\n",
				b.version, a.version);
			verdict(cli->out, "BACKWARD (the new reads data of the old)", &bw);
			verdict(cli->out, "FORWARD (the old reads data of the new)", &fw);
			fprintf(cli->out, "FULL: %s\n",
				bw.total || fw.total ? "not compatible" : "compatible");
		} else {
			rc = sl_err_set(&err, SL_ENOMEM, "out of memory");
		}
		sl_buf_release(&out);
	} else {
		rc = n2; /* a stored version that does not parse: err says which */
	}
	sl_json_tree_free(ta);
	sl_json_tree_free(tb);
	sl_schema_version_release(&a);
	sl_schema_version_release(&b);
	return rc ? sl_cli_fail(cli, &err) : SL_EXIT_OK;
}

/* ---- compat ------------------------------------------------------------------------ */

static int do_compat(struct sl_cli *cli, struct sl_meta *m, const char *subject,
		     const char *mode_text, bool is_default)
{
	struct sl_err err = {0};
	enum sl_compat mode = SL_COMPAT_NONE, before;
	int rc;
	if (mode_text && sl_compat_parse(mode_text, &mode) != 0)
		return sl_cli_usage_error(cli,
					  "unknown compatibility mode '%.40s' (NONE, DISABLED, "
					  "BACKWARD, BACKWARD_ALL, FORWARD, FORWARD_ALL, FULL, "
					  "FULL_ALL)",
					  mode_text);
	if (is_default) {
		if ((rc = sl_registry_default_compat(m, &before, &err)) != 0)
			return sl_cli_fail(cli, &err);
		if (mode_text && (rc = sl_registry_set_default_compat(m, mode, &err)) != 0)
			return sl_cli_fail(cli, &err);
		if (mode_text && mode != before)
			fprintf(cli->out, "default %s -> %s\n", sl_compat_name(before),
				sl_compat_name(mode));
		else
			fprintf(cli->out, "default %s\n", sl_compat_name(before));
		return SL_EXIT_OK;
	}
	struct sl_schema_subject s;
	rc = sl_registry_subject(m, subject, &s, &err);
	if (rc && !(rc == SL_ENOENT && mode_text))
		return sl_cli_fail(cli, &err);
	bool existed = rc == 0;
	if (!mode_text) {
		fprintf(cli->out, "%s %s\n", subject, sl_compat_name(s.compat));
		return SL_EXIT_OK;
	}
	if ((rc = sl_registry_set_compat(m, subject, mode, &err)) != 0)
		return sl_cli_fail(cli, &err);
	if (!existed)
		fprintf(cli->out, "%s %s (new subject)\n", subject, sl_compat_name(mode));
	else if (s.compat != mode)
		fprintf(cli->out, "%s %s -> %s\n", subject, sl_compat_name(s.compat),
			sl_compat_name(mode));
	else
		fprintf(cli->out, "%s %s\n", subject, sl_compat_name(mode));
	return SL_EXIT_OK;
}

/* ---- test ---------------------------------------------------------------------------- */

/* The line of a byte offset inside a record that starts on line `line`. */
static int64_t line_of(const struct sl_json_doc *doc, uint32_t offset)
{
	int64_t line = doc->pos.line;
	for (uint32_t i = 0; i < offset && i < doc->len; i++)
		line += doc->text[i] == '\n';
	return line;
}

/* The lake for sluice: references: the one named by --lake or SLUICE_LAKE (which must
 * open), else the current directory if it is a lake, else none. */
static int lake_for_refs(struct sl_cli *cli, struct sl_lake **lake)
{
	*lake = NULL;
	const char *env = getenv("SLUICE_LAKE");
	if (cli->lake_flag || (env && *env))
		return sl_cli_open_lake(cli, lake);
	struct stat st;
	if (stat(".sluice/format", &st) != 0)
		return SL_EXIT_OK;
	return sl_cli_open_lake(cli, lake);
}

static int do_test(struct sl_cli *cli, const char *schema_file, const char *data_file,
		   const struct sopts *o)
{
	struct sl_err err = {0};
	struct sl_lake *lake = NULL;
	struct sl_schema *schema = NULL;
	struct sl_validator *v = NULL;
	struct sl_json_reader *r = NULL;
	char *text = NULL;
	size_t len;
	int fd = -1, rc, exit_code = SL_EXIT_OK;
	if ((rc = read_schema_file(schema_file, &text, &len, &err)) != 0)
		return sl_cli_fail(cli, &err);
	if ((rc = lake_for_refs(cli, &lake)) != 0) {
		free(text);
		return rc;
	}
	struct sl_schema_resolver res;
	struct sl_schema_opts so = {0};
	if (lake) {
		sl_registry_resolver(&lake->meta, &res);
		so.resolver = &res;
	}
	rc = sl_schema_compile(text, len, &so, &schema, &err);
	free(text);
	if (rc) {
		fprintf(stderr, "sluice: %s: ", schema_file);
		put_clean(stderr, err.msg);
		fputc('\n', stderr);
		exit_code = SL_EXIT_FAIL;
		goto out;
	}
	if (!(v = sl_validator_new(schema))) {
		sl_err_set(&err, SL_ENOMEM, "out of memory");
		exit_code = sl_cli_fail(cli, &err);
		goto out;
	}
	fd = strcmp(data_file, "-") == 0 ? STDIN_FILENO : open(data_file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		sl_err_errno(&err, errno, "%s", data_file);
		exit_code = sl_cli_fail(cli, &err);
		goto out;
	}
	if (sl_json_reader_open(fd, data_file, o->framing, NULL, &r, &err) != 0) {
		exit_code = sl_cli_fail(cli, &err);
		goto out;
	}
	long long good = 0, bad = 0, shown = 0;
	struct sl_json_doc doc;
	struct sl_json_error je;
	struct sl_schema_error errs[8];
	while ((rc = sl_json_reader_next(r, &doc, &je)) != 0) {
		if (rc < 0 && je.fatal) {
			fprintf(stderr, "sluice: %s:%lld:%lld: ", data_file, (long long)je.pos.line,
				(long long)je.pos.column);
			put_clean(stderr, je.msg);
			fputc('\n', stderr);
			exit_code = SL_EXIT_FAIL;
			break;
		}
		if (rc < 0) { /* a record that is not JSON */
			if (bad++ < o->max_errors) {
				fprintf(cli->out, "%s:%lld: (root): $json: ", data_file,
					(long long)je.pos.line);
				put_clean(cli->out, je.msg);
				fprintf(cli->out, " (column %lld)\n", (long long)je.pos.column);
				shown++;
			}
			continue;
		}
		size_t n = 0;
		int ok = sl_validate(v, &doc, errs, sizeof(errs) / sizeof(errs[0]), &n);
		if (ok < 0) {
			sl_err_set(&err, ok, "%s:%lld: validation failed: %s", data_file,
				   (long long)doc.pos.line, sl_code_name(ok));
			exit_code = sl_cli_fail(cli, &err);
			break;
		}
		if (ok == 1) {
			good++;
			continue;
		}
		if (bad++ >= o->max_errors)
			continue;
		shown++;
		if (n == 0) /* invalid, reason not given */
			fprintf(cli->out, "%s:%lld: (root): $invalid: the record is invalid\n",
				data_file, (long long)doc.pos.line);
		for (size_t i = 0; i < n; i++) {
			fprintf(cli->out, "%s:%lld: ", data_file,
				(long long)line_of(&doc, errs[i].offset));
			put_clean(cli->out, errs[i].pointer[0] ? errs[i].pointer : "(root)");
			fputs(": ", cli->out);
			put_clean(cli->out, errs[i].keyword);
			fputs(": ", cli->out);
			put_clean(cli->out, errs[i].msg);
			fputc('\n', cli->out);
		}
	}
	if (bad > shown)
		fprintf(cli->out, "%s: %lld more invalid records not shown (--max-errors)\n",
			data_file, bad - shown);
	if (bad)
		fprintf(cli->out, "%s: %lld of %lld records invalid\n", data_file, bad, bad + good);
	else
		fprintf(cli->out, "%s: all %lld records valid\n", data_file, good);
	if (exit_code == SL_EXIT_OK && bad)
		exit_code = SL_EXIT_USAGE; /* 1: some record is invalid (as json check) */
out:
	sl_json_reader_close(r);
	if (fd >= 0 && fd != STDIN_FILENO)
		close(fd);
	sl_validator_free(v);
	sl_schema_free(schema);
	sl_lake_close(lake);
	return exit_code;
}

/* ---- dispatch -------------------------------------------------------------------------- */

static int parse_opts(struct sl_cli *cli, int argc, char **argv, struct sopts *o)
{
	static const struct option lo[] = {
		SL_CLI_COMMON_OPTS,
		{"json", no_argument, NULL, 'j'},
		{"compat", required_argument, NULL, 'c'},
		{"meta", required_argument, NULL, 'm'},
		{"version", required_argument, NULL, 'v'},
		{"default", no_argument, NULL, 'D'},
		{"ndjson", no_argument, NULL, 'n'},
		{"array", no_argument, NULL, 'a'},
		{"auto", no_argument, NULL, 'A'},
		{"document", no_argument, NULL, 'd'},
		{"max-errors", required_argument, NULL, 'e'},
		{0},
	};
	int c;
	memset(o, 0, sizeof(*o));
	o->framing = SL_JSON_FRAME_AUTO;
	o->max_errors = 100;
	while ((c = sl_cli_getopt(cli, argc, argv, "", lo)) != -1) {
		switch (c) {
		case 'h': return 'h';
		case 'j': o->given |= O_JSON, o->json = true; break;
		case 'c':
			o->given |= O_COMPAT;
			if (sl_compat_parse(optarg, &o->compat) != 0) {
				sl_cli_usage_error(cli,
						   "unknown compatibility mode '%.40s' (NONE, "
						   "DISABLED, BACKWARD, BACKWARD_ALL, FORWARD, "
						   "FORWARD_ALL, FULL, FULL_ALL)",
						   optarg);
				return '?';
			}
			break;
		case 'm': {
			o->given |= O_META;
			char *eq = strchr(optarg, '=');
			if (!eq) {
				sl_cli_usage_error(cli, "--meta '%.40s': expected KEY=VALUE", optarg);
				return '?';
			}
			if (o->n_meta >= META_ARGS_MAX) {
				sl_cli_usage_error(cli, "--meta: at most %d pairs per version",
						   SL_REGISTRY_META_PAIRS_MAX);
				return '?';
			}
			*eq = '\0';
			o->meta[o->n_meta++] = (struct sl_schema_kv){optarg, eq + 1};
			break;
		}
		case 'v': o->given |= O_VERSION, o->version = optarg; break;
		case 'D': o->given |= O_DEFAULT; break;
		case 'n': o->given |= O_FRAMING, o->framing = SL_JSON_FRAME_NDJSON; break;
		case 'a': o->given |= O_FRAMING, o->framing = SL_JSON_FRAME_ARRAY; break;
		case 'A': o->given |= O_FRAMING, o->framing = SL_JSON_FRAME_AUTO; break;
		case 'd': o->given |= O_FRAMING, o->framing = SL_JSON_FRAME_DOCUMENT; break;
		case 'e':
			o->given |= O_MAX_ERRORS;
			if (sl_cli_parse_count(cli, "--max-errors", optarg, 1000000000,
					       &o->max_errors))
				return '?';
			break;
		default: return '?';
		}
	}
	return 0;
}

struct sub {
	const char *name;
	int min_args, max_args; /* operands after the subcommand */
	unsigned opts;          /* options it takes */
	bool needs_lake;
};

static const struct sub subs[] = {
	{"register", 2, 2, O_COMPAT | O_META | O_JSON, true},
	{"check", 2, 2, O_COMPAT, true},
	{"ls", 0, 1, O_JSON, true},
	{"show", 1, 1, O_VERSION | O_JSON, true},
	{"diff", 3, 3, 0, true},
	{"compat", 0, 2, O_DEFAULT, true},
	{"test", 2, 2, O_FRAMING | O_MAX_ERRORS, false},
};

static int run_schema(struct sl_cli *cli, int argc, char **argv)
{
	struct sopts o;
	int c = parse_opts(cli, argc, argv, &o);
	if (c == 'h')
		return SL_EXIT_OK;
	if (c)
		return SL_EXIT_USAGE;
	if (optind >= argc)
		return sl_cli_usage_error(cli,
					  "expected register, check, ls, show, diff, compat or test");
	const char *name = argv[optind++];
	const struct sub *sub = NULL;
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (strcmp(subs[i].name, name) == 0)
			sub = &subs[i];
	if (!sub)
		return sl_cli_usage_error(cli, "unknown subcommand '%.40s'", name);
	int nargs = argc - optind;
	char **args = argv + optind;
	for (int bit = 0; bit < 7; bit++)
		if ((o.given & (1u << bit)) && !(sub->opts & (1u << bit)))
			return sl_cli_usage_error(cli, "%s does not take %s", name, opt_names[bit]);
	bool is_default = (o.given & O_DEFAULT) != 0;
	if (strcmp(name, "compat") == 0 && (is_default ? nargs > 1 : nargs < 1))
		return sl_cli_usage_error(cli, is_default ? "compat --default takes at most a MODE"
							  : "compat needs a SUBJECT (or --default)");
	if (nargs < sub->min_args || nargs > sub->max_args)
		return sl_cli_usage_error(cli, "wrong number of arguments for %s", name);
	/* operands first, so that a bad one is a usage error before any lake is opened */
	const char *subject = nargs > 0 && strcmp(name, "test") != 0 && !is_default ? args[0]
										     : NULL;
	if (subject && check_subject(cli, subject))
		return SL_EXIT_USAGE;
	if (o.n_meta) {
		struct sl_err err = {0};
		if (sl_registry_meta_check(o.meta, o.n_meta, &err) != 0)
			return sl_cli_usage_error(cli, "--meta: %s", err.msg);
	}
	int64_t v1 = 0, v2 = 0;
	if (strcmp(name, "show") == 0 && o.version &&
	    parse_version(cli, "--version", o.version, &v1))
		return SL_EXIT_USAGE;
	if (strcmp(name, "diff") == 0 &&
	    (parse_version(cli, "V1", args[1], &v1) || parse_version(cli, "V2", args[2], &v2)))
		return SL_EXIT_USAGE;
	if (strcmp(name, "compat") == 0) {
		const char *mode = is_default ? (nargs ? args[0] : NULL) : (nargs > 1 ? args[1] : NULL);
		enum sl_compat tmp;
		if (mode && sl_compat_parse(mode, &tmp) != 0)
			return sl_cli_usage_error(cli,
						  "unknown compatibility mode '%.40s' (NONE, DISABLED, "
						  "BACKWARD, BACKWARD_ALL, FORWARD, FORWARD_ALL, FULL, "
						  "FULL_ALL)",
						  mode);
	}
	if (!sub->needs_lake)
		return do_test(cli, args[0], args[1], &o);

	struct sl_lake *lake;
	int rc = sl_cli_open_lake(cli, &lake);
	if (rc)
		return rc;
	struct sl_meta *m = &lake->meta;
	if (strcmp(name, "register") == 0)
		rc = do_register(cli, m, subject, args[1], &o, false);
	else if (strcmp(name, "check") == 0)
		rc = do_register(cli, m, subject, args[1], &o, true);
	else if (strcmp(name, "ls") == 0)
		rc = do_ls(cli, m, subject, o.json);
	else if (strcmp(name, "show") == 0)
		rc = do_show(cli, m, subject, v1, o.json);
	else if (strcmp(name, "diff") == 0)
		rc = do_diff(cli, m, subject, v1, v2);
	else
		rc = do_compat(cli, m, subject,
			       is_default ? (nargs ? args[0] : NULL) : (nargs > 1 ? args[1] : NULL),
			       is_default);
	sl_lake_close(lake);
	return rc;
}

const struct sl_cmd sl_cmd_schema = {
	"schema", "the schema registry; validate a file against a schema",
	"usage: sluice schema register SUBJECT FILE [--compat MODE] [--meta KEY=VALUE]... [--json]\n"
	"       sluice schema check SUBJECT FILE [--compat MODE]\n"
	"       sluice schema ls [SUBJECT] [--json]\n"
	"       sluice schema show SUBJECT [--version N|latest] [--json]\n"
	"       sluice schema diff SUBJECT V1 V2\n"
	"       sluice schema compat SUBJECT [MODE]\n"
	"       sluice schema compat --default [MODE]\n"
	"       sluice schema test SCHEMA_FILE DATA_FILE [--ndjson|--array|--document|--auto]\n"
	"                          [--max-errors N]\n"
	"\n"
	"A subject (1-128 of A-Z a-z 0-9 . _ -) has immutable versions numbered from 1 of a\n"
	"JSON Schema (draft 2020-12 or draft-07), kept in canonical form with a SHA-256\n"
	"fingerprint; registering a schema identical to a version returns that version.\n"
	"  register  adds FILE (- = standard input, at most 4 MiB) as the next version if it\n"
	"            compiles and the subject's mode allows it; --compat sets the mode of a\n"
	"            new subject (else the default); --meta adds metadata (at most 10 pairs)\n"
	"  check     would register succeed? 'ok' (exit 0) or every reason (exit 3)\n"
	"  ls        subjects, or the versions of SUBJECT\n"
	"  show      one version (default: the latest) with its metadata\n"
	"  diff      what changed from V1 to V2 (N or latest), and whether V2 may follow V1\n"
	"  compat    show or set a subject's mode, or the default for new subjects\n"
	"  test      validate the records of DATA_FILE (NDJSON or a JSON array; gzip and zstd\n"
	"            too; - = standard input) against SCHEMA_FILE without registering it:\n"
	"            FILE:LINE: POINTER: KEYWORD: MESSAGE per reason; exit 1 if any is invalid\n"
	"Modes: NONE, DISABLED, BACKWARD, BACKWARD_ALL, FORWARD, FORWARD_ALL, FULL, FULL_ALL\n"
	"(docs/schema.md has the rules). Exit codes: 0 ok, 1 usage (and invalid records for\n"
	"test), 2 failure or refused registration, 3 check found problems.\n",
	run_schema,
};
