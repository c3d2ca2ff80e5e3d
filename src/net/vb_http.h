/*
 * HTTP/1.1 server on libuv + llhttp.
 *
 * One event-loop thread owns every connection. A request is parsed completely
 * (headers and body, content-length or chunked) before the handler is called,
 * unless the stream check makes it a streaming request (see
 * vb_http_body_start: its body goes to the handler as it arrives).
 * The handler answers with vb_http_respond(), now or later (after a store call
 * completes on the loop). Requests on one connection are answered in order:
 * while one is in flight the parser is paused and further pipelined bytes wait
 * in the connection's input buffer (bounded by the header and body limits).
 *
 * Limits are named in vb_http_limits; peers that exceed them get 413 (body),
 * 431 (headers), 400 (malformed), 408 (header/idle timeout) or 429 (too
 * many connections from one address) and the connection is closed after
 * the answer.
 */
#ifndef VB_HTTP_H
#define VB_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define VB_HTTP_MAX_HEADERS 64      /* more is 431 */
#define VB_HTTP_MAX_RESP_HEADERS 24 /* extra headers a handler may add */

typedef struct vb_http_server vb_http_server;
typedef struct vb_http_conn vb_http_conn;

typedef struct vb_http_limits {
    size_t max_header_bytes;    /* request line + headers; default 16 KiB; over is 431 */
    size_t max_body_bytes;      /* default 5 MiB; over is 413 */
    unsigned header_timeout_ms; /* time to receive a complete header block; default 10 s -> 408 */
    unsigned
        body_timeout_ms; /* time to receive the body once headers are in; default 30 s -> 408 */
    unsigned idle_timeout_ms; /* keep-alive idle time between requests; default 60 s -> close */
    unsigned max_connections; /* accepted sockets beyond this are closed at once; default 19800 */
    /* open connections per client address (IPv6: per /64, see vb_addr.h);
     * one more is answered 429 TOO_MANY_CONNECTIONS; default 1000, 0: none */
    unsigned max_connections_per_address;
    /* peers not counted against max_connections_per_address (trusted proxies,
     * whose connections carry many clients): exempt(peer address, exempt_ud)
     * returns 1; NULL exempts nobody */
    int (*exempt)(const char *ip, void *ud);
    void *exempt_ud;
} vb_http_limits;

/* How many times the server gave memory back after an output burst of its
 * streams (see VB_HTTP_TRIM_AFTER_BYTES in vb_http_internal.h). */
unsigned long vb_http_server_trims(const vb_http_server *s);

/* Fills *l with the defaults above. */
void vb_http_limits_default(vb_http_limits *l);

typedef struct vb_http_header {
    char *name;  /* lower-cased */
    char *value; /* surrounding whitespace trimmed */
} vb_http_header;

typedef struct vb_http_req {
    vb_http_server *server;
    vb_http_conn *conn; /* NULL once the peer has gone; respond() then only frees */
    const char *method; /* "GET", "POST", ... */
    char *target;       /* raw request target as received */
    char *path;         /* target before '?', percent-decoded; never contains NUL bytes */
    char *query;        /* raw text after '?', or NULL */
    vb_http_header headers[VB_HTTP_MAX_HEADERS];
    size_t nheaders;
    char *body; /* NUL-terminated for convenience; body_len excludes the NUL */
    size_t body_len;
    char request_id[64]; /* X-Request-Id if the client sent a sane one (<=63 chars of
                            [A-Za-z0-9._-]), else generated */
    char client_ip[48];  /* peer address as text */
    uint64_t start_ns;   /* vb_now_ns() when the request line arrived */
    int keep_alive;      /* computed from version and Connection header */
    /* response headers a handler adds with vb_http_add_header() */
    vb_http_header resp_headers[VB_HTTP_MAX_RESP_HEADERS];
    size_t nresp_headers;
    int status; /* set by respond(), for logging; set by the caller (101 or
                   200) before vb_stream_takeover(), for the done callback */
    void *app;  /* free for the application (e.g. auth context); not touched by the server */
    /* Set by a handler that holds the request (long-polling): called once if
     * the peer closes or resets the connection before the answer. The handler
     * still owns req and must answer it (after a reset respond() only frees). */
    void (*on_gone)(struct vb_http_req *req, void *ud);
    void *on_gone_ud;
} vb_http_req;

/* Called on the loop thread once per complete request. The handler must call
 * vb_http_respond() exactly once, now or later, on the loop thread. */
typedef void (*vb_http_handler_fn)(vb_http_req *req, void *ud);
/* Called on the loop thread after a response was written (or the peer went),
 * just before the request is freed: used for access logs and metrics. */
typedef void (*vb_http_done_fn)(vb_http_req *req, void *ud);

/* Creates a server bound to host:port on loop. Returns 0 or a negative vb_err
 * (VB_EIO if bind/listen failed; the uv error is logged). */
int vb_http_server_new(vb_http_server **out, uv_loop_t *loop, const char *host, int port,
                       const vb_http_limits *limits, vb_http_handler_fn handler,
                       vb_http_done_fn done, void *ud);
/* The port actually bound (useful when port 0 was asked). */
int vb_http_server_port(const vb_http_server *s);
/* Number of open connections. */
size_t vb_http_server_connections(const vb_http_server *s);
/* Stops accepting new connections (the listener closes); the open ones are
 * served as before. A stop's first step, so a balancer sends new clients to
 * other instances while this one finishes. */
void vb_http_server_stop_accepting(vb_http_server *s);
/* Stops accepting; idle keep-alive connections are closed now, busy ones after
 * their in-flight response is written, taken-over streams (vb_stream.h) after
 * their queued output (bounded by a short linger; their on_close runs). cb
 * runs once every connection and the listener are closed; the server is then
 * freed. */
void vb_http_server_shutdown(vb_http_server *s, void (*cb)(void *arg), void *arg);

/* Case-insensitive header lookup (lname must be lower-case); NULL if absent. */
const char *vb_http_header_get(const vb_http_req *req, const char *lname);
/* Adds a response header (both strings are copied). Ignored past the limit. */
void vb_http_add_header(vb_http_req *req, const char *name, const char *value);
/* Writes the response: status line, Date, Content-Type (if non-NULL),
 * Content-Length, Connection, X-Request-Id, the added headers, then body.
 * body may be NULL with len 0. Takes nothing from the caller (the body is
 * copied or written before returning). Frees req afterwards (req must not be
 * used after this call). If the peer is gone it only frees. */
void vb_http_respond(vb_http_req *req, int status, const char *content_type, const char *body,
                     size_t len);
/*
 * Streaming request bodies. A server with a stream check asks it at the end
 * of each request's headers; when it returns 1 the request is handed to the
 * handler at once, before its body, and max_body_bytes does not apply (the
 * handler has its own limit). The body is not read until the handler calls
 * vb_http_body_start(); from then on it goes to the sink as it arrives
 * (chunked bodies decoded), and on_end runs once it is complete. The handler
 * may answer at any time; an answer before the end of the body closes the
 * connection after it. If the peer goes first, on_gone (vb_http_req) runs.
 * For such a body the body timeout counts from the last bytes received (not
 * while the handler paused it); "Expect: 100-continue" is answered when the
 * body is started.
 */
typedef int (*vb_http_stream_check_fn)(const vb_http_req *req, void *ud);
void vb_http_server_set_stream_check(vb_http_server *s, vb_http_stream_check_fn fn);

typedef struct vb_http_body_sink {
    /* A piece of the body (valid during the call only). */
    void (*on_data)(vb_http_req *req, const char *data, size_t len, void *ud);
    /* The whole body has arrived. */
    void (*on_end)(vb_http_req *req, void *ud);
} vb_http_body_sink;

/* Starts delivering req's body to sink (borrowed; must outlive the body).
 * Returns 0, or VB_EIO when req is not a streaming request or its peer is
 * gone. */
int vb_http_body_start(vb_http_req *req, const vb_http_body_sink *sink, void *ud);
/* Backpressure: stop reading the body (at most the bytes of one read more
 * are delivered), and go on. No-ops once the peer is gone. */
void vb_http_body_pause(vb_http_req *req);
void vb_http_body_resume(vb_http_req *req);

/*
 * Streamed responses: vb_http_respond_start() writes the status line and the
 * headers (as vb_http_respond, with Content-Length: len); the body follows in
 * pieces with vb_http_respond_write(), each copied and written at once; cb
 * runs when that piece is written (status 0) or could not be (< 0: the peer
 * is gone). vb_http_respond_end() finishes (and frees) req, also when the
 * peer is gone. Returns 0 or VB_EIO (peer gone: finish with _end).
 */
int vb_http_respond_start(vb_http_req *req, int status, const char *content_type, uint64_t len);
int vb_http_respond_write(vb_http_req *req, const char *data, size_t len,
                          void (*cb)(vb_http_req *req, int status, void *ud), void *ud);
void vb_http_respond_end(vb_http_req *req);

/* Looks up one query parameter (percent-decoded, '+' as space) into out; returns
 * 1 if present, 0 if absent, -1 if its decoded value does not fit outlen. */
int vb_http_query_get(const vb_http_req *req, const char *name, char *out, size_t outlen);
/* Reason phrase for a status code ("Not Found"). */
const char *vb_http_reason(int status);

#endif
