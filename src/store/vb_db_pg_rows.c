/*
 * Rows of a PostgreSQL result as JSON (vb_db.h): the same objects and text
 * as the SQLite backend gives for the same data. Values arrive as text and
 * are converted by column type: integers (int2/4/8, numeric without a
 * fraction), reals (float4/8, other numerics), booleans as 1/0 (true/false
 * with "b:"), JSON text, strings.
 */
#include "core/vb_common.h"
#include "core/vb_log.h"
#include "store/vb_db_pg_internal.h"

#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

/* Type OIDs (pg_type.h is a server header). */
enum {
    OID_BOOL = 16,
    OID_INT8 = 20,
    OID_INT2 = 21,
    OID_INT4 = 23,
    OID_OID = 26,
    OID_FLOAT4 = 700,
    OID_FLOAT8 = 701,
    OID_NUMERIC = 1700
};

enum vb_pg_kind { K_TEXT, K_INT, K_REAL, K_BOOL };

static enum vb_pg_kind kind_of(PGresult *res, int col, const char *v)
{
    switch (PQftype(res, col)) {
    case OID_INT8:
    case OID_INT2:
    case OID_INT4:
    case OID_OID:
        return K_INT;
    case OID_FLOAT4:
    case OID_FLOAT8:
        return K_REAL;
    case OID_BOOL:
        return K_BOOL;
    case OID_NUMERIC:
        return strpbrk(v, ".eE") ? K_REAL : K_INT;
    default:
        return K_TEXT;
    }
}

/* The alias prefix of a column name ('j', 'b', 't', 'x' or 0); *name is
 * advanced past it. */
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

static json_t *value_json(PGresult *res, int row, int col, char kind)
{
    if (PQgetisnull(res, row, col)) return json_null();
    const char *v = PQgetvalue(res, row, col);
    size_t n = (size_t)PQgetlength(res, row, col);
    enum vb_pg_kind k = kind_of(res, col, v);
    if (k == K_BOOL) return kind == 'b' ? json_boolean(v[0] == 't') : json_integer(v[0] == 't');
    if (kind == 'b') return json_boolean(k == K_INT ? strtoll(v, NULL, 10) != 0 : atof(v) != 0);
    if (kind == 't' && k == K_INT) {
        char iso[32];
        vb_iso8601((int64_t)strtoll(v, NULL, 10), iso);
        return json_string(iso);
    }
    if (kind == 'j') {
        json_error_t err;
        json_t *j = json_loadb(v, n, JSON_DECODE_ANY, &err);
        if (j) return j;
        vb_log(VB_LOG_WARN, "column %s holds invalid JSON: %s", PQfname(res, col), err.text);
        return json_null();
    }
    if (k == K_INT) return json_integer((json_int_t)strtoll(v, NULL, 10));
    if (k == K_REAL) return json_real(strtod(v, NULL));
    json_t *s = json_stringn(v, n);
    if (s) return s;
    vb_log(VB_LOG_WARN, "column %s is not valid UTF-8", PQfname(res, col));
    return json_null();
}

json_t *vb_pg_row_json(PGresult *res, int row)
{
    json_t *obj = json_object();
    if (!obj) return NULL;
    int n = PQnfields(res);
    for (int i = 0; i < n; i++) {
        const char *name = PQfname(res, i);
        char kind = name_kind(&name);
        json_t *v = value_json(res, row, i, kind);
        if (!v || json_object_set_new(obj, name, v) != 0) {
            json_decref(obj);
            return NULL;
        }
    }
    return obj;
}

static int text_sink(const char *buf, size_t size, void *data)
{
    vb_db_text *t = data;
    vb_db_text_put(t, buf, size);
    return t->oom ? -1 : 0;
}

/* Appends the JSON text of one value, as value_json + json_dumps would. */
static void value_text(vb_db_text *out, PGresult *res, int row, int col, char kind)
{
    if (PQgetisnull(res, row, col)) {
        vb_db_text_put(out, "null", 4);
        return;
    }
    const char *v = PQgetvalue(res, row, col);
    size_t n = (size_t)PQgetlength(res, row, col);
    enum vb_pg_kind k = kind_of(res, col, v);
    if (k == K_TEXT && kind == 0) {
        if (vb_db_text_str(out, v, n) != 0)
            vb_log(VB_LOG_WARN, "column %s is not valid UTF-8", PQfname(res, col));
        return;
    }
    if (k == K_INT && kind == 0) {
        vb_db_text_int(out, (int64_t)strtoll(v, NULL, 10));
        return;
    }
    if (k == K_INT && kind == 't') {
        vb_db_text_iso(out, (int64_t)strtoll(v, NULL, 10));
        return;
    }
    if (kind == 'j' && vb_db_text_json_raw_ok(v, n)) {
        vb_db_text_put(out, v, n);
        return;
    }
    json_t *j = value_json(res, row, col, kind);
    if (!j || json_dump_callback(j, text_sink, out, JSON_COMPACT | JSON_ENCODE_ANY) != 0)
        out->oom = 1;
    json_decref(j);
}

int vb_pg_rows_text(PGresult *res, vb_db_text *out, vb_db_text_hook fn, void *ud)
{
    int n = PQnfields(res), rows = PQntuples(res);
    char *kinds = malloc((size_t)n + 1);
    const char **names = malloc(sizeof *names * ((size_t)n + 1));
    if (!kinds || !names) {
        free(kinds);
        free(names);
        return VB_ENOMEM;
    }
    for (int i = 0; i < n; i++) {
        names[i] = PQfname(res, i);
        kinds[i] = name_kind(&names[i]);
    }
    vb_db_text_put(out, "[", 1);
    for (int r = 0; r < rows && !out->oom; r++) {
        vb_db_text_put(out, r ? ",{" : "{", r ? 2 : 1);
        for (int i = 0; i < n; i++) {
            if (i) vb_db_text_put(out, ",", 1);
            vb_db_text_str(out, names[i], strlen(names[i]));
            vb_db_text_put(out, ":", 1);
            if (kinds[i] == 'x' && fn) {
                int null = PQgetisnull(res, r, i);
                fn(out, names[i], null ? NULL : PQgetvalue(res, r, i),
                   null ? 0 : (size_t)PQgetlength(res, r, i), ud);
            } else
                value_text(out, res, r, i, kinds[i]);
        }
        vb_db_text_put(out, "}", 1);
    }
    vb_db_text_put(out, "]", 1);
    free(kinds);
    free(names);
    return out->oom ? VB_ENOMEM : 0;
}
