/*
 * Task moves and people: PATCH /tasks/:id/status, POST /tasks/:id/reorder and
 * PATCH /tasks/:id/assignees. Columns stay numbered 0..n-1 after every move.
 */
#include "store/vb_ops_pt.h"

#include "core/vb_common.h"

#include <stdio.h>
#include <string.h>

/* Loads task tid into c->result in its API shape. */
static int result_task(vb_op_ctx *c, const char *tid)
{
    json_t *t = NULL;
    int rc = vb_pt_task_load(c->db, tid, &t);
    if (rc || !t) return vb_op_internal(c, rc ? rc : VB_EIO);
    c->result = vb_op_iso(t);
    return 0;
}

/*
 * PATCH /tasks/:id/status {status} (members; 409 when archived). The status
 * must be one of the project's columns (422); the task moves to the end of
 * that column. The same status is a no-op.
 */
int vb_op_task_status(vb_op_ctx *c)
{
    const char *tid = vb_arg_param(c, "id");
    const char *to = vb_arg_str(vb_arg_body(c), "status");
    json_t *t = NULL, *p = NULL;
    int rc = vb_pt_task_access(c, tid, 1, &t, &p, NULL);
    if (rc) return rc;
    if (!vb_pt_column_ok(p, to)) {
        rc = vb_pt_field_error(c, "status", "status must be one of the project's columns");
        goto done;
    }
    if (strcmp(to, vb_arg_str(t, "status") ? vb_arg_str(t, "status") : "")) {
        rc = vb_pt_change_status(c, t, to);
        if (rc) goto done;
    }
    rc = result_task(c, tid);
done:
    json_decref(t);
    json_decref(p);
    return rc;
}

/* A new array of the ids of a that are not in b. */
static json_t *ids_minus(const json_t *a, const json_t *b)
{
    json_t *out = json_array(), *v;
    size_t i, k;
    json_array_foreach(a, i, v)
    {
        int found = 0;
        for (k = 0; k < json_array_size(b) && !found; k++)
            found = json_equal(v, json_array_get(b, k));
        if (!found) json_array_append(out, v);
    }
    return out;
}

int vb_pt_replace_assignees(vb_op_ctx *c, const json_t *task, json_t *ids)
{
    json_t *t = (json_t *)task, *v;
    const char *tid = vb_arg_str(t, "id");
    json_t *added = ids_minus(ids, json_object_get(t, "assigneeIds"));
    json_t *removed = ids_minus(json_object_get(t, "assigneeIds"), ids);
    char title[700];
    size_t i;
    int rc = 0;
    if (!json_array_size(added) && !json_array_size(removed)) goto done;
    rc = vb_pt_set_assignees(c->db, tid, ids);
    if (!rc)
        rc = vb_db_exec(c->db, "UPDATE tasks SET updated_at = ? WHERE id = ?", "is", vb_op_now(),
                        tid);
    if (!rc)
        rc = vb_activity(c, vb_arg_str(t, "workspaceId"), vb_arg_str(t, "projectId"), tid,
                         "assignee_changed",
                         json_pack("{s:O, s:O}", "added", added, "removed", removed));
    if (rc) goto done;
    snprintf(title, sizeof title, "You were assigned to %s: %s", vb_arg_str(t, "key"),
             vb_arg_str(t, "title"));
    json_array_foreach(added, i, v)
    {
        rc =
            vb_notify(c, json_string_value(v), vb_arg_str(t, "workspaceId"), "task_assigned", title,
                      json_pack("{s:s?, s:s?, s:s?, s:s?}", "taskId", tid, "projectId",
                                vb_arg_str(t, "projectId"), "key", vb_arg_str(t, "key"), "title",
                                vb_arg_str(t, "title")));
        if (rc) goto done;
    }
    vb_pt_task_event(c, vb_arg_str(t, "projectId"), tid, vb_arg_str(t, "status"), NULL);
done:
    json_decref(added);
    json_decref(removed);
    return rc;
}

/*
 * PATCH /tasks/:id/assignees {assigneeIds} (members; 409 when archived).
 * Replaces the set; every id must be a workspace member (422). Writes
 * assignee_changed {added, removed} and notifies the newly added.
 */
int vb_op_task_assignees(vb_op_ctx *c)
{
    const char *tid = vb_arg_param(c, "id");
    json_t *given = json_object_get(vb_arg_body(c), "assigneeIds");
    json_t *t = NULL, *ids = NULL, *errors = NULL;
    int rc = vb_pt_task_access(c, tid, 1, &t, NULL, NULL);
    if (rc) return rc;
    if (!json_is_array(given)) {
        rc = vb_pt_field_error(c, "assigneeIds", "assigneeIds must be an array of user ids");
        goto done;
    }
    ids = vb_pt_unique_ids(given);
    errors = json_array();
    rc = vb_pt_check_members(c->db, vb_arg_str(t, "workspaceId"), ids, "assigneeIds", errors);
    if (rc) goto internal;
    if (json_array_size(errors)) {
        rc = vb_pt_fail_errors(c, errors);
        errors = NULL;
        goto done;
    }
    rc = vb_pt_replace_assignees(c, t, ids);
    if (rc) goto internal;
    rc = result_task(c, tid);
    goto done;
internal:
    rc = vb_op_internal(c, rc);
done:
    json_decref(t);
    json_decref(ids);
    json_decref(errors);
    return rc;
}

/*
 * Places task tid at position pos (clamped to the end) of column to, shifting
 * the other tasks of that column so that it is numbered 0..n-1. *placed gets
 * the position used. Does not touch the task's old column; updated_at changes
 * only when the task really moves.
 */
static int place_in_column(vb_db *db, const char *pid, const char *tid, const char *to, int64_t pos,
                           int64_t now, int64_t *placed)
{
    json_t *rows = NULL, *row;
    size_t i;
    int rc = vb_db_rows(db, &rows,
                        "SELECT id, order_index AS orderIndex FROM tasks"
                        " WHERE project_id = ? AND status = ? AND id <> ?"
                        " ORDER BY order_index, created_at, id",
                        "sss", pid, to, tid);
    if (rc) return rc;
    if (pos > (int64_t)json_array_size(rows)) pos = (int64_t)json_array_size(rows);
    json_array_foreach(rows, i, row)
    {
        int64_t want = (int64_t)i < pos ? (int64_t)i : (int64_t)i + 1;
        if (json_integer_value(json_object_get(row, "orderIndex")) == want) continue;
        rc = vb_db_exec(db, "UPDATE tasks SET order_index = ? WHERE id = ?", "is", want,
                        vb_arg_str(row, "id"));
        if (rc) break;
    }
    json_decref(rows);
    if (!rc)
        rc = vb_db_exec(db,
                        "UPDATE tasks SET status = ?, order_index = ?, updated_at = ?"
                        " WHERE id = ? AND (status <> ? OR order_index <> ?)",
                        "siissi", to, pos, now, tid, to, pos);
    *placed = pos;
    return rc;
}

/*
 * POST /tasks/:id/reorder {status, orderIndex} (members; 409 when archived).
 * Moves the task within or across columns; an index past the end means the
 * end; both columns are renumbered 0..n-1. Writes status_changed (and the
 * status notifications) when the column changes, else task_updated
 * {orderIndex} when the position changes.
 */
int vb_op_task_reorder(vb_op_ctx *c)
{
    const char *tid = vb_arg_param(c, "id");
    json_t *body = vb_arg_body(c), *t = NULL, *p = NULL;
    const char *to = vb_arg_str(body, "status"), *from, *pid;
    json_t *idx = json_object_get(body, "orderIndex");
    int64_t want, placed = 0, before;
    int rc = vb_pt_task_access(c, tid, 1, &t, &p, NULL);
    if (rc) return rc;
    if (!vb_pt_column_ok(p, to)) {
        rc = vb_pt_field_error(c, "status", "status must be one of the project's columns");
        goto done;
    }
    if (!json_is_integer(idx) || json_integer_value(idx) < 0) {
        rc = vb_pt_field_error(c, "orderIndex", "orderIndex must be an integer >= 0");
        goto done;
    }
    want = (int64_t)json_integer_value(idx);
    from = vb_arg_str(t, "status");
    pid = vb_arg_str(t, "projectId");
    before = (int64_t)json_integer_value(json_object_get(t, "orderIndex"));
    rc = place_in_column(c->db, pid, tid, to, want, vb_op_now(), &placed);
    if (rc) goto internal;
    if (strcmp(from, to)) {
        char title[256], name[64];
        rc = vb_pt_renumber(c->db, pid, from);
        if (!rc)
            rc = vb_activity(c, vb_arg_str(t, "workspaceId"), pid, tid, "status_changed",
                             json_pack("{s:{s:s, s:s}}", "status", "from", from, "to", to));
        if (rc) goto internal;
        snprintf(title, sizeof title, "%s moved to %s", vb_arg_str(t, "key"),
                 vb_pt_status_name(to, name, sizeof name));
        rc = vb_pt_notify_task(c, t, 1, NULL, "task_status_changed", title,
                               json_pack("{s:s, s:s, s:s?, s:s, s:s}", "taskId", tid, "projectId",
                                         pid, "key", vb_arg_str(t, "key"), "from", from, "to", to));
        if (rc) goto internal;
        vb_pt_task_event(c, pid, tid, to, from);
    } else if (placed != before) {
        rc = vb_activity(c, vb_arg_str(t, "workspaceId"), pid, tid, "task_updated",
                         json_pack("{s:{s:I, s:I}}", "orderIndex", "from", (json_int_t)before, "to",
                                   (json_int_t)placed));
        if (rc) goto internal;
        vb_pt_task_event(c, pid, tid, to, NULL);
    }
    rc = result_task(c, tid);
    goto done;
internal:
    rc = vb_op_internal(c, rc);
done:
    json_decref(t);
    json_decref(p);
    return rc;
}
