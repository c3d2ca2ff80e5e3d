/*
 * User operations: the caller's profile, and other users' profiles as far as
 * the caller may see them (only users who share a workspace with the caller).
 */
#include "store/vb_ops_ws.h"

#include "core/vb_common.h"

#include <string.h>

/* GET /users/me -> user. A token whose user was deleted gets USER_NOT_FOUND. */
int vb_op_user_me(vb_op_ctx *c)
{
    json_t *user = NULL;
    int rc = vb_user_shape(c, vb_arg_actor(c), &user);

    if (rc < 0) return rc;
    if (!user) return vb_op_fail(c, VB_ENOTFOUND, "USER_NOT_FOUND", "User not found");
    c->result = user;
    return 0;
}

/*
 * PATCH /users/me {firstName?, lastName?, avatarUrl? (nullable), emailNotifications?}
 * -> user.
 * Only the fields present change; the body is already validated.
 */
int vb_op_user_update_me(vb_op_ctx *c)
{
    const char *actor = vb_arg_actor(c);
    json_t *body = vb_arg_body(c);
    json_t *avatar = json_object_get(body, "avatarUrl");
    json_t *notify = json_object_get(body, "emailNotifications");
    int rc;

    rc = vb_db_exec(c->db,
                    "UPDATE users SET first_name = COALESCE(?, first_name),"
                    " last_name = COALESCE(?, last_name),"
                    " avatar_url = CASE WHEN ? <> 0 THEN ? ELSE avatar_url END,"
                    " email_notifications = CASE WHEN ? <> 0 THEN ? ELSE email_notifications END,"
                    " updated_at = ? WHERE id = ?",
                    "ssisiiis", vb_arg_str(body, "firstName"), vb_arg_str(body, "lastName"),
                    (int64_t)(avatar != NULL), json_string_value(avatar),
                    (int64_t)json_is_boolean(notify), (int64_t)json_is_true(notify), vb_op_now(),
                    actor);
    if (rc < 0) return vb_op_internal(c, rc);
    if (vb_db_changes(c->db) == 0)
        return vb_op_fail(c, VB_ENOTFOUND, "USER_NOT_FOUND", "User not found");
    return vb_op_user_me(c);
}

/*
 * GET /users/:id -> user, when it is the caller or shares at least one
 * workspace with the caller; otherwise USER_NOT_FOUND (existence is not
 * revealed).
 */
int vb_op_user_get(vb_op_ctx *c)
{
    const char *actor = vb_arg_actor(c);
    const char *uid = vb_arg_param(c, "id");
    json_t *user = NULL;
    int64_t shared = 0;
    int rc;

    if (!actor || !uid) return vb_op_fail(c, VB_ENOTFOUND, "USER_NOT_FOUND", "User not found");
    if (strcmp(actor, uid) != 0) {
        rc = vb_db_int(c->db, &shared, 0,
                       "SELECT EXISTS (SELECT 1 FROM workspace_members a"
                       " JOIN workspace_members b ON b.workspace_id = a.workspace_id"
                       " WHERE a.user_id = ? AND b.user_id = ?)",
                       "ss", actor, uid);
        if (rc < 0) return vb_op_internal(c, rc);
        if (!shared) return vb_op_fail(c, VB_ENOTFOUND, "USER_NOT_FOUND", "User not found");
    }
    rc = vb_user_shape(c, uid, &user);
    if (rc < 0) return rc;
    if (!user) return vb_op_fail(c, VB_ENOTFOUND, "USER_NOT_FOUND", "User not found");
    c->result = user;
    return 0;
}
