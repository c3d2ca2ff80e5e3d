/* Shared definitions for every layer: error codes and small macros. */
#ifndef VB_COMMON_H
#define VB_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* Errors are negative ints; 0 is success. Every layer uses these. */
enum vb_err {
    VB_OK = 0,
    VB_ENOMEM = -1,     /* allocation failed */
    VB_EINVAL = -2,     /* bad argument or validation failure (HTTP 422) */
    VB_ENOTFOUND = -3,  /* unknown object or not visible to the caller (404) */
    VB_EFORBIDDEN = -4, /* visible but not allowed (403) */
    VB_ECONFLICT = -5,  /* uniqueness or state conflict (409) */
    VB_EUNAUTH = -6,    /* no or bad credentials (401) */
    VB_EIO = -7,        /* database or socket failure (500) */
    VB_ETOOBIG = -8,    /* over a named limit (413) */
    VB_EBUSY = -9,      /* shutting down or queue full (503) */
    VB_ERATE = -10,     /* rate limited (429) */
    VB_EBADREQ = -11,   /* malformed request (400) */
};

#define VB_CONTAINER_OF(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))
#define VB_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Monotonic clock in nanoseconds and wall clock in milliseconds since the epoch. */
uint64_t vb_now_ns(void);
/* The monotonic clock in milliseconds. */
uint64_t vb_now_ms(void);
/* Gives the allocator's free memory back to the system (glibc keeps freed
 * pages inside its heaps otherwise); a no-op elsewhere. Takes about a
 * millisecond per few tens of MB of heap: for after a burst, not per call. */
void vb_mem_trim(void);
int64_t vb_wall_ms(void);
/* Formats a wall-clock millisecond time as ISO 8601 UTC ("2026-11-27T18:00:00.000Z") into out[32].
 */
void vb_iso8601(int64_t ms, char out[32]);

#endif
