/*
 * WebSocket connections (see vb_ws.h) on a vb_stream. The handshake answer
 * (101) is the first thing queued on the stream. Incoming frames go through
 * a wslay server context: its recv callback reads from the bytes being fed,
 * it joins fragments, enforces masking, validates UTF-8 and answers pings
 * and close frames; its send callback copies those control frames into the
 * stream. Outgoing data frames bypass wslay: vb_ws_frame encodes an
 * unmasked frame once, and it is queued by reference.
 *
 * Memory: a wslay context costs about 8.5 KB, so a connection holds one only
 * while it is needed. The input path reads frame headers itself to find
 * frame boundaries: complete frames are fed to a context created for the
 * chunk and freed afterwards; a small incomplete frame waits in a buffer
 * sized for it (allocated only then); a large one is fed as it arrives, the
 * context being kept until it ends, as it is while a fragmented message is
 * open. An idle connection holds neither. A header announcing more than
 * max_message closes with 1009 at once. On any header wslay would refuse
 * (see vb_ws_hdr_decode, and unexpected continuations), every byte from
 * there on goes to a context kept for good, so wslay answers the protocol
 * error exactly as it always did.
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
#include "net/vb_ws_internal.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WS_DEFAULT_MAX_MESSAGE (1024u * 1024)
#define WS_CLOSE_NO_STATUS 1005
#define WS_CLOSE_ABNORMAL 1006

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
    if (ws->ctx) {
        wslay_event_shutdown_read(ws->ctx);
        wslay_event_shutdown_write(ws->ctx);
    }
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

/* ---------- stream callbacks ---------- */

/* The stream is gone: report the close code, then free everything. */
static void ws_on_close(vb_stream *s, void *ud)
{
    vb_ws *ws = ud;
    ws->closing = 1;
    int code = ws->close_code ? ws->close_code : WS_CLOSE_ABNORMAL;
    if (ws->h.on_close) ws->h.on_close(ws, code, ws->ud);
    wslay_event_context_free(ws->ctx);
    free(ws->part);
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
 * See vb_ws.h. Checks the handshake, takes the connection over (the access
 * log sees status 101) and queues the 101 answer. Returns NULL after
 * answering 400 (bad handshake) or 500 (out of memory), or when the takeover
 * failed (it answered or freed req). No wslay context is made here: the
 * input path makes one when frames arrive (vb_ws_in.c).
 */
vb_ws *vb_ws_accept(vb_http_req *req, const vb_ws_handlers *h, void *ud, const vb_ws_options *opts)
{
    static const vb_stream_handlers sh = {vb_ws_in_data, ws_on_close};
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
    if (!ws) {
        static const char oom[] = "{\"statusCode\":500,\"code\":\"INTERNAL_ERROR\","
                                  "\"message\":\"Internal server error\"}";
        vb_http_respond(req, 500, "application/json", oom, sizeof(oom) - 1);
        return NULL;
    }
    if (h) ws->h = *h;
    ws->ud = ud;
    ws->max_message = opts && opts->max_message ? opts->max_message : WS_DEFAULT_MAX_MESSAGE;

    req->status = 101;
    ws->s = vb_stream_takeover(req, &sh, ws);
    if (!ws->s) {
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

const char *vb_ws_peer(const vb_ws *ws)
{
    return vb_stream_peer(ws->s);
}
