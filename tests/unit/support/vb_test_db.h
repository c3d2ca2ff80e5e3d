/*
 * The database of a store test: SQLite in memory by default, or, when the
 * environment names a PostgreSQL server (VIBED_TEST_PG_URL, a postgres://
 * URL where the user may create databases), a fresh database on it for each
 * fixture, dropped when the fixture closes.
 */
#ifndef VB_TEST_DB_H
#define VB_TEST_DB_H

#include <stddef.h>

/* A test database: url to give vb_store_open, and name (empty for SQLite). */
typedef struct vbt_db {
    char url[1024];
    char name[64];
} vbt_db;

/* 1 when the tests run on PostgreSQL. */
int vbt_db_is_pg(void);
/* Makes a new test database (SQLite: "sqlite::memory:"). 0 or -1 (logged). */
int vbt_db_create(vbt_db *d);
/* Drops a database made by vbt_db_create (nothing for SQLite). */
void vbt_db_drop(vbt_db *d);

#endif
