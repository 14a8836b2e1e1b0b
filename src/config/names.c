/*
 * names.c - the catalog's table names for config.c (config_int.h says why this is a file
 * of its own).
 */
#include "config/config_int.h"
#include "catalog/catalog.h"

int sl_config_table_name(const char *family, char *out, size_t cap)
{
	return sl_cat_table_name(&family, 1, out, cap, NULL);
}
