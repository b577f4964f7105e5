/* metrics.h -- GET /metrics in the Prometheus text format: the figures
 * each part of the node writes through the hook it registers (identity,
 * role, gossip), then every route's request count by status and its
 * latency histogram. */
#ifndef PAXOS_METRICS_H
#define PAXOS_METRICS_H

#include <stdio.h>

struct metrics;
struct http_request;

/* Writes a part's samples (see metrics_sample). */
typedef void (*metrics_fn)(void *ud, FILE *out);

struct metrics *metrics_new(void);
void metrics_free(struct metrics *m);

/* Adds a hook; /metrics calls them in the order they were added. Returns
 * 0, or -1 when out of memory. */
int metrics_add(struct metrics *m, metrics_fn fn, void *ud);

/* An httpd_done_fn: counts one answered request (ud: the metrics). */
void metrics_observe(void *ud, const char *route, unsigned status,
                     double seconds);

/* One sample with its HELP and TYPE lines ("gauge" or "counter"); labels
 * may be NULL or a Prometheus label list such as "state=\"alive\"". */
void metrics_sample(FILE *out, const char *type, const char *name,
                    const char *help, const char *labels, double value);

/* Answers a GET /metrics with everything. */
void metrics_reply(struct metrics *m, struct http_request *req);

#endif
