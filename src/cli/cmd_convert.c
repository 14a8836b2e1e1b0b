/*
 * cmd_convert.c - `sluice convert IN OUT.parquet`: NDJSON (or a JSON array; plain, gzip
 * or zstd) to Parquet under a JSON Schema, from a file or from the lake's registry.
 *
 * Each record is parsed, validated and shredded; a record that is not JSON, breaks the
 * schema, or does not fit the Parquet type is left out and reported (stderr, and with
 * --rejects as NDJSON), the others are written.
 *
 * Promises: OUT appears whole or not at all (a temporary file in OUT's folder, fsync,
 * rename, fsync of the folder), and a failure or an interruption leaves neither OUT nor
 * the temporary file; the same holds for the --rejects file.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "json/json.h"
#include "parquet/codec.h"
#include "parquet/writer.h"
#include "schema/registry.h"
#include "schema/schema.h"
#include "types/infer.h"
#include "types/types.h"
#include "util/clock.h"
#include "util/fs.h"

#define SHOW_REJECTS 10 /* rejected records described on stderr */
#define MAX_REASONS 8   /* reasons kept per rejected record */

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

/* A file written under a temporary name and renamed into place at the end. */
struct atomic_out {
	const char *path; /* borrowed */
	int dirfd, fd;
	char *base;       /* OUT's file name */
	char *tmp;        /* the temporary name in the same folder */
};

static int atomic_open(struct atomic_out *a, const char *path, struct sl_err *err)
{
	a->path = path;
	a->dirfd = a->fd = -1;
	a->base = a->tmp = NULL;
	const char *slash = strrchr(path, '/');
	char *dir = slash ? strndup(path, (size_t)(slash - path) + (slash == path)) : strdup(".");
	a->base = strdup(slash ? slash + 1 : path);
	if (!dir || !a->base) {
		free(dir);
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	}
	if (!a->base[0]) {
		free(dir);
		return sl_err_set(err, SL_EUSAGE, "%s: not a file name", path);
	}
	a->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (a->dirfd < 0) {
		int rc = sl_err_errno(err, errno, "%s", dir);
		free(dir);
		return rc;
	}
	free(dir);
	size_t n = strlen(a->base) + 64;
	if (!(a->tmp = malloc(n)))
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	uint64_t salt = (uint64_t)sl_mono_ms() ^ ((uint64_t)(uintptr_t)a << 16);
	snprintf(a->tmp, n, ".%s.tmp-%ld-%" PRIx64, a->base, (long)getpid(), salt & 0xffffffff);
	a->fd = openat(a->dirfd, a->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (a->fd < 0)
		return sl_err_errno(err, errno, "%s: cannot create a temporary file", path);
	return 0;
}

static int atomic_commit(struct atomic_out *a, struct sl_err *err)
{
	int rc;
	if ((rc = sl_fsync(a->fd, a->path, err)) != 0)
		return rc;
	if (close(a->fd) != 0) {
		a->fd = -1;
		return sl_err_errno(err, errno, "%s", a->path);
	}
	a->fd = -1;
	if (renameat(a->dirfd, a->tmp, a->dirfd, a->base) != 0)
		return sl_err_errno(err, errno, "%s: rename", a->path);
	free(a->tmp);
	a->tmp = NULL; /* published: nothing to remove any more */
	return sl_fsync_dirat(a->dirfd, a->path, err);
}

/* Removes the temporary file unless committed; releases everything. */
static void atomic_end(struct atomic_out *a)
{
	if (a->fd >= 0)
		close(a->fd);
	if (a->tmp && a->dirfd >= 0)
		unlinkat(a->dirfd, a->tmp, 0);
	if (a->dirfd >= 0)
		close(a->dirfd);
	free(a->tmp);
	free(a->base);
	a->fd = a->dirfd = -1;
	a->tmp = a->base = NULL;
}

/* The Parquet sink: full writes to the temporary file, and every WRITEBACK_EVERY bytes
 * the kernel is asked to start writing them out (without waiting), so that the fsync
 * at the end waits for the last stretch only rather than for the whole file. */
#define WRITEBACK_EVERY ((off_t)16 << 20)

struct out_sink {
	struct atomic_out *ao;
	off_t written, started; /* bytes written; bytes whose writeback has been started */
};

static int out_write(void *ctx, const void *p, size_t len, struct sl_err *err)
{
	struct out_sink *o = ctx;
	int rc = sl_write_all(o->ao->fd, p, len, o->ao->path, err);
	if (rc)
		return rc;
	o->written += (off_t)len;
	if (o->written - o->started >= WRITEBACK_EVERY) {
		/* a hint: where it is refused, the final fsync does all the work */
		(void)sync_file_range(o->ao->fd, o->started, o->written - o->started,
				      SYNC_FILE_RANGE_WRITE);
		o->started = o->written;
	}
	return 0;
}

struct reason {
	const char *pointer, *keyword, *schema_path, *message;
};

struct conv {
	const char *in;
	struct atomic_out rej;
	bool rejects;
	struct sl_buf line; /* one rejects line */
	int64_t rows, rejected;
};

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

/* Counts, describes (the first few) and records (--rejects) a left-out record. */
static int reject(struct conv *cv, struct sl_json_reader *r, int64_t line,
		  const struct reason *why, size_t n, bool text_is_json, struct sl_err *err)
{
	if (cv->rejected++ < SHOW_REJECTS) {
		for (size_t i = 0; i < n; i++) {
			fprintf(stderr, "sluice: convert: %s:%" PRId64 ": ", cv->in, line);
			put_clean(stderr, why[i].pointer[0] ? why[i].pointer : "(root)");
			fputs(": ", stderr);
			put_clean(stderr, why[i].keyword);
			fputs(": ", stderr);
			put_clean(stderr, why[i].message);
			fputc('\n', stderr);
		}
	}
	if (!cv->rejects)
		return 0;
	struct sl_buf *b = &cv->line;
	sl_buf_reset(b);
	const char *text;
	size_t len;
	sl_buf_printf(b, "{\"line\":%" PRId64 ",\"record\":", line);
	if (!sl_json_reader_record_text(r, &text, &len, NULL))
		sl_buf_puts(b, "null");
	else if (text_is_json)
		sl_buf_append(b, text, len);
	else
		sl_buf_json_str(b, text, len);
	sl_buf_puts(b, ",\"errors\":[");
	for (size_t i = 0; i < n; i++) {
		sl_buf_puts(b, i ? ",{\"pointer\":" : "{\"pointer\":");
		sl_buf_json_str(b, why[i].pointer, strlen(why[i].pointer));
		sl_buf_puts(b, ",\"keyword\":");
		sl_buf_json_str(b, why[i].keyword, strlen(why[i].keyword));
		if (why[i].schema_path) {
			sl_buf_puts(b, ",\"schema_path\":");
			sl_buf_json_str(b, why[i].schema_path, strlen(why[i].schema_path));
		}
		sl_buf_puts(b, ",\"message\":");
		sl_buf_json_str(b, why[i].message, strlen(why[i].message));
		sl_buf_puts(b, "}");
	}
	if (sl_buf_puts(b, "]}\n") != 0)
		return sl_err_set(err, SL_ELIMIT, "%s: a rejects line over %zu bytes", cv->rej.path,
				  b->max);
	return sl_write_all(cv->rej.fd, b->data, b->len, cv->rej.path, err);
}

/* The schema's text: a file, or a version from the lake's registry. */
static int load_schema(struct sl_cli *cli, const char *file, const char *subject,
		       int64_t version, struct sl_lake **lake, char **text, size_t *len,
		       struct sl_err *err)
{
	*lake = NULL;
	if (subject) {
		if (sl_cli_open_lake(cli, lake) != 0)
			return sl_err_set(err, SL_ENOLAKE, "%s", ""); /* already printed */
		struct sl_schema_version v;
		int rc = sl_registry_get(&(*lake)->meta, subject, version, &v, err);
		if (rc)
			return rc;
		*text = v.text;
		*len = v.len;
		v.text = NULL;
		sl_schema_version_release(&v);
		return 0;
	}
	/* a lake, when one is named, answers sluice: references */
	const char *env = getenv("SLUICE_LAKE");
	if ((cli->lake_flag || (env && *env)) && sl_cli_open_lake(cli, lake) != 0)
		return sl_err_set(err, SL_ENOLAKE, "%s", "");
	int rc = sl_read_small_file(file, SL_SCHEMA_TEXT_MAX, text, len, err);
	if (rc == 0 && *len >= 3 && memcmp(*text, "\xef\xbb\xbf", 3) == 0) {
		memmove(*text, *text + 3, *len - 2);
		*len -= 3;
	}
	return rc;
}

/* The JSON Schema compiled for validation and mapped to the row type. */
static int prepare(struct sl_lake *lake, const char *what, const char *text, size_t len,
		   struct sl_schema **schema, struct sl_type **row, struct sl_err *err)
{
	struct sl_schema_resolver res;
	struct sl_schema_opts so = {0};
	if (lake) {
		sl_registry_resolver(&lake->meta, &res);
		so.resolver = &res;
	}
	int rc = sl_schema_compile(text, len, &so, schema, err);
	if (rc)
		return sl_err_prefix(err, "%s", what);
	struct sl_json_error je;
	struct sl_json_node *tree = sl_json_tree_parse(text, len, NULL, &je);
	if (!tree)
		return sl_err_set(err, je.code ? je.code : SL_EINVAL, "%s: %s", what, je.msg);
	*row = sl_type_from_jsonschema(tree, err);
	sl_json_tree_free(tree);
	if (!*row)
		return sl_err_prefix(err, "%s: no Parquet type for this schema", what);
	return 0;
}

/* --infer: a first pass over IN (a file: it is read twice) infers the row type from its
 * records, or from the first `sample` of them when sample > 0. Lines that are not JSON
 * are skipped here and reported by the second pass; type conflicts are noted on stderr
 * (the column becomes json). */
static int infer_row(const char *in, int64_t sample, struct sl_type **row,
		     struct sl_err *err)
{
	struct sl_json_reader *r = NULL;
	struct sl_infer *inf = sl_infer_new(NULL);
	struct sl_json_doc doc;
	struct sl_json_error je;
	int fd = open(in, O_RDONLY | O_CLOEXEC), rc = 0;

	if (!inf) {
		rc = sl_err_set(err, SL_ENOMEM, "out of memory");
		goto done;
	}
	if (fd < 0) {
		rc = sl_err_errno(err, errno, "%s", in);
		goto done;
	}
	if ((rc = sl_json_reader_open(fd, in, SL_JSON_FRAME_AUTO, NULL, &r, err)) != 0)
		goto done;
	while ((sample <= 0 || sl_infer_records(inf) < sample) &&
	       (rc = sl_json_reader_next(r, &doc, &je)) != 0) {
		if (rc < 0 && je.fatal) {
			rc = sl_err_set(err, je.code ? je.code : SL_EIO, "%s:%" PRId64 ": %s", in,
					je.pos.line, je.msg);
			goto done;
		}
		if (rc > 0 && (rc = sl_infer_add(inf, &doc, err)) != 0) {
			sl_err_prefix(err, "%s:%" PRId64, in, doc.pos.line);
			goto done;
		}
	}
	if (!(*row = sl_infer_row_type(inf, err))) {
		rc = sl_err_prefix(err, "%s", in);
		goto done;
	}
	size_t n;
	const struct sl_infer_conflict *c = sl_infer_conflicts(inf, &n);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "sluice: convert: %s: %s: %s in an earlier record, %s in record %" PRId64
			": typed json\n", in, *c[i].path ? c[i].path : "/", c[i].a, c[i].b,
			c[i].record + 1);
	rc = 0;
done:
	sl_json_reader_close(r);
	if (fd >= 0)
		close(fd);
	sl_infer_free(inf);
	return rc;
}

static int run_convert(struct sl_cli *cli, int argc, char **argv)
{
	static const struct option lo[] = {
		SL_CLI_COMMON_OPTS,
		{"schema", required_argument, NULL, 's'},
		{"subject", required_argument, NULL, 'S'},
		{"type", required_argument, NULL, 't'},
		{"infer", no_argument, NULL, 'i'},
		{"sample", required_argument, NULL, 'n'},
		{"codec", required_argument, NULL, 'c'},
		{"level", required_argument, NULL, 'l'},
		{"row-group-rows", required_argument, NULL, 'r'},
		{"page-version", required_argument, NULL, 'p'},
		{"rejects", required_argument, NULL, 'R'},
		{0},
	};
	const char *schema_file = NULL, *rejects = NULL, *type_text = NULL;
	char *subject = NULL;
	int64_t version = 0, sample = 0;
	bool infer = false;
	long long v;
	struct sl_pq_write_opts wo;
	sl_pq_write_opts_default(&wo);
	int c;
	while ((c = sl_cli_getopt(cli, argc, argv, "", lo)) != -1) {
		switch (c) {
		case 'h': return SL_EXIT_OK;
		case 's': schema_file = optarg; break;
		case 't': type_text = optarg; break;
		case 'i': infer = true; break;
		case 'n':
			if (sl_cli_parse_count(cli, "--sample", optarg, INT64_MAX, &v))
				return SL_EXIT_USAGE;
			sample = v;
			break;
		case 'S': subject = optarg; break;
		case 'R': rejects = optarg; break;
		case 'c':
			if (!(wo.codec = sl_pq_codec_by_name(optarg)) ||
			    (wo.codec->id != 0 && !wo.codec->compress))
				return sl_cli_usage_error(cli, "unknown codec '%s' (zstd, snappy, gzip, "
							  "none)", optarg);
			break;
		case 'l':
			if (sl_cli_parse_count(cli, "--level", optarg, 22, &v))
				return SL_EXIT_USAGE;
			wo.level = (int)v;
			break;
		case 'r':
			if (sl_cli_parse_count(cli, "--row-group-rows", optarg, INT32_MAX, &v))
				return SL_EXIT_USAGE;
			if (v < 1)
				return sl_cli_usage_error(cli, "--row-group-rows must be at least 1");
			wo.row_group_rows = v;
			break;
		case 'p':
			if (strcmp(optarg, "1") != 0 && strcmp(optarg, "2") != 0)
				return sl_cli_usage_error(cli, "--page-version is 1 or 2");
			wo.page_version = optarg[0] - '0';
			break;
		default: return SL_EXIT_USAGE;
		}
	}
	if (argc - optind != 2)
		return sl_cli_usage_error(cli, "expected IN and OUT.parquet");
	const char *in = argv[optind], *out = argv[optind + 1];
	if ((schema_file != NULL) + (subject != NULL) + (type_text != NULL) + infer != 1)
		return sl_cli_usage_error(cli, "give one of --schema FILE, --subject S[:VERSION], "
					  "--type TYPE and --infer");
	if (infer && strcmp(in, "-") == 0)
		return sl_cli_usage_error(cli, "--infer reads IN twice: give a file, not -");
	if (sample && !infer)
		return sl_cli_usage_error(cli, "--sample goes with --infer");
	char subj[SL_SUBJECT_MAX];
	if (subject) {
		const char *colon = strrchr(subject, ':');
		size_t n = colon ? (size_t)(colon - subject) : strlen(subject);
		if (n >= sizeof(subj))
			return sl_cli_usage_error(cli, "subject name too long");
		memcpy(subj, subject, n);
		subj[n] = '\0';
		struct sl_err e0 = {0};
		if (sl_subject_check(subj, &e0) != 0)
			return sl_cli_usage_error(cli, "%s", e0.msg);
		if (colon && strcmp(colon + 1, "latest") != 0) {
			if (sl_cli_parse_count(cli, "--subject version", colon + 1, INT64_MAX, &v))
				return SL_EXIT_USAGE;
			if (v < 1)
				return sl_cli_usage_error(cli, "versions start at 1");
			version = v;
		}
	}

	struct sl_err err = {0};
	struct sl_lake *lake = NULL;
	struct sl_schema *schema = NULL;
	struct sl_validator *val = NULL;
	struct sl_type *row = NULL;
	struct sl_json_reader *r = NULL;
	struct sl_pq_writer *w = NULL;
	struct atomic_out ao = {.dirfd = -1, .fd = -1};
	struct conv cv = {.in = in, .rej = {.dirfd = -1, .fd = -1}, .rejects = rejects != NULL};
	sl_buf_init(&cv.line, (size_t)128 << 20);
	char *text = NULL;
	size_t len = 0;
	int in_fd = -1, rc, exit_code = SL_EXIT_FAIL;
	char vname[SL_SUBJECT_MAX + 32];
	struct sl_pq_kv_pair kv[1];

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	double t0 = sl_mono_s();
	if (type_text) {
		/* a row type alone: records are checked only by the shredder */
		if (!(row = sl_type_parse(type_text, strlen(type_text), &err))) {
			sl_err_prefix(&err, "--type");
			err.code = SL_EUSAGE;
			goto fail;
		}
	} else if (infer) {
		if ((rc = infer_row(in, sample, &row, &err)) != 0)
			goto fail;
	} else {
		if ((rc = load_schema(cli, schema_file, subject ? subj : NULL, version, &lake, &text,
				      &len, &err)) != 0)
			goto fail;
		if (subject)
			snprintf(vname, sizeof(vname), "subject %s", subj);
		else
			snprintf(vname, sizeof(vname), "%s", schema_file);
		if ((rc = prepare(lake, vname, text, len, &schema, &row, &err)) != 0)
			goto fail;
		if (!(val = sl_validator_new(schema))) {
			rc = sl_err_set(&err, SL_ENOMEM, "out of memory");
			goto fail;
		}
	}
	in_fd = strcmp(in, "-") == 0 ? STDIN_FILENO : open(in, O_RDONLY | O_CLOEXEC);
	if (in_fd < 0) {
		rc = sl_err_errno(&err, errno, "%s", in);
		goto fail;
	}
	if ((rc = sl_json_reader_open(in_fd, in, SL_JSON_FRAME_AUTO, NULL, &r, &err)) != 0)
		goto fail;
	if ((rc = atomic_open(&ao, out, &err)) != 0)
		goto fail;
	if (rejects && (rc = atomic_open(&cv.rej, rejects, &err)) != 0)
		goto fail;
	if (subject) {
		kv[0] = (struct sl_pq_kv_pair){"sluice.schema.subject", subj};
		wo.kv = kv;
		wo.n_kv = 1;
	}
	struct out_sink osink = {.ao = &ao};
	struct sl_pq_sink sink = {&osink, out_write};
	if ((rc = sl_pq_writer_open(row, &wo, &sink, &w, &err)) != 0)
		goto fail;

	struct sl_json_doc doc;
	struct sl_json_error je;
	struct sl_schema_error errs[MAX_REASONS];
	struct reason why[MAX_REASONS];
	while (!stop_flag && (rc = sl_json_reader_next(r, &doc, &je)) != 0) {
		if (rc < 0) {
			if (je.fatal) {
				rc = sl_err_set(&err, je.code ? je.code : SL_EIO, "%s:%" PRId64 ": %s",
						in, je.pos.line, je.msg);
				goto fail;
			}
			why[0] = (struct reason){"", "$json", NULL, je.msg};
			if ((rc = reject(&cv, r, je.pos.line, why, 1, false, &err)) != 0)
				goto fail;
			continue;
		}
		size_t n = 0;
		int ok = val ? sl_validate(val, &doc, errs, MAX_REASONS, &n) : 1;
		if (ok < 0) {
			rc = sl_err_set(&err, ok, "%s:%" PRId64 ": validation failed: %s", in,
					doc.pos.line, sl_code_name(ok));
			goto fail;
		}
		if (ok == 0) {
			if (n == 0)
				why[n++] = (struct reason){"", "$invalid", NULL, "the record is invalid"};
			else
				for (size_t i = 0; i < n; i++)
					why[i] = (struct reason){errs[i].pointer, errs[i].keyword,
								 errs[i].schema_path, errs[i].msg};
			if ((rc = reject(&cv, r, doc.pos.line, why, n, true, &err)) != 0)
				goto fail;
			continue;
		}
		struct sl_err we; /* 1 KiB: set only on failure, so not zeroed per record */
		we.code = 0;
		we.msg[0] = '\0';
		rc = sl_pq_writer_put_json(w, &doc, &we);
		if (rc == SL_EINVAL) {
			/* the message starts "at POINTER: ", which the pointer field carries */
			const char *msg = we.msg, *colon = strstr(msg, ": ");
			if (strncmp(msg, "at ", 3) == 0 && colon)
				msg = colon + 2;
			why[0] = (struct reason){sl_pq_writer_error_pointer(w), "$convert", NULL, msg};
			if ((rc = reject(&cv, r, doc.pos.line, why, 1, true, &err)) != 0)
				goto fail;
			continue;
		}
		if (rc) {
			err = we;
			goto fail;
		}
		cv.rows++;
	}
	if (stop_flag) {
		rc = sl_err_set(&err, SL_EIO, "interrupted: %s not written", out);
		goto fail;
	}
	if ((rc = sl_pq_writer_close(w, &err)) != 0 || (rc = atomic_commit(&ao, &err)) != 0)
		goto fail;
	if (rejects && (rc = atomic_commit(&cv.rej, &err)) != 0)
		goto fail;

	double dt = sl_mono_s() - t0;
	int64_t decoded, raw;
	sl_json_reader_bytes(r, &decoded, &raw);
	struct sl_pq_write_stats st;
	sl_pq_writer_stats(w, &st);
	char hin[32], hraw[32], hout[32];
	sl_cli_human_bytes(decoded, hin, sizeof(hin));
	sl_cli_human_bytes(raw, hraw, sizeof(hraw));
	sl_cli_human_bytes(st.bytes_written, hout, sizeof(hout));
	if (cv.rejected > SHOW_REJECTS)
		fprintf(stderr, "sluice: convert: %" PRId64 " more rejected records not shown%s\n",
			cv.rejected - SHOW_REJECTS, rejects ? " (see --rejects)" : "");
	fprintf(stderr,
		"sluice: convert: %" PRId64 " rows, %" PRId64 " rejected, %s in (%s read), %s out "
		"(%s, %" PRId64 " row group%s), %.2f s, %.0f MB/s\n",
		cv.rows, cv.rejected, hin, hraw, hout, wo.codec ? wo.codec->name : "zstd",
		st.row_groups, st.row_groups == 1 ? "" : "s", dt,
		dt > 0 ? (double)decoded / dt / 1e6 : 0.0);
	exit_code = cv.rejected ? SL_EXIT_PROBLEMS : SL_EXIT_OK;
	goto out;
fail:
	if (err.code != SL_ENOLAKE || err.msg[0])
		sl_cli_fail(cli, &err);
	exit_code = err.code == SL_EUSAGE ? SL_EXIT_USAGE : SL_EXIT_FAIL;
out:
	sl_pq_writer_free(w);
	atomic_end(&ao);
	atomic_end(&cv.rej);
	sl_json_reader_close(r);
	if (in_fd >= 0 && in_fd != STDIN_FILENO)
		close(in_fd);
	sl_validator_free(val);
	sl_schema_free(schema);
	sl_type_free(row);
	free(text);
	sl_buf_release(&cv.line);
	sl_lake_close(lake);
	return exit_code;
}

const struct sl_cmd sl_cmd_convert = {
	"convert", "convert NDJSON to Parquet under a JSON Schema",
	"usage: sluice convert IN OUT.parquet (--schema FILE | --subject S[:VERSION] | --type T\n"
	"                      | --infer [--sample N]) [--codec zstd|snappy|gzip|none] [--level N]\n"
	"                      [--row-group-rows N] [--page-version 1|2] [--rejects FILE]\n"
	"\n"
	"Reads IN ('-' = standard input): NDJSON or one JSON array of records, plain, gzip\n"
	"or zstd. Each record is checked against the JSON Schema (a file, or a subject's\n"
	"version in the lake's registry: latest by default) and written to OUT as one row;\n"
	"the Parquet columns follow the schema (docs/types.md). --type takes the row type\n"
	"itself instead (struct<id:int64 not null,...>, docs/types.md) and checks records\n"
	"only against it. --infer reads IN (a file) once more first and infers the type\n"
	"from its records (the first N with --sample; docs/types.md, Inference); values\n"
	"whose types conflict become a json column, noted on stderr. Records that are not JSON,\n"
	"break the schema or do not fit a column are left out: the first ones are described\n"
	"on stderr (IN:LINE: POINTER: KEYWORD: MESSAGE) and --rejects FILE gets each as one\n"
	"line {\"line\":..,\"record\":..,\"errors\":[{pointer,keyword,message}..]}.\n"
	"OUT is replaced atomically; on failure neither OUT nor a temporary file is left.\n"
	"\n"
	"  --codec C            page compression (default zstd)\n"
	"  --level N            codec level (zstd 1..22, default 3; gzip 1..9)\n"
	"  --row-group-rows N   rows per row group (default 122880)\n"
	"  --page-version V     data page version 1 (default) or 2\n"
	"Exit 0 when every record was written, 3 when some were left out (the others are\n"
	"written), 1 for a usage error, 2 when nothing was written (unreadable input or\n"
	"schema, disk full, interrupted).\n",
	run_convert,
};
