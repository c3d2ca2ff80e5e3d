/*
 * Refcounted immutable byte buffers: a broadcast is encoded once into a
 * vb_buf and queued by reference on every receiving connection. Loop thread
 * only (the count is not atomic).
 */
#ifndef VB_BUF_H
#define VB_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct vb_buf {
    uint32_t refs;
    size_t len;
    char data[]; /* len bytes, then a NUL not counted in len */
} vb_buf;

/* A new buffer of len bytes (contents uninitialised, NUL after), refs = 1. */
vb_buf *vb_buf_new(size_t len);
/* A new buffer holding a copy of data, refs = 1. */
vb_buf *vb_buf_copy(const void *data, size_t len);
static inline vb_buf *vb_buf_ref(vb_buf *b)
{
    b->refs++;
    return b;
}
/* Drops one reference; frees at zero. NULL is ignored. */
void vb_buf_unref(vb_buf *b);

#endif
