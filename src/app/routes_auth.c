/*
 * Auth and user routes.
 *
 * Register and login hash or verify passwords on libuv's thread pool
 * (argon2id is slow by design and must never block the loop), then finish
 * with a store operation. Refresh tokens are made and hashed here; the store
 * only ever sees their SHA-256. Access tokens are stateless JWTs signed here
 * with the app's key once the store has answered.
 */
#include "app/vb_app.h"
#include "app/vb_auth.h"
#include "app/vb_reply.h"
#include "app/vb_routes.h"
#include "core/vb_common.h"
#include "store/vb_ops_ws.h"

#include <ctype.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define BAD_CREDENTIALS "Invalid email or password"

/* One register or login in flight: lives from the handler to the reply. */
typedef struct auth_call {
    uv_work_t work;
    vb_http_req *req;
    const vb_route *route;
    json_t *args;                    /* arguments of the final store op (owned) */
    json_t *user;                    /* login: the looked-up user (owned) */
    char *password;                  /* malloc'd; wiped and freed after use */
    char hash[VB_PASSWORD_HASH_MAX]; /* register: output; login: hash to verify */
    int rc;                          /* register: vb_auth_password_hash result */
    int verified;                    /* login: 1 if the password matched */
    char refresh[VB_REFRESH_TOKEN_LEN + 1];
} auth_call;

static void call_free(auth_call *ac)
{
    if (ac->password) {
        sodium_memzero(ac->password, strlen(ac->password));
        free(ac->password);
    }
    json_decref(ac->args);
    json_decref(ac->user);
    free(ac);
}

/* New call for req with a copy of body.password; NULL (after answering 503) on OOM. */
static auth_call *call_new(vb_http_req *req, const vb_route *route, json_t *body)
{
    auth_call *ac = calloc(1, sizeof *ac);
    const char *pw = json_string_value(json_object_get(body, "password"));

    if (ac) {
        ac->req = req;
        ac->route = route;
        ac->password = strdup(pw ? pw : "");
        ac->args = json_object();
    }
    if (!ac || !ac->password || !ac->args) {
        if (ac) call_free(ac);
        vb_reply_error(req, 503, "UNAVAILABLE", "Out of memory", NULL);
        return NULL;
    }
    return ac;
}

/* Answers 503 BUSY for a submit that failed (queue full, shutting down)
 * and frees ac. */
static void call_unavailable(auth_call *ac)
{
    vb_reply_busy(ac->req);
    call_free(ac);
}

/*
 * Makes a fresh refresh token (kept in out for the reply) and puts its hash
 * under key in args, plus "expiresAt" from the configured lifetime.
 */
static void issue_refresh(json_t *args, const char *key, char out[VB_REFRESH_TOKEN_LEN + 1])
{
    vb_app *app = vb_app_current();
    char hash[65];

    vb_auth_token_random(out);
    vb_auth_sha256_hex(out, hash);
    json_object_set_new(args, key, json_string(hash));
    json_object_set_new(args, "expiresAt",
                        json_integer(vb_wall_ms() + (json_int_t)app->cfg.refresh_ttl_s * 1000));
}

/* Signs an access token for a user shape ({id, email, role}); NULL on failure. */
static char *access_token(json_t *user)
{
    vb_app *app = vb_app_current();
    char *tok = NULL;
    const char *role = json_string_value(json_object_get(user, "role"));

    if (vb_auth_jwt_sign(app->jwt_key, app->jwt_key_len,
                         json_string_value(json_object_get(user, "id")),
                         json_string_value(json_object_get(user, "email")), role ? role : "user",
                         app->cfg.access_ttl_s, &tok) != 0)
        return NULL;
    return tok;
}

/*
 * Store callback of register and login's final step (result {user}): answers
 * {user, accessToken, refreshToken} with the route's status, then frees ac.
 */
static void on_session(const vb_store_res *res, void *ud)
{
    auth_call *ac = ud;
    json_t *user = json_object_get(res->result, "user");
    char *tok = NULL;

    if (res->status != 0) {
        vb_reply_store_error(ac->req, res);
    } else if (!user || !(tok = access_token(user))) {
        vb_reply_error(ac->req, 500, "INTERNAL_ERROR", "Could not sign the token", NULL);
    } else {
        vb_reply_ok(ac->req, ac->route->status,
                    json_pack("{s:O, s:s, s:s}", "user", user, "accessToken", tok, "refreshToken",
                              ac->refresh));
        free(tok);
    }
    call_free(ac);
}

/* ---- register */

static void register_work(uv_work_t *w)
{
    auth_call *ac = VB_CONTAINER_OF(w, auth_call, work);
    ac->rc = vb_auth_password_hash(ac->password, ac->hash);
}

static void register_after(uv_work_t *w, int status)
{
    auth_call *ac = VB_CONTAINER_OF(w, auth_call, work);

    if (status != 0 || ac->rc != 0) {
        vb_reply_error(ac->req, 500, "INTERNAL_ERROR", "Could not hash the password", NULL);
        call_free(ac);
        return;
    }
    sodium_memzero(ac->password, strlen(ac->password));
    json_object_set_new(ac->args, "passwordHash", json_string(ac->hash));
    issue_refresh(ac->args, "tokenHash", ac->refresh);
    if (vb_store_submit(vb_app_current()->store, vb_op_auth_register, 1, json_incref(ac->args),
                        on_session, ac) != 0)
        call_unavailable(ac);
}

/* POST /auth/register: hash off the loop, then create the user and a session. */
static void h_register(vb_http_req *req, const vb_route *route, json_t *args)
{
    json_t *body = json_object_get(args, "body");
    const char *email = json_string_value(json_object_get(body, "email"));
    auth_call *ac = call_new(req, route, body);
    char *lower;

    if (!ac) return;
    lower = strdup(email ? email : "");
    if (!lower) {
        vb_reply_error(req, 503, "UNAVAILABLE", "Out of memory", NULL);
        call_free(ac);
        return;
    }
    for (char *p = lower; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    json_object_set_new(ac->args, "email", json_string(lower));
    free(lower);
    json_object_set(ac->args, "firstName", json_object_get(body, "firstName"));
    json_object_set(ac->args, "lastName", json_object_get(body, "lastName"));
    if (uv_queue_work(vb_app_current()->loop, &ac->work, register_work, register_after) != 0) {
        vb_reply_error(req, 503, "UNAVAILABLE", "Could not queue the work", NULL);
        call_free(ac);
    }
}

/* ---- login */

static void login_work(uv_work_t *w)
{
    auth_call *ac = VB_CONTAINER_OF(w, auth_call, work);
    ac->verified = vb_auth_password_verify(ac->hash, ac->password);
}

static void login_after(uv_work_t *w, int status)
{
    auth_call *ac = VB_CONTAINER_OF(w, auth_call, work);

    if (status != 0 || !ac->verified || !ac->user) {
        vb_reply_error(ac->req, 401, "INVALID_CREDENTIALS", BAD_CREDENTIALS, NULL);
        call_free(ac);
        return;
    }
    json_object_set(ac->args, "userId", json_object_get(ac->user, "id"));
    issue_refresh(ac->args, "tokenHash", ac->refresh);
    if (vb_store_submit(vb_app_current()->store, vb_op_auth_session, 1, json_incref(ac->args),
                        on_session, ac) != 0)
        call_unavailable(ac);
}

/*
 * Store callback of the login lookup ({user, passwordHash} or {}): verifies
 * the password on the thread pool, against a dummy hash when there is no such
 * user so that the answer takes as long either way.
 */
static void on_login_lookup(const vb_store_res *res, void *ud)
{
    auth_call *ac = ud;
    const char *hash = json_string_value(json_object_get(res->result, "passwordHash"));

    if (res->status != 0) {
        vb_reply_store_error(ac->req, res);
        call_free(ac);
        return;
    }
    ac->user = json_incref(json_object_get(res->result, "user"));
    snprintf(ac->hash, sizeof ac->hash, "%s",
             ac->user && hash ? hash : vb_auth_password_dummy_hash());
    if (uv_queue_work(vb_app_current()->loop, &ac->work, login_work, login_after) != 0) {
        vb_reply_error(ac->req, 503, "UNAVAILABLE", "Could not queue the work", NULL);
        call_free(ac);
    }
}

/* POST /auth/login: look the user up, verify off the loop, open a session. */
static void h_login(vb_http_req *req, const vb_route *route, json_t *args)
{
    json_t *body = json_object_get(args, "body");
    auth_call *ac = call_new(req, route, body);

    if (!ac) return;
    if (vb_store_submit(vb_app_current()->store, vb_op_auth_lookup, 0,
                        json_pack("{s:O}", "email", json_object_get(body, "email")),
                        on_login_lookup, ac) != 0)
        call_unavailable(ac);
}

/* ---- refresh and logout */

/* Store callback of a rotation: {user} -> new pair; {reused} -> 401 TOKEN_REUSED. */
static void on_refresh(const vb_store_res *res, void *ud)
{
    auth_call *ac = ud;
    json_t *user = json_object_get(res->result, "user");
    char *tok = NULL;

    if (res->status != 0) {
        vb_reply_store_error(ac->req, res);
    } else if (json_is_true(json_object_get(res->result, "reused"))) {
        vb_reply_error(ac->req, 401, "TOKEN_REUSED",
                       "This refresh token was already used; all its sessions are revoked", NULL);
    } else if (!user || !(tok = access_token(user))) {
        vb_reply_error(ac->req, 500, "INTERNAL_ERROR", "Could not sign the token", NULL);
    } else {
        vb_reply_ok(ac->req, 200,
                    json_pack("{s:s, s:s}", "accessToken", tok, "refreshToken", ac->refresh));
        free(tok);
    }
    call_free(ac);
}

/* POST /auth/refresh {refreshToken}: rotates within the token's family. */
static void h_refresh(vb_http_req *req, const vb_route *route, json_t *args)
{
    const char *old =
        json_string_value(json_object_get(json_object_get(args, "body"), "refreshToken"));
    auth_call *ac = call_new(req, route, NULL);
    char hash[65];

    if (!ac) return;
    vb_auth_sha256_hex(old ? old : "", hash);
    json_object_set_new(ac->args, "tokenHash", json_string(hash));
    issue_refresh(ac->args, "newTokenHash", ac->refresh);
    if (vb_store_submit(vb_app_current()->store, vb_op_auth_refresh, 1, json_incref(ac->args),
                        on_refresh, ac) != 0)
        call_unavailable(ac);
}

/* POST /auth/logout {refreshToken?}: that token's family if it is the
 * caller's, else (no token) every session of the caller. Always 204. */
static void h_logout(vb_http_req *req, const vb_route *route, json_t *args)
{
    const char *tok =
        json_string_value(json_object_get(json_object_get(args, "body"), "refreshToken"));
    json_t *op_args = json_pack("{s:O}", "actor", json_object_get(args, "actor"));
    char hash[65];

    if (!op_args) {
        vb_reply_error(req, 503, "UNAVAILABLE", "Out of memory", NULL);
        return;
    }
    if (tok) {
        vb_auth_sha256_hex(tok, hash);
        json_object_set_new(op_args, "tokenHash", json_string(hash));
    }
    vb_app_run_op(req, route, vb_op_auth_logout, 1, op_args);
}

/* ---- route table */

static const vb_field f_register[] = {
    {.name = "email",
     .type = VB_F_STRING,
     .required = 1,
     .min = 3,
     .max = 254,
     .format = VB_FMT_EMAIL,
     .description = "Email address (stored lower-case)"},
    {.name = "password",
     .type = VB_F_STRING,
     .required = 1,
     .min = 8,
     .max = 128,
     .description = "8 to 128 characters",
     .no_trim = 1},
    {.name = "firstName",
     .type = VB_F_STRING,
     .required = 1,
     .min = 1,
     .max = 100,
     .description = "First name"},
    {.name = "lastName",
     .type = VB_F_STRING,
     .required = 1,
     .min = 1,
     .max = 100,
     .description = "Last name"},
};
static const vb_field f_login[] = {
    {.name = "email",
     .type = VB_F_STRING,
     .required = 1,
     .min = 1,
     .max = 254,
     .description = "Email address"},
    {.name = "password",
     .type = VB_F_STRING,
     .required = 1,
     .min = 1,
     .max = 128,
     .description = "Password",
     .no_trim = 1},
};
static const vb_field f_refresh[] = {
    {.name = "refreshToken",
     .type = VB_F_STRING,
     .required = 1,
     .min = 1,
     .max = 256,
     .description = "Current refresh token"},
};
static const vb_field f_logout[] = {
    {.name = "refreshToken",
     .type = VB_F_STRING,
     .min = 1,
     .max = 256,
     .description = "Token whose session ends; all sessions when absent"},
};
static const vb_field f_user_patch[] = {
    {.name = "firstName", .type = VB_F_STRING, .min = 1, .max = 100, .description = "First name"},
    {.name = "lastName", .type = VB_F_STRING, .min = 1, .max = 100, .description = "Last name"},
    {.name = "avatarUrl",
     .type = VB_F_STRING,
     .nullable = 1,
     .max = 2048,
     .format = VB_FMT_URL,
     .description = "Avatar image URL, or null"},
    {.name = "emailNotifications",
     .type = VB_F_BOOL,
     .description =
         "Notification mails (assigned, mentioned, due); password reset mails always go"},
};
static const vb_schema s_register = VB_SCHEMA(f_register);
static const vb_schema s_login = VB_SCHEMA(f_login);
static const vb_schema s_refresh = VB_SCHEMA(f_refresh);
static const vb_schema s_logout = VB_SCHEMA(f_logout);
static const vb_schema s_user_patch = VB_SCHEMA_PATCH(f_user_patch);

#define P "/api/v1"
static const vb_route routes[] = {
    {.method = "POST",
     .pattern = P "/auth/register",
     .op_id = "register",
     .tag = "auth",
     .summary = "Create an account",
     .auth = VB_AUTH_PUBLIC,
     .body = &s_register,
     .write = 1,
     .handler = h_register,
     .status = 201,
     .result = VB_RESULT_OBJECT},
    {.method = "POST",
     .pattern = P "/auth/login",
     .op_id = "login",
     .tag = "auth",
     .summary = "Log in",
     .auth = VB_AUTH_PUBLIC,
     .body = &s_login,
     .write = 1,
     .handler = h_login,
     .status = 200,
     .result = VB_RESULT_OBJECT},
    {.method = "POST",
     .pattern = P "/auth/refresh",
     .op_id = "refreshToken",
     .tag = "auth",
     .summary = "Rotate a refresh token",
     .auth = VB_AUTH_PUBLIC,
     .body = &s_refresh,
     .write = 1,
     .handler = h_refresh,
     .status = 200,
     .result = VB_RESULT_OBJECT},
    {.method = "POST",
     .pattern = P "/auth/logout",
     .op_id = "logout",
     .tag = "auth",
     .summary = "End the caller's session(s)",
     .auth = VB_AUTH_BEARER,
     .body = &s_logout,
     .write = 1,
     .handler = h_logout,
     .status = 204,
     .result = VB_RESULT_EMPTY},
    {.method = "GET",
     .pattern = P "/users/me",
     .op_id = "getMe",
     .tag = "users",
     .summary = "The caller's profile",
     .auth = VB_AUTH_BEARER,
     .op = vb_op_user_me,
     .status = 200,
     .result = VB_RESULT_OBJECT},
    {.method = "PATCH",
     .pattern = P "/users/me",
     .op_id = "updateMe",
     .tag = "users",
     .summary = "Update the caller's profile",
     .auth = VB_AUTH_BEARER,
     .body = &s_user_patch,
     .op = vb_op_user_update_me,
     .write = 1,
     .status = 200,
     .result = VB_RESULT_OBJECT},
    {.method = "GET",
     .pattern = P "/users/:id",
     .op_id = "getUser",
     .tag = "users",
     .summary = "A user who shares a workspace with the caller",
     .auth = VB_AUTH_BEARER,
     .op = vb_op_user_get,
     .status = 200,
     .result = VB_RESULT_OBJECT},
};
#undef P

const vb_route_group vb_routes_auth = {routes, sizeof routes / sizeof routes[0]};
