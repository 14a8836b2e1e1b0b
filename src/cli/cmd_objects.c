/* cmd_objects.c - init, put, ls, cat, rm: the object-store commands. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "util/clock.h"

/* ---- init --------------------------------------------------------------------------- */

static int run_init(struct sl_cli *cli, int argc, char **argv)
{
	static const struct option lo[] = {SL_CLI_COMMON_OPTS, {0}};
	int c;
	while ((c = sl_cli_getopt(cli, argc, argv, "", lo)) != -1)
		return c == 'h' ? SL_EXIT_OK : SL_EXIT_USAGE;
	if (argc - optind > 1)
		return sl_cli_usage_error(cli, "expected at most one directory");
	char *dir = optind < argc ? strdup(argv[optind]) : sl_lake_locate(cli->lake_flag);
	struct sl_err err = {0};
	int rc = dir ? sl_lake_init(dir, &err) : sl_err_set(&err, SL_ENOMEM, "out of memory");
	if (rc == 0)
		fprintf(cli->out, "initialised sluice lake in %s\n", dir);
	free(dir);
	return rc ? sl_cli_fail(cli, &err) : SL_EXIT_OK;
}

const struct sl_cmd sl_cmd_init = {
	"init", "create a lake (zones, metadata store, sluice.yaml)",
	"usage: sluice init [DIR]\n"
	"\n"
	"Creates a lake in DIR (default: --lake, $SLUICE_LAKE, or the current directory):\n"
	"the zones landing/, raw/, deadletter/, curated/, the metadata store in .sluice/,\n"
	"and a commented sluice.yaml (an existing valid sluice.yaml is kept).\n"
	"Fails if DIR already holds a lake.\n",
	run_init,
};

/* ---- shared output ------------------------------------------------------------------ */

static int object_json(struct sl_buf *b, const struct sl_object *o)
{
	char when[40];
	sl_fmt_time(o->created_ms, when, sizeof(when));
	int rc = sl_buf_printf(b, "{\"zone\":\"%s\",\"key\":", o->zone);
	rc = rc ? rc : sl_buf_json_str(b, o->key, strlen(o->key));
	rc = rc ? rc : sl_buf_printf(b, ",\"seq\":%lld,\"size\":%lld,\"checksum\":\"%s\","
					 "\"content_type\":",
				     (long long)o->seq, (long long)o->size, o->checksum);
	rc = rc ? rc : sl_buf_json_str(b, o->content_type, strlen(o->content_type));
	rc = rc ? rc : sl_buf_printf(b, ",\"created\":\"%s\",\"state\":\"%s\"}", when, o->state);
	return rc;
}

/* ---- put ---------------------------------------------------------------------------- */

/* Puts one file (or standard input) under key; prints its line. Returns 0 or 1 (failed). */
static int put_one(struct sl_cli *cli, struct sl_lake *lake, const char *zone, const char *file,
		   const char *key, const char *ctype, bool json, struct sl_buf *out)
{
	struct sl_err err = {0};
	struct sl_object obj;
	int fd = strcmp(file, "-") == 0 ? STDIN_FILENO : open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		sl_err_errno(&err, errno, "%s", file);
		sl_cli_fail(cli, &err);
		return 1;
	}
	int rc = sl_store_put_fd(&lake->store, zone, key, fd, ctype, &obj, &err);
	if (fd != STDIN_FILENO)
		close(fd);
	if (rc) {
		sl_err_prefix(&err, "put %s", file);
		sl_cli_fail(cli, &err);
		return 1;
	}
	if (json)
		object_json(out, &obj), sl_buf_puts(out, "\n");
	else
		sl_buf_printf(out, "put %s/%s seq=%lld size=%lld %s\n", obj.zone, obj.key,
			      (long long)obj.seq, (long long)obj.size, obj.checksum);
	/* One line per object as soon as it is durable, so a caller knows exactly which
	 * puts of a batch succeeded even if this process dies. */
	sl_cli_flush(cli, out);
	fflush(cli->out);
	return 0;
}

/* --recursive: the regular files below a directory, as paths relative to it, sorted (so
 * that keys, and their landing order, do not depend on the file system's order).
 * Symbolic links are not followed. */
static struct {
	char **v;
	size_t n, cap;
	size_t root_len;
	bool nomem;
} walk;

static int walk_add(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	if (type != FTW_F)
		return 0;
	if (walk.n == walk.cap) {
		size_t cap = walk.cap ? 2 * walk.cap : 256;
		char **v = realloc(walk.v, cap * sizeof(*v));
		if (!v) {
			walk.nomem = true;
			return 1;
		}
		walk.v = v;
		walk.cap = cap;
	}
	if (!(walk.v[walk.n] = strdup(path))) {
		walk.nomem = true;
		return 1;
	}
	walk.n++;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int put_tree(struct sl_cli *cli, struct sl_lake *lake, const char *zone, const char *dir,
		    const char *prefix, const char *ctype, bool json, struct sl_buf *out)
{
	struct sl_err err = {0};
	int failed = 0;

	memset(&walk, 0, sizeof(walk));
	walk.root_len = strlen(dir);
	while (walk.root_len > 1 && dir[walk.root_len - 1] == '/')
		walk.root_len--;
	if (nftw(dir, walk_add, 32, FTW_PHYS) != 0) {
		if (walk.nomem)
			sl_err_set(&err, SL_ENOMEM, "put %s: out of memory listing its files", dir);
		else
			sl_err_errno(&err, errno, "put %s", dir);
		sl_cli_fail(cli, &err);
		failed = 1;
	} else {
		qsort(walk.v, walk.n, sizeof(*walk.v), cmp_str);
		for (size_t i = 0; i < walk.n; i++) {
			char key[SL_KEY_MAX + 2];
			snprintf(key, sizeof(key), "%s%s", prefix, walk.v[i] + walk.root_len + 1);
			failed += put_one(cli, lake, zone, walk.v[i], key, ctype, json, out);
		}
	}
	for (size_t i = 0; i < walk.n; i++)
		free(walk.v[i]);
	free(walk.v);
	memset(&walk, 0, sizeof(walk));
	return failed;
}

static int run_put(struct sl_cli *cli, int argc, char **argv)
{
	static const struct option lo[] = {
		SL_CLI_COMMON_OPTS,
		{"zone", required_argument, NULL, 'z'},
		{"key", required_argument, NULL, 'k'},
		{"prefix", required_argument, NULL, 'p'},
		{"content-type", required_argument, NULL, 't'},
		{"recursive", no_argument, NULL, 'r'},
		{"json", no_argument, NULL, 'j'},
		{0},
	};
	const char *zone = "landing", *key = NULL, *prefix = "", *ctype = NULL;
	bool json = false, recursive = false;
	int c;
	while ((c = sl_cli_getopt(cli, argc, argv, "z:k:p:t:r", lo)) != -1) {
		switch (c) {
		case 'h': return SL_EXIT_OK;
		case 'z': zone = optarg; break;
		case 'k': key = optarg; break;
		case 'p': prefix = optarg; break;
		case 't': ctype = optarg; break;
		case 'r': recursive = true; break;
		case 'j': json = true; break;
		default: return SL_EXIT_USAGE;
		}
	}
	int nfiles = argc - optind;
	if (nfiles == 0)
		return sl_cli_usage_error(cli, "no file given (use '-' for standard input)");
	if (key && (nfiles > 1 || recursive))
		return sl_cli_usage_error(cli, "--key names one object; with several files use "
					       "--prefix");
	if (sl_zone_from_name(zone) < 0)
		return sl_cli_usage_error(cli, "unknown zone '%s' (landing, raw, deadletter, "
					       "curated)", zone);
	for (int i = optind; i < argc; i++)
		if (strcmp(argv[i], "-") == 0 && !key)
			return sl_cli_usage_error(cli, "standard input needs --key");

	struct sl_lake *lake;
	int rc = sl_cli_open_lake(cli, &lake);
	if (rc)
		return rc;
	struct sl_buf out;
	sl_buf_init(&out, 0);
	int failed = 0;
	for (int i = optind; i < argc; i++) {
		const char *file = argv[i];
		struct stat sb;
		char keybuf[SL_KEY_MAX + 2], *tmp;

		if (recursive && strcmp(file, "-") != 0 && stat(file, &sb) == 0 &&
		    S_ISDIR(sb.st_mode)) {
			failed += put_tree(cli, lake, zone, file, prefix, ctype, json, &out);
			continue;
		}
		if (!key) {
			tmp = strdup(file);
			snprintf(keybuf, sizeof(keybuf), "%s%s", prefix, tmp ? basename(tmp) : file);
			free(tmp);
		}
		failed += put_one(cli, lake, zone, file, key ? key : keybuf, ctype, json, &out);
	}
	sl_buf_release(&out);
	sl_lake_close(lake);
	return failed ? SL_EXIT_FAIL : SL_EXIT_OK;
}

const struct sl_cmd sl_cmd_put = {
	"put", "store files as objects in a zone",
	"usage: sluice put FILE... [--zone ZONE] [--key KEY | --prefix PREFIX]\n"
	"                  [--recursive] [--content-type TYPE] [--json]\n"
	"\n"
	"Stores each FILE ('-' = standard input, needs --key) as an object in ZONE\n"
	"(default: landing). The key is --key, else PREFIX + the file's base name.\n"
	"With --recursive, a FILE that is a directory puts every regular file below it\n"
	"(symbolic links are not followed), in name order, under PREFIX + its path\n"
	"relative to the directory: `put -r days --zone raw --prefix clicks/` puts\n"
	"days/dt=2026-11-25/a.ndjson as raw/clicks/dt=2026-11-25/a.ndjson.\n"
	"A put is atomic and durable, and sends one object-created event on the zone's\n"
	"queue. Prints one line per object as it is committed:\n"
	"  put ZONE/KEY seq=N size=BYTES sha256:HEX\n"
	"Keys: 1 to 1024 bytes of UTF-8; no leading or trailing '/', no empty, '.' or\n"
	"'..' segment, no control characters.\n",
	run_put,
};

/* ---- ls ----------------------------------------------------------------------------- */

struct ls_ctx {
	struct sl_cli *cli;
	struct sl_buf out;
	bool json;
	int64_t n;
};

static int ls_one(void *ctx, const struct sl_object *o)
{
	struct ls_ctx *l = ctx;
	if (l->json) {
		sl_buf_puts(&l->out, l->n ? ",\n" : "\n");
		object_json(&l->out, o);
	} else {
		char when[40];
		bool flagged = strcmp(o->state, SL_STATE_PRESENT) != 0;
		sl_fmt_time(o->created_ms, when, sizeof(when));
		sl_buf_printf(&l->out, "%s %12lld %8lld %s%s%s%s\n", when, (long long)o->size,
			      (long long)o->seq, o->key, flagged ? " [" : "",
			      flagged ? o->state : "", flagged ? "]" : "");
	}
	l->n++;
	if (l->out.len > 65536)
		sl_cli_flush(l->cli, &l->out);
	return 0;
}

static int run_ls(struct sl_cli *cli, int argc, char **argv)
{
	static const struct option lo[] = {SL_CLI_COMMON_OPTS, {"json", no_argument, NULL, 'j'},
					   {0}};
	struct ls_ctx l = {.cli = cli};
	int c;
	while ((c = sl_cli_getopt(cli, argc, argv, "", lo)) != -1) {
		switch (c) {
		case 'h': return SL_EXIT_OK;
		case 'j': l.json = true; break;
		default: return SL_EXIT_USAGE;
		}
	}
	if (argc - optind > 1)
		return sl_cli_usage_error(cli, "expected at most one ZONE[/PREFIX]");
	char zone[SL_ZONE_MAX];
	const char *prefix = "";
	struct sl_err err = {0};
	if (optind < argc &&
	    sl_zone_key_split(argv[optind], zone, sizeof(zone), &prefix, false, &err) != 0)
		return sl_cli_usage_error(cli, "%s", err.msg);

	struct sl_lake *lake;
	int rc = sl_cli_open_lake(cli, &lake);
	if (rc)
		return rc;
	sl_buf_init(&l.out, 0);
	if (optind >= argc) {
		/* no zone: a summary line per zone */
		if (l.json)
			sl_buf_puts(&l.out, "[");
		for (int z = 0; z < SL_ZONE_COUNT && rc == 0; z++) {
			struct sl_zone_stats zs;
			rc = lake->meta.ops->zone_stats(lake->meta.state, sl_zone_names[z], &zs, &err);
			if (rc)
				break;
			if (l.json)
				sl_buf_printf(&l.out, "%s\n{\"zone\":\"%s\",\"objects\":%lld,\"bytes\":%lld}",
					      z ? "," : "", sl_zone_names[z], (long long)zs.objects,
					      (long long)zs.bytes);
			else
				sl_buf_printf(&l.out, "%-10s %8lld objects %14lld bytes\n",
					      sl_zone_names[z], (long long)zs.objects,
					      (long long)zs.bytes);
		}
		if (l.json)
			sl_buf_puts(&l.out, "\n]\n");
	} else {
		if (l.json)
			sl_buf_puts(&l.out, "[");
		rc = lake->meta.ops->object_list(lake->meta.state, zone, prefix, ls_one, &l, &err);
		if (l.json)
			sl_buf_puts(&l.out, "\n]\n");
	}
	sl_cli_flush(cli, &l.out);
	sl_buf_release(&l.out);
	sl_lake_close(lake);
	return rc ? sl_cli_fail(cli, &err) : SL_EXIT_OK;
}

const struct sl_cmd sl_cmd_ls = {
	"ls", "list zones, or the objects of a zone",
	"usage: sluice ls [ZONE[/PREFIX]] [--json]\n"
	"\n"
	"Without an argument, lists the zones with their object counts and bytes.\n"
	"With ZONE, lists its objects in key order (PREFIX filters by key prefix):\n"
	"  CREATED  SIZE  SEQ  KEY [STATE]\n"
	"--json prints a JSON array of objects (zone, key, seq, size, checksum,\n"
	"content_type, created, state).\n",
	run_ls,
};

/* ---- cat, rm ------------------------------------------------------------------------ */

static int run_cat(struct sl_cli *cli, int argc, char **argv)
{
	static const struct option lo[] = {SL_CLI_COMMON_OPTS, {0}};
	int c;
	while ((c = sl_cli_getopt(cli, argc, argv, "", lo)) != -1)
		return c == 'h' ? SL_EXIT_OK : SL_EXIT_USAGE;
	if (argc - optind != 1)
		return sl_cli_usage_error(cli, "expected one ZONE/KEY");
	char zone[SL_ZONE_MAX];
	const char *key;
	struct sl_err err = {0};
	if (sl_zone_key_split(argv[optind], zone, sizeof(zone), &key, true, &err) != 0)
		return sl_cli_fail(cli, &err);
	struct sl_lake *lake;
	int rc = sl_cli_open_lake(cli, &lake);
	if (rc)
		return rc;
	fflush(cli->out);
	rc = sl_store_get_fd(&lake->store, zone, key, fileno(cli->out), &err);
	sl_lake_close(lake);
	return rc ? sl_cli_fail(cli, &err) : SL_EXIT_OK;
}

const struct sl_cmd sl_cmd_cat = {
	"cat", "write an object to standard output",
	"usage: sluice cat ZONE/KEY\n"
	"\n"
	"Streams the object to standard output and checks its size and checksum against\n"
	"the index on the way; a mismatch is reported (exit 2) after the bytes.\n",
	run_cat,
};

static int run_rm(struct sl_cli *cli, int argc, char **argv)
{
	static const struct option lo[] = {SL_CLI_COMMON_OPTS, {0}};
	int c;
	while ((c = sl_cli_getopt(cli, argc, argv, "", lo)) != -1)
		return c == 'h' ? SL_EXIT_OK : SL_EXIT_USAGE;
	if (argc - optind < 1)
		return sl_cli_usage_error(cli, "expected ZONE/KEY...");
	struct sl_lake *lake;
	int rc = sl_cli_open_lake(cli, &lake), failed = 0;
	if (rc)
		return rc;
	for (int i = optind; i < argc; i++) {
		char zone[SL_ZONE_MAX];
		const char *key;
		struct sl_err err = {0};
		if (sl_zone_key_split(argv[i], zone, sizeof(zone), &key, true, &err) != 0 ||
		    sl_store_remove(&lake->store, zone, key, &err) != 0) {
			sl_cli_fail(cli, &err);
			failed++;
			continue;
		}
		fprintf(cli->out, "removed %s/%s\n", zone, key);
	}
	sl_lake_close(lake);
	return failed ? SL_EXIT_FAIL : SL_EXIT_OK;
}

const struct sl_cmd sl_cmd_rm = {
	"rm", "remove objects",
	"usage: sluice rm ZONE/KEY...\n"
	"\n"
	"Removes each object (file and index row). A removal interrupted by a crash is\n"
	"finished by 'sluice fsck --repair'; it never comes back.\n",
	run_rm,
};
