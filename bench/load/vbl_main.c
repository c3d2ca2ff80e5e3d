/*
 * vb-load main: options, the stdin control channel, the JSON reports.
 *
 * vb-load chat|sse --port P | --ports P1,P2,... [--host 127.0.0.1] [--src-base 1] [--src-count 1]
 *   --conns N [--concurrency 256] --tokens FILE [--channels ID,ID,...]
 *   [--sse-path /api/v1/projects/ID/stats/live] [--ws-path /ws] [--nsp /chat]
 *
 * Prints {"event":"ready",...} once every connection finished its handshake,
 * then obeys lines on stdin:
 *   send SENDERS RATE WINDOW DURATION_MS PAYLOAD   start sending (chat)
 *   track BASE                                      start SSE value tracking
 *   report                                          print the counters
 *   quit                                            close everything, exit
 */
#include "vbl.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

vbl_opts g_opts;
vbl_stats g_stats;
uv_loop_t *g_loop;

int vbl_port_of(int idx)
{
    return g_opts.nports ? g_opts.ports[idx % g_opts.nports] : g_opts.port;
}

/* Parses --ports P1,P2,...: 0 on success, -1 on a bad or too long list. */
static int load_ports(const char *list)
{
    const char *p = list;
    while (*p) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v < 1 || v > 65535 || g_opts.nports == VBL_MAX_PORTS) return -1;
        g_opts.ports[g_opts.nports++] = (int)v;
        if (*end == ',')
            end++;
        else if (*end)
            return -1;
        p = end;
    }
    return g_opts.nports ? 0 : -1;
}

static uv_pipe_t g_stdin;
static char g_line[4096];
static size_t g_linelen;

void vbl_emit(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

void vbl_on_all_ready(void)
{
    vbl_emit("{\"event\":\"ready\",\"ready\":%llu,\"failed\":%llu}",
             (unsigned long long)g_stats.ready, (unsigned long long)g_stats.failed);
}

/* Prints every counter and both histograms as one JSON line. */
static void report(void)
{
    size_t cap = 1 << 20;
    char *a = malloc(cap), *d = malloc(cap), *s = malloc(cap);
    if (!a || !d || !s) return;
    vbl_hist_json(&g_stats.ack_lat, a, cap);
    vbl_hist_json(&g_stats.deliver_lat, d, cap);
    vbl_sse_report(s, cap);
    vbl_emit(
        "{\"event\":\"report\",\"ready\":%llu,\"failed\":%llu,\"closed\":%llu,\"live\":%d,"
        "\"sent\":%llu,\"acked\":%llu,\"ack_errors\":%llu,\"skipped\":%llu,\"received\":%llu,"
        "\"other_events\":%llu,\"sse_events\":%llu,\"bytes_in\":%llu,\"first_send_ns\":%llu,"
        "\"last_recv_ns\":%llu,\"last_ack_ns\":%llu,\"ack_lat\":%s,\"deliver_lat\":%s,\"sse\":%s}",
        (unsigned long long)g_stats.ready, (unsigned long long)g_stats.failed,
        (unsigned long long)g_stats.closed, vbl_conns_live(), (unsigned long long)g_stats.sent,
        (unsigned long long)g_stats.acked, (unsigned long long)g_stats.ack_errors,
        (unsigned long long)g_stats.skipped, (unsigned long long)g_stats.received,
        (unsigned long long)g_stats.other_events, (unsigned long long)g_stats.sse_events,
        (unsigned long long)g_stats.bytes_in, (unsigned long long)g_stats.first_send_ns,
        (unsigned long long)g_stats.last_recv_ns, (unsigned long long)g_stats.last_ack_ns, a, d, s);
    free(a), free(d), free(s);
}

static void on_quit_walk(uv_handle_t *h, void *arg)
{
    if (!uv_is_closing(h)) uv_close(h, NULL);
}

/* Runs one control line. */
static void command(char *line)
{
    if (!strncmp(line, "send ", 5)) {
        int senders = 0, window = 0, dur = 0, payload = 0;
        double rate = 0;
        if (sscanf(line + 5, "%d %lf %d %d %d", &senders, &rate, &window, &dur, &payload) == 5) {
            memset(&g_stats.ack_lat, 0, sizeof g_stats.ack_lat);
            memset(&g_stats.deliver_lat, 0, sizeof g_stats.deliver_lat);
            g_stats.sent = g_stats.acked = g_stats.received = g_stats.ack_errors = g_stats.skipped =
                0;
            g_stats.first_send_ns = g_stats.last_recv_ns = g_stats.last_ack_ns = 0;
            vbl_send_start(senders, rate, window, dur, payload);
            vbl_emit("{\"event\":\"sending\"}");
        }
    } else if (!strncmp(line, "track ", 6)) {
        vbl_sse_track(atol(line + 6));
        vbl_emit("{\"event\":\"tracking\"}");
    } else if (!strcmp(line, "report")) {
        report();
    } else if (!strcmp(line, "quit")) {
        vbl_conns_close_all();
        uv_walk(g_loop, on_quit_walk, NULL);
    }
}

static void on_stdin_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    static char b[4096];
    buf->base = b;
    buf->len = sizeof b;
}

static void on_stdin(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    if (n < 0) {
        command("quit");
        return;
    }
    for (ssize_t i = 0; i < n; i++) {
        char ch = buf->base[i];
        if (ch == '\n') {
            g_line[g_linelen] = '\0';
            g_linelen = 0;
            command(g_line);
        } else if (g_linelen + 1 < sizeof g_line) {
            g_line[g_linelen++] = ch;
        }
    }
}

/* Reads one token per line from path into g_opts.tokens. */
static int load_tokens(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t cap = 64;
    g_opts.tokens = malloc(cap * sizeof *g_opts.tokens);
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0]) continue;
        if ((size_t)g_opts.ntokens == cap)
            g_opts.tokens = realloc(g_opts.tokens, (cap *= 2) * sizeof(char *));
        g_opts.tokens[g_opts.ntokens++] = strdup(line);
    }
    fclose(f);
    return g_opts.ntokens > 0 ? 0 : -1;
}

/* Splits a comma-separated list of channel ids. */
static void load_channels(char *list)
{
    g_opts.channels = calloc(strlen(list) + 1, sizeof(char *));
    for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ","))
        g_opts.channels[g_opts.nchannels++] = tok;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: vb-load chat|sse --port P|--ports P1,P2 --conns N --tokens FILE [--channels "
            "A,B] [--sse-path P]\n"
            "  [--host H] [--src-base B] [--src-count C] [--concurrency K] [--ws-path /ws] [--nsp "
            "/chat]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    if (argc < 2) usage();
    g_opts.mode = !strcmp(argv[1], "sse") ? VBL_SSE : VBL_CHAT;
    if (strcmp(argv[1], "sse") && strcmp(argv[1], "chat")) usage();
    snprintf(g_opts.host, sizeof g_opts.host, "127.0.0.1");
    snprintf(g_opts.ws_path, sizeof g_opts.ws_path, "/ws");
    snprintf(g_opts.nsp, sizeof g_opts.nsp, "/chat");
    g_opts.src_base = 1, g_opts.src_count = 1, g_opts.concurrency = 256;
    static struct option lo[] = {{"port", 1, 0, 'p'},
                                 {"host", 1, 0, 'h'},
                                 {"src-base", 1, 0, 'b'},
                                 {"src-count", 1, 0, 'c'},
                                 {"conns", 1, 0, 'n'},
                                 {"concurrency", 1, 0, 'k'},
                                 {"tokens", 1, 0, 't'},
                                 {"channels", 1, 0, 'C'},
                                 {"sse-path", 1, 0, 's'},
                                 {"ws-path", 1, 0, 'w'},
                                 {"nsp", 1, 0, 'N'},
                                 {"ports", 1, 0, 'P'},
                                 {0, 0, 0, 0}};
    int o;
    optind = 2;
    while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (o) {
        case 'p':
            g_opts.port = atoi(optarg);
            break;
        case 'P':
            if (load_ports(optarg)) {
                fprintf(stderr, "vb-load: --ports wants 1..%d ports separated by commas\n",
                        VBL_MAX_PORTS);
                return 2;
            }
            break;
        case 'h':
            snprintf(g_opts.host, sizeof g_opts.host, "%s", optarg);
            break;
        case 'b':
            g_opts.src_base = atoi(optarg);
            break;
        case 'c':
            g_opts.src_count = atoi(optarg);
            break;
        case 'n':
            g_opts.conns = atoi(optarg);
            break;
        case 'k':
            g_opts.concurrency = atoi(optarg);
            break;
        case 't':
            if (load_tokens(optarg)) {
                fprintf(stderr, "vb-load: no tokens in %s\n", optarg);
                return 2;
            }
            break;
        case 'C':
            load_channels(optarg);
            break;
        case 's':
            snprintf(g_opts.sse_path, sizeof g_opts.sse_path, "%s", optarg);
            break;
        case 'w':
            snprintf(g_opts.ws_path, sizeof g_opts.ws_path, "%s", optarg);
            break;
        case 'N':
            snprintf(g_opts.nsp, sizeof g_opts.nsp, "%s", optarg);
            break;
        default:
            usage();
        }
    }
    if (!g_opts.port && g_opts.nports) g_opts.port = g_opts.ports[0];
    if (!g_opts.port || !g_opts.ntokens || g_opts.src_count < 1 || g_opts.concurrency < 1) usage();
    if (g_opts.mode == VBL_CHAT && !g_opts.nchannels) usage();
    if (g_opts.mode == VBL_SSE && !g_opts.sse_path[0]) usage();
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    srand((unsigned)vbl_now_ns());
    g_loop = uv_default_loop();
    uv_pipe_init(g_loop, &g_stdin, 0);
    uv_pipe_open(&g_stdin, 0);
    uv_read_start((uv_stream_t *)&g_stdin, on_stdin_alloc, on_stdin);
    vbl_conns_start();
    uv_run(g_loop, UV_RUN_DEFAULT);
    return 0;
}
