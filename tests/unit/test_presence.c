/* Unit tests for hub/vb_presence.c: per user (not per connection), per
 * workspace, and the presence events on the hub. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/vb_common.h"
#include "hub/vb_hub.h"
#include "hub/vb_presence.h"

#include <string.h>

typedef struct watch {
    vb_hub_sub sub;
    int online, offline;
    char last_user[32];
} watch;

static void on_ev(vb_hub_sub *sub, const char *topic, const char *type, json_t *data, void *ud)
{
    watch *w = ud;
    if (strcmp(type, "presence:online") == 0) {
        w->online++;
        assert_non_null(json_object_get(data, "userName"));
    } else if (strcmp(type, "presence:offline") == 0) {
        w->offline++;
    } else {
        return;
    }
    strncpy(w->last_user, json_string_value(json_object_get(data, "userId")),
            sizeof w->last_user - 1);
}

static void teardown_all(void)
{
    vb_presence_shutdown();
    vb_hub_shutdown();
}

static void test_two_connections_count_once(void **state)
{
    watch w = {0};
    assert_int_equal(vb_hub_subscribe(&w.sub, "workspace:w1", on_ev, &w), 0);
    json_t *ws = json_pack("[s]", "w1");
    assert_int_equal(vb_presence_connect("u1", "Ann A", ws), 0);
    assert_int_equal(vb_presence_connect("u1", "Ann A", ws), 0);
    assert_int_equal(vb_presence_count("w1"), 1);
    assert_int_equal(w.online, 1); /* once, for the first connection */
    assert_true(vb_presence_is_online("u1"));
    vb_presence_disconnect("u1");
    assert_int_equal(vb_presence_count("w1"), 1); /* one connection left */
    assert_int_equal(w.offline, 0);
    vb_presence_disconnect("u1");
    assert_int_equal(vb_presence_count("w1"), 0);
    assert_int_equal(w.offline, 1);
    assert_false(vb_presence_is_online("u1"));
    vb_presence_disconnect("u1"); /* unknown user: no-op */
    json_decref(ws);
    vb_hub_unsubscribe(&w.sub);
    teardown_all();
}

static void test_per_workspace(void **state)
{
    watch w1 = {0}, w2 = {0};
    assert_int_equal(vb_hub_subscribe(&w1.sub, "workspace:w1", on_ev, &w1), 0);
    assert_int_equal(vb_hub_subscribe(&w2.sub, "workspace:w2", on_ev, &w2), 0);
    json_t *a = json_pack("[s,s]", "w1", "w2"), *b = json_pack("[s]", "w2");
    assert_int_equal(vb_presence_connect("ua", "A A", a), 0);
    assert_int_equal(vb_presence_connect("ub", "B B", b), 0);
    assert_int_equal(vb_presence_count("w1"), 1);
    assert_int_equal(vb_presence_count("w2"), 2);
    assert_int_equal(w1.online, 1);
    assert_int_equal(w2.online, 2);
    json_t *ids = vb_presence_online("w2");
    assert_int_equal(json_array_size(ids), 2);
    assert_string_equal(json_string_value(json_array_get(ids, 0)), "ua"); /* sorted */
    assert_string_equal(json_string_value(json_array_get(ids, 1)), "ub");
    json_decref(ids);
    ids = vb_presence_online("nowhere");
    assert_int_equal(json_array_size(ids), 0);
    json_decref(ids);
    /* ua leaves w2 only */
    vb_presence_leave_workspace("ua", "w2");
    assert_int_equal(vb_presence_count("w2"), 1);
    assert_int_equal(vb_presence_count("w1"), 1);
    assert_int_equal(w2.offline, 1);
    assert_string_equal(w2.last_user, "ua");
    vb_presence_leave_workspace("ua", "w2"); /* twice: no second event */
    assert_int_equal(w2.offline, 1);
    /* and joins it back while online */
    vb_presence_join_workspace("ua", "w2");
    assert_int_equal(vb_presence_count("w2"), 2);
    assert_int_equal(w2.online, 3);
    vb_presence_join_workspace("nobody", "w2"); /* offline users are not added */
    assert_int_equal(vb_presence_count("w2"), 2);
    vb_presence_disconnect("ua");
    assert_int_equal(vb_presence_count("w1"), 0);
    assert_int_equal(w1.offline, 1);
    vb_presence_disconnect("ub");
    assert_int_equal(vb_presence_count("w2"), 0);
    json_decref(a);
    json_decref(b);
    vb_hub_unsubscribe(&w1.sub);
    vb_hub_unsubscribe(&w2.sub);
    /* presence subscribes to workspaces with online users only */
    assert_int_equal(vb_hub_count("workspace:w1"), 0);
    teardown_all();
}

/* A member_removed event on the hub takes the user offline in that workspace. */
static void test_member_removed(void **state)
{
    watch w = {0};
    assert_int_equal(vb_hub_subscribe(&w.sub, "workspace:w1", on_ev, &w), 0);
    json_t *ws = json_pack("[s,s]", "w1", "w2");
    assert_int_equal(vb_presence_connect("u1", "U One", ws), 0);
    assert_int_equal(vb_presence_connect("u2", "U Two", ws), 0);
    json_t *ev = json_pack("{s:s,s:s}", "workspaceId", "w1", "userId", "u1");
    vb_hub_publish("workspace:w1", "member_removed", ev);
    json_decref(ev);
    assert_int_equal(vb_presence_count("w1"), 1);
    assert_int_equal(vb_presence_count("w2"), 2);
    assert_int_equal(w.offline, 1);
    assert_true(vb_presence_is_online("u1"));
    /* the last online member removed: the workspace record goes */
    ev = json_pack("{s:s,s:s}", "workspaceId", "w1", "userId", "u2");
    vb_hub_publish("workspace:w1", "member_removed", ev);
    json_decref(ev);
    assert_int_equal(vb_presence_count("w1"), 0);
    assert_int_equal(vb_hub_count("workspace:w1"), 1); /* only our watcher */
    vb_presence_disconnect("u1");
    vb_presence_disconnect("u2");
    json_decref(ws);
    vb_hub_unsubscribe(&w.sub);
    teardown_all();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_connections_count_once),
        cmocka_unit_test(test_per_workspace),
        cmocka_unit_test(test_member_removed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
