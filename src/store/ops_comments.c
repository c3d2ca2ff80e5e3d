/*
 * Comment operations (see vb_ops_collab.h): create, list, edit and delete the
 * comments of a task, with the task's comment count, activity rows,
 * notifications and @mentions kept in the same transaction.
 */
#include "store/vb_ops_collab.h"

#include "core/vb_common.h"
#include "core/vb_id.h"
#include "store/vb_mentions.h"
#include "store/vb_ops_pt.h"

#include <stdio.h>
#include <string.h>

#define COMMENT_BODY_MAX 10000

/* The SELECT list of a comment in its API shape; append "WHERE ...". */
#define COMMENT_SELECT                                                                             \
    "SELECT c.id AS id, c.task_id AS taskId, c.author_id AS authorId,"                             \
    " (SELECT u.first_name || ' ' || u.last_name FROM users u WHERE u.id = c.author_id)"           \
    "  AS authorName,"                                                                             \
    " c.parent_comment_id AS parentCommentId, c.body AS body, c.created_at AS createdAt,"          \
    " c.updated_at AS updatedAt FROM comments c "

/* Number of UTF-8 code points of s. */
static size_t utf8_len(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80) n++;
    return n;
}

/* Checks the comment text (the app validated it already; peers reaching the
 * op another way get the same answer). Returns 0 or fails c with 422. */
static int body_check(vb_op_ctx *c, const char *text)
{
    if (!text || !*text) return vb_pt_field_error(c, "body", "body is required");
    if (utf8_len(text) > COMMENT_BODY_MAX)
        return vb_pt_field_error(c, "body", "body must be at most 10000 characters");
    return 0;
}

/* Sets c->result to comment cid in its API shape. Returns 0 or fails c. */
static int comment_result(vb_op_ctx *c, const char *cid)
{
    json_t *row = NULL;
    int rc = vb_db_row(c->db, &row, COMMENT_SELECT "WHERE c.id = ?", "s", cid);
    if (rc || !row) return vb_op_internal(c, rc ? rc : VB_EIO);
    c->result = vb_op_iso(row);
    return 0;
}

/* Writes "First Last" of the actor into out (or "Someone"). */
static void actor_name(vb_op_ctx *c, char *out, size_t size)
{
    json_t *row = NULL;
    const char *name;

    snprintf(out, size, "Someone");
    if (vb_db_row(c->db, &row,
                  "SELECT first_name || ' ' || last_name AS name FROM users"
                  " WHERE id = ?",
                  "s", vb_arg_actor(c)) == 0 &&
        row) {
        name = vb_arg_str(row, "name");
        if (name) snprintf(out, size, "%s", name);
    }
    json_decref(row);
}

/*
 * Re-applies the mentions of comment cid (text) on task t (raw) and notifies
 * the newly mentioned members. Returns 0 or fails c.
 */
static int comment_mentions(vb_op_ctx *c, const json_t *t, const char *cid, const char *text,
                            json_t **mentioned)
{
    json_t *task = (json_t *)t, *data;
    const char *key = vb_arg_str(task, "key");
    char name[200], title[400];
    int rc;

    actor_name(c, name, sizeof name);
    snprintf(title, sizeof title, "%s mentioned you on %s", name, key ? key : "a task");
    data = json_pack("{s:s?, s:s?, s:s?, s:s}", "taskId", vb_arg_str(task, "id"), "projectId",
                     vb_arg_str(task, "projectId"), "key", key, "commentId", cid);
    if (!data) return vb_op_fail(c, VB_ENOMEM, "INTERNAL_ERROR", "Out of memory");
    rc = vb_mentions_apply(c, vb_arg_str(task, "workspaceId"), "comment", cid, text, title, data,
                           mentioned);
    json_decref(data);
    return rc;
}

/*
 * Loads comment cid for a change by the actor: 404 COMMENT_NOT_FOUND when it
 * does not exist or the actor is not a member of its workspace, 403 when the
 * actor is not its author, 409 PROJECT_ARCHIVED when its project is archived.
 * *task receives the comment's raw task (new reference).
 */
static int comment_for_change(vb_op_ctx *c, const char *cid, json_t **task)
{
    const char *actor = vb_arg_actor(c), *author;
    json_t *row = NULL;
    int rc = 0;

    *task = NULL;
    if (cid && actor)
        rc = vb_db_row(c->db, &row,
                       "SELECT c.task_id AS taskId, c.author_id AS authorId FROM comments c"
                       " JOIN workspace_members m ON m.workspace_id = c.workspace_id"
                       "  AND m.user_id = ? WHERE c.id = ?",
                       "ss", actor, cid);
    if (rc) return vb_op_internal(c, rc);
    if (!row) return vb_op_fail(c, VB_ENOTFOUND, "COMMENT_NOT_FOUND", "Comment not found");
    author = vb_arg_str(row, "authorId");
    if (!author || strcmp(author, actor) != 0)
        rc = vb_op_fail(c, VB_EFORBIDDEN, "FORBIDDEN", "Only the author can change a comment");
    else
        rc = vb_pt_task_access(c, vb_arg_str(row, "taskId"), 1, task, NULL, NULL);
    json_decref(row);
    return rc;
}

/* Checks that parent (may be NULL) is a comment of task tid; fails c with 422. */
static int parent_check(vb_op_ctx *c, const char *tid, const char *parent)
{
    int64_t n = 0;
    int rc;

    if (!parent) return 0;
    rc = vb_db_int(c->db, &n, 0, "SELECT COUNT(*) FROM comments WHERE id = ? AND task_id = ?", "ss",
                   parent, tid);
    if (rc) return vb_op_internal(c, rc);
    if (!n)
        return vb_pt_field_error(c, "parentCommentId",
                                 "parentCommentId must be a comment of this task");
    return 0;
}

int vb_op_comment_create(vb_op_ctx *c)
{
    const char *tid = vb_arg_param(c, "id"), *actor = vb_arg_actor(c), *text, *parent, *key;
    json_t *body = vb_arg_body(c), *t = NULL, *mentioned = NULL;
    char id[VB_ID_LEN + 1], name[200], title[700];
    int64_t now = vb_op_now();
    int rc = vb_pt_task_access(c, tid, 1, &t, NULL, NULL);

    if (rc) return rc;
    text = vb_arg_str(body, "body");
    parent = vb_arg_str(body, "parentCommentId");
    key = vb_arg_str(t, "key");
    rc = body_check(c, text);
    if (!rc) rc = parent_check(c, tid, parent);
    if (rc) goto done;
    vb_id_new(id);
    rc = vb_db_exec(c->db,
                    "INSERT INTO comments (id, task_id, workspace_id, author_id, parent_comment_id,"
                    " body, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    "ssssssii", id, tid, vb_arg_str(t, "workspaceId"), actor, parent, text, now,
                    now);
    if (!rc)
        rc = vb_db_exec(c->db, "UPDATE tasks SET comment_count = comment_count + 1 WHERE id = ?",
                        "s", tid);
    if (rc) {
        rc = vb_op_internal(c, rc);
        goto done;
    }
    rc = vb_activity(c, vb_arg_str(t, "workspaceId"), vb_arg_str(t, "projectId"), tid,
                     "comment_added",
                     json_pack("{s:s, s:s?}", "commentId", id, "parentCommentId", parent));
    if (rc) goto done;
    /* A member mentioned in the comment gets the mention only, not also
     * comment_added: one comment, one notification per person. */
    rc = comment_mentions(c, t, id, text, &mentioned);
    if (rc) goto done;
    actor_name(c, name, sizeof name);
    snprintf(title, sizeof title, "%s commented on %s: %s", name, key ? key : "a task",
             vb_arg_str(t, "title") ? vb_arg_str(t, "title") : "");
    rc = vb_pt_notify_task(c, t, 1, mentioned, "comment_added", title,
                           json_pack("{s:s, s:s?, s:s?, s:s}", "taskId", tid, "projectId",
                                     vb_arg_str(t, "projectId"), "key", key, "commentId", id));
    if (!rc) rc = comment_result(c, id);
done:
    json_decref(t);
    json_decref(mentioned);
    return vb_op_internal(c, rc);
}

int vb_op_comment_list(vb_op_ctx *c)
{
    const char *tid = vb_arg_param(c, "id");
    json_t *rows = NULL;
    int64_t page, limit, total = 0;
    int rc = vb_pt_task_access(c, tid, 0, NULL, NULL, NULL);

    if (rc) return rc;
    vb_page_args(c, &page, &limit);
    rc = vb_db_int(c->db, &total, 0, "SELECT COUNT(*) FROM comments WHERE task_id = ?", "s", tid);
    if (!rc)
        rc = vb_db_rows(c->db, &rows,
                        COMMENT_SELECT "WHERE c.task_id = ? ORDER BY c.created_at ASC, c.id ASC"
                                       " LIMIT ? OFFSET ?",
                        "sii", tid, limit, (page - 1) * limit);
    if (rc) return vb_op_internal(c, rc);
    c->result = vb_page_result(vb_op_iso(rows), page, limit, total);
    return c->result ? 0 : vb_op_fail(c, VB_ENOMEM, "INTERNAL_ERROR", "Out of memory");
}

int vb_op_comment_update(vb_op_ctx *c)
{
    const char *cid = vb_arg_param(c, "id");
    const char *text = vb_arg_str(vb_arg_body(c), "body");
    json_t *t = NULL;
    int rc = comment_for_change(c, cid, &t);

    if (rc) return rc;
    rc = body_check(c, text);
    if (rc) goto done;
    rc = vb_db_exec(c->db, "UPDATE comments SET body = ?, updated_at = ? WHERE id = ?", "sis", text,
                    vb_op_now(), cid);
    if (rc) {
        rc = vb_op_internal(c, rc);
        goto done;
    }
    rc = vb_activity(c, vb_arg_str(t, "workspaceId"), vb_arg_str(t, "projectId"),
                     vb_arg_str(t, "id"), "comment_updated", json_pack("{s:s}", "commentId", cid));
    if (!rc) rc = comment_mentions(c, t, cid, text, NULL);
    if (!rc) rc = comment_result(c, cid);
done:
    json_decref(t);
    return vb_op_internal(c, rc);
}

/*
 * Deletes the comment and its replies at any depth explicitly (so the count
 * is right even where the schema's cascade is not enforced), with their
 * mention rows, and lowers the task's comment count by as many.
 */
int vb_op_comment_delete(vb_op_ctx *c)
{
    const char *cid = vb_arg_param(c, "id");
    json_t *t = NULL, *ids = NULL, *list;
    int64_t n;
    int rc = comment_for_change(c, cid, &t);

    if (rc) return rc;
    rc = vb_db_ids(c->db, &ids,
                   "WITH RECURSIVE d(id) AS (SELECT ? UNION SELECT c.id FROM comments c"
                   " JOIN d ON c.parent_comment_id = d.id) SELECT id FROM d",
                   "s", cid);
    if (rc) goto internal;
    list = ids;
    n = (int64_t)json_array_size(list);
    rc = vb_db_exec(c->db,
                    "DELETE FROM mentions WHERE source_type = 'comment'"
                    " AND source_id IN (SELECT value FROM VB_IDS(?) j)",
                    "j", list);
    if (!rc)
        rc = vb_db_exec(c->db, "DELETE FROM comments WHERE id IN (SELECT value FROM VB_IDS(?) j)",
                        "j", list);
    if (!rc)
        rc = vb_db_exec(c->db,
                        "UPDATE tasks SET comment_count = CASE WHEN comment_count > ?"
                        " THEN comment_count - ? ELSE 0 END WHERE id = ?",
                        "iis", n, n, vb_arg_str(t, "id"));
    if (rc) goto internal;
    rc = vb_activity(c, vb_arg_str(t, "workspaceId"), vb_arg_str(t, "projectId"),
                     vb_arg_str(t, "id"), "comment_deleted",
                     json_pack("{s:s, s:I}", "commentId", cid, "deletedCount", (json_int_t)n));
    goto done;
internal:
    rc = vb_op_internal(c, rc);
done:
    json_decref(ids);
    json_decref(t);
    return rc;
}
