/*
 * Channel messages (vb_ops_chat.h): post, edit, soft delete and the list,
 * shared by the REST routes and the chat gateway.
 *
 * Rules:
 * - Reading and posting need a visible channel (vb_chan_load's rule; the
 *   message changes check it with one cheap query, chan_brief). Posting to a
 *   public channel the actor has not joined joins it first (one row in
 *   channel_members, event "channel:member_added"), so a member of the
 *   workspace can answer in any public channel.
 * - Content is trimmed of surrounding whitespace and must then hold
 *   1..VB_MESSAGE_MAX characters (UTF-8 code points).
 * - Edit and delete: the message must exist, not be deleted, and be in a
 *   channel the actor sees (else 404 MESSAGE_NOT_FOUND); only its sender may
 *   change it (else 403 FORBIDDEN).
 * - Soft delete keeps the row; readers never see the content: the list skips
 *   deleted messages and the shape blanks content when deletedAt is set.
 * - Mentions are resolved on post and edit (source "message") and cleared on
 *   delete; skipped when no text involved has a handle (nothing to resolve
 *   and, as rows only come from handles, nothing to clear).
 */
#include "core/vb_common.h"
#include "core/vb_id.h"
#include "store/vb_mentions.h"
#include "store/vb_ops_channels.h"
#include "store/vb_ops_chat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VB_MESSAGE_MAX 10000
#define MSG_LIST_DEFAULT 50
#define MSG_LIST_MAX 100

/* The message shape's columns; append "WHERE ...". */
#define MSG_SELECT                                                                                 \
    "SELECT m.id AS id, m.channel_id AS channelId, m.sender_id AS senderId,"                       \
    " trim(u.first_name || ' ' || u.last_name) AS senderName, m.content AS content,"               \
    " m.created_at AS createdAt, m.updated_at AS updatedAt, m.edited_at AS editedAt,"              \
    " m.deleted_at AS deletedAt"                                                                   \
    " FROM messages m JOIN users u ON u.id = m.sender_id "

static const char *const msg_times[] = {"createdAt", "updatedAt", "editedAt", "deletedAt", NULL};

/* Converts the times of a message row (or array of rows) and blanks the
 * content of deleted messages. Returns obj. */
static json_t *msg_shape(json_t *obj)
{
    size_t i;
    json_t *v;
    if (json_is_array(obj)) {
        json_array_foreach(obj, i, v) msg_shape(v);
        return obj;
    }
    if (!json_is_object(obj)) return obj;
    if (!json_is_null(json_object_get(obj, "deletedAt")) && json_object_get(obj, "deletedAt"))
        json_object_set_new(obj, "content", json_string(""));
    return vb_chan_iso(obj, msg_times);
}

/* *out receives message mid in API shape (new), or NULL when absent. */
static int msg_load(vb_op_ctx *c, const char *mid, json_t **out)
{
    int rc = vb_db_row(c->db, out, MSG_SELECT "WHERE m.id = ?", "s", mid);
    if (rc) return vb_op_internal(c, rc);
    msg_shape(*out);
    return 0;
}

/* Fails c with 422 VALIDATION_ERROR on field "content". */
static int content_error(vb_op_ctx *c, const char *message)
{
    json_decref(c->errors);
    c->errors = json_pack("[{s:s, s:s}]", "field", "content", "message", message);
    return vb_op_fail(c, VB_EINVAL, "VALIDATION_ERROR", "Validation failed");
}

/*
 * Checks content and returns in *out a new malloc'd copy without surrounding
 * whitespace (the caller frees it). Fails c with 422 when content is missing,
 * empty after trimming, or longer than VB_MESSAGE_MAX characters.
 */
static int content_take(vb_op_ctx *c, const char *content, char **out)
{
    const char *s = content, *e;
    size_t chars = 0;

    *out = NULL;
    if (!content) return content_error(c, "content is required");
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\f' || *s == '\v')
        s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r' ||
                     e[-1] == '\f' || e[-1] == '\v'))
        e--;
    for (const char *p = s; p < e; p++)
        if (((unsigned char)*p & 0xC0) != 0x80) chars++;
    if (chars == 0) return content_error(c, "must be at least 1 characters");
    if (chars > VB_MESSAGE_MAX) return content_error(c, "must be at most 10000 characters");
    *out = strndup(s, (size_t)(e - s));
    if (!*out) return vb_op_fail(c, VB_ENOMEM, "INTERNAL_ERROR", "Out of memory");
    return 0;
}

/* Logs an event of type with data (stolen) for recovery and queues it on
 * "channel:<cid>" with its log position as "seq". */
static int channel_event(vb_op_ctx *c, const char *cid, const char *type, json_t *data)
{
    char topic[VB_OP_TOPIC_MAX];
    int64_t seq = 0;
    int rc = data ? vb_op_chat_log_event(c, cid, type, data, &seq) : VB_ENOMEM;
    if (rc) {
        json_decref(data);
        return vb_op_internal(c, rc);
    }
    vb_op_topic(topic, VB_OP_TOPIC_CHANNEL, cid);
    vb_op_event(c, topic, type, data);
    json_t *ev = json_array_get(c->events, json_array_size(c->events) - 1);
    if (ev && seq > 0) json_object_set_new(ev, "seq", json_integer(seq));
    return 0;
}

/* 1 when text holds at least one @mention candidate (a parsed handle). A
 * message's mention rows only ever come from the handles of its current
 * content, so content without handles has no mention rows. */
static int has_handles(const char *text)
{
    char handles[VB_MENTIONS_MAX][VB_HANDLE_MAX + 1];
    return text && strchr(text, '@') && vb_mentions_parse(text, handles, VB_MENTIONS_MAX) > 0;
}

/*
 * What a message change needs to know about channel cid as seen by actor, in
 * one indexed query: *row (new) {workspaceId, type, name, isMember,
 * senderName (the actor's display name)}. Visibility as vb_chan_load: live
 * channel, actor in its workspace and, unless public, in the channel.
 * Returns 0 when visible, 1 when not (c is NOT failed; *row NULL), or a
 * negative vb_err after failing c.
 */
static int chan_brief(vb_op_ctx *c, const char *cid, const char *actor, json_t **row)
{
    const char *type;
    int rc;

    *row = NULL;
    if (!cid || !actor) return 1;
    rc = vb_db_row(c->db, row,
                   "SELECT ch.workspace_id AS workspaceId, ch.type AS type, ch.name AS name,"
                   " EXISTS (SELECT 1 FROM channel_members cm WHERE cm.channel_id = ch.id"
                   "   AND cm.user_id = ?) AS \"b:isMember\","
                   " (SELECT trim(u.first_name || ' ' || u.last_name) FROM users u"
                   "   WHERE u.id = ?) AS senderName"
                   " FROM channels ch JOIN workspace_members m"
                   "  ON m.workspace_id = ch.workspace_id AND m.user_id = ?"
                   " WHERE ch.id = ? AND ch.deleted_at IS NULL",
                   "ssss", actor, actor, actor, cid);
    if (rc) return vb_op_internal(c, rc);
    if (!*row) return 1;
    type = vb_arg_str(*row, "type");
    if (!json_is_true(json_object_get(*row, "isMember")) && (!type || strcmp(type, "public"))) {
        json_decref(*row);
        *row = NULL;
        return 1;
    }
    return 0;
}

/*
 * Resolves the mentions of message mid (sent by who) in channel cid (brief
 * row ch of chan_brief) and notifies the newly mentioned users. The title
 * names the channel only when it is public, so a mention never reveals a
 * private channel's name.
 */
static int msg_mentions(vb_op_ctx *c, json_t *ch, const char *cid, const char *mid, const char *who,
                        const char *text)
{
    char title[256];
    const char *type = vb_arg_str(ch, "type");
    json_t *data;
    int rc;

    if (type && strcmp(type, "public") == 0)
        snprintf(title, sizeof title, "%s mentioned you in #%s", who ? who : "Someone",
                 vb_arg_str(ch, "name"));
    else
        snprintf(title, sizeof title, "%s mentioned you in a message", who ? who : "Someone");
    data = json_pack("{s:s?, s:s?}", "channelId", cid, "messageId", mid);
    rc = vb_mentions_apply(c, vb_arg_str(ch, "workspaceId"), "message", mid, text, title, data,
                           NULL);
    json_decref(data);
    return vb_op_internal(c, rc);
}

/*
 * Posts as described in vb_ops_chat.h. The stored row is known without
 * reading it back: the message shape is built from the inserted values, and
 * mentions are skipped when the text has no handle (a new message has no
 * mention rows to clear).
 */
int vb_op_msg_post(vb_op_ctx *c, const char *cid, const char *actor, const char *content,
                   json_t **message)
{
    json_t *ch = NULL, *msg = NULL;
    char id[VB_ID_LEN + 1], iso[32], *text = NULL;
    const char *wid, *sender;
    int64_t now = vb_op_now();
    int added = 0, rc;

    *message = NULL;
    rc = chan_brief(c, cid, actor, &ch);
    if (rc == 1) return vb_op_fail(c, VB_ENOTFOUND, "CHANNEL_NOT_FOUND", "Channel not found");
    if (rc) return rc;
    rc = content_take(c, content, &text);
    if (rc) goto done;
    wid = vb_arg_str(ch, "workspaceId");
    sender = vb_arg_str(ch, "senderName");
    if (!wid || !sender) {
        rc = vb_op_internal(c, VB_EIO);
        goto done;
    }
    if (!json_is_true(json_object_get(ch, "isMember"))) {
        rc = vb_chan_add_member(c, cid, actor, &added);
        if (rc) goto done;
        if (added) vb_chan_member_event(c, cid, actor, "channel:member_added");
    }
    vb_id_new(id);
    rc = vb_db_exec(c->db,
                    "INSERT INTO messages (id, channel_id, workspace_id, sender_id, content,"
                    " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    "sssssii", id, cid, wid, actor, text, now, now);
    if (rc) {
        rc = vb_op_internal(c, rc);
        goto done;
    }
    vb_iso8601(now, iso);
    msg = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:n, s:n}", "id", id, "channelId", cid,
                    "senderId", actor, "senderName", sender, "content", text, "createdAt", iso,
                    "updatedAt", iso, "editedAt", "deletedAt");
    if (!msg) {
        rc = vb_op_internal(c, VB_ENOMEM);
        goto done;
    }
    if (has_handles(text)) {
        rc = msg_mentions(c, ch, cid, id, sender, text);
        if (rc) goto done;
    }
    rc = channel_event(
        c, cid, "message:new",
        json_pack("{s:O, s:O, s:O, s:O, s:O, s:O}", "messageId", json_object_get(msg, "id"),
                  "channelId", json_object_get(msg, "channelId"), "senderId",
                  json_object_get(msg, "senderId"), "senderName",
                  json_object_get(msg, "senderName"), "content", json_object_get(msg, "content"),
                  "createdAt", json_object_get(msg, "createdAt")));
    if (rc) goto done;
    *message = msg;
    msg = NULL;
done:
    free(text);
    json_decref(msg);
    json_decref(ch);
    return rc;
}

/*
 * Loads message mid for a change by actor: *msg (API shape) and *ch (its
 * channel's brief row, see chan_brief), both new. Fails c with
 * MESSAGE_NOT_FOUND or FORBIDDEN (see the rules at the top of the file).
 */
static int msg_for_change(vb_op_ctx *c, const char *mid, const char *actor, json_t **msg,
                          json_t **ch)
{
    int rc;
    *msg = *ch = NULL;
    if (!mid || !actor) goto not_found;
    rc = msg_load(c, mid, msg);
    if (rc) return rc;
    if (!*msg || !json_is_null(json_object_get(*msg, "deletedAt"))) goto not_found;
    rc = chan_brief(c, vb_arg_str(*msg, "channelId"), actor, ch);
    if (rc == 1) goto not_found;
    if (rc) goto fail;
    if (strcmp(vb_arg_str(*msg, "senderId"), actor) != 0) {
        rc = vb_op_fail(c, VB_EFORBIDDEN, "FORBIDDEN", "Only the sender can change a message");
        goto fail;
    }
    return 0;
not_found:
    rc = vb_op_fail(c, VB_ENOTFOUND, "MESSAGE_NOT_FOUND", "Message not found");
fail:
    json_decref(*msg);
    json_decref(*ch);
    *msg = *ch = NULL;
    return rc;
}

/*
 * Edits as described in vb_ops_chat.h. The result is the loaded message with
 * the new content and times (what reading it back would give). Mentions are
 * resolved again unless neither the old nor the new text has a handle (then
 * there are no rows to replace or clear).
 */
int vb_op_msg_edit(vb_op_ctx *c, const char *mid, const char *actor, const char *content,
                   json_t **message)
{
    json_t *msg = NULL, *ch = NULL;
    char iso[32], *text = NULL;
    int64_t now = vb_op_now();
    int rc, mentions;

    *message = NULL;
    rc = msg_for_change(c, mid, actor, &msg, &ch);
    if (rc) return rc;
    rc = content_take(c, content, &text);
    if (rc) goto done;
    mentions = has_handles(vb_arg_str(msg, "content")) || has_handles(text);
    rc = vb_db_exec(c->db,
                    "UPDATE messages SET content = ?, edited_at = ?, updated_at = ? WHERE id = ?",
                    "siis", text, now, now, mid);
    if (rc) {
        rc = vb_op_internal(c, rc);
        goto done;
    }
    vb_iso8601(now, iso);
    if (json_object_set_new(msg, "content", json_string(text)) ||
        json_object_set_new(msg, "updatedAt", json_string(iso)) ||
        json_object_set_new(msg, "editedAt", json_string(iso))) {
        rc = vb_op_internal(c, VB_ENOMEM);
        goto done;
    }
    if (mentions) {
        rc = msg_mentions(c, ch, vb_arg_str(msg, "channelId"), mid, vb_arg_str(msg, "senderName"),
                          text);
        if (rc) goto done;
    }
    rc = channel_event(c, vb_arg_str(msg, "channelId"), "message:edited",
                       json_pack("{s:s, s:O, s:O, s:O}", "messageId", mid, "channelId",
                                 json_object_get(msg, "channelId"), "content",
                                 json_object_get(msg, "content"), "updatedAt",
                                 json_object_get(msg, "updatedAt")));
    if (rc) goto done;
    *message = msg;
    msg = NULL;
done:
    free(text);
    json_decref(msg);
    json_decref(ch);
    return rc;
}

int vb_op_msg_delete(vb_op_ctx *c, const char *mid, const char *actor)
{
    json_t *msg = NULL, *ch = NULL;
    int64_t now = vb_op_now();
    int rc = msg_for_change(c, mid, actor, &msg, &ch);
    if (rc) return rc;
    rc = vb_db_exec(c->db, "UPDATE messages SET deleted_at = ?, updated_at = ? WHERE id = ?", "iis",
                    now, now, mid);
    if (rc) {
        rc = vb_op_internal(c, rc);
        goto done;
    }
    /* No text: drops the message's mention rows (there are none when its
     * content had no handle), notifies nobody. */
    if (has_handles(vb_arg_str(msg, "content"))) {
        rc = msg_mentions(c, ch, vb_arg_str(msg, "channelId"), mid, vb_arg_str(msg, "senderName"),
                          "");
        if (rc) goto done;
    }
    rc = channel_event(
        c, vb_arg_str(msg, "channelId"), "message:deleted",
        json_pack("{s:s, s:O}", "messageId", mid, "channelId", json_object_get(msg, "channelId")));
done:
    json_decref(msg);
    json_decref(ch);
    return rc;
}

/* ---- operation wrappers ------------------------------------------------- */

/* The route parameter "id" (REST), else the top-level argument key (gateway). */
static const char *arg_target(vb_op_ctx *c, const char *key)
{
    const char *v = vb_arg_param(c, "id");
    return v ? v : vb_arg_str((json_t *)c->args, key);
}

/* body.content (REST), else the top-level "content" (gateway). */
static const char *arg_content(vb_op_ctx *c)
{
    const char *v = vb_arg_str(vb_arg_body(c), "content");
    return v ? v : vb_arg_str((json_t *)c->args, "content");
}

/* POST /channels/:id/messages {content} or {actor, channelId, content} -> message. */
int vb_op_message_post(vb_op_ctx *c)
{
    return vb_op_msg_post(c, arg_target(c, "channelId"), vb_arg_actor(c), arg_content(c),
                          &c->result);
}

/* PATCH /messages/:id {content} or {actor, messageId, content} -> message. */
int vb_op_message_edit(vb_op_ctx *c)
{
    return vb_op_msg_edit(c, arg_target(c, "messageId"), vb_arg_actor(c), arg_content(c),
                          &c->result);
}

/* DELETE /messages/:id or {actor, messageId} -> {messageId, channelId}. */
int vb_op_message_delete(vb_op_ctx *c)
{
    const char *mid = arg_target(c, "messageId");
    json_t *row = NULL;
    int rc = vb_op_msg_delete(c, mid, vb_arg_actor(c));
    if (rc) return rc;
    rc = vb_db_row(c->db, &row,
                   "SELECT id AS messageId, channel_id AS channelId FROM messages"
                   " WHERE id = ?",
                   "s", mid);
    if (rc || !row) return vb_op_internal(c, rc ? rc : VB_EIO);
    c->result = row;
    return 0;
}

/* Reads the cursor key of the query; fails c with 422 when it is not an id. */
static int cursor_arg(vb_op_ctx *c, const char *key, const char **out)
{
    *out = vb_arg_str(vb_arg_query(c), key);
    if (!*out && json_object_get(c->args, key)) *out = vb_arg_str((json_t *)c->args, key);
    if (*out && !vb_id_valid(*out)) {
        json_decref(c->errors);
        c->errors = json_pack("[{s:s, s:s}]", "field", key, "message", "must be a message id");
        return vb_op_fail(c, VB_EINVAL, "VALIDATION_ERROR", "Validation failed");
    }
    return 0;
}

/*
 * GET /channels/:id/messages?before=&after=&limit= (visible channel): live
 * messages, newest first, at most limit (1..100, default 50). before and after
 * are message ids and bound the window strictly (both given: the ids strictly
 * between). Ids are time-ordered, so paging on with before = the last id seen
 * yields no duplicates and no gaps while new messages arrive. Result
 * {data, meta:{limit, hasMore}}; hasMore tells that older messages remain in
 * the window.
 */
int vb_op_message_list(vb_op_ctx *c)
{
    const char *cid = arg_target(c, "channelId"), *before = NULL, *after = NULL;
    json_t *l = json_object_get(vb_arg_query(c), "limit"), *rows = NULL;
    int64_t limit = json_is_integer(l) ? (int64_t)json_integer_value(l) : MSG_LIST_DEFAULT;
    int more, rc;

    rc = vb_op_msg_channel_access(c, cid, vb_arg_actor(c), NULL);
    if (rc) return rc;
    if (limit < 1 || limit > MSG_LIST_MAX) {
        json_decref(c->errors);
        c->errors =
            json_pack("[{s:s, s:s}]", "field", "limit", "message", "must be between 1 and 100");
        return vb_op_fail(c, VB_EINVAL, "VALIDATION_ERROR", "Validation failed");
    }
    rc = cursor_arg(c, "before", &before);
    if (!rc) rc = cursor_arg(c, "after", &after);
    if (rc) return rc;
    /* Open bounds become sentinels outside the id alphabet ("" sorts before
     * every id, "~" after), so one statement always scans an index range. */
    rc = vb_db_rows(c->db, &rows,
                    MSG_SELECT "WHERE m.channel_id = ? AND m.id > ? AND m.id < ?"
                               " AND m.deleted_at IS NULL ORDER BY m.id DESC LIMIT ?",
                    "sssi", cid, after ? after : "", before ? before : "~", limit + 1);
    if (rc) return vb_op_internal(c, rc);
    more = (int64_t)json_array_size(rows) > limit;
    if (more) json_array_remove(rows, (size_t)limit);
    c->result = json_pack("{s:o, s:{s:I, s:b}}", "data", msg_shape(rows), "meta", "limit",
                          (json_int_t)limit, "hasMore", more);
    return c->result ? 0 : vb_op_internal(c, VB_ENOMEM);
}
