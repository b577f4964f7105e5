/* learner.c -- deciding which slots are chosen and applying them in
 * order; see learner.h for the rules. */
#include "core/learner.h"

#include <stdlib.h>
#include <string.h>

#include "array.h"

/* Beyond this many slots past the applied prefix, reports are ignored
 * until the prefix catches up: a bound on what one message can reserve. */
#define LEARNER_MAX_WINDOW (1u << 20)

int learner_init(struct learner *l, int64_t remember_ms)
{
    memset(l, 0, sizeof(*l));
    idmap_aging_init(&l->applied_ids, remember_ms, LEARNER_REMEMBER_IDS, 0);
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
    learner_out_clear(l);
    free(l->out);
    idmap_aging_clear(&l->applied_ids, 0);
    memset(l, 0, sizeof(*l));
}

void learner_out_clear(struct learner *l)
{
    for (size_t i = 0; i < l->n_out; i++)
        pvalue_free(&l->out[i].value);
    l->n_out = 0;
}

/* While the learner catches up, slots are applied faster than they were
 * chosen, so time says little about how far apart two copies of a retry
 * are: identities only age while it is caught up. */
void learner_tick(struct learner *l, int64_t now)
{
    if (!learner_behind(l))
        idmap_aging_tick(&l->applied_ids, now);
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

/* A value joins the applied log: a write's identity is remembered, a
 * configuration joins the chain (its voters decide the slots from
 * slot + VOTERS_ALPHA on), and unless it comes from the learner's own
 * store, *v moves into the outbox. */
static int learner_record(struct learner *l, uint64_t slot, struct ballot b,
                          struct pvalue *v, bool stored)
{
    if (voters_is_value(v)) {
        /* Every slot before it is applied (or, from another learner's
         * log, covered): the chain keeps what later slots need. It is
         * full only if leaders broke their one-change-at-a-time rule.
         * The round in progress counted its answers without this
         * configuration: it is over. */
        chain_advance(&l->chain, slot - 1);
        if (chain_take(&l->chain, v, slot) < 0)
            return -1;
        l->round_from = 0;
    } else if (idmap_aging_put(&l->applied_ids, v->client, v->seq,
                               slot) < 0) {
        return -1;
    }
    if (stored || l->highest_heard > slot || l->known_commit > slot)
        idmap_aging_tick_count(&l->applied_ids);    /* catching up */
    if (!stored) {
        if (array_reserve(&l->out, &l->cap_out, l->n_out + 1) < 0)
            return -1;
        l->out[l->n_out++] = (struct learned){ slot, b, *v };
        *v = (struct pvalue){ 0 };
    }
    l->applied_writes++;
    return 0;
}

/* True when v is a write already in the applied log (a retry chosen
 * twice), counted as skipped. A configuration is never skipped. */
static bool learner_is_duplicate(struct learner *l, const struct pvalue *v)
{
    uint64_t slot;

    if (voters_is_value(v) ||
        !idmap_aging_get(&l->applied_ids, v->client, v->seq, &slot))
        return false;
    l->skipped_duplicates++;
    return true;
}

static int learner_apply_one(struct learner *l, struct learner_slot *ls)
{
    struct pvalue *v = &ls->best_value;

    if (pvalue_is_noop(v))
        l->skipped_noops++;
    else if (!learner_is_duplicate(l, v) &&
             learner_record(l, ls->slot, ls->best, v, false) < 0)
        return -1;
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
    chain_advance(&l->chain, l->applied);
    return 0;
}

/* A slot the leader announced chosen at b: its value is the chosen one. */
static void learner_choose(struct learner_slot *ls, struct ballot b,
                           const struct pvalue *v, bool *oom)
{
    struct pvalue copy;

    if (ls->chosen)
        return;
    if (pvalue_copy(&copy, v) < 0) {
        *oom = true;
        return;
    }
    pvalue_free(&ls->best_value);
    ls->best_value = copy;
    ls->best = b;
    ls->chosen = true;
}

int learner_on_chosen(struct learner *l, struct ballot b, uint64_t commit,
                      const struct msg_entry *e, size_t n)
{
    bool oom = false;

    if (commit > l->known_commit)
        l->known_commit = commit;
    for (size_t i = 0; i < n && !oom; i++) {
        struct learner_slot *ls = learner_slot(l, e[i].slot, true, &oom);
        if (e[i].slot > l->highest_heard)
            l->highest_heard = e[i].slot;
        if (ls)
            learner_choose(ls, b, &e[i].value, &oom);
    }
    if (oom)
        return -1;
    return learner_apply_ready(l);
}

uint64_t learner_round_begin(struct learner *l)
{
    /* the last round began at the same applied index: it applied nothing */
    if (l->round_from == l->applied + 1 && learner_behind(l))
        l->stalled_rounds++;
    else
        l->stalled_rounds = 0;
    for (uint64_t i = 0; i < l->ring_cap; i++) {
        pvalue_free(&l->ring[i].round_value);
        l->ring[i].round_best = (struct ballot){ 0, 0 };
    }
    l->round_from = l->applied + 1;
    l->round_commit = l->known_commit;
    l->n_answers = 0;
    return l->round_from;
}

/* True when acceptor id, under member, is a voter of the configuration
 * that decides slot. */
static bool learner_votes_at(const struct learner *l, uint64_t slot,
                             uint32_t id, const char *member)
{
    const struct voters *v = chain_at(&l->chain, slot);

    return v && voters_find(v, id, member) >= 0;
}

/* Keeps, per slot up to upto, the highest-ballot value that the answers
 * of the voters deciding it hold (acceptor id's, under member). */
static int learner_round_collect(struct learner *l, uint32_t id,
                                 const char *member, uint64_t upto,
                                 const struct msg_entry *e, size_t n)
{
    bool oom = false;

    for (size_t i = 0; i < n && e[i].slot <= upto; i++) {
        struct learner_slot *ls;
        if (!learner_votes_at(l, e[i].slot, id, member))
            continue;
        ls = learner_slot(l, e[i].slot, true, &oom);
        if (oom)
            return -1;
        if (!ls || ballot_cmp(e[i].ballot, ls->round_best) <= 0)
            continue;
        pvalue_free(&ls->round_value);
        if (pvalue_copy(&ls->round_value, &e[i].value) < 0)
            return -1;
        ls->round_best = e[i].ballot;
    }
    return 0;
}

/* True when answers from a quorum of the voters that decide slot cover
 * it. */
static bool learner_round_covers(const struct learner *l, uint64_t slot)
{
    const struct voters *v = chain_at(&l->chain, slot);
    size_t covering = 0;

    for (size_t i = 0; v && i < l->n_answers; i++) {
        const struct learner_answer *a = &l->answers[i];
        covering += a->first <= slot && a->upto >= slot &&
                    voters_find(v, a->id, a->member) >= 0;
    }
    return v && covering >= voters_quorum(v);
}

/* Slots known chosen when the round began, answered for by a quorum of
 * the voters: the highest-ballot answer is the chosen value. In slot
 * order, up to the first slot no quorum covers, and up to a
 * configuration (the next round knows it). */
static void learner_round_decide(struct learner *l)
{
    bool oom = false;

    for (uint64_t s = l->applied + 1; s <= l->round_commit; s++) {
        struct learner_slot *ls;
        if (!learner_round_covers(l, s) ||
            !(ls = learner_slot(l, s, false, &oom)))
            return;
        if (!ls->chosen) {
            if (ballot_is_zero(ls->round_best))
                return;
            pvalue_free(&ls->best_value);
            ls->best_value = ls->round_value;
            ls->round_value = (struct pvalue){ 0 };
            ls->best = ls->round_best;
            ls->chosen = true;
        }
        if (voters_is_value(&ls->best_value))
            return;
    }
}

/* The founding configuration a listing carries is the first of the
 * chain when the learner knows none before the first configuration it
 * holds: none at all (no answer counted yet), or only the first change,
 * read from its own log (a change's value does not say who voted before
 * it); then the answers counted without it do not count: the round in
 * progress is over. */
static void learner_take_founding(struct learner *l,
                                  const struct voters *founding)
{
    struct voters_chain *ch = &l->chain;

    if (!ch->n) {
        chain_start(ch, founding);
        return;
    }
    if (ch->c[0].epoch != founding->epoch + 1 ||
        ch->c[0].first_slot <= l->applied + 1 || ch->n == VOTERS_CHAIN_MAX)
        return;
    memmove(&ch->c[1], &ch->c[0], ch->n * sizeof(ch->c[0]));
    ch->c[0] = *founding;
    ch->n++;
    l->round_from = 0;
}

int learner_on_listing(struct learner *l, uint32_t from, const struct msg *m)
{
    struct learner_answer *a;

    if (m->commit > l->known_commit)
        l->known_commit = m->commit;
    for (size_t i = 0; i < m->n_entries; i++)
        if (m->entries[i].slot > l->highest_heard)
            l->highest_heard = m->entries[i].slot;
    if (m->trimmed > l->trimmed_seen)
        l->trimmed_seen = m->trimmed;
    if (m->founding)
        learner_take_founding(l, m->founding);
    if (m->from_slot != l->round_from || !m->from_slot ||
        l->n_answers == sizeof l->answers / sizeof l->answers[0] ||
        !chain_names(&l->chain, from, m->member))
        return 0;               /* no voter's answer to this round */
    for (size_t i = 0; i < l->n_answers; i++)
        if (l->answers[i].id == from)
            return 0;           /* one answer per acceptor and round */
    if (learner_round_collect(l, from, m->member, m->upto, m->entries,
                              m->n_entries) < 0)
        return -1;
    a = &l->answers[l->n_answers++];
    a->id = from;
    memcpy(a->member, m->member, sizeof a->member);
    a->first = m->trimmed >= m->from_slot ? m->trimmed + 1 : m->from_slot;
    a->upto = m->upto;
    learner_round_decide(l);
    return learner_apply_ready(l);
}

bool learner_behind(const struct learner *l)
{
    return l->highest_heard > l->applied || l->known_commit > l->applied;
}

bool learner_must_copy(const struct learner *l)
{
    return l->trimmed_seen > l->applied ||
           (l->stalled_rounds >= LEARNER_STALLED_ROUNDS && learner_behind(l));
}

/* Clears the ring's state of the slots in (from, upto]. */
static void learner_forget(struct learner *l, uint64_t from, uint64_t upto)
{
    if (upto - from < l->ring_cap) {
        for (uint64_t s = from + 1; s <= upto; s++)
            if (l->ring[s & (l->ring_cap - 1)].slot == s)
                learner_slot_clear(&l->ring[s & (l->ring_cap - 1)]);
        return;
    }
    for (uint64_t i = 0; i < l->ring_cap; i++)
        if (l->ring[i].slot && l->ring[i].slot <= upto)
            learner_slot_clear(&l->ring[i]);
}

int learner_adopt(struct learner *l, const struct msg_entry *e, size_t n,
                  uint64_t upto, bool stored)
{
    uint64_t was = l->applied;

    if (!stored)
        l->stalled_rounds = 0;
    for (size_t i = 0; i < n; i++) {
        struct pvalue v = e[i].value;   /* borrowed while stored */
        /* The source's log is taken as it is: it skipped the duplicates
         * and no-ops already, and both logs must stay the same. */
        if (e[i].slot <= l->applied || e[i].slot > upto || pvalue_is_noop(&v))
            continue;
        if (!stored && pvalue_copy(&v, &e[i].value) < 0)
            return -1;
        if (learner_record(l, e[i].slot, e[i].ballot, &v, stored) < 0) {
            if (!stored)
                pvalue_free(&v);
            return -1;
        }
        l->applied = e[i].slot;
    }
    if (upto > l->applied)
        l->applied = upto;
    if (l->applied > was)
        learner_forget(l, was, l->applied);
    return learner_apply_ready(l);
}
