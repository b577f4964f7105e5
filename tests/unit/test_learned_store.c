/* test_learned_store.c -- unit tests for the learner's applied log on disk
 * (node/learned_store.c).
 *
 * Each test runs in its own temporary directory (tests/lib/tmpdir.h),
 * removed afterwards. Most tests store N entries at every third slot (3,
 * 6, 9, ...), each with a value, writer and ballot derived from its slot,
 * and check what reads hand back against that. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "array.h"
#include "store/learned_store.h"
#include "store/wal.h"
#include "tmpdir.h"

#define N 1000
#define SLOT(i) (3 * (uint64_t)(i) + 3)     /* the slot of entry i */
#define LAST_SLOT SLOT(N - 1)

/* Copies of the entries a read or replay handed over. */
struct collected {
    struct learned *e;
    size_t n, cap;
};

/* ---- fixture ---- */

static int setup(void **state)
{
    return tmpdir_setup(state, "test_learned_store", "learned.log");
}

/* ---- entries derived from their slot ---- */

static struct ballot ballot_of(uint64_t slot)
{
    return (struct ballot){ (uint32_t)(1 + slot % 5), 2 };
}

static int append_slot(struct learned_store *s, uint64_t slot)
{
    char data[32], client[16];
    struct learned e = { slot, ballot_of(slot), { data, client, slot } };

    snprintf(data, sizeof(data), "value-%llu", (unsigned long long)slot);
    snprintf(client, sizeof(client), "c%llu", (unsigned long long)(slot % 7));
    return learned_store_append(s, &e);
}

static void assert_entry(const struct learned *e, uint64_t slot)
{
    char data[32], client[16];

    snprintf(data, sizeof(data), "value-%llu", (unsigned long long)slot);
    snprintf(client, sizeof(client), "c%llu", (unsigned long long)(slot % 7));
    assert_int_equal(e->slot, slot);
    assert_int_equal(ballot_cmp(e->ballot, ballot_of(slot)), 0);
    assert_string_equal(e->value.data, data);
    assert_string_equal(e->value.client, client);
    assert_int_equal(e->value.seq, slot);
}

/* ---- collecting ---- */

static void collect(void *ud, const struct learned *e)
{
    struct collected *c = ud;

    assert_int_equal(array_reserve(&c->e, &c->cap, c->n + 1), 0);
    c->e[c->n].slot = e->slot;
    c->e[c->n].ballot = e->ballot;
    assert_int_equal(pvalue_copy(&c->e[c->n].value, &e->value), 0);
    c->n++;
}

static void collected_clear(struct collected *c)
{
    for (size_t i = 0; i < c->n; i++)
        pvalue_free(&c->e[i].value);
    free(c->e);
    *c = (struct collected){ 0 };
}

/* c holds n entries, the first at entry number first. */
static void assert_run(const struct collected *c, size_t first, size_t n)
{
    assert_int_equal(c->n, n);
    for (size_t k = 0; k < n; k++)
        assert_entry(&c->e[k], SLOT(first + k));
}

/* ---- opening and filling ---- */

static struct learned_store *open_store(const char *dir, struct collected *c)
{
    struct learned_store *s;

    if (c)
        collected_clear(c);
    s = learned_store_open(dir, false, c ? collect : NULL, c);
    assert_non_null(s);
    return s;
}

/* A store with n entries at SLOT(0..n-1), synced. */
static struct learned_store *filled_store(const char *dir, size_t n)
{
    struct learned_store *s = open_store(dir, NULL);

    for (size_t i = 0; i < n; i++)
        assert_int_equal(append_slot(s, SLOT(i)), 0);
    assert_int_equal(learned_store_sync(s), 0);
    return s;
}

/* learned_store_read(from, limit) returns the n entries from entry number
 * first on. */
static void assert_read(struct learned_store *s, uint64_t from, size_t limit,
                        size_t first, size_t n)
{
    struct collected c = { 0 };

    assert_int_equal(learned_store_read(s, from, limit, SIZE_MAX, collect, &c),
                     (long)n);
    assert_run(&c, first, n);
    collected_clear(&c);
}

static void assert_read_last(struct learned_store *s, size_t last_n,
                             size_t first, size_t n)
{
    struct collected c = { 0 };

    assert_int_equal(learned_store_read_last(s, last_n, collect, &c),
                     (long)n);
    assert_run(&c, first, n);
    collected_clear(&c);
}

static void ignore_accept(void *ud, uint64_t offset, uint64_t slot,
                          struct ballot b, const struct pvalue *v)
{
}

/* Writes learned.log in dir with wal directly: slots a and b, the second
 * a no-op when noop is set. */
static void write_raw_log(const char *dir, uint64_t a, uint64_t b, bool noop)
{
    struct wal_replay r = { NULL, ignore_accept, NULL, NULL, NULL };
    struct pvalue value = { (char *)"x", (char *)"c", 1 };
    struct pvalue nothing = { NULL, NULL, 0 };
    struct wal *w = wal_open(dir, "learned.log", false, &r);

    assert_non_null(w);
    assert_int_equal(wal_append_accept(w, a, ballot_of(a), &value), 0);
    assert_int_equal(wal_append_accept(w, b, ballot_of(b),
                                       noop ? &nothing : &value), 0);
    assert_int_equal(wal_sync(w), 0);
    wal_close(w);
}

/* ---- tests ---- */

static void test_new_store_is_empty(void **state)
{
    struct tmpdir *tmp = *state;
    struct collected c = { 0 };
    struct learned_store *s = open_store(tmp->dir, &c);
    struct stat st;

    assert_int_equal(c.n, 0);
    assert_int_equal(learned_store_count(s), 0);
    assert_int_equal(learned_store_last_slot(s), 0);
    assert_int_equal(learned_store_pending(s), 0);
    assert_int_equal(learned_store_read(s, 0, 10, SIZE_MAX, collect, &c), 0);
    assert_int_equal(learned_store_read_last(s, 10, collect, &c), 0);
    assert_int_equal(c.n, 0);
    assert_int_equal(stat(tmp->file, &st), 0);
    learned_store_close(s);
}

static void test_append_counts_and_reads_everything_in_order(void **state)
{
    struct tmpdir *tmp = *state;
    struct learned_store *s = filled_store(tmp->dir, N);

    assert_int_equal(learned_store_count(s), N);
    assert_int_equal(learned_store_last_slot(s), LAST_SLOT);
    assert_int_equal(learned_store_pending(s), 0);
    assert_read(s, 0, 2 * N, 0, N);
    assert_read(s, 1, N, 0, N);
    learned_store_close(s);
}

/* Entry i is at slot 3i + 3; index entries are 0, 64, 128, ... (slots 3,
 * 195, 387, ...). */
static void test_read_from_slots_on_and_between_entries(void **state)
{
    struct tmpdir *tmp = *state;
    struct learned_store *s = filled_store(tmp->dir, N);

    assert_read(s, SLOT(0), N, 0, N);
    assert_read(s, SLOT(0) + 1, N, 1, N - 1);      /* in a gap */
    assert_read(s, SLOT(63), N, 63, N - 63);       /* just before index 1 */
    assert_read(s, SLOT(64) - 1, N, 64, N - 64);   /* gap before index 1 */
    assert_read(s, SLOT(64), N, 64, N - 64);       /* on index 1 */
    assert_read(s, SLOT(64) + 2, N, 65, N - 65);   /* gap after index 1 */
    assert_read(s, SLOT(500), N, 500, N - 500);
    assert_read(s, SLOT(960) + 1, N, 961, N - 961); /* after the last index */
    assert_read(s, LAST_SLOT - 1, N, N - 1, 1);
    assert_read(s, LAST_SLOT, N, N - 1, 1);
    assert_read(s, LAST_SLOT + 1, N, 0, 0);
    assert_read(s, UINT64_MAX, N, 0, 0);
    learned_store_close(s);
}

static void test_read_stops_at_limit(void **state)
{
    struct tmpdir *tmp = *state;
    struct learned_store *s = filled_store(tmp->dir, N);

    assert_read(s, 0, 0, 0, 0);
    assert_read(s, 0, 1, 0, 1);
    assert_read(s, SLOT(100) - 2, 10, 100, 10);
    assert_read(s, SLOT(60), 10, 60, 10);          /* across index 1 */
    assert_read(s, SLOT(990), 100, 990, 10);       /* fewer than limit */
    assert_read(s, 0, N, 0, N);
    learned_store_close(s);
}

/* Values "value-3", "value-6", "value-9" are 7 bytes each: a read stops
 * once it has passed max_bytes of them, but passes one at least. */
static void test_read_stops_at_max_bytes(void **state)
{
    struct tmpdir *tmp = *state;
    struct learned_store *s = filled_store(tmp->dir, N);
    struct collected c = { 0 };

    assert_int_equal(learned_store_read(s, 0, N, 15, collect, &c), 3);
    assert_run(&c, 0, 3);
    collected_clear(&c);
    assert_int_equal(learned_store_read(s, 0, N, 1, collect, &c), 1);
    assert_run(&c, 0, 1);
    collected_clear(&c);
    learned_store_close(s);
}

static void test_read_last(void **state)
{
    struct tmpdir *tmp = *state;
    struct learned_store *s = filled_store(tmp->dir, N);

    assert_read_last(s, 0, 0, 0);
    assert_read_last(s, 1, N - 1, 1);
    assert_read_last(s, 10, N - 10, 10);
    assert_read_last(s, N - 960, 960, N - 960);    /* exactly at index 15 */
    assert_read_last(s, N - 959, 959, N - 959);    /* one before it */
    assert_read_last(s, N - 1, 1, N - 1);
    assert_read_last(s, N, 0, N);
    assert_read_last(s, N + 1, 0, N);
    assert_read_last(s, 5 * N, 0, N);
    learned_store_close(s);
}

/* 16 * 64 entries fill the index exactly (its capacity grows 16, 32, ...):
 * asking for no entries must not look one past its end. */
static void test_read_last_when_the_index_is_exactly_full(void **state)
{
    struct tmpdir *tmp = *state;
    struct learned_store *s = filled_store(tmp->dir, 16 * 64);

    assert_read_last(s, 0, 0, 0);
    assert_read_last(s, 1, 16 * 64 - 1, 1);
    assert_read_last(s, 64, 15 * 64, 64);
    assert_read_last(s, 16 * 64, 0, 16 * 64);
    assert_read(s, SLOT(16 * 64 - 1), 0, 0, 0);
    assert_read(s, SLOT(16 * 64 - 1), 1, 16 * 64 - 1, 1);
    learned_store_close(s);
}

static void test_reopen_replays_in_order_and_rebuilds_the_index(void **state)
{
    struct tmpdir *tmp = *state;
    struct collected replayed = { 0 };
    struct learned_store *s = filled_store(tmp->dir, N);

    learned_store_close(s);
    s = open_store(tmp->dir, &replayed);
    assert_run(&replayed, 0, N);
    assert_int_equal(learned_store_count(s), N);
    assert_int_equal(learned_store_last_slot(s), LAST_SLOT);
    assert_int_equal(learned_store_pending(s), 0);
    assert_read(s, SLOT(700) + 1, 5, 701, 5);
    assert_read_last(s, 3, N - 3, 3);

    assert_int_equal(append_slot(s, SLOT(N)), 0);
    assert_int_equal(learned_store_sync(s), 0);
    learned_store_close(s);
    s = open_store(tmp->dir, &replayed);
    assert_run(&replayed, 0, N + 1);
    assert_int_equal(learned_store_last_slot(s), SLOT(N));
    learned_store_close(s);
    collected_clear(&replayed);
}

/* No-ops and duplicates after the last entry: a mark records the applied
 * index, and a restart resumes from it, not from the last entry; reads
 * pass over marks. */
static void test_mark_records_the_applied_index_past_the_last_entry(
    void **state)
{
    struct tmpdir *tmp = *state;
    struct collected replayed = { 0 };
    struct learned_store *s = filled_store(tmp->dir, N / 2);

    assert_int_equal(learned_store_applied(s), SLOT(N / 2 - 1));
    /* not above the last entry: nothing written */
    assert_int_equal(learned_store_mark_applied(s, SLOT(N / 2 - 1)), 0);
    assert_int_equal(learned_store_pending(s), 0);
    /* a mark between entries, then the rest of the entries */
    assert_int_equal(learned_store_mark_applied(s, SLOT(N / 2 - 1) + 1), 0);
    for (size_t i = N / 2; i < N; i++)
        assert_int_equal(append_slot(s, SLOT(i)), 0);
    assert_int_equal(learned_store_applied(s), LAST_SLOT);
    /* 5000 no-ops after the last entry */
    assert_int_equal(learned_store_mark_applied(s, LAST_SLOT + 5000), 0);
    assert_int_equal(learned_store_applied(s), LAST_SLOT + 5000);
    assert_int_equal(learned_store_sync(s), 0);
    assert_read(s, SLOT(N / 2 - 2), 4, N / 2 - 2, 4);
    assert_read_last(s, 3, N - 3, 3);
    learned_store_close(s);

    s = open_store(tmp->dir, &replayed);
    assert_run(&replayed, 0, N);
    assert_int_equal(learned_store_count(s), N);
    assert_int_equal(learned_store_last_slot(s), LAST_SLOT);
    assert_int_equal(learned_store_applied(s), LAST_SLOT + 5000);
    assert_read(s, SLOT(N / 2 - 2), 4, N / 2 - 2, 4);
    assert_read_last(s, 3, N - 3, 3);
    /* an entry after the mark, and a mark left unsynced: lost with it */
    assert_int_equal(append_slot(s, LAST_SLOT + 5001), 0);
    assert_int_equal(learned_store_sync(s), 0);
    assert_int_equal(learned_store_mark_applied(s, LAST_SLOT + 9000), 0);
    learned_store_close(s);
    s = open_store(tmp->dir, &replayed);
    assert_int_equal(learned_store_applied(s), LAST_SLOT + 5001);
    learned_store_close(s);
    collected_clear(&replayed);
}

static void test_slot_not_above_the_last_is_refused(void **state)
{
    struct tmpdir *tmp = *state;
    struct learned_store *s = open_store(tmp->dir, NULL);
    size_t pending;

    assert_int_equal(append_slot(s, 0), -1);       /* slots start at 1 */
    assert_int_equal(append_slot(s, 5), 0);
    pending = learned_store_pending(s);
    assert_int_equal(append_slot(s, 5), -1);
    assert_int_equal(append_slot(s, 4), -1);
    assert_int_equal(learned_store_pending(s), pending);
    assert_int_equal(learned_store_count(s), 1);
    assert_int_equal(learned_store_last_slot(s), 5);
    assert_int_equal(append_slot(s, 6), 0);
    assert_int_equal(learned_store_count(s), 2);
    learned_store_close(s);
}

/* The learner never applies a no-op: the store refuses one. */
static void test_noop_is_refused(void **state)
{
    struct tmpdir *tmp = *state;
    struct learned_store *s = open_store(tmp->dir, NULL);
    struct learned noop = { 1, { 1, 1 }, { NULL, NULL, 0 } };

    assert_int_equal(learned_store_append(s, &noop), -1);
    assert_int_equal(learned_store_pending(s), 0);
    assert_int_equal(learned_store_count(s), 0);
    assert_int_equal(learned_store_last_slot(s), 0);
    assert_int_equal(append_slot(s, 1), 0);
    learned_store_close(s);
}

/* Valid records that the store would not have written: it will not open
 * them rather than serve reads it cannot index. */
static void test_file_with_noop_or_slots_out_of_order_does_not_open(
    void **state)
{
    struct tmpdir *tmp = *state;
    char dir[TMPDIR_PATH_MAX + 32];

    snprintf(dir, sizeof(dir), "%s/noop", tmp->dir);
    write_raw_log(dir, 1, 2, true);
    assert_null(learned_store_open(dir, false, NULL, NULL));
    snprintf(dir, sizeof(dir), "%s/order", tmp->dir);
    write_raw_log(dir, 2, 2, false);
    assert_null(learned_store_open(dir, false, NULL, NULL));
    snprintf(dir, sizeof(dir), "%s/fine", tmp->dir);
    write_raw_log(dir, 1, 2, false);
    learned_store_close(open_store(dir, NULL));
}

static void test_torn_tail_loses_only_the_last_entry(void **state)
{
    struct tmpdir *tmp = *state;
    struct collected replayed = { 0 };
    struct learned_store *s = filled_store(tmp->dir, N);
    struct stat st;

    learned_store_close(s);
    assert_int_equal(stat(tmp->file, &st), 0);
    assert_int_equal(truncate(tmp->file, st.st_size - 3), 0);

    s = open_store(tmp->dir, &replayed);
    assert_run(&replayed, 0, N - 1);
    assert_int_equal(learned_store_count(s), N - 1);
    assert_int_equal(learned_store_last_slot(s), SLOT(N - 2));
    assert_read_last(s, 2, N - 3, 2);
    assert_int_equal(append_slot(s, LAST_SLOT), 0);
    assert_int_equal(learned_store_sync(s), 0);
    learned_store_close(s);

    s = open_store(tmp->dir, &replayed);
    assert_run(&replayed, 0, N);
    learned_store_close(s);
    collected_clear(&replayed);
}

/* Reads see appended entries before they are synced, and do not make
 * them count as synced. */
static void test_reads_see_unsynced_appends(void **state)
{
    struct tmpdir *tmp = *state;
    struct learned_store *s = filled_store(tmp->dir, 100);
    size_t pending;

    for (size_t i = 100; i < 200; i++)
        assert_int_equal(append_slot(s, SLOT(i)), 0);
    pending = learned_store_pending(s);
    assert_true(pending > 0);
    assert_read(s, SLOT(150), N, 150, 50);
    assert_read_last(s, 120, 80, 120);
    assert_int_equal(learned_store_pending(s), pending);
    assert_int_equal(learned_store_sync(s), 0);
    assert_int_equal(learned_store_pending(s), 0);
    learned_store_close(s);
}

static void test_second_open_of_same_dir_fails(void **state)
{
    struct tmpdir *tmp = *state;
    struct learned_store *s = open_store(tmp->dir, NULL);

    assert_null(learned_store_open(tmp->dir, false, NULL, NULL));
    learned_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, tmpdir_teardown)
        T(test_new_store_is_empty),
        T(test_append_counts_and_reads_everything_in_order),
        T(test_read_from_slots_on_and_between_entries),
        T(test_read_stops_at_limit),
        T(test_read_stops_at_max_bytes),
        T(test_read_last),
        T(test_read_last_when_the_index_is_exactly_full),
        T(test_reopen_replays_in_order_and_rebuilds_the_index),
        T(test_mark_records_the_applied_index_past_the_last_entry),
        T(test_slot_not_above_the_last_is_refused),
        T(test_noop_is_refused),
        T(test_file_with_noop_or_slots_out_of_order_does_not_open),
        T(test_torn_tail_loses_only_the_last_entry),
        T(test_reads_see_unsynced_appends),
        T(test_second_open_of_same_dir_fails),
#undef T
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
