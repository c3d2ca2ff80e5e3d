/*
 * Requests outside /api. Until the web app is built this serves a landing
 * page that tells a newcomer what is running and how to use it.
 */
#include "app/vb_app_internal.h"
#include "app/vb_reply.h"

#include <string.h>

static const char g_landing[] =
    "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
    "<title>vibed</title><style>"
    "body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:3rem auto;padding:0 1rem;"
    "color:#1f2937}code,pre{background:#f3f4f6;border-radius:4px;padding:.1rem .3rem}"
    "pre{padding:.8rem;overflow:auto}h1{margin-bottom:0}</style></head><body>"
    "<h1>vibed</h1><p>A team workspace server: projects, tasks, chat and live dashboards.</p>"
    "<h2>Try it</h2><ul>"
    "<li><a href=\"/api/v1/docs\">API documentation</a> "
    "(<a href=\"/api/v1/docs/openapi.json\">OpenAPI 3.1</a>)</li>"
    "<li><a href=\"/api/v1/health\">Health</a></li></ul>"
    "<p>With the demo data loaded, sign in as <code>alice@demo.vibed.dev</code> or "
    "<code>bob@demo.vibed.dev</code>, password <code>demo-password</code>:</p>"
    "<pre>curl -s -X POST localhost:3000/api/v1/auth/login \\\n"
    "  -H 'Content-Type: application/json' \\\n"
    "  -d '{\"email\":\"alice@demo.vibed.dev\",\"password\":\"demo-password\"}'</pre>"
    "</body></html>";

void vb_app_serve_web(vb_app *app, vb_http_req *req)
{
    (void)app;
    int get = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
    if (get && (strcmp(req->path, "/") == 0 || strcmp(req->path, "/index.html") == 0)) {
        vb_http_add_header(req, "Content-Security-Policy",
                           "default-src 'none'; style-src 'unsafe-inline'");
        vb_http_respond(req, 200, "text/html; charset=utf-8", g_landing, sizeof g_landing - 1);
        return;
    }
    vb_reply_error(req, 404, "NOT_FOUND", "No such page", NULL);
}
