/*
 * Store operations for task attachments (store/ops_attachments.c).
 *
 * A file is uploaded in steps, each one operation on the writer lane: begin
 * (checks access, inserts the row in state 'uploading'), append (one chunk
 * of at most VB_ATTACH_CHUNK bytes, in order), finish (records size and
 * SHA-256, state 'ready', activity) or abort (deletes the row and its
 * chunks). Only 'ready' attachments are listed or served; rows left
 * 'uploading' by a crash are deleted at start (vb_op_attach_cleanup; in a
 * cluster only those older than any upload in progress can be).
 *
 * Shape (times ISO 8601):
 *   attachment {id, taskId, fileName, contentType, size, sha256, uploaderId, createdAt}
 */
#ifndef VB_OPS_ATTACH_H
#define VB_OPS_ATTACH_H

#include "store/vb_ops.h"

/* Bytes per chunk row. */
#define VB_ATTACH_CHUNK (256 * 1024)

/* args {actor, params:{id: task}, body:{fileName, contentType}} ->
 * {id, workspaceId}. Members; 404 TASK_NOT_FOUND to anyone else. */
int vb_op_attach_begin(vb_op_ctx *c);
/* args {attachmentId, seq, data: string of the chunk's bytes (any bytes)}
 * -> {}. 404 ATTACHMENT_NOT_FOUND once the upload is gone. */
int vb_op_attach_append(vb_op_ctx *c);
/* args {actor, attachmentId, size, sha256} -> attachment. Writes
 * attachment_added and bumps the task's attachmentCount. */
int vb_op_attach_finish(vb_op_ctx *c);
/* args {attachmentId}: deletes an unfinished upload and its chunks. */
int vb_op_attach_abort(vb_op_ctx *c);
/* args {before?}: deletes every upload left 'uploading' (run at start), or
 * with before (ms) only those begun before it. */
int vb_op_attach_cleanup(vb_op_ctx *c);

/* GET /tasks/:id/attachments -> [attachment], oldest first. Members. */
int vb_op_attach_list(vb_op_ctx *c);
/* args {actor, params:{id}} -> attachment plus chunks (the number of chunk
 * rows). Members of the task's workspace; 404 ATTACHMENT_NOT_FOUND else. */
int vb_op_attach_get(vb_op_ctx *c);
/* args {attachmentId, seq} -> a string holding the chunk's bytes. */
int vb_op_attach_read(vb_op_ctx *c);
/* DELETE /attachments/:id: the uploader or a workspace admin (403 FORBIDDEN
 * for other members, 404 to outsiders). Writes attachment_deleted. */
int vb_op_attach_delete(vb_op_ctx *c);

#endif
