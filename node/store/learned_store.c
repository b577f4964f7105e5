/* learned_store.c -- the learner's applied log, on disk (see
 * learned_store.h).
 *
 * The file is a wal (store/wal.c) of accept records, and trim records
 * that mark the applied index (readers pass over them). index[i] holds
 * the slot and file offset of entry i * INDEX_EVERY. Slots increase with
 * the entries, so a binary search of the index finds where a read by slot
 * starts, and entry number k is found from index[k / INDEX_EVERY]. */
#include "store/learned_store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "log.h"
#include "store/wal.h"

#define FILE_NAME    "learned.log"
#define INDEX_EVERY  64u

struct index_entry {
    uint64_t slot;
    uint64_t offset;
};

struct learned_store {
    struct wal *wal;
    struct index_entry *index;
    size_t n_index, cap_index;
    uint64_t count;
    uint64_t last_slot;
    uint64_t marked;            /* the highest applied index marked */
};

/* A read in progress: passes over the entries below from, then skip more,
 * and hands on at most limit. */
struct reading {
    uint64_t from;
    size_t skip;
    size_t limit;
    size_t max_bytes;           /* of values passed: the last may go over */
    size_t passed, bytes;
    learned_fn fn;
    void *ud;
};

/* The replay at open. */
struct replaying {
    struct learned_store *s;
    learned_fn on_entry;
    void *ud;
    bool failed;
};

/* ---- the index ---- */

/* Returns 0 when an entry for slot holding v may follow the stored ones,
 * having made room in the index for it, or -1 (logged). */
static int admit(struct learned_store *s, uint64_t slot,
                 const struct pvalue *v)
{
    if (pvalue_is_noop(v)) {
        log_error("learned store: slot %llu: a no-op is never stored",
                  (unsigned long long)slot);
        return -1;
    }
    if (slot <= s->last_slot) {
        log_error("learned store: slot %llu is not above the last (%llu)",
                  (unsigned long long)slot,
                  (unsigned long long)s->last_slot);
        return -1;
    }
    if (s->count % INDEX_EVERY == 0 &&
        array_reserve(&s->index, &s->cap_index, s->n_index + 1) < 0) {
        log_error("learned store: out of memory indexing slot %llu",
                  (unsigned long long)slot);
        return -1;
    }
    return 0;
}

/* Counts the entry admit() accepted, stored at offset. */
static void add_entry(struct learned_store *s, uint64_t offset,
                      uint64_t slot)
{
    if (s->count % INDEX_EVERY == 0)
        s->index[s->n_index++] = (struct index_entry){ slot, offset };
    s->count++;
    s->last_slot = slot;
}

/* ---- opening and appending ---- */

static void replay_accept(void *ud, uint64_t offset, uint64_t slot,
                          struct ballot b, const struct pvalue *v)
{
    struct replaying *rp = ud;
    struct learned e = { slot, b, *v };

    if (rp->failed || admit(rp->s, slot, v) < 0) {
        rp->failed = true;
        return;
    }
    add_entry(rp->s, offset, slot);
    if (rp->on_entry)
        rp->on_entry(rp->ud, &e);
}

static void replay_mark(void *ud, uint64_t applied)
{
    struct replaying *rp = ud;

    if (applied > rp->s->marked)
        rp->s->marked = applied;
}

struct learned_store *learned_store_open(const char *dir, bool fsync,
                                         learned_fn on_entry, void *ud)
{
    struct learned_store *s = calloc(1, sizeof(*s));
    struct replaying rp = { s, on_entry, ud, false };
    struct wal_replay r = { NULL, replay_accept, &rp, replay_mark, NULL };

    if (!s) {
        log_error("learned store: out of memory");
        return NULL;
    }
    s->wal = wal_open(dir, FILE_NAME, fsync, &r);
    if (rp.failed)
        log_error("learned store: %s/%s holds entries it would refuse",
                  dir, FILE_NAME);
    if (!s->wal || rp.failed) {
        int err = rp.failed ? EINVAL : errno;
        learned_store_close(s);
        errno = err;
        return NULL;
    }
    return s;
}

void learned_store_close(struct learned_store *s)
{
    if (!s)
        return;
    wal_close(s->wal);
    free(s->index);
    free(s);
}

int learned_store_append(struct learned_store *s, const struct learned *e)
{
    uint64_t offset = wal_end(s->wal);

    if (admit(s, e->slot, &e->value) < 0 ||
        wal_append_accept(s->wal, e->slot, e->ballot, &e->value) < 0)
        return -1;
    add_entry(s, offset, e->slot);
    return 0;
}

int learned_store_mark_applied(struct learned_store *s, uint64_t applied)
{
    if (applied <= learned_store_applied(s))
        return 0;
    if (wal_append_trim(s->wal, applied) < 0)
        return -1;
    s->marked = applied;
    return 0;
}

uint64_t learned_store_applied(const struct learned_store *s)
{
    return s->marked > s->last_slot ? s->marked : s->last_slot;
}

int learned_store_sync(struct learned_store *s)
{
    return wal_sync(s->wal);
}

size_t learned_store_pending(const struct learned_store *s)
{
    return wal_pending(s->wal);
}

uint64_t learned_store_count(const struct learned_store *s)
{
    return s->count;
}

uint64_t learned_store_last_slot(const struct learned_store *s)
{
    return s->last_slot;
}

/* ---- reading ---- */

static bool read_more(void *ud)
{
    const struct reading *rd = ud;

    return rd->passed < rd->limit && rd->bytes < rd->max_bytes;
}

static void read_accept(void *ud, uint64_t offset, uint64_t slot,
                        struct ballot b, const struct pvalue *v)
{
    struct reading *rd = ud;
    struct learned e = { slot, b, *v };

    if (slot < rd->from)
        return;
    if (rd->skip) {
        rd->skip--;
        return;
    }
    rd->fn(rd->ud, &e);
    rd->passed++;
    rd->bytes += v->data ? strlen(v->data) : 0;
}

/* Runs rd from the entry index[i] points at. */
static long read_from(struct learned_store *s, size_t i, struct reading *rd)
{
    struct wal_replay r = { NULL, read_accept, rd, NULL, NULL };

    if (wal_read(s->wal, s->index[i].offset, &r, read_more) < 0)
        return -1;
    return (long)rd->passed;
}

long learned_store_read(struct learned_store *s, uint64_t from, size_t limit,
                        size_t max_bytes, learned_fn fn, void *ud)
{
    struct reading rd = { from, 0, limit, max_bytes, 0, 0, fn, ud };
    size_t lo = 0, hi;

    if (s->count == 0 || from > s->last_slot)
        return 0;
    /* The last indexed entry at or before from, else the first. */
    hi = s->n_index;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;

        if (s->index[mid].slot <= from)
            lo = mid;
        else
            hi = mid;
    }
    return read_from(s, lo, &rd);
}

long learned_store_read_last(struct learned_store *s, size_t n,
                             learned_fn fn, void *ud)
{
    uint64_t first = s->count > n ? s->count - n : 0;
    struct reading rd = { 0, first % INDEX_EVERY, n, SIZE_MAX, 0, 0, fn, ud };

    if (n == 0 || s->count == 0)
        return 0;
    return read_from(s, first / INDEX_EVERY, &rd);
}
