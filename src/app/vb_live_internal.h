/*
 * Internals of the live streams shared by their files (app/vb_live*.c only):
 * vb_live.c owns the groups (stats, project counts, hub events, timers),
 * vb_live_client.c the clients (open, guard, replay, close). See vb_live.c
 * for the lifecycle and ordering rules.
 */
#ifndef VB_LIVE_INTERNAL_H
#define VB_LIVE_INTERNAL_H

#include "app/vb_live.h"
#include "core/vb_buf.h"
#include "hub/vb_hub.h"
#include "net/vb_sse.h"

#include <jansson.h>
#include <stddef.h>
#include <uv.h>

typedef struct live_group live_group;

typedef struct held_event {
    char id[32];
    vb_buf *b;
} held_event;

typedef struct live_client {
    struct live_client *prev, *next; /* in the group */
    live_group *g;
    vb_stream *s; /* NULL until started */
    int closing;  /* vb_stream_close called */
    int removed;  /* lost access while waiting for its guard */
    int holding;  /* waiting for a replay: live events are held */
    held_event *held;
    size_t nheld, capheld;
    /* The newest ids of the replay, ascending, until replayed_until (ms). */
    char (*replayed)[32];
    size_t nreplayed;
    uint64_t replayed_until;
    char user_id[64];
} live_client;

struct live_group {
    int kind;
    char id[64];  /* workspace or project id */
    char wid[64]; /* the workspace ("" until known for a project) */
    unsigned refs;
    live_client *clients;
    vb_hub_sub sub;  /* workspace:<wid> or project:<pid> */
    vb_hub_sub wsub; /* project groups: workspace:<wid> (member removal) */
    uv_timer_t pace_timer;
    uv_timer_t tick_timer; /* stats refresh, or activity keep-alive */
    int handles_open;
    vb_sse_pace pace;
    vb_buf *stats; /* the current encoded stats, NULL when stale */
    /* project counts */
    json_t *columns, *counts;
    int loaded, loading, reload_again;
    char act_task[64], act_action[32]; /* last activity seen on the project topic */
};

/* Reads the interval overrides from the environment once. (vb_live.c) */
void vb_live_load_config(void);
/* The group's current stats event (encoded once; NULL when not available).
 * (vb_live.c) */
vb_buf *vb_live_group_stats(live_group *g);
/* Asks the store for the counts of g (once at a time; again after if asked
 * meanwhile). (vb_live.c) */
void vb_live_group_reload(live_group *g);
/* Installs counts {columns, counts, workspaceId} from a store result.
 * (vb_live.c) */
void vb_live_group_set_counts(live_group *g, json_t *r);
/* Finds the group of (kind, id), or makes it (subscribed, timers ready) with
 * no reference. NULL when out of memory. (vb_live.c) */
live_group *vb_live_group_get(int kind, const char *id);
/* Drops one reference; the last one unsubscribes and closes the timers.
 * (vb_live.c) */
void vb_live_group_unref(live_group *g);
/* Project groups learn their workspace from the guard, then watch it too.
 * (vb_live.c) */
void vb_live_group_set_workspace(live_group *g, const char *wid);
/* Holds b (id) for a client waiting for its replay. Returns 0, or -1 when the
 * hold limit is reached (the client is then dropped). (vb_live_client.c) */
int vb_live_client_hold(live_client *c, const char *id, vb_buf *b);
/* Writes b (the live activity event id) to c unless its replay wrote it. */
void vb_live_client_activity(live_client *c, const char *id, vb_buf *b);

#endif
