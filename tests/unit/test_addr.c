/* Tests for counting by client address (src/core/vb_addr.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>

#include "core/vb_addr.h"

static void test_keys(void **state)
{
    char k[VB_ADDR_KEY_LEN];
    vb_addr_key("127.0.0.1", k);
    assert_string_equal(k, "127.0.0.1");
    vb_addr_key("::ffff:10.1.2.3", k);
    assert_string_equal(k, "10.1.2.3");
    vb_addr_key("2001:db8:1:2:aaaa:bbbb:cccc:dddd", k);
    assert_string_equal(k, "2001:db8:1:2::/64");
    char k2[VB_ADDR_KEY_LEN];
    vb_addr_key("2001:db8:1:2::1", k2);
    assert_string_equal(k, k2); /* one /64, one key */
    vb_addr_key("2001:db8:1:2:ffff::1", k);
    assert_string_equal(k, "2001:db8:1:2::/64");
    vb_addr_key("192.0.2.1", k);
    assert_string_equal(k, "192.0.2.1");
    vb_addr_key("::1", k);
    assert_string_equal(k, "::/64");
    vb_addr_key("", k);
    assert_string_equal(k, "");
}

static void test_counts(void **state)
{
    vb_addr_count t = {0};
    vb_addr_ent *a1 = vb_addr_take(&t, "a", 2);
    vb_addr_ent *a2 = vb_addr_take(&t, "a", 2);
    assert_non_null(a1);
    assert_ptr_equal(a1, a2);
    assert_null(vb_addr_take(&t, "a", 2)); /* at the ceiling */
    assert_int_equal(vb_addr_count_of(&t, "a"), 2);
    /* many keys: the table grows and keeps every count */
    vb_addr_ent *e[300];
    char key[16];
    for (int i = 0; i < 300; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        e[i] = vb_addr_take(&t, key, 0);
        assert_non_null(e[i]);
    }
    assert_int_equal(vb_map_size(&t.keys), 301);
    for (int i = 0; i < 300; i++)
        vb_addr_give(&t, e[i]);
    assert_int_equal(vb_map_size(&t.keys), 1);
    vb_addr_give(&t, a1);
    assert_non_null(a2 = vb_addr_take(&t, "a", 2)); /* room again */
    vb_addr_give(&t, a2);
    vb_addr_give(&t, a2);
    assert_int_equal(vb_map_size(&t.keys), 0);
    assert_int_equal(vb_addr_count_of(&t, "a"), 0);
    vb_addr_give(&t, NULL);
    vb_addr_clear(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
