/*
 * Statements of the PostgreSQL backend: the portable SQL translated once per
 * statement text ('?' -> $n, VB_IDS(?) -> jsonb_array_elements_text) and
 * cached, parameters bound from the format string of vb_db.h with their types
 * (text, int8, float8; a 'j' value by its JSON type), run in one round trip
 * (prepared once per statement and parameter types: PQprepare, then
 * PQexecPrepared; in a writer transaction both are pipelined, see
 * vb_db_pg_pipe.c), rows converted by vb_db_pg_rows.c.
 */
#include "core/vb_common.h"
#include "core/vb_log.h"
#include "store/vb_db_pg_internal.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The dialect tokens of vb_db.h in PostgreSQL: VB_IDS(?) the elements of a
 * JSON array as text, with idx. */
static const vb_db_token k_tokens[] = {
    {"VB_IDS(?)", "(SELECT (o - 1) AS idx, value FROM jsonb_array_elements_text(CAST(? AS jsonb))"
                  " WITH ORDINALITY AS vb_e(value, o))"},
    {"VB_JSON_AGG(", "json_agg("},
    {NULL, NULL},
};

enum { OID_UNKNOWN = 0, OID_BYTEA = 17, OID_TEXT = 25, OID_INT8 = 20, OID_FLOAT8 = 701 };

/* Parameters beyond this count are refused (a statement of the store has
 * at most a few dozen). */
#define VB_PG_PARAMS_MAX 64

static size_t bucket_of(const char *sql)
{
    uintptr_t p = (uintptr_t)sql;
    return (size_t)((p >> 3) * 2654435761u) % VB_PG_BUCKETS;
}

static void sql_free(vb_pg_sql *e)
{
    free(e->text);
    free(e->native);
    free(e);
}

void vb_pg_cache_clear(vb_pg *db)
{
    for (size_t i = 0; i < VB_PG_BUCKETS; i++) {
        vb_pg_sql *e = db->buckets[i];
        while (e) {
            vb_pg_sql *next = e->next;
            sql_free(e);
            e = next;
        }
        db->buckets[i] = NULL;
    }
    db->cached = 0;
}

/* The cache entry of sql (translated), made on a miss. NULL when out of memory. */
static vb_pg_sql *entry_of(vb_pg *db, const char *sql)
{
    size_t b = bucket_of(sql);
    vb_pg_sql **link = &db->buckets[b];
    for (vb_pg_sql *e = *link; e; link = &e->next, e = e->next) {
        if (e->key != sql) continue;
        if (strcmp(e->text, sql) == 0) return e;
        *link = e->next;
        sql_free(e);
        db->cached--;
        break;
    }
    if (db->cached >= VB_PG_CACHE_MAX) vb_pg_cache_clear(db);
    vb_pg_sql *e = calloc(1, sizeof *e);
    if (!e || !(e->text = strdup(sql)) || vb_db_sql_translate(sql, k_tokens, 1, &e->native) != 0) {
        if (e) sql_free(e);
        return NULL;
    }
    const char *t = e->native;
    while (*t == ' ' || *t == '\n' || *t == '(')
        t++;
    e->reads = strncasecmp(t, "SELECT", 6) == 0;
    e->key = sql;
    e->next = db->buckets[b];
    db->buckets[b] = e;
    db->cached++;
    return e;
}

/* The parameters of one call: values as text with their types. */
typedef struct vb_pg_params {
    int n;
    const char *values[VB_PG_PARAMS_MAX];
    int lengths[VB_PG_PARAMS_MAX]; /* of binary values ('B') */
    int formats[VB_PG_PARAMS_MAX]; /* 1: binary ('B'), 0: text */
    unsigned int types[VB_PG_PARAMS_MAX];
    char num[VB_PG_PARAMS_MAX][32];
    char *owned[VB_PG_PARAMS_MAX]; /* JSON text of containers */
} vb_pg_params;

static void params_free(vb_pg_params *p)
{
    for (int i = 0; i < p->n; i++)
        free(p->owned[i]);
}

static int bind_json(vb_pg_params *p, int i, json_t *v)
{
    switch (v ? json_typeof(v) : JSON_NULL) {
    case JSON_STRING:
        p->values[i] = json_string_value(v);
        p->types[i] = OID_TEXT;
        return 0;
    case JSON_INTEGER:
        snprintf(p->num[i], sizeof p->num[i], "%lld", (long long)json_integer_value(v));
        p->types[i] = OID_INT8;
        return 0;
    case JSON_REAL:
        snprintf(p->num[i], sizeof p->num[i], "%.17g", json_real_value(v));
        p->types[i] = OID_FLOAT8;
        return 0;
    case JSON_TRUE:
    case JSON_FALSE:
        snprintf(p->num[i], sizeof p->num[i], "%d", json_is_true(v) ? 1 : 0);
        p->types[i] = OID_INT8;
        return 0;
    case JSON_NULL:
        p->values[i] = NULL;
        p->types[i] = OID_UNKNOWN;
        return 0;
    default:
        p->owned[i] = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!p->owned[i]) return VB_ENOMEM;
        p->values[i] = p->owned[i];
        p->types[i] = OID_TEXT;
        return 0;
    }
}

/* Fills p from fmt and ap. 0, VB_EIO (bad format, logged) or VB_ENOMEM. */
static int bind_params(vb_pg_params *p, const char *sql, const char *fmt, va_list ap)
{
    int n = fmt ? (int)strlen(fmt) : 0;
    p->n = 0;
    if (n > VB_PG_PARAMS_MAX) {
        vb_log(VB_LOG_ERROR, "sql error: %d parameters (at most %d): %s", n, VB_PG_PARAMS_MAX, sql);
        return VB_EIO;
    }
    for (int i = 0; i < n; i++) {
        p->owned[i] = NULL;
        p->values[i] = p->num[i];
        p->lengths[i] = 0;
        p->formats[i] = 0;
        p->n = i + 1;
        switch (fmt[i]) {
        case 's':
            p->values[i] = va_arg(ap, const char *);
            p->types[i] = OID_TEXT;
            break;
        case 'i':
            snprintf(p->num[i], sizeof p->num[i], "%lld", (long long)va_arg(ap, int64_t));
            p->types[i] = OID_INT8;
            break;
        case 'd':
            snprintf(p->num[i], sizeof p->num[i], "%.17g", va_arg(ap, double));
            p->types[i] = OID_FLOAT8;
            break;
        case 'j': {
            int err = bind_json(p, i, va_arg(ap, json_t *));
            if (err) return err;
            break;
        }
        case 'B': {
            const void *v = va_arg(ap, const void *);
            size_t len = va_arg(ap, size_t);
            if (len > INT_MAX) {
                vb_log(VB_LOG_ERROR, "sql error: a binary parameter over 2 GiB: %s", sql);
                return VB_EIO;
            }
            p->values[i] = v;
            p->lengths[i] = (int)len;
            p->formats[i] = 1;
            p->types[i] = OID_BYTEA;
            break;
        }
        default:
            vb_log(VB_LOG_ERROR, "sql error: bad format character '%c' in \"%s\"", fmt[i], fmt);
            return VB_EIO;
        }
    }
    return 0;
}

/* Prepares e on the server for the parameter types of p, unless it already
 * is (same types, same connection). 0 or a vb_err. */
static int prepare(vb_pg *db, vb_pg_sql *e, const vb_pg_params *p)
{
    char sig[sizeof e->sig];
    for (int i = 0; i < p->n; i++)
        sig[i] = p->types[i] == OID_TEXT     ? 't'
                 : p->types[i] == OID_INT8   ? 'i'
                 : p->types[i] == OID_FLOAT8 ? 'f'
                 : p->types[i] == OID_BYTEA  ? 'b'
                                             : 'u';
    sig[p->n] = '\0';
    if (e->name[0] && e->gen == db->gen && strcmp(e->sig, sig) == 0) return 0;
    /* A name never reused on this connection; an older statement of the
     * entry stays on the server until the connection closes (bounded by the
     * cache size and the few type combinations of a statement). */
    char name[sizeof e->name];
    snprintf(name, sizeof name, "vb%u", ++db->nprep);
    if (db->pipe) {
        /* Its result is read with the statement's (vb_db_pg_pipe.c). */
        if (PQsendPrepare(db->c, name, e->native, p->n, p->types) != 1)
            return vb_pg_error(db, NULL, e->text);
        vb_pg_pipe_owe(db, 'p');
    } else {
        PGresult *r = PQprepare(db->c, name, e->native, p->n, p->types);
        if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) {
            int err = vb_pg_error(db, r, e->text);
            PQclear(r);
            return err;
        }
        PQclear(r);
    }
    memcpy(e->name, name, sizeof name);
    memcpy(e->sig, sig, sizeof sig);
    e->gen = db->gen;
    return 0;
}

/* Sends the prepared statement e in pipeline mode; with defer set its
 * result is read later (*res stays NULL), else now. */
static int send_piped(vb_pg *db, PGresult **res, int defer, vb_pg_sql *e, const vb_pg_params *p,
                      const char *sql)
{
    if (PQsendQueryPrepared(db->c, e->name, p->n, p->values, p->lengths, p->formats, 0) != 1)
        return vb_pg_error(db, NULL, sql);
    vb_pg_pipe_owe(db, 's');
    return defer ? 0 : vb_pg_pipe_sync(db, res, sql);
}

/* Translates, binds and runs sql; *res gets the result of a success (NULL
 * when defer is set and the statement was deferred in a pipeline). */
static int execute(vb_pg *db, PGresult **res, int defer, const char *sql, const char *fmt,
                   va_list ap)
{
    *res = NULL;
    int err = vb_pg_ensure(db);
    if (err) return err;
    if (db->broken && db->in_txn) return db->down ? VB_EBUSY : VB_EIO;
    if ((err = vb_pg_flush(db)) != 0) return err;
    vb_pg_sql *e = entry_of(db, sql);
    if (!e) return VB_ENOMEM;
    vb_pg_params p;
    err = bind_params(&p, sql, fmt, ap);
    if (!err && db->pipe) err = vb_pg_pipe_room(db, 2);
    if (!err) err = prepare(db, e, &p);
    if (!err && db->pipe) {
        if (!e->reads) db->op_wrote = 1;
        err = send_piped(db, res, defer, e, &p, sql);
    } else if (!err) {
        PGresult *r = PQexecPrepared(db->c, e->name, p.n, p.values, p.lengths, p.formats, 0);
        ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
        if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
            const char *ct = PQcmdTuples(r);
            db->changes = ct && *ct ? strtoll(ct, NULL, 10) : 0;
            *res = r;
        } else {
            err = vb_pg_error(db, r, sql);
            PQclear(r);
        }
    }
    params_free(&p);
    return err;
}

int vb_pg_run(vb_db *base, vb_db_mode mode, json_t **out, int64_t *iout, int64_t dflt,
              const char *sql, const char *fmt, va_list ap)
{
    vb_pg *db = (vb_pg *)base;
    if (out) *out = NULL;
    if (iout) *iout = dflt;
    PGresult *res = NULL;
    int err = execute(db, &res, mode == VB_DB_EXEC, sql, fmt, ap);
    if (err || !res) return err;
    int rows = PQntuples(res);
    if (mode == VB_DB_INT) {
        if (iout && rows > 0 && PQnfields(res) > 0 && !PQgetisnull(res, 0, 0)) {
            const char *v = PQgetvalue(res, 0, 0);
            *iout = v[0] == 't' ? 1 : v[0] == 'f' ? 0 : (int64_t)strtoll(v, NULL, 10);
        }
    } else if (mode == VB_DB_ROW && out) {
        if (rows > 0 && !(*out = vb_pg_row_json(res, 0))) err = VB_ENOMEM;
    } else if (mode == VB_DB_ROWS && out) {
        json_t *arr = json_array();
        for (int r = 0; arr && r < rows; r++) {
            json_t *row = vb_pg_row_json(res, r);
            if (!row || json_array_append_new(arr, row) != 0) {
                json_decref(arr);
                arr = NULL;
            }
        }
        if (arr)
            *out = arr;
        else
            err = VB_ENOMEM;
    }
    PQclear(res);
    return err;
}

int vb_pg_run_text(vb_db *base, vb_db_text *out, vb_db_text_hook fn, void *ud, const char *sql,
                   const char *fmt, va_list ap)
{
    PGresult *res = NULL;
    int err = execute((vb_pg *)base, &res, 0, sql, fmt, ap);
    if (err) return err;
    err = vb_pg_rows_text(res, out, fn, ud);
    PQclear(res);
    return err;
}

int vb_pg_blob(vb_db *base, void **data, size_t *len, const char *sql, const char *fmt, va_list ap)
{
    *data = NULL;
    *len = 0;
    PGresult *res = NULL;
    int err = execute((vb_pg *)base, &res, 0, sql, fmt, ap);
    if (err) return err;
    if (PQntuples(res) > 0 && PQnfields(res) > 0 && !PQgetisnull(res, 0, 0)) {
        /* bytea comes as text in hex form; PQunescapeBytea decodes it. */
        size_t n = 0;
        unsigned char *raw = PQunescapeBytea((const unsigned char *)PQgetvalue(res, 0, 0), &n);
        void *copy = raw ? malloc(n ? n : 1) : NULL;
        if (!copy) {
            err = VB_ENOMEM;
        } else {
            if (n) memcpy(copy, raw, n);
            *data = copy;
            *len = n;
        }
        if (raw) PQfreemem(raw);
    }
    PQclear(res);
    return err;
}
