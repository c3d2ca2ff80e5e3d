/*
 * The cluster-wide count of a limiter (vb_ratelimit.h): with the Redis
 * bridge up, each request is one EVAL of a small script (INCR the key of the
 * current fixed window, PEXPIRE it at its first count), so every instance
 * counts against the same number; the answer comes back on the loop later.
 * When Redis is not connected, or does not answer (the bridge drops its
 * pending commands when the connection goes), the local count decides.
 */
#include "app/vb_ratelimit.h"

#include "core/vb_common.h"

#include "hub/vb_hub_bridge.h"

#include <hiredis/hiredis.h>
#include <stdlib.h>
#include <string.h>

/* KEYS[1] the window's key, ARGV[1] its lifetime (ms): the count so far. */
static const char SCRIPT[] = "local n = redis.call('INCR', KEYS[1]) "
                             "if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end "
                             "return n";

typedef struct shared_call {
    vb_ratelimit *rl;
    char key[VB_RATELIMIT_KEY_MAX + 1];
    uint64_t now_ms;  /* the local limiter's (monotonic) time */
    uint64_t wall_ms; /* the shared window's time: the same on every machine */
    vb_ratelimit_cb cb;
    void *ud;
} shared_call;

static void on_reply(redisAsyncContext *ac, void *r, void *ud)
{
    (void)ac;
    shared_call *sc = ud;
    redisReply *reply = r;
    unsigned retry;
    if (reply && reply->type == REDIS_REPLY_INTEGER) {
        unsigned window = vb_ratelimit_window_ms(sc->rl);
        retry = 0;
        if (reply->integer > (long long)vb_ratelimit_limit(sc->rl)) {
            uint64_t left = window - sc->wall_ms % window;
            retry = (unsigned)((left + 999) / 1000);
            if (!retry) retry = 1;
        }
    } else {
        retry = vb_ratelimit_hit(sc->rl, sc->key, sc->now_ms);
    }
    vb_ratelimit_cb cb = sc->cb;
    void *cud = sc->ud;
    free(sc);
    cb(retry, cud);
}

int vb_ratelimit_hit_shared(vb_ratelimit *rl, const char *name, const char *key, uint64_t now_ms,
                            vb_ratelimit_cb cb, void *ud, unsigned *retry)
{
    *retry = 0;
    unsigned limit = vb_ratelimit_limit(rl);
    if (limit == 0) return 0;
    shared_call *sc = vb_hub_bridge_ready() ? calloc(1, sizeof *sc) : NULL;
    if (sc) {
        sc->rl = rl;
        strncpy(sc->key, key ? key : "", sizeof sc->key - 1);
        sc->now_ms = now_ms;
        sc->wall_ms = (uint64_t)vb_wall_ms();
        sc->cb = cb;
        sc->ud = ud;
        unsigned window = vb_ratelimit_window_ms(rl);
        /* Fixed windows aligned on the wall clock, the same on every
         * instance and machine (now_ms is this machine's monotonic clock). */
        unsigned long long idx = (unsigned long long)(sc->wall_ms / window);
        if (vb_hub_bridge_command(on_reply, sc, "EVAL %s 1 vibed:rl:%s:%s:%llu %u", SCRIPT, name,
                                  sc->key, idx, window) == 0)
            return 1;
        free(sc);
    }
    *retry = vb_ratelimit_hit(rl, key, now_ms);
    return 0;
}
