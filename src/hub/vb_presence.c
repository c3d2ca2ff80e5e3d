/*
 * Presence (see vb_presence.h): per user a connection count and the set of
 * workspaces they are online in; per workspace the set of online users.
 *
 * Both sets are jansson objects used as string sets (key -> true); the two
 * tables of records are small string-keyed hash tables. A workspace record
 * exists while at least one of its members is online, and subscribes to the
 * hub topic "workspace:<wid>" so that a "member_removed" event takes the
 * removed user out of that workspace's online set at once, whoever holds the
 * user's connections (chat or anything else).
 */
#include "hub/vb_presence.h"

#include "core/vb_common.h"
#include "hub/vb_hub.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a small string-keyed hash table of records ---------------------------- */

typedef struct pmap_node {
    struct pmap_node *chain;
    uint64_t hash;
    const char *key; /* points into the record */
    void *val;
} pmap_node;

typedef struct pmap {
    pmap_node **b;
    size_t nb, n;
} pmap;

static uint64_t pmap_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

static void *pmap_get(const pmap *m, const char *key)
{
    if (!m->nb) return NULL;
    uint64_t h = pmap_hash(key);
    for (pmap_node *n = m->b[h & (m->nb - 1)]; n; n = n->chain)
        if (n->hash == h && strcmp(n->key, key) == 0) return n->val;
    return NULL;
}

/* Adds key (borrowed: must live as long as the entry) -> val. The key must not
 * be present. Returns 0 or VB_ENOMEM. */
static int pmap_put(pmap *m, const char *key, void *val)
{
    if (m->n + 1 > m->nb) {
        size_t nb = m->nb ? m->nb * 2 : 64;
        pmap_node **b = calloc(nb, sizeof *b);
        if (!b) return VB_ENOMEM;
        for (size_t i = 0; i < m->nb; i++) {
            for (pmap_node *n = m->b[i], *next; n; n = next) {
                next = n->chain;
                n->chain = b[n->hash & (nb - 1)];
                b[n->hash & (nb - 1)] = n;
            }
        }
        free(m->b);
        m->b = b;
        m->nb = nb;
    }
    pmap_node *n = malloc(sizeof *n);
    if (!n) return VB_ENOMEM;
    n->hash = pmap_hash(key);
    n->key = key;
    n->val = val;
    n->chain = m->b[n->hash & (m->nb - 1)];
    m->b[n->hash & (m->nb - 1)] = n;
    m->n++;
    return 0;
}

static void pmap_del(pmap *m, const char *key)
{
    if (!m->nb) return;
    uint64_t h = pmap_hash(key);
    for (pmap_node **pp = &m->b[h & (m->nb - 1)]; *pp; pp = &(*pp)->chain) {
        pmap_node *n = *pp;
        if (n->hash == h && strcmp(n->key, key) == 0) {
            *pp = n->chain;
            free(n);
            m->n--;
            return;
        }
    }
}

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

static pmap g_users, g_ws;

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
    pres_ws *w = pmap_get(&g_ws, wid);
    if (w) return w;
    char topic[256];
    snprintf(topic, sizeof topic, "workspace:%s", wid);
    w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->id = strdup(wid);
    w->users = json_object();
    if (!w->id || !w->users || pmap_put(&g_ws, w->id, w)) goto fail;
    if (vb_hub_subscribe(&w->sub, topic, on_ws_event, w)) {
        pmap_del(&g_ws, w->id);
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
            pmap_del(&g_ws, w->id);
            ws_free(w);
        }
        return VB_ENOMEM;
    }
    char topic[256];
    snprintf(topic, sizeof topic, "workspace:%s", wid);
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
    char wid[256], topic[300];
    snprintf(wid, sizeof wid, "%s", wid_in); /* wid_in may be a key of u->wids */
    json_object_del(u->wids, wid);
    pres_ws *w = pmap_get(&g_ws, wid);
    if (w) {
        json_object_del(w->users, u->id);
        if (json_object_size(w->users) == 0) {
            pmap_del(&g_ws, w->id);
            ws_free(w);
        }
    }
    snprintf(topic, sizeof topic, "workspace:%s", wid);
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
    pres_user *u = pmap_get(&g_users, user_id);
    if (!u) {
        u = calloc(1, sizeof *u);
        if (!u) return VB_ENOMEM;
        u->id = strdup(user_id);
        u->name = strdup(user_name ? user_name : "");
        u->wids = json_object();
        if (!u->id || !u->name || !u->wids || pmap_put(&g_users, u->id, u)) {
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
    pres_user *u = user_id ? pmap_get(&g_users, user_id) : NULL;
    if (!u || --u->conns > 0) return;
    /* Detached first and walked over a copy of its workspace ids, so that a
     * subscriber reacting to presence:offline cannot reach this record. */
    pmap_del(&g_users, u->id);
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
    pres_user *u = user_id && wid ? pmap_get(&g_users, user_id) : NULL;
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
    pres_user *u = user_id && wid ? pmap_get(&g_users, user_id) : NULL;
    if (u) (void)ws_add(u, wid);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_t *vb_presence_online(const char *wid)
{
    json_t *out = json_array();
    pres_ws *w = wid ? pmap_get(&g_ws, wid) : NULL;
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
    pres_ws *w = wid ? pmap_get(&g_ws, wid) : NULL;
    return w ? json_object_size(w->users) : 0;
}

int vb_presence_online_in(const char *user_id, const char *wid)
{
    pres_ws *w = wid && user_id ? pmap_get(&g_ws, wid) : NULL;
    return w && json_object_get(w->users, user_id) ? 1 : 0;
}

const char *vb_presence_name(const char *user_id)
{
    pres_user *u = user_id ? pmap_get(&g_users, user_id) : NULL;
    return u && u->conns > 0 ? u->name : NULL;
}

int vb_presence_is_online(const char *user_id)
{
    pres_user *u = user_id ? pmap_get(&g_users, user_id) : NULL;
    return u && u->conns > 0;
}

/* Frees every node of m and, through free_val, every record. */
static void pmap_clear(pmap *m, void (*free_val)(void *))
{
    for (size_t i = 0; i < m->nb; i++) {
        for (pmap_node *n = m->b[i], *next; n; n = next) {
            next = n->chain;
            free_val(n->val);
            free(n);
        }
    }
    free(m->b);
    memset(m, 0, sizeof *m);
}

static void free_user_val(void *p)
{
    user_free(p);
}

static void free_ws_val(void *p)
{
    ws_free(p);
}

void vb_presence_shutdown(void)
{
    pmap_clear(&g_users, free_user_val);
    pmap_clear(&g_ws, free_ws_val);
}
