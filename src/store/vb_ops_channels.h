/*
 * Store operations for channels and channel members (store/ops_channels.c),
 * and the helpers that store/ops_messages.c shares with them (prefix
 * vb_chan_). Messages themselves are in vb_ops_chat.h.
 *
 * Every route operation takes {actor, params, query, body} (vb_ops.h); params
 * carry "wid" (workspace), "id" (channel) and "userId" (member).
 *
 * Visibility: a channel is visible to an actor when it exists, is not deleted,
 * the actor is a member of its workspace and, unless the channel is public, a
 * member of the channel. Anything else is 404 CHANNEL_NOT_FOUND (existence is
 * never revealed). Channel members who have left the workspace keep their row
 * but are neither counted nor listed, and cannot see anything.
 *
 * Shapes (times ISO 8601):
 *   channel    {id, workspaceId, projectId, name, type, description, createdBy,
 *               memberCount, isMember (the caller's), createdAt, updatedAt}
 *              GET /channels/:id adds members [{userId, firstName, lastName}]
 *   membership {channelId, userId, firstName, lastName, joinedAt}
 *
 * Events (topic "channel:<id>", published after commit):
 *   "channel:deleted"        {channelId}
 *   "channel:member_added"   {channelId, userId}
 *   "channel:member_removed" {channelId, userId}
 */
#ifndef VB_OPS_CHANNELS_H
#define VB_OPS_CHANNELS_H

#include "store/vb_ops.h"

#include <jansson.h>

/* ---- route operations */
int vb_op_channel_create(vb_op_ctx *c); /* POST /workspaces/:wid/channels -> channel */
int vb_op_channel_list(vb_op_ctx *c);   /* GET /workspaces/:wid/channels -> page */
int vb_op_channel_get(vb_op_ctx *c);    /* GET /channels/:id -> channel + members */
int vb_op_channel_delete(vb_op_ctx *c); /* DELETE /channels/:id -> {channelId} */
/* POST /channels/:id/members {userId} -> {"created": bool, "member": membership}:
 * created is false when the user already was a member (the route answers 200
 * instead of 201 and unwraps member). */
int vb_op_channel_member_add(vb_op_ctx *c);
int vb_op_channel_member_remove(vb_op_ctx *c); /* DELETE /channels/:id/members/:userId */

/* ------------------------------------------------------------------------
 * Helpers shared by ops_channels.c and ops_messages.c (not for other modules).
 */

/* What vb_chan_load learned about the actor and the channel. */
typedef struct vb_chan_access {
    char role[16]; /* the actor's workspace role: "admin" or "member" */
    int is_member; /* the actor is a member of the channel */
    int is_public; /* the channel's type is "public" */
} vb_chan_access;

/*
 * Loads channel cid as seen by actor. Returns 0 and (when channel is not NULL)
 * a new channel shape in *channel when it is visible; 1 when it is not (ctx is
 * NOT failed, so the caller picks the error code); or a negative vb_err after
 * failing ctx (database error). acc (may be NULL) is filled on 0.
 */
int vb_chan_load(vb_op_ctx *c, const char *cid, const char *actor, json_t **channel,
                 vb_chan_access *acc);
/* Adds user uid to channel cid (no checks; an existing membership is left as
 * it is). *added (may be NULL) is 1 when a row was inserted. Returns 0 or a
 * negative vb_err after failing ctx. */
int vb_chan_add_member(vb_op_ctx *c, const char *cid, const char *uid, int *added);
/* Queues the membership event type ("channel:member_added" or
 * "channel:member_removed") {channelId, userId} on "channel:<cid>". */
void vb_chan_member_event(vb_op_ctx *c, const char *cid, const char *uid, const char *type);
/* Replaces each of the given keys of obj (integers of ms) by ISO 8601 strings;
 * null stays null. Returns obj. */
json_t *vb_chan_iso(json_t *obj, const char *const *keys);

#endif
