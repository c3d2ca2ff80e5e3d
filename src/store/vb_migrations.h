/* Versioned schema migrations, applied in order at open (see vb_store_open). */
#ifndef VB_MIGRATIONS_H
#define VB_MIGRATIONS_H

typedef struct vb_migration {
    int version; /* 1, 2, 3, ... with no gaps */
    const char *name;
    const char *sql; /* a script of statements, run in one transaction */
} vb_migration;

/* SQLite's list (vb_migrations.c) and PostgreSQL's (vb_migrations_pg.c):
 * the same versions and schema, each in its own dialect. A migration added to
 * one is added to the other with the same version. */
extern const vb_migration vb_migrations[];
extern const int vb_migrations_count;
extern const vb_migration vb_migrations_pg[];
extern const int vb_migrations_pg_count;

#endif
