/* Pieces of the chat gateway shared by its files (app/vb_chat*.c only). */
#ifndef VB_CHAT_INTERNAL_H
#define VB_CHAT_INTERNAL_H

#include "app/vb_chat.h"
#include "app/vb_chat_recovery.h"
#include "hub/vb_hub.h"
#include "rt/vb_sio.h"

#include <jansson.h>

/* Store operations one socket may have in flight; one more is answered
 * {ok:false, code:"RATE_LIMITED"}. */
#define VB_CHAT_MAX_INFLIGHT 64

typedef struct chat_rate chat_rate;
typedef struct chat_catchup chat_catchup;

/* One connected (or connecting) chat socket. Refcounted: each store call in
 * flight holds a reference, so a socket that disconnects meanwhile is freed
 * only when its last call completes (gone is then set). */
typedef struct chat_sock {
    vb_sio_socket *sock; /* NULL once gone */
    unsigned refs;
    int gone;
    int accepted;
    unsigned inflight; /* store calls in flight (at most VB_CHAT_MAX_INFLIGHT) */
    chat_rate *rate;   /* the user's message bucket (vb_chat_limit.c), NULL: no limit */
    char user_id[64];
    char user_name[256];
    json_t *workspaces; /* array of workspace ids */
    json_t *channels;   /* object: joined channel id -> its workspace id */
    /* Recovery (empty when disabled): the private session id and its hash
     * (the session's key in the database), and the pid the client asked to
     * recover while connecting. */
    char pid[VB_CHAT_PID_LEN + 1];
    char pid_hash[VB_CHAT_PID_HASH_LEN + 1];
    char rec_pid[VB_CHAT_PID_LEN + 1];
} chat_sock;

/* A hub topic the gateway follows while some room needs it. */
typedef struct chat_topic {
    vb_hub_sub sub;
    char *name;
    unsigned users;   /* local rooms/sockets interested */
    chat_catchup *cu; /* a channel's catch-up state in a cluster, else NULL */
} chat_topic;

/* Catch-up after a Redis outage (vb_chat_catchup.c). Limits: the delivered
 * seqs remembered per channel (dedupe: a later duplicate of an older one is
 * not recognised), the events read per database call, the live events held
 * per channel while its catch-up is queued or in flight (more are delivered
 * at once, perhaps out of order), and the catch-up reads in flight at once
 * (the others wait their turn, so a resync does not fill the store's queue). */
#define VB_CHAT_DEDUPE_MAX 1024
#define VB_CHAT_CATCHUP_PAGE 500
#define VB_CHAT_CATCHUP_HOLD_MAX 1000
#define VB_CHAT_CATCHUP_PARALLEL 8
/* How long a channel:join waits for its new topic's SUBSCRIBE before its ack. */
#define VB_CHAT_JOIN_SUBSCRIBE_WAIT_MS 2000
/* How long the event log is kept for catch-up when recovery is off. */
#define VB_CHAT_CATCHUP_KEEP_MS 600000

/* The state of channel topic room (NULL for other topics and without a
 * cluster). */
chat_catchup *vb_chat_catchup_open(const char *room);
void vb_chat_catchup_close(chat_catchup *cu);
/* The log's head when the room was first joined here (its first call wins). */
void vb_chat_catchup_base(chat_catchup *cu, int64_t head);
/* A live message change with seq for the room: 1 to deliver it now, 0 when
 * it was delivered already or is held for a catch-up in flight. */
int vb_chat_catchup_admit(chat_catchup *cu, int64_t seq, const char *type, json_t *data);
/* Catches one room up (after its SUBSCRIBE is confirmed). */
void vb_chat_catchup_room(chat_catchup *cu);
/* Asks the cluster bridge for its resyncs (at start). */
void vb_chat_catchup_start(void);
/* The followed topic name, or NULL. */
chat_topic *vb_chat_topic_find(const char *name);
/* Broadcasts message change type (data borrowed, offset seq) to room, but
 * origin (NULL: none), and echoes a new message to origin once
 * (vb_chat_hub.c). */
void vb_chat_room_change(const char *room, const char *type, json_t *data, int64_t seq,
                         vb_sio_socket *origin);

extern vb_sio_nsp *vb_chat_nsp;

/* Store calls of all sockets in flight (vb_chat_events.c); a stop waits for
 * them (bounded) before closing the sessions, so their acks are sent. */
void vb_chat_call_begin(void);
void vb_chat_call_end(void);
/* 1 while a stop waits for those calls: new events are refused. */
int vb_chat_draining(void);

chat_sock *vb_chat_sock_ref(chat_sock *cs);
void vb_chat_sock_unref(chat_sock *cs);
/* Follows / stops following a hub topic ("channel:<id>", "workspace:<id>"). */
int vb_chat_topic_hold(const char *topic);
void vb_chat_topic_release(const char *topic);
/* The per-user message rate (vb_chat_limit.c): per_s tokens a second, up
 * to burst (0: per_s); per_s 0 disables it. */
void vb_chat_rate_configure(unsigned per_s, unsigned burst);
/* Gives cs its user's bucket (shared with the user's other sockets). 0 or
 * VB_ENOMEM. */
int vb_chat_rate_attach(chat_sock *cs);
/* Drops cs's hold on its bucket (when cs is freed). */
void vb_chat_rate_detach(chat_sock *cs);
/* Takes one token for a message: 1, or 0 when the user is over the limit. */
int vb_chat_rate_take(chat_sock *cs);
/* At stop: frees the buckets no socket holds; the others are freed as
 * their last socket goes. */
void vb_chat_rate_clear(void);
/* The client events (vb_chat_events.c). */
void vb_chat_on_event(vb_sio_socket *s, const char *event, const char *args, size_t args_len,
                      const vb_sio_bin *bins, size_t nbins, vb_sio_ack *ack, void *ud);
/* Hub deliveries for followed topics (vb_chat_hub.c). */
void vb_chat_on_hub(vb_hub_sub *sub, const char *topic, const char *type, json_t *data, void *ud);
/* Answers ack with {ok:false, code, message}, or emits "error" when there is
 * no ack. */
void vb_chat_fail(chat_sock *cs, vb_sio_ack *ack, const char *code, const char *message);
/* Answers ack with {ok:true, ...extra} (extra stolen, may be NULL). */
void vb_chat_ok(vb_sio_ack *ack, json_t *extra);
/* Emits event with one JSON argument (stolen) to one socket. */
void vb_chat_emit(vb_sio_socket *s, const char *event, json_t *arg);

/* Announces event {channelId, userId[, userName]} (arg stolen) to the
 * channel's room on every instance, through the hub, leaving out the socket
 * cs (the origin) when it is still in the room. */
void vb_chat_announce(const char *room, const chat_sock *cs, const char *event, json_t *arg);
/* The socket announcing, during vb_chat_announce's local delivery. */
extern vb_sio_socket *vb_chat_announcer;

/* Like vb_chat_args_of's text for one argument, with the offset seq (>= 0; -1: none)
 * appended as the last argument (see vb_chat_args_of for buf and the result). */
char *vb_chat_args_offset(json_t *arg, int64_t seq, char *buf, size_t cap, size_t *len);
/* The connected socket whose id is sid, or NULL (vb_chat_hub.c). */
vb_sio_socket *vb_chat_socket_by_id(const char *sid);

/* Recovery (vb_chat_recovery.c). The "session" args of the connect's store
 * call (sets cs->pid/pid_hash; NULL when recovery is off). */
json_t *vb_chat_recovery_args(chat_sock *cs, json_t *auth, const char *sid);
/* Accepts s after the connect's store call: restored or fresh session. */
int vb_chat_recovery_accept(chat_sock *cs, vb_sio_socket *s, json_t *result);
/* Emits "welcome" (with the log's head as its offset when recovery is on). */
void vb_chat_recovery_welcome(chat_sock *cs, json_t *result);
/* After a recovered accept: rejoins the rooms, replays the missed events,
 * resends presence. No-op for a fresh session. */
void vb_chat_recovery_restore(chat_sock *cs, json_t *result);
/* The session left channel cid / its socket closed (database writes). */
void vb_chat_recovery_left(chat_sock *cs, const char *cid);
void vb_chat_recovery_closed(chat_sock *cs, vb_sio_socket *s);
int vb_chat_recovery_start(uv_loop_t *loop);
/* 1 when recovery is on (CHAT_RECOVERY_MS > 0). */
int vb_chat_recovery_on(void);
void vb_chat_recovery_stop(void);

#endif
