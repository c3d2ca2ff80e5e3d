/*
 * The backend seam of the store: one struct of function pointers per
 * database engine (SQLite: vb_db_sqlite.c, PostgreSQL: vb_db_pg*.c). Every
 * vb_db starts with a struct vb_db naming its backend; vb_db.c forwards the
 * functions of vb_db.h and vb_db_internal.h through it. Nothing else in the
 * store knows which engine runs: there is no "if (pg)" in the operations.
 *
 * A backend:
 * - translates the portable SQL of the operations when it prepares a
 *   statement (vb_db_sql_translate: '?' placeholders, the VB_IDS(?) list
 *   source), once per statement text;
 * - binds parameters from the format string of vb_db.h and returns rows
 *   converted as vb_db.h describes (same JSON for the same data on both);
 * - maps its errors: unique violation -> VB_ECONFLICT; a lost connection
 *   -> VB_EBUSY (503 DATABASE_UNAVAILABLE; the transaction is broken);
 *   serialization failure or deadlock -> VB_DB_ERETRY (the store retries the batch); anything else
 *   -> VB_EIO (logged).
 * store/ only.
 */
#ifndef VB_DB_BACKEND_H
#define VB_DB_BACKEND_H

#include "store/vb_db.h"
#include "store/vb_migrations.h"

#include <stdarg.h>

/* A serialization failure or deadlock: the whole transaction must be run
 * again. Internal to the store (the lane retries; never given to callers). */
#define VB_DB_ERETRY (-100)

/* How a statement's rows are consumed by run(). */
typedef enum vb_db_mode { VB_DB_EXEC, VB_DB_ROWS, VB_DB_ROW, VB_DB_INT } vb_db_mode;

typedef struct vb_db_backend {
    const char *name;               /* "sqlite", "postgresql" */
    const vb_migration *migrations; /* this dialect's schema, versions 1..n */
    const int *migrations_count;
    /* Runs sql; mode says what to keep: nothing (EXEC), every row into *out
     * as an array (ROWS), the first row or NULL (ROW), or the first column of
     * the first row into *iout, dflt otherwise (INT). */
    int (*run)(vb_db *db, vb_db_mode mode, json_t **out, int64_t *iout, int64_t dflt,
               const char *sql, const char *fmt, va_list ap);
    /* vb_db_rows_text(_hook); fn may be NULL. */
    int (*run_text)(vb_db *db, vb_db_text *out, vb_db_text_hook fn, void *ud, const char *sql,
                    const char *fmt, va_list ap);
    /* vb_db_blob: the first column of the first row as binary data. */
    int (*blob)(vb_db *db, void **data, size_t *len, const char *sql, const char *fmt, va_list ap);
    int64_t (*changes)(vb_db *db);
    int (*script)(vb_db *db, const char *sql);
    void (*close)(vb_db *db);
    int (*begin)(vb_db *db, int immediate);
    int (*commit)(vb_db *db);
    int (*rollback)(vb_db *db);
    int (*savepoint)(vb_db *db);
    int (*rollback_to)(vb_db *db);
    int (*release)(vb_db *db);
    int (*txn_broken)(const vb_db *db);
    /* Nonzero when the broken transaction failed on a serialization failure
     * or deadlock: running it again may succeed. */
    int (*txn_retry)(const vb_db *db);
    /* 0 when the connection is usable, else VB_EBUSY; reconnects a lost
     * connection (one attempt). */
    int (*check)(vb_db *db);
} vb_db_backend;

struct vb_db {
    const vb_db_backend *be;
};

extern const vb_db_backend vb_db_sqlite_backend;
extern const vb_db_backend vb_db_pg_backend;

/* A dialect token of portable SQL and its text in one backend. */
typedef struct vb_db_token {
    const char *token; /* e.g. "VB_IDS(?)" */
    const char *text;  /* may hold '?' placeholders of its own */
} vb_db_token;

/*
 * The portable SQL of vb_db.h in a backend's dialect: each token of tokens
 * (ended by a {NULL, NULL} entry) outside quotes is replaced by its text,
 * and with pg set each '?' outside quotes becomes $1, $2, ... in order and
 * an alias with capitals after AS is quoted (PostgreSQL folds unquoted names
 * to lower case). *out is malloc'ed. 0 or VB_ENOMEM. (vb_db.c)
 */
int vb_db_sql_translate(const char *sql, const vb_db_token *tokens, int pg, char **out);

#endif
