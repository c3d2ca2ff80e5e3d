/*
 * One SMTP transaction with libcurl (blocking: run it on a worker thread).
 * STARTTLS is used when the server offers it (CURLUSESSL_TRY); smtps:// is
 * TLS from the start. Before the end of DATA goes out, commit() is asked
 * whether the message may be completed: it returns 1 to go on, 0 to abort
 * the transaction (the server then discards the message).
 */
#ifndef VB_MAIL_SMTP_H
#define VB_MAIL_SMTP_H

#include <stddef.h>

/* Time limits of one transaction (ms). */
#define VB_SMTP_CONNECT_TIMEOUT_MS 10000
#define VB_SMTP_TIMEOUT_MS 60000

typedef struct vb_smtp_result {
    int ok;          /* the server accepted the message */
    int committed;   /* commit() said yes: the end of DATA may have been sent */
    int aborted;     /* commit() said no */
    long reply_code; /* the server's last reply code (0 when none) */
    char error[256]; /* why it failed */
} vb_smtp_result;

/* Sends msg (len bytes, CRLF line ends) from from_addr to to_addr through
 * url (smtp://user:pass@host:port or smtps://...). */
void vb_smtp_send(const char *url, const char *from_addr, const char *to_addr, const char *msg,
                  size_t len, int (*commit)(void *ud), void *ud, vb_smtp_result *res);
/* While cancel(ud) returns 1, a transaction that has not reached the end of
 * DATA is abandoned (shutdown); set it before vb_smtp_send. NULL: never. */
void vb_smtp_set_cancel(int (*cancel)(void *ud));

/* Once per process, before any thread sends (curl_global_init). */
int vb_smtp_global_init(void);

#endif
