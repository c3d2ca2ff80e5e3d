/*
 * Live stream clients (see vb_live.c for the lifecycle): opening a stream
 * (its guard, then the stream start with the first stats or the activity
 * replay), events held during a replay, and the client's close.
 */
#include "app/vb_live.h"

#include "app/vb_app.h"
#include "app/vb_live_internal.h"
#include "app/vb_reply.h"
#include "core/vb_common.h"
#include "net/vb_sse.h"
#include "store/vb_ops_live.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t g_nclients;

/* Holds b (id) for a client waiting for its replay. Returns 0, or -1 when the
 * hold limit is reached (the client is then dropped). */
int vb_live_client_hold(live_client *c, const char *id, vb_buf *b)
{
    if (c->nheld == c->capheld) {
        size_t cap = c->capheld ? c->capheld * 2 : 16;
        if (cap > VB_LIVE_BUFFER_MAX) return -1;
        held_event *h = realloc(c->held, cap * sizeof *h);
        if (!h) return -1;
        c->held = h;
        c->capheld = cap;
    }
    snprintf(c->held[c->nheld].id, sizeof c->held[c->nheld].id, "%s", id);
    c->held[c->nheld++].b = vb_buf_ref(b);
    return 0;
}

/* ---- clients --------------------------------------------------------------- */

static void client_free(live_client *c)
{
    live_group *g = c->g;
    if (c->prev)
        c->prev->next = c->next;
    else
        g->clients = c->next;
    if (c->next) c->next->prev = c->prev;
    for (size_t i = 0; i < c->nheld; i++)
        vb_buf_unref(c->held[i].b);
    free(c->held);
    free(c->replayed);
    free(c);
    g_nclients--;
    vb_live_group_unref(g);
}

static void on_stream_close(vb_stream *s, void *ud)
{
    client_free(ud);
}

static const vb_stream_handlers client_handlers = {NULL, on_stream_close};

/* Nonzero when the replay of c wrote id: an id at most its newest one is
 * taken as replayed unless it is within the kept ids and not among them. */
static int was_replayed(live_client *c, const char *id)
{
    if (!c->replayed) return 0;
    if (vb_now_ms() > c->replayed_until) {
        free(c->replayed);
        c->replayed = NULL;
        c->nreplayed = 0;
        return 0;
    }
    if (strcmp(id, c->replayed[c->nreplayed - 1]) > 0) return 0;
    if (strcmp(id, c->replayed[0]) < 0) return 1;
    for (size_t i = 0; i < c->nreplayed; i++)
        if (strcmp(id, c->replayed[i]) == 0) return 1;
    return 0;
}

void vb_live_client_activity(live_client *c, const char *id, vb_buf *b)
{
    if (c->holding) {
        if (vb_live_client_hold(c, id, b)) c->removed = 1;
    } else if (c->s && !c->closing && !was_replayed(c, id)) {
        (void)vb_stream_send(c->s, b);
    }
}

/* Keeps the newest VB_LIVE_REPLAY_DEDUPE ids of rows (ascending). */
static void keep_replayed(live_client *c, json_t *rows)
{
    size_t n = json_array_size(rows),
           from = n > VB_LIVE_REPLAY_DEDUPE ? n - VB_LIVE_REPLAY_DEDUPE : 0;
    if (n == 0) return;
    c->replayed = calloc(n - from, sizeof *c->replayed);
    if (!c->replayed) return;
    for (size_t i = from; i < n; i++) {
        const char *id = json_string_value(json_object_get(json_array_get(rows, i), "id"));
        if (!id) continue;
        snprintf(c->replayed[c->nreplayed++], sizeof c->replayed[0], "%s", id);
    }
    if (c->nreplayed == 0) {
        free(c->replayed);
        c->replayed = NULL;
        return;
    }
    c->replayed_until = vb_now_ms() + VB_LIVE_REPLAY_DEDUPE_MS;
}

/* Writes the replay rows, then the held live events it did not write. */
static void client_replay(live_client *c, json_t *rows)
{
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row)
    {
        const char *id = json_string_value(json_object_get(row, "id"));
        vb_buf *b = id ? vb_sse_event_json("activity", id, row) : NULL;
        if (!b) continue;
        (void)vb_stream_send(c->s, b);
        vb_buf_unref(b);
    }
    keep_replayed(c, rows);
    c->holding = 0;
    for (i = 0; i < c->nheld; i++) {
        if (!was_replayed(c, c->held[i].id)) (void)vb_stream_send(c->s, c->held[i].b);
        vb_buf_unref(c->held[i].b);
    }
    free(c->held);
    c->held = NULL;
    c->nheld = c->capheld = 0;
}

typedef struct open_call {
    vb_http_req *req;
    live_client *c;
    char last_id[32];
    int want_counts;
} open_call;

/* The guard answered: reply with the error, or start the stream. */
static void on_open_done(const vb_store_res *res, void *ud)
{
    open_call *call = ud;
    live_client *c = call->c;
    live_group *g = c->g;
    vb_http_req *req = call->req;
    json_t *r = res->result;
    if (call->want_counts && res->status != 0) {
        g->loading = 0;
        if (g->refs > 1) vb_live_group_reload(g); /* others wait for these counts */
    }
    if (res->status != 0) {
        vb_reply_store_error(req, res);
        goto drop;
    }
    if (c->removed) {
        vb_reply_error(req, 404,
                       g->kind == VB_LIVE_PROJECT_STATS ? "PROJECT_NOT_FOUND"
                                                        : "WORKSPACE_NOT_FOUND",
                       "Not found", NULL);
        goto drop;
    }
    if (g->kind == VB_LIVE_PROJECT_STATS) {
        vb_live_group_set_workspace(g, json_string_value(json_object_get(r, "workspaceId")));
        if (call->want_counts) {
            g->loading = 0;
            vb_live_group_set_counts(g, r);
            if (g->reload_again) {
                g->reload_again = 0;
                vb_live_group_reload(g);
            }
        }
    }
    c->s = vb_sse_start(req, &client_handlers, c);
    req = NULL;
    if (!c->s) goto drop;
    if (g->kind == VB_LIVE_ACTIVITY) {
        if (c->holding) client_replay(c, json_object_get(r, "replay"));
    } else {
        vb_buf *b = vb_live_group_stats(g);
        if (b) (void)vb_stream_send(c->s, b);
    }
    free(call);
    return;
drop:
    free(call); /* req was answered (or taken over) above */
    client_free(c);
}

void vb_live_open(vb_http_req *req, int kind, const char *id, const char *user_id,
                  const char *last_event_id)
{
    vb_live_load_config();
    live_group *g = vb_live_group_get(kind, id);
    live_client *c = g ? calloc(1, sizeof *c) : NULL;
    open_call *call = c ? calloc(1, sizeof *call) : NULL;
    json_t *args = NULL;
    if (!call) goto oom;
    g->refs++;
    c->g = g;
    snprintf(c->user_id, sizeof c->user_id, "%s", user_id);
    c->next = g->clients;
    if (g->clients) g->clients->prev = c;
    g->clients = c;
    g_nclients++;
    call->req = req;
    call->c = c;
    if (kind == VB_LIVE_ACTIVITY && last_event_id) {
        c->holding = 1;
        snprintf(call->last_id, sizeof call->last_id, "%s", last_event_id);
    }
    call->want_counts = kind == VB_LIVE_PROJECT_STATS && !g->loaded && !g->loading;
    if (call->want_counts) g->loading = 1;
    args = json_pack("{s:{s:s}, s:{s:s}, s:{s:b}}", "actor", "id", user_id, "params",
                     kind == VB_LIVE_PROJECT_STATS ? "pid" : "wid", id, "query", "counts",
                     call->want_counts);
    if (args && c->holding)
        json_object_set_new(json_object_get(args, "query"), "lastEventId",
                            json_string(call->last_id));
    if (!args ||
        vb_store_submit(vb_app_current()->store,
                        kind == VB_LIVE_PROJECT_STATS ? vb_op_live_project : vb_op_live_workspace,
                        VB_STORE_ORDERED, args, on_open_done, call)) {
        if (call->want_counts) g->loading = 0;
        free(call);
        client_free(c);
        vb_reply_busy(req);
        return;
    }
    return;
oom:
    free(c);
    if (g && !g->refs) {
        g->refs = 1;
        vb_live_group_unref(g);
    }
    vb_reply_error(req, 503, "UNAVAILABLE", "Out of memory", NULL);
}
