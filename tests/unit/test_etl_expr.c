/*
 * test_etl_expr.c - the ETL mapping's expressions (etl/expr.h): every operator, function,
 * NULL rule, typing rule and compile error of the header, the header's three promises
 * (test_p1_*, test_p2_*, test_p3_*), the column slots, the output texts, and an oracle:
 * random arithmetic, comparison, logic and string expressions over random records,
 * evaluated by sl_expr_eval and by SQLite (`SELECT expr` with the columns bound) where
 * the two languages mean the same, compared value for value.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "etl/expr.h"

/* The row type of the hand-written tests: every kind of column. */
static const char ROW[] =
	"struct<id:int64,amount:double,qty:int32,price:decimal(10,2),country:string,"
	"name:string,ts:timestamp(us),d:date,flag:boolean,tags:list<string>,attrs:json,"
	"addr:struct<city:string,zip:int64,geo:struct<lat:double,lon:double>>,u:uuid,"
	"t:time(ms),b:binary,e:enum,big:uint64,f:float,tsms:timestamp(ms),m:map<string,int64>>";

static const char REC[] =
	"{\"id\":7,\"amount\":12.5,\"qty\":3,\"price\":\"19.99\",\"country\":\"DE\","
	"\"name\":\"  J\xc3\xb6rg M\xc3\xbcller \",\"ts\":\"2026-01-05T23:30:00-02:00\","
	"\"d\":\"2024-02-29\",\"flag\":true,\"tags\":[\"a\",\"b\"],"
	"\"attrs\":{\"k\":[1,2,{\"x\":null}]},"
	"\"addr\":{\"city\":\"Berlin\",\"zip\":10115,\"geo\":{\"lat\":52.5,\"lon\":13.4}},"
	"\"u\":\"123e4567-e89b-12d3-a456-426614174000\",\"t\":\"12:34:56.789\","
	"\"b\":\"aGVsbG8=\",\"e\":\"red\",\"big\":18446744073709551615,\"f\":1.5,"
	"\"tsms\":\"2026-01-05T00:00:00.123Z\",\"m\":{\"a\":1}}";

static struct sl_type *row;
static struct sl_json_parser *jp, *jp_check;
static struct sl_expr_arena *arena;
static char result[1 << 16];

static int setup(void **state)
{
	(void)state;
	struct sl_err err = {0};
	row = sl_type_parse(ROW, strlen(ROW), &err);
	if (!row)
		fail_msg("row type: %s", err.msg);
	jp = sl_json_parser_new(NULL);
	jp_check = sl_json_parser_new(NULL);
	arena = sl_expr_arena_new();
	return jp && jp_check && arena ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	sl_type_free(row);
	sl_json_parser_free(jp);
	sl_json_parser_free(jp_check);
	sl_expr_arena_free(arena);
	return 0;
}

static void parse_doc(const char *rec, size_t len, struct sl_json_doc *doc)
{
	struct sl_json_error je;
	if (sl_json_parse(jp, rec, len, doc, &je) != 0)
		fail_msg("record does not parse: %s: %s", rec, je.msg);
}

/* Writes v's JSON text to result and checks it is one JSON value. */
static void value_text(const struct sl_expr_value *v, const struct sl_json_doc *doc, char *out,
		       size_t cap)
{
	struct sl_buf b;
	sl_buf_init(&b, 0);
	if (sl_expr_value_json(v, doc, &b) != 0)
		fail_msg("sl_expr_value_json failed");
	snprintf(out, cap, "%s", b.data ? b.data : "");
	/* the text is JSON (parsed with a parser of its own: doc's tokens stay valid) */
	struct sl_json_doc d2;
	struct sl_json_error je;
	if (sl_json_parse(jp_check, b.data, b.len, &d2, &je) != 0)
		fail_msg("value text '%.200s' is not JSON: %s", b.data, je.msg);
	sl_buf_release(&b);
}

/* "error: MSG" when expr does not compile against ROW, "refused: WHY" when rec is
 * refused, else the value's JSON text. */
static const char *run_on(const struct sl_type *rt, const char *expr, const char *rec,
			  size_t rec_len)
{
	struct sl_expr_cols *cols = sl_expr_cols_new(rt);
	assert_non_null(cols);
	struct sl_expr *e = NULL;
	struct sl_err err = {0};
	int rc = sl_expr_compile(expr, cols, &e, NULL, &err);
	if (rc != 0) {
		assert_int_equal(rc, SL_EINVAL);
		assert_null(e);
		snprintf(result, sizeof(result), "error: %s", err.msg);
		sl_expr_cols_free(cols);
		return result;
	}
	struct sl_json_doc doc;
	parse_doc(rec, rec_len, &doc);
	size_t n = sl_expr_cols_count(cols);
	size_t *slots = malloc((n ? n : 1) * sizeof(*slots));
	sl_expr_cols_locate(cols, &doc, slots);
	sl_expr_arena_reset(arena);
	struct sl_expr_value v;
	const char *why = NULL;
	rc = sl_expr_eval(e, &doc, slots, arena, &v, &why);
	if (rc == SL_EINVAL) {
		assert_non_null(why);
		snprintf(result, sizeof(result), "refused: %s", why);
	} else {
		assert_int_equal(rc, 0);
		value_text(&v, &doc, result, sizeof(result));
	}
	free(slots);
	sl_expr_free(e);
	sl_expr_cols_free(cols);
	return result;
}

static const char *run(const char *expr, const char *rec)
{
	return run_on(row, expr, rec, strlen(rec));
}

static void expect_(const char *expr, const char *rec, const char *want, int line)
{
	const char *got = run(expr, rec);
	if (strcmp(got, want) != 0)
		fail_msg("line %d: %s\n  got  %s\n  want %s", line, expr, got, want);
}

/* the result on REC */
#define EXPECT(expr, want) expect_((expr), REC, (want), __LINE__)
/* the result on another record */
#define EXPECT_ON(rec, expr, want) expect_((expr), (rec), (want), __LINE__)

/* The result begins with want (for long messages). */
static void expect_prefix_(const char *expr, const char *rec, const char *want, int line)
{
	const char *got = run(expr, rec);
	if (strncmp(got, want, strlen(want)) != 0)
		fail_msg("line %d: %s\n  got  %s\n  want %s...", line, expr, got, want);
}
#define EXPECT_PREFIX(expr, want) expect_prefix_((expr), REC, (want), __LINE__)

/* The static type's text form. */
static void expect_type_(const char *expr, const char *want, int line)
{
	struct sl_expr_cols *cols = sl_expr_cols_new(row);
	struct sl_expr *e = NULL;
	struct sl_type *t = NULL;
	struct sl_err err = {0};
	if (sl_expr_compile(expr, cols, &e, &t, &err) != 0)
		fail_msg("line %d: %s: %s", line, expr, err.msg);
	struct sl_buf b;
	sl_buf_init(&b, 0);
	assert_int_equal(sl_type_format(t, &b), 0);
	if (strcmp(b.data, want) != 0)
		fail_msg("line %d: %s: type %s, want %s", line, expr, b.data, want);
	assert_true(t->nullable);
	sl_buf_release(&b);
	sl_type_free(t);
	sl_expr_free(e);
	sl_expr_cols_free(cols);
}
#define EXPECT_TYPE(expr, want) expect_type_((expr), (want), __LINE__)

/* ---- literals and arithmetic ----------------------------------------------------------- */

static void test_literals(void **state)
{
	(void)state;
	EXPECT("42", "42");
	EXPECT("-42", "-42");
	EXPECT("2.5", "2.5");
	EXPECT(".5", "0.5");
	EXPECT("1e3", "1000");
	EXPECT("1.5E-2", "0.015");
	EXPECT("9223372036854775807", "9223372036854775807");
	EXPECT("-9223372036854775808", "-9223372036854775808");
	/* an integer beyond int64 is a double, as in SQLite */
	EXPECT("12345678901234567890", "1.2345678901234567e+19");
	EXPECT("'it''s'", "\"it's\"");
	EXPECT("''", "\"\"");
	EXPECT("'a\"b\\c'", "\"a\\\"b\\\\c\"");
	EXPECT("TRUE", "true");
	EXPECT("false", "false");
	EXPECT("Null", "null");
	EXPECT("  ( ( 7 ) )  ", "7");
	EXPECT("'caf\xc3\xa9'", "\"caf\xc3\xa9\"");
}

static void test_arithmetic(void **state)
{
	(void)state;
	EXPECT("2 + 3 * 4", "14");
	EXPECT("(2 + 3) * 4", "20");
	EXPECT("2 - 3 - 4", "-5");
	EXPECT("2 * -3", "-6");
	EXPECT("- - 3", "3");
	EXPECT("-(qty)", "-3");
	EXPECT("7 / 2", "3");
	EXPECT("-7 / 2", "-3");
	EXPECT("7 % 3", "1");
	EXPECT("-7 % 3", "-1");
	EXPECT("7 % -3", "1");
	EXPECT("7.0 / 2", "3.5");
	EXPECT("5.5 % 2", "1.5");
	EXPECT("qty + 1", "4");
	EXPECT("qty * 2.5", "7.5");
	EXPECT("amount * 100", "1250");
	EXPECT("amount - qty", "9.5");
	EXPECT("id * id - 49", "0");
	EXPECT("-9223372036854775808 % -1", "0");
	/* int64 overflow and division by zero refuse the record */
	EXPECT("9223372036854775807 + 1", "refused: integer overflow");
	EXPECT("-9223372036854775807 - 2", "refused: integer overflow");
	EXPECT("4611686018427387904 * 2", "refused: integer overflow");
	EXPECT("-9223372036854775808 / -1", "refused: integer overflow");
	EXPECT("-(-9223372036854775807 - 1)", "refused: integer overflow");
	EXPECT("1 / 0", "refused: division by zero");
	EXPECT("id % 0", "refused: division by zero");
	EXPECT("amount / 0", "refused: division by zero");
	EXPECT("amount % 0.0", "refused: division by zero");
	/* doubles overflow to infinity, written as types.h says */
	EXPECT("1e308 * 10", "\"Infinity\"");
	EXPECT("-1e308 * 10", "\"-Infinity\"");
	EXPECT("-(-9223372036854775808)", "error: at 0: integer overflow");
}

/* ---- comparisons ------------------------------------------------------------------------- */

static void test_comparisons(void **state)
{
	(void)state;
	EXPECT("amount > 10", "true");
	EXPECT("amount = 12.5", "true");
	EXPECT("amount == 12.5", "true");
	EXPECT("amount != 12.5", "false");
	EXPECT("amount <> 12.5", "false");
	EXPECT("qty = 3.0", "true");
	EXPECT("qty < 3.5", "true");
	EXPECT("qty >= 3", "true");
	EXPECT("qty <= 2", "false");
	EXPECT("3.5 > qty", "true");
	/* int64 with double is exact, beyond 2^53 too */
	EXPECT("9007199254740993 = 9007199254740992.0", "false");
	EXPECT("9007199254740993 > 9007199254740992.0", "true");
	EXPECT("9223372036854775807 < 9223372036854775808.0", "true");
	EXPECT("-9223372036854775808 = -9223372036854775808.0", "true");
	EXPECT("id + 0.5 > id", "true");
	/* strings bytewise */
	EXPECT("'a' < 'b'", "true");
	EXPECT("'B' < 'a'", "true");
	EXPECT("'ab' < 'abc'", "true");
	EXPECT("'' < 'a'", "true");
	EXPECT("country = 'DE'", "true");
	EXPECT("'\xc3\xa9' > 'z'", "true");
	/* lower() and upper() compared with a literal: bytes folded in place */
	EXPECT("lower(country) = 'de'", "true");
	EXPECT("'de' = lower(country)", "true");
	EXPECT("lower(country) = 'DE'", "false");
	EXPECT("lower(country) <> 'de'", "false");
	EXPECT("lower(country) < 'df'", "true");
	EXPECT("lower(country) < 'de'", "false");
	EXPECT("lower(country) <= 'de'", "true");
	EXPECT("lower(country) > 'd'", "true");
	EXPECT("'dd' < lower(country)", "true");
	EXPECT("'df' >= lower(country)", "true");
	EXPECT("lower(country) = 'de\xc3\xa9'", "false");
	EXPECT("upper(lower(country)) = 'DE'", "true");
	EXPECT("upper(name) = '  J\xc3\xb6RG M\xc3\xbcLLER '", "true");
	EXPECT("upper(name) >= '  J\xc3\xb6RG M\xc3\xbcLLER  '", "false");
	EXPECT("lower(null) = 'x'", "null");
	EXPECT_ON("{}", "lower(country) = 'de'", "null");
	/* booleans */
	EXPECT("flag = true", "true");
	EXPECT("true > false", "true");
	EXPECT("(1 < 2) = (3 < 4)", "true");
	/* dates and timestamps with their kind, or with a literal converted once */
	EXPECT("d = '2024-02-29'", "true");
	EXPECT("d < '2024-03-01'", "true");
	EXPECT("'2024-03-01' > d", "true");
	EXPECT("ts = '2026-01-06T01:30:00Z'", "true");
	EXPECT("ts < '2026-01-06T01:30:00.000001+00:00'", "true");
	EXPECT("date(ts) = d", "false");
	EXPECT("date(ts) > d", "true");
	EXPECT("tsms < ts", "true");
	/* a string that is not a literal is read as a timestamp per record */
	EXPECT_ON("{\"ts\":\"2026-01-01T00:00:00Z\",\"name\":\"2025-12-31T23:00:00-02:00\"}",
		  "ts > name", "false");
	EXPECT("ts > name",
	       "refused: column name: '  J\xc3\xb6rg M\xc3\xbcller ' is not an RFC 3339 date-time");
	/* IS NULL */
	EXPECT("amount is null", "false");
	EXPECT("amount IS NOT NULL", "true");
	EXPECT("tags is null", "false");
	EXPECT("addr.geo is not null", "true");
	EXPECT_ON("{}", "tags is null", "true");
	EXPECT_ON("{\"attrs\":null}", "attrs is null", "true");
	/* IN */
	EXPECT("qty in (1, 2, 3)", "true");
	EXPECT("qty in (1, 2.5)", "false");
	EXPECT("qty in (3.0)", "true");
	EXPECT("country in ('FR', 'DE')", "true");
	EXPECT("country not in ('FR', 'DE')", "false");
	EXPECT("d in ('2024-01-01', '2024-02-29')", "true");
	EXPECT("ts in ('2026-01-06T01:30:00Z')", "true");
	EXPECT("qty in (qty + 1, id - 4)", "true");
}

static void test_like(void **state)
{
	(void)state;
	EXPECT("country like 'D%'", "true");
	EXPECT("country LIKE 'd%'", "false"); /* case-sensitive */
	EXPECT("country not like 'D_'", "false");
	EXPECT("name like '%J\xc3\xb6rg%'", "true");
	EXPECT("'h\xc3\xa9llo' like 'h_llo'", "true"); /* '_' is a character, not a byte */
	EXPECT("'h\xc3\xa9llo' like 'h__llo'", "false");
	EXPECT("'abc' like 'a%c%'", "true");
	EXPECT("'abc' like 'abc'", "true");
	EXPECT("'abc' like 'ab'", "false");
	EXPECT("'abc' not like '%b'", "true");
	EXPECT("'' like '%'", "true");
	EXPECT("'' like '_'", "false");
	EXPECT("'' like ''", "true");
	EXPECT("'xaaab' like '%a_b'", "true");
	EXPECT("'ab' like '%a_b'", "false");
	EXPECT("'abcabc' like '%b_a%'", "true");
	EXPECT("'abcab' like 'a%b%b'", "true");
	EXPECT("'abcab' like 'a%c%c'", "false");
	EXPECT("'a%b' like 'a%%b'", "true");
	EXPECT("'\xe6\x97\xa5\xe6\x9c\xac' like '%_'", "true");
	EXPECT("'\xe6\x97\xa5\xe6\x9c\xac' like '%___'", "false");
	EXPECT("'\xe6\x97\xa5\xe6\x9c\xac' like '_%\xe6\x9c\xac'", "true");
	EXPECT("name like null", "null");
	EXPECT("qty like '3'", "error: at 4: LIKE needs strings, got int64 LIKE string");
}

/* ---- logic and NULL -------------------------------------------------------------------- */

static void test_logic_and_nulls(void **state)
{
	(void)state;
	/* NULL propagates through operators and functions */
	EXPECT("null + 1", "null");
	EXPECT("1 - null", "null");
	EXPECT("-null", "null");
	EXPECT("1 = null", "null");
	EXPECT("null = null", "null");
	EXPECT("null < 'a'", "null");
	EXPECT("'a' || null", "null");
	EXPECT("lower(null)", "null");
	EXPECT("length(null)", "null");
	EXPECT("substr('abc', null)", "null");
	EXPECT("substr('abc', 1, null)", "null");
	EXPECT("replace('abc', 'b', null)", "null");
	EXPECT("abs(null)", "null");
	EXPECT("round(2.5, null)", "null");
	EXPECT("date(null)", "null");
	EXPECT("cast(null as int64)", "null");
	EXPECT("null like 'a'", "null");
	EXPECT_ON("{}", "amount * 2", "null");
	EXPECT_ON("{\"amount\":null}", "amount * 2 > 1", "null");
	/* except IS NULL, coalesce, if's branches, concat and three-valued AND/OR */
	EXPECT("null is null", "true");
	EXPECT("1 is not null", "true");
	EXPECT("coalesce(null, 2)", "2");
	EXPECT("coalesce(null, null)", "null");
	EXPECT("coalesce(qty)", "3");
	EXPECT("if(true, 1, null)", "1");
	EXPECT("if(null, 1, 2)", "2");
	EXPECT("if(false, null, 'x')", "\"x\"");
	EXPECT("concat('a', null, 1)", "\"a1\"");
	EXPECT("concat(null)", "\"\"");
	EXPECT("null and false", "false");
	EXPECT("false and null", "false");
	EXPECT("null and true", "null");
	EXPECT("null or true", "true");
	EXPECT("null or false", "null");
	EXPECT("true and true and true", "true");
	EXPECT("false or false or true", "true");
	EXPECT("not true", "false");
	EXPECT("not null", "null");
	EXPECT("not not true", "true");
	EXPECT("not qty = 3", "false"); /* NOT binds looser than = */
	EXPECT("true or false and false", "true"); /* AND binds tighter than OR */
	EXPECT("1 in (2, null)", "null");
	EXPECT("1 in (1, null)", "true");
	EXPECT("1 not in (2, null)", "null");
	EXPECT("1 not in (2, 3)", "true");
	EXPECT("null in (1)", "null");
	/* AND and OR stop at the operand that decides: the rest is not evaluated */
	EXPECT("false and 1 / 0 = 1", "false");
	EXPECT("true or 1 / 0 = 1", "true");
	EXPECT("true and 1 / 0 = 1", "refused: division by zero");
	EXPECT("if(qty > 0, 100 / qty, 1 / 0)", "33");
}

/* ---- functions ----------------------------------------------------------------------- */

static void test_string_functions(void **state)
{
	(void)state;
	EXPECT("lower(country)", "\"de\"");
	EXPECT("LOWER('aBc')", "\"abc\"");
	EXPECT("upper(name)", "\"  J\xc3\xb6RG M\xc3\xbcLLER \""); /* ASCII letters only */
	EXPECT("trim(name)", "\"J\xc3\xb6rg M\xc3\xbcller\"");
	EXPECT("ltrim(name)", "\"J\xc3\xb6rg M\xc3\xbcller \"");
	EXPECT("rtrim(name)", "\"  J\xc3\xb6rg M\xc3\xbcller\"");
	EXPECT("trim('\tx\t')", "\"\\tx\\t\""); /* spaces only, as in SQL */
	EXPECT("trim('   ')", "\"\"");
	EXPECT("length(name)", "14"); /* characters */
	EXPECT("length('')", "0");
	EXPECT("length('\xe6\x97\xa5\xe6\x9c\xac')", "2");
	EXPECT("substr('hello', 2, 3)", "\"ell\"");
	EXPECT("substr('hello', 2)", "\"ello\"");
	EXPECT("substr('hello', -3)", "\"llo\"");
	EXPECT("substr('hello', -3, 2)", "\"ll\"");
	EXPECT("substr('hello', 0, 2)", "\"h\"");
	EXPECT("substr('hello', 0)", "\"hello\"");
	EXPECT("substr('hello', 2, -1)", "\"h\"");
	EXPECT("substr('hello', 4, -10)", "\"hel\"");
	EXPECT("substr('hello', 10)", "\"\"");
	EXPECT("substr('hello', -10, 3)", "\"\"");
	EXPECT("substr('hello', 2, 0)", "\"\"");
	EXPECT("substr('h\xc3\xa9llo', 2, 2)", "\"\xc3\xa9l\"");
	EXPECT("substr('hello', -9223372036854775808, 9223372036854775807)", "\"hell\"");
	EXPECT("substr('hello', 9223372036854775807, 9223372036854775807)", "\"\"");
	EXPECT("substr('hello', 1, 9223372036854775807)", "\"hello\"");
	EXPECT("replace('banana', 'an', 'AN')", "\"bANANa\"");
	EXPECT("replace('banana', 'a', '')", "\"bnn\"");
	EXPECT("replace('abc', '', 'x')", "\"abc\"");
	EXPECT("replace('abc', 'abcd', 'x')", "\"abc\"");
	EXPECT("replace(country, 'E', '\xc3\xa9')", "\"D\xc3\xa9\"");
	EXPECT("concat(qty, '-', country)", "\"3-DE\"");
	EXPECT("concat(flag, 2.5, 2.0, d, ts)",
	       "\"true2.52.02024-02-292026-01-06T01:30:00.000000Z\"");
	EXPECT("'a' || 1 || true || 2.5 || d", "\"a1true2.52024-02-29\"");
	EXPECT("country || '-' || lower(country)", "\"DE-de\"");
}

static void test_other_functions(void **state)
{
	(void)state;
	EXPECT("coalesce(qty, amount)", "3");
	EXPECT_ON("{\"amount\":1.5}", "coalesce(qty, amount)", "1.5");
	EXPECT("coalesce(d, '2020-01-01')", "\"2024-02-29\"");
	EXPECT_ON("{}", "coalesce(d, '2020-01-01')", "\"2020-01-01\"");
	EXPECT("coalesce(attrs, tags)", "{\"k\":[1,2,{\"x\":null}]}");
	EXPECT("if(amount > 10, 'big', 'small')", "\"big\"");
	EXPECT("if(amount > 100, 1, 2.5)", "2.5");
	EXPECT("abs(-3)", "3");
	EXPECT("abs(-2.5)", "2.5");
	EXPECT("abs(-9223372036854775808)", "refused: integer overflow");
	EXPECT("round(2.5)", "3");
	EXPECT("round(-2.5)", "-3");
	EXPECT("round(2.675, 2)", "2.68");
	EXPECT("round(-2.675, 2)", "-2.68");
	EXPECT("round(1.005, 2)", "1.01");
	EXPECT("round(0.5, 0)", "1");
	EXPECT("round(0.04, 1)", "0.0");
	EXPECT("round(9.99, 1)", "10");
	EXPECT("round(1234.5678, -2)", "1200");
	EXPECT("round(1e300, 2)", "1e+300");
	EXPECT("round(7)", "7");
	EXPECT("round(1250, -2)", "1300");
	EXPECT("round(-1250, -2)", "-1300");
	EXPECT("round(1249, -2)", "1200");
	EXPECT("round(1249, 2)", "1249");
	EXPECT("round(4999999999999999999, -19)", "0");
	EXPECT("round(5000000000000000000, -19)", "refused: integer overflow");
	EXPECT("round(9223372036854775807, -1)", "refused: integer overflow");
	EXPECT("floor(2.7)", "2");
	EXPECT("floor(-2.5)", "-3");
	EXPECT("ceil(2.1)", "3");
	EXPECT("ceil(-2.1)", "-2");
	EXPECT("floor(5)", "5");
	EXPECT("ceil(qty)", "3");
	/* dates and times, in UTC */
	EXPECT("date(ts)", "\"2026-01-06\"");
	EXPECT("date(d)", "\"2024-02-29\"");
	EXPECT("year(ts)", "2026");
	EXPECT("month(ts)", "1");
	EXPECT("day(ts)", "6");
	EXPECT("hour(ts)", "1");
	EXPECT("hour(d)", "0");
	EXPECT("year(d)", "2024");
	EXPECT("hour(from_epoch_ms(-1))", "23");
	EXPECT("date(from_epoch_ms(-1))", "\"1969-12-31\"");
	EXPECT("date_trunc('month', ts)", "\"2026-01-01T00:00:00.000000Z\"");
	EXPECT("date_trunc('hour', ts)", "\"2026-01-06T01:00:00.000000Z\"");
	EXPECT("date_trunc('DAY', ts)", "\"2026-01-06T00:00:00.000000Z\"");
	EXPECT("date_trunc('year', d)", "\"2024-01-01T00:00:00.000000Z\"");
	EXPECT("date_trunc('hour', from_epoch_ms(-1))", "\"1969-12-31T23:00:00.000000Z\"");
	EXPECT("date_trunc('day', from_epoch_ms(-9223372036854775))",
	       "refused: date_trunc: timestamp out of range");
	EXPECT("epoch_ms(ts)", "1767663000000");
	EXPECT("epoch_ms(d)", "1709164800000");
	EXPECT("epoch_ms(tsms)", "1767571200123");
	EXPECT("from_epoch_ms(0)", "\"1970-01-01T00:00:00.000000Z\"");
	EXPECT("from_epoch_ms(1767663000123)", "\"2026-01-06T01:30:00.123000Z\"");
	EXPECT("from_epoch_ms(253402300800000)", "\"+10000-01-01T00:00:00.000000Z\"");
	EXPECT("from_epoch_ms(9223372036854775807)", "refused: integer overflow");
	EXPECT("year('2024-05-06T07:08:09Z')", "2024");
	EXPECT("epoch_ms(tsms) - epoch_ms(ts) < 0", "true");
	EXPECT("year(country)", "refused: column country: 'DE' is not an RFC 3339 date-time");
	EXPECT("month(lower(country))", "refused: 'de' is not an RFC 3339 date-time");
}

static void test_cast(void **state)
{
	(void)state;
	EXPECT("cast('12' as int64)", "12");
	EXPECT("CAST('-12' AS int64)", "-12");
	EXPECT("cast('12.7' as int32)", "12");
	EXPECT("cast('1e2' as int64)", "100");
	EXPECT("cast('abc' as int64)", "refused: cannot cast 'abc' to int64");
	EXPECT("cast(' 12' as int64)", "refused: cannot cast ' 12' to int64");
	EXPECT("cast('0x10' as int64)", "refused: cannot cast '0x10' to int64");
	EXPECT("cast('' as double)", "refused: cannot cast '' to double");
	EXPECT("cast(3000000000 as int32)", "refused: cannot cast 3000000000 to int32");
	EXPECT("cast(-1 as uint8)", "refused: cannot cast -1 to uint8");
	EXPECT("cast(255 as uint8)", "255");
	EXPECT("cast(256 as uint8)", "refused: cannot cast 256 to uint8");
	EXPECT("cast(-128 as int8)", "-128");
	EXPECT("cast(2.5 as int64)", "2");
	EXPECT("cast(-2.5 as int64)", "-2");
	EXPECT("cast(1e19 as int64)", "refused: cannot cast 1e+19 to int64");
	EXPECT("cast('9223372036854775808' as int64)",
	       "refused: cannot cast '9223372036854775808' to int64");
	EXPECT("cast(true as int64)", "1");
	EXPECT("cast(true as double)", "1");
	EXPECT("cast(qty as double)", "3");
	EXPECT("cast('2.5' as double)", "2.5");
	EXPECT("cast('true' as boolean)", "true");
	EXPECT("cast('false' as boolean)", "false");
	EXPECT("cast('yes' as boolean)", "refused: cannot cast 'yes' to boolean");
	EXPECT("cast(0 as boolean)", "false");
	EXPECT("cast(0.5 as boolean)", "true");
	EXPECT("cast(qty as string)", "\"3\"");
	EXPECT("cast(amount as string)", "\"12.5\"");
	EXPECT("cast(2.0 as string)", "\"2.0\"");
	EXPECT("cast(flag as string)", "\"true\"");
	EXPECT("cast(ts as string)", "\"2026-01-06T01:30:00.000000Z\"");
	EXPECT("cast(d as string)", "\"2024-02-29\"");
	EXPECT("cast(tags as string)", "\"[\\\"a\\\",\\\"b\\\"]\"");
	EXPECT("cast(addr.geo as string)", "\"{\\\"lat\\\":52.5,\\\"lon\\\":13.4}\"");
	EXPECT("cast(country as enum)", "\"DE\"");
	EXPECT("cast(d as timestamp)", "\"2024-02-29T00:00:00.000000Z\"");
	EXPECT("cast(ts as date)", "\"2026-01-06\"");
	EXPECT("cast(ts as timestamp(ms))", "\"2026-01-06T01:30:00.000000Z\"");
	EXPECT("cast(from_epoch_ms(1) + 0 as string)", "error: at 22: '+' needs numbers, got "
	       "timestamp and int64");
	EXPECT("cast('2024-01-02T03:04:05.678901Z' as timestamp(ms))",
	       "\"2024-01-02T03:04:05.678000Z\"");
	EXPECT("cast('2024-01-02' as date)", "\"2024-01-02\"");
	EXPECT("cast('2024-01-02T23:00:00-05:00' as date)", "\"2024-01-03\"");
	EXPECT("cast('2024-01-02' as timestamp)", "\"2024-01-02T00:00:00.000000Z\"");
	EXPECT("cast('2024-01-32' as date)", "refused: cannot cast '2024-01-32' to date");
	EXPECT("cast(0.125 as decimal(5,2))", "0.13");
	EXPECT("cast(-0.125 as decimal(5,2))", "-0.13");
	EXPECT("cast(99.994 as decimal(4,2))", "99.99");
	EXPECT("cast(99.995 as decimal(4,2))", "refused: cannot cast 99.995 to decimal(4,2)");
	EXPECT("cast('19.999' as decimal(10,2))", "20");
	EXPECT("cast(123 as decimal(3,0))", "123");
	EXPECT("cast(1000 as decimal(3,0))", "refused: cannot cast 1000 to decimal(3,0)");
	EXPECT("cast(1e300 as float)", "refused: cannot cast 1e+300 to float");
	EXPECT("cast(0.1 as float)", "0.10000000149011612");
	EXPECT("cast(price as decimal(10,1))", "20");
	EXPECT("cast(qty as date)", "error: at 0: cannot cast int64 to date");
	EXPECT("cast(ts as int64)", "error: at 0: cannot cast timestamp to int64");
	/* a json value is cast by what it is in the record: a number, a string, a boolean */
	EXPECT("cast(tags as int64)", "refused: cannot cast json to int64");
	EXPECT_ON("{\"attrs\":12.5}", "cast(attrs as double) * 2", "25");
	EXPECT_ON("{\"attrs\":\"12.5\"}", "cast(attrs as int64)", "12");
	EXPECT_ON("{\"attrs\":\"12.50 EUR\"}", "cast(attrs as double)",
		  "refused: cannot cast '12.50 EUR' to double");
	EXPECT_ON("{\"attrs\":true}", "cast(attrs as boolean)", "true");
	EXPECT_ON("{\"attrs\":null}", "cast(attrs as double) is null", "true");
	EXPECT_ON("{\"attrs\":\"2026-01-05\"}", "cast(attrs as date)", "\"2026-01-05\"");
	EXPECT_ON("{\"attrs\":20260105}", "cast(attrs as date)",
		  "refused: cannot cast 20260105 to date");
	EXPECT_ON("{\"attrs\":123456789012345678901234567890}", "cast(attrs as double) > 1e29",
		  "true");
	EXPECT_PREFIX("cast(qty as list<int64>)", "error: at 11: cannot cast to list (casts go to");
	EXPECT_PREFIX("cast(qty as nonsense)", "error: at 11: not a type: ");
	EXPECT_PREFIX("cast(ts as timestamp(ns))", "error: at 10: cannot cast to timestamp(ns)");
	EXPECT("cast(qty as int64", "error: at 0: CAST without its closing ')'");
	EXPECT("CAST(qty AS Double)", "3");
	EXPECT("cast('2024-01-02T00:00:00Z' as  TIMESTAMP )", "\"2024-01-02T00:00:00.000000Z\"");
	EXPECT("cast(qty int64)", "error: at 9: expected AS in CAST, got 'int64'");
	EXPECT("cast qty", "error: at 5: expected '(' after CAST, got 'qty'");
	EXPECT("cast(cast(qty as decimal(10,2)) as string) || 'x'", "\"3.0x\"");
}

/* ---- columns --------------------------------------------------------------------------- */

static void test_columns(void **state)
{
	(void)state;
	EXPECT("id", "7");
	EXPECT("addr.city", "\"Berlin\"");
	EXPECT("addr . geo . lat", "52.5");
	EXPECT("\"addr\".\"city\"", "\"Berlin\"");
	EXPECT("addr.geo", "{\"lat\":52.5,\"lon\":13.4}");
	EXPECT("addr", "{\"city\":\"Berlin\",\"zip\":10115,\"geo\":{\"lat\":52.5,\"lon\":13.4}}");
	EXPECT("price", "19.99"); /* a decimal from a numeric string */
	EXPECT("price * 2", "39.98");
	EXPECT("f", "1.5");
	EXPECT("u", "\"123e4567-e89b-12d3-a456-426614174000\"");
	EXPECT("t", "\"12:34:56.789\"");
	EXPECT("b", "\"aGVsbG8=\"");
	EXPECT("e", "\"red\"");
	EXPECT("tags", "[\"a\",\"b\"]");
	EXPECT("attrs", "{\"k\":[1,2,{\"x\":null}]}");
	EXPECT("m", "{\"a\":1}");
	EXPECT("ts", "\"2026-01-06T01:30:00.000000Z\"");
	EXPECT("tsms", "\"2026-01-05T00:00:00.123000Z\"");
	EXPECT("d", "\"2024-02-29\"");
	EXPECT("big", "refused: column big: 18446744073709551615 is not an int64");
	EXPECT_ON("{\"big\":5}", "big + 1", "6");
	/* member names are case-sensitive, keywords and functions are not */
	EXPECT("ID", "error: at 0: no column 'ID' in the source (columns: id, amount, qty, "
	       "price, country, name, ts, d, ...)");
	EXPECT("amount_eur * 2", "error: at 0: no column 'amount_eur' in the source (columns: "
	       "id, amount, qty, price, country, name, ts, d, ...)");
	EXPECT("addr.nothing", "error: at 0: no column 'addr.nothing' in the source (members: "
	       "city, zip, geo)");
	EXPECT("addr.geo.alt", "error: at 0: no column 'addr.geo.alt' in the source (members: "
	       "lat, lon)");
	EXPECT("id.x", "error: at 0: column 'id' is not a struct (it is int64)");
	EXPECT("tags.x", "error: at 0: column 'tags' is not a struct (it is list)");
	EXPECT("\"\"", "error: at 0: an empty name");
	EXPECT("addr.", "error: at 5: expected a name, got the end");
	EXPECT("addr.and", "error: at 5: expected a name, got 'and'");
	/* escaped member names and a record that writes a key with escapes */
	EXPECT_ON("{\"\\u0061mount\":2.5}", "amount", "2.5");
	EXPECT_ON("{\"name\":\"a\\\"b\"}", "name", "\"a\\\"b\"");
	/* json values keep their text */
	EXPECT_ON("{\"attrs\":\"a\\u0041\"}", "attrs", "\"a\\u0041\"");
	EXPECT_ON("{\"attrs\":\"a\\u0041\"}", "cast(attrs as string)", "\"\\\"a\\\\u0041\\\"\"");
	EXPECT_ON("{\"attrs\":-1.50e3}", "attrs", "-1.50e3");
	EXPECT_ON("{\"attrs\":true}", "attrs", "true");
	EXPECT_ON("{\"attrs\":[ 1 , {\"a\" : [ ] } ]}", "attrs", "[ 1 , {\"a\" : [ ] } ]");
}

/* ---- static types ---------------------------------------------------------------------- */

static void test_static_types(void **state)
{
	(void)state;
	EXPECT_TYPE("amount", "double");
	EXPECT_TYPE("qty", "int32");          /* a column: its own type */
	EXPECT_TYPE("(qty)", "int32");
	EXPECT_TYPE("price", "decimal(10,2)");
	EXPECT_TYPE("tsms", "timestamp(ms)");
	EXPECT_TYPE("addr.geo", "struct<lat:double,lon:double>");
	EXPECT_TYPE("e", "enum");
	EXPECT_TYPE("qty + 1", "int64");
	EXPECT_TYPE("qty + 1.5", "double");
	EXPECT_TYPE("price * 2", "double");
	EXPECT_TYPE("lower(country)", "string");
	EXPECT_TYPE("date(ts)", "date");
	EXPECT_TYPE("date_trunc('day', ts)", "timestamp(us)");
	EXPECT_TYPE("from_epoch_ms(0)", "timestamp(us)");
	EXPECT_TYPE("flag and true", "boolean");
	EXPECT_TYPE("amount > 1", "boolean");
	EXPECT_TYPE("coalesce(attrs, tags)", "json");
	EXPECT_TYPE("coalesce(qty, amount)", "double");
	EXPECT_TYPE("if(flag, 1, null)", "int64");
	EXPECT_TYPE("null", "json");
	EXPECT_TYPE("cast(amount as int16)", "int16");
	EXPECT_TYPE("cast(amount as decimal(12,3))", "decimal(12,3)");
	EXPECT_TYPE("cast(ts as timestamp(ms))", "timestamp(ms)");
}

/* ---- compile errors -------------------------------------------------------------------- */

static void test_compile_errors(void **state)
{
	(void)state;
	EXPECT("", "error: at 0: expected an expression, got the end");
	EXPECT("   ", "error: at 3: expected an expression, got the end");
	EXPECT("1 +", "error: at 3: expected an expression, got the end");
	EXPECT("(1", "error: at 2: expected ')', got the end");
	EXPECT("1 2", "error: at 2: expected the end of the expression, got '2'");
	EXPECT("1 < 2 < 3", "error: at 6: expected the end of the expression, got '<'");
	EXPECT("'abc", "error: at 0: a string without its closing quote");
	EXPECT("\"abc", "error: at 0: a name without its closing quote");
	EXPECT("foo(1)", "error: at 0: no function 'foo'");
	EXPECT("lower(1, 2)", "error: at 0: lower takes 1 argument, got 2");
	EXPECT("if(true, 1)", "error: at 0: if takes 3 arguments, got 2");
	EXPECT("substr('a')", "error: at 0: substr takes 2 to 3 arguments, got 1");
	EXPECT("coalesce()", "error: at 0: coalesce takes at least 1 argument, got 0");
	EXPECT("lower(1", "error: at 7: expected ',' or ')' after an argument, got the end");
	EXPECT("country = 5", "error: at 8: cannot compare string with int64");
	EXPECT("d = 5", "error: at 2: cannot compare date with int64");
	EXPECT("d = ts", "error: at 2: cannot compare date with timestamp");
	EXPECT("d = country", "error: at 2: cannot compare date with string");
	EXPECT("tags = 1", "error: at 5: cannot compare json with int64");
	EXPECT("flag < 1", "error: at 5: cannot compare boolean with int64");
	EXPECT("qty in (1, 'a')", "error: at 4: cannot compare int64 with string");
	EXPECT("country in (1)", "error: at 8: cannot compare string with int64");
	EXPECT("qty in 1", "error: at 7: expected '(' after IN, got '1'");
	EXPECT("qty in (1 2)", "error: at 10: expected ',' or ')' in the IN list, got '2'");
	EXPECT("1 & 2", "error: at 2: an unexpected character '&'");
	EXPECT("1 | 2", "error: at 2: '|' is not an operator (concatenation is '||')");
	EXPECT("!true", "error: at 0: '!' is not an operator (use NOT or '!=')");
	EXPECT("1 ; 2", "error: at 2: an unexpected character ';'");
	EXPECT("\xc3\xa9", "error: at 0: an unexpected character '\xc3\xa9'");
	EXPECT("1 is 2", "error: at 5: expected NULL after IS, got '2'");
	EXPECT("1 is not 2", "error: at 9: expected NULL after IS NOT, got '2'");
	EXPECT("1 not 2", "error: at 6: expected IN or LIKE after NOT, got '2'");
	EXPECT("1.e5", "error: at 2: expected a digit after the decimal point");
	EXPECT("1e", "error: at 2: expected the exponent's digits");
	EXPECT("12abc", "error: at 0: a malformed number");
	EXPECT("1.2.3", "error: at 0: a malformed number");
	EXPECT("and", "error: at 0: expected an expression, got 'and'");
	EXPECT("1 + as", "error: at 4: expected an expression, got 'as'");
	EXPECT("1 + 'a'", "error: at 2: '+' needs numbers, got int64 and string");
	EXPECT("d - 1", "error: at 2: '-' needs numbers, got date and int64");
	EXPECT("-'a'", "error: at 0: '-' needs a number, got string");
	EXPECT("1 and true", "error: at 0: AND needs booleans, got int64");
	EXPECT("true or 'x'", "error: at 8: OR needs booleans, got string");
	EXPECT("not 1", "error: at 4: NOT needs booleans, got int64");
	EXPECT("if(1, 2, 3)", "error: at 3: if's condition needs booleans, got int64");
	EXPECT("if(flag, 1, 'a')",
	       "error: at 12: if: arguments of different types (int64 and string)");
	EXPECT("coalesce(qty, 'a')",
	       "error: at 14: coalesce: arguments of different types (int64 and string)");
	EXPECT("coalesce(ts, country)",
	       "error: at 13: coalesce: arguments of different types (timestamp and string)");
	EXPECT("lower(qty)", "error: at 6: lower: its argument must be string, got int64");
	EXPECT("lower(tags)", "error: at 6: lower: its argument must be string, got json");
	EXPECT("substr('a', 1.5)", "error: at 12: substr: the start must be int64, got double");
	EXPECT("abs('a')", "error: at 4: abs: expected a number, got string");
	EXPECT("round(1.5, 1.5)", "error: at 11: round: the digits must be int64, got double");
	EXPECT("from_epoch_ms(1.5)",
	       "error: at 14: from_epoch_ms: its argument must be int64, got double");
	EXPECT("year(qty)",
	       "error: at 5: year: expected a timestamp, a date or a string, got int64");
	EXPECT("date_trunc('week', ts)",
	       "error: at 11: date_trunc: the unit must be 'hour', 'day', 'month' or 'year'");
	EXPECT("date_trunc(country, ts)",
	       "error: at 11: date_trunc: the unit must be 'hour', 'day', 'month' or 'year'");
	EXPECT("concat(tags)", "error: at 7: concat takes no json value");
	EXPECT("tags || 'a'", "error: at 0: '||' takes no json value");
	EXPECT("d = '2024-13-01'", "error: at 4: '2024-13-01' is not a date (YYYY-MM-DD)");
	EXPECT("ts > 'yesterday'",
	       "error: at 5: 'yesterday' is not an RFC 3339 date-time with an offset");
	EXPECT("year('2024-05-06')",
	       "error: at 5: '2024-05-06' is not an RFC 3339 date-time with an offset");
	EXPECT("'\xff'", "error: at 1: not valid UTF-8");
	EXPECT("1 +\x01 2", "error: at 3: an unexpected control character (byte 0x01)");
	EXPECT("1.5 || 2 ||", "error: at 11: expected an expression, got the end");
}

/* ---- promise 1: compiling any text terminates; nesting and text are bounded ----------- */

static char *repeat(const char *a, int n, const char *mid, const char *b)
{
	size_t la = strlen(a), lm = strlen(mid), lb = strlen(b);
	char *s = malloc(la * (size_t)n + lm + lb * (size_t)n + 1);
	size_t k = 0;
	for (int i = 0; i < n; i++, k += la)
		memcpy(s + k, a, la);
	memcpy(s + k, mid, lm);
	k += lm;
	for (int i = 0; i < n; i++, k += lb)
		memcpy(s + k, b, lb);
	s[k] = '\0';
	return s;
}

static void test_p1_bounds(void **state)
{
	(void)state;
	char *s = repeat("(", 64, "1", ")");
	EXPECT(s, "1");
	free(s);
	s = repeat("(", 65, "1", ")");
	EXPECT(s, "error: at 64: the expression nests deeper than 64 levels");
	free(s);
	s = repeat("(", 8000, "1", ")"); /* over the text limit */
	EXPECT(s, "error: at 8192: the expression is longer than 8192 bytes");
	free(s);
	s = repeat("(", 4000, "1", ""); /* deep, unclosed, within the limit */
	EXPECT(s, "error: at 64: the expression nests deeper than 64 levels");
	free(s);
	s = repeat("-", 70, "1", "");
	EXPECT(s, "error: at 64: the expression nests deeper than 64 levels");
	free(s);
	s = repeat("not ", 70, "true", "");
	EXPECT(s, "error: at 256: the expression nests deeper than 64 levels");
	free(s);
	s = repeat("lower(", 64, "'A'", ")");
	EXPECT(s, "\"a\"");
	free(s);
	s = repeat("lower(", 65, "'A'", ")");
	EXPECT(s, "error: at 384: the expression nests deeper than 64 levels");
	free(s);
	s = repeat("abs(", 70, "1", ")");
	EXPECT(s, "error: at 256: the expression nests deeper than 64 levels");
	free(s);
	/* a chain of 64 additions is 64 levels deep, one more is refused */
	s = repeat("1+", 64, "1", "");
	EXPECT(s, "65");
	free(s);
	s = repeat("1+", 65, "1", "");
	EXPECT(s, "error: at 129: the expression nests deeper than 64 levels");
	free(s);
	/* AND, OR, || and IN lists stay flat */
	s = repeat("true and ", 500, "true", "");
	EXPECT(s, "true");
	free(s);
	s = repeat("'a' || ", 500, "'b'", "");
	const char *r = run(s, REC);
	assert_int_equal(strlen(r), 503);
	free(s);
	s = repeat("1, ", 1000, "3", "");
	char *in = malloc(strlen(s) + 32);
	sprintf(in, "qty in (%s)", s);
	EXPECT(in, "true");
	free(in);
	free(s);
	/* 8192 bytes exactly is allowed */
	s = malloc(8193);
	memset(s, ' ', 8192);
	s[0] = '1';
	s[8192] = '\0';
	EXPECT(s, "1");
	free(s);
}

/* ---- promise 2: any record, never a crash; a refusal says which column and why --------- */

static void test_p2_records_that_do_not_fit(void **state)
{
	(void)state;
	EXPECT_ON("{\"amount\":\"12\"}", "amount * 2",
		  "refused: column amount: expected double, got string");
	EXPECT_ON("{\"amount\":[1]}", "amount * 2",
		  "refused: column amount: expected double, got array");
	EXPECT_ON("{\"qty\":1.5}", "qty + 1", "refused: column qty: 1.5 is not an int64");
	EXPECT_ON("{\"qty\":2.0}", "qty + 1", "3");
	EXPECT_ON("{\"qty\":1e2}", "qty + 1", "101");
	EXPECT_ON("{\"qty\":1e20}", "qty + 1", "refused: column qty: 1e20 is not an int64");
	EXPECT_ON("{\"qty\":\"3\"}", "qty + 1", "refused: column qty: expected int64, got string");
	EXPECT_ON("{\"qty\":true}", "qty", "refused: column qty: expected int64, got boolean");
	EXPECT_ON("{\"addr\":null}", "addr.city", "null");
	EXPECT_ON("{\"addr\":5}", "addr.city", "null");
	EXPECT_ON("{\"addr\":[{\"city\":\"x\"}]}", "addr.city", "null");
	EXPECT_ON("{\"addr\":{\"geo\":\"x\"}}", "addr.geo.lat", "null");
	EXPECT_ON("{\"addr\":{\"geo\":\"x\"}}", "addr.geo",
		  "refused: column addr.geo: expected an object, got string");
	EXPECT_ON("{\"addr\":{\"city\":5}}", "addr.city",
		  "refused: column addr.city: expected string, got number");
	EXPECT_ON("{\"ts\":5}", "date(ts)", "refused: column ts: expected timestamp, got number");
	EXPECT_ON("{\"ts\":\"nope\"}", "date(ts)",
		  "refused: column ts: 'nope' is not an RFC 3339 date-time");
	EXPECT_ON("{\"ts\":\"2024-01-01T00:00:00\"}", "date(ts)",
		  "refused: column ts: '2024-01-01T00:00:00' is not an RFC 3339 date-time");
	EXPECT_ON("{\"d\":\"2024-02-30\"}", "d",
		  "refused: column d: '2024-02-30' is not a date (YYYY-MM-DD)");
	EXPECT_ON("{\"flag\":\"true\"}", "flag",
		  "refused: column flag: expected boolean, got string");
	EXPECT_ON("{\"price\":\"abc\"}", "price", "refused: column price: not a number");
	EXPECT_ON("{\"price\":12}", "price", "12");
	EXPECT_ON("{\"amount\":\"NaN\"}", "amount", "\"NaN\"");
	EXPECT_ON("{\"amount\":\"NaN\"}", "amount = amount", "true");
	EXPECT_ON("{\"amount\":\"NaN\"}", "amount > 1e308", "true");
	EXPECT_ON("{\"f\":\"-Infinity\"}", "f < 0", "true");
	EXPECT_ON("{\"amount\":-0}", "amount", "-0.0");
	EXPECT_ON("{\"amount\":123456789012345678901234567890}", "amount",
		  "1.2345678901234568e+29");
	EXPECT_ON("{\"country\":\"x\\u0000y\"}", "length(country)", "3");
	EXPECT_ON("{\"country\":\"x\\u0000y\"}", "country", "\"x\\u0000y\"");
	EXPECT_ON("{}", "amount * 2 > 1 or country = 'DE'", "null");
	/* the record is not an object: every column is missing */
	EXPECT_ON("[1,2]", "coalesce(amount, 1)", "1");
	EXPECT_ON("5", "id is null", "true");
	EXPECT_ON("null", "id is null", "true");
	/* a repeated member: the last one wins, also for a struct on the path */
	EXPECT_ON("{\"amount\":1,\"amount\":2}", "amount", "2");
	EXPECT_ON("{\"addr\":{\"city\":\"A\"},\"addr\":null}", "addr.city", "null");
	EXPECT_ON("{\"addr\":{\"city\":\"A\"},\"addr\":{\"zip\":1}}", "coalesce(addr.city, 'none')",
		  "\"none\"");
	EXPECT_ON("{\"addr\":{\"city\":\"A\",\"city\":\"B\"}}", "addr.city", "\"B\"");
	/* deep and wide records */
	EXPECT_ON("{\"x\":[[[[[[[[[[{\"amount\":1}]]]]]]]]]],\"amount\":3}", "amount", "3");
	EXPECT_ON("{\"attrs\":{\"amount\":1},\"amount\":4}", "amount", "4");
}

/* Every record of a set against every expression of a set: refusals name a column or a
 * reason, values print as JSON, nothing else happens. */
static void test_p2_any_record(void **state)
{
	(void)state;
	static const char *const recs[] = {
		"{}", "[]", "0", "\"x\"", "null", "{\"id\":null}",
		"{\"id\":\"1\",\"amount\":{},\"country\":1,\"ts\":[],\"d\":true,\"flag\":1}",
		"{\"addr\":{\"geo\":{\"lat\":\"x\"}},\"tags\":{},\"attrs\":[[]]}",
		"{\"addr\":{\"geo\":[1]},\"name\":\"\\ud83d\\ude00\"}",
		"{\"qty\":-9223372036854775808,\"id\":9223372036854775807}",
		"{\"qty\":99999999999999999999999}",
		"{\"ts\":\"9999-12-31T23:59:60.999999999-23:59\",\"d\":\"0000-01-01\"}",
		"{\"ts\":\"0000-01-01T00:00:00+23:59\"}",
		"{\"amount\":1e308,\"f\":\"Infinity\",\"price\":\"-0.5e-3\"}",
		"{\"e\":\"\",\"u\":\"\",\"name\":\"\",\"country\":\"%\"}",
	};
	static const char *const exprs[] = {
		"id + qty * 2 - amount / 3", "qty % 7 = id % 7", "lower(name) || upper(country)",
		"substr(name, qty, id)", "length(replace(name, 'a', 'bb'))",
		"date_trunc('month', ts) > '2000-01-01T00:00:00Z'", "year(ts) + month(ts) + day(d)",
		"coalesce(addr.geo.lat, price, f, amount)", "addr.geo is null or tags is null",
		"cast(amount as int64) + cast(price as decimal(5,1))", "cast(attrs as string)",
		"country like '%' || e || '%'", "if(flag, id, qty)", "epoch_ms(d) - epoch_ms(ts)",
		"concat(id, amount, d, ts, flag, name)", "abs(qty) + round(amount, 2)",
		"-qty", "id * id", "qty in (id, 1, null)", "cast(ts as date) = d", "addr",
	};
	for (size_t i = 0; i < sizeof(recs) / sizeof(recs[0]); i++) {
		for (size_t j = 0; j < sizeof(exprs) / sizeof(exprs[0]); j++) {
			const char *r = run(exprs[j], recs[i]);
			if (strncmp(r, "error: ", 7) == 0)
				fail_msg("%s: %s", exprs[j], r);
			if (strncmp(r, "refused: ", 9) == 0 && strlen(r) < 20)
				fail_msg("%s on %s: a refusal without a reason: %s", exprs[j],
					 recs[i], r);
		}
	}
}

/* A tape whose slots point anywhere: eval never reads outside it. */
static void test_p2_stale_slots(void **state)
{
	(void)state;
	struct sl_expr_cols *cols = sl_expr_cols_new(row);
	struct sl_expr *e = NULL;
	struct sl_err err = {0};
	assert_int_equal(sl_expr_compile("coalesce(cast(amount as string), country, "
					 "cast(addr as string))", cols, &e, NULL, &err), 0);
	struct sl_json_doc doc;
	parse_doc("{\"amount\":1}", 12, &doc);
	size_t slots[8];
	for (size_t k = 0; k < sl_expr_cols_count(cols); k++)
		slots[k] = SIZE_MAX - 1; /* beyond the tape: null */
	struct sl_expr_value v;
	const char *why;
	assert_int_equal(sl_expr_eval(e, &doc, slots, arena, &v, &why), 0);
	assert_int_equal(v.kind, SL_EV_NULL);
	sl_expr_free(e);
	sl_expr_cols_free(cols);
}

/* ---- promise 3: the arena ---------------------------------------------------------------- */

static void test_p3_arena_bounded(void **state)
{
	(void)state;
	/* a string that grows tenfold three times: more than 4x the record plus 64 KiB */
	size_t n = 20000;
	char *rec = malloc(n + 32);
	int k = sprintf(rec, "{\"name\":\"");
	memset(rec + k, 'l', n);
	strcpy(rec + k + n, "\"}");
	const char *grow = "length(replace(replace(replace(name, 'l', 'llllllllll'), 'l', "
			   "'llllllllll'), 'l', 'llllllllll'))";
	const char *r = run_on(row, grow, rec, strlen(rec));
	if (strncmp(r, "refused: the expression makes more than ", 40) != 0)
		fail_msg("got %s", r);
	/* twice is within the bound */
	r = run_on(row, "length(replace(replace(name, 'l', 'll'), 'l', 'll'))", rec,
		   strlen(rec));
	assert_string_equal(r, "80000");
	free(rec);
	/* no value over SL_EXPR_MAX_STRING, whatever the record's size */
	n = 9u << 20;
	rec = malloc(n + 32);
	k = sprintf(rec, "{\"name\":\"");
	memset(rec + k, 'x', n);
	strcpy(rec + k + n, "\"}");
	static const char *const too_long[] = {
		"length(name || name)", "length(concat(name, name))",
		"length(replace(name, 'x', 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'))",
	};
	for (size_t i = 0; i < sizeof(too_long) / sizeof(too_long[0]); i++) {
		r = run_on(row, too_long[i], rec, strlen(rec));
		assert_string_equal(r, "refused: a string longer than the 16777216 bytes a value "
				       "may have");
	}
	r = run_on(row, "length(substr(name, 2) || 'a')", rec, strlen(rec));
	char want[32];
	snprintf(want, sizeof(want), "%zu", n);
	assert_string_equal(r, want);
	free(rec);
}

/* Strings that need no new bytes take none; strings made per record come from the arena,
 * which keeps one block after a reset. */
static void test_p3_arena_reuse(void **state)
{
	(void)state;
	struct sl_expr_cols *cols = sl_expr_cols_new(row);
	struct sl_expr *e1 = NULL, *e2 = NULL;
	struct sl_err err = {0};
	assert_int_equal(sl_expr_compile("lower(country) = 'de' and trim(name) like 'J%'", cols,
					 &e1, NULL, &err), 0);
	assert_int_equal(sl_expr_compile("upper(name) || replace(country, 'D', 'dd')", cols, &e2,
					 NULL, &err), 0);
	assert_int_equal(sl_expr_cols_count(cols), 2); /* country and name, once each */
	struct sl_json_doc doc;
	parse_doc(REC, strlen(REC), &doc);
	size_t slots[2];
	sl_expr_cols_locate(cols, &doc, slots);
	struct sl_expr_arena *a = sl_expr_arena_new();
	for (int i = 0; i < 1000; i++) {
		struct sl_expr_value v;
		const char *why = NULL;
		sl_expr_arena_reset(a);
		assert_int_equal(sl_expr_eval(e1, &doc, slots, a, &v, &why), 0);
		assert_true(sl_expr_true(&v));
		assert_int_equal(sl_expr_eval(e2, &doc, slots, a, &v, &why), 0);
		assert_int_equal(v.kind, SL_EV_STRING);
		assert_int_equal(v.v.s.n, strlen("  J\xc3\xb6RG M\xc3\xbcLLER ddE"));
	}
	sl_expr_arena_free(a);
	sl_expr_arena_reset(NULL);
	sl_expr_arena_free(NULL);
	sl_expr_free(e1);
	sl_expr_free(e2);
	sl_expr_free(NULL);
	sl_expr_cols_free(cols);
	sl_expr_cols_free(NULL);
}

/* LIKE with a pattern from the record: its cost is bounded, an extreme one refuses. */
static void test_p3_like_bounded(void **state)
{
	(void)state;
	size_t n = 200000, m = 2000;
	char *rec = malloc(n + m + 64);
	int k = sprintf(rec, "{\"name\":\"");
	memset(rec + k, 'a', n);
	k += (int)n;
	k += sprintf(rec + k, "\",\"country\":\"%%");
	memset(rec + k, 'a', m);
	k += (int)m;
	strcpy(rec + k, "_b%\"}");
	const char *r = run_on(row, "name like country", rec, strlen(rec));
	assert_string_equal(r, "refused: LIKE: matching this pattern against this value takes "
			       "too long");
	/* without '_' the parts are found in linear time */
	rec[k] = 'a';
	r = run_on(row, "name like country", rec, strlen(rec));
	assert_string_equal(r, "false");
	free(rec);
}

/* ---- slots and the output texts -------------------------------------------------------- */

static void test_cols_slots(void **state)
{
	(void)state;
	struct sl_expr_cols *cols = sl_expr_cols_new(row);
	const char *p1[] = {"addr", "geo", "lat"}, *p2[] = {"addr"}, *p3[] = {"amount"};
	size_t s1, s2, s3, s4;
	const struct sl_type *t;
	struct sl_err err = {0};
	assert_int_equal(sl_expr_cols_add(cols, p1, 3, &s1, &t, &err), 0);
	assert_int_equal(t->kind, SL_T_DOUBLE);
	assert_int_equal(sl_expr_cols_add(cols, p2, 1, &s2, &t, &err), 0);
	assert_int_equal(t->kind, SL_T_STRUCT);
	assert_int_equal(sl_expr_cols_add(cols, p3, 1, &s3, NULL, &err), 0);
	assert_int_equal(sl_expr_cols_add(cols, p1, 3, &s4, NULL, &err), 0);
	assert_int_equal(s4, s1); /* the same path, the same slot */
	assert_int_equal(sl_expr_cols_count(cols), 3);
	assert_true(s1 != s2 && s2 != s3 && s1 != s3);
	const char *bad[] = {"nope"};
	assert_int_equal(sl_expr_cols_add(cols, bad, 1, &s4, NULL, &err), SL_EINVAL);
	assert_non_null(strstr(err.msg, "no column 'nope' in the source (columns: id, amount"));
	assert_int_equal(sl_expr_cols_add(cols, bad, 0, &s4, NULL, &err), SL_EINVAL);
	struct sl_json_doc doc;
	const char *rec = "{\"amount\":1,\"addr\":{\"x\":[1],\"geo\":{\"lat\":2}},\"z\":3}";
	parse_doc(rec, strlen(rec), &doc);
	size_t slots[3];
	sl_expr_cols_locate(cols, &doc, slots);
	assert_int_equal(doc.tok[slots[s3]].v.i, 1);
	assert_int_equal(doc.tok[slots[s2]].type, SL_JSON_OBJECT);
	assert_int_equal(doc.tok[slots[s1]].v.i, 2);
	rec = "{\"z\":{\"addr\":{}}}";
	parse_doc(rec, strlen(rec), &doc);
	sl_expr_cols_locate(cols, &doc, slots);
	assert_true(slots[0] == SIZE_MAX && slots[1] == SIZE_MAX && slots[2] == SIZE_MAX);
	sl_expr_cols_free(cols);
}

static void test_value_json(void **state)
{
	(void)state;
	struct sl_buf b;
	sl_buf_init(&b, 0);
	struct sl_expr_value v = {.kind = SL_EV_DOUBLE, .v.d = NAN};
	assert_int_equal(sl_expr_value_json(&v, NULL, &b), 0);
	assert_string_equal(b.data, "\"NaN\"");
	sl_buf_reset(&b);
	v.v.d = 0.1;
	assert_int_equal(sl_expr_value_json(&v, NULL, &b), 0);
	assert_string_equal(b.data, "0.1");
	sl_buf_reset(&b);
	v.kind = SL_EV_DATE;
	v.v.i = -719529;
	assert_int_equal(sl_expr_value_json(&v, NULL, &b), 0);
	assert_string_equal(b.data, "\"-0001-12-31\"");
	sl_buf_reset(&b);
	v.kind = SL_EV_TIMESTAMP;
	v.v.i = -1;
	assert_int_equal(sl_expr_value_json(&v, NULL, &b), 0);
	assert_string_equal(b.data, "\"1969-12-31T23:59:59.999999Z\"");
	sl_buf_reset(&b);
	v.kind = SL_EV_STRING;
	v.v.s.p = "\x01\xff";
	v.v.s.n = 2;
	assert_int_equal(sl_expr_value_json(&v, NULL, &b), 0);
	assert_string_equal(b.data, "\"\\u0001\xef\xbf\xbd\"");
	sl_buf_reset(&b);
	v.kind = SL_EV_JSON;
	v.v.tok = 0;
	assert_int_equal(sl_expr_value_json(&v, NULL, &b), SL_EINVAL); /* no record */
	v.kind = SL_EV_NULL;
	assert_int_equal(sl_expr_value_json(&v, NULL, &b), 0);
	assert_string_equal(b.data, "null");
	sl_buf_release(&b);
	/* sl_expr_true: only a boolean true */
	struct sl_expr_value t = {.kind = SL_EV_BOOL, .v.b = true};
	struct sl_expr_value i1 = {.kind = SL_EV_INT, .v.i = 1}, nul = {.kind = SL_EV_NULL};
	assert_true(sl_expr_true(&t));
	assert_false(sl_expr_true(&i1));
	assert_false(sl_expr_true(&nul));
}

/* ---- the oracle: SQLite ---------------------------------------------------------------- */

/* Random expressions of four kinds over the columns a, b, c (int64), x, y (double), s, t
 * (string), each written twice: in the expression language and in SQLite's SQL, using
 * only what both mean the same (SQLite's LIKE made case-sensitive). */
enum okind { O_INT, O_DBL, O_BOOL, O_STR };

struct gen {
	uint64_t rng;
	char *ex, *sq; /* the two texts being built */
	size_t ne, ns, cap;
};

static uint64_t rnd(struct gen *g)
{
	g->rng ^= g->rng << 13;
	g->rng ^= g->rng >> 7;
	g->rng ^= g->rng << 17;
	return g->rng;
}

static int pick(struct gen *g, int n)
{
	return (int)(rnd(g) % (uint64_t)n);
}

static void put2(struct gen *g, const char *e, const char *s)
{
	size_t le = strlen(e), ls = strlen(s);
	assert_true(g->ne + le < g->cap && g->ns + ls < g->cap);
	memcpy(g->ex + g->ne, e, le + 1);
	memcpy(g->sq + g->ns, s, ls + 1);
	g->ne += le;
	g->ns += ls;
}

static void put(struct gen *g, const char *both)
{
	put2(g, both, both);
}

static const char *const strs[] = {"",      "a",    "ab",      "Abc",   " x ", "h\xc3\xa9llo",
				   "\xe6\x97\xa5\xe6\x9c\xac", "a%b", "a_b", "ABC", "abc", "it''s",
				   "  ",    "b",    "ba",      "xyz"};
static const char *const pats[] = {"%", "a%", "%b", "_", "__", "%a%", "a_b", "%_%", "A%",
				   "h_llo", "%\xc3\xa9%", "_\xe6\x9c\xac", "", "a%b", "%c"};

static void gen(struct gen *g, enum okind k, int depth);

/* coalesce(A, B) and if(C, A, B) (SQL: CASE WHEN C THEN A ELSE B END) of kind k. */
static void gen_coalesce(struct gen *g, enum okind k, int depth)
{
	put(g, "coalesce(");
	gen(g, k, depth - 1);
	put(g, ", ");
	gen(g, k, depth - 1);
	put(g, ")");
}

static void gen_if(struct gen *g, enum okind k, int depth)
{
	put2(g, "if(", "(CASE WHEN ");
	gen(g, O_BOOL, depth - 1);
	put2(g, ", ", " THEN ");
	gen(g, k, depth - 1);
	put2(g, ", ", " ELSE ");
	gen(g, k, depth - 1);
	put2(g, ")", " END)");
}

static void gen_int(struct gen *g, int depth)
{
	char buf[64];
	int r = depth <= 0 ? pick(g, 2) : pick(g, 12);
	switch (r) {
	case 0: {
		int c = pick(g, 3);
		put2(g, (const char *[]){"a", "b", "c"}[c], (const char *[]){"?1", "?2", "?3"}[c]);
		break;
	}
	case 1:
		snprintf(buf, sizeof(buf), "(%d)", pick(g, 41) - 20);
		put(g, buf);
		break;
	case 2: case 3: case 4: case 5: case 6: {
		static const char *const ops[] = {" + ", " - ", " * ", " / ", " % "};
		put(g, "(");
		gen(g, O_INT, depth - 1);
		put(g, ops[r - 2]);
		gen(g, O_INT, depth - 1);
		put(g, ")");
		break;
	}
	case 7: put(g, "abs("); gen(g, O_INT, depth - 1); put(g, ")"); break;
	case 8: put(g, "length("); gen(g, O_STR, depth - 1); put(g, ")"); break;
	case 9:
		gen_coalesce(g, O_INT, depth);
		break;
	case 10:
		gen_if(g, O_INT, depth);
		break;
	default:
		put(g, "cast(");
		gen(g, O_DBL, depth - 1);
		put2(g, " as int64)", " AS INTEGER)");
		break;
	}
}

static void gen_dbl(struct gen *g, int depth)
{
	char buf[64];
	int r = depth <= 0 ? pick(g, 2) : pick(g, 11);
	switch (r) {
	case 0: {
		bool c = pick(g, 2);
		put2(g, c ? "x" : "y", c ? "?4" : "?5");
		break;
	}
	case 1:
		snprintf(buf, sizeof(buf), "(%.2f)", (pick(g, 201) - 100) * 0.25);
		put(g, buf);
		break;
	case 2: case 3: case 4: case 5: {
		static const char *const ops[] = {" + ", " - ", " * ", " / "};
		/* one side double, the other int or double */
		bool swap = pick(g, 2);
		put(g, "(");
		gen(g, swap && pick(g, 2) ? O_INT : O_DBL, depth - 1);
		put(g, ops[r - 2]);
		gen(g, !swap && pick(g, 2) ? O_INT : O_DBL, depth - 1);
		put(g, ")");
		if (!swap) {
			/* make sure one side is a double: add 0.0 */
			g->ex[g->ne - 1] = '\0';
			g->ne--;
			g->sq[g->ns - 1] = '\0';
			g->ns--;
			put(g, " + 0.0)");
		}
		break;
	}
	case 6: put(g, "abs("); gen(g, O_DBL, depth - 1); put(g, ")"); break;
	case 7: put(g, "round("); gen(g, O_DBL, depth - 1); put(g, ")"); break;
	case 8:
		put(g, pick(g, 2) ? "floor(" : "ceil(");
		gen(g, O_DBL, depth - 1);
		put(g, ")");
		break;
	case 9:
		gen_coalesce(g, O_DBL, depth);
		break;
	default:
		put(g, "cast(");
		gen(g, O_INT, depth - 1);
		put2(g, " as double)", " AS REAL)");
		break;
	}
}

static void gen_bool(struct gen *g, int depth)
{
	static const char *const cmps[] = {" = ", " != ", " < ", " <= ", " > ", " >= ", " <> "};
	int r = depth <= 0 ? pick(g, 2) : pick(g, 12);
	enum okind k = (enum okind)pick(g, 4);
	if (k == O_BOOL)
		k = O_STR;
	switch (r) {
	case 0: case 1: case 2:
		gen(g, k, depth - 1);
		put(g, cmps[pick(g, 7)]);
		/* ints with doubles too */
		gen(g, k == O_INT && pick(g, 3) == 0 ? O_DBL : k, depth - 1);
		break;
	case 3: put(g, "("); gen(g, O_BOOL, depth - 1); put(g, " and "); gen(g, O_BOOL, depth - 1);
		put(g, ")"); break;
	case 4: put(g, "("); gen(g, O_BOOL, depth - 1); put(g, " or "); gen(g, O_BOOL, depth - 1);
		put(g, ")"); break;
	case 5: put(g, "(not "); gen(g, O_BOOL, depth - 1); put(g, ")"); break;
	case 6:
		put(g, "((");
		gen(g, (enum okind)pick(g, 4), depth - 1);
		put(g, pick(g, 2) ? ") is null)" : ") is not null)");
		break;
	case 7: {
		put(g, "(");
		gen(g, k, depth - 1);
		put(g, pick(g, 2) ? " in (" : " not in (");
		int n = 1 + pick(g, 3);
		for (int i = 0; i < n; i++) {
			if (i)
				put(g, ", ");
			if (pick(g, 6) == 0)
				put(g, "null");
			else
				gen(g, k, depth - 1);
		}
		put(g, "))");
		break;
	}
	case 8: {
		char buf[64];
		put(g, "(");
		gen(g, O_STR, depth - 1);
		snprintf(buf, sizeof(buf), "%s '%s')", pick(g, 4) ? " like" : " not like",
			 pats[pick(g, (int)(sizeof(pats) / sizeof(pats[0])))]);
		put(g, buf);
		break;
	}
	case 9: put(g, pick(g, 2) ? "true" : "false"); break;
	case 10: put(g, "(null = "); gen(g, k, depth - 1); put(g, ")"); break;
	default: {
		/* lower() or upper() with a literal: compared without making the string */
		char buf[64];
		bool up = pick(g, 2), left = pick(g, 2);
		const char *lit = strs[pick(g, (int)(sizeof(strs) / sizeof(strs[0])))];
		snprintf(buf, sizeof(buf), "'%s'", lit);
		put(g, "(");
		if (left)
			put(g, buf), put(g, cmps[pick(g, 7)]);
		put(g, up ? "upper(" : "lower(");
		gen(g, O_STR, depth - 1);
		put(g, ")");
		if (!left)
			put(g, cmps[pick(g, 7)]), put(g, buf);
		put(g, ")");
		break;
	}
	}
}

static void gen_str(struct gen *g, int depth)
{
	char buf[64];
	int r = depth <= 0 ? pick(g, 2) : pick(g, 12);
	switch (r) {
	case 0: {
		bool c = pick(g, 2);
		put2(g, c ? "s" : "t", c ? "?6" : "?7");
		break;
	}
	case 1:
		snprintf(buf, sizeof(buf), "'%s'",
			 strs[pick(g, (int)(sizeof(strs) / sizeof(strs[0])))]);
		put(g, buf);
		break;
	case 2: case 3:
		put(g, (const char *[]){"lower(", "upper(", "trim(", "ltrim(",
					"rtrim("}[pick(g, 5)]);
		gen(g, O_STR, depth - 1);
		put(g, ")");
		break;
	case 4: case 5:
		/* SQLite 3.40 reads substr's numbers as 32-bit: columns and literals only */
		put(g, "substr(");
		gen(g, O_STR, depth - 1);
		put(g, ", ");
		gen(g, O_INT, 0);
		if (pick(g, 2)) {
			put(g, ", ");
			gen(g, O_INT, 0);
		}
		put(g, ")");
		break;
	case 6: {
		/* SQLite's replace(x, '', NULL) is x: the test asks SQLite for SQL's null */
		char ze[64], zs[64];
		int zi = pick(g, 18);
		snprintf(ze, sizeof(ze), zi == 16 ? "s" : zi == 17 ? "t" : "'%s'",
			 strs[zi < 16 ? zi : 0]);
		snprintf(zs, sizeof(zs), zi == 16 ? "?6" : zi == 17 ? "?7" : "'%s'",
			 strs[zi < 16 ? zi : 0]);
		put2(g, "replace(", "(CASE WHEN ");
		put2(g, "", zs);
		put2(g, "", " IS NULL THEN NULL ELSE replace(");
		gen(g, O_STR, depth - 1);
		put(g, ", ");
		gen(g, O_STR, 0);
		put(g, ", ");
		put2(g, ze, zs);
		put2(g, ")", ") END)");
		break;
	}
	case 7: case 8:
		put(g, "(");
		gen(g, pick(g, 4) ? O_STR : O_INT, depth - 1);
		put(g, " || ");
		gen(g, pick(g, 4) ? O_STR : O_INT, depth - 1);
		put(g, ")");
		break;
	case 9:
		gen_coalesce(g, O_STR, depth);
		break;
	case 10:
		gen_if(g, O_STR, depth);
		break;
	default:
		put(g, "cast(");
		gen(g, O_INT, depth - 1);
		put2(g, " as string)", " AS TEXT)");
		break;
	}
}

static void gen(struct gen *g, enum okind k, int depth)
{
	switch (k) {
	case O_INT: gen_int(g, depth); break;
	case O_DBL: gen_dbl(g, depth); break;
	case O_BOOL: gen_bool(g, depth); break;
	default: gen_str(g, depth); break;
	}
}

/* A random record: each column missing, null, a value, or (when wrong) a value of a JSON
 * type the column does not have. SQLite gets the values bound (NULL when missing). */
struct orec {
	char json[1024];
	bool wrong; /* some member does not fit the row type */
	int64_t iv[3];
	double dv[2];
	const char *sv[2];
	bool null[7];
};

static void jput(struct orec *r, size_t *k, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void jput(struct orec *r, size_t *k, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(r->json + *k, sizeof(r->json) - *k, fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < sizeof(r->json) - *k);
	*k += (size_t)n;
}

static void gen_rec(struct gen *g, struct orec *r, bool allow_wrong)
{
	static const char *const names[] = {"a", "b", "c", "x", "y", "s", "t"};
	static const char *const wrongs[] = {"\"1\"", "[1]", "{\"a\":null}", "true", "1.5",
					     "{\"x\":[{\"y\":null}]}", "\"\""};
	/* the same strings as JSON writes them and as values */
	static const char *const jstrs[] = {"", "a", "ab", "Abc", " x ", "h\xc3\xa9llo",
					    "\xe6\x97\xa5\xe6\x9c\xac", "a%b", "a_b", "ABC", "abc",
					    "it's", "  ", "b", "ba", "x\\\"y"};
	static const char *const vstrs[] = {"", "a", "ab", "Abc", " x ", "h\xc3\xa9llo",
					    "\xe6\x97\xa5\xe6\x9c\xac", "a%b", "a_b", "ABC", "abc",
					    "it's", "  ", "b", "ba", "x\"y"};
	size_t k = 0;
	r->wrong = false;
	jput(r, &k, "{");
	bool first = true;
	int order[7] = {0, 1, 2, 3, 4, 5, 6};
	for (int i = 6; i > 0; i--) { /* members in any order */
		int j = pick(g, i + 1), t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	for (int oi = 0; oi < 7; oi++) {
		int i = order[oi];
		int what = pick(g, 20); /* 0-1 missing, 2-3 null, 4 wrong, else a value */
		r->null[i] = what < 4 || (what == 4 && allow_wrong);
		if (what < 2)
			continue;
		jput(r, &k, "%s\"%s\":", first ? "" : ",", names[i]);
		first = false;
		if (what < 4) {
			jput(r, &k, "null");
		} else if (what == 4 && allow_wrong) {
			r->wrong = true;
			jput(r, &k, "%s", wrongs[pick(g, 7)]);
		} else if (i < 3) {
			r->null[i] = false;
			r->iv[i] = pick(g, 10) ? pick(g, 41) - 20
					       : (int64_t)pick(g, 2000001) - 1000000;
			jput(r, &k, "%" PRId64, r->iv[i]);
		} else if (i < 5) {
			r->null[i] = false;
			r->dv[i - 3] = (pick(g, 401) - 200) * 0.25;
			/* as JSON writes it: an integral value may come as an integer */
			if (r->dv[i - 3] == floor(r->dv[i - 3]) && pick(g, 2))
				jput(r, &k, "%d", (int)r->dv[i - 3]);
			else
				jput(r, &k, "%.2f", r->dv[i - 3]);
		} else {
			r->null[i] = false;
			int si = pick(g, 16);
			r->sv[i - 5] = vstrs[si];
			jput(r, &k, "\"%s\"", jstrs[si]);
		}
	}
	jput(r, &k, "}");
}

struct ostats {
	long compared, skipped_arith, wrong_records, refused_wrong, kinds[4];
};

static void oracle_one(sqlite3 *db, struct sl_expr *e, struct sl_expr_cols *cols, const char *ex,
		       const char *sql, struct orec *r, struct ostats *st)
{
	struct sl_json_doc doc;
	parse_doc(r->json, strlen(r->json), &doc);
	size_t slots[8];
	assert_true(sl_expr_cols_count(cols) <= 8);
	sl_expr_cols_locate(cols, &doc, slots);
	sl_expr_arena_reset(arena);
	struct sl_expr_value v;
	const char *why = NULL;
	int rc = sl_expr_eval(e, &doc, slots, arena, &v, &why);
	if (rc != 0 && rc != SL_EINVAL)
		fail_msg("%s on %s: rc %d", ex, r->json, rc);
	if (r->wrong) {
		/* no oracle for a record that does not fit: a refusal names the column,
		 * or the value came from columns that fit */
		st->wrong_records++;
		if (rc == SL_EINVAL) {
			st->refused_wrong++;
			if (strncmp(why, "column ", 7) != 0 &&
			    strcmp(why, "division by zero") != 0 &&
			    strcmp(why, "integer overflow") != 0)
				fail_msg("%s on %s: refused with '%s'", ex, r->json, why);
		} else {
			char tmp[4096];
			value_text(&v, &doc, tmp, sizeof(tmp));
		}
		return;
	}
	if (rc == SL_EINVAL) {
		/* SQLite gives NULL for a division by zero and a double for an overflow */
		if (strcmp(why, "division by zero") != 0 && strcmp(why, "integer overflow") != 0)
			fail_msg("%s on %s: refused with '%s'", ex, r->json, why);
		st->skipped_arith++;
		return;
	}
	sqlite3_stmt *stmt;
	if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK)
		fail_msg("SQLite refuses %s: %s", sql, sqlite3_errmsg(db));
	for (int i = 0; i < 7; i++) {
		int ix = sqlite3_bind_parameter_index(stmt, (const char *[]){"?1", "?2", "?3", "?4",
									      "?5", "?6", "?7"}[i]);
		if (ix == 0)
			continue;
		if (r->null[i])
			sqlite3_bind_null(stmt, ix);
		else if (i < 3)
			sqlite3_bind_int64(stmt, ix, r->iv[i]);
		else if (i < 5)
			sqlite3_bind_double(stmt, ix, r->dv[i - 3]);
		else
			sqlite3_bind_text(stmt, ix, r->sv[i - 5], -1, SQLITE_STATIC);
	}
	if (sqlite3_step(stmt) != SQLITE_ROW)
		fail_msg("SQLite fails %s: %s", sql, sqlite3_errmsg(db));
	int t = sqlite3_column_type(stmt, 0);
	bool same;
	char mine[4096], theirs[4096];
	value_text(&v, &doc, mine, sizeof(mine));
	switch (v.kind) {
	case SL_EV_NULL: same = t == SQLITE_NULL; break;
	case SL_EV_BOOL:
		same = t == SQLITE_INTEGER && sqlite3_column_int64(stmt, 0) == v.v.b;
		break;
	case SL_EV_INT:
		same = t == SQLITE_INTEGER && sqlite3_column_int64(stmt, 0) == v.v.i;
		break;
	case SL_EV_DOUBLE:
		same = t == SQLITE_FLOAT && sqlite3_column_double(stmt, 0) == v.v.d;
		break;
	case SL_EV_STRING:
		same = t == SQLITE_TEXT && (size_t)sqlite3_column_bytes(stmt, 0) == v.v.s.n &&
		       memcmp(sqlite3_column_text(stmt, 0), v.v.s.p, v.v.s.n) == 0;
		break;
	default: same = false; break;
	}
	if (!same) {
		snprintf(theirs, sizeof(theirs), "%s (type %d)",
			 t == SQLITE_NULL ? "NULL" : (const char *)sqlite3_column_text(stmt, 0), t);
		fail_msg("%s\n  SQL  %s\n  on   %s\n  mine %s\n  sqlite %s", ex, sql, r->json, mine,
			 theirs);
	}
	if (v.kind != SL_EV_NULL)
		st->kinds[v.kind == SL_EV_BOOL ? 0 : v.kind == SL_EV_INT ? 1
			  : v.kind == SL_EV_DOUBLE ? 2 : 3]++;
	st->compared++;
	sqlite3_finalize(stmt);
}

static void test_oracle_sqlite(void **state)
{
	(void)state;
	sqlite3 *db;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA case_sensitive_like = ON", NULL, NULL, NULL),
			 SQLITE_OK);
	const char *rt_text = "struct<a:int64,b:int64,c:int64,x:double,y:double,s:string,t:string>";
	struct sl_err err = {0};
	struct sl_type *rt = sl_type_parse(rt_text, strlen(rt_text), &err);
	assert_non_null(rt);
	struct gen g = {.rng = 0x9e3779b97f4a7c15u, .cap = 1 << 16};
	g.ex = malloc(g.cap);
	g.sq = malloc(g.cap);
	struct ostats st = {0};
	struct orec recs[24];
	for (int i = 0; i < 24; i++)
		gen_rec(&g, &recs[i], i >= 18);
	for (int n = 0; n < 3000; n++) {
		g.ne = g.ns = 0;
		g.ex[0] = g.sq[0] = '\0';
		enum okind k = (enum okind)(n % 4);
		put2(&g, "", "SELECT ");
		gen(&g, k, 1 + pick(&g, 4));
		struct sl_expr_cols *cols = sl_expr_cols_new(rt);
		struct sl_expr *e = NULL;
		if (sl_expr_compile(g.ex, cols, &e, NULL, &err) != 0)
			fail_msg("%s: %s", g.ex, err.msg);
		if (n % 97 == 0) /* new records now and then */
			for (int i = 0; i < 24; i++)
				gen_rec(&g, &recs[i], i >= 18);
		for (int i = 0; i < 24; i++)
			oracle_one(db, e, cols, g.ex, g.sq, &recs[i], &st);
		sl_expr_free(e);
		sl_expr_cols_free(cols);
	}
	/* the oracle compared most pairs, of every kind, and the wrong records were refused
	 * often */
	print_message("oracle: %ld compared (bool %ld, int %ld, double %ld, string %ld), %ld "
		      "skipped (overflow, division by zero), %ld on wrong records (%ld refused)\n",
		      st.compared, st.kinds[0], st.kinds[1], st.kinds[2], st.kinds[3],
		      st.skipped_arith, st.wrong_records, st.refused_wrong);
	assert_true(st.compared > 3000 * 18 * 8 / 10);
	for (int i = 0; i < 4; i++)
		assert_true(st.kinds[i] > 2000);
	assert_true(st.refused_wrong > st.wrong_records / 10);
	free(g.ex);
	free(g.sq);
	sl_type_free(rt);
	sqlite3_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_literals),
		cmocka_unit_test(test_arithmetic),
		cmocka_unit_test(test_comparisons),
		cmocka_unit_test(test_like),
		cmocka_unit_test(test_logic_and_nulls),
		cmocka_unit_test(test_string_functions),
		cmocka_unit_test(test_other_functions),
		cmocka_unit_test(test_cast),
		cmocka_unit_test(test_columns),
		cmocka_unit_test(test_static_types),
		cmocka_unit_test(test_compile_errors),
		cmocka_unit_test(test_p1_bounds),
		cmocka_unit_test(test_p2_records_that_do_not_fit),
		cmocka_unit_test(test_p2_any_record),
		cmocka_unit_test(test_p2_stale_slots),
		cmocka_unit_test(test_p3_arena_bounded),
		cmocka_unit_test(test_p3_arena_reuse),
		cmocka_unit_test(test_p3_like_bounded),
		cmocka_unit_test(test_cols_slots),
		cmocka_unit_test(test_value_json),
		cmocka_unit_test(test_oracle_sqlite),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
