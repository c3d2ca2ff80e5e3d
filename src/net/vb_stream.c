/*
 * Connections taken over from HTTP (see vb_stream.h). The connection struct
 * stays on the server's list in state VB_CONN_STREAM so that shutdown and
 * the connection count still see it; the stream installs its own read
 * callback, reuses the connection's timer (first to deliver input that was
 * buffered behind the request, later as the close linger) and writes with
 * one uv_write request at a time, allocated only for the write.
 *
 * Output is corked: vb_stream_send only queues a reference and puts the
 * stream on the server's dirty list; the server's prepare handle writes
 * every dirty stream once per loop pass, before the loop polls: directly
 * (uv_try_write, no request, no poll registration) as far as the socket
 * takes it, the rest with one uv_write of up to STREAM_MAX_BUFS buffers; the
 * write callback continues with whatever was queued meanwhile.
 *
 * Lifetime: closing only calls vb_http_conn_close(); the stream is freed in
 * vb_stream_release(), from the connection's close callback, after its
 * on_close ran exactly once. Pending writes are cancelled by libuv before
 * that callback, so a write callback never sees a freed stream.
 */
#include <stdlib.h>
#include <string.h>

#include "core/vb_common.h"
#include "net/vb_http_internal.h"
#include "net/vb_stream.h"

#define STREAM_MAX_BUFS 64
#define STREAM_LINGER_MS 2000

/* The write in flight (at most one per stream): allocated only when the
 * socket does not take the output at once, freed by its callback. */
typedef struct stream_wreq {
    uv_write_t req;
    vb_stream *s;
    vb_buf *bufs[STREAM_MAX_BUFS]; /* refs of the buffers being written */
} stream_wreq;

struct vb_stream {
    vb_http_conn *conn;
    vb_http_server *server;
    vb_stream_handlers h;
    void *ud;
    size_t limit;
    size_t queued; /* bytes queued plus bytes in flight */
    /* queue of buffers not yet handed to a write: q[q_off..q_len) */
    vb_buf **q;
    size_t q_off, q_len, q_cap;
    /* the write in flight (at most one) */
    stream_wreq *wr;
    unsigned wn;
    size_t wbytes;
    int writing;
    int closing;  /* vb_stream_close() called: flush, shut down, then close */
    int shut;     /* uv_shutdown() issued */
    int in_dirty; /* on the server's dirty list */
    vb_stream *dprev, *dnext;
};

static void stream_flush(vb_stream *s);
static void begin_shutdown(vb_stream *s);

/* ---- output accounting, and giving memory back after a burst ---- */

/* The trim timer's callback (vb_stream.c). */
static void vb_stream_trim_cb(uv_timer_t *t)
{
    vb_http_server *srv = t->data;
    srv->out_since_trim = 0;
    srv->trims++;
    vb_mem_trim();
}

static void queued_add(vb_stream *s, size_t n)
{
    s->queued += n;
    s->server->out_queued += n;
    s->server->out_since_trim += n;
}

/* Once every stream's output is written after a burst (the queues, frames
 * and buffers it took are freed by then), the allocator is asked to give
 * the freed pages back, a little later and once for the whole burst. */
static void queued_sub(vb_stream *s, size_t n)
{
    vb_http_server *srv = s->server;
    s->queued -= n;
    srv->out_queued -= n;
    if (srv->out_queued == 0 && srv->out_since_trim >= VB_HTTP_TRIM_AFTER_BYTES && srv->trim_open &&
        !srv->trim_closing && !uv_is_active((uv_handle_t *)&srv->trim))
        uv_timer_start(&srv->trim, vb_stream_trim_cb, VB_HTTP_TRIM_DELAY_MS, 0);
}

static int is_closed(const vb_stream *s)
{
    return s->conn->state == VB_CONN_CLOSED;
}

/* Removes s from the server's dirty list (no-op when it is not listed). */
static void dirty_unlink(vb_stream *s)
{
    if (!s->in_dirty) return;
    if (s->dprev)
        s->dprev->dnext = s->dnext;
    else
        s->server->dirty = s->dnext;
    if (s->dnext) s->dnext->dprev = s->dprev;
    s->dprev = s->dnext = NULL;
    s->in_dirty = 0;
}

/* Prepare callback: writes every stream that queued output during this loop
 * pass. stream_flush never runs callbacks synchronously (a failing uv_write
 * only starts closing), so the list is not modified behind our back. */
static void on_flush(uv_prepare_t *p)
{
    vb_http_server *srv = p->data;
    vb_stream *s;
    while ((s = srv->dirty) != NULL) {
        dirty_unlink(s);
        stream_flush(s);
    }
    uv_prepare_stop(p);
}

/* Puts s on the dirty list, starting the prepare handle for the first one. */
static void mark_dirty(vb_stream *s)
{
    if (s->in_dirty || s->writing) return; /* a running write continues by itself */
    vb_http_server *srv = s->server;
    if (!srv->dirty) uv_prepare_start(&srv->flush, on_flush);
    s->dnext = srv->dirty;
    s->dprev = NULL;
    if (srv->dirty) srv->dirty->dprev = s;
    srv->dirty = s;
    s->in_dirty = 1;
}

/* Closes now, dropping queued output. */
static void vb_stream_abort(vb_stream *s)
{
    if (is_closed(s)) return;
    dirty_unlink(s);
    vb_http_conn_close(s->conn); /* on_close runs from the close callback */
}

/* Drops the refs of the buffers in write request w, frees it and clears the
 * stream's in-flight write accounting. */
static void wreq_release(vb_stream *s, stream_wreq *w)
{
    for (unsigned i = 0; i < s->wn; i++)
        vb_buf_unref(w->bufs[i]);
    free(w);
    s->wr = NULL;
    queued_sub(s, s->wbytes);
    s->wn = 0;
    s->wbytes = 0;
    s->writing = 0;
}

/* Write completion: drops the written buffers' refs, then continues with
 * queued output, or proceeds with a graceful close once all is written. */
static void on_write(uv_write_t *wr, int status)
{
    stream_wreq *w = VB_CONTAINER_OF(wr, stream_wreq, req);
    vb_stream *s = w->s;
    wreq_release(s, w);
    if (is_closed(s)) return;
    if (status < 0) {
        vb_stream_abort(s);
        return;
    }
    if (s->q_off < s->q_len)
        stream_flush(s);
    else if (s->closing)
        begin_shutdown(s);
}

/*
 * Tries to write ub[0..n) (the data of bufs[0..n)) at once, without a write
 * request: whatever the socket takes now is done, its buffers' refs dropped
 * and its bytes no longer queued. Returns how many leading buffers went
 * entirely; the first one that did not is advanced past its written part.
 * On EAGAIN or any error nothing is written (the uv_write that follows meets
 * and reports the error as before).
 */
static size_t stream_try_write(vb_stream *s, uv_buf_t *ub, vb_buf **bufs, size_t n)
{
    int w = uv_try_write((uv_stream_t *)&s->conn->tcp, ub, (unsigned)n);
    if (w <= 0) return 0;
    size_t done = 0, left = (size_t)w;
    queued_sub(s, left);
    while (done < n && left >= ub[done].len) {
        left -= ub[done].len;
        vb_buf_unref(bufs[done]);
        done++;
    }
    if (done < n) {
        ub[done].base += left;
        ub[done].len -= (unsigned)left;
    }
    return done;
}

/* Writes up to STREAM_MAX_BUFS queued buffers at a time (nothing if a write
 * is in flight: its callback continues): first directly (uv_try_write), then
 * what the socket did not take with one uv_write, whose callback continues.
 * The refs of the buffers in flight move to the write request s->wr. */
static void stream_flush(vb_stream *s)
{
    uv_buf_t ub[STREAM_MAX_BUFS];
    vb_buf *bufs[STREAM_MAX_BUFS];
    for (;;) {
        if (s->writing || is_closed(s)) return;
        size_t n = s->q_len - s->q_off;
        if (n == 0) {
            if (s->closing) begin_shutdown(s);
            return;
        }
        if (n > STREAM_MAX_BUFS) n = STREAM_MAX_BUFS;
        for (size_t i = 0; i < n; i++) {
            vb_buf *b = s->q[s->q_off + i];
            bufs[i] = b;
            ub[i] = uv_buf_init(b->data, (unsigned)b->len);
        }
        s->q_off += n;
        if (s->q_off == s->q_len) { /* drained: an idle stream keeps no queue */
            free(s->q);
            s->q = NULL;
            s->q_off = s->q_len = s->q_cap = 0;
        }
        size_t done = stream_try_write(s, ub, bufs, n);
        if (done == n) continue; /* all written: go on with the rest of the queue */
        stream_wreq *w = malloc(sizeof(*w));
        if (!w) {
            for (size_t i = done; i < n; i++) {
                queued_sub(s, ub[i].len);
                vb_buf_unref(bufs[i]);
            }
            vb_stream_abort(s);
            return;
        }
        w->s = s;
        s->wr = w;
        s->wn = (unsigned)(n - done);
        s->wbytes = 0;
        for (size_t i = 0; i < s->wn; i++) {
            w->bufs[i] = bufs[done + i];
            ub[i] = ub[done + i];
            s->wbytes += ub[i].len;
        }
        s->writing = 1;
        if (uv_write(&w->req, (uv_stream_t *)&s->conn->tcp, ub, s->wn, on_write) < 0) {
            wreq_release(s, w);
            vb_stream_abort(s);
        }
        return;
    }
}

/* The write side is shut down after the last write; once the peer's EOF
 * is seen as well (or the linger expires) the connection is closed. */
static void on_shutdown(vb_http_conn *c, int status)
{
    if (c->state == VB_CONN_CLOSED) return;
    if (status < 0 || c->eof) vb_stream_abort(c->stream);
}

static void begin_shutdown(vb_stream *s)
{
    if (s->shut || is_closed(s)) return;
    s->shut = 1;
    if (vb_http_conn_shutdown(s->conn, on_shutdown) < 0) vb_stream_abort(s);
}

/* Appends a reference to b to the queue. Returns 0 or VB_ENOMEM. */
static int queue_push(vb_stream *s, vb_buf *b)
{
    if (s->q_len == s->q_cap) {
        if (s->q_off > 0) {
            memmove(s->q, s->q + s->q_off, (s->q_len - s->q_off) * sizeof(*s->q));
            s->q_len -= s->q_off;
            s->q_off = 0;
        } else {
            size_t cap = s->q_cap ? s->q_cap * 2 : 4;
            vb_buf **nq = realloc(s->q, cap * sizeof(*nq));
            if (!nq) return VB_ENOMEM;
            s->q = nq;
            s->q_cap = cap;
        }
    }
    s->q[s->q_len++] = vb_buf_ref(b);
    return 0;
}

int vb_stream_send(vb_stream *s, vb_buf *b)
{
    if (is_closed(s) || s->closing) return VB_EIO;
    if (b->len > s->limit || s->queued > s->limit - b->len) {
        vb_stream_abort(s); /* the peer does not keep up: drop it */
        return VB_ETOOBIG;
    }
    if (b->len == 0) return 0;
    if (queue_push(s, b) < 0) {
        vb_stream_abort(s);
        return VB_EIO;
    }
    queued_add(s, b->len);
    mark_dirty(s);
    return 0;
}

int vb_stream_send_copy(vb_stream *s, const void *data, size_t len)
{
    if (is_closed(s) || s->closing) return VB_EIO;
    vb_buf *b = vb_buf_copy(data, len);
    if (!b) {
        vb_stream_abort(s);
        return VB_EIO;
    }
    int rc = vb_stream_send(s, b);
    vb_buf_unref(b);
    return rc;
}

/* Delivers input that arrived behind the taken-over request (kept in the
 * connection's input buffer), once. */
static void deliver_pending(vb_stream *s)
{
    vb_http_conn *c = s->conn;
    if (!c->in) return;
    char *in = c->in;
    size_t off = c->in_off, len = c->in_len;
    c->in = NULL; /* taken: nothing else uses it any more */
    c->in_off = c->in_len = c->in_cap = 0;
    if (off < len && s->h.on_data && !s->closing && !is_closed(s))
        s->h.on_data(s, in + off, len - off, s->ud);
    free(in);
}

/* The connection's timer: the first firing (0 ms after takeover) delivers
 * buffered input, then the timer is dropped (an open stream needs none);
 * while closing it is the linger, which closes for good. */
static void on_timer(uv_timer_t *t)
{
    vb_http_conn *c = t->data;
    vb_stream *s = c->stream;
    if (is_closed(s)) return;
    if (s->closing) {
        vb_stream_abort(s);
        return;
    }
    deliver_pending(s);
    if (c->eof && !is_closed(s)) vb_stream_close(s); /* the peer had already finished */
    if (!is_closed(s) && !s->closing) vb_http_conn_timer_drop(c);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    vb_http_conn *c = h->data;
    buf->base = c->server->rbuf; /* consumed before the next read on this loop */
    buf->len = sizeof(c->server->rbuf);
}

/* Read callback: input goes to on_data (after any input still pending from
 * the takeover); EOF closes gracefully, errors close now. While closing,
 * input is read and discarded until EOF. */
static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    vb_http_conn *c = st->data;
    vb_stream *s = c->stream;
    if (is_closed(s)) return;
    if (nread < 0) {
        if (nread != UV_EOF || s->closing) {
            vb_stream_abort(s);
            return;
        }
        c->eof = 1;
        uv_read_stop(st);
        c->reading = 0;
        deliver_pending(s);
        if (!is_closed(s)) vb_stream_close(s);
        return;
    }
    if (nread == 0 || s->closing) return;
    deliver_pending(s);
    if (s->h.on_data && !s->closing && !is_closed(s))
        s->h.on_data(s, buf->base, (size_t)nread, s->ud);
}

/*
 * See vb_stream.h. Precondition: req is with the handler (not answered).
 * The done callback sees req with req->status as set by the caller (101 is
 * assumed for an Upgrade request, 200 otherwise, when the caller left 0).
 */
vb_stream *vb_stream_takeover(vb_http_req *req, const vb_stream_handlers *h, void *ud)
{
    static const char busy[] =
        "{\"statusCode\":503,\"code\":\"UNAVAILABLE\",\"message\":\"Server is shutting down\"}";
    static const char oom[] =
        "{\"statusCode\":500,\"code\":\"INTERNAL_ERROR\",\"message\":\"Internal server error\"}";
    vb_http_server *srv = req->server;
    vb_http_conn *c = req->conn;
    if (!c || c->inflight != req || c->state != VB_CONN_BUSY || srv->shutting_down) {
        vb_http_respond(req, 503, "application/json", busy, sizeof(busy) - 1); /* frees if gone */
        return NULL;
    }
    vb_stream *s = calloc(1, sizeof(*s));
    if (!s) {
        vb_http_respond(req, 500, "application/json", oom, sizeof(oom) - 1);
        return NULL;
    }
    s->conn = c;
    s->server = srv;
    if (h) s->h = *h;
    s->ud = ud;
    s->limit = VB_STREAM_DEFAULT_LIMIT;

    /* The request ends here, as if answered: log it and free it. */
    if (req->status == 0) req->status = vb_http_header_get(req, "upgrade") ? 101 : 200;
    c->inflight = NULL;
    c->served++;
    srv->live_reqs--;
    if (srv->done) srv->done(req, srv->ud);
    vb_http_req_free(req);
    vb_http_parse_free(c); /* HTTP parsing is over for this connection */

    c->stream = s;
    c->state = VB_CONN_STREAM;
    uv_timer_stop(c->timer);
    if (c->reading) {
        uv_read_stop((uv_stream_t *)&c->tcp);
        c->reading = 0;
    }
    if (!c->eof && uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) == 0) c->reading = 1;
    /* Input already buffered (or still arriving in the read callback that is
     * running now) is delivered on the next pass, never re-entrantly. */
    uv_timer_start(c->timer, on_timer, 0, 0);
    return s;
}

void vb_stream_close(vb_stream *s)
{
    if (is_closed(s) || s->closing) return;
    s->closing = 1;
    if (vb_http_conn_timer_get(s->conn) < 0) { /* no linger without a timer */
        vb_stream_abort(s);
        return;
    }
    uv_timer_stop(s->conn->timer);
    uv_timer_start(s->conn->timer, on_timer, STREAM_LINGER_MS, 0);
    if (!s->writing && s->q_off == s->q_len) begin_shutdown(s);
    /* else the flush (already scheduled) or the running write's callback
     * shuts down once everything is written */
}

void vb_stream_release(vb_stream *s)
{
    dirty_unlink(s);
    if (s->h.on_close) s->h.on_close(s, s->ud);
    for (size_t i = s->q_off; i < s->q_len; i++)
        vb_buf_unref(s->q[i]);
    if (s->wr) { /* only if a write callback never ran */
        for (unsigned i = 0; i < s->wn; i++)
            vb_buf_unref(s->wr->bufs[i]);
        free(s->wr);
    }
    free(s->q);
    s->server->out_queued -= s->queued; /* output never written */
    s->conn->stream = NULL;
    free(s);
}

void vb_stream_set_limit(vb_stream *s, size_t max_queued)
{
    s->limit = max_queued;
}

size_t vb_stream_queued(const vb_stream *s)
{
    return s->queued;
}

const char *vb_stream_peer(const vb_stream *s)
{
    return s->conn->client_ip;
}
