/*
 * Attachment routes: the upload reads its multipart body as it arrives
 * (stream_body) and the download streams chunk rows (app/vb_attach_*.c);
 * listing and deleting are single store operations.
 */
#include "app/vb_attach.h"
#include "app/vb_routes.h"
#include "store/vb_ops_attach.h"

#define B VB_AUTH_BEARER
#define OBJ VB_RESULT_OBJECT
static const vb_route routes[] = {
    {.method = "POST",
     .pattern = "/api/v1/tasks/:id/attachments",
     .op_id = "uploadAttachment",
     .tag = "attachments",
     .summary =
         "Attach a file to a task (members): multipart/form-data with one part named file, at most "
         "MAX_ATTACHMENT_BYTES (10 MB); read and stored in chunks as it arrives",
     .auth = B,
     .write = 1,
     .handler = vb_attach_upload,
     .status = 201,
     .result = OBJ,
     .stream_body = 1},
    {.method = "GET",
     .pattern = "/api/v1/tasks/:id/attachments",
     .op_id = "listAttachments",
     .tag = "attachments",
     .summary = "A task's attachments, metadata only, oldest first (members)",
     .auth = B,
     .op = vb_op_attach_list,
     .status = 200,
     .result = OBJ},
    {.method = "GET",
     .pattern = "/api/v1/attachments/:id/download",
     .op_id = "downloadAttachment",
     .tag = "attachments",
     .summary =
         "An attachment's content, always as a download (ETag, If-None-Match, one byte Range)",
     .auth = B,
     .handler = vb_attach_download,
     .status = 200,
     .result = OBJ},
    {.method = "DELETE",
     .pattern = "/api/v1/attachments/:id",
     .op_id = "deleteAttachment",
     .tag = "attachments",
     .summary = "Delete an attachment (its uploader or a workspace admin)",
     .auth = B,
     .op = vb_op_attach_delete,
     .write = 1,
     .status = 204,
     .result = VB_RESULT_EMPTY},
};
#undef B
#undef OBJ

const vb_route_group vb_routes_attachments = {routes, sizeof routes / sizeof routes[0]};
