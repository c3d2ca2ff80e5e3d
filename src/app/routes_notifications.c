/*
 * Notification routes (the caller's own notifications): each one is a single
 * store operation (store/ops_notifications.c), so this file only declares them.
 */
#include "app/vb_routes.h"
#include "store/vb_ops_collab.h"

static const vb_field f_list[] = {
    VB_ROUTES_PAGE_FIELDS,
    {.name = "unread", .type = VB_F_BOOL, .description = "true: only unread notifications"},
};
static const vb_schema s_list = VB_SCHEMA(f_list);

#define P "/api/v1/notifications"
#define B VB_AUTH_BEARER
#define OBJ VB_RESULT_OBJECT
static const vb_route routes[] = {
    {.method = "GET",
     .pattern = P,
     .op_id = "listNotifications",
     .tag = "notifications",
     .summary = "The caller's notifications, newest first",
     .auth = B,
     .query = &s_list,
     .op = vb_op_notification_list,
     .status = 200,
     .result = VB_RESULT_PAGE},
    {.method = "GET",
     .pattern = P "/unread-count",
     .op_id = "unreadNotificationCount",
     .tag = "notifications",
     .summary = "How many of the caller's notifications are unread",
     .auth = B,
     .op = vb_op_notification_unread,
     .status = 200,
     .result = OBJ},
    {.method = "PATCH",
     .pattern = P "/:id/read",
     .op_id = "markNotificationRead",
     .tag = "notifications",
     .summary = "Mark one of the caller's notifications read",
     .auth = B,
     .op = vb_op_notification_read,
     .write = 1,
     .status = 200,
     .result = OBJ},
    {.method = "POST",
     .pattern = P "/read-all",
     .op_id = "markAllNotificationsRead",
     .tag = "notifications",
     .summary = "Mark all the caller's notifications read",
     .auth = B,
     .op = vb_op_notification_read_all,
     .write = 1,
     .status = 200,
     .result = OBJ},
};
#undef P
#undef B
#undef OBJ

const vb_route_group vb_routes_notifications = {routes, sizeof routes / sizeof routes[0]};
