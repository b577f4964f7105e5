/* paxos-bench.c -- a closed-loop or fixed-rate HTTP write load generator
 * for paxosd (a client's /send, a proposer's /propose) and, for
 * comparison, etcd's HTTP gateway (/v3/kv/put); with --read, linearizable
 * reads instead (a client's GET /read, etcd's POST /v3/kv/range). N connections with
 * keep-alive on libcurl multi; prints writes/s and latency percentiles
 * every second and at the end, after an optional warm-up that is not
 * counted. With --log, every request is written down with its wall-clock
 * start and end, its status and the leader its answer names (to time a
 * failover).
 *
 *   paxos-bench --url http://127.0.0.1:6001/send -c 64 -w 2 -d 10 -s 64
 *   paxos-bench --etcd --url http://127.0.0.1:2379/v3/kv/put -c 64 -d 10
 *   paxos-bench --url http://127.0.0.1:6001/send -c 800 -r 1000 --log reqs
 *   paxos-bench --read --url 'http://127.0.0.1:6001/read?last=1' -c 64 */
#include <curl/curl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "array.h"

#define REPLY_MAX 1024          /* bytes of each answer kept, for --log */

struct latencies {              /* microseconds, unsorted */
    uint32_t *us;
    size_t len, cap;
};

struct conn {
    CURL *easy;
    struct curl_slist *headers;
    char *body;
    size_t id;
    uint64_t seq;
    int64_t started_us;
    bool busy;
    char reply[REPLY_MAX];      /* the start of the answer, NUL-terminated */
    size_t reply_len;
};

struct bench {
    const char *url;
    bool etcd, json, read;
    const char *label;
    int connections, duration_s, warmup_s, value_size;
    long timeout_ms;
    double rate;                /* total writes/s; 0 = closed loop */
    FILE *log;                  /* --log: one line per request, or NULL */
    CURLM *multi;
    struct conn *conns;
    struct latencies all, second;
    /* Counted from the end of the warm-up on. unknown: no answer in
     * time, or 504 (paxosd's "the write may still be chosen"). */
    uint64_t ok, failed, unknown, second_ok, second_failed, started;
    int64_t start_us, measure_us, end_us;   /* monotonic: run start,
                                             * warm-up end, run end */
    int64_t wall_offset_us;     /* CLOCK_REALTIME minus CLOCK_MONOTONIC */
};

static volatile sig_atomic_t stop_requested;

static int64_t clock_us(clockid_t clock)
{
    struct timespec ts;

    clock_gettime(clock, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t now_us(void)
{
    return clock_us(CLOCK_MONOTONIC);
}

static void latencies_add(struct latencies *l, uint32_t us)
{
    if (array_reserve(&l->us, &l->cap, l->len + 1) < 0)
        return;                 /* the sample is lost, the count is not */
    l->us[l->len++] = us;
}

static int compare_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return (x > y) - (x < y);
}

/* Sorts l and returns the q-quantile in milliseconds (0 when empty). */
static double latencies_quantile_ms(struct latencies *l, double q)
{
    size_t i;

    if (!l->len)
        return 0;
    i = (size_t)(q * (double)(l->len - 1) + 0.5);
    return l->us[i] / 1000.0;
}

static void latencies_sort(struct latencies *l)
{
    qsort(l->us, l->len, sizeof(*l->us), compare_u32);
}

static const char base64_digits[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Appends the base64 form of src[0..n) at out; returns its length. */
static size_t base64(const char *src, size_t n, char *out)
{
    size_t o = 0;

    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)(unsigned char)src[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)(unsigned char)src[i + 1] << 8;
        if (i + 2 < n)
            v |= (unsigned char)src[i + 2];
        out[o++] = base64_digits[v >> 18 & 63];
        out[o++] = base64_digits[v >> 12 & 63];
        out[o++] = i + 1 < n ? base64_digits[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? base64_digits[v & 63] : '=';
    }
    return o;
}

/* The next request's body for c: a unique value of value_size bytes. */
static void conn_fill_body(const struct bench *b, struct conn *c)
{
    char value[4096], key[64];
    size_t o;
    int n = snprintf(value, sizeof(value), "w-%zu-%" PRIu64 "-", c->id, c->seq);
    size_t len = (size_t)b->value_size > (size_t)n ? (size_t)b->value_size : (size_t)n;

    if (len >= sizeof(value))
        len = sizeof(value) - 1;
    memset(value + n, 'x', len - (size_t)n);
    value[len] = '\0';
    if (b->read && b->etcd) {          /* one key, read by everyone */
        o = (size_t)sprintf(c->body, "{\"key\":\"");
        o += base64("bench/read", 10, c->body + o);
        strcpy(c->body + o, "\"}");
        return;
    }
    if (!b->etcd) {
        snprintf(c->body, 8192, "{\"value\":\"%s\"}", value);
        return;
    }
    int k = snprintf(key, sizeof(key), "bench/%zu/%" PRIu64, c->id, c->seq);
    o = (size_t)sprintf(c->body, "{\"key\":\"");
    o += base64(key, (size_t)k, c->body + o);
    o += (size_t)sprintf(c->body + o, "\",\"value\":\"");
    o += base64(value, len, c->body + o);
    strcpy(c->body + o, "\"}");
}

/* Keeps the first REPLY_MAX - 1 bytes of the answer; drops the rest. */
static size_t keep_reply(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct conn *c = ud;
    size_t len = size * nmemb, room = REPLY_MAX - 1 - c->reply_len;
    size_t n = len < room ? len : room;

    memcpy(c->reply + c->reply_len, ptr, n);
    c->reply_len += n;
    c->reply[c->reply_len] = '\0';
    return len;
}

static int conn_init(struct bench *b, struct conn *c, size_t id)
{
    c->id = id;
    c->body = malloc(8192);
    c->easy = curl_easy_init();
    c->headers = curl_slist_append(NULL, "Content-Type: application/json");
    c->headers = curl_slist_append(c->headers, "Expect:");
    if (!c->body || !c->easy || !c->headers)
        return -1;
    curl_easy_setopt(c->easy, CURLOPT_URL, b->url);
    curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, c->headers);
    curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, keep_reply);
    curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(c->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c->easy, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(c->easy, CURLOPT_TIMEOUT_MS, b->timeout_ms);
    curl_easy_setopt(c->easy, CURLOPT_PRIVATE, c);
    return 0;
}

static void conn_start(struct bench *b, struct conn *c)
{
    c->seq++;
    if (b->read && !b->etcd) {
        curl_easy_setopt(c->easy, CURLOPT_HTTPGET, 1L);
    } else {
        conn_fill_body(b, c);
        curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS, c->body);
        curl_easy_setopt(c->easy, CURLOPT_POSTFIELDSIZE,
                         (long)strlen(c->body));
    }
    c->reply_len = 0;
    c->reply[0] = '\0';
    c->started_us = now_us();
    c->busy = true;
    b->started++;
    curl_multi_add_handle(b->multi, c->easy);
}

/* The "leader" field of a JSON answer (a string or a number), or "-". */
static void reply_leader(const char *reply, char *out, size_t cap)
{
    const char *p = strstr(reply, "\"leader\":");
    size_t n;

    snprintf(out, cap, "-");
    if (!p)
        return;
    p += strlen("\"leader\":");
    if (*p == '"')
        p++;
    n = strcspn(p, "\",}");
    if (n > 0 && n < cap && !strchr("{[n", *p))
        snprintf(out, cap, "%.*s", (int)n, p);
}

/* start_ms end_ms status leader: wall-clock milliseconds since the epoch;
 * status 0 when no answer came. */
static void bench_log(const struct bench *b, const struct conn *c,
                      int64_t end_us, long status)
{
    char leader[64];

    reply_leader(c->reply, leader, sizeof(leader));
    fprintf(b->log, "%.3f %.3f %ld %s\n",
            (double)(c->started_us + b->wall_offset_us) / 1000.0,
            (double)(end_us + b->wall_offset_us) / 1000.0, status, leader);
}

static void bench_finish_one(struct bench *b, CURL *easy, CURLcode result)
{
    struct conn *c;
    long status = 0;
    int64_t end = now_us();
    uint32_t us;

    curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&c);
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    curl_multi_remove_handle(b->multi, easy);
    c->busy = false;
    if (result != CURLE_OK)
        status = 0;
    if (b->log)
        bench_log(b, c, end, status);
    if (c->started_us < b->measure_us)
        return;                 /* started during the warm-up */
    us = (uint32_t)(end - c->started_us);
    if (status == 200 && end > b->end_us)
        return;                 /* answered after the run: not counted */
    if (status == 200) {
        b->ok++;
        b->second_ok++;
        latencies_add(&b->all, us);
        latencies_add(&b->second, us);
        return;
    }
    if (status == 504 || result == CURLE_OPERATION_TIMEDOUT)
        b->unknown++;
    else
        b->failed++;
    b->second_failed++;
}

static void bench_print_second(struct bench *b, int second)
{
    latencies_sort(&b->second);
    if (b->json)
        printf("{\"label\":\"%s\",\"t\":%d,\"writes_per_s\":%" PRIu64
               ",\"failed\":%" PRIu64 ",\"p50_ms\":%.2f,\"p99_ms\":%.2f}\n",
               b->label, second, b->second_ok, b->second_failed,
               latencies_quantile_ms(&b->second, 0.5),
               latencies_quantile_ms(&b->second, 0.99));
    else
        printf("%-12s %4ds %8" PRIu64 " writes/s %5" PRIu64 " failed  "
               "p50 %7.2f  p90 %7.2f  p99 %7.2f  max %8.2f ms\n",
               b->label, second, b->second_ok, b->second_failed,
               latencies_quantile_ms(&b->second, 0.5),
               latencies_quantile_ms(&b->second, 0.9),
               latencies_quantile_ms(&b->second, 0.99),
               latencies_quantile_ms(&b->second, 1.0));
    fflush(stdout);
    b->second.len = 0;
    b->second_ok = b->second_failed = 0;
}

/* Seconds of CPU this process used, user and system. */
static double cpu_seconds(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void bench_print_total(struct bench *b, double seconds)
{
    latencies_sort(&b->all);
    printf("%s{\"label\":\"%s\",\"connections\":%d,\"rate\":%.0f,"
           "\"warmup_s\":%d,\"seconds\":%.2f,\"writes\":%" PRIu64 ","
           "\"failed\":%" PRIu64 ",\"unknown\":%" PRIu64 ","
           "\"writes_per_s\":%.0f,\"p50_ms\":%.3f,\"p90_ms\":%.3f,"
           "\"p99_ms\":%.3f,\"max_ms\":%.3f,\"cpu_s\":%.2f}\n",
           b->json ? "" : "total ", b->label, b->connections, b->rate,
           b->warmup_s, seconds, b->ok, b->failed, b->unknown,
           (double)b->ok / seconds, latencies_quantile_ms(&b->all, 0.5),
           latencies_quantile_ms(&b->all, 0.9),
           latencies_quantile_ms(&b->all, 0.99),
           latencies_quantile_ms(&b->all, 1.0), cpu_seconds());
}

/* With a fixed rate, how many requests should have started by now. */
static uint64_t bench_due(const struct bench *b, int64_t now)
{
    return (uint64_t)((double)(now - b->start_us) / 1e6 * b->rate) + 1;
}

static bool bench_busy(const struct bench *b)
{
    for (int i = 0; i < b->connections; i++)
        if (b->conns[i].busy)
            return true;
    return false;
}

/* Runs the warm-up and the measured seconds, then waits for the requests
 * still out (each ends within the timeout). */
static void bench_run(struct bench *b)
{
    int64_t next_second;
    int second = 0, running;

    b->start_us = now_us();
    b->wall_offset_us = clock_us(CLOCK_REALTIME) - b->start_us;
    b->measure_us = b->start_us + (int64_t)b->warmup_s * 1000000;
    b->end_us = b->measure_us + (int64_t)b->duration_s * 1000000;
    next_second = b->measure_us + 1000000;
    while (!stop_requested) {
        int64_t now = now_us();
        bool running_out = now >= b->end_us;
        CURLMsg *msg;
        int left;
        if (now >= next_second && second < b->duration_s) {
            bench_print_second(b, ++second);
            next_second += 1000000;
        }
        if (running_out && !bench_busy(b))
            break;
        for (int i = 0; i < b->connections && !running_out; i++)
            if (!b->conns[i].busy && (b->rate <= 0 || b->started < bench_due(b, now)))
                conn_start(b, &b->conns[i]);
        bool finished = false;
        curl_multi_perform(b->multi, &running);
        while ((msg = curl_multi_info_read(b->multi, &left)))
            if (msg->msg == CURLMSG_DONE) {
                bench_finish_one(b, msg->easy_handle, msg->data.result);
                finished = true;
            }
        if (!finished)      /* else start the next requests at once */
            curl_multi_poll(b->multi, NULL, 0, b->rate > 0 ? 1 : 100, NULL);
    }
    int64_t stop = now_us() < b->end_us ? now_us() : b->end_us;   /* ^C */
    bench_print_total(b, stop > b->measure_us ? (double)(stop - b->measure_us) / 1e6
                                              : 0.001);
}

static void on_signal(int sig)
{
    stop_requested = 1;
}

static void usage(FILE *out)
{
    fputs("Usage: paxos-bench --url URL [options]\n"
          "  --url URL            where to POST writes (a client's /send, a\n"
          "                       proposer's /propose, or etcd's /v3/kv/put)\n"
          "  --etcd               send etcd put bodies (base64 key and value)\n"
          "  --read               linearizable reads, not writes: GET URL (a\n"
          "                       client's /read?last=1), or with --etcd a\n"
          "                       range of one key (/v3/kv/range); they are\n"
          "                       counted where writes would be\n"
          "  -c, --connections N  concurrent connections (default 16)\n"
          "  -d, --duration S     seconds to measure (default 10)\n"
          "  -w, --warmup S       seconds to run first, not counted (default 0)\n"
          "  -r, --rate R         total writes/s (default 0: closed loop)\n"
          "  -s, --value-size B   bytes per value (default 64, at most 4000)\n"
          "  -t, --timeout-ms MS  give up on a request after MS (default 15000)\n"
          "  -l, --label TEXT     name printed on every line\n"
          "  --log FILE           one line per request, warm-up included:\n"
          "                       start_ms end_ms status leader (wall clock,\n"
          "                       ms since the epoch; status 0: no answer;\n"
          "                       leader: the answer's \"leader\" field, or -)\n"
          "  --json               one JSON object per line\n"
          "After the run, the requests still out are waited for: their failures\n"
          "count, their successes do not. The last line is the total, as JSON:\n"
          "failed counts answers other than 200, unknown the 504s and requests\n"
          "that timed out.\n", out);
}

static int parse_int(const char *s, int min, int max, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);

    if (!*s || *end || v < min || v > max)
        return -1;
    *out = (int)v;
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        { "url", required_argument, NULL, 'u' },
        { "etcd", no_argument, NULL, 'e' },
        { "read", no_argument, NULL, 'R' },
        { "connections", required_argument, NULL, 'c' },
        { "duration", required_argument, NULL, 'd' },
        { "warmup", required_argument, NULL, 'w' },
        { "timeout-ms", required_argument, NULL, 't' },
        { "log", required_argument, NULL, 'L' },
        { "rate", required_argument, NULL, 'r' },
        { "value-size", required_argument, NULL, 's' },
        { "label", required_argument, NULL, 'l' },
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct bench b = { .connections = 16, .duration_s = 10, .value_size = 64,
                       .timeout_ms = 15000, .label = "bench" };
    const char *log_path = NULL;
    int opt, timeout_ms, rc = 1;

    while ((opt = getopt_long(argc, argv, "c:d:w:t:r:s:l:h", options, NULL)) != -1) {
        char *end;
        switch (opt) {
        case 'u': b.url = optarg; break;
        case 'e': b.etcd = true; break;
        case 'R': b.read = true; break;
        case 'j': b.json = true; break;
        case 'l': b.label = optarg; break;
        case 'L': log_path = optarg; break;
        case 'c':
            if (parse_int(optarg, 1, 4096, &b.connections) < 0)
                goto bad;
            break;
        case 'd':
            if (parse_int(optarg, 1, 86400, &b.duration_s) < 0)
                goto bad;
            break;
        case 'w':
            if (parse_int(optarg, 0, 3600, &b.warmup_s) < 0)
                goto bad;
            break;
        case 't':
            if (parse_int(optarg, 1, 3600000, &timeout_ms) < 0)
                goto bad;
            b.timeout_ms = timeout_ms;
            break;
        case 's':
            if (parse_int(optarg, 1, 4000, &b.value_size) < 0)
                goto bad;
            break;
        case 'r':
            b.rate = strtod(optarg, &end);
            if (*end || b.rate < 0)
                goto bad;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (!b.url || optind != argc) {
        fprintf(stderr, "paxos-bench: --url is required (see --help)\n");
        return 2;
    }
    if (log_path && !(b.log = fopen(log_path, "w"))) {
        perror(log_path);
        return 1;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    b.multi = curl_multi_init();
    b.conns = calloc((size_t)b.connections, sizeof(*b.conns));
    if (!b.multi || !b.conns)
        goto out;
    curl_multi_setopt(b.multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)b.connections);
    for (int i = 0; i < b.connections; i++)
        if (conn_init(&b, &b.conns[i], (size_t)i) < 0)
            goto out;
    bench_run(&b);
    rc = b.ok ? 0 : 1;
out:
    for (int i = 0; b.conns && i < b.connections; i++) {
        if (b.conns[i].busy)
            curl_multi_remove_handle(b.multi, b.conns[i].easy);
        curl_easy_cleanup(b.conns[i].easy);
        curl_slist_free_all(b.conns[i].headers);
        free(b.conns[i].body);
    }
    free(b.conns);
    free(b.all.us);
    free(b.second.us);
    if (b.log && fclose(b.log) != 0) {
        perror(log_path);
        rc = 1;
    }
    if (b.multi)
        curl_multi_cleanup(b.multi);
    curl_global_cleanup();
    return rc;
bad:
    fprintf(stderr, "paxos-bench: bad value '%s' for -%c (see --help)\n", optarg, opt);
    return 2;
}
