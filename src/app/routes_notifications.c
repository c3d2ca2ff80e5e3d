/*
 * Notification routes (the caller's own notifications): each one is a single
 * store operation (store/ops_notifications.c), so this file only declares them.
 */
#include "app/vb_routes.h"
#include "store/vb_ops_collab.h"

static const vb_field f_list[] = {
    VB_ROUTES_PAGE_FIELDS,
    {"unread", VB_F_BOOL, 0, 0, 0, 0, VB_FMT_NONE, NULL, "true: only unread notifications"},
};
static const vb_schema s_list = VB_SCHEMA(f_list);

#define P "/api/v1/notifications"
#define B VB_AUTH_BEARER
#define OBJ VB_RESULT_OBJECT
static const vb_route routes[] = {
    {"GET", P, "listNotifications", "notifications", "The caller's notifications, newest first", B,
     NULL, &s_list, vb_op_notification_list, 0, NULL, 200, VB_RESULT_PAGE},
    {"GET", P "/unread-count", "unreadNotificationCount", "notifications",
     "How many of the caller's notifications are unread", B, NULL, NULL, vb_op_notification_unread,
     0, NULL, 200, OBJ},
    {"PATCH", P "/:id/read", "markNotificationRead", "notifications",
     "Mark one of the caller's notifications read", B, NULL, NULL, vb_op_notification_read, 1, NULL,
     200, OBJ},
    {"POST", P "/read-all", "markAllNotificationsRead", "notifications",
     "Mark all the caller's notifications read", B, NULL, NULL, vb_op_notification_read_all, 1,
     NULL, 200, OBJ},
};
#undef P
#undef B
#undef OBJ

const vb_route_group vb_routes_notifications = {routes, sizeof routes / sizeof routes[0]};
