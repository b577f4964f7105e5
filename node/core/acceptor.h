/* acceptor.h -- the acceptor's rules, with no I/O.
 *
 * An acceptor promises never to accept a ballot lower than the highest
 * it has promised, and accepts (ballot, value) for a slot when the ballot
 * is at least its promise. It lists what it accepted to proposers (in a
 * promise) and to learners (a listing), and forgets the chosen slots
 * every configured learner already has.
 *
 * Every call that answers a request fills a struct acceptor_ready: the
 * records the caller makes durable (see store/wal.h), in order, before it
 * lets anyone see the reply, and the reply itself, for the caller to
 * encode. Reading the records back through acceptor_restore() rebuilds
 * the state they describe. */
#ifndef PAXOS_ACCEPTOR_H
#define PAXOS_ACCEPTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ballot.h"
#include "core/admission.h"
#include "core/msg.h"
#include "core/voters.h"

/* How far past its highest accepted slot an acceptor accepts a slot: a
 * bound on the memory one message can make it reserve. */
#define ACCEPTOR_MAX_SLOT_JUMP (1u << 20)
/* Most entries, and about the most value bytes, one listing carries; the
 * learner asks again for the rest. */
#define ACCEPTOR_LISTING_MAX_ENTRIES 4096
#define ACCEPTOR_LISTING_MAX_BYTES (4u << 20)
/* Slots an acceptor keeps below the applied index of the learner furthest
 * behind, so that a learner that restarts a little behind catches up from
 * the acceptors. */
#define ACCEPTOR_KEEP_LEARNED 4096
/* What an acceptor keeps, at most, of the slots the learner furthest
 * ahead has on disk, in slots and in value bytes: a learner down for
 * hours does not make its memory grow; back, it copies the rest from the
 * learner ahead. */
#define ACCEPTOR_KEEP_AHEAD_SLOTS 65536
#define ACCEPTOR_KEEP_AHEAD_BYTES (32u << 20)

enum acceptor_record_kind {
    ACCEPTOR_RECORD_PROMISE,    /* ballot was promised */
    ACCEPTOR_RECORD_ACCEPT,     /* (ballot, value) was accepted for slot */
    ACCEPTOR_RECORD_TRIM,       /* the slots up to upto were forgotten */
    ACCEPTOR_RECORD_IDENTITY,   /* who this acceptor is (and the founding
                                   configuration once admitted) */
    ACCEPTOR_RECORD_CONFIG,     /* chain: the configurations after slot
                                   commit */
};

/* One state change to make durable. Fields other than the kind's are
 * zero. */
struct acceptor_record {
    enum acceptor_record_kind kind;
    struct ballot ballot;       /* PROMISE, ACCEPT */
    uint64_t slot;              /* ACCEPT */
    const struct pvalue *value; /* ACCEPT, borrowed (see below) */
    uint64_t upto;              /* TRIM */
    const struct acceptor_identity *identity;   /* IDENTITY, borrowed */
    const struct voters *founding;  /* IDENTITY (admitted), borrowed */
    uint64_t commit;                /* CONFIG */
    const struct voters_chain *chain;   /* CONFIG, borrowed */
};

/* What one call decided. Each call empties it first; the caller owns it,
 * reuses it from call to call and releases it with acceptor_ready_free().
 * The records' values and the reply's entries borrow the strings of the
 * call's arguments and of the acceptor: use them before those are freed
 * or the acceptor is called again. */
struct acceptor_ready {
    struct acceptor_record *records;    /* durable before the reply leaves */
    size_t n_records, cap_records;
    struct msg reply;           /* its entries point into entries below */
    struct msg_entry *entries;
    size_t cap_entries;
};

void acceptor_ready_free(struct acceptor_ready *r);

struct acceptor_slot {
    struct ballot ballot;       /* zero: nothing accepted here */
    struct pvalue value;
};

/* A configured learner and how far it said its log on disk reaches. */
struct acceptor_learner {
    uint32_t id;
    uint64_t applied;           /* 0: not heard from since the start */
};

struct acceptor {
    uint32_t id;                /* this node's, in replies */
    struct acceptor_identity me;    /* votes only when me.active */
    struct voters founding;     /* epoch 0 until admitted */
    struct voters_chain chain;  /* the configurations after commit, as
                                   the leaders said */
    struct ballot promised;
    uint64_t commit;            /* highest commit index a leader sent */
    uint64_t trimmed;           /* slots <= trimmed are forgotten */
    struct acceptor_slot *slots;    /* the window [base, base + cap) */
    uint64_t base, cap;
    uint64_t max_slot;          /* highest slot with an accepted value */
    uint64_t kept_bytes;        /* value bytes held in the window */
    uint64_t accepted_count;    /* accept operations, for /status */
    struct acceptor_learner *learners;
    size_t n_learners;
};

enum acceptor_verdict {
    ACCEPTOR_OK,                /* promised / accepted / listed: reply ok */
    ACCEPTOR_NOT_ADMITTED,      /* no vote, no listing: not admitted (or
                                   not active yet); nothing changed, no
                                   reply */
    ACCEPTOR_STALE,             /* ballot below the promise: the reply
                                   refuses with the promise; no records */
    ACCEPTOR_BAD_SLOT,          /* slot 0 or too far ahead: nothing changed,
                                   no reply */
    ACCEPTOR_NOT_LEARNER,       /* a listing for an id that is not a
                                   configured learner: nothing changed, no
                                   reply */
    ACCEPTOR_NO_MEMORY,         /* the state may be half changed: stop */
};

/* An acceptor with node id id, which tracks the progress of the
 * configured learners learners[0..n_learners) (copied). Returns 0, or -1
 * when out of memory. */
int acceptor_init(struct acceptor *a, uint32_t id, const uint32_t *learners,
                  size_t n_learners);
void acceptor_free(struct acceptor *a);

/* PREPARE(b, from_slot): promised only when b is above the promise. A
 * ballot equal to the promise is refused too: a proposer restarted
 * without memory may pick a ballot it used before, and must not lead
 * with it again, since values may already be accepted under it. Any
 * quorum it asks includes an acceptor that promised that ballot, so it
 * has to pick a higher one.
 * On OK: a promise record, and a PROMISE that lists every slot accepted
 * from from_slot on, but only above the commit index: those slots are
 * chosen and the new leader does not propose there. */
enum acceptor_verdict acceptor_prepare(struct acceptor *a, struct ballot b,
                                       uint64_t from_slot,
                                       struct acceptor_ready *out);

/* ACCEPT(b, entries) from a leader whose commit index is commit, with
 * the configurations after it (chain; NULL: none given). All entries are
 * checked before any is applied, so a rejected message changes nothing.
 * An empty list only checks the ballot (a leader confirming it still
 * leads). A chain newer than the acceptor's is taken, with a config
 * record: the acceptor reports it to candidates and to acceptors that
 * wait to be admitted. The configurations that no slot after the commit
 * index needs any more are dropped from the chain.
 * On OK: an accept record for each entry stored (one for a trimmed slot
 * is answered without being stored), or, when none is and b is above the
 * promise, a promise record; and an ACCEPTED. */
enum acceptor_verdict acceptor_accept(struct acceptor *a, struct ballot b,
                                      const struct msg_entry *entries,
                                      size_t n, uint64_t commit,
                                      const struct voters_chain *chain,
                                      struct acceptor_ready *out);

/* A LISTING of the accepted slots from slot from on: at most limit
 * entries and about ACCEPTOR_LISTING_MAX_BYTES of values (one at least);
 * its upto is the last slot it covers (INT64_MAX when it covers them
 * all).
 * When learner is not 0, the configured learner learner says every slot
 * below from is in its log on disk. Once every configured learner has
 * said so, the acceptor forgets the slots below the lowest of them, but
 * for ACCEPTOR_KEEP_LEARNED: no learner then needs them from the
 * acceptors, and one that loses its disk copies them from another
 * learner. Of the slots the learner furthest ahead has, it keeps at most
 * ACCEPTOR_KEEP_AHEAD_SLOTS and about ACCEPTOR_KEEP_AHEAD_BYTES, however
 * far behind another learner is (down, say): that one copies them from
 * the learner ahead. Nothing past the commit index goes (only chosen
 * slots), nor anything no learner has: with every learner down, the
 * acceptors hold what they accepted since. A new leader never asks for
 * forgotten slots (it starts past the commit index a promise reports),
 * and an ACCEPT for one is answered without storing it again. What it
 * forgets is a trim record. */
enum acceptor_verdict acceptor_list(struct acceptor *a, uint32_t learner,
                                    uint64_t from, size_t limit,
                                    struct acceptor_ready *out);

/* Promises, accepts and listings are answered only by an active acceptor
 * (ACCEPTOR_NOT_ADMITTED otherwise; see core/admission.h); their replies
 * carry its member identity, and promises and listings its commit index
 * with the configurations after it (listings the founding one too). */

/* A new data directory: the acceptor takes member as its identity (an
 * identity record), not admitted. Returns 0, or -1 when out of memory. */
int acceptor_new_member(struct acceptor *a, const char *member,
                        struct acceptor_ready *out);
/* What the acceptor says of itself to another (an IDENTITY reply). */
void acceptor_identify(const struct acceptor *a, struct acceptor_ready *out);
/* Takes what admission_decide() decided: ADMISSION_FOUND and
 * ADMISSION_JOIN record the cluster and the configurations; a founding
 * voter is active only once a quorum of the founding voters recorded the
 * cluster (acceptor_activate), one that a later configuration names at
 * once. Other verdicts change nothing. Returns 0, or -1 when out of
 * memory. */
int acceptor_admit(struct acceptor *a, const struct admission *decided,
                   struct acceptor_ready *out);
/* The founding voters recorded the cluster: the acceptor votes from now
 * on (an identity record). Returns 0, or -1 when out of memory. */
int acceptor_activate(struct acceptor *a, struct acceptor_ready *out);

/* The records that rebuild this acceptor's state, and only what it still
 * keeps: what a compacted write-ahead file holds. Its identity and its
 * configuration first, then the trim, then
 * every slot kept, ordered by ballot as a replay must see them (each
 * accept raises the promise), then the promise (it is at least every
 * accepted ballot). No reply. Returns 0, or -1 when out of memory. */
int acceptor_snapshot(const struct acceptor *a, struct acceptor_ready *out);

/* A record read back from the write-ahead file, applied as when it was
 * written: a promise counts only above the promise, an accept as
 * acceptor_accept would take it (a refused one is skipped), and a trim
 * says the slots up to upto were chosen (the commit index is at least
 * upto) and forgotten. Returns 0, or -1 when out of memory. */
int acceptor_restore(struct acceptor *a, const struct acceptor_record *r);

/* The accepted entry for slot, or NULL when nothing was accepted there
 * or the slot was trimmed. */
const struct acceptor_slot *acceptor_get(const struct acceptor *a,
                                         uint64_t slot);

#endif
