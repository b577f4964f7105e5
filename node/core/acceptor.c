/* acceptor.c -- the acceptor's promise and accept rules; see acceptor.h. */
#include "core/acceptor.h"

#include <stdlib.h>
#include <string.h>

void acceptor_init(struct acceptor *a)
{
    memset(a, 0, sizeof(*a));
    a->base = 1;
}

void acceptor_free(struct acceptor *a)
{
    for (uint64_t i = 0; i < a->cap; i++)
        pvalue_free(&a->slots[i].value);
    free(a->slots);
    memset(a, 0, sizeof(*a));
}

/* Grows the window so that it holds slot (>= base). */
static int acceptor_reserve(struct acceptor *a, uint64_t slot)
{
    uint64_t cap = a->cap ? a->cap : 1024;
    struct acceptor_slot *grown;

    if (slot - a->base < a->cap)
        return 0;
    while (cap <= slot - a->base)
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
    if (highest > a->trimmed && acceptor_reserve(a, highest) < 0)
        return ACCEPTOR_NO_MEMORY;
    for (size_t i = 0; i < n; i++) {
        struct acceptor_slot *s;
        struct pvalue copy;
        if (entries[i].slot <= a->trimmed)
            continue;           /* chosen, learned and forgotten */
        s = &a->slots[entries[i].slot - a->base];
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
    if (slot <= a->trimmed || slot - a->base >= a->cap ||
        ballot_is_zero(a->slots[slot - a->base].ballot))
        return NULL;
    return &a->slots[slot - a->base];
}

uint64_t acceptor_trim(struct acceptor *a, uint64_t upto)
{
    uint64_t drop;

    if (upto > a->commit)
        upto = a->commit;
    if (upto > a->max_slot)
        a->max_slot = upto;     /* slots it missed are chosen too */
    for (; a->trimmed < upto; a->trimmed++)
        if (a->trimmed + 1 - a->base < a->cap) {
            struct acceptor_slot *s = &a->slots[a->trimmed + 1 - a->base];
            pvalue_free(&s->value);
            s->ballot = (struct ballot){ 0, 0 };
        }
    /* Once half the window is trimmed, the window moves up past it. */
    drop = a->trimmed + 1 - a->base;
    if (drop && drop >= a->cap / 2) {
        if (drop > a->cap)
            drop = a->cap;
        if (drop) {
            memmove(a->slots, a->slots + drop,
                    (a->cap - drop) * sizeof(*a->slots));
            memset(a->slots + a->cap - drop, 0, drop * sizeof(*a->slots));
        }
        a->base = a->trimmed + 1;
    }
    return a->trimmed;
}

void acceptor_restore_trim(struct acceptor *a, uint64_t upto)
{
    if (upto > a->commit)
        a->commit = upto;
    acceptor_trim(a, upto);
}
