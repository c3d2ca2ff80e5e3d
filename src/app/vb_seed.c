/*
 * Demo data for a first run: two users, a workspace, a project with tasks in
 * every column. Written through the same store operations as the API, so the
 * demo has real keys, activity rows and notifications.
 */
#include "app/vb_app_internal.h"
#include "app/vb_auth.h"
#include "core/vb_common.h"
#include "core/vb_log.h"
#include "store/vb_ops_health.h"
#include "store/vb_ops_channels.h"
#include "store/vb_ops_chat.h"
#include "store/vb_ops_pt.h"
#include "store/vb_ops_ws.h"

#include <stdio.h>
#include <string.h>

#define DEMO_PASSWORD "demo-password"

/* Runs op synchronously with {actor:{id}, params, body}; returns its status. */
static int run(vb_app *app, vb_op_fn op, const char *actor, json_t *params, json_t *body,
               json_t **result)
{
    json_t *args = json_pack("{s:{s:s,s:s},s:o,s:o,s:{}}", "actor", "id", actor ? actor : "",
                             "role", "user", "params", params ? params : json_object(), "body",
                             body ? body : json_object(), "query");
    int rc = vb_store_run_sync(app->store, op, args, result);
    json_decref(args);
    return rc;
}

static int add_user(vb_app *app, const char *hash, const char *email, const char *first,
                    char id_out[64])
{
    char token[VB_REFRESH_TOKEN_LEN + 1], token_hash[65];
    vb_auth_token_random(token);
    vb_auth_sha256_hex(token, token_hash);
    json_t *args = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I}", "email", email, "passwordHash", hash,
                             "firstName", first, "lastName", "Demo", "tokenHash", token_hash,
                             "expiresAt", (json_int_t)vb_wall_ms() + 3600 * 1000);
    json_t *res = NULL;
    int rc = vb_store_run_sync(app->store, vb_op_auth_register, args, &res);
    json_decref(args);
    if (rc == 0) {
        const char *id = json_string_value(json_object_get(json_object_get(res, "user"), "id"));
        snprintf(id_out, 64, "%s", id ? id : "");
    }
    json_decref(res);
    return rc;
}

static const struct {
    const char *title, *status, *priority;
    int assignee; /* 0 alice, 1 bob, -1 none */
} g_tasks[] = {
    {"Sketch the onboarding flow", "done", "medium", 0},
    {"Set up the staging server", "done", "high", 1},
    {"Write the launch announcement", "review", "medium", 0},
    {"Fix login redirect loop", "in-progress", "critical", 1},
    {"Add dark mode to the board", "in-progress", "low", 0},
    {"Invite the design team", "todo", "none", -1},
    {"Plan the Q3 roadmap", "todo", "high", 0},
    {"Review error messages", "todo", "medium", 1},
};

/* Human-readable hint on stdout (logs stay JSON on stderr). */
static void print_logins(void)
{
    printf("\n  vibed demo logins (password \"%s\"):\n    alice@demo.vibed.dev  (admin)\n"
           "    bob@demo.vibed.dev    (member)\n\n",
           DEMO_PASSWORD);
    fflush(stdout);
}

int vb_app_seed_demo(vb_app *app)
{
    json_t *res = NULL;
    int rc = vb_store_run_sync(app->store, vb_op_user_count, NULL, &res);
    json_int_t users = json_integer_value(json_object_get(res, "users"));
    json_decref(res);
    if (rc) return rc;
    if (users > 0) {
        vb_log(VB_LOG_INFO, "demo data skipped: the database already has users");
        print_logins();
        return 1;
    }
    char hash[VB_PASSWORD_HASH_MAX];
    if (vb_auth_password_hash(DEMO_PASSWORD, hash)) return VB_ENOMEM;
    char alice[64], bob[64], wid[64], pid[64];
    if ((rc = add_user(app, hash, "alice@demo.vibed.dev", "Alice", alice)) ||
        (rc = add_user(app, hash, "bob@demo.vibed.dev", "Bob", bob)))
        goto fail;

    res = NULL;
    rc = run(app, vb_op_ws_create, alice, NULL,
             json_pack("{s:s,s:s,s:s}", "name", "Demo Team", "slug", "demo-team", "description",
                       "A workspace to look around in"),
             &res);
    snprintf(wid, sizeof wid, "%s", rc ? "" : json_string_value(json_object_get(res, "id")));
    json_decref(res);
    if (rc) goto fail;
    res = NULL;
    rc = run(app, vb_op_invite_create, alice, json_pack("{s:s}", "wid", wid),
             json_pack("{s:s,s:s}", "email", "bob@demo.vibed.dev", "role", "member"), &res);
    if (!rc)
        rc = run(app, vb_op_invite_accept, bob,
                 json_pack("{s:s}", "id", json_string_value(json_object_get(res, "id"))), NULL,
                 NULL);
    json_decref(res);
    if (rc) goto fail;

    res = NULL;
    rc = run(app, vb_op_project_create, alice, json_pack("{s:s}", "wid", wid),
             json_pack("{s:s,s:s,s:s,s:s}", "name", "Website Launch", "key", "WEB", "description",
                       "Everything for the new website", "leadId", alice),
             &res);
    snprintf(pid, sizeof pid, "%s", rc ? "" : json_string_value(json_object_get(res, "id")));
    json_decref(res);
    if (rc) goto fail;
    for (size_t i = 0; i < VB_ARRAY_LEN(g_tasks); i++) {
        json_t *body = json_pack("{s:s,s:s,s:s}", "title", g_tasks[i].title, "status",
                                 g_tasks[i].status, "priority", g_tasks[i].priority);
        if (g_tasks[i].assignee >= 0)
            json_object_set_new(body, "assigneeIds",
                                json_pack("[s]", g_tasks[i].assignee ? bob : alice));
        rc = run(app, vb_op_task_create, i % 2 ? bob : alice, json_pack("{s:s}", "pid", pid), body,
                 NULL);
        if (rc) goto fail;
    }
    res = NULL;
    rc = run(app, vb_op_channel_create, alice, json_pack("{s:s}", "wid", wid),
             json_pack("{s:s,s:s,s:s,s:[s]}", "name", "general", "type", "public", "description",
                       "Team-wide chat", "memberIds", bob),
             &res);
    char cid[64];
    snprintf(cid, sizeof cid, "%s", rc ? "" : json_string_value(json_object_get(res, "id")));
    json_decref(res);
    if (rc) goto fail;
    static const char *const chat[][2] = {
        {"a", "Welcome to vibed! This is the team channel."},
        {"b", "Hi @alice, the staging server is up."},
        {"a", "Great, thanks @bob. Launch announcement is in review."},
    };
    for (size_t i = 0; i < VB_ARRAY_LEN(chat); i++) {
        json_t *args =
            json_pack("{s:{s:s},s:s,s:s}", "actor", "id", chat[i][0][0] == 'a' ? alice : bob,
                      "channelId", cid, "content", chat[i][1]);
        rc = vb_store_run_sync(app->store, vb_op_message_post, args, NULL);
        json_decref(args);
        if (rc) goto fail;
    }
    vb_log_obj(VB_LOG_INFO, "demo data added",
               json_pack("{s:[s,s],s:s}", "logins", "alice@demo.vibed.dev", "bob@demo.vibed.dev",
                         "password", DEMO_PASSWORD));
    print_logins();
    return 0;
fail:
    vb_log(VB_LOG_ERROR, "demo seed failed (%d)", rc);
    return rc < 0 ? rc : VB_EIO;
}
