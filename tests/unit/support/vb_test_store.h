/*
 * Test support for the store-backed unit tests (tests/unit/test_ops_*.c):
 * a real store on an in-memory database driven with vb_store_run_sync, a
 * probe that keeps what the last operation reported (code, errors, events),
 * route-style argument builders, SQL row counts, and seed rows inserted with
 * plain SQL so that a test does not depend on the operations it is not about.
 *
 * Everything here runs on the test thread except the vbt_store_seed_*
 * functions, which run inside an operation on the store thread. Functions
 * that take a vbt_store fail the current cmocka test (assert_*) when the
 * store itself misbehaves; the status of the operation under test is always
 * returned, never asserted.
 */
#ifndef VB_TEST_STORE_H
#define VB_TEST_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <uv.h>

#include "store/vb_db.h"
#include "store/vb_store.h"
#include "support/vb_test_db.h"

/* One store fixture: a loop, a store on "sqlite::memory:" (or a fresh
 * PostgreSQL database with VIBED_TEST_PG_URL, see vb_test_db.h), and what the
 * last vbt_store_run saw. Tests read code, errors and events directly. */
typedef struct vbt_store {
    uv_loop_t loop;
    vb_store *store;
    vbt_db db;
    int closed;
    vb_op_fn target; /* the operation the probe runs */
    char code[48];   /* the last run's error code ("" on success) */
    json_t *errors;  /* copy of the last run's ctx->errors, or NULL */
    json_t *events;  /* copy of the last run's ctx->events */
} vbt_store;

/* Clears *f, initialises its loop and opens an in-memory store with the
 * schema applied. Returns 0 or -1 (for use as a cmocka setup result). */
int vbt_store_open(vbt_store *f);
/* Closes the store, runs the loop until it is closed and drained, frees the
 * copies of the last run and closes the loop. Returns 0 or -1 (for use as a
 * cmocka teardown result). */
int vbt_store_close(vbt_store *f);

/* The usual cmocka setup: gives each of the n buffers in ids (VB_ID_LEN + 1
 * bytes each) a new id, opens f (vbt_store_open) and runs seed (NULL: none)
 * on it. Returns 0 or -1. */
int vbt_store_setup(vbt_store *f, char *const ids[], size_t n, vb_op_fn seed);

/* Runs fn on the store thread with args (stolen, must not be NULL) through
 * the probe, which copies the op's code, errors and events into f. *res (may
 * be NULL) gets the op's result (owned by the caller). Returns the op's
 * status (0 or a negative vb_err). */
int vbt_store_run(vbt_store *f, vb_op_fn fn, json_t *args, json_t **res);

/* Route-style arguments as the REST layer builds them: actor {id, email,
 * role "user"}, params, query and body (each stolen; NULL means {}). Returns
 * a new reference. */
json_t *vbt_store_args(const char *actor, json_t *params, json_t *query, json_t *body);

/* Runs fn as a route would for actor: params is a JSON text (NULL: "{}"),
 * query and body are stolen (NULL: {}). Returns the op's status; *res (may
 * be NULL) gets the result. */
int vbt_store_call(vbt_store *f, vb_op_fn fn, const char *actor, const char *params, json_t *query,
                   json_t *body, json_t **res);

/* "{"key":"value"}" as a JSON text for vbt_store_call; key and value must
 * need no escaping. The text lives in one of a few rotating static buffers. */
const char *vbt_store_param(const char *key, const char *value);

/* Copies the "id" member of obj into one of 32 rotating static buffers,
 * drops the caller's reference to obj and returns the copy (valid until 32
 * more calls). */
const char *vbt_store_take_id(json_t *obj);

/* The integer that sql returns (its first column of its first row, 0 if
 * none), with a and b (both optional; b only with a) bound as text. */
int64_t vbt_store_count(vbt_store *f, const char *sql, const char *a, const char *b);
/* Runs sql, a statement without rows, with a and b bound as text (both
 * optional; b only with a); asserts that it succeeds. */
void vbt_store_exec(vbt_store *f, const char *sql, const char *a, const char *b);

/* The last run's event of type on topic (NULL: any topic), or NULL
 * (borrowed). */
json_t *vbt_store_event(const vbt_store *f, const char *type, const char *topic);
/* "kind:id" (an event topic) in one of a few rotating static buffers. */
const char *vbt_store_topic(const char *kind, const char *id);
/* 1 if the last run's errors name field, else 0. */
int vbt_store_error_on(const vbt_store *f, const char *field);

/* JSON accessors for assertions: the string (NULL if absent or not a string)
 * and the integer (0 if absent) member k of o. */
const char *vbt_str(const json_t *o, const char *k);
json_int_t vbt_int(const json_t *o, const char *k);

/* ---- seed rows (store thread: call from inside an operation) ---- */

/* A user with email "<handle>@example.com" and a dummy password hash.
 * Returns 0 or a negative vb_err. */
int vbt_store_seed_user(vb_db *db, const char *id, const char *handle, const char *first,
                        const char *last);
/* A workspace whose name is its slug, owned by owner. */
int vbt_store_seed_workspace(vb_db *db, const char *id, const char *slug, const char *owner);
/* A membership of uid in wid with role ("admin" or "member"). */
int vbt_store_seed_member(vb_db *db, const char *wid, const char *uid, const char *role);
/* A project named key in wid with status and columns (a JSON text). */
int vbt_store_seed_project(vb_db *db, const char *id, const char *wid, const char *key,
                           const char *status, const char *columns, const char *created_by);

#endif
