/*
 * config.h - sluice.yaml, the one pipeline file of a lake.
 *
 * The file is parsed with libyaml, checked against the table of known keys (unknown keys,
 * wrong types and out-of-range values are refused with FILE:LINE:COL), and merged over
 * the defaults. Later stages add their sections here (routing, policies, jobs, schedules).
 */
#ifndef SL_CONFIG_H
#define SL_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "util/err.h"

#define SL_CONFIG_FILE "sluice.yaml"
#define SL_CONFIG_MAX_BYTES (4 << 20) /* a config file larger than this is refused */
#define SL_QUEUE_NAME_MAX 64
#define SL_CONFIG_MAX_QUEUES 16
#define SL_CONFIG_MAX_ROUTES 64
#define SL_CONFIG_MAX_SUBJECTS 128
#define SL_CONFIG_SUBJECT_MAX 129 /* 1-128 characters of [A-Za-z0-9._-], and a NUL */
#define SL_CONFIG_GLOB_MAX 256    /* a route's pattern: up to 255 bytes, and a NUL */

struct sl_queue_conf {
	char name[SL_QUEUE_NAME_MAX];
	int64_t visibility_timeout_ms; /* 0 .. 12 h, as SQS */
	int64_t max_receive_count;     /* 1 .. 1000; redrive to "<name>-dlq" after this many */
	int64_t retention_ms;          /* 1 min .. 14 d, as SQS */
};

/* validate.routes[i]: keys matching `match` (util/glob.h) belong to `subject`. */
struct sl_route_conf {
	char match[SL_CONFIG_GLOB_MAX];
	char subject[SL_CONFIG_SUBJECT_MAX];
	char format[12]; /* auto, ndjson, array, document; resolved from validate.defaults */
};

/* validate.subjects.NAME, and validate.defaults (whose name is ""). */
struct sl_subject_conf {
	char name[SL_CONFIG_SUBJECT_MAX];
	char policy[12];      /* "split" or "quarantine"; resolved from validate.defaults */
	int64_t version;      /* the pinned schema version; 0 = the latest */
	int8_t pass_through;  /* 1: no schema needed, objects go to raw unchecked when the
			       * subject has none; resolved from validate.defaults */
	char format[12];      /* validate.defaults only: the framing of routes without one */
};

struct sl_validate_conf {
	struct sl_subject_conf defaults;
	struct sl_route_conf routes[SL_CONFIG_MAX_ROUTES]; /* in the file's order */
	size_t n_routes;
	struct sl_subject_conf subjects[SL_CONFIG_MAX_SUBJECTS];
	size_t n_subjects;
	int64_t report_max_records; /* bad records described per report, 0 .. 1,000,000 */
	int64_t report_max_errors;  /* reasons kept per bad record, 1 .. 100 */
	int64_t max_depth;          /* JSON limits for records (json.h) */
	int64_t max_record;
	int64_t max_string;
};

/* crawl.defaults and crawl.families.NAME: how a table family is crawled. */
#define SL_CONFIG_MAX_FAMILIES 128
struct sl_family_conf {
	char name[SL_CONFIG_SUBJECT_MAX]; /* the family: a key's first folder ("" = defaults) */
	int64_t depth;            /* folders that name the table, 1..8; 0 = the defaults' */
	char schema_change[16];   /* update | add_columns | log; resolved from defaults */
	char deletion[16];        /* delete | deprecate | log; resolved from defaults */
};

struct sl_crawl_conf {
	int64_t batch_messages;   /* a batch ends at this many messages, 1..SL_BATCH_MAX
				   * (default 1000) */
	int64_t batch_wait_ms;    /* ... or when this long has passed since its first
				   * message (default 5 s, 0..15 min) */
	int64_t sample_bytes;     /* records inferred per object: those that start in its
				   * first sample_bytes decoded bytes (default 10 MiB; 0 =
				   * every record); the rest are only counted */
	int64_t max_struct_fields; /* more distinct names than this: a map (default 1000) */
	struct sl_family_conf defaults;
	struct sl_family_conf families[SL_CONFIG_MAX_FAMILIES];
	size_t n_families;
};

/* etl.defaults and etl.jobs.NAME: one ETL job (issue 7; docs/etl.md). */
#define SL_CONFIG_MAX_JOBS 32
#define SL_CONFIG_SQL_MAX 4096
struct sl_job_conf {
	char name[SL_CONFIG_SUBJECT_MAX];   /* the job ("" = defaults) */
	char source[SL_CONFIG_SUBJECT_MAX]; /* the raw table (a family) it reads; required */
	char target[SL_CONFIG_SUBJECT_MAX]; /* the curated table it writes ([a-z_][a-z0-9_]*);
					     * default: the source's table name, as the crawler
					     * names it (Web-Logs -> web_logs) */
	char layout[8];            /* flat (registered at commit) | nested (announced to the
				    * crawler); default flat */
	char codec[8];             /* zstd | snappy | gzip | none; default zstd */
	int64_t level;             /* codec level, 0 = its default */
	int64_t target_file_size;  /* bytes a Parquet file grows to before the next one
				    * starts (per partition); default 128 MiB, 1 MiB..4 GiB */
	char schedule[128];        /* cron (etl/cron.h), "" = on demand only; default
				    * "0 2 * * *" (daily at 02:00 UTC) */
	char on_error[12];         /* records the transform refuses: fail (the run fails,
				    * nothing is committed) | deadletter (default) */
	char partition_by[256];    /* output partition columns, comma-separated; "" = the
				    * source's partitions. A name may be derived: dt (the date
				    * of the record's `ts`, see docs/etl.md) */
	char sql[SL_CONFIG_SQL_MAX]; /* a SQL transform (SELECT ... FROM source), "" = the
				      * default transform (all columns cast to the catalog
				      * schema) */
	char mapping[SL_CONFIG_SQL_MAX]; /* the mapping transform (select, drop, rename,
					  * cast, derive, filter) as JSON text, "" = none;
					  * not with sql */
};

struct sl_etl_conf {
	struct sl_job_conf defaults;
	struct sl_job_conf jobs[SL_CONFIG_MAX_JOBS];
	size_t n_jobs;
	/* Families that get the default job (named like the family) when no job reads
	 * them: etl.default_jobs: [clicks, orders], or ["*"] for every raw table. */
	char default_jobs[SL_CONFIG_MAX_FAMILIES][SL_CONFIG_SUBJECT_MAX];
	size_t n_default_jobs;
	int64_t lease_ms;          /* a run's lease on its job, renewed while it runs;
				    * default 60 s, 5 s .. 1 h */
};

struct sl_config {
	int64_t version; /* file format version: 1 */

	/* store: */
	char store_backend[16]; /* "local" */
	bool store_fsync;       /* fsync objects and directories on every put */
	int64_t max_object_size; /* bytes; 0 = unlimited */

	/* metadata: */
	char meta_backend[16];  /* "sqlite" */
	int64_t busy_timeout_ms; /* how long to wait for a lock held by another process */
	char meta_synchronous[8]; /* "full" (durable) or "normal" */

	/* queues: defaults, then per-queue overrides (only the keys given are overridden;
	 * the resolved values are what sl_config_queue returns). The entries of queues[]
	 * are resolved when the file is loaded: keys an override did not give hold the
	 * values of queue_defaults at that time, in the order the file names the queues. */
	struct sl_queue_conf queue_defaults;
	struct sl_queue_conf queues[SL_CONFIG_MAX_QUEUES];
	size_t n_queues;

	/* validate: the validator stage (routing, policies per subject, report caps). */
	struct sl_validate_conf validate;

	/* crawl: the crawler stage (batching, sampling, table depth and policies). */
	struct sl_crawl_conf crawl;

	/* etl: jobs, their defaults and the families that get the default job. */
	struct sl_etl_conf etl;
};

/* Callback for every problem found while checking: line and column are 1-based (0 when
 * the problem is not tied to a place, e.g. the file cannot be read). */
typedef void sl_config_report_fn(void *ctx, const char *path, int line, int col,
				 const char *msg);

void sl_config_defaults(struct sl_config *cfg);

/* Loads and checks path into cfg (defaults first). On the first problem returns
 * SL_ECONFIG with err->msg = "PATH:LINE:COL: message" ("PATH: message" when the problem
 * has no place, e.g. the file is too large); a missing file is SL_ENOENT. On any failure
 * cfg holds the defaults. */
int sl_config_load(const char *path, struct sl_config *cfg, struct sl_err *err);

/* Like sl_config_load but reports every problem through report (may be NULL) and returns
 * the number of problems found (0 = valid), or a negative code if the file could not be
 * read at all. err (may be NULL) gets the first problem or the read failure. cfg (may be
 * NULL) gets the values that were valid, over the defaults. */
int sl_config_check(const char *path, struct sl_config *cfg, sl_config_report_fn *report,
		    void *ctx, struct sl_err *err);

/* The commented default file that `sluice init` writes. */
const char *sl_config_default_text(void);

/* Writes the effective configuration (every value, defaults included) as YAML. */
void sl_config_show(const struct sl_config *cfg, FILE *out);

/* Resolves the settings of queue `name` (overrides over defaults) into out. */
void sl_config_queue(const struct sl_config *cfg, const char *name, struct sl_queue_conf *out);

/* The settings of subject `name`: its entry in validate.subjects (resolved over
 * validate.defaults), else the defaults themselves. Borrowed from cfg. */
const struct sl_subject_conf *sl_config_subject(const struct sl_config *cfg, const char *name);

/* The settings of family `name`: crawl.families.NAME resolved over crawl.defaults, else
 * the defaults. Borrowed from cfg. */
const struct sl_family_conf *sl_config_family(const struct sl_config *cfg, const char *name);

/* The job `name`: etl.jobs.NAME resolved over etl.defaults, else the default job of a
 * family listed in etl.default_jobs (source = target = name), else NULL. out is filled. */
const struct sl_job_conf *sl_config_job(const struct sl_config *cfg, const char *name,
					struct sl_job_conf *out);

/* The job that writes curated table `table`: the etl.jobs entry whose target it is, else
 * the default job of a family in etl.default_jobs whose table it is, else NULL. With
 * default_jobs ["*"] the family cannot be known here: out is then etl.defaults with the
 * target set and name and source empty (the settings every default job has). */
const struct sl_job_conf *sl_config_job_writing(const struct sl_config *cfg, const char *table,
						struct sl_job_conf *out);

/* A size as sluice.yaml writes one ("64MiB", "1 GB", "512"): 0, or SL_EINVAL when text
 * is not one or is too large. */
int sl_config_parse_size(const char *text, int64_t *out);

/* Queue names the configuration accepts overrides for (NULL-terminated). */
extern const char *const sl_config_queue_names[];

#endif
