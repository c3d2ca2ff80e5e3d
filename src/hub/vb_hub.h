/*
 * The event hub: committed changes are published to topics
 * ("workspace:<id>", "project:<id>", "channel:<id>", "user:<id>"); chat rooms,
 * live streams and presence subscribe. Loop thread only.
 *
 * An event leaves the instance only through vb_hub_send (and the store's
 * sink, which uses it): it is delivered locally and handed to the bridge
 * (vb_hub_bridge.h) when one is set, which publishes it to the other
 * instances once per topic. Events that every instance derives by itself
 * (presence) and events that arrive from the bridge use vb_hub_deliver or
 * vb_hub_publish, which stay local.
 *
 * Delivery is synchronous inside vb_hub_publish. A subscriber may unsubscribe
 * itself or others, or subscribe new ones, from inside its callback: removed
 * subscriptions get no further deliveries, added ones get none for the event
 * being delivered.
 */
#ifndef VB_HUB_H
#define VB_HUB_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef struct vb_hub_sub vb_hub_sub;

/* The kinds of topic; each names its topic "<kind>:<id>". */
typedef enum vb_hub_kind {
    VB_HUB_WORKSPACE, /* "workspace:<wid>" */
    VB_HUB_PROJECT,   /* "project:<pid>" */
    VB_HUB_CHANNEL,   /* "channel:<cid>" */
    VB_HUB_USER,      /* "user:<uid>" */
} vb_hub_kind;

#define VB_HUB_TOPIC_MAX 128 /* a topic name's buffer, NUL included */

/* Writes the name of the topic of kind for id into buf (cut to fit);
 * returns buf. Chat rooms are named the same way. */
char *vb_hub_topic(char buf[VB_HUB_TOPIC_MAX], vb_hub_kind kind, const char *id);

/* data is borrowed (incref to keep). */
typedef void (*vb_hub_fn)(vb_hub_sub *sub, const char *topic, const char *type, json_t *data,
                          void *ud);

/* Embed in the subscriber's struct; zero it before the first subscribe. */
struct vb_hub_sub {
    vb_hub_sub *next, *prev; /* in its topic's list */
    void *topic;             /* internal */
    vb_hub_fn fn;
    void *ud;
    int active;
};

/* Subscribes sub to topic (copied). A sub is on at most one topic at a time:
 * subscribing an active sub moves it. Returns 0 or VB_ENOMEM. */
int vb_hub_subscribe(vb_hub_sub *sub, const char *topic, vb_hub_fn fn, void *ud);
/* Removes sub; no-op if not active. */
void vb_hub_unsubscribe(vb_hub_sub *sub);
/* Delivers (topic, type, data) to every local subscriber of topic, with no
 * origin. data borrowed. */
void vb_hub_publish(const char *topic, const char *type, json_t *data);
/* Delivers to the local subscribers with origin and seq (see vb_hub_origin);
 * local only. */
void vb_hub_deliver(const char *topic, const char *type, json_t *data, const char *origin,
                    int64_t seq);
/* Delivers locally and hands the event to the bridge (other instances). */
void vb_hub_send(const char *topic, const char *type, json_t *data, const char *origin,
                 int64_t seq);

/* The way to the other instances: told when a topic gets its first local
 * subscriber and loses its last one, and of every event sent. */
typedef struct vb_hub_bridge {
    void (*topic_added)(const char *topic);
    void (*topic_removed)(const char *topic);
    void (*sent)(const char *topic, const char *type, json_t *data, const char *origin,
                 int64_t seq);
} vb_hub_bridge;
/* Sets (or with NULL removes) the bridge; b must outlive its use. */
void vb_hub_set_bridge(const vb_hub_bridge *b);
/* Calls fn for each topic that has local subscribers. */
void vb_hub_each_topic(void (*fn)(const char *topic, void *ud), void *ud);
/* The store's event sink: publishes each {topic, type, data[, origin]} of events. */
void vb_hub_publish_events(json_t *events, void *ud);
/* The origin of the event being delivered: the "origin" that the operation's
 * arguments carried (e.g. the chat socket that made the change), or NULL.
 * Valid only inside a subscriber callback. */
const char *vb_hub_origin(void);
/* 1 when the event being delivered was sent on this instance (vb_hub_send
 * or the store's sink), 0 when it came from another one or was published
 * locally without an origin. Valid only inside a subscriber callback. */
int vb_hub_origin_local(void);
/* The position of the event being delivered in the store's log of
 * replayable events (its "seq", e.g. a chat message change), or 0.
 * Valid only inside a subscriber callback. */
int64_t vb_hub_seq(void);
/* Number of subscribers of topic (tests, metrics). */
size_t vb_hub_count(const char *topic);
/* Frees every topic (at shutdown, after all subscribers are gone). */
void vb_hub_shutdown(void);

#endif
