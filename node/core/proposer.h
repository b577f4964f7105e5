/* proposer.h -- the proposer's Multi-Paxos rules, with no I/O.
 *
 * Events go in (a tick, a submitted write, an acceptor's answer, another
 * leader's heartbeat) and come out as state changes plus a list of
 * messages to send and requests to answer (the outbox), which the caller
 * drains after every call.
 *
 * A follower that hears no heartbeat for a randomized election timeout
 * becomes a candidate: it picks a ballot above every ballot it has seen
 * and runs Phase 1 for every slot past its commit index. With promises
 * from a quorum of the voters in force there it leads: each slot reported
 * accepted is proposed again with its highest-ballot value, gaps with a
 * no-op, and new writes take the slots after them. Writes are batched
 * (many slots per ACCEPT) and pipelined (many ACCEPTs in flight). A write
 * is answered only when a quorum accepted its slot, and chosen slots are
 * announced to the learners once per loop turn. A higher ballot seen
 * anywhere makes a leader step down and fail what it had not finished.
 *
 * The voters are configurations chosen in the log (core/voters.h): the
 * one chosen at slot s governs the slots from s + VOTERS_ALPHA on. A
 * leader proposes slot t only once every slot up to t - VOTERS_ALPHA is
 * chosen, so it knows exactly which voters decide t; quorums always come
 * from them, and a vote counts only from a voter under its member
 * identity. Before proposing a slot, a leader has the promises of a
 * quorum of the voters that decide it (and has taken what they
 * reported): a candidate those of the voters in force after the commit
 * index it starts from, a leader those of each later configuration
 * before its first slot (nothing at or after that slot is proposed
 * meanwhile). A change a client asks for is proposed as a configuration
 * value; the leader then fills the VOTERS_ALPHA slots after it with
 * no-ops when writes do not, so that it is in force at once.
 * docs/protocol.md says why this is safe. */
#ifndef PAXOS_PROPOSER_H
#define PAXOS_PROPOSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ballot.h"
#include "core/idmap.h"
#include "core/msg.h"
#include "core/voters.h"

enum proposer_state { PROPOSER_FOLLOWER, PROPOSER_CANDIDATE, PROPOSER_LEADER };

enum proposer_out_kind {
    PROPOSER_SEND_PREPARE,      /* to acceptor `to`: ballot, first */
    PROPOSER_SEND_ACCEPT,       /* to voters: slots [first, first+count) */
    PROPOSER_SEND_CONFIRM,      /* to voters: empty ACCEPT, round */
    PROPOSER_SEND_HEARTBEAT,    /* to every other proposer */
    PROPOSER_SEND_CHOSEN,       /* to every learner: slots [first,
                                   first+count) are chosen */
    PROPOSER_REPLY_CHOSEN,      /* token's write is chosen in slot */
    PROPOSER_REPLY_READ,        /* token's read may return slots <= slot */
    PROPOSER_REPLY_FAILED,      /* token failed: reason; maybe_chosen when
                                   its slot was proposed and could still be
                                   chosen by a later leader */
    PROPOSER_REPLY_CHANGED,     /* token's configuration change is in
                                   force (chain_at(&p->chain, commit+1)),
                                   chosen at slot */
};

struct proposer_out {
    enum proposer_out_kind kind;
    const struct node_info *to; /* SEND_PREPARE: borrowed until the outbox
                                   is cleared */
    const struct voters *voters;    /* SEND_ACCEPT, SEND_CONFIRM: the ones
                                   that decide these slots (borrowed) */
    struct ballot ballot;
    uint64_t first, count;      /* SEND_PREPARE, SEND_ACCEPT, SEND_CHOSEN */
    uint64_t round;             /* SEND_CONFIRM */
    uint64_t slot;              /* REPLY_CHOSEN, REPLY_READ */
    void *token;                /* REPLY_* */
    const struct pvalue *value; /* REPLY_CHOSEN: borrowed until the outbox
                                   is cleared */
    const char *reason;         /* REPLY_FAILED, a static string */
    bool maybe_chosen;          /* REPLY_FAILED */
};

struct proposer_waiter {
    void *token;
    struct proposer_waiter *next;
};

struct proposer_slot {
    struct pvalue value;
    struct ballot adopted;      /* Phase 1: ballot of the value reported */
    uint32_t acks;              /* indexes of the voters that decide it */
    bool chosen;
    struct proposer_waiter *waiters;
};

struct proposer_pending {      /* a submitted write without a slot yet */
    struct pvalue value;
    void *token;
    int64_t since;
};

struct proposer_read {
    void *token;
    uint64_t index;
    uint64_t round;             /* confirm round it waits for, 0 = next */
};

#define PROPOSER_MAX_BATCHES 64

struct proposer_settings {
    uint32_t id;
    const struct node_info *seeds;  /* the acceptors of SEED_NODES: who is
                                       asked first (copied) */
    size_t n_seeds;
    int heartbeat_ms;
    int election_timeout_ms;    /* randomized in [t, 2t) */
    int rank;                   /* among proposers by id, from 0: the
                                   lowest id stands first at start-up */
    size_t max_batch;           /* slots per ACCEPT */
    size_t max_batch_bytes;     /* value bytes per ACCEPT (one value always
                                   fits: JSON escaping may grow it 6x) */
    size_t max_in_flight;       /* slots proposed and not yet chosen */
    size_t max_batches;         /* ACCEPTs of new slots not yet all chosen
                                   (at most PROPOSER_MAX_BATCHES): fewer
                                   make bigger batches under load */
    size_t max_pending;         /* writes waiting for a slot */
    int pending_timeout_ms;     /* how long one may wait */
    int64_t remember_ids_ms;    /* how long a write's identity is kept */
};

/* An acceptor that promised this proposer's ballot, under its identity. */
struct proposer_promiser {
    uint32_t id;
    char member[MEMBER_ID_LEN + 1];
};

/* A change of the voters a client asked for (token NULL: none). */
struct proposer_change {
    void *token;
    struct voters target;
    uint64_t slot;              /* its slot, once given one */
};

struct proposer {
    struct proposer_settings set;
    struct node_info seeds[VOTERS_MAX];
    uint64_t rng;

    enum proposer_state state;
    struct ballot ballot;       /* this proposer's, while candidate/leader */
    struct ballot highest;      /* highest ballot seen anywhere */
    uint32_t leader;            /* who leads, as far as known; 0: nobody */
    int64_t election_due;       /* follower/candidate: when to (re)run */
    int64_t heartbeat_due;      /* leader */
    int64_t progress_at;        /* leader: last time the commit advanced */
    int64_t quorum_at;          /* leader: last time a quorum answered */

    uint64_t commit;            /* every slot <= commit is chosen */
    char cluster[CLUSTER_ID_LEN + 1];   /* as the acceptors say ("": not
                                           heard yet) */
    struct voters_chain chain;  /* the configurations after commit (none:
                                   not known yet, nothing counts) */
    uint64_t next_slot;         /* leader: the next free slot */
    uint64_t sent_upto;         /* leader: slots below it were sent */
    uint64_t batch_ends[PROPOSER_MAX_BATCHES];  /* leader: the end slot of
                                   each batch in flight, oldest first */
    size_t n_batches;
    uint64_t announced;         /* leader: chosen slots up to it were
                                   announced to the learners */
    struct proposer_slot *log;  /* the window [log_base, log_base+log_cap):
                                   slots below it are chosen and forgotten */
    uint64_t log_base, log_cap;
    struct idmap_aging ids;     /* (client, seq) -> slot, this term */

    /* Phase 1: who promised this ballot, and who was asked. */
    struct proposer_promiser promisers[2 * VOTERS_MAX];
    size_t n_promisers;
    uint32_t asked[3 * VOTERS_MAX];
    size_t n_asked;
    uint64_t phase1_from, phase1_max;
    uint64_t phase1_commit;     /* highest commit index a promise reported */
    struct voters_chain phase1_chain;   /* the configurations after it */
    /* Leader: slots from held_from on are decided by voters a quorum of
     * which has not promised yet: nothing there is proposed (UINT64_MAX:
     * none); since when the next slot waits for them. */
    uint64_t held_from;
    int64_t held_since;
    struct proposer_change change;
    uint64_t trimmed;           /* values of slots <= trimmed are freed */

    struct proposer_pending *pending;
    size_t n_pending, cap_pending;

    struct proposer_read *reads;
    size_t n_reads, cap_reads;
    uint64_t confirm_round;     /* the round in flight, 0 = none */
    uint32_t confirm_acks;      /* indexes of the voters in force */
    int64_t confirm_sent_at;
    uint64_t rounds_started;

    struct proposer_out *out;
    size_t n_out, cap_out;

    /* counters for /status */
    uint64_t elections, chosen_total, noops_total, retransmits;
};

int proposer_init(struct proposer *p, const struct proposer_settings *set,
                  int64_t now);
/* Frees everything; requests still waiting are not answered. */
void proposer_free(struct proposer *p);

/* Timers: elections, heartbeats, retransmits, confirm retries. */
void proposer_tick(struct proposer *p, int64_t now);
/* Turns waiting writes and reads into messages; call once per loop turn
 * so that everything that arrived in one turn shares an ACCEPT. */
void proposer_flush(struct proposer *p, int64_t now);

enum proposer_submit_result {
    PROPOSER_QUEUED,            /* an answer will come through the outbox */
    PROPOSER_NOT_LEADER,        /* forward to p->leader, or fail */
    PROPOSER_BUSY,              /* too many writes waiting */
    PROPOSER_NO_MEMORY,
};
/* A write. v is copied. A write whose (client, seq) this leader already
 * holds is not proposed again: it is answered with the same slot. A write
 * that finds no free slot within pending_timeout_ms fails. */
enum proposer_submit_result proposer_submit(struct proposer *p,
                                            const struct pvalue *v,
                                            void *token, int64_t now);
/* A linearizable read: answered with the slot up to which a learner's
 * log must be applied, once a quorum confirms this leader still leads. */
enum proposer_submit_result proposer_read(struct proposer *p, void *token);

/* Answers from acceptor node `from`, under member identity member, to
 * what this proposer sent with ballot sent. ok=false carries the
 * acceptor's promised ballot in promised. A PROMISE lists the slots the
 * acceptor accepted above its commit index, which it reports too, with
 * the configurations after it. */
void proposer_on_promise(struct proposer *p, uint32_t from,
                         struct ballot sent, const struct msg *promise,
                         int64_t now);
void proposer_on_accepted(struct proposer *p, uint32_t from,
                          const char *member, struct ballot sent, bool ok,
                          struct ballot promised, uint64_t first,
                          uint64_t count, int64_t now);
void proposer_on_confirm(struct proposer *p, uint32_t from,
                         const char *member, struct ballot sent, bool ok,
                         struct ballot promised, uint64_t round, int64_t now);
/* A leader's heartbeat, from another proposer: its commit index and the
 * configurations after it. */
void proposer_on_heartbeat(struct proposer *p, uint32_t from,
                           struct ballot b, uint64_t commit,
                           const struct voters_chain *chain, int64_t now);

enum proposer_change_result {
    PROPOSER_CHANGE_QUEUED,     /* answered later: REPLY_CHANGED or FAILED */
    PROPOSER_CHANGE_NOT_LEADER,
    PROPOSER_CHANGE_BUSY,       /* another change is under way */
    PROPOSER_CHANGE_INVALID,    /* the reason is in err */
};
/* A change of the voters (see voters_change): chosen in the log as a
 * configuration value at the next free slot, answered through token (not
 * NULL) once in force. */
enum proposer_change_result proposer_change(struct proposer *p,
                                            enum voters_change change,
                                            uint32_t old,
                                            const struct voter *who,
                                            void *token, char *err,
                                            size_t errlen);

/* A slot in the window (values for encoding an ACCEPT, /status); NULL
 * outside it. */
const struct proposer_slot *proposer_get(const struct proposer *p,
                                         uint64_t slot);
void proposer_out_clear(struct proposer *p);

#endif
