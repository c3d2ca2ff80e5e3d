/*
 * Workspace invitations: an admin invites an email, the account with that
 * email accepts (and becomes a member) or declines. The invite answers the
 * same whether or not anyone has registered the email, so it tells nothing
 * about who has an account; an invitee who registers later finds the
 * invitation waiting (matched by email when they list theirs).
 *
 * Errors: INVITATION_NOT_FOUND for an invitation that is not the caller's,
 * not pending, or unknown (never revealing which); INVITATION_EXPIRED for the
 * invitee's own expired one; ALREADY_MEMBER (409). The rate of invitations
 * per inviter is limited before the store (INVITE_RATE_LIMIT, app chain).
 */
#include "store/vb_ops_mail.h"
#include "store/vb_ops_ws.h"

#include "core/vb_common.h"
#include "core/vb_id.h"

#include <ctype.h>
#include <stdio.h>

#define EMAIL_MAX 254

/* The invitation shape; the caller adds WHERE and ORDER. */
#define INVITE_SELECT                                                                              \
    "SELECT i.id, i.workspace_id AS workspaceId, w.name AS workspaceName, i.email, i.role,"        \
    " i.status, i.invited_by AS invitedBy,"                                                        \
    " (SELECT u.first_name || ' ' || u.last_name FROM users u WHERE u.id = i.invited_by)"          \
    "  AS invitedByName,"                                                                          \
    " i.created_at AS \"t:createdAt\", i.expires_at AS \"t:expiresAt\""                            \
    " FROM invitations i JOIN workspaces w ON w.id = i.workspace_id "

/* Copies email lower-cased into out (as accounts store it). */
static void email_lower(const char *email, char out[EMAIL_MAX + 1])
{
    size_t i = 0;
    for (; email && email[i] && i < EMAIL_MAX; i++)
        out[i] = (char)tolower((unsigned char)email[i]);
    out[i] = '\0';
}

/* *out receives the invitation id's shape (new reference) or NULL. */
static int invite_row(vb_op_ctx *c, const char *id, json_t **out)
{
    int rc = vb_db_row(c->db, out, INVITE_SELECT "WHERE i.id = ?", "s", id);
    return rc < 0 ? vb_op_internal(c, rc) : 0;
}

/*
 * POST /workspaces/:wid/invite {email, role?} (admins) -> 201 invitation.
 * A pending invitation of the same email is renewed (role, inviter,
 * expiry). Notifies the invitee (workspace_invite) when the email has an
 * account. 409 ALREADY_MEMBER when that account is a member already.
 */
int vb_op_invite_create(vb_op_ctx *c)
{
    const char *wid = vb_arg_param(c, "wid");
    json_t *body = vb_arg_body(c), *user = NULL, *inv = NULL;
    const char *role = vb_arg_str(body, "role");
    char email[EMAIL_MAX + 1], id[VB_ID_LEN + 1], title[256];
    int64_t now = vb_op_now(), member = 0;
    int rc = vb_guard_workspace(c, wid, 1, NULL);

    if (rc < 0) return rc;
    if (!role) role = "member";
    email_lower(vb_arg_str(body, "email"), email);
    rc = vb_db_row(c->db, &user, "SELECT id FROM users WHERE email = ?", "s", email);
    if (rc < 0) return vb_op_internal(c, rc);
    if (user) {
        rc = vb_db_int(
            c->db, &member, 0,
            "SELECT COUNT(*) FROM workspace_members WHERE workspace_id = ? AND user_id = ?", "ss",
            wid, vb_arg_str(user, "id"));
        if (rc < 0) goto internal;
        if (member) {
            rc = vb_op_fail(c, VB_ECONFLICT, "ALREADY_MEMBER", "Already a member");
            goto done;
        }
    }
    rc = vb_db_row(c->db, &inv,
                   "SELECT id FROM invitations WHERE workspace_id = ? AND email = ?"
                   " AND status = 'pending'",
                   "ss", wid, email);
    if (rc < 0) goto internal;
    if (inv) {
        snprintf(id, sizeof id, "%s", vb_arg_str(inv, "id"));
        json_decref(inv);
        inv = NULL;
        rc = vb_db_exec(c->db,
                        "UPDATE invitations SET role = ?, invited_by = ?, created_at = ?,"
                        " expires_at = ?, updated_at = ? WHERE id = ?",
                        "ssiiis", role, vb_arg_actor(c), now, now + VB_INVITE_TTL_MS, now, id);
    } else {
        vb_id_new(id);
        rc = vb_db_exec(
            c->db,
            "INSERT INTO invitations (id, workspace_id, email, role, status, invited_by,"
            " created_at, expires_at, updated_at)"
            " VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, ?)",
            "sssssiii", id, wid, email, role, vb_arg_actor(c), now, now + VB_INVITE_TTL_MS, now);
    }
    if (rc < 0) goto internal;
    rc = invite_row(c, id, &inv);
    if (rc < 0) goto done;
    if (!inv) goto internal;
    if (user) {
        snprintf(title, sizeof title, "You were invited to %s",
                 vb_arg_str(inv, "workspaceName") ? vb_arg_str(inv, "workspaceName")
                                                  : "a workspace");
        rc = vb_notify(c, vb_arg_str(user, "id"), wid, "workspace_invite", title,
                       json_pack("{s:s, s:s, s:s?, s:s, s:s?}", "invitationId", id, "workspaceId",
                                 wid, "workspaceName", vb_arg_str(inv, "workspaceName"), "role",
                                 role, "invitedBy", vb_arg_actor(c)));
        if (rc < 0) goto done;
    }
    /* The mail goes to the address whether or not it has an account yet; the
     * link opens the app, where pending invitations are listed on every page. */
    rc = vb_mail_enqueue(c, VB_MAIL_INVITATION, user ? vb_arg_str(user, "id") : email,
                         json_pack("{s:s, s:s?, s:s?, s:s, s:s, s:s}", "invitationId", id,
                                   "workspaceName", vb_arg_str(inv, "workspaceName"), "inviterName",
                                   vb_arg_str(inv, "invitedByName"), "role", role, "workspaceId",
                                   wid, "path", "/"));
    if (rc < 0) goto done;
    c->result = inv;
    inv = NULL;
    rc = 0;
    goto done;
internal:
    rc = vb_op_internal(c, rc < 0 ? rc : VB_EIO);
done:
    json_decref(user);
    json_decref(inv);
    return rc;
}

/*
 * One page of pending, unexpired invitations: count_sql counts them and
 * rows_sql (ending in LIMIT ? OFFSET ?) selects them; both take key (a
 * workspace id or the caller's id) and now. Static SQL texts: the
 * statements are cached by their text.
 */
static int pending_page(vb_op_ctx *c, const char *count_sql, const char *rows_sql, const char *key)
{
    json_t *rows = NULL;
    int64_t page, limit, total = 0, now = vb_op_now();
    int rc;

    vb_page_args(c, &page, &limit);
    rc = vb_db_int(c->db, &total, 0, count_sql, "si", key, now);
    if (!rc) rc = vb_db_rows(c->db, &rows, rows_sql, "siii", key, now, limit, (page - 1) * limit);
    if (rc) return vb_op_internal(c, rc);
    c->result = vb_page_result(rows, page, limit, total);
    return c->result ? 0 : vb_op_fail(c, VB_ENOMEM, "INTERNAL_ERROR", "Out of memory");
}

/* GET /workspaces/:wid/invitations (admins): the pending, unexpired ones, newest first. */
int vb_op_invite_list_ws(vb_op_ctx *c)
{
    const char *wid = vb_arg_param(c, "wid");
    int rc = vb_guard_workspace(c, wid, 1, NULL);

    if (rc < 0) return rc;
    return pending_page(c,
                        "SELECT COUNT(*) FROM invitations WHERE workspace_id = ?"
                        " AND status = 'pending' AND expires_at > ?",
                        INVITE_SELECT "WHERE i.workspace_id = ? AND i.status = 'pending'"
                                      " AND i.expires_at > ? ORDER BY i.created_at DESC, i.id DESC"
                                      " LIMIT ? OFFSET ?",
                        wid);
}

/* DELETE /workspaces/:wid/invitations/:id (admins): revokes a pending one. */
int vb_op_invite_revoke(vb_op_ctx *c)
{
    const char *wid = vb_arg_param(c, "wid"), *id = vb_arg_param(c, "id");
    int rc = vb_guard_workspace(c, wid, 1, NULL);

    if (rc < 0) return rc;
    rc = vb_db_exec(c->db,
                    "UPDATE invitations SET status = 'revoked', updated_at = ?"
                    " WHERE id = ? AND workspace_id = ? AND status = 'pending'",
                    "iss", vb_op_now(), id, wid);
    if (rc < 0) return vb_op_internal(c, rc);
    if (vb_db_changes(c->db) == 0)
        return vb_op_fail(c, VB_ENOTFOUND, "INVITATION_NOT_FOUND", "Invitation not found");
    return 0;
}

/* GET /invitations: the caller's pending, unexpired invitations (by the
 * account's email), newest first. */
int vb_op_invite_list_mine(vb_op_ctx *c)
{
    return pending_page(c,
                        "SELECT COUNT(*) FROM invitations i JOIN users u ON u.id = ?"
                        " WHERE i.email = u.email AND i.status = 'pending' AND i.expires_at > ?",
                        INVITE_SELECT "JOIN users me ON me.id = ? WHERE i.email = me.email"
                                      " AND i.status = 'pending' AND i.expires_at > ?"
                                      " ORDER BY i.created_at DESC, i.id DESC LIMIT ? OFFSET ?",
                        vb_arg_actor(c));
}

/*
 * The caller's pending invitation :id into *out (new reference: {workspaceId,
 * role, invitedBy, expiresAt as ms}), or fails c: INVITATION_NOT_FOUND,
 * INVITATION_EXPIRED.
 */
static int own_pending(vb_op_ctx *c, json_t **out)
{
    int rc = vb_db_row(c->db, out,
                       "SELECT i.workspace_id AS workspaceId, i.role, i.invited_by AS invitedBy,"
                       " i.expires_at AS expiresAt FROM invitations i JOIN users u ON u.id = ?"
                       " WHERE i.id = ? AND i.email = u.email AND i.status = 'pending'",
                       "ss", vb_arg_actor(c), vb_arg_param(c, "id"));
    if (rc < 0) return vb_op_internal(c, rc);
    if (!*out) return vb_op_fail(c, VB_ENOTFOUND, "INVITATION_NOT_FOUND", "Invitation not found");
    if (json_integer_value(json_object_get(*out, "expiresAt")) <= vb_op_now()) {
        json_decref(*out);
        *out = NULL;
        return vb_op_fail(c, VB_ECONFLICT, "INVITATION_EXPIRED", "This invitation has expired");
    }
    return 0;
}

/* Sets the status of invitation :id (pending) to status. */
static int set_status(vb_op_ctx *c, const char *status)
{
    int rc = vb_db_exec(c->db, "UPDATE invitations SET status = ?, updated_at = ? WHERE id = ?",
                        "sis", status, vb_op_now(), vb_arg_param(c, "id"));
    return rc < 0 ? vb_op_internal(c, rc) : 0;
}

/*
 * POST /invitations/:id/accept -> the workspace (as the new member sees it).
 * The caller becomes a member with the invitation's role; logs member_joined
 * and queues "member_added" on "user:<uid>" so that the user's live
 * connections follow the new workspace without reconnecting.
 */
int vb_op_invite_accept(vb_op_ctx *c)
{
    const char *uid = vb_arg_actor(c);
    json_t *inv = NULL;
    char wid[VB_ID_LEN * 2 + 1], topic[VB_OP_TOPIC_MAX];
    int64_t member = 0;
    int rc = own_pending(c, &inv);

    if (rc < 0) return rc;
    snprintf(wid, sizeof wid, "%s", vb_arg_str(inv, "workspaceId"));
    rc = vb_db_int(c->db, &member, 0,
                   "SELECT COUNT(*) FROM workspace_members WHERE workspace_id = ? AND user_id = ?",
                   "ss", wid, uid);
    if (rc < 0) goto internal;
    if (member) {
        rc = vb_op_fail(c, VB_ECONFLICT, "ALREADY_MEMBER", "Already a member");
        goto done;
    }
    rc = vb_db_exec(c->db,
                    "INSERT INTO workspace_members (workspace_id, user_id, role, joined_at)"
                    " VALUES (?, ?, ?, ?)",
                    "sssi", wid, uid, vb_arg_str(inv, "role"), vb_op_now());
    if (rc < 0) goto internal;
    rc = set_status(c, "accepted");
    if (rc < 0) goto done;
    rc = vb_activity(c, wid, NULL, NULL, "member_joined",
                     json_pack("{s:s, s:s?, s:s?, s:s}", "userId", uid, "role",
                               vb_arg_str(inv, "role"), "invitedBy", vb_arg_str(inv, "invitedBy"),
                               "invitationId", vb_arg_param(c, "id")));
    if (rc < 0) goto done;
    vb_op_topic(topic, VB_OP_TOPIC_USER, uid);
    vb_op_event(c, topic, "member_added",
                json_pack("{s:s, s:s}", "userId", uid, "workspaceId", wid));
    rc = vb_ws_result(c, wid);
    goto done;
internal:
    rc = vb_op_internal(c, rc < 0 ? rc : VB_EIO);
done:
    json_decref(inv);
    return rc;
}

/* POST /invitations/:id/decline: the invitation is dropped. */
int vb_op_invite_decline(vb_op_ctx *c)
{
    json_t *inv = NULL;
    int rc = own_pending(c, &inv);
    json_decref(inv);
    if (rc < 0) return rc;
    return set_status(c, "declined");
}
