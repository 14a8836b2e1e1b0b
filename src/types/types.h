/*
 * types.h - the one type system of sluice. The catalog stores it, the crawler infers it,
 * a JSON Schema maps onto it, and the Parquet writer and reader map it to and from
 * Parquet's physical and logical types. docs/types.md lists every mapping.
 *
 * A type is a tree of struct sl_type. Every node owns its children; sl_type_free frees
 * the whole tree. Names of struct fields are UTF-8 and unique within their struct.
 *
 * Values travel between stages as JSON (the pipeline's records are JSON); the JSON form of
 * each kind is fixed here so that the shredder (JSON -> Parquet) and the assembler
 * (Parquet -> JSON) agree:
 *   boolean            true / false
 *   int8..int64        a JSON integer (uint64 beyond int64 also as an integer)
 *   float, double      a JSON number; NaN and +-Infinity (only from foreign files) are
 *                      written as the strings "NaN", "Infinity", "-Infinity"
 *   decimal(p,s)       a JSON number (exact: "12.30" for decimal(4,2)); on input a number
 *                      or a numeric string, refused when it needs more than s decimals or
 *                      p digits
 *   string, enum       a JSON string
 *   binary             a JSON string holding base64 (RFC 4648, with padding)
 *   date               "YYYY-MM-DD"
 *   time               "HH:MM:SS[.fraction]" (ms: 3 digits, us: 6 digits on output)
 *   timestamp          RFC 3339; output always UTC with "Z" and 3 or 6 fraction digits
 *   uuid               "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (output lower case)
 *   json               any JSON value, stored as its text
 *   struct             a JSON object; absent members are null
 *   list               a JSON array
 *   map                a JSON object (keys are strings; a map with non-string keys reads
 *                      back as an array of {"key":..,"value":..} objects)
 */
#ifndef SL_TYPES_H
#define SL_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

enum sl_type_kind {
	SL_T_BOOL = 1,
	SL_T_INT,       /* bits 8/16/32/64, is_unsigned */
	SL_T_FLOAT,     /* 32-bit IEEE 754 */
	SL_T_DOUBLE,    /* 64-bit IEEE 754 */
	SL_T_DECIMAL,   /* precision 1..38, scale 0..precision */
	SL_T_STRING,    /* UTF-8; is_enum: Parquet ENUM */
	SL_T_BINARY,    /* bytes; fixed_len > 0: exactly that many bytes */
	SL_T_DATE,      /* days since 1970-01-01 */
	SL_T_TIME,      /* time of day, unit */
	SL_T_TIMESTAMP, /* instant since the epoch, UTC, unit */
	SL_T_UUID,      /* 16 bytes */
	SL_T_JSON,      /* a JSON value kept as text */
	SL_T_STRUCT,    /* fields */
	SL_T_LIST,      /* elem */
	SL_T_MAP,       /* key (never nullable), elem (the value) */
};

enum sl_time_unit { SL_TU_MILLIS = 1, SL_TU_MICROS, SL_TU_NANOS /* read only */ };

struct sl_type;

struct sl_field {
	char *name; /* owned, NUL-terminated */
	struct sl_type *type; /* owned */
};

struct sl_type {
	enum sl_type_kind kind;
	bool nullable;
	/* SL_T_INT */
	uint8_t bits; /* 8, 16, 32, 64 */
	bool is_unsigned;
	/* SL_T_DECIMAL */
	uint8_t precision, scale;
	/* SL_T_TIME, SL_T_TIMESTAMP */
	uint8_t unit; /* enum sl_time_unit */
	/* SL_T_STRING */
	bool is_enum;
	/* SL_T_BINARY */
	uint32_t fixed_len; /* 0 = variable length */
	/* SL_T_STRUCT */
	struct sl_field *fields; /* owned array */
	size_t n_fields;
	/* SL_T_LIST (elem), SL_T_MAP (key, elem) */
	struct sl_type *elem;
	struct sl_type *key;
	/* private to types.c: a name index of wide structs, so that adding and finding a
	 * field stays O(1) however many fields a (possibly hostile) schema has. Fields are
	 * only ever appended with sl_type_add_field, and names never changed in place. */
	void *index;
};

/* Types from text, JSON Schema or Parquet nest at most this deep; more is an error. */
#define SL_TYPE_MAX_DEPTH 64

/* Constructors return NULL only when out of memory. Defaults: int64 (signed),
 * decimal(38,0), time and timestamp in microseconds, variable-length binary. */
struct sl_type *sl_type_new(enum sl_type_kind kind, bool nullable);
/* Appends a field to a struct; takes type (freed on failure). SL_EINVAL on a duplicate
 * or empty name, or one that is not valid UTF-8. */
int sl_type_add_field(struct sl_type *st, const char *name, struct sl_type *type,
		      struct sl_err *err);
struct sl_type *sl_type_clone(const struct sl_type *t);
void sl_type_free(struct sl_type *t);
bool sl_type_equal(const struct sl_type *a, const struct sl_type *b);
/* The field named name (exact match), or NULL. */
const struct sl_field *sl_type_field(const struct sl_type *st, const char *name);

/* Text form, used by the catalog and the CLI, one line, lossless:
 *   struct<id:int64 not null,tags:list<string>,ts:timestamp(us),price:decimal(10,2),
 *          attrs:map<string,json>,kind:enum,raw:binary(16),n:uint16>
 * Names that are not [A-Za-z_][A-Za-z0-9_]* are written in double quotes with JSON
 * escapes. "not null" marks a non-nullable type (nullable is the default). */
int sl_type_format(const struct sl_type *t, struct sl_buf *out);
/* Parses the text form (whitespace between tokens is allowed; map keys are never
 * nullable, so "not null" on a key is allowed but not needed); errors give the byte
 * offset: SL_EINVAL, or SL_ELIMIT when nested deeper than SL_TYPE_MAX_DEPTH. */
struct sl_type *sl_type_parse(const char *text, size_t len, struct sl_err *err);

/* JSON form (for --json output and the catalog's API):
 *   {"type":"struct","nullable":false,"fields":[{"name":"id","type":{"type":"int64"}}]} */
int sl_type_to_json(const struct sl_type *t, struct sl_buf *out);

/* Maps a compiled-free JSON Schema document (draft 2020-12 or draft-07, already parsed
 * as a tree) to a type; local "$ref"s ("#/$defs/x", "#/definitions/x") are followed.
 * The rules (docs/types.md):
 *   type boolean/integer/number/string/object/array, with format date-time -> timestamp(us),
 *   date -> date, time -> time(us), uuid -> uuid; "enum" of strings -> enum string;
 *   integer with minimum/maximum that fit -> the smallest of int32/int64 (int64 default);
 *   number -> double; "type":["x","null"], oneOf/anyOf [x, {"type":"null"}] -> nullable x;
 *   object with properties -> struct (a property is non-nullable only when required and
 *   its schema does not admit null); object with only additionalProperties/
 *   patternProperties of one schema -> map<string, that>; object without properties ->
 *   json; array with items -> list; anything else (no type, mixed types, prefixItems) ->
 *   json. Properties added by allOf/if/then/else, oneOf and anyOf branches of an object
 *   are merged into the struct as nullable fields; a field whose branches disagree on
 *   the type becomes json. The root must map to a struct. */
struct sl_json_node;
struct sl_type *sl_type_from_jsonschema(const struct sl_json_node *schema,
					struct sl_err *err);

/* Short names for messages: "int64", "timestamp(us)", "struct", ... */
const char *sl_type_kind_name(const struct sl_type *t, char *buf, size_t cap);

#endif
