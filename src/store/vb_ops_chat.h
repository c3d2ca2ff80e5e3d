/*
 * Channel messages: the one set of functions that both the REST routes and the
 * chat gateway use to post, edit and delete messages, so both paths apply the
 * same checks, mentions, activity and events.
 *
 * Events (queued with vb_op_event, published after commit), topic
 * "channel:<channelId>":
 *   "message:new"     {messageId, channelId, senderId, senderName, content, createdAt}
 *   "message:edited"  {messageId, channelId, content, updatedAt}
 *   "message:deleted" {messageId, channelId}
 * senderName is "First Last", never the email.
 */
#ifndef VB_OPS_CHAT_H
#define VB_OPS_CHAT_H

#include "store/vb_store.h"

#include <jansson.h>

/* Checks that actor may read/write channel cid: the channel exists, is not
 * deleted, actor is a member of its workspace and, for private/direct
 * channels, of the channel. Fails ctx with CHANNEL_NOT_FOUND otherwise.
 * *channel (may be NULL) receives the channel row in API shape. */
int vb_op_msg_channel_access(vb_op_ctx *c, const char *cid, const char *actor, json_t **channel);
/* Posts content (1..10000 chars, checked) to cid as actor; *message receives
 * the message in API shape {id, channelId, senderId, senderName, content,
 * createdAt, updatedAt, editedAt, deletedAt} (message must not be NULL). */
int vb_op_msg_post(vb_op_ctx *c, const char *cid, const char *actor, const char *content,
                   json_t **message);
/* Edits message mid (sender only: others get FORBIDDEN; unknown or invisible
 * NOT_FOUND; deleted NOT_FOUND); *message (not NULL) receives it as edited. */
int vb_op_msg_edit(vb_op_ctx *c, const char *mid, const char *actor, const char *content,
                   json_t **message);
/* Soft-deletes message mid (sender only). */
int vb_op_msg_delete(vb_op_ctx *c, const char *mid, const char *actor);

/* Operation wrappers taking args {actor, params, body} (REST) or
 * {actor:{id}, channelId|messageId, content} (gateway): see ops_messages.c. */
int vb_op_message_post(vb_op_ctx *c);
int vb_op_message_edit(vb_op_ctx *c);
int vb_op_message_delete(vb_op_ctx *c);
int vb_op_message_list(vb_op_ctx *c);

/* Gateway helpers (ops_chat_session.c): the user's display name and
 * workspaces at connect (and its recovery session, see below), and the
 * access check of channel:join (args pidHash: recorded for the session; the
 * result's "logHead" is the log's last committed seq). */
int vb_op_chat_session(vb_op_ctx *c);
int vb_op_chat_channel(vb_op_ctx *c);

/* ---- connection state recovery (ops_chat_recovery.c) ----
 * chat_events logs every message:new/edited/deleted (seq = the offset the
 * clients see) in the transaction of the change; the message ops put "seq"
 * on their event beside "origin". */
/* Logs event type with data (borrowed) for channel cid; *seq gets its
 * position (0 when logging is off). The args' "origin" is kept with it. */
int vb_op_chat_log_event(vb_op_ctx *c, const char *cid, const char *type, json_t *data,
                         int64_t *seq);
/* Turns the log on or off for the process (on by default; off when
 * recovery is off, so nothing is written for it). Any thread. */
void vb_op_chat_log_enable(int on);
/* For vb_op_chat_session when its args carry "session" {pidHash, sid,
 * window, maxEvents[, recover:{pidHash, offset}]}: restores the session to
 * recover when it is uid's and can be replayed whole (result "recovered"
 * {sid, rooms:[{channelId, workspaceId}], events:[{seq, type, data}]}),
 * else stores a new session (pidHash, sid). result gets "head": the last
 * logged seq. */
int vb_op_chat_session_open(vb_op_ctx *c, const char *uid, json_t *sess, json_t *result);
/* Records that session hash joined channel cid (after the access check). */
int vb_op_chat_session_join(vb_op_ctx *c, const char *hash, const char *cid);
/* args {pidHash, channelId}: the session left the channel. */
int vb_op_chat_session_leave(vb_op_ctx *c);
/* args {pidHash, sid}: the session's socket closed. */
int vb_op_chat_session_close(vb_op_ctx *c);
/* args {channelId, after, limit}: the logged events of the channel with a
 * seq greater than after, in order, at most limit (1..1000): {events:[{seq,
 * type, data}]} (a cluster instance catching its rooms up, app/vb_chat_catchup.c). */
int vb_op_chat_catchup(vb_op_ctx *c);
/* args {window, idleMax} (ms): drops log entries and sessions no client can
 * recover any more. */
int vb_op_chat_prune(vb_op_ctx *c);

#endif
