/*
 * Socket.IO 4.6+ connection state recovery for the chat gateway, served
 * from the database (store/ops_chat_recovery.c).
 *
 * Wire format (as the official client speaks it):
 * - the CONNECT reply carries {"sid","pid"}: pid is the private session id,
 *   VB_CHAT_PID_LEN characters of base64url (16 random bytes); the database
 *   keeps only its SHA-256;
 * - every message:new / message:edited / message:deleted room broadcast has
 *   its offset appended as the last argument (a string: the event's
 *   position in the chat event log, base 36); so does "welcome" (the log's
 *   head at connect), so a client that has not seen a broadcast yet can
 *   recover too. Acked, typing, presence and other events carry none;
 * - a reconnecting client puts "pid" and "offset" (the last offset it saw)
 *   beside its auth fields in the CONNECT payload. When the session is the
 *   token's user's, within CHAT_RECOVERY_MS, and its gap can be replayed
 *   whole, the reply carries the same sid and pid (the client then reports
 *   recovered), the socket rejoins its channels and the missed events follow
 *   in order, then the presence of its workspaces as it is now. Otherwise a
 *   fresh session: new sid and pid, nothing replayed.
 */
#ifndef VB_CHAT_RECOVERY_H
#define VB_CHAT_RECOVERY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define VB_CHAT_PID_LEN 22               /* base64url of 16 random bytes, no padding */
#define VB_CHAT_PID_HASH_LEN 64          /* hex SHA-256 */
#define VB_CHAT_OFFSET_MAX 13            /* base-36 digits of an int64 */
#define VB_CHAT_RECOVERY_MAX_EVENTS 1000 /* a longer gap gives a fresh session */
#define VB_CHAT_SESSION_IDLE_MAX_MS (7LL * 24 * 3600 * 1000) /* unclosed sessions kept */

/* Writes seq (>= 0) in base 36 (0-9a-z, no leading zeros) into out. */
void vb_chat_offset_encode(int64_t seq, char out[VB_CHAT_OFFSET_MAX + 1]);
/* Parses an offset; 0 and *seq set, or -1 when s is not one encode gives. */
int vb_chat_offset_decode(const char *s, int64_t *seq);
/* A new private session id (NUL-terminated). */
void vb_chat_pid_new(char out[VB_CHAT_PID_LEN + 1]);
/* 1 if pid has the shape vb_chat_pid_new gives. */
int vb_chat_pid_valid(const char *pid);
/* The hex SHA-256 of pid, as the database keys sessions. */
void vb_chat_pid_hash(const char *pid, char out[VB_CHAT_PID_HASH_LEN + 1]);

#endif
