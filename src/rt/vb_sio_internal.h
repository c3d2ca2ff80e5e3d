/* Socket.IO server internals shared by vb_sio.c and vb_sio_room.c. */
#ifndef VB_SIO_INTERNAL_H
#define VB_SIO_INTERNAL_H

#include "rt/vb_rt_map.h"
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
    vb_rt_map nsps; /* name -> vb_sio_nsp */
    void (*free_cb)(void *arg);
    void *free_arg;
};

struct vb_sio_nsp {
    vb_sio_server *srv;
    char *name;
    vb_sio_nsp_handlers h;
    void *ud;
    vb_rt_map rooms;     /* name -> vb_sio_room */
    vb_sio_socket *head; /* connected sockets */
    size_t count;
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

typedef struct vb_sio_pending_ack {
    struct vb_sio_pending_ack *next;
    int64_t id;
    vb_sio_ack_fn cb;
    void *ud;
} vb_sio_pending_ack;

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
    vb_sio_pending_ack *acks;
    int64_t next_ack_id;
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
/* Sends a raw Socket.IO packet text (no attachments) to a connection. */
int vb_sio__send_text(vb_sio_socket *s, const char *pkt, size_t len);
void vb_sio__socket_unref(vb_sio_socket *s);

#endif
