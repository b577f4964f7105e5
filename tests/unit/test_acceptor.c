/* test_acceptor.c -- the acceptor's rules: promises, accepts, listings,
 * the learners' progress and trimming, and the records that make each
 * decision durable (what is written, what a compacted file holds, and
 * what a replay of them rebuilds). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/acceptor.h"

#define SELF 4                  /* the acceptor's node id */
#define LEARNER_A 7
#define LEARNER_B 8

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

/* An acceptor with node id SELF and the learners LEARNER_A, LEARNER_B. */
static void start(struct acceptor *a)
{
    assert_int_equal(acceptor_init(a, SELF, learners, 2), 0);
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

    assert_int_equal(acceptor_accept(a, b, &e, 1, commit, r), ACCEPTOR_OK);
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

/* A refused PREPARE says which ballot the acceptor promised, and nothing
 * else. */
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
    assert_int_equal(r.reply.commit, 0);
    assert_int_equal(r.reply.n_entries, 0);
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
    assert_int_equal(acceptor_accept(&a, B(1, 1), e, 5, 2, &r), ACCEPTOR_OK);
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
    assert_int_equal(acceptor_accept(&a, B(1, 1), e, n, 0, &r), ACCEPTOR_OK);
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
    assert_int_equal(acceptor_accept(&a, B(3, 1), e, 2, 0, &r), ACCEPTOR_OK);
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
    assert_int_equal(acceptor_accept(&a, B(4, 1), &e, 1, 7, &r),
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
    assert_int_equal(acceptor_accept(&a, B(1, 1), zero, 2, 0, &r),
                     ACCEPTOR_BAD_SLOT);
    assert_int_equal(r.n_records, 0);
    assert_int_equal(acceptor_accept(&a, B(1, 1), far, 2, 0, &r),
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
    assert_int_equal(acceptor_accept(&a, B(2, 2), &second, 1, 3, &r),
                     ACCEPTOR_OK);
    assert_accept_record(&r.records[0], 4, B(2, 2), "new");
    assert_int_equal(acceptor_accept(&a, B(2, 2), &noop, 1, 2, &r),
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
    assert_int_equal(acceptor_accept(&a, B(3, 1), NULL, 0, 0, &r),
                     ACCEPTOR_OK);
    assert_ballot(a.promised, B(3, 1));
    assert_int_equal(r.n_records, 1);
    assert_promise_record(&r.records[0], B(3, 1));
    assert_true(r.reply.ok);
    /* the same ballot again changes nothing: nothing to write */
    assert_int_equal(acceptor_accept(&a, B(3, 1), NULL, 0, 0, &r),
                     ACCEPTOR_OK);
    assert_int_equal(r.n_records, 0);
    assert_int_equal(acceptor_accept(&a, B(2, 9), NULL, 0, 0, &r),
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
    assert_int_equal(acceptor_accept(&a, B(2, 1), e, 2, 0, &r), ACCEPTOR_OK);
    assert_int_equal(r.n_records, 1);
    assert_promise_record(&r.records[0], B(2, 1));
    assert_true(r.reply.ok);
    assert_null(acceptor_get(&a, 10));
    /* under the same ballot, nothing at all */
    assert_int_equal(acceptor_accept(&a, B(2, 1), e, 2, 0, &r), ACCEPTOR_OK);
    assert_int_equal(r.n_records, 0);
    /* a batch that reaches past the trim stores only what lies past it */
    e[1] = entry(11, "z");
    assert_int_equal(acceptor_accept(&a, B(3, 1), e, 2, 0, &r), ACCEPTOR_OK);
    assert_int_equal(r.n_records, 1);
    assert_accept_record(&r.records[0], 11, B(3, 1), "z");
    stop(&a, &r);
}

/* ---- trimming ---- */

/* Only chosen slots are forgotten; an ACCEPT for one is answered without
 * storing it again, and the memory stays a window over the live slots. */
static void test_trim_forgets_chosen_slots_only(void **state)
{
    struct acceptor a;
    struct acceptor_ready r = { 0 };
    const uint32_t one = LEARNER_A;

    assert_int_equal(acceptor_init(&a, SELF, &one, 1), 0);
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

/* ---- replay ---- */

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
        cmocka_unit_test(test_trim_forgets_chosen_slots_only),
        cmocka_unit_test(test_restored_trim_then_accepts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
