/*
 * vb-load SSE tracking: for each value v of totalTasks from the tracked base
 * on, when each stream first saw a stats event with totalTasks >= v. The
 * driver knows when it made the change that produced v, so the latest
 * arrival minus that time is "time until every stream has the update".
 */
#include "vbl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TRACK_MAX 65536

static long g_base = -1;
static uint32_t *g_count;
static uint64_t *g_min, *g_max;

void vbl_sse_track(long base)
{
    if (!g_count) {
        g_count = calloc(TRACK_MAX, sizeof *g_count);
        g_min = calloc(TRACK_MAX, sizeof *g_min);
        g_max = calloc(TRACK_MAX, sizeof *g_max);
    }
    memset(g_count, 0, TRACK_MAX * sizeof *g_count);
    memset(g_min, 0, TRACK_MAX * sizeof *g_min);
    memset(g_max, 0, TRACK_MAX * sizeof *g_max);
    g_base = base;
}

/* data points at "data:..." of one event; slot is the stream's last value. */
void vbl_sse_on_event(void *slot, const char *data, size_t len, uint64_t now)
{
    long *last = slot;
    const char *k = memmem(data, len, "\"totalTasks\":", 13);
    if (!k) return;
    long w = strtol(k + 13, NULL, 10);
    if (g_base >= 0 && w > *last) {
        long from = *last + 1 > g_base ? *last + 1 : g_base;
        long to = w < g_base + TRACK_MAX - 1 ? w : g_base + TRACK_MAX - 1;
        for (long v = from; v <= to; v++) {
            size_t i = (size_t)(v - g_base);
            g_count[i]++;
            if (!g_min[i] || now < g_min[i]) g_min[i] = now;
            if (now > g_max[i]) g_max[i] = now;
        }
    }
    if (w > *last) *last = w;
}

/* JSON array [[v,count,min_ns,max_ns],...] of the tracked values seen. */
size_t vbl_sse_report(char *buf, size_t cap)
{
    size_t n = (size_t)snprintf(buf, cap, "[");
    int first = 1;
    for (size_t i = 0; g_count && i < TRACK_MAX && n + 100 < cap; i++) {
        if (!g_count[i]) continue;
        n += (size_t)snprintf(buf + n, cap - n, "%s[%ld,%u,%llu,%llu]", first ? "" : ",",
                              g_base + (long)i, g_count[i], (unsigned long long)g_min[i],
                              (unsigned long long)g_max[i]);
        first = 0;
    }
    n += (size_t)snprintf(buf + n, cap - n, "]");
    return n;
}
