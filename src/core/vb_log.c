#include "core/vb_log.h"
#include "core/vb_common.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static enum vb_log_level g_level = VB_LOG_INFO;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static const char *const g_names[] = {"debug", "info", "warn", "error"};

void vb_log_set_level(enum vb_log_level level)
{
    g_level = level;
}

int vb_log_parse_level(const char *s)
{
    for (size_t i = 0; i < VB_ARRAY_LEN(g_names); i++)
        if (s && strcmp(s, g_names[i]) == 0) return (int)i;
    return -1;
}

int vb_log_enabled(enum vb_log_level level)
{
    return level >= g_level;
}

void vb_log_obj(enum vb_log_level level, const char *msg, json_t *obj)
{
    if (!vb_log_enabled(level)) {
        json_decref(obj);
        return;
    }
    json_t *line = json_object();
    char ts[32];
    vb_iso8601(vb_wall_ms(), ts);
    json_object_set_new(line, "time", json_string(ts));
    json_object_set_new(line, "level", json_string(g_names[level]));
    json_object_set_new(line, "msg", json_string(msg ? msg : ""));
    if (obj) json_object_update(line, obj);
    json_decref(obj);
    char *text = json_dumps(line, JSON_COMPACT);
    json_decref(line);
    if (!text) return;
    pthread_mutex_lock(&g_lock);
    fputs(text, stderr);
    fputc('\n', stderr);
    fflush(stderr);
    pthread_mutex_unlock(&g_lock);
    free(text);
}

void vb_log(enum vb_log_level level, const char *fmt, ...)
{
    if (!vb_log_enabled(level)) return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    vb_log_obj(level, buf, NULL);
}
