/* test_learner.c -- choosing slots, applying them in order and once, and
 * repairing missed slots from the acceptors' listings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "core/learner.h"

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

/* An acceptor's LISTING that forgot the slots up to trimmed. */
static int listing_trimmed(struct learner *l, size_t acceptor,
                           uint64_t commit, uint64_t from, uint64_t upto,
                           uint64_t trimmed, struct msg_entry *e, size_t n)
{
    struct msg m = { .type = MSG_LISTING, .commit = commit, .from_slot = from,
                     .upto = upto, .trimmed = trimmed, .entries = e,
                     .n_entries = n };

    return learner_on_listing(l, acceptor, &m);
}

static int listing(struct learner *l, size_t acceptor, uint64_t commit,
                   uint64_t from, uint64_t upto, struct msg_entry *e, size_t n)
{
    return listing_trimmed(l, acceptor, commit, from, upto, 0, e, n);
}

/* One acceptor's report that it accepted e at b, outside any round. */
static void learn(struct learner *l, size_t acceptor, struct ballot b,
                  struct msg_entry e)
{
    e.ballot = b;
    assert_int_equal(listing(l, acceptor, 0, 0, INT64_MAX, &e, 1), 0);
}

static void test_quorum_at_one_ballot_chooses(void **state)
{
    struct learner l;

    learner_init(&l, 3, 0);
    learn(&l, 0, B(1, 1), E(1, "a", 1));
    assert_int_equal(l.applied, 0);
    learn(&l, 1, B(1, 1), E(1, "a", 1));
    assert_int_equal(l.applied, 1);
    assert_int_equal(l.n_out, 1);
    assert_string_equal(l.out[0].value.data, "a");
    learn(&l, 2, B(1, 1), E(1, "a", 1));    /* the third report: no copy */
    assert_int_equal(l.n_out, 1);
    learner_free(&l);
}

/* The leader's announcement chooses at once, in slot order; a slot the
 * acceptors' reports chose already is not applied again. */
static void test_leader_announcement_chooses_at_once(void **state)
{
    struct learner l;
    struct msg_entry later[] = { E(2, "b", 2), E(3, "c", 3) };
    struct msg_entry first = E(1, "a", 1);

    learner_init(&l, 3, 0);
    assert_int_equal(learner_on_chosen(&l, B(1, 1), 3, later, 2), 0);
    assert_int_equal(l.applied, 0);         /* slot 1 is missing */
    assert_true(learner_behind(&l));
    learn(&l, 0, B(1, 1), first);
    learn(&l, 1, B(1, 1), first);           /* chosen by the reports */
    assert_int_equal(l.applied, 3);
    assert_int_equal(learner_on_chosen(&l, B(1, 1), 3, &first, 1), 0);
    assert_int_equal(l.n_out, 3);
    assert_string_equal(l.out[0].value.data, "a");
    assert_string_equal(l.out[2].value.data, "c");
    assert_false(learner_behind(&l));
    learner_free(&l);
}

static void test_votes_at_different_ballots_do_not_choose(void **state)
{
    struct learner l;

    learner_init(&l, 3, 0);
    learn(&l, 0, B(1, 1), E(1, "a", 1));
    learn(&l, 1, B(2, 2), E(1, "b", 2));
    assert_int_equal(l.applied, 0);
    learn(&l, 2, B(2, 2), E(1, "b", 2));
    assert_int_equal(l.applied, 1);
    assert_string_equal(l.out[0].value.data, "b");
    learner_free(&l);
}

static void test_same_acceptor_twice_is_not_a_quorum(void **state)
{
    struct learner l;

    learner_init(&l, 3, 0);
    learn(&l, 0, B(1, 1), E(1, "a", 1));
    learn(&l, 0, B(1, 1), E(1, "a", 1));
    learn(&l, 5, B(1, 1), E(1, "a", 1));    /* not in the acceptor set */
    assert_int_equal(l.applied, 0);
    learner_free(&l);
}

static void test_gap_holds_later_slots_back(void **state)
{
    struct learner l;

    learner_init(&l, 3, 0);
    for (size_t a = 0; a < 2; a++) {
        learn(&l, a, B(1, 1), E(2, "second", 2));
        learn(&l, a, B(1, 1), E(3, "third", 3));
    }
    assert_int_equal(l.applied, 0);
    assert_true(learner_behind(&l));
    for (size_t a = 0; a < 2; a++)
        learn(&l, a, B(1, 1), E(1, "first", 1));
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
    struct msg_entry noop = { .slot = 2 };

    learner_init(&l, 3, 0);
    for (size_t a = 0; a < 2; a++) {
        learn(&l, a, B(1, 1), E(1, "w", 7));
        learn(&l, a, B(1, 1), noop);
        learn(&l, a, B(1, 1), E(3, "w", 7));    /* a retry chosen again */
        learn(&l, a, B(1, 1), E(4, "w", 8));    /* same bytes, new write */
    }
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

    learner_init(&l, 3, 0);
    from = learner_round_begin(&l);
    assert_int_equal(from, 1);
    assert_int_equal(listing(&l, 0, 0, from, INT64_MAX, a0, 2), 0);
    assert_int_equal(l.applied, 0);
    assert_int_equal(listing(&l, 2, 0, from, INT64_MAX, a0, 2), 0);
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

    learner_init(&l, 3, 0);
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

    learner_init(&l, 3, 0);
    l.known_commit = 0;
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

    learner_init(&l, 3, 0);
    l.known_commit = 2;
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

    learner_init(&l, 3, 0);
    l.known_commit = 1;
    from = learner_round_begin(&l);
    assert_int_equal(listing_trimmed(&l, 0, 1, from, INT64_MAX, 1, NULL, 0), 0);
    assert_int_equal(listing(&l, 1, 1, from, INT64_MAX, &a1, 1), 0);
    assert_int_equal(l.applied, 0);
    assert_int_equal(l.n_out, 0);
    assert_true(learner_must_copy(&l));
    learner_free(&l);
}

/* Another learner's log covers its applied index; its slots without an
 * entry were no-ops or duplicates. Later slots apply on top of it, and
 * the identities it brought still stop a retry chosen twice. */
static void test_adopt_another_learners_log(void **state)
{
    struct learner l;
    struct msg_entry copied[] = { EB(2, B(1, 1), "two", 1),
                                  EB(5, B(1, 1), "five", 2) };

    learner_init(&l, 3, 0);
    l.trimmed_seen = 4;
    assert_true(learner_must_copy(&l));
    assert_int_equal(learner_adopt(&l, copied, 2, 6, false), 0);
    assert_int_equal(l.applied, 6);
    assert_false(learner_must_copy(&l));
    assert_int_equal(l.n_out, 2);
    assert_string_equal(l.out[1].value.data, "five");
    assert_int_equal(l.out[1].slot, 5);
    for (size_t a = 0; a < 2; a++) {
        learn(&l, a, B(1, 1), E(7, "five", 2));     /* a retry chosen again */
        learn(&l, a, B(1, 1), E(8, "eight", 3));
    }
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

    learner_init(&l, 3, 1000);
    for (int round = 0; round < 5; round++) {
        for (size_t i = 0; i < R; i++) {
            slot++;
            snprintf(data, sizeof data, "w%llu", (unsigned long long)slot);
            for (size_t a = 0; a < 2; a++)
                learn(&l, a, B(1, 1), E(slot, data, slot));
        }
        learner_out_clear(&l);
        if (round < 4)
            learner_tick(&l, 1000 * (round + 1));
    }
    assert_int_equal(idmap_aging_len(&l.applied_ids), 2 * R);
    learn(&l, 0, B(1, 1), E(slot + 2, "later", slot + 2));
    assert_true(learner_behind(&l));
    learner_tick(&l, 1000000);
    assert_int_equal(idmap_aging_len(&l.applied_ids), 2 * R);
    learn(&l, 0, B(1, 1), E(slot + 1, "next", slot + 1));
    learn(&l, 1, B(1, 1), E(slot + 1, "next", slot + 1));
    learn(&l, 1, B(1, 1), E(slot + 2, "later", slot + 2));
    assert_false(learner_behind(&l));
    /* slot + 1 was applied behind slot + 2: the young generation, full,
     * was aged by count */
    assert_int_equal(idmap_aging_len(&l.applied_ids), R + 2);
    learner_free(&l);

    learner_init(&l, 3, 1000);
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
        cmocka_unit_test(test_quorum_at_one_ballot_chooses),
        cmocka_unit_test(test_leader_announcement_chooses_at_once),
        cmocka_unit_test(test_votes_at_different_ballots_do_not_choose),
        cmocka_unit_test(test_same_acceptor_twice_is_not_a_quorum),
        cmocka_unit_test(test_gap_holds_later_slots_back),
        cmocka_unit_test(test_noops_and_duplicate_writes_applied_once),
        cmocka_unit_test(test_catch_up_by_quorum_in_listings),
        cmocka_unit_test(test_catch_up_of_known_chosen_slot_with_mixed_ballots),
        cmocka_unit_test(test_catch_up_does_not_guess_uncommitted_slots),
        cmocka_unit_test(test_catch_up_respects_listing_coverage),
        cmocka_unit_test(test_trimmed_answer_does_not_cover_forgotten_slots),
        cmocka_unit_test(test_adopt_another_learners_log),
        cmocka_unit_test(test_identities_age_only_when_caught_up),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
