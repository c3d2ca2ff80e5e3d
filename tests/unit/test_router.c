/* Unit tests for http/vb_router.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/vb_common.h"
#include "http/vb_router.h"

#include <string.h>

static const vb_route ROUTES_A[] = {
    {.method = "GET", .pattern = "/api/v1/health", .op_id = "health"},
    {.method = "GET", .pattern = "/api/v1/workspaces", .op_id = "listWorkspaces"},
    {.method = "POST", .pattern = "/api/v1/workspaces", .op_id = "createWorkspace"},
    {.method = "GET", .pattern = "/api/v1/workspaces/:wid", .op_id = "getWorkspace"},
    {.method = "DELETE", .pattern = "/api/v1/workspaces/:wid", .op_id = "deleteWorkspace"},
    {.method = "PATCH",
     .pattern = "/api/v1/workspaces/:wid/members/:userId",
     .op_id = "updateMember"},
};
static const vb_route ROUTES_B[] = {
    {.method = "GET", .pattern = "/api/v1/tasks/:id", .op_id = "getTask"},
    {.method = "GET", .pattern = "/api/v1/tasks/:id/subtasks", .op_id = "listSubtasks"},
    {.method = "GET", .pattern = "/api/v1/tasks/:id/:what", .op_id = "taskWhat"},
    {.method = "GET", .pattern = "/api/v1/notifications/:id", .op_id = "getNotification"},
    {.method = "GET", .pattern = "/api/v1/notifications/unread-count", .op_id = "unreadCount"},
    {.method = "PATCH", .pattern = "/api/v1/notifications/:id/read", .op_id = "markRead"},
    {.method = "GET", .pattern = "/", .op_id = "root"},
};
static const vb_route_group GROUPS[] = {{ROUTES_A, VB_ARRAY_LEN(ROUTES_A)},
                                        {ROUTES_B, VB_ARRAY_LEN(ROUTES_B)}};

static int setup(void **state)
{
    vb_router *r = NULL;
    if (vb_router_new(&r, GROUPS, VB_ARRAY_LEN(GROUPS)) != 0) return -1;
    *state = r;
    return 0;
}

static int teardown(void **state)
{
    vb_router_free(*state);
    return 0;
}

/* Matches and returns the op_id, or "404"/"405". */
static const char *m(void **state, const char *method, const char *path, vb_route_params *p)
{
    vb_route_params local;
    int mm = -1;
    const vb_route *rt = vb_router_match(*state, method, path, p ? p : &local, &mm);
    if (rt) {
        assert_int_equal(mm, 0);
        return rt->op_id;
    }
    assert_true(mm == 0 || mm == 1);
    return mm ? "405" : "404";
}

static void test_literals_and_params(void **state)
{
    vb_route_params p;
    assert_string_equal(m(state, "GET", "/api/v1/health", &p), "health");
    assert_int_equal(p.n, 0);
    assert_string_equal(m(state, "GET", "/api/v1/workspaces", NULL), "listWorkspaces");
    assert_string_equal(m(state, "POST", "/api/v1/workspaces", NULL), "createWorkspace");
    assert_string_equal(m(state, "GET", "/api/v1/workspaces/w1", &p), "getWorkspace");
    assert_int_equal(p.n, 1);
    assert_string_equal(p.p[0].name, "wid");
    assert_string_equal(p.p[0].value, "w1");
    assert_string_equal(m(state, "PATCH", "/api/v1/workspaces/w1/members/u2", &p), "updateMember");
    assert_int_equal(p.n, 2);
    assert_string_equal(p.p[0].name, "wid");
    assert_string_equal(p.p[0].value, "w1");
    assert_string_equal(p.p[1].name, "userId");
    assert_string_equal(p.p[1].value, "u2");
    assert_string_equal(m(state, "GET", "/", &p), "root");
}

static void test_precedence(void **state)
{
    vb_route_params p;
    assert_string_equal(m(state, "GET", "/api/v1/tasks/t1/subtasks", &p), "listSubtasks");
    assert_int_equal(p.n, 1);
    assert_string_equal(p.p[0].value, "t1");
    assert_string_equal(m(state, "GET", "/api/v1/tasks/t1/comments", &p), "taskWhat");
    assert_int_equal(p.n, 2);
    assert_string_equal(p.p[1].name, "what");
    assert_string_equal(p.p[1].value, "comments");
    /* Literal declared after the parameter route still wins. */
    assert_string_equal(m(state, "GET", "/api/v1/notifications/unread-count", &p), "unreadCount");
    assert_int_equal(p.n, 0);
    assert_string_equal(m(state, "GET", "/api/v1/notifications/n1", &p), "getNotification");
    assert_string_equal(p.p[0].value, "n1");
}

static void test_404_405(void **state)
{
    assert_string_equal(m(state, "GET", "/api/v1/nothing", NULL), "404");
    assert_string_equal(m(state, "GET", "/api/v1/workspaces/w1/members", NULL), "404");
    assert_string_equal(m(state, "PUT", "/api/v1/workspaces", NULL), "405");
    assert_string_equal(m(state, "POST", "/api/v1/workspaces/w1", NULL), "405");
    assert_string_equal(m(state, "GET", "/api/v1/notifications/n1/read", NULL), "405");
    assert_string_equal(m(state, "get", "/api/v1/health", NULL), "405"); /* methods are exact */
    assert_string_equal(m(state, "GET", "api/v1/health", NULL), "404");
    assert_string_equal(m(state, "GET", "", NULL), "404");
    /* NULL out-parameters are allowed. */
    assert_null(vb_router_match(*state, "GET", "/nope", NULL, NULL));
}

static void test_slashes(void **state)
{
    vb_route_params p;
    assert_string_equal(m(state, "GET", "/api/v1/workspaces/", NULL), "listWorkspaces");
    assert_string_equal(m(state, "GET", "/api/v1/workspaces/w1/", &p), "getWorkspace");
    assert_string_equal(p.p[0].value, "w1");
    assert_string_equal(m(state, "GET", "/api/v1/workspaces//", NULL), "404");
    assert_string_equal(m(state, "GET", "/api/v1//workspaces", NULL), "404");
    assert_string_equal(m(state, "GET", "//api/v1/workspaces", NULL), "404");
    assert_string_equal(m(state, "GET", "/api/v1/tasks//subtasks", NULL), "404");
    assert_string_equal(m(state, "GET", "//", NULL), "404");
}

static void test_decoding_and_length(void **state)
{
    vb_route_params p;
    assert_string_equal(m(state, "GET", "/api/v1/workspaces/a%20b%2Fc", &p), "getWorkspace");
    assert_string_equal(p.p[0].value, "a b/c");
    assert_string_equal(m(state, "GET", "/api/v1/work%73paces", NULL), "listWorkspaces");
    assert_string_equal(m(state, "GET", "/api/v1/workspaces/a%2", NULL), "404");
    assert_string_equal(m(state, "GET", "/api/v1/workspaces/a%zz", NULL), "404");
    assert_string_equal(m(state, "GET", "/api/v1/workspaces/a%00", NULL), "404");

    char path[300], seg[200];
    memset(seg, 'x', 127);
    seg[127] = '\0';
    snprintf(path, sizeof path, "/api/v1/workspaces/%s", seg);
    assert_string_equal(m(state, "GET", path, &p), "getWorkspace");
    assert_int_equal(strlen(p.p[0].value), 127);
    seg[127] = 'x';
    seg[128] = '\0';
    snprintf(path, sizeof path, "/api/v1/workspaces/%s", seg);
    assert_string_equal(m(state, "GET", path, NULL), "404");
    /* 127 decoded bytes written as escapes is fine: the limit is on the value. */
    char enc[512] = "/api/v1/workspaces/";
    for (int i = 0; i < 127; i++)
        strcat(enc, "%41");
    assert_string_equal(m(state, "GET", enc, &p), "getWorkspace");
    assert_int_equal(strlen(p.p[0].value), 127);
    assert_int_equal(p.p[0].value[0], 'A');
    /* Many segments. */
    assert_string_equal(m(state, "GET", "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/t/u", NULL), "404");
}

/* Records the op_id of each route visited, in order. */
static void collect_cb(const vb_route *route, void *ud)
{
    json_t *arr = ud;
    json_array_append_new(arr, json_string(route->op_id));
}

static void test_each(void **state)
{
    json_t *seen = json_array();
    vb_router_each(*state, collect_cb, seen);
    assert_int_equal(json_array_size(seen), VB_ARRAY_LEN(ROUTES_A) + VB_ARRAY_LEN(ROUTES_B));
    assert_string_equal(json_string_value(json_array_get(seen, 0)), "health");
    assert_string_equal(json_string_value(json_array_get(seen, VB_ARRAY_LEN(ROUTES_A))), "getTask");
    json_decref(seen);
}

static void test_bad_tables(void **state)
{
    vb_router *r = (vb_router *)1;
    static const vb_route dup[] = {
        {.method = "GET", .pattern = "/a/:x", .op_id = "one"},
        {.method = "GET", .pattern = "/a/:y", .op_id = "two"},
    };
    static const vb_route dup_op[] = {
        {.method = "GET", .pattern = "/a", .op_id = "one"},
        {.method = "POST", .pattern = "/a", .op_id = "one"},
    };
    static const vb_route bad1[] = {{.method = "GET", .pattern = "/a//b", .op_id = "x"}};
    static const vb_route bad2[] = {{.method = "GET", .pattern = "a/b", .op_id = "x"}};
    static const vb_route bad3[] = {{.method = "GET", .pattern = "/:a/:b/:c/:d/:e", .op_id = "x"}};
    static const vb_route bad4[] = {{.method = "GET", .pattern = "/a/:", .op_id = "x"}};
    const vb_route_group g[][1] = {{{dup, 2}},  {{dup_op, 2}}, {{bad1, 1}},
                                   {{bad2, 1}}, {{bad3, 1}},   {{bad4, 1}}};
    for (size_t i = 0; i < VB_ARRAY_LEN(g); i++) {
        assert_int_equal(vb_router_new(&r, g[i], 1), VB_EINVAL);
        assert_null(r);
    }
    static const vb_route ok[] = {{.method = "GET", .pattern = "/:a/:b/:c/:d", .op_id = "x"}};
    const vb_route_group gok = {ok, 1};
    vb_route_params p;
    assert_int_equal(vb_router_new(&r, &gok, 1), 0);
    assert_non_null(vb_router_match(r, "GET", "/1/2/3/4", &p, NULL));
    assert_int_equal(p.n, 4);
    assert_string_equal(p.p[3].value, "4");
    vb_router_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_literals_and_params, setup, teardown),
        cmocka_unit_test_setup_teardown(test_precedence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_404_405, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slashes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decoding_and_length, setup, teardown),
        cmocka_unit_test_setup_teardown(test_each, setup, teardown),
        cmocka_unit_test(test_bad_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
