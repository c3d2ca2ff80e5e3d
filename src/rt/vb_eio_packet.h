/*
 * Engine.IO 4 packet and HTTP long-polling payload codec (no I/O).
 *
 * A packet is "<type digit>[data]" as text; a binary packet is a message whose
 * data are raw bytes (a WebSocket binary frame, or "b<base64>" inside a
 * polling payload). A polling payload joins packets with the record separator
 * 0x1e.
 */
#ifndef VB_EIO_PACKET_H
#define VB_EIO_PACKET_H

#include <stddef.h>

enum vb_eio_type {
    VB_EIO_OPEN = 0,
    VB_EIO_CLOSE = 1,
    VB_EIO_PING = 2,
    VB_EIO_PONG = 3,
    VB_EIO_MESSAGE = 4,
    VB_EIO_UPGRADE = 5,
    VB_EIO_NOOP = 6,
};

#define VB_EIO_SEP '\x1e'

/* A growable byte string (used for payloads and encoders). Zero-initialise.
 * p is NUL-terminated after every successful append. */
typedef struct vb_eio_sb {
    char *p;
    size_t len, cap;
} vb_eio_sb;

/* Appends n bytes (d NULL: reserves n uninitialised bytes). 0 or VB_ENOMEM. */
int vb_eio_sb_append(vb_eio_sb *sb, const void *d, size_t n);
/* Appends a NUL-terminated string. 0 or VB_ENOMEM. */
int vb_eio_sb_puts(vb_eio_sb *sb, const char *s);
/* Frees the storage and zeroes sb. */
void vb_eio_sb_free(vb_eio_sb *sb);

typedef struct vb_eio_packet {
    int type;         /* enum vb_eio_type */
    int binary;       /* 1: a message whose data are raw bytes */
    const char *data; /* borrowed (see the decoders) */
    size_t len;
} vb_eio_packet;

/* Decodes one text packet ("4hello", "2probe", "6"): data points into s.
 * Returns 0, or VB_EBADREQ if s is empty or the type is not 0..6. */
int vb_eio_packet_decode(const char *s, size_t len, vb_eio_packet *out);

/* A decoded polling payload: n packets; text data point into the decoded
 * body, binary data into storage owned by the payload. */
typedef struct vb_eio_payload {
    vb_eio_packet *pk;
    size_t n;
    char *bin; /* owned storage for base64-decoded packets */
} vb_eio_payload;

/* Decodes a polling payload (packets separated by 0x1e, binary ones as
 * "b"+base64). Every packet is validated before any is returned. body must
 * outlive the payload. Returns 0, VB_EBADREQ (empty body, empty packet, bad
 * type or bad base64) or VB_ENOMEM; *out is empty on error. */
int vb_eio_payload_decode(const char *body, size_t len, vb_eio_payload *out);
void vb_eio_payload_free(vb_eio_payload *p);

/* Appends one packet to a payload being built (a separator first unless sb is
 * empty). A binary packet (type must be VB_EIO_MESSAGE) is written as
 * "b"+base64(data); a text packet as the type digit then data.
 * 0 or VB_ENOMEM. */
int vb_eio_payload_append(vb_eio_sb *sb, int type, int binary, const void *data, size_t len);
/* Appends an already encoded text packet ("4..."), with a separator first
 * unless sb is empty. 0 or VB_ENOMEM. */
int vb_eio_payload_append_raw(vb_eio_sb *sb, const void *pkt, size_t len);

#endif
