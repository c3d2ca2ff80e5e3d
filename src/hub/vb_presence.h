/*
 * Who is online, per user and per workspace (loop thread only).
 *
 * Presence is per user, not per socket: a user's first connection makes them
 * online in each of their workspaces, their last connection going makes them
 * offline. Changes are published on the hub, topic "workspace:<wid>":
 *   "presence:online"  {userId, userName, workspaceId}
 *   "presence:offline" {userId, workspaceId}
 * Chat and the workspace stats stream both read from here.
 */
#ifndef VB_PRESENCE_H
#define VB_PRESENCE_H

#include <jansson.h>
#include <stddef.h>

/* One more connection of user_id, member of workspace_ids (array of strings;
 * borrowed). user_name is "First Last". Returns 0 or VB_ENOMEM. */
int vb_presence_connect(const char *user_id, const char *user_name, const json_t *workspace_ids);
/* One connection of user_id fewer. */
void vb_presence_disconnect(const char *user_id);
/* The user stops being a member of wid (removed or left): drops them from
 * that workspace's online set (publishing presence:offline if they were online). */
void vb_presence_leave_workspace(const char *user_id, const char *wid);
/* The user joins wid while online (invite accepted): adds them. */
void vb_presence_join_workspace(const char *user_id, const char *wid);
/* The display name of an online user (NULL if not online). */
const char *vb_presence_name(const char *user_id);
/* Online user ids of wid, sorted (new array). */
json_t *vb_presence_online(const char *wid);
size_t vb_presence_count(const char *wid);
/* 1 if user_id is online in workspace wid. */
int vb_presence_online_in(const char *user_id, const char *wid);
/* 1 if user has at least one connection. */
int vb_presence_is_online(const char *user_id);
/* In a cluster (vb_presence_bridge.c) a user is online while any instance
 * holds a connection: vb_presence_connect/disconnect go to the cluster hooks,
 * which count this instance's connections and call the apply functions below
 * once per (instance, user) as the cluster's state changes. */
typedef struct vb_presence_cluster {
    int (*connect)(const char *user_id, const char *user_name, const json_t *workspace_ids);
    void (*disconnect)(const char *user_id);
    /* The user joined wid (every instance with their connections hears
     * it) / was removed from it (every instance following wid hears it). */
    void (*joined)(const char *user_id, const char *wid);
    void (*left)(const char *user_id, const char *wid);
} vb_presence_cluster;
void vb_presence_set_cluster(const vb_presence_cluster *c);
/* One more / one fewer source of presence for user_id (without a cluster,
 * a source is a connection; in one, an instance). */
int vb_presence_apply_connect(const char *user_id, const char *user_name,
                              const json_t *workspace_ids);
void vb_presence_apply_disconnect(const char *user_id);
/* Adds an online user_id to wid (publishing presence:online there). */
void vb_presence_apply_join(const char *user_id, const char *wid);
/* Frees everything (shutdown). */
void vb_presence_shutdown(void);

#endif
