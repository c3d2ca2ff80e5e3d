/* The sender (see vb_mailer.h). Loop thread, except send_work and commit_wait. */
#include "mail/vb_mailer.h"

#include "core/vb_common.h"
#include "core/vb_id.h"
#include "core/vb_log.h"
#include "hub/vb_hub.h"
#include "mail/vb_mail_msg.h"
#include "mail/vb_mail_smtp.h"
#include "mail/vb_mail_tmpl.h"
#include "store/vb_ops_mail.h"

#include <stdlib.h>
#include <string.h>

enum { COMMIT_NONE, COMMIT_ASKED, COMMIT_SUBMITTED, COMMIT_YES, COMMIT_NO };

typedef struct mailer {
    vb_app *app;
    char owner[VB_ID_LEN + 1];
    char host[256];      /* of PUBLIC_URL: the right side of Message-IDs */
    char from_addr[256]; /* envelope sender, from MAIL_FROM */
    uv_timer_t timer;
    int64_t timer_due; /* wall ms the timer is armed for */
    uv_async_t async;
    vb_hub_sub sub;
    uv_mutex_t mu;
    uv_cond_t cv;
    int commit_state; /* under mu */
    json_t *queue;    /* claimed mails not sent yet */
    json_t *cur;      /* the mail being sent */
    char *msg;
    size_t msg_len;
    char to_addr[256];
    vb_smtp_result res;
    uv_work_t work;
    int started, stopping, claiming, working, again, pending_ops, closing;
    void (*stop_cb)(void *);
    void *stop_arg;
} mailer;

static mailer M;

static void next(void);
static void maybe_finish(void);

static int submit(vb_op_fn fn, json_t *args, vb_store_cb cb)
{
    if (!args || vb_store_submit(M.app->store, fn, VB_STORE_WRITE, args, cb, NULL) != 0) return -1;
    M.pending_ops++;
    return 0;
}

/* ---- claim */

static void on_timer(uv_timer_t *t)
{
    (void)t;
    vb_mailer_kick();
}

static void arm_timer(json_t *next_due)
{
    int64_t delay;

    if (!json_is_integer(next_due) || M.stopping) return;
    /* Never push back a wake-up that is due earlier. */
    if (uv_is_active((uv_handle_t *)&M.timer) && M.timer_due <= json_integer_value(next_due))
        return;
    M.timer_due = (int64_t)json_integer_value(next_due);
    delay = (int64_t)json_integer_value(next_due) - vb_wall_ms();
    if (delay < 1) delay = 1;
    uv_timer_start(&M.timer, on_timer, (uint64_t)delay, 0);
}

static void on_claim(const vb_store_res *res, void *ud)
{
    json_t *mails = json_object_get(res->result, "mails"), *v;
    size_t i;

    (void)ud;
    M.pending_ops--;
    M.claiming = 0;
    if (res->status != 0) {
        vb_log(VB_LOG_WARN, "mail: claim failed: %s", res->message);
    } else {
        json_array_foreach(mails, i, v) json_array_append(M.queue, v);
        if (json_array_size(mails) >= VB_MAIL_CLAIM_BATCH) M.again = 1;
        arm_timer(json_object_get(res->result, "nextDueAt"));
    }
    next();
}

void vb_mailer_kick(void)
{
    if (!M.started || M.stopping) return;
    if (M.claiming || M.cur || json_array_size(M.queue)) {
        M.again = 1;
        return;
    }
    M.again = 0;
    if (submit(vb_op_mail_claim,
               json_pack("{s:s, s:I, s:i}", "owner", M.owner, "leaseMs",
                         (json_int_t)M.app->cfg.mail_lease_ms, "limit", VB_MAIL_CLAIM_BATCH),
               on_claim) == 0)
        M.claiming = 1;
}

/* ---- outcome */

static void on_done(const vb_store_res *res, void *ud)
{
    (void)ud;
    M.pending_ops--;
    if (res->status != 0)
        vb_log(VB_LOG_WARN, "mail: could not record an outcome: %s", res->message);
    maybe_finish();
}

/* Records the outcome of the current mail and moves on. */
static void finish_cur(const char *outcome, const char *error, int64_t next_at)
{
    json_t *m = M.cur;
    json_t *args =
        json_pack("{s:O, s:s, s:s, s:s?, s:I}", "id", json_object_get(m, "id"), "owner", M.owner,
                  "outcome", outcome, "error", error, "nextAttemptAt", (json_int_t)next_at);

    if (strcmp(outcome, "failed") == 0)
        vb_log_obj(VB_LOG_WARN, "mail given up",
                   json_pack("{s:O, s:O, s:O, s:s?}", "id", json_object_get(m, "id"), "template",
                             json_object_get(m, "template"), "attempts",
                             json_object_get(m, "attempts"), "reason", error));
    else if (strcmp(outcome, "sent") == 0 && M.app->cfg.smtp_url[0])
        vb_log_obj(VB_LOG_INFO, "mail sent",
                   json_pack("{s:O, s:O, s:O}", "id", json_object_get(m, "id"), "template",
                             json_object_get(m, "template"), "attempts",
                             json_object_get(m, "attempts")));
    else if (strcmp(outcome, "retry") == 0)
        vb_log_obj(VB_LOG_INFO, "mail retry scheduled",
                   json_pack("{s:O, s:O, s:s?, s:I}", "id", json_object_get(m, "id"), "attempts",
                             json_object_get(m, "attempts"), "reason", error, "inMs",
                             (json_int_t)(next_at - vb_wall_ms())));
    if (submit(vb_op_mail_done, args, on_done) != 0)
        vb_log(VB_LOG_WARN, "mail: could not record an outcome (shutting down)");
    if (strcmp(outcome, "retry") == 0) {
        json_t *due = json_integer(next_at);
        arm_timer(due);
        json_decref(due);
    }
    json_decref(M.cur);
    M.cur = NULL;
    free(M.msg);
    M.msg = NULL;
    next();
}

static int64_t backoff(int64_t attempts)
{
    int64_t d = M.app->cfg.mail_retry_base_ms;

    for (int64_t i = 1; i < attempts && d < VB_MAIL_RETRY_MAX_MS; i++)
        d *= 2;
    return d < VB_MAIL_RETRY_MAX_MS ? d : VB_MAIL_RETRY_MAX_MS;
}

/* A failure before the end of DATA: retried unless the server refused for
 * good (5xx) or the attempts are used up. */
static void transient(const char *why)
{
    int64_t attempts = (int64_t)json_integer_value(json_object_get(M.cur, "attempts"));
    char reason[400];

    if (attempts >= M.app->cfg.mail_max_attempts) {
        snprintf(reason, sizeof reason, "gave up after %lld attempts: %s", (long long)attempts,
                 why);
        finish_cur("failed", reason, 0);
    } else {
        finish_cur("retry", why, vb_wall_ms() + backoff(attempts));
    }
}

/* ---- the SMTP transaction on the thread pool */

/* Pool thread: asks the loop to mark the mail committing and waits. */
static int commit_wait(void *ud)
{
    int yes;

    (void)ud;
    uv_mutex_lock(&M.mu);
    M.commit_state = COMMIT_ASKED;
    uv_mutex_unlock(&M.mu);
    uv_async_send(&M.async);
    uv_mutex_lock(&M.mu);
    while (M.commit_state == COMMIT_ASKED || M.commit_state == COMMIT_SUBMITTED)
        uv_cond_wait(&M.cv, &M.mu);
    yes = M.commit_state == COMMIT_YES;
    uv_mutex_unlock(&M.mu);
    return yes;
}

static void commit_answer(int state)
{
    uv_mutex_lock(&M.mu);
    M.commit_state = state;
    uv_cond_signal(&M.cv);
    uv_mutex_unlock(&M.mu);
}

static void on_commit(const vb_store_res *res, void *ud)
{
    (void)ud;
    M.pending_ops--;
    commit_answer(res->status == 0 && json_is_true(json_object_get(res->result, "ok")) ? COMMIT_YES
                                                                                       : COMMIT_NO);
}

static void on_async(uv_async_t *h)
{
    int asked;

    (void)h;
    uv_mutex_lock(&M.mu);
    asked = M.commit_state == COMMIT_ASKED;
    if (asked) M.commit_state = COMMIT_SUBMITTED;
    uv_mutex_unlock(&M.mu);
    if (asked && submit(vb_op_mail_commit,
                        json_pack("{s:O, s:s, s:I}", "id", json_object_get(M.cur, "id"), "owner",
                                  M.owner, "leaseMs", (json_int_t)M.app->cfg.mail_lease_ms),
                        on_commit) != 0)
        commit_answer(COMMIT_NO);
}

/* Pool thread: a shutdown abandons a transaction that has not committed
 * (the mail is handed back and sent later). */
static int cancelled(void *ud)
{
    (void)ud;
    return __atomic_load_n(&M.stopping, __ATOMIC_RELAXED);
}

static void send_work(uv_work_t *w)
{
    (void)w;
    vb_smtp_send(M.app->cfg.smtp_url, M.from_addr, M.to_addr, M.msg, M.msg_len, commit_wait, NULL,
                 &M.res);
}

static void send_after(uv_work_t *w, int status)
{
    vb_smtp_result *r = &M.res;
    char why[400];

    (void)w;
    M.working = 0;
    if (status != 0) {
        transient("the send was cancelled");
    } else if (r->ok) {
        finish_cur("sent", NULL, 0);
    } else if (r->aborted) {
        /* The lease was lost (another instance has the mail now): drop it. */
        vb_log(VB_LOG_WARN, "mail %s: lease lost before the end of DATA; left to its new owner",
               json_string_value(json_object_get(M.cur, "id")));
        json_decref(M.cur);
        M.cur = NULL;
        free(M.msg);
        M.msg = NULL;
        next();
    } else if (r->reply_code >= 500) {
        snprintf(why, sizeof why, "refused by the SMTP server: %s", r->error);
        finish_cur("failed", why, 0);
    } else if (r->committed && !(r->reply_code >= 400 && r->reply_code < 500)) {
        snprintf(why, sizeof why,
                 "connection lost after the end of DATA, delivery outcome unknown; not resent "
                 "so that it is never sent twice: %s",
                 r->error);
        finish_cur("failed", why, 0);
    } else {
        transient(r->error);
    }
}

/* ---- one mail */

static void next(void)
{
    json_t *m, *params;
    vb_mail_text t;
    vb_mail_msg msg;
    char id[320];

    if (M.cur || M.working) return;
    if (M.stopping) {
        maybe_finish();
        return;
    }
    if (json_array_size(M.queue) == 0) {
        if (M.again) vb_mailer_kick();
        return;
    }
    m = json_incref(json_array_get(M.queue, 0));
    json_array_remove(M.queue, 0);
    M.cur = m;
    params = json_object_get(m, "params");
    if (vb_mail_render(json_string_value(json_object_get(m, "template")), params,
                       M.app->cfg.public_url, &t) != 0) {
        finish_cur("failed", "unknown template", 0);
        return;
    }
    snprintf(id, sizeof id, "%s@%s", json_string_value(json_object_get(m, "id")), M.host);
    msg = (vb_mail_msg){M.app->cfg.mail_from,
                        json_string_value(json_object_get(m, "toEmail")),
                        json_string_value(json_object_get(m, "toName")),
                        t.subject,
                        t.text,
                        t.html,
                        id,
                        (int64_t)json_integer_value(json_object_get(m, "createdAt"))};
    M.msg = vb_mail_build(&msg, &M.msg_len);
    if (!M.msg || vb_mail_addr(msg.to_email, M.to_addr, sizeof M.to_addr) != 0) {
        vb_mail_text_free(&t);
        finish_cur("failed", "the message could not be built (bad address)", 0);
        return;
    }
    if (!M.app->cfg.smtp_url[0]) {
        /* No SMTP server configured: the mail goes to the log. */
        vb_log_obj(VB_LOG_INFO, "mail (SMTP_URL not set, not sent)",
                   json_pack("{s:s, s:s, s:s, s:s}", "to", M.to_addr, "subject", t.subject,
                             "template", json_string_value(json_object_get(m, "template")), "text",
                             t.text));
        vb_mail_text_free(&t);
        finish_cur("sent", NULL, 0);
        return;
    }
    vb_mail_text_free(&t);
    uv_mutex_lock(&M.mu);
    M.commit_state = COMMIT_NONE;
    uv_mutex_unlock(&M.mu);
    if (uv_queue_work(M.app->loop, &M.work, send_work, send_after) != 0) {
        transient("could not queue the send");
        return;
    }
    M.working = 1;
}

/* ---- start and stop */

static void on_hub(vb_hub_sub *sub, const char *topic, const char *type, json_t *data, void *ud)
{
    (void)sub, (void)topic, (void)type, (void)data, (void)ud;
    vb_mailer_kick();
}

int vb_mailer_start(vb_app *app)
{
    const char *h;
    size_t n;

    memset(&M, 0, sizeof M);
    M.app = app;
    vb_id_new(M.owner);
    h = strstr(app->cfg.public_url, "://");
    h = h ? h + 3 : app->cfg.public_url;
    n = strcspn(h, ":/?#");
    snprintf(M.host, sizeof M.host, "%.*s", (int)(n ? n : 9), n ? h : "localhost");
    if (vb_mail_addr(app->cfg.mail_from, M.from_addr, sizeof M.from_addr) != 0) {
        vb_log(VB_LOG_ERROR, "MAIL_FROM is not an address (\"Name <addr@host>\" or addr@host)");
        return -1;
    }
    if (vb_smtp_global_init() != 0 || !(M.queue = json_array())) return -1;
    vb_smtp_set_cancel(cancelled);
    uv_mutex_init(&M.mu);
    uv_cond_init(&M.cv);
    uv_timer_init(app->loop, &M.timer);
    uv_async_init(app->loop, &M.async, on_async);
    vb_hub_subscribe(&M.sub, "mail", on_hub, NULL);
    M.started = 1;
    if (!app->cfg.smtp_url[0])
        vb_log(VB_LOG_WARN, "SMTP_URL is not set: mails are written to the log, not sent");
    vb_mailer_kick();
    return 0;
}

static void on_release(const vb_store_res *res, void *ud)
{
    (void)res, (void)ud;
    M.pending_ops--;
    maybe_finish();
}

static void on_handle_closed(uv_handle_t *h)
{
    (void)h;
    if (--M.closing == 0) {
        uv_mutex_destroy(&M.mu);
        uv_cond_destroy(&M.cv);
        json_decref(M.queue);
        M.queue = NULL;
        M.started = 0;
        if (M.stop_cb) M.stop_cb(M.stop_arg);
    }
}

/* Once stopping: hands claimed mails back, then closes when nothing is in flight. */
static void maybe_finish(void)
{
    json_t *m;
    size_t i;

    if (!M.stopping || M.closing) return;
    if (M.cur) return; /* its outcome comes back through finish_cur */
    json_array_foreach(M.queue, i, m)
    {
        /* Not sent: pending again at once, for whichever instance comes first. */
        submit(vb_op_mail_done,
               json_pack("{s:O, s:s, s:s, s:n, s:I}", "id", json_object_get(m, "id"), "owner",
                         M.owner, "outcome", "retry", "error", "nextAttemptAt",
                         (json_int_t)vb_wall_ms()),
               on_release);
    }
    json_array_clear(M.queue);
    if (M.working || M.claiming || M.pending_ops > 0) return;
    M.closing = 2;
    uv_close((uv_handle_t *)&M.timer, on_handle_closed);
    uv_close((uv_handle_t *)&M.async, on_handle_closed);
}

void vb_mailer_stop(void (*cb)(void *arg), void *arg)
{
    if (!M.started || M.stopping) {
        if (!M.started && cb) cb(arg);
        return;
    }
    __atomic_store_n(&M.stopping, 1, __ATOMIC_RELAXED);
    M.stop_cb = cb;
    M.stop_arg = arg;
    uv_timer_stop(&M.timer);
    vb_hub_unsubscribe(&M.sub);
    maybe_finish();
}
