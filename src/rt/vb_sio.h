/*
 * Socket.IO 5 server on top of Engine.IO (vb_eio.h): namespaces, sockets,
 * events, acknowledgements both ways, rooms and broadcasts. Knows nothing
 * about the application (the chat gateway is written against this API).
 *
 * Model
 * - A vb_sio_server owns one Engine.IO server at a path prefix. The app's
 *   HTTP handler calls vb_sio_handle(srv, req) for every request and stops
 *   when it returns 1.
 * - A namespace ("/", "/chat") is registered with vb_sio_nsp_new() and a set
 *   of handlers. A client CONNECT to an unregistered namespace is refused
 *   with CONNECT_ERROR {"message":"Invalid namespace"}.
 * - A vb_sio_socket is one client in one namespace (one Engine.IO session
 *   may carry several). Its life:
 *     on_connect(s, auth)  -> the app calls vb_sio_accept(s, ud) or
 *                             vb_sio_refuse(s, data), inside on_connect or
 *                             later (e.g. after a database lookup);
 *     connected            -> events, emits, rooms;
 *     on_disconnect(s)     -> the last callback; s is invalid after it.
 *   on_disconnect runs for every socket passed to on_connect that was not
 *   refused, including one still waiting for accept/refuse, so an
 *   asynchronous check must drop its pointer in on_disconnect.
 * - Arguments are JSON text: an event's arguments arrive as the raw text of
 *   a JSON array (the elements after the event name, exactly as the client
 *   sent them), and emits take the same form, so values are relayed byte for
 *   byte. Binary arguments are placeholders {"_placeholder":true,"num":N}
 *   in that text plus attachments (vb_sio_bin) in order. A binary packet
 *   is buffered only for a namespace the connection has joined, one at a
 *   time, and at most max_binary bytes with its attachments; anything else
 *   closes the session.
 * - Connection state recovery is the app's: it reads pid/offset from the
 *   CONNECT payload, accepts with vb_sio_accept_session (restored id, pid)
 *   and appends an offset as the last element of the args of the
 *   broadcasts it wants recoverable; this layer only carries them.
 * - Broadcasts are encoded once (Socket.IO text, Engine.IO prefix and the
 *   WebSocket frame, refcounted) and queued by reference on every receiver.
 *
 * Loop thread only. Every socket pointer handed to the app is valid until
 * its on_disconnect returns (or, for an ack handle, until the handle is
 * used: handles keep the socket's memory alive).
 */
#ifndef VB_SIO_H
#define VB_SIO_H

#include "rt/vb_eio.h"

#include <stddef.h>
#include <stdint.h>

typedef struct vb_sio_server vb_sio_server;
typedef struct vb_sio_nsp vb_sio_nsp;
typedef struct vb_sio_socket vb_sio_socket;
typedef struct vb_sio_ack vb_sio_ack;
typedef struct vb_sio_out vb_sio_out;

#define VB_SIO_ID_LEN 20
#define VB_SIO_PID_MAX 64 /* longest private session id vb_sio_accept_session sends */

/* One binary attachment (borrowed). */
typedef struct vb_sio_bin {
    const void *data;
    size_t len;
} vb_sio_bin;

typedef struct vb_sio_options {
    vb_eio_options eio; /* path default "/socket.io/"; see vb_eio.h */
    unsigned
        connect_timeout_ms; /* no namespace CONNECT in time closes the session; default 45000 */
    /* Bytes of one binary packet, its text and all its attachments together
     * (one such packet is buffered per connection at a time); over it the
     * session is closed. Default (0): eio.max_payload. */
    size_t max_binary;
} vb_sio_options;

typedef struct vb_sio_nsp_handlers {
    /* A client asks to join. auth is the raw JSON object of the CONNECT
     * payload ("{}" if none; a client recovering its connection state puts
     * "pid" and "offset" there beside its auth fields), valid during the call (also kept while the
     * socket is pending: see vb_sio_socket_auth). The app must call vb_sio_accept or vb_sio_refuse,
     * now or later. NULL handler: every CONNECT is accepted. */
    void (*on_connect)(vb_sio_socket *s, const char *auth, size_t auth_len, void *ud);
    /* An event from a connected socket. args: raw JSON array of the
     * arguments after the name ("[]" if none); bins: attachments of a
     * BINARY_EVENT (nbins 0 otherwise). ack: non-NULL when the client asked
     * for an acknowledgement: the app then owns it and must pass it to
     * vb_sio_ack_send*() or vb_sio_ack_free() exactly once. All other
     * pointers are valid during the call only. */
    void (*on_event)(vb_sio_socket *s, const char *event, const char *args, size_t args_len,
                     const vb_sio_bin *bins, size_t nbins, vb_sio_ack *ack, void *ud);
    /* The socket left (reason: "client namespace disconnect", "server
     * namespace disconnect", "transport close", "ping timeout", ...). Rooms
     * are already left. Last callback for s. */
    void (*on_disconnect)(vb_sio_socket *s, const char *reason, void *ud);
} vb_sio_nsp_handlers;

/* Fills *o with the defaults (Engine.IO defaults, path "/socket.io/"). */
void vb_sio_options_default(vb_sio_options *o);
/* Creates a server (o may be NULL). 0, VB_ENOMEM or VB_EIO. */
int vb_sio_server_new(vb_sio_server **out, uv_loop_t *loop, const vb_sio_options *o);
/* Disconnects everything and frees the server once every session is gone;
 * cb (may be NULL) runs then. */
void vb_sio_server_free(vb_sio_server *srv, void (*cb)(void *arg), void *arg);
/* HTTP entry point: 1 if the request was taken (see vb_eio_handle). */
int vb_sio_handle(vb_sio_server *srv, vb_http_req *req);

/* Registers namespace name (starts with '/'; copied) with handlers (copied)
 * and ud. Returns NULL if out of memory or already registered. */
vb_sio_nsp *vb_sio_nsp_new(vb_sio_server *srv, const char *name, const vb_sio_nsp_handlers *h,
                           void *ud);

/* --- connecting ------------------------------------------------------- */

/* Accepts a pending socket: sends CONNECT {"sid":...}; ud becomes the
 * socket's user data. Emits may follow at once. 0, VB_ECONFLICT (not
 * pending) or VB_EIO (the connection is gone). */
int vb_sio_accept(vb_sio_socket *s, void *ud);
/* Accepts as vb_sio_accept, for connection state recovery (Socket.IO
 * 4.6+): sid (NULL: the generated one) becomes the socket's id, e.g. the id
 * of the session being restored, and pid (NULL: none) is sent beside it as
 * the private session id, CONNECT {"sid":...,"pid":...}. Both are 1..20
 * (sid) or 1..VB_SIO_PID_MAX (pid) characters of A-Z a-z 0-9 - _, else
 * VB_EINVAL. The namespace does not check that sid is unique: the caller
 * disconnects a live socket with the same id first. What the client missed
 * is the caller's to emit after the accept. */
int vb_sio_accept_session(vb_sio_socket *s, void *ud, const char *sid, const char *pid);
/* Refuses a pending socket with CONNECT_ERROR data (a JSON object text such
 * as {"message":"Invalid authentication token"}; NULL gives
 * {"message":"Not authorized"}). The socket is freed (no on_disconnect).
 * 0 or VB_ECONFLICT (not pending). */
int vb_sio_refuse(vb_sio_socket *s, const char *data_json);

/* --- sockets ---------------------------------------------------------- */

const char *vb_sio_socket_id(const vb_sio_socket *s); /* the sid sent in CONNECT */
/* The Engine.IO session (for the sid, transport, ...); NULL once gone. */
vb_eio_socket *vb_sio_socket_eio(const vb_sio_socket *s);
void *vb_sio_socket_ud(const vb_sio_socket *s);
void vb_sio_socket_set_ud(vb_sio_socket *s, void *ud);
/* Server-side namespace disconnect: sends DISCONNECT, leaves the rooms;
 * on_disconnect runs now (not from inside its own handlers' callers: do not
 * call it from on_disconnect). The Engine.IO session stays open. */
void vb_sio_disconnect(vb_sio_socket *s);

/* --- emitting --------------------------------------------------------- */

/* Emits event with args (raw JSON array text, or NULL for none). Returns 0,
 * VB_EINVAL (args not an array), VB_EIO (socket gone), VB_ETOOBIG (output
 * limit: the connection is closed) or VB_ENOMEM. */
int vb_sio_emit(vb_sio_socket *s, const char *event, const char *args, size_t args_len);
/* Same with binary attachments referenced by placeholders in args. */
int vb_sio_emit_bin(vb_sio_socket *s, const char *event, const char *args, size_t args_len,
                    const vb_sio_bin *bins, size_t nbins);

/* Answers an ack with args (raw JSON array or NULL for []) and frees the
 * handle. 0, VB_EIO (socket gone: nothing sent) or VB_EINVAL. */
int vb_sio_ack_send(vb_sio_ack *ack, const char *args, size_t args_len);
int vb_sio_ack_send_bin(vb_sio_ack *ack, const char *args, size_t args_len, const vb_sio_bin *bins,
                        size_t nbins);
/* Frees an ack handle without answering. */
void vb_sio_ack_free(vb_sio_ack *ack);

/* --- rooms (per namespace) --------------------------------------------- */

/* Joins a room (no-op if already in). 0 or VB_ENOMEM / VB_EIO (gone). */
int vb_sio_join(vb_sio_socket *s, const char *room);
/* Leaves a room (no-op if not in). */
void vb_sio_leave(vb_sio_socket *s, const char *room);
void vb_sio_leave_all(vb_sio_socket *s);
int vb_sio_in_room(const vb_sio_socket *s, const char *room);
/* Calls fn for each socket of room (room NULL: every connected socket of
 * the namespace); fn returns nonzero to stop. fn may make the current socket
 * leave or disconnect, but not others. Returns the number of calls. */
size_t vb_sio_room_each(vb_sio_nsp *nsp, const char *room, int (*fn)(vb_sio_socket *s, void *ud),
                        void *ud);

/* --- broadcasting: encode once, send to many ------------------------------ */

/* Encodes an EVENT (BINARY_EVENT when nbins > 0) for nsp once: the
 * Socket.IO text with its Engine.IO "4", plus attachments, as shared
 * messages. refs 1. NULL on VB_ENOMEM or if args is not an array. */
vb_sio_out *vb_sio_out_event(vb_sio_nsp *nsp, const char *event, const char *args, size_t args_len,
                             const vb_sio_bin *bins, size_t nbins);
void vb_sio_out_unref(vb_sio_out *o);
/* The shared Engine.IO message of the packet text (attachments follow). */
vb_eio_msg *vb_sio_out_msg(const vb_sio_out *o);
/* Queues o on one socket (by reference). Returns as vb_sio_emit. */
int vb_sio_out_send(vb_sio_out *o, vb_sio_socket *s);
/* Queues o on every connected socket of room (NULL: the whole namespace)
 * except `except` (may be NULL). Returns the number of receivers. */
size_t vb_sio_out_broadcast(vb_sio_out *o, const char *room, const vb_sio_socket *except);
/* Encodes once and broadcasts (vb_sio_out_event + vb_sio_out_broadcast).
 * Returns the number of receivers, or a negative vb_err. */
long vb_sio_broadcast(vb_sio_nsp *nsp, const char *room, const vb_sio_socket *except,
                      const char *event, const char *args, size_t args_len);

#endif
