/*
 * Engine.IO heartbeat: the session timer sends pings, waits for pongs and
 * delivers the deferred close notification.
 */
#include "rt/vb_eio_internal.h"

#include "core/vb_common.h"

#include <string.h>

/* Starts the heartbeat: the first ping goes out ping_interval from now. */
void vb_eio__session_start(vb_eio_socket *s)
{
    s->phase = VB_EIO_T_PING;
    uv_timer_start(&s->timer, vb_eio__timer_cb, s->srv->o.ping_interval_ms, 0);
}

/* Sends a control packet (ping, pong) over the current transport. */
void vb_eio__send_control(vb_eio_socket *s, int type, const char *data, size_t len)
{
    if (s->state == VB_EIO_ST_WEBSOCKET) {
        char buf[64];
        if (len + 1 > sizeof(buf)) return;
        buf[0] = (char)('0' + type);
        memcpy(buf + 1, data, len);
        vb_eio__ws_send_now(s, buf, len + 1);
        return;
    }
    if (vb_eio_payload_append(&s->out, type, 0, data, len) != 0) {
        vb_eio__close(s, "out of memory", NULL);
        return;
    }
    vb_eio__schedule_flush(s);
}

void vb_eio__timer_cb(uv_timer_t *t)
{
    vb_eio_socket *s = t->data;
    switch (s->phase) {
    case VB_EIO_T_PING:
        vb_eio__send_control(s, VB_EIO_PING, "", 0);
        if (s->state == VB_EIO_ST_CLOSED) return;
        s->phase = VB_EIO_T_PONG;
        uv_timer_start(&s->timer, vb_eio__timer_cb, s->srv->o.ping_timeout_ms, 0);
        break;
    case VB_EIO_T_PONG:
        vb_eio__close(s, "ping timeout", NULL);
        break;
    case VB_EIO_T_NOTIFY:
        if (s->srv->h.on_close) s->srv->h.on_close(s, s->reason, s->srv->ud);
        vb_eio__session_unref(s);
        break;
    }
}
