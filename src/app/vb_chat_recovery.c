/*
 * The chat gateway's connection state recovery (see vb_chat_recovery.h):
 * offsets and private session ids, the session arguments of a connect, the
 * restore after a recovered accept, the session writes of joins, leaves and
 * closes, and the periodic pruning of what can no longer be recovered.
 */
#include "app/vb_chat_recovery.h"
#include "app/vb_chat_args.h"
#include "app/vb_chat_internal.h"
#include "core/vb_common.h"
#include "core/vb_log.h"
#include "hub/vb_presence.h"
#include "store/vb_ops_chat.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char b36[] = "0123456789abcdefghijklmnopqrstuvwxyz";

void vb_chat_offset_encode(int64_t seq, char out[VB_CHAT_OFFSET_MAX + 1])
{
    char tmp[VB_CHAT_OFFSET_MAX];
    uint64_t v = seq < 0 ? 0 : (uint64_t)seq;
    int n = 0;
    do {
        tmp[n++] = b36[v % 36];
        v /= 36;
    } while (v && n < VB_CHAT_OFFSET_MAX);
    for (int i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = '\0';
}

int vb_chat_offset_decode(const char *s, int64_t *seq)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > VB_CHAT_OFFSET_MAX || (n > 1 && s[0] == '0')) return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        const char *p = s[i] ? strchr(b36, s[i]) : NULL;
        if (!p) return -1;
        if (v > ((uint64_t)INT64_MAX - (uint64_t)(p - b36)) / 36) return -1;
        v = v * 36 + (uint64_t)(p - b36);
    }
    *seq = (int64_t)v;
    return 0;
}

void vb_chat_pid_new(char out[VB_CHAT_PID_LEN + 1])
{
    unsigned char r[16];
    randombytes_buf(r, sizeof r);
    sodium_bin2base64(out, VB_CHAT_PID_LEN + 1, r, sizeof r,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

int vb_chat_pid_valid(const char *pid)
{
    static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    return pid && strlen(pid) == VB_CHAT_PID_LEN && strspn(pid, alpha) == VB_CHAT_PID_LEN;
}

void vb_chat_pid_hash(const char *pid, char out[VB_CHAT_PID_HASH_LEN + 1])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)pid, strlen(pid));
    sodium_bin2hex(out, VB_CHAT_PID_HASH_LEN + 1, h, sizeof h);
}

/* ---- connect ------------------------------------------------------------- */

static int64_t window_ms(void)
{
    vb_app *app = vb_app_current();
    return app ? app->cfg.chat_recovery_ms : 0;
}

int vb_chat_recovery_on(void)
{
    return window_ms() > 0;
}

json_t *vb_chat_recovery_args(chat_sock *cs, json_t *auth, const char *sid)
{
    if (window_ms() <= 0) return NULL;
    vb_chat_pid_new(cs->pid);
    vb_chat_pid_hash(cs->pid, cs->pid_hash);
    json_t *sess =
        json_pack("{s:s,s:s,s:I,s:I}", "pidHash", cs->pid_hash, "sid", sid, "window",
                  (json_int_t)window_ms(), "maxEvents", (json_int_t)VB_CHAT_RECOVERY_MAX_EVENTS);
    const char *pid = json_string_value(json_object_get(auth, "pid"));
    const char *off = json_string_value(json_object_get(auth, "offset"));
    int64_t seq;
    /* A malformed pid or offset is not an error: the session is fresh. */
    if (sess && vb_chat_pid_valid(pid) && vb_chat_offset_decode(off, &seq) == 0) {
        char hash[VB_CHAT_PID_HASH_LEN + 1];
        vb_chat_pid_hash(pid, hash);
        snprintf(cs->rec_pid, sizeof cs->rec_pid, "%s", pid);
        json_object_set_new(sess, "recover",
                            json_pack("{s:s,s:I}", "pidHash", hash, "offset", (json_int_t)seq));
    }
    return sess;
}

int vb_chat_recovery_accept(chat_sock *cs, vb_sio_socket *s, json_t *result)
{
    if (!cs->pid_hash[0]) return vb_sio_accept(s, cs);
    json_t *rec = json_object_get(result, "recovered");
    if (!rec) return vb_sio_accept_session(s, cs, NULL, cs->pid);
    const char *sid = json_string_value(json_object_get(rec, "sid"));
    /* The same client on a connection this server has not seen close yet:
     * the old socket gives way (and must not mark the session closed). */
    vb_sio_socket *old = sid ? vb_chat_socket_by_id(sid) : NULL;
    if (old && old != s) {
        chat_sock *ocs = vb_sio_socket_ud(old);
        if (ocs) ocs->pid_hash[0] = '\0';
        vb_sio_disconnect(old);
    }
    snprintf(cs->pid, sizeof cs->pid, "%s", cs->rec_pid);
    vb_chat_pid_hash(cs->pid, cs->pid_hash);
    return vb_sio_accept_session(s, cs, sid, cs->pid);
}

/* Emits event with data (borrowed) and its offset seq to s alone. */
static void emit_offset(vb_sio_socket *s, const char *event, json_t *data, int64_t seq)
{
    char buf[VB_CHAT_ARGS_STACK];
    size_t len;
    char *text = vb_chat_args_offset(json_incref(data), seq, buf, sizeof buf, &len);
    if (text) vb_sio_emit(s, event, text, len);
    vb_chat_args_free(text, buf);
}

void vb_chat_recovery_welcome(chat_sock *cs, json_t *result)
{
    json_t *w = json_pack("{s:s,s:s}", "id", vb_sio_socket_id(cs->sock), "userId", cs->user_id);
    json_t *head = json_object_get(result, "head");
    emit_offset(cs->sock, "welcome", w, cs->pid_hash[0] && head ? json_integer_value(head) : -1);
    json_decref(w);
}

void vb_chat_recovery_restore(chat_sock *cs, json_t *result)
{
    json_t *rec = json_object_get(result, "recovered");
    vb_sio_socket *s = cs->sock;
    if (!rec || !s) return;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(rec, "rooms"), i, v)
    {
        const char *cid = json_string_value(json_object_get(v, "channelId"));
        char room[VB_HUB_TOPIC_MAX];
        vb_hub_topic(room, VB_HUB_CHANNEL, cid);
        if (vb_sio_join(s, room) != 0 || vb_chat_topic_hold(room) != 0) continue;
        chat_topic *t = vb_chat_topic_find(room);
        if (t) vb_chat_catchup_base(t->cu, json_integer_value(json_object_get(result, "head")));
        json_object_set(cs->channels, cid, json_object_get(v, "workspaceId"));
        vb_chat_announce(room, cs, "channel:user_joined",
                         json_pack("{s:s,s:s}", "channelId", cid, "userId", cs->user_id));
    }
    json_array_foreach(json_object_get(rec, "events"), i, v)
    {
        const char *type = json_string_value(json_object_get(v, "type"));
        if (type)
            emit_offset(s, type, json_object_get(v, "data"),
                        json_integer_value(json_object_get(v, "seq")));
    }
    /* Presence as it is now: who is online in its workspaces, once each. */
    json_t *seen = json_object();
    json_array_foreach(cs->workspaces, i, v)
    {
        json_t *ids = vb_presence_online(json_string_value(v));
        size_t k;
        json_t *u;
        json_array_foreach(ids, k, u)
        {
            const char *uid = json_string_value(u);
            const char *name = vb_presence_name(uid);
            if (!uid || !name || json_object_get(seen, uid)) continue;
            json_object_set_new(seen, uid, json_true());
            vb_chat_emit(s, "presence:online",
                         json_pack("{s:s,s:s}", "userId", uid, "userName", name));
        }
        json_decref(ids);
    }
    json_decref(seen);
}

/* ---- session writes -------------------------------------------------------- */

static void submit_write(vb_op_fn op, json_t *args)
{
    vb_app *app = vb_app_current();
    if (!args || !app || vb_store_submit(app->store, op, VB_STORE_WRITE, args, NULL, NULL) != 0)
        vb_log(VB_LOG_WARN, "chat: a recovery session write was dropped");
}

void vb_chat_recovery_left(chat_sock *cs, const char *cid)
{
    if (cs->pid_hash[0])
        submit_write(vb_op_chat_session_leave,
                     json_pack("{s:s,s:s}", "pidHash", cs->pid_hash, "channelId", cid));
}

void vb_chat_recovery_closed(chat_sock *cs, vb_sio_socket *s)
{
    if (cs->accepted && cs->pid_hash[0])
        submit_write(vb_op_chat_session_close,
                     json_pack("{s:s,s:s}", "pidHash", cs->pid_hash, "sid", vb_sio_socket_id(s)));
}

/* ---- pruning ----------------------------------------------------------------- */

static uv_timer_t *g_prune;

static void on_prune(uv_timer_t *t)
{
    (void)t;
    vb_app *app = vb_app_current();
    if (!app) return;
    int64_t w = window_ms() > 0 ? window_ms() : VB_CHAT_CATCHUP_KEEP_MS;
    json_t *args = json_pack("{s:I,s:I}", "window", (json_int_t)w, "idleMax",
                             (json_int_t)VB_CHAT_SESSION_IDLE_MAX_MS);
    if (args) vb_store_submit(app->store, vb_op_chat_prune, VB_STORE_WRITE, args, NULL, NULL);
}

int vb_chat_recovery_start(uv_loop_t *loop)
{
    int64_t w = window_ms();
    vb_app *app = vb_app_current();
    /* A cluster's rooms catch up from the log after a Redis outage. */
    if (w <= 0 && app && app->cfg.redis_url[0]) w = VB_CHAT_CATCHUP_KEEP_MS;
    vb_op_chat_log_enable(w > 0);
    if (w <= 0) return 0;
    uint64_t every = (uint64_t)(w / 2 < 1000 ? 1000 : w / 2 > 60000 ? 60000 : w / 2);
    g_prune = malloc(sizeof *g_prune);
    if (!g_prune) return VB_ENOMEM;
    uv_timer_init(loop, g_prune);
    uv_timer_start(g_prune, on_prune, every, every);
    uv_unref((uv_handle_t *)g_prune);
    return 0;
}

static void on_prune_closed(uv_handle_t *h)
{
    free(h);
}

void vb_chat_recovery_stop(void)
{
    if (!g_prune) return;
    uv_close((uv_handle_t *)g_prune, on_prune_closed);
    g_prune = NULL;
}
