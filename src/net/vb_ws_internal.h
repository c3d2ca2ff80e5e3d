/*
 * Internals of the WebSocket module shared by vb_ws.c (handshake, output,
 * closing), vb_ws_in.c (the input path through wslay) and vb_ws_frame.c
 * (frame encoding, frame header decoding and UTF-8 validation).
 */
#ifndef VB_WS_INTERNAL_H
#define VB_WS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <wslay/wslay.h>

#include "net/vb_stream.h"
#include "net/vb_ws.h"

struct vb_ws {
    vb_stream *s;
    wslay_event_context_ptr ctx; /* NULL while wslay holds no state (see vb_ws_in.c) */
    vb_ws_handlers h;
    void *ud;
    const char *in; /* the bytes being fed (valid during wslay_event_recv) */
    size_t in_len;
    size_t max_message;
    /* An incomplete small frame (or frame header): part[0..part_len) of
     * part_cap; part_need is its full size once the header is known, else 0. */
    unsigned char *part;
    uint32_t part_len, part_need, part_cap;
    uint64_t fwd;          /* bytes of a large frame still to be fed to wslay */
    uint64_t frag_len;     /* payload bytes of the open fragmented message */
    unsigned char frag;    /* a fragmented data message is open (at wslay) */
    unsigned char raw;     /* a header wslay refuses was seen: all input goes to wslay */
    unsigned char closing; /* no more input is parsed and no more frames are sent */
    int close_code;        /* 0 until a close frame was received or sent */
};

/* The stream's on_data for a WebSocket (vb_ws_in.c): runs the input
 * through wslay. ud is the vb_ws. */
void vb_ws_in_data(vb_stream *s, const char *data, size_t len, void *ud);

/* The longest frame header: 2 bytes, a 64-bit length and a masking key. */
#define VB_WS_MAX_HEADER 14

/* A decoded frame header. */
typedef struct vb_ws_hdr {
    int fin;
    int opcode;
    size_t hlen;   /* header bytes (masking key included) */
    uint64_t plen; /* payload bytes */
} vb_ws_hdr;

/* Outcome of vb_ws_hdr_decode. */
enum vb_ws_hdr_rc {
    VB_WS_HDR_BAD = -1,     /* a header wslay refuses (see vb_ws_hdr_decode) */
    VB_WS_HDR_PARTIAL = 0,  /* more bytes are needed */
    VB_WS_HDR_COMPLETE = 1, /* *h is filled */
};

/* Length of the header whose first two bytes are h[0..2) (masked or not). */
size_t vb_ws_hdr_len(const unsigned char *h);
/*
 * Decodes the client frame header at p[0..n). Returns VB_WS_HDR_COMPLETE,
 * VB_WS_HDR_PARTIAL, or VB_WS_HDR_BAD for a header that wslay's server side
 * refuses on its own: reserved bits set, an unknown opcode, no mask, a
 * fragmented control frame or one over 125 bytes, or a length that is not
 * minimally encoded or has its top bit set. (Whether a continuation is
 * expected is the caller's concern.)
 */
int vb_ws_hdr_decode(const unsigned char *p, size_t n, vb_ws_hdr *h);
/* 1 if p[0..len) is valid UTF-8 (no overlong forms, surrogates or code
 * points above U+10FFFF). */
int vb_ws_utf8_ok(const unsigned char *p, size_t len);

#endif
