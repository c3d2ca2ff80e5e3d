/*
 * The SQLite implementation of vb_db (vb_db.h, vb_db_internal.h): one
 * connection, a cache of prepared statements, parameter binding from a
 * format string and rows converted to JSON objects.
 *
 * (The statement cache and binding are in vb_db_stmt.c.)
 *
 * This file and vb_db_stmt.c are the only files of vibed that include
 * sqlite3.h.
 */
#include "store/vb_db_internal.h"
#include "core/vb_common.h"
#include "core/vb_log.h"
#include "store/vb_db_sqlite_internal.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The conversion kind of a column name's alias prefix ('j', 'b', 't', 'x'
 * or 0); *name is advanced past the prefix. 'x' (a hook column of
 * vb_db_rows_text_hook) converts like no prefix outside that function. */
static char name_kind(const char **name)
{
    const char *n = *name ? *name : "";
    char kind = 0;
    if ((n[0] == 'j' || n[0] == 'b' || n[0] == 't' || n[0] == 'x') && n[1] == ':') {
        kind = n[0];
        n += 2;
    }
    *name = n;
    return kind;
}

/* Converts column i of the current row according to the alias prefix kind
 * ('j', 'b', 't' or 0). Never returns NULL except when out of memory. */
static json_t *column_json(sqlite3_stmt *st, int i, char kind)
{
    int type = sqlite3_column_type(st, i);
    if (type == SQLITE_NULL) return json_null();
    if (kind == 'b') return json_boolean(sqlite3_column_int64(st, i) != 0);
    if (kind == 't' && type == SQLITE_INTEGER) {
        char iso[32];
        vb_iso8601((int64_t)sqlite3_column_int64(st, i), iso);
        return json_string(iso);
    }
    if (kind == 'j') {
        const char *text = (const char *)sqlite3_column_text(st, i);
        json_error_t err;
        json_t *v = json_loadb(text ? text : "", (size_t)sqlite3_column_bytes(st, i),
                               JSON_DECODE_ANY, &err);
        if (v) return v;
        vb_log(VB_LOG_WARN, "column %s holds invalid JSON: %s", sqlite3_column_name(st, i),
               err.text);
        return json_null();
    }
    switch (type) {
    case SQLITE_INTEGER:
        return json_integer((json_int_t)sqlite3_column_int64(st, i));
    case SQLITE_FLOAT:
        return json_real(sqlite3_column_double(st, i));
    default: {
        const char *text = (const char *)sqlite3_column_text(st, i);
        json_t *v = json_stringn(text ? text : "", (size_t)sqlite3_column_bytes(st, i));
        if (v) return v;
        vb_log(VB_LOG_WARN, "column %s is not valid UTF-8", sqlite3_column_name(st, i));
        return json_null();
    }
    }
}

/* Builds the JSON object of the current row. NULL when out of memory. */
static json_t *row_json(sqlite3_stmt *st)
{
    json_t *row = json_object();
    if (!row) return NULL;
    int n = sqlite3_column_count(st);
    for (int i = 0; i < n; i++) {
        const char *name = sqlite3_column_name(st, i);
        char kind = name_kind(&name);
        json_t *v = column_json(st, i, kind);
        if (!v || json_object_set_new(row, name, v) != 0) {
            json_decref(row);
            return NULL;
        }
    }
    return row;
}

/*
 * Prepares (or finds), binds and steps sql. mode says what to keep: nothing
 * (EXEC), every row into *out as an array (ROWS), the first row or NULL
 * (ROW), or the first column of the first row into *iout, dflt otherwise
 * (INT). The statement is always reset. 0, VB_ECONFLICT, VB_EIO or VB_ENOMEM.
 * (vb_db_rows_text has its own loop, run_text below.)
 */
static int run(vb_db *base, vb_db_mode mode, json_t **out, int64_t *iout, int64_t dflt,
               const char *sql, const char *fmt, va_list ap)
{
    vb_sq *db = (vb_sq *)base;
    if (out) *out = NULL;
    if (iout) *iout = dflt;
    sqlite3_stmt *st = vb_db_stmt_get(db, sql);
    if (!st) return VB_EIO;
    json_t *rows = NULL;
    int err = vb_db_bind_params(db, st, sql, fmt, ap);
    if (err) goto done;
    if (mode == VB_DB_ROWS && !(rows = json_array())) {
        err = VB_ENOMEM;
        goto done;
    }
    for (;;) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE) break;
        if (rc != SQLITE_ROW) {
            err = vb_db_sql_error(db, rc, sql);
            goto done;
        }
        if (mode == VB_DB_EXEC) continue;
        if (mode == VB_DB_INT) {
            if (iout && sqlite3_column_count(st) > 0 && sqlite3_column_type(st, 0) != SQLITE_NULL)
                *iout = (int64_t)sqlite3_column_int64(st, 0);
            break;
        }
        json_t *row = row_json(st);
        if (!row) {
            err = VB_ENOMEM;
            goto done;
        }
        if (mode == VB_DB_ROW) {
            if (out)
                *out = row;
            else
                json_decref(row);
            break;
        }
        if (json_array_append_new(rows, row) != 0) {
            err = VB_ENOMEM;
            goto done;
        }
    }
    if (mode == VB_DB_ROWS && out) {
        *out = rows;
        rows = NULL;
    }
done:
    json_decref(rows);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return err;
}

/* json_dump_callback sink appending to a vb_db_text. */
static int text_sink(const char *buf, size_t size, void *data)
{
    vb_db_text *t = data;
    vb_db_text_put(t, buf, size);
    return t->oom ? -1 : 0;
}

/* Appends the JSON text of column i of the current row, converted by kind as
 * column_json() converts it, formatted as json_dumps(JSON_COMPACT) would. */
static void column_text(vb_db_text *out, sqlite3_stmt *st, int i, char kind)
{
    int type = sqlite3_column_type(st, i);
    if (type == SQLITE_NULL) {
        vb_db_text_put(out, "null", 4);
        return;
    }
    if (kind == 'b') {
        if (sqlite3_column_int64(st, i) != 0)
            vb_db_text_put(out, "true", 4);
        else
            vb_db_text_put(out, "false", 5);
        return;
    }
    if (kind == 't' && type == SQLITE_INTEGER) {
        vb_db_text_iso(out, (int64_t)sqlite3_column_int64(st, i));
        return;
    }
    if (kind == 'j') {
        const char *text = (const char *)sqlite3_column_text(st, i);
        size_t n = (size_t)sqlite3_column_bytes(st, i);
        if (text && vb_db_text_json_raw_ok(text, n)) {
            vb_db_text_put(out, text, n);
            return;
        }
        json_t *v = column_json(st, i, 'j');
        if (!v || json_dump_callback(v, text_sink, out, JSON_COMPACT | JSON_ENCODE_ANY) != 0)
            out->oom = 1;
        json_decref(v);
        return;
    }
    switch (type) {
    case SQLITE_INTEGER:
        vb_db_text_int(out, (int64_t)sqlite3_column_int64(st, i));
        return;
    case SQLITE_FLOAT:
        vb_db_text_real(out, sqlite3_column_double(st, i));
        return;
    default: {
        const char *text = (const char *)sqlite3_column_text(st, i);
        if (vb_db_text_str(out, text ? text : "", (size_t)sqlite3_column_bytes(st, i)) != 0)
            vb_log(VB_LOG_WARN, "column %s is not valid UTF-8", sqlite3_column_name(st, i));
        return;
    }
    }
}

/* Builds the object keys of st's columns as JSON text: for each column its
 * kind and the text '"name":' (',' before all but the first) at keys->data +
 * off[i], ending at off[i + 1]. 0 or VB_ENOMEM. */
static int column_keys(sqlite3_stmt *st, int n, vb_db_text *keys, size_t *off, char *kinds)
{
    for (int i = 0; i < n; i++) {
        const char *name = sqlite3_column_name(st, i);
        kinds[i] = name_kind(&name);
        off[i] = keys->len;
        if (i) vb_db_text_put(keys, ",", 1);
        if (vb_db_text_str(keys, name, strlen(name)) != 0) {
            vb_log(VB_LOG_ERROR, "sql error: column name is not valid UTF-8");
            return VB_EIO;
        }
        vb_db_text_put(keys, ":", 1);
    }
    off[n] = keys->len;
    return keys->oom ? VB_ENOMEM : 0;
}

/* vb_db_rows_text(_hook) with a va_list; fn may be NULL (then "x:" columns
 * are written like unprefixed ones). */
static int run_text(vb_db *base, vb_db_text *out, vb_db_text_hook fn, void *ud, const char *sql,
                    const char *fmt, va_list ap)
{
    vb_sq *db = (vb_sq *)base;
    sqlite3_stmt *st = vb_db_stmt_get(db, sql);
    if (!st) return VB_EIO;
    vb_db_text keys = {0};
    int n = sqlite3_column_count(st);
    size_t *off = malloc(sizeof *off * (size_t)(n + 1));
    char *kinds = malloc((size_t)n + 1);
    int err = off && kinds ? 0 : VB_ENOMEM;
    if (!err) err = vb_db_bind_params(db, st, sql, fmt, ap);
    if (!err) err = column_keys(st, n, &keys, off, kinds);
    if (err) goto done;
    vb_db_text_put(out, "[", 1);
    for (size_t row = 0;; row++) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE) break;
        if (rc != SQLITE_ROW) {
            err = vb_db_sql_error(db, rc, sql);
            goto done;
        }
        vb_db_text_put(out, row ? ",{" : "{", row ? 2 : 1);
        for (int i = 0; i < n; i++) {
            vb_db_text_put(out, keys.data + off[i], off[i + 1] - off[i]);
            if (kinds[i] == 'x' && fn) {
                const char *text = (const char *)sqlite3_column_text(st, i);
                fn(out, sqlite3_column_name(st, i) + 2, text,
                   text ? (size_t)sqlite3_column_bytes(st, i) : 0, ud);
            } else
                column_text(out, st, i, kinds[i]);
        }
        vb_db_text_put(out, "}", 1);
        if (out->oom) break;
    }
    vb_db_text_put(out, "]", 1);
    if (out->oom) err = VB_ENOMEM;
done:
    vb_db_text_free(&keys);
    free(off);
    free(kinds);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return err;
}

static int sq_blob(vb_db *base, void **data, size_t *len, const char *sql, const char *fmt,
                   va_list ap)
{
    vb_sq *db = (vb_sq *)base;
    *data = NULL;
    *len = 0;
    sqlite3_stmt *st = vb_db_stmt_get(db, sql);
    if (!st) return VB_EIO;
    int err = vb_db_bind_params(db, st, sql, fmt, ap);
    if (!err) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW && sqlite3_column_count(st) > 0 &&
            sqlite3_column_type(st, 0) != SQLITE_NULL) {
            const void *p = sqlite3_column_blob(st, 0);
            size_t n = (size_t)sqlite3_column_bytes(st, 0);
            *data = malloc(n ? n : 1);
            if (!*data) {
                err = VB_ENOMEM;
            } else {
                if (n) memcpy(*data, p, n);
                *len = n;
            }
        } else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
            err = vb_db_sql_error(db, rc, sql);
        }
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return err;
}

static int64_t sq_changes(vb_db *db)
{
    return (int64_t)sqlite3_changes64(((vb_sq *)db)->h);
}

static int sq_script_raw(vb_sq *db, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db->h, sql, NULL, NULL, &msg);
    sqlite3_free(msg);
    return rc == SQLITE_OK ? 0 : vb_db_sql_error(db, rc, "(script)");
}

/* Runs one pragma and logs its failure; 0 or VB_EIO. */
static int pragma(vb_sq *db, const char *sql)
{
    return sq_script_raw(db, sql);
}

static int sq_script(vb_db *db, const char *sql)
{
    return sq_script_raw((vb_sq *)db, sql);
}

static void sq_close(vb_db *base);

/* Opens the connection of vb_db_open (create set: may create the file) or
 * vb_db_open_reader, without pragmas. *out is set only on success. */
static int open_conn(vb_sq **out, const char *path, int create)
{
    vb_sq *db = calloc(1, sizeof *db);
    if (!db) return VB_ENOMEM;
    db->base.be = &vb_db_sqlite_backend;
    /* No mutex inside SQLite: a vb_db is used by one thread at a time (see
     * vb_db_internal.h), and the per-call mutex cost ~10% of a list. */
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
    int rc = sqlite3_open_v2(path, &db->h, flags, NULL);
    if (rc != SQLITE_OK) {
        vb_log(VB_LOG_ERROR, "cannot open database %s: %s", path,
               db->h ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc));
        sq_close(&db->base);
        return VB_EIO;
    }
    sqlite3_extended_result_codes(db->h, 1);
    sqlite3_busy_timeout(db->h, 5000);
    *out = db;
    return 0;
}

int vb_db_open_reader(vb_db **out, const char *path)
{
    vb_sq *db = NULL;
    int err = open_conn(&db, path, 0);
    if (err) return err;
    /* query_only: a write on the reader (an op submitted without
     * VB_STORE_WRITE that writes) fails instead of racing the writer. */
    if (pragma(db, "PRAGMA query_only=1") != 0) {
        sq_close(&db->base);
        return VB_EIO;
    }
    *out = &db->base;
    return 0;
}

int vb_db_open(vb_db **out, const char *path)
{
    vb_sq *db = NULL;
    int err = open_conn(&db, path, 1);
    if (err) return err;

    /* WAL: readers never block the writer. With WAL, synchronous=NORMAL
     * still survives a crash of the process (a committed transaction is in
     * the WAL file, which the OS keeps); only a power loss or OS crash may
     * lose the last transactions, never corrupt the database. FULL also
     * syncs the WAL at every commit, for that case: VB_SQLITE_SYNC=FULL. */
    json_t *mode = NULL;
    const char *wal_sql = "PRAGMA journal_mode=WAL";
    if (vb_db_row(&db->base, &mode, wal_sql, NULL) != 0) goto fail;
    const char *got = json_string_value(json_object_get(mode, "journal_mode"));
    if (!got || (strcmp(got, "wal") != 0 && strcmp(got, "memory") != 0))
        vb_log(VB_LOG_WARN, "database %s: journal_mode is %s, not wal", path, got ? got : "?");
    json_decref(mode);

    const char *sync = getenv("VB_SQLITE_SYNC");
    int full = sync && strcmp(sync, "FULL") == 0;
    if (sync && *sync && !full && strcmp(sync, "NORMAL") != 0)
        vb_log(VB_LOG_WARN, "VB_SQLITE_SYNC=%s is not FULL or NORMAL; using NORMAL", sync);
    if (pragma(db, full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL") != 0 ||
        pragma(db, "PRAGMA foreign_keys=ON") != 0)
        goto fail;
    *out = &db->base;
    return 0;
fail:
    sq_close(&db->base);
    return VB_EIO;
}

static void sq_close(vb_db *base)
{
    vb_sq *db = (vb_sq *)base;
    vb_db_cache_clear(db);
    if (db->h && sqlite3_close(db->h) != SQLITE_OK)
        vb_log(VB_LOG_ERROR, "closing the database: %s", sqlite3_errmsg(db->h));
    free(db);
}

static int sq_begin(vb_db *base, int immediate)
{
    vb_sq *db = (vb_sq *)base;
    db->broken = 0;
    int err = vb_db_exec(base, immediate ? "BEGIN IMMEDIATE" : "BEGIN", NULL);
    db->in_txn = err == 0;
    return err ? VB_EIO : 0;
}

static int sq_commit(vb_db *base)
{
    vb_sq *db = (vb_sq *)base;
    int err = vb_db_exec(base, "COMMIT", NULL);
    if (err == 0) db->in_txn = 0;
    return err ? VB_EIO : 0;
}

static int sq_rollback(vb_db *base)
{
    vb_sq *db = (vb_sq *)base;
    int err = 0;
    if (!sqlite3_get_autocommit(db->h)) err = vb_db_exec(base, "ROLLBACK", NULL);
    db->in_txn = 0;
    return err ? VB_EIO : 0;
}

static int sq_savepoint(vb_db *db)
{
    return vb_db_exec(db, "SAVEPOINT vb_op", NULL) ? VB_EIO : 0;
}

static int sq_rollback_to(vb_db *db)
{
    return vb_db_exec(db, "ROLLBACK TO vb_op", NULL) ? VB_EIO : 0;
}

static int sq_release(vb_db *db)
{
    return vb_db_exec(db, "RELEASE vb_op", NULL) ? VB_EIO : 0;
}

static int sq_txn_broken(const vb_db *base)
{
    const vb_sq *db = (const vb_sq *)base;
    return db->broken || (db->in_txn && sqlite3_get_autocommit(db->h));
}

static int sq_txn_retry(const vb_db *db)
{
    (void)db;
    return 0;
}

static int sq_check(vb_db *db)
{
    (void)db;
    return 0;
}

const vb_db_backend vb_db_sqlite_backend = {
    .name = "sqlite",
    .migrations = vb_migrations,
    .migrations_count = &vb_migrations_count,
    .run = run,
    .run_text = run_text,
    .blob = sq_blob,
    .changes = sq_changes,
    .script = sq_script,
    .close = sq_close,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .savepoint = sq_savepoint,
    .rollback_to = sq_rollback_to,
    .release = sq_release,
    .txn_broken = sq_txn_broken,
    .txn_retry = sq_txn_retry,
    .check = sq_check,
};
