/*
 * Auth, user, workspace and member operations, run directly on an in-memory
 * store: refresh rotation and reuse, logout scope, slugs, guards, and the
 * owner/last-admin rules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/vb_common.h"
#include "store/vb_db.h"
#include "store/vb_ops_ws.h"
#include "store/vb_store.h"
#include "support/vb_test_store.h"

#include <stdio.h>
#include <string.h>
#include <uv.h>

static vbt_store F;

/* ---- running operations: the probe keeps the error code and the events */

/* Runs fn with args (stolen); *result (may be NULL) gets the result. */
static int run(vb_op_fn fn, json_t *args, json_t **result)
{
    return vbt_store_run(&F, fn, args, result);
}

/* Route-style arguments for actor uid. */
static json_t *rargs(const char *uid, json_t *params, json_t *body)
{
    return vbt_store_args(uid, params, NULL, body);
}

static void sql(const char *text)
{
    vbt_store_exec(&F, text, NULL, NULL);
}

static int64_t sql_count(const char *text)
{
    return vbt_store_count(&F, text, NULL, NULL);
}

/* Registers a user and returns its id in out; tok is the refresh token hash. */
static void reg(const char *email, const char *tok, char out[64])
{
    json_t *res = NULL;
    int rc = run(vb_op_auth_register,
                 json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "email", email, "firstName", "F",
                           "lastName", "L", "passwordHash", "$argon2id$fake", "tokenHash", tok,
                           "expiresAt", (json_int_t)(vb_wall_ms() + 60000)),
                 &res);
    assert_int_equal(rc, 0);
    snprintf(out, 64, "%s", json_string_value(json_object_get(json_object_get(res, "user"), "id")));
    json_decref(res);
}

static int refresh(const char *old, const char *next, json_t **res)
{
    return run(vb_op_auth_refresh,
               json_pack("{s:s, s:s, s:I}", "tokenHash", old, "newTokenHash", next, "expiresAt",
                         (json_int_t)(vb_wall_ms() + 60000)),
               res);
}

/* Creates a workspace named name for uid; wid receives its id. */
static void ws_new(const char *uid, const char *name, char wid[64])
{
    json_t *res = NULL;
    assert_int_equal(run(vb_op_ws_create, rargs(uid, NULL, json_pack("{s:s}", "name", name)), &res),
                     0);
    snprintf(wid, 64, "%s", json_string_value(json_object_get(res, "id")));
    json_decref(res);
}

/* Invites email into wid as actor; id (may be NULL) receives the invitation id. */
static int invite_id(const char *actor, const char *wid, const char *email, const char *role,
                     char id[64])
{
    json_t *res = NULL;
    int rc = run(vb_op_invite_create,
                 rargs(actor, json_pack("{s:s}", "wid", wid),
                       json_pack("{s:s, s:s}", "email", email, "role", role)),
                 &res);
    if (id) snprintf(id, 64, "%s", rc ? "" : json_string_value(json_object_get(res, "id")));
    json_decref(res);
    return rc;
}

/* Runs an invitation op (accept, decline) as uid on invitation id. */
static int invitation_op(vb_op_fn fn, const char *uid, const char *id)
{
    return run(fn, rargs(uid, json_pack("{s:s}", "id", id), NULL), NULL);
}

/* Invites email (the account uid) and accepts as uid: uid becomes a member. */
static int add_member(const char *actor, const char *wid, const char *email, const char *uid,
                      const char *role)
{
    char id[64];
    int rc = invite_id(actor, wid, email, role, id);
    return rc ? rc : invitation_op(vb_op_invite_accept, uid, id);
}

static int invite(const char *actor, const char *wid, const char *email, const char *role)
{
    return invite_id(actor, wid, email, role, NULL);
}

static int member_op(vb_op_fn fn, const char *actor, const char *wid, const char *uid,
                     const char *role)
{
    return run(fn,
               rargs(actor, json_pack("{s:s, s:s}", "wid", wid, "userId", uid),
                     role ? json_pack("{s:s}", "role", role) : NULL),
               NULL);
}

/* 1 if the last run queued an event of this type. */
static int has_event(const char *type)
{
    return vbt_store_event(&F, type, NULL) != NULL;
}

/* ---- fixtures */

static int setup(void **state)
{
    return vbt_store_open(&F);
}

static int teardown(void **state)
{
    return vbt_store_close(&F);
}

/* ---- tests */

static void test_register(void **state)
{
    char a[64];
    json_t *res = NULL;

    reg("Alice@Example.COM", "h-a", a);
    assert_int_equal(run(vb_op_user_me, rargs(a, NULL, NULL), &res), 0);
    assert_string_equal(json_string_value(json_object_get(res, "email")), "alice@example.com");
    assert_null(json_object_get(res, "passwordHash"));
    assert_null(json_object_get(res, "password_hash"));
    assert_true(json_is_string(json_object_get(res, "createdAt")));
    json_decref(res);
    assert_int_equal(sql_count("SELECT COUNT(*) FROM users WHERE handle = 'alice'"), 1);

    assert_int_equal(run(vb_op_auth_register,
                         json_pack("{s:s, s:s, s:s, s:s, s:s, s:i}", "email", "ALICE@example.com",
                                   "firstName", "F", "lastName", "L", "passwordHash", "x",
                                   "tokenHash", "h-dup", "expiresAt", 1),
                         NULL),
                     VB_ECONFLICT);
    assert_string_equal(F.code, "EMAIL_TAKEN");

    /* Lookup ignores case and returns the hash; unknown email gives {}. */
    assert_int_equal(run(vb_op_auth_lookup, json_pack("{s:s}", "email", "aLiCe@example.com"), &res),
                     0);
    assert_string_equal(json_string_value(json_object_get(res, "passwordHash")), "$argon2id$fake");
    json_decref(res);
    assert_int_equal(run(vb_op_auth_lookup, json_pack("{s:s}", "email", "nobody@x.io"), &res), 0);
    assert_null(json_object_get(res, "user"));
    json_decref(res);
}

static void test_refresh_rotation_and_reuse(void **state)
{
    char a[64];
    json_t *res = NULL;

    reg("a@x.io", "t1", a);
    assert_int_equal(refresh("t1", "t2", &res), 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(res, "user"), "id")), a);
    json_decref(res);
    assert_int_equal(refresh("t2", "t3", NULL), 0);

    /* t1 was used: presenting it again revokes the family (and commits). */
    assert_int_equal(refresh("t1", "t4", &res), 0);
    assert_true(json_is_true(json_object_get(res, "reused")));
    json_decref(res);
    assert_int_equal(refresh("t3", "t5", NULL), VB_EUNAUTH);
    assert_string_equal(F.code, "INVALID_REFRESH_TOKEN");
    assert_int_equal(sql_count("SELECT COUNT(*) FROM refresh_tokens WHERE revoked_at IS NULL"), 0);

    assert_int_equal(refresh("unknown", "t6", NULL), VB_EUNAUTH);
    assert_string_equal(F.code, "INVALID_REFRESH_TOKEN");

    /* An expired token is refused. */
    assert_int_equal(
        run(vb_op_auth_session,
            json_pack("{s:s, s:s, s:i}", "userId", a, "tokenHash", "old", "expiresAt", 1), NULL),
        0);
    assert_int_equal(refresh("old", "t7", NULL), VB_EUNAUTH);
    assert_string_equal(F.code, "INVALID_REFRESH_TOKEN");
}

static void test_logout_scope(void **state)
{
    char a[64], b[64];

    reg("a@x.io", "a1", a);
    reg("b@x.io", "b1", b);
    assert_int_equal(run(vb_op_auth_session,
                         json_pack("{s:s, s:s, s:I}", "userId", a, "tokenHash", "a2", "expiresAt",
                                   (json_int_t)(vb_wall_ms() + 60000)),
                         NULL),
                     0);
    /* Bob presenting Alice's token revokes nothing. */
    assert_int_equal(run(vb_op_auth_logout,
                         json_pack("{s:{s:s}, s:s}", "actor", "id", b, "tokenHash", "a1"), NULL),
                     0);
    assert_int_equal(sql_count("SELECT COUNT(*) FROM refresh_tokens WHERE revoked_at IS NULL"), 3);
    /* Alice ends one session; the other stays. */
    assert_int_equal(run(vb_op_auth_logout,
                         json_pack("{s:{s:s}, s:s}", "actor", "id", a, "tokenHash", "a1"), NULL),
                     0);
    assert_int_equal(refresh("a1", "n1", NULL), VB_EUNAUTH);
    assert_int_equal(refresh("a2", "a3", NULL), 0);
    /* No token: all of Alice's sessions end, Bob's stays. */
    assert_int_equal(run(vb_op_auth_logout, json_pack("{s:{s:s}}", "actor", "id", a), NULL), 0);
    assert_int_equal(refresh("a3", "n2", NULL), VB_EUNAUTH);
    assert_int_equal(refresh("b1", "b2", NULL), 0);
}

static void test_workspace_slugs(void **state)
{
    char a[64], w1[64];
    json_t *res = NULL;

    reg("a@x.io", "a1", a);
    assert_int_equal(
        run(vb_op_ws_create, rargs(a, NULL, json_pack("{s:s}", "name", "  Acme -- Corp! ")), &res),
        0);
    assert_string_equal(json_string_value(json_object_get(res, "slug")), "acme-corp");
    assert_string_equal(json_string_value(json_object_get(res, "role")), "admin");
    assert_int_equal(json_integer_value(json_object_get(res, "memberCount")), 1);
    assert_string_equal(json_string_value(json_object_get(res, "ownerId")), a);
    assert_true(has_event("activity"));
    snprintf(w1, sizeof w1, "%s", json_string_value(json_object_get(res, "id")));
    json_decref(res);

    assert_int_equal(
        run(vb_op_ws_create, rargs(a, NULL, json_pack("{s:s}", "name", "Acme Corp")), &res), 0);
    assert_string_equal(json_string_value(json_object_get(res, "slug")), "acme-corp-2");
    json_decref(res);
    assert_int_equal(run(vb_op_ws_create, rargs(a, NULL, json_pack("{s:s}", "name", "!!!")), &res),
                     0);
    assert_string_equal(json_string_value(json_object_get(res, "slug")), "workspace");
    json_decref(res);

    assert_int_equal(run(vb_op_ws_create,
                         rargs(a, NULL, json_pack("{s:s, s:s}", "name", "X", "slug", "acme-corp")),
                         NULL),
                     VB_ECONFLICT);
    assert_string_equal(F.code, "SLUG_TAKEN");

    assert_int_equal(run(vb_op_ws_list, rargs(a, NULL, NULL), &res), 0);
    assert_int_equal(json_array_size(json_object_get(res, "data")), 3);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(res, "meta"), "total")), 3);
    json_decref(res);
    assert_int_equal(sql_count("SELECT COUNT(*) FROM activity WHERE action = 'workspace_created'"),
                     3);
}

static void test_guards(void **state)
{
    char a[64], b[64], w[64];
    json_t *res = NULL;

    reg("a@x.io", "a1", a);
    reg("b@x.io", "b1", b);
    ws_new(a, "Team", w);

    /* Non-member: NOT_FOUND, never FORBIDDEN. */
    assert_int_equal(run(vb_op_ws_get, rargs(b, json_pack("{s:s}", "wid", w), NULL), NULL),
                     VB_ENOTFOUND);
    assert_string_equal(F.code, "WORKSPACE_NOT_FOUND");
    assert_int_equal(run(vb_op_ws_delete, rargs(b, json_pack("{s:s}", "wid", w), NULL), NULL),
                     VB_ENOTFOUND);
    assert_int_equal(run(vb_op_user_get, rargs(a, json_pack("{s:s}", "id", b), NULL), NULL),
                     VB_ENOTFOUND);
    assert_string_equal(F.code, "USER_NOT_FOUND");

    /* An unknown email gets a pending invitation too (no enumeration). */
    assert_int_equal(invite(a, w, "nobody@x.io", "member"), 0);
    assert_false(has_event("notification"));
    assert_int_equal(add_member(a, w, "B@X.IO", b, "member"), 0);
    assert_true(has_event("member_added"));
    assert_int_equal(sql_count("SELECT COUNT(*) FROM notifications WHERE type = "
                               "'workspace_invite'"),
                     1);
    assert_int_equal(invite(a, w, "b@x.io", "member"), VB_ECONFLICT);
    assert_string_equal(F.code, "ALREADY_MEMBER");

    /* Member: may read, not administer. */
    assert_int_equal(run(vb_op_ws_get, rargs(b, json_pack("{s:s}", "wid", w), NULL), &res), 0);
    assert_string_equal(json_string_value(json_object_get(res, "role")), "member");
    assert_int_equal(json_integer_value(json_object_get(res, "memberCount")), 2);
    json_decref(res);
    assert_int_equal(run(vb_op_ws_update,
                         rargs(b, json_pack("{s:s}", "wid", w), json_pack("{s:s}", "name", "N")),
                         NULL),
                     VB_EFORBIDDEN);
    assert_string_equal(F.code, "FORBIDDEN");
    assert_int_equal(invite(b, w, "a@x.io", "member"), VB_EFORBIDDEN);
    assert_int_equal(member_op(vb_op_ws_member_remove, b, w, a, NULL), VB_EFORBIDDEN);
    assert_int_equal(run(vb_op_user_get, rargs(a, json_pack("{s:s}", "id", b), NULL), NULL), 0);

    assert_int_equal(run(vb_op_ws_members, rargs(a, json_pack("{s:s}", "wid", w), NULL), &res), 0);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(res, "meta"), "total")), 2);
    assert_true(json_is_string(
        json_object_get(json_array_get(json_object_get(res, "data"), 0), "joinedAt")));
    json_decref(res);

    assert_int_equal(member_op(vb_op_ws_member_update, a, w, "nope", "admin"), VB_ENOTFOUND);
    assert_string_equal(F.code, "MEMBER_NOT_FOUND");

    /* Delete cascades to members and activity. */
    assert_int_equal(run(vb_op_ws_delete, rargs(a, json_pack("{s:s}", "wid", w), NULL), NULL), 0);
    assert_int_equal(sql_count("SELECT COUNT(*) FROM workspace_members"), 0);
    assert_int_equal(sql_count("SELECT COUNT(*) FROM activity"), 0);
}

/* Number of the caller's pending invitations (GET /invitations). */
static int64_t my_invitations(const char *uid)
{
    json_t *res = NULL;
    assert_int_equal(run(vb_op_invite_list_mine, rargs(uid, NULL, NULL), &res), 0);
    int64_t n = json_integer_value(json_object_get(json_object_get(res, "meta"), "total"));
    json_decref(res);
    return n;
}

static void test_invitations(void **state)
{
    char a[64], b[64], c[64], w[64], i1[64], i2[64], i3[64];
    json_t *res = NULL;

    reg("a@x.io", "a1", a);
    reg("b@x.io", "b1", b);
    ws_new(a, "Team", w);

    /* Pending until accepted: not a member yet; only the invitee may act on it. */
    assert_int_equal(invite_id(a, w, "b@x.io", "member", i1), 0);
    assert_int_equal(run(vb_op_ws_get, rargs(b, json_pack("{s:s}", "wid", w), NULL), NULL),
                     VB_ENOTFOUND);
    assert_int_equal(my_invitations(b), 1);
    assert_int_equal(invitation_op(vb_op_invite_accept, a, i1), VB_ENOTFOUND);
    assert_string_equal(F.code, "INVITATION_NOT_FOUND");
    assert_int_equal(invitation_op(vb_op_invite_decline, b, i1), 0);
    assert_int_equal(my_invitations(b), 0);
    assert_int_equal(invitation_op(vb_op_invite_accept, b, i1), VB_ENOTFOUND);

    /* An email registered later finds its invitation; re-inviting renews the same one. */
    assert_int_equal(invite_id(a, w, "C@X.IO", "admin", i2), 0);
    assert_int_equal(invite_id(a, w, "c@x.io", "admin", i3), 0);
    assert_string_equal(i2, i3);
    reg("c@x.io", "c1", c);
    assert_int_equal(my_invitations(c), 1);
    assert_int_equal(invitation_op(vb_op_invite_accept, c, i2), 0);
    assert_true(has_event("member_added"));
    assert_int_equal(run(vb_op_ws_get, rargs(c, json_pack("{s:s}", "wid", w), NULL), &res), 0);
    assert_string_equal(json_string_value(json_object_get(res, "role")), "admin");
    json_decref(res);

    /* Admins list and revoke; a member may not. */
    assert_int_equal(invite_id(a, w, "b@x.io", "member", i1), 0);
    assert_int_equal(run(vb_op_invite_list_ws, rargs(a, json_pack("{s:s}", "wid", w), NULL), &res),
                     0);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(res, "meta"), "total")), 1);
    json_decref(res);
    assert_int_equal(
        run(vb_op_invite_revoke, rargs(a, json_pack("{s:s, s:s}", "wid", w, "id", i1), NULL), NULL),
        0);
    assert_int_equal(my_invitations(b), 0);
    assert_int_equal(
        run(vb_op_invite_revoke, rargs(a, json_pack("{s:s, s:s}", "wid", w, "id", i1), NULL), NULL),
        VB_ENOTFOUND);

    /* Expired: gone from the lists, refused on accept. */
    assert_int_equal(invite_id(a, w, "b@x.io", "member", i1), 0);
    sql("UPDATE invitations SET expires_at = 1 WHERE status = 'pending'");
    assert_int_equal(my_invitations(b), 0);
    assert_int_equal(invitation_op(vb_op_invite_accept, b, i1), VB_ECONFLICT);
    assert_string_equal(F.code, "INVITATION_EXPIRED");
}

static void test_owner_and_last_admin(void **state)
{
    char a[64], b[64], c[64], w[64];

    reg("a@x.io", "a1", a);
    reg("b@x.io", "b1", b);
    reg("c@x.io", "c1", c);
    ws_new(a, "Team", w);
    assert_int_equal(add_member(a, w, "b@x.io", b, "admin"), 0);
    assert_int_equal(add_member(a, w, "c@x.io", c, "member"), 0);

    /* Only the owner deletes the workspace, not another admin. */
    assert_int_equal(run(vb_op_ws_delete, rargs(b, json_pack("{s:s}", "wid", w), NULL), NULL),
                     VB_EFORBIDDEN);

    /* The owner is pinned. */
    assert_int_equal(run(vb_op_ws_leave, rargs(a, json_pack("{s:s}", "wid", w), NULL), NULL),
                     VB_ECONFLICT);
    assert_string_equal(F.code, "OWNER_IMMUTABLE");
    assert_int_equal(member_op(vb_op_ws_member_remove, b, w, a, NULL), VB_ECONFLICT);
    assert_string_equal(F.code, "OWNER_IMMUTABLE");
    assert_int_equal(member_op(vb_op_ws_member_update, b, w, a, "member"), VB_ECONFLICT);
    assert_string_equal(F.code, "OWNER_IMMUTABLE");

    /* Make b the only admin (as if the owner's row had been demoted). */
    sql("UPDATE workspace_members SET role = 'member' WHERE role = 'admin' AND user_id = "
        "(SELECT owner_id FROM workspaces)");
    assert_int_equal(member_op(vb_op_ws_member_update, b, w, b, "member"), VB_ECONFLICT);
    assert_string_equal(F.code, "LAST_ADMIN");
    assert_int_equal(member_op(vb_op_ws_member_remove, b, w, b, NULL), VB_ECONFLICT);
    assert_string_equal(F.code, "LAST_ADMIN");
    assert_int_equal(run(vb_op_ws_leave, rargs(b, json_pack("{s:s}", "wid", w), NULL), NULL),
                     VB_ECONFLICT);
    assert_string_equal(F.code, "LAST_ADMIN");

    /* With a second admin, b may go. */
    assert_int_equal(member_op(vb_op_ws_member_update, b, w, c, "admin"), 0);
    assert_true(has_event("activity"));
    assert_int_equal(run(vb_op_ws_leave, rargs(b, json_pack("{s:s}", "wid", w), NULL), NULL), 0);
    assert_true(has_event("member_removed"));
    assert_int_equal(run(vb_op_ws_get, rargs(b, json_pack("{s:s}", "wid", w), NULL), NULL),
                     VB_ENOTFOUND);
    /* c removes a plain member's row: not a member any more -> MEMBER_NOT_FOUND. */
    assert_int_equal(member_op(vb_op_ws_member_remove, c, w, b, NULL), VB_ENOTFOUND);
    assert_string_equal(F.code, "MEMBER_NOT_FOUND");
    assert_int_equal(sql_count("SELECT COUNT(*) FROM activity WHERE action IN ('member_joined',"
                               " 'member_role_changed', 'member_left')"),
                     4);
}

/* Guards used by project/task operations: API shape and error codes. */
static const char *g_guard_id;
static int g_guard_admin;
static int guard_project_op(vb_op_ctx *c)
{
    json_t *row = NULL;
    char role[16];
    int rc = vb_guard_project(c, g_guard_id, g_guard_admin, &row, role);
    if (rc == 0) c->result = json_pack("{s:o, s:s}", "row", row, "role", role);
    return rc;
}
static int guard_task_op(vb_op_ctx *c)
{
    json_t *row = NULL;
    int rc = vb_guard_task(c, g_guard_id, g_guard_admin, &row, NULL);
    if (rc == 0) c->result = row;
    return rc;
}

static void test_project_task_guards(void **state)
{
    char a[64], b[64], w[64], q[1024];
    json_t *res = NULL, *row;

    reg("a@x.io", "a1", a);
    reg("b@x.io", "b1", b);
    ws_new(a, "Team", w);
    snprintf(q, sizeof q,
             "INSERT INTO projects (id, workspace_id, name, key, columns, created_by, created_at,"
             " updated_at) VALUES ('p1', '%s', 'P', 'PR', '[{\"name\":\"todo\"}]', '%s', 0, 0)",
             w, a);
    sql(q);
    snprintf(q, sizeof q,
             "INSERT INTO tasks (id, project_id, workspace_id, number, key, title, status,"
             " reporter_id, created_at, updated_at) VALUES ('t1', 'p1', '%s', 1, 'PR-1', 'T',"
             " 'todo', '%s', 0, 0)",
             w, a);
    sql(q);
    sql("INSERT INTO task_assignees (task_id, user_id) SELECT 't1', id FROM users");

    g_guard_id = "p1";
    g_guard_admin = 1;
    assert_int_equal(run(guard_project_op, rargs(a, NULL, NULL), &res), 0);
    row = json_object_get(res, "row");
    assert_string_equal(json_string_value(json_object_get(row, "workspaceId")), w);
    assert_true(json_is_array(json_object_get(row, "columns")));
    assert_string_equal(json_string_value(json_object_get(row, "createdAt")),
                        "1970-01-01T00:00:00.000Z");
    assert_null(json_object_get(row, "memberRole"));
    assert_string_equal(json_string_value(json_object_get(res, "role")), "admin");
    json_decref(res);
    assert_int_equal(run(guard_project_op, rargs(b, NULL, NULL), NULL), VB_ENOTFOUND);
    assert_string_equal(F.code, "PROJECT_NOT_FOUND");
    assert_int_equal(add_member(a, w, "b@x.io", b, "member"), 0);
    assert_int_equal(run(guard_project_op, rargs(b, NULL, NULL), NULL), VB_EFORBIDDEN);
    assert_string_equal(F.code, "FORBIDDEN");

    g_guard_id = "t1";
    g_guard_admin = 0;
    assert_int_equal(run(guard_task_op, rargs(b, NULL, NULL), &res), 0);
    assert_string_equal(json_string_value(json_object_get(res, "projectId")), "p1");
    assert_string_equal(json_string_value(json_object_get(res, "workspaceId")), w);
    assert_int_equal(json_array_size(json_object_get(res, "assigneeIds")), 2);
    json_decref(res);
    g_guard_id = "nope";
    assert_int_equal(run(guard_task_op, rargs(b, NULL, NULL), NULL), VB_ENOTFOUND);
    assert_string_equal(F.code, "TASK_NOT_FOUND");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_register, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refresh_rotation_and_reuse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_logout_scope, setup, teardown),
        cmocka_unit_test_setup_teardown(test_workspace_slugs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_guards, setup, teardown),
        cmocka_unit_test_setup_teardown(test_owner_and_last_admin, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invitations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_project_task_guards, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
