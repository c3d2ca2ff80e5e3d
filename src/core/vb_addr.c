/* Counting by client address (see vb_addr.h). */
#include "core/vb_addr.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct vb_addr_ent {
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

vb_addr_ent *vb_addr_take(vb_addr_count *t, const char *key, unsigned max)
{
    vb_addr_ent *e = vb_map_get(&t->keys, key);
    if (e) {
        if (max && e->count >= max) return NULL;
        e->count++;
        return e;
    }
    e = calloc(1, sizeof(*e));
    if (!e) return NULL;
    e->count = 1;
    snprintf(e->key, sizeof(e->key), "%s", key);
    if (vb_map_put(&t->keys, e->key, e) != 0) {
        free(e);
        return NULL;
    }
    return e;
}

void vb_addr_give(vb_addr_count *t, vb_addr_ent *e)
{
    if (!e || --e->count > 0) return;
    vb_map_del(&t->keys, e->key);
    free(e);
}

unsigned vb_addr_count_of(const vb_addr_count *t, const char *key)
{
    vb_addr_ent *e = vb_map_get(&t->keys, key);
    return e ? e->count : 0;
}

static int free_ent(const char *key, void *val, void *ud)
{
    free(val);
    return 0;
}

void vb_addr_clear(vb_addr_count *t)
{
    (void)vb_map_each(&t->keys, free_ent, NULL);
    vb_map_clear(&t->keys);
}
