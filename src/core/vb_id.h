/*
 * Opaque, URL-safe, time-ordered identifiers.
 *
 * An id is 20 characters of the alphabet 0-9 a-z minus (i l o u) (Crockford
 * base32, lower case): 10 characters of milliseconds since the epoch, then 10
 * characters (50 bits) of a counter seeded at random for each millisecond. Ids
 * made by one process sort in creation order as plain strings (strcmp), so
 * they double as pagination cursors. Thread-safe.
 */
#ifndef VB_ID_H
#define VB_ID_H

#include <stddef.h>
#include <stdint.h>

#define VB_ID_LEN 20

/* Writes a new id and a terminating NUL into out[VB_ID_LEN + 1]. */
void vb_id_new(char out[VB_ID_LEN + 1]);
/* 1 if s has the shape of an id (length and alphabet), else 0. */
int vb_id_valid(const char *s);
/* The millisecond timestamp inside a valid id. */
int64_t vb_id_time_ms(const char *id);

#endif
