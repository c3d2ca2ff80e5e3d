/*
 * Socket.IO namespace sockets: connecting (CONNECT packets, accept and
 * refuse), disconnecting and removal.
 */
#include "rt/vb_sio_internal.h"

#include "core/vb_common.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char id_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void new_id(char out[VB_SIO_ID_LEN + 1])
{
    unsigned char r[VB_SIO_ID_LEN];
    randombytes_buf(r, sizeof(r));
    for (int i = 0; i < VB_SIO_ID_LEN; i++)
        out[i] = id_alphabet[r[i] & 63];
    out[VB_SIO_ID_LEN] = '\0';
}

void vb_sio__socket_unref(vb_sio_socket *s)
{
    if (--s->refs) return;
    free(s->auth);
    free(s);
}

/* Removes s from its connection and namespace, leaves its rooms and runs
 * on_disconnect (unless refused); drops the connection's reference. */
void vb_sio__socket_gone(vb_sio_socket *s, const char *reason, int notify)
{
    if (s->state == VB_SIO_GONE) return;
    int was = s->state;
    s->state = VB_SIO_GONE;
    vb_sio_leave_all(s);
    if (was == VB_SIO_CONNECTED) {
        vb_sio_nsp *nsp = s->nsp;
        if (s->nsp_prev)
            s->nsp_prev->nsp_next = s->nsp_next;
        else
            nsp->head = s->nsp_next;
        if (s->nsp_next) s->nsp_next->nsp_prev = s->nsp_prev;
    }
    if (s->conn) {
        for (vb_sio_socket **pp = &s->conn->sockets; *pp; pp = &(*pp)->conn_next) {
            if (*pp == s) {
                *pp = s->conn_next;
                break;
            }
        }
    }
    if (notify && s->nsp->h.on_disconnect) s->nsp->h.on_disconnect(s, reason, s->nsp->ud);
    s->conn = NULL;
    vb_sio__socket_unref(s);
}

vb_sio_socket *vb_sio__find_socket(vb_sio_conn *c, const char *nsp)
{
    for (vb_sio_socket *s = c->sockets; s; s = s->conn_next)
        if (strcmp(s->nsp->name, nsp) == 0) return s;
    return NULL;
}

/* Sends a packet with a JSON payload (CONNECT reply, CONNECT_ERROR, ...). */
static int send_packet(vb_sio_conn *c, int type, const char *nsp, const char *data)
{
    if (!c->eio) return VB_EIO;
    vb_eio_sb sb = {0};
    int rc = vb_sio_packet_encode(&sb, type, nsp, -1, 0, data, data ? strlen(data) : 0);
    if (rc == 0) rc = vb_eio_send(c->eio, 0, sb.p, sb.len);
    vb_eio_sb_free(&sb);
    return rc;
}

/* 1 if s is 1..max characters of the id alphabet (safe inside JSON). */
static int token_ok(const char *s, size_t max)
{
    size_t n = strlen(s);
    return n > 0 && n <= max && strspn(s, id_alphabet) == n;
}

int vb_sio_accept(vb_sio_socket *s, void *ud)
{
    return vb_sio_accept_session(s, ud, NULL, NULL);
}

int vb_sio_accept_session(vb_sio_socket *s, void *ud, const char *sid, const char *pid)
{
    if (s->state != VB_SIO_PENDING) return VB_ECONFLICT;
    if ((sid && !token_ok(sid, VB_SIO_ID_LEN)) || (pid && !token_ok(pid, VB_SIO_PID_MAX)))
        return VB_EINVAL;
    if (!s->conn || !s->conn->eio) return VB_EIO;
    if (sid) snprintf(s->id, sizeof s->id, "%s", sid);
    char data[64 + VB_SIO_PID_MAX];
    if (pid)
        snprintf(data, sizeof(data), "{\"sid\":\"%s\",\"pid\":\"%s\"}", s->id, pid);
    else
        snprintf(data, sizeof(data), "{\"sid\":\"%s\"}", s->id);
    s->state = VB_SIO_CONNECTED;
    s->ud = ud;
    if (!s->in_connect) { /* the CONNECT payload is not needed any more */
        free(s->auth);
        s->auth = NULL;
    }
    vb_sio_nsp *nsp = s->nsp;
    s->nsp_prev = NULL;
    s->nsp_next = nsp->head;
    if (nsp->head) nsp->head->nsp_prev = s;
    nsp->head = s;
    vb_sio__conn_timer_drop(s->conn);
    return send_packet(s->conn, VB_SIO_CONNECT, nsp->name, data);
}

int vb_sio_refuse(vb_sio_socket *s, const char *data_json)
{
    if (s->state != VB_SIO_PENDING) return VB_ECONFLICT;
    if (s->conn)
        send_packet(s->conn, VB_SIO_CONNECT_ERROR, s->nsp->name,
                    data_json ? data_json : "{\"message\":\"Not authorized\"}");
    vb_sio__socket_gone(s, "refused", 0);
    return 0;
}

/* A CONNECT for nsp name with auth (raw JSON object). The copy of auth is
 * kept while the socket is pending (for asynchronous checks) and freed once
 * it is accepted or refused. */
void vb_sio__on_connect_pkt(vb_sio_conn *c, const char *name, const char *auth, size_t auth_len)
{
    vb_sio_nsp *nsp = vb_map_get(&c->srv->nsps, name);
    if (!nsp) {
        send_packet(c, VB_SIO_CONNECT_ERROR, name, "{\"message\":\"Invalid namespace\"}");
        return;
    }
    if (vb_sio__find_socket(c, name)) return; /* already connected or pending */
    vb_sio_socket *s = calloc(1, sizeof(*s));
    if (!s || !(s->auth = strndup(auth, auth_len))) {
        free(s);
        vb_eio_close(c->eio, "out of memory");
        return;
    }
    s->refs = 2; /* the connection's, and ours for the call below */
    s->conn = c;
    s->nsp = nsp;
    s->state = VB_SIO_PENDING;
    new_id(s->id);
    s->conn_next = c->sockets;
    c->sockets = s;
    s->in_connect = 1; /* auth stays valid during the call, even if accepted in it */
    if (nsp->h.on_connect)
        nsp->h.on_connect(s, s->auth, auth_len, nsp->ud);
    else
        vb_sio_accept(s, NULL);
    s->in_connect = 0;
    if (s->state != VB_SIO_PENDING) {
        free(s->auth);
        s->auth = NULL;
    }
    vb_sio__socket_unref(s);
}

void vb_sio_disconnect(vb_sio_socket *s)
{
    if (s->state == VB_SIO_GONE) return;
    if (s->conn) send_packet(s->conn, VB_SIO_DISCONNECT, s->nsp->name, NULL);
    vb_sio__socket_gone(s, "server namespace disconnect", 1);
}
