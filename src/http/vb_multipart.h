/*
 * An incremental multipart/form-data parser (RFC 7578, RFC 2046): bytes are
 * fed as they arrive, in pieces of any size (a delimiter may be split
 * anywhere); each part's headers are collected (bounded) and parsed, its
 * content is handed on as it is found, never buffered whole. Every size a
 * peer controls has a limit: parts, header bytes per part, name and file
 * name length, boundary length (RFC 2046: at most 70).
 */
#ifndef VB_MULTIPART_H
#define VB_MULTIPART_H

#include <stddef.h>

#define VB_MULTIPART_MAX_BOUNDARY 70

typedef struct vb_multipart vb_multipart;

enum vb_multipart_err {
    VB_MP_OK = 0,
    VB_MP_EBOUNDARY = 1,   /* no opening delimiter, or bad text after one */
    VB_MP_EHEADER = 2,     /* a part's headers are malformed or lack form-data */
    VB_MP_EHEADERSIZE = 3, /* a part's headers (or the preamble) are too long */
    VB_MP_EPARTS = 4,      /* more parts than allowed */
    VB_MP_ENAME = 5,       /* a name, file name or content type too long */
    VB_MP_ETRUNCATED = 6,  /* the body ended before the closing delimiter */
    VB_MP_EABORT = 7,      /* a callback stopped parsing */
    VB_MP_ENOMEM = 8,
};

typedef struct vb_multipart_limits {
    size_t max_parts;        /* default 4 */
    size_t max_header_bytes; /* per part, and for the preamble; default 8192 */
    size_t max_name;         /* field name bytes; default 100 */
    size_t max_filename;     /* file name bytes (UTF-8); default 255 */
} vb_multipart_limits;

void vb_multipart_limits_default(vb_multipart_limits *l);

/* One part as its headers describe it (strings valid during the call). */
typedef struct vb_multipart_part {
    const char *name;         /* the form field's name ("" if none was given) */
    const char *filename;     /* NULL when the part is not a file; filename* (UTF-8) wins */
    const char *content_type; /* NULL when absent */
} vb_multipart_part;

/* Callbacks; each returns 0 to go on, nonzero to stop (VB_MP_EABORT). */
typedef struct vb_multipart_cbs {
    int (*on_part)(const vb_multipart_part *part, void *ud);
    int (*on_data)(const char *data, size_t len, void *ud);
    int (*on_part_end)(void *ud);
} vb_multipart_cbs;

/*
 * Takes the boundary out of a Content-Type value ("multipart/form-data;
 * boundary=..." , quoted or not) into out (room for
 * VB_MULTIPART_MAX_BOUNDARY + 1). Returns 0, or -1 when the type is not
 * multipart/form-data or the boundary is missing, empty, too long or has
 * characters RFC 2046 does not allow.
 */
int vb_multipart_boundary(const char *content_type, char *out);

/* A parser for boundary (a valid one, see above); limits may be NULL for the
 * defaults, cbs is borrowed. NULL when out of memory. */
vb_multipart *vb_multipart_new(const char *boundary, const vb_multipart_limits *limits,
                               const vb_multipart_cbs *cbs, void *ud);
void vb_multipart_free(vb_multipart *mp);
/* Feeds len bytes. Returns VB_MP_OK or an error (sticky: later feeds return
 * it again). Bytes after the closing delimiter (the epilogue) are ignored. */
int vb_multipart_feed(vb_multipart *mp, const char *data, size_t len);
/* The body is over: VB_MP_OK when the closing delimiter was seen, else the
 * sticky error or VB_MP_ETRUNCATED. */
int vb_multipart_finish(vb_multipart *mp);
/* Number of parts begun so far. */
size_t vb_multipart_parts(const vb_multipart *mp);
/* A short English description of an error. */
const char *vb_multipart_strerror(int err);

#endif
