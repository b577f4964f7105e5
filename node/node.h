/* node.h -- what a role of paxosd is given: the node it runs in (its
 * settings, loop, network, gossip view and metrics) and the hooks it
 * plugs in through.
 *
 * A role is a struct role_ops: a route table, a start that builds its
 * state, a tick every NODE_TICK_MS, a flush once per loop turn (batched
 * work), its fields of /status and /metrics, and a stop. Everything runs
 * on the loop's thread, so role state needs no locks. */
#ifndef PAXOS_NODE_H
#define PAXOS_NODE_H

#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "loop.h"
#include "net/peer.h"

#define NODE_TICK_MS 10

struct node;

struct role_ops {
    const struct route *routes;     /* handlers get the node as ud */
    size_t n_routes;
    int (*start)(struct node *n);
    void (*tick)(struct node *n, int64_t now);
    void (*flush)(struct node *n);
    void (*status)(struct node *n, struct json_object *o);
    void (*metrics)(struct node *n, FILE *out);     /* see metrics.h */
    void (*stop)(struct node *n);
};

extern const struct role_ops proposer_role, acceptor_role, learner_role,
    client_role;

struct node {
    const struct config *cfg;
    const struct node_info *self;
    struct loop *loop;
    struct peer *peer;          /* routes, requests, replies */
    const struct role_ops *ops;
    void *role;                 /* the role's own state */
    struct gossip *gossip;      /* membership, for every role */
    struct metrics *metrics;    /* figures for /metrics */
    int64_t started_at;
    uint64_t tick_timer;
};

/* Runs the node cfg describes until SIGINT or SIGTERM. Returns 0, or 1
 * when it could not start. */
int node_run(const struct config *cfg);

/* Prints every role's routes, with who may call each ("paxosd --routes"). */
void node_print_routes(FILE *out);

#endif
