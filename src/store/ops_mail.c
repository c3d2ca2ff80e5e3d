/*
 * The mail outbox: queueing inside an operation, and the sender's claim,
 * commit and done steps (see vb_ops_mail.h for the states and why a mail is
 * never sent twice).
 */
#include "store/vb_ops_mail.h"

#include "core/vb_common.h"
#include "core/vb_id.h"
#include "core/vb_log.h"

#include <stdio.h>
#include <string.h>

/* Rows one claim takes at most. */
#define CLAIM_MAX 64

int vb_op_mail_is_notification(const char *tmpl)
{
    return tmpl && (strcmp(tmpl, VB_MAIL_TASK_ASSIGNED) == 0 ||
                    strcmp(tmpl, VB_MAIL_MENTIONED) == 0 || strcmp(tmpl, VB_MAIL_TASK_DUE) == 0);
}

int vb_mail_enqueue(vb_op_ctx *c, const char *tmpl, const char *to, json_t *params)
{
    json_t *user = NULL;
    char id[VB_ID_LEN + 1], name[256] = "";
    const char *email = to, *uid = NULL;
    int64_t now = vb_op_now();
    int rc;

    if (!params) params = json_object();
    if (!tmpl || !to || !json_is_object(params)) {
        json_decref(params);
        return vb_op_fail(c, VB_EINVAL, "INTERNAL_ERROR", "Bad mail arguments");
    }
    if (!strchr(to, '@')) {
        rc = vb_db_row(c->db, &user,
                       "SELECT id, email, first_name AS firstName, last_name AS lastName,"
                       " email_notifications AS notify FROM users WHERE id = ?",
                       "s", to);
        if (rc < 0) {
            json_decref(params);
            return vb_op_internal(c, rc);
        }
        if (!user || (vb_op_mail_is_notification(tmpl) &&
                      json_integer_value(json_object_get(user, "notify")) == 0)) {
            json_decref(user);
            json_decref(params);
            return 0;
        }
        uid = vb_arg_str(user, "id");
        email = vb_arg_str(user, "email");
        snprintf(name, sizeof name, "%s %s", vb_arg_str(user, "firstName"),
                 vb_arg_str(user, "lastName"));
        if (!json_object_get(params, "firstName"))
            json_object_set(params, "firstName", json_object_get(user, "firstName"));
    }
    vb_id_new(id);
    rc = vb_db_exec(c->db,
                    "INSERT INTO mail_outbox (id, template, to_email, to_name, user_id, params,"
                    " status, attempts, next_attempt_at, created_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)",
                    "sssssjii", id, tmpl, email, name[0] ? name : NULL, uid, params, now, now);
    json_decref(user);
    json_decref(params);
    if (rc < 0) return vb_op_internal(c, rc);
    vb_op_event(c, "mail", "queued", json_pack("{s:s}", "id", id));
    return 0;
}

/* Fails committing rows whose lease expired (outcome unknown: never resent)
 * and lists them in *out. */
static int abandon_expired(vb_op_ctx *c, int64_t now, json_t **out)
{
    int rc = vb_db_rows(c->db, out,
                        "SELECT id, to_email AS toEmail FROM mail_outbox"
                        " WHERE status = 'committing' AND lease_until < ?",
                        "i", now);
    if (rc < 0) return vb_op_internal(c, rc);
    if (json_array_size(*out) == 0) return 0;
    rc = vb_db_exec(c->db,
                    "UPDATE mail_outbox SET status = 'failed', lease_owner = NULL,"
                    " last_error = 'interrupted after the end of DATA: delivery outcome unknown,"
                    " not retried so that it is never sent twice'"
                    " WHERE status = 'committing' AND lease_until < ?",
                    "i", now);
    return rc < 0 ? vb_op_internal(c, rc) : 0;
}

int vb_op_mail_claim(vb_op_ctx *c)
{
    json_t *a = (json_t *)c->args, *ids = NULL, *mails = json_array(), *abandoned = NULL, *v;
    const char *owner = vb_arg_str(a, "owner");
    int64_t now = vb_op_now(), next = 0;
    int64_t lease = (int64_t)json_integer_value(json_object_get(a, "leaseMs"));
    int64_t limit = (int64_t)json_integer_value(json_object_get(a, "limit"));
    size_t i;
    int rc;

    if (!mails || !owner) {
        json_decref(mails);
        return vb_op_fail(c, VB_EINVAL, "INTERNAL_ERROR", "Bad claim arguments");
    }
    if (limit < 1 || limit > CLAIM_MAX) limit = CLAIM_MAX;
    rc = abandon_expired(c, now, &abandoned);
    if (!rc) {
        rc = vb_db_rows(c->db, &ids,
                        "SELECT id FROM mail_outbox"
                        " WHERE (status = 'pending' AND next_attempt_at <= ?)"
                        " OR (status = 'sending' AND lease_until < ?)"
                        " ORDER BY next_attempt_at, id LIMIT ?",
                        "iii", now, now, limit);
        if (rc < 0) rc = vb_op_internal(c, rc);
    }
    json_array_foreach(ids, i, v)
    {
        json_t *row = NULL;
        const char *id = vb_arg_str(v, "id");

        if (rc) break;
        /* Atomic in SQL: of two instances claiming the same row, one changes it. */
        rc = vb_db_exec(c->db,
                        "UPDATE mail_outbox SET status = 'sending', lease_owner = ?,"
                        " lease_until = ?, attempts = attempts + 1 WHERE id = ?"
                        " AND ((status = 'pending' AND next_attempt_at <= ?)"
                        " OR (status = 'sending' AND lease_until < ?))",
                        "sisii", owner, now + lease, id, now, now);
        if (rc < 0) {
            rc = vb_op_internal(c, rc);
            break;
        }
        if (vb_db_changes(c->db) != 1) continue;
        rc = vb_db_row(c->db, &row,
                       "SELECT id, template, to_email AS toEmail, to_name AS toName,"
                       " params AS \"j:params\", attempts, created_at AS createdAt"
                       " FROM mail_outbox WHERE id = ?",
                       "s", id);
        if (rc < 0) {
            rc = vb_op_internal(c, rc);
            break;
        }
        if (row) json_array_append_new(mails, row);
    }
    if (!rc)
        rc = vb_db_int(c->db, &next, -1,
                       "SELECT MIN(next_attempt_at) FROM mail_outbox WHERE status = 'pending'", "");
    if (rc < 0) rc = vb_op_internal(c, rc);
    json_decref(ids);
    if (rc) {
        json_decref(mails);
        json_decref(abandoned);
        return rc;
    }
    json_array_foreach(abandoned, i, v)
        vb_log(VB_LOG_WARN, "mail %s to %s given up: interrupted after the end of DATA",
               vb_arg_str(v, "id"), vb_arg_str(v, "toEmail"));
    c->result = json_pack("{s:o, s:o, s:o}", "mails", mails, "nextDueAt",
                          next >= 0 ? json_integer(next) : json_null(), "abandoned", abandoned);
    return c->result ? 0 : vb_op_fail(c, VB_ENOMEM, "INTERNAL_ERROR", "Out of memory");
}

int vb_op_mail_commit(vb_op_ctx *c)
{
    json_t *a = (json_t *)c->args;
    int64_t lease = (int64_t)json_integer_value(json_object_get(a, "leaseMs"));
    /* A fresh lease covers the last round trip, so that the row is not given
     * up while its final reply is still on the way. */
    int rc = vb_db_exec(c->db,
                        "UPDATE mail_outbox SET status = 'committing', lease_until = ?"
                        " WHERE id = ? AND lease_owner = ? AND status = 'sending'",
                        "iss", vb_op_now() + lease, vb_arg_str(a, "id"), vb_arg_str(a, "owner"));

    if (rc < 0) return vb_op_internal(c, rc);
    c->result = json_pack("{s:b}", "ok", vb_db_changes(c->db) == 1);
    return c->result ? 0 : vb_op_fail(c, VB_ENOMEM, "INTERNAL_ERROR", "Out of memory");
}

int vb_op_mail_done(vb_op_ctx *c)
{
    json_t *a = (json_t *)c->args;
    const char *outcome = vb_arg_str(a, "outcome");
    const char *id = vb_arg_str(a, "id"), *owner = vb_arg_str(a, "owner");
    const char *err = vb_arg_str(a, "error");
    int64_t now = vb_op_now();
    int rc;

    if (!outcome || !id || !owner)
        return vb_op_fail(c, VB_EINVAL, "INTERNAL_ERROR", "Bad mail arguments");
    if (strcmp(outcome, "retry") == 0)
        rc = vb_db_exec(c->db,
                        "UPDATE mail_outbox SET status = 'pending', lease_owner = NULL,"
                        " lease_until = NULL, next_attempt_at = ?, last_error = ?"
                        " WHERE id = ? AND lease_owner = ? AND status IN ('sending','committing')",
                        "isss", (int64_t)json_integer_value(json_object_get(a, "nextAttemptAt")),
                        err, id, owner);
    else
        rc = vb_db_exec(c->db,
                        "UPDATE mail_outbox SET status = ?, lease_owner = NULL, lease_until = NULL,"
                        " last_error = ?, sent_at = CASE WHEN ? = 'sent' THEN ? ELSE NULL END,"
                        " params = CASE WHEN template = ? THEN '{}' ELSE params END"
                        " WHERE id = ? AND lease_owner = ? AND status IN ('sending','committing')",
                        "sssisss", strcmp(outcome, "sent") == 0 ? "sent" : "failed", err, outcome,
                        now, VB_MAIL_PASSWORD_RESET, id, owner);
    return rc < 0 ? vb_op_internal(c, rc) : 0;
}
