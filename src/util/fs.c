/* fs.c - durable file-system primitives; see fs.h for the promises. */
#include "util/fs.h"

#include <errno.h>
#include <sched.h>
#include <time.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

ssize_t (*sl_fs_write_hook)(int fd, const void *buf, size_t len);

int sl_write_all(int fd, const void *buf, size_t len, const char *what, struct sl_err *err)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = sl_fs_write_hook ? sl_fs_write_hook(fd, p, len) : write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return sl_err_errno(err, errno, "%s: write failed", what);
		}
		if (n == 0)
			return sl_err_set(err, SL_ENOSPC, "%s: write made no progress", what);
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int sl_fsync(int fd, const char *what, struct sl_err *err)
{
	while (fsync(fd) != 0) {
		if (errno != EINTR)
			return sl_err_errno(err, errno, "%s: fsync failed", what);
	}
	return 0;
}

int sl_fsync_dirat(int dirfd, const char *what, struct sl_err *err)
{
	return sl_fsync(dirfd, what, err);
}

int sl_atomic_write_at(int dirfd, const char *name, const void *data, size_t len,
		       struct sl_err *err)
{
	char tmp[512];
	int fd = -1, rc;
	if (snprintf(tmp, sizeof(tmp), ".%s.tmp.%ld", name, (long)getpid()) >= (int)sizeof(tmp))
		return sl_err_set(err, SL_EINVAL, "%s: name too long", name);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return sl_err_errno(err, errno, "%s: cannot create temp file", name);
	if ((rc = sl_write_all(fd, data, len, name, err)) != 0)
		goto fail;
	if ((rc = sl_fsync(fd, name, err)) != 0)
		goto fail;
	close(fd);
	fd = -1;
	if (renameat(dirfd, tmp, dirfd, name) != 0) {
		rc = sl_err_errno(err, errno, "%s: rename failed", name);
		goto fail;
	}
	return sl_fsync_dirat(dirfd, name, err);
fail:
	if (fd >= 0)
		close(fd);
	unlinkat(dirfd, tmp, 0);
	return rc;
}

/* One walk of sl_open_dir_beneath. SL_ESTALE: a folder on the way vanished while we
 * walked (removed by a concurrent prune of empty folders): walk again. */
static int open_dir_walk(int base_fd, const char *rel, bool create, bool durable, int *out,
			 struct sl_err *err)
{
	int cur = dup(base_fd);
	if (cur < 0)
		return sl_err_errno(err, errno, "dup");
	const char *p = rel;
	char seg[256];
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		if (n == 0 || n >= sizeof(seg)) {
			close(cur);
			return sl_err_set(err, SL_EKEY, "%s: bad path segment", rel);
		}
		memcpy(seg, p, n);
		seg[n] = '\0';
		int next = openat(cur, seg, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT && create) {
			if (mkdirat(cur, seg, 0755) != 0 && errno != EEXIST) {
				int e = errno;
				close(cur);
				if (e == ENOENT)
					return SL_ESTALE; /* cur was removed since we opened it */
				return sl_err_errno(err, e, "%.*s: cannot create directory",
						    (int)(p - rel + n), rel);
			}
			if (durable && sl_fsync_dirat(cur, rel, err) != 0) {
				close(cur);
				return err ? err->code : SL_EIO;
			}
			next = openat(cur, seg, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (next < 0 && errno == ENOENT) {
				close(cur);
				return SL_ESTALE; /* made, and removed again at once */
			}
		}
		if (next < 0) {
			int e = errno;
			close(cur);
			if (e == ELOOP || e == ENOTDIR)
				return sl_err_set(err, SL_EKEY,
						  "%.*s: is a symbolic link or not a directory",
						  (int)(p - rel + n), rel);
			return sl_err_errno(err, e, "%.*s", (int)(p - rel + n), rel);
		}
		close(cur);
		cur = next;
		p += n;
		if (*p == '/')
			p++;
	}
	*out = cur;
	return 0;
}

int sl_open_dir_beneath(int base_fd, const char *rel, bool create, bool durable, int *out,
			struct sl_err *err)
{
	/* Removing an object prunes the folders it leaves empty (sl_prune_empty_dirs), so a
	 * folder a put is creating its way through can vanish under it: walk again. Each
	 * retry means another process made progress; but on a loaded machine the same few
	 * racers can keep beating one walker, so after a few quick retries it backs off
	 * (yield, then sleeps growing to 1 ms) to let the pruners finish. */
	for (int attempt = 0;; attempt++) {
		int rc = open_dir_walk(base_fd, rel, create, durable, out, err);
		if (rc != SL_ESTALE)
			return rc;
		if (attempt == SL_PRUNE_RETRIES)
			return sl_err_set(err, SL_EIO, "%s: folders keep vanishing while being made",
					  rel);
		if (attempt >= 4) {
			struct timespec ts = {0, attempt < 8 ? 0 : 1000L * (attempt < 1000 ? attempt : 1000)};
			if (ts.tv_nsec)
				nanosleep(&ts, NULL);
			else
				sched_yield();
		}
	}
}

void sl_prune_empty_dirs(int base_fd, const char *rel)
{
	char buf[4096];
	size_t n = strlen(rel);
	if (n >= sizeof(buf))
		return;
	memcpy(buf, rel, n + 1);
	while (n > 0) {
		if (unlinkat(base_fd, buf, AT_REMOVEDIR) != 0)
			return; /* not empty (or gone): stop */
		char *slash = strrchr(buf, '/');
		if (!slash)
			return;
		*slash = '\0';
		n = (size_t)(slash - buf);
	}
}

int sl_read_small_file(const char *path, size_t max, char **out, size_t *len_out,
		       struct sl_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0)
		return sl_err_errno(err, errno, "%s", path);
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		return sl_err_errno(err, EISDIR, "%s", path);
	}
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap + 1);
	int rc = 0;
	if (!buf) {
		rc = sl_err_set(err, SL_ENOMEM, "%s: out of memory", path);
		goto fail;
	}
	for (;;) {
		if (len == cap) {
			if (cap > max) {
				rc = sl_err_set(err, SL_ELIMIT, "%s: larger than %zu bytes", path, max);
				goto fail;
			}
			/* one byte past max tells a file of exactly max bytes from a larger one */
			cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			char *nb = realloc(buf, cap + 1);
			if (!nb) {
				rc = sl_err_set(err, SL_ENOMEM, "%s: out of memory", path);
				goto fail;
			}
			buf = nb;
		}
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = sl_err_errno(err, errno, "%s: read failed", path);
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (len > max) {
		free(buf);
		return sl_err_set(err, SL_ELIMIT, "%s: larger than %zu bytes", path, max);
	}
	buf[len] = '\0';
	*out = buf;
	if (len_out)
		*len_out = len;
	return 0;
fail:
	close(fd);
	free(buf);
	return rc;
}
