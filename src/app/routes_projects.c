/*
 * Project and board routes: each one is a single store operation
 * (store/ops_projects.c), so this file only declares them.
 */
#include "app/vb_routes.h"
#include "store/vb_ops_pt.h"

static const char *const project_statuses[] = {"active", "archived", NULL};

static const vb_field f_project_create[] = {
    {"name", VB_F_STRING, 1, 0, 1, 100, VB_FMT_NONE, NULL, "Project name"},
    {"key", VB_F_STRING, 1, 0, 2, 10, VB_FMT_PROJECT_KEY, NULL,
     "Task key prefix, ^[A-Z][A-Z0-9]{1,9}$, unique in the workspace"},
    {"description", VB_F_STRING, 0, 1, 0, 5000, VB_FMT_NONE, NULL, "Description, or null"},
    {"leadId", VB_F_STRING, 0, 1, 0, 0, VB_FMT_ID, NULL,
     "Project lead (a workspace member), or null"},
};
static const vb_field f_project_patch[] = {
    {"name", VB_F_STRING, 0, 0, 1, 100, VB_FMT_NONE, NULL, "Project name"},
    {"description", VB_F_STRING, 0, 1, 0, 5000, VB_FMT_NONE, NULL, "Description, or null"},
    {"leadId", VB_F_STRING, 0, 1, 0, 0, VB_FMT_ID, NULL,
     "Project lead (a workspace member), or null"},
};
static const vb_field f_project_list[] = {
    {"status", VB_F_ENUM, 0, 0, 0, 0, VB_FMT_NONE, project_statuses,
     "Only projects in this state (default: all)"},
    VB_ROUTES_PAGE_FIELDS,
};
static const vb_schema s_project_create = VB_SCHEMA(f_project_create);
static const vb_schema s_project_patch = VB_SCHEMA_PATCH(f_project_patch);
static const vb_schema s_project_list = VB_SCHEMA(f_project_list);

#define B VB_AUTH_BEARER
#define OBJ VB_RESULT_OBJECT
static const vb_route routes[] = {
    {"POST", "/api/v1/workspaces/:wid/projects", "createProject", "projects",
     "Create a project (members); the key is unique in the workspace", B, &s_project_create, NULL,
     vb_op_project_create, 1, NULL, 201, OBJ},
    {"GET", "/api/v1/workspaces/:wid/projects", "listProjects", "projects",
     "The workspace's projects, newest first (members)", B, NULL, &s_project_list,
     vb_op_project_list, 0, NULL, 200, VB_RESULT_PAGE},
    {"GET", "/api/v1/projects/:pid", "getProject", "projects", "A project with its task count", B,
     NULL, NULL, vb_op_project_get, 0, NULL, 200, OBJ},
    {"PATCH", "/api/v1/projects/:pid", "updateProject", "projects",
     "Update a project (members; leadId: workspace admins or the current lead; 409 "
     "PROJECT_ARCHIVED when archived)",
     B, &s_project_patch, NULL, vb_op_project_update, 1, NULL, 200, OBJ},
    {"DELETE", "/api/v1/projects/:pid", "archiveProject", "projects",
     "Archive a project (workspace admins or the project lead); it becomes read-only", B, NULL,
     NULL, vb_op_project_archive, 1, NULL, 204, VB_RESULT_EMPTY},
    {"GET", "/api/v1/projects/:pid/board", "getBoard", "projects",
     "The board: the project's columns with their tasks in order", B, NULL, NULL,
     vb_op_project_board, 0, NULL, 200, OBJ},
};
#undef B
#undef OBJ

const vb_route_group vb_routes_projects = {routes, sizeof routes / sizeof routes[0]};
