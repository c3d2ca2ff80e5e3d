/*
 * WebSocket frames (RFC 6455 section 5): encoding of unmasked server frames,
 * decoding of client frame headers (the input path of vb_ws.c uses it to
 * find frame boundaries before wslay sees the bytes), and UTF-8 validation.
 */
#include <stdlib.h>
#include <string.h>

#include "net/vb_ws.h"
#include "net/vb_ws_internal.h"

vb_buf *vb_ws_frame(int opcode, const void *payload, size_t len)
{
    size_t hdr = len < 126 ? 2 : len <= 0xFFFF ? 4 : 10;
    if (len > SIZE_MAX - hdr - sizeof(vb_buf) - 1) return NULL;
    vb_buf *b = vb_buf_new(hdr + len);
    if (!b) return NULL;
    unsigned char *p = (unsigned char *)b->data;
    p[0] = (unsigned char)(0x80 | (opcode & 0x0F));
    if (hdr == 2) {
        p[1] = (unsigned char)len;
    } else if (hdr == 4) {
        p[1] = 126;
        p[2] = (unsigned char)(len >> 8);
        p[3] = (unsigned char)len;
    } else {
        p[1] = 127;
        uint64_t l = len;
        for (int i = 0; i < 8; i++)
            p[2 + i] = (unsigned char)(l >> (56 - 8 * i));
    }
    if (len) memcpy(p + hdr, payload, len);
    return b;
}

size_t vb_ws_hdr_len(const unsigned char *h)
{
    unsigned code = h[1] & 0x7Fu;
    size_t n = 2 + (code == 126 ? 2 : code == 127 ? 8 : 0);
    return n + ((h[1] & 0x80u) ? 4 : 0);
}

/* 1 for the opcodes wslay accepts: continuation, text, binary, close, ping,
 * pong. */
static int opcode_known(int op)
{
    return op == 0 || op == 1 || op == 2 || op == 8 || op == 9 || op == 10;
}

int vb_ws_hdr_decode(const unsigned char *p, size_t n, vb_ws_hdr *h)
{
    if (n < 2) return VB_WS_HDR_PARTIAL;
    int fin = (p[0] >> 7) & 1, rsv = (p[0] >> 4) & 7, op = p[0] & 0x0F;
    unsigned code = p[1] & 0x7Fu;
    int control = (op & 0x08) != 0;
    if (rsv || !opcode_known(op) || !(p[1] & 0x80u)) return VB_WS_HDR_BAD;
    if (control && (code > 125 || !fin)) return VB_WS_HDR_BAD;
    size_t hlen = vb_ws_hdr_len(p);
    if (n < hlen) return VB_WS_HDR_PARTIAL;
    uint64_t plen = code;
    if (code == 126) {
        plen = ((uint64_t)p[2] << 8) | p[3];
        if (plen < 126) return VB_WS_HDR_BAD;
    } else if (code == 127) {
        plen = 0;
        for (int i = 0; i < 8; i++)
            plen = (plen << 8) | p[2 + i];
        if (plen < 65536 || (plen >> 63)) return VB_WS_HDR_BAD;
    }
    h->fin = fin;
    h->opcode = op;
    h->hlen = hlen;
    h->plen = plen;
    return VB_WS_HDR_COMPLETE;
}

int vb_ws_utf8_ok(const unsigned char *p, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char c = p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        unsigned cp, min;
        if ((c & 0xE0) == 0xC0)
            n = 1, cp = c & 0x1F, min = 0x80;
        else if ((c & 0xF0) == 0xE0)
            n = 2, cp = c & 0x0F, min = 0x800;
        else if ((c & 0xF8) == 0xF0)
            n = 3, cp = c & 0x07, min = 0x10000;
        else
            return 0;
        if (len - i <= n) return 0;
        for (size_t k = 1; k <= n; k++) {
            if ((p[i + k] & 0xC0) != 0x80) return 0;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
        i += n + 1;
    }
    return 1;
}
