/*
 * Open addressing with linear probing (load <= 1/2) and backward-shift
 * deletion, plus a doubly linked list of the keys in the order their
 * windows started (now only grows, so the head is always the oldest): an
 * evicted key is the list's head, O(1).
 */
#include "app/vb_ratelimit.h"

#include <stdlib.h>
#include <string.h>

typedef struct entry {
    char key[VB_RATELIMIT_KEY_MAX + 1];
    uint64_t window_start;
    unsigned count;
    int used;
    long prev, next; /* slots in the window-order list; -1 at the ends */
} entry;

struct vb_ratelimit {
    unsigned limit;
    unsigned window_ms;
    size_t max_keys, cap, nused;
    long head, tail; /* oldest and newest window */
    entry *table;
};

static size_t hash(const char *s)
{
    size_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

vb_ratelimit *vb_ratelimit_new(unsigned limit, unsigned window_ms, size_t max_keys)
{
    vb_ratelimit *rl = calloc(1, sizeof *rl);
    if (!rl) return NULL;
    rl->limit = limit;
    rl->window_ms = window_ms ? window_ms : 60000;
    rl->max_keys = max_keys ? max_keys : VB_RATELIMIT_MAX_KEYS;
    rl->cap = rl->max_keys * 2;
    rl->head = rl->tail = -1;
    /* Nothing to track when disabled: no table. */
    if (limit) {
        rl->table = calloc(rl->cap, sizeof *rl->table);
        if (!rl->table) {
            free(rl);
            return NULL;
        }
    }
    return rl;
}

void vb_ratelimit_free(vb_ratelimit *rl)
{
    if (!rl) return;
    free(rl->table);
    free(rl);
}

size_t vb_ratelimit_size(const vb_ratelimit *rl)
{
    return rl ? rl->nused : 0;
}

static void list_unlink(vb_ratelimit *rl, long i)
{
    entry *e = &rl->table[i];
    if (e->prev >= 0)
        rl->table[e->prev].next = e->next;
    else
        rl->head = e->next;
    if (e->next >= 0)
        rl->table[e->next].prev = e->prev;
    else
        rl->tail = e->prev;
    e->prev = e->next = -1;
}

static void list_append(vb_ratelimit *rl, long i)
{
    entry *e = &rl->table[i];
    e->prev = rl->tail;
    e->next = -1;
    if (rl->tail >= 0)
        rl->table[rl->tail].next = i;
    else
        rl->head = i;
    rl->tail = i;
}

/* Moves the entry of slot from to the empty slot to, keeping the list. */
static void move_slot(vb_ratelimit *rl, long from, long to)
{
    entry *e = &rl->table[to];
    *e = rl->table[from];
    if (e->prev >= 0)
        rl->table[e->prev].next = to;
    else
        rl->head = to;
    if (e->next >= 0)
        rl->table[e->next].prev = to;
    else
        rl->tail = to;
    memset(&rl->table[from], 0, sizeof rl->table[from]);
}

/* Removes slot i; later entries of its probe run shift back into the gap. */
static void remove_slot(vb_ratelimit *rl, long i)
{
    size_t cap = rl->cap;
    list_unlink(rl, i);
    memset(&rl->table[i], 0, sizeof rl->table[i]);
    rl->nused--;
    size_t gap = (size_t)i, j = (size_t)i;
    for (;;) {
        j = (j + 1) % cap;
        if (!rl->table[j].used) return;
        size_t home = hash(rl->table[j].key) % cap;
        /* j may fill the gap when its home is not cyclically in (gap, j]. */
        int in_range = gap < j ? (home > gap && home <= j) : (home > gap || home <= j);
        if (in_range) continue;
        move_slot(rl, (long)j, (long)gap);
        gap = j;
    }
}

/* The slot of key, or of the empty slot where it would go. */
static size_t probe(const vb_ratelimit *rl, const char *key)
{
    size_t i = hash(key) % rl->cap;
    while (rl->table[i].used && strcmp(rl->table[i].key, key) != 0)
        i = (i + 1) % rl->cap;
    return i;
}

unsigned vb_ratelimit_hit(vb_ratelimit *rl, const char *key_in, uint64_t now_ms)
{
    if (!rl || rl->limit == 0 || !rl->table) return 0;
    char key[VB_RATELIMIT_KEY_MAX + 1];
    strncpy(key, key_in ? key_in : "", sizeof key - 1);
    key[sizeof key - 1] = '\0';
    size_t i = probe(rl, key);
    entry *e = &rl->table[i];
    if (!e->used) {
        if (rl->nused >= rl->max_keys) {
            /* Full: the key whose window started first goes. */
            remove_slot(rl, rl->head);
            i = probe(rl, key);
            e = &rl->table[i];
        }
        memcpy(e->key, key, sizeof e->key);
        e->used = 1;
        e->window_start = now_ms;
        e->count = 0;
        rl->nused++;
        list_append(rl, (long)i);
    } else if (now_ms - e->window_start >= rl->window_ms) {
        e->window_start = now_ms;
        e->count = 0;
        list_unlink(rl, (long)i);
        list_append(rl, (long)i);
    }
    if (e->count >= rl->limit) {
        uint64_t left = rl->window_ms - (now_ms - e->window_start);
        unsigned secs = (unsigned)((left + 999) / 1000);
        return secs ? secs : 1;
    }
    e->count++;
    return 0;
}
