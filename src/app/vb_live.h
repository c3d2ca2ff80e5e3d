/*
 * Live dashboards over Server-Sent Events (loop thread only).
 *
 * Streams are grouped by what they show: one group per (kind, workspace or
 * project). A group subscribes to the hub once, computes and encodes its
 * stats once per change (one vb_buf shared by reference by all its streams),
 * paces pushes (at most one per coalesce interval, plus a periodic refresh)
 * and closes the streams of a member removed from the workspace. Every timer
 * and subscription of a group goes when its last stream goes.
 *
 *   VB_LIVE_WS_STATS      stats:update {onlineUsersCount, onlineUserIds, timestamp}
 *   VB_LIVE_PROJECT_STATS stats:update {tasksByStatus, totalTasks, completionRate, timestamp}
 *   VB_LIVE_ACTIVITY      activity (id: <activity id>) and ": keep-alive" comments;
 *                         a reconnect replays the rows after Last-Event-ID first.
 */
#ifndef VB_LIVE_H
#define VB_LIVE_H

#include "net/vb_http.h"

#include <jansson.h>
#include <stddef.h>

enum vb_live_kind { VB_LIVE_WS_STATS = 0, VB_LIVE_PROJECT_STATS = 1, VB_LIVE_ACTIVITY = 2 };

/* Intervals; defaults below, overridden by the environment variables
 * VIBED_LIVE_COALESCE_MS, VIBED_LIVE_REFRESH_MS, VIBED_LIVE_KEEPALIVE_MS
 * (read once, at the first stream). */
#define VB_LIVE_COALESCE_MS 100    /* at most one stats push per topic per interval */
#define VB_LIVE_REFRESH_MS 10000   /* stats re-sent this often even without change */
#define VB_LIVE_KEEPALIVE_MS 30000 /* ": keep-alive" comment on activity streams */
/* Live events held for one stream while its replay query runs; more closes it. */
#define VB_LIVE_BUFFER_MAX 10000
/* After an activity replay, the newest ids it wrote (at most this many) are
 * kept for VB_LIVE_REPLAY_DEDUPE_MS: a live event for one of them (in a
 * cluster, an event committed on another instance can come through Redis
 * after the replay read it) is not written twice. */
#define VB_LIVE_REPLAY_DEDUPE 64
#define VB_LIVE_REPLAY_DEDUPE_MS 10000

/*
 * Opens a stream of kind on id (a workspace id, or a project id for
 * VB_LIVE_PROJECT_STATS) for the authenticated user user_id. last_event_id
 * (may be NULL; activity only) asks for a replay. Checks access with a store
 * operation, then answers req: 404/500 as JSON, or takes it over as an event
 * stream. req is consumed in every case.
 */
void vb_live_open(vb_http_req *req, int kind, const char *id, const char *user_id,
                  const char *last_event_id);

/* The project stats object for counts {status: n} in the order of columns
 * (array of names; statuses not among them follow). completionRate is the
 * integer percentage round(done / total * 100), 0 when there is no task.
 * New object. */
json_t *vb_live_project_stats(const json_t *columns, const json_t *counts, const char *timestamp);

#endif
