/*
 * expr.c - the expressions of the ETL mapping transform (expr.h): compiled once per run
 * against the source row type, evaluated per record on the JSON engine's tape.
 *
 * Compiling: a tokenizer over the text and a recursive-descent parser, one function per
 * rule of expr.h's grammar, that types every node as it makes it. The operation of a node
 * is chosen by the static types of its operands: an int64 addition and a double one are
 * different operations, an int64 operand of a double operation gets a conversion node
 * (or is converted once when it is a literal), and string literals compared with dates
 * and timestamps are converted once. So evaluation never asks what kind a value is,
 * except when it reads a column's token. Nodes live in one array and name each other by
 * index; n-ary nodes (AND, OR, ||, IN, concat, coalesce) list their operands in a second
 * array, so that long chains stay flat.
 *
 * Evaluating: a recursive walk from the root whose depth is the tree's height (at most
 * SL_EXPR_MAX_DEPTH), reading columns through the token slots sl_expr_cols_locate
 * filled. Strings are slices of the record or of the text where they can be (substr,
 * trim, a lower() that changes nothing); new ones go to the arena, whose use per record
 * is capped by the record's size.
 *
 * Promises: expr.h's (tests/unit/test_etl_expr.c, tests/fuzz/fuzz_expr.c).
 */
#include "etl/expr.h"

#include <float.h>
#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/calendar.h"
#include "util/utf8.h"

#define NONE UINT32_MAX
#define US_PER_MS INT64_C(1000)
#define US_PER_HOUR INT64_C(3600000000)

/* ---- numbers in text --------------------------------------------------------------- */

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void c_locale_init(void)
{
	c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

/* strtod of a NUL-terminated number, whatever the process's locale says a decimal point
 * is. */
static double c_strtod(const char *s)
{
	pthread_once(&c_locale_once, c_locale_init);
	return c_locale ? strtod_l(s, NULL, c_locale) : strtod(s, NULL);
}

static inline bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Whether s[0 .. n) is a number as JSON writes them; *is_int when it has neither a
 * fraction nor an exponent. */
static bool json_number(const char *s, size_t n, bool *is_int)
{
	size_t i = 0;
	if (i < n && s[i] == '-')
		i++;
	if (i >= n || !is_digit(s[i]))
		return false;
	if (s[i++] != '0')
		while (i < n && is_digit(s[i]))
			i++;
	*is_int = true;
	if (i < n && s[i] == '.') {
		size_t st = ++i;
		while (i < n && is_digit(s[i]))
			i++;
		if (i == st)
			return false;
		*is_int = false;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		size_t st = i;
		while (i < n && is_digit(s[i]))
			i++;
		if (i == st)
			return false;
		*is_int = false;
	}
	return i == n;
}

/* The value of a number's text (json_number said yes): an int64 when it is an integer
 * that fits, else a double. False when the text is too long to read. */
static bool number_value(const char *s, size_t n, bool is_int, struct sl_expr_value *out)
{
	if (is_int) {
		bool neg = s[0] == '-';
		uint64_t u = 0;
		bool over = false;
		for (size_t i = neg; i < n; i++) {
			unsigned d = (unsigned)(s[i] - '0');
			if (u > (UINT64_MAX - d) / 10)
				over = true;
			u = u * 10 + d;
		}
		if (!over && (neg ? u <= (uint64_t)INT64_MAX + 1 : u <= (uint64_t)INT64_MAX)) {
			out->kind = SL_EV_INT;
			out->v.i = neg ? (int64_t)(0 - u) : (int64_t)u;
			return true;
		}
	}
	char tmp[512];
	if (n >= sizeof(tmp))
		return false;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	out->kind = SL_EV_DOUBLE;
	out->v.d = c_strtod(tmp);
	return true;
}

/* The shortest text that reads back as d, with ".0" when it would read as an integer;
 * NaN and the infinities as types.h spells them. out: SL_DOUBLE_TEXT_MAX bytes. */
static size_t double_text(char *out, double d)
{
	if (isnan(d))
		return (size_t)snprintf(out, SL_DOUBLE_TEXT_MAX, "NaN");
	if (isinf(d))
		return (size_t)snprintf(out, SL_DOUBLE_TEXT_MAX, "%s",
					d > 0 ? "Infinity" : "-Infinity");
	return sl_double_text(out, d, false, true);
}

/* x rounded half away from zero to `digits` decimals (negative: tens, hundreds, ...),
 * on the shortest decimal text of x, so that 2.675 rounds to 2.68 as it reads. */
static double decimal_round(double x, int digits)
{
	if (!isfinite(x) || digits > 17)
		return x;
	if (digits < -330)
		return x * 0.0;
	char t[40];
	int prec = 0;
	for (prec = 0; prec <= 16; prec++) {
		snprintf(t, sizeof(t), "%.*e", prec, x);
		if (c_strtod(t) == x)
			break;
	}
	/* t = [-]D[.DDD]e[+-]X: the digits and the exponent of the first one */
	const char *p = t;
	bool neg = *p == '-';
	p += neg;
	char dig[24];
	int nd = 0;
	for (; *p && *p != 'e'; p++)
		if (is_digit(*p))
			dig[nd++] = *p;
	int e10 = atoi(p + 1);
	/* keep the digits down to 10^-digits: that is e10 + digits + 1 of them */
	int keep = e10 + digits + 1;
	if (keep >= nd)
		return x;
	if (keep < 0)
		return neg ? -0.0 : 0.0;
	bool up = dig[keep] >= '5';
	/* the number rounded: digits 0 .. keep-1 plus one when up */
	char r[48];
	int k = 0;
	r[k++] = '0'; /* room for a carry */
	for (int i = 0; i < keep; i++)
		r[k++] = dig[i];
	if (up) {
		int i = k - 1;
		while (r[i] == '9')
			r[i--] = '0';
		r[i]++;
	}
	/* value = r * 10^(e10 - keep + 1) */
	char s[80];
	snprintf(s, sizeof(s), "%s%.*se%d", neg ? "-" : "", k, r, e10 - keep + 1);
	return c_strtod(s);
}

/* ---- the arena --------------------------------------------------------------------- */

struct chunk {
	struct chunk *next;
	size_t cap, used;
	char data[];
};

struct sl_expr_arena {
	struct chunk *head;
	size_t n_chunks;
	size_t total_cap; /* of all chunks */
	size_t used;      /* since the last reset */
	size_t limit;     /* for the record being evaluated */
};

#define ARENA_CHUNK ((size_t)64 << 10)
#define ARENA_KEEP ((size_t)64 << 20) /* a reset keeps at most this much */
#define ARENA_SLACK ((size_t)64 << 10)
#define ARENA_FACTOR 4

struct sl_expr_arena *sl_expr_arena_new(void)
{
	struct sl_expr_arena *a = calloc(1, sizeof(*a));
	if (a)
		a->limit = ARENA_SLACK;
	return a;
}

static void arena_free_chunks(struct sl_expr_arena *a)
{
	while (a->head) {
		struct chunk *c = a->head;
		a->head = c->next;
		free(c);
	}
	a->n_chunks = 0;
	a->total_cap = 0;
}

static struct chunk *arena_add(struct sl_expr_arena *a, size_t cap)
{
	struct chunk *c = malloc(sizeof(*c) + cap);
	if (!c)
		return NULL;
	c->cap = cap;
	c->used = 0;
	c->next = a->head;
	a->head = c;
	a->n_chunks++;
	a->total_cap += cap;
	return c;
}

void sl_expr_arena_reset(struct sl_expr_arena *a)
{
	if (!a)
		return;
	if (a->n_chunks > 1) {
		/* one chunk as big as all of them, so that a record like this one needs no
		 * allocation next time */
		size_t cap = a->total_cap < ARENA_KEEP ? a->total_cap : ARENA_KEEP;
		arena_free_chunks(a);
		arena_add(a, cap);
	} else if (a->head) {
		a->head->used = 0;
	}
	a->used = 0;
}

void sl_expr_arena_free(struct sl_expr_arena *a)
{
	if (!a)
		return;
	arena_free_chunks(a);
	free(a);
}

/* n bytes from the arena, 8-aligned: 0, SL_ELIMIT past the record's limit (unless
 * over_limit), or SL_ENOMEM. */
static int arena_get(struct sl_expr_arena *a, size_t n, bool over_limit, char **out)
{
	if (n > SIZE_MAX / 2)
		return SL_ELIMIT;
	n = (n + 7) & ~(size_t)7; /* every block 8-aligned: values may live there */
	if (!over_limit && (n > a->limit || a->used > a->limit - n))
		return SL_ELIMIT;
	struct chunk *c = a->head;
	if (!c || c->cap - c->used < n) {
		size_t cap = ARENA_CHUNK;
		if (c && c->cap < ARENA_KEEP / 2 && c->cap * 2 > cap)
			cap = c->cap * 2;
		if (cap < n)
			cap = n;
		if (!(c = arena_add(a, cap)))
			return SL_ENOMEM;
	}
	*out = c->data + c->used;
	c->used += n;
	a->used += n;
	return 0;
}

/* ---- the columns --------------------------------------------------------------------- */

/* A member on the path of some column the expressions read. */
struct cnode {
	char *name; /* owned */
	size_t len;
	size_t slot; /* SIZE_MAX: no expression reads this member itself */
	const struct sl_type *type;
	struct cnode **kids; /* the members of this struct that are read */
	size_t n_kids;
	uint64_t mask; /* a bit per kid, from its name's length and first byte */
};

struct sl_expr_cols {
	const struct sl_type *row;
	struct cnode root;
	size_t n_slots;
};

static inline uint64_t name_bit(const char *s, size_t len)
{
	return UINT64_C(1) << ((len * 7 + (len ? (unsigned char)s[0] : 0)) & 63);
}

struct sl_expr_cols *sl_expr_cols_new(const struct sl_type *row)
{
	struct sl_expr_cols *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->row = row;
	c->root.slot = SIZE_MAX;
	c->root.type = row;
	return c;
}

static void cnode_release(struct cnode *n)
{
	for (size_t i = 0; i < n->n_kids; i++) {
		cnode_release(n->kids[i]);
		free(n->kids[i]);
	}
	free(n->kids);
	free(n->name);
}

void sl_expr_cols_free(struct sl_expr_cols *c)
{
	if (!c)
		return;
	cnode_release(&c->root);
	free(c);
}

size_t sl_expr_cols_count(const struct sl_expr_cols *c)
{
	return c->n_slots;
}

/* "id, ts, amount, ..." (at most 8 names) of a struct's fields. */
static void field_list(const struct sl_type *st, char *out, size_t cap)
{
	size_t k = 0;
	out[0] = '\0';
	for (size_t i = 0; i < st->n_fields && k < cap; i++) {
		if (i == 8) {
			snprintf(out + k, cap - k, ", ...");
			return;
		}
		int n = snprintf(out + k, cap - k, "%s%s", i ? ", " : "", st->fields[i].name);
		if (n < 0)
			return;
		k += (size_t)n;
	}
}

int sl_expr_cols_add(struct sl_expr_cols *c, const char *const *path, size_t n_path,
		     size_t *slot, const struct sl_type **type, struct sl_err *err)
{
	if (n_path == 0)
		return sl_err_set(err, SL_EINVAL, "an empty column path");
	struct cnode *at = &c->root;
	char names[512];
	size_t plen = 0; /* of the path so far, in msg */
	char msg[256];
	msg[0] = '\0';
	for (size_t i = 0; i < n_path; i++) {
		const struct sl_type *st = at->type;
		if (!st || st->kind != SL_T_STRUCT) {
			char kn[64];
			return sl_err_set(err, SL_EINVAL, "column '%s' is not a struct (it is %s)",
					  msg, sl_type_kind_name(st, kn, sizeof(kn)));
		}
		int w = snprintf(msg + plen, sizeof(msg) - plen, "%s%s", i ? "." : "", path[i]);
		if (w > 0)
			plen = plen + (size_t)w < sizeof(msg) ? plen + (size_t)w : sizeof(msg) - 1;
		const struct sl_field *f = sl_type_field(st, path[i]);
		if (!f) {
			field_list(st, names, sizeof(names));
			return sl_err_set(err, SL_EINVAL, "no column '%s' in the source (%s: %s)",
					  msg, i == 0 ? "columns" : "members", names);
		}
		size_t len = strlen(path[i]);
		struct cnode *next = NULL;
		for (size_t k = 0; k < at->n_kids; k++)
			if (at->kids[k]->len == len && memcmp(at->kids[k]->name, path[i], len) == 0)
				next = at->kids[k];
		if (!next) {
			struct cnode **kids = realloc(at->kids, (at->n_kids + 1) * sizeof(*kids));
			if (!kids)
				return sl_err_set(err, SL_ENOMEM, "out of memory");
			at->kids = kids;
			if (!(next = calloc(1, sizeof(*next))) || !(next->name = strdup(path[i]))) {
				free(next);
				return sl_err_set(err, SL_ENOMEM, "out of memory");
			}
			next->len = len;
			next->slot = SIZE_MAX;
			next->type = f->type;
			at->kids[at->n_kids++] = next;
			at->mask |= name_bit(path[i], len);
		}
		at = next;
	}
	if (at->slot == SIZE_MAX)
		at->slot = c->n_slots++;
	*slot = at->slot;
	if (type)
		*type = at->type;
	return 0;
}

static void clear_slots(const struct cnode *n, size_t *slots)
{
	for (size_t i = 0; i < n->n_kids; i++) {
		if (n->kids[i]->slot != SIZE_MAX)
			slots[n->kids[i]->slot] = SIZE_MAX;
		clear_slots(n->kids[i], slots);
	}
}

/* The members of the object at tok[obj] that n's kids name. */
static void locate(const struct cnode *n, const struct sl_json_doc *doc, size_t obj,
		   size_t *slots)
{
	const struct sl_json_tok *tok = doc->tok;
	size_t end = tok[obj].v.end;
	if (end > doc->n_tok || end <= obj)
		return;
	for (size_t i = obj + 1; i + 1 < end;) {
		const struct sl_json_tok *k = &tok[i], *v = &tok[i + 1];
		if (k->type != SL_JSON_KEY)
			return;
		if (n->mask & name_bit(k->v.s, k->len)) {
			for (size_t j = 0; j < n->n_kids; j++) {
				const struct cnode *m = n->kids[j];
				if (m->len != k->len || memcmp(m->name, k->v.s, k->len) != 0)
					continue;
				if (m->slot != SIZE_MAX)
					slots[m->slot] = i + 1;
				if (m->n_kids) {
					/* a later member replaces the whole value */
					if (doc->dup_keys)
						clear_slots(m, slots);
					if (v->type == SL_JSON_OBJECT)
						locate(m, doc, i + 1, slots);
				}
				break;
			}
		}
		if ((v->type == SL_JSON_OBJECT || v->type == SL_JSON_ARRAY) && v->v.end > i + 1)
			i = (size_t)v->v.end + 1;
		else
			i += 2;
	}
}

void sl_expr_cols_locate(const struct sl_expr_cols *c, const struct sl_json_doc *doc,
			 size_t *slots)
{
	for (size_t i = 0; i < c->n_slots; i++)
		slots[i] = SIZE_MAX;
	if (doc->n_tok == 0 || doc->tok[0].type != SL_JSON_OBJECT)
		return;
	locate(&c->root, doc, 0, slots);
}

/* ---- nodes --------------------------------------------------------------------------- */

enum op {
	OP_LIT,   /* lit */
	OP_COL,   /* slot, sub = enum ck */
	OP_TO_D,  /* int64 a -> double */
	OP_STR_TS, /* string a -> timestamp, per record */
	OP_DATE_TS, /* date a -> timestamp */
	OP_NEG_I, OP_NEG_D,
	OP_ADD_I, OP_SUB_I, OP_MUL_I, OP_DIV_I, OP_MOD_I,
	OP_ADD_D, OP_SUB_D, OP_MUL_D, OP_DIV_D, OP_MOD_D,
	OP_CMP_I, OP_CMP_D, OP_CMP_ID, OP_CMP_DI, OP_CMP_S, OP_CMP_B, /* sub = enum cmp */
	OP_CMP_FOLD, /* lower(a) or upper(a) (sub & CMP_UPPER) compared with literal b, without
		      * making the lower-case string */
	OP_IS_NULL, /* sub: 1 for IS NOT NULL */
	OP_IN,      /* n-ary: the value then the list; sub: 1 for NOT IN */
	OP_LIKE,    /* sub: 1 for NOT LIKE */
	OP_AND, OP_OR, /* n-ary */
	OP_NOT,
	OP_CAT,     /* || (n-ary; a null operand gives null) */
	OP_CONCAT,  /* concat() (n-ary; nulls skipped) */
	OP_COALESCE, /* n-ary */
	OP_IF,      /* a ? b : c */
	OP_LOWER, OP_UPPER, OP_TRIM, OP_LTRIM, OP_RTRIM, OP_LENGTH,
	OP_SUBSTR,  /* a, b, c (NONE without a length) */
	OP_REPLACE,
	OP_ABS_I, OP_ABS_D,
	OP_ROUND_I, OP_ROUND_D, /* b: digits or NONE */
	OP_FLOOR, OP_CEIL,      /* of a double */
	OP_DATE,    /* timestamp -> date */
	OP_YEAR, OP_MONTH, OP_DAY, OP_HOUR, /* of a timestamp */
	OP_TRUNC,   /* sub = enum unit */
	OP_EPOCH_MS, OP_FROM_EPOCH_MS,
	OP_CAST,    /* cast */
};

enum cmp { CMP_EQ, CMP_NE, CMP_LT, CMP_LE, CMP_GT, CMP_GE };
#define CMP_UPPER 8
enum unit { U_HOUR, U_DAY, U_MONTH, U_YEAR };

/* How a column's token is read. */
enum ck {
	CK_BOOL, CK_INT, CK_DOUBLE, CK_DECIMAL, CK_STRING, CK_DATE, CK_TS,
	CK_OBJECT, /* struct, map */
	CK_ARRAY,  /* list */
	CK_JSON,   /* json: any value */
};

/* What a CAST makes. */
enum tgt { T_BOOL, T_INT, T_FLOAT, T_DOUBLE, T_DECIMAL, T_STRING, T_DATE, T_TS };

struct cast {
	struct sl_type *type; /* owned: the type named */
	enum tgt tgt;
	int64_t lo, hi;       /* T_INT's range */
	double max_abs;       /* T_DECIMAL: 10^(precision - scale) */
	int scale;            /* T_DECIMAL */
	bool millis;          /* T_TS: timestamp(ms) */
};

struct node {
	uint8_t op;
	uint8_t kind;   /* enum sl_expr_kind of the result; SL_EV_NULL: always null */
	uint8_t sub;
	uint8_t height; /* 1 for a leaf */
	uint32_t pos;   /* byte offset in the text, for messages */
	uint32_t a, b, c; /* operands; n-ary nodes: a = first in args, b = count */
	uint32_t slot;    /* OP_COL */
	const char *name; /* OP_COL: the column's path, for messages */
	const struct sl_type *ctype; /* OP_COL: its catalog type (borrowed from the row) */
	struct cast *cast; /* OP_CAST, owned */
	struct sl_expr_value lit; /* OP_LIT */
};

struct sl_expr {
	struct node *nodes;
	size_t n_nodes, cap_nodes;
	uint32_t *args;
	size_t n_args, cap_args;
	char **strs; /* owned strings: literals, column names */
	size_t n_strs, cap_strs;
	uint32_t root;
};

void sl_expr_free(struct sl_expr *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->n_nodes; i++) {
		if (e->nodes[i].cast) {
			sl_type_free(e->nodes[i].cast->type);
			free(e->nodes[i].cast);
		}
	}
	for (size_t i = 0; i < e->n_strs; i++)
		free(e->strs[i]);
	free(e->strs);
	free(e->nodes);
	free(e->args);
	free(e);
}

static const char *kind_name(int k)
{
	switch (k) {
	case SL_EV_NULL: return "null";
	case SL_EV_BOOL: return "boolean";
	case SL_EV_INT: return "int64";
	case SL_EV_DOUBLE: return "double";
	case SL_EV_STRING: return "string";
	case SL_EV_DATE: return "date";
	case SL_EV_TIMESTAMP: return "timestamp";
	default: return "json";
	}
}

/* ---- the tokenizer --------------------------------------------------------------------- */

enum tk {
	TK_END, TK_INT, TK_DEC, TK_STR, TK_NAME, TK_QNAME,
	TK_LP, TK_RP, TK_COMMA, TK_DOT, TK_PLUS, TK_MINUS, TK_STAR, TK_SLASH, TK_PCT, TK_CAT,
	TK_EQ, TK_NE, TK_LT, TK_LE, TK_GT, TK_GE,
};

struct tok {
	enum tk t;
	size_t pos, end; /* the token's bytes: text[pos .. end) */
	uint64_t u;      /* TK_INT */
	bool big;        /* TK_INT beyond uint64 */
};

struct parser {
	const char *text;
	size_t len;
	struct tok cur;
	struct sl_expr *e;
	struct sl_expr_cols *cols;
	struct sl_err *err;
	int depth;
};

static int perr(struct parser *p, size_t pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int perr(struct parser *p, size_t pos, const char *fmt, ...)
{
	char msg[SL_ERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return sl_err_set(p->err, SL_EINVAL, "at %zu: %s", pos, msg);
}

static inline bool name_start(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static inline bool name_char(char c)
{
	return name_start(c) || is_digit(c);
}

/* The token at text[at], in *t. */
static int lex(struct parser *p, size_t at, struct tok *t)
{
	const char *s = p->text;
	size_t n = p->len;
	while (at < n && (s[at] == ' ' || s[at] == '\t' || s[at] == '\n' || s[at] == '\r'))
		at++;
	memset(t, 0, sizeof(*t));
	t->pos = at;
	if (at >= n) {
		t->t = TK_END;
		t->end = at;
		return 0;
	}
	char c = s[at];
	size_t i = at + 1;
	if (is_digit(c) || (c == '.' && at + 1 < n && is_digit(s[at + 1]))) {
		i = at;
		bool dec = false, over = false;
		uint64_t u = 0;
		while (i < n && is_digit(s[i])) {
			unsigned d = (unsigned)(s[i] - '0');
			if (u > (UINT64_MAX - d) / 10)
				over = true;
			u = u * 10 + d;
			i++;
		}
		if (i < n && s[i] == '.') {
			dec = true;
			size_t st = ++i;
			while (i < n && is_digit(s[i]))
				i++;
			if (i == st)
				return perr(p, i, "expected a digit after the decimal point");
		}
		if (i < n && (s[i] == 'e' || s[i] == 'E')) {
			dec = true;
			i++;
			if (i < n && (s[i] == '+' || s[i] == '-'))
				i++;
			size_t st = i;
			while (i < n && is_digit(s[i]))
				i++;
			if (i == st)
				return perr(p, i, "expected the exponent's digits");
		}
		if (i < n && (name_char(s[i]) || s[i] == '.'))
			return perr(p, at, "a malformed number");
		if (i - at > 400)
			return perr(p, at, "a number of more than 400 characters");
		t->t = dec ? TK_DEC : TK_INT;
		t->u = u;
		t->big = over;
		t->end = i;
		return 0;
	}
	if (name_start(c)) {
		while (i < n && name_char(s[i]))
			i++;
		t->t = TK_NAME;
		t->end = i;
		return 0;
	}
	if (c == '\'' || c == '"') {
		for (;;) {
			if (i >= n)
				return perr(p, at, c == '\'' ? "a string without its closing quote"
							     : "a name without its closing quote");
			if (s[i] == c) {
				if (i + 1 < n && s[i + 1] == c) {
					i += 2;
					continue;
				}
				break;
			}
			i++;
		}
		t->t = c == '\'' ? TK_STR : TK_QNAME;
		t->end = i + 1;
		return 0;
	}
	t->end = at + 1;
	char d = at + 1 < n ? s[at + 1] : '\0';
	switch (c) {
	case '(': t->t = TK_LP; break;
	case ')': t->t = TK_RP; break;
	case ',': t->t = TK_COMMA; break;
	case '.': t->t = TK_DOT; break;
	case '+': t->t = TK_PLUS; break;
	case '-': t->t = TK_MINUS; break;
	case '*': t->t = TK_STAR; break;
	case '/': t->t = TK_SLASH; break;
	case '%': t->t = TK_PCT; break;
	case '|':
		if (d != '|')
			return perr(p, at, "'|' is not an operator (concatenation is '||')");
		t->t = TK_CAT;
		t->end++;
		break;
	case '=':
		t->t = TK_EQ;
		t->end += d == '=';
		break;
	case '!':
		if (d != '=')
			return perr(p, at, "'!' is not an operator (use NOT or '!=')");
		t->t = TK_NE;
		t->end++;
		break;
	case '<':
		t->t = d == '=' ? TK_LE : d == '>' ? TK_NE : TK_LT;
		t->end += d == '=' || d == '>';
		break;
	case '>':
		t->t = d == '=' ? TK_GE : TK_GT;
		t->end += d == '=';
		break;
	default:
		if ((unsigned char)c < 0x20 || c == 0x7f)
			return perr(p, at, "an unexpected control character (byte 0x%02x)",
				    (unsigned char)c);
		return perr(p, at, "an unexpected character '%.*s'",
			    (int)(sl_utf8_valid_prefix(s + at, n - at) ?
				  sl_utf8_valid_prefix(s + at, n - at) : 1), s + at);
	}
	return 0;
}

static int advance(struct parser *p)
{
	return lex(p, p->cur.end, &p->cur);
}

/* Whether the current token is the (case-insensitive) word w. */
static bool is_kw(const struct parser *p, const char *w)
{
	size_t n = p->cur.end - p->cur.pos;
	return p->cur.t == TK_NAME && strlen(w) == n &&
	       strncasecmp(p->text + p->cur.pos, w, n) == 0;
}

static const char *const reserved[] = {"and", "or", "not", "is", "null", "in", "like",
				       "cast", "as", "true", "false"};

static bool is_reserved(const struct parser *p)
{
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (is_kw(p, reserved[i]))
			return true;
	return false;
}

/* How the current token reads in a message: 'text' or "the end". */
static const char *tok_desc(const struct parser *p, char *buf, size_t cap)
{
	if (p->cur.t == TK_END)
		return "the end";
	size_t n = p->cur.end - p->cur.pos;
	snprintf(buf, cap, "'%.*s%s'", (int)(n > 40 ? 40 : n), p->text + p->cur.pos,
		 n > 40 ? "..." : "");
	return buf;
}

static int expect(struct parser *p, enum tk t, const char *what)
{
	if (p->cur.t != t) {
		char b[64];
		return perr(p, p->cur.pos, "expected %s, got %s", what, tok_desc(p, b, sizeof(b)));
	}
	return advance(p);
}

/* A new string of n bytes (and a NUL) owned by the expression. */
static char *new_str(struct parser *p, size_t n)
{
	struct sl_expr *e = p->e;
	if (e->n_strs == e->cap_strs) {
		size_t cap = e->cap_strs ? 2 * e->cap_strs : 8;
		char **v = realloc(e->strs, cap * sizeof(*v));
		if (!v)
			return NULL;
		e->strs = v;
		e->cap_strs = cap;
	}
	char *d = malloc(n + 1);
	if (d)
		e->strs[e->n_strs++] = d;
	return d;
}

/* A copy, owned by the expression, of a quoted token's contents with doubled quotes
 * undone. */
static int unquote(struct parser *p, const struct tok *t, const char **out, size_t *out_len)
{
	const char *s = p->text + t->pos + 1;
	size_t n = t->end - t->pos - 2;
	char q = p->text[t->pos];
	char *d = new_str(p, n);
	if (!d)
		return sl_err_set(p->err, SL_ENOMEM, "out of memory");
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		d[k++] = s[i];
		if (s[i] == q)
			i++; /* the second of a doubled quote */
	}
	d[k] = '\0';
	*out = d;
	*out_len = k;
	return 0;
}

/* A copy of s owned by the expression. */
static int own(struct parser *p, const char *s, size_t n, const char **out)
{
	char *d = new_str(p, n);
	if (!d)
		return sl_err_set(p->err, SL_ENOMEM, "out of memory");
	memcpy(d, s, n);
	d[n] = '\0';
	*out = d;
	return 0;
}

/* ---- building nodes ---------------------------------------------------------------- */

static inline struct node *N(struct parser *p, uint32_t i)
{
	return &p->e->nodes[i];
}

static int new_node(struct parser *p, uint8_t op, uint8_t kind, size_t pos, uint32_t *out)
{
	struct sl_expr *e = p->e;
	if (e->n_nodes == e->cap_nodes) {
		size_t cap = e->cap_nodes ? 2 * e->cap_nodes : 16;
		struct node *v = realloc(e->nodes, cap * sizeof(*v));
		if (!v)
			return sl_err_set(p->err, SL_ENOMEM, "out of memory");
		e->nodes = v;
		e->cap_nodes = cap;
	}
	struct node *n = &e->nodes[e->n_nodes];
	memset(n, 0, sizeof(*n));
	n->op = op;
	n->kind = kind;
	n->pos = (uint32_t)pos;
	n->a = n->b = n->c = NONE;
	n->height = 1;
	*out = (uint32_t)e->n_nodes++;
	return 0;
}

static int set_height(struct parser *p, uint32_t i, uint32_t child)
{
	if (child == NONE)
		return 0;
	/* SL_EXPR_MAX_DEPTH levels of operators over their leaves */
	int h = N(p, child)->height + 1;
	if (h > SL_EXPR_MAX_DEPTH + 1)
		return perr(p, N(p, i)->pos, "the expression nests deeper than %d levels",
			    SL_EXPR_MAX_DEPTH);
	if (h > N(p, i)->height)
		N(p, i)->height = (uint8_t)h;
	return 0;
}

/* A node over up to three operands. */
static int mk(struct parser *p, uint8_t op, uint8_t kind, size_t pos, uint32_t a, uint32_t b,
	      uint32_t c, uint32_t *out)
{
	int rc = new_node(p, op, kind, pos, out);
	if (rc)
		return rc;
	N(p, *out)->a = a;
	N(p, *out)->b = b;
	N(p, *out)->c = c;
	if ((rc = set_height(p, *out, a)) || (rc = set_height(p, *out, b)) ||
	    (rc = set_height(p, *out, c)))
		return rc;
	return 0;
}

/* An n-ary node over v[0 .. n). */
static int mk_n(struct parser *p, uint8_t op, uint8_t kind, size_t pos, const uint32_t *v,
		size_t n, uint32_t *out)
{
	struct sl_expr *e = p->e;
	int rc = new_node(p, op, kind, pos, out);
	if (rc)
		return rc;
	if (e->cap_args - e->n_args < n) {
		size_t cap = e->cap_args ? e->cap_args : 16;
		while (cap - e->n_args < n)
			cap *= 2;
		uint32_t *a = realloc(e->args, cap * sizeof(*a));
		if (!a)
			return sl_err_set(p->err, SL_ENOMEM, "out of memory");
		e->args = a;
		e->cap_args = cap;
	}
	memcpy(e->args + e->n_args, v, n * sizeof(*v));
	N(p, *out)->a = (uint32_t)e->n_args;
	N(p, *out)->b = (uint32_t)n;
	e->n_args += n;
	for (size_t i = 0; i < n; i++)
		if ((rc = set_height(p, *out, v[i])) != 0)
			return rc;
	return 0;
}

static int mk_lit(struct parser *p, const struct sl_expr_value *v, size_t pos, uint32_t *out)
{
	int rc = new_node(p, OP_LIT, (uint8_t)v->kind, pos, out);
	if (rc == 0)
		N(p, *out)->lit = *v;
	return rc;
}

/* A growable list of node indices, for n-ary nodes while they are parsed. */
struct list {
	uint32_t *v;
	size_t n, cap;
	uint32_t small[8];
};

static void list_init(struct list *l)
{
	l->v = l->small;
	l->n = 0;
	l->cap = 8;
}

static int list_push(struct parser *p, struct list *l, uint32_t x)
{
	if (l->n == l->cap) {
		uint32_t *v = malloc(2 * l->cap * sizeof(*v));
		if (!v)
			return sl_err_set(p->err, SL_ENOMEM, "out of memory");
		memcpy(v, l->v, l->n * sizeof(*v));
		if (l->v != l->small)
			free(l->v);
		l->v = v;
		l->cap *= 2;
	}
	l->v[l->n++] = x;
	return 0;
}

static void list_release(struct list *l)
{
	if (l->v != l->small)
		free(l->v);
}

static bool is_lit(struct parser *p, uint32_t i)
{
	return N(p, i)->op == OP_LIT;
}

/* *i as a value of kind `to` (int64 -> double, string -> timestamp, a string literal ->
 * date, a null literal -> anything): converted once when *i is a literal, else through a
 * conversion node. The caller has checked that the conversion is one of these. */
static int convert(struct parser *p, uint32_t *i, int to)
{
	struct node *n = N(p, *i);
	if (n->kind == to)
		return 0;
	if (n->kind == SL_EV_NULL) {
		if (n->op == OP_LIT)
			n->kind = (uint8_t)to; /* its value stays null */
		return 0;
	}
	if (n->kind == SL_EV_INT && to == SL_EV_DOUBLE) {
		if (n->op == OP_LIT) {
			n->lit.v.d = (double)n->lit.v.i;
			n->lit.kind = SL_EV_DOUBLE;
			n->kind = SL_EV_DOUBLE;
			return 0;
		}
		return mk(p, OP_TO_D, SL_EV_DOUBLE, n->pos, *i, NONE, NONE, i);
	}
	if (n->kind == SL_EV_DATE && to == SL_EV_TIMESTAMP) {
		if (n->op == OP_LIT) {
			n->lit.v.i *= SL_US_PER_DAY; /* dates of literals are years 0 .. 9999 */
			n->lit.kind = SL_EV_TIMESTAMP;
			n->kind = SL_EV_TIMESTAMP;
			return 0;
		}
		return mk(p, OP_DATE_TS, SL_EV_TIMESTAMP, n->pos, *i, NONE, NONE, i);
	}
	if (n->kind == SL_EV_STRING && n->op == OP_LIT) {
		const char *s = n->lit.v.s.p;
		size_t len = n->lit.v.s.n;
		if (to == SL_EV_DATE) {
			int64_t days;
			if (!sl_date_parse(s, len, &days))
				return perr(p, n->pos, "'%.*s' is not a date (YYYY-MM-DD)",
					    (int)(len > 64 ? 64 : len), s);
			n->lit.kind = SL_EV_DATE;
			n->lit.v.i = days;
			n->kind = SL_EV_DATE;
			return 0;
		}
		struct sl_datetime dt;
		if (!sl_datetime_parse(s, len, &dt))
			return perr(p, n->pos,
				    "'%.*s' is not an RFC 3339 date-time with an offset",
				    (int)(len > 64 ? 64 : len), s);
		n->lit.kind = SL_EV_TIMESTAMP;
		n->lit.v.i = sl_datetime_units(&dt, 1000000);
		n->kind = SL_EV_TIMESTAMP;
		return 0;
	}
	/* a string to a timestamp, per record */
	return mk(p, OP_STR_TS, SL_EV_TIMESTAMP, n->pos, *i, NONE, NONE, i);
}

static bool numeric(int k)
{
	return k == SL_EV_INT || k == SL_EV_DOUBLE || k == SL_EV_NULL;
}

/* Makes *l and *r comparable, or says why not. Sets *op to the comparison to use. */
static int comparable(struct parser *p, uint32_t *l, uint32_t *r, size_t pos, uint8_t *op,
		      bool convert_left)
{
	int kl = N(p, *l)->kind, kr = N(p, *r)->kind;
	int rc;
	if (kl == SL_EV_JSON || kr == SL_EV_JSON)
		goto bad;
	if (kl == SL_EV_NULL || kr == SL_EV_NULL) {
		int k = kl == SL_EV_NULL ? kr : kl;
		*op = k == SL_EV_DOUBLE ? OP_CMP_D : k == SL_EV_STRING ? OP_CMP_S
			: k == SL_EV_BOOL ? OP_CMP_B : OP_CMP_I;
		return 0;
	}
	if (kl == SL_EV_INT && kr == SL_EV_INT) {
		*op = OP_CMP_I;
		return 0;
	}
	if (numeric(kl) && numeric(kr)) {
		if (kl == SL_EV_DOUBLE && kr == SL_EV_DOUBLE) {
			*op = OP_CMP_D;
			return 0;
		}
		/* an int64 literal that a double holds exactly becomes one; else the exact
		 * comparison of an int64 with a double */
		uint32_t *ip = kl == SL_EV_INT ? l : r;
		if (is_lit(p, *ip) && (ip == r || convert_left)) {
			int64_t v = N(p, *ip)->lit.v.i;
			if (v >= -(INT64_C(1) << 53) && v <= (INT64_C(1) << 53)) {
				if ((rc = convert(p, ip, SL_EV_DOUBLE)) != 0)
					return rc;
				*op = OP_CMP_D;
				return 0;
			}
		}
		*op = kl == SL_EV_INT ? OP_CMP_ID : OP_CMP_DI;
		return 0;
	}
	if (kl == kr) {
		*op = kl == SL_EV_STRING ? OP_CMP_S : kl == SL_EV_BOOL ? OP_CMP_B : OP_CMP_I;
		return 0;
	}
	/* dates and timestamps with strings: a literal is converted once, a string that is
	 * not is read as a timestamp per record */
	for (int side = 0; side < 2; side++) {
		uint32_t *t = side ? l : r, *o = side ? r : l;
		int kt = N(p, *t)->kind, ko = N(p, *o)->kind;
		if (kt != SL_EV_STRING || (ko != SL_EV_DATE && ko != SL_EV_TIMESTAMP))
			continue;
		if (t == l && !convert_left)
			break;
		if (ko == SL_EV_DATE && !is_lit(p, *t))
			break;
		if ((rc = convert(p, t, ko)) != 0)
			return rc;
		*op = OP_CMP_I;
		return 0;
	}
bad:
	return perr(p, pos, "cannot compare %s with %s", kind_name(kl), kind_name(kr));
}

/* ---- the grammar --------------------------------------------------------------------- */

static int parse_or(struct parser *p, uint32_t *out);

/* One level deeper, for the construct at pos. */
static int enter(struct parser *p, size_t pos)
{
	if (++p->depth > SL_EXPR_MAX_DEPTH)
		return perr(p, pos, "the expression nests deeper than %d levels",
			    SL_EXPR_MAX_DEPTH);
	return 0;
}

static int need_bool(struct parser *p, uint32_t i, const char *what)
{
	int k = N(p, i)->kind;
	if (k != SL_EV_BOOL && k != SL_EV_NULL)
		return perr(p, N(p, i)->pos, "%s needs booleans, got %s", what, kind_name(k));
	if (k == SL_EV_NULL && N(p, i)->op == OP_LIT)
		N(p, i)->kind = SL_EV_BOOL;
	return 0;
}

/* and (AND and)* and not (NOT not)*: `word` joins operands parsed by sub. */
static int parse_chain(struct parser *p, const char *word, uint8_t op,
		       int (*sub)(struct parser *, uint32_t *), uint32_t *out)
{
	uint32_t x;
	int rc = sub(p, &x);
	if (rc || !is_kw(p, word)) {
		*out = x;
		return rc;
	}
	size_t pos = p->cur.pos;
	struct list l;
	list_init(&l);
	if ((rc = need_bool(p, x, word)) || (rc = list_push(p, &l, x)))
		goto out;
	while (is_kw(p, word)) {
		if ((rc = advance(p)) || (rc = sub(p, &x)) || (rc = need_bool(p, x, word)) ||
		    (rc = list_push(p, &l, x)))
			goto out;
	}
	rc = mk_n(p, op, SL_EV_BOOL, pos, l.v, l.n, out);
out:
	list_release(&l);
	return rc;
}

static int parse_concat(struct parser *p, uint32_t *out);

/* lower(x) compared with a literal that lower() would not change (or upper(x) with one
 * upper() would not) compares x's bytes case-folded one by one: no string to make. */
static void fold_cmp(struct parser *p, uint32_t *l, uint32_t *r, uint8_t *op, uint8_t *how)
{
	static const uint8_t flip[] = {CMP_EQ, CMP_NE, CMP_GT, CMP_GE, CMP_LT, CMP_LE};
	bool swap = N(p, *l)->op == OP_LIT;
	const struct node *f = N(p, swap ? *r : *l), *lit = N(p, swap ? *l : *r);
	if ((f->op != OP_LOWER && f->op != OP_UPPER) || lit->op != OP_LIT ||
	    lit->kind != SL_EV_STRING || lit->lit.kind != SL_EV_STRING)
		return;
	char lo = f->op == OP_UPPER ? 'a' : 'A', hi = f->op == OP_UPPER ? 'z' : 'Z';
	for (size_t i = 0; i < lit->lit.v.s.n; i++)
		if (lit->lit.v.s.p[i] >= lo && lit->lit.v.s.p[i] <= hi)
			return; /* never equal: left to the general case */
	uint32_t inner = f->a, lit_i = swap ? *l : *r;
	*how = (uint8_t)((swap ? flip[*how] : *how) | (f->op == OP_UPPER ? CMP_UPPER : 0));
	*l = inner;
	*r = lit_i;
	*op = OP_CMP_FOLD;
}

static int parse_cmp(struct parser *p, uint32_t *out)
{
	uint32_t l, r;
	int rc = parse_concat(p, &l);
	if (rc)
		return rc;
	size_t pos = p->cur.pos;
	enum tk t = p->cur.t;
	if (t >= TK_EQ && t <= TK_GE) {
		static const uint8_t cmp_of[] = {CMP_EQ, CMP_NE, CMP_LT, CMP_LE, CMP_GT, CMP_GE};
		uint8_t op, how = cmp_of[t - TK_EQ];
		if ((rc = advance(p)) || (rc = parse_concat(p, &r)) ||
		    (rc = comparable(p, &l, &r, pos, &op, true)))
			return rc;
		if (op == OP_CMP_S)
			fold_cmp(p, &l, &r, &op, &how);
		if ((rc = mk(p, op, SL_EV_BOOL, pos, l, r, NONE, out)))
			return rc;
		N(p, *out)->sub = how;
		return 0;
	}
	if (is_kw(p, "is")) {
		bool neg = false;
		if ((rc = advance(p)))
			return rc;
		if (is_kw(p, "not")) {
			neg = true;
			if ((rc = advance(p)))
				return rc;
		}
		if (!is_kw(p, "null")) {
			char b[64];
			return perr(p, p->cur.pos, "expected NULL after IS%s, got %s",
				    neg ? " NOT" : "", tok_desc(p, b, sizeof(b)));
		}
		if ((rc = advance(p)) ||
		    (rc = mk(p, OP_IS_NULL, SL_EV_BOOL, pos, l, NONE, NONE, out)))
			return rc;
		N(p, *out)->sub = neg;
		return 0;
	}
	bool neg = false;
	if (is_kw(p, "not")) {
		neg = true;
		if ((rc = advance(p)))
			return rc;
		if (!is_kw(p, "in") && !is_kw(p, "like")) {
			char b[64];
			return perr(p, p->cur.pos, "expected IN or LIKE after NOT, got %s",
				    tok_desc(p, b, sizeof(b)));
		}
	}
	if (is_kw(p, "like")) {
		if ((rc = advance(p)) || (rc = parse_concat(p, &r)))
			return rc;
		int kl = N(p, l)->kind, kr = N(p, r)->kind;
		if ((kl != SL_EV_STRING && kl != SL_EV_NULL) ||
		    (kr != SL_EV_STRING && kr != SL_EV_NULL))
			return perr(p, pos, "LIKE needs strings, got %s LIKE %s", kind_name(kl),
				    kind_name(kr));
		if ((rc = mk(p, OP_LIKE, SL_EV_BOOL, pos, l, r, NONE, out)))
			return rc;
		N(p, *out)->sub = neg;
		return 0;
	}
	if (is_kw(p, "in")) {
		struct list v;
		list_init(&v);
		if ((rc = advance(p)) || (rc = enter(p, p->cur.pos)) ||
		    (rc = expect(p, TK_LP, "'(' after IN")) || (rc = list_push(p, &v, l)))
			goto in_out;
		for (;;) {
			uint8_t op;
			if ((rc = parse_or(p, &r)) ||
			    (rc = comparable(p, &l, &r, pos, &op, false)) ||
			    (rc = list_push(p, &v, r)))
				goto in_out;
			if (p->cur.t != TK_COMMA)
				break;
			if ((rc = advance(p)))
				goto in_out;
		}
		p->depth--;
		if ((rc = expect(p, TK_RP, "',' or ')' in the IN list")) ||
		    (rc = mk_n(p, OP_IN, SL_EV_BOOL, pos, v.v, v.n, out)))
			goto in_out;
		N(p, *out)->sub = neg;
in_out:
		list_release(&v);
		return rc;
	}
	*out = l;
	return 0;
}

static int parse_not(struct parser *p, uint32_t *out)
{
	if (!is_kw(p, "not"))
		return parse_cmp(p, out);
	size_t pos = p->cur.pos;
	uint32_t x;
	int rc;
	if ((rc = enter(p, pos)) || (rc = advance(p)) || (rc = parse_not(p, &x)) ||
	    (rc = need_bool(p, x, "NOT")))
		return rc;
	p->depth--;
	return mk(p, OP_NOT, SL_EV_BOOL, pos, x, NONE, NONE, out);
}

static int parse_and(struct parser *p, uint32_t *out)
{
	return parse_chain(p, "AND", OP_AND, parse_not, out);
}

static int parse_or(struct parser *p, uint32_t *out)
{
	return parse_chain(p, "OR", OP_OR, parse_and, out);
}

static int need_scalar(struct parser *p, uint32_t i, const char *what)
{
	if (N(p, i)->kind == SL_EV_JSON)
		return perr(p, N(p, i)->pos, "%s takes no json value", what);
	return 0;
}

static int parse_add(struct parser *p, uint32_t *out);

static int parse_concat(struct parser *p, uint32_t *out)
{
	uint32_t x;
	int rc = parse_add(p, &x);
	if (rc || p->cur.t != TK_CAT) {
		*out = x;
		return rc;
	}
	size_t pos = p->cur.pos;
	struct list l;
	list_init(&l);
	if ((rc = need_scalar(p, x, "'||'")) || (rc = list_push(p, &l, x)))
		goto out;
	while (p->cur.t == TK_CAT) {
		if ((rc = advance(p)) || (rc = parse_add(p, &x)) ||
		    (rc = need_scalar(p, x, "'||'")) || (rc = list_push(p, &l, x)))
			goto out;
	}
	rc = mk_n(p, OP_CAT, SL_EV_STRING, pos, l.v, l.n, out);
out:
	list_release(&l);
	return rc;
}

/* l op r for + - * / %. */
static int arith(struct parser *p, enum tk t, size_t pos, uint32_t l, uint32_t r, uint32_t *out)
{
	static const char sym[] = "+-*/%";
	int kl = N(p, l)->kind, kr = N(p, r)->kind;
	int i = t == TK_PLUS ? 0 : t == TK_MINUS ? 1 : t == TK_STAR ? 2 : t == TK_SLASH ? 3 : 4;
	if (!numeric(kl) || !numeric(kr))
		return perr(p, pos, "'%c' needs numbers, got %s and %s", sym[i], kind_name(kl),
			    kind_name(kr));
	int rc;
	if (kl == SL_EV_DOUBLE || kr == SL_EV_DOUBLE) {
		static const uint8_t ops[] = {OP_ADD_D, OP_SUB_D, OP_MUL_D, OP_DIV_D, OP_MOD_D};
		if ((rc = convert(p, &l, SL_EV_DOUBLE)) || (rc = convert(p, &r, SL_EV_DOUBLE)))
			return rc;
		return mk(p, ops[i], SL_EV_DOUBLE, pos, l, r, NONE, out);
	}
	static const uint8_t ops[] = {OP_ADD_I, OP_SUB_I, OP_MUL_I, OP_DIV_I, OP_MOD_I};
	if ((rc = convert(p, &l, SL_EV_INT)) || (rc = convert(p, &r, SL_EV_INT)))
		return rc;
	return mk(p, ops[i], SL_EV_INT, pos, l, r, NONE, out);
}

static int parse_unary(struct parser *p, uint32_t *out);

static int parse_mul(struct parser *p, uint32_t *out)
{
	uint32_t l, r;
	int rc = parse_unary(p, &l);
	while (rc == 0 && (p->cur.t == TK_STAR || p->cur.t == TK_SLASH || p->cur.t == TK_PCT)) {
		enum tk t = p->cur.t;
		size_t pos = p->cur.pos;
		if ((rc = advance(p)) || (rc = parse_unary(p, &r)) ||
		    (rc = arith(p, t, pos, l, r, &l)))
			return rc;
	}
	*out = l;
	return rc;
}

static int parse_add(struct parser *p, uint32_t *out)
{
	uint32_t l, r;
	int rc = parse_mul(p, &l);
	while (rc == 0 && (p->cur.t == TK_PLUS || p->cur.t == TK_MINUS)) {
		enum tk t = p->cur.t;
		size_t pos = p->cur.pos;
		if ((rc = advance(p)) || (rc = parse_mul(p, &r)) ||
		    (rc = arith(p, t, pos, l, r, &l)))
			return rc;
	}
	*out = l;
	return rc;
}

static int parse_primary(struct parser *p, uint32_t *out);

static int parse_unary(struct parser *p, uint32_t *out)
{
	if (p->cur.t != TK_MINUS)
		return parse_primary(p, out);
	size_t pos = p->cur.pos;
	int rc;
	if ((rc = enter(p, pos)) || (rc = advance(p)))
		return rc;
	/* -9223372036854775808 is an int64 although 9223372036854775808 is not */
	if (p->cur.t == TK_INT && !p->cur.big && p->cur.u == (uint64_t)INT64_MAX + 1) {
		struct sl_expr_value v = {.kind = SL_EV_INT, .v.i = INT64_MIN};
		p->depth--;
		if ((rc = advance(p)))
			return rc;
		return mk_lit(p, &v, pos, out);
	}
	uint32_t x;
	if ((rc = parse_unary(p, &x)))
		return rc;
	p->depth--;
	struct node *n = N(p, x);
	if (!numeric(n->kind))
		return perr(p, pos, "'-' needs a number, got %s", kind_name(n->kind));
	if (n->op == OP_LIT && n->kind == SL_EV_INT) {
		if (n->lit.v.i == INT64_MIN)
			return perr(p, pos, "integer overflow");
		n->lit.v.i = -n->lit.v.i;
		n->pos = (uint32_t)pos;
		*out = x;
		return 0;
	}
	if (n->op == OP_LIT && n->kind == SL_EV_DOUBLE) {
		n->lit.v.d = -n->lit.v.d;
		n->pos = (uint32_t)pos;
		*out = x;
		return 0;
	}
	return mk(p, n->kind == SL_EV_DOUBLE ? OP_NEG_D : OP_NEG_I,
		  n->kind == SL_EV_NULL ? SL_EV_INT : n->kind, pos, x, NONE, NONE, out);
}

/* ---- functions ----------------------------------------------------------------------- */

enum fn {
	F_LOWER, F_UPPER, F_TRIM, F_LTRIM, F_RTRIM, F_LENGTH, F_SUBSTR, F_REPLACE, F_CONCAT,
	F_COALESCE, F_IF, F_ABS, F_ROUND, F_FLOOR, F_CEIL, F_DATE, F_YEAR, F_MONTH, F_DAY,
	F_HOUR, F_DATE_TRUNC, F_EPOCH_MS, F_FROM_EPOCH_MS,
};

static const struct {
	const char *name;
	enum fn fn;
	uint8_t min, max; /* arguments; max 255: any number */
} fns[] = {
	{"lower", F_LOWER, 1, 1},       {"upper", F_UPPER, 1, 1},
	{"trim", F_TRIM, 1, 1},         {"ltrim", F_LTRIM, 1, 1},
	{"rtrim", F_RTRIM, 1, 1},       {"length", F_LENGTH, 1, 1},
	{"substr", F_SUBSTR, 2, 3},     {"replace", F_REPLACE, 3, 3},
	{"concat", F_CONCAT, 1, 255},   {"coalesce", F_COALESCE, 1, 255},
	{"if", F_IF, 3, 3},             {"abs", F_ABS, 1, 1},
	{"round", F_ROUND, 1, 2},       {"floor", F_FLOOR, 1, 1},
	{"ceil", F_CEIL, 1, 1},         {"date", F_DATE, 1, 1},
	{"year", F_YEAR, 1, 1},         {"month", F_MONTH, 1, 1},
	{"day", F_DAY, 1, 1},           {"hour", F_HOUR, 1, 1},
	{"date_trunc", F_DATE_TRUNC, 2, 2}, {"epoch_ms", F_EPOCH_MS, 1, 1},
	{"from_epoch_ms", F_FROM_EPOCH_MS, 1, 1},
};

/* Argument i of a function must have kind k (or be null). */
static int want_arg(struct parser *p, const char *fname, uint32_t *a, int k, const char *what)
{
	int ka = N(p, *a)->kind;
	if (ka == k || ka == SL_EV_NULL)
		return convert(p, a, k);
	if (k == SL_EV_DOUBLE && ka == SL_EV_INT)
		return convert(p, a, k);
	return perr(p, N(p, *a)->pos, "%s: %s must be %s, got %s", fname, what, kind_name(k),
		    kind_name(ka));
}

/* An argument that wants a timestamp: a timestamp, a date (its midnight) or a string
 * (read as RFC 3339). */
static int want_time(struct parser *p, const char *fname, uint32_t *a)
{
	int ka = N(p, *a)->kind;
	if (ka == SL_EV_TIMESTAMP || ka == SL_EV_NULL || ka == SL_EV_DATE || ka == SL_EV_STRING)
		return convert(p, a, SL_EV_TIMESTAMP);
	return perr(p, N(p, *a)->pos, "%s: expected a timestamp, a date or a string, got %s",
		    fname, kind_name(ka));
}

/* The common kind of v[0 .. n) (coalesce, if's branches), converting them to it. */
static int unify(struct parser *p, const char *fname, uint32_t *v, size_t n, int *kind)
{
	int k = SL_EV_NULL;
	for (size_t i = 0; i < n; i++) {
		int ki = N(p, v[i])->kind;
		if (ki == SL_EV_NULL || ki == k)
			continue;
		if (k == SL_EV_NULL || (k == SL_EV_INT && ki == SL_EV_DOUBLE) ||
		    (k == SL_EV_STRING && (ki == SL_EV_DATE || ki == SL_EV_TIMESTAMP)))
			k = ki;
		else if ((k == SL_EV_DOUBLE && ki == SL_EV_INT) ||
			 ((k == SL_EV_DATE || k == SL_EV_TIMESTAMP) && ki == SL_EV_STRING))
			continue;
		else
			return perr(p, N(p, v[i])->pos,
				    "%s: arguments of different types (%s and %s)", fname,
				    kind_name(k), kind_name(ki));
	}
	for (size_t i = 0; i < n; i++) {
		int ki = N(p, v[i])->kind;
		if (ki == SL_EV_STRING && k != SL_EV_STRING && !is_lit(p, v[i]))
			return perr(p, N(p, v[i])->pos,
				    "%s: arguments of different types (%s and string)", fname,
				    kind_name(k));
		int rc = convert(p, &v[i], k);
		if (rc)
			return rc;
	}
	*kind = k;
	return 0;
}

static int parse_call(struct parser *p, size_t pos, size_t name_len, uint32_t *out)
{
	const char *name = p->text + pos;
	size_t f = 0;
	for (; f < sizeof(fns) / sizeof(fns[0]); f++)
		if (strlen(fns[f].name) == name_len &&
		    strncasecmp(fns[f].name, name, name_len) == 0)
			break;
	if (f == sizeof(fns) / sizeof(fns[0]))
		return perr(p, pos, "no function '%.*s'", (int)(name_len > 64 ? 64 : name_len),
			    name);
	const char *fname = fns[f].name;
	int rc;
	struct list l;
	list_init(&l);
	if ((rc = enter(p, pos)) || (rc = advance(p))) /* past '(' */
		goto out;
	if (p->cur.t != TK_RP) {
		for (;;) {
			uint32_t x;
			if ((rc = parse_or(p, &x)) || (rc = list_push(p, &l, x)))
				goto out;
			if (p->cur.t != TK_COMMA)
				break;
			if ((rc = advance(p)))
				goto out;
		}
	}
	p->depth--;
	if ((rc = expect(p, TK_RP, "',' or ')' after an argument")))
		goto out;
	if (l.n < fns[f].min || l.n > fns[f].max) {
		if (fns[f].min == fns[f].max)
			rc = perr(p, pos, "%s takes %u argument%s, got %zu", fname, fns[f].min,
				  fns[f].min == 1 ? "" : "s", l.n);
		else if (fns[f].max == 255)
			rc = perr(p, pos, "%s takes at least %u argument%s, got %zu", fname,
				  fns[f].min, fns[f].min == 1 ? "" : "s", l.n);
		else
			rc = perr(p, pos, "%s takes %u to %u arguments, got %zu", fname, fns[f].min,
				  fns[f].max, l.n);
		goto out;
	}
	uint32_t *a = l.v;
	int k;
	switch (fns[f].fn) {
	case F_LOWER:
	case F_UPPER:
	case F_TRIM:
	case F_LTRIM:
	case F_RTRIM: {
		static const uint8_t ops[] = {OP_LOWER, OP_UPPER, OP_TRIM, OP_LTRIM, OP_RTRIM};
		if (!(rc = want_arg(p, fname, &a[0], SL_EV_STRING, "its argument")))
			rc = mk(p, ops[fns[f].fn - F_LOWER], SL_EV_STRING, pos, a[0], NONE, NONE,
				out);
		break;
	}
	case F_LENGTH:
		if (!(rc = want_arg(p, fname, &a[0], SL_EV_STRING, "its argument")))
			rc = mk(p, OP_LENGTH, SL_EV_INT, pos, a[0], NONE, NONE, out);
		break;
	case F_SUBSTR:
		if (!(rc = want_arg(p, fname, &a[0], SL_EV_STRING, "the string")) &&
		    !(rc = want_arg(p, fname, &a[1], SL_EV_INT, "the start")) &&
		    !(l.n == 3 && (rc = want_arg(p, fname, &a[2], SL_EV_INT, "the length"))))
			rc = mk(p, OP_SUBSTR, SL_EV_STRING, pos, a[0], a[1], l.n == 3 ? a[2] : NONE,
				out);
		break;
	case F_REPLACE:
		if (!(rc = want_arg(p, fname, &a[0], SL_EV_STRING, "the string")) &&
		    !(rc = want_arg(p, fname, &a[1], SL_EV_STRING, "what to replace")) &&
		    !(rc = want_arg(p, fname, &a[2], SL_EV_STRING, "the replacement")))
			rc = mk(p, OP_REPLACE, SL_EV_STRING, pos, a[0], a[1], a[2], out);
		break;
	case F_CONCAT:
		for (size_t i = 0; rc == 0 && i < l.n; i++)
			rc = need_scalar(p, a[i], "concat");
		if (rc == 0)
			rc = mk_n(p, OP_CONCAT, SL_EV_STRING, pos, a, l.n, out);
		break;
	case F_COALESCE:
		if (!(rc = unify(p, fname, a, l.n, &k)))
			rc = mk_n(p, OP_COALESCE, (uint8_t)k, pos, a, l.n, out);
		break;
	case F_IF:
		if (!(rc = need_bool(p, a[0], "if's condition")) &&
		    !(rc = unify(p, fname, a + 1, 2, &k)))
			rc = mk(p, OP_IF, (uint8_t)k, pos, a[0], a[1], a[2], out);
		break;
	case F_ABS:
	case F_FLOOR:
	case F_CEIL:
	case F_ROUND:
		k = N(p, a[0])->kind;
		if (!numeric(k)) {
			rc = perr(p, N(p, a[0])->pos, "%s: expected a number, got %s", fname,
				  kind_name(k));
			break;
		}
		if (k == SL_EV_NULL)
			k = SL_EV_INT;
		if (l.n == 2 && (rc = want_arg(p, fname, &a[1], SL_EV_INT, "the digits")))
			break;
		if ((rc = convert(p, &a[0], k)))
			break;
		if (fns[f].fn == F_ABS)
			rc = mk(p, k == SL_EV_INT ? OP_ABS_I : OP_ABS_D, (uint8_t)k, pos, a[0],
				NONE, NONE, out);
		else if (fns[f].fn == F_ROUND)
			rc = mk(p, k == SL_EV_INT ? OP_ROUND_I : OP_ROUND_D, (uint8_t)k, pos, a[0],
				l.n == 2 ? a[1] : NONE, NONE, out);
		else if (k == SL_EV_INT)
			*out = a[0]; /* an integer is its own floor and ceiling */
		else
			rc = mk(p, fns[f].fn == F_FLOOR ? OP_FLOOR : OP_CEIL, SL_EV_DOUBLE, pos,
				a[0], NONE, NONE, out);
		break;
	case F_DATE:
		if (N(p, a[0])->kind == SL_EV_DATE) {
			*out = a[0];
			break;
		}
		if (!(rc = want_time(p, fname, &a[0])))
			rc = mk(p, OP_DATE, SL_EV_DATE, pos, a[0], NONE, NONE, out);
		break;
	case F_YEAR:
	case F_MONTH:
	case F_DAY:
	case F_HOUR: {
		static const uint8_t ops[] = {OP_YEAR, OP_MONTH, OP_DAY, OP_HOUR};
		if (!(rc = want_time(p, fname, &a[0])))
			rc = mk(p, ops[fns[f].fn - F_YEAR], SL_EV_INT, pos, a[0], NONE, NONE, out);
		break;
	}
	case F_DATE_TRUNC: {
		struct node *u = N(p, a[0]);
		static const char *const units[] = {"hour", "day", "month", "year"};
		size_t ui = 4;
		if (u->op == OP_LIT && u->kind == SL_EV_STRING)
			for (ui = 0; ui < 4; ui++)
				if (u->lit.v.s.n == strlen(units[ui]) &&
				    strncasecmp(u->lit.v.s.p, units[ui], u->lit.v.s.n) == 0)
					break;
		if (ui == 4) {
			rc = perr(p, u->pos, "date_trunc: the unit must be 'hour', 'day', 'month' "
				  "or 'year'");
			break;
		}
		if (!(rc = want_time(p, fname, &a[1])) &&
		    !(rc = mk(p, OP_TRUNC, SL_EV_TIMESTAMP, pos, a[1], NONE, NONE, out)))
			N(p, *out)->sub = (uint8_t)ui;
		break;
	}
	case F_EPOCH_MS:
		if (!(rc = want_time(p, fname, &a[0])))
			rc = mk(p, OP_EPOCH_MS, SL_EV_INT, pos, a[0], NONE, NONE, out);
		break;
	case F_FROM_EPOCH_MS:
		if (!(rc = want_arg(p, fname, &a[0], SL_EV_INT, "its argument")))
			rc = mk(p, OP_FROM_EPOCH_MS, SL_EV_TIMESTAMP, pos, a[0], NONE, NONE, out);
		break;
	}
out:
	list_release(&l);
	return rc;
}

/* ---- CAST ------------------------------------------------------------------------------ */

static int parse_cast(struct parser *p, size_t pos, uint32_t *out)
{
	uint32_t x;
	int rc;
	if ((rc = enter(p, pos)) || (rc = advance(p)) ||
	    (rc = expect(p, TK_LP, "'(' after CAST")) || (rc = parse_or(p, &x)))
		return rc;
	p->depth--;
	if (!is_kw(p, "as")) {
		char b[64];
		return perr(p, p->cur.pos, "expected AS in CAST, got %s",
			    tok_desc(p, b, sizeof(b)));
	}
	/* the type's text: up to the ')' that closes the CAST */
	size_t st = p->cur.end, i = st;
	int depth = 0;
	char q = 0;
	for (; i < p->len; i++) {
		char c = p->text[i];
		if (q) {
			if (c == '\\' && i + 1 < p->len)
				i++;
			else if (c == q)
				q = 0;
		} else if (c == '"') {
			q = c;
		} else if (c == '(' || c == '<') {
			depth++;
		} else if (c == '>') {
			depth--;
		} else if (c == ')') {
			if (depth-- == 0)
				break;
		}
	}
	if (i >= p->len)
		return perr(p, pos, "CAST without its closing ')'");
	/* type names in any case, as keywords; "timestamp" alone is timestamp(us) */
	char *tt = malloc(i - st + 1);
	if (!tt)
		return sl_err_set(p->err, SL_ENOMEM, "out of memory");
	size_t tn = 0;
	for (size_t k = st; k < i; k++)
		tt[tn++] = p->text[k] >= 'A' && p->text[k] <= 'Z' ? (char)(p->text[k] | 0x20)
								    : p->text[k];
	tt[tn] = '\0';
	size_t t0 = strspn(tt, " \t\r\n");
	while (tn > t0 && strchr(" \t\r\n", tt[tn - 1]))
		tt[--tn] = '\0';
	struct sl_err terr = {0};
	struct sl_type *t = strcmp(tt + t0, "timestamp") == 0
				    ? sl_type_new(SL_T_TIMESTAMP, true)
				    : sl_type_parse(tt + t0, tn - t0, &terr);
	free(tt);
	if (!t)
		return terr.code == 0 ? sl_err_set(p->err, SL_ENOMEM, "out of memory")
				      : perr(p, st, "not a type: %s", terr.msg);
	t->nullable = true;
	struct cast *c = calloc(1, sizeof(*c));
	if (!c) {
		sl_type_free(t);
		return sl_err_set(p->err, SL_ENOMEM, "out of memory");
	}
	c->type = t;
	int to;
	switch (t->kind) {
	case SL_T_BOOL: c->tgt = T_BOOL; to = SL_EV_BOOL; break;
	case SL_T_INT:
		c->tgt = T_INT;
		to = SL_EV_INT;
		if (t->is_unsigned) {
			c->lo = 0;
			c->hi = t->bits >= 63 ? INT64_MAX : (INT64_C(1) << t->bits) - 1;
		} else {
			c->lo = t->bits >= 64 ? INT64_MIN : -(INT64_C(1) << (t->bits - 1));
			c->hi = t->bits >= 64 ? INT64_MAX : (INT64_C(1) << (t->bits - 1)) - 1;
		}
		break;
	case SL_T_FLOAT: c->tgt = T_FLOAT; to = SL_EV_DOUBLE; break;
	case SL_T_DOUBLE: c->tgt = T_DOUBLE; to = SL_EV_DOUBLE; break;
	case SL_T_DECIMAL:
		c->tgt = T_DECIMAL;
		to = SL_EV_DOUBLE;
		c->scale = t->scale;
		c->max_abs = pow(10, t->precision - t->scale);
		break;
	case SL_T_STRING: c->tgt = T_STRING; to = SL_EV_STRING; break;
	case SL_T_DATE: c->tgt = T_DATE; to = SL_EV_DATE; break;
	case SL_T_TIMESTAMP:
		if (t->unit == SL_TU_NANOS)
			goto bad_type; /* read only (types.h) */
		c->tgt = T_TS;
		to = SL_EV_TIMESTAMP;
		c->millis = t->unit == SL_TU_MILLIS;
		break;
	default:
	bad_type: {
		char kn[64];
		rc = perr(p, st, "cannot cast to %s (casts go to boolean, integers, float, double, "
			  "decimal, string, date and timestamp)",
			  sl_type_kind_name(t, kn, sizeof(kn)));
		sl_type_free(t);
		free(c);
		return rc;
	}
	}
	int from = N(p, x)->kind;
	/* a json value is checked per record: a number, a string, a boolean, as it is */
	bool ok = from == SL_EV_NULL || from == SL_EV_STRING || from == SL_EV_JSON ||
		  c->tgt == T_STRING ||
		  ((from == SL_EV_DATE || from == SL_EV_TIMESTAMP)
			   ? (c->tgt == T_DATE || c->tgt == T_TS)
			   : (c->tgt != T_DATE && c->tgt != T_TS));
	if (!ok) {
		char kn[64];
		rc = perr(p, pos, "cannot cast %s to %s", kind_name(from),
			  sl_type_kind_name(t, kn, sizeof(kn)));
		sl_type_free(t);
		free(c);
		return rc;
	}
	if ((rc = mk(p, OP_CAST, (uint8_t)to, pos, x, NONE, NONE, out))) {
		sl_type_free(t);
		free(c);
		return rc;
	}
	N(p, *out)->cast = c;
	N(p, *out)->sub = (uint8_t)from;
	p->cur.end = i + 1; /* past the ')' */
	return advance(p);
}

/* ---- primaries ----------------------------------------------------------------------- */

/* A column: name ('.' name)*, starting at the current token. */
static int parse_column(struct parser *p, uint32_t *out)
{
	size_t pos = p->cur.pos;
	const char *segs[SL_EXPR_MAX_DEPTH];
	size_t n = 0;
	char path[512];
	size_t plen = 0;
	int rc;
	for (;;) {
		const char *s;
		size_t len;
		if (p->cur.t == TK_QNAME) {
			if ((rc = unquote(p, &p->cur, &s, &len)))
				return rc;
			if (len == 0)
				return perr(p, p->cur.pos, "an empty name");
			if (memchr(s, '\0', len))
				return perr(p, p->cur.pos, "a name with a NUL character");
		} else if (p->cur.t == TK_NAME && !is_reserved(p)) {
			if ((rc = own(p, p->text + p->cur.pos, p->cur.end - p->cur.pos, &s)))
				return rc;
			len = p->cur.end - p->cur.pos;
		} else {
			char b[64];
			return perr(p, p->cur.pos, "expected a name, got %s",
				    tok_desc(p, b, sizeof(b)));
		}
		if (n == SL_EXPR_MAX_DEPTH)
			return perr(p, p->cur.pos, "a column path of more than %d names",
				    SL_EXPR_MAX_DEPTH);
		segs[n++] = s;
		int w = snprintf(path + plen, sizeof(path) - plen, "%s%s", n > 1 ? "." : "", s);
		if (w > 0)
			plen = plen + (size_t)w < sizeof(path) ? plen + (size_t)w
							       : sizeof(path) - 1;
		if ((rc = advance(p)))
			return rc;
		if (p->cur.t != TK_DOT)
			break;
		if ((rc = advance(p)))
			return rc;
	}
	size_t slot;
	const struct sl_type *t;
	struct sl_err cerr = {0};
	if ((rc = sl_expr_cols_add(p->cols, segs, n, &slot, &t, &cerr)))
		return rc == SL_ENOMEM ? sl_err_set(p->err, rc, "out of memory")
				       : perr(p, pos, "%s", cerr.msg);
	uint8_t ck, kind;
	switch (t->kind) {
	case SL_T_BOOL: ck = CK_BOOL; kind = SL_EV_BOOL; break;
	case SL_T_INT: ck = CK_INT; kind = SL_EV_INT; break;
	case SL_T_FLOAT:
	case SL_T_DOUBLE: ck = CK_DOUBLE; kind = SL_EV_DOUBLE; break;
	case SL_T_DECIMAL: ck = CK_DECIMAL; kind = SL_EV_DOUBLE; break;
	case SL_T_STRING:
	case SL_T_BINARY:
	case SL_T_TIME:
	case SL_T_UUID: ck = CK_STRING; kind = SL_EV_STRING; break;
	case SL_T_DATE: ck = CK_DATE; kind = SL_EV_DATE; break;
	case SL_T_TIMESTAMP: ck = CK_TS; kind = SL_EV_TIMESTAMP; break;
	case SL_T_STRUCT:
	case SL_T_MAP: ck = CK_OBJECT; kind = SL_EV_JSON; break;
	case SL_T_LIST: ck = CK_ARRAY; kind = SL_EV_JSON; break;
	default: ck = CK_JSON; kind = SL_EV_JSON; break;
	}
	if ((rc = new_node(p, OP_COL, kind, pos, out)))
		return rc;
	struct node *nd = N(p, *out);
	nd->sub = ck;
	nd->slot = (uint32_t)slot;
	nd->ctype = t;
	return own(p, path, plen, &nd->name);
}

static int parse_primary(struct parser *p, uint32_t *out)
{
	size_t pos = p->cur.pos;
	struct sl_expr_value v = {.kind = SL_EV_NULL};
	int rc;
	char b[64];
	switch (p->cur.t) {
	case TK_INT:
	case TK_DEC: {
		size_t n = p->cur.end - pos;
		const char *s = p->text + pos;
		if (p->cur.t == TK_INT && !p->cur.big && p->cur.u <= (uint64_t)INT64_MAX) {
			v.kind = SL_EV_INT;
			v.v.i = (int64_t)p->cur.u;
		} else {
			char tmp[512];
			memcpy(tmp, s, n); /* lex() keeps numbers under 400 characters */
			tmp[n] = '\0';
			v.kind = SL_EV_DOUBLE;
			v.v.d = c_strtod(tmp);
		}
		if ((rc = advance(p)))
			return rc;
		return mk_lit(p, &v, pos, out);
	}
	case TK_STR:
		v.kind = SL_EV_STRING;
		if ((rc = unquote(p, &p->cur, &v.v.s.p, &v.v.s.n)) || (rc = advance(p)))
			return rc;
		return mk_lit(p, &v, pos, out);
	case TK_LP:
		if ((rc = enter(p, pos)) || (rc = advance(p)) || (rc = parse_or(p, out)))
			return rc;
		p->depth--;
		return expect(p, TK_RP, "')'");
	case TK_QNAME:
		return parse_column(p, out);
	case TK_NAME:
		if (is_kw(p, "true") || is_kw(p, "false")) {
			v.kind = SL_EV_BOOL;
			v.v.b = is_kw(p, "true");
			if ((rc = advance(p)))
				return rc;
			return mk_lit(p, &v, pos, out);
		}
		if (is_kw(p, "null")) {
			if ((rc = advance(p)))
				return rc;
			return mk_lit(p, &v, pos, out);
		}
		if (is_kw(p, "cast"))
			return parse_cast(p, pos, out);
		if (!is_reserved(p)) {
			struct tok nx;
			if ((rc = lex(p, p->cur.end, &nx)))
				return rc;
			if (nx.t == TK_LP) {
				size_t name_len = p->cur.end - pos;
				p->cur = nx;
				return parse_call(p, pos, name_len, out);
			}
			return parse_column(p, out);
		}
		break;
	default: break;
	}
	return perr(p, pos, "expected an expression, got %s", tok_desc(p, b, sizeof(b)));
}

/* ---- compiling ------------------------------------------------------------------------ */

/* The result's static type (expr.h: sl_expr_compile). */
static struct sl_type *static_type(const struct sl_expr *e)
{
	const struct node *n = &e->nodes[e->root];
	struct sl_type *t;
	if (n->op == OP_CAST || n->op == OP_COL) {
		if ((t = sl_type_clone(n->op == OP_CAST ? n->cast->type : n->ctype)) != NULL)
			t->nullable = true;
		return t;
	}
	switch (n->kind) {
	case SL_EV_BOOL: return sl_type_new(SL_T_BOOL, true);
	case SL_EV_INT: return sl_type_new(SL_T_INT, true);
	case SL_EV_DOUBLE: return sl_type_new(SL_T_DOUBLE, true);
	case SL_EV_STRING: return sl_type_new(SL_T_STRING, true);
	case SL_EV_DATE: return sl_type_new(SL_T_DATE, true);
	case SL_EV_TIMESTAMP: return sl_type_new(SL_T_TIMESTAMP, true);
	default: return sl_type_new(SL_T_JSON, true); /* json, and a bare null */
	}
}

int sl_expr_compile(const char *text, struct sl_expr_cols *cols, struct sl_expr **out,
		    struct sl_type **type, struct sl_err *err)
{
	*out = NULL;
	if (type)
		*type = NULL;
	size_t len = strnlen(text, SL_EXPR_MAX_TEXT + 1);
	if (len > SL_EXPR_MAX_TEXT)
		return sl_err_set(err, SL_EINVAL, "at %d: the expression is longer than %d bytes",
				  SL_EXPR_MAX_TEXT, SL_EXPR_MAX_TEXT);
	size_t bad;
	if (!sl_utf8_valid(text, len, &bad))
		return sl_err_set(err, SL_EINVAL, "at %zu: not valid UTF-8", bad);
	struct sl_expr *e = calloc(1, sizeof(*e));
	if (!e)
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	struct parser p = {.text = text, .len = len, .e = e, .cols = cols, .err = err};
	int rc;
	uint32_t root;
	if ((rc = lex(&p, 0, &p.cur)) || (rc = parse_or(&p, &root)))
		goto fail;
	if (p.cur.t != TK_END) {
		char b[64];
		rc = perr(&p, p.cur.pos, "expected the end of the expression, got %s",
			  tok_desc(&p, b, sizeof(b)));
		goto fail;
	}
	e->root = root;
	if (type) {
		*type = static_type(e);
		if (!*type) {
			rc = sl_err_set(err, SL_ENOMEM, "out of memory");
			goto fail;
		}
	}
	*out = e;
	return 0;
fail:
	sl_expr_free(e);
	return rc;
}

/* ---- evaluating ------------------------------------------------------------------------ */

struct ectx {
	const struct sl_expr *e;
	const struct sl_json_doc *doc;
	const size_t *slots;
	struct sl_expr_arena *a;
	const char *why;
};

static int ev(struct ectx *c, uint32_t i, struct sl_expr_value *out);

static int refuse(struct ectx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Refuses the record with a message made in the arena. */
static int refuse(struct ectx *c, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(msg))
		n = sizeof(msg) - 1;
	char *p;
	if (arena_get(c->a, (size_t)n + 1, true, &p) != 0) {
		c->why = "the record is refused (no memory for the reason)";
		return SL_ENOMEM;
	}
	memcpy(p, msg, (size_t)n + 1);
	c->why = p;
	return SL_EINVAL;
}

static int alloc(struct ectx *c, size_t n, char **out)
{
	if (n > SL_EXPR_MAX_STRING)
		return refuse(c, "a string longer than the %zu bytes a value may have",
			      (size_t)SL_EXPR_MAX_STRING);
	int rc = arena_get(c->a, n, false, out);
	if (rc == SL_ELIMIT)
		return refuse(c, "the expression makes more than %zu bytes of strings for a "
			      "record of %zu bytes", c->a->limit, c->doc->len);
	if (rc)
		c->why = "out of memory";
	return rc;
}

/* A value quoted for a message: 'text' (cut at 40 bytes) or the number. */
static const char *show(const struct sl_expr_value *v, char *buf, size_t cap)
{
	switch (v->kind) {
	case SL_EV_STRING: {
		size_t n = v->v.s.n > 40 ? 40 : v->v.s.n;
		while (n > 0 && n < v->v.s.n && ((unsigned char)v->v.s.p[n] & 0xc0) == 0x80)
			n--; /* not inside a character */
		snprintf(buf, cap, "'%.*s%s'", (int)n, v->v.s.p, n < v->v.s.n ? "..." : "");
		return buf;
	}
	case SL_EV_INT: snprintf(buf, cap, "%" PRId64, v->v.i); return buf;
	case SL_EV_DOUBLE: {
		char t[SL_DOUBLE_TEXT_MAX];
		double_text(t, v->v.d);
		snprintf(buf, cap, "%s", t);
		return buf;
	}
	case SL_EV_BOOL: return v->v.b ? "true" : "false";
	default: return kind_name(v->kind);
	}
}

static const char *json_kind(const struct sl_json_tok *t)
{
	switch (t->type) {
	case SL_JSON_NULL: return "null";
	case SL_JSON_TRUE:
	case SL_JSON_FALSE: return "boolean";
	case SL_JSON_INT:
	case SL_JSON_BIGINT:
	case SL_JSON_DOUBLE: return "number";
	case SL_JSON_STRING: return "string";
	case SL_JSON_OBJECT: return "object";
	case SL_JSON_ARRAY: return "array";
	default: return "a token that is not a value";
	}
}

static int col_mismatch(struct ectx *c, const struct node *n, const struct sl_json_tok *t,
			const char *want)
{
	return refuse(c, "column %s: expected %s, got %s", n->name, want, json_kind(t));
}

/* A number token's (or a numeric string's) value as a double. */
static bool token_double(struct ectx *c, const struct sl_json_tok *t, bool strings, double *d)
{
	switch (t->type) {
	case SL_JSON_INT:
		/* JSON's -0 is negative zero */
		*d = t->v.i == 0 && t->off < c->doc->len && c->doc->text[t->off] == '-'
			     ? -0.0
			     : (double)t->v.i;
		return true;
	case SL_JSON_DOUBLE: *d = t->v.d; return true;
	case SL_JSON_BIGINT: {
		struct sl_expr_value v;
		if ((size_t)t->off + t->len > c->doc->len ||
		    !number_value(c->doc->text + t->off, t->len, false, &v))
			return false;
		*d = v.v.d;
		return true;
	}
	case SL_JSON_STRING: {
		bool is_int;
		struct sl_expr_value v;
		if (!strings || !json_number(t->v.s, t->len, &is_int) ||
		    !number_value(t->v.s, t->len, false, &v))
			return false;
		*d = v.v.d;
		return true;
	}
	default: return false;
	}
}

/* A column's value from its token (the uncommon cases of col()). */
static int col_slow(struct ectx *c, const struct node *n, const struct sl_json_tok *t,
		    struct sl_expr_value *out)
{
	if (t->type == SL_JSON_NULL) {
		out->kind = SL_EV_NULL;
		return 0;
	}
	switch (n->sub) {
	case CK_BOOL:
		if (t->type != SL_JSON_TRUE && t->type != SL_JSON_FALSE)
			return col_mismatch(c, n, t, "boolean");
		out->kind = SL_EV_BOOL;
		out->v.b = t->type == SL_JSON_TRUE;
		return 0;
	case CK_INT:
		if (t->type == SL_JSON_INT) {
			out->kind = SL_EV_INT;
			out->v.i = t->v.i;
			return 0;
		}
		if (t->type == SL_JSON_DOUBLE && t->v.d == trunc(t->v.d) &&
		    t->v.d >= -9223372036854775808.0 && t->v.d < 9223372036854775808.0) {
			out->kind = SL_EV_INT;
			out->v.i = (int64_t)t->v.d;
			return 0;
		}
		if (t->type == SL_JSON_DOUBLE || t->type == SL_JSON_BIGINT)
			return refuse(c, "column %s: %.*s is not an int64", n->name,
				      (int)(t->len > 40 ? 40 : t->len),
				      (size_t)t->off + t->len <= c->doc->len ? c->doc->text + t->off
									      : "");
		return col_mismatch(c, n, t, "int64");
	case CK_DOUBLE:
	case CK_DECIMAL:
		out->kind = SL_EV_DOUBLE;
		if (token_double(c, t, n->sub == CK_DECIMAL, &out->v.d))
			return 0;
		if (t->type == SL_JSON_STRING && n->sub == CK_DECIMAL)
			return refuse(c, "column %s: not a number", n->name);
		if (t->type == SL_JSON_STRING && n->sub == CK_DOUBLE) {
			if (t->len == 3 && memcmp(t->v.s, "NaN", 3) == 0) {
				out->v.d = NAN;
				return 0;
			}
			if (t->len == 8 && memcmp(t->v.s, "Infinity", 8) == 0) {
				out->v.d = INFINITY;
				return 0;
			}
			if (t->len == 9 && memcmp(t->v.s, "-Infinity", 9) == 0) {
				out->v.d = -INFINITY;
				return 0;
			}
		}
		if (t->type == SL_JSON_BIGINT)
			return refuse(c, "column %s: not a number", n->name);
		return col_mismatch(c, n, t, "double");
	case CK_STRING:
		if (t->type != SL_JSON_STRING)
			return col_mismatch(c, n, t, "string");
		out->kind = SL_EV_STRING;
		out->v.s.p = t->v.s;
		out->v.s.n = t->len;
		return 0;
	case CK_DATE: {
		if (t->type != SL_JSON_STRING)
			return col_mismatch(c, n, t, "date");
		out->kind = SL_EV_DATE;
		if (sl_date_parse(t->v.s, t->len, &out->v.i))
			return 0;
		struct sl_expr_value s = {.kind = SL_EV_STRING, .v.s = {t->v.s, t->len}};
		char b[64];
		return refuse(c, "column %s: %s is not a date (YYYY-MM-DD)", n->name,
			      show(&s, b, sizeof(b)));
	}
	case CK_TS: {
		if (t->type != SL_JSON_STRING)
			return col_mismatch(c, n, t, "timestamp");
		struct sl_datetime dt;
		if (sl_datetime_parse(t->v.s, t->len, &dt)) {
			out->kind = SL_EV_TIMESTAMP;
			out->v.i = sl_datetime_units(&dt, 1000000);
			return 0;
		}
		struct sl_expr_value s = {.kind = SL_EV_STRING, .v.s = {t->v.s, t->len}};
		char b[64];
		return refuse(c, "column %s: %s is not an RFC 3339 date-time", n->name,
			      show(&s, b, sizeof(b)));
	}
	case CK_OBJECT:
		if (t->type != SL_JSON_OBJECT)
			return col_mismatch(c, n, t, "an object");
		break;
	case CK_ARRAY:
		if (t->type != SL_JSON_ARRAY)
			return col_mismatch(c, n, t, "an array");
		break;
	default: break;
	}
	out->kind = SL_EV_JSON;
	out->v.tok = (size_t)(t - c->doc->tok);
	return 0;
}

static inline int col(struct ectx *c, const struct node *n, struct sl_expr_value *out)
{
	size_t ti = c->slots[n->slot];
	if (ti >= c->doc->n_tok) {
		out->kind = SL_EV_NULL;
		return 0;
	}
	const struct sl_json_tok *t = &c->doc->tok[ti];
	/* the common cases first */
	if (n->sub == CK_DOUBLE && t->type == SL_JSON_DOUBLE) {
		out->kind = SL_EV_DOUBLE;
		out->v.d = t->v.d;
		return 0;
	}
	if (n->sub == CK_INT && t->type == SL_JSON_INT) {
		out->kind = SL_EV_INT;
		out->v.i = t->v.i;
		return 0;
	}
	if (n->sub == CK_STRING && t->type == SL_JSON_STRING) {
		out->kind = SL_EV_STRING;
		out->v.s.p = t->v.s;
		out->v.s.n = t->len;
		return 0;
	}
	return col_slow(c, n, t, out);
}

/* ---- comparisons ---- */

static inline int cmp_i(int64_t a, int64_t b)
{
	return (a > b) - (a < b);
}

/* NaN is equal to itself and greater than every other number (as in PostgreSQL). */
static inline int cmp_d(double a, double b)
{
	if (a < b)
		return -1;
	if (a > b)
		return 1;
	if (a == b)
		return 0;
	return isnan(a) - isnan(b);
}

/* An int64 with a double, exactly. */
static int cmp_id(int64_t i, double d)
{
	if (isnan(d))
		return -1;
	if (d >= 9223372036854775808.0)
		return -1;
	if (d < -9223372036854775808.0)
		return 1;
	int64_t t = (int64_t)d; /* towards zero; exact, |d| < 2^63 */
	if (i != t)
		return cmp_i(i, t);
	double f = d - (double)t;
	return f > 0 ? -1 : f < 0 ? 1 : 0;
}

static inline int cmp_s(const struct sl_expr_value *a, const struct sl_expr_value *b)
{
	size_t n = a->v.s.n < b->v.s.n ? a->v.s.n : b->v.s.n;
	int r = n ? memcmp(a->v.s.p, b->v.s.p, n) : 0;
	if (r)
		return r < 0 ? -1 : 1;
	return (a->v.s.n > b->v.s.n) - (a->v.s.n < b->v.s.n);
}

/* a's bytes, ASCII letters lowered (or raised), with b's. */
static int cmp_fold(const struct sl_expr_value *a, const struct sl_expr_value *b, bool upper)
{
	const unsigned char *x = (const unsigned char *)a->v.s.p;
	const unsigned char *y = (const unsigned char *)b->v.s.p;
	size_t n = a->v.s.n < b->v.s.n ? a->v.s.n : b->v.s.n;
	unsigned lo = upper ? 'a' : 'A';
	for (size_t i = 0; i < n; i++) {
		unsigned cx = x[i];
		if (cx - lo < 26)
			cx ^= 0x20;
		if (cx != y[i])
			return cx < y[i] ? -1 : 1;
	}
	return (a->v.s.n > b->v.s.n) - (a->v.s.n < b->v.s.n);
}

static inline bool cmp_true(int r, uint8_t how)
{
	switch (how) {
	case CMP_EQ: return r == 0;
	case CMP_NE: return r != 0;
	case CMP_LT: return r < 0;
	case CMP_LE: return r <= 0;
	case CMP_GT: return r > 0;
	default: return r >= 0;
	}
}

/* Two non-null values of comparable kinds. */
static int cmp_values(const struct sl_expr_value *a, const struct sl_expr_value *b)
{
	if (a->kind == SL_EV_DOUBLE && b->kind == SL_EV_DOUBLE)
		return cmp_d(a->v.d, b->v.d);
	if (a->kind == SL_EV_INT && b->kind == SL_EV_DOUBLE)
		return cmp_id(a->v.i, b->v.d);
	if (a->kind == SL_EV_DOUBLE && b->kind == SL_EV_INT)
		return -cmp_id(b->v.i, a->v.d);
	if (a->kind == SL_EV_STRING)
		return cmp_s(a, b);
	if (a->kind == SL_EV_BOOL)
		return (int)a->v.b - (int)b->v.b;
	return cmp_i(a->v.i, b->v.i);
}

/* ---- strings ---- */

static inline size_t utf8_len(unsigned char c)
{
	return c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
}

/* The byte after the character at s[i] (never past n). */
static inline size_t next_char(const char *s, size_t i, size_t n)
{
	size_t k = i + utf8_len((unsigned char)s[i]);
	return k < n ? k : n;
}

static size_t char_count(const char *s, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += ((unsigned char)s[i] & 0xc0) != 0x80;
	return k;
}

/* Whether seg (a LIKE pattern part without '%') matches s at i, giving the end in *end;
 * every byte compared costs one step of *budget. */
static bool like_at(const char *s, size_t n, size_t i, const char *seg, size_t sn, size_t *end,
		    size_t *budget)
{
	for (size_t j = 0; j < sn; j++) {
		if (i >= n || *budget == 0)
			return false;
		--*budget;
		if (seg[j] == '_')
			i = next_char(s, i, n);
		else if (s[i++] != seg[j])
			return false;
	}
	*end = i;
	return true;
}

/* s LIKE pat: '%' any characters, '_' one. The parts between '%'s are matched left to
 * right, each at its first place (never worse than a later one), the last one at the
 * end. A part without '_' is found with memmem (linear); one with '_' is tried at each
 * character, which costs (characters) x (part) in the worst case, so the steps are
 * budgeted: 1 when it matches, 0 when not, -1 when the budget ran out. */
static int like(const char *s, size_t n, const char *pat, size_t pn)
{
	size_t budget = 16 * (n + pn) + 65536, i = 0, end;
	const char *pc = memchr(pat, '%', pn);
	if (!pc)
		return like_at(s, n, 0, pat, pn, &end, &budget) && end == n;
	/* the first part is anchored at the start */
	size_t j = (size_t)(pc - pat);
	if (!like_at(s, n, 0, pat, j, &i, &budget))
		return budget ? 0 : -1;
	for (;;) {
		while (j < pn && pat[j] == '%')
			j++;
		if (j == pn)
			return 1; /* ends with '%' */
		const char *nx = memchr(pat + j, '%', pn - j);
		size_t sl = nx ? (size_t)(nx - pat) - j : pn - j;
		if (!nx) {
			/* the last part is anchored at the end: it has a fixed number of
			 * characters */
			size_t chars = 0;
			for (size_t k = j; k < pn; k++)
				chars += pat[k] == '_' || ((unsigned char)pat[k] & 0xc0) != 0x80;
			size_t at = n;
			for (; chars > 0 && at > i; chars--) {
				at--;
				while (at > i && ((unsigned char)s[at] & 0xc0) == 0x80)
					at--;
			}
			if (chars == 0 && like_at(s, n, at, pat + j, sl, &end, &budget) && end == n)
				return 1;
			return budget ? 0 : -1;
		}
		if (!memchr(pat + j, '_', sl)) {
			const char *f = memmem(s + i, n - i, pat + j, sl);
			if (!f)
				return 0;
			i = (size_t)(f - s) + sl;
		} else {
			for (;; i = next_char(s, i, n)) {
				if (like_at(s, n, i, pat + j, sl, &end, &budget))
					break;
				if (budget == 0)
					return -1;
				if (i >= n)
					return 0;
			}
			i = end;
		}
		j += sl;
	}
}

/* A value's text (concat, ||, CAST to string): v is neither null nor json. */
static int value_text(struct ectx *c, const struct sl_expr_value *v, const char **p, size_t *n)
{
	char tmp[SL_TIMESTAMP_TEXT_MAX], *d;
	size_t k;
	switch (v->kind) {
	case SL_EV_STRING:
		*p = v->v.s.p;
		*n = v->v.s.n;
		return 0;
	case SL_EV_BOOL:
		*p = v->v.b ? "true" : "false";
		*n = v->v.b ? 4 : 5;
		return 0;
	case SL_EV_INT: k = (size_t)snprintf(tmp, sizeof(tmp), "%" PRId64, v->v.i); break;
	case SL_EV_DOUBLE: k = double_text(tmp, v->v.d); break;
	case SL_EV_DATE: k = sl_date_text(tmp, v->v.i); break;
	default: k = sl_timestamp_text(tmp, v->v.i, 6); break;
	}
	int rc = alloc(c, k, &d);
	if (rc)
		return rc;
	memcpy(d, tmp, k);
	*p = d;
	*n = k;
	return 0;
}

/* concat() and ||: the texts of args[0 .. n) joined. */
static int cat(struct ectx *c, const struct node *nd, bool skip_nulls, struct sl_expr_value *out)
{
	const uint32_t *args = c->e->args + nd->a;
	size_t n = nd->b;
	char *mem;
	/* bounded by the expression's size, not the record's: not counted */
	int rc = arena_get(c->a, n * sizeof(struct sl_expr_value), true, &mem);
	if (rc) {
		c->why = "out of memory";
		return rc;
	}
	struct sl_expr_value *parts = (struct sl_expr_value *)(void *)mem;
	size_t total = 0;
	for (size_t i = 0; i < n; i++) {
		if ((rc = ev(c, args[i], &parts[i])))
			return rc;
		if (parts[i].kind == SL_EV_NULL) {
			if (!skip_nulls) {
				out->kind = SL_EV_NULL;
				return 0;
			}
			continue;
		}
		const char *p;
		size_t k;
		if ((rc = value_text(c, &parts[i], &p, &k)))
			return rc;
		parts[i].kind = SL_EV_STRING;
		parts[i].v.s.p = p;
		parts[i].v.s.n = k;
		total += k;
		if (total > SL_EXPR_MAX_STRING)
			return alloc(c, total, &mem); /* refuses */
	}
	char *d;
	if ((rc = alloc(c, total, &d)))
		return rc;
	size_t at = 0;
	for (size_t i = 0; i < n; i++) {
		if (parts[i].kind != SL_EV_STRING)
			continue;
		if (parts[i].v.s.n)
			memcpy(d + at, parts[i].v.s.p, parts[i].v.s.n);
		at += parts[i].v.s.n;
	}
	out->kind = SL_EV_STRING;
	out->v.s.p = d;
	out->v.s.n = total;
	return 0;
}

static int change_case(struct ectx *c, const struct sl_expr_value *s, bool upper,
		       struct sl_expr_value *out)
{
	char lo = upper ? 'a' : 'A', hi = upper ? 'z' : 'Z';
	size_t i = 0;
	while (i < s->v.s.n && (s->v.s.p[i] < lo || s->v.s.p[i] > hi))
		i++;
	*out = *s;
	if (i == s->v.s.n)
		return 0; /* nothing to change: the same bytes */
	char *d;
	int rc = alloc(c, s->v.s.n, &d);
	if (rc)
		return rc;
	memcpy(d, s->v.s.p, s->v.s.n);
	for (; i < s->v.s.n; i++)
		if (d[i] >= lo && d[i] <= hi)
			d[i] ^= 0x20;
	out->v.s.p = d;
	return 0;
}

/* SQL's substr over characters: the characters at positions [start, start + len) (len
 * < 0: [start + len, start)), where 1 is the first, 0 the place before it, and a
 * negative start counts from the end (-1 the last). */
static void substr(const struct sl_expr_value *s, int64_t start, bool has_len, int64_t len,
		   struct sl_expr_value *out)
{
	const char *p = s->v.s.p;
	size_t n = s->v.s.n;
	__int128 chars = (__int128)char_count(p, n), lo, hi;
	lo = start > 0 ? start : start < 0 ? chars + start + 1 : 0;
	if (!has_len)
		hi = chars + 1;
	else if (len >= 0)
		hi = lo + len;
	else {
		hi = lo;
		lo = lo + len;
	}
	if (lo < 1)
		lo = 1;
	if (hi > chars + 1)
		hi = chars + 1;
	out->kind = SL_EV_STRING;
	out->v.s.p = p;
	out->v.s.n = 0;
	if (hi <= lo)
		return;
	size_t i = 0;
	for (__int128 k = 1; k < lo; k++)
		i = next_char(p, i, n);
	size_t j = i;
	for (__int128 k = lo; k < hi; k++)
		j = next_char(p, j, n);
	out->v.s.p = p + i;
	out->v.s.n = j - i;
}

static int replace(struct ectx *c, const struct sl_expr_value *s, const struct sl_expr_value *f,
		   const struct sl_expr_value *t, struct sl_expr_value *out)
{
	*out = *s;
	size_t fn = f->v.s.n, n = s->v.s.n;
	if (fn == 0 || fn > n)
		return 0;
	/* the result's size first (counting stops once it is too big to make) */
	size_t hits = 0;
	__int128 total = n;
	for (const char *at = s->v.s.p, *end = s->v.s.p + n;
	     total <= SL_EXPR_MAX_STRING &&
	     (at = memmem(at, (size_t)(end - at), f->v.s.p, fn)) != NULL; at += fn) {
		hits++;
		total += (__int128)t->v.s.n - (__int128)fn;
	}
	if (hits == 0)
		return 0;
	char *d;
	int rc = alloc(c, total > SL_EXPR_MAX_STRING ? SL_EXPR_MAX_STRING + 1 : (size_t)total, &d);
	if (rc)
		return rc;
	size_t k = 0;
	const char *at = s->v.s.p, *end = s->v.s.p + n;
	for (const char *h; (h = memmem(at, (size_t)(end - at), f->v.s.p, fn)) != NULL;
	     at = h + fn) {
		memcpy(d + k, at, (size_t)(h - at));
		k += (size_t)(h - at);
		if (t->v.s.n)
			memcpy(d + k, t->v.s.p, t->v.s.n);
		k += t->v.s.n;
	}
	memcpy(d + k, at, (size_t)(end - at));
	k += (size_t)(end - at);
	out->v.s.p = d;
	out->v.s.n = k;
	return 0;
}

/* The text of the JSON value at token t of doc: [*from, *to). False when the tape does
 * not say (never for a tape of the JSON engine). */
static bool json_raw(const struct sl_json_doc *doc, size_t t, size_t *from, size_t *to)
{
	if (!doc || t >= doc->n_tok)
		return false;
	const struct sl_json_tok *k = &doc->tok[t];
	size_t f = k->off, e;
	switch (k->type) {
	case SL_JSON_OBJECT:
	case SL_JSON_ARRAY:
		if (k->v.end >= doc->n_tok)
			return false;
		e = (size_t)doc->tok[k->v.end].off + 1;
		break;
	case SL_JSON_STRING:
		if (!(k->flags & SL_JSON_F_ESCAPED)) {
			e = f + k->len + 2;
			break;
		}
		/* to the closing quote: escapes make the text longer than the value */
		for (e = f + 1; e < doc->len && doc->text[e] != '"';)
			e += doc->text[e] == '\\' ? 2 : 1;
		e++;
		break;
	default:
		e = f + k->len;
		break;
	}
	if (e > doc->len || e <= f)
		return false;
	*from = f;
	*to = e;
	return true;
}

/* ---- CAST at run time ---- */

static int cast_fail(struct ectx *c, const struct node *n, const struct sl_expr_value *v)
{
	char b[80], kn[64];
	return refuse(c, "cannot cast %s to %s", show(v, b, sizeof(b)),
		      sl_type_kind_name(n->cast->type, kn, sizeof(kn)));
}

static int cast(struct ectx *c, const struct node *n, const struct sl_expr_value *v,
		struct sl_expr_value *out)
{
	const struct cast *k = n->cast;
	struct sl_expr_value x = *v;
	if (v->kind == SL_EV_NULL) {
		out->kind = SL_EV_NULL;
		return 0;
	}
	struct sl_expr_value jv;
	if (v->kind == SL_EV_JSON && k->tgt != T_STRING) {
		/* a scalar of the record, cast as its kind is: a number (not to a date or a
		 * timestamp), a string, a boolean; null is null; an object or array fails */
		const struct sl_json_tok *t = &c->doc->tok[v->v.tok];
		if (t->type == SL_JSON_NULL) {
			out->kind = SL_EV_NULL;
			return 0;
		}
		if (t->type == SL_JSON_INT)
			jv = (struct sl_expr_value){.kind = SL_EV_INT, .v.i = t->v.i};
		else if (t->type == SL_JSON_DOUBLE)
			jv = (struct sl_expr_value){.kind = SL_EV_DOUBLE, .v.d = t->v.d};
		else if (t->type == SL_JSON_TRUE || t->type == SL_JSON_FALSE)
			jv = (struct sl_expr_value){.kind = SL_EV_BOOL,
						    .v.b = t->type == SL_JSON_TRUE};
		else if (t->type == SL_JSON_STRING || t->type == SL_JSON_BIGINT)
			jv = (struct sl_expr_value){
				.kind = SL_EV_STRING,
				.v.s = {t->type == SL_JSON_STRING ? t->v.s : c->doc->text + t->off,
					t->len}};
		else
			return cast_fail(c, n, v);
		if (jv.kind != SL_EV_STRING && (k->tgt == T_DATE || k->tgt == T_TS))
			return cast_fail(c, n, &jv);
		v = &jv;
		x = jv;
	}
	if (k->tgt == T_STRING) {
		out->kind = SL_EV_STRING;
		if (v->kind == SL_EV_JSON) {
			/* its JSON text */
			size_t from, to;
			if (!json_raw(c->doc, v->v.tok, &from, &to))
				return refuse(c, "a json value the record does not hold");
			out->v.s.p = c->doc->text + from;
			out->v.s.n = to - from;
			return 0;
		}
		return value_text(c, v, &out->v.s.p, &out->v.s.n);
	}
	if (v->kind == SL_EV_STRING) {
		const char *s = v->v.s.p;
		size_t sn = v->v.s.n;
		switch (k->tgt) {
		case T_BOOL:
			if (sn == 4 && memcmp(s, "true", 4) == 0)
				x = (struct sl_expr_value){.kind = SL_EV_BOOL, .v.b = true};
			else if (sn == 5 && memcmp(s, "false", 5) == 0)
				x = (struct sl_expr_value){.kind = SL_EV_BOOL, .v.b = false};
			else
				return cast_fail(c, n, v);
			*out = x;
			return 0;
		case T_DATE:
		case T_TS: {
			int64_t days;
			struct sl_datetime dt;
			if (sl_date_parse(s, sn, &days)) {
				x.kind = SL_EV_DATE;
				x.v.i = days;
			} else if (sl_datetime_parse(s, sn, &dt)) {
				x.kind = SL_EV_TIMESTAMP;
				x.v.i = sl_datetime_units(&dt, 1000000);
			} else {
				return cast_fail(c, n, v);
			}
			break;
		}
		default: {
			bool is_int;
			if (!json_number(s, sn, &is_int) || !number_value(s, sn, is_int, &x))
				return cast_fail(c, n, v);
			break;
		}
		}
	}
	switch (k->tgt) {
	case T_BOOL:
		out->kind = SL_EV_BOOL;
		out->v.b = x.kind == SL_EV_INT ? x.v.i != 0 : x.kind == SL_EV_DOUBLE ? x.v.d != 0
										: x.v.b;
		return 0;
	case T_INT: {
		int64_t i;
		if (x.kind == SL_EV_BOOL) {
			i = x.v.b;
		} else if (x.kind == SL_EV_INT) {
			i = x.v.i;
		} else {
			double d = trunc(x.v.d);
			if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
				return cast_fail(c, n, v);
			i = (int64_t)d;
		}
		if (i < k->lo || i > k->hi)
			return cast_fail(c, n, v);
		out->kind = SL_EV_INT;
		out->v.i = i;
		return 0;
	}
	case T_FLOAT:
	case T_DOUBLE:
	case T_DECIMAL: {
		double d = x.kind == SL_EV_BOOL ? (double)x.v.b
			   : x.kind == SL_EV_INT ? (double)x.v.i : x.v.d;
		if (k->tgt == T_FLOAT) {
			if (isfinite(d) && fabs(d) > FLT_MAX)
				return cast_fail(c, n, v);
			d = (float)d;
		} else if (k->tgt == T_DECIMAL) {
			if (!isfinite(d))
				return cast_fail(c, n, v);
			d = decimal_round(d, k->scale);
			if (fabs(d) >= k->max_abs)
				return cast_fail(c, n, v);
		}
		out->kind = SL_EV_DOUBLE;
		out->v.d = d;
		return 0;
	}
	case T_DATE:
		out->kind = SL_EV_DATE;
		out->v.i = x.kind == SL_EV_DATE ? x.v.i : sl_floor_div(x.v.i, SL_US_PER_DAY);
		return 0;
	default: { /* T_TS */
		int64_t us = x.v.i;
		if (x.kind == SL_EV_DATE && __builtin_mul_overflow(x.v.i, SL_US_PER_DAY, &us))
			return cast_fail(c, n, v);
		if (k->millis)
			us = sl_floor_div(us, US_PER_MS) * US_PER_MS;
		out->kind = SL_EV_TIMESTAMP;
		out->v.i = us;
		return 0;
	}
	}
}

/* ---- the walk ---- */

/* Literals and columns, the most common operands, without a call. */
static inline int ev_fast(struct ectx *c, uint32_t i, struct sl_expr_value *out)
{
	const struct node *n = &c->e->nodes[i];
	if (n->op == OP_LIT) {
		*out = n->lit;
		return 0;
	}
	if (n->op == OP_COL)
		return col(c, n, out);
	return ev(c, i, out);
}

#define EV(i, v)                                   \
	do {                                       \
		int rc_ = ev_fast(c, (i), (v));    \
		if (rc_)                           \
			return rc_;                \
	} while (0)

/* Evaluates operands a (and b) of n into x (and y); a null one makes out null and
 * returns from the caller. */
#define EV1()                                  \
	EV(n->a, &x);                          \
	if (x.kind == SL_EV_NULL)              \
		return out->kind = SL_EV_NULL, 0
#define EV2()                                  \
	EV1();                                 \
	EV(n->b, &y);                          \
	if (y.kind == SL_EV_NULL)              \
		return out->kind = SL_EV_NULL, 0

static inline int ret_i(struct sl_expr_value *out, int64_t i)
{
	out->kind = SL_EV_INT;
	out->v.i = i;
	return 0;
}

static inline int ret_d(struct sl_expr_value *out, double d)
{
	out->kind = SL_EV_DOUBLE;
	out->v.d = d;
	return 0;
}

static inline int ret_b(struct sl_expr_value *out, bool b)
{
	out->kind = SL_EV_BOOL;
	out->v.b = b;
	return 0;
}

static int ev(struct ectx *c, uint32_t i, struct sl_expr_value *out)
{
	const struct node *n = &c->e->nodes[i];
	struct sl_expr_value x, y, z;
	int64_t r;
	switch ((enum op)n->op) {
	case OP_LIT:
		*out = n->lit;
		return 0;
	case OP_COL:
		return col(c, n, out);
	case OP_TO_D:
		EV1();
		return ret_d(out, (double)x.v.i);
	case OP_DATE_TS:
		EV1();
		if (__builtin_mul_overflow(x.v.i, SL_US_PER_DAY, &r))
			return refuse(c, "timestamp out of range");
		out->kind = SL_EV_TIMESTAMP;
		out->v.i = r;
		return 0;
	case OP_STR_TS: {
		EV1();
		struct sl_datetime dt;
		if (!sl_datetime_parse(x.v.s.p, x.v.s.n, &dt)) {
			char b[64];
			const struct node *a = &c->e->nodes[n->a];
			if (a->op == OP_COL)
				return refuse(c, "column %s: %s is not an RFC 3339 date-time",
					      a->name, show(&x, b, sizeof(b)));
			return refuse(c, "%s is not an RFC 3339 date-time", show(&x, b, sizeof(b)));
		}
		out->kind = SL_EV_TIMESTAMP;
		out->v.i = sl_datetime_units(&dt, 1000000);
		return 0;
	}
	case OP_NEG_I:
		EV1();
		if (x.v.i == INT64_MIN)
			return c->why = "integer overflow", SL_EINVAL;
		return ret_i(out, -x.v.i);
	case OP_NEG_D:
		EV1();
		return ret_d(out, -x.v.d);
	case OP_ADD_I:
		EV2();
		if (__builtin_add_overflow(x.v.i, y.v.i, &r))
			return c->why = "integer overflow", SL_EINVAL;
		return ret_i(out, r);
	case OP_SUB_I:
		EV2();
		if (__builtin_sub_overflow(x.v.i, y.v.i, &r))
			return c->why = "integer overflow", SL_EINVAL;
		return ret_i(out, r);
	case OP_MUL_I:
		EV2();
		if (__builtin_mul_overflow(x.v.i, y.v.i, &r))
			return c->why = "integer overflow", SL_EINVAL;
		return ret_i(out, r);
	case OP_DIV_I:
		EV2();
		if (y.v.i == 0)
			return c->why = "division by zero", SL_EINVAL;
		if (x.v.i == INT64_MIN && y.v.i == -1)
			return c->why = "integer overflow", SL_EINVAL;
		return ret_i(out, x.v.i / y.v.i);
	case OP_MOD_I:
		EV2();
		if (y.v.i == 0)
			return c->why = "division by zero", SL_EINVAL;
		return ret_i(out, y.v.i == -1 ? 0 : x.v.i % y.v.i);
	case OP_ADD_D:
		EV2();
		return ret_d(out, x.v.d + y.v.d);
	case OP_SUB_D:
		EV2();
		return ret_d(out, x.v.d - y.v.d);
	case OP_MUL_D:
		EV2();
		return ret_d(out, x.v.d * y.v.d);
	case OP_DIV_D:
		EV2();
		if (y.v.d == 0)
			return c->why = "division by zero", SL_EINVAL;
		return ret_d(out, x.v.d / y.v.d);
	case OP_MOD_D:
		EV2();
		if (y.v.d == 0)
			return c->why = "division by zero", SL_EINVAL;
		return ret_d(out, fmod(x.v.d, y.v.d));
	case OP_CMP_I:
		EV2();
		return ret_b(out, cmp_true(cmp_i(x.v.i, y.v.i), n->sub));
	case OP_CMP_D:
		EV2();
		return ret_b(out, cmp_true(cmp_d(x.v.d, y.v.d), n->sub));
	case OP_CMP_ID:
		EV2();
		return ret_b(out, cmp_true(cmp_id(x.v.i, y.v.d), n->sub));
	case OP_CMP_DI:
		EV2();
		return ret_b(out, cmp_true(-cmp_id(y.v.i, x.v.d), n->sub));
	case OP_CMP_S:
		EV2();
		return ret_b(out, cmp_true(cmp_s(&x, &y), n->sub));
	case OP_CMP_B:
		EV2();
		return ret_b(out, cmp_true((int)x.v.b - (int)y.v.b, n->sub));
	case OP_CMP_FOLD:
		EV2();
		return ret_b(out, cmp_true(cmp_fold(&x, &y, n->sub & CMP_UPPER), n->sub & 7));
	case OP_IS_NULL:
		EV(n->a, &x);
		return ret_b(out, (x.kind == SL_EV_NULL) != n->sub);
	case OP_IN: {
		const uint32_t *args = c->e->args + n->a;
		EV(args[0], &x);
		if (x.kind == SL_EV_NULL)
			return out->kind = SL_EV_NULL, 0;
		bool null_seen = false;
		for (size_t k = 1; k < n->b; k++) {
			EV(args[k], &y);
			if (y.kind == SL_EV_NULL)
				null_seen = true;
			else if (cmp_values(&x, &y) == 0)
				return ret_b(out, !n->sub);
		}
		if (null_seen)
			return out->kind = SL_EV_NULL, 0;
		return ret_b(out, n->sub);
	}
	case OP_LIKE: {
		EV2();
		int m = like(x.v.s.p, x.v.s.n, y.v.s.p, y.v.s.n);
		if (m < 0)
			return refuse(c, "LIKE: matching this pattern against this value takes "
				      "too long");
		return ret_b(out, (m == 1) != n->sub);
	}
	case OP_AND:
	case OP_OR: {
		/* three-valued; stops at the first operand that decides */
		const uint32_t *args = c->e->args + n->a;
		bool stop = n->op == OP_OR, null_seen = false;
		for (size_t k = 0; k < n->b; k++) {
			EV(args[k], &x);
			if (x.kind == SL_EV_NULL)
				null_seen = true;
			else if (x.v.b == stop)
				return ret_b(out, stop);
		}
		if (null_seen)
			return out->kind = SL_EV_NULL, 0;
		return ret_b(out, !stop);
	}
	case OP_NOT:
		EV1();
		return ret_b(out, !x.v.b);
	case OP_CAT:
		return cat(c, n, false, out);
	case OP_CONCAT:
		return cat(c, n, true, out);
	case OP_COALESCE: {
		const uint32_t *args = c->e->args + n->a;
		for (size_t k = 0; k < n->b; k++) {
			EV(args[k], out);
			if (out->kind != SL_EV_NULL)
				return 0;
		}
		return 0;
	}
	case OP_IF:
		EV(n->a, &x);
		return ev(c, x.kind == SL_EV_BOOL && x.v.b ? n->b : n->c, out);
	case OP_LOWER:
	case OP_UPPER:
		EV1();
		return change_case(c, &x, n->op == OP_UPPER, out);
	case OP_TRIM:
	case OP_LTRIM:
	case OP_RTRIM: {
		EV1();
		const char *p = x.v.s.p;
		size_t b = 0, e = x.v.s.n;
		if (n->op != OP_RTRIM)
			while (b < e && p[b] == ' ')
				b++;
		if (n->op != OP_LTRIM)
			while (e > b && p[e - 1] == ' ')
				e--;
		out->kind = SL_EV_STRING;
		out->v.s.p = p + b;
		out->v.s.n = e - b;
		return 0;
	}
	case OP_LENGTH:
		EV1();
		return ret_i(out, (int64_t)char_count(x.v.s.p, x.v.s.n));
	case OP_SUBSTR:
		z.v.i = 0;
		EV2();
		if (n->c != NONE) {
			EV(n->c, &z);
			if (z.kind == SL_EV_NULL)
				return out->kind = SL_EV_NULL, 0;
		}
		substr(&x, y.v.i, n->c != NONE, n->c != NONE ? z.v.i : 0, out);
		return 0;
	case OP_REPLACE:
		EV2();
		EV(n->c, &z);
		if (z.kind == SL_EV_NULL)
			return out->kind = SL_EV_NULL, 0;
		return replace(c, &x, &y, &z, out);
	case OP_ABS_I:
		EV1();
		if (x.v.i == INT64_MIN)
			return c->why = "integer overflow", SL_EINVAL;
		return ret_i(out, x.v.i < 0 ? -x.v.i : x.v.i);
	case OP_ABS_D:
		EV1();
		return ret_d(out, fabs(x.v.d));
	case OP_ROUND_I: {
		EV1();
		if (n->b == NONE)
			return ret_i(out, x.v.i);
		EV(n->b, &y);
		if (y.kind == SL_EV_NULL)
			return out->kind = SL_EV_NULL, 0;
		if (y.v.i >= 0)
			return ret_i(out, x.v.i);
		if (y.v.i < -18) { /* to 10^19 or more: 0, or beyond int64 */
			if (x.v.i >= INT64_C(5000000000000000000) ||
			    x.v.i <= -INT64_C(5000000000000000000))
				return c->why = "integer overflow", SL_EINVAL;
			return ret_i(out, 0);
		}
		int64_t p10 = 1;
		for (int64_t k = 0; k < -y.v.i; k++)
			p10 *= 10;
		int64_t q = x.v.i / p10, rem = x.v.i % p10;
		if (rem >= p10 - rem)
			q++;
		else if (-rem >= p10 + rem)
			q--;
		if (__builtin_mul_overflow(q, p10, &r))
			return c->why = "integer overflow", SL_EINVAL;
		return ret_i(out, r);
	}
	case OP_ROUND_D:
		EV1();
		if (n->b == NONE)
			return ret_d(out, round(x.v.d));
		EV(n->b, &y);
		if (y.kind == SL_EV_NULL)
			return out->kind = SL_EV_NULL, 0;
		return ret_d(out, decimal_round(x.v.d, y.v.i > 400 ? 400 : y.v.i < -400 ? -400
								    : (int)y.v.i));
	case OP_FLOOR:
		EV1();
		return ret_d(out, floor(x.v.d));
	case OP_CEIL:
		EV1();
		return ret_d(out, ceil(x.v.d));
	case OP_DATE:
		EV1();
		out->kind = SL_EV_DATE;
		out->v.i = sl_floor_div(x.v.i, SL_US_PER_DAY);
		return 0;
	case OP_YEAR:
	case OP_MONTH:
	case OP_DAY: {
		EV1();
		int64_t y0;
		int m, d;
		sl_civil_from_days(sl_floor_div(x.v.i, SL_US_PER_DAY), &y0, &m, &d);
		return ret_i(out, n->op == OP_YEAR ? y0 : n->op == OP_MONTH ? m : d);
	}
	case OP_HOUR:
		EV1();
		r = x.v.i % SL_US_PER_DAY;
		return ret_i(out, (r < 0 ? r + SL_US_PER_DAY : r) / US_PER_HOUR);
	case OP_TRUNC: {
		EV1();
		int64_t days = sl_floor_div(x.v.i, SL_US_PER_DAY), y0;
		int m, d;
		bool over;
		switch (n->sub) {
		case U_HOUR:
			over = __builtin_mul_overflow(sl_floor_div(x.v.i, US_PER_HOUR), US_PER_HOUR,
						      &r);
			break;
		case U_DAY: over = __builtin_mul_overflow(days, SL_US_PER_DAY, &r); break;
		default:
			sl_civil_from_days(days, &y0, &m, &d);
			days = sl_days_from_civil(y0, n->sub == U_YEAR ? 1 : m, 1);
			over = __builtin_mul_overflow(days, SL_US_PER_DAY, &r);
			break;
		}
		if (over)
			return refuse(c, "date_trunc: timestamp out of range");
		out->kind = SL_EV_TIMESTAMP;
		out->v.i = r;
		return 0;
	}
	case OP_EPOCH_MS:
		EV1();
		return ret_i(out, sl_floor_div(x.v.i, US_PER_MS));
	case OP_FROM_EPOCH_MS:
		EV1();
		if (__builtin_mul_overflow(x.v.i, US_PER_MS, &r))
			return c->why = "integer overflow", SL_EINVAL;
		out->kind = SL_EV_TIMESTAMP;
		out->v.i = r;
		return 0;
	case OP_CAST:
		EV(n->a, &x);
		return cast(c, n, &x, out);
	}
	c->why = "an unknown operation";
	return SL_EINVAL;
}

int sl_expr_eval(const struct sl_expr *e, const struct sl_json_doc *doc, const size_t *slots,
		 struct sl_expr_arena *a, struct sl_expr_value *out, const char **why)
{
	struct ectx c = {.e = e, .doc = doc, .slots = slots, .a = a};
	a->limit = ARENA_FACTOR * doc->len + ARENA_SLACK;
	int rc = ev(&c, e->root, out);
	if (rc) {
		out->kind = SL_EV_NULL;
		if (why)
			*why = c.why ? c.why : "the record is refused";
	}
	return rc;
}

/* ---- output ------------------------------------------------------------------------------ */

int sl_expr_value_json(const struct sl_expr_value *v, const struct sl_json_doc *doc,
		       struct sl_buf *out)
{
	char tmp[SL_TIMESTAMP_TEXT_MAX + 2];
	size_t k;
	switch (v->kind) {
	case SL_EV_NULL: return sl_buf_append(out, "null", 4);
	case SL_EV_BOOL: return sl_buf_puts(out, v->v.b ? "true" : "false");
	case SL_EV_INT: return sl_buf_printf(out, "%" PRId64, v->v.i);
	case SL_EV_DOUBLE: return sl_buf_json_double(out, v->v.d, false);
	case SL_EV_STRING: return sl_buf_json_str(out, v->v.s.p, v->v.s.n);
	case SL_EV_DATE:
		tmp[0] = '"';
		k = sl_date_text(tmp + 1, v->v.i);
		tmp[k + 1] = '"';
		return sl_buf_append(out, tmp, k + 2);
	case SL_EV_TIMESTAMP:
		tmp[0] = '"';
		k = sl_timestamp_text(tmp + 1, v->v.i, 6);
		tmp[k + 1] = '"';
		return sl_buf_append(out, tmp, k + 2);
	case SL_EV_JSON: {
		size_t from, to;
		if (!json_raw(doc, v->v.tok, &from, &to))
			return SL_EINVAL;
		return sl_buf_append(out, doc->text + from, to - from);
	}
	}
	return SL_EINVAL;
}
