/*
 * The string-keyed hash map every layer uses for its tables (sessions,
 * rooms, hub topics, presence, rate limits, chat topics, live groups).
 * Chained buckets, grows by doubling and shrinks by halving. Keys are
 * copied; values are borrowed pointers (never NULL). Not thread-safe.
 *
 * A zeroed vb_map is an empty map. vb_map_each may be called with a
 * callback that deletes entries (the current one or any other) or adds
 * some: deleted entries are not visited afterwards, added ones may or may
 * not be; the table is resized only after the walk.
 */
#ifndef VB_MAP_H
#define VB_MAP_H

#include <stddef.h>

typedef struct vb_map_ent vb_map_ent;

typedef struct vb_map {
    vb_map_ent **b;
    size_t nb;      /* buckets: a power of two, 0 while empty */
    size_t n;       /* live entries */
    size_t ndead;   /* entries deleted during a walk, unlinked after it */
    unsigned walks; /* vb_map_each calls running on this map */
} vb_map;

/* Called for each entry; returns 0 to go on, anything else to stop. */
typedef int (*vb_map_fn)(const char *key, void *val, void *ud);

/* The value stored under key, or NULL. */
void *vb_map_get(const vb_map *m, const char *key);
/* Stores val (not NULL) under key, replacing an existing value. 0, VB_EINVAL
 * or VB_ENOMEM (the map is then unchanged). */
int vb_map_put(vb_map *m, const char *key, void *val);
/* Removes key; returns its value, or NULL if absent. */
void *vb_map_del(vb_map *m, const char *key);
/* Number of entries. */
size_t vb_map_size(const vb_map *m);
/* Calls fn on every entry until it returns nonzero; returns that value or 0. */
int vb_map_each(vb_map *m, vb_map_fn fn, void *ud);
/* Frees every entry (not the values) and the buckets; the map is empty after.
 * Not from inside vb_map_each. */
void vb_map_clear(vb_map *m);

#endif
