/* The route groups of each area, assembled into the router by vb_app. */
#ifndef VB_ROUTES_H
#define VB_ROUTES_H

#include "http/vb_router.h"
#include "http/vb_validate.h"

/* The query fields of every paged list (answers VB_RESULT_PAGE), declared
 * once: page from 1, limit 1..100 (the store's defaults: 1 and 20). */
/* clang-format off */
#define VB_ROUTES_PAGE_FIELDS                                                                      \
    {.name = "page", .type = VB_F_INT, .min = 1, .max = 100000,                                    \
     .description = "Page number (default 1)"},                                                    \
    {.name = "limit", .type = VB_F_INT, .min = 1, .max = 100,                                      \
     .description = "Page size (default 20)"}
/* clang-format on */

/* The query schema of a list that takes nothing but a page (routes_page.c). */
extern const vb_schema vb_routes_page;

extern const vb_route_group vb_routes_ops;      /* health, docs, metrics (app/routes_ops.c) */
extern const vb_route_group vb_routes_auth;     /* auth + users (app/routes_auth.c) */
extern const vb_route_group vb_routes_password; /* password change (app/routes_password.c) */
extern const vb_route_group
    vb_routes_workspaces;                       /* workspaces + members (app/routes_workspaces.c) */
extern const vb_route_group vb_routes_projects; /* projects + board (app/routes_projects.c) */
extern const vb_route_group vb_routes_tasks;    /* tasks (app/routes_tasks.c) */
extern const vb_route_group vb_routes_comments; /* comments (app/routes_comments.c) */
extern const vb_route_group vb_routes_labels;   /* labels (app/routes_labels.c) */
extern const vb_route_group vb_routes_activity; /* activity (app/routes_activity.c) */
extern const vb_route_group
    vb_routes_notifications;                       /* notifications (app/routes_notifications.c) */
extern const vb_route_group vb_routes_channels;    /* channels + members (app/routes_channels.c) */
extern const vb_route_group vb_routes_messages;    /* messages (app/routes_messages.c) */
extern const vb_route_group vb_routes_live;        /* live streams, SSE (app/routes_live.c) */
extern const vb_route_group vb_routes_invitations; /* invitations (app/routes_invitations.c) */
extern const vb_route_group vb_routes_reset;       /* password reset (app/routes_reset.c) */
extern const vb_route_group vb_routes_attachments; /* attachments (app/routes_attachments.c) */

#endif
