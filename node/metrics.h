/* metrics.h -- GET /metrics in the Prometheus text format: the node's
 * identity, what its role counts, its gossip view, and every route's
 * request count by status and latency histogram. */
#ifndef PAXOS_METRICS_H
#define PAXOS_METRICS_H

#include <stdio.h>

struct node;
struct metrics;

struct metrics *metrics_new(void);
void metrics_free(struct metrics *m);

/* An httpd_done_fn: counts one answered request (ud: the metrics). */
void metrics_observe(void *ud, const char *route, unsigned status,
                     double seconds);

/* One sample with its HELP and TYPE lines ("gauge" or "counter"); labels
 * may be NULL or a Prometheus label list such as "state=\"alive\"". */
void metrics_sample(FILE *out, const char *type, const char *name,
                    const char *help, const char *labels, double value);

/* Registers GET /metrics on the node. */
int metrics_start(struct node *n);

#endif
