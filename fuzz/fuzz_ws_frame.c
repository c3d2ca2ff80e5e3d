/* libFuzzer target: the WebSocket frame helpers (src/net/vb_ws_frame.c):
 * header decoding at every offset, header lengths, UTF-8 validation, and
 * encoding a frame of the input. */
#include <stddef.h>
#include <stdint.h>

#include "core/vb_buf.h"
#include "net/vb_ws.h"
#include "net/vb_ws_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (size_t off = 0; off < size && off < 64; off++) {
        vb_ws_hdr h;
        int rc = vb_ws_hdr_decode(data + off, size - off, &h);
        if (rc == VB_WS_HDR_COMPLETE && (h.hlen > VB_WS_MAX_HEADER || h.hlen > size - off))
            __builtin_trap();
        if (size - off >= 2 && vb_ws_hdr_len(data + off) > VB_WS_MAX_HEADER) __builtin_trap();
    }
    vb_ws_utf8_ok(data, size);
    vb_buf *f = vb_ws_frame(size & 1 ? VB_WS_TEXT : VB_WS_BINARY, data, size);
    if (f) {
        vb_ws_hdr h;
        if (vb_ws_hdr_decode((const unsigned char *)f->data, f->len, &h) == VB_WS_HDR_COMPLETE &&
            h.plen != size)
            __builtin_trap(); /* unmasked: decodes as BAD for a server, or matches */
        vb_buf_unref(f);
    }
    return 0;
}
