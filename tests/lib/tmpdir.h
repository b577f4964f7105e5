/* tmpdir.h -- temporary directories for the unit tests and the fuzz
 * harnesses: a fresh directory under $TMPDIR (else /tmp) with the path of
 * the file a test is about in it, removed afterwards with everything the
 * test left there.
 *
 * As a cmocka fixture:
 *
 *     static int setup(void **state)
 *     {
 *         return tmpdir_setup(state, "test_wal", "acceptor.wal");
 *     }
 *     ... cmocka_unit_test_setup_teardown(fn, setup, tmpdir_teardown)
 *     ... in a test: struct tmpdir *t = *state; t->dir, t->file
 *
 * or by hand: tmpdir_make(&t, ...), then tmpdir_remove(&t). */
#ifndef PAXOS_TESTS_TMPDIR_H
#define PAXOS_TESTS_TMPDIR_H

/* Room for the directory's path; paths a test builds below it need this
 * much and what they add. */
#define TMPDIR_PATH_MAX 256

struct tmpdir {
    char dir[TMPDIR_PATH_MAX];          /* $TMPDIR/NAME.XXXXXX */
    char file[TMPDIR_PATH_MAX + 64];    /* dir/FILE (not created) */
};

/* Makes the directory $TMPDIR/NAME.XXXXXX (/tmp when TMPDIR is unset or
 * empty) and names FILE in it. Returns 0, or -1 with errno set
 * (ENAMETOOLONG when a path does not fit). */
int tmpdir_make(struct tmpdir *t, const char *name, const char *file);

/* Removes the directory and everything below it, without following
 * links. Returns 0, or -1 when something could not be removed. */
int tmpdir_remove(const struct tmpdir *t);

/* cmocka fixtures: *state becomes a new struct tmpdir (made as by
 * tmpdir_make; -1 fails the test's setup), and is removed and freed. */
int tmpdir_setup(void **state, const char *name, const char *file);
int tmpdir_teardown(void **state);

#endif
