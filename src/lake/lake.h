/*
 * lake.h - a lake on disk: its layout, initialisation and opening.
 *
 *   LAKE/sluice.yaml          the pipeline configuration (user-edited)
 *   LAKE/landing|raw|deadletter|curated/   the zones: one file per object, key = path
 *   LAKE/.sluice/format       "sluice-lake 1": written last by init, so its presence
 *                             means the lake is complete
 *   LAKE/.sluice/meta.db      the SQLite metadata store (WAL)
 *   LAKE/.sluice/tmp/         puts in progress
 *   LAKE/.sluice/lock         serialises init (and later, maintenance)
 */
#ifndef SL_LAKE_H
#define SL_LAKE_H

#include "config/config.h"
#include "meta/meta.h"
#include "store/store.h"
#include "util/err.h"

#define SL_LAKE_FORMAT "sluice-lake 1\n"

struct sl_lake {
	char *root; /* absolute path */
	struct sl_config cfg;
	struct sl_meta meta;
	struct sl_store store;
};

/* Which lake a command works on: the --lake flag, else $SLUICE_LAKE, else the current
 * directory. Returns a malloc'd path. */
char *sl_lake_locate(const char *flag);

/* Creates a lake at dir (made if missing). Safe against a concurrent init of the same
 * directory: exactly one succeeds, the other gets SL_EEXIST. */
int sl_lake_init(const char *dir, struct sl_err *err);

/* Opens an initialised lake: checks the format, loads sluice.yaml, opens the metadata
 * store (migrating it if needed) and the object store, and applies the queue settings. */
int sl_lake_open(const char *dir, struct sl_lake **out, struct sl_err *err);
void sl_lake_close(struct sl_lake *lake);

/* When the lake was created: the time of .sluice/format, which init writes last (ms since
 * the epoch; 0 when it cannot be read). A job that never ran counts its schedule from
 * here (etl/jobs.h). */
int64_t sl_lake_created_ms(const struct sl_lake *lake);

#endif
