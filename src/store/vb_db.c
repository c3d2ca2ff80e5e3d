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

int vb_db_sql_translate(const char *sql, const char *ids_sql, int dollar, char **out)
{
    static const char k_ids[] = "VB_IDS(?)";
    size_t cap = strlen(sql) * 2 + 64, len = 0;
    int n = 0;
    char *buf = malloc(cap);
    if (!buf) return VB_ENOMEM;
    for (const char *p = sql; *p;) {
        const char *piece = p;
        size_t plen = 1, adv = 1;
        char num[24];
        if (*p == '\'' || *p == '"') {
            plen = adv = quoted_len(p);
        } else if (strncmp(p, k_ids, sizeof k_ids - 1) == 0) {
            /* Expanded, with the '?' of ids_sql numbered in place. */
            size_t ilen = strlen(ids_sql);
            for (size_t k = 0; k < ilen; k++) {
                if (len + 32 >= cap) {
                    char *nb = realloc(buf, cap *= 2);
                    if (!nb) {
                        free(buf);
                        return VB_ENOMEM;
                    }
                    buf = nb;
                }
                if (ids_sql[k] == '?' && dollar)
                    len += (size_t)snprintf(buf + len, cap - len, "$%d", ++n);
                else
                    buf[len++] = ids_sql[k];
            }
            p += sizeof k_ids - 1;
            continue;
        } else if (*p == '?' && dollar) {
            snprintf(num, sizeof num, "$%d", ++n);
            piece = num;
            plen = strlen(num);
        }
        while (len + plen + 1 >= cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) {
                free(buf);
                return VB_ENOMEM;
            }
            buf = nb;
        }
        memcpy(buf + len, piece, plen);
        len += plen;
        p += adv;
    }
    buf[len] = '\0';
    *out = buf;
    return 0;
}
