/* acceptor.h -- the acceptor's rules, with no I/O.
 *
 * An acceptor promises never to accept a ballot lower than the highest
 * it has promised, and accepts (ballot, value) for a slot when the ballot
 * is at least its promise. The caller makes every state change durable
 * (see wal.h) before it lets anyone see the answer. */
#ifndef PAXOS_ACCEPTOR_H
#define PAXOS_ACCEPTOR_H

#include <stdbool.h>
#include <stdint.h>

#include "ballot.h"
#include "core/msg.h"

/* How far past its highest accepted slot an acceptor accepts a slot: a
 * bound on the memory one message can make it reserve. */
#define ACCEPTOR_MAX_SLOT_JUMP (1u << 20)

struct acceptor_slot {
    struct ballot ballot;       /* zero: nothing accepted here */
    struct pvalue value;
};

struct acceptor {
    struct ballot promised;
    uint64_t commit;            /* highest commit index a leader sent */
    uint64_t trimmed;           /* slots <= trimmed are forgotten */
    struct acceptor_slot *slots;    /* the window [base, base + cap) */
    uint64_t base, cap;
    uint64_t max_slot;          /* highest slot with an accepted value */
    uint64_t accepted_count;    /* accept operations, for /status */
};

enum acceptor_verdict {
    ACCEPTOR_OK,                /* promised / accepted */
    ACCEPTOR_STALE,             /* ballot below the promise: a->promised */
    ACCEPTOR_BAD_SLOT,          /* slot 0 or too far ahead: nothing changed */
    ACCEPTOR_NO_MEMORY,
};

void acceptor_init(struct acceptor *a);
void acceptor_free(struct acceptor *a);

/* PREPARE(b): promised only when b is above the promise. A ballot equal
 * to the promise is refused too: a proposer restarted without memory may
 * pick a ballot it used before, and must not lead with it again, since
 * values may already be accepted under it. Any quorum it asks includes an
 * acceptor that promised that ballot, so it has to pick a higher one.
 * On OK the promise changed and must be made durable. */
enum acceptor_verdict acceptor_prepare(struct acceptor *a, struct ballot b);

/* ACCEPT(b, entries). All entries are checked before any is applied, so a
 * rejected message changes nothing. An empty list only checks the ballot
 * (a leader confirming it still leads). */
enum acceptor_verdict acceptor_accept(struct acceptor *a, struct ballot b,
                                      const struct msg_entry *entries,
                                      size_t n, uint64_t commit);

/* The accepted entry for slot, or NULL when nothing was accepted there
 * or the slot was trimmed. */
const struct acceptor_slot *acceptor_get(const struct acceptor *a,
                                         uint64_t slot);

/* Forgets the slots up to upto, once every learner that needs them can
 * have them from another learner. Only chosen slots go: upto is capped
 * at the commit index. A new leader never asks for them (it starts past
 * the commit index a promise reports), and an ACCEPT for one is answered
 * without storing it again. Returns the slots now trimmed. */
uint64_t acceptor_trim(struct acceptor *a, uint64_t upto);
/* A trim read back from the write-ahead file: the slots up to upto were
 * chosen (so the commit index is at least upto) and forgotten. */
void acceptor_restore_trim(struct acceptor *a, uint64_t upto);

#endif
