/* libFuzzer target: the WebSocket input path (src/net/vb_ws_in.c, wslay
 * behind it): after a valid upgrade, the input is the client's frames, in
 * two writes split where its first two bytes say (a split inside a frame
 * header is what crashed before). */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_net.h"

static const char upgrade[] =
    "GET /ws HTTP/1.1\r\nHost: f\r\nUpgrade: websocket\r\n"
    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Version: 13\r\n\r\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_net_init();
    if (size < 2) return 0;
    size_t split = ((size_t)data[0] << 8 | data[1]) % (size - 1);
    fuzz_net_send(upgrade, data + 2, size - 2, split);
    return 0;
}
