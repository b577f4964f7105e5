/* test_wal.c -- unit tests for the append-only record files (wal.c).
 *
 * Each test runs in its own temporary directory (tests/lib/tmpdir.h),
 * removed afterwards. Records are replayed (or read with wal_read) into a
 * recorder and compared field by field. */
#include <fcntl.h>
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
#include "ballot.h"
#include "store/wal.h"
#include "tmpdir.h"

#define HEADER_SIZE 9
#define ACCEPT_FIXED 31     /* accept payload without client and data */
/* The third record of write_three_records(): client "c1", data "last". */
#define LAST_RECORD_SIZE (HEADER_SIZE + ACCEPT_FIXED + 2 + 4)

struct event {
    bool promise;
    bool trim;          /* slot: the slots up to it were forgotten */
    uint64_t offset;    /* accepts only */
    uint64_t slot;
    struct ballot b;
    struct pvalue v;
};

struct recorder {
    struct event *ev;
    size_t n, cap;
};

/* ---- fixture ---- */

static int setup(void **state)
{
    return tmpdir_setup(state, "test_wal", "acceptor.wal");
}

/* ---- recording replays ---- */

static struct event *recorder_add(struct recorder *rec)
{
    assert_int_equal(array_reserve(&rec->ev, &rec->cap, rec->n + 1), 0);
    memset(&rec->ev[rec->n], 0, sizeof(rec->ev[rec->n]));
    return &rec->ev[rec->n++];
}

static void on_promise(void *ud, struct ballot b)
{
    struct event *e = recorder_add(ud);

    e->promise = true;
    e->b = b;
}

static void on_trim(void *ud, uint64_t upto)
{
    struct event *e = recorder_add(ud);

    e->trim = true;
    e->slot = upto;
}

static void on_accept(void *ud, uint64_t offset, uint64_t slot,
                      struct ballot b, const struct pvalue *v)
{
    struct event *e = recorder_add(ud);

    e->offset = offset;
    e->slot = slot;
    e->b = b;
    assert_int_equal(pvalue_copy(&e->v, v), 0);
}

static void recorder_clear(struct recorder *rec)
{
    for (size_t i = 0; i < rec->n; i++)
        pvalue_free(&rec->ev[i].v);
    free(rec->ev);
    *rec = (struct recorder){ 0 };
}

/* Opens dir, replaying into rec (cleared first). */
static struct wal *open_wal(const char *dir, bool fsync, struct recorder *rec)
{
    struct wal_replay r = { on_promise, on_accept, rec, on_trim, NULL };
    struct wal *w;

    recorder_clear(rec);
    w = wal_open(dir, "acceptor.wal", fsync, &r);
    assert_non_null(w);
    return w;
}

/* wal_read from offset into rec (cleared first); returns its result. */
static int read_wal(struct wal *w, uint64_t offset, struct recorder *rec,
                    bool (*more)(void *ud))
{
    struct wal_replay r = { on_promise, on_accept, rec, on_trim, NULL };

    recorder_clear(rec);
    return wal_read(w, offset, &r, more);
}

static void assert_promise(const struct event *e, uint32_t round,
                           uint32_t node)
{
    assert_true(e->promise);
    assert_int_equal(e->b.round, round);
    assert_int_equal(e->b.node, node);
}

/* data NULL expects a no-op. */
static void assert_accept(const struct event *e, uint64_t slot,
                          uint32_t round, uint32_t node, const char *client,
                          uint64_t seq, const char *data)
{
    assert_false(e->promise);
    assert_int_equal(e->slot, slot);
    assert_int_equal(e->b.round, round);
    assert_int_equal(e->b.node, node);
    assert_int_equal(e->v.seq, seq);
    if (!data) {
        assert_true(pvalue_is_noop(&e->v));
        return;
    }
    assert_string_equal(e->v.client, client);
    assert_string_equal(e->v.data, data);
}

/* ---- building files by hand ---- */

static struct pvalue value(const char *client, uint64_t seq, const char *data)
{
    return (struct pvalue){ (char *)data, (char *)client, seq };
}

static void append_accept(struct wal *w, uint64_t slot, uint32_t round,
                          const char *client, uint64_t seq, const char *data)
{
    struct pvalue v = value(client, seq, data);

    assert_int_equal(wal_append_accept(w, slot, (struct ballot){ round, 1 },
                                       &v), 0);
}

static uint64_t file_size(const char *path)
{
    struct stat st;

    assert_int_equal(stat(path, &st), 0);
    return (uint64_t)st.st_size;
}

static void append_raw(const char *path, const void *bytes, size_t n)
{
    int fd = open(path, O_WRONLY | O_APPEND);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, bytes, n), (ssize_t)n);
    close(fd);
}

static void flip_byte(const char *path, uint64_t offset)
{
    int fd = open(path, O_RDWR);
    unsigned char c;

    assert_true(fd >= 0);
    assert_int_equal(pread(fd, &c, 1, (off_t)offset), 1);
    c ^= 0x40;
    assert_int_equal(pwrite(fd, &c, 1, (off_t)offset), 1);
    close(fd);
}

/* Bitwise CRC32C, independent of the table in wal.c. */
static uint32_t reference_crc32c(const unsigned char *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;

    while (n--) {
        c ^= *p++;
        for (int bit = 0; bit < 8; bit++)
            c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1)));
    }
    return ~c;
}

static void put_le32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* Three synced records; ends[i] is the file offset after record i. */
static void write_three_records(const char *dir, uint64_t ends[3])
{
    struct recorder rec = { 0 };
    struct wal *w = open_wal(dir, true, &rec);

    assert_int_equal(wal_append_promise(w, (struct ballot){ 1, 1 }), 0);
    assert_int_equal(wal_sync(w), 0);
    ends[0] = wal_size(w);
    append_accept(w, 1, 1, "c1", 1, "middle");
    assert_int_equal(wal_sync(w), 0);
    ends[1] = wal_size(w);
    append_accept(w, 2, 1, "c1", 2, "last");
    assert_int_equal(wal_sync(w), 0);
    ends[2] = wal_size(w);
    wal_close(w);
    recorder_clear(&rec);
}

/* ---- tests ---- */

static void test_missing_file_is_empty_log_in_new_private_dir(void **state)
{
    struct tmpdir *tmp = *state;
    struct recorder rec = { 0 };
    char dir[TMPDIR_PATH_MAX + 32], file[TMPDIR_PATH_MAX + 64];
    struct stat st;
    struct wal *w;

    snprintf(dir, sizeof(dir), "%s/a/b", tmp->dir);
    snprintf(file, sizeof(file), "%s/acceptor.wal", dir);
    w = open_wal(dir, true, &rec);
    assert_int_equal(rec.n, 0);
    assert_int_equal(wal_size(w), 0);
    assert_int_equal(stat(dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_int_equal(stat(file, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    wal_close(w);
}

static void test_records_survive_reopen_in_order(void **state)
{
    struct tmpdir *tmp = *state;
    struct recorder rec = { 0 };
    const char *odd = "say \"hi\"\nline2\n\tcaf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80";
    char *big = malloc(64 * 1024 + 1);
    struct pvalue noop = { NULL, NULL, 0 };
    struct wal *w;

    assert_non_null(big);
    for (size_t i = 0; i < 64 * 1024; i++)
        big[i] = (char)('a' + i % 26);
    big[64 * 1024] = '\0';

    w = open_wal(tmp->dir, true, &rec);
    assert_int_equal(wal_append_promise(w, (struct ballot){ 7, 3 }), 0);
    assert_int_equal(wal_append_accept(w, 1, (struct ballot){ 7, 3 }, &noop),
                     0);
    append_accept(w, 2, 7, "", 0, "");
    append_accept(w, 3, 7, "client1", UINT64_MAX, odd);
    append_accept(w, 4, 7, "p1", 42, big);
    append_accept(w, 1, 8, "9", 5, "later value for slot 1");
    assert_int_equal(wal_sync(w), 0);
    wal_close(w);

    w = open_wal(tmp->dir, true, &rec);
    assert_int_equal(rec.n, 6);
    assert_promise(&rec.ev[0], 7, 3);
    assert_accept(&rec.ev[1], 1, 7, 3, NULL, 0, NULL);
    assert_accept(&rec.ev[2], 2, 7, 1, "", 0, "");
    assert_accept(&rec.ev[3], 3, 7, 1, "client1", UINT64_MAX, odd);
    assert_accept(&rec.ev[4], 4, 7, 1, "p1", 42, big);
    assert_accept(&rec.ev[5], 1, 8, 1, "9", 5, "later value for slot 1");
    wal_close(w);
    recorder_clear(&rec);
    free(big);
}

static void test_promise_record_has_documented_layout(void **state)
{
    struct tmpdir *tmp = *state;
    struct recorder rec = { 0 };
    unsigned char want[HEADER_SIZE + 8] = {
        8, 0, 0, 0,  0, 0, 0, 0,  1,
        0x04, 0x03, 0x02, 0x01,  0x05, 0, 0, 0,
    };
    unsigned char got[sizeof(want) + 1];
    struct wal *w;
    int fd;

    assert_int_equal(reference_crc32c((const unsigned char *)"123456789", 9),
                     0xE3069283u);
    put_le32(want + 4, reference_crc32c(want + 8, 1 + 8));
    w = open_wal(tmp->dir, true, &rec);
    assert_int_equal(wal_append_promise(w, (struct ballot){ 0x01020304, 5 }),
                     0);
    assert_int_equal(wal_sync(w), 0);
    wal_close(w);

    fd = open(tmp->file, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(read(fd, got, sizeof(got)), sizeof(want));
    close(fd);
    assert_memory_equal(got, want, sizeof(want));
}

static void test_unsynced_appends_do_not_survive_reopen(void **state)
{
    struct tmpdir *tmp = *state;
    struct recorder rec = { 0 };
    struct wal *w = open_wal(tmp->dir, true, &rec);

    assert_int_equal(wal_append_promise(w, (struct ballot){ 1, 1 }), 0);
    assert_int_equal(wal_sync(w), 0);
    assert_int_equal(wal_append_promise(w, (struct ballot){ 2, 1 }), 0);
    append_accept(w, 1, 2, "c", 1, "never synced");
    assert_true(wal_pending(w) > 0);
    wal_close(w);

    w = open_wal(tmp->dir, true, &rec);
    assert_int_equal(rec.n, 1);
    assert_promise(&rec.ev[0], 1, 1);
    wal_close(w);
    recorder_clear(&rec);
}

/* Cuts 1..N bytes off the last record (N = its whole size), each in a
 * directory of its own. */
static void test_torn_last_record_is_dropped_and_file_cut(void **state)
{
    struct tmpdir *tmp = *state;
    struct recorder rec = { 0 };
    char dir[TMPDIR_PATH_MAX + 32], file[TMPDIR_PATH_MAX + 64];
    uint64_t ends[3];

    for (uint64_t cut = 1; cut <= LAST_RECORD_SIZE; cut++) {
        struct wal *w;

        snprintf(dir, sizeof(dir), "%s/cut%llu", tmp->dir,
                 (unsigned long long)cut);
        snprintf(file, sizeof(file), "%s/acceptor.wal", dir);
        write_three_records(dir, ends);
        assert_int_equal(ends[2] - ends[1], LAST_RECORD_SIZE);
        assert_int_equal(truncate(file, (off_t)(ends[2] - cut)), 0);

        w = open_wal(dir, true, &rec);
        assert_int_equal(rec.n, 2);
        assert_promise(&rec.ev[0], 1, 1);
        assert_accept(&rec.ev[1], 1, 1, 1, "c1", 1, "middle");
        assert_int_equal(wal_size(w), ends[1]);
        assert_int_equal(file_size(file), ends[1]);
        append_accept(w, 3, 2, "c2", 9, "after the cut");
        assert_int_equal(wal_sync(w), 0);
        wal_close(w);

        w = open_wal(dir, true, &rec);
        assert_int_equal(rec.n, 3);
        assert_accept(&rec.ev[1], 1, 1, 1, "c1", 1, "middle");
        assert_accept(&rec.ev[2], 3, 2, 1, "c2", 9, "after the cut");
        wal_close(w);
    }
    recorder_clear(&rec);
}

static void test_flipped_byte_in_middle_record_drops_it_and_all_after(
    void **state)
{
    struct tmpdir *tmp = *state;
    struct recorder rec = { 0 };
    uint64_t ends[3];
    struct wal *w;

    write_three_records(tmp->dir, ends);
    flip_byte(tmp->file, ends[0] + HEADER_SIZE + 20);

    w = open_wal(tmp->dir, true, &rec);
    assert_int_equal(rec.n, 1);
    assert_promise(&rec.ev[0], 1, 1);
    assert_int_equal(wal_size(w), ends[0]);
    assert_int_equal(file_size(tmp->file), ends[0]);
    wal_close(w);
    recorder_clear(&rec);
}

/* A complete, well-formed accept record with a correct CRC whose payload
 * is one byte over the 16 MiB limit: only the length check rejects it. */
static void test_absurd_length_is_corruption_even_with_valid_crc(void **state)
{
    struct tmpdir *tmp = *state;
    struct recorder rec = { 0 };
    size_t payload_len = (16u << 20) + 1;
    unsigned char *bad = calloc(1, HEADER_SIZE + payload_len);
    unsigned char *payload = bad + HEADER_SIZE;
    uint64_t ends[3];
    struct wal *w;

    assert_non_null(bad);
    write_three_records(tmp->dir, ends);
    put_le32(bad, (uint32_t)payload_len);
    bad[8] = 2;
    put_le32(payload + 27, (uint32_t)(payload_len - ACCEPT_FIXED));
    memset(payload + ACCEPT_FIXED, 'x', payload_len - ACCEPT_FIXED);
    put_le32(bad + 4, reference_crc32c(bad + 8, 1 + payload_len));
    append_raw(tmp->file, bad, HEADER_SIZE + payload_len);
    free(bad);

    w = open_wal(tmp->dir, true, &rec);
    assert_int_equal(rec.n, 3);
    assert_int_equal(file_size(tmp->file), ends[2]);
    wal_close(w);
    recorder_clear(&rec);
}

static void test_unknown_type_with_valid_crc_is_corruption(void **state)
{
    struct tmpdir *tmp = *state;
    struct recorder rec = { 0 };
    unsigned char bad[HEADER_SIZE + 8] = { 8, 0, 0, 0, 0, 0, 0, 0, 9 };
    uint64_t ends[3];
    struct wal *w;

    write_three_records(tmp->dir, ends);
    put_le32(bad + 4, reference_crc32c(bad + 8, 1 + 8));
    append_raw(tmp->file, bad, sizeof(bad));
    append_raw(tmp->file, bad, sizeof(bad));

    w = open_wal(tmp->dir, true, &rec);
    assert_int_equal(rec.n, 3);
    assert_int_equal(file_size(tmp->file), ends[2]);
    wal_close(w);
    recorder_clear(&rec);
}

static void test_sync_with_nothing_pending_does_not_count(void **state)
{
    struct tmpdir *tmp = *state;
    struct recorder rec = { 0 };
    struct wal *w = open_wal(tmp->dir, true, &rec);

    assert_int_equal(wal_sync(w), 0);
    assert_int_equal(wal_syncs(w), 0);
    assert_int_equal(wal_append_promise(w, (struct ballot){ 1, 1 }), 0);
    assert_int_equal(wal_sync(w), 0);
    assert_int_equal(wal_sync(w), 0);
    assert_int_equal(wal_syncs(w), 1);
    wal_close(w);
}

static void test_size_grows_by_what_was_synced(void **state)
{
    struct tmpdir *tmp = *state;
    struct recorder rec = { 0 };
    struct wal *w = open_wal(tmp->dir, true, &rec);
    size_t pending;

    assert_int_equal(wal_pending(w), 0);
    assert_int_equal(wal_append_promise(w, (struct ballot){ 1, 1 }), 0);
    assert_int_equal(wal_pending(w), HEADER_SIZE + 8);
    append_accept(w, 1, 1, "c", 1, "abc");
    pending = wal_pending(w);
    assert_int_equal(pending,
                     HEADER_SIZE + 8 + HEADER_SIZE + ACCEPT_FIXED + 1 + 3);
    assert_int_equal(wal_size(w), 0);
    assert_int_equal(wal_sync(w), 0);
    assert_int_equal(wal_pending(w), 0);
    assert_int_equal(wal_size(w), pending);
    assert_int_equal(file_size(tmp->file), pending);
    wal_close(w);

    w = open_wal(tmp->dir, true, &rec);
    assert_int_equal(wal_size(w), pending);
    wal_close(w);
    recorder_clear(&rec);
}

static void test_fsync_false_still_writes(void **state)
{
    struct tmpdir *tmp = *state;
    struct recorder rec = { 0 };
    struct wal *w = open_wal(tmp->dir, false, &rec);

    append_accept(w, 5, 3, "dev", 1, "not fsynced");
    assert_int_equal(wal_sync(w), 0);
    assert_int_equal(wal_syncs(w), 1);
    assert_true(file_size(tmp->file) > 0);
    wal_close(w);

    w = open_wal(tmp->dir, false, &rec);
    assert_int_equal(rec.n, 1);
    assert_accept(&rec.ev[0], 5, 3, 1, "dev", 1, "not fsynced");
    wal_close(w);
    recorder_clear(&rec);
}

static void test_group_commit_1000_appends_one_sync(void **state)
{
    struct tmpdir *tmp = *state;
    struct recorder rec = { 0 };
    struct wal *w = open_wal(tmp->dir, true, &rec);
    char data[32];

    for (uint64_t slot = 0; slot < 1000; slot++) {
        snprintf(data, sizeof(data), "v%llu", (unsigned long long)slot);
        append_accept(w, slot, 1, "c", slot, data);
    }
    assert_int_equal(wal_syncs(w), 0);
    assert_int_equal(wal_sync(w), 0);
    assert_int_equal(wal_syncs(w), 1);
    wal_close(w);

    w = open_wal(tmp->dir, true, &rec);
    assert_int_equal(rec.n, 1000);
    assert_accept(&rec.ev[999], 999, 1, 1, "c", 999, "v999");
    wal_close(w);
    recorder_clear(&rec);
}

static void test_value_too_large_is_refused(void **state)
{
    struct tmpdir *tmp = *state;
    struct recorder rec = { 0 };
    struct wal *w = open_wal(tmp->dir, true, &rec);
    size_t n = 16u << 20;
    char *huge = malloc(n + 1);
    struct pvalue v;

    assert_non_null(huge);
    memset(huge, 'x', n);
    huge[n] = '\0';
    v = value("c", 1, huge);
    assert_int_equal(wal_append_accept(w, 1, (struct ballot){ 1, 1 }, &v), -1);
    assert_int_equal(wal_pending(w), 0);
    wal_close(w);
    free(huge);
}

static void test_second_open_of_same_dir_fails(void **state)
{
    struct tmpdir *tmp = *state;
    struct recorder rec = { 0 };
    struct wal *w = open_wal(tmp->dir, true, &rec);
    struct wal_replay r = { on_promise, on_accept, &rec, NULL, NULL };

    assert_null(wal_open(tmp->dir, "acceptor.wal", true, &r));
    wal_close(w);
}

/* ---- wal_end, offsets and wal_read ---- */

static void assert_same_events(const struct recorder *a,
                               const struct recorder *b)
{
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        const struct event *x = &a->ev[i], *y = &b->ev[i];

        assert_int_equal(x->promise, y->promise);
        assert_int_equal(x->offset, y->offset);
        assert_int_equal(x->slot, y->slot);
        assert_int_equal(ballot_cmp(x->b, y->b), 0);
        assert_true(pvalue_equal(&x->v, &y->v));
        assert_int_equal(x->v.seq, y->v.seq);
    }
}

static bool fewer_than_three(void *ud)
{
    const struct recorder *rec = ud;

    return rec->n < 3;
}

/* wal_end() before an append is the offset replay reports for it. */
static void test_replay_gives_each_accept_its_offset(void **state)
{
    struct tmpdir *tmp = *state;
    struct recorder rec = { 0 };
    struct wal *w = open_wal(tmp->dir, true, &rec);
    uint64_t at[3];

    assert_int_equal(wal_end(w), 0);
    assert_int_equal(wal_append_promise(w, (struct ballot){ 1, 1 }), 0);
    at[0] = wal_end(w);
    assert_int_equal(at[0], HEADER_SIZE + 8);
    append_accept(w, 1, 1, "c", 1, "one");
    at[1] = wal_end(w);
    assert_int_equal(wal_sync(w), 0);
    assert_int_equal(wal_end(w), at[1]);
    append_accept(w, 2, 1, "c", 2, "two");
    at[2] = wal_end(w);
    assert_int_equal(wal_size(w) + wal_pending(w), at[2]);
    append_accept(w, 3, 1, "c", 3, "three");
    assert_int_equal(wal_sync(w), 0);
    wal_close(w);

    w = open_wal(tmp->dir, true, &rec);
    assert_int_equal(rec.n, 4);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(rec.ev[i + 1].offset, at[i]);
    assert_int_equal(wal_end(w), file_size(tmp->file));
    wal_close(w);
    recorder_clear(&rec);
}

static void test_null_promise_callback_skips_promises(void **state)
{
    struct tmpdir *tmp = *state;
    struct recorder rec = { 0 };
    struct wal_replay r = { NULL, on_accept, &rec, NULL, NULL };
    uint64_t ends[3];
    struct wal *w;

    write_three_records(tmp->dir, ends);
    w = wal_open(tmp->dir, "acceptor.wal", true, &r);
    assert_non_null(w);
    assert_int_equal(rec.n, 2);
    assert_accept(&rec.ev[0], 1, 1, 1, "c1", 1, "middle");
    assert_int_equal(rec.ev[0].offset, ends[0]);
    assert_int_equal(wal_size(w), ends[2]);
    recorder_clear(&rec);
    assert_int_equal(wal_read(w, 0, &r, NULL), 0);
    assert_int_equal(rec.n, 2);
    assert_accept(&rec.ev[1], 2, 1, 1, "c1", 2, "last");
    wal_close(w);
    recorder_clear(&rec);
}

static void test_read_from_start_matches_replay(void **state)
{
    struct tmpdir *tmp = *state;
    struct recorder replayed = { 0 }, read = { 0 };
    uint64_t ends[3];
    struct wal *w;

    write_three_records(tmp->dir, ends);
    w = open_wal(tmp->dir, true, &replayed);
    assert_int_equal(replayed.n, 3);
    assert_int_equal(read_wal(w, 0, &read, NULL), 0);
    assert_same_events(&replayed, &read);
    assert_int_equal(read.ev[1].offset, ends[0]);
    assert_int_equal(read.ev[2].offset, ends[1]);
    assert_int_equal(file_size(tmp->file), ends[2]);
    wal_close(w);
    recorder_clear(&read);
    recorder_clear(&replayed);
}

static void test_read_from_mid_file_offset_taken_from_replay(void **state)
{
    struct tmpdir *tmp = *state;
    struct recorder rec = { 0 };
    uint64_t ends[3];
    uint64_t mid;
    struct wal *w;

    write_three_records(tmp->dir, ends);
    w = open_wal(tmp->dir, true, &rec);
    mid = rec.ev[2].offset;
    assert_int_equal(mid, ends[1]);

    assert_int_equal(read_wal(w, mid, &rec, NULL), 0);
    assert_int_equal(rec.n, 1);
    assert_accept(&rec.ev[0], 2, 1, 1, "c1", 2, "last");
    assert_int_equal(rec.ev[0].offset, mid);

    assert_int_equal(read_wal(w, wal_end(w), &rec, NULL), 0);
    assert_int_equal(rec.n, 0);
    wal_close(w);
    recorder_clear(&rec);
}

/* Reading writes the buffer but does not count as a sync: the records
 * are still pending, and wal_sync() still syncs them. */
static void test_read_sees_appended_unsynced_records_and_sync_still_syncs(
    void **state)
{
    struct tmpdir *tmp = *state;
    struct recorder rec = { 0 };
    struct wal *w = open_wal(tmp->dir, true, &rec);
    uint64_t second;
    size_t pending;

    append_accept(w, 1, 1, "c", 1, "synced");
    assert_int_equal(wal_sync(w), 0);
    append_accept(w, 2, 1, "c", 2, "buffered");
    second = wal_end(w);
    append_accept(w, 3, 1, "c", 3, "buffered too");
    pending = wal_pending(w);

    assert_int_equal(read_wal(w, 0, &rec, NULL), 0);
    assert_int_equal(rec.n, 3);
    assert_accept(&rec.ev[2], 3, 1, 1, "c", 3, "buffered too");
    assert_int_equal(read_wal(w, second, &rec, NULL), 0);
    assert_int_equal(rec.n, 1);
    assert_accept(&rec.ev[0], 3, 1, 1, "c", 3, "buffered too");

    assert_int_equal(wal_pending(w), pending);
    assert_int_equal(wal_size(w), wal_end(w));
    assert_int_equal(wal_syncs(w), 1);
    assert_int_equal(wal_sync(w), 0);
    assert_int_equal(wal_syncs(w), 2);
    assert_int_equal(wal_pending(w), 0);
    wal_close(w);
    recorder_clear(&rec);
}

static void test_read_stops_when_more_says_so(void **state)
{
    struct tmpdir *tmp = *state;
    struct recorder rec = { 0 };
    struct wal *w = open_wal(tmp->dir, true, &rec);

    for (uint64_t slot = 1; slot <= 10; slot++)
        append_accept(w, slot, 1, "c", slot, "v");
    assert_int_equal(read_wal(w, 0, &rec, fewer_than_three), 0);
    assert_int_equal(rec.n, 3);
    assert_accept(&rec.ev[2], 3, 1, 1, "c", 3, "v");
    assert_int_equal(read_wal(w, rec.ev[2].offset, &rec, fewer_than_three),
                     0);
    assert_int_equal(rec.n, 3);
    assert_accept(&rec.ev[0], 3, 1, 1, "c", 3, "v");
    assert_accept(&rec.ev[2], 5, 1, 1, "c", 5, "v");
    wal_close(w);
    recorder_clear(&rec);
}

/* Records of 100 KiB and 200 KiB, beyond the 64 KiB read buffer, between
 * small ones, read from the start and from each big one. */
static void test_read_record_larger_than_read_buffer(void **state)
{
    struct tmpdir *tmp = *state;
    struct recorder replayed = { 0 }, read = { 0 };
    size_t sizes[2] = { 100 * 1024, 200 * 1024 };
    char *big[2];
    struct wal *w = open_wal(tmp->dir, true, &replayed);

    for (size_t i = 0; i < 2; i++) {
        big[i] = malloc(sizes[i] + 1);
        assert_non_null(big[i]);
        memset(big[i], 'a' + (int)i, sizes[i]);
        big[i][sizes[i]] = '\0';
    }
    append_accept(w, 1, 1, "c", 1, "small");
    append_accept(w, 2, 1, "c", 2, big[0]);
    append_accept(w, 3, 1, "c", 3, "small");
    append_accept(w, 4, 1, "c", 4, big[1]);
    append_accept(w, 5, 1, "c", 5, "small");
    assert_int_equal(wal_sync(w), 0);
    wal_close(w);

    w = open_wal(tmp->dir, true, &replayed);
    assert_int_equal(replayed.n, 5);
    assert_int_equal(read_wal(w, 0, &read, NULL), 0);
    assert_same_events(&replayed, &read);
    assert_accept(&read.ev[1], 2, 1, 1, "c", 2, big[0]);
    assert_accept(&read.ev[3], 4, 1, 1, "c", 4, big[1]);
    assert_int_equal(read_wal(w, replayed.ev[3].offset, &read, NULL), 0);
    assert_int_equal(read.n, 2);
    assert_accept(&read.ev[0], 4, 1, 1, "c", 4, big[1]);
    assert_accept(&read.ev[1], 5, 1, 1, "c", 5, "small");
    wal_close(w);
    recorder_clear(&read);
    recorder_clear(&replayed);
    free(big[1]);
    free(big[0]);
}

/* Unlike at open, a bad record met by wal_read() fails the read and the
 * file is left as it is. */
static void test_read_corruption_or_bad_offset_is_an_error(void **state)
{
    struct tmpdir *tmp = *state;
    struct recorder rec = { 0 };
    uint64_t ends[3];
    struct wal *w;

    write_three_records(tmp->dir, ends);
    w = open_wal(tmp->dir, true, &rec);
    assert_int_equal(read_wal(w, ends[2] + 1, &rec, NULL), -1);
    assert_int_equal(read_wal(w, ends[0] + 1, &rec, NULL), -1);
    flip_byte(tmp->file, ends[1] + HEADER_SIZE + 20);
    assert_int_equal(read_wal(w, 0, &rec, NULL), -1);
    assert_int_equal(rec.n, 2);
    assert_int_equal(read_wal(w, ends[1], &rec, NULL), -1);
    assert_int_equal(rec.n, 0);
    assert_int_equal(file_size(tmp->file), ends[2]);
    wal_close(w);
    recorder_clear(&rec);
}

/* A trim replays in its place among the others. */
static void test_trim_record_replays_in_order(void **state)
{
    struct tmpdir *tmp = *state;
    struct recorder rec = { 0 };
    struct wal *w = open_wal(tmp->dir, true, &rec);

    append_accept(w, 1, 1, "9", 1, "a");
    assert_int_equal(wal_append_trim(w, 1), 0);
    append_accept(w, 2, 1, "9", 2, "b");
    assert_int_equal(wal_sync(w), 0);
    wal_close(w);
    w = open_wal(tmp->dir, true, &rec);
    assert_int_equal(rec.n, 3);
    assert_accept(&rec.ev[0], 1, 1, 1, "9", 1, "a");
    assert_true(rec.ev[1].trim);
    assert_int_equal(rec.ev[1].slot, 1);
    assert_accept(&rec.ev[2], 2, 1, 1, "9", 2, "b");
    wal_close(w);
    recorder_clear(&rec);
}

struct rewrite_plan {
    uint64_t first, last;       /* accepts to write again */
    bool fail;
};

static int write_plan(void *ud, struct wal *fresh)
{
    const struct rewrite_plan *plan = ud;

    if (plan->fail)
        return -1;
    assert_int_equal(wal_append_trim(fresh, plan->first - 1), 0);
    for (uint64_t s = plan->first; s <= plan->last; s++)
        append_accept(fresh, s, 2, "9", s, "kept");
    return wal_append_promise(fresh, (struct ballot){ 3, 1 });
}

/* A rewrite leaves only what it wrote, in a shorter file that later
 * appends go to; one that fails leaves the file as it was. */
static void test_rewrite_replaces_the_file(void **state)
{
    struct tmpdir *tmp = *state;
    struct recorder rec = { 0 };
    struct wal *w = open_wal(tmp->dir, true, &rec);
    struct rewrite_plan plan = { 91, 100, true };
    char leftover[sizeof(tmp->file) + sizeof(".new")];
    uint64_t before;

    for (uint64_t s = 1; s <= 100; s++)
        append_accept(w, s, 2, "9", s, "a value that takes some room");
    assert_int_equal(wal_sync(w), 0);
    append_accept(w, 101, 2, "9", 101, "unsynced, synced by the rewrite");
    assert_int_equal(wal_rewrite(w, write_plan, &plan), -1);
    before = file_size(tmp->file);
    snprintf(leftover, sizeof leftover, "%s.new", tmp->file);
    assert_int_equal(access(leftover, F_OK), -1);
    plan.fail = false;
    assert_int_equal(wal_rewrite(w, write_plan, &plan), 0);
    assert_true(file_size(tmp->file) < before / 4);
    assert_int_equal(wal_size(w), file_size(tmp->file));
    assert_int_equal(access(leftover, F_OK), -1);
    append_accept(w, 102, 3, "9", 102, "after");
    assert_int_equal(wal_sync(w), 0);
    wal_close(w);

    w = open_wal(tmp->dir, true, &rec);
    assert_int_equal(rec.n, 1 + 10 + 1 + 1);
    assert_true(rec.ev[0].trim);
    assert_int_equal(rec.ev[0].slot, 90);
    for (size_t i = 0; i < 10; i++)
        assert_accept(&rec.ev[1 + i], 91 + i, 2, 1, "9", 91 + i, "kept");
    assert_promise(&rec.ev[11], 3, 1);
    assert_accept(&rec.ev[12], 102, 3, 1, "9", 102, "after");
    wal_close(w);
    recorder_clear(&rec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, tmpdir_teardown)
        T(test_missing_file_is_empty_log_in_new_private_dir),
        T(test_records_survive_reopen_in_order),
        T(test_promise_record_has_documented_layout),
        T(test_unsynced_appends_do_not_survive_reopen),
        T(test_torn_last_record_is_dropped_and_file_cut),
        T(test_flipped_byte_in_middle_record_drops_it_and_all_after),
        T(test_absurd_length_is_corruption_even_with_valid_crc),
        T(test_unknown_type_with_valid_crc_is_corruption),
        T(test_sync_with_nothing_pending_does_not_count),
        T(test_size_grows_by_what_was_synced),
        T(test_fsync_false_still_writes),
        T(test_group_commit_1000_appends_one_sync),
        T(test_value_too_large_is_refused),
        T(test_second_open_of_same_dir_fails),
        T(test_replay_gives_each_accept_its_offset),
        T(test_null_promise_callback_skips_promises),
        T(test_read_from_start_matches_replay),
        T(test_read_from_mid_file_offset_taken_from_replay),
        T(test_read_sees_appended_unsynced_records_and_sync_still_syncs),
        T(test_read_stops_when_more_says_so),
        T(test_read_record_larger_than_read_buffer),
        T(test_read_corruption_or_bad_offset_is_an_error),
        T(test_trim_record_replays_in_order),
        T(test_rewrite_replaces_the_file),
#undef T
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
