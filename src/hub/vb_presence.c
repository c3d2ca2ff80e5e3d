/*
 * Presence (see vb_presence.h): per user a connection count and the set of
 * workspaces they are online in; per workspace the set of online users.
 *
 * Both sets are jansson objects used as string sets (key -> true); the two
 * tables of records are core/vb_map.h maps. A workspace record
 * exists while at least one of its members is online, and subscribes to the
 * hub topic "workspace:<wid>" so that a "member_removed" event takes the
 * removed user out of that workspace's online set at once, whoever holds the
 * user's connections (chat or anything else).
 */
#include "hub/vb_presence.h"

#include "core/vb_common.h"
#include "core/vb_map.h"
#include "hub/vb_hub.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- records --------------------------------------------------------------- */

typedef struct pres_user {
    char *id;
    char *name;
    unsigned conns;
    json_t *wids; /* set of workspace ids the user is online in */
} pres_user;

typedef struct pres_ws {
    char *id;
    json_t *users; /* set of online user ids */
    vb_hub_sub sub;
} pres_ws;

static vb_map g_users, g_ws; /* id -> pres_user, id -> pres_ws */

static void on_ws_event(vb_hub_sub *sub, const char *topic, const char *type, json_t *data,
                        void *ud);

static void ws_free(pres_ws *w)
{
    vb_hub_unsubscribe(&w->sub);
    json_decref(w->users);
    free(w->id);
    free(w);
}

/* The record of wid, created (and subscribed) if needed. NULL when out of memory. */
static pres_ws *ws_get(const char *wid)
{
    pres_ws *w = vb_map_get(&g_ws, wid);
    if (w) return w;
    char topic[VB_HUB_TOPIC_MAX];
    vb_hub_topic(topic, VB_HUB_WORKSPACE, wid);
    w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->id = strdup(wid);
    w->users = json_object();
    if (!w->id || !w->users || vb_map_put(&g_ws, w->id, w)) goto fail;
    if (vb_hub_subscribe(&w->sub, topic, on_ws_event, w)) {
        vb_map_del(&g_ws, w->id);
        goto fail;
    }
    return w;
fail:
    ws_free(w);
    return NULL;
}

/* Marks user u online in wid and publishes presence:online. Returns 0 or VB_ENOMEM. */
static int ws_add(pres_user *u, const char *wid)
{
    if (json_object_get(u->wids, wid)) return 0;
    pres_ws *w = ws_get(wid);
    if (!w) return VB_ENOMEM;
    if (json_object_set_new(u->wids, wid, json_true()) ||
        json_object_set_new(w->users, u->id, json_true())) {
        json_object_del(u->wids, wid);
        if (json_object_size(w->users) == 0) {
            vb_map_del(&g_ws, w->id);
            ws_free(w);
        }
        return VB_ENOMEM;
    }
    char topic[VB_HUB_TOPIC_MAX];
    vb_hub_topic(topic, VB_HUB_WORKSPACE, wid);
    json_t *ev =
        json_pack("{s:s, s:s, s:s}", "userId", u->id, "userName", u->name, "workspaceId", wid);
    vb_hub_publish(topic, "presence:online", ev);
    json_decref(ev);
    return 0;
}

/* Takes user u out of wid (if there) and publishes presence:offline. */
static void ws_remove(pres_user *u, const char *wid_in)
{
    if (!json_object_get(u->wids, wid_in)) return;
    char wid[256], topic[VB_HUB_TOPIC_MAX];
    snprintf(wid, sizeof wid, "%s", wid_in); /* wid_in may be a key of u->wids */
    json_object_del(u->wids, wid);
    pres_ws *w = vb_map_get(&g_ws, wid);
    if (w) {
        json_object_del(w->users, u->id);
        if (json_object_size(w->users) == 0) {
            vb_map_del(&g_ws, w->id);
            ws_free(w);
        }
    }
    vb_hub_topic(topic, VB_HUB_WORKSPACE, wid);
    json_t *ev = json_pack("{s:s, s:s}", "userId", u->id, "workspaceId", wid);
    vb_hub_publish(topic, "presence:offline", ev);
    json_decref(ev);
}

/* A member removed from the workspace goes offline there. */
static void on_ws_event(vb_hub_sub *sub, const char *topic, const char *type, json_t *data,
                        void *ud)
{
    pres_ws *w = ud;
    if (strcmp(type, "member_removed") != 0) return;
    const char *uid = json_string_value(json_object_get(data, "userId"));
    char wid[256];
    snprintf(wid, sizeof wid, "%s", w->id); /* w may be freed by the call below */
    if (uid) vb_presence_leave_workspace(uid, wid);
}

static void user_free(pres_user *u)
{
    json_decref(u->wids);
    free(u->id);
    free(u->name);
    free(u);
}

static const vb_presence_cluster *g_cluster;

void vb_presence_set_cluster(const vb_presence_cluster *c)
{
    g_cluster = c;
}

int vb_presence_connect(const char *user_id, const char *user_name, const json_t *workspace_ids)
{
    if (!user_id) return VB_EINVAL;
    if (g_cluster) return g_cluster->connect(user_id, user_name, workspace_ids);
    return vb_presence_apply_connect(user_id, user_name, workspace_ids);
}

void vb_presence_disconnect(const char *user_id)
{
    if (g_cluster && user_id)
        g_cluster->disconnect(user_id);
    else
        vb_presence_apply_disconnect(user_id);
}

int vb_presence_apply_connect(const char *user_id, const char *user_name,
                              const json_t *workspace_ids)
{
    if (!user_id) return VB_EINVAL;
    pres_user *u = vb_map_get(&g_users, user_id);
    if (!u) {
        u = calloc(1, sizeof *u);
        if (!u) return VB_ENOMEM;
        u->id = strdup(user_id);
        u->name = strdup(user_name ? user_name : "");
        u->wids = json_object();
        if (!u->id || !u->name || !u->wids || vb_map_put(&g_users, u->id, u)) {
            user_free(u);
            return VB_ENOMEM;
        }
    }
    u->conns++;
    /* A later connection may bring a fresher list: new workspaces are added. */
    size_t i;
    json_t *v;
    int rc = 0;
    json_array_foreach(workspace_ids, i, v)
    {
        if (json_is_string(v) && ws_add(u, json_string_value(v))) rc = VB_ENOMEM;
    }
    return rc;
}

void vb_presence_apply_disconnect(const char *user_id)
{
    pres_user *u = user_id ? vb_map_get(&g_users, user_id) : NULL;
    if (!u || --u->conns > 0) return;
    /* Detached first and walked over a copy of its workspace ids, so that a
     * subscriber reacting to presence:offline cannot reach this record. */
    vb_map_del(&g_users, u->id);
    json_t *wids = json_copy(u->wids);
    const char *wid;
    json_t *v;
    json_object_foreach(wids, wid, v) ws_remove(u, wid);
    json_decref(wids);
    user_free(u);
}

void vb_presence_leave_workspace(const char *user_id, const char *wid)
{
    if (g_cluster && user_id && wid) g_cluster->left(user_id, wid);
    pres_user *u = user_id && wid ? vb_map_get(&g_users, user_id) : NULL;
    if (u) ws_remove(u, wid);
}

void vb_presence_join_workspace(const char *user_id, const char *wid)
{
    if (g_cluster && user_id && wid)
        g_cluster->joined(user_id, wid);
    else
        vb_presence_apply_join(user_id, wid);
}

void vb_presence_apply_join(const char *user_id, const char *wid)
{
    pres_user *u = user_id && wid ? vb_map_get(&g_users, user_id) : NULL;
    if (u) (void)ws_add(u, wid);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_t *vb_presence_online(const char *wid)
{
    json_t *out = json_array();
    pres_ws *w = wid ? vb_map_get(&g_ws, wid) : NULL;
    if (!out || !w) return out;
    size_t n = json_object_size(w->users), k = 0;
    const char **ids = malloc((n ? n : 1) * sizeof *ids);
    if (!ids) return out;
    const char *key;
    json_t *v;
    json_object_foreach(w->users, key, v) ids[k++] = key;
    qsort(ids, k, sizeof *ids, cmp_str);
    for (size_t i = 0; i < k; i++)
        json_array_append_new(out, json_string(ids[i]));
    free(ids);
    return out;
}

size_t vb_presence_count(const char *wid)
{
    pres_ws *w = wid ? vb_map_get(&g_ws, wid) : NULL;
    return w ? json_object_size(w->users) : 0;
}

int vb_presence_online_in(const char *user_id, const char *wid)
{
    pres_ws *w = wid && user_id ? vb_map_get(&g_ws, wid) : NULL;
    return w && json_object_get(w->users, user_id) ? 1 : 0;
}

const char *vb_presence_name(const char *user_id)
{
    pres_user *u = user_id ? vb_map_get(&g_users, user_id) : NULL;
    return u && u->conns > 0 ? u->name : NULL;
}

int vb_presence_is_online(const char *user_id)
{
    pres_user *u = user_id ? vb_map_get(&g_users, user_id) : NULL;
    return u && u->conns > 0;
}

static int free_user_val(const char *id, void *p, void *ud)
{
    user_free(p);
    return 0;
}

static int free_ws_val(const char *id, void *p, void *ud)
{
    ws_free(p);
    return 0;
}

void vb_presence_shutdown(void)
{
    (void)vb_map_each(&g_users, free_user_val, NULL);
    vb_map_clear(&g_users);
    (void)vb_map_each(&g_ws, free_ws_val, NULL);
    vb_map_clear(&g_ws);
}
