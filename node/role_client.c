/* role_client.c -- the client node: /send writes a value and answers once
 * it is chosen, /read returns the log with every write acknowledged before
 * the read began, /get-responses lists the outcomes, /notify takes the
 * learners' word that a write was applied.
 *
 * Each write gets an identity (this node's id, a sequence number unique
 * across restarts) so that retrying it, after a timeout or a leader
 * change, never applies it twice. A request is retried against the
 * leader a proposer names, or the next proposer, until it succeeds or the
 * request timeout runs out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "log.h"
#include "metrics.h"
#include "net/codec.h"
#include "node.h"
#include "page.h"

#define CLIENT_RESPONSES_KEPT 1000

enum op_kind { OP_WRITE, OP_READ };
/* unknown: the request timed out; the write may still be chosen, and a
 * learner's notification later says so. */
enum op_status { OP_CHOSEN, OP_FAILED, OP_UNKNOWN };

struct client_op {
    struct node *node;
    enum op_kind kind;
    struct http_request *req;
    uint64_t seq;
    char *value;                /* OP_WRITE */
    int64_t started, deadline;
    int attempts;
    uint64_t index;             /* OP_READ: slot the learner must reach */
    struct values_query query;  /* OP_READ: which values */
    bool have_index;
    size_t learner;             /* OP_READ: learner being asked */
    struct msg chosen;          /* OP_WRITE: the leader's answer (CHOSEN) */
    uint64_t applied_slot;      /* OP_WRITE: where a learner applied it */
    uint64_t wait_timer;        /* OP_WRITE: waiting for a learner to say */
    char last_error[200];
    struct client_op *next;     /* in the pending list */
};

struct response {               /* the record /get-responses shows */
    uint64_t seq;
    char *value;
    enum op_status status;
    uint64_t slot;
    int64_t latency_ms;
    int attempts;
    uint32_t learned_by;        /* bit i: learner number i applied it */
    char error[200];
};

struct client_node {
    char id[16];
    uint64_t next_seq;
    size_t leader;              /* index in proposers[] believed to lead */
    const struct node_info *proposers[CLUSTER_MAX_NODES];
    size_t n_proposers;
    const struct node_info *learners[32];
    size_t n_learners;
    struct client_op *pending;
    struct response responses[CLIENT_RESPONSES_KEPT];
    size_t n_responses, next_response;
    uint64_t writes_ok, writes_failed, reads_ok, reads_failed, notifies;
};

static struct client_node *client_node_of(struct node *n)
{
    return n->role;
}

static void client_attempt(struct client_op *op);

static void client_unlink(struct client_node *cn, struct client_op *op)
{
    for (struct client_op **pp = &cn->pending; *pp; pp = &(*pp)->next)
        if (*pp == op) {
            *pp = op->next;
            return;
        }
}

static struct response *client_find_response(struct client_node *cn,
                                             uint64_t seq)
{
    for (size_t i = 0; i < cn->n_responses; i++) {
        size_t at = (cn->next_response + CLIENT_RESPONSES_KEPT - 1 - i) %
                    CLIENT_RESPONSES_KEPT;
        if (cn->responses[at].seq == seq)
            return &cn->responses[at];
    }
    return NULL;
}

static void client_record(struct client_node *cn, const struct client_op *op,
                          enum op_status status, uint64_t slot)
{
    struct response *r = &cn->responses[cn->next_response];

    free(r->value);
    *r = (struct response){ .seq = op->seq, .value = op->value,
                            .status = status, .slot = slot,
                            .latency_ms = loop_now_ms() - op->started,
                            .attempts = op->attempts };
    snprintf(r->error, sizeof(r->error), "%s",
             status != OP_CHOSEN ? op->last_error : "");
    cn->next_response = (cn->next_response + 1) % CLIENT_RESPONSES_KEPT;
    if (cn->n_responses < CLIENT_RESPONSES_KEPT)
        cn->n_responses++;
}

/* Ends op: answers its request and forgets it. */
static void client_finish(struct client_op *op, int status,
                          struct json_object *reply)
{
    struct client_node *cn = client_node_of(op->node);

    client_unlink(cn, op);
    peer_reply_json(op->req, status, reply);
    if (op->kind == OP_WRITE && status != 200) {
        cn->writes_failed++;
        client_record(cn, op, status == 504 ? OP_UNKNOWN : OP_FAILED, 0);
        op->value = NULL;       /* the record owns it now */
    }
    free(op->value);
    free(op);
}

static void client_fail(struct client_op *op, int status, const char *why)
{
    struct json_object *o = json_object_new_object();

    json_object_object_add(o, "error", json_object_new_string(why));
    if (op->kind == OP_WRITE)   /* a timed-out write may still be chosen */
        json_object_object_add(o, "status", json_object_new_string(
            status == 504 ? "unknown" : "failed"));
    snprintf(op->last_error, sizeof(op->last_error), "%s", why);
    if (op->kind == OP_READ)
        client_node_of(op->node)->reads_failed++;
    client_finish(op, status, o);
}

static void client_on_retry_timer(struct loop *l, void *ud)
{
    client_attempt(ud);
}

/* Tries again after delay_ms, or gives up when the deadline is near. */
static void client_retry(struct client_op *op, int64_t delay_ms)
{
    char why[300];

    if (loop_now_ms() + delay_ms >= op->deadline) {
        snprintf(why, sizeof(why), "no answer within %d ms (last error: %s)",
                 op->node->cfg->request_timeout_ms, op->last_error);
        client_fail(op, 504, why);
        return;
    }
    if (!loop_timer(op->node->loop, delay_ms, client_on_retry_timer, op))
        client_fail(op, 503, "out of memory");
}

/* After a refusal or a failure: follow the leader a proposer named, or
 * move on to the next proposer. */
static int64_t client_next_target(struct client_node *cn, const char *body,
                                  size_t len)
{
    struct json_object *o = json_tokener_parse(body);
    struct json_object *leader;
    int64_t delay = 100;

    if (o && json_object_object_get_ex(o, "leader", &leader) &&
        json_object_is_type(leader, json_type_int)) {
        for (size_t i = 0; i < cn->n_proposers; i++)
            if (cn->proposers[i]->id == (uint32_t)json_object_get_int64(leader)) {
                delay = i == cn->leader ? 100 : 0;
                cn->leader = i;
                json_object_put(o);
                return delay;
            }
    }
    json_object_put(o);
    cn->leader = (cn->leader + 1) % cn->n_proposers;
    return delay;
}

static void client_note_error(struct client_op *op, int status,
                              const char *body, const char *err)
{
    struct json_object *o = status ? json_tokener_parse(body) : NULL;
    struct json_object *e;
    const char *text = err ? err : "";

    if (o && json_object_object_get_ex(o, "error", &e))
        text = json_object_get_string(e);
    snprintf(op->last_error, sizeof(op->last_error), "%d %s", status, text);
    json_object_put(o);
}

/* Answers a chosen write. Its slot is where the log holds it: a retried
 * write can be chosen twice (a first attempt that was chosen after all,
 * then the retry), and is applied at the first; a learner said which
 * (without word from one before the deadline: the leader's slot). */
static void client_write_chosen(struct client_op *op)
{
    struct node *n = op->node;
    struct client_node *cn = client_node_of(n);
    uint64_t slot = op->applied_slot ? op->applied_slot : op->chosen.slot;
    struct json_object *o = json_object_new_object();

    json_object_object_add(o, "status", json_object_new_string("chosen"));
    json_object_object_add(o, "slot", json_object_new_int64((int64_t)slot));
    json_object_object_add(o, "value", json_object_new_string(op->value));
    json_object_object_add(o, "client_id", json_object_new_string(cn->id));
    json_object_object_add(o, "seq", json_object_new_int64((int64_t)op->seq));
    json_object_object_add(o, "leader",
                           json_object_new_string(config_name(n->cfg, op->chosen.from)));
    json_object_object_add(o, "ballot", codec_ballot_json(op->chosen.ballot));
    json_object_object_add(o, "attempts", json_object_new_int(op->attempts));
    json_object_object_add(o, "latency_ms",
                           json_object_new_int64(loop_now_ms() - op->started));
    cn->writes_ok++;
    client_record(cn, op, OP_CHOSEN, slot);
    op->value = NULL;           /* the record owns it now */
    msg_free(&op->chosen);
    client_finish(op, 200, o);
}

static void client_on_learner_wait(struct loop *l, void *ud)
{
    struct client_op *op = ud;

    op->wait_timer = 0;
    client_write_chosen(op);    /* no learner said: the leader's slot */
}

static void client_on_write_answer(void *ud, int status, const char *body,
                                   size_t len, const char *err)
{
    struct client_op *op = ud;
    struct node *n = op->node;
    struct client_node *cn = client_node_of(n);
    char why[160];

    if (status == 200) {
        if (msg_decode(MSG_CHOSEN, body, len, n->cfg->max_value, &op->chosen,
                       why, sizeof(why)) < 0) {
            snprintf(op->last_error, sizeof(op->last_error),
                     "bad answer from the leader: %s", why);
            client_retry(op, 100);
            return;
        }
        /* A retried write waits, within its deadline, for a learner to
         * say where the log holds it: learners apply in slot order, so
         * one that reaches this slot has met the first copy. */
        if (op->attempts > 1 && !op->applied_slot && cn->n_learners &&
            op->deadline > loop_now_ms() &&
            (op->wait_timer = loop_timer(n->loop, op->deadline - loop_now_ms(),
                                         client_on_learner_wait, op)))
            return;
        client_write_chosen(op);
        return;
    }
    client_note_error(op, status, body, err);
    if (status >= 400 && status < 500) {    /* our request is wrong */
        client_fail(op, status, op->last_error);
        return;
    }
    client_retry(op, client_next_target(cn, status ? body : "", len));
}

static void client_on_values_answer(void *ud, int status, const char *body,
                                    size_t len, const char *err)
{
    struct client_op *op = ud;
    struct client_node *cn = client_node_of(op->node);
    struct json_object *o;

    if (status == 200 && (o = json_tokener_parse(body))) {
        json_object_object_add(o, "index", json_object_new_int64((int64_t)op->index));
        cn->reads_ok++;
        client_finish(op, 200, o);
        return;
    }
    client_note_error(op, status, body, err);
    op->learner = (op->learner + 1) % cn->n_learners;
    client_retry(op, 50);
}

static void client_on_index_answer(void *ud, int status, const char *body,
                                   size_t len, const char *err)
{
    struct client_op *op = ud;
    struct json_object *o = status == 200 ? json_tokener_parse(body) : NULL;
    struct json_object *index;

    if (o && json_object_object_get_ex(o, "index", &index) &&
        json_object_is_type(index, json_type_int)) {
        op->index = (uint64_t)json_object_get_int64(index);
        op->have_index = true;
        json_object_put(o);
        client_attempt(op);
        return;
    }
    json_object_put(o);
    client_note_error(op, status, body, err);
    client_retry(op, client_next_target(client_node_of(op->node),
                                        status ? body : "", len));
}

static void client_attempt(struct client_op *op)
{
    struct node *n = op->node;
    struct client_node *cn = client_node_of(n);
    const struct node_info *proposer = cn->proposers[cn->leader];
    long timeout = op->deadline - loop_now_ms();
    char path[128], query[64];
    int rc;

    op->attempts++;
    if (timeout < 1) {
        client_retry(op, 0);
        return;
    }
    if (op->kind == OP_READ && op->have_index) {
        peer_values_query_path(&op->query, query, sizeof(query));
        snprintf(path, sizeof(path), "/get-values?wait_for=%llu%s",
                 (unsigned long long)op->index, query);
        rc = peer_request(n->peer, cn->learners[op->learner], ROUTE_USER, path, NULL,
                          NULL, timeout, client_on_values_answer, op);
    } else if (op->kind == OP_READ) {
        rc = peer_request(n->peer, proposer, ROUTE_USER, "/read-index", "{}", NULL,
                          timeout, client_on_index_answer, op);
    } else {
        struct msg m = { .type = MSG_PROPOSE,
                         .value = { op->value, cn->id, op->seq } };
        char *body = msg_encode(&m);
        rc = body ? peer_request(n->peer, proposer, ROUTE_USER, "/propose", body,
                                 NULL, timeout, client_on_write_answer, op)
                  : -1;
        free(body);
    }
    if (rc < 0) {
        snprintf(op->last_error, sizeof(op->last_error), "cannot send");
        client_retry(op, 100);
    }
}

static struct client_op *client_op_new(struct node *n, enum op_kind kind,
                                       struct http_request *req)
{
    struct client_node *cn = client_node_of(n);
    struct client_op *op = calloc(1, sizeof(*op));

    if (!op)
        return NULL;
    op->node = n;
    op->kind = kind;
    op->req = req;
    op->started = loop_now_ms();
    op->deadline = op->started + n->cfg->request_timeout_ms;
    op->next = cn->pending;
    cn->pending = op;
    return op;
}

static void client_on_send(struct http_request *req, void *ud)
{
    struct node *n = ud;
    struct client_node *cn = client_node_of(n);
    struct msg m;
    struct client_op *op;

    if (peer_decode(n->peer, req, MSG_PROPOSE, &m) < 0)
        return;
    op = client_op_new(n, OP_WRITE, req);
    if (!op) {
        msg_free(&m);
        httpd_reply_error(req, 503, "out of memory");
        return;
    }
    op->value = m.value.data;           /* taken from the message */
    m.value.data = NULL;
    op->seq = cn->next_seq++;
    msg_free(&m);
    client_attempt(op);
}

static void client_on_read(struct http_request *req, void *ud)
{
    struct node *n = ud;
    struct values_query q;
    struct client_op *op;

    if (peer_values_query(n->peer, req, &q) < 0)
        return;
    if (!client_node_of(n)->n_learners) {
        httpd_reply_error(req, 503, "no learner in SEED_NODES to read from");
        return;
    }
    op = client_op_new(n, OP_READ, req);
    if (!op) {
        httpd_reply_error(req, 503, "out of memory");
        return;
    }
    op->query = q;
    client_attempt(op);
}

/* A learner applied write seq at slot: a write still in progress learns
 * where the log holds it, and one waiting for that is answered. */
static void client_note_applied(struct client_node *cn, uint64_t seq,
                                uint64_t slot)
{
    struct client_op *op = cn->pending;

    while (op && !(op->kind == OP_WRITE && op->seq == seq))
        op = op->next;
    if (!op || op->applied_slot)
        return;
    op->applied_slot = slot;
    if (op->wait_timer) {
        loop_cancel(op->node->loop, op->wait_timer);
        op->wait_timer = 0;
        client_write_chosen(op);
    }
}

static void client_on_notify(struct http_request *req, void *ud)
{
    struct node *n = ud;
    struct client_node *cn = client_node_of(n);
    struct msg m;
    size_t learner = cn->n_learners;

    if (peer_decode(n->peer, req, MSG_NOTIFY, &m) < 0)
        return;
    for (size_t i = 0; i < cn->n_learners; i++)
        if (cn->learners[i]->id == m.from)
            learner = i;
    if (learner == cn->n_learners) {
        peer_reply_bad(n->peer, req, 400, "notify from a node that is not a "
                                    "configured learner");
        msg_free(&m);
        return;
    }
    cn->notifies++;
    for (size_t i = 0; i < m.n_entries; i++) {
        struct response *r;
        const char *client = m.entries[i].value.client;
        if (!client || strcmp(client, cn->id) != 0)
            continue;
        client_note_applied(cn, m.entries[i].value.seq, m.entries[i].slot);
        r = client_find_response(cn, m.entries[i].value.seq);
        if (!r)
            continue;
        r->learned_by |= 1u << learner;
        if (r->status != OP_CHOSEN) {   /* it was chosen after all */
            r->status = OP_CHOSEN;
            r->slot = m.entries[i].slot;
            r->error[0] = '\0';
        }
    }
    msg_free(&m);
    httpd_reply(req, 200, strdup("{}"));
}

static const char *client_status_name(enum op_status s)
{
    switch (s) {
    case OP_CHOSEN: return "chosen";
    case OP_FAILED: return "failed";
    case OP_UNKNOWN: break;
    }
    return "unknown";
}

static struct json_object *client_response_json(const struct client_node *cn,
                                                const struct response *r)
{
    struct json_object *o = json_object_new_object();
    struct json_object *by = json_object_new_array();

    json_object_object_add(o, "seq", json_object_new_int64((int64_t)r->seq));
    json_object_object_add(o, "value", json_object_new_string(r->value ? r->value : ""));
    json_object_object_add(o, "status", json_object_new_string(client_status_name(r->status)));
    if (r->status == OP_CHOSEN)
        json_object_object_add(o, "slot", json_object_new_int64((int64_t)r->slot));
    else
        json_object_object_add(o, "error", json_object_new_string(r->error));
    json_object_object_add(o, "latency_ms", json_object_new_int64(r->latency_ms));
    json_object_object_add(o, "attempts", json_object_new_int(r->attempts));
    for (size_t i = 0; i < cn->n_learners; i++)
        if (r->learned_by >> i & 1)
            json_object_array_add(by, json_object_new_string(cn->learners[i]->name));
    json_object_object_add(o, "learned_by", by);
    return o;
}

/* The kept responses, oldest first; at most the last `last` of them. */
static struct json_object *client_responses_json(const struct client_node *cn,
                                                 size_t last)
{
    struct json_object *a = json_object_new_array();
    size_t count = cn->n_responses < last ? cn->n_responses : last;

    for (size_t i = count; i > 0; i--) {
        size_t at = (cn->next_response + CLIENT_RESPONSES_KEPT - i) %
                    CLIENT_RESPONSES_KEPT;
        json_object_array_add(a, client_response_json(cn, &cn->responses[at]));
    }
    return a;
}

static void client_on_get_responses(struct http_request *req, void *ud)
{
    struct node *n = ud;
    struct client_node *cn = client_node_of(n);
    struct json_object *o = json_object_new_object();
    size_t pending = 0;

    for (struct client_op *op = cn->pending; op; op = op->next)
        pending += op->kind == OP_WRITE;
    json_object_object_add(o, "client", json_object_new_string(n->cfg->name));
    json_object_object_add(o, "client_id", json_object_new_string(cn->id));
    json_object_object_add(o, "pending", json_object_new_int64((int64_t)pending));
    json_object_object_add(o, "responses",
                           client_responses_json(cn, CLIENT_RESPONSES_KEPT));
    peer_reply_json(req, 200, o);
}

static int client_start(struct node *n)
{
    struct client_node *cn = calloc(1, sizeof(*cn));
    struct timeval tv;

    if (!cn)
        return -1;
    n->role = cn;
    snprintf(cn->id, sizeof(cn->id), "%u", (unsigned)n->cfg->id);
    gettimeofday(&tv, NULL);
    /* Unique across restarts: microseconds since the epoch at start. */
    cn->next_seq = (uint64_t)tv.tv_sec * 1000000 + (uint64_t)tv.tv_usec;
    for (size_t i = 0; i < n->cfg->n_nodes; i++) {
        const struct node_info *peer = &n->cfg->nodes[i];
        if (peer->role == ROLE_PROPOSER)
            cn->proposers[cn->n_proposers++] = peer;
        else if (peer->role == ROLE_LEARNER && cn->n_learners < 32)
            cn->learners[cn->n_learners++] = peer;
    }
    if (!cn->n_learners)
        log_warn("no learner in SEED_NODES: /read cannot work");
    return page_route(n->peer);
}

static void client_tick(struct node *n, int64_t now)
{
}

static void client_flush(struct node *n)
{
}

static void client_status(struct node *n, struct json_object *o)
{
    struct client_node *cn = client_node_of(n);

    json_object_object_add(o, "leader",
                           json_object_new_int64(cn->proposers[cn->leader]->id));
    json_object_object_add(o, "leader_name",
                           json_object_new_string(cn->proposers[cn->leader]->name));
    json_object_object_add(o, "writes_ok", json_object_new_int64((int64_t)cn->writes_ok));
    json_object_object_add(o, "writes_failed", json_object_new_int64((int64_t)cn->writes_failed));
    json_object_object_add(o, "reads_ok", json_object_new_int64((int64_t)cn->reads_ok));
    json_object_object_add(o, "reads_failed", json_object_new_int64((int64_t)cn->reads_failed));
    json_object_object_add(o, "notifies", json_object_new_int64((int64_t)cn->notifies));
    json_object_object_add(o, "recent", client_responses_json(cn, 10));
}

static void client_stop(struct node *n)
{
    struct client_node *cn = client_node_of(n);

    while (cn->pending) {
        struct client_op *op = cn->pending;
        cn->pending = op->next;
        msg_free(&op->chosen);
        free(op->value);
        free(op);
    }
    for (size_t i = 0; i < cn->n_responses; i++)
        free(cn->responses[i].value);
    free(cn);
    n->role = NULL;
}

static void client_metrics(struct node *n, FILE *out)
{
    struct client_node *cn = client_node_of(n);

    metrics_sample(out, "gauge", "paxos_leader_id",
                   "The proposer this client sends writes to.", NULL,
                   cn->proposers[cn->leader]->id);
    metrics_sample(out, "counter", "paxos_writes_acknowledged_total",
                   "Writes answered once chosen.", NULL, (double)cn->writes_ok);
    metrics_sample(out, "counter", "paxos_writes_failed_total",
                   "Writes that failed or timed out.", NULL,
                   (double)cn->writes_failed);
    fputs("# HELP paxos_reads_total Linearizable reads, by result.\n"
          "# TYPE paxos_reads_total counter\n", out);
    fprintf(out, "paxos_reads_total{result=\"ok\"} %llu\n"
                 "paxos_reads_total{result=\"failed\"} %llu\n",
            (unsigned long long)cn->reads_ok,
            (unsigned long long)cn->reads_failed);
}

/* Every route of the role; handlers get the node as ud. */
static const struct route client_routes[] = {
    { "POST", "/send", ROUTE_USER, client_on_send },
    { "GET", "/read", ROUTE_USER, client_on_read },
    { "POST", "/notify", ROUTE_PEER, client_on_notify },
    { "GET", "/get-responses", ROUTE_USER, client_on_get_responses },
};

const struct role_ops client_role = {
    .routes = client_routes,
    .n_routes = sizeof client_routes / sizeof client_routes[0],
    .start = client_start, .tick = client_tick, .flush = client_flush,
    .status = client_status, .metrics = client_metrics, .stop = client_stop,
};
