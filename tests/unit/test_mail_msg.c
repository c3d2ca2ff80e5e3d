/*
 * Unit tests of the mail message builder (vb_mail_build and its helpers):
 * the headers and their order, RFC 2047 encoding of UTF-8 subjects and names
 * (word length, UTF-8 boundaries, header injection), the multipart structure
 * and base64 parts, address checks, the Date format; the templates (links
 * from PUBLIC_URL, HTML escaping) and the due-date parser of the reminders.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "mail/vb_mail_msg.h"
#include "mail/vb_mail_tmpl.h"
#include "store/vb_ops_mail.h"

static vb_mail_msg sample(void)
{
    vb_mail_msg m = {"Vibed Team <team@vibed.test>",
                     "bob@example.com",
                     "Bob Builder",
                     "Hello",
                     "line one\nline two\n",
                     "<p>hi</p>",
                     "abc123@vibed.test",
                     1796428800000LL}; /* 2026-12-05T00:00:00Z */
    return m;
}

/* The value of header name in msg (up to CRLF, unfolded not needed here). */
static char *header(const char *msg, const char *name)
{
    static char buf[2048];
    char key[64];
    const char *p;

    snprintf(key, sizeof key, "\r\n%s: ", name);
    p = strstr(msg, key);
    if (!p && strncmp(msg, key + 2, strlen(key + 2)) == 0) p = msg - 2;
    if (!p) return NULL;
    p += strlen(key);
    size_t n = strcspn(p, "\r");
    snprintf(buf, sizeof buf, "%.*s", (int)n, p);
    return buf;
}

/* Decodes every "=?UTF-8?B?...?=" word of s (joined by CRLF SP) into out. */
static void decode_words(const char *s, char *out, size_t outlen)
{
    size_t n = 0;

    while ((s = strstr(s, "=?UTF-8?B?")) != NULL) {
        const char *b = s + 10, *e = strstr(b, "?=");
        size_t bin = 0;
        assert_non_null(e);
        assert_true(e + 2 - s <= 75); /* an encoded word is at most 75 characters */
        assert_int_equal(sodium_base642bin((unsigned char *)out + n, outlen - n - 1, b,
                                           (size_t)(e - b), NULL, &bin, NULL,
                                           sodium_base64_VARIANT_ORIGINAL),
                         0);
        n += bin;
        s = e + 2;
    }
    out[n] = '\0';
}

static void test_headers(void **state)
{
    vb_mail_msg m = sample();
    size_t len = 0;
    char *msg = vb_mail_build(&m, &len);

    (void)state;
    assert_non_null(msg);
    assert_int_equal(strlen(msg), len);
    assert_true(strncmp(msg, "From: Vibed Team <team@vibed.test>\r\n", 36) == 0);
    assert_string_equal(header(msg, "To"), "Bob Builder <bob@example.com>");
    assert_string_equal(header(msg, "Subject"), "Hello");
    assert_string_equal(header(msg, "Date"), "Sat, 05 Dec 2026 00:00:00 +0000");
    assert_string_equal(header(msg, "Message-ID"), "<abc123@vibed.test>");
    assert_string_equal(header(msg, "MIME-Version"), "1.0");
    assert_non_null(
        strstr(header(msg, "Content-Type"), "multipart/alternative; boundary=\"=_vibed_"));
    /* Every line ends with CRLF; none is longer than 998 characters. */
    for (const char *p = msg; *p;) {
        const char *nl = strchr(p, '\n');
        assert_non_null(nl);
        assert_true(nl > p && nl[-1] == '\r');
        assert_true(nl - p <= 998);
        p = nl + 1;
    }
    free(msg);
}

static void test_parts(void **state)
{
    vb_mail_msg m = sample();
    char *msg = vb_mail_build(&m, &(size_t){0});
    char boundary[64], delim[160], *p, *q;
    unsigned char text[256];
    size_t n = 0;

    (void)state;
    assert_non_null(msg);
    p = strstr(msg, "boundary=\"") + 10;
    snprintf(boundary, sizeof boundary, "%.*s", (int)strcspn(p, "\""), p);
    snprintf(delim, sizeof delim, "\r\n--%s\r\nContent-Type: text/plain; charset=UTF-8\r\n",
             boundary);
    p = strstr(msg, delim);
    assert_non_null(p);
    snprintf(delim, sizeof delim, "\r\n--%s\r\nContent-Type: text/html; charset=UTF-8\r\n",
             boundary);
    assert_non_null(strstr(msg, delim));
    snprintf(delim, sizeof delim, "\r\n--%s--\r\n", boundary);
    assert_non_null(strstr(msg, delim));
    /* The text part decodes to the text with CRLF line ends. */
    p = strstr(p, "base64\r\n\r\n") + 10;
    q = strstr(p, "\r\n--");
    char b64[512];
    snprintf(b64, sizeof b64, "%.*s", (int)(q - p), p);
    assert_int_equal(sodium_base642bin(text, sizeof text, b64, strlen(b64), "\r\n", &n, NULL,
                                       sodium_base64_VARIANT_ORIGINAL),
                     0);
    assert_int_equal(n, strlen("line one\r\nline two\r\n"));
    assert_memory_equal(text, "line one\r\nline two\r\n", n);
    free(msg);
}

static void test_subject_encoding(void **state)
{
    char dec[2048];
    char *e;

    (void)state;
    e = vb_mail_header_encode("plain ascii");
    assert_string_equal(e, "plain ascii");
    free(e);
    e = vb_mail_header_encode("Welcome, Zoë");
    assert_string_equal(e, "=?UTF-8?B?V2VsY29tZSwgWm/Dqw==?=");
    free(e);
    /* Long UTF-8: several words, folded, never splitting a character. */
    const char *long_utf8 = "ééééééééééééééééééééééééééééééééééé ☕☕☕☕☕☕☕☕☕☕ 日本語のタイトル";
    e = vb_mail_header_encode(long_utf8);
    assert_non_null(strstr(e, "?=\r\n =?UTF-8?B?"));
    decode_words(e, dec, sizeof dec);
    assert_string_equal(dec, long_utf8);
    free(e);
    /* Injection: CR/LF never reach the header; an "=?" in ASCII is encoded. */
    e = vb_mail_header_encode("Hi\r\nBcc: evil@example.com");
    for (const char *c = e; *c; c++) /* only folding: CRLF followed by a space */
        if (*c == '\r')
            assert_true(c[1] == '\n' && c[2] == ' ');
        else if (*c == '\n')
            assert_true(c > e && c[-1] == '\r');
    decode_words(e, dec, sizeof dec);
    assert_string_equal(dec, "Hi  Bcc: evil@example.com");
    free(e);
    e = vb_mail_header_encode("=?UTF-8?B?x?=");
    decode_words(e, dec, sizeof dec);
    assert_string_equal(dec, "=?UTF-8?B?x?=");
    free(e);
}

static void test_names_and_addresses(void **state)
{
    vb_mail_msg m = sample();
    char addr[256], dec[256], *msg;

    (void)state;
    m.to_name = "Zoë \"Z\" Ünal";
    msg = vb_mail_build(&m, &(size_t){0});
    assert_non_null(msg);
    assert_true(strncmp(header(msg, "To"), "=?UTF-8?B?", 10) == 0);
    decode_words(header(msg, "To"), dec, sizeof dec);
    assert_string_equal(dec, "Zoë \"Z\" Ünal");
    assert_non_null(strstr(header(msg, "To"), " <bob@example.com>"));
    free(msg);

    assert_int_equal(vb_mail_addr("Name <a@b.c>", addr, sizeof addr), 0);
    assert_string_equal(addr, "a@b.c");
    assert_int_equal(vb_mail_addr("a@b.c", addr, sizeof addr), 0);
    assert_int_equal(vb_mail_addr("no-at-sign", addr, sizeof addr), -1);
    assert_int_equal(vb_mail_addr("a@b.c\r\nBcc: x@y.z", addr, sizeof addr), -1);
    assert_int_equal(vb_mail_addr("a b@c.d", addr, sizeof addr), -1);
    assert_int_equal(vb_mail_addr("<a@b.c> trailing", addr, sizeof addr), -1);
    m = sample();
    m.to_email = "bob@example.com\r\nBcc: evil@example.com";
    assert_null(vb_mail_build(&m, &(size_t){0}));
    m = sample();
    m.message_id = "a b@c";
    assert_null(vb_mail_build(&m, &(size_t){0}));
}

static void test_date(void **state)
{
    char d[40];
    (void)state;
    vb_mail_date(0, d);
    assert_string_equal(d, "Thu, 01 Jan 1970 00:00:00 +0000");
    vb_mail_date(951782400000LL + 86399000, d); /* 2000-02-29 23:59:59 */
    assert_string_equal(d, "Tue, 29 Feb 2000 23:59:59 +0000");
}

static void test_templates(void **state)
{
    vb_mail_text t;
    json_t *p =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "subject",
                  "You were assigned to K-1: <b>x</b>", "workspaceId", "w1", "projectId", "p1",
                  "taskId", "t 1", "key", "K-1", "title", "<b>x</b>", "firstName", "Ann");

    (void)state;
    assert_int_equal(vb_mail_render("task_assigned", p, "https://v.example/", &t), 0);
    assert_string_equal(t.subject, "You were assigned to K-1: <b>x</b>");
    assert_non_null(strstr(t.text, "Hi Ann,"));
    assert_non_null(strstr(t.text, "https://v.example/w/w1/board/p1?task=t%201"));
    assert_non_null(strstr(t.html, "&lt;b&gt;x&lt;/b&gt;"));
    assert_null(strstr(t.html, "<b>x"));
    vb_mail_text_free(&t);
    json_decref(p);

    p = json_pack("{s:s, s:I}", "token", "tok_en-1", "expiresAt", (json_int_t)1796428800000LL);
    assert_int_equal(vb_mail_render("password_reset", p, "http://localhost:3000", &t), 0);
    assert_non_null(strstr(t.text, "http://localhost:3000/reset-password?token=tok_en-1"));
    assert_non_null(strstr(t.text, "2026-12-05T00:00 UTC"));
    vb_mail_text_free(&t);
    json_decref(p);

    p = json_pack("{s:s, s:s, s:s}", "inviterName", "Alice", "workspaceName", "Acme & Co",
                  "invitationId", "inv1");
    assert_int_equal(vb_mail_render("workspace_invitation", p, "http://h", &t), 0);
    assert_string_equal(t.subject, "Alice invited you to Acme & Co on vibed");
    assert_non_null(strstr(t.html, "Acme &amp; Co"));
    assert_non_null(strstr(t.text, "http://h/invitations/inv1"));
    vb_mail_text_free(&t);
    json_decref(p);

    /* A very long title: the subject is cut between two characters. */
    char title[1200] = "";
    for (int i = 0; i < 300; i++)
        strcat(title, "é");
    p = json_pack("{s:s}", "subject", title);
    assert_int_equal(vb_mail_render("task_assigned", p, "http://h", &t), 0);
    assert_true(strlen(t.subject) < 400 && strlen(t.subject) % 2 == 0);
    for (size_t i = 0; t.subject[i]; i += 2)
        assert_memory_equal(t.subject + i, "é", 2);
    vb_mail_text_free(&t);
    json_decref(p);

    assert_int_equal(vb_mail_render("nope", NULL, "http://h", &t), -1);
}

static void test_iso_parse(void **state)
{
    int64_t ms = 0;
    (void)state;
    assert_int_equal(vb_iso_parse_ms("2026-12-05", &ms), 0);
    assert_int_equal(ms, 1796428800000LL);
    assert_int_equal(vb_iso_parse_ms("2026-12-05T01:02:03.456Z", &ms), 0);
    assert_int_equal(ms, 1796428800000LL + 3723456);
    assert_int_equal(vb_iso_parse_ms("2026-12-05T02:00+02:00", &ms), 0);
    assert_int_equal(ms, 1796428800000LL);
    assert_int_equal(vb_iso_parse_ms("1969-12-31T23:59:59Z", &ms), 0);
    assert_int_equal(ms, -1000);
    assert_int_equal(vb_iso_parse_ms("tomorrow", &ms), -1);
    assert_int_equal(vb_iso_parse_ms("2026-12-05T", &ms), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_headers),
        cmocka_unit_test(test_parts),
        cmocka_unit_test(test_subject_encoding),
        cmocka_unit_test(test_names_and_addresses),
        cmocka_unit_test(test_date),
        cmocka_unit_test(test_templates),
        cmocka_unit_test(test_iso_parse),
    };
    if (sodium_init() < 0) return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
