/*
 * The schema for PostgreSQL: the same migrations, with the same versions,
 * as vb_migrations.c, in PostgreSQL's dialect (times and counters BIGINT,
 * reals DOUBLE PRECISION, case-insensitive uniqueness as unique indexes on
 * lower()). A migration added to vb_migrations.c is added here with the same
 * version, and the other way round.
 */
#include "store/vb_migrations.h"

static const char m001_core_pg[] =
    "CREATE TABLE users ("
    "  id TEXT PRIMARY KEY,"
    "  email TEXT NOT NULL,"
    "  handle TEXT NOT NULL," /* email local part, for @mentions */
    "  password_hash TEXT NOT NULL,"
    "  first_name TEXT NOT NULL,"
    "  last_name TEXT NOT NULL,"
    "  avatar_url TEXT,"
    "  role TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user','superadmin')),"
    "  created_at BIGINT NOT NULL,"
    "  updated_at BIGINT NOT NULL);"
    "CREATE INDEX users_handle ON users(handle);"

    /* Opaque refresh tokens, stored as a SHA-256 hex hash. A rotation marks
     * the old row used (rotated_at); presenting a used token revokes its family. */
    "CREATE TABLE refresh_tokens ("
    "  id TEXT PRIMARY KEY,"
    "  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  family_id TEXT NOT NULL,"
    "  token_hash TEXT NOT NULL UNIQUE,"
    "  expires_at BIGINT NOT NULL,"
    "  rotated_at BIGINT,"
    "  revoked_at BIGINT,"
    "  created_at BIGINT NOT NULL);"
    "CREATE INDEX refresh_tokens_family ON refresh_tokens(family_id);"
    "CREATE INDEX refresh_tokens_user ON refresh_tokens(user_id);"

    "CREATE TABLE workspaces ("
    "  id TEXT PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  slug TEXT NOT NULL UNIQUE,"
    "  description TEXT,"
    "  logo_url TEXT,"
    "  owner_id TEXT NOT NULL REFERENCES users(id),"
    "  created_at BIGINT NOT NULL,"
    "  updated_at BIGINT NOT NULL);"

    "CREATE TABLE workspace_members ("
    "  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,"
    "  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  role TEXT NOT NULL CHECK (role IN ('admin','member')),"
    "  joined_at BIGINT NOT NULL,"
    "  PRIMARY KEY (workspace_id, user_id));"
    "CREATE INDEX workspace_members_user ON workspace_members(user_id);"

    /* columns: JSON array of {name, order, color}; the four defaults at create. */
    "CREATE TABLE projects ("
    "  id TEXT PRIMARY KEY,"
    "  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,"
    "  name TEXT NOT NULL,"
    "  key TEXT NOT NULL,"
    "  description TEXT,"
    "  lead_id TEXT REFERENCES users(id),"
    "  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active','archived')),"
    "  columns TEXT NOT NULL,"
    "  task_seq BIGINT NOT NULL DEFAULT 0,"
    "  created_by TEXT NOT NULL REFERENCES users(id),"
    "  created_at BIGINT NOT NULL,"
    "  updated_at BIGINT NOT NULL,"
    "  UNIQUE (workspace_id, key));"

    "CREATE TABLE labels ("
    "  id TEXT PRIMARY KEY,"
    "  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,"
    "  name TEXT NOT NULL,"
    "  color TEXT NOT NULL,"
    "  created_at BIGINT NOT NULL,"
    "  updated_at BIGINT NOT NULL);"

    /* key is "<project key>-<number>", unique per project. order_index orders
     * tasks within one status column (0..n-1). Deleting a task deletes its
     * subtasks (ON DELETE CASCADE on parent_task_id). */
    "CREATE TABLE tasks ("
    "  id TEXT PRIMARY KEY,"
    "  project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,"
    "  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,"
    "  number BIGINT NOT NULL,"
    "  key TEXT NOT NULL,"
    "  title TEXT NOT NULL,"
    "  description TEXT,"
    "  status TEXT NOT NULL,"
    "  priority TEXT NOT NULL DEFAULT 'none'"
    "    CHECK (priority IN ('critical','high','medium','low','none')),"
    "  reporter_id TEXT NOT NULL REFERENCES users(id),"
    "  parent_task_id TEXT REFERENCES tasks(id) ON DELETE CASCADE,"
    "  due_date TEXT,"
    "  estimate_points DOUBLE PRECISION,"
    "  order_index BIGINT NOT NULL DEFAULT 0,"
    "  comment_count BIGINT NOT NULL DEFAULT 0,"
    "  created_at BIGINT NOT NULL,"
    "  updated_at BIGINT NOT NULL,"
    "  UNIQUE (project_id, number),"
    "  UNIQUE (project_id, key));"
    "CREATE INDEX tasks_project_status ON tasks(project_id, status, order_index);"
    "CREATE INDEX tasks_parent ON tasks(parent_task_id);"

    "CREATE TABLE task_assignees ("
    "  task_id TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,"
    "  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  PRIMARY KEY (task_id, user_id));"
    "CREATE INDEX task_assignees_user ON task_assignees(user_id);"

    "CREATE TABLE task_labels ("
    "  task_id TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,"
    "  label_id TEXT NOT NULL REFERENCES labels(id) ON DELETE CASCADE,"
    "  PRIMARY KEY (task_id, label_id));"

    /* One row per change; changes is a JSON object. Rows of deleted tasks stay
     * (task_id is not a foreign key) so the log survives deletion. */
    "CREATE TABLE activity ("
    "  id TEXT PRIMARY KEY,"
    "  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,"
    "  project_id TEXT,"
    "  task_id TEXT,"
    "  actor_id TEXT NOT NULL,"
    "  action TEXT NOT NULL,"
    "  changes TEXT NOT NULL DEFAULT '{}',"
    "  created_at BIGINT NOT NULL);"
    "CREATE INDEX activity_workspace ON activity(workspace_id, id);"
    "CREATE INDEX activity_project ON activity(project_id, id);"
    "CREATE INDEX activity_task ON activity(task_id, id);"

    "CREATE TABLE notifications ("
    "  id TEXT PRIMARY KEY,"
    "  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  workspace_id TEXT,"
    "  type TEXT NOT NULL,"
    "  title TEXT NOT NULL,"
    "  data TEXT NOT NULL DEFAULT '{}',"
    "  read_at BIGINT,"
    "  created_at BIGINT NOT NULL);"
    "CREATE INDEX notifications_user ON notifications(user_id, id);";

static const char m002_collab_pg[] =
    /* Comments on tasks, with one level or more of replies. Deleting a task
     * deletes its comments. */
    "CREATE TABLE comments ("
    "  id TEXT PRIMARY KEY,"
    "  task_id TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,"
    "  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,"
    "  author_id TEXT NOT NULL REFERENCES users(id),"
    "  parent_comment_id TEXT REFERENCES comments(id) ON DELETE CASCADE,"
    "  body TEXT NOT NULL,"
    "  created_at BIGINT NOT NULL,"
    "  updated_at BIGINT NOT NULL);"
    "CREATE INDEX comments_task ON comments(task_id, id);"

    /* Channels: public (any workspace member), private (members only),
     * direct (members only). Deleting soft-deletes (deleted_at); messages stay. */
    "CREATE TABLE channels ("
    "  id TEXT PRIMARY KEY,"
    "  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,"
    "  project_id TEXT REFERENCES projects(id) ON DELETE SET NULL,"
    "  name TEXT NOT NULL,"
    "  type TEXT NOT NULL CHECK (type IN ('public','private','direct')),"
    "  description TEXT,"
    "  created_by TEXT NOT NULL REFERENCES users(id),"
    "  created_at BIGINT NOT NULL,"
    "  updated_at BIGINT NOT NULL,"
    "  deleted_at BIGINT);"
    "CREATE INDEX channels_workspace ON channels(workspace_id, id);"
    "CREATE UNIQUE INDEX channels_name ON channels(workspace_id, name) WHERE deleted_at IS NULL;"

    "CREATE TABLE channel_members ("
    "  channel_id TEXT NOT NULL REFERENCES channels(id) ON DELETE CASCADE,"
    "  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  joined_at BIGINT NOT NULL,"
    "  PRIMARY KEY (channel_id, user_id));"
    "CREATE INDEX channel_members_user ON channel_members(user_id);"

    /* Messages: id is time-ordered and is the pagination cursor. Soft delete
     * keeps the row (deleted_at) and blanks content for readers. */
    "CREATE TABLE messages ("
    "  id TEXT PRIMARY KEY,"
    "  channel_id TEXT NOT NULL REFERENCES channels(id) ON DELETE CASCADE,"
    "  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,"
    "  sender_id TEXT NOT NULL REFERENCES users(id),"
    "  content TEXT NOT NULL,"
    "  created_at BIGINT NOT NULL,"
    "  updated_at BIGINT NOT NULL,"
    "  edited_at BIGINT,"
    "  deleted_at BIGINT);"
    "CREATE INDEX messages_channel ON messages(channel_id, id);"

    /* Resolved @mentions of comments and messages. */
    "CREATE TABLE mentions ("
    "  id TEXT PRIMARY KEY,"
    "  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,"
    "  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  source_type TEXT NOT NULL CHECK (source_type IN ('comment','message')),"
    "  source_id TEXT NOT NULL,"
    "  created_at BIGINT NOT NULL);"
    "CREATE INDEX mentions_source ON mentions(source_type, source_id);"
    "CREATE INDEX mentions_user ON mentions(user_id);";

/* 3 to 5: as in vb_migrations.c, times and counters BIGINT. */
static const char m003_invitations_pg[] =
    "CREATE TABLE invitations ("
    "  id TEXT PRIMARY KEY,"
    "  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,"
    "  email TEXT NOT NULL,"
    "  role TEXT NOT NULL CHECK (role IN ('admin','member')),"
    "  status TEXT NOT NULL CHECK (status IN ('pending','accepted','declined','revoked')),"
    "  invited_by TEXT REFERENCES users(id) ON DELETE SET NULL,"
    "  created_at BIGINT NOT NULL,"
    "  expires_at BIGINT NOT NULL,"
    "  updated_at BIGINT NOT NULL);"
    "CREATE INDEX invitations_email ON invitations(email, status);"
    "CREATE INDEX invitations_workspace ON invitations(workspace_id, status);";

static const char m004_chat_recovery_pg[] =
    "CREATE TABLE chat_events ("
    "  seq BIGINT PRIMARY KEY,"
    "  channel_id TEXT NOT NULL,"
    "  type TEXT NOT NULL,"
    "  data TEXT NOT NULL,"
    "  origin TEXT,"
    "  created_at BIGINT NOT NULL);"
    "CREATE INDEX chat_events_channel ON chat_events(channel_id, seq);"

    "CREATE TABLE chat_sessions ("
    "  pid_hash TEXT PRIMARY KEY,"
    "  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  sid TEXT NOT NULL,"
    "  created_at BIGINT NOT NULL,"
    "  alive_at BIGINT NOT NULL,"
    "  closed_at BIGINT);"

    "CREATE TABLE chat_session_rooms ("
    "  pid_hash TEXT NOT NULL REFERENCES chat_sessions(pid_hash) ON DELETE CASCADE,"
    "  channel_id TEXT NOT NULL,"
    "  since_seq BIGINT NOT NULL,"
    "  PRIMARY KEY (pid_hash, channel_id));";

static const char m005_mail_jobs_pg[] =
    "ALTER TABLE users ADD COLUMN email_notifications BIGINT NOT NULL DEFAULT 1;"

    /* The outbox: a mail is a row written in the transaction of the change
     * that causes it. status: pending (due at next_attempt_at), sending
     * (claimed under a lease, DATA not finished: safe to retry when the lease
     * expires), committing (the end of DATA is on the wire: never sent again),
     * sent, failed. params is the template's JSON. */
    "CREATE TABLE mail_outbox ("
    "  id TEXT PRIMARY KEY,"
    "  template TEXT NOT NULL,"
    "  to_email TEXT NOT NULL,"
    "  to_name TEXT,"
    "  user_id TEXT REFERENCES users(id) ON DELETE SET NULL,"
    "  params TEXT NOT NULL,"
    "  status TEXT NOT NULL DEFAULT 'pending'"
    "    CHECK (status IN ('pending','sending','committing','sent','failed')),"
    "  attempts BIGINT NOT NULL DEFAULT 0,"
    "  next_attempt_at BIGINT NOT NULL,"
    "  lease_owner TEXT,"
    "  lease_until BIGINT,"
    "  last_error TEXT,"
    "  created_at BIGINT NOT NULL,"
    "  sent_at BIGINT);"
    "CREATE INDEX mail_outbox_due ON mail_outbox(status, next_attempt_at);"

    /* Password reset tokens, stored as SHA-256 hex; single use. */
    "CREATE TABLE password_resets ("
    "  id TEXT PRIMARY KEY,"
    "  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  token_hash TEXT NOT NULL UNIQUE,"
    "  expires_at BIGINT NOT NULL,"
    "  used_at BIGINT,"
    "  created_at BIGINT NOT NULL);"
    "CREATE INDEX password_resets_user ON password_resets(user_id);"

    /* One due-date reminder per task and due date. */
    "CREATE TABLE task_reminders ("
    "  task_id TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,"
    "  due_date TEXT NOT NULL,"
    "  sent_at BIGINT NOT NULL,"
    "  PRIMARY KEY (task_id, due_date));"

    /* Scheduled jobs: a job runs where it holds the lease (one instance at a
     * time); a lease that expires is taken over. */
    "CREATE TABLE job_leases ("
    "  name TEXT PRIMARY KEY,"
    "  owner TEXT,"
    "  lease_until BIGINT NOT NULL DEFAULT 0,"
    "  last_run_at BIGINT);"
    "CREATE INDEX tasks_due_date ON tasks(due_date);"
    "CREATE INDEX refresh_tokens_expires ON refresh_tokens(expires_at);"
    "CREATE INDEX password_resets_expires ON password_resets(expires_at);"
    "INSERT INTO job_leases (name) VALUES ('due_reminders');"
    "INSERT INTO job_leases (name) VALUES ('cleanup');";

static const char m006_nocase_pg[] =
    "CREATE UNIQUE INDEX users_email_lower ON users(lower(email));"
    "CREATE INDEX users_handle_lower ON users(lower(handle));"
    "CREATE UNIQUE INDEX labels_name_lower ON labels(workspace_id, lower(name));";

/* 7: as in vb_migrations.c; chunk data as BYTEA. */
static const char m007_attachments_pg[] =
    "CREATE TABLE attachments ("
    "  id TEXT PRIMARY KEY,"
    "  task_id TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,"
    "  workspace_id TEXT NOT NULL,"
    "  uploader_id TEXT REFERENCES users(id) ON DELETE SET NULL,"
    "  file_name TEXT NOT NULL,"
    "  content_type TEXT NOT NULL,"
    "  size BIGINT NOT NULL,"
    "  sha256 TEXT,"
    "  state TEXT NOT NULL CHECK (state IN ('uploading','ready')),"
    "  created_at BIGINT NOT NULL);"
    "CREATE INDEX attachments_task ON attachments(task_id, state, created_at);"
    "CREATE TABLE attachment_chunks ("
    "  attachment_id TEXT NOT NULL REFERENCES attachments(id) ON DELETE CASCADE,"
    "  seq BIGINT NOT NULL,"
    "  data BYTEA NOT NULL,"
    "  PRIMARY KEY (attachment_id, seq));"
    "ALTER TABLE tasks ADD COLUMN attachment_count BIGINT NOT NULL DEFAULT 0;";

/* 8: as in vb_migrations.c. */
static const char m008_chat_log_head_pg[] =
    "CREATE TABLE chat_log_head (id BIGINT PRIMARY KEY, seq BIGINT NOT NULL);"
    "INSERT INTO chat_log_head (id, seq) SELECT 1, COALESCE(MAX(seq), 0) FROM chat_events;";

const vb_migration vb_migrations_pg[] = {
    {1, "core: users, auth, workspaces, projects, labels, tasks, activity, notifications",
     m001_core_pg},
    {2, "collaboration: comments, channels, channel members, messages, mentions", m002_collab_pg},
    {3, "invitations: pending workspace invitations", m003_invitations_pg},
    {4, "chat recovery: chat events, sessions and their rooms", m004_chat_recovery_pg},
    {5, "mail outbox, password resets, due-date reminders, job leases", m005_mail_jobs_pg},
    {6, "case-insensitive lookups through lower()", m006_nocase_pg},
    {7, "attachments: task attachments and their chunks", m007_attachments_pg},
    {8, "chat log head: the event log's seq counter, one row", m008_chat_log_head_pg},
};
const int vb_migrations_pg_count = (int)(sizeof vb_migrations_pg / sizeof vb_migrations_pg[0]);
