/* libFuzzer target: the multipart/form-data parser (src/http/vb_multipart.c),
 * the attachment Range parser and Content-Disposition writer
 * (src/app/vb_attach_download.c). The input is parsed twice, whole and cut
 * into pieces at positions its first bytes choose: both runs must agree on
 * the result and on every part and byte handed on (a boundary split across
 * pieces must not change anything). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/vb_attach.h"
#include "http/vb_multipart.h"

typedef struct trace {
    unsigned char sum[32]; /* a running mix of everything seen */
    size_t bytes, parts, ends;
} trace;

static void mix(trace *t, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++)
        t->sum[(t->bytes + i) % 32] = (unsigned char)(t->sum[(t->bytes + i) % 32] * 31 + p[i]);
}

static int on_part(const vb_multipart_part *p, void *ud)
{
    trace *t = ud;
    t->parts++;
    mix(t, p->name, strlen(p->name));
    if (p->filename) mix(t, p->filename, strlen(p->filename));
    if (p->content_type) mix(t, p->content_type, strlen(p->content_type));
    return 0;
}

static int on_data(const char *d, size_t n, void *ud)
{
    trace *t = ud;
    for (size_t i = 0; i < n; i++) { /* position-independent: per byte */
        unsigned char c = (unsigned char)d[i];
        t->sum[t->bytes % 32] = (unsigned char)(t->sum[t->bytes % 32] * 31 + c);
        t->bytes++;
    }
    return 0;
}

static int on_end(void *ud)
{
    ((trace *)ud)->ends++;
    return 0;
}

static const vb_multipart_cbs CBS = {on_part, on_data, on_end};

static int run(const char *data, size_t size, const size_t *cuts, size_t ncuts, trace *t)
{
    vb_multipart_limits lim;
    vb_multipart_limits_default(&lim);
    lim.max_header_bytes = 256;
    vb_multipart *mp = vb_multipart_new("b0undary", &lim, &CBS, t);
    if (!mp) return -1;
    size_t at = 0;
    int err = 0;
    for (size_t i = 0; i <= ncuts && !err; i++) {
        size_t end = i < ncuts ? cuts[i] : size;
        if (end < at) end = at;
        err = vb_multipart_feed(mp, data + at, end - at);
        at = end;
    }
    if (!err) err = vb_multipart_finish(mp);
    vb_multipart_free(mp);
    return err;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3) return 0;
    size_t cuts[2] = {data[0] % size, data[1] % size};
    if (cuts[1] < cuts[0]) cuts[1] = cuts[0];
    const char *body = (const char *)data + 2;
    size_t len = size - 2;
    if (cuts[0] > len) cuts[0] = len;
    if (cuts[1] > len) cuts[1] = len;
    trace a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    int ea = run(body, len, NULL, 0, &a);
    int eb = run(body, len, cuts, 2, &b);
    /* bytes handed on before an error may differ only in how they were
     * cut; everything seen must agree */
    if (ea != eb || a.parts != b.parts || a.ends != b.ends || a.bytes != b.bytes ||
        memcmp(a.sum, b.sum, sizeof a.sum) != 0)
        __builtin_trap();

    /* the same bytes as a Content-Type, a Range header and a file name */
    char *s = malloc(len + 1);
    if (!s) return 0;
    memcpy(s, body, len);
    s[len] = '\0';
    char boundary[VB_MULTIPART_MAX_BOUNDARY + 1];
    if (vb_multipart_boundary(s, boundary) == 0 && strlen(boundary) > VB_MULTIPART_MAX_BOUNDARY)
        __builtin_trap();
    unsigned long long from = 0, to = 0, fsize = data[0] * 1000ull;
    if (vb_attach_range(s, fsize, &from, &to) == 1 && (from > to || to >= fsize)) __builtin_trap();
    char disp[512];
    vb_attach_disposition(s, disp, sizeof disp);
    for (const char *p = disp; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f) __builtin_trap();
    free(s);
    return 0;
}
