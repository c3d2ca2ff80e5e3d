/* libFuzzer target: query strings and the SSE Last-Event-ID
 * (src/net/vb_http_parse.c: vb_http_query_get, percent decoding;
 * core/vb_id.c: vb_id_valid, what the live routes accept as an event id).
 * The input's first byte splits it into a query string and a header value. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/vb_id.h"
#include "net/vb_http.h"
#include "net/vb_http_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    size_t cut = data[0] % size;
    char *q = malloc(size + 1), *h = malloc(size + 1);
    if (!q || !h) goto done;
    memcpy(q, data + 1, cut > 0 ? cut - 1 : 0);
    q[cut > 0 ? cut - 1 : 0] = '\0';
    memcpy(h, data + cut, size - cut);
    h[size - cut] = '\0';
    vb_http_req req;
    memset(&req, 0, sizeof(req));
    req.query = q;
    static const char *const names[] = {"lastEventId", "page", "limit", "a", "", "q"};
    char out[64];
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (vb_http_query_get(&req, names[i], out, sizeof(out)) == 1 && strlen(out) >= sizeof(out))
            __builtin_trap();
    vb_id_valid(h); /* Last-Event-ID */
    char *dst = malloc(size - cut + 1);
    if (dst) {
        long n = vb_http_pct_decode(h, size - cut, dst, cut & 1);
        if (n > (long)(size - cut)) __builtin_trap();
        free(dst);
    }
done:
    free(q);
    free(h);
    return 0;
}
