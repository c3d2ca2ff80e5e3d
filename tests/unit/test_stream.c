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

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/vb_buf.h"
#include "core/vb_common.h"
#include "net/vb_http.h"
#include "net/vb_stream.h"

#define RES_CAP 4096
#define FLOOD_CHUNK (64 * 1024)
#define FLOOD_LIMIT (256 * 1024)

typedef struct tctx tctx;
typedef void (*client_fn)(tctx *t);

struct tctx {
    uv_loop_t loop;
    uv_async_t wake;
    uv_timer_t watchdog;
    uv_idle_t flood_idle;
    vb_http_server *srv;
    int port;
    client_fn client;
    /* written by the client thread, read after the join */
    char res[4][RES_CAP];
    int rc[4];
    int woke;
    /* written on the loop thread */
    int nreq, ndone, last_status, shut_done, timed_out;
    int nstreams, nclosed, queued_after_cork, flood_rc, flood_sends;
    vb_stream *flood;
    vb_buf *chunk;
    /* loop -> client notifications */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int closed_seen; /* copy of nclosed under mu */
};

/* ---------- client side ---------- */

static int cli_open(int port, int rcvbuf)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct timeval tv = {5, 0}; /* safety net only */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (rcvbuf) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void cli_send(int fd, const char *s)
{
    size_t n = strlen(s), off = 0;
    while (off < n) {
        ssize_t w = send(fd, s + off, n - off, MSG_NOSIGNAL);
        if (w <= 0) return;
        off += (size_t)w;
    }
}

/* Reads until want bytes arrived (or EOF/timeout) into out (NUL-terminated).
 * Returns the number of bytes read. */
static int cli_read_n(int fd, char *out, size_t want)
{
    size_t got = 0;
    while (got < want) {
        ssize_t n = recv(fd, out + got, want - got, 0);
        if (n <= 0) break;
        got += (size_t)n;
    }
    out[got] = '\0';
    return (int)got;
}

/* Reads until the server closes; 1 on EOF or reset, 0 on timeout. */
static int cli_wait_close(int fd)
{
    char buf[4096];
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n == 0) return 1;
        if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : 1;
    }
}

/* Waits (10 s at most) until the server has closed at least n streams. */
static int cli_wait_closed(tctx *t, int n)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 10;
    pthread_mutex_lock(&t->mu);
    while (t->closed_seen < n)
        if (pthread_cond_timedwait(&t->cv, &t->mu, &until) != 0) break;
    int ok = t->closed_seen >= n;
    pthread_mutex_unlock(&t->mu);
    return ok;
}

static void cli_wake(tctx *t)
{
    if (!t->woke) uv_async_send(&t->wake);
    t->woke = 1;
}

static void *client_main(void *arg)
{
    tctx *t = arg;
    t->client(t);
    cli_wake(t);
    return NULL;
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

static void raw_data(vb_stream *s, const char *data, size_t len, void *ud)
{
    tctx *t = ud;
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
    vb_stream_send_copy(s, data, len);
}

static void raw_close(vb_stream *s, void *ud)
{
    tctx *t = ud;
    if (t->flood == s) t->flood = NULL;
    t->nclosed++;
    pthread_mutex_lock(&t->mu);
    t->closed_seen = t->nclosed;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
    /* the stream is closed: sending fails, closing again is harmless */
    assert_int_equal(vb_stream_send_copy(s, "x", 1), VB_EIO);
    vb_stream_close(s);
}

static void handler(vb_http_req *req, void *ud)
{
    static const vb_stream_handlers h = {raw_data, raw_close};
    tctx *t = ud;
    t->nreq++;
    if (strcmp(req->path, "/raw") == 0) {
        req->status = 200;
        if (vb_http_takeover(req, &h, t)) t->nstreams++;
        return;
    }
    vb_http_respond(req, 200, "text/plain", "ok", 2);
}

static void done(vb_http_req *req, void *ud)
{
    tctx *t = ud;
    t->ndone++;
    t->last_status = req->status;
}

static void on_shut(void *arg)
{
    tctx *t = arg;
    t->shut_done = 1;
    uv_close((uv_handle_t *)&t->wake, NULL);
    uv_close((uv_handle_t *)&t->watchdog, NULL);
    uv_close((uv_handle_t *)&t->flood_idle, NULL);
}

static void on_wake(uv_async_t *a)
{
    tctx *t = a->data;
    if (t->srv) vb_http_server_shutdown(t->srv, on_shut, t);
    t->srv = NULL;
}

static void on_watchdog(uv_timer_t *tm)
{
    tctx *t = tm->data;
    t->timed_out = 1;
    uv_stop(&t->loop);
}

/* Runs the server and the client fn in a thread until the client finished
 * and the server shut down. */
static tctx *run(client_fn fn)
{
    tctx *t = calloc(1, sizeof(*t));
    assert_non_null(t);
    pthread_mutex_init(&t->mu, NULL);
    pthread_cond_init(&t->cv, NULL);
    assert_int_equal(uv_loop_init(&t->loop), 0);
    t->client = fn;
    t->chunk = vb_buf_new(FLOOD_CHUNK);
    assert_non_null(t->chunk);
    memset(t->chunk->data, 'z', FLOOD_CHUNK);
    assert_int_equal(vb_http_server_new(&t->srv, &t->loop, "127.0.0.1", 0, NULL, handler, done, t),
                     0);
    t->port = vb_http_server_port(t->srv);
    uv_async_init(&t->loop, &t->wake, on_wake);
    t->wake.data = t;
    uv_timer_init(&t->loop, &t->watchdog);
    t->watchdog.data = t;
    uv_timer_start(&t->watchdog, on_watchdog, 20000, 0);
    uv_idle_init(&t->loop, &t->flood_idle);
    t->flood_idle.data = t;
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, client_main, t), 0);
    uv_run(&t->loop, UV_RUN_DEFAULT);
    pthread_join(th, NULL);
    assert_false(t->timed_out);
    assert_true(t->shut_done);
    assert_int_equal(uv_loop_close(&t->loop), 0);
    assert_int_equal(t->nreq, t->ndone);
    assert_int_equal(t->nstreams, t->nclosed); /* on_close exactly once per stream */
    assert_int_equal(t->chunk->refs, 1);       /* every queued ref was dropped */
    return t;
}

static void tfree(tctx *t)
{
    vb_buf_unref(t->chunk);
    pthread_mutex_destroy(&t->mu);
    pthread_cond_destroy(&t->cv);
    free(t);
}

/* ---------- tests ---------- */

static void c_echo(tctx *t)
{
    int fd = cli_open(t->port, 0);
    if (fd < 0) return;
    /* the bytes behind the request arrive in the same segment */
    cli_send(fd, "GET /raw HTTP/1.1\r\nHost: a\r\n\r\nHELLO");
    t->rc[0] = cli_read_n(fd, t->res[0], 5);
    cli_send(fd, "world");
    t->rc[1] = cli_read_n(fd, t->res[1], 5);
    close(fd);
    t->rc[2] = cli_wait_closed(t, 1);
    /* plain HTTP still works next to it */
    fd = cli_open(t->port, 0);
    cli_send(fd, "GET /plain HTTP/1.1\r\nConnection: close\r\n\r\n");
    t->rc[3] = cli_read_n(fd, t->res[3], RES_CAP - 1);
    close(fd);
}

static void test_echo_and_pipelined(void **state)
{
    tctx *t = run(c_echo);
    assert_int_equal(t->rc[0], 5);
    assert_string_equal(t->res[0], "HELLO"); /* no HTTP response was written for /raw */
    assert_string_equal(t->res[1], "world");
    assert_true(t->rc[2]);
    assert_non_null(strstr(t->res[3], "HTTP/1.1 200 OK"));
    assert_int_equal(t->nstreams, 1);
    tfree(t);
}

static void c_cork(tctx *t)
{
    int fd = cli_open(t->port, 0);
    if (fd < 0) return;
    cli_send(fd, "GET /raw HTTP/1.1\r\n\r\n");
    cli_send(fd, "CORK");
    t->rc[0] = cli_read_n(fd, t->res[0], 11);
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
    int fd = cli_open(t->port, 4096); /* small receive window, never read */
    if (fd < 0) return;
    cli_send(fd, "GET /raw HTTP/1.1\r\n\r\nFLOOD");
    t->rc[0] = cli_wait_closed(t, 1);
    /* the server still serves others */
    int fd2 = cli_open(t->port, 0);
    cli_send(fd2, "GET /raw HTTP/1.1\r\n\r\nping");
    t->rc[1] = cli_read_n(fd2, t->res[1], 4);
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
        fds[i] = cli_open(t->port, 0);
        cli_send(fds[i], "GET /raw HTTP/1.1\r\n\r\n");
        cli_send(fds[i], "up");
        t->rc[i] = cli_read_n(fds[i], t->res[i], 2); /* taken over for sure */
    }
    cli_wake(t); /* shut down with both streams open */
    for (int i = 0; i < 2; i++) {
        t->rc[2 + i] = cli_wait_close(fds[i]);
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
        cmocka_unit_test(test_buf),
        cmocka_unit_test(test_echo_and_pipelined),
        cmocka_unit_test(test_corking),
        cmocka_unit_test(test_output_limit),
        cmocka_unit_test(test_shutdown_closes_streams),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
