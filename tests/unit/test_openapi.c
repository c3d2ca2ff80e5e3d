/* Unit tests for http/vb_openapi.c and vb_openapi_html.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/vb_common.h"
#include "http/vb_openapi.h"

#include <stdlib.h>
#include <string.h>

static const char *const ROLES[] = {"admin", "member", NULL};
static const vb_field INVITE_FIELDS[] = {
    {.name = "email",
     .type = VB_F_STRING,
     .required = 1,
     .format = VB_FMT_EMAIL,
     .max = 254,
     .description = "who to invite"},
    {.name = "role", .type = VB_F_ENUM, .values = ROLES},
    {.name = "note", .type = VB_F_STRING, .nullable = 1, .min = 1, .max = 200},
    {.name = "labelIds", .type = VB_F_STRING_ARRAY, .max = 20, .format = VB_FMT_ID},
};
static const vb_schema INVITE = VB_SCHEMA(INVITE_FIELDS);
static const vb_field PATCH_FIELDS[] = {{.name = "name", .type = VB_F_STRING, .min = 1}};
static const vb_schema PATCH = VB_SCHEMA_PATCH(PATCH_FIELDS);
static const vb_field PAGE_FIELDS[] = {
    {.name = "page", .type = VB_F_INT, .min = 1, .max = 100000},
    {.name = "limit", .type = VB_F_INT, .min = 1, .max = 100},
    {.name = "status", .type = VB_F_STRING_ARRAY},
};
static const vb_schema PAGE = VB_SCHEMA(PAGE_FIELDS);

static const vb_route ROUTES[] = {
    {.method = "GET",
     .pattern = "/api/v1/health",
     .op_id = "health",
     .tag = "ops",
     .summary = "Health",
     .status = 200},
    {.method = "GET",
     .pattern = "/api/v1/workspaces/:wid/members",
     .op_id = "listMembers",
     .tag = "workspaces",
     .summary = "List members",
     .auth = VB_AUTH_BEARER,
     .query = &PAGE,
     .status = 200,
     .result = VB_RESULT_PAGE},
    {.method = "POST",
     .pattern = "/api/v1/workspaces/:wid/invite",
     .op_id = "invite",
     .tag = "workspaces",
     .summary = "Invite",
     .auth = VB_AUTH_BEARER,
     .body = &INVITE,
     .status = 201},
    {.method = "PATCH",
     .pattern = "/api/v1/workspaces/:wid/members/:userId",
     .op_id = "updateMember",
     .tag = "workspaces",
     .auth = VB_AUTH_BEARER,
     .body = &PATCH,
     .status = 200},
    {.method = "DELETE",
     .pattern = "/api/v1/workspaces/:wid/members/:userId",
     .op_id = "removeMember",
     .tag = "workspaces",
     .auth = VB_AUTH_BEARER,
     .status = 204,
     .result = VB_RESULT_EMPTY},
};
static const vb_route_group GROUP = {ROUTES, VB_ARRAY_LEN(ROUTES)};

static int setup(void **state)
{
    vb_router *r = NULL;
    if (vb_router_new(&r, &GROUP, 1) != 0) return -1;
    json_t *doc = vb_openapi_build(r, "vibed", "0.1.0");
    vb_router_free(r);
    if (!doc) return -1;
    *state = doc;
    return 0;
}

static int teardown(void **state)
{
    json_decref(*state);
    return 0;
}

/* Follows a '/'-separated path of object keys and array indexes. */
static json_t *at(json_t *doc, const char *path)
{
    char buf[256], *save = NULL;
    json_t *cur = doc;
    snprintf(buf, sizeof buf, "%s", path);
    for (char *k = strtok_r(buf, "|", &save); k && cur; k = strtok_r(NULL, "|", &save)) {
        if (json_is_array(cur))
            cur = json_array_get(cur, (size_t)atoi(k));
        else
            cur = json_object_get(cur, k);
    }
    return cur;
}

static const char *str_at(json_t *doc, const char *path)
{
    json_t *v = at(doc, path);
    if (!json_is_string(v)) {
        print_error("no string at %s\n", path);
        fail();
    }
    return json_string_value(v);
}

static void test_top_level(void **state)
{
    json_t *doc = *state;
    assert_string_equal(str_at(doc, "openapi"), "3.1.0");
    assert_string_equal(str_at(doc, "info|title"), "vibed");
    assert_string_equal(str_at(doc, "info|version"), "0.1.0");
    assert_string_equal(str_at(doc, "components|securitySchemes|bearerAuth|type"), "http");
    assert_string_equal(str_at(doc, "components|securitySchemes|bearerAuth|scheme"), "bearer");
    assert_string_equal(str_at(doc, "components|securitySchemes|bearerAuth|bearerFormat"), "JWT");
    json_t *err = at(doc, "components|schemas|Error|properties");
    assert_non_null(json_object_get(err, "statusCode"));
    assert_non_null(json_object_get(err, "code"));
    assert_non_null(json_object_get(err, "message"));
    assert_non_null(json_object_get(err, "errors"));
    assert_int_equal(json_array_size(at(doc, "tags")), 2);
    assert_string_equal(str_at(doc, "tags|0|name"), "ops");
    assert_int_equal(json_object_size(at(doc, "paths")), 4);
    /* Serializes. */
    char *text = json_dumps(doc, 0);
    assert_non_null(text);
    free(text);
}

static void test_paths_and_params(void **state)
{
    json_t *doc = *state;
    json_t *item = at(doc, "paths|/api/v1/workspaces/{wid}/members/{userId}");
    assert_non_null(item);
    assert_non_null(json_object_get(item, "patch"));
    assert_non_null(json_object_get(item, "delete"));
    assert_string_equal(str_at(item, "patch|operationId"), "updateMember");
    assert_string_equal(str_at(item, "delete|tags|0"), "workspaces");
    json_t *ps = at(item, "delete|parameters");
    assert_int_equal(json_array_size(ps), 2);
    assert_string_equal(str_at(ps, "0|name"), "wid");
    assert_string_equal(str_at(ps, "0|in"), "path");
    assert_true(json_is_true(at(ps, "0|required")));
    assert_string_equal(str_at(ps, "0|schema|type"), "string");
    assert_string_equal(str_at(ps, "1|name"), "userId");
    assert_non_null(at(item, "delete|responses|204"));
    assert_null(at(item, "delete|responses|204|content"));
    assert_null(at(item, "delete|responses|422"));
    assert_null(at(doc, "paths|/api/v1/workspaces/:wid/members"));

    json_t *list = at(doc, "paths|/api/v1/workspaces/{wid}/members|get");
    assert_non_null(list);
    ps = at(list, "parameters");
    assert_int_equal(json_array_size(ps), 4);
    assert_string_equal(str_at(ps, "1|name"), "page");
    assert_string_equal(str_at(ps, "1|in"), "query");
    assert_true(json_is_false(at(ps, "1|required")));
    assert_string_equal(str_at(ps, "1|schema|type"), "integer");
    assert_int_equal(json_integer_value(at(ps, "2|schema|minimum")), 1);
    assert_int_equal(json_integer_value(at(ps, "2|schema|maximum")), 100);
    assert_string_equal(str_at(ps, "3|schema|type"), "array");
    assert_string_equal(str_at(ps, "3|schema|items|type"), "string");
    assert_non_null(at(list, "responses|200|content|application/json|schema|properties|meta"));
    assert_non_null(at(list, "responses|422"));
    assert_string_equal(str_at(list, "responses|401|content|application/json|schema|$ref"),
                        "#/components/schemas/Error");
}

static void test_security(void **state)
{
    json_t *doc = *state;
    json_t *health = at(doc, "paths|/api/v1/health|get");
    assert_non_null(health);
    assert_true(json_is_array(at(health, "security")));
    assert_int_equal(json_array_size(at(health, "security")), 0);
    assert_null(at(health, "responses|401"));
    assert_null(at(health, "parameters"));
    assert_non_null(at(health, "responses|404"));
    json_t *inv = at(doc, "paths|/api/v1/workspaces/{wid}/invite|post");
    assert_true(json_is_array(at(inv, "security|0|bearerAuth")));
    assert_non_null(at(inv, "responses|401"));
}

static void test_request_body(void **state)
{
    json_t *doc = *state;
    json_t *inv = at(doc, "paths|/api/v1/workspaces/{wid}/invite|post");
    json_t *s = at(inv, "requestBody|content|application/json|schema");
    assert_non_null(s);
    assert_true(json_is_true(at(inv, "requestBody|required")));
    assert_string_equal(str_at(s, "type"), "object");
    assert_int_equal(json_array_size(at(s, "required")), 1);
    assert_string_equal(str_at(s, "required|0"), "email");
    assert_string_equal(str_at(s, "properties|email|type"), "string");
    assert_string_equal(str_at(s, "properties|email|format"), "email");
    assert_int_equal(json_integer_value(at(s, "properties|email|maxLength")), 254);
    assert_null(at(s, "properties|email|minLength"));
    assert_string_equal(str_at(s, "properties|email|description"), "who to invite");
    assert_string_equal(str_at(s, "properties|role|enum|1"), "member");
    assert_string_equal(str_at(s, "properties|note|type|0"), "string");
    assert_string_equal(str_at(s, "properties|note|type|1"), "null");
    assert_int_equal(json_integer_value(at(s, "properties|note|minLength")), 1);
    assert_string_equal(str_at(s, "properties|labelIds|type"), "array");
    assert_string_equal(str_at(s, "properties|labelIds|items|format"), "vb-id");
    assert_int_equal(json_integer_value(at(s, "properties|labelIds|maxItems")), 20);
    assert_non_null(at(inv, "responses|201|content"));
    assert_non_null(at(inv, "responses|422"));
    json_t *patch = at(doc, "paths|/api/v1/workspaces/{wid}/members/{userId}|patch|requestBody|"
                            "content|application/json|schema");
    assert_int_equal(json_integer_value(at(patch, "minProperties")), 1);
    assert_null(at(patch, "required"));
}

static void test_html(void **state)
{
    char *html = vb_openapi_html("/api/v1/docs/openapi.json?a=1&b=\"<x>\"");
    assert_non_null(html);
    assert_non_null(strstr(html, "<!doctype html>"));
    assert_non_null(strstr(html, "data-spec=\"/api/v1/docs/openapi.json?a=1&amp;b=&quot;&lt;x&gt;"
                                 "&quot;\""));
    assert_null(strstr(html, "<x>"));
    assert_null(strstr(html, "http://")); /* nothing external */
    assert_null(strstr(html, "https://"));
    assert_null(strstr(html, "innerHTML"));
    assert_non_null(strstr(html, "fetch("));
    assert_non_null(strstr(html, "</html>"));
    free(html);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_top_level, setup, teardown),
        cmocka_unit_test_setup_teardown(test_paths_and_params, setup, teardown),
        cmocka_unit_test_setup_teardown(test_security, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_body, setup, teardown),
        cmocka_unit_test(test_html),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
