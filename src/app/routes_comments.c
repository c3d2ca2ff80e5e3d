/*
 * Comment routes: each one is a single store operation (store/ops_comments.c),
 * so this file only declares them.
 */
#include "app/vb_routes.h"
#include "store/vb_ops_collab.h"

static const vb_field f_comment_create[] = {
    {.name = "body",
     .type = VB_F_STRING,
     .required = 1,
     .min = 1,
     .max = 10000,
     .description = "Comment text (@handle mentions)"},
    {.name = "parentCommentId",
     .type = VB_F_STRING,
     .nullable = 1,
     .format = VB_FMT_ID,
     .description = "The comment this one answers (a comment of the same task), or null"},
};
static const vb_field f_comment_patch[] = {
    {.name = "body",
     .type = VB_F_STRING,
     .required = 1,
     .min = 1,
     .max = 10000,
     .description = "Comment text (@handle mentions)"},
};
static const vb_schema s_comment_create = VB_SCHEMA(f_comment_create);
static const vb_schema s_comment_patch = VB_SCHEMA(f_comment_patch);

#define B VB_AUTH_BEARER
#define OBJ VB_RESULT_OBJECT
static const vb_route routes[] = {
    {.method = "POST",
     .pattern = "/api/v1/tasks/:id/comments",
     .op_id = "createComment",
     .tag = "comments",
     .summary = "Comment on a task (members; notifies assignees, reporter and mentioned members)",
     .auth = B,
     .body = &s_comment_create,
     .op = vb_op_comment_create,
     .write = 1,
     .status = 201,
     .result = OBJ},
    {.method = "GET",
     .pattern = "/api/v1/tasks/:id/comments",
     .op_id = "listComments",
     .tag = "comments",
     .summary = "A task's comments, oldest first (members)",
     .auth = B,
     .query = &vb_routes_page,
     .op = vb_op_comment_list,
     .status = 200,
     .result = VB_RESULT_PAGE},
    {.method = "PATCH",
     .pattern = "/api/v1/comments/:id",
     .op_id = "updateComment",
     .tag = "comments",
     .summary = "Edit a comment (author only)",
     .auth = B,
     .body = &s_comment_patch,
     .op = vb_op_comment_update,
     .write = 1,
     .status = 200,
     .result = OBJ},
    {.method = "DELETE",
     .pattern = "/api/v1/comments/:id",
     .op_id = "deleteComment",
     .tag = "comments",
     .summary = "Delete a comment and its replies (author only)",
     .auth = B,
     .op = vb_op_comment_delete,
     .write = 1,
     .status = 204,
     .result = VB_RESULT_EMPTY},
};
#undef B
#undef OBJ

const vb_route_group vb_routes_comments = {routes, sizeof routes / sizeof routes[0]};
