/*
 * queue.h - durable queues with SQS semantics over the metadata store.
 *
 * send / send_batch, receive (up to max messages, visibility timeout, optional long-poll
 * wait), delete (ack) and change_visibility by receipt handle, receive counts, redrive to
 * "<queue>-dlq" after max_receive_count receives, retention. Delivery is at least once:
 * a consumer that dies before deleting sees its message again after the timeout, so
 * every consumer must be idempotent. See meta.h for the promises the backend keeps.
 */
#ifndef SL_QUEUE_H
#define SL_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "meta/meta.h"

int sl_queue_send(struct sl_meta *m, const char *queue, const char *body, int64_t delay_ms,
		  int64_t *id, struct sl_err *err);
/* All n messages are sent in one transaction, or none. n <= SL_BATCH_MAX. */
int sl_queue_send_batch(struct sl_meta *m, const char *queue, const char *const *bodies,
			size_t n, int64_t delay_ms, int64_t *ids, struct sl_err *err);

/* Receives up to max (1..SL_BATCH_MAX) messages into out; *n_out says how many. With
 * wait_ms > 0 and nothing visible, polls until a message arrives or wait_ms passes (long
 * poll). visibility_timeout_ms < 0 uses the queue's. Release each with sl_message_release. */
int sl_queue_receive(struct sl_meta *m, const char *queue, size_t max,
		     int64_t visibility_timeout_ms, int64_t wait_ms, struct sl_message *out,
		     size_t *n_out, struct sl_err *err);

/* Deletes (acks) a received message. SL_ESTALE if it was received again since; deleting
 * a message that is already gone succeeds. */
int sl_queue_delete(struct sl_meta *m, const char *queue, const char *receipt,
		    struct sl_err *err);
/* Deletes n (1..SL_BATCH_MAX) messages in one transaction; rcs[i] is each one's result
 * as sl_queue_delete would return it. Returns the first non-zero rcs[i] (err explains it),
 * or a failure of the whole transaction. */
int sl_queue_delete_batch(struct sl_meta *m, const char *queue, const char *const *receipts,
			  size_t n, int *rcs, struct sl_err *err);
int sl_queue_change_visibility(struct sl_meta *m, const char *queue, const char *receipt,
			       int64_t timeout_ms, struct sl_err *err);

#endif
