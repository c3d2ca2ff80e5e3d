/* Unit tests for app/vb_ratelimit.c (bounded table, eviction of the oldest
 * window) and app/vb_proxy.c (trusted proxies, client address, rate keys). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "app/vb_proxy.h"
#include "app/vb_ratelimit.h"

#include <stdio.h>
#include <string.h>

static void test_limit_and_window(void **state)
{
    vb_ratelimit *rl = vb_ratelimit_new(3, 1000, 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(vb_ratelimit_hit(rl, "k", 100), 0);
    assert_int_equal(vb_ratelimit_hit(rl, "k", 100), 1);
    assert_int_equal(vb_ratelimit_hit(rl, "other", 100), 0);
    assert_int_equal(vb_ratelimit_hit(rl, "k", 1100), 0); /* a new window */
    vb_ratelimit_free(rl);
    rl = vb_ratelimit_new(0, 1000, 0); /* disabled */
    for (int i = 0; i < 100; i++)
        assert_int_equal(vb_ratelimit_hit(rl, "k", 1), 0);
    vb_ratelimit_free(rl);
}

/* A full table evicts the key whose window started first; the others keep
 * their counts (the table is never wiped). */
static void test_evicts_oldest(void **state)
{
    vb_ratelimit *rl = vb_ratelimit_new(2, 60000, 4);
    char key[16];
    for (int i = 0; i < 4; i++) {
        snprintf(key, sizeof key, "k%d", i);
        assert_int_equal(vb_ratelimit_hit(rl, key, (uint64_t)i), 0);
        assert_int_equal(vb_ratelimit_hit(rl, key, (uint64_t)i), 0);
        assert_int_not_equal(vb_ratelimit_hit(rl, key, (uint64_t)i), 0);
    }
    assert_int_equal(vb_ratelimit_size(rl), 4);
    assert_int_equal(vb_ratelimit_hit(rl, "new", 10), 0); /* evicts k0 */
    assert_int_equal(vb_ratelimit_size(rl), 4);
    for (int i = 1; i < 4; i++) {
        snprintf(key, sizeof key, "k%d", i);
        assert_int_not_equal(vb_ratelimit_hit(rl, key, 10), 0); /* still limited */
    }
    assert_int_equal(vb_ratelimit_hit(rl, "k0", 11), 0); /* forgotten: evicts k1 */
    assert_int_equal(vb_ratelimit_hit(rl, "k1", 12), 0);
    vb_ratelimit_free(rl);
}

/* Many keys through a small table: every tracked key stays findable after
 * the backward-shift deletions (its count survives). */
static void test_churn(void **state)
{
    enum { KEYS = 64, ROUNDS = 20000 };
    vb_ratelimit *rl = vb_ratelimit_new(1, 1u << 30, KEYS);
    char key[16];
    uint64_t now = 0;
    for (int r = 0; r < ROUNDS; r++) {
        snprintf(key, sizeof key, "c%u", (unsigned)(r * 2654435761u) % 5000);
        vb_ratelimit_hit(rl, key, ++now);
        assert_true(vb_ratelimit_size(rl) <= KEYS);
    }
    /* The KEYS most recent distinct keys are all tracked and limited. */
    for (int i = 0; i < KEYS; i++) {
        snprintf(key, sizeof key, "fresh%d", i);
        assert_int_equal(vb_ratelimit_hit(rl, key, ++now), 0);
    }
    for (int i = 0; i < KEYS; i++) {
        snprintf(key, sizeof key, "fresh%d", i);
        assert_int_not_equal(vb_ratelimit_hit(rl, key, now), 0);
    }
    vb_ratelimit_free(rl);
}

static void test_proxy_parse(void **state)
{
    vb_proxy *p = NULL;
    char err[128];
    assert_int_equal(vb_proxy_parse("", &p, err, sizeof err), 0);
    assert_false(vb_proxy_trusted(p, "127.0.0.1"));
    vb_proxy_free(p);
    assert_int_equal(
        vb_proxy_parse("10.0.0.0/8, ::1,192.0.2.7 ,2001:db8::/32", &p, err, sizeof err), 0);
    assert_true(vb_proxy_trusted(p, "10.1.2.3"));
    assert_true(vb_proxy_trusted(p, "::ffff:10.1.2.3"));
    assert_false(vb_proxy_trusted(p, "11.1.2.3"));
    assert_true(vb_proxy_trusted(p, "::1"));
    assert_true(vb_proxy_trusted(p, "192.0.2.7"));
    assert_false(vb_proxy_trusted(p, "192.0.2.8"));
    assert_true(vb_proxy_trusted(p, "2001:db8:ffff::1"));
    assert_false(vb_proxy_trusted(p, "2001:db9::1"));
    vb_proxy_free(p);
    const char *bad[] = {"10.0.0.0/33", "nope", "1.2.3.4/", "::1/129", "1.2.3.4/8x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        p = NULL;
        assert_int_equal(vb_proxy_parse(bad[i], &p, err, sizeof err), -1);
        assert_non_null(strstr(err, "TRUST_PROXY"));
    }
}

static void test_proxy_client(void **state)
{
    vb_proxy *p = NULL;
    char err[128], out[VB_PROXY_ADDR_LEN];
    assert_int_equal(vb_proxy_parse("127.0.0.1, 10.0.0.0/8", &p, err, sizeof err), 0);
    /* An untrusted peer's header is ignored. */
    vb_proxy_client(p, "203.0.113.9", "198.51.100.1", out);
    assert_string_equal(out, "203.0.113.9");
    /* A trusted peer: the rightmost untrusted entry, past trusted hops. */
    vb_proxy_client(p, "127.0.0.1", "198.51.100.1", out);
    assert_string_equal(out, "198.51.100.1");
    vb_proxy_client(p, "127.0.0.1", "6.6.6.6, 198.51.100.1, 10.0.0.5", out);
    assert_string_equal(out, "198.51.100.1");
    vb_proxy_client(p, "127.0.0.1", "10.0.0.9, 10.0.0.5", out);
    assert_string_equal(out, "10.0.0.9");
    /* A malformed entry stops the walk at the last trusted hop. */
    vb_proxy_client(p, "127.0.0.1", "198.51.100.1, garbage", out);
    assert_string_equal(out, "127.0.0.1");
    vb_proxy_client(p, "127.0.0.1", NULL, out);
    assert_string_equal(out, "127.0.0.1");
    vb_proxy_client(NULL, "127.0.0.1", "198.51.100.1", out);
    assert_string_equal(out, "127.0.0.1");
    vb_proxy_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limit_and_window),
        cmocka_unit_test(test_evicts_oldest),
        cmocka_unit_test(test_churn),
        cmocka_unit_test(test_proxy_parse),
        cmocka_unit_test(test_proxy_client),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
