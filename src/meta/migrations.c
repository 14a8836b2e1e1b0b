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
	/* The schema registry (schema/registry.h). Self-contained: no other migration's
	 * tables are referenced. Versions are immutable rows: nothing ever updates or
	 * deletes registry_versions, and (subject, version) numbering is dense because a
	 * version is only inserted as max+1 inside a write transaction. */
	{2, "schema registry",
	 "CREATE TABLE registry_settings(\n"
	 "  id INTEGER PRIMARY KEY CHECK(id = 1),\n"
	 "  default_compat TEXT NOT NULL CHECK(default_compat IN ('NONE','DISABLED',"
	 "'BACKWARD','BACKWARD_ALL','FORWARD','FORWARD_ALL','FULL','FULL_ALL')));\n"
	 "INSERT INTO registry_settings(id, default_compat) VALUES(1, 'BACKWARD');\n"
	 "CREATE TABLE registry_subjects(\n"
	 "  name TEXT PRIMARY KEY,\n"
	 "  compat TEXT NOT NULL CHECK(compat IN ('NONE','DISABLED','BACKWARD',"
	 "'BACKWARD_ALL','FORWARD','FORWARD_ALL','FULL','FULL_ALL')),\n"
	 "  created_ms INTEGER NOT NULL);\n"
	 "CREATE TABLE registry_versions(\n"
	 "  subject TEXT NOT NULL REFERENCES registry_subjects(name),\n"
	 "  version INTEGER NOT NULL CHECK(version >= 1),\n"
	 "  fingerprint TEXT NOT NULL,\n"
	 "  text TEXT NOT NULL,\n"
	 "  created_ms INTEGER NOT NULL,\n"
	 "  PRIMARY KEY(subject, version),\n"
	 "  UNIQUE(subject, fingerprint));\n"
	 "CREATE TABLE registry_version_meta(\n"
	 "  subject TEXT NOT NULL, version INTEGER NOT NULL,\n"
	 "  key TEXT NOT NULL, value TEXT NOT NULL,\n"
	 "  PRIMARY KEY(subject, version, key),\n"
	 "  FOREIGN KEY(subject, version) REFERENCES registry_versions(subject, version));\n"},
	/* The validator's records. A run row says that a landing object version was
	 * handled; it is written in the transaction that adds its counters, so handling a
	 * message twice never counts twice (docs/validate.md). */
	{3, "validator: runs, counters, dead letters, replays",
	 "CREATE TABLE validate_runs(\n"
	 "  landing_seq INTEGER PRIMARY KEY,\n"
	 "  landing_key TEXT NOT NULL, subject TEXT NOT NULL,\n"
	 "  schema_version INTEGER NOT NULL, outcome TEXT NOT NULL,\n"
	 "  records_passed INTEGER NOT NULL, records_failed INTEGER NOT NULL,\n"
	 "  done_ms INTEGER NOT NULL);\n"
	 "CREATE TABLE validate_counters(\n"
	 "  subject TEXT PRIMARY KEY,\n"
	 "  objects_passed INTEGER NOT NULL DEFAULT 0,\n"
	 "  objects_split INTEGER NOT NULL DEFAULT 0,\n"
	 "  objects_failed INTEGER NOT NULL DEFAULT 0,\n"
	 "  records_passed INTEGER NOT NULL DEFAULT 0,\n"
	 "  records_failed INTEGER NOT NULL DEFAULT 0,\n"
	 "  last_ms INTEGER NOT NULL);\n"
	 "CREATE TABLE deadletters(\n"
	 "  key TEXT PRIMARY KEY, seq INTEGER NOT NULL,\n"
	 "  landing_key TEXT NOT NULL, landing_seq INTEGER NOT NULL,\n"
	 "  subject TEXT NOT NULL, schema_version INTEGER NOT NULL,\n"
	 "  outcome TEXT NOT NULL, reason TEXT NOT NULL,\n"
	 "  records INTEGER NOT NULL, bad_records INTEGER NOT NULL,\n"
	 "  created_ms INTEGER NOT NULL, report TEXT NOT NULL);\n"
	 "CREATE TABLE replays(\n"
	 "  id INTEGER PRIMARY KEY,\n"
	 "  landing_key TEXT NOT NULL, from_key TEXT NOT NULL,\n"
	 "  subject TEXT NOT NULL, schema_version INTEGER NOT NULL,\n"
	 "  reason TEXT NOT NULL, replayed_ms INTEGER NOT NULL);\n"},
	/* The catalog (catalog/catalog.h, docs/catalog.md). Counts are never incremented:
	 * a partition's are recounted from its active files whenever a commit touches it,
	 * and a file row is only replaced by a newer seq, so replaying a commit changes
	 * nothing. Drift rows outlive their table (a dropped table's history stays). */
	{4, "catalog",
	 "CREATE TABLE cat_databases(\n"
	 "  name TEXT PRIMARY KEY, zone TEXT NOT NULL, created_ms INTEGER NOT NULL);\n"
	 "INSERT INTO cat_databases(name, zone, created_ms) VALUES('raw', 'raw', 0), "
	 "('curated', 'curated', 0);\n"
	 "CREATE TABLE cat_tables(\n"
	 "  db TEXT NOT NULL REFERENCES cat_databases(name), name TEXT NOT NULL,\n"
	 "  zone TEXT NOT NULL, prefix TEXT NOT NULL, format TEXT NOT NULL,\n"
	 "  subject TEXT NOT NULL, subject_version INTEGER NOT NULL,\n"
	 "  version INTEGER NOT NULL CHECK(version >= 1),\n"
	 "  schema TEXT NOT NULL, partition_keys TEXT NOT NULL, properties TEXT,\n"
	 "  schema_policy TEXT NOT NULL, deletion_policy TEXT NOT NULL,\n"
	 "  created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL,\n"
	 "  PRIMARY KEY(db, name));\n"
	 "CREATE INDEX cat_tables_location ON cat_tables(zone, prefix);\n"
	 "CREATE TABLE cat_versions(\n"
	 "  db TEXT NOT NULL, tbl TEXT NOT NULL, version INTEGER NOT NULL,\n"
	 "  schema TEXT NOT NULL, partition_keys TEXT NOT NULL,\n"
	 "  subject_version INTEGER NOT NULL, change TEXT NOT NULL,\n"
	 "  created_ms INTEGER NOT NULL,\n"
	 "  PRIMARY KEY(db, tbl, version));\n"
	 "CREATE TABLE cat_partitions(\n"
	 "  db TEXT NOT NULL, tbl TEXT NOT NULL, part TEXT NOT NULL,\n"
	 "  objects INTEGER NOT NULL, records INTEGER NOT NULL, bytes INTEGER NOT NULL,\n"
	 "  schema_version INTEGER NOT NULL,\n"
	 "  state TEXT NOT NULL CHECK(state IN ('active','deprecated')),\n"
	 "  created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL,\n"
	 "  PRIMARY KEY(db, tbl, part));\n"
	 "CREATE TABLE cat_files(\n"
	 "  zone TEXT NOT NULL, key TEXT NOT NULL, seq INTEGER NOT NULL,\n"
	 "  db TEXT NOT NULL, tbl TEXT NOT NULL, part TEXT NOT NULL, format TEXT NOT NULL,\n"
	 "  records INTEGER NOT NULL, bytes INTEGER NOT NULL,\n"
	 "  schema_version INTEGER NOT NULL,\n"
	 "  state TEXT NOT NULL CHECK(state IN ('active','rejected','retired')),\n"
	 "  reason TEXT NOT NULL, stats TEXT, crawled_ms INTEGER NOT NULL,\n"
	 "  PRIMARY KEY(zone, key));\n"
	 /* recounting a partition; a partition's files by key */
	 "CREATE INDEX cat_files_part ON cat_files(db, tbl, part, key);\n"
	 /* a table's files by key (file keys and partition paths sort differently) */
	 "CREATE INDEX cat_files_table ON cat_files(db, tbl, key);\n"
	 "CREATE TABLE cat_drift(\n"
	 "  id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
	 "  db TEXT NOT NULL, tbl TEXT NOT NULL, version INTEGER NOT NULL,\n"
	 "  kind TEXT NOT NULL, path TEXT NOT NULL, detail TEXT NOT NULL,\n"
	 "  example TEXT NOT NULL, created_ms INTEGER NOT NULL);\n"
	 "CREATE INDEX cat_drift_table ON cat_drift(db, tbl, id);\n"
	 "CREATE TABLE cat_counters(\n"
	 "  id INTEGER PRIMARY KEY CHECK(id = 1),\n"
	 "  commits INTEGER NOT NULL, messages INTEGER NOT NULL, objects INTEGER NOT NULL,\n"
	 "  records INTEGER NOT NULL, bytes INTEGER NOT NULL, drift INTEGER NOT NULL,\n"
	 "  last_ms INTEGER NOT NULL);\n"
	 "INSERT INTO cat_counters VALUES(1, 0, 0, 0, 0, 0, 0, 0);\n"},
	/* ETL jobs (etl/etl.h, docs/etl.md). A job's bookmark row holds its landing-sequence
	 * bookmark and its run counter, so that run numbers are given under the write lock
	 * without gaps. A staged row is written before its file is published ('staged') and
	 * becomes 'done' (with the index row's seq) in the transaction that commits it, so
	 * the done rows of a run are the files it committed, which a rewind retires. */
	{5, "etl",
	 "CREATE TABLE etl_leases(\n"
	 "  job TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_ms INTEGER NOT NULL);\n"
	 "CREATE TABLE etl_bookmarks(\n"
	 "  job TEXT PRIMARY KEY,\n"
	 "  seq INTEGER NOT NULL CHECK(seq >= 0),\n"
	 "  last_run INTEGER NOT NULL CHECK(last_run >= 0),\n"
	 "  last_committed INTEGER NOT NULL CHECK(last_committed >= 0),\n"
	 "  updated_ms INTEGER NOT NULL);\n"
	 "CREATE TABLE etl_runs(\n"
	 "  job TEXT NOT NULL, id INTEGER NOT NULL CHECK(id >= 1),\n"
	 "  state TEXT NOT NULL CHECK(state IN ('running','committed','failed','rewound')),\n"
	 "  holder TEXT NOT NULL,\n"
	 "  from_seq INTEGER NOT NULL, to_seq INTEGER NOT NULL,\n"
	 "  objects INTEGER NOT NULL DEFAULT 0, rows_in INTEGER NOT NULL DEFAULT 0,\n"
	 "  rows_out INTEGER NOT NULL DEFAULT 0, rows_rejected INTEGER NOT NULL DEFAULT 0,\n"
	 "  files INTEGER NOT NULL DEFAULT 0, bytes INTEGER NOT NULL DEFAULT 0,\n"
	 "  started_ms INTEGER NOT NULL, ended_ms INTEGER NOT NULL DEFAULT 0,\n"
	 "  error TEXT NOT NULL DEFAULT '',\n"
	 "  PRIMARY KEY(job, id));\n"
	 /* the running runs whose lease may have run out */
	 "CREATE INDEX etl_runs_state ON etl_runs(state, job, id);\n"
	 "CREATE TABLE etl_staged(\n"
	 "  job TEXT NOT NULL, run_id INTEGER NOT NULL,\n"
	 "  zone TEXT NOT NULL, key TEXT NOT NULL,\n"
	 "  state TEXT NOT NULL CHECK(state IN ('staged','done')),\n"
	 "  seq INTEGER NOT NULL DEFAULT 0,\n"
	 "  PRIMARY KEY(job, run_id, zone, key),\n"
	 "  FOREIGN KEY(job, run_id) REFERENCES etl_runs(job, id)) WITHOUT ROWID;\n"
	 /* who staged a key (etl_stage's check, fsck); the keys left to recover */
	 "CREATE INDEX etl_staged_key ON etl_staged(zone, key, state);\n"
	 "CREATE INDEX etl_staged_state ON etl_staged(state, job, run_id);\n"},
	/* Lineage of merged files (etl/etl.h, docs/etl.md "Lineage"): the runs whose rows a
	 * compaction's file holds, as (job, run, rows) segments in row order, so that a
	 * rewind can take a merged file apart. Keyed by the file's index seq (never reused):
	 * the trigger drops a file's lineage with its index row. A file merged before this
	 * migration gets one segment naming the compaction run that wrote it (its rows'
	 * runs are unknown): a rewind refuses to undo runs that may be in it. */
	{6, "etl lineage",
	 "CREATE TABLE etl_lineage(\n"
	 "  seq INTEGER NOT NULL, ord INTEGER NOT NULL CHECK(ord >= 0),\n"
	 "  job TEXT NOT NULL, run INTEGER NOT NULL CHECK(run >= 0),\n"
	 "  rows INTEGER NOT NULL CHECK(rows >= 1),\n"
	 "  PRIMARY KEY(seq, ord)) WITHOUT ROWID;\n"
	 /* the files holding rows of a job's runs after N (a rewind) */
	 "CREATE INDEX etl_lineage_run ON etl_lineage(job, run, seq);\n"
	 "CREATE TRIGGER etl_lineage_gone AFTER DELETE ON objects BEGIN\n"
	 "  DELETE FROM etl_lineage WHERE seq=OLD.seq;\n"
	 "END;\n"
	 "INSERT INTO etl_lineage(seq, ord, job, run, rows)\n"
	 "  SELECT s.seq, 0, s.job, s.run_id, f.records FROM etl_staged s\n"
	 "  JOIN objects o ON o.zone=s.zone AND o.key=s.key AND o.seq=s.seq\n"
	 "  JOIN cat_files f ON f.zone=s.zone AND f.key=s.key AND f.seq=s.seq\n"
	 "  WHERE s.state='done' AND substr(s.job, 1, 8)='compact:' AND\n"
	 "    o.state='present' AND f.records>0;\n"},
};

const int sl_migrations_count = (int)(sizeof(sl_migrations) / sizeof(sl_migrations[0]));
