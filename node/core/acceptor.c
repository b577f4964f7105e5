/* acceptor.c -- the acceptor's promise, accept, listing and trim rules,
 * and the records that make them durable; see acceptor.h. */
#include "core/acceptor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"

/* ---- what a call decided ---- */

void acceptor_ready_free(struct acceptor_ready *r)
{
    free(r->records);
    free(r->entries);
    memset(r, 0, sizeof(*r));
}

/* Empties out for a new call, keeping its room. */
static void ready_reset(struct acceptor_ready *out)
{
    out->n_records = 0;
    memset(&out->reply, 0, sizeof(out->reply));
}

static int ready_add(struct acceptor_ready *out, struct acceptor_record r)
{
    if (array_reserve(&out->records, &out->cap_records,
                      out->n_records + 1) < 0)
        return -1;
    out->records[out->n_records++] = r;
    return 0;
}

static int record_promise(struct acceptor_ready *out, struct ballot b)
{
    return ready_add(out, (struct acceptor_record){
        .kind = ACCEPTOR_RECORD_PROMISE, .ballot = b });
}

static int record_accept(struct acceptor_ready *out, uint64_t slot,
                         struct ballot b, const struct pvalue *v)
{
    return ready_add(out, (struct acceptor_record){
        .kind = ACCEPTOR_RECORD_ACCEPT, .ballot = b, .slot = slot,
        .value = v });
}

static int record_trim(struct acceptor_ready *out, uint64_t upto)
{
    return ready_add(out, (struct acceptor_record){
        .kind = ACCEPTOR_RECORD_TRIM, .upto = upto });
}

static int record_identity(const struct acceptor *a,
                           struct acceptor_ready *out)
{
    return ready_add(out, (struct acceptor_record){
        .kind = ACCEPTOR_RECORD_IDENTITY, .identity = &a->me,
        .founding = &a->founding });
}

static int record_config(const struct acceptor *a, struct acceptor_ready *out)
{
    return ready_add(out, (struct acceptor_record){
        .kind = ACCEPTOR_RECORD_CONFIG, .commit = a->commit,
        .chain = &a->chain });
}

/* A reply of type t from this acceptor: its identity, and for promises
 * and listings what it knows of the configuration. */
static void reply_init(const struct acceptor *a, enum msg_type t, bool ok,
                       struct ballot b, struct acceptor_ready *out)
{
    out->reply = (struct msg){ .type = t, .from = a->id, .ok = ok,
                               .ballot = b };
    memcpy(out->reply.member, a->me.member, sizeof out->reply.member);
    if (t == MSG_PROMISE || t == MSG_LISTING) {
        out->reply.commit = a->commit;
        out->reply.chain = (struct voters_chain *)&a->chain;
        memcpy(out->reply.cluster, a->me.cluster, sizeof out->reply.cluster);
    }
    if (t == MSG_LISTING)
        out->reply.founding = (struct voters *)&a->founding;
}

/* The refusal of a message below the promise: it carries the promise. */
static void reply_stale(const struct acceptor *a, enum msg_type t,
                        struct acceptor_ready *out)
{
    reply_init(a, t, false, a->promised, out);
}

/* ---- the state ---- */

int acceptor_init(struct acceptor *a, uint32_t id, const uint32_t *learners,
                  size_t n_learners)
{
    memset(a, 0, sizeof(*a));
    a->id = id;
    a->base = 1;
    a->learners = calloc(n_learners, sizeof(*a->learners));
    if (n_learners && !a->learners)
        return -1;
    for (size_t i = 0; i < n_learners; i++)
        a->learners[i].id = learners[i];
    a->n_learners = n_learners;
    return 0;
}

void acceptor_free(struct acceptor *a)
{
    for (uint64_t i = 0; i < a->cap; i++)
        pvalue_free(&a->slots[i].value);
    free(a->slots);
    free(a->learners);
    memset(a, 0, sizeof(*a));
}

/* What a value weighs in memory, as kept_bytes counts it. */
static uint64_t pvalue_bytes(const struct pvalue *v)
{
    return (v->data ? strlen(v->data) : 0) + (v->client ? strlen(v->client) : 0);
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

const struct acceptor_slot *acceptor_get(const struct acceptor *a,
                                         uint64_t slot)
{
    if (slot <= a->trimmed || slot - a->base >= a->cap ||
        ballot_is_zero(a->slots[slot - a->base].ballot))
        return NULL;
    return &a->slots[slot - a->base];
}

/* Takes b as the promise when it is above it. */
static bool raise_promise(struct acceptor *a, struct ballot b)
{
    if (ballot_cmp(b, a->promised) <= 0)
        return false;
    a->promised = b;
    return true;
}

/* Every slot up to commit is chosen: the commit index rises to it, and
 * the chain keeps only the configurations that decide slots after it
 * (the first one is then the one a candidate counts its quorum in). */
static void raise_commit(struct acceptor *a, uint64_t commit)
{
    if (commit > a->commit)
        a->commit = commit;
    chain_advance(&a->chain, a->commit);
}

/* Takes a leader's commit index and the configurations after it when
 * they are newer. Returns true when the leader's configurations were
 * taken. */
static bool take_commit(struct acceptor *a, uint64_t commit,
                        const struct voters_chain *chain)
{
    bool newer = chain && chain_newer(chain, &a->chain);

    if (newer)
        a->chain = *chain;
    raise_commit(a, commit);
    return newer;
}

/* Applies ACCEPT(b, entries) to the state (see acceptor_accept). */
static enum acceptor_verdict accept_entries(struct acceptor *a,
                                            struct ballot b,
                                            const struct msg_entry *entries,
                                            size_t n)
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
        a->kept_bytes += pvalue_bytes(&copy);
        a->kept_bytes -= pvalue_bytes(&s->value);
        pvalue_free(&s->value);
        s->value = copy;
        s->ballot = b;
    }
    a->promised = b;
    if (highest > a->max_slot)
        a->max_slot = highest;
    a->accepted_count += n;
    return ACCEPTOR_OK;
}

/* Forgets the slots up to upto, capped at the commit index. Returns the
 * slots now trimmed. */
static uint64_t trim(struct acceptor *a, uint64_t upto)
{
    uint64_t drop;

    if (upto > a->commit)
        upto = a->commit;
    if (upto > a->max_slot)
        a->max_slot = upto;     /* slots it missed are chosen too */
    for (; a->trimmed < upto; a->trimmed++)
        if (a->trimmed + 1 - a->base < a->cap) {
            struct acceptor_slot *s = &a->slots[a->trimmed + 1 - a->base];
            a->kept_bytes -= pvalue_bytes(&s->value);
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

/* ---- the calls ---- */

/* Lists in out->reply the accepted entries from slot first on: at most
 * max of them and about max_bytes of values (one at least). The reply's
 * upto is the last slot the list covers (INT64_MAX: every one). */
static int list_entries(const struct acceptor *a, uint64_t first,
                        size_t max, size_t max_bytes,
                        struct acceptor_ready *out)
{
    struct msg *m = &out->reply;
    size_t bytes = 0;

    m->n_entries = 0;
    m->upto = INT64_MAX;
    for (uint64_t s = first > a->trimmed ? first : a->trimmed + 1;
         s <= a->max_slot; s++) {
        const struct acceptor_slot *as = acceptor_get(a, s);
        if (!as)
            continue;
        if (m->n_entries == max || (m->n_entries && bytes > max_bytes)) {
            m->upto = s - 1;
            break;
        }
        bytes += as->value.data ? strlen(as->value.data) : 0;
        if (array_reserve(&out->entries, &out->cap_entries,
                          m->n_entries + 1) < 0)
            return -1;
        out->entries[m->n_entries++] = (struct msg_entry){ s, as->ballot,
                                                           as->value };
    }
    m->entries = out->entries;
    return 0;
}

enum acceptor_verdict acceptor_prepare(struct acceptor *a, struct ballot b,
                                       uint64_t from_slot,
                                       struct acceptor_ready *out)
{
    ready_reset(out);
    if (!a->me.active)
        return ACCEPTOR_NOT_ADMITTED;
    if (!raise_promise(a, b)) {
        reply_stale(a, MSG_PROMISE, out);
        return ACCEPTOR_STALE;
    }
    reply_init(a, MSG_PROMISE, true, b, out);
    if (record_promise(out, b) < 0 ||
        list_entries(a, from_slot > a->commit ? from_slot : a->commit + 1,
                     SIZE_MAX, SIZE_MAX, out) < 0)
        return ACCEPTOR_NO_MEMORY;
    return ACCEPTOR_OK;
}

enum acceptor_verdict acceptor_accept(struct acceptor *a, struct ballot b,
                                      const struct msg_entry *entries,
                                      size_t n, uint64_t commit,
                                      const struct voters_chain *chain,
                                      struct acceptor_ready *out)
{
    struct ballot before = a->promised;
    enum acceptor_verdict verdict;
    size_t stored = 0;

    ready_reset(out);
    if (!a->me.active)
        return ACCEPTOR_NOT_ADMITTED;
    verdict = accept_entries(a, b, entries, n);
    if (verdict == ACCEPTOR_STALE)
        reply_stale(a, MSG_ACCEPTED, out);
    if (verdict != ACCEPTOR_OK)
        return verdict;
    if (take_commit(a, commit, chain) && record_config(a, out) < 0)
        return ACCEPTOR_NO_MEMORY;
    for (size_t i = 0; i < n; i++) {
        if (entries[i].slot <= a->trimmed)
            continue;
        if (record_accept(out, entries[i].slot, b, &entries[i].value) < 0)
            return ACCEPTOR_NO_MEMORY;
        stored++;
    }
    /* A higher ballot with nothing stored under it is a promise too. */
    if (!stored && ballot_cmp(b, before) > 0 && record_promise(out, b) < 0)
        return ACCEPTOR_NO_MEMORY;
    reply_init(a, MSG_ACCEPTED, true, b, out);
    return ACCEPTOR_OK;
}

/* Forgets the slots up to upto (see trim); a trim record says so when
 * any went. */
static enum acceptor_verdict forget(struct acceptor *a, uint64_t upto,
                                    struct acceptor_ready *out)
{
    uint64_t before = a->trimmed;

    if (trim(a, upto) == before)
        return ACCEPTOR_OK;
    return record_trim(out, a->trimmed) < 0 ? ACCEPTOR_NO_MEMORY
                                            : ACCEPTOR_OK;
}

/* The slot up to which the acceptor forgets, of the slots up to ahead
 * (which a learner has on disk), so as to keep at most
 * ACCEPTOR_KEEP_AHEAD_SLOTS of them and at most ACCEPTOR_KEEP_AHEAD_BYTES
 * of values in all (as far as forgetting slots up to ahead can). */
static uint64_t keep_ahead_upto(const struct acceptor *a, uint64_t ahead)
{
    uint64_t floor = ahead > ACCEPTOR_KEEP_AHEAD_SLOTS
                   ? ahead - ACCEPTOR_KEEP_AHEAD_SLOTS : 0;
    uint64_t bytes = a->kept_bytes, upto = a->trimmed;

    for (uint64_t s = a->trimmed + 1; s <= ahead; s++) {
        const struct acceptor_slot *as = acceptor_get(a, s);
        if (s > floor && bytes <= ACCEPTOR_KEEP_AHEAD_BYTES)
            break;
        if (as)
            bytes -= pvalue_bytes(&as->value);
        upto = s;
    }
    return upto;
}

/* Learner id says the slots below from are in its log on disk; the
 * acceptor forgets what no learner needs from it any more (see
 * acceptor_list). */
static enum acceptor_verdict learner_says(struct acceptor *a, uint32_t id,
                                          uint64_t from,
                                          struct acceptor_ready *out)
{
    uint64_t lowest = UINT64_MAX, ahead = 0, upto = 0, over;
    bool known = false;

    for (size_t i = 0; i < a->n_learners; i++)
        if (a->learners[i].id == id) {
            a->learners[i].applied = from ? from - 1 : 0;
            known = true;
        }
    if (!known)
        return ACCEPTOR_NOT_LEARNER;
    for (size_t i = 0; i < a->n_learners; i++) {
        if (a->learners[i].applied < lowest)
            lowest = a->learners[i].applied;
        if (a->learners[i].applied > ahead)
            ahead = a->learners[i].applied;
    }
    if (lowest > ACCEPTOR_KEEP_LEARNED)
        upto = lowest - ACCEPTOR_KEEP_LEARNED;
    over = keep_ahead_upto(a, ahead < a->commit ? ahead : a->commit);
    if (over > upto)
        upto = over;
    return forget(a, upto, out);
}

enum acceptor_verdict acceptor_list(struct acceptor *a, uint32_t learner,
                                    uint64_t from, size_t limit,
                                    struct acceptor_ready *out)
{
    enum acceptor_verdict verdict = ACCEPTOR_OK;

    ready_reset(out);
    if (!a->me.active)
        return ACCEPTOR_NOT_ADMITTED;
    if (learner)
        verdict = learner_says(a, learner, from, out);
    if (verdict != ACCEPTOR_OK)
        return verdict;
    reply_init(a, MSG_LISTING, true, a->promised, out);
    out->reply.trimmed = a->trimmed;
    out->reply.from_slot = from;
    if (list_entries(a, from, limit, ACCEPTOR_LISTING_MAX_BYTES, out) < 0)
        return ACCEPTOR_NO_MEMORY;
    return ACCEPTOR_OK;
}

/* Orders accept records as a replay must see them: by ballot, then by
 * slot. */
static int by_ballot_then_slot(const void *x, const void *y)
{
    const struct acceptor_record *rx = x, *ry = y;
    int by_ballot = ballot_cmp(rx->ballot, ry->ballot);

    if (by_ballot)
        return by_ballot;
    return (rx->slot > ry->slot) - (rx->slot < ry->slot);
}

int acceptor_snapshot(const struct acceptor *a, struct acceptor_ready *out)
{
    size_t first_accept;

    ready_reset(out);
    if ((a->me.member[0] && record_identity(a, out) < 0) ||
        (a->chain.n && record_config(a, out) < 0) ||
        record_trim(out, a->trimmed) < 0)
        return -1;
    first_accept = out->n_records;
    for (uint64_t s = a->trimmed + 1; s <= a->max_slot; s++) {
        const struct acceptor_slot *as = acceptor_get(a, s);
        if (as && record_accept(out, s, as->ballot, &as->value) < 0)
            return -1;
    }
    qsort(out->records + first_accept, out->n_records - first_accept,
          sizeof(*out->records), by_ballot_then_slot);
    if (!ballot_is_zero(a->promised) && record_promise(out, a->promised) < 0)
        return -1;
    return 0;
}

int acceptor_restore(struct acceptor *a, const struct acceptor_record *r)
{
    struct msg_entry e;

    switch (r->kind) {
    case ACCEPTOR_RECORD_PROMISE:
        raise_promise(a, r->ballot);    /* an accept may have raised it */
        break;
    case ACCEPTOR_RECORD_ACCEPT:
        e = (struct msg_entry){ .slot = r->slot, .value = *r->value };
        if (accept_entries(a, r->ballot, &e, 1) == ACCEPTOR_NO_MEMORY)
            return -1;
        break;
    case ACCEPTOR_RECORD_TRIM:
        raise_commit(a, r->upto);
        trim(a, r->upto);
        break;
    case ACCEPTOR_RECORD_IDENTITY:
        a->me = *r->identity;
        if (r->identity->cluster[0])
            a->founding = *r->founding;
        break;
    case ACCEPTOR_RECORD_CONFIG:
        take_commit(a, r->commit, r->chain);
        break;
    }
    return 0;
}

/* ---- identity and admission ---- */

int acceptor_new_member(struct acceptor *a, const char *member,
                        struct acceptor_ready *out)
{
    ready_reset(out);
    memset(&a->me, 0, sizeof(a->me));
    snprintf(a->me.member, sizeof a->me.member, "%s", member);
    return record_identity(a, out);
}

void acceptor_identify(const struct acceptor *a, struct acceptor_ready *out)
{
    ready_reset(out);
    reply_init(a, MSG_IDENTITY, true, a->promised, out);
    out->reply.commit = a->commit;
    out->reply.active = a->me.active;
    memcpy(out->reply.cluster, a->me.cluster, sizeof out->reply.cluster);
    if (a->me.cluster[0]) {
        out->reply.chain = (struct voters_chain *)&a->chain;
        out->reply.founding = (struct voters *)&a->founding;
    }
}

int acceptor_admit(struct acceptor *a, const struct admission *decided,
                   struct acceptor_ready *out)
{
    ready_reset(out);
    if (decided->verdict != ADMISSION_FOUND &&
        decided->verdict != ADMISSION_JOIN)
        return 0;
    memcpy(a->me.cluster, decided->cluster, sizeof a->me.cluster);
    a->founding = decided->founding;
    /* A later configuration names this member: the cluster lives and
     * counts on it already. */
    a->me.active = false;
    for (size_t i = 0; i < decided->chain.n; i++)
        a->me.active |= decided->chain.c[i].epoch > 1 &&
                        voters_find(&decided->chain.c[i], a->id,
                                    a->me.member) >= 0;
    a->chain = decided->chain;
    raise_commit(a, decided->commit);
    return record_identity(a, out) < 0 || record_config(a, out) < 0 ? -1 : 0;
}

int acceptor_activate(struct acceptor *a, struct acceptor_ready *out)
{
    ready_reset(out);
    a->me.active = true;
    return record_identity(a, out);
}
