/*
 * internal.h - the compiled form of a JSON Schema, shared by compile.c (which builds it),
 * validate.c (which runs it) and value.c (JSON value equality for enum, const and
 * uniqueItems).
 *
 * A compiled schema is a graph of struct sl_snode, one per subschema reached from the
 * root; $ref edges point at other nodes, so recursive schemas are cyclic graphs. All
 * nodes and their arrays live in one arena owned by struct sl_schema, freed at once.
 */
#ifndef SL_SCHEMA_INTERNAL_H
#define SL_SCHEMA_INTERNAL_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <string.h>

#include "schema/format.h"
#include "schema/value.h"
#include "schema/schema.h"

/* instance types, as bits of sl_snode.types */
enum {
	T_NULL = 1 << 0,
	T_BOOLEAN = 1 << 1,
	T_OBJECT = 1 << 2,
	T_ARRAY = 1 << 3,
	T_NUMBER = 1 << 4,
	T_STRING = 1 << 5,
	T_INTEGER = 1 << 6,
};

/* which keywords a node has (sl_snode.has) */
enum {
	K_TYPE = 1u << 0,
	K_MINIMUM = 1u << 1,
	K_MAXIMUM = 1u << 2,
	K_XMINIMUM = 1u << 3,
	K_XMAXIMUM = 1u << 4,
	K_MULTIPLE = 1u << 5,
	K_MINLEN = 1u << 6,
	K_MAXLEN = 1u << 7,
	K_MINITEMS = 1u << 8,
	K_MAXITEMS = 1u << 9,
	K_UNIQUE = 1u << 10,
	K_MINPROPS = 1u << 11,
	K_MAXPROPS = 1u << 12,
	K_ENUM = 1u << 13,
	K_CONST = 1u << 14,
	K_CONTAINS = 1u << 15,
	K_UNEVAL_PROPS = 1u << 16,
	K_UNEVAL_ITEMS = 1u << 17,
	K_OBJECT_KW = 1u << 18, /* some keyword that applies to objects only */
	K_ARRAY_KW = 1u << 19,  /* ... to arrays only */
	K_STRING_KW = 1u << 20, /* ... to strings only */
	K_NUMBER_KW = 1u << 21, /* ... to numbers only */
	K_INPLACE = 1u << 22,   /* some in-place applicator (allOf, $ref, if, ...) */
};

struct sl_snode;

enum {
	KIND_GENERIC, /* node_valid */
	KIND_TRUE,
	KIND_FALSE,
	KIND_LEAF,   /* sl_snode.leaf, in general */
	KIND_TYPE,   /* a leaf with only "type" */
	KIND_STRENUM, /* a leaf with only an all-string enum (and "type": "string") */
	KIND_STRLEN, /* a leaf: "type": "string" with minLength / maxLength */
	KIND_INTRANGE, /* a leaf: integer or number, integral minimum / maximum (int_lo..hi) */
	KIND_OBJECT, /* type, properties, required (<= 64), additionalProperties, min/max,
		      * and a tagged-union allOf */
	KIND_ARRAY,  /* type, items, minItems, maxItems */
	KIND_REF,    /* only $ref */
	KIND_ONEOF,  /* only oneOf */
	KIND_ANYOF,  /* only anyOf */
};

/* A number bound: as a double, and exactly when the schema wrote an integer. */
struct num {
	double d;
	int64_t i;
	bool is_int;
};

/* A member name the node cares about: from properties and/or required. */
struct prop {
	const char *name;
	uint32_t len;
	uint32_t hash;
	struct sl_snode *schema; /* properties[name]; NULL if only required */
	int32_t req_bit;         /* bit in the required mask, -1 if not required */
	uint64_t req_mask;       /* 1 << req_bit (0 if not required or beyond 64) */
	const char *path;        /* schema path of properties/name, for errors */
};

struct pattern {
	pcre2_code *re;
	const char *source;
	struct sl_snode *schema; /* patternProperties; NULL for "pattern" */
};

/* A hash table of strings (enum values, tagged-union constants): the hash, length and
 * bytes sit in the slot, so a lookup touches one cache line. */
struct str_slot {
	uint32_t hash;
	uint32_t len;
	const char *s;
	uint32_t idx; /* index + 1 in the value list; 0: empty slot */
};

/* allOf: [{"if": {"properties": {K: {"const": C1}}}, "then": T1}, ...] - the usual way
 * to write a tagged union - compiled to a switch on member K (see validate.c). */
struct disc {
	const char *key;
	uint32_t len;
	uint32_t n;
	struct sl_json_node **consts;
	struct sl_snode **thens;
	struct str_slot *table; /* every constant a string: their hash table */
	uint32_t mask;
};

struct dep {
	const char *name;
	uint32_t len;
	const char **required; /* dependentRequired: names */
	uint32_t *required_lens;
	uint32_t n_required;
	struct sl_snode *schema; /* dependentSchemas */
};

/* A schema resource (the root, or a subschema with $id): the unit of $dynamicRef's
 * dynamic scope. */
struct resource {
	const char *uri;
	struct dyn_anchor {
		const char *name;
		struct sl_snode *node;
	} *dyn;
	size_t n_dyn;
};

struct sl_snode {
	int8_t boolean;  /* 1: the schema true, 0: false, -1: an object schema */
	uint32_t has;    /* K_* */
	uint16_t types;  /* T_* (K_TYPE) */
	const char *path; /* JSON pointer of this subschema in its document (for errors) */
	const struct resource *resource;

	struct num minimum, maximum, xminimum, xmaximum, multiple;
	int64_t min_len, max_len, min_items, max_items, min_props, max_props;
	int64_t min_contains, max_contains; /* max -1: none */
	struct pattern *pattern;
	sl_format_fn *format;
	const char *format_name;

	/* objects */
	struct prop *props;
	uint32_t n_props;
	uint32_t prop_mask; /* hash table size - 1; 0 with no table */
	int32_t *prop_table; /* index into props, -1 empty */
	uint32_t n_required; /* required names: props with req_bit >= 0 */
	struct pattern *pattern_props;
	uint32_t n_pattern_props;
	struct sl_snode *additional;
	struct sl_snode *property_names;
	struct dep *deps;
	uint32_t n_deps;
	struct sl_snode *uneval_props;

	/* arrays */
	struct sl_snode **prefix;
	uint32_t n_prefix;
	struct sl_snode *items; /* elements after the prefix */
	struct sl_snode *contains;
	struct sl_snode *uneval_items;

	/* values */
	struct sl_json_node **enum_values;
	uint32_t n_enum;
	struct str_slot *enum_table; /* all-string enums: their hash table */
	uint32_t enum_mask;
	struct sl_json_node *const_value;

	/* in place */
	struct sl_snode **all_of, **any_of, **one_of;
	uint32_t n_all_of, n_any_of, n_one_of;
	struct sl_snode *not_, *if_, *then_, *else_;
	struct sl_snode *ref;
	struct sl_snode *dyn_ref;      /* static target of $dynamicRef */
	const char *dyn_ref_anchor;    /* its anchor name, when dynamic resolution applies */

	bool lookup; /* object keywords are only properties/required: find those members */
	bool leaf;   /* only type, number, string, enum and const keywords */
	uint8_t kind; /* KIND_*: how the silent fast path evaluates it (validate.c) */
	uint64_t req_want; /* the required-property bits, when n_required <= 64 */
	int64_t int_lo, int_hi; /* KIND_INTRANGE: the bounds for an INT token */
	uint32_t id; /* 0 .. sl_schema.n_nodes - 1 */
	uint32_t order_slot; /* nodes with properties: its member-order table (validate.c) */
	struct disc *disc;

	/* compile-time bookkeeping */
	uint8_t visit; /* cycle check */
};

struct sl_schema {
	enum sl_schema_draft draft;
	struct sl_snode *root;
	uint64_t max_steps;
	bool uses_dynamic; /* some $dynamicRef resolves dynamically: track the scope */
	uint32_t n_nodes;
	uint32_t n_order_slots;
	bool some_not_jit; /* a pattern PCRE2 could not JIT-compile */
	size_t max_pattern_groups;
	/* arena: every allocation of the compiled schema */
	struct arena_block *arena;
	/* parsed documents (root and remote), owned */
	struct sl_json_node **docs;
	size_t n_docs;
	pcre2_code **codes;
	size_t n_codes, cap_codes;
};

/* value.c: the same equality on tapes (sl_sv_tree_equal is in value.h) */
/* the tape value at tok[i] against a tree value */
bool sl_sv_tape_tree_equal(const struct sl_json_tok *tok, const char *text, uint32_t i,
			   const struct sl_json_node *b);
/* two tape values */
bool sl_sv_tape_equal(const struct sl_json_tok *tok, const char *text, uint32_t a,
		      uint32_t b);
uint64_t sl_sv_tape_hash(const struct sl_json_tok *tok, const char *text, uint32_t i);
/* index after the value at tok[i] */
static inline uint32_t sl_sv_next(const struct sl_json_tok *tok, uint32_t i)
{
	uint8_t t = tok[i].type;
	return (t == SL_JSON_OBJECT || t == SL_JSON_ARRAY) ? tok[i].v.end + 1 : i + 1;
}

/* Hash of a member name or enum string (compile and validate must agree): its length
 * and its first and last 8 bytes, so it costs the same for any length. Lookups compare
 * the bytes anyway. */
static inline uint32_t sl_sv_name_hash(const char *s, uint32_t len)
{
	uint64_t a = 0, b = 0;
	if (len >= 8) {
		memcpy(&a, s, 8);
		memcpy(&b, s + len - 8, 8);
	} else if (len >= 4) {
		uint32_t x, y;
		memcpy(&x, s, 4);
		memcpy(&y, s + len - 4, 4);
		a = x;
		b = y;
	} else if (len) {
		a = (uint64_t)(uint8_t)s[0] | (uint64_t)(uint8_t)s[len / 2] << 8 |
		    (uint64_t)(uint8_t)s[len - 1] << 16;
	}
	uint64_t h = a * 0x9E3779B97F4A7C15ULL ^ (b + len) * 0xC2B2AE3D27D4EB4FULL;
	return (uint32_t)(h >> 29) ^ (uint32_t)h;
}

#endif
