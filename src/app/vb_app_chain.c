/*
 * The middleware chain for one request, declared once per route in the route
 * table: client address (TRUST_PROXY) -> log (done callback) -> security
 * headers -> CORS -> route match -> rate limit per address (auth routes) ->
 * auth -> rate limits per user (writes, invitations) -> body/query
 * validation -> rate limit per account (login) -> handler. The two auth
 * limits count cluster-wide in Redis with REDIS_URL (the chain then goes on
 * when Redis answers).
 */
#include "app/vb_app.h"
#include "app/vb_app_internal.h"
#include "app/vb_auth.h"
#include "app/vb_chat.h"
#include "app/vb_metrics.h"
#include "app/vb_proxy.h"
#include "app/vb_ratelimit.h"
#include "app/vb_reply.h"
#include "core/vb_addr.h"
#include "core/vb_common.h"
#include "core/vb_log.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MINUTE_MS 60000u
#define ACCOUNT_WINDOW_MS (15u * MINUTE_MS)
#define INVITE_WINDOW_MS (60u * MINUTE_MS)

static vb_ratelimit *g_auth_limiter;    /* public auth routes, per client address */
static vb_ratelimit *g_account_limiter; /* logins, per account (email) */
static vb_ratelimit *g_write_limiter;   /* REST writes, per user */
static vb_ratelimit *g_invite_limiter;  /* invitations, per user */
static vb_proxy *g_proxies;             /* TRUST_PROXY */
static unsigned char g_account_key[crypto_generichash_KEYBYTES];

void vb_app_chain_init(const vb_config *cfg)
{
    char err[256];
    g_auth_limiter = vb_ratelimit_new((unsigned)cfg->auth_rate_limit, MINUTE_MS, 0);
    g_account_limiter =
        vb_ratelimit_new((unsigned)cfg->auth_account_rate_limit, ACCOUNT_WINDOW_MS, 0);
    g_write_limiter = vb_ratelimit_new((unsigned)cfg->write_rate_limit, MINUTE_MS, 0);
    g_invite_limiter = vb_ratelimit_new((unsigned)cfg->invite_rate_limit, INVITE_WINDOW_MS, 0);
    /* Checked by vb_config_parse_check: a failure here is out of memory. */
    if (vb_proxy_parse(cfg->trust_proxy, &g_proxies, err, sizeof err) != 0) g_proxies = NULL;
    /* Account keys are keyed hashes of the email: short, and not collidable
     * on purpose. The hash key comes from the JWT secret, so every instance
     * of a cluster names an account alike (its count is shared in Redis). */
    if (sodium_init() < 0) vb_log(VB_LOG_WARN, "libsodium did not initialise");
    static const char ctx[] = "vibed account rate limit";
    const vb_app *app = vb_app_current();
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, sizeof g_account_key);
    crypto_generichash_update(&st, (const unsigned char *)ctx, sizeof ctx - 1);
    crypto_generichash_update(&st, app->jwt_key, app->jwt_key_len);
    crypto_generichash_final(&st, g_account_key, sizeof g_account_key);
}

void vb_app_chain_free(void)
{
    vb_ratelimit_free(g_auth_limiter);
    vb_ratelimit_free(g_account_limiter);
    vb_ratelimit_free(g_write_limiter);
    vb_ratelimit_free(g_invite_limiter);
    vb_proxy_free(g_proxies);
    g_auth_limiter = g_account_limiter = g_write_limiter = g_invite_limiter = NULL;
    g_proxies = NULL;
}

int vb_app_chain_trusted(const char *ip, void *ud)
{
    (void)ud;
    return vb_proxy_trusted(g_proxies, ip);
}

/* Counts a request against rl under key; answers 429 RATE_LIMITED with
 * Retry-After and returns 1 when over the limit. */
static int rate_limited(vb_http_req *req, vb_ratelimit *rl, const char *key, const char *message)
{
    unsigned retry = vb_ratelimit_hit(rl, key, vb_now_ms());
    if (!retry) return 0;
    char secs[16];
    snprintf(secs, sizeof secs, "%u", retry);
    vb_http_add_header(req, "Retry-After", secs);
    vb_reply_error(req, 429, "RATE_LIMITED", message, NULL);
    return 1;
}

/* The limiter key of the account a login names: "a:" and a keyed hash of the
 * lower-cased email. */
static void account_key(const char *email, char out[VB_RATELIMIT_KEY_MAX + 1])
{
    unsigned char h[16];
    crypto_generichash_state st;
    crypto_generichash_init(&st, g_account_key, sizeof g_account_key, sizeof h);
    for (const char *p = email ? email : ""; *p; p++) {
        unsigned char ch = (unsigned char)tolower((unsigned char)*p);
        crypto_generichash_update(&st, &ch, 1);
    }
    crypto_generichash_final(&st, h, sizeof h);
    out[0] = 'a';
    out[1] = ':';
    sodium_bin2hex(out + 2, VB_RATELIMIT_KEY_MAX - 1, h, sizeof h);
}

/* 1 if origin is in the comma-separated allow list (or the list is "*"). */
static int origin_allowed(const char *list, const char *origin)
{
    if (!origin || !*origin || !list || !*list) return 0;
    if (strcmp(list, "*") == 0) return 1;
    size_t olen = strlen(origin);
    for (const char *p = list; *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *end = p;
        while (*end && *end != ',')
            end++;
        const char *last = end;
        while (last > p && last[-1] == ' ')
            last--;
        if ((size_t)(last - p) == olen && strncmp(p, origin, olen) == 0) return 1;
        p = end;
    }
    return 0;
}

static void add_security_headers(vb_http_req *req)
{
    vb_http_add_header(req, "X-Content-Type-Options", "nosniff");
    vb_http_add_header(req, "X-Frame-Options", "DENY");
    vb_http_add_header(req, "Referrer-Policy", "no-referrer");
    vb_http_add_header(req, "Cross-Origin-Opener-Policy", "same-origin");
}

/* Adds CORS headers; returns 1 when req was a preflight and has been answered. */
static int handle_cors(vb_app *app, vb_http_req *req)
{
    const char *origin = vb_http_header_get(req, "origin");
    int allowed = origin_allowed(app->cfg.cors_origins, origin);
    if (allowed) {
        vb_http_add_header(req, "Access-Control-Allow-Origin", origin);
        vb_http_add_header(req, "Vary", "Origin");
        vb_http_add_header(req, "Access-Control-Expose-Headers", "X-Request-Id, Retry-After");
    }
    if (strcmp(req->method, "OPTIONS") != 0 ||
        !vb_http_header_get(req, "access-control-request-method"))
        return 0;
    if (allowed) {
        vb_http_add_header(req, "Access-Control-Allow-Methods",
                           "GET, POST, PUT, PATCH, DELETE, OPTIONS");
        vb_http_add_header(req, "Access-Control-Allow-Headers",
                           "Authorization, Content-Type, X-Request-Id, Last-Event-ID");
        vb_http_add_header(req, "Access-Control-Max-Age", "600");
    }
    vb_http_respond(req, 204, NULL, NULL, 0);
    return 1;
}

/* Verifies the bearer token; *actor receives {id, email, role}. */
static int authenticate(vb_app *app, vb_http_req *req, json_t **actor)
{
    const char *h = vb_http_header_get(req, "authorization");
    if (!h || strncasecmp(h, "Bearer ", 7) != 0) return VB_EUNAUTH;
    const char *token = h + 7;
    while (*token == ' ')
        token++;
    json_t *claims = NULL;
    if (vb_auth_jwt_verify(app->jwt_key, app->jwt_key_len, token, &claims) != 0) return VB_EUNAUTH;
    *actor = json_pack(
        "{s:O,s:O,s:O}", "id", json_object_get(claims, "sub"), "email",
        json_object_get(claims, "email") ? json_object_get(claims, "email") : json_null(), "role",
        json_object_get(claims, "role") ? json_object_get(claims, "role") : json_string("user"));
    json_decref(claims);
    return *actor ? 0 : VB_ENOMEM;
}

/* Parses and validates the body; returns 0 or answers req and returns -1. */
static int parse_body(vb_http_req *req, const vb_route *route, json_t **body)
{
    static const vb_schema no_fields = {NULL, 0, 0};
    const vb_schema *schema = route->body ? route->body : &no_fields;
    json_t *errors;
    if (req->body_len == 0) {
        *body = json_object();
    } else {
        json_error_t jerr;
        *body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
        if (!*body) {
            char msg[256];
            snprintf(msg, sizeof msg, "Malformed JSON body: %s", jerr.text);
            vb_reply_error(req, 400, "INVALID_JSON", msg, NULL);
            return -1;
        }
    }
    errors = json_array();
    /* A route without a body schema takes no fields: any it is sent are named
     * in a 422 rather than ignored. */
    if (vb_validate_body(schema, *body, errors) > 0) {
        vb_reply_error(req, 422, "VALIDATION_ERROR", "The request body is not valid", errors);
        json_decref(*body);
        *body = NULL;
        return -1;
    }
    json_decref(errors);
    return 0;
}

static int parse_query(vb_http_req *req, const vb_route *route, json_t **query)
{
    if (!route->query) {
        *query = json_object();
        return 0;
    }
    json_t *errors = json_array();
    if (vb_validate_query(route->query, req->query, query, errors) > 0) {
        vb_reply_error(req, 422, "VALIDATION_ERROR", "The query string is not valid", errors);
        json_decref(*query);
        *query = NULL;
        return -1;
    }
    json_decref(errors);
    return 0;
}

int vb_app_stream_check(const vb_http_req *req, void *ud)
{
    vb_app *app = ud;
    char raw[2048];
    size_t rawlen = strcspn(req->target, "?#");
    if (rawlen >= sizeof raw || strncmp(req->target, "/api/", 5) != 0) return 0;
    memcpy(raw, req->target, rawlen);
    raw[rawlen] = '\0';
    vb_route_params params;
    int mismatch = 0;
    const vb_route *route = vb_router_match(app->router, req->method, raw, &params, &mismatch);
    return route && route->stream_body;
}

/* A request on its way through the chain; the auth limits may wait for
 * Redis (a cluster-wide count), so the chain goes on from a callback. */
typedef struct api_call {
    vb_app *app;
    vb_http_req *req;
    const vb_route *route;
    vb_route_params params;
    json_t *actor, *query, *body;
    const char *limit_message;
    void (*next)(struct api_call *c);
} api_call;

static void api_call_free(api_call *c)
{
    json_decref(c->actor);
    json_decref(c->query);
    json_decref(c->body);
    free(c);
}

static void on_shared_limit(unsigned retry, void *ud)
{
    api_call *c = ud;
    if (retry) {
        char secs[16];
        snprintf(secs, sizeof secs, "%u", retry);
        vb_http_add_header(c->req, "Retry-After", secs);
        vb_reply_error(c->req, 429, "RATE_LIMITED", c->limit_message, NULL);
        api_call_free(c);
        return;
    }
    c->next(c);
}

/* Counts the request against rl under key, cluster-wide with REDIS_URL;
 * goes on with next (now, or when Redis answers) unless over the limit,
 * which answers 429 RATE_LIMITED with Retry-After. */
static void shared_limit(api_call *c, vb_ratelimit *rl, const char *name, const char *key,
                         const char *message, void (*next)(api_call *c))
{
    c->limit_message = message;
    c->next = next;
    unsigned retry = 0;
    if (vb_ratelimit_hit_shared(rl, name, key, vb_now_ms(), on_shared_limit, c, &retry)) return;
    on_shared_limit(retry, c);
}

static void api_dispatch(api_call *c)
{
    vb_http_req *req = c->req;
    const vb_route *route = c->route;
    json_t *pobj = json_object();
    for (size_t i = 0; i < c->params.n; i++)
        json_object_set_new(pobj, c->params.p[i].name, json_string(c->params.p[i].value));
    json_t *args = json_object();
    json_object_set_new(args, "actor", c->actor ? c->actor : json_null());
    json_object_set_new(args, "params", pobj);
    json_object_set_new(args, "query", c->query);
    json_object_set_new(args, "body", c->body);
    c->actor = c->query = c->body = NULL;
    free(c);
    if (route->handler) {
        route->handler(req, route, args);
        json_decref(args);
    } else {
        vb_app_run_op(req, route, route->op, route->write, args);
    }
}

static void api_after_address_limit(api_call *c)
{
    vb_http_req *req = c->req;
    const vb_route *route = c->route;
    if (route->auth == VB_AUTH_BEARER) {
        int rc = authenticate(c->app, req, &c->actor);
        if (rc) {
            vb_http_add_header(req, "WWW-Authenticate", "Bearer");
            vb_reply_error(req, 401, "UNAUTHORIZED", "A valid access token is required", NULL);
            api_call_free(c);
            return;
        }
        const char *uid = json_string_value(json_object_get(c->actor, "id"));
        if ((route->write &&
             rate_limited(req, g_write_limiter, uid, "Too many changes; try again later")) ||
            (strcmp(route->op_id, "inviteMember") == 0 &&
             rate_limited(req, g_invite_limiter, uid, "Too many invitations; try again later"))) {
            api_call_free(c);
            return;
        }
    }
    if (parse_query(req, route, &c->query) || parse_body(req, route, &c->body)) {
        api_call_free(c);
        return;
    }
    if (strcmp(route->op_id, "login") == 0) {
        char key[VB_RATELIMIT_KEY_MAX + 1];
        account_key(json_string_value(json_object_get(c->body, "email")), key);
        shared_limit(c, g_account_limiter, "account", key,
                     "Too many sign-in attempts for this account; try again later", api_dispatch);
        return;
    }
    api_dispatch(c);
}

static void handle_api(vb_app *app, vb_http_req *req)
{
    api_call *c = calloc(1, sizeof *c);
    if (!c) {
        vb_reply_error(req, 503, "BUSY", "The server is busy; try again", NULL);
        return;
    }
    c->app = app;
    c->req = req;
    int mismatch = 0;
    /* The router decodes each segment itself, so it gets the raw path: an
     * encoded '/' then stays inside its segment and nothing is decoded twice. */
    char raw[2048];
    size_t rawlen = strcspn(req->target, "?#");
    if (rawlen >= sizeof raw) {
        vb_reply_error(req, 404, "ROUTE_NOT_FOUND", "No such route", NULL);
        free(c);
        return;
    }
    memcpy(raw, req->target, rawlen);
    raw[rawlen] = '\0';
    const vb_route *route = vb_router_match(app->router, req->method, raw, &c->params, &mismatch);
    if (!route) {
        if (mismatch)
            vb_reply_error(req, 405, "METHOD_NOT_ALLOWED", "This method is not allowed here", NULL);
        else
            vb_reply_error(req, 404, "ROUTE_NOT_FOUND", "No such route", NULL);
        free(c);
        return;
    }
    req->app = (void *)route;
    c->route = route;

    /* Public auth routes, and the password change (it checks a password). */
    if ((route->tag && strcmp(route->tag, "auth") == 0 && route->auth == VB_AUTH_PUBLIC) ||
        strcmp(route->op_id, "changePassword") == 0) {
        char key[VB_ADDR_KEY_LEN];
        vb_addr_key(req->client_ip, key);
        shared_limit(c, g_auth_limiter, "auth", key, "Too many requests; try again later",
                     api_after_address_limit);
        return;
    }
    api_after_address_limit(c);
}

void vb_app_on_request(vb_http_req *req, void *ud)
{
    vb_app *app = ud;
    /* From here on (rate limits, the metrics loopback check, logs) the client
     * is the address a trusted proxy forwarded for, else the peer. */
    char client[VB_PROXY_ADDR_LEN];
    vb_proxy_client(g_proxies, req->client_ip, vb_http_header_get(req, "x-forwarded-for"), client);
    snprintf(req->client_ip, sizeof req->client_ip, "%s", client);
    add_security_headers(req);
    if (handle_cors(app, req)) return;
    if (strncmp(req->path, "/api/", 5) == 0 || strcmp(req->path, "/api") == 0) {
        vb_http_add_header(req, "Cache-Control", "no-store");
        handle_api(app, req);
        return;
    }
    if (vb_chat_handle(req)) return;
    vb_app_serve_web(app, req);
}

void vb_app_on_done(vb_http_req *req, void *ud)
{
    (void)ud;
    uint64_t dur = vb_now_ns() - req->start_ns;
    const vb_route *route = req->app;
    vb_metrics_record(route, req->status, dur);
    if (!vb_log_enabled(VB_LOG_INFO)) return;
    /* The path only: the query string may carry an access token. */
    json_t *f = json_pack("{s:s,s:s,s:s,s:i,s:f,s:s}", "requestId", req->request_id, "method",
                          req->method, "path", req->path, "status", req->status, "durationMs",
                          (double)dur / 1e6, "ip", req->client_ip);
    /* 503 is load shed on purpose (BUSY), not a failure of the server. */
    vb_log_obj(req->status == 503   ? VB_LOG_WARN
               : req->status >= 500 ? VB_LOG_ERROR
                                    : VB_LOG_INFO,
               "request", f);
}

/* ---- running a store operation for a request */

typedef struct op_call {
    vb_http_req *req;
    const vb_route *route;
} op_call;

/* Sends the envelope around a result serialised on the store thread:
 * {"success":true,"data":TEXT} or, for a page {"data":..,"meta":..},
 * {"success":true,"data":..,"meta":..}. */
static void reply_text(vb_http_req *req, int status, int page, const char *text, size_t len)
{
    static const char obj_head[] = "{\"success\":true,\"data\":";
    static const char page_head[] = "{\"success\":true,";
    const char *head = page ? page_head : obj_head;
    size_t hlen = page ? sizeof page_head - 1 : sizeof obj_head - 1;
    if (page) { /* splice after the page object's '{' */
        text++;
        len--;
    }
    char *body = malloc(hlen + len + 1);
    if (!body) {
        vb_reply_error(req, 503, "UNAVAILABLE", "Out of memory", NULL);
        return;
    }
    memcpy(body, head, hlen);
    memcpy(body + hlen, text, len);
    size_t n = hlen + len;
    if (!page) body[n++] = '}';
    vb_http_respond(req, status, "application/json; charset=utf-8", body, n);
    free(body);
}

static void on_op_done(const vb_store_res *res, void *ud)
{
    op_call *call = ud;
    vb_http_req *req = call->req;
    const vb_route *route = call->route;
    free(call);
    if (res->status != 0) {
        vb_reply_store_error(req, res);
        return;
    }
    int kind = route ? route->result : VB_RESULT_OBJECT;
    int status = route && route->status ? route->status : 200;
    if (kind == VB_RESULT_EMPTY)
        vb_http_respond(req, 204, NULL, NULL, 0);
    else if (res->text && (kind != VB_RESULT_PAGE || (res->text_len > 2 && res->text[0] == '{')))
        reply_text(req, kind == VB_RESULT_PAGE ? 200 : status, kind == VB_RESULT_PAGE, res->text,
                   res->text_len);
    else if (kind == VB_RESULT_PAGE)
        vb_reply_page(req, res->result ? json_incref(res->result) : json_object());
    else
        vb_reply_ok(req, status, res->result ? json_incref(res->result) : NULL);
}

void vb_app_run_op(vb_http_req *req, const vb_route *route, vb_op_fn op, int write, json_t *args)
{
    vb_app *app = vb_app_current();
    op_call *call = malloc(sizeof *call);
    if (!call) {
        json_decref(args);
        vb_reply_error(req, 503, "UNAVAILABLE", "Out of memory", NULL);
        return;
    }
    call->req = req;
    call->route = route;
    int rc = vb_store_submit(app->store, op, (write ? VB_STORE_WRITE : 0) | VB_STORE_TEXT, args,
                             on_op_done, call);
    if (rc) {
        free(call);
        vb_reply_busy(req);
    }
}
