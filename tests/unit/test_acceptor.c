/* test_acceptor.c -- the acceptor's promise and accept rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/acceptor.h"

static struct ballot B(uint32_t round, uint32_t node)
{
    return (struct ballot){ round, node };
}

static struct msg_entry entry(uint64_t slot, const char *data)
{
    return (struct msg_entry){ .slot = slot,
                               .value = { (char *)data, (char *)"9", slot } };
}

static void test_prepare_raises_and_rejects_lower(void **state)
{
    struct acceptor a;

    acceptor_init(&a);
    assert_int_equal(acceptor_prepare(&a, B(2, 1)), ACCEPTOR_OK);
    assert_int_equal(acceptor_prepare(&a, B(1, 3)), ACCEPTOR_STALE);
    assert_int_equal(ballot_cmp(a.promised, B(2, 1)), 0);
    /* the same ballot again is refused: it may come from a proposer that
     * restarted and forgot it already used it */
    assert_int_equal(acceptor_prepare(&a, B(2, 1)), ACCEPTOR_STALE);
    /* same round, higher node id wins */
    assert_int_equal(acceptor_prepare(&a, B(2, 2)), ACCEPTOR_OK);
    acceptor_free(&a);
}

static void test_accept_stores_and_raises_promise(void **state)
{
    struct acceptor a;
    struct msg_entry e[2] = { entry(1, "a"), entry(2, "b") };

    acceptor_init(&a);
    assert_int_equal(acceptor_accept(&a, B(3, 1), e, 2, 0), ACCEPTOR_OK);
    assert_string_equal(acceptor_get(&a, 2)->value.data, "b");
    assert_int_equal(ballot_cmp(acceptor_get(&a, 1)->ballot, B(3, 1)), 0);
    assert_int_equal(ballot_cmp(a.promised, B(3, 1)), 0);
    assert_int_equal(a.max_slot, 2);
    assert_null(acceptor_get(&a, 3));
    acceptor_free(&a);
}

static void test_accept_below_promise_changes_nothing(void **state)
{
    struct acceptor a;
    struct msg_entry e = entry(1, "late");

    acceptor_init(&a);
    acceptor_prepare(&a, B(5, 2));
    assert_int_equal(acceptor_accept(&a, B(4, 1), &e, 1, 7), ACCEPTOR_STALE);
    assert_null(acceptor_get(&a, 1));
    assert_int_equal(a.commit, 0);
    assert_int_equal(ballot_cmp(a.promised, B(5, 2)), 0);
    acceptor_free(&a);
}

static void test_bad_slot_rejects_whole_batch(void **state)
{
    struct acceptor a;
    struct msg_entry zero[2] = { entry(1, "a"), entry(0, "b") };
    struct msg_entry far[2] = { entry(1, "a"),
                                entry(ACCEPTOR_MAX_SLOT_JUMP + 5, "b") };

    acceptor_init(&a);
    assert_int_equal(acceptor_accept(&a, B(1, 1), zero, 2, 0), ACCEPTOR_BAD_SLOT);
    assert_int_equal(acceptor_accept(&a, B(1, 1), far, 2, 0), ACCEPTOR_BAD_SLOT);
    assert_null(acceptor_get(&a, 1));
    assert_true(ballot_is_zero(a.promised));
    acceptor_free(&a);
}

static void test_higher_ballot_overwrites_slot(void **state)
{
    struct acceptor a;
    struct msg_entry first = entry(4, "old"), second = entry(4, "new");
    struct msg_entry noop = { .slot = 5 };

    acceptor_init(&a);
    acceptor_accept(&a, B(1, 1), &first, 1, 0);
    acceptor_accept(&a, B(2, 2), &second, 1, 3);
    acceptor_accept(&a, B(2, 2), &noop, 1, 2);
    assert_string_equal(acceptor_get(&a, 4)->value.data, "new");
    assert_int_equal(ballot_cmp(acceptor_get(&a, 4)->ballot, B(2, 2)), 0);
    assert_true(pvalue_is_noop(&acceptor_get(&a, 5)->value));
    assert_int_equal(a.commit, 3);      /* the commit index never goes back */
    acceptor_free(&a);
}

static void test_empty_accept_only_checks_ballot(void **state)
{
    struct acceptor a;

    acceptor_init(&a);
    assert_int_equal(acceptor_accept(&a, B(3, 1), NULL, 0, 0), ACCEPTOR_OK);
    assert_int_equal(ballot_cmp(a.promised, B(3, 1)), 0);
    assert_int_equal(acceptor_accept(&a, B(2, 9), NULL, 0, 0), ACCEPTOR_STALE);
    assert_int_equal(a.max_slot, 0);
    acceptor_free(&a);
}

/* Only chosen slots are forgotten; an ACCEPT for one is answered without
 * storing it again, and the memory stays a window over the live slots. */
static void test_trim_forgets_chosen_slots_only(void **state)
{
    struct acceptor a;
    struct msg_entry e;

    acceptor_init(&a);
    for (uint64_t s = 1; s <= 3000; s++) {
        e = entry(s, "v");
        assert_int_equal(acceptor_accept(&a, B(1, 1), &e, 1, s / 2), ACCEPTOR_OK);
    }
    assert_int_equal(acceptor_trim(&a, 5000), 1500);   /* the commit index */
    assert_null(acceptor_get(&a, 1));
    assert_null(acceptor_get(&a, 1500));
    assert_non_null(acceptor_get(&a, 1501));
    assert_string_equal(acceptor_get(&a, 3000)->value.data, "v");
    e = entry(10, "again");
    assert_int_equal(acceptor_accept(&a, B(1, 1), &e, 1, 0), ACCEPTOR_OK);
    assert_null(acceptor_get(&a, 10));
    for (uint64_t s = 3001; s <= 100000; s++) {
        e = entry(s, "v");
        assert_int_equal(acceptor_accept(&a, B(1, 1), &e, 1, s - 1), ACCEPTOR_OK);
        if (s % 1000 == 0)
            acceptor_trim(&a, s - 100);
    }
    assert_true(a.cap <= 4096);
    assert_non_null(acceptor_get(&a, 99950));
    assert_null(acceptor_get(&a, 99800));
    acceptor_free(&a);
}

/* A compacted write-ahead file starts with the trim: the acceptor then
 * takes the slots above it, however far from slot 1. */
static void test_restored_trim_then_accepts(void **state)
{
    struct acceptor a;
    struct msg_entry e = entry(5000001, "kept");

    acceptor_init(&a);
    acceptor_restore_trim(&a, 5000000);
    assert_int_equal(a.trimmed, 5000000);
    assert_int_equal(a.commit, 5000000);
    assert_int_equal(acceptor_accept(&a, B(3, 1), &e, 1, 0), ACCEPTOR_OK);
    assert_string_equal(acceptor_get(&a, 5000001)->value.data, "kept");
    assert_null(acceptor_get(&a, 10));
    acceptor_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prepare_raises_and_rejects_lower),
        cmocka_unit_test(test_accept_stores_and_raises_promise),
        cmocka_unit_test(test_accept_below_promise_changes_nothing),
        cmocka_unit_test(test_bad_slot_rejects_whole_batch),
        cmocka_unit_test(test_higher_ballot_overwrites_slot),
        cmocka_unit_test(test_empty_accept_only_checks_ballot),
        cmocka_unit_test(test_trim_forgets_chosen_slots_only),
        cmocka_unit_test(test_restored_trim_then_accepts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
