/*
 * Unit tests of the store (vb_store.h) on a temporary database file: migrations,
 * completions on the loop, group commit, per-operation rollback, events, close,
 * the reader thread.
 *
 * To make batching deterministic, a test first submits a "blocker" operation
 * that waits on a semaphore on the store thread; everything submitted while it
 * waits is queued and taken by the next batch. Loops run until a condition
 * holds, with a watchdog timer so that a bug fails the test instead of hanging.
 */
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/vb_common.h"
#include "core/vb_log.h"
#include "store/vb_db.h"
#include "store/vb_migrations.h"
#include "store/vb_ops.h"
#include "store/vb_store.h"

#define MAX_IDS 600

/* Everything a test observes, shared with the callbacks (one test at a time). */
static struct {
    uv_loop_t loop;
    uv_timer_t watchdog;
    int timed_out;
    char dir[64];
    char url[128];
    uv_sem_t gate;    /* the blocker waits on it */
    uv_sem_t entered; /* the blocker posts it when it runs */
    int cb_count[MAX_IDS];
    int status[MAX_IDS];
    char code[MAX_IDS][48];
    int result_id[MAX_IDS];
    int sink_count[MAX_IDS];
    int sink_before_cb[MAX_IDS]; /* 1 when the sink saw the op before its callback */
    int completed;
    int closed;
    int completed_at_close;
} T;

/* ---- operations (store thread) ---- */

static int64_t arg_id(vb_op_ctx *c)
{
    return json_integer_value(json_object_get(c->args, "id"));
}

static int op_create_items(vb_op_ctx *c)
{
    return vb_db_exec(c->db, "CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, v TEXT)",
                      NULL);
}

/* Inserts item id; with "fail", inserts and then fails (so the insert must be
 * rolled back); emits one event either way. */
static int op_insert(vb_op_ctx *c)
{
    int64_t id = arg_id(c);
    int err = vb_db_exec(c->db, "INSERT INTO items (id, v) VALUES (?, ?)", "is", id, "x");
    if (err) return vb_op_fail(c, err, "INSERT_FAILED", "insert %lld", (long long)id);
    vb_op_event(c, "items", "inserted", json_pack("{s:I}", "id", (json_int_t)id));
    if (json_is_true(json_object_get(c->args, "fail")))
        return vb_op_fail(c, VB_ECONFLICT, "NOPE", "no %lld", (long long)id);
    c->result = json_pack("{s:I}", "id", (json_int_t)id);
    return 0;
}

/* Ends the whole transaction behind the store's back, as a fatal error would. */
static int op_poison(vb_op_ctx *c)
{
    vb_db_exec(c->db, "ROLLBACK", NULL);
    return 0;
}

static int op_block(vb_op_ctx *c)
{
    uv_sem_post(&T.entered);
    uv_sem_wait(&T.gate);
    return 0;
}

static int op_count(vb_op_ctx *c)
{
    int64_t n = -1;
    int err = vb_db_int(c->db, &n, 0, "SELECT count(*) FROM items", NULL);
    if (err) return err;
    c->result = json_pack("{s:I}", "count", (json_int_t)n);
    return 0;
}

static int op_tables(vb_op_ctx *c)
{
    int64_t n = -1, m = -1;
    int err = vb_db_int(c->db, &n, 0,
                        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN"
                        " ('users','refresh_tokens','workspaces','workspace_members','projects',"
                        "'labels','tasks','task_assignees','task_labels','activity',"
                        "'notifications')",
                        NULL);
    if (!err) err = vb_db_int(c->db, &m, 0, "SELECT count(*) FROM schema_migrations", NULL);
    if (err) return err;
    c->result = json_pack("{s:I, s:I}", "tables", (json_int_t)n, "migrations", (json_int_t)m);
    return 0;
}

static int op_future_version(vb_op_ctx *c)
{
    return vb_db_exec(c->db, "INSERT INTO schema_migrations VALUES (?, 'future', 0)", "i",
                      (int64_t)vb_migrations_count + 1);
}

/* Returns its result as text (vb_op_result_text): {"id":N,"s":"é"}; with
 * "fail" set it fails after setting the text. */
static int op_text(vb_op_ctx *c)
{
    vb_db_text t = {0};
    vb_db_text_puts(&t, "{\"id\":");
    vb_db_text_int(&t, arg_id(c));
    vb_db_text_puts(&t, ",\"s\":");
    vb_db_text_str(&t, "\xC3\xA9", 2);
    vb_db_text_puts(&t, "}");
    int rc = vb_op_result_text(c, &t);
    if (rc) return rc;
    if (json_is_true(json_object_get(c->args, "fail")))
        return vb_op_fail(c, VB_ECONFLICT, "NOPE", "failed on purpose");
    return 0;
}

/* Counts the items as result {"id": count}, so on_done records the count. */
static int op_count_as_id(vb_op_ctx *c)
{
    int64_t n = -1;
    int err = vb_db_int(c->db, &n, 0, "SELECT count(*) FROM items", NULL);
    if (err) return err;
    c->result = json_pack("{s:I}", "id", (json_int_t)n);
    return 0;
}

/* ---- loop side ---- */

static void on_done(const vb_store_res *res, void *ud);

/* The text of the last result that came as text. */
static char g_text[128];

static void on_text_done(const vb_store_res *res, void *ud)
{
    snprintf(g_text, sizeof g_text, "%.*s", (int)res->text_len, res->text ? res->text : "");
    assert_true(!res->text || strlen(res->text) == res->text_len);
    if (res->text) assert_null(res->result);
    on_done(res, ud);
}

static void on_done(const vb_store_res *res, void *ud)
{
    int id = (int)(intptr_t)ud;
    T.cb_count[id]++;
    T.status[id] = res->status;
    snprintf(T.code[id], sizeof T.code[id], "%s", res->code ? res->code : "(null)");
    T.result_id[id] =
        res->result ? (int)json_integer_value(json_object_get(res->result, "id")) : -1;
    if (res->status == 0 && T.sink_count[id] > 0) T.sink_before_cb[id] = 1;
    T.completed++;
}

static void on_events(json_t *events, void *ud)
{
    assert_ptr_equal(ud, &T);
    size_t i;
    json_t *ev;
    json_array_foreach(events, i, ev)
    {
        assert_string_equal(json_string_value(json_object_get(ev, "topic")), "items");
        assert_string_equal(json_string_value(json_object_get(ev, "type")), "inserted");
        int id = (int)json_integer_value(json_object_get(json_object_get(ev, "data"), "id"));
        assert_true(id > 0 && id < MAX_IDS);
        assert_int_equal(T.cb_count[id], 0); /* the sink runs before the callback */
        T.sink_count[id]++;
    }
}

static void on_closed(void *arg)
{
    assert_ptr_equal(arg, &T);
    T.closed = 1;
    T.completed_at_close = T.completed;
}

static void on_watchdog(uv_timer_t *t)
{
    T.timed_out = 1;
}

/* Runs the loop until *flag >= want or the watchdog fires. */
static void run_until(int *flag, int want)
{
    uv_timer_start(&T.watchdog, on_watchdog, 20000, 0);
    while (*flag < want && !T.timed_out)
        uv_run(&T.loop, UV_RUN_ONCE);
    uv_timer_stop(&T.watchdog);
    assert_false(T.timed_out);
}

/* Occupies the store thread with a batch of only the blocker (callback id 0),
 * so that what is submitted next is queued until unblock(). */
static void block_store(vb_store *s)
{
    assert_int_equal(vb_store_submit(s, op_block, 1, NULL, on_done, (void *)0), 0);
    uv_sem_wait(&T.entered);
}

static void unblock(void)
{
    uv_sem_post(&T.gate);
}

static int submit_insert(vb_store *s, int id, int fail)
{
    json_t *args = json_pack("{s:i, s:b}", "id", id, "fail", fail);
    return vb_store_submit(s, op_insert, 1, args, on_done, (void *)(intptr_t)id);
}

/* Opens the store at T.url, creating the items table. */
static vb_store *open_store(void)
{
    vb_store *s = NULL;
    assert_int_equal(vb_store_open(&s, &T.loop, T.url), 0);
    assert_non_null(s);
    vb_store_set_event_sink(s, on_events, &T);
    assert_int_equal(vb_store_run_sync(s, op_create_items, NULL, NULL), 0);
    return s;
}

static void close_store(vb_store *s)
{
    T.closed = 0;
    vb_store_close(s, on_closed, &T);
    run_until(&T.closed, 1);
}

static int64_t count_items(vb_store *s)
{
    json_t *res = NULL;
    assert_int_equal(vb_store_run_sync(s, op_count, NULL, &res), 0);
    int64_t n = json_integer_value(json_object_get(res, "count"));
    json_decref(res);
    return n;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove(path);
}

static int setup(void **state)
{
    vb_log_set_level((enum vb_log_level)99); /* expected errors stay quiet */
    memset(&T, 0, sizeof T);
    snprintf(T.dir, sizeof T.dir, "/tmp/vb_store_test.XXXXXX");
    if (!mkdtemp(T.dir)) return -1;
    /* a missing sub/folder exercises mkdir -p */
    snprintf(T.url, sizeof T.url, "sqlite:%s/a/b/test.db", T.dir);
    if (uv_loop_init(&T.loop) != 0 || uv_timer_init(&T.loop, &T.watchdog) != 0) return -1;
    if (uv_sem_init(&T.gate, 0) != 0 || uv_sem_init(&T.entered, 0) != 0) return -1;
    return 0;
}

static int teardown(void **state)
{
    uv_close((uv_handle_t *)&T.watchdog, NULL);
    /* NOWAIT: after a failed test a store may still hold the loop; the
     * failure is already reported, and uv_loop_close then fails teardown. */
    uv_run(&T.loop, UV_RUN_NOWAIT);
    int rc = uv_loop_close(&T.loop);
    uv_sem_destroy(&T.gate);
    uv_sem_destroy(&T.entered);
    nftw(T.dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return rc == 0 ? 0 : -1;
}

/* ---- tests ---- */

static void test_migrations(void **state)
{
    vb_store *s = open_store();
    assert_int_equal(vb_store_schema_version(s), vb_migrations_count);
    json_t *res = NULL;
    assert_int_equal(vb_store_run_sync(s, op_tables, NULL, &res), 0);
    assert_int_equal(json_integer_value(json_object_get(res, "tables")), 11);
    assert_int_equal(json_integer_value(json_object_get(res, "migrations")), vb_migrations_count);
    json_decref(res);
    close_store(s);

    /* reopening applies nothing again */
    s = open_store();
    assert_int_equal(vb_store_schema_version(s), vb_migrations_count);
    assert_int_equal(vb_store_run_sync(s, op_tables, NULL, &res), 0);
    assert_int_equal(json_integer_value(json_object_get(res, "migrations")), vb_migrations_count);
    json_decref(res);

    /* a database newer than the binary is refused */
    assert_int_equal(vb_store_run_sync(s, op_future_version, NULL, NULL), 0);
    close_store(s);
    vb_store *s2 = NULL;
    assert_int_equal(vb_store_open(&s2, &T.loop, T.url), VB_EIO);
    assert_null(s2);
}

static void test_bad_url(void **state)
{
    vb_store *s = NULL;
    assert_int_equal(vb_store_open(&s, &T.loop, "mysql://u:p@localhost/db"), VB_EINVAL);
    /* PostgreSQL that cannot be reached (nothing listens on port 1) */
    assert_int_equal(vb_store_open(&s, &T.loop, "postgres://u:p@127.0.0.1:1/db"), VB_EIO);
    assert_int_equal(vb_store_open(&s, &T.loop, "sqlite:"), VB_EINVAL);
    assert_int_equal(vb_store_open(&s, &T.loop, "nonsense"), VB_EINVAL);
    assert_null(s);
    /* the in-memory database works too */
    assert_int_equal(vb_store_open(&s, &T.loop, "sqlite::memory:"), 0);
    assert_int_equal(vb_store_schema_version(s), vb_migrations_count);
    close_store(s);
}

static void test_group_commit(void **state)
{
    vb_store *s = open_store();
    vb_store_stats before, after;
    vb_store_get_stats(s, &before);
    const int n = 200;
    block_store(s);
    for (int id = 1; id <= n; id++)
        assert_int_equal(submit_insert(s, id, 0), 0);
    vb_store_get_stats(s, &after);
    assert_int_equal(after.queue_depth, n + 1);
    unblock();
    run_until(&T.completed, n + 1);

    for (int id = 1; id <= n; id++) {
        assert_int_equal(T.cb_count[id], 1);
        assert_int_equal(T.status[id], 0);
        assert_string_equal(T.code[id], "");
        assert_int_equal(T.result_id[id], id);
        assert_int_equal(T.sink_count[id], 1);
        assert_int_equal(T.sink_before_cb[id], 1);
    }
    vb_store_get_stats(s, &after);
    uint64_t batches = after.batches_total - before.batches_total;
    assert_int_equal(batches, 2); /* the blocker's batch, then all the rest in one */
    assert_true(batches < (uint64_t)n);
    assert_int_equal(after.ops_total - before.ops_total, n + 1);
    assert_int_equal(after.batch_size_sum - before.batch_size_sum, n + 1);
    assert_int_equal(after.max_batch, n);
    assert_int_equal(after.queue_depth, 0);
    assert_int_equal(count_items(s), n);
    close_store(s);
    /* nothing ran twice */
    for (int id = 1; id <= n; id++)
        assert_int_equal(T.cb_count[id], 1);
}

/* The queue is bounded: with max_queue operations pending, one more is
 * refused with VB_EBUSY (its callback never runs, its args are freed); once
 * they complete there is room again. */
static void test_queue_bound(void **state)
{
    vb_store *s = open_store();
    vb_store_set_max_queue(s, 5);
    block_store(s); /* pending: 1 */
    for (int id = 1; id <= 4; id++)
        assert_int_equal(submit_insert(s, id, 0), 0);
    assert_int_equal(submit_insert(s, 5, 0), VB_EBUSY);
    unblock();
    run_until(&T.completed, 5);
    assert_int_equal(T.cb_count[5], 0);
    assert_int_equal(submit_insert(s, 6, 0), 0);
    run_until(&T.completed, 6);
    assert_int_equal(T.status[6], 0);
    assert_int_equal(count_items(s), 5);
    vb_store_set_max_queue(s, 0); /* the default */
    close_store(s);
}

static void test_failing_op_rolled_back_alone(void **state)
{
    vb_store *s = open_store();
    block_store(s);
    for (int id = 1; id <= 10; id++)
        assert_int_equal(submit_insert(s, id, id == 5), 0);
    /* a conflict from SQL: id 3 again */
    assert_int_equal(submit_insert(s, 3, 0), 0);
    unblock();
    run_until(&T.completed, 12);

    for (int id = 1; id <= 10; id++) {
        if (id == 3) continue;
        assert_int_equal(T.cb_count[id], 1);
    }
    assert_int_equal(T.cb_count[3], 2);
    assert_int_equal(T.status[3], VB_ECONFLICT); /* the second insert of 3 */
    assert_string_equal(T.code[3], "INSERT_FAILED");
    assert_int_equal(T.status[5], VB_ECONFLICT);
    assert_string_equal(T.code[5], "NOPE");
    assert_int_equal(T.result_id[5], -1);
    assert_int_equal(T.sink_count[5], 0); /* no events for a failed op */
    for (int id = 1; id <= 10; id++) {
        if (id == 5) continue;
        assert_int_equal(T.sink_count[id], 1);
    }
    assert_int_equal(T.status[4], 0);
    assert_int_equal(T.status[6], 0);
    assert_int_equal(count_items(s), 9);
    close_store(s);
}

static void test_poisoned_batch_fails_whole(void **state)
{
    vb_store *s = open_store();
    block_store(s);
    assert_int_equal(submit_insert(s, 1, 0), 0);
    assert_int_equal(vb_store_submit(s, op_poison, 1, NULL, on_done, (void *)2), 0);
    assert_int_equal(submit_insert(s, 3, 0), 0);
    unblock();
    run_until(&T.completed, 4);
    for (int id = 1; id <= 3; id++) {
        assert_int_equal(T.cb_count[id], 1);
        assert_int_equal(T.status[id], VB_EIO);
        assert_string_equal(T.code[id], "DATABASE_ERROR");
        assert_int_equal(T.sink_count[id], 0);
    }
    assert_int_equal(count_items(s), 0);
    /* the store goes on working */
    assert_int_equal(submit_insert(s, 7, 0), 0);
    run_until(&T.completed, 5);
    assert_int_equal(T.status[7], 0);
    assert_int_equal(count_items(s), 1);
    close_store(s);
}

static void test_close_drains_and_persists(void **state)
{
    vb_store *s = open_store();
    const int n = 50;
    block_store(s);
    for (int id = 1; id <= n; id++)
        assert_int_equal(submit_insert(s, id, 0), 0);
    vb_store_close(s, on_closed, &T);
    /* close has begun: later submits are refused and their callbacks never run */
    assert_int_equal(submit_insert(s, 500, 0), VB_EBUSY);
    assert_int_equal(vb_store_submit(s, op_count, 0, NULL, on_done, (void *)501), VB_EBUSY);
    unblock();
    run_until(&T.closed, 1);
    assert_int_equal(T.completed_at_close, n + 1);
    for (int id = 1; id <= n; id++) {
        assert_int_equal(T.cb_count[id], 1);
        assert_int_equal(T.status[id], 0);
    }
    assert_int_equal(T.cb_count[500], 0);
    assert_int_equal(T.cb_count[501], 0);

    /* the data is there after reopening */
    s = open_store();
    assert_int_equal(count_items(s), n);
    close_store(s);
}

static int submit_count(vb_store *s, int id)
{
    return vb_store_submit(s, op_count_as_id, 0, NULL, on_done, (void *)(intptr_t)id);
}

/* Reads run on the reader thread beside the writer, see every write whose
 * callback ran before they were submitted, cannot write, complete exactly
 * once when interleaved with writes, and are drained by close. */
static void test_reader_thread(void **state)
{
    vb_store *s = open_store();
    vb_store_stats before, after;
    vb_store_get_stats(s, &before);

    /* A read completes while the writer is blocked: it has its own thread. */
    block_store(s);
    assert_int_equal(submit_count(s, 300), 0);
    run_until(&T.cb_count[300], 1);
    assert_int_equal(T.status[300], 0);
    assert_int_equal(T.result_id[300], 0);
    assert_int_equal(T.cb_count[0], 0); /* the blocker still runs */
    /* A write submitted as a read fails on the read-only connection. */
    assert_int_equal(
        vb_store_submit(s, op_insert, 0, json_pack("{s:i}", "id", 301), on_done, (void *)301), 0);
    run_until(&T.cb_count[301], 1);
    assert_int_equal(T.status[301], VB_EIO);
    /* An ORDERED read goes to the writer lane: it waits behind the blocked
     * writer while a plain read passes it. */
    assert_int_equal(
        vb_store_submit(s, op_count_as_id, VB_STORE_ORDERED, NULL, on_done, (void *)(intptr_t)302),
        0);
    assert_int_equal(submit_count(s, 303), 0);
    run_until(&T.cb_count[303], 1);
    assert_int_equal(T.cb_count[302], 0);
    unblock();
    run_until(&T.cb_count[302], 1);
    assert_int_equal(T.status[302], 0);
    assert_int_equal(T.cb_count[0], 1);

    /* Read-your-writes: a read submitted after a write's callback sees it. */
    for (int k = 1; k <= 20; k++) {
        assert_int_equal(submit_insert(s, k, 0), 0);
        run_until(&T.cb_count[k], 1);
        assert_int_equal(T.status[k], 0);
        assert_int_equal(submit_count(s, 100 + k), 0);
        run_until(&T.cb_count[100 + k], 1);
        assert_int_equal(T.status[100 + k], 0);
        assert_int_equal(T.result_id[100 + k], k);
    }

    /* Interleaved from the loop: each completes exactly once. */
    int want = T.completed;
    for (int k = 21; k <= 80; k++) {
        assert_int_equal(submit_insert(s, k, 0), 0);
        assert_int_equal(submit_count(s, 100 + k), 0);
        want += 2;
    }
    run_until(&T.completed, want);
    for (int k = 21; k <= 80; k++) {
        assert_int_equal(T.cb_count[k], 1);
        assert_int_equal(T.cb_count[100 + k], 1);
        assert_int_equal(T.status[100 + k], 0);
        assert_true(T.result_id[100 + k] >= 20 && T.result_id[100 + k] <= 80);
    }
    vb_store_get_stats(s, &after);
    /* blocker, 2 early reads, 2 ordering reads, 20 + 20, then 60 + 60: both lanes counted */
    assert_int_equal(after.ops_total - before.ops_total, 5 + 40 + 120);
    assert_int_equal(after.queue_depth, 0);
    assert_int_equal(count_items(s), 80);

    /* close drains both lanes: block both threads, queue on both, close. */
    block_store(s);
    assert_int_equal(vb_store_submit(s, op_block, 0, NULL, on_done, (void *)0), 0);
    uv_sem_wait(&T.entered);
    want = T.completed + 2;
    for (int k = 81; k <= 90; k++) {
        assert_int_equal(submit_insert(s, k, 0), 0);
        assert_int_equal(submit_count(s, 100 + k), 0);
        want += 2;
    }
    vb_store_close(s, on_closed, &T);
    assert_int_equal(submit_count(s, 200), VB_EBUSY);
    unblock();
    unblock();
    run_until(&T.closed, 1);
    assert_int_equal(T.completed_at_close, want);
    for (int k = 81; k <= 90; k++) {
        assert_int_equal(T.cb_count[k], 1);
        assert_int_equal(T.status[k], 0);
        assert_int_equal(T.cb_count[100 + k], 1);
        assert_int_equal(T.status[100 + k], 0);
    }
    assert_int_equal(T.cb_count[200], 0);
}

/* An in-memory database has no reader connection: reads run on the writer
 * and see its data. */
static void test_memory_reads_on_writer(void **state)
{
    snprintf(T.url, sizeof T.url, "sqlite::memory:");
    vb_store *s = open_store();
    assert_int_equal(submit_insert(s, 1, 0), 0);
    assert_int_equal(submit_count(s, 101), 0);
    run_until(&T.completed, 2);
    assert_int_equal(T.status[1], 0);
    assert_int_equal(T.status[101], 0);
    assert_int_equal(T.result_id[101], 1); /* FIFO on the one thread */
    close_store(s);
}

static void test_close_idle_and_sync_errors(void **state)
{
    vb_store *s = open_store();
    /* run_sync reports an op's error and rolls it back */
    json_t *res = (json_t *)1;
    json_t *args = json_pack("{s:i, s:b}", "id", 9, "fail", 1);
    assert_int_equal(vb_store_run_sync(s, op_insert, args, &res), VB_ECONFLICT);
    json_decref(args);
    assert_null(res);
    assert_int_equal(count_items(s), 0);
    args = json_pack("{s:i}", "id", 9);
    assert_int_equal(vb_store_run_sync(s, op_insert, args, &res), 0);
    json_decref(args);
    assert_int_equal(json_integer_value(json_object_get(res, "id")), 9);
    json_decref(res);
    assert_int_equal(count_items(s), 1);
    /* closing a store with nothing queued */
    close_store(s);
    assert_int_equal(T.completed_at_close, 0);
}

/* An op's text result goes through as text with VB_STORE_TEXT, becomes a
 * tree without it and from run_sync, and is dropped when the op fails. */
static void test_text_results(void **state)
{
    vb_store *s = open_store();
    assert_int_equal(vb_store_submit(s, op_text, VB_STORE_TEXT, json_pack("{s:i}", "id", 7),
                                     on_text_done, (void *)7),
                     0);
    run_until(&T.completed, 1);
    assert_int_equal(T.status[7], 0);
    assert_string_equal(g_text, "{\"id\":7,\"s\":\"\xC3\xA9\"}");
    assert_int_equal(T.result_id[7], -1); /* no tree beside the text */

    g_text[0] = 'x';
    assert_int_equal(
        vb_store_submit(s, op_text, 0, json_pack("{s:i}", "id", 8), on_text_done, (void *)8), 0);
    run_until(&T.completed, 2);
    assert_int_equal(T.result_id[8], 8);
    assert_string_equal(g_text, "");

    assert_int_equal(vb_store_submit(s, op_text, VB_STORE_TEXT | VB_STORE_WRITE,
                                     json_pack("{s:i, s:b}", "id", 9, "fail", 1), on_text_done,
                                     (void *)9),
                     0);
    run_until(&T.completed, 3);
    assert_int_equal(T.status[9], VB_ECONFLICT);
    assert_string_equal(T.code[9], "NOPE");
    assert_string_equal(g_text, "");

    json_t *args = json_pack("{s:i}", "id", 10), *res = NULL;
    assert_int_equal(vb_store_run_sync(s, op_text, args, &res), 0);
    assert_int_equal(json_integer_value(json_object_get(res, "id")), 10);
    assert_string_equal(json_string_value(json_object_get(res, "s")), "\xC3\xA9");
    json_decref(res);
    json_decref(args);
    close_store(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_migrations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_url, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queue_bound, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failing_op_rolled_back_alone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_poisoned_batch_fails_whole, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_drains_and_persists, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_idle_and_sync_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_text_results, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reader_thread, setup, teardown),
        cmocka_unit_test_setup_teardown(test_memory_reads_on_writer, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
