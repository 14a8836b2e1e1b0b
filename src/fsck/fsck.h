/*
 * fsck.h - finds, and on request repairs, what a crash can leave in a lake.
 *
 *   temp        a temp file whose writer died               repair: removed
 *   unindexed   an object file without an index row          repair: indexed + evented
 *   changed     a file replaced (new inode) behind its index  repair: re-indexed + evented
 *   missing     an index row whose file is gone              repair: flagged 'missing'
 *   deleting    an rm that was interrupted                   repair: finished
 *   corrupt     a file modified in place (sluice never does   repair: flagged 'corrupt'
 *               that), or with verify, content that no longer
 *               matches its checksum
 *   empty       a folder without objects, left by an          repair: removed
 *               interrupted put or rm
 *   odd         an entry in a zone that is not an object     reported only, never touched
 *               (symbolic link, device, invalid name)
 *   staged      a file an ETL run published and did not       repair: removed (and its
 *               commit (never adopted: etl.h promise 4)       staged row forgotten),
 *                                                             unless the run is still going
 */
#ifndef SL_FSCK_H
#define SL_FSCK_H

#include <stdbool.h>
#include <stdint.h>

#include "lake/lake.h"

enum sl_fsck_kind {
	SL_FSCK_TEMP,
	SL_FSCK_UNINDEXED,
	SL_FSCK_CHANGED,
	SL_FSCK_MISSING,
	SL_FSCK_DELETING,
	SL_FSCK_CORRUPT,
	SL_FSCK_ODD,
	SL_FSCK_EMPTY,
	SL_FSCK_STAGED,
	SL_FSCK_KINDS
};

extern const char *const sl_fsck_kind_names[SL_FSCK_KINDS];

struct sl_fsck_opts {
	bool repair;
	bool verify; /* re-hash every object */
};

struct sl_fsck_result {
	int64_t objects_checked;
	int64_t found[SL_FSCK_KINDS];
	int64_t repaired[SL_FSCK_KINDS];
};

/* Called for every finding; `repaired` says whether it was fixed. */
typedef void sl_fsck_fn(void *ctx, enum sl_fsck_kind kind, const char *zone,
			const char *key, const char *detail, bool repaired);

int sl_fsck(struct sl_lake *lake, const struct sl_fsck_opts *opts, sl_fsck_fn *fn, void *ctx,
	    struct sl_fsck_result *res, struct sl_err *err);

#endif
