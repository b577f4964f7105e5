/* role_learner.c -- the learner node: takes /learn from acceptors, serves
 * the applied log on /get-values, repairs what it missed with catch-up
 * rounds over the acceptors' /accepted, and tells client nodes (/notify)
 * when their writes are applied. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "learner.h"
#include "log.h"
#include "metrics.h"
#include "node.h"

/* A gap that lasts this long is repaired from the acceptors. */
#define LEARNER_GAP_MS 200
/* Even when nothing looks missing, ask the acceptors this often. */
#define LEARNER_ANTI_ENTROPY_MS 5000
#define LEARNER_NOTIFY_BATCH 4096

struct values_waiter {          /* a /get-values?wait_for=N */
    struct http_request *req;
    uint64_t wait_for, from, limit;
    int64_t deadline;
};

struct learner_node {
    struct learner l;
    size_t notified;            /* log entries already notified */
    size_t round_outstanding;   /* listings not yet answered */
    uint64_t round_applied;     /* applied index when the round began */
    int64_t round_due, last_round_at;
    uint64_t rounds, learns;
    struct values_waiter *waiters;
    size_t n_waiters, cap_waiters;
};

struct listing_ctx {
    struct node *node;
    size_t acceptor;
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

/* The index of the first applied value at or after slot. */
static size_t learner_find_slot(const struct learner *l, uint64_t slot)
{
    size_t lo = 0, hi = l->log_len;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (l->log[mid].slot < slot)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The applied values from slot `from` on, at most `limit` of them (both
 * checked by the caller, as query arguments). */
static void learner_reply_values(struct node *n, struct http_request *req,
                                 uint64_t from, uint64_t limit)
{
    struct learner *l = &learner_node_of(n)->l;
    struct json_object *o = json_object_new_object();
    size_t first = learner_find_slot(l, from);
    size_t end = l->log_len - first > limit ? first + limit : l->log_len;
    struct json_object *values = json_object_new_array_ext((int)(end - first));

    for (size_t i = first; i < end; i++) {
        struct json_object *v = node_json_value(l->log[i].slot, &l->log[i].value);
        json_object_object_add(v, "ballot", node_json_ballot(l->log[i].ballot));
        json_object_array_add(values, v);
    }
    json_object_object_add(o, "learner", json_object_new_string(n->cfg->name));
    json_object_object_add(o, "applied", json_object_new_int64((int64_t)l->applied));
    json_object_object_add(o, "count", json_object_new_int64((int64_t)l->log_len));
    json_object_object_add(o, "more", json_object_new_boolean(end < l->log_len));
    json_object_object_add(o, "values", values);
    node_reply_json(req, 200, o);
}

static void learner_on_get_values(struct http_request *req, void *ud)
{
    struct node *n = ud;
    struct learner_node *ln = learner_node_of(n);
    uint64_t wait_for = 0, from = 1, limit = SIZE_MAX;

    if (node_query_number(n, req, "wait_for", 0, INT64_MAX, &wait_for) < 0 ||
        node_query_number(n, req, "from", 1, INT64_MAX, &from) < 0 ||
        node_query_number(n, req, "limit", 1, INT64_MAX, &limit) < 0)
        return;
    if (wait_for <= ln->l.applied) {
        learner_reply_values(n, req, from, limit);
        return;
    }
    if (ln->n_waiters == ln->cap_waiters) {
        size_t cap = ln->cap_waiters ? ln->cap_waiters * 2 : 16;
        struct values_waiter *grown = realloc(ln->waiters, cap * sizeof(*grown));
        if (!grown) {
            httpd_reply_error(req, 503, "out of memory");
            return;
        }
        ln->waiters = grown;
        ln->cap_waiters = cap;
    }
    ln->waiters[ln->n_waiters++] = (struct values_waiter){
        req, wait_for, from, limit,
        loop_now_ms() + n->cfg->request_timeout_ms };
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
            learner_reply_values(n, w->req, w->from, w->limit);
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

static void learner_on_learn_msg(struct http_request *req, void *ud)
{
    struct node *n = ud;
    struct learner_node *ln = learner_node_of(n);
    uint64_t applied = ln->l.applied;
    struct msg m;
    int acceptor;

    if (node_decode(n, req, MSG_LEARN, &m) < 0)
        return;
    acceptor = config_acceptor_index(n->cfg, m.from);
    if (acceptor < 0) {
        node_reply_bad(n, req, 400, "learn from a node that is not a "
                                    "configured acceptor");
        goto out;
    }
    ln->learns++;
    if (learner_on_learn(&ln->l, (size_t)acceptor, m.ballot, m.commit,
                         m.entries, m.n_entries) < 0)
        learner_fatal_memory();
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
        log_warn("catch-up: acceptor %zu did not answer: %d %s", ctx->acceptor,
                 status, status ? body : err);
        goto out;
    }
    if (msg_decode(MSG_LISTING, body, len, n->cfg->max_value, &m, why,
                   sizeof(why)) < 0) {
        log_warn("bad listing from acceptor %zu: %s", ctx->acceptor, why);
        goto out;
    }
    if (learner_on_listing(&ln->l, ctx->acceptor, m.commit, m.from_slot,
                           m.upto, m.entries, m.n_entries) < 0)
        learner_fatal_memory();
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

static void learner_start_round(struct node *n, int64_t now)
{
    struct learner_node *ln = learner_node_of(n);
    char path[64];

    snprintf(path, sizeof(path), "/accepted?from=%llu",
             (unsigned long long)learner_round_begin(&ln->l));
    ln->round_applied = ln->l.applied;
    ln->last_round_at = now;
    ln->rounds++;
    for (size_t i = 0; i < n->cfg->n_acceptors; i++) {
        struct listing_ctx *ctx = malloc(sizeof(*ctx));
        if (!ctx)
            learner_fatal_memory();
        *ctx = (struct listing_ctx){ n, i };
        ln->round_outstanding++;
        if (node_send(n, config_node(n->cfg, n->cfg->acceptors[i]), path,
                      NULL, learner_on_listing_answer, ctx) < 0) {
            ln->round_outstanding--;
            free(ctx);
        }
    }
}

static bool learner_wants_more(const struct learner_node *ln)
{
    for (size_t i = 0; i < ln->n_waiters; i++)
        if (ln->waiters[i].wait_for > ln->l.applied)
            return true;
    return learner_behind(&ln->l);
}

static void learner_tick(struct node *n, int64_t now)
{
    struct learner_node *ln = learner_node_of(n);

    learner_answer_waiters(n, now);
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
        node_send(n, client, "/notify", body, node_ignore_answer, NULL);
    free(body);
    m->n_entries = 0;
}

/* Tells each client node which of its writes were applied, in batches. */
static void learner_notify_clients(struct node *n)
{
    struct learner_node *ln = learner_node_of(n);
    struct learner *l = &ln->l;
    struct msg_entry *batch;

    if (ln->notified == l->log_len)
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
        for (size_t i = ln->notified; i < l->log_len; i++) {
            if (strcmp(l->log[i].value.client, id) != 0)
                continue;
            batch[m.n_entries++] = (struct msg_entry){ .slot = l->log[i].slot,
                                                       .value = l->log[i].value };
            if (m.n_entries == LEARNER_NOTIFY_BATCH)
                learner_send_notify(n, client, &m);
        }
        if (m.n_entries)
            learner_send_notify(n, client, &m);
    }
    free(batch);
    ln->notified = l->log_len;
}

static void learner_flush(struct node *n)
{
    learner_answer_waiters(n, loop_now_ms());
    learner_notify_clients(n);
}

static int learner_start(struct node *n)
{
    struct learner_node *ln = calloc(1, sizeof(*ln));

    if (!ln)
        return -1;
    n->role = ln;
    if (learner_init(&ln->l, n->cfg->n_acceptors) < 0)
        return -1;
    ln->last_round_at = loop_now_ms() - LEARNER_ANTI_ENTROPY_MS;  /* at once */
    if (node_route(n, "POST", "/learn", ROUTE_PEER, learner_on_learn_msg, n) < 0 ||
        node_route(n, "GET", "/get-values", ROUTE_USER, learner_on_get_values, n) < 0)
        return -1;
    return 0;
}

static void learner_status(struct node *n, struct json_object *o)
{
    struct learner_node *ln = learner_node_of(n);
    struct learner *l = &ln->l;
    struct json_object *recent = json_object_new_array();

    for (size_t i = l->log_len > 10 ? l->log_len - 10 : 0; i < l->log_len; i++)
        json_object_array_add(recent, node_json_value(l->log[i].slot,
                                                      &l->log[i].value));
    json_object_object_add(o, "applied", json_object_new_int64((int64_t)l->applied));
    json_object_object_add(o, "known_commit", json_object_new_int64((int64_t)l->known_commit));
    json_object_object_add(o, "highest_heard", json_object_new_int64((int64_t)l->highest_heard));
    json_object_object_add(o, "values_count", json_object_new_int64((int64_t)l->log_len));
    json_object_object_add(o, "noops", json_object_new_int64((int64_t)l->skipped_noops));
    json_object_object_add(o, "duplicates_skipped", json_object_new_int64((int64_t)l->skipped_duplicates));
    json_object_object_add(o, "learns", json_object_new_int64((int64_t)ln->learns));
    json_object_object_add(o, "catchup_rounds", json_object_new_int64((int64_t)ln->rounds));
    json_object_object_add(o, "recent", recent);
}

static void learner_stop(struct node *n)
{
    struct learner_node *ln = learner_node_of(n);

    learner_free(&ln->l);
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
                   NULL, (double)l->log_len);
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

const struct role_ops learner_role = {
    .start = learner_start, .tick = learner_tick, .flush = learner_flush,
    .status = learner_status, .metrics = learner_metrics,
    .stop = learner_stop,
};
