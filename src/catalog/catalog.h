/*
 * catalog.h - the catalog: databases, tables, their versions, partitions, data files and
 * drift, as the metadata store keeps them (meta.h: catalog_* callbacks), and what is
 * derived from them without the store (DDL for other engines, partition values).
 *
 * The model (docs/catalog.md):
 *   - A database is "raw" (tables over the raw zone) or "curated" (the curated zone).
 *   - A table is a location (zone + key prefix ending in '/'), a format ("json" or
 *     "parquet"), a schema in the project's type system (types.h text form), partition
 *     keys, properties, policies, and a version number. Every change of schema or
 *     partition keys makes a new version row (sl_cat_version) with the change that made
 *     it, so `catalog show --version N` and `catalog history` can show any past state.
 *   - A partition is a folder below the table's prefix ("dt=2026-01-05/hour=03"); it
 *     keeps its counts (objects, records, bytes, from its data files) and the table
 *     version its newest data file was crawled under.
 *   - A data file is one object of the zone that belongs to the table: its landing
 *     sequence number (which makes crawling idempotent: a row is only replaced by a
 *     newer version of its object), records, bytes, the table version it was merged
 *     under, and for Parquet the per-column statistics (JSON).
 *   - A drift entry records a change or a problem the crawler saw: what, where (a column
 *     path or a partition), an example object, and the table version it made (0: none).
 *
 * Promises of catalog_commit (every backend; tests/unit/test_catalog_meta.c):
 *   1. One transaction: tables, versions, files, partitions, drift, counters and the
 *      acknowledged queue messages all change together or not at all.
 *   2. A table change with expected_version != the stored version (0 = absent) changes
 *      nothing and returns SL_ESTALE, so that concurrent crawlers never lose an update.
 *   3. A file row is written only when its object's seq is newer than the stored row's:
 *      replaying a commit changes nothing (idempotence).
 *   4. Partition counts always equal the sums over their active data files.
 *   A partition a commit leaves without active files (by removals, or by files that came
 *   back rejected) is deleted, or kept with zero counts and marked deprecated when its
 *   table's deletion_policy is "deprecate"; the store adds the drift entry for it
 *   (partition_deleted / partition_deprecated, path = the partition, example = a key
 *   that emptied it), since only the transaction knows whether other files remain.
 */
#ifndef SL_CATALOG_H
#define SL_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meta/meta.h"
#include "types/types.h"
#include "util/buf.h"
#include "util/err.h"

#define SL_CAT_DB_MAX 32
#define SL_CAT_NAME_MAX 256     /* table names: [a-z0-9_], 1..255 */
#define SL_CAT_PART_MAX (SL_KEY_MAX + 1)
#define SL_CAT_KIND_MAX 32
#define SL_CAT_POLICY_MAX 16
#define SL_CAT_FORMAT_MAX 16
#define SL_CAT_STATE_MAX 16
#define SL_CAT_PKEYS_MAX 1024   /* "dt,hour": partition key names, comma-separated */
#define SL_CAT_MAX_PARTITION_KEYS 32

/* Schema-change policies (sluice.yaml crawl.*.schema_change). */
#define SL_CAT_SCHEMA_UPDATE "update"           /* widen types, add columns */
#define SL_CAT_SCHEMA_ADD_COLUMNS "add_columns" /* add columns only; type changes logged */
#define SL_CAT_SCHEMA_LOG "log"                 /* the schema never changes; drift logged */
/* Deletion policies (crawl.*.deletion): when a table's objects disappear. */
#define SL_CAT_DELETE_DELETE "delete"       /* files go; an empty partition goes */
#define SL_CAT_DELETE_DEPRECATE "deprecate" /* files go; an empty partition is kept,
					     * marked deprecated */
#define SL_CAT_DELETE_LOG "log"             /* nothing changes; a drift entry says so */

/* Data file states. */
#define SL_CAT_FILE_ACTIVE "active"     /* counted in its partition, read by queries */
#define SL_CAT_FILE_REJECTED "rejected" /* not part of the table (reason says why) */
#define SL_CAT_FILE_RETIRED "retired"   /* replaced (ETL rewind, compaction) */
/* Partition states. */
#define SL_CAT_PART_ACTIVE "active"
#define SL_CAT_PART_DEPRECATED "deprecated"

struct sl_cat_table {
	char db[SL_CAT_DB_MAX];
	char name[SL_CAT_NAME_MAX];
	char zone[SL_ZONE_MAX];
	char prefix[SL_KEY_MAX + 1];         /* the location in zone, ends with '/' */
	char format[SL_CAT_FORMAT_MAX];      /* "json" or "parquet" */
	char subject[SL_SUBJECT_NAME_MAX];   /* the registry subject whose schema types the
					      * table, "" when the types are inferred */
	int64_t subject_version;             /* that schema's version, 0 when inferred */
	int64_t version;                     /* 1, 2, ... */
	char *schema;                        /* types.h text form of the row type; owned */
	char partition_keys[SL_CAT_PKEYS_MAX]; /* "dt,hour" ("" = unpartitioned) */
	char *properties;                    /* JSON object text; owned (NULL = {}) */
	char schema_policy[SL_CAT_POLICY_MAX];
	char deletion_policy[SL_CAT_POLICY_MAX];
	int64_t created_ms, updated_ms;
	/* Sums over the active partitions, filled by table_get/table_list (not stored). */
	int64_t n_partitions, n_files, records, bytes;
};

struct sl_cat_version {
	char db[SL_CAT_DB_MAX];
	char name[SL_CAT_NAME_MAX];
	int64_t version;
	char *schema;                          /* owned */
	char partition_keys[SL_CAT_PKEYS_MAX];
	int64_t subject_version;
	char *change;                          /* JSON object text; owned */
	int64_t created_ms;
};

struct sl_cat_partition {
	char db[SL_CAT_DB_MAX];
	char table[SL_CAT_NAME_MAX];
	char part[SL_CAT_PART_MAX]; /* folder below the table prefix, without the trailing
				     * '/': "dt=2026-01-05/hour=03"; "" for the table's own
				     * folder (unpartitioned) */
	int64_t objects, records, bytes;
	int64_t schema_version;     /* table version of its newest active file */
	char state[SL_CAT_STATE_MAX];
	int64_t created_ms, updated_ms;
};

struct sl_cat_file {
	char zone[SL_ZONE_MAX];
	char key[SL_KEY_MAX + 1];
	int64_t seq;                 /* the object version's landing sequence */
	char db[SL_CAT_DB_MAX];
	char table[SL_CAT_NAME_MAX];
	char part[SL_CAT_PART_MAX];
	char format[SL_CAT_FORMAT_MAX];
	int64_t records, bytes;
	int64_t schema_version;      /* the table version it was merged under */
	char state[SL_CAT_STATE_MAX];
	char reason[512];            /* why rejected, "" otherwise */
	char *stats;                 /* Parquet: JSON {"column": {"min":..,"max":..,
				      * "nulls":N}, ...}; owned; NULL otherwise */
	int64_t crawled_ms;
};

struct sl_cat_drift {
	int64_t id;                  /* assigned by the store */
	char db[SL_CAT_DB_MAX];
	char table[SL_CAT_NAME_MAX];
	int64_t version;             /* the table version it made, 0 when none */
	char kind[SL_CAT_KIND_MAX];  /* table_created, column_added, type_widened,
				      * type_conflict, change_ignored, map_detected,
				      * partition_layout, bad_partition, format_mismatch,
				      * name_collision, unreadable, partition_deleted,
				      * partition_deprecated, object_removed, table_dropped,
				      * schema_registered */
	char path[512];              /* column (JSON pointer) or partition, "" if none */
	char detail[512];            /* for people: "int64 -> double", "dt= beside date=" */
	char example[SL_KEY_MAX + 1]; /* an object key that showed it ("" if none) */
	int64_t created_ms;
};

/* One table's part of a commit. */
struct sl_cat_table_change {
	const struct sl_cat_table *table; /* the table's new row (version, schema, ...) */
	int64_t expected_version;        /* the stored version it was derived from; 0: the
					  * table must not exist yet. An active file whose
					  * table does not exist (dropped since) is SL_ESTALE
					  * too. */
	bool new_version;                /* also add version row table->version, which must
					  * then be > expected_version (a new table needs
					  * it); without, table->version == expected_version.
					  * created_ms/updated_ms are set by the store. */
	const char *change;              /* the version row's change (JSON), when new */
	bool replace_files;              /* crawl --full: drop every file and partition row
					  * of the table first */
};

struct sl_cat_commit {
	const struct sl_cat_table_change *tables;
	size_t n_tables;
	/* Upserts (promise 3). Active files count in their partition (zone/db/table/part);
	 * a rejected file is remembered (so that it is not read again) but counts nowhere. */
	const struct sl_cat_file *files;
	size_t n_files;
	/* Objects gone from the zone: each (zone, key) row whose seq <= the given seq goes;
	 * its partition is recounted, and a partition left without active files is deleted
	 * or marked deprecated as its table's deletion_policy says ("log" tables are not
	 * passed here). */
	const struct sl_object *removed;
	size_t n_removed;
	const struct sl_cat_drift *drift; /* id and created_ms are set by the store */
	size_t n_drift;
	/* Queue messages acknowledged with the commit (NULL queue: none); stale receipts are
	 * not an error. */
	const char *queue;
	const char *const *receipts;
	size_t n_receipts;
	/* Added to the crawler's counters (sl_cat_counters). */
	int64_t messages, objects, records, bytes;
};

/* What the crawler has done since the lake was made (one row, updated by each commit). */
struct sl_cat_counters {
	int64_t commits, messages, objects, records, bytes, drift;
	int64_t last_ms;
};

/* Free what a row owns (schema, properties, change, stats); the struct itself stays. */
void sl_cat_table_release(struct sl_cat_table *t);
void sl_cat_version_release(struct sl_cat_version *v);
void sl_cat_file_release(struct sl_cat_file *f);

/* The database of a zone's tables: raw -> "raw", curated -> "curated"; NULL for zones
 * that have no tables. */
const char *sl_cat_db_of_zone(const char *zone);

/* A table name from key folders: lower case, every byte outside [a-z0-9_] becomes '_',
 * folders joined by '_'; a name that would start with a digit gets a leading '_'.
 * Returns SL_EINVAL when the result is empty or longer than SL_CAT_NAME_MAX - 1. */
int sl_cat_table_name(const char *const *folders, size_t n, char *out, size_t cap,
		      struct sl_err *err);

/* Splits a partition path "dt=2026-01-05/partition_1=x" by the table's keys into values
 * (pointers into buf); a k=v level's k matches its key without regard to ASCII case
 * ("DT=2026" is dt's 2026: the path keeps the key's spelling). Returns the number of
 * values, or SL_EINVAL. */
int sl_cat_part_values(const char *partition_keys, const char *part, char *buf, size_t cap,
		       const char **values, size_t max_values, struct sl_err *err);

/* ---- DDL for other engines (ddl.c) ---------------------------------------------------
 * A script with which `dialect` ("athena", "trino", "spark", "duckdb") reads the table's
 * files where they are (docs/catalog.md, "DDL for other engines"), appended to out:
 * location is the URI of the zone's root ("s3://bucket/raw" or a local path; athena
 * needs s3://). schema is t->schema parsed (NULL: parsed here). parts are the table's
 * partitions (catalog_partition_list), registered one statement each where the engine
 * needs it; deprecated ones are left out. Names that the dialect cannot hold (control
 * characters, two names equal ignoring case in one struct or beside a partition key,
 * ...) are SL_EINVAL with a message naming them; out may then hold a part. */
int sl_cat_ddl(const struct sl_cat_table *t, const struct sl_type *schema,
	       const struct sl_cat_partition *parts, size_t n_parts, const char *dialect,
	       const char *location, struct sl_buf *out, struct sl_err *err);

#endif
