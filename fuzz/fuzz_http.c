/* libFuzzer target: HTTP request handling over a real connection
 * (src/net/vb_http*.c around llhttp): the input is the raw bytes a client
 * sends, in two writes split where its first byte says. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_net_init();
    if (size == 0) return 0;
    fuzz_net_send(NULL, data + 1, size - 1, data[0] % size);
    return 0;
}
