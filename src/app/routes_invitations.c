/*
 * Invitation routes: an admin invites an email into a workspace, lists and
 * revokes the pending invitations; the invitee lists theirs and accepts or
 * declines. Each is a single store operation (store/ops_invitations.c).
 */
#include "app/vb_routes.h"
#include "store/vb_ops_ws.h"

static const char *const roles[] = {"admin", "member", NULL};

static const vb_field f_invite[] = {
    {.name = "email",
     .type = VB_F_STRING,
     .required = 1,
     .min = 3,
     .max = 254,
     .format = VB_FMT_EMAIL,
     .description = "Email to invite (registered or not; the answer is the same)"},
    {.name = "role",
     .type = VB_F_ENUM,
     .values = roles,
     .description = "admin or member (default member)"},
};
static const vb_schema s_invite = VB_SCHEMA(f_invite);

#define W "/api/v1/workspaces/:wid"
#define I "/api/v1/invitations"
#define B VB_AUTH_BEARER
#define OBJ VB_RESULT_OBJECT
#define PAGE VB_RESULT_PAGE
#define EMPTY VB_RESULT_EMPTY
static const vb_route routes[] = {
    {.method = "POST",
     .pattern = W "/invite",
     .op_id = "inviteMember",
     .tag = "invitations",
     .summary =
         "Invite an email into the workspace (admins): a pending invitation for 7 days, whether or "
         "not the email is registered; 409 ALREADY_MEMBER; 429 RATE_LIMITED",
     .auth = B,
     .body = &s_invite,
     .op = vb_op_invite_create,
     .write = 1,
     .status = 201,
     .result = OBJ},
    {.method = "GET",
     .pattern = W "/invitations",
     .op_id = "listWorkspaceInvitations",
     .tag = "invitations",
     .summary = "The workspace's pending invitations, newest first (admins)",
     .auth = B,
     .query = &vb_routes_page,
     .op = vb_op_invite_list_ws,
     .status = 200,
     .result = PAGE},
    {.method = "DELETE",
     .pattern = W "/invitations/:id",
     .op_id = "revokeInvitation",
     .tag = "invitations",
     .summary = "Revoke a pending invitation (admins)",
     .auth = B,
     .op = vb_op_invite_revoke,
     .write = 1,
     .status = 204,
     .result = EMPTY},
    {.method = "GET",
     .pattern = I,
     .op_id = "listMyInvitations",
     .tag = "invitations",
     .summary =
         "The caller's pending invitations (also those sent to their email before they registered)",
     .auth = B,
     .query = &vb_routes_page,
     .op = vb_op_invite_list_mine,
     .status = 200,
     .result = PAGE},
    {.method = "POST",
     .pattern = I "/:id/accept",
     .op_id = "acceptInvitation",
     .tag = "invitations",
     .summary = "Accept an invitation: the caller becomes a member; answers the workspace",
     .auth = B,
     .op = vb_op_invite_accept,
     .write = 1,
     .status = 200,
     .result = OBJ},
    {.method = "POST",
     .pattern = I "/:id/decline",
     .op_id = "declineInvitation",
     .tag = "invitations",
     .summary = "Decline an invitation",
     .auth = B,
     .op = vb_op_invite_decline,
     .write = 1,
     .status = 204,
     .result = EMPTY},
};
#undef W
#undef I
#undef B
#undef OBJ
#undef PAGE
#undef EMPTY

const vb_route_group vb_routes_invitations = {routes, sizeof routes / sizeof routes[0]};
