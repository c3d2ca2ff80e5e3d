/* Engine.IO server: options, shared messages, the HTTP entry point and the
 * public session API (sessions themselves are in vb_eio_session.c). */
#include "rt/vb_eio_internal.h"

#include "core/vb_common.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void vb_eio_options_default(vb_eio_options *o)
{
    memset(o, 0, sizeof(*o));
    o->path = "/engine.io/";
    o->ping_interval_ms = 25000;
    o->ping_timeout_ms = 20000;
    o->max_payload = 1000000;
    o->max_output = 8u * 1024 * 1024;
}

vb_eio_msg *vb_eio_msg_new(int binary, const void *data, size_t len)
{
    vb_eio_msg *m = calloc(1, sizeof(*m));
    if (!m) return NULL;
    m->refs = 1;
    m->binary = binary;
    if (binary) {
        m->pkt = vb_buf_copy(data, len);
    } else if ((m->pkt = vb_buf_new(len + 1))) {
        m->pkt->data[0] = '4';
        if (len) memcpy(m->pkt->data + 1, data, len);
    }
    if (!m->pkt) {
        free(m);
        return NULL;
    }
    return m;
}

vb_eio_msg *vb_eio_msg_new_packet(const void *pkt, size_t len)
{
    vb_eio_msg *m = calloc(1, sizeof(*m));
    if (!m) return NULL;
    m->refs = 1;
    if (!(m->pkt = vb_buf_copy(pkt, len))) {
        free(m);
        return NULL;
    }
    return m;
}

void vb_eio_msg_unref(vb_eio_msg *m)
{
    if (!m || --m->refs) return;
    vb_buf_unref(m->pkt);
    vb_buf_unref(m->frame);
    free(m);
}

static void count_pass(uv_prepare_t *p)
{
    ((vb_eio_server *)p->data)->pass++;
}

int vb_eio_server_new(vb_eio_server **out, uv_loop_t *loop, const vb_eio_options *o,
                      const vb_eio_handlers *h, void *ud)
{
    if (sodium_init() < 0) return VB_EIO;
    vb_eio_server *srv = calloc(1, sizeof(*srv));
    if (!srv) return VB_ENOMEM;
    vb_eio_options_default(&srv->o);
    if (o) {
        if (o->path) srv->o.path = o->path;
        if (o->ping_interval_ms) srv->o.ping_interval_ms = o->ping_interval_ms;
        if (o->ping_timeout_ms) srv->o.ping_timeout_ms = o->ping_timeout_ms;
        if (o->max_payload) srv->o.max_payload = o->max_payload;
        if (o->max_output) srv->o.max_output = o->max_output;
        srv->o.no_websocket = o->no_websocket;
        srv->o.ws_batch_ms = o->ws_batch_ms;
        srv->o.max_sessions_per_address = o->max_sessions_per_address;
    }
    size_t plen = strlen(srv->o.path);
    int slash = plen && srv->o.path[plen - 1] == '/';
    srv->path = malloc(plen + 2);
    if (!srv->path) {
        free(srv);
        return VB_ENOMEM;
    }
    memcpy(srv->path, srv->o.path, plen);
    if (!slash) srv->path[plen++] = '/';
    srv->path[plen] = '\0';
    srv->path_len = plen;
    srv->o.path = srv->path;
    srv->loop = loop;
    if (h) srv->h = *h;
    srv->ud = ud;
    uv_idle_init(loop, &srv->flush_idle);
    srv->flush_idle.data = srv;
    uv_timer_init(loop, &srv->gate_timer);
    srv->gate_timer.data = srv;
    uv_prepare_init(loop, &srv->pass_counter);
    srv->pass_counter.data = srv;
    uv_prepare_start(&srv->pass_counter, count_pass);
    uv_unref((uv_handle_t *)&srv->pass_counter);
    *out = srv;
    return 0;
}

static void idle_closed(uv_handle_t *h);

static void pass_closed(uv_handle_t *h)
{
    vb_eio_server *srv = h->data;
    uv_close((uv_handle_t *)&srv->flush_idle, idle_closed);
}

static void gate_closed(uv_handle_t *h)
{
    vb_eio_server *srv = h->data;
    uv_close((uv_handle_t *)&srv->pass_counter, pass_closed);
}

static void idle_closed(uv_handle_t *h)
{
    vb_eio_server *srv = h->data;
    void (*cb)(void *) = srv->free_cb;
    void *arg = srv->free_arg;
    vb_map_clear(&srv->sessions);
    vb_addr_clear(&srv->addrs);
    free(srv->path);
    free(srv);
    if (cb) cb(arg);
}

/* Called when a session's memory is released; finishes a pending free. */
void vb_eio__server_session_freed(vb_eio_server *srv)
{
    srv->nlive--;
    if (srv->freeing && srv->nlive == 0) uv_close((uv_handle_t *)&srv->gate_timer, gate_closed);
}

/* Closing a session takes it out of the map, which a walk allows. */
static int close_session(const char *sid, void *val, void *ud)
{
    vb_eio__close(val, "server close", NULL);
    return 0;
}

void vb_eio_server_free(vb_eio_server *srv, void (*cb)(void *arg), void *arg)
{
    srv->free_cb = cb;
    srv->free_arg = arg;
    (void)vb_map_each(&srv->sessions, close_session, NULL);
    srv->freeing = 1;
    if (srv->nlive == 0) uv_close((uv_handle_t *)&srv->gate_timer, gate_closed);
}

/* Answers an error as {"code":N,"message":...}. */
static void respond_err(vb_http_req *req, int status, int code, const char *msg)
{
    char body[128];
    int n = snprintf(body, sizeof(body), "{\"code\":%d,\"message\":\"%s\"}", code, msg);
    vb_http_respond(req, status, "application/json", body, (size_t)n);
}

/* A request without sid: opens a session over polling or WebSocket. */
static void handshake(vb_eio_server *srv, vb_http_req *req, int websocket)
{
    char json[256];
    if (!websocket && strcmp(req->method, "GET") != 0) {
        respond_err(req, 400, 2, "Bad handshake method");
        return;
    }
    if (websocket && !vb_ws_is_upgrade(req)) {
        respond_err(req, 400, 3, "Bad request");
        return;
    }
    char key[VB_ADDR_KEY_LEN];
    vb_addr_key(req->client_ip, key);
    vb_addr_ent *addr = vb_addr_take(&srv->addrs, key, srv->o.max_sessions_per_address);
    if (!addr) {
        static const char body[] = "{\"code\":\"TOO_MANY_CONNECTIONS\",\"message\":\"Too many "
                                   "sessions from this address\"}";
        vb_http_respond(req, 429, "application/json", body, sizeof(body) - 1);
        return;
    }
    vb_eio_socket *s =
        vb_eio__session_new(srv, websocket ? VB_EIO_ST_WEBSOCKET : VB_EIO_ST_POLLING);
    if (!s) {
        vb_addr_give(&srv->addrs, addr);
        respond_err(req, 500, 3, "Bad request");
        return;
    }
    s->addr = addr;
    vb_eio__handshake_json(s, !websocket && !srv->o.no_websocket, json, sizeof(json));
    if (websocket) {
        if (vb_eio__ws_attach(s, req, 0) != 0) {
            vb_eio__close(s, "transport error", NULL);
            return;
        }
        if (vb_eio__ws_send_now(s, json, strlen(json)) != 0) return; /* closed */
    } else {
        vb_http_respond(req, 200, "text/plain; charset=UTF-8", json, strlen(json));
    }
    vb_eio__session_start(s);
    if (srv->h.on_open) srv->h.on_open(s, srv->ud);
}

int vb_eio_handle(vb_eio_server *srv, vb_http_req *req)
{
    size_t plen = strlen(req->path);
    if (!(plen == srv->path_len && memcmp(req->path, srv->path, plen) == 0) &&
        !(plen + 1 == srv->path_len && memcmp(req->path, srv->path, plen) == 0))
        return 0;
    char eio[8], transport[16], sid[64];
    if (vb_http_query_get(req, "EIO", eio, sizeof(eio)) != 1 || strcmp(eio, "4") != 0) {
        respond_err(req, 400, 5, "Unsupported protocol version");
        return 1;
    }
    int tr = vb_http_query_get(req, "transport", transport, sizeof(transport));
    int websocket = tr == 1 && strcmp(transport, "websocket") == 0;
    if (tr != 1 || (!websocket && strcmp(transport, "polling") != 0) ||
        (websocket && srv->o.no_websocket)) {
        respond_err(req, 400, 0, "Transport unknown");
        return 1;
    }
    int has_sid = vb_http_query_get(req, "sid", sid, sizeof(sid));
    if (has_sid == 0) {
        handshake(srv, req, websocket);
        return 1;
    }
    vb_eio_socket *s = has_sid == 1 ? vb_map_get(&srv->sessions, sid) : NULL;
    if (!s) {
        respond_err(req, 400, 1, "Session ID unknown");
        return 1;
    }
    if (websocket) {
        if (!vb_ws_is_upgrade(req))
            respond_err(req, 400, 3, "Bad request");
        else if (s->state != VB_EIO_ST_POLLING)
            vb_eio__ws_reject(req);
        else
            vb_eio__ws_attach(s, req, 1);
        return 1;
    }
    if (s->state == VB_EIO_ST_WEBSOCKET)
        respond_err(req, 400, 3, "Bad request");
    else if (strcmp(req->method, "GET") == 0)
        vb_eio__poll_get(s, req);
    else if (strcmp(req->method, "POST") == 0)
        vb_eio__poll_post(s, req);
    else
        respond_err(req, 400, 3, "Bad request");
    return 1;
}

int vb_eio_send(vb_eio_socket *s, int binary, const void *data, size_t len)
{
    if (s->state == VB_EIO_ST_CLOSED) return VB_EIO;
    vb_eio_msg *m = vb_eio_msg_new(binary, data, len);
    if (!m) return VB_ENOMEM;
    int rc = vb_eio_send_msg(s, m);
    vb_eio_msg_unref(m);
    return rc;
}

void vb_eio_close(vb_eio_socket *s, const char *reason)
{
    vb_eio__close(s, reason ? reason : "server close", NULL);
}

void vb_eio_set_ud(vb_eio_socket *s, void *ud)
{
    s->ud = ud;
}

void *vb_eio_get_ud(const vb_eio_socket *s)
{
    return s->ud;
}
