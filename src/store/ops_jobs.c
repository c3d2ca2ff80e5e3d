/*
 * Scheduled jobs: leases (one instance of a cluster runs a job at a time),
 * due-date reminders and the clean-up of expired tokens and old mails.
 */
#include "store/vb_ops_mail.h"

#include "core/vb_common.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* The latest zone offset a due date may carry (+14:00), in ms: the text
 * prefilter of the reminder query reaches this much further. */
#define ZONE_SLACK_MS (14LL * 3600 * 1000)

int vb_op_job_acquire(vb_op_ctx *c)
{
    json_t *a = (json_t *)c->args;
    const char *owner = vb_arg_str(a, "owner");
    int64_t now = vb_op_now(), lease = (int64_t)json_integer_value(json_object_get(a, "leaseMs"));
    int rc = vb_db_exec(c->db,
                        "UPDATE job_leases SET owner = ?, lease_until = ?"
                        " WHERE name = ? AND (lease_until < ? OR owner = ?)",
                        "sisis", owner, now + lease, vb_arg_str(a, "name"), now, owner);

    if (rc < 0) return vb_op_internal(c, rc);
    c->result = json_pack("{s:b}", "acquired", vb_db_changes(c->db) == 1);
    return c->result ? 0 : vb_op_fail(c, VB_ENOMEM, "INTERNAL_ERROR", "Out of memory");
}

int vb_op_job_release(vb_op_ctx *c)
{
    json_t *a = (json_t *)c->args;
    int rc = vb_db_exec(c->db,
                        "UPDATE job_leases SET owner = NULL, lease_until = ?, last_run_at = ?"
                        " WHERE name = ? AND owner = ?",
                        "iiss", (int64_t)json_integer_value(json_object_get(a, "nextRunAt")),
                        vb_op_now(), vb_arg_str(a, "name"), vb_arg_str(a, "owner"));
    return rc < 0 ? vb_op_internal(c, rc) : 0;
}

static int digits(const char **p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++, (*p)++) {
        if (!isdigit((unsigned char)**p)) return -1;
        v = v * 10 + (**p - '0');
    }
    return v;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int vb_iso_parse_ms(const char *s, int64_t *out)
{
    const char *p = s;
    int y, mo, d, h = 0, mi = 0, sec = 0, ms = 0, sign = 0, oh = 0, om = 0;

    if (!s || (y = digits(&p, 4)) < 0 || *p++ != '-') return -1;
    if ((mo = digits(&p, 2)) < 1 || mo > 12 || *p++ != '-') return -1;
    if ((d = digits(&p, 2)) < 1 || d > 31) return -1;
    if (*p == 'T') {
        p++;
        if ((h = digits(&p, 2)) < 0 || *p++ != ':' || (mi = digits(&p, 2)) < 0) return -1;
        if (*p == ':') {
            p++;
            if ((sec = digits(&p, 2)) < 0) return -1;
            if (*p == '.') {
                int n = 0;
                for (p++; isdigit((unsigned char)*p); p++, n++)
                    if (n < 3) ms = ms * 10 + (*p - '0');
                for (; n < 3; n++)
                    ms *= 10;
            }
        }
        if (*p == 'Z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            sign = *p++ == '+' ? 1 : -1;
            if ((oh = digits(&p, 2)) < 0 || *p++ != ':' || (om = digits(&p, 2)) < 0) return -1;
        }
    }
    if (*p) return -1;
    *out = ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60000LL + sec * 1000LL + ms -
           sign * (oh * 60 + om) * 60000LL;
    return 0;
}

/* Records the reminder of task t (for its due date) and notifies its
 * assignees. *done is 0 when another run recorded it first. */
static int remind(vb_op_ctx *c, json_t *t, int64_t now, int64_t due, int *done)
{
    const char *tid = vb_arg_str(t, "id"), *key = vb_arg_str(t, "key");
    json_t *who = NULL, *v;
    char title[600];
    size_t i;
    int rc;

    *done = 0;
    rc = vb_db_exec(c->db,
                    "INSERT INTO task_reminders (task_id, due_date, sent_at) VALUES (?, ?, ?)",
                    "ssi", tid, vb_arg_str(t, "dueDate"), now);
    if (rc == VB_ECONFLICT) return 0;
    if (rc < 0) return vb_op_internal(c, rc);
    *done = 1;
    rc = vb_db_rows(c->db, &who, "SELECT user_id AS id FROM task_assignees WHERE task_id = ?", "s",
                    tid);
    if (rc < 0) return vb_op_internal(c, rc);
    snprintf(title, sizeof title, "%s: %s %s", key, vb_arg_str(t, "title"),
             due <= now ? "is overdue" : "is due soon");
    json_array_foreach(who, i, v)
    {
        rc = vb_notify(c, vb_arg_str(v, "id"), vb_arg_str(t, "workspaceId"), "task_due", title,
                       json_pack("{s:s, s:s?, s:s?, s:s?, s:s?, s:b}", "taskId", tid, "projectId",
                                 vb_arg_str(t, "projectId"), "key", key, "title",
                                 vb_arg_str(t, "title"), "dueDate", vb_arg_str(t, "dueDate"),
                                 "overdue", due <= now));
        if (rc) break;
    }
    json_decref(who);
    return rc;
}

int vb_op_job_due_reminders(vb_op_ctx *c)
{
    json_t *a = (json_t *)c->args, *rows = NULL, *t;
    int64_t now = vb_op_now(), lead = (int64_t)json_integer_value(json_object_get(a, "leadMs"));
    int64_t limit = (int64_t)json_integer_value(json_object_get(a, "limit")), reminded = 0;
    char bound[32];
    size_t i;
    int rc;

    if (limit < 1 || limit > 1000) limit = 200;
    vb_iso8601(now + lead + ZONE_SLACK_MS, bound);
    rc = vb_db_rows(c->db, &rows,
                    "SELECT t.id, t.key, t.title, t.due_date AS dueDate,"
                    " t.workspace_id AS workspaceId, t.project_id AS projectId FROM tasks t"
                    " WHERE t.due_date IS NOT NULL AND t.due_date <= ? AND t.status <> 'done'"
                    " AND NOT EXISTS (SELECT 1 FROM task_reminders r"
                    "  WHERE r.task_id = t.id AND r.due_date = t.due_date)"
                    " ORDER BY t.due_date, t.id LIMIT ?",
                    "si", bound, limit);
    if (rc < 0) return vb_op_internal(c, rc);
    json_array_foreach(rows, i, t)
    {
        int64_t due;
        int done = 0;

        if (vb_iso_parse_ms(vb_arg_str(t, "dueDate"), &due) != 0 || due > now + lead) continue;
        rc = remind(c, t, now, due, &done);
        if (rc) break;
        reminded += done;
    }
    c->result = rc ? NULL
                   : json_pack("{s:I, s:b}", "reminded", (json_int_t)reminded, "more",
                               (int64_t)json_array_size(rows) == limit && reminded > 0);
    json_decref(rows);
    if (rc) return rc;
    return c->result ? 0 : vb_op_fail(c, VB_ENOMEM, "INTERNAL_ERROR", "Out of memory");
}

int vb_op_job_cleanup(vb_op_ctx *c)
{
    int64_t now = vb_op_now(), n[3] = {0, 0, 0};
    int rc = vb_db_exec(c->db, "DELETE FROM refresh_tokens WHERE expires_at < ?", "i", now);

    if (!rc) {
        n[0] = vb_db_changes(c->db);
        rc = vb_db_exec(c->db, "DELETE FROM password_resets WHERE expires_at < ?", "i", now);
    }
    if (!rc) {
        n[1] = vb_db_changes(c->db);
        rc = vb_db_exec(c->db,
                        "DELETE FROM mail_outbox WHERE status IN ('sent','failed')"
                        " AND created_at < ?",
                        "i", now - VB_MAIL_KEEP_MS);
    }
    if (rc < 0) return vb_op_internal(c, rc);
    n[2] = vb_db_changes(c->db);
    c->result = json_pack("{s:I, s:I, s:I}", "refreshTokens", (json_int_t)n[0], "resetTokens",
                          (json_int_t)n[1], "mails", (json_int_t)n[2]);
    return c->result ? 0 : vb_op_fail(c, VB_ENOMEM, "INTERNAL_ERROR", "Out of memory");
}
