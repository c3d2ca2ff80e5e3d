/* One SMTP transaction with libcurl (see vb_mail_smtp.h). */
#include "mail/vb_mail_smtp.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

typedef struct reader {
    const char *msg;
    size_t len, off;
    int (*commit)(void *ud);
    void *ud;
    vb_smtp_result *res;
} reader;

/* Feeds the message to curl. When everything was given, asks commit() once
 * before returning 0 (the end of DATA follows). */
static size_t on_read(char *buf, size_t size, size_t nitems, void *ud)
{
    reader *r = ud;
    size_t room = size * nitems, n = r->len - r->off;

    if (n > 0) {
        if (n > room) n = room;
        memcpy(buf, r->msg + r->off, n);
        r->off += n;
        return n;
    }
    if (!r->res->committed && !r->res->aborted) {
        if (r->commit(r->ud)) {
            r->res->committed = 1;
        } else {
            r->res->aborted = 1;
            return CURL_READFUNC_ABORT;
        }
    }
    return r->res->aborted ? CURL_READFUNC_ABORT : 0;
}

static int (*g_cancel)(void *ud);

void vb_smtp_set_cancel(int (*cancel)(void *ud))
{
    g_cancel = cancel;
}

/* Progress: abandons a transaction that has not committed when asked to. */
static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    reader *r = ud;
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    return !r->res->committed && g_cancel && g_cancel(r->ud);
}

int vb_smtp_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void vb_smtp_send(const char *url, const char *from_addr, const char *to_addr, const char *msg,
                  size_t len, int (*commit)(void *ud), void *ud, vb_smtp_result *res)
{
    char from[300], to[300], errbuf[CURL_ERROR_SIZE] = "";
    reader r = {msg, len, 0, commit, ud, res};
    struct curl_slist *rcpt = NULL;
    CURL *h = curl_easy_init();
    CURLcode cc;

    memset(res, 0, sizeof *res);
    snprintf(from, sizeof from, "<%s>", from_addr);
    snprintf(to, sizeof to, "<%s>", to_addr);
    rcpt = curl_slist_append(NULL, to);
    if (!h || !rcpt) {
        snprintf(res->error, sizeof res->error, "out of memory");
        curl_slist_free_all(rcpt);
        if (h) curl_easy_cleanup(h);
        return;
    }
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(h, CURLOPT_READDATA, &r);
    curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)VB_SMTP_CONNECT_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)VB_SMTP_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, &r);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    cc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &res->reply_code);
    if (cc == CURLE_OK) {
        res->ok = 1;
    } else {
        /* Never the URL: it may carry the password. */
        snprintf(res->error, sizeof res->error, "%.100s%s%.120s (reply %ld)",
                 curl_easy_strerror(cc), errbuf[0] ? ": " : "", errbuf, res->reply_code);
    }
    curl_slist_free_all(rcpt);
    curl_easy_cleanup(h);
}
