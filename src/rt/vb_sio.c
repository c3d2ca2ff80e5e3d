/*
 * Socket.IO server: connections (one per Engine.IO session), packet dispatch
 * with binary reassembly, the connect timeout, namespaces and socket
 * accessors. Connect/accept/refuse and disconnect are in vb_sio_socket.c,
 * events and acknowledgements in vb_sio_ack.c, rooms and emits in
 * vb_sio_room.c.
 */
#include "rt/vb_sio_internal.h"

#include "core/vb_common.h"

#include <stdlib.h>
#include <string.h>

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
    vb_sio_socket *s = vb_sio__find_socket(c, nsp);
    switch (pk->type) {
    case VB_SIO_CONNECT:
        if (pk->data)
            vb_sio__on_connect_pkt(c, nsp, pk->data, pk->data_len);
        else
            vb_sio__on_connect_pkt(c, nsp, "{}", 2);
        break;
    case VB_SIO_DISCONNECT:
        if (s) vb_sio__socket_gone(s, "client namespace disconnect", 1);
        break;
    case VB_SIO_EVENT:
    case VB_SIO_BINARY_EVENT:
        if (s && s->state == VB_SIO_CONNECTED) vb_sio__on_event_pkt(c, s, pk);
        break;
    case VB_SIO_ACK:
    case VB_SIO_BINARY_ACK:
        break; /* the server asks for no acks: nothing waits for one */
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
    c->bin_have = c->bin_need = c->bin_text_len = c->bin_bytes = 0;
}

/* 1 if the packet's namespace has a connected socket on c: attachments are
 * buffered only for those (anything else would be dropped at dispatch). */
static int nsp_connected(vb_sio_conn *c, const vb_sio_packet *pk)
{
    char nsp[VB_SIO_MAX_NSP + 1];
    memcpy(nsp, pk->nsp, pk->nsp_len);
    nsp[pk->nsp_len] = '\0';
    vb_sio_socket *s = vb_sio__find_socket(c, nsp);
    return s && s->state == VB_SIO_CONNECTED && strlen(nsp) == pk->nsp_len;
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
        if (len > c->srv->max_binary - c->bin_bytes) {
            bin_reset(c);
            vb_eio_close(e, "binary payload too large");
            return;
        }
        c->bin_bytes += len;
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
        if (!nsp_connected(c, &pk) || len > c->srv->max_binary) {
            vb_eio_close(e, "parse error"); /* no attachments before a namespace connect */
            return;
        }
        c->bin_bytes = len;
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
void vb_sio__conn_timer_drop(vb_sio_conn *c)
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
        vb_sio__socket_gone(c->sockets, reason, 1);
    bin_reset(c);
    vb_sio__conn_timer_drop(c);
    vb_eio_set_ud(e, NULL);
    free(c);
}

void vb_sio_options_default(vb_sio_options *o)
{
    vb_eio_options_default(&o->eio);
    o->eio.path = "/socket.io/";
    o->connect_timeout_ms = 45000;
    o->max_binary = 0; /* eio.max_payload */
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
    srv->max_binary = o && o->max_binary ? o->max_binary
                      : eo.max_payload   ? eo.max_payload
                                         : d.eio.max_payload;
    static const vb_eio_handlers eh = {eio_on_open, eio_on_message, eio_on_close};
    int rc = vb_eio_server_new(&srv->eio, loop, &eo, &eh, srv);
    if (rc != 0) {
        free(srv);
        return rc;
    }
    *out = srv;
    return 0;
}

static int free_nsp(const char *name, void *val, void *ud)
{
    vb_sio_nsp *nsp = val;
    vb_map_clear(&nsp->rooms);
    free(nsp->name);
    free(nsp);
    return 0;
}

static void eio_freed(void *arg)
{
    vb_sio_server *srv = arg;
    void (*cb)(void *) = srv->free_cb;
    void *cb_arg = srv->free_arg;
    (void)vb_map_each(&srv->nsps, free_nsp, NULL);
    vb_map_clear(&srv->nsps);
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

vb_sio_nsp *vb_sio_nsp_new(vb_sio_server *srv, const char *name, const vb_sio_nsp_handlers *h,
                           void *ud)
{
    if (!name || name[0] != '/' || strlen(name) > VB_SIO_MAX_NSP || vb_map_get(&srv->nsps, name))
        return NULL;
    vb_sio_nsp *nsp = calloc(1, sizeof(*nsp));
    if (!nsp || !(nsp->name = strdup(name)) || vb_map_put(&srv->nsps, name, nsp) != 0) {
        if (nsp) free(nsp->name);
        free(nsp);
        return NULL;
    }
    nsp->srv = srv;
    if (h) nsp->h = *h;
    nsp->ud = ud;
    return nsp;
}

const char *vb_sio_socket_id(const vb_sio_socket *s)
{
    return s->id;
}

vb_eio_socket *vb_sio_socket_eio(const vb_sio_socket *s)
{
    return s->conn ? s->conn->eio : NULL;
}

void *vb_sio_socket_ud(const vb_sio_socket *s)
{
    return s->ud;
}

void vb_sio_socket_set_ud(vb_sio_socket *s, void *ud)
{
    s->ud = ud;
}
