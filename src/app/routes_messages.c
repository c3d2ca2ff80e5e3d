/*
 * Message routes (store/ops_messages.c): the same operations the chat gateway
 * uses, so a message posted here reaches the channel's room like a chat send.
 */
#include "app/vb_routes.h"
#include "store/vb_ops_chat.h"

static const vb_field f_content[] = {
    {.name = "content",
     .type = VB_F_STRING,
     .required = 1,
     .min = 1,
     .max = 10000,
     .description = "Message text, 1..10000 characters"},
};
static const vb_field f_list[] = {
    {.name = "before",
     .type = VB_F_STRING,
     .format = VB_FMT_ID,
     .description = "Only messages older than this message id"},
    {.name = "after",
     .type = VB_F_STRING,
     .format = VB_FMT_ID,
     .description =
         "Only messages newer than this message id (still newest first; with before: strictly "
         "between)"},
    {.name = "limit",
     .type = VB_F_INT,
     .min = 1,
     .max = 100,
     .description = "At most this many (default 50)"},
};
static const vb_schema s_content = VB_SCHEMA(f_content);
static const vb_schema s_list = VB_SCHEMA(f_list);

#define C "/api/v1/channels/:id/messages"
#define M "/api/v1/messages/:id"
#define B VB_AUTH_BEARER
static const vb_route routes[] = {
    {.method = "GET",
     .pattern = C,
     .op_id = "listMessages",
     .tag = "messages",
     .summary = "Messages of a visible channel, newest first; cursor meta {limit, hasMore}",
     .auth = B,
     .query = &s_list,
     .op = vb_op_message_list,
     .status = 200,
     .result = VB_RESULT_PAGE},
    {.method = "POST",
     .pattern = C,
     .op_id = "postMessage",
     .tag = "messages",
     .summary = "Post a message (joins a public channel first when needed); reaches the chat room",
     .auth = B,
     .body = &s_content,
     .op = vb_op_message_post,
     .write = 1,
     .status = 201,
     .result = VB_RESULT_OBJECT},
    {.method = "PATCH",
     .pattern = M,
     .op_id = "editMessage",
     .tag = "messages",
     .summary = "Edit a message (its sender only)",
     .auth = B,
     .body = &s_content,
     .op = vb_op_message_edit,
     .write = 1,
     .status = 200,
     .result = VB_RESULT_OBJECT},
    {.method = "DELETE",
     .pattern = M,
     .op_id = "deleteMessage",
     .tag = "messages",
     .summary = "Delete a message (its sender only; soft delete)",
     .auth = B,
     .op = vb_op_message_delete,
     .write = 1,
     .status = 204,
     .result = VB_RESULT_EMPTY},
};
#undef C
#undef M
#undef B

const vb_route_group vb_routes_messages = {routes, sizeof routes / sizeof routes[0]};
