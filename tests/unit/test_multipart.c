/* Unit tests for http/vb_multipart.c: boundaries, parts, limits, and every
 * split position of a small body. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "http/vb_multipart.h"

#include <stdio.h>
#include <string.h>

/* What the callbacks saw: "[name|filename|ctype]data" per part, then "." */
typedef struct seen {
    char out[4096];
    size_t len;
} seen;

static void put(seen *s, const char *d, size_t n)
{
    if (s->len + n >= sizeof s->out) n = sizeof s->out - s->len - 1;
    memcpy(s->out + s->len, d, n);
    s->len += n;
    s->out[s->len] = '\0';
}

static int on_part(const vb_multipart_part *p, void *ud)
{
    char b[1024];
    snprintf(b, sizeof b, "[%s|%s|%s]", p->name, p->filename ? p->filename : "-",
             p->content_type ? p->content_type : "-");
    put(ud, b, strlen(b));
    return 0;
}

static int on_data(const char *d, size_t n, void *ud)
{
    put(ud, d, n);
    return 0;
}

static int on_end(void *ud)
{
    put(ud, ".", 1);
    return 0;
}

static const vb_multipart_cbs CBS = {on_part, on_data, on_end};

/* Parses body in pieces cut at the given positions (npos of them). */
static int parse_split(const char *boundary, const char *body, size_t len, const size_t *pos,
                       size_t npos, const vb_multipart_limits *lim, seen *s)
{
    memset(s, 0, sizeof *s);
    vb_multipart *mp = vb_multipart_new(boundary, lim, &CBS, s);
    assert_non_null(mp);
    size_t at = 0;
    int err = VB_MP_OK;
    for (size_t i = 0; i <= npos && !err; i++) {
        size_t end = i < npos ? pos[i] : len;
        err = vb_multipart_feed(mp, body + at, end - at);
        at = end;
    }
    if (!err) err = vb_multipart_finish(mp);
    vb_multipart_free(mp);
    return err;
}

static int parse(const char *boundary, const char *body, const vb_multipart_limits *lim, seen *s)
{
    return parse_split(boundary, body, strlen(body), NULL, 0, lim, s);
}

static const char BODY[] = "preamble\r\n"
                           "--XyZ\r\n"
                           "Content-Disposition: form-data; name=\"note\"\r\n"
                           "\r\n"
                           "hi\r\n-\r\n--X\r"
                           "\r\n--XyZ  \r\n"
                           "Content-Disposition: form-data; name=\"file\"; filename=\"a b.txt\"\r\n"
                           "Content-Type: text/plain\r\n"
                           "\r\n"
                           "line1\r\n--XyX\r\n\r\r\n"
                           "\r\n--XyZ--\r\nepilogue";
static const char WANT[] = "[note|-|-]hi\r\n-\r\n--X\r."
                           "[file|a b.txt|text/plain]line1\r\n--XyX\r\n\r\r\n.";

static void test_boundary(void **state)
{
    (void)state;
    char b[VB_MULTIPART_MAX_BOUNDARY + 1];
    assert_int_equal(vb_multipart_boundary("multipart/form-data; boundary=abc", b), 0);
    assert_string_equal(b, "abc");
    assert_int_equal(vb_multipart_boundary("Multipart/Form-Data;charset=x; boundary=\"a b:c\"", b),
                     0);
    assert_string_equal(b, "a b:c");
    assert_int_equal(vb_multipart_boundary("multipart/form-data", b), -1);
    assert_int_equal(vb_multipart_boundary("multipart/form-data; boundary=", b), -1);
    assert_int_equal(vb_multipart_boundary("text/plain; boundary=abc", b), -1);
    assert_int_equal(vb_multipart_boundary("multipart/form-data; boundary=a\"b", b), -1);
    char longb[200] = "multipart/form-data; boundary=";
    memset(longb + strlen(longb), 'x', 71);
    assert_int_equal(vb_multipart_boundary(longb, b), -1);
    longb[strlen(longb) - 1] = '\0'; /* 70 is the most */
    assert_int_equal(vb_multipart_boundary(longb, b), 0);
    assert_int_equal(vb_multipart_boundary(NULL, b), -1);
}

static void test_whole(void **state)
{
    (void)state;
    seen s;
    assert_int_equal(parse("XyZ", BODY, NULL, &s), VB_MP_OK);
    assert_string_equal(s.out, WANT);
}

/* Every split into two pieces, and every split into three around each
 * position (byte by byte feeding is covered too). */
static void test_every_split(void **state)
{
    (void)state;
    size_t len = strlen(BODY);
    seen s;
    for (size_t i = 0; i <= len; i++) {
        size_t pos[1] = {i};
        assert_int_equal(parse_split("XyZ", BODY, len, pos, 1, NULL, &s), VB_MP_OK);
        assert_string_equal(s.out, WANT);
        for (size_t j = i; j <= len && j < i + 12; j++) {
            size_t pos2[2] = {i, j};
            assert_int_equal(parse_split("XyZ", BODY, len, pos2, 2, NULL, &s), VB_MP_OK);
            assert_string_equal(s.out, WANT);
        }
    }
    size_t bytes[sizeof BODY];
    for (size_t i = 0; i < len; i++)
        bytes[i] = i + 1;
    assert_int_equal(parse_split("XyZ", BODY, len, bytes, len - 1, NULL, &s), VB_MP_OK);
    assert_string_equal(s.out, WANT);
}

static void test_no_preamble_and_filename_star(void **state)
{
    (void)state;
    seen s;
    const char *body = "--b\r\nContent-Disposition: form-data; name=file; filename=\"x.bin\"; "
                       "filename*=UTF-8''%C3%A9t%C3%A9.txt\r\n\r\n\r\n--b--";
    assert_int_equal(parse("b", body, NULL, &s), VB_MP_OK);
    assert_string_equal(s.out, "[file|\xc3\xa9t\xc3\xa9.txt|-].");
}

static void test_errors(void **state)
{
    (void)state;
    seen s;
    vb_multipart_limits lim;
    vb_multipart_limits_default(&lim);
    /* truncated in the content, in the headers, after the delimiter */
    assert_int_equal(
        parse("b", "--b\r\nContent-Disposition: form-data; name=f\r\n\r\nabc", NULL, &s),
        VB_MP_ETRUNCATED);
    assert_int_equal(parse("b", "--b\r\nContent-Disposition: form", NULL, &s), VB_MP_ETRUNCATED);
    assert_int_equal(parse("b", "--b", NULL, &s), VB_MP_ETRUNCATED);
    /* no delimiter at all, or another boundary */
    assert_int_equal(parse("b", "hello", NULL, &s), VB_MP_EBOUNDARY);
    assert_int_equal(parse("b", "", NULL, &s), VB_MP_EBOUNDARY);
    assert_int_equal(parse("b", "--c\r\n\r\n--c--", NULL, &s), VB_MP_EBOUNDARY);
    /* garbage after a delimiter */
    assert_int_equal(parse("b", "--bX\r\n", NULL, &s), VB_MP_EBOUNDARY);
    /* no Content-Disposition, not form-data, bad syntax */
    assert_int_equal(parse("b", "--b\r\n\r\nx\r\n--b--", NULL, &s), VB_MP_EHEADER);
    assert_int_equal(
        parse("b", "--b\r\nContent-Disposition: attachment\r\n\r\nx\r\n--b--", NULL, &s),
        VB_MP_EHEADER);
    assert_int_equal(parse("b", "--b\r\nno colon\r\n\r\nx\r\n--b--", NULL, &s), VB_MP_EHEADER);
    assert_int_equal(
        parse("b", "--b\r\nContent-Disposition: form-data; name=\"x\r\n\r\nx\r\n--b--", NULL, &s),
        VB_MP_EHEADER);
    /* too many parts */
    lim.max_parts = 2;
    const char *three = "--b\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n"
                        "--b\r\nContent-Disposition: form-data; name=b\r\n\r\n2\r\n"
                        "--b\r\nContent-Disposition: form-data; name=c\r\n\r\n3\r\n--b--";
    assert_int_equal(parse("b", three, &lim, &s), VB_MP_EPARTS);
    lim.max_parts = 3;
    assert_int_equal(parse("b", three, &lim, &s), VB_MP_OK);
    /* header bytes, preamble, name and file name lengths */
    lim.max_header_bytes = 40;
    assert_int_equal(
        parse("b", "--b\r\nContent-Disposition: form-data; name=abcdefghij\r\n\r\n", &lim, &s),
        VB_MP_EHEADERSIZE);
    char pre[100];
    memset(pre, 'p', 60);
    strcpy(pre + 60, "\r\n--b--");
    assert_int_equal(parse("b", pre, &lim, &s), VB_MP_EBOUNDARY);
    vb_multipart_limits_default(&lim);
    lim.max_name = 3;
    lim.max_filename = 5;
    assert_int_equal(
        parse("b", "--b\r\nContent-Disposition: form-data; name=abcd\r\n\r\n\r\n--b--", &lim, &s),
        VB_MP_ENAME);
    assert_int_equal(parse("b",
                           "--b\r\nContent-Disposition: form-data; name=a; "
                           "filename=\"abcdef\"\r\n\r\n\r\n--b--",
                           &lim, &s),
                     VB_MP_ENAME);
    /* the error is sticky */
    vb_multipart *mp = vb_multipart_new("b", NULL, &CBS, &s);
    assert_int_equal(vb_multipart_feed(mp, "--bX", 4), VB_MP_EBOUNDARY);
    assert_int_equal(vb_multipart_feed(mp, "\r\n--b--", 7), VB_MP_EBOUNDARY);
    assert_int_equal(vb_multipart_finish(mp), VB_MP_EBOUNDARY);
    vb_multipart_free(mp);
}

static int stop_data(const char *d, size_t n, void *ud)
{
    (void)d, (void)n, (void)ud;
    return 1;
}

static void test_abort(void **state)
{
    (void)state;
    vb_multipart_cbs cbs = {NULL, stop_data, NULL};
    vb_multipart *mp = vb_multipart_new("b", NULL, &cbs, NULL);
    const char *body = "--b\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--b--";
    assert_int_equal(vb_multipart_feed(mp, body, strlen(body)), VB_MP_EABORT);
    assert_int_equal(vb_multipart_parts(mp), 1);
    vb_multipart_free(mp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_boundary),    cmocka_unit_test(test_whole),
        cmocka_unit_test(test_every_split), cmocka_unit_test(test_no_preamble_and_filename_star),
        cmocka_unit_test(test_errors),      cmocka_unit_test(test_abort),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
