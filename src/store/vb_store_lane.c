/*
 * The store's lanes (see vb_store.c): each lane thread takes batches of jobs
 * from its queue, runs them in one transaction (one savepoint per job) and
 * hands them to the loop thread; and the operation context helpers that
 * operations call while a lane runs them.
 */
#include "core/vb_common.h"
#include "core/vb_log.h"
#include "store/vb_db_internal.h"
#include "store/vb_store_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Appends list (linked through next, ending at tail) to q. */
static void jobq_splice(vb_jobq *q, vb_job *head, vb_job *tail)
{
    if (!head) return;
    if (q->tail)
        q->tail->next = head;
    else
        q->head = head;
    q->tail = tail;
}

int vb_op_fail(vb_op_ctx *ctx, int err, const char *code, const char *fmt, ...)
{
    snprintf(ctx->code, sizeof ctx->code, "%s", code ? code : "");
    ctx->message[0] = '\0';
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ctx->message, sizeof ctx->message, fmt, ap);
        va_end(ap);
    }
    return err;
}

void vb_op_event(vb_op_ctx *ctx, const char *topic, const char *type, json_t *data)
{
    json_t *ev = json_pack("{s:s, s:s, s:o}", "topic", topic, "type", type, "data",
                           data ? data : json_null());
    /* The caller's "origin" (e.g. the chat socket that asked for the change)
     * travels with the event, beside its data, so the real-time layer can
     * leave that socket out of the room broadcast. */
    json_t *origin = json_object_get(ctx->args, "origin");
    if (ev && json_is_string(origin)) json_object_set(ev, "origin", origin);
    if (!ev || json_array_append_new(ctx->events, ev) != 0)
        vb_log(VB_LOG_ERROR, "store: event %s on %s lost (out of memory)", type, topic);
}

/* A default machine code for an operation that failed without vb_op_fail. */
const char *vb_store_default_code(int status)
{
    switch (status) {
    case VB_EINVAL:
        return "VALIDATION_ERROR";
    case VB_ENOTFOUND:
        return "NOT_FOUND";
    case VB_EFORBIDDEN:
        return "FORBIDDEN";
    case VB_ECONFLICT:
        return "CONFLICT";
    case VB_EUNAUTH:
        return "UNAUTHORIZED";
    case VB_EIO:
        return "DATABASE_ERROR";
    case VB_EBUSY:
        return "SERVICE_UNAVAILABLE";
    default:
        return "INTERNAL_ERROR";
    }
}

/* Marks j failed because its batch was not committed: VB_EBUSY (503
 * DATABASE_UNAVAILABLE) when the database cannot be reached, else VB_EIO. */
static void job_set_db_error(vb_job *j, int unavailable)
{
    j->status = unavailable ? VB_EBUSY : VB_EIO;
    free(j->result_text);
    j->result_text = NULL;
    j->result_len = 0;
    json_decref(j->result);
    json_decref(j->events);
    json_decref(j->errors);
    j->result = j->events = j->errors = NULL;
    snprintf(j->code, sizeof j->code, unavailable ? "DATABASE_UNAVAILABLE" : "DATABASE_ERROR");
    snprintf(j->message, sizeof j->message,
             unavailable ? "The database is unavailable; try again" : "Database error");
}

/* Runs one job inside its savepoint; records the outcome on j. Returns
 * nonzero when the transaction is spoilt and the batch must be abandoned. */
static int run_job(vb_db *db, vb_job *j)
{
    vb_op_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.db = db;
    ctx.args = j->args;
    ctx.events = json_array();
    if (!ctx.events || vb_db_savepoint(db) != 0) {
        json_decref(ctx.events);
        return 1;
    }
    int st = j->fn(&ctx);
    if (st == 0 && ctx.result_text) {
        /* A text result stands for the tree. */
        json_decref(ctx.result);
        ctx.result = NULL;
        j->result_text = ctx.result_text;
        j->result_len = ctx.result_text_len;
        ctx.result_text = NULL;
    }
    free(ctx.result_text);
    if (st > 0) {
        vb_log(VB_LOG_ERROR, "store: operation returned %d, not a vb_err", st);
        st = VB_EIO;
    }
    int broken = vb_db_txn_broken(db);
    if (!broken && st != 0) broken = vb_db_rollback_to(db) != 0;
    if (!broken) broken = vb_db_release(db) != 0;

    j->status = st;
    j->errors = ctx.errors;
    if (st == 0) {
        j->result = ctx.result;
        j->events = ctx.events;
    } else {
        json_decref(ctx.result);
        json_decref(ctx.events);
        snprintf(j->code, sizeof j->code, "%s", ctx.code[0] ? ctx.code : vb_store_default_code(st));
        snprintf(j->message, sizeof j->message, "%s", ctx.message);
    }
    return broken;
}

/* Runs of a batch that failed on a serialization failure or deadlock. */
#define VB_STORE_RETRIES 5

/* Runs a batch of n jobs (linked through next) in one transaction on db.
 * Every job gets an outcome; when the transaction cannot be committed, all of
 * them fail with VB_EIO. Called on db's lane thread (the writer's with
 * db_lock held). A reader batch begins a new (deferred) read transaction, so
 * it sees every write committed before it started. */
static void run_batch(vb_db *db, vb_job *batch)
{
    int any_write = 0;
    for (vb_job *j = batch; j; j = j->next)
        any_write |= j->write;
    for (int attempt = 1;; attempt++) {
        int how = any_write ? 1 | VB_DB_RERUN : 0;
        int rc = vb_db_begin(db, how);
        /* A connection lost while idle is noticed at BEGIN: one reconnect. */
        if (rc == VB_EBUSY) rc = vb_db_begin(db, how);
        int ok = rc == 0;
        for (vb_job *j = batch; ok && j; j = j->next)
            if (run_job(db, j) != 0) ok = 0;
        if (ok && vb_db_commit(db) != 0) ok = 0;
        if (ok) return;
        int retry = vb_db_txn_retry(db);
        vb_db_rollback(db);
        int unavailable = rc == VB_EBUSY || vb_db_check(db) != 0;
        for (vb_job *j = batch; j; j = j->next)
            job_set_db_error(j, unavailable);
        if (retry && attempt < VB_STORE_RETRIES) continue;
        vb_log(unavailable ? VB_LOG_WARN : VB_LOG_ERROR,
               "store: batch rolled back; its operations fail%s",
               unavailable ? " (database unavailable)" : "");
        return;
    }
}

/* Parses an op's text result into a tree for a caller that wants one.
 * NULL when out of memory (logged). */
json_t *vb_store_text_to_tree(const char *text, size_t len)
{
    json_error_t err;
    json_t *v = json_loadb(text, len, JSON_DECODE_ANY, &err);
    if (!v) vb_log(VB_LOG_ERROR, "store: an operation's text result is not JSON: %s", err.text);
    return v;
}

/* Serialises the results of jobs that asked for text, outside the database
 * lock: the loop thread then only copies bytes, and the trees are built and
 * freed on this one thread. A result that cannot be serialised stays a tree.
 * Text results of jobs that did not ask for text become trees. */
static void serialise_results(vb_job *batch)
{
    for (vb_job *j = batch; j; j = j->next) {
        if (j->status != 0) continue;
        if (!j->text && j->result_text) {
            j->result = vb_store_text_to_tree(j->result_text, j->result_len);
            free(j->result_text);
            j->result_text = NULL;
            j->result_len = 0;
            continue;
        }
        if (!j->text || !j->result) continue;
        j->result_text = json_dumps(j->result, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!j->result_text) continue;
        j->result_len = strlen(j->result_text);
        json_decref(j->result);
        j->result = NULL;
    }
}

/* A lane's thread: takes up to VB_STORE_BATCH_MAX jobs of its queue at a
 * time, runs them as one batch and hands them to the loop. Exits when stop is
 * set and its queue is empty. */
static void lane_thread(void *arg)
{
    vb_lane *l = arg;
    vb_store *s = l->s;
    vb_jobq *q = l->queue;
    uv_mutex_lock(&s->lock);
    for (;;) {
        while (!q->head && !s->stop)
            uv_cond_wait(l->cond, &s->lock);
        if (!q->head) break;
        vb_job *head = q->head, *tail = head;
        uint64_t n = 1;
        while (tail->next && n < VB_STORE_BATCH_MAX) {
            tail = tail->next;
            n++;
        }
        q->head = tail->next;
        if (!q->head) q->tail = NULL;
        tail->next = NULL;
        uv_mutex_unlock(&s->lock);

        if (l->writer) uv_mutex_lock(&s->db_lock);
        run_batch(l->db, head);
        if (l->writer) uv_mutex_unlock(&s->db_lock);
        serialise_results(head);

        uv_mutex_lock(&s->lock);
        jobq_splice(&s->done, head, tail);
        s->stats.ops_total += n;
        s->stats.batches_total++;
        s->stats.batch_size_sum += n;
        if (n > s->stats.max_batch) s->stats.max_batch = n;
        uv_mutex_unlock(&s->lock);
        uv_async_send(&s->async);
        uv_mutex_lock(&s->lock);
    }
    s->exited++;
    uv_mutex_unlock(&s->lock);
    uv_async_send(&s->async);
}

/* Starts lane i's thread. 0 or VB_EIO. */
int vb_store_lane_start(vb_store *s, int i)
{
    vb_lane *l = &s->lanes[i];
    l->s = s;
    l->writer = i == VB_LANE_WRITE;
    l->queue = &s->queues[l->writer ? 0 : 1];
    l->cond = &s->conds[l->writer ? 0 : 1];
    if (uv_thread_create(&l->thread, lane_thread, l) != 0) return VB_EIO;
    l->started = 1;
    return 0;
}
