/* Counting by client address (see vb_addr.h). */
#include "core/vb_addr.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct vb_addr_ent {
    vb_addr_ent *next;
    size_t hash;
    unsigned count;
    char key[VB_ADDR_KEY_LEN];
};

void vb_addr_key(const char *ip, char *out)
{
    unsigned char a[16];
    if (strchr(ip, ':') && inet_pton(AF_INET6, ip, a) == 1) {
        static const unsigned char v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (memcmp(a, v4mapped, 12) == 0) {
            inet_ntop(AF_INET, a + 12, out, VB_ADDR_KEY_LEN);
            return;
        }
        memset(a + 8, 0, 8);
        inet_ntop(AF_INET6, a, out, VB_ADDR_KEY_LEN - 3); /* at most 45 bytes */
        size_t n = strlen(out);
        snprintf(out + n, VB_ADDR_KEY_LEN - n, "/64");
        return;
    }
    snprintf(out, VB_ADDR_KEY_LEN, "%s", ip);
}

/* FNV-1a over the key bytes. */
static size_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return (size_t)h;
}

static vb_addr_ent *find(const vb_addr_count *t, const char *key, size_t h)
{
    if (!t->nb) return NULL;
    for (vb_addr_ent *e = t->b[h & (t->nb - 1)]; e; e = e->next)
        if (e->hash == h && strcmp(e->key, key) == 0) return e;
    return NULL;
}

/* Doubles the bucket array (or creates it). 0, or -1 when out of memory. */
static int grow(vb_addr_count *t)
{
    size_t nb = t->nb ? t->nb * 2 : 16;
    vb_addr_ent **b = calloc(nb, sizeof(*b));
    if (!b) return -1;
    for (size_t i = 0; i < t->nb; i++) {
        vb_addr_ent *e = t->b[i];
        while (e) {
            vb_addr_ent *n = e->next;
            e->next = b[e->hash & (nb - 1)];
            b[e->hash & (nb - 1)] = e;
            e = n;
        }
    }
    free(t->b);
    t->b = b;
    t->nb = nb;
    return 0;
}

vb_addr_ent *vb_addr_take(vb_addr_count *t, const char *key, unsigned max)
{
    size_t h = hash_str(key);
    vb_addr_ent *e = find(t, key, h);
    if (e) {
        if (max && e->count >= max) return NULL;
        e->count++;
        return e;
    }
    if (t->n >= t->nb && grow(t) != 0) return NULL;
    e = calloc(1, sizeof(*e));
    if (!e) return NULL;
    e->hash = h;
    e->count = 1;
    snprintf(e->key, sizeof(e->key), "%s", key);
    e->next = t->b[h & (t->nb - 1)];
    t->b[h & (t->nb - 1)] = e;
    t->n++;
    return e;
}

void vb_addr_give(vb_addr_count *t, vb_addr_ent *e)
{
    if (!e || --e->count > 0) return;
    vb_addr_ent **pp = &t->b[e->hash & (t->nb - 1)];
    while (*pp != e)
        pp = &(*pp)->next;
    *pp = e->next;
    free(e);
    t->n--;
}

unsigned vb_addr_count_of(const vb_addr_count *t, const char *key)
{
    vb_addr_ent *e = find(t, key, hash_str(key));
    return e ? e->count : 0;
}

void vb_addr_clear(vb_addr_count *t)
{
    for (size_t i = 0; i < t->nb; i++) {
        vb_addr_ent *e = t->b[i];
        while (e) {
            vb_addr_ent *n = e->next;
            free(e);
            e = n;
        }
    }
    free(t->b);
    t->b = NULL;
    t->nb = t->n = 0;
}
