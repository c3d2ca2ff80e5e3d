/*
 * Comment routes: each one is a single store operation (store/ops_comments.c),
 * so this file only declares them.
 */
#include "app/vb_routes.h"
#include "store/vb_ops_collab.h"

static const vb_field f_comment_create[] = {
    {"body", VB_F_STRING, 1, 0, 1, 10000, VB_FMT_NONE, NULL, "Comment text (@handle mentions)"},
    {"parentCommentId", VB_F_STRING, 0, 1, 0, 0, VB_FMT_ID, NULL,
     "The comment this one answers (a comment of the same task), or null"},
};
static const vb_field f_comment_patch[] = {
    {"body", VB_F_STRING, 1, 0, 1, 10000, VB_FMT_NONE, NULL, "Comment text (@handle mentions)"},
};
static const vb_schema s_comment_create = VB_SCHEMA(f_comment_create);
static const vb_schema s_comment_patch = VB_SCHEMA(f_comment_patch);

#define B VB_AUTH_BEARER
#define OBJ VB_RESULT_OBJECT
static const vb_route routes[] = {
    {"POST", "/api/v1/tasks/:id/comments", "createComment", "comments",
     "Comment on a task (members; notifies assignees, reporter and mentioned members)", B,
     &s_comment_create, NULL, vb_op_comment_create, 1, NULL, 201, OBJ},
    {"GET", "/api/v1/tasks/:id/comments", "listComments", "comments",
     "A task's comments, oldest first (members)", B, NULL, &vb_routes_page, vb_op_comment_list, 0,
     NULL, 200, VB_RESULT_PAGE},
    {"PATCH", "/api/v1/comments/:id", "updateComment", "comments", "Edit a comment (author only)",
     B, &s_comment_patch, NULL, vb_op_comment_update, 1, NULL, 200, OBJ},
    {"DELETE", "/api/v1/comments/:id", "deleteComment", "comments",
     "Delete a comment and its replies (author only)", B, NULL, NULL, vb_op_comment_delete, 1, NULL,
     204, VB_RESULT_EMPTY},
};
#undef B
#undef OBJ

const vb_route_group vb_routes_comments = {routes, sizeof routes / sizeof routes[0]};
