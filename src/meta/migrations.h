/* migrations.h - numbered schema migrations of the SQLite metadata store. */
#ifndef SL_MIGRATIONS_H
#define SL_MIGRATIONS_H

struct sl_migration {
	int version; /* 1, 2, 3, ... in order, never renumbered */
	const char *name;
	const char *sql;
};

extern const struct sl_migration sl_migrations[];
extern const int sl_migrations_count;

#endif
