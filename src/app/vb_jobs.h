/*
 * The scheduler: a uv_timer on the loop that every JOBS_INTERVAL_MS wakes
 * the mail sender (outbox retries) and runs the jobs:
 *   due_reminders  tasks due within DUE_REMINDER_LEAD_MS or overdue: one
 *                  reminder per task and due date (notification task_due and
 *                  its mail), in batches of VB_JOBS_BATCH
 *   cleanup        expired refresh and reset tokens, old sent/failed mails
 * Each job runs where it holds its lease row (job_leases): one instance of a
 * cluster at a time. The lease lasts VB_JOBS_LEASE_MS and is renewed before
 * every batch; a job whose instance died half-way is taken over when the
 * lease expires (its work is idempotent: reminded tasks are recorded in the
 * same transaction as their notifications). A finished run keeps the lease
 * for half an interval, so the cluster runs each job about once per interval.
 */
#ifndef VB_JOBS_H
#define VB_JOBS_H

#include "app/vb_app.h"

#define VB_JOBS_LEASE_MS (5LL * 60 * 1000)
#define VB_JOBS_BATCH 200

int vb_jobs_start(vb_app *app);
/* Stops the timer; a run in flight ends after its current store operation. */
void vb_jobs_stop(void);

#endif
