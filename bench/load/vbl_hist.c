/*
 * vb-load latency histograms: log-linear buckets (16 per power of two of
 * microseconds, about 4% wide), merged by the driver from every process.
 */
#include "vbl.h"

#include <stdio.h>

/* Bucket of a latency of us microseconds. */
static int bucket_of(uint64_t us)
{
    if (us < VBL_HIST_SUB) return (int)us;
    int msb = 63 - __builtin_clzll(us);
    int sub = (int)((us >> (msb - 4)) & (VBL_HIST_SUB - 1));
    int b = (msb - 3) * VBL_HIST_SUB + sub;
    return b < VBL_HIST_BUCKETS ? b : VBL_HIST_BUCKETS - 1;
}

void vbl_hist_add(vbl_hist *h, uint64_t ns)
{
    uint64_t us = ns / 1000;
    h->count[bucket_of(us)]++;
    h->n++;
    h->sum_us += us;
    if (ns > h->max_ns) h->max_ns = ns;
}

/* JSON: {"n":..,"max_us":..,"sum_us":..,"b":[[bucket,count],...]}; the
 * driver maps a bucket back to its lower bound with the same formula. */
size_t vbl_hist_json(const vbl_hist *h, char *buf, size_t cap)
{
    size_t n = (size_t)snprintf(buf, cap, "{\"n\":%llu,\"max_us\":%llu,\"sum_us\":%llu,\"b\":[",
                                (unsigned long long)h->n, (unsigned long long)(h->max_ns / 1000),
                                (unsigned long long)h->sum_us);
    int first = 1;
    for (int i = 0; i < VBL_HIST_BUCKETS && n < cap; i++) {
        if (!h->count[i]) continue;
        n += (size_t)snprintf(buf + n, cap - n, "%s[%d,%llu]", first ? "" : ",", i,
                              (unsigned long long)h->count[i]);
        first = 0;
    }
    if (n < cap) n += (size_t)snprintf(buf + n, cap - n, "]}");
    return n;
}
