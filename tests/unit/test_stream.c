/*
 * Tests for connection takeover (src/net/vb_stream.c). The server runs in a
 * uv loop on the test thread; its handler takes "/raw" requests over and
 * echoes their bytes. A client thread drives it with blocking sockets,
 * records what it saw and wakes the loop (uv_async) to shut the server
 * down; assertions run on the test thread after the join. Waits are for
 * events (reads with a safety timeout, condition variables), never sleeps.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/vb_buf.h"
#include "core/vb_common.h"
#include "net/vb_http.h"
#include "net/vb_http_internal.h"
#include "net/vb_stream.h"
#include "support/vb_test_net.h"

#define RES_CAP 4096
#define FLOOD_CHUNK (64 * 1024)
#define FLOOD_LIMIT (256 * 1024)

typedef struct tctx tctx;
typedef void (*client_fn)(tctx *t);

struct tctx {
    vbt_net_server net;
    client_fn client;
    uv_idle_t flood_idle;
    uv_timer_t trim_watch; /* notes trims_seen once the server gave memory back */
    int trims_seen;
    size_t out_queued_at_trim;
    /* written by the client thread, read after the join */
    char res[4][RES_CAP];
    int rc[4];
    /* written on the loop thread */
    int nstreams, nclosed, queued_after_cork, flood_rc, flood_sends;
    int probed, probe_held; /* open streams seen on "world", and what they held */
    vb_stream *flood;
    vb_buf *chunk;
    /* loop -> client (under net.mu): copy of nclosed */
    int closed_seen;
};

/* ---------- client side ---------- */

/* Waits (10 s at most) until the server has closed at least n streams. */
static int cli_wait_closed(tctx *t, int n)
{
    return vbt_net_wait_note(&t->net, &t->closed_seen, n);
}

/* Runs the test's client (on the client thread). */
static void client_main(vbt_net_server *s)
{
    tctx *t = VB_CONTAINER_OF(s, tctx, net);
    t->client(t);
}

/* ---------- server side ---------- */

/* Flood: one 64 KiB buffer queued by reference on every loop pass until the
 * output limit closes the stream. */
static void on_flood(uv_idle_t *h)
{
    tctx *t = h->data;
    if (!t->flood) {
        uv_idle_stop(h);
        return;
    }
    t->flood_sends++;
    int rc = vb_stream_send(t->flood, t->chunk);
    if (rc < 0) {
        t->flood_rc = rc;
        t->flood = NULL;
        uv_idle_stop(h);
    }
}

/* Watches for the server's trim after a burst (loop thread). */
static void on_trim_watch(uv_timer_t *tm)
{
    tctx *t = tm->data;
    if (vb_http_server_trims(t->net.srv) == 0) return;
    t->out_queued_at_trim = t->net.srv->out_queued;
    uv_timer_stop(tm);
    vbt_net_note(&t->net, &t->trims_seen, 1);
}

static void raw_data(vb_stream *s, const char *data, size_t len, void *ud)
{
    tctx *t = ud;
    if (len == 5 && memcmp(data, "BURST", 5) == 0) {
        /* 20 x 64 KiB: more than VB_HTTP_TRIM_AFTER_BYTES */
        for (int i = 0; i < 20; i++)
            vb_stream_send(s, t->chunk);
        uv_timer_start(&t->trim_watch, on_trim_watch, 1, 1);
        return;
    }
    if (len == 4 && memcmp(data, "CORK", 4) == 0) {
        vb_stream_send_copy(s, "one", 3);
        vb_stream_send_copy(s, "two", 3);
        vb_buf *b = vb_buf_copy("three", 5);
        vb_stream_send(s, b);
        vb_buf_unref(b);
        t->queued_after_cork = (int)vb_stream_queued(s); /* nothing written yet */
        return;
    }
    if (len == 5 && memcmp(data, "FLOOD", 5) == 0) {
        vb_stream_set_limit(s, FLOOD_LIMIT);
        t->flood = s;
        uv_idle_start(&t->flood_idle, on_flood);
        return;
    }
    if (len == 5 && memcmp(data, "world", 5) == 0) {
        /* An open stream keeps no timer, parse state or output queue. */
        for (vb_http_conn *c = t->net.srv->conns; c; c = c->next) {
            if (c->state != VB_CONN_STREAM) continue;
            t->probed++;
            t->probe_held += (c->timer != NULL) + (c->p != NULL) + (c->in != NULL);
        }
    }
    vb_stream_send_copy(s, data, len);
}

static void raw_close(vb_stream *s, void *ud)
{
    tctx *t = ud;
    if (t->flood == s) t->flood = NULL;
    t->nclosed++;
    vbt_net_note(&t->net, &t->closed_seen, t->nclosed);
    /* the stream is closed: sending fails, closing again is harmless */
    assert_int_equal(vb_stream_send_copy(s, "x", 1), VB_EIO);
    vb_stream_close(s);
}

static void handler(vb_http_req *req, void *ud)
{
    static const vb_stream_handlers h = {raw_data, raw_close};
    tctx *t = VB_CONTAINER_OF(ud, tctx, net);
    if (strcmp(req->path, "/raw") == 0) {
        req->status = 200;
        if (vb_stream_takeover(req, &h, t)) t->nstreams++;
        return;
    }
    vb_http_respond(req, 200, "text/plain", "ok", 2);
}

/* Closes the flood idle handle once the server has shut down. */
static void on_shutdown(vbt_net_server *s)
{
    tctx *t = VB_CONTAINER_OF(s, tctx, net);
    uv_close((uv_handle_t *)&t->flood_idle, NULL);
    uv_close((uv_handle_t *)&t->trim_watch, NULL);
}

/* Runs the server and the client fn in a thread until the client finished
 * and the server shut down. */
static tctx *run(client_fn fn)
{
    tctx *t = calloc(1, sizeof(*t));
    assert_non_null(t);
    t->chunk = vb_buf_new(FLOOD_CHUNK);
    assert_non_null(t->chunk);
    memset(t->chunk->data, 'z', FLOOD_CHUNK);
    vbt_net_server_start(&t->net, NULL, handler);
    t->client = fn;
    t->net.on_shutdown = on_shutdown;
    uv_idle_init(&t->net.loop, &t->flood_idle);
    t->flood_idle.data = t;
    uv_timer_init(&t->net.loop, &t->trim_watch);
    t->trim_watch.data = t;
    vbt_net_server_run(&t->net, client_main);
    assert_int_equal(t->nstreams, t->nclosed); /* on_close exactly once per stream */
    assert_int_equal(t->chunk->refs, 1);       /* every queued ref was dropped */
    return t;
}

static void tfree(tctx *t)
{
    vb_buf_unref(t->chunk);
    free(t);
}

/* ---------- tests ---------- */

static void c_echo(tctx *t)
{
    int fd = vbt_net_connect(t->net.port, 0);
    if (fd < 0) return;
    /* the bytes behind the request arrive in the same segment */
    vbt_net_puts(fd, "GET /raw HTTP/1.1\r\nHost: a\r\n\r\nHELLO");
    t->rc[0] = vbt_net_read_n(fd, t->res[0], 5);
    vbt_net_puts(fd, "world");
    t->rc[1] = vbt_net_read_n(fd, t->res[1], 5);
    close(fd);
    t->rc[2] = cli_wait_closed(t, 1);
    /* plain HTTP still works next to it */
    fd = vbt_net_connect(t->net.port, 0);
    vbt_net_puts(fd, "GET /plain HTTP/1.1\r\nConnection: close\r\n\r\n");
    t->rc[3] = vbt_net_read_n(fd, t->res[3], RES_CAP - 1);
    close(fd);
}

static void test_echo_and_pipelined(void **state)
{
    tctx *t = run(c_echo);
    assert_int_equal(t->rc[0], 5);
    assert_string_equal(t->res[0], "HELLO"); /* no HTTP response was written for /raw */
    assert_string_equal(t->res[1], "world");
    assert_int_equal(t->probed, 1);
    assert_int_equal(t->probe_held, 0);
    assert_true(t->rc[2]);
    assert_non_null(strstr(t->res[3], "HTTP/1.1 200 OK"));
    assert_int_equal(t->nstreams, 1);
    tfree(t);
}

/* After an output burst is written, the server gives the freed memory back
 * (once, for the whole burst), and only then. */
static void c_burst(tctx *t)
{
    int fd = vbt_net_connect(t->net.port, 0);
    if (fd < 0) return;
    vbt_net_puts(fd, "GET /raw HTTP/1.1\r\n\r\nBURST");
    enum { N = 20 * FLOOD_CHUNK };
    char *buf = malloc(N + 1);
    t->rc[0] = vbt_net_read_n(fd, buf, N);
    t->rc[1] = buf[0] == 'z' && buf[N - 1] == 'z';
    free(buf);
    t->rc[2] = vbt_net_wait_note(&t->net, &t->trims_seen, 1);
    close(fd);
}

static void test_trim_after_burst(void **state)
{
    tctx *t = run(c_burst);
    assert_int_equal(t->rc[0], 20 * FLOOD_CHUNK);
    assert_true(t->rc[1]);
    assert_true(t->rc[2]);
    assert_int_equal(t->out_queued_at_trim, 0);
    tfree(t);
}

static void c_cork(tctx *t)
{
    int fd = vbt_net_connect(t->net.port, 0);
    if (fd < 0) return;
    vbt_net_puts(fd, "GET /raw HTTP/1.1\r\n\r\n");
    vbt_net_puts(fd, "CORK");
    t->rc[0] = vbt_net_read_n(fd, t->res[0], 11);
    close(fd);
}

static void test_corking(void **state)
{
    tctx *t = run(c_cork);
    assert_string_equal(t->res[0], "onetwothree");
    assert_int_equal(t->queued_after_cork, 11);
    tfree(t);
}

static void c_flood(tctx *t)
{
    int fd = vbt_net_connect(t->net.port, 4096); /* small receive window, never read */
    if (fd < 0) return;
    vbt_net_puts(fd, "GET /raw HTTP/1.1\r\n\r\nFLOOD");
    t->rc[0] = cli_wait_closed(t, 1);
    /* the server still serves others */
    int fd2 = vbt_net_connect(t->net.port, 0);
    vbt_net_puts(fd2, "GET /raw HTTP/1.1\r\n\r\nping");
    t->rc[1] = vbt_net_read_n(fd2, t->res[1], 4);
    close(fd2);
    close(fd);
}

static void test_output_limit(void **state)
{
    tctx *t = run(c_flood);
    assert_true(t->rc[0]);
    assert_int_equal(t->flood_rc, VB_ETOOBIG);
    assert_true(t->flood_sends >= FLOOD_LIMIT / FLOOD_CHUNK);
    assert_string_equal(t->res[1], "ping");
    assert_int_equal(t->nstreams, 2);
    tfree(t);
}

static void c_shutdown(tctx *t)
{
    int fds[2];
    for (int i = 0; i < 2; i++) {
        fds[i] = vbt_net_connect(t->net.port, 0);
        vbt_net_puts(fds[i], "GET /raw HTTP/1.1\r\n\r\n");
        vbt_net_puts(fds[i], "up");
        t->rc[i] = vbt_net_read_n(fds[i], t->res[i], 2); /* taken over for sure */
    }
    vbt_net_server_wake(&t->net); /* shut down with both streams open */
    for (int i = 0; i < 2; i++) {
        t->rc[2 + i] = vbt_net_wait_close(fds[i]);
        close(fds[i]);
    }
}

static void test_shutdown_closes_streams(void **state)
{
    tctx *t = run(c_shutdown);
    assert_string_equal(t->res[0], "up");
    assert_string_equal(t->res[1], "up");
    assert_true(t->rc[2]);
    assert_true(t->rc[3]);
    assert_int_equal(t->nclosed, 2);
    tfree(t);
}

static void test_buf(void **state)
{
    vb_buf *b = vb_buf_copy("abc", 3);
    assert_non_null(b);
    assert_int_equal(b->len, 3);
    assert_int_equal(b->refs, 1);
    assert_string_equal(b->data, "abc");
    assert_ptr_equal(vb_buf_ref(b), b);
    assert_int_equal(b->refs, 2);
    vb_buf_unref(b);
    vb_buf_unref(b);
    vb_buf_unref(NULL);
    b = vb_buf_new(0);
    assert_non_null(b);
    assert_int_equal(b->data[0], '\0');
    vb_buf_unref(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf),          cmocka_unit_test(test_echo_and_pipelined),
        cmocka_unit_test(test_corking),      cmocka_unit_test(test_trim_after_burst),
        cmocka_unit_test(test_output_limit), cmocka_unit_test(test_shutdown_closes_streams),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
