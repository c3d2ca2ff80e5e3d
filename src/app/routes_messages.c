/*
 * Message routes (store/ops_messages.c): the same operations the chat gateway
 * uses, so a message posted here reaches the channel's room like a chat send.
 */
#include "app/vb_routes.h"
#include "store/vb_ops_chat.h"

static const vb_field f_content[] = {
    {"content", VB_F_STRING, 1, 0, 1, 10000, VB_FMT_NONE, NULL,
     "Message text, 1..10000 characters"},
};
static const vb_field f_list[] = {
    {"before", VB_F_STRING, 0, 0, 0, 0, VB_FMT_ID, NULL,
     "Only messages older than this message id"},
    {"after", VB_F_STRING, 0, 0, 0, 0, VB_FMT_ID, NULL,
     "Only messages newer than this message id (still newest first; with before: strictly "
     "between)"},
    {"limit", VB_F_INT, 0, 0, 1, 100, VB_FMT_NONE, NULL, "At most this many (default 50)"},
};
static const vb_schema s_content = VB_SCHEMA(f_content);
static const vb_schema s_list = VB_SCHEMA(f_list);

#define C "/api/v1/channels/:id/messages"
#define M "/api/v1/messages/:id"
#define B VB_AUTH_BEARER
static const vb_route routes[] = {
    {"GET", C, "listMessages", "messages",
     "Messages of a visible channel, newest first; cursor meta {limit, hasMore}", B, NULL, &s_list,
     vb_op_message_list, 0, NULL, 200, VB_RESULT_PAGE},
    {"POST", C, "postMessage", "messages",
     "Post a message (joins a public channel first when needed); reaches the chat room", B,
     &s_content, NULL, vb_op_message_post, 1, NULL, 201, VB_RESULT_OBJECT},
    {"PATCH", M, "editMessage", "messages", "Edit a message (its sender only)", B, &s_content, NULL,
     vb_op_message_edit, 1, NULL, 200, VB_RESULT_OBJECT},
    {"DELETE", M, "deleteMessage", "messages", "Delete a message (its sender only; soft delete)", B,
     NULL, NULL, vb_op_message_delete, 1, NULL, 204, VB_RESULT_EMPTY},
};
#undef C
#undef M
#undef B

const vb_route_group vb_routes_messages = {routes, sizeof routes / sizeof routes[0]};
