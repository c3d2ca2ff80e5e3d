/*
 * The write side of the HTTP server: response serialisation (status line,
 * standard headers, handler headers, body) into one buffer per response,
 * written with one uv_write, plus the Date cache and reason phrases.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/vb_common.h"
#include "core/vb_id.h"
#include "net/vb_http_internal.h"

/* Status line, Date, Content-Length, Connection and X-Request-Id with their
 * values, generously (the variable parts are added separately). */
#define FIXED_HEADER_ROOM 256

static const struct {
    int status;
    const char *reason;
} reasons[] = {
    {101, "Switching Protocols"},
    {200, "OK"},
    {201, "Created"},
    {202, "Accepted"},
    {204, "No Content"},
    {206, "Partial Content"},
    {301, "Moved Permanently"},
    {302, "Found"},
    {304, "Not Modified"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {408, "Request Timeout"},
    {409, "Conflict"},
    {413, "Payload Too Large"},
    {415, "Unsupported Media Type"},
    {416, "Range Not Satisfiable"},
    {422, "Unprocessable Entity"},
    {429, "Too Many Requests"},
    {431, "Request Header Fields Too Large"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {503, "Service Unavailable"},
};

const char *vb_http_reason(int status)
{
    for (size_t i = 0; i < VB_ARRAY_LEN(reasons); i++)
        if (reasons[i].status == status) return reasons[i].reason;
    return "Unknown";
}

/* Formats the IMF-fixdate of RFC 7231 ("Sun, 06 Nov 1994 08:49:37 GMT"),
 * recomputed at most once per second; independent of the locale. */
static const char *vb_http_date(vb_http_server *s)
{
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t now = time(NULL);
    if (now != s->date_sec || !s->date[0]) {
        struct tm tm;
        gmtime_r(&now, &tm);
        snprintf(s->date, sizeof(s->date), "%s, %02d %s %04d %02d:%02d:%02d GMT",
                 days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900,
                 tm.tm_hour, tm.tm_min, tm.tm_sec);
        s->date_sec = now;
    }
    return s->date;
}

/* 1 if s contains CR or LF (or for a name, is empty or has ':' or blanks). */
static int header_unsafe(const char *s, int is_name)
{
    if (is_name && !*s) return 1;
    for (; *s; s++) {
        if (*s == '\r' || *s == '\n') return 1;
        if (is_name && (*s == ':' || *s == ' ' || *s == '\t')) return 1;
    }
    return 0;
}

void vb_http_add_header(vb_http_req *req, const char *name, const char *value)
{
    if (req->nresp_headers >= VB_HTTP_MAX_RESP_HEADERS) return;
    if (header_unsafe(name, 1) || header_unsafe(value, 0)) return; /* no header injection */
    size_t nl = strlen(name), vl = strlen(value);
    char *mem = malloc(nl + vl + 2);
    if (!mem) return;
    memcpy(mem, name, nl + 1);
    memcpy(mem + nl + 1, value, vl + 1);
    req->resp_headers[req->nresp_headers].name = mem;
    req->resp_headers[req->nresp_headers].value = mem + nl + 1;
    req->nresp_headers++;
}

/* Allocates a write buffer with room for cap bytes of data; NULL on OOM. */
vb_http_wbuf *vb_http_wbuf_new(size_t cap)
{
    vb_http_wbuf *w = malloc(sizeof(*w) + cap);
    if (!w) return NULL;
    w->conn = NULL;
    w->nbufs = 0;
    w->cap = cap;
    w->len = 0;
    return w;
}

/* Frees the write buffer; a failed write closes the connection (a close in
 * progress cancels writes with UV_ECANCELED before the close callback, so
 * the connection is still valid here). */
static void on_write(uv_write_t *wr, int status)
{
    vb_http_wbuf *w = VB_CONTAINER_OF(wr, vb_http_wbuf, req);
    vb_http_conn *c = w->conn;
    free(w);
    if (status < 0 && c->state != VB_CONN_CLOSED) vb_http_conn_close(c);
}

/* Queues w (its bufs[0..nbufs) set by the caller) on c; takes ownership of w.
 * On failure the connection is closed. Returns 0 or VB_EIO. */
int vb_http_conn_write(vb_http_conn *c, vb_http_wbuf *w)
{
    if (c->state == VB_CONN_CLOSED) {
        free(w);
        return VB_EIO;
    }
    w->conn = c;
    int rc = uv_write(&w->req, (uv_stream_t *)&c->tcp, w->bufs, w->nbufs, on_write);
    if (rc < 0) {
        free(w);
        vb_http_conn_close(c);
        return VB_EIO;
    }
    return 0;
}

/* Appends text to w's header area; the caller sized the buffer. */
static void put(vb_http_wbuf *w, const char *s)
{
    size_t n = strlen(s);
    memcpy(w->data + w->len, s, n);
    w->len += n;
}

/*
 * Serialises a response into one wbuf: header block in bufs[0], a copy of the
 * body in bufs[1] (omitted when the body is suppressed). resp may be NULL (no
 * handler headers). Returns NULL on OOM.
 */
vb_http_wbuf *vb_http_build_response(vb_http_server *s, int status, const char *ctype,
                                     const char *body, size_t len, int keep_alive,
                                     const char *request_id, const vb_http_req *resp, int head_only)
{
    int no_body = status == 204 || status == 304 || (status >= 100 && status < 200);
    size_t room = FIXED_HEADER_ROOM + strlen(request_id) + (ctype ? strlen(ctype) + 20 : 0);
    size_t nresp = resp ? resp->nresp_headers : 0;
    for (size_t i = 0; i < nresp; i++)
        room += strlen(resp->resp_headers[i].name) + strlen(resp->resp_headers[i].value) + 4;
    size_t body_copy = (no_body || head_only) ? 0 : len;
    vb_http_wbuf *w = vb_http_wbuf_new(room + body_copy);
    if (!w) return NULL;

    char line[128];
    snprintf(line, sizeof(line), "HTTP/1.1 %d %s\r\nDate: ", status, vb_http_reason(status));
    put(w, line);
    put(w, vb_http_date(s));
    put(w, "\r\n");
    if (ctype && !header_unsafe(ctype, 0)) {
        put(w, "Content-Type: ");
        put(w, ctype);
        put(w, "\r\n");
    }
    if (!no_body) {
        snprintf(line, sizeof(line), "Content-Length: %zu\r\n", len);
        put(w, line);
    }
    put(w, keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n");
    put(w, "X-Request-Id: ");
    put(w, request_id);
    put(w, "\r\n");
    for (size_t i = 0; i < nresp; i++) {
        const vb_http_header *h = &resp->resp_headers[i];
        if (header_unsafe(h->name, 1) || header_unsafe(h->value, 0)) continue;
        put(w, h->name);
        put(w, ": ");
        put(w, h->value);
        put(w, "\r\n");
    }
    put(w, "\r\n");
    w->bufs[0] = uv_buf_init(w->data, (unsigned)w->len);
    w->nbufs = 1;
    if (body_copy > 0) {
        memcpy(w->data + w->len, body, body_copy);
        w->bufs[1] = uv_buf_init(w->data + w->len, (unsigned)body_copy);
        w->len += body_copy;
        w->nbufs = 2;
    }
    return w;
}

void vb_http_write_error(vb_http_conn *c, int status)
{
    const char *code = "BAD_REQUEST", *msg = "Malformed request";
    switch (status) {
    case 408:
        code = "REQUEST_TIMEOUT", msg = "Request not received in time";
        break;
    case 413:
        code = "PAYLOAD_TOO_LARGE", msg = "Request body too large";
        break;
    case 431:
        code = "HEADERS_TOO_LARGE", msg = "Request headers too large";
        break;
    case 429:
        code = "TOO_MANY_CONNECTIONS", msg = "Too many connections from this address";
        break;
    case 500:
        code = "INTERNAL_ERROR", msg = "Internal server error";
        break;
    default:
        status = 400;
        break;
    }
    char body[192];
    int n = snprintf(body, sizeof(body), "{\"statusCode\":%d,\"code\":\"%s\",\"message\":\"%s\"}",
                     status, code, msg);
    char rid[VB_ID_LEN + 1];
    vb_id_new(rid);
    vb_http_wbuf *w = vb_http_build_response(c->server, status, "application/json", body, (size_t)n,
                                             0, rid, NULL, 0);
    if (w) vb_http_conn_write(c, w);
}

/*
 * Answers req (see vb_http.h). The whole response is one uv_write. Then the
 * done callback runs, req is freed, and the connection moves on to the next
 * pipelined request (or drains when it is not kept alive).
 */
void vb_http_respond(vb_http_req *req, int status, const char *content_type, const char *body,
                     size_t len)
{
    vb_http_server *s = req->server;
    vb_http_conn *c = req->conn;
    int keep = 0;
    req->status = status;
    if (c) {
        keep = req->keep_alive && !s->shutting_down;
        /* A streaming body answered before its end: the rest is not read. */
        if (c->p && c->p->streaming && !c->p->body_done) keep = 0;
        int head = strcmp(req->method, "HEAD") == 0;
        vb_http_wbuf *w = vb_http_build_response(s, status, content_type, body, body ? len : 0,
                                                 keep, req->request_id, req, head);
        if (w)
            vb_http_conn_write(c, w);
        else
            vb_http_conn_close(c);
    }
    vb_http_req_finish(req, keep);
}

void vb_http_req_finish(vb_http_req *req, int keep)
{
    vb_http_server *s = req->server;
    vb_http_conn *c = req->conn;
    if (c) {
        if (c->inflight == req) c->inflight = NULL;
        if (c->p) c->p->sink = NULL;
        c->served++;
    }
    s->live_reqs--;
    if (s->done) s->done(req, s->ud);
    vb_http_req_free(req);
    if (c)
        vb_http_conn_after_response(c, keep);
    else
        vb_http_server_maybe_finish(s);
}
