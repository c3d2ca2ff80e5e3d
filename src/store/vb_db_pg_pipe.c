/*
 * libpq's pipeline mode in a writer transaction of the PostgreSQL backend
 * (see vb_db_pg_internal.h). The operations are written synchronously (a
 * statement's result may decide the next statement), so only what they do
 * not read is deferred: SAVEPOINT, RELEASE, EXEC statements. Those are sent
 * at once and their results read when a statement whose result is needed is
 * sent (one sync, one round trip for all of them) or at COMMIT. A batch of
 * operations that each write without reading costs a round trip per read
 * instead of one per statement.
 *
 * A deferred statement that fails (a unique violation, a check) cannot be
 * reported to its operation: the operation has already gone on. The
 * transaction is then marked broken and retryable; the lane rolls the batch
 * back and runs it again, and that run has no pipeline, so each statement's
 * error reaches its own operation (409 for the right one) and nothing is
 * reported done that was not committed.
 */
#include "core/vb_common.h"
#include "core/vb_log.h"
#include "store/vb_db_pg_internal.h"

#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

void vb_pg_pipe_begin(vb_pg *db, int rerun)
{
    int nodefer = db->nodefer;
    db->nodefer = 0;
    db->queued = 0;
    db->op_wrote = 0;
    if (db->reader || !rerun || nodefer || db->pipe || !db->c) return;
    db->pipe = PQenterPipelineMode(db->c) == 1;
}

void vb_pg_pipe_owe(vb_pg *db, char kind)
{
    db->owed[db->queued++] = kind;
}

int vb_pg_pipe_room(vb_pg *db, int n)
{
    return db->queued + n <= VB_PG_PIPE_MAX ? 0 : vb_pg_pipe_sync(db, NULL, NULL);
}

int vb_pg_pipe_defer(vb_pg *db, const char *sql)
{
    int err = vb_pg_pipe_room(db, 1);
    if (err) return err;
    if (PQsendQueryParams(db->c, sql, 0, NULL, NULL, NULL, NULL, 0) != 1)
        return vb_pg_error(db, NULL, sql);
    vb_pg_pipe_owe(db, 'x');
    return 0;
}

/* A deferred statement failed with res: a lost connection, a serialization
 * failure or a deadlock as for any statement; anything else makes the batch
 * run again without a pipeline. */
static int deferred_failed(vb_pg *db, PGresult *res)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (!state || PQstatus(db->c) != CONNECTION_OK || strncmp(state, "08", 2) == 0 ||
        strncmp(state, "57P", 3) == 0 || strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)
        return vb_pg_error(db, res, "(pipelined statement)");
    vb_log(VB_LOG_DEBUG,
           "postgresql: a deferred statement failed (%s); the batch runs again"
           " without a pipeline",
           state);
    db->broken = db->retry = db->nodefer = 1;
    return VB_DB_ERETRY;
}

/* Reads the rest of one statement's results (they end with NULL). */
static void drain(vb_pg *db)
{
    PGresult *r;
    while (PQstatus(db->c) == CONNECTION_OK && (r = PQgetResult(db->c)) != NULL)
        PQclear(r);
}

int vb_pg_pipe_sync(vb_pg *db, PGresult **last, const char *sql)
{
    int err = 0, n = db->queued;
    if (last) *last = NULL;
    db->queued = 0;
    if (PQpipelineSync(db->c) != 1 || PQflush(db->c) != 0) return vb_pg_error(db, NULL, sql);
    for (int i = 0; i < n; i++) {
        int mine = last && i == n - 1;
        PGresult *r = PQgetResult(db->c);
        ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
        int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
        if (!r) {
            if (!err) err = vb_pg_error(db, NULL, sql);
            return err;
        }
        /* A statement prepared in this pipeline may not exist: every
         * statement is prepared again under a new name. */
        if (!ok && db->owed[i] == 'p') db->gen++;
        if (ok && db->owed[i] == 's') {
            const char *ct = PQcmdTuples(r);
            db->changes = ct && *ct ? strtoll(ct, NULL, 10) : 0;
        }
        if (mine && ok) {
            *last = r;
            r = NULL;
        } else if (!ok && !err && mine && st != PGRES_PIPELINE_ABORTED) {
            /* The operation gets its error; with no savepoint to undo it,
             * the batch runs again. */
            err = vb_pg_error(db, r, sql);
            if (!db->down && !db->retry) db->broken = db->retry = db->nodefer = 1;
        } else if (!ok && !err) {
            /* PIPELINE_ABORTED follows an error already counted. */
            err = deferred_failed(db, r);
        }
        PQclear(r);
        if (db->down) return err;
        drain(db);
    }
    PGresult *r = PQgetResult(db->c);
    if (!r || PQresultStatus(r) != PGRES_PIPELINE_SYNC) {
        int e = vb_pg_error(db, NULL, sql); /* out of step: reconnect */
        if (!err) err = e;
    }
    PQclear(r);
    if (err && last && *last) {
        PQclear(*last);
        *last = NULL;
    }
    return err;
}

int vb_pg_pipe_leave(vb_pg *db)
{
    int err = 0;
    if (!db->pipe) return 0;
    if (db->queued && !db->down) err = vb_pg_pipe_sync(db, NULL, NULL);
    /* A connection that cannot leave the pipeline is made again. */
    if (!db->down && db->c && PQexitPipelineMode(db->c) != 1) db->down = db->broken = 1;
    db->pipe = 0;
    db->queued = 0;
    return err;
}
