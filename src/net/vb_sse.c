/*
 * Server-Sent Events (see vb_sse.h): encoding, the stream start, pacing.
 */
#include "net/vb_sse.h"

#include "core/vb_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* 1 if s (may be NULL) holds a CR or LF. */
static int has_newline(const char *s)
{
    return s && s[strcspn(s, "\r\n")] != '\0';
}

/* Number of lines of data (LF, CR and CRLF each end one; at least one). */
static size_t count_lines(const char *data, size_t len)
{
    size_t n = 1;
    for (size_t i = 0; i < len; i++) {
        if (data[i] == '\n') {
            n++;
        } else if (data[i] == '\r') {
            n++;
            if (i + 1 < len && data[i + 1] == '\n') i++;
        }
    }
    return n;
}

/* Appends "<prefix><line>\n" for each line of data to out; returns the end. */
static char *put_lines(char *out, const char *prefix, const char *data, size_t len)
{
    size_t plen = strlen(prefix), start = 0;
    for (size_t i = 0;; i++) {
        if (i == len || data[i] == '\n' || data[i] == '\r') {
            memcpy(out, prefix, plen);
            out += plen;
            memcpy(out, data + start, i - start);
            out += i - start;
            *out++ = '\n';
            if (i == len) break;
            if (data[i] == '\r' && i + 1 < len && data[i + 1] == '\n') i++;
            start = i + 1;
        }
    }
    return out;
}

vb_buf *vb_sse_event(const char *name, const char *id, const char *data, size_t len)
{
    if (has_newline(name) || has_newline(id)) return NULL;
    if (!data) len = 0;
    size_t lines = count_lines(data, len);
    size_t cap = len + lines * 7 + 2; /* "data: " + "\n" per line, final "\n" */
    if (id) cap += 5 + strlen(id);
    if (name) cap += 8 + strlen(name);
    vb_buf *b = vb_buf_new(cap);
    if (!b) return NULL;
    char *p = b->data;
    if (id) p += sprintf(p, "id: %s\n", id);
    if (name) p += sprintf(p, "event: %s\n", name);
    p = put_lines(p, "data: ", data ? data : "", len);
    *p++ = '\n';
    b->len = (size_t)(p - b->data);
    *p = '\0';
    return b;
}

vb_buf *vb_sse_event_json(const char *name, const char *id, const json_t *json)
{
    /* 15 significant digits: 0.3333 stays 0.3333, not 0.33329999999999999. */
    char *text = json_dumps(json, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
    if (!text) return NULL;
    vb_buf *b = vb_sse_event(name, id, text, strlen(text));
    free(text);
    return b;
}

vb_buf *vb_sse_comment(const char *text)
{
    if (!text) text = "";
    size_t len = strlen(text);
    vb_buf *b = vb_buf_new(len + count_lines(text, len) * 3 + 2);
    if (!b) return NULL;
    char *p = put_lines(b->data, ": ", text, len);
    *p++ = '\n';
    b->len = (size_t)(p - b->data);
    *p = '\0';
    return b;
}

vb_buf *vb_sse_retry(unsigned ms)
{
    char tmp[40];
    int n = snprintf(tmp, sizeof tmp, "retry: %u\n\n", ms);
    return vb_buf_copy(tmp, (size_t)n);
}

/* ---- the stream start ------------------------------------------------------ */

/* Headers of req that the SSE headers replace. */
static int replaced_header(const char *name)
{
    return strcasecmp(name, "cache-control") == 0 || strcasecmp(name, "content-type") == 0 ||
           strcasecmp(name, "connection") == 0 || strcasecmp(name, "content-length") == 0 ||
           strcasecmp(name, "transfer-encoding") == 0 || strcasecmp(name, "x-accel-buffering") == 0;
}

/* Builds the response head of an event stream for req, then the retry hint,
 * into a new malloc'd string; *len receives its length. NULL when out of memory. */
static char *build_head(const vb_http_req *req, size_t *len)
{
    size_t cap = 512 + strlen(req->request_id);
    for (size_t i = 0; i < req->nresp_headers; i++)
        cap += strlen(req->resp_headers[i].name) + strlen(req->resp_headers[i].value) + 4;
    char *out = malloc(cap);
    if (!out) return NULL;
    size_t n = (size_t)snprintf(out, cap,
                                "HTTP/1.1 200 OK\r\n"
                                "Content-Type: text/event-stream\r\n"
                                "Cache-Control: no-cache\r\n"
                                "Connection: keep-alive\r\n"
                                "X-Accel-Buffering: no\r\n"
                                "X-Request-Id: %s\r\n",
                                req->request_id);
    for (size_t i = 0; i < req->nresp_headers; i++) {
        const vb_http_header *h = &req->resp_headers[i];
        if (replaced_header(h->name) || has_newline(h->name) || has_newline(h->value)) continue;
        n += (size_t)snprintf(out + n, cap - n, "%s: %s\r\n", h->name, h->value);
    }
    n += (size_t)snprintf(out + n, cap - n, "\r\nretry: %d\n\n", VB_SSE_RETRY_MS);
    *len = n;
    return out;
}

vb_stream *vb_sse_start(vb_http_req *req, const vb_stream_handlers *h, void *ud)
{
    size_t len = 0;
    char *head = build_head(req, &len);
    if (!head) {
        vb_http_respond(req, 503, NULL, NULL, 0);
        return NULL;
    }
    req->status = 200; /* for the access log, should the server write one */
    vb_stream *s = vb_stream_takeover(req, h, ud);
    /* A failed send closes the stream; its on_close comes later, as usual. */
    if (s) (void)vb_stream_send_copy(s, head, len);
    free(head);
    return s;
}

/* ---- pacing ---------------------------------------------------------------- */

void vb_sse_pace_init(vb_sse_pace *p, uint64_t interval_ms)
{
    memset(p, 0, sizeof *p);
    p->interval_ms = interval_ms;
}

int64_t vb_sse_pace_change(vb_sse_pace *p, uint64_t now_ms)
{
    if (p->armed) return -1;
    if (!p->has_sent || now_ms < p->last_ms || now_ms - p->last_ms >= p->interval_ms) return 0;
    p->armed = 1;
    return (int64_t)(p->last_ms + p->interval_ms - now_ms);
}

void vb_sse_pace_fired(vb_sse_pace *p)
{
    p->armed = 0;
}

void vb_sse_pace_sent(vb_sse_pace *p, uint64_t now_ms)
{
    p->last_ms = now_ms;
    p->has_sent = 1;
}
