/* gossip_msg.h -- the JSON form of gossip messages (POST /gossip).
 *
 *   {"type": "ping" | "ping-req" | "gossip" | "sync" | "ack" | "nack",
 *    "from": MEMBER,                 the sender's own record
 *    "probe": N,                     ping, ping-req and their answers
 *    "target": ID,                   ping-req: the member to probe
 *    "leader": {"id": N, "ballot": {"round": R, "node": N}},  optional
 *    "members": [MEMBER, ...]}       updates; for sync, everyone
 *
 *   MEMBER = {"id","name","role","host","port","state","incarnation"}
 *
 * A ping, gossip or ping-req is answered with an ack (or, for a ping-req
 * whose target did not answer, a nack); a sync with a sync. */
#ifndef PAXOS_GOSSIP_MSG_H
#define PAXOS_GOSSIP_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "core/membership.h"

enum gossip_type {
    GOSSIP_PING, GOSSIP_PING_REQ, GOSSIP_GOSSIP, GOSSIP_SYNC, GOSSIP_ACK,
    GOSSIP_NACK,
};

#define GOSSIP_MAX_MEMBERS MEMBERSHIP_MAX_MEMBERS

struct gossip_msg {
    enum gossip_type type;
    struct member_update from;
    uint64_t probe;
    uint32_t target;
    uint32_t leader;            /* 0: no hint */
    struct ballot leader_ballot;
    struct member_update *members;
    size_t n_members;
};

/* A malloc'd JSON text, or NULL when out of memory. */
char *gossip_encode(const struct gossip_msg *g);
/* Strict: returns 0, or -1 with the reason in err. g->members is
 * malloc'd: gossip_msg_free() releases it. */
int gossip_decode(const char *text, size_t len, struct gossip_msg *g,
                  char *err, size_t errlen);
void gossip_msg_free(struct gossip_msg *g);

#endif
