/*
 * vb-load connections: TCP from a chosen source address, then either a
 * WebSocket carrying Engine.IO 4 / Socket.IO 5 (chat) or an HTTP GET held
 * open as a Server-Sent Events stream. Frames to the server are masked as
 * RFC 6455 requires of clients; frames from it are read unmasked.
 */
#include "vbl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define ACK_RING 4096

typedef enum {
    C_IDLE,
    C_CONNECTING,
    C_HTTP,     /* awaiting the 101 (chat) or 200 (SSE) response head */
    C_EIO_OPEN, /* awaiting the Engine.IO open packet */
    C_SIO_CONN, /* awaiting the namespace connect answer */
    C_JOINING,  /* awaiting the channel:join ack */
    C_READY,    /* chat: joined; SSE: first event received */
    C_SSE_WAIT, /* SSE: stream open, awaiting the first event */
    C_CLOSED
} conn_state;

typedef struct conn {
    uv_tcp_t tcp;
    uv_connect_t creq;
    int idx;
    conn_state state;
    char *rbuf;
    size_t rlen, rcap;
    /* SSE body decoding */
    int chunked;
    long chunk_left; /* -1: reading a size line */
    char *ev;
    size_t evlen, evcap;
    long sse_last;
    /* chat */
    uint32_t next_ack;
    uint32_t join_ack;
    uint64_t *ack_ts;
    int outstanding;
    int sender;
} conn;

static conn *g_conns;
static int g_launched, g_done, g_live;
static int g_all_ready_sent;

/* sending state */
static conn **g_senders;
static int g_nsenders, g_window, g_payload, g_sending;
static double g_rate;
static uint64_t g_send_start, g_send_end, g_sent_sched;
static uv_timer_t g_send_timer;
static int g_rr;

uint64_t vbl_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void on_write(uv_write_t *req, int status)
{
    free(req);
}

/* Queues len bytes on c's socket (copied). */
static void conn_write_raw(conn *c, const void *data, size_t len)
{
    if (c->state == C_CLOSED) return;
    uv_write_t *req = malloc(sizeof *req + len);
    if (!req) return;
    char *p = (char *)(req + 1);
    memcpy(p, data, len);
    uv_buf_t b = uv_buf_init(p, (unsigned)len);
    if (uv_write(req, (uv_stream_t *)&c->tcp, &b, 1, on_write) != 0) free(req);
}

/* Sends one masked WebSocket frame of opcode op holding msg. */
static void ws_send_op(conn *c, int op, const char *msg, size_t len)
{
    if (c->state == C_CLOSED) return;
    size_t hl = 2 + (len < 126 ? 0 : len < 65536 ? 2 : 8) + 4;
    uv_write_t *req = malloc(sizeof *req + hl + len);
    if (!req) return;
    unsigned char *f = (unsigned char *)(req + 1);
    size_t i = 0;
    f[i++] = (unsigned char)(0x80 | op);
    if (len < 126) {
        f[i++] = 0x80 | (unsigned char)len;
    } else if (len < 65536) {
        f[i++] = 0x80 | 126;
        f[i++] = (unsigned char)(len >> 8);
        f[i++] = (unsigned char)len;
    } else {
        f[i++] = 0x80 | 127;
        for (int s = 56; s >= 0; s -= 8)
            f[i++] = (unsigned char)((uint64_t)len >> s);
    }
    uint32_t r = (uint32_t)rand();
    unsigned char mask[4] = {(unsigned char)r, (unsigned char)(r >> 8), (unsigned char)(r >> 16),
                             (unsigned char)(r >> 24)};
    memcpy(f + i, mask, 4);
    i += 4;
    for (size_t k = 0; k < len; k++)
        f[i + k] = (unsigned char)msg[k] ^ mask[k & 3];
    uv_buf_t b = uv_buf_init((char *)f, (unsigned)(hl + len));
    if (uv_write(req, (uv_stream_t *)&c->tcp, &b, 1, on_write) != 0) free(req);
}

/* Sends one WebSocket text frame holding the Engine.IO packet msg. */
static void ws_send(conn *c, const char *msg, size_t len)
{
    ws_send_op(c, 1, msg, len);
}

static void launch_next(void);
static void send_one(conn *s, uint64_t now);

static void on_closed(uv_handle_t *h)
{
    conn *c = h->data;
    free(c->rbuf);
    c->rbuf = NULL;
    free(c->ev);
    c->ev = NULL;
    g_live--;
}

/* Marks c done with its handshake (ok or not) and launches the next one. */
static void handshake_done(conn *c, int ok)
{
    if (ok) {
        g_stats.ready++;
    } else {
        g_stats.failed++;
    }
    g_done++;
    launch_next();
    if (g_done == g_opts.conns && !g_all_ready_sent) {
        g_all_ready_sent = 1;
        vbl_on_all_ready();
    }
}

static void conn_close(conn *c, const char *why)
{
    if (c->state == C_CLOSED) return;
    conn_state was = c->state;
    c->state = C_CLOSED;
    if (was != C_READY) {
        if (g_stats.failed < 5)
            fprintf(stderr, "vb-load: conn %d failed in state %d: %s\n", c->idx, was, why);
        handshake_done(c, 0);
    } else {
        g_stats.closed++;
        if (g_stats.closed <= 5 && strcmp(why, "quit"))
            fprintf(stderr, "vb-load: conn %d closed: %s\n", c->idx, why);
    }
    uv_close((uv_handle_t *)&c->tcp, on_closed);
}

static void send_join(conn *c)
{
    char msg[512];
    c->join_ack = c->next_ack++;
    int n = snprintf(msg, sizeof msg, "42%s,%u[\"channel:join\",{\"channelId\":\"%s\"}]",
                     g_opts.nsp, c->join_ack, g_opts.channels[c->idx % g_opts.nchannels]);
    c->state = C_JOINING;
    ws_send(c, msg, (size_t)n);
}

/* Parses the ack id after "4<type><nsp>," at p; returns the rest in *rest. */
static long parse_ack_id(const char *p, size_t len, const char **rest)
{
    size_t i = 0;
    if (i < len && p[i] == '/') {
        while (i < len && p[i] != ',')
            i++;
        i++;
    }
    long id = 0;
    int any = 0;
    while (i < len && p[i] >= '0' && p[i] <= '9')
        id = id * 10 + (p[i++] - '0'), any = 1;
    *rest = p + i;
    return any ? id : -1;
}

/* Handles one Socket.IO packet (after the Engine.IO '4'). */
static void on_sio(conn *c, const char *p, size_t len, uint64_t now)
{
    if (len < 1) return;
    char type = p[0];
    p++, len--;
    const char *rest;
    switch (type) {
    case '0': /* namespace connected */
        if (c->state == C_SIO_CONN) {
            g_stats.connected++;
            send_join(c);
        }
        break;
    case '4':
        conn_close(c, "connect_error");
        break;
    case '2': { /* event */
        const char *t = memmem(p, len, "bt=", 3);
        if (t && memmem(p, len, "message:new", 11)) {
            uint64_t ts = strtoull(t + 3, NULL, 10);
            g_stats.received++;
            if (now > ts) vbl_hist_add(&g_stats.deliver_lat, now - ts);
            g_stats.last_recv_ns = now;
        } else {
            g_stats.other_events++;
        }
        break;
    }
    case '3': { /* ack */
        long id = parse_ack_id(p, len, &rest);
        if (id < 0) break;
        int ok = memmem(rest, len - (size_t)(rest - p), "\"ok\":true", 9) != NULL;
        if (c->state == C_JOINING && (uint32_t)id == c->join_ack) {
            if (!ok) {
                conn_close(c, "join refused");
                break;
            }
            c->state = C_READY;
            handshake_done(c, 1);
            break;
        }
        if (c->ack_ts && c->outstanding > 0) {
            c->outstanding--;
            uint64_t ts = c->ack_ts[(uint32_t)id % ACK_RING];
            if (ok) {
                g_stats.acked++;
                if (ts && now > ts) vbl_hist_add(&g_stats.ack_lat, now - ts);
            } else {
                g_stats.ack_errors++;
                if (g_stats.ack_errors <= 3)
                    fprintf(stderr, "vb-load: ack error: %.*s\n", (int)(len > 200 ? 200 : len), p);
            }
            g_stats.last_ack_ns = now;
            if (g_sending && g_rate <= 0 && now < g_send_end) send_one(c, now);
        }
        break;
    }
    default:
        break;
    }
}

/* Handles one Engine.IO packet carried by a text frame. */
static void on_eio(conn *c, const char *p, size_t len, uint64_t now)
{
    if (len < 1) return;
    switch (p[0]) {
    case '0': {
        if (c->state != C_EIO_OPEN) break;
        char msg[2048];
        int n = snprintf(msg, sizeof msg, "40%s,{\"token\":\"%s\"}", g_opts.nsp,
                         g_opts.tokens[c->idx % g_opts.ntokens]);
        c->state = C_SIO_CONN;
        ws_send(c, msg, (size_t)n);
        break;
    }
    case '2':
        ws_send(c, "3", 1);
        break;
    case '1':
        conn_close(c, "engine.io close");
        break;
    case '4':
        on_sio(c, p + 1, len - 1, now);
        break;
    default:
        break;
    }
}

/* Parses complete WebSocket frames from c's buffer; keeps a partial tail. */
static void ws_parse(conn *c, uint64_t now)
{
    size_t off = 0;
    while (c->state != C_CLOSED) {
        unsigned char *f = (unsigned char *)c->rbuf + off;
        size_t avail = c->rlen - off;
        if (avail < 2) break;
        int op = f[0] & 0x0f;
        uint64_t plen = f[1] & 0x7f;
        size_t hl = 2;
        if (plen == 126) {
            if (avail < 4) break;
            plen = ((uint64_t)f[2] << 8) | f[3];
            hl = 4;
        } else if (plen == 127) {
            if (avail < 10) break;
            plen = 0;
            for (int i = 0; i < 8; i++)
                plen = (plen << 8) | f[2 + i];
            hl = 10;
        }
        if (f[1] & 0x80) { /* a server must not mask its frames */
            conn_close(c, "masked frame from server");
            break;
        }
        if (avail < hl + plen) break;
        const char *payload = (const char *)f + hl;
        if (op == 1) {
            on_eio(c, payload, (size_t)plen, now);
        } else if (op == 9) {
            ws_send_op(c, 10, payload, (size_t)plen);
        } else if (op == 8) {
            conn_close(c, "ws close");
        }
        off += hl + (size_t)plen;
    }
    if (c->rbuf && off > 0) {
        memmove(c->rbuf, c->rbuf + off, c->rlen - off);
        c->rlen -= off;
    }
}

/* Feeds decoded SSE body bytes; dispatches complete events. */
static void sse_feed(conn *c, const char *p, size_t n, uint64_t now)
{
    if (c->evlen + n + 1 > c->evcap) {
        size_t cap = c->evcap ? c->evcap : 1024;
        while (cap < c->evlen + n + 1)
            cap *= 2;
        char *nb = realloc(c->ev, cap);
        if (!nb) return;
        c->ev = nb, c->evcap = cap;
    }
    memcpy(c->ev + c->evlen, p, n);
    c->evlen += n;
    size_t start = 0;
    for (;;) {
        char *end = memmem(c->ev + start, c->evlen - start, "\n\n", 2);
        if (!end) break;
        size_t blen = (size_t)(end - (c->ev + start));
        const char *blk = c->ev + start;
        const char *d = memmem(blk, blen, "data:", 5);
        if (d) {
            g_stats.sse_events++;
            if (c->state == C_SSE_WAIT) {
                c->state = C_READY;
                handshake_done(c, 1);
            }
            vbl_sse_on_event(&c->sse_last, d, blen - (size_t)(d - blk), now);
        }
        start += blen + 2;
    }
    memmove(c->ev, c->ev + start, c->evlen - start);
    c->evlen -= start;
}

/* Decodes the SSE response body (chunked or raw) in c's buffer. */
static void sse_parse(conn *c, uint64_t now)
{
    if (!c->chunked) {
        sse_feed(c, c->rbuf, c->rlen, now);
        c->rlen = 0;
        return;
    }
    size_t off = 0;
    while (off < c->rlen && c->state != C_CLOSED) {
        if (c->chunk_left < 0) {
            char *nl = memmem(c->rbuf + off, c->rlen - off, "\r\n", 2);
            if (!nl) break;
            c->chunk_left = strtol(c->rbuf + off, NULL, 16) + 2; /* data + CRLF */
            off = (size_t)(nl - c->rbuf) + 2;
            if (c->chunk_left == 2) {
                conn_close(c, "stream ended");
                return;
            }
            continue;
        }
        size_t take = c->rlen - off;
        if ((long)take > c->chunk_left) take = (size_t)c->chunk_left;
        long data_left = c->chunk_left - 2; /* bytes of data still due */
        size_t data = take;
        if ((long)data > data_left) data = data_left > 0 ? (size_t)data_left : 0;
        if (data) sse_feed(c, c->rbuf + off, data, now);
        c->chunk_left -= (long)take;
        off += take;
        if (c->chunk_left == 0) c->chunk_left = -1;
    }
    memmove(c->rbuf, c->rbuf + off, c->rlen - off);
    c->rlen -= off;
}

/* Reads the HTTP response head; moves c to its protocol state. */
static void http_head(conn *c, uint64_t now)
{
    char *end = memmem(c->rbuf, c->rlen, "\r\n\r\n", 4);
    if (!end) return;
    size_t hlen = (size_t)(end - c->rbuf) + 4;
    int status = 0;
    if (c->rlen > 12) status = atoi(c->rbuf + 9);
    if (g_opts.mode == VBL_CHAT) {
        if (status != 101) {
            conn_close(c, "no 101");
            return;
        }
        c->state = C_EIO_OPEN;
    } else {
        if (status != 200) {
            conn_close(c, "sse status not 200");
            return;
        }
        c->rbuf[hlen - 1] = '\0';
        for (char *q = c->rbuf; *q; q++)
            *q = (char)(*q >= 'A' && *q <= 'Z' ? *q + 32 : *q);
        c->chunked = strstr(c->rbuf, "transfer-encoding: chunked") != NULL;
        c->chunk_left = -1;
        c->state = C_SSE_WAIT;
    }
    memmove(c->rbuf, c->rbuf + hlen, c->rlen - hlen);
    c->rlen -= hlen;
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    conn *c = h->data;
    if (c->rcap - c->rlen < 4096) {
        size_t cap = c->rcap ? c->rcap * 2 : 8192;
        char *nb = realloc(c->rbuf, cap);
        if (!nb) {
            buf->base = NULL, buf->len = 0;
            return;
        }
        c->rbuf = nb, c->rcap = cap;
    }
    buf->base = c->rbuf + c->rlen;
    buf->len = c->rcap - c->rlen;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    conn *c = s->data;
    if (n < 0) {
        conn_close(c, uv_strerror((int)n));
        return;
    }
    if (n == 0) return;
    g_stats.bytes_in += (uint64_t)n;
    c->rlen += (size_t)n;
    uint64_t now = vbl_now_ns();
    if (c->state == C_HTTP) http_head(c, now);
    if (c->state == C_CLOSED || c->state == C_HTTP) return;
    if (g_opts.mode == VBL_CHAT) {
        ws_parse(c, now);
    } else {
        sse_parse(c, now);
    }
}

static void on_connect(uv_connect_t *req, int status)
{
    conn *c = req->data;
    if (status < 0) {
        conn_close(c, uv_strerror(status));
        return;
    }
    char rq[2048];
    int n;
    if (g_opts.mode == VBL_CHAT) {
        n = snprintf(
            rq, sizeof rq,
            "GET %s/?EIO=4&transport=websocket HTTP/1.1\r\nHost: %s:%d\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dmJsb2FkLWJlbmNoLWtleQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
            g_opts.ws_path, g_opts.host, vbl_port_of(c->idx));
    } else {
        n = snprintf(rq, sizeof rq,
                     "GET %s HTTP/1.1\r\nHost: %s:%d\r\nAccept: text/event-stream\r\n"
                     "Authorization: Bearer %s\r\n\r\n",
                     g_opts.sse_path, g_opts.host, vbl_port_of(c->idx),
                     g_opts.tokens[c->idx % g_opts.ntokens]);
    }
    c->state = C_HTTP;
    conn_write_raw(c, rq, (size_t)n);
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

/* Opens connection idx: socket bound to its source address, then connect. */
static void launch(int idx)
{
    conn *c = &g_conns[idx];
    c->idx = idx;
    c->state = C_CONNECTING;
    c->sse_last = -1;
    uv_tcp_init(g_loop, &c->tcp);
    c->tcp.data = c;
    g_live++;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        conn_close(c, strerror(errno));
        return;
    }
    int one = 1;
#ifdef IP_BIND_ADDRESS_NO_PORT
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
#endif
    setsockopt(fd, IPPROTO_TCP, 1 /* TCP_NODELAY */, &one, sizeof one);
    struct sockaddr_in src = {.sin_family = AF_INET};
    char ip[32];
    snprintf(ip, sizeof ip, "127.0.0.%d", g_opts.src_base + idx % g_opts.src_count);
    inet_pton(AF_INET, ip, &src.sin_addr);
    if (bind(fd, (struct sockaddr *)&src, sizeof src) != 0 || uv_tcp_open(&c->tcp, fd) != 0) {
        close(fd);
        conn_close(c, "bind");
        return;
    }
    struct sockaddr_in dst;
    uv_ip4_addr(g_opts.host, vbl_port_of(idx), &dst);
    c->creq.data = c;
    int r = uv_tcp_connect(&c->creq, &c->tcp, (struct sockaddr *)&dst, on_connect);
    if (r) conn_close(c, uv_strerror(r));
}

static void launch_next(void)
{
    if (g_launched < g_opts.conns) launch(g_launched++);
}

void vbl_conns_start(void)
{
    g_conns = calloc((size_t)g_opts.conns, sizeof *g_conns);
    if (!g_conns) {
        fprintf(stderr, "vb-load: out of memory\n");
        exit(1);
    }
    if (g_opts.conns == 0) {
        g_all_ready_sent = 1;
        vbl_on_all_ready();
        return;
    }
    int first = g_opts.concurrency < g_opts.conns ? g_opts.concurrency : g_opts.conns;
    for (int i = 0; i < first; i++)
        launch_next();
}

int vbl_conns_live(void)
{
    return g_live;
}

/* Sends one stamped message:send from s if its ack ring has room. The
 * content starts with "bt=<CLOCK_MONOTONIC ns>;" so that every receiver, in
 * any process, can compute the delivery latency. */
static void send_one(conn *s, uint64_t now)
{
    if (s->state != C_READY) return;
    if (s->outstanding >= ACK_RING - 1) {
        g_stats.skipped++;
        return;
    }
    char msg[12000];
    uint32_t id = s->next_ack++;
    int n = snprintf(
        msg, sizeof msg, "42%s,%u[\"message:send\",{\"channelId\":\"%s\",\"content\":\"bt=%llu;",
        g_opts.nsp, id, g_opts.channels[s->idx % g_opts.nchannels], (unsigned long long)now);
    int pad = g_payload - 24;
    if (pad > (int)sizeof msg - n - 16) pad = (int)sizeof msg - n - 16;
    for (int i = 0; i < pad; i++)
        msg[n++] = 'x';
    n += snprintf(msg + n, sizeof msg - (size_t)n, "\"}]");
    s->ack_ts[id % ACK_RING] = now;
    s->outstanding++;
    g_stats.sent++;
    if (!g_stats.first_send_ns) g_stats.first_send_ns = now;
    ws_send(s, msg, (size_t)n);
}

/* Rate mode: sends what the schedule owes since the start, round robin. */
static void on_send_tick(uv_timer_t *t)
{
    uint64_t now = vbl_now_ns();
    if (now >= g_send_end || g_nsenders == 0) {
        g_sending = 0;
        uv_timer_stop(t);
        return;
    }
    uint64_t due = (uint64_t)((double)(now - g_send_start) / 1e9 * g_rate);
    while (g_sent_sched < due) {
        send_one(g_senders[g_rr++ % g_nsenders], now);
        g_sent_sched++;
    }
}

void vbl_send_start(int senders, double rate, int window, int duration_ms, int payload)
{
    free(g_senders);
    g_senders = calloc((size_t)senders + 1, sizeof *g_senders);
    g_nsenders = 0;
    for (int i = 0; i < g_opts.conns && g_nsenders < senders; i++) {
        if (g_conns[i].state != C_READY) continue;
        conn *c = &g_conns[i];
        if (!c->ack_ts) c->ack_ts = calloc(ACK_RING, sizeof *c->ack_ts);
        c->sender = 1;
        g_senders[g_nsenders++] = c;
    }
    g_rate = rate, g_window = window, g_payload = payload < 32 ? 32 : payload;
    g_send_start = vbl_now_ns();
    g_send_end = g_send_start + (uint64_t)duration_ms * 1000000ull;
    g_sent_sched = 0;
    g_sending = 1;
    if (rate > 0) {
        uv_timer_init(g_loop, &g_send_timer);
        uv_timer_start(&g_send_timer, on_send_tick, 1, 1);
    } else {
        for (int w = 0; w < window; w++)
            for (int i = 0; i < g_nsenders; i++)
                send_one(g_senders[i], g_send_start);
    }
}

void vbl_conns_close_all(void)
{
    for (int i = 0; i < g_launched; i++)
        conn_close(&g_conns[i], "quit");
}
