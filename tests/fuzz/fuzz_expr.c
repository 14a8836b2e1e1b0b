/*
 * fuzz_expr.c - libFuzzer harness for the ETL mapping's expressions (etl/expr.h). The
 * input up to its first NUL byte is an expression, compiled against a fixed row type with
 * nested structs; what follows the NUL, when it is a JSON record, is evaluated on too,
 * beside a few fixed records (one that fits, ones that do not, deep, repeated, empty).
 *   1. compiling terminates with an expression and its static type, or SL_EINVAL with a
 *      message "at N: ..." whose N lies within the text (expr.h promise 1);
 *   2. evaluating gives a value of the static type's kind (or null), or SL_EINVAL with a
 *      reason; never a crash, a read outside the record or a hang (promise 2);
 *   3. every value's JSON text parses as JSON;
 *   4. the arena's memory stays bounded (libFuzzer's -rss_limit_mb, promise 3).
 * Any broken promise aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "etl/expr.h"

static const char row_text[] =
	"struct<id:int64,amount:double,qty:int32,price:decimal(10,2),name:string,"
	"country:string,ts:timestamp(us),tsms:timestamp(ms),d:date,flag:boolean,"
	"tags:list<string>,attrs:json,m:map<string,int64>,"
	"addr:struct<city:string,zip:int64,geo:struct<lat:double,lon:double,"
	"pt:struct<x:int64,y:int64>>>,u:uuid,t:time(ms),b:binary,big:uint64,f:float,e:enum>";

static const char *const records[] = {
	"{\"id\":7,\"amount\":12.5,\"qty\":3,\"price\":\"19.99\",\"name\":\"  J\xc3\xb6rg \","
	"\"country\":\"DE\",\"ts\":\"2026-01-05T23:30:00-02:00\",\"tsms\":\"1970-01-01T00:00:00Z\","
	"\"d\":\"2024-02-29\",\"flag\":true,\"tags\":[\"a\",\"b\"],\"attrs\":{\"k\":[1,{}]},"
	"\"m\":{\"a\":1},\"addr\":{\"city\":\"Berlin\",\"zip\":10115,\"geo\":{\"lat\":52.5,"
	"\"lon\":13.4,\"pt\":{\"x\":-9223372036854775808,\"y\":9223372036854775807}}},"
	"\"u\":\"123e4567-e89b-12d3-a456-426614174000\",\"t\":\"12:34:56.789\","
	"\"b\":\"aGk=\",\"big\":18446744073709551615,\"f\":\"NaN\",\"e\":\"x\"}",
	"{\"id\":\"7\",\"amount\":\"x\",\"qty\":1.5,\"price\":[],\"name\":5,\"country\":null,"
	"\"ts\":\"nope\",\"d\":\"2024-13-01\",\"flag\":1,\"tags\":{},\"attrs\":null,\"m\":[],"
	"\"addr\":{\"geo\":{\"pt\":7}},\"f\":\"-Infinity\",\"big\":-1}",
	"{\"addr\":null,\"amount\":-0,\"ts\":\"0000-01-01T00:00:00+23:59\",\"d\":\"9999-12-31\","
	"\"name\":\"\",\"country\":\"%_\\u0000\\\"\",\"id\":-9223372036854775808}",
	"{\"addr\":{\"city\":\"a\"},\"addr\":{\"geo\":null},\"id\":1,\"id\":2,"
	"\"x\":[[[[[[[[[[[[[[[[{\"id\":3}]]]]]]]]]]]]]]]],\"qty\":1e300}",
	"{}",
	"[1,{\"id\":2}]",
	"\"id\"",
};

static struct sl_type *row;
static struct sl_json_parser *jp, *jcheck;
static struct sl_expr_arena *arena;

static void die(const char *why, const char *text)
{
	fprintf(stderr, "fuzz_expr: %s: '%s'\n", why, text);
	abort();
}

static void init(void)
{
	struct sl_err err = {0};
	row = sl_type_parse(row_text, strlen(row_text), &err);
	jp = sl_json_parser_new(NULL);
	jcheck = sl_json_parser_new(NULL);
	arena = sl_expr_arena_new();
	if (!row || !jp || !jcheck || !arena)
		die("setup", err.msg);
}

/* Whether a value of kind k fits static type t. */
static int kind_fits(int k, const struct sl_type *t)
{
	if (k == SL_EV_NULL)
		return 1;
	switch (t->kind) {
	case SL_T_BOOL: return k == SL_EV_BOOL;
	case SL_T_INT: return k == SL_EV_INT;
	case SL_T_FLOAT:
	case SL_T_DOUBLE:
	case SL_T_DECIMAL: return k == SL_EV_DOUBLE;
	case SL_T_STRING:
	case SL_T_BINARY:
	case SL_T_TIME:
	case SL_T_UUID: return k == SL_EV_STRING;
	case SL_T_DATE: return k == SL_EV_DATE;
	case SL_T_TIMESTAMP: return k == SL_EV_TIMESTAMP;
	default: return k == SL_EV_JSON;
	}
}

static void eval_on(const struct sl_expr *e, const struct sl_expr_cols *cols,
		    const struct sl_type *t, const char *rec, size_t len, const char *text)
{
	struct sl_json_doc doc;
	struct sl_json_error je;
	if (sl_json_parse(jp, rec, len, &doc, &je) != 0)
		return;
	size_t n = sl_expr_cols_count(cols);
	size_t *slots = malloc((n ? n : 1) * sizeof(*slots));
	if (!slots)
		die("out of memory", text);
	sl_expr_cols_locate(cols, &doc, slots);
	for (size_t i = 0; i < n; i++)
		if (slots[i] != SIZE_MAX && slots[i] >= doc.n_tok)
			die("a slot outside the record", text);
	sl_expr_arena_reset(arena);
	struct sl_expr_value v;
	const char *why = NULL;
	int rc = sl_expr_eval(e, &doc, slots, arena, &v, &why);
	if (rc == SL_EINVAL) {
		if (!why || !why[0])
			die("a refusal without a reason", text);
	} else if (rc != 0) {
		die("evaluation failed", text);
	} else {
		if (!kind_fits(v.kind, t))
			die("a value of another kind than the static type", text);
		struct sl_buf b;
		sl_buf_init(&b, 0);
		if (sl_expr_value_json(&v, &doc, &b) != 0)
			die("a value without a JSON text", text);
		struct sl_json_doc d2;
		if (sl_json_parse(jcheck, b.data, b.len, &d2, &je) != 0)
			die("a value's text is not JSON", b.data);
		sl_buf_release(&b);
	}
	free(slots);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!row)
		init();
	if (size > SL_EXPR_MAX_TEXT + 4096)
		return 0;
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	size_t tlen = strlen(text);
	struct sl_expr_cols *cols = sl_expr_cols_new(row);
	struct sl_expr *e = NULL;
	struct sl_type *t = NULL;
	struct sl_err err = {0};
	if (!cols)
		die("out of memory", text);
	int rc = sl_expr_compile(text, cols, &e, &t, &err);
	if (rc != 0) {
		unsigned long at;
		if (rc != SL_EINVAL || e || t || sscanf(err.msg, "at %lu: ", &at) != 1 ||
		    at > (tlen > SL_EXPR_MAX_TEXT ? SL_EXPR_MAX_TEXT : tlen) ||
		    !strstr(err.msg, ": "))
			die("a compile error without its place", err.msg);
	} else {
		if (!e || !t || !t->nullable)
			die("an expression without a nullable static type", text);
		for (size_t i = 0; i < sizeof(records) / sizeof(records[0]); i++)
			eval_on(e, cols, t, records[i], strlen(records[i]), text);
		if (tlen < size)
			eval_on(e, cols, t, text + tlen + 1, size - tlen - 1, text);
	}
	sl_type_free(t);
	sl_expr_free(e);
	sl_expr_cols_free(cols);
	free(text);
	return 0;
}
