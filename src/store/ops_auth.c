/*
 * Auth operations: accounts and refresh-token families.
 *
 * Refresh tokens are opaque; only their SHA-256 hashes reach the database
 * (the handlers in app/routes_auth.c hash them). A family is the chain of
 * tokens issued from one login: each rotation marks the presented row used
 * (rotated_at) and adds its successor to the family. Presenting a used token
 * means that someone holds a copy, so the whole family is revoked.
 */
#include "store/vb_ops_mail.h"
#include "store/vb_ops_ws.h"

#include "core/vb_common.h"
#include "core/vb_id.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define EMAIL_MAX 254

/* Inserts a refresh token row for uid in family (a new family when NULL). */
static int token_insert(vb_op_ctx *c, const char *uid, const char *family, const char *hash,
                        int64_t expires_at)
{
    char id[VB_ID_LEN + 1];
    int rc;

    vb_id_new(id);
    if (!hash || !*hash) return vb_op_fail(c, VB_EINVAL, "INVALID_ARGUMENT", "Missing token hash");
    rc = vb_db_exec(c->db,
                    "INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, expires_at,"
                    " created_at) VALUES (?, ?, ?, ?, ?, ?)",
                    "ssssii", id, uid, family ? family : id, hash, expires_at, vb_op_now());
    return rc < 0 ? vb_op_internal(c, rc) : 0;
}

/* Sets c->result to {user} for uid; fails with code (401) if the user is gone. */
static int result_user(vb_op_ctx *c, const char *uid, const char *code, const char *message)
{
    json_t *user = NULL;
    int rc = vb_user_shape(c, uid, &user);

    if (rc < 0) return rc;
    if (!user) return vb_op_fail(c, VB_EUNAUTH, code, "%s", message);
    c->result = json_pack("{s:o}", "user", user);
    return c->result ? 0 : vb_op_fail(c, VB_ENOMEM, "INTERNAL_ERROR", "Out of memory");
}

int vb_op_auth_register(vb_op_ctx *c)
{
    json_t *a = (json_t *)c->args;
    const char *email_in = vb_arg_str(a, "email");
    const char *hash = vb_arg_str(a, "passwordHash");
    char email[EMAIL_MAX + 1], handle[EMAIL_MAX + 1], id[VB_ID_LEN + 1];
    int64_t now = vb_op_now(), taken = 0;
    size_t i;
    int rc;

    if (!email_in || strlen(email_in) > EMAIL_MAX || !hash)
        return vb_op_fail(c, VB_EINVAL, "VALIDATION_ERROR", "Invalid registration");
    for (i = 0; email_in[i]; i++)
        email[i] = (char)tolower((unsigned char)email_in[i]);
    email[i] = '\0';
    snprintf(handle, sizeof handle, "%s", email);
    handle[strcspn(handle, "@")] = '\0';

    rc = vb_db_int(c->db, &taken, 0, "SELECT COUNT(*) FROM users WHERE lower(email) = lower(?)",
                   "s", email);
    if (rc < 0) return vb_op_internal(c, rc);
    if (taken) return vb_op_fail(c, VB_ECONFLICT, "EMAIL_TAKEN", "Email is already registered");

    vb_id_new(id);
    rc = vb_db_exec(c->db,
                    "INSERT INTO users (id, email, handle, password_hash, first_name, last_name,"
                    " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    "ssssssii", id, email, handle, hash, vb_arg_str(a, "firstName"),
                    vb_arg_str(a, "lastName"), now, now);
    if (rc == VB_ECONFLICT) return vb_op_fail(c, rc, "EMAIL_TAKEN", "Email is already registered");
    if (rc < 0) return vb_op_internal(c, rc);
    rc = token_insert(c, id, NULL, vb_arg_str(a, "tokenHash"),
                      (int64_t)json_integer_value(json_object_get(a, "expiresAt")));
    if (!rc) rc = vb_mail_enqueue(c, VB_MAIL_WELCOME, id, NULL);
    if (rc < 0) return rc;
    return result_user(c, id, "INVALID_CREDENTIALS", "Invalid email or password");
}

int vb_op_auth_lookup(vb_op_ctx *c)
{
    const char *email = vb_arg_str((json_t *)c->args, "email");
    json_t *row = NULL, *user = NULL;
    int rc;

    c->result = json_object();
    if (!c->result) return vb_op_fail(c, VB_ENOMEM, "INTERNAL_ERROR", "Out of memory");
    if (!email) return 0;
    /* The lookup ignores case (vb_db.h: case-insensitive match). */
    rc = vb_db_row(c->db, &row,
                   "SELECT id, password_hash AS hash FROM users WHERE lower(email) = lower(?)", "s",
                   email);
    if (rc < 0) return vb_op_internal(c, rc);
    if (!row) return 0;
    rc = vb_user_shape(c, vb_arg_str(row, "id"), &user);
    if (rc == 0 && user) {
        json_object_set_new(c->result, "user", user);
        json_object_set(c->result, "passwordHash", json_object_get(row, "hash"));
    }
    json_decref(row);
    return rc;
}

int vb_op_auth_session(vb_op_ctx *c)
{
    json_t *a = (json_t *)c->args;
    const char *uid = vb_arg_str(a, "userId");
    int64_t exists = 0;
    int rc;

    rc = vb_db_int(c->db, &exists, 0, "SELECT COUNT(*) FROM users WHERE id = ?", "s", uid);
    if (rc < 0) return vb_op_internal(c, rc);
    if (!exists)
        return vb_op_fail(c, VB_EUNAUTH, "INVALID_CREDENTIALS", "Invalid email or password");
    rc = token_insert(c, uid, NULL, vb_arg_str(a, "tokenHash"),
                      (int64_t)json_integer_value(json_object_get(a, "expiresAt")));
    if (rc < 0) return rc;
    return result_user(c, uid, "INVALID_CREDENTIALS", "Invalid email or password");
}

/*
 * Rotation. Order of checks: unknown or revoked -> INVALID_REFRESH_TOKEN;
 * already rotated -> the family is revoked and {"reused":true} is returned
 * as a success, so that the revocation commits; expired ->
 * INVALID_REFRESH_TOKEN. Otherwise the row is marked rotated and a successor
 * is inserted in the same family.
 */
int vb_op_auth_refresh(vb_op_ctx *c)
{
    json_t *a = (json_t *)c->args;
    const char *hash = vb_arg_str(a, "tokenHash");
    json_t *row = NULL;
    int64_t now = vb_op_now();
    char uid[VB_ID_LEN * 2 + 1], family[VB_ID_LEN * 2 + 1];
    int rc;

    if (!hash) goto invalid;
    rc = vb_db_row(c->db, &row,
                   "SELECT id, user_id AS userId, family_id AS familyId, expires_at AS expiresAt,"
                   " rotated_at AS rotatedAt, revoked_at AS revokedAt"
                   " FROM refresh_tokens WHERE token_hash = ?",
                   "s", hash);
    if (rc < 0) return vb_op_internal(c, rc);
    if (!row || !json_is_null(json_object_get(row, "revokedAt"))) goto invalid;
    snprintf(uid, sizeof uid, "%s", vb_arg_str(row, "userId"));
    snprintf(family, sizeof family, "%s", vb_arg_str(row, "familyId"));

    if (!json_is_null(json_object_get(row, "rotatedAt"))) {
        json_decref(row);
        rc = vb_db_exec(c->db,
                        "UPDATE refresh_tokens SET revoked_at = ?"
                        " WHERE family_id = ? AND revoked_at IS NULL",
                        "is", now, family);
        if (rc < 0) return vb_op_internal(c, rc);
        c->result = json_pack("{s:b}", "reused", 1);
        return c->result ? 0 : vb_op_fail(c, VB_ENOMEM, "INTERNAL_ERROR", "Out of memory");
    }
    if (json_integer_value(json_object_get(row, "expiresAt")) <= now) goto invalid;

    rc = vb_db_exec(c->db, "UPDATE refresh_tokens SET rotated_at = ? WHERE id = ?", "is", now,
                    vb_arg_str(row, "id"));
    json_decref(row);
    row = NULL;
    if (rc < 0) return vb_op_internal(c, rc);
    rc = token_insert(c, uid, family, vb_arg_str(a, "newTokenHash"),
                      (int64_t)json_integer_value(json_object_get(a, "expiresAt")));
    if (rc < 0) return rc;
    return result_user(c, uid, "INVALID_REFRESH_TOKEN", "Invalid refresh token");

invalid:
    json_decref(row);
    return vb_op_fail(c, VB_EUNAUTH, "INVALID_REFRESH_TOKEN", "Invalid refresh token");
}

int vb_op_auth_logout(vb_op_ctx *c)
{
    const char *actor = vb_arg_actor(c);
    const char *hash = vb_arg_str((json_t *)c->args, "tokenHash");
    int64_t now = vb_op_now();
    int rc;

    if (!actor) return vb_op_fail(c, VB_EUNAUTH, "UNAUTHORIZED", "Authentication required");
    if (hash)
        rc = vb_db_exec(c->db,
                        "UPDATE refresh_tokens SET revoked_at = ?"
                        " WHERE revoked_at IS NULL AND family_id = (SELECT family_id"
                        "  FROM refresh_tokens WHERE token_hash = ? AND user_id = ?)",
                        "iss", now, hash, actor);
    else
        rc = vb_db_exec(c->db,
                        "UPDATE refresh_tokens SET revoked_at = ?"
                        " WHERE user_id = ? AND revoked_at IS NULL",
                        "is", now, actor);
    return rc < 0 ? vb_op_internal(c, rc) : 0;
}

int vb_op_auth_hash_of(vb_op_ctx *c)
{
    const char *uid = vb_arg_actor(c);
    json_t *row = NULL;
    int rc;

    c->result = json_object();
    if (!c->result) return vb_op_fail(c, VB_ENOMEM, "INTERNAL_ERROR", "Out of memory");
    if (!uid) return 0;
    rc = vb_db_row(c->db, &row, "SELECT password_hash AS hash FROM users WHERE id = ?", "s", uid);
    if (rc < 0) return vb_op_internal(c, rc);
    if (row) json_object_set(c->result, "passwordHash", json_object_get(row, "hash"));
    json_decref(row);
    return 0;
}

int vb_op_auth_set_password(vb_op_ctx *c)
{
    const char *uid = vb_arg_actor(c), *hash = vb_arg_str((json_t *)c->args, "passwordHash");
    int rc;

    if (!uid || !hash) return vb_op_fail(c, VB_EUNAUTH, "UNAUTHORIZED", "Authentication required");
    rc = vb_db_exec(c->db, "UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?", "sis",
                    hash, vb_op_now(), uid);
    if (rc < 0) return vb_op_internal(c, rc);
    c->result = json_null();
    return 0;
}
