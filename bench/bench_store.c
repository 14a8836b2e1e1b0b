/*
 * bench_store - object-store throughput, next to the floor the file system sets.
 *
 *   bench_store DIR [--puts N] [--big-mib M]
 *
 * Rows (markdown): puts/s of 1 KiB objects with one and two processes, durable and with
 * fsync off; the same syscalls without sluice (write, fsync, rename, fsync dir) and
 * SQLite's durable commit rate, which together are the floor a durable put cannot beat;
 * MiB/s of an M MiB put next to a plain copy + fsync and SHA-256 alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "bench_common.h"
#include "util/hash.h"

static const char *base;
static int n_puts = 2000;

struct put_arg {
	const char *lake;
	int procs;
};

static void put_worker(int id, void *argp)
{
	struct put_arg *a = argp;
	struct sl_lake *lake = bench_open(a->lake);
	char data[1024], key[64];
	memset(data, 'a' + id, sizeof(data));
	for (int i = 0; i < n_puts / a->procs; i++) {
		struct sl_object o;
		struct sl_err err = {0};
		snprintf(key, sizeof(key), "bench/p%d/obj-%06d.json", id, i);
		if (sl_store_put_mem(&lake->store, "landing", key, data, sizeof(data), NULL, &o,
				     &err) != 0) {
			fprintf(stderr, "put: %s\n", err.msg);
			_exit(2);
		}
	}
	sl_lake_close(lake);
}

static double puts_per_s(int procs, int durable)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/lake-puts-%d-%d", base, procs, durable);
	bench_lake(dir, durable);
	struct put_arg a = {dir, procs};
	double t = bench_fork(procs, put_worker, &a);
	return (double)(n_puts / procs * procs) / t;
}

/* The file-system floor of one durable put: what local.c does, minus sluice. */
static void floor_worker(int id, void *argp)
{
	const char *dir = argp;
	char data[1024], tmp[4096], dst[4096];
	memset(data, 'f', sizeof(data));
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	for (int i = 0; i < n_puts / 2; i++) {
		snprintf(tmp, sizeof(tmp), "%s/tmp-%d-%d", dir, id, i);
		snprintf(dst, sizeof(dst), "%s/obj-%d-%d", dir, id, i);
		int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || write(fd, data, sizeof(data)) != (ssize_t)sizeof(data) || fsync(fd))
			_exit(2);
		close(fd);
		if (rename(tmp, dst) || fsync(dfd))
			_exit(2);
	}
	close(dfd);
}

static double fs_floor(int procs)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/floor-%d", base, procs);
	if (mkdir(dir, 0755) != 0)
		exit(2);
	int saved = n_puts;
	n_puts = n_puts / 2 * 2;
	double t = bench_fork(procs, floor_worker, dir);
	double r = (double)(n_puts / 2 * procs) / t;
	n_puts = saved;
	return r;
}

/* ---- large objects ------------------------------------------------------------------ */

static void make_source(const char *path, long mib)
{
	struct stat st;
	if (stat(path, &st) == 0 && st.st_size == mib << 20)
		return;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	char *buf = malloc(1 << 20);
	for (int i = 0; i < (1 << 20); i++)
		buf[i] = (char)(i * 2654435761u >> 13);
	for (long i = 0; i < mib; i++) {
		buf[0] = (char)i;
		if (write(fd, buf, 1 << 20) != 1 << 20)
			exit(2);
	}
	free(buf);
	close(fd);
}

static double big_put(const char *src, long mib)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/lake-big", base);
	bench_lake(dir, 1);
	struct sl_lake *lake = bench_open(dir);
	int fd = open(src, O_RDONLY);
	struct sl_object o;
	struct sl_err err = {0};
	double t = sl_mono_s();
	if (sl_store_put_fd(&lake->store, "landing", "big/blob.bin", fd, NULL, &o, &err) != 0) {
		fprintf(stderr, "put: %s\n", err.msg);
		exit(2);
	}
	t = sl_mono_s() - t;
	close(fd);
	sl_lake_close(lake);
	return (double)mib / t;
}

static double copy_fsync(const char *src, long mib)
{
	char dst[4096];
	snprintf(dst, sizeof(dst), "%s/copy.bin", base);
	char *buf = malloc(1 << 20);
	double t = sl_mono_s();
	int in = open(src, O_RDONLY), out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ssize_t n;
	while ((n = read(in, buf, 1 << 20)) > 0)
		if (write(out, buf, (size_t)n) != n)
			exit(2);
	fsync(out);
	close(in);
	close(out);
	t = sl_mono_s() - t;
	free(buf);
	unlink(dst);
	return (double)mib / t;
}

static double hash_only(const char *src, long mib)
{
	char *buf = malloc(1 << 20), sum[SL_HASH_TEXT_MAX];
	struct sl_hasher h;
	sl_hasher_init(&h);
	double t = sl_mono_s();
	int in = open(src, O_RDONLY);
	ssize_t n;
	while ((n = read(in, buf, 1 << 20)) > 0)
		sl_hasher_update(&h, buf, (size_t)n);
	sl_hasher_final(&h, sum);
	close(in);
	t = sl_mono_s() - t;
	free(buf);
	return (double)mib / t;
}

int main(int argc, char **argv)
{
	long big_mib = 1024;
	if (argc < 2) {
		fprintf(stderr, "usage: bench_store DIR [--puts N] [--big-mib M]\n");
		return 1;
	}
	base = argv[1];
	for (int i = 2; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--puts") == 0)
			n_puts = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--big-mib") == 0)
			big_mib = atol(argv[i + 1]);
	}
	mkdir(base, 0755);
	printf("| measure | figure |\n|---|---:|\n");
	printf("| puts/s, 1 KiB, durable, 1 process | %.0f |\n", puts_per_s(1, 1));
	printf("| puts/s, 1 KiB, durable, 2 processes | %.0f |\n", puts_per_s(2, 1));
	printf("| puts/s, 1 KiB, fsync off, 1 process | %.0f |\n", puts_per_s(1, 0));
	printf("| puts/s, 1 KiB, fsync off, 2 processes | %.0f |\n", puts_per_s(2, 0));
	printf("| floor: write+fsync+rename+fsync dir /s, 1 process | %.0f |\n", fs_floor(1));
	printf("| floor: write+fsync+rename+fsync dir /s, 2 processes | %.0f |\n", fs_floor(2));
	printf("| floor: SQLite WAL synchronous=FULL commits/s | %.0f |\n",
	       bench_sqlite_commits_per_s(base, n_puts));
	char src[4096];
	snprintf(src, sizeof(src), "%s/source-%ldMiB.bin", base, big_mib);
	make_source(src, big_mib);
	printf("| MiB/s, one %ld MiB put, durable | %.0f |\n", big_mib, big_put(src, big_mib));
	printf("| floor: MiB/s, copy %ld MiB + fsync | %.0f |\n", big_mib, copy_fsync(src, big_mib));
	printf("| floor: MiB/s, SHA-256 of %ld MiB (page cache) | %.0f |\n", big_mib,
	       hash_only(src, big_mib));
	return 0;
}
