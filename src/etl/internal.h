/* internal.h - what the files of the ETL module share (not for other modules): the run
 * engine's lease and recovery steps (run.c), which a compaction (compact.c) follows too,
 * and the compaction's pseudo job, which a rewind looks at. */
#ifndef SL_ETL_INTERNAL_H
#define SL_ETL_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "etl/etl.h"
#include "lake/lake.h"
#include "parquet/writer.h"
#include "store/store.h"
#include "util/err.h"
#include "util/hash.h"

#define SL_ETL_CONTENT_PARQUET "application/vnd.apache.parquet"

/* A curated table's name as the catalog takes it: 1 to SL_CAT_NAME_MAX - 1 of a-z, 0-9
 * and '_'. */
bool sl_etl_table_name_ok(const char *s);
/* 0 when the metadata backend keeps ETL jobs, else SL_EINVAL saying it does not. */
int sl_etl_meta_check(const struct sl_meta *m, struct sl_err *err);
/* A lease holder's name, "host:pid:random", unique enough that two processes never
 * share one. */
void sl_etl_holder_make(char out[SL_HOLDER_MAX]);
/* Takes job's lease for holder (a gone process of this host loses its lease at once);
 * SL_EBUSY "job JOB is running (leased by H until T)" when another holder has it. */
int sl_etl_lease_take(struct sl_meta *m, const char *job, const char *holder, int64_t ttl_ms,
		      struct sl_err *err);
/* The lease's time to live (etl.lease in sluice.yaml, else 60 s). */
int64_t sl_etl_lease_ttl(const struct sl_lake *lake);
/* The recovery a run of job makes before it begins: the staged files of the job's runs
 * that will never commit are removed (unless an index row names them) and forgotten,
 * and the dead letters of its failed and rewound runs removed. *files (may be NULL)
 * gets the number of staged files removed. */
int sl_etl_recover_job(struct sl_lake *lake, const char *job, int64_t *files,
		       struct sl_err *err);
/* The statistics (JSON, *stats takes it) of a published Parquet file, read back from its
 * footer through the store's backend, after checking that it holds rows rows
 * (SL_ECORRUPT otherwise). *stats is NULL when the backend has no files to read. */
int sl_etl_file_stats(struct sl_store *s, const char *zone, const char *key, int64_t rows,
		      char **stats, struct sl_err *err);

/* outfile.c: one Parquet file a run or a compaction writes into the curated zone, a
 * temporary file of the store backend until published, hashed as it is written. */
struct sl_etl_outfile {
	char part[SL_CAT_PART_MAX];
	char key[SL_KEY_MAX + 1];
	struct sl_store *s;
	void *bw;                 /* the backend's writer until finished or aborted */
	struct sl_hasher h;
	bool hashing;
	struct sl_pq_sink sink;   /* for the Parquet writer */
	int64_t size, rows;       /* rows: counted by the caller */
	bool dropped;             /* finished without rows: aborted, not staged */
	bool published;
	struct sl_fingerprint fp;
	char checksum[SL_CHECKSUM_MAX];
	char *stats;              /* JSON, read back when published; owned */
};
/* Begins curated/key (checked against the key rules) for partition part. */
int sl_etl_outfile_open(struct sl_store *s, const char *part, const char *key,
			struct sl_etl_outfile **out, struct sl_err *err);
/* After the Parquet writer closed: the checksum is final. */
void sl_etl_outfile_seal(struct sl_etl_outfile *f);
/* Publishes the file (renamed into place, not indexed) and reads its statistics back. */
int sl_etl_outfile_publish(struct sl_etl_outfile *f, struct sl_err *err);
/* Fills the index row o and, when cf is not NULL, the catalog row of table (its stats
 * borrowed from f) that a commit registers for the published file. */
void sl_etl_outfile_rows(const struct sl_etl_outfile *f, const char *table,
			 int64_t schema_version, int64_t now_ms, struct sl_object *o,
			 struct sl_cat_file *cf);
/* Takes a published, uncommitted file back, drops an unpublished one, frees f (NULL ok). */
void sl_etl_outfile_free(struct sl_etl_outfile *f);

/* compact.c: the pseudo job that compacts curated table `table`, "compact:curated.NAME"
 * (a name too long for a job name is cut and followed by a hash of it). */
int sl_etl_compact_job(const char *table, char out[SL_JOB_MAX], struct sl_err *err);
/* compact.c: before a rewind of job to after run after_run, splits every active file of
 * curated.table whose lineage holds rows of job's later runs together with rows that
 * stay (a merged file) into files of the rows that stay and files of the others, in
 * runs of the table's pseudo job that move every row exactly (compact.h, promises 1-5),
 * so that the rewind can retire whole files. The caller holds the pseudo job's lease and
 * job's lease as holder; both are renewed on the way. *split (may be NULL) gets the
 * number of files split. */
int sl_etl_compact_split(struct sl_lake *lake, const char *table, const char *job,
			 int64_t after_run, const char *holder, int64_t *split,
			 struct sl_err *err);

#endif
