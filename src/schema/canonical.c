/*
 * canonical.c - the canonical form of a schema text, and its fingerprint.
 *
 * Promises:
 *   1. Two texts that are the same JSON document up to whitespace, member order and
 *      string escapes ("\u0041" vs "A", "\/" vs "/") have the same canonical form.
 *   2. The canonical form is itself valid JSON that parses to the same document, and
 *      canonicalising it again gives it back unchanged (a fixed point).
 *   3. Numbers keep the exact characters of the source ("1.0" and "1" differ): numbers
 *      are not normalised, so nothing is lost or rounded.
 *   4. Refused with a message that says where: more than SL_SCHEMA_TEXT_MAX bytes,
 *      invalid JSON (line:column), nesting beyond SL_SCHEMA_DEPTH_MAX, a root that is not
 *      an object or a boolean, a duplicate key (JSON pointer of the object).
 */
#include <stdlib.h>
#include <string.h>

#include "schema/registry_int.h"
#include "util/hash.h"

struct member {
	const char *key;
	size_t len;
	const struct sl_json_node *value;
};

static int member_cmp(const void *a, const void *b)
{
	const struct member *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->key, y->key, n);
	if (c)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

/* The members of obj sorted by key bytes (malloc'd; NULL when out of memory). */
static struct member *sorted_members(const struct sl_json_node *obj)
{
	size_t n = obj->u.c.n;
	struct member *m = malloc((n ? n : 1) * sizeof(*m));
	if (!m)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		m[i].key = obj->u.c.keys[i];
		m[i].len = obj->u.c.key_lens[i];
		m[i].value = obj->u.c.items[i];
	}
	qsort(m, n, sizeof(*m), member_cmp);
	return m;
}

void sl_pointer_push(char *ptr, size_t cap, const char *name, size_t len)
{
	size_t at = strlen(ptr);
	char esc[8];
	if (cap < 8 || at + 5 >= cap)
		return; /* already cut */
	ptr[at++] = '/';
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)name[i];
		const char *piece = NULL;
		size_t plen = 1;
		if (ch == '~')
			piece = "~0", plen = 2;
		else if (ch == '/')
			piece = "~1", plen = 2;
		else if (ch < 0x20 || ch == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", ch);
			piece = esc, plen = 6;
		}
		if (at + plen + 4 > cap) { /* no room for it, "..." and NUL: mark the cut */
			memcpy(ptr + at, "...", 3);
			at += 3;
			break;
		}
		if (piece) {
			memcpy(ptr + at, piece, plen);
			at += plen;
		} else {
			ptr[at++] = (char)ch;
		}
	}
	ptr[at] = '\0';
}

/* Finds a duplicate key anywhere under n; fills ptr with its place. Returns 1 if found,
 * 0 if not, < 0 when out of memory. Recursion is bounded by SL_SCHEMA_DEPTH_MAX. */
static int find_duplicate(const struct sl_json_node *n, char *ptr, size_t cap)
{
	size_t at = strlen(ptr);
	if (n->type == SL_JSON_ARRAY) {
		for (size_t i = 0; i < n->u.c.n; i++) {
			char idx[24];
			int k = snprintf(idx, sizeof(idx), "%zu", i);
			sl_pointer_push(ptr, cap, idx, (size_t)k);
			int rc = find_duplicate(n->u.c.items[i], ptr, cap);
			if (rc)
				return rc;
			ptr[at] = '\0';
		}
		return 0;
	}
	if (n->type != SL_JSON_OBJECT)
		return 0;
	struct member *m = sorted_members(n);
	if (!m)
		return SL_ENOMEM;
	for (size_t i = 0; i < n->u.c.n; i++) {
		if (i > 0 && member_cmp(&m[i - 1], &m[i]) == 0) {
			sl_pointer_push(ptr, cap, m[i].key, m[i].len);
			free(m);
			return 1;
		}
	}
	for (size_t i = 0; i < n->u.c.n; i++) {
		sl_pointer_push(ptr, cap, m[i].key, m[i].len);
		int rc = find_duplicate(m[i].value, ptr, cap);
		if (rc) {
			free(m);
			return rc;
		}
		ptr[at] = '\0';
	}
	free(m);
	return 0;
}

int sl_schema_tree(const char *text, size_t len, struct sl_json_node **out,
		   struct sl_err *err)
{
	struct sl_json_limits lim;
	struct sl_json_doc doc;
	struct sl_json_error e;
	*out = NULL;
	if (len > SL_SCHEMA_TEXT_MAX)
		return sl_err_set(err, SL_ELIMIT,
				  "schema is %zu bytes, more than the limit of %zu bytes (4 MiB)",
				  len, SL_SCHEMA_TEXT_MAX);
	sl_json_limits_default(&lim);
	lim.max_depth = SL_SCHEMA_DEPTH_MAX;
	lim.max_record = SL_SCHEMA_TEXT_MAX;
	struct sl_json_parser *p = sl_json_parser_new(&lim);
	if (!p)
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	int rc = sl_json_parse(p, text, len, &doc, &e);
	if (rc != 0) {
		rc = e.code == SL_ENOMEM ? SL_ENOMEM : SL_EINVAL;
		sl_err_set(err, rc, "invalid JSON at line %lld, column %lld: %s",
			   (long long)e.pos.line, (long long)e.pos.column, e.msg);
		sl_json_parser_free(p);
		return rc;
	}
	bool dups = doc.dup_keys;
	struct sl_json_node *root = sl_json_tree(&doc);
	sl_json_parser_free(p);
	if (!root)
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	if (root->type != SL_JSON_OBJECT && root->type != SL_JSON_TRUE &&
	    root->type != SL_JSON_FALSE) {
		const char *what = root->type == SL_JSON_ARRAY	  ? "an array"
				   : root->type == SL_JSON_STRING ? "a string"
				   : root->type == SL_JSON_NULL	  ? "null"
								  : "a number";
		sl_json_tree_free(root);
		return sl_err_set(err, SL_EINVAL,
				  "a schema must be a JSON object (or true or false), not %s", what);
	}
	if (dups) {
		char ptr[256] = "";
		rc = find_duplicate(root, ptr, sizeof(ptr));
		if (rc != 0) {
			sl_json_tree_free(root);
			if (rc < 0)
				return sl_err_set(err, SL_ENOMEM, "out of memory");
			return sl_err_set(err, SL_EINVAL,
					  "duplicate key at %s: a schema's keys must be unique", ptr);
		}
	}
	*out = root;
	return 0;
}

static int put_string(struct sl_buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	int rc = sl_buf_append(b, "\"", 1);
	size_t run = 0; /* bytes copied as they are, flushed in one append */
	for (size_t i = 0; rc == 0 && i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		char esc[6];
		size_t n = 0;
		if (ch == '"' || ch == '\\') {
			esc[0] = '\\', esc[1] = (char)ch, n = 2;
		} else if (ch < 0x20) {
			esc[0] = '\\';
			n = 2;
			switch (ch) {
			case '\b': esc[1] = 'b'; break;
			case '\f': esc[1] = 'f'; break;
			case '\n': esc[1] = 'n'; break;
			case '\r': esc[1] = 'r'; break;
			case '\t': esc[1] = 't'; break;
			default:
				memcpy(esc, "\\u00", 4);
				esc[4] = hex[ch >> 4];
				esc[5] = hex[ch & 15];
				n = 6;
			}
		} else {
			run++;
			continue;
		}
		rc = sl_buf_append(b, s + i - run, run);
		run = 0;
		if (rc == 0)
			rc = sl_buf_append(b, esc, n);
	}
	if (rc == 0 && run)
		rc = sl_buf_append(b, s + len - run, run);
	return rc ? rc : sl_buf_append(b, "\"", 1);
}

/* The characters of the number that starts at text[off]. */
static size_t number_len(const char *text, uint32_t off)
{
	size_t n = 0;
	for (const char *p = text + off; *p && strchr("-+0123456789.eE", *p); p++)
		n++;
	return n;
}

/* Newline and two spaces per level, when pretty-printing (level >= 0). */
static int indent(struct sl_buf *b, int level)
{
	int rc = level >= 0 ? sl_buf_append(b, "\n", 1) : 0;
	for (int i = 0; rc == 0 && i < level; i++)
		rc = sl_buf_append(b, "  ", 2);
	return rc;
}

/* Writes n: compact when level < 0, else indented from level. */
static int emit(const struct sl_json_node *n, const char *text, struct sl_buf *b, int level)
{
	int inner = level >= 0 ? level + 1 : -1;
	switch (n->type) {
	case SL_JSON_NULL: return sl_buf_append(b, "null", 4);
	case SL_JSON_TRUE: return sl_buf_append(b, "true", 4);
	case SL_JSON_FALSE: return sl_buf_append(b, "false", 5);
	case SL_JSON_INT:
	case SL_JSON_DOUBLE:
	case SL_JSON_BIGINT:
		return sl_buf_append(b, text + n->off, number_len(text, n->off));
	case SL_JSON_STRING: return put_string(b, n->u.str.s, n->u.str.len);
	case SL_JSON_ARRAY: {
		int rc = sl_buf_append(b, "[", 1);
		for (size_t i = 0; rc == 0 && i < n->u.c.n; i++) {
			if (i)
				rc = sl_buf_append(b, ",", 1);
			if (rc == 0)
				rc = indent(b, inner);
			if (rc == 0)
				rc = emit(n->u.c.items[i], text, b, inner);
		}
		if (rc == 0 && n->u.c.n)
			rc = indent(b, level);
		return rc ? rc : sl_buf_append(b, "]", 1);
	}
	case SL_JSON_OBJECT: {
		struct member *m = sorted_members(n);
		if (!m)
			return SL_ENOMEM;
		int rc = sl_buf_append(b, "{", 1);
		for (size_t i = 0; rc == 0 && i < n->u.c.n; i++) {
			if (i)
				rc = sl_buf_append(b, ",", 1);
			if (rc == 0)
				rc = indent(b, inner);
			if (rc == 0)
				rc = put_string(b, m[i].key, m[i].len);
			if (rc == 0)
				rc = sl_buf_append(b, level >= 0 ? ": " : ":", level >= 0 ? 2 : 1);
			if (rc == 0)
				rc = emit(m[i].value, text, b, inner);
		}
		free(m);
		if (rc == 0 && n->u.c.n)
			rc = indent(b, level);
		return rc ? rc : sl_buf_append(b, "}", 1);
	}
	default: return SL_EINVAL;
	}
}

int sl_schema_tree_canonical(const struct sl_json_node *root, const char *text,
			     struct sl_buf *out)
{
	return emit(root, text, out, -1);
}

int sl_schema_pretty(const char *text, size_t len, struct sl_buf *out, struct sl_err *err)
{
	struct sl_json_node *root;
	int rc = sl_schema_tree(text, len, &root, err);
	if (rc)
		return rc;
	rc = emit(root, text, out, 0);
	sl_json_tree_free(root);
	if (rc == 0)
		rc = sl_buf_append(out, "\n", 1);
	return rc ? sl_err_set(err, rc, "schema too large to print") : 0;
}

int sl_schema_canonical(const char *text, size_t len, struct sl_buf *out, struct sl_err *err)
{
	struct sl_json_node *root;
	sl_schema_skip_bom(&text, &len);
	int rc = sl_schema_tree(text, len, &root, err);
	if (rc)
		return rc;
	rc = sl_schema_tree_canonical(root, text, out);
	sl_json_tree_free(root);
	if (rc == SL_ELIMIT)
		return sl_err_set(err, rc, "canonical schema larger than the output buffer");
	if (rc)
		return sl_err_set(err, rc, "out of memory");
	return 0;
}

void sl_schema_fingerprint(const char *canon, size_t len, char out[SL_CHECKSUM_MAX])
{
	struct sl_hasher h;
	if (sl_hasher_init(&h) != 0) {
		snprintf(out, SL_CHECKSUM_MAX, "sha256:?");
		return;
	}
	sl_hasher_update(&h, canon, len);
	sl_hasher_final(&h, out);
}

/* ---- rendering for messages ---------------------------------------------------------- */

static void render(const struct sl_json_node *n, struct sl_buf *b, size_t max)
{
	char num[40];
	if (b->len >= max)
		return;
	switch (n->type) {
	case SL_JSON_NULL: sl_buf_puts(b, "null"); break;
	case SL_JSON_TRUE: sl_buf_puts(b, "true"); break;
	case SL_JSON_FALSE: sl_buf_puts(b, "false"); break;
	case SL_JSON_INT: sl_buf_printf(b, "%lld", (long long)n->u.i); break;
	case SL_JSON_DOUBLE:
		snprintf(num, sizeof(num), "%.17g", n->u.d);
		sl_buf_puts(b, num);
		break;
	case SL_JSON_BIGINT: sl_buf_append(b, n->u.str.s, n->u.str.len); break;
	case SL_JSON_STRING: put_string(b, n->u.str.s, n->u.str.len); break;
	case SL_JSON_ARRAY:
		sl_buf_puts(b, "[");
		for (size_t i = 0; i < n->u.c.n && b->len < max; i++) {
			if (i)
				sl_buf_puts(b, ",");
			render(n->u.c.items[i], b, max);
		}
		sl_buf_puts(b, "]");
		break;
	case SL_JSON_OBJECT: {
		struct member *m = sorted_members(n);
		sl_buf_puts(b, "{");
		for (size_t i = 0; m && i < n->u.c.n && b->len < max; i++) {
			if (i)
				sl_buf_puts(b, ",");
			put_string(b, m[i].key, m[i].len);
			sl_buf_puts(b, ":");
			render(m[i].value, b, max);
		}
		free(m);
		sl_buf_puts(b, "}");
		break;
	}
	default: break;
	}
}

void sl_json_render(const struct sl_json_node *n, struct sl_buf *out, size_t max)
{
	size_t start = out->len;
	render(n, out, start + max);
	if (out->len > start + max) {
		out->len = start + max;
		/* cut on a character boundary */
		while (out->len > start && ((unsigned char)out->data[out->len] & 0xc0) == 0x80)
			out->len--;
		out->data[out->len] = '\0';
		sl_buf_puts(out, "...");
	}
}
