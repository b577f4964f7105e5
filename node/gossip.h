/* gossip.h -- gossip membership on a node's HTTP port: POST /gossip
 * carries the SWIM messages, GET /gossip/nodes shows the member list. */
#ifndef PAXOS_GOSSIP_H
#define PAXOS_GOSSIP_H

#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>

#include "ballot.h"

struct node;

int gossip_start(struct node *n);
void gossip_tick(struct node *n, int64_t now);
void gossip_stop(struct node *n);
/* Adds "members" (as this node sees them) and "leader_hint" to o. */
void gossip_status(struct node *n, struct json_object *o);
/* paxos_members{state=...} and the leader hint, for /metrics. */
void gossip_metrics(struct node *n, FILE *out);
/* A leader this node knows of first hand (a proposer's own view). */
void gossip_leader(struct node *n, uint32_t leader, struct ballot b);

#endif
