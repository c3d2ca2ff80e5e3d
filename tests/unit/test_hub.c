/* Unit tests for hub/vb_hub.c: subscribe, publish, unsubscribe, and changes
 * to the subscriber lists made from inside a delivery. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/vb_common.h"
#include "hub/vb_hub.h"
#include "store/vb_ops.h"

#include <string.h>

typedef struct rec {
    vb_hub_sub sub;
    int calls;
    char last_type[32];
    json_int_t last_n;
    /* actions run inside the callback */
    vb_hub_sub *unsub; /* unsubscribe this one */
    vb_hub_sub *add;   /* subscribe this one to the same topic */
    struct rec *add_rec;
    const char *republish; /* publish once more on this topic */
} rec;

static void on_ev(vb_hub_sub *sub, const char *topic, const char *type, json_t *data, void *ud);

static void on_ev(vb_hub_sub *sub, const char *topic, const char *type, json_t *data, void *ud)
{
    rec *r = ud;
    assert_ptr_equal(sub, &r->sub);
    r->calls++;
    strncpy(r->last_type, type, sizeof r->last_type - 1);
    r->last_n = json_integer_value(json_object_get(data, "n"));
    if (r->unsub) {
        vb_hub_unsubscribe(r->unsub);
        r->unsub = NULL;
    }
    if (r->add) {
        assert_int_equal(vb_hub_subscribe(r->add, topic, on_ev, r->add_rec), 0);
        r->add = NULL;
    }
    if (r->republish) {
        const char *t = r->republish;
        r->republish = NULL;
        json_t *d = json_pack("{s:i}", "n", 99);
        vb_hub_publish(t, "nested", d);
        json_decref(d);
    }
}

static void publish_n(const char *topic, int n)
{
    json_t *d = json_pack("{s:i}", "n", n);
    vb_hub_publish(topic, "t", d);
    json_decref(d);
}

static void test_basic(void **state)
{
    rec a = {0}, b = {0}, c = {0};
    assert_int_equal(vb_hub_subscribe(&a.sub, "workspace:1", on_ev, &a), 0);
    assert_int_equal(vb_hub_subscribe(&b.sub, "workspace:1", on_ev, &b), 0);
    assert_int_equal(vb_hub_subscribe(&c.sub, "project:1", on_ev, &c), 0);
    assert_int_equal(vb_hub_count("workspace:1"), 2);
    assert_int_equal(vb_hub_count("project:1"), 1);
    publish_n("workspace:1", 7);
    assert_int_equal(a.calls, 1);
    assert_int_equal(b.calls, 1);
    assert_int_equal(c.calls, 0);
    assert_int_equal(a.last_n, 7);
    publish_n("nobody", 1); /* no topic: nothing happens */
    vb_hub_unsubscribe(&a.sub);
    vb_hub_unsubscribe(&a.sub); /* idempotent */
    publish_n("workspace:1", 8);
    assert_int_equal(a.calls, 1);
    assert_int_equal(b.calls, 2);
    /* moving a subscription */
    assert_int_equal(vb_hub_subscribe(&b.sub, "project:1", on_ev, &b), 0);
    assert_int_equal(vb_hub_count("workspace:1"), 0);
    assert_int_equal(vb_hub_count("project:1"), 2);
    publish_n("project:1", 9);
    assert_int_equal(b.calls, 3);
    assert_int_equal(c.calls, 1);
    vb_hub_unsubscribe(&b.sub);
    vb_hub_unsubscribe(&c.sub);
    assert_int_equal(vb_hub_count("project:1"), 0);
    vb_hub_shutdown();
}

/* A subscriber removes itself and the next one during delivery. */
static void test_unsubscribe_during_delivery(void **state)
{
    rec r[4];
    memset(r, 0, sizeof r);
    for (int i = 0; i < 4; i++)
        assert_int_equal(vb_hub_subscribe(&r[i].sub, "x", on_ev, &r[i]), 0);
    /* The list is newest first: r[3], r[2], r[1], r[0]. r[3] removes r[2]
     * (the next to be called) and r[1] removes itself. */
    r[3].unsub = &r[2].sub;
    r[1].unsub = &r[1].sub;
    publish_n("x", 1);
    assert_int_equal(r[3].calls, 1);
    assert_int_equal(r[2].calls, 0);
    assert_int_equal(r[1].calls, 1);
    assert_int_equal(r[0].calls, 1);
    assert_int_equal(vb_hub_count("x"), 2);
    /* The last subscriber removes every other one and itself: the topic goes. */
    r[0].unsub = &r[3].sub;
    publish_n("x", 2);
    assert_int_equal(r[0].calls, 2);
    vb_hub_unsubscribe(&r[0].sub);
    assert_int_equal(vb_hub_count("x"), 0);
    vb_hub_shutdown();
}

/* A subscription added during delivery gets nothing of that event. */
static void test_subscribe_during_delivery(void **state)
{
    rec a = {0}, b = {0};
    assert_int_equal(vb_hub_subscribe(&a.sub, "x", on_ev, &a), 0);
    a.add = &b.sub;
    a.add_rec = &b;
    publish_n("x", 1);
    assert_int_equal(a.calls, 1);
    assert_int_equal(b.calls, 0);
    assert_int_equal(vb_hub_count("x"), 2);
    publish_n("x", 2);
    assert_int_equal(b.calls, 1);
    vb_hub_unsubscribe(&a.sub);
    vb_hub_unsubscribe(&b.sub);
    vb_hub_shutdown();
}

/* A publish from inside a delivery, on the same topic, with removal. */
static void test_nested_publish(void **state)
{
    rec a = {0}, b = {0};
    assert_int_equal(vb_hub_subscribe(&a.sub, "x", on_ev, &a), 0);
    assert_int_equal(vb_hub_subscribe(&b.sub, "x", on_ev, &b), 0); /* called first */
    b.republish = "x";
    b.unsub = &a.sub; /* removed before the nested publish runs */
    publish_n("x", 1);
    assert_int_equal(b.calls, 2); /* outer and nested */
    assert_int_equal(a.calls, 0);
    assert_string_equal(b.last_type, "nested");
    vb_hub_unsubscribe(&b.sub);
    assert_int_equal(vb_hub_count("x"), 0);
    vb_hub_shutdown();
}

static void test_publish_events(void **state)
{
    rec a = {0};
    assert_int_equal(vb_hub_subscribe(&a.sub, "project:p", on_ev, &a), 0);
    json_t *evs =
        json_pack("[{s:s,s:s,s:{s:i}},{s:s,s:s,s:{}},{s:s,s:s,s:{s:i}}]", "topic", "project:p",
                  "type", "task_changed", "data", "n", 5, "topic", "workspace:w", "type",
                  "activity", "data", "topic", "project:p", "type", "activity", "data", "n", 6);
    vb_hub_publish_events(evs, NULL);
    json_decref(evs);
    assert_int_equal(a.calls, 2);
    assert_string_equal(a.last_type, "activity");
    assert_int_equal(a.last_n, 6);
    vb_hub_unsubscribe(&a.sub);
    vb_hub_shutdown();
}

/* Many topics (table growth) come and go. */
static void test_many_topics(void **state)
{
    enum { N = 3000 };
    static rec r[N];
    char topic[32];
    memset(r, 0, sizeof r);
    for (int i = 0; i < N; i++) {
        snprintf(topic, sizeof topic, "t:%d", i);
        assert_int_equal(vb_hub_subscribe(&r[i].sub, topic, on_ev, &r[i]), 0);
    }
    for (int i = 0; i < N; i += 7) {
        snprintf(topic, sizeof topic, "t:%d", i);
        publish_n(topic, i);
        assert_int_equal(r[i].calls, 1);
        assert_int_equal(r[i].last_n, i);
    }
    for (int i = 0; i < N; i++)
        vb_hub_unsubscribe(&r[i].sub);
    assert_int_equal(vb_hub_count("t:5"), 0);
    vb_hub_shutdown();
}

static void test_topic_names(void **state)
{
    (void)state;
    char t[VB_HUB_TOPIC_MAX];
    assert_string_equal(vb_hub_topic(t, VB_HUB_WORKSPACE, "w1"), "workspace:w1");
    assert_string_equal(vb_hub_topic(t, VB_HUB_PROJECT, "p1"), "project:p1");
    assert_string_equal(vb_hub_topic(t, VB_HUB_CHANNEL, "c1"), "channel:c1");
    assert_string_equal(vb_hub_topic(t, VB_HUB_USER, "u1"), "user:u1");
    char longid[300];
    memset(longid, 'x', sizeof longid - 1);
    longid[sizeof longid - 1] = '\0';
    assert_int_equal(strlen(vb_hub_topic(t, VB_HUB_USER, longid)), VB_HUB_TOPIC_MAX - 1);
}

/* The store names its events' topics itself (it does not depend on the hub):
 * the names must be the hub's. */
static void test_store_topic_names(void **state)
{
    (void)state;
    char h[VB_HUB_TOPIC_MAX], o[VB_OP_TOPIC_MAX];
    const struct {
        vb_hub_kind hub;
        vb_op_topic_kind op;
    } kinds[] = {{VB_HUB_WORKSPACE, VB_OP_TOPIC_WORKSPACE},
                 {VB_HUB_PROJECT, VB_OP_TOPIC_PROJECT},
                 {VB_HUB_CHANNEL, VB_OP_TOPIC_CHANNEL},
                 {VB_HUB_USER, VB_OP_TOPIC_USER}};
    char longid[300];

    memset(longid, 'x', sizeof longid - 1);
    longid[sizeof longid - 1] = '\0';
    assert_int_equal(VB_OP_TOPIC_MAX, VB_HUB_TOPIC_MAX);
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        assert_string_equal(vb_op_topic(o, kinds[i].op, "01ABC"),
                            vb_hub_topic(h, kinds[i].hub, "01ABC"));
        assert_string_equal(vb_op_topic(o, kinds[i].op, longid),
                            vb_hub_topic(h, kinds[i].hub, longid));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_topic_names),
        cmocka_unit_test(test_store_topic_names),
        cmocka_unit_test(test_unsubscribe_during_delivery),
        cmocka_unit_test(test_subscribe_during_delivery),
        cmocka_unit_test(test_nested_publish),
        cmocka_unit_test(test_publish_events),
        cmocka_unit_test(test_many_topics),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
