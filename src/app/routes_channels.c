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
    {"name", VB_F_STRING, 1, 0, 1, 80, VB_FMT_CHANNEL_NAME, NULL,
     "Channel name, ^[a-z0-9-]+$, unique among the workspace's live channels"},
    {"type", VB_F_ENUM, 0, 0, 0, 0, VB_FMT_NONE, channel_types,
     "public (default), private or direct"},
    {"description", VB_F_STRING, 0, 1, 0, 500, VB_FMT_NONE, NULL, "Description, or null"},
    {"projectId", VB_F_STRING, 0, 1, 0, 0, VB_FMT_ID, NULL,
     "A project of the same workspace, or null"},
    {"memberIds", VB_F_STRING_ARRAY, 0, 0, 0, 1000, VB_FMT_ID, NULL,
     "Workspace members to add (the creator always is one); direct channels need at least one"},
};
static const vb_field f_member_add[] = {
    {"userId", VB_F_STRING, 1, 0, 1, 0, VB_FMT_ID, NULL, "A member of the channel's workspace"},
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
    {"POST", W, "createChannel", "channels",
     "Create a channel (workspace members; the creator joins it)", B, &s_channel_create, NULL,
     vb_op_channel_create, 1, NULL, 201, OBJ},
    {"GET", W, "listChannels", "channels",
     "Public channels and the caller's private and direct channels, with isMember", B, NULL,
     &vb_routes_page, vb_op_channel_list, 0, NULL, 200, VB_RESULT_PAGE},
    {"GET", C, "getChannel", "channels", "A visible channel with its members", B, NULL, NULL,
     vb_op_channel_get, 0, NULL, 200, OBJ},
    {"DELETE", C, "deleteChannel", "channels",
     "Delete a channel (its creator or a workspace admin; messages are kept)", B, NULL, NULL,
     vb_op_channel_delete, 1, NULL, 204, EMPTY},
    {"POST", C "/members", "addChannelMember", "channels",
     "Add a workspace member to a visible channel (201; 200 when already a member)", B,
     &s_member_add, NULL, NULL, 1, member_add_handler, 201, OBJ},
    {"DELETE", C "/members/:userId", "removeChannelMember", "channels",
     "Remove a member (the member, the channel's creator or a workspace admin)", B, NULL, NULL,
     vb_op_channel_member_remove, 1, NULL, 204, EMPTY},
};
#undef W
#undef C
#undef B
#undef OBJ
#undef EMPTY

const vb_route_group vb_routes_channels = {routes, sizeof routes / sizeof routes[0]};
