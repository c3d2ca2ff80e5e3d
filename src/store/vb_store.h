/*
 * The store: every database access of vibed goes through here.
 *
 * The store owns database threads, each with its own connection: the writer
 * and the readers (one for SQLite, DB_READERS for PostgreSQL, sharing one
 * queue). Callers on the loop thread submit an operation (a
 * vb_op_fn with JSON arguments); one with VB_STORE_WRITE goes to the writer's
 * queue, one without to the reader's. Each thread runs its queued operations
 * in batches, one transaction per batch (group commit on the writer), each
 * operation inside its own SAVEPOINT so that a failing one is rolled back
 * alone. After COMMIT, completions are posted back to the loop thread, where
 * the events each operation produced are handed to the event sink and then
 * the caller's callback runs. A write is thus acknowledged only once it is
 * durable, and its events are published only once it is committed.
 *
 * Ordering: completions of the two threads arrive in any order between them.
 * A reader batch starts a new read transaction (WAL snapshot), so a read
 * submitted after a write's callback has run sees that write; a read
 * submitted while a write is still pending may not. The reader connection is
 * query_only: an operation that writes must carry VB_STORE_WRITE. With an
 * in-memory database ("sqlite::memory:", which one connection cannot share)
 * there is no reader: the writer runs every operation, in submission order.
 *
 * Results: an operation sets a jansson tree (ctx->result) or, for the hot
 * reads, JSON text it wrote directly (ctx->result_text, see vb_db_rows_text);
 * with VB_STORE_TEXT the caller gets text either way, serialised on the store
 * thread, so the loop thread only copies bytes.
 *
 * No database type appears in this header: operations see a vb_db (vb_db.h),
 * implemented by a SQLite and a PostgreSQL backend (vb_db_backend.h).
 */
#ifndef VB_STORE_H
#define VB_STORE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct vb_store vb_store;
typedef struct vb_db vb_db;

/* What an operation sees while it runs on the store thread. */
typedef struct vb_op_ctx {
    vb_db *db;
    const json_t *args; /* the arguments given to vb_store_submit (borrowed) */
    json_t *result;     /* set by the operation (owned by the ctx); sent to the caller */
    /* Or, instead of result: the result already as compact JSON text
     * (malloc'ed, NUL-terminated, owned by the ctx; see vb_op_result_text in
     * vb_ops.h). With VB_STORE_TEXT it goes to the caller as it is; without,
     * the store parses it into res->result. */
    char *result_text;
    size_t result_text_len;
    json_t *events; /* array; vb_op_event() appends; published after commit */
    /* error details, set with vb_op_fail() */
    char code[48];     /* machine code, e.g. "WORKSPACE_NOT_FOUND" */
    char message[256]; /* human message */
    json_t *errors;    /* optional [{field, message}] for VB_EINVAL */
} vb_op_ctx;

/* An operation returns 0 or a negative vb_err. On error its changes are rolled
 * back (to its savepoint); result and events are discarded. */
typedef int (*vb_op_fn)(vb_op_ctx *ctx);

/* Records an error on ctx and returns err, so ops can `return vb_op_fail(...)`. */
int vb_op_fail(vb_op_ctx *ctx, int err, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Appends an event {topic, type, data} to be published after commit. Steals
 * data. When the op's args carry a string "origin", the event carries it too. */
void vb_op_event(vb_op_ctx *ctx, const char *topic, const char *type, json_t *data);

/* What the caller's callback receives, on the loop thread. Valid only during
 * the callback; take a reference (json_incref) to keep result. */
typedef struct vb_store_res {
    int status;       /* 0 or negative vb_err */
    json_t *result;   /* may be NULL; NULL when text is set */
    const char *text; /* with VB_STORE_TEXT: the result as compact JSON text, or NULL */
    size_t text_len;
    const char *code; /* "" on success */
    const char *message;
    json_t *errors; /* may be NULL */
} vb_store_res;

typedef void (*vb_store_cb)(const vb_store_res *res, void *ud);
/* Receives the committed events of one operation (array of {topic,type,data}),
 * on the loop thread, before the operation's callback. Borrowed. */
typedef void (*vb_store_event_fn)(json_t *events, void *ud);

/* Counted over both threads. */
typedef struct vb_store_stats {
    uint64_t ops_total;
    uint64_t batches_total;
    uint64_t max_batch;
    uint64_t queue_depth;    /* submitted, not yet completed */
    uint64_t batch_size_sum; /* ops_total over batches, for an average */
} vb_store_stats;

/*
 * Opens the database named by url ("sqlite:PATH", or "sqlite::memory:" for
 * tests), creates the parent folder of PATH if needed, sets WAL mode, runs the
 * pending migrations (on the calling thread, before the store thread starts),
 * then starts the store thread. Returns 0 or VB_EIO / VB_EINVAL (the reason is
 * logged).
 */
int vb_store_open(vb_store **out, uv_loop_t *loop, const char *url);
/* Options of vb_store_open_opts. */
typedef struct vb_store_opts {
    int readers; /* reader connections and threads for PostgreSQL (default 2; SQLite: 1) */
} vb_store_opts;
/* vb_store_open with options (NULL: the defaults). url may also be
 * postgres://... or postgresql://... (a libpq connection URI). */
int vb_store_open_opts(vb_store **out, uv_loop_t *loop, const char *url, const vb_store_opts *opts);
/* Sets the sink for committed events (may be called once, before submits). */
void vb_store_set_event_sink(vb_store *s, vb_store_event_fn fn, void *ud);
/* Flags of vb_store_submit. */
enum {
    VB_STORE_WRITE = 1,   /* the operation changes data */
    VB_STORE_TEXT = 2,    /* serialise the result to JSON text on the store thread
                             (res->text) and free the tree there: the loop thread
                             then only copies bytes */
    VB_STORE_ORDERED = 4, /* a read that must be ordered with the events of writes:
                             it runs on the writer lane, so every write committed
                             before it has had its events published before its
                             callback runs, and every later write's events come
                             after it. Access checks that start a subscription
                             (a live stream, a chat room) use it: a removal cannot
                             slip between the check and the subscription. */
};

/* Operations submitted and not yet completed, over both lanes, by default
 * (STORE_MAX_QUEUE); one more is refused with VB_EBUSY. */
#define VB_STORE_DEFAULT_MAX_QUEUE 10000
/* Sets the queue bound (0: VB_STORE_DEFAULT_MAX_QUEUE). Loop thread. */
void vb_store_set_max_queue(vb_store *s, size_t max);

/*
 * Queues fn with args (stolen; may be NULL, then {} is used). flags:
 * VB_STORE_WRITE for an operation that changes data (runs on the writer
 * thread); without it the operation is read-only and runs on the reader
 * thread, inside a read batch. VB_STORE_TEXT as above.
 * cb runs later on the loop thread, exactly once, unless this returns an error
 * (VB_EBUSY when the queue is full, see vb_store_set_max_queue, or after
 * close began), in which case cb is never called.
 */
int vb_store_submit(vb_store *s, vb_op_fn fn, int flags, json_t *args, vb_store_cb cb, void *ud);
/*
 * Runs fn synchronously on the calling thread in its own transaction on the
 * writer's connection, between two writer batches (for the CLI: migrate,
 * seed-demo; never on the loop thread of a running server, never from inside
 * an operation). Reads submitted after it returns see its changes. args is borrowed; the op's
 * events are discarded. Returns the op's status; *result (if non-NULL) receives the op's result.
 */
int vb_store_run_sync(vb_store *s, vb_op_fn fn, json_t *args, json_t **result);
void vb_store_get_stats(vb_store *s, vb_store_stats *out);
/* Schema version after migrations. */
int vb_store_schema_version(vb_store *s);
/* Finishes every queued operation of both threads (their callbacks run),
 * stops and joins the threads, closes both connections and frees s. Must be called on the loop
 * thread while the loop still runs; cb (may be NULL) runs when done. */
void vb_store_close(vb_store *s, void (*cb)(void *arg), void *arg);

#endif
