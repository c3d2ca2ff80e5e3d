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
 * Rows come back as JSON objects keyed by column name (use SQL aliases for the
 * API's camelCase names). An alias prefix changes the conversion:
 *   "j:name" the text is parsed as JSON (NULL stays null)
 *   "b:name" the integer becomes true/false
 * and the prefix is dropped from the key. Integers become JSON integers, reals
 * reals, text strings, NULL null.
 *
 * Errors: VB_ECONFLICT for a UNIQUE/PRIMARY KEY violation, VB_EIO for anything
 * else (the SQL error is logged). Statements are prepared once and cached per
 * SQL text.
 */
#ifndef VB_DB_H
#define VB_DB_H

#include <jansson.h>
#include <stdint.h>

typedef struct vb_db vb_db;

/* Runs a statement that returns no rows. */
int vb_db_exec(vb_db *db, const char *sql, const char *fmt, ...);
/* Runs a query; *rows receives a new array of row objects (possibly empty). */
int vb_db_rows(vb_db *db, json_t **rows, const char *sql, const char *fmt, ...);
/* Runs a query; *row receives the first row as a new object, or NULL when there
 * is none (still returns 0). */
int vb_db_row(vb_db *db, json_t **row, const char *sql, const char *fmt, ...);
/* Runs a query whose first column of the first row is an integer; *out gets
 * it, or dflt when there is no row or the value is NULL. */
int vb_db_int(vb_db *db, int64_t *out, int64_t dflt, const char *sql, const char *fmt, ...);
/* Rows changed by the last exec. */
int64_t vb_db_changes(vb_db *db);
/* Runs a script of several statements without parameters (migrations). */
int vb_db_script(vb_db *db, const char *sql);

#endif
