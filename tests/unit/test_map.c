/* Unit tests for core/vb_map.c: put/get/del, growth and shrinking, many
 * keys, and changes to the map made from inside vb_map_each. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/vb_common.h"
#include "core/vb_map.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int g_vals[100000];

static void key_of(int i, char out[32])
{
    snprintf(out, 32, "key:%d", i);
}

static void test_basic(void **state)
{
    (void)state;
    vb_map m = {0};
    int a = 1, b = 2;
    assert_null(vb_map_get(&m, "a"));
    assert_null(vb_map_del(&m, "a"));
    assert_int_equal(vb_map_put(&m, "a", &a), 0);
    assert_int_equal(vb_map_put(&m, "b", &b), 0);
    assert_int_equal(vb_map_put(&m, "c", NULL), VB_EINVAL);
    assert_int_equal(vb_map_put(&m, NULL, &a), VB_EINVAL);
    assert_ptr_equal(vb_map_get(&m, "a"), &a);
    assert_ptr_equal(vb_map_get(&m, "b"), &b);
    assert_null(vb_map_get(&m, "c"));
    assert_null(vb_map_get(&m, NULL));
    /* replacing keeps one entry */
    assert_int_equal(vb_map_put(&m, "a", &b), 0);
    assert_int_equal(vb_map_size(&m), 2);
    assert_ptr_equal(vb_map_get(&m, "a"), &b);
    /* keys are copied */
    char k[8] = "zz";
    assert_int_equal(vb_map_put(&m, k, &a), 0);
    k[0] = 'y';
    assert_ptr_equal(vb_map_get(&m, "zz"), &a);
    assert_null(vb_map_get(&m, "yz"));
    assert_ptr_equal(vb_map_del(&m, "a"), &b);
    assert_null(vb_map_get(&m, "a"));
    assert_int_equal(vb_map_size(&m), 2);
    vb_map_clear(&m);
    assert_int_equal(vb_map_size(&m), 0);
    assert_null(m.b);
}

static void test_many_keys_grow_and_shrink(void **state)
{
    (void)state;
    vb_map m = {0};
    enum { N = 100000 };
    char k[32];
    for (int i = 0; i < N; i++) {
        key_of(i, k);
        assert_int_equal(vb_map_put(&m, k, &g_vals[i]), 0);
    }
    assert_int_equal(vb_map_size(&m), N);
    /* grew: at most one entry per bucket on average */
    assert_true(m.nb >= N);
    for (int i = 0; i < N; i++) {
        key_of(i, k);
        assert_ptr_equal(vb_map_get(&m, k), &g_vals[i]);
    }
    size_t grown = m.nb;
    for (int i = 0; i < N; i++) {
        if (i % 1000 == 0) continue;
        key_of(i, k);
        assert_ptr_equal(vb_map_del(&m, k), &g_vals[i]);
    }
    assert_int_equal(vb_map_size(&m), N / 1000);
    /* shrank: buckets given back */
    assert_true(m.nb < grown / 64);
    for (int i = 0; i < N; i += 1000) {
        key_of(i, k);
        assert_ptr_equal(vb_map_get(&m, k), &g_vals[i]);
    }
    for (int i = 0; i < N; i += 1000) {
        key_of(i, k);
        assert_non_null(vb_map_del(&m, k));
    }
    assert_int_equal(vb_map_size(&m), 0);
    assert_int_equal(m.nb, 0);
    vb_map_clear(&m);
}

typedef struct walk {
    vb_map *m;
    int seen[1000];
    int visits;
    int stop_at;
} walk;

static int index_of(const void *val)
{
    return (int)((const int *)val - g_vals);
}

/* Deletes the current entry and the one after it by number. */
static int del_current_and_next(const char *key, void *val, void *ud)
{
    walk *w = ud;
    int i = index_of(val);
    w->seen[i]++;
    w->visits++;
    char k[32];
    key_of(i, k);
    assert_string_equal(key, k);
    assert_ptr_equal(vb_map_del(w->m, key), val);
    assert_null(vb_map_get(w->m, key));
    key_of((i + 1) % 1000, k);
    (void)vb_map_del(w->m, k);
    return 0;
}

static void test_delete_during_walk(void **state)
{
    (void)state;
    vb_map m = {0};
    char k[32];
    for (int i = 0; i < 1000; i++) {
        key_of(i, k);
        assert_int_equal(vb_map_put(&m, k, &g_vals[i]), 0);
    }
    walk w = {.m = &m};
    assert_int_equal(vb_map_each(&m, del_current_and_next, &w), 0);
    assert_int_equal(vb_map_size(&m), 0);
    /* nothing visited twice, nothing visited after its deletion */
    for (int i = 0; i < 1000; i++)
        assert_true(w.seen[i] <= 1);
    assert_true(w.visits >= 500);
    assert_int_equal(m.ndead, 0);
    assert_int_equal(m.nb, 0);
    vb_map_clear(&m);
}

/* Deletes every other entry, then puts one back and adds new ones. */
static int churn(const char *key, void *val, void *ud)
{
    walk *w = ud;
    int i = index_of(val);
    w->visits++;
    if (i >= 1000) return 0; /* added during the walk */
    w->seen[i]++;
    if (i % 2) {
        assert_ptr_equal(vb_map_del(w->m, key), val);
        assert_int_equal(vb_map_put(w->m, key, val), 0); /* revived */
        assert_ptr_equal(vb_map_del(w->m, key), val);
    }
    if (i == 10) {
        char k[32];
        for (int j = 1000; j < 1100; j++) {
            key_of(j, k);
            assert_int_equal(vb_map_put(w->m, k, &g_vals[5000 + j]), 0);
        }
    }
    return w->stop_at && w->visits == w->stop_at ? 7 : 0;
}

static void test_changes_during_walk(void **state)
{
    (void)state;
    vb_map m = {0};
    char k[32];
    for (int i = 0; i < 1000; i++) {
        key_of(i, k);
        assert_int_equal(vb_map_put(&m, k, &g_vals[i]), 0);
    }
    walk w = {.m = &m};
    assert_int_equal(vb_map_each(&m, churn, &w), 0);
    /* 500 even keys plus the 100 added */
    assert_int_equal(vb_map_size(&m), 600);
    for (int i = 0; i < 1000; i++) {
        key_of(i, k);
        if (i % 2)
            assert_null(vb_map_get(&m, k));
        else
            assert_ptr_equal(vb_map_get(&m, k), &g_vals[i]);
    }
    for (int i = 0; i < 1000; i += 2)
        assert_int_equal(w.seen[i], 1);
    assert_int_equal(m.ndead, 0);
    /* a walk stops at the first nonzero return */
    walk w2 = {.m = &m, .stop_at = 3};
    assert_int_equal(vb_map_each(&m, churn, &w2), 7);
    assert_int_equal(w2.visits, 3);
    vb_map_clear(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_many_keys_grow_and_shrink),
        cmocka_unit_test(test_delete_during_walk),
        cmocka_unit_test(test_changes_during_walk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
