/*
 * Label routes: each one is a single store operation (store/ops_labels.c),
 * so this file only declares them.
 */
#include "app/vb_routes.h"
#include "store/vb_ops_collab.h"

static const vb_field f_label_create[] = {
    {"name", VB_F_STRING, 1, 0, 1, 50, VB_FMT_NONE, NULL,
     "Label name, unique in the workspace regardless of case"},
    {"color", VB_F_STRING, 1, 0, 0, 0, VB_FMT_COLOR, NULL, "Color as #RRGGBB"},
};
static const vb_field f_label_patch[] = {
    {"name", VB_F_STRING, 0, 0, 1, 50, VB_FMT_NONE, NULL,
     "Label name, unique in the workspace regardless of case"},
    {"color", VB_F_STRING, 0, 0, 0, 0, VB_FMT_COLOR, NULL, "Color as #RRGGBB"},
};
static const vb_schema s_label_create = VB_SCHEMA(f_label_create);
static const vb_schema s_label_patch = VB_SCHEMA_PATCH(f_label_patch);

#define B VB_AUTH_BEARER
#define OBJ VB_RESULT_OBJECT
static const vb_route routes[] = {
    {"POST", "/api/v1/workspaces/:wid/labels", "createLabel", "labels",
     "Create a label in the workspace (members)", B, &s_label_create, NULL, vb_op_label_create, 1,
     NULL, 201, OBJ},
    {"GET", "/api/v1/workspaces/:wid/labels", "listLabels", "labels",
     "The workspace's labels by name (members)", B, NULL, NULL, vb_op_label_list, 0, NULL, 200,
     OBJ},
    {"PATCH", "/api/v1/labels/:id", "updateLabel", "labels",
     "Rename or recolor a label (members of its workspace)", B, &s_label_patch, NULL,
     vb_op_label_update, 1, NULL, 200, OBJ},
    {"DELETE", "/api/v1/labels/:id", "deleteLabel", "labels",
     "Delete a label; it is removed from its tasks (members of its workspace)", B, NULL, NULL,
     vb_op_label_delete, 1, NULL, 204, VB_RESULT_EMPTY},
};
#undef B
#undef OBJ

const vb_route_group vb_routes_labels = {routes, sizeof routes / sizeof routes[0]};
