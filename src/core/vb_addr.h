/*
 * Counting by client address: the key a client is counted under (an IPv4
 * address as is, an IPv6 address by its /64, since one host usually holds a
 * whole /64) and a table of counts per key with a ceiling, used to cap
 * connections and Engine.IO sessions per address. Loop thread only.
 */
#ifndef VB_ADDR_H
#define VB_ADDR_H

#include "core/vb_map.h"

#include <stddef.h>

#define VB_ADDR_KEY_LEN 48 /* room for any key, NUL included */

/* Writes the counting key of the textual address ip into out (at least
 * VB_ADDR_KEY_LEN bytes): IPv4 (and IPv4-mapped IPv6) addresses as dotted
 * quads, other IPv6 addresses as their /64 ("2001:db8:1:2::/64"); anything
 * else is copied (truncated). */
void vb_addr_key(const char *ip, char *out);

typedef struct vb_addr_ent vb_addr_ent;
typedef struct vb_addr_count {
    vb_map keys; /* key -> vb_addr_ent, for keys with a count above 0 */
} vb_addr_count;

/* Counts one more for key unless it already has max (max 0: no ceiling).
 * Returns the entry to give back, or NULL when refused (at max, or out of
 * memory). */
vb_addr_ent *vb_addr_take(vb_addr_count *t, const char *key, unsigned max);
/* Gives back one count taken with vb_addr_take (NULL is ignored); the entry
 * is freed when its count reaches 0. */
void vb_addr_give(vb_addr_count *t, vb_addr_ent *e);
/* The current count of key. */
unsigned vb_addr_count_of(const vb_addr_count *t, const char *key);
/* Frees every entry (outstanding ones become invalid). */
void vb_addr_clear(vb_addr_count *t);

#endif
