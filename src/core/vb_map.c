/*
 * String-keyed hash map (see vb_map.h). Each entry holds its key's hash, so
 * resizing and lookups compare hashes before strings. While a walk runs, a
 * deleted entry is only marked dead (kept in its chain so the walk's next
 * pointer stays valid) and unlinked when the last walk ends; resizing waits
 * for that moment too.
 */
#include "core/vb_map.h"

#include "core/vb_common.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MIN_BUCKETS 16

struct vb_map_ent {
    vb_map_ent *next;
    uint64_t hash;
    void *val; /* NULL: deleted during a walk */
    char key[];
};

/* FNV-1a over the key bytes. */
static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* The link that points at key's entry (live or dead), or at the end of its chain. */
static vb_map_ent **find(const vb_map *m, const char *key, uint64_t h)
{
    vb_map_ent **pp = &m->b[h & (m->nb - 1)];
    for (; *pp; pp = &(*pp)->next)
        if ((*pp)->hash == h && strcmp((*pp)->key, key) == 0) break;
    return pp;
}

/* Moves every entry into nb new buckets. Keeps the old table when out of memory. */
static void resize(vb_map *m, size_t nb)
{
    if (nb < MIN_BUCKETS) nb = MIN_BUCKETS;
    vb_map_ent **b = calloc(nb, sizeof *b);
    if (!b) return;
    for (size_t i = 0; i < m->nb; i++) {
        for (vb_map_ent *e = m->b[i], *next; e; e = next) {
            next = e->next;
            e->next = b[e->hash & (nb - 1)];
            b[e->hash & (nb - 1)] = e;
        }
    }
    free(m->b);
    m->b = b;
    m->nb = nb;
}

/* Gives back buckets when the map has become sparse (not during a walk). */
static void maybe_shrink(vb_map *m)
{
    if (m->walks) return;
    if (m->n == 0) {
        free(m->b);
        m->b = NULL;
        m->nb = 0;
        return;
    }
    size_t nb = m->nb;
    while (nb > MIN_BUCKETS && m->n < nb / 8)
        nb /= 2;
    if (nb != m->nb) resize(m, nb);
}

void *vb_map_get(const vb_map *m, const char *key)
{
    if (!m->nb || !key) return NULL;
    vb_map_ent *e = *find(m, key, hash_str(key));
    return e ? e->val : NULL;
}

int vb_map_put(vb_map *m, const char *key, void *val)
{
    if (!key || !val) return VB_EINVAL;
    uint64_t h = hash_str(key);
    if (m->nb) {
        vb_map_ent *e = *find(m, key, h);
        if (e) {
            if (!e->val) { /* dead during a walk: revive it */
                m->ndead--;
                m->n++;
            }
            e->val = val;
            return 0;
        }
    }
    if (!m->nb) {
        resize(m, MIN_BUCKETS);
        if (!m->nb) return VB_ENOMEM;
    } else if (m->n + m->ndead >= m->nb && !m->walks) {
        resize(m, m->nb * 2); /* a failed growth only lengthens the chains */
    }
    size_t klen = strlen(key);
    vb_map_ent *e = malloc(sizeof *e + klen + 1);
    if (!e) return VB_ENOMEM;
    memcpy(e->key, key, klen + 1);
    e->hash = h;
    e->val = val;
    e->next = m->b[h & (m->nb - 1)];
    m->b[h & (m->nb - 1)] = e;
    m->n++;
    return 0;
}

void *vb_map_del(vb_map *m, const char *key)
{
    if (!m->nb || !key) return NULL;
    vb_map_ent **pp = find(m, key, hash_str(key));
    vb_map_ent *e = *pp;
    if (!e || !e->val) return NULL;
    void *val = e->val;
    m->n--;
    if (m->walks) {
        e->val = NULL;
        m->ndead++;
        return val;
    }
    *pp = e->next;
    free(e);
    maybe_shrink(m);
    return val;
}

size_t vb_map_size(const vb_map *m)
{
    return m->n;
}

/* Unlinks and frees the entries deleted during the walks. */
static void purge(vb_map *m)
{
    for (size_t i = 0; i < m->nb && m->ndead; i++) {
        for (vb_map_ent **pp = &m->b[i]; *pp;) {
            vb_map_ent *e = *pp;
            if (e->val) {
                pp = &e->next;
                continue;
            }
            *pp = e->next;
            free(e);
            m->ndead--;
        }
    }
}

int vb_map_each(vb_map *m, vb_map_fn fn, void *ud)
{
    int rc = 0;
    m->walks++;
    for (size_t i = 0; i < m->nb && !rc; i++)
        for (vb_map_ent *e = m->b[i]; e && !rc; e = e->next)
            if (e->val) rc = fn(e->key, e->val, ud);
    if (--m->walks == 0) {
        purge(m);
        maybe_shrink(m);
        if (m->n > m->nb) resize(m, m->nb * 2);
    }
    return rc;
}

void vb_map_clear(vb_map *m)
{
    for (size_t i = 0; i < m->nb; i++) {
        for (vb_map_ent *e = m->b[i], *next; e; e = next) {
            next = e->next;
            free(e);
        }
    }
    free(m->b);
    memset(m, 0, sizeof *m);
}
