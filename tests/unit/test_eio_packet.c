/* Tests for the Engine.IO packet and polling payload codec (src/rt/vb_eio_packet.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "core/vb_common.h"
#include "rt/vb_eio_packet.h"

static void test_packet_types(void **state)
{
    vb_eio_packet pk;
    for (int t = 0; t <= 6; t++) {
        char s[8] = {(char)('0' + t), 'x', 0};
        assert_int_equal(vb_eio_packet_decode(s, 2, &pk), 0);
        assert_int_equal(pk.type, t);
        assert_int_equal(pk.binary, 0);
        assert_int_equal(pk.len, 1);
        assert_memory_equal(pk.data, "x", 1);
    }
    assert_int_equal(vb_eio_packet_decode("2probe", 6, &pk), 0);
    assert_int_equal(pk.type, VB_EIO_PING);
    assert_int_equal(pk.len, 5);
    assert_int_equal(vb_eio_packet_decode("6", 1, &pk), 0);
    assert_int_equal(pk.len, 0);
}

static void test_packet_malformed(void **state)
{
    vb_eio_packet pk;
    assert_int_equal(vb_eio_packet_decode("", 0, &pk), VB_EBADREQ);
    assert_int_equal(vb_eio_packet_decode("7", 1, &pk), VB_EBADREQ);
    assert_int_equal(vb_eio_packet_decode("abc", 3, &pk), VB_EBADREQ);
    assert_int_equal(vb_eio_packet_decode("/4", 2, &pk), VB_EBADREQ);
}

static void test_payload_decode(void **state)
{
    const char body[] = "4hello\x1e"
                        "2\x1e"
                        "bAQIDBA==\x1e"
                        "4world";
    vb_eio_payload pl;
    assert_int_equal(vb_eio_payload_decode(body, sizeof(body) - 1, &pl), 0);
    assert_int_equal(pl.n, 4);
    assert_int_equal(pl.pk[0].type, VB_EIO_MESSAGE);
    assert_int_equal(pl.pk[0].len, 5);
    assert_memory_equal(pl.pk[0].data, "hello", 5);
    assert_int_equal(pl.pk[1].type, VB_EIO_PING);
    assert_int_equal(pl.pk[2].binary, 1);
    assert_int_equal(pl.pk[2].len, 4);
    assert_memory_equal(pl.pk[2].data, "\x01\x02\x03\x04", 4);
    assert_memory_equal(pl.pk[3].data, "world", 5);
    vb_eio_payload_free(&pl);
}

static void test_payload_malformed(void **state)
{
    vb_eio_payload pl;
    assert_int_equal(vb_eio_payload_decode("", 0, &pl), VB_EBADREQ);
    assert_int_equal(vb_eio_payload_decode("abc", 3, &pl), VB_EBADREQ);
    assert_int_equal(vb_eio_payload_decode("4a\x1e", 3, &pl), VB_EBADREQ); /* empty packet */
    assert_int_equal(vb_eio_payload_decode("4a\x1e\x1e"
                                           "4b",
                                           5, &pl),
                     VB_EBADREQ);
    assert_int_equal(vb_eio_payload_decode("b!!!!", 5, &pl), VB_EBADREQ); /* bad base64 */
    assert_int_equal(vb_eio_payload_decode("4a\x1e"
                                           "9",
                                           4, &pl),
                     VB_EBADREQ); /* bad type */
    assert_null(pl.pk);
}

static void test_payload_encode_roundtrip(void **state)
{
    vb_eio_sb sb = {0};
    assert_int_equal(vb_eio_payload_append(&sb, VB_EIO_MESSAGE, 0, "hello", 5), 0);
    assert_int_equal(vb_eio_payload_append(&sb, VB_EIO_MESSAGE, 1, "\x01\x02\x03\x04", 4), 0);
    assert_int_equal(vb_eio_payload_append(&sb, VB_EIO_PING, 0, "", 0), 0);
    assert_int_equal(vb_eio_payload_append_raw(&sb, "6", 1), 0);
    assert_string_equal(sb.p, "4hello\x1e"
                              "bAQIDBA==\x1e"
                              "2\x1e"
                              "6");
    vb_eio_payload pl;
    assert_int_equal(vb_eio_payload_decode(sb.p, sb.len, &pl), 0);
    assert_int_equal(pl.n, 4);
    assert_int_equal(pl.pk[1].len, 4);
    assert_int_equal(pl.pk[3].type, VB_EIO_NOOP);
    vb_eio_payload_free(&pl);
    vb_eio_sb_free(&sb);
    /* a binary packet of zero bytes */
    assert_int_equal(vb_eio_payload_append(&sb, VB_EIO_MESSAGE, 1, "", 0), 0);
    assert_string_equal(sb.p, "b");
    assert_int_equal(vb_eio_payload_decode(sb.p, sb.len, &pl), 0);
    assert_int_equal(pl.pk[0].binary, 1);
    assert_int_equal(pl.pk[0].len, 0);
    vb_eio_payload_free(&pl);
    vb_eio_sb_free(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_packet_types),
        cmocka_unit_test(test_packet_malformed),
        cmocka_unit_test(test_payload_decode),
        cmocka_unit_test(test_payload_malformed),
        cmocka_unit_test(test_payload_encode_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
