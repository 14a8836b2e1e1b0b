/* helpers.h - small utilities shared by the cmocka unit tests. */
#ifndef SL_TEST_HELPERS_H
#define SL_TEST_HELPERS_H

#include <stddef.h>

/* Creates a fresh empty directory under $TMPDIR (or /tmp); returns a malloc'd path. */
char *th_tmpdir(const char *tag);
/* Removes a directory tree (best effort); frees path. */
void th_rmtree_free(char *path);
/* Writes len bytes to path (truncating); asserts on failure. */
void th_write_file(const char *path, const void *data, size_t len);
/* Reads a whole file into a malloc'd NUL-terminated buffer; *len_out gets its length. */
char *th_read_file(const char *path, size_t *len_out);

/* The repository's root (found from this file's path); malloc'd. */
char *th_repo_dir(void);
/* A folder of the conformance data: $SLUICE_CONFORMANCE/SUB when that is set, else the
 * copy kept with the tests, <repo>/tests/conformance/SUB; malloc'd. */
char *th_conformance_dir(const char *sub);

struct sl_lake;
/* Initialises and opens a lake in a fresh temp dir; *dir gets the dir (th_rmtree_free). */
struct sl_lake *th_lake_new(const char *tag, char **dir);
/* Counts regular files under path (recursively). */
int th_count_files(const char *path);

/* Crash tests. In the test: runs this binary again as `... --crash-child DIR ARG` and
 * waits; the test fails unless SIGKILL ended it (a crash point fired). In the child
 * (main sees --crash-child): opens the lake at DIR with SLUICE_TEST_CRASH=hook; NULL
 * (said on stderr) when it cannot. */
void th_crash_child_run(const char *dir, const char *arg);
struct sl_lake *th_crash_child_open(const char *dir, const char *hook);

#endif
