/*
 * Store operations behind the live streams (app/vb_live.c). Arguments are
 * built by the stream handlers, not by the generic route path:
 * {"actor":{"id"}, "params":{...}, "query":{...}}.
 */
#ifndef VB_OPS_LIVE_H
#define VB_OPS_LIVE_H

#include "store/vb_store.h"

/* Most activity rows one reconnect replays (oldest first); older misses
 * beyond it are not replayed. */
#define VB_LIVE_REPLAY_MAX 1000

/*
 * Guard of a workspace stream: params.wid must be a workspace of the actor
 * (else WORKSPACE_NOT_FOUND). With query.lastEventId (a string), result.replay
 * is the workspace's activity rows with a greater id, oldest first, at most
 * VB_LIVE_REPLAY_MAX, in the activity event's shape {id, workspaceId,
 * projectId, taskId, actorId, action, changes, createdAt}. Result {workspaceId
 * [, replay]}.
 */
int vb_op_live_workspace(vb_op_ctx *c);
/*
 * Guard of a project stream: params.pid must be a project of one of the
 * actor's workspaces (else PROJECT_NOT_FOUND). Result {projectId, workspaceId,
 * columns:[names by order]} plus, when query.counts is true, counts
 * {status: n} over every column (0 for empty ones) and any other status found.
 */
int vb_op_live_project(vb_op_ctx *c);
/* The counts of params.pid, without a guard (for an in-memory reload):
 * result {projectId, workspaceId, columns, counts} or PROJECT_NOT_FOUND. */
int vb_op_live_counts(vb_op_ctx *c);

#endif
