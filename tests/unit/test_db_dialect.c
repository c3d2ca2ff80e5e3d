/*
 * The portable SQL of vb_db.h on the backend the tests run on: SQLite in
 * memory, or PostgreSQL with VIBED_TEST_PG_URL (a fresh database). The same
 * statements must give the same rows on both: list binding (VB_IDS),
 * case-insensitive match by lower(), insert-if-absent, subtree ids,
 * VB_JSON_AGG, camelCase aliases, conversions and the unique-violation
 * mapping. Also the translation itself (vb_db_sql_translate).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/vb_common.h"
#include "core/vb_log.h"
#include "store/vb_db_backend.h"
#include "store/vb_db_internal.h"
#include "support/vb_test_db.h"

typedef struct fixture {
    vbt_db d;
    vb_db *db;
} fixture;

static const char k_schema[] =
    "CREATE TABLE n ("
    "  id TEXT PRIMARY KEY,"
    "  parent_id TEXT,"
    "  name TEXT NOT NULL,"
    "  score DOUBLE PRECISION,"
    "  at BIGINT,"
    "  meta TEXT);"
    "CREATE TABLE link (a TEXT NOT NULL, b TEXT NOT NULL, PRIMARY KEY (a, b));";

static int setup(void **state)
{
    vb_log_set_level((enum vb_log_level)99); /* expected SQL errors stay quiet */
    fixture *f = calloc(1, sizeof *f);
    if (!f || vbt_db_create(&f->d) != 0) return -1;
    int rc = vbt_db_is_pg() ? vb_db_open_pg(&f->db, f->d.url) : vb_db_open(&f->db, ":memory:");
    if (rc != 0 || vb_db_script(f->db, k_schema) != 0) return -1;
    static const char *rows[][3] = {{"r", NULL, "Root"}, {"a", "r", "alpha"}, {"b", "r", "Beta"},
                                    {"c", "a", "gamma"}, {"d", "c", "delta"}, {"x", NULL, "other"}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (vb_db_exec(f->db, "INSERT INTO n (id, parent_id, name) VALUES (?, ?, ?)", "sss",
                       rows[i][0], rows[i][1], rows[i][2]) != 0)
            return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    vb_db_close(f->db);
    vbt_db_drop(&f->d);
    free(f);
    return 0;
}

static vb_db *db_of(void **state)
{
    return ((fixture *)*state)->db;
}

static void test_translate(void **state)
{
    (void)state;
    static const vb_db_token toks[] = {{"VB_IDS(?)", "(L ?)"}, {NULL, NULL}};
    char *out = NULL;
    assert_int_equal(vb_db_sql_translate("SELECT a AS fooBar, b AS low, '?' , \"q?\" FROM VB_IDS(?)"
                                         " WHERE x = ? AND y = ?",
                                         toks, 1, &out),
                     0);
    assert_string_equal(out, "SELECT a AS \"fooBar\", b AS low, '?' , \"q?\" FROM (L $1)"
                             " WHERE x = $2 AND y = $3");
    free(out);
    assert_int_equal(
        vb_db_sql_translate("SELECT a AS fooBar FROM VB_IDS(?) WHERE x = ?", toks, 0, &out), 0);
    assert_string_equal(out, "SELECT a AS fooBar FROM (L ?) WHERE x = ?");
    free(out);
}

static void test_id_list(void **state)
{
    vb_db *db = db_of(state);
    json_t *ids = json_pack("[s,s,s]", "b", "zz", "a"), *rows = NULL;
    assert_int_equal(vb_db_rows(db, &rows,
                                "SELECT id FROM n WHERE id IN (SELECT value FROM VB_IDS(?) j)"
                                " ORDER BY id",
                                "j", ids),
                     0);
    assert_int_equal(json_array_size(rows), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 0), "id")), "a");
    json_decref(rows);
    /* the ids that are missing, with their position */
    assert_int_equal(vb_db_rows(db, &rows,
                                "SELECT j.idx AS pos, j.value AS missingId FROM VB_IDS(?) j"
                                " WHERE NOT EXISTS (SELECT 1 FROM n WHERE n.id = j.value)",
                                "j", ids),
                     0);
    assert_int_equal(json_array_size(rows), 1);
    json_t *r = json_array_get(rows, 0);
    assert_int_equal(json_integer_value(json_object_get(r, "pos")), 1);
    assert_string_equal(json_string_value(json_object_get(r, "missingId")), "zz");
    json_decref(rows);
    /* the list may also be bound as JSON text */
    int64_t n = 0;
    assert_int_equal(
        vb_db_int(db, &n, 0, "SELECT COUNT(*) FROM VB_IDS(?) j", "s", "[\"a\",\"b\",\"c\"]"), 0);
    assert_int_equal(n, 3);
    json_decref(ids);
}

static void test_nocase(void **state)
{
    vb_db *db = db_of(state);
    int64_t n = 0;
    assert_int_equal(
        vb_db_int(db, &n, 0, "SELECT COUNT(*) FROM n WHERE lower(name) = lower(?)", "s", "BETA"),
        0);
    assert_int_equal(n, 1);
    assert_int_equal(vb_db_int(db, &n, 0,
                               "SELECT COUNT(*) FROM n WHERE lower(name) LIKE lower(?) ESCAPE '\\'",
                               "s", "%ALPHA%"),
                     0);
    assert_int_equal(n, 1);
    json_t *rows = NULL;
    assert_int_equal(vb_db_rows(db, &rows, "SELECT name FROM n ORDER BY lower(name), id", NULL), 0);
    const char *want[] = {"alpha", "Beta", "delta", "gamma", "other", "Root"};
    assert_int_equal(json_array_size(rows), 6);
    for (size_t i = 0; i < 6; i++)
        assert_string_equal(json_string_value(json_object_get(json_array_get(rows, i), "name")),
                            want[i]);
    json_decref(rows);
}

static void test_insert_if_absent(void **state)
{
    vb_db *db = db_of(state);
    const char *ins = "INSERT INTO link (a, b) VALUES (?, ?) ON CONFLICT DO NOTHING";
    assert_int_equal(vb_db_exec(db, ins, "ss", "a", "b"), 0);
    assert_int_equal(vb_db_changes(db), 1);
    assert_int_equal(vb_db_exec(db, ins, "ss", "a", "b"), 0);
    assert_int_equal(vb_db_changes(db), 0);
    json_t *ids = json_pack("[s,s,s]", "b", "c", "d");
    assert_int_equal(vb_db_exec(db,
                                "INSERT INTO link (a, b) SELECT ?, value FROM VB_IDS(?) j"
                                " WHERE true ON CONFLICT DO NOTHING",
                                "sj", "a", ids),
                     0);
    assert_int_equal(vb_db_changes(db), 2);
    json_decref(ids);
    /* without ON CONFLICT a duplicate is a conflict on both */
    assert_int_equal(vb_db_exec(db, "INSERT INTO link (a, b) VALUES (?, ?)", "ss", "a", "b"),
                     VB_ECONFLICT);
}

static void test_subtree_and_agg(void **state)
{
    vb_db *db = db_of(state);
    json_t *ids = NULL, *row = NULL;
    assert_int_equal(vb_db_ids(db, &ids,
                               "WITH RECURSIVE d(id) AS (SELECT ? UNION SELECT n.id FROM n"
                               " JOIN d ON n.parent_id = d.id) SELECT id FROM d ORDER BY id",
                               "s", "a"),
                     0);
    assert_int_equal(json_array_size(ids), 3);
    assert_string_equal(json_string_value(json_array_get(ids, 0)), "a");
    assert_string_equal(json_string_value(json_array_get(ids, 2)), "d");
    json_decref(ids);
    assert_int_equal(vb_db_row(db, &row,
                               "SELECT COALESCE((SELECT VB_JSON_AGG(id) FROM (SELECT id FROM n"
                               " WHERE parent_id = ? ORDER BY id) s), '[]') AS \"j:childIds\","
                               " COALESCE((SELECT VB_JSON_AGG(id) FROM (SELECT id FROM n"
                               " WHERE parent_id = 'none' ORDER BY id) s), '[]') AS \"j:noIds\"",
                               "s", "r"),
                     0);
    char *text = json_dumps(row, JSON_COMPACT);
    assert_string_equal(text, "{\"childIds\":[\"a\",\"b\"],\"noIds\":[]}");
    free(text);
    json_decref(row);
}

static void test_conversions(void **state)
{
    vb_db *db = db_of(state);
    json_t *meta = json_pack("{s:i}", "k", 1);
    assert_int_equal(vb_db_exec(db, "UPDATE n SET score = ?, at = ?, meta = ? WHERE id = ?", "dijs",
                                2.5, (int64_t)1764892800000, meta, "r"),
                     0);
    json_decref(meta);
    vb_db_text out = {0};
    assert_int_equal(
        vb_db_rows_text(db, &out,
                        "SELECT id, name AS displayName, score, at AS \"t:at\", meta AS \"j:meta\","
                        " (parent_id IS NULL) AS \"b:isRoot\", COUNT(*) OVER () AS total,"
                        " CASE WHEN ? <> 0 THEN 1 ELSE 0 END AS flag FROM n WHERE id = ?",
                        "is", (int64_t)1, "r"),
        0);
    assert_string_equal(out.data, "[{\"id\":\"r\",\"displayName\":\"Root\",\"score\":2.5,"
                                  "\"at\":\"2025-12-05T00:00:00.000Z\",\"meta\":{\"k\":1},"
                                  "\"isRoot\":true,\"total\":1,\"flag\":1}]");
    vb_db_text_free(&out);
    /* the tree form gives the same JSON */
    json_t *rows = NULL;
    assert_int_equal(vb_db_rows(db, &rows,
                                "SELECT id, name AS displayName, score, at AS \"t:at\","
                                " meta AS \"j:meta\", (parent_id IS NULL) AS \"b:isRoot\""
                                " FROM n WHERE id = ?",
                                "s", "r"),
                     0);
    char *text = json_dumps(json_array_get(rows, 0), JSON_COMPACT);
    assert_string_equal(text, "{\"id\":\"r\",\"displayName\":\"Root\",\"score\":2.5,"
                              "\"at\":\"2025-12-05T00:00:00.000Z\",\"meta\":{\"k\":1},"
                              "\"isRoot\":true}");
    free(text);
    json_decref(rows);
    /* NULL in, null out; a 'j' null binds NULL */
    json_t *row = NULL;
    assert_int_equal(vb_db_exec(db, "UPDATE n SET meta = ? WHERE id = ?", "js", json_null(), "r"),
                     0);
    assert_int_equal(
        vb_db_row(db, &row, "SELECT meta AS \"j:meta\", score FROM n WHERE id = ?", "s", "x"), 0);
    assert_true(json_is_null(json_object_get(row, "meta")));
    assert_true(json_is_null(json_object_get(row, "score")));
    json_decref(row);
}

/* One batch of two operations as the lane runs it (vb_store_lane.c): the
 * second inserts a row then a duplicate and fails with the duplicate's
 * error, which its savepoint undoes. Returns the number of runs it took
 * (PostgreSQL defers the insert in its pipeline: the failure is found at
 * COMMIT and the batch runs again without deferring); *rc gets the
 * duplicate's error in the run that committed. */
static int lane_batch(vb_db *db, int *rc)
{
    for (int attempt = 1; attempt <= 3; attempt++) {
        assert_int_equal(vb_db_begin(db, 1 | VB_DB_RERUN), 0);
        assert_int_equal(vb_db_savepoint(db), 0);
        assert_int_equal(vb_db_exec(db, "INSERT INTO link (a, b) VALUES ('t', '1')", NULL), 0);
        assert_int_equal(vb_db_release(db), 0);
        assert_int_equal(vb_db_savepoint(db), 0);
        assert_int_equal(vb_db_exec(db, "INSERT INTO link (a, b) VALUES ('t', '2')", NULL), 0);
        *rc = vb_db_exec(db, "INSERT INTO link (a, b) VALUES ('t', '1')", NULL);
        int ok = !vb_db_txn_broken(db) && vb_db_rollback_to(db) == 0 && vb_db_release(db) == 0 &&
                 !vb_db_txn_broken(db) && vb_db_commit(db) == 0;
        if (ok) return attempt;
        assert_true(vb_db_txn_retry(db)); /* the lane runs the batch again */
        vb_db_rollback(db);
    }
    fail_msg("the batch never committed");
    return 0;
}

static void test_transactions(void **state)
{
    vb_db *db = db_of(state);
    int64_t n = 0;
    int rc = 0;
    /* a failing statement is undone by its savepoint; the transaction goes on */
    assert_int_equal(lane_batch(db, &rc), vbt_db_is_pg() ? 2 : 1);
    assert_int_equal(rc, VB_ECONFLICT);
    assert_int_equal(vb_db_int(db, &n, 0, "SELECT COUNT(*) FROM link WHERE a = 't'", NULL), 0);
    assert_int_equal(n, 1);
    assert_int_equal(vb_db_check(db), 0);
}

/* The backend's own migrations apply, are idempotent, and a database newer
 * than the binary is refused (on both backends). */
static void test_migrations(void **state)
{
    vb_db *db = db_of(state);
    int version = 0;
    assert_int_equal(vb_migrate_run(db, &version), 0);
    assert_true(version >= 3);
    int again = 0;
    assert_int_equal(vb_migrate_run(db, &again), 0);
    assert_int_equal(again, version);
    assert_int_equal(vb_db_exec(db,
                                "INSERT INTO schema_migrations (version, name, applied_at)"
                                " VALUES (?, 'from the future', 0)",
                                "i", (int64_t)version + 1),
                     0);
    assert_int_equal(vb_migrate_run(db, &again), VB_EIO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_translate),
        cmocka_unit_test_setup_teardown(test_id_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nocase, setup, teardown),
        cmocka_unit_test_setup_teardown(test_insert_if_absent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_subtree_and_agg, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conversions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migrations, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
