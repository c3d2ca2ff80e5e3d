/*
 * Tests of the stream write path (src/net/vb_stream.c, stream_flush): output
 * goes out directly (uv_try_write) as far as the socket takes it and the rest
 * through uv_write. A takeover handler queues many distinct buffers at once
 * and closes; a client thread with a small receive window reads slowly, so
 * direct writes stop part way into a buffer, and checks that every byte
 * arrived once and in order, then the close. Waits are for events only.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/vb_buf.h"
#include "core/vb_common.h"
#include "net/vb_http.h"
#include "net/vb_stream.h"
#include "support/vb_test_net.h"

#define BULK_BUFS 150  /* more than one write's worth of buffers */
#define BULK_LEN 10007 /* odd sizes: writes end inside buffers */
#define BULK_TOTAL (BULK_BUFS * BULK_LEN)

typedef struct tctx {
    vbt_net_server net;
    int nstreams, nclosed, send_rc;
    size_t queued_after; /* vb_stream_queued right after queueing */
    vb_buf *bufs[BULK_BUFS];
    /* client thread, read after the join */
    char *got;
    int got_n, closed_after;
} tctx;

/* The byte at offset i of the bulk output. */
static char bulk_byte(size_t i)
{
    return (char)('a' + (i / BULK_LEN + i % 251) % 26);
}

static void on_data(vb_stream *s, const char *data, size_t len, void *ud)
{
    tctx *t = ud;
    if (len != 4 || memcmp(data, "BULK", 4) != 0) return;
    for (int i = 0; i < BULK_BUFS; i++)
        if (vb_stream_send(s, t->bufs[i]) != 0) t->send_rc = -1;
    t->queued_after = vb_stream_queued(s);
    vb_stream_close(s); /* after everything is written */
}

static void on_close(vb_stream *s, void *ud)
{
    (void)s;
    tctx *t = ud;
    t->nclosed++;
}

static void handler(vb_http_req *req, void *ud)
{
    static const vb_stream_handlers h = {on_data, on_close};
    tctx *t = VB_CONTAINER_OF(ud, tctx, net);
    req->status = 200;
    if (vb_stream_takeover(req, &h, t)) t->nstreams++;
}

/* Client: asks for the bulk with a small receive window, reads it in small
 * pieces, then waits for the close. */
static void client(vbt_net_server *s)
{
    tctx *t = VB_CONTAINER_OF(s, tctx, net);
    int fd = vbt_net_connect(s->port, 4096);
    if (fd < 0) return;
    vbt_net_puts(fd, "GET /raw HTTP/1.1\r\n\r\nBULK");
    while (t->got_n < BULK_TOTAL) {
        size_t want = BULK_TOTAL - (size_t)t->got_n;
        ssize_t n = read(fd, t->got + t->got_n, want < 1000 ? want : 1000);
        if (n <= 0) break;
        t->got_n += (int)n;
    }
    t->closed_after = vbt_net_wait_close(fd);
    close(fd);
}

static void test_bulk_in_order_then_close(void **state)
{
    (void)state;
    tctx *t = calloc(1, sizeof *t);
    assert_non_null(t);
    t->got = malloc(BULK_TOTAL + 1);
    assert_non_null(t->got);
    for (int i = 0; i < BULK_BUFS; i++) {
        t->bufs[i] = vb_buf_new(BULK_LEN);
        assert_non_null(t->bufs[i]);
        for (size_t k = 0; k < BULK_LEN; k++)
            t->bufs[i]->data[k] = bulk_byte((size_t)i * BULK_LEN + k);
    }
    vbt_net_server_start(&t->net, NULL, handler);
    vbt_net_server_run(&t->net, client);

    assert_int_equal(t->nstreams, 1);
    assert_int_equal(t->nclosed, 1);
    assert_int_equal(t->send_rc, 0);
    assert_int_equal(t->queued_after, BULK_TOTAL); /* corked: nothing written yet */
    assert_int_equal(t->got_n, BULK_TOTAL);
    for (size_t i = 0; i < BULK_TOTAL; i++)
        if (t->got[i] != bulk_byte(i)) fail_msg("byte %zu differs", i);
    assert_true(t->closed_after);
    for (int i = 0; i < BULK_BUFS; i++) {
        assert_int_equal(t->bufs[i]->refs, 1); /* every queued ref was dropped */
        vb_buf_unref(t->bufs[i]);
    }
    free(t->got);
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bulk_in_order_then_close),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
