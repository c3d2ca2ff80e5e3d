/*
 * Attachments on the loop thread: the streamed upload (multipart body ->
 * chunk rows, app/vb_attach_upload.c) and the streamed download with
 * ETag, Range and a safe Content-Disposition (app/vb_attach_download.c).
 * The routes are declared in app/routes_attachments.c.
 */
#ifndef VB_ATTACH_H
#define VB_ATTACH_H

#include "http/vb_router.h"

#include <stddef.h>

/* Store operations queued per upload before its body is paused. */
#define VB_ATTACH_MAX_INFLIGHT 2
/* Multipart overhead (delimiters, part headers, other small fields)
 * accepted above MAX_ATTACHMENT_BYTES in a declared Content-Length. */
#define VB_ATTACH_BODY_SLACK (64 * 1024)
/* An upload lasts at most this long (else 408 UPLOAD_TOO_SLOW), so a row
 * still 'uploading' that is older belongs to no upload in progress: in a
 * cluster, an instance's start-up deletes only those. */
#define VB_ATTACH_UPLOAD_MAX_MS (60u * 60u * 1000u)

/* POST /tasks/:id/attachments (stream_body). */
void vb_attach_upload(vb_http_req *req, const vb_route *route, json_t *args);
/* GET /attachments/:id/download. */
void vb_attach_download(vb_http_req *req, const vb_route *route, json_t *args);

/* The Content-Type an attachment is served with: its own when on the safe
 * list (images but SVG, PDF, plain text, common archives, audio, video),
 * else application/octet-stream. Never HTML or SVG. */
const char *vb_attach_served_type(const char *content_type);
/* Writes the Content-Disposition value for name into out (RFC 6266):
 * attachment; filename="ASCII fallback"; filename*=UTF-8''pct-encoded. */
void vb_attach_disposition(const char *name, char *out, size_t cap);
/* Parses a Range header for a resource of size bytes. Returns 1 with
 * [*from, *to] for one satisfiable range, 0 to ignore it (absent, not
 * bytes, several ranges, malformed), -1 when unsatisfiable (416). */
int vb_attach_range(const char *h, unsigned long long size, unsigned long long *from,
                    unsigned long long *to);

#endif
