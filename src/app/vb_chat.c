/*
 * The chat gateway's lifecycle: the Socket.IO server, authentication at
 * connect, presence, the hub topics it follows, and the emitting helpers.
 * How hub events become room broadcasts is in vb_chat_hub.c.
 */
#include "app/vb_chat.h"
#include "app/vb_auth.h"
#include "app/vb_chat_internal.h"
#include "app/vb_chat_args.h"
#include "core/vb_common.h"
#include "core/vb_log.h"
#include "core/vb_map.h"
#include "hub/vb_presence.h"
#include "store/vb_ops_chat.h"

#include <stdlib.h>
#include <string.h>

static vb_sio_server *g_srv;
vb_sio_nsp *vb_chat_nsp;
static vb_map g_topics; /* name -> chat_topic */

static const char g_bad_token[] = "{\"message\":\"Invalid authentication token\"}";

/* ---- sockets ------------------------------------------------------------ */

chat_sock *vb_chat_sock_ref(chat_sock *cs)
{
    cs->refs++;
    return cs;
}

void vb_chat_sock_unref(chat_sock *cs)
{
    if (!cs || --cs->refs > 0) return;
    vb_chat_rate_detach(cs);
    json_decref(cs->workspaces);
    json_decref(cs->channels);
    free(cs);
}

/* ---- hub topics ----------------------------------------------------------- */

int vb_chat_topic_hold(const char *name)
{
    chat_topic *t = vb_map_get(&g_topics, name);
    if (t) {
        t->users++;
        return 0;
    }
    t = calloc(1, sizeof *t);
    if (!t || !(t->name = strdup(name))) {
        free(t);
        return VB_ENOMEM;
    }
    if (vb_map_put(&g_topics, t->name, t) != 0) {
        free(t->name);
        free(t);
        return VB_ENOMEM;
    }
    if (vb_hub_subscribe(&t->sub, name, vb_chat_on_hub, t)) {
        vb_map_del(&g_topics, t->name);
        free(t->name);
        free(t);
        return VB_ENOMEM;
    }
    t->users = 1;
    t->cu = vb_chat_catchup_open(name);
    return 0;
}

chat_topic *vb_chat_topic_find(const char *name)
{
    return vb_map_get(&g_topics, name);
}

void vb_chat_topic_release(const char *name)
{
    chat_topic *t = vb_map_get(&g_topics, name);
    if (!t || --t->users > 0) return;
    vb_map_del(&g_topics, t->name);
    vb_hub_unsubscribe(&t->sub);
    vb_chat_catchup_close(t->cu);
    free(t->name);
    free(t);
}

/* ---- emitting --------------------------------------------------------------- */

#define ARGS_FLAGS (JSON_COMPACT | JSON_ENCODE_ANY)

/*
 * Writes one JSON value as the raw argument array text "[value]" (what
 * json_dumps of a one-element array gives) into buf (cap bytes) when it fits,
 * else into a new malloc'd buffer. arg is stolen (NULL means null). Returns
 * the text (buf, or malloc'd: free it when it is not buf) with *len set, or
 * NULL when it cannot be serialised or memory runs out.
 */
char *vb_chat_args_of(json_t *arg, char *buf, size_t cap, size_t *len)
{
    json_t *v = arg ? arg : json_null();
    char *out = NULL;
    size_t n = json_dumpb(v, buf + 1, cap - 2, ARGS_FLAGS);
    if (n == 0) goto done;
    if (n <= cap - 2) {
        out = buf;
    } else {
        out = malloc(n + 2);
        if (!out || json_dumpb(v, out + 1, n, ARGS_FLAGS) != n) {
            free(out);
            out = NULL;
            goto done;
        }
    }
    out[0] = '[';
    out[n + 1] = ']';
    *len = n + 2;
done:
    json_decref(v);
    return out;
}

char *vb_chat_args_offset(json_t *arg, int64_t seq, char *buf, size_t cap, size_t *len)
{
    enum { TAIL = VB_CHAT_OFFSET_MAX + 6 }; /* ,"<offset>"] and NUL */
    char *text = vb_chat_args_of(arg, buf, cap - TAIL, len);
    if (!text || seq < 0) return text;
    if (text != buf) {
        char *t = realloc(text, *len + TAIL);
        if (!t) {
            free(text);
            return NULL;
        }
        text = t;
    }
    char off[VB_CHAT_OFFSET_MAX + 1];
    vb_chat_offset_encode(seq, off);
    int n = snprintf(text + *len - 1, TAIL + 1, ",\"%s\"]", off);
    *len += (size_t)n - 1;
    return text;
}

/* Frees the text of vb_chat_args_of when it is not the caller's stack buffer. */
void vb_chat_args_free(char *text, const char *buf)
{
    if (text != buf) free(text);
}

void vb_chat_emit(vb_sio_socket *s, const char *event, json_t *arg)
{
    char buf[VB_CHAT_ARGS_STACK];
    size_t len;
    char *text = vb_chat_args_of(arg, buf, sizeof buf, &len);
    if (text && s) vb_sio_emit(s, event, text, len);
    vb_chat_args_free(text, buf);
}

vb_sio_socket *vb_chat_announcer;

void vb_chat_announce(const char *room, const chat_sock *cs, const char *event, json_t *arg)
{
    if (!arg) return;
    vb_sio_socket *prev = vb_chat_announcer;
    vb_chat_announcer = cs->sock;
    vb_hub_send(room, event, arg, cs->sock ? vb_sio_socket_id(cs->sock) : NULL, 0);
    vb_chat_announcer = prev;
    json_decref(arg);
}

/* Answers ack with the argument text of arg (stolen), or frees the ack when
 * it cannot be serialised. */
static void ack_send(vb_sio_ack *ack, json_t *arg)
{
    char buf[VB_CHAT_ARGS_STACK];
    size_t len;
    char *text = vb_chat_args_of(arg, buf, sizeof buf, &len);
    if (text)
        vb_sio_ack_send(ack, text, len);
    else
        vb_sio_ack_free(ack);
    vb_chat_args_free(text, buf);
}

void vb_chat_ok(vb_sio_ack *ack, json_t *extra)
{
    if (!ack) {
        json_decref(extra);
        return;
    }
    json_t *o = json_is_object(extra) ? extra : json_object();
    if (o != extra) json_decref(extra);
    json_object_set_new(o, "ok", json_true());
    ack_send(ack, o);
}

void vb_chat_fail(chat_sock *cs, vb_sio_ack *ack, const char *code, const char *message)
{
    json_t *err = json_pack("{s:b,s:s,s:s}", "ok", 0, "code", code, "message", message);
    if (ack) {
        ack_send(ack, err);
        return;
    }
    json_object_del(err, "ok");
    if (cs && cs->sock)
        vb_chat_emit(cs->sock, "error", err);
    else
        json_decref(err);
}

/* ---- connect ------------------------------------------------------------------ */

typedef struct connect_call {
    chat_sock *cs;
} connect_call;

static void on_session(const vb_store_res *res, void *ud)
{
    chat_sock *cs = ud;
    if (cs->gone || !cs->sock) {
        vb_chat_sock_unref(cs);
        return;
    }
    vb_sio_socket *s = cs->sock;
    if (res->status != 0) {
        /* The socket's ud stays set until refuse frees it; drop ours first. */
        cs->sock = NULL;
        cs->gone = 1;
        vb_sio_socket_set_ud(s, NULL);
        vb_sio_refuse(s, g_bad_token);
        vb_chat_sock_unref(cs); /* the call's */
        /* The analyzer does not follow the count: the first unref leaves one. */
        // NOLINTNEXTLINE(clang-analyzer-unix.Malloc)
        vb_chat_sock_unref(cs); /* the socket's */
        return;
    }
    snprintf(cs->user_name, sizeof cs->user_name, "%s",
             json_string_value(json_object_get(res->result, "userName")));
    cs->workspaces = json_incref(json_object_get(res->result, "workspaceIds"));
    if (vb_chat_recovery_accept(cs, s, res->result) != 0) {
        vb_chat_sock_unref(cs);
        return;
    }
    cs->accepted = 1;
    size_t i;
    json_t *v;
    json_array_foreach(cs->workspaces, i, v)
    {
        char room[VB_HUB_TOPIC_MAX];
        vb_hub_topic(room, VB_HUB_WORKSPACE, json_string_value(v));
        if (vb_sio_join(s, room) == 0) vb_chat_topic_hold(room);
    }
    char uroom[VB_HUB_TOPIC_MAX];
    vb_hub_topic(uroom, VB_HUB_USER, cs->user_id);
    if (vb_sio_join(s, uroom) == 0) vb_chat_topic_hold(uroom);
    vb_presence_connect(cs->user_id, cs->user_name, cs->workspaces);
    vb_chat_recovery_welcome(cs, res->result);
    vb_chat_recovery_restore(cs, res->result);
    vb_chat_sock_unref(cs);
}

static void on_connect(vb_sio_socket *s, const char *auth, size_t auth_len, void *ud)
{
    vb_app *app = ud;
    json_t *a = json_loadb(auth, auth_len, 0, NULL);
    const char *token = json_string_value(json_object_get(a, "token"));
    json_t *claims = NULL;
    /* The token is verified at every connect, a recovering one too. */
    int ok = token && vb_auth_jwt_verify(app->jwt_key, app->jwt_key_len, token, &claims) == 0;
    const char *sub = ok ? json_string_value(json_object_get(claims, "sub")) : NULL;
    if (!sub || strlen(sub) >= 64) {
        json_decref(a);
        json_decref(claims);
        vb_sio_refuse(s, g_bad_token);
        return;
    }
    chat_sock *cs = calloc(1, sizeof *cs);
    if (!cs) {
        json_decref(a);
        json_decref(claims);
        vb_sio_refuse(s, "{\"message\":\"Server busy\"}");
        return;
    }
    cs->refs = 1; /* the socket's */
    cs->sock = s;
    cs->channels = json_object();
    snprintf(cs->user_id, sizeof cs->user_id, "%s", sub);
    json_decref(claims);
    vb_chat_rate_attach(cs); /* without memory for it, the socket is not limited */
    vb_sio_socket_set_ud(s, cs);
    json_t *args = json_pack("{s:{s:s}}", "actor", "id", cs->user_id);
    json_t *sess = vb_chat_recovery_args(cs, a, vb_sio_socket_id(s));
    json_decref(a);
    /* With recovery the call writes the session (on the writer lane, in
     * order with the message writes like any ordered read). */
    int flags = sess ? VB_STORE_WRITE : VB_STORE_ORDERED;
    if (sess) json_object_set_new(args, "session", sess);
    if (vb_store_submit(app->store, vb_op_chat_session, flags, args, on_session,
                        vb_chat_sock_ref(cs)) != 0) {
        cs->refs = 1;
        cs->sock = NULL;
        vb_sio_socket_set_ud(s, NULL);
        vb_sio_refuse(s, "{\"message\":\"Server busy\"}");
        vb_chat_sock_unref(cs);
    }
}

static void on_disconnect(vb_sio_socket *s, const char *reason, void *ud)
{
    (void)reason;
    (void)ud;
    chat_sock *cs = vb_sio_socket_ud(s);
    if (!cs) return;
    const char *cid;
    json_t *w;
    json_object_foreach(cs->channels, cid, w)
    {
        char room[VB_HUB_TOPIC_MAX];
        vb_hub_topic(room, VB_HUB_CHANNEL, cid);
        /* Out of the room first: the announcement then cannot reach it. */
        vb_sio_leave(s, room);
        vb_chat_announce(room, cs, "channel:user_left",
                         json_pack("{s:s,s:s}", "channelId", cid, "userId", cs->user_id));
        vb_chat_topic_release(room);
    }
    if (cs->accepted) {
        size_t i;
        json_t *v;
        json_array_foreach(cs->workspaces, i, v)
        {
            char room[VB_HUB_TOPIC_MAX];
            vb_hub_topic(room, VB_HUB_WORKSPACE, json_string_value(v));
            vb_chat_topic_release(room);
        }
        char uroom[VB_HUB_TOPIC_MAX];
        vb_hub_topic(uroom, VB_HUB_USER, cs->user_id);
        vb_chat_topic_release(uroom);
        vb_presence_disconnect(cs->user_id);
        vb_chat_recovery_closed(cs, s);
    }
    cs->gone = 1;
    cs->sock = NULL;
    vb_sio_socket_set_ud(s, NULL);
    vb_chat_sock_unref(cs);
}

/* ---- lifecycle -------------------------------------------------------------- */

int vb_chat_start(vb_app *app)
{
    vb_sio_options o;
    vb_sio_options_default(&o);
    o.eio.path = "/ws/";
    o.eio.ping_interval_ms = (unsigned)app->cfg.chat_ping_interval_ms;
    o.eio.ping_timeout_ms = (unsigned)app->cfg.chat_ping_timeout_ms;
    o.eio.max_payload = app->cfg.chat_max_payload;
    o.eio.max_output = app->cfg.chat_max_output;
    o.eio.max_sessions_per_address = app->cfg.max_connections_per_address;
    vb_chat_rate_configure(app->cfg.chat_rate_limit, app->cfg.chat_rate_burst);
    int rc = vb_sio_server_new(&g_srv, app->loop, &o);
    if (rc) return rc;
    vb_sio_nsp_handlers h = {on_connect, vb_chat_on_event, on_disconnect};
    vb_chat_nsp = vb_sio_nsp_new(g_srv, "/chat", &h, app);
    if (!vb_chat_nsp) return VB_ENOMEM;
    vb_chat_catchup_start();
    return vb_chat_recovery_start(app->loop);
}

int vb_chat_handle(vb_http_req *req)
{
    return g_srv ? vb_sio_handle(g_srv, req) : 0;
}

static void (*g_stop_cb)(void *arg);
static void *g_stop_arg;

/* The namespace stays usable until every socket's on_disconnect has run. */
static void on_stopped(void *arg)
{
    (void)arg;
    vb_chat_nsp = NULL;
    vb_chat_rate_clear();
    if (g_stop_cb) g_stop_cb(g_stop_arg);
}

static unsigned g_calls; /* store calls in flight, all sockets */
static int g_draining;
static uv_timer_t g_drain_timer;
static int g_drain_timer_open;
static uv_prepare_t g_drain_prep; /* one loop pass after the last call */
static int g_drain_prep_open;

static void drain_timer_closed(uv_handle_t *h)
{
    (void)h;
}

/* The calls have answered (or the bound passed): the sessions close. */
static void drain_done(void)
{
    if (!g_draining) return;
    g_draining = 0;
    if (g_drain_timer_open) {
        g_drain_timer_open = 0;
        uv_close((uv_handle_t *)&g_drain_timer, drain_timer_closed);
    }
    if (g_drain_prep_open) {
        g_drain_prep_open = 0;
        uv_close((uv_handle_t *)&g_drain_prep, drain_timer_closed);
    }
    vb_sio_server *srv = g_srv;
    g_srv = NULL;
    vb_chat_recovery_stop();
    if (srv)
        vb_sio_server_free(srv, on_stopped, NULL);
    else
        on_stopped(NULL);
}

static void on_drain_timeout(uv_timer_t *t)
{
    (void)t;
    vb_log(VB_LOG_WARN, "chat: %u store calls still in flight after %d ms; closing anyway", g_calls,
           VB_CHAT_DRAIN_MAX_MS);
    drain_done();
}

void vb_chat_call_begin(void)
{
    g_calls++;
}

static void on_drain_prep(uv_prepare_t *p)
{
    (void)p;
    drain_done();
}

void vb_chat_call_end(void)
{
    if (g_calls) g_calls--;
    /* The last answers are written by the output pass (idle) of the loop;
     * the sessions close in the prepare phase after it. */
    if (g_calls == 0 && g_draining && !g_drain_prep_open) {
        uv_prepare_init(vb_app_current()->loop, &g_drain_prep);
        g_drain_prep_open = 1;
        uv_prepare_start(&g_drain_prep, on_drain_prep);
    }
}

int vb_chat_draining(void)
{
    return g_draining;
}

void vb_chat_stop(void (*cb)(void *arg), void *arg)
{
    g_stop_cb = cb;
    g_stop_arg = arg;
    g_draining = 1;
    if (g_calls == 0 || !g_srv) {
        drain_done();
        return;
    }
    vb_app *app = vb_app_current();
    uv_timer_init(app->loop, &g_drain_timer);
    g_drain_timer_open = 1;
    uv_timer_start(&g_drain_timer, on_drain_timeout, VB_CHAT_DRAIN_MAX_MS, 0);
}
