/* gossip.c -- puts the membership rules (membership.c) on HTTP: sends
 * what they ask for (probes, indirect probes, gossip, push-pull), answers
 * POST /gossip, and shows the member list on GET /gossip/nodes.
 *
 * Every message carries its sender's own record, the leader hint, and a
 * few pending updates; every answer does too. An indirect probe is an
 * HTTP request held open by the member asked to probe, until its own
 * probe of the target is answered or times out. */
#include "gossip.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "config.h"
#include "core/gossip_msg.h"
#include "core/membership.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "net/codec.h"

/* Updates carried by one message. */
#define GOSSIP_PIGGYBACK 16

struct gossip {
    struct membership m;
    struct peer *peer;
    const struct config *cfg;
    struct member_update *scratch;      /* room for every member */
    enum member_state *logged;          /* states last logged */
    size_t n_logged;
    uint64_t received, rejected;
};

/* What an outgoing message was, to handle its answer. */
struct gossip_sent {
    struct gossip *gossip;
    enum gossip_type type;
    uint64_t probe;
    struct http_request *relay;         /* a ping made for a ping-req */
};

/* One log line per member whose state changed since the last call. */
static void gossip_log_changes(struct gossip *gs)
{
    const struct membership *m = &gs->m;

    for (size_t i = 1; i < m->n_members; i++) {
        const struct member *x = &m->members[i];
        if (i < gs->n_logged && gs->logged[i] == x->state)
            continue;
        log_info("member %s (%s, %s:%u) is %s", x->info.name,
                 role_name(x->info.role), x->info.host, (unsigned)x->info.port,
                 member_state_name(x->state));
        gs->logged[i] = x->state;
    }
    gs->n_logged = m->n_members;
}

/* Merges everything a message or an answer carried. */
static void gossip_take(struct gossip *gs, const struct gossip_msg *g)
{
    int64_t now = loop_now_ms();

    membership_merge(&gs->m, &g->from, now);
    membership_heard(&gs->m, g->from.info.id, now);
    for (size_t i = 0; i < g->n_members; i++)
        membership_merge(&gs->m, &g->members[i], now);
    if (g->leader)
        membership_leader(&gs->m, g->leader, g->leader_ballot);
    gossip_log_changes(gs);
}

/* A message from this node: its record, the leader hint, and either a few
 * pending updates or (sync) everyone. Returns the encoded text. */
static char *gossip_compose(struct gossip *gs, enum gossip_type type,
                            uint64_t probe, uint32_t target)
{
    struct gossip_msg g = {
        .type = type, .from = membership_self(&gs->m), .probe = probe,
        .target = target, .leader = gs->m.leader,
        .leader_ballot = gs->m.leader_ballot, .members = gs->scratch,
    };

    g.n_members = type == GOSSIP_SYNC
                      ? membership_snapshot(&gs->m, gs->scratch, MEMBERSHIP_MAX_MEMBERS)
                      : membership_take_updates(&gs->m, gs->scratch, GOSSIP_PIGGYBACK);
    return gossip_encode(&g);
}

static void gossip_on_answer(void *ud, int status, const char *body,
                             size_t len, const char *err);

static void gossip_send(struct gossip *gs, uint32_t to, enum gossip_type type,
                        uint64_t probe, uint32_t target, long timeout_ms,
                        struct http_request *relay)
{
    const struct member *x = membership_find(&gs->m, to);
    struct gossip_sent *sent = malloc(sizeof(*sent));
    char *body = gossip_compose(gs, type, probe, target);
    int rc = -1;

    if (x && sent && body) {
        *sent = (struct gossip_sent){ gs, type, probe, relay };
        rc = peer_request(gs->peer, &x->info, ROUTE_PEER, "/gossip", body, NULL,
                          timeout_ms, gossip_on_answer, sent);
    }
    free(body);
    if (rc == 0)
        return;
    free(sent);
    if (relay)
        httpd_reply_error(relay, 503, "cannot probe the target");
    else if (type == GOSSIP_PING)
        membership_probe_result(&gs->m, probe, false, false, loop_now_ms());
}

static void gossip_relay_answer(struct gossip *gs, struct http_request *req,
                                bool ack, uint64_t probe)
{
    char *body = gossip_compose(gs, ack ? GOSSIP_ACK : GOSSIP_NACK,
                                probe, 0);

    if (body)
        httpd_reply(req, 200, body);
    else
        httpd_reply_error(req, 500, "out of memory");
}

static void gossip_on_answer(void *ud, int status, const char *body,
                             size_t len, const char *err)
{
    struct gossip_sent *sent = ud;
    struct gossip *gs = sent->gossip;
    struct gossip_msg g;
    char why[200];
    bool ack = false;

    if (status == 200 && gossip_decode(body, len, &g, why, sizeof(why)) == 0) {
        if (membership_check_sender(&gs->m, &g.from) == 0) {
            gossip_take(gs, &g);
            ack = g.type == GOSSIP_ACK || g.type == GOSSIP_SYNC;
        }
        gossip_msg_free(&g);
    }
    if (sent->relay)
        gossip_relay_answer(gs, sent->relay, ack, sent->probe);
    else if (sent->type == GOSSIP_PING || sent->type == GOSSIP_PING_REQ)
        membership_probe_result(&gs->m, sent->probe, ack,
                                sent->type == GOSSIP_PING_REQ, loop_now_ms());
    free(sent);
}

static void gossip_drain(struct gossip *gs)
{
    const struct config *cfg = gs->cfg;

    for (size_t i = 0; i < gs->m.n_out; i++) {
        const struct membership_out *o = &gs->m.out[i];
        switch (o->kind) {
        case MEMBERSHIP_PING:
            gossip_send(gs, o->to, GOSSIP_PING, o->probe, 0,
                        cfg->probe_timeout_ms, NULL);
            break;
        case MEMBERSHIP_PING_REQ:
            gossip_send(gs, o->to, GOSSIP_PING_REQ, o->probe, o->target,
                        cfg->probe_interval_ms - cfg->probe_timeout_ms, NULL);
            break;
        case MEMBERSHIP_GOSSIP:
            gossip_send(gs, o->to, GOSSIP_GOSSIP, 0, 0, cfg->probe_timeout_ms,
                        NULL);
            break;
        case MEMBERSHIP_PUSH_PULL:
            gossip_send(gs, o->to, GOSSIP_SYNC, 0, 0, cfg->probe_interval_ms,
                        NULL);
            break;
        }
    }
    membership_out_clear(&gs->m);
}

static void gossip_on_message(struct http_request *req, void *ud)
{
    struct gossip *gs = ud;
    struct gossip_msg g;
    char why[200];
    char *body;

    if (gossip_decode(httpd_body(req), httpd_body_len(req), &g, why,
                      sizeof(why)) < 0) {
        gs->rejected++;
        peer_reply_bad(gs->peer, req, 400, why);
        return;
    }
    if (g.type == GOSSIP_ACK || g.type == GOSSIP_NACK ||
        membership_check_sender(&gs->m, &g.from) < 0) {
        gs->rejected++;
        peer_reply_bad(gs->peer, req, 400,
                       g.type == GOSSIP_ACK || g.type == GOSSIP_NACK
                                        ? "an ack or nack is an answer, not a message"
                                        : "sender is this node, not alive, or "
                                          "contradicts what is known of its id");
        gossip_msg_free(&g);
        return;
    }
    gs->received++;
    gossip_take(gs, &g);
    if (g.type == GOSSIP_PING_REQ) {
        if (membership_find(&gs->m, g.target) && g.target != gs->m.self)
            gossip_send(gs, g.target, GOSSIP_PING, g.probe, 0,
                        gs->cfg->probe_timeout_ms, req);
        else
            gossip_relay_answer(gs, req, false, g.probe);
    } else {
        body = gossip_compose(gs, g.type == GOSSIP_SYNC ? GOSSIP_SYNC : GOSSIP_ACK,
                              g.probe, 0);
        if (body)
            httpd_reply(req, 200, body);
        else
            httpd_reply_error(req, 500, "out of memory");
    }
    gossip_msg_free(&g);
    gossip_drain(gs);
}

static struct json_object *gossip_members_json(struct gossip *gs)
{
    struct json_object *a = json_object_new_array();
    int64_t now = loop_now_ms();

    for (size_t i = 0; i < gs->m.n_members; i++) {
        const struct member *x = &gs->m.members[i];
        struct json_object *o = json_object_new_object();
        char address[CLUSTER_HOST_MAX + 8];
        snprintf(address, sizeof(address), "%s:%u", x->info.host,
                 (unsigned)x->info.port);
        json_object_object_add(o, "id", json_object_new_int64(x->info.id));
        json_object_object_add(o, "name", json_object_new_string(x->info.name));
        json_object_object_add(o, "role", json_object_new_string(role_name(x->info.role)));
        json_object_object_add(o, "address", json_object_new_string(address));
        json_object_object_add(o, "state", json_object_new_string(member_state_name(x->state)));
        json_object_object_add(o, "incarnation", json_object_new_int64((int64_t)x->incarnation));
        json_object_object_add(o, "last_heard_ms",
                               json_object_new_int64(i ? now - x->last_heard : 0));
        json_object_array_add(a, o);
    }
    return a;
}

static struct json_object *gossip_leader_json(const struct membership *m)
{
    struct json_object *o;

    if (!m->leader)
        return NULL;
    o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_int64(m->leader));
    json_object_object_add(o, "ballot", codec_ballot_json(m->leader_ballot));
    return o;
}

void gossip_status(struct gossip *gs, struct json_object *o)
{
    struct json_object *counts = json_object_new_object();
    int64_t by_state[3] = { 0, 0, 0 };

    for (size_t i = 0; i < gs->m.n_members; i++)
        by_state[gs->m.members[i].state]++;
    for (int s = 0; s < 3; s++)
        json_object_object_add(counts, member_state_name((enum member_state)s),
                               json_object_new_int64(by_state[s]));
    json_object_object_add(o, "members", gossip_members_json(gs));
    json_object_object_add(o, "member_counts", counts);
    json_object_object_add(o, "leader_hint", gossip_leader_json(&gs->m));
}

static void gossip_on_nodes(struct http_request *req, void *ud)
{
    struct gossip *gs = ud;
    struct json_object *o = json_object_new_object();

    json_object_object_add(o, "self", json_object_new_int64(gs->m.self));
    json_object_object_add(o, "incarnation",
                           json_object_new_int64((int64_t)gs->m.members[0].incarnation));
    json_object_object_add(o, "suspicion_timeout_ms",
                           json_object_new_int64(membership_suspicion_ms(&gs->m)));
    json_object_object_add(o, "received", json_object_new_int64((int64_t)gs->received));
    json_object_object_add(o, "rejected", json_object_new_int64((int64_t)gs->rejected));
    json_object_object_add(o, "refutations",
                           json_object_new_int64((int64_t)gs->m.refutations));
    gossip_status(gs, o);
    peer_reply_json(req, 200, o);
}

static void gossip_metrics(void *ud, FILE *out)
{
    struct gossip *gs = ud;
    size_t by_state[3] = { 0, 0, 0 };

    for (size_t i = 0; i < gs->m.n_members; i++)
        by_state[gs->m.members[i].state]++;
    fputs("# HELP paxos_members Members of the cluster as this node sees "
          "them, by state.\n# TYPE paxos_members gauge\n", out);
    for (int s = 0; s < 3; s++)
        fprintf(out, "paxos_members{state=\"%s\"} %zu\n",
                member_state_name((enum member_state)s), by_state[s]);
    metrics_sample(out, "gauge", "paxos_leader_hint_id",
                   "The leader as gossip reports it (0: none known).", NULL,
                   gs->m.leader);
    metrics_sample(out, "gauge", "paxos_leader_hint_ballot_round",
                   "The round of the leader's ballot as gossip reports it.",
                   NULL, gs->m.leader_ballot.round);
    metrics_sample(out, "counter", "paxos_gossip_rejected_total",
                   "Gossip messages refused as malformed or inconsistent.",
                   NULL, (double)gs->rejected);
}

size_t gossip_nodes(const struct gossip *gs, enum role role,
                    struct node_info *out, size_t max)
{
    size_t n = 0;

    for (size_t i = 0; i < gs->m.n_members && n < max; i++)
        if (gs->m.members[i].info.role == role)
            out[n++] = gs->m.members[i].info;
    return n;
}

void gossip_leader(struct gossip *gs, uint32_t leader, struct ballot b)
{
    membership_leader(&gs->m, leader, b);
}

void gossip_tick(struct gossip *gs, int64_t now)
{
    membership_tick(&gs->m, now);
    gossip_log_changes(gs);
    gossip_drain(gs);
}

const struct route gossip_routes[] = {
    { "POST", "/gossip", ROUTE_PEER, gossip_on_message },
    { "GET", "/gossip/nodes", ROUTE_USER, gossip_on_nodes },
};
const size_t gossip_n_routes = sizeof gossip_routes / sizeof gossip_routes[0];

struct gossip *gossip_start(const struct config *cfg,
                            const struct node_info *self, struct peer *peer,
                            struct metrics *metrics)
{
    struct gossip *gs = calloc(1, sizeof(*gs));
    struct membership_settings set = {
        .probe_interval_ms = cfg->probe_interval_ms,
        .probe_timeout_ms = cfg->probe_timeout_ms,
        .indirect_checks = cfg->indirect_checks,
        .gossip_interval_ms = cfg->gossip_interval_ms,
        .gossip_nodes = cfg->gossip_nodes,
        .suspicion_mult = cfg->suspicion_mult,
        .retransmit_mult = cfg->retransmit_mult,
        .push_pull_interval_ms = cfg->push_pull_interval_ms,
    };
    struct timeval tv;

    if (!gs)
        return NULL;
    gs->peer = peer;
    gs->cfg = cfg;
    gs->scratch = calloc(MEMBERSHIP_MAX_MEMBERS, sizeof(*gs->scratch));
    gs->logged = calloc(MEMBERSHIP_MAX_MEMBERS, sizeof(*gs->logged));
    /* A restart starts above any incarnation of an earlier life. */
    gettimeofday(&tv, NULL);
    if (!gs->scratch || !gs->logged ||
        membership_init(&gs->m, &set, self,
                        (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000,
                        cfg->nodes, cfg->n_nodes, loop_now_ms()) < 0)
        goto fail;
    gs->n_logged = gs->m.n_members;
    if (peer_routes(peer, gossip_routes, gossip_n_routes, gs) < 0 ||
        metrics_add(metrics, gossip_metrics, gs) < 0)
        goto fail;
    return gs;
fail:
    gossip_stop(gs);
    return NULL;
}

void gossip_stop(struct gossip *gs)
{
    if (!gs)
        return;
    membership_free(&gs->m);
    free(gs->scratch);
    free(gs->logged);
    free(gs);
}
