/*
 * Label routes: each one is a single store operation (store/ops_labels.c),
 * so this file only declares them.
 */
#include "app/vb_routes.h"
#include "store/vb_ops_collab.h"

static const vb_field f_label_create[] = {
    {.name = "name",
     .type = VB_F_STRING,
     .required = 1,
     .min = 1,
     .max = 50,
     .description = "Label name, unique in the workspace regardless of case"},
    {.name = "color",
     .type = VB_F_STRING,
     .required = 1,
     .format = VB_FMT_COLOR,
     .description = "Color as #RRGGBB"},
};
static const vb_field f_label_patch[] = {
    {.name = "name",
     .type = VB_F_STRING,
     .min = 1,
     .max = 50,
     .description = "Label name, unique in the workspace regardless of case"},
    {.name = "color",
     .type = VB_F_STRING,
     .format = VB_FMT_COLOR,
     .description = "Color as #RRGGBB"},
};
static const vb_schema s_label_create = VB_SCHEMA(f_label_create);
static const vb_schema s_label_patch = VB_SCHEMA_PATCH(f_label_patch);

#define B VB_AUTH_BEARER
#define OBJ VB_RESULT_OBJECT
static const vb_route routes[] = {
    {.method = "POST",
     .pattern = "/api/v1/workspaces/:wid/labels",
     .op_id = "createLabel",
     .tag = "labels",
     .summary = "Create a label in the workspace (members)",
     .auth = B,
     .body = &s_label_create,
     .op = vb_op_label_create,
     .write = 1,
     .status = 201,
     .result = OBJ},
    {.method = "GET",
     .pattern = "/api/v1/workspaces/:wid/labels",
     .op_id = "listLabels",
     .tag = "labels",
     .summary = "The workspace's labels by name (members)",
     .auth = B,
     .op = vb_op_label_list,
     .status = 200,
     .result = OBJ},
    {.method = "PATCH",
     .pattern = "/api/v1/labels/:id",
     .op_id = "updateLabel",
     .tag = "labels",
     .summary = "Rename or recolor a label (members of its workspace)",
     .auth = B,
     .body = &s_label_patch,
     .op = vb_op_label_update,
     .write = 1,
     .status = 200,
     .result = OBJ},
    {.method = "DELETE",
     .pattern = "/api/v1/labels/:id",
     .op_id = "deleteLabel",
     .tag = "labels",
     .summary = "Delete a label; it is removed from its tasks (members of its workspace)",
     .auth = B,
     .op = vb_op_label_delete,
     .write = 1,
     .status = 204,
     .result = VB_RESULT_EMPTY},
};
#undef B
#undef OBJ

const vb_route_group vb_routes_labels = {routes, sizeof routes / sizeof routes[0]};
