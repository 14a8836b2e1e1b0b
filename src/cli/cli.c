/* cli.c - command dispatch, global options and the helpers commands share. */
#include "cli/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"

static const struct sl_cmd *const commands[] = {
	&sl_cmd_init, &sl_cmd_put,  &sl_cmd_ls,     &sl_cmd_cat,    &sl_cmd_rm,   &sl_cmd_queue,
	&sl_cmd_status, &sl_cmd_fsck, &sl_cmd_config, &sl_cmd_json, &sl_cmd_schema,
	&sl_cmd_validate, &sl_cmd_deadletter, &sl_cmd_crawl, &sl_cmd_catalog, &sl_cmd_etl,
	&sl_cmd_compact, &sl_cmd_convert, &sl_cmd_parquet, &sl_cmd_help, &sl_cmd_version, NULL,
};

static const char main_usage[] =
	"usage: sluice [--lake DIR] COMMAND [ARGS]\n"
	"       sluice --version | --help | help COMMAND\n"
	"\n"
	"The lake is --lake DIR, else $SLUICE_LAKE, else the current directory.\n"
	"\n"
	"Commands:\n";

static void print_main_usage(FILE *f)
{
	fputs(main_usage, f);
	for (size_t i = 0; commands[i]; i++)
		fprintf(f, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
	fputs("\nExit codes: 0 ok, 1 usage error, 2 failure, 3 check found problems.\n"
	      "'sluice COMMAND --help' describes one command; docs/cli.md all of them.\n",
	      f);
}

static const struct sl_cmd *find_cmd(const char *name)
{
	for (size_t i = 0; commands[i]; i++)
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	return NULL;
}

int sl_cli_usage_error(struct sl_cli *cli, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "sluice %s: ", cli->cmd ? cli->cmd->name : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'sluice %s --help')\n", cli->cmd ? cli->cmd->name : "");
	return SL_EXIT_USAGE;
}

int sl_cli_fail(struct sl_cli *cli, const struct sl_err *err)
{
	(void)cli;
	fprintf(stderr, "sluice: %s\n", err->msg[0] ? err->msg : sl_code_name(err->code));
	return err->code == SL_EUSAGE ? SL_EXIT_USAGE : SL_EXIT_FAIL;
}

int sl_cli_getopt(struct sl_cli *cli, int argc, char **argv, const char *shortopts,
		  const struct option *longopts)
{
	char opts[64];
	/* ":": report a missing argument as ':'; operands and options may mix */
	snprintf(opts, sizeof(opts), ":h%s", shortopts);
	opterr = 0;
	int longindex = -1;
	int c = getopt_long(argc, argv, opts, longopts, &longindex);
	switch (c) {
	case 'h':
		fputs(cli->cmd->usage, cli->out);
		return 'h';
	case 'L':
		cli->lake_flag = optarg;
		return sl_cli_getopt(cli, argc, argv, shortopts, longopts);
	case ':':
		sl_cli_usage_error(cli, "option '%s' needs a value", argv[optind - 1]);
		return '?';
	case '?':
		if (optopt)
			sl_cli_usage_error(cli, "unknown option '-%c'", optopt);
		else
			sl_cli_usage_error(cli, "unknown option '%s'", argv[optind - 1]);
		return '?';
	default:
		return c;
	}
}

int sl_cli_open_lake(struct sl_cli *cli, struct sl_lake **lake)
{
	struct sl_err err = {0};
	char *dir = sl_lake_locate(cli->lake_flag);
	if (!dir) {
		fprintf(stderr, "sluice: cannot determine the lake directory: %s\n", strerror(errno));
		return SL_EXIT_FAIL;
	}
	int rc = sl_lake_open(dir, lake, &err);
	free(dir);
	return rc ? sl_cli_fail(cli, &err) : SL_EXIT_OK;
}

void sl_cli_flush(struct sl_cli *cli, struct sl_buf *buf)
{
	if (buf->len)
		fwrite(buf->data, 1, buf->len, cli->out);
	sl_buf_reset(buf);
}

void sl_cli_human_bytes(int64_t n, char *out, size_t cap)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
	double v = (double)n;
	int u = 0;
	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, cap, "%lld B", (long long)n);
	else
		snprintf(out, cap, "%.1f %s", v, units[u]);
}

void sl_cli_json_str(struct sl_buf *b, const char *s)
{
	sl_buf_json_str(b, s, strlen(s));
}

void sl_cli_json_time(struct sl_buf *b, int64_t ms)
{
	char when[40];
	if (ms <= 0) {
		sl_buf_puts(b, "null");
		return;
	}
	sl_fmt_time(ms, when, sizeof(when));
	sl_buf_printf(b, "\"%s\"", when);
}

const char *sl_cli_text_time(int64_t ms, char *buf, size_t cap)
{
	if (ms <= 0)
		snprintf(buf, cap, "-");
	else
		sl_fmt_time(ms, buf, cap);
	return buf;
}

int sl_cli_parse_count(struct sl_cli *cli, const char *opt, const char *text, long long max,
		       long long *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(text, &end, 10);
	if (errno || end == text || *end || v < 0 || v > max)
		return sl_cli_usage_error(cli, "%s: '%s' is not a number from 0 to %lld", opt, text,
					  max);
	*out = v;
	return 0;
}

int sl_cli_main(int argc, char **argv)
{
	struct sl_cli cli = {.out = stdout};
	int i = 1;
	/* global options before the command */
	while (i < argc && argv[i][0] == '-') {
		const char *a = argv[i];
		if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
			printf("sluice %s\n", SLUICE_VERSION);
			return SL_EXIT_OK;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			print_main_usage(stdout);
			return SL_EXIT_OK;
		} else if (strcmp(a, "--lake") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "sluice: option '--lake' needs a value\n");
				return SL_EXIT_USAGE;
			}
			cli.lake_flag = argv[++i];
		} else if (strncmp(a, "--lake=", 7) == 0) {
			cli.lake_flag = a + 7;
		} else {
			fprintf(stderr, "sluice: unknown option '%s' (see 'sluice --help')\n", a);
			return SL_EXIT_USAGE;
		}
		i++;
	}
	if (i >= argc) {
		print_main_usage(stderr);
		return SL_EXIT_USAGE;
	}
	const struct sl_cmd *cmd = find_cmd(argv[i]);
	if (!cmd) {
		fprintf(stderr, "sluice: unknown command '%s' (see 'sluice help')\n", argv[i]);
		return SL_EXIT_USAGE;
	}
	cli.cmd = cmd;
	optind = 1;
	int rc = cmd->run(&cli, argc - i, argv + i);
	if (fflush(stdout) != 0 && rc == SL_EXIT_OK) {
		fprintf(stderr, "sluice: writing output: %s\n", strerror(errno));
		rc = SL_EXIT_FAIL;
	}
	return rc;
}

/* ---- help, version ------------------------------------------------------------------ */

static int run_help(struct sl_cli *cli, int argc, char **argv)
{
	int c;
	static const struct option lo[] = {SL_CLI_COMMON_OPTS, {0}};
	while ((c = sl_cli_getopt(cli, argc, argv, "", lo)) != -1)
		return c == 'h' ? SL_EXIT_OK : SL_EXIT_USAGE;
	if (optind >= argc) {
		print_main_usage(cli->out);
		return SL_EXIT_OK;
	}
	const struct sl_cmd *cmd = find_cmd(argv[optind]);
	if (!cmd)
		return sl_cli_usage_error(cli, "unknown command '%s'", argv[optind]);
	fputs(cmd->usage, cli->out);
	return SL_EXIT_OK;
}

const struct sl_cmd sl_cmd_help = {
	"help", "show help for sluice or one command",
	"usage: sluice help [COMMAND]\n\nShows the list of commands, or the help of COMMAND.\n",
	run_help,
};

static int run_version(struct sl_cli *cli, int argc, char **argv)
{
	int c;
	static const struct option lo[] = {SL_CLI_COMMON_OPTS, {0}};
	while ((c = sl_cli_getopt(cli, argc, argv, "", lo)) != -1)
		return c == 'h' ? SL_EXIT_OK : SL_EXIT_USAGE;
	fprintf(cli->out, "sluice %s\n", SLUICE_VERSION);
	return SL_EXIT_OK;
}

const struct sl_cmd sl_cmd_version = {
	"version", "print the version",
	"usage: sluice version\n       sluice --version\n", run_version,
};
