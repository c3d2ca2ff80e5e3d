/*
 * Project and board routes: each one is a single store operation
 * (store/ops_projects.c), so this file only declares them.
 */
#include "app/vb_routes.h"
#include "store/vb_ops_pt.h"

static const char *const project_statuses[] = {"active", "archived", NULL};

static const vb_field f_project_create[] = {
    {.name = "name",
     .type = VB_F_STRING,
     .required = 1,
     .min = 1,
     .max = 100,
     .description = "Project name"},
    {.name = "key",
     .type = VB_F_STRING,
     .required = 1,
     .min = 2,
     .max = 10,
     .format = VB_FMT_PROJECT_KEY,
     .description = "Task key prefix, ^[A-Z][A-Z0-9]{1,9}$, unique in the workspace"},
    {.name = "description",
     .type = VB_F_STRING,
     .nullable = 1,
     .max = 5000,
     .description = "Description, or null"},
    {.name = "leadId",
     .type = VB_F_STRING,
     .nullable = 1,
     .format = VB_FMT_ID,
     .description = "Project lead (a workspace member), or null"},
};
static const vb_field f_project_patch[] = {
    {.name = "name", .type = VB_F_STRING, .min = 1, .max = 100, .description = "Project name"},
    {.name = "description",
     .type = VB_F_STRING,
     .nullable = 1,
     .max = 5000,
     .description = "Description, or null"},
    {.name = "leadId",
     .type = VB_F_STRING,
     .nullable = 1,
     .format = VB_FMT_ID,
     .description = "Project lead (a workspace member), or null"},
};
static const vb_field f_project_list[] = {
    {.name = "status",
     .type = VB_F_ENUM,
     .values = project_statuses,
     .description = "Only projects in this state (default: all)"},
    VB_ROUTES_PAGE_FIELDS,
};
static const vb_schema s_project_create = VB_SCHEMA(f_project_create);
static const vb_schema s_project_patch = VB_SCHEMA_PATCH(f_project_patch);
static const vb_schema s_project_list = VB_SCHEMA(f_project_list);

#define B VB_AUTH_BEARER
#define OBJ VB_RESULT_OBJECT
static const vb_route routes[] = {
    {.method = "POST",
     .pattern = "/api/v1/workspaces/:wid/projects",
     .op_id = "createProject",
     .tag = "projects",
     .summary = "Create a project (members); the key is unique in the workspace",
     .auth = B,
     .body = &s_project_create,
     .op = vb_op_project_create,
     .write = 1,
     .status = 201,
     .result = OBJ},
    {.method = "GET",
     .pattern = "/api/v1/workspaces/:wid/projects",
     .op_id = "listProjects",
     .tag = "projects",
     .summary = "The workspace's projects, newest first (members)",
     .auth = B,
     .query = &s_project_list,
     .op = vb_op_project_list,
     .status = 200,
     .result = VB_RESULT_PAGE},
    {.method = "GET",
     .pattern = "/api/v1/projects/:pid",
     .op_id = "getProject",
     .tag = "projects",
     .summary = "A project with its task count",
     .auth = B,
     .op = vb_op_project_get,
     .status = 200,
     .result = OBJ},
    {.method = "PATCH",
     .pattern = "/api/v1/projects/:pid",
     .op_id = "updateProject",
     .tag = "projects",
     .summary = "Update a project (members; leadId: workspace admins or the current lead; 409 "
                "PROJECT_ARCHIVED when archived)",
     .auth = B,
     .body = &s_project_patch,
     .op = vb_op_project_update,
     .write = 1,
     .status = 200,
     .result = OBJ},
    {.method = "DELETE",
     .pattern = "/api/v1/projects/:pid",
     .op_id = "archiveProject",
     .tag = "projects",
     .summary = "Archive a project (workspace admins or the project lead); it becomes read-only",
     .auth = B,
     .op = vb_op_project_archive,
     .write = 1,
     .status = 204,
     .result = VB_RESULT_EMPTY},
    {.method = "GET",
     .pattern = "/api/v1/projects/:pid/board",
     .op_id = "getBoard",
     .tag = "projects",
     .summary = "The board: the project's columns with their tasks in order",
     .auth = B,
     .op = vb_op_project_board,
     .status = 200,
     .result = OBJ},
};
#undef B
#undef OBJ

const vb_route_group vb_routes_projects = {routes, sizeof routes / sizeof routes[0]};
