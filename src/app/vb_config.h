/* Configuration from flags and environment (flags win). */
#ifndef VB_CONFIG_H
#define VB_CONFIG_H

#include <stddef.h>

typedef struct vb_config {
    char command[16];        /* "serve", "migrate", "seed-demo" */
    char host[64];           /* HOST, default 127.0.0.1 */
    int port;                /* PORT, default 3000 */
    char database_url[1024]; /* DATABASE_URL: sqlite:PATH (default sqlite:./data/vibed.db) or
                                postgres://... (never logged) */
    char jwt_secret[256];    /* JWT_SECRET; empty means generate/keep one in the data dir */
    char log_level[16];      /* LOG_LEVEL, default info */
    char cors_origins[1024]; /* CORS_ORIGINS, comma-separated; empty: no cross-origin access; "*"
                                any */
    char metrics_token[256]; /* METRICS_TOKEN; without it /metrics answers loopback clients only */
    char web_root[1024];     /* WEB_ROOT: folder of the built web app; default ./web/dist */
    int access_ttl_s;        /* ACCESS_TOKEN_TTL, default 900 */
    int refresh_ttl_s;       /* REFRESH_TOKEN_TTL, default 30 days */
    int auth_rate_limit;     /* AUTH_RATE_LIMIT: auth requests per minute per address, default 20 */
    int auth_account_rate_limit; /* AUTH_ACCOUNT_RATE_LIMIT: logins per 15 min per account, 20 */
    int write_rate_limit;        /* WRITE_RATE_LIMIT: REST writes per minute per user, 600 */
    int invite_rate_limit;       /* INVITE_RATE_LIMIT: invitations per hour per user, 100 */
    char trust_proxy[1024];      /* TRUST_PROXY: proxies whose X-Forwarded-For is believed */
    int seed_demo;               /* --demo: seed demo data at start if the database is empty */
    size_t max_body_bytes;       /* MAX_BODY_BYTES, default 5 MiB */
    size_t max_attachment_bytes; /* MAX_ATTACHMENT_BYTES, default 10 MiB */
    int chat_ping_interval_ms;   /* CHAT_PING_INTERVAL_MS, default 30000 */
    int chat_ping_timeout_ms;    /* CHAT_PING_TIMEOUT_MS, default 20000 */
    size_t chat_max_payload;     /* CHAT_MAX_PAYLOAD bytes, default 1000000 */
    size_t chat_max_output;      /* CHAT_MAX_OUTPUT: queued bytes per client, default 8 MiB */
    /* MAX_CONNECTIONS_PER_ADDRESS: open connections, and Engine.IO sessions,
     * per client address (IPv6 per /64); default 1000, 0: no limit */
    unsigned max_connections_per_address;
    unsigned chat_rate_limit; /* CHAT_RATE_LIMIT: chat messages per second per user, default 20 */
    unsigned chat_rate_burst; /* CHAT_RATE_BURST: default 50 */
    size_t store_max_queue;   /* STORE_MAX_QUEUE: store operations queued, default 10000 */
    int chat_recovery_ms;     /* CHAT_RECOVERY_MS: connection state recovery window, 0 off */
    char public_url[512]; /* PUBLIC_URL: base of links in mails, default http://localhost:3000 */
    char smtp_url[1024];  /* SMTP_URL smtp[s]://user:pass@host:port; empty: mails go to the log */
    char mail_from[256];  /* MAIL_FROM, default "vibed <no-reply@localhost>" */
    long mail_retry_base_ms; /* MAIL_RETRY_BASE_MS: first retry delay, doubled each time (30000) */
    int mail_max_attempts;   /* MAIL_MAX_ATTEMPTS: attempts before a mail is given up (8) */
    long mail_lease_ms;      /* MAIL_LEASE_MS: lease of claimed mails (10 minutes) */
    long reset_token_ttl_ms; /* RESET_TOKEN_TTL_MS, default 30 minutes */
    long jobs_interval_ms;   /* JOBS_INTERVAL_MS: how often the scheduler looks (60000) */
    long due_reminder_lead_ms; /* DUE_REMINDER_LEAD_MS: remind this long before a due date (24 h) */
    char redis_url[512];  /* REDIS_URL: redis://[:password@]host:port[/db]; empty: no cluster */
    long presence_ttl_ms; /* PRESENCE_TTL_MS: a dead instance's users go offline within (30000) */
    int db_readers;       /* DB_READERS: PostgreSQL reader connections, 1..16, default 2 */
} vb_config;

/* Fills cfg from defaults, then the environment, then argv. Returns 0, 1 when
 * --help/--version was printed (exit 0), or -1 on a bad flag (message printed). */
int vb_config_load(vb_config *cfg, int argc, char **argv);
/* Directory of a sqlite: url's file ("./data"), for keeping the dev secret. */
void vb_config_data_dir(const vb_config *cfg, char *out, size_t outlen);

#endif
