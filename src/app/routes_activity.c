/*
 * Activity log routes: each one is a single store operation
 * (store/ops_activity.c), so this file only declares them.
 */
#include "app/vb_routes.h"
#include "store/vb_ops_collab.h"

#define B VB_AUTH_BEARER
#define PAGE VB_RESULT_PAGE
static const vb_route routes[] = {
    {"GET", "/api/v1/workspaces/:wid/activity", "listWorkspaceActivity", "activity",
     "The workspace's activity, newest first (members; includes deleted tasks' rows)", B, NULL,
     &vb_routes_page, vb_op_activity_workspace, 0, NULL, 200, PAGE},
    {"GET", "/api/v1/projects/:pid/activity", "listProjectActivity", "activity",
     "The project's activity, newest first (members)", B, NULL, &vb_routes_page,
     vb_op_activity_project, 0, NULL, 200, PAGE},
    {"GET", "/api/v1/tasks/:id/activity", "listTaskActivity", "activity",
     "The task's activity, newest first (members)", B, NULL, &vb_routes_page, vb_op_activity_task,
     0, NULL, 200, PAGE},
};
#undef B
#undef PAGE

const vb_route_group vb_routes_activity = {routes, sizeof routes / sizeof routes[0]};
