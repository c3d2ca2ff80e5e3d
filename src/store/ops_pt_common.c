/*
 * Helpers shared by the project and task operations: loading with access
 * checks, id-set checks against the workspace, column bookkeeping, the
 * task_changed event and task notifications. See vb_ops_pt.h.
 */
#include "store/vb_ops_pt.h"

#include "core/vb_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void vb_pt_add_error(json_t *errors, const char *field, const char *message)
{
    json_array_append_new(errors, json_pack("{s:s, s:s}", "field", field, "message", message));
}

int vb_pt_fail_errors(vb_op_ctx *c, json_t *errors)
{
    json_decref(c->errors);
    c->errors = errors;
    return vb_op_fail(c, VB_EINVAL, "VALIDATION_ERROR", "The request is not valid");
}

int vb_pt_field_error(vb_op_ctx *c, const char *field, const char *message)
{
    json_t *errors = json_array();
    vb_pt_add_error(errors, field, message);
    return vb_pt_fail_errors(c, errors);
}

int vb_pt_project_load(vb_db *db, const char *pid, json_t **out)
{
    *out = NULL;
    if (!pid) return 0;
    return vb_db_row(db, out,
                     "SELECT id, workspace_id AS workspaceId, name, key, description,"
                     " lead_id AS leadId, status, columns AS \"j:columns\","
                     " created_by AS createdBy, created_at AS createdAt, updated_at AS updatedAt"
                     " FROM projects WHERE id = ?",
                     "s", pid);
}

int vb_pt_project_access(vb_op_ctx *c, const char *pid, int for_write, json_t **project,
                         char role[16])
{
    json_t *p = NULL;
    int rc;
    if (project) *project = NULL;
    if (!pid) return vb_op_fail(c, VB_ENOTFOUND, "PROJECT_NOT_FOUND", "Project not found");
    /* The guard's one query is also the project's row (times already ISO). */
    rc = vb_guard_project(c, pid, 0, &p, role);
    if (rc) return rc;
    if (for_write && strcmp(vb_arg_str(p, "status") ? vb_arg_str(p, "status") : "", "active")) {
        json_decref(p);
        return vb_op_fail(c, VB_ECONFLICT, "PROJECT_ARCHIVED", "The project is archived");
    }
    if (project)
        *project = p;
    else
        json_decref(p);
    return 0;
}

int vb_pt_column_ok(const json_t *project, const char *status)
{
    json_t *cols = json_object_get(project, "columns");
    size_t i;
    json_t *col;
    if (!status) return 0;
    json_array_foreach(cols, i, col)
    {
        const char *name = json_string_value(json_object_get(col, "name"));
        if (name && !strcmp(name, status)) return 1;
    }
    return 0;
}

int vb_pt_task_load(vb_db *db, const char *tid, json_t **out)
{
    *out = NULL;
    if (!tid) return 0;
    return vb_db_row(db, out, VB_PT_TASK_SELECT "WHERE t.id = ?", "s", tid);
}

int vb_pt_task_access(vb_op_ctx *c, const char *tid, int for_write, json_t **task, json_t **project,
                      char role[16])
{
    json_t *t = NULL, *p = NULL;
    int rc;
    if (task) *task = NULL;
    if (project) *project = NULL;
    if (!tid) return vb_op_fail(c, VB_ENOTFOUND, "TASK_NOT_FOUND", "Task not found");
    rc = vb_guard_task(c, tid, 0, NULL, role);
    if (rc) return rc;
    rc = vb_pt_task_load(c->db, tid, &t);
    if (rc) return vb_op_internal(c, rc);
    if (!t) return vb_op_fail(c, VB_ENOTFOUND, "TASK_NOT_FOUND", "Task not found");
    rc = vb_pt_project_load(c->db, vb_arg_str(t, "projectId"), &p);
    if (rc || !p) {
        rc = rc ? vb_op_internal(c, rc)
                : vb_op_fail(c, VB_ENOTFOUND, "TASK_NOT_FOUND", "Task not found");
        goto fail;
    }
    if (for_write && strcmp(vb_arg_str(p, "status") ? vb_arg_str(p, "status") : "", "active")) {
        rc = vb_op_fail(c, VB_ECONFLICT, "PROJECT_ARCHIVED", "The project is archived");
        goto fail;
    }
    if (task)
        *task = t;
    else
        json_decref(t);
    if (project)
        *project = p;
    else
        json_decref(p);
    return 0;
fail:
    json_decref(t);
    json_decref(p);
    return rc;
}

/* Runs sql (which selects the offending ids as "id" from VB_IDS of the
 * bound ids and the workspace id) and appends one error per row. */
static int pt_check_ids(vb_db *db, const char *sql, const char *wid, json_t *ids, const char *field,
                        const char *what, json_t *errors)
{
    json_t *rows = NULL;
    size_t i;
    json_t *row;
    int rc;
    if (!json_is_array(ids) || json_array_size(ids) == 0) return 0;
    rc = vb_db_rows(db, &rows, sql, "js", ids, wid);
    if (rc) return rc;
    json_array_foreach(rows, i, row)
    {
        char msg[160];
        const char *id = vb_arg_str(row, "id");
        snprintf(msg, sizeof msg, "%s %s", id ? id : "(invalid)", what);
        vb_pt_add_error(errors, field, msg);
    }
    json_decref(rows);
    return 0;
}

int vb_pt_check_members(vb_db *db, const char *wid, json_t *ids, const char *field, json_t *errors)
{
    return pt_check_ids(db,
                        "SELECT j.value AS id FROM VB_IDS(?) j WHERE NOT EXISTS"
                        " (SELECT 1 FROM workspace_members m WHERE m.workspace_id = ?"
                        " AND m.user_id = j.value)",
                        wid, ids, field, "is not a member of this workspace", errors);
}

int vb_pt_check_labels(vb_db *db, const char *wid, json_t *ids, const char *field, json_t *errors)
{
    return pt_check_ids(db,
                        "SELECT j.value AS id FROM VB_IDS(?) j WHERE NOT EXISTS"
                        " (SELECT 1 FROM labels l WHERE l.workspace_id = ? AND l.id = j.value)",
                        wid, ids, field, "is not a label of this workspace", errors);
}

json_t *vb_pt_unique_ids(const json_t *arr)
{
    json_t *out = json_array();
    size_t i, k;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        int dup = 0;
        if (!json_is_string(v)) continue;
        for (k = 0; k < json_array_size(out) && !dup; k++)
            dup = json_equal(json_array_get(out, k), v);
        if (!dup) json_array_append(out, v);
    }
    return out;
}

int vb_pt_set_labels(vb_db *db, const char *tid, json_t *ids)
{
    int rc = vb_db_exec(db, "DELETE FROM task_labels WHERE task_id = ?", "s", tid);
    if (rc || !json_is_array(ids) || json_array_size(ids) == 0) return rc;
    return vb_db_exec(db,
                      "INSERT INTO task_labels (task_id, label_id)"
                      " SELECT ?, value FROM VB_IDS(?) j WHERE true ON CONFLICT DO NOTHING",
                      "sj", tid, ids);
}

int vb_pt_set_assignees(vb_db *db, const char *tid, json_t *ids)
{
    int rc = vb_db_exec(db, "DELETE FROM task_assignees WHERE task_id = ?", "s", tid);
    if (rc || !json_is_array(ids) || json_array_size(ids) == 0) return rc;
    return vb_db_exec(db,
                      "INSERT INTO task_assignees (task_id, user_id)"
                      " SELECT ?, value FROM VB_IDS(?) j WHERE true ON CONFLICT DO NOTHING",
                      "sj", tid, ids);
}

int vb_pt_column_end(vb_db *db, const char *pid, const char *status, int64_t *out)
{
    return vb_db_int(db, out, 0,
                     "SELECT COALESCE(MAX(order_index) + 1, 0) FROM tasks"
                     " WHERE project_id = ? AND status = ?",
                     "ss", pid, status);
}

int vb_pt_renumber(vb_db *db, const char *pid, const char *status)
{
    return vb_db_exec(db,
                      "UPDATE tasks SET order_index = r.rn FROM"
                      " (SELECT id, ROW_NUMBER() OVER (ORDER BY order_index, created_at, id) - 1"
                      "  AS rn FROM tasks WHERE project_id = ? AND status = ?) AS r"
                      " WHERE tasks.id = r.id AND tasks.order_index <> r.rn",
                      "ss", pid, status);
}

void vb_pt_task_event(vb_op_ctx *c, const char *pid, const char *tid, const char *status,
                      const char *prev)
{
    char topic[VB_OP_TOPIC_MAX];
    json_t *data = json_pack("{s:s, s:s, s:s?}", "projectId", pid, "taskId", tid, "status", status);
    if (!data) return;
    if (prev) json_object_set_new(data, "previousStatus", json_string(prev));
    vb_op_topic(topic, VB_OP_TOPIC_PROJECT, pid);
    vb_op_event(c, topic, "task_changed", data);
}

int vb_pt_notify_task(vb_op_ctx *c, const json_t *task, int with_reporter, const json_t *skip,
                      const char *type, const char *title, json_t *data)
{
    json_t *who = vb_pt_unique_ids(json_object_get(task, "assigneeIds"));
    const char *wid = vb_arg_str((json_t *)task, "workspaceId");
    size_t i;
    json_t *v;
    int rc = 0;
    if (with_reporter) {
        json_array_append_new(who, json_string(vb_arg_str((json_t *)task, "reporterId")));
        json_t *u = vb_pt_unique_ids(who);
        json_decref(who);
        who = u;
    }
    json_array_foreach(who, i, v)
    {
        int skipped = 0;
        for (size_t k = 0; k < json_array_size(skip) && !skipped; k++)
            skipped = json_equal(json_array_get(skip, k), v);
        if (skipped) continue;
        rc = vb_notify(c, json_string_value(v), wid, type, title, json_deep_copy(data));
        if (rc) break;
    }
    json_decref(who);
    json_decref(data);
    return rc;
}

int vb_pt_move_to_end(vb_op_ctx *c, const json_t *task, const char *to, int64_t now)
{
    const char *pid = vb_arg_str((json_t *)task, "projectId");
    const char *from = vb_arg_str((json_t *)task, "status");
    int64_t end = 0;
    int rc = vb_pt_column_end(c->db, pid, to, &end);
    if (!rc)
        rc = vb_db_exec(c->db,
                        "UPDATE tasks SET status = ?, order_index = ?, updated_at = ? WHERE id = ?",
                        "siis", to, end, now, vb_arg_str((json_t *)task, "id"));
    if (!rc && from) rc = vb_pt_renumber(c->db, pid, from);
    return rc;
}

const char *vb_pt_status_name(const char *status, char *out, size_t n)
{
    size_t i = 0;
    if (!n) return out;
    for (; status && status[i] && i + 1 < n; i++) {
        char ch = status[i] == '-' || status[i] == '_' ? ' ' : status[i];
        out[i] = i == 0 && ch >= 'a' && ch <= 'z' ? (char)(ch - 'a' + 'A') : ch;
    }
    out[i] = '\0';
    return out;
}

int vb_pt_change_status(vb_op_ctx *c, const json_t *task, const char *to)
{
    json_t *t = (json_t *)task;
    const char *from = vb_arg_str(t, "status");
    const char *key = vb_arg_str(t, "key");
    char title[256], name[64];
    int rc = vb_pt_move_to_end(c, task, to, vb_op_now());
    if (rc) return vb_op_internal(c, rc);
    rc = vb_activity(c, vb_arg_str(t, "workspaceId"), vb_arg_str(t, "projectId"),
                     vb_arg_str(t, "id"), "status_changed",
                     json_pack("{s:{s:s?, s:s}}", "status", "from", from, "to", to));
    if (rc) return vb_op_internal(c, rc);
    snprintf(title, sizeof title, "%s moved to %s", key ? key : "Task",
             vb_pt_status_name(to, name, sizeof name));
    rc = vb_pt_notify_task(c, task, 1, NULL, "task_status_changed", title,
                           json_pack("{s:s?, s:s?, s:s?, s:s?, s:s}", "taskId", vb_arg_str(t, "id"),
                                     "projectId", vb_arg_str(t, "projectId"), "key", key, "from",
                                     from, "to", to));
    if (rc) return vb_op_internal(c, rc);
    vb_pt_task_event(c, vb_arg_str(t, "projectId"), vb_arg_str(t, "id"), to, from);
    return 0;
}

void vb_pt_ids_hook(vb_db_text *out, const char *key, const char *text, size_t n, void *ud)
{
    vb_pt_ids *x = ud;
    if (x->oom) return;
    if (x->n == x->cap) {
        size_t cap = x->cap ? 2 * x->cap : 256;
        size_t *g = realloc(x->gaps, cap * sizeof *g);
        if (!g) {
            x->oom = 1;
            return;
        }
        x->gaps = g;
        x->cap = cap;
    }
    /* The hook columns come in pairs, assigneeIds first: gap 2r is row r's
     * assignees, 2r + 1 its labels. Only the first carries the id on. */
    if (x->n % 2 == 0) {
        if (strcmp(key, "assigneeIds") != 0 || !text) {
            x->oom = 1;
            return;
        }
        vb_db_text_put(&x->ids, x->ids.len ? "," : "[", 1);
        vb_db_text_str(&x->ids, text, n);
    }
    x->gaps[x->n++] = out->len;
}

/* The page's assignees (k 0) and labels (k 1) by row position i (the key of
 * the id array), sorted as the subqueries of VB_PT_TASK_SELECT_API sort them. */
static const char ids_sql[] = "SELECT j.idx AS i, 0 AS k, a.user_id AS v FROM VB_IDS(?) j"
                              " JOIN task_assignees a ON a.task_id = j.value"
                              " UNION ALL SELECT j.idx, 1, l.label_id FROM VB_IDS(?) j"
                              " JOIN task_labels l ON l.task_id = j.value ORDER BY 1, 2, 3";

int vb_pt_ids_fill(vb_db *db, vb_db_text *out, vb_pt_ids *x)
{
    json_t *rows = NULL;
    vb_db_text res = {0};
    size_t prev = 0, r = 0, nrows;
    int rc = x->oom || x->ids.oom ? VB_ENOMEM : 0;
    if (rc || x->n == 0) goto done;
    vb_db_text_put(&x->ids, "]", 1);
    if (x->ids.oom || out->oom) {
        rc = VB_ENOMEM;
        goto done;
    }
    rc = vb_db_rows(db, &rows, ids_sql, "ss", x->ids.data, x->ids.data);
    if (rc) goto done;
    nrows = json_array_size(rows);
    for (size_t g = 0; g < x->n; g++) {
        vb_db_text_put(&res, out->data + prev, x->gaps[g] - prev);
        prev = x->gaps[g];
        vb_db_text_put(&res, "[", 1);
        for (size_t first = r; r < nrows; r++) {
            json_t *row = json_array_get(rows, r);
            json_int_t slot = 2 * json_integer_value(json_object_get(row, "i")) +
                              json_integer_value(json_object_get(row, "k"));
            const char *v = json_string_value(json_object_get(row, "v"));
            if (slot != (json_int_t)g || !v) break;
            if (r != first) vb_db_text_put(&res, ",", 1);
            vb_db_text_str(&res, v, strlen(v));
        }
        vb_db_text_put(&res, "]", 1);
    }
    vb_db_text_put(&res, out->data + prev, out->len - prev);
    if (res.oom) {
        rc = VB_ENOMEM;
        goto done;
    }
    vb_db_text_free(out);
    *out = res;
    res = (vb_db_text){0};
done:
    json_decref(rows);
    vb_db_text_free(&res);
    vb_pt_ids_free(x);
    return rc;
}

void vb_pt_ids_free(vb_pt_ids *x)
{
    vb_db_text_free(&x->ids);
    free(x->gaps);
    memset(x, 0, sizeof *x);
}
