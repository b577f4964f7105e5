/* role_acceptor.h -- the acceptor node's state, shared by its two files:
 * role_acceptor.c (the votes on HTTP) and admit.c (its admission: who it
 * is, and whether it may vote). */
#ifndef PAXOS_ROLE_ACCEPTOR_H
#define PAXOS_ROLE_ACCEPTOR_H

#include <stdbool.h>
#include <stdint.h>

#include "core/acceptor.h"
#include "node.h"
#include "store/wal.h"

struct admit;

struct acceptor_node {
    struct acceptor a;
    struct acceptor_ready ready;    /* what the last call decided */
    struct wal *wal;
    uint64_t compact_at;        /* file size that makes it compact */
    uint64_t compactions;
    struct held_reply *held;
    size_t n_held, cap_held;
    uint64_t prepares, accepts, rejected, not_admitted;
    struct admit *admit;        /* asking the others, while not active */
};

/* Appends what the core last decided (an->ready's records) to the
 * write-ahead file; stops the process when it cannot. */
void acceptor_persist(struct acceptor_node *an);

/* admit.c: the acceptor asks the other acceptors who they are until it is
 * admitted and active (see core/admission.h). */
int admit_start(struct node *n, struct acceptor_node *an);
void admit_tick(struct node *n, struct acceptor_node *an, int64_t now);
void admit_stop(struct acceptor_node *an);
/* "active", "joining" (admitted, waiting for the founding voters),
 * "waiting" (the cluster exists without this member) or "new". */
const char *admit_state(const struct acceptor_node *an);

#endif
