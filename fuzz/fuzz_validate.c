/* libFuzzer target: JSON body validation (src/http/vb_validate.c) against
 * the body schema of every route, and the query-string parser against every
 * query schema (the input as the query string). */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/vb_routes.h"
#include "http/vb_validate.h"

static const vb_route_group *const groups[] = {
    &vb_routes_ops,      &vb_routes_auth,     &vb_routes_workspaces,    &vb_routes_projects,
    &vb_routes_tasks,    &vb_routes_comments, &vb_routes_labels,        &vb_routes_activity,
    &vb_routes_channels, &vb_routes_messages, &vb_routes_notifications, &vb_routes_live,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *body = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
    char *query = malloc(size + 1);
    if (!query) {
        json_decref(body);
        return 0;
    }
    memcpy(query, data, size);
    query[size] = '\0';
    for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
        for (size_t i = 0; i < groups[g]->n; i++) {
            const vb_route *r = &groups[g]->routes[i];
            json_t *errors = json_array();
            if (r->body && body) {
                json_t *copy = json_deep_copy(body);
                if (copy) vb_validate_body(r->body, copy, errors);
                json_decref(copy);
            }
            if (r->query) {
                json_t *out = NULL;
                vb_validate_query(r->query, query, &out, errors);
                json_decref(out);
            }
            json_decref(errors);
        }
    }
    for (int f = VB_FMT_NONE; f <= VB_FMT_URL; f++)
        vb_format_ok((vb_fformat)f, query);
    free(query);
    json_decref(body);
    return 0;
}
