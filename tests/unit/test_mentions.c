/*
 * Unit tests of the @mention parser (vb_mentions_parse): where a mention may
 * start, what a handle is made of, trailing punctuation, case folding,
 * de-duplication, the length and count limits, and UTF-8 neighbours.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "store/vb_mentions.h"

static char H[VB_MENTIONS_MAX + 4][VB_HANDLE_MAX + 1];

/* Parses text with room for max handles and returns the count. */
static size_t parse(const char *text, size_t max)
{
    memset(H, 'x', sizeof H);
    return vb_mentions_parse(text, H, max);
}

/* Asserts that text yields exactly the handles of the NULL-terminated list. */
static void expect(const char *text, ...)
{
    const char *want[VB_MENTIONS_MAX + 1];
    size_t n = 0;
    va_list ap;

    va_start(ap, text);
    for (const char *s = va_arg(ap, const char *); s; s = va_arg(ap, const char *))
        want[n++] = s;
    va_end(ap);
    size_t got = parse(text, VB_MENTIONS_MAX);
    if (got != n) fail_msg("\"%s\": %zu handles, expected %zu", text, got, n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(H[i], want[i]);
}

static void test_basic(void **state)
{
    expect("@bob", "bob", NULL);
    expect("hello @bob, see this", "bob", NULL);
    expect("(@ann) [@carl] {@dave}", "ann", "carl", "dave", NULL);
    expect("no mentions here", NULL);
    expect("", NULL);
    expect("line1\n@eve\tand\t@frank", "eve", "frank", NULL);
    expect("@a", "a", NULL);
    expect("\"@quoted\"", "quoted", NULL);
    expect("!@bang ?@q #@h", "bang", "q", "h", NULL);
}

static void test_handle_chars(void **state)
{
    expect("@john.doe_x-1 hi", "john.doe_x-1", NULL);
    expect("@bob+tag", "bob", NULL); /* '+' ends the handle */
    expect("@bob's", "bob", NULL);   /* apostrophe ends it */
    expect("@bob/ann", "bob", NULL); /* '/' ends it */
    expect("@bob/@ann", "bob", "ann", NULL);
}

static void test_trailing_punctuation(void **state)
{
    expect("thanks @bob.", "bob", NULL);
    expect("thanks @bob...", "bob", NULL);
    expect("@bob- @ann_ @carl._-", "bob", "ann", "carl", NULL);
    expect("@... @_ @-", NULL); /* nothing left after trimming */
    expect("@a.b.", "a.b", NULL);
}

static void test_not_a_mention(void **state)
{
    expect("mail a@b.com please", NULL);
    expect("x.@bob", NULL); /* after '.' */
    expect("x_@bob", NULL); /* after '_' */
    expect("x-@bob", NULL); /* after '-' */
    expect("9@bob", NULL);  /* after a digit */
    expect("@@bob", NULL);  /* second '@' follows '@'; the first has no handle */
    expect("@ bob", NULL);  /* space right after '@' */
    expect("@", NULL);
    expect("trailing @", NULL);
    expect("@bob.@ann", "bob", NULL); /* "@ann" follows '.' */
}

static void test_case_and_duplicates(void **state)
{
    expect("@Bob @BOB @bob @ann @Ann", "bob", "ann", NULL);
    expect("@MiXeD.Case", "mixed.case", NULL);
    expect("@bob. @bob, @bob!", "bob", NULL);
}

static void test_limits(void **state)
{
    char text[4096], handle[VB_HANDLE_MAX + 2];
    size_t n;

    /* exactly VB_HANDLE_MAX characters is kept, one more is skipped */
    memset(handle, 'h', VB_HANDLE_MAX);
    handle[VB_HANDLE_MAX] = '\0';
    snprintf(text, sizeof text, "@%s @%sH @ok", handle, handle);
    n = parse(text, VB_MENTIONS_MAX);
    assert_int_equal(n, 2);
    assert_string_equal(H[0], handle);
    assert_string_equal(H[1], "ok");
    /* trailing dots do not count toward the length */
    snprintf(text, sizeof text, "@%s...", handle);
    assert_int_equal(parse(text, VB_MENTIONS_MAX), 1);

    /* at most max distinct handles */
    text[0] = '\0';
    for (int i = 0; i < VB_MENTIONS_MAX + 3; i++) {
        char one[16];
        snprintf(one, sizeof one, "@u%d ", i);
        strcat(text, one);
    }
    assert_int_equal(parse(text, VB_MENTIONS_MAX), VB_MENTIONS_MAX);
    assert_string_equal(H[0], "u0");
    assert_string_equal(H[VB_MENTIONS_MAX - 1], "u19");
    assert_int_equal(parse(text, 3), 3);
    assert_int_equal(parse(text, 0), 0);
    /* duplicates do not use up the limit */
    assert_int_equal(parse("@a @a @a @b", 2), 2);
    assert_string_equal(H[1], "b");
    /* NULL text */
    assert_int_equal(vb_mentions_parse(NULL, H, VB_MENTIONS_MAX), 0);
}

static void test_utf8_neighbours(void **state)
{
    expect("caf\xc3\xa9@bob", NULL);                     /* after a letter (é) */
    expect("\xe6\x97\xa5@bob", NULL);                    /* after a CJK ideograph */
    expect("\xc2\xa0@bob", "bob", NULL);                 /* after a no-break space */
    expect("\xe2\x80\x94@bob", "bob", NULL);             /* after an em dash */
    expect("\xe3\x80\x8c@bob\xe3\x80\x8d", "bob", NULL); /* CJK brackets */
    expect("@bob\xc3\xa9", "bob", NULL);                 /* a non-ASCII letter ends the handle */
    expect("\xc3\xa9 @j\xc3\xa9r\xc3\xb4me", "j", NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_handle_chars),
        cmocka_unit_test(test_trailing_punctuation),
        cmocka_unit_test(test_not_a_mention),
        cmocka_unit_test(test_case_and_duplicates),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_utf8_neighbours),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
