/*
 * run.h - the ETL run engine: one run of a job (etl.h's commit protocol, steps 1-7) with
 * the default transform, rewind and reset, and the recovery of runs that did not commit.
 *
 * The default transform reads every record of each pending source object with the JSON
 * engine (gzip/zstd, NDJSON/array, framed as the validator routes the key; Parquet
 * objects through the Parquet reader) and writes it, cast to the source table's catalog
 * schema, with one Parquet writer per output partition:
 *   - partition_by "": the object's own partition (its catalog `part`, the same folder
 *     names below the target's prefix);
 *   - partition_by "dt": dt=YYYY-MM-DD, the UTC date of the record's top-level `ts`
 *     (RFC 3339 with an offset); a record without a usable ts is refused.
 * A file rolls over once it has target_file_size bytes; its key is
 * TARGET/PART/part-rRUN-NNN.parquet in the curated zone. Records the writer refuses go,
 * with on_error deadletter, to one dead-letter object per run (deadletter zone,
 * etl/JOB/run-N.ndjson, one line {"object","line","error","record"} each) put before the
 * run's commit; with on_error fail the run fails and commits nothing.
 *
 * Promises (tests/unit/test_etl_run.c):
 *   1. A run's output is committed whole (files, catalog rows, bookmark, run record) or
 *      not at all; a failed or killed run's files are removed by the next run of the job
 *      (or sl_etl_recover) before it reads anything, and never indexed.
 *   2. Every record of an object the run read is in exactly one committed file or in
 *      the run's dead letter; the bookmark only moves past objects read or skipped for
 *      good (rejected by the crawler, another table's), never past one the crawler has
 *      not catalogued yet.
 *   3. A run with nothing new commits an empty run that keeps the bookmark, at a cost
 *      proportional to the pending objects.
 *   4. Memory is bounded by the open writers' buffers (SL_ETL_BUFFER_MAX, give or take
 *      what the writers buffer between two looks) and the JSON engine's record limits,
 *      whatever the input.
 *   5. Dead letters of runs that did not commit, or were rewound, are removed with
 *      their files, so re-running never dead-letters a record twice.
 *   6. A rewind to run N, then runs of the job, leave every record of the source in the
 *      target table exactly once, also when a compaction merged the files of runs after
 *      N with others (tests/unit/test_etl_rewind.c): such files are split first, and a
 *      rewind killed anywhere leaves the table as before it or as after it.
 *
 * Crash-test points (util/crashpoint.h): written (files written, before stage),
 * published (after publishing, before commit), committed (after commit, before the
 * published files are finished); a rewind's: its split's compact_published and
 * compact_committed (compact.h), rewind_split (split, before the rewind's commit) and
 * rewind_committed (after it, before the files are removed).
 */
#ifndef SL_ETL_RUN_H
#define SL_ETL_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "etl/etl.h"
#include "lake/lake.h"
#include "util/err.h"

/* Output files open at once in a run (one per partition); the least recently used one
 * is finished when another partition needs a file. Their buffered row groups together
 * stay under SL_ETL_BUFFER_MAX: past it, the largest is written out as a row group (its
 * file stays open), so that many partitions make smaller row groups, not more files. */
#define SL_ETL_MAX_OPEN_FILES 64
#define SL_ETL_BUFFER_MAX ((int64_t)512 << 20)

struct sl_etl_run_opts {
	int64_t max_objects;   /* source objects read at most (0: all pending) */
	const char *holder;    /* the lease holder (NULL: "host:pid:random") */
	int64_t buffer_max;    /* tests: the open files' buffer budget (0: SL_ETL_BUFFER_MAX) */
};

struct sl_etl_result {
	int64_t run_id;              /* 0 when no run was begun */
	bool committed;
	int64_t from_seq, to_seq;    /* the bookmark before and after */
	int64_t objects;             /* source objects read */
	int64_t rows_in, rows_out, rows_rejected;
	int64_t files, bytes;        /* Parquet files and bytes committed */
	int64_t skipped;             /* objects the crawler rejected (not part of the
				      * table): passed, with the bookmark */
	char skip_reason[SL_KEY_MAX + 516]; /* the first one's "KEY: reason", "" when none */
	int64_t stale;               /* objects overwritten or removed since listed */
	bool waiting;                /* stopped before an object not catalogued yet */
	char waiting_key[SL_KEY_MAX + 1];
	int64_t recovered;           /* staged files of earlier runs removed first */
	char deadletter[SL_KEY_MAX + 1]; /* the run's dead-letter key in the deadletter
					  * zone, "" when none */
	int64_t duration_ms;
};

/* One run of job (sluice.yaml etl.jobs.NAME, or a default job). 0: the run committed
 * (res says what it did, possibly nothing new). SL_EBUSY: another holder runs the job
 * ("job X is running (...)"). Other errors: the run failed (recorded 'failed' with the
 * error when it had begun), nothing of it is visible. res may be NULL. */
int sl_etl_run_job(struct sl_lake *lake, const char *job, const struct sl_etl_run_opts *opts,
		   struct sl_etl_result *res, struct sl_err *err);

/* What a run of job would write, as sluice.yaml and the catalog say now: the job's
 * transform compiled against the source table (a mapping or a statement that does not fit
 * fails here as the run would, before reading anything). */
struct sl_etl_shape {
	char transform[16];          /* "default", "mapping", "sql" */
	char *row;                   /* the files' row type (text form; owned), NULL when the
				      * transform decides it from the rows (SQL) */
	char partition_keys[256];    /* the target's partition keys, comma-separated */
};
int sl_etl_job_shape(struct sl_lake *lake, const char *job, struct sl_etl_shape *shape,
		    struct sl_err *err);

/* Rewinds job to after its committed run to_run (0: reset to the beginning). Under the
 * job's lease and the compaction's lease of its target (SL_EBUSY while a compaction
 * runs): the target's merged files that hold rows of the runs after to_run beside rows
 * that stay are split by their lineage (sl_etl_compact_split, internal.h: commits of the
 * compaction's pseudo job that move every row exactly); then etl_rewind, in one
 * transaction, retires the later runs' files and the files holding only their rows and
 * moves the bookmark back; then those files and the later runs' dead letters are
 * removed. *removed (may be NULL) gets the number of data files removed. SL_ENOENT when
 * to_run is not a committed run. A rewind that may undo rows of a file merged before
 * lineage was kept (a lake compacted by an older sluice) is refused (SL_EINVAL, naming
 * the run to rewind to at least). A job not in sluice.yaml has no known target: its
 * merged files are not split, and etl_rewind refuses (SL_ESTALE) when one would need
 * it. */
int sl_etl_rewind(struct sl_lake *lake, const char *job, int64_t to_run, int64_t *removed,
		  struct sl_err *err);
/* = sl_etl_rewind(lake, job, 0, ...). */
int sl_etl_reset(struct sl_lake *lake, const char *job, int64_t *removed, struct sl_err *err);

/* Recovery of every job: removes the staged files of runs that will never commit and
 * the dead letters of failed and rewound runs (fsck). *removed (may be NULL) gets the
 * number of files removed. */
int sl_etl_recover(struct sl_lake *lake, int64_t *removed, struct sl_err *err);

#endif
