/*
 * Password reset: single-use tokens, stored as SHA-256 hex (the handler in
 * app/routes_reset.c makes the token and hashes it; the plain token only
 * travels in the reset mail's params, erased once the mail is sent).
 */
#include "store/vb_ops_mail.h"

#include "core/vb_common.h"
#include "core/vb_id.h"

#include <string.h>

int vb_op_auth_forgot(vb_op_ctx *c)
{
    json_t *a = (json_t *)c->args;
    const char *email = vb_arg_str(a, "email");
    int64_t now = vb_op_now(), active = 0;
    int64_t expires = (int64_t)json_integer_value(json_object_get(a, "expiresAt"));
    json_t *user = NULL;
    char id[VB_ID_LEN + 1], uid[VB_ID_LEN * 2 + 1];
    int rc;

    c->result =
        json_pack("{s:s}", "message", "If this address has an account, a reset link is on its way");
    if (!c->result) return vb_op_fail(c, VB_ENOMEM, "INTERNAL_ERROR", "Out of memory");
    /* The same statements run whether or not the address is known. */
    rc = vb_db_row(c->db, &user, "SELECT id FROM users WHERE email = ?", "s", email ? email : "");
    if (rc < 0) return vb_op_internal(c, rc);
    snprintf(uid, sizeof uid, "%s", user ? vb_arg_str(user, "id") : "");
    json_decref(user);
    rc = vb_db_int(c->db, &active, 0,
                   "SELECT COUNT(*) FROM password_resets WHERE user_id = ? AND used_at IS NULL"
                   " AND expires_at > ?",
                   "si", uid, now);
    if (rc < 0) return vb_op_internal(c, rc);
    if (!uid[0] || active >= VB_RESET_MAX_ACTIVE) return 0;

    vb_id_new(id);
    rc = vb_db_exec(c->db,
                    "INSERT INTO password_resets (id, user_id, token_hash, expires_at, created_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    "sssii", id, uid, vb_arg_str(a, "tokenHash"), expires, now);
    if (rc < 0) return vb_op_internal(c, rc);
    return vb_mail_enqueue(c, VB_MAIL_PASSWORD_RESET, uid,
                           json_pack("{s:s?, s:I}", "token", vb_arg_str(a, "token"), "expiresAt",
                                     (json_int_t)expires));
}

int vb_op_auth_reset(vb_op_ctx *c)
{
    json_t *a = (json_t *)c->args, *row = NULL;
    const char *hash = vb_arg_str(a, "tokenHash"), *pw = vb_arg_str(a, "passwordHash");
    int64_t now = vb_op_now();
    char uid[VB_ID_LEN * 2 + 1];
    int rc;

    if (!hash || !pw) goto invalid;
    rc = vb_db_row(c->db, &row,
                   "SELECT id, user_id AS userId FROM password_resets"
                   " WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?",
                   "si", hash, now);
    if (rc < 0) return vb_op_internal(c, rc);
    if (!row) goto invalid;
    snprintf(uid, sizeof uid, "%s", vb_arg_str(row, "userId"));
    json_decref(row);
    /* Every outstanding token of the user is used up with this one. */
    rc = vb_db_exec(c->db,
                    "UPDATE password_resets SET used_at = ? WHERE user_id = ? AND used_at IS NULL",
                    "is", now, uid);
    if (!rc)
        rc = vb_db_exec(c->db, "UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?",
                        "sis", pw, now, uid);
    if (!rc)
        rc = vb_db_exec(c->db,
                        "UPDATE refresh_tokens SET revoked_at = ?"
                        " WHERE user_id = ? AND revoked_at IS NULL",
                        "is", now, uid);
    if (rc < 0) return vb_op_internal(c, rc);
    c->result = json_object();
    return c->result ? 0 : vb_op_fail(c, VB_ENOMEM, "INTERNAL_ERROR", "Out of memory");

invalid:
    return vb_op_fail(c, VB_EBADREQ, "INVALID_RESET_TOKEN",
                      "This reset link is invalid, expired or already used");
}
