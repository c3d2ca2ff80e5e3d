/*
 * Password reset routes.
 *
 * forgot-password makes a token and its hash for every request, known address
 * or not, queues the same store operation either way and answers 202 at once:
 * neither the answer nor its timing tells whether the address has an account.
 * reset-password hashes the new password with argon2id on the thread pool
 * (as register does), then uses the token in one store operation that also
 * revokes every refresh token of the user.
 */
#include "app/vb_app.h"
#include "app/vb_auth.h"
#include "app/vb_reply.h"
#include "app/vb_routes.h"
#include "core/vb_common.h"
#include "core/vb_log.h"
#include "store/vb_ops_mail.h"

#include <ctype.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static void on_forgot_done(const vb_store_res *res, void *ud)
{
    (void)ud;
    if (res->status != 0) vb_log(VB_LOG_WARN, "forgot-password failed: %s", res->message);
}

/* POST /auth/forgot-password {email} -> 202. */
static void h_forgot(vb_http_req *req, const vb_route *route, json_t *args)
{
    const char *email = json_string_value(json_object_get(json_object_get(args, "body"), "email"));
    char lower[256], token[VB_REFRESH_TOKEN_LEN + 1], hash[65];
    size_t i;
    json_t *op_args;

    for (i = 0; email && email[i] && i < sizeof lower - 1; i++)
        lower[i] = (char)tolower((unsigned char)email[i]);
    lower[i] = '\0';
    vb_auth_token_random(token);
    vb_auth_sha256_hex(token, hash);
    op_args =
        json_pack("{s:s, s:s, s:s, s:I}", "email", lower, "token", token, "tokenHash", hash,
                  "expiresAt", (json_int_t)vb_wall_ms() + vb_app_current()->cfg.reset_token_ttl_ms);
    sodium_memzero(token, sizeof token);
    if (!op_args) {
        vb_reply_error(req, 503, "UNAVAILABLE", "Out of memory", NULL);
        return;
    }
    /* The answer does not wait for the operation: it leaves as soon as the
     * work is queued, so its timing cannot depend on whether the address
     * has an account (the operation writes only when it has). */
    if (vb_store_submit(vb_app_current()->store, vb_op_auth_forgot, VB_STORE_WRITE, op_args,
                        on_forgot_done, NULL) != 0) {
        vb_reply_error(req, 503, "UNAVAILABLE", "The server is shutting down", NULL);
        return;
    }
    vb_reply_ok(req, route->status,
                json_pack("{s:s}", "message",
                          "If this address has an account, a reset link is on its way"));
}

/* One reset in flight: the password is hashed off the loop first. */
typedef struct reset_call {
    uv_work_t work;
    vb_http_req *req;
    const vb_route *route;
    char *password;
    char token_hash[65];
    char hash[VB_PASSWORD_HASH_MAX];
    int rc;
} reset_call;

static void reset_free(reset_call *rc)
{
    if (rc->password) {
        sodium_memzero(rc->password, strlen(rc->password));
        free(rc->password);
    }
    free(rc);
}

static void reset_work(uv_work_t *w)
{
    reset_call *rc = VB_CONTAINER_OF(w, reset_call, work);
    rc->rc = vb_auth_password_hash(rc->password, rc->hash);
}

static void reset_after(uv_work_t *w, int status)
{
    reset_call *rc = VB_CONTAINER_OF(w, reset_call, work);

    if (status != 0 || rc->rc != 0) {
        vb_reply_error(rc->req, 500, "INTERNAL_ERROR", "Could not hash the password", NULL);
    } else {
        vb_app_run_op(
            rc->req, rc->route, vb_op_auth_reset, VB_STORE_WRITE,
            json_pack("{s:s, s:s}", "tokenHash", rc->token_hash, "passwordHash", rc->hash));
    }
    reset_free(rc);
}

/* POST /auth/reset-password {token, password} -> 204. */
static void h_reset(vb_http_req *req, const vb_route *route, json_t *args)
{
    json_t *body = json_object_get(args, "body");
    const char *token = json_string_value(json_object_get(body, "token"));
    const char *pw = json_string_value(json_object_get(body, "password"));
    reset_call *rc = calloc(1, sizeof *rc);

    if (rc) rc->password = strdup(pw ? pw : "");
    if (!rc || !rc->password) {
        if (rc) reset_free(rc);
        vb_reply_error(req, 503, "UNAVAILABLE", "Out of memory", NULL);
        return;
    }
    rc->req = req;
    rc->route = route;
    vb_auth_sha256_hex(token ? token : "", rc->token_hash);
    if (uv_queue_work(vb_app_current()->loop, &rc->work, reset_work, reset_after) != 0) {
        vb_reply_error(req, 503, "UNAVAILABLE", "Could not queue the work", NULL);
        reset_free(rc);
    }
}

static const vb_field f_forgot[] = {
    {.name = "email",
     .type = VB_F_STRING,
     .required = 1,
     .min = 1,
     .max = 254,
     .description = "Email address of the account"},
};
static const vb_field f_reset[] = {
    {.name = "token",
     .type = VB_F_STRING,
     .required = 1,
     .min = 1,
     .max = 256,
     .description = "Token from the reset mail's link",
     .no_trim = 1},
    {.name = "password",
     .type = VB_F_STRING,
     .required = 1,
     .min = 8,
     .max = 128,
     .description = "New password, 8 to 128 characters",
     .no_trim = 1},
};
static const vb_schema s_forgot = VB_SCHEMA(f_forgot);
static const vb_schema s_reset = VB_SCHEMA(f_reset);

#define P "/api/v1"
static const vb_route routes[] = {
    {.method = "POST",
     .pattern = P "/auth/forgot-password",
     .op_id = "forgotPassword",
     .tag = "auth",
     .summary = "Mail a password reset link (202 whether or not the address has an account)",
     .auth = VB_AUTH_PUBLIC,
     .body = &s_forgot,
     .write = 1,
     .handler = h_forgot,
     .status = 202,
     .result = VB_RESULT_OBJECT},
    {.method = "POST",
     .pattern = P "/auth/reset-password",
     .op_id = "resetPassword",
     .tag = "auth",
     .summary = "Set a new password with a reset token; ends every session of the account",
     .auth = VB_AUTH_PUBLIC,
     .body = &s_reset,
     .write = 1,
     .handler = h_reset,
     .status = 204,
     .result = VB_RESULT_EMPTY},
};
#undef P

const vb_route_group vb_routes_reset = {routes, sizeof routes / sizeof routes[0]};
