/*
 * The chat gateway: the events of the contract's "Chat" section on top of the
 * Socket.IO layer (rt/vb_sio.h), at path /ws, namespace /chat.
 *
 * Every change goes through the same store operations as REST; broadcasts of
 * messages come from the hub after commit (topic "channel:<id>"), so a
 * message posted, edited or deleted over REST reaches the room the same way.
 * Presence is per user (hub/vb_presence.h) and reaches only sockets that
 * share a workspace with the user.
 */
#ifndef VB_CHAT_H
#define VB_CHAT_H

#include "app/vb_app.h"

/* How long a stop waits for chat store calls in flight. */
#define VB_CHAT_DRAIN_MAX_MS 3000

/* Creates the Socket.IO server and the /chat namespace. 0 or a vb_err. */
int vb_chat_start(vb_app *app);
/* 1 if req was for the chat path and has been taken. */
int vb_chat_handle(vb_http_req *req);
/* Refuses new events (UNAVAILABLE), waits for the store calls in flight to
 * answer (at most VB_CHAT_DRAIN_MAX_MS), then closes every Engine.IO
 * session as a transport close (clients reconnect by themselves, elsewhere
 * behind a balancer); cb runs when the Socket.IO server is gone. */
void vb_chat_stop(void (*cb)(void *arg), void *arg);

#endif
