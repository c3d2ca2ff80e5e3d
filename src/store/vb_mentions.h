/*
 * @mentions in comments and messages.
 *
 * Rule: "@handle" where handle is a user's email local part (users.handle),
 * matched case-insensitively among the members of the text's workspace. A
 * mention starts at '@' at the start of the text or after a character that is
 * not a letter, digit, '.', '_', '-' or '@' (so "a@b.com" is not a mention);
 * the handle is the longest run of [A-Za-z0-9._-] after it, without trailing
 * '.', '-' or '_'. At most VB_MENTIONS_MAX distinct handles per text.
 */
#ifndef VB_MENTIONS_H
#define VB_MENTIONS_H

#include "store/vb_store.h"

#include <jansson.h>
#include <stddef.h>

#define VB_MENTIONS_MAX 20
#define VB_HANDLE_MAX 64

/* Pure parser: writes up to max distinct lower-cased handles into out and
 * returns how many. Longer handles than VB_HANDLE_MAX are skipped. */
size_t vb_mentions_parse(const char *text, char out[][VB_HANDLE_MAX + 1], size_t max);

/*
 * Store side (store thread, inside an operation): resolves the handles of text
 * among wid's members, replaces the mention rows of (source_type, source_id),
 * and notifies each newly mentioned user (type "mentioned", not the actor).
 * notify_data is borrowed (copied into each notification).
 * *user_ids (may be NULL) receives a new array of the mentioned user ids.
 * Returns 0 or a negative vb_err (ctx already failed).
 */
int vb_mentions_apply(vb_op_ctx *c, const char *wid, const char *source_type, const char *source_id,
                      const char *text, const char *title, json_t *notify_data, json_t **user_ids);

#endif
