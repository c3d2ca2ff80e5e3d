/*
 * Test support for the store-backed unit tests: see vb_test_store.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/vb_common.h"
#include "core/vb_id.h"
#include "support/vb_test_store.h"

/* The fixture whose run is in progress. vb_store_run_sync waits for the op,
 * so the probe (on the store thread) reads it while the test thread blocks. */
static vbt_store *g_running;

/* ---- store-thread operations ---- */

/* Runs the target op and keeps copies of its error code, errors and events. */
static int op_probe(vb_op_ctx *c)
{
    vbt_store *f = g_running;
    int rc = f->target(c);
    snprintf(f->code, sizeof f->code, "%s", c->code);
    json_decref(f->errors);
    json_decref(f->events);
    f->errors = c->errors ? json_deep_copy(c->errors) : NULL;
    f->events = json_deep_copy(c->events);
    return rc;
}

/* args {sql, a?, b?}: result {n}, the integer the query returns. */
static int op_count(vb_op_ctx *c)
{
    const char *sql = json_string_value(json_object_get(c->args, "sql"));
    const char *a = json_string_value(json_object_get(c->args, "a"));
    const char *b = json_string_value(json_object_get(c->args, "b"));
    int64_t n = 0;
    int rc = b   ? vb_db_int(c->db, &n, 0, sql, "ss", a, b)
             : a ? vb_db_int(c->db, &n, 0, sql, "s", a)
                 : vb_db_int(c->db, &n, 0, sql, "");
    if (rc) return rc;
    c->result = json_pack("{s:I}", "n", (json_int_t)n);
    return 0;
}

/* args {sql, a?, b?}: runs a statement without rows. */
static int op_exec(vb_op_ctx *c)
{
    const char *sql = json_string_value(json_object_get(c->args, "sql"));
    const char *a = json_string_value(json_object_get(c->args, "a"));
    const char *b = json_string_value(json_object_get(c->args, "b"));
    if (b) return vb_db_exec(c->db, sql, "ss", a, b);
    if (a) return vb_db_exec(c->db, sql, "s", a);
    return vb_db_exec(c->db, sql, "");
}

/* ---- fixture ---- */

static void on_closed(void *arg)
{
    vbt_store *f = arg;
    f->closed = 1;
}

int vbt_store_open(vbt_store *f)
{
    memset(f, 0, sizeof *f);
    if (uv_loop_init(&f->loop) != 0) return -1;
    if (vbt_db_create(&f->db) != 0) return -1;
    return vb_store_open(&f->store, &f->loop, f->db.url) == 0 ? 0 : -1;
}

int vbt_store_close(vbt_store *f)
{
    if (f->store) {
        vb_store_close(f->store, on_closed, f);
        while (!f->closed)
            uv_run(&f->loop, UV_RUN_ONCE);
        f->store = NULL;
    }
    uv_run(&f->loop, UV_RUN_DEFAULT);
    vbt_db_drop(&f->db);
    json_decref(f->errors);
    json_decref(f->events);
    f->errors = NULL;
    f->events = NULL;
    return uv_loop_close(&f->loop) == 0 ? 0 : -1;
}

int vbt_store_setup(vbt_store *f, char *const ids[], size_t n, vb_op_fn seed)
{
    for (size_t i = 0; i < n; i++)
        vb_id_new(ids[i]);
    if (vbt_store_open(f) != 0) return -1;
    if (seed && vb_store_run_sync(f->store, seed, NULL, NULL) != 0) return -1;
    return 0;
}

/* ---- running operations ---- */

/* The next of a few rotating static text buffers of ROT_LEN bytes, for the
 * small texts (params, topics) that a test passes straight on. */
#define ROT_LEN 128
static char *next_buf(void)
{
    static char buf[8][ROT_LEN];
    static unsigned n;
    return buf[n++ % VB_ARRAY_LEN(buf)];
}

int vbt_store_run(vbt_store *f, vb_op_fn fn, json_t *args, json_t **res)
{
    json_t *out = NULL;
    assert_non_null(args);
    f->target = fn;
    f->code[0] = '\0';
    g_running = f;
    int rc = vb_store_run_sync(f->store, op_probe, args, &out);
    g_running = NULL;
    json_decref(args);
    if (res)
        *res = out;
    else
        json_decref(out);
    return rc;
}

json_t *vbt_store_args(const char *actor, json_t *params, json_t *query, json_t *body)
{
    return json_pack("{s:{s:s, s:s, s:s}, s:o, s:o, s:o}", "actor", "id", actor, "email",
                     "x@example.com", "role", "user", "params", params ? params : json_object(),
                     "query", query ? query : json_object(), "body", body ? body : json_object());
}

int vbt_store_call(vbt_store *f, vb_op_fn fn, const char *actor, const char *params, json_t *query,
                   json_t *body, json_t **res)
{
    json_t *p = json_loads(params ? params : "{}", 0, NULL);
    assert_non_null(p);
    return vbt_store_run(f, fn, vbt_store_args(actor, p, query, body), res);
}

const char *vbt_store_param(const char *key, const char *value)
{
    char *b = next_buf();
    snprintf(b, ROT_LEN, "{\"%s\":\"%s\"}", key, value);
    return b;
}

const char *vbt_store_take_id(json_t *obj)
{
    static char ids[32][VB_ID_LEN + 1];
    static unsigned n;
    char *out = ids[n++ % VB_ARRAY_LEN(ids)];
    assert_non_null(vbt_str(obj, "id"));
    snprintf(out, sizeof ids[0], "%s", vbt_str(obj, "id"));
    json_decref(obj);
    return out;
}

/* ---- SQL on the test thread ---- */

int64_t vbt_store_count(vbt_store *f, const char *sql, const char *a, const char *b)
{
    json_t *args = json_pack("{s:s, s:s?, s:s?}", "sql", sql, "a", a, "b", b), *res = NULL;
    assert_int_equal(vb_store_run_sync(f->store, op_count, args, &res), 0);
    int64_t n = json_integer_value(json_object_get(res, "n"));
    json_decref(res);
    json_decref(args);
    return n;
}

void vbt_store_exec(vbt_store *f, const char *sql, const char *a, const char *b)
{
    json_t *args = json_pack("{s:s, s:s?, s:s?}", "sql", sql, "a", a, "b", b);
    assert_int_equal(vb_store_run_sync(f->store, op_exec, args, NULL), 0);
    json_decref(args);
}

/* ---- what the last run reported ---- */

json_t *vbt_store_event(const vbt_store *f, const char *type, const char *topic)
{
    size_t i;
    json_t *e;
    json_array_foreach(f->events, i, e)
    {
        if (strcmp(vbt_str(e, "type"), type) != 0) continue;
        if (!topic || strcmp(vbt_str(e, "topic"), topic) == 0) return e;
    }
    return NULL;
}

const char *vbt_store_topic(const char *kind, const char *id)
{
    char *b = next_buf();
    snprintf(b, ROT_LEN, "%s:%s", kind, id);
    return b;
}

int vbt_store_error_on(const vbt_store *f, const char *field)
{
    size_t i;
    json_t *e;
    json_array_foreach(f->errors, i, e)
    {
        if (strcmp(vbt_str(e, "field"), field) == 0) return 1;
    }
    return 0;
}

const char *vbt_str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

json_int_t vbt_int(const json_t *o, const char *k)
{
    return json_integer_value(json_object_get(o, k));
}

/* ---- seed rows ---- */

int vbt_store_seed_user(vb_db *db, const char *id, const char *handle, const char *first,
                        const char *last)
{
    char email[96];
    int64_t now = vb_wall_ms();
    snprintf(email, sizeof email, "%s@example.com", handle);
    return vb_db_exec(db,
                      "INSERT INTO users (id, email, handle, password_hash, first_name, last_name,"
                      " created_at, updated_at) VALUES (?, ?, ?, 'x', ?, ?, ?, ?)",
                      "sssssii", id, email, handle, first, last, now, now);
}

int vbt_store_seed_workspace(vb_db *db, const char *id, const char *slug, const char *owner)
{
    int64_t now = vb_wall_ms();
    return vb_db_exec(db,
                      "INSERT INTO workspaces (id, name, slug, owner_id, created_at, updated_at)"
                      " VALUES (?, ?, ?, ?, ?, ?)",
                      "ssssii", id, slug, slug, owner, now, now);
}

int vbt_store_seed_member(vb_db *db, const char *wid, const char *uid, const char *role)
{
    return vb_db_exec(db,
                      "INSERT INTO workspace_members (workspace_id, user_id, role, joined_at)"
                      " VALUES (?, ?, ?, ?)",
                      "sssi", wid, uid, role, vb_wall_ms());
}

int vbt_store_seed_project(vb_db *db, const char *id, const char *wid, const char *key,
                           const char *status, const char *columns, const char *created_by)
{
    int64_t now = vb_wall_ms();
    return vb_db_exec(db,
                      "INSERT INTO projects (id, workspace_id, name, key, status, columns,"
                      " created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                      "sssssssii", id, wid, key, key, status, columns, created_by, now, now);
}
