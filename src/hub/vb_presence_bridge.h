/*
 * Presence across instances (loop thread only; started by the Redis bridge).
 *
 * Each instance counts its own connections per user and keeps its share in
 * the Redis hash "vibed:p:<instance>" (user id -> {"n":name,"w":[workspace
 * ids]}, plus "_"), which expires after PRESENCE_TTL_MS / 2 unless the
 * instance refreshes it (every PRESENCE_TTL_MS / 5); the set "vibed:insts"
 * lists the instances. A user's first connection on an instance and their
 * last one going are published on the channel "vibed:presence".
 *
 * Every instance keeps the same view: the set of (instance, user) pairs,
 * built from those messages (in the order Redis delivers them, the same on
 * every instance) and checked against the hashes at every refresh; a pair
 * added is one "source" of vb_presence_apply_connect, so presence:online and
 * presence:offline fire on each instance exactly when a user's first
 * instance comes and their last one goes. An instance whose hash expired
 * (killed) loses its pairs on every other one.
 */
#ifndef VB_PRESENCE_BRIDGE_H
#define VB_PRESENCE_BRIDGE_H

#include <stddef.h>
#include <uv.h>

#define VB_PRESENCE_CHANNEL "vibed:presence"

int vb_presence_bridge_start(uv_loop_t *loop, long ttl_ms);
void vb_presence_bridge_stop(void);
/* A message of the presence channel. */
void vb_presence_bridge_message(const char *payload, size_t len);
/* Redis is (again) connected / was lost. */
void vb_presence_bridge_up(void);
void vb_presence_bridge_down(void);

#endif
