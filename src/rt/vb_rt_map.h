/*
 * A small string-keyed hash map (chained, grows by doubling) used by the
 * real-time layer for session ids, namespaces and rooms. Keys are copied;
 * values are borrowed pointers. Loop thread only.
 */
#ifndef VB_RT_MAP_H
#define VB_RT_MAP_H

#include <stddef.h>

typedef struct vb_rt_map_ent {
    struct vb_rt_map_ent *next;
    void *val;
    char key[]; /* NUL-terminated copy */
} vb_rt_map_ent;

typedef struct vb_rt_map {
    vb_rt_map_ent **b;
    size_t nb; /* buckets, a power of two (0 before the first put) */
    size_t n;  /* entries */
} vb_rt_map;

/* Frees every entry (not the values) and resets the map to empty. */
void vb_rt_map_clear(vb_rt_map *m);
/* The value stored under key, or NULL. */
void *vb_rt_map_get(const vb_rt_map *m, const char *key);
/* Stores val under key (replacing an existing value). 0 or VB_ENOMEM. */
int vb_rt_map_put(vb_rt_map *m, const char *key, void *val);
/* Removes key; returns its value or NULL if absent. */
void *vb_rt_map_del(vb_rt_map *m, const char *key);
/* Calls fn on every value; fn must not modify the map. */
void vb_rt_map_each(const vb_rt_map *m, void (*fn)(void *val, void *ud), void *ud);

#endif
