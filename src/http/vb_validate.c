/*
 * Body and query-string validation against the declared schemas of
 * vb_validate.h. Format checks live in vb_validate_fmt.c.
 *
 * Bounds: min/max of 0,0 means no bound. Otherwise min is always a lower
 * bound, and max is an upper bound unless it is 0 while min is positive
 * (so {min 1, max 0} reads "at least 1", the natural meaning for strings).
 */
#include "http/vb_validate.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Appends {field, message} to errors (if non-NULL) and returns 1, so callers
 * can count failures with `n += fail(...)`. */
static int fail(json_t *errors, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(json_t *errors, const char *field, const char *fmt, ...)
{
    char msg[256];
    va_list ap;

    if (!errors) return 1;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_array_append_new(errors, json_pack("{s:s, s:s}", "field", field, "message", msg));
    return 1;
}

static int has_min(const vb_field *f)
{
    return f->min != 0 || f->max != 0;
}

static int has_max(const vb_field *f)
{
    return f->max != 0 || f->min < 0;
}

/*
 * Counts the code points of s[0..len) if it is valid UTF-8 (shortest forms
 * only, no surrogates, nothing above U+10FFFF, no NUL bytes); -1 otherwise.
 */
static long utf8_count(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    long n = 0;

    while (p < end) {
        unsigned c = *p;
        size_t k;
        unsigned cp;
        if (c == 0) return -1;
        if (c < 0x80) {
            p++, n++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            k = 1, cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            k = 2, cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            k = 3, cp = c & 0x07;
        } else {
            return -1;
        }
        if ((size_t)(end - p) <= k) return -1;
        for (size_t i = 1; i <= k; i++) {
            if ((p[i] & 0xc0) != 0x80) return -1;
            cp = (cp << 6) | (p[i] & 0x3f);
        }
        if ((k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return -1;
        p += k + 1;
        n++;
    }
    return n;
}

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/*
 * Checks one string (a string field, an enum value or, with is_item, item
 * idx of a string array) and trims it: *v may be replaced by a new trimmed
 * string (the old reference is released). Returns the number of failures
 * (0 or 1).
 */
static int check_string(const vb_field *f, json_t **v, json_t *errors, int is_item, size_t idx)
{
    const char *s = json_string_value(*v);
    size_t len = json_string_length(*v), a = 0, b = len;
    char what[32] = "";
    long n;

    if (is_item) snprintf(what, sizeof what, "item %zu ", idx + 1);
    n = utf8_count(s, len);
    if (n < 0) return fail(errors, f->name, "%smust be valid UTF-8 text", what);
    while (!f->no_trim && a < b && is_ws(s[a]))
        a++;
    while (!f->no_trim && b > a && is_ws(s[b - 1]))
        b--;
    if (a != 0 || b != len) {
        json_t *t = json_stringn(s + a, b - a);
        if (!t) return fail(errors, f->name, "%scould not be processed", what);
        json_decref(*v);
        *v = t;
        s = json_string_value(t);
        len = b - a;
        n = utf8_count(s, len);
    }
    if (f->type == VB_F_ENUM) {
        for (size_t i = 0; f->values && f->values[i]; i++)
            if (strcmp(f->values[i], s) == 0) return 0;
        char list[200] = "";
        for (size_t i = 0; f->values && f->values[i]; i++) {
            size_t used = strlen(list);
            snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", f->values[i]);
        }
        return fail(errors, f->name, "must be one of: %s", list);
    }
    if (f->type == VB_F_STRING) {
        if (has_min(f) && n < f->min)
            return fail(errors, f->name, "must be at least %.0f characters", f->min);
        if (has_max(f) && n > f->max)
            return fail(errors, f->name, "must be at most %.0f characters", f->max);
    }
    if (f->format != VB_FMT_NONE && !vb_format_ok(f->format, s)) {
        static const char *const msgs[] = {
            [VB_FMT_NONE] = "is invalid",
            [VB_FMT_EMAIL] = "must be a valid email address",
            [VB_FMT_ID] = "must be a valid id",
            /* One message split over two lines, not two entries. */
            // NOLINTNEXTLINE(bugprone-suspicious-missing-comma)
            [VB_FMT_PROJECT_KEY] = "must be 2 to 10 upper-case letters or digits, "
                                   "starting with a letter",
            [VB_FMT_COLOR] = "must be a color like #1A2B3C",
            [VB_FMT_SLUG] = "must be lower-case letters and digits separated by single hyphens",
            [VB_FMT_CHANNEL_NAME] = "must be lower-case letters, digits and hyphens",
            [VB_FMT_DATETIME] = "must be an ISO 8601 date or date-time",
            [VB_FMT_URL] = "must be an http or https URL",
        };
        const char *m = (unsigned)f->format < sizeof msgs / sizeof msgs[0] && msgs[f->format]
                            ? msgs[f->format]
                            : "is invalid";
        return fail(errors, f->name, "%s%s", what, m);
    }
    return 0;
}

/* Checks a numeric value against the field's bounds. */
static int check_range(const vb_field *f, double x, json_t *errors)
{
    if (has_min(f) && x < f->min) return fail(errors, f->name, "must be at least %.15g", f->min);
    if (has_max(f) && x > f->max) return fail(errors, f->name, "must be at most %.15g", f->max);
    return 0;
}

/*
 * Checks a present, non-null value of field f; *v may be replaced (trimmed
 * strings). Owns the reference in *v. Returns the number of failures.
 */
static int check_value(const vb_field *f, json_t **v, json_t *errors)
{
    switch (f->type) {
    case VB_F_STRING:
        if (!json_is_string(*v)) return fail(errors, f->name, "must be a string");
        return check_string(f, v, errors, 0, 0);
    case VB_F_ENUM:
        if (!json_is_string(*v)) return fail(errors, f->name, "must be a string");
        return check_string(f, v, errors, 0, 0);
    case VB_F_INT:
        if (!json_is_integer(*v)) return fail(errors, f->name, "must be an integer");
        return check_range(f, (double)json_integer_value(*v), errors);
    case VB_F_NUMBER:
        if (!json_is_number(*v) || !isfinite(json_number_value(*v)))
            return fail(errors, f->name, "must be a number");
        return check_range(f, json_number_value(*v), errors);
    case VB_F_BOOL:
        if (!json_is_boolean(*v)) return fail(errors, f->name, "must be true or false");
        return 0;
    case VB_F_STRING_ARRAY: {
        size_t n = json_array_size(*v);
        if (!json_is_array(*v)) return fail(errors, f->name, "must be an array of strings");
        if (has_min(f) && (double)n < f->min)
            return fail(errors, f->name, "must have at least %.0f items", f->min);
        if (has_max(f) && (double)n > f->max)
            return fail(errors, f->name, "must have at most %.0f items", f->max);
        for (size_t i = 0; i < n; i++) {
            json_t *item = json_incref(json_array_get(*v, i));
            int bad;
            if (!json_is_string(item)) {
                json_decref(item);
                return fail(errors, f->name, "item %zu must be a string", i + 1);
            }
            bad = check_string(f, &item, errors, 1, i);
            json_array_set_new(*v, i, item);
            if (bad) return bad;
        }
        return 0;
    }
    }
    return fail(errors, f->name, "has an unknown type");
}

static const vb_field *find_field(const vb_schema *s, const char *name)
{
    for (size_t i = 0; i < s->nfields; i++)
        if (strcmp(s->fields[i].name, name) == 0) return &s->fields[i];
    return NULL;
}

/* See vb_validate.h. Modifies obj: strings trimmed. An unknown key is an
 * error naming it, so that no field a client sends is silently ignored. */
int vb_validate_body(const vb_schema *s, json_t *obj, json_t *errors)
{
    const char *key;
    json_t *val;
    int nfail = 0;

    if (!json_is_object(obj)) return fail(errors, "body", "must be a JSON object");
    json_object_foreach(obj, key, val)
    {
        if (!find_field(s, key)) nfail += fail(errors, key, "is not a known field");
    }
    for (size_t i = 0; i < s->nfields; i++) {
        const vb_field *f = &s->fields[i];
        json_t *v = json_object_get(obj, f->name);
        if (!v) {
            if (f->required) nfail += fail(errors, f->name, "is required");
            continue;
        }
        if (json_is_null(v)) {
            if (!f->nullable) nfail += fail(errors, f->name, "must not be null");
            continue;
        }
        json_incref(v);
        nfail += check_value(f, &v, errors);
        json_object_set_new(obj, f->name, v);
    }
    if (s->min_props > 0 && json_object_size(obj) < (size_t)s->min_props)
        nfail += fail(errors, "body", "at least one field is required");
    return nfail;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/*
 * Percent-decodes s[0..n) with '+' as space into a new json string. A '%'
 * not followed by two hex digits is kept as is. NULL when the result holds a
 * NUL byte or is not valid UTF-8 (or on allocation failure).
 */
static json_t *query_decode(const char *s, size_t n)
{
    char *buf = malloc(n + 1);
    size_t o = 0;
    json_t *out = NULL;

    if (!buf) return NULL;
    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if (s[i] == '+') {
            buf[o++] = ' ';
        } else if (s[i] == '%' && i + 2 < n && (hi = hexval(s[i + 1])) >= 0 &&
                   (lo = hexval(s[i + 2])) >= 0) {
            buf[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            buf[o++] = s[i];
        }
    }
    if (utf8_count(buf, o) >= 0) out = json_stringn(buf, o);
    free(buf);
    return out;
}

/* Strict decimal integer: optional '-', digits only, fits in json_int_t. */
static int parse_int(const char *s, json_int_t *out)
{
    char *end;
    long long v;
    const char *p = s[0] == '-' ? s + 1 : s;

    if (!*p) return -1;
    for (const char *q = p; *q; q++)
        if (*q < '0' || *q > '9') return -1;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || *end) return -1;
    *out = (json_int_t)v;
    return 0;
}

/* Plain decimal number (no hex, inf or nan spellings). */
static int parse_number(const char *s, double *out)
{
    char *end;
    if (!*s || strspn(s, "0123456789+-.eE") != strlen(s)) return -1;
    errno = 0;
    *out = strtod(s, &end);
    if (errno != 0 || *end || !isfinite(*out)) return -1;
    return 0;
}

/* Turns the collected raw string(s) of a query field into a typed value.
 * Returns a new value, or NULL after recording an error. */
static json_t *query_coerce(const vb_field *f, json_t *raw, json_t *errors, int *nfail)
{
    const char *s = json_string_value(raw);
    json_int_t iv;
    double dv;

    switch (f->type) {
    case VB_F_STRING:
    case VB_F_ENUM:
        return json_incref(raw);
    case VB_F_STRING_ARRAY:
        return json_incref(raw); /* already an array */
    case VB_F_INT:
        if (parse_int(s, &iv) == 0) return json_integer(iv);
        *nfail += fail(errors, f->name, "must be an integer");
        return NULL;
    case VB_F_NUMBER:
        if (parse_number(s, &dv) == 0) return json_real(dv);
        *nfail += fail(errors, f->name, "must be a number");
        return NULL;
    case VB_F_BOOL:
        if (strcmp(s, "true") == 0) return json_true();
        if (strcmp(s, "false") == 0) return json_false();
        *nfail += fail(errors, f->name, "must be true or false");
        return NULL;
    }
    return NULL;
}

/*
 * Adds one decoded name=value pair to raw (field name -> string, or array of
 * strings for VB_F_STRING_ARRAY where commas split values further). Empty
 * values are skipped: "?limit=" reads as if limit were absent.
 */
static void query_collect(const vb_field *f, json_t *raw, json_t *value)
{
    const char *v = json_string_value(value);
    size_t len = json_string_length(value);

    if (f->type != VB_F_STRING_ARRAY) {
        if (len == 0)
            json_object_del(raw, f->name);
        else
            json_object_set(raw, f->name, value);
        return;
    }
    json_t *arr = json_object_get(raw, f->name);
    if (!arr) {
        arr = json_array();
        if (json_object_set_new(raw, f->name, arr) != 0) return;
    }
    for (const char *p = v; p <= v + len;) {
        const char *comma = memchr(p, ',', (size_t)(v + len - p));
        const char *e = comma ? comma : v + len;
        if (e > p) json_array_append_new(arr, json_stringn(p, (size_t)(e - p)));
        p = e + 1;
    }
}

/* See vb_validate.h. *out is always set (an object, possibly partial when
 * failures are returned); the caller owns it. */
int vb_validate_query(const vb_schema *s, const char *query, json_t **out, json_t *errors)
{
    json_t *raw = json_object(), *res = json_object();
    int nfail = 0;

    *out = res;
    if (!raw || !res) {
        json_decref(raw);
        return fail(errors, "query", "could not be processed");
    }
    for (const char *p = query ? query : ""; *p;) {
        size_t plen = strcspn(p, "&");
        const char *eq = memchr(p, '=', plen);
        size_t nlen = eq ? (size_t)(eq - p) : plen;
        json_t *name = query_decode(p, nlen);
        const vb_field *f = name ? find_field(s, json_string_value(name)) : NULL;
        if (f) {
            json_t *value = eq ? query_decode(eq + 1, plen - nlen - 1) : json_string("");
            if (value)
                query_collect(f, raw, value);
            else
                nfail += fail(errors, f->name, "is not valid text");
            json_decref(value);
        }
        json_decref(name);
        p += plen;
        if (*p == '&') p++;
    }
    for (size_t i = 0; i < s->nfields; i++) {
        const vb_field *f = &s->fields[i];
        json_t *r = json_object_get(raw, f->name), *v;
        if (r && json_is_array(r) && json_array_size(r) == 0) r = NULL;
        if (!r) {
            if (f->required) nfail += fail(errors, f->name, "is required");
            continue;
        }
        v = query_coerce(f, r, errors, &nfail);
        if (!v) continue;
        nfail += check_value(f, &v, errors);
        json_object_set_new(res, f->name, v);
    }
    json_decref(raw);
    return nfail;
}
