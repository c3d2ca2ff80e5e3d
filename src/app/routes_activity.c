/*
 * Activity log routes: each one is a single store operation
 * (store/ops_activity.c), so this file only declares them.
 */
#include "app/vb_routes.h"
#include "store/vb_ops_collab.h"

#define B VB_AUTH_BEARER
#define PAGE VB_RESULT_PAGE
static const vb_route routes[] = {
    {.method = "GET",
     .pattern = "/api/v1/workspaces/:wid/activity",
     .op_id = "listWorkspaceActivity",
     .tag = "activity",
     .summary = "The workspace's activity, newest first (members; includes deleted tasks' rows)",
     .auth = B,
     .query = &vb_routes_page,
     .op = vb_op_activity_workspace,
     .status = 200,
     .result = PAGE},
    {.method = "GET",
     .pattern = "/api/v1/projects/:pid/activity",
     .op_id = "listProjectActivity",
     .tag = "activity",
     .summary = "The project's activity, newest first (members)",
     .auth = B,
     .query = &vb_routes_page,
     .op = vb_op_activity_project,
     .status = 200,
     .result = PAGE},
    {.method = "GET",
     .pattern = "/api/v1/tasks/:id/activity",
     .op_id = "listTaskActivity",
     .tag = "activity",
     .summary = "The task's activity, newest first (members)",
     .auth = B,
     .query = &vb_routes_page,
     .op = vb_op_activity_task,
     .status = 200,
     .result = PAGE},
};
#undef B
#undef PAGE

const vb_route_group vb_routes_activity = {routes, sizeof routes / sizeof routes[0]};
