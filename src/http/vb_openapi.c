/*
 * OpenAPI 3.1.0 document generation from the route table. Every schema is
 * inlined except the shared Error object, so the HTML viewer (and any other
 * reader) needs no $ref resolution for request bodies and parameters.
 *
 * Allocation failures while filling the document only leave parts out
 * (jansson's *_set_new ignore NULL values); only a failure to allocate the
 * root yields NULL.
 */
#include "http/vb_openapi.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* Same bound rules as vb_validate.c: 0,0 means none; max 0 with a positive
 * min means no upper bound. */
static int has_min(const vb_field *f)
{
    return f->min != 0 || f->max != 0;
}

static int has_max(const vb_field *f)
{
    return f->max != 0 || f->min < 0;
}

/* The name of a format in the document, and its pattern when it has one. */
static void format_info(vb_fformat fmt, const char **name, const char **pattern)
{
    *name = NULL;
    *pattern = NULL;
    switch (fmt) {
    case VB_FMT_NONE:
        break;
    case VB_FMT_EMAIL:
        *name = "email";
        break;
    case VB_FMT_ID:
        *name = "vb-id";
        *pattern = "^[0-9a-hjkmnp-tv-z]{20}$";
        break;
    case VB_FMT_PROJECT_KEY:
        *name = "project-key";
        *pattern = "^[A-Z][A-Z0-9]{1,9}$";
        break;
    case VB_FMT_COLOR:
        *name = "color";
        *pattern = "^#[0-9A-Fa-f]{6}$";
        break;
    case VB_FMT_SLUG:
        *name = "slug";
        *pattern = "^[a-z0-9]+(-[a-z0-9]+)*$";
        break;
    case VB_FMT_CHANNEL_NAME:
        *name = "channel-name";
        *pattern = "^[a-z0-9-]+$";
        break;
    case VB_FMT_DATETIME:
        *name = "date-time";
        break;
    case VB_FMT_URL:
        *name = "uri";
        break;
    }
}

/* Adds "format" (and "pattern") for fmt to the string schema o. */
static void add_format(json_t *o, vb_fformat fmt)
{
    const char *name, *pattern;
    format_info(fmt, &name, &pattern);
    if (name) json_object_set_new(o, "format", json_string(name));
    if (pattern) json_object_set_new(o, "pattern", json_string(pattern));
}

/* Sets o[key] to x, as an integer when x is integral. */
static void set_num(json_t *o, const char *key, double x)
{
    if (x == (double)(json_int_t)x)
        json_object_set_new(o, key, json_integer((json_int_t)x));
    else
        json_object_set_new(o, key, json_real(x));
}

/* Adds the bounds of f to o under the given keywords. */
static void add_bounds(json_t *o, const vb_field *f, const char *kmin, const char *kmax)
{
    if (has_min(f) && (f->min != 0 || f->type == VB_F_INT || f->type == VB_F_NUMBER))
        set_num(o, kmin, f->min);
    if (has_max(f)) set_num(o, kmax, f->max);
}

/* The JSON schema of one field (a new object). */
static json_t *field_schema(const vb_field *f)
{
    json_t *o = json_object();
    const char *type = "string";

    switch (f->type) {
    case VB_F_STRING:
        add_bounds(o, f, "minLength", "maxLength");
        add_format(o, f->format);
        break;
    case VB_F_INT:
        type = "integer";
        add_bounds(o, f, "minimum", "maximum");
        break;
    case VB_F_NUMBER:
        type = "number";
        add_bounds(o, f, "minimum", "maximum");
        break;
    case VB_F_BOOL:
        type = "boolean";
        break;
    case VB_F_ENUM: {
        json_t *vals = json_array();
        for (size_t i = 0; f->values && f->values[i]; i++)
            json_array_append_new(vals, json_string(f->values[i]));
        if (f->nullable) json_array_append_new(vals, json_null());
        json_object_set_new(o, "enum", vals);
        break;
    }
    case VB_F_STRING_ARRAY: {
        json_t *items = json_pack("{s:s}", "type", "string");
        type = "array";
        add_format(items, f->format);
        json_object_set_new(o, "items", items);
        add_bounds(o, f, "minItems", "maxItems");
        break;
    }
    }
    if (f->nullable)
        json_object_set_new(o, "type", json_pack("[s,s]", type, "null"));
    else
        json_object_set_new(o, "type", json_string(type));
    if (f->description) json_object_set_new(o, "description", json_string(f->description));
    return o;
}

/* The object schema of a request body. */
static json_t *body_schema(const vb_schema *s)
{
    json_t *props = json_object(), *req = json_array();
    json_t *o = json_pack("{s:s}", "type", "object");

    for (size_t i = 0; i < s->nfields; i++) {
        json_object_set_new(props, s->fields[i].name, field_schema(&s->fields[i]));
        if (s->fields[i].required) json_array_append_new(req, json_string(s->fields[i].name));
    }
    json_object_set_new(o, "properties", props);
    if (json_array_size(req) > 0)
        json_object_set_new(o, "required", req);
    else
        json_decref(req);
    if (s->min_props > 0) json_object_set_new(o, "minProperties", json_integer(s->min_props));
    return o;
}

/* Converts ":name" segments of pattern into "{name}" and appends a required
 * path parameter for each to params. Returns the new path string. */
static json_t *convert_path(const char *pattern, json_t *params)
{
    char buf[512];
    size_t o = 0;

    for (const char *p = pattern; *p && o + 2 < sizeof buf;) {
        if (*p == ':' && (p == pattern || p[-1] == '/')) {
            size_t n = strcspn(p + 1, "/");
            if (o + n + 3 >= sizeof buf) break;
            buf[o++] = '{';
            memcpy(buf + o, p + 1, n);
            o += n;
            buf[o++] = '}';
            json_array_append_new(params,
                                  json_pack("{s:s%, s:s, s:b, s:{s:s}}", "name", p + 1, n, "in",
                                            "path", "required", 1, "schema", "type", "string"));
            p += n + 1;
        } else {
            buf[o++] = *p++;
        }
    }
    return json_stringn(buf, o);
}

/* A response object referring to the shared Error schema. */
static json_t *error_response(const char *description)
{
    return json_pack("{s:s, s:{s:{s:{s:s}}}}", "description", description, "content",
                     "application/json", "schema", "$ref", "#/components/schemas/Error");
}

/* The success response for route's status and result shape. */
static json_t *success_response(const vb_route *route)
{
    json_t *schema;

    if (route->result == VB_RESULT_EMPTY || route->status == 204)
        return json_pack("{s:s}", "description", "No Content");
    if (route->result == VB_RESULT_PAGE)
        schema = json_pack("{s:s, s:[s,s,s], s:{s:{s:s, s:b}, s:{s:s, s:{}}, s:{s:s, s:s}}}",
                           "type", "object", "required", "success", "data", "meta", "properties",
                           "success", "type", "boolean", "const", 1, "data", "type", "array",
                           "items", "meta", "type", "object", "description",
                           "page, limit, total, totalPages, hasNext, hasPrev (or a cursor's "
                           "limit, hasMore)");
    else
        schema = json_pack("{s:s, s:[s,s], s:{s:{s:s, s:b}, s:{}}}", "type", "object", "required",
                           "success", "data", "properties", "success", "type", "boolean", "const",
                           1, "data");
    return json_pack("{s:s, s:{s:{s:o}}}", "description", "Success", "content", "application/json",
                     "schema", schema);
}

/* The operation object of one route. */
static json_t *operation(const vb_route *route, json_t *path_params)
{
    json_t *op = json_object(), *params = json_deep_copy(path_params), *resp = json_object();
    char status[8];

    if (route->op_id) json_object_set_new(op, "operationId", json_string(route->op_id));
    if (route->tag) json_object_set_new(op, "tags", json_pack("[s]", route->tag));
    if (route->summary) json_object_set_new(op, "summary", json_string(route->summary));
    if (route->auth == VB_AUTH_BEARER)
        json_object_set_new(op, "security", json_pack("[{s:[]}]", "bearerAuth"));
    else
        json_object_set_new(op, "security", json_array());
    for (size_t i = 0; route->query && i < route->query->nfields; i++) {
        const vb_field *f = &route->query->fields[i];
        json_t *p = json_pack("{s:s, s:s, s:b, s:o}", "name", f->name, "in", "query", "required",
                              f->required ? 1 : 0, "schema", field_schema(f));
        if (p && f->description) json_object_set_new(p, "description", json_string(f->description));
        if (p && f->type == VB_F_STRING_ARRAY) {
            json_object_set_new(p, "style", json_string("form"));
            json_object_set_new(p, "explode", json_true());
        }
        json_array_append_new(params, p);
    }
    if (json_array_size(params) > 0)
        json_object_set_new(op, "parameters", params);
    else
        json_decref(params);
    if (route->body)
        json_object_set_new(op, "requestBody",
                            json_pack("{s:b, s:{s:{s:o}}}", "required", 1, "content",
                                      "application/json", "schema", body_schema(route->body)));
    snprintf(status, sizeof status, "%d", route->status ? route->status : 200);
    json_object_set_new(resp, status, success_response(route));
    if (route->auth == VB_AUTH_BEARER)
        json_object_set_new(resp, "401", error_response("Missing or invalid access token"));
    json_object_set_new(resp, "404", error_response("Not found"));
    if (route->body || route->query)
        json_object_set_new(resp, "422", error_response("Validation failed"));
    json_object_set_new(op, "responses", resp);
    return op;
}

typedef struct build_ctx {
    json_t *paths;
    json_t *tags;
} build_ctx;

/* Adds one route to the document (a vb_router_each callback). */
static void add_route(const vb_route *route, void *ud)
{
    build_ctx *b = ud;
    json_t *params = json_array(), *path = convert_path(route->pattern, params);
    json_t *item;
    char method[16];
    size_t i;

    if (!path) goto done;
    item = json_object_get(b->paths, json_string_value(path));
    if (!item) {
        item = json_object();
        if (json_object_set_new(b->paths, json_string_value(path), item) != 0) goto done;
    }
    for (i = 0; route->method[i] && i + 1 < sizeof method; i++)
        method[i] = (char)tolower((unsigned char)route->method[i]);
    method[i] = '\0';
    json_object_set_new(item, method, operation(route, params));
    if (route->tag) {
        size_t j;
        json_t *t;
        json_array_foreach(b->tags, j, t)
        {
            if (strcmp(json_string_value(json_object_get(t, "name")), route->tag) == 0) goto done;
        }
        json_array_append_new(b->tags, json_pack("{s:s}", "name", route->tag));
    }
done:
    json_decref(path);
    json_decref(params);
}

/* See vb_openapi.h. */
json_t *vb_openapi_build(const vb_router *r, const char *title, const char *version)
{
    build_ctx b = {json_object(), json_array()};
    json_t *error = json_pack(
        "{s:s, s:[s,s,s], s:{s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s, s:{s:s, s:[s,s], s:{s:{s:s}, "
        "s:{s:s}}}}}}",
        "type", "object", "required", "statusCode", "code", "message", "properties", "statusCode",
        "type", "integer", "code", "type", "string", "message", "type", "string", "errors", "type",
        "array", "items", "type", "object", "required", "field", "message", "properties", "field",
        "type", "string", "message", "type", "string");
    json_t *doc;

    vb_router_each(r, add_route, &b);
    doc = json_pack("{s:s, s:{s:s, s:s}, s:o, s:o, s:{s:{s:{s:s, s:s, s:s}}, s:{s:o}}}", "openapi",
                    "3.1.0", "info", "title", title ? title : "API", "version",
                    version ? version : "0", "tags", b.tags, "paths", b.paths, "components",
                    "securitySchemes", "bearerAuth", "type", "http", "scheme", "bearer",
                    "bearerFormat", "JWT", "schemas", "Error", error);
    return doc;
}
