/* fuzz_wal.c -- libFuzzer harness for the write-ahead file reader
 * (wal_open's replay in common/wal.c).
 *
 * Input: the first byte is a mode, the rest becomes DIR/acceptor.wal in a
 * temporary directory made once (under $TMPDIR). With mode bit 0 set, the
 * CRC of every record whose length fits is recomputed first, so the
 * fuzzer also reaches the payload parsing behind the CRC check. Checks:
 *  - what replay hands over is sane: a no-op has no writer, a value has
 *    one, and its data and writer are NUL-terminated strings (the slot is
 *    any number here: the WAL keeps what it is given, slot 0 included, as
 *    test_wal.c relies on; acceptor_restore skips slot 0 on replay); a
 *    note's text (an acceptor's identity or configuration) is
 *    NUL-terminated after the length it is given with;
 *  - the cut is exact and idempotent: after the first open the file is as
 *    long as wal_size() says, and a second open replays the same records
 *    and cuts nothing more;
 *  - writer and reader agree: appending the replayed records (promises,
 *    accepts, trims and notes) again, syncing and reopening replays them
 *    twice, in order. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "array.h"
#include "log.h"
#include "store/wal.h"
#include "tmpdir.h"

#define HEADER_SIZE 9u          /* u32 length, u32 CRC, u8 type */

enum event_kind { EVENT_PROMISE, EVENT_ACCEPT, EVENT_TRIM, EVENT_NOTE };

struct event {
    enum event_kind kind;
    uint64_t slot;              /* ACCEPT; TRIM: upto; NOTE: its number */
    struct ballot b;
    struct pvalue v;
    uint8_t note_kind;
    char *text;                 /* NOTE */
};

struct recorder {
    struct event *ev;
    size_t n, cap;
};

static struct tmpdir tmp;     /* made once, removed at exit */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_wal: %s\n", what);
    abort();
}

static void remove_tmp(void)
{
    tmpdir_remove(&tmp);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    if (tmpdir_make(&tmp, "fuzz_wal", "acceptor.wal") < 0)
        fail("cannot make the temporary directory");
    atexit(remove_tmp);
    log_init("fuzz_wal", LOG_ERROR);    /* every cut tail logs a warning */
    return 0;
}

/* ---- CRC32C, as wal.c computes it, for the CRC-fixing mode ---- */

static uint32_t crc32c(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;

    while (n--) {
        c ^= *p++;
        for (int bit = 0; bit < 8; bit++)
            c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    }
    return c ^ 0xFFFFFFFFu;
}

static void fix_crcs(uint8_t *p, size_t n)
{
    size_t off = 0;

    while (n - off >= HEADER_SIZE) {
        uint32_t len = (uint32_t)p[off] | (uint32_t)p[off + 1] << 8 |
                       (uint32_t)p[off + 2] << 16 | (uint32_t)p[off + 3] << 24;
        if (len > n - off - HEADER_SIZE)
            return;
        uint32_t crc = crc32c(p + off + 8, 1 + (size_t)len);
        for (int i = 0; i < 4; i++)
            p[off + 4 + i] = (uint8_t)(crc >> (8 * i));
        off += HEADER_SIZE + len;
    }
}

/* ---- recording what replay hands over ---- */

static struct event *record(struct recorder *rec)
{
    if (array_reserve(&rec->ev, &rec->cap, rec->n + 1) < 0)
        fail("out of memory");
    memset(&rec->ev[rec->n], 0, sizeof rec->ev[rec->n]);
    return &rec->ev[rec->n++];
}

static void on_promise(void *ud, struct ballot b)
{
    struct event *e = record(ud);

    e->kind = EVENT_PROMISE;
    e->b = b;
}

static void on_accept(void *ud, uint64_t offset, uint64_t slot, struct ballot b,
                      const struct pvalue *v)
{
    struct event *e = record(ud);

    if (!v->data && v->client)
        fail("replayed a no-op with a writer");
    if (v->data && !v->client)
        fail("replayed a value without a writer");
    e->kind = EVENT_ACCEPT;
    e->slot = slot;
    e->b = b;
    /* strdup reads up to the NUL: ASan checks both are terminated. */
    if (pvalue_copy(&e->v, v) != 0)
        fail("out of memory");
}

static void on_trim(void *ud, uint64_t upto)
{
    struct event *e = record(ud);

    e->kind = EVENT_TRIM;
    e->slot = upto;
}

static void on_note(void *ud, uint8_t kind, uint64_t number, const char *text,
                    size_t len)
{
    struct event *e = record(ud);

    if (text[len] != '\0')
        fail("a note's text is not NUL-terminated after its length");
    e->kind = EVENT_NOTE;
    e->note_kind = kind;
    e->slot = number;
    if (!(e->text = strdup(text)))
        fail("out of memory");
}

static void recorder_free(struct recorder *rec)
{
    for (size_t i = 0; i < rec->n; i++) {
        pvalue_free(&rec->ev[i].v);
        free(rec->ev[i].text);
    }
    free(rec->ev);
    *rec = (struct recorder){ 0 };
}

static bool event_equal(const struct event *a, const struct event *b)
{
    return a->kind == b->kind && a->slot == b->slot &&
           ballot_cmp(a->b, b->b) == 0 && pvalue_equal(&a->v, &b->v) &&
           a->v.seq == b->v.seq && a->note_kind == b->note_kind &&
           (a->text && b->text ? strcmp(a->text, b->text) == 0
                               : a->text == b->text);
}

/* Opens the file, replaying into rec; checks the file ends where wal_size says. */
static struct wal *open_checked(struct recorder *rec)
{
    struct wal_replay r = { on_promise, on_accept, rec, on_trim, on_note };
    struct wal *w = wal_open(tmp.dir, "acceptor.wal", false, &r);
    struct stat st;

    if (!w)
        fail("wal_open failed");
    if (stat(tmp.file, &st) != 0 || (uint64_t)st.st_size != wal_size(w))
        fail("the file size is not what wal_size says after the cut");
    return w;
}

static void write_file(const uint8_t *data, size_t size)
{
    int fd = open(tmp.file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

    if (fd < 0)
        fail("cannot create the file");
    while (size > 0) {
        ssize_t n = write(fd, data, size);
        if (n <= 0)
            fail("cannot write the file");
        data += n;
        size -= (size_t)n;
    }
    close(fd);
}

static int append_event(struct wal *w, const struct event *e)
{
    switch (e->kind) {
    case EVENT_PROMISE:
        return wal_append_promise(w, e->b);
    case EVENT_ACCEPT:
        return wal_append_accept(w, e->slot, e->b, &e->v);
    case EVENT_TRIM:
        return wal_append_trim(w, e->slot);
    case EVENT_NOTE:
        return wal_append_note(w, e->note_kind, e->slot, e->text);
    }
    return -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct recorder first = { 0 }, second = { 0 }, third = { 0 };
    uint8_t *copy;
    struct wal *w;
    uint64_t cut;

    if (size < 1)
        return 0;
    if (!(copy = malloc(size)))
        fail("out of memory");
    memcpy(copy, data + 1, size - 1);
    if (data[0] & 1)
        fix_crcs(copy, size - 1);
    write_file(copy, size - 1);
    free(copy);

    w = open_checked(&first);
    cut = wal_size(w);
    wal_close(w);

    w = open_checked(&second);
    if (wal_size(w) != cut || second.n != first.n)
        fail("a second open replayed or cut differently");
    for (size_t i = 0; i < first.n; i++)
        if (!event_equal(&first.ev[i], &second.ev[i]))
            fail("a second open replayed a different record");

    for (size_t i = 0; i < first.n; i++)
        if (append_event(w, &first.ev[i]) != 0)
            fail("appending a replayed record failed");
    if (wal_sync(w) != 0)
        fail("wal_sync failed");
    wal_close(w);

    w = open_checked(&third);
    if (third.n != 2 * first.n)
        fail("the appended records did not replay");
    for (size_t i = 0; i < third.n; i++)
        if (!event_equal(&first.ev[i % first.n], &third.ev[i]))
            fail("an appended record replayed differently");
    wal_close(w);

    recorder_free(&third);
    recorder_free(&second);
    recorder_free(&first);
    return 0;
}
