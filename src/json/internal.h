/* internal.h - what the files of the JSON engine share (not for other modules). */
#ifndef SL_JSON_INTERNAL_H
#define SL_JSON_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "json/json.h"

/*
 * Stage 1 turns a record's bytes into the list of its structural positions: every
 * {}[]:, outside strings, every unescaped quote (opening and closing), and the first
 * byte of every scalar (a run of bytes outside strings that are not whitespace, not
 * {}[]:, and not a quote). A backslash escapes the next byte anywhere; a quote toggles
 * "in string". Both implementations must give the same positions and the same first
 * errors, for every input, valid or not.
 */
struct sl_stage1 {
	int padded;      /* in: 64 readable bytes follow buf[len] (their contents are ignored) */
	uint32_t *idx;   /* structural positions, then a sentinel = len */
	size_t n;        /* positions, not counting the sentinel */
	size_t ctrl_at;  /* first control character inside a string, or SIZE_MAX */
	size_t utf8_at;  /* first byte of invalid UTF-8, or SIZE_MAX */
	uint32_t *bs;    /* positions of every backslash, then a sentinel UINT32_MAX: stage 2
			  * knows from it, without looking, which strings need unescaping */
	size_t n_bs;
};

/* idx must have room for len + 72 entries, bs for len + 1. */
void sl_json_stage1_scalar(const char *buf, size_t len, struct sl_stage1 *out);
void sl_json_stage1_avx2(const char *buf, size_t len, struct sl_stage1 *out);
void sl_json_stage1_avx512(const char *buf, size_t len, struct sl_stage1 *out);
int sl_json_cpu_has_avx2(void);
int sl_json_cpu_has_avx512(void);

/* Validates the UTF-8 sequences that start in [from, to) of buf[0..len) (a sequence
 * may run past `to`). Returns the position after the last sequence checked (>= to), or
 * sets *bad to the first invalid byte's position and returns SIZE_MAX. */
size_t sl_json_utf8_check(const char *buf, size_t len, size_t from, size_t to, size_t *bad);

static inline int sl_json_is_ws(unsigned char c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

static inline int sl_json_is_op(unsigned char c)
{
	return c == '{' || c == '}' || c == '[' || c == ']' || c == ':' || c == ',';
}

#endif
