/*
 * Unit tests of the channel and message operations (store/ops_channels.c,
 * store/ops_messages.c) through a real store on an in-memory database with
 * vb_store_run_sync: visibility, membership, the message rules shared with the
 * chat gateway, cursor pagination under concurrent posts, mentions and events.
 *
 * Fixture: W1 with alice (admin), bob and carol (members) and project P1;
 * W2 with dave (admin) and project P2. Each test gets a fresh database.
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
    id_t_ alice, bob, carol, dave, w1, w2, p1, p2;
} T;

/* ---- store-thread operations of the fixture ---- */

static int op_seed(vb_op_ctx *c)
{
    int rc = vbt_store_seed_user(c->db, T.alice, "alice", "Alice", "Anders");
    if (!rc) rc = vbt_store_seed_user(c->db, T.bob, "bob", "Bob", "Builder");
    if (!rc) rc = vbt_store_seed_user(c->db, T.carol, "carol", "Carol", "Cook");
    if (!rc) rc = vbt_store_seed_user(c->db, T.dave, "dave", "Dave", "Doe");
    if (!rc) rc = vbt_store_seed_workspace(c->db, T.w1, "one", T.alice);
    if (!rc) rc = vbt_store_seed_project(c->db, T.p1, T.w1, "PRJ", "active", "[]", T.alice);
    if (!rc) rc = vbt_store_seed_workspace(c->db, T.w2, "two", T.dave);
    if (!rc) rc = vbt_store_seed_project(c->db, T.p2, T.w2, "PRJ", "active", "[]", T.dave);
    if (!rc) rc = vbt_store_seed_member(c->db, T.w1, T.alice, "admin");
    if (!rc) rc = vbt_store_seed_member(c->db, T.w1, T.bob, "member");
    if (!rc) rc = vbt_store_seed_member(c->db, T.w1, T.carol, "member");
    if (!rc) rc = vbt_store_seed_member(c->db, T.w2, T.dave, "admin");
    return rc;
}

/* ---- helpers on the test thread ---- */

static int64_t count(const char *sql, const char *a, const char *b)
{
    return vbt_store_count(&T.fx, sql, a, b);
}

/* Runs fn with args (stolen) through the probe; *res (may be NULL) gets the result. */
static int run(vb_op_fn fn, json_t *args, json_t **res)
{
    return vbt_store_run(&T.fx, fn, args, res);
}

/* Runs fn as a REST route would: actor, params {k1: v1[, k2: v2]}, query and
 * body (stolen, may be NULL). */
static int call(vb_op_fn fn, const char *actor, const char *k1, const char *v1, const char *k2,
                const char *v2, json_t *query, json_t *body, json_t **res)
{
    json_t *params = json_pack("{s:s}", k1, v1);
    if (k2) json_object_set_new(params, k2, json_string(v2));
    return run(fn, vbt_store_args(actor, params, query, body), res);
}

/* Creates a channel in wid as actor with body (stolen); returns its id (static). */
static const char *make_channel(const char *actor, const char *wid, json_t *body)
{
    json_t *ch = NULL;
    assert_int_equal(call(vb_op_channel_create, actor, "wid", wid, NULL, NULL, NULL, body, &ch), 0);
    return vbt_store_take_id(ch);
}

/* Posts content to cid as actor over REST; returns the new message id (static). */
static const char *post(const char *actor, const char *cid, const char *content)
{
    json_t *m = NULL;
    assert_int_equal(call(vb_op_message_post, actor, "id", cid, NULL, NULL, NULL,
                          json_pack("{s:s}", "content", content), &m),
                     0);
    return vbt_store_take_id(m);
}

/* The last call's event of type on topic "channel:<cid>", or NULL (borrowed). */
static json_t *event(const char *type, const char *cid)
{
    return json_object_get(vbt_store_event(&T.fx, type, vbt_store_topic("channel", cid)), "data");
}

/* 1 if the last call's errors name field. */
static int error_on(const char *field)
{
    return vbt_store_error_on(&T.fx, field);
}

/* 1 if the channel list of actor in W1 holds cid; *is_member gets its isMember. */
static int listed(const char *actor, const char *cid, int *is_member)
{
    json_t *page = NULL, *ch;
    size_t i;
    int found = 0;
    assert_int_equal(call(vb_op_channel_list, actor, "wid", T.w1, NULL, NULL,
                          json_pack("{s:i}", "limit", 100), NULL, &page),
                     0);
    json_array_foreach(json_object_get(page, "data"), i, ch)
    {
        if (strcmp(vbt_str(ch, "id"), cid)) continue;
        found = 1;
        if (is_member) *is_member = json_is_true(json_object_get(ch, "isMember"));
    }
    json_decref(page);
    return found;
}

/* ---- tests ---- */

static void test_channel_create_rules(void **state)
{
    json_t *ch = NULL;
    (void)state;
    assert_int_equal(call(vb_op_channel_create, T.bob, "wid", T.w1, NULL, NULL, NULL,
                          json_pack("{s:s, s:s, s:s}", "name", "general", "description", "Talk",
                                    "projectId", T.p1),
                          &ch),
                     0);
    assert_string_equal(vbt_str(ch, "name"), "general");
    assert_string_equal(vbt_str(ch, "type"), "public");
    assert_string_equal(vbt_str(ch, "workspaceId"), T.w1);
    assert_string_equal(vbt_str(ch, "projectId"), T.p1);
    assert_string_equal(vbt_str(ch, "createdBy"), T.bob);
    assert_int_equal(json_integer_value(json_object_get(ch, "memberCount")), 1);
    assert_true(json_is_true(json_object_get(ch, "isMember")));
    assert_int_equal(strlen(vbt_str(ch, "createdAt")), 24);
    assert_int_equal(count("SELECT COUNT(*) FROM activity WHERE action = ? AND actor_id = ?",
                           "channel_created", T.bob),
                     1);
    json_decref(ch);

    /* the same live name again */
    assert_int_equal(call(vb_op_channel_create, T.alice, "wid", T.w1, NULL, NULL, NULL,
                          json_pack("{s:s}", "name", "general"), NULL),
                     VB_ECONFLICT);
    assert_string_equal(T.fx.code, "CHANNEL_NAME_TAKEN");
    /* an outsider */
    assert_int_equal(call(vb_op_channel_create, T.dave, "wid", T.w1, NULL, NULL, NULL,
                          json_pack("{s:s}", "name", "x"), NULL),
                     VB_ENOTFOUND);
    assert_string_equal(T.fx.code, "WORKSPACE_NOT_FOUND");
    /* a project of another workspace; a member of another workspace */
    assert_int_equal(call(vb_op_channel_create, T.alice, "wid", T.w1, NULL, NULL, NULL,
                          json_pack("{s:s, s:s}", "name", "x", "projectId", T.p2), NULL),
                     VB_EINVAL);
    assert_true(error_on("projectId"));
    assert_int_equal(call(vb_op_channel_create, T.alice, "wid", T.w1, NULL, NULL, NULL,
                          json_pack("{s:s, s:[s]}", "name", "x", "memberIds", T.dave), NULL),
                     VB_EINVAL);
    assert_true(error_on("memberIds"));
    /* direct needs another member; the creator alone does not count */
    assert_int_equal(
        call(vb_op_channel_create, T.alice, "wid", T.w1, NULL, NULL, NULL,
             json_pack("{s:s, s:s, s:[s]}", "name", "dm", "type", "direct", "memberIds", T.alice),
             NULL),
        VB_EINVAL);
    assert_true(error_on("memberIds"));
    assert_int_equal(call(vb_op_channel_create, T.alice, "wid", T.w1, NULL, NULL, NULL,
                          json_pack("{s:s, s:s, s:[s,s]}", "name", "dm", "type", "direct",
                                    "memberIds", T.bob, T.bob),
                          &ch),
                     0);
    assert_int_equal(json_integer_value(json_object_get(ch, "memberCount")), 2);
    json_decref(ch);
    assert_int_equal(
        count("SELECT COUNT(*) FROM channels WHERE workspace_id = ? AND name = ?", T.w1, "x"), 0);
}

static void test_visibility_and_members(void **state)
{
    json_t *ch = NULL, *m = NULL;
    int is_member = -1;
    (void)state;
    const char *pub = make_channel(T.alice, T.w1, json_pack("{s:s}", "name", "public-one"));
    const char *priv = make_channel(
        T.alice, T.w1,
        json_pack("{s:s, s:s, s:[s]}", "name", "secret", "type", "private", "memberIds", T.bob));

    /* public: listed for everyone in the workspace, isMember per caller */
    assert_true(listed(T.carol, pub, &is_member));
    assert_int_equal(is_member, 0);
    assert_true(listed(T.alice, pub, &is_member));
    assert_int_equal(is_member, 1);
    /* private: members only; others get 404 everywhere */
    assert_false(listed(T.carol, priv, NULL));
    assert_true(listed(T.bob, priv, NULL));
    assert_int_equal(call(vb_op_channel_get, T.carol, "id", priv, NULL, NULL, NULL, NULL, NULL),
                     VB_ENOTFOUND);
    assert_string_equal(T.fx.code, "CHANNEL_NOT_FOUND");
    assert_int_equal(call(vb_op_message_list, T.carol, "id", priv, NULL, NULL, NULL, NULL, NULL),
                     VB_ENOTFOUND);
    assert_int_equal(call(vb_op_channel_member_add, T.carol, "id", priv, NULL, NULL, NULL,
                          json_pack("{s:s}", "userId", T.carol), NULL),
                     VB_ENOTFOUND);
    /* outsiders see no channel of the workspace, unknown ids are 404 */
    assert_int_equal(call(vb_op_channel_get, T.dave, "id", pub, NULL, NULL, NULL, NULL, NULL),
                     VB_ENOTFOUND);
    assert_int_equal(call(vb_op_channel_list, T.dave, "wid", T.w1, NULL, NULL, NULL, NULL, NULL),
                     VB_ENOTFOUND);
    assert_int_equal(
        call(vb_op_channel_get, T.alice, "id", "no-such-id", NULL, NULL, NULL, NULL, NULL),
        VB_ENOTFOUND);

    /* get lists the members with their names */
    assert_int_equal(call(vb_op_channel_get, T.bob, "id", priv, NULL, NULL, NULL, NULL, &ch), 0);
    assert_int_equal(json_array_size(json_object_get(ch, "members")), 2);
    assert_string_equal(vbt_str(json_array_get(json_object_get(ch, "members"), 0), "firstName"),
                        "Alice");
    json_decref(ch);

    /* add: 201 then idempotent; only workspace members */
    assert_int_equal(call(vb_op_channel_member_add, T.bob, "id", priv, NULL, NULL, NULL,
                          json_pack("{s:s}", "userId", T.carol), &m),
                     0);
    assert_true(json_is_true(json_object_get(m, "created")));
    assert_string_equal(vbt_str(json_object_get(m, "member"), "userId"), T.carol);
    assert_non_null(event("channel:member_added", priv));
    json_decref(m);
    assert_int_equal(call(vb_op_channel_member_add, T.bob, "id", priv, NULL, NULL, NULL,
                          json_pack("{s:s}", "userId", T.carol), &m),
                     0);
    assert_true(json_is_false(json_object_get(m, "created")));
    json_decref(m);
    assert_true(listed(T.carol, priv, NULL));
    assert_int_equal(call(vb_op_channel_member_add, T.bob, "id", priv, NULL, NULL, NULL,
                          json_pack("{s:s}", "userId", T.dave), NULL),
                     VB_ENOTFOUND);
    assert_string_equal(T.fx.code, "MEMBER_NOT_FOUND");

    /* remove: self, creator or admin only */
    assert_int_equal(
        call(vb_op_channel_member_remove, T.carol, "id", priv, "userId", T.bob, NULL, NULL, NULL),
        VB_EFORBIDDEN);
    assert_int_equal(
        call(vb_op_channel_member_remove, T.carol, "id", priv, "userId", T.carol, NULL, NULL, NULL),
        0);
    assert_non_null(event("channel:member_removed", priv));
    assert_false(listed(T.carol, priv, NULL));
    assert_int_equal(
        call(vb_op_channel_member_remove, T.alice, "id", priv, "userId", T.carol, NULL, NULL, NULL),
        VB_ENOTFOUND);
    assert_string_equal(T.fx.code, "MEMBER_NOT_FOUND");
    assert_int_equal(
        call(vb_op_channel_member_remove, T.alice, "id", priv, "userId", T.bob, NULL, NULL, NULL),
        0);
}

static void test_messages_rules(void **state)
{
    json_t *m = NULL, *ev, *page = NULL;
    char big[10002];
    (void)state;
    const char *cid = make_channel(T.alice, T.w1, json_pack("{s:s}", "name", "chat"));

    /* bob is not a channel member: posting to a public channel joins him */
    assert_int_equal(call(vb_op_message_post, T.bob, "id", cid, NULL, NULL, NULL,
                          json_pack("{s:s}", "content", "  hello  "), &m),
                     0);
    assert_string_equal(vbt_str(m, "content"), "hello");
    assert_string_equal(vbt_str(m, "senderName"), "Bob Builder");
    assert_string_equal(vbt_str(m, "channelId"), cid);
    assert_true(json_is_null(json_object_get(m, "editedAt")));
    assert_true(json_is_null(json_object_get(m, "deletedAt")));
    ev = event("message:new", cid);
    assert_non_null(ev);
    assert_string_equal(vbt_str(ev, "messageId"), vbt_str(m, "id"));
    assert_string_equal(vbt_str(ev, "senderName"), "Bob Builder");
    assert_string_equal(vbt_str(ev, "createdAt"), vbt_str(m, "createdAt"));
    assert_non_null(event("channel:member_added", cid));
    assert_int_equal(count("SELECT COUNT(*) FROM channel_members WHERE channel_id = ? AND"
                           " user_id = ?",
                           cid, T.bob),
                     1);
    char mid[VB_ID_LEN + 1];
    snprintf(mid, sizeof mid, "%s", vbt_str(m, "id"));
    json_decref(m);

    /* content limits, as the gateway would send them (no route validation) */
    memset(big, 'a', 10001);
    big[10001] = '\0';
    assert_int_equal(run(vb_op_message_post,
                         json_pack("{s:{s:s}, s:s, s:s}", "actor", "id", T.bob, "channelId", cid,
                                   "content", big),
                         NULL),
                     VB_EINVAL);
    assert_true(error_on("content"));
    assert_int_equal(run(vb_op_message_post,
                         json_pack("{s:{s:s}, s:s, s:s}", "actor", "id", T.bob, "channelId", cid,
                                   "content", " \n "),
                         NULL),
                     VB_EINVAL);
    big[10000] = '\0';
    assert_int_equal(run(vb_op_message_post,
                         json_pack("{s:{s:s}, s:s, s:s}", "actor", "id", T.bob, "channelId", cid,
                                   "content", big),
                         NULL),
                     0);
    /* outsiders: 404 */
    assert_int_equal(call(vb_op_message_post, T.dave, "id", cid, NULL, NULL, NULL,
                          json_pack("{s:s}", "content", "hi"), NULL),
                     VB_ENOTFOUND);

    /* edit: sender only; outsider 404; the gateway's argument form */
    assert_int_equal(call(vb_op_message_edit, T.alice, "id", mid, NULL, NULL, NULL,
                          json_pack("{s:s}", "content", "x"), NULL),
                     VB_EFORBIDDEN);
    assert_int_equal(call(vb_op_message_edit, T.dave, "id", mid, NULL, NULL, NULL,
                          json_pack("{s:s}", "content", "x"), NULL),
                     VB_ENOTFOUND);
    assert_string_equal(T.fx.code, "MESSAGE_NOT_FOUND");
    assert_int_equal(run(vb_op_message_edit,
                         json_pack("{s:{s:s}, s:s, s:s}", "actor", "id", T.bob, "messageId", mid,
                                   "content", "hello again"),
                         &m),
                     0);
    assert_string_equal(vbt_str(m, "content"), "hello again");
    assert_true(json_is_string(json_object_get(m, "editedAt")));
    ev = event("message:edited", cid);
    assert_non_null(ev);
    assert_string_equal(vbt_str(ev, "content"), "hello again");
    assert_string_equal(vbt_str(ev, "updatedAt"), vbt_str(m, "updatedAt"));
    json_decref(m);

    /* delete: sender only; then gone for readers and for changes */
    assert_int_equal(call(vb_op_message_delete, T.carol, "id", mid, NULL, NULL, NULL, NULL, NULL),
                     VB_EFORBIDDEN);
    assert_int_equal(call(vb_op_message_delete, T.bob, "id", mid, NULL, NULL, NULL, NULL, NULL), 0);
    ev = event("message:deleted", cid);
    assert_non_null(ev);
    assert_string_equal(vbt_str(ev, "messageId"), mid);
    assert_int_equal(call(vb_op_message_delete, T.bob, "id", mid, NULL, NULL, NULL, NULL, NULL),
                     VB_ENOTFOUND);
    assert_int_equal(call(vb_op_message_edit, T.bob, "id", mid, NULL, NULL, NULL,
                          json_pack("{s:s}", "content", "zombie"), NULL),
                     VB_ENOTFOUND);
    assert_int_equal(
        count("SELECT COUNT(*) FROM messages WHERE id = ? AND deleted_at IS NOT NULL", mid, NULL),
        1);
    assert_int_equal(call(vb_op_message_list, T.carol, "id", cid, NULL, NULL, NULL, NULL, &page),
                     0);
    assert_int_equal(json_array_size(json_object_get(page, "data")), 1);
    assert_string_not_equal(vbt_str(json_array_get(json_object_get(page, "data"), 0), "id"), mid);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(page, "meta"), "limit")),
                     50);
    json_decref(page);
}

/* Appends the ids of a list result's data to ids; returns meta.hasMore. */
static int take_ids(json_t *page, json_t *ids)
{
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(page, "data"), i, m)
        json_array_append_new(ids, json_string(vbt_str(m, "id")));
    return json_is_true(json_object_get(json_object_get(page, "meta"), "hasMore"));
}

static void test_cursor_pagination(void **state)
{
    json_t *page = NULL, *seen = json_array(), *posted = json_array();
    char cursor[VB_ID_LEN + 1];
    int more, rounds = 0;
    size_t i;
    (void)state;
    const char *cid = make_channel(T.alice, T.w1, json_pack("{s:s}", "name", "paging"));

    for (i = 0; i < 7; i++) {
        char text[16];
        snprintf(text, sizeof text, "m%zu", i);
        json_array_append_new(posted, json_string(post(T.alice, cid, text)));
    }
    /* a deleted message in the middle is skipped, not counted */
    const char *gone = post(T.alice, cid, "gone");
    char gone_id[VB_ID_LEN + 1];
    snprintf(gone_id, sizeof gone_id, "%s", gone);
    json_array_append_new(posted, json_string(post(T.alice, cid, "m7")));
    assert_int_equal(
        call(vb_op_message_delete, T.alice, "id", gone_id, NULL, NULL, NULL, NULL, NULL), 0);

    /* first page, newest first */
    assert_int_equal(call(vb_op_message_list, T.bob, "id", cid, NULL, NULL,
                          json_pack("{s:i}", "limit", 3), NULL, &page),
                     0);
    more = take_ids(page, seen);
    json_decref(page);
    assert_true(more);
    /* keep paging with before = the last id while new messages arrive */
    while (more) {
        post(T.bob, cid, "interleaved");
        snprintf(cursor, sizeof cursor, "%s",
                 json_string_value(json_array_get(seen, json_array_size(seen) - 1)));
        assert_int_equal(call(vb_op_message_list, T.bob, "id", cid, NULL, NULL,
                              json_pack("{s:i, s:s}", "limit", 3, "before", cursor), NULL, &page),
                         0);
        more = take_ids(page, seen);
        json_decref(page);
        assert_true(++rounds < 10);
    }
    /* exactly the messages that existed, newest first: no gap, no duplicate */
    assert_int_equal(json_array_size(seen), 8);
    for (i = 0; i < 8; i++)
        assert_string_equal(json_string_value(json_array_get(seen, i)),
                            json_string_value(json_array_get(posted, 7 - i)));

    /* after only: newest first, only ids > after */
    assert_int_equal(call(vb_op_message_list, T.bob, "id", cid, NULL, NULL,
                          json_pack("{s:s}", "after", json_string_value(json_array_get(posted, 5))),
                          NULL, &page),
                     0);
    json_t *data = json_object_get(page, "data");
    assert_int_equal(json_array_size(data), 2 + (size_t)rounds);
    assert_string_equal(vbt_str(json_array_get(data, json_array_size(data) - 1), "id"),
                        json_string_value(json_array_get(posted, 6)));
    assert_false(json_is_true(json_object_get(json_object_get(page, "meta"), "hasMore")));
    json_decref(page);
    /* both: strictly between */
    assert_int_equal(
        call(vb_op_message_list, T.bob, "id", cid, NULL, NULL,
             json_pack("{s:s, s:s}", "after", json_string_value(json_array_get(posted, 1)),
                       "before", json_string_value(json_array_get(posted, 4))),
             NULL, &page),
        0);
    data = json_object_get(page, "data");
    assert_int_equal(json_array_size(data), 2);
    assert_string_equal(vbt_str(json_array_get(data, 0), "id"),
                        json_string_value(json_array_get(posted, 3)));
    json_decref(page);
    /* a cursor that is not an id (gateway form, no route validation) */
    assert_int_equal(run(vb_op_message_list,
                         json_pack("{s:{s:s}, s:s, s:{s:s}}", "actor", "id", T.bob, "channelId",
                                   cid, "query", "before", "../x"),
                         NULL),
                     VB_EINVAL);
    json_decref(seen);
    json_decref(posted);
}

static void test_mentions_and_channel_delete(void **state)
{
    json_t *ch = NULL;
    (void)state;
    const char *cid = make_channel(T.bob, T.w1, json_pack("{s:s}", "name", "team"));
    const char *mid = post(T.bob, cid, "ping @Carol and @dave");
    char mid_copy[VB_ID_LEN + 1];
    snprintf(mid_copy, sizeof mid_copy, "%s", mid);

    /* carol is a workspace member and is notified; dave is not a member */
    assert_int_equal(count("SELECT COUNT(*) FROM notifications WHERE user_id = ? AND type = ?",
                           T.carol, "mentioned"),
                     1);
    assert_int_equal(count("SELECT COUNT(*) FROM notifications WHERE user_id = ? AND type = ?",
                           T.dave, "mentioned"),
                     0);
    assert_int_equal(count("SELECT COUNT(*) FROM mentions WHERE source_type = 'message' AND"
                           " source_id = ?",
                           mid_copy, NULL),
                     1);
    /* deleting the message drops its mentions */
    assert_int_equal(
        call(vb_op_message_delete, T.bob, "id", mid_copy, NULL, NULL, NULL, NULL, NULL), 0);
    assert_int_equal(count("SELECT COUNT(*) FROM mentions WHERE source_id = ?", mid_copy, NULL), 0);

    /* a private channel: a workspace member outside it is not told of the message */
    const char *pcid =
        make_channel(T.bob, T.w1, json_pack("{s:s,s:s}", "name", "secret", "type", "private"));
    char pcid_copy[VB_ID_LEN + 1];
    snprintf(pcid_copy, sizeof pcid_copy, "%s", pcid);
    int64_t before = count("SELECT COUNT(*) FROM notifications WHERE user_id = ? AND type = ?",
                           T.carol, "mentioned");
    post(T.bob, pcid_copy, "hidden ping @carol");
    assert_int_equal(count("SELECT COUNT(*) FROM notifications WHERE user_id = ? AND type = ?",
                           T.carol, "mentioned"),
                     before);

    /* channel delete: creator or admin only */
    post(T.carol, cid, "still here");
    assert_int_equal(call(vb_op_channel_delete, T.carol, "id", cid, NULL, NULL, NULL, NULL, NULL),
                     VB_EFORBIDDEN);
    assert_int_equal(call(vb_op_channel_delete, T.alice, "id", cid, NULL, NULL, NULL, NULL, NULL),
                     0);
    assert_non_null(event("channel:deleted", cid));
    assert_int_equal(count("SELECT COUNT(*) FROM activity WHERE action = ? AND actor_id = ?",
                           "channel_deleted", T.alice),
                     1);
    assert_int_equal(call(vb_op_channel_get, T.bob, "id", cid, NULL, NULL, NULL, NULL, NULL),
                     VB_ENOTFOUND);
    assert_int_equal(call(vb_op_message_post, T.bob, "id", cid, NULL, NULL, NULL,
                          json_pack("{s:s}", "content", "late"), NULL),
                     VB_ENOTFOUND);
    assert_false(listed(T.bob, cid, NULL));
    /* messages stay; the name is free again */
    assert_int_equal(count("SELECT COUNT(*) FROM messages WHERE channel_id = ?", cid, NULL), 2);
    assert_int_equal(call(vb_op_channel_create, T.bob, "wid", T.w1, NULL, NULL, NULL,
                          json_pack("{s:s}", "name", "team"), &ch),
                     0);
    json_decref(ch);
}

/* ---- fixture ---- */

static int setup(void **state)
{
    char *ids[] = {T.alice, T.bob, T.carol, T.dave, T.w1, T.w2, T.p1, T.p2};
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
        cmocka_unit_test_setup_teardown(test_channel_create_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_visibility_and_members, setup, teardown),
        cmocka_unit_test_setup_teardown(test_messages_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cursor_pagination, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mentions_and_channel_delete, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
