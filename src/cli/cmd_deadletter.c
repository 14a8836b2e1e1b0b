/* cmd_deadletter.c - `sluice deadletter`: list, show, replay and purge dead letters. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "util/clock.h"
#include "validate/validate.h"

#define SHOW_TEXT_MAX 2000 /* bytes of an offending record printed by show */

/* ---- ls ------------------------------------------------------------------------------ */

struct dl_walk {
	struct sl_cli *cli;
	struct sl_lake *lake;
	const char *subject; /* filter, NULL = all */
	int64_t older_than;  /* created before this (ms since the epoch), 0 = any */
	bool json;
	int n, failed;
	struct sl_buf out;
	enum { W_LS, W_REPLAY, W_PURGE } what;
};

static int dl_one(void *ctx, const struct sl_object *obj)
{
	struct dl_walk *w = ctx;
	struct sl_meta *m = &w->lake->meta;
	struct sl_deadletter dl;
	bool have = m->ops->deadletter_get(m->state, obj->key, false, &dl, NULL) == 0;
	if (w->subject && (!have || strcmp(dl.subject, w->subject) != 0))
		return 0;
	if (w->older_than && obj->created_ms >= w->older_than)
		return 0;
	if (w->what != W_LS) {
		struct sl_err err = {0};
		char key[SL_KEY_MAX + 1];
		int rc = w->what == W_REPLAY
				 ? sl_deadletter_replay(w->lake, obj->key, key, sizeof(key), &err)
				 : sl_deadletter_purge(w->lake, obj->key, &err);
		if (rc) {
			sl_cli_fail(w->cli, &err);
			w->failed++;
		} else if (w->what == W_REPLAY) {
			fprintf(w->cli->out, "replayed deadletter/%s -> landing/%s\n", obj->key, key);
		} else {
			fprintf(w->cli->out, "purged deadletter/%s\n", obj->key);
		}
		w->n++;
		return 0;
	}
	char when[40];
	sl_fmt_time(obj->created_ms, when, sizeof(when));
	if (w->json) {
		sl_buf_printf(&w->out, "%s\n{\"key\":", w->n ? "," : "");
		sl_buf_json_str(&w->out, obj->key, strlen(obj->key));
		sl_buf_printf(&w->out, ",\"seq\":%" PRId64 ",\"size\":%" PRId64 ",\"created\":\"%s\"",
			      obj->seq, obj->size, when);
		if (have) {
			sl_buf_puts(&w->out, ",\"subject\":");
			if (dl.subject[0])
				sl_buf_json_str(&w->out, dl.subject, strlen(dl.subject));
			else
				sl_buf_puts(&w->out, "null");
			sl_buf_printf(&w->out,
				      ",\"schema_version\":%" PRId64 ",\"outcome\":\"%s\","
				      "\"records\":%" PRId64 ",\"bad_records\":%" PRId64
				      ",\"landing_key\":",
				      dl.schema_version, dl.outcome, dl.records, dl.bad_records);
			sl_buf_json_str(&w->out, dl.landing_key, strlen(dl.landing_key));
			sl_buf_puts(&w->out, ",\"reason\":");
			sl_buf_json_str(&w->out, dl.reason, strlen(dl.reason));
		}
		sl_buf_puts(&w->out, "}");
	} else {
		char subj[SL_SUBJECT_NAME_MAX + 24] = "-", counts[48] = "-";
		if (have && dl.subject[0])
			snprintf(subj, sizeof(subj), "%s%s%" PRId64, dl.subject,
				 dl.schema_version ? " v" : "", dl.schema_version);
		if (have && dl.schema_version == 0 && dl.subject[0])
			snprintf(subj, sizeof(subj), "%s", dl.subject);
		if (have && dl.records >= 0)
			snprintf(counts, sizeof(counts), "%" PRId64 "/%" PRId64, dl.bad_records,
				 dl.records);
		sl_buf_printf(&w->out, "%s %-20s %-12s %9s %s  %s\n", when, subj,
			      have ? dl.outcome : "(no report)", counts, obj->key,
			      have ? dl.reason : "");
	}
	w->n++;
	if (w->out.len > 65536)
		sl_cli_flush(w->cli, &w->out);
	return 0;
}

/* ---- show ---------------------------------------------------------------------------- */

static const struct sl_json_node *get(const struct sl_json_node *o, const char *k, int type)
{
	const struct sl_json_node *n = o && o->type == SL_JSON_OBJECT ? sl_json_get(o, k) : NULL;
	return n && (type == 0 || (int)n->type == type) ? n : NULL;
}

static const char *get_str(const struct sl_json_node *o, const char *k)
{
	const struct sl_json_node *n = get(o, k, SL_JSON_STRING);
	return n ? n->u.str.s : NULL;
}

static int64_t get_int(const struct sl_json_node *o, const char *k, int64_t dflt)
{
	const struct sl_json_node *n = get(o, k, SL_JSON_INT);
	return n ? n->u.i : dflt;
}

static enum sl_json_framing framing_of(const char *name)
{
	if (name && strcmp(name, "ndjson") == 0)
		return SL_JSON_FRAME_NDJSON;
	if (name && strcmp(name, "array") == 0)
		return SL_JSON_FRAME_ARRAY;
	if (name && strcmp(name, "document") == 0)
		return SL_JSON_FRAME_DOCUMENT;
	return SL_JSON_FRAME_AUTO;
}

/* Prints one described bad record: where it is, each reason, and its bytes. */
static void show_record(FILE *f, const struct sl_json_node *e, const char *text, size_t len,
			bool held)
{
	fprintf(f, "\nrecord %" PRId64 " (line %" PRId64 ", byte %" PRId64 "):\n",
		get_int(e, "index", -1), get_int(e, "line", 0), get_int(e, "offset", 0));
	const struct sl_json_node *errs = get(e, "errors", SL_JSON_ARRAY);
	for (size_t i = 0; errs && i < errs->u.c.n; i++) {
		const struct sl_json_node *r = errs->u.c.items[i];
		const char *ptr = get_str(r, "pointer"), *kw = get_str(r, "keyword");
		const char *msg = get_str(r, "message"), *sp = get_str(r, "schema_path");
		fprintf(f, "  %s: %s (%s%s%s)\n", ptr && *ptr ? ptr : "(the record)", msg ? msg : "",
			kw ? kw : "?", sp && *sp ? " at " : "", sp && *sp ? sp : "");
	}
	if (get(e, "more_errors", SL_JSON_TRUE))
		fprintf(f, "  (more reasons not kept: validate.report.max_errors_per_record)\n");
	if (!held) {
		fprintf(f, "  > (its bytes are not held: over validate.limits.max_record)\n");
		return;
	}
	struct sl_buf b;
	sl_buf_init(&b, 0);
	size_t n = len > SHOW_TEXT_MAX ? SHOW_TEXT_MAX : len;
	/* escaped as a JSON string so that control bytes and invalid UTF-8 stay visible
	 * and harmless on a terminal */
	sl_buf_json_str(&b, text, n);
	fprintf(f, "  > %s%s\n", b.data ? b.data : "\"\"",
		n < len ? " ... (cut)" : "");
	sl_buf_release(&b);
}

static int show(struct sl_cli *cli, struct sl_lake *lake, const char *key, bool json)
{
	struct sl_meta *m = &lake->meta;
	struct sl_deadletter dl;
	struct sl_object obj;
	struct sl_err err = {0};
	int rc = m->ops->deadletter_get(m->state, key, true, &dl, &err);
	bool have_obj = m->ops->object_get(m->state, "deadletter", key, &obj, NULL) == 0;
	if (rc == SL_ENOENT && !have_obj) {
		fprintf(stderr, "sluice: deadletter/%s: no such dead letter\n", key);
		return SL_EXIT_FAIL;
	}
	if (rc == SL_ENOENT) {
		fprintf(cli->out, "deadletter/%s: no report (not written by the validator)\n", key);
		return SL_EXIT_OK;
	}
	if (rc)
		return sl_cli_fail(cli, &err);
	if (json) {
		fprintf(cli->out, "%s\n", dl.report);
		sl_deadletter_release(&dl);
		return SL_EXIT_OK;
	}
	FILE *f = cli->out;
	char when[40];
	sl_fmt_time(dl.created_ms, when, sizeof(when));
	struct sl_json_limits lim;
	struct sl_json_error je;
	sl_json_limits_default(&lim);
	lim.max_record = strlen(dl.report) + 1;
	struct sl_json_node *rep = sl_json_tree_parse(dl.report, strlen(dl.report), &lim, &je);
	fprintf(f, "dead letter  deadletter/%s%s\n", key, have_obj ? "" : " (object gone)");
	fprintf(f, "from         landing/%s (seq %" PRId64 ")\n", dl.landing_key, dl.landing_seq);
	if (dl.subject[0] && dl.schema_version)
		fprintf(f, "subject      %s, schema version %" PRId64 "\n", dl.subject,
			dl.schema_version);
	else
		fprintf(f, "subject      %s\n", dl.subject[0] ? dl.subject : "(none)");
	fprintf(f, "outcome      %s: %s\n", dl.outcome, dl.reason);
	fprintf(f, "written      %s\n", when);
	const struct sl_json_node *raw = get(rep, "raw", SL_JSON_OBJECT);
	if (raw)
		fprintf(f, "valid part   raw/%s (%" PRId64 " records)\n", get_str(raw, "key"),
			get_int(raw, "records", 0));
	const struct sl_json_node *lin = get(rep, "lineage", SL_JSON_OBJECT);
	if (lin)
		fprintf(f, "replayed     from deadletter/%s (dead letter seq %" PRId64
			   ") at %s; it had failed %s v%" PRId64 ": %s\n",
			get_str(lin, "replayed_from"), get_int(lin, "replay_id", 0),
			get_str(lin, "replayed_at"), get_str(lin, "failed_subject"),
			get_int(lin, "failed_schema_version", 0), get_str(lin, "failed_reason"));
	const struct sl_json_node *errs = get(rep, "errors", SL_JSON_ARRAY);
	const struct sl_json_node *dlo = get(rep, "dead_letter", SL_JSON_OBJECT);
	const char *holds = get_str(dlo, "holds");
	bool whole = !holds || strcmp(holds, "the whole object") == 0;
	size_t n_err = errs ? errs->u.c.n : 0;
	if (n_err && have_obj) {
		/* walk the dead letter's records beside the report's entries: a split dead
		 * letter holds exactly the bad records, in order; a whole one is the source */
		int fd;
		struct sl_object row;
		struct sl_json_reader *r = NULL;
		const struct sl_json_node *src = get(rep, "source", SL_JSON_OBJECT);
		rc = sl_store_open_fd(&lake->store, "deadletter", key, &fd, &row, &err);
		if (rc == 0) {
			const struct sl_validate_conf *vc = &lake->cfg.validate;
			struct sl_json_limits rl;
			sl_json_limits_default(&rl);
			rl.max_depth = (uint32_t)vc->max_depth;
			rl.max_record = (size_t)vc->max_record;
			rl.max_string = (size_t)vc->max_string;
			rc = sl_json_reader_open(fd, key, framing_of(get_str(src, "framing")), &rl, &r,
						 &err);
			size_t next = 0;
			for (int64_t j = 0; rc == 0 && next < n_err; j++) {
				struct sl_json_doc doc;
				const char *text;
				size_t len;
				int got = sl_json_reader_next(r, &doc, &je);
				if (got == 0 || (got < 0 && je.fatal))
					break;
				const struct sl_json_node *e = errs->u.c.items[next];
				if (whole && get_int(e, "index", -1) != j)
					continue;
				bool held = sl_json_reader_record_text(r, &text, &len, NULL);
				show_record(f, e, text, len, held);
				next++;
			}
			for (; next < n_err; next++)
				show_record(f, errs->u.c.items[next], NULL, 0, false);
			sl_json_reader_close(r);
			close(fd);
		}
		rc = 0;
	} else {
		for (size_t i = 0; i < n_err; i++)
			show_record(f, errs->u.c.items[i], NULL, 0, false);
	}
	if (get(rep, "errors_truncated", SL_JSON_TRUE))
		fprintf(f, "\n... %" PRId64 " more bad records not described "
			   "(validate.report.max_records)\n",
			get_int(rep, "invalid_records", 0) - (int64_t)n_err);
	sl_json_tree_free(rep);
	sl_deadletter_release(&dl);
	return SL_EXIT_OK;
}

/* ---- the command ------------------------------------------------------------------------ */

static int parse_age(struct sl_cli *cli, const char *text, int64_t *ms)
{
	static const struct {
		const char *unit;
		int64_t mult;
	} units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000}};
	char *end;
	long long v = strtoll(text, &end, 10);
	for (size_t i = 0; end != text && v >= 0 && i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit) == 0 && v <= INT64_MAX / units[i].mult) {
			*ms = v * units[i].mult;
			return 0;
		}
	}
	return sl_cli_usage_error(cli, "--older-than: '%s' is not a duration such as 30m, 12h, 7d",
				  text);
}

static int run_deadletter(struct sl_cli *cli, int argc, char **argv)
{
	static const struct option lo[] = {
		SL_CLI_COMMON_OPTS,
		{"subject", required_argument, NULL, 's'},
		{"all", no_argument, NULL, 'a'},
		{"older-than", required_argument, NULL, 'o'},
		{"json", no_argument, NULL, 'j'},
		{0},
	};
	struct dl_walk w = {.cli = cli};
	bool all = false;
	int64_t age = -1;
	int c;
	while ((c = sl_cli_getopt(cli, argc, argv, "", lo)) != -1) {
		switch (c) {
		case 'h': return SL_EXIT_OK;
		case 's': w.subject = optarg; break;
		case 'a': all = true; break;
		case 'j': w.json = true; break;
		case 'o':
			if (parse_age(cli, optarg, &age))
				return SL_EXIT_USAGE;
			break;
		default: return SL_EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return sl_cli_usage_error(cli, "expected ls, show, replay or purge");
	const char *sub = argv[optind++];
	int n_keys = argc - optind;
	char **keys = argv + optind;
	if (strcmp(sub, "ls") == 0) {
		if (n_keys || all || age >= 0)
			return sl_cli_usage_error(cli, "ls takes only --subject and --json");
		w.what = W_LS;
	} else if (strcmp(sub, "show") == 0) {
		if (n_keys != 1 || w.subject || all || age >= 0)
			return sl_cli_usage_error(cli, "show takes one KEY (and --json)");
	} else if (strcmp(sub, "replay") == 0) {
		if ((n_keys > 0) + (w.subject != NULL) + all != 1 || age >= 0 || w.json)
			return sl_cli_usage_error(cli, "replay takes KEY..., --subject S or --all");
		w.what = W_REPLAY;
	} else if (strcmp(sub, "purge") == 0) {
		if ((n_keys > 0) == (age >= 0) || all || w.json || (n_keys && w.subject))
			return sl_cli_usage_error(
				cli, "purge takes KEY... or --older-than DURATION [--subject S]");
		w.what = W_PURGE;
	} else {
		return sl_cli_usage_error(cli, "unknown subcommand '%s'", sub);
	}
	struct sl_lake *lake;
	int rc = sl_cli_open_lake(cli, &lake);
	if (rc)
		return rc;
	w.lake = lake;
	struct sl_err err = {0};
	if (strcmp(sub, "show") == 0) {
		rc = show(cli, lake, keys[0], w.json);
		sl_lake_close(lake);
		return rc;
	}
	if (age >= 0)
		w.older_than = sl_now_ms() - age;
	sl_buf_init(&w.out, 0);
	if (w.what == W_LS && w.json)
		sl_buf_puts(&w.out, "[");
	if (n_keys) {
		for (int i = 0; i < n_keys; i++) {
			char key[SL_KEY_MAX + 1];
			int r = w.what == W_REPLAY
					? sl_deadletter_replay(lake, keys[i], key, sizeof(key), &err)
					: sl_deadletter_purge(lake, keys[i], &err);
			if (r) {
				sl_cli_fail(cli, &err);
				w.failed++;
			} else if (w.what == W_REPLAY) {
				fprintf(cli->out, "replayed deadletter/%s -> landing/%s\n", keys[i], key);
			} else {
				fprintf(cli->out, "purged deadletter/%s\n", keys[i]);
			}
		}
	} else {
		rc = lake->meta.ops->object_list(lake->meta.state, "deadletter", NULL, dl_one, &w,
						 &err);
	}
	if (w.what == W_LS && w.json)
		sl_buf_puts(&w.out, w.n ? "\n]\n" : "]\n");
	if (rc == 0 && w.what == W_LS)
		sl_cli_flush(cli, &w.out);
	sl_buf_release(&w.out);
	sl_lake_close(lake);
	if (rc)
		return sl_cli_fail(cli, &err);
	return w.failed ? SL_EXIT_FAIL : SL_EXIT_OK;
}

const struct sl_cmd sl_cmd_deadletter = {
	"deadletter", "list, show, replay and purge dead letters",
	"usage: sluice deadletter ls [--subject S] [--json]\n"
	"       sluice deadletter show KEY [--json]\n"
	"       sluice deadletter replay KEY... | --subject S | --all\n"
	"       sluice deadletter purge KEY... | --older-than DURATION [--subject S]\n"
	"\n"
	"Dead letters are what the validator could not pass to raw: invalid records, or\n"
	"whole objects (undecodable, quarantined, no schema), each with a report.\n"
	"  ls      one line per dead letter: written, subject and version, outcome,\n"
	"          bad/records, key, reason\n"
	"  show    the report: where it came from, why, and each bad record with its\n"
	"          reasons and its bytes (--json: the report as stored)\n"
	"  replay  puts the dead letter back into landing as KEY with .replay-N in its\n"
	"          name (N: the dead letter's sequence number), with its lineage, and\n"
	"          removes it; the validator then checks it against the current schema\n"
	"  purge   removes dead letters for good (--older-than: written before then;\n"
	"          DURATION such as 90m, 12h, 7d)\n",
	run_deadletter,
};
