/*
 * validate.h - the validator stage: landing -> raw | deadletter.
 *
 * The stage consumes the landing zone's queue. For each object-created event it finds the
 * object's subject (routing rules, else the key's first folder), checks every record
 * against the subject's schema from the registry (its latest version, or the one pinned in
 * sluice.yaml), and writes:
 *   - raw/KEY: the valid records; the original bytes, unchanged, when every record is;
 *   - deadletter/KEY: the invalid records (policy split), or the whole object (policy
 *     quarantine, an object that cannot be decoded, no schema), with a JSON report kept
 *     in the metadata store (sl_deadletter, `sluice deadletter show`).
 * Then, in one metadata transaction under the landing key's lock, it records the run,
 * adds to the subject's counters, stores the dead letter's report, marks the landing
 * object 'deleting' and deletes the message; then removes the landing object.
 *
 * Promises (docs/validate.md; tests/unit/test_validate.c, tests/crash/crash_validate.py):
 *   1. Every record of a landing object ends up exactly once in raw or in deadletter:
 *      outputs have deterministic keys (the landing key), so handling an object again
 *      after a crash overwrites identical content, and outputs an earlier attempt wrote
 *      that this one does not (the schema changed in between) are removed.
 *   2. The landing object is removed only after its outputs are durable and indexed.
 *   3. Handling a message twice changes nothing the second time, and counts once: the
 *      counters are added in the transaction that records the run, keyed by the landing
 *      object's sequence number.
 *   4. Any bytes, any record (deep, huge, invalid UTF-8, duplicate keys, numbers out of
 *      range) give an outcome with a reason, never a crash; memory is bounded by the
 *      record limits, not by the object's size.
 *
 * A stage handle is used by one thread; each worker opens its own lake and stage.
 */
#ifndef SL_VALIDATE_H
#define SL_VALIDATE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "json/json.h"
#include "lake/lake.h"
#include "meta/meta.h"
#include "schema/schema.h"

#define SL_VALIDATE_QUEUE "landing"

enum sl_voutcome {
	SL_VOUT_PASSED,       /* every record valid: the object went to raw unchanged */
	SL_VOUT_PASS_THROUGH, /* the subject has no schema and passes through: raw, unchanged */
	SL_VOUT_SPLIT,        /* valid records to raw, invalid ones to deadletter */
	SL_VOUT_INVALID,      /* every record invalid: the object to deadletter unchanged */
	SL_VOUT_QUARANTINED,  /* a bad record and policy quarantine (or a record too large to
			       * split out): the whole object to deadletter */
	SL_VOUT_UNDECODABLE,  /* bad or truncated compression, broken framing, not JSON: the
			       * whole object to deadletter */
	SL_VOUT_NO_SCHEMA,    /* no subject for the key, or no usable schema: the whole object
			       * to deadletter */
	SL_VOUT_SKIPPED,      /* nothing to do: the event is not for a present landing object
			       * version (gone, replaced by a newer one, already handled) */
	SL_VOUT_COUNT
};

extern const char *const sl_voutcome_names[SL_VOUT_COUNT];

/* What handling one message did. */
struct sl_vresult {
	enum sl_voutcome outcome;
	char key[SL_KEY_MAX + 1];
	int64_t landing_seq;
	char subject[SL_SUBJECT_NAME_MAX];
	int64_t schema_version; /* 0: none */
	int64_t records;        /* read from the object (-1: not read) */
	int64_t records_passed; /* written to raw */
	int64_t records_failed; /* written to deadletter */
	bool counted;           /* false when an earlier handling already counted it */
	char reason[512];
};

struct sl_validate_stage;

/* Opens a stage on lake (borrowed; used by this thread only). */
int sl_validate_stage_open(struct sl_lake *lake, struct sl_validate_stage **out,
			   struct sl_err *err);
void sl_validate_stage_close(struct sl_validate_stage *st); /* NULL ok */

/* Where the stage gets its schemas: the lake's registry unless set otherwise (a test
 * plugs in its own). Each function returns SL_ENOENT when there is no such schema;
 * other errors of compile with SL_EINVAL, SL_ECORRUPT or SL_ELIMIT mean a schema that
 * cannot be used (its objects go to deadletter), any other code a failure that may pass
 * (the message is tried again later). */
struct sl_schema_source {
	/* The latest version of subject and its fingerprint (SL_CHECKSUM_MAX bytes). */
	int (*latest)(void *ctx, const char *subject, int64_t *version, char *fingerprint,
		      struct sl_err *err);
	/* Compiles one version (> 0) of subject. */
	int (*compile)(void *ctx, const char *subject, int64_t version, struct sl_schema **out,
		       struct sl_err *err);
	void *ctx;
};

/* src is copied; NULL restores the registry. Drops compiled schemas. */
void sl_validate_stage_set_source(struct sl_validate_stage *st,
				  const struct sl_schema_source *src);

/* Handles one message received from the landing queue. Returns 0 when the message is
 * done with (and deleted), whatever the outcome; < 0 when handling failed for a reason
 * that may pass (I/O, metadata store busy, the disk full, the registry unreachable): the
 * message is then left to come back after its visibility timeout. */
int sl_validate_handle(struct sl_validate_stage *st, const struct sl_message *msg,
		       struct sl_vresult *res, struct sl_err *err);

/* Finishes what a crash left half done: removes landing objects whose handling was
 * committed but whose removal was interrupted, and forgets runs of landing objects that
 * are gone. Called by sl_validate_run at its start. */
int sl_validate_recover(struct sl_validate_stage *st, struct sl_err *err);

struct sl_vrun_opts {
	bool drain;                     /* stop when the queue is empty (nothing visible,
					 * in flight or delayed); else run until *stop */
	volatile sig_atomic_t *stop;    /* set (e.g. by SIGTERM): finish the object, return */
	int64_t max_objects;            /* 0: no limit */
	/* Called after each message (may be NULL): res, or err when handling failed. */
	void (*report)(void *ctx, const struct sl_vresult *res, const struct sl_err *err);
	void *ctx;
};

struct sl_vtotals {
	int64_t messages, failures;
	int64_t by_outcome[SL_VOUT_COUNT];
};

/* Receives and handles landing messages (long poll when idle) until drained, stopped or
 * max_objects. A failed message is put back with a growing delay (1 s, 2 s, 4 s, ... up
 * to the visibility timeout) and redriven to landing-dlq after the queue's
 * max_receive_count. Returns 0, or < 0 when the queue itself cannot be read. */
int sl_validate_run(struct sl_validate_stage *st, const struct sl_vrun_opts *opts,
		    struct sl_vtotals *totals, struct sl_err *err);

/* ---- routing ---------------------------------------------------------------------- */

/* The subject of key under cfg's routes (first match), else the key's first folder.
 * Returns 1 and the subject (and framing), or 0 when the key has none (no folder, or a
 * first folder that is not a subject name). */
int sl_validate_route(const struct sl_config *cfg, const char *key, char *subject,
		      size_t cap, enum sl_json_framing *framing);

/* ---- dead letters (deadletter.c) ---------------------------------------------------- */

/* Where deadletter/KEY is re-landed: KEY with ".replay-ID" before the first '.' of its
 * name (an earlier ".replay-N" replaced), ID = the dead letter's sequence number:
 * orders/2026/a.ndjson.gz -> orders/2026/a.replay-57.ndjson.gz. The folder (so the
 * subject and partitions) stays; the raw output of the original is never overwritten. */
int sl_replay_key(const char *key, int64_t id, char *out, size_t cap, struct sl_err *err);
/* The ID of a key made by sl_replay_key, or 0. */
int64_t sl_replay_id(const char *key);

/* Re-lands deadletter/KEY into landing (at sl_replay_key) with its lineage (struct
 * sl_replay), then removes the dead letter. Safe to repeat after a crash: the landing key
 * is the same. *landing_key gets where it went. */
int sl_deadletter_replay(struct sl_lake *lake, const char *key, char *landing_key, size_t cap,
			 struct sl_err *err);

/* Removes deadletter/KEY and its report. */
int sl_deadletter_purge(struct sl_lake *lake, const char *key, struct sl_err *err);

#endif
