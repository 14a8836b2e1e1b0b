/* bench_common.h - small helpers shared by the benchmark drivers (header-only: each
 * driver is one executable). */
#ifndef SL_BENCH_COMMON_H
#define SL_BENCH_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "lake/lake.h"
#include "util/clock.h"
#include "util/fs.h"

/* Creates a lake at dir (which must not exist) with the given durability. Callers use a
 * new dir per measurement and clean up at the end: removing thousands of files right
 * before a measurement makes ext4's inode allocator scan its recently-deleted inodes,
 * which slowed puts threefold in a profile (find_inode_bit -> recently_deleted). */
static inline void bench_lake(const char *dir, int durable)
{
	char path[4200];
	struct sl_err err = {0};
	if (sl_lake_init(dir, &err) != 0) {
		fprintf(stderr, "init: %s\n", err.msg);
		exit(2);
	}
	snprintf(path, sizeof(path), "%s/sluice.yaml", dir);
	FILE *f = fopen(path, "w");
	if (!f)
		exit(2);
	fprintf(f, "version: 1\nstore:\n  fsync: %s\nmetadata:\n  synchronous: %s\n",
		durable ? "true" : "false", durable ? "full" : "normal");
	fclose(f);
}

static inline struct sl_lake *bench_open(const char *dir)
{
	struct sl_lake *lake;
	struct sl_err err = {0};
	if (sl_lake_open(dir, &lake, &err) != 0) {
		fprintf(stderr, "open: %s\n", err.msg);
		exit(2);
	}
	return lake;
}

/* Runs fn(i, arg) in n child processes at once; returns the wall time in seconds. */
static inline double bench_fork(int n, void (*fn)(int, void *), void *arg)
{
	int go[2];
	pid_t pids[64];
	if (pipe(go) != 0)
		exit(2);
	for (int i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			char c;
			close(go[1]);
			if (read(go[0], &c, 1) < 0) /* start together */
				_exit(2);
			fn(i, arg);
			_exit(0);
		}
	}
	close(go[0]);
	sl_sleep_ms(100); /* let every child open its lake first */
	double t = sl_mono_s();
	close(go[1]);
	int failed = 0;
	for (int i = 0; i < n; i++) {
		int st;
		waitpid(pids[i], &st, 0);
		failed |= !WIFEXITED(st) || WEXITSTATUS(st) != 0;
	}
	t = sl_mono_s() - t;
	if (failed) {
		fprintf(stderr, "a benchmark worker failed\n");
		exit(2);
	}
	return t;
}

/* The floor under every metadata write: bare durable SQLite commits (WAL,
 * synchronous=FULL) of one small row each, n of them, in dir. */
static inline double bench_sqlite_commits_per_s(const char *dir, int n)
{
	char path[4200];
	sqlite3 *db;
	snprintf(path, sizeof(path), "%s/commits.db", dir);
	unlink(path);
	if (sqlite3_open(path, &db) != SQLITE_OK)
		exit(2);
	sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
			 "CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB);", NULL, NULL, NULL);
	double t = sl_mono_s();
	for (int i = 0; i < n; i++)
		sqlite3_exec(db, "INSERT INTO t(v) VALUES(randomblob(200))", NULL, NULL, NULL);
	t = sl_mono_s() - t;
	sqlite3_close(db);
	return n / t;
}

#endif
