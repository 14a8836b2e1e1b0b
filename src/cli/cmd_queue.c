/* cmd_queue.c - `sluice queue`: look at the queues, and send/receive/delete by hand. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "queue/queue.h"
#include "util/clock.h"

struct q_out {
	struct sl_cli *cli;
	struct sl_buf out;
	bool json;
	int64_t n;
	int64_t now;
};

static void age(int64_t ms, char *out, size_t cap)
{
	if (ms < 0)
		ms = 0;
	if (ms < 60000)
		snprintf(out, cap, "%llds", (long long)(ms / 1000));
	else if (ms < 3600000)
		snprintf(out, cap, "%lldm", (long long)(ms / 60000));
	else if (ms < 86400000)
		snprintf(out, cap, "%lldh", (long long)(ms / 3600000));
	else
		snprintf(out, cap, "%lldd", (long long)(ms / 86400000));
}

static int q_stats_one(void *ctx, const struct sl_queue_stats *qs)
{
	struct q_out *q = ctx;
	if (q->json) {
		sl_buf_printf(&q->out,
			      "%s\n{\"queue\":\"%s\",\"visible\":%lld,\"in_flight\":%lld,"
			      "\"delayed\":%lld,\"oldest_age_ms\":%lld,\"dead_letter_queue\":\"%s\","
			      "\"visibility_timeout_ms\":%lld,\"max_receive_count\":%lld,"
			      "\"retention_ms\":%lld}",
			      q->n ? "," : "", qs->name, (long long)qs->visible,
			      (long long)qs->in_flight, (long long)qs->delayed,
			      (long long)(qs->oldest_sent_ms ? q->now - qs->oldest_sent_ms : 0),
			      qs->dlq, (long long)qs->visibility_timeout_ms,
			      (long long)qs->max_receive_count, (long long)qs->retention_ms);
	} else {
		char a[16] = "-";
		if (qs->oldest_sent_ms)
			age(q->now - qs->oldest_sent_ms, a, sizeof(a));
		sl_buf_printf(&q->out, "%-16s %9lld %9lld %9lld %7s  %s\n", qs->name,
			      (long long)qs->visible, (long long)qs->in_flight,
			      (long long)qs->delayed, a, qs->dlq[0] ? qs->dlq : "-");
	}
	q->n++;
	return 0;
}

static int q_peek_one(void *ctx, const struct sl_message *m)
{
	struct q_out *q = ctx;
	char sent[40];
	sl_fmt_time(m->sent_ms, sent, sizeof(sent));
	if (q->json) {
		sl_buf_printf(&q->out,
			      "%s\n{\"id\":%lld,\"sent\":\"%s\",\"receive_count\":%lld,"
			      "\"visible\":%s,\"body\":",
			      q->n ? "," : "", (long long)m->id, sent, (long long)m->receive_count,
			      m->visible_at_ms <= q->now ? "true" : "false");
		sl_buf_json_str(&q->out, m->body, strlen(m->body));
		sl_buf_puts(&q->out, "}");
	} else {
		sl_buf_printf(&q->out, "%lld %s receives=%lld %s %s\n", (long long)m->id, sent,
			      (long long)m->receive_count,
			      m->visible_at_ms <= q->now ? "visible" : "in-flight", m->body);
	}
	q->n++;
	if (q->out.len > 65536)
		sl_cli_flush(q->cli, &q->out);
	return 0;
}

static void print_received(struct q_out *q, const struct sl_message *m)
{
	if (q->json) {
		sl_buf_printf(&q->out, "%s\n{\"id\":%lld,\"receipt\":\"%s\",\"receive_count\":%lld,"
				       "\"body\":",
			      q->n ? "," : "", (long long)m->id, m->receipt,
			      (long long)m->receive_count);
		sl_buf_json_str(&q->out, m->body, strlen(m->body));
		sl_buf_puts(&q->out, "}");
	} else {
		sl_buf_printf(&q->out, "%s %s\n", m->receipt, m->body);
	}
	q->n++;
}

static int run_queue(struct sl_cli *cli, int argc, char **argv)
{
	static const struct option lo[] = {
		SL_CLI_COMMON_OPTS,
		{"json", no_argument, NULL, 'j'},
		{"limit", required_argument, NULL, 'n'},
		{"max", required_argument, NULL, 'n'},
		{"visibility-timeout", required_argument, NULL, 'v'},
		{"wait", required_argument, NULL, 'w'},
		{0},
	};
	struct q_out q = {.cli = cli, .now = sl_now_ms()};
	long long limit = 10, vt = -1, wait = 0;
	int c;
	while ((c = sl_cli_getopt(cli, argc, argv, "n:", lo)) != -1) {
		switch (c) {
		case 'h': return SL_EXIT_OK;
		case 'j': q.json = true; break;
		case 'n':
			if (sl_cli_parse_count(cli, "--limit", optarg, 1000000, &limit))
				return SL_EXIT_USAGE;
			break;
		case 'v':
			if (sl_cli_parse_count(cli, "--visibility-timeout", optarg, 43200, &vt))
				return SL_EXIT_USAGE;
			break;
		case 'w':
			if (sl_cli_parse_count(cli, "--wait", optarg, 20, &wait))
				return SL_EXIT_USAGE;
			break;
		default: return SL_EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return sl_cli_usage_error(cli, "expected ls, stats, peek, send, receive or delete");
	const char *sub = argv[optind++];
	const char *queue = optind < argc ? argv[optind++] : NULL;
	bool needs_queue = strcmp(sub, "ls") != 0 && strcmp(sub, "stats") != 0;
	if (strcmp(sub, "ls") && strcmp(sub, "stats") && strcmp(sub, "peek") &&
	    strcmp(sub, "send") && strcmp(sub, "receive") && strcmp(sub, "delete"))
		return sl_cli_usage_error(cli, "unknown subcommand '%s'", sub);
	if (needs_queue && !queue)
		return sl_cli_usage_error(cli, "%s needs a QUEUE", sub);
	if ((strcmp(sub, "send") == 0 || strcmp(sub, "delete") == 0) ? optind >= argc
								       : optind < argc)
		return sl_cli_usage_error(cli, "wrong number of arguments for %s", sub);
	if (strcmp(sub, "receive") == 0 && (limit < 1 || limit > SL_BATCH_MAX))
		return sl_cli_usage_error(cli, "--max must be 1..%d", SL_BATCH_MAX);

	struct sl_lake *lake;
	int rc = sl_cli_open_lake(cli, &lake);
	if (rc)
		return rc;
	struct sl_meta *m = &lake->meta;
	struct sl_err err = {0};
	sl_buf_init(&q.out, 0);
	if (q.json && strcmp(sub, "send") && strcmp(sub, "delete"))
		sl_buf_puts(&q.out, "[");

	if (strcmp(sub, "ls") == 0 || strcmp(sub, "stats") == 0) {
		if (!q.json)
			sl_buf_printf(&q.out, "%-16s %9s %9s %9s %7s  %s\n", "QUEUE", "VISIBLE",
				      "IN-FLIGHT", "DELAYED", "OLDEST", "DEAD-LETTER");
		if (queue) {
			struct sl_queue_stats qs;
			rc = m->ops->queue_stats(m->state, queue, q.now, &qs, &err);
			if (rc == 0)
				q_stats_one(&q, &qs);
		} else {
			rc = m->ops->queue_list(m->state, q.now, q_stats_one, &q, &err);
		}
	} else if (strcmp(sub, "peek") == 0) {
		rc = m->ops->queue_peek(m->state, queue, (size_t)limit, q_peek_one, &q, &err);
	} else if (strcmp(sub, "send") == 0) {
		size_t n = (size_t)(argc - optind);
		int64_t *ids = calloc(n, sizeof(*ids));
		rc = ids ? sl_queue_send_batch(m, queue, (const char *const *)argv + optind, n, 0,
					       ids, &err)
			 : sl_err_set(&err, SL_ENOMEM, "out of memory");
		for (size_t i = 0; rc == 0 && i < n; i++)
			sl_buf_printf(&q.out, "sent %s %lld\n", queue, (long long)ids[i]);
		free(ids);
	} else if (strcmp(sub, "receive") == 0) {
		struct sl_message *msgs = calloc((size_t)limit, sizeof(*msgs));
		size_t n = 0;
		rc = msgs ? sl_queue_receive(m, queue, (size_t)limit, vt < 0 ? -1 : vt * 1000,
					     wait * 1000, msgs, &n, &err)
			  : sl_err_set(&err, SL_ENOMEM, "out of memory");
		for (size_t i = 0; i < n; i++) {
			print_received(&q, &msgs[i]);
			sl_message_release(&msgs[i]);
		}
		free(msgs);
	} else { /* delete */
		size_t n = (size_t)(argc - optind);
		int *rcs = n <= SL_BATCH_MAX ? calloc(n, sizeof(*rcs)) : NULL;
		rc = rcs ? sl_queue_delete_batch(m, queue, (const char *const *)argv + optind, n,
						 rcs, &err)
			 : sl_err_set(&err, SL_EINVAL, "at most %d receipts at once", SL_BATCH_MAX);
		for (size_t i = 0; rcs && i < n; i++)
			if (rcs[i] == 0)
				sl_buf_printf(&q.out, "deleted %s\n", argv[optind + (int)i]);
		free(rcs);
		if (rc) /* still show which of the batch went through */
			sl_cli_flush(cli, &q.out);
	}
	if (q.json && strcmp(sub, "send") && strcmp(sub, "delete"))
		sl_buf_puts(&q.out, "\n]\n");
	if (rc == 0)
		sl_cli_flush(cli, &q.out);
	sl_buf_release(&q.out);
	sl_lake_close(lake);
	return rc ? sl_cli_fail(cli, &err) : SL_EXIT_OK;
}

const struct sl_cmd sl_cmd_queue = {
	"queue", "inspect queues; send, receive and delete messages",
	"usage: sluice queue ls|stats [QUEUE] [--json]\n"
	"       sluice queue peek QUEUE [--limit N] [--json]\n"
	"       sluice queue send QUEUE BODY...\n"
	"       sluice queue receive QUEUE [--max N] [--visibility-timeout S] [--wait S] [--json]\n"
	"       sluice queue delete QUEUE RECEIPT...\n"
	"\n"
	"Every zone has a queue of the same name that receives one object-created event per\n"
	"put, and a dead-letter queue QUEUE-dlq that takes messages received more than\n"
	"max_receive_count times (see sluice.yaml).\n"
	"  ls, stats  depth per queue: visible, in flight, delayed, age of the oldest\n"
	"  peek       the first N messages (default 10) without receiving them\n"
	"  send       one message per BODY, in one transaction\n"
	"  receive    up to N (default 10) messages; prints RECEIPT BODY per message; they\n"
	"             stay invisible for the visibility timeout (default: the queue's);\n"
	"             --wait S long-polls up to S seconds (max 20) for a message\n"
	"  delete     acknowledges received messages by receipt\n",
	run_queue,
};
