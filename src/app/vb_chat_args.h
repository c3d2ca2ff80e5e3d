/*
 * The chat gateway's event argument text, shared by vb_chat.c (which
 * implements it) and vb_chat_hub.c (app/vb_chat*.c only).
 */
#ifndef VB_CHAT_ARGS_H
#define VB_CHAT_ARGS_H

#include <jansson.h>
#include <stddef.h>

#define VB_CHAT_ARGS_STACK 8192 /* room for the usual event argument, on the stack */

/*
 * Writes one JSON value as the raw argument array text "[value]" into buf
 * (cap bytes) when it fits, else into a new malloc'd buffer. arg is stolen
 * (NULL means null). Returns the text with *len set, or NULL (see vb_chat.c).
 */
char *vb_chat_args_of(json_t *arg, char *buf, size_t cap, size_t *len);
/* Frees the text of vb_chat_args_of when it is not the caller's stack buffer. */
void vb_chat_args_free(char *text, const char *buf);

#endif
