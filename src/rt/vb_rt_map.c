/* String-keyed chained hash map (see vb_rt_map.h). */
#include "rt/vb_rt_map.h"

#include "core/vb_common.h"

#include <stdlib.h>
#include <string.h>

/* FNV-1a over the key bytes. */
static size_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return (size_t)h;
}

void vb_rt_map_clear(vb_rt_map *m)
{
    for (size_t i = 0; i < m->nb; i++) {
        vb_rt_map_ent *e = m->b[i];
        while (e) {
            vb_rt_map_ent *n = e->next;
            free(e);
            e = n;
        }
    }
    free(m->b);
    m->b = NULL;
    m->nb = m->n = 0;
}

void *vb_rt_map_get(const vb_rt_map *m, const char *key)
{
    if (!m->nb) return NULL;
    for (vb_rt_map_ent *e = m->b[hash_str(key) & (m->nb - 1)]; e; e = e->next)
        if (strcmp(e->key, key) == 0) return e->val;
    return NULL;
}

/* Doubles the bucket array (or creates it). 0 or VB_ENOMEM. */
static int grow(vb_rt_map *m)
{
    size_t nb = m->nb ? m->nb * 2 : 16;
    vb_rt_map_ent **b = calloc(nb, sizeof(*b));
    if (!b) return VB_ENOMEM;
    for (size_t i = 0; i < m->nb; i++) {
        vb_rt_map_ent *e = m->b[i];
        while (e) {
            vb_rt_map_ent *n = e->next;
            size_t k = hash_str(e->key) & (nb - 1);
            e->next = b[k];
            b[k] = e;
            e = n;
        }
    }
    free(m->b);
    m->b = b;
    m->nb = nb;
    return 0;
}

int vb_rt_map_put(vb_rt_map *m, const char *key, void *val)
{
    if (m->nb) {
        for (vb_rt_map_ent *e = m->b[hash_str(key) & (m->nb - 1)]; e; e = e->next) {
            if (strcmp(e->key, key) == 0) {
                e->val = val;
                return 0;
            }
        }
    }
    if ((m->n + 1 > m->nb * 2 || !m->nb) && grow(m) != 0) return VB_ENOMEM;
    size_t klen = strlen(key);
    vb_rt_map_ent *e = malloc(sizeof(*e) + klen + 1);
    if (!e) return VB_ENOMEM;
    memcpy(e->key, key, klen + 1);
    e->val = val;
    size_t k = hash_str(key) & (m->nb - 1);
    e->next = m->b[k];
    m->b[k] = e;
    m->n++;
    return 0;
}

void *vb_rt_map_del(vb_rt_map *m, const char *key)
{
    if (!m->nb) return NULL;
    vb_rt_map_ent **pp = &m->b[hash_str(key) & (m->nb - 1)];
    for (; *pp; pp = &(*pp)->next) {
        if (strcmp((*pp)->key, key) == 0) {
            vb_rt_map_ent *e = *pp;
            void *val = e->val;
            *pp = e->next;
            free(e);
            m->n--;
            return val;
        }
    }
    return NULL;
}

void vb_rt_map_each(const vb_rt_map *m, void (*fn)(void *val, void *ud), void *ud)
{
    for (size_t i = 0; i < m->nb; i++)
        for (vb_rt_map_ent *e = m->b[i]; e; e = e->next)
            fn(e->val, ud);
}
