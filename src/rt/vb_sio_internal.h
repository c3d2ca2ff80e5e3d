/* Socket.IO server internals shared by vb_sio.c, vb_sio_socket.c,
 * vb_sio_ack.c and vb_sio_room.c. */
#ifndef VB_SIO_INTERNAL_H
#define VB_SIO_INTERNAL_H

#include "core/vb_map.h"
#include "rt/vb_sio.h"
#include "rt/vb_sio_packet.h"

enum vb_sio_sock_state { VB_SIO_PENDING, VB_SIO_CONNECTED, VB_SIO_GONE };

typedef struct vb_sio_conn vb_sio_conn;
typedef struct vb_sio_member vb_sio_member;
typedef struct vb_sio_room vb_sio_room;

struct vb_sio_server {
    vb_eio_server *eio;
    uv_loop_t *loop;
    unsigned connect_timeout_ms;
    size_t max_binary; /* see vb_sio_options */
    vb_map nsps;       /* name -> vb_sio_nsp */
    void (*free_cb)(void *arg);
    void *free_arg;
};

struct vb_sio_nsp {
    vb_sio_server *srv;
    char *name;
    vb_sio_nsp_handlers h;
    void *ud;
    vb_map rooms;        /* name -> vb_sio_room */
    vb_sio_socket *head; /* connected sockets */
};

struct vb_sio_room {
    vb_sio_nsp *nsp;
    vb_sio_member *head;
    size_t n;
    char name[];
};

/* A socket's membership of a room: on the room's list and the socket's. */
struct vb_sio_member {
    vb_sio_room *room;
    vb_sio_socket *s;
    vb_sio_member *r_prev, *r_next;
    vb_sio_member *s_next;
};

struct vb_sio_socket {
    unsigned refs;     /* 1 while attached to its connection + 1 per ack handle */
    vb_sio_conn *conn; /* NULL once gone */
    vb_sio_nsp *nsp;
    char id[VB_SIO_ID_LEN + 1];
    int state;      /* enum vb_sio_sock_state */
    int in_connect; /* inside the namespace's on_connect for this socket */
    char *auth;     /* the CONNECT payload while pending; NULL once accepted or refused */
    void *ud;
    vb_sio_socket *conn_next;
    vb_sio_socket *nsp_prev, *nsp_next;
    vb_sio_member *rooms;
};

/* One Engine.IO session as seen by Socket.IO. */
struct vb_sio_conn {
    vb_sio_server *srv;
    vb_eio_socket *eio; /* NULL once closed */
    uv_timer_t *timer;  /* connect timeout; freed at the first accept */
    vb_sio_socket *sockets;
    char *bin_text; /* a binary packet waiting for its attachments */
    size_t bin_text_len, bin_need, bin_have;
    size_t bin_bytes; /* its text and attachments so far, at most srv->max_binary */
    vb_sio_bin *bins;
};

struct vb_sio_ack {
    vb_sio_socket *s;
    int64_t id;
};

struct vb_sio_out {
    unsigned refs;
    vb_sio_nsp *nsp;
    size_t n; /* messages: the packet, then attachments */
    vb_eio_msg *msgs[];
};

/* Builds a shared packet: type EVENT/ACK (binary variants when nbins > 0),
 * ack id (or -1), event name (NULL for acks), args (JSON array or NULL). */
vb_sio_out *vb_sio__out_build(vb_sio_nsp *nsp, int type, int64_t id, const char *event,
                              const char *args, size_t args_len, const vb_sio_bin *bins,
                              size_t nbins);
void vb_sio__socket_unref(vb_sio_socket *s);

/* Connections (vb_sio.c). */
/* Closes and frees the connect-timeout timer (once a namespace is joined it
 * has no more work; an idle client keeps no timer). */
void vb_sio__conn_timer_drop(vb_sio_conn *c);

/* Namespace sockets (vb_sio_socket.c). */
/* Removes s from its connection and namespace, leaves its rooms and runs
 * on_disconnect (unless refused); drops the connection's reference. */
void vb_sio__socket_gone(vb_sio_socket *s, const char *reason, int notify);
/* The socket of connection c for namespace nsp (pending or connected), or
 * NULL. */
vb_sio_socket *vb_sio__find_socket(vb_sio_conn *c, const char *nsp);
/* A CONNECT for nsp name with auth (raw JSON object). */
void vb_sio__on_connect_pkt(vb_sio_conn *c, const char *name, const char *auth, size_t auth_len);

/* Events and acknowledgements (vb_sio_ack.c). */
/* An EVENT / BINARY_EVENT for a connected socket. */
void vb_sio__on_event_pkt(vb_sio_conn *c, vb_sio_socket *s, const vb_sio_packet *pk);

#endif
