/* role_learner.c -- the learner node: takes /chosen from the leader, keeps
 * the applied log on disk (learned_store.h), serves it on /get-values,
 * repairs what it missed with catch-up rounds over the acceptors'
 * /accepted (or by copying another learner's /learned, for slots the
 * acceptors forgot), and tells client nodes (/notify) when their writes
 * are applied. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "array.h"
#include "core/learner.h"
#include "log.h"
#include "metrics.h"
#include "net/codec.h"
#include "node.h"
#include "store/learned_store.h"

/* A gap that lasts this long is repaired from the acceptors. */
#define LEARNER_GAP_MS 200
/* Even when nothing looks missing, ask the acceptors this often. */
#define LEARNER_ANTI_ENTROPY_MS 5000
/* How long an acceptor has to answer a catch-up question: a round waits
 * for every answer, and one acceptor down (or paused) must not hold the
 * learner up for the whole request timeout. */
#define LEARNER_LISTING_MS 2000
#define LEARNER_NOTIFY_BATCH 4096
/* Most entries, and about the most value bytes, one /learned answer
 * carries (one entry at least). */
#define LEARNED_PAGE_ENTRIES 4096
#define LEARNED_PAGE_BYTES (4u << 20)

struct values_waiter {          /* a /get-values?wait_for=N */
    struct http_request *req;
    uint64_t wait_for;
    struct values_query query;
    int64_t deadline;
};

struct learner_node {
    struct learner l;
    struct learned_store *store;
    size_t stored;              /* outbox entries already in the store */
    bool copying;               /* a /learned request is out */
    size_t copy_from;           /* which learner to copy from next */
    uint64_t copies;
    size_t round_outstanding;   /* listings not yet answered */
    uint64_t round_applied;     /* applied index when the round began */
    int64_t round_due, last_round_at;
    uint64_t rounds, learns;
    struct values_waiter *waiters;
    size_t n_waiters, cap_waiters;
};

struct listing_ctx {
    struct node *node;
    uint32_t acceptor;          /* its node id */
};

static struct learner_node *learner_node_of(struct node *n)
{
    return n->role;
}

static void learner_fatal_memory(void)
{
    log_error("out of memory: stopping; a restart recovers the log from "
              "the acceptors");
    abort();
}

/* Stores what the core applied since the last call: every core call is
 * followed by this, so the store always holds the whole applied log. */
static void learner_store_applied(struct learner_node *ln)
{
    for (; ln->stored < ln->l.n_out; ln->stored++)
        if (learned_store_append(ln->store, &ln->l.out[ln->stored]) < 0)
            learner_fatal_memory();
}

struct values_page {            /* a page of the log being read */
    struct json_object *values;
    uint64_t last_slot;
};

static void learner_add_value(void *ud, const struct learned *e)
{
    struct values_page *page = ud;
    struct json_object *v = codec_value_json(e->slot, &e->value);

    json_object_object_add(v, "ballot", codec_ballot_json(e->ballot));
    json_object_array_add(page->values, v);
    page->last_slot = e->slot;
}

/* The part of the applied log q asks for (checked by the caller). */
static void learner_reply_values(struct node *n, struct http_request *req,
                                 const struct values_query *q)
{
    struct learner_node *ln = learner_node_of(n);
    struct json_object *o = json_object_new_object();
    struct values_page page = { json_object_new_array(), 0 };
    long got = q->last ? learned_store_read_last(ln->store, q->last,
                                                 learner_add_value, &page)
                       : learned_store_read(ln->store, q->from, q->limit,
                                            SIZE_MAX, learner_add_value,
                                            &page);

    if (got < 0) {
        json_object_put(o);
        json_object_put(page.values);
        httpd_reply_error(req, 500, "cannot read the applied log");
        return;
    }
    json_object_object_add(o, "learner", json_object_new_string(n->cfg->name));
    json_object_object_add(o, "applied", json_object_new_int64((int64_t)ln->l.applied));
    json_object_object_add(o, "count", json_object_new_int64((int64_t)ln->l.applied_writes));
    json_object_object_add(o, "more", json_object_new_boolean(
        got && page.last_slot < learned_store_last_slot(ln->store)));
    json_object_object_add(o, "values", page.values);
    peer_reply_json(req, 200, o);
}

static void learner_on_get_values(struct http_request *req, void *ud)
{
    struct node *n = ud;
    struct learner_node *ln = learner_node_of(n);
    uint64_t wait_for = 0;
    struct values_query q;

    if (peer_query_number(n->peer, req, "wait_for", 0, INT64_MAX, &wait_for) < 0 ||
        peer_values_query(n->peer, req, &q) < 0)
        return;
    if (wait_for <= ln->l.applied) {
        learner_reply_values(n, req, &q);
        return;
    }
    if (array_reserve(&ln->waiters, &ln->cap_waiters,
                      ln->n_waiters + 1) < 0) {
        httpd_reply_error(req, 503, "out of memory");
        return;
    }
    ln->waiters[ln->n_waiters++] = (struct values_waiter){
        req, wait_for, q, loop_now_ms() + n->cfg->request_timeout_ms };
    ln->round_due = loop_now_ms();      /* something to catch up on */
}

/* Answers the waiters whose slot is applied, or whose time is up. */
static void learner_answer_waiters(struct node *n, int64_t now)
{
    struct learner_node *ln = learner_node_of(n);
    size_t kept = 0;

    for (size_t i = 0; i < ln->n_waiters; i++) {
        struct values_waiter *w = &ln->waiters[i];
        if (w->wait_for <= ln->l.applied) {
            learner_reply_values(n, w->req, &w->query);
        } else if (now >= w->deadline) {
            char msg[128];
            snprintf(msg, sizeof(msg), "slot %llu not applied in time "
                     "(applied: %llu)", (unsigned long long)w->wait_for,
                     (unsigned long long)ln->l.applied);
            httpd_reply_error(w->req, 504, msg);
        } else {
            ln->waiters[kept++] = *w;
        }
    }
    ln->n_waiters = kept;
}

/* POST /chosen: slots the leader got chosen. */
static void learner_on_chosen_msg(struct http_request *req, void *ud)
{
    struct node *n = ud;
    struct learner_node *ln = learner_node_of(n);
    uint64_t applied = ln->l.applied;
    const struct node_info *sender;
    struct msg m;

    if (peer_decode(n->peer, req, MSG_LEARN, &m) < 0)
        return;
    sender = config_node(n->cfg, m.from);
    if (!sender || sender->role != ROLE_PROPOSER) {
        peer_reply_bad(n->peer, req, 400, "chosen slots from a node that is not "
                                    "a configured proposer");
        goto out;
    }
    ln->learns++;
    if (learner_on_chosen(&ln->l, m.ballot, m.commit, m.entries,
                          m.n_entries) < 0)
        learner_fatal_memory();
    learner_store_applied(ln);
    if (ln->l.applied != applied)
        ln->round_due = loop_now_ms() + LEARNER_GAP_MS;
    httpd_reply(req, 200, strdup("{}"));
out:
    msg_free(&m);
}

static void learner_on_listing_answer(void *ud, int status, const char *body,
                                      size_t len, const char *err)
{
    struct listing_ctx *ctx = ud;
    struct node *n = ctx->node;
    struct learner_node *ln = learner_node_of(n);
    struct msg m;
    char why[256];

    ln->round_outstanding--;
    if (status != 200) {
        log_warn("catch-up: acceptor %u did not answer: %d %s", ctx->acceptor,
                 status, status ? body : err);
        goto out;
    }
    if (msg_decode(MSG_LISTING, body, len, n->cfg->max_value, &m, why,
                   sizeof(why)) < 0) {
        log_warn("bad listing from acceptor %u: %s", ctx->acceptor, why);
        goto out;
    }
    if (learner_on_listing(&ln->l, ctx->acceptor, &m) < 0)
        learner_fatal_memory();
    learner_store_applied(ln);
    msg_free(&m);
out:
    if (!ln->round_outstanding) {
        /* Progress: go on at once while behind; none: wait a little. */
        int64_t now = loop_now_ms();
        ln->round_due = now + (ln->l.applied != ln->round_applied ? 0
                                                                  : LEARNER_GAP_MS);
    }
    free(ctx);
}

static void learner_ask(struct node *n, const struct node_info *to,
                        const char *path)
{
    struct learner_node *ln = learner_node_of(n);
    struct listing_ctx *ctx = malloc(sizeof(*ctx));

    if (!ctx)
        learner_fatal_memory();
    *ctx = (struct listing_ctx){ n, to->id };
    ln->round_outstanding++;
    if (peer_ask(n->peer, to, path, LEARNER_LISTING_MS,
                 learner_on_listing_answer, ctx) < 0) {
        ln->round_outstanding--;
        free(ctx);
    }
}

/* Asks the voters of the configurations after the applied index (before
 * any is known, the founding acceptors of SEED_NODES) for what they
 * accepted, each node once. */
static void learner_start_round(struct node *n, int64_t now)
{
    struct learner_node *ln = learner_node_of(n);
    const struct voters_chain *chain = &ln->l.chain;
    uint32_t asked[VOTERS_CHAIN_MAX * VOTERS_MAX];
    size_t n_asked = 0;
    char path[64];

    snprintf(path, sizeof(path), "/accepted?from=%llu&learner=%u",
             (unsigned long long)learner_round_begin(&ln->l),
             (unsigned)n->cfg->id);
    ln->round_applied = ln->l.applied;
    ln->last_round_at = now;
    ln->rounds++;
    for (size_t k = 0; k < chain->n; k++)
        for (size_t i = 0; i < chain->c[k].n; i++) {
            const struct node_info *to = &chain->c[k].v[i].node;
            bool seen = false;
            for (size_t j = 0; j < n_asked; j++)
                seen |= asked[j] == to->id;
            if (!seen) {
                asked[n_asked++] = to->id;
                learner_ask(n, to, path);
            }
        }
    for (size_t i = 0; !chain->n && i < n->cfg->n_acceptors; i++)
        learner_ask(n, config_node(n->cfg, n->cfg->acceptors[i]), path);
}

static bool learner_wants_more(const struct learner_node *ln)
{
    for (size_t i = 0; i < ln->n_waiters; i++)
        if (ln->waiters[i].wait_for > ln->l.applied)
            return true;
    return learner_behind(&ln->l);
}

/* Another learner's answer to /learned: its log from our first missing
 * slot, covering every slot up to "upto". */
static void learner_on_copy_answer(void *ud, int status, const char *body,
                                   size_t len, const char *err)
{
    struct node *n = ud;
    struct learner_node *ln = learner_node_of(n);
    struct msg m;
    char why[256];

    ln->copying = false;
    if (status != 200) {
        log_warn("copy: learner did not answer: %d %s", status,
                 status ? body : err);
        return;
    }
    if (msg_decode(MSG_LEARNED, body, len, n->cfg->max_value, &m, why,
                   sizeof(why)) < 0) {
        log_warn("copy: bad answer: %s", why);
        return;
    }
    if (learner_adopt(&ln->l, m.entries, m.n_entries, m.upto, false) < 0)
        learner_fatal_memory();
    learner_store_applied(ln);
    ln->copies++;
    msg_free(&m);
}

/* The acceptors forgot the next slot to apply: copy the log from the
 * other learners in turn, a page at a time. */
static void learner_start_copy(struct node *n)
{
    struct learner_node *ln = learner_node_of(n);
    char path[64];

    snprintf(path, sizeof(path), "/learned?from=%llu",
             (unsigned long long)(ln->l.applied + 1));
    for (size_t k = 0; k < n->cfg->n_nodes; k++) {
        const struct node_info *peer =
            &n->cfg->nodes[ln->copy_from++ % n->cfg->n_nodes];
        if (peer->role != ROLE_LEARNER || peer->id == n->cfg->id)
            continue;
        ln->copying = peer_send(n->peer, peer, path, NULL, learner_on_copy_answer,
                                n) == 0;
        return;
    }
}

/* Copies a stored entry into a LISTING being built (room was made). */
static void learner_add_entry(void *ud, const struct learned *e)
{
    struct msg *m = ud;
    struct msg_entry *out = &m->entries[m->n_entries];

    if (pvalue_copy(&out->value, &e->value) < 0)
        learner_fatal_memory();
    out->slot = e->slot;
    out->ballot = e->ballot;
    m->n_entries++;
}

/* GET /learned?from=F (from other learners): the applied log from slot F
 * as a LISTING whose "upto" is the last slot it covers. */
static void learner_on_learned(struct http_request *req, void *ud)
{
    struct node *n = ud;
    struct learner_node *ln = learner_node_of(n);
    struct msg reply = { .type = MSG_LEARNED, .from = n->cfg->id };
    const struct msg_entry *last;
    uint64_t from = 1;

    if (peer_query_number(n->peer, req, "from", 1, INT64_MAX, &from) < 0)
        return;
    reply.entries = calloc(LEARNED_PAGE_ENTRIES, sizeof(*reply.entries));
    if (!reply.entries) {
        httpd_reply_error(req, 503, "out of memory");
        return;
    }
    if (learned_store_read(ln->store, from, LEARNED_PAGE_ENTRIES,
                           LEARNED_PAGE_BYTES, learner_add_entry, &reply) < 0) {
        httpd_reply_error(req, 500, "cannot read the applied log");
    } else {
        /* A page that stops before the end of the log covers up to its
         * last entry; one that reaches it, up to the applied index. */
        last = reply.n_entries ? &reply.entries[reply.n_entries - 1] : NULL;
        reply.commit = ln->l.applied;
        reply.from_slot = from;
        reply.upto = last && last->slot < learned_store_last_slot(ln->store)
                         ? last->slot : ln->l.applied;
        peer_reply_msg(req, 200, &reply);
    }
    msg_free(&reply);
}

static void learner_node_tick(struct node *n, int64_t now)
{
    struct learner_node *ln = learner_node_of(n);

    learner_tick(&ln->l, now);
    learner_answer_waiters(n, now);
    if (!ln->copying && learner_must_copy(&ln->l))
        learner_start_copy(n);
    if (ln->round_outstanding)
        return;
    if ((learner_wants_more(ln) && now >= ln->round_due) ||
        now - ln->last_round_at >= LEARNER_ANTI_ENTROPY_MS)
        learner_start_round(n, now);
}

static void learner_send_notify(struct node *n, const struct node_info *client,
                                struct msg *m)
{
    char *body = msg_encode(m);

    if (body)
        peer_send(n->peer, client, "/notify", body, peer_ignore_answer, NULL);
    free(body);
    m->n_entries = 0;
}

/* Tells each client node which of its writes were applied this turn, in
 * batches. */
static void learner_notify_clients(struct node *n)
{
    struct learner *l = &learner_node_of(n)->l;
    struct msg_entry *batch;

    if (!l->n_out)
        return;
    batch = malloc(LEARNER_NOTIFY_BATCH * sizeof(*batch));
    if (!batch)
        learner_fatal_memory();
    for (size_t c = 0; c < n->cfg->n_nodes; c++) {
        const struct node_info *client = &n->cfg->nodes[c];
        struct msg m = { .type = MSG_NOTIFY, .from = n->cfg->id,
                         .entries = batch };
        char id[16];
        if (client->role != ROLE_CLIENT)
            continue;
        snprintf(id, sizeof(id), "%u", (unsigned)client->id);
        for (size_t i = 0; i < l->n_out; i++) {
            if (strcmp(l->out[i].value.client, id) != 0)
                continue;
            batch[m.n_entries++] = (struct msg_entry){ .slot = l->out[i].slot,
                                                       .value = l->out[i].value };
            if (m.n_entries == LEARNER_NOTIFY_BATCH)
                learner_send_notify(n, client, &m);
        }
        if (m.n_entries)
            learner_send_notify(n, client, &m);
    }
    free(batch);
}

static void learner_flush(struct node *n)
{
    struct learner_node *ln = learner_node_of(n);

    learner_notify_clients(n);
    learner_out_clear(&ln->l);
    ln->stored = 0;
    if (learned_store_mark_applied(ln->store, ln->l.applied) < 0 ||
        (learned_store_pending(ln->store) && learned_store_sync(ln->store) < 0)) {
        log_error("cannot make the applied log durable: stopping");
        exit(1);
    }
    learner_answer_waiters(n, loop_now_ms());
}

/* An entry of the stored log at start. */
static void learner_restore(void *ud, const struct learned *e)
{
    struct msg_entry entry = { e->slot, e->ballot, e->value };

    if (learner_adopt(ud, &entry, 1, e->slot, true) < 0)
        learner_fatal_memory();
}

/* Another replica of this learner (kubectl scale) holds the log in
 * DATA_DIR, a volume they share: this one keeps its own log beside it,
 * in DATA_DIR/replica-HOSTNAME, and catches up like a new learner. */
static int learner_open_replica(struct node *n)
{
    struct learner_node *ln = learner_node_of(n);
    char host[256], dir[sizeof n->cfg->data_dir + 300];

    if (gethostname(host, sizeof host) < 0)
        return -1;
    host[sizeof host - 1] = '\0';
    snprintf(dir, sizeof dir, "%s/replica-%s", n->cfg->data_dir, host);
    log_warn("another process holds the log in %s: this replica keeps its "
             "own in %s", n->cfg->data_dir, dir);
    ln->store = learned_store_open(dir, n->cfg->fsync, learner_restore,
                                   &ln->l);
    return ln->store ? 0 : -1;
}

static int learner_start(struct node *n)
{
    struct learner_node *ln = calloc(1, sizeof(*ln));

    if (!ln)
        return -1;
    n->role = ln;
    if (learner_init(&ln->l,
                     2 * (int64_t)n->cfg->request_timeout_ms) < 0)
        return -1;
    ln->store = learned_store_open(n->cfg->data_dir, n->cfg->fsync,
                                   learner_restore, &ln->l);
    if (!ln->store && errno == EWOULDBLOCK && learner_open_replica(n) < 0)
        return -1;
    if (!ln->store)
        return -1;
    /* no-ops and duplicates after the last stored write */
    if (learner_adopt(&ln->l, NULL, 0, learned_store_applied(ln->store),
                      true) < 0)
        return -1;
    log_info("recovered %llu applied writes (applied index %llu) from %s",
             (unsigned long long)ln->l.applied_writes,
             (unsigned long long)ln->l.applied, n->cfg->data_dir);
    ln->last_round_at = loop_now_ms() - LEARNER_ANTI_ENTROPY_MS;  /* at once */
    return 0;
}

static void learner_add_recent(void *ud, const struct learned *e)
{
    struct values_page *page = ud;

    json_object_array_add(page->values, codec_value_json(e->slot, &e->value));
}

static void learner_status(struct node *n, struct json_object *o)
{
    struct learner_node *ln = learner_node_of(n);
    struct learner *l = &ln->l;
    struct values_page recent = { json_object_new_array(), 0 };

    learned_store_read_last(ln->store, 10, learner_add_recent, &recent);
    json_object_object_add(o, "applied", json_object_new_int64((int64_t)l->applied));
    json_object_object_add(o, "known_commit", json_object_new_int64((int64_t)l->known_commit));
    json_object_object_add(o, "highest_heard", json_object_new_int64((int64_t)l->highest_heard));
    json_object_object_add(o, "values_count", json_object_new_int64((int64_t)l->applied_writes));
    json_object_object_add(o, "noops", json_object_new_int64((int64_t)l->skipped_noops));
    json_object_object_add(o, "duplicates_skipped", json_object_new_int64((int64_t)l->skipped_duplicates));
    json_object_object_add(o, "learns", json_object_new_int64((int64_t)ln->learns));
    json_object_object_add(o, "catchup_rounds", json_object_new_int64((int64_t)ln->rounds));
    json_object_object_add(o, "copies", json_object_new_int64((int64_t)ln->copies));
    json_object_object_add(o, "configs", chain_json(&l->chain));
    json_object_object_add(o, "recent", recent.values);
}

static void learner_stop(struct node *n)
{
    struct learner_node *ln = learner_node_of(n);

    learner_free(&ln->l);
    if (ln->store)
        learned_store_close(ln->store);
    free(ln->waiters);
    free(ln);
    n->role = NULL;
}

static void learner_metrics(struct node *n, FILE *out)
{
    struct learner_node *ln = learner_node_of(n);
    const struct learner *l = &ln->l;

    metrics_sample(out, "gauge", "paxos_applied_index",
                   "Every slot up to it is applied.", NULL, (double)l->applied);
    metrics_sample(out, "gauge", "paxos_chosen_index",
                   "Highest commit index heard of.", NULL,
                   (double)l->known_commit);
    metrics_sample(out, "gauge", "paxos_values", "Values in the applied log.",
                   NULL, (double)l->applied_writes);
    metrics_sample(out, "counter", "paxos_noops_skipped_total",
                   "Chosen no-ops (gaps a new leader filled).", NULL,
                   (double)l->skipped_noops);
    metrics_sample(out, "counter", "paxos_duplicates_skipped_total",
                   "Retried writes chosen twice and applied once.", NULL,
                   (double)l->skipped_duplicates);
    metrics_sample(out, "counter", "paxos_catchup_rounds_total",
                   "Rounds asking the acceptors for missed slots.", NULL,
                   (double)ln->rounds);
}

/* Every route of the role; handlers get the node as ud. */
static const struct route learner_routes[] = {
    { "POST", "/chosen", ROUTE_PEER, learner_on_chosen_msg },
    { "GET", "/learned", ROUTE_PEER, learner_on_learned },
    { "GET", "/get-values", ROUTE_USER, learner_on_get_values },
};

const struct role_ops learner_role = {
    .routes = learner_routes,
    .n_routes = sizeof learner_routes / sizeof learner_routes[0],
    .start = learner_start, .tick = learner_node_tick, .flush = learner_flush,
    .status = learner_status, .metrics = learner_metrics,
    .stop = learner_stop,
};
