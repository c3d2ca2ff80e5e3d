#include "core/vb_id.h"
#include "core/vb_common.h"

#include <pthread.h>
#include <sodium.h>
#include <string.h>

static const char g_alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t g_last_ms = -1;
static uint64_t g_counter;

static void encode(uint64_t v, char *out, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        out[i] = g_alphabet[v & 31u];
        v >>= 5;
    }
}

void vb_id_new(char out[VB_ID_LEN + 1])
{
    int64_t ms = vb_wall_ms();
    uint64_t ctr;
    pthread_mutex_lock(&g_lock);
    if (ms <= g_last_ms) {
        /* Same millisecond (or the clock stepped back): keep the last time and
         * count up so the order still holds. */
        ms = g_last_ms;
        g_counter++;
        if (g_counter >= (1ull << 50)) { /* exhausted: borrow the next millisecond */
            ms++;
            g_counter = 0;
        }
    } else {
        uint64_t r;
        randombytes_buf(&r, sizeof r);
        /* Leave headroom so counting up within one millisecond never wraps. */
        g_counter = r & ((1ull << 49) - 1);
    }
    g_last_ms = ms;
    ctr = g_counter;
    pthread_mutex_unlock(&g_lock);
    encode((uint64_t)ms, out, 10);
    encode(ctr, out + 10, 10);
    out[VB_ID_LEN] = '\0';
}

int vb_id_valid(const char *s)
{
    if (!s || strlen(s) != VB_ID_LEN) return 0;
    for (size_t i = 0; i < VB_ID_LEN; i++)
        if (!strchr(g_alphabet, s[i]) || s[i] == '\0') return 0;
    return 1;
}

int64_t vb_id_time_ms(const char *id)
{
    uint64_t v = 0;
    for (int i = 0; i < 10; i++)
        v = (v << 5) | (uint64_t)(strchr(g_alphabet, id[i]) - g_alphabet);
    return (int64_t)v;
}
