/*
 * Activity log reads (see vb_ops_collab.h): pages of a workspace's, a
 * project's or a task's rows, newest first. Rows are written by vb_activity
 * (vb_ops.h) in the transaction of each change. The rows of a deleted task
 * stay in the workspace and project logs; its own log is gone with it (404).
 * Each row names its task (taskKey, taskTitle: the task's current key and
 * title, null when there is no task or it was deleted).
 */
#include "store/vb_ops_collab.h"

#include "core/vb_common.h"
#include "store/vb_ops_pt.h"

#include <stdio.h>

/* Ids are time-ordered, so "id DESC" is newest first and uses the indexes
 * (workspace_id, id), (project_id, id) and (task_id, id). */
#define ACTIVITY_SELECT                                                                            \
    "SELECT a.id AS id, a.workspace_id AS workspaceId, a.project_id AS projectId,"                 \
    " a.task_id AS taskId, a.actor_id AS actorId,"                                                 \
    " (SELECT u.first_name || ' ' || u.last_name FROM users u WHERE u.id = a.actor_id)"            \
    "  AS actorName,"                                                                              \
    " a.action AS action, a.changes AS \"j:changes\", a.created_at AS createdAt,"                  \
    " (SELECT t.key FROM tasks t WHERE t.id = a.task_id) AS taskKey,"                              \
    " (SELECT t.title FROM tasks t WHERE t.id = a.task_id) AS taskTitle"                           \
    " FROM activity a "

/*
 * One page of the rows whose column (a fixed column name from this file) is
 * value, into c->result. The caller has checked access. Returns 0 or fails c.
 */
static int activity_page(vb_op_ctx *c, const char *column, const char *value)
{
    char rows_sql[1024], count_sql[160];
    json_t *rows = NULL;
    int64_t page, limit, total = 0;
    int rc;

    vb_page_args(c, &page, &limit);
    snprintf(count_sql, sizeof count_sql, "SELECT COUNT(*) FROM activity WHERE %s = ?", column);
    snprintf(rows_sql, sizeof rows_sql,
             ACTIVITY_SELECT "WHERE a.%s = ? ORDER BY a.id DESC LIMIT ? OFFSET ?", column);
    rc = vb_db_int(c->db, &total, 0, count_sql, "s", value);
    if (!rc) rc = vb_db_rows(c->db, &rows, rows_sql, "sii", value, limit, (page - 1) * limit);
    if (rc) return vb_op_internal(c, rc);
    c->result = vb_page_result(vb_op_iso(rows), page, limit, total);
    return c->result ? 0 : vb_op_fail(c, VB_ENOMEM, "INTERNAL_ERROR", "Out of memory");
}

int vb_op_activity_workspace(vb_op_ctx *c)
{
    const char *wid = vb_arg_param(c, "wid");
    int rc = vb_guard_workspace(c, wid, 0, NULL);
    return rc ? rc : activity_page(c, "workspace_id", wid);
}

int vb_op_activity_project(vb_op_ctx *c)
{
    const char *pid = vb_arg_param(c, "pid");
    int rc = vb_guard_project(c, pid, 0, NULL, NULL);
    return rc ? rc : activity_page(c, "project_id", pid);
}

int vb_op_activity_task(vb_op_ctx *c)
{
    const char *tid = vb_arg_param(c, "id");
    int rc = vb_guard_task(c, tid, 0, NULL, NULL);
    return rc ? rc : activity_page(c, "task_id", tid);
}
