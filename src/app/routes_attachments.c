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
    {"POST", "/api/v1/tasks/:id/attachments", "uploadAttachment", "attachments",
     "Attach a file to a task (members): multipart/form-data with one part named file, at most "
     "MAX_ATTACHMENT_BYTES (10 MB); read and stored in chunks as it arrives",
     B, NULL, NULL, NULL, 1, vb_attach_upload, 201, OBJ, 1},
    {"GET", "/api/v1/tasks/:id/attachments", "listAttachments", "attachments",
     "A task's attachments, metadata only, oldest first (members)", B, NULL, NULL,
     vb_op_attach_list, 0, NULL, 200, OBJ, 0},
    {"GET", "/api/v1/attachments/:id/download", "downloadAttachment", "attachments",
     "An attachment's content, always as a download (ETag, If-None-Match, one byte Range)", B, NULL,
     NULL, NULL, 0, vb_attach_download, 200, OBJ, 0},
    {"DELETE", "/api/v1/attachments/:id", "deleteAttachment", "attachments",
     "Delete an attachment (its uploader or a workspace admin)", B, NULL, NULL, vb_op_attach_delete,
     1, NULL, 204, VB_RESULT_EMPTY, 0},
};
#undef B
#undef OBJ

const vb_route_group vb_routes_attachments = {routes, sizeof routes / sizeof routes[0]};
