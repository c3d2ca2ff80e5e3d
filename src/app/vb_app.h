/*
 * The application: owns the config, the store, the router and the HTTP
 * server, and runs the middleware chain for each request:
 * request id (net) -> log -> CORS -> route match -> auth -> validation ->
 * handler (store operation or custom) -> reply.
 */
#ifndef VB_APP_H
#define VB_APP_H

#include "app/vb_config.h"
#include "http/vb_router.h"
#include "net/vb_http.h"
#include "store/vb_store.h"

#include <uv.h>

typedef struct vb_app {
    uv_loop_t *loop;
    vb_config cfg;
    vb_store *store;
    vb_router *router;
    vb_http_server *http;
    unsigned char jwt_key[256];
    size_t jwt_key_len;
    uint64_t started_ns;
} vb_app;

/* The running application (one per process). */
vb_app *vb_app_current(void);

/* Runs the app's commands: serve, migrate, seed-demo. Returns the process exit code. */
int vb_app_main(vb_config *cfg);

/* Submits route->op (or any op) with args (stolen) and answers req from its
 * result according to route->status/result. Used by the generic route path
 * and by custom handlers that end in a single store call. */
void vb_app_run_op(vb_http_req *req, const vb_route *route, vb_op_fn op, int write, json_t *args);

#endif
