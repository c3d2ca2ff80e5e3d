/*
 * Engine.IO sessions: lifecycle, the polling and WebSocket transports and
 * the upgrade (see vb_eio.h for the protocol decisions). Output scheduling
 * and WebSocket batching are in vb_eio_output.c, the heartbeat in
 * vb_eio_heartbeat.c.
 */
#include "rt/vb_eio_internal.h"

#include "core/vb_common.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char sid_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* 20 random characters of [A-Za-z0-9_-] (120 bits). */
static void new_sid(char out[VB_EIO_SID_LEN + 1])
{
    unsigned char r[15];
    randombytes_buf(r, sizeof(r));
    for (int i = 0; i < 5; i++) {
        uint32_t v = (uint32_t)r[3 * i] << 16 | (uint32_t)r[3 * i + 1] << 8 | r[3 * i + 2];
        for (int k = 0; k < 4; k++)
            out[4 * i + k] = sid_alphabet[(v >> (18 - 6 * k)) & 63];
    }
    out[VB_EIO_SID_LEN] = '\0';
}

/* Creates a session in the given state, registered under a fresh sid, with
 * one reference (dropped after on_close). NULL if out of memory. */
vb_eio_socket *vb_eio__session_new(vb_eio_server *srv, int state)
{
    vb_eio_socket *s = calloc(1, sizeof(*s));
    if (!s) return NULL;
    s->srv = srv;
    s->state = state;
    s->refs = 1;
    do
        new_sid(s->sid);
    while (vb_map_get(&srv->sessions, s->sid));
    if (vb_map_put(&srv->sessions, s->sid, s) != 0) {
        free(s);
        return NULL;
    }
    uv_timer_init(srv->loop, &s->timer);
    s->timer.data = s;
    srv->nlive++;
    return s;
}

static void session_free_cb(uv_handle_t *h)
{
    vb_eio_socket *s = h->data;
    vb_eio_server *srv = s->srv;
    vb_eio_sb_free(&s->out);
    vb_addr_give(&srv->addrs, s->addr);
    free(s);
    vb_eio__server_session_freed(srv);
}

/* Drops one reference; at zero the timer is closed and s freed after it. */
void vb_eio__session_unref(vb_eio_socket *s)
{
    if (--s->refs == 0) uv_close((uv_handle_t *)&s->timer, session_free_cb);
}

/* Answers the held GET with body (the peer may have gone: then the GET is
 * only freed and 0 returned, so the caller keeps its data). 1 if written. */
static int answer_get(vb_eio_socket *s, const char *body, size_t len)
{
    vb_http_req *r = s->get;
    s->get = NULL;
    r->on_gone = NULL;
    if (!r->conn) {
        vb_http_respond(r, 200, NULL, NULL, 0);
        return 0;
    }
    vb_http_respond(r, 200, "text/plain; charset=UTF-8", body, len);
    return 1;
}

/* Writes the polling queue to the held GET, if both exist. */
void vb_eio__flush_poll(vb_eio_socket *s)
{
    if (!s->get || !s->out.len) return;
    /* Written: the queue's buffer goes too (an idle session keeps none, and
     * a burst's high-water is not kept). */
    if (answer_get(s, s->out.p, s->out.len)) vb_eio_sb_free(&s->out);
}

/*
 * Closes the session: unregisters it, answers a held GET with get_pkt ("1"
 * when NULL), closes its WebSockets, and schedules on_close for the next loop
 * pass (never re-entrant). Safe to repeat.
 */
void vb_eio__close(vb_eio_socket *s, const char *reason, const char *get_pkt)
{
    if (s->state == VB_EIO_ST_CLOSED) return;
    s->state = VB_EIO_ST_CLOSED;
    s->reason = reason;
    vb_map_del(&s->srv->sessions, s->sid);
    if (s->get) {
        /* What is queued goes first (the answers to the last requests),
         * then the close packet. */
        const char *pkt = get_pkt ? get_pkt : "1";
        if (s->out.len && vb_eio_payload_append_raw(&s->out, pkt, 1) == 0)
            answer_get(s, s->out.p, s->out.len);
        else
            answer_get(s, pkt, 1);
    }
    vb_ws *ws = s->ws, *probe = s->probe;
    s->ws = s->probe = NULL;
    if (ws) vb_ws_close(ws, 1000, "");
    if (probe) vb_ws_close(probe, 1000, "");
    vb_eio_sb_free(&s->out);
    vb_eio__wq_clear(s);
    s->phase = VB_EIO_T_NOTIFY;
    uv_timer_start(&s->timer, vb_eio__timer_cb, 0, 0);
}

/* Handles one packet from the client on the session's transport. */
static void on_packet(vb_eio_socket *s, const vb_eio_packet *pk)
{
    vb_eio_server *srv = s->srv;
    switch (pk->type) {
    case VB_EIO_MESSAGE:
        if (srv->h.on_message) srv->h.on_message(s, pk->binary, pk->data, pk->len, srv->ud);
        break;
    case VB_EIO_PONG:
        if (s->phase == VB_EIO_T_PONG) {
            s->phase = VB_EIO_T_PING;
            uv_timer_start(&s->timer, vb_eio__timer_cb, srv->o.ping_interval_ms, 0);
        }
        break;
    case VB_EIO_PING:
        vb_eio__send_control(s, VB_EIO_PONG, pk->data, pk->len);
        break;
    case VB_EIO_CLOSE:
        vb_eio__close(s, "client close", "6");
        break;
    case VB_EIO_NOOP:
        break;
    default:
        vb_eio__close(s, "parse error", NULL);
        break;
    }
}

/* Answers an error as {"code":N,"message":...}. */
static void respond_err(vb_http_req *req, int status, int code, const char *msg)
{
    char body[128];
    int n = snprintf(body, sizeof(body), "{\"code\":%d,\"message\":\"%s\"}", code, msg);
    vb_http_respond(req, status, "application/json", body, (size_t)n);
}

/* The client of the held GET closed or reset its connection: like the
 * reference server ("poll connection closed prematurely"), the session ends
 * now rather than at the ping timeout, so presence follows at once. */
static void poll_gone(vb_http_req *req, void *ud)
{
    vb_eio_socket *s = ud;
    if (s->get == req) vb_eio__close(s, "transport close", NULL);
}

/* A polling GET for an open session. */
void vb_eio__poll_get(vb_eio_socket *s, vb_http_req *req)
{
    if (s->get) {
        vb_eio__close(s, "duplicate poll", "1");
        respond_err(req, 400, 3, "Bad request");
        return;
    }
    s->get = req;
    req->on_gone = poll_gone;
    req->on_gone_ud = s;
    if (s->out.len)
        vb_eio__flush_poll(s);
    else if (s->state == VB_EIO_ST_UPGRADING)
        answer_get(s, "6", 1);
}

/* A polling POST for an open session: the body is a payload of packets. */
void vb_eio__poll_post(vb_eio_socket *s, vb_http_req *req)
{
    if (req->body_len > s->srv->o.max_payload) {
        respond_err(req, 413, 3, "Payload too large");
        vb_eio__close(s, "payload too large", NULL);
        return;
    }
    vb_eio_payload pl;
    int rc = vb_eio_payload_decode(req->body, req->body_len, &pl);
    if (rc != 0) {
        respond_err(req, rc == VB_ENOMEM ? 500 : 400, 3, "Bad request");
        vb_eio__close(s, "parse error", NULL);
        return;
    }
    s->refs++; /* s must outlive the handlers' calls */
    for (size_t i = 0; i < pl.n && s->state != VB_EIO_ST_CLOSED; i++)
        on_packet(s, &pl.pk[i]);
    vb_eio_payload_free(&pl);
    vb_eio__session_unref(s);
    vb_http_respond(req, 200, "text/html", "ok", 2);
}

/* Moves the polling queue onto the WebSocket after the upgrade. */
static void upgrade(vb_eio_socket *s)
{
    s->state = VB_EIO_ST_WEBSOCKET;
    s->ws = s->probe;
    s->probe = NULL;
    if (s->get) answer_get(s, "6", 1);
    if (!s->out.len) return;
    vb_eio_payload pl;
    if (vb_eio_payload_decode(s->out.p, s->out.len, &pl) != 0) {
        vb_eio__close(s, "out of memory", NULL);
        return;
    }
    s->out.len = 0;
    for (size_t i = 0; i < pl.n && s->ws; i++) {
        const vb_eio_packet *pk = &pl.pk[i];
        int rc;
        if (pk->binary)
            rc = vb_ws_send(s->ws, VB_WS_BINARY, pk->data, pk->len);
        else
            rc = vb_ws_send(s->ws, VB_WS_TEXT, pk->data - 1, pk->len + 1);
        if (rc != 0) {
            s->ws = NULL;
            vb_eio__close(s, "transport error", NULL);
        }
    }
    vb_eio_payload_free(&pl);
    if (!s->out.len) vb_eio_sb_free(&s->out); /* the polling queue is over */
    if (s->ws) vb_eio__ws_gate(s);
}

static void ws_on_message(vb_ws *ws, int opcode, const char *data, size_t len, void *ud)
{
    vb_eio_socket *s = ud;
    if (!s || s->state == VB_EIO_ST_CLOSED) return;
    if (s->accepting && ws != s->ws && ws != s->probe) {
        if (s->accepting == 1)
            s->ws = ws;
        else
            s->probe = ws;
    }
    vb_eio_packet pk;
    if (ws == s->ws) {
        if (opcode == VB_WS_BINARY) {
            pk = (vb_eio_packet){VB_EIO_MESSAGE, 1, data, len};
        } else if (vb_eio_packet_decode(data, len, &pk) != 0) {
            vb_eio__close(s, "parse error", NULL);
            return;
        }
        on_packet(s, &pk);
        return;
    }
    if (ws != s->probe) return;
    if (opcode == VB_WS_TEXT && len == 6 && memcmp(data, "2probe", 6) == 0 && !s->probed) {
        s->probed = 1;
        if (vb_ws_send(ws, VB_WS_TEXT, "3probe", 6) != 0) return;
        if (s->get) answer_get(s, "6", 1);
    } else if (opcode == VB_WS_TEXT && len == 1 && data[0] == '5' && s->probed) {
        upgrade(s);
    } else {
        s->probe = NULL;
        s->state = VB_EIO_ST_POLLING;
        vb_ws_close(ws, 1002, "bad probe");
    }
}

static void ws_on_close(vb_ws *ws, int code, void *ud)
{
    vb_eio_socket *s = ud;
    if (!s) return;
    if (s->accepting) s->accept_closed = 1;
    if (ws == s->ws) {
        s->ws = NULL;
        vb_eio__close(s, "transport close", NULL);
    } else if (ws == s->probe) {
        s->probe = NULL;
        s->probed = 0;
        if (s->state == VB_EIO_ST_UPGRADING) s->state = VB_EIO_ST_POLLING;
    }
    vb_eio__session_unref(s);
}

static const vb_ws_handlers ws_handlers = {ws_on_message, ws_on_close};

int vb_eio__ws_attach(vb_eio_socket *s, vb_http_req *req, int probe)
{
    vb_ws_options opts = {s->srv->o.max_payload, s->srv->o.max_output};
    s->refs++; /* dropped by ws_on_close, or below on failure */
    s->accepting = probe ? 2 : 1;
    s->accept_closed = 0;
    vb_ws *ws = vb_ws_accept(req, &ws_handlers, s, &opts);
    s->accepting = 0;
    if (!ws) {
        vb_eio__session_unref(s);
        return VB_EIO;
    }
    if (s->accept_closed) return VB_EIO;
    if (probe) {
        s->probe = ws;
        s->probed = 0;
        s->state = VB_EIO_ST_UPGRADING;
    } else {
        s->ws = ws;
    }
    return 0;
}

static void reject_on_message(vb_ws *ws, int opcode, const char *data, size_t len, void *ud) {}

static void reject_on_close(vb_ws *ws, int code, void *ud) {}

static const vb_ws_handlers reject_handlers = {reject_on_message, reject_on_close};

void vb_eio__ws_reject(vb_http_req *req)
{
    vb_ws *ws = vb_ws_accept(req, &reject_handlers, NULL, NULL);
    if (ws) vb_ws_close(ws, 1008, "session already has a WebSocket");
}

void vb_eio__handshake_json(const vb_eio_socket *s, int upgrades, char *out, size_t outlen)
{
    const vb_eio_options *o = &s->srv->o;
    snprintf(out, outlen,
             "0{\"sid\":\"%s\",\"upgrades\":%s,\"pingInterval\":%u,\"pingTimeout\":%u,"
             "\"maxPayload\":%zu}",
             s->sid, upgrades ? "[\"websocket\"]" : "[]", o->ping_interval_ms, o->ping_timeout_ms,
             o->max_payload);
}

/* Sends one shared message over the session's current transport. */
int vb_eio_send_msg(vb_eio_socket *s, vb_eio_msg *m)
{
    if (s->state == VB_EIO_ST_CLOSED) return VB_EIO;
    if (s->state == VB_EIO_ST_WEBSOCKET) return vb_eio__ws_send(s, m);
    int rc = m->binary
                 ? vb_eio_payload_append(&s->out, VB_EIO_MESSAGE, 1, m->pkt->data, m->pkt->len)
                 : vb_eio_payload_append_raw(&s->out, m->pkt->data, m->pkt->len);
    if (rc != 0) return rc;
    if (s->out.len > s->srv->o.max_output) {
        vb_eio__close(s, "output limit", NULL);
        return VB_ETOOBIG;
    }
    vb_eio__schedule_flush(s);
    return 0;
}
