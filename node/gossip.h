/* gossip.h -- gossip membership on a node's HTTP port: POST /gossip
 * carries the SWIM messages, GET /gossip/nodes shows the member list. */
#ifndef PAXOS_GOSSIP_H
#define PAXOS_GOSSIP_H

#include <json-c/json.h>
#include <stdint.h>

#include "ballot.h"
#include "config.h"
#include "net/peer.h"

struct gossip;
struct metrics;

/* Its routes (handlers get the gossip as ud), for listings. */
extern const struct route gossip_routes[];
extern const size_t gossip_n_routes;

/* Starts membership from the cluster in cfg, registers the routes on peer
 * and the samples on metrics. Returns NULL when out of memory. */
struct gossip *gossip_start(const struct config *cfg,
                            const struct node_info *self, struct peer *peer,
                            struct metrics *metrics);
void gossip_tick(struct gossip *gs, int64_t now);
void gossip_stop(struct gossip *gs);
/* Adds "members" (as this node sees them), "member_counts" and
 * "leader_hint" to o. */
void gossip_status(struct gossip *gs, struct json_object *o);
/* The nodes of a role this node knows of (itself too when of that role),
 * at most max of them, into out. Returns how many. */
size_t gossip_nodes(const struct gossip *gs, enum role role,
                    struct node_info *out, size_t max);
/* A leader this node knows of first hand (a proposer's own view). */
void gossip_leader(struct gossip *gs, uint32_t leader, struct ballot b);

#endif
