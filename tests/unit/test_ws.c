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

static void ws_send(vbt_net_conn *c, int fin, int opcode, const void *p, size_t n, int mask)
{
    unsigned char *f = malloc(n + 14);
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
    vbt_net_conn_write(c, f, h + n);
    free(f);
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
    }
    assert_int_equal(t->bcast_refs, 4); /* one buffer, queued by reference on 3 streams */
    free(t);
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
        cmocka_unit_test(test_frame_encoding),
        cmocka_unit_test(test_handshake_echo_close),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_broadcast),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
