/*
 * The store (vb_store.h): a writer thread and reader threads ("lanes"),
 * each with its own connection (the readers share one queue), batches (group commit on the
 * writer), and completions posted back to the loop thread.
 *
 * Threads and locks:
 * - lock guards both queues, the done list, the flags stop/exited and stats.
 *   Each lane's thread waits on its own cond for work.
 * - db_lock is held by the writer thread around each batch and by
 *   vb_store_run_sync, so the writer connection is never used by two threads
 *   at once. The reader connection is used by the reader thread only.
 * - Everything else (closing, the async handle, callbacks) belongs to the
 *   loop thread.
 * With an in-memory database (private to its connection) there is only the
 * writer lane, which then runs the reads too.
 */
#include "store/vb_store.h"
#include "core/vb_common.h"
#include "core/vb_log.h"
#include "store/vb_db_internal.h"
#include "store/vb_store_internal.h"

#include <stdlib.h>
#include <string.h>

static void jobq_push(vb_jobq *q, vb_job *j)
{
    j->next = NULL;
    if (q->tail)
        q->tail->next = j;
    else
        q->head = j;
    q->tail = j;
}

static void job_free(vb_job *j)
{
    json_decref(j->args);
    json_decref(j->result);
    free(j->result_text);
    json_decref(j->events);
    json_decref(j->errors);
    free(j);
}

/* Delivers one finished job on the loop thread: events to the sink (only
 * for a success with events), then the caller's callback; frees the job. */
static void complete_job(vb_store *s, vb_job *j)
{
    if (j->status == 0 && s->event_fn && j->events && json_array_size(j->events) > 0)
        s->event_fn(j->events, s->event_ud);
    vb_store_res res = {
        .status = j->status,
        .result = j->status == 0 ? j->result : NULL,
        .text = j->status == 0 ? j->result_text : NULL,
        .text_len = j->status == 0 && j->result_text ? j->result_len : 0,
        .code = j->status == 0 ? "" : j->code,
        .message = j->status == 0 ? "" : j->message,
        .errors = j->status == 0 ? NULL : j->errors,
    };
    s->pending--;
    if (j->cb) j->cb(&res, j->ud);
    job_free(j);
}

static void on_async_closed(uv_handle_t *h)
{
    vb_store *s = h->data;
    void (*cb)(void *) = s->close_cb;
    void *arg = s->close_arg;
    for (int i = 0; i < 1 + VB_STORE_READERS_MAX; i++)
        vb_db_close(s->lanes[i].db);
    if (s->conds_init) {
        uv_cond_destroy(&s->conds[0]);
        uv_cond_destroy(&s->conds[1]);
    }
    uv_mutex_destroy(&s->lock);
    uv_mutex_destroy(&s->db_lock);
    free(s);
    if (cb) cb(arg);
}

/* Loop side: drains the done list until it is empty; once closing and every
 * lane thread has exited (read together with an empty done list, so nothing
 * can follow), joins the threads and closes the handle. */
static void on_async(uv_async_t *h)
{
    vb_store *s = h->data;
    int exited;
    for (;;) {
        uv_mutex_lock(&s->lock);
        vb_job *list = s->done.head;
        s->done.head = s->done.tail = NULL;
        exited = s->exited == s->nlanes;
        uv_mutex_unlock(&s->lock);
        if (!list) break;
        uint64_t n = 0;
        for (vb_job *j = list; j; j = j->next)
            n++;
        uv_mutex_lock(&s->lock);
        s->stats.queue_depth -= n;
        uv_mutex_unlock(&s->lock);
        while (list) {
            vb_job *next = list->next;
            complete_job(s, list);
            list = next;
        }
    }
    if (s->closing && exited && !s->async_closed) {
        s->async_closed = 1;
        /* The threads have left their loops; only uv_async_send is left. */
        for (int i = 0; i < s->nlanes; i++)
            uv_thread_join(&s->lanes[i].thread);
        uv_close((uv_handle_t *)&s->async, on_async_closed);
    }
}

/* Opens the writer connection of url and migrates; then the readers: one for
 * a SQLite file (none in memory), opts->readers for PostgreSQL. A reader that
 * cannot be opened is not fatal (fewer readers; none: reads on the writer). */
static int open_dbs(vb_store *s, const char *url, const vb_store_opts *opts)
{
    int pg = vb_store_url_is_pg(url);
    char *path = NULL;
    int err = pg ? 0 : vb_store_url_to_path(url, &path);
    if (err) return err;
    err = pg ? vb_db_open_pg(&s->db, url) : vb_db_open(&s->db, path);
    if (err == VB_EBUSY) err = VB_EIO;
    if (!err) err = vb_migrate_run(s->db, &s->schema_version);
    s->lanes[VB_LANE_WRITE].db = s->db;
    int want = pg ? opts->readers : strcmp(path, ":memory:") != 0;
    if (want > VB_STORE_READERS_MAX) want = VB_STORE_READERS_MAX;
    for (int i = 0; !err && i < want; i++) {
        vb_db **r = &s->lanes[s->nlanes].db;
        if ((pg ? vb_db_open_pg_reader(r, url) : vb_db_open_reader(r, path)) == 0)
            s->nlanes++;
        else
            vb_log(VB_LOG_WARN, "store: reader connection %d not opened", i + 1);
    }
    if (!err && s->nlanes == 1 && want > 0)
        vb_log(VB_LOG_WARN, "store: no reader connection; reads run on the writer");
    free(path);
    return err;
}

/*
 * Opens the connections, migrates, then starts the lane threads. A reader
 * thread that cannot be started is not fatal: fewer readers (logged).
 */
int vb_store_open_opts(vb_store **out, uv_loop_t *loop, const char *url, const vb_store_opts *opts)
{
    vb_store_opts dflt = {.readers = 2};
    if (!opts) opts = &dflt;
    vb_store *s = calloc(1, sizeof *s);
    if (!s) return VB_ENOMEM;
    s->loop = loop;
    s->nlanes = 1;
    s->max_queue = VB_STORE_DEFAULT_MAX_QUEUE;
    int err = open_dbs(s, url, opts);
    if (err) goto fail_db;
    if (uv_mutex_init(&s->lock) != 0) goto fail_db;
    if (uv_mutex_init(&s->db_lock) != 0) goto fail_lock;
    if (uv_cond_init(&s->conds[0]) != 0) goto fail_db_lock;
    if (uv_cond_init(&s->conds[1]) != 0) {
        uv_cond_destroy(&s->conds[0]);
        goto fail_db_lock;
    }
    s->conds_init = 1;
    if (uv_async_init(loop, &s->async, on_async) != 0) goto fail_conds;
    s->async.data = s;
    if (vb_store_lane_start(s, VB_LANE_WRITE) != 0) {
        /* The handle is closed and s freed by its close callback. */
        s->close_cb = NULL;
        s->nlanes = 0;
        uv_close((uv_handle_t *)&s->async, on_async_closed);
        vb_log(VB_LOG_ERROR, "store: cannot start its thread");
        return VB_EIO;
    }
    int started = 1;
    for (int i = 1; i < s->nlanes; i++) {
        if (vb_store_lane_start(s, i) != 0) {
            vb_log(VB_LOG_WARN, "store: cannot start reader thread %d", i);
            break;
        }
        started++;
    }
    /* No submit has happened yet: lanes not started simply do not exist. */
    for (int i = started; i < s->nlanes; i++) {
        vb_db_close(s->lanes[i].db);
        s->lanes[i].db = NULL;
    }
    s->nlanes = started;
    *out = s;
    return 0;
fail_conds:
    uv_cond_destroy(&s->conds[0]);
    uv_cond_destroy(&s->conds[1]);
fail_db_lock:
    uv_mutex_destroy(&s->db_lock);
fail_lock:
    uv_mutex_destroy(&s->lock);
fail_db:
    for (int i = 1; i < s->nlanes; i++)
        vb_db_close(s->lanes[i].db);
    vb_db_close(s->db);
    free(s);
    return err ? err : VB_EIO;
}

int vb_store_open(vb_store **out, uv_loop_t *loop, const char *url)
{
    return vb_store_open_opts(out, loop, url, NULL);
}

void vb_store_set_event_sink(vb_store *s, vb_store_event_fn fn, void *ud)
{
    s->event_fn = fn;
    s->event_ud = ud;
}

void vb_store_set_max_queue(vb_store *s, size_t max)
{
    s->max_queue = max ? max : VB_STORE_DEFAULT_MAX_QUEUE;
}

int vb_store_submit(vb_store *s, vb_op_fn fn, int flags, json_t *args, vb_store_cb cb, void *ud)
{
    if (!args) args = json_object();
    int full = s->closing || s->pending >= s->max_queue;
    if (full || !fn || !args) {
        json_decref(args);
        return !fn ? VB_EINVAL : full ? VB_EBUSY : VB_ENOMEM;
    }
    vb_job *j = calloc(1, sizeof *j);
    if (!j) {
        json_decref(args);
        return VB_ENOMEM;
    }
    j->fn = fn;
    j->write = (flags & VB_STORE_WRITE) != 0;
    j->text = (flags & VB_STORE_TEXT) != 0;
    j->args = args;
    j->cb = cb;
    j->ud = ud;
    s->pending++;
    /* Reads go to the reader, whose next batch begins a new read transaction:
     * it sees every write whose callback ran before this submit. */
    int q = j->write || (flags & VB_STORE_ORDERED) || s->nlanes == 1 ? 0 : 1;
    uv_mutex_lock(&s->lock);
    jobq_push(&s->queues[q], j);
    s->stats.queue_depth++;
    uv_cond_signal(&s->conds[q]);
    uv_mutex_unlock(&s->lock);
    return 0;
}

/*
 * Runs fn on the calling thread in its own IMMEDIATE transaction, holding
 * db_lock so it never overlaps a batch of the store thread (it waits for the
 * current batch instead). Must not be called from an operation (db_lock is
 * held then). Events are discarded: there is no loop to publish them on.
 * On failure the op's code and message are logged and *result is NULL.
 */
int vb_store_run_sync(vb_store *s, vb_op_fn fn, json_t *args, json_t **result)
{
    if (result) *result = NULL;
    vb_op_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.args = args ? args : json_object();
    ctx.events = json_array();
    int st = VB_ENOMEM;
    if (!ctx.args || !ctx.events) goto done;
    uv_mutex_lock(&s->db_lock);
    ctx.db = s->db;
    st = vb_db_begin(s->db, 1);
    if (st == 0) {
        st = fn(&ctx);
        if (st > 0) st = VB_EIO;
        if (st == 0 && vb_db_txn_broken(s->db)) st = VB_EIO;
        if (st == 0 && vb_db_commit(s->db) != 0) st = VB_EIO;
        if (st != 0) vb_db_rollback(s->db);
    }
    uv_mutex_unlock(&s->db_lock);
    uv_mutex_lock(&s->lock);
    s->stats.ops_total++;
    uv_mutex_unlock(&s->lock);
    if (st != 0)
        /* Refusals (not found, forbidden, invalid) are normal answers; only
         * failures of the database itself are worth a warning. */
        vb_log(st == VB_EIO || st == VB_ENOMEM ? VB_LOG_WARN : VB_LOG_DEBUG,
               "store: operation failed: %s %s", ctx.code[0] ? ctx.code : vb_store_default_code(st),
               ctx.message);
done:
    if (st == 0 && result) {
        if (ctx.result_text) {
            json_decref(ctx.result);
            ctx.result = vb_store_text_to_tree(ctx.result_text, ctx.result_text_len);
        }
        *result = ctx.result;
        ctx.result = NULL;
    }
    free(ctx.result_text);
    json_decref(ctx.result);
    json_decref(ctx.events);
    json_decref(ctx.errors);
    if (ctx.args != args) json_decref((json_t *)ctx.args);
    return st;
}

void vb_store_get_stats(vb_store *s, vb_store_stats *out)
{
    uv_mutex_lock(&s->lock);
    *out = s->stats;
    uv_mutex_unlock(&s->lock);
}

int vb_store_schema_version(vb_store *s)
{
    return s->schema_version;
}

void vb_store_close(vb_store *s, void (*cb)(void *arg), void *arg)
{
    if (s->closing) return;
    s->closing = 1;
    s->close_cb = cb;
    s->close_arg = arg;
    uv_mutex_lock(&s->lock);
    s->stop = 1;
    uv_cond_broadcast(&s->conds[0]);
    uv_cond_broadcast(&s->conds[1]);
    uv_mutex_unlock(&s->lock);
    /* Each thread drains its queue, counts itself in exited and wakes
     * on_async, which runs the remaining completions, joins them (once all
     * have exited) and frees s. */
}
