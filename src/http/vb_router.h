/*
 * The route table: one declaration per route, read by the router, the
 * middleware chain (auth, validation) and the OpenAPI generator.
 */
#ifndef VB_ROUTER_H
#define VB_ROUTER_H

#include "http/vb_validate.h"
#include "net/vb_http.h"
#include "store/vb_store.h"

#define VB_ROUTE_MAX_PARAMS 4

typedef struct vb_route vb_route;

typedef struct vb_route_params {
    size_t n;
    struct {
        const char *name; /* from the pattern, without ':' */
        char value[128];  /* percent-decoded segment */
    } p[VB_ROUTE_MAX_PARAMS];
} vb_route_params;

/* A custom handler: for routes that need more than one store call or work off
 * the store (auth: password hashing). args holds {actor?, params, query, body}
 * (owned by the caller; incref to keep). Must answer req exactly once. */
typedef void (*vb_route_fn)(vb_http_req *req, const vb_route *route, json_t *args);

enum vb_route_auth { VB_AUTH_PUBLIC = 0, VB_AUTH_BEARER = 1 };
enum vb_route_result {
    VB_RESULT_OBJECT = 0, /* {"success":true,"data": result} */
    VB_RESULT_PAGE = 1,   /* result is {"data":[...],"meta":{...}}; sent as {"success":true, ...} */
    VB_RESULT_EMPTY = 2,  /* 204, no body */
};

struct vb_route {
    const char *method;  /* "GET", "POST", "PATCH", "DELETE", "PUT" */
    const char *pattern; /* "/api/v1/workspaces/:wid/projects" */
    const char *op_id;   /* OpenAPI operationId, unique */
    const char *tag;     /* OpenAPI tag ("workspaces") */
    const char *summary;
    int auth;               /* enum vb_route_auth */
    const vb_schema *body;  /* NULL: no body expected (any body is ignored) */
    const vb_schema *query; /* NULL: no query parameters */
    /* Either a store operation run with args {actor, params, query, body}... */
    vb_op_fn op;
    int write; /* 1 if op changes data */
    /* ...or a custom handler (op is then NULL). */
    vb_route_fn handler;
    int status; /* success status: 200, 201 or 204 */
    int result; /* enum vb_route_result */
    /* 1: the handler gets the request at the end of its headers and reads
     * the body as it arrives (vb_http_body_start); body must be NULL. */
    int stream_body;
};

/* A set of routes contributed by one area (see app/vb_routes.h). */
typedef struct vb_route_group {
    const vb_route *routes;
    size_t n;
} vb_route_group;

typedef struct vb_router vb_router;

/* Builds a router over the given groups (borrowed; must outlive it). */
int vb_router_new(vb_router **out, const vb_route_group *groups, size_t ngroups);
void vb_router_free(vb_router *r);
/*
 * Finds the route for method and path. Returns the route and fills params;
 * NULL when none matches, with *method_mismatch set to 1 when the path matched
 * a route under another method (405), 0 otherwise (404). Literal segments win
 * over parameters ("/tasks/:id/subtasks" vs "/tasks/:id").
 */
const vb_route *vb_router_match(const vb_router *r, const char *method, const char *path,
                                vb_route_params *params, int *method_mismatch);
/* Calls fn for each route in declaration order. */
void vb_router_each(const vb_router *r, void (*fn)(const vb_route *route, void *ud), void *ud);

#endif
