/*
 * The migration runner: brings a database up to the schema of this binary by
 * applying the pending entries of vb_migrations (vb_migrations.c) in order,
 * each in its own transaction, and records them in schema_migrations.
 */
#include "core/vb_common.h"
#include "core/vb_log.h"
#include "store/vb_db_backend.h"
#include "store/vb_db_internal.h"
#include "store/vb_migrations.h"

static const char k_create[] = "CREATE TABLE IF NOT EXISTS schema_migrations ("
                               "  version INTEGER PRIMARY KEY,"
                               "  name TEXT NOT NULL,"
                               "  applied_at BIGINT NOT NULL)";
static const char k_current[] = "SELECT max(version) FROM schema_migrations";
static const char k_record[] =
    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)";

/*
 * Applies migration m in one IMMEDIATE transaction. The current version is
 * read again inside the transaction, so that of two processes starting on the
 * same file only one applies it. 0 or VB_EIO (logged; rolled back).
 */
static int apply_one(vb_db *db, const vb_migration *m)
{
    int64_t cur = 0;
    int err = vb_db_begin(db, 1);
    if (err) goto fail;
    err = vb_db_int(db, &cur, 0, k_current, NULL);
    if (err) goto fail;
    if (cur >= m->version) return vb_db_commit(db) ? VB_EIO : 0;
    err = vb_db_script(db, m->sql);
    if (err) goto fail;
    err = vb_db_exec(db, k_record, "isi", (int64_t)m->version, m->name, vb_wall_ms());
    if (err) goto fail;
    err = vb_db_commit(db);
    if (err) goto fail;
    vb_log(VB_LOG_INFO, "applied migration %d (%s)", m->version, m->name);
    return 0;
fail:
    vb_db_rollback(db);
    vb_log(VB_LOG_ERROR, "migration %d (%s) failed", m->version, m->name);
    return VB_EIO;
}

int vb_migrate_run(vb_db *db, int *version)
{
    const vb_migration *list = db->be->migrations;
    int known = *db->be->migrations_count;
    for (int i = 0; i < known; i++) {
        if (list[i].version != i + 1) {
            vb_log(VB_LOG_ERROR, "migration list is not 1..n: entry %d has version %d", i,
                   list[i].version);
            return VB_EIO;
        }
    }
    if (vb_db_exec(db, k_create, NULL) != 0) return VB_EIO;
    int64_t cur = 0;
    if (vb_db_int(db, &cur, 0, k_current, NULL) != 0) return VB_EIO;
    if (cur > known) {
        vb_log(VB_LOG_ERROR,
               "database schema version %lld is newer than this binary knows (%d); "
               "refusing to start",
               (long long)cur, known);
        return VB_EIO;
    }
    for (int i = (int)cur; i < known; i++)
        if (apply_one(db, &list[i]) != 0) return VB_EIO;
    if (vb_db_int(db, &cur, 0, k_current, NULL) != 0) return VB_EIO;
    *version = (int)cur;
    return 0;
}
