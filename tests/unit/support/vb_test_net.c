/*
 * Test support for the socket tests: see vb_test_net.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/vb_common.h"
#include "support/vb_test_net.h"

#define WATCHDOG_MS 20000
#define NOTE_WAIT_S 10

/* ---- client side ---- */

int vbt_net_connect(int port, int rcvbuf)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct timeval tv = {5, 0}; /* safety net only: reads normally return at once */
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

void vbt_net_send(int fd, const void *p, size_t n)
{
    size_t off = 0;
    while (off < n) {
        ssize_t w = send(fd, (const char *)p + off, n - off, MSG_NOSIGNAL);
        if (w <= 0) return;
        off += (size_t)w;
    }
}

void vbt_net_puts(int fd, const char *s)
{
    vbt_net_send(fd, s, strlen(s));
}

int vbt_net_read_n(int fd, char *out, size_t want)
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

int vbt_net_wait_close(int fd)
{
    char buf[4096];
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n == 0) return 1;
        if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : 1;
    }
}

/* ---- buffered connections ---- */

int vbt_net_conn_open(vbt_net_conn *c, int port)
{
    c->len = 0;
    c->buf[0] = '\0';
    c->fd = vbt_net_connect(port, 0);
    return c->fd < 0 ? -1 : 0;
}

void vbt_net_conn_close(vbt_net_conn *c)
{
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
}

vbt_net_conn *vbt_net_conn_new(int port)
{
    vbt_net_conn *c = calloc(1, sizeof(*c));
    if (c) vbt_net_conn_open(c, port);
    return c;
}

void vbt_net_conn_free(vbt_net_conn *c)
{
    if (!c) return;
    vbt_net_conn_close(c);
    free(c);
}

void vbt_net_conn_write(vbt_net_conn *c, const void *p, size_t n)
{
    vbt_net_send(c->fd, p, n);
}

void vbt_net_conn_puts(vbt_net_conn *c, const char *s)
{
    vbt_net_send(c->fd, s, strlen(s));
}

ssize_t vbt_net_conn_fill(vbt_net_conn *c)
{
    if (c->len >= sizeof(c->buf) - 1) return -1;
    ssize_t n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len, 0);
    if (n > 0) c->len += (size_t)n;
    c->buf[c->len] = '\0';
    return n;
}

void vbt_net_conn_consume(vbt_net_conn *c, size_t n)
{
    memmove(c->buf, c->buf + n, c->len - n);
    c->len -= n;
    c->buf[c->len] = '\0';
}

/* The Content-Length of the head (hlen bytes at p), or 0 if it has none. */
static size_t content_length(const char *p, size_t hlen)
{
    static const char name[] = "\r\ncontent-length:";
    const size_t k = sizeof(name) - 1;
    for (size_t i = 0; i + k <= hlen; i++)
        if (strncasecmp(p + i, name, k) == 0) return strtoul(p + i + k, NULL, 10);
    return 0;
}

int vbt_net_conn_response(vbt_net_conn *c, char *out, size_t cap, int head_only)
{
    for (;;) {
        const char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
        if (end) {
            size_t hlen = (size_t)(end - (const char *)c->buf) + 4;
            size_t blen = head_only ? 0 : content_length((const char *)c->buf, hlen);
            if (c->len >= hlen + blen) {
                size_t n = hlen + blen < cap - 1 ? hlen + blen : cap - 1;
                memcpy(out, c->buf, n);
                out[n] = '\0';
                vbt_net_conn_consume(c, hlen + blen);
                return (int)n;
            }
        }
        if (vbt_net_conn_fill(c) <= 0) return -1;
    }
}

int vbt_net_conn_wait_close(vbt_net_conn *c)
{
    c->len = 0;
    c->buf[0] = '\0';
    return vbt_net_wait_close(c->fd);
}

/* ---- server side (loop thread) ---- */

static void on_request(vb_http_req *req, void *ud)
{
    vbt_net_server *s = ud;
    s->nreq++;
    s->handler(req, ud);
}

static void on_done(vb_http_req *req, void *ud)
{
    vbt_net_server *s = ud;
    s->ndone++;
    s->last_status = req->status;
}

static void on_shut(void *arg)
{
    vbt_net_server *s = arg;
    s->shut_done = 1;
    uv_close((uv_handle_t *)&s->wake, NULL);
    uv_close((uv_handle_t *)&s->watchdog, NULL);
    if (s->on_shutdown) s->on_shutdown(s);
}

static void on_wake(uv_async_t *a)
{
    vbt_net_server *s = a->data;
    if (s->srv) vb_http_server_shutdown(s->srv, on_shut, s);
    s->srv = NULL;
}

static void on_watchdog(uv_timer_t *tm)
{
    vbt_net_server *s = tm->data;
    s->timed_out = 1;
    uv_stop(&s->loop);
}

static void *client_main(void *arg)
{
    vbt_net_server *s = arg;
    s->client(s);
    vbt_net_server_wake(s);
    return NULL;
}

void vbt_net_server_start(vbt_net_server *s, const vb_http_limits *l, vb_http_handler_fn handler)
{
    memset(s, 0, sizeof(*s));
    assert_int_equal(pthread_mutex_init(&s->mu, NULL), 0);
    assert_int_equal(pthread_cond_init(&s->cv, NULL), 0);
    assert_int_equal(uv_loop_init(&s->loop), 0);
    s->loop.data = s;
    s->handler = handler;
    assert_int_equal(
        vb_http_server_new(&s->srv, &s->loop, "127.0.0.1", 0, l, on_request, on_done, s), 0);
    s->port = vb_http_server_port(s->srv);
    assert_true(s->port > 0);
    assert_int_equal(uv_async_init(&s->loop, &s->wake, on_wake), 0);
    s->wake.data = s;
    assert_int_equal(uv_timer_init(&s->loop, &s->watchdog), 0);
    s->watchdog.data = s;
    assert_int_equal(uv_timer_start(&s->watchdog, on_watchdog, WATCHDOG_MS, 0), 0);
}

void vbt_net_server_run(vbt_net_server *s, vbt_net_client_fn client)
{
    pthread_t th;
    s->client = client;
    assert_int_equal(pthread_create(&th, NULL, client_main, s), 0);
    uv_run(&s->loop, UV_RUN_DEFAULT);
    pthread_join(th, NULL);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    assert_false(s->timed_out);
    assert_true(s->shut_done);
    assert_int_equal(uv_loop_close(&s->loop), 0);
    assert_int_equal(s->nreq, s->ndone); /* every request was answered or freed once */
}

void vbt_net_server_wake(vbt_net_server *s)
{
    if (!s->woke) uv_async_send(&s->wake);
    s->woke = 1;
}

/* ---- loop -> client notes ---- */

void vbt_net_note(vbt_net_server *s, int *var, int value)
{
    pthread_mutex_lock(&s->mu);
    *var = value;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

int vbt_net_wait_note(vbt_net_server *s, const int *var, int n)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += NOTE_WAIT_S;
    pthread_mutex_lock(&s->mu);
    while (*var < n)
        if (pthread_cond_timedwait(&s->cv, &s->mu, &until) != 0) break;
    int ok = *var >= n;
    pthread_mutex_unlock(&s->mu);
    return ok;
}
