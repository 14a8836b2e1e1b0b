/*
 * types.c - the type tree (see types.h): construction, copies, equality, field lookup,
 * and the two printed forms, text and JSON, with the parser of the text form.
 *
 * Promises:
 *   1. The text form is lossless: sl_type_parse(sl_type_format(t)) is equal to t for
 *      every type (map keys are not nullable by definition, so they print without
 *      "not null").
 *   2. The parser takes untrusted text (catalog rows, command lines): every error names
 *      the byte offset, nesting is capped at SL_TYPE_MAX_DEPTH, and a name is accepted
 *      only when it is non-empty valid UTF-8 without U+0000.
 *   3. Adding and finding a field costs O(1) on average, also in structs with very many
 *      fields (a hash index is kept from INDEX_MIN fields on).
 */
#include "types/types.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/utf8.h"

/* ---- the name index of wide structs -------------------------------------------------- */

#define INDEX_MIN 16 /* below this, a linear scan is as fast */

struct name_index {
	size_t mask; /* slots - 1; slots is a power of two */
	uint32_t slot[]; /* field position + 1; 0 = empty */
};

static uint64_t name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* The slot holding name, or the empty slot where it would go. */
static size_t index_probe(const struct name_index *ix, const struct sl_field *fields,
			  const char *name)
{
	size_t i = (size_t)name_hash(name) & ix->mask;
	while (ix->slot[i] && strcmp(fields[ix->slot[i] - 1].name, name) != 0)
		i = (i + 1) & ix->mask;
	return i;
}

/* (Re)builds the index for n fields with room to grow; false when out of memory. */
static bool index_build(struct sl_type *st, size_t n)
{
	size_t slots = 64;
	while (slots < 2 * n + 2)
		slots *= 2;
	struct name_index *ix = calloc(1, sizeof(*ix) + slots * sizeof(uint32_t));
	if (!ix)
		return false;
	ix->mask = slots - 1;
	for (size_t k = 0; k < st->n_fields; k++)
		ix->slot[index_probe(ix, st->fields, st->fields[k].name)] = (uint32_t)k + 1;
	free(st->index);
	st->index = ix;
	return true;
}

/* ---- construction -------------------------------------------------------------------- */

struct sl_type *sl_type_new(enum sl_type_kind kind, bool nullable)
{
	struct sl_type *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->kind = kind;
	t->nullable = nullable;
	t->bits = 64;
	t->precision = 38;
	t->unit = SL_TU_MICROS;
	return t;
}

void sl_type_free(struct sl_type *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n_fields; i++) {
		free(t->fields[i].name);
		sl_type_free(t->fields[i].type);
	}
	free(t->fields);
	free(t->index);
	sl_type_free(t->elem);
	sl_type_free(t->key);
	free(t);
}

const struct sl_field *sl_type_field(const struct sl_type *st, const char *name)
{
	if (!st || st->kind != SL_T_STRUCT || !name)
		return NULL;
	if (st->index) {
		const struct name_index *ix = st->index;
		uint32_t k = ix->slot[index_probe(ix, st->fields, name)];
		return k ? &st->fields[k - 1] : NULL;
	}
	for (size_t i = 0; i < st->n_fields; i++)
		if (strcmp(st->fields[i].name, name) == 0)
			return &st->fields[i];
	return NULL;
}

int sl_type_add_field(struct sl_type *st, const char *name, struct sl_type *type,
		      struct sl_err *err)
{
	int rc;
	char *copy = NULL;
	if (!st || st->kind != SL_T_STRUCT || !type) {
		rc = sl_err_set(err, SL_EINVAL, "a field can only be added to a struct");
		goto fail;
	}
	size_t len = name ? strlen(name) : 0;
	if (len == 0) {
		rc = sl_err_set(err, SL_EINVAL, "a struct field needs a non-empty name");
		goto fail;
	}
	if (!sl_utf8_valid(name, len, NULL)) {
		rc = sl_err_set(err, SL_EINVAL, "field name \"%.64s\" is not valid UTF-8", name);
		goto fail;
	}
	if (sl_type_field(st, name)) {
		rc = sl_err_set(err, SL_EINVAL, "duplicate field name \"%.200s\"", name);
		goto fail;
	}
	if (st->n_fields >= UINT32_MAX - 1) {
		rc = sl_err_set(err, SL_ELIMIT, "too many fields in one struct");
		goto fail;
	}
	copy = malloc(len + 1);
	/* The array's capacity is implicit: 4, then the next power of two, so appending
	 * stays amortised O(1) (a realloc per field copies the array each time under ASan
	 * and some allocators: quadratic for a 100,000-column schema). */
	size_t n = st->n_fields;
	struct sl_field *f = st->fields;
	if (n == 0 || (n >= 4 && (n & (n - 1)) == 0))
		f = realloc(st->fields, (n ? 2 * n : 4) * sizeof(*f));
	if (!copy || !f) {
		if (f)
			st->fields = f;
		rc = sl_err_set(err, SL_ENOMEM, "out of memory");
		goto fail;
	}
	memcpy(copy, name, len + 1);
	st->fields = f;
	f[st->n_fields].name = copy;
	f[st->n_fields].type = type;
	st->n_fields++;
	if (st->index) {
		struct name_index *ix = st->index;
		if (2 * st->n_fields + 2 > ix->mask + 1) {
			if (!index_build(st, st->n_fields))
				goto nomem_undo;
		} else {
			ix->slot[index_probe(ix, st->fields, copy)] = (uint32_t)st->n_fields;
		}
	} else if (st->n_fields >= INDEX_MIN && !index_build(st, st->n_fields)) {
		goto nomem_undo;
	}
	return 0;
nomem_undo:
	/* the field is appended but cannot be indexed: take it back */
	st->n_fields--;
	rc = sl_err_set(err, SL_ENOMEM, "out of memory");
fail:
	free(copy);
	sl_type_free(type);
	return rc;
}

struct sl_type *sl_type_clone(const struct sl_type *t)
{
	if (!t)
		return NULL;
	struct sl_type *c = sl_type_new(t->kind, t->nullable);
	if (!c)
		return NULL;
	c->bits = t->bits;
	c->is_unsigned = t->is_unsigned;
	c->precision = t->precision;
	c->scale = t->scale;
	c->unit = t->unit;
	c->is_enum = t->is_enum;
	c->fixed_len = t->fixed_len;
	for (size_t i = 0; i < t->n_fields; i++) {
		struct sl_type *ft = sl_type_clone(t->fields[i].type);
		if (!ft || sl_type_add_field(c, t->fields[i].name, ft, NULL) != 0)
			goto fail;
	}
	if (t->elem && !(c->elem = sl_type_clone(t->elem)))
		goto fail;
	if (t->key && !(c->key = sl_type_clone(t->key)))
		goto fail;
	return c;
fail:
	sl_type_free(c);
	return NULL;
}

bool sl_type_equal(const struct sl_type *a, const struct sl_type *b)
{
	if (!a || !b)
		return a == b;
	if (a->kind != b->kind || a->nullable != b->nullable)
		return false;
	switch (a->kind) {
	case SL_T_INT:
		return a->bits == b->bits && a->is_unsigned == b->is_unsigned;
	case SL_T_DECIMAL:
		return a->precision == b->precision && a->scale == b->scale;
	case SL_T_STRING:
		return a->is_enum == b->is_enum;
	case SL_T_BINARY:
		return a->fixed_len == b->fixed_len;
	case SL_T_TIME:
	case SL_T_TIMESTAMP:
		return a->unit == b->unit;
	case SL_T_STRUCT:
		if (a->n_fields != b->n_fields)
			return false;
		for (size_t i = 0; i < a->n_fields; i++)
			if (strcmp(a->fields[i].name, b->fields[i].name) != 0 ||
			    !sl_type_equal(a->fields[i].type, b->fields[i].type))
				return false;
		return true;
	case SL_T_LIST:
		return sl_type_equal(a->elem, b->elem);
	case SL_T_MAP:
		return sl_type_equal(a->key, b->key) && sl_type_equal(a->elem, b->elem);
	default:
		return true;
	}
}

/* ---- names --------------------------------------------------------------------------- */

static const char *unit_name(uint8_t unit)
{
	switch (unit) {
	case SL_TU_MILLIS: return "ms";
	case SL_TU_MICROS: return "us";
	case SL_TU_NANOS: return "ns";
	default: return "?";
	}
}

static const char *const int_names[2][4] = {{"int8", "int16", "int32", "int64"},
					    {"uint8", "uint16", "uint32", "uint64"}};

static int bits_slot(uint8_t bits)
{
	return bits == 8 ? 0 : bits == 16 ? 1 : bits == 32 ? 2 : 3;
}

/* The name without parameters. */
static const char *base_name(const struct sl_type *t)
{
	switch (t->kind) {
	case SL_T_BOOL: return "boolean";
	case SL_T_INT: return int_names[t->is_unsigned][bits_slot(t->bits)];
	case SL_T_FLOAT: return "float";
	case SL_T_DOUBLE: return "double";
	case SL_T_DECIMAL: return "decimal";
	case SL_T_STRING: return t->is_enum ? "enum" : "string";
	case SL_T_BINARY: return "binary";
	case SL_T_DATE: return "date";
	case SL_T_TIME: return "time";
	case SL_T_TIMESTAMP: return "timestamp";
	case SL_T_UUID: return "uuid";
	case SL_T_JSON: return "json";
	case SL_T_STRUCT: return "struct";
	case SL_T_LIST: return "list";
	case SL_T_MAP: return "map";
	}
	return "unknown";
}

const char *sl_type_kind_name(const struct sl_type *t, char *buf, size_t cap)
{
	if (!t)
		return "null";
	const char *base = base_name(t);
	if (!buf || cap == 0)
		return base;
	switch (t->kind) {
	case SL_T_DECIMAL:
		snprintf(buf, cap, "decimal(%u,%u)", t->precision, t->scale);
		return buf;
	case SL_T_BINARY:
		if (t->fixed_len == 0)
			return base;
		snprintf(buf, cap, "binary(%u)", (unsigned)t->fixed_len);
		return buf;
	case SL_T_TIME:
	case SL_T_TIMESTAMP:
		snprintf(buf, cap, "%s(%s)", base, unit_name(t->unit));
		return buf;
	default:
		return base;
	}
}

/* ---- text form ----------------------------------------------------------------------- */

static bool is_ident_start(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool is_ident_char(char c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9');
}

static bool is_plain_name(const char *s)
{
	if (!is_ident_start(*s))
		return false;
	while (*++s)
		if (!is_ident_char(*s))
			return false;
	return true;
}

static bool well_formed(const struct sl_type *t)
{
	return t && (t->kind != SL_T_LIST || t->elem) &&
	       (t->kind != SL_T_MAP || (t->key && t->elem));
}

static int format_rec(const struct sl_type *t, bool is_key, struct sl_buf *out)
{
	if (!well_formed(t))
		return SL_EINVAL;
	char tmp[64];
	int rc = sl_buf_puts(out, sl_type_kind_name(t, tmp, sizeof(tmp)));
	if (rc)
		return rc;
	switch (t->kind) {
	case SL_T_STRUCT:
		rc = sl_buf_append(out, "<", 1);
		for (size_t i = 0; rc == 0 && i < t->n_fields; i++) {
			const char *name = t->fields[i].name;
			if (i)
				rc = sl_buf_append(out, ",", 1);
			if (rc == 0)
				rc = is_plain_name(name) ? sl_buf_puts(out, name)
							 : sl_buf_json_str(out, name, strlen(name));
			if (rc == 0)
				rc = sl_buf_append(out, ":", 1);
			if (rc == 0)
				rc = format_rec(t->fields[i].type, false, out);
		}
		if (rc == 0)
			rc = sl_buf_append(out, ">", 1);
		break;
	case SL_T_LIST:
	case SL_T_MAP:
		rc = sl_buf_append(out, "<", 1);
		if (rc == 0 && t->kind == SL_T_MAP) {
			rc = format_rec(t->key, true, out);
			if (rc == 0)
				rc = sl_buf_append(out, ",", 1);
		}
		if (rc == 0)
			rc = format_rec(t->elem, false, out);
		if (rc == 0)
			rc = sl_buf_append(out, ">", 1);
		break;
	default:
		break;
	}
	if (rc == 0 && !t->nullable && !is_key)
		rc = sl_buf_puts(out, " not null");
	return rc;
}

int sl_type_format(const struct sl_type *t, struct sl_buf *out)
{
	return format_rec(t, false, out);
}

struct parser {
	const char *s;
	size_t len, pos;
	struct sl_err *err;
	struct sl_buf name; /* the last quoted name, decoded */
};

static int perr(struct parser *p, size_t at, const char *what)
{
	return sl_err_set(p->err, SL_EINVAL, "type text at byte %zu: %s", at, what);
}

static void skip_ws(struct parser *p)
{
	while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
				   p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
		p->pos++;
}

/* Skips whitespace, then consumes c if it is next. */
static bool accept(struct parser *p, char c)
{
	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == c) {
		p->pos++;
		return true;
	}
	return false;
}

static int expect(struct parser *p, char c, const char *what)
{
	return accept(p, c) ? 0 : perr(p, p->pos, what);
}

/* Reads an identifier; *n = 0 when there is none. */
static const char *ident(struct parser *p, size_t *n)
{
	skip_ws(p);
	size_t start = p->pos;
	if (p->pos < p->len && is_ident_start(p->s[p->pos]))
		while (p->pos < p->len && is_ident_char(p->s[p->pos]))
			p->pos++;
	*n = p->pos - start;
	return p->s + start;
}

static bool word_is(const char *w, size_t n, const char *kw)
{
	return strlen(kw) == n && memcmp(w, kw, n) == 0;
}

/* A decimal number in [lo, hi]. */
static int number(struct parser *p, uint64_t lo, uint64_t hi, const char *what,
		  uint64_t *out)
{
	skip_ws(p);
	size_t start = p->pos;
	uint64_t v = 0;
	while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') {
		if (v <= hi)
			v = v * 10 + (uint64_t)(p->s[p->pos] - '0');
		p->pos++;
	}
	if (p->pos == start)
		return perr(p, start, what);
	if (v < lo || v > hi) {
		char msg[128];
		snprintf(msg, sizeof(msg), "%s must be between %llu and %llu", what,
			 (unsigned long long)lo, (unsigned long long)hi);
		return perr(p, start, msg);
	}
	*out = v;
	return 0;
}

static int hex4(const char *s, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		char c = s[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* A double-quoted name with JSON escapes, decoded into p->name. */
static int quoted_name(struct parser *p)
{
	size_t start = p->pos++; /* the opening quote */
	sl_buf_reset(&p->name);
	for (;;) {
		if (p->pos >= p->len)
			return perr(p, start, "unterminated quoted name");
		unsigned char c = (unsigned char)p->s[p->pos];
		if (c == '"') {
			p->pos++;
			break;
		}
		if (c < 0x20)
			return perr(p, p->pos, "control character in a quoted name (escape it)");
		if (c >= 0x80) {
			size_t n = sl_utf8_valid_prefix(p->s + p->pos, p->len - p->pos);
			if (n == 0)
				return perr(p, p->pos, "invalid UTF-8 in a quoted name");
			if (sl_buf_append(&p->name, p->s + p->pos, n))
				return perr(p, p->pos, "name too long");
			p->pos += n;
			continue;
		}
		if (c != '\\') {
			if (sl_buf_append(&p->name, &p->s[p->pos], 1))
				return perr(p, p->pos, "name too long");
			p->pos++;
			continue;
		}
		size_t esc = p->pos;
		if (p->pos + 1 >= p->len)
			return perr(p, esc, "unterminated escape");
		char e = p->s[p->pos + 1], one;
		p->pos += 2;
		switch (e) {
		case '"': one = '"'; break;
		case '\\': one = '\\'; break;
		case '/': one = '/'; break;
		case 'b': one = '\b'; break;
		case 'f': one = '\f'; break;
		case 'n': one = '\n'; break;
		case 'r': one = '\r'; break;
		case 't': one = '\t'; break;
		case 'u': one = 0; break;
		default: return perr(p, esc, "unknown escape in a quoted name");
		}
		if (e != 'u') {
			if (sl_buf_append(&p->name, &one, 1))
				return perr(p, esc, "name too long");
			continue;
		}
		unsigned cp;
		if (p->pos + 4 > p->len || hex4(p->s + p->pos, &cp) != 0)
			return perr(p, esc, "\\u needs four hex digits");
		p->pos += 4;
		if (cp >= 0xDC00 && cp <= 0xDFFF)
			return perr(p, esc, "lone low surrogate in a quoted name");
		if (cp >= 0xD800 && cp <= 0xDBFF) {
			unsigned lo;
			if (p->pos + 6 > p->len || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u' ||
			    hex4(p->s + p->pos + 2, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF)
				return perr(p, esc, "lone high surrogate in a quoted name");
			p->pos += 6;
			cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
		}
		if (cp == 0)
			return perr(p, esc, "a name cannot hold U+0000");
		char u[4];
		size_t n;
		if (cp < 0x80) {
			u[0] = (char)cp;
			n = 1;
		} else if (cp < 0x800) {
			u[0] = (char)(0xC0 | (cp >> 6));
			u[1] = (char)(0x80 | (cp & 0x3F));
			n = 2;
		} else if (cp < 0x10000) {
			u[0] = (char)(0xE0 | (cp >> 12));
			u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
			u[2] = (char)(0x80 | (cp & 0x3F));
			n = 3;
		} else {
			u[0] = (char)(0xF0 | (cp >> 18));
			u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
			u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
			u[3] = (char)(0x80 | (cp & 0x3F));
			n = 4;
		}
		if (sl_buf_append(&p->name, u, n))
			return perr(p, esc, "name too long");
	}
	if (p->name.len == 0)
		return perr(p, start, "empty field name");
	return 0;
}

static int unit_arg(struct parser *p, uint8_t *unit)
{
	int rc = expect(p, '(', "expected '(' and a unit (ms, us or ns)");
	if (rc)
		return rc;
	size_t n;
	size_t at = (skip_ws(p), p->pos);
	const char *w = ident(p, &n);
	if (word_is(w, n, "ms"))
		*unit = SL_TU_MILLIS;
	else if (word_is(w, n, "us"))
		*unit = SL_TU_MICROS;
	else if (word_is(w, n, "ns"))
		*unit = SL_TU_NANOS;
	else
		return perr(p, at, "expected a unit: ms, us or ns");
	return expect(p, ')', "expected ')' after the unit");
}

static struct sl_type *parse_type(struct parser *p, int depth);

static int parse_field(struct parser *p, struct sl_type *st, int depth)
{
	skip_ws(p);
	size_t at = p->pos;
	int rc;
	if (p->pos < p->len && p->s[p->pos] == '"') {
		if ((rc = quoted_name(p)))
			return rc;
	} else {
		size_t n;
		const char *w = ident(p, &n);
		if (n == 0)
			return perr(p, at, "expected a field name (letters, digits, '_', or a "
					   "double-quoted string)");
		sl_buf_reset(&p->name);
		if (sl_buf_append(&p->name, w, n))
			return perr(p, at, "name too long");
	}
	/* the name buffer is reused by nested fields: take a copy first */
	char *name = strdup(p->name.data);
	if (!name)
		return sl_err_set(p->err, SL_ENOMEM, "out of memory");
	struct sl_type *ft = NULL;
	if ((rc = expect(p, ':', "expected ':' after the field name")))
		goto done;
	if (!(ft = parse_type(p, depth + 1))) {
		rc = p->err->code;
		goto done;
	}
	struct sl_err e2 = {0};
	rc = sl_type_add_field(st, name, ft, &e2);
	if (rc)
		sl_err_set(p->err, rc, "type text at byte %zu: %s", at, e2.msg);
done:
	free(name);
	return rc;
}

static struct sl_type *parse_type(struct parser *p, int depth)
{
	struct sl_type *t = NULL;
	skip_ws(p);
	size_t at = p->pos;
	if (depth > SL_TYPE_MAX_DEPTH) {
		sl_err_set(p->err, SL_ELIMIT, "type text at byte %zu: nested deeper than %d levels",
			   at, SL_TYPE_MAX_DEPTH);
		return NULL;
	}
	size_t n;
	const char *w = ident(p, &n);
	static const struct {
		const char *name;
		enum sl_type_kind kind;
		uint8_t bits;
		bool flag; /* is_unsigned (int) or is_enum (string) */
	} simple[] = {
		{"boolean", SL_T_BOOL, 0, false}, {"int8", SL_T_INT, 8, false},
		{"int16", SL_T_INT, 16, false},   {"int32", SL_T_INT, 32, false},
		{"int64", SL_T_INT, 64, false},   {"uint8", SL_T_INT, 8, true},
		{"uint16", SL_T_INT, 16, true},   {"uint32", SL_T_INT, 32, true},
		{"uint64", SL_T_INT, 64, true},   {"float", SL_T_FLOAT, 0, false},
		{"double", SL_T_DOUBLE, 0, false}, {"string", SL_T_STRING, 0, false},
		{"enum", SL_T_STRING, 0, true},   {"date", SL_T_DATE, 0, false},
		{"uuid", SL_T_UUID, 0, false},    {"json", SL_T_JSON, 0, false},
		{"decimal", SL_T_DECIMAL, 0, false}, {"binary", SL_T_BINARY, 0, false},
		{"time", SL_T_TIME, 0, false},    {"timestamp", SL_T_TIMESTAMP, 0, false},
		{"struct", SL_T_STRUCT, 0, false}, {"list", SL_T_LIST, 0, false},
		{"map", SL_T_MAP, 0, false},
	};
	size_t k = 0;
	while (k < sizeof(simple) / sizeof(simple[0]) && !word_is(w, n, simple[k].name))
		k++;
	if (k == sizeof(simple) / sizeof(simple[0])) {
		perr(p, at, n ? "unknown type name" : "expected a type name");
		return NULL;
	}
	if (!(t = sl_type_new(simple[k].kind, true)))
		goto nomem;
	if (t->kind == SL_T_INT) {
		t->bits = simple[k].bits;
		t->is_unsigned = simple[k].flag;
	}
	t->is_enum = t->kind == SL_T_STRING && simple[k].flag;
	/* every failure below has its message in p->err already */
	uint64_t v;
	switch (t->kind) {
	case SL_T_DECIMAL:
		if (expect(p, '(', "expected '(' after decimal") ||
		    number(p, 1, 38, "the precision", &v))
			goto fail;
		t->precision = (uint8_t)v;
		if (expect(p, ',', "expected ',' after the precision") ||
		    number(p, 0, t->precision, "the scale", &v) ||
		    expect(p, ')', "expected ')' after the scale"))
			goto fail;
		t->scale = (uint8_t)v;
		break;
	case SL_T_BINARY:
		if (accept(p, '(')) {
			if (number(p, 1, INT32_MAX, "the length of a fixed binary", &v) ||
			    expect(p, ')', "expected ')' after the length"))
				goto fail;
			t->fixed_len = (uint32_t)v;
		}
		break;
	case SL_T_TIME:
	case SL_T_TIMESTAMP:
		if (unit_arg(p, &t->unit))
			goto fail;
		break;
	case SL_T_STRUCT:
		if (expect(p, '<', "expected '<' after struct"))
			goto fail;
		if (accept(p, '>'))
			break;
		do {
			if (parse_field(p, t, depth))
				goto fail;
		} while (accept(p, ','));
		if (expect(p, '>', "expected ',' or '>' in a struct"))
			goto fail;
		break;
	case SL_T_LIST:
		if (expect(p, '<', "expected '<' after list") ||
		    !(t->elem = parse_type(p, depth + 1)) ||
		    expect(p, '>', "expected '>' after the list's element type"))
			goto fail;
		break;
	case SL_T_MAP:
		if (expect(p, '<', "expected '<' after map") ||
		    !(t->key = parse_type(p, depth + 1)))
			goto fail;
		t->key->nullable = false;
		if (expect(p, ',', "expected ',' after the map's key type") ||
		    !(t->elem = parse_type(p, depth + 1)) ||
		    expect(p, '>', "expected '>' after the map's value type"))
			goto fail;
		break;
	default:
		break;
	}
	/* "not null" */
	size_t save = p->pos;
	w = ident(p, &n);
	if (word_is(w, n, "not")) {
		size_t at2 = (skip_ws(p), p->pos);
		w = ident(p, &n);
		if (!word_is(w, n, "null")) {
			perr(p, at2, "expected 'null' after 'not'");
			goto fail;
		}
		t->nullable = false;
	} else {
		p->pos = save;
	}
	return t;
nomem:
	sl_err_set(p->err, SL_ENOMEM, "out of memory");
fail:
	sl_type_free(t);
	return NULL;
}

struct sl_type *sl_type_parse(const char *text, size_t len, struct sl_err *err)
{
	struct sl_err local;
	struct parser p = {.s = text, .len = text ? len : 0, .err = err ? err : &local};
	sl_buf_init(&p.name, 1 << 20);
	struct sl_type *t = parse_type(&p, 1);
	if (t) {
		skip_ws(&p);
		if (p.pos != p.len) {
			perr(&p, p.pos, "unexpected text after the type");
			sl_type_free(t);
			t = NULL;
		}
	}
	sl_buf_release(&p.name);
	return t;
}

/* ---- JSON form ----------------------------------------------------------------------- */

static int json_rec(const struct sl_type *t, struct sl_buf *out)
{
	if (!well_formed(t))
		return SL_EINVAL;
	int rc = sl_buf_printf(out, "{\"type\":\"%s\"", base_name(t));
	if (rc == 0 && !t->nullable)
		rc = sl_buf_puts(out, ",\"nullable\":false");
	if (rc)
		return rc;
	switch (t->kind) {
	case SL_T_DECIMAL:
		rc = sl_buf_printf(out, ",\"precision\":%u,\"scale\":%u", t->precision, t->scale);
		break;
	case SL_T_BINARY:
		if (t->fixed_len)
			rc = sl_buf_printf(out, ",\"length\":%u", (unsigned)t->fixed_len);
		break;
	case SL_T_TIME:
	case SL_T_TIMESTAMP:
		rc = sl_buf_printf(out, ",\"unit\":\"%s\"", unit_name(t->unit));
		break;
	case SL_T_STRUCT:
		rc = sl_buf_puts(out, ",\"fields\":[");
		for (size_t i = 0; rc == 0 && i < t->n_fields; i++) {
			rc = sl_buf_puts(out, i ? ",{\"name\":" : "{\"name\":");
			if (rc == 0)
				rc = sl_buf_json_str(out, t->fields[i].name, strlen(t->fields[i].name));
			if (rc == 0)
				rc = sl_buf_puts(out, ",\"type\":");
			if (rc == 0)
				rc = json_rec(t->fields[i].type, out);
			if (rc == 0)
				rc = sl_buf_append(out, "}", 1);
		}
		if (rc == 0)
			rc = sl_buf_append(out, "]", 1);
		break;
	case SL_T_LIST:
		rc = sl_buf_puts(out, ",\"element\":");
		if (rc == 0)
			rc = json_rec(t->elem, out);
		break;
	case SL_T_MAP:
		rc = sl_buf_puts(out, ",\"key\":");
		if (rc == 0)
			rc = json_rec(t->key, out);
		if (rc == 0)
			rc = sl_buf_puts(out, ",\"value\":");
		if (rc == 0)
			rc = json_rec(t->elem, out);
		break;
	default:
		break;
	}
	return rc ? rc : sl_buf_append(out, "}", 1);
}

int sl_type_to_json(const struct sl_type *t, struct sl_buf *out)
{
	return json_rec(t, out);
}
