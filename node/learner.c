/* learner.c -- deciding which slots are chosen and applying them in
 * order; see learner.h for the rules. */
#include "learner.h"

#include <stdlib.h>
#include <string.h>

/* Beyond this many slots past the applied prefix, reports are ignored
 * until the prefix catches up: a bound on what one message can reserve. */
#define LEARNER_MAX_WINDOW (1u << 20)

int learner_init(struct learner *l, size_t n_acceptors)
{
    memset(l, 0, sizeof(*l));
    l->n_acceptors = n_acceptors;
    l->quorum = n_acceptors / 2 + 1;
    l->ring_cap = 256;
    l->ring = calloc(l->ring_cap, sizeof(*l->ring));
    return l->ring ? 0 : -1;
}

static void learner_slot_clear(struct learner_slot *ls)
{
    pvalue_free(&ls->best_value);
    pvalue_free(&ls->round_value);
    memset(ls, 0, sizeof(*ls));
}

void learner_free(struct learner *l)
{
    for (uint64_t i = 0; i < l->ring_cap; i++)
        learner_slot_clear(&l->ring[i]);
    free(l->ring);
    for (size_t i = 0; i < l->log_len; i++)
        pvalue_free(&l->log[i].value);
    free(l->log);
    idmap_clear(&l->applied_ids);
    memset(l, 0, sizeof(*l));
}

static int learner_ring_grow(struct learner *l, uint64_t slot)
{
    uint64_t cap = l->ring_cap;
    struct learner_slot *ring;

    while (slot - l->applied > cap)
        cap *= 2;
    ring = calloc(cap, sizeof(*ring));
    if (!ring)
        return -1;
    for (uint64_t i = 0; i < l->ring_cap; i++)
        if (l->ring[i].slot)
            ring[l->ring[i].slot & (cap - 1)] = l->ring[i];
    free(l->ring);
    l->ring = ring;
    l->ring_cap = cap;
    return 0;
}

/* The state of a slot above the applied prefix, created on demand.
 * NULL when the slot is applied already, too far ahead, or (create
 * false) never reported. *oom is set when memory ran out. */
static struct learner_slot *learner_slot(struct learner *l, uint64_t slot,
                                         bool create, bool *oom)
{
    struct learner_slot *ls;

    if (slot <= l->applied || slot - l->applied > LEARNER_MAX_WINDOW)
        return NULL;
    if (slot - l->applied > l->ring_cap) {
        if (!create)
            return NULL;
        if (learner_ring_grow(l, slot) < 0) {
            *oom = true;
            return NULL;
        }
    }
    ls = &l->ring[slot & (l->ring_cap - 1)];
    if (ls->slot == slot)
        return ls;
    if (!create)
        return NULL;
    ls->slot = slot;
    return ls;
}

static int learner_apply_one(struct learner *l, struct learner_slot *ls)
{
    struct pvalue *v = &ls->best_value;
    uint64_t index;

    if (pvalue_is_noop(v)) {
        l->skipped_noops++;
    } else if (idmap_get(&l->applied_ids, v->client, v->seq, &index)) {
        l->skipped_duplicates++;
    } else {
        if (l->log_len == l->log_cap) {
            size_t cap = l->log_cap ? l->log_cap * 2 : 1024;
            struct learned *grown = realloc(l->log, cap * sizeof(*grown));
            if (!grown)
                return -1;
            l->log = grown;
            l->log_cap = cap;
        }
        if (idmap_put(&l->applied_ids, v->client, v->seq, l->log_len) < 0)
            return -1;
        l->log[l->log_len].slot = ls->slot;
        l->log[l->log_len].ballot = ls->best;
        l->log[l->log_len].value = *v;
        l->log_len++;
        *v = (struct pvalue){ 0 };      /* moved into the log */
    }
    learner_slot_clear(ls);
    l->applied++;
    return 0;
}

static int learner_apply_ready(struct learner *l)
{
    bool oom = false;
    struct learner_slot *ls;

    while ((ls = learner_slot(l, l->applied + 1, false, &oom)) && ls->chosen)
        if (learner_apply_one(l, ls) < 0)
            return -1;
    return 0;
}

static void learner_vote(struct learner_slot *ls, size_t acceptor,
                         struct ballot b, const struct pvalue *v,
                         size_t n_acceptors, size_t quorum, bool *oom)
{
    size_t same = 0;

    if (ls->chosen)
        return;
    if (ballot_cmp(b, ls->votes[acceptor]) > 0)
        ls->votes[acceptor] = b;
    if (ballot_cmp(b, ls->best) > 0) {
        struct pvalue copy;
        if (pvalue_copy(&copy, v) < 0) {
            *oom = true;
            return;
        }
        pvalue_free(&ls->best_value);
        ls->best_value = copy;
        ls->best = b;
    }
    for (size_t i = 0; i < n_acceptors; i++)
        same += ballot_cmp(ls->votes[i], b) == 0;
    /* Everything accepted at or above a chosen ballot carries the chosen
     * value, so the highest value seen is the one chosen at b. */
    if (same >= quorum)
        ls->chosen = true;
}

static int learner_take_entries(struct learner *l, size_t acceptor,
                                const struct ballot *ballot, uint64_t commit,
                                const struct msg_entry *e, size_t n)
{
    bool oom = false;

    if (acceptor >= l->n_acceptors)
        return 0;
    if (commit > l->known_commit)
        l->known_commit = commit;
    for (size_t i = 0; i < n && !oom; i++) {
        struct ballot b = ballot ? *ballot : e[i].ballot;
        struct learner_slot *ls = learner_slot(l, e[i].slot, true, &oom);
        if (e[i].slot > l->highest_heard)
            l->highest_heard = e[i].slot;
        if (ls)
            learner_vote(ls, acceptor, b, &e[i].value, l->n_acceptors,
                         l->quorum, &oom);
    }
    if (oom)
        return -1;
    return learner_apply_ready(l);
}

int learner_on_learn(struct learner *l, size_t acceptor, struct ballot b,
                     uint64_t commit, const struct msg_entry *e, size_t n)
{
    return learner_take_entries(l, acceptor, &b, commit, e, n);
}

uint64_t learner_round_begin(struct learner *l)
{
    for (uint64_t i = 0; i < l->ring_cap; i++) {
        pvalue_free(&l->ring[i].round_value);
        l->ring[i].round_best = (struct ballot){ 0, 0 };
    }
    l->round_from = l->applied + 1;
    l->round_commit = l->known_commit;
    l->round_answered = 0;
    return l->round_from;
}

static int learner_round_collect(struct learner *l, uint64_t upto,
                                 const struct msg_entry *e, size_t n)
{
    bool oom = false;

    for (size_t i = 0; i < n; i++) {
        struct learner_slot *ls;
        if (e[i].slot > upto)
            continue;
        ls = learner_slot(l, e[i].slot, false, &oom);
        if (!ls || ballot_cmp(e[i].ballot, ls->round_best) <= 0)
            continue;
        pvalue_free(&ls->round_value);
        if (pvalue_copy(&ls->round_value, &e[i].value) < 0)
            return -1;
        ls->round_best = e[i].ballot;
    }
    return 0;
}

/* Slots known chosen when the round began, answered for by a quorum:
 * the highest-ballot answer is the chosen value. */
static void learner_round_decide(struct learner *l)
{
    bool oom = false;

    for (uint64_t s = l->applied + 1; s <= l->round_commit; s++) {
        struct learner_slot *ls;
        size_t covering = 0;
        for (size_t i = 0; i < l->n_acceptors; i++)
            covering += (l->round_answered >> i & 1) && l->round_upto[i] >= s;
        if (covering < l->quorum)
            return;
        ls = learner_slot(l, s, false, &oom);
        if (!ls || ls->chosen || ballot_is_zero(ls->round_best))
            continue;
        pvalue_free(&ls->best_value);
        ls->best_value = ls->round_value;
        ls->round_value = (struct pvalue){ 0 };
        ls->best = ls->round_best;
        ls->chosen = true;
    }
}

int learner_on_listing(struct learner *l, size_t acceptor, uint64_t commit,
                       uint64_t from, uint64_t upto,
                       const struct msg_entry *e, size_t n)
{
    if (learner_take_entries(l, acceptor, NULL, commit, e, n) < 0)
        return -1;
    if (acceptor >= l->n_acceptors || from != l->round_from || !from)
        return 0;
    if (learner_round_collect(l, upto, e, n) < 0)
        return -1;
    l->round_answered |= 1u << acceptor;
    l->round_upto[acceptor] = upto;
    if ((size_t)__builtin_popcount(l->round_answered) < l->quorum)
        return 0;
    learner_round_decide(l);
    return learner_apply_ready(l);
}

bool learner_behind(const struct learner *l)
{
    return l->highest_heard > l->applied || l->known_commit > l->applied;
}
