/*
 * Task operations: create, list (filtered, sorted, paginated), get and
 * subtasks. Edits live in ops_tasks_edit.c, moves in ops_tasks_move.c.
 */
#include "store/vb_ops_pt.h"

#include "core/vb_common.h"
#include "core/vb_id.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const task_priorities[] = {"critical", "high", "medium", "low", "none"};

/* 1 if p is one of the task priorities. */
static int priority_ok(const char *p)
{
    for (size_t i = 0; p && i < VB_ARRAY_LEN(task_priorities); i++)
        if (!strcmp(p, task_priorities[i])) return 1;
    return 0;
}

/*
 * Checks the create body against the project p and the database, appending
 * field errors to errors. *assignees and *labels receive the de-duplicated id
 * sets (new). Returns 0 or VB_EIO (database failure).
 */
static int create_check(vb_op_ctx *c, json_t *p, json_t *body, const char *status, json_t *errors,
                        json_t **assignees, json_t **labels)
{
    const char *wid = vb_arg_str(p, "workspaceId");
    const char *title = vb_arg_str(body, "title");
    const char *prio = vb_arg_str(body, "priority");
    const char *parent = vb_arg_str(body, "parentTaskId");
    json_t *est = json_object_get(body, "estimatePoints");
    int64_t n = 0;
    int rc;

    *assignees = vb_pt_unique_ids(json_object_get(body, "assigneeIds"));
    *labels = vb_pt_unique_ids(json_object_get(body, "labelIds"));
    if (!title || !*title) vb_pt_add_error(errors, "title", "title is required");
    if (!vb_pt_column_ok(p, status))
        vb_pt_add_error(errors, "status", "status must be one of the project's columns");
    if (prio && !priority_ok(prio))
        vb_pt_add_error(errors, "priority", "priority must be critical, high, medium, low or none");
    if (est && !json_is_null(est) && !json_is_number(est))
        vb_pt_add_error(errors, "estimatePoints", "estimatePoints must be a number");
    rc = vb_pt_check_members(c->db, wid, *assignees, "assigneeIds", errors);
    if (!rc) rc = vb_pt_check_labels(c->db, wid, *labels, "labelIds", errors);
    if (!rc && parent) {
        rc = vb_db_int(c->db, &n, 0, "SELECT COUNT(*) FROM tasks WHERE id = ? AND project_id = ?",
                       "ss", parent, vb_arg_str(p, "id"));
        if (!rc && !n)
            vb_pt_add_error(errors, "parentTaskId", "parentTaskId must be a task of this project");
    }
    return rc;
}

/*
 * POST /projects/:pid/tasks (members of an active project). Takes the next
 * number of the project's sequence in this transaction (key "<KEY>-<n>"),
 * appends the task at the end of its column, writes task_created, notifies
 * the assignees (task_assigned) and queues task_changed.
 */
int vb_op_task_create(vb_op_ctx *c)
{
    const char *pid = vb_arg_param(c, "pid");
    json_t *body = vb_arg_body(c), *p = NULL, *errors = json_array(), *assignees = NULL,
           *labels = NULL, *t = NULL, *seq = NULL;
    const char *status, *title, *prio, *actor = vb_arg_actor(c);
    char id[VB_ID_LEN + 1], key[64], ntitle[700];
    int64_t number = 0, order = 0, now = vb_op_now();
    size_t i;
    json_t *v;
    int rc = vb_pt_project_access(c, pid, 1, &p, NULL);
    if (rc) goto done;
    status = vb_arg_str(body, "status") ? vb_arg_str(body, "status") : "todo";
    title = vb_arg_str(body, "title");
    prio = vb_arg_str(body, "priority") ? vb_arg_str(body, "priority") : "none";
    rc = create_check(c, p, body, status, errors, &assignees, &labels);
    if (rc) goto internal;
    if (json_array_size(errors)) {
        rc = vb_pt_fail_errors(c, errors);
        errors = NULL;
        goto done;
    }
    /* The next number and the end of the column, in one statement. */
    rc = vb_db_row(
        c->db, &seq,
        "UPDATE projects SET task_seq = task_seq + 1 WHERE id = ? RETURNING task_seq AS num,"
        " (SELECT COALESCE(MAX(order_index) + 1, 0) FROM tasks"
        "  WHERE project_id = ? AND status = ?) AS ord",
        "sss", pid, pid, status);
    if (rc || !seq) goto internal;
    number = json_integer_value(json_object_get(seq, "num"));
    order = json_integer_value(json_object_get(seq, "ord"));
    vb_id_new(id);
    snprintf(key, sizeof key, "%s-%lld", vb_arg_str(p, "key"), (long long)number);
    rc = vb_db_exec(c->db,
                    "INSERT INTO tasks (id, project_id, workspace_id, number, key, title,"
                    " description, status, priority, reporter_id, parent_task_id, due_date,"
                    " estimate_points, order_index, comment_count, created_at, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
                    "sssissssssssjiii", id, pid, vb_arg_str(p, "workspaceId"), number, key, title,
                    vb_arg_str(body, "description"), status, prio, actor,
                    vb_arg_str(body, "parentTaskId"), vb_arg_str(body, "dueDate"),
                    json_object_get(body, "estimatePoints"), order, now, now);
    /* A new task has no assignee or label rows to replace. */
    if (!rc && json_array_size(assignees)) rc = vb_pt_set_assignees(c->db, id, assignees);
    if (!rc && json_array_size(labels)) rc = vb_pt_set_labels(c->db, id, labels);
    if (!rc)
        rc = vb_activity_task(
            c, vb_arg_str(p, "workspaceId"), pid, id, key, title, "task_created",
            json_pack("{s:s, s:s, s:s}", "key", key, "title", title, "status", status));
    if (rc) goto internal;
    snprintf(ntitle, sizeof ntitle, "You were assigned to %s: %s", key, title);
    json_array_foreach(assignees, i, v)
    {
        rc = vb_notify(c, json_string_value(v), vb_arg_str(p, "workspaceId"), "task_assigned",
                       ntitle,
                       json_pack("{s:s, s:s, s:s, s:s}", "taskId", id, "projectId", pid, "key", key,
                                 "title", title));
        if (rc) goto internal;
    }
    vb_pt_task_event(c, pid, id, status, NULL);
    rc = vb_pt_task_load(c->db, id, &t);
    if (rc || !t) goto internal;
    c->result = vb_op_iso(t);
    goto done;
internal:
    rc = vb_op_internal(c, rc ? rc : VB_EIO);
done:
    json_decref(seq);
    json_decref(p);
    json_decref(errors);
    json_decref(assignees);
    json_decref(labels);
    return rc;
}

/* The ORDER BY clause for a sort parameter, or NULL when unknown. */
static const char *task_order_by(const char *sort)
{
    static const struct {
        const char *name, *sql;
    } sorts[] = {
        {"createdAt", "t.created_at ASC, t.id ASC"},
        {"-createdAt", "t.created_at DESC, t.id DESC"},
        {"updatedAt", "t.updated_at ASC, t.id ASC"},
        {"-updatedAt", "t.updated_at DESC, t.id DESC"},
        {"priority", "CASE t.priority WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium'"
                     " THEN 2 WHEN 'low' THEN 1 ELSE 0 END ASC, t.created_at DESC, t.id DESC"},
        {"-priority", "CASE t.priority WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium'"
                      " THEN 2 WHEN 'low' THEN 1 ELSE 0 END DESC, t.created_at DESC, t.id DESC"},
        {"dueDate", "t.due_date IS NULL, t.due_date ASC, t.id ASC"},
        {"-dueDate", "t.due_date IS NULL, t.due_date DESC, t.id DESC"},
        {"orderIndex", "t.order_index ASC, t.created_at ASC, t.id ASC"},
    };
    if (!sort) sort = "-createdAt";
    for (size_t i = 0; i < VB_ARRAY_LEN(sorts); i++)
        if (!strcmp(sort, sorts[i].name)) return sorts[i].sql;
    return NULL;
}

/* A LIKE pattern "%q%" with '\', '%' and '_' escaped by '\'. Caller frees. */
static char *like_pattern(const char *q)
{
    size_t n = strlen(q), k = 0;
    char *out = malloc(2 * n + 3);
    if (!out) return NULL;
    out[k++] = '%';
    for (size_t i = 0; i < n; i++) {
        if (q[i] == '\\' || q[i] == '%' || q[i] == '_') out[k++] = '\\';
        out[k++] = q[i];
    }
    out[k++] = '%';
    out[k] = '\0';
    return out;
}

/* The filters shared by the row and count queries of the task list; binds
 * "sssssssssssss" (see vb_op_task_list). */
#define TASK_LIST_WHERE                                                                            \
    "WHERE t.project_id = ?"                                                                       \
    " AND (? IS NULL OR t.status = ?)"                                                             \
    " AND (? IS NULL OR t.priority = ?)"                                                           \
    " AND (? IS NULL OR t.parent_task_id = ?)"                                                     \
    " AND (? IS NULL OR EXISTS (SELECT 1 FROM task_assignees a"                                    \
    "      WHERE a.task_id = t.id AND a.user_id = ?))"                                             \
    " AND (? IS NULL OR lower(t.title) LIKE lower(?) ESCAPE '\\'"                                  \
    "      OR lower(t.key) LIKE lower(?) ESCAPE '\\')"

/*
 * GET /projects/:pid/tasks?status=&assigneeId=&priority=&q=&parentTaskId=
 * &sort=&page=&limit= (members). Three queries: one count, one page of rows
 * with gaps for the assignee and label ids, and one for the ids of the whole
 * page (vb_pt_ids_fill). The page is written straight to JSON
 * text (vb_db_rows_text), the hottest read of the API.
 */
int vb_op_task_list(vb_op_ctx *c)
{
    const char *pid = vb_arg_param(c, "pid");
    json_t *q = vb_arg_query(c), *p = NULL;
    vb_db_text out = {0};
    vb_pt_ids ids = {0};
    const char *status = vb_arg_str(q, "status"), *prio = vb_arg_str(q, "priority");
    const char *parent = vb_arg_str(q, "parentTaskId"), *who = vb_arg_str(q, "assigneeId");
    const char *text = vb_arg_str(q, "q"), *order;
    char *pat = NULL, sql[2048];
    int64_t page, limit, total = 0;
    int rc = vb_pt_project_access(c, pid, 0, &p, NULL);
    if (rc) return rc;
    order = task_order_by(vb_arg_str(q, "sort"));
    if (status && !vb_pt_column_ok(p, status)) {
        rc = vb_pt_field_error(c, "status", "status must be one of the project's columns");
        goto done;
    }
    if (!order) {
        rc = vb_pt_field_error(c, "sort", "unknown sort");
        goto done;
    }
    if (text && *text && !(pat = like_pattern(text))) {
        rc = vb_op_internal(c, VB_ENOMEM);
        goto done;
    }
    vb_page_args(c, &page, &limit);
    rc =
        vb_db_int(c->db, &total, 0, "SELECT COUNT(*) FROM tasks t " TASK_LIST_WHERE, "ssssssssssss",
                  pid, status, status, prio, prio, parent, parent, who, who, pat, pat, pat);
    if (rc) goto internal;
    snprintf(sql, sizeof sql, "%s%s ORDER BY %s LIMIT ? OFFSET ?", VB_PT_TASK_SELECT_PAGE,
             TASK_LIST_WHERE, order);
    vb_db_text_puts(&out, "{\"data\":");
    rc = vb_db_rows_text_hook(c->db, &out, vb_pt_ids_hook, &ids, sql, "ssssssssssssii", pid, status,
                              status, prio, prio, parent, parent, who, who, pat, pat, pat, limit,
                              (page - 1) * limit);
    if (!rc) rc = vb_pt_ids_fill(c->db, &out, &ids);
    if (rc) goto internal;
    vb_page_meta_text(&out, page, limit, total);
    rc = vb_op_result_text(c, &out);
    goto done;
internal:
    rc = vb_op_internal(c, rc);
done:
    vb_pt_ids_free(&ids);
    vb_db_text_free(&out);
    free(pat);
    json_decref(p);
    return rc;
}

/* GET /tasks/:id (members of the task's workspace). */
int vb_op_task_get(vb_op_ctx *c)
{
    json_t *t = NULL;
    int rc = vb_pt_task_access(c, vb_arg_param(c, "id"), 0, &t, NULL, NULL);
    if (rc) return rc;
    c->result = vb_op_iso(t);
    return 0;
}

/* GET /tasks/:id/subtasks: the direct subtasks, oldest first (not paginated). */
int vb_op_task_subtasks(vb_op_ctx *c)
{
    const char *tid = vb_arg_param(c, "id");
    vb_db_text out = {0};
    int rc = vb_pt_task_access(c, tid, 0, NULL, NULL, NULL);
    if (rc) return rc;
    vb_pt_ids ids = {0};
    rc = vb_db_rows_text_hook(
        c->db, &out, vb_pt_ids_hook, &ids,
        VB_PT_TASK_SELECT_PAGE "WHERE t.parent_task_id = ? ORDER BY t.created_at, t.id", "s", tid);
    if (!rc) rc = vb_pt_ids_fill(c->db, &out, &ids);
    vb_pt_ids_free(&ids);
    if (rc) {
        vb_db_text_free(&out);
        return vb_op_internal(c, rc);
    }
    return vb_op_result_text(c, &out);
}
