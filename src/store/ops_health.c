/* The health check's database probe. */
#include "core/vb_common.h"
#include "store/vb_db.h"
#include "store/vb_ops_health.h"

int vb_op_health(vb_op_ctx *c)
{
    int64_t one = 0;
    int rc = vb_db_int(c->db, &one, 0, "SELECT 1", "");
    if (rc || one != 1)
        return vb_op_fail(c, rc ? rc : VB_EIO, "DATABASE_DOWN", "database check failed");
    c->result = json_pack("{s:s}", "db", "ok");
    return 0;
}

int vb_op_user_count(vb_op_ctx *c)
{
    int64_t n = 0;
    int rc = vb_db_int(c->db, &n, 0, "SELECT COUNT(*) FROM users", "");
    if (rc) return vb_op_fail(c, rc, "DATABASE_ERROR", "cannot count users");
    c->result = json_pack("{s:I}", "users", (json_int_t)n);
    return 0;
}
