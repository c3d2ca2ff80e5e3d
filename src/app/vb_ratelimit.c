/*
 * A map of keys (core/vb_map.h) to records, plus a doubly linked list of
 * the records in the order their windows started (now only grows, so the
 * head is always the oldest): an evicted key is the list's head, O(1).
 */
#include "app/vb_ratelimit.h"

#include "core/vb_map.h"

#include <stdlib.h>
#include <string.h>

typedef struct entry {
    struct entry *prev, *next; /* the window-order list */
    uint64_t window_start;
    unsigned count;
    char key[VB_RATELIMIT_KEY_MAX + 1];
} entry;

struct vb_ratelimit {
    unsigned limit;
    unsigned window_ms;
    size_t max_keys;
    entry *head, *tail; /* oldest and newest window */
    vb_map keys;        /* key -> entry */
};

vb_ratelimit *vb_ratelimit_new(unsigned limit, unsigned window_ms, size_t max_keys)
{
    vb_ratelimit *rl = calloc(1, sizeof *rl);
    if (!rl) return NULL;
    rl->limit = limit;
    rl->window_ms = window_ms ? window_ms : 60000;
    rl->max_keys = max_keys ? max_keys : VB_RATELIMIT_MAX_KEYS;
    return rl;
}

void vb_ratelimit_free(vb_ratelimit *rl)
{
    if (!rl) return;
    for (entry *e = rl->head, *next; e; e = next) {
        next = e->next;
        free(e);
    }
    vb_map_clear(&rl->keys);
    free(rl);
}

size_t vb_ratelimit_size(const vb_ratelimit *rl)
{
    return rl ? vb_map_size(&rl->keys) : 0;
}

unsigned vb_ratelimit_limit(const vb_ratelimit *rl)
{
    return rl ? rl->limit : 0;
}

unsigned vb_ratelimit_window_ms(const vb_ratelimit *rl)
{
    return rl ? rl->window_ms : 60000;
}

static void list_unlink(vb_ratelimit *rl, entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        rl->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        rl->tail = e->prev;
    e->prev = e->next = NULL;
}

static void list_append(vb_ratelimit *rl, entry *e)
{
    e->prev = rl->tail;
    e->next = NULL;
    if (rl->tail)
        rl->tail->next = e;
    else
        rl->head = e;
    rl->tail = e;
}

/* The record of key, made (evicting the oldest at a full table) if new.
 * NULL when out of memory. */
static entry *entry_get(vb_ratelimit *rl, const char *key, uint64_t now_ms)
{
    entry *e = vb_map_get(&rl->keys, key);
    if (e) return e;
    if (vb_map_size(&rl->keys) >= rl->max_keys) {
        /* Full: the key whose window started first goes. */
        e = rl->head;
        list_unlink(rl, e);
        vb_map_del(&rl->keys, e->key);
    } else if (!(e = malloc(sizeof *e))) {
        return NULL;
    }
    memcpy(e->key, key, sizeof e->key);
    e->window_start = now_ms;
    e->count = 0;
    if (vb_map_put(&rl->keys, e->key, e) != 0) {
        free(e);
        return NULL;
    }
    list_append(rl, e);
    return e;
}

unsigned vb_ratelimit_hit(vb_ratelimit *rl, const char *key_in, uint64_t now_ms)
{
    if (!rl || rl->limit == 0) return 0;
    char key[VB_RATELIMIT_KEY_MAX + 1];
    strncpy(key, key_in ? key_in : "", sizeof key - 1);
    key[sizeof key - 1] = '\0';
    entry *e = entry_get(rl, key, now_ms);
    if (!e) return 0; /* out of memory: not limited */
    if (now_ms - e->window_start >= rl->window_ms) {
        e->window_start = now_ms;
        e->count = 0;
        list_unlink(rl, e);
        list_append(rl, e);
    }
    if (e->count >= rl->limit) {
        uint64_t left = rl->window_ms - (now_ms - e->window_start);
        unsigned secs = (unsigned)((left + 999) / 1000);
        return secs ? secs : 1;
    }
    e->count++;
    return 0;
}
