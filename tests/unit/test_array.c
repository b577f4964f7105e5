/* test_array.c -- room in a growable array. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>

#include "array.h"

static void test_grows_by_doubling_and_keeps_items(void **state)
{
    uint64_t *items = NULL;
    size_t cap = 0;

    for (uint64_t i = 0; i < 1000; i++) {
        assert_int_equal(array_reserve(&items, &cap, i + 1), 0);
        assert_true(cap >= i + 1);
        items[i] = i * 7;
    }
    assert_int_equal(cap, 1024);        /* 16, 32, ..., 1024 */
    for (uint64_t i = 0; i < 1000; i++)
        assert_int_equal(items[i], i * 7);
    free(items);
}

static void test_enough_room_changes_nothing(void **state)
{
    char *items = NULL;
    size_t cap = 0;
    char *before;

    assert_int_equal(array_reserve(&items, &cap, 1), 0);
    assert_int_equal(cap, 16);
    before = items;
    assert_int_equal(array_reserve(&items, &cap, 16), 0);
    assert_ptr_equal(items, before);
    assert_int_equal(cap, 16);
    free(items);
}

static void test_overflow_fails_and_keeps_the_array(void **state)
{
    struct big { char bytes[4096]; } *items = NULL;
    size_t cap = 0;

    assert_int_equal(array_reserve(&items, &cap, 4), 0);
    items[3].bytes[0] = 'x';
    assert_int_equal(array_reserve(&items, &cap, SIZE_MAX / 2), -1);
    assert_int_equal(cap, 16);
    assert_int_equal(items[3].bytes[0], 'x');
    free(items);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grows_by_doubling_and_keeps_items),
        cmocka_unit_test(test_enough_room_changes_nothing),
        cmocka_unit_test(test_overflow_fails_and_keeps_the_array),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
