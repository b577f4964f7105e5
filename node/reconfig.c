/* reconfig.c -- the acceptor set on HTTP, on proposers:
 *
 *   GET /voters     the configuration in force (epoch, first slot, the
 *                   voters) and every acceptor this proposer knows of,
 *                   with what it says of itself (GET /identity): a voter,
 *                   waiting to be admitted, or unreachable;
 *   POST /voters    {"add":"acceptor4"}, {"remove":"acceptor2"} or
 *                   {"replace":"acceptor1","with":"acceptor4"}: a change
 *                   chosen in the log (core/proposer.h), answered once in
 *                   force. Adding an acceptor that votes under an old
 *                   member identity (its disk was lost) admits its new one.
 *
 * A proposer that does not lead forwards POST /voters to the leader. A
 * node is named by its name or its id; the new voter's address comes from
 * SEED_NODES or gossip, its member identity from the acceptor itself. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gossip.h"
#include "jsonread.h"
#include "log.h"
#include "net/codec.h"
#include "role_proposer.h"

#define RECONFIG_MAX_ACCEPTORS (2 * VOTERS_MAX)

static struct proposer_node *reconfig_proposer(struct node *n)
{
    return n->role;
}

/* The configuration in force at the leader's next slot, as this proposer
 * knows it (NULL: none known yet). */
static const struct voters *reconfig_now(struct node *n)
{
    const struct proposer *p = &reconfig_proposer(n)->p;

    return chain_at(&p->chain, p->commit + 1);
}

/* Every acceptor this node knows of: the voters, SEED_NODES's, gossip's;
 * each once. Returns how many, into out[RECONFIG_MAX_ACCEPTORS]. */
static size_t reconfig_acceptors(struct node *n, struct node_info *out)
{
    const struct voters_chain *chain = &reconfig_proposer(n)->p.chain;
    struct node_info known[RECONFIG_MAX_ACCEPTORS];
    size_t count = 0, n_known;

    for (size_t k = 0; k < chain->n; k++)
        for (size_t i = 0; i < chain->c[k].n && count < VOTERS_MAX; i++) {
            bool seen = false;
            for (size_t j = 0; j < count; j++)
                seen |= out[j].id == chain->c[k].v[i].node.id;
            if (!seen)
                out[count++] = chain->c[k].v[i].node;
        }
    n_known = gossip_nodes(n->gossip, ROLE_ACCEPTOR, known,
                           RECONFIG_MAX_ACCEPTORS);
    for (size_t i = 0; i < n->cfg->n_nodes && n_known < RECONFIG_MAX_ACCEPTORS;
         i++)
        if (n->cfg->nodes[i].role == ROLE_ACCEPTOR)
            known[n_known++] = n->cfg->nodes[i];
    for (size_t i = 0; i < n_known && count < RECONFIG_MAX_ACCEPTORS; i++) {
        bool seen = false;
        for (size_t k = 0; k < count; k++)
            seen |= out[k].id == known[i].id;
        if (!seen)
            out[count++] = known[i];
    }
    return count;
}

/* The acceptor a request names ("acceptor4" or "11"), or NULL. */
static const struct node_info *reconfig_find(struct node *n, const char *name,
                                             struct node_info *found)
{
    struct node_info all[RECONFIG_MAX_ACCEPTORS];
    size_t count = reconfig_acceptors(n, all);
    char id[16];

    for (size_t i = 0; i < count; i++) {
        snprintf(id, sizeof id, "%u", (unsigned)all[i].id);
        if (strcmp(all[i].name, name) == 0 || strcmp(id, name) == 0) {
            *found = all[i];
            return found;
        }
    }
    return NULL;
}

/* ---- GET /voters ---- */

/* The identities asked for one GET /voters. */
struct reconfig_survey {
    struct node *node;
    struct http_request *req;
    struct json_object *acceptors;  /* one object per acceptor asked */
    size_t outstanding;
};

struct reconfig_question {
    struct reconfig_survey *survey;
    struct json_object *entry;      /* borrowed from survey->acceptors */
};

static void reconfig_survey_done(struct reconfig_survey *sv)
{
    const struct proposer *p = &reconfig_proposer(sv->node)->p;
    const struct voters *now = reconfig_now(sv->node);
    struct json_object *o = now ? voters_json(now) : json_object_new_object();
    struct json_object *coming = json_object_new_array();

    for (size_t i = 1; i < p->chain.n; i++)
        json_object_array_add(coming, voters_json(&p->chain.c[i]));
    json_object_object_add(o, "coming", coming);
    json_object_object_add(o, "leader",
                           p->leader ? json_object_new_int64(p->leader) : NULL);
    json_object_object_add(o, "leader_name", json_object_new_string(
        config_name(sv->node->cfg, p->leader)));
    json_object_object_add(o, "change_in_progress", json_object_new_boolean(
        p->change.token || p->chain.n > 1));
    json_object_object_add(o, "acceptors", sv->acceptors);
    peer_reply_json(sv->req, 200, o);
    free(sv);
}

/* What an acceptor's identity says, next to the configuration in force. */
static const char *reconfig_standing(const struct voters *cfg,
                                     uint32_t id, const struct msg *m)
{
    if (!cfg)
        return "unknown: no configuration known yet";
    if (voters_find(cfg, id, m->member) >= 0)
        return m->active ? "voter" : "voter, joining";
    if (voters_find_node(cfg, id) >= 0)
        return "waiting: a voter under another member identity (its data "
               "directory is new)";
    if (!m->cluster[0])
        return "waiting to be admitted";
    return "not a voter";
}

static void reconfig_on_identity(void *ud, int status, const char *body,
                                 size_t len, const char *err)
{
    struct reconfig_question *q = ud;
    struct reconfig_survey *sv = q->survey;
    const struct voters *cfg = reconfig_now(sv->node);
    struct json_object *id;
    struct msg m;
    char why[200];

    json_object_object_get_ex(q->entry, "id", &id);
    if (status == 200 &&
        msg_decode(MSG_IDENTITY, body, len, sv->node->cfg->max_value, &m, why,
                   sizeof(why)) == 0) {
        json_object_object_add(q->entry, "member",
                               json_object_new_string(m.member));
        json_object_object_add(q->entry, "cluster",
                               json_object_new_string(m.cluster));
        json_object_object_add(q->entry, "standing", json_object_new_string(
            reconfig_standing(cfg, (uint32_t)json_object_get_int64(id), &m)));
        msg_free(&m);
    } else {
        json_object_object_add(q->entry, "standing",
                               json_object_new_string("unreachable"));
    }
    free(q);
    if (!--sv->outstanding)
        reconfig_survey_done(sv);
}

void reconfig_on_get(struct http_request *req, void *ud)
{
    struct node *n = ud;
    struct node_info all[RECONFIG_MAX_ACCEPTORS];
    size_t count = reconfig_acceptors(n, all);
    struct reconfig_survey *sv = calloc(1, sizeof(*sv));

    if (!sv) {
        httpd_reply_error(req, 503, "out of memory");
        return;
    }
    *sv = (struct reconfig_survey){ n, req, json_object_new_array(), 1 };
    for (size_t i = 0; i < count; i++) {
        struct reconfig_question *q = malloc(sizeof(*q));
        struct json_object *e = json_object_new_object();
        char address[CLUSTER_HOST_MAX + 8];
        snprintf(address, sizeof address, "%s:%u", all[i].host,
                 (unsigned)all[i].port);
        json_object_object_add(e, "id", json_object_new_int64(all[i].id));
        json_object_object_add(e, "name", json_object_new_string(all[i].name));
        json_object_object_add(e, "address", json_object_new_string(address));
        json_object_array_add(sv->acceptors, e);
        if (!q)
            continue;
        *q = (struct reconfig_question){ sv, e };
        sv->outstanding++;
        if (peer_ask(n->peer, &all[i], "/identity", PEER_IDENTITY_MS,
                     reconfig_on_identity, q) < 0) {
            sv->outstanding--;
            free(q);
        }
    }
    if (!--sv->outstanding)     /* the reference the loop held */
        reconfig_survey_done(sv);
}

/* ---- POST /voters ---- */

/* A change being made: the new voter's identity is asked first. */
struct reconfig_request {
    struct node *node;
    struct http_request *req;
    enum voters_change change;
    uint32_t old;
    struct voter who;
};

static void reconfig_reply_result(struct reconfig_request *r,
                                  enum proposer_change_result result,
                                  const char *err)
{
    struct node *n = r->node;

    switch (result) {
    case PROPOSER_CHANGE_QUEUED:
        proposer_drain(n);      /* the answer comes once it is in force */
        break;
    case PROPOSER_CHANGE_NOT_LEADER:
        proposer_reply_refused(n, r->req, 503, "leadership lost");
        break;
    case PROPOSER_CHANGE_BUSY:
        peer_reply_bad(n->peer, r->req, 409, err);
        break;
    case PROPOSER_CHANGE_INVALID:
        peer_reply_bad(n->peer, r->req, 400, err);
        break;
    }
    free(r);
}

/* The name of voter id in the configuration in force ("" when none). */
static const char *reconfig_voter_name(struct node *n, uint32_t id)
{
    const struct voters *v = reconfig_now(n);
    int at = v ? voters_find_node(v, id) : -1;

    return at >= 0 ? v->v[at].node.name : "";
}

static void reconfig_propose(struct reconfig_request *r)
{
    const char *old = reconfig_voter_name(r->node, r->old);
    char err[200] = "";
    enum proposer_change_result result = proposer_change(
        &reconfig_proposer(r->node)->p, r->change, r->old, &r->who, r->req,
        err, sizeof err);

    if (result == PROPOSER_CHANGE_QUEUED && r->change == VOTERS_ADD)
        log_info("configuration change: add %s (member %s)",
                 r->who.node.name, r->who.member);
    else if (result == PROPOSER_CHANGE_QUEUED && r->change == VOTERS_REMOVE)
        log_info("configuration change: remove %s", old);
    else if (result == PROPOSER_CHANGE_QUEUED)
        log_info("configuration change: replace %s by %s (member %s)", old,
                 r->who.node.name, r->who.member);
    reconfig_reply_result(r, result, err);
}

static void reconfig_on_new_identity(void *ud, int status, const char *body,
                                     size_t len, const char *err)
{
    struct reconfig_request *r = ud;
    struct node *n = r->node;
    const char *cluster = reconfig_proposer(n)->p.cluster;
    char why[300];
    struct msg m;

    if (status != 200 ||
        msg_decode(MSG_IDENTITY, body, len, n->cfg->max_value, &m, why,
                   sizeof(why)) < 0) {
        snprintf(why, sizeof why, "%s does not answer GET /identity: %d %s",
                 r->who.node.name, status, status ? body : err);
        peer_reply_bad(n->peer, r->req, 409, why);
        free(r);
        return;
    }
    if (m.cluster[0] && strcmp(m.cluster, cluster) != 0) {
        /* Its votes would carry another cluster's log into this one. */
        snprintf(why, sizeof why, "%s belongs to cluster %s, not %s: empty its "
                 "data directory first", r->who.node.name, m.cluster, cluster);
        msg_free(&m);
        peer_reply_bad(n->peer, r->req, 409, why);
        free(r);
        return;
    }
    memcpy(r->who.member, m.member, sizeof r->who.member);
    msg_free(&m);
    reconfig_propose(r);
}

/* Reads the node a field names into *out; on failure replies 400. */
static int reconfig_read_node(struct node *n, struct http_request *req,
                              json_object *body, const char *key,
                              struct node_info *out)
{
    const struct jr_path field = { NULL, key, 0 };
    json_object *val = jr_member(body, &field);
    char why[200], *name = NULL;
    struct jr d = { why, sizeof why };

    if (!val)
        return 1;               /* absent */
    if (json_object_is_type(val, json_type_int))
        name = strdup(json_object_get_string(val));
    else if (jr_string(&d, val, &field, CLUSTER_NAME_MAX, &name) < 0) {
        peer_reply_bad(n->peer, req, 400, why);
        return -1;
    }
    if (!name || !reconfig_find(n, name, out)) {
        snprintf(why, sizeof why, "no acceptor named '%s' is known (SEED_NODES, "
                 "gossip, the voters)", name ? name : "");
        free(name);
        peer_reply_bad(n->peer, req, 400, why);
        return -1;
    }
    free(name);
    return 0;
}

/* Reads {"add":X}, {"remove":X} or {"replace":X,"with":Y} into r. */
static int reconfig_read(struct node *n, struct http_request *req,
                         json_object *body, struct reconfig_request *r)
{
    static const char *const keys[] = { "add", "remove", "replace", "with" };
    struct node_info named[4];
    int absent[4];

    for (size_t i = 0; i < 4; i++)
        if ((absent[i] = reconfig_read_node(n, req, body, keys[i],
                                            &named[i])) < 0)
            return -1;
    if (!absent[0] && absent[1] && absent[2] && absent[3]) {
        r->change = VOTERS_ADD;
        r->who.node = named[0];
    } else if (absent[0] && !absent[1] && absent[2] && absent[3]) {
        r->change = VOTERS_REMOVE;
        r->old = named[1].id;
    } else if (absent[0] && absent[1] && !absent[2] && !absent[3]) {
        r->change = VOTERS_REPLACE;
        r->old = named[2].id;
        r->who.node = named[3];
    } else {
        peer_reply_bad(n->peer, req, 400, "expected {\"add\":NAME}, "
                       "{\"remove\":NAME} or {\"replace\":NAME,\"with\":NAME}");
        return -1;
    }
    return 0;
}

void reconfig_on_post(struct http_request *req, void *ud)
{
    struct node *n = ud;
    struct reconfig_request *r = calloc(1, sizeof(*r));
    char why[160];
    struct jr d = { why, sizeof why };
    json_object *body = NULL;

    if (!r) {
        httpd_reply_error(req, 503, "out of memory");
        return;
    }
    *r = (struct reconfig_request){ .node = n, .req = req };
    if (jr_parse(&d, httpd_body(req), httpd_body_len(req), 3, &body) < 0) {
        peer_reply_bad(n->peer, req, 400, why);
        goto fail;
    }
    if (reconfig_read(n, req, body, r) < 0)
        goto fail;
    json_object_put(body);
    if (reconfig_proposer(n)->p.state != PROPOSER_LEADER) {
        proposer_forward(n, req, "/voters", httpd_body(req), NULL);
        free(r);
        return;
    }
    if (r->change == VOTERS_REMOVE) {
        reconfig_propose(r);
        return;
    }
    if (peer_ask(n->peer, &r->who.node, "/identity", PEER_IDENTITY_MS,
                 reconfig_on_new_identity, r) < 0) {
        peer_reply_bad(n->peer, req, 409, "cannot ask the new voter who it is");
        free(r);
    }
    return;
fail:
    json_object_put(body);
    free(r);
}

void reconfig_reply_changed(struct node *n, struct http_request *req,
                            uint64_t slot)
{
    const struct voters *cfg = reconfig_now(n);
    struct json_object *o = voters_json(cfg);

    log_info("configuration epoch %llu in force from slot %llu: %zu voters",
             (unsigned long long)cfg->epoch,
             (unsigned long long)cfg->first_slot, cfg->n);
    json_object_object_add(o, "status", json_object_new_string("changed"));
    json_object_object_add(o, "slot", json_object_new_int64((int64_t)slot));
    peer_reply_json(req, 200, o);
}
