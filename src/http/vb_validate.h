/*
 * Declared schemas for bodies and query strings, checked before a handler
 * runs. The same declarations feed the OpenAPI document (vb_openapi.h).
 */
#ifndef VB_VALIDATE_H
#define VB_VALIDATE_H

#include <jansson.h>
#include <stddef.h>

typedef enum vb_ftype {
    VB_F_STRING,       /* min/max: length in characters (UTF-8 code points) */
    VB_F_INT,          /* min/max: inclusive range (query strings are coerced) */
    VB_F_NUMBER,       /* min/max: inclusive range */
    VB_F_BOOL,         /* query strings "true"/"false" are coerced */
    VB_F_ENUM,         /* a string among values[] */
    VB_F_STRING_ARRAY, /* array of strings; min/max: item count; format applies to items */
} vb_ftype;

typedef enum vb_fformat {
    VB_FMT_NONE,
    VB_FMT_EMAIL,        /* local@domain.tld, no spaces, <= 254 chars */
    VB_FMT_ID,           /* vb_id shape */
    VB_FMT_PROJECT_KEY,  /* ^[A-Z][A-Z0-9]{1,9}$ */
    VB_FMT_COLOR,        /* ^#[0-9A-Fa-f]{6}$ */
    VB_FMT_SLUG,         /* ^[a-z0-9]+(-[a-z0-9]+)*$ */
    VB_FMT_CHANNEL_NAME, /* ^[a-z0-9-]+$ */
    VB_FMT_DATETIME,     /* ISO 8601 date or date-time (YYYY-MM-DD[THH:MM[:SS[.fff]][Z|+HH:MM]]) */
    VB_FMT_URL,          /* http:// or https:// followed by at least one character, no spaces */
} vb_fformat;

typedef struct vb_field {
    const char *name;
    vb_ftype type;
    int required;    /* must be present (for PATCH bodies, leave 0) */
    int nullable;    /* JSON null accepted */
    double min, max; /* 0,0 means no bound */
    vb_fformat format;
    const char *const *values; /* VB_F_ENUM: NULL-terminated list */
    const char *description;   /* for OpenAPI */
    int no_trim;               /* keep surrounding whitespace (passwords) */
} vb_field;

typedef struct vb_schema {
    const vb_field *fields;
    size_t nfields;
    int min_props; /* e.g. 1 for PATCH: at least one known field */
} vb_schema;

#define VB_SCHEMA(arr)                                                                             \
    {                                                                                              \
        arr, sizeof(arr) / sizeof((arr)[0]), 0                                                     \
    }
#define VB_SCHEMA_PATCH(arr)                                                                       \
    {                                                                                              \
        arr, sizeof(arr) / sizeof((arr)[0]), 1                                                     \
    }

/*
 * Checks obj (must be a JSON object, else one error for field "body") against
 * s. An unknown field is an error naming it (never ignored). Strings are trimmed of
 * surrounding whitespace unless the field says no_trim. Each failure appends {field, message} to
 * errors. Returns the number of failures (0 = valid).
 */
int vb_validate_body(const vb_schema *s, json_t *obj, json_t *errors);
/*
 * Parses a raw query string against s into *out (a new object with typed
 * values; absent optional fields are left out). Unknown parameters are
 * ignored. Same error convention as vb_validate_body.
 */
int vb_validate_query(const vb_schema *s, const char *query, json_t **out, json_t *errors);
/* The format checks, exposed for reuse and tests: 1 if valid. */
int vb_format_ok(vb_fformat f, const char *s);

#endif
