/* wal.h -- append-only record files: the acceptor's write-ahead file and
 * the learner's applied log.
 *
 * A file of records, each a promise (ballot), an accept (slot, ballot,
 * value), a trim (the slots up to one were forgotten) or a note (a kind
 * the caller gives meaning to, a number and a text). Appends are
 * buffered in memory; wal_sync() writes the buffer and fdatasync()s it
 * once for all of them (group commit). Every record carries a CRC32C, so a
 * torn or corrupt tail is detected at open, logged and cut off; everything
 * before it is replayed. wal_read() reads the records again from any
 * record's offset, a bounded buffer at a time. wal_rewrite() replaces the
 * file by a shorter one (compaction). */
#ifndef PAXOS_WAL_H
#define PAXOS_WAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ballot.h"

struct wal;

/* What replay and wal_read() hand records to. offset is where the record
 * starts in the file. promise, trim and note may be NULL for a file that
 * holds none: such records are then skipped. */
struct wal_replay {
    void (*promise)(void *ud, struct ballot b);
    void (*accept)(void *ud, uint64_t offset, uint64_t slot, struct ballot b,
                   const struct pvalue *v);
    void *ud;
    void (*trim)(void *ud, uint64_t upto);
    /* text is NUL-terminated (len bytes), valid during the call. */
    void (*note)(void *ud, uint8_t kind, uint64_t number, const char *text,
                 size_t len);
};

/* Opens DIR/FILE_NAME (creating dir and file as needed) and replays every
 * valid record in order through r. Returns NULL with a log line on
 * failure; errno is EWOULDBLOCK when another process holds the file. With fsync false,
 * wal_sync() writes but never fdatasync()s. */
struct wal *wal_open(const char *dir, const char *file_name, bool fsync,
                     const struct wal_replay *r);
void wal_close(struct wal *w);

int wal_append_promise(struct wal *w, struct ballot b);
int wal_append_accept(struct wal *w, uint64_t slot, struct ballot b,
                      const struct pvalue *v);
int wal_append_trim(struct wal *w, uint64_t upto);
int wal_append_note(struct wal *w, uint8_t kind, uint64_t number,
                    const char *text);
/* The offset the next appended record will have. */
uint64_t wal_end(const struct wal *w);
/* Bytes appended and not yet synced. */
size_t wal_pending(const struct wal *w);
/* Writes and syncs everything appended. Returns 0, or -1 (logged). */
int wal_sync(struct wal *w);

/* Hands the records from offset on (a record's start, from replay or
 * wal_end()) to r, in file order, until the end of the file or until
 * more(r->ud) (called before each record; NULL: never) returns false.
 * Records appended and not yet synced are written first, so they are
 * read too (wal_sync() still makes them durable). Returns 0, or -1
 * (logged) on an I/O error, when out of memory or on a record that is
 * not valid. */
int wal_read(struct wal *w, uint64_t offset, const struct wal_replay *r,
             bool (*more)(void *ud));

/* Replaces the file by one holding only the records write_records
 * appends to fresh: they go to DIR/FILE_NAME.new, which is synced and renamed over
 * the file, so a crash leaves one whole file or the other. What was
 * appended to w is synced first. Returns 0, or -1 (logged; w is then
 * unchanged, but for that sync). */
int wal_rewrite(struct wal *w,
                int (*write_records)(void *ud, struct wal *fresh), void *ud);

/* Statistics for /status. */
uint64_t wal_size(const struct wal *w);     /* bytes written to the file */
uint64_t wal_syncs(const struct wal *w);

#endif
