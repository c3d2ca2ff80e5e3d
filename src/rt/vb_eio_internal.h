/* Engine.IO server internals shared by vb_eio.c, vb_eio_session.c,
 * vb_eio_output.c and vb_eio_heartbeat.c. */
#ifndef VB_EIO_INTERNAL_H
#define VB_EIO_INTERNAL_H

#include "core/vb_addr.h"
#include "net/vb_ws.h"
#include "rt/vb_eio.h"
#include "rt/vb_eio_packet.h"
#include "core/vb_map.h"

/* The session state machine. */
enum vb_eio_state {
    VB_EIO_ST_POLLING,   /* long-polling */
    VB_EIO_ST_UPGRADING, /* long-polling, with a probing WebSocket */
    VB_EIO_ST_WEBSOCKET, /* everything over the WebSocket */
    VB_EIO_ST_CLOSED,    /* closed; on_close pending or delivered */
};

/* What the session timer is waiting for. */
enum vb_eio_timer_phase { VB_EIO_T_PING, VB_EIO_T_PONG, VB_EIO_T_NOTIFY };

struct vb_eio_socket {
    vb_eio_server *srv;
    char sid[VB_EIO_SID_LEN + 1];
    vb_addr_ent *addr; /* its count in srv->addrs, given back when freed */
    int state;         /* enum vb_eio_state */
    unsigned refs;     /* 1 until on_close + 1 per attached WebSocket + 1 while in the flush list */
    vb_ws *ws;         /* the WebSocket transport (state WEBSOCKET) */
    vb_ws *probe;      /* the probing WebSocket (state UPGRADING) */
    int probed;        /* the probe answered "3probe" */
    int accepting;     /* inside vb_ws_accept for this session */
    int accept_closed; /* the WebSocket closed during vb_ws_accept */
    vb_http_req *get;  /* held long-polling GET */
    vb_eio_sb out;     /* polling output queue (an encoded payload) */
    uv_timer_t timer;  /* heartbeat and deferred close notification */
    int phase;         /* enum vb_eio_timer_phase */
    int in_flush;      /* linked in the server's flush list */
    int ws_busy;       /* a batch went to the WebSocket; later output waits */
    int ws_mark;       /* one idle pass seen since (see vb_eio__ws_send in vb_eio_output.c) */
    vb_eio_msg **wq;   /* WebSocket output waiting for the next batch */
    uint64_t *wq_tag;  /* loop pass each waiting message was sent in */
    size_t wq_n, wq_cap, wq_bytes;
    vb_eio_socket *flush_next;
    vb_eio_socket *gate_next; /* in the server's gate list (ws_batch_ms) */
    uint64_t gate_due;        /* loop time the gate opens */
    uint64_t last_send_ms;    /* loop time of the last batch (ws_batch_ms) */
    uint64_t last_pass;       /* loop pass of the last batch (ws_batch_ms) */
    int in_gate;              /* linked in the gate list */
    const char *reason;       /* why it closed */
    void *ud;
};

struct vb_eio_server {
    uv_loop_t *loop;
    vb_eio_options o;
    char *path; /* prefix with trailing slash */
    size_t path_len;
    vb_eio_handlers h;
    void *ud;
    vb_map sessions;     /* sid -> open session */
    size_t nlive;        /* allocated sessions (open or closing) */
    vb_addr_count addrs; /* sessions per client address */
    uv_idle_t flush_idle;
    vb_eio_socket *flush_head;
    uv_timer_t gate_timer; /* opens WebSocket batch gates (ws_batch_ms > 0) */
    vb_eio_socket *gate_head, *gate_tail;
    uv_prepare_t pass_counter; /* counts loop passes (unreferenced handle) */
    uint64_t pass;
    int freeing;
    void (*free_cb)(void *arg);
    void *free_arg;
};

/* Session internals (vb_eio_session.c). */
vb_eio_socket *vb_eio__session_new(vb_eio_server *srv, int state);
void vb_eio__session_unref(vb_eio_socket *s);
void vb_eio__close(vb_eio_socket *s, const char *reason, const char *get_pkt);
void vb_eio__poll_get(vb_eio_socket *s, vb_http_req *req);
void vb_eio__poll_post(vb_eio_socket *s, vb_http_req *req);
/* Accepts a WebSocket request for s as its transport (probe 0) or as a probe
 * (probe 1). 0, or VB_EIO if the handshake failed (req is consumed). */
int vb_eio__ws_attach(vb_eio_socket *s, vb_http_req *req, int probe);
/* Accepts a WebSocket and closes it at once (duplicate for a session). */
void vb_eio__ws_reject(vb_http_req *req);
/* Sends an encoded text packet over the WebSocket transport right away and
 * starts the batch gate. 0 or an error (the session is then closed). */
int vb_eio__ws_send_now(vb_eio_socket *s, const char *pkt, size_t len);
void vb_eio__handshake_json(const vb_eio_socket *s, int upgrades, char *out, size_t outlen);
void vb_eio__server_session_freed(vb_eio_server *srv);
/* Writes the polling queue to the held GET, if both exist. */
void vb_eio__flush_poll(vb_eio_socket *s);

/* Output scheduling and WebSocket batching (vb_eio_output.c). */
/* Queues a flush of the polling output at the end of this loop pass. */
void vb_eio__schedule_flush(vb_eio_socket *s);
/* Sends one message over the WebSocket transport now or in a later batch.
 * 0 or an error (VB_ETOOBIG closes the session). */
int vb_eio__ws_send(vb_eio_socket *s, vb_eio_msg *m);
/* Starts the batch gate after output went to the WebSocket. */
void vb_eio__ws_gate(vb_eio_socket *s);
/* Drops the messages waiting for the WebSocket. */
void vb_eio__wq_clear(vb_eio_socket *s);

/* Heartbeat (vb_eio_heartbeat.c). */
/* Starts the heartbeat: the first ping goes out ping_interval from now. */
void vb_eio__session_start(vb_eio_socket *s);
/* Sends a control packet (ping, pong) over the current transport. */
void vb_eio__send_control(vb_eio_socket *s, int type, const char *data, size_t len);
/* The session timer: sends a ping, times out a missing pong, or delivers
 * the deferred on_close (after vb_eio__close), per s->phase. */
void vb_eio__timer_cb(uv_timer_t *t);

#endif
