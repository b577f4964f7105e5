/* cluster.h -- the shape of a cluster every part of the daemon shares:
 * the four roles, a node's identity and address, and the limits on how
 * many nodes and acceptors there can be. */
#ifndef PAXOS_CLUSTER_H
#define PAXOS_CLUSTER_H

#include <stdint.h>

enum role { ROLE_PROPOSER, ROLE_ACCEPTOR, ROLE_LEARNER, ROLE_CLIENT };
#define ROLE_COUNT (ROLE_CLIENT + 1)

#define CLUSTER_MAX_NODES 256
#define CLUSTER_MAX_ACCEPTORS 31    /* quorum masks fit in 32 bits */
#define CLUSTER_NAME_MAX 32
#define CLUSTER_HOST_MAX 256

struct node_info {
    uint32_t id;
    enum role role;
    char name[CLUSTER_NAME_MAX];
    char host[CLUSTER_HOST_MAX];
    uint16_t port;
};

/* "proposer", "acceptor", "learner", "client" ("unknown" out of range). */
const char *role_name(enum role r);
/* Parses a role's name, in any case. Returns 0, or -1 when unknown. */
int role_parse(const char *s, enum role *out);

#endif
