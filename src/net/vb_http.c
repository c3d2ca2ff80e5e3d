/*
 * HTTP server lifecycle: the listener, accepting, reading and the parse loop
 * with pipelining, and server shutdown. Connection timers, draining and
 * closing live in vb_http_conn.c, parsing callbacks in vb_http_parse.c,
 * response writing in vb_http_write.c, connection takeover in vb_stream.c.
 */
#include <stdlib.h>
#include <string.h>

#include "core/vb_common.h"
#include "core/vb_log.h"
#include "net/vb_http_internal.h"

void vb_http_limits_default(vb_http_limits *l)
{
    l->max_header_bytes = 16 * 1024;
    l->max_body_bytes = 5 * 1024 * 1024;
    l->header_timeout_ms = 10000;
    l->body_timeout_ms = 30000;
    l->idle_timeout_ms = 60000;
    l->max_connections = 19800;
    l->max_connections_per_address = 1000;
    l->exempt = NULL;
    l->exempt_ud = NULL;
}

int vb_http_server_port(const vb_http_server *s)
{
    return s->port;
}

size_t vb_http_server_connections(const vb_http_server *s)
{
    return s->nconns;
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf);
static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
static void conn_process(vb_http_conn *c);

/* 1 while the parser may run: not busy with a request, not ending. */
static int parse_allowed(const vb_http_conn *c)
{
    return c->state == VB_CONN_IDLE || c->state == VB_CONN_HEADERS || c->state == VB_CONN_BODY;
}

void vb_http_conn_start_reading(vb_http_conn *c)
{
    if (c->reading || c->eof || c->state == VB_CONN_CLOSED) return;
    if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) == 0) c->reading = 1;
}

static void stop_reading(vb_http_conn *c)
{
    if (!c->reading) return;
    uv_read_stop((uv_stream_t *)&c->tcp);
    c->reading = 0;
}

/* Hands the completed request to the handler (which may answer at once). */
static void dispatch(vb_http_conn *c)
{
    vb_http_server *s = c->server;
    vb_http_req *req = c->p->cur;
    c->p->cur = NULL;
    c->p->msg_complete = 0;
    c->p->stream_ready = 0;
    c->inflight = req;
    s->live_reqs++;
    s->handler(req, s->ud);
}

/*
 * Feeds data[0..len) to the parser until it is all consumed, a request is
 * with the handler, or the connection stops parsing. A request that completes
 * pauses the parser; its end is llhttp_get_error_pos(). The parse state is
 * allocated here when the connection has none. Returns the number of bytes
 * consumed (all of them after a parse error, which drains, or when memory
 * ran out, which closes).
 */
static size_t conn_parse(vb_http_conn *c, const char *data, size_t len)
{
    size_t used = 0;
    while (used < len && (!c->inflight || vb_http_conn_body_flowing(c)) && parse_allowed(c)) {
        if (vb_http_parse_begin(c) < 0) {
            vb_http_conn_close(c);
            return len;
        }
        llhttp_t *parser = &c->p->parser;
        llhttp_errno_t err = llhttp_execute(parser, data + used, len - used);
        if (err == HPE_OK) return len;
        if (err == HPE_PAUSED || err == HPE_PAUSED_UPGRADE) {
            const char *pos = llhttp_get_error_pos(parser);
            used = pos ? (size_t)(pos - data) : len;
            if (err == HPE_PAUSED)
                llhttp_resume(parser);
            else
                llhttp_resume_after_upgrade(parser);
            if (c->p->msg_complete || c->p->stream_ready)
                dispatch(c); /* may take the connection over */
            continue;
        }
        vb_http_conn_fail(c, c->p->err_status ? c->p->err_status : 400);
        return len;
    }
    return used;
}

/* Appends bytes to the unparsed input. Returns 0 or VB_ENOMEM. */
static int input_append(vb_http_conn *c, const char *data, size_t n)
{
    if (c->in_off > 0 && c->in_len + n > c->in_cap) { /* compact first */
        memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
        c->in_len -= c->in_off;
        c->in_off = 0;
    }
    if (c->in_len + n > c->in_cap) {
        size_t cap = c->in_cap ? c->in_cap : 4096;
        while (cap < c->in_len + n)
            cap *= 2;
        char *nb = realloc(c->in, cap);
        if (!nb) return VB_ENOMEM;
        c->in = nb;
        c->in_cap = cap;
    }
    memcpy(c->in + c->in_len, data, n);
    c->in_len += n;
    return 0;
}

/* Decides about reading and end of input after progress was made. */
static void conn_update(vb_http_conn *c)
{
    if (c->state == VB_CONN_DRAIN || c->state == VB_CONN_CLOSED) return;
    size_t buffered = c->in_len - c->in_off;
    if (c->eof) {
        if (c->inflight) return; /* the answer goes out first */
        if (c->state == VB_CONN_HEADERS || c->state == VB_CONN_BODY)
            vb_http_conn_close(c); /* truncated request: nobody to answer */
        else
            vb_http_conn_drain(c);
        return;
    }
    if (c->server->shutting_down && !c->inflight) {
        vb_http_conn_drain(c);
        return;
    }
    if (c->inflight && c->p && c->p->streaming && !c->p->body_done &&
        !vb_http_conn_body_flowing(c)) {
        /* a streaming body not started yet, or paused: wait, up to a margin */
        if (buffered >= VB_HTTP_INPUT_MARGIN)
            stop_reading(c);
        else
            vb_http_conn_start_reading(c);
        if (c->p->body_paused) stop_reading(c);
        return;
    }
    if (buffered < c->server->limits.max_header_bytes + VB_HTTP_INPUT_MARGIN)
        vb_http_conn_start_reading(c);
    else
        stop_reading(c);
}

/* Parses the buffered input (unless a request is in flight), then updates
 * reading and timers. Re-entry from a synchronous respond() is a no-op: the
 * running loop continues. */
void vb_http_conn_process(vb_http_conn *c)
{
    conn_process(c);
}

static void conn_process(vb_http_conn *c)
{
    if (c->processing) return;
    c->processing = 1;
    if (c->in_off < c->in_len && parse_allowed(c) && (!c->inflight || vb_http_conn_body_flowing(c)))
        c->in_off += conn_parse(c, c->in + c->in_off, c->in_len - c->in_off);
    if (c->state == VB_CONN_STREAM) { /* taken over: the stream owns the rest of the input */
        c->processing = 0;
        return;
    }
    if (c->in_off >= c->in_len || (!parse_allowed(c) && !c->inflight)) c->in_off = c->in_len = 0;
    if (c->in_len == 0 && c->in_cap > 4 * 4096) { /* do not keep a large buffer idle */
        free(c->in);
        c->in = NULL;
        c->in_cap = 0;
    }
    /* Between requests with nothing buffered no parse state is needed: a
     * keep-alive connection waits with only the connection struct. */
    if (c->state == VB_CONN_IDLE && c->in_len == 0 && !c->inflight) vb_http_parse_free(c);
    c->processing = 0;
    conn_update(c);
}

void vb_http_conn_after_response(vb_http_conn *c, int keep_alive)
{
    if (c->state == VB_CONN_CLOSED || c->state == VB_CONN_DRAIN) return;
    if (!keep_alive) {
        vb_http_conn_drain(c);
        return;
    }
    vb_http_conn_set_state(c, VB_CONN_IDLE);
    conn_process(c);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    vb_http_conn *c = h->data;
    buf->base = c->server->rbuf; /* consumed before the next read on this loop */
    buf->len = sizeof(c->server->rbuf);
}

/*
 * Read callback. Input is parsed straight from the shared read buffer when
 * nothing is buffered; leftovers (pipelined requests, bytes arriving while a
 * request is in flight) are copied into the connection's input buffer.
 */
static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    vb_http_conn *c = st->data;
    if (c->state == VB_CONN_CLOSED) return;
    if (nread < 0) {
        if (nread == UV_EOF && c->state != VB_CONN_DRAIN) {
            c->eof = 1;
            stop_reading(c);
            /* A held request (long-polling) learns that its client left; it
             * may answer now, into the half-closed connection. */
            if (c->inflight) vb_http_req_gone(c->inflight);
            if (c->state == VB_CONN_CLOSED) return;
            conn_update(c);
        } else {
            vb_http_conn_close(c); /* reset, or EOF while draining */
        }
        return;
    }
    if (nread == 0 || c->state == VB_CONN_DRAIN) return;
    size_t n = (size_t)nread, used = 0;
    if (c->in_off == c->in_len && (!c->inflight || vb_http_conn_body_flowing(c))) {
        c->processing = 1;
        used = conn_parse(c, buf->base, n);
        c->processing = 0;
    }
    /* Bytes behind a request that took the connection over are kept for the
     * stream, which delivers them on the next loop pass. */
    if (used < n && (parse_allowed(c) || c->state == VB_CONN_BUSY || c->state == VB_CONN_STREAM)) {
        if (input_append(c, buf->base + used, n - used) < 0) {
            vb_http_conn_close(c);
            return;
        }
    }
    conn_process(c);
}

/* Copies the peer address of c's socket into c->client_ip. */
static void peer_name(vb_http_conn *c)
{
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) != 0) return;
    if (ss.ss_family == AF_INET)
        uv_ip4_name((struct sockaddr_in *)&ss, c->client_ip, sizeof(c->client_ip));
    else if (ss.ss_family == AF_INET6)
        uv_ip6_name((struct sockaddr_in6 *)&ss, c->client_ip, sizeof(c->client_ip));
}

/* Accepts one connection; beyond max_connections (or while shutting down)
 * it is closed at once. */
static void on_connection(uv_stream_t *ls, int status)
{
    vb_http_server *s = ls->data;
    if (status < 0) {
        vb_log(VB_LOG_WARN, "http accept: %s", uv_strerror(status));
        return;
    }
    vb_http_conn *c = calloc(1, sizeof(*c));
    uv_timer_t *timer = malloc(sizeof(*timer));
    if (!c || !timer) {
        free(c);
        free(timer);
        return;
    }
    c->server = s;
    uv_tcp_init(s->loop, &c->tcp);
    c->tcp.data = c;
    c->timer = timer;
    uv_timer_init(s->loop, c->timer);
    c->timer->data = c;
    c->handles_open = 2;
    c->next = s->conns;
    if (s->conns) s->conns->prev = c;
    s->conns = c;
    s->nconns++;
    c->state = VB_CONN_BUSY; /* so that entering IDLE below arms the timer */
    if (uv_accept(ls, (uv_stream_t *)&c->tcp) != 0 || s->shutting_down ||
        s->nconns > s->limits.max_connections) {
        vb_http_conn_close(c);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    peer_name(c);
    int exempt = s->limits.exempt && s->limits.exempt(c->client_ip, s->limits.exempt_ud);
    char key[VB_ADDR_KEY_LEN];
    vb_addr_key(c->client_ip, key);
    c->addr = exempt ? NULL : vb_addr_take(&s->addrs, key, s->limits.max_connections_per_address);
    if (!exempt && !c->addr) {
        vb_http_conn_fail(c, 429); /* answered, then drained */
        return;
    }
    vb_http_conn_set_state(c, VB_CONN_IDLE);
    vb_http_conn_start_reading(c);
}

static void on_flush_close(uv_handle_t *h)
{
    vb_http_server *s = h->data;
    s->flush_open = 0;
    vb_http_server_maybe_finish(s);
}

static void on_trim_close(uv_handle_t *h)
{
    vb_http_server *s = h->data;
    s->trim_open = 0;
    vb_http_server_maybe_finish(s);
}

unsigned long vb_http_server_trims(const vb_http_server *s)
{
    return s->trims;
}

/* Frees a shutting-down server once its listener, connections and live
 * requests are gone; the flush handle is closed last (no stream is left). */
void vb_http_server_maybe_finish(vb_http_server *s)
{
    if (!s->shutting_down || s->listener_open || s->nconns > 0 || s->live_reqs > 0) return;
    if (s->trim_open) {
        if (!s->trim_closing) {
            s->trim_closing = 1;
            uv_close((uv_handle_t *)&s->trim, on_trim_close);
        }
        return;
    }
    if (s->flush_open) {
        if (!s->flush_closing) {
            s->flush_closing = 1;
            uv_close((uv_handle_t *)&s->flush, on_flush_close);
        }
        return;
    }
    void (*cb)(void *) = s->shutdown_cb;
    void *arg = s->shutdown_arg;
    vb_addr_clear(&s->addrs);
    free(s);
    if (cb) cb(arg);
}

static void on_listener_close(uv_handle_t *h)
{
    vb_http_server *s = h->data;
    s->listener_open = 0;
    vb_http_server_maybe_finish(s);
}

int vb_http_server_new(vb_http_server **out, uv_loop_t *loop, const char *host, int port,
                       const vb_http_limits *limits, vb_http_handler_fn handler,
                       vb_http_done_fn done, void *ud)
{
    *out = NULL;
    vb_http_server *s = calloc(1, sizeof(*s));
    if (!s) return VB_ENOMEM;
    s->loop = loop;
    if (limits)
        s->limits = *limits;
    else
        vb_http_limits_default(&s->limits);
    s->handler = handler;
    s->done = done;
    s->ud = ud;
    vb_http_parse_settings(&s->settings);
    uv_timer_init(loop, &s->trim);
    s->trim.data = s;
    s->trim_open = 1;
    uv_unref((uv_handle_t *)&s->trim);
    uv_prepare_init(loop, &s->flush);
    s->flush.data = s;
    s->flush_open = 1;
    uv_tcp_init(loop, &s->listener);
    s->listener.data = s;
    s->listener_open = 1;

    if (!host) host = "0.0.0.0";
    struct sockaddr_storage addr;
    int rc = strchr(host, ':') ? uv_ip6_addr(host, port, (struct sockaddr_in6 *)&addr)
                               : uv_ip4_addr(host, port, (struct sockaddr_in *)&addr);
    if (rc == 0) rc = uv_tcp_bind(&s->listener, (const struct sockaddr *)&addr, 0);
    if (rc == 0) rc = uv_listen((uv_stream_t *)&s->listener, 1024, on_connection);
    if (rc == 0) {
        struct sockaddr_storage bound;
        int len = sizeof(bound);
        rc = uv_tcp_getsockname(&s->listener, (struct sockaddr *)&bound, &len);
        if (rc == 0)
            s->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                        : ((struct sockaddr_in *)&bound)->sin_port);
    }
    if (rc != 0) {
        vb_log(VB_LOG_ERROR, "http listen on %s:%d: %s", host, port, uv_strerror(rc));
        s->shutting_down = 1; /* the close callback frees s */
        uv_close((uv_handle_t *)&s->listener, on_listener_close);
        return VB_EIO;
    }
    *out = s;
    return 0;
}

void vb_http_server_stop_accepting(vb_http_server *s)
{
    if (!s || s->shutting_down || s->accept_stopped) return;
    s->accept_stopped = 1;
    uv_close((uv_handle_t *)&s->listener, on_listener_close);
}

void vb_http_server_shutdown(vb_http_server *s, void (*cb)(void *arg), void *arg)
{
    if (s->shutting_down) return;
    s->shutting_down = 1;
    s->shutdown_cb = cb;
    s->shutdown_arg = arg;
    if (!s->accept_stopped) uv_close((uv_handle_t *)&s->listener, on_listener_close);
    s->accept_stopped = 1;
    for (vb_http_conn *c = s->conns; c; c = c->next) {
        switch (c->state) {
        case VB_CONN_IDLE:
        case VB_CONN_HEADERS:
        case VB_CONN_BODY:
            /* Not busy: close now, unless an answer is still being written. */
            if (uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) == 0)
                vb_http_conn_close(c);
            else
                vb_http_conn_drain(c);
            break;
        case VB_CONN_STREAM:
            vb_stream_close(c->stream); /* flushes, then closes within the linger */
            break;
        default:
            break; /* busy ones drain after their answer; others are ending */
        }
    }
    /* With the listener already closed and nothing open, it ends here. */
    vb_http_server_maybe_finish(s);
}
