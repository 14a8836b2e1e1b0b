/* queue.c - argument checks, clock and long poll over the backend's queue operations. */
#include "queue/queue.h"

#include <string.h>

#include "util/clock.h"

#define MAX_VISIBILITY_MS (12LL * 3600 * 1000) /* as SQS */
#define MAX_DELAY_MS (15LL * 60 * 1000)        /* as SQS */
#define MAX_WAIT_MS (20LL * 1000)              /* as SQS */

static int check_body(const char *queue, const char *body, struct sl_err *err)
{
	size_t len = strlen(body);
	if (len > SL_MESSAGE_MAX)
		return sl_err_set(err, SL_ELIMIT, "queue %s: message of %zu bytes, at most %d",
				  queue, len, SL_MESSAGE_MAX);
	return 0;
}

int sl_queue_send_batch(struct sl_meta *m, const char *queue, const char *const *bodies,
			size_t n, int64_t delay_ms, int64_t *ids, struct sl_err *err)
{
	if (n == 0 || n > SL_BATCH_MAX)
		return sl_err_set(err, SL_EINVAL, "queue %s: batch of %zu messages (1..%d)", queue,
				  n, SL_BATCH_MAX);
	if (delay_ms < 0 || delay_ms > MAX_DELAY_MS)
		return sl_err_set(err, SL_EINVAL, "queue %s: delay %lld ms out of range (0..%lld)",
				  queue, (long long)delay_ms, MAX_DELAY_MS);
	for (size_t i = 0; i < n; i++) {
		int rc = check_body(queue, bodies[i], err);
		if (rc)
			return rc;
	}
	return m->ops->queue_send(m->state, queue, bodies, n, delay_ms, sl_now_ms(), ids, err);
}

int sl_queue_send(struct sl_meta *m, const char *queue, const char *body, int64_t delay_ms,
		  int64_t *id, struct sl_err *err)
{
	return sl_queue_send_batch(m, queue, &body, 1, delay_ms, id, err);
}

int sl_queue_receive(struct sl_meta *m, const char *queue, size_t max,
		     int64_t visibility_timeout_ms, int64_t wait_ms, struct sl_message *out,
		     size_t *n_out, struct sl_err *err)
{
	*n_out = 0;
	if (max == 0 || max > SL_BATCH_MAX)
		return sl_err_set(err, SL_EINVAL, "queue %s: max %zu messages (1..%d)", queue, max,
				  SL_BATCH_MAX);
	if (visibility_timeout_ms > MAX_VISIBILITY_MS)
		return sl_err_set(err, SL_EINVAL, "queue %s: visibility timeout over 12 h", queue);
	if (wait_ms < 0 || wait_ms > MAX_WAIT_MS)
		return sl_err_set(err, SL_EINVAL, "queue %s: wait %lld ms out of range (0..%lld)",
				  queue, (long long)wait_ms, MAX_WAIT_MS);
	int64_t deadline = sl_mono_ms() + wait_ms, pause = 5;
	for (;;) {
		int rc = m->ops->queue_receive(m->state, queue, max, visibility_timeout_ms,
					       sl_now_ms(), out, n_out, err);
		if (rc || *n_out > 0)
			return rc;
		int64_t left = deadline - sl_mono_ms();
		if (left <= 0)
			return 0;
		/* Other processes send through the same database. A backend that can say
		 * when a message may have been sent wakes us at once; its hint is checked at
		 * least every 100 ms, as polling would. Otherwise poll, backing off to 100 ms:
		 * a long poll costs a few cheap reads a second, not a busy loop. */
		if (m->ops->wait_send) {
			int wrc = m->ops->wait_send(m->state, left < 100 ? left : 100, err);
			if (wrc)
				return wrc;
			continue;
		}
		sl_sleep_ms(pause < left ? pause : left);
		if (pause < 100)
			pause *= 2;
	}
}

int sl_queue_delete_batch(struct sl_meta *m, const char *queue, const char *const *receipts,
			  size_t n, int *rcs, struct sl_err *err)
{
	if (n == 0 || n > SL_BATCH_MAX)
		return sl_err_set(err, SL_EINVAL, "queue %s: batch of %zu receipts (1..%d)", queue,
				  n, SL_BATCH_MAX);
	int rc = m->ops->queue_delete(m->state, queue, receipts, n, rcs, err);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++)
		if (rcs[i])
			return rcs[i];
	return 0;
}

int sl_queue_delete(struct sl_meta *m, const char *queue, const char *receipt,
		    struct sl_err *err)
{
	int rc1;
	return sl_queue_delete_batch(m, queue, &receipt, 1, &rc1, err);
}

int sl_queue_change_visibility(struct sl_meta *m, const char *queue, const char *receipt,
			       int64_t timeout_ms, struct sl_err *err)
{
	if (timeout_ms < 0 || timeout_ms > MAX_VISIBILITY_MS)
		return sl_err_set(err, SL_EINVAL, "queue %s: visibility timeout out of range",
				  queue);
	return m->ops->queue_change_visibility(m->state, queue, receipt, timeout_ms,
					       sl_now_ms(), err);
}
