/*
 * The streamed download of an attachment: one chunk row read at a time and
 * written to the socket; the next is read only once the previous piece was
 * written, so a download holds one chunk however slow the client. ETag is
 * the SHA-256 (If-None-Match -> 304), a single byte range gives 206 (an
 * unsatisfiable one 416), and the file is always an attachment with a safe
 * name and a type that no browser renders as a page.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app/vb_app.h"
#include "app/vb_attach.h"
#include "app/vb_reply.h"
#include "core/vb_common.h"
#include "core/vb_id.h"
#include "store/vb_ops_attach.h"

static const char *const SAFE_TYPES[] = {
    "image/png",        "image/jpeg",        "image/gif",        "image/webp", "image/avif",
    "image/bmp",        "application/pdf",   "text/plain",       "text/csv",   "application/zip",
    "application/gzip", "application/x-tar", "application/json", "audio/mpeg", "audio/ogg",
    "audio/wav",        "video/mp4",         "video/webm",       "video/ogg",  NULL,
};

const char *vb_attach_served_type(const char *ct)
{
    if (!ct) return "application/octet-stream";
    while (*ct == ' ' || *ct == '\t')
        ct++;
    size_t n = strcspn(ct, "; \t");
    for (size_t i = 0; SAFE_TYPES[i]; i++)
        if (strlen(SAFE_TYPES[i]) == n && strncasecmp(ct, SAFE_TYPES[i], n) == 0)
            return SAFE_TYPES[i];
    return "application/octet-stream";
}

/* RFC 5987 attr-char. */
static int attr_char(int ch)
{
    return isalnum(ch) || strchr("!#$&+-.^_`|~", ch) != NULL;
}

void vb_attach_disposition(const char *name, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    const size_t max_fallback = 200, max_ext = 900;
    o += (size_t)snprintf(out, cap, "attachment; filename=\"");
    size_t f = 0;
    for (const unsigned char *p = (const unsigned char *)name; *p && f < max_fallback; p++) {
        unsigned char ch = *p;
        if (ch >= 0x80) {
            if ((ch & 0xc0) == 0x80) continue; /* one '_' per multi-byte character */
            ch = '_';
        } else if (ch < 0x20 || ch == 0x7f || ch == '"' || ch == '\\' || ch == '%' || ch == ';') {
            ch = '_';
        }
        if (o + 2 < cap) out[o++] = (char)ch;
        f++;
    }
    if (f == 0 && o + 2 < cap) out[o++] = '_';
    const char *mid = "\"; filename*=UTF-8''";
    for (const char *m = mid; *m && o + 1 < cap; m++)
        out[o++] = *m;
    size_t e = 0;
    for (const unsigned char *p = (const unsigned char *)name; *p && e < max_ext; p++, e++) {
        if (attr_char(*p)) {
            if (o + 1 < cap) out[o++] = (char)*p;
        } else if (o + 3 < cap) {
            out[o++] = '%';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 15];
        }
    }
    out[o < cap ? o : cap - 1] = '\0';
}

int vb_attach_range(const char *h, unsigned long long size, unsigned long long *from,
                    unsigned long long *to)
{
    if (!h) return 0;
    while (*h == ' ')
        h++;
    if (strncasecmp(h, "bytes=", 6) != 0) return 0;
    h += 6;
    if (strchr(h, ',')) return 0; /* several ranges: the whole file instead */
    while (*h == ' ')
        h++;
    char *end;
    if (*h == '-') { /* the last n bytes */
        if (!isdigit((unsigned char)h[1])) return 0;
        unsigned long long n = strtoull(h + 1, &end, 10);
        while (*end == ' ')
            end++;
        if (*end) return 0;
        if (n == 0 || size == 0) return -1;
        *from = n >= size ? 0 : size - n;
        *to = size - 1;
        return 1;
    }
    if (!isdigit((unsigned char)*h)) return 0;
    unsigned long long a = strtoull(h, &end, 10), b;
    if (*end != '-') return 0;
    h = end + 1;
    if (isdigit((unsigned char)*h)) {
        b = strtoull(h, &end, 10);
        if (b < a) return 0;
    } else {
        b = size ? size - 1 : 0;
        end = (char *)h;
    }
    while (*end == ' ')
        end++;
    if (*end) return 0;
    if (a >= size) return -1;
    if (b >= size) b = size - 1;
    *from = a;
    *to = b;
    return 1;
}

typedef struct download {
    vb_http_req *req;
    vb_store *store;
    char aid[VB_ID_LEN + 1];
    unsigned long long pos, to; /* next byte to send, last byte */
    int busy;                   /* a read or a write is in flight */
    int gone;
} download;

static void dl_end(download *d)
{
    d->req->on_gone = NULL;
    vb_http_respond_end(d->req);
    free(d);
}

static void dl_next(download *d);

static void on_written(vb_http_req *req, int status, void *ud)
{
    download *d = ud;
    (void)req;
    d->busy = 0;
    if (status < 0 || d->gone || d->pos > d->to) {
        dl_end(d);
        return;
    }
    dl_next(d);
}

static void on_chunk(const vb_store_res *res, void *ud)
{
    download *d = ud;
    d->busy = 0;
    if (d->gone || res->status || !json_is_string(res->result)) {
        dl_end(d); /* a failure half-way: the short body tells the client */
        return;
    }
    const char *data = json_string_value(res->result);
    size_t len = json_string_length(res->result);
    size_t off = (size_t)(d->pos % VB_ATTACH_CHUNK);
    if (off >= len) {
        dl_end(d);
        return;
    }
    size_t n = len - off;
    if (n > d->to + 1 - d->pos) n = (size_t)(d->to + 1 - d->pos);
    d->pos += n;
    d->busy = 1;
    if (vb_http_respond_write(d->req, data + off, n, on_written, d) != 0) {
        d->busy = 0;
        dl_end(d);
    }
}

static void dl_next(download *d)
{
    json_t *a = json_pack("{s:s, s:I}", "attachmentId", d->aid, "seq",
                          (json_int_t)(d->pos / VB_ATTACH_CHUNK));
    if (vb_store_submit(d->store, vb_op_attach_read, 0, a, on_chunk, d) != 0) {
        dl_end(d);
        return;
    }
    d->busy = 1;
}

static void on_gone(vb_http_req *req, void *ud)
{
    download *d = ud;
    (void)req;
    d->gone = 1;
    if (!d->busy) dl_end(d);
}

/* 1 when an If-None-Match list names etag (or is "*"). */
static int etag_matches(const char *inm, const char *etag)
{
    if (!inm) return 0;
    if (strcmp(inm, "*") == 0) return 1;
    return strstr(inm, etag) != NULL;
}

static void on_meta(const vb_store_res *res, void *ud)
{
    vb_http_req *req = ud;
    if (res->status) {
        vb_reply_store_error(req, res);
        return;
    }
    json_t *m = res->result;
    const char *sha = json_string_value(json_object_get(m, "sha256"));
    unsigned long long size = (unsigned long long)json_integer_value(json_object_get(m, "size"));
    char etag[80], disp[4096], range[96];
    snprintf(etag, sizeof etag, "\"%s\"", sha ? sha : "");
    vb_http_add_header(req, "ETag", etag);
    vb_http_add_header(req, "Accept-Ranges", "bytes");
    vb_http_add_header(req, "Content-Security-Policy", "default-src 'none'; sandbox");
    vb_attach_disposition(json_string_value(json_object_get(m, "fileName")), disp, sizeof disp);
    vb_http_add_header(req, "Content-Disposition", disp);
    if (etag_matches(vb_http_header_get(req, "if-none-match"), etag)) {
        vb_http_respond(req, 304, NULL, NULL, 0);
        return;
    }
    unsigned long long from = 0, to = size ? size - 1 : 0;
    int status = 200;
    int r = vb_attach_range(vb_http_header_get(req, "range"), size, &from, &to);
    if (r < 0) {
        snprintf(range, sizeof range, "bytes */%llu", size);
        vb_http_add_header(req, "Content-Range", range);
        vb_reply_error(req, 416, "RANGE_NOT_SATISFIABLE", "The range is outside the file", NULL);
        return;
    }
    if (r > 0) {
        status = 206;
        snprintf(range, sizeof range, "bytes %llu-%llu/%llu", from, to, size);
        vb_http_add_header(req, "Content-Range", range);
    }
    unsigned long long len = size ? to - from + 1 : 0;
    const char *ctype = vb_attach_served_type(json_string_value(json_object_get(m, "contentType")));
    download *d = calloc(1, sizeof *d);
    if (!d) {
        vb_reply_error(req, 500, "INTERNAL_ERROR", "Out of memory", NULL);
        return;
    }
    d->req = req;
    d->store = vb_app_current()->store;
    snprintf(d->aid, sizeof d->aid, "%s", json_string_value(json_object_get(m, "id")));
    d->pos = from;
    d->to = to;
    if (vb_http_respond_start(req, status, ctype, len) != 0 || len == 0) {
        dl_end(d);
        return;
    }
    req->on_gone = on_gone;
    req->on_gone_ud = d;
    dl_next(d);
}

void vb_attach_download(vb_http_req *req, const vb_route *route, json_t *args)
{
    (void)route;
    vb_app *app = vb_app_current();
    json_t *a = json_pack("{s:O, s:O}", "actor", json_object_get(args, "actor"), "params",
                          json_object_get(args, "params"));
    if (vb_store_submit(app->store, vb_op_attach_get, 0, a, on_meta, req) != 0) vb_reply_busy(req);
}
