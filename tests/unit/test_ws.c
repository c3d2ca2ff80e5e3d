/*
 * Tests for WebSocket connections (src/net/vb_ws.c). An echo server runs in
 * a uv loop on the test thread; a client thread speaks RFC 6455 over
 * blocking sockets (real handshake, masked frames), records what it saw and
 * wakes the loop to shut the server down. Assertions run on the test thread
 * after the join; waits are reads with a safety timeout, never sleeps.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/vb_buf.h"
#include "core/vb_common.h"
#include "net/vb_http.h"
#include "net/vb_ws.h"
#include "net/vb_ws_internal.h"
#include "support/vb_test_net.h"

#define RFC_KEY "dGhlIHNhbXBsZSBub25jZQ=="
/* RFC 6455 section 1.3's example (also what Python's hashlib/base64 give) */
#define RFC_ACCEPT "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
#define MAX_MESSAGE 100000
#define NWS 8
#define NREC 16
#define BIG 70000

typedef struct tctx tctx;
typedef void (*client_fn)(tctx *t);

/* One frame as the client read it. */
typedef struct frame {
    int ok, fin, opcode;
    size_t len;
    unsigned char data[BIG + 16];
} frame;
struct tctx {
    vbt_net_server net;
    client_fn client;
    /* client results */
    char hs[4][1024];
    frame fr[NREC];
    int rc[NREC];
    /* loop thread */
    vb_ws *ws[NWS];
    int nws, nclosed, codes[NWS];
    int ctx_at_close[NWS]; /* the wslay context was still held when it closed */
    int bcast_refs;
};

/* ---------- client side ---------- */

/* Sends an upgrade request (key NULL: none) and reads the response head into
 * out. Returns the status code or -1. */
static int ws_handshake(vbt_net_conn *c, const char *key, char *out, size_t cap)
{
    char req[512];
    int n = snprintf(req, sizeof(req),
                     "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n"
                     "Connection: keep-alive, Upgrade\r\n%s%s%sSec-WebSocket-Version: 13\r\n\r\n",
                     key ? "Sec-WebSocket-Key: " : "", key ? key : "", key ? "\r\n" : "");
    vbt_net_conn_write(c, req, (size_t)n);
    if (vbt_net_conn_response(c, out, cap, 1) < 0) return -1;
    return atoi(out + 9);
}

/* Encodes a client frame into f (room for n + 14); returns its length. */
static size_t ws_encode(unsigned char *f, int fin, int opcode, const void *p, size_t n, int mask)
{
    size_t h = 0;
    static const unsigned char key[4] = {0x12, 0x34, 0x56, 0x78};
    f[h++] = (unsigned char)((fin ? 0x80 : 0) | opcode);
    unsigned char m = mask ? 0x80 : 0;
    if (n < 126) {
        f[h++] = (unsigned char)(m | n);
    } else if (n <= 0xFFFF) {
        f[h++] = m | 126;
        f[h++] = (unsigned char)(n >> 8);
        f[h++] = (unsigned char)n;
    } else {
        f[h++] = m | 127;
        for (int i = 7; i >= 0; i--)
            f[h++] = (unsigned char)((uint64_t)n >> (8 * i));
    }
    if (mask) {
        memcpy(f + h, key, 4);
        h += 4;
    }
    for (size_t i = 0; i < n; i++)
        f[h + i] = ((const unsigned char *)p)[i] ^ (mask ? key[i % 4] : 0);
    return h + n;
}

/* Sends one frame in writes of at most step bytes (0: one write). */
static void ws_send_split(vbt_net_conn *c, int fin, int opcode, const void *p, size_t n, int mask,
                          size_t step)
{
    unsigned char *f = malloc(n + 14);
    size_t len = ws_encode(f, fin, opcode, p, n, mask);
    for (size_t off = 0; off < len;) {
        size_t k = step && len - off > step ? step : len - off;
        vbt_net_conn_write(c, f + off, k);
        off += k;
    }
    free(f);
}

static void ws_send(vbt_net_conn *c, int fin, int opcode, const void *p, size_t n, int mask)
{
    ws_send_split(c, fin, opcode, p, n, mask, 0);
}

/* Reads one server frame into *fr (fr->ok = 0 on EOF/timeout or if the
 * server masked it). */
static void ws_read(vbt_net_conn *c, frame *fr)
{
    fr->ok = 0;
    for (;;) {
        if (c->len >= 2) {
            size_t h = 2, n = c->buf[1] & 0x7F;
            if (c->buf[1] & 0x80) return; /* server frames are never masked */
            if (n == 126) {
                h = 4;
                if (c->len >= 4) n = (size_t)c->buf[2] << 8 | c->buf[3];
            } else if (n == 127) {
                h = 10;
                if (c->len >= 10) {
                    n = 0;
                    for (int i = 0; i < 8; i++)
                        n = n << 8 | c->buf[2 + i];
                }
            }
            if (n > BIG + 16) return;
            if (c->len >= h + n) {
                fr->fin = c->buf[0] >> 7;
                fr->opcode = c->buf[0] & 0x0F;
                fr->len = n;
                memcpy(fr->data, c->buf + h, n);
                fr->data[n] = 0;
                fr->ok = 1;
                vbt_net_conn_consume(c, h + n);
                return;
            }
        }
        if (vbt_net_conn_fill(c) <= 0) return;
    }
}

/* 1 once the server has closed the connection (EOF or reset). */
static int close_code(const frame *fr)
{
    if (!fr->ok || fr->opcode != 8 || fr->len < 2) return -1;
    return fr->data[0] << 8 | fr->data[1];
}

/* Runs the test's client (on the client thread). */
static void client_main(vbt_net_server *s)
{
    tctx *t = VB_CONTAINER_OF(s, tctx, net);
    t->client(t);
}

/* ---------- server side ---------- */

static void on_message(vb_ws *ws, int opcode, const char *data, size_t len, void *ud)
{
    tctx *t = ud;
    if (opcode == VB_WS_TEXT && len == 5 && memcmp(data, "BCAST", 5) == 0) {
        char payload[1000];
        memset(payload, 'b', sizeof(payload));
        vb_buf *f = vb_ws_frame(VB_WS_TEXT, payload, sizeof(payload));
        for (int i = 0; i < t->nws; i++)
            if (t->ws[i]) vb_ws_send_frame(t->ws[i], f);
        t->bcast_refs = (int)f->refs;
        vb_buf_unref(f);
        return;
    }
    if (opcode == VB_WS_TEXT && len == 7 && memcmp(data, "CLOSEME", 7) == 0) {
        vb_ws_close(ws, 4000, "bye");
        assert_int_equal(vb_ws_send(ws, VB_WS_TEXT, "late", 4), VB_EIO);
        return;
    }
    vb_ws_send(ws, opcode, data, len);
}

static void on_close(vb_ws *ws, int code, void *ud)
{
    tctx *t = ud;
    for (int i = 0; i < t->nws; i++) {
        if (t->ws[i] == ws) {
            t->ws[i] = NULL;
            t->codes[i] = code;
            t->ctx_at_close[i] = ws->ctx != NULL;
        }
    }
    t->nclosed++;
}

static void handler(vb_http_req *req, void *ud)
{
    static const vb_ws_handlers h = {on_message, on_close};
    tctx *t = VB_CONTAINER_OF(ud, tctx, net);
    if (strcmp(req->path, "/ws") == 0) {
        vb_ws_options o = {.max_message = MAX_MESSAGE};
        vb_ws *ws = vb_ws_accept(req, &h, t, &o);
        if (ws && t->nws < NWS) {
            assert_string_equal(vb_ws_peer(ws), "127.0.0.1");
            t->ws[t->nws++] = ws;
        }
        return;
    }
    vb_http_respond(req, 404, NULL, NULL, 0);
}

static tctx *run(client_fn fn)
{
    tctx *t = calloc(1, sizeof(*t));
    assert_non_null(t);
    vbt_net_server_start(&t->net, NULL, handler);
    t->client = fn;
    vbt_net_server_run(&t->net, client_main);
    assert_int_equal(t->nclosed, t->nws); /* on_close exactly once per connection */
    return t;
}

/* ---------- tests ---------- */

static void c_echo(tctx *t)
{
    vbt_net_conn *c = vbt_net_conn_new(t->net.port);
    t->rc[0] = ws_handshake(c, RFC_KEY, t->hs[0], sizeof(t->hs[0]));
    ws_send(c, 1, 1, "hello", 5, 1);
    ws_read(c, &t->fr[0]);
    unsigned char *big = malloc(BIG);
    for (size_t i = 0; i < BIG; i++)
        big[i] = (unsigned char)(i * 7);
    ws_send(c, 1, 2, big, 300, 1); /* 16-bit length */
    ws_read(c, &t->fr[1]);
    t->rc[1] = t->fr[1].len == 300 && memcmp(t->fr[1].data, big, 300) == 0;
    ws_send(c, 1, 2, big, BIG, 1); /* 64-bit length */
    ws_read(c, &t->fr[2]);
    t->rc[2] = t->fr[2].len == BIG && memcmp(t->fr[2].data, big, BIG) == 0;
    free(big);
    /* fragmented text with a ping in the middle */
    ws_send(c, 0, 1, "hel", 3, 1);
    ws_send(c, 0, 0, "lo ", 3, 1);
    ws_send(c, 1, 9, "p1", 2, 1);
    ws_send(c, 1, 0, "w\xC3\xB6rld", 6, 1);
    ws_read(c, &t->fr[3]); /* pong */
    ws_read(c, &t->fr[4]); /* joined message */
    /* close handshake started by the client */
    static const char bye[] = {0x03, (char)0xE8, 'd', 'o', 'n', 'e'}; /* 1000 "done" */
    ws_send(c, 1, 8, bye, sizeof(bye), 1);
    ws_read(c, &t->fr[5]);
    t->rc[3] = vbt_net_conn_wait_close(c);
    vbt_net_conn_free(c);
}

static void test_handshake_echo_close(void **state)
{
    tctx *t = run(c_echo);
    assert_int_equal(t->rc[0], 101);
    assert_non_null(strstr(t->hs[0], "HTTP/1.1 101 Switching Protocols\r\n"));
    assert_non_null(strstr(t->hs[0], "Sec-WebSocket-Accept: " RFC_ACCEPT "\r\n"));
    assert_non_null(strcasestr(t->hs[0], "upgrade: websocket\r\n"));
    assert_int_equal(t->net.last_status, 101); /* the access log saw the upgrade */
    assert_true(t->fr[0].ok);
    assert_int_equal(t->fr[0].fin, 1);
    assert_int_equal(t->fr[0].opcode, 1);
    assert_string_equal((char *)t->fr[0].data, "hello");
    assert_int_equal(t->fr[1].opcode, 2);
    assert_true(t->rc[1]);
    assert_true(t->rc[2]);
    assert_int_equal(t->fr[3].opcode, 0xA);
    assert_string_equal((char *)t->fr[3].data, "p1");
    assert_int_equal(t->fr[4].opcode, 1);
    assert_string_equal((char *)t->fr[4].data, "hello w\xC3\xB6rld");
    assert_int_equal(close_code(&t->fr[5]), 1000);
    assert_true(t->rc[3]);
    assert_int_equal(t->nws, 1);
    assert_int_equal(t->codes[0], 1000);
    free(t);
}

/* Sends one bad frame on a fresh connection; records the close code the
 * server answered with in rc[i] and whether it then closed in rc[i + 8]. */
static void bad_frame(tctx *t, int i, int opcode, const void *p, size_t n, int mask)
{
    vbt_net_conn *c = vbt_net_conn_new(t->net.port);
    if (ws_handshake(c, RFC_KEY, t->hs[0], sizeof(t->hs[0])) != 101) {
        vbt_net_conn_free(c);
        return;
    }
    ws_send(c, 1, opcode, p, n, mask);
    ws_read(c, &t->fr[i]);
    t->rc[i] = close_code(&t->fr[i]);
    t->rc[i + 8] = vbt_net_conn_wait_close(c);
    vbt_net_conn_free(c);
}

static void c_errors(tctx *t)
{
    bad_frame(t, 0, 1, "\xC3\x28 bad", 6, 1); /* invalid UTF-8 */
    bad_frame(t, 1, 1, "plain", 5, 0);        /* unmasked */
    /* over max_message: the header alone announces it */
    vbt_net_conn *c = vbt_net_conn_new(t->net.port);
    if (ws_handshake(c, RFC_KEY, t->hs[0], sizeof(t->hs[0])) == 101) {
        unsigned char hdr[14] = {0x82, 0x80 | 127, 0, 0, 0, 0, 0, 0x03, 0x0D, 0x40, 1, 2, 3, 4};
        vbt_net_conn_write(c, hdr, sizeof(hdr)); /* 200000 bytes announced */
        vbt_net_conn_write(c, "0123456789", 10);
        ws_read(c, &t->fr[2]);
        t->rc[2] = close_code(&t->fr[2]);
        t->rc[10] = vbt_net_conn_wait_close(c);
    }
    vbt_net_conn_free(c);
    bad_frame(t, 3, 1, "CLOSEME", 7, 1); /* the server closes */
    t->rc[4] = t->fr[3].len == 5 && memcmp(t->fr[3].data + 2, "bye", 3) == 0;
    /* a bad handshake: no key */
    c = vbt_net_conn_new(t->net.port);
    t->rc[5] = ws_handshake(c, NULL, t->hs[1], sizeof(t->hs[1]));
    vbt_net_conn_free(c);
    c = vbt_net_conn_new(t->net.port);
    t->rc[6] = ws_handshake(c, "short==", t->hs[2], sizeof(t->hs[2]));
    vbt_net_conn_free(c);
}

static void test_errors(void **state)
{
    tctx *t = run(c_errors);
    assert_int_equal(t->rc[0], 1007);
    assert_int_equal(t->rc[1], 1002);
    assert_int_equal(t->rc[2], 1009);
    assert_int_equal(t->rc[3], 4000);
    assert_true(t->rc[4]);
    for (int i = 8; i <= 11; i++)
        assert_true(t->rc[i]);
    assert_int_equal(t->nws, 4);
    assert_int_equal(t->codes[0], 1007);
    assert_int_equal(t->codes[1], 1002);
    assert_int_equal(t->codes[2], 1009);
    assert_int_equal(t->codes[3], 4000);
    assert_int_equal(t->rc[5], 400);
    assert_int_equal(t->rc[6], 400);
    assert_null(strstr(t->hs[1], "Sec-WebSocket-Accept"));
    free(t);
}

static void c_broadcast(tctx *t)
{
    vbt_net_conn *c[3];
    for (int i = 0; i < 3; i++) {
        c[i] = vbt_net_conn_new(t->net.port);
        t->rc[i] = ws_handshake(c[i], RFC_KEY, t->hs[0], sizeof(t->hs[0]));
    }
    ws_send(c[1], 1, 1, "BCAST", 5, 1);
    for (int i = 0; i < 3; i++) {
        ws_read(c[i], &t->fr[i]);
        vbt_net_conn_free(c[i]); /* abrupt: no close frame */
    }
}

static void test_broadcast(void **state)
{
    tctx *t = run(c_broadcast);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(t->rc[i], 101);
        assert_true(t->fr[i].ok);
        assert_int_equal(t->fr[i].opcode, 1);
        assert_int_equal(t->fr[i].len, 1000);
        for (size_t k = 0; k < 1000; k++)
            assert_int_equal(t->fr[i].data[k], 'b');
        assert_int_equal(t->codes[i], 1006); /* connection lost without a close frame */
        assert_false(t->ctx_at_close[i]);    /* idle: no wslay context held */
    }
    assert_int_equal(t->bcast_refs, 4); /* one buffer, queued by reference on 3 streams */
    free(t);
}

/* Frames split at every byte, several frames in one write, a frame cut
 * after a few bytes, a large frame (fed to wslay as it arrives) and a
 * fragmented message whose frames are split too: every message is echoed
 * intact and in order, and pings are answered. */
static void c_split(tctx *t)
{
    vbt_net_conn *c = vbt_net_conn_new(t->net.port);
    t->rc[0] = ws_handshake(c, RFC_KEY, t->hs[0], sizeof(t->hs[0]));
    unsigned char *big = malloc(BIG + 14);
    for (size_t i = 0; i < BIG; i++)
        big[i] = (unsigned char)(i * 13);
    ws_send_split(c, 1, 1, "hello", 5, 1, 1); /* byte by byte */
    ws_read(c, &t->fr[0]);
    ws_send_split(c, 1, 2, big, 3000, 1, 700); /* a small frame in pieces */
    ws_read(c, &t->fr[1]);
    t->rc[1] = t->fr[1].ok && t->fr[1].len == 3000 && memcmp(t->fr[1].data, big, 3000) == 0;
    ws_send_split(c, 1, 2, big, BIG, 1, 9999); /* a large frame in pieces */
    ws_read(c, &t->fr[2]);
    t->rc[2] = t->fr[2].ok && t->fr[2].len == BIG && memcmp(t->fr[2].data, big, BIG) == 0;
    /* two whole frames and the first 3 bytes of a third in one write */
    unsigned char buf[64];
    size_t n = ws_encode(buf, 1, 1, "one", 3, 1);
    n += ws_encode(buf + n, 1, 9, "pi", 2, 1);
    size_t third = ws_encode(buf + n, 1, 1, "three", 5, 1);
    vbt_net_conn_write(c, buf, n + 3);
    vbt_net_conn_write(c, buf + n + 3, third - 3);
    ws_read(c, &t->fr[3]); /* one */
    ws_read(c, &t->fr[4]); /* pong */
    ws_read(c, &t->fr[5]); /* three */
    /* a fragmented message, each frame split, a ping between fragments */
    ws_send_split(c, 0, 1, "fra", 3, 1, 2);
    ws_send_split(c, 1, 9, "p2", 2, 1, 3);
    ws_read(c, &t->fr[6]); /* the pong comes before the message ends */
    ws_send_split(c, 0, 0, "gme", 3, 1, 1);
    ws_send_split(c, 1, 0, "nted", 4, 1, 5);
    ws_read(c, &t->fr[7]);
    free(big);
    static const char bye[] = {0x03, (char)0xE8};
    ws_send_split(c, 1, 8, bye, sizeof(bye), 1, 1);
    ws_read(c, &t->fr[8]);
    t->rc[3] = vbt_net_conn_wait_close(c);
    vbt_net_conn_free(c);
}

static void test_split_frames(void **state)
{
    tctx *t = run(c_split);
    assert_int_equal(t->rc[0], 101);
    assert_true(t->fr[0].ok);
    assert_string_equal((char *)t->fr[0].data, "hello");
    assert_true(t->rc[1]);
    assert_true(t->rc[2]);
    assert_string_equal((char *)t->fr[3].data, "one");
    assert_int_equal(t->fr[4].opcode, 0xA);
    assert_string_equal((char *)t->fr[4].data, "pi");
    assert_string_equal((char *)t->fr[5].data, "three");
    assert_int_equal(t->fr[6].opcode, 0xA);
    assert_string_equal((char *)t->fr[6].data, "p2");
    assert_int_equal(t->fr[7].opcode, 1);
    assert_string_equal((char *)t->fr[7].data, "fragmented");
    assert_int_equal(close_code(&t->fr[8]), 1000);
    assert_true(t->rc[3]);
    assert_int_equal(t->codes[0], 1000);
    free(t);
}

/* A frame over WS_PART_MAX whose header is split across two reads, after
 * a complete frame: the first read ends with the frame's first byte (0x81),
 * the second brings the rest of the header (0xFE 0x13 0x88: masked, 5000
 * bytes), the key and the whole payload. The first echo proves the server
 * has read the first write on its own before the second is sent (one small
 * write on loopback arrives whole). The frame is echoed intact, and so is a
 * frame after it. */
static void c_split_header(tctx *t)
{
    vbt_net_conn *c = vbt_net_conn_new(t->net.port);
    t->rc[0] = ws_handshake(c, RFC_KEY, t->hs[0], sizeof(t->hs[0]));
    enum { N = 5000 };
    unsigned char *p = malloc(N), *f = malloc(N + 64);
    for (size_t i = 0; i < N; i++)
        p[i] = (unsigned char)('a' + i % 26);
    size_t n = ws_encode(f, 1, 1, "a", 1, 1);
    size_t big = ws_encode(f + n, 1, 1, p, N, 1);
    assert_true(f[n] == 0x81 && f[n + 1] == 0xFE && f[n + 2] == 0x13 && f[n + 3] == 0x88);
    vbt_net_conn_write(c, f, n + 1);
    ws_read(c, &t->fr[0]);
    vbt_net_conn_write(c, f + n + 1, big - 1);
    ws_read(c, &t->fr[1]);
    t->rc[1] = t->fr[1].ok && t->fr[1].len == N && memcmp(t->fr[1].data, p, N) == 0;
    ws_send(c, 1, 1, "after", 5, 1);
    ws_read(c, &t->fr[2]);
    free(p);
    free(f);
    static const char bye[] = {0x03, (char)0xE8};
    ws_send(c, 1, 8, bye, sizeof(bye), 1);
    ws_read(c, &t->fr[3]);
    t->rc[2] = vbt_net_conn_wait_close(c);
    vbt_net_conn_free(c);
}

static void test_split_large_header(void **state)
{
    tctx *t = run(c_split_header);
    assert_int_equal(t->rc[0], 101);
    assert_true(t->fr[0].ok);
    assert_string_equal((char *)t->fr[0].data, "a");
    assert_true(t->rc[1]);
    assert_string_equal((char *)t->fr[2].data, "after");
    assert_int_equal(close_code(&t->fr[3]), 1000);
    assert_true(t->rc[2]);
    assert_int_equal(t->codes[0], 1000);
    free(t);
}

/* Protocol errors found by reading headers (answered by wslay) and a
 * fragmented message growing past max_message (1009 at its header). */
static void c_errors2(tctx *t)
{
    bad_frame(t, 0, 0, "cont", 4, 1); /* a continuation without a message */
    char ctl[126];
    memset(ctl, 'x', sizeof(ctl));
    bad_frame(t, 1, 9, ctl, sizeof(ctl), 1); /* a ping over 125 bytes: no status */
    bad_frame(t, 2, 3, "op", 2, 1);          /* an unknown opcode */
    vbt_net_conn *c = vbt_net_conn_new(t->net.port);
    if (ws_handshake(c, RFC_KEY, t->hs[0], sizeof(t->hs[0])) == 101) {
        unsigned char *p = calloc(1, 60000);
        ws_send(c, 0, 2, p, 60000, 1);
        ws_send_split(c, 0, 0, p, 60000, 1, 20); /* 120000 > MAX_MESSAGE */
        free(p);
        ws_read(c, &t->fr[3]);
        t->rc[3] = close_code(&t->fr[3]);
        t->rc[11] = vbt_net_conn_wait_close(c);
    }
    vbt_net_conn_free(c);
    c = vbt_net_conn_new(t->net.port);
    if (ws_handshake(c, RFC_KEY, t->hs[0], sizeof(t->hs[0])) == 101) {
        ws_send(c, 0, 1, "a", 1, 1);
        ws_send(c, 1, 1, "b", 1, 1); /* a new message inside one */
        ws_read(c, &t->fr[4]);
        t->rc[4] = close_code(&t->fr[4]);
        t->rc[12] = vbt_net_conn_wait_close(c);
    }
    vbt_net_conn_free(c);
}

static void test_errors_fragments(void **state)
{
    tctx *t = run(c_errors2);
    assert_int_equal(t->rc[0], 1002);
    assert_int_equal(t->rc[1], -1); /* wslay closes with an empty close frame */
    assert_int_equal(t->rc[2], 1002);
    assert_int_equal(t->rc[3], 1009);
    assert_int_equal(t->rc[4], 1002);
    for (int i = 8; i <= 12; i++)
        assert_true(t->rc[i]);
    assert_int_equal(t->nws, 5);
    assert_int_equal(t->codes[0], 1002);
    assert_int_equal(t->codes[1], 1005);
    assert_int_equal(t->codes[2], 1002);
    assert_int_equal(t->codes[3], 1009);
    assert_int_equal(t->codes[4], 1002);
    free(t);
}

/* The frame header decoder, on its own. */
static void test_header_decode(void **state)
{
    vb_ws_hdr h;
    static const unsigned char small[] = {0x81, 0x85, 1, 2, 3, 4};
    assert_int_equal(vb_ws_hdr_decode(small, 1, &h), VB_WS_HDR_PARTIAL);
    assert_int_equal(vb_ws_hdr_decode(small, 5, &h), VB_WS_HDR_PARTIAL);
    assert_int_equal(vb_ws_hdr_decode(small, 6, &h), VB_WS_HDR_COMPLETE);
    assert_int_equal(h.fin, 1);
    assert_int_equal(h.opcode, 1);
    assert_int_equal(h.hlen, 6);
    assert_int_equal(h.plen, 5);
    static const unsigned char mid[] = {0x02, 0xFE, 0x01, 0x00, 1, 2, 3, 4};
    assert_int_equal(vb_ws_hdr_len(mid), 8);
    assert_int_equal(vb_ws_hdr_decode(mid, 8, &h), VB_WS_HDR_COMPLETE);
    assert_int_equal(h.fin, 0);
    assert_int_equal(h.plen, 256);
    static const unsigned char large[] = {0x82, 0xFF, 0, 0, 0, 0, 0, 1, 0, 0, 1, 2, 3, 4};
    assert_int_equal(vb_ws_hdr_decode(large, 13, &h), VB_WS_HDR_PARTIAL);
    assert_int_equal(vb_ws_hdr_decode(large, 14, &h), VB_WS_HDR_COMPLETE);
    assert_int_equal(h.hlen, 14);
    assert_int_equal(h.plen, 65536);
    static const unsigned char unmasked[] = {0x81, 0x05};
    assert_int_equal(vb_ws_hdr_decode(unmasked, 2, &h), VB_WS_HDR_BAD);
    static const unsigned char rsv[] = {0xC1, 0x80};
    assert_int_equal(vb_ws_hdr_decode(rsv, 2, &h), VB_WS_HDR_BAD);
    static const unsigned char ping_frag[] = {0x09, 0x80};
    assert_int_equal(vb_ws_hdr_decode(ping_frag, 2, &h), VB_WS_HDR_BAD);
    static const unsigned char not_minimal[] = {0x81, 0xFE, 0x00, 0x7D, 1, 2, 3, 4};
    assert_int_equal(vb_ws_hdr_decode(not_minimal, 8, &h), VB_WS_HDR_BAD);
    static const unsigned char top_bit[] = {0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4};
    assert_int_equal(vb_ws_hdr_decode(top_bit, 14, &h), VB_WS_HDR_BAD);
    assert_true(vb_ws_utf8_ok((const unsigned char *)"w\xC3\xB6rld", 6));
    assert_false(vb_ws_utf8_ok((const unsigned char *)"\xED\xA0\x80", 3)); /* a surrogate */
}

static void test_frame_encoding(void **state)
{
    vb_buf *f = vb_ws_frame(VB_WS_TEXT, "hi", 2);
    assert_int_equal(f->len, 4);
    assert_memory_equal(f->data, "\x81\x02hi", 4);
    vb_buf_unref(f);
    char *p = calloc(1, 70000);
    f = vb_ws_frame(VB_WS_BINARY, p, 200);
    assert_int_equal(f->len, 204);
    assert_memory_equal(f->data, "\x82\x7E\x00\xC8", 4);
    vb_buf_unref(f);
    f = vb_ws_frame(VB_WS_BINARY, p, 70000);
    assert_int_equal(f->len, 70010);
    assert_memory_equal(f->data, "\x82\x7F\x00\x00\x00\x00\x00\x01\x11\x70", 10);
    vb_buf_unref(f);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frame_encoding), cmocka_unit_test(test_handshake_echo_close),
        cmocka_unit_test(test_errors),         cmocka_unit_test(test_broadcast),
        cmocka_unit_test(test_split_frames),   cmocka_unit_test(test_errors_fragments),
        cmocka_unit_test(test_header_decode),  cmocka_unit_test(test_split_large_header),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
