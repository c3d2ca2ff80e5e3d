/*
 * The event hub (see vb_hub.h): a map of topics (core/vb_map.h), each with a
 * doubly linked list of embedded subscriptions.
 *
 * Delivery walks a topic's list with a cursor that lives on the publisher's
 * stack and is registered on the topic, so that a subscriber may unsubscribe
 * itself or any other subscription during delivery: unsubscribe advances
 * every cursor that points at the removed node. New subscriptions are put at
 * the head of the list, behind every running cursor, so they get nothing of
 * the event being delivered. Publishes may nest (a callback may publish,
 * even on the same topic); each nesting level has its own cursor. A topic is
 * freed when its last subscriber leaves and no delivery walks it.
 */
#include "hub/vb_hub.h"

#include "core/vb_common.h"
#include "core/vb_map.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct hub_cursor {
    vb_hub_sub *next;
    struct hub_cursor *up;
} hub_cursor;

typedef struct hub_topic {
    vb_hub_sub *head;
    size_t nsubs;
    hub_cursor *cursors; /* deliveries walking this topic, innermost first */
    char name[];
} hub_topic;

static const vb_hub_bridge *g_bridge;
static vb_map g_topics; /* name -> hub_topic */

static hub_topic *topic_find(const char *name)
{
    return vb_map_get(&g_topics, name);
}

/* Finds or creates the topic name. Returns NULL when out of memory. */
static hub_topic *topic_get(const char *name)
{
    hub_topic *t = topic_find(name);
    if (t) return t;
    size_t len = strlen(name);
    t = calloc(1, sizeof *t + len + 1);
    if (!t) return NULL;
    memcpy(t->name, name, len + 1);
    if (vb_map_put(&g_topics, t->name, t) != 0) {
        free(t);
        return NULL;
    }
    if (g_bridge) g_bridge->topic_added(t->name);
    return t;
}

/* Frees t if nobody subscribes to it or walks it. */
static void topic_maybe_free(hub_topic *t)
{
    if (t->head || t->cursors) return;
    vb_map_del(&g_topics, t->name);
    if (g_bridge) g_bridge->topic_removed(t->name);
    free(t);
}

/* Unlinks sub from its topic without freeing the topic. */
static void sub_unlink(vb_hub_sub *sub)
{
    hub_topic *t = sub->topic;
    for (hub_cursor *c = t->cursors; c; c = c->up)
        if (c->next == sub) c->next = sub->next;
    if (sub->prev)
        sub->prev->next = sub->next;
    else
        t->head = sub->next;
    if (sub->next) sub->next->prev = sub->prev;
    t->nsubs--;
    sub->next = sub->prev = NULL;
    sub->topic = NULL;
    sub->active = 0;
}

int vb_hub_subscribe(vb_hub_sub *sub, const char *topic, vb_hub_fn fn, void *ud)
{
    if (!sub || !topic || !fn) return VB_EINVAL;
    hub_topic *t = topic_get(topic);
    if (!t) return VB_ENOMEM;
    if (sub->active) {
        hub_topic *old = sub->topic;
        sub_unlink(sub);
        if (old != t) topic_maybe_free(old);
    }
    sub->fn = fn;
    sub->ud = ud;
    sub->topic = t;
    sub->prev = NULL;
    sub->next = t->head;
    if (t->head) t->head->prev = sub;
    t->head = sub;
    t->nsubs++;
    sub->active = 1;
    return 0;
}

void vb_hub_unsubscribe(vb_hub_sub *sub)
{
    if (!sub || !sub->active) return;
    hub_topic *t = sub->topic;
    sub_unlink(sub);
    topic_maybe_free(t);
}

void vb_hub_publish(const char *topic, const char *type, json_t *data)
{
    if (!topic || !type) return;
    hub_topic *t = topic_find(topic);
    if (!t || !t->head) return;
    /* Keep data alive even if a callback drops the publisher's last ref. */
    json_incref(data);
    hub_cursor cur = {t->head, t->cursors};
    t->cursors = &cur;
    while (cur.next) {
        vb_hub_sub *s = cur.next;
        cur.next = s->next;
        s->fn(s, t->name, type, data, s->ud);
    }
    t->cursors = cur.up;
    topic_maybe_free(t);
    json_decref(data);
}

char *vb_hub_topic(char buf[VB_HUB_TOPIC_MAX], vb_hub_kind kind, const char *id)
{
    static const char *const names[] = {
        [VB_HUB_WORKSPACE] = "workspace",
        [VB_HUB_PROJECT] = "project",
        [VB_HUB_CHANNEL] = "channel",
        [VB_HUB_USER] = "user",
    };
    snprintf(buf, VB_HUB_TOPIC_MAX, "%s:%s", names[kind], id ? id : "");
    return buf;
}

static const char *g_origin;
static int64_t g_seq;
static int g_local;

int vb_hub_origin_local(void)
{
    return g_local;
}

const char *vb_hub_origin(void)
{
    return g_origin;
}

int64_t vb_hub_seq(void)
{
    return g_seq;
}

void vb_hub_deliver(const char *topic, const char *type, json_t *data, const char *origin,
                    int64_t seq)
{
    const char *o = g_origin;
    int64_t q = g_seq;
    int l = g_local;
    g_origin = origin;
    g_seq = seq;
    if (!origin) g_local = 0;
    vb_hub_publish(topic, type, data);
    g_origin = o;
    g_seq = q;
    g_local = l;
}

void vb_hub_send(const char *topic, const char *type, json_t *data, const char *origin, int64_t seq)
{
    if (!topic || !type) return;
    json_incref(data);
    int l = g_local;
    g_local = 1;
    vb_hub_deliver(topic, type, data, origin, seq);
    g_local = l;
    if (g_bridge) g_bridge->sent(topic, type, data, origin, seq);
    json_decref(data);
}

void vb_hub_set_bridge(const vb_hub_bridge *b)
{
    g_bridge = b;
}

typedef struct each_topic {
    void (*fn)(const char *topic, void *ud);
    void *ud;
} each_topic;

static int each_topic_cb(const char *key, void *val, void *ud)
{
    hub_topic *t = val;
    each_topic *e = ud;
    (void)key;
    if (t->head) e->fn(t->name, e->ud);
    return 0;
}

void vb_hub_each_topic(void (*fn)(const char *topic, void *ud), void *ud)
{
    each_topic e = {fn, ud};
    (void)vb_map_each(&g_topics, each_topic_cb, &e);
}

void vb_hub_publish_events(json_t *events, void *ud)
{
    (void)ud;
    size_t i;
    json_t *ev;
    json_array_foreach(events, i, ev)
    {
        vb_hub_send(json_string_value(json_object_get(ev, "topic")),
                    json_string_value(json_object_get(ev, "type")), json_object_get(ev, "data"),
                    json_string_value(json_object_get(ev, "origin")),
                    json_integer_value(json_object_get(ev, "seq")));
    }
}

size_t vb_hub_count(const char *topic)
{
    if (!topic) return 0;
    hub_topic *t = topic_find(topic);
    return t ? t->nsubs : 0;
}

/* Detaches the subscribers still here so a late unsubscribe is a no-op. */
static int topic_free(const char *name, void *val, void *ud)
{
    hub_topic *t = val;
    for (vb_hub_sub *s = t->head; s;) {
        vb_hub_sub *sn = s->next;
        s->next = s->prev = NULL;
        s->topic = NULL;
        s->active = 0;
        s = sn;
    }
    free(t);
    return 0;
}

void vb_hub_shutdown(void)
{
    (void)vb_map_each(&g_topics, topic_free, NULL);
    vb_map_clear(&g_topics);
}
