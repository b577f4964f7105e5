/* config.h -- a node's settings, from flags and the environment.
 *
 * Every setting has a flag and an environment variable (the names the
 * Kubernetes manifests use); a flag wins over the environment. The cluster
 * comes from SEED_NODES, "id:role:host:port,..."; each node's name is its
 * role and its rank among the nodes of that role ordered by id (ids 1..3
 * as proposers are proposer1..proposer3). */
#ifndef PAXOS_CONFIG_H
#define PAXOS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cluster.h"

#define CONFIG_SECRET_MAX 256

struct config {
    uint32_t id;
    enum role role;
    uint16_t port;
    char name[CLUSTER_NAME_MAX];
    char bind[CLUSTER_HOST_MAX];     /* listen address, "" = all */

    struct node_info nodes[CLUSTER_MAX_NODES];  /* the cluster, ordered by id */
    size_t n_nodes;
    uint32_t acceptors[CLUSTER_MAX_ACCEPTORS];  /* the founding acceptors */
    size_t n_acceptors;

    char data_dir[4096];
    bool fsync;
    uint64_t wal_compact_bytes;     /* growth of acceptor.wal that compacts it */
    int heartbeat_ms;
    int election_timeout_ms;        /* randomized in [t, 2t) */
    int request_timeout_ms;
    int log_level;                  /* enum log_level */
    size_t max_body;
    size_t max_value;
    size_t max_batch;               /* values per accept message */

    /* gossip membership (see node/membership.h) */
    int probe_interval_ms;
    int probe_timeout_ms;
    int indirect_checks;
    int gossip_interval_ms;
    int gossip_nodes;
    int suspicion_mult;
    int retransmit_mult;
    int push_pull_interval_ms;

    /* trust boundaries */
    char secret[CONFIG_SECRET_MAX];         /* "" = peer routes open */
    char client_token[CONFIG_SECRET_MAX];   /* "" = user routes open */
    unsigned max_connections;
    unsigned idle_timeout_s;
    uint16_t peer_port_offset;      /* peer routes on port + it; 0: same port */
};


/* Fills cfg from argv and environ. On --help or --version prints to
 * stdout and returns 1; on a bad or missing value prints one line to
 * stderr and returns 2; on --routes returns 3 (the caller lists them);
 * returns 0 when cfg is ready. */
int config_load(struct config *cfg, int argc, char **argv);

/* Parses a SEED_NODES list into nodes (sorted by id, names assigned).
 * Returns the count, or -1 with a message in err. */
int config_parse_seeds(const char *s, struct node_info *nodes, size_t max,
                       char *err, size_t errlen);

const struct node_info *config_node(const struct config *cfg, uint32_t id);
/* The node's name for an id ("proposer1"), or "" when unknown. */
const char *config_name(const struct config *cfg, uint32_t id);
/* Index of id in the acceptor set, or -1. */
int config_acceptor_index(const struct config *cfg, uint32_t id);
size_t config_quorum(const struct config *cfg);

#endif
