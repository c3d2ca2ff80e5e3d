/*
 * Request parsing for the HTTP server: llhttp callbacks that accumulate the
 * target and headers (they may arrive split over many reads) into a bounded
 * per-connection buffer, build the vb_http_req at headers-complete, collect
 * the body, and pause the parser at message-complete so the connection can
 * dispatch the request. Also percent decoding, query and header lookup.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/vb_common.h"
#include "core/vb_id.h"
#include "net/vb_http_internal.h"

/* Rough size of the request line and header syntax not seen by callbacks
 * (method, version, ": ", CRLF), counted against max_header_bytes. */
#define REQ_LINE_OVERHEAD 24
#define HEADER_OVERHEAD 4

static vb_http_conn *conn_of(llhttp_t *p)
{
    return p->data;
}

/* Records a failure status for the connection and returns the llhttp error
 * that stops parsing. */
static int fail(vb_http_conn *c, int status)
{
    if (!c->p->err_status) c->p->err_status = status;
    return HPE_USER;
}

/* Appends n bytes (lower-cased if lower) to the header buffer. The buffer
 * never grows past what max_header_bytes admits, since hbytes is checked
 * by the callers before appending. Returns 0 or -1 on OOM. */
static int hbuf_append(vb_http_conn *conn, const char *at, size_t n, int lower)
{
    vb_http_parse *c = conn->p;
    if (c->hlen + n + 1 > c->hcap) {
        size_t cap = c->hcap ? c->hcap : 512;
        while (cap < c->hlen + n + 1)
            cap *= 2;
        char *nb = realloc(c->hbuf, cap);
        if (!nb) return -1;
        c->hbuf = nb;
        c->hcap = cap;
    }
    if (lower) {
        for (size_t i = 0; i < n; i++)
            c->hbuf[c->hlen + i] = (char)tolower((unsigned char)at[i]);
    } else {
        memcpy(c->hbuf + c->hlen, at, n);
    }
    c->hlen += n;
    return 0;
}

/* Counts n more header bytes; returns 1 when the limit is exceeded. */
static int over_header_limit(vb_http_conn *c, size_t n)
{
    c->p->hbytes += n;
    return c->p->hbytes > c->server->limits.max_header_bytes;
}

static int on_message_begin(llhttp_t *p)
{
    vb_http_conn *c = conn_of(p);
    vb_http_parse_reset(c);
    c->p->begin_ns = vb_now_ns();
    c->p->hbytes = REQ_LINE_OVERHEAD;
    vb_http_conn_set_state(c, VB_CONN_HEADERS);
    return 0;
}

static int on_url(llhttp_t *p, const char *at, size_t n)
{
    vb_http_conn *c = conn_of(p);
    if (over_header_limit(c, n)) return fail(c, 431);
    if (hbuf_append(c, at, n, 0) < 0) return fail(c, 500);
    c->p->url_len += n;
    return 0;
}

static int on_url_complete(llhttp_t *p)
{
    vb_http_conn *c = conn_of(p);
    if (hbuf_append(c, "", 1, 0) < 0) return fail(c, 500);
    c->p->url_done = 1;
    return 0;
}

static int on_header_field(llhttp_t *p, const char *at, size_t n)
{
    vb_http_conn *c = conn_of(p);
    if (!c->p->in_field) {
        if (c->p->nh >= VB_HTTP_MAX_HEADERS) return fail(c, 431);
        c->p->name_off[c->p->nh] = c->p->hlen;
        c->p->in_field = 1;
        if (over_header_limit(c, HEADER_OVERHEAD)) return fail(c, 431);
    }
    if (over_header_limit(c, n)) return fail(c, 431);
    if (hbuf_append(c, at, n, 1) < 0) return fail(c, 500);
    return 0;
}

static int on_header_field_complete(llhttp_t *p)
{
    vb_http_conn *c = conn_of(p);
    if (!c->p->in_field) { /* empty names are rejected by llhttp; be safe */
        return fail(c, 400);
    }
    if (hbuf_append(c, "", 1, 0) < 0) return fail(c, 500);
    c->p->value_off[c->p->nh] = c->p->hlen;
    c->p->in_field = 0;
    return 0;
}

static int on_header_value(llhttp_t *p, const char *at, size_t n)
{
    vb_http_conn *c = conn_of(p);
    if (over_header_limit(c, n)) return fail(c, 431);
    if (hbuf_append(c, at, n, 0) < 0) return fail(c, 500);
    return 0;
}

static int on_header_value_complete(llhttp_t *p)
{
    vb_http_conn *c = conn_of(p);
    if (hbuf_append(c, "", 1, 0) < 0) return fail(c, 500);
    c->p->nh++;
    return 0;
}

/* 1 if s (NUL-terminated) is a sane client request id: 1..63 chars of
 * [A-Za-z0-9._-]. */
static int request_id_ok(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++) {
        unsigned char ch = (unsigned char)s[n];
        if (!(isalnum(ch) || ch == '.' || ch == '_' || ch == '-')) return 0;
        if (n >= 63) return 0;
    }
    return n > 0;
}

/* Trims spaces and tabs around the NUL-terminated string s in place and
 * returns its new start. */
static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    return s;
}

/*
 * Builds c->p->cur from the accumulated target and headers: one allocation
 * holding the request and an arena with the target, header strings, the
 * decoded path and an empty body. Fails with 413 when a declared
 * Content-Length is over the limit, 400 when the path does not decode.
 */
static int on_headers_complete(llhttp_t *p)
{
    vb_http_conn *c = conn_of(p);
    vb_http_server *s = c->server;
    if (!c->p->url_done || c->p->in_field) return fail(c, 400);

    size_t arena = c->p->hlen + c->p->url_len + 1 + 1;
    vb_http_req_priv *rp = calloc(1, sizeof(*rp) + arena);
    if (!rp) return fail(c, 500);
    vb_http_req *req = &rp->pub;
    memcpy(rp->arena, c->p->hbuf, c->p->hlen);
    req->target = rp->arena;
    char *q = memchr(req->target, '?', c->p->url_len);
    size_t path_len = q ? (size_t)(q - req->target) : c->p->url_len;
    req->query = q ? q + 1 : NULL;
    req->path = rp->arena + c->p->hlen;
    if (vb_http_pct_decode(req->target, path_len, req->path, 0) < 0) {
        free(rp);
        return fail(c, 400);
    }
    req->body = rp->arena + arena - 1; /* empty until the body arrives */
    for (size_t i = 0; i < c->p->nh; i++) {
        req->headers[i].name = rp->arena + c->p->name_off[i];
        req->headers[i].value = trim(rp->arena + c->p->value_off[i]);
    }
    req->nheaders = c->p->nh;
    req->server = s;
    req->conn = c;
    req->method = llhttp_method_name((llhttp_method_t)p->method);
    req->start_ns = c->p->begin_ns;
    memcpy(req->client_ip, c->client_ip, sizeof(req->client_ip));
    const char *rid = vb_http_header_get(req, "x-request-id");
    if (rid && request_id_ok(rid))
        snprintf(req->request_id, sizeof req->request_id, "%s", rid);
    else
        vb_id_new(req->request_id);
    req->keep_alive = llhttp_should_keep_alive(p);
    c->p->streaming = s->stream_check && s->stream_check(req, s->ud);
    if (!c->p->streaming && (p->flags & F_CONTENT_LENGTH) &&
        p->content_length > s->limits.max_body_bytes) {
        vb_http_req_free(req);
        return fail(c, 413);
    }
    c->p->cur = req;
    if (c->p->streaming) { /* dispatched now; the body waits for the handler */
        c->p->stream_ready = 1;
        vb_http_conn_set_state(c, VB_CONN_BODY);
        return HPE_PAUSED;
    }

    /* The declared length (within the limit) only caps the buffer's growth:
     * memory follows the bytes that actually arrive. */
    c->p->body_declared = (p->flags & F_CONTENT_LENGTH) ? (size_t)p->content_length : 0;
    vb_http_conn_set_state(c, VB_CONN_BODY);
    return 0;
}

/* Appends body bytes (chunked bodies arrive decoded); 413 past the limit.
 * The buffer doubles as bytes arrive (from VB_HTTP_BODY_MIN), never past
 * the declared length (+1 for the NUL) when there is one. */
static int on_body(llhttp_t *p, const char *at, size_t n)
{
    vb_http_conn *c = conn_of(p);
    if (c->p->streaming) { /* to the sink; dropped once the request was answered */
        if (c->p->sink && c->inflight) {
            /* the body timeout counts from the last progress */
            if (!c->p->body_paused) vb_http_conn_set_state(c, VB_CONN_BODY);
            c->p->sink->on_data(c->inflight, at, n, c->p->sink_ud);
        }
        return 0;
    }
    if (n > c->server->limits.max_body_bytes - c->p->body_len) return fail(c, 413);
    size_t want = c->p->body_len + n + 1;
    if (want > c->p->body_cap) {
        size_t cap = c->p->body_cap ? c->p->body_cap : VB_HTTP_BODY_MIN;
        while (cap < want)
            cap *= 2;
        size_t declared = c->p->body_declared;
        if (declared && cap > declared + 1 && want <= declared + 1) cap = declared + 1;
        char *nb = realloc(c->p->body, cap);
        if (!nb) return fail(c, 500);
        c->p->body = nb;
        c->p->body_cap = cap;
    }
    memcpy(c->p->body + c->p->body_len, at, n);
    c->p->body_len += n;
    return 0;
}

/* Hands the body to the request and pauses: the connection dispatches the
 * request once llhttp_execute() returns, and parses what follows only after
 * the answer. */
static int on_message_complete(llhttp_t *p)
{
    vb_http_conn *c = conn_of(p);
    if (c->p->streaming) { /* the request is with the handler already */
        c->p->body_done = 1;
        if (c->inflight) vb_http_conn_set_state(c, VB_CONN_BUSY);
        if (c->p->sink && c->inflight) c->p->sink->on_end(c->inflight, c->p->sink_ud);
        return HPE_PAUSED;
    }
    if (!c->p->cur) return fail(c, 400);
    vb_http_req_priv *rp = VB_CONTAINER_OF(c->p->cur, vb_http_req_priv, pub);
    if (c->p->body_len > 0) {
        c->p->body[c->p->body_len] = '\0';
        rp->pub.body = c->p->body;
        rp->pub.body_len = c->p->body_len;
        rp->body_owned = 1;
        c->p->body = NULL;
        c->p->body_cap = c->p->body_len = 0;
    }
    rp->pub.keep_alive = llhttp_should_keep_alive(p);
    c->p->msg_complete = 1;
    vb_http_conn_set_state(c, VB_CONN_BUSY);
    return HPE_PAUSED;
}

void vb_http_parse_settings(llhttp_settings_t *st)
{
    llhttp_settings_init(st);
    st->on_message_begin = on_message_begin;
    st->on_url = on_url;
    st->on_url_complete = on_url_complete;
    st->on_header_field = on_header_field;
    st->on_header_field_complete = on_header_field_complete;
    st->on_header_value = on_header_value;
    st->on_header_value_complete = on_header_value_complete;
    st->on_headers_complete = on_headers_complete;
    st->on_body = on_body;
    st->on_message_complete = on_message_complete;
}

int vb_http_parse_begin(vb_http_conn *c)
{
    if (c->p) return 0;
    c->p = calloc(1, sizeof(*c->p));
    if (!c->p) return VB_ENOMEM;
    llhttp_init(&c->p->parser, HTTP_REQUEST, &c->server->settings);
    c->p->parser.data = c;
    return 0;
}

void vb_http_parse_reset(vb_http_conn *conn)
{
    vb_http_parse *c = conn->p;
    if (!c) return;
    if (c->cur) {
        vb_http_req_free(c->cur);
        c->cur = NULL;
    }
    c->hlen = 0;
    c->hbytes = 0;
    c->url_len = 0;
    c->url_done = 0;
    c->in_field = 0;
    c->nh = 0;
    free(c->body);
    c->body = NULL;
    c->body_len = c->body_cap = 0;
    c->msg_complete = 0;
    c->streaming = c->stream_ready = c->body_done = c->body_paused = 0;
    c->sink = NULL;
    c->sink_ud = NULL;
}

void vb_http_parse_free(vb_http_conn *c)
{
    if (!c->p) return;
    vb_http_parse_reset(c);
    free(c->p->hbuf);
    free(c->p);
    c->p = NULL;
}

void vb_http_req_free(vb_http_req *req)
{
    if (!req) return;
    vb_http_req_priv *rp = VB_CONTAINER_OF(req, vb_http_req_priv, pub);
    for (size_t i = 0; i < req->nresp_headers; i++)
        free(req->resp_headers[i].name); /* the value shares the allocation */
    if (rp->body_owned) free(req->body);
    free(rp);
}

static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

/*
 * Decodes src[0..len) into dst[0..cap) (NUL-terminated). strict: a bad %xx
 * escape or a decoded NUL is an error (-1); otherwise such escapes are kept
 * literally. Returns the decoded length, -1 (bad input, strict only) or -2
 * when the result does not fit cap.
 */
static long pct_decode(const char *src, size_t len, char *dst, size_t cap, int plus_space,
                       int strict)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char ch = src[i];
        if (ch == '%') {
            int hi = i + 2 < len ? hexval((unsigned char)src[i + 1]) : -1;
            int lo = i + 2 < len ? hexval((unsigned char)src[i + 2]) : -1;
            if (hi >= 0 && lo >= 0 && (hi | lo) != 0) {
                ch = (char)(hi * 16 + lo);
                i += 2;
            } else if (strict) {
                return -1;
            }
        } else if (ch == '+' && plus_space) {
            ch = ' ';
        } else if (ch == '\0' && strict) {
            return -1;
        }
        if (o + 1 >= cap) return -2;
        dst[o++] = ch;
    }
    if (o >= cap) return -2;
    dst[o] = '\0';
    return (long)o;
}

long vb_http_pct_decode(const char *src, size_t len, char *dst, int plus_space)
{
    return pct_decode(src, len, dst, len + 1, plus_space, 1);
}

const char *vb_http_header_get(const vb_http_req *req, const char *lname)
{
    for (size_t i = 0; i < req->nheaders; i++)
        if (strcmp(req->headers[i].name, lname) == 0) return req->headers[i].value;
    return NULL;
}

/*
 * Scans the '&'-separated pairs of the raw query for one whose decoded name
 * equals name. Invalid escapes (and %00) are kept literally rather than
 * rejected, so a stray '%' does not hide a parameter. Names longer than 255
 * raw bytes are skipped.
 */
int vb_http_query_get(const vb_http_req *req, const char *name, char *out, size_t outlen)
{
    const char *q = req->query;
    if (!q) return 0;
    char key[256];
    while (*q) {
        const char *amp = strchr(q, '&');
        size_t plen = amp ? (size_t)(amp - q) : strlen(q);
        const char *eq = memchr(q, '=', plen);
        size_t klen = eq ? (size_t)(eq - q) : plen;
        if (plen > 0 && pct_decode(q, klen, key, sizeof(key), 1, 0) >= 0 &&
            strcmp(key, name) == 0) {
            const char *v = eq ? eq + 1 : q + plen;
            size_t vlen = (size_t)(q + plen - v);
            if (outlen == 0) return -1;
            return pct_decode(v, vlen, out, outlen, 1, 0) >= 0 ? 1 : -1;
        }
        if (!amp) break;
        q = amp + 1;
    }
    return 0;
}
