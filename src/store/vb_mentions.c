/*
 * @mentions (see vb_mentions.h): a pure parser and the store side that
 * resolves handles among a workspace's members, keeps the mention rows of a
 * source (comment or message) and notifies newly mentioned users.
 */
#include "store/vb_mentions.h"

#include "core/vb_common.h"
#include "core/vb_id.h"
#include "store/vb_db.h"
#include "store/vb_ops.h"

#include <stdint.h>
#include <string.h>

/* 1 for the ASCII characters a handle is made of: [A-Za-z0-9._-]. */
static int handle_char(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '.' || ch == '_' || ch == '-';
}

/*
 * Decodes the UTF-8 code point that ends just before text[pos] (pos > 0).
 * Returns 0xFFFD for a malformed sequence.
 */
static uint32_t prev_code_point(const unsigned char *text, size_t pos)
{
    size_t start = pos - 1, len;
    uint32_t cp;

    /* step back over at most three continuation bytes */
    while (start > 0 && pos - start < 4 && (text[start] & 0xC0) == 0x80)
        start--;
    len = pos - start;
    if (text[start] < 0x80) return len == 1 ? text[start] : 0xFFFD;
    if ((text[start] & 0xE0) == 0xC0 && len == 2)
        cp = text[start] & 0x1F;
    else if ((text[start] & 0xF0) == 0xE0 && len == 3)
        cp = text[start] & 0x0F;
    else if ((text[start] & 0xF8) == 0xF0 && len == 4)
        cp = text[start] & 0x07;
    else
        return 0xFFFD;
    for (size_t i = start + 1; i < pos; i++)
        cp = (cp << 6) | (text[i] & 0x3F);
    return cp;
}

/*
 * 1 if the code point before an '@' lets a mention start there. ASCII: anything
 * but letters, digits, '.', '_', '-' and '@'. Beyond ASCII we cannot classify
 * every script, so the common spaces, punctuation and symbol blocks (Latin-1
 * punctuation, General Punctuation through Miscellaneous Symbols, CJK
 * punctuation, full-width ASCII punctuation) count as separators and every
 * other code point counts as a letter ("josé@x" is not a mention).
 */
static int separator_before(uint32_t cp)
{
    if (cp < 0x80) return !handle_char((unsigned char)cp) && cp != '@';
    if (cp <= 0xBF || cp == 0xD7 || cp == 0xF7) return 1;
    if (cp >= 0x2000 && cp <= 0x2BFF) return 1;
    if (cp >= 0x3000 && cp <= 0x303F) return 1;
    if (cp >= 0xFF00 && cp <= 0xFF0F) return 1;
    return cp == 0xFFFD;
}

size_t vb_mentions_parse(const char *text, char out[][VB_HANDLE_MAX + 1], size_t max)
{
    const unsigned char *t = (const unsigned char *)text;
    size_t n = 0, i = 0;

    if (!text || !out) return 0;
    while (t[i] && n < max) {
        size_t start, end, len, k;
        int dup = 0;

        if (t[i] != '@' || (i > 0 && !separator_before(prev_code_point(t, i)))) {
            i++;
            continue;
        }
        start = ++i;
        while (handle_char(t[i]))
            i++;
        end = i; /* scanning resumes here, past any trailing punctuation */
        while (end > start && (t[end - 1] == '.' || t[end - 1] == '-' || t[end - 1] == '_'))
            end--;
        len = end - start;
        if (len == 0 || len > VB_HANDLE_MAX) continue;
        for (k = 0; k < len; k++) {
            unsigned char ch = t[start + k];
            out[n][k] = (char)((ch >= 'A' && ch <= 'Z') ? ch + ('a' - 'A') : ch);
        }
        out[n][len] = '\0';
        for (k = 0; k < n && !dup; k++)
            dup = strcmp(out[k], out[n]) == 0;
        if (!dup) n++;
    }
    return n;
}

/* 1 if the string s is among the strings of arr. */
static int array_has(const json_t *arr, const char *s)
{
    size_t i;
    json_t *v;

    json_array_foreach(arr, i, v)
    {
        const char *x = json_string_value(v);
        if (x && strcmp(x, s) == 0) return 1;
    }
    return 0;
}

/*
 * *ids receives a new array of the ids of wid's members whose handle is one of
 * the parsed handles of text (several users may share a handle). When
 * channel_id is set (a message in a private or direct channel), only members
 * of that channel count: nobody outside it learns of the message. Returns 0 or
 * a vb_db error.
 */
static int mentions_resolve(vb_db *db, const char *wid, const char *channel_id, const char *text,
                            json_t **ids)
{
    char handles[VB_MENTIONS_MAX][VB_HANDLE_MAX + 1];
    size_t n = vb_mentions_parse(text, handles, VB_MENTIONS_MAX);
    json_t *list = json_array(), *rows = NULL, *row;
    size_t i;
    int rc;

    *ids = json_array();
    if (!list || !*ids) {
        json_decref(list);
        return VB_ENOMEM;
    }
    for (i = 0; i < n; i++)
        json_array_append_new(list, json_string(handles[i]));
    if (n == 0) {
        json_decref(list);
        return 0;
    }
    rc = vb_db_rows(db, &rows,
                    "SELECT u.id AS id FROM users u JOIN workspace_members m"
                    " ON m.user_id = u.id AND m.workspace_id = ?"
                    " WHERE lower(u.handle) IN (SELECT lower(value) FROM VB_IDS(?) j)"
                    " AND (? IS NULL OR EXISTS (SELECT 1 FROM channel_members cm"
                    "      WHERE cm.channel_id = ? AND cm.user_id = u.id))"
                    " ORDER BY u.id",
                    "sjss", wid, list, channel_id, channel_id);
    json_decref(list);
    if (rc) return rc;
    json_array_foreach(rows, i, row) json_array_append(*ids, json_object_get(row, "id"));
    json_decref(rows);
    return 0;
}

/*
 * See vb_mentions.h. notify_data is borrowed: each notification gets a copy
 * with sourceType and sourceId added. title NULL means "You were mentioned".
 * Only users who were not already mentioned by this source are notified, so
 * editing a comment does not notify the same people again.
 */
int vb_mentions_apply(vb_op_ctx *c, const char *wid, const char *source_type, const char *source_id,
                      const char *text, const char *title, json_t *notify_data, json_t **user_ids)
{
    json_t *now_ids = NULL, *old_rows = NULL, *old_ids = json_array(), *row, *v;
    int64_t now = vb_op_now();
    size_t i;
    int rc;

    if (user_ids) *user_ids = NULL;
    if (!old_ids) return vb_op_fail(c, VB_ENOMEM, "INTERNAL_ERROR", "Out of memory");
    if (!wid || !source_type || !source_id) {
        json_decref(old_ids);
        return vb_op_fail(c, VB_EIO, "INTERNAL_ERROR", "Mention source is incomplete");
    }
    json_t *closed = NULL; /* the channel of a message, when it is not public */
    char handles[VB_MENTIONS_MAX][VB_HANDLE_MAX + 1];
    /* Without a handle nothing resolves: only the old rows are cleared. */
    if (strcmp(source_type, "message") == 0 && text && strchr(text, '@') &&
        vb_mentions_parse(text, handles, VB_MENTIONS_MAX) > 0)
        rc = vb_db_row(c->db, &closed,
                       "SELECT c.id AS id FROM messages m JOIN channels c ON c.id = m.channel_id"
                       " WHERE m.id = ? AND c.type <> 'public'",
                       "s", source_id);
    else
        rc = 0;
    if (!rc)
        rc = mentions_resolve(c->db, wid,
                              closed ? json_string_value(json_object_get(closed, "id")) : NULL,
                              text, &now_ids);
    json_decref(closed);
    if (!rc)
        rc =
            vb_db_rows(c->db, &old_rows,
                       "SELECT user_id AS id FROM mentions WHERE source_type = ? AND source_id = ?",
                       "ss", source_type, source_id);
    if (rc) goto db_fail;
    json_array_foreach(old_rows, i, row) json_array_append(old_ids, json_object_get(row, "id"));
    rc = vb_db_exec(c->db, "DELETE FROM mentions WHERE source_type = ? AND source_id = ?", "ss",
                    source_type, source_id);
    if (rc) goto db_fail;
    json_array_foreach(now_ids, i, v)
    {
        char id[VB_ID_LEN + 1];
        const char *uid = json_string_value(v);
        json_t *data;

        vb_id_new(id);
        rc = vb_db_exec(c->db,
                        "INSERT INTO mentions (id, workspace_id, user_id, source_type, source_id,"
                        " created_at) VALUES (?, ?, ?, ?, ?, ?)",
                        "sssssi", id, wid, uid, source_type, source_id, now);
        if (rc) goto db_fail;
        if (array_has(old_ids, uid)) continue;
        data = json_is_object(notify_data) ? json_deep_copy(notify_data) : json_object();
        if (!data) {
            rc = vb_op_fail(c, VB_ENOMEM, "INTERNAL_ERROR", "Out of memory");
            goto done;
        }
        json_object_set_new(data, "sourceType", json_string(source_type));
        json_object_set_new(data, "sourceId", json_string(source_id));
        rc = vb_notify(c, uid, wid, "mentioned", title ? title : "You were mentioned", data);
        if (rc) goto done;
    }
    if (user_ids) {
        *user_ids = now_ids;
        now_ids = NULL;
    }
    goto done;
db_fail:
    rc = rc == VB_ENOMEM ? vb_op_fail(c, rc, "INTERNAL_ERROR", "Out of memory")
                         : vb_op_fail(c, rc, "INTERNAL_ERROR", "Internal error");
done:
    json_decref(now_ids);
    json_decref(old_rows);
    json_decref(old_ids);
    return rc;
}
