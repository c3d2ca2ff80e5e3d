/* The mails' texts (see vb_mail_tmpl.h). */
#include "mail/vb_mail_tmpl.h"

#include "core/vb_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The pieces every mail is made of; the text and HTML bodies are built from
 * the same pieces, so they always say the same thing. */
typedef struct parts {
    char subject[400]; /* a long title is cut (at a character boundary) */
    char intro[1024];
    char link[2048];
    const char *action; /* the link's label */
    const char *footer;
} parts;

#define NOTIFY_FOOTER                                                                              \
    "You receive this because email notifications are on for your vibed account; "                 \
    "you can turn them off in your profile."

static const char *str(const json_t *p, const char *key, const char *dflt)
{
    const char *s = json_string_value(json_object_get(p, key));
    return s && *s ? s : dflt;
}

/* Appends s to out (a link) percent-encoded, except for unreserved characters. */
static void url_part(char *out, size_t outlen, const char *s)
{
    size_t n = strlen(out);

    for (; s && *s && n + 4 < outlen; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~')
            out[n++] = (char)c;
        else
            n += (size_t)snprintf(out + n, outlen - n, "%%%02X", c);
    }
    out[n] = '\0';
}

/* link = public_url + the path made of segs (literal parts and encoded values
 * alternating: even indexes literal, odd encoded). */
static void make_link(parts *pt, const char *base, const char *const *segs, size_t n)
{
    size_t blen = strlen(base);

    while (blen && base[blen - 1] == '/')
        blen--;
    snprintf(pt->link, sizeof pt->link, "%.*s", (int)blen, base);
    for (size_t i = 0; i < n; i++) {
        if (i % 2 == 0) {
            size_t l = strlen(pt->link);
            snprintf(pt->link + l, sizeof pt->link - l, "%s", segs[i]);
        } else {
            url_part(pt->link, sizeof pt->link, segs[i]);
        }
    }
}

static void task_link(parts *pt, const char *base, const json_t *p)
{
    const char *segs[] = {"/w/",    str(p, "workspaceId", ""), "/board/", str(p, "projectId", ""),
                          "?task=", str(p, "taskId", "")};
    make_link(pt, base, segs, VB_ARRAY_LEN(segs));
}

/* Cuts a UTF-8 sequence that snprintf truncation left incomplete at the end. */
static void utf8_trim(char *s)
{
    size_t n = strlen(s), i = n, need;
    unsigned char lead;

    while (i > 0 && ((unsigned char)s[i - 1] & 0xc0) == 0x80 && n - i < 3)
        i--;
    if (i == 0 || ((unsigned char)s[i - 1] & 0x80) == 0) return;
    lead = (unsigned char)s[i - 1];
    need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
    if (n - (i - 1) < need) s[i - 1] = '\0';
}

static int fill(parts *pt, const char *tmpl, const json_t *p, const char *base)
{
    if (strcmp(tmpl, "welcome") == 0) {
        const char *segs[] = {"/"};
        snprintf(pt->subject, sizeof pt->subject, "Welcome to vibed, %s", str(p, "firstName", ""));
        snprintf(pt->intro, sizeof pt->intro,
                 "Your vibed account is ready. Create a workspace, invite your team and start "
                 "planning.");
        make_link(pt, base, segs, 1);
        pt->action = "Open vibed";
        pt->footer = "You receive this because an account was created with this address.";
    } else if (strcmp(tmpl, "task_assigned") == 0) {
        snprintf(pt->subject, sizeof pt->subject, "%s", str(p, "subject", "You were assigned"));
        snprintf(pt->intro, sizeof pt->intro, "You were assigned to %s: %s.", str(p, "key", ""),
                 str(p, "title", ""));
        task_link(pt, base, p);
        pt->action = "Open the task";
        pt->footer = NOTIFY_FOOTER;
    } else if (strcmp(tmpl, "mentioned") == 0) {
        snprintf(pt->subject, sizeof pt->subject, "%s", str(p, "subject", "You were mentioned"));
        snprintf(pt->intro, sizeof pt->intro, "%s.", pt->subject);
        if (json_object_get(p, "channelId")) {
            const char *segs[] = {"/w/", str(p, "workspaceId", ""), "/chat/",
                                  str(p, "channelId", "")};
            make_link(pt, base, segs, VB_ARRAY_LEN(segs));
            pt->action = "Open the conversation";
        } else {
            task_link(pt, base, p);
            pt->action = "Open the task";
        }
        pt->footer = NOTIFY_FOOTER;
    } else if (strcmp(tmpl, "task_due") == 0) {
        snprintf(pt->subject, sizeof pt->subject, "%s", str(p, "subject", "A task is due"));
        snprintf(pt->intro, sizeof pt->intro, "%s: %s %s (due %s).", str(p, "key", ""),
                 str(p, "title", ""),
                 json_is_true(json_object_get(p, "overdue")) ? "is overdue" : "is due soon",
                 str(p, "dueDate", ""));
        task_link(pt, base, p);
        pt->action = "Open the task";
        pt->footer = NOTIFY_FOOTER;
    } else if (strcmp(tmpl, "password_reset") == 0) {
        const char *segs[] = {"/reset-password?token=", str(p, "token", "")};
        char until[32];
        vb_iso8601((int64_t)json_integer_value(json_object_get(p, "expiresAt")), until);
        snprintf(pt->subject, sizeof pt->subject, "Reset your vibed password");
        snprintf(pt->intro, sizeof pt->intro,
                 "Someone asked to reset the password of your vibed account. The link below "
                 "sets a new one; it works once, until %.16s UTC.",
                 until);
        make_link(pt, base, segs, VB_ARRAY_LEN(segs));
        pt->action = "Choose a new password";
        pt->footer = "If you did not ask for this, ignore this mail: your password stays as it is.";
    } else if (strcmp(tmpl, "workspace_invitation") == 0) {
        const char *segs[] = {"/invitations/", str(p, "invitationId", "")};
        snprintf(pt->subject, sizeof pt->subject, "%s invited you to %s on vibed",
                 str(p, "inviterName", "Someone"), str(p, "workspaceName", "a workspace"));
        snprintf(pt->intro, sizeof pt->intro,
                 "%s invited you to join the workspace %s as %s. You can accept or decline "
                 "the invitation.",
                 str(p, "inviterName", "Someone"), str(p, "workspaceName", "a workspace"),
                 str(p, "role", "member"));
        make_link(pt, base, segs, VB_ARRAY_LEN(segs));
        pt->action = "See the invitation";
        pt->footer = "You receive this because someone invited this address to vibed.";
    } else {
        return -1;
    }
    utf8_trim(pt->subject);
    utf8_trim(pt->intro);
    if (json_is_string(json_object_get(p, "path"))) {
        const char *segs[] = {str(p, "path", "/")};
        make_link(pt, base, segs, 1);
    }
    return 0;
}

static void html_esc(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        case '\'':
            fputs("&#39;", f);
            break;
        default:
            fputc(*s, f);
        }
    }
}

int vb_mail_render(const char *tmpl, const json_t *params, const char *public_url,
                   vb_mail_text *out)
{
    parts pt;
    const char *name = str(params, "firstName", NULL);
    size_t len;
    FILE *f;

    memset(out, 0, sizeof *out);
    memset(&pt, 0, sizeof pt);
    if (!tmpl || fill(&pt, tmpl, params, public_url ? public_url : "") != 0) return -1;
    out->subject = strdup(pt.subject);
    f = open_memstream(&out->text, &len);
    if (f) {
        fprintf(f, "%s%s%s\n\n%s\n\n%s: %s\n\n-- \n%s\n", name ? "Hi " : "Hello", name ? name : "",
                ",", pt.intro, pt.action, pt.link, pt.footer);
        if (fclose(f) != 0) out->text = NULL;
    }
    f = open_memstream(&out->html, &len);
    if (f) {
        fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>", f);
        html_esc(f, pt.subject);
        fputs("</title></head>\n<body style=\"font-family:system-ui,sans-serif;color:#1f2328\">\n"
              "<p>",
              f);
        html_esc(f, name ? "Hi " : "Hello");
        if (name) html_esc(f, name);
        fputs(",</p>\n<p>", f);
        html_esc(f, pt.intro);
        fputs("</p>\n<p><a href=\"", f);
        html_esc(f, pt.link);
        fputs("\" style=\"background:#4f46e5;color:#fff;padding:8px 14px;border-radius:6px;"
              "text-decoration:none\">",
              f);
        html_esc(f, pt.action);
        fputs("</a></p>\n<p style=\"color:#656d76;font-size:12px\">", f);
        html_esc(f, pt.footer);
        fputs("</p>\n</body></html>\n", f);
        if (fclose(f) != 0) out->html = NULL;
    }
    if (!out->subject || !out->text || !out->html) {
        vb_mail_text_free(out);
        return -1;
    }
    return 0;
}

void vb_mail_text_free(vb_mail_text *t)
{
    free(t->subject);
    free(t->text);
    free(t->html);
    memset(t, 0, sizeof *t);
}
