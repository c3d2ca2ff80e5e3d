/*
 * sio-testbed: the Engine.IO / Socket.IO servers configured as the public
 * protocol test suites expect, on 127.0.0.1:PORT.
 *   /engine.io/  echoes every message (text or binary)
 *   /socket.io/  "/" and "/custom" emit "auth" with the CONNECT payload;
 *                "/" answers "message" with "message-back" and acks
 *                "message-with-ack" with its arguments; other namespaces
 *                are refused with {"message":"Invalid namespace"}.
 * Both use pingInterval 300, pingTimeout 200, maxPayload 1000000 (Socket.IO:
 * connectTimeout 1000).
 * Usage: sio-testbed --port N
 */
#include "core/vb_log.h"
#include "net/vb_http.h"
#include "rt/vb_eio.h"
#include "rt/vb_sio.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct testbed {
    vb_eio_server *eio;
    vb_sio_server *sio;
} testbed;

static void echo_message(vb_eio_socket *s, int binary, const char *data, size_t len, void *ud)
{
    vb_eio_send(s, binary, data, len);
}

static void on_connect(vb_sio_socket *s, const char *auth, size_t auth_len, void *ud)
{
    vb_sio_accept(s, NULL);
    char *args = malloc(auth_len + 3);
    if (!args) return;
    args[0] = '[';
    memcpy(args + 1, auth, auth_len);
    args[auth_len + 1] = ']';
    args[auth_len + 2] = '\0';
    vb_sio_emit(s, "auth", args, auth_len + 2);
    free(args);
}

static void on_event(vb_sio_socket *s, const char *event, const char *args, size_t args_len,
                     const vb_sio_bin *bins, size_t nbins, vb_sio_ack *ack, void *ud)
{
    if (strcmp(event, "message") == 0) {
        vb_sio_emit_bin(s, "message-back", args, args_len, bins, nbins);
    } else if (strcmp(event, "message-with-ack") == 0 && ack) {
        vb_sio_ack_send_bin(ack, args, args_len, bins, nbins);
        ack = NULL;
    }
    vb_sio_ack_free(ack);
}

static void on_request(vb_http_req *req, void *ud)
{
    testbed *tb = ud;
    if (vb_eio_handle(tb->eio, req) || vb_sio_handle(tb->sio, req)) return;
    vb_http_respond(req, 404, "text/plain", "not found", 9);
}

static void on_signal(uv_signal_t *h, int signum)
{
    uv_stop(h->loop);
}

int main(int argc, char **argv)
{
    int port = 3000;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--port") == 0 && i + 1 < argc)
            port = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: %s --port N\n", argv[0]);
            return 2;
        }
    }
    vb_log_set_level(VB_LOG_WARN);
    uv_loop_t *loop = uv_default_loop();
    testbed tb = {0};
    vb_eio_options eo;
    vb_eio_options_default(&eo);
    eo.path = "/engine.io/";
    eo.ping_interval_ms = 300;
    eo.ping_timeout_ms = 200;
    eo.max_payload = 1000000;
    eo.ws_batch_ms = 1;
    static const vb_eio_handlers eh = {NULL, echo_message, NULL};
    vb_sio_options so;
    vb_sio_options_default(&so);
    so.eio.ping_interval_ms = 300;
    so.eio.ping_timeout_ms = 200;
    so.eio.max_payload = 1000000;
    so.eio.ws_batch_ms = 3;
    so.connect_timeout_ms = 1000;
    if (vb_eio_server_new(&tb.eio, loop, &eo, &eh, NULL) != 0 ||
        vb_sio_server_new(&tb.sio, loop, &so) != 0) {
        fprintf(stderr, "cannot create the servers\n");
        return 1;
    }
    vb_sio_nsp_handlers main_h = {on_connect, on_event, NULL};
    vb_sio_nsp_handlers custom_h = {on_connect, NULL, NULL};
    if (!vb_sio_nsp_new(tb.sio, "/", &main_h, NULL) ||
        !vb_sio_nsp_new(tb.sio, "/custom", &custom_h, NULL))
        return 1;
    vb_http_limits lim;
    vb_http_limits_default(&lim);
    vb_http_server *http;
    if (vb_http_server_new(&http, loop, "127.0.0.1", port, &lim, on_request, NULL, &tb) != 0) {
        fprintf(stderr, "cannot listen on 127.0.0.1:%d\n", port);
        return 1;
    }
    printf("sio-testbed listening on 127.0.0.1:%d\n", vb_http_server_port(http));
    fflush(stdout);
    uv_signal_t sig_int, sig_term;
    uv_signal_init(loop, &sig_int);
    uv_signal_init(loop, &sig_term);
    uv_signal_start(&sig_int, on_signal, SIGINT);
    uv_signal_start(&sig_term, on_signal, SIGTERM);
    signal(SIGPIPE, SIG_IGN);
    uv_run(loop, UV_RUN_DEFAULT);
    return 0;
}
