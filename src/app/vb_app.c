/*
 * The application's lifecycle: configuration, secrets, the store, the router
 * and the HTTP server; the CLI commands serve, migrate and seed-demo; clean
 * shutdown on SIGINT/SIGTERM (stop accepting, finish in-flight requests, close
 * chat sessions so clients reconnect elsewhere, leave Redis, close the store;
 * bounded by VB_APP_STOP_MAX_MS).
 */
#include "app/vb_app.h"
#include "app/vb_app_internal.h"
#include "app/vb_attach.h"
#include "app/vb_chat.h"
#include "app/vb_jobs.h"
#include "app/vb_routes.h"
#include "core/vb_common.h"
#include "core/vb_log.h"
#include "hub/vb_hub.h"
#include "hub/vb_hub_bridge.h"
#include "hub/vb_presence.h"
#include "mail/vb_mailer.h"
#include "store/vb_ops_attach.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static vb_app g_app;
/* A stop (SIGTERM, SIGINT) that takes longer ends the process anyway. */
#define VB_APP_STOP_MAX_MS 10000

static uv_signal_t g_sigint, g_sigterm;
static uv_timer_t g_stop_deadline;
static int g_stopping;
static int g_stop_pending; /* parts still stopping: chat then HTTP, mail */

vb_app *vb_app_current(void)
{
    return &g_app;
}

/* Reads the development JWT secret kept in the data folder, or makes one.
 * Returns 0 or -1 (logged). */
static int load_dev_secret(vb_app *app)
{
    char dir[900], path[1024];
    vb_config_data_dir(&app->cfg, dir, sizeof dir);
    snprintf(path, sizeof path, "%s/jwt-secret", dir);
    char buf[128] = {0};
    FILE *f = fopen(path, "r");
    if (f) {
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
            buf[--n] = '\0';
        if (n >= 32) {
            memcpy(app->jwt_key, buf, n);
            app->jwt_key_len = n;
            vb_log(VB_LOG_WARN,
                   "using the development JWT secret kept in %s; set JWT_SECRET "
                   "in production",
                   path);
            return 0;
        }
    }
    unsigned char raw[48];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(buf, sizeof buf, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    mkdir(dir, 0700);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) {
        vb_log(VB_LOG_ERROR, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    size_t len = strlen(buf);
    ssize_t w = write(fd, buf, len);
    close(fd);
    if (w != (ssize_t)len) {
        vb_log(VB_LOG_ERROR, "cannot write %s", path);
        return -1;
    }
    memcpy(app->jwt_key, buf, len);
    app->jwt_key_len = len;
    vb_log(VB_LOG_WARN, "generated a development JWT secret in %s; set JWT_SECRET in production",
           path);
    return 0;
}

static int load_secret(vb_app *app)
{
    size_t n = strlen(app->cfg.jwt_secret);
    if (n == 0) return load_dev_secret(app);
    memcpy(app->jwt_key, app->cfg.jwt_secret, n);
    app->jwt_key_len = n;
    return 0;
}

static void on_closed_signal(uv_handle_t *h)
{
    (void)h;
}

static void on_store_closed(void *arg)
{
    (void)arg;
    vb_log(VB_LOG_INFO, "stopped");
    uv_close((uv_handle_t *)&g_sigint, on_closed_signal);
    uv_close((uv_handle_t *)&g_sigterm, on_closed_signal);
    uv_close((uv_handle_t *)&g_stop_deadline, on_closed_signal);
}

/* One of the two parts that stop side by side (HTTP after chat, mail) is
 * done; the store closes after the last, so everything they started is
 * written. */
static void stop_part_done(vb_app *app)
{
    if (--g_stop_pending > 0) return;
    vb_store_close(app->store, on_store_closed, NULL);
    app->store = NULL;
}

static void on_http_closed(void *arg)
{
    vb_app *app = arg;
    app->http = NULL;
    stop_part_done(app);
}

static void on_chat_stopped(void *arg)
{
    vb_app *app = arg;
    /* After chat: its sockets' presence has been handed to Redis, and the
     * instance's share is deleted, so its users do not linger online. Then
     * HTTP: idle connections close, requests in flight finish, SSE streams
     * close (EventSource reconnects, elsewhere behind a balancer). */
    vb_hub_bridge_stop();
    vb_http_server_shutdown(app->http, on_http_closed, app);
}

static void on_mailer_stopped(void *arg)
{
    stop_part_done(arg);
}

/* A stop that has not finished within VB_APP_STOP_MAX_MS (a store that
 * does not answer, a peer that does not read) ends the process: whatever was
 * acknowledged is already committed. */
static void on_stop_deadline(uv_timer_t *t)
{
    (void)t;
    vb_log(VB_LOG_WARN, "not stopped within %d ms: exiting", VB_APP_STOP_MAX_MS);
    fflush(NULL);
    _exit(0);
}

static void on_signal(uv_signal_t *h, int signum)
{
    vb_app *app = h->data;
    if (g_stopping) return;
    g_stopping = 1;
    vb_log(VB_LOG_INFO, "%s received: stopping", signum == SIGINT ? "SIGINT" : "SIGTERM");
    uv_timer_init(app->loop, &g_stop_deadline);
    uv_timer_start(&g_stop_deadline, on_stop_deadline, VB_APP_STOP_MAX_MS, 0);
    uv_unref((uv_handle_t *)&g_stop_deadline);
    /* The listener closes at once: a balancer sends new connections to the
     * other instances. Side by side: chat refuses new events, waits for its
     * store calls in flight to answer, closes its Engine.IO sessions as a
     * transport close (clients reconnect by themselves; their polling
     * requests are still served meanwhile), leaves Redis, then HTTP stops;
     * the scheduler stops and the mail being sent finishes (claimed mail is
     * handed back). The store closes after both. */
    g_stop_pending = 2;
    vb_http_server_stop_accepting(app->http);
    vb_jobs_stop();
    vb_chat_stop(on_chat_stopped, app);
    vb_mailer_stop(on_mailer_stopped, app);
}

static void on_migrate_closed(void *arg)
{
    (void)arg;
}

/* Opens the store (running migrations). */
static int open_store(vb_app *app)
{
    vb_store_opts sopts = {.readers = app->cfg.db_readers};
    int rc = vb_store_open_opts(&app->store, app->loop, app->cfg.database_url, &sopts);
    if (rc) {
        /* Only the scheme: the rest of a URL may carry a password. */
        vb_log(VB_LOG_ERROR, "cannot open the database (%.*s)",
               (int)strcspn(app->cfg.database_url, ":"), app->cfg.database_url);
        return -1;
    }
    vb_store_set_max_queue(app->store, app->cfg.store_max_queue);
    return 0;
}

static void close_store_and_run(vb_app *app)
{
    vb_store_close(app->store, on_migrate_closed, NULL);
    app->store = NULL;
    uv_run(app->loop, UV_RUN_DEFAULT);
}

static int build_router(vb_app *app)
{
    const vb_route_group groups[] = {
        vb_routes_ops,           vb_routes_auth,     vb_routes_workspaces, vb_routes_projects,
        vb_routes_tasks,         vb_routes_comments, vb_routes_labels,     vb_routes_activity,
        vb_routes_notifications, vb_routes_channels, vb_routes_messages,   vb_routes_live,
        vb_routes_invitations,   vb_routes_reset,    vb_routes_password,   vb_routes_attachments,
    };
    static vb_route_group kept[VB_ARRAY_LEN(groups)];
    memcpy(kept, groups, sizeof groups);
    return vb_router_new(&app->router, kept, VB_ARRAY_LEN(kept));
}

static int serve(vb_app *app)
{
    if (build_router(app)) {
        vb_log(VB_LOG_ERROR, "cannot build the router");
        return 1;
    }
    vb_app_chain_init(&app->cfg);
    vb_web_load(app);
    if (app->cfg.seed_demo && vb_app_seed_demo(app) < 0) vb_log(VB_LOG_WARN, "demo seed failed");

    /* Committed changes reach chat rooms and live streams through the hub. */
    vb_store_set_event_sink(app->store, vb_hub_publish_events, NULL);
    /* With REDIS_URL the hub reaches the other instances. */
    if (app->cfg.redis_url[0] &&
        vb_hub_bridge_start(app->loop, app->cfg.redis_url, app->cfg.presence_ttl_ms)) {
        vb_log(VB_LOG_ERROR, "REDIS_URL is not redis://[[user]:password@]host[:port][/db]");
        close_store_and_run(app);
        return 1;
    }
    if (vb_chat_start(app)) {
        vb_log(VB_LOG_ERROR, "cannot start the chat gateway");
        close_store_and_run(app);
        return 1;
    }
    if (vb_mailer_start(app) || vb_jobs_start(app)) {
        vb_log(VB_LOG_ERROR, "cannot start the mail sender");
        close_store_and_run(app);
        return 1;
    }
    vb_http_limits limits;
    vb_http_limits_default(&limits);
    limits.max_body_bytes = app->cfg.max_body_bytes;
    limits.max_connections_per_address = app->cfg.max_connections_per_address;
    /* A trusted proxy's connections carry many clients: each client is
     * counted by its forwarded address when it opens an Engine.IO session. */
    limits.exempt = vb_app_chain_trusted;
    /* Uploads a crash left half-written are deleted before serving; in a
     * cluster (REDIS_URL) only those older than any upload in progress, so
     * the other instances' uploads go on. */
    json_t *cleaned = NULL,
           *cargs = app->cfg.redis_url[0]
                        ? json_pack("{s:I}", "before",
                                    (json_int_t)vb_wall_ms() - VB_ATTACH_UPLOAD_MAX_MS)
                        : json_object();
    if (vb_store_run_sync(app->store, vb_op_attach_cleanup, cargs, &cleaned) == 0 &&
        json_integer_value(json_object_get(cleaned, "deleted")) > 0)
        vb_log(VB_LOG_INFO, "deleted %lld unfinished uploads",
               (long long)json_integer_value(json_object_get(cleaned, "deleted")));
    json_decref(cleaned);
    json_decref(cargs);
    int rc = vb_http_server_new(&app->http, app->loop, app->cfg.host, app->cfg.port, &limits,
                                vb_app_on_request, vb_app_on_done, app);
    if (rc) {
        vb_log(VB_LOG_ERROR, "cannot listen on %s:%d", app->cfg.host, app->cfg.port);
        close_store_and_run(app);
        return 1;
    }
    vb_http_server_set_stream_check(app->http, vb_app_stream_check);
    uv_signal_init(app->loop, &g_sigint);
    uv_signal_init(app->loop, &g_sigterm);
    g_sigint.data = g_sigterm.data = app;
    uv_signal_start(&g_sigint, on_signal, SIGINT);
    uv_signal_start(&g_sigterm, on_signal, SIGTERM);
    int port = vb_http_server_port(app->http);
    char url[128];
    snprintf(url, sizeof url, "http://%s:%d/", app->cfg.host, port);
    vb_log_obj(VB_LOG_INFO, "listening",
               json_pack("{s:s,s:i,s:s,s:s}", "host", app->cfg.host, "port", port, "url", url,
                         "version", VB_VERSION));
    uv_run(app->loop, UV_RUN_DEFAULT);
    vb_web_free();
    vb_presence_shutdown();
    vb_hub_shutdown();
    vb_app_chain_free();
    vb_router_free(app->router);
    app->router = NULL;
    return 0;
}

int vb_app_main(vb_config *cfg)
{
    vb_app *app = &g_app;
    memset(app, 0, sizeof *app);
    app->cfg = *cfg;
    app->started_ns = vb_now_ns();
    int lvl = vb_log_parse_level(cfg->log_level);
    if (lvl < 0) {
        fprintf(stderr, "vibed: --log-level must be debug, info, warn or error\n");
        return 2;
    }
    vb_log_set_level((enum vb_log_level)lvl);
    if (sodium_init() < 0) {
        vb_log(VB_LOG_ERROR, "libsodium failed to initialise");
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    app->loop = uv_default_loop();
    if (load_secret(app)) return 1;
    if (open_store(app)) return 1;

    int code = 0;
    if (strcmp(cfg->command, "migrate") == 0) {
        vb_log(VB_LOG_INFO, "database at schema version %d", vb_store_schema_version(app->store));
        close_store_and_run(app);
    } else if (strcmp(cfg->command, "seed-demo") == 0) {
        code = vb_app_seed_demo(app) < 0 ? 1 : 0;
        close_store_and_run(app);
    } else {
        code = serve(app);
    }
    uv_loop_close(app->loop);
    return code;
}
