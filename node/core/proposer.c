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

/* A quorum of the voters v, as a mask of their indexes. */
static bool proposer_has_quorum(const struct voters *v, uint32_t mask)
{
    return v && (size_t)__builtin_popcount(mask) >= voters_quorum(v);
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

/* The slots a leader may have in flight: at most max_in_flight, and never
 * past commit + VOTERS_ALPHA (the voters of a slot further on may not be
 * known yet). The end of that range. */
static uint64_t proposer_flight_end(const struct proposer *p)
{
    uint64_t in_flight = p->set.max_in_flight < VOTERS_ALPHA
                             ? p->set.max_in_flight : VOTERS_ALPHA;

    return p->commit + 1 + in_flight;
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
    p->phase1_chain = p->chain;
    /* The window starts afresh past the commit index. */
    proposer_slide(p, p->log_base + p->log_cap);
    p->log_base = p->phase1_from;
    p->election_due = now + proposer_election_timeout(p);
    for (size_t i = 0; i < p->set.n_seeds; i++)
        proposer_ask(p, &p->seeds[i], p->phase1_from);
    for (size_t i = 0; i < p->chain.n; i++)
        proposer_ask_voters(p, &p->chain.c[i], p->phase1_from);
}

static void proposer_send_heartbeat(struct proposer *p, int64_t now)
{
    p->heartbeat_due = now + p->set.heartbeat_ms;
    proposer_push(p, (struct proposer_out){ .kind = PROPOSER_SEND_HEARTBEAT,
                                            .ballot = p->ballot });
}

/* Asks the voters of v that did not promise this ballot (again, when a
 * retry is due). */
static void proposer_ask_unpromised(struct proposer *p, const struct voters *v)
{
    for (size_t i = 0; i < v->n; i++) {
        bool promised = false;
        for (size_t k = 0; k < p->n_promisers; k++)
            promised |= p->promisers[k].id == v->v[i].node.id &&
                        strcmp(p->promisers[k].member, v->v[i].member) == 0;
        if (!promised)
            proposer_push(p, (struct proposer_out){
                .kind = PROPOSER_SEND_PREPARE, .to = &v->v[i].node,
                .ballot = p->ballot, .first = p->commit + 1 });
    }
}

/* The first slot decided by voters a quorum of which has not promised
 * this ballot yet: nothing from there on is proposed, and they are asked.
 * A leader has the promises of the voters in force after its commit index
 * (it won Phase 1 with them); later configurations need theirs before
 * their first slot. */
static void proposer_update_held(struct proposer *p, int64_t now)
{
    uint64_t held = UINT64_MAX;

    for (size_t i = 0; i < p->chain.n && held == UINT64_MAX; i++)
        if (!proposer_promised_quorum(p, &p->chain.c[i]))
            held = i ? p->chain.c[i].first_slot : p->commit + 1;
    if (held != UINT64_MAX && held != p->held_from) {
        p->held_since = now;
        proposer_ask_unpromised(p, chain_at(&p->chain, held));
    }
    p->held_from = held;
}

/* Phase 1 is won: every slot a promise reported is proposed again with
 * its highest-ballot value; the gaps between them get no-ops. Slots up
 * to the highest commit index a promise reported are chosen already; the
 * configurations reported with it are the ones after it. */
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
    p->chain = p->phase1_chain;
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
    p->held_from = 0;
    proposer_update_held(p, now);
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
 * keeps the value with the highest ballot; slots past next_slot (when
 * leading) join the window as re-proposals, gaps as no-ops. Returns 0, or
 * -1 when out of memory (leading without a value reported could overwrite
 * a chosen one). */
static int proposer_adopt(struct proposer *p, const struct msg *promise,
                          uint64_t from)
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
        if (p->state == PROPOSER_LEADER && e[i].slot >= p->next_slot)
            p->next_slot = e[i].slot + 1;
    }
    return 0;
}

/* A client's change is in force once every slot before its first is
 * chosen and its voters promised: answered. */
static void proposer_check_change(struct proposer *p)
{
    if (!p->change.token || !p->change.slot ||
        p->commit + 1 < p->change.target.first_slot ||
        p->held_from <= p->commit + 1)
        return;
    proposer_push(p, (struct proposer_out){ .kind = PROPOSER_REPLY_CHANGED,
                                            .token = p->change.token,
                                            .slot = p->change.slot });
    p->change = (struct proposer_change){ 0 };
}

/* After a commit or a promise: which slots wait for voters that did not
 * promise, and whether a client's change is in force now. */
static void proposer_recheck(struct proposer *p, int64_t now)
{
    proposer_update_held(p, now);
    proposer_check_change(p);
}

/* A promise to a leader: a late one, or from voters it asked before their
 * first slot (held_from). What they report counts only for the slots
 * nothing was proposed in yet. */
static void proposer_on_late_promise(struct proposer *p,
                                     const struct msg *promise, int64_t now)
{
    if (p->held_from != UINT64_MAX &&
        proposer_adopt(p, promise, p->held_from) < 0) {
        proposer_step_down(p, 0, "out of memory in phase 1", now);
        return;
    }
    proposer_recheck(p, now);
}

void proposer_on_promise(struct proposer *p, uint32_t from,
                         struct ballot sent, const struct msg *promise,
                         int64_t now)
{
    if (!promise->ok && p->state == PROPOSER_LEADER &&
        ballot_cmp(promise->ballot, p->ballot) == 0 &&
        ballot_cmp(sent, p->ballot) == 0 && p->change.slot &&
        p->commit >= p->change.slot) {
        /* It holds this very ballot: it accepted this leader's proposals.
         * For the voters of a change this leader made, that is enough:
         * nobody proposed in their slots before (docs/protocol.md). */
        if (proposer_note_promiser(p, from, promise->member))
            proposer_recheck(p, now);
        return;
    }
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
        proposer_on_late_promise(p, promise, now);
        return;
    }
    if (promise->chain && promise->chain->n &&
        (promise->commit > p->phase1_commit ||
         chain_newer(promise->chain, &p->phase1_chain))) {
        if (promise->commit > p->phase1_commit) {
            p->phase1_commit = promise->commit;
            /* Slots up to it are chosen: the window starts after them, so
             * a proposer far behind does not reserve the log it missed. */
            if (p->phase1_commit >= p->log_base)
                proposer_slide(p, p->phase1_commit + 1);
        }
        p->phase1_chain = *promise->chain;
        for (size_t i = 0; i < p->phase1_chain.n; i++)
            proposer_ask_voters(p, &p->phase1_chain.c[i], p->phase1_from);
    }
    if (proposer_adopt(p, promise, p->phase1_commit + 1 > p->phase1_from
                                       ? p->phase1_commit + 1
                                       : p->phase1_from) < 0) {
        proposer_step_down(p, 0, "out of memory in phase 1", now);
        return;
    }
    /* The voters in force after the commit index decide the first slots. */
    if (p->phase1_chain.n &&
        proposer_promised_quorum(p, &p->phase1_chain.c[0]))
        proposer_become_leader(p, now);
}

static void proposer_mark_chosen(struct proposer *p, uint64_t slot)
{
    proposer_at(p, slot)->chosen = true;
    p->chosen_total++;
    p->noops_total += pvalue_is_noop(&proposer_at(p, slot)->value);
    proposer_answer_waiters(p, slot, NULL);
}

/* The commit index reached slot: a configuration value there joins the
 * chain (its voters are asked in time). When the next slot is the first
 * of voters that did not promise, the leader waits for them from now on
 * (and steps down if that lasts). */
static void proposer_committed(struct proposer *p, uint64_t slot, int64_t now)
{
    struct proposer_slot *s = proposer_at(p, slot);
    const struct voters *in_force = chain_at(&p->chain, slot);
    uint64_t epoch = in_force ? in_force->epoch : 0;

    p->commit = slot;
    p->progress_at = now;
    p->quorum_at = now;
    if (p->commit + 1 == p->held_from)
        p->held_since = now;
    if (voters_is_value(&s->value) &&
        chain_take(&p->chain, &s->value, slot) < 0)
        proposer_step_down(p, 0, "too many configuration changes at once",
                           now);
    chain_advance(&p->chain, p->commit);
    /* A confirm round's acks are indexes of the voters in force: when
     * others come in force, those gathered so far do not count. */
    in_force = chain_at(&p->chain, p->commit + 1);
    if (in_force && in_force->epoch != epoch)
        p->confirm_acks = 0;
}

void proposer_on_accepted(struct proposer *p, uint32_t from,
                          const char *member, struct ballot sent, bool ok,
                          struct ballot promised, uint64_t first,
                          uint64_t count, int64_t now)
{
    uint64_t end = first + count;
    const struct voters *v;
    int acceptor;

    if (!ok) {
        proposer_observe(p, promised, now);
        return;
    }
    if (p->state != PROPOSER_LEADER || ballot_cmp(sent, p->ballot) != 0 ||
        end <= p->commit + 1)
        return;                 /* every slot of it is chosen already */
    /* A batch belongs to one configuration (proposer_batch_count). */
    v = chain_at(&p->chain, first > p->commit ? first : p->commit + 1);
    if (!v || (acceptor = voters_find(v, from, member)) < 0)
        return;
    if (end > p->next_slot)
        end = p->next_slot;
    for (uint64_t s = first > p->commit ? first : p->commit + 1; s < end; s++) {
        struct proposer_slot *sl = proposer_at(p, s);
        if (sl->chosen)
            continue;
        sl->acks |= 1u << acceptor;
        if (proposer_has_quorum(v, sl->acks))
            proposer_mark_chosen(p, s);
    }
    while (p->state == PROPOSER_LEADER && p->commit + 1 < p->next_slot &&
           proposer_at(p, p->commit + 1)->chosen)
        proposer_committed(p, p->commit + 1, now);
    if (p->state == PROPOSER_LEADER)
        proposer_recheck(p, now);
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
                                            .voters = chain_at(&p->chain,
                                                               p->commit + 1),
                                            .round = p->confirm_round });
}

void proposer_on_confirm(struct proposer *p, uint32_t from,
                         const char *member, struct ballot sent, bool ok,
                         struct ballot promised, uint64_t round, int64_t now)
{
    const struct voters *v;
    size_t kept = 0;
    int acceptor;

    if (!ok) {
        proposer_observe(p, promised, now);
        return;
    }
    v = chain_at(&p->chain, p->commit + 1);
    if (p->state != PROPOSER_LEADER || ballot_cmp(sent, p->ballot) != 0 ||
        round != p->confirm_round || !v ||
        (acceptor = voters_find(v, from, member)) < 0)
        return;
    p->confirm_acks |= 1u << acceptor;
    if (!proposer_has_quorum(v, p->confirm_acks))
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
                           const struct voters_chain *chain, int64_t now)
{
    if (from == p->set.id || ballot_cmp(b, p->highest) < 0)
        return;                 /* a deposed leader: ignore it */
    proposer_observe(p, b, now);
    if (p->state != PROPOSER_FOLLOWER)
        return;
    p->leader = from;
    p->election_due = now + proposer_election_timeout(p);
    /* The commit index and the configurations after it go together: a
     * later Phase 1 starts after that index, with them. */
    if (chain && chain->n &&
        (commit > p->commit || chain_newer(chain, &p->chain))) {
        if (commit > p->commit)
            p->commit = commit;
        p->chain = *chain;
    }
}

/* How many slots from first (before end) one ACCEPT carries: at most
 * max_batch of them and max_batch_bytes of value, but at least one; all
 * decided by the same voters. */
static uint64_t proposer_batch_count(const struct proposer *p, uint64_t first,
                                     uint64_t end)
{
    size_t bytes = 0;
    uint64_t s = first;

    for (size_t i = 0; i < p->chain.n; i++)
        if (p->chain.c[i].first_slot > first && p->chain.c[i].first_slot < end)
            end = p->chain.c[i].first_slot;

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
                                                .voters = chain_at(&p->chain,
                                                                   first),
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
    uint64_t end = p->next_slot;
    size_t done = 0;

    if (end > p->held_from)
        end = p->held_from;
    if (end > proposer_flight_end(p))
        end = proposer_flight_end(p);
    while (done < p->n_batches && p->batch_ends[done] <= p->commit + 1)
        done++;
    p->n_batches -= done;
    memmove(p->batch_ends, p->batch_ends + done,
            p->n_batches * sizeof(*p->batch_ends));
    while (p->sent_upto < end && p->n_batches < p->set.max_batches) {
        uint64_t count = proposer_batch_count(p, p->sent_upto, end);
        proposer_push(p, (struct proposer_out){
            .kind = PROPOSER_SEND_ACCEPT, .ballot = p->ballot,
            .voters = chain_at(&p->chain, p->sent_upto),
            .first = p->sent_upto, .count = count });
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
    if (p->held_from <= p->commit + 1) {
        /* Every slot before the new voters' first is chosen, and they do
         * not promise: a new election asks them all, with a higher
         * ballot. Checked first, as a blocked leader also stops hearing
         * a quorum, and this is the reason to give. */
        if (now - p->held_since > 2 * (int64_t)p->set.election_timeout_ms) {
            proposer_step_down(p, 0, "the new voters did not promise", now);
            return;
        }
        if (now - p->progress_at >= proposer_retry_ms(p)) {
            p->progress_at = now;
            proposer_ask_unpromised(p, chain_at(&p->chain, p->held_from));
        }
    }
    if (now - p->quorum_at > 2 * (int64_t)p->set.election_timeout_ms) {
        proposer_step_down(p, 0, "no quorum of acceptors answers", now);
        return;
    }
    proposer_expire_pending(p, now);
    if (now >= p->heartbeat_due) {
        proposer_send_heartbeat(p, now);
        if (!p->confirm_round && p->held_from > p->commit + 1)
            proposer_start_confirm(p, now); /* a quorum still follows */
    }
    if (p->commit + 1 < p->sent_upto && now - p->progress_at >= proposer_retry_ms(p))
        proposer_retransmit(p, now);
    /* Not while the voters in force did not promise (see proposer_flush):
     * the round waits for them. */
    if (p->confirm_round && p->held_from > p->commit + 1 &&
        now - p->confirm_sent_at >= proposer_retry_ms(p))
        proposer_start_confirm(p, now);
}

/* Gives the next free slot a value, within the in-flight bound and before
 * voters that did not promise; false when there is none. */
static struct proposer_slot *proposer_next_free(struct proposer *p)
{
    if (p->next_slot >= proposer_flight_end(p) ||
        p->next_slot >= p->held_from ||
        proposer_reserve(p, p->next_slot) < 0)
        return NULL;
    return proposer_at(p, p->next_slot);
}

/* Gives waiting writes the next free slots. */
static void proposer_assign_slots(struct proposer *p)
{
    struct proposer_slot *s;
    size_t taken = 0;

    while (taken < p->n_pending && (s = proposer_next_free(p))) {
        struct proposer_pending *w = &p->pending[taken];
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

/* True when a configuration value waits in the window (not chosen yet). */
static bool proposer_change_in_flight(const struct proposer *p)
{
    for (uint64_t s = p->commit + 1; s < p->next_slot; s++)
        if (voters_is_value(&proposer_at(p, s)->value))
            return true;
    return false;
}

/* A client's change takes the next free slot. */
static void proposer_place_change(struct proposer *p)
{
    struct proposer_slot *s;
    struct pvalue v;

    if (!p->change.token || p->change.slot || !(s = proposer_next_free(p)) ||
        voters_to_value(&p->change.target, &v) < 0)
        return;                 /* out of memory: the next turn tries again */
    pvalue_free(&s->value);
    s->value = v;
    p->change.slot = p->next_slot++;
    p->change.target.epoch = chain_last(&p->chain)->epoch + 1;
    p->change.target.first_slot = p->change.slot + VOTERS_ALPHA;
}

/* Once a change is chosen, the slots up to its first that writes leave
 * empty get no-ops, so that it is in force at once. Whoever made it: a
 * leader elected after the change was chosen fills them too. */
static void proposer_fill_for_change(struct proposer *p)
{
    uint64_t first;

    if (p->chain.n < 2)
        return;
    first = chain_last(&p->chain)->first_slot;
    while (p->next_slot < first && proposer_next_free(p))
        p->next_slot++;         /* a no-op: free slots hold none */
}

void proposer_flush(struct proposer *p, int64_t now)
{
    if (p->state != PROPOSER_LEADER)
        return;
    proposer_trim(p);
    proposer_place_change(p);
    proposer_assign_slots(p);
    proposer_fill_for_change(p);
    proposer_send_new_slots(p);
    /* The learners hear of chosen slots from the leader: one message per
     * batch, where each acceptor telling each learner would take six. */
    proposer_send_slots(p, PROPOSER_SEND_CHOSEN, p->announced + 1,
                        p->commit + 1);
    p->announced = p->commit;
    /* Nothing but PREPARE goes to voters that did not promise yet: an
     * ACCEPT would raise their promise to this ballot, and they would then
     * refuse its PREPARE. */
    if (p->n_reads && !p->confirm_round && p->held_from > p->commit + 1)
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
    /* One change at a time: the one before is in force, its voters promised. */
    if (p->change.token || p->chain.n != 1 || p->held_from != UINT64_MAX ||
        proposer_change_in_flight(p)) {
        snprintf(err, errlen, "a configuration change is under way");
        return PROPOSER_CHANGE_BUSY;
    }
    if (voters_change(&p->chain.c[0], change, old, who, &p->change.target,
                      err, errlen) < 0)
        return PROPOSER_CHANGE_INVALID;
    p->change.token = token;
    p->change.slot = 0;
    return PROPOSER_CHANGE_QUEUED;
}
