/*
 * Fixed-window request limiter keyed by a short string: a client address, a
 * user id, an account (loop thread only). Memory is bounded: at most max_keys
 * keys are tracked; when a new key arrives at a full table, the key whose
 * window started first is evicted (never the whole table). With REDIS_URL a
 * limiter can count cluster-wide (vb_ratelimit_hit_shared).
 */
#ifndef VB_RATELIMIT_H
#define VB_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#define VB_RATELIMIT_MAX_KEYS 16384 /* default bound on tracked keys */
#define VB_RATELIMIT_KEY_MAX 63     /* longer keys are cut */

typedef struct vb_ratelimit vb_ratelimit;

/* limit requests per window_ms for each key; limit 0 disables limiting.
 * max_keys 0 means VB_RATELIMIT_MAX_KEYS. NULL when out of memory. */
vb_ratelimit *vb_ratelimit_new(unsigned limit, unsigned window_ms, size_t max_keys);
void vb_ratelimit_free(vb_ratelimit *rl);
/* Counts one request for key at now_ms. Returns 0 when allowed, else the
 * number of seconds (>= 1) until the key's window ends (for Retry-After). */
unsigned vb_ratelimit_hit(vb_ratelimit *rl, const char *key, uint64_t now_ms);
/* Number of keys tracked (for tests and metrics). */
size_t vb_ratelimit_size(const vb_ratelimit *rl);
/* The limit and the window it was made with. */
unsigned vb_ratelimit_limit(const vb_ratelimit *rl);
unsigned vb_ratelimit_window_ms(const vb_ratelimit *rl);

/* The answer of a shared count: 0 allowed, else seconds until the window
 * ends. */
typedef void (*vb_ratelimit_cb)(unsigned retry, void *ud);
/* Counts one request for key cluster-wide (vb_ratelimit_redis.c): with the
 * Redis bridge up, in Redis under "vibed:rl:<name>:<key>:<window>" (windows
 * aligned on the clock) and returns 1: cb runs later on the loop (from the
 * local count if Redis fails meanwhile). Otherwise counts locally at once,
 * sets *retry and returns 0 (cb is not called). */
int vb_ratelimit_hit_shared(vb_ratelimit *rl, const char *name, const char *key, uint64_t now_ms,
                            vb_ratelimit_cb cb, void *ud, unsigned *retry);

#endif
