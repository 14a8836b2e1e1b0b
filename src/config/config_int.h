/*
 * config_int.h - what config.c takes from other modules through a file of its own.
 *
 * config.c cannot include catalog.h: the value kinds of its key tables (SL_T_INT,
 * SL_T_BOOL, ...) share their names with the type kinds of types.h, which catalog.h
 * includes. names.c includes catalog.h instead and passes on what config.c needs.
 */
#ifndef SL_CONFIG_INT_H
#define SL_CONFIG_INT_H

#include <stddef.h>

/* The catalog's name for the table of a family (catalog.h, sl_cat_table_name: Web-Logs
 * -> web_logs): what a job writes when it names no target. 0, or SL_EINVAL when the name
 * would not fit in cap bytes. */
int sl_config_table_name(const char *family, char *out, size_t cap);

#endif
