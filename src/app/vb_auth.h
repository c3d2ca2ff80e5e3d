/*
 * Credentials: access JWTs (HS256 via libjwt), password hashes (argon2id via
 * libsodium), opaque refresh tokens and their hashes.
 */
#ifndef VB_AUTH_H
#define VB_AUTH_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define VB_PASSWORD_HASH_MAX 128 /* >= crypto_pwhash_STRBYTES */
#define VB_REFRESH_TOKEN_LEN 43  /* base64url of 32 random bytes, no padding */

/* Signs an HS256 JWT with claims sub, email, role, iat, exp (now + ttl_s).
 * *out is malloc'd. Returns 0 or VB_ENOMEM/VB_EINVAL. */
int vb_auth_jwt_sign(const unsigned char *key, size_t keylen, const char *sub, const char *email,
                     const char *role, int64_t ttl_s, char **out);
/* Verifies signature (HS256 only: "none" and every other alg are refused), exp
 * (must be present and in the future) and sub. *claims receives a new object
 * {sub, email, role, exp}. Returns 0 or VB_EUNAUTH. */
int vb_auth_jwt_verify(const unsigned char *key, size_t keylen, const char *token, json_t **claims);

/* argon2id (libsodium's interactive limits). Slow by design: never call on the
 * loop thread (use uv_queue_work). Returns 0 or VB_ENOMEM. */
int vb_auth_password_hash(const char *password, char out[VB_PASSWORD_HASH_MAX]);
/* 1 if password matches hash, else 0. Also slow. */
int vb_auth_password_verify(const char *hash, const char *password);
/* A hash of a random password, to verify against when the user does not exist
 * so that timing does not reveal which emails are registered. */
const char *vb_auth_password_dummy_hash(void);

/* A new opaque refresh token (VB_REFRESH_TOKEN_LEN chars + NUL). */
void vb_auth_token_random(char out[VB_REFRESH_TOKEN_LEN + 1]);
/* Lower-case hex SHA-256 of s. */
void vb_auth_sha256_hex(const char *s, char out[65]);
/* Constant-time string equality (lengths compared too). */
int vb_auth_str_eq_ct(const char *a, const char *b);

#endif
