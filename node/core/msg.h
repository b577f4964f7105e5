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

enum msg_type {
    MSG_PREPARE, MSG_PROMISE, MSG_ACCEPT, MSG_ACCEPTED, MSG_LEARN,
    MSG_HEARTBEAT, MSG_LISTING, MSG_NOTIFY, MSG_PROPOSE, MSG_CHOSEN,
};

struct msg_entry {
    uint64_t slot;
    struct ballot ballot;       /* PROMISE and LISTING entries only */
    struct pvalue value;
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
    struct msg_entry *entries;
    size_t n_entries;
};

/* Frees what a decoded or built message owns (entries and their
 * strings). */
void msg_free(struct msg *m);

#endif
