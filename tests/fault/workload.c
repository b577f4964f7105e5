/* workload.c -- the fault suite's clients: one process that keeps N
 * operations running at once against a paxosd cluster (libcurl multi) and
 * writes every invocation and completion to a history file, one JSON
 * object a line, for checker.c.
 *
 * An operation is a write of a unique value, through a client node's
 * POST /send or straight to a proposer's POST /propose, or a linearizable
 * read through a client node's GET /read. Each of the N logical processes
 * runs one operation at a time. The run is bounded by --time and --ops;
 * then the workload settles: one write through every client node, retried
 * until acknowledged (at most --settle seconds), so that the harness knows
 * the cluster writes again and up to which slot the final log must reach.
 *
 * History lines ("time" is CLOCK_MONOTONIC in nanoseconds):
 *   {"type":"invoke","f":"write","process":3,"node":"client1",
 *    "route":"/send","value":"v3-17","time":...}
 *   {"type":"ok",...,"slot":41}              acknowledged: chosen at slot 41
 *   {"type":"fail",...,"status":503,"error":"..."}   surely not done
 *   {"type":"info",...,"status":504,"error":"..."}   unknown
 *   a read's ok carries "count", "last_slot" and "digest" (faultlog.h) of
 *   the values it returned, and the "learner" that answered.
 * A write fails for sure on a 4xx, a 503 without "status":"unknown", or a
 * connection refused (nothing was sent); a timeout, a 504, any other
 * answer or a broken connection leave it unknown. Every request uses a
 * fresh connection: libcurl re-sends a request whose reused connection
 * turns out dead, which would write a value twice under two identities.
 *
 * At the end one JSON line goes to stdout: {"ops":N,"writes_ok":N,
 * "writes_failed":N,"writes_unknown":N,"reads_ok":N,"max_slot":S,
 * "settled":true}. Exit status 0, 2 for bad arguments or I/O errors. */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "faultlog.h"

#define MAX_TARGETS 32
#define MAX_RESPONSE (64u << 20)
#define BACKOFF_NS (100 * INT64_C(1000000))

enum route { ROUTE_SEND, ROUTE_PROPOSE, ROUTE_READ };
static const char *const route_path[] = { "/send", "/propose", "/read" };

enum outcome { OUT_OK, OUT_FAIL, OUT_INFO };
static const char *const outcome_name[] = { "ok", "fail", "info" };

struct target {
    const char *name;
    const char *url;            /* scheme://host:port, no trailing slash */
};

struct options {
    const char *history;
    struct target clients[MAX_TARGETS], proposers[MAX_TARGETS];
    size_t n_clients, n_proposers;
    long concurrency, time_s, settle_s, timeout_ms, reads_pct, direct_pct;
    long long max_ops;
    unsigned long long seed;
};

struct proc {
    int id;
    CURL *easy;
    struct curl_slist *headers;
    bool busy, done, settled;
    enum route route;
    const struct target *target;
    char value[64];
    uint64_t n;                 /* operations this process started */
    int64_t not_before;         /* back-off after an operation that failed */
    char *resp;
    size_t resp_len, resp_cap;
    char errbuf[CURL_ERROR_SIZE];
};

struct workload {
    struct options opt;
    CURLM *multi;
    FILE *history;
    struct proc *procs;
    size_t n_procs;
    uint64_t rng;
    int64_t deadline;           /* of the current phase */
    long long ops;
    uint64_t writes_ok, writes_failed, writes_unknown, reads_ok, max_slot;
};

/* Chooses what a process does next: fills route/target/value and returns
 * 1, returns 0 to wait (back-off), or -1 when the process is done. */
typedef int (*next_fn)(struct workload *w, struct proc *p, int64_t now);

static int64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint64_t rng_next(uint64_t *state)      /* splitmix64 */
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));

    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static size_t rng_below(struct workload *w, size_t n)
{
    return (size_t)(rng_next(&w->rng) % n);
}

/* ---------------------------------------------------------------- history */

static void history_write(struct workload *w, json_object *o)
{
    json_object_object_add(o, "time", json_object_new_int64(now_ns()));
    fprintf(w->history, "%s\n",
            json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
}

/* The fields an invocation and its completion share. */
static json_object *history_op(const struct proc *p, const char *type)
{
    json_object *o = json_object_new_object();

    json_object_object_add(o, "type", json_object_new_string(type));
    json_object_object_add(o, "f", json_object_new_string(
        p->route == ROUTE_READ ? "read" : "write"));
    json_object_object_add(o, "process", json_object_new_int(p->id));
    json_object_object_add(o, "node", json_object_new_string(p->target->name));
    json_object_object_add(o, "route", json_object_new_string(route_path[p->route]));
    if (p->route != ROUTE_READ)
        json_object_object_add(o, "value", json_object_new_string(p->value));
    return o;
}

/* ------------------------------------------------------------ requests */

static size_t on_data(char *data, size_t size, size_t nmemb, void *ud)
{
    struct proc *p = ud;
    size_t len = size * nmemb;

    if (len > MAX_RESPONSE - p->resp_len)
        return 0;               /* libcurl fails the transfer */
    if (p->resp_len + len + 1 > p->resp_cap) {
        size_t cap = (p->resp_len + len + 1) * 2;
        char *grown = realloc(p->resp, cap);
        if (!grown)
            return 0;
        p->resp = grown;
        p->resp_cap = cap;
    }
    memcpy(p->resp + p->resp_len, data, len);
    p->resp_len += len;
    p->resp[p->resp_len] = '\0';
    return len;
}

static int proc_start(struct workload *w, struct proc *p)
{
    char url[512], body[128];
    CURL *e = p->easy;

    snprintf(url, sizeof(url), "%s%s", p->target->url, route_path[p->route]);
    p->resp_len = 0;
    p->errbuf[0] = '\0';
    curl_easy_reset(e);
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, p);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, p);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, p->errbuf);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, w->opt.timeout_ms);
    curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
    curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, p->headers);
    if (p->route != ROUTE_READ) {
        snprintf(body, sizeof(body), "{\"value\":\"%s\"}", p->value);
        curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, body);
    }
    history_write(w, history_op(p, "invoke"));
    if (curl_multi_add_handle(w->multi, e) != CURLM_OK) {
        fprintf(stderr, "workload: cannot start a request\n");
        return -1;
    }
    p->busy = true;
    p->n++;
    return 0;
}

/* The answer's JSON object, or NULL when it is not one. */
static json_object *answer_json(const struct proc *p)
{
    char why[200];
    struct jr d = { why, sizeof(why) };
    json_object *o;

    if (!p->resp_len || jr_parse(&d, p->resp, p->resp_len, 64, &o) < 0)
        return NULL;
    return o;
}

static bool json_says(json_object *o, const char *key, const char *value)
{
    json_object *v;

    return o && json_object_object_get_ex(o, key, &v) &&
           json_object_is_type(v, json_type_string) &&
           strcmp(json_object_get_string(v), value) == 0;
}

/* Adds what an acknowledged write or a read returned to line c; returns
 * false when the answer does not say it. */
static bool read_success(struct workload *w, struct proc *p, json_object *a,
                         json_object *c)
{
    char why[200], hex[17];
    struct jr d = { why, sizeof(why) };
    json_object *learner;
    struct flog log;
    uint64_t slot, digest = FLOG_DIGEST_INIT;

    if (!a)
        return false;
    if (p->route != ROUTE_READ) {
        if (jr_uint(&d, a, &(struct jr_path){ NULL, "slot", 0 }, 1, INT64_MAX,
                    &slot) < 0)
            return false;
        json_object_object_add(c, "slot", json_object_new_int64((int64_t)slot));
        if (slot > w->max_slot)
            w->max_slot = slot;
        return true;
    }
    if (flog_read(&d, a, &log) < 0)
        return false;
    for (size_t i = 0; i < log.n; i++)
        digest = flog_digest_step(digest, &log.v[i]);
    snprintf(hex, sizeof(hex), "%016" PRIx64, digest);
    json_object_object_add(c, "count", json_object_new_int64((int64_t)log.n));
    json_object_object_add(c, "last_slot", json_object_new_int64(
        log.n ? (int64_t)log.v[log.n - 1].slot : 0));
    json_object_object_add(c, "digest", json_object_new_string(hex));
    if (json_object_object_get_ex(a, "learner", &learner))
        json_object_object_add(c, "learner", json_object_get(learner));
    flog_free(&log);
    return true;
}

static enum outcome classify(long status, CURLcode rc, json_object *a)
{
    if (rc != CURLE_OK)         /* a refused connection sent nothing */
        return rc == CURLE_COULDNT_CONNECT ? OUT_FAIL : OUT_INFO;
    if (status >= 400 && status < 500)
        return OUT_FAIL;
    if (status == 503 && !json_says(a, "status", "unknown"))
        return OUT_FAIL;
    return OUT_INFO;
}

static void proc_finish(struct workload *w, struct proc *p, CURLcode rc)
{
    long status = 0;
    json_object *a, *c = history_op(p, "ok"), *err;
    enum outcome out;
    bool is_write = p->route != ROUTE_READ;

    curl_easy_getinfo(p->easy, CURLINFO_RESPONSE_CODE, &status);
    curl_multi_remove_handle(w->multi, p->easy);
    p->busy = false;
    a = rc == CURLE_OK ? answer_json(p) : NULL;
    out = rc == CURLE_OK && status == 200 ? OUT_OK : classify(status, rc, a);
    if (out == OUT_OK && !read_success(w, p, a, c)) {
        out = OUT_INFO;         /* a 200 that does not say what happened */
        json_object_object_add(c, "error", json_object_new_string(
            "a 200 answer without its fields"));
    }
    json_object_object_add(c, "type", json_object_new_string(outcome_name[out]));
    if (out != OUT_OK) {
        json_object_object_add(c, "status", json_object_new_int((int)status));
        if (a && json_object_object_get_ex(a, "error", &err))
            json_object_object_add(c, "error", json_object_get(err));
        else if (status == 0)
            json_object_object_add(c, "error", json_object_new_string(
                p->errbuf[0] ? p->errbuf : curl_easy_strerror(rc)));
        p->not_before = now_ns() + BACKOFF_NS;
    }
    history_write(w, c);
    json_object_put(a);
    if (!is_write)
        w->reads_ok += out == OUT_OK;
    else if (out == OUT_OK)
        w->writes_ok++;
    else if (out == OUT_FAIL)
        w->writes_failed++;
    else
        w->writes_unknown++;
    if (out == OUT_OK && is_write)
        p->settled = true;
}

/* Runs the processes until every one is done and idle. */
static int run_phase(struct workload *w, next_fn next)
{
    for (;;) {
        int64_t now = now_ns();
        bool active = false;
        int running, queued;
        CURLMsg *msg;

        for (size_t i = 0; i < w->n_procs; i++) {
            struct proc *p = &w->procs[i];
            if (!p->busy && !p->done) {
                int rc = next(w, p, now);
                if (rc < 0)
                    p->done = true;
                else if (rc > 0 && proc_start(w, p) < 0)
                    return -1;
            }
            active |= p->busy || !p->done;
        }
        if (!active)
            return 0;
        curl_multi_perform(w->multi, &running);
        while ((msg = curl_multi_info_read(w->multi, &queued))) {
            char *p;
            if (msg->msg != CURLMSG_DONE)
                continue;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &p);
            proc_finish(w, (struct proc *)(void *)p, msg->data.result);
        }
        curl_multi_poll(w->multi, NULL, 0, 20, NULL);
    }
}

static void name_value(struct workload *w, struct proc *p)
{
    snprintf(p->value, sizeof(p->value), "v%d-%" PRIu64, p->id, p->n + 1);
}

static int next_random(struct workload *w, struct proc *p, int64_t now)
{
    size_t pick;

    if (p->id >= w->opt.concurrency || now >= w->deadline ||
        w->ops >= w->opt.max_ops)
        return -1;
    if (now < p->not_before)
        return 0;
    w->ops++;
    if ((long)rng_below(w, 100) < w->opt.reads_pct) {
        p->route = ROUTE_READ;
    } else {
        p->route = w->opt.n_proposers && (long)rng_below(w, 100) < w->opt.direct_pct
                   ? ROUTE_PROPOSE : ROUTE_SEND;
        name_value(w, p);
    }
    if (p->route == ROUTE_PROPOSE) {
        pick = rng_below(w, w->opt.n_proposers);
        p->target = &w->opt.proposers[pick];
    } else {
        pick = rng_below(w, w->opt.n_clients);
        p->target = &w->opt.clients[pick];
    }
    return 1;
}

/* Process i writes through client node i until one write is acknowledged. */
static int next_settle(struct workload *w, struct proc *p, int64_t now)
{
    if ((size_t)p->id >= w->opt.n_clients || p->settled || now >= w->deadline)
        return -1;
    if (now < p->not_before)
        return 0;
    w->ops++;
    p->route = ROUTE_SEND;
    p->target = &w->opt.clients[p->id];
    name_value(w, p);
    return 1;
}

/* ------------------------------------------------------------ arguments */

static void usage(FILE *out)
{
    fputs("Usage: workload --history FILE --client NAME=URL... [--proposer NAME=URL...]\n"
          "                [OPTION]...\n"
          "Runs concurrent writes and reads against a paxosd cluster and records\n"
          "them as a history of JSON lines.\n\n"
          "  --client NAME=URL      a client node (/send, /read); repeatable\n"
          "  --proposer NAME=URL    a proposer (/propose); repeatable\n"
          "  --concurrency N        operations at once (default 8)\n"
          "  --time SECONDS         stop starting operations after this (default 60)\n"
          "  --ops N                start at most N operations (default unbounded)\n"
          "  --settle SECONDS       then write through each client until one is\n"
          "                         acknowledged, at most this long (default 60)\n"
          "  --reads PERCENT        share of reads (default 10)\n"
          "  --direct PERCENT       share of writes sent to proposers (default 30)\n"
          "  --timeout-ms N         per request (default 15000)\n"
          "  --seed N               random seed (default 1)\n", out);
}

static int parse_long(const char *s, long min, long max, long *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static int add_target(struct target *list, size_t *n, char *arg)
{
    char *eq = strchr(arg, '=');

    if (!eq || eq == arg || !eq[1] || *n >= MAX_TARGETS)
        return -1;
    *eq = '\0';
    list[*n].name = arg;
    list[*n].url = eq + 1;
    (*n)++;
    return 0;
}

static int parse_args(int argc, char **argv, struct options *o)
{
    static const struct option longs[] = {
        { "history", required_argument, NULL, 'H' },
        { "client", required_argument, NULL, 'c' },
        { "proposer", required_argument, NULL, 'p' },
        { "concurrency", required_argument, NULL, 'n' },
        { "time", required_argument, NULL, 't' },
        { "ops", required_argument, NULL, 'o' },
        { "settle", required_argument, NULL, 's' },
        { "reads", required_argument, NULL, 'r' },
        { "direct", required_argument, NULL, 'd' },
        { "timeout-ms", required_argument, NULL, 'T' },
        { "seed", required_argument, NULL, 'S' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    long v;
    int c, bad = 0;

    *o = (struct options){ .concurrency = 8, .time_s = 60, .settle_s = 60,
                           .timeout_ms = 15000, .reads_pct = 10,
                           .direct_pct = 30, .max_ops = LLONG_MAX, .seed = 1 };
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        switch (c) {
        case 'H': o->history = optarg; break;
        case 'c': bad |= add_target(o->clients, &o->n_clients, optarg); break;
        case 'p': bad |= add_target(o->proposers, &o->n_proposers, optarg); break;
        case 'n': bad |= parse_long(optarg, 1, 10000, &o->concurrency); break;
        case 't': bad |= parse_long(optarg, 0, 86400, &o->time_s); break;
        case 's': bad |= parse_long(optarg, 0, 86400, &o->settle_s); break;
        case 'r': bad |= parse_long(optarg, 0, 100, &o->reads_pct); break;
        case 'd': bad |= parse_long(optarg, 0, 100, &o->direct_pct); break;
        case 'T': bad |= parse_long(optarg, 1, 3600000, &o->timeout_ms); break;
        case 'o':
            bad |= parse_long(optarg, 0, LONG_MAX, &v);
            o->max_ops = v;
            break;
        case 'S':
            bad |= parse_long(optarg, 0, LONG_MAX, &v);
            o->seed = (unsigned long long)v;
            break;
        case 'h': usage(stdout); exit(0);
        default: bad = -1;
        }
        if (bad) {
            fprintf(stderr, "workload: bad argument%s%s (try --help)\n",
                    optarg ? ": " : "", optarg ? optarg : "");
            return -1;
        }
    }
    if (optind < argc || !o->history || !o->n_clients) {
        fprintf(stderr, "workload: --history and at least one --client are "
                        "required (try --help)\n");
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------ main */

static int workload_init(struct workload *w)
{
    w->n_procs = (size_t)w->opt.concurrency > w->opt.n_clients
                 ? (size_t)w->opt.concurrency : w->opt.n_clients;
    w->rng = w->opt.seed;
    if (!(w->history = fopen(w->opt.history, "w"))) {
        fprintf(stderr, "workload: %s: %s\n", w->opt.history, strerror(errno));
        return -1;
    }
    setvbuf(w->history, NULL, _IOLBF, 0);   /* a killed run keeps its lines */
    if (!(w->multi = curl_multi_init()) ||
        !(w->procs = calloc(w->n_procs, sizeof(*w->procs))))
        return -1;
    for (size_t i = 0; i < w->n_procs; i++) {
        struct proc *p = &w->procs[i];
        p->id = (int)i;
        p->headers = curl_slist_append(NULL, "Content-Type: application/json");
        if (!(p->easy = curl_easy_init()) || !p->headers)
            return -1;
    }
    return 0;
}

static void workload_free(struct workload *w)
{
    for (size_t i = 0; w->procs && i < w->n_procs; i++) {
        curl_easy_cleanup(w->procs[i].easy);
        curl_slist_free_all(w->procs[i].headers);
        free(w->procs[i].resp);
    }
    free(w->procs);
    if (w->multi)
        curl_multi_cleanup(w->multi);
    if (w->history)
        fclose(w->history);
}

int main(int argc, char **argv)
{
    struct workload w = { 0 };
    bool settled = true;
    int rc = 2;

    if (parse_args(argc, argv, &w.opt) < 0)
        return 2;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return 2;
    if (workload_init(&w) < 0)
        goto out;
    w.deadline = now_ns() + w.opt.time_s * INT64_C(1000000000);
    if (run_phase(&w, next_random) < 0)
        goto out;
    for (size_t i = 0; i < w.n_procs; i++)
        w.procs[i].done = w.procs[i].settled = false;
    w.deadline = now_ns() + w.opt.settle_s * INT64_C(1000000000);
    if (run_phase(&w, next_settle) < 0)
        goto out;
    for (size_t i = 0; i < w.opt.n_clients; i++)
        settled &= w.procs[i].settled;
    printf("{\"ops\":%lld,\"writes_ok\":%" PRIu64 ",\"writes_failed\":%" PRIu64
           ",\"writes_unknown\":%" PRIu64 ",\"reads_ok\":%" PRIu64
           ",\"max_slot\":%" PRIu64 ",\"settled\":%s}\n",
           w.ops, w.writes_ok, w.writes_failed, w.writes_unknown, w.reads_ok,
           w.max_slot, settled ? "true" : "false");
    rc = 0;
out:
    if (rc)
        fprintf(stderr, "workload: stopped by an error\n");
    workload_free(&w);
    curl_global_cleanup();
    return rc;
}
