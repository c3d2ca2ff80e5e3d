/*
 * Unit tests of the comment, label, activity and notification operations
 * (store/ops_comments.c, ops_labels.c, ops_activity.c, ops_notifications.c)
 * and of vb_mentions_apply, run through a real store on an in-memory
 * database with vb_store_run_sync.
 *
 * Fixture (seeded with SQL so that these tests do not depend on the project
 * and task operations): ann (admin of W1), bob and carl (members of W1), dave
 * (W2 only); project P1 (active) and P2 (archived) in W1; task T1 in P1
 * (reporter ann, assignee bob), T2 in P1, T3 in P2. Each test gets a fresh
 * database.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/vb_common.h"
#include "core/vb_id.h"
#include "core/vb_log.h"
#include "store/vb_db.h"
#include "store/vb_mentions.h"
#include "store/vb_ops_collab.h"
#include "store/vb_store.h"
#include "support/vb_test_store.h"

#define ID_BUF (VB_ID_LEN + 1)

static struct {
    vbt_store fx;
    char ann[ID_BUF], bob[ID_BUF], carl[ID_BUF], dave[ID_BUF];
    char w1[ID_BUF], w2[ID_BUF], p1[ID_BUF], p2[ID_BUF], t1[ID_BUF], t2[ID_BUF], t3[ID_BUF];
} T;

/* ---- store-thread operations of the fixture ---- */

static int add_project(vb_db *db, const char *id, const char *wid, const char *key,
                       const char *status)
{
    return vbt_store_seed_project(db, id, wid, key, status,
                                  "[{\"name\":\"todo\",\"order\":0,\"color\":\"#cccccc\"}]", T.ann);
}

static int add_task(vb_db *db, const char *id, const char *pid, int64_t number, const char *key)
{
    int64_t now = vb_wall_ms();
    return vb_db_exec(db,
                      "INSERT INTO tasks (id, project_id, workspace_id, number, key, title, status,"
                      " reporter_id, created_at, updated_at)"
                      " VALUES (?, ?, ?, ?, ?, 'Fix it', 'todo', ?, ?, ?)",
                      "sssissii", id, pid, T.w1, number, key, T.ann, now, now);
}

static int op_seed(vb_op_ctx *c)
{
    int rc = vbt_store_seed_user(c->db, T.ann, "ann", "Ann", "Lee");
    if (!rc) rc = vbt_store_seed_user(c->db, T.bob, "bob", "Bob", "Ray");
    if (!rc) rc = vbt_store_seed_user(c->db, T.carl, "carl", "Carl", "Poe");
    if (!rc) rc = vbt_store_seed_user(c->db, T.dave, "dave", "Dave", "Kim");
    if (!rc) rc = vbt_store_seed_workspace(c->db, T.w1, "w-one", T.ann);
    if (!rc) rc = vbt_store_seed_workspace(c->db, T.w2, "w-two", T.dave);
    if (!rc) rc = vbt_store_seed_member(c->db, T.w1, T.ann, "admin");
    if (!rc) rc = vbt_store_seed_member(c->db, T.w1, T.bob, "member");
    if (!rc) rc = vbt_store_seed_member(c->db, T.w1, T.carl, "member");
    if (!rc) rc = vbt_store_seed_member(c->db, T.w2, T.dave, "admin");
    if (!rc) rc = add_project(c->db, T.p1, T.w1, "ONE", "active");
    if (!rc) rc = add_project(c->db, T.p2, T.w1, "TWO", "archived");
    if (!rc) rc = add_task(c->db, T.t1, T.p1, 1, "ONE-1");
    if (!rc) rc = add_task(c->db, T.t2, T.p1, 2, "ONE-2");
    if (!rc) rc = add_task(c->db, T.t3, T.p2, 1, "TWO-1");
    if (!rc)
        rc = vb_db_exec(c->db, "INSERT INTO task_assignees (task_id, user_id) VALUES (?, ?)", "ss",
                        T.t1, T.bob);
    return rc;
}

/* Deletes task T1 as the task operations do (rows, then task_deleted). */
static int op_delete_t1(vb_op_ctx *c)
{
    int rc = vb_db_exec(c->db, "DELETE FROM tasks WHERE id = ?", "s", T.t1);
    if (!rc) rc = vb_activity(c, T.w1, T.p1, T.t1, "task_deleted", NULL);
    return rc;
}

/* args {text}: applies the mentions of text to source ("comment", "src1") in W1. */
static int op_mention(vb_op_ctx *c)
{
    json_t *ids = NULL, *data = json_pack("{s:s}", "k", "v");
    int rc =
        vb_mentions_apply(c, T.w1, "comment", "src1",
                          json_string_value(json_object_get(c->args, "text")), NULL, data, &ids);
    json_decref(data);
    if (!rc) c->result = json_pack("{s:o}", "ids", ids);
    return rc;
}

/* ---- helpers on the test thread ---- */

static int64_t count2(const char *sql, const char *a, const char *b)
{
    return vbt_store_count(&T.fx, sql, a, b);
}

static void exec2(const char *sql, const char *a, const char *b)
{
    vbt_store_exec(&T.fx, sql, a, b);
}

static int64_t notif_count(const char *uid, const char *type)
{
    return count2("SELECT COUNT(*) FROM notifications WHERE user_id = ? AND type = ?", uid, type);
}

static int64_t comment_count(const char *tid)
{
    return count2("SELECT comment_count FROM tasks WHERE id = ?", tid, NULL);
}

/* Runs fn as actor with params (a JSON text), query and body (stolen, may be
 * NULL). Returns the op's status; *res (may be NULL) gets the result. */
static int call(vb_op_fn fn, const char *actor, const char *params, json_t *query, json_t *body,
                json_t **res)
{
    return vbt_store_call(&T.fx, fn, actor, params, query, body, res);
}

/* 1 if s looks like "YYYY-MM-DDTHH:MM:SS.mmmZ". */
static int is_iso(const char *s)
{
    return s && strlen(s) == 24 && s[4] == '-' && s[10] == 'T' && s[23] == 'Z';
}

/* 1 if the last call queued an event of type on topic. */
static int has_event(const char *topic, const char *type)
{
    return vbt_store_event(&T.fx, type, topic) != NULL;
}

/* Posts body on T1 as actor; returns the new comment id (static buffer). */
static const char *comment_on(const char *actor, const char *tid, const char *text,
                              const char *parent)
{
    json_t *res = NULL;
    assert_int_equal(call(vb_op_comment_create, actor, vbt_store_param("id", tid), NULL,
                          json_pack("{s:s, s:s?}", "body", text, "parentCommentId", parent), &res),
                     0);
    return vbt_store_take_id(res);
}

/* ---- setup ---- */

static int setup(void **state)
{
    char *ids[] = {T.ann, T.bob, T.carl, T.dave, T.w1, T.w2, T.p1, T.p2, T.t1, T.t2, T.t3};
    vb_log_set_level((enum vb_log_level)99); /* expected failures stay quiet */
    memset(&T, 0, sizeof T);
    return vbt_store_setup(&T.fx, ids, VB_ARRAY_LEN(ids), op_seed);
}

static int teardown(void **state)
{
    return vbt_store_close(&T.fx);
}

/* ---- comments ---- */

static void test_comment_create(void **state)
{
    json_t *res = NULL;
    assert_int_equal(call(vb_op_comment_create, T.ann, vbt_store_param("id", T.t1), NULL,
                          json_pack("{s:s}", "body", "Looks good @Carl, ask @dave or a@bob.com"),
                          &res),
                     0);
    assert_string_equal(vbt_str(res, "taskId"), T.t1);
    assert_string_equal(vbt_str(res, "authorId"), T.ann);
    assert_string_equal(vbt_str(res, "authorName"), "Ann Lee");
    assert_true(json_is_null(json_object_get(res, "parentCommentId")));
    assert_string_equal(vbt_str(res, "body"), "Looks good @Carl, ask @dave or a@bob.com");
    assert_true(is_iso(vbt_str(res, "createdAt")));
    assert_true(is_iso(vbt_str(res, "updatedAt")));
    assert_true(vb_id_valid(vbt_str(res, "id")));
    const char *cid = vbt_str(res, "id");

    assert_int_equal(comment_count(T.t1), 1);
    assert_int_equal(count2("SELECT COUNT(*) FROM activity WHERE task_id = ? AND action = ?", T.t1,
                            "comment_added"),
                     1);
    /* the assignee is notified, the reporter (the actor) is not */
    assert_int_equal(notif_count(T.bob, "comment_added"), 1);
    assert_int_equal(notif_count(T.ann, "comment_added"), 0);
    /* carl (member) is mentioned; dave is not a member; bob's "mention" is an email */
    assert_int_equal(notif_count(T.carl, "mentioned"), 1);
    assert_int_equal(notif_count(T.dave, "mentioned"), 0);
    assert_int_equal(notif_count(T.bob, "mentioned"), 0);
    assert_int_equal(
        count2("SELECT COUNT(*) FROM mentions WHERE source_id = ? AND user_id = ?", cid, T.carl),
        1);
    assert_int_equal(count2("SELECT COUNT(*) FROM mentions WHERE source_id = ?", cid, NULL), 1);
    /* events: activity on the workspace and project, notifications per user */
    char topic[64];
    snprintf(topic, sizeof topic, "workspace:%s", T.w1);
    assert_true(has_event(topic, "activity"));
    snprintf(topic, sizeof topic, "project:%s", T.p1);
    assert_true(has_event(topic, "activity"));
    snprintf(topic, sizeof topic, "user:%s", T.bob);
    assert_true(has_event(topic, "notification"));
    snprintf(topic, sizeof topic, "user:%s", T.ann);
    assert_false(has_event(topic, "notification"));
    json_decref(res);

    /* a comment by bob notifies the reporter ann, not bob himself */
    comment_on(T.bob, T.t1, "done", NULL);
    assert_int_equal(notif_count(T.ann, "comment_added"), 1);
    assert_int_equal(notif_count(T.bob, "comment_added"), 1);
    assert_int_equal(comment_count(T.t1), 2);
}

static void test_comment_rules(void **state)
{
    const char *c1 = comment_on(T.ann, T.t1, "first", NULL);
    const char *other = comment_on(T.ann, T.t2, "elsewhere", NULL);
    char unknown[ID_BUF];
    json_t *res = NULL;
    vb_id_new(unknown);

    /* a reply to a comment of the same task */
    assert_int_equal(call(vb_op_comment_create, T.bob, vbt_store_param("id", T.t1), NULL,
                          json_pack("{s:s, s:s}", "body", "reply", "parentCommentId", c1), &res),
                     0);
    assert_string_equal(vbt_str(res, "parentCommentId"), c1);
    json_decref(res);
    /* a parent of another task, or none at all: 422 */
    assert_int_equal(call(vb_op_comment_create, T.bob, vbt_store_param("id", T.t1), NULL,
                          json_pack("{s:s, s:s}", "body", "x", "parentCommentId", other), NULL),
                     VB_EINVAL);
    assert_int_equal(call(vb_op_comment_create, T.bob, vbt_store_param("id", T.t1), NULL,
                          json_pack("{s:s, s:s}", "body", "x", "parentCommentId", unknown), NULL),
                     VB_EINVAL);
    /* empty body: 422 */
    assert_int_equal(call(vb_op_comment_create, T.bob, vbt_store_param("id", T.t1), NULL,
                          json_pack("{s:s}", "body", ""), NULL),
                     VB_EINVAL);
    /* outsider, unknown task: 404; archived project: 409 */
    assert_int_equal(call(vb_op_comment_create, T.dave, vbt_store_param("id", T.t1), NULL,
                          json_pack("{s:s}", "body", "x"), NULL),
                     VB_ENOTFOUND);
    assert_string_equal(T.fx.code, "TASK_NOT_FOUND");
    assert_int_equal(call(vb_op_comment_create, T.ann, vbt_store_param("id", unknown), NULL,
                          json_pack("{s:s}", "body", "x"), NULL),
                     VB_ENOTFOUND);
    assert_int_equal(call(vb_op_comment_create, T.ann, vbt_store_param("id", T.t3), NULL,
                          json_pack("{s:s}", "body", "x"), NULL),
                     VB_ECONFLICT);
    assert_string_equal(T.fx.code, "PROJECT_ARCHIVED");
    /* failures left nothing behind */
    assert_int_equal(comment_count(T.t1), 2);
    assert_int_equal(count2("SELECT COUNT(*) FROM comments WHERE task_id = ?", T.t1, NULL), 2);
    /* reading an archived project's comments is fine */
    assert_int_equal(call(vb_op_comment_list, T.ann, vbt_store_param("id", T.t3), NULL, NULL, NULL),
                     0);
    assert_int_equal(
        call(vb_op_comment_list, T.dave, vbt_store_param("id", T.t1), NULL, NULL, NULL),
        VB_ENOTFOUND);
}

static void test_comment_list(void **state)
{
    char first[ID_BUF];
    json_t *res = NULL;
    snprintf(first, sizeof first, "%s", comment_on(T.ann, T.t1, "c0", NULL));
    for (int i = 1; i < 5; i++) {
        char text[8];
        snprintf(text, sizeof text, "c%d", i);
        comment_on(i % 2 ? T.bob : T.ann, T.t1, text, NULL);
    }
    assert_int_equal(call(vb_op_comment_list, T.carl, vbt_store_param("id", T.t1),
                          json_pack("{s:i, s:i}", "page", 1, "limit", 2), NULL, &res),
                     0);
    json_t *data = json_object_get(res, "data"), *meta = json_object_get(res, "meta");
    assert_int_equal(json_array_size(data), 2);
    assert_string_equal(vbt_str(json_array_get(data, 0), "id"), first); /* oldest first */
    assert_string_equal(vbt_str(json_array_get(data, 0), "body"), "c0");
    assert_string_equal(vbt_str(json_array_get(data, 1), "body"), "c1");
    assert_string_equal(vbt_str(json_array_get(data, 1), "authorName"), "Bob Ray");
    assert_int_equal(vbt_int(meta, "total"), 5);
    assert_int_equal(vbt_int(meta, "totalPages"), 3);
    assert_true(json_is_true(json_object_get(meta, "hasNext")));
    assert_true(json_is_false(json_object_get(meta, "hasPrev")));
    json_decref(res);
    assert_int_equal(call(vb_op_comment_list, T.carl, vbt_store_param("id", T.t1),
                          json_pack("{s:i, s:i}", "page", 3, "limit", 2), NULL, &res),
                     0);
    assert_int_equal(json_array_size(json_object_get(res, "data")), 1);
    assert_string_equal(vbt_str(json_array_get(json_object_get(res, "data"), 0), "body"), "c4");
    json_decref(res);
}

static void test_comment_update(void **state)
{
    char cid[ID_BUF];
    json_t *res = NULL;
    snprintf(cid, sizeof cid, "%s", comment_on(T.ann, T.t1, "hi @carl", NULL));
    assert_int_equal(notif_count(T.carl, "mentioned"), 1);

    /* another member: 403; an outsider or unknown id: 404 */
    assert_int_equal(call(vb_op_comment_update, T.bob, vbt_store_param("id", cid), NULL,
                          json_pack("{s:s}", "body", "x"), NULL),
                     VB_EFORBIDDEN);
    assert_int_equal(call(vb_op_comment_update, T.dave, vbt_store_param("id", cid), NULL,
                          json_pack("{s:s}", "body", "x"), NULL),
                     VB_ENOTFOUND);
    assert_string_equal(T.fx.code, "COMMENT_NOT_FOUND");
    assert_int_equal(call(vb_op_comment_update, T.ann, vbt_store_param("id", "nope"), NULL,
                          json_pack("{s:s}", "body", "x"), NULL),
                     VB_ENOTFOUND);

    /* the author: carl stays mentioned (not notified again), bob is new */
    assert_int_equal(call(vb_op_comment_update, T.ann, vbt_store_param("id", cid), NULL,
                          json_pack("{s:s}", "body", "now @carl and @BOB."), &res),
                     0);
    assert_string_equal(vbt_str(res, "body"), "now @carl and @BOB.");
    assert_string_equal(vbt_str(res, "id"), cid);
    json_decref(res);
    assert_int_equal(notif_count(T.carl, "mentioned"), 1);
    assert_int_equal(notif_count(T.bob, "mentioned"), 1);
    assert_int_equal(count2("SELECT COUNT(*) FROM mentions WHERE source_id = ?", cid, NULL), 2);
    assert_int_equal(count2("SELECT COUNT(*) FROM activity WHERE task_id = ? AND action = ?", T.t1,
                            "comment_updated"),
                     1);
    /* dropping the mentions removes the rows */
    assert_int_equal(call(vb_op_comment_update, T.ann, vbt_store_param("id", cid), NULL,
                          json_pack("{s:s}", "body", "no one"), NULL),
                     0);
    assert_int_equal(count2("SELECT COUNT(*) FROM mentions WHERE source_id = ?", cid, NULL), 0);
    assert_int_equal(comment_count(T.t1), 1);
}

static void test_comment_delete(void **state)
{
    char root[ID_BUF], reply[ID_BUF], keep[ID_BUF];
    snprintf(root, sizeof root, "%s", comment_on(T.ann, T.t1, "root @carl", NULL));
    snprintf(reply, sizeof reply, "%s", comment_on(T.bob, T.t1, "reply @carl", root));
    comment_on(T.ann, T.t1, "reply to reply", reply);
    snprintf(keep, sizeof keep, "%s", comment_on(T.bob, T.t1, "other", NULL));
    assert_int_equal(comment_count(T.t1), 4);

    assert_int_equal(
        call(vb_op_comment_delete, T.bob, vbt_store_param("id", root), NULL, NULL, NULL),
        VB_EFORBIDDEN);
    assert_int_equal(
        call(vb_op_comment_delete, T.dave, vbt_store_param("id", root), NULL, NULL, NULL),
        VB_ENOTFOUND);
    assert_int_equal(
        call(vb_op_comment_delete, T.ann, vbt_store_param("id", root), NULL, NULL, NULL), 0);
    /* the root and both replies are gone, with their mention rows */
    assert_int_equal(comment_count(T.t1), 1);
    assert_int_equal(count2("SELECT COUNT(*) FROM comments WHERE task_id = ?", T.t1, NULL), 1);
    assert_int_equal(count2("SELECT COUNT(*) FROM comments WHERE id = ?", keep, NULL), 1);
    assert_int_equal(count2("SELECT COUNT(*) FROM mentions WHERE source_id IN (?, ?)", root, reply),
                     0);
    assert_int_equal(count2("SELECT COUNT(*) FROM activity WHERE task_id = ? AND action = ?", T.t1,
                            "comment_deleted"),
                     1);
    /* a second delete: 404 */
    assert_int_equal(
        call(vb_op_comment_delete, T.ann, vbt_store_param("id", root), NULL, NULL, NULL),
        VB_ENOTFOUND);
}

/* ---- mentions (store side) ---- */

static void test_mentions_apply(void **state)
{
    json_t *res = NULL;
    json_t *args =
        json_pack("{s:{s:s}, s:s}", "actor", "id", T.ann, "text", "@ann @bob @carl @dave @nobody");
    assert_int_equal(vb_store_run_sync(T.fx.store, op_mention, args, &res), 0);
    json_decref(args);
    /* members only (dave is not one), the actor included in the rows */
    assert_int_equal(json_array_size(json_object_get(res, "ids")), 3);
    json_decref(res);
    assert_int_equal(count2("SELECT COUNT(*) FROM mentions WHERE source_id = ?", "src1", NULL), 3);
    /* but the actor is never notified; data carries the source */
    assert_int_equal(notif_count(T.ann, "mentioned"), 0);
    assert_int_equal(notif_count(T.bob, "mentioned"), 1);
    assert_int_equal(count2("SELECT COUNT(*) FROM notifications WHERE user_id = ? AND"
                            " data LIKE '%\"sourceId\":\"src1\"%' AND"
                            " data LIKE '%\"k\":\"v\"%' AND title = ?",
                            T.bob, "You were mentioned"),
                     1);
}

/* ---- labels ---- */

static void test_labels(void **state)
{
    json_t *res = NULL;
    char bug[ID_BUF], api[ID_BUF];

    assert_int_equal(call(vb_op_label_create, T.bob, vbt_store_param("wid", T.w1), NULL,
                          json_pack("{s:s, s:s}", "name", "bug", "color", "#FF0000"), &res),
                     0);
    assert_string_equal(vbt_str(res, "name"), "bug");
    assert_string_equal(vbt_str(res, "color"), "#FF0000");
    assert_string_equal(vbt_str(res, "workspaceId"), T.w1);
    assert_true(is_iso(vbt_str(res, "createdAt")));
    snprintf(bug, sizeof bug, "%s", vbt_str(res, "id"));
    json_decref(res);
    assert_int_equal(call(vb_op_label_create, T.ann, vbt_store_param("wid", T.w1), NULL,
                          json_pack("{s:s, s:s}", "name", "API", "color", "#00ff00"), &res),
                     0);
    snprintf(api, sizeof api, "%s", vbt_str(res, "id"));
    json_decref(res);
    /* duplicate regardless of case: 409; the same name in another workspace is fine */
    assert_int_equal(call(vb_op_label_create, T.ann, vbt_store_param("wid", T.w1), NULL,
                          json_pack("{s:s, s:s}", "name", "BUG", "color", "#000000"), NULL),
                     VB_ECONFLICT);
    assert_string_equal(T.fx.code, "LABEL_NAME_TAKEN");
    assert_int_equal(call(vb_op_label_create, T.dave, vbt_store_param("wid", T.w2), NULL,
                          json_pack("{s:s, s:s}", "name", "bug", "color", "#000000"), NULL),
                     0);
    /* outsider: 404; bad color: 422 */
    assert_int_equal(call(vb_op_label_create, T.dave, vbt_store_param("wid", T.w1), NULL,
                          json_pack("{s:s, s:s}", "name", "x", "color", "#000000"), NULL),
                     VB_ENOTFOUND);
    assert_int_equal(call(vb_op_label_create, T.ann, vbt_store_param("wid", T.w1), NULL,
                          json_pack("{s:s, s:s}", "name", "x", "color", "red"), NULL),
                     VB_EINVAL);

    /* list by name, case aside */
    assert_int_equal(call(vb_op_label_list, T.carl, vbt_store_param("wid", T.w1), NULL, NULL, &res),
                     0);
    assert_int_equal(json_array_size(res), 2);
    assert_string_equal(vbt_str(json_array_get(res, 0), "name"), "API");
    assert_string_equal(vbt_str(json_array_get(res, 1), "name"), "bug");
    json_decref(res);
    assert_int_equal(call(vb_op_label_list, T.dave, vbt_store_param("wid", T.w1), NULL, NULL, NULL),
                     VB_ENOTFOUND);

    /* update: rename to a taken name 409, to its own name in another case fine */
    assert_int_equal(call(vb_op_label_update, T.ann, vbt_store_param("id", api), NULL,
                          json_pack("{s:s}", "name", "Bug"), NULL),
                     VB_ECONFLICT);
    assert_int_equal(call(vb_op_label_update, T.ann, vbt_store_param("id", bug), NULL,
                          json_pack("{s:s, s:s}", "name", "Bug", "color", "#123456"), &res),
                     0);
    assert_string_equal(vbt_str(res, "name"), "Bug");
    assert_string_equal(vbt_str(res, "color"), "#123456");
    json_decref(res);
    assert_int_equal(call(vb_op_label_update, T.dave, vbt_store_param("id", bug), NULL,
                          json_pack("{s:s}", "color", "#000000"), NULL),
                     VB_ENOTFOUND);
    assert_string_equal(T.fx.code, "LABEL_NOT_FOUND");
    assert_int_equal(count2("SELECT COUNT(*) FROM activity WHERE action = ? AND"
                            " changes LIKE '%\"name\":{\"from\":\"bug\",\"to\":\"Bug\"}%'",
                            "label_updated", NULL),
                     1);

    /* delete: unlinked from tasks */
    exec2("INSERT INTO task_labels (task_id, label_id) VALUES (?, ?)", T.t1, bug);
    assert_int_equal(call(vb_op_label_delete, T.dave, vbt_store_param("id", bug), NULL, NULL, NULL),
                     VB_ENOTFOUND);
    assert_int_equal(call(vb_op_label_delete, T.carl, vbt_store_param("id", bug), NULL, NULL, NULL),
                     0);
    assert_int_equal(count2("SELECT COUNT(*) FROM task_labels WHERE label_id = ?", bug, NULL), 0);
    assert_int_equal(count2("SELECT COUNT(*) FROM labels WHERE id = ?", bug, NULL), 0);
    assert_int_equal(call(vb_op_label_delete, T.carl, vbt_store_param("id", bug), NULL, NULL, NULL),
                     VB_ENOTFOUND);
    /* workspace-level activity rows */
    assert_int_equal(count2("SELECT COUNT(*) FROM activity WHERE workspace_id = ? AND action LIKE"
                            " 'label_%' AND project_id IS NULL AND task_id IS NULL",
                            T.w1, NULL),
                     4);
}

/* ---- activity ---- */

static void test_activity(void **state)
{
    json_t *res = NULL, *data, *row;
    comment_on(T.ann, T.t1, "one", NULL);
    comment_on(T.bob, T.t2, "two", NULL);
    assert_int_equal(call(vb_op_label_create, T.ann, vbt_store_param("wid", T.w1), NULL,
                          json_pack("{s:s, s:s}", "name", "l", "color", "#000000"), NULL),
                     0);

    /* workspace: newest first, all three */
    assert_int_equal(
        call(vb_op_activity_workspace, T.carl, vbt_store_param("wid", T.w1), NULL, NULL, &res), 0);
    data = json_object_get(res, "data");
    assert_int_equal(json_array_size(data), 3);
    assert_int_equal(vbt_int(json_object_get(res, "meta"), "total"), 3);
    assert_string_equal(vbt_str(json_array_get(data, 0), "action"), "label_created");
    assert_true(json_is_null(json_object_get(json_array_get(data, 0), "projectId")));
    row = json_array_get(data, 2);
    assert_string_equal(vbt_str(row, "action"), "comment_added");
    assert_string_equal(vbt_str(row, "workspaceId"), T.w1);
    assert_string_equal(vbt_str(row, "projectId"), T.p1);
    assert_string_equal(vbt_str(row, "taskId"), T.t1);
    assert_string_equal(vbt_str(row, "actorId"), T.ann);
    assert_string_equal(vbt_str(row, "actorName"), "Ann Lee");
    assert_true(json_is_object(json_object_get(row, "changes")));
    assert_non_null(vbt_str(json_object_get(row, "changes"), "commentId"));
    assert_true(is_iso(vbt_str(row, "createdAt")));
    json_decref(res);

    /* project and task */
    assert_int_equal(call(vb_op_activity_project, T.bob, vbt_store_param("pid", T.p1),
                          json_pack("{s:i}", "limit", 1), NULL, &res),
                     0);
    assert_int_equal(json_array_size(json_object_get(res, "data")), 1);
    assert_int_equal(vbt_int(json_object_get(res, "meta"), "total"), 2);
    assert_string_equal(vbt_str(json_array_get(json_object_get(res, "data"), 0), "taskId"), T.t2);
    json_decref(res);
    assert_int_equal(
        call(vb_op_activity_task, T.bob, vbt_store_param("id", T.t1), NULL, NULL, &res), 0);
    assert_int_equal(vbt_int(json_object_get(res, "meta"), "total"), 1);
    json_decref(res);

    /* outsiders and unknown ids: 404 */
    assert_int_equal(
        call(vb_op_activity_workspace, T.dave, vbt_store_param("wid", T.w1), NULL, NULL, NULL),
        VB_ENOTFOUND);
    assert_int_equal(
        call(vb_op_activity_project, T.dave, vbt_store_param("pid", T.p1), NULL, NULL, NULL),
        VB_ENOTFOUND);
    assert_int_equal(
        call(vb_op_activity_task, T.dave, vbt_store_param("id", T.t1), NULL, NULL, NULL),
        VB_ENOTFOUND);
    assert_int_equal(
        call(vb_op_activity_task, T.ann, vbt_store_param("id", "nope"), NULL, NULL, NULL),
        VB_ENOTFOUND);

    /* a deleted task: its own log is 404, its rows stay in the others */
    assert_int_equal(call(op_delete_t1, T.ann, NULL, NULL, NULL, NULL), 0);
    assert_int_equal(
        call(vb_op_activity_task, T.ann, vbt_store_param("id", T.t1), NULL, NULL, NULL),
        VB_ENOTFOUND);
    assert_int_equal(
        call(vb_op_activity_project, T.ann, vbt_store_param("pid", T.p1), NULL, NULL, &res), 0);
    assert_int_equal(vbt_int(json_object_get(res, "meta"), "total"), 3);
    data = json_object_get(res, "data");
    assert_string_equal(vbt_str(json_array_get(data, 0), "action"), "task_deleted");
    assert_string_equal(vbt_str(json_array_get(data, 2), "taskId"), T.t1);
    json_decref(res);
    assert_int_equal(
        call(vb_op_activity_workspace, T.ann, vbt_store_param("wid", T.w1), NULL, NULL, &res), 0);
    assert_int_equal(vbt_int(json_object_get(res, "meta"), "total"), 4);
    json_decref(res);
}

/* ---- notifications ---- */

static void test_notifications(void **state)
{
    json_t *res = NULL, *data, *n;
    char first[ID_BUF];
    /* bob gets: comment_added (T1 assignee) for ann's comment; for carl's,
     * which mentions him, the mention only (one notification, not two) */
    comment_on(T.ann, T.t1, "one", NULL);
    comment_on(T.carl, T.t1, "two @bob", NULL);

    assert_int_equal(call(vb_op_notification_unread, T.bob, NULL, NULL, NULL, &res), 0);
    assert_int_equal(vbt_int(res, "count"), 2);
    json_decref(res);
    assert_int_equal(call(vb_op_notification_list, T.bob, NULL, NULL, NULL, &res), 0);
    data = json_object_get(res, "data");
    assert_int_equal(json_array_size(data), 2);
    assert_int_equal(vbt_int(json_object_get(res, "meta"), "total"), 2);
    n = json_array_get(data, 1); /* oldest: ann's comment */
    assert_string_equal(vbt_str(n, "type"), "comment_added");
    assert_string_equal(vbt_str(n, "workspaceId"), T.w1);
    assert_true(json_is_false(json_object_get(n, "read")));
    assert_true(json_is_null(json_object_get(n, "readAt")));
    assert_true(is_iso(vbt_str(n, "createdAt")));
    assert_string_equal(vbt_str(json_object_get(n, "data"), "taskId"), T.t1);
    assert_non_null(strstr(vbt_str(n, "title"), "Ann Lee"));
    assert_string_equal(vbt_str(json_array_get(data, 0), "type"), "mentioned"); /* newest first */
    snprintf(first, sizeof first, "%s", vbt_str(n, "id"));
    json_decref(res);

    /* someone else's notification: 404; one's own: read */
    assert_int_equal(
        call(vb_op_notification_read, T.carl, vbt_store_param("id", first), NULL, NULL, NULL),
        VB_ENOTFOUND);
    assert_string_equal(T.fx.code, "NOTIFICATION_NOT_FOUND");
    assert_int_equal(
        call(vb_op_notification_read, T.bob, vbt_store_param("id", first), NULL, NULL, &res), 0);
    assert_true(json_is_true(json_object_get(res, "read")));
    assert_true(is_iso(vbt_str(res, "readAt")));
    assert_string_equal(vbt_str(res, "id"), first);
    json_decref(res);
    /* again: still read, fine */
    assert_int_equal(
        call(vb_op_notification_read, T.bob, vbt_store_param("id", first), NULL, NULL, NULL), 0);

    /* unread filter */
    assert_int_equal(
        call(vb_op_notification_list, T.bob, NULL, json_pack("{s:b}", "unread", 1), NULL, &res), 0);
    assert_int_equal(vbt_int(json_object_get(res, "meta"), "total"), 1);
    json_decref(res);
    assert_int_equal(
        call(vb_op_notification_list, T.bob, NULL, json_pack("{s:b}", "unread", 0), NULL, &res), 0);
    assert_int_equal(vbt_int(json_object_get(res, "meta"), "total"), 2);
    json_decref(res);

    /* read-all: the one unread; then zero */
    assert_int_equal(call(vb_op_notification_read_all, T.bob, NULL, NULL, NULL, &res), 0);
    assert_int_equal(vbt_int(res, "updated"), 1);
    json_decref(res);
    assert_int_equal(call(vb_op_notification_read_all, T.bob, NULL, NULL, NULL, &res), 0);
    assert_int_equal(vbt_int(res, "updated"), 0);
    json_decref(res);
    assert_int_equal(call(vb_op_notification_unread, T.bob, NULL, NULL, NULL, &res), 0);
    assert_int_equal(vbt_int(res, "count"), 0);
    json_decref(res);
    /* others' counts untouched: ann got carl's comment_added as reporter */
    assert_int_equal(call(vb_op_notification_unread, T.ann, NULL, NULL, NULL, &res), 0);
    assert_int_equal(vbt_int(res, "count"), 1);
    json_decref(res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_comment_create, setup, teardown),
        cmocka_unit_test_setup_teardown(test_comment_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_comment_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_comment_update, setup, teardown),
        cmocka_unit_test_setup_teardown(test_comment_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mentions_apply, setup, teardown),
        cmocka_unit_test_setup_teardown(test_labels, setup, teardown),
        cmocka_unit_test_setup_teardown(test_activity, setup, teardown),
        cmocka_unit_test_setup_teardown(test_notifications, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
