/*
 * Store operations for projects, the board and tasks (store/ops_projects.c,
 * store/ops_tasks*.c), and the helpers those files share (prefix vb_pt_).
 *
 * Every operation takes the route arguments {actor, params, query, body}
 * described in vb_ops.h; params carry "wid" (workspace), "pid" (project) or
 * "id" (task). Bodies and queries are validated by the app before the op
 * runs; the ops still check types defensively and enforce the rules that need
 * the database (membership of assignees and leads, labels of the workspace,
 * status among the project's columns, archived projects are read-only).
 */
#ifndef VB_OPS_PT_H
#define VB_OPS_PT_H

#include "store/vb_ops.h"

#include <jansson.h>
#include <stdint.h>

/* ---- projects (ops_projects.c) */
int vb_op_project_create(vb_op_ctx *c);  /* POST /workspaces/:wid/projects -> project */
int vb_op_project_list(vb_op_ctx *c);    /* GET /workspaces/:wid/projects -> page */
int vb_op_project_get(vb_op_ctx *c);     /* GET /projects/:pid -> project + taskCount */
int vb_op_project_update(vb_op_ctx *c);  /* PATCH /projects/:pid -> project */
int vb_op_project_archive(vb_op_ctx *c); /* DELETE /projects/:pid -> no result */
int vb_op_project_board(vb_op_ctx *c);   /* GET /projects/:pid/board -> {project, columns} */

/* ---- tasks (ops_tasks.c, ops_tasks_edit.c, ops_tasks_move.c) */
int vb_op_task_create(vb_op_ctx *c);    /* POST /projects/:pid/tasks -> task */
int vb_op_task_list(vb_op_ctx *c);      /* GET /projects/:pid/tasks -> page */
int vb_op_task_get(vb_op_ctx *c);       /* GET /tasks/:id -> task */
int vb_op_task_update(vb_op_ctx *c);    /* PATCH /tasks/:id -> task */
int vb_op_task_delete(vb_op_ctx *c);    /* DELETE /tasks/:id -> no result */
int vb_op_task_status(vb_op_ctx *c);    /* PATCH /tasks/:id/status -> task */
int vb_op_task_assignees(vb_op_ctx *c); /* PATCH /tasks/:id/assignees -> task */
int vb_op_task_reorder(vb_op_ctx *c);   /* POST /tasks/:id/reorder -> task */
int vb_op_task_subtasks(vb_op_ctx *c);  /* GET /tasks/:id/subtasks -> [task] */

/* ------------------------------------------------------------------------
 * Internal helpers shared by the files above (not for other modules).
 * "Raw" objects have the API's camelCase keys but integer ms times; call
 * vb_pt_iso() before returning them.
 */

/* The SELECT list of a task in its API shape; append "WHERE ..." to it. TP is
 * the alias prefix of the two times: "" keeps them raw (integer ms), "t:"
 * gives ISO strings (see vb_db.h). IDS is the SQL of the assigneeIds and
 * labelIds columns. */
#define VB_PT_TASK_COLUMNS_(TP, IDS)                                                               \
    "SELECT t.id AS id, t.key AS key, t.number AS number, t.project_id AS projectId,"              \
    " t.workspace_id AS workspaceId, t.title AS title, t.description AS description,"              \
    " t.status AS status, t.priority AS priority, t.reporter_id AS reporterId," IDS                \
    " t.parent_task_id AS parentTaskId, t.due_date AS dueDate,"                                    \
    " t.estimate_points AS estimatePoints, t.order_index AS orderIndex,"                           \
    " t.comment_count AS commentCount, t.attachment_count AS attachmentCount,"                     \
    " t.created_at AS \"" TP "createdAt\","                                                        \
    " t.updated_at AS \"" TP "updatedAt\" FROM tasks t "
/* The id sets by subquery, one pair per task. */
#define VB_PT_TASK_IDS_SUBQUERY                                                                    \
    " COALESCE((SELECT VB_JSON_AGG(user_id) FROM (SELECT user_id FROM task_assignees"              \
    "   WHERE task_id = t.id ORDER BY user_id) s), '[]') AS \"j:assigneeIds\","                    \
    " COALESCE((SELECT VB_JSON_AGG(label_id) FROM (SELECT label_id FROM task_labels"               \
    "   WHERE task_id = t.id ORDER BY label_id) s), '[]') AS \"j:labelIds\","
#define VB_PT_TASK_COLUMNS(TP) VB_PT_TASK_COLUMNS_(TP, VB_PT_TASK_IDS_SUBQUERY)
/* A raw task (integer times). */
#define VB_PT_TASK_SELECT VB_PT_TASK_COLUMNS("")
/* A task as the API returns it (ISO times), for vb_db_rows_text. */
#define VB_PT_TASK_SELECT_API VB_PT_TASK_COLUMNS("t:")
/* The same for a page of tasks: the id sets are left as gaps ("x:" hook
 * columns) for vb_pt_ids_hook, and filled by vb_pt_ids_fill with one query
 * for the whole page instead of two subqueries per row. */
#define VB_PT_TASK_SELECT_PAGE                                                                     \
    VB_PT_TASK_COLUMNS_("t:", " t.id AS \"x:assigneeIds\", t.id AS \"x:labelIds\",")

/* The gaps of a page written with VB_PT_TASK_SELECT_PAGE. Zero-initialise;
 * vb_pt_ids_fill frees what it holds. */
typedef struct vb_pt_ids {
    vb_db_text ids; /* JSON array text of the rows' task ids */
    size_t *gaps;   /* output offsets, two per row: assigneeIds, labelIds */
    size_t n, cap;  /* gaps used / allocated */
    int oom;
} vb_pt_ids;
/* The vb_db_text_hook of VB_PT_TASK_SELECT_PAGE; ud is a vb_pt_ids. */
void vb_pt_ids_hook(vb_db_text *out, const char *key, const char *text, size_t n, void *ud);
/* Fills the gaps that vb_pt_ids_hook left in out (written since the hook's
 * first call; nothing may have been inserted before them) with the sorted id
 * arrays, exactly as VB_PT_TASK_SELECT_API writes them. Frees ids' memory.
 * Returns 0, VB_ENOMEM or VB_EIO. */
int vb_pt_ids_fill(vb_db *db, vb_db_text *out, vb_pt_ids *ids);
/* Frees what ids holds and zeroes it (for a page whose query failed). */
void vb_pt_ids_free(vb_pt_ids *ids);

/* Fails c with VB_EINVAL "VALIDATION_ERROR" and errors [{field, message}]. */
int vb_pt_field_error(vb_op_ctx *c, const char *field, const char *message);
/* Fails c with VB_EINVAL "VALIDATION_ERROR" with errors (stolen, an array). */
int vb_pt_fail_errors(vb_op_ctx *c, json_t *errors);
/* Appends {field, message} to errors. */
void vb_pt_add_error(json_t *errors, const char *field, const char *message);

/* Loads project pid as a raw object {id, workspaceId, name, key, description,
 * leadId, status, columns, createdBy, createdAt, updatedAt} into *out (new;
 * NULL when absent). No access check. Returns 0 or VB_EIO. */
int vb_pt_project_load(vb_db *db, const char *pid, json_t **out);
/*
 * Checks that the actor is a member of project pid's workspace (404
 * PROJECT_NOT_FOUND otherwise) and, when for_write is set, that the project is
 * active (409 PROJECT_ARCHIVED), in one query. *project (may be NULL)
 * receives the project with ISO times (new reference); role (may be NULL)
 * "admin" or "member".
 */
int vb_pt_project_access(vb_op_ctx *c, const char *pid, int for_write, json_t **project,
                         char role[16]);
/* 1 if status names one of the project's columns. */
int vb_pt_column_ok(const json_t *project, const char *status);

/* Loads task tid as a raw task object into *out (new; NULL when absent).
 * Returns 0 or VB_EIO. */
int vb_pt_task_load(vb_db *db, const char *tid, json_t **out);
/*
 * Checks access to task tid like vb_pt_project_access (404 TASK_NOT_FOUND,
 * 409 PROJECT_ARCHIVED when for_write). *task and *project (each may be NULL)
 * receive the raw task and its raw project (new references).
 */
int vb_pt_task_access(vb_op_ctx *c, const char *tid, int for_write, json_t **task, json_t **project,
                      char role[16]);

/* Appends an error for field to errors for every id of ids (array of strings)
 * that is not a member of workspace wid. Returns 0 or VB_EIO. */
int vb_pt_check_members(vb_db *db, const char *wid, json_t *ids, const char *field, json_t *errors);
/* Same for label ids that are not labels of workspace wid. */
int vb_pt_check_labels(vb_db *db, const char *wid, json_t *ids, const char *field, json_t *errors);
/* A new array with the strings of arr (array or NULL/null), duplicates
 * removed, order kept. */
json_t *vb_pt_unique_ids(const json_t *arr);

/* Replaces the label set of task tid with ids (array of strings). */
int vb_pt_set_labels(vb_db *db, const char *tid, json_t *ids);
/* Replaces the assignee set of task tid with ids (array of strings). */
int vb_pt_set_assignees(vb_db *db, const char *tid, json_t *ids);

/* *out receives the index just past the last task of column status. */
int vb_pt_column_end(vb_db *db, const char *pid, const char *status, int64_t *out);
/* Renumbers column status of project pid contiguously 0..n-1, keeping its
 * order (order_index, then creation). */
int vb_pt_renumber(vb_db *db, const char *pid, const char *status);

/* Queues the "task_changed" event {projectId, taskId, status[, previousStatus]}
 * on topic "project:<pid>". prev may be NULL. */
void vb_pt_task_event(vb_op_ctx *c, const char *pid, const char *tid, const char *status,
                      const char *prev);
/* Notifies each assignee of task (raw), and its reporter when with_reporter is
 * set, except the user ids in skip (array or NULL), with type/title/data
 * (data is copied per user; stolen). Returns 0 or a negative vb_err. */
int vb_pt_notify_task(vb_op_ctx *c, const json_t *task, int with_reporter, const json_t *skip,
                      const char *type, const char *title, json_t *data);
/* Replaces the assignees of task (raw) with ids (unique, checked members):
 * when the set changes, activity assignee_changed {added, removed},
 * task_assigned notifications to the newly added and the task_changed event.
 * Returns 0 or a negative vb_err (c may have failed). */
int vb_pt_replace_assignees(vb_op_ctx *c, const json_t *task, json_t *ids);
/* Moves task (raw) to the end of column to (different from its status),
 * renumbers the old column, sets updated_at. Returns 0 or VB_EIO. */
int vb_pt_move_to_end(vb_op_ctx *c, const json_t *task, const char *to, int64_t now);
/* The status key in words for people ("in-progress" -> "In progress") into
 * out (n bytes); returns out. */
const char *vb_pt_status_name(const char *status, char *out, size_t n);
/* Applies a status change of task (raw) to column to: move to the end,
 * activity status_changed, notifications task_status_changed, event. */
int vb_pt_change_status(vb_op_ctx *c, const json_t *task, const char *to);

#endif
