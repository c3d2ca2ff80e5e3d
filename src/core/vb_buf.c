/*
 * Refcounted immutable byte buffers (see vb_buf.h): one allocation holding
 * the header, the bytes and a trailing NUL.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/vb_buf.h"

vb_buf *vb_buf_new(size_t len)
{
    if (len > SIZE_MAX - sizeof(vb_buf) - 1) return NULL;
    vb_buf *b = malloc(sizeof(*b) + len + 1);
    if (!b) return NULL;
    b->refs = 1;
    b->len = len;
    b->data[len] = '\0';
    return b;
}

vb_buf *vb_buf_copy(const void *data, size_t len)
{
    vb_buf *b = vb_buf_new(len);
    if (b && len) memcpy(b->data, data, len);
    return b;
}

void vb_buf_unref(vb_buf *b)
{
    if (!b) return;
    if (--b->refs == 0) free(b);
}
