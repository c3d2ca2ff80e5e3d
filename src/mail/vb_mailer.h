/*
 * The sender: delivers the outbox (store/vb_ops_mail.h) on the loop thread,
 * one mail at a time, the SMTP transaction itself on libuv's thread pool.
 *
 * It claims due mails (a lease in the database: in a cluster one instance
 * sends each mail), renders and builds each one (vb_mail_tmpl, vb_mail_msg;
 * the Message-ID is the outbox row's id, the same on every attempt) and
 * sends it. Just before the end of DATA, the pool thread waits for the loop
 * to mark the row "committing" (the point after which the mail is never sent
 * again). Outcome: accepted -> sent; no connection, a 4xx reply or a timeout
 * before the end of DATA -> retried after MAIL_RETRY_BASE_MS * 2^(attempt-1)
 * (at most VB_MAIL_RETRY_MAX_MS) until MAIL_MAX_ATTEMPTS, then failed; a 5xx
 * reply -> failed at once; the connection lost after the end of DATA ->
 * failed (outcome unknown: not resent). Every give-up is logged with its
 * reason. Without SMTP_URL, each mail is written to the log and marked sent.
 *
 * It wakes when an operation queues a mail (hub topic "mail"), when a retry
 * falls due, and on vb_mailer_kick (the scheduler, every JOBS_INTERVAL_MS).
 */
#ifndef VB_MAILER_H
#define VB_MAILER_H

#include "app/vb_app.h"

/* A retry waits at most this long (ms). */
#define VB_MAIL_RETRY_MAX_MS (3600LL * 1000)
/* Mails one claim takes. */
#define VB_MAIL_CLAIM_BATCH 8

/* Starts the sender (loop thread). 0 or -1. */
int vb_mailer_start(vb_app *app);
/* Looks for due mails now. */
void vb_mailer_kick(void);
/* Stops: waits for the mail being sent, hands back the claimed ones that were
 * not sent yet, then calls cb(arg) on the loop. */
void vb_mailer_stop(void (*cb)(void *arg), void *arg);

/* Lease of a claim (ms): longer than VB_MAIL_CLAIM_BATCH transactions at
 * their time limit. MAIL_LEASE_MS overrides it (tests). */
#define VB_MAIL_LEASE_MS (10LL * 60 * 1000)

#endif
