#include "app/vb_metrics.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SERIES 1024

typedef struct series {
    const vb_route *route;
    int status;
    uint64_t count;
} series;

static series g_series[MAX_SERIES];
static size_t g_nseries;
static uint64_t g_overflow; /* requests whose series did not fit */

/* Latency buckets in milliseconds; the last one is +Inf. */
static const double g_bounds_ms[] = {0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500};
#define NBOUNDS (sizeof g_bounds_ms / sizeof g_bounds_ms[0])
static uint64_t g_buckets[NBOUNDS + 1];
static double g_sum_s;
static uint64_t g_count;

void vb_metrics_record(const vb_route *route, int status, uint64_t duration_ns)
{
    size_t i;
    for (i = 0; i < g_nseries; i++)
        if (g_series[i].route == route && g_series[i].status == status) break;
    if (i == g_nseries) {
        if (g_nseries == MAX_SERIES) {
            g_overflow++;
            goto latency;
        }
        g_series[g_nseries++] = (series){route, status, 0};
    }
    g_series[i].count++;
latency:;
    double ms = (double)duration_ns / 1e6;
    size_t b = 0;
    while (b < NBOUNDS && ms > g_bounds_ms[b])
        b++;
    g_buckets[b]++;
    g_sum_s += ms / 1000.0;
    g_count++;
}

/* A growing text buffer for the renderer. */
typedef struct sbuf {
    char *p;
    size_t len, cap;
    int failed;
} sbuf;

static void put(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(sbuf *b, const char *fmt, ...)
{
    if (b->failed) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->failed = 1;
            return;
        }
        if ((size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap * 2 + (size_t)n;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
}

char *vb_metrics_render(size_t open_connections, const vb_store_stats *st, double uptime_s)
{
    sbuf b = {malloc(4096), 0, 4096, 0};
    if (!b.p) return NULL;
    b.p[0] = '\0';
    put(&b, "# HELP vibed_http_requests_total HTTP requests by route and status.\n"
            "# TYPE vibed_http_requests_total counter\n");
    for (size_t i = 0; i < g_nseries; i++) {
        const vb_route *r = g_series[i].route;
        put(&b, "vibed_http_requests_total{method=\"%s\",route=\"%s\",status=\"%d\"} %llu\n",
            r ? r->method : "", r ? r->pattern : "unmatched", g_series[i].status,
            (unsigned long long)g_series[i].count);
    }
    put(&b, "# HELP vibed_http_request_duration_seconds Time from request line to response.\n"
            "# TYPE vibed_http_request_duration_seconds histogram\n");
    uint64_t cum = 0;
    for (size_t i = 0; i < NBOUNDS; i++) {
        cum += g_buckets[i];
        put(&b, "vibed_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
            g_bounds_ms[i] / 1000.0, (unsigned long long)cum);
    }
    cum += g_buckets[NBOUNDS];
    put(&b, "vibed_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
        (unsigned long long)cum);
    put(&b, "vibed_http_request_duration_seconds_sum %.6f\n", g_sum_s);
    put(&b, "vibed_http_request_duration_seconds_count %llu\n", (unsigned long long)g_count);
    put(&b,
        "# TYPE vibed_http_series_overflow_total counter\nvibed_http_series_overflow_total %llu\n",
        (unsigned long long)g_overflow);
    put(&b,
        "# HELP vibed_http_open_connections Open HTTP connections.\n"
        "# TYPE vibed_http_open_connections gauge\nvibed_http_open_connections %zu\n",
        open_connections);
    if (st) {
        put(&b, "# TYPE vibed_store_queue_depth gauge\nvibed_store_queue_depth %llu\n",
            (unsigned long long)st->queue_depth);
        put(&b, "# TYPE vibed_store_ops_total counter\nvibed_store_ops_total %llu\n",
            (unsigned long long)st->ops_total);
        put(&b, "# TYPE vibed_store_batches_total counter\nvibed_store_batches_total %llu\n",
            (unsigned long long)st->batches_total);
        put(&b, "# TYPE vibed_store_batch_size_max gauge\nvibed_store_batch_size_max %llu\n",
            (unsigned long long)st->max_batch);
        put(&b, "# TYPE vibed_store_batch_size_avg gauge\nvibed_store_batch_size_avg %.3f\n",
            st->batches_total ? (double)st->batch_size_sum / (double)st->batches_total : 0.0);
    }
    put(&b, "# TYPE vibed_uptime_seconds gauge\nvibed_uptime_seconds %.3f\n", uptime_s);
    if (b.failed) {
        free(b.p);
        return NULL;
    }
    return b.p;
}
