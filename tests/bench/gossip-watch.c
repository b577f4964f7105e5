/* gossip-watch.c -- times how long gossip takes to spread a fact: polls
 * GET /gossip/nodes of many paxosd nodes in parallel (libcurl multi, one
 * process for all of them) until every node reports it, and prints when
 * each one first did, relative to a given moment (a kill, a start).
 *
 * The fact is either one member in one state (--member ID --state S) or a
 * number of members alive (--alive N, to wait for a swarm to converge).
 * A node that reported it is not asked again.
 *
 *   gossip-watch --member 1005 --state dead --since-ms 1795775493304 \
 *       --timeout-s 60 17001 17002 17003 17004 17006 ...
 *
 * The last line is JSON: {"nodes":N,"seen":K,"first_ms":..,
 * "median_ms":..,"all_ms":..,"polls":..,"interval_ms":..}; all_ms is
 * null when some node had not reported the fact at the timeout. Exit
 * status 0 when every node reported it, 1 otherwise, 2 for bad usage. */
#include <curl/curl.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct node {
    unsigned port;
    CURL *easy;
    char *body;
    size_t len, cap;
    int64_t seen_ms;            /* since --since-ms; -1 while not seen */
};

struct watch {
    const char *host;
    int64_t member;             /* -1: count alive members instead */
    const char *state;
    int64_t alive;
    int64_t since_ms;           /* wall clock, ms since the epoch */
    int64_t interval_ms, timeout_s;
    bool verbose;
    struct node *nodes;
    size_t n_nodes;
};

static int64_t wall_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t collect(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct node *n = ud;
    size_t len = size * nmemb;

    if (n->len + len + 1 > n->cap) {
        size_t cap = n->cap ? n->cap : 16384;
        while (cap < n->len + len + 1)
            cap *= 2;
        char *grown = realloc(n->body, cap);
        if (!grown)
            return 0;
        n->body = grown;
        n->cap = cap;
    }
    memcpy(n->body + n->len, ptr, len);
    n->len += len;
    n->body[n->len] = '\0';
    return len;
}

/* True when the /gossip/nodes answer in body shows the fact. */
static bool shows_fact(const struct watch *w, const char *body)
{
    json_object *root = json_tokener_parse(body), *members, *counts, *v;
    bool yes = false;

    if (!root)
        return false;
    if (w->member < 0) {
        yes = json_object_object_get_ex(root, "member_counts", &counts) &&
              json_object_object_get_ex(counts, "alive", &v) &&
              json_object_get_int64(v) >= w->alive;
    } else if (json_object_object_get_ex(root, "members", &members)) {
        size_t n = json_object_array_length(members);
        for (size_t i = 0; i < n && !yes; i++) {
            json_object *m = json_object_array_get_idx(members, i), *id, *st;
            yes = json_object_object_get_ex(m, "id", &id) &&
                  json_object_get_int64(id) == w->member &&
                  json_object_object_get_ex(m, "state", &st) &&
                  strcmp(json_object_get_string(st), w->state) == 0;
        }
    }
    json_object_put(root);
    return yes;
}

/* Asks every node that has not shown the fact yet, all at once; returns
 * how many still have not. */
static size_t poll_round(struct watch *w, CURLM *multi)
{
    char url[128];
    int running;
    size_t left = 0;
    CURLMsg *msg;
    int queued;

    for (size_t i = 0; i < w->n_nodes; i++) {
        struct node *n = &w->nodes[i];
        if (n->seen_ms >= 0)
            continue;
        snprintf(url, sizeof(url), "http://%s:%u/gossip/nodes", w->host, n->port);
        n->len = 0;
        curl_easy_setopt(n->easy, CURLOPT_URL, url);
        curl_multi_add_handle(multi, n->easy);
    }
    do {
        curl_multi_perform(multi, &running);
        while ((msg = curl_multi_info_read(multi, &queued))) {
            struct node *n;
            long status = 0;
            if (msg->msg != CURLMSG_DONE)
                continue;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&n);
            curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
            bool ok = msg->data.result == CURLE_OK && status == 200 && n->body;
            curl_multi_remove_handle(multi, msg->easy_handle);
            if (ok && shows_fact(w, n->body)) {
                n->seen_ms = wall_ms() - w->since_ms;
                if (w->verbose)
                    fprintf(stderr, "port %u: %" PRId64 " ms\n", n->port,
                            n->seen_ms);
            }
        }
        if (running)
            curl_multi_poll(multi, NULL, 0, 100, NULL);
    } while (running);
    for (size_t i = 0; i < w->n_nodes; i++)
        left += w->nodes[i].seen_ms < 0;
    return left;
}

static int compare_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return (x > y) - (x < y);
}

static void print_result(const struct watch *w, unsigned polls)
{
    int64_t *seen = calloc(w->n_nodes ? w->n_nodes : 1, sizeof(*seen));
    size_t k = 0;

    if (!seen) {
        perror("gossip-watch");
        return;
    }
    for (size_t i = 0; i < w->n_nodes; i++)
        if (w->nodes[i].seen_ms >= 0)
            seen[k++] = w->nodes[i].seen_ms;
    qsort(seen, k, sizeof(*seen), compare_i64);
    printf("{\"nodes\":%zu,\"seen\":%zu,", w->n_nodes, k);
    if (k)
        printf("\"first_ms\":%" PRId64 ",\"median_ms\":%" PRId64 ",",
               seen[0], seen[k / 2]);
    else
        printf("\"first_ms\":null,\"median_ms\":null,");
    if (k == w->n_nodes && k)
        printf("\"all_ms\":%" PRId64 ",", seen[k - 1]);
    else
        printf("\"all_ms\":null,");
    printf("\"polls\":%u,\"interval_ms\":%" PRId64 "}\n", polls, w->interval_ms);
    free(seen);
}

static void usage(FILE *out)
{
    fputs("Usage: gossip-watch (--member ID --state S | --alive N) [options] PORT...\n"
          "  --member ID        the member to look for in every node's list\n"
          "  --state S          alive, suspect or dead\n"
          "  --alive N          instead: wait until every node sees N members alive\n"
          "  --since-ms T       times are from T, wall clock ms since the epoch\n"
          "                     (default: when gossip-watch starts)\n"
          "  --host H           the nodes' address (default 127.0.0.1)\n"
          "  --interval-ms MS   time between polls (default 100)\n"
          "  --timeout-s S      give up after S seconds (default 60)\n"
          "  -v, --verbose      one line per node on stderr when it reports\n", out);
}

static bool parse_number(const char *s, int64_t min, int64_t max, int64_t *out)
{
    char *end;
    long long v = strtoll(s, &end, 10);

    if (!*s || *end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        { "member", required_argument, NULL, 'm' },
        { "state", required_argument, NULL, 's' },
        { "alive", required_argument, NULL, 'a' },
        { "since-ms", required_argument, NULL, 'S' },
        { "host", required_argument, NULL, 'H' },
        { "interval-ms", required_argument, NULL, 'i' },
        { "timeout-s", required_argument, NULL, 't' },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct watch w = { .host = "127.0.0.1", .member = -1, .alive = -1,
                       .since_ms = wall_ms(), .interval_ms = 100,
                       .timeout_s = 60 };
    int64_t port;
    int opt, rc = 1;
    unsigned polls = 0;
    CURLM *multi = NULL;

    while ((opt = getopt_long(argc, argv, "vh", options, NULL)) != -1) {
        bool ok = true;
        switch (opt) {
        case 'm': ok = parse_number(optarg, 1, INT32_MAX, &w.member); break;
        case 's': w.state = optarg; break;
        case 'a': ok = parse_number(optarg, 1, 100000, &w.alive); break;
        case 'S': ok = parse_number(optarg, 1, INT64_MAX, &w.since_ms); break;
        case 'H': w.host = optarg; break;
        case 'i': ok = parse_number(optarg, 1, 60000, &w.interval_ms); break;
        case 't': ok = parse_number(optarg, 1, 86400, &w.timeout_s); break;
        case 'v': w.verbose = true; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
        if (!ok) {
            fprintf(stderr, "gossip-watch: bad value '%s' (see --help)\n", optarg);
            return 2;
        }
    }
    if ((w.member < 0) == (w.alive < 0) || (w.member >= 0 && !w.state) ||
        optind == argc) {
        fprintf(stderr, "gossip-watch: give --member and --state, or --alive, "
                        "and the ports (see --help)\n");
        return 2;
    }
    w.n_nodes = (size_t)(argc - optind);
    w.nodes = calloc(w.n_nodes, sizeof(*w.nodes));
    if (!w.nodes)
        return 1;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    multi = curl_multi_init();
    if (!multi)
        goto out;
    for (size_t i = 0; i < w.n_nodes; i++) {
        struct node *n = &w.nodes[i];
        if (!parse_number(argv[optind + (int)i], 1, 65535, &port)) {
            fprintf(stderr, "gossip-watch: bad port '%s'\n", argv[optind + (int)i]);
            rc = 2;
            goto out;
        }
        n->port = (unsigned)port;
        n->seen_ms = -1;
        n->easy = curl_easy_init();
        if (!n->easy)
            goto out;
        curl_easy_setopt(n->easy, CURLOPT_WRITEFUNCTION, collect);
        curl_easy_setopt(n->easy, CURLOPT_WRITEDATA, n);
        curl_easy_setopt(n->easy, CURLOPT_PRIVATE, n);
        curl_easy_setopt(n->easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(n->easy, CURLOPT_TIMEOUT_MS, 1000L);
    }
    int64_t deadline = wall_ms() + w.timeout_s * 1000;
    for (;;) {
        int64_t round_start = wall_ms();
        polls++;
        if (poll_round(&w, multi) == 0) {
            rc = 0;
            break;
        }
        int64_t now = wall_ms();
        if (now >= deadline)
            break;
        int64_t pause = round_start + w.interval_ms - now;
        if (pause > 0)
            nanosleep(&(struct timespec){ .tv_sec = pause / 1000,
                                          .tv_nsec = pause % 1000 * 1000000 },
                      NULL);
    }
    print_result(&w, polls);
out:
    for (size_t i = 0; i < w.n_nodes; i++) {
        curl_easy_cleanup(w.nodes[i].easy);
        free(w.nodes[i].body);
    }
    free(w.nodes);
    if (multi)
        curl_multi_cleanup(multi);
    curl_global_cleanup();
    return rc;
}
