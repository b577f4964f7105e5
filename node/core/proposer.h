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
 * from a quorum of the configured acceptors it leads: each slot reported
 * accepted is proposed again with its highest-ballot value, gaps with a
 * no-op, and new writes take the slots after them. Writes are batched
 * (many slots per ACCEPT) and pipelined (many ACCEPTs in flight). A write
 * is answered only when a quorum accepted its slot, and chosen slots are
 * announced to the learners once per loop turn. A higher ballot seen
 * anywhere makes a leader step down and fail what it had not finished. */
#ifndef PAXOS_PROPOSER_H
#define PAXOS_PROPOSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ballot.h"
#include "core/msg.h"
#include "core/idmap.h"

enum proposer_state { PROPOSER_FOLLOWER, PROPOSER_CANDIDATE, PROPOSER_LEADER };

enum proposer_out_kind {
    PROPOSER_SEND_PREPARE,      /* to every acceptor: ballot, first */
    PROPOSER_SEND_ACCEPT,       /* to every acceptor: slots [first, first+count) */
    PROPOSER_SEND_CONFIRM,      /* to every acceptor: empty ACCEPT, round */
    PROPOSER_SEND_HEARTBEAT,    /* to every other proposer */
    PROPOSER_SEND_CHOSEN,       /* to every learner: slots [first,
                                   first+count) are chosen */
    PROPOSER_REPLY_CHOSEN,      /* token's write is chosen in slot */
    PROPOSER_REPLY_READ,        /* token's read may return slots <= slot */
    PROPOSER_REPLY_FAILED,      /* token failed: reason; maybe_chosen when
                                   its slot was proposed and could still be
                                   chosen by a later leader */
};

struct proposer_out {
    enum proposer_out_kind kind;
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
    uint32_t acks;              /* acceptor indexes that accepted it */
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
    size_t n_acceptors;
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

struct proposer {
    struct proposer_settings set;
    size_t quorum;
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

    uint32_t promised;          /* Phase 1: acceptor indexes promised */
    uint64_t phase1_from, phase1_max;
    uint64_t phase1_commit;     /* highest commit index a promise reported */
    uint64_t trimmed;           /* values of slots <= trimmed are freed */

    struct proposer_pending *pending;
    size_t n_pending, cap_pending;

    struct proposer_read *reads;
    size_t n_reads, cap_reads;
    uint64_t confirm_round;     /* the round in flight, 0 = none */
    uint32_t confirm_acks;
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

/* Answers from acceptor number acceptor (its index in the acceptor set)
 * to what this proposer sent with ballot sent. ok=false carries the
 * acceptor's promised ballot in promised. A PROMISE lists the slots the
 * acceptor accepted above its commit index, which it reports too. */
void proposer_on_promise(struct proposer *p, size_t acceptor,
                         struct ballot sent, const struct msg *promise,
                         int64_t now);
void proposer_on_accepted(struct proposer *p, size_t acceptor,
                          struct ballot sent, bool ok, struct ballot promised,
                          uint64_t first, uint64_t count, int64_t now);
void proposer_on_confirm(struct proposer *p, size_t acceptor,
                         struct ballot sent, bool ok, struct ballot promised,
                         uint64_t round, int64_t now);
/* A leader's heartbeat, from another proposer. */
void proposer_on_heartbeat(struct proposer *p, uint32_t from,
                           struct ballot b, uint64_t commit, int64_t now);

/* A slot in the window (values for encoding an ACCEPT, /status); NULL
 * outside it. */
const struct proposer_slot *proposer_get(const struct proposer *p,
                                         uint64_t slot);
void proposer_out_clear(struct proposer *p);

#endif
