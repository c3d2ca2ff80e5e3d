/*
 * The Redis bridge (see vb_hub_bridge.h): connections, reconnection, the
 * per-topic channels and the event envelope {"i":instance,"t":type,"d":data,
 * "o":origin,"s":seq}.
 *
 * Channel states (g.chans: channel name -> state): SUBSCRIBED; IDLE (no local
 * subscriber since the last sweep: unsubscribed at the next one); LEAVING
 * (UNSUBSCRIBE sent, reply not yet here); REJOIN (wanted again while
 * leaving: subscribed again when the reply comes, since hiredis forgets a
 * channel's callback on that reply).
 */
#include "hub/vb_hub_bridge.h"

#include "core/vb_common.h"
#include "core/vb_log.h"
#include "hub/vb_hub.h"
#include "hub/vb_presence_bridge.h"

#include <hiredis/adapters/libuv.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CH_PREFIX "vibed:t:"
#define SWEEP_MS 2000
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
/* hiredis' libuv adapter drops a failed connect silently: a pair that is not
 * up within this time is given up and made again. */
#define CONNECT_TIMEOUT_MS 1000
/* An instance whose pair is up (again) says so here; every instance then
 * catches its rooms up from the database (vb_hub_bridge_on_resync). It is
 * also subscribed last, so its confirmation confirms every channel before. */
#define RESYNC_CHANNEL "vibed:resync"

enum { CH_SUBSCRIBED = 1, CH_IDLE, CH_LEAVING, CH_REJOIN };

static struct {
    int on, stopping;
    uv_loop_t *loop;
    char host[256], user[128], pass[256];
    int port, db;
    redisAsyncContext *cmd, *sub;
    int cmd_ok, sub_ok;
    unsigned backoff_ms;
    uv_timer_t retry, sweep, watchdog;
    json_t *chans;
    json_t *confirmed; /* channel -> true once its SUBSCRIBE is confirmed */
    struct waiter *waiters;
    char inst[33];
} g;

/* Kept apart from g: set before the start. */
static void (*g_on_resync[VB_HUB_BRIDGE_RESYNC_MAX])(void);
static size_t g_n_resync;

static void resync_local(void)
{
    for (size_t i = 0; i < g_n_resync; i++)
        g_on_resync[i]();
}

/* A wait for a channel's SUBSCRIBE confirmation (vb_hub_bridge_when_subscribed). */
typedef struct waiter {
    uv_timer_t timer;
    struct waiter *next, **pprev;
    void (*fn)(void *ud, int subscribed);
    void *ud;
    char chan[512];
} waiter;

static void lost(const redisAsyncContext *ac);
static void on_retry(uv_timer_t *t);
static void on_watchdog(uv_timer_t *t);

const char *vb_hub_bridge_status(void)
{
    return !g.on ? "disabled" : vb_hub_bridge_ready() ? "ok" : "down";
}

const char *vb_hub_bridge_instance(void)
{
    return g.inst;
}

int vb_hub_bridge_ready(void)
{
    return g.on && g.cmd && g.sub && g.cmd_ok && g.sub_ok;
}

int vb_hub_bridge_command(redisCallbackFn *fn, void *ud, const char *fmt, ...)
{
    if (!g.cmd || !g.cmd_ok) return VB_EBUSY;
    va_list ap;
    va_start(ap, fmt);
    int rc = redisvAsyncCommand(g.cmd, fn, ud, fmt, ap);
    va_end(ap);
    return rc == REDIS_OK ? 0 : VB_EBUSY;
}

/* ---- the subscription connection ------------------------------------------ */

static void on_waiter_closed(uv_handle_t *h)
{
    free(h->data);
}

/* Ends w: unlinked, its callback called once, its timer closed. */
static void waiter_end(waiter *w, int subscribed)
{
    *w->pprev = w->next;
    if (w->next) w->next->pprev = w->pprev;
    uv_timer_stop(&w->timer);
    w->fn(w->ud, subscribed);
    uv_close((uv_handle_t *)&w->timer, on_waiter_closed);
}

static void on_waiter_timeout(uv_timer_t *t)
{
    waiter_end(t->data, 0);
}

/* Ends the waits for chan (NULL: every wait). */
static void waiters_wake(const char *chan, int subscribed)
{
    waiter *w = g.waiters;
    while (w) {
        waiter *next = w->next;
        if (!chan || strcmp(w->chan, chan) == 0) waiter_end(w, subscribed);
        w = next;
    }
}

int vb_hub_bridge_when_subscribed(const char *topic, unsigned timeout_ms,
                                  void (*fn)(void *ud, int subscribed), void *ud)
{
    if (!vb_hub_bridge_ready() || g.stopping) return 1;
    char chan[512];
    snprintf(chan, sizeof chan, CH_PREFIX "%s", topic);
    json_int_t st = json_integer_value(json_object_get(g.chans, chan));
    if (st == CH_SUBSCRIBED && json_object_get(g.confirmed, chan)) return 1;
    if (st == 0) return 1; /* not wanted (any more): nothing to wait for */
    waiter *w = calloc(1, sizeof *w);
    if (!w) return 1;
    snprintf(w->chan, sizeof w->chan, "%s", chan);
    w->fn = fn;
    w->ud = ud;
    w->timer.data = w;
    uv_timer_init(g.loop, &w->timer);
    uv_timer_start(&w->timer, on_waiter_timeout, timeout_ms, 0);
    w->next = g.waiters;
    if (w->next) w->next->pprev = &w->next;
    w->pprev = &g.waiters;
    g.waiters = w;
    return 0;
}

void vb_hub_bridge_on_resync(void (*fn)(void))
{
    for (size_t i = 0; i < g_n_resync; i++)
        if (g_on_resync[i] == fn) return;
    if (g_n_resync < VB_HUB_BRIDGE_RESYNC_MAX) g_on_resync[g_n_resync++] = fn;
}

/* Both connections are up (again) and every channel confirmed: the cluster
 * presence announces itself, the other instances are told to catch up (our
 * publishes may have been lost meanwhile) and so is this one. */
static void went_up(void)
{
    vb_presence_bridge_up();
    redisAsyncCommand(g.cmd, NULL, NULL, "PUBLISH %s %s", RESYNC_CHANNEL, g.inst);
    resync_local();
}

static void deliver(const char *chan, const char *payload, size_t len)
{
    json_t *env = json_loadb(payload, len, 0, NULL);
    const char *inst = json_string_value(json_object_get(env, "i"));
    const char *type = json_string_value(json_object_get(env, "t"));
    /* Our own events were delivered when they were sent. */
    if (inst && type && strcmp(inst, g.inst) != 0)
        vb_hub_deliver(chan + strlen(CH_PREFIX), type, json_object_get(env, "d"),
                       json_string_value(json_object_get(env, "o")),
                       json_integer_value(json_object_get(env, "s")));
    json_decref(env);
}

static void ch_subscribe(const char *chan);

static void on_sub_reply(redisAsyncContext *ac, void *r, void *ud)
{
    (void)ac;
    (void)ud;
    redisReply *rep = r;
    if (!rep || rep->type != REDIS_REPLY_ARRAY || rep->elements < 3 ||
        rep->element[0]->type != REDIS_REPLY_STRING || rep->element[1]->type != REDIS_REPLY_STRING)
        return;
    const char *kind = rep->element[0]->str;
    const char *chan = rep->element[1]->str;
    if (strcmp(kind, "message") == 0 && rep->element[2]->type == REDIS_REPLY_STRING) {
        if (strcmp(chan, VB_PRESENCE_CHANNEL) == 0)
            vb_presence_bridge_message(rep->element[2]->str, rep->element[2]->len);
        else if (strcmp(chan, RESYNC_CHANNEL) == 0) {
            if (strcmp(rep->element[2]->str, g.inst) != 0) resync_local();
        } else if (strncmp(chan, CH_PREFIX, strlen(CH_PREFIX)) == 0)
            deliver(chan, rep->element[2]->str, rep->element[2]->len);
    } else if (strcmp(kind, "subscribe") == 0 && strcmp(chan, RESYNC_CHANNEL) == 0) {
        g.sub_ok = 1;
        g.backoff_ms = BACKOFF_MIN_MS;
        if (g.cmd_ok) went_up();
    } else if (strcmp(kind, "subscribe") == 0) {
        json_int_t st = json_integer_value(json_object_get(g.chans, chan));
        if (st == CH_SUBSCRIBED || st == CH_IDLE) {
            json_object_set_new(g.confirmed, chan, json_true());
            waiters_wake(chan, 1);
        }
    } else if (strcmp(kind, "unsubscribe") == 0) {
        json_int_t st = json_integer_value(json_object_get(g.chans, chan));
        if (st == CH_REJOIN) {
            json_object_del(g.chans, chan);
            char name[512];
            snprintf(name, sizeof name, "%s", chan);
            ch_subscribe(name);
        } else if (st == CH_LEAVING) {
            json_object_del(g.chans, chan);
        }
    }
}

static void ch_subscribe(const char *chan)
{
    json_int_t st = json_integer_value(json_object_get(g.chans, chan));
    if (st == CH_SUBSCRIBED || st == CH_REJOIN) return;
    if (st == CH_IDLE) {
        json_object_set_new(g.chans, chan, json_integer(CH_SUBSCRIBED));
        return;
    }
    if (st == CH_LEAVING) {
        json_object_set_new(g.chans, chan, json_integer(CH_REJOIN));
        return;
    }
    if (!g.sub) return; /* made again from the hub's topics on reconnect */
    if (redisAsyncCommand(g.sub, on_sub_reply, NULL, "SUBSCRIBE %s", chan) == REDIS_OK)
        json_object_set_new(g.chans, chan, json_integer(CH_SUBSCRIBED));
}

static void on_topic_added(const char *topic)
{
    char chan[512];
    snprintf(chan, sizeof chan, CH_PREFIX "%s", topic);
    ch_subscribe(chan);
}

static void on_topic_removed(const char *topic)
{
    char chan[512];
    snprintf(chan, sizeof chan, CH_PREFIX "%s", topic);
    json_int_t st = json_integer_value(json_object_get(g.chans, chan));
    if (st == CH_SUBSCRIBED) json_object_set_new(g.chans, chan, json_integer(CH_IDLE));
    if (st == CH_REJOIN) json_object_set_new(g.chans, chan, json_integer(CH_LEAVING));
}

/* Channels idle since the last sweep are left. */
static void on_sweep(uv_timer_t *t)
{
    (void)t;
    if (!g.sub) return;
    const char *chan;
    json_t *v;
    json_object_foreach(g.chans, chan, v)
    {
        if (json_integer_value(v) != CH_IDLE) continue;
        json_object_del(g.confirmed, chan);
        if (redisAsyncCommand(g.sub, on_sub_reply, NULL, "UNSUBSCRIBE %s", chan) == REDIS_OK)
            json_integer_set(v, CH_LEAVING);
    }
}

static void on_sent(const char *topic, const char *type, json_t *data, const char *origin,
                    int64_t seq)
{
    if (!vb_hub_bridge_ready()) return;
    json_t *env = json_pack("{s:s,s:s,s:O?,s:s?,s:I}", "i", g.inst, "t", type, "d", data, "o",
                            origin, "s", (json_int_t)seq);
    char *text = env ? json_dumps(env, JSON_COMPACT) : NULL;
    json_decref(env);
    if (!text) return;
    char chan[512];
    snprintf(chan, sizeof chan, CH_PREFIX "%s", topic);
    redisAsyncCommand(g.cmd, NULL, NULL, "PUBLISH %s %b", chan, text, strlen(text));
    free(text);
}

static const vb_hub_bridge g_ops = {on_topic_added, on_topic_removed, on_sent};

static void resubscribe_each(const char *topic, void *ud)
{
    (void)ud;
    on_topic_added(topic);
}

/* ---- connections ----------------------------------------------------------- */

static void on_ping(redisAsyncContext *ac, void *r, void *ud)
{
    (void)ac;
    (void)ud;
    redisReply *rep = r;
    if (!rep) return; /* the connection went first */
    if (rep->type == REDIS_REPLY_ERROR) {
        vb_log(VB_LOG_WARN, "redis: %s", rep->str);
        return;
    }
    g.cmd_ok = 1;
    if (g.sub_ok) went_up();
}

static void on_auth(redisAsyncContext *ac, void *r, void *ud)
{
    (void)ud;
    redisReply *rep = r;
    if (rep && rep->type == REDIS_REPLY_ERROR) {
        vb_log(VB_LOG_WARN, "redis: %s", rep->str);
        redisAsyncDisconnect(ac);
    }
}

static void on_connected(const redisAsyncContext *ac, int status)
{
    if (status != REDIS_OK) {
        vb_log(VB_LOG_DEBUG, "redis: cannot connect: %s", ac->errstr);
        /* hiredis frees the context after this callback. */
        lost(ac);
        return;
    }
    vb_log(VB_LOG_INFO, "redis: connected");
}

static void on_disconnected(const redisAsyncContext *ac, int status)
{
    (void)status;
    lost(ac);
}

static void schedule_retry(void)
{
    if (g.stopping || g.cmd || g.sub) return;
    uv_timer_start(&g.retry, on_retry, g.backoff_ms, 0);
}

static void lost(const redisAsyncContext *ac)
{
    /* A context already given up (the other one of a pair that failed, or
     * one closed at stop) has nothing more to say. */
    if (!ac || (ac != g.cmd && ac != g.sub)) return;
    int was_ready = vb_hub_bridge_ready();
    redisAsyncContext *other = ac == g.cmd ? g.sub : g.cmd;
    g.cmd = g.sub = NULL;
    g.cmd_ok = g.sub_ok = 0;
    json_object_clear(g.chans);
    json_object_clear(g.confirmed);
    waiters_wake(NULL, 0);
    if (was_ready) {
        vb_log(VB_LOG_WARN, "redis: connection lost; reconnecting");
        vb_presence_bridge_down();
    }
    /* The other connection goes too (hiredis frees ac itself after this
     * callback); both are made again together. */
    if (other) redisAsyncFree(other);
    g.backoff_ms = g.backoff_ms ? g.backoff_ms * 2 : BACKOFF_MIN_MS;
    if (g.backoff_ms > BACKOFF_MAX_MS) g.backoff_ms = BACKOFF_MAX_MS;
    schedule_retry();
}

static redisAsyncContext *open_one(void)
{
    redisAsyncContext *ac = redisAsyncConnect(g.host, g.port);
    if (!ac) return NULL;
    if (ac->err) {
        redisAsyncFree(ac);
        return NULL;
    }
    if (redisLibuvAttach(ac, g.loop) != REDIS_OK) {
        redisAsyncFree(ac);
        return NULL;
    }
    redisAsyncSetConnectCallback(ac, on_connected);
    redisAsyncSetDisconnectCallback(ac, on_disconnected);
    if (g.pass[0]) {
        if (g.user[0])
            redisAsyncCommand(ac, on_auth, NULL, "AUTH %s %s", g.user, g.pass);
        else
            redisAsyncCommand(ac, on_auth, NULL, "AUTH %s", g.pass);
    }
    if (g.db) redisAsyncCommand(ac, on_auth, NULL, "SELECT %d", g.db);
    return ac;
}

static void connect_all(void)
{
    g.cmd = open_one();
    g.sub = g.cmd ? open_one() : NULL;
    if (!g.cmd || !g.sub) {
        if (g.cmd) {
            redisAsyncFree(g.cmd);
            g.cmd = NULL;
        }
        g.backoff_ms = g.backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : g.backoff_ms * 2;
        schedule_retry();
        return;
    }
    redisAsyncCommand(g.cmd, on_ping, NULL, "PING");
    redisAsyncCommand(g.sub, on_sub_reply, NULL, "SUBSCRIBE %s", VB_PRESENCE_CHANNEL);
    vb_hub_each_topic(resubscribe_each, NULL);
    redisAsyncCommand(g.sub, on_sub_reply, NULL, "SUBSCRIBE %s", RESYNC_CHANNEL);
    uv_timer_start(&g.watchdog, on_watchdog, CONNECT_TIMEOUT_MS, 0);
}

/* The pair made by connect_all is not up in time: dropped, made again. */
static void on_watchdog(uv_timer_t *t)
{
    (void)t;
    if (vb_hub_bridge_ready() || (!g.cmd && !g.sub)) return;
    vb_log(VB_LOG_DEBUG, "redis: not connected within %d ms", CONNECT_TIMEOUT_MS);
    redisAsyncContext *c = g.cmd ? g.cmd : g.sub;
    lost(c); /* frees the other one */
    redisAsyncFree(c);
}

static void on_retry(uv_timer_t *t)
{
    (void)t;
    if (!g.stopping && !g.cmd && !g.sub) connect_all();
}

/* ---- configuration ---------------------------------------------------------- */

static int parse_url(const char *url)
{
    if (strncmp(url, "redis://", 8) != 0) return VB_EINVAL;
    const char *p = url + 8;
    const char *at = strrchr(p, '@');
    if (at) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        if (!colon) return VB_EINVAL;
        snprintf(g.user, sizeof g.user, "%.*s", (int)(colon - p), p);
        snprintf(g.pass, sizeof g.pass, "%.*s", (int)(at - colon - 1), colon + 1);
        p = at + 1;
    }
    size_t hl = strcspn(p, ":/");
    if (hl == 0 || hl >= sizeof g.host) return VB_EINVAL;
    snprintf(g.host, sizeof g.host, "%.*s", (int)hl, p);
    p += hl;
    g.port = 6379;
    if (*p == ':') {
        char *end;
        long port = strtol(p + 1, &end, 10);
        if (end == p + 1 || port < 1 || port > 65535) return VB_EINVAL;
        g.port = (int)port;
        p = end;
    }
    if (*p == '/' && p[1]) {
        char *end;
        long db = strtol(p + 1, &end, 10);
        if (*end || db < 0 || db > 1000) return VB_EINVAL;
        g.db = (int)db;
    } else if (*p && strcmp(p, "/") != 0) {
        return VB_EINVAL;
    }
    return 0;
}

int vb_hub_bridge_start(uv_loop_t *loop, const char *url, long presence_ttl_ms)
{
    memset(&g, 0, sizeof g);
    if (parse_url(url)) return VB_EINVAL;
    unsigned char rnd[16];
    randombytes_buf(rnd, sizeof rnd);
    for (size_t i = 0; i < sizeof rnd; i++)
        snprintf(g.inst + 2 * i, 3, "%02x", rnd[i]);
    g.chans = json_object();
    g.confirmed = json_object();
    if (!g.chans || !g.confirmed) return VB_ENOMEM;
    g.loop = loop;
    g.on = 1;
    g.backoff_ms = BACKOFF_MIN_MS;
    uv_timer_init(loop, &g.retry);
    uv_timer_init(loop, &g.sweep);
    uv_timer_init(loop, &g.watchdog);
    uv_timer_start(&g.retry, on_retry, 0, 0);
    uv_timer_start(&g.sweep, on_sweep, SWEEP_MS, SWEEP_MS);
    uv_unref((uv_handle_t *)&g.sweep);
    vb_hub_set_bridge(&g_ops);
    return vb_presence_bridge_start(loop, presence_ttl_ms);
}

void vb_hub_bridge_stop(void)
{
    if (!g.on || g.stopping) return;
    waiters_wake(NULL, 0);
    g.stopping = 1;
    vb_hub_set_bridge(NULL);
    vb_presence_bridge_stop();
    uv_close((uv_handle_t *)&g.retry, NULL);
    uv_close((uv_handle_t *)&g.sweep, NULL);
    uv_close((uv_handle_t *)&g.watchdog, NULL);
    /* Disconnect (not free): commands already queued, such as the presence
     * of the connections just closed, are still written. */
    int ready = vb_hub_bridge_ready();
    redisAsyncContext *c = g.cmd, *s = g.sub;
    g.cmd = g.sub = NULL;
    g.cmd_ok = g.sub_ok = 0;
    /* A pair still connecting may never answer: freed at once. */
    if (ready) {
        redisAsyncDisconnect(c);
        redisAsyncDisconnect(s);
    } else {
        if (c) redisAsyncFree(c);
        if (s) redisAsyncFree(s);
    }
    json_decref(g.chans);
    json_decref(g.confirmed);
    g.chans = g.confirmed = NULL;
}
