/* Unit tests of the SQLite vb_db (vb_db.h) on an in-memory database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/vb_common.h"
#include "core/vb_log.h"
#include "store/vb_db_internal.h"

static const char k_table[] = "CREATE TABLE t ("
                              "  id INTEGER PRIMARY KEY,"
                              "  name TEXT UNIQUE,"
                              "  score REAL,"
                              "  meta TEXT,"
                              "  flag INTEGER NOT NULL DEFAULT 0)";

static int setup(void **state)
{
    vb_log_set_level((enum vb_log_level)99); /* expected SQL errors stay quiet */
    vb_db *db = NULL;
    if (vb_db_open(&db, ":memory:") != 0) return -1;
    if (vb_db_exec(db, k_table, NULL) != 0) return -1;
    *state = db;
    return 0;
}

static int teardown(void **state)
{
    vb_db_close(*state);
    return 0;
}

static void test_exec_int_changes(void **state)
{
    vb_db *db = *state;
    assert_int_equal(
        vb_db_exec(db, "INSERT INTO t (id, name) VALUES (?, ?)", "is", (int64_t)1, "a"), 0);
    assert_int_equal(vb_db_changes(db), 1);
    assert_int_equal(
        vb_db_exec(db, "INSERT INTO t (id, name) VALUES (?, ?)", "is", (int64_t)2, "b"), 0);
    assert_int_equal(vb_db_exec(db, "UPDATE t SET flag = 1", ""), 0);
    assert_int_equal(vb_db_changes(db), 2);

    int64_t n = -1;
    assert_int_equal(vb_db_int(db, &n, -1, "SELECT count(*) FROM t", NULL), 0);
    assert_int_equal(n, 2);
    /* no row, and a NULL value, give the default */
    assert_int_equal(vb_db_int(db, &n, 42, "SELECT id FROM t WHERE id = ?", "i", (int64_t)9), 0);
    assert_int_equal(n, 42);
    assert_int_equal(vb_db_int(db, &n, 7, "SELECT score FROM t WHERE id = 1", NULL), 0);
    assert_int_equal(n, 7);
    /* an int64 beyond 32 bits survives the round trip */
    int64_t big = (int64_t)1 << 40;
    assert_int_equal(vb_db_int(db, &n, 0, "SELECT ?", "i", big), 0);
    assert_true(n == big);
}

static void test_params(void **state)
{
    vb_db *db = *state;
    const char *ins = "INSERT INTO t (id, name, score, meta, flag) VALUES (?, ?, ?, ?, ?)";
    json_t *obj = json_pack("{s:i, s:[s]}", "a", 1, "b", "x");
    json_t *flag = json_true();
    assert_int_equal(vb_db_exec(db, ins, "isdjj", (int64_t)1, "one", 2.5, obj, flag), 0);
    json_decref(obj);
    /* NULLs: s NULL, j NULL pointer, j json null */
    json_t *jnull = json_null();
    assert_int_equal(vb_db_exec(db, ins, "isdjj", (int64_t)2, (const char *)NULL, 0.0,
                                (json_t *)NULL, json_false()),
                     0);
    assert_int_equal(vb_db_exec(db, "UPDATE t SET score = ? WHERE id = 2", "j", jnull), 0);
    /* j scalars bind as such */
    json_t *js = json_string("str"), *ji = json_integer(3), *jr = json_real(1.25);
    assert_int_equal(vb_db_exec(db, ins, "ijjjj", (int64_t)3, js, jr, ji, json_true()), 0);
    json_decref(js);
    json_decref(ji);
    json_decref(jr);

    json_t *row = NULL;
    assert_int_equal(vb_db_row(db, &row,
                               "SELECT id, name, score, meta AS \"j:meta\", flag AS \"b:flag\","
                               " meta AS raw FROM t WHERE id = ?",
                               "i", (int64_t)1),
                     0);
    assert_non_null(row);
    assert_int_equal(json_integer_value(json_object_get(row, "id")), 1);
    assert_string_equal(json_string_value(json_object_get(row, "name")), "one");
    assert_true(json_real_value(json_object_get(row, "score")) == 2.5);
    json_t *meta = json_object_get(row, "meta");
    assert_true(json_is_object(meta));
    assert_int_equal(json_integer_value(json_object_get(meta, "a")), 1);
    assert_string_equal(json_string_value(json_array_get(json_object_get(meta, "b"), 0)), "x");
    assert_true(json_is_true(json_object_get(row, "flag")));
    assert_string_equal(json_string_value(json_object_get(row, "raw")), "{\"a\":1,\"b\":[\"x\"]}");
    assert_null(json_object_get(row, "j:meta"));
    json_decref(row);

    assert_int_equal(vb_db_row(db, &row,
                               "SELECT name, score, meta AS \"j:meta\", flag AS \"b:flag\""
                               " FROM t WHERE id = 2",
                               NULL),
                     0);
    assert_true(json_is_null(json_object_get(row, "name")));
    assert_true(json_is_null(json_object_get(row, "score")));
    assert_true(json_is_null(json_object_get(row, "meta")));
    assert_true(json_is_false(json_object_get(row, "flag")));
    json_decref(row);

    assert_int_equal(
        vb_db_row(db, &row, "SELECT name, score, meta AS \"j:m\", flag FROM t WHERE id = 3", NULL),
        0);
    assert_string_equal(json_string_value(json_object_get(row, "name")), "str");
    assert_true(json_real_value(json_object_get(row, "score")) == 1.25);
    assert_int_equal(json_integer_value(json_object_get(row, "m")), 3);    /* "3" parsed as JSON */
    assert_int_equal(json_integer_value(json_object_get(row, "flag")), 1); /* no b: prefix */
    json_decref(row);
}

static void test_rows(void **state)
{
    vb_db *db = *state;
    for (int64_t i = 1; i <= 3; i++)
        assert_int_equal(vb_db_exec(db, "INSERT INTO t (id, name) VALUES (?, ?)", "is", i,
                                    i == 2 ? "two" : NULL),
                         0);
    json_t *rows = NULL;
    assert_int_equal(vb_db_rows(db, &rows, "SELECT id AS myId FROM t ORDER BY id DESC", NULL), 0);
    assert_true(json_is_array(rows));
    assert_int_equal(json_array_size(rows), 3);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(rows, 0), "myId")), 3);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(rows, 2), "myId")), 1);
    json_decref(rows);

    assert_int_equal(vb_db_rows(db, &rows, "SELECT * FROM t WHERE id > ?", "i", (int64_t)10), 0);
    assert_true(json_is_array(rows));
    assert_int_equal(json_array_size(rows), 0);
    json_decref(rows);

    json_t *row = (json_t *)1;
    assert_int_equal(vb_db_row(db, &row, "SELECT * FROM t WHERE id = ?", "i", (int64_t)10), 0);
    assert_null(row);
}

static void test_errors(void **state)
{
    vb_db *db = *state;
    const char *ins = "INSERT INTO t (id, name) VALUES (?, ?)";
    assert_int_equal(vb_db_exec(db, ins, "is", (int64_t)1, "a"), 0);
    /* UNIQUE and PRIMARY KEY violations are conflicts */
    assert_int_equal(vb_db_exec(db, ins, "is", (int64_t)2, "a"), VB_ECONFLICT);
    assert_int_equal(vb_db_exec(db, ins, "is", (int64_t)1, "b"), VB_ECONFLICT);
    /* other constraints, bad SQL, wrong parameter counts and formats are I/O errors */
    assert_int_equal(vb_db_exec(db, "INSERT INTO t (id, flag) VALUES (5, NULL)", NULL), VB_EIO);
    assert_int_equal(vb_db_exec(db, "INSERT INTO nope VALUES (1)", NULL), VB_EIO);
    assert_int_equal(vb_db_exec(db, "SELEC 1", NULL), VB_EIO);
    assert_int_equal(vb_db_exec(db, ins, "i", (int64_t)3), VB_EIO);
    assert_int_equal(vb_db_exec(db, ins, "ix", (int64_t)3, 0), VB_EIO);
    assert_int_equal(vb_db_exec(db, "SELECT 1; SELECT 2", NULL), VB_EIO);
    json_t *rows = (json_t *)1;
    assert_int_equal(vb_db_rows(db, &rows, "SELECT * FROM nope", NULL), VB_EIO);
    assert_null(rows);
    /* none of that spoils a transaction */
    assert_false(vb_db_txn_broken(db));
    /* the failed statements left the table as it was */
    int64_t n = 0;
    assert_int_equal(vb_db_int(db, &n, 0, "SELECT count(*) FROM t", NULL), 0);
    assert_int_equal(n, 1);
}

static void test_script_and_cache(void **state)
{
    vb_db *db = *state;
    assert_int_equal(vb_db_script(db, "CREATE TABLE u (a INTEGER); INSERT INTO u VALUES (1);"
                                      "INSERT INTO u VALUES (2);"),
                     0);
    int64_t n = 0;
    assert_int_equal(vb_db_int(db, &n, 0, "SELECT sum(a) FROM u", NULL), 0);
    assert_int_equal(n, 3);
    assert_int_equal(vb_db_script(db, "INSERT INTO u VALUES (3); BOGUS;"), VB_EIO);

    /* one buffer holding different SQL texts: the cache must not confuse them */
    char buf[64];
    for (int i = 0; i < 5; i++) {
        snprintf(buf, sizeof buf, "SELECT %d", i * 7);
        assert_int_equal(vb_db_int(db, &n, -1, buf, NULL), 0);
        assert_int_equal(n, i * 7);
    }
    /* many distinct texts at distinct addresses (past the cache bound) still work */
    static char sqls[1100][32];
    for (int i = 0; i < 1100; i++) {
        snprintf(sqls[i], sizeof sqls[i], "SELECT %d + ?", i);
        assert_int_equal(vb_db_int(db, &n, -1, sqls[i], "i", (int64_t)1), 0);
        assert_int_equal(n, i + 1);
    }
    for (int i = 0; i < 1100; i += 99) {
        assert_int_equal(vb_db_int(db, &n, -1, sqls[i], "i", (int64_t)2), 0);
        assert_int_equal(n, i + 2);
    }
}

static void test_transactions(void **state)
{
    vb_db *db = *state;
    const char *ins = "INSERT INTO t (id) VALUES (?)";
    assert_int_equal(vb_db_begin(db, 1), 0);
    assert_int_equal(vb_db_savepoint(db), 0);
    assert_int_equal(vb_db_exec(db, ins, "i", (int64_t)1), 0);
    assert_int_equal(vb_db_release(db), 0);
    assert_int_equal(vb_db_savepoint(db), 0);
    assert_int_equal(vb_db_exec(db, ins, "i", (int64_t)2), 0);
    assert_int_equal(vb_db_rollback_to(db), 0);
    assert_int_equal(vb_db_release(db), 0);
    assert_false(vb_db_txn_broken(db));
    assert_int_equal(vb_db_commit(db), 0);
    int64_t n = 0;
    assert_int_equal(vb_db_int(db, &n, 0, "SELECT group_concat(id) FROM t", NULL), 0);
    assert_int_equal(n, 1);

    /* a statement that ends the transaction behind our back is detected */
    assert_int_equal(vb_db_begin(db, 0), 0);
    assert_int_equal(vb_db_exec(db, ins, "i", (int64_t)3), 0);
    assert_int_equal(vb_db_exec(db, "ROLLBACK", NULL), 0);
    assert_true(vb_db_txn_broken(db));
    assert_int_equal(vb_db_rollback(db), 0);
    assert_int_equal(vb_db_int(db, &n, 0, "SELECT count(*) FROM t", NULL), 0);
    assert_int_equal(n, 1);
    /* the next transaction starts clean */
    assert_int_equal(vb_db_begin(db, 1), 0);
    assert_false(vb_db_txn_broken(db));
    assert_int_equal(vb_db_rollback(db), 0);
}

/* Values that stress the text writer: escapes, UTF-8 (valid and not), NUL,
 * reals, extreme integers, JSON columns compact or not, booleans, times. */
static const char k_tricky[] =
    "CREATE TABLE v (id INTEGER PRIMARY KEY, s, r, j, b, tm);"
    "INSERT INTO v VALUES (1, 'plain', 2.5, '{\"a\":1,\"b\":[\"x\",null,true]}', 1, 0);"
    "INSERT INTO v VALUES (2, 'q\"b\\s/' || char(1) || char(31) || char(127) || char(10) ||"
    " char(9) || char(8) || char(12) || char(13), 0.1, '[ 1, 2 ]', 0, 1700000000123);"
    "INSERT INTO v VALUES (3, 'é€😀', 1e300, '[1.50,2e3]', NULL, 951782400000);"
    "INSERT INTO v VALUES (4, CAST(X'FF41' AS TEXT), -3.0, '\"s\\u0001\"', 'yes', -1);"
    "INSERT INTO v VALUES (5, CAST(X'610062' AS TEXT), 1e-7, 'nope', 2, 253402300799999);"
    "INSERT INTO v VALUES (6, 9223372036854775807, 5.0, '', 0, 253402300800000);"
    "INSERT INTO v VALUES (7, -9223372036854775808, 123456789.125, '-0', 1, 68169600000);"
    "INSERT INTO v VALUES (8, NULL, NULL, NULL, NULL, NULL);"
    "INSERT INTO v VALUES (9, '', -0.0, '{\"k\":\"é\",\"n\":[[],{}],\"m\":-12}', 1, 2.5);"
    "INSERT INTO v VALUES (10, X'00FF', 1e21, '[1][2]', 1, '2020');"
    "INSERT INTO v VALUES (11, 'x', 3, 'true', 1, 1);"
    "INSERT INTO v VALUES (12, 'y', 4, '[\"a\\\\b\"]', 1, 59);"
    "INSERT INTO v VALUES (13, 'z', 5, '007', 1, 1);"
    "INSERT INTO v VALUES (14, 'w', 6, '{\"a\":\"\xED\xA0\x80\"}', 1, 1);";

/* Asserts that vb_db_rows_text of sql gives exactly json_dumps(JSON_COMPACT)
 * of what vb_db_rows gives. */
static void assert_text_matches(vb_db *db, const char *sql)
{
    json_t *rows = NULL;
    assert_int_equal(vb_db_rows(db, &rows, sql, NULL), 0);
    char *want = json_dumps(rows, JSON_COMPACT);
    assert_non_null(want);
    vb_db_text out = {0};
    vb_db_text_puts(&out, "prefix:");
    assert_int_equal(vb_db_rows_text(db, &out, sql, NULL), 0);
    assert_false(out.oom);
    assert_int_equal(out.len, strlen(out.data));
    assert_string_equal(out.data + 7, want);
    free(want);
    json_decref(rows);
    vb_db_text_free(&out);
}

static void test_rows_text(void **state)
{
    vb_db *db = *state;
    assert_int_equal(vb_db_script(db, k_tricky), 0);
    assert_text_matches(db, "SELECT id, s, r AS score, j AS \"j:meta\", b AS \"b:flag\","
                            " tm AS \"t:when\", tm AS raw, j AS plain FROM v ORDER BY id");
    /* every row alone, so one bad value cannot hide another */
    for (int64_t id = 1; id <= 14; id++) {
        char sql[200];
        snprintf(sql, sizeof sql,
                 "SELECT s AS \"a\", j AS \"j:b\", b AS \"b:c\", tm AS \"t:d\", r"
                 " FROM v WHERE id = %lld",
                 (long long)id);
        assert_text_matches(db, sql);
    }
    assert_text_matches(db, "SELECT * FROM v WHERE id > 100");
    assert_text_matches(db, "SELECT id FROM v ORDER BY id DESC");
    /* keys that need escaping */
    assert_text_matches(db, "SELECT 1 AS \"a\"\"b\", 2 AS \"c\\d\"");

    /* errors: bad SQL leaves an error, not a crash */
    vb_db_text out = {0};
    assert_int_equal(vb_db_rows_text(db, &out, "SELECT * FROM nope", NULL), VB_EIO);
    assert_int_equal(vb_db_rows_text(db, &out, "SELECT ?", "ss", "a", "b"), VB_EIO);
    vb_db_text_free(&out);
    assert_null(out.data);
}

/* The fast ISO formatter agrees with vb_iso8601 everywhere. */
static void test_text_iso(void **state)
{
    (void)state;
    static const int64_t fixed[] = {0,
                                    1,
                                    999,
                                    86399999,
                                    86400000,
                                    951782400000,  /* 2000-02-29 */
                                    951868800000,  /* 2000-03-01 */
                                    4107542400000, /* 2100-03-01 */
                                    253402300799999,
                                    253402300800000,
                                    -1,
                                    -86400001,
                                    INT64_C(-62135596800000)};
    vb_db_text t = {0};
    char iso[32], want[40];
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < 200000; i++) {
        int64_t ms;
        if (i < (int)VB_ARRAY_LEN(fixed))
            ms = fixed[i];
        else {
            x ^= x << 13; /* xorshift: deterministic spread over 1970..9999 */
            x ^= x >> 7;
            x ^= x << 17;
            ms = (int64_t)(x % UINT64_C(253402300800000));
        }
        t.len = 0;
        vb_db_text_iso(&t, ms);
        vb_iso8601(ms, iso);
        snprintf(want, sizeof want, "\"%s\"", iso);
        assert_string_equal(t.data, want);
    }
    vb_db_text_free(&t);
}

static int raw_ok(const char *s)
{
    return vb_db_text_json_raw_ok(s, strlen(s));
}

/* Integers, reals and strings on their own. */
static void test_text_values(void **state)
{
    (void)state;
    vb_db_text t = {0};
    vb_db_text_int(&t, INT64_MIN);
    vb_db_text_puts(&t, " ");
    vb_db_text_int(&t, 0);
    vb_db_text_puts(&t, " ");
    vb_db_text_real(&t, 1.0 / 0.0);
    vb_db_text_puts(&t, " ");
    vb_db_text_real(&t, 1e-300);
    vb_db_text_puts(&t, " ");
    assert_int_equal(vb_db_text_str(&t, "\xC0\x80", 2), -1); /* overlong */
    vb_db_text_puts(&t, " ");
    assert_int_equal(vb_db_text_str(&t, "\xF4\x90\x80\x80", 4), -1); /* > U+10FFFF */
    vb_db_text_puts(&t, " ");
    assert_int_equal(vb_db_text_str(&t, "\xE2\x82", 2), -1); /* cut short */
    vb_db_text_puts(&t, " ");
    assert_int_equal(vb_db_text_str(&t, "\xF0\x9F\x98\x80", 4), 0);
    assert_string_equal(t.data,
                        "-9223372036854775808 0 null 1e-300 null null null \"\xF0\x9F\x98\x80\"");
    vb_db_text_free(&t);
    assert_int_equal(raw_ok("[\"a\",1,-2,true,false,null,{\"b\":{}}]"), 1);
    assert_int_equal(raw_ok("[1, 2]"), 0);
    assert_int_equal(raw_ok("1.5"), 0);
    assert_int_equal(raw_ok("\"a\\n\""), 0);
    assert_int_equal(raw_ok("[1]]"), 0);
    assert_int_equal(raw_ok("tru"), 0);
    assert_int_equal(raw_ok("12"), 1);
}

static void test_open_failure(void **state)
{
    (void)state;
    vb_db *db = (vb_db *)1;
    assert_int_equal(vb_db_open(&db, "/nonexistent-dir-vb/x/y.db"), VB_EIO);
    assert_ptr_equal(db, (vb_db *)1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_exec_int_changes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_params, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_script_and_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rows_text, setup, teardown),
        cmocka_unit_test(test_text_iso),
        cmocka_unit_test(test_text_values),
        cmocka_unit_test(test_open_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
