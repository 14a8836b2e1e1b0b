/*
 * compact.h - `sluice compact`: merging the small files of a curated Parquet table's
 * partitions into files of about the target size, atomically.
 *
 * A compaction is a run of the pseudo job "compact:curated.TABLE" (etl.h): under that
 * job's lease (so two compactions of a table never overlap; the job that writes the
 * table has its own lease and may run at the same time), after the run engine's recovery
 * of the pseudo job, it lists the table's active files smaller than min_file_size; each
 * partition with at least two of them has them read, in the order they were committed
 * (seq), with the Parquet reader and written, with the table's current row type, into
 * new files of up to target_file_size bytes, keyed TABLE/PART/part-cRUN-NNN.parquet.
 * Then the run's protocol: stage, publish (crash point "compact_published"), one commit
 * that registers the new files with their lineage and retires the small ones
 * (sl_etl_commit.retire; the pseudo job's bookmark stays where it is), crash point
 * "compact_committed", and the small files are removed.
 *
 * Lineage: the rows of each small file are a contiguous range of the merged output, so a
 * merged file's lineage is the list of (job, run, rows) segments of its rows in order:
 * the small files' lineages (a run's own file: that run, all its rows; a merged file: its
 * recorded lineage) concatenated in the order written and cut where a file rolls over.
 * A rewind of the job (run.h) uses it to split merged files (sl_etl_compact_split,
 * internal.h): the same machinery, planned from the lineage instead of the sizes, reads
 * each such file twice and writes the rows that stay, then the rows the rewind undoes,
 * into separate files.
 *
 * Promises (tests/unit/test_etl_compact.c):
 *   1. Rows in = rows out: every row of a merged file is in exactly one new file, with
 *      the same values, or the compaction fails and commits nothing (a row the current
 *      row type cannot hold exactly -- a member it lacks, a value it refuses -- fails
 *      it; so does a file whose rows disagree with its catalog row).
 *   2. A commit retires only files still active at the seq it read: a file rewound,
 *      removed or replaced meanwhile makes the commit SL_ESTALE (nothing changes), and
 *      files committed meanwhile by the table's job stay as they are.
 *   3. A compaction that does not commit leaves the old files active; its new files
 *      are removed by the next compaction's recovery (or sl_etl_recover, fsck), never
 *      indexed. One killed after its commit leaves retired files 'deleting': the next
 *      compaction of the table finishes their removal first (as fsck would).
 *   4. Bounded: one run merges at most SL_COMPACT_MAX_FILES files into at most about
 *      SL_COMPACT_MAX_OUTPUTS files (one writer open at a time); what is left is
 *      merged by the next run of the same call, each run committed on its own.
 *   5. Every new file's lineage is committed with it and adds up to its rows: its
 *      segments name, in row order, the runs that first wrote its rows (a file of no
 *      job: job "", run 0), whatever was merged before (tests/unit/test_etl_rewind.c).
 * A rewind of the job that writes the table holds the compaction's lease too, so the
 * two never overlap (run.h).
 */
#ifndef SL_ETL_COMPACT_H
#define SL_ETL_COMPACT_H

#include <stdbool.h>
#include <stdint.h>

#include "catalog/catalog.h"
#include "etl/etl.h"
#include "lake/lake.h"
#include "util/err.h"

#define SL_COMPACT_MAX_FILES 10000 /* small files merged by one run */
#define SL_COMPACT_MAX_OUTPUTS 64  /* files one run writes, about (whole partitions
				    * are planned: at least one file each) */
#define SL_COMPACT_DEFAULT_MIN ((int64_t)64 << 20)

struct sl_etl_compact_opts {
	/* Active files smaller than this are merged; 0: half the target_file_size of the
	 * job that writes the table (sl_config_job_writing), else SL_COMPACT_DEFAULT_MIN.
	 * At most the target size. */
	int64_t min_file_size;
	/* Size the merged files grow to; 0: the job's target_file_size, else 128 MiB. */
	int64_t target_file_size;
	const char *holder;          /* the lease holder (NULL: "host:pid:random") */
	/* Tests: called in each run after the small files were read and the new ones
	 * written, before they are staged (to commit something meanwhile). */
	void (*before_stage)(void *ctx);
	void *before_stage_ctx;
};

/* What a compaction did to one partition. */
struct sl_etl_compact_part {
	char part[SL_CAT_PART_MAX];
	int64_t files_before, files_after; /* the partition's active files */
	int64_t bytes_before, bytes_after; /* and their bytes */
	int64_t merged, written;           /* small files merged, new files written */
	int64_t rows;                      /* rows moved */
	int64_t run_id;                    /* the run that committed it */
};

struct sl_etl_compact_result {
	char job[SL_JOB_MAX];         /* the pseudo job */
	int64_t runs;                 /* runs committed (0: nothing to merge) */
	int64_t last_run;             /* the last run begun (0: none) */
	struct sl_etl_compact_part *parts; /* the partitions merged, in key order; owned */
	size_t n_parts;
	int64_t files_in, files_out, rows, bytes_in, bytes_out;
	int64_t min_file_size, target_file_size; /* as used */
	int64_t recovered;            /* files removed first: those of compactions that did
				       * not commit, and retired ones whose removal a kill
				       * after a commit left unfinished */
	bool removal_pending;         /* a merged file could not be removed after its
				       * commit (fsck finishes it) */
	int64_t duration_ms;
};

/* Compacts curated table `table` ("curated.NAME" or "NAME"), every partition or only
 * `partition` ("dt=2026-01-05"; "" is the unpartitioned table's own folder). 0: every
 * run committed (res says what was merged, possibly nothing). SL_ENOENT: no such table;
 * SL_EINVAL: not a curated Parquet table, or bad options; SL_EBUSY: another compaction of
 * the table runs; SL_ESTALE: a file changed while it was merged (nothing of that run is
 * visible: run it again). res may be NULL; release it with sl_etl_compact_result_release. */
int sl_etl_compact(struct sl_lake *lake, const char *table, const char *partition,
		   const struct sl_etl_compact_opts *opts, struct sl_etl_compact_result *res,
		   struct sl_err *err);

void sl_etl_compact_result_release(struct sl_etl_compact_result *res);

#endif
