#include "app/vb_proxy.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct net {
    unsigned char a[16]; /* IPv6, or IPv4 mapped (::ffff:a.b.c.d) */
    int bits;            /* prefix length over the 128 bits */
} net;

struct vb_proxy {
    size_t n;
    net nets[VB_PROXY_MAX];
};

/* Parses an address into 16 bytes (IPv4 mapped); *v4 tells which. 0 or -1. */
static int parse_addr(const char *s, size_t len, unsigned char a[16], int *v4)
{
    char buf[VB_PROXY_ADDR_LEN];
    if (len == 0 || len >= sizeof buf) return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    unsigned char b4[4];
    if (inet_pton(AF_INET, buf, b4) == 1) {
        memset(a, 0, 10);
        a[10] = a[11] = 0xff;
        memcpy(a + 12, b4, 4);
        *v4 = 1;
        return 0;
    }
    if (inet_pton(AF_INET6, buf, a) == 1) {
        static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        *v4 = memcmp(a, mapped, 12) == 0;
        return 0;
    }
    return -1;
}

static int net_contains(const net *n, const unsigned char a[16])
{
    int full = n->bits / 8, rest = n->bits % 8;
    if (memcmp(n->a, a, (size_t)full) != 0) return 0;
    if (!rest) return 1;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (n->a[full] & mask) == (a[full] & mask);
}

int vb_proxy_parse(const char *list, vb_proxy **out, char *err, size_t errlen)
{
    vb_proxy *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (const char *s = list ? list : ""; *s;) {
        while (*s == ' ' || *s == ',')
            s++;
        if (!*s) break;
        size_t len = strcspn(s, ", ");
        const char *slash = memchr(s, '/', len);
        size_t alen = slash ? (size_t)(slash - s) : len;
        int v4 = 0, bits = -1;
        net n;
        if (p->n == VB_PROXY_MAX || parse_addr(s, alen, n.a, &v4) != 0) goto bad;
        if (slash) {
            char *end;
            long b = strtol(slash + 1, &end, 10);
            if (end != s + len || end == slash + 1 || b < 0 || b > (v4 ? 32 : 128)) goto bad;
            bits = (int)b;
        }
        n.bits = bits < 0 ? 128 : (v4 ? bits + 96 : bits);
        p->nets[p->n++] = n;
        s += len;
        continue;
    bad:
        snprintf(err, errlen, "TRUST_PROXY: '%.*s' is not an address or CIDR%s", (int)len, s,
                 p->n == VB_PROXY_MAX ? " (too many entries)" : "");
        free(p);
        return -1;
    }
    *out = p;
    return 0;
}

void vb_proxy_free(vb_proxy *p)
{
    free(p);
}

static int trusted_bytes(const vb_proxy *p, const unsigned char a[16])
{
    for (size_t i = 0; p && i < p->n; i++)
        if (net_contains(&p->nets[i], a)) return 1;
    return 0;
}

int vb_proxy_trusted(const vb_proxy *p, const char *ip)
{
    unsigned char a[16];
    int v4;
    if (!p || !p->n || !ip || parse_addr(ip, strlen(ip), a, &v4) != 0) return 0;
    return trusted_bytes(p, a);
}

/* Writes the canonical text of a into out. */
static void addr_text(const unsigned char a[16], int v4, char out[VB_PROXY_ADDR_LEN])
{
    if (!inet_ntop(v4 ? AF_INET : AF_INET6, v4 ? a + 12 : a, out, VB_PROXY_ADDR_LEN)) out[0] = '\0';
}

void vb_proxy_client(const vb_proxy *p, const char *peer, const char *xff,
                     char out[VB_PROXY_ADDR_LEN])
{
    snprintf(out, VB_PROXY_ADDR_LEN, "%s", peer ? peer : "");
    if (!xff || !vb_proxy_trusted(p, out)) return;
    const char *end = xff + strlen(xff);
    for (int hop = 0; hop < VB_PROXY_XFF_HOPS && end > xff; hop++) {
        const char *start = end;
        while (start > xff && start[-1] != ',')
            start--;
        const char *a = start, *b = end;
        while (a < b && (*a == ' ' || *a == '\t'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
            b--;
        unsigned char bytes[16];
        int v4;
        if (parse_addr(a, (size_t)(b - a), bytes, &v4) != 0) return;
        addr_text(bytes, v4, out);
        if (!trusted_bytes(p, bytes)) return;
        end = start > xff ? start - 1 : xff;
    }
}
