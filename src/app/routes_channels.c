/*
 * Channel and channel-member routes (store/ops_channels.c). Each is a single
 * store operation; adding a member has a small handler because it answers 201
 * for a new membership and 200 when the user already was a member.
 */
#include "app/vb_app.h"
#include "app/vb_reply.h"
#include "app/vb_routes.h"
#include "store/vb_ops_channels.h"

static const char *const channel_types[] = {"public", "private", "direct", NULL};

static const vb_field f_channel_create[] = {
    {.name = "name",
     .type = VB_F_STRING,
     .required = 1,
     .min = 1,
     .max = 80,
     .format = VB_FMT_CHANNEL_NAME,
     .description = "Channel name, ^[a-z0-9-]+$, unique among the workspace's live channels"},
    {.name = "type",
     .type = VB_F_ENUM,
     .values = channel_types,
     .description = "public (default), private or direct"},
    {.name = "description",
     .type = VB_F_STRING,
     .nullable = 1,
     .max = 500,
     .description = "Description, or null"},
    {.name = "projectId",
     .type = VB_F_STRING,
     .nullable = 1,
     .format = VB_FMT_ID,
     .description = "A project of the same workspace, or null"},
    {.name = "memberIds",
     .type = VB_F_STRING_ARRAY,
     .max = 1000,
     .format = VB_FMT_ID,
     .description =
         "Workspace members to add (the creator always is one); direct channels need at least one"},
};
static const vb_field f_member_add[] = {
    {.name = "userId",
     .type = VB_F_STRING,
     .required = 1,
     .min = 1,
     .format = VB_FMT_ID,
     .description = "A member of the channel's workspace"},
};
static const vb_schema s_channel_create = VB_SCHEMA(f_channel_create);
static const vb_schema s_member_add = VB_SCHEMA(f_member_add);

/* Answers POST /channels/:id/members from {created, member}: 201 or 200. */
static void on_member_added(const vb_store_res *res, void *ud)
{
    vb_http_req *req = ud;
    json_t *member;

    if (res->status != 0) {
        vb_reply_store_error(req, res);
        return;
    }
    member = json_object_get(res->result, "member");
    vb_reply_ok(req, json_is_true(json_object_get(res->result, "created")) ? 201 : 200,
                member ? json_incref(member) : NULL);
}

/* POST /channels/:id/members: runs vb_op_channel_member_add (args borrowed). */
static void member_add_handler(vb_http_req *req, const vb_route *route, json_t *args)
{
    vb_app *app = vb_app_current();
    if (vb_store_submit(app->store, vb_op_channel_member_add, 1, json_incref(args), on_member_added,
                        req) != 0)
        vb_reply_busy(req);
}

#define W "/api/v1/workspaces/:wid/channels"
#define C "/api/v1/channels/:id"
#define B VB_AUTH_BEARER
#define OBJ VB_RESULT_OBJECT
#define EMPTY VB_RESULT_EMPTY
static const vb_route routes[] = {
    {.method = "POST",
     .pattern = W,
     .op_id = "createChannel",
     .tag = "channels",
     .summary = "Create a channel (workspace members; the creator joins it)",
     .auth = B,
     .body = &s_channel_create,
     .op = vb_op_channel_create,
     .write = 1,
     .status = 201,
     .result = OBJ},
    {.method = "GET",
     .pattern = W,
     .op_id = "listChannels",
     .tag = "channels",
     .summary = "Public channels and the caller's private and direct channels, with isMember",
     .auth = B,
     .query = &vb_routes_page,
     .op = vb_op_channel_list,
     .status = 200,
     .result = VB_RESULT_PAGE},
    {.method = "GET",
     .pattern = C,
     .op_id = "getChannel",
     .tag = "channels",
     .summary = "A visible channel with its members",
     .auth = B,
     .op = vb_op_channel_get,
     .status = 200,
     .result = OBJ},
    {.method = "DELETE",
     .pattern = C,
     .op_id = "deleteChannel",
     .tag = "channels",
     .summary = "Delete a channel (its creator or a workspace admin; messages are kept)",
     .auth = B,
     .op = vb_op_channel_delete,
     .write = 1,
     .status = 204,
     .result = EMPTY},
    {.method = "POST",
     .pattern = C "/members",
     .op_id = "addChannelMember",
     .tag = "channels",
     .summary = "Add a workspace member to a visible channel (201; 200 when already a member)",
     .auth = B,
     .body = &s_member_add,
     .write = 1,
     .handler = member_add_handler,
     .status = 201,
     .result = OBJ},
    {.method = "DELETE",
     .pattern = C "/members/:userId",
     .op_id = "removeChannelMember",
     .tag = "channels",
     .summary = "Remove a member (the member, the channel's creator or a workspace admin)",
     .auth = B,
     .op = vb_op_channel_member_remove,
     .write = 1,
     .status = 204,
     .result = EMPTY},
};
#undef W
#undef C
#undef B
#undef OBJ
#undef EMPTY

const vb_route_group vb_routes_channels = {routes, sizeof routes / sizeof routes[0]};
