/*
 * Internals of the SQLite backend shared by its two files (vb_db_sqlite.c:
 * connection, transactions, queries and rows; vb_db_stmt.c: the statement
 * cache, errors and parameter binding). store/vb_db_sqlite.c and
 * store/vb_db_stmt.c only: they are the only files of vibed that include
 * sqlite3.h; this header names SQLite's types without including it.
 */
#ifndef VB_DB_SQLITE_INTERNAL_H
#define VB_DB_SQLITE_INTERNAL_H

#include "store/vb_db_backend.h"
#include "store/vb_db_internal.h"

#include <stdarg.h>
#include <stddef.h>

typedef struct sqlite3 sqlite3;
typedef struct sqlite3_stmt sqlite3_stmt;

/* Statement cache: buckets chosen by the SQL pointer, entries matched by the
 * pointer and confirmed by strcmp against the statement's own SQL text (a
 * pointer may be reused for another text). Bounded: past VB_DB_CACHE_MAX
 * entries (only possible with SQL built at run time) the cache is emptied. */
#define VB_DB_BUCKETS 256
#define VB_DB_CACHE_MAX 1024

typedef struct vb_db_stmt {
    struct vb_db_stmt *next;
    const char *key; /* the caller's pointer, compared only, never dereferenced */
    char *text;      /* a copy of the caller's (untranslated) SQL */
    sqlite3_stmt *stmt;
} vb_db_stmt;

typedef struct vb_sq {
    vb_db base; /* first: a vb_sq is a vb_db */
    sqlite3 *h;
    vb_db_stmt *buckets[VB_DB_BUCKETS];
    size_t cached;
    int in_txn; /* vb_db_begin succeeded and no commit/rollback since */
    int broken; /* a statement failed in a way that spoils the transaction */
} vb_sq;

/* Finalizes every cached statement. (vb_db_stmt.c) */
void vb_db_cache_clear(vb_sq *db);
/* Maps a failed SQLite call to a vb_err (logged; may mark the transaction
 * broken). (vb_db_stmt.c) */
int vb_db_sql_error(vb_sq *db, int rc, const char *sql);
/* The cached statement for sql, prepared on a miss. NULL on error (logged).
 * (vb_db_stmt.c) */
sqlite3_stmt *vb_db_stmt_get(vb_sq *db, const char *sql);
/* Binds the parameters described by fmt (see vb_db.h) from ap. 0 or VB_EIO
 * (logged). (vb_db_stmt.c) */
int vb_db_bind_params(vb_sq *db, sqlite3_stmt *st, const char *sql, const char *fmt, va_list ap);

#endif
