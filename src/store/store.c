/*
 * store.c - the object store over a backend and the metadata store.
 *
 * Order of a put (promise 2 of store.h): bytes to a temp file -> fsync -> rename onto the
 * key -> fsync directory -> one metadata transaction (index row + object-created event).
 * A crash before the transaction leaves a file without an index row, which fsck indexes
 * and events; it never leaves an index row or an event without its bytes.
 */
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/fs.h"
#include "util/hash.h"

#define IO_CHUNK (1 << 20)

int sl_store_open(struct sl_store *s, const struct sl_store_ops *ops, const char *lake_root,
		  const struct sl_store_opts *opts, struct sl_meta *meta, struct sl_err *err)
{
	s->ops = ops;
	s->meta = meta;
	s->state = NULL;
	s->max_object_size = 0;
	return ops->open(lake_root, opts, &s->state, err);
}

void sl_store_close(struct sl_store *s)
{
	if (s && s->ops && s->state)
		s->ops->close(s->state);
	if (s)
		s->state = NULL;
}

/* Reads up to cap bytes; 0 at EOF. A source that is not a file descriptor (put_mem)
 * passes fd = -1 and its bytes through mem. */
struct source {
	int fd;
	const char *mem;
	size_t mem_len, mem_off;
};

static int source_read(struct source *src, char *buf, size_t cap, size_t *n,
		       struct sl_err *err)
{
	if (src->fd < 0) {
		size_t left = src->mem_len - src->mem_off;
		*n = left < cap ? left : cap;
		memcpy(buf, src->mem + src->mem_off, *n);
		src->mem_off += *n;
		return 0;
	}
	for (;;) {
		ssize_t got = read(src->fd, buf, cap);
		if (got >= 0) {
			*n = (size_t)got;
			return 0;
		}
		if (errno != EINTR)
			return sl_err_errno(err, errno, "read input");
	}
}

static int key_lock(struct sl_store *s, const char *zone, const char *key, struct sl_err *err)
{
	return s->meta->ops->key_lock(s->meta->state, zone, key, err);
}

static void key_unlock(struct sl_store *s, const char *zone, const char *key)
{
	s->meta->ops->key_unlock(s->meta->state, zone, key);
}

struct sl_store_writer {
	struct sl_store *s;
	void *w; /* the backend's writer */
	struct sl_hasher h;
	int64_t size;
	char zone[SL_ZONE_MAX];
	char key[SL_KEY_MAX + 1];
	char content_type[SL_CONTENT_TYPE_MAX];
};

void sl_store_writer_abort(struct sl_store_writer *w)
{
	if (!w)
		return;
	if (w->w)
		w->s->ops->put_abort(w->w);
	sl_hasher_release(&w->h);
	free(w);
}

int sl_store_writer_open(struct sl_store *s, const char *zone, const char *key,
			 const char *content_type, struct sl_store_writer **out,
			 struct sl_err *err)
{
	struct sl_store_writer *w;
	int rc;

	*out = NULL;
	if (sl_zone_from_name(zone) < 0)
		return sl_err_set(err, SL_EKEY, "unknown zone '%s'", zone);
	if ((rc = sl_key_check(key, err)) != 0)
		return rc;
	if (!(w = calloc(1, sizeof(*w))) || sl_hasher_init(&w->h) != 0) {
		free(w);
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	}
	w->s = s;
	snprintf(w->zone, sizeof(w->zone), "%s", zone);
	snprintf(w->key, sizeof(w->key), "%s", key);
	snprintf(w->content_type, sizeof(w->content_type), "%s",
		 content_type ? content_type : sl_content_type_guess(key));
	if ((rc = s->ops->put_begin(s->state, zone, key, &w->w, err)) != 0) {
		w->w = NULL;
		sl_store_writer_abort(w);
		return rc;
	}
	*out = w;
	return 0;
}

int sl_store_writer_write(struct sl_store_writer *w, const void *data, size_t len,
			  struct sl_err *err)
{
	w->size += (int64_t)len;
	if (w->s->max_object_size > 0 && w->size > w->s->max_object_size)
		return sl_err_set(err, SL_ELIMIT,
				  "%s/%s: larger than store.max_object_size (%lld bytes)", w->zone,
				  w->key, (long long)w->s->max_object_size);
	sl_hasher_update(&w->h, data, len);
	return w->s->ops->put_write(w->w, data, len, err);
}

/* Publishes the backend writer bw (consumed) as obj (zone, key, size, checksum and
 * content type set) and indexes it, under the key's lock: two puts of one key commit in
 * the order their files were renamed into place, so the index describes the file on
 * disk. */
static int publish_and_index(struct sl_store *s, void *bw, struct sl_object *obj,
			     struct sl_err *err)
{
	int rc = key_lock(s, obj->zone, obj->key, err);
	if (rc) {
		s->ops->put_abort(bw);
		return rc;
	}
	rc = s->ops->put_publish(bw, &obj->fp, err);
	void *published = rc == 0 ? bw : NULL; /* a failed publish undoes itself */
	if (published) {
		obj->created_ms = sl_now_ms();
		rc = s->meta->ops->object_commit(s->meta->state, obj, obj->zone, err);
		/* Keep the new object, or (not indexed, so not put) put back the one it
		 * replaced: a failed overwrite must not lose the previous version. */
		struct sl_err undo = {0};
		if (s->ops->put_finish(published, rc == 0, &undo) != 0 && rc != 0) {
			size_t n = strlen(err->msg);
			snprintf(err->msg + n, sizeof(err->msg) - n, "; then: %s", undo.msg);
		}
	}
	key_unlock(s, obj->zone, obj->key);
	return rc;
}

int sl_store_writer_commit(struct sl_store_writer *w, struct sl_object *out, struct sl_err *err)
{
	struct sl_object *obj = out;
	memset(obj, 0, sizeof(*obj));
	snprintf(obj->zone, sizeof(obj->zone), "%s", w->zone);
	snprintf(obj->key, sizeof(obj->key), "%s", w->key);
	snprintf(obj->content_type, sizeof(obj->content_type), "%s", w->content_type);
	obj->size = w->size;
	sl_hasher_final(&w->h, obj->checksum);
	int rc = publish_and_index(w->s, w->w, obj, err);
	w->w = NULL;
	sl_store_writer_abort(w);
	return rc;
}

int sl_store_put_copy(struct sl_store *s, const struct sl_object *from, const char *zone,
		      const char *key, struct sl_object *out, struct sl_err *err)
{
	struct sl_fingerprint fp;
	void *bw = NULL;
	int rc;

	if (sl_zone_from_name(zone) < 0)
		return sl_err_set(err, SL_EKEY, "unknown zone '%s'", zone);
	if ((rc = sl_key_check(key, err)) != 0)
		return rc;
	if (!s->ops->put_link) {
		/* a backend that cannot link: stream the bytes through a put */
		int fd;
		struct sl_object row;
		if ((rc = sl_store_open_fd(s, from->zone, from->key, &fd, &row, err)) != 0)
			return rc;
		rc = sl_store_put_fd(s, zone, key, fd, from->content_type, out, err);
		close(fd);
		return rc;
	}
	if ((rc = s->ops->put_link(s->state, from->zone, from->key, zone, key, &bw, &fp, err)) != 0)
		return rc;
	if (fp.size != from->fp.size || fp.inode != from->fp.inode ||
	    fp.mtime_ns != from->fp.mtime_ns) {
		s->ops->put_abort(bw);
		return sl_err_set(err, SL_ECORRUPT,
				  "%s/%s: the file is not the one the index describes (see sluice "
				  "fsck)",
				  from->zone, from->key);
	}
	memset(out, 0, sizeof(*out));
	snprintf(out->zone, sizeof(out->zone), "%s", zone);
	snprintf(out->key, sizeof(out->key), "%s", key);
	snprintf(out->content_type, sizeof(out->content_type), "%s", from->content_type);
	out->size = from->size;
	snprintf(out->checksum, sizeof(out->checksum), "%s", from->checksum);
	return publish_and_index(s, bw, out, err);
}

static int put_source(struct sl_store *s, const char *zone, const char *key,
		      struct source *src, const char *content_type, struct sl_object *out,
		      struct sl_err *err)
{
	struct sl_store_writer *w = NULL;
	char *buf = malloc(IO_CHUNK);
	int rc;

	if (!buf)
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	if ((rc = sl_store_writer_open(s, zone, key, content_type, &w, err)) != 0)
		goto done;
	for (;;) {
		size_t n = 0;
		if ((rc = source_read(src, buf, IO_CHUNK, &n, err)) != 0)
			goto done;
		if (n == 0)
			break;
		if ((rc = sl_store_writer_write(w, buf, n, err)) != 0)
			goto done;
	}
	rc = sl_store_writer_commit(w, out, err);
	w = NULL;
done:
	sl_store_writer_abort(w);
	free(buf);
	return rc;
}

int sl_store_put_fd(struct sl_store *s, const char *zone, const char *key, int fd,
		    const char *content_type, struct sl_object *out, struct sl_err *err)
{
	struct source src = {.fd = fd};
	return put_source(s, zone, key, &src, content_type, out, err);
}

int sl_store_put_mem(struct sl_store *s, const char *zone, const char *key, const void *data,
		     size_t len, const char *content_type, struct sl_object *out,
		     struct sl_err *err)
{
	struct source src = {.fd = -1, .mem = data, .mem_len = len};
	return put_source(s, zone, key, &src, content_type, out, err);
}

/* Streams zone/key through the hash, and to fd when fd >= 0. */
static int read_object(struct sl_store *s, const char *zone, const char *key, int fd,
		       char sum[SL_HASH_TEXT_MAX], int64_t *size, struct sl_err *err)
{
	struct sl_fingerprint fp;
	struct sl_hasher h = {0};
	void *r = NULL;
	char *buf = malloc(IO_CHUNK);
	int rc;
	*size = 0;
	if (!buf || sl_hasher_init(&h) != 0) {
		rc = sl_err_set(err, SL_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = s->ops->get_open(s->state, zone, key, &r, &fp, err)) != 0)
		goto done;
	for (;;) {
		size_t n = 0;
		if ((rc = s->ops->get_read(r, buf, IO_CHUNK, &n, err)) != 0)
			goto done;
		if (n == 0)
			break;
		*size += (int64_t)n;
		sl_hasher_update(&h, buf, n);
		if (fd >= 0 && (rc = sl_write_all(fd, buf, n, "output", err)) != 0)
			goto done;
	}
	sl_hasher_final(&h, sum);
done:
	if (r)
		s->ops->get_close(r);
	sl_hasher_release(&h);
	free(buf);
	return rc;
}

int sl_store_hash(struct sl_store *s, const char *zone, const char *key, char *sum,
		  int64_t *size, struct sl_err *err)
{
	return read_object(s, zone, key, -1, sum, size, err);
}

int sl_store_get_fd(struct sl_store *s, const char *zone, const char *key, int fd,
		    struct sl_err *err)
{
	struct sl_object obj;
	char sum[SL_HASH_TEXT_MAX];
	int64_t size;
	int rc;

	if ((rc = s->meta->ops->object_get(s->meta->state, zone, key, &obj, err)) != 0)
		return rc;
	if (strcmp(obj.state, SL_STATE_PRESENT) != 0)
		return sl_err_set(err, SL_ECORRUPT, "%s/%s: object is %s (see sluice fsck)", zone,
				  key, obj.state);
	if ((rc = read_object(s, zone, key, fd, sum, &size, err)) != 0)
		return rc;
	if (size != obj.size || strcmp(sum, obj.checksum) != 0)
		return sl_err_set(err, SL_ECORRUPT,
				  "%s/%s: content does not match the index (size %lld, expected "
				  "%lld; %s, expected %s)",
				  zone, key, (long long)size, (long long)obj.size, sum, obj.checksum);
	return 0;
}

int sl_store_open_fd(struct sl_store *s, const char *zone, const char *key, int *fd,
		     struct sl_object *obj, struct sl_err *err)
{
	struct sl_fingerprint fp;
	int rc;

	*fd = -1;
	if (!s->ops->get_fd)
		return sl_err_set(err, SL_EINVAL, "store backend %s cannot give a file descriptor",
				  s->ops->name);
	if ((rc = s->meta->ops->object_get(s->meta->state, zone, key, obj, err)) != 0)
		return rc;
	if (strcmp(obj->state, SL_STATE_PRESENT) != 0)
		return sl_err_set(err, SL_ECORRUPT, "%s/%s: object is %s (see sluice fsck)", zone,
				  key, obj->state);
	if ((rc = s->ops->get_fd(s->state, zone, key, fd, &fp, err)) != 0)
		return rc;
	if (fp.size != obj->fp.size || fp.inode != obj->fp.inode ||
	    fp.mtime_ns != obj->fp.mtime_ns) {
		close(*fd);
		*fd = -1;
		return sl_err_set(err, SL_ECORRUPT,
				  "%s/%s: the file is not the one the index describes (see sluice "
				  "fsck)",
				  zone, key);
	}
	return 0;
}

const char *sl_store_removal_queue(const char *zone)
{
	/* raw and curated are the zones the crawler catalogues: it must learn of removals
	 * to drop their files from the catalog. Nobody consumes removals of the others. */
	if (zone && (strcmp(zone, "raw") == 0 || strcmp(zone, "curated") == 0))
		return zone;
	return NULL;
}

int sl_store_remove(struct sl_store *s, const char *zone, const char *key, struct sl_err *err)
{
	struct sl_object obj;
	struct sl_meta *m = s->meta;
	int rc = key_lock(s, zone, key, err);
	if (rc)
		return rc;
	if ((rc = m->ops->object_get(m->state, zone, key, &obj, err)) != 0)
		goto done;
	if ((rc = m->ops->object_set_state(m->state, zone, key, SL_STATE_DELETING, err)) != 0)
		goto done;
	if ((rc = s->ops->remove(s->state, zone, key, err)) != 0) {
		/* the file is still there: the object stays as it was */
		m->ops->object_set_state(m->state, zone, key, obj.state, NULL);
		goto done;
	}
	rc = m->ops->object_delete(m->state, zone, key, sl_store_removal_queue(zone), err);
done:
	key_unlock(s, zone, key);
	return rc;
}

int sl_store_key_lock(struct sl_store *s, const char *zone, const char *key, struct sl_err *err)
{
	return key_lock(s, zone, key, err);
}

void sl_store_key_unlock(struct sl_store *s, const char *zone, const char *key)
{
	key_unlock(s, zone, key);
}

int sl_store_remove_finish(struct sl_store *s, const char *zone, const char *key,
			   struct sl_err *err)
{
	int rc = s->ops->remove(s->state, zone, key, err);
	return rc ? rc
		  : s->meta->ops->object_delete(s->meta->state, zone, key,
						sl_store_removal_queue(zone), err);
}

int sl_store_adopt(struct sl_store *s, const char *zone, const char *key, bool *adopted,
		   struct sl_object *out, struct sl_err *err)
{
	struct sl_object *obj = out, row;
	struct sl_fingerprint fp;
	int rc = key_lock(s, zone, key, err);
	*adopted = false;
	if (rc)
		return rc;
	/* Under the lock, look again: a put that was between its rename and its commit
	 * when the caller looked has committed by now, and must not be indexed twice. */
	if ((rc = s->ops->stat(s->state, zone, key, &fp, err)) != 0)
		goto done;
	rc = s->meta->ops->object_get(s->meta->state, zone, key, &row, NULL);
	if (rc == 0 && strcmp(row.state, SL_STATE_PRESENT) == 0 && row.fp.size == fp.size &&
	    row.fp.inode == fp.inode && row.fp.mtime_ns == fp.mtime_ns)
		goto done;
	memset(obj, 0, sizeof(*obj));
	if ((rc = read_object(s, zone, key, -1, obj->checksum, &obj->size, err)) != 0)
		goto done;
	obj->fp = fp;
	snprintf(obj->zone, sizeof(obj->zone), "%s", zone);
	snprintf(obj->key, sizeof(obj->key), "%s", key);
	snprintf(obj->content_type, sizeof(obj->content_type), "%s", sl_content_type_guess(key));
	obj->created_ms = sl_now_ms();
	rc = s->meta->ops->object_commit(s->meta->state, obj, zone, err);
	*adopted = rc == 0;
done:
	key_unlock(s, zone, key);
	return rc;
}
