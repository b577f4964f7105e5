/* ballot.h -- Paxos ballots and the values a log slot can hold.
 *
 * A ballot is (round, node id), ordered by round and then by node id, so
 * two proposers never use the same ballot. A slot holds either a client
 * value (its bytes plus the writer's identity, used to apply a retried
 * write once) or a no-op that a new leader uses to fill a gap. */
#ifndef PAXOS_BALLOT_H
#define PAXOS_BALLOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ballot {
    uint32_t round;
    uint32_t node;
};

static inline int ballot_cmp(struct ballot a, struct ballot b)
{
    if (a.round != b.round)
        return a.round < b.round ? -1 : 1;
    if (a.node != b.node)
        return a.node < b.node ? -1 : 1;
    return 0;
}

static inline bool ballot_is_zero(struct ballot b)
{
    return b.round == 0 && b.node == 0;
}

/* A value proposed for a slot. data == NULL means a no-op. The strings
 * are owned by whoever holds the struct; pvalue_copy/pvalue_free manage
 * them. */
struct pvalue {
    char *data;         /* NUL-terminated client bytes, NULL for a no-op */
    char *client;       /* writer id ("9", "client1", "p1"); NULL for a no-op */
    uint64_t seq;       /* writer's sequence number: (client, seq) is unique */
};

static inline bool pvalue_is_noop(const struct pvalue *v)
{
    return v->data == NULL;
}

/* Deep copy; returns 0, or -1 when out of memory (dst then holds a no-op). */
int pvalue_copy(struct pvalue *dst, const struct pvalue *src);
void pvalue_free(struct pvalue *v);
/* True when both are no-ops or both carry the same writer id and bytes. */
bool pvalue_equal(const struct pvalue *a, const struct pvalue *b);

#endif
