/*
 * deadletter.c - what can be done with a dead letter besides reading it: replay it into
 * landing after a fix (with its lineage), or purge it.
 *
 * Replay writes the lineage row first, then the landing object, then removes the dead
 * letter: the validator that picks the new landing object up finds where it came from,
 * and a replay cut short by a crash can simply be run again (same landing key, so no
 * second copy).
 */
#include "validate/validate.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/clock.h"

#define MARK ".replay-"

/* The name is the key's last segment; its stem ends at the first '.' after the first
 * character (".hidden" has no stem end there). Returns the offset of that '.' in name, or
 * the name's length. */
static size_t stem_end(const char *name)
{
	const char *dot = name[0] ? strchr(name + 1, '.') : NULL;
	return dot ? (size_t)(dot - name) : strlen(name);
}

/* If name + at starts with ".replay-DIGITS" followed by '.' or the end, returns the
 * length of that marker (and the number in *id). */
static size_t marker_at(const char *s, int64_t *id)
{
	size_t n = strlen(MARK), i = n;
	int64_t v = 0;
	if (strncmp(s, MARK, n) != 0)
		return 0;
	while (s[i] >= '0' && s[i] <= '9' && i < n + 18)
		v = v * 10 + (s[i++] - '0');
	if (i == n || (s[i] != '.' && s[i] != '\0') || v <= 0)
		return 0;
	*id = v;
	return i;
}

int64_t sl_replay_id(const char *key)
{
	const char *slash = strrchr(key, '/');
	const char *name = slash ? slash + 1 : key;
	int64_t id = 0;
	return marker_at(name + stem_end(name), &id) ? id : 0;
}

int sl_replay_key(const char *key, int64_t id, char *out, size_t cap, struct sl_err *err)
{
	const char *slash = strrchr(key, '/');
	const char *name = slash ? slash + 1 : key;
	size_t dir_len = (size_t)(name - key), stem = stem_end(name);
	int64_t old;
	const char *rest = name + stem;
	size_t skip = marker_at(rest, &old);
	char buf[SL_KEY_MAX * 2 + 64];
	snprintf(buf, sizeof(buf), "%.*s%.*s" MARK "%" PRId64 "%s", (int)dir_len, key, (int)stem,
		 name, id, rest + skip);
	struct sl_err kerr = {0};
	if (strlen(buf) >= cap || sl_key_check(buf, &kerr) != 0)
		return sl_err_set(err, SL_EKEY, "deadletter/%s: cannot be replayed: its replay key "
						"would be too long",
				  key);
	memcpy(out, buf, strlen(buf) + 1);
	return 0;
}

int sl_deadletter_purge(struct sl_lake *lake, const char *key, struct sl_err *err)
{
	struct sl_meta *m = &lake->meta;
	struct sl_object obj;
	struct sl_deadletter dl;
	int rc = m->ops->object_get(m->state, "deadletter", key, &obj, NULL);
	bool have_obj = rc == 0;
	bool have_row = m->ops->deadletter_get(m->state, key, false, &dl, NULL) == 0;
	if (!have_obj && !have_row)
		return sl_err_set(err, SL_ENOENT, "deadletter/%s: no such dead letter", key);
	if (have_obj && (rc = sl_store_remove(&lake->store, "deadletter", key, err)) != 0)
		return rc;
	return have_row ? m->ops->deadletter_forget(m->state, key, err) : 0;
}

int sl_deadletter_replay(struct sl_lake *lake, const char *key, char *landing_key, size_t cap,
			 struct sl_err *err)
{
	struct sl_meta *m = &lake->meta;
	struct sl_object obj, put;
	struct sl_deadletter dl;
	struct sl_replay rp;
	int fd = -1, rc;

	if ((rc = sl_store_open_fd(&lake->store, "deadletter", key, &fd, &obj, err)) != 0) {
		if (rc == SL_ENOENT)
			sl_err_set(err, rc, "deadletter/%s: no such dead letter", key);
		return rc;
	}
	memset(&rp, 0, sizeof(rp));
	rp.id = obj.seq;
	if ((rc = sl_replay_key(key, obj.seq, rp.landing_key, sizeof(rp.landing_key), err)) != 0)
		goto done;
	snprintf(rp.from_key, sizeof(rp.from_key), "%s", key);
	if (m->ops->deadletter_get(m->state, key, false, &dl, NULL) == 0) {
		snprintf(rp.subject, sizeof(rp.subject), "%s", dl.subject);
		rp.schema_version = dl.schema_version;
		snprintf(rp.reason, sizeof(rp.reason), "%s", dl.reason);
	}
	rp.replayed_ms = sl_now_ms();
	if ((rc = m->ops->replay_put(m->state, &rp, err)) != 0)
		goto done;
	if ((rc = sl_store_put_fd(&lake->store, "landing", rp.landing_key, fd, obj.content_type,
				  &put, err)) != 0)
		goto done;
	if (put.size != obj.size || strcmp(put.checksum, obj.checksum) != 0) {
		/* keep the dead letter, take the copy back */
		sl_store_remove(&lake->store, "landing", rp.landing_key, NULL);
		rc = sl_err_set(err, SL_ECORRUPT,
				"deadletter/%s: its bytes do not match its checksum: not replayed "
				"(see sluice fsck --verify)",
				key);
		goto done;
	}
	rc = sl_deadletter_purge(lake, key, err);
	if (rc == 0)
		snprintf(landing_key, cap, "%s", rp.landing_key);
done:
	close(fd);
	return rc;
}
