/*
 * test_catalog_ddl.c - DDL for other engines (catalog/ddl.c, sl_cat_ddl) on hand-made
 * tables: every kind of the type system in every dialect, nesting, Hive and partition_N
 * partitions (deprecated ones left out, malformed ones refused), the DuckDB view's glob
 * and path-derived partition columns, binary decoding, the empty view, quoting of
 * hostile names and values, and the names each dialect cannot hold (control characters,
 * names equal ignoring case in one struct or beside a partition key, Athena's backtick and
 * field names), wide structs, deep trees and the output cap.
 * Whether the DuckDB DDL really reads the files is tests/interop/test_catalog_interop.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "catalog/catalog.h"
#include "types/types.h"
#include "util/buf.h"

#define ALL_KINDS                                                                          \
	"struct<b:boolean,i8:int8,i16:int16,i32:int32,i64:int64,u8:uint8,u16:uint16,"     \
	"u32:uint32,u64:uint64,f:float,d:double,dec:decimal(10,2),s:string,e:enum,"       \
	"bin:binary,fix:binary(16),da:date,t:time(us),ts:timestamp(ms),u:uuid,j:json,"   \
	"st:struct<a:int64,b:list<string>>,l:list<struct<x:double>>,m:map<string,int32>,"\
	"empty:struct<>>"

static void table_init(struct sl_cat_table *t, const char *format, const char *prefix,
		       const char *keys, const char *schema)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->db, sizeof(t->db), "raw");
	snprintf(t->name, sizeof(t->name), "orders");
	snprintf(t->zone, sizeof(t->zone), "raw");
	snprintf(t->format, sizeof(t->format), "%s", format);
	snprintf(t->prefix, sizeof(t->prefix), "%s", prefix);
	snprintf(t->partition_keys, sizeof(t->partition_keys), "%s", keys);
	t->schema = (char *)schema;
	t->version = 1;
}

static void part_init(struct sl_cat_partition *p, const char *part, int64_t objects,
		      const char *state)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->db, sizeof(p->db), "raw");
	snprintf(p->table, sizeof(p->table), "orders");
	snprintf(p->part, sizeof(p->part), "%s", part);
	p->objects = objects;
	snprintf(p->state, sizeof(p->state), "%s", state);
}

/* The DDL (malloc'd) or NULL with err filled and *rc set. */
static char *ddl_of(const struct sl_cat_table *t, const struct sl_cat_partition *parts,
		    size_t n, const char *dialect, const char *location, int *rc,
		    struct sl_err *err)
{
	struct sl_buf b;
	sl_buf_init(&b, 0);
	memset(err, 0, sizeof(*err));
	*rc = sl_cat_ddl(t, NULL, parts, n, dialect, location, &b, err);
	if (*rc) {
		sl_buf_release(&b);
		return NULL;
	}
	assert_non_null(b.data);
	return b.data;
}

static char *ddl_ok(const struct sl_cat_table *t, const struct sl_cat_partition *parts,
		    size_t n, const char *dialect, const char *location)
{
	struct sl_err err;
	int rc;
	char *s = ddl_of(t, parts, n, dialect, location, &rc, &err);
	if (!s)
		fail_msg("%s DDL refused (%d): %s", dialect, rc, err.msg);
	return s;
}

/* Asserts the DDL is refused with SL_EINVAL (or code) and the message holds each needle. */
static void ddl_refused(const struct sl_cat_table *t, const struct sl_cat_partition *parts,
			size_t n, const char *dialect, const char *location, int code, ...)
{
	struct sl_err err;
	int rc;
	char *s = ddl_of(t, parts, n, dialect, location, &rc, &err);
	if (s)
		fail_msg("%s DDL accepted:\n%s", dialect, s);
	assert_int_equal(rc, code);
	assert_int_equal(err.code, code);
	va_list ap;
	va_start(ap, code);
	for (const char *needle; (needle = va_arg(ap, const char *)) != NULL;)
		if (!strstr(err.msg, needle))
			fail_msg("'%s' not in the message: %s", needle, err.msg);
	va_end(ap);
}

static void assert_has(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("expected\n  %s\nin\n%s", needle, hay);
}

static void assert_lacks(const char *hay, const char *needle)
{
	if (strstr(hay, needle))
		fail_msg("did not expect\n  %s\nin\n%s", needle, hay);
}

/* ---- every kind ---------------------------------------------------------------------- */

static void test_athena_every_kind(void **state)
{
	(void)state;
	struct sl_cat_table t;
	struct sl_cat_partition p[1];
	table_init(&t, "json", "orders/", "", ALL_KINDS);
	part_init(&p[0], "", 3, SL_CAT_PART_ACTIVE);
	char *s = ddl_ok(&t, p, 1, "athena", "s3://bucket/lake/raw/");
	assert_string_equal(
		s, "CREATE DATABASE IF NOT EXISTS `raw`;\n"
		   "CREATE EXTERNAL TABLE IF NOT EXISTS `raw`.`orders` (\n"
		   "  `b` boolean,\n  `i8` tinyint,\n  `i16` smallint,\n  `i32` int,\n"
		   "  `i64` bigint,\n  `u8` smallint,\n  `u16` int,\n  `u32` bigint,\n"
		   "  `u64` decimal(20,0),\n  `f` float,\n  `d` double,\n  `dec` decimal(10,2),\n"
		   "  `s` string,\n  `e` string,\n  `bin` binary,\n  `fix` binary,\n  `da` date,\n"
		   "  `t` string,\n  `ts` timestamp,\n  `u` string,\n  `j` string,\n"
		   "  `st` struct<a:bigint,b:array<string>>,\n  `l` array<struct<x:double>>,\n"
		   "  `m` map<string,int>,\n  `empty` string\n"
		   ")\n"
		   "ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'\n"
		   "LOCATION 's3://bucket/lake/raw/orders/';\n");
	free(s);
	/* parquet: STORED AS PARQUET instead of the SerDe */
	snprintf(t.format, sizeof(t.format), "parquet");
	s = ddl_ok(&t, p, 1, "athena", "s3://bucket/lake/raw");
	assert_has(s, "\nSTORED AS PARQUET\nLOCATION 's3://bucket/lake/raw/orders/';\n");
	assert_lacks(s, "SerDe");
	free(s);
}

static void test_spark_every_kind(void **state)
{
	(void)state;
	struct sl_cat_table t;
	table_init(&t, "parquet", "orders/", "", ALL_KINDS);
	char *s = ddl_ok(&t, NULL, 0, "spark", "/lake/curated");
	assert_string_equal(
		s, "CREATE DATABASE IF NOT EXISTS `raw`;\n"
		   "CREATE TABLE IF NOT EXISTS `raw`.`orders` (\n"
		   "  `b` BOOLEAN,\n  `i8` TINYINT,\n  `i16` SMALLINT,\n  `i32` INT,\n"
		   "  `i64` BIGINT,\n  `u8` SMALLINT,\n  `u16` INT,\n  `u32` BIGINT,\n"
		   "  `u64` DECIMAL(20,0),\n  `f` FLOAT,\n  `d` DOUBLE,\n  `dec` DECIMAL(10,2),\n"
		   "  `s` STRING,\n  `e` STRING,\n  `bin` BINARY,\n  `fix` BINARY,\n  `da` DATE,\n"
		   "  `t` STRING,\n  `ts` TIMESTAMP,\n  `u` STRING,\n  `j` STRING,\n"
		   "  `st` STRUCT<`a`: BIGINT, `b`: ARRAY<STRING>>,\n"
		   "  `l` ARRAY<STRUCT<`x`: DOUBLE>>,\n  `m` MAP<STRING, INT>,\n  `empty` STRING\n"
		   ")\n"
		   "USING parquet\n"
		   "LOCATION '/lake/curated/orders/';\n");
	free(s);
	snprintf(t.format, sizeof(t.format), "json");
	s = ddl_ok(&t, NULL, 0, "spark", "/lake/raw");
	assert_has(s, "\nUSING json\n");
	free(s);
}

static void test_trino_every_kind(void **state)
{
	(void)state;
	struct sl_cat_table t;
	table_init(&t, "json", "orders/", "", ALL_KINDS);
	char *s = ddl_ok(&t, NULL, 0, "trino", "s3://b/raw");
	assert_string_equal(
		s, "CREATE SCHEMA IF NOT EXISTS \"raw\";\n"
		   "CREATE TABLE IF NOT EXISTS \"raw\".\"orders\" (\n"
		   "  \"b\" boolean,\n  \"i8\" tinyint,\n  \"i16\" smallint,\n  \"i32\" integer,\n"
		   "  \"i64\" bigint,\n  \"u8\" smallint,\n  \"u16\" integer,\n  \"u32\" bigint,\n"
		   "  \"u64\" decimal(20,0),\n  \"f\" real,\n  \"d\" double,\n"
		   "  \"dec\" decimal(10,2),\n  \"s\" varchar,\n  \"e\" varchar,\n"
		   "  \"bin\" varbinary,\n  \"fix\" varbinary,\n  \"da\" date,\n  \"t\" varchar,\n"
		   "  \"ts\" timestamp,\n  \"u\" varchar,\n  \"j\" varchar,\n"
		   "  \"st\" row(\"a\" bigint, \"b\" array(varchar)),\n"
		   "  \"l\" array(row(\"x\" double)),\n  \"m\" map(varchar, integer),\n"
		   "  \"empty\" varchar\n"
		   ")\n"
		   "WITH (\n"
		   "  external_location = 's3://b/raw/orders/',\n"
		   "  format = 'JSON'\n"
		   ");\n");
	free(s);
	/* a local zone is read through the Hive connector's file:// file system */
	snprintf(t.format, sizeof(t.format), "parquet");
	s = ddl_ok(&t, NULL, 0, "trino", "/lake/raw");
	assert_has(s, "external_location = 'file:///lake/raw/orders/',\n  format = 'PARQUET'\n");
	free(s);
}

static void test_duckdb_every_kind(void **state)
{
	(void)state;
	struct sl_cat_table t;
	struct sl_cat_partition p[1];
	table_init(&t, "json", "orders/", "", ALL_KINDS);
	part_init(&p[0], "", 2, SL_CAT_PART_ACTIVE);
	char *s = ddl_ok(&t, p, 1, "duckdb", "/lake/raw");
	assert_string_equal(
		s, "CREATE SCHEMA IF NOT EXISTS \"raw\";\n"
		   "CREATE OR REPLACE VIEW \"raw\".\"orders\" AS\n"
		   "SELECT\n"
		   "  \"b\",\n  \"i8\",\n  \"i16\",\n  \"i32\",\n  \"i64\",\n  \"u8\",\n  \"u16\",\n"
		   "  \"u32\",\n  \"u64\",\n  \"f\",\n  \"d\",\n  \"dec\",\n  \"s\",\n  \"e\",\n"
		   "  from_base64(\"bin\") AS \"bin\",\n  from_base64(\"fix\") AS \"fix\",\n"
		   "  \"da\",\n  \"t\",\n  \"ts\",\n  \"u\",\n  \"j\",\n  \"st\",\n  \"l\",\n"
		   "  \"m\",\n  \"empty\"\n"
		   "FROM read_json('/lake/raw/orders/*json*',\n"
		   "  columns = {\n"
		   "    'b': 'BOOLEAN',\n    'i8': 'TINYINT',\n    'i16': 'SMALLINT',\n"
		   "    'i32': 'INTEGER',\n    'i64': 'BIGINT',\n    'u8': 'UTINYINT',\n"
		   "    'u16': 'USMALLINT',\n    'u32': 'UINTEGER',\n    'u64': 'UBIGINT',\n"
		   "    'f': 'FLOAT',\n    'd': 'DOUBLE',\n    'dec': 'DECIMAL(10,2)',\n"
		   "    's': 'VARCHAR',\n    'e': 'VARCHAR',\n    'bin': 'VARCHAR',\n"
		   "    'fix': 'VARCHAR',\n    'da': 'DATE',\n    't': 'TIME',\n"
		   "    'ts': 'TIMESTAMPTZ',\n    'u': 'UUID',\n    'j': 'JSON',\n"
		   "    'st': 'STRUCT(\"a\" BIGINT, \"b\" VARCHAR[])',\n"
		   "    'l': 'STRUCT(\"x\" DOUBLE)[]',\n    'm': 'MAP(VARCHAR, INTEGER)',\n"
		   "    'empty': 'JSON'},\n"
		   "  format = 'auto', maximum_object_size = 67108864,\n"
		   "  hive_partitioning = false, filename = '__sluice_file');\n");
	free(s);
	/* parquet: the file's columns cast to the table's types (binary stays BLOB) */
	snprintf(t.format, sizeof(t.format), "parquet");
	s = ddl_ok(&t, p, 1, "duckdb", "/lake/curated/");
	assert_has(s, "  CAST(\"bin\" AS BLOB) AS \"bin\",\n");
	assert_has(s, "  CAST(\"st\" AS STRUCT(\"a\" BIGINT, \"b\" VARCHAR[])) AS \"st\",\n");
	assert_has(s, "FROM read_parquet('/lake/curated/orders/*.parquet',\n"
		      "  union_by_name = true,\n"
		      "  hive_partitioning = false, filename = '__sluice_file');\n");
	assert_lacks(s, "columns =");
	free(s);
}

/* ---- nesting and binary ---------------------------------------------------------------- */

static void test_nesting(void **state)
{
	(void)state;
	struct sl_cat_table t;
	struct sl_cat_partition p[1];
	table_init(&t, "json", "ev/", "",
		   "struct<a:map<string,list<struct<x:list<map<string,int64>>,y:struct<z:"
		   "decimal(38,38)>>>>>");
	part_init(&p[0], "", 1, SL_CAT_PART_ACTIVE);
	char *s = ddl_ok(&t, p, 1, "athena", "s3://b/raw");
	assert_has(s, "  `a` map<string,array<struct<x:array<map<string,bigint>>,"
		      "y:struct<z:decimal(38,38)>>>>\n");
	free(s);
	s = ddl_ok(&t, p, 1, "spark", "/l");
	assert_has(s, "  `a` MAP<STRING, ARRAY<STRUCT<`x`: ARRAY<MAP<STRING, BIGINT>>, "
		      "`y`: STRUCT<`z`: DECIMAL(38,38)>>>>\n");
	free(s);
	s = ddl_ok(&t, p, 1, "trino", "/l");
	assert_has(s, "  \"a\" map(varchar, array(row(\"x\" array(map(varchar, bigint)), "
		      "\"y\" row(\"z\" decimal(38,38)))))\n");
	free(s);
	s = ddl_ok(&t, p, 1, "duckdb", "/l");
	assert_has(s, "'a': 'MAP(VARCHAR, STRUCT(\"x\" MAP(VARCHAR, BIGINT)[], "
		      "\"y\" STRUCT(\"z\" DECIMAL(38,38)))[])'");
	free(s);
}

/* Binary values of a JSON table are base64 text: decoded wherever they are nested. */
static void test_duckdb_binary_nested(void **state)
{
	(void)state;
	struct sl_cat_table t;
	struct sl_cat_partition p[1];
	table_init(&t, "json", "ev/", "",
		   "struct<s:struct<b:binary,n:int64>,l:list<binary>,m:map<string,binary>,"
		   "deep:list<struct<q:binary>>>");
	part_init(&p[0], "", 1, SL_CAT_PART_ACTIVE);
	char *s = ddl_ok(&t, p, 1, "duckdb", "/l");
	assert_has(s, "  CASE WHEN \"s\" IS NULL THEN NULL ELSE {'b': from_base64(struct_extract("
		      "\"s\", 'b')), 'n': struct_extract(\"s\", 'n')} END AS \"s\",\n");
	assert_has(s, "  list_transform(\"l\", lambda x0: from_base64(x0)) AS \"l\",\n");
	assert_has(s, "  map_from_entries(list_transform(map_entries(\"m\"), lambda x0: {'key': "
		      "x0.key, 'value': from_base64(x0.value)})) AS \"m\",\n");
	assert_has(s, "  list_transform(\"deep\", lambda x0: CASE WHEN x0 IS NULL THEN NULL ELSE "
		      "{'q': from_base64(struct_extract(x0, 'q'))} END) AS \"deep\"\n");
	/* read as text */
	assert_has(s, "'s': 'STRUCT(\"b\" VARCHAR, \"n\" BIGINT)'");
	assert_has(s, "'deep': 'STRUCT(\"q\" VARCHAR)[]'");
	free(s);
}

/* ---- partitions ------------------------------------------------------------------------- */

static void test_hive_partitions(void **state)
{
	(void)state;
	struct sl_cat_table t;
	struct sl_cat_partition p[3];
	table_init(&t, "json", "orders/", "dt,hour", "struct<id:int64>");
	part_init(&p[0], "dt=2026-01-05/hour=03", 2, SL_CAT_PART_ACTIVE);
	part_init(&p[1], "dt=2026-01-05/hour=04", 0, SL_CAT_PART_DEPRECATED);
	part_init(&p[2], "DT=2026-01-06/Hour=00", 1, SL_CAT_PART_ACTIVE);

	char *s = ddl_ok(&t, p, 3, "athena", "s3://b/lake/raw");
	assert_has(s, "PARTITIONED BY (`dt` string, `hour` string)\n");
	assert_has(s, "ALTER TABLE `raw`.`orders` ADD IF NOT EXISTS PARTITION (`dt` = "
		      "'2026-01-05', `hour` = '03') LOCATION "
		      "'s3://b/lake/raw/orders/dt=2026-01-05/hour=03/';\n");
	/* the folder's own spelling in the location, the key's values by the catalog's keys */
	assert_has(s, "PARTITION (`dt` = '2026-01-06', `hour` = '00') LOCATION "
		      "'s3://b/lake/raw/orders/DT=2026-01-06/Hour=00/';\n");
	assert_lacks(s, "hour=04"); /* deprecated: not registered */
	free(s);

	s = ddl_ok(&t, p, 3, "spark", "/lake/raw");
	assert_has(s, "  `id` BIGINT,\n  `dt` STRING,\n  `hour` STRING\n)\nUSING json\n"
		      "PARTITIONED BY (`dt`, `hour`)\nLOCATION '/lake/raw/orders/';\n");
	assert_has(s, "ALTER TABLE `raw`.`orders` ADD IF NOT EXISTS PARTITION (`dt` = "
		      "'2026-01-05', `hour` = '03') LOCATION "
		      "'/lake/raw/orders/dt=2026-01-05/hour=03/';\n");
	free(s);

	s = ddl_ok(&t, p, 3, "trino", "s3://b/lake/raw");
	assert_has(s, "  \"id\" bigint,\n  \"dt\" varchar,\n  \"hour\" varchar\n)\n");
	assert_has(s, "  partitioned_by = ARRAY['dt', 'hour']\n);\n");
	assert_has(s, "CALL system.register_partition('raw', 'orders', ARRAY['dt', 'hour'], "
		      "ARRAY['2026-01-05', '03'], 's3://b/lake/raw/orders/dt=2026-01-05/hour=03/');\n");
	assert_lacks(s, "hour=04");
	free(s);

	s = ddl_ok(&t, p, 3, "duckdb", "/lake/raw");
	assert_has(s, "  regexp_extract(string_split(\"__sluice_file\", '/')[-3], '=(.*)$', 1) "
		      "AS \"dt\",\n");
	assert_has(s, "  regexp_extract(string_split(\"__sluice_file\", '/')[-2], '=(.*)$', 1) "
		      "AS \"hour\"\n");
	/* the keys in the glob, in either case; no hive_partitioning */
	assert_has(s, "FROM read_json('/lake/raw/orders/[dD][tT]=*/[hH][oO][uU][rR]=*/*json*',");
	assert_has(s, "hive_partitioning = false");
	free(s);
}

static void test_numbered_partitions(void **state)
{
	(void)state;
	struct sl_cat_table t;
	struct sl_cat_partition p[2];
	table_init(&t, "parquet", "logs/app/", "partition_0,partition_1", "struct<msg:string>");
	part_init(&p[0], "2026/01", 4, SL_CAT_PART_ACTIVE);
	part_init(&p[1], "2026/02", 1, SL_CAT_PART_ACTIVE);
	char *s = ddl_ok(&t, p, 2, "athena", "s3://b/curated");
	assert_has(s, "PARTITIONED BY (`partition_0` string, `partition_1` string)\n"
		      "STORED AS PARQUET\n");
	assert_has(s, "ADD IF NOT EXISTS PARTITION (`partition_0` = '2026', `partition_1` = "
		      "'02') LOCATION 's3://b/curated/logs/app/2026/02/';\n");
	free(s);
	s = ddl_ok(&t, p, 2, "trino", "s3://b/curated");
	assert_has(s, "ARRAY['partition_0', 'partition_1'], ARRAY['2026', '01'], "
		      "'s3://b/curated/logs/app/2026/01/');\n");
	free(s);
	s = ddl_ok(&t, p, 2, "duckdb", "/lake/curated");
	assert_has(s, "  string_split(\"__sluice_file\", '/')[-3] AS \"partition_0\",\n"
		      "  string_split(\"__sluice_file\", '/')[-2] AS \"partition_1\"\n");
	assert_has(s, "FROM read_parquet('/lake/curated/logs/app/*/*/*.parquet',");
	free(s);

	/* a Hive level and a numbered one in one table */
	table_init(&t, "json", "t/", "dt,partition_1", "struct<a:int64>");
	part_init(&p[0], "dt=1/x", 1, SL_CAT_PART_ACTIVE);
	s = ddl_ok(&t, p, 1, "duckdb", "/l");
	assert_has(s, "FROM read_json('/l/t/[dD][tT]=*/*/*json*',");
	assert_has(s, "regexp_extract(string_split(\"__sluice_file\", '/')[-3], '=(.*)$', 1) AS "
		      "\"dt\",\n  string_split(\"__sluice_file\", '/')[-2] AS \"partition_1\"\n");
	free(s);
}

static void test_partition_refused(void **state)
{
	(void)state;
	struct sl_cat_table t;
	struct sl_cat_partition p[1];
	table_init(&t, "json", "orders/", "dt,hour", "struct<id:int64>");
	part_init(&p[0], "dt=2026-01-05", 1, SL_CAT_PART_ACTIVE); /* a level short */
	ddl_refused(&t, p, 1, "athena", "s3://b/raw", SL_EINVAL, "raw.orders", "athena",
		    "\"dt=2026-01-05\"", "dt,hour", NULL);
	part_init(&p[0], "dt=1/hour=2/x", 1, SL_CAT_PART_ACTIVE); /* a level more */
	ddl_refused(&t, p, 1, "trino", "/l", SL_EINVAL, "dt=1/hour=2/x", NULL);
	part_init(&p[0], "dt=1//", 1, SL_CAT_PART_ACTIVE);
	ddl_refused(&t, p, 1, "duckdb", "/l", SL_EINVAL, "levels", NULL);
	/* an unpartitioned table's own folder is never registered */
	table_init(&t, "json", "orders/", "", "struct<id:int64>");
	part_init(&p[0], "", 1, SL_CAT_PART_ACTIVE);
	char *s = ddl_ok(&t, p, 1, "athena", "s3://b/raw");
	assert_lacks(s, "ALTER TABLE");
	assert_lacks(s, "PARTITIONED");
	free(s);
}

/* A table without files (no partitions, or only empty or deprecated ones): DuckDB gets a
 * typed empty view, since a glob without matches fails when the view is made. */
static void test_duckdb_empty_table(void **state)
{
	(void)state;
	struct sl_cat_table t;
	struct sl_cat_partition p[1];
	table_init(&t, "json", "orders/", "dt", "struct<id:int64,b:binary,s:struct<x:date>>");
	char *s = ddl_ok(&t, NULL, 0, "duckdb", "/l");
	assert_string_equal(s, "CREATE SCHEMA IF NOT EXISTS \"raw\";\n"
			       "CREATE OR REPLACE VIEW \"raw\".\"orders\" AS\n"
			       "SELECT\n"
			       "  CAST(NULL AS BIGINT) AS \"id\",\n"
			       "  CAST(NULL AS BLOB) AS \"b\",\n"
			       "  CAST(NULL AS STRUCT(\"x\" DATE)) AS \"s\",\n"
			       "  CAST(NULL AS VARCHAR) AS \"dt\"\n"
			       "WHERE false;\n");
	free(s);
	part_init(&p[0], "dt=1", 0, SL_CAT_PART_DEPRECATED);
	s = ddl_ok(&t, p, 1, "duckdb", "/l");
	assert_has(s, "WHERE false;\n");
	free(s);
}

/* ---- quoting ------------------------------------------------------------------------------ */

static void test_hostile_names_quoted(void **state)
{
	(void)state;
	struct sl_cat_table t;
	struct sl_cat_partition p[1];
	table_init(&t, "json", "we ird'*?[x]/", "partition_0",
		   "struct<\"a b\":int64,\"q'uote\":string,\"d\\\"q\":boolean,\"back`tick\":"
		   "int32,\"Ünï\":struct<\"x-y\":int64>,\"semi;--\":date>");
	part_init(&p[0], "it's", 1, SL_CAT_PART_ACTIVE);

	char *s = ddl_ok(&t, p, 1, "spark", "/l'x");
	assert_has(s, "  `a b` BIGINT,\n  `q'uote` STRING,\n  `d\"q` BOOLEAN,\n"
		      "  `back``tick` INT,\n  `Ünï` STRUCT<`x-y`: BIGINT>,\n  `semi;--` DATE,\n");
	/* Hive and Spark literals escape with a backslash */
	assert_has(s, "LOCATION '/l\\'x/we ird\\'*?[x]/';\n");
	assert_has(s, "PARTITION (`partition_0` = 'it\\'s') LOCATION "
		      "'/l\\'x/we ird\\'*?[x]/it\\'s/';\n");
	free(s);

	s = ddl_ok(&t, p, 1, "trino", "/l'x");
	assert_has(s, "  \"a b\" bigint,\n  \"q'uote\" varchar,\n  \"d\"\"q\" boolean,\n"
		      "  \"back`tick\" integer,\n  \"Ünï\" row(\"x-y\" bigint),\n");
	assert_has(s, "external_location = 'file:///l''x/we ird''*?[x]/'");
	assert_has(s, "ARRAY['it''s'], 'file:///l''x/we ird''*?[x]/it''s/');\n");
	free(s);

	snprintf(t.prefix, sizeof(t.prefix), "we ird'*[x]/");
	s = ddl_ok(&t, p, 1, "duckdb", "/l'x");
	assert_has(s, "  \"a b\",\n  \"q'uote\",\n  \"d\"\"q\",\n  \"back`tick\",\n");
	assert_has(s, "    'q''uote': 'VARCHAR',\n    'd\"q': 'BOOLEAN',\n");
	assert_has(s, "    'Ünï': 'STRUCT(\"x-y\" BIGINT)',\n");
	free(s);
	/* glob characters of the location made literal; a '?' only in Parquet tables (DuckDB
	 * misreads compressed JSON under a path with one) */
	snprintf(t.prefix, sizeof(t.prefix), "we ird'*?[x]/");
	ddl_refused(&t, p, 1, "duckdb", "/l'x", SL_EINVAL, "'?'", "\"we ird'*?[x]/\"", NULL);
	snprintf(t.format, sizeof(t.format), "parquet");
	s = ddl_ok(&t, p, 1, "duckdb", "/l'x");
	assert_has(s, "FROM read_parquet('/l''x/we ird''[*][?][[]x]/*/*.parquet',");
	free(s);
	snprintf(t.format, sizeof(t.format), "json");
	snprintf(t.prefix, sizeof(t.prefix), "we ird'*[x]/");
	s = ddl_ok(&t, p, 1, "duckdb", "/l'x");
	assert_has(s, "FROM read_json('/l''x/we ird''[*][[]x]/*/*json*',");
	free(s);
	ddl_refused(&t, p, 1, "duckdb", "/l?x", SL_EINVAL, "'?'", "\"/l?x\"", NULL);
	part_init(&p[0], "a?b", 1, SL_CAT_PART_ACTIVE);
	ddl_refused(&t, p, 1, "duckdb", "/l", SL_EINVAL, "'?'", "\"a?b\"", NULL);
	part_init(&p[0], "it's", 1, SL_CAT_PART_ACTIVE);
	snprintf(t.prefix, sizeof(t.prefix), "we ird'*?[x]/");

	/* athena: no backtick; nested names [A-Za-z0-9_] only */
	ddl_refused(&t, p, 1, "athena", "s3://b/raw", SL_EINVAL, "backtick", "/back`tick", NULL);
	table_init(&t, "json", "t/", "", "struct<\"a b\":int64,s:struct<\"x-y\":int64>>");
	ddl_refused(&t, NULL, 0, "athena", "s3://b/raw", SL_EINVAL, "/s/x-y", "letters", NULL);
	table_init(&t, "json", "t/", "", "struct<\"a b\":int64,s:struct<x_Y9:int64>>");
	s = ddl_ok(&t, NULL, 0, "athena", "s3://b/raw");
	assert_has(s, "  `a b` bigint,\n  `s` struct<x_Y9:bigint>\n");
	free(s);
	/* the column-path column never takes a data column's name */
	table_init(&t, "json", "t/", "", "struct<__sluice_file:string,__sluice_file_1:string>");
	part_init(&p[0], "", 1, SL_CAT_PART_ACTIVE);
	s = ddl_ok(&t, p, 1, "duckdb", "/l");
	assert_has(s, "filename = '__sluice_file_2');\n");
	free(s);
}

static void test_control_characters(void **state)
{
	(void)state;
	struct sl_cat_table t;
	static const char *const dialects[] = {"athena", "trino", "spark", "duckdb"};
	/* U+0001, U+007F and U+0085 (a C1 control) */
	static const char *const schemas[] = {
		"struct<ok:int64,\"a\\u0001b\":int64>",
		"struct<ok:int64,s:struct<\"del\\u007f\":int64>>",
		"struct<ok:int64,l:list<struct<\"nel\\u0085\":int64>>>",
	};
	static const char *const shown[] = {"\"/a\\u0001b\"", "\"/s/del\\u007f\"",
					    "\"/l/*/nel\\u0085\""};
	for (size_t i = 0; i < 3; i++) {
		for (size_t k = 0; k < 4; k++) {
			table_init(&t, "json", "t/", "", schemas[i]);
			ddl_refused(&t, NULL, 0, dialects[k], "s3://b/raw", SL_EINVAL, "control",
				    shown[i], NULL);
		}
	}
	table_init(&t, "json", "t/", "", "struct<a:int64>");
	ddl_refused(&t, NULL, 0, "duckdb", "/la\nke", SL_EINVAL, "location", NULL);
}

/* ---- names the engines take for one --------------------------------------------------------- */

static void test_case_collisions(void **state)
{
	(void)state;
	struct sl_cat_table t;
	static const char *const dialects[] = {"athena", "trino", "spark", "duckdb"};
	for (size_t k = 0; k < 4; k++) {
		table_init(&t, "json", "t/", "", "struct<Name:string,id:int64,name:string>");
		ddl_refused(&t, NULL, 0, dialects[k], "s3://b/raw", SL_EINVAL, "\"/Name\"",
			    "\"/name\"", "case", NULL);
		table_init(&t, "json", "t/", "", "struct<s:struct<ab:int64,AB:int64>>");
		ddl_refused(&t, NULL, 0, dialects[k], "s3://b/raw", SL_EINVAL, "\"/s/ab\"",
			    "\"/s/AB\"", NULL);
		/* a column beside a partition key of the same name */
		table_init(&t, "json", "t/", "dt", "struct<DT:string,x:int64>");
		ddl_refused(&t, NULL, 0, dialects[k], "s3://b/raw", SL_EINVAL, "\"/DT\"",
			    "partition key \"dt\"", NULL);
		table_init(&t, "json", "t/", "dt", "struct<dt:string>");
		ddl_refused(&t, NULL, 0, dialects[k], "s3://b/raw", SL_EINVAL, "same name", NULL);
		/* in different structs, the same name is fine */
		table_init(&t, "json", "t/", "", "struct<a:struct<x:int64>,b:struct<X:int64>>");
		free(ddl_ok(&t, NULL, 0, dialects[k], "s3://b/raw"));
	}
	/* Latin-1, Greek, Cyrillic capitals: Java folds them, DuckDB (ASCII only) does not */
	static const char *const pairs[] = {
		"struct<\"Ä\":int64,\"ä\":int64>", "struct<\"Σ\":int64,\"σ\":int64>",
		"struct<\"Ж\":int64,\"ж\":int64>", "struct<\"Ё\":int64,\"ё\":int64>"};
	for (size_t i = 0; i < 4; i++) {
		table_init(&t, "json", "t/", "", pairs[i]);
		ddl_refused(&t, NULL, 0, "trino", "s3://b/raw", SL_EINVAL, "case", NULL);
		ddl_refused(&t, NULL, 0, "spark", "s3://b/raw", SL_EINVAL, "case", NULL);
		free(ddl_ok(&t, NULL, 0, "duckdb", "/l"));
	}
	/* U+00D7 (multiplication sign) and U+00F7 are not a letter pair */
	table_init(&t, "json", "t/", "", "struct<\"×\":int64,\"÷\":int64>");
	free(ddl_ok(&t, NULL, 0, "trino", "/l"));
}

/* 100,000 fields: collisions are found by sorting, not pair by pair. */
static void test_wide_struct(void **state)
{
	(void)state;
	enum { N = 100000 };
	struct sl_type *row = sl_type_new(SL_T_STRUCT, false);
	assert_non_null(row);
	char name[32];
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "c%d", i);
		assert_int_equal(sl_type_add_field(row, name, sl_type_new(SL_T_INT, true), NULL), 0);
	}
	struct sl_cat_table t;
	struct sl_cat_partition p[1];
	table_init(&t, "json", "t/", "", NULL);
	part_init(&p[0], "", 1, SL_CAT_PART_ACTIVE);
	struct sl_buf b;
	struct sl_err err = {0};
	sl_buf_init(&b, 0);
	assert_int_equal(sl_cat_ddl(&t, row, p, 1, "trino", "/l", &b, &err), 0);
	assert_non_null(strstr(b.data, "\"c99999\" bigint\n"));
	sl_buf_release(&b);
	/* one collision at the far end */
	assert_int_equal(sl_type_add_field(row, "C77777", sl_type_new(SL_T_INT, true), NULL), 0);
	sl_buf_init(&b, 0);
	assert_int_equal(sl_cat_ddl(&t, row, p, 1, "duckdb", "/l", &b, &err), SL_EINVAL);
	assert_non_null(strstr(err.msg, "\"/c77777\""));
	assert_non_null(strstr(err.msg, "\"/C77777\""));
	sl_buf_release(&b);
	sl_type_free(row);
}

/* A hand-made tree deeper than any parser makes: refused, not a stack overflow. */
static void test_deep_tree(void **state)
{
	(void)state;
	struct sl_type *t = sl_type_new(SL_T_INT, true);
	for (int i = 0; i < 5000; i++) {
		struct sl_type *l = sl_type_new(SL_T_LIST, true);
		assert_non_null(l);
		l->elem = t;
		t = l;
	}
	struct sl_type *row = sl_type_new(SL_T_STRUCT, false);
	assert_int_equal(sl_type_add_field(row, "deep", t, NULL), 0);
	struct sl_cat_table tab;
	table_init(&tab, "json", "t/", "", NULL);
	struct sl_buf b;
	struct sl_err err = {0};
	sl_buf_init(&b, 0);
	assert_int_equal(sl_cat_ddl(&tab, row, NULL, 0, "spark", "/l", &b, &err), SL_ELIMIT);
	assert_non_null(strstr(err.msg, "deeper"));
	sl_buf_release(&b);
	sl_type_free(row);
}

/* ---- other refusals ----------------------------------------------------------------------- */

static void test_refusals(void **state)
{
	(void)state;
	struct sl_cat_table t;
	struct sl_cat_partition p[1];
	part_init(&p[0], "", 1, SL_CAT_PART_ACTIVE);
	table_init(&t, "json", "t/", "", "struct<a:int64>");
	ddl_refused(&t, NULL, 0, "hive", "/l", SL_EINVAL, "unknown dialect 'hive'", NULL);
	ddl_refused(&t, NULL, 0, NULL, "/l", SL_EINVAL, "unknown dialect", NULL);
	ddl_refused(&t, NULL, 0, "athena", "/lake/raw", SL_EINVAL, "s3://", "/lake/raw", NULL);
	ddl_refused(&t, NULL, 0, "duckdb", "", SL_EINVAL, "location", NULL);
	ddl_refused(&t, p, 1, "duckdb", "/a\\b", SL_EINVAL, "backslash", NULL);
	/* (a view without files reads no folder) */
	free(ddl_ok(&t, NULL, 0, "duckdb", "/a\\b"));
	/* backslashes are fine where no glob is made */
	free(ddl_ok(&t, NULL, 0, "spark", "/a\\b"));
	table_init(&t, "csv", "t/", "", "struct<a:int64>");
	ddl_refused(&t, NULL, 0, "spark", "/l", SL_EINVAL, "format 'csv'", NULL);
	table_init(&t, "json", "t", "", "struct<a:int64>");
	ddl_refused(&t, NULL, 0, "spark", "/l", SL_EINVAL, "not a folder", NULL);
	table_init(&t, "json", "t/", "", "struct<>");
	ddl_refused(&t, NULL, 0, "duckdb", "/l", SL_EINVAL, "no columns", NULL);
	table_init(&t, "json", "t/", "", "int64");
	ddl_refused(&t, NULL, 0, "duckdb", "/l", SL_EINVAL, "not a struct", NULL);
	table_init(&t, "json", "t/", "", "struct<a:int64");
	ddl_refused(&t, NULL, 0, "duckdb", "/l", SL_EINVAL, "raw.orders: its schema", NULL);
	table_init(&t, "json", "t/", "", "struct<m:map<struct<a:int64>,int64>>");
	ddl_refused(&t, NULL, 0, "athena", "s3://b/r", SL_EINVAL, "\"/m\"", "keys", NULL);
	free(ddl_ok(&t, NULL, 0, "duckdb", "/l"));
	table_init(&t, "json", "t/", "a,,b", "struct<x:int64>");
	ddl_refused(&t, NULL, 0, "duckdb", "/l", SL_EINVAL, "empty name", NULL);
}

static void test_output_cap(void **state)
{
	(void)state;
	struct sl_cat_table t;
	struct sl_cat_partition p[200];
	table_init(&t, "json", "t/", "dt", "struct<a:int64>");
	for (int i = 0; i < 200; i++) {
		char part[32];
		snprintf(part, sizeof(part), "dt=%d", i);
		part_init(&p[i], part, 1, SL_CAT_PART_ACTIVE);
	}
	struct sl_buf b;
	struct sl_err err = {0};
	sl_buf_init(&b, 4096);
	assert_int_equal(sl_cat_ddl(&t, NULL, p, 200, "athena", "s3://b/r", &b, &err), SL_ELIMIT);
	assert_non_null(strstr(err.msg, "does not fit"));
	assert_true(b.len <= 4096);
	sl_buf_release(&b);
	sl_buf_init(&b, 0);
	assert_int_equal(sl_cat_ddl(&t, NULL, p, 200, "athena", "s3://b/r", &b, &err), 0);
	/* one statement per partition */
	size_t n = 0;
	for (const char *s = b.data; (s = strstr(s, "ADD IF NOT EXISTS PARTITION")); s++)
		n++;
	assert_int_equal(n, 200);
	sl_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_athena_every_kind),
		cmocka_unit_test(test_spark_every_kind),
		cmocka_unit_test(test_trino_every_kind),
		cmocka_unit_test(test_duckdb_every_kind),
		cmocka_unit_test(test_nesting),
		cmocka_unit_test(test_duckdb_binary_nested),
		cmocka_unit_test(test_hive_partitions),
		cmocka_unit_test(test_numbered_partitions),
		cmocka_unit_test(test_partition_refused),
		cmocka_unit_test(test_duckdb_empty_table),
		cmocka_unit_test(test_hostile_names_quoted),
		cmocka_unit_test(test_control_characters),
		cmocka_unit_test(test_case_collisions),
		cmocka_unit_test(test_wide_struct),
		cmocka_unit_test(test_deep_tree),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_output_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
