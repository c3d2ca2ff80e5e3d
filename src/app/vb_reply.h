/* JSON responses in the contract's shapes. Each call answers req (and so frees it). */
#ifndef VB_REPLY_H
#define VB_REPLY_H

#include "net/vb_http.h"
#include "store/vb_store.h"

#include <jansson.h>

/* {"success":true,"data":data} (data stolen; NULL becomes null). */
void vb_reply_ok(vb_http_req *req, int status, json_t *data);
/* {"success":true, ...page} where page is {"data":[...],"meta":{...}} (stolen). */
void vb_reply_page(vb_http_req *req, json_t *page);
/* {"statusCode","code","message"[,"errors"]} (errors stolen, may be NULL). */
void vb_reply_error(vb_http_req *req, int status, const char *code, const char *message,
                    json_t *errors);
/* 503 BUSY with Retry-After: 1, for work the store would not queue (its
 * queue is full, or the server is stopping). */
void vb_reply_busy(vb_http_req *req);
/* The HTTP status for a vb_err (VB_ENOTFOUND -> 404, ...). */
int vb_reply_status_of(int err);
/* Answers a failed store result with its status, code, message and errors. */
void vb_reply_store_error(vb_http_req *req, const vb_store_res *res);

#endif
