/*
 * A connection taken over from HTTP by a long-lived protocol (WebSocket,
 * Server-Sent Events): raw bytes in, refcounted buffers out.
 *
 * Output is corked: everything queued on a stream during one loop pass goes
 * out in one write (writev of the queued buffers) at the end of the pass.
 * Each stream has an output limit (bytes queued and not yet written): a peer
 * that stops reading is disconnected once it is exceeded, never buffered
 * without bound.
 */
#ifndef VB_STREAM_H
#define VB_STREAM_H

#include "core/vb_buf.h"
#include "net/vb_http.h"

#include <stddef.h>

typedef struct vb_stream vb_stream;

typedef struct vb_stream_handlers {
    /* Bytes from the peer (including bytes that arrived pipelined behind the
     * taken-over request). May be NULL (input is then discarded). */
    void (*on_data)(vb_stream *s, const char *data, size_t len, void *ud);
    /* The stream is closed (peer gone, error, limit, or vb_stream_close); the
     * last callback: s is freed right after it returns. */
    void (*on_close)(vb_stream *s, void *ud);
} vb_stream_handlers;

#define VB_STREAM_DEFAULT_LIMIT (8u * 1024 * 1024)

/*
 * Takes req's connection over: HTTP writes no response for req and frees it;
 * the connection's timeouts stop (the new owner keeps its own). Returns the
 * stream, or NULL if the peer is already gone or memory ran out (req is then
 * answered or freed; on_close is not called).
 */
vb_stream *vb_stream_takeover(vb_http_req *req, const vb_stream_handlers *h, void *ud);
/* Queues b by reference (takes a new ref). Returns 0, or VB_ETOOBIG when the
 * output limit is exceeded (the stream is then closed), or VB_EIO if closed. */
int vb_stream_send(vb_stream *s, vb_buf *b);
/* Queues a copy of data. Same returns. */
int vb_stream_send_copy(vb_stream *s, const void *data, size_t len);
/* Closes after queued output is written (bounded by a short linger). on_close
 * runs once, later. Safe to call more than once and from inside callbacks. */
void vb_stream_close(vb_stream *s);
void vb_stream_set_limit(vb_stream *s, size_t max_queued);
size_t vb_stream_queued(const vb_stream *s);
/* Peer address as text. */
const char *vb_stream_peer(const vb_stream *s);

#endif
