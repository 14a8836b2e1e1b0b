/*
 * jobs.c - the ETL jobs of a lake as commands see them (jobs.h): the list of jobs from
 * sluice.yaml (and the catalog, for etl.default_jobs: ['*']), a job's schedule, bookmark,
 * newest run and pending source objects, the scheduler's plan (which jobs are due, when
 * to look again), and a run's dead letter line by line. Reads only; nothing here takes
 * a lease.
 */
#include "etl/jobs.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "etl/cron.h"
#include "json/json.h"
#include "store/store.h"

/* ---- the list of jobs ----------------------------------------------------------------- */

static bool jobs_has(const struct sl_etl_jobs *j, const char *name)
{
	for (size_t i = 0; i < j->n; i++)
		if (strcmp(j->names[i], name) == 0)
			return true;
	return false;
}

/* Appends name (shorter than SL_JOB_MAX), growing the list up to SL_ETL_JOBS_MAX. */
static int jobs_push(struct sl_etl_jobs *j, const char *name, struct sl_err *err)
{
	if (j->n == j->cap) {
		if (j->cap >= SL_ETL_JOBS_MAX)
			return sl_err_set(err, SL_ELIMIT, "more than %d ETL jobs", SL_ETL_JOBS_MAX);
		size_t cap = j->cap ? j->cap * 2 : 16;
		if (cap > SL_ETL_JOBS_MAX)
			cap = SL_ETL_JOBS_MAX;
		void *v = realloc(j->names, cap * sizeof(*j->names));
		if (!v)
			return sl_err_set(err, SL_ENOMEM, "out of memory");
		j->names = v;
		j->cap = cap;
	}
	snprintf(j->names[j->n++], SL_JOB_MAX, "%s", name);
	return 0;
}

/* Adds name once; a name that is not a job (sl_config_job says no) is left out. */
static int jobs_add(struct sl_etl_jobs *j, const struct sl_config *cfg, const char *name,
		    struct sl_err *err)
{
	struct sl_job_conf conf;
	if (strlen(name) >= SL_JOB_MAX || !sl_config_job(cfg, name, &conf) || jobs_has(j, name))
		return 0;
	return jobs_push(j, name, err);
}

struct star {
	struct sl_etl_jobs *j;
	const struct sl_config *cfg;
	struct sl_err *err;
};

/* A raw table's family is its folder's first segment (crawl: the key's first folder). */
static int star_one(void *ctx, const struct sl_cat_table *t)
{
	struct star *s = ctx;
	char family[SL_JOB_MAX];
	const char *slash = strchr(t->prefix, '/');
	size_t n = slash ? (size_t)(slash - t->prefix) : strlen(t->prefix);
	if (strcmp(t->db, "raw") != 0 || n == 0 || n >= sizeof(family))
		return 0;
	memcpy(family, t->prefix, n);
	family[n] = '\0';
	return jobs_add(s->j, s->cfg, family, s->err);
}

int sl_etl_jobs_list(struct sl_lake *lake, struct sl_etl_jobs *out, struct sl_err *err)
{
	const struct sl_etl_conf *ec = &lake->cfg.etl;
	int rc = 0;
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; rc == 0 && i < ec->n_jobs; i++)
		rc = jobs_add(out, &lake->cfg, ec->jobs[i].name, err);
	for (size_t i = 0; rc == 0 && i < ec->n_default_jobs; i++) {
		if (strcmp(ec->default_jobs[i], "*") != 0) {
			rc = jobs_add(out, &lake->cfg, ec->default_jobs[i], err);
			continue;
		}
		struct star s = {out, &lake->cfg, err};
		struct sl_meta *m = &lake->meta;
		rc = m->ops->catalog_table_list(m->state, "raw", star_one, &s, err);
	}
	if (rc)
		sl_etl_jobs_release(out);
	return rc;
}

void sl_etl_jobs_release(struct sl_etl_jobs *jobs)
{
	if (!jobs)
		return;
	free(jobs->names);
	memset(jobs, 0, sizeof(*jobs));
}

/* ---- pending objects ------------------------------------------------------------------- */

struct count {
	int64_t all, uncrawled;
};

static int count_one(void *ctx, const struct sl_object *obj, const struct sl_cat_file *file)
{
	struct count *c = ctx;
	(void)obj;
	c->all++;
	if (!file)
		c->uncrawled++;
	return 0;
}

int sl_etl_pending_count(struct sl_lake *lake, const struct sl_job_conf *conf,
			 int64_t after_seq, int64_t *pending, int64_t *uncrawled,
			 struct sl_err *err)
{
	struct sl_meta *m = &lake->meta;
	struct sl_cat_table t = {0};
	struct count c = {0};
	char table[SL_CAT_NAME_MAX], zone[SL_ZONE_MAX] = "raw", prefix[SL_KEY_MAX + 1];
	const char *family[1] = {conf->source};
	struct sl_err nerr = {0};
	int rc;

	if (!m->ops->etl_pending)
		return sl_err_set(err, SL_EINVAL, "metadata backend %s does not keep ETL jobs",
				  m->ops->name);
	if (snprintf(prefix, sizeof(prefix), "%s/", conf->source) >= (int)sizeof(prefix))
		return sl_err_set(err, SL_EINVAL, "job %s: source too long", conf->name);
	/* the run reads the table's folder (run.c); before the crawler made the table, the
	 * family's folder is where its objects will be */
	if (sl_cat_table_name(family, 1, table, sizeof(table), &nerr) == 0) {
		rc = m->ops->catalog_table_get(m->state, "raw", table, &t, err);
		if (rc == 0) {
			snprintf(zone, sizeof(zone), "%s", t.zone);
			snprintf(prefix, sizeof(prefix), "%s", t.prefix);
			sl_cat_table_release(&t);
		} else if (rc != SL_ENOENT) {
			return rc;
		}
	}
	rc = m->ops->etl_pending(m->state, zone, prefix, after_seq, 0, count_one, &c, err);
	if (rc < 0)
		return rc;
	if (pending)
		*pending = c.all;
	if (uncrawled)
		*uncrawled = c.uncrawled;
	return 0;
}

/* ---- one job's state ------------------------------------------------------------------- */

/* The job's schedule, parsed; false when it has none. */
static bool job_cron(const struct sl_job_conf *conf, struct sl_cron *cron)
{
	struct sl_err cerr = {0};
	/* the configuration checked the schedule when it was loaded */
	return conf->schedule[0] && sl_cron_parse(conf->schedule, cron, &cerr) == 0;
}

static int newest_run(void *ctx, const struct sl_etl_run *run)
{
	struct sl_etl_job_state *st = ctx;
	st->last = *run;
	st->has_last = true;
	return 0;
}

int sl_etl_job_state(struct sl_lake *lake, const char *job, int64_t now_ms,
		     bool count_pending, struct sl_etl_job_state *out, struct sl_err *err)
{
	struct sl_meta *m = &lake->meta;
	const struct sl_etl_conf *ec = &lake->cfg.etl;
	int rc;

	memset(out, 0, sizeof(*out));
	out->pending = out->uncrawled = -1;
	if (!sl_config_job(&lake->cfg, job, &out->conf))
		return sl_err_set(err, SL_ENOENT, "no ETL job %s in sluice.yaml", job);
	out->is_default = true;
	for (size_t i = 0; i < ec->n_jobs; i++)
		if (strcmp(ec->jobs[i].name, job) == 0)
			out->is_default = false;
	if (!m->ops->etl_bookmark_get || !m->ops->etl_run_list)
		return sl_err_set(err, SL_EINVAL, "metadata backend %s does not keep ETL jobs",
				  m->ops->name);

	rc = m->ops->etl_bookmark_get(m->state, job, &out->bookmark, err);
	if (rc == 0)
		out->has_bookmark = true;
	else if (rc != SL_ENOENT)
		return rc;
	if ((rc = m->ops->etl_run_list(m->state, job, 1, newest_run, out, err)) != 0)
		return rc;

	struct sl_cron cron;
	if (job_cron(&out->conf, &cron)) {
		int64_t next = 0;
		if (sl_cron_next(&cron, now_ms, &next) == 0) {
			out->scheduled = true;
			out->next_ms = next;
		}
		int64_t last = out->has_last ? out->last.started_ms : 0;
		out->due = sl_cron_due(&cron, last, sl_lake_created_ms(lake), now_ms);
	}
	if (count_pending)
		return sl_etl_pending_count(lake, &out->conf,
					    out->has_bookmark ? out->bookmark.seq : 0,
					    &out->pending, &out->uncrawled, err);
	return 0;
}

/* ---- the scheduler's plan ---------------------------------------------------------------- */

/* The index of job's try in s (kept in name order), or where it would go (*found false). */
static size_t try_find(const struct sl_etl_sched *s, const char *job, bool *found)
{
	size_t lo = 0, hi = s->n;
	*found = false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(s->tries[mid].job, job);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int sl_etl_sched_tried(struct sl_etl_sched *s, const char *job, int64_t at_ms,
		       struct sl_err *err)
{
	bool found;
	if (strlen(job) >= SL_JOB_MAX)
		return sl_err_set(err, SL_EINVAL, "job name of %zu bytes", strlen(job));
	size_t at = try_find(s, job, &found);
	if (!found) {
		if (s->n == s->cap) {
			if (s->cap >= SL_ETL_JOBS_MAX)
				return sl_err_set(err, SL_ELIMIT, "more than %d ETL jobs tried",
						  SL_ETL_JOBS_MAX);
			size_t cap = s->cap ? s->cap * 2 : 16;
			if (cap > SL_ETL_JOBS_MAX)
				cap = SL_ETL_JOBS_MAX;
			void *v = realloc(s->tries, cap * sizeof(*s->tries));
			if (!v)
				return sl_err_set(err, SL_ENOMEM, "out of memory");
			s->tries = v;
			s->cap = cap;
		}
		memmove(&s->tries[at + 1], &s->tries[at], (s->n - at) * sizeof(*s->tries));
		s->n++;
		memset(&s->tries[at], 0, sizeof(s->tries[at]));
		snprintf(s->tries[at].job, sizeof(s->tries[at].job), "%s", job);
		s->tries[at].listed = true;
	}
	if (!found || at_ms > s->tries[at].at_ms)
		s->tries[at].at_ms = at_ms;
	return 0;
}

void sl_etl_sched_release(struct sl_etl_sched *s)
{
	if (!s)
		return;
	free(s->tries);
	memset(s, 0, sizeof(*s));
}

void sl_etl_plan_release(struct sl_etl_plan *plan)
{
	if (!plan)
		return;
	sl_etl_jobs_release(&plan->due);
}

int sl_etl_sched_plan(struct sl_lake *lake, struct sl_etl_sched *s, int64_t now_ms,
		      int64_t max_sleep_ms, struct sl_etl_plan *out, struct sl_err *err)
{
	struct sl_etl_jobs jobs;
	int rc;

	memset(out, 0, sizeof(*out));
	if (max_sleep_ms <= 0 || now_ms > INT64_MAX - max_sleep_ms)
		return sl_err_set(err, SL_EINVAL, "scheduler: a sleep of %" PRId64 " ms after %"
				  PRId64, max_sleep_ms, now_ms);
	out->wake_ms = now_ms + max_sleep_ms;
	if ((rc = sl_etl_jobs_list(lake, &jobs, err)) != 0)
		return rc;
	out->n_jobs = jobs.n;
	for (size_t i = 0; i < s->n; i++)
		s->tries[i].listed = false;

	int64_t created = sl_lake_created_ms(lake);
	for (size_t i = 0; i < jobs.n; i++) {
		const char *job = jobs.names[i];
		struct sl_etl_job_state st;
		struct sl_cron cron;
		bool found;
		if ((rc = sl_etl_job_state(lake, job, now_ms, false, &st, err)) != 0)
			goto done;
		size_t at = try_find(s, job, &found);
		if (found)
			s->tries[at].listed = true;
		if (!st.scheduled || !job_cron(&st.conf, &cron))
			continue;
		out->n_scheduled++;
		int64_t last = st.has_last ? st.last.started_ms : 0;
		if (found && s->tries[at].at_ms > last)
			last = s->tries[at].at_ms;
		if (sl_cron_due(&cron, last, created, now_ms)) {
			if ((rc = jobs_push(&out->due, job, err)) != 0)
				goto done;
		} else if (out->next_ms == 0 || st.next_ms < out->next_ms) {
			out->next_ms = st.next_ms;
			snprintf(out->next_job, sizeof(out->next_job), "%s", job);
		}
	}
	if (out->due.n)
		out->wake_ms = now_ms;
	else if (out->next_ms && out->next_ms < out->wake_ms)
		out->wake_ms = out->next_ms;
	/* forget the tries of jobs that are gone (a job that comes back is judged by its
	 * runs again) */
	size_t kept = 0;
	for (size_t i = 0; i < s->n; i++)
		if (s->tries[i].listed)
			s->tries[kept++] = s->tries[i];
	s->n = kept;
done:
	sl_etl_jobs_release(&jobs);
	if (rc)
		sl_etl_plan_release(out);
	return rc;
}

/* ---- a run's dead letter ------------------------------------------------------------------ */

bool sl_etl_deadletter_key(const char *key, char *job, size_t job_cap, int64_t *run)
{
	static const char head[] = "etl/", mid[] = "/run-", tail[] = ".ndjson";
	if (strncmp(key, head, sizeof(head) - 1) != 0)
		return false;
	const char *name = key + sizeof(head) - 1;
	const char *slash = strchr(name, '/');
	size_t n = slash ? (size_t)(slash - name) : 0;
	if (n == 0 || n >= job_cap || n >= SL_JOB_MAX ||
	    strncmp(slash, mid, sizeof(mid) - 1) != 0)
		return false;
	const char *d = slash + sizeof(mid) - 1;
	int64_t v = 0;
	size_t nd = 0;
	while (d[nd] >= '0' && d[nd] <= '9' && nd < 18)
		v = v * 10 + (d[nd++] - '0');
	if (nd == 0 || d[0] == '0' || strcmp(d + nd, tail) != 0)
		return false;
	memcpy(job, name, n);
	job[n] = '\0';
	*run = v;
	return true;
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The entry of one parsed line: {"object": string, "line": int, "error": string,
 * "record": any}, in any order, each once, nothing else. */
static const char *refused_fields(const struct sl_json_doc *doc, struct sl_etl_refused *r)
{
	const struct sl_json_tok *t = doc->tok;
	unsigned seen = 0;
	if (doc->n_tok < 2 || t[0].type != SL_JSON_OBJECT)
		return "not a JSON object";
	size_t i = 1;
	while (i < doc->n_tok && t[i].type == SL_JSON_KEY) {
		static const char *const names[] = {"object", "line", "error", "record"};
		const struct sl_json_tok *k = &t[i], *v = &t[i + 1];
		size_t next = v->type == SL_JSON_OBJECT || v->type == SL_JSON_ARRAY ? v->v.end + 1
										     : i + 2;
		unsigned which = 0;
		for (unsigned f = 0; f < 4; f++)
			if (k->len == strlen(names[f]) && memcmp(k->v.s, names[f], k->len) == 0)
				which = 1u << f;
		if (!which)
			return "a member other than object, line, error and record";
		if (seen & which)
			return "a member given twice";
		seen |= which;
		if (which == 1 || which == 4) {
			if (v->type != SL_JSON_STRING || memchr(v->v.s, '\0', v->len))
				return which == 1 ? "\"object\" is not a string"
						  : "\"error\" is not a string";
			if (which == 1 && v->len >= sizeof(r->object))
				return "\"object\" is longer than a key";
			char *to = which == 1 ? r->object : r->error;
			size_t cap = which == 1 ? sizeof(r->object) : sizeof(r->error);
			if (v->len < cap) {
				memcpy(to, v->v.s, v->len);
				to[v->len] = '\0';
			} else {
				/* cut at a character's start, so the text stays UTF-8 */
				size_t n = cap - 4;
				while (n > 0 && ((unsigned char)v->v.s[n] & 0xc0) == 0x80)
					n--;
				memcpy(to, v->v.s, n);
				memcpy(to + n, "...", 4);
			}
		} else if (which == 2) {
			if (v->type != SL_JSON_INT || v->v.i < 0)
				return "\"line\" is not a line number";
			r->line = v->v.i;
		} else {
			/* the value's text runs to the next member or the object's end, less the
			 * comma and white space before it */
			size_t from = v->off, to = next < doc->n_tok ? t[next].off : doc->len;
			while (to > from && is_ws(doc->text[to - 1]))
				to--;
			if (to > from && doc->text[to - 1] == ',')
				to--;
			while (to > from && is_ws(doc->text[to - 1]))
				to--;
			r->record = doc->text + from;
			r->record_len = to - from;
		}
		i = next;
	}
	if (seen != 15)
		return "not {\"object\", \"line\", \"error\", \"record\"}";
	return NULL;
}

int sl_etl_deadletter_read(struct sl_lake *lake, const char *key, int64_t max_lines,
			   sl_etl_refused_fn *fn, void *ctx, struct sl_err *err)
{
	const struct sl_validate_conf *vc = &lake->cfg.validate;
	struct sl_json_reader *rd = NULL;
	struct sl_json_limits lim;
	struct sl_object obj;
	int fd = -1, rc;

	if ((rc = sl_store_open_fd(&lake->store, "deadletter", key, &fd, &obj, err)) != 0)
		return rc;
	/* a line is the record (within the limits a run read it with) and a little more */
	sl_json_limits_default(&lim);
	if (vc->max_depth > 0 && vc->max_depth < 100000)
		lim.max_depth = (uint32_t)vc->max_depth + 1;
	if (vc->max_record > 0)
		lim.max_record = (size_t)vc->max_record + 65536;
	if (vc->max_string > 0)
		lim.max_string = (size_t)vc->max_string + 65536;
	if ((rc = sl_json_reader_open(fd, key, SL_JSON_FRAME_NDJSON, &lim, &rd, err)) != 0)
		goto done;
	for (int64_t n = 0; max_lines == 0 || n < max_lines; n++) {
		struct sl_json_doc doc;
		struct sl_json_error je;
		struct sl_etl_refused r;
		int got = sl_json_reader_next(rd, &doc, &je);
		if (got == 0)
			break;
		if (got < 0 && je.fatal) {
			rc = sl_err_set(err, SL_ECORRUPT, "deadletter/%s:%" PRId64 ": %s", key,
					je.pos.line, je.msg);
			break;
		}
		memset(&r, 0, sizeof(r));
		if (got < 0) {
			r.dl_line = je.pos.line;
			r.problem = je.code == SL_ELIMIT
					    ? "over the record limits (validate.limits)"
					    : "not JSON";
		} else {
			r.dl_line = doc.pos.line;
			r.problem = refused_fields(&doc, &r);
		}
		if (r.problem) {
			r.object[0] = r.error[0] = '\0';
			r.line = 0;
			r.record = NULL;
			r.record_len = 0;
		}
		if ((rc = fn(ctx, &r)) != 0)
			break;
	}
done:
	sl_json_reader_close(rd);
	close(fd);
	return rc;
}
