/* The scheduler (see vb_jobs.h). Loop thread only. */
#include "app/vb_jobs.h"

#include "core/vb_common.h"
#include "core/vb_id.h"
#include "core/vb_log.h"
#include "mail/vb_mailer.h"
#include "store/vb_ops_mail.h"

#include <string.h>

typedef struct job {
    const char *name;
    vb_op_fn run; /* one batch */
    int batched;  /* runs again while the result says "more" */
    int running;
} job;

static struct {
    vb_app *app;
    uv_timer_t timer;
    char owner[VB_ID_LEN + 1];
    int started, stopping;
} S;

static job g_jobs[] = {
    {"due_reminders", vb_op_job_due_reminders, 1, 0},
    {"cleanup", vb_op_job_cleanup, 0, 0},
};

static void acquire(job *j);

static void submit(vb_op_fn fn, json_t *args, vb_store_cb cb, job *j)
{
    /* The store closing at a stop answers the calls in flight after the app
     * let go of it: nothing more is submitted then (a lease not released
     * expires). vb_store_submit takes args even when it fails. */
    if (!S.app->store) {
        json_decref(args);
        j->running = 0;
        return;
    }
    if (!args || vb_store_submit(S.app->store, fn, VB_STORE_WRITE, args, cb, j) != 0)
        j->running = 0;
}

static void on_released(const vb_store_res *res, void *ud)
{
    job *j = ud;
    (void)res;
    j->running = 0;
}

static void release(job *j)
{
    submit(vb_op_job_release,
           json_pack("{s:s, s:s, s:I}", "name", j->name, "owner", S.owner, "nextRunAt",
                     (json_int_t)vb_wall_ms() + S.app->cfg.jobs_interval_ms / 2),
           on_released, j);
}

static void on_batch(const vb_store_res *res, void *ud)
{
    job *j = ud;

    if (res->status != 0) {
        /* The lease stays: another attempt after it expires. */
        vb_log(VB_LOG_WARN, "job %s failed: %s", j->name, res->message);
        j->running = 0;
        return;
    }
    if (vb_log_enabled(VB_LOG_DEBUG))
        vb_log_obj(VB_LOG_DEBUG, "job batch",
                   json_pack("{s:s, s:O}", "job", j->name, "result", res->result));
    if (j->batched && json_is_true(json_object_get(res->result, "more")) && !S.stopping)
        acquire(j); /* renews the lease, then the next batch */
    else
        release(j);
}

static void on_acquired(const vb_store_res *res, void *ud)
{
    job *j = ud;

    if (res->status != 0 || !json_is_true(json_object_get(res->result, "acquired")) || S.stopping) {
        j->running = 0; /* another instance has it */
        return;
    }
    submit(j->run,
           json_pack("{s:I, s:i}", "leadMs", (json_int_t)S.app->cfg.due_reminder_lead_ms, "limit",
                     VB_JOBS_BATCH),
           on_batch, j);
}

static void acquire(job *j)
{
    j->running = 1;
    submit(vb_op_job_acquire,
           json_pack("{s:s, s:s, s:I}", "name", j->name, "owner", S.owner, "leaseMs",
                     (json_int_t)VB_JOBS_LEASE_MS),
           on_acquired, j);
}

static void on_tick(uv_timer_t *t)
{
    (void)t;
    vb_mailer_kick(); /* outbox retries, and mails other instances left behind */
    for (size_t i = 0; i < VB_ARRAY_LEN(g_jobs); i++)
        if (!g_jobs[i].running) acquire(&g_jobs[i]);
}

int vb_jobs_start(vb_app *app)
{
    memset(&S, 0, sizeof S);
    S.app = app;
    vb_id_new(S.owner);
    uv_timer_init(app->loop, &S.timer);
    uv_timer_start(&S.timer, on_tick, (uint64_t)app->cfg.jobs_interval_ms,
                   (uint64_t)app->cfg.jobs_interval_ms);
    S.started = 1;
    return 0;
}

static void on_timer_closed(uv_handle_t *h)
{
    (void)h;
}

void vb_jobs_stop(void)
{
    if (!S.started || S.stopping) return;
    S.stopping = 1;
    uv_timer_stop(&S.timer);
    uv_close((uv_handle_t *)&S.timer, on_timer_closed);
}
