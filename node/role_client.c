/* role_client.c -- the client node: POST /send, GET /read,
 * GET /get-responses and POST /notify over the client rules
 * (core/client.h), and the requests it sends to proposers and learners.
 *
 * /send writes a value and answers once it is chosen, /read returns the
 * log with every write acknowledged before the read began,
 * /get-responses lists the outcomes, /notify takes the learners' word
 * that a write was applied. The writes' sequence numbers are reserved in
 * DATA_DIR (see CLIENT_SEQ_BLOCK). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "array.h"
#include "core/client.h"
#include "jsonread.h"
#include "log.h"
#include "metrics.h"
#include "net/codec.h"
#include "node.h"
#include "page.h"
#include "store/wal.h"

/* Write identities are handed out in blocks of CLIENT_SEQ_BLOCK: the end
 * of the block is recorded in DATA_DIR/client-seq.wal before any number
 * in it is used, and a restarted client starts past every block recorded
 * (and past the clock in microseconds, for a data directory that was
 * lost), so no sequence number ever names two values. */
#define CLIENT_SEQ_BLOCK 1000000
#define CLIENT_SEQ_FILE "client-seq.wal"
#define NOTE_SEQ_LIMIT 1

struct client_node {
    struct client c;
    struct wal *seqs;
    uint64_t seq_limit;         /* numbers below it are recorded */
};

/* A request in flight to a proposer or a learner: whose answer it is. */
struct client_call {
    struct node *node;
    struct client_op *op;
};

static struct client_node *client_node_of(struct node *n)
{
    return n->role;
}

static struct client *client_of(struct node *n)
{
    return &client_node_of(n)->c;
}

/* Records that numbers up to from + CLIENT_SEQ_BLOCK may be used. */
static int client_reserve_seqs(struct client_node *cn, uint64_t from)
{
    if (wal_append_note(cn->seqs, NOTE_SEQ_LIMIT, from + CLIENT_SEQ_BLOCK,
                        "") < 0 ||
        wal_sync(cn->seqs) < 0)
        return -1;
    cn->seq_limit = from + CLIENT_SEQ_BLOCK;
    return 0;
}

static void client_note_seq_limit(void *ud, uint8_t kind, uint64_t number,
                                  const char *text, size_t len)
{
    struct client_node *cn = ud;

    (void)text;
    (void)len;
    if (kind == NOTE_SEQ_LIMIT && number > cn->seq_limit)
        cn->seq_limit = number;
}

/* The op whose answer came, and its node; the call is over. */
static struct client_op *client_call_end(void *ud, struct node **n)
{
    struct client_call *call = ud;
    struct client_op *op = call->op;

    *n = call->node;
    free(call);
    return op;
}

/* Tells the client rules what a failed answer to ops[0..count) said:
 * its "error" (else the transport's) and the leader it names. */
static void client_report_failures(struct node *n, struct client_op **ops,
                                   size_t count, int status, const char *body,
                                   size_t len, const char *err)
{
    struct client_failure f = { .status = status, .error = err };
    char why[160];
    struct jr d = { why, sizeof(why) };
    const struct jr_path error_field = { .key = "error" };
    const struct jr_path leader_field = { .key = "leader" };
    json_object *doc = NULL, *error;

    if (status && jr_parse(&d, body, len, JSON_TOKENER_DEFAULT_DEPTH,
                           &doc) == 0) {
        error = jr_member(doc, &error_field);
        if (error && json_object_is_type(error, json_type_string))
            f.error = json_object_get_string(error);
        f.names_leader = jr_member(doc, &leader_field) &&
                         jr_u32(&d, doc, &leader_field, &f.leader) == 0;
    }
    client_on_failures(client_of(n), ops, count, &f, loop_now_ms());
    json_object_put(doc);
}

static void client_report_failure(struct node *n, struct client_op *op,
                                  int status, const char *body, size_t len,
                                  const char *err)
{
    client_report_failures(n, &op, 1, status, body, len, err);
}

static void client_on_index_answer(void *ud, int status, const char *body,
                                   size_t len, const char *err)
{
    struct node *n;
    struct client_op *op = client_call_end(ud, &n);
    char why[160];
    struct jr d = { why, sizeof(why) };
    json_object *doc = NULL;
    uint64_t index;

    if (status == 200 &&
        jr_parse(&d, body, len, JSON_TOKENER_DEFAULT_DEPTH, &doc) == 0 &&
        jr_uint(&d, doc, &(struct jr_path){ .key = "index" }, 0, UINT64_MAX,
                &index) == 0)
        client_on_read_index(client_of(n), op, index, loop_now_ms());
    else
        client_report_failure(n, op, status, body, len, err);
    json_object_put(doc);
}

/* A learner's values go to the user as they are, with the read index. */
static void client_on_values_answer(void *ud, int status, const char *body,
                                    size_t len, const char *err)
{
    struct node *n;
    struct client_op *op = client_call_end(ud, &n);
    char why[160];
    struct jr d = { why, sizeof(why) };
    json_object *doc = NULL;

    if (status == 200 &&
        jr_parse(&d, body, len, JSON_TOKENER_DEFAULT_DEPTH, &doc) == 0)
        client_on_values(client_of(n), op, doc);   /* the reply, later */
    else
        client_report_failure(n, op, status, body, len, err);
}

/* Sends o's request to its peer; the answer goes to done. */
static int client_request(struct node *n, const struct client_out *o,
                          const char *path, const char *body,
                          httpc_done_fn done)
{
    struct client_call *call = malloc(sizeof(*call));

    if (!call)
        return -1;
    *call = (struct client_call){ .node = n, .op = o->op };
    if (peer_request(n->peer, o->peer, ROUTE_USER, path, body, NULL,
                     (long)o->timeout_ms, done, call) < 0) {
        free(call);
        return -1;
    }
    return 0;
}

/* The writes of one POST /writes, in the order of its "writes". */
struct client_batch {
    struct node *node;
    size_t n;
    struct client_op *ops[];
};

/* One result per write: chosen at a slot, or failed with the status the
 * leader gave (a per-write failure names the leader that answered). */
static void client_on_written(void *ud, int status, const char *body,
                              size_t len, const char *err)
{
    struct client_batch *b = ud;
    struct client *c = client_of(b->node);
    int64_t now = loop_now_ms();
    struct msg m;
    char why[160];

    if (status != 200) {
        client_report_failures(b->node, b->ops, b->n, status, body, len, err);
    } else if (msg_decode(MSG_WRITTEN, body, len, b->node->cfg->max_value,
                          &m, why, sizeof(why)) < 0 || m.n_results != b->n) {
        if (m.type == MSG_WRITTEN)      /* it was read: the count is wrong */
            snprintf(why, sizeof(why), "%zu results for %zu writes",
                     m.n_results, b->n);
        for (size_t i = 0; i < b->n; i++)
            client_on_unreadable(c, b->ops[i], why, now);
        msg_free(&m);
    } else {
        for (size_t i = 0; i < b->n; i++) {
            const struct msg_result *r = &m.results[i];
            struct client_failure f = { .status = r->status, .error = r->error,
                                        .names_leader = true,
                                        .leader = m.from };
            if (r->slot)
                client_on_chosen(c, b->ops[i], r->slot, r->ballot, m.from,
                                 now);
            else
                client_on_failure(c, b->ops[i], &f, now);
        }
        msg_free(&m);
    }
    free(b);
}

/* Sends the writes o[0..n) (all SEND_PROPOSE to one proposer) as one
 * POST /writes: one request and one answer for the lot. It waits as long
 * as the latest deadline among them; an earlier one is answered when the
 * batch's answer comes. */
static void client_send_writes(struct node *n, const struct client_out *o,
                               size_t count)
{
    struct client *c = client_of(n);
    struct client_batch *b = malloc(sizeof(*b) + count * sizeof(b->ops[0]));
    struct msg_entry *writes = calloc(count, sizeof(*writes));
    struct msg m = { .type = MSG_WRITES, .from = n->cfg->id,
                     .entries = writes, .n_entries = count };
    int64_t timeout = 1;
    char *body = NULL;

    if (!b || !writes)
        goto fail;
    b->node = n;
    b->n = count;
    for (size_t i = 0; i < count; i++) {
        b->ops[i] = o[i].op;
        writes[i].value = (struct pvalue){ o[i].op->value, c->client_id,
                                           o[i].op->seq };
        if (o[i].timeout_ms > timeout)
            timeout = o[i].timeout_ms;
    }
    m.n_entries = count;
    if (!(body = msg_encode(&m)) ||
        peer_request(n->peer, o[0].peer, ROUTE_PEER, "/writes", body, NULL,
                     (long)timeout, client_on_written, b) < 0)
        goto fail;
    free(body);
    free(writes);
    return;
fail:
    for (size_t i = 0; i < count; i++)
        client_on_send_failed(c, o[i].op, loop_now_ms());
    free(body);
    free(writes);
    free(b);
}

static int client_send_get_values(struct node *n, const struct client_out *o)
{
    char path[128];

    snprintf(path, sizeof(path), "/get-values?wait_for=%llu%s",
             (unsigned long long)o->op->index, o->op->query);
    return client_request(n, o, path, NULL, client_on_values_answer);
}

/* Written straight as text: one answer per write. */
static void client_reply_chosen(struct node *n, const struct client_out *o)
{
    const struct client_op *op = o->op;
    struct jw w = JW_INIT;
    char *body;

    jw_open(&w, '{');
    jw_key(&w, "status");
    jw_str(&w, "chosen");
    jw_key(&w, "slot");
    jw_u64(&w, o->slot);
    jw_key(&w, "value");
    jw_str(&w, op->value);
    jw_key(&w, "client_id");
    jw_str(&w, client_of(n)->client_id);
    jw_key(&w, "seq");
    jw_u64(&w, op->seq);
    jw_key(&w, "leader");
    jw_str(&w, config_name(n->cfg, op->chosen_by));
    jw_key(&w, "ballot");
    codec_write_ballot(&w, op->chosen_ballot);
    jw_key(&w, "attempts");
    jw_i64(&w, op->attempts);
    jw_key(&w, "latency_ms");
    jw_i64(&w, o->latency_ms);
    jw_close(&w, '}');
    if ((body = jw_finish(&w)))
        httpd_reply(op->token, 200, body);
    else
        httpd_reply_error(op->token, 503, "out of memory");
}

static const char *client_outcome_name(enum client_outcome outcome)
{
    switch (outcome) {
    case CLIENT_CHOSEN: return "chosen";
    case CLIENT_FAILED: return "failed";
    case CLIENT_UNKNOWN: break;
    }
    return "unknown";
}

static void client_reply_failed(const struct client_out *o)
{
    struct json_object *r = json_object_new_object();

    json_object_object_add(r, "error", json_object_new_string(o->error));
    if (o->op->kind == CLIENT_WRITE)
        json_object_object_add(r, "status", json_object_new_string(
            client_outcome_name(o->outcome)));
    peer_reply_json(o->op->token, o->status, r);
}

static void client_reply_read(const struct client_out *o)
{
    json_object_object_add(o->op->answer, "index",
                           json_object_new_int64((int64_t)o->op->index));
    peer_reply_json(o->op->token, 200, o->op->answer);
}

/* The room one write takes in a /writes body, at most: its value
 * escaped (6 bytes a byte at worst) and its writer. */
static size_t client_write_room(const struct client_op *op)
{
    return strlen(op->value) * 6 + 80;
}

/* Sends the gathered writes w[0..n), one POST /writes per proposer and
 * per max-batch writes or max-body bytes. */
static void client_send_gathered(struct node *n, struct client_out *w,
                                 size_t count)
{
    size_t start = 0;

    while (start < count) {
        size_t end = start, room = 0, i;
        /* the writes for w[start]'s proposer come first */
        for (i = start; i < count; i++)
            if (w[i].peer == w[start].peer) {
                struct client_out t = w[end];
                w[end++] = w[i];
                w[i] = t;
            }
        for (i = start; i < end; i++) {
            room += client_write_room(w[i].op);
            if (i > start && (i - start == n->cfg->max_batch ||
                              room > n->cfg->max_body))
                break;
        }
        client_send_writes(n, &w[start], i - start);
        start = i;
    }
}

/* Sends what the client rules asked for and answers finished requests,
 * once per loop turn: the writes of the turn go together. Sending may
 * fail at once and ask for more, hence the loop. */
static void client_drain(struct node *n)
{
    struct client *c = client_of(n);
    struct client_out *writes = NULL;
    size_t n_writes, cap = 0;

    while (c->n_out) {
        n_writes = 0;
        for (size_t i = 0; i < c->n_out; i++) {
            struct client_out o = c->out[i];    /* a failed send adds */
            int rc = 0;
            switch (o.kind) {
            case CLIENT_SEND_PROPOSE:
                if (array_reserve(&writes, &cap, n_writes + 1) < 0)
                    rc = -1;
                else
                    writes[n_writes++] = o;
                break;
            case CLIENT_SEND_READ_INDEX:
                rc = client_request(n, &o, "/read-index", "{}",
                                    client_on_index_answer);
                break;
            case CLIENT_SEND_GET_VALUES:
                rc = client_send_get_values(n, &o);
                break;
            case CLIENT_REPLY_CHOSEN:
                client_reply_chosen(n, &o);
                break;
            case CLIENT_REPLY_READ:
                client_reply_read(&o);
                break;
            case CLIENT_REPLY_FAILED:
                client_reply_failed(&o);
                break;
            }
            if (rc < 0)
                client_on_send_failed(c, o.op, loop_now_ms());
        }
        client_out_clear(c);
        client_send_gathered(n, writes, n_writes);
    }
    free(writes);
}

static void client_on_send(struct http_request *req, void *ud)
{
    struct node *n = ud;
    struct msg m;

    if (peer_decode(n->peer, req, MSG_PROPOSE, &m) < 0)
        return;
    if (client_of(n)->next_seq >= client_node_of(n)->seq_limit &&
        client_reserve_seqs(client_node_of(n), client_of(n)->next_seq) < 0) {
        msg_free(&m);
        httpd_reply_error(req, 503, "cannot record write identities in "
                                    "DATA_DIR (see the log)");
        return;
    }
    if (client_write(client_of(n), m.value.data, req, loop_now_ms()) < 0) {
        msg_free(&m);
        httpd_reply_error(req, 503, "out of memory");
        return;
    }
    m.value.data = NULL;        /* the client rules took it */
    msg_free(&m);
}

static void client_on_read(struct http_request *req, void *ud)
{
    struct node *n = ud;
    struct values_query q;
    char query[64];

    if (peer_values_query(n->peer, req, &q) < 0)
        return;
    peer_values_query_path(&q, query, sizeof(query));
    switch (client_read(client_of(n), query, req, loop_now_ms())) {
    case CLIENT_READ_QUEUED:
        break;
    case CLIENT_READ_NO_LEARNER:
        httpd_reply_error(req, 503, "no learner in SEED_NODES to read from");
        break;
    case CLIENT_READ_NO_MEMORY:
        httpd_reply_error(req, 503, "out of memory");
        break;
    }
}

static void client_on_notify_msg(struct http_request *req, void *ud)
{
    struct node *n = ud;
    struct msg m;

    if (peer_decode(n->peer, req, MSG_NOTIFY, &m) < 0)
        return;
    if (client_on_notify(client_of(n), m.from, m.entries, m.n_entries,
                         loop_now_ms()) < 0) {
        peer_reply_bad(n->peer, req, 400, "notify from a node that is not a "
                                    "configured learner");
        msg_free(&m);
        return;
    }
    msg_free(&m);
    httpd_reply(req, 200, strdup("{}"));
}

static struct json_object *client_record_json(const struct client *c,
                                              const struct client_response *r)
{
    struct json_object *o = json_object_new_object();
    struct json_object *by = json_object_new_array();

    json_object_object_add(o, "seq", json_object_new_int64((int64_t)r->seq));
    json_object_object_add(o, "value",
                           json_object_new_string(r->value ? r->value : ""));
    json_object_object_add(o, "status", json_object_new_string(
        client_outcome_name(r->outcome)));
    if (r->outcome == CLIENT_CHOSEN)
        json_object_object_add(o, "slot",
                               json_object_new_int64((int64_t)r->slot));
    else
        json_object_object_add(o, "error", json_object_new_string(r->error));
    json_object_object_add(o, "latency_ms",
                           json_object_new_int64(r->latency_ms));
    json_object_object_add(o, "attempts", json_object_new_int(r->attempts));
    for (size_t i = 0; i < c->n_learners; i++)
        if (r->learned_by >> i & 1)
            json_object_array_add(by, json_object_new_string(
                c->learners[i]->name));
    json_object_object_add(o, "learned_by", by);
    return o;
}

/* The kept responses, oldest first; at most the last `last` of them. */
static struct json_object *client_responses_json(const struct client *c,
                                                 size_t last)
{
    struct json_object *a = json_object_new_array();
    size_t count = c->n_responses < last ? c->n_responses : last;

    for (size_t age = count; age > 0; age--)
        json_object_array_add(a, client_record_json(c,
                                  client_response(c, age - 1)));
    return a;
}

static void client_on_get_responses(struct http_request *req, void *ud)
{
    struct node *n = ud;
    struct client *c = client_of(n);
    struct json_object *o = json_object_new_object();

    json_object_object_add(o, "client", json_object_new_string(n->cfg->name));
    json_object_object_add(o, "client_id",
                           json_object_new_string(c->client_id));
    json_object_object_add(o, "pending", json_object_new_int64(
        (int64_t)client_pending_writes(c)));
    json_object_object_add(o, "responses",
                           client_responses_json(c, CLIENT_RESPONSES_KEPT));
    peer_reply_json(req, 200, o);
}

static int client_start(struct node *n)
{
    struct client_node *cn = calloc(1, sizeof(*cn));
    struct client_settings set = {
        .id = n->cfg->id, .request_timeout_ms = n->cfg->request_timeout_ms,
        .election_timeout_ms = n->cfg->election_timeout_ms,
        .nodes = n->cfg->nodes, .n_nodes = n->cfg->n_nodes,
    };
    const struct wal_replay replay = { .ud = cn,
                                       .note = client_note_seq_limit };
    struct timeval tv;

    if (!cn)
        return -1;
    n->role = cn;
    if (!(cn->seqs = wal_open(n->cfg->data_dir, CLIENT_SEQ_FILE,
                              n->cfg->fsync, &replay)))
        return -1;
    gettimeofday(&tv, NULL);
    set.first_seq = (uint64_t)tv.tv_sec * 1000000 + (uint64_t)tv.tv_usec;
    if (cn->seq_limit > set.first_seq)
        set.first_seq = cn->seq_limit;      /* the clock went back */
    if (client_reserve_seqs(cn, set.first_seq) < 0 ||
        client_init(&cn->c, &set) < 0)
        return -1;
    if (!cn->c.n_learners)
        log_warn("no learner in SEED_NODES: /read cannot work");
    return page_route(n->peer);
}

/* What the handlers, answers and timers of a turn asked for goes out
 * at its end (see client_drain). */
static void client_tick_role(struct node *n, int64_t now)
{
    client_tick(client_of(n), now);
}

static void client_flush(struct node *n)
{
    client_drain(n);
}

static void client_status(struct node *n, struct json_object *o)
{
    struct client *c = client_of(n);

    json_object_object_add(o, "leader",
                           json_object_new_int64(client_leader(c)->id));
    json_object_object_add(o, "leader_name",
                           json_object_new_string(client_leader(c)->name));
    json_object_object_add(o, "writes_ok",
                           json_object_new_int64((int64_t)c->writes_ok));
    json_object_object_add(o, "writes_failed",
                           json_object_new_int64((int64_t)c->writes_failed));
    json_object_object_add(o, "reads_ok",
                           json_object_new_int64((int64_t)c->reads_ok));
    json_object_object_add(o, "reads_failed",
                           json_object_new_int64((int64_t)c->reads_failed));
    json_object_object_add(o, "notifies",
                           json_object_new_int64((int64_t)c->notifies));
    json_object_object_add(o, "recent", client_responses_json(c, 10));
}

static void client_stop(struct node *n)
{
    struct client_node *cn = client_node_of(n);

    client_free(&cn->c);
    if (cn->seqs)
        wal_close(cn->seqs);
    free(cn);
    n->role = NULL;
}

static void client_metrics(struct node *n, FILE *out)
{
    struct client *c = client_of(n);

    metrics_sample(out, "gauge", "paxos_leader_id",
                   "The proposer this client sends writes to.", NULL,
                   client_leader(c)->id);
    metrics_sample(out, "counter", "paxos_writes_acknowledged_total",
                   "Writes answered once chosen.", NULL, (double)c->writes_ok);
    metrics_sample(out, "counter", "paxos_writes_failed_total",
                   "Writes that failed or timed out.", NULL,
                   (double)c->writes_failed);
    fputs("# HELP paxos_reads_total Linearizable reads, by result.\n"
          "# TYPE paxos_reads_total counter\n", out);
    fprintf(out, "paxos_reads_total{result=\"ok\"} %llu\n"
                 "paxos_reads_total{result=\"failed\"} %llu\n",
            (unsigned long long)c->reads_ok,
            (unsigned long long)c->reads_failed);
}

/* Every route of the role but the page's files; handlers get the node as
 * ud. */
static const struct route client_routes[] = {
    { "POST", "/send", ROUTE_USER, client_on_send },
    { "GET", "/read", ROUTE_USER, client_on_read },
    { "POST", "/notify", ROUTE_PEER, client_on_notify_msg },
    { "GET", "/get-responses", ROUTE_USER, client_on_get_responses },
};

const struct role_ops client_role = {
    .routes = client_routes,
    .n_routes = sizeof client_routes / sizeof client_routes[0],
    .start = client_start, .tick = client_tick_role, .flush = client_flush,
    .status = client_status, .metrics = client_metrics, .stop = client_stop,
};
