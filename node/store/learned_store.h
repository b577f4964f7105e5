/* learned_store.h -- the learner's applied log, on disk.
 *
 * DIR/learned.log holds one accept record (see wal.h) per applied write:
 * slot, the ballot it was chosen at, and the value, in increasing slot
 * order (slots need not be contiguous: no-ops and duplicates are not
 * applied, so they are never stored), and trim records that mark the
 * applied index when no-ops or duplicates followed the last entry, so
 * that a restart resumes from there and not from the last entry. Appends
 * are buffered and made durable together by learned_store_sync(), once
 * per loop turn.
 *
 * Memory does not grow per entry: a sparse index keeps the slot and file
 * offset of every 64th entry, 16 bytes per 64 entries, so a read seeks to
 * the nearest indexed entry and scans at most 63 entries before the first
 * one it wants. Reads see entries appended and not yet synced. */
#ifndef PAXOS_LEARNED_STORE_H
#define PAXOS_LEARNED_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/learner.h"

struct learned_store;

/* Called with each entry read; e and its strings are valid only during the
 * call, so it copies what it keeps. */
typedef void (*learned_fn)(void *ud, const struct learned *e);

/* Opens DIR/learned.log (creating it as needed) and replays it: on_entry
 * (may be NULL) is called for every entry in order, so the learner can
 * rebuild its applied index and recent identities. A torn tail is cut off
 * (see wal.h). Returns NULL with a log line on failure, also when the file
 * holds a no-op or slots out of order; errno is EWOULDBLOCK when another
 * process holds the file. */
struct learned_store *learned_store_open(const char *dir, bool fsync,
                                         learned_fn on_entry, void *ud);
/* Does not sync: entries appended since the last sync are dropped. */
void learned_store_close(struct learned_store *s);

/* Appends e, copying its value into the file buffer. Returns 0, or -1
 * (logged) when e->slot is not above the last slot (slots start at 1),
 * when the value is a no-op, or when out of memory. */
int learned_store_append(struct learned_store *s, const struct learned *e);
/* Every slot up to applied is applied: the ones after the last entry were
 * no-ops or duplicates. Appends a mark, durable with the next sync, when
 * applied is above the last entry and the last mark. Returns 0, or -1
 * (logged). */
int learned_store_mark_applied(struct learned_store *s, uint64_t applied);
/* The applied index the file records: the last mark or the last entry's
 * slot, whichever is higher (0 when empty). */
uint64_t learned_store_applied(const struct learned_store *s);
/* Writes and syncs every entry appended (group commit). Returns 0, or -1
 * (logged). */
int learned_store_sync(struct learned_store *s);
/* Bytes appended and not yet synced. */
size_t learned_store_pending(const struct learned_store *s);

uint64_t learned_store_count(const struct learned_store *s);
/* The slot of the last entry, 0 when empty. */
uint64_t learned_store_last_slot(const struct learned_store *s);

/* Passes the entries with slot >= from, in order, to fn: at most limit of
 * them, and no more once max_bytes of values were passed (one at least).
 * Returns how many were passed, or -1 (logged). */
long learned_store_read(struct learned_store *s, uint64_t from, size_t limit,
                        size_t max_bytes, learned_fn fn, void *ud);
/* Passes the last n entries (all of them when fewer), in order, to fn.
 * Returns how many were passed, or -1 (logged). */
long learned_store_read_last(struct learned_store *s, size_t n,
                             learned_fn fn, void *ud);

#endif
