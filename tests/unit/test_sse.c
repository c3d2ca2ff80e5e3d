/* Unit tests for net/vb_sse.c (the event encoder and the push pacing, with a
 * fake clock) and for the project stats shape of app/vb_live.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "app/vb_live.h"
#include "core/vb_common.h"
#include "net/vb_sse.h"

#include <string.h>

/* Asserts that b holds exactly text, then drops it. */
static void expect_buf(vb_buf *b, const char *text)
{
    assert_non_null(b);
    assert_int_equal(b->refs, 1);
    assert_int_equal(b->len, strlen(text));
    assert_memory_equal(b->data, text, b->len);
    assert_int_equal(b->data[b->len], '\0');
    vb_buf_unref(b);
}

static void test_event_simple(void **state)
{
    expect_buf(vb_sse_event("stats:update", NULL, "{\"a\":1}", 7),
               "event: stats:update\ndata: {\"a\":1}\n\n");
    expect_buf(vb_sse_event("activity", "01abc", "x", 1),
               "id: 01abc\nevent: activity\ndata: x\n\n");
    expect_buf(vb_sse_event(NULL, NULL, "", 0), "data: \n\n");
    expect_buf(vb_sse_event(NULL, NULL, NULL, 5), "data: \n\n");
}

static void test_event_multiline(void **state)
{
    const char *d = "one\ntwo\r\nthree\rfour\n";
    expect_buf(vb_sse_event("m", "7", d, strlen(d)),
               "id: 7\nevent: m\ndata: one\ndata: two\ndata: three\ndata: four\ndata: \n\n");
    /* a blank line inside the payload cannot end the event early */
    expect_buf(vb_sse_event(NULL, NULL, "a\n\nb", 4), "data: a\ndata: \ndata: b\n\n");
}

static void test_event_rejects_newlines(void **state)
{
    assert_null(vb_sse_event("bad\nname", NULL, "x", 1));
    assert_null(vb_sse_event("ok", "bad\rid", "x", 1));
}

static void test_event_json(void **state)
{
    json_t *j = json_pack("{s:s, s:f}", "text", "line1\nline2", "rate", 1.0 / 3.0);
    vb_buf *b = vb_sse_event_json("activity", "9", j);
    json_decref(j);
    assert_non_null(b);
    /* JSON escapes the newline: one data line */
    assert_non_null(strstr(b->data, "data: {\"text\":\"line1\\nline2\""));
    assert_non_null(strstr(b->data, "0.333333333333333"));
    assert_null(strstr(b->data, "0.33333333333333331"));
    vb_buf_unref(b);
}

static void test_comment_and_retry(void **state)
{
    expect_buf(vb_sse_comment("keep-alive"), ": keep-alive\n\n");
    expect_buf(vb_sse_comment("a\nb"), ": a\n: b\n\n");
    expect_buf(vb_sse_retry(3000), "retry: 3000\n\n");
}

/* Coalescing with a fake clock: at most one push per interval. */
static void test_pace(void **state)
{
    vb_sse_pace p;
    vb_sse_pace_init(&p, 100);
    assert_int_equal(vb_sse_pace_change(&p, 1000), 0); /* first change: at once */
    vb_sse_pace_sent(&p, 1000);
    assert_int_equal(vb_sse_pace_change(&p, 1030), 70); /* too soon: arm for the rest */
    assert_int_equal(vb_sse_pace_change(&p, 1040), -1); /* already armed: coalesced */
    assert_int_equal(vb_sse_pace_change(&p, 1099), -1);
    vb_sse_pace_fired(&p);
    vb_sse_pace_sent(&p, 1100);
    assert_int_equal(vb_sse_pace_change(&p, 1250), 0); /* quiet for an interval: at once */
    vb_sse_pace_sent(&p, 1250);
    assert_int_equal(vb_sse_pace_change(&p, 1250), 100);

    /* A burst of 1000 changes within 1 s produces at most 11 pushes. */
    vb_sse_pace_init(&p, 100);
    int pushes = 0;
    uint64_t timer_at = 0;
    for (uint64_t t = 0; t < 1000; t++) {
        if (p.armed && t >= timer_at) {
            vb_sse_pace_fired(&p);
            vb_sse_pace_sent(&p, t);
            pushes++;
        }
        int64_t d = vb_sse_pace_change(&p, t);
        if (d == 0) {
            vb_sse_pace_sent(&p, t);
            pushes++;
        } else if (d > 0) {
            timer_at = t + (uint64_t)d;
        }
    }
    assert_true(pushes >= 9 && pushes <= 11);
}

static void test_project_stats(void **state)
{
    json_t *cols = json_pack("[s,s,s,s]", "todo", "in-progress", "review", "done");
    json_t *counts = json_pack("{s:i, s:i, s:i}", "done", 1, "todo", 2, "weird", 0);
    json_t *st = vb_live_project_stats(cols, counts, "2026-01-01T00:00:00.000Z");
    assert_non_null(st);
    json_t *by = json_object_get(st, "tasksByStatus");
    assert_int_equal(json_object_size(by), 5);
    assert_int_equal(json_integer_value(json_object_get(by, "in-progress")), 0);
    assert_int_equal(json_integer_value(json_object_get(st, "totalTasks")), 3);
    assert_true(json_is_integer(json_object_get(st, "completionRate")));
    assert_int_equal(json_integer_value(json_object_get(st, "completionRate")), 33);
    /* order: the columns first */
    const char *first = json_object_iter_key(json_object_iter(by));
    assert_string_equal(first, "todo");
    json_decref(st);
    json_decref(counts);
    counts = json_object();
    st = vb_live_project_stats(cols, counts, "t");
    assert_int_equal(json_integer_value(json_object_get(st, "completionRate")), 0);
    assert_int_equal(json_integer_value(json_object_get(st, "totalTasks")), 0);
    json_decref(st);
    json_decref(counts);
    /* 2 of 3 done: 66.67 rounds to 67; 1 of 2: 50, not 0.5 */
    counts = json_pack("{s:i, s:i}", "done", 2, "todo", 1);
    st = vb_live_project_stats(cols, counts, "t");
    assert_int_equal(json_integer_value(json_object_get(st, "completionRate")), 67);
    json_decref(st);
    json_decref(counts);
    counts = json_pack("{s:i, s:i}", "done", 1, "todo", 1);
    st = vb_live_project_stats(cols, counts, "t");
    assert_int_equal(json_integer_value(json_object_get(st, "completionRate")), 50);
    json_decref(st);
    json_decref(counts);
    json_decref(cols);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_event_simple),           cmocka_unit_test(test_event_multiline),
        cmocka_unit_test(test_event_rejects_newlines), cmocka_unit_test(test_event_json),
        cmocka_unit_test(test_comment_and_retry),      cmocka_unit_test(test_pace),
        cmocka_unit_test(test_project_stats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
