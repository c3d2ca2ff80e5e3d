/*
 * Requests outside /api: the built web app (cfg.web_root), or a landing page
 * when no app was built.
 *
 * Every file of the web root is read into memory once, before the server
 * listens (vb_web_load); requests only look files up in that table, so the
 * event loop never touches the disk and no request path can reach a file
 * outside the table (path traversal has nothing to traverse). Each file gets
 * its Content-Type, a strong ETag (BLAKE2b of its bytes) answered with 304 on
 * If-None-Match, and a Cache-Control: a year and immutable for /assets/ (the
 * build names those by content hash), no-cache for everything else. Unknown
 * paths whose client accepts text/html get index.html (client-side routing).
 */
#include "app/vb_app_internal.h"
#include "app/vb_reply.h"
#include "core/vb_common.h"
#include "core/vb_log.h"

#include <dirent.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define WEB_MAX_FILES 2048
#define WEB_MAX_FILE_BYTES (32u << 20)
#define WEB_MAX_TOTAL_BYTES (128u << 20)
#define WEB_MAX_DEPTH 8

/* Scripts, styles and connections only from this origin; no inline code. */
#define WEB_CSP                                                                                    \
    "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; "                \
    "img-src 'self' data:; font-src 'self'; object-src 'none'; base-uri 'none'; "                  \
    "form-action 'self'; frame-ancestors 'none'"
#define WEB_CACHE_IMMUTABLE "public, max-age=31536000, immutable"
#define WEB_CACHE_REVALIDATE "no-cache"

typedef struct web_file {
    char *path; /* URL path, "/assets/app-1a2b3c4d.js" */
    char *body;
    size_t len;
    const char *ctype;
    char etag[40]; /* quoted */
    int immutable;
} web_file;

static web_file g_files[WEB_MAX_FILES];
static size_t g_nfiles;
static size_t g_total;
static const web_file *g_index;

static const char g_landing[] =
    "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
    "<title>vibed</title><style>"
    "body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:3rem auto;padding:0 1rem;"
    "color:#1f2937}code,pre{background:#f3f4f6;border-radius:4px;padding:.1rem .3rem}"
    "pre{padding:.8rem;overflow:auto}h1{margin-bottom:0}</style></head><body>"
    "<h1>vibed</h1><p>A team workspace server: projects, tasks, chat and live dashboards.</p>"
    "<p>The web app is not built (no <code>index.html</code> in the web root). Build it with "
    "<code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code>, or start with "
    "<code>bash scripts/dev.sh</code>, which does it for you.</p>"
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

/* The Content-Type for a file name, by its extension. */
static const char *content_type_of(const char *name)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".map", "application/json"},
        {".webmanifest", "application/manifest+json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".jpg", "image/jpeg"},
        {".jpeg", "image/jpeg"},
        {".gif", "image/gif"},
        {".webp", "image/webp"},
        {".ico", "image/x-icon"},
        {".woff2", "font/woff2"},
        {".woff", "font/woff"},
        {".txt", "text/plain; charset=utf-8"},
    };
    const char *dot = strrchr(name, '.');
    if (!dot) return "application/octet-stream";
    for (size_t i = 0; i < VB_ARRAY_LEN(types); i++)
        if (strcasecmp(dot, types[i].ext) == 0) return types[i].type;
    return "application/octet-stream";
}

/* Reads the regular file fs (size known from stat) into a new heap buffer.
 * Returns 0, or -1 (nothing allocated). */
static int read_whole(const char *fs, size_t size, char **out)
{
    FILE *f = fopen(fs, "rb");
    if (!f) return -1;
    char *buf = malloc(size ? size : 1);
    size_t got = buf ? fread(buf, 1, size, f) : 0;
    fclose(f);
    if (!buf || got != size) {
        free(buf);
        return -1;
    }
    *out = buf;
    return 0;
}

/* Adds the file at fs (URL path url) to the table. Returns 0, or -1 when a
 * limit was reached or the file could not be read (logged; the file is
 * skipped). */
static int add_file(const char *fs, const char *url, size_t size)
{
    if (g_nfiles >= WEB_MAX_FILES || size > WEB_MAX_FILE_BYTES ||
        g_total + size > WEB_MAX_TOTAL_BYTES) {
        vb_log(VB_LOG_WARN, "web root: skipping %s (over the file count or size limits)", url);
        return -1;
    }
    web_file *wf = &g_files[g_nfiles];
    memset(wf, 0, sizeof *wf);
    if (read_whole(fs, size, &wf->body)) {
        vb_log(VB_LOG_WARN, "web root: cannot read %s", url);
        return -1;
    }
    wf->path = strdup(url);
    if (!wf->path) {
        free(wf->body);
        return -1;
    }
    wf->len = size;
    wf->ctype = content_type_of(url);
    wf->immutable = strncmp(url, "/assets/", 8) == 0;
    unsigned char h[12];
    crypto_generichash(h, sizeof h, (const unsigned char *)wf->body, size, NULL, 0);
    char hex[sizeof h * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    snprintf(wf->etag, sizeof wf->etag, "\"%s\"", hex);
    g_total += size;
    g_nfiles++;
    return 0;
}

/* Walks the folder fs (URL prefix url, "" for the root) depth-first, adding
 * regular files; names starting with '.' are skipped. */
static void walk(const char *fs, const char *url, int depth)
{
    if (depth > WEB_MAX_DEPTH) return;
    DIR *d = opendir(fs);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char cfs[2048], curl[1024];
        if (snprintf(cfs, sizeof cfs, "%s/%s", fs, e->d_name) >= (int)sizeof cfs ||
            snprintf(curl, sizeof curl, "%s/%s", url, e->d_name) >= (int)sizeof curl)
            continue;
        struct stat st;
        if (stat(cfs, &st) != 0) continue;
        if (S_ISDIR(st.st_mode))
            walk(cfs, curl, depth + 1);
        else if (S_ISREG(st.st_mode))
            add_file(cfs, curl, (size_t)st.st_size);
    }
    closedir(d);
}

/* Loads every file of app->cfg.web_root into memory (call once, before
 * serving). A missing or empty web root is not an error: the landing page is
 * served instead. Returns the number of files loaded. */
int vb_web_load(vb_app *app)
{
    const char *root = app->cfg.web_root;
    struct stat st;
    if (!root[0] || stat(root, &st) != 0 || !S_ISDIR(st.st_mode)) {
        vb_log(VB_LOG_WARN, "web root %s not found: serving the landing page at /",
               root[0] ? root : "(none)");
        return 0;
    }
    walk(root, "", 0);
    for (size_t i = 0; i < g_nfiles; i++)
        if (strcmp(g_files[i].path, "/index.html") == 0) g_index = &g_files[i];
    vb_log_obj(VB_LOG_INFO, "web root loaded",
               json_pack("{s:s,s:i,s:i,s:b}", "webRoot", root, "files", (int)g_nfiles, "bytes",
                         (int)g_total, "app", g_index != NULL));
    if (!g_index) vb_log(VB_LOG_WARN, "no index.html in %s: serving the landing page at /", root);
    return (int)g_nfiles;
}

/* The loaded file with URL path exactly path, or NULL. */
void vb_web_free(void)
{
    for (size_t i = 0; i < g_nfiles; i++) {
        free(g_files[i].path);
        free(g_files[i].body);
    }
    g_nfiles = 0;
    g_total = 0;
    g_index = NULL;
}

static const web_file *find_file(const char *path)
{
    for (size_t i = 0; i < g_nfiles; i++)
        if (strcmp(g_files[i].path, path) == 0) return &g_files[i];
    return NULL;
}

/* 1 when the If-None-Match header names etag (or is "*"). */
static int etag_matches(const vb_http_req *req, const char *etag)
{
    const char *inm = vb_http_header_get(req, "if-none-match");
    if (!inm) return 0;
    if (strcmp(inm, "*") == 0) return 1;
    return strstr(inm, etag) != NULL;
}

/* Answers req with wf (200, or 304 when the client's copy is current). */
static void send_file(vb_http_req *req, const web_file *wf)
{
    vb_http_add_header(req, "ETag", wf->etag);
    vb_http_add_header(req, "Cache-Control",
                       wf->immutable ? WEB_CACHE_IMMUTABLE : WEB_CACHE_REVALIDATE);
    if (strncmp(wf->ctype, "text/html", 9) == 0)
        vb_http_add_header(req, "Content-Security-Policy", WEB_CSP);
    if (etag_matches(req, wf->etag)) {
        vb_http_respond(req, 304, NULL, NULL, 0);
        return;
    }
    vb_http_respond(req, 200, wf->ctype, wf->body, wf->len);
}

/* 1 when the client accepts HTML (a browser navigating). */
static int accepts_html(const vb_http_req *req)
{
    const char *accept = vb_http_header_get(req, "accept");
    return accept && strstr(accept, "text/html") != NULL;
}

void vb_app_serve_web(vb_app *app, vb_http_req *req)
{
    (void)app;
    int get = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
    if (!get) {
        vb_reply_error(req, 404, "NOT_FOUND", "No such page", NULL);
        return;
    }
    int root = strcmp(req->path, "/") == 0 || strcmp(req->path, "/index.html") == 0;
    if (!g_index) {
        if (root) {
            vb_http_add_header(req, "Content-Security-Policy",
                               "default-src 'none'; style-src 'unsafe-inline'");
            vb_http_add_header(req, "Cache-Control", WEB_CACHE_REVALIDATE);
            vb_http_respond(req, 200, "text/html; charset=utf-8", g_landing, sizeof g_landing - 1);
            return;
        }
    } else if (root) {
        send_file(req, g_index);
        return;
    }
    const web_file *wf = find_file(req->path);
    if (wf) {
        send_file(req, wf);
        return;
    }
    /* Client-side routes (/board/..., /chat) load the app; missing assets stay 404. */
    if (g_index && accepts_html(req) && strncmp(req->path, "/assets/", 8) != 0) {
        send_file(req, g_index);
        return;
    }
    vb_reply_error(req, 404, "NOT_FOUND", "No such page", NULL);
}
