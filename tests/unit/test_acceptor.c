/* test_acceptor.c -- the acceptor's rules: who may vote (identity and
 * admission), promises, accepts, listings, the configurations a leader
 * sends (a chain), the learners' progress and trimming, and the records
 * that make each decision durable (what is written, what a compacted
 * file holds, and what a replay of them rebuilds). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/acceptor.h"

#define SELF 4                  /* the acceptor's node id */
#define OTHER_A 5               /* the other founding acceptors */
#define OTHER_B 6
#define JOINER 9                /* an acceptor admitted later */
#define LEARNER_A 7
#define LEARNER_B 8
#define MIB (1u << 20)

#define SELF_MEMBER "4444444444444444"
#define OTHER_A_MEMBER "5555555555555555"
#define OTHER_B_MEMBER "6666666666666666"
#define JOINER_MEMBER "9999999999999999"

static const uint32_t learners[] = { LEARNER_A, LEARNER_B };

static struct ballot B(uint32_t round, uint32_t node)
{
    return (struct ballot){ round, node };
}

static struct msg_entry entry(uint64_t slot, const char *data)
{
    return (struct msg_entry){ .slot = slot,
                               .value = { (char *)data, (char *)"9", slot } };
}

static struct node_info acceptor_node(uint32_t id)
{
    struct node_info n = { .id = id, .role = ROLE_ACCEPTOR,
                           .port = (uint16_t)(4000 + id) };

    snprintf(n.name, sizeof n.name, "acceptor%u", (unsigned)id);
    snprintf(n.host, sizeof n.host, "127.0.0.1");
    return n;
}

static struct voter voter(uint32_t id, const char *member)
{
    struct voter v = { .node = acceptor_node(id) };

    snprintf(v.member, sizeof v.member, "%s", member);
    return v;
}

/* What the founder SELF decides when OTHER_A and OTHER_B are new too:
 * found the cluster of the three, epoch 1 from slot 1. */
static struct admission founding_decision(void)
{
    const struct node_info founders[3] = {
        acceptor_node(SELF), acceptor_node(OTHER_A), acceptor_node(OTHER_B) };
    const struct identity_report reports[2] = {
        { .id = OTHER_A, .member = OTHER_A_MEMBER },
        { .id = OTHER_B, .member = OTHER_B_MEMBER } };
    const struct acceptor_identity me = { .member = SELF_MEMBER };
    struct admission decided;

    admission_decide(&founders[0], &me, founders, 3, reports, 2,
                     &(struct learners_report){ 0 }, &decided);
    assert_int_equal(decided.verdict, ADMISSION_FOUND);
    return decided;
}

/* The chain a leader knows once the configuration that adds JOINER was
 * chosen at slot: the founding one, then that one (epoch 2, in force
 * from slot + VOTERS_ALPHA). */
static struct voters_chain with_joiner(uint64_t slot)
{
    struct voters_chain ch = founding_decision().chain;
    struct voters grown = ch.c[0];
    struct pvalue value;

    grown.v[grown.n++] = voter(JOINER, JOINER_MEMBER);
    assert_int_equal(voters_to_value(&grown, &value), 0);
    assert_int_equal(chain_take(&ch, &value, slot), 1);
    pvalue_free(&value);
    return ch;
}

/* A new data directory, then the founding of the cluster and its
 * activation: the acceptor votes. */
static void found_and_activate(struct acceptor *a)
{
    struct acceptor_ready r = { 0 };
    struct admission decided = founding_decision();

    assert_int_equal(acceptor_new_member(a, SELF_MEMBER, &r), 0);
    assert_int_equal(acceptor_admit(a, &decided, &r), 0);
    assert_int_equal(acceptor_activate(a, &r), 0);
    assert_true(a->me.active);
    acceptor_ready_free(&r);
}

/* An acceptor with node id SELF and the learners LEARNER_A, LEARNER_B,
 * a founding voter that votes. */
static void start(struct acceptor *a)
{
    assert_int_equal(acceptor_init(a, SELF, learners, 2), 0);
    found_and_activate(a);
}

static void stop(struct acceptor *a, struct acceptor_ready *r)
{
    acceptor_free(a);
    acceptor_ready_free(r);
}

/* Accepts one value (a test's set-up): r's records then borrow an entry
 * gone out of scope, so they are not for reading. */
static void accept_one(struct acceptor *a, struct ballot b, uint64_t slot,
                       const char *data, uint64_t commit,
                       struct acceptor_ready *r)
{
    struct msg_entry e = entry(slot, data);

    assert_int_equal(acceptor_accept(a, b, &e, 1, commit, NULL, r),
                     ACCEPTOR_OK);
}

static void assert_ballot(struct ballot got, struct ballot want)
{
    assert_int_equal(got.round, want.round);
    assert_int_equal(got.node, want.node);
}

static void assert_promise_record(const struct acceptor_record *r,
                                  struct ballot b)
{
    assert_int_equal(r->kind, ACCEPTOR_RECORD_PROMISE);
    assert_ballot(r->ballot, b);
}

static void assert_accept_record(const struct acceptor_record *r,
                                 uint64_t slot, struct ballot b,
                                 const char *data)
{
    assert_int_equal(r->kind, ACCEPTOR_RECORD_ACCEPT);
    assert_int_equal(r->slot, slot);
    assert_ballot(r->ballot, b);
    assert_string_equal(r->value->data, data);
}

static void assert_trim_record(const struct acceptor_record *r,
                               uint64_t upto)
{
    assert_int_equal(r->kind, ACCEPTOR_RECORD_TRIM);
    assert_int_equal(r->upto, upto);
}

static void assert_identity_record(const struct acceptor_record *r,
                                   const char *member, bool active)
{
    assert_int_equal(r->kind, ACCEPTOR_RECORD_IDENTITY);
    assert_string_equal(r->identity->member, member);
    assert_int_equal(r->identity->active, active);
}

static void assert_config_record(const struct acceptor_record *r,
                                 uint64_t commit, uint64_t epoch)
{
    assert_int_equal(r->kind, ACCEPTOR_RECORD_CONFIG);
    assert_int_equal(r->commit, commit);
    assert_int_equal(chain_last(r->chain)->epoch, epoch);
}

static void assert_same_chain(const struct voters_chain *x,
                              const struct voters_chain *y)
{
    assert_int_equal(x->n, y->n);
    for (size_t i = 0; i < x->n; i++) {
        assert_int_equal(x->c[i].epoch, y->c[i].epoch);
        assert_int_equal(x->c[i].first_slot, y->c[i].first_slot);
        assert_true(voters_same(&x->c[i], &y->c[i]));
    }
}

static void assert_same_state(const struct acceptor *x,
                              const struct acceptor *y)
{
    assert_string_equal(x->me.member, y->me.member);
    assert_string_equal(x->me.cluster, y->me.cluster);
    assert_int_equal(x->me.active, y->me.active);
    assert_int_equal(x->founding.epoch, y->founding.epoch);
    assert_true(voters_same(&x->founding, &y->founding));
    assert_same_chain(&x->chain, &y->chain);
    assert_ballot(x->promised, y->promised);
    assert_int_equal(x->trimmed, y->trimmed);
    assert_int_equal(x->max_slot, y->max_slot);
    for (uint64_t s = 1; s <= x->max_slot; s++) {
        const struct acceptor_slot *sx = acceptor_get(x, s);
        const struct acceptor_slot *sy = acceptor_get(y, s);
        if (!sx || !sy) {
            assert_ptr_equal(sx, sy);
            continue;
        }
        assert_ballot(sx->ballot, sy->ballot);
        assert_true(pvalue_equal(&sx->value, &sy->value));
    }
}

/* Hands every record of r to the acceptor, as a replay does. */
static void restore_all(struct acceptor *a, const struct acceptor_ready *r)
{
    for (size_t i = 0; i < r->n_records; i++)
        assert_int_equal(acceptor_restore(a, &r->records[i]), 0);
}

/* ---- who votes ---- */

/* Nothing an acceptor does, and the state it has, after a refusal. */
static void assert_refused_unchanged(const struct acceptor *a,
                                     const struct acceptor_ready *r)
{
    assert_int_equal(r->n_records, 0);
    assert_int_equal(r->reply.n_entries, 0);
    assert_true(ballot_is_zero(r->reply.ballot));
    assert_true(ballot_is_zero(a->promised));
    assert_int_equal(a->max_slot, 0);
    assert_int_equal(a->commit, 0);
    assert_int_equal(a->trimmed, 0);
    assert_null(acceptor_get(a, 1));
}

/* Tries to prepare, accept and list: each is refused as not admitted,
 * with no record, no reply and no change. */
static void assert_refuses_to_vote(struct acceptor *a)
{
    struct acceptor_ready r = { 0 };
    struct msg_entry e = entry(1, "x");
    struct voters_chain newer = with_joiner(1);

    assert_int_equal(acceptor_prepare(a, B(2, 1), 1, &r),
                     ACCEPTOR_NOT_ADMITTED);
    assert_refused_unchanged(a, &r);
    assert_int_equal(acceptor_accept(a, B(2, 1), &e, 1, 2, &newer, &r),
                     ACCEPTOR_NOT_ADMITTED);
    assert_refused_unchanged(a, &r);
    assert_true(a->chain.n < 2);            /* the configurations too */
    assert_int_equal(acceptor_accept(a, B(3, 1), NULL, 0, 0, NULL, &r),
                     ACCEPTOR_NOT_ADMITTED);
    assert_refused_unchanged(a, &r);
    assert_int_equal(acceptor_list(a, LEARNER_A, 1, 10, &r),
                     ACCEPTOR_NOT_ADMITTED);
    assert_refused_unchanged(a, &r);
    assert_int_equal(a->learners[0].applied, 0);    /* progress unheard */
    acceptor_ready_free(&r);
}

/* An acceptor votes only once admitted and active: with no identity, a
 * new member identity, or founded but not yet active, it refuses every
 * prepare, accept and listing and changes nothing. */
static void test_acceptor_not_admitted_refuses_to_vote(void **state)
{
    struct acceptor a;
    struct acceptor_ready r = { 0 };
    struct admission decided = founding_decision();

    assert_int_equal(acceptor_init(&a, SELF, learners, 2), 0);
    assert_refuses_to_vote(&a);
    assert_int_equal(acceptor_new_member(&a, SELF_MEMBER, &r), 0);
    assert_refuses_to_vote(&a);
    assert_int_equal(acceptor_admit(&a, &decided, &r), 0);
    assert_refuses_to_vote(&a);
    assert_int_equal(acceptor_activate(&a, &r), 0);
    assert_int_equal(acceptor_prepare(&a, B(2, 1), 1, &r), ACCEPTOR_OK);
    assert_string_equal(r.reply.member, SELF_MEMBER);
    stop(&a, &r);
}

/* A new data directory is an identity record of a member not admitted;
 * what it says of itself has no cluster and no configuration. */
static void test_new_member_is_recorded_not_admitted(void **state)
{
    struct acceptor a;
    struct acceptor_ready r = { 0 };

    assert_int_equal(acceptor_init(&a, SELF, learners, 2), 0);
    assert_int_equal(acceptor_new_member(&a, SELF_MEMBER, &r), 0);
    assert_int_equal(r.n_records, 1);
    assert_identity_record(&r.records[0], SELF_MEMBER, false);
    assert_string_equal(r.records[0].identity->cluster, "");
    acceptor_identify(&a, &r);
    assert_int_equal(r.reply.type, MSG_IDENTITY);
    assert_int_equal(r.reply.from, SELF);
    assert_string_equal(r.reply.member, SELF_MEMBER);
    assert_string_equal(r.reply.cluster, "");
    assert_false(r.reply.active);
    assert_null(r.reply.chain);
    assert_null(r.reply.founding);
    stop(&a, &r);
}

/* Founding: the identity (with the cluster and the founding voters) and
 * the configuration are recorded, but the acceptor votes only once
 * activated (a quorum of the founders recorded the cluster), which is an
 * identity record too. */
static void test_admit_found_waits_for_activation(void **state)
{
    struct acceptor a;
    struct acceptor_ready r = { 0 };
    struct admission decided = founding_decision();

    assert_int_equal(acceptor_init(&a, SELF, learners, 2), 0);
    assert_int_equal(acceptor_new_member(&a, SELF_MEMBER, &r), 0);
    assert_int_equal(acceptor_admit(&a, &decided, &r), 0);
    assert_int_equal(r.n_records, 2);
    assert_identity_record(&r.records[0], SELF_MEMBER, false);
    assert_string_equal(r.records[0].identity->cluster, decided.cluster);
    assert_true(voters_same(r.records[0].founding, &decided.founding));
    assert_config_record(&r.records[1], 0, 1);
    assert_false(a.me.active);
    assert_int_equal(acceptor_prepare(&a, B(1, 1), 1, &r),
                     ACCEPTOR_NOT_ADMITTED);
    acceptor_identify(&a, &r);
    assert_string_equal(r.reply.cluster, decided.cluster);
    assert_false(r.reply.active);
    assert_int_equal(r.reply.chain->n, 1);
    assert_int_equal(r.reply.chain->c[0].epoch, 1);
    assert_int_equal(r.reply.founding->n, 3);

    assert_int_equal(acceptor_activate(&a, &r), 0);
    assert_int_equal(r.n_records, 1);
    assert_identity_record(&r.records[0], SELF_MEMBER, true);
    assert_int_equal(acceptor_prepare(&a, B(1, 1), 1, &r), ACCEPTOR_OK);
    assert_string_equal(r.reply.cluster, decided.cluster);
    assert_int_equal(r.reply.chain->n, 1);
    assert_int_equal(r.reply.chain->c[0].epoch, 1);
    stop(&a, &r);
}

/* A joiner named by a later configuration (epoch > 1) votes at once,
 * even before that configuration is in force: the cluster lives
 * already. A founding voter that joins the founding configuration waits
 * for activation like any founder. */
static void test_admit_join_by_later_configuration_is_active_at_once(
    void **state)
{
    struct acceptor a;
    struct acceptor_ready r = { 0 };
    struct admission decided = founding_decision();

    decided.verdict = ADMISSION_JOIN;
    decided.commit = 41;
    decided.chain = with_joiner(41);
    assert_int_equal(acceptor_init(&a, JOINER, learners, 2), 0);
    assert_int_equal(acceptor_new_member(&a, JOINER_MEMBER, &r), 0);
    assert_int_equal(acceptor_admit(&a, &decided, &r), 0);
    assert_int_equal(r.n_records, 2);
    assert_identity_record(&r.records[0], JOINER_MEMBER, true);
    assert_config_record(&r.records[1], 41, 2);
    assert_int_equal(a.commit, 41);
    assert_int_equal(acceptor_prepare(&a, B(1, 1), 1, &r), ACCEPTOR_OK);
    assert_string_equal(r.reply.member, JOINER_MEMBER);
    assert_int_equal(r.reply.commit, 41);
    assert_same_chain(r.reply.chain, &decided.chain);
    assert_int_equal(r.reply.chain->c[1].first_slot, 41 + VOTERS_ALPHA);
    acceptor_free(&a);

    decided = founding_decision();
    decided.verdict = ADMISSION_JOIN;
    assert_int_equal(acceptor_init(&a, OTHER_A, learners, 2), 0);
    assert_int_equal(acceptor_new_member(&a, OTHER_A_MEMBER, &r), 0);
    assert_int_equal(acceptor_admit(&a, &decided, &r), 0);
    assert_false(a.me.active);
    assert_int_equal(acceptor_prepare(&a, B(1, 1), 1, &r),
                     ACCEPTOR_NOT_ADMITTED);
    stop(&a, &r);
}

/* Waiting (asked again, or not named by the cluster) changes nothing. */
static void test_admit_without_a_verdict_changes_nothing(void **state)
{
    const enum admission_verdict waits[] = { ADMISSION_ASK_AGAIN,
                                             ADMISSION_NOT_NAMED };
    struct acceptor a;
    struct acceptor_ready r = { 0 };

    for (size_t i = 0; i < 2; i++) {
        struct admission decided = founding_decision();
        decided.verdict = waits[i];
        assert_int_equal(acceptor_init(&a, SELF, learners, 2), 0);
        assert_int_equal(acceptor_new_member(&a, SELF_MEMBER, &r), 0);
        assert_int_equal(acceptor_admit(&a, &decided, &r), 0);
        assert_int_equal(r.n_records, 0);
        assert_string_equal(a.me.cluster, "");
        assert_int_equal(a.chain.n, 0);
        assert_int_equal(a.founding.epoch, 0);
        assert_refuses_to_vote(&a);
        acceptor_free(&a);
    }
    acceptor_ready_free(&r);
}

/* Every reply names the acceptor's member identity, so a proposer counts
 * its vote only under the identity the configuration names. */
static void test_replies_carry_the_member_identity(void **state)
{
    struct acceptor a;
    struct acceptor_ready r = { 0 };
    struct msg_entry e = entry(1, "x");

    start(&a);
    assert_int_equal(acceptor_prepare(&a, B(2, 1), 1, &r), ACCEPTOR_OK);
    assert_string_equal(r.reply.member, SELF_MEMBER);
    assert_int_equal(acceptor_prepare(&a, B(1, 1), 1, &r), ACCEPTOR_STALE);
    assert_string_equal(r.reply.member, SELF_MEMBER);
    assert_int_equal(acceptor_accept(&a, B(2, 1), &e, 1, 0, NULL, &r),
                     ACCEPTOR_OK);
    assert_string_equal(r.reply.member, SELF_MEMBER);
    assert_int_equal(acceptor_accept(&a, B(1, 9), &e, 1, 0, NULL, &r),
                     ACCEPTOR_STALE);
    assert_string_equal(r.reply.member, SELF_MEMBER);
    assert_int_equal(acceptor_list(&a, 0, 1, 10, &r), ACCEPTOR_OK);
    assert_string_equal(r.reply.member, SELF_MEMBER);
    assert_string_equal(r.reply.cluster, a.me.cluster);
    assert_int_equal(chain_last(r.reply.chain)->epoch, 1);
    assert_int_equal(r.reply.founding->epoch, 1);
    assert_int_equal(voters_find(r.reply.founding, SELF, SELF_MEMBER), 0);
    stop(&a, &r);
}

/* ---- configurations ---- */

/* A leader's ACCEPT carries the configurations after its commit index
 * (a chain): a newer one (its newest configuration has a higher epoch)
 * is taken (a config record, before the accepts) and reported in
 * promises and listings; an older or equal one, or none, changes
 * nothing. */
static void test_accept_takes_a_newer_chain(void **state)
{
    struct acceptor a;
    struct acceptor_ready r = { 0 };
    struct voters_chain founding, newer = with_joiner(5);
    struct msg_entry e = entry(6, "after the change");

    start(&a);
    founding = a.chain;
    assert_int_equal(acceptor_accept(&a, B(2, 1), &e, 1, 5, &newer, &r),
                     ACCEPTOR_OK);
    assert_int_equal(r.n_records, 2);
    assert_config_record(&r.records[0], 5, 2);
    assert_same_chain(r.records[0].chain, &newer);
    assert_accept_record(&r.records[1], 6, B(2, 1), "after the change");
    assert_same_chain(&a.chain, &newer);
    assert_int_equal(a.chain.c[1].first_slot, 5 + VOTERS_ALPHA);

    assert_int_equal(acceptor_prepare(&a, B(3, 2), 1, &r), ACCEPTOR_OK);
    assert_int_equal(r.reply.commit, 5);
    assert_same_chain(r.reply.chain, &newer);
    assert_int_equal(voters_find(chain_last(r.reply.chain), JOINER,
                                 JOINER_MEMBER), 3);
    assert_int_equal(acceptor_list(&a, 0, 1, 10, &r), ACCEPTOR_OK);
    assert_same_chain(r.reply.chain, &newer);
    assert_int_equal(r.reply.founding->epoch, 1);   /* the founding stays */

    /* a late ACCEPT of an older leader's chain changes nothing */
    e = entry(7, "seven");
    assert_int_equal(acceptor_accept(&a, B(3, 2), &e, 1, 3, &founding, &r),
                     ACCEPTOR_OK);
    assert_int_equal(r.n_records, 1);
    assert_accept_record(&r.records[0], 7, B(3, 2), "seven");
    assert_same_chain(&a.chain, &newer);
    assert_int_equal(a.commit, 5);
    /* the same one again, or none: no record */
    assert_int_equal(acceptor_accept(&a, B(3, 2), NULL, 0, 6, &newer, &r),
                     ACCEPTOR_OK);
    assert_int_equal(r.n_records, 0);
    assert_int_equal(acceptor_accept(&a, B(3, 2), NULL, 0, 6, NULL, &r),
                     ACCEPTOR_OK);
    assert_int_equal(r.n_records, 0);
    assert_same_chain(&a.chain, &newer);
    stop(&a, &r);
}

/* Once the commit index a leader sends reaches the slot before a
 * configuration's first, the one before it decides no slot after the
 * commit index: promises and listings report the chain without it, so
 * that a candidate counts its quorum among the voters in force. */
static void test_chain_drops_what_the_commit_index_passed(void **state)
{
    struct acceptor a;
    struct acceptor_ready r = { 0 };
    struct voters_chain newer = with_joiner(5), in_force = newer;
    uint64_t first = 5 + VOTERS_ALPHA;

    start(&a);
    chain_advance(&in_force, first - 1);
    assert_int_equal(in_force.n, 1);
    assert_int_equal(acceptor_accept(&a, B(2, 1), NULL, 0, 5, &newer, &r),
                     ACCEPTOR_OK);
    assert_int_equal(acceptor_accept(&a, B(2, 1), NULL, 0, first - 2,
                                     &newer, &r), ACCEPTOR_OK);
    assert_same_chain(&a.chain, &newer);        /* still needed */
    /* the leader's chain after first - 1 is the new one alone */
    assert_int_equal(acceptor_accept(&a, B(2, 1), NULL, 0, first - 1,
                                     &in_force, &r), ACCEPTOR_OK);
    assert_same_chain(&a.chain, &in_force);
    assert_int_equal(acceptor_prepare(&a, B(3, 2), 1, &r), ACCEPTOR_OK);
    assert_int_equal(r.reply.commit, first - 1);
    assert_same_chain(r.reply.chain, &in_force);
    /* a leader that sends the chain it knew (no newer one) does too */
    acceptor_free(&a);
    start(&a);
    assert_int_equal(acceptor_accept(&a, B(2, 1), NULL, 0, 5, &newer, &r),
                     ACCEPTOR_OK);
    assert_int_equal(acceptor_accept(&a, B(2, 1), NULL, 0, first + 10,
                                     NULL, &r), ACCEPTOR_OK);
    assert_same_chain(&a.chain, &in_force);
    assert_int_equal(acceptor_list(&a, 0, 1, 10, &r), ACCEPTOR_OK);
    assert_same_chain(r.reply.chain, &in_force);
    stop(&a, &r);
}

/* An ACCEPT refused (below the promise, or a bad slot) takes nothing of
 * the configurations either. */
static void test_refused_accept_takes_no_configuration(void **state)
{
    struct acceptor a;
    struct acceptor_ready r = { 0 };
    struct voters_chain newer = with_joiner(5);
    struct msg_entry e = entry(6, "x"), zero = entry(0, "x");

    start(&a);
    assert_int_equal(acceptor_prepare(&a, B(5, 2), 1, &r), ACCEPTOR_OK);
    assert_int_equal(acceptor_accept(&a, B(4, 1), &e, 1, 5, &newer, &r),
                     ACCEPTOR_STALE);
    assert_int_equal(r.n_records, 0);
    assert_int_equal(a.chain.n, 1);
    assert_int_equal(a.commit, 0);
    assert_int_equal(acceptor_accept(&a, B(5, 2), &zero, 1, 5, &newer, &r),
                     ACCEPTOR_BAD_SLOT);
    assert_int_equal(r.n_records, 0);
    assert_int_equal(a.chain.n, 1);
    stop(&a, &r);
}

/* The records of the identity and the configurations rebuild them: a
 * snapshot written by an acceptor that took a newer chain, restored into
 * a fresh one, votes under the same identity and reports the same chain;
 * an inactive founder's stays inactive. */
static void test_snapshot_restores_identity_and_configuration(void **state)
{
    struct acceptor a, restored;
    struct acceptor_ready r = { 0 };
    struct voters_chain newer = with_joiner(5);
    struct admission decided = founding_decision();

    start(&a);
    assert_int_equal(acceptor_accept(&a, B(2, 1), NULL, 0, 5, &newer, &r),
                     ACCEPTOR_OK);
    assert_int_equal(acceptor_snapshot(&a, &r), 0);
    assert_identity_record(&r.records[0], SELF_MEMBER, true);
    assert_config_record(&r.records[1], 5, 2);
    assert_int_equal(acceptor_init(&restored, SELF, learners, 2), 0);
    restore_all(&restored, &r);
    assert_same_state(&a, &restored);
    assert_int_equal(restored.commit, 5);
    assert_int_equal(acceptor_prepare(&restored, B(3, 1), 1, &r),
                     ACCEPTOR_OK);
    assert_string_equal(r.reply.member, SELF_MEMBER);
    assert_string_equal(r.reply.cluster, a.me.cluster);
    assert_int_equal(r.reply.commit, 5);
    assert_same_chain(r.reply.chain, &newer);
    acceptor_free(&restored);
    acceptor_free(&a);

    assert_int_equal(acceptor_init(&a, SELF, learners, 2), 0);
    acceptor_new_member(&a, SELF_MEMBER, &r);
    acceptor_admit(&a, &decided, &r);
    assert_int_equal(acceptor_snapshot(&a, &r), 0);
    assert_int_equal(acceptor_init(&restored, SELF, learners, 2), 0);
    restore_all(&restored, &r);
    assert_same_state(&a, &restored);
    assert_false(restored.me.active);
    assert_int_equal(acceptor_prepare(&restored, B(3, 1), 1, &r),
                     ACCEPTOR_NOT_ADMITTED);
    acceptor_free(&restored);
    stop(&a, &r);
}

/* ---- promises ---- */

static void test_prepare_raises_and_rejects_lower(void **state)
{
    struct acceptor a;
    struct acceptor_ready r = { 0 };

    start(&a);
    assert_int_equal(acceptor_prepare(&a, B(2, 1), 1, &r), ACCEPTOR_OK);
    assert_int_equal(r.n_records, 1);
    assert_promise_record(&r.records[0], B(2, 1));
    assert_int_equal(r.reply.type, MSG_PROMISE);
    assert_int_equal(r.reply.from, SELF);
    assert_true(r.reply.ok);
    assert_ballot(r.reply.ballot, B(2, 1));

    assert_int_equal(acceptor_prepare(&a, B(1, 3), 1, &r), ACCEPTOR_STALE);
    assert_int_equal(r.n_records, 0);
    assert_ballot(a.promised, B(2, 1));
    /* the same ballot again is refused: it may come from a proposer that
     * restarted and forgot it already used it */
    assert_int_equal(acceptor_prepare(&a, B(2, 1), 1, &r), ACCEPTOR_STALE);
    assert_int_equal(r.n_records, 0);
    /* same round, higher node id wins */
    assert_int_equal(acceptor_prepare(&a, B(2, 2), 1, &r), ACCEPTOR_OK);
    assert_promise_record(&r.records[0], B(2, 2));
    stop(&a, &r);
}

/* A refused PREPARE says which ballot the acceptor promised, with who it
 * is and what it knows of the configuration, but lists nothing. */
static void test_stale_prepare_reply_carries_the_promise(void **state)
{
    struct acceptor a;
    struct acceptor_ready r = { 0 };

    start(&a);
    accept_one(&a, B(5, 2), 1, "a", 1, &r);
    assert_int_equal(acceptor_prepare(&a, B(4, 1), 1, &r), ACCEPTOR_STALE);
    assert_int_equal(r.reply.type, MSG_PROMISE);
    assert_int_equal(r.reply.from, SELF);
    assert_false(r.reply.ok);
    assert_ballot(r.reply.ballot, B(5, 2));
    assert_int_equal(r.reply.n_entries, 0);
    assert_string_equal(r.reply.member, SELF_MEMBER);
    assert_int_equal(r.reply.commit, 1);
    assert_int_equal(chain_last(r.reply.chain)->epoch, 1);
    stop(&a, &r);
}

/* A promise lists every slot accepted from from_slot on, with its ballot,
 * but only above the commit index: those slots are chosen already. */
static void test_promise_lists_slots_above_commit(void **state)
{
    struct acceptor a;
    struct acceptor_ready r = { 0 };
    struct msg_entry e[5] = { entry(1, "a"), entry(2, "b"), entry(3, "c"),
                              entry(4, "d"), entry(6, "f") };

    start(&a);
    assert_int_equal(acceptor_accept(&a, B(1, 1), e, 5, 2, NULL, &r),
                     ACCEPTOR_OK);
    accept_one(&a, B(2, 3), 4, "D", 0, &r);

    assert_int_equal(acceptor_prepare(&a, B(3, 1), 1, &r), ACCEPTOR_OK);
    assert_int_equal(r.reply.commit, 2);
    assert_int_equal(r.reply.n_entries, 3);
    assert_int_equal(r.reply.entries[0].slot, 3);
    assert_ballot(r.reply.entries[0].ballot, B(1, 1));
    assert_int_equal(r.reply.entries[1].slot, 4);
    assert_string_equal(r.reply.entries[1].value.data, "D");
    assert_ballot(r.reply.entries[1].ballot, B(2, 3));
    assert_int_equal(r.reply.entries[2].slot, 6);

    assert_int_equal(acceptor_prepare(&a, B(4, 1), 5, &r), ACCEPTOR_OK);
    assert_int_equal(r.reply.n_entries, 1);
    assert_int_equal(r.reply.entries[0].slot, 6);
    stop(&a, &r);
}

/* A promise is not bounded like a listing: the new leader needs every
 * slot above the commit index at once. */
static void test_promise_lists_more_than_a_listing(void **state)
{
    struct acceptor a;
    struct acceptor_ready r = { 0 };
    size_t n = ACCEPTOR_LISTING_MAX_ENTRIES + 100;
    struct msg_entry *e = calloc(n, sizeof(*e));

    assert_non_null(e);
    start(&a);
    for (size_t i = 0; i < n; i++)
        e[i] = entry(i + 1, "v");
    assert_int_equal(acceptor_accept(&a, B(1, 1), e, n, 0, NULL, &r),
                     ACCEPTOR_OK);
    assert_int_equal(r.n_records, n);
    assert_int_equal(acceptor_prepare(&a, B(2, 1), 1, &r), ACCEPTOR_OK);
    assert_int_equal(r.reply.n_entries, n);
    free(e);
    stop(&a, &r);
}

/* ---- accepts ---- */

static void test_accept_stores_and_raises_promise(void **state)
{
    struct acceptor a;
    struct acceptor_ready r = { 0 };
    struct msg_entry e[2] = { entry(1, "a"), entry(2, "b") };

    start(&a);
    assert_int_equal(acceptor_accept(&a, B(3, 1), e, 2, 0, NULL, &r),
                     ACCEPTOR_OK);
    assert_string_equal(acceptor_get(&a, 2)->value.data, "b");
    assert_ballot(acceptor_get(&a, 1)->ballot, B(3, 1));
    assert_ballot(a.promised, B(3, 1));
    assert_int_equal(a.max_slot, 2);
    assert_null(acceptor_get(&a, 3));
    /* one accept record per slot stored, and no promise record: replaying
     * an accept raises the promise */
    assert_int_equal(r.n_records, 2);
    assert_accept_record(&r.records[0], 1, B(3, 1), "a");
    assert_accept_record(&r.records[1], 2, B(3, 1), "b");
    assert_ptr_equal(r.records[1].value, &e[1].value);   /* borrowed */
    assert_int_equal(r.reply.type, MSG_ACCEPTED);
    assert_int_equal(r.reply.from, SELF);
    assert_true(r.reply.ok);
    assert_ballot(r.reply.ballot, B(3, 1));
    stop(&a, &r);
}

static void test_accept_below_promise_changes_nothing(void **state)
{
    struct acceptor a;
    struct acceptor_ready r = { 0 };
    struct msg_entry e = entry(1, "late");

    start(&a);
    acceptor_prepare(&a, B(5, 2), 1, &r);
    assert_int_equal(acceptor_accept(&a, B(4, 1), &e, 1, 7, NULL, &r),
                     ACCEPTOR_STALE);
    assert_int_equal(r.n_records, 0);
    assert_int_equal(r.reply.type, MSG_ACCEPTED);
    assert_false(r.reply.ok);
    assert_ballot(r.reply.ballot, B(5, 2));
    assert_null(acceptor_get(&a, 1));
    assert_int_equal(a.commit, 0);
    assert_ballot(a.promised, B(5, 2));
    stop(&a, &r);
}

static void test_bad_slot_rejects_whole_batch(void **state)
{
    struct acceptor a;
    struct acceptor_ready r = { 0 };
    struct msg_entry zero[2] = { entry(1, "a"), entry(0, "b") };
    struct msg_entry far[2] = { entry(1, "a"),
                                entry(ACCEPTOR_MAX_SLOT_JUMP + 5, "b") };

    start(&a);
    assert_int_equal(acceptor_accept(&a, B(1, 1), zero, 2, 0, NULL, &r),
                     ACCEPTOR_BAD_SLOT);
    assert_int_equal(r.n_records, 0);
    assert_int_equal(acceptor_accept(&a, B(1, 1), far, 2, 0, NULL, &r),
                     ACCEPTOR_BAD_SLOT);
    assert_int_equal(r.n_records, 0);
    assert_null(acceptor_get(&a, 1));
    assert_true(ballot_is_zero(a.promised));
    stop(&a, &r);
}

static void test_higher_ballot_overwrites_slot(void **state)
{
    struct acceptor a;
    struct acceptor_ready r = { 0 };
    struct msg_entry second = entry(4, "new"), noop = { .slot = 5 };

    start(&a);
    accept_one(&a, B(1, 1), 4, "old", 0, &r);
    assert_int_equal(acceptor_accept(&a, B(2, 2), &second, 1, 3, NULL, &r),
                     ACCEPTOR_OK);
    assert_accept_record(&r.records[0], 4, B(2, 2), "new");
    assert_int_equal(acceptor_accept(&a, B(2, 2), &noop, 1, 2, NULL, &r),
                     ACCEPTOR_OK);
    assert_int_equal(r.n_records, 1);
    assert_null(r.records[0].value->data);
    assert_string_equal(acceptor_get(&a, 4)->value.data, "new");
    assert_ballot(acceptor_get(&a, 4)->ballot, B(2, 2));
    assert_true(pvalue_is_noop(&acceptor_get(&a, 5)->value));
    assert_int_equal(a.commit, 3);      /* the commit index never goes back */
    stop(&a, &r);
}

/* An empty ACCEPT (a leader confirming it leads) under a higher ballot
 * stores nothing, but it raised the promise: that is a promise record. */
static void test_empty_accept_is_a_promise_when_higher(void **state)
{
    struct acceptor a;
    struct acceptor_ready r = { 0 };

    start(&a);
    assert_int_equal(acceptor_accept(&a, B(3, 1), NULL, 0, 0, NULL, &r),
                     ACCEPTOR_OK);
    assert_ballot(a.promised, B(3, 1));
    assert_int_equal(r.n_records, 1);
    assert_promise_record(&r.records[0], B(3, 1));
    assert_true(r.reply.ok);
    /* the same ballot again changes nothing: nothing to write */
    assert_int_equal(acceptor_accept(&a, B(3, 1), NULL, 0, 0, NULL, &r),
                     ACCEPTOR_OK);
    assert_int_equal(r.n_records, 0);
    assert_int_equal(acceptor_accept(&a, B(2, 9), NULL, 0, 0, NULL, &r),
                     ACCEPTOR_STALE);
    assert_int_equal(r.n_records, 0);
    assert_int_equal(a.max_slot, 0);
    stop(&a, &r);
}

/* An ACCEPT for slots already chosen and forgotten is answered without
 * storing them; when it raised the ballot, that is a promise record. */
static void test_accept_of_trimmed_slots_is_only_a_promise(void **state)
{
    struct acceptor a;
    struct acceptor_ready r = { 0 };
    struct msg_entry e[2] = { entry(5, "x"), entry(10, "y") };

    start(&a);
    assert_int_equal(acceptor_restore(&a, &(struct acceptor_record){
        .kind = ACCEPTOR_RECORD_TRIM, .upto = 10 }), 0);
    assert_int_equal(acceptor_accept(&a, B(2, 1), e, 2, 0, NULL, &r),
                     ACCEPTOR_OK);
    assert_int_equal(r.n_records, 1);
    assert_promise_record(&r.records[0], B(2, 1));
    assert_true(r.reply.ok);
    assert_null(acceptor_get(&a, 10));
    /* under the same ballot, nothing at all */
    assert_int_equal(acceptor_accept(&a, B(2, 1), e, 2, 0, NULL, &r),
                     ACCEPTOR_OK);
    assert_int_equal(r.n_records, 0);
    /* a batch that reaches past the trim stores only what lies past it */
    e[1] = entry(11, "z");
    assert_int_equal(acceptor_accept(&a, B(3, 1), e, 2, 0, NULL, &r),
                     ACCEPTOR_OK);
    assert_int_equal(r.n_records, 1);
    assert_accept_record(&r.records[0], 11, B(3, 1), "z");
    stop(&a, &r);
}

/* ---- listings ---- */

static void test_listing_lists_everything_by_default(void **state)
{
    struct acceptor a;
    struct acceptor_ready r = { 0 };
    struct msg_entry e[3] = { entry(1, "a"), entry(2, "b"), entry(4, "d") };

    start(&a);
    assert_int_equal(acceptor_accept(&a, B(1, 2), e, 3, 2, NULL, &r),
                     ACCEPTOR_OK);
    assert_int_equal(acceptor_list(&a, 0, 2, ACCEPTOR_LISTING_MAX_ENTRIES,
                                   &r), ACCEPTOR_OK);
    assert_int_equal(r.n_records, 0);
    assert_int_equal(r.reply.type, MSG_LISTING);
    assert_int_equal(r.reply.from, SELF);
    assert_ballot(r.reply.ballot, B(1, 2));
    assert_int_equal(r.reply.commit, 2);
    assert_int_equal(r.reply.trimmed, 0);
    assert_int_equal(r.reply.from_slot, 2);
    assert_int_equal(r.reply.upto, INT64_MAX);
    assert_int_equal(r.reply.n_entries, 2);
    assert_int_equal(r.reply.entries[0].slot, 2);
    assert_ballot(r.reply.entries[0].ballot, B(1, 2));
    assert_int_equal(r.reply.entries[1].slot, 4);
    assert_string_equal(r.reply.entries[1].value.data, "d");
    stop(&a, &r);
}

/* At most limit entries; upto says where the listing stops, so the
 * learner asks again from upto + 1. */
static void test_listing_stops_at_limit(void **state)
{
    struct acceptor a;
    struct acceptor_ready r = { 0 };
    struct msg_entry e[4] = { entry(1, "a"), entry(2, "b"), entry(3, "c"),
                              entry(5, "e") };

    start(&a);
    assert_int_equal(acceptor_accept(&a, B(1, 1), e, 4, 0, NULL, &r),
                     ACCEPTOR_OK);
    assert_int_equal(acceptor_list(&a, 0, 1, 3, &r), ACCEPTOR_OK);
    assert_int_equal(r.reply.n_entries, 3);
    assert_int_equal(r.reply.entries[2].slot, 3);
    assert_int_equal(r.reply.upto, 4);      /* slot 4 is empty: covered */
    assert_int_equal(acceptor_list(&a, 0, 5, 3, &r), ACCEPTOR_OK);
    assert_int_equal(r.reply.n_entries, 1);
    assert_int_equal(r.reply.upto, INT64_MAX);
    stop(&a, &r);
}

/* About ACCEPTOR_LISTING_MAX_BYTES of values per listing, but one value
 * always, however big. */
static void test_listing_stops_at_bytes_but_carries_one(void **state)
{
    struct acceptor a;
    struct acceptor_ready r = { 0 };
    size_t big = ACCEPTOR_LISTING_MAX_BYTES + MIB, part = 3 * MIB / 2;
    char *huge = malloc(big + 1), *medium = malloc(part + 1);

    assert_non_null(huge);
    assert_non_null(medium);
    memset(huge, 'h', big);
    huge[big] = '\0';
    memset(medium, 'm', part);
    medium[part] = '\0';
    start(&a);
    accept_one(&a, B(1, 1), 1, huge, 0, &r);
    for (uint64_t s = 2; s <= 7; s++)
        accept_one(&a, B(1, 1), s, medium, 0, &r);
    free(huge);
    free(medium);

    assert_int_equal(acceptor_list(&a, 0, 1, ACCEPTOR_LISTING_MAX_ENTRIES,
                                   &r), ACCEPTOR_OK);
    assert_int_equal(r.reply.n_entries, 1);
    assert_int_equal(r.reply.upto, 1);
    /* 1.5 MiB values: the third goes past 4 MiB, the fourth waits */
    assert_int_equal(acceptor_list(&a, 0, 2, ACCEPTOR_LISTING_MAX_ENTRIES,
                                   &r), ACCEPTOR_OK);
    assert_int_equal(r.reply.n_entries, 3);
    assert_int_equal(r.reply.upto, 4);
    stop(&a, &r);
}

/* ---- the learners' progress and trimming ---- */

/* Nothing is forgotten until every configured learner has said how far
 * it got; then the slots below the one furthest behind go, but for
 * ACCEPTOR_KEEP_LEARNED, and never past the commit index. */
static void test_learners_progress_trims_below_the_slowest(void **state)
{
    struct acceptor a;
    struct acceptor_ready r = { 0 };

    start(&a);
    for (uint64_t s = 1; s <= 10000; s++)
        accept_one(&a, B(1, 1), s, "v", s <= 9000 ? s : 9000, &r);

    assert_int_equal(acceptor_list(&a, LEARNER_A, 9001, 10, &r), ACCEPTOR_OK);
    assert_int_equal(r.n_records, 0);       /* LEARNER_B not heard from */
    assert_int_equal(a.trimmed, 0);
    assert_int_equal(r.reply.trimmed, 0);

    assert_int_equal(acceptor_list(&a, LEARNER_B, 6001, 10, &r), ACCEPTOR_OK);
    assert_int_equal(r.n_records, 1);
    assert_trim_record(&r.records[0], 6000 - ACCEPTOR_KEEP_LEARNED);
    assert_int_equal(r.reply.trimmed, 6000 - ACCEPTOR_KEEP_LEARNED);
    assert_null(acceptor_get(&a, 6000 - ACCEPTOR_KEEP_LEARNED));
    assert_non_null(acceptor_get(&a, 6001 - ACCEPTOR_KEEP_LEARNED));

    /* both far ahead: capped at the commit index */
    assert_int_equal(acceptor_list(&a, LEARNER_B, 50000, 10, &r),
                     ACCEPTOR_OK);
    assert_trim_record(&r.records[0], 9000 - ACCEPTOR_KEEP_LEARNED);
    assert_int_equal(acceptor_list(&a, LEARNER_A, 50000, 10, &r),
                     ACCEPTOR_OK);
    assert_int_equal(r.n_records, 1);
    assert_trim_record(&r.records[0], 9000);
    assert_int_equal(r.reply.trimmed, 9000);
    assert_non_null(acceptor_get(&a, 9001));
    /* nothing new to forget: no record */
    assert_int_equal(acceptor_list(&a, LEARNER_A, 50000, 10, &r),
                     ACCEPTOR_OK);
    assert_int_equal(r.n_records, 0);
    stop(&a, &r);
}

/* A learner down for long (never heard from, or far behind) does not hold
 * the memory: of what the learner ahead has, at most
 * ACCEPTOR_KEEP_AHEAD_SLOTS stay, never past the commit index; the one
 * behind is told they are forgotten (and copies them from the other). */
static void test_learner_far_behind_does_not_hold_memory(void **state)
{
    struct acceptor a;
    struct acceptor_ready r = { 0 };
    const uint64_t total = ACCEPTOR_KEEP_AHEAD_SLOTS + 5000;
    const uint64_t commit = total - 1000;

    start(&a);
    for (uint64_t s = 1; s <= total; s++)
        accept_one(&a, B(1, 1), s, "v", s <= commit ? s : commit, &r);
    assert_int_equal(a.kept_bytes, total * 2);  /* "v" and client "9" */

    /* LEARNER_B is down: never heard from */
    assert_int_equal(acceptor_list(&a, LEARNER_A, total + 1, 10, &r),
                     ACCEPTOR_OK);
    assert_int_equal(r.n_records, 1);
    assert_trim_record(&r.records[0], commit - ACCEPTOR_KEEP_AHEAD_SLOTS);
    assert_null(acceptor_get(&a, commit - ACCEPTOR_KEEP_AHEAD_SLOTS));
    assert_non_null(acceptor_get(&a, commit - ACCEPTOR_KEEP_AHEAD_SLOTS + 1));
    assert_int_equal(a.kept_bytes,
                     (total - commit + ACCEPTOR_KEEP_AHEAD_SLOTS) * 2);

    /* back, LEARNER_B asks from its first slot: told what is forgotten */
    assert_int_equal(acceptor_list(&a, LEARNER_B, 1, 10, &r), ACCEPTOR_OK);
    assert_int_equal(r.n_records, 0);
    assert_int_equal(r.reply.trimmed, commit - ACCEPTOR_KEEP_AHEAD_SLOTS);
    assert_int_equal(r.reply.entries[0].slot,
                     commit - ACCEPTOR_KEEP_AHEAD_SLOTS + 1);
    stop(&a, &r);
}

/* Large values: at most ACCEPTOR_KEEP_AHEAD_BYTES of them stay, however
 * few slots that is; nothing that no learner has goes. */
static void test_learner_far_behind_bounds_the_bytes(void **state)
{
    struct acceptor a;
    struct acceptor_ready r = { 0 };
    const size_t size = 256 * 1024;
    const uint64_t total = 2 * ACCEPTOR_KEEP_AHEAD_BYTES / size;
    char *big = malloc(size + 1);

    assert_non_null(big);
    memset(big, 'x', size);
    big[size] = '\0';
    start(&a);
    for (uint64_t s = 1; s <= total; s++)
        accept_one(&a, B(1, 1), s, big, s, &r);

    /* the learner ahead has only the first half: that half may go, the
     * rest stays even above the bound */
    assert_int_equal(acceptor_list(&a, LEARNER_A, total / 2 + 1, 10, &r),
                     ACCEPTOR_OK);
    assert_int_equal(a.trimmed, total / 2);
    assert_true(a.kept_bytes > ACCEPTOR_KEEP_AHEAD_BYTES - size);

    /* it has everything: the bytes bound holds */
    assert_int_equal(acceptor_list(&a, LEARNER_A, total + 1, 10, &r),
                     ACCEPTOR_OK);
    assert_true(a.kept_bytes <= ACCEPTOR_KEEP_AHEAD_BYTES);
    assert_true(a.kept_bytes > ACCEPTOR_KEEP_AHEAD_BYTES - (size + 1));
    assert_int_equal(a.trimmed, total - ACCEPTOR_KEEP_AHEAD_BYTES / (size + 1));
    assert_null(acceptor_get(&a, a.trimmed));
    assert_non_null(acceptor_get(&a, a.trimmed + 1));
    free(big);
    stop(&a, &r);
}

/* Only a learner that is part of the configuration counts: any other id
 * is refused and changes nothing; a listing without an id counts for no
 * one. */
static void test_unknown_learner_is_refused(void **state)
{
    struct acceptor a;
    struct acceptor_ready r = { 0 };

    start(&a);
    for (uint64_t s = 1; s <= 9000; s++)
        accept_one(&a, B(1, 1), s, "v", s, &r);
    assert_int_equal(acceptor_list(&a, LEARNER_A, 9001, 10, &r), ACCEPTOR_OK);
    assert_int_equal(acceptor_list(&a, SELF, 9001, 10, &r),
                     ACCEPTOR_NOT_LEARNER);
    assert_int_equal(r.n_records, 0);
    assert_int_equal(acceptor_list(&a, 0, 9001, 10, &r), ACCEPTOR_OK);
    assert_int_equal(r.n_records, 0);
    assert_int_equal(a.trimmed, 0);
    assert_int_equal(acceptor_list(&a, LEARNER_B, 9001, 10, &r),
                     ACCEPTOR_OK);
    assert_trim_record(&r.records[0], 9000 - ACCEPTOR_KEEP_LEARNED);
    stop(&a, &r);
}

/* Only chosen slots are forgotten; an ACCEPT for one is answered without
 * storing it again, and the memory stays a window over the live slots. */
static void test_trim_forgets_chosen_slots_only(void **state)
{
    struct acceptor a;
    struct acceptor_ready r = { 0 };
    const uint32_t one = LEARNER_A;

    assert_int_equal(acceptor_init(&a, SELF, &one, 1), 0);
    found_and_activate(&a);
    for (uint64_t s = 1; s <= 3000; s++)
        accept_one(&a, B(1, 1), s, "v", s / 2, &r);
    acceptor_list(&a, LEARNER_A, 5001 + ACCEPTOR_KEEP_LEARNED, 1, &r);
    assert_int_equal(a.trimmed, 1500);      /* the commit index */
    assert_null(acceptor_get(&a, 1));
    assert_null(acceptor_get(&a, 1500));
    assert_non_null(acceptor_get(&a, 1501));
    assert_string_equal(acceptor_get(&a, 3000)->value.data, "v");
    accept_one(&a, B(1, 1), 10, "again", 0, &r);
    assert_null(acceptor_get(&a, 10));
    for (uint64_t s = 3001; s <= 100000; s++) {
        accept_one(&a, B(1, 1), s, "v", s - 1, &r);
        if (s % 1000 == 0)
            acceptor_list(&a, LEARNER_A, s - 99 + ACCEPTOR_KEEP_LEARNED, 1,
                          &r);
    }
    assert_true(a.cap <= 4096);
    assert_non_null(acceptor_get(&a, 99950));
    assert_null(acceptor_get(&a, 99800));
    stop(&a, &r);
}

/* ---- compaction and replay ---- */

/* A compacted file holds the identity and the configuration, the trim,
 * the slots kept ordered by ballot (as a replay must see them: each
 * accept raises the promise), and the promise last. */
static void test_snapshot_orders_identity_trim_slots_promise(void **state)
{
    struct acceptor a;
    struct acceptor_ready r = { 0 };

    assert_int_equal(acceptor_init(&a, SELF, learners, 2), 0);
    assert_int_equal(acceptor_snapshot(&a, &r), 0);
    assert_int_equal(r.n_records, 1);   /* no identity, nothing promised */
    assert_trim_record(&r.records[0], 0);
    found_and_activate(&a);

    accept_one(&a, B(1, 1), 1, "gone", 1, &r);
    accept_one(&a, B(1, 1), 4, "d", 0, &r);
    accept_one(&a, B(1, 1), 2, "b", 0, &r);
    accept_one(&a, B(2, 3), 3, "c", 0, &r);
    accept_one(&a, B(2, 3), 2, "B", 0, &r);
    accept_one(&a, B(3, 1), 6, "f", 0, &r);
    acceptor_prepare(&a, B(5, 2), 1, &r);
    acceptor_list(&a, LEARNER_A, ACCEPTOR_KEEP_LEARNED + 2, 1, &r);
    acceptor_list(&a, LEARNER_B, ACCEPTOR_KEEP_LEARNED + 2, 1, &r);
    assert_int_equal(a.trimmed, 1);

    assert_int_equal(acceptor_snapshot(&a, &r), 0);
    assert_int_equal(r.n_records, 8);
    assert_identity_record(&r.records[0], SELF_MEMBER, true);
    assert_config_record(&r.records[1], 1, 1);
    assert_trim_record(&r.records[2], 1);
    assert_accept_record(&r.records[3], 4, B(1, 1), "d");
    assert_accept_record(&r.records[4], 2, B(2, 3), "B");
    assert_accept_record(&r.records[5], 3, B(2, 3), "c");
    assert_accept_record(&r.records[6], 6, B(3, 1), "f");
    assert_promise_record(&r.records[7], B(5, 2));
    assert_ptr_equal(r.records[6].value, &acceptor_get(&a, 6)->value);
    assert_int_equal(r.reply.n_entries, 0);
    stop(&a, &r);
}

/* Every call's records, replayed in order into a fresh acceptor, rebuild
 * the same promise and slots; so do the records of a snapshot. */
static void test_replay_rebuilds_the_same_state(void **state)
{
    struct acceptor a, replayed, compacted;
    struct acceptor_ready r = { 0 };
    struct msg_entry three[3] = { entry(1, "a"), entry(2, "b"),
                                  entry(3, "c") };
    struct msg_entry two = entry(2, "two");
    struct msg_entry later[2] = { entry(4, "d"), entry(5, "e") };

    struct admission decided = founding_decision();

    assert_int_equal(acceptor_init(&a, SELF, learners, 2), 0);
    assert_int_equal(acceptor_init(&replayed, SELF, learners, 2), 0);
    assert_int_equal(acceptor_init(&compacted, SELF, learners, 2), 0);
    acceptor_new_member(&a, SELF_MEMBER, &r);
    restore_all(&replayed, &r);
    acceptor_admit(&a, &decided, &r);
    restore_all(&replayed, &r);
    acceptor_activate(&a, &r);
    restore_all(&replayed, &r);
    acceptor_prepare(&a, B(1, 1), 1, &r);
    restore_all(&replayed, &r);
    acceptor_accept(&a, B(1, 1), three, 3, 0, NULL, &r);
    restore_all(&replayed, &r);
    acceptor_accept(&a, B(2, 2), &two, 1, 3, NULL, &r);
    restore_all(&replayed, &r);
    acceptor_accept(&a, B(3, 1), NULL, 0, 0, NULL, &r);
    restore_all(&replayed, &r);
    acceptor_list(&a, LEARNER_A, 5000, 1, &r);
    restore_all(&replayed, &r);
    acceptor_list(&a, LEARNER_B, 5000, 1, &r);
    assert_int_equal(r.n_records, 1);       /* trimmed up to the commit */
    restore_all(&replayed, &r);
    acceptor_accept(&a, B(3, 1), later, 2, 0, NULL, &r);
    restore_all(&replayed, &r);
    acceptor_prepare(&a, B(4, 1), 1, &r);
    restore_all(&replayed, &r);

    assert_same_state(&a, &replayed);
    assert_int_equal(replayed.commit, 3);   /* a trim says they were chosen */
    assert_int_equal(acceptor_snapshot(&a, &r), 0);
    restore_all(&compacted, &r);
    assert_same_state(&a, &compacted);
    stop(&compacted, &r);
    acceptor_free(&replayed);
    acceptor_free(&a);
}

/* Replay applies each record by the acceptor's rules: a promise below
 * what an accept raised and an accept below the promise are skipped. */
static void test_restore_skips_what_the_rules_refuse(void **state)
{
    struct acceptor a;
    struct acceptor_ready r = { 0 };
    struct pvalue v = { (char *)"x", (char *)"9", 1 };

    start(&a);
    assert_int_equal(acceptor_restore(&a, &(struct acceptor_record){
        .kind = ACCEPTOR_RECORD_ACCEPT, .ballot = B(2, 1), .slot = 1,
        .value = &v }), 0);
    assert_int_equal(acceptor_restore(&a, &(struct acceptor_record){
        .kind = ACCEPTOR_RECORD_PROMISE, .ballot = B(1, 1) }), 0);
    assert_ballot(a.promised, B(2, 1));
    assert_int_equal(acceptor_restore(&a, &(struct acceptor_record){
        .kind = ACCEPTOR_RECORD_ACCEPT, .ballot = B(1, 5), .slot = 2,
        .value = &v }), 0);
    assert_null(acceptor_get(&a, 2));
    assert_int_equal(acceptor_restore(&a, &(struct acceptor_record){
        .kind = ACCEPTOR_RECORD_ACCEPT, .ballot = B(2, 1), .slot = 0,
        .value = &v }), 0);
    assert_int_equal(a.max_slot, 1);
    stop(&a, &r);
}

/* A compacted write-ahead file starts with the trim: the acceptor then
 * takes the slots above it, however far from slot 1. */
static void test_restored_trim_then_accepts(void **state)
{
    struct acceptor a;
    struct acceptor_ready r = { 0 };

    start(&a);
    assert_int_equal(acceptor_restore(&a, &(struct acceptor_record){
        .kind = ACCEPTOR_RECORD_TRIM, .upto = 5000000 }), 0);
    assert_int_equal(a.trimmed, 5000000);
    assert_int_equal(a.commit, 5000000);
    accept_one(&a, B(3, 1), 5000001, "kept", 0, &r);
    assert_string_equal(acceptor_get(&a, 5000001)->value.data, "kept");
    assert_null(acceptor_get(&a, 10));
    stop(&a, &r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_acceptor_not_admitted_refuses_to_vote),
        cmocka_unit_test(test_new_member_is_recorded_not_admitted),
        cmocka_unit_test(test_admit_found_waits_for_activation),
        cmocka_unit_test(
            test_admit_join_by_later_configuration_is_active_at_once),
        cmocka_unit_test(test_admit_without_a_verdict_changes_nothing),
        cmocka_unit_test(test_replies_carry_the_member_identity),
        cmocka_unit_test(test_accept_takes_a_newer_chain),
        cmocka_unit_test(test_chain_drops_what_the_commit_index_passed),
        cmocka_unit_test(test_refused_accept_takes_no_configuration),
        cmocka_unit_test(test_snapshot_restores_identity_and_configuration),
        cmocka_unit_test(test_prepare_raises_and_rejects_lower),
        cmocka_unit_test(test_stale_prepare_reply_carries_the_promise),
        cmocka_unit_test(test_promise_lists_slots_above_commit),
        cmocka_unit_test(test_promise_lists_more_than_a_listing),
        cmocka_unit_test(test_accept_stores_and_raises_promise),
        cmocka_unit_test(test_accept_below_promise_changes_nothing),
        cmocka_unit_test(test_bad_slot_rejects_whole_batch),
        cmocka_unit_test(test_higher_ballot_overwrites_slot),
        cmocka_unit_test(test_empty_accept_is_a_promise_when_higher),
        cmocka_unit_test(test_accept_of_trimmed_slots_is_only_a_promise),
        cmocka_unit_test(test_listing_lists_everything_by_default),
        cmocka_unit_test(test_listing_stops_at_limit),
        cmocka_unit_test(test_listing_stops_at_bytes_but_carries_one),
        cmocka_unit_test(test_learners_progress_trims_below_the_slowest),
        cmocka_unit_test(test_learner_far_behind_does_not_hold_memory),
        cmocka_unit_test(test_learner_far_behind_bounds_the_bytes),
        cmocka_unit_test(test_unknown_learner_is_refused),
        cmocka_unit_test(test_trim_forgets_chosen_slots_only),
        cmocka_unit_test(test_snapshot_orders_identity_trim_slots_promise),
        cmocka_unit_test(test_replay_rebuilds_the_same_state),
        cmocka_unit_test(test_restore_skips_what_the_rules_refuse),
        cmocka_unit_test(test_restored_trim_then_accepts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
