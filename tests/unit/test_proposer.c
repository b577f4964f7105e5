/* test_proposer.c -- the proposer's Multi-Paxos rules, run against
 * in-memory acceptors (the real acceptor and admission rules) with
 * messages delivered, delayed or dropped by the test; one or two
 * proposers share them.
 *
 * Three acceptors found the cluster; others start later and are admitted
 * through a configuration chosen in the log, which governs the slots
 * from VOTERS_ALPHA after its own on. Every run checks, besides what
 * each test asserts:
 *  - no two values are ever announced chosen for one slot;
 *  - a slot announced chosen was accepted by a quorum of the voters that
 *    govern it, each under its member identity (by the configurations
 *    announced chosen at least VOTERS_ALPHA slots before it);
 *  - a leader never has a slot past its commit index + VOTERS_ALPHA in
 *    flight; each ACCEPT goes to the voters that govern all its slots (a
 *    CONFIRM to those of the slot after the commit index), as the log
 *    says, and only when a quorum of them promised the leader's ballot;
 *    nothing at or past the first slot of voters that have not promised
 *    is sent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "core/acceptor.h"
#include "core/admission.h"
#include "core/proposer.h"

#define MAX_ACC 5               /* acceptors the simulation can hold */
#define N_FOUNDERS 3            /* acceptors 0..2 found the cluster */
#define TIMEOUT 300
#define MAX_ANSWERS 8192

/* Acceptor i is node 10 + i. */
static uint32_t acc_id(size_t i)
{
    return 10 + (uint32_t)i;
}

struct answer {
    enum proposer_out_kind kind;
    void *token;
    uint64_t slot;
    bool maybe_chosen;
    const char *reason;
};

/* A message on its way from a proposer to one acceptor, encoded when the
 * proposer's outbox was drained, as the daemon does: what it carries is
 * what the proposer knew then. */
struct wire {
    struct proposer *from;
    enum proposer_out_kind kind;
    struct ballot ballot;
    uint64_t first, count, round, commit;
    struct voters_chain chain;  /* the configurations after commit */
    struct voters voters;       /* ACCEPT, CONFIRM: who it goes to */
    struct msg_entry *entries;  /* owned copies */
    size_t to;                  /* acceptor index */
};

/* Slots announced chosen, with their values: a hash by slot. */
struct ledger_entry {
    uint64_t slot;              /* 0: free */
    struct pvalue value;
};

struct ledger {
    struct ledger_entry *e;
    size_t cap, n;
    uint64_t config_slots[64];  /* slots holding configuration values */
    size_t n_config_slots;
};

struct sim {
    struct node_info nodes[MAX_ACC];
    struct acceptor acc[MAX_ACC];
    bool started[MAX_ACC];
    unsigned generation[MAX_ACC];   /* data directories made so far */
    struct voters founding;
    struct voters_chain founded;    /* the founding configuration alone */
    struct acceptor_ready ready;    /* what an acceptor last decided */

    struct proposer_settings set;
    struct proposer p;              /* the proposer under test */
    struct proposer q;              /* a second one, once started */
    bool q_started, p_dead, q_dead; /* a dead one is neither ticked nor
                                       answered */
    uint64_t announced_upto[2];     /* chosen slots announced, in order */

    uint32_t reachable;         /* acceptors messages get to */
    uint32_t delayed;           /* acceptors messages wait for */
    struct wire *held;          /* messages waiting, in order */
    size_t n_held, cap_held;
    bool drop_accepts;          /* lose every ACCEPT with values */
    uint32_t accepts_lost;      /* acceptors every ACCEPT and CONFIRM to
                                   is lost for (PREPAREs still go) */
    bool deliver_heartbeats;    /* between the two proposers */
    int64_t now;
    struct answer answers[MAX_ANSWERS];
    size_t n_answers;
    size_t accepts_sent, prepares_sent, heartbeats_sent, confirms_sent;
    size_t prepares_to[MAX_ACC];
    struct ledger chosen;
    struct pvalue **submitted;  /* writes' values, kept while an answer in
                                   an outbox may borrow them */
    size_t n_submitted, cap_submitted;
};

static struct ballot B(uint32_t round, uint32_t node)
{
    return (struct ballot){ round, node };
}

/* ---- the ledger of chosen slots ---- */

static struct ledger_entry *ledger_find(struct ledger *l, uint64_t slot)
{
    if (!l->cap)
        return NULL;
    for (size_t i = slot & (l->cap - 1);; i = (i + 1) & (l->cap - 1))
        if (l->e[i].slot == slot || !l->e[i].slot)
            return &l->e[i];
}

static void ledger_grow(struct ledger *l)
{
    struct ledger old = *l;

    l->cap = old.cap ? 2 * old.cap : 1024;
    l->e = calloc(l->cap, sizeof(*l->e));
    assert_non_null(l->e);
    for (size_t i = 0; i < old.cap; i++)
        if (old.e[i].slot)
            *ledger_find(l, old.e[i].slot) = old.e[i];
    free(old.e);
}

static void ledger_free(struct ledger *l)
{
    for (size_t i = 0; i < l->cap; i++)
        pvalue_free(&l->e[i].value);
    free(l->e);
}

static const struct pvalue *ledger_get(struct ledger *l, uint64_t slot)
{
    struct ledger_entry *e = ledger_find(l, slot);

    return e && e->slot ? &e->value : NULL;
}

/* The configuration that governs slot, as announced: the founding one,
 * changed by each configuration value chosen at VOTERS_ALPHA slots or
 * more before it, in slot order. */
static struct voters governing(struct sim *s, uint64_t slot)
{
    struct voters cfg = s->founding;
    uint64_t after = 0;

    for (;;) {
        uint64_t next = UINT64_MAX;
        for (size_t i = 0; i < s->chosen.n_config_slots; i++) {
            uint64_t c = s->chosen.config_slots[i];
            if (c > after && c < next && c + VOTERS_ALPHA <= slot)
                next = c;
        }
        if (next == UINT64_MAX)
            return cfg;
        assert_int_equal(voters_from_value(ledger_get(&s->chosen, next), next,
                                           &cfg, &cfg), 0);
        after = next;
    }
}

/* Slot is chosen with value: never another one, and a quorum of the
 * voters governing it accepted it. */
static void ledger_chosen(struct sim *s, uint64_t slot, const struct pvalue *v)
{
    struct ledger_entry *e;
    struct voters cfg;
    size_t holding = 0;

    if (s->chosen.n + 1 > s->chosen.cap / 2)
        ledger_grow(&s->chosen);
    e = ledger_find(&s->chosen, slot);
    if (e->slot) {
        if (!pvalue_equal(&e->value, v))
            fail_msg("slot %llu chosen twice, with different values",
                     (unsigned long long)slot);
        return;
    }
    e->slot = slot;
    assert_int_equal(pvalue_copy(&e->value, v), 0);
    s->chosen.n++;
    if (voters_is_value(v)) {
        assert_true(s->chosen.n_config_slots < 64);
        s->chosen.config_slots[s->chosen.n_config_slots++] = slot;
    }
    cfg = governing(s, slot);
    for (size_t i = 0; i < cfg.n; i++) {
        size_t a = cfg.v[i].node.id - acc_id(0);
        const struct acceptor_slot *as;
        if (a >= MAX_ACC || !s->started[a] ||
            strcmp(s->acc[a].me.member, cfg.v[i].member) != 0)
            continue;
        as = acceptor_get(&s->acc[a], slot);
        holding += as && pvalue_equal(&as->value, v);
    }
    if (holding < voters_quorum(&cfg))
        fail_msg("slot %llu chosen with %zu of the %zu voters that govern it",
                 (unsigned long long)slot, holding, cfg.n);
}

/* ---- acceptors ---- */

static void member_of(const struct sim *s, size_t i, char *out)
{
    snprintf(out, MEMBER_ID_LEN + 1, "%08x%08x", 0xacc00000u + (unsigned)i,
             s->generation[i]);
}

/* A new data directory for acceptor i: a new member identity, not
 * admitted (what an acceptor that lost its disk has too). */
static void sim_new_directory(struct sim *s, size_t i)
{
    char member[MEMBER_ID_LEN + 1];

    if (s->started[i])
        acceptor_free(&s->acc[i]);
    s->generation[i]++;
    member_of(s, i, member);
    assert_int_equal(acceptor_init(&s->acc[i], acc_id(i), NULL, 0), 0);
    assert_int_equal(acceptor_new_member(&s->acc[i], member, &s->ready), 0);
    s->started[i] = true;
}

/* What every other started acceptor says of itself (GET /identity). */
static size_t sim_reports(struct sim *s, size_t self,
                          struct identity_report *out)
{
    size_t n = 0;

    for (size_t j = 0; j < MAX_ACC; j++) {
        const struct acceptor *a = &s->acc[j];
        if (j == self || !s->started[j])
            continue;
        out[n] = (struct identity_report){
            .id = acc_id(j), .commit = a->commit,
            .chain = a->me.cluster[0] ? &a->chain : NULL,
            .founding = a->me.cluster[0] ? &a->founding : NULL };
        memcpy(out[n].member, a->me.member, sizeof out[n].member);
        memcpy(out[n].cluster, a->me.cluster, sizeof out[n].cluster);
        n++;
    }
    return n;
}

/* Acceptor i asks the others who they are and takes what the admission
 * rules decide; returns the verdict. */
static enum admission_verdict sim_admit(struct sim *s, size_t i)
{
    struct identity_report reports[MAX_ACC];
    size_t n = sim_reports(s, i, reports);
    struct admission *decided = malloc(sizeof(*decided));
    enum admission_verdict verdict;

    assert_non_null(decided);
    admission_decide(&s->nodes[i], &s->acc[i].me, s->nodes, N_FOUNDERS,
                     reports, n, &(struct learners_report){ 0 }, decided);
    assert_int_equal(acceptor_admit(&s->acc[i], decided, &s->ready), 0);
    verdict = decided->verdict;
    free(decided);
    return verdict;
}

/* Acceptors 0..2 are new, found the cluster, and vote once a quorum of
 * them recorded it. */
static void sim_found(struct sim *s)
{
    struct identity_report reports[MAX_ACC];

    for (size_t i = 0; i < N_FOUNDERS; i++)
        sim_new_directory(s, i);
    assert_int_equal(sim_admit(s, 0), ADMISSION_FOUND);
    for (size_t i = 1; i < N_FOUNDERS; i++)
        assert_int_equal(sim_admit(s, i), ADMISSION_JOIN);
    for (size_t i = 0; i < N_FOUNDERS; i++) {
        size_t n = sim_reports(s, i, reports);
        assert_true(admission_quorum_recorded(&s->acc[i].founding,
                                              &s->acc[i].me, acc_id(i),
                                              reports, n));
        assert_int_equal(acceptor_activate(&s->acc[i], &s->ready), 0);
    }
    s->founding = s->acc[0].founding;
    chain_start(&s->founded, &s->founding);
}

/* Acceptor i's node and current member identity, as a voter. */
static struct voter sim_voter(const struct sim *s, size_t i)
{
    struct voter v = { .node = s->nodes[i] };

    memcpy(v.member, s->acc[i].me.member, sizeof v.member);
    return v;
}

/* The test's simulation, freed after the test even when it fails. */
static struct sim *sim_in_use;

static struct sim *sim_new(uint32_t id, int rank)
{
    struct sim *s = calloc(1, sizeof(*s));
    struct proposer_settings set = {
        .id = id, .heartbeat_ms = 100,
        .election_timeout_ms = TIMEOUT, .rank = rank, .max_batch = 512,
        .max_batch_bytes = 128 * 1024, .max_in_flight = 8192,
        .max_batches = 16,
        .max_pending = 100000, .pending_timeout_ms = 10000,
    };

    assert_non_null(s);
    for (size_t i = 0; i < MAX_ACC; i++) {
        s->nodes[i] = (struct node_info){ .id = acc_id(i),
                                          .role = ROLE_ACCEPTOR,
                                          .port = (uint16_t)(4001 + i) };
        snprintf(s->nodes[i].name, sizeof s->nodes[i].name, "acceptor%zu",
                 i + 1);
        snprintf(s->nodes[i].host, sizeof s->nodes[i].host, "127.0.0.1");
    }
    sim_found(s);
    s->reachable = (1u << MAX_ACC) - 1;
    s->now = 1000;
    set.seeds = s->nodes;
    set.n_seeds = N_FOUNDERS;
    s->set = set;
    assert_int_equal(proposer_init(&s->p, &set, s->now), 0);
    sim_in_use = s;
    return s;
}

/* A second proposer with id and rank, sharing the acceptors. */
static void sim_start_other(struct sim *s, uint32_t id, int rank)
{
    struct proposer_settings set = s->set;

    set.id = id;
    set.rank = rank;
    assert_int_equal(proposer_init(&s->q, &set, s->now), 0);
    s->q_started = true;
}

static void wire_free(struct wire *w)
{
    for (uint64_t k = 0; k < w->count; k++)
        pvalue_free(&w->entries[k].value);
    free(w->entries);
}

static void sim_free(struct sim *s)
{
    sim_in_use = NULL;
    proposer_free(&s->p);
    if (s->q_started)
        proposer_free(&s->q);
    for (size_t i = 0; i < MAX_ACC; i++)
        if (s->started[i])
            acceptor_free(&s->acc[i]);
    for (size_t i = 0; i < s->n_held; i++)
        wire_free(&s->held[i]);
    free(s->held);
    ledger_free(&s->chosen);
    for (size_t i = 0; i < s->n_submitted; i++) {
        pvalue_free(s->submitted[i]);
        free(s->submitted[i]);
    }
    free(s->submitted);
    acceptor_ready_free(&s->ready);
    free(s);
}

/* ---- delivery ---- */

static bool sim_heard(const struct sim *s, const struct proposer *p)
{
    return p == &s->p ? !s->p_dead : s->q_started && !s->q_dead;
}

/* The acceptor's own PROMISE (or refusal) goes back to the proposer; one
 * that is not admitted does not answer. */
static void deliver_prepare(struct sim *s, const struct wire *w)
{
    enum acceptor_verdict v = acceptor_prepare(&s->acc[w->to], w->ballot,
                                               w->first, &s->ready);

    assert_int_not_equal(v, ACCEPTOR_NO_MEMORY);
    if ((v == ACCEPTOR_OK || v == ACCEPTOR_STALE) && sim_heard(s, w->from))
        proposer_on_promise(w->from, acc_id(w->to), w->ballot, &s->ready.reply,
                            s->now);
}

static void deliver_accept(struct sim *s, const struct wire *w)
{
    enum acceptor_verdict v = acceptor_accept(&s->acc[w->to], w->ballot,
                                              w->entries, w->count, w->commit,
                                              &w->chain, &s->ready);
    struct ballot promised;
    bool ok = v == ACCEPTOR_OK;

    assert_int_not_equal(v, ACCEPTOR_NO_MEMORY);
    if ((v != ACCEPTOR_OK && v != ACCEPTOR_STALE) || !sim_heard(s, w->from))
        return;
    promised = ok ? w->ballot : s->ready.reply.ballot;
    if (w->kind == PROPOSER_SEND_CONFIRM)
        proposer_on_confirm(w->from, acc_id(w->to), s->ready.reply.member,
                            w->ballot, ok, promised, w->round, s->now);
    else
        proposer_on_accepted(w->from, acc_id(w->to), s->ready.reply.member,
                             w->ballot, ok, promised, w->first, w->count,
                             s->now);
}

static void deliver(struct sim *s, const struct wire *w)
{
    if (!s->started[w->to])
        return;
    if (w->kind == PROPOSER_SEND_PREPARE)
        deliver_prepare(s, w);
    else
        deliver_accept(s, w);
}

/* Sends w to acceptor to: delivered now, held back, or lost. */
static void sim_send(struct sim *s, const struct wire *w, size_t to)
{
    struct wire copy = *w;

    if (to >= MAX_ACC || !(s->reachable >> to & 1) ||
        (w->kind != PROPOSER_SEND_PREPARE && (s->accepts_lost >> to & 1)))
        return;
    copy.to = to;
    if (!(s->delayed >> to & 1)) {
        deliver(s, &copy);
        return;
    }
    copy.entries = calloc(w->count + 1, sizeof(*copy.entries));
    assert_non_null(copy.entries);
    for (uint64_t k = 0; k < w->count; k++) {
        copy.entries[k] = w->entries[k];
        assert_int_equal(pvalue_copy(&copy.entries[k].value,
                                     &w->entries[k].value), 0);
    }
    assert_int_equal(array_reserve(&s->held, &s->cap_held, s->n_held + 1), 0);
    s->held[s->n_held++] = copy;
}

static bool same_configuration(const struct voters *a, const struct voters *b)
{
    return a && b && a->epoch == b->epoch && voters_same(a, b);
}

/* True when a quorum of the voters v promised p's ballot. */
static bool promised_by_quorum(const struct proposer *p,
                               const struct voters *v)
{
    size_t promised = 0;

    for (size_t i = 0; i < p->n_promisers; i++)
        promised += voters_find(v, p->promisers[i].id,
                                p->promisers[i].member) >= 0;
    return promised >= voters_quorum(v);
}

/* What a leader may send, checked when its outbox is drained: an ACCEPT
 * of slots up to commit + VOTERS_ALPHA only, before the first slot of
 * voters that did not promise, all of them governed by the voters it
 * goes to (the log's), a quorum of which promised; a CONFIRM to the
 * voters in force, likewise. */
static void check_sent(struct sim *s, const struct proposer *p,
                       const struct proposer_out *o)
{
    uint64_t last = o->first + o->count - 1, first = o->first;
    struct voters logs;

    if (o->kind == PROPOSER_SEND_CONFIRM)
        first = last = p->commit + 1;
    if (last > p->commit + VOTERS_ALPHA)
        fail_msg("slot %llu in flight, the commit index is %llu",
                 (unsigned long long)last, (unsigned long long)p->commit);
    if (last >= p->held_from)
        fail_msg("slot %llu sent, voters from %llu did not promise",
                 (unsigned long long)last,
                 (unsigned long long)p->held_from);
    for (uint64_t u = first; u <= last; u++)
        if (!same_configuration(chain_at(&p->chain, u), o->voters))
            fail_msg("slot %llu sent to voters that do not govern it",
                     (unsigned long long)u);
    logs = governing(s, first);
    if (!same_configuration(&logs, o->voters))
        fail_msg("slot %llu sent to epoch %llu, the log says %llu",
                 (unsigned long long)first,
                 (unsigned long long)o->voters->epoch,
                 (unsigned long long)logs.epoch);
    if (!promised_by_quorum(p, o->voters))
        fail_msg("slot %llu sent to voters no quorum of which promised",
                 (unsigned long long)first);
}

/* The message an outbox entry makes, encoded now (see struct wire). */
static struct wire wire_of(struct proposer *p, const struct proposer_out *o)
{
    struct wire w = { .from = p, .kind = o->kind, .ballot = o->ballot,
                      .first = o->first, .round = o->round,
                      .commit = p->commit, .chain = p->chain };

    if (o->voters)
        w.voters = *o->voters;
    if (o->kind != PROPOSER_SEND_ACCEPT)
        return w;
    w.count = o->count;
    w.entries = calloc(o->count + 1, sizeof(*w.entries));
    assert_non_null(w.entries);
    for (uint64_t k = 0; k < o->count; k++) {
        const struct pvalue *v = &proposer_get(p, o->first + k)->value;
        w.entries[k].slot = o->first + k;
        assert_int_equal(pvalue_copy(&w.entries[k].value, v), 0);
    }
    return w;
}

static void sim_heartbeat(struct sim *s, struct proposer *from,
                          const struct proposer_out *o)
{
    struct proposer *to = from == &s->p ? &s->q : &s->p;

    s->heartbeats_sent++;
    if (s->deliver_heartbeats && sim_heard(s, to))
        proposer_on_heartbeat(to, from->set.id, o->ballot, from->commit,
                              &from->chain, s->now);
}

/* What p announces and answers: the ledger and the answers take them. */
static void sim_take_answers(struct sim *s, struct proposer *p,
                             const struct proposer_out *batch, size_t n)
{
    uint64_t *announced = &s->announced_upto[p == &s->p ? 0 : 1];

    for (size_t k = 0; k < n; k++) {
        const struct proposer_out *o = &batch[k];
        switch (o->kind) {
        case PROPOSER_SEND_CHOSEN:
            /* each slot once, in order, and only when chosen (a new
             * leader starts past the commit index it found) */
            assert_true(o->first > *announced);
            assert_true(o->first + o->count - 1 <= p->commit);
            for (uint64_t j = 0; j < o->count; j++) {
                const struct proposer_slot *ps = proposer_get(p, o->first + j);
                assert_non_null(ps);
                ledger_chosen(s, o->first + j, &ps->value);
            }
            *announced = o->first + o->count - 1;
            break;
        case PROPOSER_REPLY_CHOSEN:
            ledger_chosen(s, o->slot, o->value);
            /* fall through */
        case PROPOSER_REPLY_READ:
        case PROPOSER_REPLY_FAILED:
        case PROPOSER_REPLY_CHANGED:
            assert_true(s->n_answers < MAX_ANSWERS);
            s->answers[s->n_answers++] = (struct answer){
                o->kind, o->token, o->slot, o->maybe_chosen, o->reason };
            break;
        default:
            break;
        }
    }
}

/* Drains p's outbox as the daemon does: every message is encoded first,
 * then sent; the answers, delivered at once, may fill the outbox again. */
static void sim_run_one(struct sim *s, struct proposer *p)
{
    while (p->n_out) {
        size_t n = p->n_out, n_wires = 0;
        struct proposer_out *batch = malloc(n * sizeof(*batch));
        struct wire *wires = calloc(n, sizeof(*wires));

        assert_non_null(batch);
        assert_non_null(wires);
        memcpy(batch, p->out, n * sizeof(*batch));
        sim_take_answers(s, p, batch, n);
        for (size_t k = 0; k < n; k++) {
            const struct proposer_out *o = &batch[k];
            switch (o->kind) {
            case PROPOSER_SEND_PREPARE:
                s->prepares_sent++;
                wires[n_wires] = wire_of(p, o);
                wires[n_wires].to = o->to->id - acc_id(0);
                if (wires[n_wires].to < MAX_ACC)
                    s->prepares_to[wires[n_wires].to]++;
                n_wires++;
                break;
            case PROPOSER_SEND_ACCEPT:
                s->accepts_sent++;
                check_sent(s, p, o);
                if (!s->drop_accepts)
                    wires[n_wires++] = wire_of(p, o);
                break;
            case PROPOSER_SEND_CONFIRM:
                s->confirms_sent++;
                check_sent(s, p, o);
                wires[n_wires++] = wire_of(p, o);
                break;
            case PROPOSER_SEND_HEARTBEAT:
                sim_heartbeat(s, p, o);
                break;
            default:
                break;
            }
        }
        proposer_out_clear(p);
        free(batch);
        for (size_t k = 0; k < n_wires; k++) {
            const struct wire *w = &wires[k];
            if (w->kind == PROPOSER_SEND_PREPARE) {
                sim_send(s, w, w->to);
            } else {
                for (size_t i = 0; i < w->voters.n; i++)
                    sim_send(s, w, w->voters.v[i].node.id - acc_id(0));
            }
            wire_free(&wires[k]);
        }
        free(wires);
    }
}

static void sim_run(struct sim *s)
{
    while (s->p.n_out || (s->q_started && s->q.n_out)) {
        sim_run_one(s, &s->p);
        if (s->q_started)
            sim_run_one(s, &s->q);
    }
}

/* Delivers the messages held for the acceptors of mask, in order (their
 * answers go back at once, and what they make the proposers send goes
 * out); the others stay held. */
static void sim_release(struct sim *s, uint32_t mask)
{
    size_t kept = 0, n = s->n_held;
    struct wire *held = s->held;

    s->held = NULL;
    s->n_held = s->cap_held = 0;
    for (size_t i = 0; i < n; i++) {
        if (mask >> held[i].to & 1) {
            deliver(s, &held[i]);
            wire_free(&held[i]);
        } else {
            held[kept++] = held[i];
        }
    }
    for (size_t i = 0; i < kept; i++) {
        assert_int_equal(array_reserve(&s->held, &s->cap_held,
                                       s->n_held + 1), 0);
        s->held[s->n_held++] = held[i];
    }
    free(held);
    sim_run(s);
}

static void sim_advance(struct sim *s, int64_t ms)
{
    for (int64_t t = 0; t < ms; t += 10) {
        s->now += 10;
        if (!s->p_dead) {
            proposer_tick(&s->p, s->now);
            proposer_flush(&s->p, s->now);
        }
        if (s->q_started && !s->q_dead) {
            proposer_tick(&s->q, s->now);
            proposer_flush(&s->q, s->now);
        }
        sim_run(s);
    }
}

/* One loop turn of p: its waiting writes go out. */
static void sim_flush(struct sim *s, struct proposer *p)
{
    proposer_flush(p, s->now);
    sim_run(s);
}

static void sim_write_to(struct sim *s, struct proposer *p, const char *data,
                         uint64_t seq, void *token)
{
    struct pvalue v = { (char *)data, (char *)"9", seq }, *kept;

    assert_int_equal(array_reserve(&s->submitted, &s->cap_submitted,
                                   s->n_submitted + 1), 0);
    assert_non_null(kept = malloc(sizeof(*kept)));
    assert_int_equal(pvalue_copy(kept, &v), 0);
    assert_int_equal(proposer_submit(p, kept, token, s->now), PROPOSER_QUEUED);
    if (!p->n_out) {            /* nothing borrows it */
        pvalue_free(kept);
        free(kept);
        return;
    }
    s->submitted[s->n_submitted++] = kept;
}

static void sim_write(struct sim *s, const char *data, uint64_t seq,
                      void *token)
{
    sim_write_to(s, &s->p, data, seq, token);
}

static const struct answer *sim_answer(const struct sim *s, void *token)
{
    for (size_t i = 0; i < s->n_answers; i++)
        if (s->answers[i].token == token)
            return &s->answers[i];
    return NULL;
}

/* The answer token got: there must be one (the test's line says which
 * is missing). */
static const struct answer *answer_at(const struct sim *s, void *token,
                                      int line)
{
    const struct answer *a = sim_answer(s, token);

    if (!a)
        fail_msg("no answer yet at line %d", line);
    return a;
}

#define answer_of(s, token) answer_at(s, token, __LINE__)

/* p leads after an election among the reachable acceptors. */
static void sim_elect(struct sim *s)
{
    sim_advance(s, TIMEOUT);
    assert_int_equal(s->p.state, PROPOSER_LEADER);
}

static void test_lowest_rank_elects_itself_first(void **state)
{
    struct sim *s = sim_new(1, 0);

    sim_advance(s, TIMEOUT / 2 - 20);
    assert_int_equal(s->p.state, PROPOSER_FOLLOWER);
    sim_advance(s, 30);
    assert_int_equal(s->p.state, PROPOSER_LEADER);
    assert_int_equal(s->p.leader, 1);
    assert_int_equal(ballot_cmp(s->p.ballot, B(1, 1)), 0);
    assert_true(s->heartbeats_sent >= 1);
    sim_free(s);
}

static void test_no_quorum_no_leader(void **state)
{
    struct sim *s = sim_new(1, 0);

    s->reachable = 1;           /* one acceptor of three */
    sim_advance(s, 5 * TIMEOUT);
    assert_int_not_equal(s->p.state, PROPOSER_LEADER);
    assert_true(s->p.elections >= 2);   /* it keeps trying, higher each time */
    assert_true(s->p.ballot.round >= 2);
    s->reachable = 0x5;         /* two of three: a quorum */
    sim_advance(s, 5 * TIMEOUT);
    assert_int_equal(s->p.state, PROPOSER_LEADER);
    sim_free(s);
}

/* A promise of nothing from node `from` under member, for ballot sent,
 * reporting chain (NULL: none) after commit index 0. */
static void promise_from(struct sim *s, uint32_t from, const char *member,
                         struct ballot sent, const struct voters_chain *chain)
{
    struct msg m = { .type = MSG_PROMISE, .from = from, .ok = true,
                     .ballot = sent, .chain = (struct voters_chain *)chain };

    snprintf(m.member, sizeof m.member, "%s", member);
    memcpy(m.cluster, s->acc[0].me.cluster, sizeof m.cluster);
    proposer_on_promise(&s->p, from, sent, &m, s->now);
}

/* Acceptor i's empty promise for ballot sent. */
static void promise(struct sim *s, size_t i, struct ballot sent)
{
    promise_from(s, acc_id(i), s->acc[i].me.member, sent, &s->acc[i].chain);
}

static void test_promises_count_once_per_configured_acceptor(void **state)
{
    struct sim *s = sim_new(1, 0);

    s->reachable = 0;
    sim_advance(s, TIMEOUT);    /* candidate, nobody answered */
    assert_int_equal(s->p.state, PROPOSER_CANDIDATE);
    promise(s, 0, s->p.ballot);
    promise(s, 0, s->p.ballot);
    promise_from(s, 17, s->acc[1].me.member, s->p.ballot, &s->founded);
    assert_int_equal(s->p.state, PROPOSER_CANDIDATE);
    /* a promise for an older ballot of its own does not count either */
    promise(s, 1, B(s->p.ballot.round - 1, 1));
    assert_int_equal(s->p.state, PROPOSER_CANDIDATE);
    promise(s, 2, s->p.ballot);
    assert_int_equal(s->p.state, PROPOSER_LEADER);
    sim_free(s);
}

static void test_writes_batched_and_answered_when_chosen(void **state)
{
    struct sim *s = sim_new(1, 0);
    int tokens[3];

    sim_advance(s, TIMEOUT);
    s->reachable = 0;           /* hold the answers back */
    for (int i = 0; i < 3; i++)
        sim_write(s, "v", (uint64_t)i + 1, &tokens[i]);
    s->accepts_sent = 0;
    proposer_flush(&s->p, s->now);
    sim_run(s);
    assert_int_equal(s->accepts_sent, 1);   /* one ACCEPT for three writes */
    assert_null(sim_answer(s, &tokens[0])); /* nothing chosen, no answer */
    assert_int_equal(s->announced_upto[0], 0);     /* nor told the learners */
    s->reachable = 0x3;
    sim_advance(s, 400);        /* retransmitted, now to a quorum */
    for (int i = 0; i < 3; i++) {
        const struct answer *a = answer_of(s, &tokens[i]);
        assert_non_null(a);
        assert_int_equal(a->kind, PROPOSER_REPLY_CHOSEN);
        assert_int_equal(a->slot, (uint64_t)i + 1);
    }
    assert_int_equal(s->announced_upto[0], 3);  /* the learners hear */
    assert_int_equal(s->p.commit, 3);
    assert_string_equal(acceptor_get(&s->acc[1], 3)->value.data, "v");
    sim_free(s);
}

/* With one batch in flight, writes that arrive meanwhile wait and go
 * together in the next ACCEPT once it is chosen. */
static void test_batches_grow_while_one_is_in_flight(void **state)
{
    struct sim *s = sim_new(1, 0);
    int tokens[6];

    s->p.set.max_batches = 1;
    sim_advance(s, TIMEOUT);
    s->reachable = 0;
    sim_write(s, "v", 1, &tokens[0]);
    s->accepts_sent = 0;
    proposer_flush(&s->p, s->now);
    sim_run(s);
    for (int i = 1; i < 6; i++) {
        sim_write(s, "v", (uint64_t)i + 1, &tokens[i]);
        proposer_flush(&s->p, s->now);
        sim_run(s);
    }
    assert_int_equal(s->accepts_sent, 1);   /* the rest wait for slot 1 */
    s->reachable = 0x7;
    sim_advance(s, 400);                    /* slot 1 retransmitted, chosen */
    assert_int_equal(s->p.commit, 6);
    assert_int_equal(s->accepts_sent, 3);   /* slot 1 again, then 2..6 */
    for (int i = 0; i < 6; i++)
        assert_int_equal(answer_of(s, &tokens[i])->slot, (uint64_t)i + 1);
    sim_free(s);
}

static void test_pipelines_many_accepts(void **state)
{
    struct sim *s = sim_new(1, 0);
    static int tokens[1000];

    sim_advance(s, TIMEOUT);
    s->reachable = 0;
    for (int i = 0; i < 1000; i++)
        sim_write(s, "x", (uint64_t)i + 1, &tokens[i]);
    s->accepts_sent = 0;
    proposer_flush(&s->p, s->now);
    sim_run(s);
    assert_int_equal(s->accepts_sent, 2);   /* 512 a message, all in flight */
    assert_int_equal(s->p.next_slot, 1001);
    s->reachable = 0x7;
    sim_advance(s, 400);
    assert_int_equal(s->p.commit, 1000);
    assert_non_null(sim_answer(s, &tokens[999]));
    sim_free(s);
}

/* However many slots max_in_flight allows, a leader has none past its
 * commit index + VOTERS_ALPHA in flight: who decides a slot further on
 * may not be known yet. The writes beyond wait for a slot. */
static void test_in_flight_never_past_commit_plus_alpha(void **state)
{
    struct sim *s = sim_new(1, 0);
    static int tokens[3000];

    assert_true(s->p.set.max_in_flight > 2 * VOTERS_ALPHA);
    sim_elect(s);
    s->reachable = 0;
    for (int i = 0; i < 3000; i++)
        sim_write(s, "x", (uint64_t)i + 1, &tokens[i]);
    sim_flush(s, &s->p);
    assert_int_equal(s->p.next_slot, 1 + VOTERS_ALPHA);
    assert_int_equal(s->p.sent_upto, 1 + VOTERS_ALPHA);
    assert_int_equal(s->p.n_pending, 3000 - VOTERS_ALPHA);
    s->reachable = 0x7;
    sim_advance(s, 400);
    assert_int_equal(s->p.commit, 3000);
    assert_int_equal(answer_of(s, &tokens[2999])->slot, 3000);
    sim_free(s);
}

static void test_batches_bounded_by_bytes(void **state)
{
    struct sim *s = sim_new(1, 0);
    static char big[40 * 1024];
    static int tokens[10];

    memset(big, 'b', sizeof(big) - 1);
    sim_advance(s, TIMEOUT);
    s->reachable = 0;
    for (int i = 0; i < 10; i++)        /* 400 KiB, budget 128 KiB */
        sim_write(s, big, (uint64_t)i + 1, &tokens[i]);
    s->accepts_sent = 0;
    proposer_flush(&s->p, s->now);
    sim_run(s);
    assert_int_equal(s->accepts_sent, 4);   /* 3 + 3 + 3 + 1 values */
    s->reachable = 0x7;
    sim_advance(s, 400);
    assert_int_equal(s->p.commit, 10);
    sim_free(s);
}

static void test_write_waiting_too_long_for_a_slot_fails(void **state)
{
    struct sim *s = sim_new(1, 0);
    int tokens[5];

    sim_advance(s, TIMEOUT);
    s->p.set.max_in_flight = 4;
    s->drop_accepts = true;     /* the leader leads, nothing gets chosen */
    for (int i = 0; i < 5; i++)
        sim_write(s, "w", (uint64_t)i + 1, &tokens[i]);
    sim_advance(s, 9990);
    assert_null(sim_answer(s, &tokens[4]));
    sim_advance(s, 30);
    assert_int_equal(s->p.state, PROPOSER_LEADER);
    assert_int_equal(answer_of(s, &tokens[4])->kind, PROPOSER_REPLY_FAILED);
    assert_false(answer_of(s, &tokens[4])->maybe_chosen);
    assert_null(sim_answer(s, &tokens[0]));     /* proposed: still waiting */
    sim_free(s);
}

static void test_retried_write_keeps_its_slot(void **state)
{
    struct sim *s = sim_new(1, 0);
    int first, retry, late;

    sim_advance(s, TIMEOUT);
    s->reachable = 0;
    sim_write(s, "once", 42, &first);
    proposer_flush(&s->p, s->now);
    sim_run(s);
    sim_write(s, "once", 42, &retry);       /* same (client, seq) */
    s->reachable = 0x7;
    sim_advance(s, 400);
    assert_int_equal(answer_of(s, &first)->slot, 1);
    assert_int_equal(answer_of(s, &retry)->slot, 1);
    assert_int_equal(s->p.next_slot, 2);    /* proposed once */
    sim_write(s, "once", 42, &late);        /* after it was chosen */
    sim_run(s);
    assert_int_equal(answer_of(s, &late)->slot, 1);
    sim_free(s);
}

/* A leader's memory is a window over the slots in flight, whatever the
 * length of the log; a retry of a recent write still gets its slot. */
static void test_leader_memory_is_a_window(void **state)
{
    struct sim *s = sim_new(1, 0);
    uint64_t seq = 0, next;
    int token, retry;

    sim_advance(s, TIMEOUT);
    for (int round = 0; round < 200; round++) {
        for (int i = 0; i < 500; i++)
            sim_write(s, "v", ++seq, &token);
        sim_advance(s, 10);
        s->n_answers = 0;
    }
    sim_advance(s, 100);
    assert_int_equal(s->p.commit, 100000);
    assert_true(s->p.log_cap <= 16384);
    assert_true(s->p.log_base > 90000);
    assert_true(idmap_aging_len(&s->p.ids) <= 3 * 16384);
    next = s->p.next_slot;
    sim_write(s, "v", seq - 5000, &retry);
    sim_run(s);
    assert_int_equal(answer_of(s, &retry)->kind, PROPOSER_REPLY_CHOSEN);
    assert_int_equal(answer_of(s, &retry)->slot, seq - 5000);
    assert_int_equal(s->p.next_slot, next);
    sim_free(s);
}

static void test_new_leader_adopts_highest_ballot_and_fills_gaps(void **state)
{
    struct sim *s = sim_new(2, 1);
    struct msg_entry old = { .slot = 2, .value = { (char *)"old",
                                                   (char *)"9", 1 } };
    struct msg_entry newer = { .slot = 2, .value = { (char *)"newer",
                                                     (char *)"9", 2 } };
    struct msg_entry far = { .slot = 4, .value = { (char *)"far",
                                                   (char *)"9", 3 } };
    int token;

    /* Earlier leaders left: acceptor0 slot 2 "old" at 1.1, acceptor1
     * slot 2 "newer" at 2.3 and slot 4 "far"; nothing at slots 1 and 3. */
    acceptor_accept(&s->acc[0], B(1, 1), &old, 1, 0, NULL, &s->ready);
    acceptor_accept(&s->acc[1], B(2, 3), &newer, 1, 0, NULL, &s->ready);
    acceptor_accept(&s->acc[1], B(2, 3), &far, 1, 0, NULL, &s->ready);
    s->p.highest = B(2, 3);
    s->reachable = 0x3;         /* acceptor2 knows nothing and is away */
    sim_advance(s, 5 * TIMEOUT);
    assert_int_equal(s->p.state, PROPOSER_LEADER);
    assert_true(ballot_cmp(s->p.ballot, B(2, 3)) > 0);
    assert_string_equal(acceptor_get(&s->acc[0], 2)->value.data, "newer");
    assert_string_equal(acceptor_get(&s->acc[0], 4)->value.data, "far");
    assert_true(pvalue_is_noop(&acceptor_get(&s->acc[0], 1)->value));
    assert_true(pvalue_is_noop(&acceptor_get(&s->acc[0], 3)->value));
    assert_int_equal(s->p.commit, 4);
    sim_write(s, "next", 9, &token);
    sim_advance(s, 20);
    assert_int_equal(answer_of(s, &token)->slot, 5);
    sim_free(s);
}

/* The acceptors know slots 1..3 are chosen: a new leader starts after
 * them without being told their values again. */
static void test_new_leader_starts_above_acceptors_commit(void **state)
{
    struct sim *s = sim_new(2, 1);
    struct msg_entry e[3];
    int token;

    for (int k = 0; k < 3; k++)
        e[k] = (struct msg_entry){ .slot = (uint64_t)k + 1,
                                   .value = { (char *)"old", (char *)"9",
                                              (uint64_t)k + 1 } };
    for (int i = 0; i < N_FOUNDERS; i++)
        acceptor_accept(&s->acc[i], B(1, 1), e, 3, 3, NULL, &s->ready);
    sim_advance(s, 5 * TIMEOUT);
    assert_int_equal(s->p.state, PROPOSER_LEADER);
    assert_int_equal(s->p.commit, 3);
    sim_write(s, "new", 9, &token);
    sim_advance(s, 20);
    assert_int_equal(answer_of(s, &token)->slot, 4);
    assert_string_equal(acceptor_get(&s->acc[0], 3)->value.data, "old");
    sim_free(s);
}

/* A proposer that missed millions of slots (a restart) leads from the
 * commit index the acceptors report, with a window of the slots above it
 * only, and proposes again what they accepted there. */
static void test_far_behind_proposer_leads_with_a_small_window(void **state)
{
    struct sim *s = sim_new(2, 1);
    struct msg_entry e = { .slot = 3000001,
                           .value = { (char *)"old", (char *)"9", 1 } };
    int token;

    for (int i = 0; i < N_FOUNDERS; i++) {
        acceptor_restore(&s->acc[i], &(struct acceptor_record){
            .kind = ACCEPTOR_RECORD_TRIM, .upto = 3000000 });
        assert_int_equal(acceptor_accept(&s->acc[i], B(1, 1), &e, 1, 3000000,
                                         NULL, &s->ready),
                         ACCEPTOR_OK);
    }
    sim_advance(s, 5 * TIMEOUT);
    assert_int_equal(s->p.state, PROPOSER_LEADER);
    assert_true(s->p.log_cap <= 4096);
    assert_true(s->p.commit >= 3000001);
    sim_write(s, "new", 9, &token);
    sim_advance(s, 20);
    assert_int_equal(answer_of(s, &token)->slot, 3000002);
    assert_string_equal(acceptor_get(&s->acc[0], 3000001)->value.data, "old");
    sim_free(s);
}

static void test_higher_ballot_makes_leader_step_down(void **state)
{
    struct sim *s = sim_new(1, 0);
    int token;

    sim_advance(s, TIMEOUT);
    assert_int_equal(s->p.state, PROPOSER_LEADER);
    /* another proposer won Phase 1 at a higher ballot meanwhile */
    for (int i = 0; i < N_FOUNDERS; i++)
        acceptor_prepare(&s->acc[i], B(9, 3), 1, &s->ready);
    sim_write(s, "lost", 1, &token);
    sim_advance(s, 10);
    assert_int_equal(s->p.state, PROPOSER_FOLLOWER);
    assert_int_equal(s->p.leader, 3);
    assert_int_equal(answer_of(s, &token)->kind, PROPOSER_REPLY_FAILED);
    assert_true(answer_of(s, &token)->maybe_chosen);  /* it had a slot */
    assert_int_equal(proposer_submit(&s->p, &(struct pvalue){ (char *)"x",
                                     (char *)"9", 2 }, &token, s->now),
                     PROPOSER_NOT_LEADER);
    sim_free(s);
}

static void test_heartbeats_keep_follower_and_stale_ones_are_ignored(
    void **state)
{
    struct sim *s = sim_new(2, 1);

    for (int i = 0; i < 20; i++) {
        proposer_on_heartbeat(&s->p, 1, B(4, 1), 17, &s->founded, s->now);
        sim_advance(s, 100);
    }
    assert_int_equal(s->p.state, PROPOSER_FOLLOWER);
    assert_int_equal(s->p.leader, 1);
    assert_int_equal(s->p.commit, 17);
    proposer_on_heartbeat(&s->p, 3, B(3, 3), 20, &s->founded,
                          s->now);              /* a deposed leader's */
    assert_int_equal(s->p.leader, 1);
    assert_int_equal(s->p.commit, 17);
    sim_advance(s, 2 * TIMEOUT);        /* the leader went silent */
    assert_int_equal(s->p.state, PROPOSER_LEADER);
    assert_int_equal(ballot_cmp(s->p.ballot, B(5, 2)), 0);
    assert_int_equal(s->p.phase1_from, 18);     /* known-chosen skipped */
    sim_free(s);
}

static void test_read_waits_for_quorum_confirmation(void **state)
{
    struct sim *s = sim_new(1, 0);
    int w, r;

    sim_advance(s, TIMEOUT);
    sim_write(s, "a", 1, &w);
    sim_advance(s, 10);
    s->reachable = 0x1;
    assert_int_equal(proposer_read(&s->p, &r), PROPOSER_QUEUED);
    sim_advance(s, 50);
    assert_null(sim_answer(s, &r));     /* one acceptor cannot confirm */
    s->reachable = 0x7;
    sim_advance(s, 400);
    assert_int_equal(answer_of(s, &r)->kind, PROPOSER_REPLY_READ);
    assert_int_equal(answer_of(s, &r)->slot, 1);
    sim_free(s);
}

/* A proposer restarted without memory starts from round 0 again. The
 * ballot it led with before may hold accepted values, so it must not
 * lead with that ballot again. */
static void test_restarted_proposer_never_reuses_its_ballot(void **state)
{
    struct sim *s = sim_new(1, 0);
    int x, y;

    sim_advance(s, TIMEOUT);
    assert_int_equal(ballot_cmp(s->p.ballot, B(1, 1)), 0);
    s->reachable = 0x1;
    sim_write(s, "X", 1, &x);
    sim_advance(s, 10);         /* X reached acceptor0 only, then a crash */
    assert_string_equal(acceptor_get(&s->acc[0], 1)->value.data, "X");
    proposer_free(&s->p);
    assert_int_equal(proposer_init(&s->p, &s->set, s->now), 0);
    s->reachable = 0x6;
    sim_advance(s, 5 * TIMEOUT);
    assert_int_equal(s->p.state, PROPOSER_LEADER);
    assert_true(ballot_cmp(s->p.ballot, B(1, 1)) > 0);
    sim_write(s, "Y", 2, &y);
    sim_advance(s, 20);
    assert_int_equal(answer_of(s, &y)->slot, 1);
    /* Y is chosen under a new ballot, never under X's */
    assert_true(ballot_cmp(acceptor_get(&s->acc[1], 1)->ballot, B(1, 1)) > 0);
    sim_free(s);
}

static void test_leader_cut_off_from_acceptors_steps_down(void **state)
{
    struct sim *s = sim_new(1, 0);

    sim_advance(s, TIMEOUT);
    assert_int_equal(s->p.state, PROPOSER_LEADER);
    s->reachable = 0x1;
    sim_advance(s, 2 * TIMEOUT + 50);
    assert_int_not_equal(s->p.state, PROPOSER_LEADER);
    sim_free(s);
}

/* ---- configurations ---- */

/* The first slot a change chosen at slot governs. */
#define FIRST_AFTER(slot) ((slot) + VOTERS_ALPHA)

static void sim_change(struct proposer *p, enum voters_change change,
                       uint32_t old, const struct voter *who, void *token)
{
    char err[160] = "";
    enum proposer_change_result r = proposer_change(p, change, old, who, token,
                                                    err, sizeof err);

    if (r != PROPOSER_CHANGE_QUEUED)
        fail_msg("change refused (%d): %s", (int)r, err);
}

static enum proposer_change_result try_change(struct proposer *p,
                                              enum voters_change change,
                                              uint32_t old,
                                              const struct voter *who,
                                              void *token)
{
    char err[160];

    return proposer_change(p, change, old, who, token, err, sizeof err);
}

/* An ACCEPTED for slot under p's ballot, from node `from` under member,
 * that no acceptor sent: a node counted under the wrong identity would
 * make it count. */
static void forged_accepted(struct sim *s, struct proposer *p, uint32_t from,
                            const char *member, uint64_t slot)
{
    proposer_on_accepted(p, from, member, p->ballot, true, p->ballot, slot, 1,
                         s->now);
}

static bool is_config_at(struct sim *s, uint64_t slot)
{
    const struct pvalue *v = ledger_get(&s->chosen, slot);

    return v && voters_is_value(v);
}

/* Acceptor i asks the others who they are and joins: one of them knows a
 * configuration that names it (it took the leader's chain). */
static void sim_join(struct sim *s, size_t i)
{
    assert_int_equal(sim_admit(s, i), ADMISSION_JOIN);
    assert_true(s->acc[i].me.active);
}

/* Growing from 3 to 4 voters, acceptor 2 down (the leader has the
 * promises of 0 and 1): the change is chosen by two founders, the slots
 * up to its first are filled and chosen, and the leader asks the joiner
 * for its promise (3 of the 4 must have promised). Until the joiner,
 * admitted, promises, the change is not answered, nothing is proposed
 * from its first slot on, and no read is confirmed (nothing but PREPARE
 * goes to the new voters). From then on a slot needs 3 of the 4
 * voters, the joiner's among them, and no vote counts from a node that
 * is no voter or votes under a member identity the configuration does
 * not name. */
static void test_grow_3_to_4_needs_3_of_the_4_voters(void **state)
{
    struct sim *s = sim_new(1, 0);
    const uint64_t first = FIRST_AFTER(2);
    struct voter joiner;
    size_t confirms;
    int one, change, two, read, three;

    sim_new_directory(s, 3);
    joiner = sim_voter(s, 3);
    s->reachable = 0x3;
    sim_elect(s);
    s->reachable = 0xb;
    sim_write(s, "one", 1, &one);
    sim_advance(s, 10);
    assert_int_equal(answer_of(s, &one)->slot, 1);

    sim_change(&s->p, VOTERS_ADD, 0, &joiner, &change);
    sim_advance(s, 20);
    assert_true(is_config_at(s, 2));
    assert_int_equal(s->p.commit, first - 1);
    assert_int_equal(s->p.held_from, first);
    assert_true(s->prepares_to[3] >= 1);        /* the joiner was asked */
    assert_null(sim_answer(s, &change));
    sim_write(s, "two", 2, &two);
    assert_int_equal(proposer_read(&s->p, &read), PROPOSER_QUEUED);
    confirms = s->confirms_sent;
    sim_advance(s, 50);
    assert_null(sim_answer(s, &two));           /* it waits */
    assert_int_equal(s->p.next_slot, first);
    assert_int_equal(s->confirms_sent, confirms);   /* so does the read */

    sim_join(s, 3);
    sim_advance(s, TIMEOUT);                    /* asked again */
    assert_int_equal(answer_of(s, &change)->kind, PROPOSER_REPLY_CHANGED);
    assert_int_equal(answer_of(s, &read)->kind, PROPOSER_REPLY_READ);
    assert_int_equal(answer_of(s, &change)->slot, 2);
    assert_int_equal(s->p.chain.n, 1);
    assert_int_equal(s->p.chain.c[0].epoch, 2);
    assert_int_equal(voters_find(&s->p.chain.c[0], acc_id(3), joiner.member),
                     3);
    assert_int_equal(answer_of(s, &two)->slot, first);
    assert_string_equal(acceptor_get(&s->acc[3], first)->value.data, "two");

    s->reachable = 0x3;                         /* 2 of the 4 */
    sim_write(s, "three", 3, &three);
    sim_advance(s, 50);
    assert_null(sim_answer(s, &three));
    forged_accepted(s, &s->p, acc_id(3), "ffffffffffffffff", first + 1);
    forged_accepted(s, &s->p, acc_id(2), s->acc[1].me.member, first + 1);
    forged_accepted(s, &s->p, acc_id(4), joiner.member, first + 1);
    assert_null(sim_answer(s, &three));
    s->reachable = 0xb;                         /* the joiner makes 3 */
    sim_advance(s, 400);
    assert_int_equal(answer_of(s, &three)->slot, first + 1);
    assert_null(acceptor_get(&s->acc[2], first + 1));
    sim_free(s);
}

/* Shrinking from 3 to 2 voters: acceptor 2 is removed by a change at
 * slot 2. Its votes count for the slots before the change's first
 * (acceptors 0 and 2 choose them while acceptor 1 is down), and no more
 * from that slot on: it gets none of those, and both remaining voters
 * are needed. */
static void test_shrink_removed_voter_counts_until_the_first_slot(
    void **state)
{
    struct sim *s = sim_new(1, 0);
    const uint64_t first = FIRST_AFTER(2);
    int one, change, after;

    sim_elect(s);
    sim_write(s, "one", 1, &one);
    sim_advance(s, 10);
    s->reachable = 0x5;                         /* acceptor 1 is down */
    sim_change(&s->p, VOTERS_REMOVE, acc_id(2), NULL, &change);
    sim_advance(s, 20);
    assert_true(is_config_at(s, 2));
    assert_int_equal(s->p.commit, first - 1);
    assert_non_null(acceptor_get(&s->acc[2], first - 1));
    assert_null(acceptor_get(&s->acc[1], first - 1));
    assert_int_equal(answer_of(s, &change)->kind, PROPOSER_REPLY_CHANGED);
    assert_int_equal(s->p.chain.c[0].n, 2);
    assert_int_equal(voters_find_node(&s->p.chain.c[0], acc_id(2)), -1);
    assert_int_equal(voters_quorum(&s->p.chain.c[0]), 2);

    sim_write(s, "after", 2, &after);
    sim_advance(s, 400);
    assert_null(sim_answer(s, &after));
    assert_null(acceptor_get(&s->acc[2], first));
    forged_accepted(s, &s->p, acc_id(2), s->acc[2].me.member, first);
    assert_null(sim_answer(s, &after));
    s->reachable = 0x3;
    sim_advance(s, 400);
    assert_int_equal(answer_of(s, &after)->slot, first);
    assert_null(acceptor_get(&s->acc[2], first));
    sim_free(s);
}

/* Acceptor 1 loses its disk: its new member identity does not vote
 * until a change names it in place of the old one (same node); from the
 * change's first slot on the new identity's votes count and the old
 * one's never again. */
static void test_wiped_acceptor_votes_again_only_under_its_new_identity(
    void **state)
{
    struct sim *s = sim_new(1, 0);
    const uint64_t first = FIRST_AFTER(3);
    char old_member[MEMBER_ID_LEN + 1];
    struct voter readmitted;
    int one, two, change, three, four;

    sim_elect(s);
    sim_write(s, "one", 1, &one);
    sim_advance(s, 10);
    memcpy(old_member, s->acc[1].me.member, sizeof old_member);
    sim_new_directory(s, 1);
    readmitted = sim_voter(s, 1);
    assert_int_equal(sim_admit(s, 1), ADMISSION_NOT_NAMED);

    s->reachable = 0x3;             /* acceptor 0 and the wiped one */
    sim_write(s, "two", 2, &two);
    sim_advance(s, 400);
    assert_null(sim_answer(s, &two));
    forged_accepted(s, &s->p, acc_id(1), readmitted.member, 2);
    assert_null(sim_answer(s, &two));
    s->reachable = 0x7;
    sim_advance(s, 400);
    assert_int_equal(answer_of(s, &two)->slot, 2);   /* by 0 and 2 */

    sim_change(&s->p, VOTERS_REPLACE, acc_id(1), &readmitted, &change);
    sim_advance(s, 20);
    assert_int_equal(answer_of(s, &change)->kind, PROPOSER_REPLY_CHANGED);
    assert_int_equal(answer_of(s, &change)->slot, 3);
    assert_int_equal(voters_find(&s->p.chain.c[0], acc_id(1),
                                 readmitted.member), 1);
    assert_int_equal(voters_find(&s->p.chain.c[0], acc_id(1), old_member),
                     -1);
    sim_join(s, 1);

    s->reachable = 0x3;             /* the new identity makes 2 of 3 */
    sim_write(s, "three", 3, &three);
    sim_advance(s, 10);
    assert_int_equal(answer_of(s, &three)->slot, first);
    assert_string_equal(acceptor_get(&s->acc[1], first)->value.data,
                        "three");

    s->reachable = 0x1;             /* the old identity counts no more */
    sim_write(s, "four", 4, &four);
    sim_advance(s, 50);
    forged_accepted(s, &s->p, acc_id(1), old_member, first + 1);
    assert_null(sim_answer(s, &four));
    sim_free(s);
}

/* Lamport's alpha: a change chosen at slot 2 governs from slot
 * 2 + VOTERS_ALPHA on. Growing to 4 voters with a joiner that is never
 * admitted, two founders still choose every slot before that (2 of the
 * 3 old voters, though 2 of the 4 new ones are no quorum); from it on,
 * 3 of the 4 are needed. */
static void test_slots_before_the_first_are_decided_by_the_old_voters(
    void **state)
{
    struct sim *s = sim_new(1, 0);
    const uint64_t first = FIRST_AFTER(2);
    struct voter joiner;
    int one, change, at_first;

    sim_new_directory(s, 3);
    joiner = sim_voter(s, 3);
    sim_elect(s);                   /* the three founders promised */
    sim_write(s, "one", 1, &one);
    sim_advance(s, 10);
    s->reachable = 0x3;
    sim_change(&s->p, VOTERS_ADD, 0, &joiner, &change);
    sim_advance(s, 20);
    assert_true(is_config_at(s, 2));
    assert_int_equal(s->p.commit, first - 1);
    assert_null(acceptor_get(&s->acc[2], first - 1));
    assert_int_equal(answer_of(s, &change)->kind, PROPOSER_REPLY_CHANGED);

    sim_write(s, "at first", 2, &at_first);
    sim_advance(s, 400);
    assert_null(sim_answer(s, &at_first));      /* 2 of the new 4 */
    s->reachable = 0x7;
    sim_advance(s, 400);
    assert_int_equal(answer_of(s, &at_first)->slot, first);
    sim_free(s);
}

/* An ACCEPT goes to the voters of its slots: with one batch in flight at
 * a time, the slots before a change's first and those from it on wait
 * together, and go in two ACCEPTs, one to the old voters and one to the
 * new (the run's checks fail otherwise). */
static void test_a_batch_belongs_to_one_configuration(void **state)
{
    struct sim *s = sim_new(1, 0);
    const uint64_t first = FIRST_AFTER(1);
    struct voter joiner;
    int change, write;

    sim_new_directory(s, 3);
    joiner = sim_voter(s, 3);
    sim_elect(s);
    s->p.set.max_batches = 1;
    sim_change(&s->p, VOTERS_ADD, 0, &joiner, &change);
    sim_flush(s, &s->p);                        /* chosen */
    sim_flush(s, &s->p);        /* the gap filled, its first batch sent */
    assert_true(s->p.sent_upto < first);
    sim_write(s, "w", 1, &write);
    sim_flush(s, &s->p);        /* the rest of the gap, then the write */
    assert_int_equal(s->p.next_slot, first + 1);
    assert_int_equal(s->p.sent_upto, first);
    sim_advance(s, 20);
    assert_int_equal(answer_of(s, &write)->slot, first);
    sim_free(s);
}

/* A change takes the next free slot; once it is chosen, the leader fills
 * the slots up to its first with no-ops (no write comes) and answers
 * once they are chosen: the change is in force within a round trip or
 * two, and not before. */
static void test_change_fills_the_gap_with_noops_and_is_answered(
    void **state)
{
    struct sim *s = sim_new(1, 0);
    const uint64_t first = FIRST_AFTER(1);
    struct voter joiner;
    int change;

    sim_new_directory(s, 3);
    joiner = sim_voter(s, 3);
    sim_elect(s);
    s->delayed = 0x6;               /* acceptors 1 and 2 are slow */
    sim_change(&s->p, VOTERS_ADD, 0, &joiner, &change);
    sim_flush(s, &s->p);
    assert_int_equal(s->p.change.slot, 1);
    sim_release(s, 0x2);            /* chosen by 0 and 1 */
    sim_flush(s, &s->p);
    assert_true(is_config_at(s, 1));
    assert_int_equal(s->p.next_slot, first);    /* the gap, filled */
    assert_int_equal(s->p.commit, 1);           /* and not chosen yet */
    assert_null(sim_answer(s, &change));

    s->delayed = 0;
    sim_release(s, 0x6);
    sim_flush(s, &s->p);
    assert_int_equal(s->p.commit, first - 1);
    for (uint64_t u = 2; u < first; u++)
        assert_true(pvalue_is_noop(ledger_get(&s->chosen, u)));
    assert_int_equal(answer_of(s, &change)->kind, PROPOSER_REPLY_CHANGED);
    assert_int_equal(answer_of(s, &change)->slot, 1);
    sim_free(s);
}

/* Writes go on during a change: the change takes the slot after a write
 * still in flight (it waits for nothing), the writes submitted after it
 * take the slots after it, under the old voters, and are chosen while
 * the change waits for the joiner's promise. */
static void test_writes_during_a_change_are_chosen(void **state)
{
    struct sim *s = sim_new(1, 0);
    struct voter joiner;
    int before, change, after[2];

    sim_new_directory(s, 3);
    joiner = sim_voter(s, 3);
    s->reachable = 0x3;
    sim_elect(s);
    s->reachable = 0;
    sim_write(s, "before", 1, &before);
    sim_flush(s, &s->p);
    sim_change(&s->p, VOTERS_ADD, 0, &joiner, &change);
    sim_flush(s, &s->p);
    assert_int_equal(s->p.change.slot, 2);      /* slot 1 is not chosen */
    sim_write(s, "after0", 2, &after[0]);
    sim_write(s, "after1", 3, &after[1]);
    s->reachable = 0xb;                         /* acceptor 2 is down */
    sim_advance(s, 400);                        /* sent again */
    assert_int_equal(answer_of(s, &before)->slot, 1);
    assert_int_equal(answer_of(s, &after[0])->slot, 3);
    assert_int_equal(answer_of(s, &after[1])->slot, 4);
    assert_true(is_config_at(s, 2));
    assert_null(sim_answer(s, &change));
    sim_join(s, 3);
    sim_advance(s, TIMEOUT);
    assert_int_equal(answer_of(s, &change)->kind, PROPOSER_REPLY_CHANGED);
    assert_true(answer_of(s, &after[1]) < answer_of(s, &change));
    sim_free(s);
}

/* A leader that led with the promises of 0 and 1 adds a joiner that is
 * never admitted. Acceptor 2 accepts the change's slot under the
 * leader's ballot, then refuses the PREPARE that asks it for its promise
 * as a voter of the new configuration: it holds that very ballot. Nobody
 * proposed in the new voters' slots before this leader's ballot, so the
 * refusal counts as its promise: 3 of the 4 promised, the change is
 * answered and writes go on from its first slot, long before the leader
 * would step down. */
static void test_voter_at_the_leaders_ballot_completes_its_change(void **state)
{
    struct sim *s = sim_new(1, 0);
    const uint64_t first = FIRST_AFTER(1);
    struct voter joiner;
    int change, write;

    sim_new_directory(s, 3);
    joiner = sim_voter(s, 3);
    s->reachable = 0x3;
    sim_elect(s);
    s->reachable = 0x7;
    sim_change(&s->p, VOTERS_ADD, 0, &joiner, &change);
    sim_advance(s, 20);
    assert_int_equal(ballot_cmp(s->acc[2].promised, s->p.ballot), 0);
    assert_true(s->prepares_to[2] >= 1);
    assert_int_equal(answer_of(s, &change)->kind, PROPOSER_REPLY_CHANGED);
    sim_write(s, "w", 1, &write);
    sim_advance(s, 10);
    assert_int_equal(answer_of(s, &write)->slot, first);
    assert_false(s->acc[3].me.active);
    sim_free(s);
}

/* Acceptor 2 is down throughout; the one promise the leader needs is the
 * joiner's, which is admitted only once the change is chosen (an
 * acceptor then reports a configuration naming it): the leader's first
 * request finds it not admitted. The leader asks again while it waits,
 * so the change completes, and a write submitted meanwhile is chosen at
 * the first slot. */
static void test_joiner_admitted_after_the_change_is_chosen_completes_it(
    void **state)
{
    struct sim *s = sim_new(1, 0);
    const uint64_t first = FIRST_AFTER(1);
    struct voter joiner;
    size_t asked;
    int change, write;

    sim_new_directory(s, 3);
    joiner = sim_voter(s, 3);
    s->reachable = 0xb;
    sim_elect(s);
    sim_change(&s->p, VOTERS_ADD, 0, &joiner, &change);
    sim_advance(s, 20);
    assert_true(is_config_at(s, 1));
    assert_int_equal(s->p.held_from, first);
    asked = s->prepares_to[3];
    assert_true(asked >= 1);
    sim_write(s, "w", 1, &write);
    sim_join(s, 3);
    sim_advance(s, TIMEOUT + 100);
    assert_true(s->prepares_to[3] > asked);
    assert_int_equal(answer_of(s, &change)->kind, PROPOSER_REPLY_CHANGED);
    assert_int_equal(answer_of(s, &write)->slot, first);
    assert_int_equal(s->p.state, PROPOSER_LEADER);
    sim_free(s);
}

/* A leader that cannot get the new voters' promises (acceptor 2 down,
 * the joiner never admitted) asks them again every retry period, then
 * steps down after two election timeouts: a new election, with a higher
 * ballot, asks every voter. The change fails (maybe chosen). */
static void test_leader_blocked_on_new_voters_steps_down(void **state)
{
    struct sim *s = sim_new(1, 0);
    struct voter joiner;
    size_t asked;
    int change;

    sim_new_directory(s, 3);
    joiner = sim_voter(s, 3);
    s->reachable = 0xb;
    sim_elect(s);
    sim_change(&s->p, VOTERS_ADD, 0, &joiner, &change);
    sim_advance(s, 20);
    asked = s->prepares_to[3];
    sim_advance(s, 2 * TIMEOUT - 50);
    assert_int_equal(s->p.state, PROPOSER_LEADER);
    assert_true(s->prepares_to[3] > asked);
    assert_null(sim_answer(s, &change));
    sim_advance(s, 100);
    assert_int_not_equal(s->p.state, PROPOSER_LEADER);
    assert_int_equal(answer_of(s, &change)->kind, PROPOSER_REPLY_FAILED);
    assert_true(answer_of(s, &change)->maybe_chosen);
    assert_string_equal(answer_of(s, &change)->reason,
                        "the new voters did not promise");
    sim_free(s);
}

/* A read's confirm round is in flight (its messages were lost) when the
 * leader gets blocked on new voters that did not promise: no CONFIRM
 * goes to them meanwhile (it would raise their promise to the leader's
 * ballot, and a leader that did not make the change could not get their
 * promise then); the read is answered once they promised. */
static void test_no_confirm_goes_to_voters_that_did_not_promise(void **state)
{
    struct sim *s = sim_new(1, 0);
    struct voter joiner;
    size_t confirms;
    int read, change;

    sim_new_directory(s, 3);
    joiner = sim_voter(s, 3);
    s->reachable = 0x3;
    sim_elect(s);
    s->reachable = 0;
    assert_int_equal(proposer_read(&s->p, &read), PROPOSER_QUEUED);
    sim_flush(s, &s->p);
    assert_true(s->p.confirm_round != 0);
    sim_advance(s, 100);
    s->reachable = 0xb;                         /* acceptor 2 is down */
    sim_change(&s->p, VOTERS_ADD, 0, &joiner, &change);
    sim_flush(s, &s->p);                        /* chosen */
    sim_flush(s, &s->p);                        /* the gap, filled */
    assert_int_equal(s->p.held_from, s->p.commit + 1);
    confirms = s->confirms_sent;
    sim_advance(s, TIMEOUT - 50);               /* a confirm retry is due */
    assert_int_equal(s->confirms_sent, confirms);
    assert_null(sim_answer(s, &read));
    sim_join(s, 3);
    sim_advance(s, TIMEOUT);
    assert_int_equal(answer_of(s, &change)->kind, PROPOSER_REPLY_CHANGED);
    assert_int_equal(answer_of(s, &read)->kind, PROPOSER_REPLY_READ);
    sim_free(s);
}

/* ---- a leader change during a change ---- */

/* Proposer p (id 1) leads; q (id 2) follows its heartbeats. */
static struct sim *sim_two_proposers(void)
{
    struct sim *s = sim_new(1, 0);

    sim_start_other(s, 2, 1);
    s->deliver_heartbeats = true;
    sim_elect(s);
    assert_int_equal(s->q.state, PROPOSER_FOLLOWER);
    assert_int_equal(s->q.leader, 1);
    return s;
}

/* q takes over from p, which is dead: q leads, within a few election
 * timeouts. */
static void sim_take_over(struct sim *s)
{
    int64_t until = s->now + 4 * TIMEOUT;

    s->p_dead = true;
    while (s->q.state != PROPOSER_LEADER && s->now < until)
        sim_advance(s, 10);
    assert_int_equal(s->q.state, PROPOSER_LEADER);
}

/* (a) p's change reached acceptor 0 only before p was cut off; q leads
 * with acceptors 1 and 2, which never saw it: the change is lost, q's
 * write takes its slot, nothing goes to the new voters (the joiner is
 * never even asked), and p, once it hears of q, fails the change (it had
 * a slot: maybe chosen, as far as p can tell). */
static void test_change_no_quorum_saw_is_lost_and_fails(void **state)
{
    struct sim *s = sim_two_proposers();
    struct voter joiner;
    int change, write;

    sim_new_directory(s, 3);
    joiner = sim_voter(s, 3);
    s->reachable = 0x1;
    sim_change(&s->p, VOTERS_ADD, 0, &joiner, &change);
    sim_flush(s, &s->p);
    assert_true(voters_is_value(&acceptor_get(&s->acc[0], 1)->value));
    s->reachable = 0x6;
    sim_take_over(s);
    sim_write_to(s, &s->q, "instead", 1, &write);
    sim_advance(s, 10);
    assert_int_equal(answer_of(s, &write)->slot, 1);
    assert_false(is_config_at(s, 1));

    s->p_dead = false;              /* p wakes up and hears q */
    s->reachable = 0xf;
    sim_advance(s, 200);
    assert_int_equal(s->p.state, PROPOSER_FOLLOWER);
    assert_int_equal(answer_of(s, &change)->kind, PROPOSER_REPLY_FAILED);
    assert_true(answer_of(s, &change)->maybe_chosen);
    assert_int_equal(s->q.chain.n, 1);
    assert_int_equal(s->q.chain.c[0].epoch, 1);
    assert_int_equal(s->prepares_to[3], 0);
    assert_string_equal(ledger_get(&s->chosen, 1)->data, "instead");
    sim_free(s);
}

/* (b) p's change was accepted by the founders (chosen), but p died
 * before it heard so. With acceptor 2 down, q finds it in Phase 1 and
 * proposes it again at its slot (no other change may start meanwhile,
 * nor while the new voters did not promise), asks the new voters, and
 * fills the slots up to the change's first with no-ops, as p would
 * have: the change is in force at once, not after a window of writes.
 * Writes from there on wait for the joiner's promise, asked for again
 * (the joiner was not admitted yet when first asked), and are chosen
 * then by 3 of the 4 voters, the joiner among them. */
static void test_new_leader_finishes_a_change_its_leader_did_not_see_chosen(
    void **state)
{
    struct sim *s = sim_two_proposers();
    const uint64_t first = FIRST_AFTER(1);
    struct voter joiner;
    int change, other, during, after;

    sim_new_directory(s, 3);
    joiner = sim_voter(s, 3);
    sim_change(&s->p, VOTERS_ADD, 0, &joiner, &change);
    proposer_flush(&s->p, s->now);
    s->p_dead = true;               /* its ACCEPT goes out, it hears nothing */
    sim_run(s);
    assert_int_equal(s->p.commit, 0);
    for (size_t i = 0; i < N_FOUNDERS; i++)
        assert_true(voters_is_value(&acceptor_get(&s->acc[i], 1)->value));

    s->reachable = 0xb;             /* acceptor 2 is down */
    s->accepts_lost = 0xf;          /* and q's first ACCEPTs are lost */
    sim_take_over(s);
    assert_true(voters_is_value(&proposer_get(&s->q, 1)->value));
    assert_int_equal(try_change(&s->q, VOTERS_REMOVE, acc_id(2), NULL,
                                &other), PROPOSER_CHANGE_BUSY);
    s->accepts_lost = 0;
    sim_write_to(s, &s->q, "during", 1, &during);
    sim_advance(s, 400);            /* slot 1 sent again, chosen */
    assert_true(is_config_at(s, 1));
    assert_int_equal(ballot_cmp(acceptor_get(&s->acc[0], 1)->ballot,
                                s->q.ballot), 0);
    assert_int_equal(answer_of(s, &during)->slot, 2);
    assert_int_equal(s->q.held_from, first);
    assert_true(s->prepares_to[3] >= 1);        /* the joiner was asked */
    assert_int_equal(try_change(&s->q, VOTERS_REMOVE, acc_id(2), NULL,
                                &other), PROPOSER_CHANGE_BUSY);

    assert_int_equal(s->q.commit, first - 1);   /* q filled the gap */

    sim_join(s, 3);
    sim_advance(s, 2 * TIMEOUT);
    assert_int_equal(s->q.held_from, UINT64_MAX);
    sim_write_to(s, &s->q, "after", 3, &after);
    sim_advance(s, 10);
    assert_int_equal(s->q.state, PROPOSER_LEADER);
    assert_int_equal(answer_of(s, &after)->slot, first);
    assert_string_equal(acceptor_get(&s->acc[3], first)->value.data,
                        "after");
    sim_free(s);
}

/* (c) q knew only the founding configuration when p grew it to 4 voters
 * and wrote under them (p sends q no heartbeat). The promises that
 * report the highest commit index give q the chain after it: the new
 * configuration is in force there, so q needs the promises of 3 of its 4
 * voters, not of 2 founders; then it leads and writes under them. */
static void test_candidate_needs_a_quorum_of_the_voters_in_force(
    void **state)
{
    struct sim *s = sim_two_proposers();
    const uint64_t first = FIRST_AFTER(1);
    struct voter joiner;
    int change, write, after;

    s->deliver_heartbeats = false;
    sim_new_directory(s, 3);
    joiner = sim_voter(s, 3);
    sim_change(&s->p, VOTERS_ADD, 0, &joiner, &change);
    sim_advance(s, 20);
    assert_int_equal(answer_of(s, &change)->kind, PROPOSER_REPLY_CHANGED);
    sim_join(s, 3);
    sim_write(s, "w", 1, &write);
    sim_advance(s, 10);
    assert_int_equal(answer_of(s, &write)->slot, first);
    assert_int_equal(s->q.chain.n, 1);
    assert_int_equal(s->q.chain.c[0].epoch, 1);     /* q heard nothing */

    s->p_dead = true;
    s->reachable = 0x3;             /* two founders: 2 of the 4 */
    sim_advance(s, 4 * TIMEOUT);
    assert_int_not_equal(s->q.state, PROPOSER_LEADER);
    assert_true(s->q.phase1_commit >= first - 1);
    assert_int_equal(s->q.phase1_chain.n, 1);
    assert_int_equal(s->q.phase1_chain.c[0].epoch, 2);
    s->reachable = 0xb;             /* and the joiner: 3 of the 4 */
    sim_advance(s, 4 * TIMEOUT);
    assert_int_equal(s->q.state, PROPOSER_LEADER);
    assert_int_equal(s->q.chain.c[0].epoch, 2);
    sim_write_to(s, &s->q, "after", 2, &after);
    sim_advance(s, 10);
    assert_int_equal(answer_of(s, &after)->slot, first + 1);
    assert_string_equal(acceptor_get(&s->acc[3], first + 1)->value.data,
                        "after");
    sim_free(s);
}

/* p replaced acceptor 0 by a joiner (slot 1: the old voters 0, 1, 2, the
 * new ones 1, 2 and the joiner, quorums of which need not meet) and got
 * a write chosen at the change's first slot by acceptor 2 and the joiner,
 * then died; acceptors 0 and 1 heard nothing past the change's gap. q
 * (no heartbeats) leads on their promises under the old voters and holds
 * the first slot back until the new voters promise: their promises
 * report the write, which q proposes again there, and its own write
 * takes the slot after. */
static void test_new_voters_report_what_was_chosen_from_their_first_slot(
    void **state)
{
    struct sim *s = sim_two_proposers();
    const uint64_t first = FIRST_AFTER(1);
    struct voter joiner;
    int change, write, later;

    s->deliver_heartbeats = false;
    sim_new_directory(s, 3);
    joiner = sim_voter(s, 3);
    sim_change(&s->p, VOTERS_REPLACE, acc_id(0), &joiner, &change);
    sim_flush(s, &s->p);                        /* chosen */
    sim_flush(s, &s->p);                        /* the gap, filled */
    assert_int_equal(answer_of(s, &change)->kind, PROPOSER_REPLY_CHANGED);
    sim_join(s, 3);
    s->reachable = 0xc;
    sim_write(s, "p's", 1, &write);
    sim_flush(s, &s->p);
    assert_int_equal(answer_of(s, &write)->slot, first);
    assert_int_equal(s->acc[1].commit, 1);

    s->reachable = 0x3;
    sim_take_over(s);
    assert_int_equal(s->q.held_from, first);
    sim_write_to(s, &s->q, "q's", 2, &later);
    s->reachable = 0xf;
    sim_advance(s, 2 * TIMEOUT);
    assert_string_equal(ledger_get(&s->chosen, first)->data, "p's");
    assert_int_equal(ballot_cmp(acceptor_get(&s->acc[1], first)->ballot,
                                s->q.ballot), 0);
    assert_int_equal(answer_of(s, &later)->slot, first + 1);
    sim_free(s);
}

/* Acceptor 2 is down. p adds a joiner: the change is chosen by 0 and 1,
 * p tells q in a heartbeat, then dies before any of its messages
 * carrying the new chain reached an acceptor. q leads on the promises of
 * 0 and 1 (the founding voters decide the slots up to the change's
 * first), fills those slots, and writes under the new voters once the
 * joiner, admitted, promised. */
static void test_leader_emerges_when_its_predecessor_dies_after_a_change(
    void **state)
{
    struct sim *s = sim_two_proposers();
    struct voter joiner;
    int change, write;

    sim_new_directory(s, 3);
    joiner = sim_voter(s, 3);
    s->reachable = 0xb;
    s->accepts_lost = 0x8;
    sim_change(&s->p, VOTERS_ADD, 0, &joiner, &change);
    sim_flush(s, &s->p);
    assert_int_equal(s->p.chain.n, 2);
    s->accepts_lost = 0xf;          /* p's next messages are lost */
    sim_advance(s, 100);            /* its heartbeat is not */
    assert_int_equal(s->q.chain.n, 2);
    assert_int_equal(s->acc[0].chain.n, 1);
    s->p_dead = true;
    s->accepts_lost = 0;
    for (int turns = 0; s->acc[0].chain.n < 2; turns++) {
        assert_true(turns < 4 * TIMEOUT / 10);
        sim_advance(s, 10);         /* q leads and sends the chain */
    }
    sim_join(s, 3);
    sim_advance(s, 4 * TIMEOUT);
    assert_int_equal(s->q.state, PROPOSER_LEADER);
    assert_int_equal(s->q.commit, FIRST_AFTER(1) - 1);
    sim_write_to(s, &s->q, "w", 1, &write);
    sim_advance(s, TIMEOUT);
    assert_int_equal(answer_of(s, &write)->kind, PROPOSER_REPLY_CHOSEN);
    assert_int_equal(answer_of(s, &write)->slot, FIRST_AFTER(1));
    sim_free(s);
}

/* Phase 1 after earlier leaders left a configuration value at acceptor 0
 * (ballot 1.1) and a write at acceptor 2 (ballot 2.2) in slot 1: the new
 * leader leads on the first two promises and proposes the change again;
 * the third promise, arriving once it leads, does not replace the value
 * it proposes (no quorum chose the write), and its chain is what the log
 * holds; it fills the slots up to the change's first. */
static void test_late_promise_does_not_replace_a_proposed_value(void **state)
{
    struct sim *s = sim_new(1, 0);
    struct voters grown = s->founding;
    struct msg_entry change = { .slot = 1 };
    struct msg_entry other = { .slot = 1, .value = { (char *)"other",
                                                     (char *)"9", 1 } };
    int write;

    sim_new_directory(s, 3);
    grown.v[grown.n++] = sim_voter(s, 3);
    assert_int_equal(voters_to_value(&grown, &change.value), 0);
    acceptor_accept(&s->acc[0], B(1, 1), &change, 1, 0, NULL, &s->ready);
    acceptor_accept(&s->acc[2], B(2, 2), &other, 1, 0, NULL, &s->ready);
    pvalue_free(&change.value);
    s->p.highest = B(2, 3);
    sim_elect(s);
    sim_write(s, "next", 2, &write);
    sim_advance(s, 10);
    assert_true(is_config_at(s, 1));
    assert_int_equal(chain_last(&s->p.chain)->epoch, 2);
    /* the slots up to the change's first were filled */
    assert_int_equal(answer_of(s, &write)->slot,
                     chain_last(&s->p.chain)->first_slot);
    sim_free(s);
}

/* ---- what counts, and who may change ---- */

/* A proposer that knows no configuration counts no promise: promises
 * that report none never make it lead; the first that reports one makes
 * the promises it had count. */
static void test_without_a_configuration_nothing_counts(void **state)
{
    struct sim *s = sim_new(1, 0);
    struct voters_chain none = { 0 };

    s->reachable = 0;
    sim_advance(s, TIMEOUT);
    assert_int_equal(s->p.state, PROPOSER_CANDIDATE);
    assert_int_equal(s->p.chain.n, 0);
    promise_from(s, acc_id(0), s->acc[0].me.member, s->p.ballot, NULL);
    promise_from(s, acc_id(1), s->acc[1].me.member, s->p.ballot, &none);
    promise_from(s, acc_id(2), s->acc[2].me.member, s->p.ballot, NULL);
    assert_int_equal(s->p.state, PROPOSER_CANDIDATE);
    sim_advance(s, 4 * TIMEOUT);
    assert_int_not_equal(s->p.state, PROPOSER_LEADER);
    promise(s, 0, s->p.ballot);
    promise_from(s, acc_id(1), s->acc[1].me.member, s->p.ballot, NULL);
    assert_int_equal(s->p.state, PROPOSER_LEADER);
    sim_free(s);
}

/* A promise counts only from a voter under the member identity the
 * configuration names: not from a node that is no voter, nor from a
 * voter's node under another identity (a wiped directory). */
static void test_promises_count_only_under_the_voters_identity(void **state)
{
    struct sim *s = sim_new(1, 0);

    s->reachable = 0;
    sim_advance(s, TIMEOUT);
    promise(s, 0, s->p.ballot);
    promise_from(s, acc_id(1), "00000000000000ff", s->p.ballot, &s->founded);
    promise_from(s, acc_id(3), s->acc[1].me.member, s->p.ballot,
                 &s->founded);
    assert_int_equal(s->p.state, PROPOSER_CANDIDATE);
    promise(s, 1, s->p.ballot);
    assert_int_equal(s->p.state, PROPOSER_LEADER);
    sim_free(s);
}

/* A CONFIRM answered by p's ballot, from node `from` under member, that
 * no acceptor sent. */
static void forged_confirm(struct sim *s, uint32_t from, const char *member,
                           uint64_t round)
{
    proposer_on_confirm(&s->p, from, member, s->p.ballot, true, s->p.ballot,
                        round, s->now);
}

/* A read is answered once a quorum of the voters in force, each under
 * its member identity, confirmed the leader's ballot; acks gathered
 * under the voters before a change do not count after it (node 10,
 * removed, must not pass for the voter that took its place in the
 * list). */
static void test_reads_confirmed_only_by_the_voters_in_force(void **state)
{
    struct sim *s = sim_new(1, 0);
    uint64_t round;
    int read, change;

    sim_elect(s);
    s->reachable = 0;
    assert_int_equal(proposer_read(&s->p, &read), PROPOSER_QUEUED);
    sim_flush(s, &s->p);
    round = s->p.confirm_round;
    assert_true(round != 0);
    forged_confirm(s, acc_id(0), s->acc[0].me.member, round);
    forged_confirm(s, acc_id(1), "00000000000000ff", round);
    forged_confirm(s, acc_id(3), s->acc[1].me.member, round);
    assert_null(sim_answer(s, &read));

    /* node 10 is removed while the round is in flight */
    sim_change(&s->p, VOTERS_REMOVE, acc_id(0), NULL, &change);
    s->reachable = 0x6;             /* its ACCEPTs only: no time passes */
    sim_flush(s, &s->p);            /* chosen */
    sim_flush(s, &s->p);            /* the gap, filled: in force */
    s->reachable = 0;
    assert_int_equal(answer_of(s, &change)->kind, PROPOSER_REPLY_CHANGED);
    assert_int_equal(voters_find_node(&s->p.chain.c[0], acc_id(0)), -1);
    forged_confirm(s, acc_id(2), s->acc[2].me.member, round);
    sim_run(s);
    assert_null(sim_answer(s, &read));
    /* a round begun under the new voters, confirmed by both */
    s->reachable = 0x6;
    sim_advance(s, 400);
    assert_int_equal(answer_of(s, &read)->kind, PROPOSER_REPLY_READ);
    sim_free(s);
}

/* A change needs a leader, one at a time, and must make sense. */
static void test_change_refused_when_busy_or_invalid(void **state)
{
    struct sim *s = sim_new(1, 0);
    struct voter joiner, founder;
    char err[160];
    int first, second;

    sim_new_directory(s, 3);
    joiner = sim_voter(s, 3);
    founder = sim_voter(s, 0);
    assert_int_equal(try_change(&s->p, VOTERS_ADD, 0, &joiner, &first),
                     PROPOSER_CHANGE_NOT_LEADER);
    sim_elect(s);
    err[0] = '\0';
    assert_int_equal(proposer_change(&s->p, VOTERS_ADD, 0, &founder, &first,
                                     err, sizeof err),
                     PROPOSER_CHANGE_INVALID);
    assert_non_null(strstr(err, "votes already"));
    assert_int_equal(proposer_change(&s->p, VOTERS_REMOVE, acc_id(4), NULL,
                                     &first, err, sizeof err),
                     PROPOSER_CHANGE_INVALID);
    assert_non_null(strstr(err, "is not a voter"));
    assert_int_equal(try_change(&s->p, VOTERS_REPLACE, acc_id(1), &founder,
                                &first), PROPOSER_CHANGE_INVALID);
    assert_int_equal(s->p.chain.c[0].n, 3);     /* nothing changed */

    sim_change(&s->p, VOTERS_ADD, 0, &joiner, &first);
    err[0] = '\0';
    assert_int_equal(proposer_change(&s->p, VOTERS_REMOVE, acc_id(2), NULL,
                                     &second, err, sizeof err),
                     PROPOSER_CHANGE_BUSY);
    assert_true(err[0] != '\0');
    s->reachable = 0;                           /* placed, not chosen */
    sim_flush(s, &s->p);
    assert_int_equal(try_change(&s->p, VOTERS_REMOVE, acc_id(2), NULL,
                                &second), PROPOSER_CHANGE_BUSY);
    s->reachable = 0xf;
    sim_advance(s, 400);
    assert_int_equal(answer_of(s, &first)->kind, PROPOSER_REPLY_CHANGED);
    assert_null(sim_answer(s, &second));
    sim_change(&s->p, VOTERS_REMOVE, acc_id(2), NULL, &second);
    sim_advance(s, 20);
    assert_int_equal(answer_of(s, &second)->kind, PROPOSER_REPLY_CHANGED);
    assert_int_equal(s->p.chain.c[0].epoch, 3);
    assert_int_equal(s->p.chain.c[0].n, 3);
    sim_free(s);
}

/* A follower takes the chain with the commit index from the leader's
 * heartbeats (not from a deposed leader's), and its next election asks
 * the voters of every configuration of it. */
static void test_heartbeat_gives_followers_the_chain(void **state)
{
    struct sim *s = sim_new(2, 1);
    struct voters_chain grown = s->founded;
    struct voters four = s->founding;
    struct pvalue value;
    size_t before;

    sim_new_directory(s, 3);
    four.v[four.n++] = sim_voter(s, 3);
    assert_int_equal(voters_to_value(&four, &value), 0);
    assert_int_equal(chain_take(&grown, &value, 5), 1);
    pvalue_free(&value);
    proposer_on_heartbeat(&s->p, 1, B(4, 1), 5, &grown, s->now);
    assert_int_equal(s->p.commit, 5);
    assert_int_equal(s->p.chain.n, 2);
    assert_int_equal(s->p.chain.c[1].n, 4);
    proposer_on_heartbeat(&s->p, 3, B(3, 3), 9, &s->founded, s->now);
    assert_int_equal(s->p.chain.n, 2);
    assert_int_equal(s->p.commit, 5);
    before = s->prepares_sent;
    s->reachable = 0;
    sim_advance(s, 2 * TIMEOUT);
    assert_int_equal(s->p.state, PROPOSER_CANDIDATE);
    assert_int_equal(s->prepares_sent - before, 4);     /* 3 seeds + 1 */
    assert_int_equal(s->p.phase1_from, 6);
    sim_free(s);
}

static int sim_teardown(void **state)
{
    if (sim_in_use)
        sim_free(sim_in_use);
    return 0;
}

#define SIM_TEST(test) cmocka_unit_test_teardown(test, sim_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        SIM_TEST(test_lowest_rank_elects_itself_first),
        SIM_TEST(test_no_quorum_no_leader),
        SIM_TEST(test_promises_count_once_per_configured_acceptor),
        SIM_TEST(test_writes_batched_and_answered_when_chosen),
        SIM_TEST(test_pipelines_many_accepts),
        SIM_TEST(test_in_flight_never_past_commit_plus_alpha),
        SIM_TEST(test_batches_grow_while_one_is_in_flight),
        SIM_TEST(test_batches_bounded_by_bytes),
        SIM_TEST(test_write_waiting_too_long_for_a_slot_fails),
        SIM_TEST(test_retried_write_keeps_its_slot),
        SIM_TEST(test_leader_memory_is_a_window),
        SIM_TEST(test_new_leader_adopts_highest_ballot_and_fills_gaps),
        SIM_TEST(test_new_leader_starts_above_acceptors_commit),
        SIM_TEST(test_far_behind_proposer_leads_with_a_small_window),
        SIM_TEST(test_higher_ballot_makes_leader_step_down),
        SIM_TEST(test_heartbeats_keep_follower_and_stale_ones_are_ignored),
        SIM_TEST(test_read_waits_for_quorum_confirmation),
        SIM_TEST(test_restarted_proposer_never_reuses_its_ballot),
        SIM_TEST(test_leader_cut_off_from_acceptors_steps_down),
        SIM_TEST(test_grow_3_to_4_needs_3_of_the_4_voters),
        SIM_TEST(test_shrink_removed_voter_counts_until_the_first_slot),
        SIM_TEST(test_wiped_acceptor_votes_again_only_under_its_new_identity),
        SIM_TEST(test_slots_before_the_first_are_decided_by_the_old_voters),
        SIM_TEST(test_a_batch_belongs_to_one_configuration),
        SIM_TEST(test_change_fills_the_gap_with_noops_and_is_answered),
        SIM_TEST(test_writes_during_a_change_are_chosen),
        SIM_TEST(test_voter_at_the_leaders_ballot_completes_its_change),
        SIM_TEST(test_joiner_admitted_after_the_change_is_chosen_completes_it),
        SIM_TEST(test_leader_blocked_on_new_voters_steps_down),
        SIM_TEST(test_no_confirm_goes_to_voters_that_did_not_promise),
        SIM_TEST(test_change_no_quorum_saw_is_lost_and_fails),
        SIM_TEST(
            test_new_leader_finishes_a_change_its_leader_did_not_see_chosen),
        SIM_TEST(test_candidate_needs_a_quorum_of_the_voters_in_force),
        SIM_TEST(test_new_voters_report_what_was_chosen_from_their_first_slot),
        SIM_TEST(test_leader_emerges_when_its_predecessor_dies_after_a_change),
        SIM_TEST(test_late_promise_does_not_replace_a_proposed_value),
        SIM_TEST(test_without_a_configuration_nothing_counts),
        SIM_TEST(test_promises_count_only_under_the_voters_identity),
        SIM_TEST(test_reads_confirmed_only_by_the_voters_in_force),
        SIM_TEST(test_change_refused_when_busy_or_invalid),
        SIM_TEST(test_heartbeat_gives_followers_the_chain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
