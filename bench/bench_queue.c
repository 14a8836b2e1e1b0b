/*
 * bench_queue - queue throughput with durable commits (WAL, synchronous=FULL).
 *
 *   bench_queue DIR [--messages N]
 *
 * Rows (markdown): messages/s sent in batches of 10; messages/s received + deleted in
 * batches of 10 by one and by two consumer processes; the whole cycle (one producer
 * sending while consumers receive and delete) with one and two consumers. Next to them,
 * SQLite's durable commit rate: every batch is one commit, so 10 x that rate is the
 * ceiling for each step.
 */
#include <sys/stat.h>

#include "bench_common.h"
#include "queue/queue.h"

static int n_msgs = 20000;
static const char *lake_dir;
static int n_consumers;

static void producer(int id, void *arg)
{
	(void)id;
	(void)arg;
	struct sl_lake *lake = bench_open(lake_dir);
	char bodies[10][128];
	const char *ptrs[10];
	struct sl_err err = {0};
	for (int i = 0; i < n_msgs; i += 10) {
		for (int k = 0; k < 10; k++) {
			snprintf(bodies[k], sizeof(bodies[k]),
				 "{\"event\":\"ObjectCreated:Put\",\"zone\":\"landing\",\"key\":"
				 "\"orders/dt=2026-11-24/part-%06d.ndjson\",\"seq\":%d}", i + k, i + k);
			ptrs[k] = bodies[k];
		}
		if (sl_queue_send_batch(&lake->meta, "landing", ptrs, 10, 0, NULL, &err) != 0) {
			fprintf(stderr, "send: %s\n", err.msg);
			_exit(2);
		}
	}
	sl_lake_close(lake);
}

/* Receives and deletes until it has seen its share; with a producer running at the same
 * time it long-polls, so an empty queue is waited for, not mistaken for the end. */
static void consumer(int id, void *arg)
{
	(void)id;
	int share = n_msgs / n_consumers, wait = *(int *)arg, got = 0;
	struct sl_lake *lake = bench_open(lake_dir);
	struct sl_err err = {0};
	while (got < share) {
		struct sl_message m[10];
		const char *receipts[10];
		int rcs[10];
		size_t n;
		if (sl_queue_receive(&lake->meta, "landing", 10, 60000, wait, m, &n, &err) != 0) {
			fprintf(stderr, "receive: %s\n", err.msg);
			_exit(2);
		}
		if (n == 0) {
			if (!wait)
				break;
			continue;
		}
		for (size_t k = 0; k < n; k++)
			receipts[k] = m[k].receipt;
		if (sl_queue_delete_batch(&lake->meta, "landing", receipts, n, rcs, &err) != 0) {
			fprintf(stderr, "delete: %s\n", err.msg);
			_exit(2);
		}
		for (size_t k = 0; k < n; k++)
			sl_message_release(&m[k]);
		got += (int)n;
	}
	sl_lake_close(lake);
}

/* Worker 0 produces, the others consume: the whole cycle at once. */
static void cycle(int id, void *arg)
{
	if (id == 0)
		producer(id, arg);
	else
		consumer(id, arg);
}

static char lake_buf[4096];
static const char *base_dir;

static void fresh(void)
{
	static int n;
	snprintf(lake_buf, sizeof(lake_buf), "%s/lake-queue-%d", base_dir, n++);
	lake_dir = lake_buf;
	bench_lake(lake_dir, 1);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_queue DIR [--messages N]\n");
		return 1;
	}
	if (argc >= 4 && strcmp(argv[2], "--messages") == 0)
		n_msgs = atoi(argv[3]) / 20 * 20;
	mkdir(argv[1], 0755);
	base_dir = argv[1];
	int no_wait = 0, wait = 1000;

	printf("| measure (%d messages, batches of 10, durable) | messages/s |\n|---|---:|\n",
	       n_msgs);
	fresh();
	double t = bench_fork(1, producer, NULL);
	printf("| send | %.0f |\n", n_msgs / t);
	for (n_consumers = 1; n_consumers <= 2; n_consumers++) {
		if (n_consumers == 2) {
			fresh();
			bench_fork(1, producer, NULL);
		}
		t = bench_fork(n_consumers, consumer, &no_wait);
		printf("| receive + delete, %d consumer%s | %.0f |\n", n_consumers,
		       n_consumers > 1 ? "s" : "", n_msgs / t);
	}
	for (n_consumers = 1; n_consumers <= 2; n_consumers++) {
		fresh();
		t = bench_fork(1 + n_consumers, cycle, &wait);
		printf("| send + receive + delete at once, 1 producer, %d consumer%s | %.0f |\n",
		       n_consumers, n_consumers > 1 ? "s" : "", n_msgs / t);
	}
	printf("| floor: SQLite WAL synchronous=FULL commits/s (x10 = batch ceiling) | %.0f |\n",
	       bench_sqlite_commits_per_s(argv[1], 3000));
	return 0;
}
