/*
 * transform.h - the seam between the run engine (run.c) and a job's transform: what
 * turns the records of the pending source objects into the rows of the target table.
 *
 *   default   every record as it is, written with the source table's catalog schema
 *             (run.c);
 *   mapping   select, rename, cast, drop, derive and filter, compiled once per run
 *             against the source schema and applied record by record on the JSON
 *             engine's tape (mapping.c, with expr.h's expressions);
 *   sql       a SQLite SELECT over the pending records exposed as a virtual table
 *             (sql.c).
 *
 * The engine reads the pending objects in landing order and hands every record to
 * ops->record; the transform answers through the environment: env->emit for each output
 * row (a JSON object of the output row type), env->refuse for a source record it cannot
 * transform (it goes to the run's dead letter with the reason, or fails the run,
 * on_error). A transform that needs all of its input first (SQL) keeps the records and
 * emits in ops->finish. The engine partitions the emitted rows (partition_by), writes
 * them with the Parquet writer and commits them (etl.h).
 *
 * Promises every transform keeps (tests/unit/test_etl_run.c, test_etl_mapping.c,
 * test_etl_sql.c):
 *   1. Every source record handed to it is emitted from, refused, or dropped on purpose
 *      (a filter, an aggregate); a record is never half emitted.
 *   2. The output row type is set (by open, or by finish before its first emit) and
 *      every emitted row is meant to fit it; one that does not is refused by the writer
 *      and goes to the dead letter with the writer's reason.
 *   3. Memory is bounded whatever the input: per record by the JSON engine's limits,
 *      and a transform that keeps records keeps them on disk, not in memory.
 *   4. open fails with SL_ECONFIG and a message naming the job and what is wrong (an
 *      unknown column, a bad expression with its position, a bad SQL statement) before
 *      any record is read.
 */
#ifndef SL_ETL_TRANSFORM_H
#define SL_ETL_TRANSFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "json/json.h"
#include "store/store.h"
#include "types/types.h"
#include "util/err.h"

/* A source record. */
struct sl_etl_rec {
	const struct sl_object *obj;   /* the raw object it came from */
	const char *part;              /* the object's catalog partition ("dt=2026-01-05",
					* "" when none) */
	int64_t line;                  /* its line (or row) in the object */
	const struct sl_json_doc *doc; /* the record, a JSON object */
};

/* What the engine gives a transform for one run. */
struct sl_etl_xform_env {
	const char *job;                  /* the job's name, for messages */
	const struct sl_job_conf *conf;   /* the job's settings */
	const struct sl_type *src_row;    /* the source table's catalog row type (a struct) */
	const char *src_part_keys;        /* the source table's partition keys, comma-
					   * separated ("dt,country"), "" when none */
	const struct sl_type *target_row; /* the target table's row type as committed by
					   * earlier runs, NULL when it has none yet */
	const struct sl_json_limits *lim; /* the JSON engine's limits of the run */
	const char *tmp_dir;              /* a directory for spools, removed by the caller */
	void *ctx;
	/* An output row; src is the record it came from, NULL when it came from several
	 * (an aggregate). The row must stay valid only during the call. An error from emit
	 * (other than a refusal, which the engine handles itself) fails the run: return it. */
	int (*emit)(void *ctx, const struct sl_etl_rec *src, const struct sl_json_doc *row,
		    struct sl_err *err);
	/* Refuses src (may be NULL: the transform's own failure on many records) with why;
	 * 0, or an error that fails the run (on_error fail). */
	int (*refuse)(void *ctx, const struct sl_etl_rec *src, const char *why,
		      struct sl_err *err);
	/* Call now and then during long work: keeps the job's lease. */
	void (*progress)(void *ctx);
};

struct sl_etl_xform_ops {
	const char *name; /* "default", "mapping", "sql" */
	/* Prepares one run. *row gets the output row type (owned by the caller) when it is
	 * known now, else NULL (finish gives it). */
	int (*open)(const struct sl_etl_xform_env *env, void **state, struct sl_type **row,
		    struct sl_err *err);
	/* One source record (rec->doc is an object). */
	int (*record)(void *state, const struct sl_etl_rec *rec, struct sl_err *err);
	/* The input ended: emits what is left. *row gets the output row type when open did
	 * not (owned by the caller; may stay NULL when nothing was emitted). */
	int (*finish)(void *state, struct sl_type **row, struct sl_err *err);
	void (*free)(void *state);
};

extern const struct sl_etl_xform_ops sl_etl_xform_default;
extern const struct sl_etl_xform_ops sl_etl_xform_mapping;
extern const struct sl_etl_xform_ops sl_etl_xform_sql;

/* The transform a job's settings ask for: sql when conf->sql is set, mapping when
 * conf->mapping is, else default. */
const struct sl_etl_xform_ops *sl_etl_xform_for(const struct sl_job_conf *conf);

#endif
