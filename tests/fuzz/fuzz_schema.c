/*
 * fuzz_schema.c - libFuzzer harness for the schema compiler and validator.
 *
 * Input: SCHEMA NUL RECORDS (the part after the first NUL byte is NDJSON records; with
 * no NUL, a few fixed records). Then:
 *   1. the schema compiles, or is refused with a message (never a crash, leak or hang);
 *   2. each record that parses is validated twice: silently (no error list, the fast
 *      path) and with an error list (the reporting path); the verdicts must agree, and an
 *      invalid verdict must come with at least one reason;
 *   3. the input is also validated as a record against a fixed schema that uses most
 *      keywords, with the same agreement check.
 * A tight step budget keeps schema bombs quick. Any disagreement aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/json.h"
#include "schema/schema.h"

static const char rich_schema[] =
	"{\"$defs\":{\"n\":{\"type\":[\"number\",\"null\"],\"minimum\":-5,\"multipleOf\":0.5},"
	"\"t\":{\"type\":\"object\",\"properties\":{\"k\":{\"$ref\":\"#/$defs/t\"}},"
	"\"unevaluatedProperties\":{\"type\":\"string\"}}},"
	"\"type\":[\"object\",\"array\",\"string\",\"number\"],"
	"\"properties\":{\"a\":{\"enum\":[\"x\",\"y\",\"z\",\"w\",1,null]},\"b\":{\"$ref\":\"#/$defs/n\"},"
	"\"c\":{\"format\":\"date-time\"},\"d\":{\"pattern\":\"^[a-c]+$\"},\"e\":{\"$ref\":\"#/$defs/t\"}},"
	"\"patternProperties\":{\"^p\":{\"maxLength\":3}},\"required\":[\"a\"],"
	"\"dependentRequired\":{\"b\":[\"c\"]},\"propertyNames\":{\"minLength\":1},"
	"\"prefixItems\":[{\"type\":\"integer\"}],\"items\":{\"uniqueItems\":true},"
	"\"contains\":{\"const\":3},\"maxContains\":2,"
	"\"allOf\":[{\"if\":{\"properties\":{\"a\":{\"const\":\"x\"}}},\"then\":{\"minProperties\":2}},"
	"{\"if\":{\"properties\":{\"a\":{\"const\":\"y\"}}},\"then\":{\"maxProperties\":3}}],"
	"\"oneOf\":[{\"type\":\"object\"},{\"type\":\"array\"},{\"minLength\":2},{\"maximum\":9}],"
	"\"anyOf\":[{\"not\":{\"type\":\"string\"}},{\"format\":\"uuid\"}]}";

static const char *const fixed_records[] = {"{}", "[1,2,3]", "\"abc\"", "{\"a\":\"x\",\"b\":1}",
					    "[[1],[1,1]]", "12.5", "null"};

static struct sl_json_parser *parser;
static struct sl_schema *rich;

static void check(const struct sl_schema *s, const char *rec, size_t len)
{
	struct sl_json_doc doc;
	struct sl_json_error je;
	if (sl_json_parse(parser, rec, len, &doc, &je) != 0)
		return;
	struct sl_validator *v = sl_validator_new(s);
	if (!v)
		return;
	struct sl_schema_error errs[8];
	size_t n = 0;
	int silent = sl_validate(v, &doc, NULL, 0, NULL);
	int loud = sl_validate(v, &doc, errs, 8, &n);
	if (silent != loud) {
		fprintf(stderr, "verdicts differ: silent %d, reporting %d\n", silent, loud);
		abort();
	}
	if (loud == 0 && n == 0) {
		fprintf(stderr, "invalid without a reason\n");
		abort();
	}
	for (size_t k = 0; k < n; k++)
		if (!memchr(errs[k].msg, '\0', sizeof(errs[k].msg)) ||
		    !memchr(errs[k].pointer, '\0', sizeof(errs[k].pointer)))
			abort();
	sl_validator_free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sl_err err;
	if (!parser) {
		parser = sl_json_parser_new(NULL);
		struct sl_schema_opts o = {.max_steps = 20000};
		if (!parser || sl_schema_compile(rich_schema, strlen(rich_schema), &o, &rich, &err)) {
			fprintf(stderr, "setup: %s\n", err.msg);
			abort();
		}
	}
	const char *text = (const char *)data;
	const char *nul = memchr(text, '\0', size);
	size_t schema_len = nul ? (size_t)(nul - text) : size;
	struct sl_schema_opts opts = {.max_steps = 20000, .max_nodes = 2000};
	struct sl_schema *s = NULL;
	if (sl_schema_compile(text, schema_len, &opts, &s, &err) == 0) {
		if (nul) {
			const char *p = nul + 1, *end = text + size;
			while (p < end) {
				const char *nl = memchr(p, '\n', (size_t)(end - p));
				size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
				check(s, p, n);
				p += n + 1;
			}
		} else {
			for (size_t k = 0; k < sizeof(fixed_records) / sizeof(fixed_records[0]); k++)
				check(s, fixed_records[k], strlen(fixed_records[k]));
		}
		sl_schema_free(s);
	} else if (!err.msg[0]) {
		fprintf(stderr, "refused without a message\n");
		abort();
	}
	check(rich, text, schema_len);
	return 0;
}
