/* libFuzzer target: Socket.IO packets (src/rt/vb_sio_packet.c): decoding,
 * the JSON scanner, event splitting and array slicing. The input is copied
 * into a buffer of its exact size, so any read past it is caught. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rt/vb_sio_packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size ? size : 1);
    if (!s) return 0;
    memcpy(s, data, size);
    vb_sio_packet pk;
    if (vb_sio_packet_decode(s, size, &pk) == 0 && pk.data) {
        char *name = NULL;
        const char *rest;
        size_t rest_len;
        if (vb_sio_event_split(pk.data, pk.data_len, &name, &rest, &rest_len) == 0) free(name);
        const char *inner;
        size_t inner_len;
        vb_sio_array_inner(pk.data, pk.data_len, &inner, &inner_len);
    }
    vb_sio_json_valid(s, size);
    free(s);
    return 0;
}
