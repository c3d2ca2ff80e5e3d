/*
 * Store operations for auth, users, workspaces and members (see vb_ops.h for
 * the argument convention and the shared helpers).
 *
 * Route operations take {"actor":{"id",...}, "params", "query", "body"} and
 * return the API's shapes. The auth operations are called by the auth
 * handlers (app/routes_auth.c) with flat arguments documented below: the
 * handlers hash passwords and refresh tokens off the store thread, so these
 * operations only ever see hashes.
 *
 * Shapes (times are ISO 8601 strings):
 *   user      {id, email, firstName, lastName, avatarUrl, role, emailNotifications,
 *              createdAt, updatedAt}
 *   workspace {id, name, slug, description, logoUrl, ownerId, createdAt, updatedAt,
 *              role (the caller's), memberCount}
 *   member    {userId, email, firstName, lastName, role, joinedAt}
 */
#ifndef VB_OPS_WS_H
#define VB_OPS_WS_H

#include "store/vb_ops.h"

/* ---- auth (flat arguments; error codes in parentheses) */
/* {email, firstName, lastName, passwordHash, tokenHash, expiresAt} -> {user}.
 * Creates the user (email lower-cased, handle = local part) and a refresh token
 * in a new family. (409 EMAIL_TAKEN) */
int vb_op_auth_register(vb_op_ctx *c);
/* {email} -> {user, passwordHash} or {} when no such user. Read-only. */
int vb_op_auth_lookup(vb_op_ctx *c);
/* {userId, tokenHash, expiresAt} -> {user}: a refresh token in a new family
 * (after a successful login). (401 INVALID_CREDENTIALS if the user vanished) */
int vb_op_auth_session(vb_op_ctx *c);
/* {tokenHash, newTokenHash, expiresAt} -> {user} after rotating the token, or
 * {"reused":true} when a rotated token was presented: the family is then
 * revoked and committed (so this is a success for the store; the handler
 * answers 401 TOKEN_REUSED). (401 INVALID_REFRESH_TOKEN) */
int vb_op_auth_refresh(vb_op_ctx *c);
/* {actor, tokenHash?} -> null. With tokenHash: revokes that token's family if
 * the token is the actor's (else nothing). Without: all the actor's tokens. */
int vb_op_auth_logout(vb_op_ctx *c);
/* {actor} -> {passwordHash} of the actor ({} if the user is gone). Read-only. */
int vb_op_auth_hash_of(vb_op_ctx *c);
/* {actor, passwordHash} -> null: stores the actor's new password hash. */
int vb_op_auth_set_password(vb_op_ctx *c);

/* ---- users (route operations) */
int vb_op_user_me(vb_op_ctx *c);        /* GET /users/me */
int vb_op_user_update_me(vb_op_ctx *c); /* PATCH /users/me */
int vb_op_user_get(vb_op_ctx *c);       /* GET /users/:id */

/* ---- workspaces and members (route operations) */
int vb_op_ws_create(vb_op_ctx *c);        /* POST /workspaces */
int vb_op_ws_list(vb_op_ctx *c);          /* GET /workspaces (page result) */
int vb_op_ws_get(vb_op_ctx *c);           /* GET /workspaces/:wid */
int vb_op_ws_update(vb_op_ctx *c);        /* PATCH /workspaces/:wid */
int vb_op_ws_delete(vb_op_ctx *c);        /* DELETE /workspaces/:wid */
int vb_op_ws_members(vb_op_ctx *c);       /* GET /workspaces/:wid/members (page result) */
int vb_op_ws_member_update(vb_op_ctx *c); /* PATCH /workspaces/:wid/members/:userId */
int vb_op_ws_member_remove(vb_op_ctx *c); /* DELETE /workspaces/:wid/members/:userId */
int vb_op_ws_leave(vb_op_ctx *c);         /* POST /workspaces/:wid/leave */

/* ---- invitations (route operations, store/ops_invitations.c). An invitation
 * {id, workspaceId, workspaceName, email, role, status, invitedBy,
 *  invitedByName, createdAt, expiresAt} is pending until the invitee (the
 * account with that email) accepts or declines it, an admin revokes it, or it
 * expires (VB_INVITE_TTL_MS). */
#define VB_INVITE_TTL_MS (7LL * 24 * 3600 * 1000)
int vb_op_invite_create(vb_op_ctx *c);    /* POST /workspaces/:wid/invite (admins) */
int vb_op_invite_list_ws(vb_op_ctx *c);   /* GET /workspaces/:wid/invitations (admins; page) */
int vb_op_invite_revoke(vb_op_ctx *c);    /* DELETE /workspaces/:wid/invitations/:id (admins) */
int vb_op_invite_list_mine(vb_op_ctx *c); /* GET /invitations (the caller's pending ones) */
int vb_op_invite_accept(vb_op_ctx *c);    /* POST /invitations/:id/accept -> workspace */
int vb_op_invite_decline(vb_op_ctx *c);   /* POST /invitations/:id/decline */

/* ---- helpers shared by these operations */
/* Sets c->result to the workspace shape of wid as the actor sees it
 * (store/ops_workspaces.c). */
int vb_ws_result(vb_op_ctx *c, const char *wid);
/* (implemented in vb_ops_common.c) */
/* *out receives the user shape of uid (new reference) or NULL when there is
 * none. Returns 0 or a failed rc. */
int vb_user_shape(vb_op_ctx *c, const char *uid, json_t **out);

#endif
