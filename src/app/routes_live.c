/*
 * Live stream routes (Server-Sent Events, app/vb_live.c).
 *
 * A browser's EventSource cannot send headers, so these routes are declared
 * public and verify the access token themselves: from "Authorization: Bearer"
 * or, failing that, from the access_token query parameter (the access log
 * never contains the query string). Errors are answered as JSON before the
 * stream starts.
 */
#include "app/vb_app.h"
#include "app/vb_auth.h"
#include "app/vb_live.h"
#include "app/vb_reply.h"
#include "app/vb_routes.h"
#include "core/vb_common.h"
#include "core/vb_id.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define LIVE_TOKEN_MAX 4096

/* Verifies the caller's access token; uid receives its subject. Returns 0 or
 * VB_EUNAUTH. */
static int live_auth(vb_http_req *req, char uid[64])
{
    vb_app *app = vb_app_current();
    char qtok[LIVE_TOKEN_MAX];
    const char *token = NULL;
    const char *h = vb_http_header_get(req, "authorization");
    if (h && strncasecmp(h, "Bearer ", 7) == 0) {
        token = h + 7;
        while (*token == ' ')
            token++;
    } else if (!h && vb_http_query_get(req, "access_token", qtok, sizeof qtok) == 1) {
        token = qtok;
    }
    json_t *claims = NULL;
    if (!token || !*token ||
        vb_auth_jwt_verify(app->jwt_key, app->jwt_key_len, token, &claims) != 0)
        return VB_EUNAUTH;
    const char *sub = json_string_value(json_object_get(claims, "sub"));
    int rc = sub && strlen(sub) < 64 ? 0 : VB_EUNAUTH;
    if (!rc) snprintf(uid, 64, "%s", sub);
    json_decref(claims);
    return rc;
}

/* The Last-Event-ID header, else the lastEventId query parameter, when it is
 * an id (anything else means "no replay"). */
static int last_event_id(vb_http_req *req, char out[VB_ID_LEN + 1])
{
    char q[64];
    const char *h = vb_http_header_get(req, "last-event-id");
    if (h && vb_id_valid(h)) {
        memcpy(out, h, VB_ID_LEN + 1);
        return 1;
    }
    if (vb_http_query_get(req, "lastEventId", q, sizeof q) == 1 && vb_id_valid(q)) {
        memcpy(out, q, VB_ID_LEN + 1);
        return 1;
    }
    return 0;
}

/* Common path of the three streams: auth, then vb_live_open. */
static void live_route(vb_http_req *req, json_t *args, int kind, const char *param)
{
    char uid[64], last[VB_ID_LEN + 1];
    const char *id = json_string_value(json_object_get(json_object_get(args, "params"), param));
    if (live_auth(req, uid) != 0) {
        vb_http_add_header(req, "WWW-Authenticate", "Bearer");
        vb_reply_error(req, 401, "UNAUTHORIZED", "A valid access token is required", NULL);
        return;
    }
    if (!id) {
        vb_reply_error(req, 404, "ROUTE_NOT_FOUND", "No such route", NULL);
        return;
    }
    int replay = kind == VB_LIVE_ACTIVITY && last_event_id(req, last);
    vb_live_open(req, kind, id, uid, replay ? last : NULL);
}

static void h_ws_stats(vb_http_req *req, const vb_route *route, json_t *args)
{
    live_route(req, args, VB_LIVE_WS_STATS, "wid");
}

static void h_project_stats(vb_http_req *req, const vb_route *route, json_t *args)
{
    live_route(req, args, VB_LIVE_PROJECT_STATS, "pid");
}

static void h_activity(vb_http_req *req, const vb_route *route, json_t *args)
{
    live_route(req, args, VB_LIVE_ACTIVITY, "wid");
}

#define P VB_AUTH_PUBLIC
static const vb_route routes[] = {
    {.method = "GET",
     .pattern = "/api/v1/workspaces/:wid/stats/live",
     .op_id = "streamWorkspaceStats",
     .tag = "live",
     .summary =
         "Server-Sent Events: stats:update {onlineUsersCount, onlineUserIds, timestamp} (members; "
         "Bearer token or access_token query parameter)",
     .auth = P,
     .handler = h_ws_stats,
     .status = 200,
     .result = VB_RESULT_OBJECT},
    {.method = "GET",
     .pattern = "/api/v1/projects/:pid/stats/live",
     .op_id = "streamProjectStats",
     .tag = "live",
     .summary =
         "Server-Sent Events: stats:update {tasksByStatus, totalTasks, completionRate, timestamp} "
         "(members; Bearer token or access_token query parameter)",
     .auth = P,
     .handler = h_project_stats,
     .status = 200,
     .result = VB_RESULT_OBJECT},
    {.method = "GET",
     .pattern = "/api/v1/workspaces/:wid/activity/live",
     .op_id = "streamWorkspaceActivity",
     .tag = "live",
     .summary = "Server-Sent Events: activity rows with id; Last-Event-ID (or lastEventId) replays "
                "what was "
                "missed; ': keep-alive' every 30 s (members)",
     .auth = P,
     .handler = h_activity,
     .status = 200,
     .result = VB_RESULT_OBJECT},
};
#undef P

const vb_route_group vb_routes_live = {routes, sizeof routes / sizeof routes[0]};
