/*
 * The database handle that store operations use (store/ only).
 *
 * Statements use '?' placeholders bound from a format string: one character
 * per parameter:
 *   's' const char *  (NULL binds SQL NULL)
 *   'i' int64_t (pass exactly int64_t: cast plain ints, varargs do not convert)
 *   'd' double
 *   'j' json_t *      (string/integer/real/true/false/null bound as such; an
 *                       object or array is bound as its compact JSON text; NULL
 *                       pointer binds SQL NULL)
 *   'B' const void *, size_t   (two arguments: binary data bound as a BLOB,
 *                       BYTEA on PostgreSQL; a NULL pointer binds SQL NULL)
 * Rows come back as JSON objects keyed by column name (use SQL aliases for the
 * API's camelCase names). An alias prefix changes the conversion:
 *   "j:name" the text is parsed as JSON (NULL stays null)
 *   "b:name" the integer becomes true/false
 *   "t:name" an integer (ms since the epoch) becomes an ISO 8601 UTC string
 *            "YYYY-MM-DDTHH:MM:SS.mmmZ" (vb_iso8601); other values as usual
 * and the prefix is dropped from the key. Integers become JSON integers, reals
 * reals, text strings, NULL null.
 *
 * vb_db_rows_text() writes the same rows straight to JSON text, without a
 * jansson tree: byte for byte what json_dumps(JSON_COMPACT) would give for the
 * array vb_db_rows() returns (same escaping, number formats and key order), as
 * long as the column names of the query are distinct. "j:" text that is
 * already compact JSON (as SQLite's JSON functions and the store write it) is
 * copied as it is; anything else is re-encoded through jansson.
 *
 * Errors: VB_ECONFLICT for a UNIQUE/PRIMARY KEY violation, VB_EBUSY when the
 * database server cannot be reached (503 DATABASE_UNAVAILABLE), VB_EIO for
 * anything else (the SQL error is logged). Statements are prepared once and
 * cached per SQL text.
 *
 * Portable SQL. The same statement text runs on SQLite and PostgreSQL
 * (see ARCHITECTURE.md, "Writing portable SQL"):
 * - placeholders are plain '?' (never ?1); the PostgreSQL backend numbers
 *   them. A value used twice is bound twice.
 * - a list of values (ids) is bound as ONE 'j' parameter holding a JSON array
 *   and read through VB_IDS(?), a row source with the columns value (text)
 *   and idx (0-based position):
 *     ... WHERE id IN (SELECT value FROM VB_IDS(?) j)
 *     ... FROM VB_IDS(?) j WHERE NOT EXISTS (...)
 *   (SQLite: json_each; PostgreSQL: jsonb_array_elements_text).
 * - case-insensitive match: lower(col) = lower(?), lower(col) LIKE lower(?)
 *   ESCAPE '\', ORDER BY lower(col) (never COLLATE NOCASE, never a bare
 *   LIKE, which differs in case between the two).
 * - insert-if-absent: INSERT ... VALUES (...) ON CONFLICT DO NOTHING, or
 *   INSERT ... SELECT ... WHERE true ON CONFLICT DO NOTHING (the WHERE is
 *   SQLite's parsing rule). Never INSERT OR IGNORE / OR REPLACE.
 * - a JSON array of a subquery's values: COALESCE((SELECT VB_JSON_AGG(x) FROM
 *   (SELECT x ... ORDER BY x) s), '[]') (SQLite json_group_array,
 *   PostgreSQL json_agg); read it with a "j:" alias. A subquery in FROM
 *   always has an alias.
 * - the ids of a subtree: WITH RECURSIVE d(id) AS (SELECT ? UNION SELECT
 *   ...) SELECT id FROM d, collected with vb_db_ids(), then bound as a list.
 * - no json_each/json_group_array/scalar MAX(a,b) (use CASE), no typeof, no
 *   rowid; conditions are boolean expressions (x <> 0, not a bare integer);
 *   ORDER BY a nullable column says NULLS FIRST/LAST; times are integer ms.
 */
#ifndef VB_DB_H
#define VB_DB_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef struct vb_db vb_db;

/* A growing text buffer for JSON built on the store thread. Zero-initialise
 * it; once an append fails (out of memory) oom stays set and further appends
 * are no-ops, so callers check once at the end. data is NUL-terminated when
 * not NULL. Free with vb_db_text_free (or take data and free() it). */
typedef struct vb_db_text {
    char *data;
    size_t len, cap;
    int oom;
} vb_db_text;

/* Appends n bytes / a C string. */
void vb_db_text_put(vb_db_text *t, const char *s, size_t n);
void vb_db_text_puts(vb_db_text *t, const char *s);
/* Appends an integer in decimal. */
void vb_db_text_int(vb_db_text *t, int64_t v);
/* Appends s (n bytes, UTF-8) as a JSON string with json_dumps' escaping;
 * invalid UTF-8 gives null (as json_stringn refuses it). Returns 0, or -1
 * when null was written instead. */
int vb_db_text_str(vb_db_text *t, const char *s, size_t n);
/* Appends a real as json_dumps formats it ("%.17g", ".0" added when there is
 * neither '.' nor 'e'); a NaN or infinity gives null. */
void vb_db_text_real(vb_db_text *t, double v);
/* Appends ms as a quoted ISO 8601 string (same text as vb_iso8601). */
void vb_db_text_iso(vb_db_text *t, int64_t ms);
/* Frees the buffer and zeroes t. */
void vb_db_text_free(vb_db_text *t);

/* Runs a statement that returns no rows. */
int vb_db_exec(vb_db *db, const char *sql, const char *fmt, ...);
/* Runs a query; *rows receives a new array of row objects (possibly empty). */
int vb_db_rows(vb_db *db, json_t **rows, const char *sql, const char *fmt, ...);
/* Runs a query and appends its rows to out as a compact JSON array of objects
 * (see above). On error out may hold a partial array: discard it. Returns 0,
 * VB_ENOMEM (out->oom), VB_ECONFLICT or VB_EIO. */
int vb_db_rows_text(vb_db *db, vb_db_text *out, const char *sql, const char *fmt, ...);
/* A hook of vb_db_rows_text_hook: called for a column whose alias has the
 * prefix "x:", after its key was written, with the key (prefix dropped) and
 * the column's value as text (NULL for SQL NULL; n bytes). It writes the
 * value to out, or records out->len and leaves a gap to fill later (the
 * caller then splices the value in; until then out is not valid JSON). */
typedef void (*vb_db_text_hook)(vb_db_text *out, const char *key, const char *text, size_t n,
                                void *ud);
/* vb_db_rows_text, with the values of "x:" columns written by fn (ud passed
 * on). Same returns. */
int vb_db_rows_text_hook(vb_db *db, vb_db_text *out, vb_db_text_hook fn, void *ud, const char *sql,
                         const char *fmt, ...);
/* Runs a query; *row receives the first row as a new object, or NULL when there
 * is none (still returns 0). */
int vb_db_row(vb_db *db, json_t **row, const char *sql, const char *fmt, ...);
/* Runs a query whose first column of the first row is an integer; *out gets
 * it, or dflt when there is no row or the value is NULL. */
int vb_db_int(vb_db *db, int64_t *out, int64_t dflt, const char *sql, const char *fmt, ...);
/* Runs a query and collects the first column of every row into *ids, a new
 * JSON array (for a list parameter, VB_IDS(?)). */
int vb_db_ids(vb_db *db, json_t **ids, const char *sql, const char *fmt, ...);
/* Runs a query whose first column of the first row is binary (a BLOB, see
 * 'B'); *data gets a malloc'd copy (free it) and *len its size, or NULL and 0
 * when there is no row or the value is NULL. 0, VB_ENOMEM or VB_EIO. */
int vb_db_blob(vb_db *db, void **data, size_t *len, const char *sql, const char *fmt, ...);
/* Rows changed by the last exec. */
int64_t vb_db_changes(vb_db *db);
/* Runs a script of several statements without parameters (migrations). */
int vb_db_script(vb_db *db, const char *sql);

#endif
