/*
 * Engine.IO session output scheduling: the server's flush list (one idle
 * pass flushes polling queues to held GETs) and WebSocket output batching
 * with its gate (see vb_eio__ws_send).
 */
#include "rt/vb_eio_internal.h"

#include "core/vb_common.h"

#include <stdlib.h>
#include <string.h>

static void ws_flush(vb_eio_socket *s);

/* Runs once per loop pass while sessions wait: flushes polling queues to
 * held GETs and releases the WebSocket batch gate (see vb_eio__ws_send).
 * The list is detached first, so sessions may re-queue themselves. */
static void flush_idle_cb(uv_idle_t *h)
{
    vb_eio_server *srv = h->data;
    vb_eio_socket *list = srv->flush_head;
    srv->flush_head = NULL;
    while (list) {
        vb_eio_socket *s = list;
        list = s->flush_next;
        s->in_flush = 0;
        if (s->state == VB_EIO_ST_POLLING || s->state == VB_EIO_ST_UPGRADING)
            vb_eio__flush_poll(s);
        else if (s->state == VB_EIO_ST_WEBSOCKET)
            ws_flush(s);
        vb_eio__session_unref(s);
    }
    if (!srv->flush_head) uv_idle_stop(h);
}

/* Puts s on the server's flush list (once), for the next idle pass. */
static void schedule(vb_eio_socket *s)
{
    if (s->in_flush) return;
    s->in_flush = 1;
    s->refs++;
    s->flush_next = s->srv->flush_head;
    s->srv->flush_head = s;
    uv_idle_start(&s->srv->flush_idle, flush_idle_cb);
}

/* Queues a flush of the polling output at the end of this loop pass, so
 * that packets queued together go out in one response. */
void vb_eio__schedule_flush(vb_eio_socket *s)
{
    if (s->get) schedule(s);
}

/* Hands one message to the WebSocket (by reference). On failure the
 * WebSocket is already closed by vb_ws, and the session is closed. */
static int ws_write(vb_eio_socket *s, vb_eio_msg *m)
{
    if (!m->frame) {
        m->frame = vb_ws_frame(m->binary ? VB_WS_BINARY : VB_WS_TEXT, m->pkt->data, m->pkt->len);
        if (!m->frame) return VB_ENOMEM;
    }
    int rc = vb_ws_send_frame(s->ws, m->frame);
    if (rc != 0) {
        s->ws = NULL; /* vb_ws closed it; its on_close drops our ref */
        vb_eio__close(s, rc == VB_ETOOBIG ? "output limit" : "transport error", NULL);
    }
    return rc;
}

/* Drops the messages waiting for the WebSocket. */
void vb_eio__wq_clear(vb_eio_socket *s)
{
    for (size_t i = 0; i < s->wq_n; i++)
        vb_eio_msg_unref(s->wq[i]);
    free(s->wq);
    free(s->wq_tag);
    s->wq = NULL;
    s->wq_tag = NULL;
    s->wq_n = s->wq_cap = s->wq_bytes = 0;
}

static void gate_timer_cb(uv_timer_t *t)
{
    vb_eio_server *srv = t->data;
    uint64_t now = uv_now(srv->loop);
    while (srv->gate_head && srv->gate_head->gate_due <= now) {
        vb_eio_socket *s = srv->gate_head;
        srv->gate_head = s->gate_next;
        if (!srv->gate_head) srv->gate_tail = NULL;
        s->in_gate = 0;
        s->ws_mark = 1;
        if (s->state == VB_EIO_ST_WEBSOCKET) ws_flush(s);
        vb_eio__session_unref(s);
    }
    if (srv->gate_head)
        uv_timer_start(&srv->gate_timer, gate_timer_cb, srv->gate_head->gate_due - now, 0);
}

/* Starts the batch gate after output went to the WebSocket. Without
 * ws_batch_ms the next batch may go after one more idle pass; with it, the
 * session waits in a FIFO by due time served by one server timer, and only
 * when messages are waiting. */
void vb_eio__ws_gate(vb_eio_socket *s)
{
    vb_eio_server *srv = s->srv;
    s->ws_busy = 1;
    s->ws_mark = 0;
    if (!srv->o.ws_batch_ms) {
        schedule(s);
        return;
    }
    s->last_send_ms = uv_now(srv->loop);
    s->last_pass = srv->pass;
    s->ws_busy = 0;
    if (!s->wq_n || s->in_gate) return;
    s->in_gate = 1;
    s->refs++;
    s->gate_due = s->last_send_ms + srv->o.ws_batch_ms;
    s->gate_next = NULL;
    if (srv->gate_tail)
        srv->gate_tail->gate_next = s;
    else
        srv->gate_head = s;
    srv->gate_tail = s;
    if (!uv_is_active((uv_handle_t *)&srv->gate_timer))
        uv_timer_start(&srv->gate_timer, gate_timer_cb, srv->o.ws_batch_ms, 0);
}

/* ws_batch_ms: messages wait; make sure the gate timer will release them. */
static void ws_gate_wait(vb_eio_socket *s)
{
    uint64_t last = s->last_send_ms, pass = s->last_pass;
    vb_eio__ws_gate(s);
    s->last_send_ms = last;
    s->last_pass = pass;
    if (s->in_gate) s->gate_due = last + s->srv->o.ws_batch_ms;
}

/*
 * WebSocket output is sent in batches, at most one per loop pass: what is
 * sent while a batch is in flight waits until the stream has written that
 * batch (vb_stream writes in its prepare phase, between two of our idle
 * passes), then goes out together. Like the reference server (which waits
 * for each write to complete), a client then sees e.g. the CONNECT reply
 * and a following emit in separate reads, and small packets sent together
 * are still coalesced. Frames are queued by reference.
 */
int vb_eio__ws_send(vb_eio_socket *s, vb_eio_msg *m)
{
    int batched = s->srv->o.ws_batch_ms != 0;
    int now_ok = batched ? !s->wq_n && s->srv->pass != s->last_pass : !s->ws_busy;
    if (now_ok) {
        int rc = ws_write(s, m);
        if (rc == 0) vb_eio__ws_gate(s);
        return rc;
    }
    if (s->wq_n == s->wq_cap) {
        size_t cap = s->wq_cap ? s->wq_cap * 2 : 8;
        vb_eio_msg **q = realloc(s->wq, cap * sizeof(*q));
        if (!q) return VB_ENOMEM;
        s->wq = q;
        uint64_t *t = realloc(s->wq_tag, cap * sizeof(*t));
        if (!t) return VB_ENOMEM;
        s->wq_tag = t;
        s->wq_cap = cap;
    }
    s->wq_tag[s->wq_n] = s->srv->pass;
    s->wq[s->wq_n++] = vb_eio_msg_ref(m);
    s->wq_bytes += m->pkt->len;
    if (s->wq_bytes > s->srv->o.max_output) {
        vb_eio__close(s, "output limit", NULL);
        return VB_ETOOBIG;
    }
    if (batched) ws_gate_wait(s);
    return 0;
}

/* One idle pass (or gate timer) for a gated WebSocket session. */
static void ws_flush(vb_eio_socket *s)
{
    if (!s->ws) return;
    if (!s->ws_busy && !s->srv->o.ws_batch_ms) return;
    if (!s->ws_mark) {
        s->ws_mark = 1;
        schedule(s);
        return;
    }
    s->ws_busy = 0;
    if (!s->wq_n) return;
    /* With ws_batch_ms, one batch is what was sent within one loop pass;
     * without, everything waiting. */
    size_t n = 1;
    if (!s->srv->o.ws_batch_ms)
        n = s->wq_n;
    else
        while (n < s->wq_n && s->wq_tag[n] == s->wq_tag[0])
            n++;
    size_t i = 0;
    int failed = 0;
    for (; i < n && s->ws && !failed; i++)
        failed = ws_write(s, s->wq[i]) != 0;
    if (!s->wq) return; /* closed: the queue was cleared */
    for (size_t k = 0; k < n; k++) {
        s->wq_bytes -= s->wq[k]->pkt->len;
        vb_eio_msg_unref(s->wq[k]);
    }
    memmove(s->wq, s->wq + n, (s->wq_n - n) * sizeof(*s->wq));
    memmove(s->wq_tag, s->wq_tag + n, (s->wq_n - n) * sizeof(*s->wq_tag));
    s->wq_n -= n;
    if (s->wq_n == 0) {
        /* Drained: an idle session keeps no queue (memory per idle client). */
        free(s->wq);
        free(s->wq_tag);
        s->wq = NULL;
        s->wq_tag = NULL;
        s->wq_cap = 0;
    }
    if (s->ws) vb_eio__ws_gate(s);
}

int vb_eio__ws_send_now(vb_eio_socket *s, const char *pkt, size_t len)
{
    vb_eio_msg *m = vb_eio_msg_new_packet(pkt, len);
    if (!m) return VB_ENOMEM;
    int rc = vb_eio__ws_send(s, m);
    vb_eio_msg_unref(m);
    return rc;
}
