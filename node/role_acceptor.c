/* role_acceptor.c -- the acceptor node: /prepare, /accept, /accepted and
 * /identity on HTTP. The acceptor core (core/acceptor.h) decides
 * everything; this file decodes each request, hands it to the core,
 * appends the records the core returns to the write-ahead file and sends
 * the core's reply. Until the acceptor is admitted, admit.c asks the
 * others who they are.
 *
 * Nothing an acceptor says about its promises or accepted values may
 * leave the process before it is on disk. So every answer that reveals
 * state (promises, accepts, listings) is held until the end of the loop
 * turn, when one wal_sync() covers all of that turn's changes (group
 * commit); then they are sent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "array.h"
#include "core/acceptor.h"
#include "log.h"
#include "metrics.h"
#include "net/codec.h"
#include "role_acceptor.h"

/* What the write-ahead file's notes hold (see wal_append_note). */
enum acceptor_note { NOTE_IDENTITY = 1, NOTE_CONFIG = 2 };

struct held_reply {
    struct http_request *req;
    int status;
    char *body;
};

static struct acceptor_node *acceptor_node_of(struct node *n)
{
    return n->role;
}

static void acceptor_fatal_memory(void)
{
    log_error("out of memory while accepting: stopping; restart recovers "
              "from the write-ahead file");
    abort();
}

/* Holds body until the turn's sync; aborts when memory runs out, since a
 * dropped answer would leave a request suspended forever. */
static void acceptor_hold(struct acceptor_node *an, struct http_request *req,
                          int status, char *body)
{
    if (!body || array_reserve(&an->held, &an->cap_held, an->n_held + 1) < 0)
        acceptor_fatal_memory();
    an->held[an->n_held++] = (struct held_reply){ req, status, body };
}

/* A note of kind with number and a malloc'd text (freed; NULL: out of
 * memory). */
static int acceptor_append_note(struct wal *w, enum acceptor_note kind,
                                uint64_t number, char *text)
{
    int rc = text ? wal_append_note(w, kind, number, text) : -1;

    free(text);
    return rc;
}

static int acceptor_append(struct wal *w, const struct acceptor_record *r)
{
    switch (r->kind) {
    case ACCEPTOR_RECORD_PROMISE:
        return wal_append_promise(w, r->ballot);
    case ACCEPTOR_RECORD_ACCEPT:
        return wal_append_accept(w, r->slot, r->ballot, r->value);
    case ACCEPTOR_RECORD_TRIM:
        return wal_append_trim(w, r->upto);
    case ACCEPTOR_RECORD_IDENTITY:
        return acceptor_append_note(w, NOTE_IDENTITY, 0,
                                    admission_identity_encode(r->identity,
                                                              r->founding));
    case ACCEPTOR_RECORD_CONFIG:
        return acceptor_append_note(w, NOTE_CONFIG, r->commit,
                                    chain_encode(r->chain));
    }
    return -1;
}

/* Appends the records of r to w, in order. */
static int acceptor_append_all(struct wal *w, const struct acceptor_ready *r)
{
    for (size_t i = 0; i < r->n_records; i++)
        if (acceptor_append(w, &r->records[i]) < 0)
            return -1;
    return 0;
}

void acceptor_persist(struct acceptor_node *an)
{
    if (acceptor_append_all(an->wal, &an->ready) < 0)
        acceptor_fatal_memory();
}

/* Answers req as the core decided: a refusal that reveals nothing at
 * once; otherwise the records go to the write-ahead file and the reply
 * waits for the turn's sync. */
static void acceptor_answer(struct node *n, struct acceptor_node *an,
                            struct http_request *req,
                            enum acceptor_verdict verdict)
{
    switch (verdict) {
    case ACCEPTOR_OK:
        break;
    case ACCEPTOR_STALE:
        an->rejected++;
        peer_count_bad_request(n->peer);
        break;
    case ACCEPTOR_BAD_SLOT:
        peer_reply_bad(n->peer, req, 400, "slot out of range");
        return;
    case ACCEPTOR_NOT_LEARNER:
        peer_reply_bad(n->peer, req, 400, "not a configured learner");
        return;
    case ACCEPTOR_NOT_ADMITTED:
        an->not_admitted++;
        httpd_reply_error(req, 503, an->a.me.cluster[0]
                              ? "not voting yet: waiting for a quorum of the "
                                "founding acceptors"
                              : "not admitted: this acceptor's data directory "
                                "is new; it votes once a configuration names "
                                "it");
        return;
    case ACCEPTOR_NO_MEMORY:
        acceptor_fatal_memory();
    }
    acceptor_persist(an);
    acceptor_hold(an, req, verdict == ACCEPTOR_OK ? 200 : 409,
                  msg_encode(&an->ready.reply));
}

static void acceptor_on_prepare(struct http_request *req, void *ud)
{
    struct node *n = ud;
    struct acceptor_node *an = acceptor_node_of(n);
    enum acceptor_verdict verdict;
    struct msg m;

    if (peer_decode(n->peer, req, MSG_PREPARE, &m) < 0)
        return;
    an->prepares++;
    verdict = acceptor_prepare(&an->a, m.ballot, m.from_slot, &an->ready);
    if (verdict == ACCEPTOR_OK)
        log_info("promised ballot %u.%u to proposer %u", m.ballot.round,
                 m.ballot.node, m.from);
    acceptor_answer(n, an, req, verdict);
    msg_free(&m);
}

static void acceptor_on_accept(struct http_request *req, void *ud)
{
    struct node *n = ud;
    struct acceptor_node *an = acceptor_node_of(n);
    enum acceptor_verdict verdict;
    struct msg m;

    if (peer_decode(n->peer, req, MSG_ACCEPT, &m) < 0)
        return;
    an->accepts++;
    verdict = acceptor_accept(&an->a, m.ballot, m.entries, m.n_entries,
                              m.commit, m.chain, &an->ready);
    acceptor_answer(n, an, req, verdict);
    msg_free(&m);
}

static int acceptor_write_snapshot(void *ud, struct wal *fresh)
{
    return acceptor_append_all(fresh, ud);
}

/* Rewrites the write-ahead file with only what the acceptor still keeps
 * (acceptor_snapshot): the file and a restart's replay stay bounded
 * however long the log. */
static void acceptor_compact(struct node *n, struct acceptor_node *an)
{
    uint64_t before = wal_size(an->wal);
    size_t kept = 0;

    if (acceptor_snapshot(&an->a, &an->ready) < 0)
        acceptor_fatal_memory();
    if (wal_rewrite(an->wal, acceptor_write_snapshot, &an->ready) < 0) {
        log_error("cannot compact the write-ahead file: stopping");
        exit(1);
    }
    for (size_t i = 0; i < an->ready.n_records; i++)
        kept += an->ready.records[i].kind == ACCEPTOR_RECORD_ACCEPT;
    an->compactions++;
    an->compact_at = wal_size(an->wal) + n->cfg->wal_compact_bytes;
    log_info("compacted the write-ahead file from %llu to %llu bytes "
             "(slots up to %llu forgotten, %zu kept)",
             (unsigned long long)before,
             (unsigned long long)wal_size(an->wal),
             (unsigned long long)an->a.trimmed, kept);
}

static void acceptor_on_listing(struct http_request *req, void *ud)
{
    struct node *n = ud;
    struct acceptor_node *an = acceptor_node_of(n);
    uint64_t from = 1, limit = ACCEPTOR_LISTING_MAX_ENTRIES, learner = 0;
    uint64_t trimmed = an->a.trimmed;

    if (peer_query_number(n->peer, req, "from", 1, INT64_MAX, &from) < 0 ||
        peer_query_number(n->peer, req, "limit", 1, ACCEPTOR_LISTING_MAX_ENTRIES,
                          &limit) < 0 ||
        peer_query_number(n->peer, req, "learner", 1, UINT32_MAX, &learner) < 0)
        return;
    acceptor_answer(n, an, req,
                    acceptor_list(&an->a, (uint32_t)learner, from,
                                  (size_t)limit, &an->ready));
    /* Once the file grew by --wal-compact-bytes since the last time, what
     * the acceptor forgot is forgotten on disk too. */
    if (an->a.trimmed != trimmed && wal_size(an->wal) >= an->compact_at)
        acceptor_compact(n, an);
}

/* GET /identity (from acceptors that wait to be admitted). */
static void acceptor_on_identity(struct http_request *req, void *ud)
{
    struct node *n = ud;
    struct acceptor_node *an = acceptor_node_of(n);

    acceptor_identify(&an->a, &an->ready);
    acceptor_answer(n, an, req, ACCEPTOR_OK);
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

/* Replay: each record read back goes to the acceptor core. */
static void acceptor_replay(struct acceptor *a,
                            const struct acceptor_record *r)
{
    if (acceptor_restore(a, r) < 0)
        acceptor_fatal_memory();
}

static void acceptor_replay_promise(void *ud, struct ballot b)
{
    acceptor_replay(ud, &(struct acceptor_record){
        .kind = ACCEPTOR_RECORD_PROMISE, .ballot = b });
}

static void acceptor_replay_trim(void *ud, uint64_t upto)
{
    acceptor_replay(ud, &(struct acceptor_record){
        .kind = ACCEPTOR_RECORD_TRIM, .upto = upto });
}

static void acceptor_replay_accept(void *ud, uint64_t offset, uint64_t slot,
                                   struct ballot b, const struct pvalue *v)
{
    acceptor_replay(ud, &(struct acceptor_record){
        .kind = ACCEPTOR_RECORD_ACCEPT, .ballot = b, .slot = slot,
        .value = v });
}

/* Scratch room for the configurations a note holds: large. */
static struct voters_chain acceptor_replayed_chain;
static struct voters acceptor_replayed_founding;

static void acceptor_replay_note(void *ud, uint8_t kind, uint64_t number,
                                 const char *text, size_t len)
{
    struct acceptor_identity me;
    char why[200];

    if (kind == NOTE_IDENTITY &&
        admission_identity_decode(text, len, &me, &acceptor_replayed_founding,
                                  why, sizeof(why)) == 0)
        acceptor_replay(ud, &(struct acceptor_record){
            .kind = ACCEPTOR_RECORD_IDENTITY, .identity = &me,
            .founding = &acceptor_replayed_founding });
    else if (kind == NOTE_CONFIG &&
             chain_decode(text, len, &acceptor_replayed_chain, why,
                          sizeof(why)) == 0)
        acceptor_replay(ud, &(struct acceptor_record){
            .kind = ACCEPTOR_RECORD_CONFIG, .commit = number,
            .chain = &acceptor_replayed_chain });
    else
        log_error("write-ahead file: a note (kind %u) that cannot be read: "
                  "%s", (unsigned)kind, kind == NOTE_IDENTITY ||
                  kind == NOTE_CONFIG ? why : "unknown kind");
}

/* A new data directory: a new member identity, on disk before anything
 * else happens. */
static int acceptor_make_member(struct acceptor_node *an)
{
    uint8_t bytes[MEMBER_ID_LEN / 2];
    char member[MEMBER_ID_LEN + 1];

    if (getrandom(bytes, sizeof(bytes), 0) != (ssize_t)sizeof(bytes)) {
        log_error("cannot make a member identity: getrandom failed");
        return -1;
    }
    for (size_t i = 0; i < sizeof(bytes); i++)
        snprintf(member + 2 * i, 3, "%02x", bytes[i]);
    if (acceptor_new_member(&an->a, member, &an->ready) < 0)
        return -1;
    acceptor_persist(an);
    if (wal_sync(an->wal) < 0)
        return -1;
    log_info("new data directory: member identity %s; asking the other "
             "acceptors before voting", member);
    return 0;
}

/* Starts the acceptor core with this node's id and the ids of the
 * configured learners, whose progress it tracks. Returns 0, or -1 when
 * out of memory. */
static int acceptor_init_for(struct acceptor *a, const struct config *cfg)
{
    uint32_t *learners = malloc((cfg->n_nodes + 1) * sizeof(*learners));
    size_t n_learners = 0;
    int rc = -1;

    if (!learners)
        goto out;
    for (size_t i = 0; i < cfg->n_nodes; i++)
        if (cfg->nodes[i].role == ROLE_LEARNER)
            learners[n_learners++] = cfg->nodes[i].id;
    rc = acceptor_init(a, cfg->id, learners, n_learners);
out:
    free(learners);
    return rc;
}

static int acceptor_start(struct node *n)
{
    struct acceptor_node *an = calloc(1, sizeof(*an));
    struct wal_replay replay = { acceptor_replay_promise,
                                 acceptor_replay_accept, NULL,
                                 acceptor_replay_trim, acceptor_replay_note };

    if (!an)
        return -1;
    if (acceptor_init_for(&an->a, n->cfg) < 0)
        goto fail;
    replay.ud = &an->a;
    an->wal = wal_open(n->cfg->data_dir, "acceptor.wal", n->cfg->fsync,
                       &replay);
    if (!an->wal)
        goto fail;
    an->compact_at = wal_size(an->wal) + n->cfg->wal_compact_bytes;
    n->role = an;
    if (!an->a.me.member[0] && acceptor_make_member(an) < 0)
        return -1;
    log_info("recovered promise %u.%u and %llu accepted slots (highest %llu) "
             "from %s; member %s, %s", an->a.promised.round,
             an->a.promised.node, (unsigned long long)an->a.accepted_count,
             (unsigned long long)an->a.max_slot, n->cfg->data_dir,
             an->a.me.member, an->a.me.active ? "voting"
                                              : "not voting yet");
    return admit_start(n, an);
fail:
    acceptor_free(&an->a);
    free(an);
    return -1;
}

static void acceptor_tick(struct node *n, int64_t now)
{
    admit_tick(n, acceptor_node_of(n), now);
}

static void acceptor_status_number(struct json_object *o, const char *name,
                                   uint64_t value)
{
    json_object_object_add(o, name, json_object_new_int64((int64_t)value));
}

static void acceptor_status(struct node *n, struct json_object *o)
{
    struct acceptor_node *an = acceptor_node_of(n);
    struct json_object *recent = json_object_new_array();
    uint64_t first = an->a.max_slot > 10 ? an->a.max_slot - 9 : 1;

    json_object_object_add(o, "member", json_object_new_string(an->a.me.member));
    json_object_object_add(o, "cluster", json_object_new_string(an->a.me.cluster));
    json_object_object_add(o, "admission", json_object_new_string(admit_state(an)));
    json_object_object_add(o, "configs", chain_json(&an->a.chain));
    json_object_object_add(o, "promised", codec_ballot_json(an->a.promised));
    acceptor_status_number(o, "commit", an->a.commit);
    acceptor_status_number(o, "max_slot", an->a.max_slot);
    acceptor_status_number(o, "trimmed", an->a.trimmed);
    acceptor_status_number(o, "kept_bytes", an->a.kept_bytes);
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
    acceptor_status_number(o, "prepares", an->prepares);
    acceptor_status_number(o, "accepts", an->accepts);
    acceptor_status_number(o, "rejected", an->rejected);
    acceptor_status_number(o, "wal_bytes", wal_size(an->wal));
    acceptor_status_number(o, "wal_syncs", wal_syncs(an->wal));
    acceptor_status_number(o, "wal_compactions", an->compactions);
    json_object_object_add(o, "fsync", json_object_new_boolean(n->cfg->fsync));
}

static void acceptor_stop(struct node *n)
{
    struct acceptor_node *an = acceptor_node_of(n);

    /* The held answers were never sent, so nothing they say needs to be
     * on disk; their requests close with the server. */
    for (size_t i = 0; i < an->n_held; i++)
        free(an->held[i].body);
    admit_stop(an);
    wal_close(an->wal);
    acceptor_free(&an->a);
    acceptor_ready_free(&an->ready);
    free(an->held);
    free(an);
    n->role = NULL;
}

static void acceptor_metrics(struct node *n, FILE *out)
{
    struct acceptor_node *an = acceptor_node_of(n);

    metrics_sample(out, "gauge", "paxos_acceptor_voting",
                   "1 when this acceptor is admitted and votes.", NULL,
                   an->a.me.active);
    metrics_sample(out, "gauge", "paxos_config_epoch",
                   "Epoch of the configuration this acceptor knows in force "
                   "(0: none).", NULL, an->a.chain.n
                       ? (double)chain_last(&an->a.chain)->epoch : 0);
    metrics_sample(out, "counter", "paxos_not_admitted_total",
                   "Votes and listings refused while not admitted.", NULL,
                   (double)an->not_admitted);
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
    metrics_sample(out, "gauge", "paxos_acceptor_kept_bytes",
                   "Value bytes the acceptor holds in memory.", NULL,
                   (double)an->a.kept_bytes);
    metrics_sample(out, "gauge", "paxos_wal_bytes",
                   "Size of the write-ahead file.", NULL,
                   (double)wal_size(an->wal));
    metrics_sample(out, "counter", "paxos_wal_syncs_total",
                   "Group commits (write + fdatasync) of the write-ahead "
                   "file.", NULL, (double)wal_syncs(an->wal));
}

/* Every route of the role; handlers get the node as ud. */
static const struct route acceptor_routes[] = {
    { "POST", "/prepare", ROUTE_PEER, acceptor_on_prepare },
    { "POST", "/accept", ROUTE_PEER, acceptor_on_accept },
    { "GET", "/accepted", ROUTE_PEER, acceptor_on_listing },
    { "GET", "/identity", ROUTE_PEER, acceptor_on_identity },
};

const struct role_ops acceptor_role = {
    .routes = acceptor_routes,
    .n_routes = sizeof acceptor_routes / sizeof acceptor_routes[0],
    .start = acceptor_start, .tick = acceptor_tick, .flush = acceptor_flush,
    .status = acceptor_status, .metrics = acceptor_metrics,
    .stop = acceptor_stop,
};
