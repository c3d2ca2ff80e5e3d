/*
 * Task attachments (see vb_ops_attach.h): the upload steps, listing,
 * reading chunk by chunk, deleting. Content is stored as chunk rows in the
 * database (BLOB / BYTEA through vb_db's 'B' binding and vb_db_blob).
 */
#include <stdint.h>
#include <string.h>

#include "core/vb_common.h"
#include "core/vb_id.h"
#include "store/vb_ops_attach.h"

#define ATTACH_COLUMNS                                                                             \
    "SELECT a.id AS id, a.task_id AS taskId, a.file_name AS fileName,"                             \
    " a.content_type AS contentType, a.size AS size, a.sha256 AS sha256,"                          \
    " a.uploader_id AS uploaderId, a.created_at AS \"t:createdAt\""

int vb_op_attach_begin(vb_op_ctx *c)
{
    json_t *t = NULL;
    int rc = vb_guard_task(c, vb_arg_param(c, "id"), 0, &t, NULL);
    if (rc) return rc;
    json_t *body = vb_arg_body(c);
    char id[VB_ID_LEN + 1];
    vb_id_new(id);
    const char *wid = vb_arg_str(t, "workspaceId");
    rc = vb_db_exec(c->db,
                    "INSERT INTO attachments (id, task_id, workspace_id, uploader_id, file_name,"
                    " content_type, size, sha256, state, created_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, 0, NULL, 'uploading', ?)",
                    "ssssssi", id, vb_arg_str(t, "id"), wid, vb_arg_actor(c),
                    vb_arg_str(body, "fileName"), vb_arg_str(body, "contentType"),
                    (int64_t)vb_op_now());
    if (rc) {
        json_decref(t);
        return vb_op_internal(c, rc);
    }
    c->result = json_pack("{s:s, s:s}", "id", id, "workspaceId", wid);
    json_decref(t);
    return 0;
}

int vb_op_attach_append(vb_op_ctx *c)
{
    const char *aid = vb_arg_str((json_t *)c->args, "attachmentId");
    json_t *data = json_object_get(c->args, "data");
    json_int_t seq = json_integer_value(json_object_get(c->args, "seq"));
    if (!aid || !json_is_string(data)) return vb_op_fail(c, VB_EINVAL, "BAD_ARGS", "bad chunk");
    size_t len = json_string_length(data);
    int rc = vb_db_exec(
        c->db, "UPDATE attachments SET size = size + ? WHERE id = ? AND state = 'uploading'", "is",
        (int64_t)len, aid);
    if (rc) return vb_op_internal(c, rc);
    if (vb_db_changes(c->db) != 1)
        return vb_op_fail(c, VB_ENOTFOUND, "ATTACHMENT_NOT_FOUND", "Upload not found");
    rc = vb_db_exec(c->db,
                    "INSERT INTO attachment_chunks (attachment_id, seq, data) VALUES (?, ?, ?)",
                    "siB", aid, (int64_t)seq, (const void *)json_string_value(data), len);
    if (rc) return vb_op_internal(c, rc);
    c->result = json_object();
    return 0;
}

int vb_op_attach_finish(vb_op_ctx *c)
{
    const char *aid = vb_arg_str((json_t *)c->args, "attachmentId");
    const char *sha = vb_arg_str((json_t *)c->args, "sha256");
    json_int_t size = json_integer_value(json_object_get(c->args, "size"));
    json_t *row = NULL;
    int rc = vb_db_row(c->db, &row,
                       "SELECT a.task_id AS taskId, a.workspace_id AS workspaceId,"
                       " t.project_id AS projectId"
                       " FROM attachments a JOIN tasks t ON t.id = a.task_id"
                       " WHERE a.id = ? AND a.state = 'uploading' AND a.size = ?",
                       "si", aid, (int64_t)size);
    if (rc) return vb_op_internal(c, rc);
    if (!row) return vb_op_fail(c, VB_ENOTFOUND, "ATTACHMENT_NOT_FOUND", "Upload not found");
    const char *tid = vb_arg_str(row, "taskId");
    const char *fname = vb_arg_str((json_t *)c->args, "fileName");
    rc = vb_db_exec(c->db,
                    "UPDATE attachments SET state = 'ready', sha256 = ?, file_name = ?,"
                    " content_type = ? WHERE id = ?",
                    "ssss", sha, fname ? fname : "file",
                    vb_arg_str((json_t *)c->args, "contentType"), aid);
    if (!rc)
        rc = vb_db_exec(c->db,
                        "UPDATE tasks SET attachment_count = attachment_count + 1 WHERE id = ?",
                        "s", tid);
    if (rc) {
        json_decref(row);
        return vb_op_internal(c, rc);
    }
    rc = vb_activity(
        c, vb_arg_str(row, "workspaceId"), vb_arg_str(row, "projectId"), tid, "attachment_added",
        json_pack("{s:s, s:s?, s:I}", "attachmentId", aid, "fileName", fname, "size", size));
    json_decref(row);
    if (rc) return rc;
    rc =
        vb_db_row(c->db, &c->result, ATTACH_COLUMNS " FROM attachments a WHERE a.id = ?", "s", aid);
    return rc ? vb_op_internal(c, rc) : 0;
}

int vb_op_attach_abort(vb_op_ctx *c)
{
    const char *aid = vb_arg_str((json_t *)c->args, "attachmentId");
    int rc = vb_db_exec(c->db,
                        "DELETE FROM attachment_chunks WHERE attachment_id IN"
                        " (SELECT id FROM attachments WHERE id = ? AND state = 'uploading')",
                        "s", aid);
    if (!rc)
        rc = vb_db_exec(c->db, "DELETE FROM attachments WHERE id = ? AND state = 'uploading'", "s",
                        aid);
    if (rc) return vb_op_internal(c, rc);
    c->result = json_object();
    return 0;
}

int vb_op_attach_cleanup(vb_op_ctx *c)
{
    /* Without "before" every unfinished upload goes (one instance: none is
     * in progress at start); with it only those begun earlier (a cluster:
     * the other instances' uploads in progress are younger). */
    json_t *jb = json_object_get(c->args, "before");
    int64_t before = json_is_integer(jb) ? (int64_t)json_integer_value(jb) : INT64_MAX;
    int rc = vb_db_exec(c->db,
                        "DELETE FROM attachment_chunks WHERE attachment_id IN"
                        " (SELECT id FROM attachments WHERE state = 'uploading'"
                        " AND created_at < ?)",
                        "i", before);
    if (!rc)
        rc = vb_db_exec(c->db,
                        "DELETE FROM attachments WHERE state = 'uploading' AND created_at < ?", "i",
                        before);
    if (rc) return vb_op_internal(c, rc);
    c->result = json_pack("{s:I}", "deleted", (json_int_t)vb_db_changes(c->db));
    return 0;
}

int vb_op_attach_list(vb_op_ctx *c)
{
    int rc = vb_guard_task(c, vb_arg_param(c, "id"), 0, NULL, NULL);
    if (rc) return rc;
    rc = vb_db_rows(c->db, &c->result,
                    ATTACH_COLUMNS " FROM attachments a WHERE a.task_id = ? AND a.state = 'ready'"
                                   " ORDER BY a.created_at, a.id",
                    "s", vb_arg_param(c, "id"));
    return rc ? vb_op_internal(c, rc) : 0;
}

/* The ready attachment aid with the actor's role in its workspace, or a
 * 404 for anyone who is not a member. *row is a new reference. */
static int attach_guard(vb_op_ctx *c, const char *aid, json_t **row)
{
    *row = NULL;
    const char *actor = vb_arg_actor(c);
    if (aid && actor) {
        int rc =
            vb_db_row(c->db, row,
                      ATTACH_COLUMNS ", a.workspace_id AS workspaceId, t.project_id AS projectId,"
                                     " m.role AS memberRole,"
                                     " (SELECT COUNT(*) FROM attachment_chunks k"
                                     "   WHERE k.attachment_id = a.id) AS chunks"
                                     " FROM attachments a JOIN tasks t ON t.id = a.task_id"
                                     " JOIN workspace_members m"
                                     "  ON m.workspace_id = a.workspace_id AND m.user_id = ?"
                                     " WHERE a.id = ? AND a.state = 'ready'",
                      "ss", actor, aid);
        if (rc) return vb_op_internal(c, rc);
    }
    if (!*row) return vb_op_fail(c, VB_ENOTFOUND, "ATTACHMENT_NOT_FOUND", "Attachment not found");
    return 0;
}

int vb_op_attach_get(vb_op_ctx *c)
{
    json_t *row;
    int rc = attach_guard(c, vb_arg_param(c, "id"), &row);
    if (rc) return rc;
    json_object_del(row, "memberRole");
    c->result = row;
    return 0;
}

int vb_op_attach_read(vb_op_ctx *c)
{
    void *data = NULL;
    size_t len = 0;
    int rc = vb_db_blob(c->db, &data, &len,
                        "SELECT data FROM attachment_chunks WHERE attachment_id = ? AND seq = ?",
                        "si", vb_arg_str((json_t *)c->args, "attachmentId"),
                        (int64_t)json_integer_value(json_object_get(c->args, "seq")));
    if (rc) return vb_op_internal(c, rc);
    if (!data) return vb_op_fail(c, VB_ENOTFOUND, "ATTACHMENT_NOT_FOUND", "Chunk not found");
    c->result = json_stringn_nocheck(data, len);
    free(data);
    return c->result ? 0 : vb_op_internal(c, VB_ENOMEM);
}

int vb_op_attach_delete(vb_op_ctx *c)
{
    json_t *row;
    const char *aid = vb_arg_param(c, "id");
    int rc = attach_guard(c, aid, &row);
    if (rc) return rc;
    const char *actor = vb_arg_actor(c);
    const char *up = vb_arg_str(row, "uploaderId");
    const char *role = vb_arg_str(row, "memberRole");
    if (!(up && strcmp(up, actor) == 0) && !(role && strcmp(role, "admin") == 0)) {
        json_decref(row);
        return vb_op_fail(c, VB_EFORBIDDEN, "FORBIDDEN",
                          "Only the uploader or a workspace admin may delete an attachment");
    }
    const char *tid = vb_arg_str(row, "taskId");
    rc = vb_db_exec(c->db, "DELETE FROM attachment_chunks WHERE attachment_id = ?", "s", aid);
    if (!rc) rc = vb_db_exec(c->db, "DELETE FROM attachments WHERE id = ?", "s", aid);
    if (!rc)
        rc = vb_db_exec(c->db,
                        "UPDATE tasks SET attachment_count = attachment_count - 1"
                        " WHERE id = ? AND attachment_count > 0",
                        "s", tid);
    if (rc) {
        json_decref(row);
        return vb_op_internal(c, rc);
    }
    rc = vb_activity(
        c, vb_arg_str(row, "workspaceId"), vb_arg_str(row, "projectId"), tid, "attachment_deleted",
        json_pack("{s:s, s:s?}", "attachmentId", aid, "fileName", vb_arg_str(row, "fileName")));
    json_decref(row);
    if (rc) return rc;
    c->result = json_object();
    return 0;
}
