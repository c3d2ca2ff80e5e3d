/* Socket.IO 5 packet codec and raw-JSON helpers (see vb_sio_packet.h). */
#include "rt/vb_sio_packet.h"

#include "core/vb_common.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* JSON scanner state: validates syntax and, when nattach is set, checks
 * binary placeholders against the attachment count. */
typedef struct jscan {
    const char *p, *end;
    int check_ph;   /* 1: check placeholders */
    size_t nattach; /* attachments announced by the packet */
} jscan;

static void skip_ws(jscan *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static int is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Scans a string starting at '"'. 0 or -1. */
static int scan_string(jscan *j)
{
    j->p++;
    while (j->p < j->end) {
        unsigned char c = (unsigned char)*j->p++;
        if (c == '"') return 0;
        if (c < 0x20) return -1;
        if (c == '\\') {
            if (j->p >= j->end) return -1;
            char e = *j->p++;
            if (e == 'u') {
                if (j->end - j->p < 4) return -1;
                for (int i = 0; i < 4; i++)
                    if (!is_hex(j->p[i])) return -1;
                j->p += 4;
            } else if (!strchr("\"\\/bfnrt", e) || e == '\0') {
                return -1;
            }
        }
    }
    return -1;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Scans a number. 0 or -1. */
static int scan_number(jscan *j)
{
    if (j->p < j->end && *j->p == '-') j->p++;
    if (j->p >= j->end || !is_digit(*j->p)) return -1;
    if (*j->p == '0')
        j->p++;
    else
        while (j->p < j->end && is_digit(*j->p))
            j->p++;
    if (j->p < j->end && *j->p == '.') {
        j->p++;
        if (j->p >= j->end || !is_digit(*j->p)) return -1;
        while (j->p < j->end && is_digit(*j->p))
            j->p++;
    }
    if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
        j->p++;
        if (j->p < j->end && (*j->p == '+' || *j->p == '-')) j->p++;
        if (j->p >= j->end || !is_digit(*j->p)) return -1;
        while (j->p < j->end && is_digit(*j->p))
            j->p++;
    }
    return 0;
}

static int scan_lit(jscan *j, const char *lit)
{
    size_t n = strlen(lit);
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n) != 0) return -1;
    j->p += n;
    return 0;
}

static int scan_value(jscan *j, int depth);

/* Scans an object; detects {"_placeholder":true,"num":N} and checks N. */
static int scan_object(jscan *j, int depth)
{
    int ph = 0, has_num = 0;
    long long num = -1;
    j->p++;
    skip_ws(j);
    if (j->p < j->end && *j->p == '}') {
        j->p++;
        return 0;
    }
    for (;;) {
        skip_ws(j);
        if (j->p >= j->end || *j->p != '"') return -1;
        const char *k = j->p;
        if (scan_string(j) != 0) return -1;
        size_t klen = (size_t)(j->p - k);
        skip_ws(j);
        if (j->p >= j->end || *j->p++ != ':') return -1;
        skip_ws(j);
        const char *v = j->p;
        if (scan_value(j, depth + 1) != 0) return -1;
        size_t vlen = (size_t)(j->p - v);
        if (klen == 14 && memcmp(k, "\"_placeholder\"", 14) == 0)
            ph = vlen == 4 && memcmp(v, "true", 4) == 0;
        else if (klen == 5 && memcmp(k, "\"num\"", 5) == 0) {
            /* v[0..vlen) is not terminated: the digits are read here */
            has_num = vlen > 0 && vlen < 10;
            num = 0;
            for (size_t i = 0; i < vlen && has_num; i++) {
                has_num = is_digit(v[i]);
                num = num * 10 + (v[i] - '0');
            }
        }
        skip_ws(j);
        if (j->p >= j->end) return -1;
        if (*j->p == ',') {
            j->p++;
            continue;
        }
        if (*j->p++ != '}') return -1;
        break;
    }
    if (ph && j->check_ph && (!has_num || num < 0 || (size_t)num >= j->nattach)) return -1;
    return 0;
}

static int scan_array(jscan *j, int depth)
{
    j->p++;
    skip_ws(j);
    if (j->p < j->end && *j->p == ']') {
        j->p++;
        return 0;
    }
    for (;;) {
        skip_ws(j);
        if (scan_value(j, depth + 1) != 0) return -1;
        skip_ws(j);
        if (j->p >= j->end) return -1;
        if (*j->p == ',') {
            j->p++;
            continue;
        }
        return *j->p++ == ']' ? 0 : -1;
    }
}

/* Scans one value at j->p (no leading whitespace). 0 or -1. */
static int scan_value(jscan *j, int depth)
{
    if (depth > VB_SIO_MAX_DEPTH || j->p >= j->end) return -1;
    switch (*j->p) {
    case '{':
        return scan_object(j, depth);
    case '[':
        return scan_array(j, depth);
    case '"':
        return scan_string(j);
    case 't':
        return scan_lit(j, "true");
    case 'f':
        return scan_lit(j, "false");
    case 'n':
        return scan_lit(j, "null");
    default:
        return scan_number(j);
    }
}

/* Validates a whole JSON text; *first gets the first non-blank character. */
static int scan_all(const char *s, size_t len, int check_ph, size_t nattach, char *first)
{
    jscan j = {s, s + len, check_ph, nattach};
    skip_ws(&j);
    *first = j.p < j.end ? *j.p : '\0';
    if (scan_value(&j, 0) != 0) return VB_EBADREQ;
    skip_ws(&j);
    return j.p == j.end ? 0 : VB_EBADREQ;
}

int vb_sio_json_valid(const char *s, size_t len)
{
    char first;
    return scan_all(s, len, 0, 0, &first);
}

int vb_sio_array_inner(const char *s, size_t len, const char **inner, size_t *inner_len)
{
    jscan j = {s, s + len, 0, 0};
    skip_ws(&j);
    const char *b = j.p;
    if (b >= j.end || *b != '[') return VB_EBADREQ;
    const char *e = j.end;
    while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
        e--;
    if (e - b < 2 || e[-1] != ']') return VB_EBADREQ;
    jscan in = {b + 1, e - 1, 0, 0};
    skip_ws(&in);
    const char *ie = e - 1;
    while (ie > in.p && (ie[-1] == ' ' || ie[-1] == '\t' || ie[-1] == '\n' || ie[-1] == '\r'))
        ie--;
    *inner = in.p;
    *inner_len = (size_t)(ie - in.p);
    return 0;
}

int vb_sio_event_split(const char *data, size_t len, char **name, const char **rest,
                       size_t *rest_len)
{
    *name = NULL;
    const char *inner;
    size_t ilen;
    if (vb_sio_array_inner(data, len, &inner, &ilen) != 0 || ilen == 0 || inner[0] != '"')
        return VB_EBADREQ;
    jscan j = {inner, inner + ilen, 0, 0};
    if (scan_string(&j) != 0) return VB_EBADREQ;
    json_error_t err;
    json_t *v = json_loadb(inner, (size_t)(j.p - inner), JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    if (!v || !json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v)) {
        json_decref(v);
        return VB_EBADREQ;
    }
    *name = strdup(json_string_value(v));
    json_decref(v);
    if (!*name) return VB_ENOMEM;
    skip_ws(&j);
    if (j.p < j.end) {
        if (*j.p != ',') {
            free(*name);
            *name = NULL;
            return VB_EBADREQ;
        }
        j.p++;
        skip_ws(&j);
    }
    *rest = j.p;
    *rest_len = (size_t)(j.end - j.p);
    return 0;
}

int vb_sio_packet_decode(const char *s, size_t len, vb_sio_packet *out)
{
    memset(out, 0, sizeof(*out));
    out->id = -1;
    out->nsp = "/";
    out->nsp_len = 1;
    size_t i = 0;
    if (len == 0 || s[0] < '0' || s[0] > '6') return VB_EBADREQ;
    out->type = s[i++] - '0';
    int binary = out->type == VB_SIO_BINARY_EVENT || out->type == VB_SIO_BINARY_ACK;
    if (binary) {
        size_t n = 0, digits = 0;
        while (i < len && is_digit(s[i]) && digits < 4)
            n = n * 10 + (size_t)(s[i++] - '0'), digits++;
        if (!digits || i >= len || s[i] != '-' || n < 1 || n > VB_SIO_MAX_ATTACHMENTS)
            return VB_EBADREQ;
        i++;
        out->attachments = n;
    }
    if (i < len && s[i] == '/') {
        size_t start = i;
        while (i < len && s[i] != ',')
            i++;
        out->nsp = s + start;
        out->nsp_len = i - start;
        if (out->nsp_len > VB_SIO_MAX_NSP) return VB_EBADREQ;
        if (i < len) i++; /* the ',' */
    }
    if (i < len && is_digit(s[i])) {
        int64_t id = 0;
        size_t digits = 0;
        while (i < len && is_digit(s[i])) {
            if (++digits > 16) return VB_EBADREQ;
            id = id * 10 + (s[i++] - '0');
        }
        if (id > VB_SIO_MAX_ACK_ID) return VB_EBADREQ;
        out->id = id;
    }
    char first = '\0';
    if (i < len) {
        out->data = s + i;
        out->data_len = len - i;
        if (scan_all(out->data, out->data_len, binary, out->attachments, &first) != 0)
            return VB_EBADREQ;
    }
    switch (out->type) {
    case VB_SIO_CONNECT:
        return !out->data || first == '{' ? 0 : VB_EBADREQ;
    case VB_SIO_DISCONNECT:
        return out->data ? VB_EBADREQ : 0;
    case VB_SIO_CONNECT_ERROR:
        return first == '{' || first == '"' ? 0 : VB_EBADREQ;
    case VB_SIO_ACK:
    case VB_SIO_BINARY_ACK:
        return first == '[' && out->id >= 0 ? 0 : VB_EBADREQ;
    default: {
        const char *inner;
        size_t ilen;
        if (first != '[' || vb_sio_array_inner(out->data, out->data_len, &inner, &ilen) != 0 ||
            ilen == 0 || inner[0] != '"')
            return VB_EBADREQ;
        return 0;
    }
    }
}

int vb_sio_packet_encode(vb_eio_sb *sb, int type, const char *nsp, int64_t id, size_t attachments,
                         const char *data, size_t data_len)
{
    char head[64];
    int n = snprintf(head, sizeof(head), "%d", type);
    if (type == VB_SIO_BINARY_EVENT || type == VB_SIO_BINARY_ACK)
        n += snprintf(head + n, sizeof(head) - (size_t)n, "%zu-", attachments);
    if (vb_eio_sb_append(sb, head, (size_t)n) != 0) return VB_ENOMEM;
    if (nsp && strcmp(nsp, "/") != 0 &&
        (vb_eio_sb_puts(sb, nsp) != 0 || vb_eio_sb_append(sb, ",", 1) != 0))
        return VB_ENOMEM;
    if (id >= 0) {
        n = snprintf(head, sizeof(head), "%lld", (long long)id);
        if (vb_eio_sb_append(sb, head, (size_t)n) != 0) return VB_ENOMEM;
    }
    if (data && data_len && vb_eio_sb_append(sb, data, data_len) != 0) return VB_ENOMEM;
    return 0;
}

/* Appends s as a quoted, escaped JSON string. 0 or VB_ENOMEM. */
static int vb_sio_json_quote(vb_eio_sb *sb, const char *s)
{
    if (vb_eio_sb_append(sb, "\"", 1) != 0) return VB_ENOMEM;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[8];
        const char *e = NULL;
        if (c == '"')
            e = "\\\"";
        else if (c == '\\')
            e = "\\\\";
        else if (c == '\n')
            e = "\\n";
        else if (c == '\r')
            e = "\\r";
        else if (c == '\t')
            e = "\\t";
        else if (c < 0x20) {
            snprintf(esc, sizeof(esc), "\\u%04x", c);
            e = esc;
        }
        if (e ? vb_eio_sb_puts(sb, e) : vb_eio_sb_append(sb, s, 1)) return VB_ENOMEM;
    }
    return vb_eio_sb_append(sb, "\"", 1);
}

int vb_sio_args_encode(vb_eio_sb *sb, const char *name, const char *inner, size_t inner_len)
{
    if (vb_eio_sb_append(sb, "[", 1) != 0) return VB_ENOMEM;
    if (name && vb_sio_json_quote(sb, name) != 0) return VB_ENOMEM;
    if (name && inner_len && vb_eio_sb_append(sb, ",", 1) != 0) return VB_ENOMEM;
    if (inner_len && vb_eio_sb_append(sb, inner, inner_len) != 0) return VB_ENOMEM;
    return vb_eio_sb_append(sb, "]", 1);
}
