/*
 * The input path of WebSocket connections (see vb_ws.c for the overview).
 *
 * wslay parses every frame, but a connection holds a wslay context (about
 * 8.5 KB) only while wslay has state to keep. The frame headers are read
 * here first, to know where frames end:
 *  - complete frames in a chunk are fed to wslay in one call;
 *  - an incomplete frame of at most WS_PART_MAX bytes waits in ws->part
 *    (sized for it, freed once it is fed);
 *  - a larger incomplete frame is fed as it arrives (ws->fwd counts what is
 *    still to come);
 *  - a fragmented message stays open at wslay (ws->frag) until its last frame.
 * After each chunk the context is freed unless a large frame or a fragmented
 * message is in progress (or input is raw), so an idle connection has none.
 * Checks done here, before wslay would do them: a frame that would make its
 * message longer than max_message closes with 1009 as soon as its header is
 * seen. Any header wslay refuses (vb_ws_hdr_decode), a continuation without
 * a message or a new message inside one switches the connection to raw
 * input: wslay then sees every byte from that header on, through a context
 * kept until the end, and answers the protocol error itself.
 */
#include <stdlib.h>
#include <string.h>

#include "core/vb_common.h"
#include "net/vb_ws_internal.h"

#define WS_CLOSE_INVALID_DATA 1007
#define WS_CLOSE_TOO_BIG 1009
/* Incomplete frames up to this size (header included) are buffered here;
 * larger ones are fed to wslay as they arrive. */
#define WS_PART_MAX 4096
#define WS_MIN(a, b) ((a) < (b) ? (a) : (b))

/* What a frame header means for the message in progress. */
enum { IN_OK = 0, IN_RAW, IN_TOO_BIG };

/* ---------- wslay callbacks ---------- */

/* Hands wslay bytes from the range being fed; "would block" once it is used
 * up (wslay keeps an incomplete frame for the next range). */
static ssize_t ws_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags, void *user)
{
    vb_ws *ws = user;
    if (ws->in_len == 0) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    size_t n = len < ws->in_len ? len : ws->in_len;
    memcpy(buf, ws->in, n);
    ws->in += n;
    ws->in_len -= n;
    return (ssize_t)n;
}

/* Control frames produced by wslay (pong, close) are copied into the stream. */
static ssize_t ws_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
                       void *user)
{
    vb_ws *ws = user;
    if (vb_stream_send_copy(ws->s, data, len) < 0) {
        wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
        return -1;
    }
    return (ssize_t)len;
}

/* A complete message: data messages go to on_message (text only when it is
 * valid UTF-8); control frames were handled by wslay already. Control
 * frames wslay queued so far are flushed first, to keep their order. */
static void ws_on_msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg,
                      void *user)
{
    vb_ws *ws = user;
    if (ws->closing) return;
    if (arg->opcode != WSLAY_TEXT_FRAME && arg->opcode != WSLAY_BINARY_FRAME) return;
    if (arg->opcode == WSLAY_TEXT_FRAME && !vb_ws_utf8_ok(arg->msg, arg->msg_length)) {
        vb_ws_close(ws, WS_CLOSE_INVALID_DATA, "invalid UTF-8");
        return;
    }
    /* A pong queued for a ping received earlier goes out before any answer. */
    if (wslay_event_want_write(ctx)) wslay_event_send(ctx);
    if (ws->h.on_message)
        ws->h.on_message(ws, arg->opcode, arg->msg_length ? (const char *)arg->msg : "",
                         arg->msg_length, ws->ud);
}

/* ---------- feeding wslay ---------- */

/* Creates ws's wslay context unless it has one. Returns 0 or VB_ENOMEM. */
static int ctx_get(vb_ws *ws)
{
    static const struct wslay_event_callbacks cbs = {ws_recv, ws_send, NULL,     NULL,
                                                     NULL,    NULL,    ws_on_msg};
    if (ws->ctx) return 0;
    if (wslay_event_context_server_init(&ws->ctx, &cbs, ws) != 0) {
        ws->ctx = NULL;
        return VB_ENOMEM;
    }
    wslay_event_config_set_no_buffering(ws->ctx, 0);
    wslay_event_config_set_max_recv_msg_length(ws->ctx, ws->max_message);
    return 0;
}

/* Stops parsing and closes the stream after its queued output. */
static void stop(vb_ws *ws)
{
    ws->closing = 1;
    vb_stream_close(ws->s);
}

/*
 * Runs wslay over data[0..len), flushes the control frames it queued, and
 * closes once a close frame went either way or wslay failed (or no context
 * could be made). Returns 0, or -1 when the connection is closing.
 */
static int feed(vb_ws *ws, const unsigned char *data, size_t len)
{
    if (ws->closing) return -1;
    if (len == 0) return 0;
    if (ctx_get(ws) < 0) {
        stop(ws);
        return -1;
    }
    ws->in = (const char *)data;
    ws->in_len = len;
    int r = wslay_event_recv(ws->ctx);
    ws->in = NULL;
    ws->in_len = 0;
    if (ws->closing) return -1; /* vb_ws_close ran from a callback */
    int w = wslay_event_send(ws->ctx);
    if (wslay_event_get_close_received(ws->ctx)) {
        ws->close_code = wslay_event_get_status_code_received(ws->ctx);
    } else if (wslay_event_get_close_sent(ws->ctx)) {
        ws->close_code = wslay_event_get_status_code_sent(ws->ctx);
    }
    if (r < 0 || w < 0 || ws->close_code || !wslay_event_get_read_enabled(ws->ctx)) {
        stop(ws);
        return -1;
    }
    return 0;
}

/* ---------- frame headers ---------- */

/* Checks a decoded header against the message in progress: IN_OK, IN_RAW
 * (wslay must judge it) or IN_TOO_BIG (the message would pass max_message). */
static int frame_check(const vb_ws *ws, const vb_ws_hdr *h)
{
    uint64_t so_far = 0; /* at most max_message */
    if (h->opcode == 0) {
        if (!ws->frag) return IN_RAW;
        so_far = ws->frag_len;
    } else if (h->opcode < 8 && ws->frag) {
        return IN_RAW;
    }
    return h->plen > ws->max_message - so_far ? IN_TOO_BIG : IN_OK;
}

/* Records the effect of a checked frame, once it goes to wslay, on the
 * fragmented message (control frames have none). */
static void frame_apply(vb_ws *ws, const vb_ws_hdr *h)
{
    if (h->opcode >= 8) return;
    if (h->fin) {
        ws->frag = 0;
        ws->frag_len = 0;
    } else {
        ws->frag_len = (h->opcode == 0 ? ws->frag_len : 0) + h->plen;
        ws->frag = 1;
    }
}

static void too_big(vb_ws *ws)
{
    vb_ws_close(ws, WS_CLOSE_TOO_BIG, NULL); /* the close frame wslay would send */
}

/* ---------- incomplete frames ---------- */

static void part_free(vb_ws *ws)
{
    free(ws->part);
    ws->part = NULL;
    ws->part_len = ws->part_need = ws->part_cap = 0;
}

/* Makes room for cap bytes in ws->part. Returns 0 or VB_ENOMEM. */
static int part_reserve(vb_ws *ws, size_t cap)
{
    if (cap <= ws->part_cap) return 0;
    unsigned char *np = realloc(ws->part, cap);
    if (!np) return VB_ENOMEM;
    ws->part = np;
    ws->part_cap = (uint32_t)cap;
    return 0;
}

/* Keeps the start of an incomplete frame, p[0..n), whose header (if
 * complete) was checked and announces at most WS_PART_MAX bytes. */
static void part_start(vb_ws *ws, const unsigned char *p, size_t n)
{
    vb_ws_hdr h;
    size_t need = 0;
    if (vb_ws_hdr_decode(p, n, &h) == VB_WS_HDR_COMPLETE) need = h.hlen + (size_t)h.plen;
    if (part_reserve(ws, need ? need : VB_WS_MAX_HEADER) < 0) {
        stop(ws);
        return;
    }
    memcpy(ws->part, p, n);
    ws->part_len = (uint32_t)n;
    ws->part_need = (uint32_t)need;
}

/* Completes the header in ws->part from p[0..n): checks it and either sizes
 * the buffer for the frame, or hands a large frame to wslay, or switches to
 * raw input, or closes. Returns the bytes of p used. Every outcome but
 * "sized" frees ws->part, which ends the loop: the rest of p is then the
 * caller's (a large frame's payload goes through ws->fwd). */
static size_t part_header(vb_ws *ws, const unsigned char *p, size_t n)
{
    size_t used = 0;
    while (ws->part && ws->part_need == 0 && used < n && !ws->closing && !ws->raw) {
        size_t want = ws->part_len < 2 ? 2 : vb_ws_hdr_len(ws->part);
        size_t k = WS_MIN(want - ws->part_len, n - used);
        memcpy(ws->part + ws->part_len, p + used, k);
        ws->part_len += (uint32_t)k;
        used += k;
        vb_ws_hdr h;
        int rc = vb_ws_hdr_decode(ws->part, ws->part_len, &h);
        if (rc == VB_WS_HDR_PARTIAL) continue;
        int chk = rc == VB_WS_HDR_BAD ? IN_RAW : frame_check(ws, &h);
        uint64_t total = chk == IN_OK ? h.hlen + h.plen : 0;
        if (chk == IN_RAW) {
            ws->raw = 1;
            feed(ws, ws->part, ws->part_len);
            part_free(ws);
        } else if (chk == IN_TOO_BIG) {
            part_free(ws);
            too_big(ws);
        } else if (total > WS_PART_MAX) {
            frame_apply(ws, &h);
            ws->fwd = total - ws->part_len;
            feed(ws, ws->part, ws->part_len);
            part_free(ws);
        } else if (part_reserve(ws, (size_t)total) < 0) {
            part_free(ws);
            stop(ws);
        } else {
            ws->part_need = (uint32_t)total;
        }
    }
    return used;
}

/* Adds p[0..n) to the incomplete frame in ws->part; feeds it once complete.
 * Returns the bytes of p used. */
static size_t part_fill(vb_ws *ws, const unsigned char *p, size_t n)
{
    size_t used = part_header(ws, p, n);
    if (ws->part_need == 0 || ws->closing) return used;
    size_t k = WS_MIN((size_t)(ws->part_need - ws->part_len), n - used);
    memcpy(ws->part + ws->part_len, p + used, k);
    ws->part_len += (uint32_t)k;
    used += k;
    if (ws->part_len == ws->part_need) {
        vb_ws_hdr h;
        vb_ws_hdr_decode(ws->part, ws->part_len, &h); /* complete and checked */
        frame_apply(ws, &h);
        feed(ws, ws->part, ws->part_len);
        part_free(ws);
    }
    return used;
}

/* ---------- the stream's input ---------- */

/*
 * Scans the complete frames at p[0..n) (ws at a frame boundary) and feeds
 * them to wslay in one call, together with the start of a large incomplete
 * frame; keeps a small incomplete frame in ws->part. Returns the bytes used:
 * fewer than n only when the rest must go to wslay raw.
 */
static size_t scan_frames(vb_ws *ws, const unsigned char *p, size_t n)
{
    size_t pos = 0;
    int chk = IN_OK;
    while (pos < n) {
        vb_ws_hdr h;
        int rc = vb_ws_hdr_decode(p + pos, n - pos, &h);
        if (rc == VB_WS_HDR_PARTIAL) break;
        chk = rc == VB_WS_HDR_BAD ? IN_RAW : frame_check(ws, &h);
        if (chk != IN_OK) break;
        uint64_t total = h.hlen + h.plen;
        if (total > n - pos) {
            if (total <= WS_PART_MAX) break; /* kept in ws->part below */
            frame_apply(ws, &h);
            ws->fwd = total - (n - pos);
            pos = n;
            break;
        }
        frame_apply(ws, &h);
        pos += (size_t)total;
    }
    if (feed(ws, p, pos) < 0) return n;
    if (chk == IN_RAW) {
        ws->raw = 1;
        return pos;
    }
    if (chk == IN_TOO_BIG) {
        too_big(ws);
        return n;
    }
    if (pos < n) part_start(ws, p + pos, n - pos);
    return n;
}

void vb_ws_in_data(vb_stream *s, const char *data, size_t len, void *ud)
{
    vb_ws *ws = ud;
    const unsigned char *p = (const unsigned char *)data;
    size_t pos = 0;
    while (pos < len && !ws->closing) {
        if (ws->raw) {
            feed(ws, p + pos, len - pos);
            break;
        }
        if (ws->fwd > 0) {
            size_t k = (size_t)WS_MIN(ws->fwd, (uint64_t)(len - pos));
            ws->fwd -= k;
            feed(ws, p + pos, k);
            pos += k;
        } else if (ws->part_len > 0) {
            pos += part_fill(ws, p + pos, len - pos);
        } else {
            pos += scan_frames(ws, p + pos, len - pos);
        }
    }
    /* wslay keeps nothing between frames unless a message is open. */
    if (ws->ctx && (ws->closing || (!ws->raw && !ws->frag && ws->fwd == 0))) {
        wslay_event_context_free(ws->ctx);
        ws->ctx = NULL;
    }
}
