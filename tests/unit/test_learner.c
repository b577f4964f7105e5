/* test_learner.c -- choosing slots, applying them in order and once, and
 * repairing missed slots from catch-up rounds among the voters of the
 * configuration that decides each slot (each under its member identity),
 * across configuration changes: one chosen at slot s decides the slots
 * from s + VOTERS_ALPHA on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/learner.h"

/* The founding voters: nodes 4, 5, 6. */
#define N_FOUNDERS 3
#define NOT_A_VOTER 9
static const char *const founder_members[N_FOUNDERS] = {
    "4444444444444444", "5555555555555555", "6666666666666666" };
#define WIPED_MEMBER "5555555555550000"     /* node 5 after losing its disk */

static struct ballot B(uint32_t round, uint32_t node)
{
    return (struct ballot){ round, node };
}

static struct msg_entry E(uint64_t slot, const char *data, uint64_t seq)
{
    return (struct msg_entry){ .slot = slot,
                               .value = { (char *)data, (char *)"9", seq } };
}

static struct msg_entry EB(uint64_t slot, struct ballot b, const char *data,
                           uint64_t seq)
{
    struct msg_entry e = E(slot, data, seq);

    e.ballot = b;
    return e;
}

static struct voter voter(uint32_t id, const char *member)
{
    struct voter v = { .node = { .id = id, .role = ROLE_ACCEPTOR,
                                 .port = (uint16_t)(4000 + id) } };

    snprintf(v.node.name, sizeof v.node.name, "acceptor%u", (unsigned)id);
    snprintf(v.node.host, sizeof v.node.host, "127.0.0.1");
    snprintf(v.member, sizeof v.member, "%s", member);
    return v;
}

/* The founding configuration every acceptor's listing carries. */
static struct voters founding(void)
{
    struct voters f = { .epoch = 1, .first_slot = 1 };

    for (uint32_t i = 0; i < N_FOUNDERS; i++)
        f.v[f.n++] = voter(4 + i, founder_members[i]);
    return f;
}

/* What acceptor node `from`, under member, answers: the slots it
 * accepted from from_slot on (from_slot 0: outside any round), covering
 * up to upto, having forgotten those up to trimmed. */
struct answer {
    uint32_t from;
    const char *member;
    uint64_t commit, from_slot, upto, trimmed;
};

/* The answer a, carrying the founding configuration or not. */
static int listing_founding(struct learner *l, struct answer a,
                            bool with_founding, struct msg_entry *e, size_t n)
{
    struct voters f = founding();
    struct msg m = { .type = MSG_LISTING, .from = a.from, .commit = a.commit,
                     .from_slot = a.from_slot, .upto = a.upto,
                     .trimmed = a.trimmed, .entries = e, .n_entries = n,
                     .founding = with_founding ? &f : NULL };

    snprintf(m.member, sizeof m.member, "%s", a.member);
    return learner_on_listing(l, a.from, &m);
}

static int listing_from(struct learner *l, struct answer a,
                        struct msg_entry *e, size_t n)
{
    return listing_founding(l, a, true, e, n);
}

/* Founding voter i's (0..2) listing that forgot the slots up to trimmed. */
static int listing_trimmed(struct learner *l, size_t i, uint64_t commit,
                           uint64_t from, uint64_t upto, uint64_t trimmed,
                           struct msg_entry *e, size_t n)
{
    return listing_from(l, (struct answer){ (uint32_t)(4 + i),
                                            founder_members[i], commit, from,
                                            upto, trimmed }, e, n);
}

static int listing(struct learner *l, size_t i, uint64_t commit,
                   uint64_t from, uint64_t upto, struct msg_entry *e, size_t n)
{
    return listing_trimmed(l, i, commit, from, upto, 0, e, n);
}

/* The leader announces slots chosen at b, with its commit index. */
static void announce(struct learner *l, struct ballot b, uint64_t commit,
                     struct msg_entry *e, size_t n)
{
    assert_int_equal(learner_on_chosen(l, b, commit, e, n), 0);
}

static void announce_one(struct learner *l, struct msg_entry e)
{
    announce(l, B(1, 1), e.slot, &e, 1);
}

/* A leader's announcement of nothing but its commit index. */
static void hear_commit(struct learner *l, uint64_t commit)
{
    announce(l, B(1, 1), commit, NULL, 0);
}

static void start(struct learner *l, int64_t remember_ms)
{
    assert_int_equal(learner_init(l, remember_ms), 0);
}

/* A catch-up round decides a slot known chosen once a quorum of the
 * voters answered: one answer is not enough, and a third adds no copy. */
static void test_catch_up_needs_a_quorum_of_voters(void **state)
{
    struct learner l;
    struct msg_entry a = EB(1, B(1, 1), "a", 1);
    uint64_t from;

    start(&l, 0);
    hear_commit(&l, 1);
    from = learner_round_begin(&l);
    assert_int_equal(listing(&l, 0, 1, from, INT64_MAX, &a, 1), 0);
    assert_int_equal(l.applied, 0);
    assert_int_equal(listing(&l, 1, 1, from, INT64_MAX, &a, 1), 0);
    assert_int_equal(l.applied, 1);
    assert_int_equal(l.n_out, 1);
    assert_string_equal(l.out[0].value.data, "a");
    assert_int_equal(listing(&l, 2, 1, from, INT64_MAX, &a, 1), 0);
    assert_int_equal(l.n_out, 1);
    learner_free(&l);
}

/* The leader's announcement chooses at once, in slot order; a slot a
 * catch-up round chose already is not applied again. */
static void test_leader_announcement_chooses_at_once(void **state)
{
    struct learner l;
    struct msg_entry later[] = { E(2, "b", 2), E(3, "c", 3) };
    struct msg_entry first = E(1, "a", 1), reported = EB(1, B(1, 1), "a", 1);
    uint64_t from;

    start(&l, 0);
    announce(&l, B(1, 1), 3, later, 2);
    assert_int_equal(l.applied, 0);         /* slot 1 is missing */
    assert_true(learner_behind(&l));
    from = learner_round_begin(&l);
    listing(&l, 0, 3, from, INT64_MAX, &reported, 1);
    listing(&l, 1, 3, from, INT64_MAX, &reported, 1);   /* chosen by them */
    assert_int_equal(l.applied, 3);
    announce(&l, B(1, 1), 3, &first, 1);
    assert_int_equal(l.n_out, 3);
    assert_string_equal(l.out[0].value.data, "a");
    assert_string_equal(l.out[2].value.data, "c");
    assert_false(learner_behind(&l));
    learner_free(&l);
}

/* Listings only feed catch-up rounds: outside one, even every voter
 * reporting the same value at the same ballot chooses nothing; the
 * leader's announcement or a round does. */
static void test_listings_outside_a_round_choose_nothing(void **state)
{
    struct learner l;
    struct msg_entry a = EB(1, B(1, 1), "a", 1);

    start(&l, 0);
    for (size_t i = 0; i < N_FOUNDERS; i++)
        assert_int_equal(listing(&l, i, 1, 0, INT64_MAX, &a, 1), 0);
    assert_int_equal(l.applied, 0);
    assert_true(learner_behind(&l));
    learner_free(&l);
}

/* The same voter twice is one answer, and a node that is no voter is
 * none: neither makes a quorum. */
static void test_same_acceptor_twice_is_not_a_quorum(void **state)
{
    struct learner l;
    struct msg_entry a = EB(1, B(1, 1), "a", 1);
    uint64_t from;

    start(&l, 0);
    hear_commit(&l, 1);
    from = learner_round_begin(&l);
    listing(&l, 0, 1, from, INT64_MAX, &a, 1);
    listing(&l, 0, 1, from, INT64_MAX, &a, 1);
    listing_from(&l, (struct answer){ NOT_A_VOTER, founder_members[1], 1,
                                      from, INT64_MAX, 0 }, &a, 1);
    assert_int_equal(l.applied, 0);
    listing(&l, 1, 1, from, INT64_MAX, &a, 1);
    assert_int_equal(l.applied, 1);
    learner_free(&l);
}

static void test_gap_holds_later_slots_back(void **state)
{
    struct learner l;

    start(&l, 0);
    announce_one(&l, E(2, "second", 2));
    announce_one(&l, E(3, "third", 3));
    assert_int_equal(l.applied, 0);
    assert_true(learner_behind(&l));
    announce_one(&l, E(1, "first", 1));
    assert_int_equal(l.applied, 3);
    assert_int_equal(l.n_out, 3);
    assert_string_equal(l.out[0].value.data, "first");
    assert_string_equal(l.out[2].value.data, "third");
    assert_false(learner_behind(&l));
    learner_free(&l);
}

static void test_noops_and_duplicate_writes_applied_once(void **state)
{
    struct learner l;
    struct msg_entry chosen[] = {
        E(1, "w", 7), { .slot = 2 },
        E(3, "w", 7),           /* a retry chosen again */
        E(4, "w", 8),           /* same bytes, new write */
    };

    start(&l, 0);
    announce(&l, B(1, 1), 4, chosen, 4);
    assert_int_equal(l.applied, 4);
    assert_int_equal(l.n_out, 2);
    assert_int_equal(l.out[0].slot, 1);
    assert_int_equal(l.out[1].slot, 4);
    assert_int_equal(l.skipped_noops, 1);
    assert_int_equal(l.skipped_duplicates, 1);
    learner_free(&l);
}

static void test_catch_up_by_quorum_in_listings(void **state)
{
    struct learner l;
    struct msg_entry a0[] = { EB(1, B(1, 1), "x", 1), EB(2, B(1, 1), "y", 2) };
    uint64_t from;

    start(&l, 0);
    hear_commit(&l, 2);
    from = learner_round_begin(&l);
    assert_int_equal(from, 1);
    assert_int_equal(listing(&l, 0, 2, from, INT64_MAX, a0, 2), 0);
    assert_int_equal(l.applied, 0);
    assert_int_equal(listing(&l, 2, 2, from, INT64_MAX, a0, 2), 0);
    assert_int_equal(l.applied, 2);
    learner_free(&l);
}

/* Slot 1 was chosen at 1.1 by acceptors 0 and 1; a new leader then got
 * 2.2 to acceptor 0 only. No ballot has a quorum any more, but the
 * commit index says slot 1 is chosen: the highest ballot wins. */
static void test_catch_up_of_known_chosen_slot_with_mixed_ballots(void **state)
{
    struct learner l;
    struct msg_entry a0 = EB(1, B(2, 2), "v", 1);
    struct msg_entry a1 = EB(1, B(1, 1), "v", 1);
    uint64_t from;

    start(&l, 0);
    from = learner_round_begin(&l);
    assert_int_equal(listing(&l, 0, 1, from, INT64_MAX, &a0, 1), 0);
    assert_int_equal(listing(&l, 1, 1, from, INT64_MAX, &a1, 1), 0);
    /* the commit index arrived during this round: not yet trusted */
    assert_int_equal(l.applied, 0);
    from = learner_round_begin(&l);
    assert_int_equal(listing(&l, 0, 1, from, INT64_MAX, &a0, 1), 0);
    assert_int_equal(l.applied, 0);     /* one answer is not a quorum */
    assert_int_equal(listing(&l, 1, 1, from, INT64_MAX, &a1, 1), 0);
    assert_int_equal(l.applied, 1);
    assert_string_equal(l.out[0].value.data, "v");
    learner_free(&l);
}

/* A slot beyond the commit index is never decided by the highest ballot
 * alone: the value could still change. */
static void test_catch_up_does_not_guess_uncommitted_slots(void **state)
{
    struct learner l;
    struct msg_entry a0 = EB(1, B(2, 2), "maybe", 1);
    uint64_t from;

    start(&l, 0);
    from = learner_round_begin(&l);
    listing(&l, 0, 0, from, INT64_MAX, &a0, 1);
    listing(&l, 1, 0, from, INT64_MAX, NULL, 0);
    assert_int_equal(l.applied, 0);
    learner_free(&l);
}

/* A truncated listing covers only up to its "upto": slots past it are
 * not decided from that answer. */
static void test_catch_up_respects_listing_coverage(void **state)
{
    struct learner l;
    struct msg_entry a0[] = { EB(1, B(2, 2), "p", 1), EB(2, B(2, 2), "q", 2) };
    struct msg_entry a1 = EB(1, B(1, 1), "p", 1);
    uint64_t from;

    start(&l, 0);
    hear_commit(&l, 2);
    from = learner_round_begin(&l);
    listing(&l, 0, 2, from, INT64_MAX, a0, 2);
    listing(&l, 1, 2, from, 1, &a1, 1);  /* covers slot 1 only */
    assert_int_equal(l.applied, 1);
    learner_free(&l);
}

/* Slot 1 was chosen as "new" at 2.2 by acceptors 0 and 2; acceptor 1
 * still holds "old" from 1.1. Acceptor 0 then forgot slot 1. Its answer
 * and acceptor 1's make two answers, but only one covers slot 1: the
 * learner must not take "old", and copies from another learner. */
static void test_trimmed_answer_does_not_cover_forgotten_slots(void **state)
{
    struct learner l;
    struct msg_entry a1 = EB(1, B(1, 1), "old", 1);
    uint64_t from;

    start(&l, 0);
    hear_commit(&l, 1);
    from = learner_round_begin(&l);
    assert_int_equal(listing_trimmed(&l, 0, 1, from, INT64_MAX, 1, NULL, 0),
                     0);
    assert_int_equal(listing(&l, 1, 1, from, INT64_MAX, &a1, 1), 0);
    assert_int_equal(l.applied, 0);
    assert_int_equal(l.n_out, 0);
    assert_true(learner_must_copy(&l));
    learner_free(&l);
}

/* ---- voters and configurations ---- */

/* The founding voters with node 6 replaced by node 7: the value a
 * change puts in the log (free it with pvalue_free). */
#define NEW_MEMBER "7777777777777777"
static struct pvalue replace_6_by_7(void)
{
    struct voters v = founding();
    struct pvalue value;

    v.v[2] = voter(7, NEW_MEMBER);
    assert_int_equal(voters_to_value(&v, &value), 0);
    return value;
}

/* A round counts only voters of its configuration, each under the member
 * identity the configuration names: a node that is no voter, and a voter
 * whose directory was wiped (a new member identity), are not answers,
 * and their values never win, however high their ballots. */
static void test_round_counts_only_voters_under_their_member(void **state)
{
    struct learner l;
    struct msg_entry chosen = EB(1, B(1, 1), "chosen", 1);
    struct msg_entry forged = EB(1, B(9, 9), "forged", 2);
    uint64_t from;

    start(&l, 0);
    hear_commit(&l, 1);
    from = learner_round_begin(&l);
    listing(&l, 0, 1, from, INT64_MAX, &chosen, 1);
    listing_from(&l, (struct answer){ NOT_A_VOTER, founder_members[1], 1,
                                      from, INT64_MAX, 0 }, &forged, 1);
    listing_from(&l, (struct answer){ 5, WIPED_MEMBER, 1, from, INT64_MAX, 0 },
                 &forged, 1);
    listing_from(&l, (struct answer){ 6, founder_members[0], 1, from,
                                      INT64_MAX, 0 }, &forged, 1);
    assert_int_equal(l.applied, 0);
    /* the voter under its own identity completes the quorum */
    listing(&l, 2, 1, from, INT64_MAX, &chosen, 1);
    assert_int_equal(l.applied, 1);
    assert_string_equal(l.out[0].value.data, "chosen");
    learner_free(&l);
}

/* A listing of a round already over, or of none, is not an answer: the
 * round decides from answers sent after the slots were known chosen. */
static void test_answers_count_only_for_the_round_in_progress(void **state)
{
    struct learner l;
    struct msg_entry a = EB(1, B(1, 1), "a", 1);
    struct msg_entry three = EB(3, B(1, 1), "three", 3);
    struct msg_entry before[] = { E(1, "one", 1), E(2, "two", 2) };
    uint64_t first, second;

    start(&l, 0);
    hear_commit(&l, 2);
    first = learner_round_begin(&l);
    listing(&l, 0, 2, first, INT64_MAX, &a, 1);
    second = learner_round_begin(&l);
    assert_int_equal(second, first);
    listing(&l, 1, 2, 0, INT64_MAX, &a, 1);         /* no round */
    assert_int_equal(l.applied, 0);    /* voter 0 answered the last round */
    listing(&l, 1, 2, second, INT64_MAX, &a, 1);
    assert_int_equal(l.applied, 0);
    listing(&l, 0, 2, second, INT64_MAX, &a, 1);
    assert_int_equal(l.applied, 1);
    learner_free(&l);

    /* slots 1 and 2 applied, 3 known chosen: a round from 3 ignores an
     * answer to a round from 1 */
    start(&l, 0);
    announce(&l, B(1, 1), 3, before, 2);
    first = learner_round_begin(&l);
    assert_int_equal(first, 3);
    listing(&l, 0, 3, first, INT64_MAX, &three, 1);
    listing(&l, 1, 3, 1, INT64_MAX, &three, 1);
    assert_int_equal(l.applied, 2);
    listing(&l, 1, 3, first, INT64_MAX, &three, 1);
    assert_int_equal(l.applied, 3);
    learner_free(&l);
}

/* The founding voters, before any configuration is applied, come from
 * the listings themselves (every admitted acceptor reports the founding
 * configuration). A learner that knows none counts nothing. */
static void test_founding_voters_come_from_a_listing(void **state)
{
    struct learner l;
    struct msg_entry a = EB(1, B(1, 1), "a", 1);
    uint64_t from;

    start(&l, 0);
    hear_commit(&l, 1);
    from = learner_round_begin(&l);
    assert_int_equal(l.chain.n, 0);
    for (uint32_t i = 0; i < N_FOUNDERS; i++)     /* no founding: unknown */
        assert_int_equal(listing_founding(&l, (struct answer){
                             4 + i, founder_members[i], 1, from, INT64_MAX,
                             0 }, false, &a, 1), 0);
    assert_int_equal(l.applied, 0);
    assert_int_equal(l.chain.n, 0);
    listing(&l, 0, 1, from, INT64_MAX, &a, 1);
    assert_int_equal(l.chain.n, 1);
    assert_int_equal(l.chain.c[0].epoch, 1);
    assert_int_equal(l.chain.c[0].first_slot, 1);
    assert_int_equal(l.chain.c[0].n, 3);
    listing(&l, 1, 1, from, INT64_MAX, &a, 1);
    assert_int_equal(l.applied, 1);
    learner_free(&l);
}

/* Node 7's answer (the voter that takes node 6's place). */
static int listing_of_7(struct learner *l, uint64_t commit, uint64_t from,
                        struct msg_entry *e, size_t n)
{
    return listing_from(l, (struct answer){ 7, NEW_MEMBER, commit, from,
                                            INT64_MAX, 0 }, e, n);
}

/* The leader announces no-ops in the slots first..last (as it fills the
 * slots before a change's first). */
static void announce_noops(struct learner *l, uint64_t first, uint64_t last)
{
    size_t n = last - first + 1;
    struct msg_entry *e = calloc(n, sizeof(*e));

    assert_non_null(e);
    for (size_t i = 0; i < n; i++)
        e[i].slot = first + i;
    announce(l, B(1, 1), last, e, n);
    free(e);
}

/* Slot 2 holds a change: node 7 in place of node 6, from slot
 * 2 + VOTERS_ALPHA on. A round among the founding voters decides up to
 * the change and stops there, though their answers cover slot 3 too:
 * it counted its answers without the change, so it is over.
 * Slot 3 is still the founding voters' to decide: nodes 5 and 7 are no
 * quorum there, nodes 5 and 6 are. */
static void test_round_stops_after_a_configuration(void **state)
{
    struct learner l;
    struct pvalue change = replace_6_by_7();
    struct msg_entry four[] = { EB(1, B(1, 1), "one", 1),
                                { .slot = 2, .ballot = B(1, 1),
                                  .value = change } };
    struct msg_entry six[] = { four[0], four[1], EB(3, B(2, 1), "three", 3) };
    uint64_t from;

    start(&l, 0);
    hear_commit(&l, 3);
    from = learner_round_begin(&l);
    listing(&l, 0, 3, from, INT64_MAX, four, 2);
    listing(&l, 2, 3, from, INT64_MAX, six, 3);
    assert_int_equal(l.applied, 2);
    assert_int_equal(l.n_out, 2);
    assert_true(voters_is_value(&l.out[1].value));
    assert_int_equal(l.chain.n, 2);
    assert_int_equal(l.chain.c[0].epoch, 1);
    assert_int_equal(l.chain.c[1].epoch, 2);
    assert_int_equal(l.chain.c[1].first_slot, 2 + VOTERS_ALPHA);
    assert_int_equal(voters_find(&l.chain.c[1], 7, NEW_MEMBER), 2);
    assert_int_equal(voters_find_node(&l.chain.c[1], 6), -1);
    listing(&l, 1, 3, from, INT64_MAX, &six[2], 1);
    assert_int_equal(l.applied, 2);             /* that round is over */

    from = learner_round_begin(&l);
    assert_int_equal(from, 3);
    listing(&l, 1, 3, from, INT64_MAX, &six[2], 1);
    listing_of_7(&l, 3, from, NULL, 0);
    assert_int_equal(l.applied, 2);
    listing(&l, 2, 3, from, INT64_MAX, &six[2], 1);
    assert_int_equal(l.applied, 3);
    assert_string_equal(l.out[2].value.data, "three");
    pvalue_free(&change);
    learner_free(&l);
}

/* A configuration value the leader announces is applied like a write
 * and joins the chain: its voters decide the slots from its first on,
 * the founding voters those before (a value node 7 reports there does
 * not count, however high its ballot). Once every slot before its first
 * is applied, the founding configuration leaves the chain. */
static void test_announced_configuration_governs_from_its_first_slot(
    void **state)
{
    struct learner l;
    struct pvalue change = replace_6_by_7();
    struct msg_entry announced = { .slot = 1, .value = change };
    struct msg_entry two = EB(2, B(2, 1), "two", 2);
    struct msg_entry stale = EB(2, B(9, 9), "stale", 9);
    struct msg_entry first = EB(1 + VOTERS_ALPHA, B(2, 1), "first", 3);
    uint64_t from;

    start(&l, 0);
    listing(&l, 0, 0, 0, INT64_MAX, NULL, 0);   /* the founding voters */
    announce(&l, B(1, 1), 2, &announced, 1);
    assert_int_equal(l.applied, 1);
    assert_int_equal(l.chain.n, 2);
    assert_int_equal(l.chain.c[1].first_slot, 1 + VOTERS_ALPHA);
    assert_int_equal(voters_find(&l.chain.c[1], 7, NEW_MEMBER), 2);

    from = learner_round_begin(&l);
    listing(&l, 0, 2, from, INT64_MAX, &two, 1);
    listing_of_7(&l, 2, from, &stale, 1);           /* not a voter yet */
    assert_int_equal(l.applied, 1);
    listing(&l, 2, 2, from, INT64_MAX, &two, 1);    /* node 6 still is */
    assert_int_equal(l.applied, 2);
    assert_string_equal(l.out[1].value.data, "two");

    announce_noops(&l, 3, VOTERS_ALPHA);
    assert_int_equal(l.applied, VOTERS_ALPHA);
    assert_int_equal(l.chain.n, 1);
    assert_int_equal(l.chain.c[0].epoch, 2);
    hear_commit(&l, 1 + VOTERS_ALPHA);
    from = learner_round_begin(&l);
    listing(&l, 0, 1 + VOTERS_ALPHA, from, INT64_MAX, &first, 1);
    listing(&l, 2, 1 + VOTERS_ALPHA, from, INT64_MAX, &first, 1);
    assert_int_equal(l.applied, VOTERS_ALPHA);      /* node 6: removed */
    listing_of_7(&l, 1 + VOTERS_ALPHA, from, &first, 1);
    assert_int_equal(l.applied, 1 + VOTERS_ALPHA);
    pvalue_free(&change);
    learner_free(&l);
}

/* Node 5 lost its disk and a change at slot 1 admits it again under its
 * new identity, from slot 1 + VOTERS_ALPHA on. Its old identity's answer
 * (sent before the wipe, arriving late) counts for the slots before that,
 * which the founding configuration decides, and not for the first slot
 * of the change: there node 4 alone is no quorum, nodes 4 and 6 are. */
static void test_each_slot_counts_the_identities_its_voters_have(
    void **state)
{
    const uint64_t first = 1 + VOTERS_ALPHA;
    struct voters readmitted = founding();
    struct msg_entry announced = { .slot = 1 }, *e;
    struct learner l;
    uint64_t from;

    readmitted.v[1] = voter(5, WIPED_MEMBER);
    assert_int_equal(voters_to_value(&readmitted, &announced.value), 0);
    assert_non_null(e = calloc(first, sizeof(*e)));
    for (uint64_t s = 2; s < first; s++)
        e[s - 2] = (struct msg_entry){ .slot = s, .ballot = B(1, 1) };
    e[first - 2] = EB(first, B(2, 1), "first", 1);
    start(&l, 0);
    listing(&l, 0, 0, 0, INT64_MAX, NULL, 0);   /* the founding voters */
    announce(&l, B(1, 1), first, &announced, 1);
    assert_int_equal(l.chain.n, 2);

    from = learner_round_begin(&l);
    listing(&l, 0, first, from, INT64_MAX, e, first - 1);
    listing_from(&l, (struct answer){ 5, founder_members[1], first, from,
                                      INT64_MAX, 0 }, e, first - 2);
    assert_int_equal(l.applied, first - 1);
    listing(&l, 2, first, from, INT64_MAX, &e[first - 2], 1);
    assert_int_equal(l.applied, first);
    assert_string_equal(l.out[l.n_out - 1].value.data, "first");
    pvalue_free(&announced.value);
    free(e);
    learner_free(&l);
}

/* The learner's own stored log, read back at start, holds the changes,
 * but not the founding configuration: until a listing carries it, the
 * voters of slot 3 are unknown and nothing decides it (not the voters of
 * the change, which decide from its first slot on). The listing that
 * brings it ends the round, counted without it; in the next, slot 3 is
 * the founding voters' to decide: nodes 4 and 7 are no quorum there,
 * nodes 4 and 6 are. */
static void test_stored_log_restores_the_voters(void **state)
{
    struct learner l;
    struct pvalue change = replace_6_by_7();
    struct msg_entry stored[] = { EB(1, B(1, 1), "one", 1),
                                  { .slot = 2, .ballot = B(1, 1),
                                    .value = change } };
    struct msg_entry three = EB(3, B(2, 1), "three", 3);
    uint64_t from;

    start(&l, 0);
    assert_int_equal(learner_adopt(&l, stored, 2, 2, true), 0);
    assert_int_equal(l.applied, 2);
    assert_int_equal(l.n_out, 0);
    assert_int_equal(chain_last(&l.chain)->epoch, 2);
    assert_int_equal(chain_last(&l.chain)->first_slot, 2 + VOTERS_ALPHA);
    assert_int_equal(voters_find(chain_last(&l.chain), 7, NEW_MEMBER), 2);

    hear_commit(&l, 3);
    from = learner_round_begin(&l);
    listing_founding(&l, (struct answer){ 4, founder_members[0], 3, from,
                                          INT64_MAX, 0 }, false, &three, 1);
    listing_founding(&l, (struct answer){ 7, NEW_MEMBER, 3, from, INT64_MAX,
                                          0 }, false, NULL, 0);
    assert_int_equal(l.applied, 2);

    from = learner_round_begin(&l);
    listing(&l, 0, 3, from, INT64_MAX, &three, 1);
    assert_int_equal(l.chain.n, 2);
    assert_int_equal(l.chain.c[0].epoch, 1);
    listing(&l, 2, 3, from, INT64_MAX, &three, 1);
    assert_int_equal(l.applied, 2);             /* that round is over */

    from = learner_round_begin(&l);
    listing(&l, 0, 3, from, INT64_MAX, &three, 1);
    listing_of_7(&l, 3, from, NULL, 0);
    assert_int_equal(l.applied, 2);
    listing(&l, 2, 3, from, INT64_MAX, &three, 1);
    assert_int_equal(l.applied, 3);
    pvalue_free(&change);
    learner_free(&l);
}

/* Changes chosen VOTERS_ALPHA apart, node 6 and node 7 taking turns,
 * slots 1, 1 + VOTERS_ALPHA, ...; n of them in e (values to free). */
#define N_CHANGES (VOTERS_CHAIN_MAX + 1)
static void changes(struct msg_entry *e)
{
    struct voters back = founding();

    for (size_t i = 0; i < N_CHANGES; i++) {
        e[i] = (struct msg_entry){ .slot = 1 + i * VOTERS_ALPHA,
                                   .ballot = B(1, 1) };
        if (i % 2 == 0)
            e[i].value = replace_6_by_7();
        else
            assert_int_equal(voters_to_value(&back, &e[i].value), 0);
    }
}

/* A log read back, or slots applied at once, may hold more changes than
 * a chain holds: each joins the chain once the slots before it are
 * applied, and the chain keeps only those still needed. */
static void test_many_changes_applied_at_once(void **state)
{
    const uint64_t last = 1 + (N_CHANGES - 1) * VOTERS_ALPHA;
    struct msg_entry e[N_CHANGES];
    struct learner l;

    changes(e);
    start(&l, 0);
    assert_int_equal(learner_adopt(&l, e, N_CHANGES, last, true), 0);
    assert_int_equal(l.applied, last);
    assert_int_equal(l.chain.n, 2);
    assert_int_equal(l.chain.c[1].epoch, 1 + N_CHANGES);
    assert_int_equal(l.chain.c[1].first_slot, last + VOTERS_ALPHA);
    learner_free(&l);

    /* announced, with slot 1 last: all of them applied in one call */
    start(&l, 0);
    listing(&l, 0, 0, 0, INT64_MAX, NULL, 0);   /* the founding voters */
    for (size_t i = 1; i < N_CHANGES; i++) {
        announce_noops(&l, e[i - 1].slot + 1, e[i].slot - 1);
        announce(&l, B(1, 1), e[i].slot, &e[i], 1);
    }
    assert_int_equal(l.applied, 0);
    announce(&l, B(1, 1), last, &e[0], 1);
    assert_int_equal(l.applied, last);
    assert_int_equal(l.n_out, N_CHANGES);
    assert_int_equal(chain_last(&l.chain)->epoch, 1 + N_CHANGES);
    learner_free(&l);
    for (size_t i = 0; i < N_CHANGES; i++)
        pvalue_free(&e[i].value);
}

/* Another learner's log covers its applied index; its slots without an
 * entry were no-ops or duplicates. Later slots apply on top of it, and
 * the identities it brought still stop a retry chosen twice. */
static void test_adopt_another_learners_log(void **state)
{
    struct learner l;
    struct msg_entry copied[] = { EB(2, B(1, 1), "two", 1),
                                  EB(5, B(1, 1), "five", 2) };

    start(&l, 0);
    l.trimmed_seen = 4;
    assert_true(learner_must_copy(&l));
    assert_int_equal(learner_adopt(&l, copied, 2, 6, false), 0);
    assert_int_equal(l.applied, 6);
    assert_false(learner_must_copy(&l));
    assert_int_equal(l.n_out, 2);
    assert_string_equal(l.out[1].value.data, "five");
    assert_int_equal(l.out[1].slot, 5);
    announce_one(&l, E(7, "five", 2));      /* a retry chosen again */
    announce_one(&l, E(8, "eight", 3));
    assert_int_equal(l.applied, 8);
    assert_int_equal(l.n_out, 3);
    assert_string_equal(l.out[2].value.data, "eight");
    assert_int_equal(l.skipped_duplicates, 1);
    /* From its own store at start, nothing goes to the outbox. */
    learner_out_clear(&l);
    assert_int_equal(learner_adopt(&l, copied, 2, 5, true), 0);   /* old */
    assert_int_equal(l.n_out, 0);
    assert_int_equal(l.applied_writes, 3);
    learner_free(&l);
}

/* A learner behind whose catch-up rounds apply nothing three times in a
 * row (the voters that decided its next slot are gone) copies from
 * another learner; the copy's answer ends the stall, progress too. */
static void test_stalled_rounds_copy_from_another_learner(void **state)
{
    struct learner l;
    struct msg_entry copied[] = { E(2, "two", 1) };

    start(&l, 0);
    hear_commit(&l, 10);                    /* behind: slots 1..10 */
    for (int i = 0; i < LEARNER_STALLED_ROUNDS; i++) {
        learner_round_begin(&l);
        assert_false(learner_must_copy(&l));
    }
    learner_round_begin(&l);
    assert_int_equal(l.stalled_rounds, LEARNER_STALLED_ROUNDS);
    assert_true(learner_must_copy(&l));
    /* a copy that brings nothing new still ends the stall */
    assert_int_equal(learner_adopt(&l, NULL, 0, 0, false), 0);
    assert_false(learner_must_copy(&l));
    for (int i = 0; i < LEARNER_STALLED_ROUNDS; i++)
        learner_round_begin(&l);
    assert_true(learner_must_copy(&l));
    assert_int_equal(learner_adopt(&l, copied, 1, 5, false), 0);
    assert_int_equal(l.applied, 5);
    assert_false(learner_must_copy(&l));
    /* progress between two rounds: no stall */
    learner_round_begin(&l);
    announce_one(&l, E(6, "six", 2));
    learner_round_begin(&l);
    assert_int_equal(l.stalled_rounds, 0);
    /* caught up: rounds that find nothing are no stall */
    for (uint64_t slot = 7; slot <= 10; slot++)
        announce_one(&l, E(slot, "later", slot));
    assert_int_equal(l.applied, 10);
    for (int i = 0; i <= LEARNER_STALLED_ROUNDS; i++)
        learner_round_begin(&l);
    assert_false(learner_must_copy(&l));
    learner_free(&l);
}

/* The remembered identities stay bounded. They age by time only while
 * the learner is caught up: one that is behind applies old slots faster
 * than they were chosen, so time says nothing about how far apart they
 * are; it ages them by count alone, as when it reads its log back. */
static void test_identities_age_only_when_caught_up(void **state)
{
    const size_t R = LEARNER_REMEMBER_IDS;
    struct learner l;
    uint64_t slot = 0;
    char data[32];

    start(&l, 1000);
    for (int round = 0; round < 5; round++) {
        for (size_t i = 0; i < R; i++) {
            slot++;
            snprintf(data, sizeof data, "w%llu", (unsigned long long)slot);
            announce_one(&l, E(slot, data, slot));
        }
        learner_out_clear(&l);
        if (round < 4)
            learner_tick(&l, 1000 * (round + 1));
    }
    assert_int_equal(idmap_aging_len(&l.applied_ids), 2 * R);
    announce_one(&l, E(slot + 2, "later", slot + 2));
    assert_true(learner_behind(&l));
    learner_tick(&l, 1000000);
    assert_int_equal(idmap_aging_len(&l.applied_ids), 2 * R);
    announce_one(&l, E(slot + 1, "next", slot + 1));
    assert_false(learner_behind(&l));
    /* slot + 1 was applied behind slot + 2: the young generation, full,
     * was aged by count */
    assert_int_equal(idmap_aging_len(&l.applied_ids), R + 2);
    learner_free(&l);

    start(&l, 1000);
    for (uint64_t s = 1; s <= 3 * R; s++) {
        struct msg_entry stored = EB(s, B(1, 1), "kept", s);
        assert_int_equal(learner_adopt(&l, &stored, 1, s, true), 0);
    }
    assert_true(idmap_aging_len(&l.applied_ids) <= 2 * R);
    assert_int_equal(l.applied_writes, 3 * R);
    learner_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_catch_up_needs_a_quorum_of_voters),
        cmocka_unit_test(test_leader_announcement_chooses_at_once),
        cmocka_unit_test(test_listings_outside_a_round_choose_nothing),
        cmocka_unit_test(test_same_acceptor_twice_is_not_a_quorum),
        cmocka_unit_test(test_gap_holds_later_slots_back),
        cmocka_unit_test(test_noops_and_duplicate_writes_applied_once),
        cmocka_unit_test(test_catch_up_by_quorum_in_listings),
        cmocka_unit_test(
            test_catch_up_of_known_chosen_slot_with_mixed_ballots),
        cmocka_unit_test(test_catch_up_does_not_guess_uncommitted_slots),
        cmocka_unit_test(test_catch_up_respects_listing_coverage),
        cmocka_unit_test(test_trimmed_answer_does_not_cover_forgotten_slots),
        cmocka_unit_test(test_round_counts_only_voters_under_their_member),
        cmocka_unit_test(test_answers_count_only_for_the_round_in_progress),
        cmocka_unit_test(test_founding_voters_come_from_a_listing),
        cmocka_unit_test(test_round_stops_after_a_configuration),
        cmocka_unit_test(
            test_announced_configuration_governs_from_its_first_slot),
        cmocka_unit_test(test_each_slot_counts_the_identities_its_voters_have),
        cmocka_unit_test(test_stored_log_restores_the_voters),
        cmocka_unit_test(test_many_changes_applied_at_once),
        cmocka_unit_test(test_adopt_another_learners_log),
        cmocka_unit_test(test_stalled_rounds_copy_from_another_learner),
        cmocka_unit_test(test_identities_age_only_when_caught_up),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
