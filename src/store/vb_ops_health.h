#ifndef VB_OPS_HEALTH_H
#define VB_OPS_HEALTH_H

#include "store/vb_store.h"

/* Reads "SELECT 1"; result {db:"ok"}. */
int vb_op_health(vb_op_ctx *c);

#endif
