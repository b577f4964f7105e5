/* membership.h -- SWIM-style gossip membership, with no I/O.
 *
 * Each node keeps a list of members (id, name, role, address, state,
 * incarnation). Every probe period it probes one member (round-robin over
 * a shuffled order); a member that does not answer within the probe
 * timeout is probed indirectly through k others; one that stays silent
 * becomes suspect, and dead once a suspicion timeout (growing with
 * log N) passes. A member refutes suspicion of itself by raising its
 * incarnation. Changes ride on every message a limited number of times
 * (mult x log N), gossip goes to a few members every gossip period, and a
 * periodic full exchange (push-pull) repairs whatever was missed.
 *
 * Precedence for one member: a higher incarnation wins; at the same
 * incarnation dead beats suspect beats alive. A dead member comes back
 * only with a higher incarnation.
 *
 * Membership is for discovery and display, with a leader hint (id and
 * ballot, highest ballot wins) spread along. It never decides a quorum. */
#ifndef PAXOS_MEMBERSHIP_H
#define PAXOS_MEMBERSHIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ballot.h"
#include "core/cluster.h"

enum member_state { MEMBER_ALIVE, MEMBER_SUSPECT, MEMBER_DEAD };

#define MEMBERSHIP_MAX_MEMBERS 1024
#define MEMBERSHIP_MAX_INDIRECT 8

struct member {
    struct node_info info;
    enum member_state state;
    uint64_t incarnation;
    int64_t last_heard;         /* when it last answered us directly */
    int64_t state_since;        /* when state last changed */
    int transmits_left;         /* times its state still rides on messages */
};

struct membership_settings {
    int probe_interval_ms;      /* 1000 */
    int probe_timeout_ms;       /* 500 */
    int indirect_checks;        /* 3 */
    int gossip_interval_ms;     /* 200 */
    int gossip_nodes;           /* 3 */
    int suspicion_mult;         /* 4 */
    int retransmit_mult;        /* 4 */
    int push_pull_interval_ms;  /* 30000 */
};

/* What the membership asks the caller to send. */
enum membership_out_kind {
    MEMBERSHIP_PING,            /* probe target directly */
    MEMBERSHIP_PING_REQ,        /* ask via to probe target */
    MEMBERSHIP_GOSSIP,          /* send pending updates to target */
    MEMBERSHIP_PUSH_PULL,       /* full exchange with target */
};

struct membership_out {
    enum membership_out_kind kind;
    uint32_t to;                /* member id to send to */
    uint32_t target;            /* PING_REQ: the member to probe */
    uint64_t probe;             /* PING, PING_REQ: probe number */
};

/* One member's state as carried in a message. */
struct member_update {
    struct node_info info;
    enum member_state state;
    uint64_t incarnation;
};

struct membership {
    struct membership_settings set;
    uint32_t self;
    uint64_t rng;
    struct member *members;     /* members[0] is this node */
    size_t n_members;

    uint32_t *order;            /* probe order: shuffled member ids */
    size_t n_order, next_probe;
    int64_t probe_due, gossip_due, push_pull_due;

    uint32_t probing;           /* member being probed, 0: none */
    uint64_t probe_seq;
    int64_t probe_sent_at;
    bool indirect_sent;

    uint32_t leader;            /* leader hint */
    struct ballot leader_ballot;

    struct membership_out *out;
    size_t n_out, cap_out;
    uint64_t refutations;
};

/* self is this node (incarnation: what it starts with, e.g. the time, so
 * that a restarted node overrides what others remember of it); seeds are
 * the members it knows at start, taken as alive. */
int membership_init(struct membership *m, const struct membership_settings *set,
                    const struct node_info *self, uint64_t incarnation,
                    const struct node_info *seeds, size_t n_seeds,
                    int64_t now);
void membership_free(struct membership *m);

void membership_tick(struct membership *m, int64_t now);

/* A message from a member: its own record first (the sender), then the
 * updates it carried. Returns 0, or -1 when the sender claims this node's
 * id, is not alive, or contradicts what is known of its id (another
 * role), in which case nothing changes. */
int membership_check_sender(const struct membership *m,
                            const struct member_update *sender);
void membership_merge(struct membership *m, const struct member_update *u,
                      int64_t now);
/* The member answered us (any message or reply from it). */
void membership_heard(struct membership *m, uint32_t id, int64_t now);

/* Probe outcome: ack true when the member (or, indirectly, someone for
 * it) answered probe number probe. */
void membership_probe_result(struct membership *m, uint64_t probe, bool ack,
                             bool indirect, int64_t now);

/* Fills up to max updates to piggyback on an outgoing message, most
 * needed first, counting them as sent. Returns how many. */
size_t membership_take_updates(struct membership *m, struct member_update *u,
                               size_t max);
/* Every member's state, for a push-pull exchange. Returns how many. */
size_t membership_snapshot(const struct membership *m, struct member_update *u,
                           size_t max);
struct member_update membership_self(const struct membership *m);

/* The leader hint: kept when its ballot is the highest seen. */
void membership_leader(struct membership *m, uint32_t leader, struct ballot b);

const struct member *membership_find(const struct membership *m, uint32_t id);
const char *member_state_name(enum member_state s);
int member_state_parse(const char *s, enum member_state *out);
int64_t membership_suspicion_ms(const struct membership *m);
int membership_retransmits(const struct membership *m);
void membership_out_clear(struct membership *m);

#endif
