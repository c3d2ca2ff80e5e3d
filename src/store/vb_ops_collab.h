/*
 * Store operations for comments, labels, activity and notifications
 * (store/ops_comments.c, ops_labels.c, ops_activity.c, ops_notifications.c).
 *
 * Every operation takes the route arguments {actor, params, query, body}
 * described in vb_ops.h; params carry "id" (task, comment, label or
 * notification, by route), "wid" (workspace) or "pid" (project). Bodies and
 * queries are validated by the app first; the operations still check what
 * needs the database. Unknown objects, and objects of a workspace the caller
 * is not a member of, fail with 404 "<KIND>_NOT_FOUND".
 *
 * Shapes (times are ISO 8601 strings):
 *   comment      {id, taskId, authorId, authorName, parentCommentId, body, createdAt, updatedAt}
 *   label        {id, workspaceId, name, color, createdAt, updatedAt}
 *   activity     {id, workspaceId, projectId, taskId, actorId, actorName, action, changes,
 *                 createdAt}
 *   notification {id, type, title, data, workspaceId, read, readAt, createdAt}
 * authorName and actorName are "First Last" (null when the user is gone).
 */
#ifndef VB_OPS_COLLAB_H
#define VB_OPS_COLLAB_H

#include "store/vb_ops.h"

/* ---- comments (ops_comments.c) */
/* POST /tasks/:id/comments {body, parentCommentId?} -> comment. Members; 409
 * PROJECT_ARCHIVED; 422 when parentCommentId is not a comment of the task.
 * Bumps the task's commentCount, writes comment_added, notifies the task's
 * assignees and reporter (comment_added) and the mentioned members. */
int vb_op_comment_create(vb_op_ctx *c);
/* GET /tasks/:id/comments -> page, oldest first. */
int vb_op_comment_list(vb_op_ctx *c);
/* PATCH /comments/:id {body} -> comment. Author only (other members 403);
 * comment_updated; mentions re-applied (only new ones are notified). */
int vb_op_comment_update(vb_op_ctx *c);
/* DELETE /comments/:id -> no result. Author only; deletes its replies too and
 * lowers commentCount by the number of comments removed; comment_deleted. */
int vb_op_comment_delete(vb_op_ctx *c);

/* ---- labels (ops_labels.c); activity rows are workspace-level */
int vb_op_label_create(
    vb_op_ctx *c); /* POST /workspaces/:wid/labels -> label (409 LABEL_NAME_TAKEN) */
int vb_op_label_list(vb_op_ctx *c);   /* GET /workspaces/:wid/labels -> [label] by name */
int vb_op_label_update(vb_op_ctx *c); /* PATCH /labels/:id -> label (409 LABEL_NAME_TAKEN) */
int vb_op_label_delete(vb_op_ctx *c); /* DELETE /labels/:id -> no result (unlinked from tasks) */

/* ---- activity (ops_activity.c): pages, newest first */
int vb_op_activity_workspace(vb_op_ctx *c); /* GET /workspaces/:wid/activity */
int vb_op_activity_project(vb_op_ctx *c);   /* GET /projects/:pid/activity */
int vb_op_activity_task(vb_op_ctx *c);      /* GET /tasks/:id/activity (404 once deleted) */

/* ---- notifications (ops_notifications.c): the caller's own only */
int vb_op_notification_list(vb_op_ctx *c); /* GET /notifications?unread= -> page, newest first */
int vb_op_notification_read(vb_op_ctx *c); /* PATCH /notifications/:id/read -> notification */
int vb_op_notification_read_all(vb_op_ctx *c); /* POST /notifications/read-all -> {updated} */
int vb_op_notification_unread(vb_op_ctx *c);   /* GET /notifications/unread-count -> {count} */

#endif
