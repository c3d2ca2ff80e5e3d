/*
 * Task edits: PATCH /tasks/:id (fields, labels, parent, and optionally the
 * status with the same rules as the status route) and DELETE /tasks/:id.
 */
#include "store/vb_ops_pt.h"

#include "core/vb_common.h"

#include <string.h>

/* 1 if a and b (each may be NULL) are the same string or both NULL. */
static int same_str(const char *a, const char *b)
{
    if (!a || !b) return a == b;
    return strcmp(a, b) == 0;
}

/* 1 if p is one of the task priorities. */
static int priority_ok(const char *p)
{
    static const char *const all[] = {"critical", "high", "medium", "low", "none"};
    for (size_t i = 0; i < VB_ARRAY_LEN(all); i++)
        if (!strcmp(p, all[i])) return 1;
    return 0;
}

/* 1 if a and b (JSON numbers or null/NULL) hold the same value. */
static int same_num(const json_t *a, const json_t *b)
{
    int an = json_is_number(a), bn = json_is_number(b);
    if (!an || !bn) return an == bn;
    return json_number_value(a) == json_number_value(b);
}

/* 1 if the id arrays a and b (without duplicates) hold the same ids. */
static int same_set(const json_t *a, const json_t *b)
{
    size_t i, k;
    json_t *v;
    if (json_array_size(a) != json_array_size(b)) return 0;
    json_array_foreach(a, i, v)
    {
        int found = 0;
        for (k = 0; k < json_array_size(b) && !found; k++)
            found = json_equal(v, json_array_get(b, k));
        if (!found) return 0;
    }
    return 1;
}

/* Records {from, to} (both borrowed, copied; NULL is null) for field. */
static void add_change(json_t *changes, const char *field, json_t *from, json_t *to)
{
    json_object_set_new(
        changes, field,
        json_pack("{s:O, s:O}", "from", from ? from : json_null(), "to", to ? to : json_null()));
}

/* Appends a field error when parent (a task id) cannot be the parent of task
 * t: itself, another project, or a descendant of t. Returns 0 or VB_EIO. */
static int check_parent(vb_op_ctx *c, json_t *t, const char *parent, json_t *errors)
{
    const char *tid = vb_arg_str(t, "id");
    int64_t n = 0;
    int rc;
    if (same_str(parent, tid)) {
        vb_pt_add_error(errors, "parentTaskId", "a task cannot be its own parent");
        return 0;
    }
    rc = vb_db_int(c->db, &n, 0, "SELECT COUNT(*) FROM tasks WHERE id = ? AND project_id = ?", "ss",
                   parent, vb_arg_str(t, "projectId"));
    if (rc) return rc;
    if (!n) {
        vb_pt_add_error(errors, "parentTaskId", "parentTaskId must be a task of this project");
        return 0;
    }
    rc = vb_db_int(c->db, &n, 0,
                   "WITH RECURSIVE anc(id) AS (SELECT ? UNION SELECT t.parent_task_id FROM tasks t"
                   " JOIN anc ON t.id = anc.id WHERE t.parent_task_id IS NOT NULL)"
                   " SELECT COUNT(*) FROM anc WHERE id = ?",
                   "ss", parent, tid);
    if (rc) return rc;
    if (n) vb_pt_add_error(errors, "parentTaskId", "parentTaskId would create a cycle");
    return 0;
}

/*
 * Compares body with the raw task t: fills changes with {field:{from,to}} for
 * the fields that really change and appends field errors. *labels receives
 * the new label set when labelIds was given (new), else NULL. Returns 0 or
 * VB_EIO.
 */
static int update_diff(vb_op_ctx *c, json_t *t, json_t *p, json_t *body, json_t *changes,
                       json_t *errors, json_t **labels, json_t **assignees)
{
    static const char *const strs[] = {"title", "description", "priority", "dueDate"};
    json_t *v;
    int rc;
    *labels = NULL;
    *assignees = NULL;
    for (size_t i = 0; i < VB_ARRAY_LEN(strs); i++) {
        v = json_object_get(body, strs[i]);
        if (!v) continue;
        if (!json_is_string(v) && !json_is_null(v)) {
            vb_pt_add_error(errors, strs[i], "must be a string");
            continue;
        }
        if (json_is_null(v) && (i == 0 || i == 2)) {
            vb_pt_add_error(errors, strs[i], "must not be null");
            continue;
        }
        if (!same_str(json_string_value(v), vb_arg_str(t, strs[i])))
            add_change(changes, strs[i], json_object_get(t, strs[i]), v);
    }
    v = json_object_get(body, "priority");
    if (json_is_string(v) && !priority_ok(json_string_value(v)))
        vb_pt_add_error(errors, "priority", "priority must be critical, high, medium, low or none");
    v = json_object_get(body, "title");
    if (json_is_string(v) && !*json_string_value(v))
        vb_pt_add_error(errors, "title", "title must not be empty");
    v = json_object_get(body, "estimatePoints");
    if (v && !json_is_number(v) && !json_is_null(v))
        vb_pt_add_error(errors, "estimatePoints", "estimatePoints must be a number");
    else if (v && !same_num(v, json_object_get(t, "estimatePoints")))
        add_change(changes, "estimatePoints", json_object_get(t, "estimatePoints"), v);
    v = json_object_get(body, "parentTaskId");
    if (v && !json_is_null(v) && !same_str(json_string_value(v), vb_arg_str(t, "parentTaskId"))) {
        rc = check_parent(c, t, json_string_value(v), errors);
        if (rc) return rc;
    }
    if (v && !same_str(json_string_value(v), vb_arg_str(t, "parentTaskId")))
        add_change(changes, "parentTaskId", json_object_get(t, "parentTaskId"), v);
    v = json_object_get(body, "status");
    if (v && !vb_pt_column_ok(p, json_string_value(v)))
        vb_pt_add_error(errors, "status", "status must be one of the project's columns");
    v = json_object_get(body, "labelIds");
    if (v) {
        *labels = vb_pt_unique_ids(v);
        rc = vb_pt_check_labels(c->db, vb_arg_str(t, "workspaceId"), *labels, "labelIds", errors);
        if (rc) return rc;
        if (!same_set(*labels, json_object_get(t, "labelIds")))
            add_change(changes, "labelIds", json_object_get(t, "labelIds"), *labels);
    }
    v = json_object_get(body, "assigneeIds");
    if (v) {
        *assignees = vb_pt_unique_ids(v);
        rc = vb_pt_check_members(c->db, vb_arg_str(t, "workspaceId"), *assignees, "assigneeIds",
                                 errors);
        if (rc) return rc;
    }
    return 0;
}

/* The new value of field: the change's "to" when changes has it, else t's. */
static json_t *new_value(json_t *changes, json_t *t, const char *field)
{
    json_t *ch = json_object_get(changes, field);
    return ch ? json_object_get(ch, "to") : json_object_get(t, field);
}

/*
 * PATCH /tasks/:id {title, description, priority, dueDate, estimatePoints,
 * labelIds, assigneeIds, parentTaskId, status} (members; 409 when archived):
 * every field create accepts. One task_updated row for the fields that really
 * changed; assignees are replaced like PATCH /tasks/:id/assignees
 * (assignee_changed row, task_assigned notifications) and a status change is
 * applied like PATCH /tasks/:id/status (status_changed row).
 */
int vb_op_task_update(vb_op_ctx *c)
{
    const char *tid = vb_arg_param(c, "id");
    json_t *body = vb_arg_body(c), *t = NULL, *p = NULL, *changes = json_object(),
           *errors = json_array(), *labels = NULL, *assignees = NULL;
    const char *status;
    int rc = vb_pt_task_access(c, tid, 1, &t, &p, NULL);
    if (rc) goto done;
    rc = update_diff(c, t, p, body, changes, errors, &labels, &assignees);
    if (rc) goto internal;
    if (json_array_size(errors)) {
        rc = vb_pt_fail_errors(c, errors);
        errors = NULL;
        goto done;
    }
    if (json_object_size(changes)) {
        rc = vb_db_exec(c->db,
                        "UPDATE tasks SET title = ?, description = ?, priority = ?, due_date = ?,"
                        " estimate_points = ?, parent_task_id = ?, updated_at = ? WHERE id = ?",
                        "ssssjsis", json_string_value(new_value(changes, t, "title")),
                        json_string_value(new_value(changes, t, "description")),
                        json_string_value(new_value(changes, t, "priority")),
                        json_string_value(new_value(changes, t, "dueDate")),
                        new_value(changes, t, "estimatePoints"),
                        json_string_value(new_value(changes, t, "parentTaskId")), vb_op_now(), tid);
        if (!rc && json_object_get(changes, "labelIds")) rc = vb_pt_set_labels(c->db, tid, labels);
        if (!rc)
            rc = vb_activity(c, vb_arg_str(t, "workspaceId"), vb_arg_str(t, "projectId"), tid,
                             "task_updated", json_incref(changes));
        if (rc) goto internal;
        vb_pt_task_event(c, vb_arg_str(t, "projectId"), tid, vb_arg_str(t, "status"), NULL);
    }
    /* The notifications that follow name the task by its new title. */
    json_object_set(t, "title", new_value(changes, t, "title"));
    if (assignees) {
        rc = vb_pt_replace_assignees(c, t, assignees);
        if (rc) goto internal;
    }
    status = vb_arg_str(body, "status");
    if (status && !same_str(status, vb_arg_str(t, "status"))) {
        rc = vb_pt_change_status(c, t, status);
        if (rc) goto done;
    }
    json_decref(t);
    t = NULL;
    rc = vb_pt_task_load(c->db, tid, &t);
    if (rc || !t) goto internal;
    c->result = vb_op_iso(t);
    t = NULL;
    goto done;
internal:
    rc = vb_op_internal(c, rc ? rc : VB_EIO);
done:
    json_decref(t);
    json_decref(p);
    json_decref(changes);
    json_decref(errors);
    json_decref(labels);
    json_decref(assignees);
    return rc;
}

/*
 * DELETE /tasks/:id (the reporter or a workspace admin, else 403; 409 when
 * archived). Subtasks go with it, at any depth; the project's columns are
 * renumbered; task_deleted keeps {key, title} in the log.
 */
int vb_op_task_delete(vb_op_ctx *c)
{
    const char *tid = vb_arg_param(c, "id");
    json_t *t = NULL, *p = NULL, *ids = NULL, *col;
    char role[16] = "";
    size_t i;
    int rc = vb_pt_task_access(c, tid, 1, &t, &p, role);
    if (rc) return rc;
    if (strcmp(role, "admin") && !same_str(vb_arg_str(t, "reporterId"), vb_arg_actor(c))) {
        rc = vb_op_fail(c, VB_EFORBIDDEN, "FORBIDDEN",
                        "Only the reporter or a workspace admin can delete a task");
        goto done;
    }
    /* The task and its subtasks at any depth, deleted explicitly (with their
     * links) so that this holds even where the database does not enforce the
     * schema's ON DELETE CASCADE. */
    rc = vb_db_ids(c->db, &ids,
                   "WITH RECURSIVE d(id) AS (SELECT ? UNION SELECT t.id FROM tasks t"
                   " JOIN d ON t.parent_task_id = d.id) SELECT id FROM d",
                   "s", tid);
    if (!rc)
        rc = vb_db_exec(
            c->db, "DELETE FROM task_assignees WHERE task_id IN (SELECT value FROM VB_IDS(?) j)",
            "j", ids);
    if (!rc)
        rc = vb_db_exec(c->db,
                        "DELETE FROM task_labels WHERE task_id IN (SELECT value FROM VB_IDS(?) j)",
                        "j", ids);
    if (!rc)
        rc = vb_db_exec(c->db, "DELETE FROM tasks WHERE id IN (SELECT value FROM VB_IDS(?) j)", "j",
                        ids);
    json_array_foreach(json_object_get(p, "columns"), i, col)
    {
        if (!rc) rc = vb_pt_renumber(c->db, vb_arg_str(p, "id"), vb_arg_str(col, "name"));
    }
    if (!rc)
        rc = vb_activity(c, vb_arg_str(t, "workspaceId"), vb_arg_str(t, "projectId"), tid,
                         "task_deleted",
                         json_pack("{s:s?, s:s?}", "key", vb_arg_str(t, "key"), "title",
                                   vb_arg_str(t, "title")));
    if (rc) {
        rc = vb_op_internal(c, rc);
        goto done;
    }
    vb_pt_task_event(c, vb_arg_str(t, "projectId"), tid, vb_arg_str(t, "status"), NULL);
done:
    json_decref(ids);
    json_decref(t);
    json_decref(p);
    return rc;
}
