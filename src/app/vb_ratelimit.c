#include "app/vb_ratelimit.h"

#include <stdlib.h>
#include <string.h>

#define VB_ARRAY_CAP (VB_RATELIMIT_MAX_KEYS * 2)

typedef struct entry {
    char key[48];
    uint64_t window_start;
    unsigned count;
    int used;
} entry;

struct vb_ratelimit {
    unsigned limit;
    unsigned window_ms;
    size_t nused;
    entry table[VB_RATELIMIT_MAX_KEYS * 2]; /* open addressing, load <= 1/2 */
};

static size_t hash(const char *s)
{
    size_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

vb_ratelimit *vb_ratelimit_new(unsigned limit, unsigned window_ms)
{
    vb_ratelimit *rl = calloc(1, sizeof *rl);
    if (!rl) return NULL;
    rl->limit = limit;
    rl->window_ms = window_ms ? window_ms : 60000;
    return rl;
}

void vb_ratelimit_free(vb_ratelimit *rl)
{
    free(rl);
}

/* Rebuilds the table keeping only windows that are still open. */
static void sweep(vb_ratelimit *rl, uint64_t now_ms)
{
    size_t cap = VB_ARRAY_CAP;
    entry *old = malloc(sizeof rl->table);
    if (!old) {
        memset(rl->table, 0, sizeof rl->table);
        rl->nused = 0;
        return;
    }
    memcpy(old, rl->table, sizeof rl->table);
    memset(rl->table, 0, sizeof rl->table);
    rl->nused = 0;
    for (size_t i = 0; i < cap; i++) {
        if (!old[i].used || now_ms - old[i].window_start >= rl->window_ms) continue;
        size_t j = hash(old[i].key) % cap;
        while (rl->table[j].used)
            j = (j + 1) % cap;
        rl->table[j] = old[i];
        rl->nused++;
    }
    free(old);
}

unsigned vb_ratelimit_hit(vb_ratelimit *rl, const char *key, uint64_t now_ms)
{
    if (!rl || rl->limit == 0) return 0;
    size_t cap = VB_ARRAY_CAP;
    if (rl->nused >= VB_RATELIMIT_MAX_KEYS) sweep(rl, now_ms);
    if (rl->nused >= VB_RATELIMIT_MAX_KEYS) {
        /* Every tracked address is inside its window: start over rather than
         * refuse strangers; the bound on memory matters more here. */
        memset(rl->table, 0, sizeof rl->table);
        rl->nused = 0;
    }
    size_t i = hash(key) % cap;
    while (rl->table[i].used && strcmp(rl->table[i].key, key) != 0)
        i = (i + 1) % cap;
    entry *e = &rl->table[i];
    if (!e->used) {
        e->used = 1;
        strncpy(e->key, key, sizeof e->key - 1);
        e->window_start = now_ms;
        e->count = 0;
        rl->nused++;
    }
    if (now_ms - e->window_start >= rl->window_ms) {
        e->window_start = now_ms;
        e->count = 0;
    }
    if (e->count >= rl->limit) {
        uint64_t left = rl->window_ms - (now_ms - e->window_start);
        unsigned secs = (unsigned)((left + 999) / 1000);
        return secs ? secs : 1;
    }
    e->count++;
    return 0;
}
