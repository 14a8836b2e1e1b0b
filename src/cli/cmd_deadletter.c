/* cmd_deadletter.c - `sluice deadletter`: list, show, replay and purge dead letters:
 * the validator's (a report row each) and the ETL runs' refused records
 * (deadletter/etl/JOB/run-N.ndjson of a run the metadata store knows, read through
 * etl/jobs.h). An ETL dead letter is not replayed into landing: its lines are not the
 * source's records but {object, line, error, record} around them. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "etl/jobs.h"
#include "util/clock.h"
#include "validate/validate.h"

#define SHOW_TEXT_MAX 2000 /* bytes of an offending record printed by show */
#define LS_ETL_LINES 100   /* ls: lines of an ETL dead letter read for its reasons */
#define LS_ETL_REASONS 3   /* ... and the distinct reasons shown */

/* ---- ETL dead letters ---------------------------------------------------------------- */

/* Whether deadletter/KEY, which has no validator report, is the refused records of an ETL
 * run the metadata store knows (*run gets it). */
static bool etl_dead_letter(struct sl_lake *lake, const char *key, struct sl_etl_run *run)
{
	struct sl_meta *m = &lake->meta;
	char job[SL_JOB_MAX];
	int64_t id;
	return sl_etl_deadletter_key(key, job, sizeof(job), &id) && m->ops->etl_run_get &&
	       m->ops->etl_run_get(m->state, job, id, run, NULL) == 0;
}

/* Text that came from a file, for a terminal: control bytes as \xNN. */
static void put_text(struct sl_buf *b, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			sl_buf_printf(b, "\\x%02x", *p);
		else
			sl_buf_append(b, (const char *)p, 1);
	}
}

struct reasons {
	struct sl_etl_refused first[LS_ETL_REASONS]; /* the first line of each reason */
	int n;
};

static int reason_one(void *ctx, const struct sl_etl_refused *r)
{
	struct reasons *rs = ctx;
	if (r->problem)
		return 0;
	for (int i = 0; i < rs->n; i++)
		if (strcmp(rs->first[i].error, r->error) == 0)
			return 0;
	rs->first[rs->n] = *r;
	rs->first[rs->n].record = NULL; /* borrowed: gone after the call */
	return ++rs->n == LS_ETL_REASONS ? 1 : 0;
}

/* ls: one ETL dead letter, as a line or a JSON object in the validator's shape (subject,
 * landing_key and schema_version null; outcome "etl"; records and bad_records the run's
 * counts) with job, run, run_state and reasons added. */
static void etl_ls_one(struct sl_lake *lake, struct sl_buf *b, const struct sl_object *obj,
		       const struct sl_etl_run *run, bool json, bool first)
{
	struct reasons rs;
	struct sl_err err = {0};
	char when[40];
	memset(&rs, 0, sizeof(rs));
	int rc = sl_etl_deadletter_read(lake, obj->key, LS_ETL_LINES, reason_one, &rs, &err);
	if (rc < 0 && rs.n == 0)
		snprintf(rs.first[rs.n++].error, sizeof(rs.first[0].error), "(cannot be read: %s)",
			 err.msg);
	sl_fmt_time(obj->created_ms, when, sizeof(when));
	if (json) {
		sl_buf_printf(b, "%s\n{\"key\":", first ? "" : ",");
		sl_cli_json_str(b, obj->key);
		sl_buf_printf(b, ",\"seq\":%" PRId64 ",\"size\":%" PRId64 ",\"created\":\"%s\","
				 "\"subject\":null,\"schema_version\":null,\"outcome\":\"etl\","
				 "\"records\":%" PRId64 ",\"bad_records\":%" PRId64
				 ",\"landing_key\":null,\"reason\":",
			      obj->seq, obj->size, when, run->rows_in, run->rows_rejected);
		if (rs.n)
			sl_cli_json_str(b, rs.first[0].error);
		else
			sl_buf_puts(b, "null");
		sl_buf_puts(b, ",\"job\":");
		sl_cli_json_str(b, run->job);
		sl_buf_printf(b, ",\"run\":%" PRId64 ",\"run_state\":", run->id);
		sl_cli_json_str(b, run->state);
		sl_buf_puts(b, ",\"reasons\":[");
		for (int i = 0; i < rs.n; i++) {
			const struct sl_etl_refused *r = &rs.first[i];
			sl_buf_puts(b, i ? ",{\"object\":" : "{\"object\":");
			if (r->dl_line)
				sl_cli_json_str(b, r->object);
			else
				sl_buf_puts(b, "null");
			sl_buf_printf(b, ",\"line\":%" PRId64 ",\"error\":", r->line);
			sl_cli_json_str(b, r->error);
			sl_buf_puts(b, "}");
		}
		sl_buf_puts(b, "]}");
		return;
	}
	char subj[SL_JOB_MAX + 8], outcome[48], counts[48];
	snprintf(subj, sizeof(subj), "job %s", run->job);
	snprintf(outcome, sizeof(outcome), "etl run %" PRId64, run->id);
	snprintf(counts, sizeof(counts), "%" PRId64 "/%" PRId64, run->rows_rejected, run->rows_in);
	sl_buf_printf(b, "%s %-20s %-12s %9s ", when, subj, outcome, counts);
	put_text(b, obj->key);
	sl_buf_puts(b, "  ");
	if (strcmp(run->state, SL_RUN_COMMITTED) != 0)
		sl_buf_printf(b, "(run %s: removed by the job's next run) ", run->state);
	for (int i = 0; i < rs.n; i++) {
		const struct sl_etl_refused *r = &rs.first[i];
		sl_buf_puts(b, i ? "; " : "");
		if (r->dl_line) {
			put_text(b, r->object);
			sl_buf_printf(b, ":%" PRId64 ": ", r->line);
		}
		put_text(b, r->error);
	}
	sl_buf_puts(b, "\n");
}

/* Whether deadletter/KEY may be replayed: not an ETL dead letter (says why, on stderr). */
static bool replayable(struct sl_lake *lake, const char *key)
{
	struct sl_meta *m = &lake->meta;
	struct sl_etl_run run;
	struct sl_deadletter dl;
	if (m->ops->deadletter_get(m->state, key, false, &dl, NULL) != SL_ENOENT ||
	    !etl_dead_letter(lake, key, &run))
		return true;
	fprintf(stderr, "sluice: deadletter/%s: refused records of ETL run %s/%" PRId64 " are "
			"not replayed (their lines wrap the records; fix the data and put it into "
			"raw again, then purge)\n",
		key, run.job, run.id);
	return false;
}

/* show: an ETL dead letter, entry by entry. */
struct etl_show {
	struct sl_cli *cli;
	struct sl_buf b;
	bool json;
	int64_t n;
};

static int etl_show_one(void *ctx, const struct sl_etl_refused *r)
{
	struct etl_show *w = ctx;
	struct sl_buf *b = &w->b;
	w->n++;
	if (w->json) {
		sl_buf_puts(b, w->n > 1 ? ",\n" : "\n");
		if (r->problem) {
			sl_buf_printf(b, "{\"dl_line\":%" PRId64 ",\"problem\":", r->dl_line);
			sl_cli_json_str(b, r->problem);
		} else {
			sl_buf_puts(b, "{\"object\":");
			sl_cli_json_str(b, r->object);
			sl_buf_printf(b, ",\"line\":%" PRId64 ",\"error\":", r->line);
			sl_cli_json_str(b, r->error);
			sl_buf_puts(b, ",\"record\":");
			/* JSON already: the reader parsed it */
			sl_buf_append(b, r->record, r->record_len);
		}
		sl_buf_puts(b, "}");
	} else if (r->problem) {
		sl_buf_printf(b, "\nline %" PRId64 " of the dead letter: not a refused record: "
				 "%s\n", r->dl_line, r->problem);
	} else {
		sl_buf_printf(b, "\nrecord %" PRId64 " (", w->n);
		put_text(b, r->object);
		sl_buf_printf(b, ", line %" PRId64 "):\n  ", r->line);
		put_text(b, r->error);
		/* cut at a character's start: the text is UTF-8 (the reader checked it) */
		size_t n = r->record_len;
		if (n > SHOW_TEXT_MAX) {
			n = SHOW_TEXT_MAX;
			while (n > 0 && ((unsigned char)r->record[n] & 0xc0) == 0x80)
				n--;
		}
		sl_buf_puts(b, "\n  > ");
		sl_buf_append(b, r->record, n);
		sl_buf_puts(b, n < r->record_len ? " ... (cut)\n" : "\n");
	}
	if (b->len > 65536)
		sl_cli_flush(w->cli, b);
	return 0;
}

static int show_etl(struct sl_cli *cli, struct sl_lake *lake, const char *key,
		    const struct sl_object *obj, const struct sl_etl_run *run, bool json)
{
	struct etl_show w = {.cli = cli, .json = json};
	struct sl_err err = {0};
	char when[40], ended[40];
	struct sl_job_conf conf;
	sl_buf_init(&w.b, 0);
	sl_fmt_time(obj->created_ms, when, sizeof(when));
	if (json) {
		sl_buf_puts(&w.b, "{\"key\":");
		sl_cli_json_str(&w.b, key);
		sl_buf_puts(&w.b, ",\"job\":");
		sl_cli_json_str(&w.b, run->job);
		sl_buf_printf(&w.b, ",\"run\":%" PRId64 ",\"run_state\":", run->id);
		sl_cli_json_str(&w.b, run->state);
		sl_buf_printf(&w.b, ",\"rows_in\":%" PRId64 ",\"rows_rejected\":%" PRId64
				    ",\"written\":\"%s\",\"refused\":[",
			      run->rows_in, run->rows_rejected, when);
	} else {
		sl_buf_puts(&w.b, "dead letter  deadletter/");
		put_text(&w.b, key);
		sl_buf_printf(&w.b, "\nfrom         ETL job %s, run %" PRId64 " (%s", run->job,
			      run->id, run->state);
		if (run->ended_ms > 0)
			sl_buf_printf(&w.b, " at %s",
				      sl_cli_text_time(run->ended_ms, ended, sizeof(ended)));
		sl_buf_puts(&w.b, strcmp(run->state, SL_RUN_COMMITTED) == 0
					  ? ")\n"
					  : "; removed by the job's next run)\n");
		if (strlen(run->job) < SL_JOB_MAX && sl_config_job(&lake->cfg, run->job, &conf))
			sl_buf_printf(&w.b, "job          reads the family %s, writes curated.%s\n",
				      conf.source, conf.target);
		sl_buf_printf(&w.b, "refused      %" PRId64 " of the %" PRId64
				    " records the run read\n",
			      run->rows_rejected, run->rows_in);
		sl_buf_printf(&w.b, "written      %s\n", when);
	}
	int rc = sl_etl_deadletter_read(lake, key, 0, etl_show_one, &w, &err);
	if (json)
		sl_buf_puts(&w.b, w.n ? "\n]}\n" : "]}\n");
	sl_cli_flush(cli, &w.b);
	sl_buf_release(&w.b);
	return rc ? sl_cli_fail(cli, &err) : SL_EXIT_OK;
}

/* ---- ls ------------------------------------------------------------------------------ */

struct dl_walk {
	struct sl_cli *cli;
	struct sl_lake *lake;
	const char *subject; /* filter, NULL = all */
	const char *job;     /* filter: the ETL dead letters of this job, NULL = all */
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
	struct sl_etl_run run;
	bool have = m->ops->deadletter_get(m->state, obj->key, false, &dl, NULL) == 0;
	bool etl = !have && etl_dead_letter(w->lake, obj->key, &run);
	if (w->subject && (!have || strcmp(dl.subject, w->subject) != 0))
		return 0;
	if (w->job && (!etl || strcmp(run.job, w->job) != 0))
		return 0;
	if (w->older_than && obj->created_ms >= w->older_than)
		return 0;
	if (w->what == W_REPLAY && etl) {
		fprintf(w->cli->out, "skipped deadletter/%s: refused records of ETL run %s/%" PRId64
				     " are not replayed\n",
			obj->key, run.job, run.id);
		return 0;
	}
	if (w->what == W_LS && etl) {
		etl_ls_one(w->lake, &w->out, obj, &run, w->json, w->n == 0);
		w->n++;
		if (w->out.len > 65536)
			sl_cli_flush(w->cli, &w->out);
		return 0;
	}
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
	struct sl_etl_run run;
	if (rc == SL_ENOENT && have_obj && etl_dead_letter(lake, key, &run))
		return show_etl(cli, lake, key, &obj, &run, json);
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
		{"job", required_argument, NULL, 'J'},
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
		case 'J': w.job = optarg; break;
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
	if (w.subject && w.job)
		return sl_cli_usage_error(cli, "--subject (the validator's dead letters) and --job "
					       "(an ETL job's) do not go together");
	if (strcmp(sub, "ls") == 0) {
		if (n_keys || all || age >= 0)
			return sl_cli_usage_error(cli, "ls takes only --subject or --job, and "
						       "--json");
		w.what = W_LS;
	} else if (strcmp(sub, "show") == 0) {
		if (n_keys != 1 || w.subject || w.job || all || age >= 0)
			return sl_cli_usage_error(cli, "show takes one KEY (and --json)");
	} else if (strcmp(sub, "replay") == 0) {
		if ((n_keys > 0) + (w.subject != NULL) + all != 1 || age >= 0 || w.json || w.job)
			return sl_cli_usage_error(cli, "replay takes KEY..., --subject S or --all "
						       "(an ETL job's refused records are not "
						       "replayed)");
		w.what = W_REPLAY;
	} else if (strcmp(sub, "purge") == 0) {
		if ((n_keys > 0) == (age >= 0) || all || w.json ||
		    (n_keys && (w.subject || w.job)))
			return sl_cli_usage_error(cli, "purge takes KEY... or --older-than "
						       "DURATION [--subject S | --job JOB]");
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
			if (w.what == W_REPLAY && !replayable(lake, keys[i])) {
				w.failed++;
				continue;
			}
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
	"usage: sluice deadletter ls [--subject S | --job JOB] [--json]\n"
	"       sluice deadletter show KEY [--json]\n"
	"       sluice deadletter replay KEY... | --subject S | --all\n"
	"       sluice deadletter purge KEY... | --older-than DURATION [--subject S | --job JOB]\n"
	"\n"
	"Dead letters are what the validator could not pass to raw: invalid records, or\n"
	"whole objects (undecodable, quarantined, no schema), each with a report; and the\n"
	"records an ETL job's run refused (etl/JOB/run-N.ndjson: the source object and\n"
	"line, the reason and the record, one line each).\n"
	"  ls      one line per dead letter: written, subject and version (an ETL one:\n"
	"          job JOB, etl run N), outcome, bad/records, key, reason (an ETL one: the\n"
	"          first distinct reasons with their OBJECT:LINE); --job: the ETL dead\n"
	"          letters of JOB only\n"
	"  show    the report: where it came from, why, and each bad record with its\n"
	"          reasons and its bytes (--json: the report as stored); an ETL one: the\n"
	"          job and run, and each refused record with its object, line and reason\n"
	"  replay  puts the dead letter back into landing as KEY with .replay-N in its\n"
	"          name (N: the dead letter's sequence number), with its lineage, and\n"
	"          removes it; the validator then checks it against the current schema.\n"
	"          ETL dead letters are not replayed (--all skips them)\n"
	"  purge   removes dead letters for good (--older-than: written before then;\n"
	"          DURATION such as 90m, 12h, 7d)\n",
	run_deadletter,
};
