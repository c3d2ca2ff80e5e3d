/*
 * Server-Sent Events: the encoder (events, comments, retry hints, each one
 * refcounted vb_buf that can be queued on many streams), the writer that
 * takes an HTTP request over and starts an event stream, and the pacing rule
 * that coalesces pushes on one topic.
 */
#ifndef VB_SSE_H
#define VB_SSE_H

#include "core/vb_buf.h"
#include "net/vb_http.h"
#include "net/vb_stream.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define VB_SSE_RETRY_MS 3000 /* the reconnect hint sent first on every stream */

/*
 * Encodes one event: "id: <id>" (if id is non-NULL), "event: <name>" (if
 * name is non-NULL), one "data: " line per line of data (lines end at LF, CR
 * or CRLF; empty data gives one empty data line), then a blank line. name and
 * id must not contain CR or LF (an id must not contain NUL either). Returns a
 * new buffer (refs 1), or NULL for a bad name/id or when out of memory.
 */
vb_buf *vb_sse_event(const char *name, const char *id, const char *data, size_t len);
/* The same with data = compact JSON of json (borrowed). */
vb_buf *vb_sse_event_json(const char *name, const char *id, const json_t *json);
/* A comment (": text" per line, then a blank line), e.g. a keep-alive. */
vb_buf *vb_sse_comment(const char *text);
/* "retry: <ms>" then a blank line. */
vb_buf *vb_sse_retry(unsigned ms);

/*
 * Takes req over as an event stream: writes the status line 200, the
 * headers Content-Type: text/event-stream, Cache-Control: no-cache,
 * Connection: keep-alive, X-Accel-Buffering: no, X-Request-Id and the headers
 * already added to req (security, CORS; an added Cache-Control, Content-Type
 * or Connection is replaced by the ones above), then a "retry:" hint of
 * VB_SSE_RETRY_MS. req is consumed in every case. h and ud are as for
 * vb_stream_takeover. Returns the stream, or NULL when the peer is gone or
 * memory ran out (on_close is then not called).
 */
vb_stream *vb_sse_start(vb_http_req *req, const vb_stream_handlers *h, void *ud);

/*
 * Coalescing of pushes on one topic: at most one push per interval_ms. Pure
 * logic (times are passed in), so it is tested with a fake clock.
 */
typedef struct vb_sse_pace {
    uint64_t interval_ms;
    uint64_t last_ms; /* time of the last push */
    int has_sent;     /* a push happened */
    int armed;        /* a delayed push is scheduled */
} vb_sse_pace;

void vb_sse_pace_init(vb_sse_pace *p, uint64_t interval_ms);
/* Something changed at now_ms. Returns 0: push now (then call _sent); > 0:
 * arm a timer for that many ms (the pace is now armed); -1: a push is already
 * scheduled, nothing to do. */
int64_t vb_sse_pace_change(vb_sse_pace *p, uint64_t now_ms);
/* The armed timer fired (or was cancelled): the pace is no longer armed. */
void vb_sse_pace_fired(vb_sse_pace *p);
/* A push went out at now_ms. */
void vb_sse_pace_sent(vb_sse_pace *p, uint64_t now_ms);

#endif
