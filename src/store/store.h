/*
 * store.h - the object store: zones of objects addressed by S3-style keys.
 *
 * The store is a backend (where bytes live: a local directory now, S3 later) plus the
 * metadata store (the index and the queues). Promises:
 *   1. A put is atomic: an object is fully present under its key or absent; readers never
 *      see a partial object.
 *   2. A put that returns 0 is durable (object bytes and directory entries fsynced, then
 *      the index row and event committed) and has emitted exactly one object-created event
 *      on its zone's queue.
 *   3. Objects are streamed: memory use does not depend on object size.
 *   4. No key can name anything outside its zone (see key.c for the rules).
 *   5. A removal of a raw or curated object sends exactly one object-removed event
 *      (sl_event_object_removed) on its zone's queue, in the transaction that deletes
 *      its index row (also when fsck finishes an interrupted removal); landing and
 *      deadletter removals send none. A put that overwrites a key is not a removal.
 */
#ifndef SL_STORE_H
#define SL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meta/meta.h"
#include "util/err.h"

enum sl_zone { SL_ZONE_LANDING, SL_ZONE_RAW, SL_ZONE_DEADLETTER, SL_ZONE_CURATED, SL_ZONE_COUNT };

extern const char *const sl_zone_names[SL_ZONE_COUNT];

/* Returns the zone index of name, or -1. */
int sl_zone_from_name(const char *name);

/* Checks key against sluice's key rules; on failure err says which rule and where. */
int sl_key_check(const char *key, struct sl_err *err);

/* Splits "zone/key" into its parts (zone validated, key validated when require_key). */
int sl_zone_key_split(const char *arg, char *zone, size_t zone_cap, const char **key,
		      bool require_key, struct sl_err *err);

/* Guesses a content type from the key's extension. */
const char *sl_content_type_guess(const char *key);

/* ---- backend seam ----------------------------------------------------------------- */

typedef int sl_scan_fn(void *ctx, const char *zone, const char *key,
		       const struct sl_fingerprint *fp);
typedef int sl_scan_odd_fn(void *ctx, const char *zone, const char *path, const char *why);
typedef int sl_temp_fn(void *ctx, const char *name, bool in_use);

struct sl_store_opts {
	bool fsync;
};

struct sl_store_ops {
	const char *name;
	int (*open)(const char *lake_root, const struct sl_store_opts *opts, void **state,
		    struct sl_err *err);
	void (*close)(void *state);
	/* Streaming put: begin, write*, then publish (atomic, durable; keeps what is needed
	 * to undo it) and finish, or abort before publishing. finish(keep=false) puts back
	 * the object the publish replaced (or removes the new one if there was none): what
	 * a put does when its metadata commit fails. A failed publish undoes itself; abort
	 * and finish free the writer. */
	int (*put_begin)(void *state, const char *zone, const char *key, void **writer,
			 struct sl_err *err);
	int (*put_write)(void *writer, const void *data, size_t len, struct sl_err *err);
	int (*put_publish)(void *writer, struct sl_fingerprint *fp, struct sl_err *err);
	int (*put_finish)(void *writer, bool keep, struct sl_err *err);
	void (*put_abort)(void *writer);
	/* Streaming get. */
	int (*get_open)(void *state, const char *zone, const char *key, void **reader,
			struct sl_fingerprint *fp, struct sl_err *err);
	int (*get_read)(void *reader, void *buf, size_t cap, size_t *n, struct sl_err *err);
	void (*get_close)(void *reader);
	/* Optional: a writer (to publish and finish as any other) whose content is the
	 * stored object from_zone/from_key, without copying it (a hard link; S3's
	 * CopyObject); *from_fp is that object's fingerprint. */
	int (*put_link)(void *state, const char *from_zone, const char *from_key,
			const char *zone, const char *key, void **writer,
			struct sl_fingerprint *from_fp, struct sl_err *err);
	/* A read-only file descriptor of the stored object, at its start (optional: a
	 * backend without files may spool to a temporary file). */
	int (*get_fd)(void *state, const char *zone, const char *key, int *fd,
		      struct sl_fingerprint *fp, struct sl_err *err);
	int (*stat)(void *state, const char *zone, const char *key, struct sl_fingerprint *fp,
		    struct sl_err *err); /* SL_ENOENT when absent */
	int (*remove)(void *state, const char *zone, const char *key, struct sl_err *err);
	/* Every stored object of a zone (fsck); entries that are not objects go to odd, and
	 * folders without any object in them (left by an interrupted put or rm) to empty. */
	int (*scan)(void *state, const char *zone, sl_scan_fn *fn, sl_scan_odd_fn *odd,
		    sl_scan_odd_fn *empty, void *ctx, struct sl_err *err);
	/* Removes the folder zone/path if it holds nothing but empty folders, and then its
	 * parents while they are empty. */
	int (*prune)(void *state, const char *zone, const char *path, struct sl_err *err);
	/* Temporary files of unfinished puts; with remove, deletes those no process holds. */
	int (*temp_scan)(void *state, bool remove, sl_temp_fn *fn, void *ctx,
			 struct sl_err *err);
};

extern const struct sl_store_ops sl_store_local;

struct sl_store {
	const struct sl_store_ops *ops;
	void *state;
	struct sl_meta *meta; /* borrowed */
	int64_t max_object_size; /* 0 = unlimited */
};

int sl_store_open(struct sl_store *s, const struct sl_store_ops *ops, const char *lake_root,
		  const struct sl_store_opts *opts, struct sl_meta *meta, struct sl_err *err);
void sl_store_close(struct sl_store *s);

/* Streams fd (to EOF) into zone/key; fills *out (seq, checksum, ...) on success.
 * content_type NULL = guessed from the key. */
int sl_store_put_fd(struct sl_store *s, const char *zone, const char *key, int fd,
		    const char *content_type, struct sl_object *out, struct sl_err *err);
int sl_store_put_mem(struct sl_store *s, const char *zone, const char *key, const void *data,
		     size_t len, const char *content_type, struct sl_object *out,
		     struct sl_err *err);

/* A put fed piece by piece, for stages that produce an object while reading another:
 * open, write*, then commit (atomic, durable, indexed and evented exactly as
 * sl_store_put_fd) or abort. Several writers may be open at once. commit and abort free
 * the writer (abort accepts NULL). */
struct sl_store_writer;
int sl_store_writer_open(struct sl_store *s, const char *zone, const char *key,
			 const char *content_type, struct sl_store_writer **out,
			 struct sl_err *err);
int sl_store_writer_write(struct sl_store_writer *w, const void *data, size_t len,
			  struct sl_err *err);
int sl_store_writer_commit(struct sl_store_writer *w, struct sl_object *out, struct sl_err *err);
void sl_store_writer_abort(struct sl_store_writer *w);

/* Puts the bytes of the stored object `from` (its index row) under zone/key, as
 * sl_store_put_fd would (durable, indexed, evented), without reading or copying them when
 * the backend can link (local: a hard link, only the new name is fsynced). The content
 * is from's: same size and checksum. SL_ECORRUPT if from's file is not the one its row
 * describes. */
int sl_store_put_copy(struct sl_store *s, const struct sl_object *from, const char *zone,
		      const char *key, struct sl_object *out, struct sl_err *err);

/* Opens zone/key for reading as a file descriptor (caller closes it) after checking that
 * the object is present and that the file is the one its index row describes (size,
 * inode, modification time; SL_ECORRUPT otherwise). *obj gets the index row. */
int sl_store_open_fd(struct sl_store *s, const char *zone, const char *key, int *fd,
		     struct sl_object *obj, struct sl_err *err);

/* Streams zone/key to fd, verifying size and checksum against the index on the way:
 * a mismatch is SL_ECORRUPT (reported after the bytes were written). */
int sl_store_get_fd(struct sl_store *s, const char *zone, const char *key, int fd,
		    struct sl_err *err);

/* Removes zone/key: index row marked deleting, file removed, row deleted together with
 * the object-removed event (promise 5; fsck finishes an interrupted removal, so a crash
 * never resurrects a removed object). */
int sl_store_remove(struct sl_store *s, const char *zone, const char *key, struct sl_err *err);

/* The queue that hears of removals in zone (its own queue for raw and curated, the
 * crawled zones), or NULL: what object_delete is given by the store and by fsck. */
const char *sl_store_removal_queue(const char *zone);

/* For a stage that ends an object inside its own metadata transaction (so that the
 * object's removal commits together with the stage's results): take the key's lock, mark
 * the object 'deleting' in that transaction, then sl_store_remove_finish removes the file
 * and the index row; unlock. fsck finishes a removal a crash interrupts. */
int sl_store_key_lock(struct sl_store *s, const char *zone, const char *key, struct sl_err *err);
void sl_store_key_unlock(struct sl_store *s, const char *zone, const char *key);
int sl_store_remove_finish(struct sl_store *s, const char *zone, const char *key,
			   struct sl_err *err);

/* Reads zone/key through the backend and computes its checksum and size (fsck). */
int sl_store_hash(struct sl_store *s, const char *zone, const char *key, char *checksum,
		  int64_t *size, struct sl_err *err);

/* Indexes the file stored at zone/key as a new version of the object (new sequence
 * number, new object-created event), unless, looked at under the key's lock, the index
 * already describes it (*adopted = false): how fsck adopts a file a crash left behind. */
int sl_store_adopt(struct sl_store *s, const char *zone, const char *key, bool *adopted,
		   struct sl_object *out, struct sl_err *err);

#endif
