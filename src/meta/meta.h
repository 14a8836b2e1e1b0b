/*
 * meta.h - the metadata store seam.
 *
 * Everything sluice remembers about a lake (the object index, queues, later the registry,
 * catalog, bookmarks and job runs) goes through one struct of callbacks, so that a
 * PostgreSQL backend can replace the SQLite one without touching the stages. Callbacks
 * are domain operations, not SQL: each is one transaction in the backend.
 *
 * Promises every backend keeps:
 *   1. object_commit records the object and enqueues its object-created event in one
 *      transaction: an object is indexed if and only if its event was sent.
 *   2. Landing sequence numbers are assigned in commit order and never reused, also
 *      after deletes and overwrites (an overwrite gets a new number).
 *   3. While a received message's visibility timeout runs, no other receive (thread or
 *      process) returns it.
 *   4. A message received more than max_receive_count times is moved to the queue's
 *      dead-letter queue instead of being delivered again.
 *   5. A subject's schema versions are numbered 1, 2, 3, ... without gaps or duplicates,
 *      whatever number of writers register at once, and a fingerprint appears at most
 *      once per subject; a stored version is never changed.
 *
 * A handle is used by one thread at a time; open one per thread.
 */
#ifndef SL_META_H
#define SL_META_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "util/buf.h"
#include "util/err.h"

#define SL_KEY_MAX 1024
#define SL_ZONE_MAX 16
#define SL_CHECKSUM_MAX 72 /* "sha256:" + 64 hex + NUL */
#define SL_CONTENT_TYPE_MAX 128
#define SL_RECEIPT_MAX 48
#define SL_MESSAGE_MAX (256 * 1024) /* as SQS */
#define SL_BATCH_MAX 1000

/* Where an object is in its life; see fsck.c for how each is repaired. */
#define SL_STATE_PRESENT "present"
#define SL_STATE_MISSING "missing"   /* indexed, but the file is gone (flagged by fsck) */
#define SL_STATE_DELETING "deleting" /* rm started: the file may still exist */
#define SL_STATE_CORRUPT "corrupt"   /* content no longer matches its checksum */

/* What the store backend says identifies one stored version of an object; fsck compares
 * it with the index to notice a file replaced behind the index's back. */
struct sl_fingerprint {
	int64_t size;
	int64_t inode;
	int64_t mtime_ns;
};

struct sl_object {
	int64_t seq;
	char zone[SL_ZONE_MAX];
	char key[SL_KEY_MAX + 1];
	int64_t size;
	char checksum[SL_CHECKSUM_MAX];
	char content_type[SL_CONTENT_TYPE_MAX];
	int64_t created_ms;
	struct sl_fingerprint fp;
	char state[12];
};

struct sl_message {
	int64_t id;
	char *body; /* owned; freed by sl_message_release */
	int64_t sent_ms;
	int64_t receive_count;
	int64_t first_receive_ms; /* 0 if never received */
	int64_t visible_at_ms;
	char receipt[SL_RECEIPT_MAX];
};

struct sl_queue_stats {
	char name[SL_QUEUE_NAME_MAX];
	char dlq[SL_QUEUE_NAME_MAX]; /* "" if none */
	int64_t visibility_timeout_ms, max_receive_count, retention_ms;
	int64_t visible;   /* can be received now */
	int64_t in_flight; /* received, visibility timeout running */
	int64_t delayed;   /* sent with a delay not yet over */
	int64_t oldest_sent_ms; /* 0 if empty */
};

struct sl_zone_stats {
	int64_t objects, bytes, missing, last_seq;
};

/* ---- the validator's records (migration 3; see docs/validate.md) ---- */

#define SL_SUBJECT_NAME_MAX 129 /* as SL_SUBJECT_MAX in schema/registry.h */
#define SL_OUTCOME_MAX 16

/* What the validator did with one landing object version, committed in one transaction
 * with its counters, its dead-letter row and the end of the landing object. */
enum sl_vkind { SL_VKIND_PASSED, SL_VKIND_SPLIT, SL_VKIND_FAILED };

/* One dead letter: what deadletter/KEY holds and why (the report is JSON text). */
struct sl_deadletter {
	char key[SL_KEY_MAX + 1];
	int64_t seq; /* of the dead-letter object when it was written */
	char landing_key[SL_KEY_MAX + 1];
	int64_t landing_seq;
	char subject[SL_SUBJECT_NAME_MAX]; /* "" when the key has no subject */
	int64_t schema_version;            /* 0 when there was none */
	char outcome[SL_OUTCOME_MAX];      /* split, invalid, quarantined, undecodable, ... */
	char reason[512];                  /* one line for people */
	int64_t records, bad_records;      /* -1 when not known (undecodable, no schema) */
	int64_t created_ms;
	char *report; /* JSON, malloc'd (NULL unless asked for); sl_deadletter_release */
};

struct sl_validate_commit {
	int64_t landing_seq;
	const char *landing_key;
	const char *subject;
	int64_t schema_version;
	const char *outcome;
	enum sl_vkind kind;
	int64_t records_passed, records_failed; /* records written to raw / to deadletter */
	const struct sl_deadletter *dl; /* the dead letter written (with report), or NULL */
	const char *dl_forget; /* a dead-letter key whose row goes (an earlier attempt's), or NULL */
	const char *queue, *receipt; /* the message to delete with it, or NULL */
};

struct sl_validate_counters {
	char subject[SL_SUBJECT_NAME_MAX];
	int64_t objects_passed, objects_split, objects_failed;
	int64_t records_passed, records_failed;
	int64_t last_ms;
};

/* Where a re-landed (replayed) object came from. */
struct sl_replay {
	int64_t id; /* the seq of the dead letter it was replayed from */
	char landing_key[SL_KEY_MAX + 1];
	char from_key[SL_KEY_MAX + 1];
	char subject[SL_SUBJECT_NAME_MAX];
	int64_t schema_version; /* the version it failed */
	char reason[512];
	int64_t replayed_ms;
};

typedef int sl_counters_fn(void *ctx, const struct sl_validate_counters *c);

void sl_deadletter_release(struct sl_deadletter *d);

struct sl_meta_opts {
	int64_t busy_timeout_ms;
	bool synchronous_full;
};

/* The schema registry's records are defined in schema/registry.h, the catalog's in
 * catalog/catalog.h. */
struct sl_schema_subject;
struct sl_schema_version;
struct sl_cat_table;
struct sl_cat_version;
struct sl_cat_partition;
struct sl_cat_file;
struct sl_cat_drift;
struct sl_cat_commit;
struct sl_cat_counters;
struct sl_etl_run;
struct sl_etl_bookmark;
struct sl_etl_commit;

typedef int sl_object_fn(void *ctx, const struct sl_object *obj);
typedef int sl_message_fn(void *ctx, const struct sl_message *msg);
typedef int sl_queue_fn(void *ctx, const struct sl_queue_stats *qs);
typedef int sl_schema_subject_fn(void *ctx, const struct sl_schema_subject *subject);
typedef int sl_schema_version_fn(void *ctx, const struct sl_schema_version *version);
typedef int sl_schema_kv_fn(void *ctx, const char *key, const char *value);
typedef int sl_cat_table_fn(void *ctx, const struct sl_cat_table *t);
typedef int sl_cat_version_fn(void *ctx, const struct sl_cat_version *v);
typedef int sl_cat_partition_fn(void *ctx, const struct sl_cat_partition *p);
typedef int sl_cat_file_fn(void *ctx, const struct sl_cat_file *f);
typedef int sl_cat_drift_fn(void *ctx, const struct sl_cat_drift *d);
typedef int sl_etl_pending_fn(void *ctx, const struct sl_object *obj,
			      const struct sl_cat_file *file);
typedef int sl_etl_run_fn(void *ctx, const struct sl_etl_run *run);
typedef int sl_etl_key_fn(void *ctx, const char *job, int64_t run_id, const char *zone,
			  const char *key);
struct sl_etl_segment;
typedef int sl_etl_lineage_fn(void *ctx, const struct sl_object *file,
			      const struct sl_etl_segment *seg);

struct sl_meta_ops {
	const char *name;
	int (*open)(const char *path, const struct sl_meta_opts *opts, void **state,
		    struct sl_err *err);
	void (*close)(void *state);
	int (*schema_version)(void *state, int64_t *version, struct sl_err *err);

	/* Serialises writers of one key (threads, processes; later machines) from publishing
	 * its bytes to committing its index row, so that the last file on disk is the one
	 * the index describes. Striped: unrelated keys may share a lock. */
	int (*key_lock)(void *state, const char *zone, const char *key, struct sl_err *err);
	void (*key_unlock)(void *state, const char *zone, const char *key);

	/* objects */
	int (*object_commit)(void *state, struct sl_object *obj /* seq set on return */,
			     const char *queue, struct sl_err *err);
	int (*object_get)(void *state, const char *zone, const char *key,
			  struct sl_object *out, struct sl_err *err);
	int (*object_list)(void *state, const char *zone, const char *prefix,
			   sl_object_fn *fn, void *ctx, struct sl_err *err);
	int (*object_set_state)(void *state, const char *zone, const char *key,
				const char *new_state, struct sl_err *err);
	/* Deletes the row of zone/key and, when queue is not NULL and there was a row,
	 * sends its object-removed event (sl_event_object_removed, the row's seq) to queue
	 * in the same transaction: the event is sent if and only if the row goes. */
	int (*object_delete)(void *state, const char *zone, const char *key, const char *queue,
			     struct sl_err *err);
	int (*zone_stats)(void *state, const char *zone, struct sl_zone_stats *out,
			  struct sl_err *err);

	/* queues */
	int (*queue_configure)(void *state, const struct sl_queue_conf *conf,
			       struct sl_err *err);
	int (*queue_stats)(void *state, const char *queue, int64_t now_ms,
			   struct sl_queue_stats *out, struct sl_err *err);
	int (*queue_list)(void *state, int64_t now_ms, sl_queue_fn *fn, void *ctx,
			  struct sl_err *err);
	int (*queue_send)(void *state, const char *queue, const char *const *bodies, size_t n,
			  int64_t delay_ms, int64_t now_ms, int64_t *ids, struct sl_err *err);
	int (*queue_receive)(void *state, const char *queue, size_t max,
			     int64_t visibility_timeout_ms /* <0: the queue's */, int64_t now_ms,
			     struct sl_message *out, size_t *n_out, struct sl_err *err);
	/* Deletes n messages by receipt in one transaction; rcs[i] gets 0 (deleted or
	 * already gone), SL_ESTALE (received again since) or SL_EINVAL (not a receipt). */
	int (*queue_delete)(void *state, const char *queue, const char *const *receipts,
			    size_t n, int *rcs, struct sl_err *err);
	int (*queue_change_visibility)(void *state, const char *queue, const char *receipt,
				       int64_t timeout_ms, int64_t now_ms, struct sl_err *err);
	int (*queue_peek)(void *state, const char *queue, size_t max, sl_message_fn *fn,
			  void *ctx, struct sl_err *err);

	/* schema registry (schema/registry.h holds the rules; these only store). A compat
	 * mode is an enum sl_compat value. Listing callbacks run after the rows were read,
	 * outside any statement. */
	int (*registry_default_get)(void *state, int *compat, struct sl_err *err);
	int (*registry_default_set)(void *state, int compat, struct sl_err *err);
	/* SL_ENOENT if the subject does not exist. */
	int (*registry_subject_get)(void *state, const char *subject,
				    struct sl_schema_subject *out, struct sl_err *err);
	int (*registry_subject_list)(void *state, sl_schema_subject_fn *fn, void *ctx,
				     struct sl_err *err);
	/* Sets a subject's mode, creating the subject (without versions) if it is new. */
	int (*registry_subject_set_compat)(void *state, const char *subject, int compat,
					   int64_t now_ms, struct sl_err *err);
	/* One version (0 = the latest), text included; SL_ENOENT names what is missing. */
	int (*registry_version_get)(void *state, const char *subject, int64_t version,
				    struct sl_schema_version *out, struct sl_err *err);
	/* The version of subject whose fingerprint is given; SL_ENOENT if none. */
	int (*registry_version_find)(void *state, const char *subject, const char *fingerprint,
				     struct sl_schema_version *out, struct sl_err *err);
	/* Every version in order, without text (v->text is NULL). */
	int (*registry_version_list)(void *state, const char *subject, sl_schema_version_fn *fn,
				     void *ctx, struct sl_err *err);
	/* Adds a version in one transaction (promise 5). In: v->subject, fingerprint, text,
	 * len, created_ms. If the subject already has a version with that fingerprint, that
	 * version is returned (*existed = true) and only the metadata pairs it lacks are
	 * added (a key with another value: SL_EEXIST, nothing changes). Otherwise the subject
	 * is created with mode `compat` if new, and the version is numbered latest+1 --
	 * unless the subject's mode is no longer `compat` or its latest version is no longer
	 * expected_latest (0: none), which returns SL_ESTALE so that the caller checks again.
	 * meta holds n_meta key/value pairs (2 * n_meta strings). v->version is set. */
	int (*registry_version_add)(void *state, struct sl_schema_version *v, int compat,
				    int64_t expected_latest, const char *const *meta,
				    size_t n_meta, size_t max_meta, bool *existed,
				    struct sl_err *err);
	/* A version's metadata, by key. */
	int (*registry_meta_list)(void *state, const char *subject, int64_t version,
				  sl_schema_kv_fn *fn, void *ctx, struct sl_err *err);
	/* Waits until some process may have sent a message (a hint: wake-ups may be
	 * spurious, and the first call may return at once), or timeout_ms passes. Optional:
	 * NULL means callers poll. */
	int (*wait_send)(void *state, int64_t timeout_ms, struct sl_err *err);

	/* validator (migration 3) */
	/* In one transaction: unless landing_seq was handled already or the landing object
	 * (landing_key, landing_seq) is gone (then *first = false and only the message is
	 * deleted), records the run, adds to the subject's counters, stores c->dl's row,
	 * drops c->dl_forget's row and marks the landing object 'deleting'; then deletes the
	 * message (a stale receipt is not an error). Call under the landing key's lock. */
	int (*validate_commit)(void *state, const struct sl_validate_commit *c, int64_t now_ms,
			       bool *first, struct sl_err *err);
	/* Whether landing_seq was handled (a run is recorded). */
	int (*validate_seen)(void *state, int64_t landing_seq, bool *seen, struct sl_err *err);
	/* Forgets the runs of landing objects that are gone (they cannot come back). */
	int (*validate_prune)(void *state, struct sl_err *err);
	/* The counters of every subject (subject "" = objects without one), by subject. */
	int (*validate_counters)(void *state, sl_counters_fn *fn, void *ctx, struct sl_err *err);
	/* The row of deadletter/key (report too when with_report); SL_ENOENT if none. */
	int (*deadletter_get)(void *state, const char *key, bool with_report,
			      struct sl_deadletter *out, struct sl_err *err);
	int (*deadletter_forget)(void *state, const char *key, struct sl_err *err);
	int (*replay_put)(void *state, const struct sl_replay *r, struct sl_err *err);
	/* SL_ENOENT if none. */
	int (*replay_get)(void *state, int64_t id, struct sl_replay *out, struct sl_err *err);

	/* catalog (migration 4; catalog/catalog.h gives the model and commit's promises).
	 * Getters return SL_ENOENT when the row does not exist; rows they fill own their
	 * strings (sl_cat_*_release). Listing callbacks get rows that are freed after the
	 * callback returns; a callback's non-zero return stops the listing and is returned.
	 * Lists are ordered: tables by db and name, versions by number, partitions by part,
	 * files by key, drift by id. */
	int (*catalog_commit)(void *state, const struct sl_cat_commit *c, int64_t now_ms,
			      struct sl_err *err);
	int (*catalog_table_get)(void *state, const char *db, const char *name,
				 struct sl_cat_table *out, struct sl_err *err);
	/* db NULL: every database. */
	int (*catalog_table_list)(void *state, const char *db, sl_cat_table_fn *fn, void *ctx,
				  struct sl_err *err);
	/* Removes the table with its versions, partitions and files (not its objects) and
	 * adds a table_dropped drift entry. */
	int (*catalog_table_drop)(void *state, const char *db, const char *name, int64_t now_ms,
				  struct sl_err *err);
	/* version 0: the latest. */
	int (*catalog_version_get)(void *state, const char *db, const char *name,
				   int64_t version, struct sl_cat_version *out,
				   struct sl_err *err);
	int (*catalog_version_list)(void *state, const char *db, const char *name,
				    sl_cat_version_fn *fn, void *ctx, struct sl_err *err);
	int (*catalog_partition_list)(void *state, const char *db, const char *name,
				      sl_cat_partition_fn *fn, void *ctx, struct sl_err *err);
	/* The row of zone/key, whatever its state. */
	int (*catalog_file_get)(void *state, const char *zone, const char *key,
				struct sl_cat_file *out, struct sl_err *err);
	/* A table's files (part NULL: all partitions); with_stats fills stats. */
	int (*catalog_file_list)(void *state, const char *db, const char *name,
				 const char *part, bool with_stats, sl_cat_file_fn *fn, void *ctx,
				 struct sl_err *err);
	/* Drift entries with id > after_id, of one table (db and name) or all (NULL), at
	 * most limit (0: all). */
	int (*catalog_drift_list)(void *state, const char *db, const char *name,
				  int64_t after_id, int64_t limit, sl_cat_drift_fn *fn, void *ctx,
				  struct sl_err *err);
	int (*catalog_counters)(void *state, struct sl_cat_counters *out, struct sl_err *err);

	/* ETL (migration 5; etl/etl.h gives the commit protocol and the promises). */
	/* Takes job's lease for holder until now + ttl_ms, or renews it; SL_EBUSY (the
	 * message names the holder and when it expires) when another holder has it. */
	int (*etl_lease)(void *state, const char *job, const char *holder, int64_t ttl_ms,
			 int64_t now_ms, struct sl_err *err);
	void (*etl_lease_release)(void *state, const char *job, const char *holder);
	/* Who holds job's lease and until when; SL_ENOENT when nobody does. */
	int (*etl_lease_get)(void *state, const char *job, char *holder, size_t cap,
			     int64_t *expires_ms, struct sl_err *err);
	/* Numbers and records a new run ('running', from the job's bookmark); out gets it. */
	int (*etl_run_begin)(void *state, const char *job, const char *holder, int64_t now_ms,
			     struct sl_etl_run *out, struct sl_err *err);
	/* Records the keys (in zone) that run run_id will publish, before it publishes them
	 * (the lease is checked at now_ms). SL_EEXIST for a key that is an object already or
	 * that another run staged and did not commit. */
	int (*etl_stage)(void *state, const char *job, int64_t run_id, const char *holder,
			 const char *zone, const char *const *keys, size_t n, int64_t now_ms,
			 struct sl_err *err);
	int (*etl_commit)(void *state, const struct sl_etl_commit *c, int64_t now_ms,
			  struct sl_err *err);
	/* Marks a running run failed with its error (its staged keys stay for recovery). */
	int (*etl_run_fail)(void *state, const char *job, int64_t run_id, const char *error,
			    int64_t now_ms, struct sl_err *err);
	/* Staged keys of runs that will never commit (failed, or running with an expired
	 * lease: those are marked failed first), of job (NULL: every job). */
	int (*etl_staged_list)(void *state, const char *job, int64_t now_ms, sl_etl_key_fn *fn,
			       void *ctx, struct sl_err *err);
	/* Forgets a staged key once its file is gone (and no index row names it). */
	int (*etl_staged_forget)(void *state, const char *job, int64_t run_id, const char *zone,
				 const char *key, struct sl_err *err);
	/* The run that staged zone/key and did not commit it (fsck: such a file is never
	 * adopted); *live says whether the run may still commit it (running, and its holder
	 * has the lease at now_ms). SL_ENOENT when no such run. Reads only. */
	int (*etl_staged_find)(void *state, const char *zone, const char *key, int64_t now_ms,
			       struct sl_etl_run *out, bool *live, struct sl_err *err);
	/* Present objects of zone under prefix with seq > after_seq, in seq order, at most
	 * limit (0: all), each with its catalog row (or NULL). */
	int (*etl_pending)(void *state, const char *zone, const char *prefix, int64_t after_seq,
			   int64_t limit, sl_etl_pending_fn *fn, void *ctx, struct sl_err *err);
	/* SL_ENOENT when the job never ran. */
	int (*etl_bookmark_get)(void *state, const char *job, struct sl_etl_bookmark *out,
				struct sl_err *err);
	int (*etl_run_get)(void *state, const char *job, int64_t run_id, struct sl_etl_run *out,
			   struct sl_err *err);
	/* A job's runs, newest first, at most limit (0: all); job NULL: every job's. */
	int (*etl_run_list)(void *state, const char *job, int64_t limit, sl_etl_run_fn *fn,
			    void *ctx, struct sl_err *err);
	/* Under holder's lease, in one transaction: the runs after to_run become 'rewound',
	 * their data files 'retired' in the catalog and their index rows 'deleting', and so
	 * are the present files whose lineage holds only rows of those runs (fn gets each,
	 * to remove the file after the commit); the bookmark goes back to where to_run ended
	 * (to_run 0: the beginning). SL_ENOENT when to_run is not a committed run of the
	 * job; SL_ESTALE, and nothing changes, when an active file of a table holds rows of
	 * those runs together with rows that stay (a merged file to split first). */
	int (*etl_rewind)(void *state, const char *job, int64_t to_run, const char *holder,
			  int64_t now_ms, sl_etl_key_fn *fn, void *ctx, struct sl_err *err);
	/* Lineage (migration 6). The lineage of the file zone/key at seq, segment by segment
	 * in row order: the segments its commit recorded, else the run that committed it
	 * (one segment, rows -1: all of them), else nothing (not a job's file). */
	int (*etl_lineage_get)(void *state, const char *zone, const char *key, int64_t seq,
			       sl_etl_lineage_fn *fn, void *ctx, struct sl_err *err);
	/* The segments of job's runs after after_run recorded in the lineage of present
	 * files, by file seq and then row order (file: zone, key and seq only). */
	int (*etl_lineage_find)(void *state, const char *job, int64_t after_run,
				sl_etl_lineage_fn *fn, void *ctx, struct sl_err *err);
};

struct sl_meta {
	const struct sl_meta_ops *ops;
	void *state;
};

extern const struct sl_meta_ops sl_meta_sqlite;

/* Finds a backend by name ("sqlite"). */
const struct sl_meta_ops *sl_meta_backend(const char *name);

int sl_meta_open(struct sl_meta *m, const struct sl_meta_ops *ops, const char *path,
		 const struct sl_meta_opts *opts, struct sl_err *err);
void sl_meta_close(struct sl_meta *m);

/* The object-created event body that object_commit enqueues (shared by all backends so
 * that consumers see one format). */
int sl_event_object_created(const struct sl_object *obj, struct sl_buf *out);
/* The object-removed event body that object_delete enqueues: {"event":
 * "ObjectRemoved:Delete","zone":..,"key":..,"seq":<the removed row's seq>,"time":..}. */
int sl_event_object_removed(const char *zone, const char *key, int64_t seq, int64_t time_ms,
			    struct sl_buf *out);

void sl_message_release(struct sl_message *msg);

/* Name of the dead-letter queue of queue `name`: "<name>-dlq". */
void sl_dlq_name(const char *name, char *out, size_t cap);

#endif
