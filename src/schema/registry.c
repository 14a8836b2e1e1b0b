/*
 * registry.c - the schema registry: subjects with immutable, numbered versions of a JSON
 * Schema, compatibility modes with Glue's names and meanings, version metadata, and the
 * resolver that answers "sluice:SUBJECT/VERSION" references.
 *
 * Promises:
 *   1. A version is stored only after its text was canonicalised, compiled (malformed
 *      schemas are refused with the compiler's reason) and checked against the subject's
 *      mode; what is stored never changes.
 *   2. Registration is race-free without holding a lock while compiling or checking: the
 *      check runs on what was read, and the metadata store adds the version only if the
 *      subject's latest version and mode are still what the check saw (else the check
 *      runs again). Numbering stays 1, 2, 3, ... and an identical schema registered by
 *      several writers at once gets one version.
 *   3. Every input is checked here before it reaches the store: subject names, versions,
 *      modes, metadata, and the schema's size, syntax and shape.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "schema/registry_int.h"
#include "util/clock.h"
#include "util/utf8.h"

#define REGISTER_ATTEMPTS 100

static const char *const compat_names[] = {
	[SL_COMPAT_NONE] = "NONE",
	[SL_COMPAT_DISABLED] = "DISABLED",
	[SL_COMPAT_BACKWARD] = "BACKWARD",
	[SL_COMPAT_BACKWARD_ALL] = "BACKWARD_ALL",
	[SL_COMPAT_FORWARD] = "FORWARD",
	[SL_COMPAT_FORWARD_ALL] = "FORWARD_ALL",
	[SL_COMPAT_FULL] = "FULL",
	[SL_COMPAT_FULL_ALL] = "FULL_ALL",
};

#define N_COMPAT ((int)(sizeof(compat_names) / sizeof(compat_names[0])))

const char *sl_compat_name(enum sl_compat c)
{
	return (int)c >= 0 && (int)c < N_COMPAT ? compat_names[c] : "UNKNOWN";
}

int sl_compat_parse(const char *name, enum sl_compat *out)
{
	for (int i = 0; name && i < N_COMPAT; i++) {
		if (strcasecmp(name, compat_names[i]) == 0) {
			*out = (enum sl_compat)i;
			return 0;
		}
	}
	return SL_EINVAL;
}

/* A printable copy of untrusted text for a message: at most 64 bytes, control and
 * non-ASCII bytes as \xNN. */
static const char *printable(const char *s, char *out, size_t cap)
{
	size_t at = 0;
	for (size_t i = 0; s[i] && at + 8 < cap; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (i >= 64) {
			memcpy(out + at, "...", 3);
			at += 3;
			break;
		}
		if (ch < 0x20 || ch >= 0x7f)
			at += (size_t)snprintf(out + at, cap - at, "\\x%02x", ch);
		else
			out[at++] = (char)ch;
	}
	out[at] = '\0';
	return out;
}

int sl_subject_check(const char *name, struct sl_err *err)
{
	char shown[300];
	if (!name || !*name)
		return sl_err_set(err, SL_EINVAL, "schema subject name is empty");
	size_t n = strlen(name);
	if (n > SL_SUBJECT_MAX - 1)
		return sl_err_set(err, SL_EINVAL,
				  "schema subject name '%s' is %zu bytes, more than %d",
				  printable(name, shown, sizeof(shown)), n, SL_SUBJECT_MAX - 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)name[i];
		if (!(isascii(ch) && (isalnum(ch) || ch == '.' || ch == '_' || ch == '-')))
			return sl_err_set(err, SL_EINVAL,
					  "schema subject name '%s': byte %zu (0x%02x) is not "
					  "allowed (only A-Z, a-z, 0-9, '.', '_' and '-')",
					  printable(name, shown, sizeof(shown)), i + 1, ch);
	}
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return sl_err_set(err, SL_EINVAL, "schema subject name '%s' is not allowed", name);
	return 0;
}

void sl_schema_version_release(struct sl_schema_version *v)
{
	if (!v)
		return;
	free(v->text);
	v->text = NULL;
	v->len = 0;
}

/* ---- reading ------------------------------------------------------------------------- */

int sl_registry_get(struct sl_meta *m, const char *subject, int64_t version,
		    struct sl_schema_version *out, struct sl_err *err)
{
	int rc = sl_subject_check(subject, err);
	if (rc)
		return rc;
	if (version < 0)
		return sl_err_set(err, SL_EINVAL, "schema version %" PRId64 " is not valid",
				  version);
	return m->ops->registry_version_get(m->state, subject, version, out, err);
}

int sl_registry_default_compat(struct sl_meta *m, enum sl_compat *out, struct sl_err *err)
{
	int c = 0;
	int rc = m->ops->registry_default_get(m->state, &c, err);
	if (rc == 0)
		*out = (enum sl_compat)c;
	return rc;
}

int sl_registry_set_default_compat(struct sl_meta *m, enum sl_compat c, struct sl_err *err)
{
	if ((int)c < 0 || (int)c >= N_COMPAT)
		return sl_err_set(err, SL_EINVAL, "unknown compatibility mode %d", (int)c);
	return m->ops->registry_default_set(m->state, (int)c, err);
}

int sl_registry_subject(struct sl_meta *m, const char *subject, struct sl_schema_subject *out,
			struct sl_err *err)
{
	int rc = sl_subject_check(subject, err);
	return rc ? rc : m->ops->registry_subject_get(m->state, subject, out, err);
}

int sl_registry_set_compat(struct sl_meta *m, const char *subject, enum sl_compat c,
			   struct sl_err *err)
{
	int rc = sl_subject_check(subject, err);
	if (rc)
		return rc;
	if ((int)c < 0 || (int)c >= N_COMPAT)
		return sl_err_set(err, SL_EINVAL, "unknown compatibility mode %d", (int)c);
	return m->ops->registry_subject_set_compat(m->state, subject, (int)c, sl_now_ms(), err);
}

int sl_registry_list(struct sl_meta *m, sl_schema_subject_fn *fn, void *ctx,
		     struct sl_err *err)
{
	return m->ops->registry_subject_list(m->state, fn, ctx, err);
}

int sl_registry_versions(struct sl_meta *m, const char *subject, sl_schema_version_fn *fn,
			 void *ctx, struct sl_err *err)
{
	int rc = sl_subject_check(subject, err);
	return rc ? rc : m->ops->registry_version_list(m->state, subject, fn, ctx, err);
}

int sl_registry_metadata(struct sl_meta *m, const char *subject, int64_t version,
			 sl_schema_kv_fn *fn, void *ctx, struct sl_err *err)
{
	int rc = sl_subject_check(subject, err);
	return rc ? rc : m->ops->registry_meta_list(m->state, subject, version, fn, ctx, err);
}

/* ---- metadata ------------------------------------------------------------------------ */

/* UTF-8 without control characters (C0, DEL, C1). */
static bool clean_text(const char *s, size_t n)
{
	if (!sl_utf8_valid(s, n, NULL))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch < 0x20 || ch == 0x7f)
			return false;
		if (ch == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 &&
		    (unsigned char)s[i + 1] <= 0x9f)
			return false;
	}
	return true;
}

int sl_registry_meta_check(const struct sl_schema_kv *kv, size_t n, struct sl_err *err)
{
	char shown[300];
	if (n > SL_REGISTRY_META_PAIRS_MAX)
		return sl_err_set(err, SL_EINVAL, "%zu metadata pairs: at most %d per version", n,
				  SL_REGISTRY_META_PAIRS_MAX);
	for (size_t i = 0; i < n; i++) {
		size_t kl = strlen(kv[i].key), vl = strlen(kv[i].value);
		if (kl == 0 || kl > SL_REGISTRY_META_KEY_MAX)
			return sl_err_set(err, SL_EINVAL,
					  "metadata key '%s' must be 1 to %d bytes",
					  printable(kv[i].key, shown, sizeof(shown)),
					  SL_REGISTRY_META_KEY_MAX);
		if (!clean_text(kv[i].key, kl) || strchr(kv[i].key, '='))
			return sl_err_set(err, SL_EINVAL,
					  "metadata key '%s' must be UTF-8 without control "
					  "characters or '='",
					  printable(kv[i].key, shown, sizeof(shown)));
		if (vl == 0 || vl > SL_REGISTRY_META_VALUE_MAX)
			return sl_err_set(err, SL_EINVAL,
					  "metadata value of '%s' must be 1 to %d bytes",
					  printable(kv[i].key, shown, sizeof(shown)),
					  SL_REGISTRY_META_VALUE_MAX);
		if (!clean_text(kv[i].value, vl))
			return sl_err_set(err, SL_EINVAL,
					  "metadata value of '%s' must be UTF-8 without control "
					  "characters",
					  printable(kv[i].key, shown, sizeof(shown)));
		for (size_t j = 0; j < i; j++)
			if (strcmp(kv[i].key, kv[j].key) == 0)
				return sl_err_set(err, SL_EINVAL, "metadata key '%s' given twice",
						  printable(kv[i].key, shown, sizeof(shown)));
	}
	return 0;
}

/* ---- references ---------------------------------------------------------------------- */

/* Parses "SUBJECT/VERSION" or "SUBJECT/latest" (after "sluice:"). */
static int parse_ref(const char *rest, char *subject, int64_t *version, struct sl_err *err)
{
	const char *slash = strrchr(rest, '/');
	if (!slash || (size_t)(slash - rest) >= SL_SUBJECT_MAX)
		return sl_err_set(err, SL_ENOENT,
				  "reference 'sluice:%.200s' is not sluice:SUBJECT/VERSION", rest);
	memcpy(subject, rest, (size_t)(slash - rest));
	subject[slash - rest] = '\0';
	int rc = sl_subject_check(subject, err);
	if (rc)
		return SL_ENOENT;
	const char *v = slash + 1;
	if (strcmp(v, "latest") == 0) {
		*version = 0;
		return 0;
	}
	char *end;
	if (*v < '1' || *v > '9')
		return sl_err_set(err, SL_ENOENT, "reference 'sluice:%.200s': bad version", rest);
	errno = 0;
	long long n = strtoll(v, &end, 10);
	if (errno || *end)
		return sl_err_set(err, SL_ENOENT, "reference 'sluice:%.200s': bad version", rest);
	*version = n;
	return 0;
}

static int resolver_load(void *ctx, const char *uri, char **text, size_t *len,
			 struct sl_err *err)
{
	struct sl_meta *m = ctx;
	char subject[SL_SUBJECT_MAX];
	int64_t version = 0;
	struct sl_schema_version v;
	if (strncasecmp(uri, "sluice:", 7) != 0)
		return sl_err_set(err, SL_ENOENT,
				  "'%.300s' is not a registry reference (sluice:SUBJECT/VERSION)",
				  uri);
	int rc = parse_ref(uri + 7, subject, &version, err);
	if (rc)
		return rc;
	if ((rc = m->ops->registry_version_get(m->state, subject, version, &v, err)) != 0)
		return rc;
	*text = v.text; /* handed to the compiler, which frees it */
	*len = v.len;
	return 0;
}

void sl_registry_resolver(struct sl_meta *m, struct sl_schema_resolver *out)
{
	out->load = resolver_load;
	out->ctx = m;
}

int sl_registry_compile(struct sl_meta *m, const char *subject, int64_t version,
			struct sl_schema **out, int64_t *version_out, struct sl_err *err)
{
	struct sl_schema_version v;
	struct sl_schema_resolver res;
	int rc = sl_registry_get(m, subject, version, &v, err);
	if (rc)
		return rc;
	sl_registry_resolver(m, &res);
	struct sl_schema_opts opts = {.resolver = &res};
	rc = sl_schema_compile(v.text, v.len, &opts, out, err);
	if (rc)
		sl_err_prefix(err, "%s version %" PRId64, subject, v.version);
	else if (version_out)
		*version_out = v.version;
	sl_schema_version_release(&v);
	return rc;
}

/* ---- registration -------------------------------------------------------------------- */

/* Checks new_tree against the versions the mode names; violations go to rep. */
static int check_against(struct sl_meta *m, const char *subject, enum sl_compat mode,
			 int64_t latest, const struct sl_json_node *new_tree,
			 struct sl_compat_report *rep, struct sl_err *err)
{
	bool all = mode == SL_COMPAT_BACKWARD_ALL || mode == SL_COMPAT_FORWARD_ALL ||
		   mode == SL_COMPAT_FULL_ALL;
	if (mode == SL_COMPAT_NONE || latest == 0)
		return 0;
	for (int64_t ver = latest; ver >= (all ? 1 : latest); ver--) {
		struct sl_schema_version old;
		struct sl_json_node *old_tree;
		int rc = m->ops->registry_version_get(m->state, subject, ver, &old, err);
		if (rc)
			return rc;
		rc = sl_schema_tree(old.text, old.len, &old_tree, err);
		sl_schema_version_release(&old);
		if (rc)
			return sl_err_set(err, SL_ECORRUPT, "%s version %" PRId64 " as stored: %s",
					  subject, ver, err ? err->msg : "unreadable");
		sl_compat_check(old_tree, new_tree, mode, ver, rep);
		sl_json_tree_free(old_tree);
	}
	return 0;
}

static int refuse(struct sl_registry_result *res, enum sl_registry_outcome o, int code)
{
	res->outcome = o;
	return code;
}

int sl_registry_register(struct sl_meta *m, const char *subject, const char *text,
			 size_t len, const struct sl_registry_opts *opts,
			 struct sl_registry_result *res, struct sl_err *err)
{
	static const struct sl_registry_opts none = {0};
	struct sl_json_node *tree = NULL;
	struct sl_schema *compiled = NULL;
	struct sl_buf canon;
	const char **kv = NULL;
	int rc;
	if (!opts)
		opts = &none;
	sl_schema_skip_bom(&text, &len);
	memset(res, 0, sizeof(*res));
	res->outcome = SL_REG_FAILED;
	sl_buf_init(&canon, SL_SCHEMA_TEXT_MAX + 16);
	if ((rc = sl_subject_check(subject, err)) != 0 ||
	    (rc = sl_registry_meta_check(opts->meta, opts->n_meta, err)) != 0)
		return rc;
	if (opts->compat_given && ((int)opts->compat < 0 || (int)opts->compat >= N_COMPAT))
		return sl_err_set(err, SL_EINVAL, "unknown compatibility mode %d",
				  (int)opts->compat);

	/* 1. shape and canonical form */
	if ((rc = sl_schema_tree(text, len, &tree, err)) != 0) {
		res->outcome = rc == SL_ENOMEM ? SL_REG_FAILED : SL_REG_MALFORMED;
		return rc == SL_ENOMEM ? rc : SL_EINVAL;
	}
	if ((rc = sl_schema_tree_canonical(tree, text, &canon)) != 0) {
		rc = sl_err_set(err, rc, "out of memory");
		goto out;
	}
	sl_schema_fingerprint(canon.data, canon.len, res->fingerprint);

	/* 2. it must compile: unknown keyword types, unresolvable $ref, invalid regex,
	 *    $ref cycles are refused here with the compiler's reason */
	struct sl_schema_resolver resolver;
	sl_registry_resolver(m, &resolver);
	struct sl_schema_opts so = {.resolver = &resolver};
	if ((rc = sl_schema_compile(text, len, &so, &compiled, err)) != 0) {
		if (rc != SL_ENOMEM) {
			res->outcome = SL_REG_MALFORMED;
			rc = SL_EINVAL;
		}
		goto out;
	}
	sl_schema_free(compiled);

	if (opts->n_meta) {
		kv = malloc(2 * opts->n_meta * sizeof(*kv));
		if (!kv) {
			rc = sl_err_set(err, SL_ENOMEM, "out of memory");
			goto out;
		}
		for (size_t i = 0; i < opts->n_meta; i++) {
			kv[2 * i] = opts->meta[i].key;
			kv[2 * i + 1] = opts->meta[i].value;
		}
	}

	/* 3. check what is there, then add if it is still there (promise 2) */
	for (int attempt = 0; attempt < REGISTER_ATTEMPTS; attempt++) {
		struct sl_schema_version found;
		struct sl_schema_subject sub;
		enum sl_compat mode;
		bool exists;
		memset(&res->report, 0, sizeof(res->report));
		rc = m->ops->registry_version_find(m->state, subject, res->fingerprint, &found,
						   err);
		if (rc == 0) {
			res->version = found.version;
			sl_schema_version_release(&found);
			if (opts->dry_run || opts->n_meta == 0) {
				res->outcome = SL_REG_EXISTING;
				goto out;
			}
			/* else the add below finds it again and adds the metadata */
		} else if (rc != SL_ENOENT) {
			goto out;
		}
		rc = m->ops->registry_subject_get(m->state, subject, &sub, err);
		if (rc != 0 && rc != SL_ENOENT)
			goto out;
		exists = rc == 0;
		if (exists) {
			mode = sub.compat;
		} else if (opts->compat_given) {
			mode = opts->compat;
		} else if ((rc = sl_registry_default_compat(m, &mode, err)) != 0) {
			goto out;
		}
		res->compat = mode;
		int64_t latest = exists ? sub.latest : 0;
		if (exists && opts->compat_given && sub.compat != opts->compat) {
			rc = refuse(res, SL_REG_MODE_CONFLICT,
				    sl_err_set(err, SL_EINVAL,
					       "schema subject '%s' has compatibility %s, not %s: a "
					       "mode given at registration only applies to a new "
					       "subject",
					       subject, sl_compat_name(sub.compat),
					       sl_compat_name(opts->compat)));
			goto out;
		}
		if (res->version == 0) { /* a new version: the mode decides */
			if (mode == SL_COMPAT_DISABLED) {
				rc = refuse(res, SL_REG_DISABLED,
					    sl_err_set(err, SL_EINVAL,
						       "schema subject '%s' has compatibility "
						       "DISABLED: no new versions may be registered",
						       subject));
				goto out;
			}
			if ((rc = check_against(m, subject, mode, latest, tree, &res->report,
						err)) != 0)
				goto out;
			if (res->report.total > 0) {
				char line[700];
				const struct sl_compat_violation *v = &res->report.v[0];
				sl_compat_violation_line(v, line, sizeof(line));
				rc = refuse(res, SL_REG_INCOMPATIBLE,
					    sl_err_set(err, SL_EINVAL,
						       "schema subject '%s' (%s): not %s compatible "
						       "with version %" PRId64 ": %s%s",
						       subject, sl_compat_name(mode), v->direction,
						       v->against, line,
						       res->report.total > 1 ? " (and more: see "
									       "schema check)"
									     : ""));
				goto out;
			}
			if (opts->dry_run) {
				res->outcome = SL_REG_NEW;
				res->version = latest + 1;
				rc = 0;
				goto out;
			}
		}
		struct sl_schema_version v = {.fingerprint = "", .text = canon.data,
					      .len = canon.len, .created_ms = sl_now_ms()};
		bool existed = false;
		snprintf(v.subject, sizeof(v.subject), "%s", subject);
		memcpy(v.fingerprint, res->fingerprint, sizeof(v.fingerprint));
		rc = m->ops->registry_version_add(m->state, &v, (int)mode, latest, kv,
						  opts->n_meta, SL_REGISTRY_META_PAIRS_MAX,
						  &existed, err);
		if (rc == SL_ESTALE) {
			res->version = 0;
			continue; /* another writer got in first: look again */
		}
		if (rc)
			goto out;
		res->version = v.version;
		res->outcome = existed ? SL_REG_EXISTING : SL_REG_NEW;
		goto out;
	}
	rc = sl_err_set(err, SL_EBUSY,
			"schema subject '%s': gave up after %d attempts: other writers keep "
			"registering versions",
			subject, REGISTER_ATTEMPTS);
out:
	free(kv);
	sl_buf_release(&canon);
	sl_json_tree_free(tree);
	return rc;
}
