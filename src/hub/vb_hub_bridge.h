/*
 * The Redis bridge: with REDIS_URL, the hub of this instance is joined to the
 * hubs of the other instances (loop thread only).
 *
 * Every event sent through the hub (vb_hub_send) is PUBLISHed once on the
 * channel "vibed:t:<topic>" with this instance's id; the instance SUBSCRIBEs
 * to the channel of each topic it has local subscribers for and UNSUBSCRIBEs
 * when the last one goes (after a short grace period, so a topic that comes
 * back at once is not left and joined again). An event that comes back with
 * this instance's id is dropped (it was delivered locally when sent); the
 * others are delivered locally with vb_hub_deliver, with their origin and seq.
 * Two connections: one for commands, one for subscriptions. When Redis goes
 * away both are dropped and made again with a backoff (100 ms doubling to
 * 5 s); the subscriptions are then made again from the hub's topics, and
 * the cluster presence (vb_presence_bridge.c) announces itself again. Once
 * every channel is confirmed the instance says so on "vibed:resync", and
 * each instance (this one, and every other that hears it) calls its resync
 * callbacks: the app catches its rooms and stats up from the database.
 */
#ifndef VB_HUB_BRIDGE_H
#define VB_HUB_BRIDGE_H

#include <hiredis/async.h>
#include <stddef.h>
#include <uv.h>

/* Parses url (redis://[[user]:password@]host[:port][/db]) and starts
 * connecting; presence_ttl_ms > 0. Returns 0, or VB_EINVAL for a bad URL. */
int vb_hub_bridge_start(uv_loop_t *loop, const char *url, long presence_ttl_ms);
/* Drops the connections and closes the timers (at stop). */
void vb_hub_bridge_stop(void);
/* "ok", "down" (configured, not connected) or "disabled" (no REDIS_URL). */
const char *vb_hub_bridge_status(void);
/* This instance's id (random, made at start). */
const char *vb_hub_bridge_instance(void);
/* 1 when both connections are up. */
int vb_hub_bridge_ready(void);
/* Sends a command on the command connection (hiredis format). Returns 0, or
 * VB_EBUSY when Redis is not connected (fn is then not called). */
int vb_hub_bridge_command(redisCallbackFn *fn, void *ud, const char *fmt, ...);

/* Calls fn(ud, 1) once the SUBSCRIBE of topic's channel is confirmed, or
 * fn(ud, 0) after timeout_ms or when Redis goes away or the bridge stops;
 * returns 0 then. Returns 1 (fn not called) when there is nothing to wait
 * for: confirmed already, Redis down, no REDIS_URL, or topic not wanted. */
int vb_hub_bridge_when_subscribed(const char *topic, unsigned timeout_ms,
                                  void (*fn)(void *ud, int subscribed), void *ud);
#define VB_HUB_BRIDGE_RESYNC_MAX 4 /* callbacks vb_hub_bridge_on_resync keeps */
/* fn is called each time this instance's pair comes up (again) with every
 * channel resubscribed, and each time another instance's does (its publishes
 * may have been lost while it was away): the rooms catch up from the
 * database. Set by the app (the hub never reads the store); each fn once. */
void vb_hub_bridge_on_resync(void (*fn)(void));

#endif
