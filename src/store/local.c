/*
 * local.c - the local-directory object-store backend.
 *
 * Layout: LAKE/<zone>/<key> holds the bytes of each object, so other tools can read the
 * zones in place; LAKE/.sluice/tmp holds puts in progress. Promises:
 *   1. A put's bytes are written to an unnamed (O_TMPFILE) or locked temp file, fsynced,
 *      then renamed onto the key and the directory fsynced: the key shows the old object
 *      or the complete new one, never a part.
 *   2. Every temp file that has a name is flock()ed by its writer for its whole life, so
 *      fsck removes exactly the ones whose writer died (the lock goes with the process).
 *   3. Paths are walked one component at a time with O_NOFOLLOW from the zone's directory
 *      (fs.c): a symbolic link anywhere under a zone is refused, never followed.
 */
#include "store/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fs.h"

#define TMP_DIR ".sluice/tmp"
#define SCAN_DEPTH_MAX 520 /* a 1024-byte key has at most 512 segments */

struct local {
	int root_fd;
	int tmp_fd;
	int zone_fd[SL_ZONE_COUNT];
	bool fsync;
};

struct local_writer {
	struct local *l;
	int fd;
	int zone;
	char tmpname[64]; /* "" while the temp file is unnamed (O_TMPFILE) */
	char key[SL_KEY_MAX + 1];
};

static void local_close(void *state)
{
	struct local *l = state;
	if (!l)
		return;
	for (int i = 0; i < SL_ZONE_COUNT; i++)
		if (l->zone_fd[i] >= 0)
			close(l->zone_fd[i]);
	if (l->tmp_fd >= 0)
		close(l->tmp_fd);
	if (l->root_fd >= 0)
		close(l->root_fd);
	free(l);
}

static int local_open(const char *root, const struct sl_store_opts *opts, void **state,
		      struct sl_err *err)
{
	struct local *l = calloc(1, sizeof(*l));
	int rc = 0;
	if (!l)
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	l->tmp_fd = -1;
	for (int i = 0; i < SL_ZONE_COUNT; i++)
		l->zone_fd[i] = -1;
	l->fsync = opts->fsync;
	l->root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (l->root_fd < 0) {
		rc = sl_err_errno(err, errno, "%s", root);
		goto fail;
	}
	if ((rc = sl_open_dir_beneath(l->root_fd, TMP_DIR, true, l->fsync, &l->tmp_fd, err)) != 0)
		goto fail;
	for (int i = 0; i < SL_ZONE_COUNT; i++) {
		rc = sl_open_dir_beneath(l->root_fd, sl_zone_names[i], true, l->fsync,
					 &l->zone_fd[i], err);
		if (rc)
			goto fail;
	}
	*state = l;
	return 0;
fail:
	local_close(l);
	return rc;
}

static int zone_index(const char *zone, struct sl_err *err)
{
	int z = sl_zone_from_name(zone);
	if (z < 0)
		sl_err_set(err, SL_EKEY, "unknown zone '%s'", zone);
	return z;
}

/* Splits key into its directory part (copied to dir, "" if none) and its last segment. */
static const char *split_key(const char *key, char *dir, size_t cap)
{
	const char *slash = strrchr(key, '/');
	if (!slash) {
		dir[0] = '\0';
		return key;
	}
	size_t n = (size_t)(slash - key);
	if (n >= cap)
		n = cap - 1;
	memcpy(dir, key, n);
	dir[n] = '\0';
	return slash + 1;
}

/* Opens the directory that holds key (dup of the zone fd for top-level keys). */
static int open_parent(struct local *l, int z, const char *key, bool create, int *out,
		       const char **leaf, struct sl_err *err)
{
	char dir[SL_KEY_MAX + 1];
	*leaf = split_key(key, dir, sizeof(dir));
	int rc = sl_open_dir_beneath(l->zone_fd[z], dir, create, create && l->fsync, out, err);
	if (rc == SL_EKEY || rc == SL_ENOENT) {
		if (rc == SL_EKEY && err)
			sl_err_set(err, SL_EKEY,
				   "%s/%s: a parent of this key is an existing object or a "
				   "symbolic link",
				   sl_zone_names[z], key);
		else if (err)
			sl_err_prefix(err, "%s", sl_zone_names[z]);
	}
	return rc;
}

static int local_put_begin(void *state, const char *zone, const char *key, void **writer,
			   struct sl_err *err)
{
	struct local *l = state;
	int z = zone_index(zone, err);
	if (z < 0)
		return SL_EKEY;
	struct local_writer *w = calloc(1, sizeof(*w));
	if (!w)
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	w->l = l;
	w->zone = z;
	snprintf(w->key, sizeof(w->key), "%s", key);
	w->fd = openat(l->tmp_fd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
	if (w->fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
		/* no O_TMPFILE on this file system: a named temp file, locked at once */
		uint64_t r = 0;
		if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
			r = (uint64_t)getpid() * 2654435761u;
		snprintf(w->tmpname, sizeof(w->tmpname), "put-%ld-%016llx", (long)getpid(),
			 (unsigned long long)r);
		w->fd = openat(l->tmp_fd, w->tmpname,
			       O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	}
	if (w->fd < 0) {
		int rc = sl_err_errno(err, errno, "%s/%s: cannot create temp file", zone, key);
		free(w);
		return rc;
	}
	flock(w->fd, LOCK_EX);
	*writer = w;
	return 0;
}

static int local_put_write(void *writer, const void *data, size_t len, struct sl_err *err)
{
	struct local_writer *w = writer;
	return sl_write_all(w->fd, data, len, w->key, err);
}

static void local_put_abort(void *writer)
{
	struct local_writer *w = writer;
	if (!w)
		return;
	if (w->tmpname[0])
		unlinkat(w->l->tmp_fd, w->tmpname, 0);
	close(w->fd);
	free(w);
}

static void fingerprint(const struct stat *st, struct sl_fingerprint *fp)
{
	fp->size = (int64_t)st->st_size;
	fp->inode = (int64_t)st->st_ino;
	fp->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

static int local_put_commit(void *writer, struct sl_fingerprint *fp, struct sl_err *err)
{
	struct local_writer *w = writer;
	struct local *l = w->l;
	const char *zone = sl_zone_names[w->zone], *leaf;
	int parent = -1, rc;
	struct stat st;
	if (l->fsync && (rc = sl_fsync(w->fd, w->key, err)) != 0)
		goto fail;
	if (fstat(w->fd, &st) != 0) {
		rc = sl_err_errno(err, errno, "%s/%s: fstat", zone, w->key);
		goto fail;
	}
	fingerprint(&st, fp);
	if (!w->tmpname[0]) {
		/* Give the unnamed file a (locked) name so it can be renamed over the key. */
		char proc[64];
		uint64_t r = 0;
		if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
			r = (uint64_t)st.st_ino;
		snprintf(w->tmpname, sizeof(w->tmpname), "put-%ld-%016llx", (long)getpid(),
			 (unsigned long long)r);
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", w->fd);
		if (linkat(AT_FDCWD, proc, l->tmp_fd, w->tmpname, AT_SYMLINK_FOLLOW) != 0) {
			rc = sl_err_errno(err, errno, "%s/%s: cannot link temp file", zone, w->key);
			w->tmpname[0] = '\0';
			goto fail;
		}
	}
	if ((rc = open_parent(l, w->zone, w->key, true, &parent, &leaf, err)) != 0)
		goto fail;
	if (renameat(l->tmp_fd, w->tmpname, parent, leaf) != 0) {
		if (errno == EISDIR || errno == ENOTEMPTY || errno == EEXIST)
			rc = sl_err_set(err, SL_EKEY,
					"%s/%s: key is already a prefix of other objects", zone,
					w->key);
		else
			rc = sl_err_errno(err, errno, "%s/%s: rename", zone, w->key);
		goto fail;
	}
	w->tmpname[0] = '\0';
	if (l->fsync && (rc = sl_fsync_dirat(parent, w->key, err)) != 0) {
		/* The rename happened but may not survive a crash; report failure so the
		 * caller does not index it. fsck reconciles either outcome. */
		goto fail;
	}
	close(parent);
	close(w->fd);
	free(w);
	return 0;
fail:
	if (parent >= 0)
		close(parent);
	local_put_abort(w);
	return rc;
}

struct local_reader {
	int fd;
};

static int open_object(struct local *l, const char *zone, const char *key, int *fd_out,
		       struct sl_fingerprint *fp, struct sl_err *err)
{
	int z = zone_index(zone, err), parent, fd;
	const char *leaf;
	struct stat st;
	if (z < 0)
		return SL_EKEY;
	int rc = open_parent(l, z, key, false, &parent, &leaf, err);
	if (rc)
		return rc;
	fd = openat(parent, leaf, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	int e = errno;
	close(parent);
	if (fd < 0) {
		if (e == ELOOP)
			return sl_err_set(err, SL_EKEY, "%s/%s: is a symbolic link, refused", zone,
					  key);
		return sl_err_errno(err, e, "%s/%s", zone, key);
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return sl_err_set(err, SL_ENOENT, "%s/%s: not a regular file", zone, key);
	}
	fingerprint(&st, fp);
	*fd_out = fd;
	return 0;
}

static int local_get_open(void *state, const char *zone, const char *key, void **reader,
			  struct sl_fingerprint *fp, struct sl_err *err)
{
	struct local_reader *r = malloc(sizeof(*r));
	if (!r)
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	int rc = open_object(state, zone, key, &r->fd, fp, err);
	if (rc) {
		free(r);
		return rc;
	}
	*reader = r;
	return 0;
}

static int local_get_read(void *reader, void *buf, size_t cap, size_t *n, struct sl_err *err)
{
	struct local_reader *r = reader;
	for (;;) {
		ssize_t got = read(r->fd, buf, cap);
		if (got >= 0) {
			*n = (size_t)got;
			return 0;
		}
		if (errno != EINTR)
			return sl_err_errno(err, errno, "read");
	}
}

static void local_get_close(void *reader)
{
	struct local_reader *r = reader;
	if (r) {
		close(r->fd);
		free(r);
	}
}

static int local_stat(void *state, const char *zone, const char *key,
		      struct sl_fingerprint *fp, struct sl_err *err)
{
	struct local *l = state;
	int z = zone_index(zone, err), parent;
	const char *leaf;
	struct stat st;
	if (z < 0)
		return SL_EKEY;
	int rc = open_parent(l, z, key, false, &parent, &leaf, err);
	if (rc)
		return rc == SL_EKEY ? sl_err_set(err, SL_ENOENT, "%s/%s: absent", zone, key) : rc;
	rc = fstatat(parent, leaf, &st, AT_SYMLINK_NOFOLLOW);
	int e = errno;
	close(parent);
	if (rc != 0)
		return sl_err_errno(err, e, "%s/%s", zone, key);
	if (!S_ISREG(st.st_mode))
		return sl_err_set(err, SL_ENOENT, "%s/%s: not a regular file", zone, key);
	fingerprint(&st, fp);
	return 0;
}

static int local_remove(void *state, const char *zone, const char *key, struct sl_err *err)
{
	struct local *l = state;
	int z = zone_index(zone, err), parent;
	const char *leaf;
	char dir[SL_KEY_MAX + 1];
	if (z < 0)
		return SL_EKEY;
	int rc = open_parent(l, z, key, false, &parent, &leaf, err);
	if (rc == SL_ENOENT)
		return 0; /* already gone */
	if (rc)
		return rc;
	if (unlinkat(parent, leaf, 0) != 0 && errno != ENOENT) {
		rc = sl_err_errno(err, errno, "%s/%s: remove", zone, key);
		close(parent);
		return rc;
	}
	if (l->fsync)
		rc = sl_fsync_dirat(parent, key, err);
	close(parent);
	split_key(key, dir, sizeof(dir));
	if (dir[0])
		sl_prune_empty_dirs(l->zone_fd[z], dir);
	return rc;
}

/* ---- scans (fsck) --------------------------------------------------------------------- */

struct scan {
	const char *zone;
	sl_scan_fn *fn;
	sl_scan_odd_fn *odd;
	void *ctx;
	char path[SL_KEY_MAX + 512];
	struct sl_err *err;
};

static int scan_dir(struct scan *sc, int dir_fd, size_t plen, int depth)
{
	DIR *d = fdopendir(dir_fd);
	struct dirent *de;
	int rc = 0;
	if (!d) {
		close(dir_fd);
		return sl_err_errno(sc->err, errno, "%s/%s: cannot read directory", sc->zone,
				    sc->path);
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		const char *name = de->d_name;
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		size_t nlen = strlen(name), len = plen + (plen ? 1 : 0) + nlen;
		if (len >= sizeof(sc->path)) {
			rc = sc->odd(sc->ctx, sc->zone, name, "path too long to be a key");
			continue;
		}
		if (plen)
			sc->path[plen] = '/';
		memcpy(sc->path + plen + (plen ? 1 : 0), name, nlen + 1);
		struct stat st;
		if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			if (errno != ENOENT) /* removed meanwhile: nothing to check */
				rc = sl_err_errno(sc->err, errno, "%s/%s", sc->zone, sc->path);
		} else if (S_ISDIR(st.st_mode)) {
			if (depth >= SCAN_DEPTH_MAX) {
				rc = sc->odd(sc->ctx, sc->zone, sc->path, "directory nesting too deep");
			} else {
				int sub = openat(dirfd(d), name,
						 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
				if (sub >= 0)
					rc = scan_dir(sc, sub, len, depth + 1);
			}
		} else if (S_ISREG(st.st_mode)) {
			struct sl_fingerprint fp;
			if (sl_key_check(sc->path, NULL) != 0) {
				rc = sc->odd(sc->ctx, sc->zone, sc->path, "name is not a valid key");
			} else {
				fingerprint(&st, &fp);
				rc = sc->fn(sc->ctx, sc->zone, sc->path, &fp);
			}
		} else {
			rc = sc->odd(sc->ctx, sc->zone, sc->path,
				     S_ISLNK(st.st_mode) ? "symbolic link (never followed)"
							 : "not a regular file");
		}
		sc->path[plen] = '\0';
	}
	closedir(d);
	return rc;
}

static int local_scan(void *state, const char *zone, sl_scan_fn *fn, sl_scan_odd_fn *odd,
		      void *ctx, struct sl_err *err)
{
	struct local *l = state;
	int z = zone_index(zone, err);
	if (z < 0)
		return SL_EKEY;
	struct scan *sc = calloc(1, sizeof(*sc));
	if (!sc)
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	sc->zone = zone;
	sc->fn = fn;
	sc->odd = odd;
	sc->ctx = ctx;
	sc->err = err;
	int fd = openat(l->zone_fd[z], ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = fd < 0 ? sl_err_errno(err, errno, "%s", zone) : scan_dir(sc, fd, 0, 0);
	free(sc);
	return rc;
}

static int local_temp_scan(void *state, bool remove, sl_temp_fn *fn, void *ctx,
			   struct sl_err *err)
{
	struct local *l = state;
	int fd = openat(l->tmp_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return sl_err_errno(err, errno, TMP_DIR);
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return sl_err_errno(err, errno, TMP_DIR);
	}
	struct dirent *de;
	int rc = 0;
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		int tfd = openat(l->tmp_fd, de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
							       O_NONBLOCK);
		bool in_use = false;
		if (tfd >= 0) {
			in_use = flock(tfd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
		}
		/* Unlink while holding the lock, so no writer can have taken it meanwhile. */
		if (remove && !in_use)
			unlinkat(l->tmp_fd, de->d_name, 0);
		if (tfd >= 0)
			close(tfd);
		rc = fn(ctx, de->d_name, in_use);
	}
	closedir(d);
	if (rc == 0 && remove && l->fsync)
		rc = sl_fsync_dirat(l->tmp_fd, TMP_DIR, err);
	return rc;
}

const struct sl_store_ops sl_store_local = {
	.name = "local",
	.open = local_open,
	.close = local_close,
	.put_begin = local_put_begin,
	.put_write = local_put_write,
	.put_commit = local_put_commit,
	.put_abort = local_put_abort,
	.get_open = local_get_open,
	.get_read = local_get_read,
	.get_close = local_get_close,
	.stat = local_stat,
	.remove = local_remove,
	.scan = local_scan,
	.temp_scan = local_temp_scan,
};
