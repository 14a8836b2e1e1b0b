/*
 * fs.h - durable file-system primitives.
 *
 * Promises:
 *   1. sl_write_all either writes every byte or returns an error naming `what`; short
 *      writes and EINTR are retried, ENOSPC becomes SL_ENOSPC.
 *   2. sl_atomic_write_at leaves either the old file or the complete new one at `name`,
 *      never a mix, even across a crash: temp file, fsync, rename, fsync of the directory.
 *   3. sl_open_dir_beneath never follows a symbolic link and never leaves the directory it
 *      starts from: every component is opened with O_NOFOLLOW relative to its parent.
 */
#ifndef SL_FS_H
#define SL_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/err.h"

/* Test seam: when set, every write goes through this hook (fault injection: ENOSPC after
 * N bytes, short writes). NULL in production. */
extern ssize_t (*sl_fs_write_hook)(int fd, const void *buf, size_t len);

int sl_write_all(int fd, const void *buf, size_t len, const char *what, struct sl_err *err);
int sl_fsync(int fd, const char *what, struct sl_err *err);
int sl_fsync_dirat(int dirfd, const char *what, struct sl_err *err);

/* Writes data to dirfd/name atomically and durably (promise 2). */
int sl_atomic_write_at(int dirfd, const char *name, const void *data, size_t len,
		       struct sl_err *err);

/* Opens (and, if create, makes) the directory `rel` ("a/b/c", no leading '/', no "." or
 * ".." segments) beneath base_fd, refusing symbolic links at any level (promise 3).
 * With create and durable, each newly made directory's parent is fsynced. Returns the
 * new directory fd in *out. A folder removed by a concurrent sl_prune_empty_dirs while
 * it is walked is made again (up to SL_PRUNE_RETRIES times). */
#define SL_PRUNE_RETRIES 1000
int sl_open_dir_beneath(int base_fd, const char *rel, bool create, bool durable, int *out,
			struct sl_err *err);

/* Removes empty directories from base_fd/rel upwards, stopping at base_fd. */
void sl_prune_empty_dirs(int base_fd, const char *rel);

/* Reads a whole small file (at most max bytes) into a malloc'd, NUL-terminated buffer. */
int sl_read_small_file(const char *path, size_t max, char **out, size_t *len_out,
		       struct sl_err *err);

#endif
