/* Test databases on SQLite or PostgreSQL (see vb_test_db.h). */
#include "support/vb_test_db.h"

#include "core/vb_id.h"
#include "store/vb_db_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *pg_base(void)
{
    const char *u = getenv("VIBED_TEST_PG_URL");
    return u && *u ? u : NULL;
}

int vbt_db_is_pg(void)
{
    return pg_base() != NULL;
}

/* Runs one statement outside a transaction on the base database. */
static int on_base(const char *sql)
{
    vb_db *db = NULL;
    if (vb_db_open_pg(&db, pg_base()) != 0) return -1;
    int rc = vb_db_script(db, sql);
    vb_db_close(db);
    return rc ? -1 : 0;
}

int vbt_db_create(vbt_db *d)
{
    memset(d, 0, sizeof *d);
    const char *base = pg_base();
    if (!base) {
        snprintf(d->url, sizeof d->url, "sqlite::memory:");
        return 0;
    }
    char id[VB_ID_LEN + 1];
    vb_id_new(id);
    snprintf(d->name, sizeof d->name, "vibed_u_%s", id);
    char sql[256];
    snprintf(sql, sizeof sql,
             "CREATE DATABASE %s TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'",
             d->name);
    if (on_base(sql) != 0) {
        fprintf(stderr, "test: cannot create database %s\n", d->name);
        return -1;
    }
    /* The base URL with its path (the database) replaced: scheme://authority/name?query */
    const char *auth = strstr(base, "://");
    auth = auth ? auth + 3 : base;
    size_t head = strcspn(auth, "/?") + (size_t)(auth - base);
    const char *query = strchr(base + head, '?');
    snprintf(d->url, sizeof d->url, "%.*s/%s%s", (int)head, base, d->name, query ? query : "");
    return 0;
}

void vbt_db_drop(vbt_db *d)
{
    if (!d->name[0]) return;
    char sql[128];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", d->name);
    on_base(sql);
    d->name[0] = '\0';
}
