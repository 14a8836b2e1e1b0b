/*
 * parse.c - stage 2: walks the structural positions of a record (stage 1) with an
 * explicit stack, checks the grammar, converts numbers and strings, and writes the tape.
 *
 * Promises: no recursion (depth is a counter, capped by max_depth), no allocation per
 * record once the buffers have grown to the largest record seen, every error has the byte
 * offset of its cause, and the tape never outlives the parser's next call.
 */
#include "json/internal.h"

#include <errno.h>
#include <locale.h>
#include <stdarg.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MAX_DEPTH 512
#define DEFAULT_MAX_RECORD ((size_t)64 << 20)
#define DEFAULT_MAX_STRING ((size_t)16 << 20)
#define DEFAULT_MAX_NUMBER 1000

void sl_json_limits_default(struct sl_json_limits *lim)
{
	lim->max_depth = DEFAULT_MAX_DEPTH;
	lim->max_record = DEFAULT_MAX_RECORD;
	lim->max_string = DEFAULT_MAX_STRING;
	lim->max_number = DEFAULT_MAX_NUMBER;
}

struct sl_json_parser {
	struct sl_json_limits lim;
	void (*stage1)(const char *, size_t, struct sl_stage1 *);
	const char *impl_name;
	uint32_t *idx;
	size_t idx_cap;
	uint32_t *bs;
	size_t bs_cap;
	struct sl_json_tok *tok;
	size_t tok_cap;
	char *arena; /* decoded strings; never larger than the record */
	size_t arena_cap;
	uint32_t *stack; /* token index of each open container */
	uint32_t *outer; /* per open container: its parent's member count, and bit 31 set
			  * when the parent is an object (the innermost one lives in locals) */
	uint32_t *keys; /* token index of each key of the open objects, innermost last */
	size_t keys_cap;
	size_t *key_base; /* per open container: where its keys start in keys[] */
	uint64_t *key_bits; /* per open container: one bit per key hash seen (a filter that
			     * spares the key-by-key comparison for almost every new key) */
	struct key_table *ktab; /* per open container: the keys of a large object, hashed */
	uint64_t parse_serial;  /* tells a table of an earlier record from this one's */
	locale_t c_locale;
};

/* Duplicate keys in an object of more than KEY_TABLE_MIN members are found through a
 * hash table of its keys, so that a record of a million distinct keys costs linear
 * time, not the quadratic time the key-by-key comparison behind the 64-bit filter
 * would take once the filter is full. */
#define KEY_TABLE_MIN 32
struct key_table {
	uint64_t parse; /* parse_serial and the OBJECT token of the object it holds */
	uint32_t obj;
	uint32_t n;     /* keys of that object in it */
	uint32_t *slot; /* token index + 1 of a key, 0 = empty */
	size_t cap;     /* a power of two */
};

struct sl_json_parser *sl_json_parser_new(const struct sl_json_limits *lim)
{
	struct sl_json_parser *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	if (lim)
		p->lim = *lim;
	else
		sl_json_limits_default(&p->lim);
	if (p->lim.max_depth == 0 || p->lim.max_depth > 65535)
		p->lim.max_depth = p->lim.max_depth ? 65535 : DEFAULT_MAX_DEPTH;
	p->stack = malloc((p->lim.max_depth + 1) * sizeof(*p->stack));
	p->outer = malloc((p->lim.max_depth + 1) * sizeof(*p->outer));
	p->key_base = malloc((p->lim.max_depth + 1) * sizeof(*p->key_base));
	p->key_bits = malloc((p->lim.max_depth + 1) * sizeof(*p->key_bits));
	p->ktab = calloc(p->lim.max_depth + 1, sizeof(*p->ktab));
	p->c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
	if (!p->stack || !p->outer || !p->key_base || !p->key_bits || !p->ktab ||
	    p->c_locale == (locale_t)0) {
		sl_json_parser_free(p);
		return NULL;
	}
	sl_json_parser_set_impl(p, SL_JSON_IMPL_AUTO);
	return p;
}

void sl_json_parser_free(struct sl_json_parser *p)
{
	if (!p)
		return;
	free(p->idx);
	free(p->bs);
	free(p->tok);
	free(p->arena);
	free(p->stack);
	free(p->outer);
	free(p->keys);
	free(p->key_base);
	free(p->key_bits);
	if (p->ktab)
		for (size_t d = 0; d <= p->lim.max_depth; d++)
			free(p->ktab[d].slot);
	free(p->ktab);
	if (p->c_locale != (locale_t)0)
		freelocale(p->c_locale);
	free(p);
}

int sl_json_parser_set_impl(struct sl_json_parser *p, enum sl_json_impl impl)
{
	int avx2 = sl_json_cpu_has_avx2(), avx512 = sl_json_cpu_has_avx512();
	if ((impl == SL_JSON_IMPL_AVX2 && !avx2) || (impl == SL_JSON_IMPL_AVX512 && !avx512))
		return SL_EINVAL;
	if (impl == SL_JSON_IMPL_AUTO)
		impl = avx512 ? SL_JSON_IMPL_AVX512 : avx2 ? SL_JSON_IMPL_AVX2 : SL_JSON_IMPL_SCALAR;
	switch (impl) {
	case SL_JSON_IMPL_AVX512:
		p->stage1 = sl_json_stage1_avx512;
		p->impl_name = "avx512";
		break;
	case SL_JSON_IMPL_AVX2:
		p->stage1 = sl_json_stage1_avx2;
		p->impl_name = "avx2";
		break;
	default:
		p->stage1 = sl_json_stage1_scalar;
		p->impl_name = "scalar";
		break;
	}
	return 0;
}

const char *sl_json_parser_impl_name(const struct sl_json_parser *p)
{
	return p->impl_name;
}

/* ---- errors ---------------------------------------------------------------------------- */

/* Fills e for a problem at byte `at` of the record: line and column are counted from the
 * record's start (the reader adds the record's own position). */
static int fail_at(struct sl_json_error *e, int code, const char *buf, size_t len, size_t at,
		   const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static int fail_at(struct sl_json_error *e, int code, const char *buf, size_t len, size_t at,
		   const char *fmt, ...)
{
	if (!e)
		return code;
	int64_t line = 1, col = 1;
	if (at > len)
		at = len;
	for (size_t i = 0; i < at; i++) {
		unsigned char c = (unsigned char)buf[i];
		if (c == '\n') {
			line++;
			col = 1;
		} else if ((c & 0xC0) != 0x80) {
			col++; /* count characters, not continuation bytes */
		}
	}
	e->code = code;
	e->fatal = false;
	e->pos.record = 0;
	e->pos.line = line;
	e->pos.column = col;
	e->pos.offset = (int64_t)at;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return code;
}

static const char *describe(const char *buf, size_t len, size_t at, char *tmp, size_t cap)
{
	if (at >= len)
		return "the end of the record";
	unsigned char c = (unsigned char)buf[at];
	if (c >= 0x20 && c < 0x7f)
		snprintf(tmp, cap, "'%c'", c);
	else
		snprintf(tmp, cap, "byte 0x%02x", c);
	return tmp;
}

/* ---- buffers ---------------------------------------------------------------------------- */

static int reserve(void **ptr, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t n = *cap ? *cap : 1024;
	while (n < need)
		n *= 2;
	void *q = realloc(*ptr, n * elem);
	if (!q)
		return SL_ENOMEM;
	*ptr = q;
	*cap = n;
	return 0;
}

/* ---- numbers ----------------------------------------------------------------------------- */

static const double pow10_exact[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
				     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
				     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static inline int is_digit(unsigned char c)
{
	return (unsigned)(c - '0') < 10;
}

/* A scalar must end where stage 1 ended it: at the end, whitespace, {}[]:, or a quote. */
static inline int scalar_ends(const unsigned char *s, size_t len, size_t i)
{
	return i >= len || sl_json_is_ws(s[i]) || sl_json_is_op(s[i]) || s[i] == '"';
}

/* Parses the number at buf[at] the careful way (any length, exponents, every error);
 * fills t; returns the end position or 0 with e filled. */
static size_t parse_number_slow(struct sl_json_parser *p, const char *buf, size_t len,
				size_t at, struct sl_json_tok *t, struct sl_json_error *e)
{
	const unsigned char *s = (const unsigned char *)buf;
	size_t i = at;
	int neg = 0;
	uint64_t mant = 0;
	int digits = 0; /* significant digits accumulated in mant */
	int dropped = 0; /* integer digits that did not fit in mant */
	int64_t exp10 = 0;
	int is_int = 1;

	if (s[i] == '-') {
		neg = 1;
		i++;
	}
	if (i >= len || !is_digit(s[i])) {
		fail_at(e, SL_ECORRUPT, buf, len, i, "invalid number: expected a digit");
		return 0;
	}
	if (s[i] == '0') {
		i++;
		if (i < len && is_digit(s[i])) {
			fail_at(e, SL_ECORRUPT, buf, len, at, "invalid number: leading zero");
			return 0;
		}
	} else {
		while (i < len && is_digit(s[i])) {
			if (digits < 19) {
				mant = mant * 10 + (uint64_t)(s[i] - '0');
				digits++;
			} else {
				dropped++;
			}
			i++;
		}
	}
	if (i < len && s[i] == '.') {
		is_int = 0;
		i++;
		if (i >= len || !is_digit(s[i])) {
			fail_at(e, SL_ECORRUPT, buf, len, i, "invalid number: expected a digit after '.'");
			return 0;
		}
		while (i < len && is_digit(s[i])) {
			if (digits < 19 && !(digits == 0 && s[i] == '0')) {
				mant = mant * 10 + (uint64_t)(s[i] - '0');
				digits++;
				exp10--;
			} else if (digits == 0) {
				exp10--; /* a leading zero of the fraction */
			} else {
				digits = 99; /* beyond 19 significant digits: the slow path below */
			}
			i++;
		}
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		is_int = 0;
		i++;
		int eneg = 0;
		if (i < len && (s[i] == '+' || s[i] == '-')) {
			eneg = s[i] == '-';
			i++;
		}
		if (i >= len || !is_digit(s[i])) {
			fail_at(e, SL_ECORRUPT, buf, len, i,
				"invalid number: expected a digit in the exponent");
			return 0;
		}
		int64_t x = 0;
		while (i < len && is_digit(s[i])) {
			if (x < 100000000)
				x = x * 10 + (s[i] - '0');
			i++;
		}
		exp10 += eneg ? -x : x;
	}
	size_t n = i - at;
	if (!scalar_ends(s, len, i)) {
		char tmp[16];
		fail_at(e, SL_ECORRUPT, buf, len, i, "invalid number: unexpected %s",
			describe(buf, len, i, tmp, sizeof(tmp)));
		return 0;
	}
	if (n > p->lim.max_number) {
		fail_at(e, SL_ELIMIT, buf, len, at, "number of %zu characters, over the limit of %zu",
			n, p->lim.max_number);
		return 0;
	}
	t->off = (uint32_t)at;
	t->len = (uint32_t)n;
	if (is_int) {
		if (dropped == 0 && (mant <= (uint64_t)INT64_MAX || (neg && mant == (uint64_t)INT64_MAX + 1))) {
			t->type = SL_JSON_INT;
			t->v.i = neg ? (int64_t)(0 - mant) : (int64_t)mant;
		} else {
			t->type = SL_JSON_BIGINT; /* kept exactly, as text */
			t->v.s = buf + at;
		}
		return i;
	}
	t->type = SL_JSON_DOUBLE;
	exp10 += dropped;
	if (digits <= 19 && mant <= (1ull << 53) && exp10 >= -22 && exp10 <= 22) {
		/* Clinger's fast path: both operands exact, one correctly rounded operation */
		double d = (double)mant;
		d = exp10 < 0 ? d / pow10_exact[-exp10] : d * pow10_exact[exp10];
		t->v.d = neg ? -d : d;
		return i;
	}
	if (mant == 0 && digits != 99) {
		t->v.d = neg ? -0.0 : 0.0;
		return i;
	}
	/* Everything else: the C library's correctly rounded conversion, in the C locale. */
	char tmp[1024];
	if (n >= sizeof(tmp)) {
		fail_at(e, SL_ELIMIT, buf, len, at, "number too long to convert");
		return 0;
	}
	memcpy(tmp, buf + at, n);
	tmp[n] = '\0';
	errno = 0;
	double d = strtod_l(tmp, NULL, p->c_locale);
	if (isinf(d)) {
		fail_at(e, SL_ECORRUPT, buf, len, at, "number out of the range of a double");
		return 0;
	}
	t->v.d = d;
	return i;
}


/* The common numbers, quickly: an optional '-', up to 19 digits with an optional
 * fraction, no exponent, followed by a delimiter. Anything else (and every error) goes to
 * parse_number_slow, which decides the same way. */
static inline size_t parse_number(struct sl_json_parser *p, const char *buf, size_t len,
				  size_t at, struct sl_json_tok *t, struct sl_json_error *e)
{
	const unsigned char *s = (const unsigned char *)buf;
	size_t i = at + (s[at] == '-');
	size_t int_start = i;
	uint64_t m = 0;
	while (i < len && is_digit(s[i]))
		m = m * 10 + (uint64_t)(s[i++] - '0');
	size_t nd = i - int_start, nf = 0;
	if (nd == 0 || (nd > 1 && s[int_start] == '0'))
		return parse_number_slow(p, buf, len, at, t, e);
	if (i < len && s[i] == '.') {
		size_t frac_start = ++i;
		while (i < len && is_digit(s[i]))
			m = m * 10 + (uint64_t)(s[i++] - '0');
		nf = i - frac_start;
		if (nf == 0)
			return parse_number_slow(p, buf, len, at, t, e);
	}
	if (nd + nf > 18 || !scalar_ends(s, len, i) || i - at > p->lim.max_number)
		return parse_number_slow(p, buf, len, at, t, e); /* exponent, long, or bad */
	int neg = s[at] == '-';
	t->off = (uint32_t)at;
	t->len = (uint32_t)(i - at);
	if (nf == 0) {
		t->type = SL_JSON_INT;
		t->v.i = neg ? -(int64_t)m : (int64_t)m;
		return i;
	}
	if (m > (1ull << 53) || nf > 22)
		return parse_number_slow(p, buf, len, at, t, e);
	double d = (double)m / pow10_exact[nf]; /* Clinger: exact operands, one rounding */
	t->type = SL_JSON_DOUBLE;
	t->v.d = neg ? -d : d;
	return i;
}

/* ---- strings ------------------------------------------------------------------------------ */

static int hex4(const unsigned char *s, uint32_t *out)
{
	uint32_t v = 0;
	for (int k = 0; k < 4; k++) {
		unsigned c = s[k], d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			d = (c | 0x20) - 'a' + 10;
		else
			return -1;
		v = v << 4 | d;
	}
	*out = v;
	return 0;
}

static size_t put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | cp >> 12);
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | cp >> 18);
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* Decodes the escapes of buf[from, to) into the arena; returns its length or -1. */
static long unescape(const char *buf, size_t len, size_t from, size_t to, char *out,
		     struct sl_json_error *e)
{
	const unsigned char *s = (const unsigned char *)buf;
	size_t o = 0;
	for (size_t i = from; i < to;) {
		const unsigned char *q = memchr(s + i, '\\', to - i);
		size_t run = q ? (size_t)(q - (s + i)) : to - i;
		memcpy(out + o, s + i, run);
		o += run;
		i += run;
		if (i >= to)
			break;
		/* s[i] is a backslash; stage 1 made sure the string goes on after it */
		unsigned char c = s[i + 1];
		switch (c) {
		case '"': out[o++] = '"'; i += 2; continue;
		case '\\': out[o++] = '\\'; i += 2; continue;
		case '/': out[o++] = '/'; i += 2; continue;
		case 'b': out[o++] = '\b'; i += 2; continue;
		case 'f': out[o++] = '\f'; i += 2; continue;
		case 'n': out[o++] = '\n'; i += 2; continue;
		case 'r': out[o++] = '\r'; i += 2; continue;
		case 't': out[o++] = '\t'; i += 2; continue;
		case 'u': break;
		default: {
			char tmp[16];
			fail_at(e, SL_ECORRUPT, buf, len, i, "invalid escape '\\%s' in a string",
				c >= 0x20 && c < 0x7f ? (snprintf(tmp, sizeof(tmp), "%c", c), tmp)
						      : "?");
			return -1;
		}
		}
		uint32_t cp, lo;
		if (i + 6 > to || hex4(s + i + 2, &cp) != 0) {
			fail_at(e, SL_ECORRUPT, buf, len, i, "invalid \\u escape: expected 4 hex digits");
			return -1;
		}
		if (cp >= 0xDC00 && cp <= 0xDFFF) {
			fail_at(e, SL_ECORRUPT, buf, len, i,
				"invalid \\u escape: lone low surrogate \\u%04X", cp);
			return -1;
		}
		if (cp >= 0xD800 && cp <= 0xDBFF) {
			if (i + 12 > to || s[i + 6] != '\\' || s[i + 7] != 'u' ||
			    hex4(s + i + 8, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF) {
				fail_at(e, SL_ECORRUPT, buf, len, i,
					"invalid \\u escape: high surrogate \\u%04X without a low one",
					cp);
				return -1;
			}
			cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
			i += 6;
		}
		o += put_utf8(out + o, cp);
		i += 6;
	}
	return (long)o;
}

/* ---- stage 2 ------------------------------------------------------------------------------- */

_Static_assert(offsetof(struct sl_json_tok, type) == 0 && offsetof(struct sl_json_tok, flags) == 1 &&
		       offsetof(struct sl_json_tok, depth) == 2 && offsetof(struct sl_json_tok, len) == 4,
	       "tok_set writes type, flags, depth and len as one 8-byte word");

/* Writes a token's fixed fields in one go. */
static inline void tok_set(struct sl_json_tok *t, int type, int flags, size_t depth,
			   uint32_t len, uint32_t off)
{
	/* type, flags, depth and len are the first 8 bytes: one store (x86 is little endian;
	 * the portable fallback below keeps other machines right) */
#if defined(__x86_64__) || defined(__i386__)
	uint64_t head = (uint64_t)(uint8_t)type | (uint64_t)(uint8_t)flags << 8 |
			(uint64_t)(uint16_t)depth << 16 | (uint64_t)len << 32;
	memcpy(t, &head, sizeof(head));
#else
	t->type = (uint8_t)type;
	t->flags = (uint8_t)flags;
	t->depth = (uint16_t)depth;
	t->len = len;
#endif
	t->off = off;
}

/* A string from the quote at `at` to the one at `end`: points into the record, or into
 * the arena when it has escapes. Returns 0 or an error code (e filled). */
static inline int take_string(struct sl_json_parser *p, const char *buf, size_t len, size_t at,
			      size_t end, const uint32_t **bs, size_t *arena,
			      struct sl_json_tok *t, struct sl_json_error *e)
{
	size_t slen = end - at - 1;
	if (slen > p->lim.max_string)
		return fail_at(e, SL_ELIMIT, buf, len, at, "string of %zu bytes, over the limit of %zu",
			       slen, p->lim.max_string);
	while (**bs < at) /* backslashes before this string (outside strings: errors anyway) */
		(*bs)++;
	if (**bs < end) {
		long m = unescape(buf, len, at + 1, end, p->arena + *arena, e);
		if (m < 0)
			return e ? e->code : SL_ECORRUPT;
		t->v.s = p->arena + *arena;
		t->len = (uint32_t)m;
		t->flags = SL_JSON_F_ESCAPED;
		*arena += (size_t)m;
	} else {
		t->v.s = buf + at + 1;
		t->len = (uint32_t)slen;
	}
	return 0;
}

static inline uint32_t key_hash(const unsigned char *k, uint32_t len)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (uint32_t i = 0; i < len; i++)
		h = (h ^ k[i]) * 16777619u;
	return h;
}

/* 1 if the key token kt repeats a key of the object at depth d (its keys are
 * keys[base .. nkeys)), 0 if not, SL_ENOMEM. Adds the key to the object's table. */
static int key_table_seen(struct sl_json_parser *p, size_t d, uint32_t obj,
			  const struct sl_json_tok *tok, const uint32_t *keys, size_t base,
			  size_t nkeys, uint32_t kt_index)
{
	struct key_table *kt = &p->ktab[d];
	size_t n = nkeys - base;
	bool stale = kt->parse != p->parse_serial || kt->obj != obj || kt->n != n;
	if (2 * (n + 1) > kt->cap) {
		size_t cap = kt->cap ? kt->cap : 64;
		while (2 * (n + 1) > cap)
			cap *= 2;
		uint32_t *slot = realloc(kt->slot, cap * sizeof(*slot));
		if (!slot)
			return SL_ENOMEM;
		kt->slot = slot;
		kt->cap = cap;
		stale = true;
	}
	size_t mask = kt->cap - 1;
	if (stale) {
		memset(kt->slot, 0, kt->cap * sizeof(*kt->slot));
		for (size_t k = base; k < nkeys; k++) {
			const struct sl_json_tok *o = &tok[keys[k]];
			size_t i = key_hash((const unsigned char *)o->v.s, o->len) & mask;
			while (kt->slot[i])
				i = (i + 1) & mask;
			kt->slot[i] = keys[k] + 1;
		}
		kt->parse = p->parse_serial;
		kt->obj = obj;
	}
	const struct sl_json_tok *t = &tok[kt_index];
	size_t i = key_hash((const unsigned char *)t->v.s, t->len) & mask;
	int seen = 0;
	for (; kt->slot[i]; i = (i + 1) & mask) {
		const struct sl_json_tok *o = &tok[kt->slot[i] - 1];
		if (o->len == t->len && memcmp(o->v.s, t->v.s, t->len) == 0) {
			seen = 1;
			break;
		}
	}
	if (!seen)
		kt->slot[i] = kt_index + 1;
	kt->n = (uint32_t)n + 1;
	return seen;
}

static int parse(struct sl_json_parser *p, const char *buf, size_t len, int padded,
		 struct sl_json_doc *doc, struct sl_json_error *e)
{
	p->parse_serial++;
	if (len > p->lim.max_record || len >= UINT32_MAX)
		return fail_at(e, SL_ELIMIT, buf, 0, 0, "record of %zu bytes, over the limit of %zu",
			       len, p->lim.max_record);
	if (reserve((void **)&p->idx, &p->idx_cap, len + 72, sizeof(*p->idx)) ||
	    reserve((void **)&p->bs, &p->bs_cap, len + 1, sizeof(*p->bs)) ||
	    reserve((void **)&p->tok, &p->tok_cap, len + 2, sizeof(*p->tok)) ||
	    reserve((void **)&p->arena, &p->arena_cap, len + 1, 1) ||
	    /* every member takes at least 4 bytes ("":0), so this many keys is enough */
	    reserve((void **)&p->keys, &p->keys_cap, len / 4 + 2, sizeof(*p->keys)))
		return fail_at(e, SL_ENOMEM, buf, 0, 0, "out of memory for a record of %zu bytes", len);

	struct sl_stage1 s1 = {.padded = padded, .idx = p->idx, .bs = p->bs};
	p->stage1(buf, len, &s1);
	size_t n = s1.n;
	const uint32_t *bs = p->bs; /* the next backslash not before the current string */
	/* The first error in document order wins, whichever stage finds it. Stage 2 never
	 * sees a position at or past the first byte stage 1 found bad: the list is cut
	 * there, so reaching its end early means "report stage 1's error". */
	int cut = s1.ctrl_at != SIZE_MAX || s1.utf8_at != SIZE_MAX;
	if (cut) {
		size_t limit = s1.ctrl_at < s1.utf8_at ? s1.ctrl_at : s1.utf8_at, k = 0;
		while (k < n && p->idx[k] < limit)
			k++;
		n = k;
		p->idx[n] = (uint32_t)len;
	}
	/* From here idx[n] == len is a sentinel: reading it always ends in an error, so
	 * no position past it is ever read. */
	/* Locals, not p->...: the project builds with -fno-strict-aliasing, so every token
	 * store would otherwise force these pointers to be read again from *p. */
	const unsigned char *s = (const unsigned char *)buf;
	const uint32_t *idx = p->idx;
	struct sl_json_tok *tok = p->tok;
	uint32_t *stack = p->stack, *outer = p->outer;
	uint32_t count = 0; /* members of the innermost open container so far */
	int in_obj = 0;     /* the innermost open container is an object */
	size_t *key_base = p->key_base;
	uint64_t *key_bits = p->key_bits;
	uint32_t *keys = p->keys;
	const size_t max_depth_limit = p->lim.max_depth;
	size_t nt = 0, pos = 0, depth = 0, nkeys = 0, arena = 0;
	uint32_t at = 0;
	int max_depth = 0, rc;
	bool dup = false;
	char tmp[16];
#define CH(i) ((i) < len ? s[i] : 0)

value:
	at = idx[pos++];
	{
		struct sl_json_tok *t = &tok[nt];
		unsigned char c0 = CH(at);
		/* strings and numbers first, by plain tests: most values are one of them, and a
		 * test predicts better here than the jump table of a switch */
		if (c0 == '"') {
			size_t end = idx[pos++];
			if (CH(end) != '"')
				goto unterminated;
			tok_set(t, SL_JSON_STRING, 0, depth, 0, at);
			if ((rc = take_string(p, buf, len, at, end, &bs, &arena, t, e)) != 0)
				return rc;
			nt++;
			goto after_value;
		}
		if (is_digit(c0) || c0 == '-') {
			t->flags = 0;
			t->depth = (uint16_t)depth;
			if (parse_number(p, buf, len, at, t, e) == 0)
				return e ? e->code : SL_ECORRUPT;
			nt++;
			goto after_value;
		}
		switch (c0) {
		case '{':
		case '[':
			if (depth >= max_depth_limit)
				goto too_deep;
			tok_set(t, s[at] == '{' ? SL_JSON_OBJECT : SL_JSON_ARRAY, 0, depth, 0, at);
			stack[depth] = (uint32_t)nt;
			outer[depth] = count | (uint32_t)in_obj << 31;
			count = 0;
			in_obj = s[at] == '{';
			key_base[depth] = nkeys;
			key_bits[depth] = 0;
			depth++;
			if ((int)depth > max_depth)
				max_depth = (int)depth;
			nt++;
			if (CH(idx[pos]) == (s[at] == '{' ? '}' : ']')) {
				pos++;
				goto close;
			}
			if (s[at] == '{')
				goto key;
			goto value;
		case 't':
			if (len - at >= 4 && memcmp(buf + at, "true", 4) == 0 &&
			    scalar_ends(s, len, at + 4)) {
				tok_set(t, SL_JSON_TRUE, 0, depth, 4, at);
				nt++;
				goto after_value;
			}
			goto bad_literal;
		case 'f':
			if (len - at >= 5 && memcmp(buf + at, "false", 5) == 0 &&
			    scalar_ends(s, len, at + 5)) {
				tok_set(t, SL_JSON_FALSE, 0, depth, 5, at);
				nt++;
				goto after_value;
			}
			goto bad_literal;
		case 'n':
			if (len - at >= 4 && memcmp(buf + at, "null", 4) == 0 &&
			    scalar_ends(s, len, at + 4)) {
				tok_set(t, SL_JSON_NULL, 0, depth, 4, at);
				nt++;
				goto after_value;
			}
			goto bad_literal;
		default:
			goto unexpected;
		}
	}

after_value:
	if (depth == 0) {
		if (pos < n)
			return fail_at(e, SL_ECORRUPT, buf, len, idx[pos], "unexpected %s after the value",
				       describe(buf, len, idx[pos], tmp, sizeof(tmp)));
		if (cut)
			goto stage1_error;
		goto done;
	}
	{
		count++;
		at = idx[pos++];
		unsigned char c = CH(at);
		if (c == ',') {
			if (in_obj)
				goto key;
			goto value;
		}
		if (c == (in_obj ? '}' : ']'))
			goto close;
		if (at >= len && cut)
			goto stage1_error;
		return fail_at(e, SL_ECORRUPT, buf, len, at, "expected ',' or '%c' but found %s",
			       in_obj ? '}' : ']', describe(buf, len, at, tmp, sizeof(tmp)));
	}
key:
	at = idx[pos++];
	if (CH(at) != '"') {
		if (at >= len && cut)
			goto stage1_error;
		return fail_at(e, SL_ECORRUPT, buf, len, at, "expected a member name (a string) but "
			       "found %s", describe(buf, len, at, tmp, sizeof(tmp)));
	}
	{
		size_t end = idx[pos++];
		if (CH(end) != '"')
			goto unterminated;
		struct sl_json_tok *t = &tok[nt];
		tok_set(t, SL_JSON_KEY, 0, depth, 0, at);
		if ((rc = take_string(p, buf, len, at, end, &bs, &arena, t, e)) != 0)
			return rc;
		/* Duplicate keys: a 64-bit filter per open object, indexed by a cheap mix of the
		 * key's first and last byte and its length, spares the key-by-key comparison
		 * for most new keys; only a filter hit compares with this object's keys. Large
		 * objects, whose filter is full, use a hash table instead. */
		uint32_t kl = t->len;
		const unsigned char *ks = (const unsigned char *)t->v.s;
		if (nkeys - key_base[depth - 1] >= KEY_TABLE_MIN) {
			rc = key_table_seen(p, depth - 1, stack[depth - 1], tok, keys,
					    key_base[depth - 1], nkeys, (uint32_t)nt);
			if (rc < 0)
				return fail_at(e, SL_ENOMEM, buf, len, at,
					       "out of memory for the keys of an object");
			if (rc) {
				t->flags |= SL_JSON_F_DUPKEY;
				dup = true;
			}
		} else {
			uint64_t bit = kl ? 1ull << ((ks[0] * 7u + ks[kl - 1] * 13u + kl) & 63) : 1;
			uint64_t seen = key_bits[depth - 1];
			key_bits[depth - 1] = seen | bit;
			if (seen & bit) {
				for (size_t k = key_base[depth - 1]; k < nkeys; k++) {
					const struct sl_json_tok *o = &tok[keys[k]];
					if (o->len == kl && memcmp(o->v.s, ks, kl) == 0) {
						t->flags |= SL_JSON_F_DUPKEY;
						dup = true;
						break;
					}
				}
			}
		}
		keys[nkeys] = (uint32_t)nt;
		nkeys++;
		nt++;
		at = idx[pos++];
		if (CH(at) != ':') {
			if (at >= len && cut)
				goto stage1_error;
			return fail_at(e, SL_ECORRUPT, buf, len, at, "expected ':' but found %s",
				       describe(buf, len, at, tmp, sizeof(tmp)));
		}
		goto value;
	}

close: {
	depth--;
	struct sl_json_tok *open = &tok[stack[depth]];
	tok_set(&tok[nt], SL_JSON_END, 0, depth, 0, idx[pos - 1]);
	open->v.end = (uint32_t)nt;
	open->len = count;
	count = outer[depth] & 0x7fffffffu;
	in_obj = (int)(outer[depth] >> 31);
	nkeys = key_base[depth];
	nt++;
	goto after_value;
}
#undef CH

done:
	doc->tok = tok;
	doc->n_tok = nt;
	doc->text = buf;
	doc->len = len;
	doc->dup_keys = dup;
	doc->max_depth = max_depth;
	memset(&doc->pos, 0, sizeof(doc->pos));
	doc->pos.line = 1;
	return 0;

too_deep:
	return fail_at(e, SL_ELIMIT, buf, len, at, "nesting deeper than the limit of %u",
		       p->lim.max_depth);
bad_literal:
	return fail_at(e, SL_ECORRUPT, buf, len, at, "invalid literal: expected true, false or null");
unterminated:
	if (cut) {
		/* The string runs into the byte stage 1 found bad; a bad escape earlier in it
		 * comes first in document order. */
		size_t limit = s1.ctrl_at < s1.utf8_at ? s1.ctrl_at : s1.utf8_at;
		while (*bs < at)
			bs++;
		if (at < limit && *bs < limit) {
			struct sl_json_error esc;
			if (unescape(buf, len, at + 1, limit, p->arena + arena, &esc) < 0 &&
			    (size_t)esc.pos.offset < limit) {
				if (e)
					*e = esc;
				return esc.code;
			}
		}
		goto stage1_error;
	}
	return fail_at(e, SL_ECORRUPT, buf, len, at, "unterminated string");
unexpected:
	if (at >= len && cut)
		goto stage1_error;
	if (at >= len)
		return fail_at(e, SL_ECORRUPT, buf, len, at,
			       n == 0 ? "empty record: expected a value" : "unexpected end of the record");
	return fail_at(e, SL_ECORRUPT, buf, len, at, "unexpected %s",
		       describe(buf, len, at, tmp, sizeof(tmp)));
stage1_error:
	if (s1.ctrl_at < s1.utf8_at)
		return fail_at(e, SL_ECORRUPT, buf, len, s1.ctrl_at,
			       "control character (byte 0x%02x) in a string: it must be escaped",
			       s[s1.ctrl_at]);
	return fail_at(e, SL_ECORRUPT, buf, len, s1.utf8_at, "invalid UTF-8 (byte 0x%02x)",
		       s[s1.utf8_at]);
}

int sl_json_parse(struct sl_json_parser *p, const char *buf, size_t len,
		  struct sl_json_doc *doc, struct sl_json_error *e)
{
	return parse(p, buf, len, 0, doc, e);
}

int sl_json_parse_padded(struct sl_json_parser *p, const char *buf, size_t len,
			 struct sl_json_doc *doc, struct sl_json_error *e)
{
	return parse(p, buf, len, 1, doc, e);
}
