/* Socket.IO rooms, shared outgoing packets, emits and broadcasts. */
#include "rt/vb_sio_internal.h"

#include "core/vb_common.h"

#include <stdlib.h>
#include <string.h>

vb_sio_out *vb_sio__out_build(vb_sio_nsp *nsp, int type, int64_t id, const char *event,
                              const char *args, size_t args_len, const vb_sio_bin *bins,
                              size_t nbins)
{
    const char *inner = "";
    size_t ilen = 0;
    if (args && vb_sio_array_inner(args, args_len, &inner, &ilen) != 0) return NULL;
    if (nbins > VB_SIO_MAX_ATTACHMENTS) return NULL;
    if (nbins) type = type == VB_SIO_EVENT ? VB_SIO_BINARY_EVENT : VB_SIO_BINARY_ACK;
    vb_sio_out *o = calloc(1, sizeof(*o) + (nbins + 1) * sizeof(o->msgs[0]));
    if (!o) return NULL;
    o->refs = 1;
    o->nsp = nsp;
    vb_eio_sb sb = {0};
    if (vb_eio_sb_append(&sb, "4", 1) != 0 ||
        vb_sio_packet_encode(&sb, type, nsp->name, id, nbins, NULL, 0) != 0 ||
        vb_sio_args_encode(&sb, event, inner, ilen) != 0 ||
        !(o->msgs[0] = vb_eio_msg_new_packet(sb.p, sb.len)))
        goto fail;
    o->n = 1;
    for (size_t i = 0; i < nbins; i++) {
        if (!(o->msgs[i + 1] = vb_eio_msg_new(1, bins[i].data, bins[i].len))) goto fail;
        o->n++;
    }
    vb_eio_sb_free(&sb);
    return o;
fail:
    vb_eio_sb_free(&sb);
    vb_sio_out_unref(o);
    return NULL;
}

vb_sio_out *vb_sio_out_event(vb_sio_nsp *nsp, const char *event, const char *args, size_t args_len,
                             const vb_sio_bin *bins, size_t nbins)
{
    return vb_sio__out_build(nsp, VB_SIO_EVENT, -1, event, args, args_len, bins, nbins);
}

void vb_sio_out_unref(vb_sio_out *o)
{
    if (!o || --o->refs) return;
    for (size_t i = 0; i < o->n; i++)
        vb_eio_msg_unref(o->msgs[i]);
    free(o);
}

vb_eio_msg *vb_sio_out_msg(const vb_sio_out *o)
{
    return o->msgs[0];
}

int vb_sio_out_send(vb_sio_out *o, vb_sio_socket *s)
{
    vb_eio_socket *e = vb_sio_socket_eio(s);
    if (!e || s->state != VB_SIO_CONNECTED) return VB_EIO;
    for (size_t i = 0; i < o->n; i++) {
        int rc = vb_eio_send_msg(e, o->msgs[i]);
        if (rc != 0) return rc;
    }
    return 0;
}

size_t vb_sio_out_broadcast(vb_sio_out *o, const char *room, const vb_sio_socket *except)
{
    size_t n = 0;
    if (!room) {
        for (vb_sio_socket *s = o->nsp->head, *next; s; s = next) {
            next = s->nsp_next;
            if (s != except && vb_sio_out_send(o, s) == 0) n++;
        }
        return n;
    }
    vb_sio_room *r = vb_map_get(&o->nsp->rooms, room);
    if (!r) return 0;
    for (vb_sio_member *m = r->head, *next; m; m = next) {
        next = m->r_next;
        if (m->s != except && vb_sio_out_send(o, m->s) == 0) n++;
    }
    return n;
}

long vb_sio_broadcast(vb_sio_nsp *nsp, const char *room, const vb_sio_socket *except,
                      const char *event, const char *args, size_t args_len)
{
    vb_sio_out *o = vb_sio_out_event(nsp, event, args, args_len, NULL, 0);
    if (!o) return VB_ENOMEM;
    long n = (long)vb_sio_out_broadcast(o, room, except);
    vb_sio_out_unref(o);
    return n;
}

int vb_sio_emit_bin(vb_sio_socket *s, const char *event, const char *args, size_t args_len,
                    const vb_sio_bin *bins, size_t nbins)
{
    if (s->state != VB_SIO_CONNECTED) return VB_EIO;
    vb_sio_out *o = vb_sio_out_event(s->nsp, event, args, args_len, bins, nbins);
    if (!o) return VB_EINVAL;
    int rc = vb_sio_out_send(o, s);
    vb_sio_out_unref(o);
    return rc;
}

int vb_sio_emit(vb_sio_socket *s, const char *event, const char *args, size_t args_len)
{
    return vb_sio_emit_bin(s, event, args, args_len, NULL, 0);
}

int vb_sio_join(vb_sio_socket *s, const char *room)
{
    if (s->state != VB_SIO_CONNECTED) return VB_EIO;
    if (vb_sio_in_room(s, room)) return 0;
    vb_sio_room *r = vb_map_get(&s->nsp->rooms, room);
    if (!r) {
        size_t len = strlen(room);
        if (!(r = calloc(1, sizeof(*r) + len + 1))) return VB_ENOMEM;
        memcpy(r->name, room, len + 1);
        r->nsp = s->nsp;
        if (vb_map_put(&s->nsp->rooms, room, r) != 0) {
            free(r);
            return VB_ENOMEM;
        }
    }
    vb_sio_member *m = calloc(1, sizeof(*m));
    if (!m) {
        if (!r->n) free(vb_map_del(&s->nsp->rooms, room));
        return VB_ENOMEM;
    }
    m->room = r;
    m->s = s;
    m->r_next = r->head;
    if (r->head) r->head->r_prev = m;
    r->head = m;
    r->n++;
    m->s_next = s->rooms;
    s->rooms = m;
    return 0;
}

/* Unlinks m from its room (freeing an emptied room) and frees m. */
static void member_drop(vb_sio_member *m)
{
    vb_sio_room *r = m->room;
    if (m->r_prev)
        m->r_prev->r_next = m->r_next;
    else
        r->head = m->r_next;
    if (m->r_next) m->r_next->r_prev = m->r_prev;
    if (--r->n == 0) free(vb_map_del(&r->nsp->rooms, r->name));
    free(m);
}

void vb_sio_leave(vb_sio_socket *s, const char *room)
{
    for (vb_sio_member **pp = &s->rooms; *pp; pp = &(*pp)->s_next) {
        if (strcmp((*pp)->room->name, room) == 0) {
            vb_sio_member *m = *pp;
            *pp = m->s_next;
            member_drop(m);
            return;
        }
    }
}

void vb_sio_leave_all(vb_sio_socket *s)
{
    while (s->rooms) {
        vb_sio_member *m = s->rooms;
        s->rooms = m->s_next;
        member_drop(m);
    }
}

int vb_sio_in_room(const vb_sio_socket *s, const char *room)
{
    for (const vb_sio_member *m = s->rooms; m; m = m->s_next)
        if (strcmp(m->room->name, room) == 0) return 1;
    return 0;
}

size_t vb_sio_room_each(vb_sio_nsp *nsp, const char *room, int (*fn)(vb_sio_socket *s, void *ud),
                        void *ud)
{
    size_t n = 0;
    if (!room) {
        for (vb_sio_socket *s = nsp->head, *next; s; s = next) {
            next = s->nsp_next;
            n++;
            if (fn(s, ud)) break;
        }
        return n;
    }
    vb_sio_room *r = vb_map_get(&nsp->rooms, room);
    for (vb_sio_member *m = r ? r->head : NULL, *next; m; m = next) {
        next = m->r_next;
        n++;
        if (fn(m->s, ud)) break;
    }
    return n;
}
