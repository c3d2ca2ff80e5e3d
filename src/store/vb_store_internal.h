/*
 * Internals of the store shared by its files (store/vb_store*.c only): the
 * jobs, the lanes and struct vb_store. See vb_store.c for the threads and
 * locks.
 */
#ifndef VB_STORE_INTERNAL_H
#define VB_STORE_INTERNAL_H

#include "store/vb_store.h"

#include <jansson.h>
#include <stddef.h>
#include <uv.h>

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

/* One database thread with its connection. The writer has its own queue;
 * the readers (one for SQLite, a pool for PostgreSQL) share one. */
typedef struct vb_lane {
    vb_store *s;
    vb_db *db;
    int writer; /* batches may write (BEGIN IMMEDIATE when one does) */
    int started;
    uv_thread_t thread;
    uv_cond_t *cond; /* s->conds[..]: signalled (under s->lock) on work or stop */
    vb_jobq *queue;  /* s->queues[..], under s->lock */
} vb_lane;

/* Lane 0 is the writer, lanes 1.. the readers; queue/cond 0 the writer's,
 * 1 the readers'. */
enum { VB_LANE_WRITE, VB_LANE_READ };
#define VB_STORE_READERS_MAX 16

struct vb_store {
    uv_loop_t *loop;
    vb_db *db; /* the writer's connection (lanes[VB_LANE_WRITE].db) */
    int schema_version;
    vb_lane lanes[1 + VB_STORE_READERS_MAX];
    int nlanes; /* 1 + readers; 1 when reads stay on the writer (in-memory database) */
    vb_jobq queues[2];
    uv_cond_t conds[2];
    int conds_init;
    uv_mutex_t lock;
    uv_mutex_t db_lock;
    uv_async_t async;
    /* under lock */
    vb_jobq done;
    int stop;   /* the threads exit once their queues are empty */
    int exited; /* how many lane threads have pushed their last batch */
    vb_store_stats stats;
    /* loop thread only */
    size_t pending;   /* submitted, callback not yet run */
    size_t max_queue; /* bound of pending (vb_store_set_max_queue) */
    int closing;
    int async_closed;
    vb_store_event_fn event_fn;
    void *event_ud;
    void (*close_cb)(void *arg);
    void *close_arg;
};

/* A default machine code for an operation that failed without vb_op_fail
 * (vb_store_lane.c). */
const char *vb_store_default_code(int status);
/* Parses an op's text result into a tree for a caller that wants one.
 * NULL when out of memory (logged). (vb_store_lane.c) */
json_t *vb_store_text_to_tree(const char *text, size_t len);
/* Starts lane i's thread (its cond first). 0 or VB_EIO. (vb_store_lane.c) */
int vb_store_lane_start(vb_store *s, int i);
/* 1 if url names PostgreSQL (postgres:// or postgresql://). (vb_store_url.c) */
int vb_store_url_is_pg(const char *url);
/* Turns "sqlite:PATH" into a path for SQLite and creates PATH's parent
 * folders (mkdir -p). *path is malloc'ed. 0, VB_EINVAL or VB_EIO (logged).
 * (vb_store_url.c) */
int vb_store_url_to_path(const char *url, char **path);

#endif
