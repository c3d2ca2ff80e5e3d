/*
 * The PostgreSQL backend of vb_db (vb_db_backend.h): a libpq connection with
 * its session settings, transactions and savepoints, errors mapped to vb_err,
 * and reconnection with backoff after the server went away. Statements and
 * rows are in vb_db_pg_run.c and vb_db_pg_rows.c.
 *
 * The connection string is handed to libpq as it is (a postgres:// or
 * postgresql:// URI or key=value pairs), so sslmode, application_name and a
 * socket host work; it is never logged.
 */
#include "core/vb_common.h"
#include "core/vb_log.h"
#include "store/vb_db_pg_internal.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VB_PG_BACKOFF_MIN_MS 50
#define VB_PG_BACKOFF_MAX_MS 2000

/* libpq's notices (e.g. "there is no transaction in progress") at debug
 * level, instead of on stderr. */
static void on_notice(void *arg, const char *msg)
{
    (void)arg;
    vb_log(VB_LOG_DEBUG, "postgresql: %s", msg);
}

/* A message of libpq without its trailing newline, for the log. */
static void log_conn_error(const char *what, PGconn *c)
{
    const char *m = c ? PQerrorMessage(c) : "out of memory";
    int n = (int)strlen(m);
    while (n > 0 && (m[n - 1] == '\n' || m[n - 1] == ' '))
        n--;
    vb_log(VB_LOG_ERROR, "postgresql: %s: %.*s", what, n, m);
}

/* Connects db->c and sets the session. 0 or VB_EBUSY (logged). */
static int connect_now(vb_pg *db)
{
    if (db->c) PQfinish(db->c);
    db->c = PQconnectdb(db->conninfo);
    if (!db->c || PQstatus(db->c) != CONNECTION_OK) {
        log_conn_error("cannot connect", db->c);
        return VB_EBUSY;
    }
    PQsetNoticeProcessor(db->c, on_notice, NULL);
    const char *setup = db->reader
                            ? "SET synchronous_commit = on; SET default_transaction_read_only = on;"
                              " SET client_min_messages = warning"
                            : "SET synchronous_commit = on; SET client_min_messages = warning";
    PGresult *r = PQexec(db->c, setup);
    int ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok) {
        log_conn_error("session setup failed", db->c);
        return VB_EBUSY;
    }
    db->down = 0;
    db->pipe = db->queued = 0;
    db->backoff_ms = 0;
    db->gen++; /* the new session has no prepared statements */
    return 0;
}

int vb_pg_ensure(vb_pg *db)
{
    if (!db->down && db->c && PQstatus(db->c) == CONNECTION_OK) return 0;
    db->down = 1;
    uint64_t now = vb_now_ms();
    if (now < db->next_try_ms) return VB_EBUSY;
    if (connect_now(db) == 0) {
        vb_log(VB_LOG_INFO, "postgresql: connection restored");
        return 0;
    }
    db->backoff_ms = db->backoff_ms ? db->backoff_ms * 2 : VB_PG_BACKOFF_MIN_MS;
    if (db->backoff_ms > VB_PG_BACKOFF_MAX_MS) db->backoff_ms = VB_PG_BACKOFF_MAX_MS;
    db->next_try_ms = now + (uint64_t)db->backoff_ms;
    return VB_EBUSY;
}

int vb_pg_error(vb_pg *db, PGresult *res, const char *sql)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res ? PQresultErrorMessage(res) : PQerrorMessage(db->c);
    if (!state || PQstatus(db->c) != CONNECTION_OK || strncmp(state, "08", 2) == 0 ||
        strncmp(state, "57P", 3) == 0) {
        if (!db->down) log_conn_error("connection lost", db->c);
        db->down = 1;
        db->broken = 1;
        return VB_EBUSY;
    }
    if (strcmp(state, "23505") == 0) {
        vb_log(VB_LOG_DEBUG, "sql conflict: %s", msg);
        return VB_ECONFLICT;
    }
    if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0) {
        vb_log(VB_LOG_INFO, "sql: %s; the transaction will be retried", state);
        db->broken = 1;
        db->retry = 1;
        return VB_DB_ERETRY;
    }
    json_t *f =
        json_pack("{s:s, s:s, s:s?}", "error", msg ? msg : "", "sqlstate", state, "sql", sql);
    vb_log_obj(VB_LOG_ERROR, "sql error", f);
    return VB_EIO;
}

/* Runs a statement without parameters or rows (transaction control). */
static int simple(vb_pg *db, const char *sql)
{
    if (db->pipe) {
        /* Not in a pipeline (and no savepoint was sent): the batch runs
         * again without one. */
        vb_pg_pipe_leave(db);
        db->broken = db->retry = db->nodefer = 1;
        return VB_DB_ERETRY;
    }
    int err = vb_pg_ensure(db);
    if (err) return err;
    PGresult *r = PQexec(db->c, sql);
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    int rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0 : vb_pg_error(db, r, sql);
    PQclear(r);
    return rc;
}

/* A RELEASE left pending by pg_release is sent with the next savepoint or
 * COMMIT in one round trip ("RELEASE vb_op; SAVEPOINT vb_op"): a batch
 * costs one round trip per operation less. */
static int with_pending(vb_pg *db, const char *sql)
{
    if (!db->release_pending) return simple(db, sql);
    db->release_pending = 0;
    char both[64];
    snprintf(both, sizeof both, "RELEASE vb_op; %s", sql);
    return simple(db, both);
}

int vb_pg_flush(vb_pg *db)
{
    return db->release_pending ? with_pending(db, "SELECT 1") : 0;
}

static int pg_script(vb_db *base, const char *sql)
{
    return simple((vb_pg *)base, sql);
}

static int64_t pg_changes(vb_db *base)
{
    vb_pg *db = (vb_pg *)base;
    /* A deferred statement's row count is known once it is read. A failure
     * breaks the transaction (the batch runs again). */
    if (db->pipe && db->queued && vb_pg_pipe_sync(db, NULL, NULL) != 0) return 0;
    return db->changes;
}

static void pg_close(vb_db *base)
{
    vb_pg *db = (vb_pg *)base;
    vb_pg_cache_clear(db);
    if (db->c) PQfinish(db->c);
    if (db->conninfo) {
        memset(db->conninfo, 0, strlen(db->conninfo));
        free(db->conninfo);
    }
    free(db);
}

static int pg_begin(vb_db *base, int immediate)
{
    vb_pg *db = (vb_pg *)base;
    db->broken = db->retry = 0;
    db->release_pending = 0;
    int err = simple(db, "BEGIN");
    db->in_txn = err == 0;
    if (!err) vb_pg_pipe_begin(db, (immediate & VB_DB_RERUN) != 0);
    return err;
}

static int pg_commit(vb_db *base)
{
    vb_pg *db = (vb_pg *)base;
    if (db->broken) return db->down ? VB_EBUSY : db->retry ? VB_DB_ERETRY : VB_EIO;
    if (db->pipe) {
        PGresult *r = NULL;
        int err = vb_pg_pipe_defer(db, "COMMIT");
        if (!err) err = vb_pg_pipe_sync(db, &r, "COMMIT");
        PQclear(r);
        int left = vb_pg_pipe_leave(db);
        if (!err) err = left;
        if (err == 0) db->in_txn = 0;
        return err;
    }
    int err = with_pending(db, "COMMIT");
    if (err == 0) db->in_txn = 0;
    return err;
}

static int pg_rollback(vb_db *base)
{
    vb_pg *db = (vb_pg *)base;
    int err = 0;
    db->release_pending = 0;
    vb_pg_pipe_leave(db); /* its failures are rolled back too */
    if (!db->down && db->c && PQtransactionStatus(db->c) != PQTRANS_IDLE)
        err = simple(db, "ROLLBACK");
    db->in_txn = 0;
    return err;
}

static int pg_savepoint(vb_db *base)
{
    vb_pg *db = (vb_pg *)base;
    if (db->pipe) {
        db->op_wrote = 0;
        return db->broken ? VB_EIO : 0;
    }
    return with_pending(db, "SAVEPOINT vb_op");
}

static int pg_rollback_to(vb_db *base)
{
    vb_pg *db = (vb_pg *)base;
    db->release_pending = 0;
    if (db->pipe) {
        /* No savepoint: an operation that wrote is undone by running the
         * batch again (with savepoints). */
        if (!db->op_wrote) return 0;
        db->broken = db->retry = db->nodefer = 1;
        return VB_DB_ERETRY;
    }
    return simple(db, "ROLLBACK TO vb_op");
}

static int pg_release(vb_db *base)
{
    vb_pg *db = (vb_pg *)base;
    if (db->broken || db->down) return db->down ? VB_EBUSY : VB_EIO;
    if (db->pipe) return 0;
    db->release_pending = 1;
    return 0;
}

static int pg_txn_broken(const vb_db *base)
{
    const vb_pg *db = (const vb_pg *)base;
    /* In a pipeline the server's state is known only at a sync. */
    if (db->pipe) return db->broken || db->down;
    /* INERROR (a statement failed) is undone by ROLLBACK TO the savepoint. */
    PGTransactionStatusType ts = db->c ? PQtransactionStatus(db->c) : PQTRANS_UNKNOWN;
    return db->broken || db->down || (db->in_txn && ts != PQTRANS_INTRANS && ts != PQTRANS_INERROR);
}

static int pg_txn_retry(const vb_db *base)
{
    return ((const vb_pg *)base)->retry;
}

static int pg_check(vb_db *base)
{
    vb_pg *db = (vb_pg *)base;
    if (db->in_txn) return db->down ? VB_EBUSY : 0;
    int err = vb_pg_ensure(db);
    if (err) return err;
    /* A server that went away is noticed only by talking to it. */
    return simple(db, "SELECT 1") == 0 ? 0 : VB_EBUSY;
}

const vb_db_backend vb_db_pg_backend = {
    .name = "postgresql",
    .migrations = vb_migrations_pg,
    .migrations_count = &vb_migrations_pg_count,
    .run = vb_pg_run,
    .run_text = vb_pg_run_text,
    .blob = vb_pg_blob,
    .changes = pg_changes,
    .script = pg_script,
    .close = pg_close,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .savepoint = pg_savepoint,
    .rollback_to = pg_rollback_to,
    .release = pg_release,
    .txn_broken = pg_txn_broken,
    .txn_retry = pg_txn_retry,
    .check = pg_check,
};

static int open_pg(vb_db **out, const char *conninfo, int reader)
{
    vb_pg *db = calloc(1, sizeof *db);
    if (!db) return VB_ENOMEM;
    db->base.be = &vb_db_pg_backend;
    db->reader = reader;
    if (!(db->conninfo = strdup(conninfo))) {
        free(db);
        return VB_ENOMEM;
    }
    int err = connect_now(db);
    if (err) {
        pg_close(&db->base);
        return err;
    }
    *out = &db->base;
    return 0;
}

int vb_db_open_pg(vb_db **out, const char *conninfo)
{
    return open_pg(out, conninfo, 0);
}

int vb_db_open_pg_reader(vb_db **out, const char *conninfo)
{
    return open_pg(out, conninfo, 1);
}
