/*
 * Socket.IO 5 packet codec (no I/O): the default parser's text format
 *   <type>[<attachments>-][<nsp>,][<ack id>][<JSON payload>]
 * with strict validation, plus the JSON helpers the server needs to relay
 * arguments byte for byte (raw slices instead of re-serialised values).
 */
#ifndef VB_SIO_PACKET_H
#define VB_SIO_PACKET_H

#include "rt/vb_eio_packet.h"

#include <stddef.h>
#include <stdint.h>

enum vb_sio_type {
    VB_SIO_CONNECT = 0,
    VB_SIO_DISCONNECT = 1,
    VB_SIO_EVENT = 2,
    VB_SIO_ACK = 3,
    VB_SIO_CONNECT_ERROR = 4,
    VB_SIO_BINARY_EVENT = 5,
    VB_SIO_BINARY_ACK = 6,
};

#define VB_SIO_MAX_ATTACHMENTS 64            /* more in one packet is invalid */
#define VB_SIO_MAX_NSP 256                   /* longer namespace names are invalid */
#define VB_SIO_MAX_DEPTH 64                  /* deeper JSON nesting is invalid */
#define VB_SIO_MAX_ACK_ID 9007199254740991LL /* 2^53 - 1 */

typedef struct vb_sio_packet {
    int type;           /* enum vb_sio_type */
    size_t attachments; /* binary types only (>= 1), else 0 */
    const char *nsp;    /* points into the input, or to "/" when absent */
    size_t nsp_len;
    int64_t id;       /* ack id, or -1 */
    const char *data; /* raw JSON payload inside the input, or NULL */
    size_t data_len;
} vb_sio_packet;

/*
 * Decodes and validates one packet (the text after the Engine.IO "4").
 * Rules: type 0..6; binary types need "<n>-" with 1 <= n <= MAX_ATTACHMENTS;
 * the payload must be valid JSON of the right shape: CONNECT an object or
 * nothing, DISCONNECT nothing, EVENT a non-empty array whose first element
 * is a string, ACK an array, CONNECT_ERROR an object or string; in binary
 * packets every {"_placeholder":true,"num":N} must have 0 <= N < n.
 * Returns 0 or VB_EBADREQ. Pointers in *out borrow from s.
 */
int vb_sio_packet_decode(const char *s, size_t len, vb_sio_packet *out);

/*
 * Appends an encoded packet to sb: type, "<attachments>-" for binary types,
 * "<nsp>," unless nsp is NULL or "/", the ack id if id >= 0, then data
 * (raw JSON, may be NULL). 0 or VB_ENOMEM.
 */
int vb_sio_packet_encode(vb_eio_sb *sb, int type, const char *nsp, int64_t id, size_t attachments,
                         const char *data, size_t data_len);

/* Validates one JSON text (any value, surrounding whitespace allowed).
 * 0 or VB_EBADREQ. */
int vb_sio_json_valid(const char *s, size_t len);

/*
 * Splits an EVENT payload (a valid JSON array, first element a string):
 * *name gets the decoded event name (malloc'd, caller frees) and *rest/
 * *rest_len the raw text of the remaining elements (between the comma after
 * the name and the closing bracket, possibly empty). 0, VB_EBADREQ (not such
 * an array, or a name with a NUL) or VB_ENOMEM.
 */
int vb_sio_event_split(const char *data, size_t len, char **name, const char **rest,
                       size_t *rest_len);

/* The raw text between the brackets of a JSON array text ("[1,2]" -> "1,2"),
 * surrounding whitespace removed. 0 or VB_EBADREQ if s is not an array. */
int vb_sio_array_inner(const char *s, size_t len, const char **inner, size_t *inner_len);

/* Appends an EVENT-style array: ["<name>",<inner>] where inner is the raw
 * text of further elements (may be empty). name may be NULL (ACK arrays:
 * "[<inner>]"). 0 or VB_ENOMEM. */
int vb_sio_args_encode(vb_eio_sb *sb, const char *name, const char *inner, size_t inner_len);

#endif
