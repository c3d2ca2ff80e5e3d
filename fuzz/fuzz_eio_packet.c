/* libFuzzer target: Engine.IO packets and polling payloads
 * (src/rt/vb_eio_packet.c), and re-encoding what decoded. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rt/vb_eio_packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    vb_eio_packet pk;
    vb_eio_packet_decode(s, size, &pk);
    vb_eio_payload pl;
    if (vb_eio_payload_decode(s, size, &pl) == 0) {
        vb_eio_sb sb = {0};
        for (size_t i = 0; i < pl.n; i++)
            vb_eio_payload_append(&sb, pl.pk[i].type, pl.pk[i].binary, pl.pk[i].data, pl.pk[i].len);
        vb_eio_payload again;
        if (sb.len && vb_eio_payload_decode(sb.p, sb.len, &again) == 0) {
            if (again.n != pl.n) __builtin_trap();
            vb_eio_payload_free(&again);
        }
        vb_eio_sb_free(&sb);
        vb_eio_payload_free(&pl);
    }
    return 0;
}
