/* The route groups of each area, assembled into the router by vb_app. */
#ifndef VB_ROUTES_H
#define VB_ROUTES_H

#include "http/vb_router.h"

extern const vb_route_group vb_routes_ops;  /* health, docs, metrics (app/routes_ops.c) */
extern const vb_route_group vb_routes_auth; /* auth + users (app/routes_auth.c) */
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
extern const vb_route_group vb_routes_attachments; /* attachments (app/routes_attachments.c) */

#endif
