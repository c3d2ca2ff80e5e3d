/*
 * Store operations (run on the store thread, see vb_store.h) and the helpers
 * they share: argument access, guards, activity rows, notifications and
 * pagination. All business rules that need a consistent read of the database
 * (membership, last admin, key sequence) live in operations, so they hold
 * inside the operation's transaction.
 *
 * Arguments of a route operation: {"actor":{"id","email","role"},
 * "params":{...}, "query":{...}, "body":{...}} (vb_app builds them from the
 * request after validation). Results are the API's JSON shapes (camelCase).
 */
#ifndef VB_OPS_H
#define VB_OPS_H

#include "store/vb_db.h"
#include "store/vb_store.h"

/* ---- argument access (borrowed; never NULL for body/query/params: {} instead) */
const char *vb_arg_actor(const vb_op_ctx *c); /* actor.id or NULL */
const char *vb_arg_param(const vb_op_ctx *c, const char *name);
json_t *vb_arg_body(const vb_op_ctx *c);
json_t *vb_arg_query(const vb_op_ctx *c);
const char *vb_arg_str(json_t *obj, const char *key); /* string value or NULL */

/* ---- guards. Each returns 0, or fails ctx with VB_ENOTFOUND ("<KIND>_NOT_FOUND")
 * when the object does not exist or the actor is not a member of its workspace
 * (never revealing which), or VB_EFORBIDDEN ("FORBIDDEN") when need_admin is set
 * and the actor is not a workspace admin. role_out (may be NULL) receives
 * "admin" or "member". *_out rows (may be NULL) are new references. */
int vb_guard_workspace(vb_op_ctx *c, const char *wid, int need_admin, char role_out[16]);
int vb_guard_project(vb_op_ctx *c, const char *pid, int need_admin, json_t **project_out,
                     char role_out[16]);
int vb_guard_task(vb_op_ctx *c, const char *tid, int need_admin, json_t **task_out,
                  char role_out[16]);

/* ---- activity: inserts one row (same transaction) and queues the event
 * "activity" with the row's API shape {id, workspaceId, projectId, taskId,
 * actorId, action, changes, createdAt, taskKey, taskTitle} on topic "workspace:<wid>" and, when
 * pid is set, "project:<pid>". changes is stolen (NULL means {}). */
int vb_activity(vb_op_ctx *c, const char *wid, const char *pid, const char *tid, const char *action,
                json_t *changes);
/* vb_activity when the task's key and title are known (no read of the task). */
int vb_activity_task(vb_op_ctx *c, const char *wid, const char *pid, const char *tid,
                     const char *key, const char *title, const char *action, json_t *changes);
/* ---- notification for user_id (skipped when user_id is the actor); queues the
 * event "notification" {notification, unreadCount} on topic "user:<uid>".
 * data is stolen. */
int vb_notify(vb_op_ctx *c, const char *user_id, const char *wid, const char *type,
              const char *title, json_t *data);
/* Queues "notification_unread" {unreadCount} on topic "user:<uid>" (after
 * notifications were marked read). Returns 0 or fails c. */
int vb_notify_unread(vb_op_ctx *c, const char *user_id);

/* ---- pagination: reads page (>=1, default 1) and limit (1..100, default 20)
 * from the (already validated) query. */
void vb_page_args(const vb_op_ctx *c, int64_t *page, int64_t *limit);
/* Builds {"data": rows (stolen), "meta": {page, limit, total, totalPages, hasNext, hasPrev}}. */
json_t *vb_page_result(json_t *rows, int64_t page, int64_t limit, int64_t total);

/* The same page envelope as text: appends ',"meta":{...}}' to t, which must
 * hold '{"data":' and the rows' array (vb_db_rows_text). */
void vb_page_meta_text(vb_db_text *t, int64_t page, int64_t limit, int64_t total);
/* Makes t's text the op's result (c->result_text), taking its buffer (t is
 * zeroed). 0, or VB_ENOMEM (recorded on c) when t ran out of memory. */
int vb_op_result_text(vb_op_ctx *c, vb_db_text *t);

/* ---- time */
int64_t vb_op_now(void); /* wall-clock ms */
/* Replaces the integer ms value of obj[key] with an ISO 8601 string. */
void vb_json_iso(json_t *obj, const char *key);
/* The same for createdAt and updatedAt of obj, or of each object of an array.
 * Returns obj. */
json_t *vb_op_iso(json_t *obj);

/* ---- errors: when rc is an error and c has no error code yet (a vb_db_* or
 * helper failure), records it ("CONFLICT" for VB_ECONFLICT, else
 * "INTERNAL_ERROR"). Returns rc, so ops can `return vb_op_internal(c, rc)`. */
int vb_op_internal(vb_op_ctx *c, int rc);

/* ---- event topics: "<kind>:<id>", the names the hub's topics and chat rooms
 * use (the store does not depend on the hub, so it names them itself). */
typedef enum vb_op_topic_kind {
    VB_OP_TOPIC_WORKSPACE, /* "workspace:<wid>" */
    VB_OP_TOPIC_PROJECT,   /* "project:<pid>" */
    VB_OP_TOPIC_CHANNEL,   /* "channel:<cid>" */
    VB_OP_TOPIC_USER,      /* "user:<uid>" */
} vb_op_topic_kind;
#define VB_OP_TOPIC_MAX 128 /* a topic name's buffer, NUL included */
/* Writes the topic of kind for id into buf (cut to fit); returns buf. */
char *vb_op_topic(char buf[VB_OP_TOPIC_MAX], vb_op_topic_kind kind, const char *id);

#endif
