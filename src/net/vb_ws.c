/*
 * WebSocket connections (see vb_ws.h) on a vb_stream. The handshake answer
 * (101) is the first thing queued on the stream. Incoming bytes go through
 * a wslay server context: its recv callback reads from the chunk the stream
 * just delivered (wslay keeps partial frames itself), it joins fragments,
 * enforces masking and the message limit, validates UTF-8 and answers pings
 * and close frames; its send callback copies those control frames into the
 * stream. Outgoing data frames bypass wslay: vb_ws_frame encodes an
 * unmasked frame once, and it is queued by reference.
 *
 * Closing: once a close frame was received or sent (by wslay on a protocol
 * error, or by vb_ws_close), the stream is closed gracefully. on_close runs
 * from the stream's on_close, with the code received from the peer, else
 * the one sent, else 1006 (connection lost).
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wslay/wslay.h>

#include "core/vb_common.h"
#include "net/vb_stream.h"
#include "net/vb_ws.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WS_DEFAULT_MAX_MESSAGE (1024u * 1024)
#define WS_CLOSE_NO_STATUS 1005
#define WS_CLOSE_ABNORMAL 1006
#define WS_CLOSE_INVALID_DATA 1007

struct vb_ws {
    vb_stream *s;
    wslay_event_context_ptr ctx;
    vb_ws_handlers h;
    void *ud;
    const char *in; /* the chunk being parsed (valid during wslay_event_recv) */
    size_t in_len;
    int close_code; /* 0 until a close frame was received or sent */
    int closing;    /* no more input is parsed and no more frames are sent */
};

/* ---------- validation helpers ---------- */

/* 1 if the comma-separated header value contains token (case-insensitive). */
static int has_token(const char *value, const char *token)
{
    size_t tl = strlen(token);
    const char *p = value;
    while (p && *p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        const char *end = p;
        while (*end && *end != ',')
            end++;
        const char *e = end;
        while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if ((size_t)(e - p) == tl && strncasecmp(p, token, tl) == 0) return 1;
        p = end;
    }
    return 0;
}

/* 1 if key is the base64 form of 16 bytes (22 characters and "=="). */
static int key_ok(const char *key)
{
    if (!key || strlen(key) != 24 || key[22] != '=' || key[23] != '=') return 0;
    for (int i = 0; i < 22; i++) {
        char ch = key[i];
        int b64 = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                  (ch >= '0' && ch <= '9') || ch == '+' || ch == '/';
        if (!b64) return 0;
    }
    return 1;
}

/* 1 if data[0..len) is valid UTF-8 (no overlong forms, surrogates or code
 * points above U+10FFFF). */
static int utf8_ok(const unsigned char *p, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char c = p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        unsigned cp, min;
        if ((c & 0xE0) == 0xC0)
            n = 1, cp = c & 0x1F, min = 0x80;
        else if ((c & 0xF0) == 0xE0)
            n = 2, cp = c & 0x0F, min = 0x800;
        else if ((c & 0xF8) == 0xF0)
            n = 3, cp = c & 0x07, min = 0x10000;
        else
            return 0;
        if (len - i <= n) return 0;
        for (size_t k = 1; k <= n; k++) {
            if ((p[i + k] & 0xC0) != 0x80) return 0;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
        i += n + 1;
    }
    return 1;
}

int vb_ws_is_upgrade(const vb_http_req *req)
{
    const char *up = vb_http_header_get(req, "upgrade");
    const char *conn = vb_http_header_get(req, "connection");
    const char *ver = vb_http_header_get(req, "sec-websocket-version");
    return strcmp(req->method, "GET") == 0 && up && has_token(up, "websocket") && conn &&
           has_token(conn, "upgrade") && vb_http_header_get(req, "sec-websocket-key") && ver &&
           strcmp(ver, "13") == 0;
}

/* Computes Sec-WebSocket-Accept for key into out (29 bytes with the NUL).
 * Returns 0, or VB_EIO if the digest failed. */
static int accept_value(const char *key, char out[29])
{
    char in[64 + sizeof(WS_GUID)];
    size_t kl = strlen(key);
    if (kl > 64) return VB_EINVAL;
    memcpy(in, key, kl);
    memcpy(in + kl, WS_GUID, sizeof(WS_GUID) - 1);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    if (!EVP_Digest(in, kl + sizeof(WS_GUID) - 1, md, &mdlen, EVP_sha1(), NULL) || mdlen != 20)
        return VB_EIO;
    EVP_EncodeBlock((unsigned char *)out, md, 20); /* 28 characters and a NUL */
    return 0;
}

/* ---------- frames ---------- */

vb_buf *vb_ws_frame(int opcode, const void *payload, size_t len)
{
    size_t hdr = len < 126 ? 2 : len <= 0xFFFF ? 4 : 10;
    if (len > SIZE_MAX - hdr - sizeof(vb_buf) - 1) return NULL;
    vb_buf *b = vb_buf_new(hdr + len);
    if (!b) return NULL;
    unsigned char *p = (unsigned char *)b->data;
    p[0] = (unsigned char)(0x80 | (opcode & 0x0F));
    if (hdr == 2) {
        p[1] = (unsigned char)len;
    } else if (hdr == 4) {
        p[1] = 126;
        p[2] = (unsigned char)(len >> 8);
        p[3] = (unsigned char)len;
    } else {
        p[1] = 127;
        uint64_t l = len;
        for (int i = 0; i < 8; i++)
            p[2 + i] = (unsigned char)(l >> (56 - 8 * i));
    }
    if (len) memcpy(p + hdr, payload, len);
    return b;
}

int vb_ws_send_frame(vb_ws *ws, vb_buf *frame)
{
    if (ws->closing) return VB_EIO;
    return vb_stream_send(ws->s, frame);
}

int vb_ws_send(vb_ws *ws, int opcode, const void *payload, size_t len)
{
    if (ws->closing) return VB_EIO;
    vb_buf *f = vb_ws_frame(opcode, payload, len);
    if (!f) return VB_EIO;
    int rc = vb_stream_send(ws->s, f);
    vb_buf_unref(f);
    return rc;
}

void vb_ws_close(vb_ws *ws, int code, const char *reason)
{
    if (ws->closing) return;
    ws->closing = 1;
    ws->close_code = code ? code : WS_CLOSE_NO_STATUS;
    /* Built here rather than by wslay: no pong or close from wslay may follow it. */
    wslay_event_shutdown_read(ws->ctx);
    wslay_event_shutdown_write(ws->ctx);
    unsigned char payload[125];
    size_t n = 0;
    if (code > 0 && code <= 0xFFFF) {
        payload[0] = (unsigned char)(code >> 8);
        payload[1] = (unsigned char)code;
        size_t rl = reason ? strlen(reason) : 0;
        if (rl > sizeof(payload) - 2) rl = sizeof(payload) - 2;
        if (rl) memcpy(payload + 2, reason, rl);
        n = 2 + rl;
    }
    vb_buf *f = vb_ws_frame(0x8, payload, n);
    if (f) {
        vb_stream_send(ws->s, f);
        vb_buf_unref(f);
    }
    vb_stream_close(ws->s);
}

/* ---------- wslay callbacks ---------- */

/* Hands wslay bytes from the chunk being parsed; "would block" once it is
 * used up (wslay keeps an incomplete frame for the next chunk). */
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
    if (arg->opcode == WSLAY_TEXT_FRAME && !utf8_ok(arg->msg, arg->msg_length)) {
        vb_ws_close(ws, WS_CLOSE_INVALID_DATA, "invalid UTF-8");
        return;
    }
    /* A pong queued for a ping received earlier goes out before any answer. */
    if (wslay_event_want_write(ctx)) wslay_event_send(ctx);
    if (ws->h.on_message)
        ws->h.on_message(ws, arg->opcode, arg->msg_length ? (const char *)arg->msg : "",
                         arg->msg_length, ws->ud);
}

/* ---------- stream callbacks ---------- */

/* Runs wslay over a chunk of input, flushes the control frames it queued,
 * and closes once a close frame went either way or wslay failed. */
static void ws_on_data(vb_stream *s, const char *data, size_t len, void *ud)
{
    vb_ws *ws = ud;
    if (ws->closing) return;
    ws->in = data;
    ws->in_len = len;
    int r = wslay_event_recv(ws->ctx);
    ws->in = NULL;
    ws->in_len = 0;
    if (ws->closing) return; /* vb_ws_close ran from a callback */
    int w = wslay_event_send(ws->ctx);
    if (wslay_event_get_close_received(ws->ctx)) {
        ws->close_code = wslay_event_get_status_code_received(ws->ctx);
    } else if (wslay_event_get_close_sent(ws->ctx)) {
        ws->close_code = wslay_event_get_status_code_sent(ws->ctx);
    }
    if (r < 0 || w < 0 || ws->close_code || !wslay_event_get_read_enabled(ws->ctx)) {
        ws->closing = 1;
        vb_stream_close(ws->s);
    }
}

/* The stream is gone: report the close code, then free everything. */
static void ws_on_close(vb_stream *s, void *ud)
{
    vb_ws *ws = ud;
    ws->closing = 1;
    int code = ws->close_code ? ws->close_code : WS_CLOSE_ABNORMAL;
    if (ws->h.on_close) ws->h.on_close(ws, code, ws->ud);
    wslay_event_context_free(ws->ctx);
    free(ws);
}

/* Answers a failed handshake with 400 (req is consumed). */
static void bad_handshake(vb_http_req *req, const char *msg)
{
    char body[160];
    int n = snprintf(body, sizeof(body),
                     "{\"statusCode\":400,\"code\":\"BAD_REQUEST\",\"message\":\"%s\"}", msg);
    vb_http_add_header(req, "Sec-WebSocket-Version", "13");
    vb_http_respond(req, 400, "application/json", body, (size_t)n);
}

/*
 * See vb_ws.h. Checks the handshake, creates the wslay context, takes the
 * connection over (the access log sees status 101) and queues the 101
 * answer. Returns NULL after answering 400 (bad handshake) or 500 (out of
 * memory), or when the takeover failed (it answered or freed req).
 */
vb_ws *vb_ws_accept(vb_http_req *req, const vb_ws_handlers *h, void *ud, const vb_ws_options *opts)
{
    static const struct wslay_event_callbacks cbs = {ws_recv, ws_send, NULL,     NULL,
                                                     NULL,    NULL,    ws_on_msg};
    static const vb_stream_handlers sh = {ws_on_data, ws_on_close};
    if (!vb_ws_is_upgrade(req)) {
        bad_handshake(req, "Not a WebSocket handshake");
        return NULL;
    }
    char accept[29];
    if (!key_ok(vb_http_header_get(req, "sec-websocket-key")) ||
        accept_value(vb_http_header_get(req, "sec-websocket-key"), accept) < 0) {
        bad_handshake(req, "Bad Sec-WebSocket-Key");
        return NULL;
    }
    vb_ws *ws = calloc(1, sizeof(*ws));
    if (!ws || wslay_event_context_server_init(&ws->ctx, &cbs, ws) != 0) {
        free(ws);
        static const char oom[] = "{\"statusCode\":500,\"code\":\"INTERNAL_ERROR\","
                                  "\"message\":\"Internal server error\"}";
        vb_http_respond(req, 500, "application/json", oom, sizeof(oom) - 1);
        return NULL;
    }
    if (h) ws->h = *h;
    ws->ud = ud;
    size_t max_message = opts && opts->max_message ? opts->max_message : WS_DEFAULT_MAX_MESSAGE;
    wslay_event_config_set_no_buffering(ws->ctx, 0);
    wslay_event_config_set_max_recv_msg_length(ws->ctx, max_message);

    req->status = 101;
    ws->s = vb_http_takeover(req, &sh, ws);
    if (!ws->s) {
        wslay_event_context_free(ws->ctx);
        free(ws);
        return NULL;
    }
    if (opts && opts->max_queued) vb_stream_set_limit(ws->s, opts->max_queued);
    char resp[160];
    int n = snprintf(resp, sizeof(resp),
                     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
                     accept);
    vb_stream_send_copy(ws->s, resp, (size_t)n); /* a failure closes the stream */
    return ws;
}

void vb_ws_set_ud(vb_ws *ws, void *ud)
{
    ws->ud = ud;
}

const char *vb_ws_peer(const vb_ws *ws)
{
    return vb_stream_peer(ws->s);
}
