/*
 * Chat connection state recovery, served from the database: the event log
 * of message changes (chat_events), the sessions (chat_sessions) and the
 * channels they joined (chat_session_rooms). See vb_ops_chat.h.
 *
 * A session is written when it changes (connect, join, leave) and marked
 * closed when its socket goes, so a crash loses nothing but the close time.
 * A session may be recovered while now - its last sign of life is within
 * the window: the close time when it was recorded, else the latest of its
 * last change and the client's offset (the server may have died silently).
 * Recovery is all or nothing: any check failing gives a fresh session.
 */
#include "core/vb_common.h"
#include "store/vb_db.h"
#include "store/vb_ops.h"
#include "store/vb_ops_chat.h"

#include <stdatomic.h>
#include <string.h>

static atomic_int g_log_on = 1;

void vb_op_chat_log_enable(int on)
{
    atomic_store(&g_log_on, on ? 1 : 0);
}

int vb_op_chat_log_event(vb_op_ctx *c, const char *cid, const char *type, json_t *data,
                         int64_t *seq)
{
    json_t *row = NULL;
    *seq = 0;
    if (!atomic_load(&g_log_on)) return 0;
    /* The counter row stays locked until this transaction commits: seqs
     * are handed out in commit order, whatever the number of writers. */
    int rc = vb_db_row(c->db, &row,
                       "UPDATE chat_log_head SET seq = seq + 1 WHERE id = 1"
                       " RETURNING seq",
                       "");
    if (rc == 0) *seq = json_integer_value(json_object_get(row, "seq"));
    json_decref(row);
    if (rc == 0 && *seq > 0)
        rc = vb_db_exec(c->db,
                        "INSERT INTO chat_events (seq, channel_id, type, data, origin, created_at)"
                        " VALUES (?, ?, ?, ?, ?, ?)",
                        "issjsi", *seq, cid, type, data, vb_arg_str((json_t *)c->args, "origin"),
                        vb_op_now());
    return rc ? rc : (*seq > 0 ? 0 : VB_EIO);
}

/* The last and first seq of the log (0 when empty). */
static int log_bounds(vb_op_ctx *c, int64_t *head, int64_t *first)
{
    json_t *row = NULL;
    int rc = vb_db_row(c->db, &row,
                       "SELECT COALESCE(MAX(seq), 0) AS head, COALESCE(MIN(seq), 0) AS first"
                       " FROM chat_events",
                       "");
    if (rc) return rc;
    *head = json_integer_value(json_object_get(row, "head"));
    *first = json_integer_value(json_object_get(row, "first"));
    json_decref(row);
    return 0;
}

/*
 * Tries to restore session rec {pidHash, offset} for uid. On success *out
 * gets {sid, rooms:[{channelId, workspaceId}], events:[{seq, type, data,
 * origin}]} and the session is marked alive. Returns 0 (restored), 1 (not
 * recoverable: a fresh session follows) or a vb_err.
 */
static int try_recover(vb_op_ctx *c, const char *uid, json_t *rec, int64_t window,
                       int64_t max_events, int64_t head, int64_t first, int64_t now, json_t **out)
{
    const char *hash = vb_arg_str(rec, "pidHash");
    json_t *off = json_object_get(rec, "offset");
    json_t *sess = NULL, *rooms = NULL, *events = NULL, *ev_time = NULL;
    int64_t offset = json_integer_value(off);
    int rc;
    *out = NULL;
    if (!hash || !json_is_integer(off) || offset < 0) return 1;
    rc = vb_db_row(c->db, &sess,
                   "SELECT user_id, sid, alive_at, closed_at FROM chat_sessions WHERE pid_hash = ?",
                   "s", hash);
    if (rc) return rc;
    /* A pid is its user's only: another user's pid is as unknown as a forged one. */
    if (!sess || strcmp(vb_arg_str(sess, "user_id"), uid) != 0) {
        json_decref(sess);
        return 1;
    }
    rc = 1;
    /* The offset must name a position whose successors are all still logged. */
    if (offset > head || (head == 0 ? offset != 0 : offset < first - 1)) goto done;
    int64_t alive = json_integer_value(json_object_get(sess, "alive_at"));
    json_t *closed = json_object_get(sess, "closed_at");
    if (json_is_integer(closed)) {
        alive = json_integer_value(closed);
    } else if (offset > 0) {
        if ((rc = vb_db_row(c->db, &ev_time, "SELECT created_at FROM chat_events WHERE seq = ?",
                            "i", offset)) != 0)
            goto done;
        int64_t t = json_integer_value(json_object_get(ev_time, "created_at"));
        if (t > alive) alive = t;
        rc = 1;
    }
    if (now - alive > window) goto done;
    if ((rc = vb_db_rows(c->db, &rooms,
                         "SELECT channel_id FROM chat_session_rooms WHERE pid_hash = ?"
                         " ORDER BY channel_id",
                         "s", hash)) != 0)
        goto done;
    json_t *restored = json_array();
    size_t i;
    json_t *r;
    json_array_foreach(rooms, i, r)
    {
        json_t *ch = NULL;
        const char *cid = vb_arg_str(r, "channel_id");
        /* Access lost during the gap (removed, channel deleted): no recovery. */
        if (vb_op_msg_channel_access(c, cid, uid, &ch) != 0) {
            json_decref(restored);
            rc = 1;
            goto done;
        }
        json_array_append_new(restored, json_pack("{s:s,s:O}", "channelId", cid, "workspaceId",
                                                  json_object_get(ch, "workspaceId")));
        json_decref(ch);
    }
    /* The missed events of its rooms, after the offset and after each join;
     * its own edits and deletions were never sent to it. One more than the
     * bound tells a gap too long to replay. */
    rc = vb_db_rows(c->db, &events,
                    "SELECT e.seq AS seq, e.type AS type, e.data AS \"j:data\""
                    " FROM chat_events e JOIN chat_session_rooms r"
                    " ON r.channel_id = e.channel_id AND r.pid_hash = ?"
                    " WHERE e.seq > ? AND e.seq > r.since_seq"
                    " AND (e.origin IS NULL OR e.origin <> ? OR e.type = 'message:new')"
                    " ORDER BY e.seq LIMIT ?",
                    "sisi", hash, offset, vb_arg_str(sess, "sid"), max_events + 1);
    if (rc || (int64_t)json_array_size(events) > max_events) {
        json_decref(restored);
        rc = rc ? rc : 1;
        goto done;
    }
    rc = vb_db_exec(c->db,
                    "UPDATE chat_sessions SET alive_at = ?, closed_at = NULL WHERE pid_hash = ?",
                    "is", now, hash);
    if (rc) {
        json_decref(restored);
        goto done;
    }
    *out = json_pack("{s:O,s:o,s:O}", "sid", json_object_get(sess, "sid"), "rooms", restored,
                     "events", events);
    rc = *out ? 0 : VB_ENOMEM;
done:
    if (rc == 1) /* its owner's session, not recoverable any more */
        vb_db_exec(c->db, "DELETE FROM chat_sessions WHERE pid_hash = ?", "s", hash);
    json_decref(sess);
    json_decref(rooms);
    json_decref(events);
    json_decref(ev_time);
    return rc;
}

int vb_op_chat_session_open(vb_op_ctx *c, const char *uid, json_t *sess, json_t *result)
{
    int64_t head, first, now = vb_op_now();
    int64_t window = json_integer_value(json_object_get(sess, "window"));
    int64_t max_events = json_integer_value(json_object_get(sess, "maxEvents"));
    json_t *rec = json_object_get(sess, "recover");
    json_t *restored = NULL;
    int rc = log_bounds(c, &head, &first);
    if (rc) return vb_op_internal(c, rc);
    if (json_is_object(rec)) {
        rc = try_recover(c, uid, rec, window, max_events, head, first, now, &restored);
        if (rc < 0) return vb_op_internal(c, rc);
    }
    if (restored) {
        json_object_set_new(result, "recovered", restored);
    } else {
        rc = vb_db_exec(c->db,
                        "INSERT INTO chat_sessions (pid_hash, user_id, sid, created_at, alive_at)"
                        " VALUES (?, ?, ?, ?, ?)",
                        "sssii", vb_arg_str(sess, "pidHash"), uid, vb_arg_str(sess, "sid"), now,
                        now);
        if (rc) return vb_op_internal(c, rc);
    }
    json_object_set_new(result, "head", json_integer(head));
    return 0;
}

int vb_op_chat_session_join(vb_op_ctx *c, const char *hash, const char *cid)
{
    int rc =
        vb_db_exec(c->db, "DELETE FROM chat_session_rooms WHERE pid_hash = ? AND channel_id = ?",
                   "ss", hash, cid);
    if (!rc)
        rc = vb_db_exec(c->db,
                        "INSERT INTO chat_session_rooms (pid_hash, channel_id, since_seq)"
                        " SELECT pid_hash, ?, (SELECT COALESCE(MAX(seq), 0) FROM chat_events)"
                        " FROM chat_sessions WHERE pid_hash = ?",
                        "ss", cid, hash);
    if (!rc)
        rc = vb_db_exec(c->db, "UPDATE chat_sessions SET alive_at = ? WHERE pid_hash = ?", "is",
                        vb_op_now(), hash);
    return rc ? vb_op_internal(c, rc) : 0;
}

/* args {pidHash, channelId}: the session left the channel's room. */
int vb_op_chat_session_leave(vb_op_ctx *c)
{
    const char *hash = vb_arg_str((json_t *)c->args, "pidHash");
    const char *cid = vb_arg_str((json_t *)c->args, "channelId");
    if (!hash || !cid) return vb_op_fail(c, VB_EINVAL, "VALIDATION_ERROR", "pidHash, channelId");
    int rc =
        vb_db_exec(c->db, "DELETE FROM chat_session_rooms WHERE pid_hash = ? AND channel_id = ?",
                   "ss", hash, cid);
    if (!rc)
        rc = vb_db_exec(c->db, "UPDATE chat_sessions SET alive_at = ? WHERE pid_hash = ?", "is",
                        vb_op_now(), hash);
    return rc ? vb_op_internal(c, rc) : 0;
}

/* args {pidHash, sid}: the session's socket went away (now). */
int vb_op_chat_session_close(vb_op_ctx *c)
{
    const char *hash = vb_arg_str((json_t *)c->args, "pidHash");
    const char *sid = vb_arg_str((json_t *)c->args, "sid");
    if (!hash || !sid) return vb_op_fail(c, VB_EINVAL, "VALIDATION_ERROR", "pidHash, sid");
    int rc =
        vb_db_exec(c->db, "UPDATE chat_sessions SET closed_at = ? WHERE pid_hash = ? AND sid = ?",
                   "iss", vb_op_now(), hash, sid);
    return rc ? vb_op_internal(c, rc) : 0;
}

int vb_op_chat_catchup(vb_op_ctx *c)
{
    const char *cid = vb_arg_str((json_t *)c->args, "channelId");
    json_t *after = json_object_get(c->args, "after");
    json_int_t limit = json_integer_value(json_object_get(c->args, "limit"));
    if (!cid || !json_is_integer(after) || limit < 1 || limit > 1000)
        return vb_op_fail(c, VB_EINVAL, "VALIDATION_ERROR", "channelId, after, limit");
    json_t *events = NULL;
    int rc = vb_db_rows(c->db, &events,
                        "SELECT seq, type, data AS \"j:data\" FROM chat_events"
                        " WHERE channel_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                        "sii", cid, (int64_t)json_integer_value(after), (int64_t)limit);
    if (rc) return vb_op_internal(c, rc);
    c->result = json_pack("{s:o}", "events", events);
    return c->result ? 0 : vb_op_internal(c, VB_ENOMEM);
}

/*
 * args {window, idleMax}: drops what no session can recover any more: log
 * entries older than the window (a prefix, always keeping the last one, so
 * "first - 1" stays the newest dropped seq), sessions closed longer than the
 * window ago, and sessions never closed (their server died) idle longer than
 * idleMax.
 */
int vb_op_chat_prune(vb_op_ctx *c)
{
    int64_t now = vb_op_now();
    int64_t window = json_integer_value(json_object_get(c->args, "window"));
    int64_t idle = json_integer_value(json_object_get(c->args, "idleMax"));
    json_t *row = NULL;
    int rc = vb_db_row(c->db, &row,
                       "SELECT COALESCE((SELECT MIN(seq) FROM chat_events WHERE created_at >= ?),"
                       " (SELECT MAX(seq) FROM chat_events), 0) AS keep",
                       "i", now - window);
    int64_t keep = rc ? 0 : json_integer_value(json_object_get(row, "keep"));
    json_decref(row);
    if (!rc && keep > 0) rc = vb_db_exec(c->db, "DELETE FROM chat_events WHERE seq < ?", "i", keep);
    if (!rc)
        rc = vb_db_exec(c->db,
                        "DELETE FROM chat_sessions WHERE (closed_at IS NOT NULL AND closed_at < ?)"
                        " OR (closed_at IS NULL AND alive_at < ?)",
                        "ii", now - window, now - idle);
    return rc ? vb_op_internal(c, rc) : 0;
}
