/*
 * Presence across instances (see vb_presence_bridge.h).
 *
 * g_local: user id -> {"c":connections here,"n":name,"w":[workspace ids]}.
 * g_view: instance -> {user id -> true}, the cluster's pairs.
 * g_recent: "instance/user" -> time of the last message that changed the
 * pair; the refresh's check against the hashes leaves such pairs alone for
 * one period, since its reply may be older than the message.
 */
#include "hub/vb_presence_bridge.h"

#include "core/vb_common.h"
#include "core/vb_log.h"
#include "hub/vb_hub_bridge.h"
#include "hub/vb_presence.h"

#include <hiredis/hiredis.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct {
    int on;
    long ttl_ms, tick_ms;
    uv_timer_t tick;
    uint64_t up_at; /* when Redis last came (back) */
    json_t *local, *view, *recent;
    char key[64];
} p;

static void touch(const char *inst, const char *uid)
{
    char k[200];
    snprintf(k, sizeof k, "%s/%s", inst, uid);
    json_object_set_new(p.recent, k, json_integer((json_int_t)vb_now_ms()));
}

static int recent(const char *inst, const char *uid)
{
    char k[200];
    snprintf(k, sizeof k, "%s/%s", inst, uid);
    json_t *v = json_object_get(p.recent, k);
    return v && vb_now_ms() - (uint64_t)json_integer_value(v) < (uint64_t)p.tick_ms * 2;
}

/* ---- the view ------------------------------------------------------------- */

static void view_add(const char *inst, const char *uid, const char *name, const json_t *wids)
{
    json_t *vi = json_object_get(p.view, inst);
    if (!vi) {
        vi = json_object();
        if (!vi || json_object_set_new(p.view, inst, vi)) return;
    }
    if (json_object_get(vi, uid)) {
        size_t i;
        json_t *w;
        json_array_foreach(wids, i, w) vb_presence_apply_join(uid, json_string_value(w));
        return;
    }
    if (json_object_set_new(vi, uid, json_true())) return;
    vb_presence_apply_connect(uid, name, wids);
}

static void view_del(const char *inst, const char *uid_in)
{
    json_t *vi = json_object_get(p.view, inst);
    if (!vi || !json_object_get(vi, uid_in)) return;
    char uid[128];
    snprintf(uid, sizeof uid, "%s", uid_in); /* uid_in may be a key of vi */
    json_object_del(vi, uid);
    vb_presence_apply_disconnect(uid);
}

/* Drops every pair of inst (an instance gone). */
static void view_drop(const char *inst_in)
{
    char inst[64];
    snprintf(inst, sizeof inst, "%s", inst_in);
    json_t *vi = json_incref(json_object_get(p.view, inst));
    if (!vi) return;
    json_object_del(p.view, inst);
    const char *uid;
    json_t *v;
    json_object_foreach(vi, uid, v) vb_presence_apply_disconnect(uid);
    json_decref(vi);
    vb_log(VB_LOG_INFO, "presence: instance %s is gone", inst);
}

/* Makes this instance's pairs those of g_local (while Redis is away). */
static void view_self_sync(void)
{
    const char *self = vb_hub_bridge_instance();
    json_t *vi = json_object_get(p.view, self);
    const char *uid;
    json_t *v, *tmp;
    if (vi) {
        json_object_foreach_safe(vi, tmp, uid, v)
        {
            if (!json_object_get(p.local, uid)) view_del(self, uid);
        }
    }
    json_object_foreach(p.local, uid, v)
    {
        view_add(self, uid, json_string_value(json_object_get(v, "n")), json_object_get(v, "w"));
    }
}

void vb_presence_bridge_message(const char *payload, size_t len)
{
    if (!p.on) return;
    json_t *m = json_loadb(payload, len, 0, NULL);
    const char *inst = json_string_value(json_object_get(m, "i"));
    const char *kind = json_string_value(json_object_get(m, "k"));
    const char *uid = json_string_value(json_object_get(m, "u"));
    if (inst && kind && uid && strlen(inst) < 64 && strlen(uid) < 64) {
        touch(inst, uid);
        if (strcmp(kind, "c") == 0)
            view_add(inst, uid, json_string_value(json_object_get(m, "n")),
                     json_object_get(m, "w"));
        else if (strcmp(kind, "d") == 0)
            view_del(inst, uid);
    }
    json_decref(m);
}

/* ---- this instance's share -------------------------------------------------- */

static void announce(const char *uid, json_t *u)
{
    json_t *share =
        json_pack("{s:O,s:O}", "n", json_object_get(u, "n"), "w", json_object_get(u, "w"));
    json_t *msg = json_pack("{s:s,s:s,s:s,s:O,s:O}", "i", vb_hub_bridge_instance(), "k", "c", "u",
                            uid, "n", json_object_get(u, "n"), "w", json_object_get(u, "w"));
    char *st = share ? json_dumps(share, JSON_COMPACT) : NULL;
    char *mt = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
    if (st && mt) {
        vb_hub_bridge_command(NULL, NULL, "HSET %s %s %s", p.key, uid, st);
        vb_hub_bridge_command(NULL, NULL, "PUBLISH %s %s", VB_PRESENCE_CHANNEL, mt);
    }
    free(st);
    free(mt);
    json_decref(share);
    json_decref(msg);
}

static void announce_all(void)
{
    const char *uid;
    json_t *u;
    json_object_foreach(p.local, uid, u) announce(uid, u);
}

static int c_connect(const char *uid, const char *name, const json_t *wids)
{
    json_t *u = json_object_get(p.local, uid);
    if (!u) {
        u = json_pack("{s:i,s:s,s:[]}", "c", 0, "n", name ? name : "", "w");
        if (!u || json_object_set_new(p.local, uid, u)) return VB_ENOMEM;
    }
    json_t *have = json_object_get(u, "w");
    size_t i, k;
    json_t *w, *h;
    json_array_foreach(wids, i, w)
    {
        int found = 0;
        json_array_foreach(have, k, h) found |= json_equal(h, w);
        if (!found && json_is_string(w)) json_array_append(have, w);
    }
    json_object_set_new(u, "c", json_integer(json_integer_value(json_object_get(u, "c")) + 1));
    if (vb_hub_bridge_ready())
        announce(uid, u);
    else
        view_add(vb_hub_bridge_instance(), uid, name, have);
    return 0;
}

static void c_disconnect(const char *uid)
{
    json_t *u = json_object_get(p.local, uid);
    if (!u) return;
    json_int_t c = json_integer_value(json_object_get(u, "c")) - 1;
    if (c > 0) {
        json_object_set_new(u, "c", json_integer(c));
        return;
    }
    json_object_del(p.local, uid);
    if (!vb_hub_bridge_ready()) {
        view_del(vb_hub_bridge_instance(), uid);
        return;
    }
    json_t *msg = json_pack("{s:s,s:s,s:s}", "i", vb_hub_bridge_instance(), "k", "d", "u", uid);
    char *mt = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
    if (mt) {
        vb_hub_bridge_command(NULL, NULL, "HDEL %s %s", p.key, uid);
        vb_hub_bridge_command(NULL, NULL, "PUBLISH %s %s", VB_PRESENCE_CHANNEL, mt);
    }
    free(mt);
    json_decref(msg);
}

/* The share lists wid from now on; the others hear it as a new "c". */
static void c_joined(const char *uid, const char *wid)
{
    json_t *u = json_object_get(p.local, uid);
    if (!u) {
        vb_presence_apply_join(uid, wid); /* online through another instance */
        return;
    }
    json_t *have = json_object_get(u, "w");
    size_t i;
    json_t *h;
    json_array_foreach(have, i, h)
    {
        if (strcmp(json_string_value(h), wid) == 0) return;
    }
    json_array_append_new(have, json_string(wid));
    if (vb_hub_bridge_ready())
        announce(uid, u);
    else
        vb_presence_apply_join(uid, wid);
}

/* Every instance takes the user out of wid itself; the share forgets it. */
static void c_left(const char *uid, const char *wid)
{
    json_t *u = json_object_get(p.local, uid);
    json_t *have = json_object_get(u, "w");
    size_t i;
    json_t *h;
    json_array_foreach(have, i, h)
    {
        if (strcmp(json_string_value(h), wid) != 0) continue;
        json_array_remove(have, i);
        json_t *share = json_pack("{s:O,s:O}", "n", json_object_get(u, "n"), "w", have);
        char *st = share ? json_dumps(share, JSON_COMPACT) : NULL;
        if (st) vb_hub_bridge_command(NULL, NULL, "HSET %s %s %s", p.key, uid, st);
        free(st);
        json_decref(share);
        return;
    }
}

static const vb_presence_cluster g_hooks = {c_connect, c_disconnect, c_joined, c_left};

/* ---- refresh and the check against the other instances' shares ------------- */

/* 1 within PRESENCE_TTL_MS / 2 of Redis coming (back): no instance is
 * declared gone then. */
static int grace(void)
{
    return vb_now_ms() - p.up_at < (uint64_t)p.ttl_ms / 2;
}

typedef struct share_call {
    char inst[64];
} share_call;

static void on_share(redisAsyncContext *ac, void *r, void *ud)
{
    (void)ac;
    share_call *sc = ud;
    redisReply *rep = r;
    if (!p.on || !rep || rep->type != REDIS_REPLY_ARRAY) {
        free(sc);
        return;
    }
    if (rep->elements == 0) {
        /* Its hash expired: the instance is gone. Not just after Redis came
         * back (a restarted Redis has no hashes until each instance, back
         * within its own backoff, writes its share again). */
        if (grace()) {
            free(sc);
            return;
        }
        vb_hub_bridge_command(NULL, NULL, "SREM vibed:insts %s", sc->inst);
        view_drop(sc->inst);
        free(sc);
        return;
    }
    json_t *have = json_object();
    for (size_t i = 0; i + 1 < rep->elements; i += 2) {
        const char *uid = rep->element[i]->str;
        if (!uid || strcmp(uid, "_") == 0 || strlen(uid) >= 64) continue;
        json_object_set_new(have, uid, json_true());
        if (recent(sc->inst, uid)) continue;
        json_t *vi = json_object_get(p.view, sc->inst);
        if (vi && json_object_get(vi, uid)) continue;
        json_t *s = json_loadb(rep->element[i + 1]->str, rep->element[i + 1]->len, 0, NULL);
        view_add(sc->inst, uid, json_string_value(json_object_get(s, "n")),
                 json_object_get(s, "w"));
        json_decref(s);
    }
    json_t *vi = json_object_get(p.view, sc->inst);
    const char *uid;
    json_t *v, *tmp;
    if (vi) {
        json_object_foreach_safe(vi, tmp, uid, v)
        {
            if (!json_object_get(have, uid) && !recent(sc->inst, uid) && !grace())
                view_del(sc->inst, uid);
        }
    }
    json_decref(have);
    free(sc);
}

static void on_members(redisAsyncContext *ac, void *r, void *ud)
{
    (void)ac;
    (void)ud;
    redisReply *rep = r;
    if (!p.on || !rep || rep->type != REDIS_REPLY_ARRAY) return;
    const char *self = vb_hub_bridge_instance();
    json_t *members = json_object();
    for (size_t i = 0; i < rep->elements; i++) {
        const char *inst = rep->element[i]->str;
        if (!inst || strlen(inst) >= 64 || strcmp(inst, self) == 0) continue;
        json_object_set_new(members, inst, json_true());
        share_call *sc = calloc(1, sizeof *sc);
        if (!sc) continue;
        snprintf(sc->inst, sizeof sc->inst, "%s", inst);
        if (vb_hub_bridge_command(on_share, sc, "HGETALL vibed:p:%s", inst)) free(sc);
    }
    /* Instances another one already found gone. */
    const char *inst;
    json_t *v, *tmp;
    json_object_foreach_safe(p.view, tmp, inst, v)
    {
        if (strcmp(inst, self) != 0 && !json_object_get(members, inst) && !grace()) view_drop(inst);
    }
    json_decref(members);
}

static void on_mark(redisAsyncContext *ac, void *r, void *ud)
{
    (void)ac;
    (void)ud;
    redisReply *rep = r;
    /* The field was new: the hash had expired (a long pause); tell again. */
    if (p.on && rep && rep->type == REDIS_REPLY_INTEGER && rep->integer == 1) announce_all();
}

static void prune_recent(void)
{
    const char *k;
    json_t *v, *tmp;
    uint64_t now = vb_now_ms();
    json_object_foreach_safe(p.recent, tmp, k, v)
    {
        if (now - (uint64_t)json_integer_value(v) >= (uint64_t)p.tick_ms * 2)
            json_object_del(p.recent, k);
    }
}

static void refresh(void)
{
    if (!vb_hub_bridge_ready()) return;
    vb_hub_bridge_command(on_mark, NULL, "HSET %s _ 1", p.key);
    vb_hub_bridge_command(NULL, NULL, "PEXPIRE %s %ld", p.key, p.ttl_ms / 2);
    vb_hub_bridge_command(NULL, NULL, "SADD vibed:insts %s", vb_hub_bridge_instance());
    vb_hub_bridge_command(on_members, NULL, "SMEMBERS vibed:insts");
    prune_recent();
}

static void on_tick(uv_timer_t *t)
{
    (void)t;
    refresh();
}

void vb_presence_bridge_up(void)
{
    if (!p.on) return;
    p.up_at = vb_now_ms();
    /* This instance's share is written again from scratch. */
    vb_hub_bridge_command(NULL, NULL, "DEL %s", p.key);
    announce_all();
    refresh();
}

void vb_presence_bridge_down(void)
{
    if (p.on) view_self_sync();
}

int vb_presence_bridge_start(uv_loop_t *loop, long ttl_ms)
{
    memset(&p, 0, sizeof p);
    p.ttl_ms = ttl_ms > 50 ? ttl_ms : 50;
    p.tick_ms = p.ttl_ms / 5;
    p.local = json_object();
    p.view = json_object();
    p.recent = json_object();
    if (!p.local || !p.view || !p.recent) return VB_ENOMEM;
    snprintf(p.key, sizeof p.key, "vibed:p:%s", vb_hub_bridge_instance());
    p.on = 1;
    uv_timer_init(loop, &p.tick);
    uv_timer_start(&p.tick, on_tick, (uint64_t)p.tick_ms, (uint64_t)p.tick_ms);
    uv_unref((uv_handle_t *)&p.tick);
    vb_presence_set_cluster(&g_hooks);
    return 0;
}

void vb_presence_bridge_stop(void)
{
    if (!p.on) return;
    /* Leaving cleanly: the others need not wait for the hash to expire. */
    vb_hub_bridge_command(NULL, NULL, "DEL %s", p.key);
    vb_hub_bridge_command(NULL, NULL, "SREM vibed:insts %s", vb_hub_bridge_instance());
    p.on = 0;
    vb_presence_set_cluster(NULL);
    uv_close((uv_handle_t *)&p.tick, NULL);
    json_decref(p.local);
    json_decref(p.view);
    json_decref(p.recent);
    p.local = p.view = p.recent = NULL;
}
