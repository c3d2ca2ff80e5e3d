/*
 * Streaming bodies for the HTTP server: request bodies handed to a sink as
 * they arrive (with backpressure: reading stops while the handler is
 * behind), and responses whose body is written in pieces, each with a
 * completion callback so the writer paces itself by the socket.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/vb_common.h"
#include "net/vb_http_internal.h"

void vb_http_server_set_stream_check(vb_http_server *s, vb_http_stream_check_fn fn)
{
    s->stream_check = fn;
}

/* The connection whose streaming body req is, or NULL. */
static vb_http_conn *stream_conn(vb_http_req *req)
{
    vb_http_conn *c = req->conn;
    if (!c || c->inflight != req || !c->p || !c->p->streaming) return NULL;
    if (c->state == VB_CONN_CLOSED || c->state == VB_CONN_DRAIN) return NULL;
    return c;
}

int vb_http_body_start(vb_http_req *req, const vb_http_body_sink *sink, void *ud)
{
    vb_http_conn *c = stream_conn(req);
    if (!c || c->p->sink) return VB_EIO;
    c->p->sink = sink;
    c->p->sink_ud = ud;
    c->p->body_paused = 0;
    /* A client that waits for "100 Continue" before the body gets it now
     * (and only now: a refused request is answered without reading it). */
    const char *expect = vb_http_header_get(req, "expect");
    if (expect && strcasecmp(expect, "100-continue") == 0 && !c->p->body_done) {
        static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
        vb_http_wbuf *w = vb_http_wbuf_new(sizeof cont - 1);
        if (!w) return VB_EIO;
        memcpy(w->data, cont, sizeof cont - 1);
        w->bufs[0] = uv_buf_init(w->data, (unsigned)(sizeof cont - 1));
        w->nbufs = 1;
        if (vb_http_conn_write(c, w) < 0) return VB_EIO;
    }
    if (c->p->body_done) { /* an empty body was already complete */
        sink->on_end(req, ud);
        return 0;
    }
    vb_http_conn_process(c);
    return 0;
}

void vb_http_body_pause(vb_http_req *req)
{
    vb_http_conn *c = stream_conn(req);
    if (!c || c->p->body_paused || c->p->body_done) return;
    c->p->body_paused = 1;
    if (c->timer) uv_timer_stop(c->timer); /* waiting for us, not for the peer */
    if (c->reading) {
        uv_read_stop((uv_stream_t *)&c->tcp);
        c->reading = 0;
    }
}

void vb_http_body_resume(vb_http_req *req)
{
    vb_http_conn *c = stream_conn(req);
    if (!c || !c->p->body_paused) return;
    if (c->p->body_done) { /* nothing left to read */
        c->p->body_paused = 0;
        return;
    }
    c->p->body_paused = 0;
    vb_http_conn_set_state(c, VB_CONN_BODY); /* the body timeout runs again */
    vb_http_conn_process(c);
}

int vb_http_conn_body_flowing(const vb_http_conn *c)
{
    return c->inflight && c->p && c->p->streaming && c->p->sink && !c->p->body_paused &&
           !c->p->body_done;
}

/* One piece of a streamed response: the uv request and a copy of the data. */
typedef struct resp_piece {
    uv_write_t wr;
    vb_http_req *req;
    void (*cb)(vb_http_req *req, int status, void *ud);
    void *ud;
    uv_buf_t buf;
    char data[];
} resp_piece;

int vb_http_respond_start(vb_http_req *req, int status, const char *content_type, uint64_t len)
{
    vb_http_conn *c = req->conn;
    req->status = status;
    if (!c) return VB_EIO;
    int keep = req->keep_alive && !req->server->shutting_down;
    if (c->p && c->p->streaming && !c->p->body_done) keep = 0;
    c->resp_keep = keep;
    vb_http_wbuf *w = vb_http_build_response(req->server, status, content_type, NULL, (size_t)len,
                                             keep, req->request_id, req, 1);
    if (!w) {
        vb_http_conn_close(c);
        return VB_EIO;
    }
    return vb_http_conn_write(c, w);
}

static void on_piece_written(uv_write_t *wr, int status)
{
    resp_piece *p = VB_CONTAINER_OF(wr, resp_piece, wr);
    vb_http_req *req = p->req;
    void (*cb)(vb_http_req *, int, void *) = p->cb;
    void *ud = p->ud;
    free(p);
    if (status < 0 && req->conn && req->conn->state != VB_CONN_CLOSED)
        vb_http_conn_close(req->conn);
    if (cb) cb(req, status < 0 ? VB_EIO : 0, ud);
}

int vb_http_respond_write(vb_http_req *req, const char *data, size_t len,
                          void (*cb)(vb_http_req *req, int status, void *ud), void *ud)
{
    vb_http_conn *c = req->conn;
    if (!c || c->state == VB_CONN_CLOSED) return VB_EIO;
    resp_piece *p = malloc(sizeof(*p) + len);
    if (!p) {
        vb_http_conn_close(c);
        return VB_EIO;
    }
    p->req = req;
    p->cb = cb;
    p->ud = ud;
    memcpy(p->data, data, len);
    p->buf = uv_buf_init(p->data, (unsigned)len);
    if (uv_write(&p->wr, (uv_stream_t *)&c->tcp, &p->buf, 1, on_piece_written) < 0) {
        free(p);
        vb_http_conn_close(c);
        return VB_EIO;
    }
    return 0;
}

void vb_http_respond_end(vb_http_req *req)
{
    vb_http_conn *c = req->conn;
    vb_http_req_finish(req, c ? c->resp_keep : 0);
}
