/*
 * The OpenAPI 3.1 document, generated from the route table (vb_router.h) and
 * the declared schemas (vb_validate.h), and a small self-contained HTML page
 * that renders it.
 */
#ifndef VB_OPENAPI_H
#define VB_OPENAPI_H

#include "http/vb_router.h"

#include <jansson.h>

/*
 * Builds the OpenAPI 3.1.0 document for every route of r: paths with {param}
 * syntax, operationId, tags, summary, security (bearerAuth for
 * VB_AUTH_BEARER routes), path and query parameters, JSON request bodies and
 * the success and error responses. Returns a new object (caller owns it) or
 * NULL on allocation failure.
 */
json_t *vb_openapi_build(const vb_router *r, const char *title, const char *version);

/*
 * A self-contained HTML page (no external scripts or styles) that fetches the
 * document at spec_url and lists the operations grouped by tag. Returns a
 * malloc'd NUL-terminated string (caller frees) or NULL on allocation failure.
 */
char *vb_openapi_html(const char *spec_url);

#endif
