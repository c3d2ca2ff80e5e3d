/*
 * The router: route patterns compiled once into segment lists, matched by a
 * linear scan that keeps the most specific match (literal segments beat
 * parameters, compared left to right). A hundred routes scan in well under a
 * microsecond, so no tree is needed.
 */
#include "http/vb_router.h"
#include "core/vb_common.h"
#include "core/vb_log.h"

#include <stdlib.h>
#include <string.h>

#define VB_ROUTE_MAX_SEGS 16
#define VB_SEG_MAX 127 /* longest decoded segment that can match (params are 127 + NUL) */

typedef struct vb_seg {
    const char *text; /* literal text, or the parameter name without ':' */
    size_t len;
    int is_param;
} vb_seg;

typedef struct vb_croute {
    const vb_route *route;
    char *buf; /* copy of the pattern with '/' replaced by NUL; segs point into it */
    vb_seg segs[VB_ROUTE_MAX_SEGS];
    size_t nsegs;
} vb_croute;

struct vb_router {
    vb_croute *routes;
    size_t n;
};

/*
 * Compiles route->pattern into c. The pattern must start with '/', have no
 * empty segments, at most VB_ROUTE_MAX_SEGS segments and at most
 * VB_ROUTE_MAX_PARAMS named parameters. Returns 0, VB_EINVAL or VB_ENOMEM.
 */
static int compile(vb_croute *c, const vb_route *route)
{
    const char *pat = route->pattern;
    size_t nparams = 0;
    char *p;

    c->route = route;
    c->nsegs = 0;
    if (!pat || pat[0] != '/' || !route->method) return VB_EINVAL;
    c->buf = strdup(pat + 1);
    if (!c->buf) return VB_ENOMEM;
    if (c->buf[0] == '\0') return 0; /* "/" */
    p = c->buf;
    for (;;) {
        char *slash = strchr(p, '/');
        vb_seg *s;
        if (slash) *slash = '\0';
        if (*p == '\0' || c->nsegs == VB_ROUTE_MAX_SEGS) return VB_EINVAL;
        s = &c->segs[c->nsegs++];
        s->is_param = p[0] == ':';
        s->text = s->is_param ? p + 1 : p;
        s->len = strlen(s->text);
        if (s->is_param && (s->len == 0 || ++nparams > VB_ROUTE_MAX_PARAMS)) return VB_EINVAL;
        if (!slash) break;
        p = slash + 1;
    }
    return 0;
}

/* 1 if a and b have the same method and the same shape (literals equal,
 * parameters in the same places, whatever their names). */
static int same_shape(const vb_croute *a, const vb_croute *b)
{
    if (strcmp(a->route->method, b->route->method) != 0 || a->nsegs != b->nsegs) return 0;
    for (size_t i = 0; i < a->nsegs; i++) {
        if (a->segs[i].is_param != b->segs[i].is_param) return 0;
        if (!a->segs[i].is_param && strcmp(a->segs[i].text, b->segs[i].text) != 0) return 0;
    }
    return 1;
}

/*
 * Builds the router over groups (borrowed). Every pattern is compiled; a
 * malformed pattern, two routes of the same method and shape, or a repeated
 * operationId is a programming error reported as VB_EINVAL (and logged).
 */
int vb_router_new(vb_router **out, const vb_route_group *groups, size_t ngroups)
{
    vb_router *r = calloc(1, sizeof *r);
    size_t total = 0;
    int rc = VB_ENOMEM;

    *out = NULL;
    if (!r) return VB_ENOMEM;
    for (size_t g = 0; g < ngroups; g++)
        total += groups[g].n;
    r->routes = calloc(total ? total : 1, sizeof *r->routes);
    if (!r->routes) goto fail;
    for (size_t g = 0; g < ngroups; g++) {
        for (size_t i = 0; i < groups[g].n; i++) {
            const vb_route *route = &groups[g].routes[i];
            vb_croute *c = &r->routes[r->n++];
            rc = compile(c, route);
            if (rc != 0) {
                vb_log(VB_LOG_ERROR, "router: bad route pattern %s", route->pattern);
                goto fail;
            }
            for (size_t j = 0; j + 1 < r->n; j++) {
                const vb_route *o = r->routes[j].route;
                rc = VB_EINVAL;
                if (same_shape(&r->routes[j], c)) {
                    vb_log(VB_LOG_ERROR, "router: %s %s duplicates %s %s", route->method,
                           route->pattern, o->method, o->pattern);
                    goto fail;
                }
                if (o->op_id && route->op_id && strcmp(o->op_id, route->op_id) == 0) {
                    vb_log(VB_LOG_ERROR, "router: operationId %s used by %s %s and %s %s",
                           route->op_id, o->method, o->pattern, route->method, route->pattern);
                    goto fail;
                }
            }
        }
    }
    *out = r;
    return 0;
fail:
    vb_router_free(r);
    return rc;
}

void vb_router_free(vb_router *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->n; i++)
        free(r->routes[i].buf);
    free(r->routes);
    free(r);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/*
 * Percent-decodes s[0..n) into out[VB_SEG_MAX + 1]. Returns the decoded
 * length, or -1 if an escape is malformed, decodes to NUL, or the result is
 * longer than VB_SEG_MAX bytes.
 */
static long decode_seg(const char *s, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%') {
            int hi = i + 2 < n ? hexval(s[i + 1]) : -1;
            int lo = i + 2 < n ? hexval(s[i + 2]) : -1;
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) return -1;
            c = (char)(hi * 16 + lo);
            i += 2;
        }
        if (o == VB_SEG_MAX) return -1;
        out[o++] = c;
    }
    out[o] = '\0';
    return (long)o;
}

/* The decoded segments of one request path. */
typedef struct vb_path {
    char seg[VB_ROUTE_MAX_SEGS][VB_SEG_MAX + 1];
    size_t len[VB_ROUTE_MAX_SEGS];
    size_t n;
} vb_path;

/*
 * Splits path into decoded segments. One trailing slash is ignored; any other
 * empty segment, a malformed escape, an over-long segment or more segments
 * than any route can have makes the path unroutable (returns -1).
 */
static int split_path(const char *path, vb_path *out)
{
    size_t n;
    const char *p;

    out->n = 0;
    if (!path || path[0] != '/' || path[1] == '/') return -1;
    n = strlen(path);
    if (n > 1 && path[n - 1] == '/') n--;
    if (n == 1) return 0; /* "/" */
    p = path + 1;
    while (p < path + n) {
        const char *e = memchr(p, '/', (size_t)(path + n - p));
        size_t len;
        long d;
        if (!e) e = path + n;
        len = (size_t)(e - p);
        if (len == 0 || out->n == VB_ROUTE_MAX_SEGS) return -1;
        d = decode_seg(p, len, out->seg[out->n]);
        if (d < 0) return -1;
        out->len[out->n++] = (size_t)d;
        p = e + 1;
    }
    /* A path ending in "//" leaves an empty last segment. */
    if (path[n - 1] == '/') return -1;
    return 0;
}

static int route_matches(const vb_croute *c, const vb_path *p)
{
    if (c->nsegs != p->n) return 0;
    for (size_t i = 0; i < p->n; i++) {
        const vb_seg *s = &c->segs[i];
        if (s->is_param) continue;
        if (s->len != p->len[i] || memcmp(s->text, p->seg[i], s->len) != 0) return 0;
    }
    return 1;
}

/* 1 if a is more specific than b: at the first position where one has a
 * literal and the other a parameter, the literal wins. */
static int more_specific(const vb_croute *a, const vb_croute *b)
{
    for (size_t i = 0; i < a->nsegs && i < b->nsegs; i++)
        if (a->segs[i].is_param != b->segs[i].is_param) return !a->segs[i].is_param;
    return 0;
}

/* See vb_router.h. params and method_mismatch may be NULL. */
const vb_route *vb_router_match(const vb_router *r, const char *method, const char *path,
                                vb_route_params *params, int *method_mismatch)
{
    vb_path p;
    const vb_croute *best = NULL;
    int other_method = 0;

    if (method_mismatch) *method_mismatch = 0;
    if (params) params->n = 0;
    if (!r || !method || split_path(path, &p) != 0) return NULL;
    for (size_t i = 0; i < r->n; i++) {
        const vb_croute *c = &r->routes[i];
        if (!route_matches(c, &p)) continue;
        if (strcmp(c->route->method, method) != 0) {
            other_method = 1;
            continue;
        }
        if (!best || more_specific(c, best)) best = c;
    }
    if (!best) {
        if (method_mismatch) *method_mismatch = other_method;
        return NULL;
    }
    if (params) {
        for (size_t i = 0; i < best->nsegs; i++) {
            if (!best->segs[i].is_param) continue;
            params->p[params->n].name = best->segs[i].text;
            memcpy(params->p[params->n].value, p.seg[i], p.len[i] + 1);
            params->n++;
        }
    }
    return best->route;
}

void vb_router_each(const vb_router *r, void (*fn)(const vb_route *route, void *ud), void *ud)
{
    for (size_t i = 0; r && i < r->n; i++)
        fn(r->routes[i].route, ud);
}
