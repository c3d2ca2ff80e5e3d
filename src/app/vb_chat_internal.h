/* Pieces of the chat gateway shared by its files (app/vb_chat*.c only). */
#ifndef VB_CHAT_INTERNAL_H
#define VB_CHAT_INTERNAL_H

#include "app/vb_chat.h"
#include "hub/vb_hub.h"
#include "rt/vb_sio.h"

#include <jansson.h>

/* Store operations one socket may have in flight; one more is answered
 * {ok:false, code:"RATE_LIMITED"}. */
#define VB_CHAT_MAX_INFLIGHT 64

typedef struct chat_rate chat_rate;

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
} chat_sock;

/* A hub topic the gateway follows while some room needs it. */
typedef struct chat_topic {
    vb_hub_sub sub;
    char *name;
    unsigned users; /* local rooms/sockets interested */
    struct chat_topic *next;
} chat_topic;

extern vb_sio_nsp *vb_chat_nsp;

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
/* Broadcasts event with one JSON argument (stolen) to room except `except`. */
void vb_chat_broadcast(const char *room, const vb_sio_socket *except, const char *event,
                       json_t *arg);

#endif
