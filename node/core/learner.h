/* learner.h -- the learner's rules, with no I/O.
 *
 * The leader announces the slots it got chosen. Chosen slots are applied
 * in slot order; a no-op or a write already applied under another slot
 * (a retried write chosen twice) is skipped, so the applied log holds
 * every write exactly once. A configuration value (core/voters.h) is
 * applied too: its voters decide the slots from its first on.
 *
 * Missed messages are repaired by a catch-up round: the learner asks the
 * voters of the configurations after its applied index for their accepted
 * entries from the first slot it lacks. A slot that a leader had already
 * reported chosen (the commit index) when the round began takes the
 * highest-ballot value among the answers of a quorum of the voters that
 * decide it, each under its member identity: every value accepted at or
 * above the chosen ballot is the chosen value, and any quorum holds one
 * of them. A round decides slots in order and stops after a
 * configuration value, which the next round knows.
 *
 * Applied writes leave the core through an outbox (the caller stores
 * them, tells clients, then empties it), so the learner's memory holds
 * only the slots not yet applied and the identities of recent writes.
 * Acceptors forget slots every learner can get from another learner
 * (trimmed): a learner further behind than that copies the applied log
 * of another learner (learner_adopt), which covers every slot up to its
 * applied index. So does a learner whose catch-up rounds apply nothing
 * LEARNER_STALLED_ROUNDS times in a row while it is behind: the voters
 * that decided its next slot may all be gone since (replaced, or started
 * on a new disk), and only the other learners still hold that slot. */
#ifndef PAXOS_LEARNER_H
#define PAXOS_LEARNER_H

#include <stdbool.h>
#include <stdint.h>

#include "ballot.h"
#include "core/idmap.h"
#include "core/msg.h"
#include "core/voters.h"

struct learner_slot {
    uint64_t slot;                          /* 0: unused ring entry */
    struct ballot best;                     /* the chosen value's ballot */
    struct pvalue best_value;               /* the chosen value */
    bool chosen;
    struct ballot round_best;               /* this catch-up round's */
    struct pvalue round_value;
};

struct learned {
    uint64_t slot;
    struct ballot ballot;       /* the ballot it was chosen at */
    struct pvalue value;
};

/* What one acceptor answered in a catch-up round. */
struct learner_answer {
    uint32_t id;
    char member[MEMBER_ID_LEN + 1];
    uint64_t first, upto;       /* the slots it covers */
};

struct learner {
    struct voters_chain chain;  /* the configurations after applied; the
                                   founding one, which no value holds,
                                   comes with a listing (none: not known
                                   yet) */
    uint64_t applied;           /* every slot <= applied is applied */
    uint64_t known_commit;      /* highest commit index heard of */
    uint64_t highest_heard;     /* highest slot any acceptor reported */

    struct learner_slot *ring;  /* slots above applied, by slot & mask */
    uint64_t ring_cap;          /* power of two */

    struct learned *out;        /* applied since the caller last emptied it */
    size_t n_out, cap_out;
    uint64_t applied_writes;    /* writes in the applied log */
    struct idmap_aging applied_ids; /* (client, seq) -> slot, recent ones */
    uint64_t skipped_noops, skipped_duplicates;
    uint64_t trimmed_seen;      /* highest slot an acceptor forgot */
    unsigned stalled_rounds;    /* rounds in a row that applied nothing
                                   while behind */

    /* The catch-up round in progress (round_from == 0: none). */
    uint64_t round_from, round_commit;
    struct learner_answer answers[2 * VOTERS_MAX];
    size_t n_answers;
};

/* A write's identity is remembered (to apply a retry chosen twice only
 * once) for at least LEARNER_REMEMBER_IDS later writes and, while the
 * learner is caught up, remember_ms (see learner_tick). */
#define LEARNER_REMEMBER_IDS 16384
#define LEARNER_STALLED_ROUNDS 3

int learner_init(struct learner *l, int64_t remember_ms);
void learner_free(struct learner *l);
/* Ages the remembered identities; call every loop turn or so. */
void learner_tick(struct learner *l, int64_t now);

/* Slots the leader announces chosen at ballot b (a LEARN): chosen at
 * once, since a leader announces only what a quorum of acceptors accepted
 * at its ballot. Returns 0, or -1 when out of memory. */
int learner_on_chosen(struct learner *l, struct ballot b, uint64_t commit,
                      const struct msg_entry *e, size_t n);

/* Starts a catch-up round; returns the first slot to ask for. The
 * voters to ask are those of l->chain (when it is empty, the founding
 * acceptors of SEED_NODES: their answers say who the founding voters
 * are). */
uint64_t learner_round_begin(struct learner *l);
/* Acceptor `from`'s answer (a LISTING): entries with their ballots,
 * covering every slot in [max(from_slot, trimmed + 1), upto]. For a slot
 * it counts only from a voter of the configuration that decides it, under
 * its member identity, and only for the round in progress. */
int learner_on_listing(struct learner *l, uint32_t from,
                       const struct msg *listing);
/* True while slots are known to exist above the applied prefix. */
bool learner_behind(const struct learner *l);
/* True when the next slot to apply was forgotten by an acceptor, or the
 * catch-up rounds stalled: copy it from another learner. A copy's answer
 * (learner_adopt of what is not stored) ends a stall: the acceptors are
 * asked again before the next copy. */
bool learner_must_copy(const struct learner *l);

/* Writes applied elsewhere, in slot order, covering every slot up to
 * upto (slots without an entry were no-ops or duplicates): another
 * learner's log, or this one's own stored log at start (stored: they
 * are not put in the outbox again). Entries at or below the applied
 * index are skipped. Returns 0, or -1 when out of memory. */
int learner_adopt(struct learner *l, const struct msg_entry *e, size_t n,
                  uint64_t upto, bool stored);

/* Empties the outbox of applied writes. */
void learner_out_clear(struct learner *l);

#endif
