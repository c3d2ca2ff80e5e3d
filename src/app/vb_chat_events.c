/*
 * The chat gateway's client events: join, leave, send, edit, delete, typing.
 * Each answers its ack with {ok:true, ...} or {ok:false, code, message}, or
 * emits "error" {code, message} when the client asked for no ack.
 */
#include "app/vb_chat_internal.h"
#include "app/vb_reply.h"
#include "core/vb_common.h"
#include "hub/vb_hub_bridge.h"
#include "store/vb_ops_chat.h"

#include <stdlib.h>
#include <string.h>

/* A store call on behalf of a socket. */
typedef struct chat_call {
    chat_sock *cs;
    vb_sio_ack *ack;
    char channel_id[64];
} chat_call;

/* A call for cs, or NULL after answering ack: too many calls in flight
 * (RATE_LIMITED) or out of memory. */
static chat_call *call_new(chat_sock *cs, vb_sio_ack *ack)
{
    if (cs->inflight >= VB_CHAT_MAX_INFLIGHT) {
        vb_chat_fail(cs, ack, "RATE_LIMITED", "Too many requests in flight");
        return NULL;
    }
    chat_call *c = calloc(1, sizeof *c);
    if (!c) {
        vb_chat_fail(cs, ack, "INTERNAL_ERROR", "Out of memory");
        return NULL;
    }
    c->cs = vb_chat_sock_ref(cs);
    c->ack = ack;
    cs->inflight++;
    vb_chat_call_begin();
    return c;
}

static void call_free(chat_call *c)
{
    if (c->ack) vb_sio_ack_free(c->ack);
    c->cs->inflight--;
    vb_chat_sock_unref(c->cs);
    free(c);
    vb_chat_call_end();
}

/* Fails the call from a store result; returns 1 if it failed or the socket is gone. */
static int call_failed(chat_call *c, const vb_store_res *res)
{
    if (c->cs->gone) return 1;
    if (res->status == 0) return 0;
    const char *code = res->code && *res->code ? res->code : "ERROR";
    const char *msg = res->message && *res->message ? res->message : "Request failed";
    if (vb_reply_status_of(res->status) == 500) {
        code = "INTERNAL_ERROR";
        msg = "Something went wrong on our side";
    }
    /* The database is unreachable (503 DATABASE_UNAVAILABLE over REST). */
    if (res->status == VB_EBUSY) code = "UNAVAILABLE";
    vb_chat_fail(c->cs, c->ack, code, msg);
    c->ack = NULL;
    return 1;
}

static int submit(chat_call *c, vb_op_fn op, int write, json_t *args, vb_store_cb cb)
{
    vb_app *app = vb_app_current();
    if (vb_store_submit(app->store, op, write, args, cb, c) == 0) return 0;
    vb_chat_fail(c->cs, c->ack, "BUSY", "The server is busy; try again shortly");
    c->ack = NULL;
    call_free(c);
    return -1;
}

/* The first argument of an event, when it is an object. New reference. */
static json_t *first_arg(const char *args, size_t len)
{
    json_t *arr = json_loadb(args, len, 0, NULL);
    json_t *o = json_array_get(arr, 0);
    if (json_is_object(o))
        json_incref(o);
    else
        o = NULL;
    json_decref(arr);
    return o;
}

/* Reads a string field that must look like an id. */
static const char *id_field(json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v && *v && strlen(v) < 64 ? v : NULL;
}

/* ---- channel:join -------------------------------------------------------- */

static void join_ack(chat_call *c)
{
    if (!c->cs->gone) {
        vb_chat_ok(c->ack, json_pack("{s:s}", "channelId", c->channel_id));
        c->ack = NULL;
    }
    call_free(c);
}

/* The join's topic is subscribed in Redis (or the wait is over): what was
 * committed between the join's check and the subscription is caught up
 * from the database, and the join acked. */
static void on_join_subscribed(void *ud, int subscribed)
{
    chat_call *c = ud;
    char room[VB_HUB_TOPIC_MAX];
    vb_hub_topic(room, VB_HUB_CHANNEL, c->channel_id);
    chat_topic *t = vb_chat_topic_find(room);
    if (subscribed && t) vb_chat_catchup_room(t->cu);
    join_ack(c);
}

static void on_joined(const vb_store_res *res, void *ud)
{
    chat_call *c = ud;
    if (call_failed(c, res)) {
        call_free(c);
        return;
    }
    chat_sock *cs = c->cs;
    char room[VB_HUB_TOPIC_MAX];
    vb_hub_topic(room, VB_HUB_CHANNEL, c->channel_id);
    /* A second join (perhaps racing the first) is ok and announces nothing. */
    if (!vb_sio_in_room(cs->sock, room)) {
        const char *wid = json_string_value(json_object_get(res->result, "workspaceId"));
        if (vb_sio_join(cs->sock, room) != 0 || vb_chat_topic_hold(room) != 0) {
            vb_chat_fail(cs, c->ack, "INTERNAL_ERROR", "Out of memory");
            c->ack = NULL;
            call_free(c);
            return;
        }
        json_object_set_new(cs->channels, c->channel_id, json_string(wid ? wid : ""));
        chat_topic *t = vb_chat_topic_find(room);
        if (t)
            vb_chat_catchup_base(t->cu,
                                 json_integer_value(json_object_get(res->result, "logHead")));
        vb_chat_announce(room, cs, "channel:user_joined",
                         json_pack("{s:s,s:s}", "channelId", c->channel_id, "userId", cs->user_id));
    }
    /* In a cluster, a topic new here is acked once its SUBSCRIBE is
     * confirmed (or after a bounded wait): a message sent elsewhere right
     * after the ack reaches the socket. */
    if (vb_hub_bridge_when_subscribed(room, VB_CHAT_JOIN_SUBSCRIBE_WAIT_MS, on_join_subscribed,
                                      c) == 0)
        return;
    join_ack(c);
}

static void ev_join(chat_sock *cs, json_t *p, vb_sio_ack *ack)
{
    const char *cid = id_field(p, "channelId");
    if (!cid) {
        vb_chat_fail(cs, ack, "VALIDATION_ERROR", "channelId is required");
        return;
    }
    chat_call *c = call_new(cs, ack);
    if (!c) return;
    snprintf(c->channel_id, sizeof c->channel_id, "%s", cid);
    json_t *args = json_pack("{s:{s:s},s:s}", "actor", "id", cs->user_id, "channelId", cid);
    /* With recovery the check also records the join in the session. */
    if (cs->pid_hash[0]) json_object_set_new(args, "pidHash", json_string(cs->pid_hash));
    submit(c, vb_op_chat_channel, cs->pid_hash[0] ? VB_STORE_WRITE : VB_STORE_ORDERED, args,
           on_joined);
}

/* ---- channel:leave ---------------------------------------------------------- */

static void ev_leave(chat_sock *cs, json_t *p, vb_sio_ack *ack)
{
    const char *cid = id_field(p, "channelId");
    if (!cid) {
        vb_chat_fail(cs, ack, "VALIDATION_ERROR", "channelId is required");
        return;
    }
    char room[VB_HUB_TOPIC_MAX];
    vb_hub_topic(room, VB_HUB_CHANNEL, cid);
    if (vb_sio_in_room(cs->sock, room)) {
        vb_sio_leave(cs->sock, room);
        vb_chat_announce(room, cs, "channel:user_left",
                         json_pack("{s:s,s:s}", "channelId", cid, "userId", cs->user_id));
        json_object_del(cs->channels, cid);
        vb_chat_topic_release(room);
        vb_chat_recovery_left(cs, cid);
    }
    vb_chat_ok(ack, json_pack("{s:s}", "channelId", cid));
}

/* ---- messages ------------------------------------------------------------------- */

static void on_message_done(const vb_store_res *res, void *ud)
{
    chat_call *c = ud;
    if (!call_failed(c, res)) {
        json_t *extra = json_is_object(res->result) ? json_pack("{s:O}", "message", res->result)
                                                    : json_object();
        vb_chat_ok(c->ack, extra);
        c->ack = NULL;
    }
    call_free(c);
}

/* message:send / message:edit / message:delete: the store operation decides
 * (membership, sender, content limits) and, after commit, its event reaches
 * the room through the hub with this socket as the origin. */
static void ev_message(chat_sock *cs, json_t *p, vb_sio_ack *ack, vb_op_fn op, const char *key,
                       int with_content)
{
    const char *target = id_field(p, key);
    json_t *content = json_object_get(p, "content");
    if (!target) {
        vb_chat_fail(cs, ack, "VALIDATION_ERROR",
                     strcmp(key, "channelId") == 0 ? "channelId is required"
                                                   : "messageId is required");
        return;
    }
    if (with_content && !json_is_string(content)) {
        vb_chat_fail(cs, ack, "VALIDATION_ERROR", "content must be a string");
        return;
    }
    if (!vb_chat_rate_take(cs)) {
        vb_chat_fail(cs, ack, "RATE_LIMITED", "Too many messages; slow down");
        return;
    }
    chat_call *c = call_new(cs, ack);
    if (!c) return;
    json_t *args = json_pack("{s:{s:s},s:s,s:s}", "actor", "id", cs->user_id, key, target, "origin",
                             vb_sio_socket_id(cs->sock));
    if (with_content) json_object_set(args, "content", content);
    submit(c, op, 1, args, on_message_done);
}

/* ---- typing ------------------------------------------------------------------------ */

static void ev_typing(chat_sock *cs, json_t *p, vb_sio_ack *ack, const char *event)
{
    const char *cid = id_field(p, "channelId");
    if (!cid) {
        vb_chat_fail(cs, ack, "VALIDATION_ERROR", "channelId is required");
        return;
    }
    char room[VB_HUB_TOPIC_MAX];
    vb_hub_topic(room, VB_HUB_CHANNEL, cid);
    /* Joining checked membership; only sockets in the room may type there. */
    if (!vb_sio_in_room(cs->sock, room)) {
        vb_chat_fail(cs, ack, "NOT_IN_CHANNEL", "Join the channel first");
        return;
    }
    json_t *arg = strcmp(event, "channel:typing") == 0
                      ? json_pack("{s:s,s:s,s:s}", "channelId", cid, "userId", cs->user_id,
                                  "userName", cs->user_name)
                      : json_pack("{s:s,s:s}", "channelId", cid, "userId", cs->user_id);
    vb_chat_announce(room, cs, event, arg);
    vb_chat_ok(ack, NULL);
}

void vb_chat_on_event(vb_sio_socket *s, const char *event, const char *args, size_t args_len,
                      const vb_sio_bin *bins, size_t nbins, vb_sio_ack *ack, void *ud)
{
    (void)bins;
    (void)nbins;
    (void)ud;
    chat_sock *cs = vb_sio_socket_ud(s);
    if (!cs || !cs->accepted) {
        if (ack) vb_sio_ack_free(ack);
        return;
    }
    if (vb_chat_draining()) {
        vb_chat_fail(cs, ack, "UNAVAILABLE",
                     "The server is restarting; try again after reconnecting");
        return;
    }
    json_t *p = first_arg(args, args_len);
    if (!p) {
        vb_chat_fail(cs, ack, "VALIDATION_ERROR", "The event needs an object argument");
        return;
    }
    if (strcmp(event, "channel:join") == 0)
        ev_join(cs, p, ack);
    else if (strcmp(event, "channel:leave") == 0)
        ev_leave(cs, p, ack);
    else if (strcmp(event, "message:send") == 0)
        ev_message(cs, p, ack, vb_op_message_post, "channelId", 1);
    else if (strcmp(event, "message:edit") == 0)
        ev_message(cs, p, ack, vb_op_message_edit, "messageId", 1);
    else if (strcmp(event, "message:delete") == 0)
        ev_message(cs, p, ack, vb_op_message_delete, "messageId", 0);
    else if (strcmp(event, "channel:typing") == 0 || strcmp(event, "channel:stop_typing") == 0)
        ev_typing(cs, p, ack, event);
    else
        vb_chat_fail(cs, ack, "UNKNOWN_EVENT", "Unknown event");
    json_decref(p);
}
