/*
 * Invitation routes: an admin invites an email into a workspace, lists and
 * revokes the pending invitations; the invitee lists theirs and accepts or
 * declines. Each is a single store operation (store/ops_invitations.c).
 */
#include "app/vb_routes.h"
#include "store/vb_ops_ws.h"

static const char *const roles[] = {"admin", "member", NULL};

static const vb_field f_invite[] = {
    {"email", VB_F_STRING, 1, 0, 3, 254, VB_FMT_EMAIL, NULL,
     "Email to invite (registered or not; the answer is the same)"},
    {"role", VB_F_ENUM, 0, 0, 0, 0, VB_FMT_NONE, roles, "admin or member (default member)"},
};
static const vb_schema s_invite = VB_SCHEMA(f_invite);

#define W "/api/v1/workspaces/:wid"
#define I "/api/v1/invitations"
#define B VB_AUTH_BEARER
#define OBJ VB_RESULT_OBJECT
#define PAGE VB_RESULT_PAGE
#define EMPTY VB_RESULT_EMPTY
static const vb_route routes[] = {
    {"POST", W "/invite", "inviteMember", "invitations",
     "Invite an email into the workspace (admins): a pending invitation for 7 days, whether or "
     "not the email is registered; 409 ALREADY_MEMBER; 429 RATE_LIMITED",
     B, &s_invite, NULL, vb_op_invite_create, 1, NULL, 201, OBJ},
    {"GET", W "/invitations", "listWorkspaceInvitations", "invitations",
     "The workspace's pending invitations, newest first (admins)", B, NULL, &vb_routes_page,
     vb_op_invite_list_ws, 0, NULL, 200, PAGE},
    {"DELETE", W "/invitations/:id", "revokeInvitation", "invitations",
     "Revoke a pending invitation (admins)", B, NULL, NULL, vb_op_invite_revoke, 1, NULL, 204,
     EMPTY},
    {"GET", I, "listMyInvitations", "invitations",
     "The caller's pending invitations (also those sent to their email before they registered)", B,
     NULL, &vb_routes_page, vb_op_invite_list_mine, 0, NULL, 200, PAGE},
    {"POST", I "/:id/accept", "acceptInvitation", "invitations",
     "Accept an invitation: the caller becomes a member; answers the workspace", B, NULL, NULL,
     vb_op_invite_accept, 1, NULL, 200, OBJ},
    {"POST", I "/:id/decline", "declineInvitation", "invitations", "Decline an invitation", B, NULL,
     NULL, vb_op_invite_decline, 1, NULL, 204, EMPTY},
};
#undef W
#undef I
#undef B
#undef OBJ
#undef PAGE
#undef EMPTY

const vb_route_group vb_routes_invitations = {routes, sizeof routes / sizeof routes[0]};
