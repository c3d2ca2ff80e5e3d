/*
 * Tests for the HTTP server (src/net/vb_http*.c). The server runs in a uv
 * loop on the test thread; a client thread drives it over blocking POSIX
 * sockets and records what it saw, then wakes the loop with a uv_async so
 * the server shuts down. Assertions run on the test thread after the join.
 * Every wait is for an event (a read with a safety timeout), never a sleep.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/vb_common.h"
#include "net/vb_http.h"
#include "net/vb_http_internal.h"
#include "support/vb_test_net.h"

#define NRES 10
#define RES_CAP 8192

typedef struct tctx tctx;
typedef void (*client_fn)(tctx *t);

struct tctx {
    vbt_net_server net;
    client_fn client;
    /* written by the client thread, read after the join */
    char res[NRES][RES_CAP];
    int rc[NRES];
    /* written on the loop thread */
    int later_detached, later_seen_eof;
    /* handler -> client (under net.mu): requests that reached the handler */
    int handler_called;
    /* "/probe": other connections seen, and how many of them held parse state */
    int probe_others, probe_with_state;
    /* "/bodycap": the body buffer of another connection once 10 bytes of its
     * body have arrived (0: none seen within 5 s) */
    size_t body_cap_seen, body_len_seen;
};

/* Runs the test's client (on the client thread). */
static void client_main(vbt_net_server *s)
{
    tctx *t = VB_CONTAINER_OF(s, tctx, net);
    t->client(t);
}

/* ---------- server side (loop thread) ---------- */

static void echo(vb_http_req *req)
{
    char out[4096];
    const char *h = vb_http_header_get(req, "x-test");
    int n = snprintf(out, sizeof(out), "M=%s P=%s Q=%s H=%s B=%.*s", req->method, req->path,
                     req->query ? req->query : "-", h ? h : "-", (int)req->body_len, req->body);
    if (n >= (int)sizeof(out)) n = (int)sizeof(out) - 1; /* a long body is cut */
    vb_http_add_header(req, "X-Echo-Id", req->request_id);
    vb_http_respond(req, 200, "text/plain", out, (size_t)n);
}

static void on_timer_closed(uv_handle_t *h)
{
    free(h);
}

/* Answers an "/async" request from a timer, i.e. after the handler returned. */
static void on_async_reply(uv_timer_t *tm)
{
    echo(tm->data);
    uv_close((uv_handle_t *)tm, on_timer_closed);
}

/* Polls a "/later" request until the server noticed the peer is gone, then
 * answers it (as a handler finishing a store call would). */
static void on_later_poll(uv_timer_t *tm)
{
    vb_http_req *req = tm->data;
    tctx *t = VB_CONTAINER_OF(tm->loop->data, tctx, net);
    if (req->conn && !req->conn->eof && vb_now_ns() - req->start_ns < 5000000000ull) return;
    t->later_detached = req->conn == NULL;
    t->later_seen_eof = req->conn ? req->conn->eof : 0;
    vb_http_respond(req, 200, "text/plain", "late", 4);
    uv_timer_stop(tm);
    uv_close((uv_handle_t *)tm, on_timer_closed);
}

/* Polls a "/bodycap" request until another connection has received 10
 * bytes of a body, then records that buffer's size and answers. */
static void on_bodycap_poll(uv_timer_t *tm)
{
    vb_http_req *req = tm->data;
    tctx *t = VB_CONTAINER_OF(tm->loop->data, tctx, net);
    vb_http_conn *seen = NULL;
    for (vb_http_conn *c = req->server->conns; c && req->conn; c = c->next)
        if (c != req->conn && c->p && c->p->body_len >= 10) seen = c;
    if (!seen && req->conn && vb_now_ns() - req->start_ns < 5000000000ull) return;
    if (seen) {
        t->body_cap_seen = seen->p->body_cap;
        t->body_len_seen = seen->p->body_len;
    }
    vb_http_respond(req, 200, "text/plain", "cap", 3);
    uv_timer_stop(tm);
    uv_close((uv_handle_t *)tm, on_timer_closed);
}

static void handler(vb_http_req *req, void *ud)
{
    tctx *t = VB_CONTAINER_OF(ud, tctx, net);
    vbt_net_note(&t->net, &t->handler_called, t->handler_called + 1);
    if (strcmp(req->path, "/async") == 0 || strcmp(req->path, "/later") == 0 ||
        strcmp(req->path, "/bodycap") == 0) {
        uv_timer_t *tm = malloc(sizeof(*tm));
        uv_timer_init(&t->net.loop, tm);
        tm->data = req;
        if (req->path[1] == 'a')
            uv_timer_start(tm, on_async_reply, 10, 0);
        else if (req->path[1] == 'b')
            uv_timer_start(tm, on_bodycap_poll, 1, 1);
        else
            uv_timer_start(tm, on_later_poll, 5, 5);
        return;
    }
    if (strcmp(req->path, "/inject") == 0) {
        vb_http_add_header(req, "X-Bad", "a\r\nInjected: 1");
        vb_http_add_header(req, "X-Bad2\r\nInjected2", "b");
        vb_http_add_header(req, "X-Good", "yes");
        vb_http_respond(req, 200, "text/plain", "ok", 2);
        return;
    }
    if (strcmp(req->path, "/probe") == 0) {
        for (vb_http_conn *c = req->server->conns; c; c = c->next) {
            if (c == req->conn) continue;
            t->probe_others++;
            t->probe_with_state += c->p != NULL;
        }
        vb_http_respond(req, 200, "text/plain", "ok", 2);
        return;
    }
    if (strcmp(req->path, "/empty") == 0) {
        vb_http_respond(req, 204, NULL, NULL, 0);
        return;
    }
    echo(req);
}

/* Runs a server with limits l (defaults if NULL) and the client fn in a
 * thread until the client finishes and the server has shut down. */
static tctx *run(client_fn fn, const vb_http_limits *l)
{
    tctx *t = calloc(1, sizeof(*t));
    assert_non_null(t);
    vbt_net_server_start(&t->net, l, handler);
    t->client = fn;
    vbt_net_server_run(&t->net, client_main);
    return t;
}

/* ---------- tests ---------- */

static void c_keepalive(tctx *t)
{
    vbt_net_conn c;
    if (vbt_net_conn_open(&c, t->net.port) != 0) return;
    vbt_net_conn_puts(&c, "GET /hello%20world?x=1 HTTP/1.1\r\nHost: a\r\nX-Test:  v1 \r\n\r\n");
    t->rc[0] = vbt_net_conn_response(&c, t->res[0], RES_CAP, 0);
    vbt_net_conn_puts(&c, "GET /second HTTP/1.1\r\nHost: a\r\nX-Request-Id: abc.DEF_12-3\r\n\r\n");
    t->rc[1] = vbt_net_conn_response(&c, t->res[1], RES_CAP, 0);
    vbt_net_conn_puts(&c, "GET /third HTTP/1.1\r\nX-Request-Id: bad id\r\n\r\n");
    t->rc[2] = vbt_net_conn_response(&c, t->res[2], RES_CAP, 0);
    vbt_net_conn_puts(&c, "HEAD /head HTTP/1.1\r\n\r\nGET /empty HTTP/1.1\r\n\r\n");
    t->rc[3] = vbt_net_conn_response(&c, t->res[3], RES_CAP, 1); /* HEAD: headers only */
    t->rc[4] = vbt_net_conn_response(&c, t->res[4], RES_CAP, 0);
    vbt_net_conn_close(&c);
}

static void test_keepalive(void **state)
{
    tctx *t = run(c_keepalive, NULL);
    assert_true(t->rc[0] > 0);
    assert_non_null(strstr(t->res[0], "HTTP/1.1 200 OK\r\n"));
    assert_non_null(strstr(t->res[0], "M=GET P=/hello world Q=x=1 H=v1 B="));
    assert_non_null(strstr(t->res[0], "Connection: keep-alive\r\n"));
    assert_non_null(strstr(t->res[0], "Date: "));
    assert_non_null(strstr(t->res[0], "Content-Type: text/plain\r\n"));
    /* a generated request id is a 20-char vb_id */
    char *rid = strstr(t->res[0], "X-Request-Id: ");
    assert_non_null(rid);
    assert_int_equal(strcspn(rid + 14, "\r"), 20);
    assert_non_null(strstr(t->res[1], "M=GET P=/second"));
    assert_non_null(strstr(t->res[1], "X-Request-Id: abc.DEF_12-3\r\n"));
    assert_non_null(strstr(t->res[1], "X-Echo-Id: abc.DEF_12-3\r\n"));
    assert_null(strstr(t->res[2], "bad id"));
    rid = strstr(t->res[2], "X-Request-Id: ");
    assert_non_null(rid);
    assert_int_equal(strcspn(rid + 14, "\r"), 20);
    assert_true(t->rc[3] > 0);
    assert_non_null(strstr(t->res[3], "Content-Length: "));
    assert_null(strstr(t->res[3], "M=HEAD")); /* no body for HEAD */
    assert_non_null(strstr(t->res[4], "HTTP/1.1 204 No Content\r\n"));
    assert_null(strstr(t->res[4], "Content-Length"));
    assert_int_equal(t->net.nreq, 5);
    free(t);
}

/* A keep-alive connection between requests, and one that has not sent
 * anything yet, hold no parse state; the default connection limit. */
static void c_idle_state(tctx *t)
{
    vbt_net_conn a, b, c;
    if (vbt_net_conn_open(&a, t->net.port) != 0) return;
    if (vbt_net_conn_open(&b, t->net.port) != 0) return;
    vbt_net_conn_puts(&a, "GET /one HTTP/1.1\r\n\r\n");
    t->rc[0] = vbt_net_conn_response(&a, t->res[0], RES_CAP, 0);
    if (vbt_net_conn_open(&c, t->net.port) != 0) return;
    vbt_net_conn_puts(&c, "GET /probe HTTP/1.1\r\n\r\n");
    t->rc[1] = vbt_net_conn_response(&c, t->res[1], RES_CAP, 0);
    vbt_net_conn_puts(&a, "GET /two HTTP/1.1\r\n\r\n"); /* a parses again */
    t->rc[2] = vbt_net_conn_response(&a, t->res[2], RES_CAP, 0);
    vbt_net_conn_close(&a);
    vbt_net_conn_close(&b);
    vbt_net_conn_close(&c);
}

static void test_idle_state(void **state)
{
    vb_http_limits l;
    vb_http_limits_default(&l);
    assert_int_equal(l.max_connections, 19800);
    tctx *t = run(c_idle_state, NULL);
    assert_true(t->rc[0] > 0);
    assert_true(t->rc[1] > 0);
    assert_non_null(strstr(t->res[2], "M=GET P=/two"));
    assert_int_equal(t->probe_others, 2);
    assert_int_equal(t->probe_with_state, 0);
    free(t);
}

static void c_pipeline(tctx *t)
{
    vbt_net_conn c;
    if (vbt_net_conn_open(&c, t->net.port) != 0) return;
    vbt_net_conn_puts(&c, "GET /async HTTP/1.1\r\n\r\n"
                          "POST /p2 HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"
                          "GET /p3?z HTTP/1.1\r\nConnection: close\r\n\r\n");
    for (int i = 0; i < 3; i++)
        t->rc[i] = vbt_net_conn_response(&c, t->res[i], RES_CAP, 0);
    t->rc[3] = vbt_net_conn_wait_close(&c);
    vbt_net_conn_close(&c);
}

static void c_half_close(tctx *t)
{
    vbt_net_conn c;
    if (vbt_net_conn_open(&c, t->net.port) != 0) return;
    vbt_net_conn_puts(&c, "GET /async HTTP/1.1\r\n\r\nGET /h2 HTTP/1.1\r\n\r\n");
    shutdown(c.fd, SHUT_WR); /* the answers must still come */
    t->rc[0] = vbt_net_conn_response(&c, t->res[0], RES_CAP, 0);
    t->rc[1] = vbt_net_conn_response(&c, t->res[1], RES_CAP, 0);
    t->rc[2] = vbt_net_conn_wait_close(&c);
    vbt_net_conn_close(&c);
}

static void test_half_close(void **state)
{
    tctx *t = run(c_half_close, NULL);
    assert_non_null(strstr(t->res[0], "P=/async"));
    assert_non_null(strstr(t->res[1], "P=/h2"));
    assert_int_equal(t->rc[2], 1);
    free(t);
}

static void test_pipeline(void **state)
{
    tctx *t = run(c_pipeline, NULL);
    assert_non_null(strstr(t->res[0], "P=/async"));
    assert_non_null(strstr(t->res[1], "M=POST P=/p2 Q=- H=- B=hello"));
    assert_non_null(strstr(t->res[2], "P=/p3 Q=z"));
    assert_non_null(strstr(t->res[2], "Connection: close\r\n"));
    assert_int_equal(t->rc[3], 1);
    assert_int_equal(t->net.nreq, 3);
    free(t);
}

static void c_bodies(tctx *t)
{
    vbt_net_conn c;
    if (vbt_net_conn_open(&c, t->net.port) != 0) return;
    vbt_net_conn_puts(&c, "PUT /cl HTTP/1.1\r\nContent-Length: 11\r\n\r\nhello ");
    vbt_net_conn_puts(&c, "world");
    t->rc[0] = vbt_net_conn_response(&c, t->res[0], RES_CAP, 0);
    vbt_net_conn_puts(&c, "POST /ch HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n");
    vbt_net_conn_puts(&c, "4\r\ndefg\r\n0\r\n\r\n");
    t->rc[1] = vbt_net_conn_response(&c, t->res[1], RES_CAP, 0);
    vbt_net_conn_close(&c);
}

static void test_bodies(void **state)
{
    tctx *t = run(c_bodies, NULL);
    assert_non_null(strstr(t->res[0], "M=PUT P=/cl Q=- H=- B=hello world"));
    assert_non_null(strstr(t->res[1], "M=POST P=/ch Q=- H=- B=abcdefg"));
    free(t);
}

static void c_limits(tctx *t)
{
    vbt_net_conn c;
    char big[4096];
    /* declared body over the limit */
    if (vbt_net_conn_open(&c, t->net.port) != 0) return;
    vbt_net_conn_puts(&c, "POST /x HTTP/1.1\r\nContent-Length: 2000\r\n\r\n");
    t->rc[0] = vbt_net_conn_response(&c, t->res[0], RES_CAP, 0);
    vbt_net_conn_wait_close(&c);
    vbt_net_conn_close(&c);
    /* chunked body growing over the limit */
    if (vbt_net_conn_open(&c, t->net.port) != 0) return;
    vbt_net_conn_puts(&c, "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
    memset(big, 'a', 600);
    snprintf(big + 600, sizeof(big) - 600, "\r\n");
    for (int i = 0; i < 2; i++) {
        vbt_net_conn_puts(&c, "258\r\n"); /* 0x258 = 600 */
        vbt_net_conn_puts(&c, big);
    }
    t->rc[1] = vbt_net_conn_response(&c, t->res[1], RES_CAP, 0);
    vbt_net_conn_close(&c);
    /* exactly the maximum number of headers is fine */
    if (vbt_net_conn_open(&c, t->net.port) != 0) return;
    vbt_net_conn_puts(&c, "GET /maxh HTTP/1.1\r\n");
    for (int i = 0; i < VB_HTTP_MAX_HEADERS; i++) {
        snprintf(big, sizeof(big), "H%d: v\r\n", i);
        vbt_net_conn_puts(&c, big);
    }
    vbt_net_conn_puts(&c, "\r\n");
    t->rc[8] = vbt_net_conn_response(&c, t->res[8], RES_CAP, 0);
    vbt_net_conn_close(&c);
    /* too many headers */
    if (vbt_net_conn_open(&c, t->net.port) != 0) return;
    vbt_net_conn_puts(&c, "GET / HTTP/1.1\r\n");
    for (int i = 0; i < VB_HTTP_MAX_HEADERS + 1; i++) {
        snprintf(big, sizeof(big), "H%d: v\r\n", i);
        vbt_net_conn_puts(&c, big);
    }
    vbt_net_conn_puts(&c, "\r\n");
    t->rc[2] = vbt_net_conn_response(&c, t->res[2], RES_CAP, 0);
    vbt_net_conn_close(&c);
    /* oversize header */
    if (vbt_net_conn_open(&c, t->net.port) != 0) return;
    vbt_net_conn_puts(&c, "GET / HTTP/1.1\r\nX-Big: ");
    memset(big, 'b', 3000);
    big[3000] = '\0';
    vbt_net_conn_puts(&c, big);
    vbt_net_conn_puts(&c, "\r\n\r\n");
    t->rc[3] = vbt_net_conn_response(&c, t->res[3], RES_CAP, 0);
    vbt_net_conn_close(&c);
    /* malformed request line, bad escapes and a decoded NUL */
    const char *bad[] = {"GET\r\n\r\n", "GET /a%zz HTTP/1.1\r\n\r\n", "GET /a%00b HTTP/1.1\r\n\r\n",
                         "GET /a%4 HTTP/1.1\r\n\r\n"};
    for (int i = 0; i < 4; i++) {
        if (vbt_net_conn_open(&c, t->net.port) != 0) return;
        vbt_net_conn_puts(&c, bad[i]);
        t->rc[4 + i] = vbt_net_conn_response(&c, t->res[4 + i], RES_CAP, 0);
        vbt_net_conn_close(&c);
    }
}

static void test_limits(void **state)
{
    vb_http_limits l;
    vb_http_limits_default(&l);
    l.max_body_bytes = 1024;
    l.max_header_bytes = 2048;
    tctx *t = run(c_limits, &l);
    assert_non_null(strstr(t->res[0], "HTTP/1.1 413 Payload Too Large\r\n"));
    assert_non_null(strstr(t->res[0], "Connection: close\r\n"));
    assert_non_null(strstr(t->res[0], "\"statusCode\":413"));
    assert_non_null(strstr(t->res[1], "HTTP/1.1 413 "));
    assert_non_null(strstr(t->res[2], "HTTP/1.1 431 "));
    assert_non_null(strstr(t->res[3], "HTTP/1.1 431 "));
    for (int i = 4; i < 8; i++)
        assert_non_null(strstr(t->res[i], "HTTP/1.1 400 Bad Request\r\n"));
    assert_non_null(strstr(t->res[8], "HTTP/1.1 200 OK\r\n"));
    assert_int_equal(t->net.nreq, 1);
    free(t);
}

static void c_timeout(tctx *t)
{
    vbt_net_conn c;
    if (vbt_net_conn_open(&c, t->net.port) != 0) return;
    vbt_net_conn_puts(&c, "GET / HTTP/1.1\r\nHost: a\r\n");
    uint64_t t0 = vb_now_ns();
    t->rc[0] = vbt_net_conn_response(&c, t->res[0], RES_CAP, 0);
    t->rc[1] = (int)((vb_now_ns() - t0) / 1000000);
    t->rc[2] = vbt_net_conn_wait_close(&c);
    vbt_net_conn_close(&c);
    /* slowloris: one header byte every 20 ms does not extend the deadline */
    if (vbt_net_conn_open(&c, t->net.port) != 0) return;
    vbt_net_conn_puts(&c, "GET / HTTP/1.1\r\n");
    t0 = vb_now_ns();
    struct pollfd pfd = {c.fd, POLLIN, 0};
    for (int i = 0; i < 100 && poll(&pfd, 1, 20) == 0; i++)
        vbt_net_conn_puts(&c, "X");
    t->rc[3] = vbt_net_conn_response(&c, t->res[3], RES_CAP, 0);
    t->rc[4] = (int)((vb_now_ns() - t0) / 1000000);
    vbt_net_conn_close(&c);
}

static void test_header_timeout(void **state)
{
    vb_http_limits l;
    vb_http_limits_default(&l);
    l.header_timeout_ms = 200;
    tctx *t = run(c_timeout, &l);
    assert_non_null(strstr(t->res[0], "HTTP/1.1 408 Request Timeout\r\n"));
    assert_true(t->rc[1] >= 150);
    assert_int_equal(t->rc[2], 1);
    assert_non_null(strstr(t->res[3], "HTTP/1.1 408 "));
    assert_true(t->rc[4] < 1500);
    free(t);
}

/* Waits until the handler has seen n requests in total. */
static void wait_handler(tctx *t, int n)
{
    vbt_net_wait_note(&t->net, &t->handler_called, n);
}

static void c_gone(tctx *t)
{
    vbt_net_conn c;
    /* reset while the handler holds the request */
    if (vbt_net_conn_open(&c, t->net.port) != 0) return;
    vbt_net_conn_puts(&c, "GET /later HTTP/1.1\r\n\r\n");
    wait_handler(t, 1);
    struct linger lg = {1, 0};
    setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    vbt_net_conn_close(&c);
}

static void test_peer_gone(void **state)
{
    tctx *t = run(c_gone, NULL);
    assert_int_equal(t->net.nreq, 1);
    assert_int_equal(t->later_detached, 1);
    assert_int_equal(t->net.last_status, 200);
    free(t);
}

static void c_gone_fin(tctx *t)
{
    vbt_net_conn c;
    if (vbt_net_conn_open(&c, t->net.port) != 0) return;
    vbt_net_conn_puts(&c, "GET /later HTTP/1.1\r\n\r\n");
    wait_handler(t, 1);
    vbt_net_conn_close(&c);
}

static void test_peer_gone_fin(void **state)
{
    tctx *t = run(c_gone_fin, NULL);
    assert_int_equal(t->net.nreq, 1);
    assert_true(t->later_detached || t->later_seen_eof);
    free(t);
}

static void c_body_idle(tctx *t)
{
    vbt_net_conn c;
    /* body timeout */
    if (vbt_net_conn_open(&c, t->net.port) != 0) return;
    vbt_net_conn_puts(&c, "POST /b HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc");
    t->rc[0] = vbt_net_conn_response(&c, t->res[0], RES_CAP, 0);
    vbt_net_conn_close(&c);
    /* idle keep-alive timeout: closed without a byte */
    if (vbt_net_conn_open(&c, t->net.port) != 0) return;
    vbt_net_conn_puts(&c, "GET /i HTTP/1.1\r\n\r\n");
    t->rc[1] = vbt_net_conn_response(&c, t->res[1], RES_CAP, 0);
    t->rc[2] = (int)recv(c.fd, c.buf, sizeof(c.buf), 0);
    vbt_net_conn_close(&c);
}

static void test_body_and_idle_timeout(void **state)
{
    vb_http_limits l;
    vb_http_limits_default(&l);
    l.body_timeout_ms = 200;
    l.idle_timeout_ms = 100;
    tctx *t = run(c_body_idle, &l);
    assert_non_null(strstr(t->res[0], "HTTP/1.1 408 "));
    assert_non_null(strstr(t->res[1], "P=/i"));
    assert_int_equal(t->rc[2], 0);
    free(t);
}

#define NPIPE 3000

static void c_big_pipeline(tctx *t)
{
    vbt_net_conn c;
    if (vbt_net_conn_open(&c, t->net.port) != 0) return;
    /* The first request is answered late, so the rest piles up unparsed and
     * the server has to stop reading, then resume. */
    size_t cap = (size_t)NPIPE * 40, len = 0;
    char *all = malloc(cap);
    len += (size_t)snprintf(all, cap, "GET /async HTTP/1.1\r\n\r\n");
    for (int i = 1; i < NPIPE; i++)
        len += (size_t)snprintf(all + len, cap - len, "GET /n%d HTTP/1.1\r\n\r\n", i);
    vbt_net_conn_puts(&c, all);
    free(all);
    int ok = 1;
    char want[32];
    for (int i = 0; i < NPIPE && ok; i++) {
        if (vbt_net_conn_response(&c, t->res[0], RES_CAP, 0) < 0) ok = 0;
        if (i == 0)
            snprintf(want, sizeof(want), "P=/async ");
        else
            snprintf(want, sizeof(want), "P=/n%d ", i);
        if (ok && !strstr(t->res[0], want)) ok = 0;
    }
    t->rc[0] = ok;
    vbt_net_conn_close(&c);
}

static void test_big_pipeline(void **state)
{
    vb_http_limits l;
    vb_http_limits_default(&l);
    l.max_header_bytes = 1024;
    tctx *t = run(c_big_pipeline, &l);
    assert_int_equal(t->rc[0], 1);
    assert_int_equal(t->net.nreq, NPIPE);
    free(t);
}

static void c_shutdown_busy(tctx *t)
{
    vbt_net_conn c;
    if (vbt_net_conn_open(&c, t->net.port) != 0) return;
    vbt_net_conn_puts(&c, "GET /async HTTP/1.1\r\n\r\n");
    wait_handler(t, 1);
    vbt_net_server_wake(&t->net); /* shut down while the request is in flight */
    t->rc[0] = vbt_net_conn_response(&c, t->res[0], RES_CAP, 0);
    t->rc[1] = vbt_net_conn_wait_close(&c);
    vbt_net_conn_close(&c);
}

static void test_shutdown_busy(void **state)
{
    tctx *t = run(c_shutdown_busy, NULL);
    assert_non_null(strstr(t->res[0], "P=/async"));
    assert_non_null(strstr(t->res[0], "Connection: close\r\n"));
    assert_int_equal(t->rc[1], 1);
    free(t);
}

static void c_inject(tctx *t)
{
    vbt_net_conn c;
    if (vbt_net_conn_open(&c, t->net.port) != 0) return;
    vbt_net_conn_puts(&c, "GET /inject HTTP/1.1\r\n\r\n");
    t->rc[0] = vbt_net_conn_response(&c, t->res[0], RES_CAP, 0);
    /* leave the connection idle: shutdown must close it */
    vbt_net_server_wake(&t->net);
    t->rc[1] = vbt_net_conn_wait_close(&c);
    vbt_net_conn_close(&c);
}

static void test_header_injection(void **state)
{
    tctx *t = run(c_inject, NULL);
    assert_non_null(strstr(t->res[0], "X-Good: yes\r\n"));
    assert_null(strstr(t->res[0], "Injected"));
    assert_null(strstr(t->res[0], "X-Bad"));
    assert_int_equal(t->rc[1], 1);
    free(t);
}

static void c_maxconn(tctx *t)
{
    vbt_net_conn a, b;
    if (vbt_net_conn_open(&a, t->net.port) != 0) return;
    vbt_net_conn_puts(&a, "GET /one HTTP/1.1\r\n\r\n");
    t->rc[0] = vbt_net_conn_response(&a, t->res[0], RES_CAP, 0);
    if (vbt_net_conn_open(&b, t->net.port) != 0) return;
    t->rc[1] = vbt_net_conn_wait_close(&b);
    vbt_net_conn_close(&b);
    vbt_net_conn_close(&a);
}

static void test_max_connections(void **state)
{
    vb_http_limits l;
    vb_http_limits_default(&l);
    l.max_connections = 1;
    tctx *t = run(c_maxconn, &l);
    assert_non_null(strstr(t->res[0], "P=/one"));
    assert_int_equal(t->rc[1], 1);
    free(t);
}

/* Two connections per address: a third is answered 429 TOO_MANY_CONNECTIONS
 * and closed; once one of the two has gone, a new one is served (tried until
 * the server has seen the close: each refused try is a full round trip). */
static void c_per_address(tctx *t)
{
    vbt_net_conn a, b, c;
    if (vbt_net_conn_open(&a, t->net.port) != 0 || vbt_net_conn_open(&b, t->net.port) != 0) return;
    vbt_net_conn_puts(&a, "GET /a HTTP/1.1\r\n\r\n");
    t->rc[0] = vbt_net_conn_response(&a, t->res[0], RES_CAP, 0);
    vbt_net_conn_puts(&b, "GET /b HTTP/1.1\r\n\r\n");
    t->rc[1] = vbt_net_conn_response(&b, t->res[1], RES_CAP, 0);
    if (vbt_net_conn_open(&c, t->net.port) != 0) return;
    t->rc[2] = vbt_net_conn_response(&c, t->res[2], RES_CAP, 0);
    t->rc[3] = vbt_net_conn_wait_close(&c);
    vbt_net_conn_close(&c);
    vbt_net_conn_close(&a);
    for (int i = 0; i < 200; i++) {
        if (vbt_net_conn_open(&c, t->net.port) != 0) break;
        vbt_net_conn_puts(&c, "GET /again HTTP/1.1\r\n\r\n");
        t->rc[4] = vbt_net_conn_response(&c, t->res[4], RES_CAP, 0);
        vbt_net_conn_close(&c);
        if (strstr(t->res[4], "P=/again")) break;
    }
    vbt_net_conn_close(&b);
}

static void test_connections_per_address(void **state)
{
    vb_http_limits l;
    vb_http_limits_default(&l);
    assert_int_equal(l.max_connections_per_address, 1000);
    l.max_connections_per_address = 2;
    tctx *t = run(c_per_address, &l);
    assert_non_null(strstr(t->res[0], "P=/a"));
    assert_non_null(strstr(t->res[1], "P=/b"));
    assert_true(strncmp(t->res[2], "HTTP/1.1 429 ", 13) == 0);
    assert_non_null(strstr(t->res[2], "\"code\":\"TOO_MANY_CONNECTIONS\""));
    assert_int_equal(t->rc[3], 1);
    assert_non_null(strstr(t->res[4], "P=/again"));
    free(t);
}

/* Three connections at once, each served. */
static void c_exempt(tctx *t)
{
    vbt_net_conn c[3];
    for (int i = 0; i < 3; i++)
        if (vbt_net_conn_open(&c[i], t->net.port) != 0) return;
    for (int i = 0; i < 3; i++) {
        vbt_net_conn_puts(&c[i], "GET /a HTTP/1.1\r\n\r\n");
        t->rc[i] = vbt_net_conn_response(&c[i], t->res[i], RES_CAP, 0);
    }
    for (int i = 0; i < 3; i++)
        vbt_net_conn_close(&c[i]);
}

static int exempt_loopback(const char *ip, void *ud)
{
    (*(int *)ud)++;
    return strcmp(ip, "127.0.0.1") == 0;
}

/* A peer the exempt callback names (a trusted proxy) is not capped. */
static void test_connections_per_address_exempt(void **state)
{
    int calls = 0;
    vb_http_limits l;
    vb_http_limits_default(&l);
    l.max_connections_per_address = 2;
    l.exempt = exempt_loopback;
    l.exempt_ud = &calls;
    tctx *t = run(c_exempt, &l);
    for (int i = 0; i < 3; i++)
        assert_non_null(strstr(t->res[i], "P=/a"));
    assert_int_equal(calls, 3);
    free(t);
}

/* A body's memory follows the bytes received, not the declared length: a
 * request declaring 4 MB and sending 10 bytes holds a small buffer; the
 * whole body still arrives intact, and one declared over the limit is 413. */
static void c_body_growth(tctx *t)
{
    vbt_net_conn a, b;
    if (vbt_net_conn_open(&a, t->net.port) != 0 || vbt_net_conn_open(&b, t->net.port) != 0) return;
    enum { LEN = 4000000 };
    char head[128];
    snprintf(head, sizeof(head), "POST /big HTTP/1.1\r\nContent-Length: %d\r\n\r\n", LEN);
    vbt_net_conn_puts(&a, head);
    vbt_net_conn_puts(&a, "0123456789");
    vbt_net_conn_puts(&b, "GET /bodycap HTTP/1.1\r\n\r\n");
    t->rc[0] = vbt_net_conn_response(&b, t->res[0], RES_CAP, 0);
    char *rest = malloc(LEN);
    memset(rest, 'z', LEN);
    vbt_net_conn_write(&a, rest, LEN - 10);
    free(rest);
    t->rc[1] = vbt_net_conn_response(&a, t->res[1], RES_CAP, 0);
    vbt_net_conn_close(&a);
    vbt_net_conn_close(&b);
}

static void test_body_growth(void **state)
{
    tctx *t = run(c_body_growth, NULL);
    assert_int_equal(t->body_len_seen, 10);
    assert_true(t->body_cap_seen >= 11);
    assert_true(t->body_cap_seen <= 64 * 1024);
    assert_true(strncmp(t->res[1], "HTTP/1.1 200 ", 13) == 0);
    assert_non_null(strstr(t->res[1], "B=0123456789zzz"));
    free(t);
}

static void test_query_get(void **state)
{
    vb_http_req req;
    memset(&req, 0, sizeof(req));
    char q[] = "a=1&aa=2&b=hello+world&c=%41%42%2b&d&e=&f=50%&long=abcdefghij";
    req.query = q;
    char out[8];
    assert_int_equal(vb_http_query_get(&req, "a", out, sizeof(out)), 1);
    assert_string_equal(out, "1");
    assert_int_equal(vb_http_query_get(&req, "aa", out, sizeof(out)), 1);
    assert_string_equal(out, "2");
    assert_int_equal(vb_http_query_get(&req, "c", out, sizeof(out)), 1);
    assert_string_equal(out, "AB+");
    assert_int_equal(vb_http_query_get(&req, "d", out, sizeof(out)), 1);
    assert_string_equal(out, "");
    assert_int_equal(vb_http_query_get(&req, "e", out, sizeof(out)), 1);
    assert_string_equal(out, "");
    assert_int_equal(vb_http_query_get(&req, "f", out, sizeof(out)), 1);
    assert_string_equal(out, "50%");
    assert_int_equal(vb_http_query_get(&req, "zz", out, sizeof(out)), 0);
    assert_int_equal(vb_http_query_get(&req, "long", out, sizeof(out)), -1);
    char big[32];
    assert_int_equal(vb_http_query_get(&req, "b", big, sizeof(big)), 1);
    assert_string_equal(big, "hello world");
    req.query = NULL;
    assert_int_equal(vb_http_query_get(&req, "a", out, sizeof(out)), 0);
}

static void test_reason_and_decode(void **state)
{
    assert_string_equal(vb_http_reason(404), "Not Found");
    assert_string_equal(vb_http_reason(431), "Request Header Fields Too Large");
    assert_string_equal(vb_http_reason(503), "Service Unavailable");
    char out[32];
    assert_int_equal(vb_http_pct_decode("/a%2Fb+c", 8, out, 0), 6);
    assert_string_equal(out, "/a/b+c");
    assert_int_equal(vb_http_pct_decode("%00", 3, out, 0), -1);
    assert_int_equal(vb_http_pct_decode("%g1", 3, out, 0), -1);
    assert_int_equal(vb_http_pct_decode("%4", 2, out, 0), -1);
}

static void test_bind_failure(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    vb_http_server *s = NULL;
    assert_int_equal(vb_http_server_new(&s, &loop, "999.1.1.1", 0, NULL, handler, NULL, NULL),
                     VB_EIO);
    assert_null(s);
    uv_run(&loop, UV_RUN_DEFAULT); /* lets the listener close and the server free */
    assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keepalive),
        cmocka_unit_test(test_pipeline),
        cmocka_unit_test(test_bodies),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_header_timeout),
        cmocka_unit_test(test_peer_gone),
        cmocka_unit_test(test_peer_gone_fin),
        cmocka_unit_test(test_header_injection),
        cmocka_unit_test(test_max_connections),
        cmocka_unit_test(test_connections_per_address),
        cmocka_unit_test(test_connections_per_address_exempt),
        cmocka_unit_test(test_body_growth),
        cmocka_unit_test(test_query_get),
        cmocka_unit_test(test_reason_and_decode),
        cmocka_unit_test(test_bind_failure),
        cmocka_unit_test(test_body_and_idle_timeout),
        cmocka_unit_test(test_big_pipeline),
        cmocka_unit_test(test_shutdown_busy),
        cmocka_unit_test(test_half_close),
        cmocka_unit_test(test_idle_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
