/*
 * Test support for the socket tests (tests/unit/test_http.c, test_stream.c,
 * test_ws.c): an HTTP server in a uv loop on the test thread, driven by a
 * client thread over blocking loopback sockets.
 *
 * The client thread records what it saw in the test's own context and, when
 * it returns, wakes the loop (uv_async) so that the server shuts down; the
 * test asserts after the join. Every wait is for an event: socket reads have
 * a 5 s receive timeout and condition waits a 10 s one, as safety nets only,
 * and a 20 s watchdog stops a loop that would never end. Nothing sleeps.
 */
#ifndef VB_TEST_NET_H
#define VB_TEST_NET_H

#include <pthread.h>
#include <stddef.h>
#include <sys/types.h>

#include <uv.h>

#include "net/vb_http.h"

/* ---- client side: blocking sockets (client thread) ---- */

/* Connects a blocking TCP socket to 127.0.0.1:port with a 5 s receive
 * timeout and, when rcvbuf is not 0, that receive buffer size. Returns the
 * descriptor or -1. */
int vbt_net_connect(int port, int rcvbuf);
/* Sends n bytes of p (stops quietly if the peer is gone). */
void vbt_net_send(int fd, const void *p, size_t n);
/* Sends the C string s. */
void vbt_net_puts(int fd, const char *s);
/* Reads until want bytes arrived (or EOF, error, timeout) into out, which
 * must hold want + 1 bytes; out is NUL-terminated. Returns the count read. */
int vbt_net_read_n(int fd, char *out, size_t want);
/* Reads and drops until the peer closes. Returns 1 on EOF or reset, 0 if
 * the receive timeout expired first. */
int vbt_net_wait_close(int fd);

#define VBT_NET_BUF (128 * 1024)

/* A connection with a read buffer, for framed reads (HTTP responses,
 * WebSocket frames). buf[len] is always a NUL byte. */
typedef struct vbt_net_conn {
    int fd;
    size_t len;
    unsigned char buf[VBT_NET_BUF];
} vbt_net_conn;

/* Connects c to 127.0.0.1:port (see vbt_net_connect). Returns 0, or -1 with
 * c->fd = -1. */
int vbt_net_conn_open(vbt_net_conn *c, int port);
/* Closes c's socket (c itself stays the caller's). */
void vbt_net_conn_close(vbt_net_conn *c);
/* A heap connection to port: vbt_net_conn_open's result is not checked (a
 * failed one reads as closed). Returns NULL only when out of memory. */
vbt_net_conn *vbt_net_conn_new(int port);
/* Closes and frees c (NULL is ignored). */
void vbt_net_conn_free(vbt_net_conn *c);
/* Sends n bytes of p / the C string s on c. */
void vbt_net_conn_write(vbt_net_conn *c, const void *p, size_t n);
void vbt_net_conn_puts(vbt_net_conn *c, const char *s);
/* Reads more bytes into c->buf. Returns the count, 0 on EOF, -1 on error,
 * timeout or a full buffer. */
ssize_t vbt_net_conn_fill(vbt_net_conn *c);
/* Drops the first n buffered bytes (n <= c->len). */
void vbt_net_conn_consume(vbt_net_conn *c, size_t n);
/* Reads one whole HTTP response (the head and, unless head_only, the
 * Content-Length body) and removes it from the buffer. Copies at most cap - 1
 * bytes of it into out (NUL-terminated). Returns the length copied, or -1 if
 * the connection ended first. */
int vbt_net_conn_response(vbt_net_conn *c, char *out, size_t cap, int head_only);
/* Drops what is buffered, then vbt_net_wait_close on c's socket. */
int vbt_net_conn_wait_close(vbt_net_conn *c);

/* ---- server side: the loop on the test thread ---- */

typedef struct vbt_net_server vbt_net_server;
/* The client: runs on its own thread; the server wakes when it returns. */
typedef void (*vbt_net_client_fn)(vbt_net_server *s);

/* Embed this in the test's context and get back to it with
 * VB_CONTAINER_OF: handlers get the vbt_net_server as ud, and loop.data
 * points to it too. */
struct vbt_net_server {
    uv_loop_t loop;
    uv_async_t wake;
    uv_timer_t watchdog;
    vb_http_server *srv;
    int port;
    vb_http_handler_fn handler; /* the test's handler, after the count */
    vbt_net_client_fn client;
    /* optional, set before vbt_net_server_run: closes the test's own
     * handles on the loop once the server has shut down */
    void (*on_shutdown)(vbt_net_server *s);
    int woke; /* client thread only: the loop was already woken */
    /* loop thread: requests handled, requests done, the last status */
    int nreq, ndone, last_status, shut_done, timed_out;
    /* loop -> client notes (vbt_net_note, vbt_net_wait_note) */
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

/* Clears *s, initialises its loop and starts a server on 127.0.0.1 at an
 * ephemeral port with limits l (NULL: defaults) and handler, which gets s as
 * ud for every request (s->nreq is counted before it). Fails the test if the
 * server cannot start. */
void vbt_net_server_start(vbt_net_server *s, const vb_http_limits *l, vb_http_handler_fn handler);
/* Runs client on a thread and the loop here until the client returned and
 * the server shut down, then closes the loop. Fails the test on a watchdog
 * timeout, a loop that does not close, or a request that was not done
 * exactly once (nreq != ndone). */
void vbt_net_server_run(vbt_net_server *s, vbt_net_client_fn client);
/* Client thread: wakes the loop (once) so that it shuts the server down. */
void vbt_net_server_wake(vbt_net_server *s);

/* Loop thread: sets *var = value under s->mu and wakes the waiters. */
void vbt_net_note(vbt_net_server *s, int *var, int value);
/* Client thread: waits (10 s at most) until *var >= n. Returns 1 if it got
 * there, 0 on timeout. */
int vbt_net_wait_note(vbt_net_server *s, const int *var, int n);

#endif
