/* metrics.c -- the Prometheus text exposition of a node (see metrics.h).
 * Routes are a fixed set, so label values stay bounded: a request that
 * matched no route counts as route="other". */
#include "metrics.h"

#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "net/httpd.h"

#define METRICS_ROUTES 40
#define METRICS_CODES 8

static const double bucket_bounds[] = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
    2.5, 5, 10,
};
#define N_BUCKETS (sizeof bucket_bounds / sizeof bucket_bounds[0])

struct route_stats {
    const char *route;          /* the registered path: not copied */
    unsigned codes[METRICS_CODES];
    unsigned long long by_code[METRICS_CODES];
    unsigned long long buckets[N_BUCKETS];  /* not cumulative */
    unsigned long long count;
    double sum;
};

struct metrics_hook {
    metrics_fn fn;
    void *ud;
};

struct metrics {
    struct route_stats routes[METRICS_ROUTES];
    size_t n_routes;
    struct metrics_hook *hooks;
    size_t n_hooks, cap_hooks;
};

struct metrics *metrics_new(void)
{
    return calloc(1, sizeof(struct metrics));
}

void metrics_free(struct metrics *m)
{
    if (m)
        free(m->hooks);
    free(m);
}

int metrics_add(struct metrics *m, metrics_fn fn, void *ud)
{
    if (array_reserve(&m->hooks, &m->cap_hooks, m->n_hooks + 1) < 0)
        return -1;
    m->hooks[m->n_hooks++] = (struct metrics_hook){ fn, ud };
    return 0;
}

static struct route_stats *metrics_route(struct metrics *m, const char *route)
{
    const char *name = route ? route : "other";

    for (size_t i = 0; i < m->n_routes; i++)
        if (strcmp(m->routes[i].route, name) == 0)
            return &m->routes[i];
    if (m->n_routes == METRICS_ROUTES)
        return NULL;
    m->routes[m->n_routes].route = name;
    return &m->routes[m->n_routes++];
}

void metrics_observe(void *ud, const char *route, unsigned status,
                     double seconds)
{
    struct route_stats *r = metrics_route(ud, route);
    size_t b = 0, c = 0;

    if (!r)
        return;
    while (b < N_BUCKETS && seconds > bucket_bounds[b])
        b++;
    if (b < N_BUCKETS)
        r->buckets[b]++;
    r->count++;
    r->sum += seconds;
    while (c < METRICS_CODES && r->codes[c] && r->codes[c] != status)
        c++;
    if (c == METRICS_CODES)
        return;                 /* more distinct codes than kept */
    r->codes[c] = status;
    r->by_code[c]++;
}

void metrics_sample(FILE *out, const char *type, const char *name,
                    const char *help, const char *labels, double value)
{
    fprintf(out, "# HELP %s %s\n# TYPE %s %s\n%s%s%s%s %.15g\n", name, help,
            name, type, name, labels ? "{" : "", labels ? labels : "",
            labels ? "}" : "", value);
}

static void metrics_http(FILE *out, const struct metrics *m)
{
    fputs("# HELP paxos_http_requests_total Requests answered, by route and "
          "status code (4xx: rejected, by reason).\n"
          "# TYPE paxos_http_requests_total counter\n", out);
    for (size_t i = 0; i < m->n_routes; i++)
        for (size_t c = 0; c < METRICS_CODES && m->routes[i].codes[c]; c++)
            fprintf(out, "paxos_http_requests_total{route=\"%s\",code=\"%u\"} %llu\n",
                    m->routes[i].route, m->routes[i].codes[c],
                    m->routes[i].by_code[c]);
    fputs("# HELP paxos_http_request_duration_seconds Time to answer a "
          "request, by route.\n"
          "# TYPE paxos_http_request_duration_seconds histogram\n", out);
    for (size_t i = 0; i < m->n_routes; i++) {
        const struct route_stats *r = &m->routes[i];
        unsigned long long cumulative = 0;
        for (size_t b = 0; b < N_BUCKETS; b++) {
            cumulative += r->buckets[b];
            fprintf(out, "paxos_http_request_duration_seconds_bucket"
                         "{route=\"%s\",le=\"%g\"} %llu\n",
                    r->route, bucket_bounds[b], cumulative);
        }
        fprintf(out, "paxos_http_request_duration_seconds_bucket"
                     "{route=\"%s\",le=\"+Inf\"} %llu\n"
                     "paxos_http_request_duration_seconds_sum{route=\"%s\"} %.9f\n"
                     "paxos_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
                r->route, r->count, r->route, r->sum, r->route, r->count);
    }
}

void metrics_reply(struct metrics *m, struct http_request *req)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);

    if (!out) {
        httpd_reply_error(req, 500, "out of memory");
        return;
    }
    for (size_t i = 0; i < m->n_hooks; i++)
        m->hooks[i].fn(m->hooks[i].ud, out);
    metrics_http(out, m);
    if (fclose(out) != 0 || !text) {
        free(text);
        httpd_reply_error(req, 500, "out of memory");
        return;
    }
    httpd_reply_typed(req, 200, text, len, "text/plain; version=0.0.4");
}
