/*
 * What the store itself needs from the database backend beyond vb_db.h:
 * opening and closing a connection, transactions and savepoints, and the
 * migration runner. store/ only; operations never see these.
 *
 * A vb_db is used by one thread at a time: the caller serialises access (the
 * store holds its database mutex around every writer batch and
 * vb_store_run_sync; the reader connection belongs to the reader thread).
 */
#ifndef VB_DB_INTERNAL_H
#define VB_DB_INTERNAL_H

#include "store/vb_db.h"

/*
 * Opens (creating if needed) the SQLite database at path (":memory:" for a
 * private in-memory one) and sets the connection's pragmas: WAL,
 * synchronous NORMAL (FULL with env VB_SQLITE_SYNC=FULL), foreign keys,
 * busy timeout. The parent folder must exist. Returns 0 or VB_EIO/VB_ENOMEM
 * (the reason is logged); *out is set only on success.
 */
int vb_db_open(vb_db **out, const char *path);
/*
 * Opens a second connection to the existing database file at path for reads
 * only (PRAGMA query_only: writes fail with VB_EIO). Its own statement cache;
 * used by one thread at a time like any vb_db. 0 or VB_EIO/VB_ENOMEM.
 */
int vb_db_open_reader(vb_db **out, const char *path);
/*
 * Opens a PostgreSQL connection; conninfo is a libpq connection string or
 * URI (postgres://, postgresql://: sslmode, application_name, a socket
 * host work as libpq reads them). Sets synchronous_commit on. The reader
 * variant makes the session read-only. Never logs conninfo (it may hold a
 * password). 0, VB_EBUSY (server unreachable) or VB_EIO/VB_ENOMEM.
 * (vb_db_pg.c)
 */
int vb_db_open_pg(vb_db **out, const char *conninfo);
int vb_db_open_pg_reader(vb_db **out, const char *conninfo);
/* 0 when db's connection is usable; a lost one is reconnected first (one
 * attempt). VB_EBUSY while the server cannot be reached. */
int vb_db_check(vb_db *db);
/* "sqlite" or "postgresql". */
const char *vb_db_backend_name(const vb_db *db);
/* Finalizes every cached statement and closes the connection. NULL is a no-op. */
void vb_db_close(vb_db *db);

/* BEGIN IMMEDIATE when immediate is set (takes the write lock at once), else a
 * deferred BEGIN. Clears the "broken" flag. 0 or VB_EIO. With
 * VB_DB_RERUN also set, the caller runs the whole transaction again when it
 * fails and vb_db_txn_retry says so (the lane's batches): PostgreSQL may then
 * defer statements in a pipeline (vb_db_pg_pipe.c). */
#define VB_DB_RERUN 2
int vb_db_begin(vb_db *db, int immediate);
/* COMMIT. 0 or VB_EIO (the transaction may still be open: call vb_db_rollback). */
int vb_db_commit(vb_db *db);
/* ROLLBACK when a transaction is open; a no-op otherwise. 0 or VB_EIO. */
int vb_db_rollback(vb_db *db);
/* SAVEPOINT / ROLLBACK TO / RELEASE of the one per-operation savepoint. */
int vb_db_savepoint(vb_db *db);
int vb_db_rollback_to(vb_db *db);
int vb_db_release(vb_db *db);
/*
 * Nonzero when the current transaction can no longer be trusted: a statement
 * failed with a busy, I/O, full, out-of-memory, corruption or interrupt
 * error (SQLite may have rolled the transaction back by itself), or the
 * connection is no longer inside a transaction although one was begun.
 * The whole batch must then be rolled back, never committed.
 */
int vb_db_txn_broken(const vb_db *db);
/* Nonzero when the broken transaction failed on a serialization failure or
 * deadlock (PostgreSQL): the batch may be run again. */
int vb_db_txn_retry(const vb_db *db);

/*
 * Applies the pending migrations of db's dialect (vb_migrations.h), each in
 * its own transaction, recording them in schema_migrations. *version receives
 * the schema version afterwards. Returns 0, or VB_EIO when a migration fails
 * or the database is newer than this binary (logged).
 */
int vb_migrate_run(vb_db *db, int *version);

/*
 * 1 if the JSON text s (n bytes) may be copied as it is where json_dumps
 * (JSON_COMPACT) of its parsed value is wanted: compact (no whitespace outside
 * strings), strings without escapes and with valid UTF-8, integers only (no
 * fraction or exponent, no "-0", no leading zeros), true/false/null, balanced
 * brackets. Conservative: 0 means "re-encode through jansson", never that the
 * text is invalid. (vb_db_text.c)
 */
int vb_db_text_json_raw_ok(const char *s, size_t n);

#endif
