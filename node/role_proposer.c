/* role_proposer.c -- the proposer node: /propose, /read-index and
 * /heartbeat over the proposer rules, and the messages it sends to
 * acceptors and other proposers.
 *
 * A proposer that does not lead forwards a write or a read to the one it
 * believes leads (once: a forwarded request that reaches a non-leader is
 * refused with 503 and the leader's id, and the client tries again). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "gossip.h"
#include "jsonread.h"
#include "log.h"
#include "metrics.h"
#include "net/codec.h"
#include "role_proposer.h"

enum sent_kind { SENT_PREPARE, SENT_ACCEPT, SENT_CONFIRM };

/* What a message to one acceptor was, to match its answer. */
struct sent_msg {
    struct node *node;
    enum sent_kind kind;
    uint32_t to;                /* the acceptor's node id */
    struct ballot ballot;
    uint64_t first, count, round;
};

static struct proposer_node *proposer_node_of(struct node *n)
{
    return n->role;
}

static void proposer_log_changes(struct node *n)
{
    struct proposer_node *pn = proposer_node_of(n);
    struct proposer *p = &pn->p;

    if (p->state == pn->last_state && p->leader == pn->last_leader)
        return;
    if (p->leader)
        gossip_leader(n->gossip, p->leader, p->state == PROPOSER_LEADER ? p->ballot
                                                                : p->highest);
    if (p->state == PROPOSER_LEADER)
        log_info("became leader with ballot %u.%u (slots %llu..%llu "
                 "recovered)", p->ballot.round, p->ballot.node,
                 (unsigned long long)p->phase1_from,
                 (unsigned long long)p->phase1_max);
    else if (p->state == PROPOSER_CANDIDATE)
        log_info("no heartbeat: standing for election with ballot %u.%u",
                 p->ballot.round, p->ballot.node);
    else if (pn->last_state == PROPOSER_LEADER)
        log_warn("stepped down: highest ballot seen %u.%u",
                 p->highest.round, p->highest.node);
    else if (p->leader)
        log_info("following leader %s (ballot %u.%u)",
                 config_name(n->cfg, p->leader), p->highest.round, p->highest.node);
    pn->last_state = p->state;
    pn->last_leader = p->leader;
}

static void proposer_on_sent_answer(void *ud, int status, const char *body,
                                    size_t len, const char *err);

/* Sends m (its text, body) to one acceptor. */
static void proposer_send_to(struct node *n, const struct node_info *to,
                             const char *body, struct sent_msg proto)
{
    struct sent_msg *s = malloc(sizeof(*s));
    const char *path = proto.kind == SENT_PREPARE ? "/prepare" : "/accept";

    if (!s)
        return;                 /* as if lost: the retransmit timer helps */
    *s = proto;
    s->node = n;
    s->to = to->id;
    if (peer_send(n->peer, to, path, body, proposer_on_sent_answer, s) < 0)
        free(s);
}

/* Sends m to every voter of v. */
static void proposer_send_to_voters(struct node *n, const struct voters *v,
                                    const struct msg *m, struct sent_msg proto)
{
    char *body = v ? msg_encode(m) : NULL;

    if (!body)
        return;                 /* as if lost: the retransmit timer helps */
    for (size_t i = 0; i < v->n; i++)
        proposer_send_to(n, &v->v[i].node, body, proto);
    free(body);
}

/* The slots [o->first, o->first + o->count) with their values, as an
 * ACCEPT (to the acceptors) or a LEARN (the chosen ones, to the
 * learners). */
static void proposer_send_slots(struct node *n, const struct proposer_out *o)
{
    struct proposer *p = &proposer_node_of(n)->p;
    struct msg m = { .type = o->kind == PROPOSER_SEND_ACCEPT ? MSG_ACCEPT
                                                             : MSG_LEARN,
                     .from = n->cfg->id, .ballot = o->ballot,
                     .commit = p->commit, .chain = &p->chain };

    m.entries = calloc(o->count ? o->count : 1, sizeof(*m.entries));
    if (!m.entries)
        return;                 /* as if lost: retransmits and catch-up help */
    for (uint64_t i = 0; i < o->count; i++) {
        m.entries[i].slot = o->first + i;
        m.entries[i].value = proposer_get(p, o->first + i)->value;  /* borrowed */
    }
    m.n_entries = o->count;
    if (m.type == MSG_ACCEPT) {
        proposer_send_to_voters(n, o->voters, &m, (struct sent_msg){
            .kind = SENT_ACCEPT, .ballot = o->ballot, .first = o->first,
            .count = o->count });
    } else {
        char *body = msg_encode(&m);
        if (body)
            peer_broadcast(n->peer, ROLE_LEARNER, "/chosen", body,
                           peer_ignore_answer, NULL);
        free(body);
    }
    free(m.entries);
}

static void proposer_reply_chosen(struct node *n, const struct proposer_out *o)
{
    struct msg m = { .type = MSG_CHOSEN, .from = n->cfg->id, .slot = o->slot,
                     .ballot = o->ballot };

    m.value = *o->value;        /* borrowed */
    peer_reply_msg(o->token, 200, &m);
}

/* 503: the request was not carried out; 504: a write whose slot was
 * proposed, that a later leader may still choose ("status": "unknown"). */
void proposer_reply_refused(struct node *n, struct http_request *req,
                            int status, const char *why)
{
    struct proposer_node *pn = proposer_node_of(n);
    struct json_object *o = json_object_new_object();

    pn->refused++;
    json_object_object_add(o, "error", json_object_new_string(why));
    if (status == 504)
        json_object_object_add(o, "status", json_object_new_string("unknown"));
    if (pn->p.leader) {
        json_object_object_add(o, "leader", json_object_new_int64(pn->p.leader));
        json_object_object_add(o, "leader_name",
                               json_object_new_string(config_name(n->cfg, pn->p.leader)));
    } else {
        json_object_object_add(o, "leader", NULL);
    }
    peer_reply_json(req, status, o);
}

/* Sends what the proposer rules asked for and answers finished requests. */
void proposer_drain(struct node *n)
{
    struct proposer *p = &proposer_node_of(n)->p;

    for (size_t i = 0; i < p->n_out; i++) {
        const struct proposer_out *o = &p->out[i];
        struct msg m = { .from = n->cfg->id, .ballot = o->ballot,
                         .commit = p->commit, .chain = &p->chain };
        struct json_object *j;
        char *body;
        switch (o->kind) {
        case PROPOSER_SEND_PREPARE:
            m.type = MSG_PREPARE;
            m.from_slot = o->first;
            if ((body = msg_encode(&m)))
                proposer_send_to(n, o->to, body, (struct sent_msg){
                    .kind = SENT_PREPARE, .ballot = o->ballot });
            free(body);
            break;
        case PROPOSER_SEND_ACCEPT:
        case PROPOSER_SEND_CHOSEN:
            proposer_send_slots(n, o);
            break;
        case PROPOSER_SEND_CONFIRM:
            m.type = MSG_ACCEPT;
            proposer_send_to_voters(n, o->voters, &m, (struct sent_msg){
                .kind = SENT_CONFIRM, .ballot = o->ballot, .round = o->round });
            break;
        case PROPOSER_SEND_HEARTBEAT:
            m.type = MSG_HEARTBEAT;
            body = msg_encode(&m);
            if (body)
                peer_broadcast(n->peer, ROLE_PROPOSER, "/heartbeat", body,
                               peer_ignore_answer, NULL);
            free(body);
            break;
        case PROPOSER_REPLY_CHOSEN:
            if (writes_is_token(o->token))
                writes_chosen(o->token, o->slot, o->ballot);
            else
                proposer_reply_chosen(n, o);
            break;
        case PROPOSER_REPLY_READ:
            j = json_object_new_object();
            json_object_object_add(j, "index", json_object_new_int64((int64_t)o->slot));
            json_object_object_add(j, "leader", json_object_new_int64(n->cfg->id));
            peer_reply_json(o->token, 200, j);
            break;
        case PROPOSER_REPLY_FAILED:
            if (writes_is_token(o->token))
                writes_failed(o->token, o->maybe_chosen ? 504 : 503,
                              o->reason);
            else
                proposer_reply_refused(n, o->token,
                                       o->maybe_chosen ? 504 : 503, o->reason);
            break;
        case PROPOSER_REPLY_CHANGED:
            reconfig_reply_changed(n, o->token, o->slot);
            break;
        }
    }
    proposer_out_clear(p);
    proposer_log_changes(n);
}

static void proposer_on_sent_answer(void *ud, int status, const char *body,
                                    size_t len, const char *err)
{
    struct sent_msg *s = ud;
    struct node *n = s->node;
    struct proposer *p = &proposer_node_of(n)->p;
    enum msg_type t = s->kind == SENT_PREPARE ? MSG_PROMISE : MSG_ACCEPTED;
    int64_t now = loop_now_ms();
    struct msg m;
    char why[256];

    if (status != 200 && status != 409)
        goto out;               /* lost: retransmits and elections cover it */
    if (msg_decode(t, body, len, n->cfg->max_value, &m, why, sizeof(why)) < 0) {
        log_warn("bad answer from acceptor %u: %s", (unsigned)s->to, why);
        goto out;
    }
    struct ballot promised = m.ok ? s->ballot : m.ballot;
    switch (s->kind) {
    case SENT_PREPARE:
        proposer_on_promise(p, s->to, s->ballot, &m, now);
        break;
    case SENT_ACCEPT:
        proposer_on_accepted(p, s->to, m.member, s->ballot, m.ok, promised,
                             s->first, s->count, now);
        break;
    case SENT_CONFIRM:
        proposer_on_confirm(p, s->to, m.member, s->ballot, m.ok, promised,
                            s->round, now);
        break;
    }
    msg_free(&m);
    proposer_drain(n);
out:
    free(s);
}

/* A request forwarded to the leader, and the write's identity if it is
 * a write (client NULL for a read). */
struct forward {
    struct http_request *req;
    char *client;
    uint64_t seq;
};

/* Relays the leader's answer to a forwarded request. With no answer, a
 * read surely changed nothing (503), but a write may have reached the
 * leader and may still be chosen: 504 "unknown", with the identity to
 * retry it under. */
static void proposer_on_forward_answer(void *ud, int status, const char *body,
                                       size_t len, const char *err)
{
    struct forward *f = ud;
    struct json_object *o;
    char msg[300];

    if (status) {
        httpd_reply(f->req, status, strndup(body, len));
        goto out;
    }
    snprintf(msg, sizeof(msg), "leader unreachable: %s", err ? err : "");
    if (!f->client) {
        httpd_reply_error(f->req, 503, msg);
        goto out;
    }
    o = json_object_new_object();
    json_object_object_add(o, "error", json_object_new_string(msg));
    json_object_object_add(o, "status", json_object_new_string("unknown"));
    json_object_object_add(o, "client_id", json_object_new_string(f->client));
    json_object_object_add(o, "seq", json_object_new_int64((int64_t)f->seq));
    peer_reply_json(f->req, 504, o);
out:
    free(f->client);
    free(f);
}

/* Forwards req to the leader with body, once; 503 when that is not
 * possible. write: the forwarded write's identity, NULL for a read. */
void proposer_forward(struct node *n, struct http_request *req,
                      const char *path, const char *body,
                      const struct pvalue *write)
{
    struct proposer_node *pn = proposer_node_of(n);
    const struct node_info *leader = config_node(n->cfg, pn->p.leader);
    struct forward *f;
    char header[64];

    if (!leader || httpd_header(req, PEER_FORWARDED_HEADER)) {
        proposer_reply_refused(n, req, 503, leader ? "not the leader"
                                                   : "no leader elected yet");
        return;
    }
    f = calloc(1, sizeof(*f));
    if (!f || (write && !(f->client = strdup(write->client)))) {
        free(f);
        httpd_reply_error(req, 500, "out of memory");
        return;
    }
    f->req = req;
    f->seq = write ? write->seq : 0;
    snprintf(header, sizeof(header), PEER_FORWARDED_HEADER ": %u",
             (unsigned)n->cfg->id);
    pn->forwarded++;
    if (peer_request(n->peer, leader, ROUTE_USER, path, body, header,
                     n->cfg->request_timeout_ms, proposer_on_forward_answer,
                     f) < 0) {
        free(f->client);
        free(f);
        httpd_reply_error(req, 503, "cannot reach the leader");
    }
}

static void proposer_on_propose(struct http_request *req, void *ud)
{
    struct node *n = ud;
    struct proposer_node *pn = proposer_node_of(n);
    struct msg m;
    char *body;

    if (peer_decode(n->peer, req, MSG_PROPOSE, &m) < 0)
        return;
    if (!m.value.seq || !m.value.client) {
        /* A write without a whole identity gets one from this proposer,
         * unique across restarts (microseconds at start plus a counter); a
         * client_id given is kept in it, for display. */
        char *client = NULL;
        if (asprintf(&client, "%s%s%s", m.value.client ? m.value.client : "",
                     m.value.client ? "@" : "", n->cfg->name) < 0)
            client = NULL;
        free(m.value.client);
        m.value.client = client;
        m.value.seq = ++pn->direct_seq;
        if (!client) {
            httpd_reply_error(req, 500, "out of memory");
            msg_free(&m);
            return;
        }
    }
    switch (proposer_submit(&pn->p, &m.value, req, loop_now_ms())) {
    case PROPOSER_QUEUED:
        break;
    case PROPOSER_NOT_LEADER:
        body = msg_encode(&m);
        if (body)
            proposer_forward(n, req, "/propose", body, &m.value);
        else
            httpd_reply_error(req, 500, "out of memory");
        free(body);
        break;
    case PROPOSER_BUSY:
        proposer_reply_refused(n, req, 503, "too many writes waiting");
        break;
    case PROPOSER_NO_MEMORY:
        httpd_reply_error(req, 500, "out of memory");
        break;
    }
    proposer_drain(n);          /* an answer may borrow m's value */
    msg_free(&m);
}

static void proposer_on_read_index(struct http_request *req, void *ud)
{
    struct node *n = ud;
    struct proposer_node *pn = proposer_node_of(n);
    char why[160];
    struct jr d = { why, sizeof(why) };
    json_object *body = NULL;

    /* The body says nothing, but like every POST it must be JSON: {}. */
    if (jr_parse(&d, httpd_body(req), httpd_body_len(req), 4, &body) < 0) {
        peer_reply_bad(n->peer, req, 400, why);
        return;
    }
    json_object_put(body);
    switch (proposer_read(&pn->p, req)) {
    case PROPOSER_QUEUED:
        break;
    case PROPOSER_NOT_LEADER:
        proposer_forward(n, req, "/read-index", "{}", NULL);
        break;
    case PROPOSER_BUSY:
        proposer_reply_refused(n, req, 503, "too many reads waiting");
        break;
    case PROPOSER_NO_MEMORY:
        httpd_reply_error(req, 500, "out of memory");
        break;
    }
    proposer_drain(n);
}

static void proposer_on_heartbeat_msg(struct http_request *req, void *ud)
{
    struct node *n = ud;
    struct msg m;

    if (peer_decode(n->peer, req, MSG_HEARTBEAT, &m) < 0)
        return;
    if (!config_node(n->cfg, m.from) ||
        config_node(n->cfg, m.from)->role != ROLE_PROPOSER) {
        peer_reply_bad(n->peer, req, 400, "heartbeat from a node that is not a "
                                    "configured proposer");
        msg_free(&m);
        return;
    }
    proposer_on_heartbeat(&proposer_node_of(n)->p, m.from, m.ballot, m.commit,
                          m.chain, loop_now_ms());
    msg_free(&m);
    httpd_reply(req, 200, strdup("{}"));
    proposer_drain(n);
}

static int proposer_rank(const struct config *cfg)
{
    int rank = 0;

    for (size_t i = 0; i < cfg->n_nodes; i++)
        rank += cfg->nodes[i].role == ROLE_PROPOSER && cfg->nodes[i].id < cfg->id;
    return rank;
}

/* Writes held in memory (in flight or waiting for a slot) are bounded by
 * count and, through the largest value, by bytes: under a flood of big
 * values a leader holds at most about 256 MiB in flight and 64 MiB
 * waiting; the rest is refused (503, "too many writes waiting"). */
#define PROPOSER_IN_FLIGHT_BYTES (256u << 20)
#define PROPOSER_PENDING_BYTES (64u << 20)
/* ACCEPTs of new slots waiting for a quorum at once; slots given out
 * meanwhile wait for the next, bigger, batch. */
#define PROPOSER_BATCHES_IN_FLIGHT 4

static size_t proposer_bound(size_t by_count, size_t bytes, size_t max_value,
                             size_t at_least)
{
    size_t by_bytes = bytes / max_value;

    if (by_bytes < at_least)
        by_bytes = at_least;
    return by_bytes < by_count ? by_bytes : by_count;
}

static int proposer_start(struct node *n)
{
    struct proposer_node *pn = calloc(1, sizeof(*pn));
    struct proposer_settings set = {
        .id = n->cfg->id,
        .heartbeat_ms = n->cfg->heartbeat_ms,
        .election_timeout_ms = n->cfg->election_timeout_ms,
        .rank = proposer_rank(n->cfg),
        .max_batch = n->cfg->max_batch,
        .max_batch_bytes = n->cfg->max_body / 8,
        .max_in_flight = proposer_bound(16 * n->cfg->max_batch,
                                        PROPOSER_IN_FLIGHT_BYTES,
                                        n->cfg->max_value, n->cfg->max_batch),
        .max_batches = PROPOSER_BATCHES_IN_FLIGHT,
        .max_pending = proposer_bound(100000, PROPOSER_PENDING_BYTES,
                                      n->cfg->max_value, 64),
        .pending_timeout_ms = n->cfg->request_timeout_ms,
        .remember_ids_ms = 2 * (int64_t)n->cfg->request_timeout_ms,
    };
    struct timeval tv;

    struct node_info seeds[VOTERS_MAX];

    if (!pn)
        return -1;
    n->role = pn;
    gettimeofday(&tv, NULL);
    pn->direct_seq = (uint64_t)tv.tv_sec * 1000000 + (uint64_t)tv.tv_usec;
    /* The acceptors of SEED_NODES are asked first; the voters come from
     * what they answer. */
    for (size_t i = 0; i < n->cfg->n_acceptors && i < VOTERS_MAX; i++)
        seeds[set.n_seeds++] = *config_node(n->cfg, n->cfg->acceptors[i]);
    set.seeds = seeds;
    return proposer_init(&pn->p, &set, loop_now_ms());
}

static void proposer_tick_role(struct node *n, int64_t now)
{
    proposer_tick(&proposer_node_of(n)->p, now);
    proposer_drain(n);
}

static void proposer_flush_role(struct node *n)
{
    proposer_flush(&proposer_node_of(n)->p, loop_now_ms());
    proposer_drain(n);
}

static const char *proposer_state_name(enum proposer_state s)
{
    switch (s) {
    case PROPOSER_LEADER: return "leader";
    case PROPOSER_CANDIDATE: return "candidate";
    case PROPOSER_FOLLOWER: break;
    }
    return "follower";
}

static void proposer_status(struct node *n, struct json_object *o)
{
    struct proposer_node *pn = proposer_node_of(n);
    struct proposer *p = &pn->p;
    struct json_object *recent = json_object_new_array();
    uint64_t last = p->next_slot > 1 ? p->next_slot - 1 : 0;

    json_object_object_add(o, "state", json_object_new_string(proposer_state_name(p->state)));
    json_object_object_add(o, "is_leader", json_object_new_boolean(p->state == PROPOSER_LEADER));
    json_object_object_add(o, "leader", p->leader ? json_object_new_int64(p->leader) : NULL);
    json_object_object_add(o, "leader_name", json_object_new_string(config_name(n->cfg, p->leader)));
    json_object_object_add(o, "ballot", codec_ballot_json(p->ballot));
    json_object_object_add(o, "highest_ballot", codec_ballot_json(p->highest));
    json_object_object_add(o, "commit", json_object_new_int64((int64_t)p->commit));
    json_object_object_add(o, "next_slot", json_object_new_int64((int64_t)p->next_slot));
    json_object_object_add(o, "pending", json_object_new_int64((int64_t)p->n_pending));
    json_object_object_add(o, "elections", json_object_new_int64((int64_t)p->elections));
    json_object_object_add(o, "chosen", json_object_new_int64((int64_t)p->chosen_total));
    json_object_object_add(o, "noops", json_object_new_int64((int64_t)p->noops_total));
    json_object_object_add(o, "retransmits", json_object_new_int64((int64_t)p->retransmits));
    json_object_object_add(o, "forwarded", json_object_new_int64((int64_t)pn->forwarded));
    json_object_object_add(o, "refused", json_object_new_int64((int64_t)pn->refused));
    json_object_object_add(o, "configs", chain_json(&p->chain));
    if (p->state == PROPOSER_LEADER)
        for (uint64_t s = last > 9 ? last - 9 : 1; s <= last; s++) {
            const struct proposer_slot *ps = proposer_get(p, s);
            struct json_object *e;
            if (!ps)
                continue;
            e = codec_value_json(s, &ps->value);
            json_object_object_add(e, "chosen", json_object_new_boolean(ps->chosen));
            json_object_array_add(recent, e);
        }
    json_object_object_add(o, "recent", recent);
}

static void proposer_stop(struct node *n)
{
    struct proposer_node *pn = proposer_node_of(n);

    proposer_free(&pn->p);
    free(pn);
    n->role = NULL;
}

static void proposer_metrics(struct node *n, FILE *out)
{
    struct proposer_node *pn = proposer_node_of(n);
    const struct proposer *p = &pn->p;

    metrics_sample(out, "gauge", "paxos_is_leader",
                   "1 when this proposer leads.", NULL,
                   p->state == PROPOSER_LEADER);
    metrics_sample(out, "gauge", "paxos_leader_id",
                   "The leader as this proposer knows it (0: none).", NULL,
                   p->leader);
    metrics_sample(out, "gauge", "paxos_ballot_round",
                   "Round of this proposer's ballot.", NULL, p->ballot.round);
    metrics_sample(out, "gauge", "paxos_highest_ballot_round",
                   "Round of the highest ballot seen.", NULL, p->highest.round);
    metrics_sample(out, "gauge", "paxos_chosen_index",
                   "Every slot up to it is chosen.", NULL, (double)p->commit);
    metrics_sample(out, "gauge", "paxos_next_slot",
                   "The next free slot (leader).", NULL, (double)p->next_slot);
    metrics_sample(out, "gauge", "paxos_writes_pending",
                   "Writes waiting for a slot.", NULL, (double)p->n_pending);
    metrics_sample(out, "counter", "paxos_elections_total",
                   "Elections this proposer stood in.", NULL,
                   (double)p->elections);
    metrics_sample(out, "counter", "paxos_chosen_total",
                   "Slots chosen while this proposer led.", NULL,
                   (double)p->chosen_total);
    metrics_sample(out, "counter", "paxos_retransmits_total",
                   "Accept rounds sent again for want of a quorum.", NULL,
                   (double)p->retransmits);
    metrics_sample(out, "counter", "paxos_forwarded_total",
                   "Requests forwarded to the leader.", NULL,
                   (double)pn->forwarded);
    metrics_sample(out, "counter", "paxos_writes_failed_total",
                   "Writes and reads refused or failed (503/504).", NULL,
                   (double)pn->refused);
}

/* Every route of the role; handlers get the node as ud. */
static const struct route proposer_routes[] = {
    { "POST", "/propose", ROUTE_USER, proposer_on_propose },
    { "POST", "/writes", ROUTE_PEER, writes_on_post },
    { "POST", "/read-index", ROUTE_USER, proposer_on_read_index },
    { "POST", "/heartbeat", ROUTE_PEER, proposer_on_heartbeat_msg },
    { "GET", "/voters", ROUTE_USER, reconfig_on_get },
    { "POST", "/voters", ROUTE_USER, reconfig_on_post },
};

const struct role_ops proposer_role = {
    .routes = proposer_routes,
    .n_routes = sizeof proposer_routes / sizeof proposer_routes[0],
    .start = proposer_start, .tick = proposer_tick_role,
    .flush = proposer_flush_role, .status = proposer_status,
    .metrics = proposer_metrics, .stop = proposer_stop,
};
