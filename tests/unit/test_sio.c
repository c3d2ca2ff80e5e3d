/*
 * Tests for the Socket.IO server (src/rt/vb_sio*.c over vb_eio*.c). A server
 * on port 0 runs in a uv loop on the test thread; a client thread speaks the
 * protocol with raw HTTP requests (long-polling) and a raw WebSocket after
 * the upgrade, records what it saw, then wakes the loop to stop. Every wait
 * is for an event (a read with a safety timeout), never a sleep.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/vb_common.h"
#include "net/vb_http.h"
#include "rt/vb_sio.h"

#define CAP 4096

typedef struct tctx {
    uv_loop_t loop;
    uv_async_t wake;
    vb_http_server *http;
    vb_sio_server *sio;
    vb_sio_nsp *nsp;
    int port;
    /* what the client saw */
    char open_body[CAP], connect_body[CAP], ack_body[CAP], bin_body[CAP], probe[64], news[256];
    int unknown_sid_status, bad_transport_status, post_status;
    char unknown_sid_body[256];
    /* what the server saw */
    char auth[256];
    int events, disconnects;
    vb_sio_out *out; /* the broadcast under test */
    unsigned frame_refs_before, pkt_refs_before, frame_refs_after;
    int frame_built;
    int close_opcode;
} tctx;

static tctx T;

/* --- client side (its own thread, blocking sockets) --- */

static int dial(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)T.port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Reads into buf until n bytes or timeout; returns bytes read. */
static size_t read_some(int fd, char *buf, size_t cap, size_t want)
{
    size_t got = 0;
    while (got < want && got < cap) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 5000) <= 0) break;
        ssize_t r = read(fd, buf + got, cap - got);
        if (r <= 0) break;
        got += (size_t)r;
    }
    return got;
}

/* One HTTP request on a new connection; the body of the answer goes to out
 * (NUL-terminated). Returns the status or -1. */
static int http(const char *method, const char *target, const char *body, char *out, size_t cap)
{
    int fd = dial();
    if (fd < 0) return -1;
    char req[CAP];
    size_t blen = body ? strlen(body) : 0;
    int n =
        snprintf(req, sizeof(req),
                 "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: %zu\r\n\r\n",
                 method, target, blen);
    if (write(fd, req, (size_t)n) != n || (blen && write(fd, body, blen) != (ssize_t)blen)) {
        close(fd);
        return -1;
    }
    char resp[CAP];
    size_t got = read_some(fd, resp, sizeof(resp) - 1, sizeof(resp) - 1);
    close(fd);
    resp[got] = '\0';
    int status = -1;
    sscanf(resp, "HTTP/1.1 %d", &status);
    const char *b = strstr(resp, "\r\n\r\n");
    snprintf(out, cap, "%s", b ? b + 4 : "");
    return status;
}

/* Sends one masked text frame (mask 0: payload unchanged). */
static void ws_send(int fd, const char *text)
{
    unsigned char h[8] = {0x81, (unsigned char)(0x80 | strlen(text)), 0, 0, 0, 0};
    if (write(fd, h, 6) != 6 || write(fd, text, strlen(text)) < 0) fail_msg("ws write");
}

/* Reads one unmasked short frame from the server into out. */
static int ws_recv(int fd, char *out, size_t cap)
{
    unsigned char h[2];
    if (read_some(fd, (char *)h, 2, 2) != 2) return -1;
    size_t len = h[1] & 0x7f;
    if (len >= 126 || len >= cap) return -1;
    size_t got = read_some(fd, out, len, len);
    out[got] = '\0';
    return h[0] & 0x0f;
}

static void *client(void *arg)
{
    char body[CAP], sid[64] = "", url[256];
    T.unknown_sid_status = http("GET", "/socket.io/?EIO=4&transport=polling&sid=nope", NULL,
                                T.unknown_sid_body, sizeof(T.unknown_sid_body));
    T.bad_transport_status = http("GET", "/socket.io/?EIO=4&transport=carrier", NULL, body, CAP);
    http("GET", "/socket.io/?EIO=4&transport=polling", NULL, T.open_body, CAP);
    sscanf(T.open_body, "0{\"sid\":\"%63[^\"]\"", sid);
    snprintf(url, sizeof(url), "/socket.io/?EIO=4&transport=polling&sid=%s", sid);
    T.post_status = http("POST", url, "40{\"token\":\"t1\"}", body, CAP);
    http("GET", url, NULL, T.connect_body, CAP); /* CONNECT reply + welcome */
    http("POST", url, "421[\"hello\",1,{\"a\":[true]}]", body, CAP);
    http("GET", url, NULL, T.ack_body, CAP);
    http("POST", url,
         "451-[\"echo\",{\"_placeholder\":true,\"num\":0}]\x1e"
         "bAQID",
         body, CAP);
    http("GET", url, NULL, T.bin_body, CAP);
    /* upgrade to WebSocket */
    int fd = dial();
    char req[512];
    int n =
        snprintf(req, sizeof(req),
                 "GET /socket.io/?EIO=4&transport=websocket&sid=%s HTTP/1.1\r\nHost: x\r\n"
                 "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                 sid);
    if (fd >= 0 && write(fd, req, (size_t)n) == n) {
        char resp[1024];
        size_t got = 0;
        while (got < sizeof(resp) - 1) { /* the 101 head, byte by byte up to its end */
            if (read_some(fd, resp + got, 1, 1) != 1) break;
            got++;
            if (got >= 4 && memcmp(resp + got - 4, "\r\n\r\n", 4) == 0) break;
        }
        ws_send(fd, "2probe");
        ws_recv(fd, T.probe, sizeof(T.probe));
        ws_send(fd, "5");
        ws_send(fd, "42[\"bcast\"]");
        ws_recv(fd, T.news, sizeof(T.news));
        ws_send(fd, "42[\"check\"]");
        ws_send(fd, "41"); /* namespace disconnect: no answer, the session stays */
        ws_send(fd, "1");  /* Engine.IO close: the server answers with a close frame */
        char ignore[256];
        T.close_opcode = ws_recv(fd, ignore, sizeof(ignore));
        close(fd);
    }
    uv_async_send(&T.wake);
    return NULL;
}

/* --- server side (loop thread) --- */

static void on_connect(vb_sio_socket *s, const char *auth, size_t len, void *ud)
{
    snprintf(T.auth, sizeof(T.auth), "%.*s", (int)len, auth);
    /* A restored session: the given id and a pid in the CONNECT reply; ids
     * that could break the JSON are refused and leave the socket pending. */
    assert_int_equal(vb_sio_accept_session(s, &T, "bad \"id", NULL), VB_EINVAL);
    assert_int_equal(vb_sio_accept_session(s, &T, NULL, ""), VB_EINVAL);
    assert_int_equal(vb_sio_accept_session(s, &T, "abcdefghij0123456789", "Pid_1-x"), 0);
    assert_string_equal(vb_sio_socket_id(s), "abcdefghij0123456789");
    vb_sio_emit(s, "welcome", "[\"hi\"]", 6);
}

static void on_event(vb_sio_socket *s, const char *event, const char *args, size_t len,
                     const vb_sio_bin *bins, size_t nbins, vb_sio_ack *ack, void *ud)
{
    T.events++;
    if (strcmp(event, "hello") == 0) {
        vb_sio_join(s, "room1");
        vb_sio_ack_send(ack, args, len);
        return;
    }
    if (strcmp(event, "echo") == 0) {
        vb_sio_emit_bin(s, "echo-back", args, len, bins, nbins);
    } else if (strcmp(event, "bcast") == 0) {
        T.out = vb_sio_out_event(T.nsp, "news", "[\"x\"]", 5, NULL, 0);
        vb_sio_out_broadcast(T.out, "room1", NULL);
        vb_eio_msg *m = vb_sio_out_msg(T.out);
        T.frame_built = m->frame != NULL;
        if (m->frame) T.frame_refs_before = m->frame->refs;
        T.pkt_refs_before = m->pkt->refs;
    } else if (strcmp(event, "check") == 0 && T.out) {
        /* the client read the frame: only the message's own reference is left */
        T.frame_refs_after = vb_sio_out_msg(T.out)->frame->refs;
        vb_sio_out_unref(T.out);
        T.out = NULL;
    }
    vb_sio_ack_free(ack);
}

static void on_disconnect(vb_sio_socket *s, const char *reason, void *ud)
{
    T.disconnects++;
}

static void on_request(vb_http_req *req, void *ud)
{
    if (!vb_sio_handle(T.sio, req)) vb_http_respond(req, 404, NULL, NULL, 0);
}

static void on_wake(uv_async_t *a)
{
    vb_sio_server_free(T.sio, NULL, NULL);
    vb_http_server_shutdown(T.http, NULL, NULL);
    uv_close((uv_handle_t *)a, NULL);
}

static void test_polling_session_and_fanout(void **state)
{
    memset(&T, 0, sizeof(T));
    uv_loop_init(&T.loop);
    uv_async_init(&T.loop, &T.wake, on_wake);
    vb_sio_options o;
    vb_sio_options_default(&o);
    assert_int_equal(vb_sio_server_new(&T.sio, &T.loop, &o), 0);
    vb_sio_nsp_handlers h = {on_connect, on_event, on_disconnect};
    T.nsp = vb_sio_nsp_new(T.sio, "/", &h, NULL);
    assert_non_null(T.nsp);
    assert_int_equal(
        vb_http_server_new(&T.http, &T.loop, "127.0.0.1", 0, NULL, on_request, NULL, NULL), 0);
    T.port = vb_http_server_port(T.http);
    pthread_t th;
    pthread_create(&th, NULL, client, NULL);
    uv_run(&T.loop, UV_RUN_DEFAULT);
    pthread_join(th, NULL);
    uv_loop_close(&T.loop);

    assert_int_equal(T.unknown_sid_status, 400);
    assert_string_equal(T.unknown_sid_body, "{\"code\":1,\"message\":\"Session ID unknown\"}");
    assert_int_equal(T.bad_transport_status, 400);
    assert_true(strncmp(T.open_body, "0{\"sid\":\"", 9) == 0);
    assert_non_null(strstr(T.open_body, "\"upgrades\":[\"websocket\"]"));
    assert_int_equal(T.post_status, 200);
    assert_string_equal(T.auth, "{\"token\":\"t1\"}");
    static const char restored[] = "40{\"sid\":\"abcdefghij0123456789\",\"pid\":\"Pid_1-x\"}";
    assert_true(strncmp(T.connect_body, restored, strlen(restored)) == 0);
    assert_non_null(strstr(T.connect_body, "\x1e"
                                           "42[\"welcome\",\"hi\"]"));
    assert_string_equal(T.ack_body, "431[1,{\"a\":[true]}]");
    assert_string_equal(T.bin_body, "451-[\"echo-back\",{\"_placeholder\":true,\"num\":0}]\x1e"
                                    "bAQID");
    assert_string_equal(T.probe, "3probe");
    assert_string_equal(T.news, "42[\"news\",\"x\"]");
    assert_true(T.frame_built);
    assert_true(T.frame_refs_before >= 2); /* the message's + the stream queue's */
    assert_int_equal(T.pkt_refs_before, 1);
    assert_int_equal(T.frame_refs_after, 1);
    assert_null(T.out);
    assert_int_equal(T.disconnects, 1);
    assert_int_equal(T.close_opcode, 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_polling_session_and_fanout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
