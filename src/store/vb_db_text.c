/*
 * The JSON text buffer of vb_db.h (vb_db_text): appends of raw bytes,
 * integers, reals, strings and ISO 8601 times, each formatted exactly as
 * jansson's json_dumps(JSON_COMPACT) formats the same value, so that rows
 * written as text match the trees they replace byte for byte.
 */
#include "store/vb_db.h"
#include "core/vb_common.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Marks t failed; cap 0 sends every later append to text_reserve, which
 * refuses it. */
static int text_fail(vb_db_text *t)
{
    t->oom = 1;
    t->cap = 0;
    return -1;
}

/* Makes room for n more bytes plus a NUL. 0, or -1 (oom set) when out of
 * memory or already failed. Starts at 8 KiB (a page of rows is tens of KiB)
 * and doubles. */
static int text_reserve(vb_db_text *t, size_t n)
{
    if (t->oom) return -1;
    if (t->len + n + 1 <= t->cap) return 0;
    size_t cap = t->cap ? t->cap : 8192;
    while (cap < t->len + n + 1) {
        if (cap > SIZE_MAX / 2) return text_fail(t);
        cap *= 2;
    }
    char *d = realloc(t->data, cap);
    if (!d) return text_fail(t);
    t->data = d;
    t->cap = cap;
    return 0;
}

void vb_db_text_put(vb_db_text *t, const char *s, size_t n)
{
    if (t->len + n + 1 > t->cap && text_reserve(t, n) != 0) return;
    memcpy(t->data + t->len, s, n);
    t->len += n;
    t->data[t->len] = '\0';
}

void vb_db_text_puts(vb_db_text *t, const char *s)
{
    vb_db_text_put(t, s, strlen(s));
}

void vb_db_text_int(vb_db_text *t, int64_t v)
{
    char buf[24], *p = buf + sizeof buf;
    /* Negate through unsigned so INT64_MIN works. */
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) *--p = '-';
    vb_db_text_put(t, p, (size_t)(buf + sizeof buf - p));
}

void vb_db_text_real(vb_db_text *t, double v)
{
    char buf[40];
    if (!isfinite(v)) {
        vb_db_text_put(t, "null", 4);
        return;
    }
    int n = snprintf(buf, sizeof buf - 3, "%.17g", v);
    if (n < 0 || n >= (int)sizeof buf - 3) {
        vb_db_text_put(t, "null", 4);
        return;
    }
    size_t len = (size_t)n;
    /* The C locale is in force (vibed never calls setlocale), so the decimal
     * point is '.', as jansson would turn it. */
    if (!strchr(buf, '.') && !strchr(buf, 'e')) {
        memcpy(buf + len, ".0", 3);
        len += 2;
    }
    /* Like jansson: no '+' and no leading zeros in the exponent. */
    char *e = strchr(buf, 'e');
    if (e) {
        char *start = e + 1, *end = e + 2;
        if (*start == '-') start++;
        while (*end == '0')
            end++;
        if (end != start) {
            memmove(start, end, len - (size_t)(end - buf) + 1);
            len -= (size_t)(end - start);
        }
    }
    vb_db_text_put(t, buf, len);
}

/* The length of the valid UTF-8 sequence at s (at most n bytes), whose first
 * byte is >= 0x80, or 0 when it is not valid (overlong, surrogate, beyond
 * U+10FFFF or cut short): the rules of jansson's UTF-8 check. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    unsigned lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0) lo = 0xA0; /* overlong */
        if (c == 0xED) hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) lo = 0x90; /* overlong */
        if (c == 0xF4) hi = 0x8F; /* beyond U+10FFFF */
    } else
        return 0;
    if (n < len || s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < len; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    return len;
}

int vb_db_text_str(vb_db_text *t, const char *str, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *s = (const unsigned char *)str;
    size_t start = t->len, i = 0;
    if (text_reserve(t, n + 2) != 0) return 0;
    t->data[t->len++] = '"';
    while (i < n) {
        size_t run = i;
        while (run < n && s[run] >= 0x20 && s[run] < 0x80 && s[run] != '"' && s[run] != '\\')
            run++;
        if (run > i) {
            vb_db_text_put(t, (const char *)s + i, run - i);
            i = run;
            continue;
        }
        unsigned char c = s[i];
        if (c >= 0x80) {
            size_t len = utf8_seq(s + i, n - i);
            if (!len) {
                if (t->oom) return 0;
                t->len = start;
                vb_db_text_put(t, "null", 4);
                return -1;
            }
            vb_db_text_put(t, (const char *)s + i, len);
            i += len;
            continue;
        }
        char esc[6] = {'\\', 0};
        size_t elen = 2;
        switch (c) {
        case '"':
        case '\\':
            esc[1] = (char)c;
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            elen = 6;
            break;
        }
        vb_db_text_put(t, esc, elen);
        i++;
    }
    vb_db_text_put(t, "\"", 1);
    return 0;
}

/* Two decimal digits of v (0..99) at p. */
static void put2(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
}

void vb_db_text_iso(vb_db_text *t, int64_t ms)
{
    /* Years 1970..9999 by arithmetic (days to civil date, proleptic
     * Gregorian); anything else through vb_iso8601, which clamps. */
    if (ms < 0 || ms > INT64_C(253402300799999)) {
        char iso[32];
        vb_iso8601(ms, iso);
        vb_db_text_put(t, "\"", 1);
        vb_db_text_puts(t, iso);
        vb_db_text_put(t, "\"", 1);
        return;
    }
    int64_t secs = ms / 1000, days = secs / 86400;
    unsigned sod = (unsigned)(secs % 86400), milli = (unsigned)(ms % 1000);
    int64_t z = days + 719468;
    int64_t era = z / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned day = doy - (153 * mp + 2) / 5 + 1;
    unsigned month = mp < 10 ? mp + 3 : mp - 9;
    unsigned year = (unsigned)(yoe + era * 400) + (month <= 2);
    char b[27] = "\"0000-00-00T00:00:00.000Z\"";
    put2(b + 1, year / 100);
    put2(b + 3, year % 100);
    put2(b + 6, month);
    put2(b + 9, day);
    put2(b + 12, sod / 3600);
    put2(b + 15, sod / 60 % 60);
    put2(b + 18, sod % 60);
    b[21] = (char)('0' + milli / 100);
    put2(b + 22, milli % 100);
    vb_db_text_put(t, b, sizeof b - 1);
}

void vb_db_text_free(vb_db_text *t)
{
    free(t->data);
    memset(t, 0, sizeof *t);
}

/* Skips the literal word at s[*i] when it is one of true, false and null.
 * 1 if it was. */
static int skip_word(const unsigned char *s, size_t n, size_t *i)
{
    static const char *const words[] = {"true", "false", "null"};
    for (size_t w = 0; w < 3; w++) {
        size_t len = strlen(words[w]);
        if (n - *i >= len && memcmp(s + *i, words[w], len) == 0) {
            *i += len - 1;
            return 1;
        }
    }
    return 0;
}

int vb_db_text_json_raw_ok(const char *text, size_t n)
{
    const unsigned char *s = (const unsigned char *)text;
    int in_str = 0, depth = 0, prev_digit = 0;
    if (n == 0) return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (in_str) {
            if (c == '"') {
                in_str = 0;
                if (depth == 0 && i != n - 1) return 0; /* a top-level string ends the text */
            } else if (c == '\\' || c < 0x20)
                return 0;
            else if (c >= 0x80) {
                size_t len = utf8_seq(s + i, n - i);
                if (!len) return 0;
                i += len - 1;
            }
            continue;
        }
        int digit = c >= '0' && c <= '9';
        /* At the top level only one value: a container or string that
         * starts the text, or a bare number or word. */
        if (depth == 0 && !digit && c != '-' && i != 0) return 0;
        if (digit) {
            /* A leading zero followed by another digit is not JSON. */
            if (c == '0' && !prev_digit && i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '9')
                return 0;
        } else if (c == '"')
            in_str = 1;
        else if (c == '[' || c == '{')
            depth++;
        else if (c == ']' || c == '}') {
            if (--depth < 0) return 0;
            if (depth == 0 && i != n - 1) return 0;
        } else if (c == '-') {
            /* "-0" would come back as 0 from jansson: leave it to jansson. */
            if (i + 1 >= n || s[i + 1] < '1' || s[i + 1] > '9' || prev_digit) return 0;
        } else if (c == ',' || c == ':') {
            if (depth == 0) return 0;
        } else if (!skip_word(s, n, &i) || (depth == 0 && i != n - 1))
            return 0;
        prev_digit = digit;
    }
    return !in_str && depth == 0;
}
