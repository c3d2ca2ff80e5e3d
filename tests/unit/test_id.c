/* Unit tests for core/vb_id.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/vb_common.h"
#include "core/vb_id.h"

#include <stdlib.h>
#include <string.h>

static const char ALPHABET[] = "0123456789abcdefghjkmnpqrstvwxyz";

static void test_shape(void **state)
{
    char id[VB_ID_LEN + 1];
    for (int i = 0; i < 1000; i++) {
        vb_id_new(id);
        assert_int_equal(strlen(id), VB_ID_LEN);
        assert_int_equal(strspn(id, ALPHABET), VB_ID_LEN);
        assert_int_equal(vb_id_valid(id), 1);
    }
}

static void test_strictly_increasing(void **state)
{
    enum { N = 100000 };
    char(*ids)[VB_ID_LEN + 1] = malloc(sizeof *ids * N);
    assert_non_null(ids);
    for (int i = 0; i < N; i++)
        vb_id_new(ids[i]);
    for (int i = 1; i < N; i++) {
        if (strcmp(ids[i - 1], ids[i]) >= 0) {
            print_error("id %d (%s) is not after %s\n", i, ids[i], ids[i - 1]);
            fail();
        }
    }
    free(ids);
}

static void test_valid_rejects(void **state)
{
    const char *bad[] = {
        "",
        "0123456789abcdefghj",   /* 19 */
        "0123456789abcdefghjkm", /* 21 */
        "0123456789abcdefghji",  /* i is not in the alphabet */
        "0123456789abcdefghjl",  /* l */
        "0123456789abcdefghjo",  /* o */
        "0123456789abcdefghju",  /* u */
        "0123456789ABCDEFGHJK",  /* upper case */
        "0123456789abcdefghj-",
        "0123456789abcdefghj ",
    };
    for (size_t i = 0; i < VB_ARRAY_LEN(bad); i++)
        assert_int_equal(vb_id_valid(bad[i]), 0);
    assert_int_equal(vb_id_valid(NULL), 0);
    assert_int_equal(vb_id_valid("0123456789abcdefghjk"), 1);
    /* An embedded NUL shortens the string: invalid. */
    char buf[VB_ID_LEN + 1] = "0123456789abcdefghjk";
    buf[5] = '\0';
    assert_int_equal(vb_id_valid(buf), 0);
}

static void test_time(void **state)
{
    char id[VB_ID_LEN + 1];
    int64_t before = vb_wall_ms();
    vb_id_new(id);
    int64_t after = vb_wall_ms();
    int64_t t = vb_id_time_ms(id);
    /* Within the call window, allowing for ids borrowed ahead by the
     * strictly-increasing test run before (at most a few ms). */
    assert_true(t >= before - 1);
    assert_true(t <= after + 1000);
    assert_int_equal(vb_id_time_ms("0000000000zzzzzzzzzz"), 0);
    assert_int_equal(vb_id_time_ms("0000000001zzzzzzzzzz"), 1);
    assert_int_equal(vb_id_time_ms("00000000100000000000"), 32);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shape),
        cmocka_unit_test(test_strictly_increasing),
        cmocka_unit_test(test_valid_rejects),
        cmocka_unit_test(test_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
