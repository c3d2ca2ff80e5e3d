/*
 * Notification operations (see vb_ops_collab.h). Notifications are written
 * by vb_notify (vb_ops.h); these operations only read them and mark them
 * read, and only ever touch the caller's own: another user's notification is
 * 404 like an unknown one.
 */
#include "store/vb_ops_collab.h"

#include "core/vb_common.h"
#include "store/vb_ops_pt.h"
#include "store/vb_ops_ws.h"

#define NOTIFICATION_SELECT                                                                        \
    "SELECT n.id AS id, n.type AS type, n.title AS title, n.data AS \"j:data\","                   \
    " n.workspace_id AS workspaceId, n.read_at IS NOT NULL AS \"b:read\","                         \
    " n.read_at AS readAt, n.created_at AS createdAt FROM notifications n "

/* Converts the times of one notification row (or an array of them) to ISO. */
static json_t *notification_iso(json_t *v)
{
    size_t i;
    json_t *row;

    if (json_is_object(v)) {
        vb_op_iso(v);
        vb_json_iso(v, "readAt");
        return v;
    }
    json_array_foreach(v, i, row) notification_iso(row);
    return v;
}

int vb_op_notification_list(vb_op_ctx *c)
{
    const char *actor = vb_arg_actor(c);
    int64_t page, limit, total = 0, unread;
    json_t *rows = NULL;
    int rc;

    if (!actor) return vb_op_fail(c, VB_EUNAUTH, "UNAUTHORIZED", "Authentication required");
    unread = json_is_true(json_object_get(vb_arg_query(c), "unread")) ? 1 : 0;
    vb_page_args(c, &page, &limit);
    rc = vb_db_int(c->db, &total, 0,
                   "SELECT COUNT(*) FROM notifications WHERE user_id = ?"
                   " AND (? = 0 OR read_at IS NULL)",
                   "si", actor, unread);
    if (!rc)
        rc = vb_db_rows(c->db, &rows,
                        NOTIFICATION_SELECT "WHERE n.user_id = ? AND (? = 0 OR n.read_at IS NULL)"
                                            " ORDER BY n.id DESC LIMIT ? OFFSET ?",
                        "siii", actor, unread, limit, (page - 1) * limit);
    if (rc) return vb_op_internal(c, rc);
    c->result = vb_page_result(notification_iso(rows), page, limit, total);
    return c->result ? 0 : vb_op_fail(c, VB_ENOMEM, "INTERNAL_ERROR", "Out of memory");
}

/* Marks one of the caller's notifications read (keeping the first readAt
 * when it was read already) and returns it. */
int vb_op_notification_read(vb_op_ctx *c)
{
    const char *actor = vb_arg_actor(c), *nid = vb_arg_param(c, "id");
    json_t *row = NULL;
    int rc;

    if (!actor || !nid)
        return vb_op_fail(c, VB_ENOTFOUND, "NOTIFICATION_NOT_FOUND", "Notification not found");
    rc = vb_db_exec(c->db,
                    "UPDATE notifications SET read_at = COALESCE(read_at, ?)"
                    " WHERE id = ? AND user_id = ?",
                    "iss", vb_op_now(), nid, actor);
    if (!rc)
        rc = vb_db_row(c->db, &row, NOTIFICATION_SELECT "WHERE n.id = ? AND n.user_id = ?", "ss",
                       nid, actor);
    if (rc) return vb_op_internal(c, rc);
    if (!row)
        return vb_op_fail(c, VB_ENOTFOUND, "NOTIFICATION_NOT_FOUND", "Notification not found");
    rc = vb_notify_unread(c, actor);
    if (rc) {
        json_decref(row);
        return rc;
    }
    c->result = notification_iso(row);
    return 0;
}

int vb_op_notification_read_all(vb_op_ctx *c)
{
    const char *actor = vb_arg_actor(c);
    int rc;

    if (!actor) return vb_op_fail(c, VB_EUNAUTH, "UNAUTHORIZED", "Authentication required");
    rc = vb_db_exec(c->db,
                    "UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL",
                    "is", vb_op_now(), actor);
    if (rc) return vb_op_internal(c, rc);
    c->result = json_pack("{s:I}", "updated", (json_int_t)vb_db_changes(c->db));
    if (c->result && (rc = vb_notify_unread(c, actor)) != 0) return rc;
    return c->result ? 0 : vb_op_fail(c, VB_ENOMEM, "INTERNAL_ERROR", "Out of memory");
}

int vb_op_notification_unread(vb_op_ctx *c)
{
    const char *actor = vb_arg_actor(c);
    int64_t n = 0;
    int rc;

    if (!actor) return vb_op_fail(c, VB_EUNAUTH, "UNAUTHORIZED", "Authentication required");
    rc = vb_db_int(c->db, &n, 0,
                   "SELECT COUNT(*) FROM notifications WHERE user_id = ? AND read_at IS NULL", "s",
                   actor);
    if (rc) return vb_op_internal(c, rc);
    c->result = json_pack("{s:I}", "count", (json_int_t)n);
    return c->result ? 0 : vb_op_fail(c, VB_ENOMEM, "INTERNAL_ERROR", "Out of memory");
}
