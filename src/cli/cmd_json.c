/* cmd_json.c - `sluice json check|stats`: the JSON engine on files, no lake needed. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "json/json.h"

struct json_opts {
	enum sl_json_framing framing;
	struct sl_json_limits lim;
	long long max_errors;
	int impl; /* enum sl_json_impl */
};

static int open_input(const char *file, int *fd)
{
	*fd = strcmp(file, "-") == 0 ? STDIN_FILENO : open(file, O_RDONLY | O_CLOEXEC);
	if (*fd < 0) {
		fprintf(stderr, "sluice: %s: %s\n", file, strerror(errno));
		return -1;
	}
	return 0;
}

struct check_result {
	long long good, bad; /* records */
	long long shown;     /* invalid records printed */
	int broken;          /* the file could not be read to its end */
};

/* Checks one file, adding to *res. */
static void check_file(struct sl_cli *cli, const char *file, const struct json_opts *o,
		       struct check_result *res)
{
	int fd;
	struct sl_json_reader *r;
	struct sl_err err = {0};
	if (open_input(file, &fd) != 0) {
		res->broken = 1;
		return;
	}
	if (sl_json_reader_open(fd, file, o->framing, &o->lim, &r, &err) != 0) {
		fprintf(stderr, "sluice: %s\n", err.msg);
		if (fd != STDIN_FILENO)
			close(fd);
		res->broken = 1;
		return;
	}
	if (o->impl != SL_JSON_IMPL_AUTO)
		sl_json_parser_set_impl(sl_json_reader_parser(r), (enum sl_json_impl)o->impl);
	long long bad = 0, good = 0;
	int rc;
	struct sl_json_doc doc;
	struct sl_json_error e;
	while ((rc = sl_json_reader_next(r, &doc, &e)) != 0) {
		if (rc > 0) {
			good++;
			continue;
		}
		if (e.fatal) {
			/* always shown, and not an invalid record: the stream itself broke */
			fprintf(cli->out, "%s:%lld:%lld: %s (record %lld, byte %lld)\n", file,
				(long long)e.pos.line, (long long)e.pos.column, e.msg,
				(long long)e.pos.record + 1, (long long)e.pos.offset);
			res->broken = 1;
			break;
		}
		bad++;
		if (res->shown < o->max_errors) {
			fprintf(cli->out, "%s:%lld:%lld: %s (record %lld, byte %lld)\n", file,
				(long long)e.pos.line, (long long)e.pos.column, e.msg,
				(long long)e.pos.record + 1, (long long)e.pos.offset);
			res->shown++;
		}
	}
	if (bad > 0)
		fprintf(cli->out, "%s: %lld of %lld records invalid%s\n", file, bad, bad + good,
			res->broken ? " before the stream broke" : "");
	res->good += good;
	res->bad += bad;
	sl_json_reader_close(r);
	if (fd != STDIN_FILENO)
		close(fd);
}

static int parse_json_opts(struct sl_cli *cli, int argc, char **argv, struct json_opts *o)
{
	static const struct option lo[] = {
		SL_CLI_COMMON_OPTS,
		{"ndjson", no_argument, NULL, 'n'},
		{"array", no_argument, NULL, 'a'},
		{"auto", no_argument, NULL, 'A'},
		{"max-depth", required_argument, NULL, 'd'},
		{"max-record", required_argument, NULL, 'r'},
		{"max-string", required_argument, NULL, 's'},
		{"max-errors", required_argument, NULL, 'e'},
		{"scalar", no_argument, NULL, 'S'},
		{0},
	};
	long long v;
	int c;
	o->framing = SL_JSON_FRAME_DOCUMENT;
	sl_json_limits_default(&o->lim);
	o->max_errors = 20;
	o->impl = SL_JSON_IMPL_AUTO;
	while ((c = sl_cli_getopt(cli, argc, argv, "", lo)) != -1) {
		switch (c) {
		case 'h': return 'h';
		case 'n': o->framing = SL_JSON_FRAME_NDJSON; break;
		case 'a': o->framing = SL_JSON_FRAME_ARRAY; break;
		case 'A': o->framing = SL_JSON_FRAME_AUTO; break;
		case 'S': o->impl = SL_JSON_IMPL_SCALAR; break;
		case 'd':
			if (sl_cli_parse_count(cli, "--max-depth", optarg, 65535, &v))
				return '?';
			o->lim.max_depth = (uint32_t)(v ? v : 1);
			break;
		case 'r':
			if (sl_cli_parse_count(cli, "--max-record", optarg, (long long)1 << 32, &v))
				return '?';
			o->lim.max_record = (size_t)v;
			break;
		case 's':
			if (sl_cli_parse_count(cli, "--max-string", optarg, (long long)1 << 32, &v))
				return '?';
			o->lim.max_string = (size_t)v;
			break;
		case 'e':
			if (sl_cli_parse_count(cli, "--max-errors", optarg, 1000000000, &v))
				return '?';
			o->max_errors = v;
			break;
		default: return '?';
		}
	}
	return 0;
}

/* ---- stats ---------------------------------------------------------------------------- */

#define STATS_MAX_PATHS 100000
#define STATS_PATH_MAX 512

struct path_count {
	char *path;
	uint64_t hash;
	long long n;       /* records with this path */
	long long last;    /* the last record counted, so a record counts once */
};

struct stats {
	long long record; /* index of the record being counted */
	struct path_count *tab; /* open addressing, power-of-two size */
	size_t cap, used;
	long long dropped; /* keys not counted once STATS_MAX_PATHS distinct paths were seen */
};

static uint64_t fnv(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

static void count_path(struct stats *st, const char *path, size_t n)
{
	if (st->used * 2 >= st->cap) {
		size_t ncap = st->cap ? st->cap * 2 : 1024;
		struct path_count *nt = calloc(ncap, sizeof(*nt));
		if (!nt) {
			st->dropped++;
			return;
		}
		for (size_t i = 0; i < st->cap; i++) {
			if (!st->tab[i].path)
				continue;
			size_t j = st->tab[i].hash & (ncap - 1);
			while (nt[j].path)
				j = (j + 1) & (ncap - 1);
			nt[j] = st->tab[i];
		}
		free(st->tab);
		st->tab = nt;
		st->cap = ncap;
	}
	uint64_t h = fnv(path, n);
	size_t j = h & (st->cap - 1);
	while (st->tab[j].path) {
		if (st->tab[j].hash == h && strlen(st->tab[j].path) == n &&
		    memcmp(st->tab[j].path, path, n) == 0) {
			if (st->tab[j].last != st->record) {
				st->tab[j].n++;
				st->tab[j].last = st->record;
			}
			return;
		}
		j = (j + 1) & (st->cap - 1);
	}
	if (st->used >= STATS_MAX_PATHS || !(st->tab[j].path = strndup(path, n))) {
		st->dropped++;
		return;
	}
	st->tab[j].hash = h;
	st->tab[j].n = 1;
	st->tab[j].last = st->record;
	st->used++;
}

/* Counts every member name by its path: "player.guild.name", arrays as "tags[]". */
static void count_keys(struct stats *st, const struct sl_json_doc *doc)
{
	size_t plen[1024];
	char path[STATS_PATH_MAX + 64];
	size_t len = 0;
	int d = 0;
	for (size_t i = 0; i < doc->n_tok; i++) {
		const struct sl_json_tok *t = &doc->tok[i];
		switch (t->type) {
		case SL_JSON_KEY: {
			size_t base = d > 0 ? plen[d - 1] : 0;
			size_t k = t->len;
			len = base;
			if (len && len < STATS_PATH_MAX)
				path[len++] = '.';
			if (len + k > STATS_PATH_MAX)
				k = STATS_PATH_MAX - len;
			memcpy(path + len, t->v.s, k);
			len += k;
			count_path(st, path, len);
			break;
		}
		case SL_JSON_OBJECT:
		case SL_JSON_ARRAY:
			if (d < 1024) {
				size_t l = len;
				if (t->type == SL_JSON_ARRAY && l + 2 <= STATS_PATH_MAX) {
					path[l++] = '[';
					path[l++] = ']';
				}
				plen[d] = l;
			}
			d++;
			len = d - 1 < 1024 ? plen[d - 1] : len;
			break;
		case SL_JSON_END:
			d--;
			len = d > 0 && d - 1 < 1024 ? plen[d - 1] : 0;
			break;
		default:
			if (d > 0 && d - 1 < 1024)
				len = plen[d - 1];
			break;
		}
	}
}

static int by_count(const void *a, const void *b)
{
	const struct path_count *x = a, *y = b;
	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return strcmp(x->path, y->path);
}

static int run_stats(struct sl_cli *cli, const char *file, const struct json_opts *o)
{
	int fd;
	struct sl_json_reader *r;
	struct sl_err err = {0};
	if (open_input(file, &fd) != 0)
		return SL_EXIT_FAIL;
	if (sl_json_reader_open(fd, file, o->framing, &o->lim, &r, &err) != 0) {
		fprintf(stderr, "sluice: %s\n", err.msg);
		return SL_EXIT_FAIL;
	}
	struct stats st = {0};
	if (o->impl != SL_JSON_IMPL_AUTO)
		sl_json_parser_set_impl(sl_json_reader_parser(r), (enum sl_json_impl)o->impl);
	long long good = 0, bad = 0, dups = 0;
	int max_depth = 0, rc, fatal = 0;
	struct sl_json_doc doc;
	struct sl_json_error e;
	while ((rc = sl_json_reader_next(r, &doc, &e)) != 0) {
		if (rc < 0) {
			bad++;
			if (e.fatal) {
				fprintf(stderr, "%s:%lld:%lld: %s\n", file, (long long)e.pos.line,
					(long long)e.pos.column, e.msg);
				fatal = 1;
				break;
			}
			continue;
		}
		good++;
		dups += doc.dup_keys;
		if (doc.max_depth > max_depth)
			max_depth = doc.max_depth;
		st.record = good;
		count_keys(&st, &doc);
	}
	int64_t decoded, raw;
	sl_json_reader_bytes(r, &decoded, &raw);
	fprintf(cli->out,
		"file           %s\nrecords        %lld valid, %lld invalid\nbytes          %lld "
		"(%lld read)\nmax depth      %d\nduplicate keys %lld records\nparser         %s\n\n"
		"key frequencies (records with the key at that path):\n",
		file, good, bad, (long long)decoded, (long long)raw, max_depth, dups,
		sl_json_parser_impl_name(sl_json_reader_parser(r)));
	size_t n = 0;
	for (size_t i = 0; i < st.cap; i++)
		if (st.tab[i].path)
			st.tab[n++] = st.tab[i];
	if (n > 1)
		qsort(st.tab, n, sizeof(*st.tab), by_count);
	for (size_t i = 0; i < n; i++) {
		if (i < 200)
			fprintf(cli->out, "  %12lld  %s\n", st.tab[i].n, st.tab[i].path);
		free(st.tab[i].path);
	}
	if (n > 200)
		fprintf(cli->out, "  ... and %zu more paths\n", n - 200);
	if (st.dropped)
		fprintf(cli->out, "  (%lld keys beyond %d distinct paths not counted)\n", st.dropped,
			STATS_MAX_PATHS);
	free(st.tab);
	sl_json_reader_close(r);
	if (fd != STDIN_FILENO)
		close(fd);
	return fatal ? SL_EXIT_FAIL : SL_EXIT_OK;
}

static int run_json(struct sl_cli *cli, int argc, char **argv)
{
	struct json_opts o;
	int c = parse_json_opts(cli, argc, argv, &o);
	if (c == 'h')
		return SL_EXIT_OK;
	if (c)
		return SL_EXIT_USAGE;
	if (optind >= argc)
		return sl_cli_usage_error(cli, "expected check or stats");
	const char *sub = argv[optind++];
	if (optind >= argc)
		return sl_cli_usage_error(cli, "%s needs a FILE ('-' for standard input)", sub);
	if (strcmp(sub, "stats") == 0) {
		if (argc - optind != 1)
			return sl_cli_usage_error(cli, "stats takes one FILE");
		if (o.framing == SL_JSON_FRAME_DOCUMENT)
			o.framing = SL_JSON_FRAME_AUTO;
		return run_stats(cli, argv[optind], &o);
	}
	if (strcmp(sub, "check") != 0)
		return sl_cli_usage_error(cli, "unknown subcommand '%s'", sub);
	struct check_result res = {0};
	for (int i = optind; i < argc; i++)
		check_file(cli, argv[i], &o, &res);
	if (res.shown < res.bad)
		fprintf(cli->out, "(%lld more errors not shown; raise --max-errors)\n",
			res.bad - res.shown);
	if (res.broken)
		return SL_EXIT_FAIL;
	return res.bad ? 1 : SL_EXIT_OK;
}

const struct sl_cmd sl_cmd_json = {
	"json", "check JSON / NDJSON files, or show their statistics",
	"usage: sluice json check [--ndjson | --array | --auto] [LIMITS] [--max-errors N] FILE...\n"
	"       sluice json stats [--ndjson | --array] [LIMITS] FILE\n"
	"\n"
	"check  validates each FILE ('-' = standard input) strictly (RFC 8259): one JSON\n"
	"       document (default), one record per line (--ndjson), a top-level array of\n"
	"       records (--array), or --auto ('[' first: array, else NDJSON). gzip and zstd\n"
	"       input is recognised and decompressed on the fly. Prints\n"
	"         FILE:LINE:COL: message (record N, byte OFFSET)\n"
	"       per invalid record (the first --max-errors, default 20) and a count.\n"
	"       Exit 0 if all valid, 1 if some record is invalid, 2 if a file cannot be\n"
	"       read to its end (I/O error, corrupt compression, unclosed array).\n"
	"stats  records, bytes, maximum depth, duplicate keys and how often each key\n"
	"       path occurs (e.g. player.guild.name, items[].sku).\n"
	"LIMITS: --max-depth N (512), --max-record BYTES (64 MiB), --max-string BYTES\n"
	"       (16 MiB); a record over a limit is an error for that record only.\n"
	"--scalar uses the portable parser instead of the AVX2 one (same results).\n",
	run_json,
};
