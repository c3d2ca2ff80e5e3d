/*
 * POST /users/me/password {currentPassword, newPassword}: the signed-in user
 * changes their password. The current one is verified and the new one hashed
 * on libuv's thread pool (argon2id must never block the loop); a wrong
 * current password is a 422 naming currentPassword. Rate limited per client
 * address like the public auth routes (the chain limits this route too).
 */
#include "app/vb_app.h"
#include "app/vb_auth.h"
#include "app/vb_reply.h"
#include "app/vb_routes.h"
#include "core/vb_common.h"
#include "store/vb_ops_ws.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

typedef struct pw_call {
    uv_work_t work;
    vb_http_req *req;
    const vb_route *route;
    json_t *actor;
    char *current, *next;            /* malloc'd; wiped and freed */
    char hash[VB_PASSWORD_HASH_MAX]; /* stored hash, then the new one */
    int ok;                          /* 1: verified and hashed */
} pw_call;

static void wipe(char *s)
{
    if (!s) return;
    sodium_memzero(s, strlen(s));
    free(s);
}

static void pw_free(pw_call *pc)
{
    wipe(pc->current);
    wipe(pc->next);
    sodium_memzero(pc->hash, sizeof pc->hash);
    json_decref(pc->actor);
    free(pc);
}

static void pw_work(uv_work_t *w)
{
    pw_call *pc = VB_CONTAINER_OF(w, pw_call, work);
    pc->ok = vb_auth_password_verify(pc->hash, pc->current) &&
             vb_auth_password_hash(pc->next, pc->hash) == 0;
}

static void pw_after(uv_work_t *w, int status)
{
    pw_call *pc = VB_CONTAINER_OF(w, pw_call, work);
    if (status != 0 || !pc->ok) {
        json_t *errors = json_pack("[{s:s, s:s}]", "field", "currentPassword", "message",
                                   "is not the current password");
        vb_reply_error(pc->req, 422, "VALIDATION_ERROR", "The current password is not correct",
                       errors);
        pw_free(pc);
        return;
    }
    vb_app_run_op(pc->req, pc->route, vb_op_auth_set_password, 1,
                  json_pack("{s:O, s:s}", "actor", pc->actor, "passwordHash", pc->hash));
    pw_free(pc);
}

/* Store callback of the lookup ({passwordHash}): verify and hash off the loop. */
static void on_hash(const vb_store_res *res, void *ud)
{
    pw_call *pc = ud;
    const char *hash = json_string_value(json_object_get(res->result, "passwordHash"));
    if (res->status != 0) {
        vb_reply_store_error(pc->req, res);
        pw_free(pc);
        return;
    }
    snprintf(pc->hash, sizeof pc->hash, "%s", hash ? hash : vb_auth_password_dummy_hash());
    if (uv_queue_work(vb_app_current()->loop, &pc->work, pw_work, pw_after) != 0) {
        vb_reply_error(pc->req, 503, "UNAVAILABLE", "Could not queue the work", NULL);
        pw_free(pc);
    }
}

static void h_password(vb_http_req *req, const vb_route *route, json_t *args)
{
    json_t *body = json_object_get(args, "body");
    const char *cur = json_string_value(json_object_get(body, "currentPassword"));
    const char *next = json_string_value(json_object_get(body, "newPassword"));
    pw_call *pc = calloc(1, sizeof *pc);
    if (pc) {
        pc->req = req;
        pc->route = route;
        pc->actor = json_incref(json_object_get(args, "actor"));
        pc->current = strdup(cur ? cur : "");
        pc->next = strdup(next ? next : "");
    }
    if (!pc || !pc->current || !pc->next) {
        if (pc) pw_free(pc);
        vb_reply_error(req, 503, "UNAVAILABLE", "Out of memory", NULL);
        return;
    }
    if (vb_store_submit(vb_app_current()->store, vb_op_auth_hash_of, 0,
                        json_pack("{s:O}", "actor", pc->actor), on_hash, pc) != 0) {
        vb_reply_error(req, 503, "UNAVAILABLE", "The server is shutting down", NULL);
        pw_free(pc);
    }
}

static const vb_field f_password[] = {
    {.name = "currentPassword",
     .type = VB_F_STRING,
     .required = 1,
     .min = 1,
     .max = 128,
     .description = "The current password",
     .no_trim = 1},
    {.name = "newPassword",
     .type = VB_F_STRING,
     .required = 1,
     .min = 8,
     .max = 128,
     .description = "8 to 128 characters",
     .no_trim = 1},
};
static const vb_schema s_password = VB_SCHEMA(f_password);

static const vb_route routes[] = {
    {.method = "POST",
     .pattern = "/api/v1/users/me/password",
     .op_id = "changePassword",
     .tag = "users",
     .summary = "Change the caller's password (the current one is required; 422 when it is wrong)",
     .auth = VB_AUTH_BEARER,
     .body = &s_password,
     .write = 1,
     .handler = h_password,
     .status = 204,
     .result = VB_RESULT_EMPTY},
};

const vb_route_group vb_routes_password = {routes, sizeof routes / sizeof routes[0]};
