/*
 * Helpers shared by every store operation (declared in vb_ops.h): argument
 * access, membership guards, activity rows, notifications, pagination, time.
 * They run on the store thread inside the calling operation's savepoint.
 */
#include "store/vb_ops.h"
#include "store/vb_ops_mail.h"
#include "store/vb_ops_ws.h"

#include "core/vb_common.h"
#include "core/vb_id.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- argument access ---------------------------------------------------- */

/*
 * Returns args[key] when it is an object. When it is missing (or not an
 * object) an empty object is put in its place, so callers never see NULL: the
 * arguments belong to the store for the whole run of the operation, so
 * completing them here is safe. Falls back to a per-thread empty object when
 * args itself is not an object (never for arguments built by the store).
 */
static json_t *arg_object(const vb_op_ctx *c, const char *key)
{
    static _Thread_local json_t *fallback;
    json_t *args = (json_t *)c->args;
    json_t *o = json_object_get(args, key);

    if (json_is_object(o)) return o;
    if (json_is_object(args)) {
        o = json_object();
        if (o && json_object_set_new(args, key, o) == 0) return o;
    }
    if (!fallback) fallback = json_object();
    json_object_clear(fallback);
    return fallback;
}

const char *vb_arg_actor(const vb_op_ctx *c)
{
    json_t *actor = json_object_get(c->args, "actor");
    return json_string_value(json_object_get(actor, "id"));
}

const char *vb_arg_param(const vb_op_ctx *c, const char *name)
{
    return json_string_value(json_object_get(json_object_get(c->args, "params"), name));
}

json_t *vb_arg_body(const vb_op_ctx *c)
{
    return arg_object(c, "body");
}

json_t *vb_arg_query(const vb_op_ctx *c)
{
    return arg_object(c, "query");
}

const char *vb_arg_str(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* ---- small helpers (vb_ops_ws.h) --------------------------------------- */

void vb_json_iso(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    char iso[32];

    if (!json_is_integer(v)) return;
    vb_iso8601((int64_t)json_integer_value(v), iso);
    json_object_set_new(obj, key, json_string(iso));
}

int vb_op_internal(vb_op_ctx *c, int rc)
{
    if (!rc || c->code[0]) return rc;
    if (rc == VB_ENOMEM) return vb_op_fail(c, rc, "INTERNAL_ERROR", "Out of memory");
    if (rc == VB_ECONFLICT) return vb_op_fail(c, rc, "CONFLICT", "Conflicting change");
    return vb_op_fail(c, rc, "INTERNAL_ERROR", "Internal error");
}

json_t *vb_op_iso(json_t *obj)
{
    size_t i;
    json_t *v;
    if (json_is_array(obj)) {
        json_array_foreach(obj, i, v) vb_op_iso(v);
        return obj;
    }
    vb_json_iso(obj, "createdAt");
    vb_json_iso(obj, "updatedAt");
    return obj;
}

int vb_user_shape(vb_op_ctx *c, const char *uid, json_t **out)
{
    int rc = vb_db_row(c->db, out,
                       "SELECT id, email, first_name AS firstName, last_name AS lastName,"
                       " avatar_url AS avatarUrl, role,"
                       " email_notifications AS \"b:emailNotifications\", created_at AS createdAt,"
                       " updated_at AS updatedAt FROM users WHERE id = ?",
                       "s", uid);
    if (rc < 0) return vb_op_internal(c, rc);
    if (*out) {
        vb_json_iso(*out, "createdAt");
        vb_json_iso(*out, "updatedAt");
    }
    return 0;
}

/* ---- guards ------------------------------------------------------------- */

/*
 * Shared tail of the guards: row is the object joined with the actor's
 * membership (column "memberRole"), or NULL when the object does not exist or
 * the actor is not a member. Fails with kind's NOT_FOUND code or FORBIDDEN,
 * fills role_out, converts the row's times and hands it to *row_out (or drops
 * it). Takes ownership of row.
 */
static int guard_finish(vb_op_ctx *c, json_t *row, const char *code, const char *what,
                        int need_admin, json_t **row_out, char role_out[16])
{
    const char *role;

    if (row_out) *row_out = NULL;
    if (!row) return vb_op_fail(c, VB_ENOTFOUND, code, "%s not found", what);
    role = json_string_value(json_object_get(row, "memberRole"));
    if (!role) role = "member";
    if (need_admin && strcmp(role, "admin") != 0) {
        json_decref(row);
        return vb_op_fail(c, VB_EFORBIDDEN, "FORBIDDEN", "Only workspace admins may do this");
    }
    if (role_out) snprintf(role_out, 16, "%s", role);
    json_object_del(row, "memberRole");
    vb_json_iso(row, "createdAt");
    vb_json_iso(row, "updatedAt");
    if (row_out)
        *row_out = row;
    else
        json_decref(row);
    return 0;
}

int vb_guard_workspace(vb_op_ctx *c, const char *wid, int need_admin, char role_out[16])
{
    const char *actor = vb_arg_actor(c);
    json_t *row = NULL;
    int rc;

    if (wid && actor) {
        rc = vb_db_row(c->db, &row,
                       "SELECT role AS memberRole FROM workspace_members"
                       " WHERE workspace_id = ? AND user_id = ?",
                       "ss", wid, actor);
        if (rc < 0) return vb_op_internal(c, rc);
    }
    return guard_finish(c, row, "WORKSPACE_NOT_FOUND", "Workspace", need_admin, NULL, role_out);
}

int vb_guard_project(vb_op_ctx *c, const char *pid, int need_admin, json_t **project_out,
                     char role_out[16])
{
    const char *actor = vb_arg_actor(c);
    json_t *row = NULL;
    int rc;

    if (project_out) *project_out = NULL;
    if (pid && actor) {
        rc = vb_db_row(c->db, &row,
                       "SELECT p.id, p.workspace_id AS workspaceId, p.name, p.key,"
                       " p.description, p.lead_id AS leadId, p.status,"
                       " p.columns AS \"j:columns\", p.created_by AS createdBy,"
                       " p.created_at AS createdAt, p.updated_at AS updatedAt,"
                       " m.role AS memberRole"
                       " FROM projects p JOIN workspace_members m"
                       "  ON m.workspace_id = p.workspace_id AND m.user_id = ?"
                       " WHERE p.id = ?",
                       "ss", actor, pid);
        if (rc < 0) return vb_op_internal(c, rc);
    }
    return guard_finish(c, row, "PROJECT_NOT_FOUND", "Project", need_admin, project_out, role_out);
}

int vb_guard_task(vb_op_ctx *c, const char *tid, int need_admin, json_t **task_out,
                  char role_out[16])
{
    const char *actor = vb_arg_actor(c);
    json_t *row = NULL;
    int rc;

    if (task_out) *task_out = NULL;
    if (tid && actor) {
        rc = vb_db_row(c->db, &row,
                       "SELECT t.id, t.project_id AS projectId, t.workspace_id AS workspaceId,"
                       " t.number, t.key, t.title, t.description, t.status, t.priority,"
                       " t.reporter_id AS reporterId, t.parent_task_id AS parentTaskId,"
                       " t.due_date AS dueDate, t.estimate_points AS estimatePoints,"
                       " t.order_index AS orderIndex, t.comment_count AS commentCount,"
                       " COALESCE((SELECT VB_JSON_AGG(user_id) FROM (SELECT user_id FROM"
                       "   task_assignees WHERE task_id = t.id ORDER BY user_id) s), '[]')"
                       "   AS \"j:assigneeIds\","
                       " COALESCE((SELECT VB_JSON_AGG(label_id) FROM (SELECT label_id FROM"
                       "   task_labels WHERE task_id = t.id ORDER BY label_id) s), '[]')"
                       "   AS \"j:labelIds\","
                       " t.created_at AS createdAt, t.updated_at AS updatedAt,"
                       " m.role AS memberRole"
                       " FROM tasks t JOIN workspace_members m"
                       "  ON m.workspace_id = t.workspace_id AND m.user_id = ?"
                       " WHERE t.id = ?",
                       "ss", actor, tid);
        if (rc < 0) return vb_op_internal(c, rc);
    }
    return guard_finish(c, row, "TASK_NOT_FOUND", "Task", need_admin, task_out, role_out);
}

/* ---- activity and notifications ----------------------------------------- */

/* json_string(s), or JSON null when s is NULL. */
static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* Writes the activity entry and queues its events; task {taskKey,
 * taskTitle} names the entry's task (NULL: none). Steals changes. */
static int activity_write(vb_op_ctx *c, const char *wid, const char *pid, const char *tid,
                          const char *action, json_t *changes, json_t *task)
{
    const char *actor = vb_arg_actor(c);
    char id[VB_ID_LEN + 1], iso[32], topic[VB_OP_TOPIC_MAX];
    int64_t now = vb_op_now();
    json_t *ev;
    int rc;

    if (!changes) changes = json_object();
    if (!changes) return vb_op_fail(c, VB_ENOMEM, "INTERNAL_ERROR", "Out of memory");
    if (!actor) actor = "";
    vb_id_new(id);
    rc = vb_db_exec(c->db,
                    "INSERT INTO activity (id, workspace_id, project_id, task_id, actor_id,"
                    " action, changes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    "ssssssji", id, wid, pid, tid, actor, action, changes, now);
    if (rc < 0) {
        json_decref(changes);
        return vb_op_internal(c, rc);
    }
    vb_iso8601(now, iso);
    ev = json_pack("{s:s, s:o, s:o, s:o, s:s, s:s, s:o, s:s}", "id", id, "workspaceId",
                   str_or_null(wid), "projectId", str_or_null(pid), "taskId", str_or_null(tid),
                   "actorId", actor, "action", action, "changes", changes, "createdAt", iso);
    if (!ev) return vb_op_fail(c, VB_ENOMEM, "INTERNAL_ERROR", "Out of memory");
    for (int k = 0; k < 2; k++) {
        const char *f = k ? "taskTitle" : "taskKey";
        json_t *v = task ? json_object_get(task, f) : NULL;
        json_object_set(ev, f, v ? v : json_null());
    }
    if (pid) {
        vb_op_topic(topic, VB_OP_TOPIC_PROJECT, pid);
        vb_op_event(c, topic, "activity", json_incref(ev));
    }
    vb_op_topic(topic, VB_OP_TOPIC_WORKSPACE, wid);
    vb_op_event(c, topic, "activity", ev);
    return 0;
}

int vb_activity(vb_op_ctx *c, const char *wid, const char *pid, const char *tid, const char *action,
                json_t *changes)
{
    json_t *task = NULL;
    /* The entry names its task, as the activity reads do. */
    int rc = tid ? vb_db_row(c->db, &task,
                             "SELECT key AS taskKey, title AS taskTitle FROM tasks"
                             " WHERE id = ?",
                             "s", tid)
                 : 0;
    if (rc < 0) {
        json_decref(changes);
        return vb_op_internal(c, rc);
    }
    rc = activity_write(c, wid, pid, tid, action, changes, task);
    json_decref(task);
    return rc;
}

int vb_activity_task(vb_op_ctx *c, const char *wid, const char *pid, const char *tid,
                     const char *key, const char *title, const char *action, json_t *changes)
{
    json_t *task = json_pack("{s:s?, s:s?}", "taskKey", key, "taskTitle", title);
    if (!task) {
        json_decref(changes);
        return vb_op_fail(c, VB_ENOMEM, "INTERNAL_ERROR", "Out of memory");
    }
    int rc = activity_write(c, wid, pid, tid, action, changes, task);
    json_decref(task);
    return rc;
}

int vb_notify(vb_op_ctx *c, const char *user_id, const char *wid, const char *type,
              const char *title, json_t *data)
{
    const char *actor = vb_arg_actor(c);
    char id[VB_ID_LEN + 1], iso[32], topic[VB_OP_TOPIC_MAX];
    int64_t now = vb_op_now(), unread = 0;
    json_t *ev;
    int rc;

    if (!user_id || (actor && strcmp(actor, user_id) == 0)) {
        json_decref(data);
        return 0;
    }
    if (!data) data = json_object();
    if (!data) return vb_op_fail(c, VB_ENOMEM, "INTERNAL_ERROR", "Out of memory");
    vb_id_new(id);
    rc = vb_db_exec(c->db,
                    "INSERT INTO notifications (id, user_id, workspace_id, type, title, data,"
                    " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    "sssssji", id, user_id, wid, type, title, data, now);
    if (rc < 0) {
        json_decref(data);
        return vb_op_internal(c, rc);
    }
    rc = vb_db_int(c->db, &unread, 0,
                   "SELECT COUNT(*) FROM notifications WHERE user_id = ? AND read_at IS NULL", "s",
                   user_id);
    if (rc < 0) {
        json_decref(data);
        return vb_op_internal(c, rc);
    }
    vb_iso8601(now, iso);
    ev = json_pack("{s:{s:s, s:s, s:o, s:s, s:s, s:o, s:b, s:n, s:s}, s:I}", "notification", "id",
                   id, "userId", user_id, "workspaceId", str_or_null(wid), "type", type, "title",
                   title, "data", data, "read", 0, "readAt", "createdAt", iso, "unreadCount",
                   (json_int_t)unread);
    if (!ev) return vb_op_fail(c, VB_ENOMEM, "INTERNAL_ERROR", "Out of memory");
    vb_op_topic(topic, VB_OP_TOPIC_USER, user_id);
    vb_op_event(c, topic, "notification", ev);
    /* The notification mails (assigned, mentioned, due) go in the same
     * transaction; vb_mail_enqueue drops them for users who turned them off. */
    if (vb_op_mail_is_notification(type)) {
        json_t *params = json_deep_copy(data);
        if (!params) return vb_op_fail(c, VB_ENOMEM, "INTERNAL_ERROR", "Out of memory");
        json_object_set_new(params, "subject", json_string(title));
        json_object_set_new(params, "workspaceId", str_or_null(wid));
        return vb_mail_enqueue(c, type, user_id, params);
    }
    return 0;
}

int vb_notify_unread(vb_op_ctx *c, const char *user_id)
{
    char topic[VB_OP_TOPIC_MAX];
    int64_t unread = 0;
    json_t *ev;
    int rc = vb_db_int(c->db, &unread, 0,
                       "SELECT COUNT(*) FROM notifications WHERE user_id = ? AND read_at IS NULL",
                       "s", user_id);
    if (rc < 0) return vb_op_internal(c, rc);
    ev = json_pack("{s:I}", "unreadCount", (json_int_t)unread);
    if (!ev) return vb_op_fail(c, VB_ENOMEM, "INTERNAL_ERROR", "Out of memory");
    vb_op_topic(topic, VB_OP_TOPIC_USER, user_id);
    vb_op_event(c, topic, "notification_unread", ev);
    return 0;
}

/* ---- pagination and time ------------------------------------------------ */

void vb_page_args(const vb_op_ctx *c, int64_t *page, int64_t *limit)
{
    json_t *q = vb_arg_query(c);
    json_t *p = json_object_get(q, "page"), *l = json_object_get(q, "limit");

    *page = json_is_integer(p) ? (int64_t)json_integer_value(p) : 1;
    *limit = json_is_integer(l) ? (int64_t)json_integer_value(l) : 20;
    if (*page < 1) *page = 1;
    if (*limit < 1) *limit = 1;
    if (*limit > 100) *limit = 100;
}

json_t *vb_page_result(json_t *rows, int64_t page, int64_t limit, int64_t total)
{
    int64_t pages = limit > 0 ? (total + limit - 1) / limit : 0;

    if (!rows) rows = json_array();
    return json_pack("{s:o, s:{s:I, s:I, s:I, s:I, s:b, s:b}}", "data", rows, "meta", "page",
                     (json_int_t)page, "limit", (json_int_t)limit, "total", (json_int_t)total,
                     "totalPages", (json_int_t)pages, "hasNext", page<pages, "hasPrev", page> 1);
}

void vb_page_meta_text(vb_db_text *t, int64_t page, int64_t limit, int64_t total)
{
    int64_t pages = limit > 0 ? (total + limit - 1) / limit : 0;
    /* Same keys, order and values as vb_page_result. */
    vb_db_text_puts(t, ",\"meta\":{\"page\":");
    vb_db_text_int(t, page);
    vb_db_text_puts(t, ",\"limit\":");
    vb_db_text_int(t, limit);
    vb_db_text_puts(t, ",\"total\":");
    vb_db_text_int(t, total);
    vb_db_text_puts(t, ",\"totalPages\":");
    vb_db_text_int(t, pages);
    vb_db_text_puts(t, page < pages ? ",\"hasNext\":true" : ",\"hasNext\":false");
    vb_db_text_puts(t, page > 1 ? ",\"hasPrev\":true}}" : ",\"hasPrev\":false}}");
}

int vb_op_result_text(vb_op_ctx *c, vb_db_text *t)
{
    if (t->oom || !t->data) {
        vb_db_text_free(t);
        return vb_op_internal(c, VB_ENOMEM);
    }
    free(c->result_text);
    c->result_text = t->data;
    c->result_text_len = t->len;
    memset(t, 0, sizeof *t);
    return 0;
}

int64_t vb_op_now(void)
{
    return vb_wall_ms();
}

char *vb_op_topic(char buf[VB_OP_TOPIC_MAX], vb_op_topic_kind kind, const char *id)
{
    static const char *const kinds[] = {"workspace", "project", "channel", "user"};

    snprintf(buf, VB_OP_TOPIC_MAX, "%s:%s", kinds[kind], id);
    return buf;
}
