/*
 * WebSocket (RFC 6455) connections on top of vb_stream, with wslay parsing
 * incoming frames. Outgoing frames are built here: server frames are
 * unmasked, so one encoded frame (vb_ws_frame) can be queued by reference on
 * every receiver of a broadcast.
 */
#ifndef VB_WS_H
#define VB_WS_H

#include "core/vb_buf.h"
#include "net/vb_http.h"

#include <stddef.h>
#include <stdint.h>

typedef struct vb_ws vb_ws;

enum vb_ws_opcode { VB_WS_TEXT = 1, VB_WS_BINARY = 2 };

typedef struct vb_ws_handlers {
    /* A complete message (fragments joined). Text is valid UTF-8 (checked;
     * invalid text closes with 1007). */
    void (*on_message)(vb_ws *ws, int opcode, const char *data, size_t len, void *ud);
    /* Closed for any reason; last callback; ws is freed after it returns. */
    void (*on_close)(vb_ws *ws, int code, void *ud);
} vb_ws_handlers;

typedef struct vb_ws_options {
    size_t max_message; /* bigger incoming message: close 1009; default 1 MiB */
    size_t max_queued;  /* output limit; default VB_STREAM_DEFAULT_LIMIT */
} vb_ws_options;

/* 1 if req asks for a WebSocket upgrade (GET, Upgrade: websocket,
 * Connection: upgrade, Sec-WebSocket-Key, Sec-WebSocket-Version: 13). */
int vb_ws_is_upgrade(const vb_http_req *req);
/* Answers 101 and takes the connection over. On a bad handshake answers 400
 * and returns NULL. req is consumed either way. opts may be NULL. */
vb_ws *vb_ws_accept(vb_http_req *req, const vb_ws_handlers *h, void *ud, const vb_ws_options *opts);
/* A complete unmasked frame (FIN set) carrying payload, refs = 1. */
vb_buf *vb_ws_frame(int opcode, const void *payload, size_t len);
/* Queues a frame made by vb_ws_frame (by reference). 0, VB_ETOOBIG (closed), VB_EIO. */
int vb_ws_send_frame(vb_ws *ws, vb_buf *frame);
/* Encodes and queues one message. Same returns. */
int vb_ws_send(vb_ws *ws, int opcode, const void *payload, size_t len);
/* Sends a close frame with code and reason, then closes. */
void vb_ws_close(vb_ws *ws, int code, const char *reason);
const char *vb_ws_peer(const vb_ws *ws);

#endif
