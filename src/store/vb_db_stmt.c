/*
 * The SQLite backend's statements (vb_db_sqlite_internal.h): the cache of
 * prepared statements, SQLite errors mapped to vb_err, and parameter binding
 * from a format string.
 */
#include "core/vb_common.h"
#include "core/vb_log.h"
#include "store/vb_db_sqlite_internal.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The dialect tokens of vb_db.h in SQLite. */
static const vb_db_token k_tokens[] = {
    {"VB_IDS(?)", "(SELECT key AS idx, value FROM json_each(?))"},
    {"VB_JSON_AGG(", "json_group_array("},
    {NULL, NULL},
};

static size_t bucket_of(const char *sql)
{
    uintptr_t p = (uintptr_t)sql;
    return (size_t)((p >> 3) * 2654435761u) % VB_DB_BUCKETS;
}

/* Finalizes every cached statement. */
void vb_db_cache_clear(vb_sq *db)
{
    for (size_t i = 0; i < VB_DB_BUCKETS; i++) {
        vb_db_stmt *e = db->buckets[i];
        while (e) {
            vb_db_stmt *next = e->next;
            sqlite3_finalize(e->stmt);
            free(e->text);
            free(e);
            e = next;
        }
        db->buckets[i] = NULL;
    }
    db->cached = 0;
}

/* Maps a failed SQLite call to a vb_err, logs it (conflicts only at debug
 * level: they are expected outcomes) and marks the transaction broken for the
 * errors after which SQLite may have rolled it back or cannot go on. */
int vb_db_sql_error(vb_sq *db, int rc, const char *sql)
{
    if ((rc & 0xff) == SQLITE_CONSTRAINT) rc = sqlite3_extended_errcode(db->h);
    if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        vb_log(VB_LOG_DEBUG, "sql conflict: %s", sqlite3_errmsg(db->h));
        return VB_ECONFLICT;
    }
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_NOMEM:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_INTERRUPT:
    case SQLITE_CANTOPEN:
        db->broken = 1;
        break;
    default:
        break;
    }
    json_t *f =
        json_pack("{s:s, s:i, s:s?}", "error", sqlite3_errmsg(db->h), "sqliteCode", rc, "sql", sql);
    vb_log_obj(VB_LOG_ERROR, "sql error", f);
    return VB_EIO;
}

/* Returns the cached statement for sql, preparing and caching it on a miss.
 * NULL on error (logged). */
sqlite3_stmt *vb_db_stmt_get(vb_sq *db, const char *sql)
{
    size_t b = bucket_of(sql);
    vb_db_stmt **link = &db->buckets[b];
    for (vb_db_stmt *e = *link; e; link = &e->next, e = e->next) {
        if (e->key != sql) continue;
        if (strcmp(e->text, sql) == 0) return e->stmt;
        /* Same pointer, another text: the old entry is stale. */
        *link = e->next;
        sqlite3_finalize(e->stmt);
        free(e->text);
        free(e);
        db->cached--;
        break;
    }
    if (db->cached >= VB_DB_CACHE_MAX) vb_db_cache_clear(db);

    sqlite3_stmt *st = NULL;
    const char *tail = NULL;
    char *native = NULL;
    if (vb_db_sql_translate(sql, k_tokens, 0, &native) != 0) return NULL;
    int rc = sqlite3_prepare_v3(db->h, native, -1, SQLITE_PREPARE_PERSISTENT, &st, &tail);
    if (rc != SQLITE_OK || !st) {
        if (rc == SQLITE_OK)
            vb_log(VB_LOG_ERROR, "sql error: empty statement");
        else
            vb_db_sql_error(db, rc, sql);
        sqlite3_finalize(st);
        free(native);
        return NULL;
    }
    while (tail && (*tail == ' ' || *tail == '\n' || *tail == '\t' || *tail == ';'))
        tail++;
    if (tail && *tail) {
        vb_log(VB_LOG_ERROR, "sql error: more than one statement in \"%s\"", sql);
        sqlite3_finalize(st);
        free(native);
        return NULL;
    }
    free(native);
    vb_db_stmt *e = malloc(sizeof *e);
    char *text = strdup(sql);
    if (!e || !text) {
        free(e);
        free(text);
        sqlite3_finalize(st);
        return NULL;
    }
    e->key = sql;
    e->text = text;
    e->stmt = st;
    e->next = db->buckets[b];
    db->buckets[b] = e;
    db->cached++;
    return st;
}

/* Binds one json_t parameter: scalars as such, containers as compact text. */
static int bind_json(sqlite3_stmt *st, int idx, json_t *v)
{
    switch (v ? json_typeof(v) : JSON_NULL) {
    case JSON_STRING:
        return sqlite3_bind_text(st, idx, json_string_value(v), (int)json_string_length(v),
                                 SQLITE_STATIC);
    case JSON_INTEGER:
        return sqlite3_bind_int64(st, idx, (sqlite3_int64)json_integer_value(v));
    case JSON_REAL:
        return sqlite3_bind_double(st, idx, json_real_value(v));
    case JSON_TRUE:
        return sqlite3_bind_int(st, idx, 1);
    case JSON_FALSE:
        return sqlite3_bind_int(st, idx, 0);
    case JSON_NULL:
        return sqlite3_bind_null(st, idx);
    default: {
        char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!text) return SQLITE_NOMEM;
        return sqlite3_bind_text(st, idx, text, -1, free);
    }
    }
}

/* Binds the parameters described by fmt (see vb_db.h) from ap. Text is bound
 * without a copy: the statement is reset and its bindings cleared before the
 * calling vb_db_* function returns. 0 or VB_EIO (logged). */
int vb_db_bind_params(vb_sq *db, sqlite3_stmt *st, const char *sql, const char *fmt, va_list ap)
{
    int n = fmt ? (int)strlen(fmt) : 0;
    if (n != sqlite3_bind_parameter_count(st)) {
        vb_log(VB_LOG_ERROR, "sql error: format \"%s\" has %d parameters, statement %d: %s",
               fmt ? fmt : "", n, sqlite3_bind_parameter_count(st), sql);
        return VB_EIO;
    }
    for (int i = 0; i < n; i++) {
        int rc;
        switch (fmt[i]) {
        case 's': {
            const char *v = va_arg(ap, const char *);
            rc = v ? sqlite3_bind_text(st, i + 1, v, -1, SQLITE_STATIC)
                   : sqlite3_bind_null(st, i + 1);
            break;
        }
        case 'i':
            rc = sqlite3_bind_int64(st, i + 1, (sqlite3_int64)va_arg(ap, int64_t));
            break;
        case 'd':
            rc = sqlite3_bind_double(st, i + 1, va_arg(ap, double));
            break;
        case 'j':
            rc = bind_json(st, i + 1, va_arg(ap, json_t *));
            break;
        case 'B': {
            const void *v = va_arg(ap, const void *);
            size_t len = va_arg(ap, size_t);
            rc = v ? sqlite3_bind_blob64(st, i + 1, v, (sqlite3_uint64)len, SQLITE_STATIC)
                   : sqlite3_bind_null(st, i + 1);
            break;
        }
        default:
            vb_log(VB_LOG_ERROR, "sql error: bad format character '%c' in \"%s\"", fmt[i], fmt);
            return VB_EIO;
        }
        if (rc != SQLITE_OK) return vb_db_sql_error(db, rc, sql);
    }
    return 0;
}
