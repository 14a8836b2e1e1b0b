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
#include <time.h>
#include <unistd.h>

#include "util/clock.h"
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
	bool linked;      /* the temp is a link to a stored object: its bytes are durable */
	bool in_place;    /* linked, and the key already named that very file: nothing moved */
	char key[SL_KEY_MAX + 1];
	/* after publish: */
	int parent_fd;   /* the key's folder */
	int backup_fd;   /* the replaced object, flocked so fsck leaves its link alone */
	char backup[64]; /* its name in tmp/, "" if the key was new */
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
	w->parent_fd = w->backup_fd = -1;
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

static void writer_free(struct local_writer *w)
{
	if (w->tmpname[0])
		unlinkat(w->l->tmp_fd, w->tmpname, 0);
	if (w->backup[0])
		unlinkat(w->l->tmp_fd, w->backup, 0);
	if (w->backup_fd >= 0)
		close(w->backup_fd);
	if (w->parent_fd >= 0)
		close(w->parent_fd);
	close(w->fd);
	free(w);
}

static void local_put_abort(void *writer)
{
	if (writer)
		writer_free(writer);
}

static void fingerprint(const struct stat *st, struct sl_fingerprint *fp)
{
	fp->size = (int64_t)st->st_size;
	fp->inode = (int64_t)st->st_ino;
	fp->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

/* Gives the file open as fd a fresh name in tmp/ ("prefix-PID-RANDOM"). */
static int link_into_tmp(struct local *l, int fd, const char *prefix, char *name, size_t cap,
			 struct sl_err *err)
{
	char proc[64];
	uint64_t r = 0;
	if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
		r = (uint64_t)getpid() * 2654435761u ^ (uint64_t)fd;
	snprintf(name, cap, "%s-%ld-%016llx", prefix, (long)getpid(), (unsigned long long)r);
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (linkat(AT_FDCWD, proc, l->tmp_fd, name, AT_SYMLINK_FOLLOW) != 0) {
		int e = errno;
		name[0] = '\0';
		return sl_err_errno(err, e, "cannot link %s file into " TMP_DIR, prefix);
	}
	return 0;
}

static int open_object(struct local *l, const char *zone, const char *key, int *fd_out,
		       struct sl_fingerprint *fp, struct sl_err *err);

/* A writer whose temp file is a new link to a stored object (the same bytes, nothing
 * copied): publishing it puts those bytes under another key. The object's bytes were made
 * durable when it was put, so only the new name has to be (the folder's fsync). The inode
 * is flocked while the temp has its name, as every named temp is (fsck), without waiting:
 * if another writer holds that lock, it protects the name just as well. */
static int local_put_link(void *state, const char *from_zone, const char *from_key,
			  const char *zone, const char *key, void **writer,
			  struct sl_fingerprint *from_fp, struct sl_err *err)
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
	w->parent_fd = w->backup_fd = -1;
	w->linked = true;
	snprintf(w->key, sizeof(w->key), "%s", key);
	int rc = open_object(l, from_zone, from_key, &w->fd, from_fp, err);
	if (rc) {
		free(w);
		return rc;
	}
	flock(w->fd, LOCK_EX | LOCK_NB);
	if ((rc = link_into_tmp(l, w->fd, "put", w->tmpname, sizeof(w->tmpname), err)) != 0) {
		writer_free(w);
		return rc;
	}
	*writer = w;
	return 0;
}

/* Removes dir_fd/name if it is a folder holding nothing but empty folders. */
static int remove_empty_tree(int dir_fd, const char *name, int depth)
{
	int fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || depth > SCAN_DEPTH_MAX) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	DIR *d = fdopendir(fd);
	struct dirent *de;
	int rc = d ? 0 : -1;
	while (rc == 0 && d && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		rc = remove_empty_tree(dirfd(d), de->d_name, depth + 1);
	}
	if (d)
		closedir(d);
	else
		close(fd);
	return rc == 0 ? unlinkat(dir_fd, name, AT_REMOVEDIR) : rc;
}

/* If the key's path holds an object, keeps it reachable under a locked name in tmp/ so
 * that finish(keep=false) can put it back. */
static int keep_backup(struct local_writer *w, const char *leaf, struct sl_err *err)
{
	int fd = openat(w->parent_fd, leaf, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	if (fd < 0) {
		if (errno == ENOENT || errno == ELOOP)
			return 0; /* nothing to keep (a symlink is replaced, never followed) */
		return sl_err_errno(err, errno, "%s/%s", sl_zone_names[w->zone], w->key);
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return 0; /* a folder: the rename says what is wrong */
	}
	/* Never waits: a writer that holds this file's lock (put_copy links the file it
	 * copies) protects its name in tmp/ from fsck as well, and waiting here, with the
	 * key locked, could deadlock with it. */
	flock(fd, LOCK_EX | LOCK_NB);
	int rc = link_into_tmp(w->l, fd, "old", w->backup, sizeof(w->backup), err);
	if (rc) {
		close(fd);
		return rc;
	}
	w->backup_fd = fd;
	return 0;
}

static int local_put_finish(void *writer, bool keep, struct sl_err *err);

static int local_put_publish(void *writer, struct sl_fingerprint *fp, struct sl_err *err)
{
	struct local_writer *w = writer;
	struct local *l = w->l;
	const char *zone = sl_zone_names[w->zone], *leaf;
	int rc;
	struct stat st;
	if (l->fsync && !w->linked && (rc = sl_fsync(w->fd, w->key, err)) != 0)
		goto fail;
	if (fstat(w->fd, &st) != 0) {
		rc = sl_err_errno(err, errno, "%s/%s: fstat", zone, w->key);
		goto fail;
	}
	fingerprint(&st, fp);
	/* Give the unnamed file a (locked) name so it can be renamed over the key. */
	if (!w->tmpname[0] &&
	    (rc = link_into_tmp(l, w->fd, "put", w->tmpname, sizeof(w->tmpname), err)) != 0)
		goto fail;
	if ((rc = open_parent(l, w->zone, w->key, true, &w->parent_fd, &leaf, err)) != 0)
		goto fail;
	struct stat cur;
	if (w->linked && fstatat(w->parent_fd, leaf, &cur, AT_SYMLINK_NOFOLLOW) == 0 &&
	    cur.st_ino == st.st_ino && cur.st_dev == st.st_dev) {
		/* The key is already a link to this file (an earlier attempt of the same
		 * copy): a rename between two links of one file would do nothing and leave the
		 * temp behind, and keeping a backup would lock the file we hold. Done. */
		unlinkat(l->tmp_fd, w->tmpname, 0);
		w->tmpname[0] = '\0';
		w->in_place = true;
		return 0;
	}
	if ((rc = keep_backup(w, leaf, err)) != 0)
		goto fail;
	rc = renameat(l->tmp_fd, w->tmpname, w->parent_fd, leaf);
	int e = rc ? errno : 0;
	for (int attempt = 0; e == ENOENT && attempt < SL_PRUNE_RETRIES; attempt++) {
		/* the key's folder was empty and a concurrent removal pruned it after we
		 * opened it (a folder that held the key, or a backup, is never empty): make it
		 * again */
		close(w->parent_fd);
		w->parent_fd = -1;
		if ((rc = open_parent(l, w->zone, w->key, true, &w->parent_fd, &leaf, err)) != 0)
			goto fail;
		rc = renameat(l->tmp_fd, w->tmpname, w->parent_fd, leaf);
		e = rc ? errno : 0;
	}
	bool is_dir = e == EISDIR || e == ENOTEMPTY || e == EEXIST;
	if (is_dir && remove_empty_tree(w->parent_fd, leaf, 0) == 0) {
		/* only empty folders, left by an interrupted put or rm: not a real prefix */
		rc = renameat(l->tmp_fd, w->tmpname, w->parent_fd, leaf);
		e = rc ? errno : 0;
		is_dir = e == EISDIR || e == ENOTEMPTY || e == EEXIST;
	}
	if (rc != 0) {
		errno = e;
		if (is_dir)
			rc = sl_err_set(err, SL_EKEY,
					"%s/%s: key is already a prefix of other objects", zone,
					w->key);
		else
			rc = sl_err_errno(err, errno, "%s/%s: rename", zone, w->key);
		goto fail;
	}
	w->tmpname[0] = '\0';
	if (l->fsync && (rc = sl_fsync_dirat(w->parent_fd, w->key, err)) != 0) {
		/* the rename may not survive a crash: undo it and report the failure */
		local_put_finish(w, false, NULL);
		return rc;
	}
	return 0;
fail:
	writer_free(w);
	return rc;
}

static int local_put_finish(void *writer, bool keep, struct sl_err *err)
{
	struct local_writer *w = writer;
	struct local *l = w->l;
	const char *leaf = strrchr(w->key, '/');
	int rc = 0;
	leaf = leaf ? leaf + 1 : w->key;
	if (!keep && !w->in_place) {
		if (w->backup[0]) {
			if (renameat(l->tmp_fd, w->backup, w->parent_fd, leaf) != 0)
				rc = sl_err_errno(err, errno,
						  "%s/%s: cannot restore the previous version",
						  sl_zone_names[w->zone], w->key);
			else
				w->backup[0] = '\0';
		} else if (unlinkat(w->parent_fd, leaf, 0) != 0 && errno != ENOENT) {
			rc = sl_err_errno(err, errno, "%s/%s: cannot take back the new object",
					  sl_zone_names[w->zone], w->key);
		} else if (strchr(w->key, '/')) {
			char dir[SL_KEY_MAX + 1];
			split_key(w->key, dir, sizeof(dir));
			sl_prune_empty_dirs(l->zone_fd[w->zone], dir);
		}
		if (rc == 0 && l->fsync)
			rc = sl_fsync_dirat(w->parent_fd, w->key, err);
	}
	writer_free(w); /* drops a kept backup link: fsck collects it if we die first */
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

static int local_get_fd(void *state, const char *zone, const char *key, int *fd,
			struct sl_fingerprint *fp, struct sl_err *err)
{
	return open_object(state, zone, key, fd, fp, err);
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

/* A folder left empty for this long is reported by scan: younger ones may belong to a
 * put that is about to rename its object into them. */
#define EMPTY_FOLDER_AGE_S 60

struct scan {
	const char *zone;
	sl_scan_fn *fn;
	sl_scan_odd_fn *odd;
	sl_scan_odd_fn *empty;
	void *ctx;
	char path[SL_KEY_MAX + 512];
	struct sl_err *err;
};

static int scan_dir(struct scan *sc, int dir_fd, size_t plen, int depth)
{
	DIR *d = fdopendir(dir_fd);
	struct dirent *de;
	int rc = 0, entries = 0;
	if (!d) {
		close(dir_fd);
		return sl_err_errno(sc->err, errno, "%s/%s: cannot read directory", sc->zone,
				    sc->path);
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		const char *name = de->d_name;
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		entries++;
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
	struct stat st;
	if (rc == 0 && entries == 0 && depth > 0 && fstat(dirfd(d), &st) == 0 &&
	    st.st_mtim.tv_sec + EMPTY_FOLDER_AGE_S < time(NULL))
		rc = sc->empty(sc->ctx, sc->zone, sc->path, "empty folder");
	closedir(d);
	return rc;
}

static int local_scan(void *state, const char *zone, sl_scan_fn *fn, sl_scan_odd_fn *odd,
		      sl_scan_odd_fn *empty, void *ctx, struct sl_err *err)
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
	sc->empty = empty;
	sc->ctx = ctx;
	sc->err = err;
	int fd = openat(l->zone_fd[z], ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = fd < 0 ? sl_err_errno(err, errno, "%s", zone) : scan_dir(sc, fd, 0, 0);
	free(sc);
	return rc;
}

static int local_prune(void *state, const char *zone, const char *path, struct sl_err *err)
{
	struct local *l = state;
	int z = zone_index(zone, err), parent;
	const char *leaf;
	char dir[SL_KEY_MAX + 1];
	if (z < 0)
		return SL_EKEY;
	int rc = open_parent(l, z, path, false, &parent, &leaf, err);
	if (rc)
		return rc == SL_ENOENT ? 0 : rc;
	rc = remove_empty_tree(parent, leaf, 0);
	close(parent);
	if (rc != 0 && errno != ENOENT)
		return sl_err_errno(err, errno, "%s/%s: cannot remove empty folder", zone, path);
	split_key(path, dir, sizeof(dir));
	if (dir[0])
		sl_prune_empty_dirs(l->zone_fd[z], dir);
	return 0;
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
	.put_publish = local_put_publish,
	.put_finish = local_put_finish,
	.put_abort = local_put_abort,
	.get_open = local_get_open,
	.get_read = local_get_read,
	.get_close = local_get_close,
	.get_fd = local_get_fd,
	.put_link = local_put_link,
	.stat = local_stat,
	.remove = local_remove,
	.scan = local_scan,
	.prune = local_prune,
	.temp_scan = local_temp_scan,
};
