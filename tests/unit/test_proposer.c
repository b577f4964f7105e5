/* test_proposer.c -- the proposer's Multi-Paxos rules, run against three
 * in-memory acceptors (the real acceptor rules) with messages delivered
 * or dropped by the test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/acceptor.h"
#include "core/proposer.h"

#define N_ACC 3
#define TIMEOUT 300

struct answer {
    enum proposer_out_kind kind;
    void *token;
    uint64_t slot;
    bool maybe_chosen;
};

struct sim {
    struct proposer_settings set;
    struct proposer p;
    struct acceptor acc[N_ACC];
    struct acceptor_ready ready;    /* what an acceptor last decided */
    uint32_t reachable;         /* acceptors messages get to */
    bool drop_accepts;          /* lose every ACCEPT with values */
    int64_t now;
    struct answer answers[8192];
    size_t n_answers;
    size_t accepts_sent, prepares_sent, heartbeats_sent, confirms_sent;
    uint64_t announced_upto;    /* chosen slots announced, in order */
};

static struct ballot B(uint32_t round, uint32_t node)
{
    return (struct ballot){ round, node };
}

static struct sim *sim_new(uint32_t id, int rank)
{
    struct sim *s = calloc(1, sizeof(*s));
    struct proposer_settings set = {
        .id = id, .n_acceptors = N_ACC, .heartbeat_ms = 100,
        .election_timeout_ms = TIMEOUT, .rank = rank, .max_batch = 512,
        .max_batch_bytes = 128 * 1024, .max_in_flight = 8192,
        .max_batches = 16,
        .max_pending = 100000, .pending_timeout_ms = 10000,
    };

    assert_non_null(s);
    for (int i = 0; i < N_ACC; i++)
        assert_int_equal(acceptor_init(&s->acc[i], 10 + i, NULL, 0), 0);
    s->reachable = (1u << N_ACC) - 1;
    s->now = 1000;
    s->set = set;
    assert_int_equal(proposer_init(&s->p, &set, s->now), 0);
    return s;
}

static void sim_free(struct sim *s)
{
    proposer_free(&s->p);
    for (int i = 0; i < N_ACC; i++)
        acceptor_free(&s->acc[i]);
    acceptor_ready_free(&s->ready);
    free(s);
}

/* The acceptor's own PROMISE (or refusal) goes back to the proposer. */
static void sim_prepare(struct sim *s, size_t i, const struct proposer_out *o)
{
    assert_int_not_equal(acceptor_prepare(&s->acc[i], o->ballot, o->first,
                                          &s->ready),
                         ACCEPTOR_NO_MEMORY);
    proposer_on_promise(&s->p, i, o->ballot, &s->ready.reply, s->now);
}

static void sim_accept(struct sim *s, size_t i, const struct proposer_out *o)
{
    struct acceptor *a = &s->acc[i];
    struct msg_entry *e = calloc(o->count + 1, sizeof(*e));
    enum acceptor_verdict v;

    for (uint64_t k = 0; k < o->count; k++) {
        e[k].slot = o->first + k;
        e[k].value = proposer_get(&s->p, o->first + k)->value;
    }
    v = acceptor_accept(a, o->ballot, e, o->count, s->p.commit, &s->ready);
    free(e);
    if (o->kind == PROPOSER_SEND_CONFIRM)
        proposer_on_confirm(&s->p, i, o->ballot, v == ACCEPTOR_OK,
                            a->promised, o->round, s->now);
    else
        proposer_on_accepted(&s->p, i, o->ballot, v == ACCEPTOR_OK,
                             a->promised, o->first, o->count, s->now);
}

/* Delivers everything in the outbox (and what answers to it produce)
 * to the reachable acceptors, in order; collects replies to requests. */
static void sim_run(struct sim *s)
{
    while (s->p.n_out) {
        size_t n = s->p.n_out;
        struct proposer_out *batch = malloc(n * sizeof(*batch));
        memcpy(batch, s->p.out, n * sizeof(*batch));
        proposer_out_clear(&s->p);
        for (size_t k = 0; k < n; k++) {
            const struct proposer_out *o = &batch[k];
            switch (o->kind) {
            case PROPOSER_SEND_PREPARE:
                s->prepares_sent++;
                break;
            case PROPOSER_SEND_ACCEPT:
                s->accepts_sent++;
                if (s->drop_accepts)
                    continue;
                break;
            case PROPOSER_SEND_CONFIRM:
                s->confirms_sent++;
                break;
            case PROPOSER_SEND_HEARTBEAT:
                s->heartbeats_sent++;
                continue;
            case PROPOSER_SEND_CHOSEN:
                /* each slot once, in order, and only when chosen (a new
                 * leader starts past the commit index it found) */
                assert_true(o->first > s->announced_upto);
                assert_true(o->first + o->count - 1 <= s->p.commit);
                for (uint64_t j = 0; j < o->count; j++)
                    assert_non_null(proposer_get(&s->p, o->first + j));
                s->announced_upto = o->first + o->count - 1;
                continue;
            default:
                s->answers[s->n_answers++] = (struct answer){
                    o->kind, o->token, o->slot, o->maybe_chosen };
                continue;
            }
            for (size_t i = 0; i < N_ACC; i++) {
                if (!(s->reachable >> i & 1))
                    continue;
                if (o->kind == PROPOSER_SEND_PREPARE)
                    sim_prepare(s, i, o);
                else
                    sim_accept(s, i, o);
            }
        }
        free(batch);
    }
}

static void sim_advance(struct sim *s, int64_t ms)
{
    for (int64_t t = 0; t < ms; t += 10) {
        s->now += 10;
        proposer_tick(&s->p, s->now);
        proposer_flush(&s->p, s->now);
        sim_run(s);
    }
}

static void sim_write(struct sim *s, const char *data, uint64_t seq,
                      void *token)
{
    struct pvalue v = { (char *)data, (char *)"9", seq };

    assert_int_equal(proposer_submit(&s->p, &v, token, s->now), PROPOSER_QUEUED);
}

static const struct answer *sim_answer(const struct sim *s, void *token)
{
    for (size_t i = 0; i < s->n_answers; i++)
        if (s->answers[i].token == token)
            return &s->answers[i];
    return NULL;
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

/* An empty promise from acceptor i for ballot sent. */
static void promise(struct sim *s, size_t i, struct ballot sent)
{
    proposer_on_promise(&s->p, i, sent,
                        &(struct msg){ .ok = true, .ballot = sent }, s->now);
}

static void test_promises_count_once_per_configured_acceptor(void **state)
{
    struct sim *s = sim_new(1, 0);

    s->reachable = 0;
    sim_advance(s, TIMEOUT);    /* candidate, nobody answered */
    assert_int_equal(s->p.state, PROPOSER_CANDIDATE);
    promise(s, 0, s->p.ballot);
    promise(s, 0, s->p.ballot);
    promise(s, 7, s->p.ballot);
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
    assert_int_equal(s->announced_upto, 0);     /* nor told the learners */
    s->reachable = 0x3;
    sim_advance(s, 400);        /* retransmitted, now to a quorum */
    for (int i = 0; i < 3; i++) {
        const struct answer *a = sim_answer(s, &tokens[i]);
        assert_non_null(a);
        assert_int_equal(a->kind, PROPOSER_REPLY_CHOSEN);
        assert_int_equal(a->slot, (uint64_t)i + 1);
    }
    assert_int_equal(s->announced_upto, 3);     /* the learners hear of them */
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
    acceptor_accept(&s->acc[0], B(1, 1), &old, 1, 0, &s->ready);
    acceptor_accept(&s->acc[1], B(2, 3), &newer, 1, 0, &s->ready);
    acceptor_accept(&s->acc[1], B(2, 3), &far, 1, 0, &s->ready);
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
    for (int i = 0; i < N_ACC; i++)
        acceptor_accept(&s->acc[i], B(1, 1), e, 3, 3, &s->ready);
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

    for (int i = 0; i < N_ACC; i++) {
        acceptor_restore(&s->acc[i], &(struct acceptor_record){
            .kind = ACCEPTOR_RECORD_TRIM, .upto = 3000000 });
        assert_int_equal(acceptor_accept(&s->acc[i], B(1, 1), &e, 1, 3000000,
                                         &s->ready),
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
    for (int i = 0; i < N_ACC; i++)
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
        proposer_on_heartbeat(&s->p, 1, B(4, 1), 17, s->now);
        sim_advance(s, 100);
    }
    assert_int_equal(s->p.state, PROPOSER_FOLLOWER);
    assert_int_equal(s->p.leader, 1);
    assert_int_equal(s->p.commit, 17);
    proposer_on_heartbeat(&s->p, 3, B(3, 3), 20, s->now);    /* deposed */
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lowest_rank_elects_itself_first),
        cmocka_unit_test(test_no_quorum_no_leader),
        cmocka_unit_test(test_promises_count_once_per_configured_acceptor),
        cmocka_unit_test(test_writes_batched_and_answered_when_chosen),
        cmocka_unit_test(test_pipelines_many_accepts),
        cmocka_unit_test(test_batches_grow_while_one_is_in_flight),
        cmocka_unit_test(test_batches_bounded_by_bytes),
        cmocka_unit_test(test_write_waiting_too_long_for_a_slot_fails),
        cmocka_unit_test(test_retried_write_keeps_its_slot),
        cmocka_unit_test(test_leader_memory_is_a_window),
        cmocka_unit_test(test_new_leader_adopts_highest_ballot_and_fills_gaps),
        cmocka_unit_test(test_new_leader_starts_above_acceptors_commit),
        cmocka_unit_test(test_far_behind_proposer_leads_with_a_small_window),
        cmocka_unit_test(test_higher_ballot_makes_leader_step_down),
        cmocka_unit_test(test_heartbeats_keep_follower_and_stale_ones_are_ignored),
        cmocka_unit_test(test_read_waits_for_quorum_confirmation),
        cmocka_unit_test(test_restarted_proposer_never_reuses_its_ballot),
        cmocka_unit_test(test_leader_cut_off_from_acceptors_steps_down),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
