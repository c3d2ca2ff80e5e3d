/*
 * The mail outbox, password resets and the scheduled jobs' store side.
 *
 * A mail is a row of mail_outbox written by vb_mail_enqueue inside the
 * transaction of the change that causes it: it exists exactly when the change
 * committed. The sender (src/mail) delivers it later:
 *
 *   pending --claim--> sending --commit--> committing --done--> sent
 *      ^                  |                     |
 *      +-- retry (4xx, no connection) ----------+--> failed (5xx, gave up)
 *
 * claim takes a row under a lease in one atomic UPDATE (one instance of a
 * cluster wins). "sending" means the end of the message has not been sent to
 * the SMTP server yet: a row whose lease expired there (the instance died) is
 * claimed again, and the server never saw a complete message. Just before the
 * end of DATA the sender marks the row "committing": from then on the mail is
 * never sent again; a committing row whose lease expired is failed with the
 * reason logged (delivery outcome unknown). So a mail is delivered at most
 * once, and the only way to lose one is a crash during the final round trip
 * of its SMTP transaction.
 */
#ifndef VB_OPS_MAIL_H
#define VB_OPS_MAIL_H

#include "store/vb_ops.h"

/* Templates (rendered by src/mail/vb_mail_tmpl.c). */
#define VB_MAIL_WELCOME "welcome"
#define VB_MAIL_TASK_ASSIGNED "task_assigned"
#define VB_MAIL_MENTIONED "mentioned"
#define VB_MAIL_TASK_DUE "task_due"
#define VB_MAIL_PASSWORD_RESET "password_reset"
#define VB_MAIL_INVITATION "workspace_invitation"

/* 1 for the notification mails a user can turn off (emailNotifications). */
int vb_op_mail_is_notification(const char *tmpl);

/*
 * Queues a mail in the calling operation's transaction. to is a user id, or an
 * email address (anything containing '@'; for people without an account).
 * params (stolen; NULL means {}) are the template's values. A notification
 * template to a user who turned notification mails off, or to a user who does
 * not exist, queues nothing (returns 0). Queues the event "queued" on topic
 * "mail" so that the sender wakes up after commit. Returns 0 or fails c.
 */
int vb_mail_enqueue(vb_op_ctx *c, const char *tmpl, const char *to, json_t *params);

/* ---- the sender's operations (flat arguments; all VB_STORE_WRITE) */
/* {owner, leaseMs, limit} -> {mails:[{id, template, toEmail, toName, params,
 * attempts, createdAt (ms)}], nextDueAt (ms or null), abandoned:[{id, toEmail}]}.
 * Claims due pending rows and sending rows whose lease expired; fails
 * committing rows whose lease expired (listed in abandoned). */
int vb_op_mail_claim(vb_op_ctx *c);
/* {id, owner, leaseMs} -> {ok}: sending -> committing (lease renewed), only
 * while owner holds it. */
int vb_op_mail_commit(vb_op_ctx *c);
/* {id, owner, outcome "sent"|"retry"|"failed", error?, nextAttemptAt?} -> null.
 * Only while owner holds the row. A password reset mail's params (the token)
 * are erased once it is sent or failed. */
int vb_op_mail_done(vb_op_ctx *c);

/* ---- password reset (flat arguments, called by app/routes_reset.c) */
/* {email, token, tokenHash, expiresAt} -> {}: when the user exists (and has
 * fewer than VB_RESET_MAX_ACTIVE unexpired tokens), stores the hash and
 * queues the reset mail with the token. The handler does not wait for it. */
int vb_op_auth_forgot(vb_op_ctx *c);
/* {tokenHash, passwordHash} -> {}: sets the password, uses the token (and
 * every other token of that user), revokes all the user's refresh tokens.
 * (400 INVALID_RESET_TOKEN when unknown, used or expired) */
int vb_op_auth_reset(vb_op_ctx *c);

/* ---- scheduled jobs */
/* {name, owner, leaseMs} -> {acquired}: takes the job's lease when it is free
 * or expired (or already the owner's; then extends it). */
int vb_op_job_acquire(vb_op_ctx *c);
/* {name, owner, nextRunAt} -> null: ends the run; the lease is kept until
 * nextRunAt so that the cluster runs the job once per interval. */
int vb_op_job_release(vb_op_ctx *c);
/* {leadMs, limit} -> {reminded, more}: for up to limit tasks not done, due
 * before now + leadMs (overdue included) and not yet reminded for their due
 * date: records the reminder and notifies every assignee (task_due, and the
 * mail). more is true when the batch was full. */
int vb_op_job_due_reminders(vb_op_ctx *c);
/* {} -> {refreshTokens, resetTokens, mails}: deletes expired refresh and reset
 * tokens, and sent or failed mails older than VB_MAIL_KEEP_MS. */
int vb_op_job_cleanup(vb_op_ctx *c);

/* Unexpired reset tokens one user may hold at a time. */
#define VB_RESET_MAX_ACTIVE 5
/* Sent and failed outbox rows are kept this long (ms). */
#define VB_MAIL_KEEP_MS (7LL * 24 * 3600 * 1000)

/* Parses an ISO 8601 date or date-time (as the validator accepts: date only
 * means 00:00 UTC) to ms since the epoch. 0 or -1. */
int vb_iso_parse_ms(const char *s, int64_t *out);

#endif
