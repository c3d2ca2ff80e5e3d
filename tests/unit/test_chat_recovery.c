/*
 * Unit tests of chat connection state recovery: the offset encoding and the
 * private session ids (app/vb_chat_recovery.c), and the session store
 * (store/ops_chat_recovery.c) through a real store on an in-memory database:
 * the event log written with each message change, a fresh session, joins and
 * leaves, a recovery with its replay, and each refusal (another user, an
 * unknown pid, an offset out of the log, too many events, the window, lost
 * access), and pruning.
 *
 * Fixture: W1 with alice (admin) and bob (member); carol outside it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "app/vb_chat_recovery.h"
#include "core/vb_common.h"
#include "core/vb_id.h"
#include "store/vb_db.h"
#include "store/vb_ops_channels.h"
#include "store/vb_ops_chat.h"
#include "store/vb_store.h"
#include "support/vb_test_store.h"

/* ---- offsets and pids ------------------------------------------------------ */

static void test_offset_encoding(void **state)
{
    (void)state;
    static const struct {
        int64_t v;
        const char *s;
    } cases[] = {{0, "0"},
                 {1, "1"},
                 {35, "z"},
                 {36, "10"},
                 {1295, "zz"},
                 {1296, "100"},
                 {INT64_MAX, "1y2p0ij32e8e7"}};
    char out[VB_CHAT_OFFSET_MAX + 1];
    int64_t back;
    for (size_t i = 0; i < VB_ARRAY_LEN(cases); i++) {
        vb_chat_offset_encode(cases[i].v, out);
        assert_string_equal(out, cases[i].s);
        assert_int_equal(vb_chat_offset_decode(out, &back), 0);
        assert_true(back == cases[i].v);
    }
    /* Only what encode gives: no leading zeros, lower case, no sign, no overflow. */
    static const char *bad[] = {
        "", "00", "01", "A", "-1", "1 ", "+1", "1.", "z/", NULL, "1y2p0ij32e8e8", "10000000000000"};
    for (size_t i = 0; i < VB_ARRAY_LEN(bad); i++)
        assert_int_equal(vb_chat_offset_decode(bad[i], &back), -1);
}

static void test_pid(void **state)
{
    (void)state;
    char a[VB_CHAT_PID_LEN + 1], b[VB_CHAT_PID_LEN + 1];
    char ha[VB_CHAT_PID_HASH_LEN + 1], hb[VB_CHAT_PID_HASH_LEN + 1];
    vb_chat_pid_new(a);
    vb_chat_pid_new(b);
    assert_int_equal(strlen(a), VB_CHAT_PID_LEN);
    assert_true(vb_chat_pid_valid(a) && vb_chat_pid_valid(b));
    assert_string_not_equal(a, b);
    vb_chat_pid_hash(a, ha);
    vb_chat_pid_hash(b, hb);
    assert_int_equal(strlen(ha), 64);
    assert_string_not_equal(ha, hb);
    vb_chat_pid_hash(a, hb);
    assert_string_equal(ha, hb);
    assert_false(vb_chat_pid_valid(NULL));
    assert_false(vb_chat_pid_valid("short"));
    assert_false(vb_chat_pid_valid("AAAAAAAAAAAAAAAAAAAAA+"));
    assert_false(vb_chat_pid_valid("AAAAAAAAAAAAAAAAAAAAAAA"));
}

/* ---- the session store ------------------------------------------------------ */

typedef char id_t_[VB_ID_LEN + 1];

static struct {
    vbt_store fx;
    id_t_ alice, bob, carol, w1;
    char chan[VB_ID_LEN + 1];
} T;

static int op_seed(vb_op_ctx *c)
{
    int rc = vbt_store_seed_user(c->db, T.alice, "alice", "Alice", "Anders");
    if (!rc) rc = vbt_store_seed_user(c->db, T.bob, "bob", "Bob", "Builder");
    if (!rc) rc = vbt_store_seed_user(c->db, T.carol, "carol", "Carol", "Cook");
    if (!rc) rc = vbt_store_seed_workspace(c->db, T.w1, "one", T.alice);
    if (!rc) rc = vbt_store_seed_member(c->db, T.w1, T.alice, "admin");
    if (!rc) rc = vbt_store_seed_member(c->db, T.w1, T.bob, "member");
    return rc;
}

#define WINDOW 120000

/* Opens a session for uid: new pid hash hnew and sid; recovering (hrec,
 * offset) when hrec is set. Returns the result (owned). */
static json_t *open_session(const char *uid, const char *hnew, const char *sid, const char *hrec,
                            int64_t offset, int64_t max_events)
{
    json_t *sess = json_pack("{s:s,s:s,s:I,s:I}", "pidHash", hnew, "sid", sid, "window",
                             (json_int_t)WINDOW, "maxEvents", (json_int_t)max_events);
    if (hrec)
        json_object_set_new(sess, "recover",
                            json_pack("{s:s,s:I}", "pidHash", hrec, "offset", (json_int_t)offset));
    json_t *res = NULL;
    assert_int_equal(vbt_store_run(&T.fx, vb_op_chat_session,
                                   json_pack("{s:{s:s},s:o}", "actor", "id", uid, "session", sess),
                                   &res),
                     0);
    return res;
}

static void join(const char *uid, const char *hash, const char *cid)
{
    assert_int_equal(vbt_store_run(&T.fx, vb_op_chat_channel,
                                   json_pack("{s:{s:s},s:s,s:s}", "actor", "id", uid, "channelId",
                                             cid, "pidHash", hash),
                                   NULL),
                     0);
}

/* Posts as alice over the gateway path; returns the event's seq. */
static int64_t post(const char *content)
{
    assert_int_equal(vbt_store_run(&T.fx, vb_op_message_post,
                                   json_pack("{s:{s:s},s:s,s:s}", "actor", "id", T.alice,
                                             "channelId", T.chan, "content", content),
                                   NULL),
                     0);
    json_t *ev = vbt_store_event(&T.fx, "message:new", NULL);
    assert_non_null(ev);
    return vbt_int(ev, "seq");
}

static int64_t sessions(const char *hash)
{
    return vbt_store_count(&T.fx, "SELECT COUNT(*) FROM chat_sessions WHERE pid_hash = ?", hash,
                           NULL);
}

static int setup(void **state)
{
    char *ids[] = {T.alice, T.bob, T.carol, T.w1};
    (void)state;
    memset(&T, 0, sizeof T);
    if (vbt_store_setup(&T.fx, ids, VB_ARRAY_LEN(ids), op_seed)) return -1;
    json_t *ch = NULL;
    if (vbt_store_call(&T.fx, vb_op_channel_create, T.alice, vbt_store_param("wid", T.w1), NULL,
                       json_pack("{s:s}", "name", "general"), &ch))
        return -1;
    snprintf(T.chan, sizeof T.chan, "%s", vbt_store_take_id(ch));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return vbt_store_close(&T.fx);
}

static void test_log_and_recover(void **state)
{
    (void)state;
    json_t *r = open_session(T.bob, "h1", "sid1", NULL, 0, 10);
    assert_int_equal(vbt_int(r, "head"), 0);
    assert_null(json_object_get(r, "recovered"));
    json_decref(r);
    assert_int_equal(sessions("h1"), 1);
    join(T.bob, "h1", T.chan);
    int64_t s1 = post("one");
    int64_t s2 = post("two");
    assert_true(s1 > 0 && s2 == s1 + 1);
    /* Edits and deletes are logged too, with the data the room saw. */
    json_t *m = NULL;
    assert_int_equal(vbt_store_run(&T.fx, vb_op_message_post,
                                   json_pack("{s:{s:s},s:s,s:s}", "actor", "id", T.alice,
                                             "channelId", T.chan, "content", "three"),
                                   &m),
                     0);
    const char *mid = vbt_store_take_id(m);
    assert_int_equal(vbt_store_run(&T.fx, vb_op_message_edit,
                                   json_pack("{s:{s:s},s:s,s:s}", "actor", "id", T.alice,
                                             "messageId", mid, "content", "3"),
                                   NULL),
                     0);
    assert_int_equal(vbt_int(vbt_store_event(&T.fx, "message:edited", NULL), "seq"), s2 + 2);
    assert_int_equal(vbt_store_count(&T.fx, "SELECT COUNT(*) FROM chat_events", NULL, NULL), 4);

    /* From s1: everything after it, in order, and the rooms. */
    r = open_session(T.bob, "h2", "sid2", "h1", s1, 10);
    json_t *rec = json_object_get(r, "recovered");
    assert_non_null(rec);
    assert_string_equal(vbt_str(rec, "sid"), "sid1");
    assert_int_equal(vbt_int(r, "head"), s2 + 2);
    json_t *rooms = json_object_get(rec, "rooms");
    assert_int_equal(json_array_size(rooms), 1);
    assert_string_equal(vbt_str(json_array_get(rooms, 0), "channelId"), T.chan);
    assert_string_equal(vbt_str(json_array_get(rooms, 0), "workspaceId"), T.w1);
    json_t *evs = json_object_get(rec, "events");
    assert_int_equal(json_array_size(evs), 3);
    assert_int_equal(vbt_int(json_array_get(evs, 0), "seq"), s2);
    assert_string_equal(vbt_str(json_object_get(json_array_get(evs, 0), "data"), "content"), "two");
    assert_string_equal(vbt_str(json_array_get(evs, 2), "type"), "message:edited");
    assert_string_equal(vbt_str(json_object_get(json_array_get(evs, 2), "data"), "content"), "3");
    json_decref(r);
    /* The recovered session is the old one: no new row. */
    assert_int_equal(sessions("h2"), 0);
    assert_int_equal(sessions("h1"), 1);
}

/* The log's seq comes from its counter row (so several writers hand them
 * out in commit order); a join tells the head; a catch-up reads one
 * channel's events after a seq, in order, bounded. */
static void test_counter_and_catchup(void **state)
{
    (void)state;
    json_t *ch = NULL;
    assert_int_equal(
        vbt_store_run(&T.fx, vb_op_chat_channel,
                      json_pack("{s:{s:s},s:s}", "actor", "id", T.bob, "channelId", T.chan), &ch),
        0);
    assert_int_equal(vbt_int(ch, "logHead"), 0);
    json_decref(ch);
    /* The counter is the head, even when the log's tail was deleted. */
    vbt_store_exec(&T.fx, "UPDATE chat_log_head SET seq = 41", NULL, NULL);
    int64_t s1 = post("one");
    assert_int_equal(s1, 42);
    vbt_store_exec(&T.fx, "DELETE FROM chat_events", NULL, NULL);
    int64_t s2 = post("two");
    int64_t s3 = post("three");
    assert_int_equal(s2, 43);
    assert_int_equal(s3, 44);
    assert_int_equal(
        vbt_store_run(&T.fx, vb_op_chat_channel,
                      json_pack("{s:{s:s},s:s}", "actor", "id", T.bob, "channelId", T.chan), &ch),
        0);
    assert_int_equal(vbt_int(ch, "logHead"), 44);
    json_decref(ch);

    json_t *r = NULL;
    assert_int_equal(vbt_store_run(&T.fx, vb_op_chat_catchup,
                                   json_pack("{s:s,s:I,s:i}", "channelId", T.chan, "after",
                                             (json_int_t)s1, "limit", 10),
                                   &r),
                     0);
    json_t *evs = json_object_get(r, "events");
    assert_int_equal(json_array_size(evs), 2);
    assert_int_equal(vbt_int(json_array_get(evs, 0), "seq"), s2);
    assert_string_equal(vbt_str(json_array_get(evs, 0), "type"), "message:new");
    assert_string_equal(vbt_str(json_object_get(json_array_get(evs, 1), "data"), "content"),
                        "three");
    json_decref(r);
    assert_int_equal(vbt_store_run(&T.fx, vb_op_chat_catchup,
                                   json_pack("{s:s,s:I,s:i}", "channelId", T.chan, "after",
                                             (json_int_t)s1, "limit", 1),
                                   &r),
                     0);
    assert_int_equal(json_array_size(json_object_get(r, "events")), 1);
    json_decref(r);
    /* Another channel's events, a bad limit. */
    assert_int_equal(vbt_store_run(&T.fx, vb_op_chat_catchup,
                                   json_pack("{s:s,s:I,s:i}", "channelId", "nope", "after",
                                             (json_int_t)0, "limit", 10),
                                   &r),
                     0);
    assert_int_equal(json_array_size(json_object_get(r, "events")), 0);
    json_decref(r);
    assert_int_not_equal(vbt_store_run(&T.fx, vb_op_chat_catchup,
                                       json_pack("{s:s,s:I,s:i}", "channelId", T.chan, "after",
                                                 (json_int_t)0, "limit", 5000),
                                       NULL),
                         0);
}

static void test_refusals(void **state)
{
    (void)state;
    json_decref(open_session(T.bob, "hb", "sidb", NULL, 0, 10));
    join(T.bob, "hb", T.chan);
    int64_t s1 = post("one");
    post("two");
    post("three");

    /* Another user's pid: fresh, and the owner's session is untouched. */
    json_t *r = open_session(T.alice, "ha", "sida", "hb", s1, 10);
    assert_null(json_object_get(r, "recovered"));
    json_decref(r);
    assert_int_equal(sessions("hb"), 1);
    assert_int_equal(sessions("ha"), 1);
    /* An unknown pid. */
    r = open_session(T.bob, "hx", "sidx", "nope", s1, 10);
    assert_null(json_object_get(r, "recovered"));
    json_decref(r);
    /* An offset from the future. */
    r = open_session(T.bob, "hy", "sidy", "hb", s1 + 100, 10);
    assert_null(json_object_get(r, "recovered"));
    json_decref(r);
    /* The refused session of its owner is gone: the same pid cannot come back. */
    assert_int_equal(sessions("hb"), 0);

    /* More events than the bound. */
    json_decref(open_session(T.bob, "hc", "sidc", NULL, 0, 10));
    join(T.bob, "hc", T.chan);
    int64_t from = post("four");
    post("five");
    post("six");
    r = open_session(T.bob, "hd", "sidd", "hc", from, 1);
    assert_null(json_object_get(r, "recovered"));
    json_decref(r);

    /* Closed longer than the window ago. */
    json_decref(open_session(T.bob, "he", "side", NULL, 0, 10));
    join(T.bob, "he", T.chan);
    from = post("seven");
    vbt_store_exec(&T.fx, "UPDATE chat_sessions SET closed_at = 1 WHERE pid_hash = ?", "he", NULL);
    r = open_session(T.bob, "hf", "sidf", "he", from, 10);
    assert_null(json_object_get(r, "recovered"));
    json_decref(r);

    /* Access lost (bob left the workspace): fresh. */
    json_decref(open_session(T.bob, "hg", "sidg", NULL, 0, 10));
    join(T.bob, "hg", T.chan);
    from = post("eight");
    vbt_store_exec(&T.fx, "DELETE FROM workspace_members WHERE user_id = ?", T.bob, NULL);
    r = open_session(T.bob, "hh", "sidh", "hg", from, 10);
    assert_null(json_object_get(r, "recovered"));
    json_decref(r);
}

static void test_leave_close_prune(void **state)
{
    (void)state;
    json_decref(open_session(T.bob, "hl", "sidl", NULL, 0, 10));
    join(T.bob, "hl", T.chan);
    int64_t from = post("one");
    assert_int_equal(vbt_store_run(&T.fx, vb_op_chat_session_leave,
                                   json_pack("{s:s,s:s}", "pidHash", "hl", "channelId", T.chan),
                                   NULL),
                     0);
    post("two");
    assert_int_equal(vbt_store_run(&T.fx, vb_op_chat_session_close,
                                   json_pack("{s:s,s:s}", "pidHash", "hl", "sid", "sidl"), NULL),
                     0);
    assert_int_equal(vbt_store_count(&T.fx,
                                     "SELECT COUNT(*) FROM chat_sessions WHERE pid_hash = ?"
                                     " AND closed_at IS NOT NULL",
                                     "hl", NULL),
                     1);
    /* Left before "two": recovered with no room and nothing to replay. */
    json_t *r = open_session(T.bob, "hm", "sidm", "hl", from, 10);
    json_t *rec = json_object_get(r, "recovered");
    assert_non_null(rec);
    assert_int_equal(json_array_size(json_object_get(rec, "rooms")), 0);
    assert_int_equal(json_array_size(json_object_get(rec, "events")), 0);
    json_decref(r);

    /* Pruning drops old events as a prefix, keeping the last. */
    post("three");
    vbt_store_exec(&T.fx, "UPDATE chat_events SET created_at = 1", NULL, NULL);
    vbt_store_exec(&T.fx, "UPDATE chat_sessions SET closed_at = 1 WHERE pid_hash = ?", "hl", NULL);
    assert_int_equal(vbt_store_run(&T.fx, vb_op_chat_prune,
                                   json_pack("{s:I,s:I}", "window", (json_int_t)WINDOW, "idleMax",
                                             (json_int_t)WINDOW * 100),
                                   NULL),
                     0);
    assert_int_equal(vbt_store_count(&T.fx, "SELECT COUNT(*) FROM chat_events", NULL, NULL), 1);
    assert_int_equal(sessions("hl"), 0);
    /* An offset before the pruned prefix cannot be replayed any more. */
    json_decref(open_session(T.bob, "hn", "sidn", NULL, 0, 10));
    r = open_session(T.bob, "ho", "sido", "hn", from, 10);
    assert_null(json_object_get(r, "recovered"));
    json_decref(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offset_encoding),
        cmocka_unit_test(test_pid),
        cmocka_unit_test_setup_teardown(test_log_and_recover, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_counter_and_catchup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_leave_close_prune, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
