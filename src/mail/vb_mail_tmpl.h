/*
 * The mails' texts: each template of the outbox (store/vb_ops_mail.h) as a
 * subject, a plain text and an HTML body, with links built from PUBLIC_URL.
 * Values from params are escaped for HTML. Pure functions, any thread.
 *
 * params per template (every one also takes firstName, the recipient's, and
 * path, a link path that overrides the template's own):
 *   welcome               -
 *   task_assigned         subject, workspaceId, projectId, taskId, key, title
 *   mentioned             subject, workspaceId, and taskId/projectId (comment)
 *                         or channelId (chat message)
 *   task_due              subject, workspaceId, projectId, taskId, key, title,
 *                         dueDate, overdue
 *   password_reset        token, expiresAt (ms)
 *   workspace_invitation  workspaceName, inviterName, role, invitationId
 *                         (link: /invitations/<invitationId>, or path)
 */
#ifndef VB_MAIL_TMPL_H
#define VB_MAIL_TMPL_H

#include <jansson.h>

typedef struct vb_mail_text {
    char *subject, *text, *html; /* malloc'd UTF-8 */
} vb_mail_text;

/* Renders tmpl with params for public_url (no trailing slash needed). 0, or
 * -1 for an unknown template or OOM (out is then empty). */
int vb_mail_render(const char *tmpl, const json_t *params, const char *public_url,
                   vb_mail_text *out);
void vb_mail_text_free(vb_mail_text *t);

#endif
