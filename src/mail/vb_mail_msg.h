/*
 * The MIME message builder: one mail as RFC 5322 text with a plain text and
 * an HTML part (multipart/alternative, each part UTF-8 in base64), the
 * headers Date, Message-ID, MIME-Version, From, To and Subject, and header
 * text that is not plain printable ASCII encoded as RFC 2047 encoded words
 * (so no value can inject a header). Pure functions, any thread.
 */
#ifndef VB_MAIL_MSG_H
#define VB_MAIL_MSG_H

#include <stddef.h>
#include <stdint.h>

typedef struct vb_mail_msg {
    const char *from;       /* "Display Name <addr@host>" or "addr@host" */
    const char *to_email;   /* addr@host */
    const char *to_name;    /* display name (UTF-8) or NULL */
    const char *subject;    /* UTF-8 */
    const char *text;       /* plain text part, UTF-8, '\n' line ends */
    const char *html;       /* HTML part, UTF-8 */
    const char *message_id; /* "id@host", without the angle brackets */
    int64_t date_ms;        /* the Date header, ms since the epoch */
} vb_mail_msg;

/* Longest header value accepted (subject, names), in bytes before encoding. */
#define VB_MAIL_HEADER_MAX 998

/* Builds the message with CRLF line ends. Returns malloc'd text (*len bytes,
 * NUL-terminated) or NULL when an address is not a plain addr-spec (no
 * spaces, controls, '<', '>', ',' or missing '@'), a value is too long, or
 * memory ran out. */
char *vb_mail_build(const vb_mail_msg *m, size_t *len);

/* Header text: s itself when it is printable ASCII without "=?", else
 * RFC 2047 "=?UTF-8?B?...?=" words of at most 75 characters, split between
 * UTF-8 characters and joined by CRLF SP (folding). Controls become spaces.
 * malloc'd; NULL on OOM. */
char *vb_mail_header_encode(const char *s);

/* The address of "Name <addr>" (or s itself) into out; 0, or -1 when it is
 * not a plain addr-spec or does not fit. */
int vb_mail_addr(const char *s, char *out, size_t outlen);

/* RFC 5322 date ("Sat, 05 Dec 2026 01:02:03 +0000") of ms, UTC, into out[40]. */
void vb_mail_date(int64_t ms, char out[40]);

#endif
