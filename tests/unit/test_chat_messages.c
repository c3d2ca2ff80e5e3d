/*
 * Unit tests of the message fast paths (store/ops_messages.c): post and edit
 * answer exactly what reading the message back gives (the shape is built
 * without a read), the message:new event carries the same values, the cheap
 * visibility check keeps the rules, and mention rows follow the text when
 * mentions are skipped for texts without a handle.
 *
 * Fixture: W1 with alice (admin), bob and carol (members); W2 with dave.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/vb_common.h"
#include "core/vb_id.h"
#include "store/vb_db.h"
#include "store/vb_ops_channels.h"
#include "store/vb_ops_chat.h"
#include "store/vb_store.h"
#include "support/vb_test_store.h"

typedef char id_t_[VB_ID_LEN + 1];

static struct {
    vbt_store fx;
    id_t_ alice, bob, carol, dave, w1, w2;
} T;

static int op_seed(vb_op_ctx *c)
{
    int rc = vbt_store_seed_user(c->db, T.alice, "alice", "Alice", "Anders");
    if (!rc) rc = vbt_store_seed_user(c->db, T.bob, "bob", "Bob", "Builder");
    if (!rc) rc = vbt_store_seed_user(c->db, T.carol, "carol", "Carol", "Cook");
    if (!rc) rc = vbt_store_seed_user(c->db, T.dave, "dave", "Dave", "Doe");
    if (!rc) rc = vbt_store_seed_workspace(c->db, T.w1, "one", T.alice);
    if (!rc) rc = vbt_store_seed_workspace(c->db, T.w2, "two", T.dave);
    if (!rc) rc = vbt_store_seed_member(c->db, T.w1, T.alice, "admin");
    if (!rc) rc = vbt_store_seed_member(c->db, T.w1, T.bob, "member");
    if (!rc) rc = vbt_store_seed_member(c->db, T.w1, T.carol, "member");
    if (!rc) rc = vbt_store_seed_member(c->db, T.w2, T.dave, "admin");
    return rc;
}

static int64_t count(const char *sql, const char *a, const char *b)
{
    return vbt_store_count(&T.fx, sql, a, b);
}

/* Runs fn as a REST route would: actor, params {k: v}, query and body (stolen,
 * may be NULL); *res (may be NULL) gets the result. */
static int call(vb_op_fn fn, const char *actor, const char *k, const char *v, json_t *query,
                json_t *body, json_t **res)
{
    return vbt_store_run(&T.fx, fn, vbt_store_args(actor, json_pack("{s:s}", k, v), query, body),
                         res);
}

/* Creates a channel in W1 as bob with body (stolen); copies its id to out. */
static void make_channel(json_t *body, char out[VB_ID_LEN + 1])
{
    json_t *ch = NULL;
    assert_int_equal(call(vb_op_channel_create, T.bob, "wid", T.w1, NULL, body, &ch), 0);
    snprintf(out, VB_ID_LEN + 1, "%s", vbt_store_take_id(ch));
}

/* The last call's event of type on "channel:<cid>" (its data, borrowed). */
static json_t *event(const char *type, const char *cid)
{
    return json_object_get(vbt_store_event(&T.fx, type, vbt_store_topic("channel", cid)), "data");
}

/* The newest live message of cid as the list reads it back (new reference). */
static json_t *read_back(const char *actor, const char *cid)
{
    json_t *page = NULL, *m;
    assert_int_equal(
        call(vb_op_message_list, actor, "id", cid, json_pack("{s:i}", "limit", 1), NULL, &page), 0);
    m = json_incref(json_array_get(json_object_get(page, "data"), 0));
    json_decref(page);
    assert_non_null(m);
    return m;
}

static int64_t mention_rows(const char *mid)
{
    return count("SELECT COUNT(*) FROM mentions WHERE source_id = ?", mid, NULL);
}

static void test_post_result_and_event(void **state)
{
    json_t *m = NULL, *back, *want;
    char cid[VB_ID_LEN + 1];
    (void)state;
    make_channel(json_pack("{s:s}", "name", "r"), cid);

    /* carol posts to a public channel she has not joined: joined on the way */
    assert_int_equal(call(vb_op_message_post, T.carol, "id", cid, NULL,
                          json_pack("{s:s}", "content", "  plain text  "), &m),
                     0);
    assert_non_null(event("channel:member_added", cid));
    want = json_pack("{s:O, s:O, s:O, s:O, s:O, s:O}", "messageId", json_object_get(m, "id"),
                     "channelId", json_object_get(m, "channelId"), "senderId",
                     json_object_get(m, "senderId"), "senderName", json_object_get(m, "senderName"),
                     "content", json_object_get(m, "content"), "createdAt",
                     json_object_get(m, "createdAt"));
    assert_true(json_equal(event("message:new", cid), want));
    json_decref(want);
    assert_string_equal(vbt_str(m, "content"), "plain text");
    assert_string_equal(vbt_str(m, "senderName"), "Carol Cook");
    assert_string_equal(vbt_str(m, "channelId"), cid);
    assert_true(json_is_null(json_object_get(m, "editedAt")));
    assert_true(json_is_null(json_object_get(m, "deletedAt")));
    back = read_back(T.carol, cid);
    assert_true(json_equal(m, back));
    assert_int_equal(mention_rows(vbt_str(m, "id")), 0);
    assert_int_equal(count("SELECT COUNT(*) FROM channel_members WHERE channel_id = ? AND"
                           " user_id = ?",
                           cid, T.carol),
                     1);
    json_decref(back);
    json_decref(m);

    /* the second post of a member announces no join */
    assert_int_equal(call(vb_op_message_post, T.carol, "id", cid, NULL,
                          json_pack("{s:s}", "content", "again"), NULL),
                     0);
    assert_null(event("channel:member_added", cid));
}

static void test_visibility_kept(void **state)
{
    char pub[VB_ID_LEN + 1], priv[VB_ID_LEN + 1];
    json_t *m = NULL;
    (void)state;
    make_channel(json_pack("{s:s}", "name", "open"), pub);
    make_channel(json_pack("{s:s,s:s}", "name", "closed", "type", "private"), priv);

    /* outside the workspace: not found, for posting and reading */
    assert_int_equal(call(vb_op_message_post, T.dave, "id", pub, NULL,
                          json_pack("{s:s}", "content", "hi"), NULL),
                     VB_ENOTFOUND);
    assert_int_equal(call(vb_op_message_list, T.dave, "id", pub, NULL, NULL, NULL), VB_ENOTFOUND);
    /* a private channel: only its members */
    assert_int_equal(call(vb_op_message_post, T.carol, "id", priv, NULL,
                          json_pack("{s:s}", "content", "hi"), NULL),
                     VB_ENOTFOUND);
    assert_int_equal(call(vb_op_message_list, T.carol, "id", priv, NULL, NULL, NULL), VB_ENOTFOUND);
    assert_int_equal(
        call(vb_op_message_post, T.bob, "id", priv, NULL, json_pack("{s:s}", "content", "hi"), &m),
        0);
    /* carol cannot change bob's message she cannot see; bob's own edit works */
    assert_int_equal(call(vb_op_message_edit, T.carol, "id", vbt_str(m, "id"), NULL,
                          json_pack("{s:s}", "content", "x"), NULL),
                     VB_ENOTFOUND);
    json_decref(m);
    /* empty content is still refused before anything is stored */
    assert_int_equal(call(vb_op_message_post, T.bob, "id", pub, NULL,
                          json_pack("{s:s}", "content", "   "), NULL),
                     VB_EINVAL);
    assert_int_equal(count("SELECT COUNT(*) FROM messages WHERE channel_id = ?", pub, NULL), 0);
}

static void test_edit_mentions_follow_text(void **state)
{
    json_t *m = NULL, *back;
    char cid[VB_ID_LEN + 1], mid[VB_ID_LEN + 1];
    (void)state;
    make_channel(json_pack("{s:s}", "name", "m"), cid);
    assert_int_equal(call(vb_op_message_post, T.carol, "id", cid, NULL,
                          json_pack("{s:s}", "content", "no handle"), &m),
                     0);
    snprintf(mid, sizeof mid, "%s", vbt_str(m, "id"));
    json_decref(m);

    /* edit a mention in: a row and a notification */
    m = NULL;
    assert_int_equal(call(vb_op_message_edit, T.carol, "id", mid, NULL,
                          json_pack("{s:s}", "content", "hey @bob"), &m),
                     0);
    back = read_back(T.carol, cid);
    assert_true(json_equal(m, back));
    assert_false(json_is_null(json_object_get(m, "editedAt")));
    json_decref(back);
    json_decref(m);
    assert_int_equal(mention_rows(mid), 1);
    assert_int_equal(count("SELECT COUNT(*) FROM notifications WHERE user_id = ? AND type = ?",
                           T.bob, "mentioned"),
                     1);
    /* edit it out: the row goes */
    assert_int_equal(call(vb_op_message_edit, T.carol, "id", mid, NULL,
                          json_pack("{s:s}", "content", "never mind"), NULL),
                     0);
    assert_int_equal(mention_rows(mid), 0);
    /* back in, then deleted: the row goes with the message */
    assert_int_equal(call(vb_op_message_edit, T.carol, "id", mid, NULL,
                          json_pack("{s:s}", "content", "@bob again"), NULL),
                     0);
    assert_int_equal(mention_rows(mid), 1);
    assert_int_equal(call(vb_op_message_delete, T.carol, "id", mid, NULL, NULL, NULL), 0);
    assert_int_equal(mention_rows(mid), 0);
    assert_non_null(event("message:deleted", cid));
}

static int setup(void **state)
{
    char *ids[] = {T.alice, T.bob, T.carol, T.dave, T.w1, T.w2};
    (void)state;
    memset(&T, 0, sizeof T);
    return vbt_store_setup(&T.fx, ids, VB_ARRAY_LEN(ids), op_seed);
}

static int teardown(void **state)
{
    (void)state;
    return vbt_store_close(&T.fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_post_result_and_event, setup, teardown),
        cmocka_unit_test_setup_teardown(test_visibility_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_edit_mentions_follow_text, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
