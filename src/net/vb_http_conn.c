/*
 * HTTP connection lifecycle: the state machine's timer (header, body, idle
 * and linger timeouts), closing with the handles' close callback, the
 * write-side shutdown, draining and failing a connection with an error
 * answer. Reading and the parse loop live in vb_http.c.
 */
#include <stdlib.h>

#include "core/vb_common.h"
#include "net/vb_http_internal.h"

static void on_timer(uv_timer_t *t);

void vb_http_conn_set_state(vb_http_conn *c, int st)
{
    if (c->state == VB_CONN_DRAIN || c->state == VB_CONN_CLOSED) return;
    if (st == c->state && st == VB_CONN_IDLE) return; /* keep the idle clock running */
    const vb_http_limits *l = &c->server->limits;
    unsigned ms = 0;
    c->state = st;
    switch (st) {
    case VB_CONN_IDLE:
        ms = l->idle_timeout_ms;
        /* Before the first request a silent peer gets no more than the header time. */
        if (c->served == 0 && l->header_timeout_ms && l->header_timeout_ms < ms)
            ms = l->header_timeout_ms;
        break;
    case VB_CONN_HEADERS:
        ms = l->header_timeout_ms;
        break;
    case VB_CONN_BODY:
        ms = l->body_timeout_ms;
        break;
    default:
        break;
    }
    uv_timer_stop(c->timer);
    if (ms) uv_timer_start(c->timer, on_timer, ms, 0);
}

/* Close callback of the connection's handles: frees the timer's memory,
 * and the connection once all of its handles are closed, then lets a
 * shutting-down server finish. */
static void on_conn_close(uv_handle_t *h)
{
    vb_http_conn *c = h->data;
    if (h->type == UV_TIMER) free(h); /* allocated apart from the connection */
    if (--c->handles_open > 0) return;
    vb_http_server *s = c->server;
    if (c->stream) vb_stream_release(c->stream); /* runs its on_close */
    vb_http_parse_free(c);
    free(c->in);
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    s->nconns--;
    vb_addr_give(&s->addrs, c->addr);
    free(c);
    vb_http_server_maybe_finish(s);
}

void vb_http_req_gone(vb_http_req *req)
{
    void (*fn)(vb_http_req *, void *) = req->on_gone;
    if (!fn) return;
    req->on_gone = NULL;
    fn(req, req->on_gone_ud);
}

void vb_http_conn_close(vb_http_conn *c)
{
    if (c->state == VB_CONN_CLOSED) return;
    c->state = VB_CONN_CLOSED;
    if (c->inflight) { /* the handler answers later; respond() then only frees */
        vb_http_req *req = c->inflight;
        req->conn = NULL;
        c->inflight = NULL;
        vb_http_req_gone(req);
    }
    c->reading = 0;
    vb_http_conn_timer_drop(c);
    /* Buffers are freed in the close callback: a parse loop may be on the stack. */
    uv_close((uv_handle_t *)&c->tcp, on_conn_close);
}

int vb_http_conn_timer_get(vb_http_conn *c)
{
    if (c->timer) return 0;
    c->timer = malloc(sizeof(*c->timer));
    if (!c->timer) return VB_ENOMEM;
    uv_timer_init(c->server->loop, c->timer);
    c->timer->data = c;
    c->handles_open++;
    return 0;
}

void vb_http_conn_timer_drop(vb_http_conn *c)
{
    if (!c->timer) return;
    uv_timer_stop(c->timer);
    uv_close((uv_handle_t *)c->timer, on_conn_close); /* frees it */
    c->timer = NULL;
}

/* A shutdown request with its callback; allocated only while it runs. */
typedef struct conn_shutdown {
    uv_shutdown_t req; /* req.data: the connection */
    void (*cb)(vb_http_conn *c, int status);
} conn_shutdown;

static void on_conn_shutdown(uv_shutdown_t *sr, int status)
{
    conn_shutdown *sd = VB_CONTAINER_OF(sr, conn_shutdown, req);
    vb_http_conn *c = sr->data;
    void (*cb)(vb_http_conn *, int) = sd->cb;
    free(sd);
    cb(c, status);
}

int vb_http_conn_shutdown(vb_http_conn *c, void (*cb)(vb_http_conn *c, int status))
{
    conn_shutdown *sd = malloc(sizeof(*sd));
    if (!sd) return VB_ENOMEM;
    sd->req.data = c;
    sd->cb = cb;
    if (uv_shutdown(&sd->req, (uv_stream_t *)&c->tcp, on_conn_shutdown) < 0) {
        free(sd);
        return VB_EIO;
    }
    return 0;
}

/* The write side is shut down (after the queued writes); once the peer has
 * also closed, nothing is left to do. */
static void on_shutdown(vb_http_conn *c, int status)
{
    if (c->state == VB_CONN_CLOSED) return;
    if (status < 0 || c->eof) vb_http_conn_close(c);
}

void vb_http_conn_drain(vb_http_conn *c)
{
    if (c->state == VB_CONN_DRAIN || c->state == VB_CONN_CLOSED) return;
    c->state = VB_CONN_DRAIN;
    if (vb_http_conn_timer_get(c) < 0) {
        vb_http_conn_close(c);
        return;
    }
    uv_timer_stop(c->timer);
    uv_timer_start(c->timer, on_timer, VB_HTTP_LINGER_MS, 0);
    if (vb_http_conn_shutdown(c, on_shutdown) < 0) {
        vb_http_conn_close(c);
        return;
    }
    vb_http_conn_start_reading(c); /* discard input until EOF, so the answer is not reset */
}

/* Sends an error answer for a request that cannot be handled and drains. */
void vb_http_conn_fail(vb_http_conn *c, int status)
{
    vb_http_write_error(c, status);
    vb_http_parse_reset(c);
    vb_http_conn_drain(c);
}

/* The connection's one timer fired: its meaning depends on the state. */
static void on_timer(uv_timer_t *t)
{
    vb_http_conn *c = t->data;
    switch (c->state) {
    case VB_CONN_IDLE:
        vb_http_conn_close(c);
        break; /* keep-alive expired: silent */
    case VB_CONN_HEADERS:
    case VB_CONN_BODY:
        if (c->inflight) { /* a streaming body too slow: its handler learns by on_gone */
            vb_http_conn_close(c);
            break;
        }
        vb_http_conn_fail(c, 408);
        break;
    case VB_CONN_DRAIN:
        vb_http_conn_close(c);
        break;
    default:
        break;
    }
}
