/* Tests for the Socket.IO packet codec and raw-JSON helpers (src/rt/vb_sio_packet.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/vb_common.h"
#include "rt/vb_sio_packet.h"

static int dec(const char *s, vb_sio_packet *pk)
{
    return vb_sio_packet_decode(s, strlen(s), pk);
}

static void assert_slice(const char *p, size_t len, const char *want)
{
    assert_int_equal(len, strlen(want));
    assert_memory_equal(p, want, len);
}

static void test_decode_every_type(void **state)
{
    vb_sio_packet pk;
    assert_int_equal(dec("0", &pk), 0);
    assert_int_equal(pk.type, VB_SIO_CONNECT);
    assert_slice(pk.nsp, pk.nsp_len, "/");
    assert_null(pk.data);
    assert_int_equal(dec("0/admin,{\"token\":\"123\"}", &pk), 0);
    assert_slice(pk.nsp, pk.nsp_len, "/admin");
    assert_slice(pk.data, pk.data_len, "{\"token\":\"123\"}");
    assert_int_equal(dec("0/random", &pk), 0); /* no trailing comma */
    assert_slice(pk.nsp, pk.nsp_len, "/random");
    assert_int_equal(dec("1/admin,", &pk), 0);
    assert_int_equal(pk.type, VB_SIO_DISCONNECT);
    assert_int_equal(dec("2[\"foo\"]", &pk), 0);
    assert_int_equal(pk.type, VB_SIO_EVENT);
    assert_int_equal(pk.id, -1);
    assert_int_equal(dec("212[\"foo\"]", &pk), 0);
    assert_int_equal(pk.id, 12);
    assert_int_equal(dec("3/admin,13[\"bar\"]", &pk), 0);
    assert_int_equal(pk.type, VB_SIO_ACK);
    assert_int_equal(pk.id, 13);
    assert_int_equal(dec("313[]", &pk), 0);
    assert_int_equal(dec("4{\"message\":\"Not authorized\"}", &pk), 0);
    assert_int_equal(pk.type, VB_SIO_CONNECT_ERROR);
    assert_int_equal(dec("51-[\"baz\",{\"_placeholder\":true,\"num\":0}]", &pk), 0);
    assert_int_equal(pk.type, VB_SIO_BINARY_EVENT);
    assert_int_equal(pk.attachments, 1);
    assert_int_equal(
        dec("52-/admin,[\"baz\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,"
            "\"num\":1}]",
            &pk),
        0);
    assert_int_equal(pk.attachments, 2);
    assert_slice(pk.nsp, pk.nsp_len, "/admin");
    assert_int_equal(dec("61-15[\"bar\",{\"_placeholder\":true,\"num\":0}]", &pk), 0);
    assert_int_equal(pk.type, VB_SIO_BINARY_ACK);
    assert_int_equal(pk.id, 15);
}

static void test_decode_malformed(void **state)
{
    vb_sio_packet pk;
    const char *bad[] = {
        "",
        "abc",
        "7",
        "2{}",
        "2[]",
        "2[1]",
        "2",
        "0[]",
        "0\"x\"",
        "1{}",
        "3[\"x\"]" /* no id */,
        "2abc[\"message-with-ack\",1]",
        "2[\"a\",]",
        "2[\"a\" 1]",
        "2[\"a\"]x",
        "2[\"\\x\"]",
        "5[\"a\"]",
        "50-[\"a\"]",
        "51[\"a\"]",
        "51-[\"a\",{\"_placeholder\":true,\"num\":1}]",
        "51-[\"a\",{\"_placeholder\":true}]",
        "51-[\"a\",{\"_placeholder\":true,\"num\":-1}]",
        "2[\"a\",01]",
        "2[\"a\",1.]",
        "2[\"a\",tru]",
        "212345678901234567[\"a\"]",
        "4[1]",
        "2[\"a\",\"\x01\"]",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (dec(bad[i], &pk) != VB_EBADREQ) fail_msg("accepted: %s", bad[i]);
    }
    /* nesting limit */
    char deep[300] = "2[\"a\",";
    for (int i = 0; i < 100; i++)
        strcat(deep, "[");
    for (int i = 0; i < 100; i++)
        strcat(deep, "]");
    strcat(deep, "]");
    assert_int_equal(dec(deep, &pk), VB_EBADREQ);
}

static void test_encode(void **state)
{
    vb_eio_sb sb = {0};
    assert_int_equal(vb_sio_packet_encode(&sb, VB_SIO_CONNECT, "/", -1, 0, NULL, 0), 0);
    assert_string_equal(sb.p, "0");
    sb.len = 0;
    vb_sio_packet_encode(&sb, VB_SIO_CONNECT, "/admin", -1, 0, "{\"sid\":\"x\"}", 11);
    assert_string_equal(sb.p, "0/admin,{\"sid\":\"x\"}");
    sb.len = 0;
    vb_sio_packet_encode(&sb, VB_SIO_ACK, "/admin", 13, 0, "[\"bar\"]", 7);
    assert_string_equal(sb.p, "3/admin,13[\"bar\"]");
    sb.len = 0;
    vb_sio_packet_encode(&sb, VB_SIO_BINARY_ACK, NULL, 15, 1, NULL, 0);
    assert_string_equal(sb.p, "61-15");
    sb.len = 0;
    vb_sio_packet_encode(&sb, VB_SIO_DISCONNECT, "/admin", -1, 0, NULL, 0);
    assert_string_equal(sb.p, "1/admin,");
    sb.len = 0;
    vb_sio_args_encode(&sb, "a\"b\n", "1,{\"x\":2}", 9);
    assert_string_equal(sb.p, "[\"a\\\"b\\n\",1,{\"x\":2}]");
    sb.len = 0;
    vb_sio_args_encode(&sb, NULL, "", 0);
    assert_string_equal(sb.p, "[]");
    vb_eio_sb_free(&sb);
}

static void test_event_split_raw(void **state)
{
    char *name;
    const char *rest;
    size_t rlen;
    const char *d = "[\"message\",1,\"2\",{\"3\":[true]}]";
    assert_int_equal(vb_sio_event_split(d, strlen(d), &name, &rest, &rlen), 0);
    assert_string_equal(name, "message");
    assert_slice(rest, rlen, "1,\"2\",{\"3\":[true]}"); /* byte for byte */
    free(name);
    d = " [ \"caf\\u00e9\" ] ";
    assert_int_equal(vb_sio_event_split(d, strlen(d), &name, &rest, &rlen), 0);
    assert_string_equal(name, "caf\xc3\xa9");
    assert_int_equal(rlen, 0);
    free(name);
    d = "[\"a\\u0000b\"]";
    assert_int_equal(vb_sio_event_split(d, strlen(d), &name, &rest, &rlen), VB_EBADREQ);
    const char *inner;
    size_t ilen;
    assert_int_equal(vb_sio_array_inner(" [ 1 , 2 ] ", 11, &inner, &ilen), 0);
    assert_slice(inner, ilen, "1 , 2");
    assert_int_equal(vb_sio_array_inner("{}", 2, &inner, &ilen), VB_EBADREQ);
}

static void test_placeholders(void **state)
{
    vb_sio_packet pk;
    /* placeholders are only checked in binary packets */
    assert_int_equal(dec("2[\"a\",{\"_placeholder\":true,\"num\":5}]", &pk), 0);
    assert_int_equal(dec("52-789[\"m\",{\"num\":1,\"_placeholder\":true},{\"_placeholder\":true,"
                         "\"num\":0}]",
                         &pk),
                     0);
    assert_int_equal(pk.id, 789);
    assert_int_equal(pk.attachments, 2);
    assert_int_equal(dec("52-[\"m\",{\"_placeholder\":true,\"num\":2}]", &pk), VB_EBADREQ);
    /* an object that is not a placeholder is kept as is */
    assert_int_equal(dec("51-[\"m\",{\"_placeholder\":false,\"num\":9},{\"_placeholder\":true,"
                         "\"num\":0}]",
                         &pk),
                     0);
}

/* A packet ending inside a placeholder's number is read within its bounds:
 * the text ends right before an inaccessible page (the old scanner ran
 * strtoll past the end of the number). */
static void test_number_at_end(void **state)
{
    static const char *texts[] = {"2/chat,[{\"num\":123456789", "51-[\"m\",{\"num\":1",
                                  "51-[\"m\",{\"_placeholder\":true,\"num\":0"};
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    char *map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(map != MAP_FAILED);
    assert_int_equal(mprotect(map + page, page, PROT_NONE), 0);
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        size_t n = strlen(texts[i]);
        char *s = map + page - n;
        memcpy(s, texts[i], n);
        vb_sio_packet pk;
        assert_int_equal(vb_sio_packet_decode(s, n, &pk), VB_EBADREQ);
    }
    munmap(map, 2 * page);
    vb_sio_packet pk;
    assert_int_equal(dec("51-[\"m\",{\"_placeholder\":true,\"num\":0}]", &pk), 0);
    assert_int_equal(dec("51-[\"m\",{\"_placeholder\":true,\"num\":1}]", &pk), VB_EBADREQ);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_every_type),
        cmocka_unit_test(test_decode_malformed),
        cmocka_unit_test(test_encode),
        cmocka_unit_test(test_event_split_raw),
        cmocka_unit_test(test_placeholders),
        cmocka_unit_test(test_number_at_end),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
