/* The connection-level fuzz harness (see fuzz_net.h). */
#include "fuzz_net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "core/vb_common.h"
#include "core/vb_log.h"
#include "net/vb_http.h"
#include "net/vb_ws.h"

static uv_loop_t g_loop;
static vb_http_server *g_srv;
static int g_port;

static void ws_msg(vb_ws *ws, int opcode, const char *data, size_t len, void *ud)
{
    (void)ud;
    vb_ws_send(ws, opcode, data, len);
}

static void ws_closed(vb_ws *ws, int code, void *ud)
{
    (void)ws;
    (void)code;
    (void)ud;
}

static void handler(vb_http_req *req, void *ud)
{
    (void)ud;
    static const vb_ws_handlers h = {ws_msg, ws_closed};
    if (vb_ws_is_upgrade(req)) {
        vb_ws_options o = {.max_message = 64 * 1024, .max_queued = 256 * 1024};
        vb_ws_accept(req, &h, NULL, &o);
        return;
    }
    char v[32];
    vb_http_query_get(req, "a", v, sizeof(v));
    vb_http_header_get(req, "x-test");
    vb_http_respond(req, 200, "text/plain", req->body, req->body_len);
}

void fuzz_net_init(void)
{
    if (g_srv) return;
    vb_log_set_level(VB_LOG_ERROR); /* quiet */
    uv_loop_init(&g_loop);
    vb_http_limits l;
    vb_http_limits_default(&l);
    l.max_body_bytes = 64 * 1024;
    l.max_header_bytes = 8 * 1024;
    l.max_connections_per_address = 0;
    if (vb_http_server_new(&g_srv, &g_loop, "127.0.0.1", 0, &l, handler, NULL, NULL) != 0) abort();
    g_port = vb_http_server_port(g_srv);
}

/* Runs the loop and drains the client's socket until the server closed it
 * or about 200 ms passed. */
static void pump(int fd, int until_closed)
{
    char buf[65536];
    uint64_t end = vb_now_ns() + 200000000ull;
    for (;;) {
        uv_run(&g_loop, UV_RUN_NOWAIT);
        ssize_t r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) return;
        if ((!until_closed && r < 0) || vb_now_ns() > end) return;
    }
}

static void send_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    uint64_t end = vb_now_ns() + 200000000ull;
    while (n > 0 && vb_now_ns() < end) {
        ssize_t w = send(fd, c, n, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (w > 0) {
            c += w;
            n -= (size_t)w;
        } else if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            return;
        } else {
            pump(fd, 0);
        }
    }
}

void fuzz_net_send(const char *prefix, const uint8_t *data, size_t size, size_t split)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)g_port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct linger lg = {1, 0}; /* reset on close: no TIME_WAIT per input */
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return;
    }
    if (prefix) {
        send_all(fd, prefix, strlen(prefix));
        pump(fd, 0);
    }
    if (split > size) split = size;
    send_all(fd, data, split);
    pump(fd, 0);
    send_all(fd, data + split, size - split);
    shutdown(fd, SHUT_WR);
    pump(fd, 1);
    close(fd);
    /* let the server see the reset and free the connection */
    for (int i = 0; i < 1000 && vb_http_server_connections(g_srv) > 0; i++)
        uv_run(&g_loop, UV_RUN_NOWAIT);
}
