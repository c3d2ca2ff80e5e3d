/* Operations routes: health, metrics and the API documentation. */
#include "app/vb_app.h"
#include "app/vb_metrics.h"
#include "app/vb_reply.h"
#include "app/vb_routes.h"
#include "app/vb_auth.h"
#include "core/vb_common.h"
#include "http/vb_openapi.h"
#include "hub/vb_hub_bridge.h"
#include "store/vb_ops_health.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct health_call {
    vb_http_req *req;
} health_call;

static void on_health(const vb_store_res *res, void *ud)
{
    health_call *hc = ud;
    vb_http_req *req = hc->req;
    free(hc);
    vb_app *app = vb_app_current();
    int ok = res->status == 0;
    json_t *data =
        json_pack("{s:s,s:s,s:s,s:s,s:f}", "status",
                  ok && strcmp(vb_hub_bridge_status(), "down") != 0 ? "ok" : "degraded", "db",
                  ok ? "ok" : "down", "redis", vb_hub_bridge_status(), "version", VB_VERSION,
                  "uptimeSeconds", (double)(vb_now_ns() - app->started_ns) / 1e9);
    vb_reply_ok(req, ok ? 200 : 503, data);
}

static void h_health(vb_http_req *req, const vb_route *route, json_t *args)
{
    health_call *hc = malloc(sizeof *hc);
    if (!hc) {
        vb_reply_error(req, 503, "UNAVAILABLE", "Out of memory", NULL);
        return;
    }
    hc->req = req;
    if (vb_store_submit(vb_app_current()->store, vb_op_health, 0, NULL, on_health, hc)) {
        free(hc);
        vb_reply_busy(req);
    }
}

static int is_loopback(const char *ip)
{
    return strncmp(ip, "127.", 4) == 0 || strcmp(ip, "::1") == 0 ||
           strncmp(ip, "::ffff:127.", 11) == 0;
}

/* Prometheus metrics: loopback clients, or anyone with the metrics token. */
static void h_metrics(vb_http_req *req, const vb_route *route, json_t *args)
{
    vb_app *app = vb_app_current();
    int allowed = is_loopback(req->client_ip);
    const char *h = vb_http_header_get(req, "authorization");
    if (!allowed && app->cfg.metrics_token[0] && h && strncasecmp(h, "Bearer ", 7) == 0)
        allowed = vb_auth_str_eq_ct(h + 7, app->cfg.metrics_token);
    if (!allowed) {
        vb_reply_error(req, 401, "UNAUTHORIZED", "The metrics token is required", NULL);
        return;
    }
    vb_store_stats st;
    vb_store_get_stats(app->store, &st);
    char *text = vb_metrics_render(vb_http_server_connections(app->http), &st,
                                   (double)(vb_now_ns() - app->started_ns) / 1e9);
    if (!text) {
        vb_reply_error(req, 503, "UNAVAILABLE", "Out of memory", NULL);
        return;
    }
    vb_http_respond(req, 200, "text/plain; version=0.0.4; charset=utf-8", text, strlen(text));
    free(text);
}

static char *g_spec;

static void h_openapi(vb_http_req *req, const vb_route *route, json_t *args)
{
    if (!g_spec) {
        json_t *doc = vb_openapi_build(vb_app_current()->router, "vibed", VB_VERSION);
        g_spec = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
        json_decref(doc);
    }
    if (!g_spec) {
        vb_reply_error(req, 503, "UNAVAILABLE", "Out of memory", NULL);
        return;
    }
    vb_http_respond(req, 200, "application/json; charset=utf-8", g_spec, strlen(g_spec));
}

static void h_docs(vb_http_req *req, const vb_route *route, json_t *args)
{
    char *html = vb_openapi_html("/api/v1/docs/openapi.json");
    if (!html) {
        vb_reply_error(req, 503, "UNAVAILABLE", "Out of memory", NULL);
        return;
    }
    vb_http_add_header(req, "Content-Security-Policy",
                       "default-src 'none'; script-src 'unsafe-inline'; style-src "
                       "'unsafe-inline'; connect-src 'self'");
    vb_http_respond(req, 200, "text/html; charset=utf-8", html, strlen(html));
    free(html);
}

static const vb_route g_routes[] = {
    {.method = "GET",
     .pattern = "/api/v1/health",
     .op_id = "getHealth",
     .tag = "ops",
     .summary = "Liveness and database status",
     .auth = VB_AUTH_PUBLIC,
     .handler = h_health,
     .status = 200,
     .result = VB_RESULT_OBJECT},
    {.method = "GET",
     .pattern = "/api/v1/metrics",
     .op_id = "getMetrics",
     .tag = "ops",
     .summary = "Prometheus metrics (loopback clients, or the metrics token)",
     .auth = VB_AUTH_PUBLIC,
     .handler = h_metrics,
     .status = 200,
     .result = VB_RESULT_OBJECT},
    {.method = "GET",
     .pattern = "/api/v1/docs/openapi.json",
     .op_id = "getOpenApi",
     .tag = "ops",
     .summary = "This OpenAPI document",
     .auth = VB_AUTH_PUBLIC,
     .handler = h_openapi,
     .status = 200,
     .result = VB_RESULT_OBJECT},
    {.method = "GET",
     .pattern = "/api/v1/docs",
     .op_id = "getDocs",
     .tag = "ops",
     .summary = "Human-readable API documentation",
     .auth = VB_AUTH_PUBLIC,
     .handler = h_docs,
     .status = 200,
     .result = VB_RESULT_OBJECT},
};

const vb_route_group vb_routes_ops = {g_routes, VB_ARRAY_LEN(g_routes)};
