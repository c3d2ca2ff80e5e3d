/*
 * Workspace and membership operations.
 *
 * Rules kept inside each operation's transaction: the creator is the owner
 * and an admin; the owner cannot leave, be removed or be demoted
 * (OWNER_IMMUTABLE); the last admin likewise (LAST_ADMIN). Non-members see
 * WORKSPACE_NOT_FOUND, members without the admin role FORBIDDEN (the guards).
 */
#include "store/vb_ops_ws.h"

#include "core/vb_common.h"
#include "core/vb_id.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define SLUG_MAX 60
#define SLUG_BASE_MAX 50 /* leaves room for a "-NNNN" suffix */

#define WS_SELECT                                                                                  \
    "SELECT w.id, w.name, w.slug, w.description, w.logo_url AS logoUrl, w.owner_id AS ownerId,"    \
    " w.created_at AS createdAt, w.updated_at AS updatedAt, m.role,"                               \
    " (SELECT COUNT(*) FROM workspace_members x WHERE x.workspace_id = w.id) AS memberCount"       \
    " FROM workspaces w JOIN workspace_members m ON m.workspace_id = w.id AND m.user_id = ?"

#define MEMBER_SELECT                                                                              \
    "SELECT m.user_id AS userId, u.email, u.first_name AS firstName, u.last_name AS lastName,"     \
    " m.role, m.joined_at AS joinedAt FROM workspace_members m JOIN users u ON u.id = m.user_id"

static int oom(vb_op_ctx *c)
{
    return vb_op_fail(c, VB_ENOMEM, "INTERNAL_ERROR", "Out of memory");
}

/* Converts the times of a workspace row to ISO strings. */
static void ws_times(json_t *row)
{
    vb_json_iso(row, "createdAt");
    vb_json_iso(row, "updatedAt");
}

/* Sets c->result to the workspace shape of wid as the actor sees it. */
int vb_ws_result(vb_op_ctx *c, const char *wid)
{
    json_t *row = NULL;
    int rc = vb_db_row(c->db, &row, WS_SELECT " WHERE w.id = ?", "ss", vb_arg_actor(c), wid);

    if (rc < 0) return vb_op_internal(c, rc);
    if (!row) return vb_op_fail(c, VB_ENOTFOUND, "WORKSPACE_NOT_FOUND", "Workspace not found");
    ws_times(row);
    c->result = row;
    return 0;
}

/* *out receives the member shape of uid in wid (new reference), or NULL. */
static int member_row(vb_op_ctx *c, const char *wid, const char *uid, json_t **out)
{
    int rc = vb_db_row(c->db, out, MEMBER_SELECT " WHERE m.workspace_id = ? AND m.user_id = ?",
                       "ss", wid, uid);

    if (rc < 0) return vb_op_internal(c, rc);
    if (*out) vb_json_iso(*out, "joinedAt");
    return 0;
}

/*
 * Writes into out the slug derived from name: lower-case ASCII letters and
 * digits, every other run of bytes becomes one '-', no '-' at either end, at
 * most SLUG_BASE_MAX characters. Names without letters or digits give
 * "workspace"; one-character results are prefixed ("workspace-a") because a
 * slug has at least two characters.
 */
static void slug_from_name(const char *name, char out[SLUG_BASE_MAX + 1])
{
    size_t n = 0;
    int dash = 0;
    char tmp[SLUG_BASE_MAX + 1];

    for (; name && *name && n < SLUG_BASE_MAX; name++) {
        unsigned char ch = (unsigned char)*name;
        if (isalnum(ch) && ch < 0x80) {
            if (dash && n > 0) {
                if (n >= SLUG_BASE_MAX - 1) break;
                out[n++] = '-';
            }
            dash = 0;
            out[n++] = (char)tolower(ch);
        } else {
            dash = 1;
        }
    }
    out[n] = '\0';
    if (n == 0) {
        snprintf(out, SLUG_BASE_MAX + 1, "workspace");
    } else if (n == 1) {
        snprintf(tmp, sizeof tmp, "workspace-%s", out);
        memcpy(out, tmp, sizeof tmp);
    }
}

/* *taken = 1 if a workspace other than except (may be NULL) uses slug. */
static int slug_taken(vb_op_ctx *c, const char *slug, const char *except, int64_t *taken)
{
    int rc = vb_db_int(c->db, taken, 0,
                       "SELECT COUNT(*) FROM workspaces WHERE slug = ? AND id IS DISTINCT FROM ?",
                       "ss", slug, except);
    return rc < 0 ? vb_op_internal(c, rc) : 0;
}

/* Finds the first free slug among base, base-2, base-3, ... into out. */
static int slug_unique(vb_op_ctx *c, const char *base, char out[SLUG_MAX + 1])
{
    int64_t taken = 0;
    int n, rc;

    snprintf(out, SLUG_MAX + 1, "%s", base);
    for (n = 2;; n++) {
        rc = slug_taken(c, out, NULL, &taken);
        if (rc < 0) return rc;
        if (!taken) return 0;
        if (n > 9999) return vb_op_fail(c, VB_ECONFLICT, "SLUG_TAKEN", "No free slug");
        snprintf(out, SLUG_MAX + 1, "%s-%d", base, n);
    }
}

int vb_op_ws_create(vb_op_ctx *c)
{
    const char *actor = vb_arg_actor(c);
    json_t *body = vb_arg_body(c);
    const char *given = vb_arg_str(body, "slug");
    char base[SLUG_BASE_MAX + 1], slug[SLUG_MAX + 1], wid[VB_ID_LEN + 1];
    int64_t now = vb_op_now(), taken = 0;
    int rc;

    if (given) {
        snprintf(slug, sizeof slug, "%s", given);
        rc = slug_taken(c, slug, NULL, &taken);
        if (rc < 0) return rc;
        if (taken) return vb_op_fail(c, VB_ECONFLICT, "SLUG_TAKEN", "Slug is already taken");
    } else {
        slug_from_name(vb_arg_str(body, "name"), base);
        rc = slug_unique(c, base, slug);
        if (rc < 0) return rc;
    }
    vb_id_new(wid);
    rc = vb_db_exec(c->db,
                    "INSERT INTO workspaces (id, name, slug, description, logo_url, owner_id,"
                    " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    "ssssssii", wid, vb_arg_str(body, "name"), slug,
                    vb_arg_str(body, "description"), vb_arg_str(body, "logoUrl"), actor, now, now);
    if (rc == VB_ECONFLICT) return vb_op_fail(c, rc, "SLUG_TAKEN", "Slug is already taken");
    if (rc < 0) return vb_op_internal(c, rc);
    rc = vb_db_exec(c->db,
                    "INSERT INTO workspace_members (workspace_id, user_id, role, joined_at)"
                    " VALUES (?, ?, 'admin', ?)",
                    "ssi", wid, actor, now);
    if (rc < 0) return vb_op_internal(c, rc);
    rc = vb_activity(c, wid, NULL, NULL, "workspace_created",
                     json_pack("{s:s?, s:s}", "name", vb_arg_str(body, "name"), "slug", slug));
    if (rc < 0) return rc;
    /* The creator's open chat connections join the new workspace at once
     * (its room, and presence there). */
    char topic[VB_OP_TOPIC_MAX];
    vb_op_topic(topic, VB_OP_TOPIC_USER, actor);
    vb_op_event(c, topic, "workspace_joined",
                json_pack("{s:s, s:s}", "userId", actor, "workspaceId", wid));
    return vb_ws_result(c, wid);
}

int vb_op_ws_list(vb_op_ctx *c)
{
    const char *actor = vb_arg_actor(c);
    json_t *rows = NULL;
    int64_t page, limit, total = 0;
    size_t i;
    int rc;

    vb_page_args(c, &page, &limit);
    rc = vb_db_int(c->db, &total, 0, "SELECT COUNT(*) FROM workspace_members WHERE user_id = ?",
                   "s", actor);
    if (rc == 0)
        rc = vb_db_rows(c->db, &rows, WS_SELECT " ORDER BY w.id LIMIT ? OFFSET ?", "sii", actor,
                        limit, (page - 1) * limit);
    if (rc < 0) return vb_op_internal(c, rc);
    for (i = 0; i < json_array_size(rows); i++)
        ws_times(json_array_get(rows, i));
    c->result = vb_page_result(rows, page, limit, total);
    return c->result ? 0 : oom(c);
}

int vb_op_ws_get(vb_op_ctx *c)
{
    const char *wid = vb_arg_param(c, "wid");
    int rc = vb_guard_workspace(c, wid, 0, NULL);

    return rc < 0 ? rc : vb_ws_result(c, wid);
}

/* PATCH: only the fields present change; description and logoUrl may be null. */
int vb_op_ws_update(vb_op_ctx *c)
{
    const char *wid = vb_arg_param(c, "wid");
    json_t *body = vb_arg_body(c);
    json_t *desc = json_object_get(body, "description"), *logo = json_object_get(body, "logoUrl");
    const char *slug = vb_arg_str(body, "slug");
    int64_t taken = 0;
    int rc = vb_guard_workspace(c, wid, 1, NULL);

    if (rc < 0) return rc;
    if (slug) {
        rc = slug_taken(c, slug, wid, &taken);
        if (rc < 0) return rc;
        if (taken) return vb_op_fail(c, VB_ECONFLICT, "SLUG_TAKEN", "Slug is already taken");
    }
    rc = vb_db_exec(c->db,
                    "UPDATE workspaces SET name = COALESCE(?, name), slug = COALESCE(?, slug),"
                    " description = CASE WHEN ? <> 0 THEN ? ELSE description END,"
                    " logo_url = CASE WHEN ? <> 0 THEN ? ELSE logo_url END, updated_at = ?"
                    " WHERE id = ?",
                    "ssisisis", vb_arg_str(body, "name"), slug, (int64_t)(desc != NULL),
                    json_string_value(desc), (int64_t)(logo != NULL), json_string_value(logo),
                    vb_op_now(), wid);
    if (rc == VB_ECONFLICT) return vb_op_fail(c, rc, "SLUG_TAKEN", "Slug is already taken");
    if (rc < 0) return vb_op_internal(c, rc);
    rc = vb_ws_result(c, wid);
    if (rc < 0) return rc;
    {
        char topic[VB_OP_TOPIC_MAX];
        json_t *ev = json_deep_copy(c->result);
        json_object_del(ev, "role");
        vb_op_topic(topic, VB_OP_TOPIC_WORKSPACE, wid);
        vb_op_event(c, topic, "workspace_updated", ev);
    }
    return 0;
}

/*
 * DELETE: the owner only (other members FORBIDDEN); everything of the
 * workspace goes with it (ON DELETE CASCADE).
 */
int vb_op_ws_delete(vb_op_ctx *c)
{
    const char *wid = vb_arg_param(c, "wid");
    char topic[VB_OP_TOPIC_MAX];
    int64_t owner = 0;
    int rc = vb_guard_workspace(c, wid, 0, NULL);

    if (rc < 0) return rc;
    rc =
        vb_db_int(c->db, &owner, 0, "SELECT COUNT(*) FROM workspaces WHERE id = ? AND owner_id = ?",
                  "ss", wid, vb_arg_actor(c));
    if (rc < 0) return vb_op_internal(c, rc);
    if (!owner)
        return vb_op_fail(c, VB_EFORBIDDEN, "FORBIDDEN", "Only the workspace owner can delete it");
    rc = vb_db_exec(c->db, "DELETE FROM workspaces WHERE id = ?", "s", wid);
    if (rc < 0) return vb_op_internal(c, rc);
    vb_op_topic(topic, VB_OP_TOPIC_WORKSPACE, wid);
    vb_op_event(c, topic, "workspace_deleted", json_pack("{s:s}", "workspaceId", wid));
    return 0;
}

int vb_op_ws_members(vb_op_ctx *c)
{
    const char *wid = vb_arg_param(c, "wid");
    json_t *rows = NULL;
    int64_t page, limit, total = 0;
    size_t i;
    int rc = vb_guard_workspace(c, wid, 0, NULL);

    if (rc < 0) return rc;
    vb_page_args(c, &page, &limit);
    rc = vb_db_int(c->db, &total, 0,
                   "SELECT COUNT(*) FROM workspace_members WHERE workspace_id = ?", "s", wid);
    if (rc == 0)
        rc = vb_db_rows(c->db, &rows,
                        MEMBER_SELECT " WHERE m.workspace_id = ?"
                                      " ORDER BY m.joined_at, m.user_id LIMIT ? OFFSET ?",
                        "sii", wid, limit, (page - 1) * limit);
    if (rc < 0) return vb_op_internal(c, rc);
    for (i = 0; i < json_array_size(rows); i++)
        vb_json_iso(json_array_get(rows, i), "joinedAt");
    c->result = vb_page_result(rows, page, limit, total);
    return c->result ? 0 : oom(c);
}

/*
 * Checks that member uid (current role `role`) of wid may stop being an admin
 * or a member: not the owner (OWNER_IMMUTABLE), not the last admin
 * (LAST_ADMIN). Returns 0 or a failed rc.
 */
static int check_not_pinned(vb_op_ctx *c, const char *wid, const char *uid, const char *role)
{
    int64_t owner = 0, admins = 0;
    int rc =
        vb_db_int(c->db, &owner, 0, "SELECT COUNT(*) FROM workspaces WHERE id = ? AND owner_id = ?",
                  "ss", wid, uid);

    if (rc < 0) return vb_op_internal(c, rc);
    if (owner)
        return vb_op_fail(c, VB_ECONFLICT, "OWNER_IMMUTABLE",
                          "The workspace owner cannot leave, be removed or be demoted");
    if (strcmp(role, "admin") != 0) return 0;
    rc = vb_db_int(c->db, &admins, 0,
                   "SELECT COUNT(*) FROM workspace_members WHERE workspace_id = ?"
                   " AND role = 'admin'",
                   "s", wid);
    if (rc < 0) return vb_op_internal(c, rc);
    if (admins <= 1)
        return vb_op_fail(c, VB_ECONFLICT, "LAST_ADMIN",
                          "The last admin cannot leave, be removed or be demoted");
    return 0;
}

/* Loads the target member of a members/:userId route; MEMBER_NOT_FOUND if none. */
static int target_member(vb_op_ctx *c, const char *wid, const char *uid, json_t **out)
{
    int rc;

    *out = NULL;
    if (!uid) return vb_op_fail(c, VB_ENOTFOUND, "MEMBER_NOT_FOUND", "Member not found");
    rc = member_row(c, wid, uid, out);
    if (rc < 0) return rc;
    if (!*out) return vb_op_fail(c, VB_ENOTFOUND, "MEMBER_NOT_FOUND", "Member not found");
    return 0;
}

int vb_op_ws_member_update(vb_op_ctx *c)
{
    const char *wid = vb_arg_param(c, "wid"), *uid = vb_arg_param(c, "userId");
    const char *to = vb_arg_str(vb_arg_body(c), "role");
    char from[16];
    json_t *m = NULL;
    int rc = vb_guard_workspace(c, wid, 1, NULL);

    if (rc < 0) return rc;
    if (!to) return vb_op_fail(c, VB_EINVAL, "VALIDATION_ERROR", "role is required");
    rc = target_member(c, wid, uid, &m);
    if (rc < 0) return rc;
    snprintf(from, sizeof from, "%s", vb_arg_str(m, "role"));
    if (strcmp(from, to) == 0) {
        c->result = m; /* nothing changes */
        return 0;
    }
    json_decref(m);
    if (strcmp(from, "admin") == 0) {
        rc = check_not_pinned(c, wid, uid, from);
        if (rc < 0) return rc;
    }
    rc = vb_db_exec(c->db,
                    "UPDATE workspace_members SET role = ? WHERE workspace_id = ? AND user_id = ?",
                    "sss", to, wid, uid);
    if (rc < 0) return vb_op_internal(c, rc);
    rc = vb_activity(c, wid, NULL, NULL, "member_role_changed",
                     json_pack("{s:s, s:s, s:s}", "userId", uid, "from", from, "to", to));
    if (rc < 0) return rc;
    return member_row(c, wid, uid, &c->result);
}

/* Deletes uid from wid, logs member_left and tells live streams to drop it. */
static int remove_member(vb_op_ctx *c, const char *wid, const char *uid, const char *role)
{
    char topic[VB_OP_TOPIC_MAX];
    int rc = check_not_pinned(c, wid, uid, role);

    if (rc < 0) return rc;
    rc = vb_db_exec(c->db, "DELETE FROM workspace_members WHERE workspace_id = ? AND user_id = ?",
                    "ss", wid, uid);
    if (rc < 0) return vb_op_internal(c, rc);
    rc = vb_activity(c, wid, NULL, NULL, "member_left",
                     json_pack("{s:s, s:s?}", "userId", uid, "removedBy", vb_arg_actor(c)));
    if (rc < 0) return rc;
    vb_op_topic(topic, VB_OP_TOPIC_WORKSPACE, wid);
    vb_op_event(c, topic, "member_removed",
                json_pack("{s:s, s:s}", "workspaceId", wid, "userId", uid));
    return 0;
}

int vb_op_ws_member_remove(vb_op_ctx *c)
{
    const char *wid = vb_arg_param(c, "wid"), *uid = vb_arg_param(c, "userId");
    char role[16];
    json_t *m = NULL;
    int rc = vb_guard_workspace(c, wid, 1, NULL);

    if (rc < 0) return rc;
    rc = target_member(c, wid, uid, &m);
    if (rc < 0) return rc;
    snprintf(role, sizeof role, "%s", vb_arg_str(m, "role"));
    json_decref(m);
    return remove_member(c, wid, uid, role);
}

int vb_op_ws_leave(vb_op_ctx *c)
{
    const char *wid = vb_arg_param(c, "wid");
    char role[16];
    int rc = vb_guard_workspace(c, wid, 0, role);

    return rc < 0 ? rc : remove_member(c, wid, vb_arg_actor(c), role);
}
