/* Unit tests for http/vb_validate.c and vb_validate_fmt.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "http/vb_validate.h"

#include <string.h>

static const char *const PRIORITIES[] = {"critical", "high", "medium", "low", "none", NULL};

static const vb_field TASK_FIELDS[] = {
    {.name = "title", .type = VB_F_STRING, .required = 1, .min = 1, .max = 10},
    {.name = "description", .type = VB_F_STRING, .nullable = 1, .max = 20},
    {.name = "priority", .type = VB_F_ENUM, .values = PRIORITIES},
    {.name = "estimatePoints", .type = VB_F_INT, .min = 0, .max = 100},
    {.name = "weight", .type = VB_F_NUMBER, .min = -1.5, .max = 2.5},
    {.name = "done", .type = VB_F_BOOL},
    {.name = "assigneeIds", .type = VB_F_STRING_ARRAY, .max = 2, .format = VB_FMT_ID},
    {.name = "dueDate", .type = VB_F_STRING, .nullable = 1, .format = VB_FMT_DATETIME},
    {.name = "email", .type = VB_F_STRING, .format = VB_FMT_EMAIL},
};
static const vb_schema TASK = VB_SCHEMA(TASK_FIELDS);
static const vb_schema TASK_PATCH = VB_SCHEMA_PATCH(TASK_FIELDS);

/* Validates text (JSON) against s; returns the failure count, keeps the
 * (possibly modified) body in *body and errors in *errs. */
static int run(const vb_schema *s, const char *text, json_t **body, json_t **errs)
{
    json_error_t je;
    *body = json_loads(text, JSON_DECODE_ANY, &je);
    assert_non_null(*body);
    *errs = json_array();
    int n = vb_validate_body(s, *body, *errs);
    assert_int_equal((size_t)n, json_array_size(*errs));
    return n;
}

/* 1 if errs holds an error for field whose message contains part. */
static int has_error(json_t *errs, const char *field, const char *part)
{
    size_t i;
    json_t *e;
    json_array_foreach(errs, i, e)
    {
        if (strcmp(json_string_value(json_object_get(e, "field")), field) == 0 &&
            strstr(json_string_value(json_object_get(e, "message")), part))
            return 1;
    }
    return 0;
}

/* Expects exactly one error, on field, mentioning part. */
static void expect_one(const vb_schema *s, const char *text, const char *field, const char *part)
{
    json_t *b, *e;
    int n = run(s, text, &b, &e);
    if (n != 1 || !has_error(e, field, part)) {
        char *d = json_dumps(e, 0);
        print_error("input %s -> %s\n", text, d);
        free(d);
        fail();
    }
    json_decref(b);
    json_decref(e);
}

static void expect_ok(const vb_schema *s, const char *text)
{
    json_t *b, *e;
    int n = run(s, text, &b, &e);
    if (n != 0) {
        char *d = json_dumps(e, 0);
        print_error("input %s -> %s\n", text, d);
        free(d);
        fail();
    }
    json_decref(b);
    json_decref(e);
}

static void test_valid_body_trims_and_drops(void **state)
{
    json_t *b, *e;
    /* Unknown fields are named, never dropped silently. */
    assert_int_equal(run(&TASK, "{\"title\":\"Hi\",\"evil\":1,\"role\":\"admin\"}", &b, &e), 2);
    assert_true(has_error(e, "evil", "is not a known field"));
    assert_true(has_error(e, "role", "is not a known field"));
    json_decref(b);
    json_decref(e);
    assert_int_equal(run(&TASK,
                         "{\"title\":\"  Hi  \","
                         "\"assigneeIds\":[\" 0123456789abcdefghjk \"],"
                         "\"priority\":\" high\",\"description\":null}",
                         &b, &e),
                     0);
    assert_string_equal(json_string_value(json_object_get(b, "title")), "Hi");
    assert_string_equal(json_string_value(json_object_get(b, "priority")), "high");
    assert_string_equal(json_string_value(json_array_get(json_object_get(b, "assigneeIds"), 0)),
                        "0123456789abcdefghjk");
    assert_true(json_is_null(json_object_get(b, "description")));
    assert_int_equal(json_object_size(b), 4);
    json_decref(b);
    json_decref(e);
}

static const vb_field SECRET_FIELDS[] = {
    {.name = "password", .type = VB_F_STRING, .required = 1, .min = 8, .max = 128, .no_trim = 1},
};
static const vb_schema SECRET = VB_SCHEMA(SECRET_FIELDS);

/* Passwords keep their surrounding spaces: trimming would weaken them. */
static void test_no_trim_keeps_spaces(void **state)
{
    json_t *b, *e;
    assert_int_equal(run(&SECRET, "{\"password\":\"  secret pw  \"}", &b, &e), 0);
    assert_string_equal(json_string_value(json_object_get(b, "password")), "  secret pw  ");
    json_decref(b);
    json_decref(e);
}

static void test_body_types(void **state)
{
    expect_one(&TASK, "[]", "body", "object");
    expect_one(&TASK, "\"x\"", "body", "object");
    expect_one(&TASK, "{}", "title", "required");
    expect_one(&TASK, "{\"title\":null}", "title", "null");
    expect_one(&TASK, "{\"title\":5}", "title", "string");
    expect_one(&TASK, "{\"title\":\"ok\",\"estimatePoints\":\"3\"}", "estimatePoints", "integer");
    expect_one(&TASK, "{\"title\":\"ok\",\"estimatePoints\":3.0}", "estimatePoints", "integer");
    expect_one(&TASK, "{\"title\":\"ok\",\"estimatePoints\":3.5}", "estimatePoints", "integer");
    expect_ok(&TASK, "{\"title\":\"ok\",\"estimatePoints\":3}");
    expect_one(&TASK, "{\"title\":\"ok\",\"weight\":\"1\"}", "weight", "number");
    expect_ok(&TASK, "{\"title\":\"ok\",\"weight\":1}");
    expect_ok(&TASK, "{\"title\":\"ok\",\"weight\":-1.5}");
    expect_one(&TASK, "{\"title\":\"ok\",\"done\":1}", "done", "true or false");
    expect_ok(&TASK, "{\"title\":\"ok\",\"done\":false}");
    expect_one(&TASK, "{\"title\":\"ok\",\"priority\":\"urgent\"}", "priority", "one of");
    expect_one(&TASK, "{\"title\":\"ok\",\"priority\":1}", "priority", "string");
    expect_one(&TASK, "{\"title\":\"ok\",\"assigneeIds\":\"x\"}", "assigneeIds", "array");
    expect_one(&TASK, "{\"title\":\"ok\",\"assigneeIds\":[1]}", "assigneeIds", "string");
    expect_one(&TASK, "{\"title\":\"ok\",\"assigneeIds\":[\"bad\"]}", "assigneeIds", "valid id");
    expect_ok(&TASK, "{\"title\":\"ok\",\"assigneeIds\":[]}");
    expect_ok(&TASK, "{\"title\":\"ok\",\"dueDate\":null}");
    expect_one(&TASK, "{\"title\":\"ok\",\"priority\":null}", "priority", "null");
}

static void test_body_limits(void **state)
{
    expect_one(&TASK, "{\"title\":\"\"}", "title", "at least 1");
    expect_one(&TASK, "{\"title\":\"   \"}", "title", "at least 1"); /* trimmed first */
    expect_ok(&TASK, "{\"title\":\"0123456789\"}");
    expect_one(&TASK, "{\"title\":\"0123456789a\"}", "title", "at most 10");
    /* Ten code points, more than ten bytes: "é" x10 and "日本" x5. */
    expect_ok(&TASK, "{\"title\":\"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
                     "\\u00e9\"}");
    expect_ok(&TASK, "{\"title\":\"日本日本日本日本日本\"}");
    expect_one(&TASK, "{\"title\":\"日本日本日本日本日本日\"}", "title", "at most 10");
    expect_one(&TASK, "{\"title\":\"ok\",\"estimatePoints\":101}", "estimatePoints", "at most 100");
    expect_one(&TASK, "{\"title\":\"ok\",\"estimatePoints\":-1}", "estimatePoints", "at least 0");
    expect_ok(&TASK, "{\"title\":\"ok\",\"estimatePoints\":0}");
    expect_ok(&TASK, "{\"title\":\"ok\",\"estimatePoints\":100}");
    expect_one(&TASK, "{\"title\":\"ok\",\"weight\":2.6}", "weight", "at most 2.5");
    expect_one(&TASK, "{\"title\":\"ok\",\"weight\":-2}", "weight", "at least -1.5");
    expect_one(&TASK,
               "{\"title\":\"ok\",\"assigneeIds\":[\"0123456789abcdefghjk\","
               "\"0123456789abcdefghjm\",\"0123456789abcdefghjn\"]}",
               "assigneeIds", "at most 2 items");
    /* Embedded NUL is refused. */
    json_t *b = json_pack("{s:s%}", "title", "a\0b", (size_t)3), *e = json_array();
    assert_int_equal(vb_validate_body(&TASK, b, e), 1);
    json_decref(b);
    json_decref(e);
}

static void test_multiple_errors(void **state)
{
    json_t *b, *e;
    assert_int_equal(run(&TASK, "{\"estimatePoints\":\"x\",\"email\":\"nope\"}", &b, &e), 3);
    assert_true(has_error(e, "title", "is required"));
    assert_true(has_error(e, "estimatePoints", "must be an integer"));
    assert_true(has_error(e, "email", "must be a valid email address"));
    json_decref(b);
    json_decref(e);
}

static void test_patch_min_props(void **state)
{
    json_t *b, *e;
    assert_int_equal(run(&TASK_PATCH, "{}", &b, &e), 2); /* title still required here */
    json_decref(b);
    json_decref(e);

    static const vb_field PF[] = {
        {.name = "name", .type = VB_F_STRING, .min = 1, .max = 50},
        {.name = "color", .type = VB_F_STRING, .format = VB_FMT_COLOR},
    };
    static const vb_schema P = VB_SCHEMA_PATCH(PF);
    expect_one(&P, "{}", "body", "at least one field is required");
    /* An unknown field is never dropped silently: it is an error naming it. */
    expect_one(&P, "{\"unknown\":1}", "unknown", "is not a known field");
    expect_one(&P, "{\"color\":\"#a0B1c2\",\"colour\":\"#a0B1c2\"}", "colour",
               "is not a known field");
    expect_ok(&P, "{\"color\":\"#a0B1c2\"}");
    expect_one(&P, "{\"color\":\"#a0B1c\"}", "color", "color");
}

static void test_formats(void **state)
{
    struct {
        vb_fformat f;
        const char *s;
        int ok;
    } cases[] = {
        {VB_FMT_EMAIL, "a@b.co", 1},
        {VB_FMT_EMAIL, "first.last+tag@sub.example.org", 1},
        {VB_FMT_EMAIL, "a@b", 0},
        {VB_FMT_EMAIL, "a@b.c", 0},
        {VB_FMT_EMAIL, "@b.co", 0},
        {VB_FMT_EMAIL, "a b@c.co", 0},
        {VB_FMT_EMAIL, "a@@b.co", 0},
        {VB_FMT_EMAIL, "a@b..co", 0},
        {VB_FMT_EMAIL, "a@-b.co", 0},
        {VB_FMT_EMAIL, "a.@b.co", 0},
        {VB_FMT_EMAIL, "", 0},
        {VB_FMT_ID, "0123456789abcdefghjk", 1},
        {VB_FMT_ID, "0123456789abcdefghji", 0},
        {VB_FMT_ID, "0123456789abcdefghj", 0},
        {VB_FMT_ID, "0123456789ABCDEFGHJK", 0},
        {VB_FMT_PROJECT_KEY, "AB", 1},
        {VB_FMT_PROJECT_KEY, "A123456789", 1},
        {VB_FMT_PROJECT_KEY, "A1234567890", 0},
        {VB_FMT_PROJECT_KEY, "A", 0},
        {VB_FMT_PROJECT_KEY, "1AB", 0},
        {VB_FMT_PROJECT_KEY, "Ab", 0},
        {VB_FMT_COLOR, "#00ffAA", 1},
        {VB_FMT_COLOR, "00ffAA", 0},
        {VB_FMT_COLOR, "#00ffAG", 0},
        {VB_FMT_COLOR, "#00ffAA0", 0},
        {VB_FMT_SLUG, "my-team-2", 1},
        {VB_FMT_SLUG, "a", 1},
        {VB_FMT_SLUG, "-a", 0},
        {VB_FMT_SLUG, "a-", 0},
        {VB_FMT_SLUG, "a--b", 0},
        {VB_FMT_SLUG, "A", 0},
        {VB_FMT_SLUG, "", 0},
        {VB_FMT_CHANNEL_NAME, "general", 1},
        {VB_FMT_CHANNEL_NAME, "--dev--", 1},
        {VB_FMT_CHANNEL_NAME, "Dev", 0},
        {VB_FMT_CHANNEL_NAME, "a b", 0},
        {VB_FMT_CHANNEL_NAME, "", 0},
        {VB_FMT_DATETIME, "2026-02-28", 1},
        {VB_FMT_DATETIME, "2024-02-29", 1},
        {VB_FMT_DATETIME, "2026-02-29", 0},
        {VB_FMT_DATETIME, "2026-13-01", 0},
        {VB_FMT_DATETIME, "2026-1-01", 0},
        {VB_FMT_DATETIME, "2026-11-27T18:00", 1},
        {VB_FMT_DATETIME, "2026-11-27T18:00:00Z", 1},
        {VB_FMT_DATETIME, "2026-11-27T18:00:00.123Z", 1},
        {VB_FMT_DATETIME, "2026-11-27T18:00:00+05:30", 1},
        {VB_FMT_DATETIME, "2026-11-27T18:00:00-08:00", 1},
        {VB_FMT_DATETIME, "2026-11-27T24:00:00Z", 0},
        {VB_FMT_DATETIME, "2026-11-27T18:00:00.Z", 0},
        {VB_FMT_DATETIME, "2026-11-27T18:00:00ZZ", 0},
        {VB_FMT_DATETIME, "2026-11-27 18:00:00", 0},
        {VB_FMT_DATETIME, "tomorrow", 0},
        {VB_FMT_URL, "https://x", 1},
        {VB_FMT_URL, "http://example.com/a?b=c", 1},
        {VB_FMT_URL, "https://", 0},
        {VB_FMT_URL, "ftp://x", 0},
        {VB_FMT_URL, "javascript:alert(1)", 0},
        {VB_FMT_URL, "https://a b", 0},
        {VB_FMT_NONE, "anything", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (vb_format_ok(cases[i].f, cases[i].s) != cases[i].ok) {
            print_error("format %d on \"%s\": expected %d\n", cases[i].f, cases[i].s, cases[i].ok);
            fail();
        }
    }
    char long_email[300];
    memset(long_email, 'a', sizeof long_email);
    memcpy(long_email + 250, "@b.co", 6); /* 255 chars */
    assert_int_equal(vb_format_ok(VB_FMT_EMAIL, long_email), 0);
}

static const char *const ORDERS[] = {"asc", "desc", NULL};
static const vb_field Q_FIELDS[] = {
    {.name = "page", .type = VB_F_INT, .min = 1, .max = 1000},
    {.name = "limit", .type = VB_F_INT, .min = 1, .max = 100},
    {.name = "q", .type = VB_F_STRING, .max = 20},
    {.name = "before", .type = VB_F_STRING, .format = VB_FMT_ID},
    {.name = "mine", .type = VB_F_BOOL},
    {.name = "score", .type = VB_F_NUMBER},
    {.name = "order", .type = VB_F_ENUM, .values = ORDERS},
    {.name = "status", .type = VB_F_STRING_ARRAY, .max = 4},
};
static const vb_schema QS = VB_SCHEMA(Q_FIELDS);

static void test_query_coercion(void **state)
{
    json_t *out = NULL, *errs = json_array();
    int n = vb_validate_query(&QS,
                              "page=2&limit=5&limit=10&q=hello+w%C3%B6rld%21&mine=true&score=-1.5"
                              "&order=desc&status=todo,done&status=review&unknown=1&&x",
                              &out, errs);
    assert_int_equal(n, 0);
    assert_int_equal(json_integer_value(json_object_get(out, "page")), 2);
    assert_int_equal(json_integer_value(json_object_get(out, "limit")), 10); /* last wins */
    assert_string_equal(json_string_value(json_object_get(out, "q")), "hello wörld!");
    assert_true(json_is_true(json_object_get(out, "mine")));
    assert_true(json_real_value(json_object_get(out, "score")) == -1.5);
    assert_string_equal(json_string_value(json_object_get(out, "order")), "desc");
    json_t *st = json_object_get(out, "status");
    assert_int_equal(json_array_size(st), 3);
    assert_string_equal(json_string_value(json_array_get(st, 0)), "todo");
    assert_string_equal(json_string_value(json_array_get(st, 1)), "done");
    assert_string_equal(json_string_value(json_array_get(st, 2)), "review");
    assert_null(json_object_get(out, "unknown"));
    assert_null(json_object_get(out, "before")); /* absent optional: left out */
    json_decref(out);

    /* Empty and NULL query strings. */
    assert_int_equal(vb_validate_query(&QS, NULL, &out, errs), 0);
    assert_int_equal(json_object_size(out), 0);
    json_decref(out);
    assert_int_equal(vb_validate_query(&QS, "limit=&before=", &out, errs), 0);
    assert_int_equal(json_object_size(out), 0);
    json_decref(out);
    assert_int_equal(json_array_size(errs), 0);
    json_decref(errs);
}

/* Expects query to fail exactly once on field with a message containing part. */
static void expect_query_error(const char *query, const char *field, const char *part)
{
    json_t *out = NULL, *errs = json_array();
    int n = vb_validate_query(&QS, query, &out, errs);
    if (n != 1 || !has_error(errs, field, part)) {
        char *d = json_dumps(errs, 0);
        print_error("query %s -> %s\n", query, d);
        free(d);
        fail();
    }
    json_decref(out);
    json_decref(errs);
}

static void test_query_errors(void **state)
{
    expect_query_error("limit=abc", "limit", "must be an integer");
    expect_query_error("limit=1.0", "limit", "must be an integer");
    expect_query_error("limit=+5", "limit", "must be an integer");
    expect_query_error("limit=%205", "limit", "must be an integer");
    expect_query_error("limit=0x10", "limit", "must be an integer");
    expect_query_error("limit=99999999999999999999999", "limit", "must be an integer");
    expect_query_error("limit=101", "limit", "at most 100");
    expect_query_error("limit=0", "limit", "at least 1");
    expect_query_error("page=-3", "page", "at least 1");
    expect_query_error("mine=yes", "mine", "true or false");
    expect_query_error("score=inf", "score", "number");
    expect_query_error("score=nan", "score", "number");
    expect_query_error("order=sideways", "order", "one of");
    expect_query_error("before=nope", "before", "valid id");
    expect_query_error("q=%00x", "q", "");
    expect_query_error("q=%ff", "q", "");
    expect_query_error("q=aaaaaaaaaaaaaaaaaaaaa", "q", "at most 20");
    expect_query_error("status=a,b,c&status=d,e", "status", "at most 4");

    static const vb_field RF[] = {{.name = "token", .type = VB_F_STRING, .required = 1}};
    static const vb_schema R = VB_SCHEMA(RF);
    json_t *out = NULL, *errs = json_array();
    assert_int_equal(vb_validate_query(&R, "other=1", &out, errs), 1);
    assert_true(has_error(errs, "token", "is required"));
    json_decref(out);
    json_decref(errs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_body_trims_and_drops),
        cmocka_unit_test(test_no_trim_keeps_spaces),
        cmocka_unit_test(test_body_types),
        cmocka_unit_test(test_body_limits),
        cmocka_unit_test(test_multiple_errors),
        cmocka_unit_test(test_patch_min_props),
        cmocka_unit_test(test_formats),
        cmocka_unit_test(test_query_coercion),
        cmocka_unit_test(test_query_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
