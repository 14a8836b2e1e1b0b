/*
 * crawl.h - the crawler stage: objects of the raw and curated zones -> catalog tables.
 *
 * The stage consumes the zones' queues ("raw", then "curated") in batches: up to
 * crawl.batch_messages messages or crawl.batch_wait of time. For a batch it
 *   1. reads each event (ObjectCreated / ObjectRemoved) and drops those whose object
 *      version is no longer current (a newer event will come) or already catalogued;
 *   2. places each object in its table and partition by its key (layout.c, the rule
 *      below), reads it and infers its row type (scan.c; JSON records through the JSON
 *      engine, up to crawl.sample_bytes, the rest only counted; Parquet from its footer);
 *      a subject with a registered schema gives its types instead of inference;
 *   3. merges the types into each table's schema under the table's schema-change policy
 *      (types/merge.h), making one new table version per table per batch when anything
 *      changed, with drift entries for each change;
 *   4. commits everything, and acknowledges the batch's messages, in ONE metadata
 *      transaction (catalog_commit). A crash before it leaves the catalog as it was and
 *      the messages come back; a message handled twice changes nothing (seq checks).
 *
 * The table rule (docs/catalog.md; `sluice crawl --explain KEY` shows it for a key):
 *   - A key's folders are its path without the file name. The first `depth` folders
 *     (crawl.defaults.depth = 1, per family crawl.families.NAME.depth; the family is the
 *     first folder) name the table -- unless a `k=v` folder comes first: the table's
 *     folders end before the first partition-looking folder.
 *   - The table's name is those folders joined by '_' (sl_cat_table_name); its database
 *     is the zone's (raw, curated).
 *   - Every folder after them is a partition level: `k=v` gives column k (k lower-cased;
 *     it must then match [a-z_][a-z0-9_]*), any other folder column partition_N, N its
 *     position among the levels (0-based), as Glue names them.
 *   - The first object of a table fixes its partition keys. An object whose levels name
 *     other keys (dt= beside date=, a level more or less) is rejected and reported
 *     (drift kind partition_layout), never merged.
 *   - Format: .parquet -> parquet; .json/.ndjson/.jsonl (optionally .gz/.zst) -> json. An
 *     object of the other format than its table's is rejected (format_mismatch).
 */
#ifndef SL_CRAWL_H
#define SL_CRAWL_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "catalog/catalog.h"
#include "config/config.h"
#include "lake/lake.h"
#include "types/merge.h"

#define SL_CRAWL_MAX_LEVELS 32

/* ---- where a key belongs (layout.c) -------------------------------------------------- */

struct sl_crawl_level {
	char name[128];          /* partition column: "dt", "partition_1" */
	const char *value;       /* points into sl_crawl_layout.key_copy; NUL-terminated */
	bool hive;               /* the folder was k=v */
};

struct sl_crawl_layout {
	char zone[SL_ZONE_MAX];
	char db[SL_CAT_DB_MAX];
	char family[SL_CONFIG_SUBJECT_MAX]; /* first folder ("" when there is none) */
	int64_t depth;                      /* the depth in force for the family */
	bool depth_from_family;             /* crawl.families.NAME.depth set it */
	char table[SL_CAT_NAME_MAX];
	char prefix[SL_KEY_MAX + 1];        /* the table's location, ends with '/' */
	char part[SL_CAT_PART_MAX];         /* partition path, "" when none */
	char partition_keys[SL_CAT_PKEYS_MAX];
	struct sl_crawl_level levels[SL_CRAWL_MAX_LEVELS];
	size_t n_levels;
	char format[SL_CAT_FORMAT_MAX];     /* "json" or "parquet" */
	char key_copy[SL_KEY_MAX + 1];      /* storage for level values */
};

/* Places zone/key. SL_EINVAL (err says why, for the drift entry) when the key cannot be
 * a table's object: a zone without tables, no folder, a file name whose format is not
 * known, a k=v folder whose k is not a column name, too many levels. */
int sl_crawl_layout(const struct sl_config *cfg, const char *zone, const char *key,
		    struct sl_crawl_layout *out, struct sl_err *err);

/* Writes for people how the rule applies to zone/key (`sluice crawl --explain`), also
 * when it does not (why not). Returns 0 when the key is placed, SL_EINVAL when it is not
 * (out then says why), SL_ENOMEM. */
int sl_crawl_explain(const struct sl_config *cfg, const char *zone, const char *key,
		     struct sl_buf *out);

/* ---- reading one object (scan.c) ----------------------------------------------------- */

struct sl_crawl_scan_opts {
	int64_t sample_bytes;        /* 0: infer from every record */
	size_t max_struct_fields;
	/* JSON limits for records (json.h); 0 = the engine's defaults. */
	int64_t max_depth, max_record, max_string;
	bool count_only;             /* the table's types come from a registered schema:
				      * count records, infer nothing */
};

struct sl_crawl_scan {
	struct sl_type *type;        /* the object's row type (NULL when count_only);
				      * owned */
	int64_t records;             /* every record, sampled or not */
	int64_t sampled;             /* records inferred from */
	int64_t bytes;               /* the object's size */
	char *stats;                 /* Parquet: per-column statistics (catalog.h); owned */
	/* Conflicts inside the object (infer.h), as changes to report: path, the two kinds,
	 * record index in `from`/`to` text. */
	struct sl_type_changes conflicts;
	bool map_detected;
};
void sl_crawl_scan_release(struct sl_crawl_scan *s);

/* Reads obj (its current version, checked against the index) of format lay->format.
 * SL_ECORRUPT / SL_EINVAL / SL_ELIMIT (err says what and where, e.g. "raw/a.ndjson:17:4:
 * ...") mean the object cannot be catalogued: the caller rejects it; other errors may
 * pass (I/O), and the batch is tried again. */
int sl_crawl_scan_object(struct sl_lake *lake, const struct sl_object *obj,
			 const struct sl_crawl_layout *lay, const struct sl_crawl_scan_opts *o,
			 struct sl_crawl_scan *out, struct sl_err *err);

/* ---- the stage (stage.c) ------------------------------------------------------------ */

struct sl_crawl_result {
	int64_t messages;            /* handled (acknowledged) */
	int64_t objects;             /* catalogued (created or replaced) */
	int64_t removed;             /* removals applied */
	int64_t rejected;            /* objects rejected (layout, format, unreadable) */
	int64_t skipped;             /* stale or repeated events */
	int64_t records, bytes;      /* of the objects catalogued */
	int64_t tables;              /* tables touched */
	int64_t versions;            /* new table versions */
	int64_t drift;               /* drift entries written */
	int64_t commits;             /* metadata transactions */
};

struct sl_crawl_stage;

int sl_crawl_stage_open(struct sl_lake *lake, struct sl_crawl_stage **out,
			struct sl_err *err);
void sl_crawl_stage_close(struct sl_crawl_stage *st); /* NULL ok */

/* Handles one batch of messages received from queue ("raw" or "curated"); adds to res.
 * 0: committed and acknowledged. < 0: nothing committed (the messages come back). */
int sl_crawl_batch(struct sl_crawl_stage *st, const char *queue,
		   const struct sl_message *msgs, size_t n, struct sl_crawl_result *res,
		   struct sl_err *err);

struct sl_crawl_run_opts {
	bool drain;                      /* stop when both queues are empty */
	volatile sig_atomic_t *stop;     /* set: finish the batch, return */
	int64_t batch_messages;          /* 0: crawl.batch_messages */
	int64_t batch_wait_ms;           /* <0: crawl.batch_wait */
	void (*report)(void *ctx, const struct sl_crawl_result *batch, const struct sl_err *err);
	void *ctx;
};

/* Receives and handles batches until drained or stopped. */
int sl_crawl_run(struct sl_crawl_stage *st, const struct sl_crawl_run_opts *opts,
		 struct sl_crawl_result *totals, struct sl_err *err);

/* Rebuilds db.table from every present object under its prefix (`crawl --full`): a new
 * version whose schema is inferred afresh, the file and partition rows replaced, in one
 * transaction. SL_ENOENT when there is no such table. */
int sl_crawl_full(struct sl_crawl_stage *st, const char *db, const char *table,
		  struct sl_crawl_result *res, struct sl_err *err);

#endif
