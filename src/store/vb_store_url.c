/* The store's database URL: "sqlite:PATH" for SQLite, postgres:// or
 * postgresql:// for PostgreSQL (handed to libpq as it is). */
#include "core/vb_common.h"
#include "core/vb_log.h"
#include "store/vb_store_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int vb_store_url_is_pg(const char *url)
{
    return url && (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0);
}

/* Turns "sqlite:PATH" into a path for SQLite and creates PATH's parent
 * folders (mkdir -p). *path is malloc'ed. 0, VB_EINVAL or VB_EIO (logged). */
int vb_store_url_to_path(const char *url, char **path)
{
    if (!url || strncmp(url, "sqlite:", 7) != 0) {
        /* Only the scheme is logged: the rest may hold a password. */
        const char *colon = url ? strchr(url, ':') : NULL;
        vb_log(VB_LOG_ERROR,
               "database scheme \"%.*s\" is not known (use sqlite:PATH or postgres://...)",
               colon ? (int)(colon - url) : 0, url ? url : "");
        return VB_EINVAL;
    }
    const char *p = url + 7;
    if (!*p) {
        vb_log(VB_LOG_ERROR, "database url %s has no path", url);
        return VB_EINVAL;
    }
    if (!(*path = strdup(p))) return VB_ENOMEM;
    if (strcmp(p, ":memory:") == 0) return 0;
    char *dir = strdup(p);
    if (!dir) return VB_ENOMEM;
    char *slash = strrchr(dir, '/');
    int err = 0;
    if (slash && slash != dir) {
        *slash = '\0';
        for (char *c = dir + 1; !err; c++) {
            if (*c != '/' && *c != '\0') continue;
            char saved = *c;
            *c = '\0';
            if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
                vb_log(VB_LOG_ERROR, "cannot create folder %s: %s", dir, strerror(errno));
                err = VB_EIO;
            }
            *c = saved;
            if (!saved) break;
        }
    }
    free(dir);
    if (err) {
        free(*path);
        *path = NULL;
    }
    return err;
}
