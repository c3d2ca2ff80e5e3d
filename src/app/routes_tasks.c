/*
 * Task routes: each one is a single store operation (store/ops_tasks*.c), so
 * this file only declares them.
 */
#include "app/vb_routes.h"
#include "store/vb_ops_pt.h"

static const char *const priorities[] = {"critical", "high", "medium", "low", "none", NULL};
static const char *const task_sorts[] = {"createdAt",  "-createdAt", "updatedAt", "-updatedAt",
                                         "priority",   "-priority",  "dueDate",   "-dueDate",
                                         "orderIndex", NULL};

static const vb_field f_task_create[] = {
    {"title", VB_F_STRING, 1, 0, 1, 500, VB_FMT_NONE, NULL, "Title"},
    {"description", VB_F_STRING, 0, 1, 0, 20000, VB_FMT_NONE, NULL, "Description, or null"},
    {"status", VB_F_STRING, 0, 0, 1, 50, VB_FMT_NONE, NULL,
     "One of the project's columns (default todo)"},
    {"priority", VB_F_ENUM, 0, 0, 0, 0, VB_FMT_NONE, priorities, "Priority (default none)"},
    {"assigneeIds", VB_F_STRING_ARRAY, 0, 1, 0, 20, VB_FMT_ID, NULL,
     "Assignees: workspace members (at most 20)"},
    {"labelIds", VB_F_STRING_ARRAY, 0, 1, 0, 50, VB_FMT_ID, NULL,
     "Labels of the workspace (at most 50)"},
    {"parentTaskId", VB_F_STRING, 0, 1, 0, 0, VB_FMT_ID, NULL,
     "Parent task (of the same project), or null"},
    {"dueDate", VB_F_STRING, 0, 1, 0, 0, VB_FMT_DATETIME, NULL, "ISO 8601 date or date-time"},
    {"estimatePoints", VB_F_NUMBER, 0, 1, 0, 1000, VB_FMT_NONE, NULL, "Estimate, 0..1000"},
};
static const vb_field f_task_patch[] = {
    {"title", VB_F_STRING, 0, 0, 1, 500, VB_FMT_NONE, NULL, "Title"},
    {"description", VB_F_STRING, 0, 1, 0, 20000, VB_FMT_NONE, NULL, "Description, or null"},
    {"status", VB_F_STRING, 0, 0, 1, 50, VB_FMT_NONE, NULL,
     "One of the project's columns; moves the task to the end of that column"},
    {"priority", VB_F_ENUM, 0, 0, 0, 0, VB_FMT_NONE, priorities, "Priority"},
    {"assigneeIds", VB_F_STRING_ARRAY, 0, 1, 0, 20, VB_FMT_ID, NULL,
     "Assignees: workspace members, at most 20 (replaces the set; null clears it)"},
    {"labelIds", VB_F_STRING_ARRAY, 0, 1, 0, 50, VB_FMT_ID, NULL,
     "Labels of the workspace (replaces the set; null clears it)"},
    {"parentTaskId", VB_F_STRING, 0, 1, 0, 0, VB_FMT_ID, NULL,
     "Parent task (same project, not itself, no cycle), or null"},
    {"dueDate", VB_F_STRING, 0, 1, 0, 0, VB_FMT_DATETIME, NULL, "ISO 8601 date or date-time"},
    {"estimatePoints", VB_F_NUMBER, 0, 1, 0, 1000, VB_FMT_NONE, NULL, "Estimate, 0..1000"},
};
static const vb_field f_task_status[] = {
    {"status", VB_F_STRING, 1, 0, 1, 50, VB_FMT_NONE, NULL, "One of the project's columns"},
};
static const vb_field f_task_assignees[] = {
    {"assigneeIds", VB_F_STRING_ARRAY, 1, 0, 0, 20, VB_FMT_ID, NULL,
     "The new set of assignees (workspace members, at most 20)"},
};
static const vb_field f_task_reorder[] = {
    {"status", VB_F_STRING, 1, 0, 1, 50, VB_FMT_NONE, NULL, "The target column"},
    {"orderIndex", VB_F_INT, 1, 0, 0, 1000000, VB_FMT_NONE, NULL,
     "Position in the column (0 first; past the end means the end)"},
};
static const vb_field f_task_list[] = {
    {"status", VB_F_STRING, 0, 0, 1, 50, VB_FMT_NONE, NULL, "Only tasks in this column"},
    {"assigneeId", VB_F_STRING, 0, 0, 0, 0, VB_FMT_ID, NULL, "Only tasks assigned to this user"},
    {"priority", VB_F_ENUM, 0, 0, 0, 0, VB_FMT_NONE, priorities, "Only tasks of this priority"},
    {"q", VB_F_STRING, 0, 0, 0, 200, VB_FMT_NONE, NULL,
     "Case-insensitive substring of the title or key"},
    {"parentTaskId", VB_F_STRING, 0, 0, 0, 0, VB_FMT_ID, NULL, "Only subtasks of this task"},
    {"sort", VB_F_ENUM, 0, 0, 0, 0, VB_FMT_NONE, task_sorts,
     "Sort order, '-' for descending (default -createdAt; priority sorts none < low < medium < "
     "high < critical)"},
    VB_ROUTES_PAGE_FIELDS,
};
static const vb_schema s_task_create = VB_SCHEMA(f_task_create);
static const vb_schema s_task_patch = VB_SCHEMA_PATCH(f_task_patch);
static const vb_schema s_task_status = VB_SCHEMA(f_task_status);
static const vb_schema s_task_assignees = VB_SCHEMA(f_task_assignees);
static const vb_schema s_task_reorder = VB_SCHEMA(f_task_reorder);
static const vb_schema s_task_list = VB_SCHEMA(f_task_list);

#define T "/api/v1/tasks/:id"
#define B VB_AUTH_BEARER
#define OBJ VB_RESULT_OBJECT
static const vb_route routes[] = {
    {"POST", "/api/v1/projects/:pid/tasks", "createTask", "tasks",
     "Create a task (key <KEY>-<n>, at the end of its column)", B, &s_task_create, NULL,
     vb_op_task_create, 1, NULL, 201, OBJ},
    {"GET", "/api/v1/projects/:pid/tasks", "listTasks", "tasks",
     "The project's tasks, filtered, sorted and paginated", B, NULL, &s_task_list, vb_op_task_list,
     0, NULL, 200, VB_RESULT_PAGE},
    {"GET", T, "getTask", "tasks", "A task", B, NULL, NULL, vb_op_task_get, 0, NULL, 200, OBJ},
    {"PATCH", T, "updateTask", "tasks", "Update a task's fields", B, &s_task_patch, NULL,
     vb_op_task_update, 1, NULL, 200, OBJ},
    {"DELETE", T, "deleteTask", "tasks",
     "Delete a task and its subtasks (the reporter or workspace admins)", B, NULL, NULL,
     vb_op_task_delete, 1, NULL, 204, VB_RESULT_EMPTY},
    {"PATCH", T "/status", "updateTaskStatus", "tasks",
     "Move a task to another column (at its end)", B, &s_task_status, NULL, vb_op_task_status, 1,
     NULL, 200, OBJ},
    {"PATCH", T "/assignees", "updateTaskAssignees", "tasks", "Replace a task's assignees", B,
     &s_task_assignees, NULL, vb_op_task_assignees, 1, NULL, 200, OBJ},
    {"POST", T "/reorder", "reorderTask", "tasks",
     "Move a task to a position within or across columns", B, &s_task_reorder, NULL,
     vb_op_task_reorder, 1, NULL, 200, OBJ},
    {"GET", T "/subtasks", "listSubtasks", "tasks", "A task's direct subtasks, oldest first", B,
     NULL, NULL, vb_op_task_subtasks, 0, NULL, 200, OBJ},
};
#undef T
#undef B
#undef OBJ

const vb_route_group vb_routes_tasks = {routes, sizeof routes / sizeof routes[0]};
