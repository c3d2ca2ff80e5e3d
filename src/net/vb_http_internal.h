/*
 * Internals of the HTTP server shared by vb_http.c (server lifecycle,
 * reading and the parse loop), vb_http_conn.c (connection timers, draining
 * and closing), vb_http_parse.c (llhttp callbacks, request building, query and
 * percent decoding) and vb_http_write.c (responses and the write path).
 *
 * vb_stream.c takes a connection over (WebSocket upgrade, Server-Sent
 * Events): the struct stays on the server's list in state VB_CONN_STREAM,
 * the stream installs its own read callback and uses the connection's timer
 * and vb_http_conn_shutdown, and writes with its own uv_write requests. The
 * stream is released from the connection's close callback.
 */
#ifndef VB_HTTP_INTERNAL_H
#define VB_HTTP_INTERNAL_H

#include <llhttp.h>
#include <time.h>

#include "core/vb_addr.h"
#include "net/vb_http.h"
#include "net/vb_stream.h"

/* First allocation of a request body; it doubles as more bytes arrive. */
#define VB_HTTP_BODY_MIN 1024
/* Output given back after a burst: once a server's streams have queued at
 * least this much since the last time and their queues are all empty,
 * freed memory is given back to the system (vb_mem_trim) this long after. */
#define VB_HTTP_TRIM_AFTER_BYTES (1024 * 1024)
#define VB_HTTP_TRIM_DELAY_MS 1000
/* Read slack above max_header_bytes that may sit unparsed before reads stop. */
#define VB_HTTP_INPUT_MARGIN 65536
/* Size of the server's shared read buffer (one loop thread reads at a time). */
#define VB_HTTP_READ_BUF 65536
/* After an error answer the socket is half-closed and input is discarded this
 * long, so the peer reads the answer instead of a reset. */
#define VB_HTTP_LINGER_MS 2000

/* The connection's state machine; the one timer means what the state says. */
enum vb_http_conn_state {
    VB_CONN_IDLE = 0, /* between requests; timer: idle (or header, before the first) */
    VB_CONN_HEADERS,  /* request line/headers arriving; timer: header, from the first byte */
    VB_CONN_BODY,     /* body arriving; timer: body, from the end of the headers */
    VB_CONN_BUSY,     /* a request is with the handler; no timer */
    VB_CONN_DRAIN,    /* last answer queued, write side shut down; timer: linger */
    VB_CONN_STREAM,   /* taken over by a vb_stream; the timer belongs to the stream */
    VB_CONN_CLOSED,   /* uv_close() called; freed in the close callback */
};

/* The state of parsing one request: allocated when input arrives, freed
 * when the connection is idle with nothing buffered and at takeover, so an
 * idle or taken-over connection holds none of it. */
typedef struct vb_http_parse {
    llhttp_t parser; /* parser.data points to the connection */
    /* The request being parsed: target and header strings, NUL-separated,
     * with offsets into hbuf (pointers are fixed up when the request is built). */
    char *hbuf;
    size_t hlen, hcap;
    size_t hbytes;  /* request line + header bytes counted against the limit */
    size_t url_len; /* hbuf[0..url_len) is the target */
    int url_done;
    int in_field; /* a header name is being received */
    size_t nh;
    size_t name_off[VB_HTTP_MAX_HEADERS];
    size_t value_off[VB_HTTP_MAX_HEADERS];
    uint64_t begin_ns;
    char *body;
    size_t body_len, body_cap;
    size_t body_declared; /* Content-Length, or 0 (none, chunked) */
    int err_status;       /* limit or validation failure seen in a callback */
    vb_http_req *cur;     /* built at headers-complete, handed out at message-complete */
    int msg_complete;     /* cur is complete and waits for dispatch */
    /* A streaming body (vb_http_body_start): the request was dispatched at
     * headers-complete (stream_ready until then) and its body goes to sink
     * as it arrives; nothing is parsed until the handler starts the body,
     * nor while it paused it. */
    int streaming, stream_ready, body_done, body_paused;
    const struct vb_http_body_sink *sink;
    void *sink_ud;
} vb_http_parse;

struct vb_http_conn {
    uv_tcp_t tcp;      /* first member: the handle's data points back here too */
    uv_timer_t *timer; /* allocated; NULL while an open stream needs none */
    vb_http_server *server;
    vb_http_conn *prev, *next;  /* server's list of connections */
    unsigned char state;        /* enum vb_http_conn_state */
    unsigned char handles_open; /* tcp and timer; freed when it reaches 0 */
    unsigned char reading;      /* uv_read_start active */
    unsigned char eof;          /* peer closed its write side */
    unsigned char processing;   /* inside the parse loop (guards re-entry) */
    unsigned served;            /* requests answered on this connection */
    char client_ip[48];
    vb_addr_ent *addr; /* its count in server->addrs (NULL: not counted) */

    /* Unparsed input (pipelined bytes, or bytes that came while busy). */
    char *in;
    size_t in_off, in_len, in_cap;

    vb_http_parse *p; /* NULL while idle with nothing parsed, and once taken over */
    vb_http_req *inflight;
    int resp_keep;     /* a streamed response (vb_http_respond_start) keeps the connection */
    vb_stream *stream; /* set once taken over (state VB_CONN_STREAM) */
};

struct vb_http_server {
    uv_loop_t *loop;
    uv_tcp_t listener;
    vb_http_limits limits;
    vb_http_handler_fn handler;
    vb_http_stream_check_fn stream_check;
    vb_http_done_fn done;
    void *ud;
    int port;
    llhttp_settings_t settings;
    vb_http_conn *conns;
    size_t nconns;
    vb_addr_count addrs; /* open connections per client address */
    size_t live_reqs;    /* handed to the handler, not yet answered (conn may be gone) */
    int shutting_down;
    int accept_stopped; /* the listener is closed (or closing) */
    int listener_open;
    void (*shutdown_cb)(void *arg);
    void *shutdown_arg;
    time_t date_sec; /* Date header cache */
    char date[40];
    /* Output corking for taken-over streams: streams with queued output are
     * listed in dirty; the prepare handle (started while the list is not
     * empty) writes each of them once per loop pass, before the loop polls. */
    uv_prepare_t flush;
    int flush_open, flush_closing;
    vb_stream *dirty;
    /* Giving memory back after an output burst (vb_stream.c): bytes queued
     * on all streams now and since the last trim; the timer (unreferenced)
     * runs the trim. */
    size_t out_queued, out_since_trim;
    uv_timer_t trim;
    int trim_open, trim_closing;
    unsigned long trims; /* how many times memory was given back */
    char rbuf[VB_HTTP_READ_BUF];
};

/* A request as allocated by the parser: the public part first, then one
 * arena holding the target, header strings, decoded path and an empty body. */
typedef struct vb_http_req_priv {
    vb_http_req pub;
    int body_owned; /* pub.body is malloc'd (else it points into arena) */
    char arena[];
} vb_http_req_priv;

/* One write: the uv request, the buffers and the bytes they point into, in
 * one allocation; freed by the write callback. */
typedef struct vb_http_wbuf {
    uv_write_t req;
    vb_http_conn *conn;
    uv_buf_t bufs[2];
    unsigned nbufs;
    size_t cap, len; /* of data */
    char data[];
} vb_http_wbuf;

/* --- vb_http_conn.c: connection lifecycle --- */

/* Closes the socket and timer now (idempotent). A request still with the
 * handler is detached (req->conn = NULL); the struct is freed in the close
 * callback. */
void vb_http_conn_close(vb_http_conn *c);
/* Tells the handler holding req (if it asked, with on_gone) that the peer has
 * gone; at most once per request. */
void vb_http_req_gone(vb_http_req *req);
/* Ends the connection gracefully: queued writes go out, the write side is
 * shut down, further input is discarded until EOF or the linger timeout. */
void vb_http_conn_drain(vb_http_conn *c);
/* Enters state st and arms the connection timer for it (stops it for
 * BUSY). Has no effect once the connection is draining or closed. */
void vb_http_conn_set_state(vb_http_conn *c, int st);
/* Shuts the write side of c's socket down after the queued writes, with a
 * request allocated for it; cb(c, status) runs once (UV_ECANCELED when c is
 * closed first, still before c is freed). Returns 0, VB_ENOMEM or VB_EIO
 * (cb does not run then). */
int vb_http_conn_shutdown(vb_http_conn *c, void (*cb)(vb_http_conn *c, int status));
/* Gives c a (stopped) timer again if it dropped it. Returns 0 or VB_ENOMEM. */
int vb_http_conn_timer_get(vb_http_conn *c);
/* Closes and frees c's timer (an open stream needs none); no-op without. */
void vb_http_conn_timer_drop(vb_http_conn *c);
/* Sends an error answer for a request that cannot be handled and drains. */
void vb_http_conn_fail(vb_http_conn *c, int status);

/* --- vb_http.c: server lifecycle, reading and the parse loop --- */

/* 1 while c's input may be parsed for the request in flight: a streaming
 * body the handler has started and not paused, not yet complete. */
int vb_http_conn_body_flowing(const vb_http_conn *c);
/* Parses what is buffered and updates reading (no-op when re-entered). */
void vb_http_conn_process(vb_http_conn *c);

/* Called by respond() after the answer to c->inflight is queued: continues
 * with the next pipelined request, or drains when keep_alive is 0. */
void vb_http_conn_after_response(vb_http_conn *c, int keep_alive);
/* Starts reading c's socket, unless it is already reading, has seen EOF or
 * is closed. */
void vb_http_conn_start_reading(vb_http_conn *c);
/* Called when the server may have become idle during shutdown. */
void vb_http_server_maybe_finish(vb_http_server *s);

/* --- vb_stream.c --- */

/* Called from the connection's close callback once both handles are closed:
 * runs the stream's on_close (once), drops its queued buffers, frees it. */
void vb_stream_release(vb_stream *s);

/* --- vb_http_parse.c --- */

/* Fills the llhttp callback table. */
void vb_http_parse_settings(llhttp_settings_t *st);
/* Allocates c->p (once) and initialises its parser. Returns 0 or VB_ENOMEM. */
int vb_http_parse_begin(vb_http_conn *c);
/* Drops the partial request state of c (keeps allocated buffers). No-op
 * without parse state. */
void vb_http_parse_reset(vb_http_conn *c);
/* Frees c's parse state (buffers, partial request); c->p becomes NULL. */
void vb_http_parse_free(vb_http_conn *c);
/* Frees a request and everything it owns. */
void vb_http_req_free(vb_http_req *req);
/* Percent-decodes src[0..len) into dst (room for len + 1). plus_space turns
 * '+' into ' '. Returns the decoded length, or -1 on a bad %xx escape or a
 * decoded NUL byte. */
long vb_http_pct_decode(const char *src, size_t len, char *dst, int plus_space);

/* --- vb_http_write.c --- */

/* Allocates a write buffer with room for cap bytes of data; NULL on OOM. */
vb_http_wbuf *vb_http_wbuf_new(size_t cap);
/* Queues w (its bufs[0..nbufs) set by the caller) on c; takes ownership of w.
 * On failure the connection is closed. Returns 0 or VB_EIO. */
int vb_http_conn_write(vb_http_conn *c, vb_http_wbuf *w);
/* Serialises a response: headers (Content-Length: len), then a copy of
 * body unless head_only (or the status has none). resp supplies the added
 * headers (may be NULL). NULL on OOM. */
vb_http_wbuf *vb_http_build_response(vb_http_server *s, int status, const char *ctype,
                                     const char *body, size_t len, int keep_alive,
                                     const char *request_id, const vb_http_req *resp,
                                     int head_only);
/* The bookkeeping after req's answer was queued (or the peer is gone):
 * the done callback, freeing req, the next request or draining. */
void vb_http_req_finish(vb_http_req *req, int keep);
/* Writes a small JSON error answer with Connection: close (used for parse
 * errors and timeouts, when no request exists to answer). */
void vb_http_write_error(vb_http_conn *c, int status);

#endif
