/*
 * Fixed-window request limiter keyed by client address (loop thread only).
 * Memory is bounded: at most VB_RATELIMIT_MAX_KEYS addresses are tracked;
 * expired windows are swept when the table is full.
 */
#ifndef VB_RATELIMIT_H
#define VB_RATELIMIT_H

#include <stdint.h>

#define VB_RATELIMIT_MAX_KEYS 16384

typedef struct vb_ratelimit vb_ratelimit;

/* limit requests per window_ms for each key; limit 0 disables limiting. */
vb_ratelimit *vb_ratelimit_new(unsigned limit, unsigned window_ms);
void vb_ratelimit_free(vb_ratelimit *rl);
/* Counts one request for key at now_ms. Returns 0 when allowed, else the
 * number of seconds (>= 1) until the key's window ends (for Retry-After). */
unsigned vb_ratelimit_hit(vb_ratelimit *rl, const char *key, uint64_t now_ms);

#endif
