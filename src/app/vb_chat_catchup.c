/*
 * The chat rooms of a cluster instance catch up from the database after a
 * Redis outage (see vb_chat_internal.h).
 *
 * Every message change is logged in chat_events with its seq, handed out in
 * commit order (one counter row, store/ops_chat_recovery.c), and carries it
 * through the hub and Redis. Each channel topic followed here keeps:
 * - base: every event of the channel with a seq <= base was delivered here,
 *   or was committed before the topic's first local join (the log's head
 *   then); a catch-up reads after it;
 * - the seqs delivered here, the newest VB_CHAT_DEDUPE_MAX of them (a ring
 *   that grows with the traffic); a live event whose seq is there is a
 *   duplicate. One evicted while the bridge is up raises base (its
 *   predecessors arrived, or arrive live); while it is down base stays, so
 *   a catch-up may deliver an evicted one again rather than lose others;
 * - while a catch-up read is in flight, the live events that arrive (at most
 *   VB_CHAT_CATCHUP_HOLD_MAX; more go out at once).
 * A live event whose seq was delivered is dropped. A catch-up reads the
 * channel's events after base (VB_CHAT_CATCHUP_PAGE at a time) and delivers,
 * in seq order with the held ones, those not delivered yet; then base is the
 * last seq read (nothing smaller can commit later). It runs for every channel
 * topic when the bridge reports a resync (this instance's subscriptions are
 * back, or another instance is back and its publishes may have been lost),
 * and for one topic when its SUBSCRIBE is confirmed after a join (events
 * committed between the join's check and the subscription).
 */
#include "app/vb_app.h"
#include "app/vb_chat_internal.h"
#include "core/vb_log.h"
#include "hub/vb_hub_bridge.h"
#include "store/vb_ops_chat.h"

#include <stdlib.h>
#include <string.h>

struct chat_catchup {
    chat_catchup *next, **pprev; /* every open state, for a resync */
    char room[VB_HUB_TOPIC_MAX];
    int64_t base;
    int has_base;  /* base told by a join or a recovery (else the known head) */
    int64_t *seen; /* ring of cap entries, nseen used, pos the oldest once full */
    size_t nseen, cap, pos;
    int running, again, closed, queued;
    chat_catchup *qnext; /* in the queue of reads waiting for a slot */
    json_t *held;        /* array of {seq, type, data} */
};

static chat_catchup *g_all;
static chat_catchup *g_qhead, *g_qtail; /* reads waiting (VB_CHAT_CATCHUP_PARALLEL) */
static unsigned g_reading;
static int64_t g_head; /* the greatest seq known here */

static void note_head(int64_t seq)
{
    if (seq > g_head) g_head = seq;
}

chat_catchup *vb_chat_catchup_open(const char *room)
{
    if (strncmp(room, "channel:", 8) != 0 || strcmp(vb_hub_bridge_status(), "disabled") == 0)
        return NULL;
    chat_catchup *cu = calloc(1, sizeof *cu);
    if (!cu) return NULL;
    snprintf(cu->room, sizeof cu->room, "%s", room);
    cu->base = g_head;
    cu->next = g_all;
    if (g_all) g_all->pprev = &cu->next;
    cu->pprev = &g_all;
    g_all = cu;
    return cu;
}

static void cu_free(chat_catchup *cu)
{
    json_decref(cu->held);
    free(cu->seen);
    free(cu);
}

void vb_chat_catchup_close(chat_catchup *cu)
{
    if (!cu) return;
    *cu->pprev = cu->next;
    if (cu->next) cu->next->pprev = cu->pprev;
    cu->next = NULL;
    cu->pprev = &cu->next;
    if (cu->running || cu->queued)
        cu->closed = 1; /* freed when its read completes or leaves the queue */
    else
        cu_free(cu);
}

void vb_chat_catchup_base(chat_catchup *cu, int64_t head)
{
    note_head(head);
    if (!cu || cu->has_base) return;
    cu->has_base = 1;
    cu->base = head;
}

static int was_seen(const chat_catchup *cu, int64_t seq)
{
    for (size_t i = 0; i < cu->nseen; i++)
        if (cu->seen[i] == seq) return 1;
    return 0;
}

static void mark_seen(chat_catchup *cu, int64_t seq)
{
    note_head(seq);
    if (cu->nseen == cu->cap && cu->cap < VB_CHAT_DEDUPE_MAX) {
        size_t cap = cu->cap ? cu->cap * 2 : 16;
        int64_t *v = realloc(cu->seen, cap * sizeof *v);
        if (v) {
            cu->seen = v;
            cu->cap = cap;
        }
    }
    if (cu->nseen < cu->cap) {
        cu->seen[cu->nseen++] = seq;
        return;
    }
    if (!cu->cap) return;
    /* Full: the oldest entry goes. */
    if (vb_hub_bridge_ready() && cu->seen[cu->pos] > cu->base) cu->base = cu->seen[cu->pos];
    cu->seen[cu->pos] = seq;
    cu->pos = (cu->pos + 1) % cu->cap;
}

int vb_chat_catchup_admit(chat_catchup *cu, int64_t seq, const char *type, json_t *data)
{
    if (!cu || seq <= 0) return 1;
    if (was_seen(cu, seq)) return 0;
    if (cu->running || cu->queued) {
        if (!cu->held) cu->held = json_array();
        if (cu->held && json_array_size(cu->held) < VB_CHAT_CATCHUP_HOLD_MAX &&
            json_array_append_new(cu->held, json_pack("{s:I,s:s,s:O}", "seq", (json_int_t)seq,
                                                      "type", type, "data", data)) == 0)
            return 0;
    }
    mark_seen(cu, seq);
    return 1;
}

static int by_seq(const void *a, const void *b)
{
    json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "seq"));
    json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "seq"));
    return x < y ? -1 : x > y;
}

/* Delivers the events of list (array of {seq, type, data}) not delivered
 * yet, in seq order. */
static void deliver_list(chat_catchup *cu, json_t *list)
{
    size_t n = json_array_size(list);
    json_t **v = n ? malloc(n * sizeof *v) : NULL;
    if (!v) return;
    for (size_t i = 0; i < n; i++)
        v[i] = json_array_get(list, i);
    qsort(v, n, sizeof *v, by_seq);
    for (size_t i = 0; i < n; i++) {
        int64_t seq = json_integer_value(json_object_get(v[i], "seq"));
        const char *type = json_string_value(json_object_get(v[i], "type"));
        if (seq <= 0 || !type || was_seen(cu, seq)) continue;
        mark_seen(cu, seq);
        vb_chat_room_change(cu->room, type, json_object_get(v[i], "data"), seq, NULL);
    }
    free(v);
}

static void run(chat_catchup *cu);
static void pump(void);

static void on_read(const vb_store_res *res, void *ud)
{
    chat_catchup *cu = ud;
    g_reading--;
    pump();
    if (cu->closed) {
        cu_free(cu);
        return;
    }
    json_t *events = json_object_get(res->result, "events");
    if (res->status != 0 || !json_is_array(events)) {
        /* The database is away too: the next resync tries again. */
        vb_log(VB_LOG_WARN, "chat: catch-up of %s failed", cu->room);
        cu->running = 0;
        json_t *held = cu->held;
        cu->held = NULL;
        deliver_list(cu, held);
        json_decref(held);
        return;
    }
    size_t n = json_array_size(events);
    int64_t last =
        n ? json_integer_value(json_object_get(json_array_get(events, n - 1), "seq")) : 0;
    if (n == VB_CHAT_CATCHUP_PAGE) {
        /* More to read: this page goes out now, the held events after. */
        deliver_list(cu, events);
        if (last > cu->base) cu->base = last;
        cu->running = 0;
        cu->again = 1;
    } else {
        json_t *all = json_array();
        if (all) {
            json_array_extend(all, events);
            if (cu->held) json_array_extend(all, cu->held);
        }
        json_decref(cu->held);
        cu->held = NULL;
        cu->running = 0;
        deliver_list(cu, all);
        json_decref(all);
        /* Every event up to the last one read is delivered now: a smaller
         * seq cannot commit later. */
        if (last > cu->base) cu->base = last;
    }
    if (cu->again) run(cu);
}

/* Starts cu's read now (a slot is free). */
static void start(chat_catchup *cu)
{
    cu->again = 0;
    vb_app *app = vb_app_current();
    json_t *args = json_pack("{s:s,s:I,s:i}", "channelId", cu->room + 8, "after",
                             (json_int_t)cu->base, "limit", VB_CHAT_CATCHUP_PAGE);
    if (!app || !args) {
        json_decref(args);
        return;
    }
    cu->running = 1;
    g_reading++;
    if (vb_store_submit(app->store, vb_op_chat_catchup, 0, args, on_read, cu) != 0) {
        vb_log(VB_LOG_WARN, "chat: catch-up of %s not submitted", cu->room);
        g_reading--;
        cu->running = 0;
        json_t *held = cu->held;
        cu->held = NULL;
        deliver_list(cu, held);
        json_decref(held);
    }
}

/* Starts the queued reads while slots are free. */
static void pump(void)
{
    while (g_qhead && g_reading < VB_CHAT_CATCHUP_PARALLEL) {
        chat_catchup *cu = g_qhead;
        g_qhead = cu->qnext;
        if (!g_qhead) g_qtail = NULL;
        cu->qnext = NULL;
        cu->queued = 0;
        if (cu->closed)
            cu_free(cu);
        else
            start(cu);
    }
}

/* Reads cu's room now, or when a slot is free; once more after the read in
 * flight if there is one. Live events are held from now on. */
static void run(chat_catchup *cu)
{
    if (cu->running || cu->queued) {
        if (cu->running) cu->again = 1;
        return;
    }
    if (g_reading < VB_CHAT_CATCHUP_PARALLEL) {
        start(cu);
        return;
    }
    cu->queued = 1;
    cu->running = 0;
    if (g_qtail)
        g_qtail->qnext = cu;
    else
        g_qhead = cu;
    g_qtail = cu;
}

void vb_chat_catchup_room(chat_catchup *cu)
{
    if (cu) run(cu);
}

static void on_resync(void)
{
    for (chat_catchup *cu = g_all; cu; cu = cu->next)
        run(cu);
}

void vb_chat_catchup_start(void)
{
    vb_hub_bridge_on_resync(on_resync);
}
