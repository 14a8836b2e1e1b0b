/* helpers.c - see helpers.h. */
#include "helpers.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lake/lake.h"

char *th_tmpdir(const char *tag)
{
	const char *base = getenv("TMPDIR");
	char *path = NULL;
	if (!base || !*base)
		base = "/tmp";
	assert_true(asprintf(&path, "%s/sluice-test-%s-XXXXXX", base, tag) > 0);
	assert_non_null(mkdtemp(path));
	return path;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(p);
}

void th_rmtree_free(char *path)
{
	if (!path)
		return;
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(path);
}

void th_write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

char *th_read_file(const char *path, size_t *len_out)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	assert_non_null(buf);
	size_t n;
	while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (cap - len - 1 == 0) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
	}
	fclose(f);
	buf[len] = '\0';
	if (len_out)
		*len_out = len;
	return buf;
}

struct sl_lake *th_lake_new(const char *tag, char **dir)
{
	struct sl_err err = {0};
	struct sl_lake *lake = NULL;
	*dir = th_tmpdir(tag);
	if (sl_lake_init(*dir, &err) != 0)
		fail_msg("init: %s", err.msg);
	if (sl_lake_open(*dir, &lake, &err) != 0)
		fail_msg("open: %s", err.msg);
	return lake;
}

static int n_files;
static int count_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)p; (void)st; (void)ftw;
	if (flag == FTW_F)
		n_files++;
	return 0;
}

int th_count_files(const char *path)
{
	n_files = 0;
	nftw(path, count_one, 16, FTW_PHYS);
	return n_files;
}

char *th_repo_dir(void)
{
	char *file = strdup(__FILE__); /* <repo>/tests/unit/helpers.c */
	assert_non_null(file);
	for (int up = 0; up < 3; up++) {
		char *slash = strrchr(file, '/');
		if (slash)
			*slash = '\0';
		else
			strcpy(file, ".");
	}
	return file;
}

char *th_conformance_dir(const char *sub)
{
	char *path = NULL;
	const char *env = getenv("SLUICE_CONFORMANCE");
	if (env && *env) {
		assert_true(asprintf(&path, "%s/%s", env, sub) > 0);
		return path;
	}
	char *repo = th_repo_dir();
	assert_true(asprintf(&path, "%s/tests/conformance/%s", repo, sub) > 0);
	free(repo);
	return path;
}

void th_crash_child_run(const char *dir, const char *arg)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execl("/proc/self/exe", "crash-child", "--crash-child", dir, arg, (char *)NULL);
		_exit(4);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
		fail_msg("the child was not killed at %s (status %d)", arg, status);
}

struct sl_lake *th_crash_child_open(const char *dir, const char *hook)
{
	struct sl_lake *lake = NULL;
	struct sl_err err = {0};
	setenv("SLUICE_TEST_CRASH", hook, 1);
	if (sl_lake_open(dir, &lake, &err) != 0) {
		fprintf(stderr, "child: %s\n", err.msg);
		return NULL;
	}
	return lake;
}
