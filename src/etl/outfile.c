/*
 * outfile.c - a Parquet file an ETL run or a compaction writes (etl/internal.h): a
 * temporary file of the store backend's streaming put until it is published, hashed as
 * it is written, and the index and catalog rows its commit registers.
 */
#include "etl/internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parquet/reader.h"

int sl_etl_file_stats(struct sl_store *s, const char *zone, const char *key, int64_t rows,
		      char **stats, struct sl_err *err)
{
	struct sl_pq_read_opts po;
	struct sl_pq_reader *pr = NULL;
	struct sl_fingerprint fp;
	struct sl_buf b;
	char name[SL_ZONE_MAX + SL_KEY_MAX + 2];
	int fd = -1, rc;

	*stats = NULL;
	if (!s->ops->get_fd)
		return 0; /* a backend without files: no statistics */
	sl_buf_init(&b, SL_BUF_DEFAULT_MAX);
	snprintf(name, sizeof(name), "%s/%s", zone, key);
	if ((rc = s->ops->get_fd(s->state, zone, key, &fd, &fp, err)) != 0)
		goto done;
	sl_pq_read_opts_default(&po);
	if ((rc = sl_pq_reader_open(fd, name, &po, &pr, err)) != 0)
		goto done;
	if (sl_pq_reader_rows(pr) != rows) {
		rc = sl_err_set(err, SL_ECORRUPT, "%s: %" PRId64 " rows written, %" PRId64
				" read back", name, rows, sl_pq_reader_rows(pr));
		goto done;
	}
	if ((rc = sl_pq_reader_stats_json(pr, &b, err)) != 0)
		goto done;
	*stats = b.data; /* taken */
	b.data = NULL;
done:
	sl_pq_reader_close(pr);
	if (fd >= 0)
		close(fd);
	sl_buf_release(&b);
	return rc;
}

static int sink_write(void *ctx, const void *p, size_t len, struct sl_err *err)
{
	struct sl_etl_outfile *f = ctx;
	int rc = f->s->ops->put_write(f->bw, p, len, err);
	if (rc == 0) {
		sl_hasher_update(&f->h, p, len);
		f->size += (int64_t)len;
	}
	return rc;
}

int sl_etl_outfile_open(struct sl_store *s, const char *part, const char *key,
			struct sl_etl_outfile **out, struct sl_err *err)
{
	struct sl_etl_outfile *f = calloc(1, sizeof(*f));
	int rc;
	*out = NULL;
	if (!f)
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	f->s = s;
	snprintf(f->part, sizeof(f->part), "%s", part);
	if (strlen(key) > SL_KEY_MAX) {
		rc = sl_err_set(err, SL_EKEY, "partition %s: the file's key would be longer than "
				"%d bytes", part, SL_KEY_MAX);
		goto fail;
	}
	snprintf(f->key, sizeof(f->key), "%s", key);
	if ((rc = sl_key_check(f->key, err)) != 0)
		goto fail;
	if (sl_hasher_init(&f->h) != 0) {
		rc = sl_err_set(err, SL_ENOMEM, "out of memory");
		goto fail;
	}
	f->hashing = true;
	if ((rc = s->ops->put_begin(s->state, "curated", f->key, &f->bw, err)) != 0) {
		f->bw = NULL;
		goto fail;
	}
	f->sink.ctx = f;
	f->sink.write = sink_write;
	*out = f;
	return 0;
fail:
	sl_etl_outfile_free(f);
	return rc;
}

void sl_etl_outfile_seal(struct sl_etl_outfile *f)
{
	sl_hasher_final(&f->h, f->checksum);
	f->hashing = false;
}

int sl_etl_outfile_publish(struct sl_etl_outfile *f, struct sl_err *err)
{
	int rc = f->s->ops->put_publish(f->bw, &f->fp, err);
	if (rc) {
		f->bw = NULL; /* a failed publish undoes itself and frees the writer */
		return rc;
	}
	f->published = true;
	return sl_etl_file_stats(f->s, "curated", f->key, f->rows, &f->stats, err);
}

void sl_etl_outfile_rows(const struct sl_etl_outfile *f, const char *table,
			 int64_t schema_version, int64_t now_ms, struct sl_object *o,
			 struct sl_cat_file *cf)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->zone, sizeof(o->zone), "curated");
	snprintf(o->key, sizeof(o->key), "%s", f->key);
	o->size = f->size;
	snprintf(o->checksum, sizeof(o->checksum), "%s", f->checksum);
	snprintf(o->content_type, sizeof(o->content_type), SL_ETL_CONTENT_PARQUET);
	o->created_ms = now_ms;
	o->fp = f->fp;
	snprintf(o->state, sizeof(o->state), SL_STATE_PRESENT);
	if (!cf)
		return;
	memset(cf, 0, sizeof(*cf));
	snprintf(cf->zone, sizeof(cf->zone), "curated");
	snprintf(cf->key, sizeof(cf->key), "%s", f->key);
	snprintf(cf->db, sizeof(cf->db), "curated");
	snprintf(cf->table, sizeof(cf->table), "%s", table);
	snprintf(cf->part, sizeof(cf->part), "%s", f->part);
	snprintf(cf->format, sizeof(cf->format), "parquet");
	cf->records = f->rows;
	cf->bytes = f->size;
	cf->schema_version = schema_version;
	snprintf(cf->state, sizeof(cf->state), SL_CAT_FILE_ACTIVE);
	cf->stats = f->stats; /* borrowed */
	cf->crawled_ms = now_ms;
}

void sl_etl_outfile_free(struct sl_etl_outfile *f)
{
	if (!f)
		return;
	if (f->bw) {
		/* published but not committed: take it back; not published: drop it */
		if (f->published)
			f->s->ops->put_finish(f->bw, false, NULL);
		else
			f->s->ops->put_abort(f->bw);
	}
	if (f->hashing)
		sl_hasher_release(&f->h);
	free(f->stats);
	free(f);
}
