/* proposer.c -- Multi-Paxos leader election, Phase 1 recovery, batched
 * and pipelined Phase 2, and confirmed reads; see proposer.h. */
#include "core/proposer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"

/* Chosen slots whose values a leader keeps (for /status). */
#define PROPOSER_KEEP_CHOSEN 16
/* A leader remembers at least this many identities of writes, and for at
 * least remember_ids_ms, to answer a retry with the slot it already has. */
#define PROPOSER_REMEMBER_IDS 16384

static uint64_t proposer_random(struct proposer *p)
{
    uint64_t x = p->rng;        /* xorshift64* */

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    p->rng = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static int64_t proposer_election_timeout(struct proposer *p)
{
    int64_t t = p->set.election_timeout_ms;

    return t + (int64_t)(proposer_random(p) % (uint64_t)t);
}

/* How long the leader waits for a quorum before sending again. */
static int64_t proposer_retry_ms(const struct proposer *p)
{
    return 3 * (int64_t)p->set.heartbeat_ms;
}

/* A quorum of the voters in force, as a mask of their indexes. */
static bool proposer_has_quorum(const struct proposer *p, uint32_t mask)
{
    return p->cfg.epoch &&
           (size_t)__builtin_popcount(mask) >= voters_quorum(&p->cfg);
}

/* A quorum of the voters of v promised this proposer's ballot. */
static bool proposer_promised_quorum(const struct proposer *p,
                                     const struct voters *v)
{
    size_t promised = 0;

    for (size_t i = 0; i < p->n_promisers; i++)
        promised += voters_find(v, p->promisers[i].id,
                                p->promisers[i].member) >= 0;
    return v->epoch && promised >= voters_quorum(v);
}

/* The outbox only grows; running out of memory here would silently drop
 * an answer a client waits for, so it ends the process instead. */
static void proposer_push(struct proposer *p, struct proposer_out o)
{
    if (array_reserve(&p->out, &p->cap_out, p->n_out + 1) < 0)
        abort();
    p->out[p->n_out++] = o;
}

static void proposer_fail(struct proposer *p, void *token, const char *why,
                          bool maybe_chosen)
{
    proposer_push(p, (struct proposer_out){ .kind = PROPOSER_REPLY_FAILED,
                                            .token = token, .reason = why,
                                            .maybe_chosen = maybe_chosen });
}

/* A slot of the window; the caller knows it is inside. */
static struct proposer_slot *proposer_at(const struct proposer *p,
                                         uint64_t slot)
{
    return &p->log[slot - p->log_base];
}

static void proposer_slot_release(struct proposer_slot *s)
{
    while (s->waiters) {
        struct proposer_waiter *w = s->waiters;
        s->waiters = w->next;
        free(w);
    }
    pvalue_free(&s->value);
    memset(s, 0, sizeof(*s));
}

/* Grows the window so that it holds slot (>= log_base). */
static int proposer_reserve(struct proposer *p, uint64_t slot)
{
    uint64_t cap = p->log_cap ? p->log_cap : 1024;
    struct proposer_slot *grown;

    if (slot - p->log_base < p->log_cap)
        return 0;
    while (cap <= slot - p->log_base)
        cap *= 2;
    grown = realloc(p->log, cap * sizeof(*grown));
    if (!grown)
        return -1;
    memset(grown + p->log_cap, 0, (cap - p->log_cap) * sizeof(*grown));
    p->log = grown;
    p->log_cap = cap;
    return 0;
}

/* Forgets the slots below base (> log_base), moving the window up. */
static void proposer_slide(struct proposer *p, uint64_t base)
{
    uint64_t drop = base - p->log_base;

    if (drop > p->log_cap)
        drop = p->log_cap;
    for (uint64_t i = 0; i < drop; i++)
        proposer_slot_release(&p->log[i]);
    memmove(p->log, p->log + drop, (p->log_cap - drop) * sizeof(*p->log));
    memset(p->log + p->log_cap - drop, 0, drop * sizeof(*p->log));
    p->log_base = base;
}

static int proposer_add_waiter(struct proposer_slot *s, void *token)
{
    struct proposer_waiter *w = malloc(sizeof(*w));

    if (!w)
        return -1;
    w->token = token;
    w->next = s->waiters;
    s->waiters = w;
    return 0;
}

/* Answers and forgets every waiter of s: chosen when why is NULL. */
static void proposer_answer_waiters(struct proposer *p, uint64_t slot,
                                    const char *why)
{
    struct proposer_slot *s = proposer_at(p, slot);

    while (s->waiters) {
        struct proposer_waiter *w = s->waiters;
        s->waiters = w->next;
        if (why)
            proposer_fail(p, w->token, why, true);
        else
            proposer_push(p, (struct proposer_out){
                .kind = PROPOSER_REPLY_CHOSEN, .token = w->token,
                .slot = slot, .ballot = p->ballot, .value = &s->value });
        free(w);
    }
}

int proposer_init(struct proposer *p, const struct proposer_settings *set,
                  int64_t now)
{
    memset(p, 0, sizeof(*p));
    p->set = *set;
    if (p->set.max_batches < 1 || p->set.max_batches > PROPOSER_MAX_BATCHES)
        p->set.max_batches = PROPOSER_MAX_BATCHES;
    if (p->set.n_seeds > VOTERS_MAX)
        p->set.n_seeds = VOTERS_MAX;
    memcpy(p->seeds, set->seeds, p->set.n_seeds * sizeof(p->seeds[0]));
    p->set.seeds = p->seeds;
    p->rng = (set->id + 1) * 0x9E3779B97F4A7C15ULL;
    p->state = PROPOSER_FOLLOWER;
    p->next_slot = 1;
    p->log_base = 1;
    idmap_aging_init(&p->ids, set->remember_ids_ms, PROPOSER_REMEMBER_IDS,
                     now);
    /* At start-up the lowest id stands first and the others three
     * timeouts apart (time for a first try and a retry), so a fresh
     * cluster elects proposer1 without a duel. */
    p->election_due = now + set->election_timeout_ms / 2 +
                      3 * (int64_t)set->rank * set->election_timeout_ms;
    return proposer_reserve(p, 1);
}

/* Fails everything this proposer promised to finish as leader. */
static void proposer_fail_all(struct proposer *p, const char *why)
{
    for (uint64_t s = p->commit + 1;
         s < p->next_slot && s - p->log_base < p->log_cap; s++)
        proposer_answer_waiters(p, s, why);
    for (size_t i = 0; i < p->n_pending; i++) {
        proposer_fail(p, p->pending[i].token, why, false);
        pvalue_free(&p->pending[i].value);
    }
    p->n_pending = 0;
    for (size_t i = 0; i < p->n_reads; i++)
        proposer_fail(p, p->reads[i].token, why, false);
    p->n_reads = 0;
    p->confirm_round = 0;
    if (p->change.token)
        proposer_fail(p, p->change.token, why, p->change.slot != 0);
    p->change = (struct proposer_change){ 0 };
    p->boundary = 0;
    p->extending = false;
}

void proposer_free(struct proposer *p)
{
    for (uint64_t i = 0; i < p->log_cap; i++)
        proposer_slot_release(&p->log[i]);
    for (size_t i = 0; i < p->n_pending; i++)
        pvalue_free(&p->pending[i].value);
    free(p->log);
    idmap_aging_clear(&p->ids, 0);
    free(p->pending);
    free(p->reads);
    free(p->out);
    memset(p, 0, sizeof(*p));
}

static void proposer_step_down(struct proposer *p, uint32_t leader,
                               const char *why, int64_t now)
{
    if (p->state != PROPOSER_FOLLOWER)
        proposer_fail_all(p, why);
    p->state = PROPOSER_FOLLOWER;
    p->leader = leader == p->set.id ? 0 : leader;
    idmap_aging_clear(&p->ids, now);
    p->election_due = now + proposer_election_timeout(p);
}

/* Every ballot heard of raises what this proposer must beat; a higher
 * ballot than its own ends its candidacy or leadership. */
static void proposer_observe(struct proposer *p, struct ballot b, int64_t now)
{
    if (ballot_cmp(b, p->highest) > 0)
        p->highest = b;
    if (p->state != PROPOSER_FOLLOWER && ballot_cmp(b, p->ballot) > 0)
        proposer_step_down(p, b.node, "leadership lost to a higher ballot",
                           now);
}

/* Sends PREPARE for this proposer's ballot to an acceptor not asked yet
 * (all of them: the seeds and every voter known). */
static void proposer_ask(struct proposer *p, const struct node_info *to,
                         uint64_t from)
{
    for (size_t i = 0; i < p->n_asked; i++)
        if (p->asked[i] == to->id)
            return;
    if (p->n_asked == sizeof p->asked / sizeof p->asked[0])
        return;
    p->asked[p->n_asked++] = to->id;
    proposer_push(p, (struct proposer_out){ .kind = PROPOSER_SEND_PREPARE,
                                            .to = to, .ballot = p->ballot,
                                            .first = from });
}

static void proposer_ask_voters(struct proposer *p, const struct voters *v,
                                uint64_t from)
{
    for (size_t i = 0; i < v->n; i++)
        proposer_ask(p, &v->v[i].node, from);
}

static void proposer_start_election(struct proposer *p, int64_t now)
{
    p->elections++;
    p->state = PROPOSER_CANDIDATE;
    p->ballot = (struct ballot){ p->highest.round + 1, p->set.id };
    p->highest = p->ballot;
    p->leader = 0;
    p->n_promisers = 0;
    p->n_asked = 0;
    p->phase1_from = p->commit + 1;
    p->phase1_max = p->commit;
    p->phase1_commit = p->commit;
    p->phase1_cfg = p->cfg;
    /* The window starts afresh past the commit index. */
    proposer_slide(p, p->log_base + p->log_cap);
    p->log_base = p->phase1_from;
    p->election_due = now + proposer_election_timeout(p);
    for (size_t i = 0; i < p->set.n_seeds; i++)
        proposer_ask(p, &p->seeds[i], p->phase1_from);
    proposer_ask_voters(p, &p->cfg, p->phase1_from);
}

static void proposer_send_heartbeat(struct proposer *p, int64_t now)
{
    p->heartbeat_due = now + p->set.heartbeat_ms;
    proposer_push(p, (struct proposer_out){ .kind = PROPOSER_SEND_HEARTBEAT,
                                            .ballot = p->ballot });
}

/* The first valid configuration value in the window after slot after
 * (0: none), and in *made the configuration it makes after the one in
 * force. A configuration value that is not valid changes nothing (every
 * node reads it the same way). */
static uint64_t proposer_find_boundary(const struct proposer *p,
                                       uint64_t after, struct voters *made)
{
    for (uint64_t s = after + 1; s < p->next_slot; s++) {
        const struct proposer_slot *ps = proposer_get(p, s);
        if (ps && voters_from_value(&ps->value, s, &p->cfg, made) == 0)
            return s;
    }
    return 0;
}

/* Phase 1 is won: every slot a promise reported is proposed again with
 * its highest-ballot value; the gaps between them get no-ops. Slots up
 * to the highest commit index a promise reported are chosen already; the
 * configuration reported with it is in force after it. */
static void proposer_become_leader(struct proposer *p, int64_t now)
{
    uint64_t from = p->phase1_from;

    if (p->phase1_commit >= from) {
        from = p->phase1_commit + 1;
        p->commit = p->phase1_commit;
    }
    if (p->phase1_max < p->commit)
        p->phase1_max = p->commit;
    if (proposer_reserve(p, p->phase1_max + 1) < 0)
        return;                 /* stay a candidate: the next election retries */
    p->state = PROPOSER_LEADER;
    p->leader = p->set.id;
    p->phase1_from = from;
    p->cfg = p->phase1_cfg;
    idmap_aging_clear(&p->ids, now);
    for (uint64_t s = from; s <= p->phase1_max; s++) {
        struct pvalue *v = &proposer_at(p, s)->value;
        if (!pvalue_is_noop(v) && !voters_is_value(v))
            idmap_aging_put(&p->ids, v->client, v->seq, s);
    }
    p->next_slot = p->phase1_max + 1;
    p->sent_upto = from;
    p->n_batches = 0;
    p->announced = p->commit;
    p->trimmed = from - 1;
    p->progress_at = now;
    p->quorum_at = now;
    p->extending = false;
    p->boundary = proposer_find_boundary(p, p->commit, &p->next);
    proposer_send_heartbeat(p, now);
}

/* Records that acceptor `from` promised this ballot under member; false
 * when it did already. */
static bool proposer_note_promiser(struct proposer *p, uint32_t from,
                                   const char *member)
{
    struct proposer_promiser *x;

    for (size_t i = 0; i < p->n_promisers; i++)
        if (p->promisers[i].id == from &&
            strcmp(p->promisers[i].member, member) == 0)
            return false;
    if (p->n_promisers == sizeof p->promisers / sizeof p->promisers[0])
        return false;
    x = &p->promisers[p->n_promisers++];
    x->id = from;
    memcpy(x->member, member, sizeof x->member);
    return true;
}

/* Takes the values a promise reports for slots from `from` on: each slot
 * keeps the value with the highest ballot, and the slots past next_slot
 * (when extend) join the window as re-proposals, gaps as no-ops. Returns
 * 0, or -1 when out of memory (leading without a value reported could
 * overwrite a chosen one). */
static int proposer_adopt(struct proposer *p, const struct msg *promise,
                          uint64_t from, bool extend)
{
    const struct msg_entry *e = promise->entries;

    for (size_t i = 0; i < promise->n_entries; i++) {
        struct proposer_slot *s;
        struct pvalue copy;
        if (e[i].slot < from)
            continue;
        if (proposer_reserve(p, e[i].slot) < 0)
            return -1;
        s = proposer_at(p, e[i].slot);
        if (ballot_cmp(e[i].ballot, s->adopted) > 0) {
            if (pvalue_copy(&copy, &e[i].value) < 0)
                return -1;
            pvalue_free(&s->value);
            s->value = copy;
            s->adopted = e[i].ballot;
        }
        if (e[i].slot > p->phase1_max)
            p->phase1_max = e[i].slot;
        if (extend && e[i].slot >= p->next_slot)
            p->next_slot = e[i].slot + 1;
    }
    return 0;
}

/* The new voters promised: what comes after the change can be proposed.
 * A change a client asked for is answered. */
static void proposer_end_extension(struct proposer *p)
{
    p->extending = false;
    p->boundary = proposer_find_boundary(p, p->commit, &p->next);
    if (p->change.token && p->change.slot && p->commit >= p->change.slot) {
        proposer_push(p, (struct proposer_out){ .kind = PROPOSER_REPLY_CHANGED,
                                                .token = p->change.token,
                                                .slot = p->change.slot });
        p->change = (struct proposer_change){ 0 };
    }
}

/* The configuration value at the boundary is chosen: it is in force, and
 * its voters run Phase 1 for this ballot (those that did not promise it
 * yet) before anything after it is proposed. */
static void proposer_cross_boundary(struct proposer *p, int64_t now)
{
    p->cfg = p->next;
    p->boundary = 0;
    p->extending = true;
    p->extending_since = now;
    p->confirm_round = 0;       /* its acks counted the old voters */
    if (proposer_promised_quorum(p, &p->cfg)) {
        proposer_end_extension(p);
        return;
    }
    for (size_t i = 0; i < p->cfg.n; i++) {
        const struct voter *v = &p->cfg.v[i];
        bool promised = false;
        for (size_t k = 0; k < p->n_promisers; k++)
            promised |= p->promisers[k].id == v->node.id &&
                        strcmp(p->promisers[k].member, v->member) == 0;
        if (!promised)
            proposer_push(p, (struct proposer_out){
                .kind = PROPOSER_SEND_PREPARE, .to = &v->node,
                .ballot = p->ballot, .first = p->commit + 1 });
    }
}

void proposer_on_promise(struct proposer *p, uint32_t from,
                         struct ballot sent, const struct msg *promise,
                         int64_t now)
{
    if (!promise->ok) {
        proposer_observe(p, promise->ballot, now);
        return;
    }
    if (p->state == PROPOSER_FOLLOWER || ballot_cmp(sent, p->ballot) != 0 ||
        !proposer_note_promiser(p, from, promise->member))
        return;
    if (promise->cluster[0])
        memcpy(p->cluster, promise->cluster, sizeof p->cluster);
    if (p->state == PROPOSER_LEADER) {
        /* A late promise, or one of the new voters: its reports matter
         * only for the slots held back after a configuration value. The
         * value at the boundary and those before it were settled by
         * Phase 1's quorum: one with a higher ballot taken now could
         * replace the configuration the leader is about to cross into. */
        uint64_t held = p->boundary + 1 > p->sent_upto ? p->boundary + 1
                                                       : p->sent_upto;
        if ((p->boundary || p->extending) &&
            proposer_adopt(p, promise, held, true) < 0)
            proposer_step_down(p, 0, "out of memory in phase 1", now);
        else if (p->extending && proposer_promised_quorum(p, &p->cfg))
            proposer_end_extension(p);
        return;
    }
    if (promise->config &&
        (promise->commit > p->phase1_commit ||
         promise->config->epoch > p->phase1_cfg.epoch)) {
        if (promise->commit > p->phase1_commit) {
            p->phase1_commit = promise->commit;
            /* Slots up to it are chosen: the window starts after them, so
             * a proposer far behind does not reserve the log it missed. */
            if (p->phase1_commit >= p->log_base)
                proposer_slide(p, p->phase1_commit + 1);
        }
        p->phase1_cfg = *promise->config;
        proposer_ask_voters(p, &p->phase1_cfg, p->phase1_from);
    }
    if (proposer_adopt(p, promise, p->phase1_commit + 1 > p->phase1_from
                                       ? p->phase1_commit + 1
                                       : p->phase1_from, false) < 0) {
        proposer_step_down(p, 0, "out of memory in phase 1", now);
        return;
    }
    if (proposer_promised_quorum(p, &p->phase1_cfg))
        proposer_become_leader(p, now);
}

static void proposer_mark_chosen(struct proposer *p, uint64_t slot)
{
    proposer_at(p, slot)->chosen = true;
    p->chosen_total++;
    p->noops_total += pvalue_is_noop(&proposer_at(p, slot)->value);
    proposer_answer_waiters(p, slot, NULL);
}

void proposer_on_accepted(struct proposer *p, uint32_t from,
                          const char *member, struct ballot sent, bool ok,
                          struct ballot promised, uint64_t first,
                          uint64_t count, int64_t now)
{
    uint64_t end = first + count;
    int acceptor;

    if (!ok) {
        proposer_observe(p, promised, now);
        return;
    }
    acceptor = voters_find(&p->cfg, from, member);
    if (p->state != PROPOSER_LEADER || ballot_cmp(sent, p->ballot) != 0 ||
        acceptor < 0)
        return;
    if (end > p->next_slot)
        end = p->next_slot;
    for (uint64_t s = first > p->commit ? first : p->commit + 1; s < end; s++) {
        struct proposer_slot *sl = proposer_at(p, s);
        if (sl->chosen)
            continue;
        sl->acks |= 1u << acceptor;
        if (proposer_has_quorum(p, sl->acks))
            proposer_mark_chosen(p, s);
    }
    while (p->commit + 1 < p->next_slot &&
           proposer_at(p, p->commit + 1)->chosen) {
        p->commit++;
        p->progress_at = now;
        p->quorum_at = now;
    }
    if (p->boundary && p->commit >= p->boundary)
        proposer_cross_boundary(p, now);
}

static void proposer_start_confirm(struct proposer *p, int64_t now)
{
    p->confirm_round = ++p->rounds_started;
    p->confirm_acks = 0;
    p->confirm_sent_at = now;
    for (size_t i = 0; i < p->n_reads; i++)
        p->reads[i].round = p->confirm_round;
    proposer_push(p, (struct proposer_out){ .kind = PROPOSER_SEND_CONFIRM,
                                            .ballot = p->ballot,
                                            .round = p->confirm_round });
}

void proposer_on_confirm(struct proposer *p, uint32_t from,
                         const char *member, struct ballot sent, bool ok,
                         struct ballot promised, uint64_t round, int64_t now)
{
    size_t kept = 0;
    int acceptor;

    if (!ok) {
        proposer_observe(p, promised, now);
        return;
    }
    acceptor = voters_find(&p->cfg, from, member);
    if (p->state != PROPOSER_LEADER || ballot_cmp(sent, p->ballot) != 0 ||
        round != p->confirm_round || acceptor < 0)
        return;
    p->confirm_acks |= 1u << acceptor;
    if (!proposer_has_quorum(p, p->confirm_acks))
        return;
    p->quorum_at = now;
    p->confirm_round = 0;
    for (size_t i = 0; i < p->n_reads; i++) {
        struct proposer_read *r = &p->reads[i];
        if (r->round == round)
            proposer_push(p, (struct proposer_out){
                .kind = PROPOSER_REPLY_READ, .token = r->token,
                .slot = r->index });
        else
            p->reads[kept++] = *r;
    }
    p->n_reads = kept;
}

void proposer_on_heartbeat(struct proposer *p, uint32_t from,
                           struct ballot b, uint64_t commit,
                           const struct voters *config, int64_t now)
{
    if (from == p->set.id || ballot_cmp(b, p->highest) < 0)
        return;                 /* a deposed leader: ignore it */
    proposer_observe(p, b, now);
    if (p->state != PROPOSER_FOLLOWER)
        return;
    p->leader = from;
    p->election_due = now + proposer_election_timeout(p);
    /* The commit index and the configuration in force after it go
     * together: a later Phase 1 starts after that index, under it. */
    if (commit > p->commit || (config && config->epoch > p->cfg.epoch)) {
        if (commit > p->commit)
            p->commit = commit;
        if (config)
            p->cfg = *config;
    }
}

/* How many slots from first (before end) one ACCEPT carries: at most
 * max_batch of them and max_batch_bytes of value, but at least one. */
static uint64_t proposer_batch_count(const struct proposer *p, uint64_t first,
                                     uint64_t end)
{
    size_t bytes = 0;
    uint64_t s = first;

    while (s < end && s - first < p->set.max_batch) {
        const struct pvalue *v = &proposer_at(p, s)->value;
        bytes += (v->data ? strlen(v->data) + strlen(v->client) : 0) + 64;
        if (s > first && bytes > p->set.max_batch_bytes)
            break;
        s++;
    }
    return s - first;
}

/* The slots [first, end) in batches, as ACCEPTs or as announcements. */
static void proposer_send_slots(struct proposer *p,
                                enum proposer_out_kind kind, uint64_t first,
                                uint64_t end)
{
    while (first < end) {
        uint64_t count = proposer_batch_count(p, first, end);
        proposer_push(p, (struct proposer_out){ .kind = kind,
                                                .ballot = p->ballot,
                                                .first = first,
                                                .count = count });
        first += count;
    }
}

/* Sends the slots given out since the last flush, in batches, while fewer
 * than max_batches batches wait for a quorum. Slots that must wait go in
 * a later, bigger batch: under load, fewer and bigger messages, and the
 * acceptors sync more slots at a time. */
static void proposer_send_new_slots(struct proposer *p)
{
    /* Nothing after a configuration value until it is chosen, and nothing
     * new until the voters it makes promised. */
    uint64_t end = p->extending ? p->sent_upto
                   : p->boundary ? p->boundary + 1 : p->next_slot;
    size_t done = 0;

    while (done < p->n_batches && p->batch_ends[done] <= p->commit + 1)
        done++;
    p->n_batches -= done;
    memmove(p->batch_ends, p->batch_ends + done,
            p->n_batches * sizeof(*p->batch_ends));
    while (p->sent_upto < end && p->n_batches < p->set.max_batches) {
        uint64_t count = proposer_batch_count(p, p->sent_upto, end);
        proposer_push(p, (struct proposer_out){ .kind = PROPOSER_SEND_ACCEPT,
                                                .ballot = p->ballot,
                                                .first = p->sent_upto,
                                                .count = count });
        p->sent_upto += count;
        p->batch_ends[p->n_batches++] = p->sent_upto;
    }
}

/* Sends again, in batches, the slots above the commit index that a
 * quorum has not accepted yet (at most max_in_flight of them). */
static void proposer_retransmit(struct proposer *p, int64_t now)
{
    p->retransmits++;
    p->progress_at = now;
    proposer_send_slots(p, PROPOSER_SEND_ACCEPT, p->commit + 1, p->sent_upto);
}

/* Forgets the first n waiting writes (answered or given a slot). */
static void proposer_shift_pending(struct proposer *p, size_t n)
{
    p->n_pending -= n;
    if (n && p->n_pending)
        memmove(p->pending, p->pending + n, p->n_pending * sizeof(*p->pending));
}

/* Fails the writes that waited too long for a slot (oldest first). */
static void proposer_expire_pending(struct proposer *p, int64_t now)
{
    size_t expired = 0;

    while (expired < p->n_pending &&
           now - p->pending[expired].since >= p->set.pending_timeout_ms) {
        proposer_fail(p, p->pending[expired].token,
                      "timed out waiting for a free slot", false);
        pvalue_free(&p->pending[expired].value);
        expired++;
    }
    proposer_shift_pending(p, expired);
}

void proposer_tick(struct proposer *p, int64_t now)
{
    if (p->state != PROPOSER_LEADER) {
        if (now >= p->election_due)
            proposer_start_election(p, now);
        return;
    }
    idmap_aging_tick(&p->ids, now);
    if (now - p->quorum_at > 2 * (int64_t)p->set.election_timeout_ms) {
        proposer_step_down(p, 0, "no quorum of acceptors answers", now);
        return;
    }
    if (p->extending &&
        now - p->extending_since > 2 * (int64_t)p->set.election_timeout_ms) {
        /* A new election asks every voter at once, with a higher ballot. */
        proposer_step_down(p, 0, "the new voters did not promise", now);
        return;
    }
    proposer_expire_pending(p, now);
    if (now >= p->heartbeat_due) {
        proposer_send_heartbeat(p, now);
        if (!p->confirm_round)      /* also proves a quorum still follows */
            proposer_start_confirm(p, now);
    }
    if (p->commit + 1 < p->sent_upto && now - p->progress_at >= proposer_retry_ms(p))
        proposer_retransmit(p, now);
    if (p->confirm_round && now - p->confirm_sent_at >= proposer_retry_ms(p))
        proposer_start_confirm(p, now);
}

/* Gives waiting writes the next free slots, within the in-flight bound. */
static void proposer_assign_slots(struct proposer *p)
{
    size_t taken = 0;

    if (p->boundary || p->extending || p->change.token)
        return;                 /* writes wait for the change */
    while (taken < p->n_pending &&
           p->next_slot - p->commit - 1 < p->set.max_in_flight &&
           proposer_reserve(p, p->next_slot) == 0) {
        struct proposer_pending *w = &p->pending[taken];
        struct proposer_slot *s = proposer_at(p, p->next_slot);
        if (proposer_add_waiter(s, w->token) < 0)
            break;
        s->value = w->value;
        /* Should this fail, a retry is proposed again: learners still
         * apply it once. */
        (void)idmap_aging_put(&p->ids, w->value.client, w->value.seq,
                              p->next_slot);
        p->next_slot++;
        taken++;
    }
    proposer_shift_pending(p, taken);
}

/* Frees the values of announced slots, but for the last few that /status
 * shows: nothing sends them again. Once half the window is such slots,
 * the window moves up past them, so a leader's memory does not grow with
 * the log. */
static void proposer_trim(struct proposer *p)
{
    while (p->trimmed + PROPOSER_KEEP_CHOSEN < p->announced)
        pvalue_free(&proposer_at(p, ++p->trimmed)->value);
    if (p->trimmed + 1 - p->log_base >= p->log_cap / 2)
        proposer_slide(p, p->trimmed + 1);
}

/* A change of the voters takes the next slot once every slot before it
 * is chosen; until then writes wait. */
static void proposer_place_change(struct proposer *p)
{
    struct proposer_slot *s;
    struct pvalue v;

    if (!p->change.token || p->change.slot || p->boundary || p->extending ||
        p->commit + 1 != p->next_slot || proposer_reserve(p, p->next_slot) < 0 ||
        voters_to_value(&p->change.target, &v) < 0)
        return;                 /* out of memory: the next turn tries again */
    s = proposer_at(p, p->next_slot);
    pvalue_free(&s->value);
    s->value = v;
    p->change.slot = p->next_slot++;
    p->boundary = p->change.slot;
    p->next = p->change.target;
    p->next.epoch = p->cfg.epoch + 1;
    p->next.first_slot = p->change.slot + 1;
}

void proposer_flush(struct proposer *p, int64_t now)
{
    if (p->state != PROPOSER_LEADER)
        return;
    proposer_trim(p);
    proposer_place_change(p);
    proposer_assign_slots(p);
    proposer_send_new_slots(p);
    /* The learners hear of chosen slots from the leader: one message per
     * batch, where each acceptor telling each learner would take six. */
    proposer_send_slots(p, PROPOSER_SEND_CHOSEN, p->announced + 1,
                        p->commit + 1);
    p->announced = p->commit;
    if (p->n_reads && !p->confirm_round)
        proposer_start_confirm(p, now);
}

enum proposer_submit_result proposer_submit(struct proposer *p,
                                            const struct pvalue *v,
                                            void *token, int64_t now)
{
    uint64_t slot;
    struct proposer_pending *w;

    if (p->state != PROPOSER_LEADER)
        return PROPOSER_NOT_LEADER;
    if (v->client && idmap_aging_get(&p->ids, v->client, v->seq, &slot) &&
        slot < p->next_slot) {
        if (slot <= p->commit || proposer_at(p, slot)->chosen) {
            proposer_push(p, (struct proposer_out){
                .kind = PROPOSER_REPLY_CHOSEN, .token = token, .slot = slot,
                .ballot = p->ballot, .value = v });
            return PROPOSER_QUEUED;
        }
        return proposer_add_waiter(proposer_at(p, slot), token) < 0
                   ? PROPOSER_NO_MEMORY : PROPOSER_QUEUED;
    }
    if (p->n_pending >= p->set.max_pending)
        return PROPOSER_BUSY;
    if (array_reserve(&p->pending, &p->cap_pending, p->n_pending + 1) < 0)
        return PROPOSER_NO_MEMORY;
    w = &p->pending[p->n_pending];
    if (pvalue_copy(&w->value, v) < 0)
        return PROPOSER_NO_MEMORY;
    w->token = token;
    w->since = now;
    p->n_pending++;
    return PROPOSER_QUEUED;
}

enum proposer_submit_result proposer_read(struct proposer *p, void *token)
{
    if (p->state != PROPOSER_LEADER)
        return PROPOSER_NOT_LEADER;
    if (p->n_reads >= p->set.max_pending)
        return PROPOSER_BUSY;
    if (array_reserve(&p->reads, &p->cap_reads, p->n_reads + 1) < 0)
        return PROPOSER_NO_MEMORY;
    /* Every write acknowledged so far, by this leader or one before it
     * (Phase 1 found those), sits below next_slot. */
    p->reads[p->n_reads++] = (struct proposer_read){
        .token = token, .index = p->next_slot - 1, .round = 0 };
    return PROPOSER_QUEUED;
}

const struct proposer_slot *proposer_get(const struct proposer *p,
                                         uint64_t slot)
{
    if (slot < p->log_base || slot - p->log_base >= p->log_cap)
        return NULL;
    return proposer_at(p, slot);
}

void proposer_out_clear(struct proposer *p)
{
    p->n_out = 0;
}

enum proposer_change_result proposer_change(struct proposer *p,
                                            enum voters_change change,
                                            uint32_t old,
                                            const struct voter *who,
                                            void *token, char *err,
                                            size_t errlen)
{
    if (p->state != PROPOSER_LEADER)
        return PROPOSER_CHANGE_NOT_LEADER;
    if (p->change.token || p->boundary || p->extending) {
        snprintf(err, errlen, "a configuration change is under way");
        return PROPOSER_CHANGE_BUSY;
    }
    if (voters_change(&p->cfg, change, old, who, &p->change.target, err,
                      errlen) < 0)
        return PROPOSER_CHANGE_INVALID;
    p->change.token = token;
    p->change.slot = 0;
    return PROPOSER_CHANGE_QUEUED;
}
