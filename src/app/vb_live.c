/*
 * Live streams (see vb_live.h): groups of SSE streams sharing one hub
 * subscription, one encoded event per change and one set of timers.
 *
 * Lifecycle. A group is made by the first vb_live_open of its (kind, id) and
 * holds a reference per client (started or still waiting for its guard) and
 * per store operation in flight; at zero it unsubscribes, closes its timers
 * and is freed in the last close callback. A client is freed in its stream's
 * on_close (or at once if its stream never started).
 *
 * Project counts are loaded once per group and then kept from the hub
 * events: task_changed with previousStatus moves one task; without it, the
 * activity event that the same operation published just before (same task)
 * tells a creation (+1) from an edit (no change) from a deletion (subtasks
 * may go too: the counts are reloaded). Anything else reloads as well.
 *
 * Ordering. The store publishes an operation's events before its callback
 * runs, in commit order, so a snapshot taken by an operation already includes
 * the events published before its callback: events seen while a load is in
 * flight are ignored, and for an activity replay, live events that arrive
 * before the replay is written are held and those already replayed dropped.
 */
#include "app/vb_live.h"

#include "app/vb_app.h"
#include "app/vb_live_internal.h"
#include "core/vb_common.h"
#include "core/vb_log.h"
#include "core/vb_map.h"
#include "hub/vb_hub.h"
#include "hub/vb_hub_bridge.h"
#include "hub/vb_presence.h"
#include "net/vb_sse.h"
#include "store/vb_ops_live.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static vb_map g_groups; /* group_key -> live_group */
static unsigned g_coalesce_ms = VB_LIVE_COALESCE_MS, g_refresh_ms = VB_LIVE_REFRESH_MS,
                g_keepalive_ms = VB_LIVE_KEEPALIVE_MS;

static void on_resync(void);

/* Reads the interval overrides from the environment once (and asks the
 * cluster bridge for its resyncs). */
void vb_live_load_config(void)
{
    static int done;
    if (done) return;
    vb_hub_bridge_on_resync(on_resync);
    done = 1;
    const struct {
        const char *name;
        unsigned *dst;
    } vars[] = {{"VIBED_LIVE_COALESCE_MS", &g_coalesce_ms},
                {"VIBED_LIVE_REFRESH_MS", &g_refresh_ms},
                {"VIBED_LIVE_KEEPALIVE_MS", &g_keepalive_ms}};
    for (size_t i = 0; i < VB_ARRAY_LEN(vars); i++) {
        const char *v = getenv(vars[i].name);
        char *end;
        unsigned long n = v ? strtoul(v, &end, 10) : 0;
        if (v && *v && !*end && n > 0 && n < 86400000ul) *vars[i].dst = (unsigned)n;
    }
}

static uint64_t now_ms(void)
{
    return uv_now(vb_app_current()->loop);
}

/* ---- stats ----------------------------------------------------------------- */

json_t *vb_live_project_stats(const json_t *columns, const json_t *counts, const char *timestamp)
{
    json_t *by = json_object(), *v;
    const char *key;
    size_t i;
    json_int_t total = 0, done = 0;
    if (!by) return NULL;
    json_array_foreach(columns, i, v)
    {
        const char *name = json_string_value(v);
        json_t *n = json_object_get(counts, name ? name : "");
        if (name) json_object_set_new(by, name, json_integer(json_integer_value(n)));
    }
    json_object_foreach((json_t *)counts, key, v)
    {
        if (!json_object_get(by, key))
            json_object_set_new(by, key, json_integer(json_integer_value(v)));
    }
    json_object_foreach(by, key, v)
    {
        total += json_integer_value(v);
        if (strcmp(key, "done") == 0) done = json_integer_value(v);
    }
    /* The original's integer percentage, Math.round(done / total * 100). */
    json_int_t rate = total > 0 ? (json_int_t)round((double)done / (double)total * 100.0) : 0;
    return json_pack("{s:o, s:I, s:I, s:s}", "tasksByStatus", by, "totalTasks", total,
                     "completionRate", rate, "timestamp", timestamp);
}

/* The group's current stats event (encoded once; NULL when not available). */
vb_buf *vb_live_group_stats(live_group *g)
{
    if (g->stats) return g->stats;
    char ts[32];
    json_t *data = NULL;
    vb_iso8601(vb_wall_ms(), ts);
    if (g->kind == VB_LIVE_WS_STATS) {
        json_t *ids = vb_presence_online(g->id);
        data = json_pack("{s:I, s:o, s:s}", "onlineUsersCount", (json_int_t)json_array_size(ids),
                         "onlineUserIds", ids, "timestamp", ts);
    } else if (g->kind == VB_LIVE_PROJECT_STATS && g->loaded) {
        data = vb_live_project_stats(g->columns, g->counts, ts);
    }
    if (!data) return NULL;
    g->stats = vb_sse_event_json("stats:update", NULL, data);
    json_decref(data);
    return g->stats;
}

/* Queues b on every started client of g. */
static void group_send(live_group *g, vb_buf *b)
{
    for (live_client *c = g->clients; c; c = c->next)
        if (c->s && !c->closing) (void)vb_stream_send(c->s, b);
}

/* Pushes the current stats to every started client now. */
static void group_push(live_group *g)
{
    vb_buf *b = vb_live_group_stats(g);
    if (!b) return;
    group_send(g, b);
    vb_sse_pace_sent(&g->pace, now_ms());
}

static void on_pace_timer(uv_timer_t *t)
{
    live_group *g = VB_CONTAINER_OF(t, live_group, pace_timer);
    vb_sse_pace_fired(&g->pace);
    group_push(g);
}

/* The stats of g changed: drop the encoded event and push within the pace. */
static void group_changed(live_group *g)
{
    vb_buf_unref(g->stats);
    g->stats = NULL;
    int64_t d = vb_sse_pace_change(&g->pace, now_ms());
    if (d == 0)
        group_push(g);
    else if (d > 0)
        uv_timer_start(&g->pace_timer, on_pace_timer, (uint64_t)d, 0);
}

/* Stats refresh (re-encoded with a new timestamp), or activity keep-alive. */
static void on_tick_timer(uv_timer_t *t)
{
    live_group *g = VB_CONTAINER_OF(t, live_group, tick_timer);
    if (g->kind == VB_LIVE_ACTIVITY) {
        vb_buf *b = vb_sse_comment("keep-alive");
        if (b) group_send(g, b);
        vb_buf_unref(b);
        return;
    }
    vb_buf_unref(g->stats);
    g->stats = NULL;
    group_push(g);
}

/* ---- project counts -------------------------------------------------------- */

static void on_counts_loaded(const vb_store_res *res, void *ud);

/* Asks the store for the counts of g (once at a time; again after if asked
 * meanwhile). */
void vb_live_group_reload(live_group *g)
{
    if (g->loading) {
        g->reload_again = 1;
        return;
    }
    json_t *args = json_pack("{s:{s:s}}", "params", "pid", g->id);
    if (!args) return;
    g->loading = 1;
    g->refs++;
    if (vb_store_submit(vb_app_current()->store, vb_op_live_counts, 0, args, on_counts_loaded, g)) {
        g->loading = 0;
        vb_live_group_unref(g);
    }
}

/* Installs counts {columns, counts, workspaceId} from a store result. */
void vb_live_group_set_counts(live_group *g, json_t *r)
{
    json_t *cols = json_object_get(r, "columns"), *counts = json_object_get(r, "counts");
    if (!json_is_array(cols) || !json_is_object(counts)) return;
    json_decref(g->columns);
    json_decref(g->counts);
    g->columns = json_incref(cols);
    g->counts = json_deep_copy(counts);
    g->loaded = g->counts != NULL;
    group_changed(g);
}

static void on_counts_loaded(const vb_store_res *res, void *ud)
{
    live_group *g = ud;
    g->loading = 0;
    if (res->status == 0) vb_live_group_set_counts(g, res->result);
    if (g->reload_again && g->clients) {
        g->reload_again = 0;
        vb_live_group_reload(g);
    }
    vb_live_group_unref(g);
}

/* Adds delta to the count of status (never below 0). */
static void count_add(live_group *g, const char *status, int delta)
{
    if (!status) return;
    json_int_t n = json_integer_value(json_object_get(g->counts, status)) + delta;
    json_object_set_new(g->counts, status, json_integer(n < 0 ? 0 : n));
}

/* Applies a project-topic event to the counts. */
static void project_event(live_group *g, const char *type, json_t *data)
{
    const char *tid = json_string_value(json_object_get(data, "taskId"));
    if (strcmp(type, "activity") == 0) {
        const char *action = json_string_value(json_object_get(data, "action"));
        snprintf(g->act_task, sizeof g->act_task, "%s", tid ? tid : "");
        snprintf(g->act_action, sizeof g->act_action, "%s", action ? action : "");
        return;
    }
    if (strcmp(type, "task_changed") != 0 || !g->loaded || g->loading) return;
    const char *status = json_string_value(json_object_get(data, "status"));
    const char *prev = json_string_value(json_object_get(data, "previousStatus"));
    int same_task = tid && strcmp(g->act_task, tid) == 0;
    char action[sizeof g->act_action];
    snprintf(action, sizeof action, "%s", same_task ? g->act_action : "");
    g->act_task[0] = g->act_action[0] = '\0';
    if (prev) {
        if (status && strcmp(prev, status) == 0) return;
        count_add(g, prev, -1);
        count_add(g, status, +1);
    } else if (strcmp(action, "task_created") == 0) {
        count_add(g, status, +1);
    } else if (!same_task || strcmp(action, "task_deleted") == 0) {
        vb_live_group_reload(g); /* a deletion (subtasks too) or an unknown change */
        return;
    } else {
        return; /* an edit that keeps the status */
    }
    group_changed(g);
}

/* ---- hub events ------------------------------------------------------------ */

/* Closes the clients of user uid (all when uid is NULL). */
static void group_drop_user(live_group *g, const char *uid)
{
    for (live_client *c = g->clients; c; c = c->next) {
        if (uid && strcmp(c->user_id, uid) != 0) continue;
        if (!c->s) {
            c->removed = 1;
        } else if (!c->closing) {
            c->closing = 1;
            vb_stream_close(c->s);
        }
    }
}

/* Membership events of the group's workspace. Returns 1 if handled. */
static int membership_event(live_group *g, const char *type, json_t *data)
{
    if (strcmp(type, "member_removed") == 0) {
        group_drop_user(g, json_string_value(json_object_get(data, "userId")));
        return 1;
    }
    if (strcmp(type, "workspace_deleted") == 0) {
        group_drop_user(g, NULL);
        return 1;
    }
    return 0;
}

static void activity_event(live_group *g, json_t *data)
{
    const char *id = json_string_value(json_object_get(data, "id"));
    if (!id) return;
    vb_buf *b = vb_sse_event_json("activity", id, data);
    if (!b) return;
    for (live_client *c = g->clients; c; c = c->next)
        vb_live_client_activity(c, id, b);
    vb_buf_unref(b);
}

static void on_group_event(vb_hub_sub *sub, const char *topic, const char *type, json_t *data,
                           void *ud)
{
    live_group *g = ud;
    if (g->kind != VB_LIVE_PROJECT_STATS && membership_event(g, type, data)) return;
    switch (g->kind) {
    case VB_LIVE_WS_STATS:
        if (strncmp(type, "presence:", 9) == 0) group_changed(g);
        break;
    case VB_LIVE_ACTIVITY:
        if (strcmp(type, "activity") == 0) activity_event(g, data);
        break;
    case VB_LIVE_PROJECT_STATS:
        project_event(g, type, data);
        break;
    default:
        break;
    }
}

static void on_group_ws_event(vb_hub_sub *sub, const char *topic, const char *type, json_t *data,
                              void *ud)
{
    (void)membership_event(ud, type, data);
}

/* ---- after a Redis outage ---------------------------------------------------- */

static int resync_each(const char *key, void *val, void *ud)
{
    (void)key;
    (void)ud;
    live_group *g = val;
    if (g->kind == VB_LIVE_PROJECT_STATS)
        vb_live_group_reload(g); /* task changes of other instances may be lost */
    else if (g->kind == VB_LIVE_WS_STATS)
        group_changed(g); /* the online count as the cluster presence has it now */
    return 0;
}

/* The cluster bridge is up again (here or on another instance): counts kept
 * from events are recomputed from the database, online counts pushed again. */
static void on_resync(void)
{
    (void)vb_map_each(&g_groups, resync_each, NULL);
}

/* ---- groups ---------------------------------------------------------------- */

static void on_timer_closed(uv_handle_t *h)
{
    live_group *g = h->data;
    if (--g->handles_open == 0) free(g);
}

/* The key of the group of (kind, id) in g_groups. */
static void group_key(int kind, const char *id, char out[96])
{
    snprintf(out, 96, "%d:%.63s", kind, id); /* as cut into live_group.id */
}

/* Finds the group of (kind, id), or makes it (subscribed, timers ready) with
 * no reference. NULL when out of memory. */
live_group *vb_live_group_get(int kind, const char *id)
{
    char key[96];
    group_key(kind, id, key);
    live_group *g = vb_map_get(&g_groups, key);
    if (g) return g;
    g = calloc(1, sizeof *g);
    if (!g) return NULL;
    char topic[VB_HUB_TOPIC_MAX];
    g->kind = kind;
    snprintf(g->id, sizeof g->id, "%s", id);
    if (kind != VB_LIVE_PROJECT_STATS) snprintf(g->wid, sizeof g->wid, "%s", id);
    vb_hub_topic(topic, kind == VB_LIVE_PROJECT_STATS ? VB_HUB_PROJECT : VB_HUB_WORKSPACE, id);
    if (vb_map_put(&g_groups, key, g) != 0) {
        free(g);
        return NULL;
    }
    if (vb_hub_subscribe(&g->sub, topic, on_group_event, g)) {
        vb_map_del(&g_groups, key);
        free(g);
        return NULL;
    }
    uv_loop_t *loop = vb_app_current()->loop;
    uv_timer_init(loop, &g->pace_timer);
    uv_timer_init(loop, &g->tick_timer);
    g->pace_timer.data = g->tick_timer.data = g;
    g->handles_open = 2;
    vb_sse_pace_init(&g->pace, g_coalesce_ms);
    unsigned tick = kind == VB_LIVE_ACTIVITY ? g_keepalive_ms : g_refresh_ms;
    uv_timer_start(&g->tick_timer, on_tick_timer, tick, tick);
    return g;
}

/* Drops one reference; the last one unsubscribes and closes the timers. */
void vb_live_group_unref(live_group *g)
{
    if (--g->refs > 0) return;
    vb_hub_unsubscribe(&g->sub);
    vb_hub_unsubscribe(&g->wsub);
    char key[96];
    group_key(g->kind, g->id, key);
    vb_map_del(&g_groups, key);
    vb_buf_unref(g->stats);
    g->stats = NULL;
    json_decref(g->columns);
    json_decref(g->counts);
    g->columns = g->counts = NULL;
    uv_close((uv_handle_t *)&g->pace_timer, on_timer_closed);
    uv_close((uv_handle_t *)&g->tick_timer, on_timer_closed);
}

/* Project groups learn their workspace from the guard, then watch it too. */
void vb_live_group_set_workspace(live_group *g, const char *wid)
{
    if (g->wid[0] || !wid) return;
    char topic[VB_HUB_TOPIC_MAX];
    snprintf(g->wid, sizeof g->wid, "%s", wid);
    vb_hub_topic(topic, VB_HUB_WORKSPACE, wid);
    (void)vb_hub_subscribe(&g->wsub, topic, on_group_ws_event, g);
}
