/*
 * The pipeline of PostgreSQL writer transactions (vb_db_pg_pipe.c), on a
 * fresh database named by VIBED_TEST_PG_URL (every test is skipped without
 * it): statements whose results are not read are deferred; when one of them
 * fails, the transaction is broken and retryable, the batch runs again
 * without deferring and each operation gets its own outcome (the failing
 * one its error, the others success; an operation that fails after it
 * wrote is undone although no savepoint was sent); row counts and reads after deferred
 * statements are right; more deferred statements than the pipeline holds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/vb_common.h"
#include "core/vb_log.h"
#include "store/vb_db_backend.h"
#include "store/vb_db_internal.h"
#include "store/vb_store.h"
#include "support/vb_test_db.h"

#define N_OPS 8

static struct {
    vbt_db d;
    vb_db *db;
    uv_loop_t loop;
    uv_sem_t gate, entered;
    int status[N_OPS + 1];
    char code[N_OPS + 1][48];
    int completed, closed;
} T;

static int setup(void **state)
{
    (void)state;
    vb_log_set_level((enum vb_log_level)99); /* expected SQL errors stay quiet */
    memset(&T, 0, sizeof T);
    if (!vbt_db_is_pg()) return 0;
    if (vbt_db_create(&T.d) != 0 || vb_db_open_pg(&T.db, T.d.url) != 0) return -1;
    return vb_db_script(T.db, "CREATE TABLE items (id BIGINT PRIMARY KEY, v TEXT)");
}

static int teardown(void **state)
{
    (void)state;
    if (!vbt_db_is_pg()) return 0;
    vb_db_close(T.db);
    vbt_db_drop(&T.d);
    return 0;
}

static int64_t count_items(void)
{
    int64_t n = -1;
    assert_int_equal(vb_db_int(T.db, &n, 0, "SELECT COUNT(*) FROM items", NULL), 0);
    return n;
}

static int insert(int64_t id)
{
    return vb_db_exec(T.db, "INSERT INTO items (id, v) VALUES (?, 'x')", "i", id);
}

/* A deferred insert that fails is found by the next read: the read fails
 * with the retry code and the transaction is broken and retryable; the run
 * after it does not defer (the duplicate fails at its own statement), and
 * the run after that defers again. */
static void test_failure_found_by_next_read(void **state)
{
    (void)state;
    if (!vbt_db_is_pg()) skip();
    int64_t n = 0;
    assert_int_equal(insert(1), 0);
    for (int round = 0; round < 2; round++) {
        assert_int_equal(vb_db_begin(T.db, 1 | VB_DB_RERUN), 0);
        assert_int_equal(vb_db_savepoint(T.db), 0);
        assert_int_equal(insert(1), 0); /* deferred: not known yet */
        assert_int_equal(vb_db_int(T.db, &n, 0, "SELECT COUNT(*) FROM items", NULL), VB_DB_ERETRY);
        assert_true(vb_db_txn_broken(T.db));
        assert_true(vb_db_txn_retry(T.db));
        assert_int_not_equal(vb_db_commit(T.db), 0);
        vb_db_rollback(T.db);
        /* the batch again: the duplicate fails at once, its savepoint undoes it */
        assert_int_equal(vb_db_begin(T.db, 1 | VB_DB_RERUN), 0);
        assert_int_equal(vb_db_savepoint(T.db), 0);
        assert_int_equal(insert(1), VB_ECONFLICT);
        assert_false(vb_db_txn_broken(T.db));
        assert_int_equal(vb_db_rollback_to(T.db), 0);
        assert_int_equal(vb_db_release(T.db), 0);
        assert_int_equal(vb_db_commit(T.db), 0);
    }
    assert_int_equal(count_items(), 1);
}

/* Row counts of deferred statements; a read sees the deferred writes. */
static void test_changes_and_reads(void **state)
{
    (void)state;
    if (!vbt_db_is_pg()) skip();
    int64_t n = 0;
    assert_int_equal(vb_db_begin(T.db, 1 | VB_DB_RERUN), 0);
    assert_int_equal(vb_db_savepoint(T.db), 0);
    for (int i = 10; i < 13; i++)
        assert_int_equal(insert(i), 0);
    assert_int_equal(vb_db_exec(T.db, "UPDATE items SET v = 'y' WHERE id >= 10", NULL), 0);
    assert_int_equal(vb_db_changes(T.db), 3);
    assert_int_equal(vb_db_exec(T.db, "DELETE FROM items WHERE id = 99", NULL), 0);
    assert_int_equal(vb_db_changes(T.db), 0);
    assert_int_equal(vb_db_int(T.db, &n, 0, "SELECT COUNT(*) FROM items WHERE v = 'y'", NULL), 0);
    assert_int_equal(n, 3);
    assert_int_equal(vb_db_release(T.db), 0);
    assert_int_equal(vb_db_commit(T.db), 0);
    assert_int_equal(count_items(), 3);
}

/* More deferred statements than the pipeline holds, and a failure among
 * them past the first sync. */
static void test_long_pipeline(void **state)
{
    (void)state;
    if (!vbt_db_is_pg()) skip();
    assert_int_equal(vb_db_begin(T.db, 1 | VB_DB_RERUN), 0);
    for (int i = 1; i <= 300; i++) {
        assert_int_equal(vb_db_savepoint(T.db), 0);
        assert_int_equal(insert(i), 0);
        assert_int_equal(vb_db_release(T.db), 0);
    }
    assert_int_equal(vb_db_commit(T.db), 0);
    assert_int_equal(count_items(), 300);

    assert_int_equal(vb_db_begin(T.db, 1 | VB_DB_RERUN), 0);
    int rc = 0;
    for (int i = 301; i <= 600 && rc == 0; i++)
        rc = insert(i == 450 ? 7 : i);
    if (rc == 0) rc = vb_db_commit(T.db);
    assert_int_equal(rc, VB_DB_ERETRY);
    assert_true(vb_db_txn_retry(T.db));
    vb_db_rollback(T.db);
    assert_int_equal(count_items(), 300);
}

/* A script (simple protocol, not allowed in a pipeline) in a pipelined
 * transaction makes it run again without one, where it works. */
static void test_script_reruns(void **state)
{
    (void)state;
    if (!vbt_db_is_pg()) skip();
    assert_int_equal(insert(1), 0);
    assert_int_equal(vb_db_begin(T.db, 1 | VB_DB_RERUN), 0);
    assert_int_equal(vb_db_savepoint(T.db), 0);
    assert_int_equal(vb_db_script(T.db, "UPDATE items SET v = 'z'"), VB_DB_ERETRY);
    assert_true(vb_db_txn_broken(T.db));
    assert_true(vb_db_txn_retry(T.db));
    vb_db_rollback(T.db);
    assert_int_equal(vb_db_begin(T.db, 1 | VB_DB_RERUN), 0);
    assert_int_equal(vb_db_savepoint(T.db), 0);
    assert_int_equal(vb_db_script(T.db, "UPDATE items SET v = 'z'"), 0);
    assert_int_equal(vb_db_release(T.db), 0);
    assert_int_equal(vb_db_commit(T.db), 0);
    int64_t n = 0;
    assert_int_equal(vb_db_int(T.db, &n, 0, "SELECT COUNT(*) FROM items WHERE v = 'z'", NULL), 0);
    assert_int_equal(n, 1);
}

/* ---- through the store: one batch, one operation with a duplicate ---- */

static int op_block(vb_op_ctx *c)
{
    (void)c;
    uv_sem_post(&T.entered);
    uv_sem_wait(&T.gate);
    return 0;
}

/* Inserts item "id" (deferred) and reads nothing: a duplicate is known only
 * after the operation returned. With "fail", fails after the insert (which
 * must then be undone). */
static int op_insert(vb_op_ctx *c)
{
    int64_t id = json_integer_value(json_object_get(c->args, "id"));
    int err = vb_db_exec(c->db, "INSERT INTO items (id, v) VALUES (?, 'x')", "i", id);
    if (err == VB_ECONFLICT)
        return vb_op_fail(c, err, "DUPLICATE", "item %lld exists", (long long)id);
    if (err) return err;
    if (json_is_true(json_object_get(c->args, "fail")))
        return vb_op_fail(c, VB_EINVAL, "NOPE", "item %lld refused", (long long)id);
    c->result = json_pack("{s:I}", "id", (json_int_t)id);
    return 0;
}

static void on_done(const vb_store_res *res, void *ud)
{
    int i = (int)(intptr_t)ud;
    T.status[i] = res->status;
    snprintf(T.code[i], sizeof T.code[i], "%s", res->code);
    T.completed++;
}

static void on_closed(void *arg)
{
    (void)arg;
    T.closed = 1;
}

static void test_store_batch_rerun(void **state)
{
    (void)state;
    if (!vbt_db_is_pg()) skip();
    vb_store *s = NULL;
    assert_int_equal(uv_loop_init(&T.loop), 0);
    assert_int_equal(uv_sem_init(&T.gate, 0), 0);
    assert_int_equal(uv_sem_init(&T.entered, 0), 0);
    assert_int_equal(insert(1000 + 5), 0); /* op 5 will collide with it */
    assert_int_equal(vb_store_open(&s, &T.loop, T.d.url), 0);
    /* a blocker holds the writer so that every insert joins one batch */
    assert_int_equal(vb_store_submit(s, op_block, VB_STORE_WRITE, NULL, on_done, (void *)0), 0);
    uv_sem_wait(&T.entered);
    for (int i = 1; i <= N_OPS; i++)
        assert_int_equal(vb_store_submit(s, op_insert, VB_STORE_WRITE,
                                         json_pack("{s:i, s:b}", "id", 1000 + i, "fail", i == 3),
                                         on_done, (void *)(intptr_t)i),
                         0);
    uv_sem_post(&T.gate);
    while (T.completed < N_OPS + 1)
        uv_run(&T.loop, UV_RUN_ONCE);
    vb_store_stats st;
    vb_store_get_stats(s, &st);
    assert_int_equal(st.max_batch, N_OPS);
    for (int i = 1; i <= N_OPS; i++) {
        assert_int_equal(T.status[i], i == 5 ? VB_ECONFLICT : i == 3 ? VB_EINVAL : 0);
        assert_string_equal(T.code[i], i == 5 ? "DUPLICATE" : i == 3 ? "NOPE" : "");
    }
    vb_store_close(s, on_closed, NULL);
    while (!T.closed)
        uv_run(&T.loop, UV_RUN_ONCE);
    assert_int_equal(uv_loop_close(&T.loop), 0);
    uv_sem_destroy(&T.gate);
    uv_sem_destroy(&T.entered);
    assert_int_equal(count_items(), N_OPS - 1); /* all but item 3 (5 was there) */
    int64_t n = -1;
    assert_int_equal(vb_db_int(T.db, &n, 0, "SELECT COUNT(*) FROM items WHERE id = 1003", NULL), 0);
    assert_int_equal(n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_failure_found_by_next_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_changes_and_reads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_pipeline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_script_reruns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_batch_rerun, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
