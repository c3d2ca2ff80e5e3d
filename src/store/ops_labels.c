/*
 * Label operations (see vb_ops_collab.h). Labels belong to a workspace; names
 * are unique per workspace without regard to case (compared by lower()). Their activity rows are
 * workspace-level (no project, no task).
 */
#include "store/vb_ops_collab.h"

#include "core/vb_common.h"
#include "core/vb_id.h"
#include "store/vb_ops_pt.h"

#include <string.h>

#define LABEL_SELECT                                                                               \
    "SELECT l.id AS id, l.workspace_id AS workspaceId, l.name AS name, l.color AS color,"          \
    " l.created_at AS createdAt, l.updated_at AS updatedAt FROM labels l "

/* 1 if s is "#RRGGBB". */
static int color_ok(const char *s)
{
    if (!s || strlen(s) != 7 || s[0] != '#') return 0;
    for (int i = 1; i < 7; i++) {
        char ch = s[i];
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F')))
            return 0;
    }
    return 1;
}

/* Number of UTF-8 code points of s. */
static size_t utf8_len(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80) n++;
    return n;
}

/* Fails c with 409 LABEL_NAME_TAKEN. */
static int name_taken(vb_op_ctx *c, const char *name)
{
    return vb_op_fail(c, VB_ECONFLICT, "LABEL_NAME_TAKEN",
                      "A label named \"%.60s\" already exists in this workspace", name);
}

/*
 * Checks that no other label of wid (than self, may be NULL) has name, case
 * aside. Returns 0, or fails c with 409 or 500.
 */
static int name_free(vb_op_ctx *c, const char *wid, const char *name, const char *self)
{
    int64_t n = 0;
    int rc =
        vb_db_int(c->db, &n, 0,
                  "SELECT COUNT(*) FROM labels WHERE workspace_id = ? AND lower(name) = lower(?)"
                  " AND (? IS NULL OR id <> ?)",
                  "ssss", wid, name, self, self);
    if (rc) return vb_op_internal(c, rc);
    return n ? name_taken(c, name) : 0;
}

/* Sets c->result to label lid in its API shape. Returns 0 or fails c. */
static int label_result(vb_op_ctx *c, const char *lid)
{
    json_t *row = NULL;
    int rc = vb_db_row(c->db, &row, LABEL_SELECT "WHERE l.id = ?", "s", lid);
    if (rc || !row) return vb_op_internal(c, rc ? rc : VB_EIO);
    c->result = vb_op_iso(row);
    return 0;
}

/* Checks name and color when present (required ones must be present). */
static int label_fields_check(vb_op_ctx *c, const char *name, const char *color, int required)
{
    json_t *errors = json_array();
    if ((required || json_object_get(vb_arg_body(c), "name")) && (!name || !*name))
        vb_pt_add_error(errors, "name", "name is required");
    if (name && utf8_len(name) > 50)
        vb_pt_add_error(errors, "name", "name must be at most 50 characters");
    if ((required || json_object_get(vb_arg_body(c), "color")) && !color_ok(color))
        vb_pt_add_error(errors, "color", "color must be #RRGGBB");
    if (json_array_size(errors)) return vb_pt_fail_errors(c, errors);
    json_decref(errors);
    return 0;
}

int vb_op_label_create(vb_op_ctx *c)
{
    const char *wid = vb_arg_param(c, "wid");
    json_t *body = vb_arg_body(c);
    const char *name = vb_arg_str(body, "name"), *color = vb_arg_str(body, "color");
    char id[VB_ID_LEN + 1];
    int64_t now = vb_op_now();
    int rc = vb_guard_workspace(c, wid, 0, NULL);

    if (!rc) rc = label_fields_check(c, name, color, 1);
    if (!rc) rc = name_free(c, wid, name, NULL);
    if (rc) return rc;
    vb_id_new(id);
    rc = vb_db_exec(c->db,
                    "INSERT INTO labels (id, workspace_id, name, color, created_at, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    "ssssii", id, wid, name, color, now, now);
    if (rc == VB_ECONFLICT) return name_taken(c, name);
    if (rc) return vb_op_internal(c, rc);
    rc = vb_activity(c, wid, NULL, NULL, "label_created",
                     json_pack("{s:s, s:s, s:s}", "labelId", id, "name", name, "color", color));
    if (rc) return rc;
    return label_result(c, id);
}

int vb_op_label_list(vb_op_ctx *c)
{
    const char *wid = vb_arg_param(c, "wid");
    json_t *rows = NULL;
    int rc = vb_guard_workspace(c, wid, 0, NULL);

    if (rc) return rc;
    rc = vb_db_rows(c->db, &rows,
                    LABEL_SELECT "WHERE l.workspace_id = ? ORDER BY lower(l.name), l.id", "s", wid);
    if (rc) return vb_op_internal(c, rc);
    c->result = vb_op_iso(rows);
    return 0;
}

/*
 * Loads label lid as a raw row when the actor is a member of its workspace;
 * fails c with 404 LABEL_NOT_FOUND otherwise. *out is a new reference.
 */
static int label_access(vb_op_ctx *c, const char *lid, json_t **out)
{
    const char *actor = vb_arg_actor(c);
    int rc = 0;

    *out = NULL;
    if (lid && actor)
        rc = vb_db_row(c->db, out,
                       LABEL_SELECT "JOIN workspace_members m ON m.workspace_id = l.workspace_id"
                                    " AND m.user_id = ? WHERE l.id = ?",
                       "ss", actor, lid);
    if (rc) return vb_op_internal(c, rc);
    if (!*out) return vb_op_fail(c, VB_ENOTFOUND, "LABEL_NOT_FOUND", "Label not found");
    return 0;
}

/* Adds {field: {from, to}} to changes when the value changes. */
static void add_change(json_t *changes, const char *field, const char *from, const char *to)
{
    if (!to || (from && strcmp(from, to) == 0)) return;
    json_object_set_new(changes, field, json_pack("{s:s?, s:s}", "from", from, "to", to));
}

int vb_op_label_update(vb_op_ctx *c)
{
    const char *lid = vb_arg_param(c, "id");
    json_t *body = vb_arg_body(c), *l = NULL, *changes = NULL;
    const char *name = vb_arg_str(body, "name"), *color = vb_arg_str(body, "color"), *wid;
    int rc = label_access(c, lid, &l);

    if (rc) return rc;
    wid = vb_arg_str(l, "workspaceId");
    rc = label_fields_check(c, name, color, 0);
    if (!rc && name) rc = name_free(c, wid, name, lid);
    if (rc) goto done;
    changes = json_object();
    add_change(changes, "name", vb_arg_str(l, "name"), name);
    add_change(changes, "color", vb_arg_str(l, "color"), color);
    rc = vb_db_exec(c->db,
                    "UPDATE labels SET name = COALESCE(?, name), color = COALESCE(?, color),"
                    " updated_at = ? WHERE id = ?",
                    "ssis", name, color, vb_op_now(), lid);
    if (rc == VB_ECONFLICT) {
        rc = name_taken(c, name);
        goto done;
    }
    if (rc) {
        rc = vb_op_internal(c, rc);
        goto done;
    }
    json_object_set_new(changes, "labelId", json_string(lid));
    rc = vb_activity(c, wid, NULL, NULL, "label_updated", changes);
    changes = NULL;
    if (!rc) rc = label_result(c, lid);
done:
    json_decref(changes);
    json_decref(l);
    return rc;
}

/* Unlinks the label from its tasks explicitly (as the cascade would) and
 * deletes it; label_deleted keeps its name in the log. */
int vb_op_label_delete(vb_op_ctx *c)
{
    const char *lid = vb_arg_param(c, "id");
    json_t *l = NULL;
    int rc = label_access(c, lid, &l);

    if (rc) return rc;
    rc = vb_db_exec(c->db, "DELETE FROM task_labels WHERE label_id = ?", "s", lid);
    if (!rc) rc = vb_db_exec(c->db, "DELETE FROM labels WHERE id = ?", "s", lid);
    if (rc) {
        rc = vb_op_internal(c, rc);
        goto done;
    }
    rc = vb_activity(c, vb_arg_str(l, "workspaceId"), NULL, NULL, "label_deleted",
                     json_pack("{s:s, s:s?, s:s?}", "labelId", lid, "name", vb_arg_str(l, "name"),
                               "color", vb_arg_str(l, "color")));
done:
    json_decref(l);
    return rc;
}
