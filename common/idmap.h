/* idmap.h -- a hash map from a write's identity (client, seq) to a number.
 *
 * Proposers use it to answer a retried write with the slot it already
 * has; learners use it to apply each write once. Keys are copied. */
#ifndef PAXOS_IDMAP_H
#define PAXOS_IDMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct idmap_entry {
    char *client;           /* NULL: empty bucket */
    uint64_t seq;
    uint64_t val;
};

struct idmap {
    struct idmap_entry *buckets;
    size_t cap;             /* power of two, or 0 */
    size_t len;
};

/* Inserts or overwrites. Returns 0, or -1 when out of memory. */
int idmap_put(struct idmap *m, const char *client, uint64_t seq, uint64_t val);
bool idmap_get(const struct idmap *m, const char *client, uint64_t seq,
               uint64_t *val);
/* Empties the map and frees its memory. */
void idmap_clear(struct idmap *m);

#endif
