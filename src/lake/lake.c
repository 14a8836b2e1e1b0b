/* lake.c - see lake.h. */
#include "lake/lake.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fs.h"

#define META_DIR ".sluice"
#define META_DB ".sluice/meta.db"

char *sl_lake_locate(const char *flag)
{
	const char *env = getenv("SLUICE_LAKE");
	if (flag && *flag)
		return strdup(flag);
	if (env && *env)
		return strdup(env);
	return getcwd(NULL, 0);
}

static int mkdir_p(const char *dir, struct sl_err *err)
{
	char buf[PATH_MAX];
	if (snprintf(buf, sizeof(buf), "%s", dir) >= (int)sizeof(buf))
		return sl_err_set(err, SL_EINVAL, "%s: path too long", dir);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) != 0 && errno != EEXIST)
			return sl_err_errno(err, errno, "cannot create %s", buf);
		*p = '/';
	}
	if (mkdir(buf, 0755) != 0 && errno != EEXIST)
		return sl_err_errno(err, errno, "cannot create %s", buf);
	return 0;
}

static int meta_opts_from(const struct sl_config *cfg, struct sl_meta_opts *o)
{
	o->busy_timeout_ms = cfg->busy_timeout_ms;
	o->synchronous_full = strcmp(cfg->meta_synchronous, "full") == 0;
	return 0;
}

static int configure_queues(struct sl_lake *lake, struct sl_err *err)
{
	for (int z = 0; z < SL_ZONE_COUNT; z++) {
		struct sl_queue_conf qc;
		sl_config_queue(&lake->cfg, sl_zone_names[z], &qc);
		int rc = lake->meta.ops->queue_configure(lake->meta.state, &qc, err);
		if (rc)
			return rc;
	}
	return 0;
}

static int open_parts(struct sl_lake *lake, struct sl_err *err)
{
	char path[PATH_MAX];
	struct sl_meta_opts mo;
	struct sl_store_opts so = {.fsync = lake->cfg.store_fsync};
	const struct sl_meta_ops *mops = sl_meta_backend(lake->cfg.meta_backend);
	int rc;
	if (!mops)
		return sl_err_set(err, SL_ECONFIG, "metadata.backend '%s' is not available",
				  lake->cfg.meta_backend);
	if (strcmp(lake->cfg.store_backend, sl_store_local.name) != 0)
		return sl_err_set(err, SL_ECONFIG, "store.backend '%s' is not available",
				  lake->cfg.store_backend);
	meta_opts_from(&lake->cfg, &mo);
	snprintf(path, sizeof(path), "%s/%s", lake->root, META_DB);
	if ((rc = sl_meta_open(&lake->meta, mops, path, &mo, err)) != 0)
		return rc;
	if ((rc = sl_store_open(&lake->store, &sl_store_local, lake->root, &so, &lake->meta,
				err)) != 0)
		return rc;
	lake->store.max_object_size = lake->cfg.max_object_size;
	return configure_queues(lake, err);
}

void sl_lake_close(struct sl_lake *lake)
{
	if (!lake)
		return;
	sl_store_close(&lake->store);
	sl_meta_close(&lake->meta);
	free(lake->root);
	free(lake);
}

static struct sl_lake *lake_new(const char *dir, struct sl_err *err)
{
	struct sl_lake *lake = calloc(1, sizeof(*lake));
	if (!lake || !(lake->root = realpath(dir, NULL))) {
		int e = errno;
		free(lake);
		sl_err_errno(err, e, "%s", dir);
		return NULL;
	}
	sl_config_defaults(&lake->cfg);
	return lake;
}

int sl_lake_init(const char *dir, struct sl_err *err)
{
	struct sl_lake *lake = NULL;
	int root_fd = -1, meta_fd = -1, lock_fd = -1, rc;
	struct stat st;

	if ((rc = mkdir_p(dir, err)) != 0)
		return rc;
	if (!(lake = lake_new(dir, err)))
		return err ? err->code : SL_EIO;
	root_fd = open(lake->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0) {
		rc = sl_err_errno(err, errno, "%s", lake->root);
		goto done;
	}
	if ((rc = sl_open_dir_beneath(root_fd, META_DIR, true, true, &meta_fd, err)) != 0)
		goto done;
	lock_fd = openat(meta_fd, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (lock_fd < 0 || flock(lock_fd, LOCK_EX) != 0) {
		rc = sl_err_errno(err, errno, "%s/%s/lock", lake->root, META_DIR);
		goto done;
	}
	/* Under the lock: a concurrent init that finished first has written the marker. */
	if (fstatat(meta_fd, "format", &st, AT_SYMLINK_NOFOLLOW) == 0) {
		rc = sl_err_set(err, SL_EEXIST, "%s: already a sluice lake", lake->root);
		goto done;
	}
	if (fstatat(root_fd, SL_CONFIG_FILE, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		const char *text = sl_config_default_text();
		if ((rc = sl_atomic_write_at(root_fd, SL_CONFIG_FILE, text, strlen(text), err)) != 0)
			goto done;
	} else {
		/* keep a file the user prepared, but only a valid one */
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s/%s", lake->root, SL_CONFIG_FILE);
		if ((rc = sl_config_load(path, &lake->cfg, err)) != 0)
			goto done;
	}
	if ((rc = open_parts(lake, err)) != 0)
		goto done;
	rc = sl_atomic_write_at(meta_fd, "format", SL_LAKE_FORMAT, strlen(SL_LAKE_FORMAT), err);
	if (rc == 0)
		rc = sl_fsync_dirat(root_fd, lake->root, err);
done:
	if (lock_fd >= 0)
		close(lock_fd);
	if (meta_fd >= 0)
		close(meta_fd);
	if (root_fd >= 0)
		close(root_fd);
	sl_lake_close(lake);
	return rc;
}

int sl_lake_open(const char *dir, struct sl_lake **out, struct sl_err *err)
{
	char path[PATH_MAX], *format = NULL;
	struct sl_lake *lake;
	int rc;

	*out = NULL;
	if (!(lake = lake_new(dir, err)))
		return sl_err_set(err, SL_ENOLAKE, "no lake at %s (it does not exist); create one "
				  "with 'sluice init %s'", dir, dir);
	snprintf(path, sizeof(path), "%s/%s/format", lake->root, META_DIR);
	if (sl_read_small_file(path, 256, &format, NULL, NULL) != 0 ||
	    strcmp(format, SL_LAKE_FORMAT) != 0) {
		bool foreign = format != NULL;
		free(format);
		rc = foreign ? sl_err_set(err, SL_ENOLAKE,
					  "%s: unknown lake format (written by another "
					  "version of sluice?)", path)
			     : sl_err_set(err, SL_ENOLAKE,
					  "%s is not a sluice lake (no %s/format); create one "
					  "with 'sluice init %s' or point --lake / SLUICE_LAKE at one",
					  lake->root, META_DIR, lake->root);
		goto fail;
	}
	free(format);
	snprintf(path, sizeof(path), "%s/%s", lake->root, SL_CONFIG_FILE);
	if ((rc = sl_config_load(path, &lake->cfg, err)) != 0)
		goto fail;
	if ((rc = open_parts(lake, err)) != 0)
		goto fail;
	*out = lake;
	return 0;
fail:
	sl_lake_close(lake);
	return rc;
}

int64_t sl_lake_created_ms(const struct sl_lake *lake)
{
	char path[PATH_MAX];
	struct stat st;
	if (snprintf(path, sizeof(path), "%s/%s/format", lake->root, META_DIR) >=
		    (int)sizeof(path) ||
	    stat(path, &st) != 0)
		return 0;
	return (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
}
