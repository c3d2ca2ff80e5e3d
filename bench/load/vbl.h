/*
 * vb-load: the benchmark load generator. One process holds up to ~19,000
 * client connections on one libuv loop: Socket.IO chat clients (Engine.IO 4
 * over a WebSocket, hand-built masked frames) or Server-Sent Events readers.
 * The driver (bench/bench.py) starts several of these processes and steers
 * them over stdin/stdout, one JSON object per line on stdout.
 */
#ifndef VBL_H
#define VBL_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

/* Latency histogram: 16 sub-buckets per power of two of microseconds. */
#define VBL_HIST_SUB 16
#define VBL_HIST_BUCKETS (40 * VBL_HIST_SUB)

typedef struct {
    uint64_t count[VBL_HIST_BUCKETS];
    uint64_t n;
    uint64_t max_ns;
    uint64_t sum_us;
} vbl_hist;

void vbl_hist_add(vbl_hist *h, uint64_t ns);
/* Appends the histogram as a JSON object to buf (returns bytes written). */
size_t vbl_hist_json(const vbl_hist *h, char *buf, size_t cap);

/* Monotonic clock in nanoseconds (CLOCK_MONOTONIC: shared by processes). */
uint64_t vbl_now_ns(void);

typedef enum { VBL_CHAT, VBL_SSE } vbl_mode;

/* Most server ports one process spreads its connections over (--ports). */
#define VBL_MAX_PORTS 64

/* Options from the command line. */
typedef struct {
    vbl_mode mode;
    char host[64];
    int port;
    int ports[VBL_MAX_PORTS]; /* --ports: connection i goes to ports[i % nports] */
    int nports;
    int src_base; /* source addresses 127.0.0.<src_base> .. + src_count - 1 */
    int src_count;
    int conns;
    int concurrency; /* handshakes in flight at once */
    char **tokens;
    int ntokens;
    char **channels;
    int nchannels;
    char sse_path[512]; /* path and query of the SSE stream, without token */
    char ws_path[128];
    char nsp[64];
} vbl_opts;

/* Counters of one process, printed by the "report" command. */
typedef struct {
    uint64_t connected, ready, failed, closed;
    uint64_t sent, acked, ack_errors, skipped;
    uint64_t received; /* message:new frames carrying a bench stamp */
    uint64_t other_events;
    uint64_t bytes_in;
    uint64_t sse_events;
    uint64_t first_send_ns, last_recv_ns, last_ack_ns;
    vbl_hist ack_lat;
    vbl_hist deliver_lat;
} vbl_stats;

extern vbl_opts g_opts;

/* The server port of connection idx: --ports round robin, else --port. */
int vbl_port_of(int idx);
extern vbl_stats g_stats;
extern uv_loop_t *g_loop;

/* Connection pool (vbl_conn.c). */
void vbl_conns_start(void);
/* Starts sending: senders = the first n ready chat clients of this process.
 * rate > 0: messages per second in total over this process's senders;
 * rate == 0: closed loop, each sender keeps window sends awaiting their ack. */
void vbl_send_start(int senders, double rate, int window, int duration_ms, int payload);
void vbl_conns_close_all(void);
int vbl_conns_live(void);

/* SSE value tracking (vbl_sse.c): arrivals of stats with totalTasks >= v. */
void vbl_sse_track(long base);
size_t vbl_sse_report(char *buf, size_t cap);
void vbl_sse_on_event(void *conn_slot, const char *data, size_t len, uint64_t now);

/* Control (vbl_main.c): prints one JSON line on stdout. */
void vbl_emit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Called by the pool when every connection has finished its handshake. */
void vbl_on_all_ready(void);

#endif
