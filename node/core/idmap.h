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

/* Identities remembered for a while, in bounded memory: two maps, the
 * young one taking every put. idmap_aging_tick() drops the old map and
 * makes the young one old once the young one is at least min_age_ms old
 * and holds at least min_count identities. So an identity is remembered
 * for at least min_age_ms and min_count later puts, and the memory holds
 * at most about twice what arrives in the longer of the two. */
struct idmap_aging {
    struct idmap young, old;
    int64_t young_since;
    int64_t min_age_ms;
    size_t min_count;
};

void idmap_aging_init(struct idmap_aging *m, int64_t min_age_ms,
                      size_t min_count, int64_t now);
int idmap_aging_put(struct idmap_aging *m, const char *client, uint64_t seq,
                    uint64_t val);
bool idmap_aging_get(const struct idmap_aging *m, const char *client,
                     uint64_t seq, uint64_t *val);
void idmap_aging_tick(struct idmap_aging *m, int64_t now);
/* Ages by count alone, for when time says nothing (a learner reading its
 * log back, or catching up faster than the slots were chosen). */
void idmap_aging_tick_count(struct idmap_aging *m);
size_t idmap_aging_len(const struct idmap_aging *m);
/* Forgets everything (keeps the settings). */
void idmap_aging_clear(struct idmap_aging *m, int64_t now);

#endif
