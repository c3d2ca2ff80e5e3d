/*
 * The store (vb_store.h): a writer thread and a reader thread ("lanes"),
 * each with its own connection and queue, batches (group commit on the
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

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define VB_STORE_BATCH_MAX 512

/* One submitted operation, from vb_store_submit until its callback ran. */
typedef struct vb_job {
    struct vb_job *next; /* queue or done list */
    vb_op_fn fn;
    int write;
    int text; /* VB_STORE_TEXT asked */
    json_t *args;
    vb_store_cb cb;
    void *ud;
    /* outcome, set by the store thread */
    int status;
    json_t *result;
    char *result_text; /* with text: the serialised result */
    size_t result_len;
    json_t *events;
    json_t *errors;
    char code[48];
    char message[256];
} vb_job;

/* A singly linked FIFO of jobs. */
typedef struct vb_jobq {
    vb_job *head, *tail;
} vb_jobq;

/* One database thread with its connection and queue. */
typedef struct vb_lane {
    vb_store *s;
    vb_db *db;
    int writer; /* batches may write (BEGIN IMMEDIATE when one does) */
    int started;
    uv_thread_t thread;
    uv_cond_t cond; /* signalled (under s->lock) when queue gets work or stop */
    vb_jobq queue;  /* under s->lock */
} vb_lane;

enum { VB_LANE_WRITE, VB_LANE_READ };

struct vb_store {
    uv_loop_t *loop;
    vb_db *db; /* the writer's connection (lanes[VB_LANE_WRITE].db) */
    int schema_version;
    vb_lane lanes[2];
    int nlanes; /* 2, or 1 when reads stay on the writer (in-memory database) */
    uv_mutex_t lock;
    uv_mutex_t db_lock;
    uv_async_t async;
    /* under lock */
    vb_jobq done;
    int stop;   /* the threads exit once their queues are empty */
    int exited; /* how many lane threads have pushed their last batch */
    vb_store_stats stats;
    /* loop thread only */
    int closing;
    int async_closed;
    vb_store_event_fn event_fn;
    void *event_ud;
    void (*close_cb)(void *arg);
    void *close_arg;
};

static void jobq_push(vb_jobq *q, vb_job *j)
{
    j->next = NULL;
    if (q->tail)
        q->tail->next = j;
    else
        q->head = j;
    q->tail = j;
}

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

static void job_free(vb_job *j)
{
    json_decref(j->args);
    json_decref(j->result);
    free(j->result_text);
    json_decref(j->events);
    json_decref(j->errors);
    free(j);
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
static const char *default_code(int status)
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

/* Marks j failed with VB_EIO because its batch was not committed. */
static void job_set_db_error(vb_job *j)
{
    j->status = VB_EIO;
    free(j->result_text);
    j->result_text = NULL;
    j->result_len = 0;
    json_decref(j->result);
    json_decref(j->events);
    json_decref(j->errors);
    j->result = j->events = j->errors = NULL;
    snprintf(j->code, sizeof j->code, "DATABASE_ERROR");
    snprintf(j->message, sizeof j->message, "Database error");
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
        snprintf(j->code, sizeof j->code, "%s", ctx.code[0] ? ctx.code : default_code(st));
        snprintf(j->message, sizeof j->message, "%s", ctx.message);
    }
    return broken;
}

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
    int ok = vb_db_begin(db, any_write) == 0;
    for (vb_job *j = batch; ok && j; j = j->next)
        if (run_job(db, j) != 0) ok = 0;
    if (ok && vb_db_commit(db) != 0) ok = 0;
    if (ok) return;
    vb_db_rollback(db);
    vb_log(VB_LOG_ERROR, "store: batch rolled back; its operations fail");
    for (vb_job *j = batch; j; j = j->next)
        job_set_db_error(j);
}

/* Parses an op's text result into a tree for a caller that wants one.
 * NULL when out of memory (logged). */
static json_t *text_to_tree(const char *text, size_t len)
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
            j->result = text_to_tree(j->result_text, j->result_len);
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
    vb_jobq *q = &l->queue;
    uv_mutex_lock(&s->lock);
    for (;;) {
        while (!q->head && !s->stop)
            uv_cond_wait(&l->cond, &s->lock);
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
    if (j->cb) j->cb(&res, j->ud);
    job_free(j);
}

static void on_async_closed(uv_handle_t *h)
{
    vb_store *s = h->data;
    void (*cb)(void *) = s->close_cb;
    void *arg = s->close_arg;
    for (int i = 0; i < 2; i++) {
        vb_db_close(s->lanes[i].db);
        if (s->lanes[i].started) uv_cond_destroy(&s->lanes[i].cond);
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

/* Turns "sqlite:PATH" into a path for SQLite and creates PATH's parent
 * folders (mkdir -p). *path is malloc'ed. 0, VB_EINVAL or VB_EIO (logged). */
static int url_to_path(const char *url, char **path)
{
    if (!url || strncmp(url, "sqlite:", 7) != 0) {
        /* Only the scheme is logged: the rest may hold a password. */
        const char *colon = url ? strchr(url, ':') : NULL;
        vb_log(VB_LOG_ERROR,
               "database scheme \"%.*s\": that backend is not built yet (use sqlite:PATH)",
               colon ? (int)(colon - url) : 0, url ? url : "");
        return VB_EINVAL;
    }
    const char *p = url + 7;
    if (!*p) {
        vb_log(VB_LOG_ERROR, "database url %s has no path", url);
        return VB_EINVAL;
    }
    if (!(*path = strdup(p))) return VB_ENOMEM;
    if (strcmp(p, ":memory:") == 0) return 0;
    char *dir = strdup(p);
    if (!dir) return VB_ENOMEM;
    char *slash = strrchr(dir, '/');
    int err = 0;
    if (slash && slash != dir) {
        *slash = '\0';
        for (char *c = dir + 1; !err; c++) {
            if (*c != '/' && *c != '\0') continue;
            char saved = *c;
            *c = '\0';
            if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
                vb_log(VB_LOG_ERROR, "cannot create folder %s: %s", dir, strerror(errno));
                err = VB_EIO;
            }
            *c = saved;
            if (!saved) break;
        }
    }
    free(dir);
    if (err) {
        free(*path);
        *path = NULL;
    }
    return err;
}

/* Starts lane i's thread (its cond first). 0 or VB_EIO. */
static int lane_start(vb_store *s, int i)
{
    vb_lane *l = &s->lanes[i];
    l->s = s;
    l->writer = i == VB_LANE_WRITE;
    if (uv_cond_init(&l->cond) != 0) return VB_EIO;
    if (uv_thread_create(&l->thread, lane_thread, l) != 0) {
        uv_cond_destroy(&l->cond);
        return VB_EIO;
    }
    l->started = 1;
    return 0;
}

/*
 * Opens the writer connection, migrates, and (for a database file) opens the
 * reader connection; then starts the lane threads. A reader that cannot be
 * opened or started is not fatal: reads then stay on the writer (logged).
 */
int vb_store_open(vb_store **out, uv_loop_t *loop, const char *url)
{
    char *path = NULL;
    int err = url_to_path(url, &path);
    if (err) return err;
    vb_store *s = calloc(1, sizeof *s);
    if (!s) {
        free(path);
        return VB_ENOMEM;
    }
    s->loop = loop;
    s->nlanes = 1;
    err = vb_db_open(&s->db, path);
    if (!err) err = vb_migrate_run(s->db, &s->schema_version);
    s->lanes[VB_LANE_WRITE].db = s->db;
    /* An in-memory database is private to its connection: no reader. */
    if (!err && strcmp(path, ":memory:") != 0) {
        if (vb_db_open_reader(&s->lanes[VB_LANE_READ].db, path) == 0)
            s->nlanes = 2;
        else
            vb_log(VB_LOG_WARN, "store: no reader connection; reads run on the writer");
    }
    free(path);
    if (err) goto fail_db;
    if (uv_mutex_init(&s->lock) != 0) goto fail_db;
    if (uv_mutex_init(&s->db_lock) != 0) goto fail_lock;
    if (uv_async_init(loop, &s->async, on_async) != 0) goto fail_db_lock;
    s->async.data = s;
    if (lane_start(s, VB_LANE_WRITE) != 0) {
        /* The handle is closed and s freed by its close callback. */
        s->close_cb = NULL;
        uv_close((uv_handle_t *)&s->async, on_async_closed);
        vb_log(VB_LOG_ERROR, "store: cannot start its thread");
        return VB_EIO;
    }
    if (s->nlanes == 2 && lane_start(s, VB_LANE_READ) != 0) {
        /* No submit has happened yet: the writer may simply take the reads. */
        vb_log(VB_LOG_WARN, "store: cannot start the reader thread; reads run on the writer");
        vb_db_close(s->lanes[VB_LANE_READ].db);
        s->lanes[VB_LANE_READ].db = NULL;
        s->nlanes = 1;
    }
    *out = s;
    return 0;
fail_db_lock:
    uv_mutex_destroy(&s->db_lock);
fail_lock:
    uv_mutex_destroy(&s->lock);
fail_db:
    vb_db_close(s->lanes[VB_LANE_READ].db);
    vb_db_close(s->db);
    free(s);
    return err ? err : VB_EIO;
}

void vb_store_set_event_sink(vb_store *s, vb_store_event_fn fn, void *ud)
{
    s->event_fn = fn;
    s->event_ud = ud;
}

int vb_store_submit(vb_store *s, vb_op_fn fn, int flags, json_t *args, vb_store_cb cb, void *ud)
{
    if (!args) args = json_object();
    if (s->closing || !fn || !args) {
        json_decref(args);
        return !fn ? VB_EINVAL : s->closing ? VB_EBUSY : VB_ENOMEM;
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
    /* Reads go to the reader, whose next batch begins a new read transaction:
     * it sees every write whose callback ran before this submit. */
    int writer_lane = j->write || (flags & VB_STORE_ORDERED) || s->nlanes == 1;
    vb_lane *l = &s->lanes[writer_lane ? VB_LANE_WRITE : VB_LANE_READ];
    uv_mutex_lock(&s->lock);
    jobq_push(&l->queue, j);
    s->stats.queue_depth++;
    uv_cond_signal(&l->cond);
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
               "store: operation failed: %s %s", ctx.code[0] ? ctx.code : default_code(st),
               ctx.message);
done:
    if (st == 0 && result) {
        if (ctx.result_text) {
            json_decref(ctx.result);
            ctx.result = text_to_tree(ctx.result_text, ctx.result_text_len);
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
    for (int i = 0; i < s->nlanes; i++)
        uv_cond_signal(&s->lanes[i].cond);
    uv_mutex_unlock(&s->lock);
    /* Each thread drains its queue, counts itself in exited and wakes
     * on_async, which runs the remaining completions, joins them (once all
     * have exited) and frees s. */
}
