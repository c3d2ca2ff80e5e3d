/*
 * Workspace and member routes: each one is a single store operation
 * (store/ops_workspaces.c), so this file only declares them.
 */
#include "app/vb_routes.h"
#include "store/vb_ops_ws.h"

static const char *const roles[] = {"admin", "member", NULL};

static const vb_field f_ws_create[] = {
    {"name", VB_F_STRING, 1, 0, 1, 100, VB_FMT_NONE, NULL, "Workspace name"},
    {"slug", VB_F_STRING, 0, 0, 2, 60, VB_FMT_SLUG, NULL,
     "URL name; derived from the name when absent"},
    {"description", VB_F_STRING, 0, 1, 0, 2000, VB_FMT_NONE, NULL, "Description, or null"},
    {"logoUrl", VB_F_STRING, 0, 1, 0, 2048, VB_FMT_URL, NULL, "Logo image URL, or null"},
};
static const vb_field f_ws_patch[] = {
    {"name", VB_F_STRING, 0, 0, 1, 100, VB_FMT_NONE, NULL, "Workspace name"},
    {"slug", VB_F_STRING, 0, 0, 2, 60, VB_FMT_SLUG, NULL, "URL name"},
    {"description", VB_F_STRING, 0, 1, 0, 2000, VB_FMT_NONE, NULL, "Description, or null"},
    {"logoUrl", VB_F_STRING, 0, 1, 0, 2048, VB_FMT_URL, NULL, "Logo image URL, or null"},
};
static const vb_field f_member_patch[] = {
    {"role", VB_F_ENUM, 1, 0, 0, 0, VB_FMT_NONE, roles, "admin or member"},
};
static const vb_schema s_ws_create = VB_SCHEMA(f_ws_create);
static const vb_schema s_ws_patch = VB_SCHEMA_PATCH(f_ws_patch);
static const vb_schema s_member_patch = VB_SCHEMA(f_member_patch);

#define P "/api/v1/workspaces"
#define B VB_AUTH_BEARER
#define OBJ VB_RESULT_OBJECT
static const vb_route routes[] = {
    {"POST", P, "createWorkspace", "workspaces", "Create a workspace (the caller is its owner)", B,
     &s_ws_create, NULL, vb_op_ws_create, 1, NULL, 201, OBJ},
    {"GET", P, "listWorkspaces", "workspaces", "The caller's workspaces", B, NULL, &vb_routes_page,
     vb_op_ws_list, 0, NULL, 200, VB_RESULT_PAGE},
    {"GET", P "/:wid", "getWorkspace", "workspaces", "A workspace (members)", B, NULL, NULL,
     vb_op_ws_get, 0, NULL, 200, OBJ},
    {"PATCH", P "/:wid", "updateWorkspace", "workspaces", "Update a workspace (admins)", B,
     &s_ws_patch, NULL, vb_op_ws_update, 1, NULL, 200, OBJ},
    {"DELETE", P "/:wid", "deleteWorkspace", "workspaces",
     "Delete a workspace and everything in it (the owner only)", B, NULL, NULL, vb_op_ws_delete, 1,
     NULL, 204, VB_RESULT_EMPTY},
    {"GET", P "/:wid/members", "listMembers", "members", "The workspace's members", B, NULL,
     &vb_routes_page, vb_op_ws_members, 0, NULL, 200, VB_RESULT_PAGE},
    {"PATCH", P "/:wid/members/:userId", "updateMemberRole", "members",
     "Change a member's role (admins)", B, &s_member_patch, NULL, vb_op_ws_member_update, 1, NULL,
     200, OBJ},
    {"DELETE", P "/:wid/members/:userId", "removeMember", "members", "Remove a member (admins)", B,
     NULL, NULL, vb_op_ws_member_remove, 1, NULL, 204, VB_RESULT_EMPTY},
    {"POST", P "/:wid/leave", "leaveWorkspace", "members", "Leave the workspace", B, NULL, NULL,
     vb_op_ws_leave, 1, NULL, 204, VB_RESULT_EMPTY},
};
#undef P
#undef B
#undef OBJ

const vb_route_group vb_routes_workspaces = {routes, sizeof routes / sizeof routes[0]};
