/*
 * The string format checks of vb_validate.h (vb_format_ok), written by hand
 * so that no regular-expression engine is needed.
 */
#include "core/vb_id.h"
#include "http/vb_validate.h"

#include <string.h>

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_lower_alnum(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z');
}

static int is_upper_alnum(char c)
{
    return is_digit(c) || (c >= 'A' && c <= 'Z');
}

static int is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* ASCII whitespace and control characters (DEL included). */
static int is_space_or_ctl(unsigned char c)
{
    return c <= ' ' || c == 0x7f;
}

/* Reads exactly n digits at *p as a number and advances *p; -1 if not digits. */
static int take_digits(const char **p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!is_digit((*p)[i])) return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    return v;
}

static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
    return days[m - 1];
}

/*
 * email: one '@'; a local part of printable, non-space ASCII (or UTF-8)
 * characters without the specials that need quoting; a domain of at least two
 * dot-separated labels of letters, digits and inner hyphens, the last one
 * (the TLD) at least two letters. At most 254 bytes.
 */
static int email_ok(const char *s)
{
    const char *at = strchr(s, '@');
    const char *d, *label;
    size_t n = strlen(s);

    if (!at || at == s || n > 254 || strchr(at + 1, '@')) return 0;
    if ((size_t)(at - s) > 64) return 0;
    for (const char *p = s; p < at; p++) {
        if (is_space_or_ctl((unsigned char)*p) || strchr("\"(),:;<>[\\]", *p)) return 0;
    }
    if (s[0] == '.' || at[-1] == '.' || strstr(s, "..")) return 0;
    d = at + 1;
    label = d;
    int labels = 0;
    for (const char *p = d;; p++) {
        if (*p == '.' || *p == '\0') {
            size_t len = (size_t)(p - label);
            if (len == 0 || len > 63 || label[0] == '-' || p[-1] == '-') return 0;
            labels++;
            if (*p == '\0') break;
            label = p + 1;
        } else if (!is_lower_alnum(*p) && !is_alpha(*p) && *p != '-') {
            return 0;
        }
    }
    if (labels < 2) return 0;
    if (strlen(label) < 2) return 0;
    for (const char *p = label; *p; p++)
        if (!is_alpha(*p)) return 0;
    return 1;
}

/* Project key: ^[A-Z][A-Z0-9]{1,9}$ */
static int project_key_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 2 || n > 10 || !(s[0] >= 'A' && s[0] <= 'Z')) return 0;
    for (size_t i = 1; i < n; i++)
        if (!is_upper_alnum(s[i])) return 0;
    return 1;
}

/* Color: ^#[0-9A-Fa-f]{6}$ */
static int color_ok(const char *s)
{
    if (strlen(s) != 7 || s[0] != '#') return 0;
    for (int i = 1; i < 7; i++)
        if (!is_hex(s[i])) return 0;
    return 1;
}

/* Slug: ^[a-z0-9]+(-[a-z0-9]+)*$ */
static int slug_ok(const char *s)
{
    if (!*s || s[0] == '-') return 0;
    for (const char *p = s; *p; p++) {
        if (*p == '-') {
            if (p[1] == '-' || p[1] == '\0') return 0;
        } else if (!is_lower_alnum(*p)) {
            return 0;
        }
    }
    return 1;
}

/* Channel name: ^[a-z0-9-]+$ */
static int channel_name_ok(const char *s)
{
    if (!*s) return 0;
    for (const char *p = s; *p; p++)
        if (!is_lower_alnum(*p) && *p != '-') return 0;
    return 1;
}

/*
 * ISO 8601: YYYY-MM-DD, optionally followed by THH:MM[:SS[.f+]] and an
 * optional zone Z, +HH:MM or -HH:MM. Calendar ranges are checked (no
 * February 30th); a leap second (:60) is accepted.
 */
static int datetime_ok(const char *s)
{
    const char *p = s;
    int y, mo, d, h, mi, sec;

    if ((y = take_digits(&p, 4)) < 0 || *p++ != '-') return 0;
    if ((mo = take_digits(&p, 2)) < 1 || mo > 12 || *p++ != '-') return 0;
    if ((d = take_digits(&p, 2)) < 1 || d > days_in_month(y, mo)) return 0;
    if (*p == '\0') return 1;
    if (*p++ != 'T') return 0;
    if ((h = take_digits(&p, 2)) < 0 || h > 23 || *p++ != ':') return 0;
    if ((mi = take_digits(&p, 2)) < 0 || mi > 59) return 0;
    if (*p == ':') {
        p++;
        if ((sec = take_digits(&p, 2)) < 0 || sec > 60) return 0;
        if (*p == '.') {
            int n = 0;
            p++;
            while (is_digit(*p) && n < 9)
                p++, n++;
            if (n == 0 || is_digit(*p)) return 0;
        }
    }
    if (*p == 'Z') return p[1] == '\0';
    if (*p == '+' || *p == '-') {
        p++;
        if ((h = take_digits(&p, 2)) < 0 || h > 23 || *p++ != ':') return 0;
        if ((mi = take_digits(&p, 2)) < 0 || mi > 59) return 0;
    }
    return *p == '\0';
}

/* URL: http:// or https://, at least one more character, no whitespace or
 * control characters anywhere. */
static int url_ok(const char *s)
{
    const char *rest;
    if (strncmp(s, "http://", 7) == 0)
        rest = s + 7;
    else if (strncmp(s, "https://", 8) == 0)
        rest = s + 8;
    else
        return 0;
    if (*rest == '\0' || *rest == '/') return 0;
    for (const char *p = s; *p; p++)
        if (is_space_or_ctl((unsigned char)*p)) return 0;
    return 1;
}

/* 1 if s (non-NULL, NUL-terminated) satisfies format f. */
int vb_format_ok(vb_fformat f, const char *s)
{
    if (!s) return 0;
    switch (f) {
    case VB_FMT_NONE:
        return 1;
    case VB_FMT_EMAIL:
        return email_ok(s);
    case VB_FMT_ID:
        return vb_id_valid(s);
    case VB_FMT_PROJECT_KEY:
        return project_key_ok(s);
    case VB_FMT_COLOR:
        return color_ok(s);
    case VB_FMT_SLUG:
        return slug_ok(s);
    case VB_FMT_CHANNEL_NAME:
        return channel_name_ok(s);
    case VB_FMT_DATETIME:
        return datetime_ok(s);
    case VB_FMT_URL:
        return url_ok(s);
    }
    return 0;
}
