/* Structured logging: one JSON object per line on stderr. */
#ifndef VB_LOG_H
#define VB_LOG_H

#include <jansson.h>

enum vb_log_level { VB_LOG_DEBUG = 0, VB_LOG_INFO = 1, VB_LOG_WARN = 2, VB_LOG_ERROR = 3 };

void vb_log_set_level(enum vb_log_level level);
/* Parses "debug"/"info"/"warn"/"error"; returns -1 for anything else. */
int vb_log_parse_level(const char *s);
int vb_log_enabled(enum vb_log_level level);
/* Logs msg with the fields of obj (may be NULL). Steals the reference to obj. Thread-safe. */
void vb_log_obj(enum vb_log_level level, const char *msg, json_t *obj);
/* printf-style message with no extra fields. */
void vb_log(enum vb_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
