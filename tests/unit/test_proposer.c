/* test_proposer.c -- the proposer's Multi-Paxos rules, run against
 * in-memory acceptors (the real acceptor and admission rules) with
 * messages delivered, delayed or dropped by the test; one or two
 * proposers share them.
 *
 * Three acceptors found the cluster; others start later and are admitted
 * through a configuration chosen in the log. Every run checks, besides
 * what each test asserts:
 *  - no two values are ever announced chosen for one slot;
 *  - a slot announced chosen was accepted by a quorum of the voters that
 *    govern it, each under its member identity (the configuration chosen
 *    last before it, as announced);
 *  - a leader never sends a slot that lies after a configuration value it
 *    has not crossed, nor new slots while the new voters have not
 *    promised, and the configuration it counts with is the one the log
 *    holds. */
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
};

/* A message on its way from a proposer to one acceptor, encoded when the
 * proposer's outbox was drained, as the daemon does: what it carries is
 * what the proposer knew then. */
struct wire {
    struct proposer *from;
    enum proposer_out_kind kind;
    struct ballot ballot;
    uint64_t first, count, round, commit;
    struct voters config;
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

/* The configuration that governs slot: the last one chosen before it,
 * as far as announced; the founding one before any. */
static struct voters governing(struct sim *s, uint64_t slot)
{
    struct voters cfg = s->founding;
    uint64_t best = 0;

    for (size_t i = 0; i < s->chosen.n_config_slots; i++) {
        uint64_t c = s->chosen.config_slots[i];
        if (c < slot && c > best)
            best = c;
    }
    if (best)
        assert_int_equal(voters_from_value(ledger_get(&s->chosen, best), best,
                                           &cfg, &cfg), 0);
    return cfg;
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
            .config = a->me.cluster[0] ? &a->config : NULL,
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
                     reports, n, decided);
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
                                              &w->config, &s->ready);
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

/* The first configuration value in p's window from slot `from` up to
 * (not including) `before`; 0 when none. */
static uint64_t config_value_between(const struct proposer *p, uint64_t from,
                                     uint64_t before)
{
    if (from < p->log_base)
        from = p->log_base;
    for (uint64_t u = from; u < before && u < p->next_slot; u++) {
        const struct proposer_slot *ps = proposer_get(p, u);
        if (ps && voters_is_value(&ps->value))
            return u;
    }
    return 0;
}

/* What a leader may send, checked when it sends slots up to end
 * (excluded): none after a configuration value it has not crossed, no
 * new slot while the new voters have not promised, and its configuration
 * is the log's. */
static void check_accept(struct sim *s, const struct proposer *p,
                         uint64_t end)
{
    uint64_t u = config_value_between(p, p->cfg.first_slot, end - 1);
    const struct pvalue *made;
    struct voters cfg;

    if (u)
        fail_msg("slot %llu sent past the configuration value at %llu",
                 (unsigned long long)(end - 1), (unsigned long long)u);
    if (p->extending && end > p->cfg.first_slot)
        fail_msg("slot %llu sent before the new voters promised",
                 (unsigned long long)(end - 1));
    if (p->cfg.epoch < 2 ||
        !(made = ledger_get(&s->chosen, p->cfg.first_slot - 1)))
        return;
    assert_true(voters_is_value(made));
    assert_int_equal(voters_from_value(made, p->cfg.first_slot - 1,
                                       &p->cfg, &cfg), 0);
    assert_true(voters_same(&cfg, &p->cfg));
}

/* The message an outbox entry makes, encoded now (see struct wire). */
static struct wire wire_of(struct proposer *p, const struct proposer_out *o)
{
    struct wire w = { .from = p, .kind = o->kind, .ballot = o->ballot,
                      .first = o->first, .round = o->round,
                      .commit = p->commit, .config = p->cfg };

    if (o->kind != PROPOSER_SEND_ACCEPT)
        return w;
    w.count = o->count;
    w.entries = calloc(o->count + 1, sizeof(*w.entries));
    assert_non_null(w.entries);
    for (uint64_t k = 0; k < o->count; k++) {
        w.entries[k].slot = o->first + k;
        assert_int_equal(pvalue_copy(&w.entries[k].value,
                                     &proposer_get(p, o->first + k)->value), 0);
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
                              &from->cfg, s->now);
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
                o->kind, o->token, o->slot, o->maybe_chosen };
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
                wires[n_wires++].to = o->to->id - acc_id(0);
                break;
            case PROPOSER_SEND_ACCEPT:
                s->accepts_sent++;
                check_accept(s, p, o->first + o->count);
                if (!s->drop_accepts)
                    wires[n_wires++] = wire_of(p, o);
                break;
            case PROPOSER_SEND_CONFIRM:
                s->confirms_sent++;
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
                for (size_t i = 0; i < w->config.n; i++)
                    sim_send(s, w, w->config.v[i].node.id - acc_id(0));
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
 * reporting config (NULL: none). */
static void promise_from(struct sim *s, uint32_t from, const char *member,
                         struct ballot sent, const struct voters *config)
{
    struct msg m = { .type = MSG_PROMISE, .from = from, .ok = true,
                     .ballot = sent, .config = (struct voters *)config };

    snprintf(m.member, sizeof m.member, "%s", member);
    memcpy(m.cluster, s->acc[0].me.cluster, sizeof m.cluster);
    proposer_on_promise(&s->p, from, sent, &m, s->now);
}

/* Acceptor i's empty promise for ballot sent. */
static void promise(struct sim *s, size_t i, struct ballot sent)
{
    promise_from(s, acc_id(i), s->acc[i].me.member, sent, &s->acc[i].config);
}

static void test_promises_count_once_per_configured_acceptor(void **state)
{
    struct sim *s = sim_new(1, 0);

    s->reachable = 0;
    sim_advance(s, TIMEOUT);    /* candidate, nobody answered */
    assert_int_equal(s->p.state, PROPOSER_CANDIDATE);
    promise(s, 0, s->p.ballot);
    promise(s, 0, s->p.ballot);
    promise_from(s, 17, s->acc[1].me.member, s->p.ballot, &s->founding);
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
        const struct answer *a = sim_answer(s, &tokens[i]);
        assert_non_null(a);
        assert_int_equal(a->kind, PROPOSER_REPLY_CHOSEN);
        assert_int_equal(a->slot, (uint64_t)i + 1);
    }
    assert_int_equal(s->announced_upto[0], 3);     /* the learners hear of them */
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
    assert_int_equal(s->accepts_sent, 3);   /* slot 1 again, then 2..6 in one */
    for (int i = 0; i < 6; i++)
        assert_int_equal(sim_answer(s, &tokens[i])->slot, (uint64_t)i + 1);
    sim_free(s);
}

static void test_pipelines_many_accepts(void **state)
{
    struct sim *s = sim_new(1, 0);
    static int tokens[3000];

    sim_advance(s, TIMEOUT);
    s->reachable = 0;
    for (int i = 0; i < 3000; i++)
        sim_write(s, "x", (uint64_t)i + 1, &tokens[i]);
    s->accepts_sent = 0;
    proposer_flush(&s->p, s->now);
    sim_run(s);
    assert_int_equal(s->accepts_sent, 6);   /* 512 a message, all in flight */
    assert_int_equal(s->p.next_slot, 3001);
    s->reachable = 0x7;
    sim_advance(s, 400);
    assert_int_equal(s->p.commit, 3000);
    assert_non_null(sim_answer(s, &tokens[2999]));
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
    assert_int_equal(sim_answer(s, &tokens[4])->kind, PROPOSER_REPLY_FAILED);
    assert_false(sim_answer(s, &tokens[4])->maybe_chosen);
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
    assert_int_equal(sim_answer(s, &first)->slot, 1);
    assert_int_equal(sim_answer(s, &retry)->slot, 1);
    assert_int_equal(s->p.next_slot, 2);    /* proposed once */
    sim_write(s, "once", 42, &late);        /* after it was chosen */
    sim_run(s);
    assert_int_equal(sim_answer(s, &late)->slot, 1);
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
    assert_int_equal(sim_answer(s, &retry)->kind, PROPOSER_REPLY_CHOSEN);
    assert_int_equal(sim_answer(s, &retry)->slot, seq - 5000);
    assert_int_equal(s->p.next_slot, next);
    sim_free(s);
}

static void test_new_leader_adopts_highest_ballot_and_fills_gaps(void **state)
{
    struct sim *s = sim_new(2, 1);
    struct msg_entry old = { .slot = 2, .value = { (char *)"old", (char *)"9", 1 } };
    struct msg_entry newer = { .slot = 2, .value = { (char *)"newer", (char *)"9", 2 } };
    struct msg_entry far = { .slot = 4, .value = { (char *)"far", (char *)"9", 3 } };
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
    assert_int_equal(sim_answer(s, &token)->slot, 5);
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
    assert_int_equal(sim_answer(s, &token)->slot, 4);
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
    assert_int_equal(sim_answer(s, &token)->slot, 3000002);
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
    assert_int_equal(sim_answer(s, &token)->kind, PROPOSER_REPLY_FAILED);
    assert_true(sim_answer(s, &token)->maybe_chosen);  /* it had a slot */
    assert_int_equal(proposer_submit(&s->p, &(struct pvalue){ (char *)"x",
                                     (char *)"9", 2 }, &token, s->now),
                     PROPOSER_NOT_LEADER);
    sim_free(s);
}

static void test_heartbeats_keep_follower_and_stale_ones_are_ignored(void **state)
{
    struct sim *s = sim_new(2, 1);

    for (int i = 0; i < 20; i++) {
        proposer_on_heartbeat(&s->p, 1, B(4, 1), 17, &s->founding, s->now);
        sim_advance(s, 100);
    }
    assert_int_equal(s->p.state, PROPOSER_FOLLOWER);
    assert_int_equal(s->p.leader, 1);
    assert_int_equal(s->p.commit, 17);
    proposer_on_heartbeat(&s->p, 3, B(3, 3), 20, &s->founding, s->now);    /* deposed */
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
    assert_int_equal(sim_answer(s, &r)->kind, PROPOSER_REPLY_READ);
    assert_int_equal(sim_answer(s, &r)->slot, 1);
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
    assert_int_equal(sim_answer(s, &y)->slot, 1);
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

static void sim_change(struct proposer *p, enum voters_change change,
                       uint32_t old, const struct voter *who, void *token)
{
    char err[160] = "";
    enum proposer_change_result r = proposer_change(p, change, old, who, token,
                                                    err, sizeof err);

    if (r != PROPOSER_CHANGE_QUEUED)
        fail_msg("change refused (%d): %s", (int)r, err);
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

/* The leader's confirm rounds carry the configuration in force to the
 * acceptors; a new acceptor then finds one that names it and joins. */
static void sim_join(struct sim *s, size_t i)
{
    sim_advance(s, 200);
    assert_int_equal(sim_admit(s, i), ADMISSION_JOIN);
    assert_true(s->acc[i].me.active);
}

/* Growing from 3 to 4 voters: the change is chosen by the old voters and
 * is in force at once (the three promised, 3 of the 4 new); from the
 * next slot on, 2 votes never choose, 3 of the 4 do, the joiner's among
 * them, and no vote counts from a node that is no voter or votes under
 * a member identity the configuration does not name. */
static void test_grow_3_to_4_needs_3_of_the_4_voters(void **state)
{
    struct sim *s = sim_new(1, 0);
    struct voter joiner;
    int one, change, two, three;

    sim_new_directory(s, 3);
    joiner = sim_voter(s, 3);
    sim_elect(s);
    sim_write(s, "one", 1, &one);
    sim_advance(s, 10);
    assert_int_equal(sim_answer(s, &one)->slot, 1);

    sim_change(&s->p, VOTERS_ADD, 0, &joiner, &change);
    sim_advance(s, 20);
    assert_int_equal(sim_answer(s, &change)->kind, PROPOSER_REPLY_CHANGED);
    assert_int_equal(sim_answer(s, &change)->slot, 2);
    assert_true(is_config_at(s, 2));
    assert_int_equal(s->p.cfg.epoch, 2);
    assert_int_equal(s->p.cfg.first_slot, 3);
    assert_int_equal(s->p.cfg.n, 4);
    assert_int_equal(voters_find(&s->p.cfg, acc_id(3), joiner.member), 3);
    sim_join(s, 3);

    s->reachable = 0x3;             /* 2 of the 4 */
    sim_write(s, "two", 2, &two);
    sim_advance(s, 50);
    assert_null(sim_answer(s, &two));
    forged_accepted(s, &s->p, acc_id(3), "ffffffffffffffff", 3);
    forged_accepted(s, &s->p, acc_id(2), s->acc[1].me.member, 3);
    forged_accepted(s, &s->p, acc_id(4), joiner.member, 3);
    assert_null(sim_answer(s, &two));
    assert_int_equal(s->p.commit, 2);
    s->reachable = 0xb;             /* the joiner makes 3 */
    sim_advance(s, 400);
    assert_int_equal(sim_answer(s, &two)->slot, 3);
    assert_string_equal(acceptor_get(&s->acc[3], 3)->value.data, "two");
    assert_null(acceptor_get(&s->acc[2], 3));

    s->reachable = 0x7;             /* the three founders: 3 of 4 too */
    sim_write(s, "three", 3, &three);
    sim_advance(s, 10);
    assert_int_equal(sim_answer(s, &three)->slot, 4);
    sim_free(s);
}

/* A leader that led with promises from two founders needs a promise from
 * a third voter of the four: the change is chosen, but it is answered,
 * and writes go on, only once that voter promised. Acceptor 2 missed the
 * election and the change's ACCEPT, and its promise is slow. */
static void test_change_answered_once_chosen_and_the_new_voters_promised(void **state)
{
    struct sim *s = sim_new(1, 0);
    struct voter joiner;
    int change, write;

    sim_new_directory(s, 3);
    joiner = sim_voter(s, 3);
    s->reachable = 0x3;
    sim_elect(s);
    s->reachable = 0xf;
    s->accepts_lost = 0x4;
    s->delayed = 0x4;
    sim_change(&s->p, VOTERS_ADD, 0, &joiner, &change);
    sim_advance(s, 20);
    assert_true(is_config_at(s, 1));
    assert_int_equal(s->p.commit, 1);
    assert_int_equal(s->p.cfg.epoch, 2);
    assert_true(s->p.extending);
    assert_null(sim_answer(s, &change));
    sim_write(s, "w", 1, &write);
    sim_advance(s, 50);
    assert_null(sim_answer(s, &write));
    assert_int_equal(s->p.next_slot, 2);        /* the write waits */
    assert_null(acceptor_get(&s->acc[0], 2));
    /* a promise from a node that is no voter is none */
    promise_from(s, acc_id(4), "00000000000000ee", s->p.ballot, &s->p.cfg);
    assert_true(s->p.extending);
    assert_null(sim_answer(s, &change));

    s->accepts_lost = s->delayed = 0;
    sim_release(s, 0x4);            /* acceptor 2 promises: 3 of 4 */
    assert_false(s->p.extending);
    assert_int_equal(sim_answer(s, &change)->kind, PROPOSER_REPLY_CHANGED);
    assert_int_equal(sim_answer(s, &change)->slot, 1);
    sim_advance(s, 10);
    assert_int_equal(sim_answer(s, &write)->kind, PROPOSER_REPLY_CHOSEN);
    assert_int_equal(sim_answer(s, &write)->slot, 2);
    assert_true(sim_answer(s, &change) < sim_answer(s, &write));
    sim_free(s);
}

/* As above, but acceptor 2's ACCEPT of the change is not lost, only
 * slow: it reaches acceptor 2 before the leader's request for its
 * promise, under the same ballot. Acceptor 2's answers still complete
 * the change within an election timeout, and a write submitted meanwhile
 * is chosen. */
static void test_voter_that_accepted_under_the_leaders_ballot_completes_a_change(void **state)
{
    struct sim *s = sim_new(1, 0);
    struct voter joiner;
    int change, write;

    sim_new_directory(s, 3);
    joiner = sim_voter(s, 3);
    s->reachable = 0x3;
    sim_elect(s);
    s->reachable = 0xf;
    s->delayed = 0x4;
    sim_change(&s->p, VOTERS_ADD, 0, &joiner, &change);
    sim_advance(s, 20);
    assert_true(is_config_at(s, 1));
    assert_true(s->p.extending);
    sim_write(s, "w", 1, &write);
    s->delayed = 0;
    sim_release(s, 0x4);
    sim_advance(s, TIMEOUT);
    assert_non_null(sim_answer(s, &change));
    assert_int_equal(sim_answer(s, &change)->kind, PROPOSER_REPLY_CHANGED);
    assert_int_equal(sim_answer(s, &write)->kind, PROPOSER_REPLY_CHOSEN);
    assert_int_equal(sim_answer(s, &write)->slot, 2);
    sim_free(s);
}

/* A leader that led on two founders' promises adds a joiner while the
 * third founder is down: the one promise it needs is the joiner's, and
 * the joiner can only be admitted once the change is in force (an
 * acceptor reports the configuration that names it), after the leader
 * first asked it. The change still completes, and a write submitted
 * meanwhile is chosen. */
static void test_joiner_admitted_during_the_change_completes_it(void **state)
{
    struct sim *s = sim_new(1, 0);
    struct voter joiner;
    int change, write;

    sim_new_directory(s, 3);
    joiner = sim_voter(s, 3);
    s->reachable = 0xb;             /* acceptor 2 is down throughout */
    sim_elect(s);
    sim_change(&s->p, VOTERS_ADD, 0, &joiner, &change);
    sim_advance(s, 20);
    assert_true(is_config_at(s, 1));
    assert_true(s->p.extending);
    sim_join(s, 3);
    sim_write(s, "w", 1, &write);
    sim_advance(s, TIMEOUT + 100);
    assert_non_null(sim_answer(s, &change));
    assert_int_equal(sim_answer(s, &change)->kind, PROPOSER_REPLY_CHANGED);
    assert_int_equal(sim_answer(s, &write)->slot, 2);
    sim_free(s);
}

/* Shrinking from 3 to 2 voters: the removed acceptor gets no slot after
 * the change and its votes stop counting; both remaining voters are
 * needed. */
static void test_shrink_removed_voter_stops_counting(void **state)
{
    struct sim *s = sim_new(1, 0);
    int one, change, two;

    sim_elect(s);
    sim_write(s, "one", 1, &one);
    sim_advance(s, 10);
    sim_change(&s->p, VOTERS_REMOVE, acc_id(2), NULL, &change);
    sim_advance(s, 10);
    assert_int_equal(sim_answer(s, &change)->kind, PROPOSER_REPLY_CHANGED);
    assert_int_equal(sim_answer(s, &change)->slot, 2);
    assert_int_equal(s->p.cfg.n, 2);
    assert_int_equal(voters_find_node(&s->p.cfg, acc_id(2)), -1);
    assert_int_equal(voters_quorum(&s->p.cfg), 2);

    s->reachable = 0x5;             /* acceptor 0 and the removed one */
    sim_write(s, "two", 2, &two);
    sim_advance(s, 400);
    assert_null(sim_answer(s, &two));
    assert_null(acceptor_get(&s->acc[2], 3));
    forged_accepted(s, &s->p, acc_id(2), s->acc[2].me.member, 3);
    assert_null(sim_answer(s, &two));
    s->reachable = 0x3;
    sim_advance(s, 400);
    assert_int_equal(sim_answer(s, &two)->slot, 3);
    assert_null(acceptor_get(&s->acc[2], 3));
    sim_free(s);
}

/* Acceptor 1 loses its disk: its new member identity does not vote
 * until a change names it in place of the old one; from then on the new
 * identity's votes count and the old one's never again. */
static void test_wiped_acceptor_votes_again_only_under_its_new_identity(void **state)
{
    struct sim *s = sim_new(1, 0);
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
    assert_int_equal(sim_answer(s, &two)->slot, 2);   /* by 0 and 2 */

    sim_change(&s->p, VOTERS_REPLACE, acc_id(1), &readmitted, &change);
    sim_advance(s, 10);
    assert_int_equal(sim_answer(s, &change)->kind, PROPOSER_REPLY_CHANGED);
    assert_int_equal(voters_find(&s->p.cfg, acc_id(1), readmitted.member), 1);
    assert_int_equal(voters_find(&s->p.cfg, acc_id(1), old_member), -1);
    sim_join(s, 1);

    s->reachable = 0x3;             /* the new identity makes 2 of 3 */
    sim_write(s, "three", 3, &three);
    sim_advance(s, 10);
    assert_int_equal(sim_answer(s, &three)->slot, 4);
    assert_string_equal(acceptor_get(&s->acc[1], 4)->value.data, "three");

    s->reachable = 0x1;             /* the old identity counts no more */
    sim_write(s, "four", 4, &four);
    sim_advance(s, 50);
    forged_accepted(s, &s->p, acc_id(1), old_member, 5);
    assert_null(sim_answer(s, &four));
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

/* q takes over from p, which is dead. */
static void sim_take_over(struct sim *s)
{
    s->p_dead = true;
    sim_advance(s, 4 * TIMEOUT);
    assert_int_equal(s->q.state, PROPOSER_LEADER);
}

/* What a new leader must do with a change it finds: propose it again at
 * its slot, nothing after it until it is chosen and the new voters
 * promised (the run's checks fail otherwise), then go on under the new
 * voters: with acceptor 2 down, a write is chosen by 0, 1 and the
 * joiner, 3 of 4. */
static void assert_new_leader_finishes_the_change(struct sim *s,
                                                  const struct voter *joiner,
                                                  uint64_t slot)
{
    int write;

    assert_true(is_config_at(s, slot));
    assert_int_equal(s->q.cfg.epoch, 2);
    assert_int_equal(s->q.cfg.first_slot, slot + 1);
    assert_int_equal(voters_find(&s->q.cfg, joiner->node.id, joiner->member),
                     3);
    assert_false(s->q.extending);
    sim_join(s, 3);
    s->reachable = 0xb;
    sim_write_to(s, &s->q, "after", 7, &write);
    sim_advance(s, 10);
    assert_int_equal(sim_answer(s, &write)->slot, slot + 1);
    assert_string_equal(acceptor_get(&s->acc[3], slot + 1)->value.data,
                        "after");
}

/* p's change reached acceptor 0 only before p died; q's Phase 1 hears of
 * it from acceptor 0. */
static void test_new_leader_finishes_a_change_one_acceptor_accepted(void **state)
{
    struct sim *s = sim_two_proposers();
    struct voter joiner;
    int one, change;

    sim_new_directory(s, 3);
    joiner = sim_voter(s, 3);
    sim_write(s, "one", 1, &one);
    sim_advance(s, 10);
    s->reachable = 0x1;
    sim_change(&s->p, VOTERS_ADD, 0, &joiner, &change);
    sim_flush(s, &s->p);
    assert_true(voters_is_value(&acceptor_get(&s->acc[0], 2)->value));
    assert_null(acceptor_get(&s->acc[1], 2));
    s->reachable = 0xf;
    sim_take_over(s);
    assert_new_leader_finishes_the_change(s, &joiner, 2);
    assert_true(ballot_cmp(acceptor_get(&s->acc[1], 2)->ballot,
                           s->q.ballot) == 0);  /* proposed again by q */
    sim_free(s);
}

/* p's change was accepted by every acceptor, but p died before it heard
 * so; q finds it in Phase 1. */
static void test_new_leader_finishes_a_change_its_leader_did_not_see_chosen(void **state)
{
    struct sim *s = sim_two_proposers();
    struct voter joiner;
    int change;

    sim_new_directory(s, 3);
    joiner = sim_voter(s, 3);
    sim_change(&s->p, VOTERS_ADD, 0, &joiner, &change);
    proposer_flush(&s->p, s->now);
    s->p_dead = true;               /* its ACCEPT goes out, it hears nothing */
    sim_run(s);
    assert_int_equal(s->p.commit, 0);
    for (size_t i = 0; i < N_FOUNDERS; i++)
        assert_true(voters_is_value(&acceptor_get(&s->acc[i], 1)->value));
    sim_take_over(s);
    assert_new_leader_finishes_the_change(s, &joiner, 1);
    sim_free(s);
}

/* p's change was chosen by acceptors 0 and 1 and p went on under the new
 * voters: acceptor 0 holds a write after it. q leads on the promises of
 * acceptors 1 and 2, which know nothing after the change; acceptor 0's
 * promise comes late, before q sent anything. q holds that write back
 * until the change is chosen again and the new voters promised, then
 * proposes it again in its slot. */
static void test_new_leader_holds_back_what_follows_a_change_it_finds(void **state)
{
    struct sim *s = sim_two_proposers();
    struct voter joiner;
    int change, after;

    sim_new_directory(s, 3);
    joiner = sim_voter(s, 3);
    s->reachable = 0x3;
    sim_change(&s->p, VOTERS_ADD, 0, &joiner, &change);
    sim_advance(s, 20);
    assert_int_equal(sim_answer(s, &change)->kind, PROPOSER_REPLY_CHANGED);
    s->reachable = 0x1;
    sim_write(s, "after", 1, &after);
    sim_flush(s, &s->p);
    assert_string_equal(acceptor_get(&s->acc[0], 2)->value.data, "after");
    assert_int_equal(s->acc[1].commit, 0);      /* 1 and 2 know nothing */
    assert_null(acceptor_get(&s->acc[2], 1));

    s->p_dead = true;
    s->reachable = 0xf;
    s->delayed = 0x1;
    while (s->q.state != PROPOSER_LEADER)
        sim_advance(s, 10);
    assert_int_equal(s->q.boundary, 1);
    s->delayed = 0;
    sim_release(s, 0x1);            /* the late promise */
    assert_int_equal(s->q.next_slot, 3);
    assert_string_equal(proposer_get(&s->q, 2)->value.data, "after");
    sim_advance(s, 30);
    assert_true(is_config_at(s, 1));
    assert_int_equal(s->q.cfg.epoch, 2);
    assert_int_equal(s->q.commit, 2);
    assert_string_equal(ledger_get(&s->chosen, 2)->data, "after");
    sim_free(s);
}

/* A proposer that knew the founding configuration leads after a change
 * it did not see: the promises with the highest commit index give it the
 * configuration in force, and it counts with the new voters. */
static void test_new_leader_takes_the_newest_configuration_from_promises(void **state)
{
    struct sim *s = sim_two_proposers();
    struct voter joiner;
    int change, two, three;

    s->deliver_heartbeats = false;
    sim_new_directory(s, 3);
    joiner = sim_voter(s, 3);
    sim_change(&s->p, VOTERS_ADD, 0, &joiner, &change);
    sim_advance(s, 20);
    assert_int_equal(sim_answer(s, &change)->kind, PROPOSER_REPLY_CHANGED);
    sim_join(s, 3);
    assert_int_equal(s->q.cfg.epoch, 1);
    sim_take_over(s);
    assert_int_equal(s->q.cfg.epoch, 2);
    assert_int_equal(voters_find(&s->q.cfg, acc_id(3), joiner.member), 3);
    s->reachable = 0x3;             /* 2 of the 4 */
    sim_write_to(s, &s->q, "two", 2, &two);
    sim_advance(s, 50);
    assert_null(sim_answer(s, &two));
    s->reachable = 0xb;
    sim_advance(s, 400);
    assert_int_equal(sim_answer(s, &two)->slot, 2);
    assert_string_equal(acceptor_get(&s->acc[3], 2)->value.data, "two");
    sim_write_to(s, &s->q, "three", 3, &three);
    sim_advance(s, 10);
    assert_int_equal(sim_answer(s, &three)->slot, 3);
    sim_free(s);
}

/* p's change reached acceptor 0 only; q leads with acceptors 1 and 2,
 * which never saw it: the change is lost, q's writes take its slot under
 * the old voters, and p, once it hears of q, fails the change (it had a
 * slot: maybe chosen, as far as p can tell). */
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
    assert_int_equal(s->q.cfg.epoch, 1);
    assert_int_equal(s->q.boundary, 0);
    sim_write_to(s, &s->q, "instead", 1, &write);
    sim_advance(s, 10);
    assert_int_equal(sim_answer(s, &write)->slot, 1);
    assert_false(is_config_at(s, 1));
    assert_int_equal(s->q.cfg.n, 3);

    s->p_dead = false;              /* p wakes up and hears q */
    s->reachable = 0xf;
    sim_advance(s, 200);
    assert_int_equal(s->p.state, PROPOSER_FOLLOWER);
    assert_int_equal(sim_answer(s, &change)->kind, PROPOSER_REPLY_FAILED);
    assert_true(sim_answer(s, &change)->maybe_chosen);
    assert_int_equal(s->q.cfg.epoch, 1);
    assert_null(acceptor_get(&s->acc[3], 1));
    sim_free(s);
}

/* Acceptor 2 is down. p adds a joiner: the change is chosen by 0 and 1,
 * p crosses into it and tells q in a heartbeat, then dies before any of
 * its messages carrying the new configuration reached an acceptor. q
 * counts with the four new voters; 0, 1 and the joiner are a quorum of
 * them, once the joiner is admitted, which needs an acceptor that knows
 * the new configuration. The cluster gets a leader again without
 * acceptor 2. */
static void test_leader_emerges_after_its_predecessor_died_right_after_a_change(void **state)
{
    struct sim *s = sim_two_proposers();
    struct voter joiner;
    int change, write;

    sim_new_directory(s, 3);
    joiner = sim_voter(s, 3);
    s->reachable = 0xb;
    s->accepts_lost = 0x8;          /* nothing reaches the joiner yet */
    sim_change(&s->p, VOTERS_ADD, 0, &joiner, &change);
    sim_flush(s, &s->p);
    assert_int_equal(s->p.cfg.epoch, 2);
    s->accepts_lost = 0xf;          /* p's next messages are lost */
    sim_advance(s, 100);            /* its heartbeat is not */
    assert_int_equal(s->q.cfg.epoch, 2);
    assert_int_equal(s->acc[0].config.epoch, 1);
    s->p_dead = true;
    s->accepts_lost = 0;
    for (int turn = 0; turn < 20 && s->q.state != PROPOSER_LEADER; turn++) {
        sim_advance(s, 500);
        if (!s->acc[3].me.active)
            sim_admit(s, 3);        /* the joiner keeps asking */
    }
    assert_int_equal(s->q.state, PROPOSER_LEADER);
    sim_write_to(s, &s->q, "w", 1, &write);
    sim_advance(s, 20);
    assert_int_equal(sim_answer(s, &write)->kind, PROPOSER_REPLY_CHOSEN);
    sim_free(s);
}

/* Phase 1 after earlier leaders left a configuration value at acceptor 0
 * (ballot 1.1) and a write at acceptor 2 (ballot 2.2) in slot 1: the new
 * leader leads on the first two promises and proposes the change again;
 * the third promise, arriving before it sent anything, must not leave it
 * waiting for a configuration the log does not hold. */
static void test_late_promise_does_not_move_the_boundary(void **state)
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
    assert_non_null(sim_answer(s, &write));
    if (is_config_at(s, 1))
        assert_int_equal(s->p.cfg.epoch, 2);
    else
        assert_int_equal(s->p.cfg.epoch, 1);
    sim_free(s);
}

/* ---- what counts, and who may change ---- */

/* A proposer that knows no configuration counts no promise: promises
 * that report none never make it lead; the first that reports one makes
 * the promises it had count. */
static void test_without_a_configuration_nothing_counts(void **state)
{
    struct sim *s = sim_new(1, 0);
    struct voters none = { 0 };

    s->reachable = 0;
    sim_advance(s, TIMEOUT);
    assert_int_equal(s->p.state, PROPOSER_CANDIDATE);
    assert_int_equal(s->p.cfg.epoch, 0);
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
    promise_from(s, acc_id(1), "00000000000000ff", s->p.ballot, &s->founding);
    promise_from(s, acc_id(3), s->acc[1].me.member, s->p.ballot,
                 &s->founding);
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

/* A read is answered once a quorum of the voters, each under its member
 * identity, confirmed the leader's ballot; acks gathered under the voters
 * before a change do not count after it (node 10, removed, must not pass
 * for the voter that took its place in the list). */
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
    s->reachable = 0x6;             /* its ACCEPT only: no time passes */
    sim_flush(s, &s->p);
    s->reachable = 0;
    assert_int_equal(sim_answer(s, &change)->kind, PROPOSER_REPLY_CHANGED);
    assert_int_equal(voters_find_node(&s->p.cfg, acc_id(0)), -1);
    forged_confirm(s, acc_id(2), s->acc[2].me.member, round);
    sim_run(s);
    assert_null(sim_answer(s, &read));
    /* a round begun under the new voters, confirmed by both */
    s->reachable = 0x6;
    sim_advance(s, 400);
    assert_int_equal(sim_answer(s, &read)->kind, PROPOSER_REPLY_READ);
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
    assert_int_equal(proposer_change(&s->p, VOTERS_ADD, 0, &joiner, &first,
                                     err, sizeof err),
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
    assert_int_equal(proposer_change(&s->p, VOTERS_REPLACE, acc_id(1),
                                     &founder, &first, err, sizeof err),
                     PROPOSER_CHANGE_INVALID);
    assert_int_equal(s->p.cfg.n, 3);            /* nothing changed */

    sim_change(&s->p, VOTERS_ADD, 0, &joiner, &first);
    err[0] = '\0';
    assert_int_equal(proposer_change(&s->p, VOTERS_REMOVE, acc_id(2), NULL,
                                     &second, err, sizeof err),
                     PROPOSER_CHANGE_BUSY);
    assert_true(err[0] != '\0');
    s->reachable = 0;                           /* placed, not chosen */
    sim_flush(s, &s->p);
    assert_int_equal(proposer_change(&s->p, VOTERS_REMOVE, acc_id(2), NULL,
                                     &second, err, sizeof err),
                     PROPOSER_CHANGE_BUSY);
    s->reachable = 0xf;
    sim_advance(s, 400);
    assert_int_equal(sim_answer(s, &first)->kind, PROPOSER_REPLY_CHANGED);
    assert_null(sim_answer(s, &second));
    sim_change(&s->p, VOTERS_REMOVE, acc_id(2), NULL, &second);
    sim_advance(s, 10);
    assert_int_equal(sim_answer(s, &second)->kind, PROPOSER_REPLY_CHANGED);
    assert_int_equal(s->p.cfg.epoch, 3);
    assert_int_equal(s->p.cfg.n, 3);
    sim_free(s);
}

/* A change waits for every slot before it to be chosen; writes submitted
 * after it wait for it and take the slots after it, in order. */
static void test_writes_wait_for_a_change_and_follow_it(void **state)
{
    struct sim *s = sim_new(1, 0);
    struct voter joiner;
    int before, change, after[2];

    sim_new_directory(s, 3);
    joiner = sim_voter(s, 3);
    sim_elect(s);
    s->reachable = 0;
    sim_write(s, "before", 1, &before);
    sim_flush(s, &s->p);
    sim_change(&s->p, VOTERS_ADD, 0, &joiner, &change);
    sim_write(s, "after0", 2, &after[0]);
    sim_write(s, "after1", 3, &after[1]);
    sim_advance(s, 50);
    assert_int_equal(s->p.change.slot, 0);      /* slot 1 not chosen yet */
    assert_int_equal(s->p.next_slot, 2);

    s->reachable = 0xf;
    sim_advance(s, 400);
    assert_int_equal(sim_answer(s, &before)->slot, 1);
    assert_int_equal(sim_answer(s, &change)->kind, PROPOSER_REPLY_CHANGED);
    assert_int_equal(sim_answer(s, &change)->slot, 2);
    assert_int_equal(sim_answer(s, &after[0])->slot, 3);
    assert_int_equal(sim_answer(s, &after[1])->slot, 4);
    assert_true(sim_answer(s, &change) < sim_answer(s, &after[0]));
    sim_free(s);
}

/* A follower takes the configuration with the commit index from the
 * leader's heartbeats (not from a deposed leader's), and its next
 * election asks those voters. */
static void test_heartbeat_gives_followers_the_configuration(void **state)
{
    struct sim *s = sim_new(2, 1);
    struct voters grown = s->founding;
    size_t before;

    sim_new_directory(s, 3);
    grown.v[grown.n++] = sim_voter(s, 3);
    grown.epoch = 2;
    grown.first_slot = 6;
    proposer_on_heartbeat(&s->p, 1, B(4, 1), 5, &grown, s->now);
    assert_int_equal(s->p.commit, 5);
    assert_int_equal(s->p.cfg.epoch, 2);
    assert_int_equal(s->p.cfg.n, 4);
    proposer_on_heartbeat(&s->p, 3, B(3, 3), 9, &s->founding, s->now);
    assert_int_equal(s->p.cfg.epoch, 2);
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
        SIM_TEST(test_change_answered_once_chosen_and_the_new_voters_promised),
        SIM_TEST(test_voter_that_accepted_under_the_leaders_ballot_completes_a_change),
        SIM_TEST(test_joiner_admitted_during_the_change_completes_it),
        SIM_TEST(test_shrink_removed_voter_stops_counting),
        SIM_TEST(test_wiped_acceptor_votes_again_only_under_its_new_identity),
        SIM_TEST(test_new_leader_finishes_a_change_one_acceptor_accepted),
        SIM_TEST(test_new_leader_finishes_a_change_its_leader_did_not_see_chosen),
        SIM_TEST(test_new_leader_holds_back_what_follows_a_change_it_finds),
        SIM_TEST(test_new_leader_takes_the_newest_configuration_from_promises),
        SIM_TEST(test_change_no_quorum_saw_is_lost_and_fails),
        SIM_TEST(test_late_promise_does_not_move_the_boundary),
        SIM_TEST(test_leader_emerges_after_its_predecessor_died_right_after_a_change),
        SIM_TEST(test_without_a_configuration_nothing_counts),
        SIM_TEST(test_promises_count_only_under_the_voters_identity),
        SIM_TEST(test_reads_confirmed_only_by_the_voters_in_force),
        SIM_TEST(test_change_refused_when_busy_or_invalid),
        SIM_TEST(test_writes_wait_for_a_change_and_follow_it),
        SIM_TEST(test_heartbeat_gives_followers_the_configuration),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
