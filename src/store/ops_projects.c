/*
 * Project operations: create, list, get, update, archive and the board.
 * An archived project is read-only (409 PROJECT_ARCHIVED on every write).
 */
#include "store/vb_ops_pt.h"

#include "core/vb_common.h"
#include "core/vb_id.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The columns every new project starts with. */
static json_t *project_default_columns(void)
{
    return json_pack("[{s:s,s:i,s:s},{s:s,s:i,s:s},{s:s,s:i,s:s},{s:s,s:i,s:s}]", "name", "todo",
                     "order", 0, "color", "#94a3b8", "name", "in-progress", "order", 1, "color",
                     "#3b82f6", "name", "review", "order", 2, "color", "#f59e0b", "name", "done",
                     "order", 3, "color", "#22c55e");
}

/* 1 if a and b (each may be NULL) are the same string or both NULL. */
static int same_str(const char *a, const char *b)
{
    if (!a || !b) return a == b;
    return strcmp(a, b) == 0;
}

/* Adds taskCount to the raw project p and converts its times. Returns p. */
static int project_finish(vb_op_ctx *c, json_t *p)
{
    int64_t n = 0;
    int rc = vb_db_int(c->db, &n, 0, "SELECT COUNT(*) FROM tasks WHERE project_id = ?", "s",
                       vb_arg_str(p, "id"));
    if (rc) return vb_op_internal(c, rc);
    json_object_set_new(p, "taskCount", json_integer(n));
    vb_op_iso(p);
    return 0;
}

/*
 * POST /workspaces/:wid/projects. Any member may create. The key is unique in
 * the workspace (409 PROJECT_KEY_TAKEN); a leadId must be a member (422).
 */
int vb_op_project_create(vb_op_ctx *c)
{
    const char *wid = vb_arg_param(c, "wid");
    json_t *body = vb_arg_body(c);
    const char *name = vb_arg_str(body, "name");
    const char *key = vb_arg_str(body, "key");
    const char *desc = vb_arg_str(body, "description");
    const char *lead = vb_arg_str(body, "leadId");
    json_t *errors = json_array(), *cols = NULL, *p = NULL;
    char id[VB_ID_LEN + 1];
    int64_t taken = 0, now = vb_op_now();
    int rc;

    if (!wid) {
        rc = vb_op_fail(c, VB_ENOTFOUND, "WORKSPACE_NOT_FOUND", "Workspace not found");
        goto done;
    }
    rc = vb_guard_workspace(c, wid, 0, NULL);
    if (rc) goto done;
    if (!name || !*name) vb_pt_add_error(errors, "name", "name is required");
    if (!key || !*key) vb_pt_add_error(errors, "key", "key is required");
    if (lead) {
        json_t *ids = json_pack("[s]", lead);
        rc = vb_pt_check_members(c->db, wid, ids, "leadId", errors);
        json_decref(ids);
        if (rc) goto internal;
    }
    if (json_array_size(errors)) {
        rc = vb_pt_fail_errors(c, errors);
        errors = NULL;
        goto done;
    }
    rc = vb_db_int(c->db, &taken, 0,
                   "SELECT COUNT(*) FROM projects WHERE workspace_id = ? AND key = ?", "ss", wid,
                   key);
    if (rc) goto internal;
    if (taken) {
        rc = vb_op_fail(c, VB_ECONFLICT, "PROJECT_KEY_TAKEN",
                        "A project with key %s already exists in this workspace", key);
        goto done;
    }
    vb_id_new(id);
    cols = project_default_columns();
    rc = vb_db_exec(c->db,
                    "INSERT INTO projects (id, workspace_id, name, key, description, lead_id,"
                    " status, columns, task_seq, created_by, created_at, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, 'active', ?, 0, ?, ?, ?)",
                    "ssssssjsii", id, wid, name, key, desc, lead, cols, vb_arg_actor(c), now, now);
    if (rc == VB_ECONFLICT) {
        rc = vb_op_fail(c, VB_ECONFLICT, "PROJECT_KEY_TAKEN",
                        "A project with key %s already exists in this workspace", key);
        goto done;
    }
    if (rc) goto internal;
    rc = vb_activity(c, wid, id, NULL, "project_created",
                     json_pack("{s:s, s:s}", "name", name, "key", key));
    if (rc) goto internal;
    rc = vb_pt_project_load(c->db, id, &p);
    if (rc || !p) goto internal;
    rc = project_finish(c, p);
    if (rc) goto done;
    c->result = p;
    p = NULL;
    goto done;
internal:
    rc = vb_op_internal(c, rc ? rc : VB_EIO);
done:
    json_decref(errors);
    json_decref(cols);
    json_decref(p);
    return rc;
}

/* GET /workspaces/:wid/projects?status=&page=&limit= (members), newest first. */
int vb_op_project_list(vb_op_ctx *c)
{
    const char *wid = vb_arg_param(c, "wid");
    const char *status = vb_arg_str(vb_arg_query(c), "status");
    json_t *rows = NULL;
    int64_t page, limit, total = 0;
    int rc;

    if (!wid) return vb_op_fail(c, VB_ENOTFOUND, "WORKSPACE_NOT_FOUND", "Workspace not found");
    rc = vb_guard_workspace(c, wid, 0, NULL);
    if (rc) return rc;
    vb_page_args(c, &page, &limit);
    rc = vb_db_int(c->db, &total, 0,
                   "SELECT COUNT(*) FROM projects WHERE workspace_id = ?"
                   " AND (? IS NULL OR status = ?)",
                   "sss", wid, status, status);
    if (!rc)
        rc = vb_db_rows(c->db, &rows,
                        "SELECT p.id, p.workspace_id AS workspaceId, p.name, p.key, p.description,"
                        " p.lead_id AS leadId, p.status, p.columns AS \"j:columns\","
                        " p.created_by AS createdBy, p.created_at AS createdAt,"
                        " p.updated_at AS updatedAt,"
                        " (SELECT COUNT(*) FROM tasks t WHERE t.project_id = p.id) AS taskCount"
                        " FROM projects p WHERE p.workspace_id = ? AND (? IS NULL OR p.status = ?)"
                        " ORDER BY p.created_at DESC, p.id DESC LIMIT ? OFFSET ?",
                        "sssii", wid, status, status, limit, (page - 1) * limit);
    if (rc) return vb_op_internal(c, rc);
    c->result = vb_page_result(vb_op_iso(rows), page, limit, total);
    return 0;
}

/* GET /projects/:pid (members of its workspace), with taskCount. */
int vb_op_project_get(vb_op_ctx *c)
{
    json_t *p = NULL;
    int rc = vb_pt_project_access(c, vb_arg_param(c, "pid"), 0, &p, NULL);
    if (rc) return rc;
    rc = project_finish(c, p);
    if (rc) {
        json_decref(p);
        return rc;
    }
    c->result = p;
    return 0;
}

/* Records {from, to} for field in changes when the string values differ. */
static void diff_str(json_t *changes, const char *field, const char *from, const char *to)
{
    if (same_str(from, to)) return;
    json_object_set_new(changes, field, json_pack("{s:s?, s:s?}", "from", from, "to", to));
}

/*
 * PATCH /projects/:pid {name?, description?, leadId?} (members; 409 when
 * archived; leadId only by a workspace admin or the current lead, else 403).
 * Writes project_updated with the fields that really changed.
 */
int vb_op_project_update(vb_op_ctx *c)
{
    const char *pid = vb_arg_param(c, "pid");
    json_t *body = vb_arg_body(c), *p = NULL, *changes = json_object();
    const char *name, *desc, *lead;
    char role[16] = "";
    int rc = vb_pt_project_access(c, pid, 1, &p, role);
    if (rc) goto done;
    name = vb_arg_str(p, "name");
    desc = vb_arg_str(p, "description");
    lead = vb_arg_str(p, "leadId");
    if (vb_arg_str(body, "name") && *vb_arg_str(body, "name")) name = vb_arg_str(body, "name");
    if (json_object_get(body, "description")) desc = vb_arg_str(body, "description");
    if (json_object_get(body, "leadId")) {
        lead = vb_arg_str(body, "leadId");
        /* The lead decides who may archive: only an admin or the current lead changes it. */
        if (!same_str(lead, vb_arg_str(p, "leadId")) && strcmp(role, "admin") &&
            !same_str(vb_arg_str(p, "leadId"), vb_arg_actor(c))) {
            rc = vb_op_fail(c, VB_EFORBIDDEN, "FORBIDDEN",
                            "Only a workspace admin or the project lead can change the lead");
            goto done;
        }
        if (lead && !same_str(lead, vb_arg_str(p, "leadId"))) {
            json_t *errors = json_array(), *ids = json_pack("[s]", lead);
            rc = vb_pt_check_members(c->db, vb_arg_str(p, "workspaceId"), ids, "leadId", errors);
            json_decref(ids);
            if (rc) {
                json_decref(errors);
                rc = vb_op_internal(c, rc);
                goto done;
            }
            if (json_array_size(errors)) {
                rc = vb_pt_fail_errors(c, errors);
                goto done;
            }
            json_decref(errors);
        }
    }
    diff_str(changes, "name", vb_arg_str(p, "name"), name);
    diff_str(changes, "description", vb_arg_str(p, "description"), desc);
    diff_str(changes, "leadId", vb_arg_str(p, "leadId"), lead);
    if (json_object_size(changes)) {
        rc = vb_db_exec(c->db,
                        "UPDATE projects SET name = ?, description = ?, lead_id = ?, updated_at = ?"
                        " WHERE id = ?",
                        "sssis", name, desc, lead, vb_op_now(), pid);
        if (!rc)
            rc = vb_activity(c, vb_arg_str(p, "workspaceId"), pid, NULL, "project_updated",
                             json_incref(changes));
        if (rc) {
            rc = vb_op_internal(c, rc);
            goto done;
        }
    }
    json_decref(p);
    p = NULL;
    rc = vb_pt_project_load(c->db, pid, &p);
    if (rc || !p) {
        rc = vb_op_internal(c, rc ? rc : VB_EIO);
        goto done;
    }
    rc = project_finish(c, p);
    if (rc) goto done;
    c->result = p;
    p = NULL;
done:
    json_decref(p);
    json_decref(changes);
    return rc;
}

/* DELETE /projects/:pid: archives (workspace admin or project lead, else 403). */
int vb_op_project_archive(vb_op_ctx *c)
{
    const char *pid = vb_arg_param(c, "pid");
    json_t *p = NULL;
    char role[16] = "";
    int rc = vb_pt_project_access(c, pid, 1, &p, role);
    if (rc) return rc;
    if (strcmp(role, "admin") && !same_str(vb_arg_str(p, "leadId"), vb_arg_actor(c))) {
        rc = vb_op_fail(c, VB_EFORBIDDEN, "FORBIDDEN",
                        "Only a workspace admin or the project lead can archive a project");
        goto done;
    }
    rc = vb_db_exec(c->db, "UPDATE projects SET status = 'archived', updated_at = ? WHERE id = ?",
                    "is", vb_op_now(), pid);
    if (!rc)
        rc = vb_activity(
            c, vb_arg_str(p, "workspaceId"), pid, NULL, "project_archived",
            json_pack("{s:s?, s:s?}", "name", vb_arg_str(p, "name"), "key", vb_arg_str(p, "key")));
    rc = vb_op_internal(c, rc);
done:
    json_decref(p);
    return rc;
}

/* qsort comparator for columns by their "order". */
static int column_cmp(const void *a, const void *b)
{
    json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "order"));
    json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "order"));
    return (x > y) - (x < y);
}

/*
 * GET /projects/:pid/board -> {project, columns:[{name, order, color, tasks}]}
 * with each column's tasks in order_index order (then creation).
 */
int vb_op_project_board(vb_op_ctx *c)
{
    const char *pid = vb_arg_param(c, "pid");
    json_t *p = NULL, *tasks = NULL, *cols = NULL, **sorted = NULL;
    size_t i, n;
    json_t *t;
    int rc = vb_pt_project_access(c, pid, 0, &p, NULL);
    if (rc) return rc;
    rc = vb_db_rows(c->db, &tasks,
                    VB_PT_TASK_SELECT "WHERE t.project_id = ?"
                                      " ORDER BY t.order_index, t.created_at, t.id",
                    "s", pid);
    if (rc) {
        rc = vb_op_internal(c, rc);
        goto done;
    }
    vb_op_iso(tasks);
    n = json_array_size(json_object_get(p, "columns"));
    sorted = calloc(n ? n : 1, sizeof *sorted);
    cols = json_array();
    if (!sorted || !cols) {
        rc = vb_op_internal(c, VB_ENOMEM);
        goto done;
    }
    for (i = 0; i < n; i++)
        sorted[i] = json_array_get(json_object_get(p, "columns"), i);
    qsort(sorted, n, sizeof *sorted, column_cmp);
    for (i = 0; i < n; i++) {
        json_t *col = json_deep_copy(sorted[i]), *list = json_array();
        const char *name = vb_arg_str(col, "name");
        size_t k;
        json_array_foreach(tasks, k, t)
        {
            if (same_str(name, vb_arg_str(t, "status"))) json_array_append(list, t);
        }
        json_object_set_new(col, "tasks", list);
        json_array_append_new(cols, col);
    }
    rc = project_finish(c, p);
    if (rc) goto done;
    c->result = json_pack("{s:o, s:o}", "project", p, "columns", cols);
    p = cols = NULL;
done:
    free(sorted);
    json_decref(tasks);
    json_decref(cols);
    json_decref(p);
    return rc;
}
