/*
 * etl.h - ETL jobs with bookmarks: what the metadata store keeps for them (meta.h: etl_*
 * callbacks) and the commit protocol every run follows. The run engine (a later file of
 * this module) drives it; docs/etl.md explains it for people.
 *
 * A job reads the raw objects of its source table whose landing sequence is beyond its
 * bookmark, in sequence order, transforms their records and writes Parquet files of its
 * curated target table. One run, step by step:
 *   1. lease: etl_lease takes the job's lease (another holder's unexpired lease:
 *      SL_EBUSY), so two runs of one job never overlap; a run renews it while it works.
 *   2. begin: etl_run_begin numbers the run (1, 2, ...) and records it 'running' with the
 *      bookmark it starts from.
 *   3. read: etl_pending lists the source's objects past the bookmark in sequence order,
 *      each with its catalog row; the run stops before the first object the crawler has
 *      not catalogued yet (it needs the table's schema), so that nothing is skipped.
 *   4. write: Parquet files are written to temporary files (not yet in any zone).
 *   5. stage: etl_stage records the keys the files will take (an intent log), BEFORE any
 *      of them is published;
 *   6. publish: each file is renamed to its key in the target zone (not indexed yet);
 *   7. commit: etl_commit, ONE transaction: index rows of the files (and their
 *      object-created events for a nested job, which the crawler catalogues), the target
 *      table and its data files in the catalog (a flat job), the bookmark moved to the
 *      last object read, the run 'committed' with its counts, the staged keys done.
 * A crash before 7 leaves the bookmark and the catalog as they were: the staged keys of a
 * run that did not commit are removed by the next run's recovery (and never adopted by
 * fsck), so queries and crawlers only ever see committed files. A crash after 7 leaves
 * nothing to do.
 *
 * Rewind (etl_rewind) to run N retires, in one transaction, the data files committed by
 * the runs after N and the files whose lineage holds only rows of those runs (catalog
 * rows 'retired', index rows 'deleting', runs 'rewound') and moves the bookmark back to
 * where run N ended (N = 0: reset to the beginning); the files are then removed.
 * Re-running reproduces the data exactly once.
 *
 * A compaction (compact.h) is a run of the pseudo job "compact:DB.TABLE" that follows
 * the same steps with the table's small files as its input: its commit registers the
 * merged files with their lineage (sl_etl_output.lineage: the runs whose rows each
 * holds, in row order) and retires the small ones (sl_etl_commit.retire) in one
 * transaction, and keeps the pseudo job's bookmark where it is. A merged file holding
 * rows of the runs after N beside rows that stay is split by such a run first (run.h);
 * etl_rewind refuses (SL_ESTALE) while a table has one active.
 *
 * Promises of the etl_* callbacks (tests/unit/test_etl_meta.c):
 *   1. At most one holder has a job's unexpired lease; etl_run_begin, etl_stage,
 *      etl_commit and etl_rewind refuse (SL_EBUSY) a holder that does not hold it.
 *   2. Run numbers of a job are 1, 2, 3, ... without gaps.
 *   3. etl_commit is all or nothing, and refuses (SL_ESTALE) a run whose bookmark moved
 *      since it began (a rewind in between), that is no longer 'running', or that
 *      retires a file which is no longer active at the seq it names.
 *   4. A key is never both a staged output of an uncommitted run and a present object.
 *   5. A file's lineage is recorded in the commit that indexes it, adds up to its rows,
 *      and goes with its index row; etl_rewind never leaves an active file holding rows
 *      of the runs it undoes.
 */
#ifndef SL_ETL_H
#define SL_ETL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog/catalog.h"
#include "config/config.h"
#include "meta/meta.h"

#define SL_JOB_MAX SL_CONFIG_SUBJECT_MAX
#define SL_HOLDER_MAX 64 /* "host:pid:random" */

/* Run states. */
#define SL_RUN_RUNNING "running"
#define SL_RUN_COMMITTED "committed"
#define SL_RUN_FAILED "failed"     /* stopped with an error, or its lease ran out */
#define SL_RUN_REWOUND "rewound"   /* committed, then undone by a rewind or reset */

struct sl_etl_run {
	char job[SL_JOB_MAX];
	int64_t id;                  /* 1, 2, ... per job */
	char state[16];
	char holder[SL_HOLDER_MAX];
	int64_t from_seq;            /* the bookmark it started from */
	int64_t to_seq;              /* the bookmark it committed (= from_seq when nothing was
				      * new); 0 until committed */
	int64_t objects;             /* source objects read */
	int64_t rows_in, rows_out, rows_rejected;
	int64_t files, bytes;        /* Parquet files and bytes committed */
	int64_t started_ms, ended_ms; /* ended 0 while running */
	char error[512];             /* why it failed, "" otherwise */
};

struct sl_etl_bookmark {
	char job[SL_JOB_MAX];
	int64_t seq;                 /* the last source landing sequence read (0: none) */
	int64_t last_run;            /* the last run number given (0: none) */
	int64_t last_committed;      /* the last committed run (0: none) */
	int64_t updated_ms;
};

/* One segment of a file's lineage: `rows` consecutive rows of the file that run `run`
 * of job `job` wrote (job "" and run 0: rows of unknown origin, e.g. a file put into the
 * curated zone by hand). A merged file's lineage is its segments in row order. */
struct sl_etl_segment {
	char job[SL_JOB_MAX];
	int64_t run;
	int64_t rows;
};

/* One file a run commits: its index row (zone, key, size, checksum, content type,
 * fingerprint of the published file) and, for a flat job, its catalog row. The commit
 * gives the index row its seq; obj.seq and file->seq are ignored (the catalog row gets
 * the index row's seq). */
struct sl_etl_output {
	struct sl_object obj;
	const struct sl_cat_file *file; /* NULL for a nested job (the crawler catalogues it) */
	/* A compaction's file: the runs whose rows it holds, in row order (their rows add
	 * up to file->records); kept with the index row, and gone with it. NULL for a run's
	 * own file, whose lineage is the run itself. */
	const struct sl_etl_segment *lineage;
	size_t n_lineage;
};

struct sl_etl_commit {
	const char *job;
	int64_t run_id;
	const char *holder;
	int64_t to_seq;              /* the new bookmark */
	/* the target table's change (a flat job: created, or a new version when its schema
	 * changed; expected_version as in catalog.h), NULL when unchanged or nested */
	const struct sl_cat_table_change *table;
	const struct sl_etl_output *outputs;
	size_t n_outputs;
	bool events;                 /* send each output's object-created event (nested) */
	const struct sl_etl_run *counts; /* objects, rows_*, files, bytes of the run */
	const struct sl_cat_drift *drift; /* e.g. the table's schema changed; may be NULL */
	size_t n_drift;
	/* Files the commit retires (a compaction: the small files its outputs replace),
	 * each by zone, key and seq: the catalog row goes 'retired' (its partition
	 * recounted) and the index row 'deleting'; the caller removes the files after the
	 * commit (sl_store_remove_finish). SL_ESTALE, and nothing changes, when one is no
	 * longer the present object with an active catalog row at that seq. */
	const struct sl_object *retire;
	size_t n_retire;
};

/* Callbacks (declared in meta.h): sl_etl_pending_fn gets a source object past the
 * bookmark with its catalog row (NULL when the crawler has not catalogued this version
 * yet); sl_etl_key_fn a staged key of a run that did not commit, or a file a rewind
 * retired; sl_etl_lineage_fn one segment of a file's lineage (the file by zone, key and
 * seq). */

#endif
