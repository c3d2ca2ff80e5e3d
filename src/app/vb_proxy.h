/*
 * Who the client is: the peer address, or, when the peer is a trusted proxy
 * (TRUST_PROXY: addresses or CIDRs), the address its X-Forwarded-For names.
 * Clients are counted under the key core/vb_addr.h gives that address (an
 * IPv6 client by its /64), by the rate limits and the per-address caps alike.
 */
#ifndef VB_PROXY_H
#define VB_PROXY_H

#include <stddef.h>

#define VB_PROXY_MAX 64      /* entries in TRUST_PROXY */
#define VB_PROXY_ADDR_LEN 48 /* text of an address or a rate key, with its NUL */
#define VB_PROXY_XFF_HOPS 16 /* X-Forwarded-For entries looked at, from the right */

typedef struct vb_proxy vb_proxy;

/* Parses a comma-separated list of addresses and CIDRs ("10.0.0.0/8,
 * ::1, 192.0.2.7"); an empty list trusts nobody. Returns 0 and *out, or -1
 * with a message naming the bad entry in err. */
int vb_proxy_parse(const char *list, vb_proxy **out, char *err, size_t errlen);
void vb_proxy_free(vb_proxy *p);
/* 1 if ip (text) is one of p's proxies. */
int vb_proxy_trusted(const vb_proxy *p, const char *ip);
/* The client address of a request from peer carrying X-Forwarded-For xff
 * (may be NULL): peer unless it is trusted; then X-Forwarded-For is walked
 * from the right past trusted proxies, and the first other valid address is
 * the client (a malformed entry stops the walk at the last trusted hop). */
void vb_proxy_client(const vb_proxy *p, const char *peer, const char *xff,
                     char out[VB_PROXY_ADDR_LEN]);

#endif
