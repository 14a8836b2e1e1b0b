/*
 * json_tape.h - oracles for the JSON engine's tape, shared by tests/unit/test_json.c,
 * tests/unit/test_json_reader.c and tests/fuzz/fuzz_json.c (header-only, so that the
 * single-file fuzz harness can include it).
 *
 * jt_check_tape() checks a successful parse against what json.h promises, from the
 * record text alone: containers point at their END and count their children, depths
 * nest, keys alternate with values, unescaped strings point into the text, numbers are
 * the digits at off, max_depth is the deepest nesting, and SL_JSON_F_DUPKEY is set on a
 * key exactly when an earlier member of the same object has the same (decoded) name.
 *
 * jt_compare_result() compares two parses of the same bytes (the scalar and the AVX2
 * implementation): same return code, same tape token for token (strings by content,
 * doubles bit for bit), or the same error code, position and message.
 *
 * Both return NULL when all is well, else a static description of the first difference.
 */
#ifndef SL_TEST_JSON_TAPE_H
#define SL_TEST_JSON_TAPE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/json.h"

static char jt_why[1024];

#define JT_FAIL(...) \
	do { \
		snprintf(jt_why, sizeof(jt_why), __VA_ARGS__); \
		return jt_why; \
	} while (0)

static inline int jt_is_num_byte(char c)
{
	return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

static inline const char *jt_check_tape(const struct sl_json_doc *d)
{
	const char *text = d->text;
	size_t n = d->n_tok;
	if (n == 0)
		JT_FAIL("empty tape");
	size_t *stack = malloc((n + 1) * sizeof(*stack));
	size_t *kids = malloc((n + 1) * sizeof(*kids));
	if (!stack || !kids)
		abort();
	size_t sp = 0, max_sp = 0, tops = 0;
	int any_dup = 0;
	const char *why = NULL;
	for (size_t i = 0; i < n && !why; i++) {
		const struct sl_json_tok *t = &d->tok[i];
		if (t->off >= d->len) {
			why = "token offset beyond the record";
			break;
		}
		char c = text[t->off];
		if (t->type == SL_JSON_END) {
			if (sp == 0) {
				why = "END without an open container";
				break;
			}
			const struct sl_json_tok *o = &d->tok[stack[sp - 1]];
			if (o->v.end != i)
				snprintf(jt_why, sizeof(jt_why), "container %zu: v.end %u, END at %zu",
					 stack[sp - 1], o->v.end, i), why = jt_why;
			else if (o->len != kids[sp - 1])
				snprintf(jt_why, sizeof(jt_why), "container %zu: len %u, %zu children",
					 stack[sp - 1], o->len, kids[sp - 1]), why = jt_why;
			else if (t->depth != sp - 1)
				why = "END at the wrong depth";
			else if (c != (o->type == SL_JSON_OBJECT ? '}' : ']'))
				why = "END does not point at the closing bracket";
			else if (o->type == SL_JSON_OBJECT && i > 0 && d->tok[i - 1].type == SL_JSON_KEY)
				why = "object closed after a key without a value";
			sp--;
			continue;
		}
		if (t->depth != sp) {
			snprintf(jt_why, sizeof(jt_why), "token %zu: depth %u, expected %zu", i,
				 t->depth, sp);
			why = jt_why;
			break;
		}
		const struct sl_json_tok *parent = sp ? &d->tok[stack[sp - 1]] : NULL;
		const struct sl_json_tok *prev = i ? &d->tok[i - 1] : NULL;
		int after_key = prev && prev->type == SL_JSON_KEY;
		if (t->type == SL_JSON_KEY) {
			if (!parent || parent->type != SL_JSON_OBJECT || after_key) {
				why = "KEY outside an object or after a key";
				break;
			}
			kids[sp - 1]++;
		} else if (parent && parent->type == SL_JSON_OBJECT && !after_key) {
			why = "object member value without a key";
			break;
		} else if (parent && parent->type == SL_JSON_ARRAY) {
			kids[sp - 1]++;
		} else if (!parent) {
			tops++;
		}
		if ((t->flags & SL_JSON_F_ESCAPED) && t->type != SL_JSON_STRING && t->type != SL_JSON_KEY) {
			why = "ESCAPED flag on a token that is not a string";
			break;
		}
		if ((t->flags & SL_JSON_F_DUPKEY) && t->type != SL_JSON_KEY) {
			why = "DUPKEY flag on a token that is not a key";
			break;
		}
		switch (t->type) {
		case SL_JSON_NULL:
			if (t->len != 4 || memcmp(text + t->off, "null", 4) != 0)
				why = "NULL token is not 'null'";
			break;
		case SL_JSON_TRUE:
			if (t->len != 4 || memcmp(text + t->off, "true", 4) != 0)
				why = "TRUE token is not 'true'";
			break;
		case SL_JSON_FALSE:
			if (t->len != 5 || memcmp(text + t->off, "false", 5) != 0)
				why = "FALSE token is not 'false'";
			break;
		case SL_JSON_INT:
		case SL_JSON_BIGINT:
		case SL_JSON_DOUBLE: {
			if (t->len == 0 || t->off + t->len > d->len)
				why = "number text out of the record";
			for (uint32_t k = 0; !why && k < t->len; k++)
				if (!jt_is_num_byte(text[t->off + k]))
					why = "number text holds a non-number byte";
			if (!why && t->off + t->len < d->len && jt_is_num_byte(text[t->off + t->len]))
				why = "number text stops before the number ends";
			if (!why && t->type == SL_JSON_INT) {
				char tmp[32];
				snprintf(tmp, sizeof(tmp), "%lld", (long long)t->v.i);
				const char *s = text + t->off;
				size_t l = t->len;
				/* "-0" is the integer 0 */
				if (!(l == strlen(tmp) && memcmp(s, tmp, l) == 0) &&
				    !(l == 2 && memcmp(s, "-0", 2) == 0 && t->v.i == 0))
					why = "INT value differs from its text";
			}
			if (!why && t->type == SL_JSON_BIGINT && t->v.s != text + t->off)
				why = "BIGINT v.s does not point at its text";
			if (!why && t->type != SL_JSON_DOUBLE) {
				for (uint32_t k = 0; k < t->len; k++) {
					char x = text[t->off + k];
					if (!(x >= '0' && x <= '9') && !(k == 0 && x == '-'))
						why = "integer text has a fraction or exponent";
				}
			}
			break;
		}
		case SL_JSON_STRING:
		case SL_JSON_KEY:
			if (c != '"')
				why = "string token does not point at a quote";
			else if (!(t->flags & SL_JSON_F_ESCAPED) &&
				 (t->v.s != text + t->off + 1 || t->off + 1 + t->len >= d->len ||
				  text[t->off + 1 + t->len] != '"' ||
				  memchr(t->v.s, '\\', t->len) != NULL))
				why = "unescaped string is not the bytes between its quotes";
			else if ((t->flags & SL_JSON_F_ESCAPED) &&
				 memchr(text + t->off + 1, '\\', d->len - t->off - 1) == NULL)
				why = "ESCAPED string without a backslash";
			if (!why && t->type == SL_JSON_KEY) {
				/* duplicate: an earlier key of the same object with the same bytes */
				int dup = 0;
				size_t from = stack[sp - 1] + 1;
				for (size_t k = from; k < i; k++) {
					const struct sl_json_tok *o = &d->tok[k];
					if (o->type == SL_JSON_KEY && o->depth == t->depth &&
					    o->len == t->len && memcmp(o->v.s, t->v.s, t->len) == 0)
						dup = 1;
					if (o->type == SL_JSON_OBJECT || o->type == SL_JSON_ARRAY)
						k = o->v.end; /* skip nested containers */
				}
				if (dup != !!(t->flags & SL_JSON_F_DUPKEY)) {
					snprintf(jt_why, sizeof(jt_why), "key %zu: DUPKEY flag %d, expected %d",
						 i, !!(t->flags & SL_JSON_F_DUPKEY), dup);
					why = jt_why;
				}
				any_dup |= dup;
			}
			break;
		case SL_JSON_OBJECT:
		case SL_JSON_ARRAY:
			if (c != (t->type == SL_JSON_OBJECT ? '{' : '['))
				why = "container does not point at its bracket";
			else if (t->v.end <= i || t->v.end >= n)
				why = "container v.end out of the tape";
			stack[sp] = i;
			kids[sp] = 0;
			sp++;
			if (sp > max_sp)
				max_sp = sp;
			break;
		default:
			why = "unknown token type";
		}
	}
	if (!why && sp != 0)
		why = "containers left open at the end of the tape";
	if (!why && tops != 1)
		why = "the tape does not hold exactly one top-level value";
	if (!why && (size_t)d->max_depth != max_sp)
		snprintf(jt_why, sizeof(jt_why), "max_depth %d, deepest nesting %zu", d->max_depth,
			 max_sp), why = jt_why;
	if (!why && d->dup_keys != any_dup)
		why = "doc.dup_keys disagrees with the keys' flags";
	free(stack);
	free(kids);
	return why;
}

/* Compares the results of two parses of the same text (rc, doc and error of each). */
static inline const char *jt_compare_result(int rc1, const struct sl_json_doc *d1,
					    const struct sl_json_error *e1, int rc2,
					    const struct sl_json_doc *d2,
					    const struct sl_json_error *e2)
{
	if (rc1 != rc2)
		JT_FAIL("return codes differ: %d and %d", rc1, rc2);
	if (rc1 != 0) {
		if (e1->code != e2->code || e1->fatal != e2->fatal)
			JT_FAIL("error codes differ: %d and %d", e1->code, e2->code);
		if (e1->pos.line != e2->pos.line || e1->pos.column != e2->pos.column ||
		    e1->pos.offset != e2->pos.offset || e1->pos.record != e2->pos.record)
			JT_FAIL("error positions differ: %lld:%lld@%lld and %lld:%lld@%lld",
				(long long)e1->pos.line, (long long)e1->pos.column,
				(long long)e1->pos.offset, (long long)e2->pos.line,
				(long long)e2->pos.column, (long long)e2->pos.offset);
		if (strcmp(e1->msg, e2->msg) != 0)
			JT_FAIL("error messages differ: '%.300s' and '%.300s'", e1->msg, e2->msg);
		return NULL;
	}
	if (d1->n_tok != d2->n_tok)
		JT_FAIL("tapes of %zu and %zu tokens", d1->n_tok, d2->n_tok);
	if (d1->len != d2->len || d1->dup_keys != d2->dup_keys || d1->max_depth != d2->max_depth)
		JT_FAIL("documents differ in len, dup_keys or max_depth");
	if (d1->pos.record != d2->pos.record || d1->pos.line != d2->pos.line ||
	    d1->pos.column != d2->pos.column || d1->pos.offset != d2->pos.offset)
		JT_FAIL("document positions differ");
	for (size_t i = 0; i < d1->n_tok; i++) {
		const struct sl_json_tok *a = &d1->tok[i], *b = &d2->tok[i];
		if (a->type != b->type || a->flags != b->flags || a->depth != b->depth ||
		    a->len != b->len || a->off != b->off)
			JT_FAIL("token %zu differs: type %u/%u flags %u/%u depth %u/%u len %u/%u "
				"off %u/%u", i, a->type, b->type, a->flags, b->flags, a->depth,
				b->depth, a->len, b->len, a->off, b->off);
		int same = 1;
		switch (a->type) {
		case SL_JSON_INT: same = a->v.i == b->v.i; break;
		case SL_JSON_DOUBLE: same = memcmp(&a->v.d, &b->v.d, sizeof(double)) == 0; break;
		case SL_JSON_STRING:
		case SL_JSON_KEY: same = memcmp(a->v.s, b->v.s, a->len) == 0; break;
		case SL_JSON_BIGINT:
			same = a->v.s - d1->text == b->v.s - d2->text;
			break;
		case SL_JSON_OBJECT:
		case SL_JSON_ARRAY: same = a->v.end == b->v.end; break;
		default: break;
		}
		if (!same)
			JT_FAIL("token %zu (type %u) has different values", i, a->type);
	}
	return NULL;
}

#undef JT_FAIL

#endif
