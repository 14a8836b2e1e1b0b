/* meta.c - backend registry and the pieces every metadata backend shares. */
#include "meta/meta.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"

static const struct sl_meta_ops *const backends[] = {&sl_meta_sqlite, NULL};

const struct sl_meta_ops *sl_meta_backend(const char *name)
{
	for (size_t i = 0; backends[i]; i++)
		if (strcmp(backends[i]->name, name) == 0)
			return backends[i];
	return NULL;
}

int sl_meta_open(struct sl_meta *m, const struct sl_meta_ops *ops, const char *path,
		 const struct sl_meta_opts *opts, struct sl_err *err)
{
	m->ops = ops;
	m->state = NULL;
	return ops->open(path, opts, &m->state, err);
}

void sl_meta_close(struct sl_meta *m)
{
	if (m && m->ops && m->state)
		m->ops->close(m->state);
	if (m)
		m->state = NULL;
}

int sl_event_object_created(const struct sl_object *obj, struct sl_buf *out)
{
	char when[40];
	sl_fmt_time(obj->created_ms, when, sizeof(when));
	int rc = sl_buf_printf(out, "{\"event\":\"ObjectCreated:Put\",\"zone\":\"%s\",\"key\":",
			       obj->zone);
	rc = rc ? rc : sl_buf_json_str(out, obj->key, strlen(obj->key));
	rc = rc ? rc : sl_buf_printf(out,
				     ",\"seq\":%lld,\"size\":%lld,\"checksum\":\"%s\","
				     "\"content_type\":",
				     (long long)obj->seq, (long long)obj->size, obj->checksum);
	rc = rc ? rc : sl_buf_json_str(out, obj->content_type, strlen(obj->content_type));
	rc = rc ? rc : sl_buf_printf(out, ",\"time\":\"%s\"}", when);
	return rc;
}

int sl_event_object_removed(const char *zone, const char *key, int64_t seq, int64_t time_ms,
			    struct sl_buf *out)
{
	char when[40];
	sl_fmt_time(time_ms, when, sizeof(when));
	int rc = sl_buf_printf(out, "{\"event\":\"ObjectRemoved:Delete\",\"zone\":");
	rc = rc ? rc : sl_buf_json_str(out, zone, strlen(zone));
	rc = rc ? rc : sl_buf_printf(out, ",\"key\":");
	rc = rc ? rc : sl_buf_json_str(out, key, strlen(key));
	rc = rc ? rc : sl_buf_printf(out, ",\"seq\":%lld,\"time\":\"%s\"}", (long long)seq, when);
	return rc;
}

void sl_message_release(struct sl_message *msg)
{
	if (!msg)
		return;
	free(msg->body);
	msg->body = NULL;
}

void sl_dlq_name(const char *name, char *out, size_t cap)
{
	snprintf(out, cap, "%s-dlq", name);
}

void sl_deadletter_release(struct sl_deadletter *d)
{
	if (!d)
		return;
	free(d->report);
	d->report = NULL;
}
