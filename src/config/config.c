/*
 * config.c - reading, checking and writing sluice.yaml.
 *
 * A file is read whole (at most SL_CONFIG_MAX_BYTES), turned by libyaml's event parser into
 * a small tree of mappings, sequences and scalars that remember their line and column, and
 * then walked against the declarative key tables below. The tables are the one description
 * of the format: validation, sl_config_show and the "known:" lists in error messages all
 * come from them, so a key added there is accepted, shown and suggested everywhere at once.
 *
 * Promises:
 *   1. A file that loads yields a fully defined struct sl_config: every key not given holds
 *      its default, and every queue override in cfg->queues is already resolved (keys the
 *      override did not give are copied from queues.defaults, wherever in the file those
 *      defaults were written); so are subjects, families and ETL jobs over their
 *      sections' defaults.
 *   2. A file that does not load leaves the caller's struct at the defaults.
 *   3. Hostile input (deep nesting, huge files, aliases, bytes that are not UTF-8, numbers
 *      that overflow) is refused with a message, never a crash or a wrapped value.
 *   4. Every message about the content is "PATH:LINE:COL: message" with a 1-based position
 *      of the offending key or value.
 */
#include "config/config.h"
#include "config/config_int.h"
#include "etl/cron.h"
#include "json/json.h"
#include "meta/meta.h" /* SL_BATCH_MAX */
#include "util/buf.h"
#include "util/fs.h"
#include "util/glob.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#define SL_CONFIG_VERSION 1
/* Deeper than any real sluice.yaml by far; it only exists so that "[[[[..." is refused
 * before the tree (and the recursive walks over it) gets deep. */
#define SL_CONFIG_MAX_DEPTH 32
/* A 4 MiB file of "[]," would otherwise cost over a million nodes. */
#define SL_CONFIG_MAX_NODES 100000
/* How much of a user's value an error message quotes. */
#define SL_QUOTE_MAX 48

#define SL_MS_PER_S INT64_C(1000)
#define SL_MS_PER_MIN (60 * SL_MS_PER_S)
#define SL_MS_PER_H (60 * SL_MS_PER_MIN)
#define SL_MS_PER_D (24 * SL_MS_PER_H)

const char *const sl_config_queue_names[] = {"landing", "raw", "deadletter", "curated", NULL};

/* ---- the tree ---------------------------------------------------------------------- */

enum sl_ykind { SL_Y_SCALAR, SL_Y_MAP, SL_Y_SEQ };

struct sl_ynode {
	enum sl_ykind kind;
	int line, col;          /* 1-based, where the node starts */
	char *text;             /* SL_Y_SCALAR: the value, NUL-terminated (no NUL inside) */
	size_t len;
	bool plain;             /* written without quotes: only a plain scalar can be null */
	struct sl_ynode **kids; /* SL_Y_MAP: key, value, key, value...; SL_Y_SEQ: items */
	size_t n_kids, cap_kids;
};

static void sl_ynode_free(struct sl_ynode *n)
{
	if (!n)
		return;
	/* Recursion is bounded by SL_CONFIG_MAX_DEPTH. */
	for (size_t i = 0; i < n->n_kids; i++)
		sl_ynode_free(n->kids[i]);
	free(n->kids);
	free(n->text);
	free(n);
}

static int sl_ynode_add(struct sl_ynode *parent, struct sl_ynode *kid)
{
	if (parent->n_kids == parent->cap_kids) {
		size_t cap = parent->cap_kids ? parent->cap_kids * 2 : 8;
		struct sl_ynode **kids = realloc(parent->kids, cap * sizeof(*kids));
		if (!kids)
			return SL_ENOMEM;
		parent->kids = kids;
		parent->cap_kids = cap;
	}
	parent->kids[parent->n_kids++] = kid;
	return 0;
}

static bool sl_ynode_is_null(const struct sl_ynode *n)
{
	if (!n)
		return true;
	if (n->kind != SL_Y_SCALAR || !n->plain)
		return false;
	return n->len == 0 || strcmp(n->text, "~") == 0 || strcmp(n->text, "null") == 0 ||
	       strcmp(n->text, "Null") == 0 || strcmp(n->text, "NULL") == 0;
}

/* ---- one run of load or check ------------------------------------------------------ */

struct sl_cfg_run {
	const char *path;
	const char *buf; /* the file, for positions of libyaml's reader errors */
	size_t len;
	struct sl_config *cfg; /* being filled; not the caller's until the end */
	sl_config_report_fn *report;
	void *report_ctx;
	struct sl_err *err; /* never NULL here: the first problem is kept in it */
	bool stop_first;
	bool newer; /* the version says the file is for a newer sluice */
	int n_problems;
};

static bool sl_stopped(const struct sl_cfg_run *run)
{
	return run->stop_first && run->n_problems > 0;
}

static void sl_problem(struct sl_cfg_run *run, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void sl_problem(struct sl_cfg_run *run, int line, int col, const char *fmt, ...)
{
	char msg[SL_ERR_MSG_MAX];
	va_list ap;

	if (sl_stopped(run))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	run->n_problems++;
	if (run->report)
		run->report(run->report_ctx, run->path, line, col, msg);
	if (run->n_problems == 1) {
		if (line > 0)
			sl_err_set(run->err, SL_ECONFIG, "%s:%d:%d: %s", run->path, line, col, msg);
		else
			sl_err_set(run->err, SL_ECONFIG, "%s: %s", run->path, msg);
	}
}

/* Quotes a user's text for a message: 'text', control and non-ASCII bytes as \xNN, cut
 * short with "..." so that one silly value cannot push the rest of a message out. */
static const char *sl_quote(const char *s, size_t len, char *buf, size_t cap)
{
	size_t o = 0;
	buf[o++] = '\'';
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (o >= SL_QUOTE_MAX || o + 8 >= cap) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (c < 0x20 || c >= 0x7f)
			o += (size_t)snprintf(buf + o, cap - o, "\\x%02X", c);
		else
			buf[o++] = (char)c;
	}
	buf[o++] = '\'';
	buf[o] = '\0';
	return buf;
}

/* What a node is, for "expected X, got Y". */
static const char *sl_describe(const struct sl_ynode *n, char *buf, size_t cap)
{
	if (n->kind == SL_Y_MAP)
		return "a mapping";
	if (n->kind == SL_Y_SEQ)
		return "a sequence";
	return sl_quote(n->text, n->len, buf, cap);
}

/* ---- YAML text to tree --------------------------------------------------------------- */

static void sl_offset_pos(const char *buf, size_t len, size_t offset, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < offset && i < len; i++) {
		if (buf[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

static int sl_syntax_error(struct sl_cfg_run *run, const yaml_parser_t *p)
{
	int line, col;
	const char *problem = p->problem ? p->problem : "unknown error";

	if (p->error == YAML_MEMORY_ERROR)
		return sl_err_set(run->err, SL_ENOMEM, "%s: out of memory while parsing", run->path);
	if (p->error == YAML_READER_ERROR) {
		/* The reader knows only a byte offset, not a mark. */
		sl_offset_pos(run->buf, run->len, p->problem_offset, &line, &col);
		if (p->problem_value >= 0)
			sl_problem(run, line, col, "not a valid YAML text: %s (byte 0x%02X)", problem,
				   (unsigned)p->problem_value & 0xffu);
		else
			sl_problem(run, line, col, "not a valid YAML text: %s", problem);
		return SL_ECONFIG;
	}
	line = (int)p->problem_mark.line + 1;
	col = (int)p->problem_mark.column + 1;
	/* libyaml's words for a tab are "cannot start any token", which few people decode. */
	const char *hint = p->problem_mark.index < run->len && run->buf[p->problem_mark.index] == '\t'
				   ? "; YAML indents with spaces, not tabs"
				   : "";
	if (p->context)
		sl_problem(run, line, col, "YAML syntax error: %s (%s at %d:%d)%s", problem,
			   p->context, (int)p->context_mark.line + 1,
			   (int)p->context_mark.column + 1, hint);
	else
		sl_problem(run, line, col, "YAML syntax error: %s%s", problem, hint);
	return SL_ECONFIG;
}

/* Parses run->buf into *root_out (NULL for an empty stream). Returns 0, SL_ECONFIG after
 * reporting the problem that stopped it, or SL_ENOMEM. */
static int sl_yaml_tree(struct sl_cfg_run *run, struct sl_ynode **root_out)
{
	yaml_parser_t parser;
	yaml_event_t event;
	struct sl_ynode *stack[SL_CONFIG_MAX_DEPTH];
	struct sl_ynode *root = NULL, *node = NULL;
	bool have_event = false, done = false;
	int depth = 0, n_docs = 0, rc = 0;
	size_t n_nodes = 0;

	*root_out = NULL;
	if (!yaml_parser_initialize(&parser))
		return sl_err_set(run->err, SL_ENOMEM, "%s: out of memory", run->path);
	yaml_parser_set_input_string(&parser, (const unsigned char *)run->buf, run->len);

	while (!done) {
		if (!yaml_parser_parse(&parser, &event)) {
			rc = sl_syntax_error(run, &parser);
			goto fail;
		}
		have_event = true;
		/* The file is at most 4 MiB, so positions fit an int. */
		int line = (int)event.start_mark.line + 1, col = (int)event.start_mark.column + 1;

		switch (event.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++n_docs > 1) {
				sl_problem(run, line, col,
					   "a second YAML document: the file must hold only one");
				rc = SL_ECONFIG;
				goto fail;
			}
			break;
		case YAML_ALIAS_EVENT:
			sl_problem(run, line, col,
				   "aliases are not supported (*%s): write the value out",
				   (const char *)event.data.alias.anchor);
			rc = SL_ECONFIG;
			goto fail;
		case YAML_SCALAR_EVENT:
		case YAML_MAPPING_START_EVENT:
		case YAML_SEQUENCE_START_EVENT:
			if (++n_nodes > SL_CONFIG_MAX_NODES) {
				sl_problem(run, line, col, "more than %d values in one file",
					   SL_CONFIG_MAX_NODES);
				rc = SL_ECONFIG;
				goto fail;
			}
			if (event.type != YAML_SCALAR_EVENT && depth == SL_CONFIG_MAX_DEPTH) {
				sl_problem(run, line, col, "nested deeper than %d levels",
					   SL_CONFIG_MAX_DEPTH);
				rc = SL_ECONFIG;
				goto fail;
			}
			node = calloc(1, sizeof(*node));
			if (!node)
				goto nomem;
			node->line = line;
			node->col = col;
			if (event.type == YAML_SCALAR_EVENT) {
				node->kind = SL_Y_SCALAR;
				node->len = event.data.scalar.length;
				node->plain = event.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
				node->text = malloc(node->len + 1);
				if (!node->text)
					goto nomem;
				memcpy(node->text, event.data.scalar.value, node->len);
				node->text[node->len] = '\0';
				/* A "\0" escape would make the C string shorter than the value and
				 * let "local\0junk" pass as "local". */
				if (strlen(node->text) != node->len) {
					sl_problem(run, line, col, "a value holds a NUL character");
					rc = SL_ECONFIG;
					goto fail;
				}
			} else {
				node->kind = event.type == YAML_MAPPING_START_EVENT ? SL_Y_MAP : SL_Y_SEQ;
			}
			if (depth == 0)
				root = node; /* one document, so one top node */
			else if (sl_ynode_add(stack[depth - 1], node) < 0)
				goto nomem;
			if (node->kind != SL_Y_SCALAR)
				stack[depth++] = node;
			node = NULL; /* owned by the tree now */
			break;
		case YAML_MAPPING_END_EVENT:
		case YAML_SEQUENCE_END_EVENT:
			depth--;
			break;
		default:
			break;
		}
		yaml_event_delete(&event);
		have_event = false;
	}
	yaml_parser_delete(&parser);
	*root_out = root;
	return 0;

nomem:
	rc = sl_err_set(run->err, SL_ENOMEM, "%s: out of memory", run->path);
fail:
	if (have_event)
		yaml_event_delete(&event);
	yaml_parser_delete(&parser);
	sl_ynode_free(node);
	sl_ynode_free(root);
	return rc;
}

/* ---- the format, as tables --------------------------------------------------------- */

enum sl_cfg_type {
	SL_T_VERSION,  /* int64_t, must be SL_CONFIG_VERSION */
	SL_T_INT,      /* int64_t in min .. max */
	SL_T_BOOL,     /* bool */
	SL_T_SIZE,     /* int64_t bytes in min .. max */
	SL_T_DURATION, /* int64_t milliseconds in min .. max */
	SL_T_ENUM,     /* char[cap], one of choices */
	SL_T_SECTION,  /* a mapping of keys; its fields start at base + offset */
	SL_T_OVERRIDE, /* a mapping of keys for one queue: a slot of cfg->queues */
	SL_T_FLAG,     /* int8_t 0/1 (a boolean that can be left unset: -1) */
	SL_T_PIN,      /* int64_t schema version: "latest" (0) or 1 .. max */
	SL_T_TEXT,     /* char[cap], accepted by check */
	SL_T_ROUTES,   /* a sequence of route mappings: cfg->validate.routes */
	SL_T_SUBJECTS, /* a mapping of subject name -> settings: cfg->validate.subjects */
	SL_T_FAMILIES, /* a mapping of family name -> settings: cfg->crawl.families */
	SL_T_JOBS,     /* a mapping of job name -> settings: cfg->etl.jobs */
	SL_T_NAMELIST, /* a sequence of family names, or ["*"]: cfg->etl.default_jobs */
	SL_T_MAPPING,  /* a job's mapping transform, kept as JSON text in char[cap] */
};

struct sl_cfg_key {
	const char *name;
	const char *const *names; /* instead of name: any of these (NULL-terminated) */
	enum sl_cfg_type type;
	size_t offset; /* of the field, from the section's base */
	size_t cap;    /* SL_T_ENUM: size of the char array */
	int64_t min, max;
	const char *const *choices;   /* SL_T_ENUM */
	const struct sl_cfg_key *keys; /* SL_T_SECTION, SL_T_OVERRIDE, SL_T_ROUTES, SL_T_SUBJECTS,
					* SL_T_FAMILIES, SL_T_JOBS */
	/* SL_T_TEXT: NULL if text is acceptable, else why not (*at: byte offset in it, or
	 * SIZE_MAX when the reason says where itself); buf (cap bytes) may hold the reason */
	const char *(*check)(const char *text, size_t *at, char *buf, size_t cap);
	bool required; /* keys of a route or a job: must be given */
};

#define SL_FIELD_SIZE(type, member) sizeof(((type *)0)->member)

static const char *const sl_store_backends[] = {"local", NULL};
static const char *const sl_meta_backends[] = {"sqlite", NULL};
static const char *const sl_sync_modes[] = {"full", "normal", NULL};

static const struct sl_cfg_key sl_store_keys[] = {
	{.name = "backend", .type = SL_T_ENUM,
	 .offset = offsetof(struct sl_config, store_backend),
	 .cap = SL_FIELD_SIZE(struct sl_config, store_backend), .choices = sl_store_backends},
	{.name = "fsync", .type = SL_T_BOOL, .offset = offsetof(struct sl_config, store_fsync)},
	{.name = "max_object_size", .type = SL_T_SIZE,
	 .offset = offsetof(struct sl_config, max_object_size), .min = 0, .max = INT64_MAX},
	{0},
};

static const struct sl_cfg_key sl_meta_keys[] = {
	{.name = "backend", .type = SL_T_ENUM, .offset = offsetof(struct sl_config, meta_backend),
	 .cap = SL_FIELD_SIZE(struct sl_config, meta_backend), .choices = sl_meta_backends},
	/* SQLite takes the busy timeout as an int of milliseconds; a day fits and is already
	 * far longer than anyone should wait for a lock. */
	{.name = "busy_timeout", .type = SL_T_DURATION,
	 .offset = offsetof(struct sl_config, busy_timeout_ms), .min = 0, .max = SL_MS_PER_D},
	{.name = "synchronous", .type = SL_T_ENUM,
	 .offset = offsetof(struct sl_config, meta_synchronous),
	 .cap = SL_FIELD_SIZE(struct sl_config, meta_synchronous), .choices = sl_sync_modes},
	{0},
};

/* The limits are Amazon SQS's, so that behaviour learnt there carries over. */
static const struct sl_cfg_key sl_queue_keys[] = {
	{.name = "visibility_timeout", .type = SL_T_DURATION,
	 .offset = offsetof(struct sl_queue_conf, visibility_timeout_ms), .min = 0,
	 .max = 12 * SL_MS_PER_H},
	{.name = "max_receive_count", .type = SL_T_INT,
	 .offset = offsetof(struct sl_queue_conf, max_receive_count), .min = 1, .max = 1000},
	{.name = "retention", .type = SL_T_DURATION,
	 .offset = offsetof(struct sl_queue_conf, retention_ms), .min = SL_MS_PER_MIN,
	 .max = 14 * SL_MS_PER_D},
	{0},
};

static const struct sl_cfg_key sl_queues_keys[] = {
	{.name = "defaults", .type = SL_T_SECTION,
	 .offset = offsetof(struct sl_config, queue_defaults), .keys = sl_queue_keys},
	{.names = sl_config_queue_names, .type = SL_T_OVERRIDE, .keys = sl_queue_keys},
	{0},
};

/* ---- validate ---- */

static const char *const sl_policies[] = {"split", "quarantine", NULL};
static const char *const sl_formats[] = {"auto", "ndjson", "array", "document", NULL};

static const char *sl_glob_why(const char *text, size_t *at, char *buf, size_t cap)
{
	const char *why = NULL;
	(void)buf;
	(void)cap;
	return sl_glob_check(text, at, &why) == 0 ? NULL : why;
}

/* The registry's rule for subject names (registry.h, sl_subject_check); a table family
 * (crawl.families) is named by the same rule, since a key's first folder names both, and
 * so is an ETL job, whose default job takes its family's name. */
enum sl_name_kind { SL_NAME_SUBJECT, SL_NAME_FAMILY, SL_NAME_JOB };

static const char *sl_name_why(const char *text, size_t *at, enum sl_name_kind kind)
{
	static const char *const too_long[] = {"a subject name has 1 to 128 characters",
					       "a family name has 1 to 128 characters",
					       "a job name has 1 to 128 characters"};
	static const char *const bad_char[] = {
		"a subject name holds only letters, digits, '.', '_' and '-'",
		"a family name holds only letters, digits, '.', '_' and '-'",
		"a job name holds only letters, digits, '.', '_' and '-'"};
	size_t n = strlen(text);
	*at = 0;
	if (n == 0 || n > SL_CONFIG_SUBJECT_MAX - 1)
		return too_long[kind];
	for (size_t i = 0; i < n; i++) {
		char c = text[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-')) {
			*at = i;
			return bad_char[kind];
		}
	}
	return NULL;
}

static const char *sl_subject_why(const char *text, size_t *at, char *buf, size_t cap)
{
	(void)buf;
	(void)cap;
	return sl_name_why(text, at, SL_NAME_SUBJECT);
}

static const struct sl_cfg_key sl_vdefault_keys[] = {
	{.name = "policy", .type = SL_T_ENUM, .offset = offsetof(struct sl_subject_conf, policy),
	 .cap = SL_FIELD_SIZE(struct sl_subject_conf, policy), .choices = sl_policies},
	{.name = "pass_through", .type = SL_T_FLAG,
	 .offset = offsetof(struct sl_subject_conf, pass_through)},
	{.name = "format", .type = SL_T_ENUM, .offset = offsetof(struct sl_subject_conf, format),
	 .cap = SL_FIELD_SIZE(struct sl_subject_conf, format), .choices = sl_formats},
	{0},
};

static const struct sl_cfg_key sl_subject_keys[] = {
	{.name = "policy", .type = SL_T_ENUM, .offset = offsetof(struct sl_subject_conf, policy),
	 .cap = SL_FIELD_SIZE(struct sl_subject_conf, policy), .choices = sl_policies},
	{.name = "version", .type = SL_T_PIN, .offset = offsetof(struct sl_subject_conf, version),
	 .min = 1, .max = INT64_MAX},
	{.name = "pass_through", .type = SL_T_FLAG,
	 .offset = offsetof(struct sl_subject_conf, pass_through)},
	{0},
};

static const struct sl_cfg_key sl_route_keys[] = {
	{.name = "match", .type = SL_T_TEXT, .offset = offsetof(struct sl_route_conf, match),
	 .cap = SL_FIELD_SIZE(struct sl_route_conf, match), .check = sl_glob_why,
	 .required = true},
	{.name = "subject", .type = SL_T_TEXT, .offset = offsetof(struct sl_route_conf, subject),
	 .cap = SL_FIELD_SIZE(struct sl_route_conf, subject), .check = sl_subject_why,
	 .required = true},
	{.name = "format", .type = SL_T_ENUM, .offset = offsetof(struct sl_route_conf, format),
	 .cap = SL_FIELD_SIZE(struct sl_route_conf, format), .choices = sl_formats},
	{0},
};

static const struct sl_cfg_key sl_report_keys[] = {
	{.name = "max_records", .type = SL_T_INT,
	 .offset = offsetof(struct sl_validate_conf, report_max_records), .min = 0,
	 .max = 1000000},
	{.name = "max_errors_per_record", .type = SL_T_INT,
	 .offset = offsetof(struct sl_validate_conf, report_max_errors), .min = 1, .max = 100},
	{0},
};

/* The JSON engine's own bounds (json.h): depth fits the tape's 16 bits; a record is
 * addressed with 32-bit offsets. */
static const struct sl_cfg_key sl_vlimit_keys[] = {
	{.name = "max_depth", .type = SL_T_INT,
	 .offset = offsetof(struct sl_validate_conf, max_depth), .min = 1, .max = 65535},
	{.name = "max_record", .type = SL_T_SIZE,
	 .offset = offsetof(struct sl_validate_conf, max_record), .min = 1,
	 .max = INT64_C(1) << 31},
	{.name = "max_string", .type = SL_T_SIZE,
	 .offset = offsetof(struct sl_validate_conf, max_string), .min = 1,
	 .max = INT64_C(1) << 31},
	{0},
};

/* Offsets from struct sl_validate_conf. */
static const struct sl_cfg_key sl_validate_keys[] = {
	{.name = "defaults", .type = SL_T_SECTION,
	 .offset = offsetof(struct sl_validate_conf, defaults), .keys = sl_vdefault_keys},
	{.name = "routes", .type = SL_T_ROUTES, .keys = sl_route_keys},
	{.name = "subjects", .type = SL_T_SUBJECTS, .keys = sl_subject_keys},
	{.name = "report", .type = SL_T_SECTION, .keys = sl_report_keys},
	{.name = "limits", .type = SL_T_SECTION, .keys = sl_vlimit_keys},
	{0},
};

/* ---- crawl ---- */

static const char *const sl_schema_changes[] = {"update", "add_columns", "log", NULL};
static const char *const sl_deletions[] = {"delete", "deprecate", "log", NULL};

/* crawl.defaults and crawl.families.NAME; offsets from struct sl_family_conf. A family's
 * keys left out (depth 0, "") are filled from crawl.defaults by sl_config_resolve. */
static const struct sl_cfg_key sl_family_keys[] = {
	{.name = "depth", .type = SL_T_INT, .offset = offsetof(struct sl_family_conf, depth),
	 .min = 1, .max = 8},
	{.name = "schema_change", .type = SL_T_ENUM,
	 .offset = offsetof(struct sl_family_conf, schema_change),
	 .cap = SL_FIELD_SIZE(struct sl_family_conf, schema_change), .choices = sl_schema_changes},
	{.name = "deletion", .type = SL_T_ENUM, .offset = offsetof(struct sl_family_conf, deletion),
	 .cap = SL_FIELD_SIZE(struct sl_family_conf, deletion), .choices = sl_deletions},
	{0},
};

/* Offsets from struct sl_crawl_conf. A batch is one receive of the queue, hence
 * SL_BATCH_MAX; batch_wait is bounded so that a quiet queue still commits what it has. */
static const struct sl_cfg_key sl_crawl_keys[] = {
	{.name = "batch_messages", .type = SL_T_INT,
	 .offset = offsetof(struct sl_crawl_conf, batch_messages), .min = 1, .max = SL_BATCH_MAX},
	{.name = "batch_wait", .type = SL_T_DURATION,
	 .offset = offsetof(struct sl_crawl_conf, batch_wait_ms), .min = 0,
	 .max = 15 * SL_MS_PER_MIN},
	{.name = "sample_bytes", .type = SL_T_SIZE,
	 .offset = offsetof(struct sl_crawl_conf, sample_bytes), .min = 0, .max = INT64_MAX},
	{.name = "max_struct_fields", .type = SL_T_INT,
	 .offset = offsetof(struct sl_crawl_conf, max_struct_fields), .min = 1, .max = 1000000},
	{.name = "defaults", .type = SL_T_SECTION,
	 .offset = offsetof(struct sl_crawl_conf, defaults), .keys = sl_family_keys},
	{.name = "families", .type = SL_T_FAMILIES, .keys = sl_family_keys},
	{0},
};

/* ---- etl ---- */

static const char *const sl_codecs[] = {"zstd", "snappy", "gzip", "none", NULL};
static const char *const sl_layouts[] = {"flat", "nested", NULL};
static const char *const sl_on_errors[] = {"fail", "deadletter", NULL};

/* The moment from which a schedule is asked whether it ever fires: any fixed time does,
 * since every schedule that fires at all fires within eight years of any time; a fixed
 * one keeps the check deterministic. 2000-01-01T00:00Z. */
#define SL_CRON_PROBE_MS INT64_C(946684800000)

static const char *sl_schedule_why(const char *text, size_t *at, char *buf, size_t cap)
{
	struct sl_cron c;
	struct sl_err err = {0};
	int64_t next;

	*at = SIZE_MAX; /* the cron message gives its column */
	if (text[0] == '\0')
		return NULL; /* on demand only */
	if (sl_cron_parse(text, &c, &err) != 0) {
		snprintf(buf, cap, "%s", err.msg);
		return buf;
	}
	if (sl_cron_next(&c, SL_CRON_PROBE_MS, &next) == SL_ENOENT)
		return "it never fires: no day has its day-of-month in its months";
	return NULL;
}

static const char *sl_family_why(const char *text, size_t *at, char *buf, size_t cap)
{
	(void)buf;
	(void)cap;
	return sl_name_why(text, at, SL_NAME_FAMILY);
}

/* The characters of a name the catalog takes as is (catalog.h: table names; SQL
 * identifiers that need no quoting): [a-z_][a-z0-9_]*. Returns the length of the name
 * at s (up to a ',' or the end) and sets *bad to the offset of its first wrong byte
 * (SIZE_MAX: none). */
static size_t sl_ident_len(const char *s, size_t *bad)
{
	size_t i = 0;
	*bad = SIZE_MAX;
	for (; s[i] && s[i] != ','; i++) {
		char c = s[i];
		bool ok = (c >= 'a' && c <= 'z') || c == '_' || (i > 0 && c >= '0' && c <= '9');
		if (!ok && *bad == SIZE_MAX)
			*bad = i;
	}
	return i;
}

static const char *sl_table_why(const char *text, size_t *at, char *buf, size_t cap)
{
	size_t bad;
	(void)buf;
	(void)cap;
	*at = 0;
	size_t n = sl_ident_len(text, &bad);
	if (n == 0 && text[0] == '\0')
		return "a table name has 1 to 128 characters";
	if (bad != SIZE_MAX || text[n] != '\0') {
		*at = bad != SIZE_MAX ? bad : n;
		return "a table name holds only a-z, 0-9 and '_', and does not start with a digit";
	}
	return NULL;
}

/* partition_by: "" or column names separated by commas, each once. */
static const char *sl_columns_why(const char *text, size_t *at, char *buf, size_t cap)
{
	size_t pos = 0, bad;
	*at = 0;
	if (text[0] == '\0')
		return NULL; /* the source's partitions */
	for (;;) {
		size_t n = sl_ident_len(text + pos, &bad);
		*at = pos;
		if (n == 0)
			return "an empty column name";
		if (bad != SIZE_MAX) {
			*at = pos + bad;
			return "a column name holds only a-z, 0-9 and '_', and does not start with "
			       "a digit";
		}
		/* the same name earlier in the list */
		for (size_t p = 0; p < pos;) {
			size_t m = strcspn(text + p, ",");
			if (m == n && memcmp(text + p, text + pos, n) == 0) {
				snprintf(buf, cap, "column '%.*s' is named twice", (int)n, text + pos);
				return buf;
			}
			p += m + 1;
		}
		pos += n;
		if (text[pos] == '\0')
			return NULL;
		pos++; /* the ',' */
	}
}

/* What a job takes from etl.defaults: every key but source, target and sql. One macro,
 * so that the defaults and the jobs cannot drift apart; offsets from struct sl_job_conf. */
#define SL_JOB_SETTINGS                                                                      \
	{.name = "codec", .type = SL_T_ENUM, .offset = offsetof(struct sl_job_conf, codec),   \
	 .cap = SL_FIELD_SIZE(struct sl_job_conf, codec), .choices = sl_codecs},               \
	{.name = "level", .type = SL_T_INT, .offset = offsetof(struct sl_job_conf, level),    \
	 .min = 0, .max = 22},                                                                \
	{.name = "target_file_size", .type = SL_T_SIZE,                                       \
	 .offset = offsetof(struct sl_job_conf, target_file_size), .min = INT64_C(1) << 20,   \
	 .max = INT64_C(4) << 30},                                                            \
	{.name = "layout", .type = SL_T_ENUM, .offset = offsetof(struct sl_job_conf, layout), \
	 .cap = SL_FIELD_SIZE(struct sl_job_conf, layout), .choices = sl_layouts},             \
	{.name = "on_error", .type = SL_T_ENUM,                                               \
	 .offset = offsetof(struct sl_job_conf, on_error),                                    \
	 .cap = SL_FIELD_SIZE(struct sl_job_conf, on_error), .choices = sl_on_errors},         \
	{.name = "schedule", .type = SL_T_TEXT,                                               \
	 .offset = offsetof(struct sl_job_conf, schedule),                                    \
	 .cap = SL_FIELD_SIZE(struct sl_job_conf, schedule), .check = sl_schedule_why},        \
	{.name = "partition_by", .type = SL_T_TEXT,                                           \
	 .offset = offsetof(struct sl_job_conf, partition_by),                                \
	 .cap = SL_FIELD_SIZE(struct sl_job_conf, partition_by), .check = sl_columns_why}

static const struct sl_cfg_key sl_jdefault_keys[] = {
	SL_JOB_SETTINGS,
	{0},
};

static const struct sl_cfg_key sl_job_keys[] = {
	{.name = "source", .type = SL_T_TEXT, .offset = offsetof(struct sl_job_conf, source),
	 .cap = SL_FIELD_SIZE(struct sl_job_conf, source), .check = sl_family_why,
	 .required = true},
	{.name = "target", .type = SL_T_TEXT, .offset = offsetof(struct sl_job_conf, target),
	 .cap = SL_FIELD_SIZE(struct sl_job_conf, target), .check = sl_table_why},
	SL_JOB_SETTINGS,
	{.name = "sql", .type = SL_T_TEXT, .offset = offsetof(struct sl_job_conf, sql),
	 .cap = SL_FIELD_SIZE(struct sl_job_conf, sql)},
	{.name = "mapping", .type = SL_T_MAPPING, .offset = offsetof(struct sl_job_conf, mapping),
	 .cap = SL_FIELD_SIZE(struct sl_job_conf, mapping)},
	{0},
};

/* Offsets from struct sl_etl_conf. The lease outlives a stalled run by at most an hour;
 * five seconds leaves a run time to renew it. */
static const struct sl_cfg_key sl_etl_keys[] = {
	{.name = "lease", .type = SL_T_DURATION, .offset = offsetof(struct sl_etl_conf, lease_ms),
	 .min = 5 * SL_MS_PER_S, .max = SL_MS_PER_H},
	{.name = "default_jobs", .type = SL_T_NAMELIST},
	{.name = "defaults", .type = SL_T_SECTION, .offset = offsetof(struct sl_etl_conf, defaults),
	 .keys = sl_jdefault_keys},
	{.name = "jobs", .type = SL_T_JOBS, .keys = sl_job_keys},
	{0},
};

/* store and metadata are flat fields of struct sl_config, hence offset 0. */
static const struct sl_cfg_key sl_top_keys[] = {
	{.name = "version", .type = SL_T_VERSION, .offset = offsetof(struct sl_config, version)},
	{.name = "store", .type = SL_T_SECTION, .keys = sl_store_keys},
	{.name = "metadata", .type = SL_T_SECTION, .keys = sl_meta_keys},
	{.name = "queues", .type = SL_T_SECTION, .keys = sl_queues_keys},
	{.name = "validate", .type = SL_T_SECTION, .offset = offsetof(struct sl_config, validate),
	 .keys = sl_validate_keys},
	{.name = "crawl", .type = SL_T_SECTION, .offset = offsetof(struct sl_config, crawl),
	 .keys = sl_crawl_keys},
	{.name = "etl", .type = SL_T_SECTION, .offset = offsetof(struct sl_config, etl),
	 .keys = sl_etl_keys},
	{0},
};

static bool sl_key_end(const struct sl_cfg_key *k)
{
	return !k->name && !k->names;
}

static const struct sl_cfg_key *sl_key_find(const struct sl_cfg_key *keys, const char *name)
{
	for (const struct sl_cfg_key *k = keys; !sl_key_end(k); k++) {
		if (k->name && strcmp(k->name, name) == 0)
			return k;
		for (const char *const *n = k->names; n && *n; n++)
			if (strcmp(*n, name) == 0)
				return k;
	}
	return NULL;
}

/* A small appender for messages; output past cap is cut, never overrun. */
struct sl_sbuf {
	char *buf;
	size_t cap, len;
};

static void sl_sbuf_add(struct sl_sbuf *sb, const char *s)
{
	size_t n = strlen(s);
	if (sb->len + 1 >= sb->cap)
		return;
	if (n > sb->cap - sb->len - 1)
		n = sb->cap - sb->len - 1;
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

static void sl_known_list(const struct sl_cfg_key *keys, char *buf, size_t cap)
{
	struct sl_sbuf sb = {buf, cap, 0};
	buf[0] = '\0';
	for (const struct sl_cfg_key *k = keys; !sl_key_end(k); k++) {
		if (k->name) {
			sl_sbuf_add(&sb, sb.len ? ", " : "");
			sl_sbuf_add(&sb, k->name);
		}
		for (const char *const *n = k->names; n && *n; n++) {
			sl_sbuf_add(&sb, sb.len ? ", " : "");
			sl_sbuf_add(&sb, *n);
		}
	}
}

/* "a", "a or b", "a, b or c" */
static void sl_choice_list(const char *const *choices, char *buf, size_t cap)
{
	struct sl_sbuf sb = {buf, cap, 0};
	buf[0] = '\0';
	for (size_t i = 0; choices[i]; i++) {
		if (i > 0)
			sl_sbuf_add(&sb, choices[i + 1] ? ", " : " or ");
		sl_sbuf_add(&sb, choices[i]);
	}
}

/* ---- scalar values ----------------------------------------------------------------- */

struct sl_unit {
	const char *name;
	int64_t mult;
};

/* Case matters: "mb" is not a unit, so that millibits and megabytes cannot be confused. */
static const struct sl_unit sl_size_units[] = {
	{"B", 1},
	{"KB", INT64_C(1000)},
	{"MB", INT64_C(1000) * 1000},
	{"GB", INT64_C(1000) * 1000 * 1000},
	{"TB", INT64_C(1000) * 1000 * 1000 * 1000},
	{"KiB", INT64_C(1) << 10},
	{"MiB", INT64_C(1) << 20},
	{"GiB", INT64_C(1) << 30},
	{"TiB", INT64_C(1) << 40},
	{NULL, 0},
};

static const struct sl_unit sl_duration_units[] = {
	{"ms", 1},
	{"s", SL_MS_PER_S},
	{"m", SL_MS_PER_MIN},
	{"h", SL_MS_PER_H},
	{"d", SL_MS_PER_D},
	{NULL, 0},
};

enum { SL_NUM_OK = 0, SL_NUM_BAD = -1, SL_NUM_OVERFLOW = -2 };

/* Decimal digits at s[*pos..] into *out; at least one digit. */
static int sl_parse_digits(const char *s, size_t *pos, int64_t *out)
{
	size_t i = *pos;
	int64_t v = 0;
	bool overflow = false;

	if (s[i] < '0' || s[i] > '9')
		return SL_NUM_BAD;
	for (; s[i] >= '0' && s[i] <= '9'; i++) {
		int d = s[i] - '0';
		if (v > (INT64_MAX - d) / 10)
			overflow = true; /* keep scanning so that "9...9x" is still a type error */
		else
			v = v * 10 + d;
	}
	*pos = i;
	*out = v;
	return overflow ? SL_NUM_OVERFLOW : SL_NUM_OK;
}

/* An optionally negative integer; negatives are parsed so that they meet a range error
 * ("-1 is out of range") rather than a puzzling type error. */
static int sl_parse_int(const char *s, int64_t *out)
{
	size_t pos = 0;
	bool neg = s[0] == '-';
	if (neg || s[0] == '+')
		pos++;
	int rc = sl_parse_digits(s, &pos, out);
	if (rc == SL_NUM_BAD || s[pos] != '\0')
		return SL_NUM_BAD;
	if (rc == SL_NUM_OK && neg)
		*out = -*out;
	return rc;
}

/* A whole number with an optional unit ("512MiB", "5 GiB", "30s"); without one the number
 * counts units of mult 1 (bytes, milliseconds). */
static int sl_parse_scaled(const char *s, const struct sl_unit *units, int64_t *out)
{
	size_t pos = 0;
	int64_t v;
	int rc = sl_parse_digits(s, &pos, &v);
	if (rc == SL_NUM_BAD)
		return rc;
	while (s[pos] == ' ')
		pos++;
	int64_t mult = 1;
	if (s[pos] != '\0') {
		const struct sl_unit *u = units;
		while (u->name && strcmp(u->name, s + pos) != 0)
			u++;
		if (!u->name)
			return SL_NUM_BAD;
		mult = u->mult;
	} else if (pos > 0 && s[pos - 1] == ' ') {
		return SL_NUM_BAD; /* "5 " with a space and no unit: a quoted typo */
	}
	if (rc == SL_NUM_OVERFLOW || v > INT64_MAX / mult)
		return SL_NUM_OVERFLOW;
	*out = v * mult;
	return SL_NUM_OK;
}

/* The shortest exact spelling: the largest unit that divides v, else the bare number. */
static void sl_format_scaled(int64_t v, const struct sl_unit *units, bool bare_unit,
			     char *buf, size_t cap)
{
	const struct sl_unit *best = NULL;
	if (v != 0) {
		for (const struct sl_unit *u = units; u->name; u++)
			if (v % u->mult == 0 && (!best || u->mult > best->mult))
				best = u;
	}
	if (!best || (best->mult == 1 && !bare_unit))
		snprintf(buf, cap, "%" PRId64, v);
	else
		snprintf(buf, cap, "%" PRId64 "%s", v / best->mult, best->name);
}

static void sl_format_value(const struct sl_cfg_key *k, int64_t v, char *buf, size_t cap)
{
	if (k->type == SL_T_SIZE)
		sl_format_scaled(v, sl_size_units, false, buf, cap);
	else if (k->type == SL_T_DURATION)
		sl_format_scaled(v, sl_duration_units, true, buf, cap);
	else
		snprintf(buf, cap, "%" PRId64, v);
}

static int sl_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"true", "yes", "on", NULL};
	static const char *const no[] = {"false", "no", "off", NULL};
	for (size_t i = 0; yes[i]; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return SL_NUM_OK;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return SL_NUM_OK;
		}
	}
	return SL_NUM_BAD;
}

/* ---- walking the tree against the tables --------------------------------------------- */

static void sl_check_map(struct sl_cfg_run *run, const struct sl_ynode *map, const char *where,
			 const struct sl_cfg_key *keys, char *base);

static void sl_check_number(struct sl_cfg_run *run, const struct sl_cfg_key *k,
			    const struct sl_ynode *val, const char *path, char *base)
{
	char got[SL_QUOTE_MAX + 16];
	int64_t v = 0;
	int rc;
	const char *expected;

	if (k->type == SL_T_SIZE) {
		rc = val->kind == SL_Y_SCALAR ? sl_parse_scaled(val->text, sl_size_units, &v)
					      : SL_NUM_BAD;
		expected = "a size: bytes, or a whole number with a unit "
			   "(B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)";
	} else if (k->type == SL_T_DURATION) {
		rc = val->kind == SL_Y_SCALAR ? sl_parse_scaled(val->text, sl_duration_units, &v)
					      : SL_NUM_BAD;
		expected = "a duration: milliseconds, or a whole number with a unit "
			   "(ms, s, m, h, d)";
	} else {
		rc = val->kind == SL_Y_SCALAR ? sl_parse_int(val->text, &v) : SL_NUM_BAD;
		expected = "an integer";
	}
	if (rc == SL_NUM_BAD) {
		sl_problem(run, val->line, val->col, "%s: expected %s, got %s", path, expected,
			   sl_describe(val, got, sizeof(got)));
		return;
	}
	if (rc == SL_NUM_OVERFLOW) {
		sl_problem(run, val->line, val->col,
			   "%s: %s is too large (overflows a 64-bit integer)", path,
			   sl_describe(val, got, sizeof(got)));
		return;
	}
	if (k->type == SL_T_VERSION) {
		if (v > SL_CONFIG_VERSION) {
			run->newer = true;
			sl_problem(run, val->line, val->col,
				   "version %" PRId64 ": this file was written for a newer sluice "
				   "(this one reads version %d)",
				   v, SL_CONFIG_VERSION);
		} else if (v != SL_CONFIG_VERSION)
			sl_problem(run, val->line, val->col, "version: expected %d, got %s",
				   SL_CONFIG_VERSION, sl_describe(val, got, sizeof(got)));
		else
			memcpy(base + k->offset, &v, sizeof(v));
		return;
	}
	if (v < k->min || v > k->max) {
		char lo[32], hi[32];
		sl_format_value(k, k->min, lo, sizeof(lo));
		sl_format_value(k, k->max, hi, sizeof(hi));
		sl_problem(run, val->line, val->col, "%s: %s is out of range (allowed %s .. %s)",
			   path, sl_describe(val, got, sizeof(got)), lo, hi);
		return;
	}
	memcpy(base + k->offset, &v, sizeof(v));
}

static void sl_check_override(struct sl_cfg_run *run, const struct sl_cfg_key *k,
			      const char *name, const struct sl_ynode *val, const char *path)
{
	struct sl_config *cfg = run->cfg;
	struct sl_queue_conf *q;

	/* Duplicate keys are refused before we get here, and there are fewer queue names
	 * than slots; the check stays so that a longer name list cannot overrun. */
	if (cfg->n_queues == SL_CONFIG_MAX_QUEUES) {
		sl_problem(run, val->line, val->col, "more than %d queue overrides",
			   SL_CONFIG_MAX_QUEUES);
		return;
	}
	q = &cfg->queues[cfg->n_queues++];
	memset(q, 0, sizeof(*q));
	snprintf(q->name, sizeof(q->name), "%s", name);
	/* -1 marks "not given": sl_config_resolve fills these from the defaults once the
	 * whole file is read, since queues.defaults may come after the override. */
	q->visibility_timeout_ms = -1;
	q->max_receive_count = -1;
	q->retention_ms = -1;
	if (val->kind == SL_Y_MAP)
		sl_check_map(run, val, path, k->keys, (char *)q);
}

/* A route's or a job's keys that must be given; a problem is placed at `at` (the route's
 * mapping, the job's name). */
static void sl_check_required(struct sl_cfg_run *run, const struct sl_cfg_key *keys,
			      const struct sl_ynode *at, const char *path, const char *base)
{
	for (const struct sl_cfg_key *k = keys; !sl_key_end(k); k++)
		if (k->required && base[k->offset] == '\0')
			sl_problem(run, at->line, at->col, "%s: '%s' is required", path, k->name);
}

static void sl_check_routes(struct sl_cfg_run *run, const struct sl_cfg_key *k,
			    const struct sl_ynode *val, const char *path)
{
	struct sl_validate_conf *vc = &run->cfg->validate;
	char ipath[256], got[SL_QUOTE_MAX + 16];

	if (val->kind != SL_Y_SEQ) {
		sl_problem(run, val->line, val->col,
			   "%s: expected a sequence of routes (- match: GLOB, subject: NAME), got %s",
			   path, sl_describe(val, got, sizeof(got)));
		return;
	}
	for (size_t i = 0; i < val->n_kids && !sl_stopped(run); i++) {
		const struct sl_ynode *item = val->kids[i];
		snprintf(ipath, sizeof(ipath), "%s[%zu]", path, i);
		if (item->kind != SL_Y_MAP) {
			sl_problem(run, item->line, item->col,
				   "%s: expected a mapping with match and subject, got %s", ipath,
				   sl_describe(item, got, sizeof(got)));
			continue;
		}
		if (vc->n_routes == SL_CONFIG_MAX_ROUTES) {
			sl_problem(run, item->line, item->col, "%s: more than %d routes", path,
				   SL_CONFIG_MAX_ROUTES);
			return;
		}
		struct sl_route_conf *r = &vc->routes[vc->n_routes++];
		memset(r, 0, sizeof(*r));
		sl_check_map(run, item, ipath, k->keys, (char *)r);
		sl_check_required(run, k->keys, item, ipath, (const char *)r);
	}
}

/* validate.subjects, crawl.families and etl.jobs: a mapping of names to settings, kept in
 * an array of entries that each start with their name. */
_Static_assert(offsetof(struct sl_subject_conf, name) == 0, "a subject starts with its name");
_Static_assert(offsetof(struct sl_family_conf, name) == 0, "a family starts with its name");
_Static_assert(offsetof(struct sl_job_conf, name) == 0, "a job starts with its name");

struct sl_named {
	enum sl_name_kind kind;
	const char *what, *plural;
	char *slots;  /* the array */
	size_t size;  /* of one entry */
	size_t *n, max;
};

static struct sl_named sl_named_of(struct sl_config *cfg, enum sl_cfg_type type)
{
	if (type == SL_T_FAMILIES)
		return (struct sl_named){SL_NAME_FAMILY, "family", "families",
					 (char *)cfg->crawl.families,
					 sizeof(cfg->crawl.families[0]), &cfg->crawl.n_families,
					 SL_CONFIG_MAX_FAMILIES};
	if (type == SL_T_JOBS)
		return (struct sl_named){SL_NAME_JOB, "job", "jobs", (char *)cfg->etl.jobs,
					 sizeof(cfg->etl.jobs[0]), &cfg->etl.n_jobs,
					 SL_CONFIG_MAX_JOBS};
	return (struct sl_named){SL_NAME_SUBJECT, "subject", "subjects",
				 (char *)cfg->validate.subjects,
				 sizeof(cfg->validate.subjects[0]), &cfg->validate.n_subjects,
				 SL_CONFIG_MAX_SUBJECTS};
}

/* The built-in settings of a job, which etl.defaults starts from. */
static void sl_job_defaults(struct sl_job_conf *j)
{
	memset(j, 0, sizeof(*j));
	snprintf(j->codec, sizeof(j->codec), "zstd");
	j->level = 0;
	j->target_file_size = INT64_C(128) << 20;
	snprintf(j->layout, sizeof(j->layout), "flat");
	snprintf(j->on_error, sizeof(j->on_error), "deadletter");
	snprintf(j->schedule, sizeof(j->schedule), "0 2 * * *"); /* daily at 02:00 UTC */
}

static void sl_check_named(struct sl_cfg_run *run, const struct sl_cfg_key *k,
			   const struct sl_ynode *val, const char *path)
{
	struct sl_named nm = sl_named_of(run->cfg, k->type);
	char spath[256], got[SL_QUOTE_MAX + 16];

	if (val->kind != SL_Y_MAP) {
		sl_problem(run, val->line, val->col,
			   "%s: expected a mapping of %s names to settings, got %s", path, nm.what,
			   sl_describe(val, got, sizeof(got)));
		return;
	}
	for (size_t i = 0; i + 1 < val->n_kids && !sl_stopped(run); i += 2) {
		const struct sl_ynode *key = val->kids[i], *sval = val->kids[i + 1];
		size_t at;
		const char *why;
		if (key->kind != SL_Y_SCALAR) {
			sl_problem(run, key->line, key->col, "%s: a %s must be a name, got %s", path,
				   nm.what, sl_describe(key, got, sizeof(got)));
			continue;
		}
		if ((why = sl_name_why(key->text, &at, nm.kind)) != NULL) {
			sl_problem(run, key->line, key->col, "%s: %s: %s", path,
				   sl_quote(key->text, key->len, got, sizeof(got)), why);
			continue;
		}
		bool dup = false;
		for (size_t j = 0; j < *nm.n && !dup; j++)
			dup = strcmp(nm.slots + j * nm.size, key->text) == 0;
		if (dup) {
			sl_problem(run, key->line, key->col, "duplicate %s %s in %s", nm.what,
				   sl_quote(key->text, key->len, got, sizeof(got)), path);
			continue;
		}
		if (*nm.n == nm.max) {
			sl_problem(run, key->line, key->col, "%s: more than %zu %s", path, nm.max,
				   nm.plural);
			return;
		}
		char *entry = nm.slots + (*nm.n)++ * nm.size;
		memset(entry, 0, nm.size);
		/* Keys not given stay "unset" (a family: depth 0 and ""), and sl_config_resolve
		 * takes them from the defaults once the whole file is read. A job's keys are
		 * told apart by the tree instead (sl_resolve_etl), since "" is a value there;
		 * the built-in settings only fill what a refused value leaves behind. */
		if (nm.kind == SL_NAME_SUBJECT)
			((struct sl_subject_conf *)(void *)entry)->pass_through = -1;
		else if (nm.kind == SL_NAME_JOB)
			sl_job_defaults((struct sl_job_conf *)(void *)entry);
		snprintf(entry, SL_CONFIG_SUBJECT_MAX, "%s", key->text);
		snprintf(spath, sizeof(spath), "%s.%s", path, key->text);
		if (!sl_ynode_is_null(sval) && sval->kind != SL_Y_MAP) {
			sl_problem(run, sval->line, sval->col, "%s: expected a mapping, got %s", spath,
				   sl_describe(sval, got, sizeof(got)));
			continue;
		}
		if (!sl_ynode_is_null(sval))
			sl_check_map(run, sval, spath, k->keys, entry);
		sl_check_required(run, k->keys, key, spath, entry);
	}
}

/* etl.jobs.NAME.mapping: the mapping transform (etl/transform.h), a mapping of
 *   select: [column, ...]    drop: [column, ...]      filter: expression
 *   rename: {column: name}   cast: {column: type}     derive: {name: expression}
 * kept as its JSON text, which is also YAML (sl_config_show writes it as it is). The
 * columns, types and expressions are checked against the source's schema when a run
 * compiles them; here: the shape, and names given once. */
static const char *const sl_mapping_lists[] = {"select", "drop", NULL};
static const char *const sl_mapping_maps[] = {"rename", "cast", "derive", NULL};

static bool sl_in(const char *const *names, const char *s)
{
	for (; *names; names++)
		if (strcmp(*names, s) == 0)
			return true;
	return false;
}

static void sl_check_mapping(struct sl_cfg_run *run, const struct sl_cfg_key *k,
			     const struct sl_ynode *val, const char *path, char *base)
{
	char ipath[320], got[SL_QUOTE_MAX + 16];
	struct sl_buf b;
	int rc = 0;

	if (val->kind != SL_Y_MAP) {
		sl_problem(run, val->line, val->col, "%s: expected a mapping of select, drop, "
			   "rename, cast, derive and filter, got %s", path,
			   sl_describe(val, got, sizeof(got)));
		return;
	}
	sl_buf_init(&b, k->cap - 1);
	rc = sl_buf_puts(&b, "{");
	for (size_t i = 0; i + 1 < val->n_kids && rc == 0; i += 2) {
		const struct sl_ynode *key = val->kids[i], *v = val->kids[i + 1];
		bool list = key->kind == SL_Y_SCALAR && sl_in(sl_mapping_lists, key->text);
		bool map = key->kind == SL_Y_SCALAR && sl_in(sl_mapping_maps, key->text);
		bool filter = key->kind == SL_Y_SCALAR && strcmp(key->text, "filter") == 0;
		if (!list && !map && !filter) {
			sl_problem(run, key->line, key->col, "%s: unknown key %s (known: select, "
				   "drop, rename, cast, derive, filter)", path,
				   sl_describe(key, got, sizeof(got)));
			goto out;
		}
		snprintf(ipath, sizeof(ipath), "%s.%s", path, key->text);
		enum sl_ykind want = list ? SL_Y_SEQ : map ? SL_Y_MAP : SL_Y_SCALAR;
		if (v->kind != want || (want == SL_Y_SCALAR && v->len == 0)) {
			sl_problem(run, v->line, v->col, "%s: expected %s, got %s", ipath,
				   list ? "a sequence of column names"
				   : map ? "a mapping of column names to texts" : "an expression",
				   sl_describe(v, got, sizeof(got)));
			goto out;
		}
		if (i > 0)
			rc = sl_buf_puts(&b, ",");
		if (!rc)
			rc = sl_buf_json_str(&b, key->text, key->len);
		if (!rc)
			rc = sl_buf_puts(&b, filter ? ":" : list ? ":[" : ":{");
		if (!rc && filter)
			rc = sl_buf_json_str(&b, v->text, v->len);
		/* a sequence's items, or a mapping's keys and values, all non-empty texts;
		 * a name once */
		size_t step = map ? 2 : 1;
		for (size_t j = 0; !filter && !rc && j < v->n_kids; j += step) {
			const struct sl_ynode *item = v->kids[j];
			const struct sl_ynode *to = map ? v->kids[j + 1] : NULL;
			const struct sl_ynode *bad = item->kind != SL_Y_SCALAR || !item->len ? item
						     : to && (to->kind != SL_Y_SCALAR || !to->len) ? to
						     : NULL;
			if (bad) {
				sl_problem(run, bad->line, bad->col, "%s: expected a non-empty text, "
					   "got %s", ipath, sl_describe(bad, got, sizeof(got)));
				goto out;
			}
			for (size_t p = 0; p < j; p += step)
				if (strcmp(v->kids[p]->text, item->text) == 0) {
					sl_problem(run, item->line, item->col, "%s: %s is named twice",
						   ipath, sl_quote(item->text, item->len, got,
								   sizeof(got)));
					goto out;
				}
			if (j > 0)
				rc = sl_buf_puts(&b, ",");
			if (!rc)
				rc = sl_buf_json_str(&b, item->text, item->len);
			if (!rc && to)
				rc = sl_buf_puts(&b, ":");
			if (!rc && to)
				rc = sl_buf_json_str(&b, to->text, to->len);
		}
		if (!rc && !filter)
			rc = sl_buf_puts(&b, list ? "]" : "}");
	}
	if (!rc)
		rc = sl_buf_puts(&b, "}");
	if (rc) {
		sl_problem(run, val->line, val->col, "%s: longer than %zu bytes as JSON", path,
			   k->cap - 1);
		goto out;
	}
	memset(base + k->offset, 0, k->cap);
	if (b.len > 2) /* {} is no mapping */
		memcpy(base + k->offset, b.data, b.len);
out:
	sl_buf_release(&b);
}

/* etl.default_jobs: family names, each once, or "*" alone for every family. */
static void sl_check_default_jobs(struct sl_cfg_run *run, const struct sl_ynode *val,
				  const char *path)
{
	struct sl_etl_conf *ec = &run->cfg->etl;
	char ipath[256], got[SL_QUOTE_MAX + 16];

	if (val->kind != SL_Y_SEQ) {
		sl_problem(run, val->line, val->col,
			   "%s: expected a sequence of family names, or ['*'] for every family, "
			   "got %s", path, sl_describe(val, got, sizeof(got)));
		return;
	}
	for (size_t i = 0; i < val->n_kids && !sl_stopped(run); i++) {
		const struct sl_ynode *item = val->kids[i];
		size_t at;
		const char *why;
		snprintf(ipath, sizeof(ipath), "%s[%zu]", path, i);
		if (item->kind != SL_Y_SCALAR) {
			sl_problem(run, item->line, item->col, "%s: expected a family name, got %s",
				   ipath, sl_describe(item, got, sizeof(got)));
			continue;
		}
		if (strcmp(item->text, "*") == 0) {
			if (val->n_kids != 1) {
				sl_problem(run, item->line, item->col, "%s: '*' means every family "
					   "and stands alone in the list", ipath);
				continue;
			}
		} else if ((why = sl_name_why(item->text, &at, SL_NAME_FAMILY)) != NULL) {
			sl_problem(run, item->line, item->col, "%s: %s: %s", ipath,
				   sl_quote(item->text, item->len, got, sizeof(got)), why);
			continue;
		}
		bool dup = false;
		for (size_t j = 0; j < ec->n_default_jobs && !dup; j++)
			dup = strcmp(ec->default_jobs[j], item->text) == 0;
		if (dup) {
			sl_problem(run, item->line, item->col, "duplicate family %s in %s",
				   sl_quote(item->text, item->len, got, sizeof(got)), path);
			continue;
		}
		if (ec->n_default_jobs == SL_CONFIG_MAX_FAMILIES) {
			sl_problem(run, item->line, item->col, "%s: more than %d families", path,
				   SL_CONFIG_MAX_FAMILIES);
			return;
		}
		char *slot = ec->default_jobs[ec->n_default_jobs++];
		memset(slot, 0, SL_CONFIG_SUBJECT_MAX);
		snprintf(slot, SL_CONFIG_SUBJECT_MAX, "%s", item->text);
	}
}

static void sl_check_value(struct sl_cfg_run *run, const struct sl_cfg_key *k,
			   const char *name, const struct sl_ynode *val, const char *path,
			   char *base)
{
	char got[SL_QUOTE_MAX + 16], choices[256];
	bool b;

	/* A key with nothing after it keeps its default (or, in an override, inherits). */
	if (sl_ynode_is_null(val) && k->type != SL_T_OVERRIDE)
		return;
	switch (k->type) {
	case SL_T_VERSION:
	case SL_T_INT:
	case SL_T_SIZE:
	case SL_T_DURATION:
		sl_check_number(run, k, val, path, base);
		break;
	case SL_T_BOOL:
		if (val->kind != SL_Y_SCALAR || sl_parse_bool(val->text, &b) != SL_NUM_OK) {
			sl_problem(run, val->line, val->col, "%s: expected true or false, got %s",
				   path, sl_describe(val, got, sizeof(got)));
			break;
		}
		memcpy(base + k->offset, &b, sizeof(b));
		break;
	case SL_T_ENUM:
		for (size_t i = 0; val->kind == SL_Y_SCALAR && k->choices[i]; i++) {
			if (strcmp(val->text, k->choices[i]) == 0) {
				memset(base + k->offset, 0, k->cap);
				snprintf(base + k->offset, k->cap, "%s", k->choices[i]);
				return;
			}
		}
		sl_choice_list(k->choices, choices, sizeof(choices));
		sl_problem(run, val->line, val->col, "%s: expected %s, got %s", path, choices,
			   sl_describe(val, got, sizeof(got)));
		break;
	case SL_T_SECTION:
		if (val->kind != SL_Y_MAP) {
			sl_problem(run, val->line, val->col, "%s: expected a mapping, got %s", path,
				   sl_describe(val, got, sizeof(got)));
			break;
		}
		sl_check_map(run, val, path, k->keys, base + k->offset);
		break;
	case SL_T_OVERRIDE:
		if (!sl_ynode_is_null(val) && val->kind != SL_Y_MAP) {
			sl_problem(run, val->line, val->col, "%s: expected a mapping, got %s", path,
				   sl_describe(val, got, sizeof(got)));
			break;
		}
		sl_check_override(run, k, name, val, path);
		break;
	case SL_T_FLAG:
		if (val->kind != SL_Y_SCALAR || sl_parse_bool(val->text, &b) != SL_NUM_OK) {
			sl_problem(run, val->line, val->col, "%s: expected true or false, got %s",
				   path, sl_describe(val, got, sizeof(got)));
			break;
		}
		base[k->offset] = (char)(b ? 1 : 0);
		break;
	case SL_T_PIN:
		if (val->kind == SL_Y_SCALAR && strcmp(val->text, "latest") == 0) {
			int64_t zero = 0;
			memcpy(base + k->offset, &zero, sizeof(zero));
		} else {
			struct sl_cfg_key ik = *k;
			ik.type = SL_T_INT;
			sl_check_number(run, &ik, val, path, base);
		}
		break;
	case SL_T_TEXT: {
		size_t at = 0;
		const char *why = NULL;
		if (val->kind != SL_Y_SCALAR) {
			sl_problem(run, val->line, val->col, "%s: expected a text, got %s", path,
				   sl_describe(val, got, sizeof(got)));
			break;
		}
		if (val->len >= k->cap) {
			sl_problem(run, val->line, val->col, "%s: longer than %zu bytes", path,
				   k->cap - 1);
			break;
		}
		char whybuf[SL_ERR_MSG_MAX];
		if (k->check && (why = k->check(val->text, &at, whybuf, sizeof(whybuf))) != NULL) {
			if (at == SIZE_MAX)
				sl_problem(run, val->line, val->col, "%s: %s: %s", path,
					   sl_describe(val, got, sizeof(got)), why);
			else
				sl_problem(run, val->line, val->col, "%s: %s: %s (at byte %zu)", path,
					   sl_describe(val, got, sizeof(got)), why, at);
			break;
		}
		memset(base + k->offset, 0, k->cap);
		memcpy(base + k->offset, val->text, val->len);
		break;
	}
	case SL_T_ROUTES:
		sl_check_routes(run, k, val, path);
		break;
	case SL_T_SUBJECTS:
	case SL_T_FAMILIES:
	case SL_T_JOBS:
		sl_check_named(run, k, val, path);
		break;
	case SL_T_NAMELIST:
		sl_check_default_jobs(run, val, path);
		break;
	case SL_T_MAPPING:
		sl_check_mapping(run, k, val, path, base);
		break;
	}
}

/* Checks every key of map (NULL: an empty section) against keys; where is the dotted
 * path of the section for messages ("" at the top). */
static void sl_check_map(struct sl_cfg_run *run, const struct sl_ynode *map, const char *where,
			 const struct sl_cfg_key *keys, char *base)
{
	char path[256], got[SL_QUOTE_MAX + 16], known[512];

	if (!map)
		return;
	for (size_t i = 0; i + 1 < map->n_kids && !sl_stopped(run); i += 2) {
		const struct sl_ynode *key = map->kids[i], *val = map->kids[i + 1];
		const struct sl_cfg_key *k;
		bool dup = false;

		if (key->kind != SL_Y_SCALAR) {
			sl_problem(run, key->line, key->col, "a key must be a plain name, got %s",
				   sl_describe(key, got, sizeof(got)));
			continue;
		}
		for (size_t j = 0; j < i && !dup; j += 2) {
			const struct sl_ynode *prev = map->kids[j];
			dup = prev->kind == SL_Y_SCALAR && prev->len == key->len &&
			      memcmp(prev->text, key->text, key->len) == 0;
		}
		if (dup) {
			sl_problem(run, key->line, key->col, "duplicate key %s%s%s",
				   sl_quote(key->text, key->len, got, sizeof(got)),
				   *where ? " in " : "", where);
			continue;
		}
		k = sl_key_find(keys, key->text);
		if (!k) {
			sl_known_list(keys, known, sizeof(known));
			sl_problem(run, key->line, key->col, "unknown key %s %s%s (known: %s)",
				   sl_quote(key->text, key->len, got, sizeof(got)),
				   *where ? "in " : "at the top level", where, known);
			continue;
		}
		if (*where)
			snprintf(path, sizeof(path), "%s.%s", where, key->text);
		else
			snprintf(path, sizeof(path), "%s", key->text);
		/* The version was checked first, by sl_check_root. */
		if (k->type != SL_T_VERSION)
			sl_check_value(run, k, key->text, val, path, base);
	}
}

static void sl_check_root(struct sl_cfg_run *run, const struct sl_ynode *root)
{
	char got[SL_QUOTE_MAX + 16], known[512];

	if (sl_ynode_is_null(root))
		return; /* an empty file: all defaults */
	if (root->kind != SL_Y_MAP) {
		sl_known_list(sl_top_keys, known, sizeof(known));
		sl_problem(run, root->line, root->col,
			   "the top level must be a mapping of sections (%s), got %s", known,
			   sl_describe(root, got, sizeof(got)));
		return;
	}
	/* The version decides how to read the rest: a newer file's keys would only produce
	 * a screen of misleading "unknown key" errors, so it is checked first and alone. */
	for (size_t i = 0; i + 1 < root->n_kids; i += 2) {
		const struct sl_ynode *key = root->kids[i];
		if (key->kind == SL_Y_SCALAR && strcmp(key->text, "version") == 0) {
			sl_check_value(run, sl_key_find(sl_top_keys, "version"), "version",
				       root->kids[i + 1], "version", (char *)run->cfg);
			if (run->newer)
				return;
			break;
		}
	}
	sl_check_map(run, root, "", sl_top_keys, (char *)run->cfg);
}

static void sl_config_resolve(struct sl_config *cfg)
{
	struct sl_validate_conf *vc = &cfg->validate;
	for (size_t i = 0; i < vc->n_routes; i++)
		if (!vc->routes[i].format[0])
			memcpy(vc->routes[i].format, vc->defaults.format, sizeof(vc->defaults.format));
	for (size_t i = 0; i < vc->n_subjects; i++) {
		struct sl_subject_conf *sc = &vc->subjects[i];
		if (!sc->policy[0])
			memcpy(sc->policy, vc->defaults.policy, sizeof(sc->policy));
		if (sc->pass_through < 0)
			sc->pass_through = vc->defaults.pass_through;
	}
	struct sl_crawl_conf *cc = &cfg->crawl;
	for (size_t i = 0; i < cc->n_families; i++) {
		struct sl_family_conf *fc = &cc->families[i];
		if (fc->depth == 0)
			fc->depth = cc->defaults.depth;
		if (!fc->schema_change[0])
			memcpy(fc->schema_change, cc->defaults.schema_change, sizeof(fc->schema_change));
		if (!fc->deletion[0])
			memcpy(fc->deletion, cc->defaults.deletion, sizeof(fc->deletion));
	}
	const struct sl_queue_conf *d = &cfg->queue_defaults;
	for (size_t i = 0; i < cfg->n_queues; i++) {
		struct sl_queue_conf *q = &cfg->queues[i];
		if (q->visibility_timeout_ms < 0)
			q->visibility_timeout_ms = d->visibility_timeout_ms;
		if (q->max_receive_count < 0)
			q->max_receive_count = d->max_receive_count;
		if (q->retention_ms < 0)
			q->retention_ms = d->retention_ms;
	}
}

/* ---- etl: what needs the whole file ------------------------------------------------- */

/* The key node named `name` in map (NULL when map is not a mapping or lacks it), and the
 * value after it. Duplicate keys were refused, so the first is the one that counted. */
static const struct sl_ynode *sl_map_key(const struct sl_ynode *map, const char *name)
{
	if (!map || map->kind != SL_Y_MAP)
		return NULL;
	for (size_t i = 0; i + 1 < map->n_kids; i += 2)
		if (map->kids[i]->kind == SL_Y_SCALAR && strcmp(map->kids[i]->text, name) == 0)
			return map->kids[i];
	return NULL;
}

static const struct sl_ynode *sl_map_value(const struct sl_ynode *map, const char *name)
{
	const struct sl_ynode *key = sl_map_key(map, name);
	for (size_t i = 0; key && i + 1 < map->n_kids; i += 2)
		if (map->kids[i] == key)
			return map->kids[i + 1];
	return NULL;
}

static size_t sl_key_size(const struct sl_cfg_key *k)
{
	return k->type == SL_T_ENUM || k->type == SL_T_TEXT || k->type == SL_T_MAPPING
		       ? k->cap
		       : sizeof(int64_t);
}

/* The place to blame for a job's (or the defaults') codec and level: the level if the
 * mapping gives it, else the codec, else `fallback` (the job's name). */
static const struct sl_ynode *sl_level_place(const struct sl_ynode *map,
					     const struct sl_ynode *fallback)
{
	const struct sl_ynode *v = sl_map_value(map, "level");
	if (sl_ynode_is_null(v))
		v = sl_map_value(map, "codec");
	return sl_ynode_is_null(v) ? fallback : v;
}

/* A level means something else to each codec (parquet/codec.h). */
static void sl_check_level(struct sl_cfg_run *run, const struct sl_job_conf *j,
			   const struct sl_ynode *at, const char *path)
{
	int64_t max = strcmp(j->codec, "zstd") == 0 ? 22 : strcmp(j->codec, "gzip") == 0 ? 9 : 0;
	if (!at || j->level <= max)
		return;
	if (max == 0)
		sl_problem(run, at->line, at->col, "%s: codec %s has no levels, but level is %" PRId64
			   " (0 is the only value)", path, j->codec, j->level);
	else
		sl_problem(run, at->line, at->col, "%s: codec %s takes level 0 .. %" PRId64
			   ", got %" PRId64, path, j->codec, max, j->level);
}

/* Jobs are resolved over etl.defaults once the whole file is read, wherever the defaults
 * are written: a key a job does not give (absent, or given with nothing after it) takes
 * the defaults' value, and a job without a target writes the table named after its
 * source (config_int.h: Web-Logs -> web_logs). Then the rules that span
 * jobs: one job per target table, a level its codec has, and default jobs that neither
 * share a name nor a table with a declared job. */
static void sl_resolve_etl(struct sl_cfg_run *run, const struct sl_ynode *root)
{
	struct sl_etl_conf *ec = &run->cfg->etl;
	const struct sl_ynode *etl = sl_map_value(root, "etl");
	const struct sl_ynode *jobs = sl_map_value(etl, "jobs");
	char path[256], other[SL_ERR_MSG_MAX];

	for (size_t i = 0; i < ec->n_jobs; i++) {
		struct sl_job_conf *j = &ec->jobs[i];
		const struct sl_ynode *jval = sl_map_value(jobs, j->name);
		for (const struct sl_cfg_key *k = sl_jdefault_keys; !sl_key_end(k); k++)
			if (sl_ynode_is_null(sl_map_value(jval, k->name)))
				memcpy((char *)j + k->offset, (const char *)&ec->defaults + k->offset,
				       sl_key_size(k));
		if (j->target[0] == '\0' && j->source[0] != '\0') {
			const char *src = j->source;
			if (sl_config_table_name(src, j->target, sizeof(j->target)) != 0) {
				const struct sl_ynode *at = sl_map_key(jobs, j->name);
				sl_problem(run, at ? at->line : 0, at ? at->col : 0,
					   "etl.jobs.%s: the table named after source '%s' would be "
					   "longer than %zu bytes; give a target",
					   j->name, j->source, sizeof(j->target) - 1);
				memset(j->target, 0, sizeof(j->target));
			}
		}
	}

	sl_check_level(run, &ec->defaults,
		       sl_level_place(sl_map_value(etl, "defaults"), sl_map_key(etl, "defaults")),
		       "etl.defaults");
	for (size_t i = 0; i < ec->n_jobs && !sl_stopped(run); i++) {
		const struct sl_job_conf *j = &ec->jobs[i];
		const struct sl_ynode *jkey = sl_map_key(jobs, j->name);
		const struct sl_ynode *jval = sl_map_value(jobs, j->name);
		snprintf(path, sizeof(path), "etl.jobs.%s", j->name);
		sl_check_level(run, j, sl_level_place(jval, jkey), path);
		if (j->sql[0] && j->mapping[0]) {
			const struct sl_ynode *at = sl_map_key(jval, "mapping");
			sl_problem(run, at ? at->line : 0, at ? at->col : 0,
				   "%s: a job has a sql transform or a mapping, not both", path);
		}
		for (size_t p = 0; p < i && j->target[0]; p++) {
			if (strcmp(ec->jobs[p].target, j->target) != 0)
				continue;
			const struct sl_ynode *at = sl_map_value(jval, "target");
			const struct sl_ynode *pkey = sl_map_key(jobs, ec->jobs[p].name);
			if (sl_ynode_is_null(at))
				at = jkey;
			if (at)
				sl_problem(run, at->line, at->col,
					   "%s: writes table '%s', as etl.jobs.%s (line %d) does: a "
					   "table has one job",
					   path, j->target, ec->jobs[p].name, pkey ? pkey->line : 0);
			break;
		}
	}

	/* A family named in default_jobs gets its default job unless a job reads it
	 * (sl_config_job); a job that shares its name or its table without reading it would
	 * hide it, so that the family would silently get no job at all. */
	const struct sl_ynode *dj = sl_map_value(etl, "default_jobs");
	for (size_t d = 0; d < ec->n_default_jobs && !sl_stopped(run); d++) {
		const char *fam = ec->default_jobs[d];
		char table[SL_CONFIG_SUBJECT_MAX];
		const struct sl_ynode *at = NULL;
		if (strcmp(fam, "*") == 0)
			continue;
		for (size_t i = 0; dj && dj->kind == SL_Y_SEQ && i < dj->n_kids && !at; i++)
			if (dj->kids[i]->kind == SL_Y_SCALAR && strcmp(dj->kids[i]->text, fam) == 0)
				at = dj->kids[i];
		if (!at)
			continue;
		snprintf(path, sizeof(path), "etl.default_jobs[%zu]", d);
		if (sl_config_table_name(fam, table, sizeof(table)) != 0) {
			sl_problem(run, at->line, at->col, "%s: the table named after family '%s' "
				   "would be longer than %zu bytes", path, fam, sizeof(table) - 1);
			continue;
		}
		bool read = false;
		for (size_t i = 0; i < ec->n_jobs && !read; i++)
			read = strcmp(ec->jobs[i].source, fam) == 0;
		if (read)
			continue; /* a job reads it: no default job, and nothing hidden */
		for (size_t i = 0; i < ec->n_jobs; i++) {
			const struct sl_job_conf *j = &ec->jobs[i];
			other[0] = '\0';
			if (strcmp(j->name, fam) == 0)
				snprintf(other, sizeof(other), "the default job of '%s' is named '%s', "
					 "as etl.jobs.%s, which reads '%s'", fam, fam, j->name,
					 j->source);
			else if (strcmp(j->target, table) == 0)
				snprintf(other, sizeof(other), "the default job of '%s' writes table "
					 "'%s', as etl.jobs.%s does", fam, table, j->name);
			if (other[0]) {
				sl_problem(run, at->line, at->col, "%s: %s; rename one, or give '%s' "
					   "a job", path, other, fam);
				break;
			}
		}
	}
}

/* ---- reading the file -------------------------------------------------------------- */

/* Load and check in one: the first problem lands in err; returns the number of problems
 * or a negative code when the file could not be read or memory ran out. */
static int sl_config_run(const char *path, struct sl_config *out, bool stop_first,
			 sl_config_report_fn *report, void *report_ctx, struct sl_err *err)
{
	struct sl_err local_err;
	struct sl_config cfg;
	struct sl_ynode *root = NULL;
	char *buf = NULL;
	size_t len = 0;
	int rc;

	if (!err)
		err = &local_err;
	sl_config_defaults(&cfg);
	if (out)
		sl_config_defaults(out); /* what the caller holds if the file cannot be read */
	if (!path)
		return sl_err_set(err, SL_EINVAL, "no configuration file given");
	struct sl_cfg_run run = {
		.path = path,
		.cfg = &cfg,
		.report = report,
		.report_ctx = report_ctx,
		.err = err,
		.stop_first = stop_first,
	};

	struct sl_err read_err = {0};
	rc = sl_read_small_file(path, SL_CONFIG_MAX_BYTES, &buf, &len, &read_err);
	if (rc == SL_ELIMIT) {
		sl_problem(&run, 0, 0, "file is larger than %d bytes, the limit for a configuration",
			   SL_CONFIG_MAX_BYTES);
		goto done;
	}
	if (rc) {
		/* read_err says "PATH: <strerror>" */
		const char *why = read_err.msg + strlen(path);
		why += strncmp(why, ": ", 2) == 0 ? 2 : 0;
		if (report) {
			char msg[SL_ERR_MSG_MAX];
			snprintf(msg, sizeof(msg), "cannot read the configuration file: %s", why);
			report(report_ctx, path, 0, 0, msg);
		}
		return sl_err_set(err, rc, "%s: cannot read the configuration file: %s", path, why);
	}
	run.buf = buf;
	run.len = len;
	rc = sl_yaml_tree(&run, &root);
	if (rc == SL_ENOMEM) {
		free(buf);
		return rc;
	}
	if (rc == 0) {
		sl_check_root(&run, root);
		sl_config_resolve(&cfg);
		if (!run.newer)
			sl_resolve_etl(&run, root);
	}
done:
	sl_ynode_free(root);
	free(buf);
	if (out)
		*out = cfg;
	return run.n_problems;
}

/* ---- public ------------------------------------------------------------------------ */

void sl_config_defaults(struct sl_config *cfg)
{
	/* Zeroed whole, padding and string tails included, so that two configurations with
	 * the same values compare equal with memcmp. */
	memset(cfg, 0, sizeof(*cfg));
	cfg->version = SL_CONFIG_VERSION;
	snprintf(cfg->store_backend, sizeof(cfg->store_backend), "local");
	cfg->store_fsync = true;
	cfg->max_object_size = 0;
	snprintf(cfg->meta_backend, sizeof(cfg->meta_backend), "sqlite");
	cfg->busy_timeout_ms = 30 * SL_MS_PER_S;
	snprintf(cfg->meta_synchronous, sizeof(cfg->meta_synchronous), "full");
	cfg->queue_defaults.visibility_timeout_ms = 30 * SL_MS_PER_S;
	cfg->queue_defaults.max_receive_count = 5;
	cfg->queue_defaults.retention_ms = 4 * SL_MS_PER_D;
	cfg->n_queues = 0;
	struct sl_validate_conf *vc = &cfg->validate;
	snprintf(vc->defaults.policy, sizeof(vc->defaults.policy), "split");
	snprintf(vc->defaults.format, sizeof(vc->defaults.format), "auto");
	vc->defaults.pass_through = 0;
	vc->report_max_records = 1000;
	vc->report_max_errors = 10;
	vc->max_depth = 512;             /* the JSON engine's defaults (json.h) */
	vc->max_record = INT64_C(64) << 20;
	vc->max_string = INT64_C(16) << 20;
	struct sl_crawl_conf *cc = &cfg->crawl;
	cc->batch_messages = 1000;
	cc->batch_wait_ms = 5 * SL_MS_PER_S;
	cc->sample_bytes = INT64_C(10) << 20;
	cc->max_struct_fields = 1000;
	cc->defaults.depth = 1;
	snprintf(cc->defaults.schema_change, sizeof(cc->defaults.schema_change), "update");
	snprintf(cc->defaults.deletion, sizeof(cc->defaults.deletion), "delete");
	struct sl_etl_conf *ec = &cfg->etl;
	ec->lease_ms = 60 * SL_MS_PER_S;
	sl_job_defaults(&ec->defaults);
}

int sl_config_load(const char *path, struct sl_config *cfg, struct sl_err *err)
{
	int n = sl_config_run(path, cfg, true, NULL, NULL, err);
	if (n == 0)
		return 0;
	sl_config_defaults(cfg);
	return n < 0 ? n : SL_ECONFIG;
}

int sl_config_check(const char *path, struct sl_config *cfg, sl_config_report_fn *report,
		    void *ctx, struct sl_err *err)
{
	return sl_config_run(path, cfg, false, report, ctx, err);
}

/* The length of a character YAML reads as a line break or drops (NEL, LINE and
 * PARAGRAPH SEPARATOR, BOM) at s in UTF-8, else 0. In a quoted scalar a line break is
 * folded into a space, so such a text must be written with escapes to read back. */
static size_t sl_yaml_break_len(const unsigned char *s)
{
	if (s[0] == 0xC2 && s[1] == 0x85)
		return 2;
	if (s[0] == 0xE2 && s[1] == 0x80 && (s[2] == 0xA8 || s[2] == 0xA9))
		return 3;
	if (s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF)
		return 3;
	return 0;
}

/* A text as a quoted YAML scalar, so that glob characters such as '*' are not read as
 * YAML syntax: single-quoted, or double-quoted with escapes when it holds control
 * characters or line breaks (a multi-line SQL transform), which single quotes would fold. */
static void sl_show_text(FILE *out, const char *text)
{
	const unsigned char *t = (const unsigned char *)text;
	bool plain = true;
	for (size_t i = 0; t[i] && plain; i++)
		plain = t[i] >= 0x20 && t[i] != 0x7f && sl_yaml_break_len(t + i) == 0;
	if (plain) {
		fputc('\'', out);
		for (const char *c = text; *c; c++) {
			if (*c == '\'')
				fputc('\'', out);
			fputc(*c, out);
		}
		fputc('\'', out);
		return;
	}
	fputc('"', out);
	for (size_t i = 0; t[i]; i++) {
		size_t n = sl_yaml_break_len(t + i);
		if (n) {
			/* \N, \L, \P and \uFEFF: the characters themselves */
			const char *esc = t[i] == 0xC2 ? "\\N" : t[i] == 0xEF ? "\\uFEFF"
							: t[i + 2] == 0xA8 ? "\\L" : "\\P";
			fputs(esc, out);
			i += n - 1;
		} else if (t[i] == '\n') {
			fputs("\\n", out);
		} else if (t[i] == '\t') {
			fputs("\\t", out);
		} else if (t[i] == '"' || t[i] == '\\') {
			fputc('\\', out);
			fputc(t[i], out);
		} else if (t[i] < 0x20 || t[i] == 0x7f) {
			fprintf(out, "\\x%02X", t[i]);
		} else {
			fputc(t[i], out);
		}
	}
	fputc('"', out);
}

/* A job's mapping (JSON text, sl_check_mapping) as one YAML flow mapping, each text
 * quoted as sl_show_text does, so that it reads back the same. */
static void sl_show_mapping(FILE *out, const char *json)
{
	struct sl_json_error e;
	struct sl_json_node *m = json[0] ? sl_json_tree_parse(json, strlen(json), NULL, &e) : NULL;
	fputc('{', out);
	for (size_t i = 0; m && m->type == SL_JSON_OBJECT && i < m->u.c.n; i++) {
		const struct sl_json_node *v = m->u.c.items[i];
		fprintf(out, "%s%s: ", i ? ", " : "", m->u.c.keys[i]);
		if (v->type == SL_JSON_STRING) {
			sl_show_text(out, v->u.str.s);
			continue;
		}
		bool obj = v->type == SL_JSON_OBJECT;
		fputc(obj ? '{' : '[', out);
		for (size_t j = 0; (obj || v->type == SL_JSON_ARRAY) && j < v->u.c.n; j++) {
			fputs(j ? ", " : "", out);
			if (obj) {
				sl_show_text(out, v->u.c.keys[j]);
				fputs(": ", out);
			}
			if (v->u.c.items[j]->type == SL_JSON_STRING)
				sl_show_text(out, v->u.c.items[j]->u.str.s);
		}
		fputc(obj ? '}' : ']', out);
	}
	fputc('}', out);
	sl_json_tree_free(m);
}

static void sl_show_map(const struct sl_config *cfg, const struct sl_cfg_key *keys,
			const char *base, int indent, FILE *out)
{
	char val[64];
	int64_t v;
	bool b;
	const struct sl_validate_conf *vc = &cfg->validate;

	for (const struct sl_cfg_key *k = keys; !sl_key_end(k); k++) {
		switch (k->type) {
		case SL_T_VERSION:
		case SL_T_INT:
		case SL_T_SIZE:
		case SL_T_DURATION:
			memcpy(&v, base + k->offset, sizeof(v));
			sl_format_value(k, v, val, sizeof(val));
			fprintf(out, "%*s%s: %s\n", indent, "", k->name, val);
			break;
		case SL_T_BOOL:
			memcpy(&b, base + k->offset, sizeof(b));
			fprintf(out, "%*s%s: %s\n", indent, "", k->name, b ? "true" : "false");
			break;
		case SL_T_ENUM:
			/* Only values from the choices get in, and they need no quoting. */
			fprintf(out, "%*s%s: %.*s\n", indent, "", k->name, (int)k->cap,
				base + k->offset);
			break;
		case SL_T_SECTION:
			fprintf(out, "%*s%s:\n", indent, "", k->name);
			sl_show_map(cfg, k->keys, base + k->offset, indent + 2, out);
			break;
		case SL_T_OVERRIDE:
			for (size_t i = 0; i < cfg->n_queues; i++) {
				fprintf(out, "%*s%s:\n", indent, "", cfg->queues[i].name);
				sl_show_map(cfg, k->keys, (const char *)&cfg->queues[i], indent + 2,
					    out);
			}
			break;
		case SL_T_FLAG:
			fprintf(out, "%*s%s: %s\n", indent, "", k->name,
				base[k->offset] > 0 ? "true" : "false");
			break;
		case SL_T_PIN:
			memcpy(&v, base + k->offset, sizeof(v));
			if (v == 0)
				fprintf(out, "%*s%s: latest\n", indent, "", k->name);
			else
				fprintf(out, "%*s%s: %" PRId64 "\n", indent, "", k->name, v);
			break;
		case SL_T_MAPPING:
			fprintf(out, "%*s%s: ", indent, "", k->name);
			sl_show_mapping(out, base + k->offset);
			fputc('\n', out);
			break;
		case SL_T_TEXT:
			fprintf(out, "%*s%s: ", indent, "", k->name);
			sl_show_text(out, base + k->offset);
			fputc('\n', out);
			break;
		case SL_T_ROUTES:
			fprintf(out, "%*s%s:%s\n", indent, "", k->name, vc->n_routes ? "" : " []");
			for (size_t i = 0; i < vc->n_routes; i++) {
				const struct sl_route_conf *r = &vc->routes[i];
				fprintf(out, "%*s- match: ", indent + 2, "");
				sl_show_text(out, r->match);
				fprintf(out, "\n%*ssubject: ", indent + 4, "");
				sl_show_text(out, r->subject);
				fprintf(out, "\n%*sformat: %s\n", indent + 4, "", r->format);
			}
			break;
		case SL_T_NAMELIST:
			fprintf(out, "%*s%s: [", indent, "", k->name);
			for (size_t i = 0; i < cfg->etl.n_default_jobs; i++) {
				if (i > 0)
					fputs(", ", out);
				sl_show_text(out, cfg->etl.default_jobs[i]);
			}
			fputs("]\n", out);
			break;
		case SL_T_SUBJECTS:
		case SL_T_FAMILIES:
		case SL_T_JOBS: {
			struct sl_named nm = sl_named_of((struct sl_config *)cfg, k->type);
			fprintf(out, "%*s%s:%s\n", indent, "", k->name, *nm.n ? "" : " {}");
			for (size_t i = 0; i < *nm.n; i++) {
				const char *name = nm.slots + i * nm.size;
				/* "-x" or ".x" could read as YAML syntax: quote those */
				fprintf(out, "%*s", indent + 2, "");
				if (name[0] == '-' || name[0] == '.')
					sl_show_text(out, name);
				else
					fputs(name, out);
				fputs(":\n", out);
				sl_show_map(cfg, k->keys, name, indent + 4, out);
			}
			break;
		}
		}
	}
}

void sl_config_show(const struct sl_config *cfg, FILE *out)
{
	sl_show_map(cfg, sl_top_keys, (const char *)cfg, 0, out);
}

const struct sl_family_conf *sl_config_family(const struct sl_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->crawl.n_families; i++)
		if (strcmp(cfg->crawl.families[i].name, name) == 0)
			return &cfg->crawl.families[i];
	return &cfg->crawl.defaults;
}

const struct sl_subject_conf *sl_config_subject(const struct sl_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->validate.n_subjects; i++)
		if (strcmp(cfg->validate.subjects[i].name, name) == 0)
			return &cfg->validate.subjects[i];
	return &cfg->validate.defaults;
}

const struct sl_job_conf *sl_config_job(const struct sl_config *cfg, const char *name,
					struct sl_job_conf *out)
{
	const struct sl_etl_conf *ec = &cfg->etl;
	char table[SL_CONFIG_SUBJECT_MAX];
	size_t at;
	bool listed = false;

	if (!name)
		return NULL;
	for (size_t i = 0; i < ec->n_jobs; i++) {
		if (strcmp(ec->jobs[i].name, name) == 0) {
			*out = ec->jobs[i];
			return out;
		}
	}
	for (size_t i = 0; i < ec->n_default_jobs && !listed; i++)
		listed = strcmp(ec->default_jobs[i], "*") == 0 || strcmp(ec->default_jobs[i], name) == 0;
	/* The name comes from the caller (a command line, a table in the catalog): it must
	 * be a family name before it names a job. */
	if (!listed || sl_name_why(name, &at, SL_NAME_FAMILY) != NULL ||
	    sl_config_table_name(name, table, sizeof(table)) != 0)
		return NULL;
	/* A family that a job reads has that job instead; one whose table a job writes
	 * has none (a table has one job; with explicit names the load refused this). */
	for (size_t i = 0; i < ec->n_jobs; i++)
		if (strcmp(ec->jobs[i].source, name) == 0 || strcmp(ec->jobs[i].target, table) == 0)
			return NULL;
	*out = ec->defaults;
	memset(out->name, 0, sizeof(out->name));
	memset(out->source, 0, sizeof(out->source));
	memset(out->target, 0, sizeof(out->target));
	snprintf(out->name, sizeof(out->name), "%s", name);
	snprintf(out->source, sizeof(out->source), "%s", name);
	snprintf(out->target, sizeof(out->target), "%s", table);
	return out;
}

const struct sl_job_conf *sl_config_job_writing(const struct sl_config *cfg, const char *table,
						struct sl_job_conf *out)
{
	const struct sl_etl_conf *ec = &cfg->etl;
	char t[SL_CONFIG_SUBJECT_MAX];
	bool star = false;

	if (!table)
		return NULL;
	for (size_t i = 0; i < ec->n_jobs; i++) {
		if (strcmp(ec->jobs[i].target, table) == 0) {
			*out = ec->jobs[i];
			return out;
		}
	}
	for (size_t i = 0; i < ec->n_default_jobs; i++) {
		const char *fam = ec->default_jobs[i];
		if (strcmp(fam, "*") == 0)
			star = true;
		else if (sl_config_table_name(fam, t, sizeof(t)) == 0 && strcmp(t, table) == 0 &&
			 sl_config_job(cfg, fam, out))
			return out;
	}
	if (!star || strlen(table) >= sizeof(out->target))
		return NULL;
	*out = ec->defaults;
	memset(out->name, 0, sizeof(out->name));
	memset(out->source, 0, sizeof(out->source));
	memset(out->target, 0, sizeof(out->target));
	snprintf(out->target, sizeof(out->target), "%s", table);
	return out;
}

int sl_config_parse_size(const char *text, int64_t *out)
{
	int64_t v;
	if (!text || sl_parse_scaled(text, sl_size_units, &v) != SL_NUM_OK)
		return SL_EINVAL;
	*out = v;
	return 0;
}

void sl_config_queue(const struct sl_config *cfg, const char *name, struct sl_queue_conf *out)
{
	*out = cfg->queue_defaults;
	memset(out->name, 0, sizeof(out->name));
	snprintf(out->name, sizeof(out->name), "%s", name);
	/* Overrides were resolved over the defaults at load time (promise 1). */
	for (size_t i = 0; i < cfg->n_queues; i++) {
		if (strcmp(cfg->queues[i].name, name) == 0) {
			*out = cfg->queues[i];
			return;
		}
	}
}

const char *sl_config_default_text(void)
{
	return "# sluice.yaml - the pipeline file of this lake (format version 1).\n"
	       "#\n"
	       "# Every key below is set to its default. Delete a key, or a whole section, to\n"
	       "# keep the default; change a value to override it. docs/configuration.md in\n"
	       "# the sluice sources describes every key.\n"
	       "# Sizes are bytes or a whole number with a unit: B, KB, MB, GB, TB (powers of\n"
	       "# 1000), KiB, MiB, GiB, TiB (powers of 1024), e.g. 512MiB or \"5 GiB\".\n"
	       "# Durations are milliseconds or a whole number with a unit: ms, s, m, h, d,\n"
	       "# e.g. 500ms, 30s, 5m, 4d.\n"
	       "\n"
	       "# Format version of this file; only 1 exists.\n"
	       "version: 1\n"
	       "\n"
	       "# The object store holds the lake's files.\n"
	       "store:\n"
	       "  # Where objects live; only \"local\" (a directory tree) for now.\n"
	       "  backend: local\n"
	       "  # Flush every object and its directory to disk before a put returns\n"
	       "  # (true/false, yes/no, on/off). Off is faster; a power cut may then lose\n"
	       "  # the most recent objects.\n"
	       "  fsync: true\n"
	       "  # Largest object a put accepts (a size); 0 means no limit.\n"
	       "  max_object_size: 0\n"
	       "\n"
	       "# The metadata database records objects, queues and messages.\n"
	       "metadata:\n"
	       "  # Only \"sqlite\" for now.\n"
	       "  backend: sqlite\n"
	       "  # How long to wait for a lock held by another sluice process before\n"
	       "  # failing with \"busy\" (a duration, 0 .. 1d).\n"
	       "  busy_timeout: 30s\n"
	       "  # full: every commit is on disk when it returns. normal: faster; a power\n"
	       "  # cut may lose the last commits.\n"
	       "  synchronous: full\n"
	       "\n"
	       "# Message queues between the stages; the limits follow Amazon SQS.\n"
	       "queues:\n"
	       "  # What every queue gets unless it overrides it below.\n"
	       "  defaults:\n"
	       "    # How long a received message stays hidden from other consumers before\n"
	       "    # it is delivered again, unless it is deleted first (0 .. 12h).\n"
	       "    visibility_timeout: 30s\n"
	       "    # Deliveries after which a message moves to the queue's dead-letter\n"
	       "    # queue \"<name>-dlq\" (1 .. 1000).\n"
	       "    max_receive_count: 5\n"
	       "    # How long a message that is never deleted is kept (1m .. 14d).\n"
	       "    retention: 4d\n"
	       "  # Overrides for one queue (landing, raw, deadletter or curated) take any\n"
	       "  # of the keys above; the others come from defaults. For example:\n"
	       "  # landing:\n"
	       "  #   visibility_timeout: 5m\n"
	       "\n"
	       "# The validator stage (sluice validate): it takes each object that lands,\n"
	       "# finds its subject, checks every record against the subject's schema in\n"
	       "# the registry, and writes good records to raw and bad ones, with a report,\n"
	       "# to deadletter.\n"
	       "validate:\n"
	       "  # What every subject gets unless validate.subjects says otherwise.\n"
	       "  defaults:\n"
	       "    # split: good records go to raw, bad ones to deadletter (the object is\n"
	       "    # split). quarantine: one bad record sends the whole object to\n"
	       "    # deadletter.\n"
	       "    policy: split\n"
	       "    # true: a subject with no schema in the registry passes unchecked to raw;\n"
	       "    # false: its objects go to deadletter as \"no schema for subject\".\n"
	       "    pass_through: false\n"
	       "    # How an object holds its records: auto (a JSON array if it starts with\n"
	       "    # '[', else one record per line), ndjson, array, or document (the whole\n"
	       "    # object is one record). Routes may say otherwise.\n"
	       "    format: auto\n"
	       "  # Which subject a key belongs to: the first route whose glob matches the\n"
	       "  # whole key ('*' within a segment, '**' across segments, '?' one\n"
	       "  # character), else the key's first folder (orders/2026/a.ndjson: orders).\n"
	       "  # For example:\n"
	       "  # routes:\n"
	       "  #   - match: 'legacy/**/order-*.json'\n"
	       "  #     subject: orders\n"
	       "  #     format: document\n"
	       "  routes: []\n"
	       "  # Settings per subject: policy, pass_through, and version (a version\n"
	       "  # number pins the schema; latest follows the registry). For example:\n"
	       "  # subjects:\n"
	       "  #   orders:\n"
	       "  #     policy: quarantine\n"
	       "  #     version: 3\n"
	       "  subjects: {}\n"
	       "  # The report of each dead letter: how many bad records it describes\n"
	       "  # (0 .. 1000000; it says how many more there were) and how many reasons\n"
	       "  # per record (1 .. 100).\n"
	       "  report:\n"
	       "    max_records: 1000\n"
	       "    max_errors_per_record: 10\n"
	       "  # Bounds on one record; a record beyond one is a bad record.\n"
	       "  limits:\n"
	       "    # nesting depth of objects and arrays (1 .. 65535)\n"
	       "    max_depth: 512\n"
	       "    # bytes of one record (a size, up to 2GiB)\n"
	       "    max_record: 64MiB\n"
	       "    # bytes of one string or key (a size, up to 2GiB)\n"
	       "    max_string: 16MiB\n"
	       "\n"
	       "# The crawler stage (sluice crawl): it reads the objects of the raw zone,\n"
	       "# places each in a table (its first folders) and a partition (the folders\n"
	       "# after them), infers the records' types, and keeps tables, partitions and\n"
	       "# schema versions in the catalog.\n"
	       "crawl:\n"
	       "  # New objects are crawled in batches: a batch ends at batch_messages\n"
	       "  # events (1 .. 1000) or batch_wait after its first one (a duration,\n"
	       "  # 0 .. 15m), and costs one catalog transaction.\n"
	       "  batch_messages: 1000\n"
	       "  batch_wait: 5s\n"
	       "  # Types are inferred from the records that start in an object's first\n"
	       "  # sample_bytes (a size; 0: every record); the rest are only counted.\n"
	       "  sample_bytes: 10MiB\n"
	       "  # An object with more distinct member names than this is typed as a map\n"
	       "  # (1 .. 1000000).\n"
	       "  max_struct_fields: 1000\n"
	       "  # What every table family (a key's first folder) gets unless\n"
	       "  # crawl.families says otherwise.\n"
	       "  defaults:\n"
	       "    # How many folders name the table (1 .. 8); the folders after them are\n"
	       "    # partitions.\n"
	       "    depth: 1\n"
	       "    # When a table's schema changes: update (widen types, add columns),\n"
	       "    # add_columns (only add columns; other changes are logged), or log (the\n"
	       "    # schema never changes; changes are logged).\n"
	       "    schema_change: update\n"
	       "    # When a table's objects disappear: delete (their files go, then empty\n"
	       "    # partitions), deprecate (empty partitions are kept, marked deprecated),\n"
	       "    # or log (nothing changes; the catalog says so).\n"
	       "    deletion: delete\n"
	       "  # Settings per family: depth, schema_change, deletion. For example:\n"
	       "  # families:\n"
	       "  #   clicks: {depth: 2, schema_change: add_columns}\n"
	       "  families: {}\n"
	       "\n"
	       "# ETL jobs (sluice etl): each reads the raw objects of one table family that\n"
	       "# arrived since its last run (its bookmark), transforms their records and\n"
	       "# writes them as Parquet files of a curated table, committed atomically.\n"
	       "etl:\n"
	       "  # A run holds a lease on its job, so that two runs of one job never\n"
	       "  # overlap; a run renews it while it works, and a lease whose run died\n"
	       "  # lapses after this long (a duration, 5s .. 1h).\n"
	       "  lease: 1m\n"
	       "  # Families that get the default job, named after the family (all columns,\n"
	       "  # cast to the catalog's schema), unless a job below reads them. Uncomment\n"
	       "  # the line below to give every family one:\n"
	       "  # default_jobs: ['*']\n"
	       "  default_jobs: []\n"
	       "  # What every job gets unless it says otherwise.\n"
	       "  defaults:\n"
	       "    # Parquet compression: zstd, snappy, gzip or none, and its level (0: the\n"
	       "    # codec's default; zstd 1 .. 22, gzip 1 .. 9).\n"
	       "    codec: zstd\n"
	       "    level: 0\n"
	       "    # A Parquet file grows to about this size before the next one starts,\n"
	       "    # per partition (1MiB .. 4GiB).\n"
	       "    target_file_size: 128MiB\n"
	       "    # flat: the table and its files are registered at commit. nested: the\n"
	       "    # files are announced to the crawler, which registers them.\n"
	       "    layout: flat\n"
	       "    # Records the transform refuses: deadletter (with the reason) or fail\n"
	       "    # (the run fails and commits nothing).\n"
	       "    on_error: deadletter\n"
	       "    # When the job runs by itself, in cron syntax, UTC (minute hour\n"
	       "    # day-of-month month day-of-week, or @daily ...); '' runs it only on\n"
	       "    # demand.\n"
	       "    schedule: '0 2 * * *'\n"
	       "    # Output partition columns, comma-separated (e.g. 'dt,country'); '' keeps\n"
	       "    # the source's partitions.\n"
	       "    partition_by: ''\n"
	       "  # The jobs, by name: source (the family read; required), target (the\n"
	       "  # curated table written; default: the source's table), a transform (none:\n"
	       "  # all columns; mapping: select, drop, rename, cast, derive, filter; or sql:\n"
	       "  # a SELECT ... FROM source), and any key of defaults. For example:\n"
	       "  # jobs:\n"
	       "  #   orders_daily:\n"
	       "  #     source: orders\n"
	       "  #     partition_by: dt,country\n"
	       "  #     mapping:\n"
	       "  #       select: [id, amount, ts, customer.country]\n"
	       "  #       rename: {customer.country: country}\n"
	       "  #       derive: {amount_cents: 'cast(amount * 100 as int64)'}\n"
	       "  #       filter: amount > 0\n"
	       "  #   orders_by_day:\n"
	       "  #     source: orders\n"
	       "  #     sql: SELECT date(ts) AS day, count(*) AS n FROM source GROUP BY 1\n"
	       "  jobs: {}\n";
}
