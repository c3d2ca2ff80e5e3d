/*
 * The streamed upload of an attachment. The request reaches the handler at
 * the end of its headers; the body is read only after the store has checked
 * access and created the row (state 'uploading'). The multipart parser then
 * hands the file's bytes on as they arrive; they are hashed (SHA-256) and
 * cut into chunks of VB_ATTACH_CHUNK, each appended by its own store
 * operation. With VB_ATTACH_MAX_INFLIGHT of them queued, reading pauses
 * until one completes, so an upload holds at most a few chunks in memory.
 * The closing delimiter finishes the row; any failure (limit, bad body,
 * peer gone) deletes it with its chunks.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/vb_app.h"
#include "app/vb_attach.h"
#include "app/vb_reply.h"
#include "core/vb_common.h"
#include "core/vb_id.h"
#include "core/vb_log.h"
#include "http/vb_multipart.h"
#include "store/vb_ops_attach.h"

#define MAX_CTYPE 127

typedef struct upload {
    vb_http_req *req; /* NULL once answered */
    vb_store *store;
    json_t *args; /* {actor, params} */
    size_t max_bytes;
    vb_multipart *mp;
    char aid[VB_ID_LEN + 1]; /* set once the row exists */
    int pending;             /* store operations not yet completed */
    int began;               /* the begin operation has completed */
    int body_done;
    int finishing;
    int aborted; /* the row's deletion was queued (or is not needed) */
    int paused;
    int depth; /* callbacks on the stack: u is freed only once it is 0 */
    int file_parts, in_file;
    char fname[1024];
    char ctype[MAX_CTYPE + 1];
    char *buf; /* the chunk being filled */
    size_t blen;
    int64_t seq;
    uint64_t size;
    uint64_t started_ms; /* bounded by VB_ATTACH_UPLOAD_MAX_MS */
    crypto_hash_sha256_state sha;
    /* why the multipart parser was stopped by a callback */
    int fail_status;
    const char *fail_code;
    const char *fail_msg;
} upload;

static void upload_maybe_free(upload *u)
{
    if (u->req || u->pending > 0 || u->depth > 0) return;
    vb_multipart_free(u->mp);
    free(u->buf);
    json_decref(u->args);
    free(u);
}

/* Every callback into an upload runs between enter() and leave(), and only
 * leave() frees it: nothing below frees u while it is still in use. */
static void enter(upload *u)
{
    u->depth++;
}

static void leave(upload *u)
{
    u->depth--;
    upload_maybe_free(u);
}

static void on_abort_done(const vb_store_res *res, void *ud)
{
    upload *u = ud;
    (void)res;
    enter(u);
    u->pending--;
    leave(u);
}

/* Queues the deletion of the row (if it exists and is not finished). */
static void upload_abort(upload *u)
{
    if (u->aborted || !u->began || !u->aid[0]) return;
    u->aborted = 1;
    json_t *a = json_pack("{s:s}", "attachmentId", u->aid);
    if (vb_store_submit(u->store, vb_op_attach_abort, VB_STORE_WRITE, a, on_abort_done, u) == 0)
        u->pending++;
    else
        vb_log(VB_LOG_WARN, "attachment %s: upload not deleted (store busy)", u->aid);
}

/* Answers with an error (once) and deletes what was stored. */
static void upload_fail(upload *u, int status, const char *code, const char *msg)
{
    if (u->req) {
        vb_http_req *req = u->req;
        u->req = NULL;
        req->on_gone = NULL;
        vb_reply_error(req, status, code, msg, NULL);
    }
    upload_abort(u);
}

static void upload_fail_res(upload *u, const vb_store_res *res)
{
    if (u->req) {
        vb_http_req *req = u->req;
        u->req = NULL;
        req->on_gone = NULL;
        vb_reply_store_error(req, res);
    }
    upload_abort(u);
}

static void on_finish_done(const vb_store_res *res, void *ud)
{
    upload *u = ud;
    enter(u);
    u->pending--;
    if (res->status) {
        upload_fail_res(u, res);
    } else if (u->req) {
        vb_http_req *req = u->req;
        u->req = NULL;
        req->on_gone = NULL;
        vb_reply_ok(req, 201, json_incref(res->result));
    }
    leave(u);
}

/* Once the body is complete and every chunk stored: finish the row. */
static void upload_try_finish(upload *u)
{
    if (!u->req || !u->body_done || u->finishing || u->pending > 0 || !u->began) return;
    u->finishing = 1;
    unsigned char digest[crypto_hash_sha256_BYTES];
    char hex[crypto_hash_sha256_BYTES * 2 + 1];
    crypto_hash_sha256_final(&u->sha, digest);
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    json_t *a =
        json_pack("{s:O, s:s, s:s, s:I, s:s, s:s}", "actor", json_object_get(u->args, "actor"),
                  "attachmentId", u->aid, "sha256", hex, "size", (json_int_t)u->size, "fileName",
                  u->fname, "contentType", u->ctype);
    if (vb_store_submit(u->store, vb_op_attach_finish, VB_STORE_WRITE, a, on_finish_done, u) == 0) {
        u->pending++;
        return;
    }
    upload_fail(u, 503, "BUSY", "The server is busy; try again");
}

static void on_append_done(const vb_store_res *res, void *ud)
{
    upload *u = ud;
    enter(u);
    u->pending--;
    if (res->status) {
        upload_fail_res(u, res);
    } else {
        if (u->req && u->paused && u->pending < VB_ATTACH_MAX_INFLIGHT) {
            u->paused = 0;
            vb_http_body_resume(u->req); /* may parse buffered input at once */
        }
        upload_try_finish(u);
    }
    leave(u);
}

/* Queues the filled chunk as the next row. 0, or -1 (answered). */
static int flush_chunk(upload *u)
{
    if (u->blen == 0) return 0;
    json_t *a = json_pack("{s:s, s:I, s:o}", "attachmentId", u->aid, "seq", (json_int_t)u->seq,
                          "data", json_stringn_nocheck(u->buf, u->blen));
    u->seq++;
    u->blen = 0;
    if (!a ||
        vb_store_submit(u->store, vb_op_attach_append, VB_STORE_WRITE, a, on_append_done, u) != 0) {
        upload_fail(u, 503, "BUSY", "The server is busy; try again");
        return -1;
    }
    u->pending++;
    if (u->pending >= VB_ATTACH_MAX_INFLIGHT && u->req && !u->paused) {
        u->paused = 1;
        vb_http_body_pause(u->req);
    }
    return 0;
}

/* ---- multipart callbacks */

static int mp_stop(upload *u, int status, const char *code, const char *msg)
{
    u->fail_status = status;
    u->fail_code = code;
    u->fail_msg = msg;
    return 1;
}

static int on_part(const vb_multipart_part *p, void *ud)
{
    upload *u = ud;
    u->in_file = 0;
    if (strcmp(p->name, "file") != 0) return 0; /* other fields are ignored */
    if (u->file_parts++ > 0)
        return mp_stop(u, 400, "BAD_MULTIPART", "Send exactly one part named file");
    if (!p->filename || !*p->filename)
        return mp_stop(u, 422, "VALIDATION_ERROR", "The file part needs a file name");
    /* Only the base name: a path a client sent is not ours to keep. */
    const char *base = p->filename;
    for (const char *s = p->filename; *s; s++)
        if (*s == '/' || *s == '\\') base = s + 1;
    if (!*base) return mp_stop(u, 422, "VALIDATION_ERROR", "The file part needs a file name");
    for (const char *s = base; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return mp_stop(u, 422, "VALIDATION_ERROR", "The file name has control characters");
    json_t *valid = json_string(base); /* NULL unless UTF-8 */
    if (!valid) return mp_stop(u, 422, "VALIDATION_ERROR", "The file name is not UTF-8");
    json_decref(valid);
    snprintf(u->fname, sizeof u->fname, "%s", base);
    snprintf(u->ctype, sizeof u->ctype, "%s",
             p->content_type && *p->content_type ? p->content_type : "application/octet-stream");
    u->in_file = 1;
    return 0;
}

static int on_part_data(const char *data, size_t len, void *ud)
{
    upload *u = ud;
    if (!u->in_file) return 0;
    if (len > u->max_bytes - u->size)
        return mp_stop(u, 413, "PAYLOAD_TOO_LARGE", "The file is larger than the limit");
    if (vb_now_ms() - u->started_ms > VB_ATTACH_UPLOAD_MAX_MS)
        return mp_stop(u, 408, "UPLOAD_TOO_SLOW", "The upload took longer than the limit");
    u->size += len;
    crypto_hash_sha256_update(&u->sha, (const unsigned char *)data, len);
    while (len > 0) {
        size_t n = VB_ATTACH_CHUNK - u->blen;
        if (n > len) n = len;
        memcpy(u->buf + u->blen, data, n);
        u->blen += n;
        data += n;
        len -= n;
        if (u->blen == VB_ATTACH_CHUNK && flush_chunk(u) < 0)
            return mp_stop(u, 0, NULL, NULL); /* already answered */
    }
    return 0;
}

static int on_part_end(void *ud)
{
    upload *u = ud;
    u->in_file = 0;
    return 0;
}

static const vb_multipart_cbs MP_CBS = {on_part, on_part_data, on_part_end};

/* A multipart error becomes the answer. */
static void mp_failed(upload *u, int err)
{
    if (err == VB_MP_EABORT) {
        if (u->fail_status) upload_fail(u, u->fail_status, u->fail_code, u->fail_msg);
        return;
    }
    if (err == VB_MP_EPARTS) {
        upload_fail(u, 400, "TOO_MANY_PARTS", vb_multipart_strerror(err));
        return;
    }
    upload_fail(u, 400, "BAD_MULTIPART", vb_multipart_strerror(err));
}

/* ---- the body sink */

static void on_body_data(vb_http_req *req, const char *data, size_t len, void *ud)
{
    upload *u = ud;
    (void)req;
    if (!u->req) return;
    enter(u);
    int err = vb_multipart_feed(u->mp, data, len);
    if (err) mp_failed(u, err);
    leave(u);
}

static void on_body_end(vb_http_req *req, void *ud)
{
    upload *u = ud;
    (void)req;
    if (!u->req) return;
    enter(u);
    u->body_done = 1;
    int err = vb_multipart_finish(u->mp);
    if (err)
        mp_failed(u, err);
    else if (u->file_parts == 0)
        upload_fail(u, 422, "VALIDATION_ERROR", "A part named file is required");
    else if (flush_chunk(u) == 0)
        upload_try_finish(u);
    leave(u);
}

static const vb_http_body_sink SINK = {on_body_data, on_body_end};

/* The peer left (or was too slow) before the answer. */
static void on_gone(vb_http_req *req, void *ud)
{
    upload *u = ud;
    (void)req;
    if (u->body_done) return; /* the answer is on its way */
    enter(u);
    upload_fail(u, 400, "UPLOAD_INTERRUPTED", "The upload was interrupted");
    leave(u);
}

static void on_begin_done(const vb_store_res *res, void *ud)
{
    upload *u = ud;
    enter(u);
    u->pending--;
    u->began = 1;
    const char *aid = json_string_value(json_object_get(res->result, "id"));
    if (res->status == 0 && aid) snprintf(u->aid, sizeof u->aid, "%s", aid);
    if (!u->req) /* gone meanwhile */
        upload_abort(u);
    else if (res->status)
        upload_fail_res(u, res);
    else if (vb_http_body_start(u->req, &SINK, u) != 0)
        upload_fail(u, 400, "UPLOAD_INTERRUPTED", "The upload was interrupted");
    leave(u);
}

void vb_attach_upload(vb_http_req *req, const vb_route *route, json_t *args)
{
    (void)route;
    vb_app *app = vb_app_current();
    char boundary[VB_MULTIPART_MAX_BOUNDARY + 1];
    if (vb_multipart_boundary(vb_http_header_get(req, "content-type"), boundary) < 0) {
        vb_reply_error(req, 400, "BAD_MULTIPART", "Send multipart/form-data with a valid boundary",
                       NULL);
        return;
    }
    size_t max = app->cfg.max_attachment_bytes;
    const char *cl = vb_http_header_get(req, "content-length");
    if (cl && strtoull(cl, NULL, 10) > (unsigned long long)max + VB_ATTACH_BODY_SLACK) {
        vb_reply_error(req, 413, "PAYLOAD_TOO_LARGE", "The file is larger than the limit", NULL);
        return;
    }
    upload *u = calloc(1, sizeof *u);
    if (u) u->buf = malloc(VB_ATTACH_CHUNK);
    vb_multipart_limits lim;
    vb_multipart_limits_default(&lim);
    if (u && u->buf) u->mp = vb_multipart_new(boundary, &lim, &MP_CBS, u);
    if (!u || !u->mp) {
        if (u) free(u->buf);
        free(u);
        vb_reply_error(req, 500, "INTERNAL_ERROR", "Out of memory", NULL);
        return;
    }
    u->req = req;
    u->started_ms = vb_now_ms();
    u->store = app->store;
    u->max_bytes = max;
    u->args = json_incref(args);
    crypto_hash_sha256_init(&u->sha);
    req->on_gone = on_gone;
    req->on_gone_ud = u;
    /* Access first: the body is not read before the row exists. */
    json_t *a = json_pack("{s:O, s:O, s:{s:s, s:s}}", "actor", json_object_get(args, "actor"),
                          "params", json_object_get(args, "params"), "body", "fileName", "",
                          "contentType", "application/octet-stream");
    enter(u);
    if (vb_store_submit(u->store, vb_op_attach_begin, VB_STORE_WRITE, a, on_begin_done, u) == 0) {
        u->pending++;
    } else {
        u->began = 1; /* nothing to delete */
        upload_fail(u, 503, "BUSY", "The server is busy; try again");
    }
    leave(u);
}
