/*
 * migrations.c - the SQLite metadata schema, as numbered migrations.
 *
 * A migration is never edited once released: to change the schema, append one. The
 * store applies, in one transaction each, every migration above PRAGMA user_version, and
 * refuses a database whose version is newer than this list (written by a newer sluice).
 */
#include "meta/migrations.h"

const struct sl_migration sl_migrations[] = {
	{1, "objects and queues",
	 "CREATE TABLE schema_migrations(\n"
	 "  version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_ms INTEGER NOT NULL);\n"
	 /* The object index. seq is the landing sequence: AUTOINCREMENT never reuses a
	  * number, so an overwrite (delete + insert) gets a new, higher one. */
	 "CREATE TABLE objects(\n"
	 "  seq INTEGER PRIMARY KEY AUTOINCREMENT,\n"
	 "  zone TEXT NOT NULL, key TEXT NOT NULL,\n"
	 "  size INTEGER NOT NULL, checksum TEXT NOT NULL, content_type TEXT NOT NULL,\n"
	 "  created_ms INTEGER NOT NULL,\n"
	 "  fp_inode INTEGER NOT NULL, fp_mtime_ns INTEGER NOT NULL,\n"
	 "  state TEXT NOT NULL DEFAULT 'present',\n"
	 "  UNIQUE(zone, key));\n"
	 "CREATE TABLE queues(\n"
	 "  name TEXT PRIMARY KEY,\n"
	 "  visibility_timeout_ms INTEGER NOT NULL,\n"
	 "  max_receive_count INTEGER NOT NULL,\n"
	 "  retention_ms INTEGER NOT NULL,\n"
	 "  dlq TEXT REFERENCES queues(name));\n"
	 "CREATE TABLE messages(\n"
	 "  id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
	 "  queue TEXT NOT NULL REFERENCES queues(name),\n"
	 "  body TEXT NOT NULL,\n"
	 "  sent_ms INTEGER NOT NULL,\n"
	 "  visible_at_ms INTEGER NOT NULL,\n"
	 "  receive_count INTEGER NOT NULL DEFAULT 0,\n"
	 "  first_receive_ms INTEGER NOT NULL DEFAULT 0,\n"
	 "  receipt TEXT);\n"
	 "CREATE INDEX messages_ready ON messages(queue, visible_at_ms, id);\n"
	 "CREATE INDEX messages_age ON messages(queue, sent_ms);\n"},
};

const int sl_migrations_count = (int)(sizeof(sl_migrations) / sizeof(sl_migrations[0]));
