/* Request metrics in Prometheus text format (loop thread only). */
#ifndef VB_METRICS_H
#define VB_METRICS_H

#include "http/vb_router.h"

#include <stddef.h>
#include <stdint.h>

/* Counts one finished request of route (NULL: no route matched). */
void vb_metrics_record(const vb_route *route, int status, uint64_t duration_ns);
/* Renders every metric into a new malloc'd string. */
char *vb_metrics_render(size_t open_connections, const vb_store_stats *store, double uptime_s);

#endif
