/*
 * scan.c - reading one object for the crawler: its row type, its record count, and for
 * Parquet its column statistics.
 *
 * JSON objects are streamed through the JSON engine's reader (gzip and zstd decoded on
 * the way, NDJSON or array framing as the validator routes the key), so memory is
 * bounded by the record limits and the number of distinct paths, never by the object's
 * size. Records that start within the first sample_bytes decoded bytes are inferred
 * (types/infer.h: conflicts typed string, members that never held a value left out);
 * past that point records are only counted, by a newline scan for NDJSON (the JSON
 * engine's sl_json_reader_count_rest), so that a large object costs little more than
 * reading its bytes. Parquet objects are read from their footer only: the row type the
 * file was written with, row counts, and per-column statistics.
 *
 * Promises:
 *   1. Any bytes give a result or an error saying what and where ("raw/a.ndjson:17:4:
 *      ..."), never a crash: SL_ECORRUPT (not JSON, broken compression, bad Parquet),
 *      SL_EINVAL (a record that is not an object, a type that cannot be a row),
 *      SL_ELIMIT (over a record or inference limit) mean the object cannot be catalogued;
 *      SL_ESTALE means the object is no longer the version asked for; anything else
 *      (I/O, memory) may pass.
 *   2. An object with no records has the empty row type struct<> and adds nothing when
 *      merged.
 *   3. Conflicts seen inside the object come back as changes of kind SL_CHANGE_CONFLICT:
 *      path (JSON pointer), `from` the first kind seen, `to` the other kind and the
 *      0-based record that showed it ("string, record 17"), applied (typed string).
 */
#include "crawl/crawl.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parquet/reader.h"
#include "store/store.h"
#include "types/infer.h"
#include "validate/validate.h"

void sl_crawl_scan_release(struct sl_crawl_scan *s)
{
	if (!s)
		return;
	sl_type_free(s->type);
	free(s->stats);
	sl_type_changes_release(&s->conflicts);
	memset(s, 0, sizeof(*s));
}

/* Does t hold a map anywhere (inference makes one only for a map disguised as a
 * struct)? */
static bool has_map(const struct sl_type *t)
{
	if (!t)
		return false;
	if (t->kind == SL_T_MAP)
		return true;
	if (t->kind == SL_T_LIST)
		return has_map(t->elem);
	for (size_t i = 0; t->kind == SL_T_STRUCT && i < t->n_fields; i++)
		if (has_map(t->fields[i].type))
			return true;
	return false;
}

static const char *tok_word(uint8_t type)
{
	switch (type) {
	case SL_JSON_NULL: return "null";
	case SL_JSON_FALSE: case SL_JSON_TRUE: return "boolean";
	case SL_JSON_INT: case SL_JSON_BIGINT: case SL_JSON_DOUBLE: return "number";
	case SL_JSON_STRING: return "string";
	case SL_JSON_ARRAY: return "array";
	default: return "value";
	}
}

/* A reader error as the scan's: where it is, and whether the object is at fault. */
static int json_fail(const struct sl_object *obj, const struct sl_json_error *e,
		     struct sl_err *err)
{
	int code = e->code;
	if (code != SL_EIO && code != SL_ENOMEM && code != SL_ELIMIT)
		code = SL_ECORRUPT;
	return sl_err_set(err, code, "%s/%s:%" PRId64 ":%" PRId64 ": %s", obj->zone, obj->key,
			  e->pos.line, e->pos.column, e->msg);
}

static int add_conflicts(const struct sl_infer *inf, struct sl_type_changes *out,
			 struct sl_err *err)
{
	size_t n = 0;
	const struct sl_infer_conflict *c = sl_infer_conflicts(inf, &n);
	size_t max = out->max ? out->max : 1000;
	for (size_t i = 0; i < n; i++) {
		if (out->n >= max) {
			out->dropped++;
			continue;
		}
		if (out->n == out->cap) {
			size_t cap = out->cap ? out->cap * 2 : 8;
			void *v = realloc(out->v, cap * sizeof(*out->v));
			if (!v)
				return sl_err_set(err, SL_ENOMEM, "out of memory");
			out->v = v;
			out->cap = cap;
		}
		struct sl_type_change *ch = &out->v[out->n];
		memset(ch, 0, sizeof(*ch));
		ch->kind = SL_CHANGE_CONFLICT;
		ch->path = strdup(c[i].path);
		if (!ch->path)
			return sl_err_set(err, SL_ENOMEM, "out of memory");
		snprintf(ch->from, sizeof(ch->from), "%s", c[i].a);
		snprintf(ch->to, sizeof(ch->to), "%s, record %" PRId64, c[i].b, c[i].record);
		ch->applied = true;
		out->n++;
	}
	return 0;
}

static int scan_json(struct sl_lake *lake, int fd, const struct sl_object *obj,
		     const struct sl_crawl_scan_opts *o, struct sl_crawl_scan *out,
		     struct sl_err *err)
{
	struct sl_json_limits lim;
	struct sl_json_reader *r = NULL;
	struct sl_infer *inf = NULL;
	struct sl_json_error e;
	struct sl_err ierr = {0};
	enum sl_json_framing framing = SL_JSON_FRAME_AUTO;
	char name[SL_ZONE_MAX + SL_KEY_MAX + 2];
	int rc;

	sl_json_limits_default(&lim);
	if (o->max_depth > 0)
		lim.max_depth = (uint32_t)o->max_depth;
	if (o->max_record > 0)
		lim.max_record = (size_t)o->max_record;
	if (o->max_string > 0)
		lim.max_string = (size_t)o->max_string;
	/* the raw zone holds what the validator wrote: read it with the framing the
	 * validator's route gives the key (a document stays a document) */
	if (strcmp(obj->zone, "raw") == 0) {
		char subject[SL_SUBJECT_NAME_MAX];
		sl_validate_route(&lake->cfg, obj->key, subject, sizeof(subject), &framing);
	}
	snprintf(name, sizeof(name), "%s/%s", obj->zone, obj->key);
	if ((rc = sl_json_reader_open(fd, name, framing, &lim, &r, err)) != 0)
		return rc;
	if (o->count_only) {
		e.code = 0;
		if ((rc = sl_json_reader_count_rest(r, &out->records, &e)) != 0)
			rc = json_fail(obj, &e, err);
		goto done;
	}
	struct sl_infer_opts io;
	sl_infer_opts_default(&io);
	io.conflict_kind = SL_T_STRING;
	/* a column that only ever held null or [] waits for a value to show its type,
	 * instead of being typed json now, which would absorb every later type */
	io.omit_unknown = true;
	if (o->max_struct_fields > 0)
		io.max_struct_fields = o->max_struct_fields;
	if (!(inf = sl_infer_new(&io))) {
		rc = sl_err_set(err, SL_ENOMEM, "out of memory");
		goto done;
	}
	for (;;) {
		struct sl_json_doc doc;
		int got = sl_json_reader_next(r, &doc, &e);
		if (got == 0)
			break;
		if (got < 0) {
			rc = json_fail(obj, &e, err);
			goto done;
		}
		out->records++;
		if (o->sample_bytes > 0 && doc.pos.offset >= o->sample_bytes) {
			/* past the sample: only count (this record is counted above) */
			if ((rc = sl_json_reader_count_rest(r, &out->records, &e)) != 0) {
				rc = json_fail(obj, &e, err);
				goto done;
			}
			break;
		}
		if (doc.n_tok == 0 || doc.tok[0].type != SL_JSON_OBJECT) {
			rc = sl_err_set(err, SL_EINVAL,
					"%s:%" PRId64 ":%" PRId64 ": record %" PRId64
					" is a%s %s, not an object (a row needs one)",
					name, doc.pos.line, doc.pos.column, doc.pos.record,
					doc.n_tok && doc.tok[0].type == SL_JSON_ARRAY ? "n" : "",
					doc.n_tok ? tok_word(doc.tok[0].type) : "value");
			goto done;
		}
		if ((rc = sl_infer_add(inf, &doc, &ierr)) != 0) {
			rc = sl_err_set(err, rc, "%s:%" PRId64 ":%" PRId64 ": %s", name,
					doc.pos.line, doc.pos.column, ierr.msg);
			goto done;
		}
		out->sampled++;
	}
	if (out->sampled == 0) {
		out->type = sl_type_new(SL_T_STRUCT, false);
		if (!out->type)
			rc = sl_err_set(err, SL_ENOMEM, "out of memory");
		goto done;
	}
	if (!(out->type = sl_infer_row_type(inf, &ierr))) {
		rc = sl_err_set(err, ierr.code == SL_ENOMEM ? SL_ENOMEM : SL_EINVAL, "%s: %s", name,
				ierr.msg);
		goto done;
	}
	if ((rc = add_conflicts(inf, &out->conflicts, err)) != 0)
		goto done;
	out->map_detected = has_map(out->type);
done:
	sl_infer_free(inf);
	sl_json_reader_close(r);
	return rc;
}

static int scan_parquet(int fd, const struct sl_object *obj, const struct sl_crawl_scan_opts *o,
			struct sl_crawl_scan *out, struct sl_err *err)
{
	struct sl_pq_read_opts po;
	struct sl_pq_reader *pr = NULL;
	struct sl_buf stats;
	char name[SL_ZONE_MAX + SL_KEY_MAX + 2];
	int rc;

	sl_buf_init(&stats, SL_BUF_DEFAULT_MAX);
	snprintf(name, sizeof(name), "%s/%s", obj->zone, obj->key);
	sl_pq_read_opts_default(&po);
	if ((rc = sl_pq_reader_open(fd, name, &po, &pr, err)) != 0)
		goto done;
	out->records = sl_pq_reader_rows(pr);
	if (!o->count_only) {
		const struct sl_type *rt = sl_pq_reader_row_type(pr);
		if (!rt || rt->kind != SL_T_STRUCT) {
			rc = sl_err_set(err, SL_EINVAL, "%s: the file's schema is not a row type",
					name);
			goto done;
		}
		if (!(out->type = sl_type_clone(rt))) {
			rc = sl_err_set(err, SL_ENOMEM, "out of memory");
			goto done;
		}
		out->type->nullable = false;
		out->sampled = out->records;
	}
	if ((rc = sl_pq_reader_stats_json(pr, &stats, err)) != 0)
		goto done;
	out->stats = stats.data; /* taken */
	stats.data = NULL;
done:
	sl_buf_release(&stats);
	sl_pq_reader_close(pr);
	return rc;
}

int sl_crawl_scan_object(struct sl_lake *lake, const struct sl_object *obj,
			 const struct sl_crawl_layout *lay, const struct sl_crawl_scan_opts *o,
			 struct sl_crawl_scan *out, struct sl_err *err)
{
	struct sl_object row;
	int fd = -1, rc;

	memset(out, 0, sizeof(*out));
	rc = sl_store_open_fd(&lake->store, obj->zone, obj->key, &fd, &row, err);
	if (rc == SL_ENOENT)
		return sl_err_set(err, SL_ESTALE, "%s/%s is gone", obj->zone, obj->key);
	if (rc)
		return rc;
	if (row.seq != obj->seq) {
		rc = sl_err_set(err, SL_ESTALE, "%s/%s is now at seq %" PRId64 ", not %" PRId64,
				obj->zone, obj->key, row.seq, obj->seq);
		goto done;
	}
	out->bytes = row.size;
	if (strcmp(lay->format, "parquet") == 0)
		rc = scan_parquet(fd, obj, o, out, err);
	else
		rc = scan_json(lake, fd, obj, o, out, err);
done:
	close(fd);
	if (rc)
		sl_crawl_scan_release(out);
	return rc;
}
