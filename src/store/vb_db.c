/*
 * The functions of vb_db.h and vb_db_internal.h, forwarded to the backend
 * of each connection (vb_db_backend.h), and what the backends share: the
 * translation of portable SQL and the helpers built on the primitives.
 */
#include "store/vb_db.h"
#include "core/vb_common.h"
#include "store/vb_db_backend.h"
#include "store/vb_db_internal.h"

#include <stdlib.h>
#include <string.h>

int vb_db_exec(vb_db *db, const char *sql, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int err = db->be->run(db, VB_DB_EXEC, NULL, NULL, 0, sql, fmt, ap);
    va_end(ap);
    return err;
}

int vb_db_rows(vb_db *db, json_t **rows, const char *sql, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int err = db->be->run(db, VB_DB_ROWS, rows, NULL, 0, sql, fmt, ap);
    va_end(ap);
    return err;
}

int vb_db_row(vb_db *db, json_t **row, const char *sql, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int err = db->be->run(db, VB_DB_ROW, row, NULL, 0, sql, fmt, ap);
    va_end(ap);
    return err;
}

int vb_db_int(vb_db *db, int64_t *out, int64_t dflt, const char *sql, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int err = db->be->run(db, VB_DB_INT, NULL, out, dflt, sql, fmt, ap);
    va_end(ap);
    return err;
}

int vb_db_blob(vb_db *db, void **data, size_t *len, const char *sql, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int err = db->be->blob(db, data, len, sql, fmt, ap);
    va_end(ap);
    return err;
}

int vb_db_rows_text(vb_db *db, vb_db_text *out, const char *sql, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int err = db->be->run_text(db, out, NULL, NULL, sql, fmt, ap);
    va_end(ap);
    return err;
}

int vb_db_rows_text_hook(vb_db *db, vb_db_text *out, vb_db_text_hook fn, void *ud, const char *sql,
                         const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int err = db->be->run_text(db, out, fn, ud, sql, fmt, ap);
    va_end(ap);
    return err;
}

int vb_db_ids(vb_db *db, json_t **ids, const char *sql, const char *fmt, ...)
{
    *ids = NULL;
    json_t *rows = NULL;
    va_list ap;
    va_start(ap, fmt);
    int err = db->be->run(db, VB_DB_ROWS, &rows, NULL, 0, sql, fmt, ap);
    va_end(ap);
    if (err) return err;
    json_t *out = json_array();
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row)
    {
        void *it = json_object_iter(row);
        json_t *v = it ? json_object_iter_value(it) : NULL;
        if (!out || !v || json_array_append(out, v) != 0) {
            json_decref(out);
            json_decref(rows);
            return VB_ENOMEM;
        }
    }
    json_decref(rows);
    *ids = out;
    return 0;
}

int64_t vb_db_changes(vb_db *db)
{
    return db->be->changes(db);
}

int vb_db_script(vb_db *db, const char *sql)
{
    return db->be->script(db, sql);
}

void vb_db_close(vb_db *db)
{
    if (db) db->be->close(db);
}

int vb_db_begin(vb_db *db, int immediate)
{
    return db->be->begin(db, immediate);
}

int vb_db_commit(vb_db *db)
{
    return db->be->commit(db);
}

int vb_db_rollback(vb_db *db)
{
    return db->be->rollback(db);
}

int vb_db_savepoint(vb_db *db)
{
    return db->be->savepoint(db);
}

int vb_db_rollback_to(vb_db *db)
{
    return db->be->rollback_to(db);
}

int vb_db_release(vb_db *db)
{
    return db->be->release(db);
}

int vb_db_txn_broken(const vb_db *db)
{
    return db->be->txn_broken(db);
}

int vb_db_txn_retry(const vb_db *db)
{
    return db->be->txn_retry(db);
}

int vb_db_check(vb_db *db)
{
    return db->be->check(db);
}

const char *vb_db_backend_name(const vb_db *db)
{
    return db->be->name;
}

/* The length of the quoted text starting at s (a quote char), through its
 * closing quote (a doubled quote stays inside). */
static size_t quoted_len(const char *s)
{
    char q = s[0];
    size_t i = 1;
    for (; s[i]; i++) {
        if (s[i] != q) continue;
        if (s[i + 1] == q) {
            i++;
            continue;
        }
        return i + 1;
    }
    return i;
}

/* The token of tokens that starts at p, or NULL. */
static const vb_db_token *token_at(const vb_db_token *tokens, const char *p)
{
    if (p[0] != 'V' || p[1] != 'B' || p[2] != '_') return NULL;
    for (; tokens->token; tokens++)
        if (strncmp(p, tokens->token, strlen(tokens->token)) == 0) return tokens;
    return NULL;
}

/* A growing output of vb_db_sql_translate. */
typedef struct sql_out {
    char *buf;
    size_t len, cap;
    int oom;
} sql_out;

static void out_put(sql_out *o, const char *s, size_t n)
{
    if (o->oom) return;
    if (o->len + n + 1 > o->cap) {
        size_t cap = o->cap ? o->cap : 256;
        while (o->len + n + 1 > cap)
            cap *= 2;
        char *nb = realloc(o->buf, cap);
        if (!nb) {
            o->oom = 1;
            return;
        }
        o->buf = nb;
        o->cap = cap;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = '\0';
}

/* Appends s with each '?' numbered ($n) when dollar is set. */
static void out_params(sql_out *o, const char *s, size_t n, int dollar, int *num)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '?' && dollar) {
            char b[24];
            int k = snprintf(b, sizeof b, "$%d", ++*num);
            out_put(o, b, (size_t)k);
        } else
            out_put(o, s + i, 1);
    }
}

static int ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

int vb_db_sql_translate(const char *sql, const vb_db_token *tokens, int pg, char **out)
{
    sql_out o = {0};
    int num = 0;
    out_put(&o, "", 0);
    for (const char *p = sql; *p && !o.oom;) {
        const vb_db_token *tok;
        if (*p == '\'' || *p == '"') {
            size_t n = quoted_len(p);
            out_put(&o, p, n);
            p += n;
        } else if ((tok = token_at(tokens, p)) != NULL) {
            out_params(&o, tok->text, strlen(tok->text), pg, &num);
            p += strlen(tok->token);
        } else if (ident_char(*p)) {
            /* A word; after AS, PostgreSQL would fold an unquoted alias to
             * lower case: an alias with capitals (the API's camelCase) is
             * quoted so that rows keep the names SQLite gives them. */
            const char *w = p;
            while (ident_char(*p))
                p++;
            out_put(&o, w, (size_t)(p - w));
            if (!pg || p - w != 2 || (w[0] | 0x20) != 'a' || (w[1] | 0x20) != 's') continue;
            const char *sp = p;
            while (*p == ' ' || *p == '\n' || *p == '\t')
                p++;
            out_put(&o, sp, (size_t)(p - sp));
            const char *a = p;
            int upper = 0;
            while (ident_char(*p))
                upper |= *p >= 'A' && *p <= 'Z', p++;
            if (upper && !(*a >= '0' && *a <= '9')) out_put(&o, "\"", 1);
            out_put(&o, a, (size_t)(p - a));
            if (upper && !(*a >= '0' && *a <= '9')) out_put(&o, "\"", 1);
        } else {
            out_params(&o, p, 1, pg, &num);
            p++;
        }
    }
    if (o.oom) {
        free(o.buf);
        return VB_ENOMEM;
    }
    *out = o.buf;
    return 0;
}
