/*
 * Unit tests of the project and task operations (store/ops_projects.c,
 * store/ops_tasks*.c) run through a real store on an in-memory database with
 * vb_store_run_sync: keys per project, column rules, ordering, the board,
 * archived projects, workspace isolation, id-set checks and the activity log.
 *
 * Fixture: alice (admin of W1), bob (member of W1), carol (admin of W2 only);
 * label L1 in W1 and L2 in W2. Each test gets a fresh database.
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
#include "store/vb_ops_pt.h"
#include "store/vb_store.h"
#include "support/vb_test_store.h"

static struct {
    vbt_store fx;
    char alice[VB_ID_LEN + 1], bob[VB_ID_LEN + 1], carol[VB_ID_LEN + 1];
    char w1[VB_ID_LEN + 1], w2[VB_ID_LEN + 1], l1[VB_ID_LEN + 1], l2[VB_ID_LEN + 1];
} T;

/* ---- store-thread operations of the fixture ---- */

static int add_label(vb_db *db, const char *id, const char *wid, const char *name)
{
    int64_t now = vb_wall_ms();
    return vb_db_exec(db,
                      "INSERT INTO labels (id, workspace_id, name, color, created_at, updated_at)"
                      " VALUES (?, ?, ?, '#ff0000', ?, ?)",
                      "sssii", id, wid, name, now, now);
}

static int op_seed(vb_op_ctx *c)
{
    int rc = vbt_store_seed_user(c->db, T.alice, "alice", "alice", "Test");
    if (!rc) rc = vbt_store_seed_user(c->db, T.bob, "bob", "bob", "Test");
    if (!rc) rc = vbt_store_seed_user(c->db, T.carol, "carol", "carol", "Test");
    if (!rc) rc = vbt_store_seed_workspace(c->db, T.w1, "w-one", T.alice);
    if (!rc) rc = vbt_store_seed_workspace(c->db, T.w2, "w-two", T.carol);
    if (!rc) rc = vbt_store_seed_member(c->db, T.w1, T.alice, "admin");
    if (!rc) rc = vbt_store_seed_member(c->db, T.w1, T.bob, "member");
    if (!rc) rc = vbt_store_seed_member(c->db, T.w2, T.carol, "admin");
    if (!rc) rc = add_label(c->db, T.l1, T.w1, "bug");
    if (!rc) rc = add_label(c->db, T.l2, T.w2, "bug");
    return rc;
}

/* ---- helpers on the test thread ---- */

static int64_t count2(const char *sql, const char *a, const char *b)
{
    return vbt_store_count(&T.fx, sql, a, b);
}

/* Activity rows of action for the task (or project) id. */
static int64_t activity_count(const char *col, const char *id, const char *action)
{
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM activity WHERE %s = ? AND action = ?", col);
    return count2(sql, id, action);
}

/* Runs fn as actor with params (a JSON text), query and body (stolen, may be
 * NULL). Returns the op's status; *res (may be NULL) gets the result. */
static int call(vb_op_fn fn, const char *actor, const char *params, json_t *query, json_t *body,
                json_t **res)
{
    return vbt_store_call(&T.fx, fn, actor, params, query, body, res);
}

/* Creates project key in wid as actor; returns its id (static buffer). */
static const char *make_project(const char *actor, const char *wid, const char *key)
{
    json_t *p = NULL;
    assert_int_equal(call(vb_op_project_create, actor, vbt_store_param("wid", wid), NULL,
                          json_pack("{s:s, s:s}", "name", key, "key", key), &p),
                     0);
    return vbt_store_take_id(p);
}

/* Creates a task titled title in pid (body extra fields merged); returns the task. */
static json_t *make_task(const char *actor, const char *pid, const char *title, json_t *extra)
{
    json_t *body = json_pack("{s:s}", "title", title), *t = NULL;
    if (extra) {
        json_object_update(body, extra);
        json_decref(extra);
    }
    assert_int_equal(call(vb_op_task_create, actor, vbt_store_param("pid", pid), NULL, body, &t),
                     0);
    assert_non_null(t);
    return t;
}

/* The orderIndex of task tid as stored. */
static json_int_t order_of(const char *tid)
{
    return (json_int_t)count2("SELECT order_index FROM tasks WHERE id = ?", tid, NULL);
}

/* 1 if the last call's errors name field. */
static int error_on(const char *field)
{
    return vbt_store_error_on(&T.fx, field);
}

/* 1 if the last call queued a task_changed event on project:<pid>. */
static int saw_task_changed(const char *pid)
{
    return vbt_store_event(&T.fx, "task_changed", vbt_store_topic("project", pid)) != NULL;
}

/* ---- tests ---- */

static void test_project_keys_and_isolation(void **state)
{
    json_t *p = NULL, *t = NULL;
    const char *p1 = make_project(T.alice, T.w1, "WEB");
    const char *p2 = make_project(T.carol, T.w2, "WEB");

    assert_int_equal(activity_count("project_id", p1, "project_created"), 1);
    assert_int_equal(call(vb_op_project_get, T.bob, vbt_store_param("pid", p1), NULL, NULL, &p), 0);
    assert_string_equal(vbt_str(p, "key"), "WEB");
    assert_string_equal(vbt_str(p, "status"), "active");
    assert_int_equal(json_array_size(json_object_get(p, "columns")), 4);
    assert_string_equal(vbt_str(json_array_get(json_object_get(p, "columns"), 1), "name"),
                        "in-progress");
    assert_int_equal(vbt_int(p, "taskCount"), 0);
    assert_int_equal(strlen(vbt_str(p, "createdAt")), 24); /* ISO 8601 with ms */
    json_decref(p);

    t = make_task(T.alice, p1, "one", NULL);
    assert_string_equal(vbt_str(t, "key"), "WEB-1");
    assert_string_equal(vbt_str(t, "status"), "todo");
    assert_string_equal(vbt_str(t, "priority"), "none");
    assert_true(saw_task_changed(p1));
    json_decref(t);
    t = make_task(T.bob, p1, "two", NULL);
    assert_string_equal(vbt_str(t, "key"), "WEB-2");
    assert_int_equal(vbt_int(t, "number"), 2);
    json_decref(t);
    /* same key in another workspace starts its own sequence */
    t = make_task(T.carol, p2, "other", NULL);
    assert_string_equal(vbt_str(t, "key"), "WEB-1");
    json_decref(t);

    /* duplicate key in the same workspace */
    assert_int_equal(call(vb_op_project_create, T.bob, vbt_store_param("wid", T.w1), NULL,
                          json_pack("{s:s, s:s}", "name", "again", "key", "WEB"), NULL),
                     VB_ECONFLICT);
    assert_string_equal(T.fx.code, "PROJECT_KEY_TAKEN");
    /* a lead from outside the workspace */
    assert_int_equal(
        call(vb_op_project_create, T.alice, vbt_store_param("wid", T.w1), NULL,
             json_pack("{s:s, s:s, s:s}", "name", "x", "key", "OPS", "leadId", T.carol), NULL),
        VB_EINVAL);
    assert_true(error_on("leadId"));

    /* non-members see nothing */
    assert_int_equal(call(vb_op_project_get, T.carol, vbt_store_param("pid", p1), NULL, NULL, NULL),
                     VB_ENOTFOUND);
    assert_string_equal(T.fx.code, "PROJECT_NOT_FOUND");
    assert_int_equal(call(vb_op_task_create, T.carol, vbt_store_param("pid", p1), NULL,
                          json_pack("{s:s}", "title", "sneaky"), NULL),
                     VB_ENOTFOUND);
    assert_int_equal(
        call(vb_op_project_list, T.carol, vbt_store_param("wid", T.w1), NULL, NULL, NULL),
        VB_ENOTFOUND);
    assert_int_equal(count2("SELECT COUNT(*) FROM tasks WHERE project_id = ?", p1, NULL), 2);

    /* list: alice sees W1's one project, with its task count */
    assert_int_equal(
        call(vb_op_project_list, T.alice, vbt_store_param("wid", T.w1), NULL, NULL, &p), 0);
    assert_int_equal(json_array_size(json_object_get(p, "data")), 1);
    assert_int_equal(vbt_int(json_array_get(json_object_get(p, "data"), 0), "taskCount"), 2);
    assert_int_equal(vbt_int(json_object_get(p, "meta"), "total"), 1);
    json_decref(p);
}

static void test_task_create_rules(void **state)
{
    const char *p1 = make_project(T.alice, T.w1, "APP");
    const char *p2 = make_project(T.alice, T.w1, "OPS");
    json_t *other = make_task(T.alice, p2, "elsewhere", NULL), *t;
    char tid[VB_ID_LEN + 1];

    assert_int_equal(call(vb_op_task_create, T.alice, vbt_store_param("pid", p1), NULL,
                          json_pack("{s:s, s:s}", "title", "x", "status", "bogus"), NULL),
                     VB_EINVAL);
    assert_true(error_on("status"));
    assert_int_equal(call(vb_op_task_create, T.alice, vbt_store_param("pid", p1), NULL,
                          json_pack("{s:s, s:[s]}", "title", "x", "assigneeIds", T.carol), NULL),
                     VB_EINVAL);
    assert_true(error_on("assigneeIds"));
    assert_int_equal(call(vb_op_task_create, T.alice, vbt_store_param("pid", p1), NULL,
                          json_pack("{s:s, s:[s]}", "title", "x", "labelIds", T.l2), NULL),
                     VB_EINVAL);
    assert_true(error_on("labelIds"));
    assert_int_equal(
        call(vb_op_task_create, T.alice, vbt_store_param("pid", p1), NULL,
             json_pack("{s:s, s:s}", "title", "x", "parentTaskId", vbt_str(other, "id")), NULL),
        VB_EINVAL);
    assert_true(error_on("parentTaskId"));
    /* failed creates took no number */
    assert_int_equal(count2("SELECT task_seq FROM projects WHERE id = ?", p1, NULL), 0);

    t = make_task(T.alice, p1, "real",
                  json_pack("{s:s, s:s, s:[s,s], s:[s], s:s, s:f}", "status", "review", "priority",
                            "high", "assigneeIds", T.bob, T.alice, "labelIds", T.l1, "dueDate",
                            "2030-01-02", "estimatePoints", 3.5));
    snprintf(tid, sizeof tid, "%s", vbt_str(t, "id"));
    assert_string_equal(vbt_str(t, "key"), "APP-1");
    assert_string_equal(vbt_str(t, "status"), "review");
    assert_string_equal(vbt_str(t, "priority"), "high");
    assert_int_equal(json_array_size(json_object_get(t, "assigneeIds")), 2);
    assert_string_equal(json_string_value(json_array_get(json_object_get(t, "labelIds"), 0)), T.l1);
    assert_string_equal(vbt_str(t, "dueDate"), "2030-01-02");
    assert_true(json_real_value(json_object_get(t, "estimatePoints")) == 3.5);
    assert_string_equal(vbt_str(t, "reporterId"), T.alice);
    assert_int_equal(vbt_int(t, "orderIndex"), 0);
    json_decref(t);
    assert_int_equal(activity_count("task_id", tid, "task_created"), 1);
    /* bob is notified, alice (the actor) is not */
    assert_int_equal(count2("SELECT COUNT(*) FROM notifications WHERE user_id = ? AND type = ?",
                            T.bob, "task_assigned"),
                     1);
    assert_int_equal(count2("SELECT COUNT(*) FROM notifications WHERE user_id = ? AND type = ?",
                            T.alice, "task_assigned"),
                     0);

    /* a subtask, listed under its parent */
    t = make_task(T.bob, p1, "child", json_pack("{s:s}", "parentTaskId", tid));
    json_decref(t);
    assert_int_equal(call(vb_op_task_subtasks, T.bob, vbt_store_param("id", tid), NULL, NULL, &t),
                     0);
    assert_int_equal(json_array_size(t), 1);
    assert_string_equal(vbt_str(json_array_get(t, 0), "title"), "child");
    json_decref(t);
    assert_int_equal(call(vb_op_task_get, T.carol, vbt_store_param("id", tid), NULL, NULL, NULL),
                     VB_ENOTFOUND);
    assert_string_equal(T.fx.code, "TASK_NOT_FOUND");
    json_decref(other);
}

static void test_status_reorder_board(void **state)
{
    const char *pid = make_project(T.alice, T.w1, "BRD");
    json_t *a = make_task(T.alice, pid, "A", NULL), *b = make_task(T.alice, pid, "B", NULL),
           *c = make_task(T.alice, pid, "C", json_pack("{s:[s]}", "assigneeIds", T.bob)), *r;
    char ta[VB_ID_LEN + 1], tb[VB_ID_LEN + 1], tc[VB_ID_LEN + 1];
    snprintf(ta, sizeof ta, "%s", vbt_str(a, "id"));
    snprintf(tb, sizeof tb, "%s", vbt_str(b, "id"));
    snprintf(tc, sizeof tc, "%s", vbt_str(c, "id"));
    json_decref(a);
    json_decref(b);
    json_decref(c);
    assert_int_equal(order_of(ta), 0);
    assert_int_equal(order_of(tb), 1);
    assert_int_equal(order_of(tc), 2);

    /* status route: end of the new column, old column renumbered */
    assert_int_equal(call(vb_op_task_status, T.alice, vbt_store_param("id", ta), NULL,
                          json_pack("{s:s}", "status", "nope"), NULL),
                     VB_EINVAL);
    assert_true(error_on("status"));
    assert_int_equal(call(vb_op_task_status, T.alice, vbt_store_param("id", ta), NULL,
                          json_pack("{s:s}", "status", "done"), &r),
                     0);
    assert_string_equal(vbt_str(r, "status"), "done");
    assert_int_equal(vbt_int(r, "orderIndex"), 0);
    json_decref(r);
    assert_true(saw_task_changed(pid));
    assert_int_equal(order_of(tb), 0);
    assert_int_equal(order_of(tc), 1);
    assert_int_equal(activity_count("task_id", ta, "status_changed"), 1);

    /* status of C notifies its assignee bob */
    assert_int_equal(call(vb_op_task_status, T.alice, vbt_store_param("id", tc), NULL,
                          json_pack("{s:s}", "status", "review"), NULL),
                     0);
    assert_int_equal(count2("SELECT COUNT(*) FROM notifications WHERE user_id = ? AND type = ?",
                            T.bob, "task_status_changed"),
                     1);
    assert_int_equal(call(vb_op_task_status, T.alice, vbt_store_param("id", tc), NULL,
                          json_pack("{s:s}", "status", "todo"), NULL),
                     0);
    /* todo: B0 C1; reorder C to the front of todo */
    assert_int_equal(call(vb_op_task_reorder, T.alice, vbt_store_param("id", tc), NULL,
                          json_pack("{s:s, s:i}", "status", "todo", "orderIndex", 0), NULL),
                     0);
    assert_int_equal(order_of(tc), 0);
    assert_int_equal(order_of(tb), 1);
    assert_int_equal(activity_count("task_id", tc, "task_updated"), 1);
    /* reorder B across to done, at the front: done B0 A1, todo C0 */
    assert_int_equal(call(vb_op_task_reorder, T.bob, vbt_store_param("id", tb), NULL,
                          json_pack("{s:s, s:i}", "status", "done", "orderIndex", 0), NULL),
                     0);
    assert_int_equal(order_of(tb), 0);
    assert_int_equal(order_of(ta), 1);
    assert_int_equal(order_of(tc), 0);
    assert_int_equal(activity_count("task_id", tb, "status_changed"), 1);
    /* past the end means the end */
    assert_int_equal(call(vb_op_task_reorder, T.alice, vbt_store_param("id", tc), NULL,
                          json_pack("{s:s, s:i}", "status", "done", "orderIndex", 99), &r),
                     0);
    assert_int_equal(vbt_int(r, "orderIndex"), 2);
    json_decref(r);
    assert_int_equal(call(vb_op_task_reorder, T.alice, vbt_store_param("id", tc), NULL,
                          json_pack("{s:s, s:i}", "status", "nope", "orderIndex", 0), NULL),
                     VB_EINVAL);

    /* the board: columns in order, done = B, A, C */
    assert_int_equal(call(vb_op_project_board, T.bob, vbt_store_param("pid", pid), NULL, NULL, &r),
                     0);
    json_t *cols = json_object_get(r, "columns");
    assert_int_equal(json_array_size(cols), 4);
    assert_string_equal(vbt_str(json_array_get(cols, 0), "name"), "todo");
    assert_int_equal(json_array_size(json_object_get(json_array_get(cols, 0), "tasks")), 0);
    json_t *done = json_object_get(json_array_get(cols, 3), "tasks");
    assert_int_equal(json_array_size(done), 3);
    assert_string_equal(vbt_str(json_array_get(done, 0), "id"), tb);
    assert_string_equal(vbt_str(json_array_get(done, 1), "id"), ta);
    assert_string_equal(vbt_str(json_array_get(done, 2), "id"), tc);
    assert_string_equal(vbt_str(json_object_get(r, "project"), "id"), pid);
    json_decref(r);

    /* the list: filter, search, sort, pagination */
    json_t *q = json_pack("{s:s, s:s, s:i}", "status", "done", "sort", "orderIndex", "limit", 2);
    assert_int_equal(call(vb_op_task_list, T.alice, vbt_store_param("pid", pid), q, NULL, &r), 0);
    assert_int_equal(json_array_size(json_object_get(r, "data")), 2);
    assert_string_equal(vbt_str(json_array_get(json_object_get(r, "data"), 0), "id"), tb);
    assert_int_equal(vbt_int(json_object_get(r, "meta"), "total"), 3);
    json_decref(r);
    assert_int_equal(call(vb_op_task_list, T.alice, vbt_store_param("pid", pid),
                          json_pack("{s:s}", "q", "brd-2"), NULL, &r),
                     0);
    assert_int_equal(json_array_size(json_object_get(r, "data")), 1);
    assert_string_equal(vbt_str(json_array_get(json_object_get(r, "data"), 0), "id"), tb);
    json_decref(r);
    assert_int_equal(call(vb_op_task_list, T.alice, vbt_store_param("pid", pid),
                          json_pack("{s:s}", "q", "%"), NULL, &r),
                     0);
    assert_int_equal(json_array_size(json_object_get(r, "data")), 0);
    json_decref(r);
    assert_int_equal(call(vb_op_task_list, T.alice, vbt_store_param("pid", pid),
                          json_pack("{s:s}", "assigneeId", T.bob), NULL, &r),
                     0);
    assert_int_equal(json_array_size(json_object_get(r, "data")), 1);
    json_decref(r);
    assert_int_equal(call(vb_op_task_list, T.alice, vbt_store_param("pid", pid),
                          json_pack("{s:s}", "status", "nope"), NULL, NULL),
                     VB_EINVAL);
}

static void test_archived_project(void **state)
{
    const char *pid = make_project(T.alice, T.w1, "OLD");
    json_t *t = make_task(T.bob, pid, "task", NULL), *r;
    char tid[VB_ID_LEN + 1];
    snprintf(tid, sizeof tid, "%s", vbt_str(t, "id"));
    json_decref(t);

    /* bob is neither admin nor lead */
    assert_int_equal(
        call(vb_op_project_archive, T.bob, vbt_store_param("pid", pid), NULL, NULL, NULL),
        VB_EFORBIDDEN);
    /* PATCH: only real changes are logged */
    assert_int_equal(call(vb_op_project_update, T.bob, vbt_store_param("pid", pid), NULL,
                          json_pack("{s:s, s:s}", "name", "OLD", "description", "d"), &r),
                     0);
    assert_string_equal(vbt_str(r, "description"), "d");
    json_decref(r);
    assert_int_equal(activity_count("project_id", pid, "project_updated"), 1);
    /* a plain member cannot make themselves lead; an admin can */
    assert_int_equal(call(vb_op_project_update, T.bob, vbt_store_param("pid", pid), NULL,
                          json_pack("{s:s}", "leadId", T.bob), NULL),
                     VB_EFORBIDDEN);
    assert_int_equal(call(vb_op_project_update, T.alice, vbt_store_param("pid", pid), NULL,
                          json_pack("{s:s}", "leadId", T.bob), NULL),
                     0);
    assert_int_equal(activity_count("project_id", pid, "project_updated"), 2);
    assert_int_equal(call(vb_op_project_update, T.bob, vbt_store_param("pid", pid), NULL,
                          json_pack("{s:s}", "leadId", T.carol), NULL),
                     VB_EINVAL);
    /* now bob is the lead and may archive */
    assert_int_equal(
        call(vb_op_project_archive, T.bob, vbt_store_param("pid", pid), NULL, NULL, NULL), 0);
    assert_int_equal(activity_count("project_id", pid, "project_archived"), 1);

    assert_int_equal(call(vb_op_task_create, T.alice, vbt_store_param("pid", pid), NULL,
                          json_pack("{s:s}", "title", "late"), NULL),
                     VB_ECONFLICT);
    assert_string_equal(T.fx.code, "PROJECT_ARCHIVED");
    assert_int_equal(call(vb_op_project_update, T.alice, vbt_store_param("pid", pid), NULL,
                          json_pack("{s:s}", "name", "new"), NULL),
                     VB_ECONFLICT);
    assert_string_equal(T.fx.code, "PROJECT_ARCHIVED");
    assert_int_equal(call(vb_op_task_status, T.alice, vbt_store_param("id", tid), NULL,
                          json_pack("{s:s}", "status", "done"), NULL),
                     VB_ECONFLICT);
    assert_string_equal(T.fx.code, "PROJECT_ARCHIVED");
    assert_int_equal(call(vb_op_task_update, T.alice, vbt_store_param("id", tid), NULL,
                          json_pack("{s:s}", "title", "x"), NULL),
                     VB_ECONFLICT);
    assert_int_equal(call(vb_op_task_delete, T.alice, vbt_store_param("id", tid), NULL, NULL, NULL),
                     VB_ECONFLICT);
    assert_int_equal(
        call(vb_op_project_archive, T.alice, vbt_store_param("pid", pid), NULL, NULL, NULL),
        VB_ECONFLICT);
    /* reads still work */
    assert_int_equal(call(vb_op_task_get, T.alice, vbt_store_param("id", tid), NULL, NULL, NULL),
                     0);
    assert_int_equal(call(vb_op_project_list, T.alice, vbt_store_param("wid", T.w1),
                          json_pack("{s:s}", "status", "archived"), NULL, &r),
                     0);
    assert_int_equal(vbt_int(json_object_get(r, "meta"), "total"), 1);
    json_decref(r);
}

static void test_update_assignees_delete(void **state)
{
    const char *pid = make_project(T.alice, T.w1, "EDT");
    json_t *t1 = make_task(T.alice, pid, "parent", NULL), *r;
    char id1[VB_ID_LEN + 1], id2[VB_ID_LEN + 1];
    snprintf(id1, sizeof id1, "%s", vbt_str(t1, "id"));
    json_decref(t1);
    r = make_task(T.alice, pid, "child", json_pack("{s:s}", "parentTaskId", id1));
    snprintf(id2, sizeof id2, "%s", vbt_str(r, "id"));
    json_decref(r);

    /* fields: one task_updated row with only the real changes */
    assert_int_equal(call(vb_op_task_update, T.bob, vbt_store_param("id", id1), NULL,
                          json_pack("{s:s, s:s, s:[s]}", "title", "renamed", "priority", "none",
                                    "labelIds", T.l1),
                          &r),
                     0);
    assert_string_equal(vbt_str(r, "title"), "renamed");
    assert_int_equal(json_array_size(json_object_get(r, "labelIds")), 1);
    json_decref(r);
    assert_true(saw_task_changed(pid));
    assert_int_equal(activity_count("task_id", id1, "task_updated"), 1);
    assert_int_equal(
        count2("SELECT COUNT(*) FROM activity WHERE task_id = ? AND action ="
               " 'task_updated' AND changes LIKE '%\"title\":{%\"to\":\"' || ? || '\"}%'"
               " AND changes NOT LIKE '%\"priority\"%'",
               id1, "renamed"),
        1);
    assert_int_equal(call(vb_op_task_update, T.bob, vbt_store_param("id", id1), NULL,
                          json_pack("{s:s}", "title", "renamed"), NULL),
                     0);
    assert_int_equal(activity_count("task_id", id1, "task_updated"), 1);
    assert_int_equal(call(vb_op_task_update, T.bob, vbt_store_param("id", id1), NULL,
                          json_pack("{s:[s]}", "labelIds", T.l2), NULL),
                     VB_EINVAL);
    assert_true(error_on("labelIds"));
    /* parent rules: not itself, no cycle */
    assert_int_equal(call(vb_op_task_update, T.bob, vbt_store_param("id", id1), NULL,
                          json_pack("{s:s}", "parentTaskId", id1), NULL),
                     VB_EINVAL);
    assert_int_equal(call(vb_op_task_update, T.bob, vbt_store_param("id", id1), NULL,
                          json_pack("{s:s}", "parentTaskId", id2), NULL),
                     VB_EINVAL);
    assert_true(error_on("parentTaskId"));
    /* status through PATCH follows the status rules */
    assert_int_equal(call(vb_op_task_update, T.bob, vbt_store_param("id", id2), NULL,
                          json_pack("{s:s}", "status", "in-progress"), &r),
                     0);
    assert_string_equal(vbt_str(r, "status"), "in-progress");
    json_decref(r);
    assert_int_equal(activity_count("task_id", id2, "status_changed"), 1);

    /* assignees: replaced as a set, members only */
    assert_int_equal(call(vb_op_task_assignees, T.alice, vbt_store_param("id", id1), NULL,
                          json_pack("{s:[s]}", "assigneeIds", T.carol), NULL),
                     VB_EINVAL);
    assert_true(error_on("assigneeIds"));
    assert_int_equal(call(vb_op_task_assignees, T.alice, vbt_store_param("id", id1), NULL,
                          json_pack("{s:[s]}", "assigneeIds", T.bob), NULL),
                     0);
    assert_int_equal(call(vb_op_task_assignees, T.alice, vbt_store_param("id", id1), NULL,
                          json_pack("{s:[s]}", "assigneeIds", T.alice), &r),
                     0);
    assert_int_equal(json_array_size(json_object_get(r, "assigneeIds")), 1);
    assert_string_equal(json_string_value(json_array_get(json_object_get(r, "assigneeIds"), 0)),
                        T.alice);
    json_decref(r);
    assert_int_equal(activity_count("task_id", id1, "assignee_changed"), 2);
    assert_int_equal(count2("SELECT COUNT(*) FROM activity WHERE task_id = ? AND action ="
                            " 'assignee_changed' AND changes LIKE '%\"removed\":[\"' || ? || '\"%'",
                            id1, T.bob),
                     1);

    /* delete: reporter or admin; subtasks go too */
    r = make_task(T.bob, pid, "bob's", NULL);
    char id3[VB_ID_LEN + 1];
    snprintf(id3, sizeof id3, "%s", vbt_str(r, "id"));
    json_decref(r);
    assert_int_equal(call(vb_op_task_delete, T.bob, vbt_store_param("id", id1), NULL, NULL, NULL),
                     VB_EFORBIDDEN);
    assert_int_equal(call(vb_op_task_delete, T.bob, vbt_store_param("id", id3), NULL, NULL, NULL),
                     0);
    assert_int_equal(call(vb_op_task_delete, T.alice, vbt_store_param("id", id1), NULL, NULL, NULL),
                     0);
    assert_true(saw_task_changed(pid));
    assert_int_equal(count2("SELECT COUNT(*) FROM tasks WHERE project_id = ?", pid, NULL), 0);
    assert_int_equal(count2("SELECT COUNT(*) FROM task_assignees WHERE task_id = ?", id1, NULL), 0);
    assert_int_equal(activity_count("task_id", id1, "task_deleted"), 1);
    assert_int_equal(call(vb_op_task_get, T.alice, vbt_store_param("id", id2), NULL, NULL, NULL),
                     VB_ENOTFOUND);
    /* numbers are not reused */
    r = make_task(T.alice, pid, "after", NULL);
    assert_string_equal(vbt_str(r, "key"), "EDT-4");
    json_decref(r);
}

/* ---- fixture ---- */

static int setup(void **state)
{
    char *ids[] = {T.alice, T.bob, T.carol, T.w1, T.w2, T.l1, T.l2};
    vb_log_set_level((enum vb_log_level)99);
    memset(&T, 0, sizeof T);
    return vbt_store_setup(&T.fx, ids, VB_ARRAY_LEN(ids), op_seed);
}

static int teardown(void **state)
{
    return vbt_store_close(&T.fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_project_keys_and_isolation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_task_create_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_status_reorder_board, setup, teardown),
        cmocka_unit_test_setup_teardown(test_archived_project, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_assignees_delete, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
