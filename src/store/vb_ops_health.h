#ifndef VB_OPS_HEALTH_H
#define VB_OPS_HEALTH_H

#include "store/vb_store.h"

/* Reads "SELECT 1"; result {db:"ok"}. */
int vb_op_health(vb_op_ctx *c);

/* Result {users: N}: how many users exist (the demo seed runs only on an empty database). */
int vb_op_user_count(vb_op_ctx *c);

#endif
