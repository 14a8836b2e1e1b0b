/*
 * test_queue.c - SQS semantics of the queues: visibility timeouts, receipts, receive
 * counts, redrive to the dead-letter queue, delays, retention, long poll, and no double
 * delivery with concurrent consumers in several threads and several processes.
 * Time-dependent cases call the backend with an explicit clock, so they never sleep.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "helpers.h"
#include "lake/lake.h"
#include "queue/queue.h"
#include "util/clock.h"

struct fx {
	char *dir;
	struct sl_lake *lake;
	struct sl_meta *m;
};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	fx->lake = th_lake_new("queue", &fx->dir);
	fx->m = &fx->lake->meta;
	struct sl_queue_conf qc = {"work", 30000, 3, 3600000};
	assert_int_equal(fx->m->ops->queue_configure(fx->m->state, &qc, NULL), 0);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	sl_lake_close(fx->lake);
	th_rmtree_free(fx->dir);
	free(fx);
	return 0;
}

#define T0 1700000000000LL

static void send_at(struct sl_meta *m, const char *body, int64_t delay, int64_t now)
{
	const char *b[1] = {body};
	struct sl_err err = {0};
	assert_int_equal(m->ops->queue_send(m->state, "work", b, 1, delay, now, NULL, &err), 0);
}

static size_t recv_at(struct sl_meta *m, const char *q, size_t max, int64_t vt, int64_t now,
		      struct sl_message *out)
{
	size_t n = 99;
	struct sl_err err = {0};
	assert_int_equal(m->ops->queue_receive(m->state, q, max, vt, now, out, &n, &err), 0);
	return n;
}

static int del(struct sl_meta *m, const char *receipt, struct sl_err *err)
{
	return sl_queue_delete(m, "work", receipt, err);
}

static void stats(struct sl_meta *m, const char *q, int64_t now, struct sl_queue_stats *qs)
{
	assert_int_equal(m->ops->queue_stats(m->state, q, now, qs, NULL), 0);
}

static void test_fifo_and_ack(void **state)
{
	struct fx *fx = *state;
	struct sl_message msgs[10];
	struct sl_err err = {0};
	send_at(fx->m, "one", 0, T0);
	send_at(fx->m, "two", 0, T0 + 1);
	send_at(fx->m, "three", 0, T0 + 2);
	assert_int_equal(recv_at(fx->m, "work", 2, -1, T0 + 10, msgs), 2);
	assert_string_equal(msgs[0].body, "one");
	assert_string_equal(msgs[1].body, "two");
	assert_int_equal(msgs[0].receive_count, 1);
	assert_string_not_equal(msgs[0].receipt, msgs[1].receipt);
	struct sl_queue_stats qs;
	stats(fx->m, "work", T0 + 10, &qs);
	assert_int_equal(qs.visible, 1);
	assert_int_equal(qs.in_flight, 2);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(del(fx->m, msgs[i].receipt, &err),
				 0);
		/* acking twice is harmless */
		assert_int_equal(del(fx->m, msgs[i].receipt, &err),
				 0);
		sl_message_release(&msgs[i]);
	}
	stats(fx->m, "work", T0 + 10, &qs);
	assert_int_equal(qs.visible + qs.in_flight, 1);
	/* a batch ack: results per receipt, the good ones applied */
	assert_int_equal(recv_at(fx->m, "work", 1, -1, T0 + 20, msgs), 1);
	const char *batch[2] = {msgs[0].receipt, "bogus"};
	int rcs[2] = {-99, -99};
	assert_int_equal(sl_queue_delete_batch(fx->m, "work", batch, 2, rcs, &err), SL_EINVAL);
	assert_int_equal(rcs[0], 0);
	assert_int_equal(rcs[1], SL_EINVAL);
	sl_message_release(&msgs[0]);
	stats(fx->m, "work", T0 + 20, &qs);
	assert_int_equal(qs.visible + qs.in_flight, 0);
	assert_int_equal(del(fx->m, "not-a-receipt", &err),
			 SL_EINVAL);
}

static void test_visibility_timeout_and_stale_receipt(void **state)
{
	struct fx *fx = *state;
	struct sl_message a, b;
	struct sl_err err = {0};
	send_at(fx->m, "job", 0, T0);
	assert_int_equal(recv_at(fx->m, "work", 1, -1, T0, &a), 1);
	/* hidden for the queue's 30 s: nobody else gets it */
	assert_int_equal(recv_at(fx->m, "work", 1, -1, T0 + 29999, &b), 0);
	/* after the timeout it comes back, counted, with a new receipt */
	assert_int_equal(recv_at(fx->m, "work", 1, -1, T0 + 30000, &b), 1);
	assert_int_equal(b.id, a.id);
	assert_int_equal(b.receive_count, 2);
	assert_int_equal(b.first_receive_ms, T0);
	assert_string_not_equal(a.receipt, b.receipt);
	/* the first consumer's ack is refused: it no longer owns the message */
	assert_int_equal(del(fx->m, a.receipt, &err), SL_ESTALE);
	assert_non_null(strstr(err.msg, "stale"));
	assert_int_equal(fx->m->ops->queue_change_visibility(fx->m->state, "work", a.receipt, 0,
							       T0 + 30001, &err),
			 SL_ESTALE);
	assert_int_equal(del(fx->m, b.receipt, &err), 0);
	struct sl_queue_stats qs;
	stats(fx->m, "work", T0 + 40000, &qs);
	assert_int_equal(qs.visible + qs.in_flight + qs.delayed, 0);
	sl_message_release(&a);
	sl_message_release(&b);
}

static void test_change_visibility(void **state)
{
	struct fx *fx = *state;
	struct sl_message a, b;
	struct sl_err err = {0};
	send_at(fx->m, "slow job", 0, T0);
	assert_int_equal(recv_at(fx->m, "work", 1, 1000, T0, &a), 1); /* per-receive timeout */
	assert_int_equal(recv_at(fx->m, "work", 1, -1, T0 + 1000, &b), 1);
	sl_message_release(&a);
	/* extend: still running at +60 s */
	assert_int_equal(fx->m->ops->queue_change_visibility(fx->m->state, "work", b.receipt, 120000,
							       T0 + 1000, &err), 0);
	assert_int_equal(recv_at(fx->m, "work", 1, -1, T0 + 60000, &a), 0);
	/* release at once: visible to the next receive */
	assert_int_equal(fx->m->ops->queue_change_visibility(fx->m->state, "work", b.receipt, 0,
							       T0 + 60000, &err), 0);
	assert_int_equal(recv_at(fx->m, "work", 1, -1, T0 + 60000, &a), 1);
	assert_int_equal(a.receive_count, 3);
	sl_message_release(&a);
	sl_message_release(&b);
}

static void test_redrive_to_dlq(void **state)
{
	struct fx *fx = *state;
	struct sl_message m;
	int64_t now = T0;
	send_at(fx->m, "poison", 0, now);
	/* max_receive_count is 3: three receives without an ack... */
	for (int i = 1; i <= 3; i++) {
		assert_int_equal(recv_at(fx->m, "work", 1, 1000, now, &m), 1);
		assert_string_equal(m.body, "poison");
		assert_int_equal(m.receive_count, i);
		sl_message_release(&m);
		now += 1000;
	}
	/* ...and the fourth attempt moves it to work-dlq and delivers the next one */
	send_at(fx->m, "fine", 0, now);
	assert_int_equal(recv_at(fx->m, "work", 1, 1000, now, &m), 1);
	assert_string_equal(m.body, "fine");
	sl_message_release(&m);
	struct sl_queue_stats qs;
	stats(fx->m, "work-dlq", now, &qs);
	assert_int_equal(qs.visible, 1);
	assert_int_equal(recv_at(fx->m, "work-dlq", 1, -1, now, &m), 1);
	assert_string_equal(m.body, "poison");
	assert_int_equal(m.receive_count, 1);
	sl_message_release(&m);
}

static void test_delay_and_retention(void **state)
{
	struct fx *fx = *state;
	struct sl_message m;
	send_at(fx->m, "later", 5000, T0);
	struct sl_queue_stats qs;
	stats(fx->m, "work", T0, &qs);
	assert_int_equal(qs.delayed, 1);
	assert_int_equal(recv_at(fx->m, "work", 1, -1, T0 + 4999, &m), 0);
	assert_int_equal(recv_at(fx->m, "work", 1, -1, T0 + 5000, &m), 1);
	sl_message_release(&m);
	/* retention is one hour here: an old message is dropped, a new one kept */
	send_at(fx->m, "old", 0, T0);
	send_at(fx->m, "new", 0, T0 + 3600000);
	assert_int_equal(recv_at(fx->m, "work", 10, -1, T0 + 3600001, &m), 1);
	assert_string_equal(m.body, "new");
	sl_message_release(&m);
}

static void test_batch_is_atomic_and_checked(void **state)
{
	struct fx *fx = *state;
	struct sl_err err = {0};
	char *huge = malloc(SL_MESSAGE_MAX + 2);
	memset(huge, 'x', SL_MESSAGE_MAX + 1);
	huge[SL_MESSAGE_MAX + 1] = '\0';
	const char *bodies[3] = {"a", huge, "c"};
	assert_int_equal(sl_queue_send_batch(fx->m, "work", bodies, 3, 0, NULL, &err), SL_ELIMIT);
	free(huge);
	struct sl_queue_stats qs;
	stats(fx->m, "work", sl_now_ms(), &qs);
	assert_int_equal(qs.visible, 0); /* none of the batch was sent */
	int64_t ids[2];
	const char *ok[2] = {"a", "b"};
	assert_int_equal(sl_queue_send_batch(fx->m, "work", ok, 2, 0, ids, &err), 0);
	assert_true(ids[1] > ids[0]);
	assert_int_equal(sl_queue_send(fx->m, "nope", "x", 0, NULL, &err), SL_ENOENT);
	struct sl_message m;
	size_t n;
	assert_int_equal(sl_queue_receive(fx->m, "work", 0, -1, 0, &m, &n, &err), SL_EINVAL);
	assert_int_equal(sl_queue_receive(fx->m, "nope", 1, -1, 0, &m, &n, &err), SL_ENOENT);
}

/* ---- long poll ---------------------------------------------------------------------- */

struct sender {
	const char *dir;
	int delay_ms;
};

static void *send_later(void *arg)
{
	struct sender *s = arg;
	struct sl_lake *lake;
	struct sl_err err = {0};
	sl_sleep_ms(s->delay_ms);
	assert_int_equal(sl_lake_open(s->dir, &lake, &err), 0);
	assert_int_equal(sl_queue_send(&lake->meta, "work", "wake up", 0, NULL, &err), 0);
	sl_lake_close(lake);
	return NULL;
}

static void test_long_poll(void **state)
{
	struct fx *fx = *state;
	struct sl_message m;
	size_t n;
	struct sl_err err = {0};
	/* nothing arrives: returns empty after about the wait */
	int64_t t = sl_mono_ms();
	assert_int_equal(sl_queue_receive(fx->m, "work", 1, -1, 300, &m, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_true(sl_mono_ms() - t >= 300);
	/* a message sent by another connection while waiting is returned */
	pthread_t th;
	struct sender s = {fx->dir, 200};
	pthread_create(&th, NULL, send_later, &s);
	assert_int_equal(sl_queue_receive(fx->m, "work", 1, -1, 10000, &m, &n, &err), 0);
	pthread_join(th, NULL);
	assert_int_equal(n, 1);
	assert_string_equal(m.body, "wake up");
	sl_message_release(&m);
}

/* ---- concurrent consumers ----------------------------------------------------------- */

#define N_MSGS 600

struct consumer {
	const char *dir;
	int *seen; /* per message index: times delivered (threads share, guarded) */
	pthread_mutex_t *mu;
	int got;
};

static int body_index(const char *body)
{
	return atoi(body + 4); /* "msg-123" */
}

static void *consume(void *arg)
{
	struct consumer *c = arg;
	struct sl_lake *lake;
	struct sl_err err = {0};
	assert_int_equal(sl_lake_open(c->dir, &lake, &err), 0);
	for (;;) {
		struct sl_message msgs[10];
		size_t n;
		if (sl_queue_receive(&lake->meta, "work", 10, 60000, 0, msgs, &n, &err) != 0)
			fail_msg("receive: %s", err.msg);
		if (n == 0)
			break;
		for (size_t i = 0; i < n; i++) {
			pthread_mutex_lock(c->mu);
			c->seen[body_index(msgs[i].body)]++;
			pthread_mutex_unlock(c->mu);
			c->got++;
			if (sl_queue_delete(&lake->meta, "work", msgs[i].receipt, &err) != 0)
				fail_msg("delete: %s", err.msg);
			sl_message_release(&msgs[i]);
		}
	}
	sl_lake_close(lake);
	return NULL;
}

static void fill(struct fx *fx)
{
	struct sl_err err = {0};
	char bodies[N_MSGS][16];
	const char *ptrs[N_MSGS];
	for (int i = 0; i < N_MSGS; i++) {
		snprintf(bodies[i], sizeof(bodies[i]), "msg-%d", i);
		ptrs[i] = bodies[i];
	}
	assert_int_equal(sl_queue_send_batch(fx->m, "work", ptrs, N_MSGS, 0, NULL, &err), 0);
}

static void test_threads_never_share_a_message(void **state)
{
	struct fx *fx = *state;
	fill(fx);
	int seen[N_MSGS] = {0};
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	struct consumer c[4];
	pthread_t th[4];
	for (int i = 0; i < 4; i++) {
		c[i] = (struct consumer){fx->dir, seen, &mu, 0};
		pthread_create(&th[i], NULL, consume, &c[i]);
	}
	int total = 0;
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		total += c[i].got;
	}
	assert_int_equal(total, N_MSGS);
	for (int i = 0; i < N_MSGS; i++)
		assert_int_equal(seen[i], 1);
}

static void test_processes_never_share_a_message(void **state)
{
	struct fx *fx = *state;
	fill(fx);
	int pipes[3][2];
	pid_t pids[3];
	for (int p = 0; p < 3; p++) {
		assert_int_equal(pipe(pipes[p]), 0);
		pids[p] = fork();
		if (pids[p] == 0) {
			/* child: consume, write the indexes it got */
			int seen[N_MSGS] = {0};
			pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
			struct consumer c = {fx->dir, seen, &mu, 0};
			close(pipes[p][0]);
			consume(&c);
			for (int i = 0; i < N_MSGS; i++)
				for (int k = 0; k < seen[i]; k++)
					if (write(pipes[p][1], &i, sizeof(i)) != sizeof(i))
						_exit(3);
			_exit(0);
		}
		close(pipes[p][1]);
	}
	int seen[N_MSGS] = {0}, per[3] = {0};
	for (int p = 0; p < 3; p++) {
		int i, status;
		while (read(pipes[p][0], &i, sizeof(i)) == sizeof(i)) {
			assert_true(i >= 0 && i < N_MSGS);
			seen[i]++;
			per[p]++;
		}
		close(pipes[p][0]);
		assert_int_equal(waitpid(pids[p], &status, 0), pids[p]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	for (int i = 0; i < N_MSGS; i++)
		assert_int_equal(seen[i], 1);
	assert_int_equal(per[0] + per[1] + per[2], N_MSGS);
}

/* ---- migrations --------------------------------------------------------------------- */

static void test_newer_schema_refused(void **state)
{
	struct fx *fx = *state;
	char path[4096];
	snprintf(path, sizeof(path), "%s/.sluice/meta.db", fx->dir);
	int64_t v;
	assert_int_equal(fx->m->ops->schema_version(fx->m->state, &v, NULL), 0);
	assert_true(v >= 1);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version=999", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	struct sl_lake *other;
	struct sl_err err = {0};
	assert_int_equal(sl_lake_open(fx->dir, &other, &err), SL_EMETA);
	assert_non_null(strstr(err.msg, "newer"));
	assert_null(other);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_fifo_and_ack),
		T(test_visibility_timeout_and_stale_receipt),
		T(test_change_visibility),
		T(test_redrive_to_dlq),
		T(test_delay_and_retention),
		T(test_batch_is_atomic_and_checked),
		T(test_long_poll),
		T(test_threads_never_share_a_message),
		T(test_processes_never_share_a_message),
		T(test_newer_schema_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
