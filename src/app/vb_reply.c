#include "app/vb_reply.h"
#include "core/vb_common.h"

#include <stdlib.h>
#include <string.h>

/* Sends body (stolen) as application/json with status. */
static void vb_reply_json(vb_http_req *req, int status, json_t *body)
{
    char *text = body ? json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(body);
    if (!text) {
        static const char fallback[] =
            "{\"statusCode\":500,\"code\":\"INTERNAL_ERROR\",\"message\":\"Out of memory\"}";
        vb_http_respond(req, 500, "application/json; charset=utf-8", fallback, sizeof fallback - 1);
        return;
    }
    vb_http_respond(req, status, "application/json; charset=utf-8", text, strlen(text));
    free(text);
}

void vb_reply_ok(vb_http_req *req, int status, json_t *data)
{
    json_t *body = json_object();
    json_object_set_new(body, "success", json_true());
    json_object_set_new(body, "data", data ? data : json_null());
    vb_reply_json(req, status, body);
}

void vb_reply_page(vb_http_req *req, json_t *page)
{
    json_t *body = json_object();
    json_object_set_new(body, "success", json_true());
    if (json_is_object(page)) json_object_update(body, page);
    json_decref(page);
    vb_reply_json(req, 200, body);
}

void vb_reply_error(vb_http_req *req, int status, const char *code, const char *message,
                    json_t *errors)
{
    json_t *body = json_object();
    json_object_set_new(body, "statusCode", json_integer(status));
    json_object_set_new(body, "code", json_string(code && *code ? code : "ERROR"));
    json_object_set_new(body, "message",
                        json_string(message && *message ? message : vb_http_reason(status)));
    if (errors && status == 422)
        json_object_set_new(body, "errors", errors);
    else
        json_decref(errors);
    vb_reply_json(req, status, body);
}

void vb_reply_busy(vb_http_req *req)
{
    vb_http_add_header(req, "Retry-After", "1");
    vb_reply_error(req, 503, "BUSY", "The server is busy; try again shortly", NULL);
}

int vb_reply_status_of(int err)
{
    switch (err) {
    case VB_OK:
        return 200;
    case VB_EINVAL:
        return 422;
    case VB_ENOTFOUND:
        return 404;
    case VB_EFORBIDDEN:
        return 403;
    case VB_ECONFLICT:
        return 409;
    case VB_EUNAUTH:
        return 401;
    case VB_ETOOBIG:
        return 413;
    case VB_EBUSY:
        return 503;
    case VB_ERATE:
        return 429;
    case VB_EBADREQ:
        return 400;
    default:
        return 500;
    }
}

void vb_reply_store_error(vb_http_req *req, const vb_store_res *res)
{
    int status = vb_reply_status_of(res->status);
    const char *code = res->code && *res->code ? res->code : NULL;
    const char *message = res->message && *res->message ? res->message : NULL;
    if (status == 500) {
        /* Internal details stay in the log. */
        code = "INTERNAL_ERROR";
        message = "Something went wrong on our side";
    }
    if (!code) code = status == 422 ? "VALIDATION_ERROR" : "ERROR";
    vb_reply_error(req, status, code, message, res->errors ? json_incref(res->errors) : NULL);
}
