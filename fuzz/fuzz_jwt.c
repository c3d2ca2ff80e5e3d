/* libFuzzer target: JWT parsing and verification (src/app/vb_auth.c). The
 * input is the token; about one run in eight it is first made a validly
 * signed token whose claims are the input, so the claim checks run too. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/vb_auth.h"

static const unsigned char key[] = "fuzzing-key-fuzzing-key-fuzzing-key!";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *tok = malloc(size + 1);
    if (!tok) return 0;
    memcpy(tok, data, size);
    tok[size] = '\0';
    json_t *claims = NULL;
    if (vb_auth_jwt_verify(key, sizeof(key) - 1, tok, &claims) == 0) json_decref(claims);
    if (size > 1 && (data[0] & 7) == 0) {
        char *signed_tok = NULL;
        if (vb_auth_jwt_sign(key, sizeof(key) - 1, tok + 1, tok + 1, "member",
                             (int64_t)data[1] - 64, &signed_tok) == 0) {
            claims = NULL;
            if (vb_auth_jwt_verify(key, sizeof(key) - 1, signed_tok, &claims) == 0)
                json_decref(claims);
            free(signed_tok);
        }
    }
    free(tok);
    return 0;
}
