/* acceptor.c -- the acceptor's promise and accept rules; see acceptor.h. */
#include "acceptor.h"

#include <stdlib.h>
#include <string.h>

void acceptor_init(struct acceptor *a)
{
    memset(a, 0, sizeof(*a));
}

void acceptor_free(struct acceptor *a)
{
    for (uint64_t s = 0; s < a->cap; s++)
        pvalue_free(&a->slots[s].value);
    free(a->slots);
    memset(a, 0, sizeof(*a));
}

static int acceptor_reserve(struct acceptor *a, uint64_t slot)
{
    uint64_t cap = a->cap ? a->cap : 1024;
    struct acceptor_slot *grown;

    if (slot < a->cap)
        return 0;
    while (cap <= slot)
        cap *= 2;
    grown = realloc(a->slots, cap * sizeof(*grown));
    if (!grown)
        return -1;
    memset(grown + a->cap, 0, (cap - a->cap) * sizeof(*grown));
    a->slots = grown;
    a->cap = cap;
    return 0;
}

enum acceptor_verdict acceptor_prepare(struct acceptor *a, struct ballot b)
{
    if (ballot_cmp(b, a->promised) <= 0)
        return ACCEPTOR_STALE;
    a->promised = b;
    return ACCEPTOR_OK;
}

enum acceptor_verdict acceptor_accept(struct acceptor *a, struct ballot b,
                                      const struct msg_entry *entries,
                                      size_t n, uint64_t commit)
{
    uint64_t highest = 0;

    if (ballot_cmp(b, a->promised) < 0)
        return ACCEPTOR_STALE;
    for (size_t i = 0; i < n; i++) {
        uint64_t slot = entries[i].slot;
        if (slot == 0 || slot > a->max_slot + ACCEPTOR_MAX_SLOT_JUMP)
            return ACCEPTOR_BAD_SLOT;
        if (slot > highest)
            highest = slot;
    }
    if (acceptor_reserve(a, highest) < 0)
        return ACCEPTOR_NO_MEMORY;
    for (size_t i = 0; i < n; i++) {
        struct acceptor_slot *s = &a->slots[entries[i].slot];
        struct pvalue copy;
        if (pvalue_copy(&copy, &entries[i].value) < 0)
            return ACCEPTOR_NO_MEMORY;
        pvalue_free(&s->value);
        s->value = copy;
        s->ballot = b;
    }
    a->promised = b;
    if (highest > a->max_slot)
        a->max_slot = highest;
    if (commit > a->commit)
        a->commit = commit;
    a->accepted_count += n;
    return ACCEPTOR_OK;
}

const struct acceptor_slot *acceptor_get(const struct acceptor *a,
                                         uint64_t slot)
{
    if (slot >= a->cap || ballot_is_zero(a->slots[slot].ballot))
        return NULL;
    return &a->slots[slot];
}
