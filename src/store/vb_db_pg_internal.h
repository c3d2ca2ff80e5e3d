/*
 * Internals of the PostgreSQL backend shared by its files (vb_db_pg.c:
 * connection, reconnection, transactions and errors; vb_db_pg_run.c:
 * statements, binding and rows). store/vb_db_pg*.c only: with them, the
 * only files of vibed that include libpq-fe.h.
 */
#ifndef VB_DB_PG_INTERNAL_H
#define VB_DB_PG_INTERNAL_H

#include "store/vb_db_backend.h"
#include "store/vb_db_internal.h"

#include <stddef.h>
#include <stdint.h>

typedef struct pg_conn PGconn;
typedef struct pg_result PGresult;

#define VB_PG_BUCKETS 256
#define VB_PG_CACHE_MAX 1024
/* Results a pipeline may owe before it is synced (small: they are read only
 * at the next sync, and their bytes wait in the socket buffers). */
#define VB_PG_PIPE_MAX 64

/* A statement's text translated to PostgreSQL ($n placeholders, VB_IDS). */
typedef struct vb_pg_sql {
    struct vb_pg_sql *next;
    const char *key; /* the caller's pointer, compared only */
    char *text;      /* copy of the caller's SQL */
    char *native;    /* the translation */
    /* The server-side prepared statement of the last parameter types. */
    char name[24];    /* "" until prepared */
    unsigned int gen; /* db->gen when prepared (a reconnect drops them) */
    char sig[65];     /* one char per parameter type: t, i, f, u */
    int reads;        /* a SELECT: changes nothing an operation must undo */
} vb_pg_sql;

typedef struct vb_pg {
    vb_db base; /* first: a vb_pg is a vb_db */
    PGconn *c;
    char *conninfo; /* never logged: it may hold a password */
    int reader;     /* session is read-only */
    int in_txn;
    int broken;          /* the transaction cannot be committed */
    int retry;           /* ... because of a serialization failure or deadlock */
    int down;            /* the connection is lost; reconnect before use */
    int release_pending; /* RELEASE vb_op not sent yet (see vb_db_pg.c) */
    /* Pipeline mode of a writer transaction (vb_db_pg_pipe.c). */
    int pipe;                  /* in pipeline mode: statements may be deferred */
    int queued;                /* results owed by the server (sent, not read) */
    int nodefer;               /* the next transaction runs without a pipeline */
    int op_wrote;              /* the current operation sent a statement that writes */
    char owed[VB_PG_PIPE_MAX]; /* what each owed result is: 'p', 's', 'x' */
    unsigned int gen;          /* connection generation: +1 at each (re)connect */
    unsigned int nprep;        /* prepared statements named so far */
    int64_t changes;
    uint64_t next_try_ms; /* no reconnect attempt before (monotonic ms) */
    int backoff_ms;
    vb_pg_sql *buckets[VB_PG_BUCKETS];
    size_t cached;
} vb_pg;

/* Maps a failed result (or NULL: the connection failed) to a vb_err, logs
 * it, and marks the transaction broken / retry / down. (vb_db_pg.c) */
int vb_pg_error(vb_pg *db, PGresult *res, const char *sql);
/* Reconnects a lost connection when its backoff allows. 0 when usable, else
 * VB_EBUSY. (vb_db_pg.c) */
int vb_pg_ensure(vb_pg *db);
/* Sends a pending RELEASE before a statement. 0 or a vb_err. (vb_db_pg.c) */
int vb_pg_flush(vb_pg *db);
/*
 * The pipeline of a writer transaction (vb_db_pg_pipe.c). Statements whose
 * results the operation does not use (SAVEPOINT, RELEASE, an EXEC statement)
 * are sent and their results read at the next statement that needs one, or
 * at COMMIT. When such a deferred statement failed, the transaction is marked
 * broken and retryable and the next transaction (the same batch, run again by
 * the lane) runs without deferring, so the failing operation gets its own
 * error at its own statement.
 */
/* Enters pipeline mode after BEGIN of a transaction the caller re-runs
 * (VB_DB_RERUN), unless the previous one asked for a run without deferring.
 * In pipeline mode no savepoint is sent: an operation that fails after it
 * wrote, or whose statement failed, breaks the transaction as retryable
 * instead (the run again has savepoints). */
void vb_pg_pipe_begin(vb_pg *db, int rerun);
/* Makes room for n more owed results (syncs when the pipeline is full).
 * 0 or a vb_err. */
int vb_pg_pipe_room(vb_pg *db, int n);
/* Records one result owed for what was just sent: 'p' a prepare, 's' a
 * statement (its row count becomes vb_db_changes), 'x' transaction control. */
void vb_pg_pipe_owe(vb_pg *db, char kind);
/* Sends a statement without parameters whose result is read later. */
int vb_pg_pipe_defer(vb_pg *db, const char *sql);
/* Syncs: reads every owed result; with last set, the last statement sent is
 * the caller's and *last gets its result (success) instead of it being
 * owed. 0 or a vb_err (VB_DB_ERETRY after a deferred statement failed). */
int vb_pg_pipe_sync(vb_pg *db, PGresult **last, const char *sql);
/* Leaves pipeline mode (syncing first). 0 or a vb_err. */
int vb_pg_pipe_leave(vb_pg *db);
/* Empties the translation cache. (vb_db_pg_run.c) */
void vb_pg_cache_clear(vb_pg *db);
/* The backend's run/run_text/changes. (vb_db_pg_run.c) */
int vb_pg_run(vb_db *db, vb_db_mode mode, json_t **out, int64_t *iout, int64_t dflt,
              const char *sql, const char *fmt, va_list ap);
/* vb_db_blob on PostgreSQL (bytea). */
int vb_pg_blob(vb_db *db, void **data, size_t *len, const char *sql, const char *fmt, va_list ap);
int vb_pg_run_text(vb_db *db, vb_db_text *out, vb_db_text_hook fn, void *ud, const char *sql,
                   const char *fmt, va_list ap);
/* Converts the rows of a result. (vb_db_pg_rows.c) */
json_t *vb_pg_row_json(PGresult *res, int row);
int vb_pg_rows_text(PGresult *res, vb_db_text *out, vb_db_text_hook fn, void *ud);

#endif
