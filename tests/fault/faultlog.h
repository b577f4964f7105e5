/* faultlog.h -- the fault suite's view of a replicated log: the "values"
 * of a learner's GET /get-values answer (or of a client's GET /read, which
 * is the same object), read strictly, and the digest that stands for a
 * read in the history.
 *
 * The digest of a log prefix is FNV-1a (64 bit) over, for each value in
 * slot order, the decimal slot, one space, the value's bytes and a
 * newline. The workload records a read's digest instead of its values, so
 * that a history of a long run stays small; the checker computes the
 * digest of every prefix of the final log and compares. */
#ifndef PAXOS_FAULTLOG_H
#define PAXOS_FAULTLOG_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ballot.h"
#include "jsonread.h"

#define FLOG_DIGEST_INIT UINT64_C(0xcbf29ce484222325)

struct flog_entry {
    uint64_t slot;
    char *value;
    char *client_id;
    uint64_t seq;
    struct ballot ballot;
};

struct flog {
    struct flog_entry *v;
    size_t n;
};

/* Reads root's "values" array into *out (slots strictly increasing),
 * leaving out the configurations of the acceptor set it holds (they are
 * the cluster's own values, not writes). Returns 0, or -1 with the
 * reason in d. */
int flog_read(struct jr *d, json_object *root, struct flog *out);
void flog_free(struct flog *log);

/* The digest h extended by one value. */
uint64_t flog_digest_step(uint64_t h, const struct flog_entry *e);

#endif
