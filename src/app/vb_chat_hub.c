/*
 * The chat gateway's hub-event fan-out: how the events of the hub topics it
 * follows become room broadcasts (presence, members added and removed,
 * channel removals, message broadcasts).
 */
#include "app/vb_chat_args.h"
#include "app/vb_chat_internal.h"
#include "hub/vb_hub.h"
#include "hub/vb_presence.h"

#include <stdio.h>
#include <string.h>

typedef struct presence_fanout {
    const char *user_id, *wid, *event;
    vb_sio_out *out;
} presence_fanout;

/* 1 if cs shares a workspace other than wid in which user_id is online: the
 * socket has then already been told (or will be) through that workspace. */
static int seen_elsewhere(const chat_sock *cs, const char *user_id, const char *wid)
{
    size_t i;
    json_t *v;
    json_array_foreach(cs->workspaces, i, v)
    {
        const char *w = json_string_value(v);
        if (w && strcmp(w, wid) != 0 && vb_presence_online_in(user_id, w)) return 1;
    }
    return 0;
}

static int presence_each(vb_sio_socket *s, void *ud)
{
    presence_fanout *pf = ud;
    chat_sock *cs = vb_sio_socket_ud(s);
    if (cs && !seen_elsewhere(cs, pf->user_id, pf->wid)) vb_sio_out_send(pf->out, s);
    return 0;
}

/* presence:online/offline on workspace:<wid>: to the sockets in that
 * workspace's room, once per socket even when it shares several workspaces
 * with the user (presence updates one workspace at a time, so a socket that
 * can still see the user elsewhere is skipped). */
static void on_presence(const char *topic, const char *type, json_t *data)
{
    presence_fanout pf = {json_string_value(json_object_get(data, "userId")),
                          json_string_value(json_object_get(data, "workspaceId")), type, NULL};
    if (!pf.user_id || !pf.wid) return;
    json_t *arg = strcmp(type, "presence:online") == 0
                      ? json_pack("{s:s,s:O}", "userId", pf.user_id, "userName",
                                  json_object_get(data, "userName"))
                      : json_pack("{s:s}", "userId", pf.user_id);
    char buf[VB_CHAT_ARGS_STACK];
    size_t len;
    char *text = vb_chat_args_of(arg, buf, sizeof buf, &len);
    if (text) pf.out = vb_sio_out_event(vb_chat_nsp, type, text, len, NULL, 0);
    vb_chat_args_free(text, buf);
    if (!pf.out) return;
    vb_sio_room_each(vb_chat_nsp, topic, presence_each, &pf);
    vb_sio_out_unref(pf.out);
}

typedef struct removal {
    const char *user_id, *wid;
} removal;

/* A member removed from a workspace: their sockets leave that workspace's
 * room and its channels' rooms at once. */
static int removal_each(vb_sio_socket *s, void *ud)
{
    removal *r = ud;
    chat_sock *cs = vb_sio_socket_ud(s);
    if (!cs || strcmp(cs->user_id, r->user_id) != 0) return 0;
    const char *cid;
    json_t *w, *tmp;
    json_object_foreach_safe(cs->channels, tmp, cid, w)
    {
        if (strcmp(json_string_value(w), r->wid) != 0) continue;
        char room[VB_HUB_TOPIC_MAX];
        vb_hub_topic(room, VB_HUB_CHANNEL, cid);
        vb_sio_leave(s, room);
        vb_chat_topic_release(room);
        vb_chat_recovery_left(cs, cid);
        json_object_del(cs->channels, cid);
    }
    size_t i;
    json_t *v;
    json_array_foreach(cs->workspaces, i, v)
    {
        if (strcmp(json_string_value(v), r->wid) == 0) {
            json_array_remove(cs->workspaces, i);
            break;
        }
    }
    char room[VB_HUB_TOPIC_MAX];
    vb_hub_topic(room, VB_HUB_WORKSPACE, r->wid);
    vb_sio_leave(s, room);
    vb_chat_topic_release(room);
    return 0;
}

typedef struct chan_drop {
    const char *user_id; /* NULL: everyone */
    const char *cid;
} chan_drop;

static int chan_drop_each(vb_sio_socket *s, void *ud)
{
    chan_drop *d = ud;
    chat_sock *cs = vb_sio_socket_ud(s);
    if (!cs || (d->user_id && strcmp(cs->user_id, d->user_id) != 0)) return 0;
    char room[VB_HUB_TOPIC_MAX];
    vb_hub_topic(room, VB_HUB_CHANNEL, d->cid);
    if (vb_sio_in_room(s, room)) vb_chat_recovery_left(cs, d->cid);
    vb_sio_leave(s, room);
    json_object_del(cs->channels, d->cid);
    vb_chat_topic_release(room);
    return 0;
}

typedef struct origin_find {
    const char *sid;
    vb_sio_socket *found;
} origin_find;

static int origin_each(vb_sio_socket *s, void *ud)
{
    origin_find *of = ud;
    if (strcmp(vb_sio_socket_id(s), of->sid) != 0) return 0;
    of->found = s;
    return 1;
}

vb_sio_socket *vb_chat_socket_by_id(const char *sid)
{
    origin_find of = {sid, NULL};
    if (sid) vb_sio_room_each(vb_chat_nsp, NULL, origin_each, &of);
    return of.found;
}

typedef struct member_join {
    const char *wid;
} member_join;

/* A socket of the new member joins the workspace's room. */
static int member_join_each(vb_sio_socket *s, void *ud)
{
    member_join *mj = ud;
    chat_sock *cs = vb_sio_socket_ud(s);
    if (!cs) return 0;
    size_t i;
    json_t *v;
    json_array_foreach(cs->workspaces, i, v)
    {
        if (strcmp(json_string_value(v), mj->wid) == 0) return 0;
    }
    char room[VB_HUB_TOPIC_MAX];
    vb_hub_topic(room, VB_HUB_WORKSPACE, mj->wid);
    if (vb_sio_join(s, room) != 0 || vb_chat_topic_hold(room) != 0) return 0;
    json_array_append_new(cs->workspaces, json_string(mj->wid));
    return 0;
}

/* A user who joined a workspace while connected (topic "user:<id>": an
 * accepted invitation, or the creator of a new workspace): their sockets join
 * that workspace's room and they come online there, without a reconnect. */
static void join_workspace(const char *topic, json_t *data)
{
    const char *uid = json_string_value(json_object_get(data, "userId"));
    member_join mj = {json_string_value(json_object_get(data, "workspaceId"))};
    if (!uid || !mj.wid) return;
    vb_sio_room_each(vb_chat_nsp, topic, member_join_each, &mj);
    vb_presence_join_workspace(uid, mj.wid);
}

/* Emits event with data (borrowed) to every socket in room topic. */
static void emit_to_room(const char *topic, const char *event, json_t *data)
{
    char buf[VB_CHAT_ARGS_STACK];
    size_t len;
    char *text = vb_chat_args_of(json_incref(data), buf, sizeof buf, &len);
    if (!text) return;
    vb_sio_out *out = vb_sio_out_event(vb_chat_nsp, event, text, len, NULL, 0);
    vb_chat_args_free(text, buf);
    if (!out) return;
    vb_sio_out_broadcast(out, topic, NULL);
    vb_sio_out_unref(out);
}

void vb_chat_on_hub(vb_hub_sub *sub, const char *topic, const char *type, json_t *data, void *ud)
{
    (void)sub;
    if (strncmp(type, "presence:", 9) == 0) {
        on_presence(topic, type, data);
        return;
    }
    if (strcmp(type, "member_added") == 0 || strcmp(type, "workspace_joined") == 0) {
        join_workspace(topic, data);
        return;
    }
    if (strcmp(type, "notification") == 0 || strcmp(type, "notification_unread") == 0) {
        /* notification:new {notification, unreadCount} the moment it is
         * committed, and notification:unread {unreadCount} after reads, to
         * every socket of the user. */
        emit_to_room(topic, type[12] ? "notification:unread" : "notification:new", data);
        return;
    }
    if (strcmp(type, "member_removed") == 0) {
        removal r = {json_string_value(json_object_get(data, "userId")),
                     json_string_value(json_object_get(data, "workspaceId"))};
        if (r.user_id && r.wid) vb_sio_room_each(vb_chat_nsp, topic, removal_each, &r);
        return;
    }
    if (strcmp(type, "channel:member_removed") == 0 || strcmp(type, "channel:deleted") == 0) {
        chan_drop d = {type[8] == 'm' ? json_string_value(json_object_get(data, "userId")) : NULL,
                       json_string_value(json_object_get(data, "channelId"))};
        if (d.cid && (d.user_id || type[8] == 'd'))
            vb_sio_room_each(vb_chat_nsp, topic, chan_drop_each, &d);
        return;
    }
    if (strcmp(type, "channel:user_joined") == 0 || strcmp(type, "channel:user_left") == 0 ||
        strcmp(type, "channel:typing") == 0 || strcmp(type, "channel:stop_typing") == 0) {
        /* Announcements: to the room but the socket that made them (here,
         * the one announcing now; from another instance, none of ours). */
        vb_sio_socket *origin = vb_hub_origin_local() ? vb_chat_announcer : NULL;
        char buf[VB_CHAT_ARGS_STACK];
        size_t len;
        char *text = vb_chat_args_of(json_incref(data), buf, sizeof buf, &len);
        if (!text) return;
        vb_sio_out *out = vb_sio_out_event(vb_chat_nsp, type, text, len, NULL, 0);
        vb_chat_args_free(text, buf);
        if (!out) return;
        vb_sio_out_broadcast(out, topic, origin);
        vb_sio_out_unref(out);
        return;
    }
    if (strcmp(type, "message:new") && strcmp(type, "message:edited") &&
        strcmp(type, "message:deleted"))
        return;
    /* The socket that made the change is left out of the room broadcast; a
     * new message is then echoed to it once, joined or not. A change made on
     * another instance has no origin socket here. In a cluster, a change
     * already delivered (or held for a catch-up in flight) stops here. */
    chat_topic *t = ud;
    if (t && !vb_chat_catchup_admit(t->cu, vb_hub_seq(), type, data)) return;
    vb_sio_socket *origin = vb_hub_origin_local() ? vb_chat_socket_by_id(vb_hub_origin()) : NULL;
    vb_chat_room_change(topic, type, data, vb_hub_seq(), origin);
}

void vb_chat_room_change(const char *room, const char *type, json_t *data, int64_t seq,
                         vb_sio_socket *origin)
{
    /* The event's position in the log is its offset, the last argument
     * (recovery). */
    char buf[VB_CHAT_ARGS_STACK];
    size_t len;
    char *text = vb_chat_args_offset(json_incref(data), seq > 0 && vb_chat_recovery_on() ? seq : -1,
                                     buf, sizeof buf, &len);
    if (!text) return;
    vb_sio_out *out = vb_sio_out_event(vb_chat_nsp, type, text, len, NULL, 0);
    vb_chat_args_free(text, buf);
    if (!out) return;
    vb_sio_out_broadcast(out, room, origin);
    if (origin && strcmp(type, "message:new") == 0) vb_sio_out_send(out, origin);
    vb_sio_out_unref(out);
}
