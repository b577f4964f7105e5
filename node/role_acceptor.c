/* role_acceptor.c -- the acceptor node: /prepare, /accept and /accepted
 * over the acceptor rules, made durable in the write-ahead file.
 *
 * Nothing an acceptor says about its promises or accepted values may
 * leave the process before it is on disk. So every answer that reveals
 * state (promises, accepts, listings) is held until the end of the loop
 * turn, when one wal_sync() covers all of that turn's changes (group
 * commit); then they are sent. */
#include <stdlib.h>
#include <string.h>

#include "core/acceptor.h"
#include "log.h"
#include "metrics.h"
#include "net/codec.h"
#include "node.h"
#include "store/wal.h"

/* Most entries, and about the most value bytes, one /accepted answer
 * carries; the learner asks again for the rest. */
#define LISTING_MAX_ENTRIES 4096
#define LISTING_MAX_BYTES (4u << 20)
/* Slots an acceptor keeps below the applied index of the learner furthest
 * behind, so that a learner that restarts a little behind catches up from
 * the acceptors. */
#define ACCEPTOR_KEEP_LEARNED 4096

struct held_reply {
    struct http_request *req;
    int status;
    char *body;
};

struct acceptor_node {
    struct acceptor a;
    struct wal *wal;
    uint64_t compact_at;        /* file size that makes it compact */
    uint64_t compactions;
    uint64_t *learned;          /* by node index: what each configured
                                   learner last said it applied; 0 for
                                   those not heard from since the start */
    struct held_reply *held;
    size_t n_held, cap_held;
    uint64_t prepares, accepts, rejected;
};

static struct acceptor_node *acceptor_node_of(struct node *n)
{
    return n->role;
}

/* Holds body until the turn's sync; aborts when memory runs out, since a
 * dropped answer would leave a request suspended forever. */
static void acceptor_hold(struct acceptor_node *an, struct http_request *req,
                          int status, char *body)
{
    if (!body)
        abort();
    if (an->n_held == an->cap_held) {
        size_t cap = an->cap_held ? an->cap_held * 2 : 64;
        struct held_reply *grown = realloc(an->held, cap * sizeof(*grown));
        if (!grown)
            abort();
        an->held = grown;
        an->cap_held = cap;
    }
    an->held[an->n_held++] = (struct held_reply){ req, status, body };
}

static void acceptor_fatal_memory(void)
{
    log_error("out of memory while accepting: stopping; restart recovers "
              "from the write-ahead file");
    abort();
}

static void acceptor_reply_stale(struct node *n, struct acceptor_node *an,
                                 struct http_request *req, enum msg_type t)
{
    struct msg m = { .type = t, .from = n->cfg->id, .ok = false,
                     .ballot = an->a.promised };

    an->rejected++;
    peer_count_bad_request(n->peer);
    acceptor_hold(an, req, 409, msg_encode(&m));
}

/* Accepted entries from slot first, at most max of them and about
 * max_bytes of values (one at least); *upto is the last slot the answer
 * covers (INT64_MAX when it covers them all). */
static struct msg_entry *acceptor_entries(const struct acceptor *a,
                                          uint64_t first, size_t max,
                                          size_t max_bytes, size_t *n,
                                          uint64_t *upto)
{
    struct msg_entry *e = NULL;
    size_t count = 0, cap = 0, bytes = 0;

    *upto = INT64_MAX;
    for (uint64_t s = first > a->trimmed ? first : a->trimmed + 1;
         s <= a->max_slot; s++) {
        const struct acceptor_slot *as = acceptor_get(a, s);
        if (!as)
            continue;
        if (count == max || (count && bytes > max_bytes)) {
            *upto = s - 1;
            break;
        }
        bytes += as->value.data ? strlen(as->value.data) : 0;
        if (count == cap) {
            cap = cap ? cap * 2 : 64;
            struct msg_entry *grown = realloc(e, cap * sizeof(*e));
            if (!grown)
                acceptor_fatal_memory();
            e = grown;
        }
        /* The entries borrow the acceptor's strings: never msg_free them. */
        e[count++] = (struct msg_entry){ s, as->ballot, as->value };
    }
    *n = count;
    return e;
}

static void acceptor_on_prepare(struct http_request *req, void *ud)
{
    struct node *n = ud;
    struct acceptor_node *an = acceptor_node_of(n);
    struct msg m, reply = { .type = MSG_PROMISE, .from = n->cfg->id };
    uint64_t upto;

    if (peer_decode(n->peer, req, MSG_PREPARE, &m) < 0)
        return;
    an->prepares++;
    if (acceptor_prepare(&an->a, m.ballot) != ACCEPTOR_OK) {
        acceptor_reply_stale(n, an, req, MSG_PROMISE);
        goto out;
    }
    if (wal_append_promise(an->wal, m.ballot) < 0)
        acceptor_fatal_memory();
    log_info("promised ballot %u.%u to proposer %u", m.ballot.round,
                 m.ballot.node, m.from);
    /* Slots up to the commit index are chosen: the new leader will not
     * propose there, so only the slots above it are listed. */
    reply.ok = true;
    reply.ballot = m.ballot;
    reply.commit = an->a.commit;
    reply.entries = acceptor_entries(&an->a,
                                     m.from_slot > an->a.commit ? m.from_slot
                                                                : an->a.commit + 1,
                                     SIZE_MAX, SIZE_MAX, &reply.n_entries, &upto);
    acceptor_hold(an, req, 200, msg_encode(&reply));
    free(reply.entries);
out:
    msg_free(&m);
}

static void acceptor_on_accept(struct http_request *req, void *ud)
{
    struct node *n = ud;
    struct acceptor_node *an = acceptor_node_of(n);
    struct msg m, reply = { .type = MSG_ACCEPTED, .from = n->cfg->id };
    struct ballot before = an->a.promised;
    size_t stored = 0;

    if (peer_decode(n->peer, req, MSG_ACCEPT, &m) < 0)
        return;
    an->accepts++;
    switch (acceptor_accept(&an->a, m.ballot, m.entries, m.n_entries,
                            m.commit)) {
    case ACCEPTOR_OK:
        break;
    case ACCEPTOR_STALE:
        acceptor_reply_stale(n, an, req, MSG_ACCEPTED);
        goto out;
    case ACCEPTOR_BAD_SLOT:
        peer_reply_bad(n->peer, req, 400, "slot out of range");
        goto out;
    case ACCEPTOR_NO_MEMORY:
        acceptor_fatal_memory();
    }
    for (size_t i = 0; i < m.n_entries; i++) {
        if (m.entries[i].slot <= an->a.trimmed)
            continue;
        if (wal_append_accept(an->wal, m.entries[i].slot, m.ballot,
                              &m.entries[i].value) < 0)
            acceptor_fatal_memory();
        stored++;
    }
    /* A higher ballot with nothing stored under it is a promise too. */
    if (!stored && ballot_cmp(m.ballot, before) > 0 &&
        wal_append_promise(an->wal, m.ballot) < 0)
        acceptor_fatal_memory();
    reply.ok = true;
    reply.ballot = m.ballot;
    acceptor_hold(an, req, 200, msg_encode(&reply));
out:
    msg_free(&m);
}

/* The slots a compacted write-ahead file holds, in the order a replay
 * must see them: by ballot, since each accept raises the promise. */
struct compaction {
    const struct acceptor *a;
    uint64_t *slots;
    size_t n;
};

static int acceptor_compare_slots(const void *x, const void *y, void *ud)
{
    const struct acceptor *a = ud;
    uint64_t sx = *(const uint64_t *)x, sy = *(const uint64_t *)y;
    int by_ballot = ballot_cmp(acceptor_get(a, sx)->ballot,
                               acceptor_get(a, sy)->ballot);

    return by_ballot ? by_ballot : (sx > sy) - (sx < sy);
}

/* What the compacted file holds: the trim, every slot still kept, and the
 * promise last (it is at least every accepted ballot). */
static int acceptor_write_compacted(void *ud, struct wal *fresh)
{
    struct compaction *c = ud;

    if (wal_append_trim(fresh, c->a->trimmed) < 0)
        return -1;
    for (size_t i = 0; i < c->n; i++) {
        const struct acceptor_slot *as = acceptor_get(c->a, c->slots[i]);
        if (wal_append_accept(fresh, c->slots[i], as->ballot, &as->value) < 0)
            return -1;
    }
    return ballot_is_zero(c->a->promised)
               ? 0 : wal_append_promise(fresh, c->a->promised);
}

/* Rewrites the write-ahead file with only what the acceptor still keeps,
 * once it grew by --wal-compact-bytes since the last time: the file and
 * a restart's replay stay bounded however long the log. */
static void acceptor_compact(struct node *n, struct acceptor_node *an)
{
    struct compaction c = { &an->a, NULL, 0 };
    uint64_t before = wal_size(an->wal);

    c.slots = malloc((an->a.max_slot - an->a.trimmed + 1) * sizeof(*c.slots));
    if (!c.slots)
        acceptor_fatal_memory();
    for (uint64_t s = an->a.trimmed + 1; s <= an->a.max_slot; s++)
        if (acceptor_get(&an->a, s))
            c.slots[c.n++] = s;
    qsort_r(c.slots, c.n, sizeof(*c.slots), acceptor_compare_slots, &an->a);
    if (wal_rewrite(an->wal, acceptor_write_compacted, &c) < 0) {
        log_error("cannot compact the write-ahead file: stopping");
        exit(1);
    }
    free(c.slots);
    an->compactions++;
    an->compact_at = wal_size(an->wal) + n->cfg->wal_compact_bytes;
    log_info("compacted the write-ahead file from %llu to %llu bytes "
             "(slots up to %llu forgotten, %zu kept)",
             (unsigned long long)before,
             (unsigned long long)wal_size(an->wal),
             (unsigned long long)an->a.trimmed, c.n);
}

/* Forgets the slots up to upto (see acceptor_trim), durably. */
static void acceptor_forget(struct node *n, struct acceptor_node *an,
                            uint64_t upto)
{
    uint64_t before = an->a.trimmed;

    if (acceptor_trim(&an->a, upto) == before)
        return;
    if (wal_append_trim(an->wal, an->a.trimmed) < 0)
        acceptor_fatal_memory();
    if (wal_size(an->wal) >= an->compact_at)
        acceptor_compact(n, an);
}

/* Learner id asks from slot from: every slot below is in its log on disk.
 * Once every configured learner has said so, the acceptor forgets the
 * slots below the lowest of them, but for a margin: no learner then needs
 * them from the acceptors, and one that loses its disk copies them from
 * another learner. Returns -1 (and replies 400) when id is not a
 * configured learner. */
static int acceptor_learner_says(struct node *n, struct acceptor_node *an,
                                 struct http_request *req, uint32_t id,
                                 uint64_t from)
{
    uint64_t lowest = UINT64_MAX;
    bool known = false;

    for (size_t i = 0; i < n->cfg->n_nodes; i++) {
        const struct node_info *node = &n->cfg->nodes[i];
        if (node->role != ROLE_LEARNER)
            continue;
        if (node->id == id) {
            an->learned[i] = from - 1;
            known = true;
        }
        if (an->learned[i] < lowest)
            lowest = an->learned[i];
    }
    if (!known) {
        peer_reply_bad(n->peer, req, 400, "not a configured learner");
        return -1;
    }
    if (lowest != UINT64_MAX && lowest > ACCEPTOR_KEEP_LEARNED)
        acceptor_forget(n, an, lowest - ACCEPTOR_KEEP_LEARNED);
    return 0;
}

static void acceptor_on_listing(struct http_request *req, void *ud)
{
    struct node *n = ud;
    struct acceptor_node *an = acceptor_node_of(n);
    struct msg reply = { .type = MSG_LISTING, .from = n->cfg->id };
    uint64_t from = 1, limit = LISTING_MAX_ENTRIES, learner = 0;

    if (peer_query_number(n->peer, req, "from", 1, INT64_MAX, &from) < 0 ||
        peer_query_number(n->peer, req, "limit", 1, LISTING_MAX_ENTRIES, &limit) < 0 ||
        peer_query_number(n->peer, req, "learner", 1, UINT32_MAX, &learner) < 0)
        return;
    if (learner && acceptor_learner_says(n, an, req, (uint32_t)learner,
                                         from) < 0)
        return;
    reply.ballot = an->a.promised;
    reply.commit = an->a.commit;
    reply.trimmed = an->a.trimmed;
    reply.from_slot = from;
    reply.entries = acceptor_entries(&an->a, from, limit, LISTING_MAX_BYTES,
                                     &reply.n_entries, &reply.upto);
    acceptor_hold(an, req, 200, msg_encode(&reply));
    free(reply.entries);
}

static void acceptor_flush(struct node *n)
{
    struct acceptor_node *an = acceptor_node_of(n);

    if (wal_pending(an->wal) && wal_sync(an->wal) < 0) {
        log_error("cannot make the write-ahead file durable: stopping");
        exit(1);
    }
    for (size_t i = 0; i < an->n_held; i++)
        httpd_reply(an->held[i].req, an->held[i].status, an->held[i].body);
    an->n_held = 0;
}

static void acceptor_replay_promise(void *ud, struct ballot b)
{
    acceptor_prepare(ud, b);    /* refused when an accept already raised it */
}

static void acceptor_replay_trim(void *ud, uint64_t upto)
{
    acceptor_restore_trim(ud, upto);
}

static void acceptor_replay_accept(void *ud, uint64_t offset, uint64_t slot,
                                   struct ballot b, const struct pvalue *v)
{
    struct msg_entry e = { .slot = slot, .value = *v };

    if (acceptor_accept(ud, b, &e, 1, 0) == ACCEPTOR_NO_MEMORY)
        acceptor_fatal_memory();
}

static int acceptor_start(struct node *n)
{
    struct acceptor_node *an = calloc(1, sizeof(*an));
    struct wal_replay replay = { acceptor_replay_promise,
                                 acceptor_replay_accept, NULL,
                                 acceptor_replay_trim };

    if (!an)
        return -1;
    an->learned = calloc(n->cfg->n_nodes, sizeof(*an->learned));
    if (!an->learned) {
        free(an);
        return -1;
    }
    acceptor_init(&an->a);
    replay.ud = &an->a;
    an->wal = wal_open(n->cfg->data_dir, "acceptor.wal", n->cfg->fsync,
                       &replay);
    if (!an->wal) {
        free(an->learned);
        free(an);
        return -1;
    }
    an->compact_at = wal_size(an->wal) + n->cfg->wal_compact_bytes;
    n->role = an;
    log_info("recovered promise %u.%u and %llu accepted slots (highest %llu) "
             "from %s", an->a.promised.round, an->a.promised.node,
             (unsigned long long)an->a.accepted_count,
             (unsigned long long)an->a.max_slot, n->cfg->data_dir);
    return 0;
}

static void acceptor_tick(struct node *n, int64_t now)
{
}

static void acceptor_status(struct node *n, struct json_object *o)
{
    struct acceptor_node *an = acceptor_node_of(n);
    struct json_object *recent = json_object_new_array();
    uint64_t first = an->a.max_slot > 10 ? an->a.max_slot - 9 : 1;

    json_object_object_add(o, "promised", codec_ballot_json(an->a.promised));
    json_object_object_add(o, "commit",
                           json_object_new_int64((int64_t)an->a.commit));
    json_object_object_add(o, "max_slot",
                           json_object_new_int64((int64_t)an->a.max_slot));
    json_object_object_add(o, "trimmed",
                           json_object_new_int64((int64_t)an->a.trimmed));
    for (uint64_t s = first; s <= an->a.max_slot; s++) {
        const struct acceptor_slot *as = acceptor_get(&an->a, s);
        struct json_object *e;
        if (!as)
            continue;
        e = codec_value_json(s, &as->value);
        json_object_object_add(e, "ballot", codec_ballot_json(as->ballot));
        json_object_array_add(recent, e);
    }
    json_object_object_add(o, "accepted", recent);
    json_object_object_add(o, "prepares", json_object_new_int64((int64_t)an->prepares));
    json_object_object_add(o, "accepts", json_object_new_int64((int64_t)an->accepts));
    json_object_object_add(o, "rejected", json_object_new_int64((int64_t)an->rejected));
    json_object_object_add(o, "wal_bytes", json_object_new_int64((int64_t)wal_size(an->wal)));
    json_object_object_add(o, "wal_syncs", json_object_new_int64((int64_t)wal_syncs(an->wal)));
    json_object_object_add(o, "wal_compactions", json_object_new_int64((int64_t)an->compactions));
    json_object_object_add(o, "fsync", json_object_new_boolean(n->cfg->fsync));
}

static void acceptor_stop(struct node *n)
{
    struct acceptor_node *an = acceptor_node_of(n);

    /* The held answers were never sent, so nothing they say needs to be
     * on disk; their requests close with the server. */
    for (size_t i = 0; i < an->n_held; i++)
        free(an->held[i].body);
    wal_close(an->wal);
    acceptor_free(&an->a);
    free(an->learned);
    free(an->held);
    free(an);
    n->role = NULL;
}

static void acceptor_metrics(struct node *n, FILE *out)
{
    struct acceptor_node *an = acceptor_node_of(n);

    metrics_sample(out, "gauge", "paxos_promised_round",
                   "Round of the ballot this acceptor promised.", NULL,
                   an->a.promised.round);
    metrics_sample(out, "gauge", "paxos_promised_node",
                   "Node id of the ballot this acceptor promised.", NULL,
                   an->a.promised.node);
    metrics_sample(out, "gauge", "paxos_chosen_index",
                   "Highest commit index a leader sent (every slot up to it "
                   "is chosen).", NULL, (double)an->a.commit);
    metrics_sample(out, "gauge", "paxos_accepted_max_slot",
                   "Highest slot with an accepted value.", NULL,
                   (double)an->a.max_slot);
    metrics_sample(out, "counter", "paxos_prepares_total",
                   "Prepare messages received.", NULL, (double)an->prepares);
    metrics_sample(out, "counter", "paxos_accepts_total",
                   "Accept messages received.", NULL, (double)an->accepts);
    metrics_sample(out, "counter", "paxos_rejections_total",
                   "Protocol messages refused, by reason.",
                   "reason=\"stale_ballot\"", (double)an->rejected);
    metrics_sample(out, "gauge", "paxos_wal_bytes",
                   "Size of the write-ahead file.", NULL,
                   (double)wal_size(an->wal));
    metrics_sample(out, "counter", "paxos_wal_syncs_total",
                   "Group commits (write + fdatasync) of the write-ahead file.",
                   NULL, (double)wal_syncs(an->wal));
}

/* Every route of the role; handlers get the node as ud. */
static const struct route acceptor_routes[] = {
    { "POST", "/prepare", ROUTE_PEER, acceptor_on_prepare },
    { "POST", "/accept", ROUTE_PEER, acceptor_on_accept },
    { "GET", "/accepted", ROUTE_PEER, acceptor_on_listing },
};

const struct role_ops acceptor_role = {
    .routes = acceptor_routes,
    .n_routes = sizeof acceptor_routes / sizeof acceptor_routes[0],
    .start = acceptor_start, .tick = acceptor_tick, .flush = acceptor_flush,
    .status = acceptor_status, .metrics = acceptor_metrics,
    .stop = acceptor_stop,
};
