/* Engine.IO 4 packet and polling payload codec (see vb_eio_packet.h). */
#include "rt/vb_eio_packet.h"

#include "core/vb_common.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

int vb_eio_sb_append(vb_eio_sb *sb, const void *d, size_t n)
{
    if (sb->len + n + 1 > sb->cap) {
        size_t cap = sb->cap ? sb->cap : 64;
        while (cap < sb->len + n + 1)
            cap *= 2;
        char *p = realloc(sb->p, cap);
        if (!p) return VB_ENOMEM;
        sb->p = p;
        sb->cap = cap;
    }
    if (n && d) memcpy(sb->p + sb->len, d, n);
    sb->len += n;
    sb->p[sb->len] = '\0';
    return 0;
}

int vb_eio_sb_puts(vb_eio_sb *sb, const char *s)
{
    return vb_eio_sb_append(sb, s, strlen(s));
}

void vb_eio_sb_free(vb_eio_sb *sb)
{
    free(sb->p);
    sb->p = NULL;
    sb->len = sb->cap = 0;
}

int vb_eio_packet_decode(const char *s, size_t len, vb_eio_packet *out)
{
    if (len == 0 || s[0] < '0' || s[0] > '6') return VB_EBADREQ;
    out->type = s[0] - '0';
    out->binary = 0;
    out->data = s + 1;
    out->len = len - 1;
    return 0;
}

void vb_eio_payload_free(vb_eio_payload *p)
{
    free(p->pk);
    free(p->bin);
    p->pk = NULL;
    p->bin = NULL;
    p->n = 0;
}

/* Decodes "b<base64>" segments into storage at *binpos. 0 or VB_EBADREQ. */
static int decode_b64(const char *seg, size_t len, char *bin, size_t *binpos, vb_eio_packet *pk)
{
    size_t outlen = 0;
    const char *end = NULL;
    if (sodium_base642bin((unsigned char *)bin + *binpos, len, seg, len, NULL, &outlen, &end,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        end != seg + len)
        return VB_EBADREQ;
    pk->type = VB_EIO_MESSAGE;
    pk->binary = 1;
    pk->data = bin + *binpos;
    pk->len = outlen;
    *binpos += outlen;
    return 0;
}

int vb_eio_payload_decode(const char *body, size_t len, vb_eio_payload *out)
{
    memset(out, 0, sizeof(*out));
    if (len == 0) return VB_EBADREQ;
    size_t n = 1, nbin = 0;
    for (size_t i = 0; i < len; i++)
        n += body[i] == VB_EIO_SEP;
    for (size_t i = 0; i < len; i++)
        if (body[i] == 'b' && (i == 0 || body[i - 1] == VB_EIO_SEP)) nbin++;
    out->pk = calloc(n, sizeof(*out->pk));
    if (!out->pk) return VB_ENOMEM;
    if (nbin && !(out->bin = malloc(len))) {
        vb_eio_payload_free(out);
        return VB_ENOMEM;
    }
    size_t binpos = 0, start = 0;
    for (size_t k = 0; k < n; k++) {
        const char *sep = memchr(body + start, VB_EIO_SEP, len - start);
        size_t seglen = sep ? (size_t)(sep - (body + start)) : len - start;
        const char *seg = body + start;
        int rc = seglen && seg[0] == 'b'
                     ? decode_b64(seg + 1, seglen - 1, out->bin, &binpos, &out->pk[k])
                     : vb_eio_packet_decode(seg, seglen, &out->pk[k]);
        if (rc != 0) {
            vb_eio_payload_free(out);
            return VB_EBADREQ;
        }
        start += seglen + 1;
    }
    out->n = n;
    return 0;
}

int vb_eio_payload_append_raw(vb_eio_sb *sb, const void *pkt, size_t len)
{
    char sep = VB_EIO_SEP;
    size_t old = sb->len;
    if ((sb->len && vb_eio_sb_append(sb, &sep, 1) != 0) || vb_eio_sb_append(sb, pkt, len) != 0) {
        sb->len = old;
        if (sb->p) sb->p[old] = '\0';
        return VB_ENOMEM;
    }
    return 0;
}

int vb_eio_payload_append(vb_eio_sb *sb, int type, int binary, const void *data, size_t len)
{
    size_t old = sb->len;
    char sep = VB_EIO_SEP;
    if (sb->len && vb_eio_sb_append(sb, &sep, 1) != 0) return VB_ENOMEM;
    if (binary) {
        size_t b64 = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
        if (vb_eio_sb_append(sb, "b", 1) != 0 || vb_eio_sb_append(sb, NULL, b64) != 0) goto fail;
        /* sodium writes b64 - 1 characters and a NUL */
        sodium_bin2base64(sb->p + sb->len - b64, b64, data, len, sodium_base64_VARIANT_ORIGINAL);
        sb->len--;
        return 0;
    }
    char t = (char)('0' + type);
    if (vb_eio_sb_append(sb, &t, 1) != 0 || vb_eio_sb_append(sb, data, len) != 0) goto fail;
    return 0;
fail:
    sb->len = old;
    if (sb->p) sb->p[old] = '\0';
    return VB_ENOMEM;
}
