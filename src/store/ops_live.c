/*
 * Store operations of the live streams (see vb_ops_live.h): guards, the task
 * counts of a project by status, and the activity replay of a reconnect.
 */
#include "store/vb_ops_live.h"

#include "core/vb_common.h"
#include "store/vb_ops.h"
#include "store/vb_ops_pt.h"

#include <stdlib.h>
#include <string.h>

/* Column entries ordered by their "order". */
static int cmp_order(const void *a, const void *b)
{
    json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "order"));
    json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "order"));
    return (x > y) - (x < y);
}

/* The names of the columns array cols, by order (a new array). */
static json_t *column_names(json_t *cols)
{
    size_t n = json_array_size(cols);
    json_t *out = json_array();
    json_t **v = malloc((n ? n : 1) * sizeof *v);
    if (!out || !v) {
        free(v);
        json_decref(out);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        v[i] = json_array_get(cols, i);
    qsort(v, n, sizeof *v, cmp_order);
    for (size_t i = 0; i < n; i++) {
        const char *name = json_string_value(json_object_get(v[i], "name"));
        if (name) json_array_append_new(out, json_string(name));
    }
    free(v);
    return out;
}

/* Adds "counts" {status: n} of project pid to res, one key per name of
 * columns first. Returns 0 or fails c. */
static int add_counts(vb_op_ctx *c, json_t *res, const char *pid, json_t *columns)
{
    json_t *rows = NULL, *counts = json_object(), *row, *name;
    size_t i;
    int rc = vb_db_rows(c->db, &rows,
                        "SELECT status, COUNT(*) AS n FROM tasks WHERE project_id = ?"
                        " GROUP BY status",
                        "s", pid);
    if (rc < 0 || !counts) {
        json_decref(counts);
        return vb_op_internal(c, rc < 0 ? rc : VB_ENOMEM);
    }
    json_array_foreach(columns, i, name)
        json_object_set_new(counts, json_string_value(name), json_integer(0));
    json_array_foreach(rows, i, row)
    {
        const char *st = json_string_value(json_object_get(row, "status"));
        if (st) json_object_set(counts, st, json_object_get(row, "n"));
    }
    json_decref(rows);
    json_object_set_new(res, "counts", counts);
    return 0;
}

/* The result {projectId, workspaceId, columns[, counts]} of project row p. */
static int project_result(vb_op_ctx *c, json_t *p, int with_counts)
{
    const char *pid = vb_arg_str(p, "id");
    json_t *cols = column_names(json_object_get(p, "columns"));
    if (!cols) return vb_op_internal(c, VB_ENOMEM);
    json_t *res = json_pack("{s:s, s:s, s:o}", "projectId", pid, "workspaceId",
                            vb_arg_str(p, "workspaceId"), "columns", cols);
    if (!res) return vb_op_internal(c, VB_ENOMEM);
    if (with_counts) {
        int rc = add_counts(c, res, pid, cols);
        if (rc) {
            json_decref(res);
            return rc;
        }
    }
    c->result = res;
    return 0;
}

int vb_op_live_workspace(vb_op_ctx *c)
{
    const char *wid = vb_arg_param(c, "wid");
    const char *last = vb_arg_str(vb_arg_query(c), "lastEventId");
    json_t *rows = NULL;
    int rc = vb_guard_workspace(c, wid, 0, NULL);
    if (rc) return rc;
    if (last) {
        rc = vb_db_rows(c->db, &rows,
                        "SELECT a.id AS id, workspace_id AS workspaceId, project_id AS projectId,"
                        " task_id AS taskId, actor_id AS actorId, action,"
                        " changes AS \"j:changes\", created_at AS createdAt,"
                        " (SELECT t.key FROM tasks t WHERE t.id = a.task_id) AS taskKey,"
                        " (SELECT t.title FROM tasks t WHERE t.id = a.task_id) AS taskTitle"
                        " FROM activity a WHERE workspace_id = ? AND a.id > ? ORDER BY a.id"
                        " LIMIT ?",
                        "ssi", wid, last, (int64_t)VB_LIVE_REPLAY_MAX);
        if (rc < 0) return vb_op_internal(c, rc);
    }
    c->result = json_pack("{s:s}", "workspaceId", wid);
    if (!c->result) {
        json_decref(rows);
        return vb_op_internal(c, VB_ENOMEM);
    }
    if (rows) json_object_set_new(c->result, "replay", vb_op_iso(rows));
    return 0;
}

int vb_op_live_project(vb_op_ctx *c)
{
    json_t *p = NULL;
    int rc = vb_guard_project(c, vb_arg_param(c, "pid"), 0, &p, NULL);
    if (rc) return rc;
    rc = project_result(c, p, json_is_true(json_object_get(vb_arg_query(c), "counts")));
    json_decref(p);
    return rc;
}

int vb_op_live_counts(vb_op_ctx *c)
{
    json_t *p = NULL;
    int rc = vb_db_row(c->db, &p,
                       "SELECT id, workspace_id AS workspaceId, columns AS \"j:columns\""
                       " FROM projects WHERE id = ?",
                       "s", vb_arg_param(c, "pid"));
    if (rc < 0) return vb_op_internal(c, rc);
    if (!p) return vb_op_fail(c, VB_ENOTFOUND, "PROJECT_NOT_FOUND", "Project not found");
    rc = project_result(c, p, 1);
    json_decref(p);
    return rc;
}
