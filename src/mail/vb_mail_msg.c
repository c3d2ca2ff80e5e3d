/* The MIME message builder (see vb_mail_msg.h). */
#include "mail/vb_mail_msg.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* An encoded word is at most 75 characters: "=?UTF-8?B?" + 4n + "?=", so at
 * most 45 bytes of text (60 base64 characters) per word. */
#define WORD_BYTES 45
#define B64_LINE 76

static int plain_ascii(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p > 0x7e) return 0;
    return strstr(s, "=?") == NULL;
}

char *vb_mail_header_encode(const char *s)
{
    size_t n = strlen(s), i = 0;
    char *tmp, *out;
    FILE *f;
    size_t len = 0;

    if (plain_ascii(s)) return strdup(s);
    tmp = malloc(n + 1);
    if (!tmp) return NULL;
    for (size_t k = 0; k <= n; k++)
        tmp[k] = (k < n && (unsigned char)s[k] < 0x20) || s[k] == 0x7f ? ' ' : s[k];
    f = open_memstream(&out, &len);
    if (!f) {
        free(tmp);
        return NULL;
    }
    while (i < n) {
        size_t take = n - i < WORD_BYTES ? n - i : WORD_BYTES;
        char b64[sodium_base64_ENCODED_LEN(WORD_BYTES, sodium_base64_VARIANT_ORIGINAL)];

        /* Never split a UTF-8 sequence: back off continuation bytes. */
        while (take < n - i && take > 1 && ((unsigned char)tmp[i + take] & 0xc0) == 0x80)
            take--;
        sodium_bin2base64(b64, sizeof b64, (const unsigned char *)tmp + i, take,
                          sodium_base64_VARIANT_ORIGINAL);
        fprintf(f, "%s=?UTF-8?B?%s?=", i ? "\r\n " : "", b64);
        i += take;
    }
    free(tmp);
    if (fclose(f) != 0) {
        free(out);
        return NULL;
    }
    return out;
}

int vb_mail_addr(const char *s, char *out, size_t outlen)
{
    const char *lt = strrchr(s, '<'), *at;
    size_t n;

    if (lt) {
        const char *gt = strchr(lt, '>');
        if (!gt || gt[1]) return -1;
        s = lt + 1;
        n = (size_t)(gt - s);
    } else {
        n = strlen(s);
    }
    if (n == 0 || n >= outlen || n > 254) return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>' || c == ',' || c == '"') return -1;
    }
    memcpy(out, s, n);
    out[n] = '\0';
    at = strchr(out, '@');
    return at && at != out && at[1] ? 0 : -1;
}

void vb_mail_date(int64_t ms, char out[40])
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t t = (time_t)(ms / 1000);
    struct tm tm;

    gmtime_r(&t, &tm);
    snprintf(out, 40, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
             months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Writes s as base64 lines of 76 characters, with '\n' turned into CRLF first
 * (text parts use CRLF line ends on the wire). */
static int put_base64(FILE *f, const char *s)
{
    size_t n = strlen(s), crlf = n, k = 0;
    unsigned char *buf;
    char *b64;
    size_t blen;

    for (size_t i = 0; i < n; i++)
        crlf += s[i] == '\n';
    buf = malloc(crlf + 1);
    if (!buf) return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) buf[k++] = '\r';
        buf[k++] = (unsigned char)s[i];
    }
    blen = sodium_base64_ENCODED_LEN(k, sodium_base64_VARIANT_ORIGINAL);
    b64 = malloc(blen);
    if (!b64) {
        free(buf);
        return -1;
    }
    sodium_bin2base64(b64, blen, buf, k, sodium_base64_VARIANT_ORIGINAL);
    free(buf);
    for (size_t i = 0, len = strlen(b64); i < len; i += B64_LINE)
        fprintf(f, "%.*s\r\n", (int)(len - i < B64_LINE ? len - i : B64_LINE), b64 + i);
    free(b64);
    return 0;
}

/* "Name <addr>" with the name encoded, or just addr. */
static int put_mailbox(FILE *f, const char *name, const char *addr)
{
    char *enc;

    if (!name || !*name) {
        fprintf(f, "%s", addr);
        return 0;
    }
    if (plain_ascii(name) && !strpbrk(name, "\"\\()<>,;:@[]")) {
        fprintf(f, "%s <%s>", name, addr);
        return 0;
    }
    enc = vb_mail_header_encode(name);
    if (!enc) return -1;
    fprintf(f, "%s <%s>", enc, addr);
    free(enc);
    return 0;
}

char *vb_mail_build(const vb_mail_msg *m, size_t *len)
{
    char from_addr[256], to_addr[256], from_name[VB_MAIL_HEADER_MAX + 1] = "", date[40];
    char boundary[48], *subject = NULL, *out = NULL;
    unsigned char rnd[12];
    const char *lt;
    FILE *f;
    int bad = 0;

    if (!m->from || !m->to_email || !m->subject || !m->text || !m->html || !m->message_id)
        return NULL;
    if (vb_mail_addr(m->from, from_addr, sizeof from_addr) ||
        vb_mail_addr(m->to_email, to_addr, sizeof to_addr) ||
        strlen(m->subject) > VB_MAIL_HEADER_MAX ||
        (m->to_name && strlen(m->to_name) > VB_MAIL_HEADER_MAX) || !plain_ascii(m->message_id) ||
        strpbrk(m->message_id, "<> "))
        return NULL;
    lt = strrchr(m->from, '<');
    if (lt) {
        size_t n = (size_t)(lt - m->from);
        while (n && m->from[n - 1] == ' ')
            n--;
        snprintf(from_name, sizeof from_name, "%.*s", (int)n, m->from);
    }
    subject = vb_mail_header_encode(m->subject);
    if (!subject) return NULL;
    randombytes_buf(rnd, sizeof rnd);
    /* "=_" never occurs in base64, so the boundary cannot appear in a part. */
    memcpy(boundary, "=_vibed_", 8);
    sodium_bin2hex(boundary + 8, sizeof boundary - 8, rnd, sizeof rnd);
    vb_mail_date(m->date_ms, date);

    f = open_memstream(&out, len);
    if (!f) {
        free(subject);
        return NULL;
    }
    fputs("From: ", f);
    bad |= put_mailbox(f, from_name, from_addr);
    fputs("\r\nTo: ", f);
    bad |= put_mailbox(f, m->to_name, to_addr);
    fprintf(f,
            "\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s>\r\nMIME-Version: 1.0\r\n"
            "Auto-Submitted: auto-generated\r\n"
            "Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n"
            "This is a multi-part message in MIME format.\r\n",
            subject, date, m->message_id, boundary);
    fprintf(f,
            "--%s\r\nContent-Type: text/plain; charset=UTF-8\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n",
            boundary);
    bad |= put_base64(f, m->text);
    fprintf(f,
            "--%s\r\nContent-Type: text/html; charset=UTF-8\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n",
            boundary);
    bad |= put_base64(f, m->html);
    fprintf(f, "--%s--\r\n", boundary);
    free(subject);
    if (fclose(f) != 0 || bad) {
        free(out);
        return NULL;
    }
    return out;
}
