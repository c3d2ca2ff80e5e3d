/*
 * Socket.IO events and acknowledgements: incoming EVENT packets and
 * answering the client's acks. The server asks for no acks, so an ACK
 * packet from the client is ignored.
 */
#include "rt/vb_sio_internal.h"

#include "core/vb_common.h"

#include <stdlib.h>

/* An EVENT / BINARY_EVENT for a connected socket. */
void vb_sio__on_event_pkt(vb_sio_conn *c, vb_sio_socket *s, const vb_sio_packet *pk)
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
