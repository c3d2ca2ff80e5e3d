/*
 * Chat rate limit per user (CHAT_RATE_LIMIT, CHAT_RATE_BURST): one token
 * bucket per user, shared by all of that user's sockets. A bucket lives
 * while the user has a socket, and after the last one goes for as long as
 * it takes to refill, so reconnecting does not hand out a fresh burst: such
 * buckets wait in release order on a list, and every call drops those whose
 * time is up.
 */
#include "app/vb_chat_internal.h"
#include "core/vb_common.h"
#include "core/vb_map.h"

#include <stdlib.h>
#include <string.h>

struct chat_rate {
    double tokens;
    uint64_t last_ns;     /* when tokens was last brought up to date */
    uint64_t released_ns; /* when the last socket went (lingering only) */
    unsigned socks;
    chat_rate *prev, *next; /* the lingering list, oldest first */
    char user_id[64];
};

static vb_map g_rates; /* user id -> chat_rate */
static chat_rate *g_linger_head, *g_linger_tail;
static double g_per_s = 20;
static double g_burst = 50;
static int g_stopped; /* buckets are freed as their last socket goes */

void vb_chat_rate_configure(unsigned per_s, unsigned burst)
{
    g_per_s = per_s;
    g_burst = burst ? burst : per_s;
    g_stopped = 0;
}

static void linger_unlink(chat_rate *r)
{
    if (r->prev)
        r->prev->next = r->next;
    else
        g_linger_head = r->next;
    if (r->next)
        r->next->prev = r->prev;
    else
        g_linger_tail = r->prev;
    r->prev = r->next = NULL;
}

/* Frees lingering buckets that have refilled by now. */
static void sweep(uint64_t now)
{
    uint64_t full_ns = (uint64_t)(g_burst / (g_per_s > 0 ? g_per_s : 1) * 1e9);
    while (g_linger_head && now - g_linger_head->released_ns >= full_ns) {
        chat_rate *r = g_linger_head;
        linger_unlink(r);
        vb_map_del(&g_rates, r->user_id);
        free(r);
    }
}

int vb_chat_rate_attach(chat_sock *cs)
{
    if (g_per_s <= 0 || g_stopped) return 0; /* no limit */
    uint64_t now = vb_now_ns();
    sweep(now);
    chat_rate *r = vb_map_get(&g_rates, cs->user_id);
    if (!r) {
        r = calloc(1, sizeof *r);
        if (!r) return VB_ENOMEM;
        snprintf(r->user_id, sizeof r->user_id, "%s", cs->user_id);
        r->tokens = g_burst;
        r->last_ns = now;
        if (vb_map_put(&g_rates, r->user_id, r) != 0) {
            free(r);
            return VB_ENOMEM;
        }
    } else if (r->socks == 0) {
        linger_unlink(r);
    }
    r->socks++;
    cs->rate = r;
    return 0;
}

void vb_chat_rate_detach(chat_sock *cs)
{
    chat_rate *r = cs->rate;
    if (!r) return;
    cs->rate = NULL;
    if (--r->socks > 0) return;
    if (g_stopped) {
        vb_map_del(&g_rates, r->user_id);
        free(r);
        if (vb_map_size(&g_rates) == 0) vb_map_clear(&g_rates);
        return;
    }
    r->released_ns = vb_now_ns();
    r->prev = g_linger_tail;
    if (g_linger_tail)
        g_linger_tail->next = r;
    else
        g_linger_head = r;
    g_linger_tail = r;
}

int vb_chat_rate_take(chat_sock *cs)
{
    chat_rate *r = cs->rate;
    if (!r) return 1;
    uint64_t now = vb_now_ns();
    sweep(now);
    r->tokens += (double)(now - r->last_ns) / 1e9 * g_per_s;
    if (r->tokens > g_burst) r->tokens = g_burst;
    r->last_ns = now;
    if (r->tokens < 1) return 0;
    r->tokens -= 1;
    return 1;
}

void vb_chat_rate_clear(void)
{
    sweep(UINT64_MAX / 2 + vb_now_ns()); /* every lingering bucket */
    g_stopped = 1;
    if (vb_map_size(&g_rates) == 0) vb_map_clear(&g_rates);
}
