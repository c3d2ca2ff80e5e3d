/*
 * Engine.IO 4 server: sessions over HTTP long-polling and WebSocket, the
 * polling -> WebSocket upgrade, and the server-driven heartbeat.
 *
 * Usage: create a server attached to a path prefix, and from the app's HTTP
 * handler call vb_eio_handle() for every request; it returns 1 when it took
 * the request (it then answers it, now or later), 0 when the path is not its
 * own. The server knows nothing about what the messages mean: Socket.IO
 * (vb_sio.h) sits on top of it.
 *
 * Protocol decisions (follow the public engine.io-protocol test suite):
 * - handshake: GET ?EIO=4&transport=polling answers "0{json}", and a
 *   WebSocket upgrade ?EIO=4&transport=websocket sends it as the first
 *   message; the JSON holds exactly sid, upgrades (["websocket"] on polling,
 *   [] on WebSocket), pingInterval, pingTimeout and maxPayload.
 * - errors answer 400 with {"code":N,"message":...}: 0 Transport unknown,
 *   1 Session ID unknown, 2 Bad handshake method, 3 Bad request, 5
 *   Unsupported protocol version. A POST over maxPayload answers 413 and
 *   closes the session; an invalid payload answers 400 and closes it.
 * - one GET and one POST at a time: a second GET closes the session (the
 *   first GET gets the close packet "1", the second 400).
 * - the client's close packet "1" answers a pending GET with noop "6".
 * - upgrade: "2probe" over the new WebSocket -> "3probe", a noop to the
 *   pending GET (and to any GET while probing), then "5" moves output to
 *   the WebSocket; later polling requests get 400, a second WebSocket for the
 *   session is accepted and closed at once.
 * - heartbeat: ping "2" every pingInterval (the first one pingInterval after
 *   the open); no pong "3" within pingTimeout closes the session.
 * - a session's queued output (polling queue or WebSocket queue) is bounded
 *   by max_output: over it, the session is closed.
 *
 * Loop thread only. Callbacks never run re-entrantly inside a vb_eio_* call
 * that the application made, except where noted.
 */
#ifndef VB_EIO_H
#define VB_EIO_H

#include "core/vb_buf.h"
#include "net/vb_http.h"

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct vb_eio_server vb_eio_server;
typedef struct vb_eio_socket vb_eio_socket; /* one Engine.IO session */

#define VB_EIO_SID_LEN 20 /* random characters of [A-Za-z0-9_-] */

typedef struct vb_eio_options {
    const char *path;          /* prefix, e.g. "/engine.io/" (copied); default "/engine.io/" */
    unsigned ping_interval_ms; /* default 25000 */
    unsigned ping_timeout_ms;  /* default 20000 */
    size_t max_payload;        /* bytes per POST body / WebSocket message; default 1000000 */
    size_t max_output;         /* queued output per session; default 8 MiB */
    int no_websocket;          /* 1: refuse WebSocket (upgrades is then []) */
    /* WebSocket output goes out in batches: while one is being written,
     * further packets of that session wait and then go together. 0 (the
     * default): the next batch may go one loop pass after the previous one
     * was written; N > 0: at least N ms after it (the public test suites
     * expect e.g. a CONNECT reply and the emit that follows it in separate
     * reads, as the reference server's write-completion gating gives). */
    unsigned ws_batch_ms;
    /* Sessions per client address (IPv6: per /64, see vb_addr.h), open or
     * closing; one more handshake is answered 429 TOO_MANY_CONNECTIONS.
     * 0 (the default): no limit. */
    unsigned max_sessions_per_address;
} vb_eio_options;

typedef struct vb_eio_handlers {
    /* A new session (its handshake already went out). May send. */
    void (*on_open)(vb_eio_socket *s, void *ud);
    /* One message packet: text (binary 0) or raw bytes (binary 1). data is
     * valid during the call only. May send or close. */
    void (*on_message)(vb_eio_socket *s, int binary, const char *data, size_t len, void *ud);
    /* The session is closed (reason: "transport close", "ping timeout",
     * "parse error", "client close", "server close", "output limit", ...).
     * The last callback for s: s is freed right after it returns. Always
     * called from the loop, never from inside vb_eio_close(). */
    void (*on_close)(vb_eio_socket *s, const char *reason, void *ud);
} vb_eio_handlers;

/*
 * A message encoded once for many receivers (fan-out): the Engine.IO packet
 * ("4"+text, or the raw bytes of a binary message) in a refcounted buffer,
 * and the WebSocket frame of it, built the first time a WebSocket receiver
 * needs it. Polling receivers get the packet text appended to their queue.
 * Refcounted; loop thread only.
 */
typedef struct vb_eio_msg {
    uint32_t refs;
    int binary;
    vb_buf *pkt;   /* the Engine.IO packet bytes */
    vb_buf *frame; /* the WebSocket frame, or NULL until first needed */
} vb_eio_msg;

/* A message of the given text (binary 0: "4" is prepended) or bytes. refs 1;
 * NULL if out of memory. */
vb_eio_msg *vb_eio_msg_new(int binary, const void *data, size_t len);
/* Like vb_eio_msg_new(0, ...) but data is already the whole packet ("4..."). */
vb_eio_msg *vb_eio_msg_new_packet(const void *pkt, size_t len);
static inline vb_eio_msg *vb_eio_msg_ref(vb_eio_msg *m)
{
    m->refs++;
    return m;
}
/* Drops one reference (and the buffers at zero). NULL is ignored. */
void vb_eio_msg_unref(vb_eio_msg *m);

/* Fills *o with the defaults. */
void vb_eio_options_default(vb_eio_options *o);
/* Creates a server. o may be NULL (defaults); h is copied. 0 or VB_ENOMEM. */
int vb_eio_server_new(vb_eio_server **out, uv_loop_t *loop, const vb_eio_options *o,
                      const vb_eio_handlers *h, void *ud);
/* Closes every session (their on_close runs later from the loop) and frees
 * the server once they are gone; cb (may be NULL) runs then. */
void vb_eio_server_free(vb_eio_server *srv, void (*cb)(void *arg), void *arg);

/* Takes the request if its path is the server's prefix (with or without the
 * trailing slash): returns 1 (req is answered now or later, and must not be
 * used by the caller) or 0 (not ours; req untouched). */
int vb_eio_handle(vb_eio_server *srv, vb_http_req *req);

/* Sends one message packet. 0, VB_EIO (session closed) or VB_ENOMEM; over the
 * output limit the session is closed and VB_ETOOBIG returned. */
int vb_eio_send(vb_eio_socket *s, int binary, const void *data, size_t len);
/* Sends a shared message (queued by reference on WebSocket; appended to the
 * polling queue otherwise). Same returns. The caller keeps its reference. */
int vb_eio_send_msg(vb_eio_socket *s, vb_eio_msg *m);
/* Closes the session (pending GET gets the close packet, the WebSocket a
 * close frame). on_close runs later from the loop. Safe to repeat. */
void vb_eio_close(vb_eio_socket *s, const char *reason);

void vb_eio_set_ud(vb_eio_socket *s, void *ud);
void *vb_eio_get_ud(const vb_eio_socket *s);

#endif
