/*
 * value.h - equality of JSON values as JSON Schema defines it (value.c): numbers by
 * value (1 equals 1.0), objects regardless of member order, strings byte for byte. Used
 * by the validator (enum, const, uniqueItems) and the registry (compatibility, diff).
 */
#ifndef SL_SCHEMA_VALUE_H
#define SL_SCHEMA_VALUE_H

#include <stdbool.h>

#include "json/json.h"

bool sl_sv_tree_equal(const struct sl_json_node *a, const struct sl_json_node *b);

#endif
