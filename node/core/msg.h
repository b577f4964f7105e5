/* msg.h -- the messages nodes exchange, as the protocol cores see them.
 *
 * One struct, struct msg, carries every peer message; its type says which
 * fields are meaningful. Their JSON form is net/codec.h's. */
#ifndef PAXOS_MSG_H
#define PAXOS_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ballot.h"
#include "core/voters.h"

enum msg_type {
    MSG_PREPARE, MSG_PROMISE, MSG_ACCEPT, MSG_ACCEPTED, MSG_LEARN,
    MSG_HEARTBEAT, MSG_LISTING, MSG_NOTIFY, MSG_PROPOSE, MSG_CHOSEN,
    MSG_IDENTITY, MSG_LEARNED, MSG_WRITES, MSG_WRITTEN,
};

struct msg_entry {
    uint64_t slot;
    struct ballot ballot;       /* PROMISE and LISTING entries only */
    struct pvalue value;
};

/* What became of one write of a WRITES batch: chosen at slot, or not
 * (slot 0) with an HTTP status and why. */
struct msg_result {
    uint64_t slot;
    struct ballot ballot;       /* chosen at */
    int status;                 /* not chosen: 503 surely not, 504 unknown */
    char *error;                /* not chosen: why (owned) */
};

struct msg {
    enum msg_type type;
    uint32_t from;              /* sender node id */
    bool ok;
    struct ballot ballot;
    uint64_t from_slot;
    uint64_t upto;
    uint64_t commit;
    uint64_t trimmed;           /* LISTING */
    uint64_t slot;              /* CHOSEN */
    struct pvalue value;        /* PROPOSE, CHOSEN */
    struct msg_entry *entries;  /* WRITES: the writes, slot 0 */
    size_t n_entries;
    struct msg_result *results; /* WRITTEN: one per write, in order */
    size_t n_results;
    /* An acceptor's identity, in its answers (see core/admission.h). */
    char member[MEMBER_ID_LEN + 1];
    char cluster[CLUSTER_ID_LEN + 1];   /* PROMISE, IDENTITY, LISTING */
    bool active;                        /* IDENTITY */
    /* The configurations after commit (core/voters.h: a chain), and the
     * founding one (LISTING, IDENTITY). A decoded message owns them; one
     * built to be encoded may borrow them (and is then not passed to
     * msg_free, as when it borrows its entries' strings). NULL: absent. */
    struct voters_chain *chain;
    struct voters *founding;
};

/* Frees what a decoded or built message owns (entries and their
 * strings, configurations). */
void msg_free(struct msg *m);

#endif
