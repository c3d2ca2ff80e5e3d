/*
 * Incremental multipart/form-data parser (see vb_multipart.h).
 *
 * The delimiter is CRLF "--" boundary; the body is scanned as if it began
 * with a CRLF, so the first delimiter needs none. Since a boundary never
 * contains CR, a partial match that fails can only restart at a CR: the held
 * bytes (a prefix of the delimiter) are handed on as data and the scan goes
 * on, so no input is ever kept beyond the delimiter's length.
 */
#include "http/vb_multipart.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum mp_state {
    ST_PREAMBLE = 0, /* before the first delimiter; bytes discarded */
    ST_AFTER_DELIM,  /* "--" (close) or optional padding then CRLF */
    ST_HEADERS,      /* a part's header block, up to the empty line */
    ST_DATA,         /* a part's content */
    ST_END,          /* after the closing delimiter; the epilogue is ignored */
    ST_ERROR,
};

#define MAX_CTYPE 127
#define MAX_PADDING 64 /* spaces/tabs allowed after a delimiter */

struct vb_multipart {
    vb_multipart_limits lim;
    const vb_multipart_cbs *cbs;
    void *ud;
    char delim[4 + VB_MULTIPART_MAX_BOUNDARY + 1]; /* CRLF "--" boundary */
    size_t dlen;
    size_t m; /* bytes of delim matched so far */
    int state;
    int err;
    int after; /* ST_AFTER_DELIM: 0 start, 1 seen '-', 2 seen CR */
    size_t padding;
    size_t preamble;
    size_t parts;
    int in_part;
    char *hbuf; /* the current part's headers (max_header_bytes + 1) */
    size_t hlen;
};

void vb_multipart_limits_default(vb_multipart_limits *l)
{
    l->max_parts = 4;
    l->max_header_bytes = 8192;
    l->max_name = 100;
    l->max_filename = 255;
}

const char *vb_multipart_strerror(int err)
{
    switch (err) {
    case VB_MP_OK:
        return "ok";
    case VB_MP_EBOUNDARY:
        return "multipart boundary not found or malformed";
    case VB_MP_EHEADER:
        return "malformed part headers";
    case VB_MP_EHEADERSIZE:
        return "part headers too large";
    case VB_MP_EPARTS:
        return "too many parts";
    case VB_MP_ENAME:
        return "field name, file name or content type too long";
    case VB_MP_ETRUNCATED:
        return "multipart body truncated";
    case VB_MP_EABORT:
        return "stopped";
    case VB_MP_ENOMEM:
        return "out of memory";
    default:
        return "multipart error";
    }
}

/* RFC 2046 bchars. */
static int bchar(int ch)
{
    return isalnum(ch) || strchr("'()+_,-./:=? ", ch) != NULL;
}

int vb_multipart_boundary(const char *ct, char *out)
{
    if (!ct) return -1;
    static const char type[] = "multipart/form-data";
    while (*ct == ' ' || *ct == '\t')
        ct++;
    if (strncasecmp(ct, type, sizeof type - 1) != 0) return -1;
    const char *p = ct + sizeof type - 1;
    while (*p) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p != ';') return -1;
        p++;
        while (*p == ' ' || *p == '\t')
            p++;
        const char *name = p;
        while (*p && *p != '=' && *p != ';')
            p++;
        size_t nlen = (size_t)(p - name);
        if (*p != '=') return -1;
        p++;
        char val[VB_MULTIPART_MAX_BOUNDARY + 2];
        size_t vlen = 0;
        int too_long = 0;
        if (*p == '"') {
            p++;
            while (*p && *p != '"') {
                if (*p == '\\' && p[1]) p++;
                if (vlen <= VB_MULTIPART_MAX_BOUNDARY)
                    val[vlen++] = *p;
                else
                    too_long = 1;
                p++;
            }
            if (*p != '"') return -1;
            p++;
        } else {
            while (*p && *p != ';' && *p != ' ' && *p != '\t') {
                if (vlen <= VB_MULTIPART_MAX_BOUNDARY)
                    val[vlen++] = *p;
                else
                    too_long = 1;
                p++;
            }
        }
        if (nlen == 8 && strncasecmp(name, "boundary", 8) == 0) {
            if (too_long || vlen == 0 || vlen > VB_MULTIPART_MAX_BOUNDARY) return -1;
            for (size_t i = 0; i < vlen; i++)
                if (!bchar((unsigned char)val[i])) return -1;
            if (val[vlen - 1] == ' ') return -1; /* may not end in a space */
            memcpy(out, val, vlen);
            out[vlen] = '\0';
            return 0;
        }
    }
    return -1;
}

vb_multipart *vb_multipart_new(const char *boundary, const vb_multipart_limits *limits,
                               const vb_multipart_cbs *cbs, void *ud)
{
    size_t blen = strlen(boundary);
    if (blen == 0 || blen > VB_MULTIPART_MAX_BOUNDARY) return NULL;
    vb_multipart *mp = calloc(1, sizeof(*mp));
    if (!mp) return NULL;
    if (limits)
        mp->lim = *limits;
    else
        vb_multipart_limits_default(&mp->lim);
    mp->hbuf = malloc(mp->lim.max_header_bytes + 1);
    if (!mp->hbuf) {
        free(mp);
        return NULL;
    }
    mp->cbs = cbs;
    mp->ud = ud;
    memcpy(mp->delim, "\r\n--", 4);
    memcpy(mp->delim + 4, boundary, blen);
    mp->dlen = 4 + blen;
    mp->m = 2; /* the body starts as if after a CRLF */
    mp->state = ST_PREAMBLE;
    return mp;
}

void vb_multipart_free(vb_multipart *mp)
{
    if (!mp) return;
    free(mp->hbuf);
    free(mp);
}

size_t vb_multipart_parts(const vb_multipart *mp)
{
    return mp->parts;
}

static int fail(vb_multipart *mp, int err)
{
    mp->state = ST_ERROR;
    mp->err = err;
    return err;
}

/* Hands data on to the current part (in ST_DATA) or drops it (preamble). */
static int emit(vb_multipart *mp, const char *data, size_t len)
{
    if (len == 0 || mp->state != ST_DATA || !mp->cbs->on_data) return 0;
    if (mp->cbs->on_data(data, len, mp->ud) != 0) return fail(mp, VB_MP_EABORT);
    return 0;
}

/* Counts dropped preamble bytes against the limit. */
static int preamble(vb_multipart *mp, size_t n)
{
    if (mp->state != ST_PREAMBLE) return 0;
    mp->preamble += n;
    if (mp->preamble > mp->lim.max_header_bytes) return fail(mp, VB_MP_EBOUNDARY);
    return 0;
}

/* Copies a parameter value (quoted-string or token) starting at *pp into
 * out (cap bytes with the NUL); advances *pp. Returns the length, -1 when
 * malformed, -2 when too long. */
static long param_value(const char **pp, char *out, size_t cap)
{
    const char *p = *pp;
    size_t n = 0;
    int too_long = 0;
    if (*p == '"') {
        p++;
        while (*p && *p != '"') {
            if (*p == '\\' && p[1]) p++;
            if (n + 1 < cap)
                out[n++] = *p;
            else
                too_long = 1;
            p++;
        }
        if (*p != '"') return -1;
        p++;
    } else {
        while (*p && *p != ';' && *p != ' ' && *p != '\t') {
            if (n + 1 < cap)
                out[n++] = *p;
            else
                too_long = 1;
            p++;
        }
    }
    out[n] = '\0';
    *pp = p;
    return too_long ? -2 : (long)n;
}

static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

/* Decodes an RFC 5987 ext-value (UTF-8''pct-encoded) in place. 0 or -1. */
static int ext_value(char *v)
{
    if (strncasecmp(v, "utf-8'", 6) != 0) return -1;
    char *q = strchr(v + 6, '\'');
    if (!q) return -1;
    q++;
    size_t o = 0;
    for (; *q; q++) {
        int ch = (unsigned char)*q;
        if (ch == '%') {
            int hi = hexval((unsigned char)q[1]);
            int lo = hi >= 0 ? hexval((unsigned char)q[2]) : -1;
            if (hi < 0 || lo < 0 || (hi | lo) == 0) return -1;
            ch = hi * 16 + lo;
            q += 2;
        }
        v[o++] = (char)ch;
    }
    v[o] = '\0';
    return 0;
}

/* Parses a Content-Disposition value: form-data with name/filename params. */
static int disposition(vb_multipart *mp, const char *v, char *name, char *fname, int *has_file)
{
    while (*v == ' ' || *v == '\t')
        v++;
    if (strncasecmp(v, "form-data", 9) != 0) return VB_MP_EHEADER;
    v += 9;
    int have_ext = 0;
    char val[1024];
    while (*v) {
        while (*v == ' ' || *v == '\t')
            v++;
        if (!*v) break;
        if (*v != ';') return VB_MP_EHEADER;
        v++;
        while (*v == ' ' || *v == '\t')
            v++;
        const char *pn = v;
        while (*v && *v != '=' && *v != ';' && *v != ' ')
            v++;
        size_t pl = (size_t)(v - pn);
        while (*v == ' ' || *v == '\t')
            v++;
        if (*v != '=') return VB_MP_EHEADER;
        v++;
        while (*v == ' ' || *v == '\t')
            v++;
        long n = param_value(&v, val, sizeof val);
        if (n == -1) return VB_MP_EHEADER;
        if (n == -2) return VB_MP_ENAME;
        if (pl == 4 && strncasecmp(pn, "name", 4) == 0) {
            if ((size_t)n > mp->lim.max_name) return VB_MP_ENAME;
            memcpy(name, val, (size_t)n + 1);
        } else if (pl == 8 && strncasecmp(pn, "filename", 8) == 0) {
            if ((size_t)n > mp->lim.max_filename) return VB_MP_ENAME;
            if (!have_ext) memcpy(fname, val, (size_t)n + 1);
            *has_file = 1;
        } else if (pl == 9 && strncasecmp(pn, "filename*", 9) == 0) {
            if (ext_value(val) < 0) return VB_MP_EHEADER;
            if (strlen(val) > mp->lim.max_filename) return VB_MP_ENAME;
            memcpy(fname, val, strlen(val) + 1);
            *has_file = 1;
            have_ext = 1;
        }
    }
    return 0;
}

/* The header block is complete (hbuf holds it, its final CRLF included):
 * parses it and starts the part. */
static int part_begin(vb_multipart *mp)
{
    char name[1024] = "", fname[1024] = "", ctype[MAX_CTYPE + 1] = "";
    int has_file = 0, has_disp = 0, has_ctype = 0;
    mp->hbuf[mp->hlen] = '\0';
    char *line = mp->hbuf;
    for (;;) {
        char *eol = strstr(line, "\r\n");
        if (!eol) break;
        *eol = '\0';
        if (*line) {
            if (memchr(line, '\0', (size_t)(eol - line)) != NULL) return fail(mp, VB_MP_EHEADER);
            char *colon = strchr(line, ':');
            if (!colon || colon == line || *line == ' ' || *line == '\t')
                return fail(mp, VB_MP_EHEADER);
            *colon = '\0';
            char *v = colon + 1;
            while (*v == ' ' || *v == '\t')
                v++;
            size_t vl = strlen(v);
            while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
                v[--vl] = '\0';
            if (strcasecmp(line, "content-disposition") == 0) {
                if (has_disp) return fail(mp, VB_MP_EHEADER);
                has_disp = 1;
                int e = disposition(mp, v, name, fname, &has_file);
                if (e) return fail(mp, e);
            } else if (strcasecmp(line, "content-type") == 0) {
                if (vl > MAX_CTYPE) return fail(mp, VB_MP_ENAME);
                memcpy(ctype, v, vl + 1);
                has_ctype = 1;
            }
        }
        line = eol + 2;
    }
    if (!has_disp) return fail(mp, VB_MP_EHEADER);
    vb_multipart_part part = {name, has_file ? fname : NULL, has_ctype ? ctype : NULL};
    mp->in_part = 1;
    mp->state = ST_DATA;
    mp->m = 0;
    if (mp->cbs->on_part && mp->cbs->on_part(&part, mp->ud) != 0) return fail(mp, VB_MP_EABORT);
    return 0;
}

/* A delimiter was matched: the current part (if any) ends. */
static int delimiter(vb_multipart *mp)
{
    if (mp->in_part) {
        mp->in_part = 0;
        if (mp->cbs->on_part_end && mp->cbs->on_part_end(mp->ud) != 0)
            return fail(mp, VB_MP_EABORT);
    }
    mp->state = ST_AFTER_DELIM;
    mp->after = 0;
    mp->padding = 0;
    mp->m = 0;
    return 0;
}

/* Scans data in ST_PREAMBLE or ST_DATA for the delimiter; returns the bytes
 * consumed (all, or up to the end of the delimiter), or -1 on error. */
static long scan(vb_multipart *mp, const char *data, size_t len)
{
    size_t i = 0, start = 0;
    while (i < len) {
        if (mp->m > 0) {
            if (data[i] == mp->delim[mp->m]) {
                mp->m++;
                i++;
                if (mp->m == mp->dlen) return delimiter(mp) ? -1 : (long)i;
                continue;
            }
            /* mismatch: the held prefix was content after all */
            size_t held = mp->m;
            mp->m = 0;
            if (emit(mp, mp->delim, held) || preamble(mp, held)) return -1;
            start = i;
        }
        const char *cr = memchr(data + i, '\r', len - i);
        size_t j = cr ? (size_t)(cr - data) : len;
        if (emit(mp, data + start, j - start) || preamble(mp, j - start)) return -1;
        if (!cr) return (long)len;
        mp->m = 1;
        i = j + 1;
        start = i;
    }
    return (long)len;
}

int vb_multipart_feed(vb_multipart *mp, const char *data, size_t len)
{
    size_t i = 0;
    while (i < len) {
        switch (mp->state) {
        case ST_ERROR:
            return mp->err;
        case ST_END:
            return VB_MP_OK;
        case ST_PREAMBLE:
        case ST_DATA: {
            long n = scan(mp, data + i, len - i);
            if (n < 0) return mp->err;
            i += (size_t)n;
            break;
        }
        case ST_AFTER_DELIM: {
            char ch = data[i++];
            if (mp->after == 1) {
                if (ch != '-') return fail(mp, VB_MP_EBOUNDARY);
                mp->state = ST_END;
            } else if (mp->after == 2) {
                if (ch != '\n') return fail(mp, VB_MP_EBOUNDARY);
                if (mp->parts >= mp->lim.max_parts) return fail(mp, VB_MP_EPARTS);
                mp->parts++;
                mp->state = ST_HEADERS;
                mp->hlen = 0;
            } else if (ch == '-') {
                mp->after = 1;
            } else if (ch == '\r') {
                mp->after = 2;
            } else if ((ch == ' ' || ch == '\t') && ++mp->padding <= MAX_PADDING) {
                /* transport padding */
            } else {
                return fail(mp, VB_MP_EBOUNDARY);
            }
            break;
        }
        case ST_HEADERS: {
            /* Copy up to the end of the block ("\r\n" alone, or "\r\n\r\n"). */
            while (i < len) {
                if (mp->hlen >= mp->lim.max_header_bytes) return fail(mp, VB_MP_EHEADERSIZE);
                mp->hbuf[mp->hlen++] = data[i++];
                size_t h = mp->hlen;
                if ((h == 2 && memcmp(mp->hbuf, "\r\n", 2) == 0) ||
                    (h >= 4 && memcmp(mp->hbuf + h - 4, "\r\n\r\n", 4) == 0)) {
                    if (part_begin(mp)) return mp->err;
                    break;
                }
            }
            break;
        }
        default:
            return fail(mp, VB_MP_EBOUNDARY);
        }
    }
    return mp->state == ST_ERROR ? mp->err : VB_MP_OK;
}

int vb_multipart_finish(vb_multipart *mp)
{
    if (mp->state == ST_ERROR) return mp->err;
    if (mp->state == ST_END) return VB_MP_OK;
    if (mp->state == ST_PREAMBLE) return fail(mp, VB_MP_EBOUNDARY);
    return fail(mp, VB_MP_ETRUNCATED);
}
