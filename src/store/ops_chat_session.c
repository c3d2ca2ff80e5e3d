/* Store operations the chat gateway needs besides posting messages. */
#include "core/vb_common.h"
#include "store/vb_db.h"
#include "store/vb_ops.h"
#include "store/vb_ops_chat.h"

/*
 * args {actor:{id}} -> {userId, userName ("First Last"), workspaceIds:[...]}.
 * An unknown user (deleted since the token was issued) is VB_EUNAUTH.
 */
int vb_op_chat_session(vb_op_ctx *c)
{
    const char *uid = vb_arg_actor(c);
    json_t *user = NULL, *rows = NULL;
    int rc = vb_db_row(c->db, &user,
                       "SELECT id AS userId, first_name || ' ' || last_name AS userName"
                       " FROM users WHERE id = ?",
                       "s", uid);
    if (rc) return vb_op_fail(c, rc, "INTERNAL_ERROR", "Internal error");
    if (!user) return vb_op_fail(c, VB_EUNAUTH, "UNAUTHORIZED", "Invalid authentication token");
    rc = vb_db_rows(c->db, &rows,
                    "SELECT workspace_id AS id FROM workspace_members WHERE user_id = ?"
                    " ORDER BY workspace_id",
                    "s", uid);
    if (rc) {
        json_decref(user);
        return vb_op_fail(c, rc, "INTERNAL_ERROR", "Internal error");
    }
    json_t *ids = json_array();
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) json_array_append(ids, json_object_get(row, "id"));
    json_decref(rows);
    json_object_set_new(user, "workspaceIds", ids);
    json_t *sess = json_object_get(c->args, "session");
    if (json_is_object(sess) && (rc = vb_op_chat_session_open(c, uid, sess, user)) != 0) {
        json_decref(user);
        return rc;
    }
    c->result = user;
    return 0;
}

/* args {actor:{id}, channelId} -> the channel, if the actor may use it. */
int vb_op_chat_channel(vb_op_ctx *c)
{
    const char *cid = vb_arg_str((json_t *)c->args, "channelId");
    if (!cid) return vb_op_fail(c, VB_EINVAL, "VALIDATION_ERROR", "channelId is required");
    json_t *ch = NULL;
    int rc = vb_op_msg_channel_access(c, cid, vb_arg_actor(c), &ch);
    if (rc) return rc;
    const char *hash = vb_arg_str((json_t *)c->args, "pidHash");
    if (hash && (rc = vb_op_chat_session_join(c, hash, cid)) != 0) {
        json_decref(ch);
        return rc;
    }
    /* The log's head now (the last committed seq): events for the channel
     * after the join have a greater one (chat catch-up). */
    int64_t head = 0;
    if ((rc = vb_db_int(c->db, &head, 0, "SELECT seq FROM chat_log_head WHERE id = 1", "")) != 0) {
        json_decref(ch);
        return vb_op_internal(c, rc);
    }
    json_object_set_new(ch, "logHead", json_integer(head));
    c->result = ch;
    return 0;
}
