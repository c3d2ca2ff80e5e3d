/*
 * Socket.IO server: connections (one per Engine.IO session), namespace
 * sockets, packet dispatch with binary reassembly, connect/accept/refuse and
 * acknowledgements (rooms and emits are in vb_sio_room.c).
 */
#include "rt/vb_sio_internal.h"

#include "core/vb_common.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One Engine.IO session as seen by Socket.IO. */
struct vb_sio_conn {
    vb_sio_server *srv;
    vb_eio_socket *eio; /* NULL once closed */
    uv_timer_t *timer;  /* connect timeout; freed at the first accept */
    vb_sio_socket *sockets;
    char *bin_text; /* a binary packet waiting for its attachments */
    size_t bin_text_len, bin_need, bin_have;
    vb_sio_bin *bins;
};

static void conn_timer_drop(vb_sio_conn *c);

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

/* Sends "4" + pkt to the socket's connection. */
int vb_sio__send_text(vb_sio_socket *s, const char *pkt, size_t len)
{
    if (!s->conn || !s->conn->eio) return VB_EIO;
    return vb_eio_send(s->conn->eio, 0, pkt, len);
}

/* Removes s from its connection and namespace, leaves its rooms, fails its
 * pending acks and runs on_disconnect (unless refused); drops the
 * connection's reference. */
static void socket_gone(vb_sio_socket *s, const char *reason, int notify)
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
        nsp->count--;
    }
    if (s->conn) {
        for (vb_sio_socket **pp = &s->conn->sockets; *pp; pp = &(*pp)->conn_next) {
            if (*pp == s) {
                *pp = s->conn_next;
                break;
            }
        }
    }
    while (s->acks) {
        vb_sio_pending_ack *a = s->acks;
        s->acks = a->next;
        a->cb(s, NULL, 0, NULL, 0, a->ud);
        free(a);
    }
    if (notify && s->nsp->h.on_disconnect) s->nsp->h.on_disconnect(s, reason, s->nsp->ud);
    s->conn = NULL;
    vb_sio__socket_unref(s);
}

static vb_sio_socket *find_socket(vb_sio_conn *c, const char *nsp)
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

int vb_sio_accept(vb_sio_socket *s, void *ud)
{
    if (s->state != VB_SIO_PENDING) return VB_ECONFLICT;
    if (!s->conn || !s->conn->eio) return VB_EIO;
    char data[64];
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
    nsp->count++;
    conn_timer_drop(s->conn);
    return send_packet(s->conn, VB_SIO_CONNECT, nsp->name, data);
}

int vb_sio_refuse(vb_sio_socket *s, const char *data_json)
{
    if (s->state != VB_SIO_PENDING) return VB_ECONFLICT;
    if (s->conn)
        send_packet(s->conn, VB_SIO_CONNECT_ERROR, s->nsp->name,
                    data_json ? data_json : "{\"message\":\"Not authorized\"}");
    socket_gone(s, "refused", 0);
    return 0;
}

/* A CONNECT for nsp name with auth (raw JSON object). The copy of auth is
 * kept while the socket is pending (for asynchronous checks) and freed once
 * it is accepted or refused. */
static void on_connect_pkt(vb_sio_conn *c, const char *name, const char *auth, size_t auth_len)
{
    vb_sio_nsp *nsp = vb_rt_map_get(&c->srv->nsps, name);
    if (!nsp) {
        send_packet(c, VB_SIO_CONNECT_ERROR, name, "{\"message\":\"Invalid namespace\"}");
        return;
    }
    if (find_socket(c, name)) return; /* already connected or pending */
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

/* An EVENT / BINARY_EVENT for a connected socket. */
static void on_event_pkt(vb_sio_conn *c, vb_sio_socket *s, const vb_sio_packet *pk)
{
    char *name = NULL;
    const char *rest;
    size_t rest_len;
    int rc = vb_sio_event_split(pk->data, pk->data_len, &name, &rest, &rest_len);
    if (rc != 0) {
        vb_eio_close(c->eio, "parse error");
        return;
    }
    vb_eio_sb args = {0};
    vb_sio_ack *ack = NULL;
    if (vb_sio_args_encode(&args, NULL, rest, rest_len) != 0 ||
        (pk->id >= 0 && !(ack = malloc(sizeof(*ack))))) {
        vb_eio_close(c->eio, "out of memory");
        goto done;
    }
    if (ack) {
        ack->s = s;
        ack->id = pk->id;
        s->refs++;
    }
    if (s->nsp->h.on_event)
        s->nsp->h.on_event(s, name, args.p, args.len, c->bins, c->bin_have, ack, s->nsp->ud);
    else if (ack)
        vb_sio_ack_free(ack);
done:
    vb_eio_sb_free(&args);
    free(name);
}

/* An ACK / BINARY_ACK answering one of our emits. */
static void on_ack_pkt(vb_sio_conn *c, vb_sio_socket *s, const vb_sio_packet *pk)
{
    for (vb_sio_pending_ack **pp = &s->acks; *pp; pp = &(*pp)->next) {
        if ((*pp)->id == pk->id) {
            vb_sio_pending_ack *a = *pp;
            *pp = a->next;
            a->cb(s, pk->data, pk->data_len, c->bins, c->bin_have, a->ud);
            free(a);
            return;
        }
    }
}

/* Dispatches one complete packet (attachments, if any, in c->bins). */
static void dispatch(vb_sio_conn *c, const vb_sio_packet *pk)
{
    char nsp[VB_SIO_MAX_NSP + 1];
    memcpy(nsp, pk->nsp, pk->nsp_len);
    nsp[pk->nsp_len] = '\0';
    if (strlen(nsp) != pk->nsp_len) {
        vb_eio_close(c->eio, "parse error");
        return;
    }
    vb_sio_socket *s = find_socket(c, nsp);
    switch (pk->type) {
    case VB_SIO_CONNECT:
        if (pk->data)
            on_connect_pkt(c, nsp, pk->data, pk->data_len);
        else
            on_connect_pkt(c, nsp, "{}", 2);
        break;
    case VB_SIO_DISCONNECT:
        if (s) socket_gone(s, "client namespace disconnect", 1);
        break;
    case VB_SIO_EVENT:
    case VB_SIO_BINARY_EVENT:
        if (s && s->state == VB_SIO_CONNECTED) on_event_pkt(c, s, pk);
        break;
    case VB_SIO_ACK:
    case VB_SIO_BINARY_ACK:
        if (s && s->state == VB_SIO_CONNECTED) on_ack_pkt(c, s, pk);
        break;
    default:
        vb_eio_close(c->eio, "parse error");
        break;
    }
}

/* Frees the attachments of a reassembled packet. */
static void bin_reset(vb_sio_conn *c)
{
    for (size_t i = 0; i < c->bin_have; i++)
        free((void *)c->bins[i].data);
    free(c->bins);
    free(c->bin_text);
    c->bins = NULL;
    c->bin_text = NULL;
    c->bin_have = c->bin_need = c->bin_text_len = 0;
}

static void eio_on_message(vb_eio_socket *e, int binary, const char *data, size_t len, void *ud)
{
    vb_sio_conn *c = vb_eio_get_ud(e);
    vb_sio_packet pk;
    if (binary) {
        if (!c->bin_text) {
            vb_eio_close(e, "parse error"); /* binary data with no packet waiting */
            return;
        }
        void *copy = malloc(len ? len : 1);
        if (!copy) {
            vb_eio_close(e, "out of memory");
            return;
        }
        if (len) memcpy(copy, data, len);
        c->bins[c->bin_have++] = (vb_sio_bin){copy, len};
        if (c->bin_have < c->bin_need) return;
        vb_sio_packet_decode(c->bin_text, c->bin_text_len, &pk); /* validated before */
        dispatch(c, &pk);
        bin_reset(c);
        return;
    }
    if (c->bin_text || vb_sio_packet_decode(data, len, &pk) != 0) {
        vb_eio_close(e, "parse error");
        return;
    }
    if (pk.attachments) {
        c->bin_text = malloc(len + 1);
        c->bins = calloc(pk.attachments, sizeof(*c->bins));
        if (!c->bin_text || !c->bins) {
            bin_reset(c);
            vb_eio_close(e, "out of memory");
            return;
        }
        memcpy(c->bin_text, data, len);
        c->bin_text[len] = '\0';
        c->bin_text_len = len;
        c->bin_need = pk.attachments;
        return;
    }
    dispatch(c, &pk);
}

static void timer_free_cb(uv_handle_t *h)
{
    free(h);
}

/* Closes and frees the connect-timeout timer (once a namespace is joined it
 * has no more work; an idle client keeps no timer). */
static void conn_timer_drop(vb_sio_conn *c)
{
    if (!c->timer) return;
    uv_close((uv_handle_t *)c->timer, timer_free_cb);
    c->timer = NULL;
}

static void connect_timeout_cb(uv_timer_t *t)
{
    vb_sio_conn *c = t->data;
    for (vb_sio_socket *s = c->sockets; s; s = s->conn_next)
        if (s->state == VB_SIO_CONNECTED) return;
    if (c->eio) vb_eio_close(c->eio, "connect timeout");
}

static void eio_on_open(vb_eio_socket *e, void *ud)
{
    vb_sio_server *srv = ud;
    vb_sio_conn *c = calloc(1, sizeof(*c));
    if (!c) {
        vb_eio_close(e, "out of memory");
        return;
    }
    c->srv = srv;
    c->eio = e;
    c->timer = malloc(sizeof *c->timer);
    if (!c->timer) {
        free(c);
        vb_eio_close(e, "out of memory");
        return;
    }
    uv_timer_init(srv->loop, c->timer);
    c->timer->data = c;
    uv_timer_start(c->timer, connect_timeout_cb, srv->connect_timeout_ms, 0);
    vb_eio_set_ud(e, c);
}

static void eio_on_close(vb_eio_socket *e, const char *reason, void *ud)
{
    vb_sio_conn *c = vb_eio_get_ud(e);
    if (!c) return;
    c->eio = NULL;
    while (c->sockets)
        socket_gone(c->sockets, reason, 1);
    bin_reset(c);
    conn_timer_drop(c);
    vb_eio_set_ud(e, NULL);
    free(c);
}

void vb_sio_options_default(vb_sio_options *o)
{
    vb_eio_options_default(&o->eio);
    o->eio.path = "/socket.io/";
    o->connect_timeout_ms = 45000;
}

int vb_sio_server_new(vb_sio_server **out, uv_loop_t *loop, const vb_sio_options *o)
{
    vb_sio_options d;
    vb_sio_options_default(&d);
    vb_sio_server *srv = calloc(1, sizeof(*srv));
    if (!srv) return VB_ENOMEM;
    srv->loop = loop;
    srv->connect_timeout_ms =
        o && o->connect_timeout_ms ? o->connect_timeout_ms : d.connect_timeout_ms;
    vb_eio_options eo = o ? o->eio : d.eio;
    if (!eo.path) eo.path = d.eio.path;
    static const vb_eio_handlers eh = {eio_on_open, eio_on_message, eio_on_close};
    int rc = vb_eio_server_new(&srv->eio, loop, &eo, &eh, srv);
    if (rc != 0) {
        free(srv);
        return rc;
    }
    *out = srv;
    return 0;
}

static void free_nsp(void *val, void *ud)
{
    vb_sio_nsp *nsp = val;
    vb_rt_map_clear(&nsp->rooms);
    free(nsp->name);
    free(nsp);
}

static void eio_freed(void *arg)
{
    vb_sio_server *srv = arg;
    void (*cb)(void *) = srv->free_cb;
    void *cb_arg = srv->free_arg;
    vb_rt_map_each(&srv->nsps, free_nsp, NULL);
    vb_rt_map_clear(&srv->nsps);
    free(srv);
    if (cb) cb(cb_arg);
}

void vb_sio_server_free(vb_sio_server *srv, void (*cb)(void *arg), void *arg)
{
    srv->free_cb = cb;
    srv->free_arg = arg;
    vb_eio_server_free(srv->eio, eio_freed, srv);
}

int vb_sio_handle(vb_sio_server *srv, vb_http_req *req)
{
    return vb_eio_handle(srv->eio, req);
}

vb_eio_server *vb_sio_eio(vb_sio_server *srv)
{
    return srv->eio;
}

vb_sio_nsp *vb_sio_nsp_new(vb_sio_server *srv, const char *name, const vb_sio_nsp_handlers *h,
                           void *ud)
{
    if (!name || name[0] != '/' || strlen(name) > VB_SIO_MAX_NSP || vb_rt_map_get(&srv->nsps, name))
        return NULL;
    vb_sio_nsp *nsp = calloc(1, sizeof(*nsp));
    if (!nsp || !(nsp->name = strdup(name)) || vb_rt_map_put(&srv->nsps, name, nsp) != 0) {
        if (nsp) free(nsp->name);
        free(nsp);
        return NULL;
    }
    nsp->srv = srv;
    if (h) nsp->h = *h;
    nsp->ud = ud;
    return nsp;
}

vb_sio_nsp *vb_sio_nsp_get(vb_sio_server *srv, const char *name)
{
    return vb_rt_map_get(&srv->nsps, name);
}

const char *vb_sio_nsp_name(const vb_sio_nsp *nsp)
{
    return nsp->name;
}

size_t vb_sio_nsp_count(const vb_sio_nsp *nsp)
{
    return nsp->count;
}

const char *vb_sio_socket_auth(const vb_sio_socket *s)
{
    return s->auth;
}

const char *vb_sio_socket_id(const vb_sio_socket *s)
{
    return s->id;
}

vb_sio_nsp *vb_sio_socket_nsp(const vb_sio_socket *s)
{
    return s->nsp;
}

vb_eio_socket *vb_sio_socket_eio(const vb_sio_socket *s)
{
    return s->conn ? s->conn->eio : NULL;
}

int vb_sio_socket_connected(const vb_sio_socket *s)
{
    return s->state == VB_SIO_CONNECTED && s->conn && s->conn->eio;
}

void *vb_sio_socket_ud(const vb_sio_socket *s)
{
    return s->ud;
}

void vb_sio_socket_set_ud(vb_sio_socket *s, void *ud)
{
    s->ud = ud;
}

void vb_sio_disconnect(vb_sio_socket *s)
{
    if (s->state == VB_SIO_GONE) return;
    if (s->conn) send_packet(s->conn, VB_SIO_DISCONNECT, s->nsp->name, NULL);
    socket_gone(s, "server namespace disconnect", 1);
}

void vb_sio_close_conn(vb_sio_socket *s)
{
    if (s->conn && s->conn->eio) vb_eio_close(s->conn->eio, "server close");
}

int vb_sio_emit_ack(vb_sio_socket *s, const char *event, const char *args, size_t args_len,
                    vb_sio_ack_fn cb, void *ud)
{
    if (s->state != VB_SIO_CONNECTED) return VB_EIO;
    vb_sio_pending_ack *a = calloc(1, sizeof(*a));
    if (!a) return VB_ENOMEM;
    vb_sio_out *o =
        vb_sio__out_build(s->nsp, VB_SIO_EVENT, s->next_ack_id, event, args, args_len, NULL, 0);
    if (!o) {
        free(a);
        return VB_EINVAL;
    }
    int rc = vb_sio_out_send(o, s);
    vb_sio_out_unref(o);
    if (rc != 0) {
        free(a);
        return rc;
    }
    a->id = s->next_ack_id++;
    a->cb = cb;
    a->ud = ud;
    a->next = s->acks;
    s->acks = a;
    return 0;
}

int vb_sio_ack_send_bin(vb_sio_ack *ack, const char *args, size_t args_len, const vb_sio_bin *bins,
                        size_t nbins)
{
    vb_sio_socket *s = ack->s;
    int rc = VB_EIO;
    if (s->state == VB_SIO_CONNECTED) {
        vb_sio_out *o =
            vb_sio__out_build(s->nsp, VB_SIO_ACK, ack->id, NULL, args, args_len, bins, nbins);
        rc = o ? vb_sio_out_send(o, s) : VB_EINVAL;
        vb_sio_out_unref(o);
    }
    vb_sio_ack_free(ack);
    return rc;
}

int vb_sio_ack_send(vb_sio_ack *ack, const char *args, size_t args_len)
{
    return vb_sio_ack_send_bin(ack, args, args_len, NULL, 0);
}

void vb_sio_ack_free(vb_sio_ack *ack)
{
    if (!ack) return;
    vb_sio__socket_unref(ack->s);
    free(ack);
}

vb_sio_socket *vb_sio_ack_socket(const vb_sio_ack *ack)
{
    return ack->s;
}
