#include "app/vb_config.h"
#include "app/vb_proxy.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char g_usage[] =
    "Usage: vibed [serve|migrate|seed-demo] [options]\n"
    "\n"
    "Commands:\n"
    "  serve        run the server (default)\n"
    "  migrate      apply database migrations and exit\n"
    "  seed-demo    add the demo workspace, project, tasks, channel and users, and exit\n"
    "\n"
    "Options (environment variable in brackets; flags win):\n"
    "  --host HOST            address to listen on [HOST] (default 127.0.0.1;\n"
    "                         use 0.0.0.0 to accept connections from other machines)\n"
    "  --port N               port [PORT] (default 3000; 0 picks a free port)\n"
    "  --database-url URL     sqlite:PATH or postgres://user:pass@host:port/db [DATABASE_URL]\n"
    "                         (default sqlite:./data/vibed.db)\n"
    "  --jwt-secret S         HS256 secret, 32+ bytes [JWT_SECRET] (default: generated once\n"
    "                         and kept in the data folder, with a warning)\n"
    "  --log-level L          debug, info, warn or error [LOG_LEVEL] (default info)\n"
    "  --cors-origins LIST    comma-separated allowed origins, or * [CORS_ORIGINS]\n"
    "  --metrics-token T      Bearer token for /api/v1/metrics from non-loopback clients\n"
    "                         [METRICS_TOKEN]\n"
    "  --web-root DIR         folder of the built web app [WEB_ROOT] (default ./web/dist)\n"
    "  --demo                 seed the demo data at start when the database has no users\n"
    "  --help, --version\n"
    "Other environment: ACCESS_TOKEN_TTL (s, default 900), REFRESH_TOKEN_TTL (s, default\n"
    "2592000), AUTH_RATE_LIMIT (auth requests per minute per address, default 20),\n"
    "AUTH_ACCOUNT_RATE_LIMIT (logins per 15 minutes per account, default 20),\n"
    "WRITE_RATE_LIMIT (REST writes per minute per user, default 600),\n"
    "INVITE_RATE_LIMIT (invitations per hour per user, default 100), TRUST_PROXY\n"
    "(addresses or CIDRs of proxies whose X-Forwarded-For is believed; default none),\n"
    "MAX_BODY_BYTES (default 5242880), MAX_ATTACHMENT_BYTES (default 10485760),\n"
    "MAX_CONNECTIONS_PER_ADDRESS (connections and\n"
    "chat sessions per client address, default 1000, 0: no limit); chat:\n"
    "CHAT_PING_INTERVAL_MS (30000), CHAT_PING_TIMEOUT_MS (20000), CHAT_MAX_PAYLOAD\n"
    "(1000000), CHAT_MAX_OUTPUT (8388608), CHAT_RATE_LIMIT (messages per second per\n"
    "user, 20, 0: no limit), CHAT_RATE_BURST (50); STORE_MAX_QUEUE (store operations\n"
    "queued before requests get 503 BUSY, 10000), CHAT_RECOVERY_MS (120000, at most\n"
    "86400000; 0 turns connection state recovery off);\n"
    "mail: PUBLIC_URL (http://localhost:3000), SMTP_URL (smtp[s]://user:pass@host:port; none:\n"
    "mails are logged), MAIL_FROM, MAIL_RETRY_BASE_MS (30000), MAIL_MAX_ATTEMPTS (8),\n"
    "RESET_TOKEN_TTL_MS (1800000); jobs: JOBS_INTERVAL_MS (60000), DUE_REMINDER_LEAD_MS\n"
    "(86400000); cluster: REDIS_URL (redis://[:password@]host:port[/db]; none: one instance),\n"
    "PRESENCE_TTL_MS (30000, 100..3600000).\n";

static void copy(char *dst, size_t n, const char *src)
{
    snprintf(dst, n, "%s", src ? src : "");
}

static void env_str(char *dst, size_t n, const char *name)
{
    const char *v = getenv(name);
    if (v && *v) copy(dst, n, v);
}

/* Parses a positive integer; returns -1 when s is not one. */
static long parse_num(const char *s)
{
    if (!s || !*s) return -1;
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || v < 0) return -1;
    return v;
}

static int env_num(const char *name, long *out)
{
    const char *v = getenv(name);
    if (!v || !*v) return 0;
    long n = parse_num(v);
    if (n < 0) {
        fprintf(stderr, "vibed: %s must be a non-negative integer\n", name);
        return -1;
    }
    *out = n;
    return 0;
}

static int vb_config_parse_check(const vb_config *cfg);

int vb_config_load(vb_config *cfg, int argc, char **argv)
{
    memset(cfg, 0, sizeof *cfg);
    copy(cfg->command, sizeof cfg->command, "serve");
    copy(cfg->host, sizeof cfg->host, "127.0.0.1");
    cfg->port = 3000;
    copy(cfg->database_url, sizeof cfg->database_url, "sqlite:./data/vibed.db");
    copy(cfg->log_level, sizeof cfg->log_level, "info");
    copy(cfg->web_root, sizeof cfg->web_root, "./web/dist");
    cfg->access_ttl_s = 900;
    cfg->refresh_ttl_s = 30 * 24 * 3600;
    cfg->auth_rate_limit = 20;
    cfg->auth_account_rate_limit = 20;
    cfg->write_rate_limit = 600;
    cfg->invite_rate_limit = 100;
    cfg->max_body_bytes = 5u * 1024 * 1024;
    cfg->max_attachment_bytes = 10u * 1024 * 1024;
    cfg->chat_ping_interval_ms = 30000;
    cfg->chat_ping_timeout_ms = 20000;
    cfg->chat_max_payload = 1000000;
    cfg->chat_max_output = 8u * 1024 * 1024;
    cfg->max_connections_per_address = 1000;
    cfg->chat_rate_limit = 20;
    cfg->chat_rate_burst = 50;
    cfg->store_max_queue = 10000;
    cfg->chat_recovery_ms = 120000;
    copy(cfg->public_url, sizeof cfg->public_url, "http://localhost:3000");
    copy(cfg->mail_from, sizeof cfg->mail_from, "vibed <no-reply@localhost>");
    cfg->mail_retry_base_ms = 30000;
    cfg->mail_max_attempts = 8;
    cfg->mail_lease_ms = 10L * 60 * 1000;
    cfg->reset_token_ttl_ms = 30L * 60 * 1000;
    cfg->jobs_interval_ms = 60000;
    cfg->due_reminder_lead_ms = 24L * 3600 * 1000;
    cfg->db_readers = 2;
    cfg->presence_ttl_ms = 30000;

    env_str(cfg->host, sizeof cfg->host, "HOST");
    env_str(cfg->database_url, sizeof cfg->database_url, "DATABASE_URL");
    env_str(cfg->jwt_secret, sizeof cfg->jwt_secret, "JWT_SECRET");
    env_str(cfg->log_level, sizeof cfg->log_level, "LOG_LEVEL");
    env_str(cfg->cors_origins, sizeof cfg->cors_origins, "CORS_ORIGINS");
    env_str(cfg->metrics_token, sizeof cfg->metrics_token, "METRICS_TOKEN");
    env_str(cfg->web_root, sizeof cfg->web_root, "WEB_ROOT");
    env_str(cfg->trust_proxy, sizeof cfg->trust_proxy, "TRUST_PROXY");
    long n = cfg->port;
    if (env_num("PORT", &n)) return -1;
    cfg->port = (int)n;
    n = cfg->access_ttl_s;
    if (env_num("ACCESS_TOKEN_TTL", &n)) return -1;
    cfg->access_ttl_s = (int)n;
    n = cfg->refresh_ttl_s;
    if (env_num("REFRESH_TOKEN_TTL", &n)) return -1;
    cfg->refresh_ttl_s = (int)n;
    n = cfg->auth_rate_limit;
    if (env_num("AUTH_RATE_LIMIT", &n)) return -1;
    cfg->auth_rate_limit = (int)n;
    n = cfg->auth_account_rate_limit;
    if (env_num("AUTH_ACCOUNT_RATE_LIMIT", &n)) return -1;
    cfg->auth_account_rate_limit = (int)n;
    n = cfg->write_rate_limit;
    if (env_num("WRITE_RATE_LIMIT", &n)) return -1;
    cfg->write_rate_limit = (int)n;
    n = cfg->invite_rate_limit;
    if (env_num("INVITE_RATE_LIMIT", &n)) return -1;
    cfg->invite_rate_limit = (int)n;
    n = (long)cfg->max_body_bytes;
    if (env_num("MAX_BODY_BYTES", &n)) return -1;
    cfg->max_body_bytes = (size_t)n;
    n = (long)cfg->max_attachment_bytes;
    if (env_num("MAX_ATTACHMENT_BYTES", &n)) return -1;
    cfg->max_attachment_bytes = (size_t)n;
    n = cfg->chat_ping_interval_ms;
    if (env_num("CHAT_PING_INTERVAL_MS", &n)) return -1;
    cfg->chat_ping_interval_ms = (int)n;
    n = cfg->chat_ping_timeout_ms;
    if (env_num("CHAT_PING_TIMEOUT_MS", &n)) return -1;
    cfg->chat_ping_timeout_ms = (int)n;
    n = (long)cfg->chat_max_payload;
    if (env_num("CHAT_MAX_PAYLOAD", &n)) return -1;
    cfg->chat_max_payload = (size_t)n;
    n = (long)cfg->chat_max_output;
    if (env_num("CHAT_MAX_OUTPUT", &n)) return -1;
    cfg->chat_max_output = (size_t)n;
    n = (long)cfg->max_connections_per_address;
    if (env_num("MAX_CONNECTIONS_PER_ADDRESS", &n)) return -1;
    cfg->max_connections_per_address = n > 1000000000L ? 1000000000u : (unsigned)n;
    n = cfg->chat_rate_limit;
    if (env_num("CHAT_RATE_LIMIT", &n)) return -1;
    cfg->chat_rate_limit = n > 1000000000L ? 1000000000u : (unsigned)n;
    n = cfg->chat_rate_burst;
    if (env_num("CHAT_RATE_BURST", &n)) return -1;
    cfg->chat_rate_burst = n > 1000000000L ? 1000000000u : (unsigned)n;
    n = (long)cfg->store_max_queue;
    if (env_num("STORE_MAX_QUEUE", &n)) return -1;
    cfg->store_max_queue = (size_t)n;
    n = cfg->chat_recovery_ms;
    if (env_num("CHAT_RECOVERY_MS", &n)) return -1;
    if (n > 86400000L) {
        fprintf(stderr, "vibed: CHAT_RECOVERY_MS must be at most 86400000 (a day)\n");
        return -1;
    }
    cfg->chat_recovery_ms = (int)n;
    env_str(cfg->public_url, sizeof cfg->public_url, "PUBLIC_URL");
    env_str(cfg->smtp_url, sizeof cfg->smtp_url, "SMTP_URL");
    env_str(cfg->mail_from, sizeof cfg->mail_from, "MAIL_FROM");
    if (env_num("MAIL_RETRY_BASE_MS", &cfg->mail_retry_base_ms)) return -1;
    n = cfg->mail_max_attempts;
    if (env_num("MAIL_MAX_ATTEMPTS", &n)) return -1;
    cfg->mail_max_attempts = (int)n;
    if (env_num("MAIL_LEASE_MS", &cfg->mail_lease_ms)) return -1;
    if (env_num("RESET_TOKEN_TTL_MS", &cfg->reset_token_ttl_ms)) return -1;
    if (env_num("JOBS_INTERVAL_MS", &cfg->jobs_interval_ms)) return -1;
    if (env_num("DUE_REMINDER_LEAD_MS", &cfg->due_reminder_lead_ms)) return -1;
    env_str(cfg->redis_url, sizeof cfg->redis_url, "REDIS_URL");
    n = cfg->presence_ttl_ms;
    if (env_num("PRESENCE_TTL_MS", &n)) return -1;
    cfg->presence_ttl_ms = n;
    n = cfg->db_readers;
    if (env_num("DB_READERS", &n)) return -1;
    cfg->db_readers = (int)n;

    enum {
        O_HOST = 1,
        O_PORT,
        O_DB,
        O_JWT,
        O_LOG,
        O_CORS,
        O_METRICS,
        O_WEB,
        O_DEMO,
        O_HELP,
        O_VER
    };
    static const struct option opts[] = {
        {"host", required_argument, 0, O_HOST},
        {"port", required_argument, 0, O_PORT},
        {"database-url", required_argument, 0, O_DB},
        {"jwt-secret", required_argument, 0, O_JWT},
        {"log-level", required_argument, 0, O_LOG},
        {"cors-origins", required_argument, 0, O_CORS},
        {"metrics-token", required_argument, 0, O_METRICS},
        {"web-root", required_argument, 0, O_WEB},
        {"demo", no_argument, 0, O_DEMO},
        {"help", no_argument, 0, O_HELP},
        {"version", no_argument, 0, O_VER},
        {0, 0, 0, 0},
    };
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1 || optind < argc) {
        if (c == -1) {
            /* A positional word: the command. getopt with "+" stops at it. */
            const char *word = argv[optind++];
            if (strcmp(word, "serve") && strcmp(word, "migrate") && strcmp(word, "seed-demo")) {
                fprintf(stderr, "vibed: unknown command '%s'\n%s", word, g_usage);
                return -1;
            }
            copy(cfg->command, sizeof cfg->command, word);
            continue;
        }
        switch (c) {
        case O_HOST:
            copy(cfg->host, sizeof cfg->host, optarg);
            break;
        case O_PORT:
            n = parse_num(optarg);
            if (n < 0 || n > 65535) {
                fprintf(stderr, "vibed: --port must be 0..65535\n");
                return -1;
            }
            cfg->port = (int)n;
            break;
        case O_DB:
            copy(cfg->database_url, sizeof cfg->database_url, optarg);
            break;
        case O_JWT:
            copy(cfg->jwt_secret, sizeof cfg->jwt_secret, optarg);
            break;
        case O_LOG:
            copy(cfg->log_level, sizeof cfg->log_level, optarg);
            break;
        case O_CORS:
            copy(cfg->cors_origins, sizeof cfg->cors_origins, optarg);
            break;
        case O_METRICS:
            copy(cfg->metrics_token, sizeof cfg->metrics_token, optarg);
            break;
        case O_WEB:
            copy(cfg->web_root, sizeof cfg->web_root, optarg);
            break;
        case O_DEMO:
            cfg->seed_demo = 1;
            break;
        case O_HELP:
            fputs(g_usage, stdout);
            return 1;
        case O_VER:
            printf("vibed %s\n", VB_VERSION);
            return 1;
        default:
            fprintf(stderr, "vibed: unknown or incomplete option '%s'\n%s", argv[optind - 1],
                    g_usage);
            return -1;
        }
    }
    if (cfg->port < 0 || cfg->port > 65535) {
        fprintf(stderr, "vibed: PORT must be 0..65535\n");
        return -1;
    }
    if (vb_config_parse_check(cfg)) return -1;
    return 0;
}

/* Checks values that flags and env cannot express on their own: 0 or -1 (printed). */
static int vb_config_parse_check(const vb_config *cfg)
{
    if (cfg->jwt_secret[0] && strlen(cfg->jwt_secret) < 32) {
        fprintf(stderr, "vibed: the JWT secret must be at least 32 bytes\n");
        return -1;
    }
    vb_proxy *proxies = NULL;
    char err[256];
    if (vb_proxy_parse(cfg->trust_proxy, &proxies, err, sizeof err) != 0) {
        fprintf(stderr, "vibed: %s\n", err);
        return -1;
    }
    vb_proxy_free(proxies);
    if (cfg->smtp_url[0] && strncmp(cfg->smtp_url, "smtp://", 7) != 0 &&
        strncmp(cfg->smtp_url, "smtps://", 8) != 0) {
        fprintf(stderr, "vibed: SMTP_URL must be smtp://... or smtps://...\n");
        return -1;
    }
    if (cfg->jobs_interval_ms < 10 || cfg->mail_max_attempts < 1 || cfg->mail_retry_base_ms < 1 ||
        cfg->mail_lease_ms < 1000) {
        fprintf(stderr, "vibed: JOBS_INTERVAL_MS must be >= 10, MAIL_MAX_ATTEMPTS and "
                        "MAIL_RETRY_BASE_MS >= 1, MAIL_LEASE_MS >= 1000\n");
        return -1;
    }
    if (strncmp(cfg->database_url, "sqlite:", 7) != 0 &&
        strncmp(cfg->database_url, "postgres://", 11) != 0 &&
        strncmp(cfg->database_url, "postgresql://", 13) != 0) {
        fprintf(stderr, "vibed: DATABASE_URL must be sqlite:PATH or postgres://...\n");
        return -1;
    }
    if (cfg->presence_ttl_ms < 100 || cfg->presence_ttl_ms > 3600000) {
        fprintf(stderr, "vibed: PRESENCE_TTL_MS must be 100..3600000\n");
        return -1;
    }
    if (cfg->redis_url[0] && strncmp(cfg->redis_url, "redis://", 8) != 0) {
        fprintf(stderr, "vibed: REDIS_URL must be redis://[:password@]host:port[/db]\n");
        return -1;
    }
    if (cfg->db_readers < 1 || cfg->db_readers > 16) {
        fprintf(stderr, "vibed: DB_READERS must be 1..16\n");
        return -1;
    }
    return 0;
}

void vb_config_data_dir(const vb_config *cfg, char *out, size_t outlen)
{
    if (strncmp(cfg->database_url, "sqlite:", 7) != 0) {
        snprintf(out, outlen, "./data"); /* PostgreSQL: the default folder */
        return;
    }
    const char *path = cfg->database_url + 7; /* after "sqlite:" */
    const char *slash = strrchr(path, '/');
    if (!slash || strcmp(path, ":memory:") == 0)
        snprintf(out, outlen, ".");
    else
        snprintf(out, outlen, "%.*s", (int)(slash - path), path);
}
