/*
 * Credentials: HS256 access tokens through libjwt, argon2id password hashes,
 * random refresh tokens and constant-time comparisons through libsodium.
 */
#include "app/vb_auth.h"
#include "core/vb_common.h"

#include <errno.h>
#include <jwt.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define VB_JWT_MAX_TOKEN 4096

/* sodium_init() is idempotent and thread-safe; a failure leaves the library
 * unusable, which we report as out of resources. */
static int ensure_sodium(void)
{
    return sodium_init() < 0 ? VB_ENOMEM : 0;
}

/*
 * Signs an HS256 token carrying sub, email, role, iat and exp. The key must
 * be non-empty (an empty HMAC key would make every token forgeable). On
 * success *out is a malloc'd string owned by the caller.
 */
int vb_auth_jwt_sign(const unsigned char *key, size_t keylen, const char *sub, const char *email,
                     const char *role, int64_t ttl_s, char **out)
{
    jwt_t *jwt = NULL;
    char *tok = NULL;
    int rc = VB_ENOMEM;
    long now = (long)(vb_wall_ms() / 1000);

    if (!out) return VB_EINVAL;
    *out = NULL;
    if (!key || keylen == 0 || keylen > 0x7fffffff || !sub || !*sub) return VB_EINVAL;
    if (jwt_new(&jwt) != 0) return VB_ENOMEM;
    if (jwt_add_grant(jwt, "sub", sub) != 0) goto done;
    if (email && jwt_add_grant(jwt, "email", email) != 0) goto done;
    if (role && jwt_add_grant(jwt, "role", role) != 0) goto done;
    if (jwt_add_grant_int(jwt, "iat", now) != 0) goto done;
    if (jwt_add_grant_int(jwt, "exp", now + (long)ttl_s) != 0) goto done;
    if (jwt_set_alg(jwt, JWT_ALG_HS256, key, (int)keylen) != 0) goto done;
    tok = jwt_encode_str(jwt);
    if (!tok) goto done;
    *out = tok;
    rc = 0;
done:
    jwt_free(jwt);
    return rc;
}

/*
 * Verifies token against key. libjwt checks the signature for the alg named
 * in the token's own header, so we additionally insist that this alg is
 * HS256: "none" (no signature) and HS384/HS512 (same key, other MAC) are
 * refused. exp must be present and in the future, sub non-empty. On success
 * *claims receives a new object {sub, email, role, exp} owned by the caller.
 */
int vb_auth_jwt_verify(const unsigned char *key, size_t keylen, const char *token, json_t **claims)
{
    jwt_t *jwt = NULL;
    json_t *c = NULL;
    const char *sub, *email, *role;
    long exp;
    int rc = VB_EUNAUTH;

    if (claims) *claims = NULL;
    if (!key || keylen == 0 || keylen > 0x7fffffff || !token || !claims) return VB_EUNAUTH;
    if (strnlen(token, VB_JWT_MAX_TOKEN + 1) > VB_JWT_MAX_TOKEN) return VB_EUNAUTH;
    if (jwt_decode(&jwt, token, key, (int)keylen) != 0 || !jwt) return VB_EUNAUTH;
    if (jwt_get_alg(jwt) != JWT_ALG_HS256) goto done;

    errno = 0;
    exp = jwt_get_grant_int(jwt, "exp");
    if (errno != 0) goto done; /* absent or not an integer */
    if ((int64_t)exp <= vb_wall_ms() / 1000) goto done;
    sub = jwt_get_grant(jwt, "sub");
    if (!sub || !*sub) goto done;
    email = jwt_get_grant(jwt, "email");
    role = jwt_get_grant(jwt, "role");

    c = json_pack("{s:s, s:s?, s:s?, s:I}", "sub", sub, "email", email, "role", role, "exp",
                  (json_int_t)exp);
    if (!c) goto done;
    *claims = c;
    rc = 0;
done:
    jwt_free(jwt);
    return rc;
}

/* Hashes password with argon2id at libsodium's interactive limits into out
 * (a NUL-terminated "$argon2id$..." string). Slow; never on the loop thread. */
int vb_auth_password_hash(const char *password, char out[VB_PASSWORD_HASH_MAX])
{
    char buf[crypto_pwhash_STRBYTES];

    _Static_assert(crypto_pwhash_STRBYTES <= VB_PASSWORD_HASH_MAX, "hash buffer too small");
    if (ensure_sodium() != 0 || !password) return VB_ENOMEM;
    if (crypto_pwhash_str(buf, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return VB_ENOMEM; /* the only failure mode is running out of memory */
    memcpy(out, buf, sizeof buf);
    sodium_memzero(buf, sizeof buf);
    return 0;
}

/* 1 if password matches the stored hash, else 0 (also for a malformed hash). */
int vb_auth_password_verify(const char *hash, const char *password)
{
    if (ensure_sodium() != 0 || !hash || !password) return 0;
    if (strnlen(hash, VB_PASSWORD_HASH_MAX) >= VB_PASSWORD_HASH_MAX) return 0;
    return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

static pthread_once_t g_dummy_once = PTHREAD_ONCE_INIT;
static char g_dummy_hash[VB_PASSWORD_HASH_MAX];

/* Computes the dummy hash of a random password, once per process. */
static void dummy_init(void)
{
    char pw[VB_REFRESH_TOKEN_LEN + 1];

    vb_auth_token_random(pw);
    if (vb_auth_password_hash(pw, g_dummy_hash) != 0) g_dummy_hash[0] = '\0';
    sodium_memzero(pw, sizeof pw);
}

/* A hash that no password matches in practice, with the same cost as a real
 * one, so logins of unknown emails take as long as those of known ones. */
const char *vb_auth_password_dummy_hash(void)
{
    pthread_once(&g_dummy_once, dummy_init);
    return g_dummy_hash;
}

/* 32 random bytes as unpadded base64url: VB_REFRESH_TOKEN_LEN characters. */
void vb_auth_token_random(char out[VB_REFRESH_TOKEN_LEN + 1])
{
    unsigned char raw[32];

    (void)ensure_sodium();
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(out, VB_REFRESH_TOKEN_LEN + 1, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
}

/* Lower-case hex SHA-256 of the bytes of s (without its NUL). */
void vb_auth_sha256_hex(const char *s, char out[65])
{
    unsigned char h[crypto_hash_sha256_BYTES];

    (void)ensure_sodium();
    crypto_hash_sha256(h, (const unsigned char *)s, strlen(s));
    sodium_bin2hex(out, 65, h, sizeof h);
}

/* Equality in time independent of where the strings differ (the lengths may
 * leak, which is fine for fixed-length tokens and hashes). */
int vb_auth_str_eq_ct(const char *a, const char *b)
{
    size_t la, lb;

    if (!a || !b) return 0;
    la = strlen(a);
    lb = strlen(b);
    if (la != lb) return 0;
    if (la == 0) return 1;
    return sodium_memcmp(a, b, la) == 0;
}
