/*
 * Channel operations: create, list, get, delete, and channel membership, plus
 * the visibility check that messages share (vb_op_msg_channel_access). See
 * vb_ops_channels.h for the shapes and rules.
 */
#include "store/vb_ops_channels.h"

#include "core/vb_common.h"
#include "core/vb_id.h"
#include "store/vb_ops_chat.h"

#include <stdio.h>
#include <string.h>

/* The channel shape's columns for alias ch; binds one parameter: the actor
 * (for isMember). memberCount counts only members still in the workspace. */
#define CHAN_COLS                                                                                  \
    "SELECT ch.id AS id, ch.workspace_id AS workspaceId, ch.project_id AS projectId,"              \
    " ch.name AS name, ch.type AS type, ch.description AS description,"                            \
    " ch.created_by AS createdBy,"                                                                 \
    " (SELECT COUNT(*) FROM channel_members cm JOIN workspace_members wm"                          \
    "   ON wm.workspace_id = ch.workspace_id AND wm.user_id = cm.user_id"                          \
    "   WHERE cm.channel_id = ch.id) AS memberCount,"                                              \
    " EXISTS (SELECT 1 FROM channel_members cm WHERE cm.channel_id = ch.id"                        \
    "   AND cm.user_id = ?) AS \"b:isMember\","                                                    \
    " ch.created_at AS createdAt, ch.updated_at AS updatedAt"

static const char *const chan_times[] = {"createdAt", "updatedAt", NULL};

/* ---- shared helpers ----------------------------------------------------- */

json_t *vb_chan_iso(json_t *obj, const char *const *keys)
{
    size_t i;
    json_t *v;
    if (json_is_array(obj)) {
        json_array_foreach(obj, i, v) vb_chan_iso(v, keys);
        return obj;
    }
    for (; json_is_object(obj) && *keys; keys++) {
        v = json_object_get(obj, *keys);
        if (!json_is_integer(v)) continue;
        char iso[32];
        vb_iso8601((int64_t)json_integer_value(v), iso);
        json_object_set_new(obj, *keys, json_string(iso));
    }
    return obj;
}

int vb_chan_load(vb_op_ctx *c, const char *cid, const char *actor, json_t **channel,
                 vb_chan_access *acc)
{
    json_t *row = NULL;
    const char *role, *type;
    int member, rc;

    if (channel) *channel = NULL;
    if (!cid || !actor) return 1;
    if (channel)
        rc = vb_db_row(c->db, &row,
                       CHAN_COLS ", m.role AS memberRole FROM channels ch"
                                 " JOIN workspace_members m ON m.workspace_id = ch.workspace_id"
                                 "  AND m.user_id = ?"
                                 " WHERE ch.id = ? AND ch.deleted_at IS NULL",
                       "sss", actor, actor, cid);
    else /* only the check: skip the shape's columns (memberCount scans members) */
        rc = vb_db_row(c->db, &row,
                       "SELECT ch.type AS type, EXISTS (SELECT 1 FROM channel_members cm"
                       "  WHERE cm.channel_id = ch.id AND cm.user_id = ?) AS \"b:isMember\","
                       " m.role AS memberRole FROM channels ch"
                       " JOIN workspace_members m ON m.workspace_id = ch.workspace_id"
                       "  AND m.user_id = ?"
                       " WHERE ch.id = ? AND ch.deleted_at IS NULL",
                       "sss", actor, actor, cid);
    if (rc) return vb_op_internal(c, rc);
    if (!row) return 1;
    type = vb_arg_str(row, "type");
    member = json_is_true(json_object_get(row, "isMember"));
    if (!member && (!type || strcmp(type, "public") != 0)) {
        json_decref(row);
        return 1;
    }
    if (acc) {
        role = vb_arg_str(row, "memberRole");
        snprintf(acc->role, sizeof acc->role, "%s", role ? role : "member");
        acc->is_member = member;
        acc->is_public = type && strcmp(type, "public") == 0;
    }
    json_object_del(row, "memberRole");
    vb_chan_iso(row, chan_times);
    if (channel)
        *channel = row;
    else
        json_decref(row);
    return 0;
}

int vb_op_msg_channel_access(vb_op_ctx *c, const char *cid, const char *actor, json_t **channel)
{
    int rc = vb_chan_load(c, cid, actor, channel, NULL);
    if (rc == 1) return vb_op_fail(c, VB_ENOTFOUND, "CHANNEL_NOT_FOUND", "Channel not found");
    return rc;
}

int vb_chan_add_member(vb_op_ctx *c, const char *cid, const char *uid, int *added)
{
    int rc = vb_db_exec(c->db,
                        "INSERT INTO channel_members (channel_id, user_id, joined_at)"
                        " VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                        "ssi", cid, uid, vb_op_now());
    if (rc) return vb_op_internal(c, rc);
    if (added) *added = vb_db_changes(c->db) > 0;
    return 0;
}

/* Appends {field, message} to errors. */
static void add_error(json_t *errors, const char *field, const char *message)
{
    json_array_append_new(errors, json_pack("{s:s, s:s}", "field", field, "message", message));
}

void vb_chan_member_event(vb_op_ctx *c, const char *cid, const char *uid, const char *type)
{
    char topic[VB_OP_TOPIC_MAX];
    vb_op_topic(topic, VB_OP_TOPIC_CHANNEL, cid);
    vb_op_event(c, topic, type, json_pack("{s:s, s:s}", "channelId", cid, "userId", uid));
}

/* 1 if channel row ch is public (its name may appear in the workspace's feed). */
static int channel_public(json_t *ch)
{
    const char *type = vb_arg_str(ch, "type");
    return type && strcmp(type, "public") == 0;
}

/* ---- create ------------------------------------------------------------- */

/*
 * Checks the create body against the database: projectId a project of wid,
 * memberIds members of wid (the creator removed, duplicates dropped; *others
 * receives the resulting new array), and for direct channels at least one
 * other member. Appends to errors. Returns 0 or a negative vb_err (db).
 */
static int create_check(vb_op_ctx *c, const char *wid, json_t *body, const char *type,
                        json_t *errors, json_t **others)
{
    const char *actor = vb_arg_actor(c), *pid = vb_arg_str(body, "projectId");
    json_t *ids = json_object_get(body, "memberIds"), *v, *bad = NULL;
    int64_t n = 0;
    size_t i, k;
    int rc;

    *others = json_array();
    if (pid) {
        rc = vb_db_int(c->db, &n, 0,
                       "SELECT COUNT(*) FROM projects WHERE id = ? AND workspace_id = ?", "ss", pid,
                       wid);
        if (rc) return rc;
        if (!n) add_error(errors, "projectId", "is not a project of this workspace");
    }
    if (ids && !json_is_null(ids) && !json_is_array(ids))
        add_error(errors, "memberIds", "must be an array of user ids");
    json_array_foreach(ids, i, v)
    {
        int dup = 0;
        if (!json_is_string(v)) {
            add_error(errors, "memberIds", "must be an array of user ids");
            continue;
        }
        if (actor && strcmp(json_string_value(v), actor) == 0) continue;
        for (k = 0; k < json_array_size(*others) && !dup; k++)
            dup = json_equal(json_array_get(*others, k), v);
        if (!dup) json_array_append(*others, v);
    }
    if (json_array_size(*others)) {
        rc = vb_db_rows(c->db, &bad,
                        "SELECT j.value AS id FROM VB_IDS(?) j WHERE NOT EXISTS"
                        " (SELECT 1 FROM workspace_members m WHERE m.workspace_id = ?"
                        "  AND m.user_id = j.value)",
                        "js", *others, wid);
        if (rc) return rc;
        json_array_foreach(bad, i, v)
        {
            char msg[200];
            snprintf(msg, sizeof msg, "%s is not a member of this workspace",
                     vb_arg_str(v, "id") ? vb_arg_str(v, "id") : "(invalid)");
            add_error(errors, "memberIds", msg);
        }
        json_decref(bad);
    }
    if (strcmp(type, "direct") == 0 && json_array_size(*others) == 0)
        add_error(errors, "memberIds", "a direct channel needs at least one other member");
    return 0;
}

/*
 * POST /workspaces/:wid/channels {name, type?, description?, projectId?,
 * memberIds?} (workspace members). The creator becomes a member, with the
 * memberIds. 409 CHANNEL_NAME_TAKEN for a live channel of the same name in
 * the workspace; 422 for a projectId of another workspace, memberIds that are
 * not workspace members, or a direct channel without another member.
 * Logs channel_created.
 */
int vb_op_channel_create(vb_op_ctx *c)
{
    const char *wid = vb_arg_param(c, "wid"), *actor = vb_arg_actor(c);
    json_t *body = vb_arg_body(c), *errors = json_array(), *others = NULL, *ch = NULL, *v;
    const char *name = vb_arg_str(body, "name"), *type = vb_arg_str(body, "type");
    const char *desc = vb_arg_str(body, "description"), *pid = vb_arg_str(body, "projectId");
    char id[VB_ID_LEN + 1];
    int64_t taken = 0, now = vb_op_now();
    size_t i;
    int rc;

    rc = vb_guard_workspace(c, wid, 0, NULL);
    if (rc) goto done;
    if (!type) type = "public";
    if (strcmp(type, "public") && strcmp(type, "private") && strcmp(type, "direct"))
        add_error(errors, "type", "must be one of public, private, direct");
    if (!name || !*name) add_error(errors, "name", "name is required");
    rc = create_check(c, wid, body, type, errors, &others);
    if (rc) goto internal;
    if (json_array_size(errors)) {
        json_decref(c->errors);
        c->errors = errors;
        errors = NULL;
        rc = vb_op_fail(c, VB_EINVAL, "VALIDATION_ERROR", "Validation failed");
        goto done;
    }
    rc = vb_db_int(c->db, &taken, 0,
                   "SELECT COUNT(*) FROM channels WHERE workspace_id = ? AND name = ?"
                   " AND deleted_at IS NULL",
                   "ss", wid, name);
    if (rc) goto internal;
    vb_id_new(id);
    if (!taken)
        rc = vb_db_exec(c->db,
                        "INSERT INTO channels (id, workspace_id, project_id, name, type,"
                        " description, created_by, created_at, updated_at)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        "sssssssii", id, wid, pid, name, type, desc, actor, now, now);
    if (taken || rc == VB_ECONFLICT) {
        rc = vb_op_fail(c, VB_ECONFLICT, "CHANNEL_NAME_TAKEN",
                        "A channel named %s already exists in this workspace", name);
        goto done;
    }
    if (rc) goto internal;
    rc = vb_chan_add_member(c, id, actor, NULL);
    json_array_foreach(others, i, v)
    {
        if (!rc) rc = vb_chan_add_member(c, id, json_string_value(v), NULL);
    }
    if (rc) goto done;
    /* The workspace's feed reaches every member: a private or direct
     * channel's name stays with the channel (its members list it). */
    rc = vb_activity(c, wid, pid, NULL, "channel_created",
                     json_pack("{s:s, s:s?, s:s}", "channelId", id, "name",
                               strcmp(type, "public") == 0 ? name : NULL, "type", type));
    if (rc) goto done;
    rc = vb_chan_load(c, id, actor, &ch, NULL);
    if (rc) goto internal;
    c->result = ch;
    goto done;
internal:
    rc = vb_op_internal(c, rc < 0 ? rc : VB_EIO);
done:
    json_decref(errors);
    json_decref(others);
    return rc;
}

/* ---- read --------------------------------------------------------------- */

/*
 * GET /workspaces/:wid/channels?page=&limit= (workspace members): the live
 * public channels and the private/direct ones the caller belongs to, by name.
 */
int vb_op_channel_list(vb_op_ctx *c)
{
    const char *wid = vb_arg_param(c, "wid"), *actor = vb_arg_actor(c);
    json_t *rows = NULL;
    int64_t page, limit, total = 0;
    int rc = vb_guard_workspace(c, wid, 0, NULL);
    if (rc) return rc;
    vb_page_args(c, &page, &limit);
#define VISIBLE                                                                                    \
    " FROM channels ch WHERE ch.workspace_id = ? AND ch.deleted_at IS NULL"                        \
    " AND (ch.type = 'public' OR EXISTS (SELECT 1 FROM channel_members x"                          \
    "  WHERE x.channel_id = ch.id AND x.user_id = ?))"
    rc = vb_db_int(c->db, &total, 0, "SELECT COUNT(*)" VISIBLE, "ss", wid, actor);
    if (!rc)
        rc = vb_db_rows(c->db, &rows, CHAN_COLS VISIBLE " ORDER BY ch.name, ch.id LIMIT ? OFFSET ?",
                        "sssii", actor, wid, actor, limit, (page - 1) * limit);
#undef VISIBLE
    if (rc) return vb_op_internal(c, rc);
    c->result = vb_page_result(vb_chan_iso(rows, chan_times), page, limit, total);
    return c->result ? 0 : vb_op_internal(c, VB_ENOMEM);
}

/* GET /channels/:id (visible channels), with its members still in the workspace. */
int vb_op_channel_get(vb_op_ctx *c)
{
    const char *cid = vb_arg_param(c, "id");
    json_t *ch = NULL, *members = NULL;
    int rc = vb_op_msg_channel_access(c, cid, vb_arg_actor(c), &ch);
    if (rc) return rc;
    rc = vb_db_rows(c->db, &members,
                    "SELECT u.id AS userId, u.first_name AS firstName, u.last_name AS lastName"
                    " FROM channel_members cm JOIN users u ON u.id = cm.user_id"
                    " JOIN workspace_members wm ON wm.user_id = cm.user_id"
                    "  AND wm.workspace_id = ?"
                    " WHERE cm.channel_id = ? ORDER BY cm.joined_at, u.id",
                    "ss", vb_arg_str(ch, "workspaceId"), cid);
    if (rc) {
        json_decref(ch);
        return vb_op_internal(c, rc);
    }
    json_object_set_new(ch, "members", members);
    c->result = ch;
    return 0;
}

/* ---- delete ------------------------------------------------------------- */

/*
 * DELETE /channels/:id: the creator or a workspace admin (403 otherwise; 404
 * when not visible). Soft delete: deleted_at is set and the messages stay.
 * Logs channel_deleted and queues "channel:deleted" on the channel's topic.
 */
int vb_op_channel_delete(vb_op_ctx *c)
{
    const char *cid = vb_arg_param(c, "id"), *actor = vb_arg_actor(c);
    json_t *ch = NULL;
    vb_chan_access acc;
    int64_t now = vb_op_now();
    char topic[VB_OP_TOPIC_MAX];
    int rc = vb_chan_load(c, cid, actor, &ch, &acc);

    if (rc == 1) return vb_op_fail(c, VB_ENOTFOUND, "CHANNEL_NOT_FOUND", "Channel not found");
    if (rc) return rc;
    if (strcmp(acc.role, "admin") != 0 && strcmp(vb_arg_str(ch, "createdBy"), actor) != 0) {
        rc = vb_op_fail(c, VB_EFORBIDDEN, "FORBIDDEN",
                        "Only the channel's creator or a workspace admin can delete it");
        goto done;
    }
    rc = vb_db_exec(c->db, "UPDATE channels SET deleted_at = ?, updated_at = ? WHERE id = ?", "iis",
                    now, now, cid);
    if (rc) {
        rc = vb_op_internal(c, rc);
        goto done;
    }
    rc = vb_activity(c, vb_arg_str(ch, "workspaceId"), vb_arg_str(ch, "projectId"), NULL,
                     "channel_deleted",
                     json_pack("{s:s, s:s?, s:s?}", "channelId", cid, "name",
                               channel_public(ch) ? vb_arg_str(ch, "name") : NULL, "type",
                               vb_arg_str(ch, "type")));
    if (rc) goto done;
    vb_op_topic(topic, VB_OP_TOPIC_CHANNEL, cid);
    vb_op_event(c, topic, "channel:deleted", json_pack("{s:s}", "channelId", cid));
    c->result = json_pack("{s:s}", "channelId", cid);
done:
    json_decref(ch);
    return rc;
}

/* ---- members ------------------------------------------------------------ */

/* *out receives the membership shape of uid in cid (new), or NULL. */
static int membership_load(vb_op_ctx *c, const char *cid, const char *uid, json_t **out)
{
    static const char *const times[] = {"joinedAt", NULL};
    int rc = vb_db_row(c->db, out,
                       "SELECT cm.channel_id AS channelId, u.id AS userId,"
                       " u.first_name AS firstName, u.last_name AS lastName,"
                       " cm.joined_at AS joinedAt"
                       " FROM channel_members cm JOIN users u ON u.id = cm.user_id"
                       " WHERE cm.channel_id = ? AND cm.user_id = ?",
                       "ss", cid, uid);
    if (rc) return vb_op_internal(c, rc);
    vb_chan_iso(*out, times);
    return 0;
}

/*
 * POST /channels/:id/members {userId}: anyone who sees the channel may add a
 * member of its workspace (404 MEMBER_NOT_FOUND otherwise). Result
 * {created, member}; created is false when the user already was a member.
 */
int vb_op_channel_member_add(vb_op_ctx *c)
{
    const char *cid = vb_arg_param(c, "id"), *uid = vb_arg_str(vb_arg_body(c), "userId");
    json_t *ch = NULL, *m = NULL;
    int64_t in_ws = 0;
    int added = 0;
    int rc = vb_op_msg_channel_access(c, cid, vb_arg_actor(c), &ch);
    if (rc) return rc;
    if (uid)
        rc = vb_db_int(c->db, &in_ws, 0,
                       "SELECT COUNT(*) FROM workspace_members WHERE workspace_id = ?"
                       " AND user_id = ?",
                       "ss", vb_arg_str(ch, "workspaceId"), uid);
    if (rc) {
        rc = vb_op_internal(c, rc);
        goto done;
    }
    if (!in_ws) {
        rc = vb_op_fail(c, VB_ENOTFOUND, "MEMBER_NOT_FOUND",
                        "No member of this workspace has that id");
        goto done;
    }
    rc = vb_chan_add_member(c, cid, uid, &added);
    if (!rc) rc = membership_load(c, cid, uid, &m);
    if (rc) goto done;
    if (!m) {
        rc = vb_op_internal(c, VB_EIO);
        goto done;
    }
    if (added) vb_chan_member_event(c, cid, uid, "channel:member_added");
    c->result = json_pack("{s:b, s:o}", "created", added, "member", m);
done:
    json_decref(ch);
    return rc;
}

/*
 * DELETE /channels/:id/members/:userId: the member themself, the channel's
 * creator or a workspace admin (403 otherwise). 404 MEMBER_NOT_FOUND when the
 * user is not a member of the channel.
 */
int vb_op_channel_member_remove(vb_op_ctx *c)
{
    const char *cid = vb_arg_param(c, "id"), *uid = vb_arg_param(c, "userId");
    const char *actor = vb_arg_actor(c);
    json_t *ch = NULL;
    vb_chan_access acc;
    int rc = vb_chan_load(c, cid, actor, &ch, &acc);

    if (rc == 1) return vb_op_fail(c, VB_ENOTFOUND, "CHANNEL_NOT_FOUND", "Channel not found");
    if (rc) return rc;
    if (!uid || (strcmp(uid, actor) != 0 && strcmp(acc.role, "admin") != 0 &&
                 strcmp(vb_arg_str(ch, "createdBy"), actor) != 0)) {
        rc = vb_op_fail(c, VB_EFORBIDDEN, "FORBIDDEN",
                        "Only the member, the channel's creator or a workspace admin can do this");
        goto done;
    }
    rc = vb_db_exec(c->db, "DELETE FROM channel_members WHERE channel_id = ? AND user_id = ?", "ss",
                    cid, uid);
    if (rc) {
        rc = vb_op_internal(c, rc);
        goto done;
    }
    if (vb_db_changes(c->db) == 0) {
        rc = vb_op_fail(c, VB_ENOTFOUND, "MEMBER_NOT_FOUND", "Not a member of this channel");
        goto done;
    }
    vb_chan_member_event(c, cid, uid, "channel:member_removed");
    c->result = json_pack("{s:s, s:s}", "channelId", cid, "userId", uid);
done:
    json_decref(ch);
    return rc;
}
