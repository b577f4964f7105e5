/* wal.h -- the acceptor's write-ahead file.
 *
 * An append-only file of records, each a promise (ballot) or an accept
 * (slot, ballot, value). Appends are buffered in memory; wal_sync() writes
 * the buffer and fdatasync()s it once for all of them (group commit).
 * Every record carries a CRC32C, so a torn or corrupt tail is detected at
 * open, logged and cut off; everything before it is replayed. */
#ifndef PAXOS_WAL_H
#define PAXOS_WAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ballot.h"

struct wal;

struct wal_replay {
    void (*promise)(void *ud, struct ballot b);
    void (*accept)(void *ud, uint64_t slot, struct ballot b,
                   const struct pvalue *v);
    void *ud;
};

/* Opens (creating dir and file as needed) and replays every valid record
 * in order through r. Returns NULL with a log line on failure. With
 * fsync false, wal_sync() writes but never fdatasync()s. */
struct wal *wal_open(const char *dir, bool fsync, const struct wal_replay *r);
void wal_close(struct wal *w);

int wal_append_promise(struct wal *w, struct ballot b);
int wal_append_accept(struct wal *w, uint64_t slot, struct ballot b,
                      const struct pvalue *v);
/* Bytes appended and not yet synced. */
size_t wal_pending(const struct wal *w);
/* Writes and syncs everything appended. Returns 0, or -1 (logged). */
int wal_sync(struct wal *w);

/* Statistics for /status. */
uint64_t wal_size(const struct wal *w);
uint64_t wal_syncs(const struct wal *w);

#endif
