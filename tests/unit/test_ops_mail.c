/*
 * Unit tests of the outbox operations: enqueue in the caller's transaction
 * (and the opt-out), claims under a lease (one owner wins, an expired
 * "sending" claim is taken over), the commit step (only the holder; an
 * expired "committing" row is given up, never resent), outcomes, and the job
 * lease.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/vb_common.h"
#include "core/vb_id.h"
#include "store/vb_ops_mail.h"
#include "support/vb_test_store.h"

static vbt_store F;
static char U1[VB_ID_LEN + 1], U2[VB_ID_LEN + 1];

static int seed(vb_op_ctx *c)
{
    int rc = vbt_store_seed_user(c->db, U1, "ann", "Ann", "A");
    if (!rc) rc = vbt_store_seed_user(c->db, U2, "bob", "Bob", "B");
    if (!rc)
        rc = vb_db_exec(c->db, "UPDATE users SET email_notifications = 0 WHERE id = ?", "s", U2);
    return rc;
}

static int setup(void **state)
{
    char *ids[] = {U1, U2};
    (void)state;
    return vbt_store_setup(&F, ids, 2, seed);
}

static int teardown(void **state)
{
    (void)state;
    return vbt_store_close(&F);
}

/* Queues {args.template} to args.to, then fails when args.fail is set (the
 * mail must vanish with the rest of the operation). */
static int op_enqueue(vb_op_ctx *c)
{
    json_t *a = (json_t *)c->args;
    int rc = vb_mail_enqueue(c, vbt_str(a, "template"), vbt_str(a, "to"), json_object());
    if (rc) return rc;
    return json_is_true(json_object_get(a, "fail")) ? vb_op_fail(c, VB_EINVAL, "NO", "rolled back")
                                                    : 0;
}

static void enqueue(const char *tmpl, const char *to, int fail)
{
    vbt_store_run(&F, op_enqueue,
                  json_pack("{s:s, s:s, s:b}", "template", tmpl, "to", to, "fail", fail), NULL);
}

static json_t *claim(const char *owner, int64_t lease)
{
    json_t *res = NULL;
    assert_int_equal(vbt_store_run(&F, vb_op_mail_claim,
                                   json_pack("{s:s, s:I, s:i}", "owner", owner, "leaseMs",
                                             (json_int_t)lease, "limit", 8),
                                   &res),
                     0);
    return res;
}

static int commit(const char *id, const char *owner)
{
    json_t *res = NULL;
    assert_int_equal(
        vbt_store_run(&F, vb_op_mail_commit,
                      json_pack("{s:s, s:s, s:i}", "id", id, "owner", owner, "leaseMs", -1), &res),
        0);
    int ok = json_is_true(json_object_get(res, "ok"));
    json_decref(res);
    return ok;
}

static int64_t count(const char *status)
{
    return vbt_store_count(&F, "SELECT COUNT(*) FROM mail_outbox WHERE status = ?", status, NULL);
}

static void test_enqueue(void **state)
{
    (void)state;
    enqueue(VB_MAIL_WELCOME, U1, 0);
    assert_non_null(vbt_store_event(&F, "queued", "mail"));
    enqueue(VB_MAIL_WELCOME, U1, 1);        /* rolled back with its operation */
    enqueue(VB_MAIL_TASK_ASSIGNED, U2, 0);  /* U2 turned notification mails off */
    enqueue(VB_MAIL_PASSWORD_RESET, U2, 0); /* reset mails always go */
    enqueue(VB_MAIL_INVITATION, "guest@example.org", 0);
    enqueue(VB_MAIL_TASK_ASSIGNED, "00000000000000000000", 0); /* no such user */
    assert_int_equal(count("pending"), 3);
    assert_int_equal(vbt_store_count(&F, "SELECT COUNT(*) FROM mail_outbox WHERE to_email = ?",
                                     "guest@example.org", NULL),
                     1);
}

static void test_claim_lease(void **state)
{
    json_t *a, *b;
    const char *id;

    (void)state;
    enqueue(VB_MAIL_WELCOME, U1, 0);
    a = claim("A", 60000);
    assert_int_equal(json_array_size(json_object_get(a, "mails")), 1);
    id = vbt_str(json_array_get(json_object_get(a, "mails"), 0), "id");
    assert_int_equal(vbt_int(json_array_get(json_object_get(a, "mails"), 0), "attempts"), 1);
    b = claim("B", 60000); /* A holds it */
    assert_int_equal(json_array_size(json_object_get(b, "mails")), 0);
    json_decref(b);
    assert_false(commit(id, "B"));
    assert_true(commit(id, "A"));
    assert_false(commit(id, "A")); /* only once */
    assert_int_equal(
        vbt_store_run(&F, vb_op_mail_done,
                      json_pack("{s:s, s:s, s:s}", "id", id, "owner", "A", "outcome", "sent"),
                      NULL),
        0);
    assert_int_equal(count("sent"), 1);
    json_decref(a);
}

static void test_expired_sending_is_taken_over(void **state)
{
    json_t *a, *b;

    (void)state;
    enqueue(VB_MAIL_WELCOME, U1, 0);
    a = claim("A", -1); /* A's lease is already over: A died before the end of DATA */
    b = claim("B", 60000);
    assert_int_equal(json_array_size(json_object_get(b, "mails")), 1);
    assert_int_equal(vbt_int(json_array_get(json_object_get(b, "mails"), 0), "attempts"), 2);
    /* A cannot finish it any more. */
    const char *id = vbt_str(json_array_get(json_object_get(a, "mails"), 0), "id");
    assert_false(commit(id, "A"));
    vbt_store_run(&F, vb_op_mail_done,
                  json_pack("{s:s, s:s, s:s}", "id", id, "owner", "A", "outcome", "sent"), NULL);
    assert_int_equal(count("sent"), 0);
    json_decref(a);
    json_decref(b);
}

static void test_expired_committing_is_never_resent(void **state)
{
    json_t *a, *b;

    (void)state;
    enqueue(VB_MAIL_WELCOME, U1, 0);
    a = claim("A", -1);
    assert_true(commit(vbt_str(json_array_get(json_object_get(a, "mails"), 0), "id"), "A"));
    b = claim("B", 60000); /* A died after the end of DATA */
    assert_int_equal(json_array_size(json_object_get(b, "mails")), 0);
    assert_int_equal(json_array_size(json_object_get(b, "abandoned")), 1);
    assert_int_equal(count("failed"), 1);
    json_decref(a);
    json_decref(b);
}

static void test_retry_and_reset_params_erased(void **state)
{
    json_t *a, *b;
    const char *id;

    (void)state;
    enqueue(VB_MAIL_PASSWORD_RESET, U1, 0);
    a = claim("A", 60000);
    id = vbt_str(json_array_get(json_object_get(a, "mails"), 0), "id");
    vbt_store_run(&F, vb_op_mail_done,
                  json_pack("{s:s, s:s, s:s, s:s, s:I}", "id", id, "owner", "A", "outcome", "retry",
                            "error", "451", "nextAttemptAt", (json_int_t)0),
                  NULL);
    assert_int_equal(count("pending"), 1);
    b = claim("B", 60000);
    assert_int_equal(json_array_size(json_object_get(b, "mails")), 1);
    vbt_store_run(&F, vb_op_mail_done,
                  json_pack("{s:s, s:s, s:s}", "id", id, "owner", "B", "outcome", "failed"), NULL);
    assert_int_equal(
        vbt_store_count(&F, "SELECT COUNT(*) FROM mail_outbox WHERE params = '{}'", NULL, NULL), 1);
    json_decref(a);
    json_decref(b);
}

static void test_job_lease(void **state)
{
    json_t *r = NULL;
    (void)state;
    vbt_store_run(
        &F, vb_op_job_acquire,
        json_pack("{s:s, s:s, s:I}", "name", "cleanup", "owner", "A", "leaseMs", (json_int_t)60000),
        &r);
    assert_true(json_is_true(json_object_get(r, "acquired")));
    json_decref(r);
    vbt_store_run(
        &F, vb_op_job_acquire,
        json_pack("{s:s, s:s, s:I}", "name", "cleanup", "owner", "B", "leaseMs", (json_int_t)60000),
        &r);
    assert_false(json_is_true(json_object_get(r, "acquired")));
    json_decref(r);
    /* A finishes: the lease is kept until nextRunAt (here: already past). */
    vbt_store_run(
        &F, vb_op_job_release,
        json_pack("{s:s, s:s, s:I}", "name", "cleanup", "owner", "A", "nextRunAt", (json_int_t)0),
        NULL);
    vbt_store_run(
        &F, vb_op_job_acquire,
        json_pack("{s:s, s:s, s:I}", "name", "cleanup", "owner", "B", "leaseMs", (json_int_t)60000),
        &r);
    assert_true(json_is_true(json_object_get(r, "acquired")));
    json_decref(r);
    /* B dies half-way with a lease that then expires: A takes the job over. */
    vbt_store_run(
        &F, vb_op_job_acquire,
        json_pack("{s:s, s:s, s:I}", "name", "cleanup", "owner", "B", "leaseMs", (json_int_t)-1),
        &r);
    assert_true(json_is_true(json_object_get(r, "acquired")));
    json_decref(r);
    vbt_store_run(
        &F, vb_op_job_acquire,
        json_pack("{s:s, s:s, s:I}", "name", "cleanup", "owner", "A", "leaseMs", (json_int_t)60000),
        &r);
    assert_true(json_is_true(json_object_get(r, "acquired")));
    json_decref(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_enqueue, setup, teardown),
        cmocka_unit_test_setup_teardown(test_claim_lease, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expired_sending_is_taken_over, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expired_committing_is_never_resent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retry_and_reset_params_erased, setup, teardown),
        cmocka_unit_test_setup_teardown(test_job_lease, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
