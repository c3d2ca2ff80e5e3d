/* Shared by the connection-level fuzz targets (fuzz_http.c, fuzz_ws_in.c):
 * a vibed HTTP server on 127.0.0.1 in a uv loop on the fuzzing thread, and
 * a client socket that sends one input and waits for the server to end the
 * connection. */
#ifndef FUZZ_NET_H
#define FUZZ_NET_H

#include <stddef.h>
#include <stdint.h>

/* Starts the server once: HTTP requests are answered with their body (after
 * reading a query parameter and a header); an upgrade to WebSocket is
 * accepted and echoes messages (max message 64 KiB). */
void fuzz_net_init(void);
/* Connects, sends prefix (may be NULL), then data in two writes split at
 * split (the loop runs between them, so the server may read them apart),
 * half-closes, and runs the loop until the server has closed the connection
 * (bounded). */
void fuzz_net_send(const char *prefix, const uint8_t *data, size_t size, size_t split);

#endif
