/* Unit tests for app/vb_auth.c: JWT sign/verify, passwords, tokens, hashes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "app/vb_auth.h"
#include "core/vb_common.h"

#include <jwt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const unsigned char KEY[] = "a-test-secret-that-is-long-enough-0123456789";
#define KEYLEN (sizeof KEY - 1)

static void test_sign_verify_roundtrip(void **state)
{
    char *tok = NULL;
    json_t *claims = NULL;

    assert_int_equal(vb_auth_jwt_sign(KEY, KEYLEN, "u1", "a@b.co", "user", 900, &tok), 0);
    assert_non_null(tok);
    assert_int_equal(vb_auth_jwt_verify(KEY, KEYLEN, tok, &claims), 0);
    assert_non_null(claims);
    assert_string_equal(json_string_value(json_object_get(claims, "sub")), "u1");
    assert_string_equal(json_string_value(json_object_get(claims, "email")), "a@b.co");
    assert_string_equal(json_string_value(json_object_get(claims, "role")), "user");
    json_int_t exp = json_integer_value(json_object_get(claims, "exp"));
    json_int_t now = vb_wall_ms() / 1000;
    assert_true(exp >= now + 890 && exp <= now + 910);
    json_decref(claims);
    free(tok);
}

static void test_wrong_key(void **state)
{
    char *tok = NULL;
    json_t *claims = (json_t *)1;
    static const unsigned char other[] = "another-secret-key-of-some-length-here";

    assert_int_equal(vb_auth_jwt_sign(KEY, KEYLEN, "u1", "a@b.co", "user", 900, &tok), 0);
    assert_int_equal(vb_auth_jwt_verify(other, sizeof other - 1, tok, &claims), VB_EUNAUTH);
    assert_null(claims);
    free(tok);
}

static void test_expired(void **state)
{
    char *tok = NULL;
    json_t *claims = NULL;

    assert_int_equal(vb_auth_jwt_sign(KEY, KEYLEN, "u1", "a@b.co", "user", -10, &tok), 0);
    assert_int_equal(vb_auth_jwt_verify(KEY, KEYLEN, tok, &claims), VB_EUNAUTH);
    assert_null(claims);
    free(tok);
}

/* base64url without padding of s. */
static void b64url(const char *s, char *out, size_t outlen)
{
    sodium_bin2base64(out, outlen, (const unsigned char *)s, strlen(s),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static void test_alg_none_refused(void **state)
{
    char h[256], c[512], tok[1024];
    char claims_json[256];
    json_t *claims = NULL;

    assert_true(sodium_init() >= 0);
    snprintf(claims_json, sizeof claims_json,
             "{\"sub\":\"u1\",\"email\":\"a@b.co\",\"role\":\"superadmin\",\"exp\":%lld}",
             (long long)(vb_wall_ms() / 1000 + 3600));
    b64url("{\"alg\":\"none\",\"typ\":\"JWT\"}", h, sizeof h);
    b64url(claims_json, c, sizeof c);
    snprintf(tok, sizeof tok, "%s.%s.", h, c);
    assert_int_equal(vb_auth_jwt_verify(KEY, KEYLEN, tok, &claims), VB_EUNAUTH);
    assert_null(claims);
    /* Without the trailing dot, too. */
    snprintf(tok, sizeof tok, "%s.%s", h, c);
    assert_int_equal(vb_auth_jwt_verify(KEY, KEYLEN, tok, &claims), VB_EUNAUTH);
    assert_null(claims);
}

/* Signs a valid-looking token with alg and KEY directly through libjwt. */
static char *sign_with(jwt_alg_t alg)
{
    jwt_t *jwt = NULL;
    char *tok;

    assert_int_equal(jwt_new(&jwt), 0);
    assert_int_equal(jwt_add_grant(jwt, "sub", "u1"), 0);
    assert_int_equal(jwt_add_grant_int(jwt, "exp", (long)(vb_wall_ms() / 1000 + 3600)), 0);
    assert_int_equal(jwt_set_alg(jwt, alg, KEY, (int)KEYLEN), 0);
    tok = jwt_encode_str(jwt);
    assert_non_null(tok);
    jwt_free(jwt);
    return tok;
}

static void test_other_algs_refused(void **state)
{
    jwt_alg_t algs[] = {JWT_ALG_HS384, JWT_ALG_HS512};
    json_t *claims = NULL;

    for (size_t i = 0; i < 2; i++) {
        char *tok = sign_with(algs[i]);
        assert_int_equal(vb_auth_jwt_verify(KEY, KEYLEN, tok, &claims), VB_EUNAUTH);
        assert_null(claims);
        free(tok);
    }
    /* Control: the same construction with HS256 is accepted. */
    char *tok = sign_with(JWT_ALG_HS256);
    assert_int_equal(vb_auth_jwt_verify(KEY, KEYLEN, tok, &claims), 0);
    json_decref(claims);
    free(tok);
}

static void test_missing_exp_and_sub(void **state)
{
    jwt_t *jwt = NULL;
    char *tok;
    json_t *claims = NULL;

    /* No exp. */
    assert_int_equal(jwt_new(&jwt), 0);
    assert_int_equal(jwt_add_grant(jwt, "sub", "u1"), 0);
    assert_int_equal(jwt_set_alg(jwt, JWT_ALG_HS256, KEY, (int)KEYLEN), 0);
    tok = jwt_encode_str(jwt);
    jwt_free(jwt);
    assert_int_equal(vb_auth_jwt_verify(KEY, KEYLEN, tok, &claims), VB_EUNAUTH);
    free(tok);
    /* Empty sub. */
    assert_int_equal(jwt_new(&jwt), 0);
    assert_int_equal(jwt_add_grant(jwt, "sub", ""), 0);
    assert_int_equal(jwt_add_grant_int(jwt, "exp", (long)(vb_wall_ms() / 1000 + 3600)), 0);
    assert_int_equal(jwt_set_alg(jwt, JWT_ALG_HS256, KEY, (int)KEYLEN), 0);
    tok = jwt_encode_str(jwt);
    jwt_free(jwt);
    assert_int_equal(vb_auth_jwt_verify(KEY, KEYLEN, tok, &claims), VB_EUNAUTH);
    assert_null(claims);
    free(tok);
    /* Sign refuses an empty sub and an empty key. */
    assert_int_equal(vb_auth_jwt_sign(KEY, KEYLEN, "", "a@b.co", "user", 60, &tok), VB_EINVAL);
    assert_int_equal(vb_auth_jwt_sign(KEY, 0, "u1", "a@b.co", "user", 60, &tok), VB_EINVAL);
}

static void test_tampered_payload(void **state)
{
    char *tok = NULL, *evil, c[512], claims_json[256];
    json_t *claims = NULL;

    assert_int_equal(vb_auth_jwt_sign(KEY, KEYLEN, "u1", "a@b.co", "user", 900, &tok), 0);
    char *dot1 = strchr(tok, '.'), *dot2 = strrchr(tok, '.');
    assert_true(dot1 && dot2 && dot1 < dot2);
    snprintf(claims_json, sizeof claims_json,
             "{\"sub\":\"u1\",\"email\":\"a@b.co\",\"role\":\"superadmin\",\"exp\":%lld}",
             (long long)(vb_wall_ms() / 1000 + 900));
    b64url(claims_json, c, sizeof c);
    evil = malloc(strlen(tok) + strlen(c) + 4);
    sprintf(evil, "%.*s.%s%s", (int)(dot1 - tok), tok, c, dot2);
    assert_int_equal(vb_auth_jwt_verify(KEY, KEYLEN, evil, &claims), VB_EUNAUTH);
    assert_null(claims);
    /* Flipping one signature character also fails. */
    strcpy(evil, tok);
    char *last = evil + strlen(evil) - 2;
    *last = *last == 'A' ? 'B' : 'A';
    assert_int_equal(vb_auth_jwt_verify(KEY, KEYLEN, evil, &claims), VB_EUNAUTH);
    free(evil);
    free(tok);
}

static void test_garbage(void **state)
{
    const char *bad[] = {"", ".", "..", "abc", "a.b.c", "eyJhbGciOiJIUzI1NiJ9..", "\xff\xfe.x.y"};
    json_t *claims = NULL;

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(vb_auth_jwt_verify(KEY, KEYLEN, bad[i], &claims), VB_EUNAUTH);
        assert_null(claims);
    }
    assert_int_equal(vb_auth_jwt_verify(KEY, KEYLEN, NULL, &claims), VB_EUNAUTH);
    /* Over the size limit: refused before decoding. */
    char *huge = malloc(5000);
    memset(huge, 'a', 4999);
    huge[4999] = '\0';
    huge[100] = '.';
    huge[200] = '.';
    assert_int_equal(vb_auth_jwt_verify(KEY, KEYLEN, huge, &claims), VB_EUNAUTH);
    free(huge);
}

static void test_password(void **state)
{
    char hash[VB_PASSWORD_HASH_MAX];

    assert_int_equal(vb_auth_password_hash("correct horse battery", hash), 0);
    assert_true(strncmp(hash, "$argon2id$", 10) == 0);
    assert_int_equal(vb_auth_password_verify(hash, "correct horse battery"), 1);
    assert_int_equal(vb_auth_password_verify(hash, "correct horse batterY"), 0);
    assert_int_equal(vb_auth_password_verify(hash, ""), 0);
    assert_int_equal(vb_auth_password_verify("not a hash", "x"), 0);
    const char *d1 = vb_auth_password_dummy_hash(), *d2 = vb_auth_password_dummy_hash();
    assert_ptr_equal(d1, d2);
    assert_true(strncmp(d1, "$argon2id$", 10) == 0);
    assert_int_equal(vb_auth_password_verify(d1, "correct horse battery"), 0);
}

static void test_token_random(void **state)
{
    char a[VB_REFRESH_TOKEN_LEN + 1], b[VB_REFRESH_TOKEN_LEN + 1];

    for (int i = 0; i < 200; i++) {
        vb_auth_token_random(a);
        vb_auth_token_random(b);
        assert_int_equal(strlen(a), VB_REFRESH_TOKEN_LEN);
        assert_int_equal(
            strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            VB_REFRESH_TOKEN_LEN);
        assert_string_not_equal(a, b);
    }
}

static void test_sha256_and_eq(void **state)
{
    char out[65];

    vb_auth_sha256_hex("abc", out);
    assert_string_equal(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    vb_auth_sha256_hex("", out);
    assert_string_equal(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_int_equal(vb_auth_str_eq_ct("abc", "abc"), 1);
    assert_int_equal(vb_auth_str_eq_ct("abc", "abd"), 0);
    assert_int_equal(vb_auth_str_eq_ct("abc", "abcd"), 0);
    assert_int_equal(vb_auth_str_eq_ct("", ""), 1);
    assert_int_equal(vb_auth_str_eq_ct("", "a"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sign_verify_roundtrip),
        cmocka_unit_test(test_wrong_key),
        cmocka_unit_test(test_expired),
        cmocka_unit_test(test_alg_none_refused),
        cmocka_unit_test(test_other_algs_refused),
        cmocka_unit_test(test_missing_exp_and_sub),
        cmocka_unit_test(test_tampered_payload),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_password),
        cmocka_unit_test(test_token_random),
        cmocka_unit_test(test_sha256_and_eq),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
