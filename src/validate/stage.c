/*
 * stage.c - the validator stage (see validate.h for what it promises).
 *
 * One message, step by step (sl_validate_handle):
 *   1. The event names a landing key and its sequence number. If the index no longer has
 *      that version (removed, replaced by a newer put, already handled), there is nothing
 *      to do but to finish an interrupted removal and delete the message.
 *   2. Route the key to a subject; find the schema (latest or pinned), compiled once per
 *      subject version and kept.
 *   3. Pass 1 reads every record (the JSON reader decodes gzip/zstd and frames NDJSON or
 *      arrays) and validates it; the bad ones are described for the report (capped).
 *   4. Outputs: the original bytes to raw (all valid) or to deadletter (all invalid,
 *      quarantine, undecodable, no schema); or pass 2 re-reads the object and writes the
 *      valid records to raw and the invalid ones to deadletter, in the object's framing
 *      and compression. Outputs of an earlier attempt that this one did not produce are
 *      removed.
 *   5. Under the landing key's lock, one transaction records the run, its counters and
 *      the dead letter's report, marks the landing object 'deleting' and deletes the
 *      message; the landing file and its index row go last.
 * A crash anywhere before 5 leaves the message to come back: steps 1-4 run again and
 * overwrite the same keys. A crash after 5 leaves a 'deleting' landing object, which
 * sl_validate_recover (and fsck) finish.
 */
#include "validate/validate.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json/codec.h"
#include "json/encode.h"
#include "queue/queue.h"
#include "schema/registry.h"
#include "schema/schema.h"
#include "util/clock.h"
#include "util/crashpoint.h"
#include "util/glob.h"

const char *const sl_voutcome_names[SL_VOUT_COUNT] = {
	[SL_VOUT_PASSED] = "passed",           [SL_VOUT_PASS_THROUGH] = "pass_through",
	[SL_VOUT_SPLIT] = "split",             [SL_VOUT_INVALID] = "invalid",
	[SL_VOUT_QUARANTINED] = "quarantined", [SL_VOUT_UNDECODABLE] = "undecodable",
	[SL_VOUT_NO_SCHEMA] = "no_schema",     [SL_VOUT_SKIPPED] = "skipped",
};

#define CACHE_MAX 32            /* compiled schema versions kept */

/* Crash-test points (util/crashpoint.h, SLUICE_TEST_CRASH):
 *   output    after the first output of an object is committed, before the others
 *   outputs   after all outputs, before the commit transaction
 *   commit    after the commit, before the landing file is removed
 */

#define EVENT_MAX (64 << 10)    /* an object-created event is far smaller */
#define HEARTBEAT_RECORDS 1024  /* look at the clock every this many records */
/* The descriptions of bad records in one report stop at this size, whatever
 * validate.report.max_records says (the report says it was cut). */
#define REPORT_MAX_BYTES ((size_t)16 << 20)

/* ---- routing ---------------------------------------------------------------------- */

static enum sl_json_framing framing_from(const char *name)
{
	if (strcmp(name, "ndjson") == 0)
		return SL_JSON_FRAME_NDJSON;
	if (strcmp(name, "array") == 0)
		return SL_JSON_FRAME_ARRAY;
	if (strcmp(name, "document") == 0)
		return SL_JSON_FRAME_DOCUMENT;
	return SL_JSON_FRAME_AUTO;
}

static bool subject_name_ok(const char *s, size_t n)
{
	if (n == 0 || n >= SL_SUBJECT_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

int sl_validate_route(const struct sl_config *cfg, const char *key, char *subject,
		      size_t cap, enum sl_json_framing *framing)
{
	const struct sl_validate_conf *vc = &cfg->validate;
	for (size_t i = 0; i < vc->n_routes; i++) {
		if (sl_glob_match(vc->routes[i].match, key)) {
			snprintf(subject, cap, "%s", vc->routes[i].subject);
			*framing = framing_from(vc->routes[i].format);
			return 1;
		}
	}
	*framing = framing_from(vc->defaults.format);
	const char *slash = strchr(key, '/');
	subject[0] = '\0';
	if (!slash || !subject_name_ok(key, (size_t)(slash - key)) ||
	    (size_t)(slash - key) >= cap)
		return 0;
	memcpy(subject, key, (size_t)(slash - key));
	subject[slash - key] = '\0';
	return 1;
}

/* ---- the stage ---------------------------------------------------------------------- */

struct centry {
	char subject[SL_SUBJECT_NAME_MAX];
	int64_t version;
	char fingerprint[SL_CHECKSUM_MAX];
	struct sl_schema *schema;
	struct sl_validator *v;
	uint64_t used;
};

struct sl_validate_stage {
	struct sl_lake *lake; /* borrowed */
	struct sl_meta *m;
	struct sl_schema_source src;
	struct centry cache[CACHE_MAX];
	uint64_t clock;
	struct sl_schema_error *errs; /* report_max_errors + 1 */
	size_t max_errs;
	struct sl_json_limits lim;
	int64_t vt_ms; /* the landing queue's visibility timeout */
	/* the message being handled, for the heartbeat */
	const char *receipt;
	int64_t hb_ms;
	int64_t n_handled;
};

static void centry_clear(struct centry *c)
{
	sl_validator_free(c->v);
	sl_schema_free(c->schema);
	memset(c, 0, sizeof(*c));
}

/* ---- the registry as the schema source ------------------------------------------------ */

static int reg_latest(void *ctx, const char *subject, int64_t *version, char *fingerprint,
		      struct sl_err *err)
{
	struct sl_schema_version sv;
	memset(&sv, 0, sizeof(sv));
	int rc = sl_registry_get(ctx, subject, 0, &sv, err);
	if (rc == 0) {
		*version = sv.version;
		snprintf(fingerprint, SL_CHECKSUM_MAX, "%s", sv.fingerprint);
	}
	sl_schema_version_release(&sv);
	return rc;
}

static int reg_compile(void *ctx, const char *subject, int64_t version, struct sl_schema **out,
		       struct sl_err *err)
{
	int64_t got = 0;
	int rc = sl_registry_compile(ctx, subject, version, out, &got, err);
	if (rc == 0 && got != version) {
		sl_schema_free(*out);
		*out = NULL;
		return sl_err_set(err, SL_EMETA, "registry: asked for %s version %" PRId64
						 ", got %" PRId64,
				  subject, version, got);
	}
	return rc;
}

void sl_validate_stage_set_source(struct sl_validate_stage *st,
				  const struct sl_schema_source *src)
{
	for (size_t i = 0; i < CACHE_MAX; i++)
		centry_clear(&st->cache[i]);
	if (src)
		st->src = *src;
	else
		st->src = (struct sl_schema_source){reg_latest, reg_compile, st->m};
}

int sl_validate_stage_open(struct sl_lake *lake, struct sl_validate_stage **out,
			   struct sl_err *err)
{
	struct sl_validate_stage *st = calloc(1, sizeof(*st));
	const struct sl_validate_conf *vc = &lake->cfg.validate;
	*out = NULL;
	if (!st)
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	st->lake = lake;
	st->m = &lake->meta;
	st->max_errs = (size_t)vc->report_max_errors;
	st->errs = calloc(st->max_errs + 1, sizeof(*st->errs));
	if (!st->errs) {
		free(st);
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	}
	sl_json_limits_default(&st->lim);
	st->lim.max_depth = (uint32_t)vc->max_depth;
	st->lim.max_record = (size_t)vc->max_record;
	st->lim.max_string = (size_t)vc->max_string;
	struct sl_queue_conf qc;
	sl_config_queue(&lake->cfg, SL_VALIDATE_QUEUE, &qc);
	st->vt_ms = qc.visibility_timeout_ms;
	sl_validate_stage_set_source(st, NULL);
	*out = st;
	return 0;
}

void sl_validate_stage_close(struct sl_validate_stage *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < CACHE_MAX; i++)
		centry_clear(&st->cache[i]);
	free(st->errs);
	free(st);
}

/* Keeps the message invisible while a long object is read: at half the visibility
 * timeout, it is extended by a whole one. */
static void heartbeat(struct sl_validate_stage *st)
{
	if (!st->receipt || st->vt_ms <= 0)
		return;
	int64_t now = sl_mono_ms();
	if (now - st->hb_ms < st->vt_ms / 2)
		return;
	st->hb_ms = now;
	sl_queue_change_visibility(st->m, SL_VALIDATE_QUEUE, st->receipt, st->vt_ms, NULL);
}

/* ---- schemas ------------------------------------------------------------------------ */

static struct centry *cache_find(struct sl_validate_stage *st, const char *subject,
				 int64_t version, const char *fingerprint)
{
	for (size_t i = 0; i < CACHE_MAX; i++) {
		struct centry *c = &st->cache[i];
		if (c->schema && c->version == version && strcmp(c->subject, subject) == 0 &&
		    (!fingerprint || strcmp(c->fingerprint, fingerprint) == 0)) {
			c->used = ++st->clock;
			return c;
		}
	}
	return NULL;
}

/* Is this failure the schema's own (it will not compile however often we try), rather
 * than a passing one (the metadata store busy, memory)? */
static bool schema_is_bad(int code)
{
	return code == SL_EINVAL || code == SL_ECORRUPT || code == SL_ELIMIT ||
	       code == SL_ENOENT;
}

/* Finds the compiled schema of subject (version pinned, or 0: the latest). Returns 0 with
 * *out, 1 when there is no usable schema (why says which), < 0 on a failure that may
 * pass. */
static int schema_for(struct sl_validate_stage *st, const char *subject, int64_t pinned,
		      struct centry **out, char *why, size_t cap, struct sl_err *err)
{
	struct sl_err e = {0};
	char fingerprint[SL_CHECKSUM_MAX] = "";
	int64_t version = pinned;
	int rc;

	*out = NULL;
	if (pinned > 0) {
		if ((*out = cache_find(st, subject, pinned, NULL)) != NULL)
			return 0;
	} else {
		rc = st->src.latest(st->src.ctx, subject, &version, fingerprint, &e);
		if (rc == SL_ENOENT) {
			snprintf(why, cap, "no schema for subject %s", subject);
			return 1;
		}
		if (rc) {
			*err = e;
			return rc;
		}
		/* versions are immutable, but a fingerprint that changed says the registry was
		 * rebuilt: compile again */
		if ((*out = cache_find(st, subject, version, fingerprint)) != NULL)
			return 0;
	}
	struct sl_schema *schema = NULL;
	rc = st->src.compile(st->src.ctx, subject, version, &schema, &e);
	if (rc) {
		if (rc == SL_ENOENT && pinned > 0) {
			snprintf(why, cap,
				 "subject %s has no schema version %" PRId64
				 " (pinned by validate.subjects.%s.version)",
				 subject, pinned, subject);
			return 1;
		}
		if (rc == SL_ENOENT) {
			snprintf(why, cap, "no schema for subject %s", subject);
			return 1;
		}
		if (schema_is_bad(rc)) {
			snprintf(why, cap, "schema %s version %" PRId64 " cannot be used: %.300s", subject,
				 version, e.msg);
			return 1;
		}
		*err = e;
		return rc;
	}
	struct sl_validator *v = sl_validator_new(schema);
	if (!v) {
		sl_schema_free(schema);
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	}
	struct centry *slot = &st->cache[0];
	for (size_t i = 0; i < CACHE_MAX; i++) {
		if (!st->cache[i].schema) {
			slot = &st->cache[i];
			break;
		}
		if (st->cache[i].used < slot->used)
			slot = &st->cache[i];
	}
	centry_clear(slot);
	snprintf(slot->subject, sizeof(slot->subject), "%s", subject);
	slot->version = version;
	snprintf(slot->fingerprint, sizeof(slot->fingerprint), "%s", fingerprint);
	slot->schema = schema;
	slot->v = v;
	slot->used = ++st->clock;
	*out = slot;
	return 0;
}

/* ---- the event ---------------------------------------------------------------------- */

/* Reads key and seq from an object-created event of the landing zone; 0 if it is not
 * one (then why says what is wrong). */
static int parse_event(const char *body, char *key, size_t cap, int64_t *seq, char *why,
		       size_t why_cap)
{
	struct sl_json_limits lim;
	struct sl_json_error e;
	size_t len = strlen(body);
	sl_json_limits_default(&lim);
	lim.max_depth = 8;
	lim.max_record = EVENT_MAX;
	struct sl_json_node *ev = len <= EVENT_MAX ? sl_json_tree_parse(body, len, &lim, &e) : NULL;
	const struct sl_json_node *n;
	int ok = 0;
	if (!ev || ev->type != SL_JSON_OBJECT) {
		snprintf(why, why_cap, "the message is not an object-created event (not a JSON "
				       "object)");
		goto done;
	}
	n = sl_json_get(ev, "event");
	if (!n || n->type != SL_JSON_STRING || strcmp(n->u.str.s, "ObjectCreated:Put") != 0) {
		snprintf(why, why_cap, "the message is not an ObjectCreated:Put event");
		goto done;
	}
	n = sl_json_get(ev, "zone");
	if (!n || n->type != SL_JSON_STRING || strcmp(n->u.str.s, SL_VALIDATE_QUEUE) != 0) {
		snprintf(why, why_cap, "the event is not for the landing zone");
		goto done;
	}
	n = sl_json_get(ev, "key");
	if (!n || n->type != SL_JSON_STRING || n->u.str.len >= cap ||
	    strlen(n->u.str.s) != n->u.str.len || sl_key_check(n->u.str.s, NULL) != 0) {
		snprintf(why, why_cap, "the event has no valid key");
		goto done;
	}
	memcpy(key, n->u.str.s, n->u.str.len + 1);
	n = sl_json_get(ev, "seq");
	if (!n || n->type != SL_JSON_INT || n->u.i <= 0) {
		snprintf(why, why_cap, "the event has no valid seq");
		goto done;
	}
	*seq = n->u.i;
	ok = 1;
done:
	sl_json_tree_free(ev);
	return ok;
}

/* ---- reading the records ------------------------------------------------------------ */

/* What pass 1 found. */
struct scan {
	int64_t records, valid, invalid;
	bool any_json;  /* some record is JSON (valid or not by the schema) */
	bool unheld;    /* a bad record's bytes are not held (over max_record) */
	int64_t unheld_index;
	bool fatal;     /* the stream broke: the object cannot be decoded */
	struct sl_json_error fatal_err;
	bool read;                    /* pass 1 ran to its end */
	enum sl_json_framing framing; /* as the reader resolved AUTO */
	struct sl_buf errors;         /* the report's "errors" array, without brackets */
	struct sl_buf entry;          /* the description being made */
	int64_t described;
	bool full;                    /* REPORT_MAX_BYTES reached: no more descriptions */
};

static void scan_init(struct scan *sc)
{
	memset(sc, 0, sizeof(*sc));
	sl_buf_init(&sc->errors, REPORT_MAX_BYTES + 1);
	sl_buf_init(&sc->entry, REPORT_MAX_BYTES + 1);
}

static void scan_release(struct scan *sc)
{
	sl_buf_release(&sc->errors);
	sl_buf_release(&sc->entry);
}

/* Adds the description in sc->entry to the report, if it still fits. */
static int describe_add(struct scan *sc, int rc)
{
	if (rc == SL_ENOMEM)
		return rc;
	if (rc || sc->errors.len + sc->entry.len + 1 > REPORT_MAX_BYTES) {
		sc->full = true;
		return 0;
	}
	if ((sc->described && sl_buf_puts(&sc->errors, ",") != 0) ||
	    sl_buf_append(&sc->errors, sc->entry.data, sc->entry.len) != 0) {
		sc->full = true;
		return 0;
	}
	sc->described++;
	return 0;
}

static int describe_schema_errors(struct sl_validate_stage *st, struct scan *sc,
				  const struct sl_json_doc *doc, size_t n_errs, int64_t cap)
{
	struct sl_buf *b = &sc->entry;
	int rc = 0;
	if (sc->described >= cap || sc->full)
		return 0;
	sl_buf_reset(b);
	rc |= sl_buf_printf(b,
			    "{\"index\":%" PRId64 ",\"line\":%" PRId64 ",\"column\":%" PRId64
			    ",\"offset\":%" PRId64 ",\"errors\":[",
			    doc->pos.record, doc->pos.line, doc->pos.column, doc->pos.offset);
	size_t shown = n_errs < st->max_errs ? n_errs : st->max_errs;
	for (size_t i = 0; i < shown; i++) {
		const struct sl_schema_error *e = &st->errs[i];
		rc |= sl_buf_printf(b, "%s{\"pointer\":", i ? "," : "");
		rc |= sl_buf_json_str(b, e->pointer, strnlen(e->pointer, sizeof(e->pointer)));
		rc |= sl_buf_puts(b, ",\"keyword\":");
		rc |= sl_buf_json_str(b, e->keyword, strnlen(e->keyword, sizeof(e->keyword)));
		rc |= sl_buf_puts(b, ",\"message\":");
		rc |= sl_buf_json_str(b, e->msg, strnlen(e->msg, sizeof(e->msg)));
		rc |= sl_buf_puts(b, ",\"schema_path\":");
		rc |= sl_buf_json_str(b, e->schema_path, strnlen(e->schema_path, sizeof(e->schema_path)));
		rc |= sl_buf_printf(b, ",\"offset\":%" PRId64 "}",
				    doc->pos.offset + (int64_t)e->offset);
	}
	rc |= sl_buf_printf(b, "]%s}", n_errs > st->max_errs ? ",\"more_errors\":true" : "");
	return describe_add(sc, rc ? SL_ELIMIT : 0);
}

static int describe_json_error(struct scan *sc, const struct sl_json_pos *rec,
			       const struct sl_json_error *e, int64_t cap)
{
	struct sl_buf *b = &sc->entry;
	int rc = 0;
	if (sc->described >= cap || sc->full)
		return 0;
	sl_buf_reset(b);
	/* a record whose bytes were dropped (over the limit) starts where the error is */
	const struct sl_json_pos *at = rec ? rec : &e->pos;
	rc |= sl_buf_printf(b,
			    "{\"index\":%" PRId64 ",\"line\":%" PRId64 ",\"column\":%" PRId64
			    ",\"offset\":%" PRId64 ",\"errors\":[{\"pointer\":\"\",\"keyword\":"
			    "\"$json\",\"message\":",
			    e->pos.record, at->line, at->column, at->offset);
	rc |= sl_buf_json_str(b, e->msg, strnlen(e->msg, sizeof(e->msg)));
	rc |= sl_buf_printf(b,
			    ",\"line\":%" PRId64 ",\"column\":%" PRId64 ",\"offset\":%" PRId64
			    "}]}",
			    e->pos.line, e->pos.column, e->pos.offset);
	return describe_add(sc, rc ? SL_ELIMIT : 0);
}

/* Validates one parsed record: 1 valid, 0 invalid (st->errs, *n_errs), < 0 failure. */
static int check_record(struct sl_validate_stage *st, struct centry *schema,
			const struct sl_json_doc *doc, size_t *n_errs, struct sl_err *err)
{
	*n_errs = 0;
	int v = sl_validate(schema->v, doc, st->errs, st->max_errs + 1, n_errs);
	if (v < 0)
		return sl_err_set(err, v, "validating a record: out of memory");
	return v;
}

static int open_reader(struct sl_validate_stage *st, int fd, const char *key,
		       enum sl_json_framing framing, struct sl_json_reader **r,
		       struct sl_err *err)
{
	if (lseek(fd, 0, SEEK_SET) != 0)
		return sl_err_errno(err, errno, "landing/%s: seek", key);
	return sl_json_reader_open(fd, key, framing, &st->lim, r, err);
}

static int pass1(struct sl_validate_stage *st, int fd, const char *key,
		 enum sl_json_framing framing, struct centry *schema, struct scan *sc,
		 struct sl_err *err)
{
	struct sl_json_reader *r = NULL;
	int64_t cap = st->lake->cfg.validate.report_max_records;
	int rc = open_reader(st, fd, key, framing, &r, err);
	if (rc)
		return rc;
	for (;;) {
		struct sl_json_doc doc;
		struct sl_json_error e;
		struct sl_json_pos pos;
		const char *text;
		size_t len, n_errs;
		int got = sl_json_reader_next(r, &doc, &e);
		if (got == 0)
			break;
		if ((sc->records & (HEARTBEAT_RECORDS - 1)) == 0)
			heartbeat(st);
		if (got < 0 && e.fatal) {
			if (e.code == SL_ENOMEM || e.code == SL_EIO) {
				rc = sl_err_set(err, e.code, "landing/%s: %s", key, e.msg);
				goto done;
			}
			sc->fatal = true;
			sc->fatal_err = e;
			break;
		}
		sc->records++;
		if (got > 0) {
			sc->any_json = true;
			int v = check_record(st, schema, &doc, &n_errs, err);
			if (v < 0) {
				rc = v;
				goto done;
			}
			if (v) {
				sc->valid++;
				continue;
			}
			sc->invalid++;
			if ((rc = describe_schema_errors(st, sc, &doc, n_errs, cap)) != 0) {
				sl_err_set(err, rc, "report: out of memory");
				goto done;
			}
			continue;
		}
		/* a record that is not JSON, or over a limit */
		sc->invalid++;
		bool held = sl_json_reader_record_text(r, &text, &len, &pos);
		if (!held && !sc->unheld) {
			sc->unheld = true;
			sc->unheld_index = e.pos.record;
		}
		if ((rc = describe_json_error(sc, held ? &pos : NULL, &e, cap)) != 0) {
			sl_err_set(err, rc, "report: out of memory");
			goto done;
		}
	}
	sc->framing = sl_json_reader_framing(r);
	sc->read = true;
	rc = 0;
done:
	sl_json_reader_close(r);
	return rc;
}

/* ---- writing ------------------------------------------------------------------------- */

/* One split output: a store writer behind an encoder of the input's codec. */
struct out {
	struct sl_store_writer *w;
	struct sl_encoder *enc;
	enum sl_json_framing framing;
	int64_t records;
};

static int out_sink(void *ctx, const void *data, size_t len, struct sl_err *err)
{
	return sl_store_writer_write(ctx, data, len, err);
}

static int out_open(struct sl_validate_stage *st, struct out *o, const char *zone,
		    const char *key, const char *content_type, const struct sl_codec_ops *codec,
		    enum sl_json_framing framing, struct sl_err *err)
{
	memset(o, 0, sizeof(*o));
	o->framing = framing;
	int rc = sl_store_writer_open(&st->lake->store, zone, key, content_type, &o->w, err);
	if (rc == 0)
		rc = sl_encoder_open(codec, out_sink, o->w, &o->enc, err);
	return rc;
}

static int out_record(struct out *o, const char *text, size_t len, struct sl_err *err)
{
	int rc = 0;
	if (o->framing == SL_JSON_FRAME_ARRAY)
		rc = sl_encoder_write(o->enc, o->records ? ",\n" : "[", o->records ? 2 : 1, err);
	if (rc == 0)
		rc = sl_encoder_write(o->enc, text, len, err);
	if (rc == 0 && o->framing != SL_JSON_FRAME_ARRAY)
		rc = sl_encoder_write(o->enc, "\n", 1, err);
	o->records++;
	return rc;
}

static int out_commit(struct out *o, struct sl_object *obj, struct sl_err *err)
{
	int rc = 0;
	if (o->framing == SL_JSON_FRAME_ARRAY)
		rc = sl_encoder_write(o->enc, o->records ? "]\n" : "[]\n", o->records ? 2 : 3, err);
	if (rc == 0)
		rc = sl_encoder_finish(o->enc, err);
	sl_encoder_free(o->enc);
	o->enc = NULL;
	if (rc == 0) {
		rc = sl_store_writer_commit(o->w, obj, err);
		o->w = NULL;
	}
	return rc;
}

static void out_abort(struct out *o)
{
	sl_encoder_free(o->enc);
	sl_store_writer_abort(o->w);
	memset(o, 0, sizeof(*o));
}

/* Pass 2 of a split: the valid records to raw, the invalid ones to deadletter. The
 * classification must come out as in pass 1 (same records, same schema). */
static int pass2(struct sl_validate_stage *st, int fd, const struct sl_object *landing,
		 struct centry *schema, const struct scan *sc, struct sl_object *raw_obj,
		 struct sl_object *dl_obj, struct sl_err *err)
{
	struct sl_json_reader *r = NULL;
	struct out raw = {0}, dl = {0};
	unsigned char head[4];
	ssize_t n_head = pread(fd, head, sizeof(head), 0);
	const struct sl_codec_ops *codec = sl_codec_sniff(head, n_head > 0 ? (size_t)n_head : 0);
	int64_t records = 0;
	int rc;

	if ((rc = out_open(st, &raw, "raw", landing->key, landing->content_type, codec,
			   sc->framing, err)) != 0 ||
	    (rc = out_open(st, &dl, "deadletter", landing->key, landing->content_type, codec,
			   sc->framing, err)) != 0)
		goto fail;
	if ((rc = open_reader(st, fd, landing->key, sc->framing, &r, err)) != 0)
		goto fail;
	for (;;) {
		struct sl_json_doc doc;
		struct sl_json_error e;
		const char *text;
		size_t len, n_errs;
		int got = sl_json_reader_next(r, &doc, &e);
		if (got == 0)
			break;
		if ((records & (HEARTBEAT_RECORDS - 1)) == 0)
			heartbeat(st);
		if (got < 0 && e.fatal) {
			rc = sl_err_set(err, SL_EIO, "landing/%s: changed between two reads: %s",
					landing->key, e.msg);
			goto fail;
		}
		records++;
		int v = 0;
		if (got > 0 && (v = check_record(st, schema, &doc, &n_errs, err)) < 0) {
			rc = v;
			goto fail;
		}
		if (!sl_json_reader_record_text(r, &text, &len, NULL)) {
			rc = sl_err_set(err, SL_EIO, "landing/%s: record %" PRId64 " is not held",
					landing->key, records - 1);
			goto fail;
		}
		if ((rc = out_record(v > 0 ? &raw : &dl, text, len, err)) != 0)
			goto fail;
	}
	if (records != sc->records || raw.records != sc->valid || dl.records != sc->invalid) {
		rc = sl_err_set(err, SL_EIO,
				"landing/%s: two reads disagree (%" PRId64 " records, then %" PRId64
				")",
				landing->key, sc->records, records);
		goto fail;
	}
	sl_json_reader_close(r);
	r = NULL;
	/* raw first: the records that passed are visible as soon as possible */
	if ((rc = out_commit(&raw, raw_obj, err)) != 0)
		goto fail;
	sl_crash_point("output");
	if ((rc = out_commit(&dl, dl_obj, err)) != 0)
		goto fail;
	return 0;
fail:
	sl_json_reader_close(r);
	out_abort(&raw);
	out_abort(&dl);
	return rc;
}

/* The landing object's bytes, unchanged, to zone/KEY: a link to the landing file where
 * the store can (nothing is copied; the bytes are already durable). */
static int put_whole(struct sl_validate_stage *st, const struct sl_object *landing,
		     const char *zone, struct sl_object *obj, struct sl_err *err)
{
	return sl_store_put_copy(&st->lake->store, landing, zone, landing->key, obj, err);
}

/* Removes zone/KEY if an earlier attempt at this landing version (or at a later one)
 * wrote it: its sequence number is above the landing object's. */
static int drop_stale(struct sl_validate_stage *st, const char *zone, const char *key,
		      int64_t landing_seq, bool *dropped, struct sl_err *err)
{
	struct sl_object row;
	struct sl_meta *m = st->m;
	*dropped = false;
	int rc = m->ops->object_get(m->state, zone, key, &row, NULL);
	if (rc == SL_ENOENT)
		return 0;
	if (rc)
		return sl_err_set(err, rc, "%s/%s: cannot read the index", zone, key);
	if (row.seq < landing_seq)
		return 0; /* the output of an older version of the key: not ours */
	rc = sl_store_remove(&st->lake->store, zone, key, err);
	*dropped = rc == 0;
	return rc;
}

/* ---- the report ------------------------------------------------------------------------ */

static int report_build(struct sl_validate_stage *st, struct sl_buf *b,
			const struct sl_object *landing, const char *codec_name,
			const char *framing_name, const struct sl_vresult *res,
			const struct sl_subject_conf *sc_conf, const struct scan *sc,
			const struct sl_object *raw_obj, const struct sl_object *dl_obj,
			bool whole)
{
	char when[40];
	int rc = 0;
	sl_fmt_time(sl_now_ms(), when, sizeof(when));
	rc |= sl_buf_puts(b, "{\"source\":{\"zone\":\"landing\",\"key\":");
	rc |= sl_buf_json_str(b, landing->key, strlen(landing->key));
	rc |= sl_buf_printf(b,
			    ",\"seq\":%" PRId64 ",\"size\":%" PRId64 ",\"checksum\":\"%s\","
			    "\"codec\":\"%s\",\"framing\":\"%s\"},\"subject\":",
			    landing->seq, landing->size, landing->checksum, codec_name,
			    framing_name);
	if (res->subject[0])
		rc |= sl_buf_json_str(b, res->subject, strlen(res->subject));
	else
		rc |= sl_buf_puts(b, "null");
	if (res->schema_version > 0)
		rc |= sl_buf_printf(b, ",\"schema_version\":%" PRId64, res->schema_version);
	else
		rc |= sl_buf_puts(b, ",\"schema_version\":null");
	rc |= sl_buf_printf(b, ",\"policy\":\"%s\",\"outcome\":\"%s\",\"reason\":", sc_conf->policy,
			    sl_voutcome_names[res->outcome]);
	rc |= sl_buf_json_str(b, res->reason, strlen(res->reason));
	if (res->records >= 0)
		rc |= sl_buf_printf(b,
				    ",\"records\":%" PRId64 ",\"valid_records\":%" PRId64
				    ",\"invalid_records\":%" PRId64,
				    sc->records, sc->valid, sc->invalid);
	else
		rc |= sl_buf_puts(b, ",\"records\":null,\"valid_records\":null,"
				     "\"invalid_records\":null");
	if (raw_obj) {
		rc |= sl_buf_puts(b, ",\"raw\":{\"key\":");
		rc |= sl_buf_json_str(b, raw_obj->key, strlen(raw_obj->key));
		rc |= sl_buf_printf(b, ",\"seq\":%" PRId64 ",\"records\":%" PRId64 "}", raw_obj->seq,
				    res->records_passed);
	} else {
		rc |= sl_buf_puts(b, ",\"raw\":null");
	}
	rc |= sl_buf_puts(b, ",\"dead_letter\":{\"key\":");
	rc |= sl_buf_json_str(b, dl_obj->key, strlen(dl_obj->key));
	rc |= sl_buf_printf(b, ",\"seq\":%" PRId64 ",\"holds\":\"%s\"}", dl_obj->seq,
			    whole ? "the whole object" : "the invalid records");
	rc |= sl_buf_printf(b, ",\"errors\":[%s],\"errors_shown\":%" PRId64
			       ",\"errors_truncated\":%s",
			    sc->errors.data ? sc->errors.data : "", sc->described,
			    sc->described < sc->invalid ? "true" : "false");
	/* where a replayed object came from */
	int64_t id = sl_replay_id(landing->key);
	struct sl_replay rp;
	if (id > 0 && st->m->ops->replay_get(st->m->state, id, &rp, NULL) == 0 &&
	    strcmp(rp.landing_key, landing->key) == 0) {
		char at[40];
		sl_fmt_time(rp.replayed_ms, at, sizeof(at));
		rc |= sl_buf_printf(b, ",\"lineage\":{\"replay_id\":%" PRId64 ",\"replayed_from\":",
				    rp.id);
		rc |= sl_buf_json_str(b, rp.from_key, strlen(rp.from_key));
		rc |= sl_buf_puts(b, ",\"failed_subject\":");
		rc |= sl_buf_json_str(b, rp.subject, strlen(rp.subject));
		rc |= sl_buf_printf(b, ",\"failed_schema_version\":%" PRId64 ",\"failed_reason\":",
				    rp.schema_version);
		rc |= sl_buf_json_str(b, rp.reason, strlen(rp.reason));
		rc |= sl_buf_printf(b, ",\"replayed_at\":\"%s\"}", at);
	}
	rc |= sl_buf_printf(b, ",\"validated_at\":\"%s\",\"validator\":\"sluice %s\"}", when,
			    SLUICE_VERSION);
	return rc ? SL_ENOMEM : 0;
}

/* ---- one message ----------------------------------------------------------------------- */

static int delete_message(struct sl_validate_stage *st, const struct sl_message *msg,
			  struct sl_err *err)
{
	int rc = sl_queue_delete(st->m, SL_VALIDATE_QUEUE, msg->receipt, err);
	return rc == SL_ESTALE ? 0 : rc; /* received again meanwhile: that consumer acks */
}

/* Step 5 (see the top of the file), also used to finish an interrupted one. */
static int finish(struct sl_validate_stage *st, const struct sl_validate_commit *c,
		  bool *first, struct sl_err *err)
{
	struct sl_store *s = &st->lake->store;
	struct sl_meta *m = st->m;
	struct sl_object row;
	int rc = sl_store_key_lock(s, SL_VALIDATE_QUEUE, c->landing_key, err);
	if (rc)
		return rc;
	rc = m->ops->validate_commit(m->state, c, sl_now_ms(), first, err);
	if (rc == 0)
		sl_crash_point("commit");
	if (rc == 0 &&
	    m->ops->object_get(m->state, SL_VALIDATE_QUEUE, c->landing_key, &row, NULL) == 0 &&
	    row.seq == c->landing_seq && strcmp(row.state, SL_STATE_DELETING) == 0) {
		bool seen = false;
		if (m->ops->validate_seen(m->state, c->landing_seq, &seen, NULL) == 0 && seen) {
			struct sl_err rm = {0};
			/* committed: a failure here only delays the removal (recover, fsck) */
			sl_store_remove_finish(s, SL_VALIDATE_QUEUE, c->landing_key, &rm);
		}
	}
	sl_store_key_unlock(s, SL_VALIDATE_QUEUE, c->landing_key);
	return rc;
}

static void set_reason(struct sl_vresult *res, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void set_reason(struct sl_vresult *res, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(res->reason, sizeof(res->reason), fmt, ap);
	va_end(ap);
}

static const char *framing_name(enum sl_json_framing f)
{
	switch (f) {
	case SL_JSON_FRAME_NDJSON: return "ndjson";
	case SL_JSON_FRAME_ARRAY: return "array";
	case SL_JSON_FRAME_DOCUMENT: return "document";
	default: return "auto";
	}
}

int sl_validate_handle(struct sl_validate_stage *st, const struct sl_message *msg,
		       struct sl_vresult *res, struct sl_err *err)
{
	struct sl_meta *m = st->m;
	struct sl_object landing, raw_obj, dl_obj;
	struct scan sc;
	struct sl_buf report;
	struct centry *schema = NULL;
	enum sl_json_framing framing = SL_JSON_FRAME_AUTO;
	const char *codec_name = "plain";
	bool have_raw = false, have_dl = false, whole = true;
	int fd = -1, rc;

	memset(res, 0, sizeof(*res));
	res->records = -1;
	scan_init(&sc);
	sl_buf_init(&report, 0);
	st->receipt = msg->receipt;
	st->hb_ms = sl_mono_ms();

	/* 1. which landing object version */
	if (!parse_event(msg->body, res->key, sizeof(res->key), &res->landing_seq, res->reason,
			 sizeof(res->reason))) {
		res->outcome = SL_VOUT_SKIPPED;
		rc = delete_message(st, msg, err);
		goto done;
	}
	rc = m->ops->object_get(m->state, SL_VALIDATE_QUEUE, res->key, &landing, err);
	if (rc == SL_ENOENT || (rc == 0 && landing.seq != res->landing_seq) ||
	    (rc == 0 && strcmp(landing.state, SL_STATE_PRESENT) != 0)) {
		res->outcome = SL_VOUT_SKIPPED;
		if (rc == SL_ENOENT)
			set_reason(res, "landing/%s is gone (handled already, or removed)", res->key);
		else if (landing.seq > res->landing_seq)
			set_reason(res, "landing/%s was replaced by a newer version (seq %" PRId64
					"), which has its own event",
				   res->key, landing.seq);
		else if (landing.seq != res->landing_seq)
			set_reason(res, "landing/%s is at seq %" PRId64 ", not %" PRId64, res->key,
				   landing.seq, res->landing_seq);
		else if (strcmp(landing.state, SL_STATE_DELETING) == 0)
			set_reason(res, "landing/%s was handled already", res->key);
		else
			set_reason(res, "landing/%s is %s (see sluice fsck)", res->key,
				   landing.state);
		/* a committed handling whose removal was cut short: finish it */
		struct sl_validate_commit c = {.landing_seq = res->landing_seq,
					       .landing_key = res->key,
					       .subject = "",
					       .outcome = "skipped",
					       .queue = SL_VALIDATE_QUEUE,
					       .receipt = msg->receipt};
		bool first;
		/* validate_commit counts nothing for a version that is gone or was counted;
		 * for a present one that was never handled it must not run: only ack */
		if (rc == 0 && strcmp(landing.state, SL_STATE_DELETING) == 0)
			rc = finish(st, &c, &first, err);
		else
			rc = delete_message(st, msg, err);
		goto done;
	}
	if (rc)
		goto done;

	/* 2. subject and schema */
	const struct sl_subject_conf *conf = &st->lake->cfg.validate.defaults;
	char why[512] = "";
	int have_subject = sl_validate_route(&st->lake->cfg, res->key, res->subject,
					      sizeof(res->subject), &framing);
	int no_schema = 0;
	if (!have_subject) {
		no_schema = 1;
		snprintf(why, sizeof(why),
			 "no subject for key '%.300s': no route matches it and its first folder is "
			 "not a subject name",
			 res->key);
	} else {
		conf = sl_config_subject(&st->lake->cfg, res->subject);
		no_schema = schema_for(st, res->subject, conf->version, &schema, why, sizeof(why),
				       err);
		if (no_schema < 0) {
			rc = no_schema;
			goto done;
		}
		if (schema)
			res->schema_version = schema->version;
	}

	if ((rc = sl_store_open_fd(&st->lake->store, SL_VALIDATE_QUEUE, res->key, &fd, &landing,
				   err)) != 0)
		goto done;
	unsigned char head[4];
	ssize_t n_head = pread(fd, head, sizeof(head), 0);
	codec_name = sl_codec_sniff(head, n_head > 0 ? (size_t)n_head : 0)->name;

	/* 3, 4: read, decide, write */
	if (no_schema && have_subject && conf->pass_through > 0) {
		res->outcome = SL_VOUT_PASS_THROUGH;
		set_reason(res, "%s; passed through unchecked (validate pass_through)", why);
		if ((rc = put_whole(st, &landing, "raw", &raw_obj, err)) != 0)
			goto done;
		have_raw = true;
	} else if (no_schema) {
		res->outcome = SL_VOUT_NO_SCHEMA;
		set_reason(res, "%s", why);
	} else {
		if ((rc = pass1(st, fd, res->key, framing, schema, &sc, err)) != 0)
			goto done;
		res->records = sc.records;
		if (sc.fatal) {
			res->outcome = SL_VOUT_UNDECODABLE;
			res->records = -1;
			set_reason(res, "cannot be decoded: %s (line %" PRId64 ", byte %" PRId64 ")",
				   sc.fatal_err.msg, sc.fatal_err.pos.line, sc.fatal_err.pos.offset);
		} else if (sc.invalid == 0) {
			res->outcome = SL_VOUT_PASSED;
			set_reason(res, "all %" PRId64 " records valid", sc.records);
		} else if (!sc.any_json) {
			res->outcome = SL_VOUT_UNDECODABLE;
			set_reason(res, "not JSON: no record of %" PRId64 " could be parsed",
				   sc.records);
		} else if (sc.valid == 0) {
			res->outcome = SL_VOUT_INVALID;
			set_reason(res, "all %" PRId64 " records invalid", sc.records);
		} else if (strcmp(conf->policy, "quarantine") == 0) {
			res->outcome = SL_VOUT_QUARANTINED;
			set_reason(res, "%" PRId64 " of %" PRId64 " records invalid; policy quarantine",
				   sc.invalid, sc.records);
		} else if (sc.unheld) {
			res->outcome = SL_VOUT_QUARANTINED;
			set_reason(res,
				   "%" PRId64 " of %" PRId64 " records invalid; record %" PRId64
				   " is over validate.limits.max_record and cannot be split out",
				   sc.invalid, sc.records, sc.unheld_index);
		} else {
			res->outcome = SL_VOUT_SPLIT;
			set_reason(res, "%" PRId64 " of %" PRId64 " records invalid", sc.invalid,
				   sc.records);
		}
		if (res->outcome == SL_VOUT_PASSED) {
			if ((rc = put_whole(st, &landing, "raw", &raw_obj, err)) != 0)
				goto done;
			have_raw = true;
		} else if (res->outcome == SL_VOUT_SPLIT) {
			if ((rc = pass2(st, fd, &landing, schema, &sc, &raw_obj, &dl_obj, err)) != 0)
				goto done;
			have_raw = have_dl = true;
			whole = false;
		}
	}
	if (res->outcome != SL_VOUT_PASSED && res->outcome != SL_VOUT_PASS_THROUGH &&
	    res->outcome != SL_VOUT_SPLIT) {
		if ((rc = put_whole(st, &landing, "deadletter", &dl_obj, err)) != 0)
			goto done;
		have_dl = true;
	}
	switch (res->outcome) {
	case SL_VOUT_PASSED:
		res->records_passed = sc.records;
		break;
	case SL_VOUT_SPLIT:
		res->records_passed = sc.valid;
		res->records_failed = sc.invalid;
		break;
	case SL_VOUT_INVALID:
	case SL_VOUT_QUARANTINED:
		res->records_failed = sc.records;
		break;
	case SL_VOUT_UNDECODABLE:
		/* "not JSON": the records were read (none parsed); a broken stream: unknown */
		res->records_failed = res->records >= 0 ? sc.records : 0;
		break;
	default:
		break; /* records not read (no schema, pass-through) */
	}

	/* outputs of an earlier attempt that this one did not produce */
	bool dropped_dl = false, dropped_raw = false;
	if (!have_raw && (rc = drop_stale(st, "raw", res->key, landing.seq, &dropped_raw, err)))
		goto done;
	if (!have_dl &&
	    (rc = drop_stale(st, "deadletter", res->key, landing.seq, &dropped_dl, err)))
		goto done;

	/* 5. commit */
	struct sl_deadletter dl;
	if (have_dl) {
		if ((rc = report_build(st, &report, &landing, codec_name,
				       framing_name(sc.read ? sc.framing : framing), res, conf,
				       &sc, have_raw ? &raw_obj : NULL, &dl_obj, whole)) != 0) {
			sl_err_set(err, rc, "report: out of memory");
			goto done;
		}
		memset(&dl, 0, sizeof(dl));
		snprintf(dl.key, sizeof(dl.key), "%s", dl_obj.key);
		dl.seq = dl_obj.seq;
		snprintf(dl.landing_key, sizeof(dl.landing_key), "%s", landing.key);
		dl.landing_seq = landing.seq;
		snprintf(dl.subject, sizeof(dl.subject), "%s", res->subject);
		dl.schema_version = res->schema_version;
		snprintf(dl.outcome, sizeof(dl.outcome), "%s", sl_voutcome_names[res->outcome]);
		snprintf(dl.reason, sizeof(dl.reason), "%s", res->reason);
		dl.records = res->records;
		dl.bad_records = res->records >= 0 ? sc.invalid : -1;
		dl.created_ms = dl_obj.created_ms;
		dl.report = report.data;
	}
	enum sl_vkind kind = res->outcome == SL_VOUT_PASSED || res->outcome == SL_VOUT_PASS_THROUGH
				     ? SL_VKIND_PASSED
			     : res->outcome == SL_VOUT_SPLIT ? SL_VKIND_SPLIT
							    : SL_VKIND_FAILED;
	struct sl_validate_commit c = {
		.landing_seq = landing.seq,
		.landing_key = landing.key,
		.subject = res->subject,
		.schema_version = res->schema_version,
		.outcome = sl_voutcome_names[res->outcome],
		.kind = kind,
		.records_passed = res->records_passed,
		.records_failed = res->records_failed,
		.dl = have_dl ? &dl : NULL,
		.dl_forget = dropped_dl ? res->key : NULL,
		.queue = SL_VALIDATE_QUEUE,
		.receipt = msg->receipt,
	};
	sl_crash_point("outputs");
	rc = finish(st, &c, &res->counted, err);
done:
	if (fd >= 0)
		close(fd);
	st->receipt = NULL;
	scan_release(&sc);
	sl_buf_release(&report);
	if (rc == 0 && ++st->n_handled % 1000 == 0)
		m->ops->validate_prune(m->state, NULL);
	return rc;
}

/* ---- recovery and the loop ----------------------------------------------------------- */

struct recover_ctx {
	struct sl_validate_stage *st;
	int64_t seqs[256];
	char (*keys)[SL_KEY_MAX + 1];
	size_t n;
};

static int recover_one(void *ctx, const struct sl_object *obj)
{
	struct recover_ctx *rc = ctx;
	bool seen = false;
	if (strcmp(obj->state, SL_STATE_DELETING) != 0 || rc->n == 256)
		return 0;
	if (rc->st->m->ops->validate_seen(rc->st->m->state, obj->seq, &seen, NULL) != 0 || !seen)
		return 0;
	rc->seqs[rc->n] = obj->seq;
	memcpy(rc->keys[rc->n++], obj->key, SL_KEY_MAX + 1);
	return 0;
}

int sl_validate_recover(struct sl_validate_stage *st, struct sl_err *err)
{
	struct sl_meta *m = st->m;
	struct recover_ctx ctx = {.st = st};
	int rc;
	ctx.keys = malloc(256 * sizeof(*ctx.keys));
	if (!ctx.keys)
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	for (;;) {
		ctx.n = 0;
		if ((rc = m->ops->object_list(m->state, SL_VALIDATE_QUEUE, NULL, recover_one, &ctx,
					      err)) != 0)
			break;
		for (size_t i = 0; i < ctx.n; i++) {
			struct sl_validate_commit c = {.landing_seq = ctx.seqs[i],
						       .landing_key = ctx.keys[i],
						       .subject = "",
						       .outcome = "skipped"};
			bool first;
			if ((rc = finish(st, &c, &first, err)) != 0)
				goto out;
		}
		if (ctx.n < 256)
			break;
	}
	if (rc == 0)
		rc = m->ops->validate_prune(m->state, err);
out:
	free(ctx.keys);
	return rc;
}

int sl_validate_run(struct sl_validate_stage *st, const struct sl_vrun_opts *opts,
		    struct sl_vtotals *totals, struct sl_err *err)
{
	struct sl_meta *m = st->m;
	int rc;
	memset(totals, 0, sizeof(*totals));
	if ((rc = sl_validate_recover(st, err)) != 0)
		return rc;
	bool wait = !opts->drain;
	while (!(opts->stop && *opts->stop)) {
		if (opts->max_objects > 0 && totals->messages >= opts->max_objects)
			break;
		struct sl_message msg;
		size_t n = 0;
		/* a long poll when idle; a drain first looks whether anything is left at all */
		rc = sl_queue_receive(m, SL_VALIDATE_QUEUE, 1, -1, wait ? 1000 : 0, &msg, &n, err);
		if (rc == SL_EBUSY)
			continue; /* another process held the store for busy_timeout: try again */
		if (rc)
			return rc;
		if (n == 0) {
			if (!opts->drain)
				continue;
			struct sl_queue_stats qs;
			if ((rc = m->ops->queue_stats(m->state, SL_VALIDATE_QUEUE, sl_now_ms(), &qs,
						      err)) != 0)
				return rc;
			if (qs.visible + qs.in_flight + qs.delayed == 0)
				break;
			wait = true; /* messages in flight elsewhere, or delayed, may come back */
			continue;
		}
		wait = !opts->drain;
		struct sl_vresult res;
		struct sl_err herr = {0};
		rc = sl_validate_handle(st, &msg, &res, &herr);
		totals->messages++;
		if (rc) {
			totals->failures++;
			/* try again later, later each time; redrive ends it after
			 * max_receive_count receives */
			int shift = msg.receive_count > 10 ? 10 : (int)msg.receive_count - 1;
			int64_t delay = (int64_t)1000 << (shift < 0 ? 0 : shift);
			if (st->vt_ms > 0 && delay > st->vt_ms)
				delay = st->vt_ms;
			sl_queue_change_visibility(m, SL_VALIDATE_QUEUE, msg.receipt, delay, NULL);
		} else {
			totals->by_outcome[res.outcome]++;
		}
		if (opts->report)
			opts->report(opts->ctx, &res, rc ? &herr : NULL);
		sl_message_release(&msg);
	}
	return 0;
}
