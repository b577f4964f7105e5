/* idmap.c -- open-addressing hash map keyed by (client, seq); see idmap.h. */
#include "core/idmap.h"

#include <stdlib.h>
#include <string.h>

static uint64_t idmap_hash(const char *client, uint64_t seq)
{
    uint64_t h = 1469598103934665603ULL ^ seq;   /* FNV-1a over the client */

    for (const unsigned char *p = (const unsigned char *)client; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    h ^= h >> 29;                                /* spread seq's low bits */
    return h * 0xbf58476d1ce4e5b9ULL;
}

static struct idmap_entry *idmap_find(const struct idmap *m,
                                      const char *client, uint64_t seq)
{
    size_t mask = m->cap - 1;
    size_t i = idmap_hash(client, seq) & mask;

    while (m->buckets[i].client) {
        struct idmap_entry *e = &m->buckets[i];
        if (e->seq == seq && strcmp(e->client, client) == 0)
            return e;
        i = (i + 1) & mask;
    }
    return &m->buckets[i];
}

static int idmap_grow(struct idmap *m)
{
    struct idmap old = *m;

    m->cap = old.cap ? old.cap * 2 : 64;
    m->buckets = calloc(m->cap, sizeof(*m->buckets));
    if (!m->buckets) {
        *m = old;
        return -1;
    }
    for (size_t i = 0; i < old.cap; i++)
        if (old.buckets[i].client)
            *idmap_find(m, old.buckets[i].client, old.buckets[i].seq) =
                old.buckets[i];
    free(old.buckets);
    return 0;
}

int idmap_put(struct idmap *m, const char *client, uint64_t seq, uint64_t val)
{
    struct idmap_entry *e;

    if ((m->len + 1) * 4 > m->cap * 3 && idmap_grow(m) < 0)
        return -1;
    e = idmap_find(m, client, seq);
    if (!e->client) {
        e->client = strdup(client);
        if (!e->client)
            return -1;
        e->seq = seq;
        m->len++;
    }
    e->val = val;
    return 0;
}

bool idmap_get(const struct idmap *m, const char *client, uint64_t seq,
               uint64_t *val)
{
    const struct idmap_entry *e;

    if (!m->cap)
        return false;
    e = idmap_find(m, client, seq);
    if (!e->client)
        return false;
    *val = e->val;
    return true;
}

void idmap_clear(struct idmap *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->buckets[i].client);
    free(m->buckets);
    *m = (struct idmap){ 0 };
}

void idmap_aging_init(struct idmap_aging *m, int64_t min_age_ms,
                      size_t min_count, int64_t now)
{
    *m = (struct idmap_aging){ .young_since = now, .min_age_ms = min_age_ms,
                               .min_count = min_count };
}

int idmap_aging_put(struct idmap_aging *m, const char *client, uint64_t seq,
                    uint64_t val)
{
    return idmap_put(&m->young, client, seq, val);
}

bool idmap_aging_get(const struct idmap_aging *m, const char *client,
                     uint64_t seq, uint64_t *val)
{
    return idmap_get(&m->young, client, seq, val) ||
           idmap_get(&m->old, client, seq, val);
}

static void idmap_aging_rotate(struct idmap_aging *m, int64_t now)
{
    idmap_clear(&m->old);
    m->old = m->young;
    m->young = (struct idmap){ 0 };
    m->young_since = now;
}

void idmap_aging_tick(struct idmap_aging *m, int64_t now)
{
    if (now - m->young_since >= m->min_age_ms && m->young.len >= m->min_count)
        idmap_aging_rotate(m, now);
}

void idmap_aging_tick_count(struct idmap_aging *m)
{
    if (m->young.len >= m->min_count)
        idmap_aging_rotate(m, m->young_since);
}

size_t idmap_aging_len(const struct idmap_aging *m)
{
    return m->young.len + m->old.len;
}

void idmap_aging_clear(struct idmap_aging *m, int64_t now)
{
    idmap_clear(&m->young);
    idmap_clear(&m->old);
    m->young_since = now;
}
